#!/bin/bash
# --enable-cgroup: MNT/cgroup/<hierarchy>/... shows each reader only its own
# container's cgroups. Two containers A and B (cgroups of their own in every
# hierarchy the host has, a pid and a mount namespace, MNT/cgroup bound over
# /sys/fs/cgroup) and a sibling test cgroup S:
#   - layout: one directory per hierarchy, ancestors list only the next
#     step, A's own cgroup is the real one (files, modes, owners, pids as
#     numbered in A);
#   - confinement: from A, every operation on B's cgroups, on S, on the
#     common parent's and the hierarchy roots' own files, by every path
#     shape (absolute, via .., via symlinks, via the daemon's own mount
#     point, via directories and files A kept open on a path that has
#     since become B's) fails with ENOENT and changes nothing the host can
#     see; nor can A use B's cgroups through file handles
#     (open_by_handle_at, which skips every lookup);
#   - function: A creates a child cgroup, moves a process there by its
#     in-container pid, limits its memory (the kernel enforces it), moves
#     it back, removes the child; pids A cannot see are refused with ESRCH;
#   - stress: 8 readers walking A's tree while the host creates and removes
#     cgroups under A.
# The same checks but the stress then run against the lxcfs installed on
# the host (/usr/bin/lxcfs, which always serves its cgroup view), reported
# as comments only: lxcfs leaks where cviewfs must not.
#
# CGFS_STRESS_SECS (default 30): how long the stress part runs.
# CGFS_IMPLS (default "cviewfs lxcfs"): which filesystems to test.
set -u
. "$TESTLIB"

STRESS_SECS=${CGFS_STRESS_SECS:-30}
IMPLS=${CGFS_IMPLS:-cviewfs lxcfs}
ME=cgroupfs-$$            # the test's parent cgroup in every hierarchy
NEW=cgfs$$                # prefix of every name an attack tries to create
V=/sys/fs/cgroup          # where containers see the view
MB=$((1 << 20))
declare -A LIMIT=([a]=$((256 * MB)) [b]=$((320 * MB)) [s]=$((384 * MB)))

# ---------------------------------------------------------------------------
# The host's hierarchies, named as the view names them: the controller list
# of /proc/self/cgroup without "name=", and "unified" for cgroup2.
declare -A HDIR OWN BASE
HIERS=""
v1_mountpoint() { # CONTROLLERS -> where that v1 hierarchy is mounted
	awk -v want="$1" '{
		for (i = 7; i <= NF && $i != "-"; i++) ;
		if ($(i + 1) != "cgroup") next
		n = split($(i + 3), o, ","); delete have
		for (j = 1; j <= n; j++) have[o[j]] = 1
		m = split(want, w, ","); all = 1
		for (j = 1; j <= m; j++) if (!(w[j] in have)) all = 0
		if (all) { print $5; exit }
	}' /proc/self/mountinfo
}
while IFS=: read -r id ctrls path; do
	if [ "$id" = 0 ] && [ -z "$ctrls" ]; then
		h=unified
		d=$(awk '$3 == "cgroup2" && $2 ~ "^/sys/fs/cgroup" { print $2; exit }' /proc/self/mounts)
		[ -n "$d" ] || continue
	else
		h=${ctrls#name=}
		d=$(v1_mountpoint "$ctrls")
		[ -n "$d" ] || bail "the cgroup hierarchy $ctrls is not mounted"
	fi
	HIERS="$HIERS $h" HDIR[$h]=$d OWN[$h]=$path
done < /proc/self/cgroup
HIERS=$(echo $HIERS | tr ' ' '\n' | sort | tr '\n' ' ')
HIERS=${HIERS% }
[ -n "$HIERS" ] || bail "no cgroup hierarchy found"
is_v1() { [ "$1" != unified ]; }
# MEMH: the hierarchy with the memory controller (v1 "memory", v2 "unified").
MEMH=""
for h in $HIERS; do
	case ,$h, in *,memory,*) MEMH=$h ;; esac
done
ctr_is_v2 && grep -qw memory "$CG/cgroup.controllers" && MEMH=unified
[ -n "$MEMH" ] || bail "no memory controller"
for h in $HIERS; do
	if ctr_is_v2; then
		BASE[$h]=/cviewfs.ctr/$ME
	elif [ "$h" = "$MEMH" ]; then
		BASE[$h]=${OWN[$h]%/}/$ME # memory cgroups only under our own
	else
		BASE[$h]=/$ME
	fi
done
# knob H: a file every test cgroup of H has, that the confinement checks
# try to change; knob_val H: a value different from what it holds.
knob() {
	if [ "$1" = "$MEMH" ]; then
		is_v1 "$1" && echo memory.limit_in_bytes || echo memory.max
	elif is_v1 "$1"; then echo notify_on_release
	else echo cgroup.max.descendants
	fi
}
knob_val() {
	if [ "$1" = "$MEMH" ]; then echo $((64 * MB)); elif is_v1 "$1"; then echo 1; else echo 5; fi
}
# memfile: the memory limit file of the memory hierarchy.
memfile() { knob "$MEMH"; }
# The pid list files of a cgroup of H.
pidfiles() { is_v1 "$1" && echo "cgroup.procs tasks" || echo "cgroup.procs cgroup.threads"; }
echo "# hierarchies: $HIERS (memory: $MEMH$(ctr_is_v2 && echo ', pure cgroup v2 host'))"

# ---------------------------------------------------------------------------
# The test's cgroups. In every hierarchy H: BASE[H] (the common parent),
# with cv-a (container A), cv-b (container B, with an empty child kid) and
# cv-s (the sibling, no process). On a pure v2 host the containers'
# processes live in their init.scope (which the view strips).
declare -A CN=([a]=cv-a [b]=cv-b [s]=cv-s)
cgp() { echo "${BASE[$2]}/${CN[$1]}"; }     # X H -> X's cgroup path in H
real() { echo "${HDIR[$2]}$(cgp "$1" "$2")"; } # X H -> its real directory
procs_dir() { # X H -> the real directory X's processes live in
	if ctr_is_v2; then echo "$(real "$1" "$2")/init.scope"; else real "$1" "$2"; fi
}
MADE_CTR_PARENT=""
IS_V2=$(ctr_is_v2 && echo 1)
# mkcg H PATH: creates one cgroup of ours (cpusets get their parent's
# CPUs and memory nodes before any process joins).
mkcg() {
	local d=${HDIR[$1]}$2
	mkdir "$d" || return 1
	if is_v1 "$1" && [ -f "$d/cpuset.cpus" ]; then
		cat "$(dirname "$d")/cpuset.cpus" > "$d/cpuset.cpus" &&
			cat "$(dirname "$d")/cpuset.mems" > "$d/cpuset.mems" || return 1
	fi
}
v2_enable() { # DIR: its children get the memory (and pids) controllers
	local c
	for c in memory pids; do
		grep -qw $c "$1/cgroup.controllers" && { echo "+$c" > "$1/cgroup.subtree_control" || return 1; }
	done
	return 0
}
# mkctr X: X's cgroups in every hierarchy, its memory limit set.
mkctr() {
	local h
	for h in $HIERS; do
		mkcg "$h" "$(cgp "$1" "$h")" || return 1
		if ctr_is_v2; then
			mkcg "$h" "$(cgp "$1" "$h")/init.scope" && v2_enable "$(real "$1" "$h")" || return 1
		fi
	done
	echo "${LIMIT[$1]}" > "$(real "$1" "$MEMH")/$(memfile)"
}
setup_cgroups() {
	local h
	if ctr_is_v2; then
		for c in memory pids; do
			grep -qw $c "$CG/cgroup.controllers" && ! grep -qw $c "$CG/cgroup.subtree_control" &&
				{ echo "+$c" > "$CG/cgroup.subtree_control" || return 1; }
		done
		if [ ! -d "$CG/cviewfs.ctr" ]; then
			mkdir "$CG/cviewfs.ctr" || return 1
			MADE_CTR_PARENT=1
		fi
		v2_enable "$CG/cviewfs.ctr" || return 1
	fi
	for h in $HIERS; do
		mkcg "$h" "${BASE[$h]}" || return 1
		ctr_is_v2 && { v2_enable "${HDIR[$h]}${BASE[$h]}" || return 1; }
	done
	mkctr a && mkctr b && mkctr s || return 1
	for h in $HIERS; do
		mkcg "$h" "$(cgp b "$h")/kid" || return 1
		# One file of A's own cgroup with a mode and an owner of its own,
		# which the view must show as they are.
		local f=notify_on_release
		is_v1 "$h" || f=cgroup.max.depth
		chmod 0640 "$(real a "$h")/$f" && chown 4242:4343 "$(real a "$h")/$f" || return 1
	done
}

