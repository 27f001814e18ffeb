#!/bin/bash
# Metrics (README "Metrics"): the Prometheus text file the supervisor writes
# next to the pid file, counts of real reads, no counter going back through
# a kill -9 of the serving process and an upgrade (and the successor
# continuing the same numbers), `cviewfs-toolkit status`, the write at
# stop, --metrics-file PATH and --metrics-file none.
# CVIEWFS_METRICS_INTERVAL=0.2 makes the supervisor write every 0.2 s
# instead of every 15 s.
set -u
. "$TESTLIB"
N=40
export CVIEWFS_METRICS_INTERVAL=0.2

MNT=$TMP/mnt
PROM=$MNT.prom
start_cviewfs "$MNT" -l
SUP=$CVIEWFS_PID
. "$(dirname "$TESTLIB")/readers_lib.sh"

# metric NAME [LABELS] [FILE]: a sample's value in the file ("" if none).
metric() {
	local key=$1
	[ -n "${2-}" ] && key="$1{$2}"
	awk -v k="$key" '$1 == k {print $2}' "${3:-$PROM}" 2>/dev/null
}
# at_least NAME LABELS MIN: waits (5 s at most) until the file shows
# NAME{LABELS} >= MIN; prints the value last seen.
at_least() {
	local v
	for _ in $(seq 100); do
		v=$(metric "$1" "$2")
		[ -n "$v" ] && awk -v v="$v" -v m="$3" 'BEGIN {exit !(v >= m)}' && break
		sleep 0.05
	done
	echo "${v:-none}"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a != "" && a + 0 >= b + 0)}'; }
