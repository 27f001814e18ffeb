/* The legacy cgroupfs view's pure parts: where a path lies for a reader
 * (the whole confinement rule), which hierarchies are shown and under what
 * names, a reader's cgroup in each, who may change what, and pid lists. */
#include "tap.h"

#include "cgfs/confine.h"
#include "cgfs/cred.h"
#include "cgfs/hier.h"
#include "cgfs/pids.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* place(own, path) as one word: "outside", "above:NEXT" or "inside:REL". */
static char *place(const char *own, const char *path)
{
	const char *rel = NULL;
	char *next = NULL, *out;
	switch (cgfs_place(own, path, &rel, &next)) {
	case CGFS_ABOVE:
		out = xasprintf("above:%s", next);
		break;
	case CGFS_INSIDE:
		out = xasprintf("inside:%s", rel);
		break;
	default:
		out = xstrdup("outside");
	}
	free(next);
	return out;
}

static void check_place(const char *own, const char *path, const char *want)
{
	char *got = place(own, path);
	is_str(got, want, "%s seen from %s: %s", *path ? path : "(root)", own, want);
	free(got);
}

static void test_place(void)
{
	/* The steps down to the reader's cgroup show only the next step. */
	check_place("/lxc/a", "", "above:lxc");
	check_place("/lxc/a", "lxc", "above:a");
	/* Its cgroup and below: the real tree. */
	check_place("/lxc/a", "lxc/a", "inside:");
	check_place("/lxc/a", "lxc/a/child", "inside:child");
	check_place("/lxc/a", "lxc/a/child/memory.max", "inside:child/memory.max");
	/* A sibling, a sibling sharing a prefix, the host's files, a cousin. */
	check_place("/lxc/a", "lxc/b", "outside");
	check_place("/lxc/a", "lxc/ab", "outside");
	check_place("/lxc/a", "lxc/a2/x", "outside");
	check_place("/lxc/ab", "lxc/a", "outside");
	check_place("/lxc/a", "memory.limit_in_bytes", "outside");
	check_place("/lxc/a", "lxc/cgroup.procs", "outside");
	check_place("/lxc/a", "other/a", "outside");
	check_place("/lxc/a/b", "lxc/a/c", "outside");
	check_place("/lxc/a/b", "lxc/a", "above:b");
	/* A reader at the root sees everything. */
	check_place("/", "", "inside:");
	check_place("/", "lxc/b/tasks", "inside:lxc/b/tasks");
	/* A cgroup path nobody can trust confines to nothing. */
	check_place("/lxc/../", "", "outside");
	check_place("/lxc/a/..", "lxc", "outside");
	check_place("/lxc//a", "lxc", "outside");
	check_place("lxc/a", "lxc", "outside");
	ok(cgfs_place("/lxc/a\n0::/", "", &(const char *){ NULL }, &(char *){ NULL }) == CGFS_OUTSIDE,
	   "a cgroup path with a newline (forged /proc/PID/cgroup lines) confines to nothing");
	check_place("", "", "outside");
	check_place("/lxc/a/", "lxc/a", "outside");

	ok(cgfs_name_ok("a.b") && cgfs_name_ok("..a"), "ordinary names pass");
	ok(!cgfs_name_ok("") && !cgfs_name_ok(".") && !cgfs_name_ok("..") && !cgfs_name_ok("a/b") &&
		   !cgfs_name_ok("x\n0::"),
	   "empty, dot, dot-dot, slash and newline names are refused");
}

static const char *mountinfo =
	"25 1 0:23 / /sys rw - sysfs sysfs rw\n"
	"31 25 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	"36 31 0:33 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
	"37 31 0:34 /sub /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n"
	"38 31 0:35 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
	"39 1 0:32 / /elsewhere/memory rw - cgroup cgroup rw,memory\n"
	"40 31 0:36 / /sys/fs/cgroup/deep/pids rw - cgroup cgroup rw,pids\n";