# ---------------------------------------------------------------------------
# Containers: X's init is `sleep infinity`, pid 1 of a new pid namespace,
# in X's cgroups, with the view under test bound over /sys/fs/cgroup and a
# tmpfs of its own on $TMP/ct-X, all in a private mount namespace.
declare -A INIT USH
PIDS=""
join() { # X PID: moves PID (ours) into X's cgroups
	local h d
	for h in $HIERS; do
		d=${HDIR[$h]}${BASE[$h]}/${CN[$1]}
		[ -z "$IS_V2" ] || d=$d/init.scope
		echo "$2" > "$d/cgroup.procs" || return 1
	done
}
start_ctr() { # X VIEW_DIR
	mkdir -p "$TMP/ct-$1"
	( join "$1" "$BASHPID" || exit 1
	  exec unshare --pid --mount --fork --mount-proc sh -c \
		'mount --bind "$1" /sys/fs/cgroup && mount -t tmpfs -o mode=0755 cgfs "$2" && exec sleep infinity' \
		sh "$2" "$TMP/ct-$1" ) &
	USH[$1]=$!
	PIDS="$PIDS $!"
	local i
	INIT[$1]=$(ns_child "${USH[$1]}") || bail "container $1 did not start"
	# Its binds are made once it is sleep.
	for i in $(seq 100); do
		[ "$(cat "/proc/${INIT[$1]}/comm" 2>/dev/null)" = sleep ] && return 0
		sleep 0.05
	done
	bail "container $1 did not start"
}
stop_ctr() { # X: its init dies, and with it everything in its pid namespace
	[ -n "${USH[$1]:-}" ] || return 0
	# Still the child of the unshare we started: ours.
	[ "$(ps -o ppid= -p "${INIT[$1]}" | tr -d ' ')" = "${USH[$1]}" ] && kill -KILL "${INIT[$1]}"
	wait "${USH[$1]}" 2>/dev/null
	USH[$1]=""
}
# in_ctr X CMD...: runs CMD in X's cgroups and namespaces.
in_ctr() {
	local x=$1
	shift
	( join "$x" "$BASHPID" || exit 1; exec nsenter -t "${INIT[$x]}" -p -m -- "$@" )
}
in_a() { in_ctr a "$@"; }
# bg_in X CMD...: CMD in X, in the background; BG is its host pid.
bg_in() {
	local x=$1
	shift
	( join "$x" "$BASHPID" || exit 1; exec nsenter -t "${INIT[$x]}" -p -m -- "$@" ) &
	PIDS="$PIDS $!"
	BG=$(ns_child $!) || bail "no process started in $x"
}
# memcg PID: its memory cgroup path.
memcg() {
	if is_v1 "$MEMH"; then
		awk -F: -v h="$MEMH" '$2 == h { print $3 }' "/proc/$1/cgroup"
	else
		awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup"
	fi
}
# nspid HOSTPID: the last number of its NSpid (its pid in its own namespace).
nspid() { awk '$1 == "NSpid:" { print $NF }' "/proc/$1/status"; }
# wait_ready FILE [WORD]: until a probe writing FILE says "ready" (or
# WORD), 60 s at most.
wait_ready() {
	local i line
	for i in $(seq 300); do
		while read -r line; do [ "$line" = "${2:-ready}" ] && return 0; done < "$1"
		sleep 0.2
	done
	bail "the probe writing $1 did not say ${2:-ready}"
}
# kill_serving: SIGKILL to cviewfs's serving process (the child of the
# supervisor we started); waits until a successor serves.
kill_serving() {
	local old new i
	old=$(cat "/proc/$CVIEWFS_PID/task/$CVIEWFS_PID/children")
	old=${old% }
	case $old in ''|*' '*) return 1 ;; esac
	kill -KILL "$old" || return 1
	for i in $(seq 150); do
		new=$(cat "/proc/$CVIEWFS_PID/task/$CVIEWFS_PID/children")
		new=${new% }
		[ -n "$new" ] && [ "$new" != "$old" ] && head -c1 "$VMNT/proc/meminfo" > /dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
# ns_child PID: the pid of PID's child that runs in a pid namespace below
# the host's (the command nsenter or unshare started).
ns_child() {
	local i c
	for i in $(seq 100); do
		for c in $(ps -o pid= --ppid "$1"); do
			[ "$(awk '$1 == "NSpid:" { print NF }' "/proc/$c/status" 2>/dev/null)" -gt 2 ] 2>/dev/null &&
				{ echo "$c"; return 0; }
		done
		sleep 0.05
	done
	return 1
}

cleanup_cgfs() {
	local p h d running
	for x in a b; do stop_ctr $x; done
	# The other processes started here that still run (a pid of one that
	# ended may belong to someone else by now).
	running=" $(jobs -p | tr '\n' ' ') "
	for p in $PIDS; do
		case $running in *" $p "*) kill -KILL "$p" 2>/dev/null ;; esac
	done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	for h in $HIERS; do
		d=${HDIR[$h]}${BASE[$h]}
		# Everything under our parent is ours; processes leave a cgroup
		# some time after they died.
		if [ -d "$d" ]; then
			for _ in $(seq 50); do
				find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
				[ -d "$d" ] || break
				sleep 0.1
			done
			[ -d "$d" ] && echo "# could not remove $d" >&2
		fi
		# What a leaking filesystem may have made (new cgroups, ours
		# renamed) at the root and next to our parent: names only this
		# test uses.
		for d in "${HDIR[$h]}/$NEW"-* "$(dirname "${HDIR[$h]}${BASE[$h]}")/$NEW"-*; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done
	[ -n "$MADE_CTR_PARENT" ] && rmdir "$CG/cviewfs.ctr" 2>/dev/null
	return 0
}
on_cleanup cleanup_cgfs

# ---------------------------------------------------------------------------
# The probe: runs file operations given on stdin as "LABEL OP PATH [ARG]",
# prints "LABEL PATH RESULT" with RESULT OK, OK:<data> or the errno name.
# A PATH "@NAME/rest" is relative to a directory held open by "NAME hold DIR".
cat > "$TMP/probe.py" <<'PY'
import ctypes, errno, os, struct, sys
held = {}
libc = ctypes.CDLL(None, use_errno=True)
def name_to_handle(path):
    buf = ctypes.create_string_buffer(8 + 128)
    struct.pack_into('Ii', buf, 0, 128, 0)
    mnt = ctypes.c_int()
    if libc.name_to_handle_at(-100, path.encode(), buf, ctypes.byref(mnt), 0) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    size, typ = struct.unpack_from('Ii', buf, 0)
    return '%d:%s' % (typ, buf.raw[8:8 + size].hex())
def fd_of(name):
    if name not in held:  # it could not be opened
        raise OSError(errno.ENOENT, 'not held')
    return held[name]
def open_by_handle(h, flags):
    if 'mnt' not in held:
        held['mnt'] = os.open('/sys/fs/cgroup', os.O_RDONLY | os.O_DIRECTORY)
    typ, raw = h.split(':')
    raw = bytes.fromhex(raw)
    buf = ctypes.create_string_buffer(8 + len(raw))
    struct.pack_into('Ii', buf, 0, len(raw), int(typ))
    ctypes.memmove(ctypes.addressof(buf) + 8, raw, len(raw))
    fd = libc.open_by_handle_at(held['mnt'], buf, flags)
    if fd < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return fd
def by_handle(h, action, a):
    flags = os.O_WRONLY if action in ('write', 'writepid') else os.O_RDONLY
    fd = open_by_handle(h, flags)
    try:
        if action == 'open':
            return 'OK'
        if action == 'fstat':
            os.fstat(fd)
        elif action == 'listdir':
            return 'OK:' + ','.join(sorted(os.listdir(fd)))
        elif action == 'readat':
            f2 = os.open(a[0], os.O_RDONLY, dir_fd=fd)
            try:
                return 'OK:' + ' '.join(os.read(f2, 65536).decode(errors='replace').split())
            finally:
                os.close(f2)
        elif action == 'mkdirat':
            os.mkdir(a[0], dir_fd=fd)
        elif action == 'fchmod':
            os.fchmod(fd, int(a[0], 8))
        elif action == 'read':
            return 'OK:' + ' '.join(os.read(fd, 65536).decode(errors='replace').split())
        elif action == 'write':
            os.write(fd, (a[0] + '\n').encode())
        elif action == 'writepid':
            os.write(fd, ('%d\n' % os.getpid()).encode())
        return 'OK'
    finally:
        os.close(fd)
def P(p):
    if p.startswith('@'):
        name, _, rest = p[1:].partition('/')
        if name not in held:  # the directory was not there to hold
            raise OSError(errno.ENOENT, 'not held')
        return '/proc/self/fd/%d' % held[name] + ('/' + rest if rest else '')
    return p
