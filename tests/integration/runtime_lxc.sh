#!/bin/bash
# LXC (lxc-execute) with the shipped mount and post-stop hooks, included
# through the shipped config snippet: the container sees its own 256 MiB
# and 1 CPU; remount --all heals it after the daemon is killed the hard
# way and restarted; umount --all gives it the host's numbers; it starts
# while the daemon is down; post-stop forgets it. (cgroup:ro:force: with
# cgroup:mixed this LXC mounts no cgroup hierarchy on a hybrid host, and
# Java then reports "No metrics available", whatever cviewfs does.)
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

# start NAME: lxc-execute in the background, its init sleeping; waits
# until it runs.
start() {
	local name=$1 cfg=$LXCPATH/$1/config
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
	env $TK_ENV lxc-execute -P "$LXCPATH" -n "$name" -o "$TMP/$name.log" -l INFO -- sleep 600 \
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

rt_restart_hard "$MNT"
"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --all > "$TMP/remount.out" 2>&1
is "$?" "0" "remount --all succeeds ($(tr '\n' ';' < "$TMP/remount.out"))"
probe "$a"
rt_check_probe "$TMP/$a.out" "$TMP/$a.err" "$want_ctr" "after remount --all, the same container: its numbers again"

"$TK" --mountpoint "$MNT" --state-dir "$STATE" umount --container-id "$a" --lxc-path "$LXCPATH" > "$TMP/umount.out" 2>&1
is "$?" "0" "umount --container-id NAME ($(tr '\n' ';' < "$TMP/umount.out"))"
probe "$a"
rt_check_probe "$TMP/$a.out" "$TMP/$a.err" "$want_host" "after umount: the host's numbers"

rt_kill_daemon "$MNT"
b=cvt-lxc-$$-b
start "$b"
ok "$([ $? = 0 ] && echo 1)" "a container starts while cviewfs is down"
probe "$b"
rt_check_probe "$TMP/$b.out" "$TMP/$b.err" "$want_host" "without cviewfs the container sees the host"
start_cviewfs "$MNT"
"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --all > "$TMP/remount.out" 2>&1
probe "$b"
rt_check_probe "$TMP/$b.out" "$TMP/$b.err" "$want_ctr" "remount --all binds the container that started without cviewfs"

lxc-stop -P "$LXCPATH" -n "$b" -k > /dev/null 2>&1
for _ in $(seq 50); do [ -e "$STATE/containers/$b.json" ] || break; sleep 0.1; done
ok "$([ ! -e "$STATE/containers/$b.json" ] && echo 1)" "the post-stop hook removed the container from the registry"

done_testing
