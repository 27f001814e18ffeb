#!/bin/bash
# cviewfs-toolkit with plain unshare containers (scripts/container.sh):
# check, the OCI hook called by hand, remount/umount --all after the daemon
# is killed the hard way, another cviewfs instance's containers left alone,
# and prestart's shared mount point healing containers that bind the
# whole directory.
set -u
. "$TESTLIB"
. "$(dirname "$TESTLIB")/runtime_lib.sh"

MNT=$TMP/mnt
T() { "$TK" --mountpoint "$MNT" --state-dir "$STATE" "$@"; }

# ---- command line ----
"$TK" > /dev/null 2>&1
is "$?" "2" "no command: usage, exit 2"
T remount > /dev/null 2> "$TMP/err"
is "$?:$(grep -c 'wants --all or --container-id' "$TMP/err")" "2:1" "remount without --all or --container-id is refused"

# ---- check ----
mkdir -p "$MNT"
T check > /dev/null 2> "$TMP/err"
is "$?:$(grep -c 'not mounted' "$TMP/err")" "1:1" "check: nothing mounted -> exit 1 with the reason ($(cat "$TMP/err"))"
start=$(date +%s%N)
T check --wait 0.5 > /dev/null 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
ok "$([ "$ms" -ge 450 ] && [ "$ms" -lt 5000 ] && echo 1)" "check --wait 0.5 gives up after about half a second ($ms ms)"
(sleep 1; exec "$CVIEWFS" -f -p "$MNT.pid" "$MNT" 2>> "$TMP/daemon.log") &
late=$!
DAEMONS="$DAEMONS $late"
MOUNTS="$MOUNTS $MNT"
T check --wait 20 > "$TMP/out" 2>&1
is "$?" "0" "check --wait waits for a daemon that comes up later ($(cat "$TMP/out"))"
kill "$late"
wait "$late"
for _ in $(seq 50); do mounted "$MNT" || break; sleep 0.1; done

start_cviewfs "$MNT"
T check > "$TMP/out" 2>&1
is "$?:$(grep -c 'is serving' "$TMP/out")" "0:1" "check: a serving daemon -> exit 0"

# ---- the OCI hook by hand ----
mkdir -p "$TMP/bundle/rootfs"
echo '{"root": {"path": "rootfs"}}' > "$TMP/bundle/config.json"
printf '{"ociVersion": "1.0.2", "id": "x", "status": "creating", "pid": 0, "bundle": "%s"}' "$TMP/bundle" |
	T hook > /dev/null 2> "$TMP/err"
is "$?:$(grep -c 'no pid' "$TMP/err")" "1:1" "hook: a state without a pid is an error ($(cat "$TMP/err"))"
echo 'not json' | T hook > /dev/null 2> "$TMP/err"
is "$?:$(grep -c 'stdin' "$TMP/err")" "1:1" "hook: a broken state is an error ($(cat "$TMP/err"))"