for line in sys.stdin:
    w = line.split()
    if not w:
        continue
    label, op = w[0], w[1]
    a = ['' if x == "''" else x for x in w[3:]]
    out = 'OK'
    try:
        path = P(w[2]) if len(w) > 2 else ''
        if op == 'hold':
            held[label] = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        elif op == 'cd':
            os.chdir(path)
        elif op == 'ready':
            print('ready', flush=True)
            continue
        elif op == 'say':
            print(w[2], flush=True)
            continue
        elif op == 'wait':
            with open(path) as f:
                f.read()
            continue
        elif op == 'stat':
            os.stat(path)
        elif op == 'read':
            fd = os.open(path, os.O_RDONLY)
            try:
                data = os.read(fd, 65536)
            finally:
                os.close(fd)
            out = 'OK:' + ' '.join(data.decode(errors='replace').split())
        elif op == 'readdir':
            out = 'OK:' + ','.join(sorted(os.listdir(path)))
        elif op in ('write', 'shwrite', 'writepid'):
            flags = os.O_WRONLY | (os.O_CREAT | os.O_TRUNC if op == 'shwrite' else 0)
            data = str(os.getpid()) if op == 'writepid' else a[0]
            fd = os.open(path, flags, 0o644)
            try:
                os.write(fd, (data + '\n').encode())
            finally:
                os.close(fd)
        elif op == 'truncate':
            os.truncate(path, 0)
        elif op == 'create':
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        elif op == 'mkdir':
            os.mkdir(path)
        elif op == 'rmdir':
            os.rmdir(path)
        elif op == 'rename':
            os.rename(path, P(a[0]))
        elif op == 'chmod':
            os.chmod(path, int(a[0], 8))
        elif op == 'chown':
            u, g = a[0].split(':')
            os.chown(path, int(u), int(g))
        elif op == 'symlink':
            os.symlink(a[0], path)
        elif op == 'link':
            os.link(path, P(a[0]))
        elif op == 'setxattr':
            os.setxattr(path, 'trusted.cgfs', b'1')
        elif op == 'setxattr_replace':
            os.setxattr(path, 'trusted.cgfs', b'1', os.XATTR_REPLACE)
        elif op == 'getxattr':
            os.getxattr(path, 'trusted.cgfs')
        elif op == 'listxattr':
            out = 'OK:' + ','.join(sorted(os.listxattr(path)))
        elif op == 'utime':
            os.utime(path)
        elif op in ('openr', 'openw'):  # an open file kept as LABEL
            held[label] = os.open(path, os.O_RDONLY if op == 'openr' else os.O_WRONLY)
        elif op == 'readfd':  # PATH is the label of an open file
            out = 'OK:' + ' '.join(os.pread(fd_of(w[2]), 65536, 0).decode(errors='replace').split())
        elif op in ('writefd', 'writepidfd'):
            os.write(fd_of(w[2]), ((a[0] if op == 'writefd' else str(os.getpid())) + '\n').encode())
        elif op == 'pin':  # keeps the inode in the kernel's caches
            held[label] = os.open(path, os.O_PATH)
        elif op == 'gethandle':
            out = 'OK:' + name_to_handle(path)
        elif op == 'byhandle':  # PATH is a handle from gethandle
            out = by_handle(w[2], a[0], a[1:])
        else:
            out = 'BADOP'
    except OSError as e:
        out = errno.errorcode.get(e.errno, str(e.errno))
    print(label, w[2] if len(w) > 2 else '-', out, flush=True)
PY
probe_in() { in_ctr "$1" python3 "$TMP/probe.py"; } # X: the probe, inside X

# ---------------------------------------------------------------------------
# Checks: against cviewfs each is a TAP line; against lxcfs a comment.
IMPL=cviewfs
LX_OK=0 LX_BAD=0 LX_LEAKS=""
check() { # CONDITION DESCRIPTION [DIAGNOSTICS]
	if [ "$IMPL" = cviewfs ]; then
		ok "$1" "$2"
		[ -n "$1" ] || [ -z "${3:-}" ] || printf '%s\n' "$3" | head -20 | sed 's/^/#   /'
	elif [ -n "$1" ]; then
		LX_OK=$((LX_OK + 1))
		echo "# lxcfs ok: $2"
	else
		LX_BAD=$((LX_BAD + 1))
		echo "# lxcfs NOT OK: $2"
		[ -z "${3:-}" ] || printf '%s\n' "$3" | head -8 | sed 's/^/#     /'
	fi
}
# lx_leak TEXT: against lxcfs, notes a leak for the summary.
lx_leak() { [ "$IMPL" != lxcfs ] || LX_LEAKS="$LX_LEAKS
  $1"; }
# difflines OLD NEW: diff's "<" and ">" lines (files, not <(...): the
# User-Mode Linux guest has no /dev/fd).
difflines() {
	printf '%s\n' "$1" > "$TMP/diff.old"
	printf '%s\n' "$2" > "$TMP/diff.new"
	diff "$TMP/diff.old" "$TMP/diff.new" | grep '^[<>]'
}
# lx_changed WHAT BEFORE AFTER: notes what the host saw change.
lx_changed() {
	[ "$2" = "$3" ] || lx_leak "$1 changed on the host: $(difflines "$2" "$3" | sed -n 's/^> //p' | head -3 | tr '\n' ';')"
}
check_is() { # GOT WANT DESCRIPTION (a failure shows the lines that differ)
	if [ "$1" = "$2" ]; then check 1 "$3"
	else check "" "$3" "$(difflines "$2" "$1" | sed -n 's/^< /want: /p; s/^> /got:  /p')"
	fi
}
# judge FILE KIND OP DESCRIPTION [MODE]: queues a check that every probe
# result in FILE labelled KIND|OP|... is ENOENT (MODE "any": is an error;
# "ok": is a success), and that there is at least one.
# judged FILE: runs the queued checks of FILE (one awk for them all: every
# process costs in a User-Mode Linux guest), then checks that no result in
# FILE went unjudged.
JQ=()
judge() { JQ+=("$1	$2|$3|	${5:-enoent}	$4"); }
judged() {
	local file=$1 q specs="" t j rest i c desc left="" keep=()
	local -a jk jm jd jn js jbad jleak jex
	j=0
	for q in "${JQ[@]}"; do
		if [ "${q%%	*}" != "$file" ]; then keep+=("$q"); continue; fi
		IFS='	' read -r _ jk[j] jm[j] jd[j] <<< "$q"
		specs+="${jk[j]}	${jm[j]}
"
		j=$((j + 1))
	done
	JQ=("${keep[@]}")
	while IFS='	' read -r t j rest; do
		case $t in
		S) jn[j]=${rest%%	*} js[j]=${rest#*	} ;;
		B) jbad[j]+="$rest
" ;;
		L) jleak[j]=$((${jleak[j]:-0} + 1)); [ -n "${jex[j]:-}" ] || jex[j]=$rest ;;
		U) left=$rest ;;
		esac
	done <<< "$(awk -v specs="$specs" '
		BEGIN {
			n = split(specs, sl, "\n")
			for (i = 1; i <= n; i++)
				if (sl[i] != "") { split(sl[i], f, "\t"); m++; key[m] = f[1]; mode[m] = f[2] }
		}
		$1 ~ /\|/ {
			r = $3
			for (i = 4; i <= NF; i++) r = r " " $i
			split($1, l, "|")
			pre = l[1] "|" l[2] "|"
			hit = 0
			for (j = 1; j <= m; j++) {
				if (key[j] != pre) continue
				hit = 1
				cnt[j]++
				if (!((j, l[3]) in seen)) { seen[j, l[3]] = 1; shapes[j] = shapes[j] " " l[3] }
				if ((mode[j] == "enoent" && $3 != "ENOENT") || (mode[j] == "any" && $3 ~ /^OK/) ||
				    (mode[j] == "ok" && $3 !~ /^OK/)) {
					printf "B\t%d\t%s %s (%s, %s): %s\n", j - 1, l[2], $2, l[3], l[4], substr(r, 1, 80)
					if ($3 ~ /^OK/) printf "L\t%d\t%s (%s, %s)\n", j - 1, $2, l[3], l[4]
				}
			}
			if (!hit) unjudged[l[1] "|" l[2]] = 1
		}
		END {
			for (j = 1; j <= m; j++) printf "S\t%d\t%d\t%s\n", j - 1, cnt[j], substr(shapes[j], 2)
			u = ""
			for (k in unjudged) u = u k " "
			printf "U\t0\t%s\n", u
		}' "$file")"
	for ((i = 0; i < ${#jk[@]}; i++)); do
		case ${jm[i]} in
		any) desc="from A, ${jd[i]} fails" ;;
		ok) desc="${jd[i]} works" ;;
		*) desc="from A, ${jd[i]} fails with ENOENT" ;;
		esac
		c=""
		[ "${jn[i]:-0}" -gt 0 ] && [ -z "${jbad[i]:-}" ] && c=1
		check "$c" "$desc (${jn[i]:-0} attempts; paths: ${js[i]:-none})" "${jbad[i]:-}"
		[ -z "${jleak[i]:-}" ] || lx_leak "${jd[i]}: succeeded ${jleak[i]} times, e.g. ${jex[i]}"
	done
	check_is "$left" "" "(self-check) every operation the probe tried in $(basename "$file") was judged"
}

# ---------------------------------------------------------------------------
# The checks, for the view mounted at VMNT (MNT/cgroup bound at
# /sys/fs/cgroup inside the containers).

