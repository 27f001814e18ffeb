#!/bin/bash
# Per-container load averages (-l) in real containers: two busy loops raise
# a container's 1-minute load while an idle container next to it stays low,
# R/T counts the container's own threads, and without -l the host's file
# is served.
set -u
. "$TESTLIB"

MNT=$TMP/mnt
start_cviewfs "$MNT" -l
MNT_PLAIN=$TMP/mnt-plain
start_cviewfs "$MNT_PLAIN"

busy=$(new_ctr 0-1 max)
idle=$(new_ctr 0-1 max)
# Both read once at the start (which starts their sampling), then 30 s later.
ctr_run "$busy" "$MNT" sh -c '
	cat /proc/loadavg > /dev/null
	timeout 31 sh -c "while :; do :; done" &
	timeout 31 sh -c "while :; do :; done" &
	sleep 30; cat /proc/loadavg' > "$TMP/busy" &
b=$!
ctr_run "$idle" "$MNT" sh -c 'cat /proc/loadavg > /dev/null; sleep 30; cat /proc/loadavg' > "$TMP/idle" &
i=$!
wait $b $i
read -r b1 b5 b15 brt blast < "$TMP/busy"
read -r i1 i5 i15 irt ilast < "$TMP/idle"
ok "$(python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)" "${b1:-0}" && echo 1)" "two busy loops: 1-minute load above 0.5 within 30 s ($b1 $b5 $b15)"
ok "$(python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 0.3 else 1)" "${i1:-9}" && echo 1)" "an idle container next to it stays below 0.3 ($i1 $i5 $i15)"
ok "$(echo "$brt" | grep -qE '^[34]/[0-9]+$' && echo 1)" "R/T: the two loops and the reader are running ($brt)"
ok "$(echo "$irt" | grep -qE '^1/[0-9]+$' && [ "${irt#*/}" -le 5 ] && echo 1)" "R/T of the idle container: its reader of its few threads ($irt)"
ok "$([ "${ilast:-99999}" -lt 100 ] && echo 1)" "LAST is the newest pid as numbered in the container ($ilast)"
# The host's averages may move between two reads: accept either side.
h1=$(cut -d' ' -f1-3 /proc/loadavg)
got=$(cut -d' ' -f1-3 "$MNT_PLAIN/proc/loadavg")
h2=$(cut -d' ' -f1-3 /proc/loadavg)
ok "$([ "$got" = "$h1" ] || [ "$got" = "$h2" ] && echo 1)" "without -l the host's file is served ($got)"

done_testing
