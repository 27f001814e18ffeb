/* Whose view a read gets (SPEC 2), against a fake /proc built at test time:
 * pid namespaces are files under .ns/ hard-linked as <pid>/ns/pid, so
 * processes of one namespace share an inode the way nsfs does.
 *
 *   ns A (the daemon's: self)  1 (host init), 3000 (lxc monitor), 3500 (lxc-attach)
 *   ns B (container c1)        4001 (its init, under 3000), 4002 (a reader, under 4001)
 *   ns C (container c2)        5001 (its init), 5005 (entered with setns, parent 3500)
 *   ns D (no init visible)     6006
 */
#include "tap.h"

#include "host/host.h"
#include "reader/reader.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char root[] = "/tmp/cviewfs-test-proc.XXXXXX";

static void put(const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", root, rel);
	for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	FILE *f = fopen(path, "w");
	if (!f || fputs(content, f) < 0 || fclose(f)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	free(path);
}

/* <pid>/ns/pid becomes a hard link to .ns/<ns>. */
static void join_ns(const char *pid, char ns)
{
	char *dir = xasprintf("%s/%s/ns", root, pid);
	char *link_path = xasprintf("%s/pid", dir);
	char *target = xasprintf("%s/.ns/%c", root, ns);
	char *pid_dir = xasprintf("%s/%s", root, pid);
	mkdir(pid_dir, 0755);
	mkdir(dir, 0755);
	unlink(link_path);
	if (link(target, link_path) < 0) {
		printf("Bail out! link %s -> %s: %s\n", link_path, target, strerror(errno));
		exit(1);
	}
	free(dir);
	free(link_path);
	free(target);
	free(pid_dir);
}

/* A process: its status (NSpid as given), stat (start time in field 22),
 * cgroup file and namespace. */
static void process(int pid, char ns, const char *comm, int ppid, const char *nspid,
		    unsigned long long start, const char *cgroup)
{
	char rel[64], pidstr[16];
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	join_ns(pidstr, ns);

	char *status = xasprintf("Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\n"
				 "Pid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
				 "FDSize:\t64\nGroups:\t \nNStgid:\t%s\nNSpid:\t%s\nNSpgid:\t%s\nNSsid:\t%s\n"
				 "Kthread:\t0\nVmPeak:\t   22000 kB\nThreads:\t1\n",
				 comm, pid, pid, ppid, nspid, nspid, nspid, nspid);
	snprintf(rel, sizeof(rel), "%d/status", pid);
	put(rel, status);
	free(status);

	char *stat = xasprintf("%d (%s) S %d %d %d 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu "
			       "22000000 2500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
			       pid, comm, ppid, pid, pid, start);
	snprintf(rel, sizeof(rel), "%d/stat", pid);
	put(rel, stat);
	free(stat);

	snprintf(rel, sizeof(rel), "%d/cgroup", pid);
	put(rel, cgroup);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void build_proc(void)
{
	if (!mkdtemp(root)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	put(".ns/A", "");
	put(".ns/B", "");
	put(".ns/C", "");
	put(".ns/D", "");
	join_ns("self", 'A');
	put("meminfo", "MemTotal:       24683620 kB\n");

	process(1, 'A', "systemd", 0, "1", 2, "0::/init.scope\n");
	process(3000, 'A', "lxc-start", 1, "3000", 400, "0::/lxc.monitor/c1\n");
	process(3500, 'A', "lxc-attach", 1, "3500", 900, "0::/user.slice/session-1.scope\n");
	process(4001, 'B', "systemd", 3000, "4001\t1", 555, "0::/lxc/c1/init.scope\n");
	process(4002, 'B', "my app) (x", 4001, "4002\t5", 600, "0::/lxc/c1/app.service\n");
	process(5001, 'C', "init", 3000, "5001\t1", 777,
		"5:memory:/lxc/c2/init.scope\n2:cpu,cpuacct:/lxc/c2/init.scope\n1:name=systemd:/lxc/c2\n0::/lxc/c2/init.scope\n");
	process(5005, 'C', "bash", 3500, "5005\t9", 950, "0::/user.slice/session-1.scope\n");
	process(6006, 'D', "orphan", 3500, "6006\t3", 960, "0::/lxc/c3\n");
}

static void test_nspid(void)
{
	pid_t p = 0;
	char *real = tap_fixture("proc/status-host");
	const char *pid_line = strstr(real, "\nPid:");
	long own = pid_line ? strtol(pid_line + 5, NULL, 10) : -1;
	ok(status_nspid_last(real, &p) && p == own, "real host status: NSpid is the Pid (%ld)", own);
	free(real);

	ok(status_nspid_last("Name:\tbash\nPid:\t1234\nNStgid:\t1234\t1\nNSpid:\t1234\t1\nNSpgid:\t1234\t1\n", &p) &&
	   p == 1, "NSpid:\\t1234\\t1 -> 1 (the init of its namespace)");
	ok(status_nspid_last("NStgid:\t4002\t5\nNSpid:\t4002\t5\n", &p) && p == 5, "NSpid 4002 5 -> 5");
	ok(status_nspid_last("NSpid:\t4002\t300\t7\n", &p) && p == 7, "nested namespaces: the innermost pid");
	ok(status_nspid_last("NSpid:\t1234\n", &p) && p == 1234, "single level -> the pid itself");
	ok(status_nspid_last("NSpid:\t1234", &p) && p == 1234, "no trailing newline");
	p = 42;
	ok(!status_nspid_last("NSpid:\tabc\n", &p) && p == 42, "garbage NSpid is refused, output untouched");
	ok(!status_nspid_last("NSpid:\t1234\tx\n", &p), "garbage after a pid is refused");
	ok(!status_nspid_last("NSpid:\t1234\t0\n", &p), "pid 0 is refused");
	ok(!status_nspid_last("NSpid:\t-5\n", &p), "a negative pid is refused");
	ok(!status_nspid_last("NSpid:\n", &p), "an empty NSpid is refused");
	ok(!status_nspid_last("Name:\tx\nPid:\t3\n", &p), "no NSpid line (old kernel) is refused");
	ok(!status_nspid_last("NSpidx:\t1\n", &p), "a longer key is not NSpid");
	ok(!status_nspid_last("NSpid:\t99999999999999999999\n", &p), "an overflowing pid is refused");
	/* Found by fuzzing (tests/fuzz/corpus/proc_status/crash-nspid-truncated). */
	ok(!status_nspid_last("NSpid:\t4002\t4294967297\n", &p), "a pid beyond pid_t is refused, not wrapped to 1");
	ok(!status_nspid_last("NSpid:\t4002\v\n1\n", &p), "a pid is not taken from the next line");

	ok(status_ppid("Pid:\t4002\nPPid:\t4001\n", &p) && p == 4001, "PPid 4001");
	ok(!status_ppid("PPid:\t0\n", &p), "PPid 0 (no parent) is refused");
	ok(!status_ppid("PPid:\t4294967297\n", &p), "a PPid beyond pid_t is refused, not wrapped to 1");
	ok(!status_ppid("Pid:\t3\n", &p), "no PPid line is refused");
}

static void test_resolve(void)
{
	struct reader_view v;

	reader_init(VIEW_FROM_INIT);
	/* The fixture changes under the same pids below: nothing trusted. */
	reader_set_trust_ns(0);

	ok(reader_resolve(4002, &v) == 0, "reader 4002 in container c1 resolves");
	is_u64((uint64_t)v.pid, 4001, "c1 reader: the view is its namespace's init, 4001");
	ok(!v.host_pidns, "c1 reader: not in the host pid namespace");
	is_str(v.cg.v2, "/lxc/c1", "c1 reader: the init's cgroup with /init.scope stripped");
	is_u64(v.start_ticks, 555, "c1 reader: start_ticks = field 22 of the init's stat");
	reader_view_free(&v);
	is_u64(reader_cache_size(), 1, "one namespace cached");

	ok(reader_resolve(4001, &v) == 0 && v.pid == 4001 && v.start_ticks == 555 && v.cg.v2 &&
	   !strcmp(v.cg.v2, "/lxc/c1"), "the init itself reads: same view");
	reader_view_free(&v);
	is_u64(reader_cache_size(), 1, "same namespace: still one cache entry");

	ok(reader_resolve(3000, &v) == 0, "host process 3000 resolves");
	ok(v.host_pidns, "host process: host_pidns");
	is_u64((uint64_t)v.pid, 3000, "host process: its own pid");
	is_str(v.cg.v2, "/lxc.monitor/c1", "host process: its own cgroup");
	is_u64(v.start_ticks, 0, "host process: start_ticks 0 (host uptime)");
	reader_view_free(&v);

	ok(reader_resolve(1, &v) == 0 && v.host_pidns && v.pid == 1,
	   "the host's init is a host reader, not a container init");
	reader_view_free(&v);

	ok(reader_resolve(5005, &v) == 0, "reader 5005 entered c2 with setns (parent outside) resolves");
	is_u64((uint64_t)v.pid, 5001, "setns reader: c2's init 5001 found by the /proc scan");
	is_str(v.cg.v2, "/lxc/c2", "setns reader: c2's v2 cgroup, init.scope stripped");
	is_str(v.cg.v1[CG_MEMORY], "/lxc/c2", "setns reader: c2's v1 memory cgroup, init.scope stripped");
	is_str(v.cg.v1[CG_CPUACCT], "/lxc/c2", "setns reader: c2's v1 cpuacct cgroup");
	is_u64(v.start_ticks, 777, "setns reader: c2's init start time");
	reader_view_free(&v);
	is_u64(reader_cache_size(), 2, "two namespaces cached");

	ok(reader_resolve(6006, &v) < 0, "a namespace whose init is not visible: error (caller serves host)");
	reader_view_free(&v);
	ok(reader_resolve(9999, &v) < 0, "a reader that is gone: error");
	reader_view_free(&v);
	ok(reader_resolve(0, &v) < 0, "pid 0 (reader outside our pid namespace): error");
	reader_view_free(&v);
}

static void test_recycled(void)
{
	struct reader_view v;

	/* Same process, but its start time no longer matches the cache: the
	 * cached start must not be served. */
	process(4001, 'B', "systemd", 3000, "4001\t1", 556, "0::/lxc/c1/init.scope\n");
	ok(reader_resolve(4002, &v) == 0 && v.pid == 4001, "init start time changed: still resolves");
	is_u64(v.start_ticks, 556, "init start time changed: the new start time, not the cached one");
	reader_view_free(&v);

	/* c1 stops; pid 4001 is reused by a host process; a new container
	 * (whose namespace got c1's inode number) has init 4010. */
	process(4001, 'A', "cron", 1, "4001", 999, "0::/system.slice/cron.service\n");
	process(4010, 'B', "systemd", 3000, "4010\t1", 888, "0::/lxc/c1b/init.scope\n");
	process(4002, 'B', "my app) (x", 4010, "4002\t5", 890, "0::/lxc/c1b/app.service\n");
	ok(reader_resolve(4002, &v) == 0, "after pid recycling: resolves");
	is_u64((uint64_t)v.pid, 4010, "after pid recycling: the new init, not the recycled pid 4001");
	is_str(v.cg.v2, "/lxc/c1b", "after pid recycling: the new init's cgroup, not the host process's");
	is_u64(v.start_ticks, 888, "after pid recycling: the new init's start time");
	reader_view_free(&v);

	/* The init dies and nothing replaces it. */
	char *path = xasprintf("%s/4010/stat", root);
	unlink(path);
	free(path);
	ok(reader_resolve(4002, &v) < 0, "init gone (stat unreadable): error, no stale cached view");
	reader_view_free(&v);
	process(4010, 'B', "systemd", 3000, "4010\t1", 888, "0::/lxc/c1b/init.scope\n");
}

static void test_view_from_reader(void)
{
	struct reader_view v;

	reader_fini();
	is_u64(reader_cache_size(), 0, "reader_fini empties the cache");
	reader_init(VIEW_FROM_READER);

	ok(reader_resolve(4002, &v) == 0, "VIEW_FROM_READER: reader 4002 resolves");
	is_u64((uint64_t)v.pid, 4002, "VIEW_FROM_READER: the reader's own pid");
	is_str(v.cg.v2, "/lxc/c1b/app.service", "VIEW_FROM_READER: the reader's own cgroup");
	is_u64(v.start_ticks, 888, "VIEW_FROM_READER: still the container's age (its init's start)");
	ok(!v.host_pidns, "VIEW_FROM_READER: not a host reader");
	reader_view_free(&v);

	ok(reader_resolve(3000, &v) == 0 && v.host_pidns && v.cg.v2 && !strcmp(v.cg.v2, "/lxc.monitor/c1"),
	   "VIEW_FROM_READER: a host process gets its own cgroup");
	reader_view_free(&v);
	reader_fini();
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A resolved view is trusted by pid for a bounded time, and only for that
 * pid: a cgroup move shows once the bound has passed. */
static void test_trust(void)
{
	const uint64_t bound = 500000000; /* 500 ms: slow (sanitizer) builds fit in it */
	struct reader_view v;

	reader_init(VIEW_FROM_INIT);
	reader_set_trust_ns(bound);
	process(4010, 'B', "systemd", 3000, "4010\t1", 888, "0::/lxc/c1b/init.scope\n");
	uint64_t before = now_ns();
	ok(reader_resolve(4002, &v) == 0 && v.cg.v2 && !strcmp(v.cg.v2, "/lxc/c1b"), "trusted: first read resolves c1b");
	uint64_t first_as_of = v.as_of_ns;
	ok(first_as_of >= before && first_as_of <= now_ns(), "as_of_ns is the time of the resolution");
	struct strbuf want = STRBUF_INIT, got = STRBUF_INIT;
	pid_t peek_pid = 0;
	reader_view_identity(&v, &want);
	sb_puts(&got, "prefix|");
	ok(reader_peek(4002, &got, &peek_pid), "peek: a trusted reader is found without resolving");
	ok(got.len == want.len + 7 && !memcmp(got.buf + 7, want.buf, want.len),
	   "peek appends the same identity a resolved view has");
	ok(peek_pid == v.pid, "peek gives the view's pid");
	sb_reset(&got);
	ok(!reader_peek(4010, &got, &peek_pid) && got.len == 0,
	   "peek: a pid that has not read is not trusted, and nothing is appended");
	sb_free(&want);
	sb_free(&got);
	reader_view_free(&v);

	/* The container's init is moved to another cgroup. */
	process(4010, 'B', "systemd", 3000, "4010\t1", 888, "0::/lxc/moved/init.scope\n");
	ok(reader_resolve(4002, &v) == 0 && v.cg.v2, "trusted: a second read resolves");
	if (now_ns() - first_as_of < bound) {
		is_str(v.cg.v2, "/lxc/c1b", "within the bound the same pid is served its earlier view");
		is_u64(v.as_of_ns, first_as_of, "and that view keeps the time it was resolved at");
	} else {
		ok(true, "# SKIP the machine took longer than the bound between two resolutions");
		ok(true, "# SKIP the machine took longer than the bound between two resolutions");
	}
	reader_view_free(&v);
	ok(reader_resolve(4010, &v) == 0 && v.cg.v2 && !strcmp(v.cg.v2, "/lxc/moved"),
	   "another pid of the same container resolves afresh: the move shows");
	reader_view_free(&v);

	usleep((useconds_t)(bound / 1000) + 20000);
	ok(reader_resolve(4002, &v) == 0 && v.cg.v2 && !strcmp(v.cg.v2, "/lxc/moved"),
	   "after the bound the first pid sees the move too");
	ok(v.as_of_ns > first_as_of + bound, "with a new resolution time");
	reader_view_free(&v);

	ok(reader_resolve(9999, &v) < 0 && reader_resolve(9999, &v) < 0, "a failed resolution is not kept");
	reader_set_trust_ns(0);
	ok(reader_resolve(4002, &v) == 0 && v.as_of_ns >= now_ns() - bound / 2, "trust 0: every read resolves afresh");
	reader_view_free(&v);
	reader_fini();
}

int main(void)
{
	test_nspid();
	build_proc();

	setenv("CVIEWFS_TEST_PROC_ROOT", root, 1);
	setenv("CVIEWFS_TEST_SYS_ROOT", root, 1);
	char *cg = tap_fixture_path("cgroup/v2");
	setenv("CVIEWFS_TEST_CGROUP_ROOT", cg, 1);
	free(cg);
	struct strbuf err = STRBUF_INIT;
	if (host_init(&err) < 0 || !host()->fixture) {
		printf("Bail out! host_init: %s (is the build configured with -Dtest_roots=true?)\n", sb_str(&err));
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		return 1;
	}
	sb_free(&err);

	test_resolve();
	test_recycled();
	test_view_from_reader();
	test_trust();

	host_fini();
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