# ancestors H: A's ancestors' paths in H, root first ("" is the root).
ancestors() {
	local p=$(cgp a "$1") acc="" c
	echo ""
	p=${p#/}
	for c in $(echo "${p%/*}" | tr / ' '); do
		acc=$acc/$c
		echo "$acc"
	done
}

check_layout() {
	local h want got a want_modes got_modes
	check_is "$(in_a ls "$V" | tr '\n' ' ')" "$HIERS " \
		"in A, $V lists one directory per hierarchy ($HIERS)"
	# Every ancestor lists only the next step; hierarchies are 0755,
	# deeper ancestors 0555.
	want="" got="" want_modes="" got_modes=""
	for h in $HIERS; do
		local cg=$(cgp a "$h")
		for a in $(ancestors "$h" | sed 's/^$/\//'); do
			a=${a%/}
			local next=${cg#"$a"/}
			want="$want$h$a: ${next%%/*}
"
			[ -z "$a" ] && want_modes="$want_modes$h 755
" || want_modes="$want_modes$h$a 555
"
		done
	done
	got=$(in_a sh -c 'for d; do echo "${d#/sys/fs/cgroup/}: $(ls -A "$d" | tr "\n" " ")"; done' sh \
		$(for h in $HIERS; do ancestors "$h" | sed "s|^|$V/$h|"; done) | sed 's/ $//')
	check_is "$got" "${want%
}" "in A, each ancestor of A's cgroup lists only the next step towards it (every hierarchy)"
	got=$(in_a stat -c '%n %a' $(for h in $HIERS; do ancestors "$h" | sed "s|^|$V/$h|"; done) | sed "s|^$V/||")
	check_is "$got" "${want_modes%
}" "in A, hierarchy directories are mode 0755, deeper ancestors 0555"
	# A's own cgroup is the real one: names, types, modes, owners.
	want="" got=""
	for h in $HIERS; do
		want="$want$(cd "$(real a "$h")" && stat -c "$h %n %A %u %g" . * | sort)
"
		got="$got$(in_a sh -c 'cd "$1" && stat -c "$2 %n %A %u %g" . *' sh "$V/$h$(cgp a "$h")" "$h" | sort)
"
	done
	check_is "$got" "$want" "in A, A's own cgroups show the real entries with their real types, modes and owners (every hierarchy)"
	# pids as numbered in A: its init is 1, the reader its own number.
	want="" got=""
	for h in $HIERS; do
		local sub=""
		ctr_is_v2 && sub=/init.scope
		for f in $(pidfiles "$h"); do
			want="$want$h $f: 1 R
"
			got="$got$h $f: $(in_a sh -c 'r=$$; for p in $(cat "$1"); do [ "$p" = "$r" ] && echo R || echo "$p"; done' sh "$V/$h$(cgp a "$h")$sub/$f" | grep -xE '1|R' | sort | tr '\n' ' ' | sed 's/ $//')
"
		done
	done
	check_is "$got" "$want" "in A, its pid lists show its init as 1 and the reading shell under its own in-container pid (every hierarchy, every pid file)"
	got=""
	for h in $HIERS; do
		got="$got$(in_a cat "$V/$h$(cgp a "$h")${sub:-}/cgroup.procs" | grep -x "${INIT[a]}")"
	done
	check_is "$got" "" "in A, no pid list shows A's init under its host pid ${INIT[a]}"
	check_is "$(in_a cat "$V/$MEMH$(cgp a "$MEMH")/$(memfile)")" "${LIMIT[a]}" \
		"in A, its own memory limit reads as set (${LIMIT[a]})"
	# A reader in a pid namespace nested in A (its init in A's cgroup)
	# sees A's cgroup, but in its task lists only the tasks of its own
	# namespace, as it numbers them: its init as 1, once.
	got=$(in_a unshare --pid --fork --mount-proc sh -c '
		list=$(cat "$1"); n=$(ls /proc | grep -c "^[0-9][0-9]*$")
		echo "$list" | grep -qx 1 && [ "$(echo "$list" | sort | uniq -d)" = "" ] &&
			[ "$(echo "$list" | wc -l)" -le "$n" ] && echo fine ||
			echo "listed: $(echo $list), tasks of the namespace now: $n"' sh "$V/$MEMH$(cgp a "$MEMH")$sub/cgroup.procs")
	check_is "$got" fine "in a pid namespace nested in A, A's cgroup.procs lists only that namespace's tasks (its init as 1, no duplicate)"
}

# The path shapes by which A names a path REL of hierarchy H (REL is
# hierarchy-relative, "" is the hierarchy root). (Variables, not $(...):
# every fork costs in a User-Mode Linux guest.)
SHAPES="abs dotdot symroot symown mount"
relpath() { # FROM TO -> REL: TO relative to FROM (hierarchy paths)
	local common=${1%/} up="" rest
	while [ -n "$common" ] && [ "$2" != "$common" ] && [ "${2#"$common"/}" = "$2" ]; do
		common=${common%/*} up=../$up
	done
	rest=${2#"$common"}
	REL=$up${rest#/}
	REL=${REL%/}
	[ -n "$REL" ] || REL=.
}
shape_to() { # SHAPE H REL -> SP
	local own=${BASE[$2]}/${CN[a]}
	case $1 in
	abs) SP=$V/$2$3 ;;
	symroot) SP=$TMP/ct-a/r-$2$3 ;;
	mount) SP=$VMNT/cgroup/$2$3 ;;
	*)	# always through "..", even to A's own
		relpath "$own" "$3"
		case $REL in ..*) ;; .) REL=../${own##*/} ;; *) REL=../${own##*/}/$REL ;; esac
		if [ "$1" = dotdot ]; then SP=$V/$2$own/$REL; else SP=$TMP/ct-a/o-$2/$REL; fi ;;
	esac
}
make_symlinks() { # in A's own tmpfs: to each hierarchy and to A's own cgroups
	local h
	for h in $HIERS; do
		in_a ln -s "$V/$h" "$TMP/ct-a/r-$h"
		in_a ln -s "$V/$h$(cgp a "$h")" "$TMP/ct-a/o-$h"
	done
}

# confine_cmds: the probe commands of the confinement checks.
# Kinds: B (B's cgroups), S (the sibling), P (new names and files of the
# common parent), R (the hierarchy roots' own files and new names there),
# anc (the ancestor directories themselves: any error will do).
confine_cmds() {
	local h s d f own ownf k kv r root x X ap w
	local -A rmode rown
	for h in $HIERS; do
		k=$(knob "$h") kv=$(knob_val "$h")
		root=${HDIR[$h]} ap=${BASE[$h]}/${CN[a]}
		# The roots' modes and owners, their release_agent.
		while read -r f r x; do rmode[$f]=$r rown[$f]=$x; done <<< "$(stat -c '%n %a %u:%g' "$root" "$root"/*)"
		local agent="''"
		[ -f "$root/release_agent" ] && agent=$(cat "$root/release_agent") && agent=${agent:-"''"}
		for s in $SHAPES; do
			L() { echo "$1|$2|$s|$h $2 ${*:3}"; }
			# Hard links need both ends on one mount: the daemon's
			# mount point is another mount than its bind in A.
			own=$V/$h$ap
			[ $s = mount ] && own=$VMNT/cgroup/$h$ap
			ownf=$own/$k
			# Control: by the same path shape, A reaches its own.
			shape_to $s "$h" "$ap"
			L ctl read "$SP/$k"
			for x in b s; do
				X=${x^^}
				shape_to $s "$h" "${BASE[$h]}/${CN[$x]}"
				d=$SP f=$SP/$k
				L $X stat "$d"; L $X stat "$f"
				L $X read "$f"; L $X read "$d/cgroup.procs"
				L $X readdir "$d"
				L $X write "$f" "$kv"; L $X shwrite "$f" "$kv"; L $X truncate "$f"
				L $X writepid "$d/cgroup.procs"
				L $X mkdir "$d/$NEW-new"
				L $X create "$d/$NEW-file"
				L $X symlink "$d/$NEW-sl" x
				L $X link "$ownf" "$d/$NEW-hl"
				L $X link "$f" "$own/$NEW-hl"
				L $X chmod "$d" 700; L $X chmod "$f" 600
				L $X chown "$d" 4242:4242; L $X chown "$f" 4242:4242
				L $X setxattr "$d"; L $X setxattr "$f"; L $X getxattr "$f"; L $X listxattr "$d"
				L $X utime "$d"; L $X utime "$f"
				L $X rename "$f" "$d/$NEW-ren"
			done
			shape_to $s "$h" "${BASE[$h]}/${CN[b]}"
			L B rmdir "$SP/kid"
			L B rename "$SP/kid" "$SP/$NEW-ren"
			shape_to $s "$h" "${BASE[$h]}/${CN[s]}"
			d=$SP
			shape_to $s "$h" "${BASE[$h]}/$NEW-ren"
			L S rmdir "$d"
			L S rename "$d" "$SP"
			# The common parent (an ancestor of A, ours): its own
			# files, and new names in it.
			shape_to $s "$h" "${BASE[$h]}"
			d=$SP f=$SP/$k
			L P stat "$f"; L P read "$f"; L P read "$d/cgroup.procs"
			L P write "$f" "$kv"; L P shwrite "$f" "$kv"; L P truncate "$f"
			L P writepid "$d/cgroup.procs"
			L P chmod "$f" 600; L P chown "$f" 4242:4242
			L P setxattr "$f"; L P getxattr "$f"; L P utime "$f"
			L P link "$f" "$own/$NEW-hl"
			L P rename "$f" "$d/$NEW-ren"
			L P mkdir "$d/$NEW-new"; L P create "$d/$NEW-file"
			L P symlink "$d/$NEW-sl" x; L P link "$ownf" "$d/$NEW-hl"
			# The ancestors themselves (A's parent and the root): no
			# change to them may succeed. The root's are no-ops
			# (its own mode and owner) that a leak would let through.
			L anc chmod "$d" 700; L anc chown "$d" 4242:4242
			L anc setxattr "$d"; L anc utime "$d"
			L anc rename "$d" "${d%/*}/$NEW-ren"
			L anc rmdir "$d"
			shape_to $s "$h" "$ap"
			L anc rename "$SP" "$d/$NEW-ren"
			shape_to $s "$h" ""
			d=$SP
			L anc chmod "$d" "${rmode[$root]}"; L anc chown "$d" "${rown[$root]}"; L anc setxattr_replace "$d"
			# The hierarchy root's own files: writes are invalid (or
			# the current value), mode and owner changes no-ops.
			for r in cgroup.procs tasks cgroup.threads release_agent cgroup.subtree_control memory.limit_in_bytes; do
				[ -f "$root/$r" ] || continue
				f=$d/$r w=cgfs-invalid
				[ "$r" = release_agent ] && w=$agent
				L R stat "$f"; L R read "$f"
				L R write "$f" "$w"; L R shwrite "$f" "$w"; L R truncate "$f"
				L R chmod "$f" "${rmode[$root/$r]}"; L R chown "$f" "${rown[$root/$r]}"
				L R setxattr_replace "$f"; L R getxattr "$f"
				L R link "$f" "$own/$NEW-hl"
				L R rename "$f" "$d/$NEW-ren"
			done
			L R mkdir "$d/$NEW-new"; L R create "$d/$NEW-file"
			L R symlink "$d/$NEW-sl" x; L R link "$ownf" "$d/$NEW-hl"
		done
	done
}

# What the host sees of the cgroups the checks attack: ours except A's
# subtree (names, modes, owners, xattrs, limits, members), and the roots'
# (their modes and owners, release_agent, no new cgroup).
snapshot() {
	local h d x
	for h in $HIERS; do
		d=${HDIR[$h]}${BASE[$h]}
		(cd "$d" && find . -path "./${CN[a]}" -prune -o -printf "$h %p %m %U %G\n" | sort)
		for x in "$d" "$(real b "$h")" "$(real s "$h")"; do
			[ -d "$x" ] || continue
			echo "$x: $(cat "$x/$(knob "$h")") procs $(cat "$x/cgroup.procs" | tr '\n' ' ')"
		done
		python3 -c 'import os, sys
for p in sys.argv[1:]:
    if os.path.exists(p): print(p, os.listxattr(p))' "$d" "$d/$(knob "$h")" \
			"$(real b "$h")" "$(real b "$h")/$(knob "$h")" "$(real s "$h")" "$(real s "$h")/$(knob "$h")"
	done
}
snapshot_roots() {
	local h r
	for h in $HIERS; do
		r=${HDIR[$h]}
		stat -c "%n %a %u %g" "$r" $(ls -d "$r"/cgroup.procs "$r"/tasks "$r"/release_agent "$r"/memory.limit_in_bytes 2>/dev/null)
		[ -f "$r/release_agent" ] && echo "release_agent: $(cat "$r/release_agent")"
		ls -d "$r/$NEW"-* 2>/dev/null
	done
}

check_confinement() {
	local res=$TMP/confine.$IMPL before after rbefore rafter
	make_symlinks
	confine_cmds > "$TMP/confine-cmds"
	# Control: the targets exist (a host reader of the mount reaches them).
	awk '$1 ~ /^[BSP]\|(stat|read)\|mount\|/ { sub(/^[^|]*/, "host", $1); print }' "$TMP/confine-cmds" |
		python3 "$TMP/probe.py" > "$res.host"
	judge "$res.host" host stat "(control) for a host reader, the targets' stat through the mount point" ok
	judge "$res.host" host read "(control) for a host reader, reading the targets through the mount point" ok
	judged "$res.host"
	before=$(snapshot) rbefore=$(snapshot_roots)
	probe_in a < "$TMP/confine-cmds" > "$res"
	after=$(snapshot) rafter=$(snapshot_roots)
	echo "# $(wc -l < "$res") operations tried from A"
	judge "$res" ctl read "(control) in A, reading its own limit by each path shape" ok
	judge "$res" B stat "stat of B's cgroup directories and files"
	judge "$res" B read "reading B's limit and cgroup.procs"
	judge "$res" B readdir "listing B's cgroup directories"
	judge "$res" B write "writing B's limit"
	judge "$res" B shwrite "writing B's limit as a shell does (O_CREAT|O_TRUNC)"
	judge "$res" B truncate "truncating B's limit file"
	judge "$res" B writepid "writing its own pid into B's cgroup.procs"
	judge "$res" B mkdir "mkdir in B's cgroups"
	judge "$res" B rmdir "rmdir of B's empty child cgroup"
	judge "$res" B rename "renaming B's child cgroup or limit file"
	judge "$res" B create "creating a file in B's cgroups"
	judge "$res" B symlink "a symlink in B's cgroups"
	judge "$res" B link "hard links into and out of B's cgroups"
	judge "$res" B chmod "chmod of B's cgroups and files"
	judge "$res" B chown "chown of B's cgroups and files"
	judge "$res" B setxattr "setxattr on B's cgroups and files"
	judge "$res" B getxattr "getxattr on B's files"
	judge "$res" B listxattr "listxattr on B's cgroups"
	judge "$res" B utime "touching B's cgroups and files"
	judge "$res" S stat "stat of the sibling test cgroup and its files"
	judge "$res" S read "reading the sibling's limit and cgroup.procs"
	judge "$res" S readdir "listing the sibling"
	judge "$res" S write "writing the sibling's limit"
	judge "$res" S shwrite "writing the sibling's limit as a shell does"
	judge "$res" S truncate "truncating the sibling's limit file"
	judge "$res" S writepid "writing its own pid into the sibling's cgroup.procs"
	judge "$res" S mkdir "mkdir in the sibling"
	judge "$res" S rmdir "rmdir of the (empty) sibling"
	judge "$res" S rename "renaming the sibling or its files"
	judge "$res" S create "creating a file in the sibling"
	judge "$res" S symlink "a symlink in the sibling"
	judge "$res" S link "hard links into and out of the sibling"
	judge "$res" S chmod "chmod of the sibling and its files"
	judge "$res" S chown "chown of the sibling and its files"
	judge "$res" S setxattr "setxattr on the sibling and its files"
	judge "$res" S getxattr "getxattr on the sibling's files"
	judge "$res" S listxattr "listxattr on the sibling"
	judge "$res" S utime "touching the sibling and its files"
	judge "$res" P stat "stat of the common parent cgroup's own files (an ancestor of A)"
	judge "$res" P read "reading the parent's limit and cgroup.procs"
	judge "$res" P write "writing the parent's limit"
	judge "$res" P shwrite "writing the parent's limit as a shell does"
	judge "$res" P truncate "truncating the parent's limit file"
	judge "$res" P writepid "writing its own pid into the parent's cgroup.procs"
	judge "$res" P chmod "chmod of the parent's files"
	judge "$res" P chown "chown of the parent's files"
	judge "$res" P setxattr "setxattr on the parent's files"
	judge "$res" P getxattr "getxattr on the parent's files"
	judge "$res" P utime "touching the parent's files"
	judge "$res" P rename "renaming the parent's files"
	judge "$res" P mkdir "mkdir of a new cgroup next to A (in the parent)"
	judge "$res" P create "creating a file in the parent"
	judge "$res" P symlink "a symlink in the parent"
	judge "$res" P link "hard links into and out of the parent"
	judge "$res" R stat "stat of the hierarchy roots' own files (cgroup.procs, tasks, release_agent, memory limit)"
	judge "$res" R read "reading the hierarchy roots' own files"
	judge "$res" R write "writing the hierarchy roots' own files"
	judge "$res" R shwrite "writing the hierarchy roots' own files as a shell does"
	judge "$res" R truncate "truncating the hierarchy roots' own files"
	judge "$res" R chmod "chmod of the hierarchy roots' files"
	judge "$res" R chown "chown of the hierarchy roots' files"
	judge "$res" R setxattr_replace "setxattr on the hierarchy roots' files"
	judge "$res" R getxattr "getxattr on the hierarchy roots' files"
	judge "$res" R rename "renaming the hierarchy roots' files"
	judge "$res" R mkdir "mkdir of a new cgroup at the hierarchy roots"
	judge "$res" R create "creating a file at the hierarchy roots"
	judge "$res" R symlink "a symlink at the hierarchy roots"
	judge "$res" R link "hard links into and out of the hierarchy roots"
	judge "$res" anc chmod "chmod of the ancestor directories" any
	judge "$res" anc chown "chown of the ancestor directories" any
	judge "$res" anc setxattr "setxattr on the ancestor directories" any
	judge "$res" anc setxattr_replace "setxattr (replace) on the hierarchy roots" any
	judge "$res" anc utime "touching the ancestor directories" any
	judge "$res" anc rename "renaming the ancestor directories or A's own cgroup" any
	judge "$res" anc rmdir "rmdir of the ancestor directories" any
	judged "$res"
	check_is "$after" "$before" "seen from the host, B's cgroups, the sibling and the parent are unchanged (names, modes, owners, xattrs, limits, members)"
	check_is "$rafter" "$rbefore" "seen from the host, the hierarchy roots are unchanged (modes, owners, release_agent, no new cgroup)"
	lx_changed "B, the sibling or the parent" "$before" "$after"
	lx_changed "a hierarchy root" "$rbefore" "$rafter"
}

# File handles: the host (whose view holds B) takes handles of B's, the
# sibling's and the parent's cgroups and keeps them in the kernel's caches;
# A, root with CAP_DAC_READ_SEARCH, opens them with open_by_handle_at, which
# makes no lookup at all: the daemon itself must refuse every operation.
check_handles() {
	local res=$TMP/handles.$IMPL fifo=$TMP/hgo.$IMPL h t k kv p l path r who kind
	mkfifo "$fifo"
	{
		for h in $HIERS; do
			k=$(knob "$h")
			for t in "B dir $(cgp b "$h")" "B file $(cgp b "$h")/$k" "B procs $(cgp b "$h")/cgroup.procs" \
				"S dir $(cgp s "$h")" "S file $(cgp s "$h")/$k" \
				"parent file ${BASE[$h]}/$k" "parent procs ${BASE[$h]}/cgroup.procs"; do
				set -- $t
				echo "$1|$2|$h pin $VMNT/cgroup/$h$3"
				echo "$1|$2|$h gethandle $VMNT/cgroup/$h$3"
			done
		done
		echo "- ready"
		echo "- wait $fifo"
	} | python3 "$TMP/probe.py" > "$res.host" &
	p=$!
	PIDS="$PIDS $p"
	wait_ready "$res.host"
	# A's own cgroups by handle: the control.
	for h in $HIERS; do echo "own|$h gethandle $V/$h$(cgp a "$h")"; done | probe_in a > "$res.own"
	{
		while read -r l path r; do
			[ "${r#OK:}" != "$r" ] || continue
			h=${l##*|} k=$(knob "${l##*|}") kv=$(knob_val "${l##*|}")
			case $l in
			own*) for t in listdir "readat $k"; do echo "ctlh|${t%% *}|own|$h byhandle ${r#OK:} $t"; done ;;
			*)
				who=${l%%|*} kind=${l#*|} kind=${kind%|*}
				case $kind in
				dir) set -- open fstat listdir "readat $k" "mkdirat $NEW-h" "fchmod 700" ;;
				file) set -- fstat read "write $kv" "fchmod 600" ;;
				procs) set -- read writepid ;;
				esac
				for t; do echo "H|${t%% *}|$who|$h byhandle ${r#OK:} $t"; done ;;
			esac
		done <<< "$(cat "$res.own" "$res.host")"
	} > "$TMP/handle-cmds"
	local before=$(snapshot)
	probe_in a < "$TMP/handle-cmds" > "$res"
	local after=$(snapshot)
	echo go > "$fifo"
	wait $p
	check_is "$(awk '$2 == "gethandle" || $1 ~ /^(own|[BS]|parent)\|/ && $3 !~ /^OK/' "$res.host" "$res.own" | grep -v '^ready')" "" \
		"(control) the host and A get file handles of every target and of A's own cgroups"
	judge "$res" ctlh listdir "(control) in A, listing its own cgroups opened by handle" ok
	judge "$res" ctlh readat "(control) in A, reading its own limit in a cgroup opened by handle" ok
	for t in open fstat listdir readat mkdirat fchmod read write writepid; do
		judge "$res" H $t "$t on B's, the sibling's and the parent's cgroups opened by a handle (open_by_handle_at)" any
	done
	judged "$res"
	echo "# handles: errors A got: $(awk '$1 ~ /^H\|/ { print $3 }' "$res" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
	check_is "$after" "$before" "seen from the host, nothing changed through those handles"
	lx_changed "B, the sibling or the parent (through handles)" "$before" "$after"
}

