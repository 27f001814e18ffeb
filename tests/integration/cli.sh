#!/bin/bash
# The command line as an operator meets it: lxcfs's flags, one clear line
# and a non-zero exit for every way start-up can fail, the pid file lock,
# and the signals.
set -u
. "$TESTLIB"

# run ARGS...: runs cviewfs to completion; sets OUT (stdout+stderr) and RC.
run() {
	OUT=$(timeout 10 "$CVIEWFS" "$@" 2>&1)
	RC=$?
}

run -v
ok "$([ $RC = 0 ] && echo "$OUT" | grep -qE '^cviewfs [0-9]+\.[0-9]+' && echo 1)" "-v prints the version and exits 0"
run --help
ok "$([ $RC = 0 ] && echo "$OUT" | grep -q 'Usage: .* MOUNTPOINT' && echo 1)" "--help prints the usage and exits 0"

run
ok "$([ $RC != 0 ] && [ "$(echo "$OUT" | wc -l)" = 1 ] && echo "$OUT" | grep -q 'missing MOUNTPOINT' && echo 1)" "no mountpoint: one line, non-zero exit ($OUT)"
run -f "$TMP/nonexistent"
ok "$([ $RC != 0 ] && echo "$OUT" | grep -q 'does not exist' && echo 1)" "missing mountpoint: clear error ($OUT)"
touch "$TMP/file"
run -f "$TMP/file"
ok "$([ $RC != 0 ] && echo "$OUT" | grep -q 'not a directory' && echo 1)" "mountpoint is a file: clear error ($OUT)"
run --bogus "$TMP"
ok "$([ $RC != 0 ] && echo "$OUT" | grep -q 'unknown option --bogus' && echo 1)" "unknown option: clear error ($OUT)"
run -f --view-from=somebody "$TMP"
ok "$([ $RC != 0 ] && echo "$OUT" | grep -q "'init' or 'reader'" && echo 1)" "a bad --view-from value is refused"

# A user who is not root.
if command -v setpriv >/dev/null; then
	mkdir -p "$TMP/user-mnt"
	chmod 755 "$TMP"
	OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CVIEWFS" -f -p "$TMP/u.pid" "$TMP/user-mnt" 2>&1)
	RC=$?
	ok "$([ $RC != 0 ] && echo "$OUT" | grep -q 'must run as root' && echo 1)" "not root: clear error ($OUT)"
else
	skip "setpriv not installed"
fi

# No /dev/fuse (a private mount namespace with an empty /dev).
OUT=$(unshare -m sh -c "mount -t tmpfs none /dev && exec '$CVIEWFS' -f -p '$TMP/d.pid' '$TMP'" 2>&1)
RC=$?
ok "$([ $RC != 0 ] && echo "$OUT" | grep -q '/dev/fuse' && echo 1)" "no /dev/fuse: clear error ($OUT)"

# Start, and everything that must fail while it runs.
MNT=$TMP/mnt
start_cviewfs "$MNT" -s --enable-pidfd -u -z
ok "$(mounted "$MNT" && echo 1)" "-s, --enable-pidfd, -u and -z are accepted"
ok "$(grep " $MNT " /proc/mounts | grep -q 'fuse.cviewfs ro,' && echo 1)" "mounted read-only as fuse.cviewfs"
is "$(cat "$MNT.pid")" "$CVIEWFS_PID" "the pid file holds the daemon's pid"
ok "$([ ! -e "$MNT/cgroup" ] && ! ls "$MNT" | grep -qx cgroup && echo 1)" "without --enable-cgroup there is no cgroup directory"


mkdir -p "$TMP/other"
run -f -p "$MNT.pid" "$TMP/other"
ok "$([ $RC != 0 ] && echo "$OUT" | grep -q "another instance (pid $CVIEWFS_PID) holds $MNT.pid" && echo 1)" "a second instance on the same pid file refuses ($OUT)"
run -f -p "$TMP/second.pid" "$MNT"
ok "$([ $RC != 0 ] && echo "$OUT" | grep -q 'already mounted' && echo 1)" "a second instance on the same mountpoint refuses ($OUT)"
run -f -p "$TMP/third.pid" -o no_such_option "$TMP/third"
ok "$([ $RC != 0 ] && ! mounted "$TMP/third" && echo 1)" "an unknown -o option fails cleanly"

# SIGUSR2 toggles host values; SIGUSR1 does not kill.
name=$(new_ctr 0 max)
memtotal() { in_cgroup "$name" awk '/^MemTotal:/ {print $2}' "$MNT/proc/meminfo"; }
host_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
is "$(memtotal)" "262144" "a 256 MiB container sees MemTotal 262144 kB"
kill -USR2 "$CVIEWFS_PID"
sleep 0.2
is "$(memtotal)" "$host_kb" "after SIGUSR2 it sees the host's MemTotal"
kill -USR2 "$CVIEWFS_PID"
sleep 0.2
is "$(memtotal)" "262144" "a second SIGUSR2 switches virtualization back on"
kill -USR1 "$CVIEWFS_PID"
sleep 0.2
ok "$(kill -0 "$CVIEWFS_PID" 2>/dev/null && mounted "$MNT" && echo 1)" "SIGUSR1 (upgrade in place) keeps the daemon and the mount"

