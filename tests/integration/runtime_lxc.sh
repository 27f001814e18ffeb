#!/bin/bash
# LXC (lxc-execute) with the shipped mount and post-stop hooks, included
# through the shipped config snippet: the container sees its own 256 MiB
# and 1 CPU; remount --all heals it after the daemon is killed the hard
# way and restarted; umount --all gives it the host's numbers; it starts
# while the daemon is down; post-stop forgets it. (cgroup:ro:force: with
# cgroup:mixed this LXC mounts no cgroup hierarchy on a hybrid host, and
# Java then reports "No metrics available", whatever cviewfs does.)
# The legacy cgroup view (CVIEWFS_LXC_CGROUP=yes, cviewfs --enable-cgroup):
# without the key /sys/fs/cgroup is LXC's; with it and a daemon serving no
# view the container starts with LXC's and the log says why; with a
# --enable-cgroup daemon it is the view: every hierarchy, the container's
# own memory limit at its cgroup's path, a sibling cgroup invisible;
# remount --all renews it after a hard restart, umount takes it away.
set -u
. "$TESTLIB"
. "$(dirname "$TESTLIB")/runtime_lib.sh"

if ! command -v lxc-execute >/dev/null || ! command -v lxc-attach >/dev/null; then
	skip "LXC not installed"
	done_testing
fi

MNT=$TMP/mnt
LXCPATH=$TMP/lxc
CONTRIB=$(cd "$(dirname "$TESTLIB")/../../contrib/lxc" && pwd)
NAMES=""
PIDS=""

# The shipped hooks and snippet, with this build's toolkit and paths.
HOOKDIR=$TMP/hooks
mkdir -p "$HOOKDIR" "$LXCPATH"
for f in cviewfs-mount cviewfs-poststop cviewfs.conf; do
	sed -e "s|@TOOLKIT@|$TK|" -e "s|@HOOKDIR@|$HOOKDIR|" -e "s|@CONFDIR@|$HOOKDIR|" \
		"$CONTRIB/$f.in" > "$HOOKDIR/$f"
done
chmod +x "$HOOKDIR/cviewfs-mount" "$HOOKDIR/cviewfs-poststop"
# What the mount hook says (on stderr and to syslog, and LXC passes its
# stderr on to no file of ours) is kept in $TMP/hooks.err for the checks.
sed -i "/^set -eu\$/a exec 2>>'$TMP/hooks.err'" "$HOOKDIR/cviewfs-mount"
# The mount point and registry of this test, as the hooks' arguments.
sed -i "s|^\(lxc.hook.[a-z-]* = .*\)$|\1 $MNT $STATE|" "$HOOKDIR/cviewfs.conf"

rt_rootfs "$TMP/rootfs"

# limits: the config lines for 256 MiB, 0.5 CPU and (where the host has a
# cpuset controller) CPU 0: lxc.cgroup2.* keys on a cgroup v2 host, which
# ignores lxc.cgroup.* ones.
limits() {
	if ctr_is_v2; then
		printf '%s\n' "lxc.cgroup2.memory.max = $MEM_LIMIT" "lxc.cgroup2.cpu.max = 50000 100000"
		ctr_has_cpuset && printf '%s\n' "lxc.cgroup2.cpuset.cpus = 0" "lxc.cgroup2.cpuset.mems = 0"
	else
		printf '%s\n' "lxc.cgroup.memory.limit_in_bytes = $MEM_LIMIT" \
			"lxc.cgroup.cpu.cfs_quota_us = 50000" "lxc.cgroup.cpu.cfs_period_us = 100000"
		ctr_has_cpuset && printf '%s\n' "lxc.cgroup.cpuset.cpus = 0" "lxc.cgroup.cpuset.mems = 0"
	fi
	return 0
}

# start NAME [VAR=VALUE...]: lxc-execute in the background (with VARs in
# its environment, and so the hooks'), its init sleeping; waits until it
# runs.
start() {
	local name=$1 cfg=$LXCPATH/$1/config
	shift
	mkdir -p "$LXCPATH/$name"
	cat > "$cfg" <<-EOF
	lxc.uts.name = $name
	lxc.rootfs.path = dir:$TMP/rootfs
	lxc.mount.auto = proc:mixed sys:mixed cgroup:ro:force
	lxc.autodev = 1
	lxc.apparmor.profile = unconfined
	lxc.net.0.type = empty
	lxc.cgroup.relative = 1
	lxc.mount.entry = /usr usr none ro,bind 0 0
	lxc.mount.entry = /etc etc none ro,bind 0 0
	lxc.mount.entry = tmpfs tmp tmpfs nosuid,nodev 0 0
	$(limits)
	lxc.include = $HOOKDIR/cviewfs.conf
	EOF
	NAMES="$NAMES $name"
	# shellcheck disable=SC2086 # the hooks inherit lxc-execute's environment
	env $TK_ENV "$@" lxc-execute -P "$LXCPATH" -n "$name" -o "$TMP/$name.log" -l INFO -- sleep 600 \
		< /dev/null > /dev/null 2> "$TMP/$name.start" &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do
		[ "$(lxc-info -P "$LXCPATH" -n "$name" -sH 2>/dev/null)" = RUNNING ] && return 0
		sleep 0.1
	done
	return 1
}

