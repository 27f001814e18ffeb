#!/bin/bash
# What an administrator does on a systemd host, in the User-Mode Linux guest
# with systemd 252 as PID 1 (tests/uml/systemd_stage builds the packages):
# install the .deb, `systemctl enable --now cviewfs`, start a podman (crun)
# container that gets cviewfs's files through the installed hooks.d file,
# upgrade to a newer package (reloaded in place), kill -9 the serving
# process, kill -9 the supervisor, stop the service, remove the package:
# the container runs throughout and never sees an error. A second container,
# started through the installed cviewfs-runtime over crun, calls sysinfo(2)
# in a loop through all of it: the seccomp agent answers every call.
set -u
. "$TESTLIB"

[ "$(cat /proc/1/comm)" = systemd ] || bail "PID 1 is not systemd (run through tests/uml/systemd_stage)"
[ -f "${CVIEWFS_DEB_A-}" ] && [ -f "${CVIEWFS_DEB_B-}" ] || bail "CVIEWFS_DEB_A and CVIEWFS_DEB_B (the packages) are not set"
command -v podman >/dev/null && command -v crun >/dev/null || bail "podman and crun are needed"
MNT=/var/lib/lxcfs
ver() { dpkg-deb -f "$1" Version; }
mainpid() { systemctl show -P MainPID cviewfs; }
# The serving process: the supervisor's newest child running a serving
# process's image (CVIEWFS_SERVE in its environment): not the "--version"
# an upgrade asks the new binary first, nor a child not yet exec'd.
serving() {
	local c last=""
	for c in $(cat "/proc/$(mainpid)/task/$(mainpid)/children" 2>/dev/null); do
		tr '\0' '\n' < "/proc/$c/environ" 2>/dev/null | grep -q '^CVIEWFS_SERVE=' && last=$c
	done
	echo "$last"
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq $n); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

ok "$([ -f /sys/fs/cgroup/cgroup.controllers ] && echo 1)" "systemd $(systemctl --version | awk 'NR == 1 {print $2}') runs on a pure cgroup v2 hierarchy"

# --- install: nothing starts until the administrator says so ---
dpkg -i "$CVIEWFS_DEB_A" > "$TMP/dpkg-a.log" 2>&1
ok "$([ $? = 0 ] && echo 1)" "dpkg -i installs cviewfs $(ver "$CVIEWFS_DEB_A") ($(tail -1 "$TMP/dpkg-a.log"))"
remove_package() { dpkg -P cviewfs > /dev/null 2>&1; }
on_cleanup remove_package
is "$(systemctl is-enabled cviewfs 2>&1) $(systemctl is-active cviewfs 2>&1)" "disabled inactive" \
	"the service is installed, neither enabled nor started"
systemctl enable --now cviewfs > "$TMP/enable.log" 2>&1
ok "$([ $? = 0 ] && echo 1)" "systemctl enable --now cviewfs ($(tr '\n' ' ' < "$TMP/enable.log"))"
ok "$(wait_for 10 cviewfs-toolkit check && echo 1)" "cviewfs-toolkit check: $MNT serves ($(cviewfs-toolkit check 2>&1))"
SUP=$(mainpid)

# --- a podman (crun) container started afterwards: its files through hooks.d ---
ROOTFS=$TMP/rootfs
mkdir -p "$ROOTFS"/{usr,etc,proc,sys,dev,tmp,share} "$TMP/share"
for d in bin lib lib64 sbin; do ln -s "usr/$d" "$ROOTFS/$d"; done
PODMAN="podman --root $TMP/podman/root --runroot /run/cviewfs-test-podman --storage-driver vfs
	--runtime crun --cgroup-manager=cgroupfs --events-backend=file"