static const char *self_cgroup =
	"12:pids:/\n11:name=systemd:/init.scope\n10:devices:/\n9:memory:/x\n"
	"8:cpu,cpuacct:/\n7:hugetlb:/\n0::/init.scope\n";

static void test_hiers(void)
{
	struct cgfs_hiers hs;
	struct strbuf names = STRBUF_INIT;
	cgfs_hiers_find(mountinfo, self_cgroup, "/sys/fs/cgroup", &hs);
	for (size_t i = 0; i < hs.n; i++)
		sb_printf(&names, "%s=%s@%s ", hs.h[i].name, hs.h[i].key, hs.h[i].mount);
	/* Not shown: devices (a bind of a subtree), hugetlb (not mounted),
	 * pids (not right under the root). */
	is_str(sb_str(&names),
	       "cpu,cpuacct=cpu,cpuacct@/sys/fs/cgroup/cpu,cpuacct memory=memory@/sys/fs/cgroup/memory "
	       "systemd=name=systemd@/sys/fs/cgroup/systemd unified=@/sys/fs/cgroup/unified ",
	       "hybrid: v1 hierarchies named as lxcfs names them, and unified");
	cgfs_hiers_free(&hs);
	sb_free(&names);

	const char *v2 = "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
	cgfs_hiers_find(v2, "0::/user.slice\n", "/sys/fs/cgroup", &hs);
	ok(hs.n == 1 && !strcmp(hs.h[0].name, "unified") && hs.h[0].version == 2,
	   "pure v2: one hierarchy, unified");
	cgfs_hiers_free(&hs);
}

static void check_own(const char *text, const char *key, const char *want, const char *what)
{
	char *got = cgfs_own_path(text, key);
	is_str(got ? got : "(none)", want, "%s", what);
	free(got);
}

static void test_own(void)
{
	const char *t = "9:memory:/lxc/a\n8:cpu,cpuacct:/lxc/a/init.scope\n0::/lxc/a\n1:name=systemd:/init.scope\n";
	check_own(t, "memory", "/lxc/a", "a v1 hierarchy's path");
	check_own(t, "cpu,cpuacct", "/lxc/a", "a trailing /init.scope is the container's own");
	check_own(t, "", "/lxc/a", "the unified hierarchy's path");
	check_own(t, "name=systemd", "/", "init.scope right under the root");
	check_own(t, "cpu", "(none)", "a controller is matched by the whole field, not one of its names");
	check_own("9:memory:/c/x\n0::/\n9:memory:/\n", "memory", "(none)",
		  "a hierarchy listed twice (a forged line) is nobody's");
	check_own("9:memory:/c/x\n0::/c\n0::/\n", "", "(none)", "a second unified line is forged too");
}

static const char *status_of(const char *uid, const char *gid, const char *groups, const char *caps)
{
	static char buf[512];
	snprintf(buf, sizeof(buf),
		 "Name:\tsh\nUid:\t%s\nGid:\t%s\nGroups:\t%s\nNSpid:\t400\t7\nCapEff:\t%s\n", uid, gid,
		 groups, caps);
	return buf;
}

