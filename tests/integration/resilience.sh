#!/bin/bash
# A crash or an upgrade of the serving process never fails a read: 16
# readers in 16 containers read meminfo, stat and cpuinfo in a loop while
# the serving process is killed with SIGKILL 20 times, then while SIGUSR1
# swaps between two builds 20 times. Also: SIGUSR2's round trip, and what
# happens when the supervisor itself is killed.
. "$TESTLIB"
READER=$(dirname "$TESTLIB")/resilience_reader.py
NREADERS=16
ROUNDS=20

# On any exit: the readers are killed before their cgroups are removed (a
# reader blocked in a lost request would keep them busy).
kill_readers() {
	[ -f "$TMP/containers" ] || return 0
	while read -r n; do
		for d in $(ctr_v1_dirs "$n") "/sys/fs/cgroup/cviewfs.ctr/$n"; do
			[ -f "$d/cgroup.procs" ] && xargs -r kill -KILL < "$d/cgroup.procs" 2>/dev/null
		done
	done < "$TMP/containers"
	sleep 0.2
}
on_cleanup kill_readers

# FUSE_NOTIFY_RESEND (Linux 6.9) hands a request a killed serving process
# had taken to its successor; without it that reader stays blocked until it
# is killed (the README says so).
kernel_has_resend() { python3 - "$(uname -r)" <<'PY'
import re, sys
m = re.match(r"(\d+)\.(\d+)", sys.argv[1])
sys.exit(0 if m and (int(m[1]), int(m[2])) >= (6, 9) else 1)
PY
}

[ -x "${CVIEWFS_NEXT-}" ] || bail "CVIEWFS_NEXT (a second build of cviewfs) is not set"
# The daemon runs from an installed path, as a package would install it,
# so that an upgrade can replace the file under it.
mkdir -p "$TMP/bin"
install_build() { cp "$1" "$TMP/bin/.cviewfs.new" && mv -f "$TMP/bin/.cviewfs.new" "$TMP/bin/cviewfs"; }
install_build "$CVIEWFS"
VERSION_A=$("$CVIEWFS" --version)
VERSION_B=$("$CVIEWFS_NEXT" --version)
ok "$([ "$VERSION_A" != "$VERSION_B" ] && echo 1)" "two builds with different versions ($VERSION_A, $VERSION_B)"

MNT=$TMP/mnt
# A sanitizer build would catch the SIGSEGV sent below and exit instead.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"
CVIEWFS=$TMP/bin/cviewfs start_cviewfs "$MNT" -l
SUP=$CVIEWFS_PID

# serving: the supervisor's child that serves: its newest (a replaced one
# may still be finishing its exit, e.g. a sanitizer's leak check).
serving() {
	local c newest="" best=-1 start
	for c in $(cat "/proc/$SUP/task/$SUP/children" 2>/dev/null); do
		start=$(sed 's/.*) //' "/proc/$c/stat" 2>/dev/null | awk '{print $20}')
		[ -n "$start" ] && [ "$start" -gt "$best" ] && best=$start newest=$c
	done
	echo "$newest"
}
# wait_serving OLD: waits until a process other than OLD serves (up to 5 s);
# prints how long the mount took to answer again, in ms.
wait_serving() {
	local old=$1 t0 now w
	t0=$(date +%s%N)
	for _ in $(seq 500); do
		w=$(serving)
		if [ -n "$w" ] && [ "$w" != "$old" ] && head -c1 "$MNT/proc/uptime" >/dev/null 2>&1; then
			now=$(date +%s%N)
			echo $(( (now - t0) / 1000000 ))
			return 0
		fi
		sleep 0.01
	done
	echo timeout
	return 1
}

start_readers() { # TAG
	rm -f "$TMP/stop"
	READER_PIDS=""
	for i in $(seq $NREADERS); do
		# 128..143 MiB: each container's own MemTotal shows.
		local mb=$((127 + i))
		local name
		name=$(new_ctr 0 max $((mb << 20)))
		ctr_run "$name" "$MNT" python3 "$READER" $((mb * 1024)) "$TMP/stop" "$TMP/$1.$i" &
		READER_PIDS="$READER_PIDS $!"
	done
	# Every reader has read at least once before anything is killed.
	sleep 1
}

