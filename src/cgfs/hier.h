/* The hierarchies the legacy cgroupfs view shows: every cgroup v1 hierarchy
 * mounted right under the host's cgroup root, and the unified (cgroup2)
 * hierarchy, whether it is that root (v2) or under it (hybrid).
 *
 * A hierarchy's directory is named as lxcfs 5.0.3 names it: its controller
 * list as /proc/PID/cgroup spells it, "name=" dropped ("memory",
 * "cpu,cpuacct", "systemd"); the cgroup2 hierarchy is "unified". */
#ifndef CVIEWFS_CGFS_HIER_H
#define CVIEWFS_CGFS_HIER_H

#include <stddef.h>

struct cgfs_hier {
	char *name;  /* the directory under MOUNTPOINT/cgroup */
	char *key;   /* its field in /proc/PID/cgroup: "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
	char *mount; /* where the host mounts it */
	int version; /* 1 or 2 */
	int fd;      /* its root, O_PATH; -1 until opened */
};

struct cgfs_hiers {
	struct cgfs_hier *h;
	size_t n;
};

/* Finds the hierarchies from the text of /proc/self/mountinfo and of the
 * daemon's own /proc/self/cgroup (which names each hierarchy it is in:
 * all of them), keeping those mounted at `root` or right under it, each
 * once, sorted by name. Opens nothing. */
void cgfs_hiers_find(const char *mountinfo, const char *self_cgroup, const char *root,
		     struct cgfs_hiers *out);
void cgfs_hiers_free(struct cgfs_hiers *hs);

/* The path of the hierarchy `key` in the text of a /proc/PID/cgroup, with a
 * trailing "/init.scope" removed (malloc'd); NULL when the hierarchy is not
 * listed, or listed more than once (a forged line: trust neither). */
char *cgfs_own_path(const char *proc_cgroup, const char *key);

#endif
