/* The legacy cgroupfs view's parsers and its confinement rule (src/cgfs):
 * mountinfo and /proc/self/cgroup into hierarchies, a reader's cgroup out
 * of its /proc/PID/cgroup, where a path lies for it, a status and id maps
 * into credentials, NSpid and task lists. Input parts (fuzz.h): mountinfo,
 * /proc/PID/cgroup, a path below a hierarchy root, status, uid_map,
 * gid_map. */
#include "fuzz.h"

#include "cgfs/confine.h"
#include "cgfs/cred.h"
#include "cgfs/hier.h"
#include "cgfs/pids.h"

#include <stdio.h>

static const char *default_mountinfo =
	"35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	"38 31 0:35 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";

static pid_t keep(pid_t pid, void *arg)
{
	(void)arg;
	return pid % 3 ? pid : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	struct cgfs_hiers hs;

	fuzz_split(data, size, &in);
	const char *proc_cgroup = fuzz_part(&in, 1, "9:memory:/lxc/a\n0::/lxc/a\n");
	const char *path = fuzz_part(&in, 2, "lxc/a/memory.max");
	cgfs_hiers_find(fuzz_part(&in, 0, default_mountinfo), proc_cgroup, "/sys/fs/cgroup", &hs);
	for (size_t i = 0; i <= hs.n; i++) {
		char *own = cgfs_own_path(proc_cgroup, i < hs.n ? hs.h[i].key : "");
		const char *rel = NULL;
		char *next = NULL;
		/* A path is only ever given below an own that was trusted. */
		enum cgfs_place at = own ? cgfs_place(own, path, &rel, &next) : CGFS_OUTSIDE;
		if (at == CGFS_INSIDE && (!rel || rel < path || rel > path + strlen(path)))
			abort();
		if (at != CGFS_ABOVE && next)
			abort();
		free(next);
		free(own);
	}
	cgfs_hiers_free(&hs);

	struct cgfs_cred cred;
	const char *status = fuzz_part(&in, 3, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\t1ff\n");
	if (cgfs_cred_parse(status, fuzz_part(&in, 4, "0 0 4294967295\n"),
			    fuzz_part(&in, 5, "0 0 4294967295\n"), &cred)) {
		struct stat st = { .st_mode = S_IFREG | 0644, .st_uid = 1000, .st_gid = 1000 };
		(void)cgfs_may(&cred, &st, CGFS_MAY_READ | CGFS_MAY_WRITE);
		(void)cgfs_owns(&cred, &st);
		cgfs_cred_free(&cred);
	}
	pid_t *ns = NULL;
	(void)cgfs_status_nspids(status, &ns);
	free(ns);
	struct strbuf out = STRBUF_INIT;
	cgfs_pidlist_map(proc_cgroup, keep, NULL, &out);
	sb_free(&out);
	pid_t pid;
	(void)cgfs_pid_parse(path, strlen(path), &pid);
	fuzz_free(&in);
	return 0;
}
