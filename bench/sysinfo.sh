#!/bin/bash
# The seccomp agent's cost per call: sysinfo(2) answered for a container
# (256 MiB, 0.5 CPU, cpuset 0) against the native call from the same
# cgroup, ROUNDS rounds of CALLS calls each: calls per second, p50 and p99
# per call (median over the rounds). Run as root; the cgroups are
# scripts/container.sh's (made under the caller's own memory cgroup) and
# removed on exit.
#   bench/sysinfo.sh [CALLS=20000] [ROUNDS=3]
set -u
CALLS=${1:-20000} ROUNDS=${2:-3}
cd "$(dirname "$0")/.."
BIN=${CVIEWFS:-build/cviewfs}
TMP=$(mktemp -d /tmp/cviewfs-bench.XXXXXX)
. scripts/container.sh
NAME=cvb-sysinfo-$$
cleanup() {
	[ -f "$TMP/cviewfs.pid" ] && kill "$(cat "$TMP/cviewfs.pid")" 2>/dev/null
	for _ in $(seq 50); do grep -q " $TMP/mnt " /proc/mounts || break; sleep 0.1; done
	grep -q " $TMP/mnt " /proc/mounts && umount -l "$TMP/mnt"
	ctr_remove "$NAME"
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

cc -O2 -o "$TMP/client" tests/integration/seccomp_client.c -lseccomp || exit 1
mkdir "$TMP/mnt"
"$BIN" -p "$TMP/cviewfs.pid" "$TMP/mnt" || exit 1
for _ in $(seq 50); do [ -S "$TMP/cviewfs.seccomp.sock" ] && break; sleep 0.1; done
ctr_create "$NAME" $((256 << 20)) 50000 0 || exit 1
in_ctr() { sh -c '. scripts/container.sh; ctr_join "$1" $$; shift; exec "$@"' sh "$NAME" "$@"; }

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for mode in native agent; do
	sock=-
	[ "$mode" = agent ] && sock=$TMP/cviewfs.seccomp.sock
	for r in $(seq "$ROUNDS"); do in_ctr "$TMP/client" "$sock" bench "$CALLS"; done > "$TMP/$mode"
	printf '%-7s calls/s %8s  p50 %6s ns  p99 %6s ns\n' "$mode" \
		"$(awk '{print $2}' "$TMP/$mode" | median)" "$(awk '{print $4}' "$TMP/$mode" | median)" \
		"$(awk '{print $6}' "$TMP/$mode" | median)"
done