stop_ctr() { $PODMAN rm -f -t 0 c > /dev/null 2>&1; rmdir /sys/fs/cgroup/cvt-systemd/* /sys/fs/cgroup/cvt-systemd 2>/dev/null; }
on_cleanup stop_ctr
$PODMAN run -d --name c --network none --cgroups=no-conmon --cgroup-parent=cvt-systemd --memory 256m \
	-v /usr:/usr:ro -v /etc:/etc:ro -v "$TMP/share:/share" --rootfs "$ROOTFS" sleep 3600 > "$TMP/run.log" 2>&1
ok "$([ "$($PODMAN inspect -f '{{.State.Running}}' c 2>/dev/null)" = true ] && echo 1)" \
	"podman with crun starts a 256 MiB container ($(tail -1 "$TMP/run.log"))"
# probe: what free and /proc/uptime say in the container, and any error.
probe() { $PODMAN exec c sh -c 'echo "$(free -m | awk "/^Mem:/ {print \$2}") $(cut -d. -f1 /proc/uptime)"' 2>&1; }
set -- $(probe)
is "${1:-}" 256 "the installed hooks.d file gave it cviewfs's files: free -m says 256"
ok "$([ "${2:-999}" -lt 120 ] && echo 1)" "and its uptime is its own (${2:-?} s)"

# --- a container through cviewfs-runtime (over crun): sysinfo answered by the agent ---
SHIM_PODMAN="podman --root $TMP/podman/root --runroot /run/cviewfs-test-podman --storage-driver vfs
	--runtime /usr/bin/cviewfs-runtime --runtime-flag cviewfs-runtime=crun --cgroup-manager=cgroupfs --events-backend=file"
stop_shim_ctr() { $SHIM_PODMAN rm -f -t 0 s > /dev/null 2>&1; }
on_cleanup stop_shim_ctr
cp "$(dirname "$TESTLIB")/sysinfo_loop.py" "$TMP/share/sysinfo_loop.py"
$SHIM_PODMAN run -d --name s --network none --cgroups=no-conmon --cgroup-parent=cvt-systemd --memory 256m \
	-v /usr:/usr:ro -v /etc:/etc:ro -v "$TMP/share:/share" --rootfs "$ROOTFS" sleep 3600 > "$TMP/run-s.log" 2>&1
ok "$([ "$($SHIM_PODMAN inspect -f '{{.State.Running}}' s 2>/dev/null)" = true ] && echo 1)" \
	"podman --runtime cviewfs-runtime (over crun) starts a 256 MiB container ($(tail -1 "$TMP/run-s.log"))"
is "$($SHIM_PODMAN exec s busybox free -m 2>&1 | awk '/^Mem:/ {print $2}')" 256 "there busybox free -m (sysinfo) says 256"
$SHIM_PODMAN exec -d s python3 /share/sysinfo_loop.py $((256 << 20)) /share/sysstop /share/sysresult > /dev/null

# A reader in the container that reads meminfo, stat and cpuinfo in a loop
# through the upgrade and the serving process's crash.
cp "$(dirname "$TESTLIB")/resilience_reader.py" "$TMP/share/reader.py"
start_reader() { rm -f "$TMP/share/stop" "$TMP/share/result"; $PODMAN exec -d c python3 /share/reader.py 262144 /share/stop /share/result > /dev/null; sleep 1; }
stop_reader() { # WHAT [crash]
	touch "$TMP/share/stop"
	wait_for 20 test -s "$TMP/share/result"
	local r
	r=$(cat "$TMP/share/result" 2>/dev/null)
	if [ "${2-}" = crash ] && [ -n "$r" ] && ! echo "$r" | grep -q 'failures=0 ' &&
		echo "$r" | grep -q 'Input/output'; then
		# User-Mode Linux: a request being copied as its serving
		# process is killed can fail with EIO (docs/resilience.md).
		skip "User-Mode Linux: $1: $r"
		return
	fi
	ok "$(echo "$r" | grep -q 'failures=0 ' && echo 1)" "$1: the container's reader saw no failed read and no wrong content (${r:-no result})"
}

# --- upgrade: the newer package is reloaded in place ---
start_reader
old_serving=$(serving)
dpkg -i "$CVIEWFS_DEB_B" > "$TMP/dpkg-b.log" 2>&1
ok "$([ $? = 0 ] && echo 1)" "dpkg -i of the newer package $(ver "$CVIEWFS_DEB_B") succeeds"
systemctl reload cviewfs
new_version() { [ "$(/proc/"$(serving)"/exe --version 2>/dev/null)" = "cviewfs $(ver "$CVIEWFS_DEB_B")" ]; }
ok "$(wait_for 10 new_version && echo 1)" "after systemctl reload the newer build serves ($(/proc/"$(serving)"/exe --version 2>&1))"
is "$(mainpid) $(systemctl is-active cviewfs)" "$SUP active" "the service was not restarted (same supervisor)"
is "$(/proc/"$SUP"/exe --version 2>&1)" "cviewfs $(ver "$CVIEWFS_DEB_B")" "the supervisor itself was replaced in place by the newer build"
sleep 1
stop_reader "upgrade"
start_reader

# --- kill -9 of the serving process: it heals by itself ---
w=$(serving)
kill -KILL "$w"
healed() { s=$(serving); [ -n "$s" ] && [ "$s" != "$w" ]; }
ok "$(wait_for 10 healed && echo 1)" "kill -9 of the serving process: a new one serves ($w -> $(serving))"
sleep 1
stop_reader "serving-process crash" crash
set -- $(probe)
is "${1:-}" 256 "the container still sees 256 MiB"

# --- kill -9 of the supervisor: systemd holds the connection and restarts it ---
start_reader
kill -KILL "$SUP"
restarted() { p=$(mainpid); [ "$p" != 0 ] && [ "$p" != "$SUP" ] && [ "$(systemctl is-active cviewfs)" = active ]; }
back=$(wait_for 30 restarted && echo 1)
ok "$back" "kill -9 of the supervisor: systemd starts cviewfs again ($SUP -> $(mainpid))"
[ -n "$back" ] || { systemctl status cviewfs; journalctl -q -u cviewfs | tail -20; } >&2
ok "$(journalctl -q -u cviewfs | grep -q "back from systemd's descriptor store" && echo 1)" \
	"the new supervisor took the same FUSE connection back from systemd's descriptor store"
sleep 1
stop_reader "supervisor crash" crash
set -- $(probe)
is "${1:-}" 256 "the container still sees 256 MiB, without a remount or a restart"

# The sysinfo loop went on through the upgrade and both crashes.
touch "$TMP/share/sysstop"
wait_for 20 test -s "$TMP/share/sysresult"
r=$(cat "$TMP/share/sysresult" 2>/dev/null)
ok "$(echo "$r" | grep -Eq '^calls [0-9]{3,} failed 0 enosys 0 wrong 0$' && echo 1)" \
	"through the upgrade and both kill -9s, every sysinfo call was answered with 256 MiB (${r:-no result})"
ok "$(journalctl -q -u cviewfs | grep -q "seccomp agent: took .* descriptors back from systemd's descriptor store" && echo 1)" \
	"the new supervisor took the containers' notify descriptors back from systemd's store"

# --- stop: containers on host values, no error ---
host_mb=$(free -m | awk '/^Mem:/ {print $2}')
systemctl stop cviewfs
is "$(systemctl is-active cviewfs)" inactive "systemctl stop cviewfs"
out=$(probe)
set -- $out
host_up=$(cut -d. -f1 /proc/uptime)
ok "$([ "${1:-}" = "$host_mb" ] && [ "${2:-0}" -ge $((host_up - 2)) ] && [ "${2:-0}" -le "$host_up" ] && echo 1)" \
	"after stop the container sees the host's memory ($host_mb MiB) and uptime ($host_up s), with no error: $out"
ok "$(! grep -q " $MNT fuse" /proc/mounts && echo 1)" "and $MNT is unmounted"

# --- removal ---
dpkg -r cviewfs > "$TMP/remove.log" 2>&1
ok "$([ $? = 0 ] && echo 1)" "dpkg -r cviewfs ($(tail -1 "$TMP/remove.log"))"
systemctl daemon-reload
left=$(ls /lib/systemd/system/cviewfs.service /etc/systemd/system/*.wants/cviewfs.service /usr/bin/cviewfs 2>/dev/null)
is "$left" "" "no unit, enablement link or binary is left"
is "$(systemctl show -P LoadState cviewfs)" not-found "systemd no longer knows the unit"
set -- $(probe)
is "${1:-}" "$host_mb" "the container runs on, with the host's values"

done_testing