static void test_cred(void)
{
	struct cgfs_cred root, user, ns_root;
	const char *all = "0 0 4294967295\n", *ns = "0 100000 65536\n";
	ok(cgfs_cred_parse(status_of("0\t0\t0\t0", "0\t0\t0\t0", "", "000001ffffffffff"), all, all, &root),
	   "host root's credentials parse");
	ok(cgfs_cred_parse(status_of("1000\t1000\t1000\t1000", "1000\t1000\t1000\t1000", "1000 27 ",
				     "0000000000000000"), all, all, &user),
	   "a user's credentials parse");
	ok(cgfs_cred_parse(status_of("100000\t100000\t100000\t100000", "100000\t100000\t100000\t100000",
				     "", "000001ffffffffff"), ns, ns, &ns_root),
	   "a user namespace's root parses");
	ok(user.ngroups == 2 && user.groups[1] == 27, "supplementary groups are read");

	struct stat host_file = { .st_mode = S_IFREG | 0644, .st_uid = 0, .st_gid = 0 };
	struct stat delegated = { .st_mode = S_IFREG | 0644, .st_uid = 100000, .st_gid = 100000 };
	struct stat dir = { .st_mode = S_IFDIR | 0755, .st_uid = 0, .st_gid = 0 };
	struct stat group_dir = { .st_mode = S_IFDIR | 0775, .st_uid = 0, .st_gid = 27 };
	ok(cgfs_may(&root, &host_file, CGFS_MAY_WRITE), "host root writes a root-owned file");
	ok(!cgfs_may(&user, &host_file, CGFS_MAY_WRITE), "a user does not write a root-owned 0644 file");
	ok(cgfs_may(&user, &host_file, CGFS_MAY_READ), "a user reads a 0644 file");
	ok(!cgfs_may(&ns_root, &host_file, CGFS_MAY_WRITE),
	   "a user namespace's root does not write a file whose owner is not mapped into it");
	ok(cgfs_may(&ns_root, &delegated, CGFS_MAY_WRITE),
	   "a user namespace's root writes the cgroup delegated to it");
	ok(!cgfs_may(&user, &dir, CGFS_MAY_WRITE | CGFS_MAY_EXEC), "a user makes nothing in a root 0755 directory");
	ok(cgfs_may(&user, &group_dir, CGFS_MAY_WRITE | CGFS_MAY_EXEC),
	   "a member of the directory's group makes entries in a 0775 directory");
	ok(cgfs_owns(&ns_root, &delegated) && !cgfs_owns(&ns_root, &host_file) && !cgfs_owns(&user, &host_file),
	   "chmod: the owner, or CAP_FOWNER over a mapped owner");
	ok(cgfs_capable_on(&root, CGFS_CAP_CHOWN, &host_file) && !cgfs_capable_on(&ns_root, CGFS_CAP_CHOWN, &host_file),
	   "chown: CAP_CHOWN counts only over mapped owners");
	struct cgfs_cred bad;
	ok(!cgfs_cred_parse("Name:\tx\nUid:\t0\n", all, all, &bad), "a status without its fields is refused");
	cgfs_cred_free(&root);
	cgfs_cred_free(&user);
	cgfs_cred_free(&ns_root);
}

static pid_t minus_1000(pid_t pid, void *arg)
{
	(void)arg;
	return pid > 1000 ? pid - 1000 : 0;
}

static void test_pids(void)
{
	pid_t *ns = NULL;
	size_t n = cgfs_status_nspids("Name:\tsh\nNSpid:\t4001\t12\t1\nNSsid:\t1\n", &ns);
	ok(n == 3 && ns[0] == 4001 && ns[1] == 12 && ns[2] == 1, "NSpid: every level, outermost first");
	free(ns);
	ok(cgfs_status_nspids("Name:\tsh\n", &ns) == 0, "no NSpid line: no numbers");

	struct strbuf out = STRBUF_INIT;
	cgfs_pidlist_map("1001\n17\n1042\ngarbage\n1003\n", minus_1000, NULL, &out);
	is_str(sb_str(&out), "1\n42\n3\n", "a task list: mapped in order, invisible pids left out");
	sb_free(&out);

	pid_t p;
	ok(cgfs_pid_parse("42\n", 3, &p) && p == 42, "a written pid with its newline");
	ok(cgfs_pid_parse(" 7 ", 3, &p) && p == 7, "blanks around a written pid");
	ok(!cgfs_pid_parse("4 2", 3, &p) && !cgfs_pid_parse("", 0, &p) && !cgfs_pid_parse("-1", 2, &p) &&
		   !cgfs_pid_parse("99999999999", 11, &p) && !cgfs_pid_parse("12abc", 5, &p),
	   "two numbers, nothing, a sign, an overflow or garbage are refused");
}

int main(void)
{
	test_place();
	test_hiers();
	test_own();
	test_cred();
	test_pids();
	return tap_done();
}