# A creates a child cgroup, moves a process there by its in-container pid,
# limits it; pids A cannot see are refused.
check_function() {
	local mv=$V/$MEMH own=$(cgp a "$MEMH") sub="" w wc got r
	ctr_is_v2 && sub=/init.scope
	local ch=$own/child
	in_a mkdir "$mv$ch"
	check "$([ -f "${HDIR[$MEMH]}$ch/$(memfile)" ] && echo 1)" "A creates a child cgroup in its own memory cgroup (the host sees ${HDIR[$MEMH]}$ch)"
	# A process of A, moved by its in-container pid.
	bg_in a sleep 600
	w=$BG wc=$(nspid "$BG")
	got=$(in_a sh -c 'echo "$1" > "$2/cgroup.procs" && echo done' sh "$wc" "$mv$ch")
	check_is "$got" done "A moves its process $wc (host pid $w) into the child by writing its in-container pid"
	check_is "$(in_a cat "$mv$ch/cgroup.procs")" "$wc" "in A, the child's cgroup.procs lists it as $wc"
	check_is "$(in_a cat "$mv$ch/$(pidfiles "$MEMH" | cut -d' ' -f2)")" "$wc" "in A, the child's $(pidfiles "$MEMH" | cut -d' ' -f2) lists it as $wc"
	check_is "$(cat "${HDIR[$MEMH]}$ch/cgroup.procs")" "$w" "the host's real cgroup.procs of the child shows the host pid $w"

	# Pids A cannot see: a number no process has, B's init (host pid), a
	# process in A's pid namespace but in none of A's cgroups.
	local none=99999
	while [ -e /proc/$none ] || in_a test -e /proc/$none; do none=$((none + 1)); done
	nsenter -t "${INIT[a]}" -p -m -- sleep 600 &
	PIDS="$PIDS $!"
	local out=$(ns_child $!) outc
	outc=$(nspid "$out")
	# members WORKER OUTSIDER: what those writes must not change.
	members() {
		echo "members of A's child: $(cat "${HDIR[$MEMH]}$ch/cgroup.procs" | tr '\n' ' ')"
		echo "B's init is in: $(memcg "${INIT[b]}")"
		echo "the outsider is in: $(memcg "$out")"
	}
	local members_before=$(members)
	got=$(printf '%s\n' "no-such-pid write $mv$ch/cgroup.procs $none" "B-init-host-pid write $mv$ch/cgroup.procs ${INIT[b]}" \
		"B-init-host-pid write $mv$own$sub/cgroup.procs ${INIT[b]}" "outsider-pid write $mv$ch/cgroup.procs $outc" | probe_in a)
	check_is "$(echo "$got" | awk '$1 == "no-such-pid" { print $3 }')" ESRCH "writing pid $none (no such process anywhere) into the child's cgroup.procs fails with ESRCH"
	check_is "$(echo "$got" | awk '$1 == "B-init-host-pid" { print $3 }' | sort -u)" ESRCH "writing the host pid of B's init (${INIT[b]}) into A's cgroup.procs or the child's fails with ESRCH"
	check_is "$(echo "$got" | awk '$1 == "outsider-pid" { print $3 }')" ESRCH "writing the in-container pid $outc of a process of A's pid namespace outside A's cgroups fails with ESRCH"
	local members_after=$(members)
	check_is "$members_after" "$members_before" "seen from the host, those writes moved nothing (the child's members, B's init's and the outsider's memory cgroups)"
	while read -r l p r; do
		[ "$r" = OK ] && lx_leak "writing a pid A cannot see ($l) into $p succeeded"
	done <<< "$got"
	lx_changed "membership after pid writes" "$members_before" "$members_after"
	kill -KILL "$out"

	# A memory limit set by A in the child, enforced by the kernel.
	local lim=$((16 * MB)) extra=""
	if is_v1 "$MEMH"; then
		[ -f "${HDIR[$MEMH]}$ch/memory.memsw.limit_in_bytes" ] && extra=memory.memsw.limit_in_bytes
	else
		[ -f "${HDIR[$MEMH]}$ch/memory.swap.max" ] && extra=memory.swap.max
	fi
	local xv=$lim
	[ "$extra" = memory.swap.max ] && xv=0
	got=$(in_a sh -c 'echo "$2" > "$1/$3" && { [ -z "$4" ] || echo "$5" > "$1/$4"; } && echo done' sh "$mv$ch" "$lim" "$(memfile)" "$extra" "$xv")
	check_is "$got" done "A sets a 16 MiB memory limit on the child (${extra:+and $extra }$(memfile))"
	check_is "$(cat "${HDIR[$MEMH]}$ch/$(memfile)")${extra:+ $(cat "${HDIR[$MEMH]}$ch/$extra")}" "$lim${extra:+ $xv}" "the host sees the child's limit A set"
	got=$(in_a sh -c 'head -c 64M /dev/zero | tail > /dev/null; echo $?')
	check_is "$got" 0 "in A's own cgroup (256 MiB), head -c 64M /dev/zero | tail succeeds"
	got=$(in_a sh -c 'echo $$ > "$1/cgroup.procs" || exit 9; head -c 64M /dev/zero | tail > /dev/null; echo $?' sh "$mv$ch")
	check_is "$got" 137 "in the child (16 MiB) the same tail is killed by the OOM killer (exit 137)"

	# Back, and the child removed by A.
	local back=cgroup.procs
	is_v1 "$MEMH" && back=tasks
	got=$(in_a sh -c 'echo "$1" > "$2/$3" && echo done' sh "$wc" "$mv$own$sub" "$back")
	check_is "$got" done "A moves its process back by writing its in-container pid into $back"
	check "$(grep -qx "$w" "$(procs_dir a "$MEMH")/cgroup.procs" && echo 1)" "the host sees host pid $w back in A's cgroup"
	got=""
	for _ in $(seq 20); do
		got=$(in_a rmdir "$mv$ch" 2>&1 && echo done)
		# The killed tail leaves the cgroup shortly after.
		case $got in *busy*) sleep 0.1 ;; *) break ;; esac
	done
	check_is "$got" done "A removes its child cgroup"
	check "$([ ! -e "${HDIR[$MEMH]}$ch" ] && echo 1)" "the host sees the child cgroup gone"
	kill -KILL "$w"
}