stop_readers() { # TAG: checks and reports what the readers saw
	touch "$TMP/stop"
	# A reader blocked for good (a request lost with a dead process) must
	# fail the test, not hang it.
	local hung=0 deadline=$(( $(date +%s) + 30 ))
	for p in $READER_PIDS; do
		while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
		if kill -0 "$p" 2>/dev/null; then
			hung=$((hung + 1))
			kill -KILL "$p"
		fi
		wait "$p"
	done
	# A blocked reader is its namespace's init, below the process killed.
	kill_readers
	if [ "$1" = crash ] && ! kernel_has_resend; then
		skip "Linux $(uname -r) has no FUSE_NOTIFY_RESEND: $hung of $NREADERS readers whose read a killed serving process had taken stayed blocked"
		NREPORTED=$((NREADERS - hung))
	else
		is "$hung" 0 "$1: no reader was left blocked"
		NREPORTED=$NREADERS
	fi
	local results
	results=$(cat "$TMP/$1".* 2>/dev/null)
	local n reads failures backwards longest
	n=$(echo "$results" | grep -c '^reads=')
	reads=$(echo "$results" | sed 's/.*reads=\([0-9]*\).*/\1/' | awk '{s += $1} END {print s + 0}')
	failures=$(echo "$results" | sed 's/.*failures=\([0-9]*\).*/\1/' | awk '{s += $1} END {print s + 0}')
	backwards=$(echo "$results" | sed 's/.*backwards=\([0-9]*\).*/\1/' | awk '{s += $1} END {print s + 0}')
	longest=$(echo "$results" | sed 's/.*longest=\([0-9.]*\).*/\1/' | sort -g | tail -1)
	is "$n" "$NREPORTED" "$1: all $NREPORTED readers that were not blocked reported"
	if [ "$NREPORTED" = 0 ]; then
		skip "$1: every reader was caught in a killed process's read: none reported"
	else
		ok "$([ "$reads" -gt $((NREPORTED * 20)) ] && echo 1)" "$1: the readers kept reading ($reads reads)"
	fi
	if [ "$1" = crash ] && ! kernel_has_resend && [ "$failures" != 0 ]; then
		# Seen on Linux 6.1: a read through a file held open across a
		# kill can fail with EIO. Reported, not hidden; see
		# docs/resilience.md, "Kernels without FUSE_NOTIFY_RESEND".
		skip "Linux $(uname -r) has no FUSE_NOTIFY_RESEND: $failures of $reads reads failed across the kills: $(echo "$results" | grep -v 'failures=0 ' | head -1)"
	else
		is "$failures" 0 "$1: no read failed or showed wrong content $(echo "$results" | grep -v 'failures=0 ' | head -1)"
	fi
	is "$backwards" 0 "$1: /proc/stat never went backwards in any container"
	ok "$(awk -v l="$longest" 'BEGIN {exit !(l < 5)}' && echo 1)" "$1: longest stall of one read round: ${longest}s"
	# (Names are never reused: a cgroup whose killed reader is still
	# exiting is removed at the end.)
	remove_ctrs
}

# --- 20 crashes ---
start_readers crash
worst=0 restarts=0
for r in $(seq $ROUNDS); do
	w=$(serving)
	kill -KILL "$w"
	ms=$(wait_serving "$w") && restarts=$((restarts + 1))
	[ "$ms" != timeout ] && [ "$ms" -gt "$worst" ] && worst=$ms
	sleep 0.2
done
is "$restarts" "$ROUNDS" "after each of $ROUNDS SIGKILLs a new serving process took over (slowest: $worst ms)"
ok "$(kill -0 "$SUP" && mounted "$MNT" && echo 1)" "the supervisor and the mount are untouched"
ok "$(grep -q 'killed by signal 9' "$TMP/daemon.log" && echo 1)" "the supervisor logs how the serving process died"
stop_readers crash

