#!/bin/bash
# `meson install` puts the daemon, the toolkit, the systemd unit and the
# manual page where a distribution would, and the unit is one systemd
# accepts, wired for in-place upgrades.
. "$TESTLIB"
[ -d "${BUILD_ROOT-}" ] || bail "BUILD_ROOT (the meson build directory) is not set"

DEST=$TMP/dest
meson install -C "$BUILD_ROOT" --destdir "$DEST" --no-rebuild >"$TMP/install.log" 2>&1
ok "$([ $? = 0 ] && echo 1)" "meson install succeeds"
PREFIX=$(meson introspect "$BUILD_ROOT" --buildoptions | python3 -c \
	'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')

find_one() { find "$DEST" -path "*$1" | head -1; }
BIN=$(find_one "$PREFIX/bin/cviewfs")
TOOLKIT=$(find_one "$PREFIX/bin/cviewfs-toolkit")
UNIT=$(find_one "/systemd/system/cviewfs.service")
MAN=$(find_one "/man8/cviewfs.8")
ok "$BIN" "the daemon is installed in the prefix's bin ($PREFIX/bin)"
ok "$TOOLKIT" "the toolkit is installed next to it"
ok "$UNIT" "the systemd unit is installed (${UNIT#$DEST})"
ok "$MAN" "the manual page is installed (${MAN#$DEST})"
ok "$("$BIN" --version | grep -q '^cviewfs ' && echo 1)" "the installed daemon runs"

unit() { grep -E "^$1=" "$UNIT" | head -1 | cut -d= -f2-; }
ok "$(unit ExecStart | grep -q "^$PREFIX/bin/cviewfs -f " && echo 1)" "ExecStart runs the installed binary in the foreground ($(unit ExecStart))"
is "$(unit ExecReload)" '/bin/kill -USR1 $MAINPID' "reload is SIGUSR1: an upgrade in place"
is "$(unit KillMode)" mixed "SIGTERM goes to the supervisor alone, which stops its serving process"
is "$(unit OOMScoreAdjust)" -1000 "the OOM killer leaves it alone"
ok "$(grep -q '^ExecStopPost=-.*/bin/umount -l ' "$UNIT" && echo 1)" "a mount left behind is removed when the service stops"
ok "$(unit ExecStop | grep -q 'SERVICE_RESULT" != success ] || exec .*cviewfs-toolkit umount --all' && echo 1)" \
	"containers' binds are removed on a stop, not after the supervisor died ($(unit ExecStop))"
is "$(unit NotifyAccess)/$(unit FileDescriptorStoreMax)" "main/4096" "the FUSE connection and the containers' notify descriptors can be kept in systemd's descriptor store"
ok "$(grep -q '^ExecStartPost=-.*cviewfs-toolkit remount --all' "$UNIT" && echo 1)" "running containers' binds are renewed after a start"

if command -v systemd-analyze >/dev/null; then
	# Verified with the binaries where the unit will find them once
	# installed: here, under DESTDIR.
	sed "s|$PREFIX/bin/|$DEST$PREFIX/bin/|g" "$UNIT" > "$TMP/cviewfs.service"
	out=$(systemd-analyze verify --man=no "$TMP/cviewfs.service" 2>&1)
	ok "$([ $? = 0 ] && echo 1)" "systemd-analyze verify accepts the unit $out"
else
	skip "systemd-analyze is not installed"
fi
if command -v groff >/dev/null; then
	out=$(groff -man -ww -z "$MAN" 2>&1)
	is "$out" "" "the manual page renders without warnings"
else
	skip "groff is not installed"
fi

done_testing