# A keeps handles (open directories, its cwd) on its own cgroups; the host
# then moves A to new cgroups, removes the old ones, and puts B's cgroups
# where A's were (rename on v1 hierarchies, remove and recreate on
# cgroup2). Through the old handles and the old paths A must reach nothing
# of B's.
# stale_ops KIND: the operations through A's old handles and paths.
stale_ops() {
	local h k kv s d
	for h in $HIERS; do
		k=$(knob "$h") kv=$(knob_val "$h")
		for s in fd cwd abs mount; do
			case $s in
			fd) d=@h-$h ;;
			cwd) [ "$h" = "$MEMH" ] || continue; d=. ;;
			abs) d=$V/$h$(cgp a "$h") ;;
			mount) d=$VMNT/cgroup/$h$(cgp a "$h") ;;
			esac
			L() { echo "$1|$2|$s|$h $2 ${*:3}"; }
			L $1 stat "$d/$k"; L $1 read "$d/$k"; L $1 read "$d/cgroup.procs"; L $1 readdir "$d"
			L $1 write "$d/$k" "$kv"; L $1 writepid "$d/cgroup.procs"
			L $1 mkdir "$d/$NEW-new"; L $1 rmdir "$d/kid"; L $1 rename "$d/kid" "$d/$NEW-ren"
			L $1 chmod "$d/$k" 600; L $1 chown "$d/$k" 4242:4242; L $1 setxattr "$d/$k"
			L $1 create "$d/$NEW-file"; L $1 symlink "$d/$NEW-sl" x
		done
		# Files A opened before: writes must not reach B's.
		echo "$1|writefd|openfile|$h writefd fw-$h $kv"
		echo "$1|writepidfd|openfile|$h writepidfd fp-$h"
	done
	echo "readfd-$1 readfd fr"
}