for sig in TERM INT; do
	kill -$sig "$CVIEWFS_PID"
	wait "$CVIEWFS_PID"
	RC=$?
	ok "$([ $RC = 0 ] && ! mounted "$MNT" && [ ! -e "$MNT.pid" ] && echo 1)" "SIG$sig: unmounted, pid file removed, exit 0 (exit $RC)"
	[ $sig = TERM ] && start_cviewfs "$MNT"
done

# A mountpoint and pid file given relative to the starting directory: the
# daemon still unmounts and removes its pid file at shutdown (libfuse changes
# to / after mounting).
mkdir -p "$TMP/rel/mnt"
(cd "$TMP/rel" && exec "$CVIEWFS" -f -p rel.pid mnt 2>>"$TMP/daemon.log") &
rel_pid=$!
DAEMONS="$DAEMONS $rel_pid"
MOUNTS="$MOUNTS $TMP/rel/mnt"
for _ in $(seq 50); do
	head -c1 "$TMP/rel/mnt/proc/uptime" >/dev/null 2>&1 && break
	sleep 0.1
done
ok "$(grep -q '^[0-9.]* [0-9.]*$' "$TMP/rel/mnt/proc/uptime" && [ -s "$TMP/rel/rel.pid" ] && echo 1)" "relative mountpoint and pid file: serves"
kill -TERM "$rel_pid"
wait "$rel_pid"
RC=$?
ok "$([ $RC = 0 ] && ! mounted "$TMP/rel/mnt" && [ ! -e "$TMP/rel/rel.pid" ] && echo 1)" "relative mountpoint and pid file: unmounted and removed at SIGTERM (exit $RC)"

# A killed daemon (its supervisor) leaves a dead mount; a new daemon on the
# same mountpoint detaches it and serves there.
start_cviewfs "$MNT"
kill -KILL "$CVIEWFS_PID"
wait "$CVIEWFS_PID" 2>/dev/null
ok "$(! cat "$MNT/proc/uptime" 2>/dev/null && echo 1)" "with the supervisor killed the mount is dead"
start_cviewfs "$MNT"
ok "$(grep -q '^[0-9.]* [0-9.]*$' "$MNT/proc/uptime" && echo 1)" "a new daemon replaces the dead mount and serves"
ok "$(grep -q 'removed the dead cviewfs mount' "$TMP/daemon.log" && echo 1)" "and says so, naming the remount command"
kill -TERM "$CVIEWFS_PID"
wait "$CVIEWFS_PID"
# A dead mount of another FUSE filesystem is not ours to remove.
mkdir -p "$TMP/other"
python3 - "$TMP/other" <<'PY' &
import os, sys, ctypes
fd = os.open("/dev/fuse", os.O_RDWR)
opts = f"fd={fd},rootmode=40000,user_id=0,group_id=0".encode()
libc = ctypes.CDLL(None, use_errno=True)
if libc.mount(b"otherfs", sys.argv[1].encode(), b"fuse.other", 0, opts) != 0:
    sys.exit(1)
PY
wait $!
if mounted "$TMP/other"; then
	MOUNTS="$MOUNTS $TMP/other"
	run -f -p "$TMP/other.pid" "$TMP/other"
	ok "$([ $RC != 0 ] && echo "$OUT" | grep -qE 'dead FUSE mount' && echo 1)" "a dead mount of another filesystem is refused ($OUT)"
	umount -l "$TMP/other"
else
	skip "cannot make a foreign FUSE mount here"
fi

# --enable-cgroup: the cgroupfs view is there, and the mount takes writes
# (tests/integration/cgroupfs.sh tests the view itself).
CGM=$TMP/cgmnt
start_cviewfs "$CGM" --enable-cgroup
ok "$(ls "$CGM" | grep -qx cgroup && [ -n "$(ls "$CGM/cgroup")" ] && echo 1)" "--enable-cgroup serves a cgroup directory with the host's hierarchies ($(ls "$CGM/cgroup" | tr '\n' ' '))"
ok "$(grep " $CGM " /proc/mounts | grep -q 'fuse.cviewfs rw,' && grep " $CGM " /proc/mounts | grep -q default_permissions && echo 1)" "--enable-cgroup mounts read-write with default_permissions"
ok "$(! sh -c "echo x > '$CGM/proc/meminfo'" 2>/dev/null && echo 1)" "the proc files still refuse writes"

done_testing