probe() {
	lxc-attach -P "$LXCPATH" -n "$1" -- sh /probe > "$TMP/$1.out" 2> "$TMP/$1.err"
}

stop_ctrs() {
	for n in $NAMES; do lxc-stop -P "$LXCPATH" -n "$n" -k > /dev/null 2>&1; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	# LXC's cgroups (relative: under ours) and the empty lxc.pivot it
	# leaves behind in every hierarchy (v1), or next to them (v2).
	local own_mem own_v2
	own_mem=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
	own_v2=$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)
	own_v2=${own_v2:-/}
	for n in $NAMES; do
		for d in /sys/fs/cgroup/*/lxc.payload.$n /sys/fs/cgroup/*/lxc.monitor.$n \
			/sys/fs/cgroup/memory${own_mem%/}/lxc.payload.$n /sys/fs/cgroup/memory${own_mem%/}/lxc.monitor.$n \
			/sys/fs/cgroup${own_v2%/}/lxc.payload.$n /sys/fs/cgroup${own_v2%/}/lxc.monitor.$n; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
		done
	done
	for d in /sys/fs/cgroup/*/lxc.pivot /sys/fs/cgroup/memory${own_mem%/}/lxc.pivot \
		/sys/fs/cgroup${own_v2%/}/lxc.pivot; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	return 0
}
on_cleanup stop_ctrs

# ---- the legacy cgroup view ----
CGVIEW_OPT=--enable-cgroup
CGSRC=$MNT/cgroup
SIB=cvt-lxc-sib-$$
SIB_DIR=""
remove_sibling() { [ -z "$SIB_DIR" ] || rmdir "$SIB_DIR" 2>/dev/null; return 0; }
on_cleanup remove_sibling

# /cgprobe LIMIT_FILE PARENT OWN SIBLING, run in a container: what is
# mounted at /sys/fs/cgroup (the top mount's type/source, the number of
# cviewfs mounts there and below), its directories, the memory limit file
# at the container's cgroup path as the host names it, whether the
# parent of that cgroup lists the container's own cgroup and a sibling,
# and whether root in the container can make a child cgroup there (with
# its cgroup.procs) and remove it.
cat > "$TMP/rootfs/cgprobe" <<'CGPROBE'
export LC_ALL=C
mi() { awk -v want="$1" '{for (i = 7; $i != "-"; i++) ; if ($5 ~ want) print $(i + 1) "/" $(i + 2)}' /proc/self/mountinfo; }
echo "top=$(mi '^/sys/fs/cgroup$' | tail -1)"
echo "binds=$(mi '^/sys/fs/cgroup(/|$)' | grep -c '^fuse.cviewfs/')"
echo "dirs=$(find /sys/fs/cgroup/ -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort | tr '\n' ' ')"
echo "limit=$(cat "$1" 2>&1)"
own=hidden sib=hidden
ls -a "$2" 2>/dev/null | grep -qxF "$3" && own=listed
{ ls -a "$2" 2>/dev/null | grep -qxF "$4" || [ -e "$2/$4" ]; } && sib=visible
echo "own=$own sibling=$sib"
sub=$(dirname "$1")/cvt-sub
if mkdir "$sub" 2>/dev/null && [ -e "$sub/cgroup.procs" ] && rmdir "$sub"; then echo mkdir=ok; else echo mkdir=failed; fi
CGPROBE

# cgview_paths NAME: sets CG_LIMIT, CG_PARENT_DIR, CG_OWN: the container's
# memory limit file and the directory above its cgroup, as the host names
# them (which is how the view names them too), from its init's cgroup.
cgview_paths() {
	local pid path
	pid=$(lxc-info -P "$LXCPATH" -n "$1" -pH)
	if ctr_is_v2; then
		path=$(awk -F: '$1 == 0 {print $3}' "/proc/$pid/cgroup")
		CG_LIMIT=/sys/fs/cgroup$path/memory.max
		CG_PARENT_DIR=/sys/fs/cgroup$(dirname "$path")
	else
		path=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "/proc/$pid/cgroup")
		CG_LIMIT=/sys/fs/cgroup/memory$path/memory.limit_in_bytes
		CG_PARENT_DIR=/sys/fs/cgroup/memory$(dirname "$path")
	fi
	CG_PARENT_DIR=${CG_PARENT_DIR%/}
	CG_OWN=$(basename "$path")
	[ -n "$pid" ] && [ -n "$path" ] && [ "$path" != / ]
}

# cgprobe NAME: runs /cgprobe in container NAME into $TMP/NAME.cg.
cgprobe() {
	cgview_paths "$1" || bail "no cgroup path for container $1"
	lxc-attach -P "$LXCPATH" -n "$1" -- sh /cgprobe "$CG_LIMIT" "$CG_PARENT_DIR" "$CG_OWN" "$SIB" \
		> "$TMP/$1.cg" 2>&1
}
cgline() { sed -n "s/^$1=//p" "$2"; }

# cg_is_lxcs NAME WHAT: container NAME's /sys/fs/cgroup is what LXC
# mounted, no cviewfs mount there.
cg_is_lxcs() {
	cgprobe "$1"
	is "$(cgline binds "$TMP/$1.cg")/$(cgline top "$TMP/$1.cg" | grep -c cviewfs)" "0/0" \
		"$2: /sys/fs/cgroup is LXC's ($(cgline top "$TMP/$1.cg"): $(cgline dirs "$TMP/$1.cg"))"
}

# cg_is_view NAME WHAT: container NAME's /sys/fs/cgroup is the view.
cg_is_view() {
	local hier want_top want_dirs
	hier=$(LC_ALL=C ls "$CGSRC" | tr '\n' ' ')
	cgprobe "$1"
	if [ "$hier" = "unified " ]; then
		# Pure v2: the view itself, whose root lists the first
		# directory of the container's path only.
		want_top="fuse.cviewfs/$(awk -v m="$MNT" '$5 == m {for (i = 7; $i != "-"; i++) ; print $(i + 2)}' /proc/self/mountinfo)"
		want_dirs="$(echo "$CG_PARENT_DIR/$CG_OWN" | cut -d/ -f5) "
	else
		want_top=tmpfs/cviewfs
		want_dirs=$hier
	fi
	is "$(cgline top "$TMP/$1.cg")" "$want_top" "$2: /sys/fs/cgroup is the view"
	is "$(cgline binds "$TMP/$1.cg")" "$(echo "$hier" | wc -w)" "$2: one cviewfs bind per hierarchy ($hier)"
	is "$(cgline dirs "$TMP/$1.cg")" "$want_dirs" "$2: the directories of /sys/fs/cgroup"
	is "$(cgline limit "$TMP/$1.cg")" "$MEM_LIMIT" "$2: its own memory limit at $CG_LIMIT"
	is "$(grep '^own=' "$TMP/$1.cg")" "own=listed sibling=hidden" \
		"$2: $CG_PARENT_DIR lists its cgroup, not a sibling made on the host"
	is "$(cgline mkdir "$TMP/$1.cg")" ok "$2: root in the container makes and removes a child cgroup"
}

start_cviewfs "$MNT"
want_ctr=$(rt_expect_ctr)
want_host=$(rt_expect_host)
rt_note_top

a=cvt-lxc-$$-a
start "$a"
ok "$([ $? = 0 ] && echo 1)" "lxc-execute starts a container with the mount hook ($(cat "$TMP/$a.start"))"
# Java reads the memory limit of its own cgroup only. On v2, lxc-attach
# runs commands in a child cgroup of the container's (.lxc) that has no
# memory controller, so Java sees no limit there, with or without cviewfs
# (free and node, which read cviewfs, must still say 256).
cat > "$TMP/rootfs/has-memlimit" <<'EOF'
v2=$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)
v1=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
test -e "/sys/fs/cgroup${v2%/}/memory.max" || test -e "/sys/fs/cgroup/memory${v1%/}/memory.limit_in_bytes"
EOF
if ! lxc-attach -P "$LXCPATH" -n "$a" -- sh /has-memlimit 2>/dev/null; then
	echo "# lxc-attach's cgroup has no memory limit file of its own: Java sees no limit there"
	JAVA_CTR="1/Unlimited"
	want_ctr=$(rt_expect_ctr)
	want_host=$(rt_expect_host)
fi
probe "$a"
rt_check_probe "$TMP/$a.out" "$TMP/$a.err" "$want_ctr" "LXC + mount hook: the container's numbers"
rt_check_uptime "$TMP/$a.out" "LXC + mount hook"
ok "$(grep -q "\"$a\"" "$STATE/containers/$a.json" 2>/dev/null && echo 1)" "the mount hook registered the container"
cg_is_lxcs "$a" "without CVIEWFS_LXC_CGROUP"

# Asked for, but the daemon serves no view: LXC's, and the log says so.
k0=cvt-lxc-$$-k0
start "$k0" CVIEWFS_LXC_CGROUP=yes
ok "$([ $? = 0 ] && echo 1)" "CVIEWFS_LXC_CGROUP=yes, cviewfs without --enable-cgroup: the container starts"
cg_is_lxcs "$k0" "CVIEWFS_LXC_CGROUP=yes, no view served"
ok "$(grep -q "container $k0 keeps its own /sys/fs/cgroup: cviewfs at .* serves no cgroup view" \
	"$TMP/hooks.err" 2>/dev/null && echo 1)" "... and the log says why"
lxc-stop -P "$LXCPATH" -n "$k0" -k > /dev/null 2>&1

rt_restart_hard "$MNT" $CGVIEW_OPT
"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --all > "$TMP/remount.out" 2>&1
is "$?" "0" "remount --all succeeds ($(tr '\n' ';' < "$TMP/remount.out"))"
probe "$a"
rt_check_probe "$TMP/$a.out" "$TMP/$a.err" "$want_ctr" "after remount --all, the same container: its numbers again"
cg_is_lxcs "$a" "remount --all with a view served, container without CVIEWFS_LXC_CGROUP"

k=cvt-lxc-$$-k
start "$k" CVIEWFS_LXC_CGROUP=yes
ok "$([ $? = 0 ] && echo 1)" "CVIEWFS_LXC_CGROUP=yes, cviewfs $CGVIEW_OPT: the container starts ($(cat "$TMP/$k.start"))"
cgview_paths "$k" || bail "no cgroup path for container $k"
SIB_DIR=$CG_PARENT_DIR/$SIB
mkdir "$SIB_DIR" || bail "cannot create $SIB_DIR"
cg_is_view "$k" "CVIEWFS_LXC_CGROUP=yes"
is "$(lxc-attach -P "$LXCPATH" -n "$k" -- free -m 2>&1 | awk '/^Mem:/ {print $2}')" 256 \
	"CVIEWFS_LXC_CGROUP=yes: the files in /proc are bound as ever"

rt_restart_hard "$MNT" $CGVIEW_OPT
"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --all > "$TMP/remount.out" 2>&1
is "$?" "0" "remount --all after a hard restart ($(tr '\n' ';' < "$TMP/remount.out"))"
cg_is_view "$k" "after remount --all"
"$TK" --mountpoint "$MNT" --state-dir "$STATE" umount --container-id "$k" --lxc-path "$LXCPATH" > "$TMP/umount.out" 2>&1
is "$?" "0" "umount --container-id NAME with a view ($(tr '\n' ';' < "$TMP/umount.out"))"
cg_is_lxcs "$k" "after umount"
lxc-stop -P "$LXCPATH" -n "$k" -k > /dev/null 2>&1

"$TK" --mountpoint "$MNT" --state-dir "$STATE" umount --container-id "$a" --lxc-path "$LXCPATH" > "$TMP/umount.out" 2>&1
is "$?" "0" "umount --container-id NAME ($(tr '\n' ';' < "$TMP/umount.out"))"
probe "$a"
rt_check_probe "$TMP/$a.out" "$TMP/$a.err" "$want_host" "after umount: the host's numbers"

rt_kill_daemon "$MNT"
b=cvt-lxc-$$-b
start "$b" CVIEWFS_LXC_CGROUP=yes
ok "$([ $? = 0 ] && echo 1)" "a container starts while cviewfs is down (CVIEWFS_LXC_CGROUP=yes)"
probe "$b"
rt_check_probe "$TMP/$b.out" "$TMP/$b.err" "$want_host" "without cviewfs the container sees the host"
cg_is_lxcs "$b" "without cviewfs"
ok "$(grep -q "container $b starts without cviewfs (and with its own /sys/fs/cgroup)" \
	"$TMP/hooks.err" 2>/dev/null && echo 1)" "... and the log says so"
start_cviewfs "$MNT"
"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --all > "$TMP/remount.out" 2>&1
probe "$b"
rt_check_probe "$TMP/$b.out" "$TMP/$b.err" "$want_ctr" "remount --all binds the container that started without cviewfs"

lxc-stop -P "$LXCPATH" -n "$b" -k > /dev/null 2>&1
for _ in $(seq 50); do [ -e "$STATE/containers/$b.json" ] || break; sleep 0.1; done
ok "$([ ! -e "$STATE/containers/$b.json" ] && echo 1)" "the post-stop hook removed the container from the registry"

done_testing