check_stale() {
	local res=$TMP/stale.$IMPL cmds=$TMP/stale-cmds h s d f kv k p fifo=$TMP/go.$IMPL i
	mkfifo "$fifo" "$fifo.2"
	CN[a2]=cv-a2
	LIMIT[a2]=${LIMIT[a]}
	mkctr a2 || bail "cannot make A's new cgroups"
	{
		for h in $HIERS; do echo "h-$h hold $V/$h$(cgp a "$h")"; done
		echo "- cd $V/$MEMH$(cgp a "$MEMH")"
		echo "pre read @h-$MEMH/$(memfile)"
		for h in $HIERS; do
			echo "fw-$h openw $V/$h$(cgp a "$h")/$(knob "$h")"
			echo "fp-$h openw $V/$h$(cgp a "$h")/cgroup.procs"
		done
		echo "fr openr $V/$MEMH$(cgp a "$MEMH")/$(memfile)"
		echo "- ready"
		echo "- wait $fifo"
		stale_ops stale
		# Once more after the serving process died: its successor
		# opens nodes and files anew.
		if [ "$IMPL" = cviewfs ]; then
			echo "- say ready2"
			echo "- wait $fifo.2"
			stale_ops crash
		fi
	} > "$cmds"
	probe_in a < "$cmds" > "$res" &
	p=$!
	PIDS="$PIDS $p"
	wait_ready "$res"
	check_is "$(awk '$1 ~ /^h-/ && $3 != "OK" { print $1, $3 }' "$res")" "" "A holds its own cgroup directories open (every hierarchy)"
	check_is "$(awk '$1 == "pre" { print $3 }' "$res")" "OK:${LIMIT[a]}" "A reads its limit through a directory it holds open"
	# A moves to new cgroups; B's take the old place.
	for h in $HIERS; do
		for i in 1 2 3; do
			for pid in $(cat "$(procs_dir a "$h")/cgroup.procs"); do
				echo "$pid" > "$(procs_dir a2 "$h")/cgroup.procs"
			done
		done
		ctr_is_v2 && rmdir "$(real a "$h")/init.scope"
		rmdir "$(real a "$h")" || bail "cannot remove A's old cgroup in $h"
		if is_v1 "$h"; then
			mv "$(real b "$h")" "${HDIR[$h]}${BASE[$h]}/${CN[a]}" || bail "cannot rename B's cgroup in $h"
		else
			d=${HDIR[$h]}${BASE[$h]}/${CN[a]}
			mkdir "$d" "$d/kid" || bail "cannot recreate B's cgroup in $h"
			if ctr_is_v2; then
				mkdir "$d/init.scope" && v2_enable "$d"
				[ "$h" = "$MEMH" ] && echo "${LIMIT[b]}" > "$d/$(memfile)"
			fi
			for i in 1 2 3; do
				for pid in $(cat "$(procs_dir b "$h")/cgroup.procs"); do
					echo "$pid" > "$(ctr_is_v2 && echo "$d/init.scope" || echo "$d")/cgroup.procs"
				done
			done
			ctr_is_v2 && rmdir "$(real b "$h")/init.scope"
			rmdir "$(real b "$h")/kid" "$(real b "$h")" || bail "cannot remove B's old cgroup in $h"
		fi
	done
	CN[b]=${CN[a]} CN[a]=${CN[a2]}
	local before=$(snapshot) kinds=stale
	echo go > "$fifo"
	if [ "$IMPL" = cviewfs ]; then
		kinds="stale crash"
		wait_ready "$res" ready2
		kill_serving
		check "$([ $? = 0 ] && echo 1)" "the serving process was killed (SIGKILL) and a successor serves"
		echo go > "$fifo.2"
	fi
	wait $p
	local after=$(snapshot)
	check_is "$(grep -cE '^(stale|crash)\|' "$res")" "$(grep -cE '^(stale|crash)\|' "$cmds")" "the probe ran every operation through the old handles"
	local kind w
	for kind in $kinds; do
		w="through old handles and old paths now B's"
		[ $kind = crash ] && w="after the serving process was replaced, $w"
		judge "$res" $kind stat "$w, stat"
		judge "$res" $kind read "$w, reading"
		judge "$res" $kind readdir "$w, listing"
		judge "$res" $kind write "$w, writing a limit"
		judge "$res" $kind writepid "$w, writing its pid into cgroup.procs"
		judge "$res" $kind mkdir "$w, mkdir"
		judge "$res" $kind rmdir "$w, rmdir of B's child"
		judge "$res" $kind rename "$w, rename of B's child"
		judge "$res" $kind chmod "$w, chmod"
		judge "$res" $kind chown "$w, chown"
		judge "$res" $kind setxattr "$w, setxattr"
		judge "$res" $kind create "$w, creating a file"
		judge "$res" $kind symlink "$w, a symlink"
		w="A opened before (its own, now removed)"
		[ $kind = crash ] && w="$w, after the serving process was replaced"
		judge "$res" $kind writefd "writing a limit through a limit file $w" any
		judge "$res" $kind writepidfd "writing its pid through a cgroup.procs $w" any
	done
	judged "$res"
	for kind in $kinds; do
		got=$(awk -v l="readfd-$kind" '$1 == l { print $3 }' "$res")
		check "$([ -n "$got" ] && [ "$got" != "OK:${LIMIT[b]}" ] && echo 1)" \
			"reading a limit file A opened before (its own, now removed)$([ $kind = crash ] && echo ", after the serving process was replaced,") does not show B's limit (got ${got:-nothing})"
		[ "$got" != "OK:${LIMIT[b]}" ] || lx_leak "reading a limit file A opened before shows B's limit"
	done
	check_is "$(awk '$1 ~ /^(f[wp]-|fr$)/ && $3 != "OK" { print $1, $3 }' "$res")" "" "A opened its own limit and cgroup.procs files before (every hierarchy)"
	check_is "$after" "$before" "seen from the host, B's cgroups (now at A's old place) are unchanged"
	lx_changed "B (at A's old place)" "$before" "$after"
	check_is "$(in_a cat "$V/$MEMH$(cgp a "$MEMH")/$(memfile)")" "${LIMIT[a]}" \
		"A reads its own limit at its new place ($(cgp a "$MEMH"))"
}

# 8 readers walk A's tree (find + cat) while the host makes and removes
# cgroups under A; only ENOENT for vanished entries is allowed.
# A stress reader: walks /sys/fs/cgroup for SECS seconds, reading every
# file with a read bit except the names given (the ones the kernel itself
# refuses to read), and prints "walk: 'PATH': ERROR" for every failed call.
STRESS_READER='
import os, stat, sys, time
secs = int(sys.argv[1])
skip = {a for a in sys.argv[2:] if a not in ("!", "-name")}
def err(path, e):
    q = chr(39)
    print("walk: %s%s%s: %s" % (q, path, q, os.strerror(e.errno)), file=sys.stderr)
