#!/bin/bash
# The cgroup v2 path end to end, on any host: the daemon is pointed at a
# fixture cgroup2 tree, proc root and sys root (test builds honour
# CVIEWFS_TEST_*_ROOT), and real processes read the mount as a container
# described by those fixtures would.
set -u
. "$TESTLIB"

CG=$TMP/cg PROC=$TMP/proc SYS=$TMP/sys
CTR=$CG/kubepods/pod1/ctr
mkdir -p "$CTR" "$PROC/self/ns" "$SYS/devices/system/cpu"
echo "cpuset cpu io memory pids" > "$CG/cgroup.controllers"
echo 134217728 > "$CG/kubepods/pod1/memory.max"      # the pod: 128 MiB
echo 268435456 > "$CTR/memory.max"                    # the container: 256 MiB
echo 52428800 > "$CTR/memory.current"                 # 50 MiB used
cp "$FIXTURES/memory-stat/v2" "$CTR/memory.stat"
echo 104857600 > "$CTR/memory.swap.max"               # 100 MiB of swap
echo 10485760 > "$CTR/memory.swap.current"            # 10 MiB used
printf 'usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\n' > "$CTR/cpu.stat"
echo 1 > "$CTR/cpuset.cpus.effective"
echo "max 100000" > "$CTR/cpu.max"
printf 'some avg10=1.23 avg60=0.50 avg300=0.10 total=4242\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' > "$CTR/cpu.pressure"
cp "$FIXTURES/host/meminfo-swap" "$PROC/meminfo"      # a host with 8 GiB of swap
for f in stat cpuinfo uptime loadavg swaps diskstats partitions slabinfo; do cp /proc/$f "$PROC/$f"; done
# A host kernel with PSI (whatever this one has).
mkdir -p "$PROC/pressure"
for f in cpu io memory; do
	printf 'some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' > "$PROC/pressure/$f"
done
DEV=$(awk 'NR == 1 {print $1 ":" $2}' /proc/diskstats)
echo "$DEV rbytes=1048576 wbytes=2097152 rios=16 wios=32 dbytes=0 dios=0" > "$CTR/io.stat"
echo self > "$PROC/self/ns/pid"
echo 0-3 > "$SYS/devices/system/cpu/online"
for c in 0 1 2 3; do mkdir -p "$SYS/devices/system/cpu/cpu$c/topology"; echo $c > "$SYS/devices/system/cpu/cpu$c/topology/core_id"; done

MNT=$TMP/mnt
CVIEWFS_TEST_CGROUP_ROOT=$CG CVIEWFS_TEST_PROC_ROOT=$PROC CVIEWFS_TEST_SYS_ROOT=$SYS start_cviewfs "$MNT"
MNT_R=$TMP/mnt-reader
CVIEWFS_TEST_CGROUP_ROOT=$CG CVIEWFS_TEST_PROC_ROOT=$PROC CVIEWFS_TEST_SYS_ROOT=$SYS start_cviewfs "$MNT_R" --view-from reader
ok "$(grep -q 'layout v2' "$TMP/daemon.log" && echo 1)" "the fixture is detected as a cgroup v2 host"

HZ=$(getconf CLK_TCK)
# The container's init: a fake pid whose namespace (an ns/pid file) the
# readers share through a hard link, and which started 100 s ago.
INIT=4190001
# (Or younger on a host that booted less than 100 s ago: a guest.)
AGE=$(awk '{a = int($1) - 2; print a < 100 ? a : 100}' /proc/uptime)
START=$(awk -v hz="$HZ" -v age="$AGE" '{printf "%d", ($1 - age) * hz}' /proc/uptime)
mkdir -p "$PROC/$INIT/ns"
echo ctr > "$PROC/$INIT/ns/pid"
printf 'Name:\tinit\nPPid:\t0\nNSpid:\t%s\t1\n' $INIT > "$PROC/$INIT/status"
echo "$INIT (init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 $START 1000 100" > "$PROC/$INIT/stat"
echo "0::/kubepods/pod1/ctr/init.scope" > "$PROC/$INIT/cgroup"

# read_as FILE [CGROUP]: a real process, registered in the fixture proc as
# pid 7 of the container (child of the init), reads MNT's FILE. CGROUP is
# its own cgroup (default: the container's).
read_as() {
	PROC=$PROC INIT=$INIT OWN=${2:-/kubepods/pod1/ctr} sh -c '
		P=$$
		mkdir -p "$PROC/$P/ns"
		ln -f "$PROC/$INIT/ns/pid" "$PROC/$P/ns/pid"
		printf "Name:\tsh\nPPid:\t%s\nNSpid:\t%s\t7\n" "$INIT" "$P" > "$PROC/$P/status"
		echo "$P (sh) S $INIT 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 1000 100" > "$PROC/$P/stat"
		echo "0::$OWN" > "$PROC/$P/cgroup"
		exec cat "$1"' sh "$1"
}
stat_kb() { awk -v k="$1" '$1 == k {printf "%d", $2 / 1024}' "$CTR/memory.stat"; }

