# Sourced by resilience.sh and crash.sh (after $TESTLIB): readers in
# containers that read the mount in a loop (resilience_reader.py), the
# serving process of a daemon, and the checks on what the readers saw.
# Needs MNT (the mount) and SUP (the supervisor's pid).
READER=$(dirname "$TESTLIB")/resilience_reader.py

# On any exit: the readers are killed before their cgroups are removed.
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

# serving: the supervisor's child that serves: its newest (a replaced one
# may still be finishing its exit, e.g. a sanitizer's leak check) among
# those already running a serving process's image (CVIEWFS_SERVE in their
# environment): not the "--version" an upgrade asks the new binary first,
# nor a child forked and not yet exec'd, which still runs the supervisor's.
serving() {
	local c newest="" best=-1 start
	for c in $(cat "/proc/$SUP/task/$SUP/children" 2>/dev/null); do
		tr '\0' '\n' < "/proc/$c/environ" 2>/dev/null | grep -q '^CVIEWFS_SERVE=' || continue
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
		if [ -n "$w" ] && [ "$w" != "$old" ] && timeout 5 head -c1 "$MNT/proc/uptime" >/dev/null 2>&1; then
			now=$(date +%s%N)
			echo $(( (now - t0) / 1000000 ))
			return 0
		fi
		sleep 0.01
	done
	echo timeout
	return 1
}

# start_readers TAG CONTAINERS PER: PER readers in each of CONTAINERS
# containers (128, 129, ... MiB: each container's own MemTotal shows).
start_readers() {
	rm -f "$TMP/stop"
	READER_PIDS="" NREADERS=0
	for i in $(seq "$2"); do
		local mb=$((127 + i)) name
		name=$(new_ctr 0 max $((mb << 20)))
		for j in $(seq "$3"); do
			ctr_run "$name" "$MNT" python3 "$READER" $((mb * 1024)) "$TMP/stop" "$TMP/$1.$i.$j" &
			READER_PIDS="$READER_PIDS $!"
			NREADERS=$((NREADERS + 1))
		done
	done
	# Every reader has read at least once before anything is killed.
	sleep 1
}

# sum_field NAME: the sum of NAME=N over the result lines on stdin.
sum_field() {
	awk -v k="$1" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) s += substr($i, length(k) + 2) } END { print s + 0 }'
}

# stop_readers TAG: stops the readers and checks what they saw.
stop_readers() {
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
	done
	# A blocked reader is its namespace's init, below the process killed;
	# one blocked in a FUSE request cannot even be killed: no wait here.
	kill_readers
	is "$hung" 0 "$1: no reader was left blocked"
	local results n reads failures backwards longest
	results=$(cat "$TMP/$1".* 2>/dev/null)
	n=$(echo "$results" | grep -c '^reads=')
	reads=$(echo "$results" | sum_field reads)
	failures=$(echo "$results" | sum_field failures)
	backwards=$(echo "$results" | sum_field backwards)
	longest=$(echo "$results" | tr ' ' '\n' | sed -n 's/^longest=//p' | sort -g | tail -1)
	is "$n" "$NREADERS" "$1: all $NREADERS readers reported"
	ok "$([ "$reads" -gt $((NREADERS * 20)) ] && echo 1)" "$1: the readers kept reading ($reads reads)"
	if [ "$1" = crash ] && [ -n "${CVIEWFS_UML_OUT-}" ] && [ "$failures" != 0 ] && ! echo "$results" | grep -v 'failures=0 ' | grep -qv 'Input/output'; then
		# User-Mode Linux pins a reader's buffer page by page (it has no
		# lockless get_user_pages), so a request being copied to a
		# serving process as it is killed fails with EIO there; with the
		# journal's pages present, real kernels copy without a fault.
		skip "User-Mode Linux: $failures of $reads reads failed with EIO across the kills (docs/resilience.md)"
	else
		is "$failures" 0 "$1: no read failed or showed wrong content $(echo "$results" | grep -v 'failures=0 ' | head -1)"
	fi
	is "$backwards" 0 "$1: no counter any reader saw went back (stat's cpu lines, uptime) $(echo "$results" | grep -v 'backwards=0 ' | head -1)"
	# How long readers waited is reported, not judged: it depends on the
	# machine (a User-Mode Linux guest takes over in 0.2-1 s, and a reader
	# caught by several kills in a row waits for each). A reader that
	# waited for good is caught above.
	echo "# $1: longest stall of one read round: ${longest}s"
	# (Names are never reused: a cgroup whose killed reader is still
	# exiting is removed at the end.)
	remove_ctrs
}
