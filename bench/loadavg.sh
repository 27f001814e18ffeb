#!/bin/bash
# The cost of per-container load averages (-l): N containers (cgroups) of
# THREADS sleeping threads each read proc/loadavg once, then the daemon's CPU
# time, RSS and threads are measured over SECONDS. Run as root on a cgroup v1
# or hybrid host (cpuacct cgroups are created, uniquely named, and removed).
#   bench/loadavg.sh [N=1000] [THREADS=10] [SECONDS=60]
set -u
N=${1:-1000} THREADS=${2:-10} SECONDS_=${3:-60}
cd "$(dirname "$0")/.."
BIN=${CVIEWFS:-build/cviewfs}
TMP=$(mktemp -d /tmp/cviewfs-bench.XXXXXX)
CG=/sys/fs/cgroup/cpuacct
[ -d "$CG" ] || { echo "needs a v1 cpuacct hierarchy at $CG" >&2; exit 1; }
PIDS=""
cleanup() {
	[ -n "$PIDS" ] && kill $PIDS 2>/dev/null
	wait 2>/dev/null
	[ -f "$TMP/pid" ] && kill "$(cat "$TMP/pid")" 2>/dev/null
	for _ in $(seq 50); do grep -q " $TMP/mnt " /proc/mounts || break; sleep 0.1; done
	grep -q " $TMP/mnt " /proc/mounts && umount -l "$TMP/mnt"
	for i in $(seq "$N"); do rmdir "$CG/cvb-$$-$i" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

cc -O2 -pthread -o "$TMP/sleeper" bench/sleeper.c || exit 1
mkdir "$TMP/mnt"
"$BIN" -l -p "$TMP/pid" "$TMP/mnt" || exit 1
DAEMON=$(cat "$TMP/pid")

for i in $(seq "$N"); do
	mkdir "$CG/cvb-$$-$i"
	sh -c "echo \$\$ > $CG/cvb-$$-$i/cgroup.procs; exec $TMP/sleeper $TMP/mnt/proc/loadavg $THREADS" &
	PIDS="$PIDS $!"
done
sleep 6 # every reader has read once, and one sampling period has passed

cpu() { awk '{print $14 + $15}' "/proc/$DAEMON/stat"; }
hz=$(getconf CLK_TCK)
c0=$(cpu)
t0=$(date +%s.%N)
sleep "$SECONDS_"
c1=$(cpu)
t1=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$DAEMON/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$DAEMON/status")
python3 - "$c0" "$c1" "$t0" "$t1" "$hz" "$N" "$THREADS" "$rss" "$threads" <<'PY'
import sys
c0, c1, t0, t1, hz = (float(x) for x in sys.argv[1:6])
n, th, rss, threads = sys.argv[6:10]
pct = 100 * (c1 - c0) / hz / (t1 - t0)
print(f"loadavg sampler: {n} containers x {th} threads, {t1 - t0:.0f} s: "
      f"daemon CPU {pct:.2f}% of one core, RSS {int(rss) // 1024} MiB, {threads} threads")
PY
