#!/bin/bash
# Renders that never end do not hold up other containers: request threads
# stuck rendering (here: a cgroup file that is a FIFO nobody writes, whose
# open() blocks) give their lane to other threads (serve/loop.h), so the
# next container's read is answered; and once the files can be read, the
# stuck reads finish with whole files. A fixture cgroup v2 tree as in
# v2_fixture.sh, read with --view-from reader so that each reader's own
# cgroup is its container.
set -u
. "$TESTLIB"

CG=$TMP/cg PROC=$TMP/proc SYS=$TMP/sys
mkdir -p "$CG" "$PROC/self/ns" "$SYS/devices/system/cpu"
echo "cpuset cpu io memory pids" > "$CG/cgroup.controllers"
for f in meminfo stat cpuinfo uptime loadavg swaps diskstats partitions slabinfo; do cp /proc/$f "$PROC/$f"; done
echo self > "$PROC/self/ns/pid"
echo 0 > "$SYS/devices/system/cpu/online"

# More stuck renders than request threads may take requests at once (two
# per CPU), and the ordinary container.
STUCK=$(( 2 * $(nproc) + 2 ))
for i in $(seq "$STUCK"); do
	d=$CG/stuck/c$i
	mkdir -p "$d"
	echo $(( (100 + i) << 20 )) > "$d/memory.max"
	echo 1048576 > "$d/memory.current"
	mkfifo "$d/memory.stat"
done
mkdir -p "$CG/ordinary"
echo $((64 << 20)) > "$CG/ordinary/memory.max"
echo 1048576 > "$CG/ordinary/memory.current"
cp "$FIXTURES/memory-stat/v2" "$CG/ordinary/memory.stat"

# Whatever happens, the FIFOs get a writer: nothing stays blocked on them.
release_fifos() {
	for i in $(seq "$STUCK"); do
		[ -p "$CG/stuck/c$i/memory.stat" ] && timeout 2 sh -c "cat '$FIXTURES/memory-stat/v2' > '$CG/stuck/c$i/memory.stat'"
	done
	return 0
}
on_cleanup release_fifos

MNT=$TMP/mnt
CVIEWFS_TEST_CGROUP_ROOT=$CG CVIEWFS_TEST_PROC_ROOT=$PROC CVIEWFS_TEST_SYS_ROOT=$SYS start_cviewfs "$MNT" --view-from reader

# read_as FILE CGROUP: a real process, registered in the fixture proc with
# its own pid namespace and CGROUP, reads FILE.
read_as() {
	PROC=$PROC OWN=$2 sh -c '
		P=$$
		mkdir -p "$PROC/$P/ns"
		echo "ns$P" > "$PROC/$P/ns/pid"
		printf "Name:\tsh\nPPid:\t1\nNSpid:\t%s\t1\n" "$P" > "$PROC/$P/status"
		echo "$P (sh) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 1000 100" > "$PROC/$P/stat"
		echo "0::$OWN" > "$PROC/$P/cgroup"
		exec cat "$1"' sh "$1"
}

serving=$(cat "/proc/$CVIEWFS_PID/task/$CVIEWFS_PID/children" 2>/dev/null | awk '{print $1}')
# Threads of the serving process blocked opening a FIFO.
blocked() { grep -l -E 'fifo|wait_for_partner' /proc/"$serving"/task/*/wchan 2>/dev/null | wc -l; }

threads() { ls /proc/"$serving"/task | wc -l; }
LANES=$(( 2 * $(nproc) ))

# stick: the stuck readers start and block.
stick() {
	for i in $(seq "$STUCK"); do
		read_as "$MNT/proc/meminfo" "/stuck/c$i" > "$TMP/stuck.$i" 2>&1 &
		eval "STUCK_PID_$i=$!"
	done
	for _ in $(seq 100); do [ "$(blocked)" -ge "$STUCK" ] && break; sleep 0.1; done
}

# unstick WHAT: the FIFOs get their writers; every stuck read must finish
# with its container's whole meminfo.
unstick() {
	release_fifos
	done_ok=0
	for i in $(seq "$STUCK"); do
		eval "pid=\$STUCK_PID_$i"
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && continue
		[ "$(kb MemTotal < "$TMP/stuck.$i")" = "$(( (100 + i) * 1024 ))" ] &&
			[ "$(wc -l < "$TMP/stuck.$i")" = "$(wc -l < "$PROC/meminfo")" ] && done_ok=$((done_ok + 1))
	done
	is "$done_ok" "$STUCK" "$1"
}

before=$(threads)
stick
is "$(blocked)" "$STUCK" "$STUCK renders are stuck opening their container's memory.stat"
peak=$(threads)

m=$(timeout 10 bash -c "$(declare -f read_as); PROC=$PROC read_as $MNT/proc/meminfo /ordinary")
is "$(echo "$m" | kb MemTotal)" "65536" "meanwhile another container's read is answered (its 64 MiB)"
up=$(timeout 10 bash -c "$(declare -f read_as); PROC=$PROC read_as $MNT/proc/uptime /ordinary")
ok "$(echo "$up" | grep -Eq '^[0-9]+\.[0-9]+ [0-9]+\.[0-9]+$' && echo 1)" "and so is its uptime ($up)"

unstick "once the files can be read, every stuck read finishes with its container's whole meminfo"

# Threads made for the burst end once they waited 10 s for a lane: at
# most one per lane stays beyond those there were before.
for _ in $(seq 200); do [ "$(threads)" -le $((before + LANES)) ] && break; sleep 0.1; done
after=$(threads)
ok "$(( peak >= before + STUCK && after <= before + LANES ))" \
	"the threads made for the stuck renders end once idle ($before threads, $peak while stuck, $after 20 s later)"

# Threads started again, in the slots (and journal pages) of those that
# ended, serve as the first ones did. The renders are no longer cached
# after 10 s: they are stuck again.
stick
is "$(blocked)" "$STUCK" "a second burst: $STUCK renders stuck again"
unstick "... and every one finishes with its container's whole meminfo"
ok "$(kill -0 "$CVIEWFS_PID" && mounted "$MNT" && echo 1)" "the daemon is still serving"
done_testing