# counters FILE: every sample of a counter or histogram family, "name{labels} value".
counters() {
	awk '$1 == "#" && $2 == "TYPE" {t[$3] = $4; next}
	     /^#/ {next}
	     {f = $1; sub(/\{.*/, "", f); base = f; sub(/_(bucket|sum|count)$/, "", base)
	      if (t[f] == "counter" || t[base] == "histogram") print}' "$1"
}
# went_back BEFORE AFTER: the samples of BEFORE that are lower in AFTER.
went_back() {
	awk 'NR == FNR {v[$1] = $2; next} ($1 in v) && $2 + 0 < v[$1] + 0 {print $1 ": " v[$1] " -> " $2}' \
		<(counters "$1") <(counters "$2")
	awk 'NR == FNR {seen[$1] = 1; next} {if (!($1 in seen)) print $1 ": gone"}' <(counters "$2") <(counters "$1")
}
read_files() {
	for _ in $(seq "$1"); do
		cat "$MNT/proc/meminfo" "$MNT/proc/uptime" >/dev/null
	done
}

# --- the file ---
ok "$([ -f "$PROM" ] && echo 1)" "written at start to the pid file's path with .prom ($PROM)"
is "$(stat -c %a "$PROM")" "644" "mode 0644, for the textfile collector"
fams="cviewfs_reads_total cviewfs_read_errors_total cviewfs_render_cache_hits_total cviewfs_render_cache_misses_total
      cviewfs_host_fallbacks_total cviewfs_serving_process_starts_total cviewfs_serving_process_restarts_total
      cviewfs_upgrades_total cviewfs_request_duration_seconds cviewfs_containers_tracked
      cviewfs_sampler_cpu_seconds_total cviewfs_sampler_samples_total cviewfs_start_time_seconds"
missing=""
for f in $fams; do
	[ "$(grep -c "^# HELP $f " "$PROM")" = 1 ] && [ "$(grep -c "^# TYPE $f " "$PROM")" = 1 ] || missing="$missing $f"
done
is "$missing" "" "each family has one HELP and one TYPE line"
untyped=$(awk '$1 == "#" && $2 == "TYPE" {t[$3] = 1; next} /^#/ {next}
	{f = $1; sub(/\{.*/, "", f); base = f; sub(/_(bucket|sum|count)$/, "", base); if (!t[f] && !t[base]) print f}' "$PROM")
is "$untyped" "" "every sample belongs to a typed family"
is "$(metric cviewfs_serving_process_starts_total)" "1" "one serving process started"

# --- N reads of each file are counted ---
read_files $N
v=$(at_least cviewfs_reads_total 'file="proc/meminfo"' $N)
ok "$(ge "$v" $N && echo 1)" "$N reads of proc/meminfo counted ($v)"
v=$(at_least cviewfs_reads_total 'file="proc/uptime"' $N)
ok "$(ge "$v" $N && echo 1)" "$N reads of proc/uptime counted ($v)"
is "$(metric cviewfs_read_errors_total 'file="proc/meminfo"')" "0" "no failed read"
hits=$(metric cviewfs_render_cache_hits_total) misses=$(metric cviewfs_render_cache_misses_total)
ok "$(ge $((hits + misses)) $((2 * N)) && echo 1)" "every read of a per-container file looked in the render cache ($hits hits, $misses misses)"
count=$(metric cviewfs_request_duration_seconds_count)
inf=$(metric cviewfs_request_duration_seconds_bucket 'le="+Inf"')
ok "$(ge "$count" $((4 * N)) && [ "$count" = "$inf" ] && echo 1)" "request latencies: $count requests (>= 4 per read), the +Inf bucket the same"
sum=$(metric cviewfs_request_duration_seconds_sum)
ok "$(awk -v s="$sum" 'BEGIN {exit !(s > 0 && s < 100)}' && echo 1)" "their sum in seconds: $sum"

# --- a kill -9 of the serving process: nothing goes back, a restart counted ---
cp "$PROM" "$TMP/before-kill.prom"
w=$(serving)
kill -KILL "$w"
wait_serving "$w" >/dev/null
v=$(at_least cviewfs_serving_process_restarts_total "" 1)
is "$v" "1" "the restart after kill -9 is counted"
is "$(metric cviewfs_serving_process_starts_total)" "2" "two serving processes started"
cp "$PROM" "$TMP/after-kill.prom"
back=$(went_back "$TMP/before-kill.prom" "$TMP/after-kill.prom")
is "$back" "" "no counter went back through the kill"
read_files $N
v=$(at_least cviewfs_reads_total 'file="proc/meminfo"' $((2 * N)))
ok "$(ge "$v" $((2 * N)) && echo 1)" "the successor counts on from the dead process's numbers ($v >= $((2 * N)))"

# --- an upgrade (SIGUSR1: the supervisor re-executes itself too) ---
cp "$PROM" "$TMP/before-upgrade.prom"
w=$(serving)
kill -USR1 "$SUP"
wait_serving "$w" >/dev/null
v=$(at_least cviewfs_upgrades_total "" 1)
is "$v" "1" "the upgrade is counted"
read_files $N
v=$(at_least cviewfs_reads_total 'file="proc/meminfo"' $((3 * N)))
ok "$(ge "$v" $((3 * N)) && echo 1)" "after the upgrade the same numbers go on ($v >= $((3 * N)))"
cp "$PROM" "$TMP/after-upgrade.prom"
back=$(went_back "$TMP/before-upgrade.prom" "$TMP/after-upgrade.prom")
is "$back" "" "no counter went back through the upgrade"
ok "$(grep -q 'replaced in place' "$TMP/daemon.log" && echo 1)" "(the supervisor was replaced in place too)"

# --- a container: tracked, and the loadavg sampler's samples ---
name=$(new_ctr 0 max)
in_cgroup "$name" cat "$MNT/proc/loadavg" >/dev/null
v=$(for _ in $(seq 8); do
	x=$(at_least cviewfs_containers_tracked 'set="loadavg"' 1)
	ge "$x" 1 && break
done; echo "$x")
ok "$(ge "$v" 1 && echo 1)" "a container reading loadavg is tracked ($v)"
v=$(at_least cviewfs_sampler_samples_total "" 1)
ge "$v" 1 || v=$(at_least cviewfs_sampler_samples_total "" 1)
ok "$(ge "$v" 1 && echo 1)" "the loadavg sampler's samples are counted ($v, $(metric cviewfs_sampler_cpu_seconds_total) s of CPU)"

# --- cviewfs-toolkit status ---
OUT=$("$CVIEWFS_TOOLKIT" status -p "$MNT.pid" 2>&1)
RC=$?
echo "$OUT" | sed 's/^/# /'
ok "$([ $RC = 0 ] && echo "$OUT" | grep -q "^cviewfs: running, pid $SUP, up " && echo 1)" "status: the daemon's pid and uptime"
ok "$(echo "$OUT" | grep -qE '^reads: [0-9]+ \([0-9.]+/s .*\), 0 failed' && echo 1)" "status: reads, rate and errors"
ok "$(echo "$OUT" | grep -qE '^request latency: p50 [0-9.]+ (us|ms), p99 [0-9.]+ (us|ms|s)' && echo 1)" "status: latency p50 and p99"
ok "$(echo "$OUT" | grep -q '^serving processes: 3 started, 1 restarted after a crash, 1 upgrade$' && echo 1)" "status: starts, restarts, upgrades"
ok "$(echo "$OUT" | grep -q '^render cache: [0-9.]*% hits' && echo "$OUT" | grep -q '^fallbacks to host values: ' &&
	echo "$OUT" | grep -q '^containers tracked: ' && echo 1)" "status: hit ratio, fallbacks, containers"
OUT=$("$CVIEWFS_TOOLKIT" status --metrics-file "$TMP/nothing.prom" 2>&1)
RC=$?
ok "$([ $RC = 1 ] && [ "$(echo "$OUT" | wc -l)" = 1 ] && echo "$OUT" | grep -q 'no metrics file' && echo 1)" "status of a missing file: one line, exit 1 ($OUT)"
cp "$PROM" "$TMP/old.prom"
touch -d '-2 min' "$TMP/old.prom"
OUT=$("$CVIEWFS_TOOLKIT" status --metrics-file "$TMP/old.prom" 2>&1)
RC=$?
ok "$([ $RC = 1 ] && [ "$(echo "$OUT" | wc -l)" = 1 ] && echo "$OUT" | grep -q 'is stale: written 2 min' && echo 1)" "status of a file 2 minutes old: stale, exit 1 ($OUT)"

# --- stop: the last numbers are written ---
last=$(metric cviewfs_reads_total 'file="proc/meminfo"')
kill -TERM "$SUP"
wait "$SUP"
ok "$([ -f "$PROM" ] && ge "$(metric cviewfs_reads_total 'file="proc/meminfo"')" "$last" && echo 1)" "after SIGTERM the file keeps the final numbers"
ok "$(! ls "$TMP" | grep -q '\.tmp$' && echo 1)" "no temporary file left"

# --- --metrics-file PATH, at the default interval: written at start and stop ---
MNT2=$TMP/mnt2
CVIEWFS_METRICS_INTERVAL= start_cviewfs "$MNT2" --metrics-file "$TMP/custom.prom"
ok "$([ -f "$TMP/custom.prom" ] && [ ! -e "$MNT2.prom" ] && echo 1)" "--metrics-file PATH: written there (at start), not beside the pid file"
for _ in $(seq $N); do cat "$MNT2/proc/meminfo" >/dev/null; done
kill -TERM "$CVIEWFS_PID"
wait "$CVIEWFS_PID"
v=$(metric cviewfs_reads_total 'file="proc/meminfo"' "$TMP/custom.prom")
ok "$(ge "$v" $N && echo 1)" "written at stop, with the $N reads ($v)"

# --- --metrics-file none ---
MNT3=$TMP/mnt3
start_cviewfs "$MNT3" --metrics-file none
for _ in $(seq 5); do cat "$MNT3/proc/meminfo" >/dev/null; done
sleep 0.5
kill -TERM "$CVIEWFS_PID"
wait "$CVIEWFS_PID"
ok "$([ ! -e "$MNT3.prom" ] && ! ls "$TMP" | grep -q 'mnt3.*prom' && echo 1)" "--metrics-file none: no file written"

done_testing