# ---- plain unshare containers ----
# run_ctr NAME MNT: a container (pid and mount namespaces, MNT's files
# bound by scripts/container.sh) sleeping; sets CPID to its init.
run_ctr() {
	ctr_run "$1" "$2" sleep 600 > /dev/null 2>&1 &
	BG="$BG $!"
	CPID=$(ns_init $!)
}
# ns_init PID: the first descendant of PID (ours) in another pid namespace.
# On the way the shell forks short-lived helpers (the command
# substitutions of ctr_join on v1): a descendant that is gone has no
# namespace to read, and the walk starts again from PID.
ns_init() {
	local p=$1 c ns
	for _ in $(seq 100); do
		ns=$(readlink "/proc/$p/ns/pid" 2>/dev/null)
		if [ -z "$ns" ]; then
			p=$1
			sleep 0.05
			continue
		fi
		if [ "$ns" != "$(readlink /proc/self/ns/pid)" ]; then
			echo "$p"
			return
		fi
		c=$(cat /proc/$p/task/*/children 2>/dev/null)
		c=${c%% *}
		if [ -n "$c" ]; then p=$c; else sleep 0.05; fi
	done
}
BG=""
# At the end: every process of the containers, by pid, with SIGKILL (a
# pid namespace's init ignores SIGTERM from outside), before lib.sh
# removes their cgroups.
stop_bg() {
	local pids="" d
	[ -f "$TMP/containers" ] || return 0
	for _ in 1 2 3; do
		pids=$(while read -r n; do
			if ctr_is_v2; then d=$CG/cviewfs.ctr/$n; else d=$(ctr_v1_dirs "$n" | head -1); fi
			cat "$d/cgroup.procs" 2>/dev/null
		done < "$TMP/containers")
		[ -n "$pids" ] || break
		kill -9 $pids 2>/dev/null
		sleep 0.2
	done
	for p in $BG; do wait "$p" 2>/dev/null; done
	return 0
}
on_cleanup stop_bg
# probe NAME PID: the probe in the container's namespaces and cgroups.
probe() {
	in_cgroup "$1" nsenter -t "$2" -m -p sh "$TMP/probe" > "$TMP/$1.out" 2> "$TMP/$1.err"
}
rt_probe > "$TMP/probe"
want_ctr=$(rt_expect_ctr)
want_host=$(rt_expect_host)
rt_note_top

a=$(new_ctr 0 50000)
run_ctr "$a" "$MNT"
a_pid=$CPID
probe "$a" "$a_pid"
rt_check_probe "$TMP/$a.out" "$TMP/$a.err" "$want_ctr" "unshare container: the container's numbers"
rt_check_uptime "$TMP/$a.out" "unshare container"

# A second cviewfs (another instance, e.g. another test) and a container
# bound to it: the toolkit working on MNT must never touch it.
MNT2=$TMP/mnt2
pid1=$CVIEWFS_PID
start_cviewfs "$MNT2"
pid2=$CVIEWFS_PID
CVIEWFS_PID=$pid1
o=$(new_ctr 0 50000)
run_ctr "$o" "$MNT2"
o_pid=$CPID

rt_restart_hard "$MNT"
probe "$a" "$a_pid"
ok "$(grep -q 'Transport endpoint is not connected' "$TMP/$a.err" && echo 1)" "after kill -9 the container's files are dead"
# What remount must do in the container: detach every bind
# scripts/container.sh made (now stale), and bind every file the new
# daemon serves that the container has (its /proc is the kernel's, like
# ours: proc/pressure/* only with PSI), plus sys/devices/system/cpu.
stale=$(awk '/ - fuse\.cviewfs / && ($5 ~ /^\/proc\// || $5 == "/sys/devices/system/cpu")' "/proc/$a_pid/mountinfo" | wc -l)
fresh=$( (cd "$MNT" && find proc -type f) | while read -r f; do [ -f "/$f" ] && echo "$f"; done | wc -l)
[ -d "$MNT/sys/devices/system/cpu" ] && fresh=$((fresh + 1))
T remount --all > "$TMP/out" 2>&1
is "$?:$(grep -c "^remount pid [0-9]*: $stale removed, $fresh added$" "$TMP/out"):$(wc -l < "$TMP/out"):$([ "$stale" -gt 0 ] && echo stale)" "0:1:1:stale" "remount --all heals the container ($stale stale binds, $fresh files), and only it ($(tr '\n' ';' < "$TMP/out"))"
probe "$a" "$a_pid"
rt_check_probe "$TMP/$a.out" "$TMP/$a.err" "$want_ctr" "after remount --all: the container's numbers, without a restart"
T remount --all > "$TMP/out" 2>&1
ok "$(grep -qx "remount pid [0-9]*: 0 removed, 0 added" "$TMP/out" && echo 1)" "remount --all again changes nothing ($(cat "$TMP/out"))"

T umount --all > "$TMP/out" 2>&1
is "$?:$(wc -l < "$TMP/out")" "0:1" "umount --all succeeds and leaves the other instance's container alone ($(tr '\n' ';' < "$TMP/out"))"
probe "$a" "$a_pid"
rt_check_probe "$TMP/$a.out" "$TMP/$a.err" "$want_host" "after umount --all: the host's numbers"
got=$(in_cgroup "$o" nsenter -t "$o_pid" -m -p cat /proc/meminfo | kb MemTotal)
is "$got" "262144" "the other instance's container still sees its 256 MiB"

# umount works with the daemon dead too: that is when it is needed.
T remount --all > /dev/null 2>&1
rt_kill_daemon "$MNT"
T umount --all > "$TMP/out" 2>&1
is "$?" "0" "umount --all with the daemon gone ($(tr '\n' ';' < "$TMP/out"))"
probe "$a" "$a_pid"
rt_check_probe "$TMP/$a.out" "$TMP/$a.err" "$want_host" "... and the container sees the host's numbers, no errors"

# The hook with no daemon: exit 0 and one line, so the container starts.
mkdir -p "$TMP/bundle2"
echo '{"root": {"path": "/"}}' > "$TMP/bundle2/config.json"
printf '{"id": "h1", "status": "creating", "pid": %d, "bundle": "%s"}' "$a_pid" "$TMP/bundle2" |
	T hook > /dev/null 2> "$TMP/err"
is "$?:$(wc -l < "$TMP/err")" "0:1" "hook with cviewfs down: exit 0, one line ($(cat "$TMP/err"))"
start_cviewfs "$MNT"
printf '{"id": "h1", "status": "creating", "pid": %d, "bundle": "%s"}' "$a_pid" "$TMP/bundle2" |
	T hook > /dev/null 2> "$TMP/err"
is "$?" "0" "hook with cviewfs up binds into the container ($(cat "$TMP/err"))"
probe "$a" "$a_pid"
rt_check_probe "$TMP/$a.out" "$TMP/$a.err" "$want_ctr" "after the hook: the container's numbers"
printf '{"id": "h1", "status": "stopped", "pid": 0, "bundle": "/nonexistent"}' | T hook
ok "$([ $? = 0 ] && [ ! -e "$STATE/containers/h1.json" ] && echo 1)" "hook at poststop (status stopped) forgets the container"

# ---- prestart ----
# The mount point becomes a shared mount of its own, whatever the
# propagation of the filesystem around it: a container that has it
# through an rbind of a directory above it (or through a copy of the
# host's mount namespace) gets a restarted daemon's mount by propagation.
MNT3=$TMP/p/mnt3
"$TK" --mountpoint "$MNT3" prestart > "$TMP/out" 2>&1
is "$?" "0" "prestart ($(cat "$TMP/out"))"
unbind3() { while grep -q " $MNT3 " /proc/self/mountinfo; do umount -l "$MNT3" || break; done; }
on_cleanup unbind3
ok "$(awk -v m="$MNT3" '$5 == m && / shared:/' /proc/self/mountinfo | grep -q . && echo 1)" "the mount point is now a shared mount"
"$TK" --mountpoint "$MNT3" prestart > /dev/null 2>&1
is "$(awk -v m="$MNT3" '$5 == m' /proc/self/mountinfo | wc -l)" "1" "prestart again changes nothing"
start_cviewfs "$MNT3"
pid3=$CVIEWFS_PID
"$TK" --mountpoint "$MNT3" prestart > /dev/null 2> "$TMP/err"
is "$?:$(grep -c 'before the daemon' "$TMP/err")" "1:1" "prestart refuses once cviewfs is mounted"
d=$(new_ctr 0 50000)
mkdir -p "$TMP/view"
in_cgroup "$d" unshare --pid --mount --fork --propagation slave sh -c \
	"mount --rbind --make-rslave $TMP/p $TMP/view; exec sleep 600" > /dev/null 2>&1 &
BG="$BG $!"
dpid=$(ns_init $!)
for _ in $(seq 50); do grep -q " $TMP/view " /proc/$dpid/mountinfo && break; sleep 0.1; done
got=$(in_cgroup "$d" nsenter -t "$dpid" -m -p cat "$TMP/view/mnt3/proc/meminfo" | kb MemTotal)
is "$got" "262144" "a container with the directory bound reads its 256 MiB through it"
CVIEWFS_PID=$pid3
rt_restart_hard "$MNT3"
got=$(in_cgroup "$d" nsenter -t "$dpid" -m -p cat "$TMP/view/mnt3/proc/meminfo" | kb MemTotal)
is "$got" "262144" "after kill -9 and a new daemon, the same container reads fresh numbers, no remount needed"
kill "$pid2"

done_testing
