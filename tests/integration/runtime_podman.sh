#!/bin/bash
# podman (with runc) and a hooks.d directory (--hooks-dir) holding the
# toolkit's hook: the container sees its own 256 MiB and 1 CPU; remount
# --all heals it after the daemon is killed the hard way and restarted;
# umount --all gives it the host's numbers; an io.cviewfs.disable=true
# annotation opts a container out; a container starts while the daemon
# is down.
set -u
. "$TESTLIB"
. "$(dirname "$TESTLIB")/runtime_lib.sh"

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v jq >/dev/null; then
	skip "podman, runc or jq not installed"
	done_testing
fi

MNT=$TMP/mnt
HOOKS=$TMP/hooks.d
# Storage of its own, so nothing of the host's podman is touched.
PODMAN="podman --root $TMP/podman/root --runroot $TMP/podman/run --storage-driver vfs --runtime runc --cgroup-manager=cgroupfs"
CTRS=""

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
	$PODMAN --hooks-dir "$HOOKS" run -d --name "$name" --network none \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --cgroups=no-conmon \
		--cgroup-parent="$CG_PARENT" --memory 256m --cpu-quota 50000 --cpu-period 100000 \
		--cpuset-cpus 0 -v /usr:/usr:ro -v /etc:/etc:ro "$@" --rootfs "$TMP/rootfs" \
		sleep 600 > /dev/null 2> "$TMP/$name.start"
}

probe() {
	$PODMAN exec "$1" sh /probe > "$TMP/$1.out" 2> "$TMP/$1.err"
}

running() {
	[ "$($PODMAN inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ] && echo 1
}

stop_ctrs() {
	for c in $CTRS; do $PODMAN rm -f -t 0 "$c" > /dev/null 2>&1; done
	rt_remove_cgroups
}
on_cleanup stop_ctrs

start_cviewfs "$MNT"
want_ctr=$(rt_expect_ctr)
want_host=$(rt_expect_host)

run a
ok "$(running a)" "podman --hooks-dir starts a container ($(cat "$TMP/a.start"))"
probe a
rt_check_probe "$TMP/a.out" "$TMP/a.err" "$want_ctr" "podman + hooks.d: the container's numbers"
rt_check_uptime "$TMP/a.out" "podman + hooks.d"

run off --annotation io.cviewfs.disable=true
probe off
rt_check_probe "$TMP/off.out" "$TMP/off.err" "$want_host" "io.cviewfs.disable=true: the container keeps the host's files"

rt_restart_hard "$MNT"
"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --all > "$TMP/remount.out" 2>&1
is "$?" "0" "remount --all succeeds ($(tr '\n' ';' < "$TMP/remount.out"))"
probe a
rt_check_probe "$TMP/a.out" "$TMP/a.err" "$want_ctr" "after remount --all, the same container: its numbers again"
probe off
rt_check_probe "$TMP/off.out" "$TMP/off.err" "$want_host" "remount --all leaves the opted-out container alone"

"$TK" --mountpoint "$MNT" --state-dir "$STATE" umount --all > "$TMP/umount.out" 2>&1
is "$?" "0" "umount --all succeeds ($(tr '\n' ';' < "$TMP/umount.out"))"
probe a
rt_check_probe "$TMP/a.out" "$TMP/a.err" "$want_host" "after umount --all: the host's numbers"

# podman's own id (a prefix of it, as podman prints) finds the container.
id=$($PODMAN inspect --format '{{.Id}}' a | cut -c1-12)
"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --container-id "$id" > "$TMP/remount.out" 2>&1
is "$?" "0" "remount --container-id $id ($(tr '\n' ';' < "$TMP/remount.out"))"
probe a
rt_check_probe "$TMP/a.out" "$TMP/a.err" "$want_ctr" "after remount --container-id: the container's numbers"

rt_kill_daemon "$MNT"
run b
ok "$(running b)" "a container starts while cviewfs is down ($(cat "$TMP/b.start"))"
probe b
rt_check_probe "$TMP/b.out" "$TMP/b.err" "$want_host" "without cviewfs the container sees the host"

done_testing