m=$(read_as "$MNT/proc/meminfo")
is "$(echo "$m" | kb MemTotal)" "131072" "MemTotal is the pod's smaller limit (128 MiB)"
is "$(echo "$m" | kb MemFree)" "$((131072 - 51200))" "MemFree = MemTotal - memory.current"
is "$(echo "$m" | kb Cached)" "$(stat_kb file)" "Cached = file"
is "$(echo "$m" | kb Mapped)" "$(stat_kb file_mapped)" "Mapped = file_mapped (lxcfs loses it on v2)"
is "$(echo "$m" | kb AnonHugePages)" "$(stat_kb anon_thp)" "AnonHugePages = anon_thp"
is "$(echo "$m" | kb Slab) $(echo "$m" | kb SReclaimable) $(echo "$m" | kb SUnreclaim)" \
	"$(stat_kb slab) $(stat_kb slab_reclaimable) $(stat_kb slab_unreclaimable)" "Slab, SReclaimable, SUnreclaim from memory.stat"
is "$(echo "$m" | kb SwapTotal) $(echo "$m" | kb SwapFree)" "102400 92160" "SwapTotal = memory.swap.max, SwapFree = that - memory.swap.current"
is "$(read_as "$MNT/proc/swaps" | tail -1 | awk '{print $1, $2, $3, $4, $5}')" "none virtual 102400 10240 0" "swaps: one virtual device, 100 MiB, 10 MiB used"

is "$(read_as "$MNT/sys/devices/system/cpu/online")" "0" "cpuset.cpus.effective 1: one CPU, shown as 0"
s=$(read_as "$MNT/proc/stat")
is "$(echo "$s" | grep -c '^cpu[0-9]')" "1" "stat: one cpuN line"
is "$(echo "$s" | awk '$1 == "cpu" {print $2, $4}')" "$((1500000 * HZ / 1000000)) $((500000 * HZ / 1000000))" "stat: user and system are cpu.stat's"
up=$(read_as "$MNT/proc/uptime" | cut -d' ' -f1)
age=$(awk -v hz="$HZ" -v start="$START" '{printf "%.2f", $1 - start / hz}' /proc/uptime)
ok "$(python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) - float(sys.argv[2])) < 1.5 else 1)" "$up" "$age" && echo 1)" "uptime is the init's age ($up, the init is $age s old)"
is "$(read_as "$MNT/proc/pressure/cpu")" "$(cat "$CTR/cpu.pressure")" "pressure/cpu is the cgroup's cpu.pressure"

d=$(read_as "$MNT/proc/diskstats")
is "$(echo "$d" | wc -l) $(echo "$d" | awk '{print $1 ":" $2, $4, $6, $8, $10}')" "1 $DEV 16 2048 32 4096" \
	"diskstats: the io.stat device with its reads, sectors read, writes, sectors written"
is "$(read_as "$MNT/proc/partitions" | awk 'NF && $1 ~ /^[0-9]/' | wc -l)" "$(grep -c "^ *${DEV%:*} *${DEV#*:} " /proc/partitions)" \
	"partitions: only the io.stat device"

# The reader's own cgroup instead of its init's.
mkdir -p "$CG/other"
echo 67108864 > "$CG/other/memory.max"
echo 1048576 > "$CG/other/memory.current"
is "$(read_as "$MNT/proc/meminfo" /other | kb MemTotal)" "131072" "default: a reader in another cgroup sees its init's container"
is "$(read_as "$MNT_R/proc/meminfo" /other | kb MemTotal)" "65536" "--view-from reader: it sees its own 64 MiB cgroup"

# Malformed input never crashes the daemon nor empties a file.
host_total=$(kb MemTotal < "$PROC/meminfo")
echo max > "$CG/kubepods/pod1/memory.max"
echo max > "$CTR/memory.max"
past_window
is "$(read_as "$MNT/proc/meminfo" | kb MemTotal)" "$host_total" "max at every level: the host's MemTotal"
for bad in "" "12abc" "-5" "99999999999999999999999"; do
	printf '%s' "$bad" > "$CTR/memory.max"
	is "$(read_as "$MNT/proc/meminfo" | kb MemTotal)" "$host_total" "memory.max '$bad': the host's MemTotal, file still whole"
done
echo "not a stat file" > "$CTR/memory.stat"
m=$(read_as "$MNT/proc/meminfo")
ok "$([ "$(echo "$m" | wc -l)" = "$(wc -l < "$PROC/meminfo")" ] && echo 1)" "garbage memory.stat: still every line"
rm -rf "$CTR"
m=$(read_as "$MNT/proc/meminfo")
ok "$([ "$(echo "$m" | kb MemTotal)" -gt 0 ] && [ "$(echo "$m" | wc -l)" = "$(wc -l < "$PROC/meminfo")" ] && echo 1)" "the container's cgroup removed: a whole file with host values"
ok "$(read_as "$MNT/proc/stat" | grep -q '^cpu ' && echo 1)" "... and a whole stat"
ok "$(kill -0 "$CVIEWFS_PID" && mounted "$MNT" && echo 1)" "the daemon survived all of it"
ok "$(grep -q 'unparsable content; using the host' "$TMP/daemon.log" && echo 1)" "the fallbacks were logged"

done_testing
