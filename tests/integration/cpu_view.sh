#!/bin/bash
# One CPU view for every file, in real containers (cgroups + pid and mount
# namespaces, cviewfs's files bound over /proc and /sys/devices/system/cpu):
# every tool counts the same CPUs, stat shows the container's own load, and
# no counter goes backwards while the limits change.
set -u
. "$TESTLIB"

MNT=$TMP/mnt
MNT_CFS=$TMP/mnt-cfs
mkdir -p "$MNT" "$MNT_CFS"
start_cviewfs "$MNT"
start_cviewfs "$MNT_CFS" --enable-cfs

# Every count a tool can make of the CPUs, on one line.
COUNTS='printf "cpuinfo=%s stat=%s online=%s dirs=%s onln=%s conf=%s python=%s top=%s\n" \
	"$(grep -c ^processor /proc/cpuinfo)" \
	"$(grep -c "^cpu[0-9]" /proc/stat)" \
	"$(python3 -c "
l = open(\"/sys/devices/system/cpu/online\").read().strip()
n = 0
for r in l.split(\",\"):
    a, _, b = r.partition(\"-\")
    n += int(b or a) - int(a) + 1
print(n)")" \
	"$(ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l)" \
	"$(getconf _NPROCESSORS_ONLN)" "$(getconf _NPROCESSORS_CONF)" \
	"$(python3 -c "import os; print(os.cpu_count())")" \
	"$(COLUMNS=400 top -bn1 -1 | grep -o "%Cpu[0-9]*" | wc -l)"'
# procps top prints no summary lines on some hosts (User-Mode Linux), even
# from the kernel's own /proc: there it is left out of the comparison.
TOP_WORKS=$(COLUMNS=400 top -bn1 -1 | grep -q "%Cpu" && echo 1)
[ -n "$TOP_WORKS" ] || skip "procps top prints no CPU lines on this host, even from the kernel's /proc: not compared"

weight() { # CPU list -> number of CPUs
	python3 -c "import sys
n = 0
for r in sys.argv[1].split(','):
    a, _, b = r.partition('-')
    n += int(b or a) - int(a) + 1
print(n)" "$1"
}

NCPU=$(getconf _NPROCESSORS_ONLN)
SETS="0 0-1"
[ "$NCPU" -ge 2 ] && SETS="0 1 0-1"
if ! ctr_has_cpuset; then
	# No cpuset controller (User-Mode Linux): every container has all
	# the host's CPUs, and only the quota can lower the count.
	SETS=0-$((NCPU - 1))
	skip "no cpuset controller on this host: cpusets {0}, {1} and {0-1} not tested"
fi
for cpus in $SETS; do
	for quota in max 50000 150000; do
		for mode in plain cfs; do
			want=$(weight "$cpus")
			mnt=$MNT
			if [ $mode = cfs ]; then
				mnt=$MNT_CFS
				case $quota in 50000) want=1 ;; 150000) [ "$want" -gt 2 ] && want=2 ;; esac
			fi
			name=$(new_ctr "$cpus" "$quota")
			got=$(ctr_run "$name" "$mnt" sh -c "$COUNTS" 2>&1)
			expect="cpuinfo=$want stat=$want online=$want dirs=$want onln=$want conf=$want python=$want top=$want"
			[ -n "$TOP_WORKS" ] || { got=${got% top=*}; expect=${expect% top=*}; }
			is "$got" "$expect" "cpuset $cpus, quota $quota, $mode: every count says $want"
		done
	done
done

# The CPU directories are the container's: cpu0 only, holding host CPU 1's
# topology when the container runs on CPU 1.
if [ "$NCPU" -ge 2 ]; then
	name=$(new_ctr 1 max)
	got=$(ctr_run "$name" "$MNT" sh -c 'ls -d /sys/devices/system/cpu/cpu[0-9]*; cat /sys/devices/system/cpu/cpu0/online; cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible /sys/devices/system/cpu/present; printf "[%s]\n" "$(cat /sys/devices/system/cpu/offline)"; ls /sys/devices/system/cpu/cpu1 2>&1 | grep -c "No such file"' 2>&1)
	is "$got" "/sys/devices/system/cpu/cpu0
1
0
0
0
[]
1" "cpuset 1: one directory cpu0 (online 1); online, possible, present say 0; offline is empty; cpu1 does not exist"
	want_core=$(cat /sys/devices/system/cpu/cpu1/topology/core_id 2>/dev/null || echo none)
	got=$(ctr_run "$name" "$MNT" sh -c 'cat /sys/devices/system/cpu/cpu0/topology/core_id 2>/dev/null || echo none')
	is "$got" "$want_core" "cpuset 1: cpu0/topology is host CPU 1's"
	got=$(ctr_run "$name" "$MNT" python3 -c 'import os
e = [d for d in os.scandir("/sys/devices/system/cpu") if d.name.startswith("cpu") and d.name[3:].isdigit()]
print(len(e), all(d.is_dir(follow_symlinks=False) for d in e))')
	is "$got" "1 True" "readdir gives cpu0 with d_type DT_DIR"
fi

# htop, through tmux, draws as many CPU bars as the container has.
if command -v htop >/dev/null && command -v tmux >/dev/null; then
	name=$(new_ctr 0 max)
	bars=$(ctr_run "$name" "$MNT" sh -c '
		export TERM=xterm
		tmux -L cvt$$ new-session -d -x 120 -y 30 htop
		sleep 2
		tmux -L cvt$$ capture-pane -p > /tmp/cvt-htop.$$
		tmux -L cvt$$ kill-server
		grep -cE "^ *(CPU|[0-9]+)\[" /tmp/cvt-htop.$$; rm -f /tmp/cvt-htop.$$')
	is "$bars" "1" "htop in a 1-CPU container draws one CPU bar"
else
	skip "htop or tmux not installed"
fi

# Half a CPU, busy: about 50% busy, and idle keeps advancing.
BUSY='read -r _ u1 n1 s1 i1 rest < /proc/stat
timeout 4 sh -c "while :; do :; done"
read -r _ u2 n2 s2 i2 rest < /proc/stat
echo $(( (u2 - u1) + (s2 - s1) )) $(( i2 - i1 ))'
name=$(new_ctr 0 50000)
set -- $(ctr_run "$name" "$MNT" sh -c "$BUSY")
busy=${1:-0} idle=${2:-0}
pct=$(( 100 * busy / (busy + idle + 1) ))
ok "$([ "$pct" -ge 40 ] && [ "$pct" -le 60 ] && echo 1)" "busy loop capped at 0.5 CPU shows about 50% busy (got $pct%: busy $busy, idle $idle ticks)"
ok "$([ "$idle" -gt 100 ] && echo 1)" "idle keeps advancing under load (idle $idle ticks in 4 s)"

# The host's load is not the container's.
( timeout 5 sh -c 'while :; do :; done' & timeout 5 sh -c 'while :; do :; done' & wait ) &
burners=$!
sleep 0.3
name=$(new_ctr 0-1 max)
set -- $(ctr_run "$name" "$MNT" sh -c 'read -r _ u1 n1 s1 i1 r < /proc/stat; sleep 3; read -r _ u2 n2 s2 i2 r < /proc/stat; echo $((u2 - u1 + s2 - s1)) $((i2 - i1))')
wait $burners
# Idle for 3 s on each of its CPUs (2, or 1 on a 1-CPU host): 300 ticks a CPU.
min_idle=$(( NCPU >= 2 ? 400 : 200 ))
ok "$([ "${1:-99}" -le 10 ] && [ "${2:-0}" -ge $min_idle ] && echo 1)" "two host CPU burners are invisible to an idle container (busy ${1:-?}, idle ${2:-?} ticks in 3 s)"

# No counter goes backwards while the cpuset and the quota change under a
# reader that re-reads stat through one open file, as top does.
name=$(new_ctr 0-1 max)
ctr_run "$name" "$MNT_CFS" python3 -c '
import os, sys, time
fd = os.open("/proc/stat", os.O_RDONLY)
prev = {}
bad = 0
reads = 0
deadline = time.time() + 8
while time.time() < deadline:
    for line in os.pread(fd, 1 << 16, 0).decode().splitlines():
        if not line.startswith("cpu"):
            continue
        f = line.split()
        vals = [int(x) for x in f[1:]]
        old = prev.get(f[0])
        if old and any(a < b for a, b in zip(vals, old)):
            bad += 1
        prev[f[0]] = vals
    reads += 1
print(reads, bad)
' > "$TMP/mono" 2>&1 &
reader=$!
for i in $(seq 1 16); do
	case $((i % 4)) in
	0) ctr_set_cpus "$name" 0-1 max ;;
	1) ctr_set_cpus "$name" 0 max ;;
	2) ctr_set_cpus "$name" 0-1 50000 ;;
	3) ctr_set_cpus "$name" 1 150000 ;;
	esac
	sleep 0.5
done
wait $reader
read -r reads bad < "$TMP/mono"
ok "$([ "${reads:-0}" -gt 100 ] && [ "${bad:-1}" = 0 ] && echo 1)" "$reads reads of stat while the cpuset and quota change: no counter went backwards ($bad did)"

done_testing