# --- a crash is logged, and its core kept where kernel.core_pattern says ---
w=$(serving)
cwd=$(readlink "/proc/$w/cwd")
touch "$TMP/before-crash"
kill -SEGV "$w"
wait_serving "$w" >/dev/null
line=$(grep "serving process $w was killed by signal 11" "$TMP/daemon.log")
ok "$line" "a SIGSEGV is logged with its signal: $line"
pattern=$(cat /proc/sys/kernel/core_pattern)
if ! echo "$line" | grep -q 'core dumped'; then
	skip "no core dump here (core limit 0, or a sanitizer build, which disables them)"
elif [ -n "${CVIEWFS_UML_OUT-}" ]; then
	# Seen twice in three runs: the kernel says "core dumped" but no file
	# appears on the guest's overlay root.
	skip "in the User-Mode Linux guest the core file is not reliably written to its overlay root"
elif [ "${pattern#|}" != "$pattern" ]; then
	ok 1 "the core went to the handler in kernel.core_pattern ($pattern)"
else
	# A plain pattern: a file named after it, relative to the crashed
	# process's directory unless absolute. Removed again: it is ours.
	case $pattern in /*) dir=$(dirname "$pattern") base=$(basename "$pattern") ;; *) dir=$cwd base=$pattern ;; esac
	for _ in $(seq 50); do # (a slow machine may still be writing it)
		core=$(find "$dir" -maxdepth 1 -name "${base%%%*}*" -newer "$TMP/before-crash" -type f | head -1)
		[ -n "$core" ] && break
		sleep 0.1
	done
	ok "$core" "the core is where kernel.core_pattern '$pattern' puts it (${core:-nothing in $dir})"
	[ -n "$core" ] && rm -f "$core"
fi

# --- 20 upgrades, alternating between the two builds ---
start_readers upgrade
upgraded=0 worst=0
for r in $(seq $ROUNDS); do
	if [ $((r % 2)) = 1 ]; then install_build "$CVIEWFS_NEXT"; want=$VERSION_B; else install_build "$CVIEWFS"; want=$VERSION_A; fi
	w=$(serving)
	kill -USR1 "$SUP"
	ms=$(wait_serving "$w")
	[ "$ms" != timeout ] && [ "$ms" -gt "$worst" ] && worst=$ms
	got=$("/proc/$(serving)/exe" --version 2>/dev/null)
	[ "$got" = "$want" ] && upgraded=$((upgraded + 1))
	sleep 0.2
done
is "$upgraded" "$ROUNDS" "each of $ROUNDS SIGUSR1s put the newly installed build in charge (slowest: $worst ms)"
stop_readers upgrade

# A broken upgrade keeps the running version.
printf '#!/bin/sh\nexit 1\n' > "$TMP/bin/.cviewfs.new" && chmod +x "$TMP/bin/.cviewfs.new" &&
	mv -f "$TMP/bin/.cviewfs.new" "$TMP/bin/cviewfs"
w=$(serving)
kill -USR1 "$SUP"
sleep 1
is "$(serving)" "$w" "an upgrade to a binary that cannot serve leaves the running one in charge"
ok "$(grep -q 'upgrade failed' "$TMP/daemon.log" && head -c1 "$MNT/proc/meminfo" >/dev/null && echo 1)" "and is logged; reads go on"
install_build "$CVIEWFS"

# --- SIGUSR2: host values and back ---
name=$(new_ctr 0 max $((200 << 20)))
memtotal() { in_cgroup "$name" awk '/^MemTotal:/ {print $2}' "$MNT/proc/meminfo"; }
is "$(memtotal)" 204800 "a 200 MiB container sees its limit"
kill -USR2 "$SUP"
sleep 0.3
is "$(memtotal)" "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)" "SIGUSR2: it sees the host's MemTotal"
w=$(serving)
kill -KILL "$w"
wait_serving "$w" >/dev/null
is "$(memtotal)" "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)" "a restarted serving process keeps virtualization off"
kill -USR2 "$SUP"
sleep 0.3
is "$(memtotal)" 204800 "a second SIGUSR2 switches it back on"

# --- a request the dead process had taken is answered by its successor ---
# (FUSE_NOTIFY_RESEND, Linux 6.9; a test build's serving process can be told
# to take one READ and never answer it.)
MNT2=$TMP/mnt2
CVIEWFS_TEST_STALL_ONCE=$TMP/stalled CVIEWFS=$TMP/bin/cviewfs start_cviewfs "$MNT2"
SUP2=$CVIEWFS_PID
timeout 20 cat "$MNT2/proc/uptime" > "$TMP/held-read" 2>&1 &
held=$!
for _ in $(seq 100); do [ -e "$TMP/stalled" ] && break; sleep 0.05; done
if [ ! -e "$TMP/stalled" ]; then
	skip "this build cannot stall a read (not a test build)"
elif kernel_has_resend; then
	sleep 0.2
	w=$(cat "/proc/$SUP2/task/$SUP2/children" | awk '{print $1}')
	kill -KILL "$w"
	wait "$held"
	rc=$?
	ok "$([ $rc = 0 ] && grep -qE '^[0-9.]+ [0-9.]+$' "$TMP/held-read" && echo 1)" "a read taken by a process killed before answering is answered by its successor (exit $rc: $(cat "$TMP/held-read"))"
else
	kill "$held"
	skip "Linux $(uname -r) has no FUSE_NOTIFY_RESEND: such a read blocks until killed"
fi
kill -TERM "$SUP2"
wait "$SUP2"

# --- the mount ended from outside: the daemon stops instead of restarting ---
# exits_within SECONDS PID: true once PID has exited (its status in $EXIT).
exits_within() {
	for _ in $(seq $(($1 * 10))); do
		kill -0 "$2" 2>/dev/null || { wait "$2"; EXIT=$?; return 0; }
		sleep 0.1
	done
	return 1
}
restarts() { grep -c 'starting another' "$TMP/daemon.log"; }
# Aborting a connection needs the fusectl filesystem; mounted for the test
# if the host has not.
FUSECTL=/sys/fs/fuse/connections
if ! grep -q " $FUSECTL fusectl " /proc/mounts && mount -t fusectl none "$FUSECTL" 2>/dev/null; then
	unmount_fusectl() { umount "$FUSECTL"; }
	on_cleanup unmount_fusectl
fi
for how in umount abort; do
	M2=$TMP/mnt-$how
	start_cviewfs "$M2"
	before=$(restarts)
	if [ $how = umount ]; then
		umount "$M2"
	else
		# The connection is named by the mount's device number (0:N).
		echo 1 > "$FUSECTL/$(mountpoint -d "$M2" | cut -d: -f2)/abort"
	fi
	if exits_within 5 "$CVIEWFS_PID"; then
		ok "$([ "$EXIT" = 0 ] && [ "$(restarts)" = "$before" ] && echo 1)" \
			"after $how the daemon exits with 0 and starts no serving process (exit $EXIT)"
	else
		ok "" "after $how the daemon exits with 0 and starts no serving process (still running)"
		kill "$CVIEWFS_PID"
	fi
	grep -q " $M2 " /proc/mounts && umount -l "$M2"
done
is "$(grep -c 'found the filesystem unmounted or its connection aborted' "$TMP/daemon.log")" "2" \
	"the log says why, once per daemon"

# --- the supervisor killed: the one unrecoverable case ---
# Its serving process dies with it (nothing would restart or stop it), and
# the mount is dead: readers get ENOTCONN until a new daemon is started and
# the containers' binds are renewed (cviewfs-toolkit remount --all).
w=$(serving)
kill -KILL "$SUP"
wait "$SUP" 2>/dev/null
sleep 0.5
# (Gone, or a zombie until whoever inherited it reaps it.)
state=$(awk '{print $3}' "/proc/$w/stat" 2>/dev/null)
ok "$([ -z "$state" ] || [ "$state" = Z ] && echo 1)" "killing the supervisor takes its serving process down too ($w: ${state:-gone})"
err=$(cat "$MNT/proc/meminfo" 2>&1 >/dev/null)
ok "$(echo "$err" | grep -q 'not connected' && echo 1)" "the old mount then answers 'Transport endpoint is not connected'"
CVIEWFS=$TMP/bin/cviewfs start_cviewfs "$MNT"
got=$(head -c9 "$MNT/proc/meminfo")
is "$got" "MemTotal:" "a new daemon on the same mountpoint serves again"
[ "$got" = "MemTotal:" ] || { grep /mnt /proc/mounts; tail -8 "$TMP/daemon.log"; } >&2

done_testing
