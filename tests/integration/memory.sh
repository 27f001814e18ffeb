#!/bin/bash
# meminfo and swaps from real memory cgroups: what free shows in a limited
# container, nested limits, memory being used, swap rules, and agreement
# with Debian's lxcfs where lxcfs is right.
set -u
. "$TESTLIB"

MNT=$TMP/mnt
start_cviewfs "$MNT"

name=$(new_ctr 0-1 max)
got=$(ctr_run "$name" "$MNT" free -m | awk '/^Mem:/ {print $2}')
is "$got" "256" "free -m in a 256 MiB container says 256 total"
meminfo=$(in_cgroup "$name" cat "$MNT/proc/meminfo")
is "$(echo "$meminfo" | kb MemTotal)" "262144" "MemTotal is 262144 kB"
is "$(echo "$meminfo" | awk -F: '{print $1}' | tr '\n' ' ')" "$(awk -F: '{print $1}' /proc/meminfo | tr '\n' ' ')" \
	"the lines are the host's, in the host's order"
ok "$(echo "$meminfo" | grep -qE '^MemTotal: +262144 kB$' && echo 1)" "the kernel's line layout"

# Memory in use: 64 MiB held by a process in the container.
free_before=$(echo "$meminfo" | kb MemFree)
got=$(in_cgroup "$name" python3 -c '
import sys
block = bytearray(64 << 20)
for i in range(0, len(block), 4096):
    block[i] = 1
for line in open(sys.argv[1]):
    if line.startswith("MemFree:"):
        print(line.split()[1])
' "$MNT/proc/meminfo")
drop=$(( (free_before - got) / 1024 ))
ok "$([ "$drop" -ge 60 ] && [ "$drop" -le 80 ] && echo 1)" "holding 64 MiB lowers MemFree by about 64 MiB ($drop MiB)"

# A limit on a parent cgroup is the container's too.
if ctr_is_v2; then
	base=$CG/cviewfs.ctr limit=memory.max # the parent new_ctr made
else
	own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
	base=/sys/fs/cgroup/memory${own%/} limit=memory.limit_in_bytes
fi
parent=$base/cvt-parent-$$
nested_cleanup() { rmdir "$parent/child" "$parent" 2>/dev/null; }
on_cleanup nested_cleanup
mkdir "$parent" || bail "cannot make $parent"
ctr_is_v2 && echo +memory > "$parent/cgroup.subtree_control"
mkdir "$parent/child"
echo $((128 << 20)) > "$parent/$limit"
echo $((256 << 20)) > "$parent/child/$limit"
in_child() { sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$parent/child" "$@"; }
is "$(in_child cat "$MNT/proc/meminfo" | kb MemTotal)" "131072" "a 128 MiB parent over a 256 MiB child: MemTotal 131072 kB"
# The daemon keeps control files open between reads; a cgroup removed
# and made again under the same path must show its new limit.
past_window
rmdir "$parent/child" && mkdir "$parent/child"
echo $((96 << 20)) > "$parent/child/$limit"
is "$(in_child cat "$MNT/proc/meminfo" | kb MemTotal)" "98304" "the child removed and made again with 96 MiB: MemTotal 98304 kB"
echo max > "$parent/child/$limit" 2>/dev/null || echo -1 > "$parent/child/$limit"
past_window
is "$(in_child cat "$MNT/proc/meminfo" | kb MemTotal)" "131072" "the child's limit removed: the parent's 128 MiB"

# Swap. A host without swap: none must be invented.
host_swap=$(kb SwapTotal < /proc/meminfo)
swaps=$(in_cgroup "$name" cat "$MNT/proc/swaps")
if [ "$host_swap" = 0 ]; then
	is "$swaps" "$(printf 'Filename\t\t\t\tType\t\tSize\tUsed\tPriority')" "no host swap: swaps is the header alone"
	is "$(echo "$meminfo" | kb SwapTotal)" "0" "no host swap: SwapTotal 0"
else
	skip "the host has swap: the header-only case is covered by the unit tests"
	skip "the host has swap"
fi

# A host with swap and cgroup v2: memory.swap.max is the container's swap.
# swap_view NAME: "SwapTotal SwapFree | swaps' device line" in the container.
swap_view() {
	in_cgroup "$1" sh -c 'awk "/^SwapTotal:|^SwapFree:/ {printf \"%s \", \$2}" "$1/proc/meminfo"; echo "| $(sed 1d "$1/proc/swaps" | tr -s "\t " " ")"' sh "$MNT"
}
if [ "$host_swap" != 0 ] && ctr_is_v2; then
	d=$CG/cviewfs.ctr/$name
	echo $((64 << 20)) > "$d/memory.swap.max"
	is "$(swap_view "$name")" "65536 65536 | none virtual 65536 0 0" "memory.swap.max 64 MiB: a 64 MiB swap device, unused"
	echo max > "$d/memory.swap.max"
	is "$(swap_view "$name")" "$host_swap $host_swap | none virtual $host_swap 0 0" "memory.swap.max unset: the host's swap size"
	echo 0 > "$d/memory.swap.max"
	is "$(swap_view "$name")" "0 0 | " "memory.swap.max 0: no swap at all"
	# Swap in use: 160 MiB held in a 64 MiB container pushes about 100 MiB
	# out; what it sees matches memory.swap.current at the same moment.
	sw=$(new_ctr 0 max $((64 << 20)))
	echo $((256 << 20)) > "$CG/cviewfs.ctr/$sw/memory.swap.max"
	got=$(in_cgroup "$sw" python3 -c '
import sys
block = bytearray(160 << 20)
for i in range(0, len(block), 4096):
    block[i] = 1
cur = int(open(sys.argv[2]).read()) // 1024
mi = {l.split(":")[0]: int(l.split()[1]) for l in open(sys.argv[1] + "/proc/meminfo")}
dev = open(sys.argv[1] + "/proc/swaps").read().splitlines()[1].split()
print(cur, mi["SwapTotal"], mi["SwapTotal"] - mi["SwapFree"], dev[2], dev[3])
' "$MNT" "$CG/cviewfs.ctr/$sw/memory.swap.current")
	read -r cur total used size dused <<< "$got"
	ok "$([ "${cur:-0}" -ge $((64 << 10)) ] && echo 1)" "a 64 MiB container holding 160 MiB swaps ($cur kB in memory.swap.current)"
	is "$total $size" "262144 262144" "SwapTotal and the swaps device are memory.swap.max's 256 MiB"
	# (Read one after the other while the kernel may still be swapping:
	# each within 8 MiB of memory.swap.current, about 5% of it.)
	near() { [ "${1:-0}" -ge $((cur - 8192)) ] && [ "${1:-0}" -le $((cur + 8192)) ]; }
	ok "$(near "$used" && near "$dused" && echo 1)" \
		"swap used (SwapTotal - SwapFree $used kB, swaps Used $dused kB) is memory.swap.current ($cur kB)"
	# -z: the zswap lines (a host kernel that has them) are 0.
	MNT_Z=$TMP/mnt-z
	start_cviewfs "$MNT_Z" -z
	if grep -q '^Zswap:' /proc/meminfo; then
		is "$(in_cgroup "$name" awk '/^Zswap:|^Zswapped:/ {printf "%s ", $2}' "$MNT_Z/proc/meminfo")" "0 0 " "-z: Zswap and Zswapped are 0"
	else
		skip "this kernel's meminfo has no Zswap lines"
	fi
else
	for i in 1 2 3 4 5 6 7 8; do skip "swap limits: needs a cgroup v2 host with swap (the User-Mode Linux stage has one)"; done
fi
MNT_U=$TMP/mnt-u
start_cviewfs "$MNT_U" -u
is "$(in_cgroup "$name" cat "$MNT_U/proc/swaps" | wc -l)" "1" "-u: swaps has no device line"
is "$(in_cgroup "$name" cat "$MNT_U/proc/meminfo" | kb SwapTotal)" "0" "-u: SwapTotal 0"

# The host's own processes (not in a limited cgroup) see the host.
host_total=$(kb MemTotal < /proc/meminfo)
is "$(kb MemTotal < "$MNT/proc/meminfo")" "$host_total" "a host process with no limit sees the host's MemTotal"

# Debian's lxcfs, read from the same cgroup at the same moment.
if command -v lxcfs >/dev/null; then
	LX=$TMP/lxcfs
	mkdir -p "$LX"
	lxcfs -f -p "$TMP/lxcfs.pid" "$LX" >"$TMP/lxcfs.log" 2>&1 &
	DAEMONS="$DAEMONS $!"
	MOUNTS="$MOUNTS $LX"
	for _ in $(seq 50); do [ -r "$LX/proc/meminfo" ] && break; sleep 0.1; done
	# The container maps a file it wrote (so its page cache is charged to
	# the container, not to whoever read it first), which Mapped counts.
	both=$(in_cgroup "$name" python3 -c '
import mmap, os, sys
path = os.path.join(os.environ["TMP"], "mapped")
with open(path, "wb") as f:
    f.write(os.urandom(8 << 20))
f = open(path, "rb")
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
s = sum(m[i] for i in range(0, len(m), 4096))
print(open(sys.argv[1]).read(), end="")
print("----")
print(open(sys.argv[2]).read(), end="")
' "$MNT/proc/meminfo" "$LX/proc/meminfo")
	cv=$(echo "$both" | sed '/^----$/q')
	lx=$(echo "$both" | sed '1,/^----$/d')
	is "$(echo "$cv" | kb MemTotal)" "$(echo "$lx" | kb MemTotal)" "MemTotal equals lxcfs's"
	# lxcfs 5.0.3 on cgroup v2 decides whether swap is accounted from its
	# own cgroup (the root, which has no memory.swap.current) and so shows
	# no swap on a host that has it: compared only where there is none.
	keys="MemFree Cached Active Inactive"
	[ "$host_swap" = 0 ] && keys="$keys SwapTotal"
	for key in $keys; do
		a=$(echo "$cv" | kb $key) b=$(echo "$lx" | kb $key)
		d=$(( a > b ? a - b : b - a ))
		ok "$([ "$d" -le 8192 ] && echo 1)" "$key within 8 MiB of lxcfs's ($a vs $b kB)"
	done
	mapped=$(echo "$cv" | kb Mapped)
	ok "$([ "${mapped:-0}" -ge 8192 ] && echo 1)" "Mapped counts the container's 8 MiB mapped file ($mapped kB; lxcfs says $(echo "$lx" | kb Mapped))"
else
	for i in 1 2 3 4 5 6; do skip "lxcfs not installed"; done
	[ "$host_swap" = 0 ] && skip "lxcfs not installed"
fi

done_testing
