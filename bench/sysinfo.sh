#!/bin/bash
# The seccomp agent's cost per call: sysinfo(2) answered by the agent
# against the native call, ROUNDS rounds of CALLS calls each: calls per
# second, p50 and p99 per call (median over the rounds), for a host
# process and for containers (256 MiB) on CPUs 0-1 without a quota, and on
# CPU 0 alone with 0.5 CPU (the caller then always waits for an agent
# thread woken on the other CPU). Run as root; the cgroups are
# scripts/container.sh's (made under the caller's own memory cgroup) and
# removed on exit.
#   bench/sysinfo.sh [CALLS=20000] [ROUNDS=3]
set -u
CALLS=${1:-20000} ROUNDS=${2:-3}
cd "$(dirname "$0")/.."
BIN=${CVIEWFS:-build/cviewfs}
TMP=$(mktemp -d /tmp/cviewfs-bench.XXXXXX)
. scripts/container.sh
NAMES=""
cleanup() {
	[ -f "$TMP/cviewfs.pid" ] && kill "$(cat "$TMP/cviewfs.pid")" 2>/dev/null
	for _ in $(seq 50); do grep -q " $TMP/mnt " /proc/mounts || break; sleep 0.1; done
	grep -q " $TMP/mnt " /proc/mounts && umount -l "$TMP/mnt"
	for n in $NAMES; do ctr_remove "$n"; done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

cc -O2 -o "$TMP/client" tests/integration/seccomp_client.c -lseccomp || exit 1
mkdir "$TMP/mnt"
"$BIN" -p "$TMP/cviewfs.pid" "$TMP/mnt" || exit 1
for _ in $(seq 50); do [ -S "$TMP/cviewfs.seccomp.sock" ] && break; sleep 0.1; done
# run WHERE CMD...: CMD in the cgroups of container WHERE ("host": none).
run() {
	local where=$1
	shift
	if [ "$where" = host ]; then "$@"; else sh -c '. scripts/container.sh; ctr_join "$1" $$; shift; exec "$@"' sh "$where" "$@"; fi
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
measure() { # LABEL WHERE
	for mode in native agent; do
		sock=-
		[ "$mode" = agent ] && sock=$TMP/cviewfs.seccomp.sock
		for _ in $(seq "$ROUNDS"); do run "$2" "$TMP/client" "$sock" bench "$CALLS"; done > "$TMP/$mode"
		printf '%-28s %-6s calls/s %8s  p50 %6s ns  p99 %7s ns\n' "$1" "$mode" \
			"$(awk '{print $2}' "$TMP/$mode" | median)" "$(awk '{print $4}' "$TMP/$mode" | median)" \
			"$(awk '{print $6}' "$TMP/$mode" | median)"
	done
}
measure "host process" host
for spec in "max 0-1" "50000 0"; do
	set -- $spec
	name=cvb-sysinfo-$$-${#NAMES}
	NAMES="$NAMES $name"
	ctr_create "$name" $((256 << 20)) "$1" "$2" || exit 1
	measure "container: cpus $2, quota $1" "$name"
done
