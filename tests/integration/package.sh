#!/bin/bash
# scripts/package builds a Debian package that ships what `meson install`
# installs, plus the /etc/default/cviewfs conffile, whose binaries run and
# say meson.build's version, and whose maintainer scripts never enable or
# start the service on installation, reload it (never restart it) on
# upgrade, and stop and disable it on removal. Nothing is installed here.
. "$TESTLIB"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRC/meson.build" | head -n1)
[ -n "$VERSION" ] || bail "no version in meson.build's project()"

out=$("$SRC/scripts/package" "$TMP/deb" 2>"$TMP/package.err")
rc=$?
if [ $rc != 0 ] && ! { command -v dpkg-buildpackage && command -v dh && command -v fakeroot; } >/dev/null; then
	skip "dpkg-buildpackage cannot be installed: $(tail -n1 "$TMP/package.err")"
	done_testing
fi
DEB=$(printf '%s\n' "$out" | tail -n1)
ok "$([ $rc = 0 ] && echo 1)" "scripts/package succeeds $(tail -n1 "$TMP/package.err")"
ok "$([ -f "$DEB" ] && [ "$(dirname "$DEB")" = "$TMP/deb" ] && echo 1)" "its last line is the .deb it left in OUTDIR ($DEB)"
[ -f "$DEB" ] || { done_testing; }
leftovers=$(cd "$SRC" && ls -d debian/cviewfs debian/.debhelper debian/files debian/debhelper-build-stamp obj-* 2>/dev/null)
is "$leftovers" "" "the work tree is left clean (the build ran in a copy)"

field() { dpkg-deb -f "$DEB" "$1"; }
is "$(field Package)" cviewfs "the package is cviewfs"
is "$(field Version)" "$VERSION" "its version is meson.build's project() version"
is "$(field Architecture)" "$(dpkg --print-architecture)" "it is built for this architecture"
is "$(field Section)/$(field Priority)" admin/optional "Section admin, Priority optional"
ok "$(field Depends | tr ',' '\n' | grep -Eq '^ *fuse3( |$)' && echo 1)" "Depends names fuse3 ($(field Depends))"
ok "$(field Depends | grep -q 'libfuse3' && echo 1)" "Depends has the shared libraries (shlibs)"
ok "$(field Suggests | grep -q lxc && field Suggests | grep -q podman && echo 1)" "Suggests lxc and podman"

# The files: exactly what meson installs (with the man page compressed),
# the unit where this Debian's systemd.pc says, and the conffile;
# /usr/share/doc/cviewfs is debhelper's.
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
UNITDIR=${UNITDIR:-/lib/systemd/system}
{
	echo "/usr/bin/cviewfs"
	echo "/usr/bin/cviewfs-toolkit"
	echo "/usr/bin/cviewfs-runtime"
	echo "$UNITDIR/cviewfs.service"
	echo "/usr/share/man/man8/cviewfs.8.gz"
	echo "/usr/share/containers/oci/hooks.d/cviewfs-hook.json"
	echo "/usr/share/lxc/config/cviewfs.conf"
	echo "/usr/share/lxc/hooks/cviewfs-mount"
	echo "/usr/share/lxc/hooks/cviewfs-poststop"
	for y in "$SRC"/contrib/kubernetes/*.yaml; do echo "/usr/share/cviewfs/kubernetes/${y##*/}"; done
	echo "/etc/default/cviewfs"
} | sort > "$TMP/want"
dpkg-deb -c "$DEB" > "$TMP/contents"
awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' "$TMP/contents" |
	grep -v '^/usr/share/doc/cviewfs/' | sort > "$TMP/got"
while read -r f; do
	ok "$(grep -qxF "$f" "$TMP/got" && echo 1)" "the package has $f"
done < "$TMP/want"
is "$(comm -13 "$TMP/want" "$TMP/got")" "" "and no other file (but /usr/share/doc/cviewfs)"
mode() { awk -v f=".$1" '$6 == f { print $1 }' "$TMP/contents"; }
is "$(mode /usr/bin/cviewfs)$(mode /usr/share/lxc/hooks/cviewfs-mount)$(mode /usr/share/lxc/hooks/cviewfs-poststop)" \
	"-rwxr-xr-x-rwxr-xr-x-rwxr-xr-x" "the binaries and the LXC hooks are executable"
is "$(awk '$6 !~ /^\.\/?$/ { print $2 }' "$TMP/contents" | sort -u)" root/root "every file is root's"

CTRL=$TMP/control
dpkg-deb -e "$DEB" "$CTRL"
ok "$(grep -qx /etc/default/cviewfs "$CTRL/conffiles" 2>/dev/null && echo 1)" "/etc/default/cviewfs is a conffile"

ROOT=$TMP/root
dpkg-deb -x "$DEB" "$ROOT"
is "$("$ROOT/usr/bin/cviewfs" --version 2>&1)" "cviewfs $VERSION" "the packaged daemon runs and says $VERSION"
is "$("$ROOT/usr/bin/cviewfs-toolkit" --version 2>&1)" "cviewfs-toolkit $VERSION" "the packaged toolkit runs and says $VERSION"
UNIT=$ROOT$UNITDIR/cviewfs.service
ok "$(grep -q '^ExecStart=/usr/bin/cviewfs -f ' "$UNIT" && grep -q '^ExecReload=/bin/kill -USR1 \$MAINPID' "$UNIT" && echo 1)" \
	"the unit runs /usr/bin/cviewfs and reloads with SIGUSR1"
