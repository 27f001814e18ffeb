#!/bin/bash
# Crash-proof: readers that share containers (two per container) read
# meminfo, stat, cpuinfo and uptime in a loop, first with nothing killed,
# then while the serving process is stopped in the middle of its requests
# and killed with SIGKILL 200 times. No read may fail or stay blocked
# (before Linux 6.9 the successor answers the dead process's requests from
# the in-flight journal), and no counter a reader saw may ever go back.
. "$TESTLIB"
. "$(dirname "$TESTLIB")/readers_lib.sh"
KILLS=200
# The kill loop's bound: a User-Mode Linux guest takes over in 0.2-1 s.
LIMIT=150
[ -n "${CVIEWFS_UML_OUT-}" ] && LIMIT=320

MNT=$TMP/mnt
start_cviewfs "$MNT" -l
SUP=$CVIEWFS_PID

# --- nothing killed: two readers of one container never see a counter go back ---
start_readers steady 4 2
sleep 10
stop_readers steady

# --- 200 kills, each caught in the middle of requests where possible ---
start_readers crash 8 2
result=$(python3 "$(dirname "$TESTLIB")/crash_killer.py" "$SUP" "$MNT" "$KILLS" "$LIMIT")
kills=$(echo "$result" | sum_field kills)
is "$kills" "$KILLS" "after each of $KILLS SIGKILLs of a stopped serving process a successor answered ($result)"
ok "$(kill -0 "$SUP" && mounted "$MNT" && echo 1)" "the supervisor and the mount are untouched"
ok "$(grep -q 'killed by signal 9' "$TMP/daemon.log" && echo 1)" "the supervisor logs how the serving process died"
journaled=$(grep -o 'answered [0-9]* request' "$TMP/daemon.log" | awk '{s += $2} END {print s + 0}')
ok "$([ "$journaled" -gt 0 ] && echo 1)" "successors answered $journaled requests their predecessors had taken (from the in-flight journal)"
stop_readers crash

done_testing
