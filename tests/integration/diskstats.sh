#!/bin/bash
# diskstats and partitions in real containers: a container sees its own
# I/O, on this kernel where the v1 blkio files count nothing without a
# throttle rule, and never the host's.
set -u
. "$TESTLIB"

MNT=$TMP/mnt
start_cviewfs "$MNT"
name=$(new_ctr 0-1 max)
# sectors written and read on the devices the container sees, as "r w"
SECTORS='awk "{r += \$6; w += \$10} END {print r + 0, w + 0}" /proc/diskstats'

dd if=/dev/zero of="$TMP/host-io" bs=1M count=64 oflag=direct 2>/dev/null &
host_dd=$!
got=$(TMP=$TMP ctr_run "$name" "$MNT" sh -c "
	set -- \$($SECTORS); r0=\$1 w0=\$2
	dd if=/dev/zero of=\$TMP/ctr-io bs=64k count=320 oflag=direct 2>/dev/null
	dd if=\$TMP/ctr-io of=/dev/null bs=64k iflag=direct 2>/dev/null
	set -- \$($SECTORS)
	echo \$((\$1 - r0)) \$((\$2 - w0)) \$(grep -c . /proc/diskstats) \
		\$(awk 'NF && \$1 ~ /^[0-9]/' /proc/partitions | wc -l) \
		\$(head -1 /proc/partitions | awk '{print \$1 \$2}') \
		\$(awk '{print \$3}' /proc/diskstats | head -1) \
		\$(awk 'NF && \$1 ~ /^[0-9]/ {print \$4}' /proc/partitions | head -1)")
wait $host_dd
set -- $got
ok "$([ "${2:-0}" -ge 40960 ] && [ "${2:-0}" -lt 60000 ] && echo 1)" "the container's 20 MiB written show as its own ($2 sectors), the host's 64 MiB do not"
ok "$([ "${1:-0}" -ge 40960 ] && [ "${1:-0}" -lt 60000 ] && echo 1)" "the container's 20 MiB read show ($1 sectors)"
ok "$([ "${3:-0}" -ge 1 ] && [ "${3:-0}" -le 2 ] && echo 1)" "only the device(s) it used are listed (${3:-0} lines; host has $(grep -c . /proc/diskstats))"
ok "$([ "${6:-x}" = "${7:-y}" ] && [ "${5:-}" = majorminor ] && echo 1)" "partitions: the header, then the container's device (${6:-none})"
is "${4:-}" "${3:-}" "partitions lists as many devices as diskstats"
is "$(cat "$MNT/proc/diskstats" | wc -l)" "$(wc -l < /proc/diskstats)" "a host reader in the root blkio cgroup sees every host device"
rm -f "$TMP/host-io" "$TMP/ctr-io"

done_testing
