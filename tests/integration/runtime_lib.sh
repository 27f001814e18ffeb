# Shared by the runtime_*.sh tests (sourced after $TESTLIB): a rootfs made
# of the host's /usr and /etc, the probe every container runs, and the
# expected lines for a 256 MiB / 0.5 CPU / cpuset {0} container and for the
# host. Needs $CVIEWFS_TOOLKIT.

TK=$CVIEWFS_TOOLKIT
STATE=$TMP/tk-state
# The toolkit under a sanitizer build must fail a hook on a leak, whoever
# runs it (runtimes give hooks an empty environment).
TK_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1}"
MEM_LIMIT=$((256 << 20))
# Unique per test run, relative: runtimes nest them under their own cgroup,
# which keeps memory cgroups under ours.
CG_PARENT=cvt-$(basename "$0" .sh)-$$

# Whether procps top prints its summary (%Cpu and MiB Mem lines) on this
# host at all, even from the kernel's own /proc: not in the User-Mode
# Linux guest, for instance. Where it does not, top is left out of the
# probe's line and of the expected lines (rt_note_top says so once).
if COLUMNS=400 LC_ALL=C top -bn1 2>/dev/null | grep -q '^MiB Mem'; then RT_TOP=1; else RT_TOP=0; fi
# rt_note_top: one skip for the whole test when top cannot be checked.
rt_note_top() {
	[ "$RT_TOP" = 1 ] || skip "top: procps top prints no summary lines on this host, even from the kernel's /proc"
}

# rt_rootfs DIR: an empty root whose bin, lib, lib64 and sbin point into
# usr; the runtime binds the host's /usr and /etc read-only over it, so
# the container has procps, python3, node and java without a download.
# The probe is copied in as /probe.
rt_rootfs() {
	mkdir -p "$1/usr" "$1/etc" "$1/proc" "$1/sys" "$1/dev" "$1/tmp"
	for d in bin lib lib64 sbin; do ln -s "usr/$d" "$1/$d"; done
	rt_probe > "$1/probe"
}

# The probe: one line of what tools in the container report, in a fixed
# order (see rt_expect_*), then uptime(1)'s line. Tool errors go to stderr.
rt_probe() {
	cat <<'EOF'
export COLUMNS=400 LC_ALL=C
free=$(free -m | awk '/^Mem:/ {print $2}')
EOF
	if [ "$RT_TOP" = 1 ]; then
		cat <<'EOF'
topmem=$(top -bn1 | awk '/^MiB Mem/ {print int($4)}')
topcpus=$(top -bn1 -1 | grep -o '%Cpu[0-9]*' | wc -l)
top=" top=$topmem/$topcpus"
EOF
	fi
	cat <<'EOF'
onln=$(getconf _NPROCESSORS_ONLN)
conf=$(getconf _NPROCESSORS_CONF)
py=$(python3 -c 'import os; print(os.cpu_count())')
node=$(node -e 'const os = require("os"); console.log(os.cpus().length + "/" + os.totalmem())')
java=$(java -XshowSettings:system -version 2>&1 | awk -F': *' '/Effective CPU Count/ {c = $2} /^ *Memory Limit/ {m = $2} END {print c "/" m}')
echo "free=$free${top:-} getconf=$onln/$conf python=$py node=$node java=$java"
echo "uptime=$(cut -d' ' -f1 /proc/uptime) $(uptime)"
EOF
}

# What the probe must print in a 256 MiB, 1-CPU container; java reads
# its cgroup directly, so it says the same with or without cviewfs.
JAVA_CTR="1/256.00M"
rt_expect_ctr() {
	echo "free=256$(rt_top_field 256 1) getconf=1/1 python=1 node=1/$MEM_LIMIT java=$JAVA_CTR"
}
# rt_top_field MIB CPUS: the probe's top field, empty where top is not checked.
rt_top_field() {
	[ "$RT_TOP" = 1 ] && echo " top=$1/$2"
	return 0
}
# ... and what it must print once the binds are gone: the host's numbers,
# measured on the host with the same tools.
rt_expect_host() {
	local n
	n=$(getconf _NPROCESSORS_ONLN)
	echo "free=$(free -m | awk '/^Mem:/ {print $2}')$(rt_top_field "$(COLUMNS=400 LC_ALL=C top -bn1 | awk '/^MiB Mem/ {print int($4)}')" "$n") getconf=$n/$(getconf _NPROCESSORS_CONF) python=$n node=$n/$(($(kb MemTotal < /proc/meminfo) * 1024)) java=$JAVA_CTR"
}

# rt_check_probe OUT_FILE ERR_FILE WANT WHAT: the first line of the probe's
# output is WANT, and nothing was printed on stderr.
rt_check_probe() {
	is "$(head -1 "$1")" "$3" "$4"
	is "$(cat "$2")" "" "$4: no errors"
}

# rt_check_uptime OUT_FILE WHAT: the container's uptime is its own (young).
rt_check_uptime() {
	local up
	up=$(sed -n 's/^uptime=\([0-9.]*\) .*/\1/p' "$1")
	ok "$(python3 -c "import sys; u=float(sys.argv[1]); h=float(open('/proc/uptime').read().split()[0]); sys.exit(0 if u < 120 and h > u + 5 else 1)" "${up:-x}" 2>/dev/null && echo 1)" "$2: uptime is the container's ($up s) and uptime(1) says up $(grep -o 'up [0-9]* min' "$1")"
}

# rt_restart_hard MNT [ARGS]: the daemon killed the hard way (SIGKILL to
# the process that holds the mount), the dead mount lazily detached, and a
# new daemon mounted in its place.
rt_restart_hard() {
	local mnt=$1
	shift
	kill -9 "$CVIEWFS_PID"
	wait "$CVIEWFS_PID" 2>/dev/null
	umount -l "$mnt"
	start_cviewfs "$mnt" "$@"
}

# rt_kill_daemon MNT: the daemon killed and its mount gone (a host where
# cviewfs is not running).
rt_kill_daemon() {
	kill -9 "$CVIEWFS_PID"
	wait "$CVIEWFS_PID" 2>/dev/null
	umount -l "$1"
}

# rt_remove_cgroups: the relative cgroup parents the runtimes created,
# leaf first. v1: under our own memory cgroup, and at the roots of the
# other controllers. v2: runc nests a relative path under the parent of
# our own cgroup, podman (cgroupfs) puts --cgroup-parent at the root.
rt_remove_cgroups() {
	local own_mem own_v2
	own_mem=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
	own_v2=$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)
	own_v2=$(dirname "${own_v2:-/}")
	for d in /sys/fs/cgroup/memory${own_mem%/}/$CG_PARENT /sys/fs/cgroup/*/$CG_PARENT \
		/sys/fs/cgroup/$CG_PARENT /sys/fs/cgroup${own_v2%/}/$CG_PARENT; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return 0
}
