#!/bin/bash
# System calls answered for real runtimes' containers: runc with a seccomp
# profile naming the agent's socket (linux.seccomp.listenerPath), and runc
# through cviewfs-runtime (which adds the hook and the listener itself).
# In a 256 MiB, 0.5 CPU container with --enable-cfs: busybox free -m says
# 256, busybox uptime starts near 0, getconf _PHYS_PAGES times the page
# size is 256 MiB, nproc and python's sched_getaffinity say 1. With the
# daemon down the shim adds nothing and the container starts with host
# values.
set -u
. "$TESTLIB"
. "$(dirname "$TESTLIB")/runtime_lib.sh"

if ! command -v runc >/dev/null || ! command -v jq >/dev/null || ! command -v busybox >/dev/null; then
	skip "runc, jq or busybox not installed"
	done_testing
fi
SHIM=${CVIEWFS_RUNTIME_SHIM:?}
MNT=$TMP/mnt
SOCK=$MNT.seccomp.sock
RUNC="runc --root $TMP/runc"
CTRS=""

# bundle NAME [PROFILE_JSON]: a container of the host's /usr and /etc that
# prints what busybox, getconf, nproc and python learn through system calls.
bundle() {
	local b=$TMP/$1
	mkdir -p "$b"
	rt_rootfs "$b/rootfs"
	cat > "$b/rootfs/calls" <<'PROBE'
bb=$(busybox free -m | awk '/^Mem:/ {print $2}')
up=$(busybox uptime | sed -n 's/.* up \([^,]*\),.*/\1/p')
phys=$(( $(getconf _PHYS_PAGES) * $(getconf PAGESIZE) ))
py=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
echo "busybox-free=$bb phys=$phys nproc=$(nproc) python-affinity=$py uptime=$up"
PROBE
	(cd "$b" && runc spec)
	jq --arg cg "$CG_PARENT/$1" --argjson mem "$MEM_LIMIT" --argjson seccomp "${2:-null}" \
		--argjson cpuset "$(ctr_has_cpuset && echo true || echo false)" '
		.process.terminal = false | .process.args = ["sh", "/calls"] |
		.root.readonly = true |
		.linux.cgroupsPath = $cg |
		.linux.resources.memory = {limit: $mem} |
		.linux.resources.cpu = ({quota: 50000, period: 100000} +
			if $cpuset then {cpus: "0-1", mems: "0"} else {} end) |
		(if $seccomp == null then . else .linux.seccomp = $seccomp end) |
		.mounts += [
			{destination: "/usr", type: "bind", source: "/usr", options: ["rbind", "ro"]},
			{destination: "/etc", type: "bind", source: "/etc", options: ["rbind", "ro"]},
			{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"]}]' \
		"$b/config.json" > "$b/config.json.new" && mv "$b/config.json.new" "$b/config.json"
}

# run RUNTIME NAME: runs the container to its end; its output in $TMP/NAME.out.
run() {
	CTRS="$CTRS $2"
	$1 --root "$TMP/runc" run --bundle "$TMP/$2" "$2" < /dev/null > "$TMP/$2.out" 2> "$TMP/$2.err"
}

stop_ctrs() {
	for c in $CTRS; do $RUNC delete -f "$c" 2>/dev/null; done
	rt_remove_cgroups
}
on_cleanup stop_ctrs

start_cviewfs "$MNT" --enable-cfs
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
want="busybox-free=256 phys=$MEM_LIMIT nproc=1 python-affinity=1"
host_mib=$(busybox free -m | awk '/^Mem:/ {print $2}')

# runc, the profile and the hook written by hand (busybox free also reads
# /proc/meminfo: the files and the system call must agree).
profile=$(jq -n --arg sock "$SOCK" '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock,
	syscalls: [{names: ["sysinfo", "sched_getaffinity"], action: "SCMP_ACT_NOTIFY"}]}')
bundle profile "$profile"
hook=$(jq -n --arg tk "$TK" --arg mnt "$MNT" --arg st "$STATE" --arg env "$TK_ENV" \
	'{path: $tk, args: ["cviewfs-toolkit", "--mountpoint", $mnt, "--state-dir", $st, "hook"], env: ($env | split(" "))}')
jq --argjson hook "$hook" '.hooks = {createRuntime: [$hook], poststop: [$hook]}' "$TMP/profile/config.json" > "$TMP/p.json" &&
	mv "$TMP/p.json" "$TMP/profile/config.json"
run runc profile
out=$(cat "$TMP/profile.out")
is "${out% uptime=*}" "$want" "runc with listenerPath: busybox free, _PHYS_PAGES, nproc, sched_getaffinity ($(cat "$TMP/profile.err"))"
ok "$(echo "$out" | grep -Eq 'uptime=0 min$' && echo 1)" "runc with listenerPath: busybox uptime starts at 0 ($out)"

# runc through cviewfs-runtime: the shim adds the listener and the hook.
bundle shim
CVIEWFS_SECCOMP_SOCKET=$SOCK CVIEWFS_TOOLKIT=$TK CVIEWFS_MOUNTPOINT=$MNT CVIEWFS_TOOLKIT_STATE_DIR=$STATE CVIEWFS_RUNTIME=runc run "$SHIM" shim
out=$(cat "$TMP/shim.out")
is "${out% uptime=*}" "$want" "runc through cviewfs-runtime: the same ($(cat "$TMP/shim.err"))"
ok "$(jq -e --arg s "$SOCK" --arg st "CVIEWFS_TOOLKIT_STATE_DIR=$STATE" '.linux.seccomp.listenerPath == $s and
	(.hooks.createRuntime | length) == 1 and (.hooks.createRuntime[0].env | index($st))' "$TMP/shim/config.json" >/dev/null && echo 1)" \
	"the shim wrote the listener and the hook, with the toolkit's settings, into config.json"

# podman --runtime cviewfs-runtime (over runc, and over crun where it runs:
# crun refuses a hybrid cgroup layout).
podman_run() { # NAME REAL_RUNTIME
	local name=$1 cpuset=""
	ctr_has_cpuset && cpuset="--cpuset-cpus 0-1"
	mkdir -p "$TMP/prootfs"
	[ -e "$TMP/prootfs/calls" ] || { rt_rootfs "$TMP/prootfs"; cp "$TMP/profile/rootfs/calls" "$TMP/prootfs/calls"; }
	# shellcheck disable=SC2086 # cpuset: none or two words
	# podman passes its settings as global options (--runtime-flag): it
	# gives the runtime none of its environment
	podman --root "$TMP/podman/root" --runroot "$TMP/podman/run" --storage-driver vfs \
		--cgroup-manager=cgroupfs --runtime "$SHIM" run --rm --name "$name" --network none \
		--runtime-flag "cviewfs-socket=$SOCK" --runtime-flag "cviewfs-toolkit=$TK" \
		--runtime-flag "cviewfs-mountpoint=$MNT" --runtime-flag "cviewfs-state-dir=$STATE" \
		--runtime-flag "cviewfs-runtime=$2" \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --cgroups=no-conmon \
		--cgroup-parent="$CG_PARENT" --memory 256m --cpu-quota 50000 --cpu-period 100000 $cpuset \
		-v /usr:/usr:ro -v /etc:/etc:ro --rootfs "$TMP/prootfs" sh /calls > "$TMP/$name.out" 2> "$TMP/$name.err"
}
if command -v podman >/dev/null; then
	podman_run prunc runc
	out=$(cat "$TMP/prunc.out")
	is "${out% uptime=*}" "$want" "podman --runtime cviewfs-runtime over runc ($(head -c 300 "$TMP/prunc.err"))"
	if ! command -v crun >/dev/null; then
		skip "crun not installed"
	elif [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
		skip "crun refuses this hybrid cgroup layout (tested on the pure v2 guest)"
	else
		podman_run pcrun crun
		out=$(cat "$TMP/pcrun.out")
		is "${out% uptime=*}" "$want" "podman --runtime cviewfs-runtime over crun ($(head -c 300 "$TMP/pcrun.err"))"
	fi
else
	skip "podman not installed"
fi

# The daemon down: the shim adds no listener, the container starts and sees the host.
kill -TERM "$CVIEWFS_PID"; wait "$CVIEWFS_PID"
bundle down
CVIEWFS_SECCOMP_SOCKET=$SOCK CVIEWFS_TOOLKIT=$TK CVIEWFS_MOUNTPOINT=$MNT CVIEWFS_TOOLKIT_STATE_DIR=$STATE CVIEWFS_RUNTIME=runc run "$SHIM" down
out=$(cat "$TMP/down.out")
ok "$(echo "$out" | grep -q "^busybox-free=$host_mib " && echo 1)" "daemon down: the container starts with the host's values ($out; $(cat "$TMP/down.err"))"
ok "$(jq -e '.linux.seccomp.listenerPath == null' "$TMP/down/config.json" >/dev/null && echo 1)" "and no listener in its config.json"
done_testing
