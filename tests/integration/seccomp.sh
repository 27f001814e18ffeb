#!/bin/bash
# The seccomp agent: a container process that hands its notify descriptor
# to the daemon's socket (as runc and crun do for linux.seccomp.listenerPath)
# gets sysinfo(2) from its own container, sched_getaffinity(2) cut to its
# CPU quota with --enable-cfs, and never a failed call while serving
# processes die.
. "$TESTLIB"
CLIENT=${SECCOMP_CLIENT:?}
MNT=$TMP/mnt
SOCK=$MNT.seccomp.sock
PROM=$MNT.prom
export CVIEWFS_METRICS_INTERVAL=0.2 # the metrics file, rewritten every 0.2 s
start_cviewfs "$MNT" --enable-cfs
metric() { awk -v k="$1" '$1 == k {print $2}' "$PROM" 2>/dev/null; }
# until: waits (5 s at most) for the metric to satisfy the awk test on v
until_metric() {
	local v
	for _ in $(seq 100); do
		v=$(metric "$1")
		[ -n "$v" ] && awk -v v="$v" "BEGIN {exit !($2)}" && break
		sleep 0.05
	done
	echo "${v:-none}"
}
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
ok "$([ -S "$SOCK" ] && echo 1)" "the daemon listens at the pid file's path with .seccomp.sock ($SOCK)"
is "$(stat -c %a "$SOCK")" 700 "the socket is root's only"

name=$(new_ctr 0-1 50000 $((256 << 20)))
# A container: its cgroups and a pid namespace of its own.
in_ctr() { in_cgroup "$name" unshare --pid --fork --mount-proc "$@"; }

read -r total uptime procs unit <<<"$(in_ctr "$CLIENT" "$SOCK" sysinfo)"
is "$total" $((256 << 20)) "sysinfo: totalram x mem_unit is the container's 256 MiB"
is "$unit" 1 "sysinfo: mem_unit 1"
ok "$([ -n "$uptime" ] && [ "$uptime" -lt 5 ] && echo 1)" "sysinfo: uptime is the container's age (${uptime} s)"
ok "$([ -n "$procs" ] && [ "$procs" -ge 1 ] && [ "$procs" -lt 10 ] && echo 1)" "sysinfo: procs counts the container's threads ($procs)"
free_kb=$(in_ctr sh -c "awk '/^MemTotal:/ {print \$2}' $MNT/proc/meminfo")
is "$((total / 1024))" "$free_kb" "sysinfo agrees with the container's /proc/meminfo"
is "$(in_ctr "$CLIENT" "$SOCK" nproc)" 1 "sched_getaffinity with --enable-cfs: 0.5 CPU is 1 CPU"
is "$(in_ctr "$CLIENT" "$SOCK" efault)" "Bad address Bad address" "sysinfo at NULL or an unmapped page: EFAULT, as the kernel's own"
# A thread's number reused by another process while the thread's own
# process lives on (its memory still there): the answer goes to the new
# caller, not into the old process at the same address. In the host's pid
# namespace, where ns_last_pid gives the number back.
if [ -w /proc/sys/kernel/ns_last_pid ]; then
	for who in thread leader; do
		read -r attempts reused <<<"$(in_cgroup "$name" "$CLIENT" "$SOCK" reuse $who)"
		is "$reused" $((256 << 20)) "a $who's id reused by another process: its sysinfo is its own (attempts: $attempts)"
	done
else
	skip "this kernel has no ns_last_pid (CONFIG_CHECKPOINT_RESTORE) to hand a thread id back"
	skip "this kernel has no ns_last_pid (CONFIG_CHECKPOINT_RESTORE) to hand a process id back"
fi
host_cpus=$(nproc)
is "$("$CLIENT" "$SOCK" nproc)" "$host_cpus" "a host process keeps every CPU ($host_cpus)"
is "$("$CLIENT" "$SOCK" sysinfo | cut -d' ' -f1)" "$(( $(kb MemTotal < /proc/meminfo) * 1024 ))" \
	"a host process gets the host's memory"

