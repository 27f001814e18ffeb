#!/bin/bash
# runc with the toolkit's OCI hook (createRuntime, poststop): a container
# with 256 MiB, 0.5 CPU and cpuset {0} (where the host has a cpuset
# controller; a v2 host without one gives it every CPU) sees its own numbers in free, top,
# uptime, getconf, python, node and java; after the daemon is killed the
# hard way and restarted, `remount --all` heals it without a restart;
# after `umount --all` it sees the host's numbers and nothing fails; and a
# container starts normally while the daemon is down.
set -u
. "$TESTLIB"
. "$(dirname "$TESTLIB")/runtime_lib.sh"

if ! command -v runc >/dev/null || ! command -v jq >/dev/null; then
	skip "runc or jq not installed"
	done_testing
fi

MNT=$TMP/mnt
RUNC="runc --root $TMP/runc"
CTRS=""

# bundle NAME: $TMP/NAME with a rootfs and a config.json whose hooks are
# the toolkit's.
bundle() {
	local b=$TMP/$1 hook
	mkdir -p "$b"
	rt_rootfs "$b/rootfs"
	(cd "$b" && runc spec)
	hook=$(jq -n --arg tk "$TK" --arg mnt "$MNT" --arg st "$STATE" --arg env "$TK_ENV" \
		'{path: $tk, args: ["cviewfs-toolkit", "--mountpoint", $mnt, "--state-dir", $st, "hook"],
		  env: ($env | split(" ")), timeout: 10}')
	# cpus and mems only where there is a cpuset controller (not on a v2
	# host without one: runc would fail to write cpuset.cpus); the cgroup
	# namespace only if runc spec did not add it (it does on a v2 host).
	jq --arg cg "$CG_PARENT/$1" --argjson mem "$MEM_LIMIT" --argjson hook "$hook" \
		--argjson cpuset "$(ctr_has_cpuset && echo true || echo false)" '
		.process.terminal = false | .process.args = ["sleep", "600"] |
		.root.readonly = true |
		.linux.cgroupsPath = $cg |
		.linux.resources.memory = {limit: $mem} |
		.linux.resources.cpu = ({quota: 50000, period: 100000} +
			if $cpuset then {cpus: "0", mems: "0"} else {} end) |
		(if any(.linux.namespaces[]; .type == "cgroup") then .
		 else .linux.namespaces += [{type: "cgroup"}] end) |
		.mounts += [
			{destination: "/usr", type: "bind", source: "/usr", options: ["rbind", "ro"]},
			{destination: "/etc", type: "bind", source: "/etc", options: ["rbind", "ro"]},
			{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"]}] |
		.hooks = {createRuntime: [$hook], poststop: [$hook]}' \
		"$b/config.json" > "$b/config.json.new" && mv "$b/config.json.new" "$b/config.json"
}

# run NAME: starts the container detached (its init sleeps).
run() {
	bundle "$1"
	CTRS="$CTRS $1"
	$RUNC run -d --bundle "$TMP/$1" "$1" < /dev/null > /dev/null 2> "$TMP/$1.start"
}

# probe NAME: runs the probe in the running container.
probe() {
	$RUNC exec "$1" sh /probe > "$TMP/$1.out" 2> "$TMP/$1.err"
}

stop_ctrs() {
	for c in $CTRS; do
		$RUNC kill "$c" KILL 2>/dev/null
		$RUNC delete -f "$c" 2>/dev/null
	done
	rt_remove_cgroups
}
on_cleanup stop_ctrs

start_cviewfs "$MNT"
want_ctr=$(rt_expect_ctr)
want_host=$(rt_expect_host)
rt_note_top

run a
ok "$([ -n "$($RUNC state a 2>/dev/null | jq -r 'select(.status == "running") | .id')" ] && echo 1)" "runc starts a container with the hook ($(cat "$TMP/a.start"))"
probe a
rt_check_probe "$TMP/a.out" "$TMP/a.err" "$want_ctr" "runc + hook: the container's numbers"
rt_check_uptime "$TMP/a.out" "runc + hook"
ok "$(jq -e --arg id a '.id == $id' "$STATE/containers/a.json" >/dev/null 2>&1 && echo 1)" "the hook registered the container"

# Killed the hard way: the container's files are dead until remount.
rt_restart_hard "$MNT"
$RUNC exec a cat /proc/meminfo > /dev/null 2> "$TMP/dead.err"
ok "$(grep -q 'Transport endpoint is not connected' "$TMP/dead.err" && echo 1)" "after kill -9 the container's binds are stale"
"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --all > "$TMP/remount.out" 2>&1
is "$?" "0" "remount --all succeeds ($(tr '\n' ';' < "$TMP/remount.out"))"
probe a
rt_check_probe "$TMP/a.out" "$TMP/a.err" "$want_ctr" "after remount --all, the same container: its numbers again"

"$TK" --mountpoint "$MNT" --state-dir "$STATE" umount --all > "$TMP/umount.out" 2>&1
is "$?" "0" "umount --all succeeds ($(tr '\n' ';' < "$TMP/umount.out"))"
probe a
rt_check_probe "$TMP/a.out" "$TMP/a.err" "$want_host" "after umount --all: the host's numbers"

# By id: the registry (and runc's state directory) name the container.
"$TK" --mountpoint "$MNT" --state-dir "$STATE" --runtime-root "$TMP/runc" remount --container-id a > "$TMP/remount.out" 2>&1
is "$?" "0" "remount --container-id a brings the binds back"
probe a
rt_check_probe "$TMP/a.out" "$TMP/a.err" "$want_ctr" "after remount --container-id: the container's numbers"

# The daemon down: a new container still starts, with the host's files;
# once a daemon is back, remount --all gives it its own (it was registered).
rt_kill_daemon "$MNT"
run b
ok "$([ -n "$($RUNC state b 2>/dev/null | jq -r 'select(.status == "running") | .id')" ] && echo 1)" "a container starts while cviewfs is down"
ok "$(jq -e '.id == "b"' "$STATE/containers/b.json" >/dev/null 2>&1 && echo 1)" "the hook registered it all the same"
probe b
rt_check_probe "$TMP/b.out" "$TMP/b.err" "$want_host" "without cviewfs the container sees the host"
start_cviewfs "$MNT"
"$TK" --mountpoint "$MNT" --state-dir "$STATE" remount --all > "$TMP/remount.out" 2>&1
probe b
rt_check_probe "$TMP/b.out" "$TMP/b.err" "$want_ctr" "remount --all binds the container that started without cviewfs"

# poststop forgets the container.
$RUNC kill b KILL
for _ in $(seq 50); do [ "$($RUNC state b 2>/dev/null | jq -r .status)" = stopped ] && break; sleep 0.1; done
$RUNC delete b
ok "$([ ! -e "$STATE/containers/b.json" ] && echo 1)" "the poststop hook removed the container from the registry"

done_testing
