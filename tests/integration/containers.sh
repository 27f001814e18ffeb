#!/bin/bash
# Who is reading: containers with their own pid namespaces see their own
# age, concurrent containers never see each other's numbers, a reader in
# a systemd-style sub-cgroup sees its whole container, and a container
# whose init is gone still gets a well-formed file.
set -u
. "$TESTLIB"

MNT=$TMP/mnt
start_cviewfs "$MNT"

# uptime in a fresh pid namespace starts near 0; the host's is larger.
name=$(new_ctr 0-1 max)
set -- $(ctr_run "$name" "$MNT" sh -c 'sleep 1; cat /proc/uptime')
up=${1:-x} idle=${2:-x}
host_up=$(cut -d' ' -f1 /proc/uptime)
ok "$(python3 -c "import sys; u=float(sys.argv[1]); sys.exit(0 if 0.9 <= u < 5 else 1)" "$up" && echo 1)" "a new container's uptime starts near 0 ($up s)"
ok "$(python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) + 5 else 1)" "$host_up" "$up" && echo 1)" "the host's uptime is larger ($host_up s)"
ok "$(python3 -c "import sys; u,i=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if 0 <= i <= 2*u + 0.01 else 1)" "$up" "$idle" && echo 1)" "idle ($idle) is within [0, CPUs x uptime]"
got=$(ctr_run "$name" "$MNT" uptime)
ok "$(echo "$got" | grep -q 'up 0 min' && echo 1)" "uptime(1) in the container says up 0 min ($got)"
mine=$(cut -d' ' -f1 "$MNT/proc/uptime")
ok "$(python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) - float(sys.argv[2])) < 1.5 else 1)" "$mine" "$(cut -d' ' -f1 /proc/uptime)" && echo 1)" "a host reader of the mount sees the host's uptime ($mine s)"

# The view follows the reader's pid namespace init, even when the reader
# sits in a sub-cgroup of its own (as under systemd in a container): the
# init's cgroup has 256 MiB, the reader's own sub-cgroup 64 MiB.
if ! ctr_is_v2; then
	sub=$(ctr_v1_dirs "$name" | head -1)/sub
	mkdir "$sub"
	echo $((64 << 20)) > "$sub/memory.limit_in_bytes"
	init_sub=""
else
	# v2: processes live only in leaves, so the init sits in init.scope
	# (as systemd puts itself), which the view leaves out.
	ctr=$CG/cviewfs.ctr/$name
	echo +memory > "$ctr/cgroup.subtree_control"
	mkdir "$ctr/init.scope" "$ctr/sub"
	sub=$ctr/sub
	echo $((64 << 20)) > "$sub/memory.max"
	init_sub=init.scope
fi
sub_cleanup() {
	rmdir "$sub" 2>/dev/null
	if ctr_is_v2; then
		rmdir "$ctr/init.scope" 2>/dev/null
		echo -memory > "$ctr/cgroup.subtree_control"
	fi
}
on_cleanup sub_cleanup
got=$(CTR_SUB=$init_sub SUB=$sub ctr_run "$name" "$MNT" sh -c 'sh -c "echo \$\$ > $SUB/cgroup.procs; exec cat /proc/meminfo"' | kb MemTotal)
is "$got" "262144" "a reader in a 64 MiB sub-cgroup sees its namespace init's 256 MiB container${init_sub:+ (init in $init_sub)}"
MNT_R=$TMP/mnt-reader
start_cviewfs "$MNT_R" --view-from reader
got=$(CTR_SUB=$init_sub SUB=$sub ctr_run "$name" "$MNT_R" sh -c 'sh -c "echo \$\$ > $SUB/cgroup.procs; exec cat /proc/meminfo"' | kb MemTotal)
is "$got" "65536" "--view-from reader: the same reader sees its own 64 MiB cgroup"
sub_cleanup

# Two containers with different limits, reading at the same time.
a=$(new_ctr 0-1 max $((256 << 20)))
b=$(new_ctr 0-1 max $((512 << 20)))
loop='n=0; bad=0; while [ $n -lt 200 ]; do t=$(awk "/^MemTotal:/ {print \$2}" /proc/meminfo); [ "$t" = "$1" ] || bad=$((bad + 1)); n=$((n + 1)); done; echo $bad'
ctr_run "$a" "$MNT" sh -c "$loop" sh 262144 > "$TMP/a" &
pa=$!
ctr_run "$b" "$MNT" sh -c "$loop" sh 524288 > "$TMP/b" &
pb=$!
wait $pa $pb
is "$(cat "$TMP/a") $(cat "$TMP/b")" "0 0" "two containers reading 200 times concurrently always see their own MemTotal"

# The same with different cpusets, on files whose content depends on the
# cpuset (kept renders are per container: one must never be served to the
# other, even when both read within the same few milliseconds).
if ctr_has_cpuset && [ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ]; then
c=$(new_ctr 0 max)
d=$(new_ctr 0-1 max)
loop='n=0; bad=0; while [ $n -lt 100 ]; do p=$(grep -c ^processor /proc/cpuinfo); s=$(grep -c "^cpu[0-9]" /proc/stat); [ "$p $s" = "$1 $1" ] || bad=$((bad + 1)); n=$((n + 1)); done; echo $bad'
ctr_run "$c" "$MNT" sh -c "$loop" sh 1 > "$TMP/c" &
pc=$!
ctr_run "$d" "$MNT" sh -c "$loop" sh 2 > "$TMP/d" &
pd=$!
wait $pc $pd
is "$(cat "$TMP/c") $(cat "$TMP/d")" "0 0" "two containers on 1 and 2 CPUs reading cpuinfo and stat 100 times concurrently always see their own CPUs"
else
	skip "two containers on different CPUs: needs a cpuset controller and 2 CPUs"
fi

# Containers come and go; the daemon keeps serving.
got=$(in_cgroup "$name" cat "$MNT/proc/meminfo" | kb MemTotal)
is "$got" "262144" "the daemon still serves after containers came and went"

# Readers the daemon cannot place get the host's view rather than an error.
ok "$(python3 -c 'import sys; print(open(sys.argv[1]).read())' "$MNT/proc/uptime" | grep -qE '^[0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2}$' && echo 1)" "uptime is well formed for any reader"

done_testing