# Serving processes killed while the container calls sysinfo in a loop.
serving() {
	local c
	for c in $(cat "/proc/$CVIEWFS_PID/task/$CVIEWFS_PID/children" 2>/dev/null); do
		tr '\0' '\n' < "/proc/$c/environ" 2>/dev/null | grep -q '^CVIEWFS_SERVE=' && echo "$c"
	done | tail -1
}
# A thread per container's listener (named seccomp-listen), gone with its
# container.
threads() { cat /proc/"$(serving)"/task/*/comm 2>/dev/null | grep -c '^seccomp-listen$'; }
settled() { # the count once the last containers' threads are gone
	local a b=$(threads)
	for _ in $(seq 50); do sleep 0.1; a=$b; b=$(threads); [ "$a" = "$b" ] && break; done
	echo "$b"
}
before=$(settled)
in_ctr "$CLIENT" "$SOCK" hold 3 &
holder=$!
for _ in $(seq 50); do [ "$(threads)" -gt "$before" ] && break; sleep 0.1; done
is "$(threads)" "$((before + 1))" "a container running: one listener thread more ($before, then $(threads))"
wait "$holder"
for _ in $(seq 20); do in_ctr "$CLIENT" "$SOCK" sysinfo >/dev/null; done
is "$(settled)" "$before" "20 containers came and went: the serving process has its $before listener threads again"

in_ctr "$CLIENT" "$SOCK" loop 4 > "$TMP/loop.out" &
loop=$!
sleep 0.5
killed=0
for _ in 1 2 3 4 5; do
	w=$(serving)
	[ -n "$w" ] && kill -KILL "$w" && killed=$((killed + 1))
	sleep 0.5
done
wait "$loop"
read -r _ calls _ failed _ enosys _ totals _ last < "$TMP/loop.out"
kill_calls=$calls
ok "$([ "$killed" = 5 ] && [ "${calls:-0}" -gt 100 ] && echo 1)" "$killed serving processes killed during $calls sysinfo calls"
is "$failed $enosys" "0 0" "no call failed, none with ENOSYS"
is "$totals $last" "1 $((256 << 20))" "every call saw the container's 256 MiB"

# An upgrade of the supervisor itself keeps the descriptors.
in_ctr "$CLIENT" "$SOCK" loop 3 > "$TMP/upgrade.out" &
loop=$!
sleep 0.5
kill -USR1 "$CVIEWFS_PID"
wait "$loop"
read -r _ calls _ failed _ enosys _ totals _ last < "$TMP/upgrade.out"
is "$failed $enosys $totals $last" "0 0 1 $((256 << 20))" "through SIGUSR1 (the supervisor re-executes): $calls calls, none failed or wrong"
ok "$(grep -q 'seccomp agent: answering for container seccomp-client-' "$TMP/daemon.log" && echo 1)" \
	"each container handed over is logged with its id"

# The metrics: every call counted, across the kills and the upgrade.
answered=$(until_metric 'cviewfs_seccomp_calls_total{result="answered"}' "v >= $((kill_calls + calls))")
ok "$(awk -v v="$answered" -v m=$((kill_calls + calls)) 'BEGIN {exit !(v >= m)}' && echo 1)" \
	"metrics: $answered calls answered, at least the $((kill_calls + calls)) the loops made"
"$CLIENT" "$SOCK" hold 3 &
holder=$!
is "$(until_metric cviewfs_seccomp_containers 'v == 1')" 1 "metrics: one container held while it runs"
wait "$holder"
is "$(until_metric cviewfs_seccomp_containers 'v == 0')" 0 "metrics: none once it is gone"
ok "$("$CVIEWFS_TOOLKIT" status -p "$MNT.pid" | grep -qE '^seccomp agent: 0 containers; [0-9]+ calls: [0-9]+ answered' && echo 1)" \
	"cviewfs-toolkit status has the agent's line"

kill -TERM "$CVIEWFS_PID"
wait "$CVIEWFS_PID"
ok "$([ ! -e "$SOCK" ] && echo 1)" "stopped: the socket file is removed"
done_testing
