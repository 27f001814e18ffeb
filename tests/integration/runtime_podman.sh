#!/bin/bash
# podman and a hooks.d directory (--hooks-dir) holding the toolkit's hook,
# once with runc and once with crun (crun only on a cgroup v2 host: it
# refuses hybrid hierarchies): the container sees its own 256 MiB and 1
# CPU; remount --all heals it after the daemon is killed the hard way and
# restarted; umount --all gives it the host's numbers; an
# io.cviewfs.disable=true annotation opts a container out; a container
# starts while the daemon is down.
set -u
. "$TESTLIB"
. "$(dirname "$TESTLIB")/runtime_lib.sh"

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v jq >/dev/null; then
	skip "podman, runc or jq not installed"
	done_testing
fi

MNT=$TMP/mnt
HOOKS=$TMP/hooks.d
# Storage of its own, so nothing of the host's podman is touched; the
# runtime is set per scenario (RT).
PODMAN_BASE="podman --root $TMP/podman/root --runroot $TMP/podman/run --storage-driver vfs --cgroup-manager=cgroupfs"
RT=runc
PODMAN="$PODMAN_BASE --runtime $RT"
CTRS=""
# CPUs only where there is a cpuset controller to give them with (not on
# a v2 host without one: the runtime would fail to write cpuset.cpus).
CPUSET_ARGS=""
ctr_has_cpuset && CPUSET_ARGS="--cpuset-cpus 0"

# The shipped hooks.d file, pointed at this build and this mount point.
mkdir -p "$HOOKS"
jq --arg tk "$TK" --arg mnt "$MNT" --arg st "$STATE" --arg env "$TK_ENV" '
	.hook.path = $tk |
	.hook.args = ["cviewfs-toolkit", "--mountpoint", $mnt, "--state-dir", $st, "hook"] |
	.hook.env = ($env | split(" "))' \
	"$(dirname "$TESTLIB")/../../contrib/oci/cviewfs-hook.json.in" > "$HOOKS/cviewfs-hook.json"

rt_rootfs "$TMP/rootfs"

# run NAME [PODMAN-RUN-ARGS...]: a detached container whose init sleeps.
run() {
	local name=$1
	shift
	CTRS="$CTRS $name"
	# shellcheck disable=SC2086 # CPUSET_ARGS: none or two words
	$PODMAN --hooks-dir "$HOOKS" run -d --name "$name" --network none \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --cgroups=no-conmon \
		--cgroup-parent="$CG_PARENT" --memory 256m --cpu-quota 50000 --cpu-period 100000 \
		$CPUSET_ARGS -v /usr:/usr:ro -v /etc:/etc:ro "$@" --rootfs "$TMP/rootfs" \
		sleep 600 > /dev/null 2> "$TMP/$name.start"
}

probe() {
	$PODMAN exec "$1" sh /probe > "$TMP/$1.out" 2> "$TMP/$1.err"
}

running() {
	[ "$($PODMAN inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ] && echo 1
}

# Removes the containers (their poststop hooks run), whichever runtime
# made them.
rm_ctrs() {
	for c in $CTRS; do $PODMAN_BASE rm -f -t 0 "$c" > /dev/null 2>&1; done
	CTRS=""
}
# podman run --memory, run from the root cgroup of a v2 host, makes (or
# reuses) /sys/fs/cgroup/podman_probe to read memory limits, and leaves
# it: removed at the end if it was not there before this test.
PROBE_CG=/sys/fs/cgroup/podman_probe
PROBE_CG_OURS=1
[ -d "$PROBE_CG" ] && PROBE_CG_OURS=0
stop_ctrs() {
	rm_ctrs
	rt_remove_cgroups
	if ctr_is_v2 && [ "$PROBE_CG_OURS" = 1 ] && [ -d "$PROBE_CG" ]; then rmdir "$PROBE_CG" 2>/dev/null; fi
	return 0
}
on_cleanup stop_ctrs

# scenario RUNTIME: the whole test with podman --runtime RUNTIME; every
# assertion names the runtime.
scenario() {
	RT=$1
	PODMAN="$PODMAN_BASE --runtime $RT"
	local id
	start_cviewfs "$MNT"

	run "a-$RT"
	ok "$(running "a-$RT")" "podman --runtime $RT --hooks-dir starts a container ($(cat "$TMP/a-$RT.start"))"
	probe "a-$RT"
	rt_check_probe "$TMP/a-$RT.out" "$TMP/a-$RT.err" "$want_ctr" "podman/$RT + hooks.d: the container's numbers"
	rt_check_uptime "$TMP/a-$RT.out" "podman/$RT + hooks.d"

	run "off-$RT" --annotation io.cviewfs.disable=true
	probe "off-$RT"
	rt_check_probe "$TMP/off-$RT.out" "$TMP/off-$RT.err" "$want_host" "podman/$RT, io.cviewfs.disable=true: the container keeps the host's files"

	rt_restart_hard "$MNT"
	"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --all > "$TMP/remount.out" 2>&1
	is "$?" "0" "podman/$RT: remount --all succeeds ($(tr '\n' ';' < "$TMP/remount.out"))"
	probe "a-$RT"
	rt_check_probe "$TMP/a-$RT.out" "$TMP/a-$RT.err" "$want_ctr" "podman/$RT: after remount --all, the same container: its numbers again"
	probe "off-$RT"
	rt_check_probe "$TMP/off-$RT.out" "$TMP/off-$RT.err" "$want_host" "podman/$RT: remount --all leaves the opted-out container alone"

	"$TK" --mountpoint "$MNT" --state-dir "$STATE" umount --all > "$TMP/umount.out" 2>&1
	is "$?" "0" "podman/$RT: umount --all succeeds ($(tr '\n' ';' < "$TMP/umount.out"))"
	probe "a-$RT"
	rt_check_probe "$TMP/a-$RT.out" "$TMP/a-$RT.err" "$want_host" "podman/$RT: after umount --all: the host's numbers"

	# podman's own id (a prefix of it, as podman prints) finds the container.
	id=$($PODMAN inspect --format '{{.Id}}' "a-$RT" | cut -c1-12)
	"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --container-id "$id" > "$TMP/remount.out" 2>&1
	is "$?" "0" "podman/$RT: remount --container-id $id ($(tr '\n' ';' < "$TMP/remount.out"))"
	probe "a-$RT"
	rt_check_probe "$TMP/a-$RT.out" "$TMP/a-$RT.err" "$want_ctr" "podman/$RT: after remount --container-id: the container's numbers"

	rt_kill_daemon "$MNT"
	run "b-$RT"
	ok "$(running "b-$RT")" "podman/$RT: a container starts while cviewfs is down ($(cat "$TMP/b-$RT.start"))"
	probe "b-$RT"
	rt_check_probe "$TMP/b-$RT.out" "$TMP/b-$RT.err" "$want_host" "podman/$RT: without cviewfs the container sees the host"

	# The next runtime starts from nothing: no container, no daemon.
	rm_ctrs
}

want_ctr=$(rt_expect_ctr)
want_host=$(rt_expect_host)
rt_note_top
scenario runc
if ! command -v crun >/dev/null; then
	skip "podman with crun: crun not installed"
elif ! ctr_is_v2; then
	skip "podman with crun: crun refuses hybrid cgroup hierarchies"
else
	scenario crun
fi

done_testing