ok "$(grep -q '^EnvironmentFile=-/etc/default/cviewfs' "$UNIT" && echo 1)" "the unit reads /etc/default/cviewfs"
ok "$(grep -q '/usr/bin/cviewfs-toolkit' "$ROOT/usr/share/containers/oci/hooks.d/cviewfs-hook.json" && \
	grep -q '/usr/share/lxc/hooks/cviewfs-mount' "$ROOT/usr/share/lxc/config/cviewfs.conf" && echo 1)" \
	"the hooks point at the installed paths"
DEF=$ROOT/etc/default/cviewfs
is "$(grep -Ev '^[[:space:]]*(#|$)' "$DEF")" "" "/etc/default/cviewfs sets nothing: every line is commented out"
ok "$(grep -qx '#CVIEWFS_MOUNTPOINT=/var/lib/lxcfs' "$DEF" && grep -qx '#CVIEWFS_OPTS=-l' "$DEF" && echo 1)" \
	"it documents CVIEWFS_MOUNTPOINT and CVIEWFS_OPTS with the unit's defaults"
ok "$(grep -q '^Environment=CVIEWFS_MOUNTPOINT=/var/lib/lxcfs CVIEWFS_OPTS=-l$' "$UNIT" && echo 1)" \
	"which are the unit's defaults"
sed -n 's/^#\(CVIEWFS_[A-Z_]*=\)/\1/p' "$DEF" > "$TMP/default.sh"
ok "$(sh -n "$TMP/default.sh" && [ "$(sh -c '. "$1"; echo "$CVIEWFS_MOUNTPOINT $CVIEWFS_OPTS"' sh "$TMP/default.sh" 2>/dev/null)" = "/var/lib/lxcfs -l" ] && echo 1)" \
	"its settings uncommented are valid sh (the LXC hooks source the file)"

# Maintainer scripts, by their text (dh's snippets and ours).
for s in postinst prerm postrm; do
	ok "$([ -f "$CTRL/$s" ] && sh -n "$CTRL/$s" && echo 1)" "$s is valid sh"
done
ok "$([ ! -e "$CTRL/preinst" ] || ! grep -q 'deb-systemd-invoke' "$CTRL/preinst" && echo 1)" \
	"no preinst stops the service before an upgrade"
PI=$CTRL/postinst
ok "$(grep -q "deb-systemd-helper update-state 'cviewfs.service'" "$PI" && \
	grep -q "if deb-systemd-helper debian-installed 'cviewfs.service'; then" "$PI" && echo 1)" \
	"postinst is dh's --no-enable: it enables only a unit that was enabled before"
ok "$(! grep -q 'was-enabled defaults to true' "$PI" && echo 1)" "postinst does not enable on a fresh install"
ok "$(! grep -Eq '_dh_action|deb-systemd-invoke.* (start|restart|try-restart)|systemctl.* (start|restart|try-restart|enable)' "$PI" && echo 1)" \
	"postinst never starts or restarts the service"
reload=$(grep -B4 'deb-systemd-invoke reload cviewfs.service' "$PI")
ok "$(grep -q '"$1" = configure' <<<"$reload" && grep -q '\[ -n "$2" \]' <<<"$reload" && \
	grep -q '\[ -d /run/systemd/system \]' <<<"$reload" && grep -q 'is-active cviewfs.service' <<<"$reload" && echo 1)" \
	"postinst reloads an active service on upgrade only, when systemd runs"
ok "$(grep -q 'deb-systemd-invoke reload cviewfs.service.*|| true' "$PI" && echo 1)" "a failed reload does not fail the upgrade"
PR=$CTRL/prerm
stops=$(grep -c 'deb-systemd-invoke stop' "$PR")
stop=$(grep -B3 'deb-systemd-invoke stop cviewfs.service' "$PR")
ok "$([ "$stops" = 1 ] && grep -q '"$1" = "\{0,1\}remove' <<<"$stop" && echo 1)" "prerm stops the service on remove, and only then (not on upgrade)"
dis=$(grep -B6 'deb-systemd-helper disable cviewfs.service' "$PR")
ok "$(grep -q '"$1" = "\{0,1\}remove' <<<"$dis" && echo 1)" "prerm disables it on remove"
ok "$(! grep -Eq 'restart|start ' "$PR" && echo 1)" "prerm restarts nothing"
PO=$CTRL/postrm
ok "$(grep -q "deb-systemd-helper purge 'cviewfs.service'" "$PO" && grep -q 'systemctl --system daemon-reload' "$PO" && echo 1)" \
	"postrm: daemon-reload on remove, enablement state dropped on purge"

if command -v lintian >/dev/null; then
	lintian --no-tag-display-limit "$DEB" > "$TMP/lintian" 2>&1
	is "$(grep '^E:' "$TMP/lintian")" "" "lintian reports no errors"
else
	skip "lintian is not installed (scripts/install-deps installs it)"
fi

done_testing
