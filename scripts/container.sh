# Shell functions to make a throwaway "container": a cgroup with limits plus
# new pid and mount namespaces whose /proc files are cviewfs's. Works on
# cgroup v1, hybrid and v2 hosts. Sourced by scripts/demo.
#
#   ctr_create NAME MEM_BYTES CPU_QUOTA_US CPUS    make the cgroups (quota "max": none)
#   ctr_run NAME MNT CMD...                         run CMD inside, MNT's files bound
#   ctr_remove NAME                                 remove the cgroups (idempotent)
#
# v1: memory cgroups go under the caller's own memory cgroup, the others at
# /sys/fs/cgroup/<ctrl>/NAME. v2: under a dedicated parent cviewfs.ctr.

CG=/sys/fs/cgroup

ctr_is_v2() { [ -f "$CG/cgroup.controllers" ]; }

ctr_v2_controllers() { # the v2 controllers a container gets: those the host has
	for c in memory cpu cpuset io pids; do
		grep -qw "$c" "$CG/cgroup.controllers" && echo "$c"
	done
	return 0
}

# ctr_has_cpuset: containers can be given CPUs (v1, or v2 with a cpuset controller).
ctr_has_cpuset() {
	if ctr_is_v2; then grep -qw cpuset "$CG/cgroup.controllers"; else [ -d "$CG/cpuset" ]; fi
}

ctr_v1_dirs() { # NAME -> the cgroup directories it uses, one per line
	own_mem=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
	echo "$CG/memory${own_mem%/}/$1"
	for c in cpu cpuacct cpuset blkio pids; do
		[ -d "$CG/$c" ] && echo "$CG/$c/$1"
	done
	return 0
}

ctr_create() { # NAME MEM_BYTES CPU_QUOTA_US CPUS
	name=$1 mem=$2 quota=$3 cpus=$4
	if ctr_is_v2; then
		parent=$CG/cviewfs.ctr
		ctrls=$(ctr_v2_controllers)
		for c in $ctrls; do
			grep -qw "$c" "$CG/cgroup.subtree_control" ||
				echo "+$c" > "$CG/cgroup.subtree_control" || return 1
		done
		mkdir -p "$parent"
		echo "$ctrls" | sed 's/^/+/' | tr '\n' ' ' > "$parent/cgroup.subtree_control" || return 1
		mkdir "$parent/$name" || return 1
		echo "$mem" > "$parent/$name/memory.max" || return 1
		echo "$quota 100000" > "$parent/$name/cpu.max" || return 1 # "max 100000" is no quota
		# Without a cpuset controller (some kernels, User-Mode Linux)
		# the container has every CPU.
		if [ -f "$parent/$name/cpuset.cpus" ]; then
			echo "$cpus" > "$parent/$name/cpuset.cpus" || return 1
		fi
		return 0
	fi
	for d in $(ctr_v1_dirs "$name"); do
		mkdir "$d" || return 1
		case $d in
		*/memory/*) echo "$mem" > "$d/memory.limit_in_bytes" ;;
		*/cpu/*) [ "$quota" = max ] && quota=-1; echo "$quota" > "$d/cpu.cfs_quota_us" ;;
		*/cpuset/*)
			echo "$cpus" > "$d/cpuset.cpus"
			cat "$CG/cpuset/cpuset.mems" > "$d/cpuset.mems" ;;
		esac
	done
}

ctr_set_cpus() { # NAME CPUS QUOTA: change a running container's limits
	if ctr_is_v2; then
		[ -f "$CG/cviewfs.ctr/$1/cpuset.cpus" ] && echo "$2" > "$CG/cviewfs.ctr/$1/cpuset.cpus"
		echo "$3 100000" > "$CG/cviewfs.ctr/$1/cpu.max"
	else
		echo "$2" > "$CG/cpuset/$1/cpuset.cpus"
		q=$3; [ "$q" = max ] && q=-1
		echo "$q" > "$CG/cpu/$1/cpu.cfs_quota_us"
	fi
}

ctr_join() { # NAME PID (v2: into the sub-cgroup $CTR_SUB of it, if set)
	if ctr_is_v2; then
		echo "$2" > "$CG/cviewfs.ctr/$1${CTR_SUB:+/$CTR_SUB}/cgroup.procs"
	else
		for d in $(ctr_v1_dirs "$1"); do echo "$2" > "$d/cgroup.procs"; done
	fi
}

ctr_run() { # NAME MNT CMD...
	name=$1 mnt=$2
	shift 2
	# The shell joins the cgroups, then becomes pid 1 of a new pid namespace
	# whose private mount namespace has cviewfs's files over /proc's.
	CTR_MNT=$mnt sh -c '
		. "$0"; ctr_join "$1" $$; shift
		exec unshare --pid --mount --fork --mount-proc sh -c "
			for f in meminfo cpuinfo stat uptime loadavg swaps diskstats partitions; do
				mount --bind \"\$CTR_MNT/proc/\$f\" /proc/\$f
			done
			mount --bind \"\$CTR_MNT/sys/devices/system/cpu\" /sys/devices/system/cpu
			exec \"\$@\"" sh "$@"' "$CTR_LIB" "$name" "$@"
}

ctr_remove() { # NAME
	if ctr_is_v2; then
		rmdir "$CG/cviewfs.ctr/$1" 2>/dev/null
		rmdir "$CG/cviewfs.ctr" 2>/dev/null
	else
		for d in $(ctr_v1_dirs "$1"); do rmdir "$d" 2>/dev/null; done
	fi
	return 0
}