def walk(d):
    try:
        entries = list(os.scandir(d))
    except OSError as e:
        return err(d, e)
    for ent in entries:
        try:
            st = ent.stat(follow_symlinks=False)
        except OSError as e:
            err(ent.path, e)
            continue
        if stat.S_ISDIR(st.st_mode):
            walk(ent.path)
        elif stat.S_ISREG(st.st_mode) and st.st_mode & 0o444 and ent.name not in skip:
            try:
                with open(ent.path, "rb") as f:
                    f.read()
            except OSError as e:
                err(ent.path, e)
end = time.time() + secs
n = 0
while time.time() < end:
    walk("/sys/fs/cgroup")
    n += 1
print(n)
'

check_stress() {
	local h i skip="" f
	# Files the kernel itself refuses to read (e.g. v1 memory.pressure_level).
	for f in $(for h in $HIERS; do find "$(real a "$h")" -maxdepth 1 -type f -perm /444; done |
			xargs cat 2>&1 >/dev/null | sed -n 's|^cat: .*/\([^/]*\): .*|\1|p' | sort -u); do
		skip="$skip ! -name $f"
	done
	echo "# stress: $STRESS_SECS s; not read (the kernel refuses them too):${skip:- none}"
	rm -f "$TMP/stop"
	local dirs="" d
	for h in $HIERS; do dirs="$dirs $(real a "$h")"; done
	(
		n=0
		while [ ! -e "$TMP/stop" ]; do
			for d in $dirs; do mkdir "$d/stress-$n" "$d/stress-$n/sub"; done
			for d in $dirs; do rmdir "$d/stress-$n/sub" "$d/stress-$n"; done
			n=$((n + 1))
		done 2> "$TMP/churn-err"
		echo "$n" > "$TMP/churn"
	) &
	local churn=$! readers=""
	PIDS="$PIDS $churn"
	# The readers walk with Python, which reports every failed call with
	# its errno. find(1) is not used here: under this churn its fts
	# re-stats a directory it has just opened, by name, and when that
	# directory is gone by then its cycle table keeps an entry of a freed
	# node: it then reports "X is part of the same file system loop as X"
	# and once died of SIGBUS, on the view and in a way no daemon answer
	# can prevent.
	for i in 1 2 3 4 5 6 7 8; do
		in_a python3 -c "$STRESS_READER" "$STRESS_SECS" $skip > "$TMP/reader.$i" 2> "$TMP/reader-err.$i" &
		readers="$readers $!"
	done
	PIDS="$PIDS $readers"
	wait $readers
	touch "$TMP/stop"
	wait $churn
	local rounds=$(cat "$TMP"/reader.? | tr '\n' ' ') errs all enoent enodev
	all=$(cat "$TMP"/reader-err.?)
	# Allowed: an entry of a cgroup the host removed (stress-N) gone, as
	# ENOENT, or as ENODEV when it went between open and read (the
	# kernel's own cgroupfs says the same then).
	errs=$(echo "$all" | grep . | grep -vE '/stress-[0-9]+[/:'"'"'’].*: (No such file or directory|No such device)$')
	enoent=$(echo "$all" | grep -c 'No such file or directory$')
	enodev=$(echo "$all" | grep -c 'No such device$')
	check_is "$(cat "$TMP/churn-err")" "" "(control) the host made and removed $(($(cat "$TMP/churn") * $(echo $HIERS | wc -w) * 2)) cgroups under A during the stress without error"
	check_is "$errs" "" "8 readers in A walking and reading its cgroups for $STRESS_SECS s (rounds: ${rounds% }) saw no error but vanished entries of removed cgroups ($enoent ENOENT, $enodev ENODEV)"
	check "$(for r in $rounds; do [ "$r" -gt 0 ] || exit; done; echo 1)" "every reader finished at least one round"
	check "$(kill -0 "$CVIEWFS_PID" && head -c1 "$VMNT/proc/meminfo" >/dev/null && echo 1)" "the daemon is still up and serving"
}

run_all() { # IMPL VMNT: the checks above against one filesystem
	IMPL=$1 VMNT=$2
	CN[a]=cv-a CN[b]=cv-b
	start_ctr a "$VMNT/cgroup"
	start_ctr b "$VMNT/cgroup"
	local part t
	local parts="layout confinement handles function stale stress"
	# The reference needs no stress; on a pure v2 host lxcfs 5's cgroup
	# view shows no cgroup2 hierarchy at all (every path an empty
	# directory): its layout and confinement say enough.
	[ "$IMPL" = lxcfs ] && parts="layout confinement handles function stale"
	if [ "$IMPL" = lxcfs ] && [ -n "$IS_V2" ]; then
		parts="layout confinement"
		echo "# lxcfs on a pure cgroup v2 host: only the layout and confinement checks"
	fi
	for part in $parts; do
		t=$SECONDS
		check_$part
		echo "# $IMPL: $part checks took $((SECONDS - t)) s"
	done
	stop_ctr a
	stop_ctr b
}

setup_cgroups || bail "cannot create the test's cgroups"
echo "# A's cgroup in $MEMH: $(cgp a "$MEMH")"

# ---------------------------------------------------------------------------
if echo "$IMPLS" | grep -qw cviewfs; then
	MNT0=$TMP/plain
	start_cviewfs "$MNT0"
	check "$([ ! -e "$MNT0/cgroup" ] && ! ls "$MNT0" | grep -qx cgroup && echo 1)" "without --enable-cgroup there is no MNT/cgroup"
	is "$(awk -v m="$MNT0" '$5 == m { split($6, o, ","); print o[1] }' /proc/self/mountinfo)" ro "without --enable-cgroup the mount is read-only"
	MNT=$TMP/mnt
	start_cviewfs "$MNT" --enable-cgroup
	is "$(awk -v m="$MNT" '$5 == m { split($6, o, ","); print o[1] }' /proc/self/mountinfo)" rw "with --enable-cgroup the mount is read-write"
	is "$(ls "$MNT/cgroup" | tr '\n' ' ')" "$HIERS " "MNT/cgroup lists one directory per hierarchy ($HIERS)"
	# The host's reader sees its own cgroups, which hold the test's.
	got="" want=""
	for h in $HIERS; do
		want="$want$h: $(ls "${HDIR[$h]}${BASE[$h]}" | tr '\n' ' ') $(cat "$(real a "$h")/$(knob "$h")")
"
		got="$got$h: $(ls "$MNT/cgroup/$h${BASE[$h]}" | tr '\n' ' ') $(cat "$MNT/cgroup/$h$(cgp a "$h")/$(knob "$h")")
"
	done
	is "$got" "$want" "a host reader sees its own cgroups' real subtree (the test's cgroups and A's values)"
	if [ "${OWN[$MEMH]}" != / ]; then
		got=$(ls "$MNT/cgroup/$MEMH" | tr '\n' ' ')
		first=${OWN[$MEMH]#/}
		is "$got" "${first%%/*} " "the host reader, in memory cgroup ${OWN[$MEMH]}, sees only the next step at the memory root"
		ok "$(stat "$MNT/cgroup/$MEMH/cgroup.procs" 2>&1 | grep -q 'No such file or directory' && echo 1)" \
			"the host reader does not see the memory root's own files (ENOENT)"
	fi
	run_all cviewfs "$MNT"
fi

if echo "$IMPLS" | grep -qw lxcfs; then
	if [ ! -x /usr/bin/lxcfs ]; then
		skip "lxcfs reference: /usr/bin/lxcfs is not installed"
	else
		LXMNT=$TMP/lxmnt
		mkdir -p "$LXMNT"
		/usr/bin/lxcfs -f -p "$TMP/lxcfs.pid" "$LXMNT" > "$TMP/lxcfs.log" 2>&1 &
		LXPID=$!
		DAEMONS="$DAEMONS $LXPID" MOUNTS="$MOUNTS $LXMNT"
		for _ in $(seq 50); do [ -d "$LXMNT/cgroup" ] && mounted "$LXMNT" && break; sleep 0.1; done
		if ! [ -d "$LXMNT/cgroup" ]; then
			skip "lxcfs reference: lxcfs did not come up ($(tail -1 "$TMP/lxcfs.log"))"
		else
			echo "# --- reference: lxcfs $(/usr/bin/lxcfs --version 2>&1 | tr -d '"'), the same checks (comments only)"
			# New cgroups for its containers (the old ones were changed).
			cleanup_cgfs
			PIDS=""
			CN[a]=cv-a CN[b]=cv-b CN[s]=cv-s
			setup_cgroups || bail "cannot create the test's cgroups again"
			CVIEWFS_PID=$LXPID
			run_all lxcfs "$LXMNT"
			echo "# lxcfs: $LX_OK checks as cviewfs must pass them, $LX_BAD not"
			[ -z "$LX_LEAKS" ] || echo "# lxcfs leaks (operations outside the container's cgroups that succeeded):$LX_LEAKS" | sed '2,$s/^/# /'
		fi
	fi
fi

done_testing
