# Shared by the integration tests: TAP output, a private temp dir, starting
# cviewfs, and one cleanup trap that undoes everything a test made (its
# daemons, mounts, cgroups) even when the test fails or is interrupted.
# Needs root, /dev/fuse and $CVIEWFS (the binary under test).

TMP=$(mktemp -d /tmp/cviewfs-test.XXXXXX)
export TMP
TAP_N=0
TAP_FAILED=0
DAEMONS=""
MOUNTS=""
CLEANUPS=""

# ok CONDITION DESCRIPTION: passes when CONDITION is a non-empty string.
ok() {
	TAP_N=$((TAP_N + 1))
	if [ -n "$1" ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 1 "$3"
	else
		ok "" "$3"
		printf '%s\n' "got:" "$1" "want:" "$2" | sed 's/^/#   /'
	fi
}

skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N # SKIP $1"
}

# The test's own stdout, for a bail-out from inside $(...).
exec 3>&1
bail() {
	echo "Bail out! $1" >&3
	# In a command substitution: end the test itself (its trap cleans up).
	[ "$BASHPID" = "$$" ] || kill -TERM $$
	exit 1
}

done_testing() {
	# The daemons are stopped first: a sanitizer build reports leaks as a
	# process exits, into the daemon log, where no test would look.
	stop_daemons
	if [ -s "$TMP/daemon.log" ]; then
		local found
		found=$(grep -m1 -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$TMP/daemon.log")
		ok "$([ -z "$found" ] && echo 1)" "the daemons' sanitizers found nothing ${found:+($found; the log follows)}"
		[ -z "$found" ] || grep -A20 -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$TMP/daemon.log" | head -60 >&2
	fi
	echo "1..$TAP_N"
	[ "$TAP_FAILED" = 0 ]
	exit $?
}

# on_cleanup FUNCTION: run FUNCTION when the test exits.
on_cleanup() { CLEANUPS="$1 $CLEANUPS"; }

# Stops every daemon started here and removes what they left mounted.
stop_daemons() {
	for pid in $DAEMONS; do kill "$pid" 2>/dev/null; done
	for m in $MOUNTS; do
		for _ in $(seq 30); do grep -q " $m fuse" /proc/mounts || break; sleep 0.1; done
		grep -q " $m fuse" /proc/mounts && umount -l "$m"
	done
	for pid in $DAEMONS; do wait "$pid" 2>/dev/null; done
	DAEMONS="" MOUNTS=""
}

cleanup_all() {
	for f in $CLEANUPS; do "$f"; done
	stop_daemons
	# What the daemons said, for a failed test's log.
	if [ "$TAP_FAILED" != 0 ] && [ -s "$TMP/daemon.log" ]; then
		echo "--- daemon log (last 40 lines)" >&2
		tail -40 "$TMP/daemon.log" >&2
	fi
	rm -rf "$TMP"
}
trap cleanup_all EXIT
trap 'exit 1' INT TERM

# mounted MNT: true while a FUSE filesystem is mounted at MNT.
mounted() { grep -q " $1 fuse" /proc/mounts; }

# start_cviewfs MNT [ARGS...]: runs cviewfs in the foreground (in the
# background of the test), waits until MNT serves, sets CVIEWFS_PID.
start_cviewfs() {
	local mnt=$1
	shift
	mkdir -p "$mnt"
	"$CVIEWFS" -f -p "$mnt.pid" "$@" "$mnt" 2>>"$TMP/daemon.log" &
	CVIEWFS_PID=$!
	DAEMONS="$DAEMONS $CVIEWFS_PID"
	MOUNTS="$MOUNTS $mnt"
	for _ in $(seq 50); do
		# A real read: on a dead mount, access() can still succeed
		# from the kernel's caches.
		timeout 5 head -c1 "$mnt/proc/meminfo" >/dev/null 2>&1 && mounted "$mnt" && return 0
		kill -0 "$CVIEWFS_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/daemon.log" >&2
	bail "cviewfs did not come up at $mnt"
}

# After inputs change (a limit written, a cgroup made again): until a read
# shows them. A render is served for its window (10 ms while the daemon
# keeps up) and, to a read on a request thread, for up to one more window
# while that thread renews it after answering.
past_window() { sleep 0.05; }

# kb KEY: the number of /proc/meminfo-style line "KEY:" on stdin.
kb() { awk -v k="$1:" '$1 == k {print $2}'; }

# The containers of these tests are scripts/container.sh's: cgroups with
# limits, plus new pid and mount namespaces with MNT's files bound in.
CTR_LIB=$(cd "$(dirname "$TESTLIB")/../.." && pwd)/scripts/container.sh
export CTR_LIB
. "$CTR_LIB"
# new_ctr CPUS QUOTA [MEM_BYTES]: creates a container's cgroups, prints its name.
new_ctr() {
	local name=cvt-$(basename "$0" .sh)-$$-$(( $(cat "$TMP/containers" 2>/dev/null | wc -l) + 1 ))
	ctr_create "$name" "${3:-$((256 << 20))}" "$2" "$1" || { ctr_remove "$name"; bail "cannot create cgroups $name"; }
	echo "$name" >> "$TMP/containers"
	echo "$name"
}
remove_ctrs() {
	[ -f "$TMP/containers" ] || return 0
	while read -r n; do ctr_remove "$n"; done < "$TMP/containers"
}
on_cleanup remove_ctrs

# in_cgroup NAME CMD...: runs CMD in the container's cgroups only (no new
# namespaces), e.g. to read MNT's files directly.
in_cgroup() {
	local name=$1
	shift
	sh -c '. "$CTR_LIB"; ctr_join "$1" $$; shift; exec "$@"' sh "$name" "$@"
}
