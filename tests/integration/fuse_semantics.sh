#!/bin/bash
# The filesystem as programs use it: the tree, readdir, read-only-ness,
# snapshots per open, re-reads at offset 0, the host passthrough.
set -u
. "$TESTLIB"

MNT=$TMP/mnt
start_cviewfs "$MNT"

missing=""
for f in proc/cpuinfo proc/meminfo proc/stat proc/uptime proc/loadavg proc/swaps proc/diskstats \
	proc/slabinfo proc/partitions sys/devices/system/cpu/online sys/devices/system/cpu/possible \
	sys/devices/system/cpu/present sys/devices/system/cpu/offline; do
	[ -f "$MNT/$f" ] || missing="$missing $f"
done
is "$missing" "" "every file of the mount layout exists"
for f in cpu io memory; do
	if [ -r /proc/pressure/$f ]; then
		ok "$(cat "$MNT/proc/pressure/$f" | grep -q '^some avg10=' && echo 1)" "proc/pressure/$f serves PSI"
	else
		# A kernel without PSI: nothing listed that cannot be read.
		ok "$([ ! -e "$MNT/proc/pressure/$f" ] && [ ! -e "$MNT/proc/pressure" ] && echo 1)" \
			"the host has no PSI: proc/pressure/$f is not listed, nor proc/pressure"
	fi
done
# Every listed file can be read.
unreadable=""
for f in $(cd "$MNT" && find proc sys/devices/system/cpu -maxdepth 1 -type f); do
	cat "$MNT/$f" > /dev/null 2>&1 || unreadable="$unreadable $f"
done
is "$unreadable" "" "every file listed under proc and sys/devices/system/cpu can be read"

dups=""
for d in "$MNT" "$MNT/proc" "$MNT/sys/devices/system/cpu" "$MNT/sys/devices/system/cpu/cpu0"; do
	[ "$(ls -a "$d" | sort | uniq -d)" = "" ] || dups="$dups $d"
done
is "$dups" "" "readdir lists no entry twice"
got=$(python3 -c '
import os, sys
d = {e.name: e for e in os.scandir(sys.argv[1] + "/sys/devices/system/cpu")}
p = {e.name: e for e in os.scandir(sys.argv[1] + "/proc")}
print(d["cpu0"].is_dir(follow_symlinks=False), d["online"].is_file(follow_symlinks=False),
      p["meminfo"].is_file(follow_symlinks=False), p["pressure"].is_dir(follow_symlinks=False) if "pressure" in p else os.path.exists("/proc/pressure") is False)' "$MNT")
is "$got" "True True True True" "readdir gives the right file types (DT_DIR for cpuN)"

# Nothing can be changed.
before=$(md5sum < "$MNT/proc/swaps")
fails=0
(echo x > "$MNT/proc/meminfo") 2>/dev/null && fails=$((fails + 1))
chmod 777 "$MNT/proc/meminfo" 2>/dev/null && fails=$((fails + 1))
truncate -s 0 "$MNT/proc/swaps" 2>/dev/null && fails=$((fails + 1))
touch "$MNT/proc/newfile" 2>/dev/null && fails=$((fails + 1))
mkdir "$MNT/proc/newdir" 2>/dev/null && fails=$((fails + 1))
rm -f "$MNT/proc/uptime" 2>/dev/null && fails=$((fails + 1))
mv "$MNT/proc/stat" "$MNT/proc/stat2" 2>/dev/null && fails=$((fails + 1))
ln -s x "$MNT/proc/link" 2>/dev/null && fails=$((fails + 1))
is "$fails" "0" "writes, chmod, truncate, create, mkdir, unlink, rename and symlink all fail"
is "$(md5sum < "$MNT/proc/swaps")" "$before" "... and nothing changed"
err=$( (echo x > "$MNT/proc/meminfo") 2>&1)
ok "$(echo "$err" | grep -qE 'Read-only file system|Permission denied' && echo 1)" "a write says Read-only file system or Permission denied ($err)"

# One consistent snapshot per open, whatever the read size.
name=$(new_ctr 0-1 max)
both=$(in_cgroup "$name" python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
small = b""
while True:
    b = os.read(fd, 1)
    if not b:
        break
    small += b
os.close(fd)
whole = open(sys.argv[1], "rb").read()
print(len(small.splitlines()), len(whole.splitlines()), small.split(b"\n")[0] == whole.split(b"\n")[0])' "$MNT/proc/meminfo")
set -- $both
ok "$([ "$1" = "$2" ] && [ "$3" = True ] && [ "$1" -gt 10 ] && echo 1)" "1-byte reads give the whole file ($1 lines, like a whole read: $2)"

# Content longer than the serving side's 4 KiB read buffer (slabinfo is
# tens of kilobytes), in pieces and whole.
got=$(python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
parts = []
while True:
    b = os.read(fd, 1000)
    if not b:
        break
    parts.append(b)
os.close(fd)
pieces = b"".join(parts)
whole = open(sys.argv[1], "rb").read()
print(len(pieces) > 4096, pieces.count(b"\n") == whole.count(b"\n"), pieces.split(b"\n")[0] == whole.split(b"\n")[0], pieces.endswith(b"\n"))' "$MNT/proc/slabinfo")
is "$got" "True True True True" "a file over 4 KiB (slabinfo) reads whole in 1000-byte pieces and at once"

# Re-reading at offset 0 through one open file gives fresh, whole content.
got=$(in_cgroup "$name" python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
a = os.pread(fd, 65536, 0)
time.sleep(1.1)
b = os.pread(fd, 65536, 0)
print(a.count(b"\n") == b.count(b"\n") and a.count(b"\n") > 0, a != b)' "$MNT/proc/uptime")
is "$got" "True True" "pread at 0 twice: whole both times, and fresh (uptime moved)"

# st_size is advisory; programs that read to EOF get everything.
ok "$([ "$(stat -c %s "$MNT/proc/meminfo")" = 0 ] && [ "$(wc -c < "$MNT/proc/meminfo")" -gt 100 ] && echo 1)" "proc files report size 0 like /proc, yet read whole"

# The host's sys cpu directory shows through.
for f in kernel_max cpu0/topology/core_id; do
	if [ -r /sys/devices/system/cpu/$f ]; then
		is "$(cat "$MNT/sys/devices/system/cpu/$f")" "$(cat /sys/devices/system/cpu/$f)" "sys/devices/system/cpu/$f is the host's"
	else
		skip "no host $f"
	fi
done
link=$(find /sys/devices/system/cpu/cpu0 -maxdepth 1 -type l | head -1)
if [ -n "$link" ]; then
	is "$(readlink "$MNT/sys/devices/system/cpu/cpu0/$(basename "$link")")" "$(readlink "$link")" "symlinks keep the host's target ($(basename "$link"))"
else
	skip "no symlink under the host's cpu0"
fi

done_testing
