/* The legacy cgroupfs view (cviewfs --enable-cgroup) over a container's
 * /sys/fs/cgroup, for hosts and runtimes without cgroup namespaces.
 *
 * The daemon serves MOUNTPOINT/cgroup/H for each hierarchy H ("cpu,cpuacct",
 * "memory", "systemd", "unified"), each reader seeing only its own
 * container's subtree. In the container, on a pure cgroup v2 host (where
 * "unified" is the only hierarchy) that directory is bound over
 * /sys/fs/cgroup; otherwise a fresh tmpfs goes there (source "cviewfs", so
 * that remount and umount know it), with one bind per hierarchy and, for
 * co-mounted controllers, the links cpu -> cpu,cpuacct and
 * cpuacct -> cpu,cpuacct, then is made read-only as a host's is.
 *
 * Everything here runs in the binds helper (binds.c) after it entered the
 * container's root: paths are the container's. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tk.h"

#define CG_DIR "/sys/fs/cgroup"
#define CG_SOURCE "cviewfs"

int tk_cgview_open_trees(const tk_served *s, int *trees, tk_error **err)
{
	for (size_t i = 0; i < s->ncg; i++) {
		char *src = tk_strdup_printf("%s/cgroup/%s", s->mountpoint, s->cgroups[i]);
		if (!src)
			return tk_fail(err, ENOMEM, "open_tree");
		trees[i] = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		int e = errno;
		free(src);
		if (trees[i] < 0)
			return tk_fail(err, e, "open_tree %s/cgroup/%s", s->mountpoint, s->cgroups[i]);
		/* Writable: a privileged container manages its own subtree. */
		struct mount_attr attr = {
			.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
		};
		if (mount_setattr(trees[i], "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 &&
		    errno != ENOSYS)
			return tk_fail(err, errno, "mount_setattr cgroup/%s", s->cgroups[i]);
	}
	return 0;
}

static bool is_fresh(const tk_cgview_job *j, const tk_mount *m)
{
	return j->served && m->major == j->served->major && m->minor == j->served->minor;
}

/* A bind of MOUNTPOINT/cgroup/H from one of our daemons. */
static bool is_view_bind(const tk_cgview_job *j, const tk_mount *m)
{
	return tk_mount_is_cviewfs(m) && strncmp(m->root, "/cgroup/", 8) == 0 &&
	       tk_devset_has(j->ours, m->major, m->minor);
}

struct view {
	int binds;  /* cviewfs binds in it */
	bool stale; /* one of them is not the serving daemon's (or none is left) */
};

/* Whether /sys/fs/cgroup is a view of ours, and its state. A tmpfs holding
 * another daemon's binds is not ours. */
static bool find_view(const tk_cgview_job *j, const tk_mounts *ms, struct view *v)
{
	memset(v, 0, sizeof(*v));
	const tk_mount *top = tk_mounts_top(ms, CG_DIR);
	if (!top)
		return false;
	if (is_view_bind(j, top)) {
		v->binds = 1;
		v->stale = !is_fresh(j, top);
		return true;
	}
	if (strcmp(top->fstype, "tmpfs") != 0 || strcmp(top->source, CG_SOURCE) != 0)
		return false;
	for (size_t i = 0; i < ms->n; i++) {
		const tk_mount *m = &ms->v[i];
		if (m->parent != top->id || !tk_mount_is_cviewfs(m))
			continue;
		if (!is_view_bind(j, m))
			return false;
		v->binds++;
		v->stale |= !is_fresh(j, m);
	}
	v->stale |= v->binds == 0;
	return true;
}

static int detach(const tk_cgview_job *j, const struct view *v, tk_error **err)
{
	/* Lazy and recursive: the tmpfs goes with every bind on it. */
	if (umount2(CG_DIR, MNT_DETACH) < 0)
		return tk_fail(err, errno, "umount " CG_DIR);
	j->res->removed += v->binds;
	return 0;
}

/* Attaches TREE at TARGET, private: nothing mounted below it propagates. */
static int attach(const tk_cgview_job *j, int tree, const char *target, tk_error **err)
{
	if (move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return tk_fail(err, errno, "move_mount %s", target);
	if (mount(NULL, target, NULL, MS_PRIVATE, NULL) < 0) {
		int e = errno;
		umount2(target, MNT_DETACH);
		return tk_fail(err, e, "make %s private", target);
	}
	j->res->added++;
	return 0;
}

static int add_hierarchy(const tk_cgview_job *j, size_t i, tk_error **err)
{
	char *target = tk_strdup_printf(CG_DIR "/%s", j->served->cgroups[i]);
	if (!target)
		return tk_fail(err, ENOMEM, "cgroup view");
	int r = 0;
	if (mkdir(target, 0755) < 0 && errno != EEXIST)
		r = tk_fail(err, errno, "mkdir %s", target);
	else
		r = attach(j, j->trees[i], target, err);
	free(target);
	return r;
}

/* cpu -> cpu,cpuacct and cpuacct -> cpu,cpuacct for a co-mounted NAME,
 * where no hierarchy has that name itself. */
static int add_links(const char *name, tk_error **err)
{
	if (!strchr(name, ','))
		return 0;
	char *copy = strdup(name), *save = NULL;
	if (!copy)
		return tk_fail(err, ENOMEM, "cgroup view");
	int r = 0;
	struct stat st;
	for (char *c = strtok_r(copy, ",", &save); c && r == 0; c = strtok_r(NULL, ",", &save)) {
		char *link = tk_strdup_printf(CG_DIR "/%s", c);
		if (!link)
			r = tk_fail(err, ENOMEM, "cgroup view");
		else if (lstat(link, &st) < 0 && symlink(name, link) < 0)
			r = tk_fail(err, errno, "symlink %s -> %s", link, name);
		free(link);
	}
	free(copy);
	return r;
}

static int fill_tmpfs(const tk_cgview_job *j, tk_error **err)
{
	const tk_served *s = j->served;
	if (mount(NULL, CG_DIR, NULL, MS_PRIVATE, NULL) < 0)
		return tk_fail(err, errno, "make " CG_DIR " private");
	for (size_t i = 0; i < s->ncg; i++)
		if (add_hierarchy(j, i, err) < 0)
			return -1;
	for (size_t i = 0; i < s->ncg; i++)
		if (add_links(s->cgroups[i], err) < 0)
			return -1;
	/* The binds below keep their own (writable) mounts. */
	if (mount(NULL, CG_DIR, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
				      MS_NOEXEC, NULL) < 0)
		return tk_fail(err, errno, "make " CG_DIR " read-only");
	return 0;
}

static int mount_view(const tk_cgview_job *j, tk_error **err)
{
	const tk_served *s = j->served;
	struct stat st;
	if (lstat(CG_DIR, &st) < 0 || !S_ISDIR(st.st_mode)) {
		tk_log("container %s has no directory " CG_DIR ": no cgroup view mounted", j->name);
		return 0;
	}
	if (s->ncg == 1 && strcmp(s->cgroups[0], "unified") == 0)
		return attach(j, j->trees[0], CG_DIR, err);
	if (mount(CG_SOURCE, CG_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0)
		return tk_fail(err, errno, "mount a tmpfs on " CG_DIR);
	int added = j->res->added;
	if (fill_tmpfs(j, err) == 0)
		return 0;
	/* Nothing half-done: the tmpfs goes with what is on it. */
	if (umount2(CG_DIR, MNT_DETACH) < 0)
		tk_wrap(err, "undoing the cgroup view failed (umount " CG_DIR ": %s)",
			strerror(errno));
	j->res->added = added;
	return -1;
}

int tk_cgview_apply(const tk_cgview_job *j, tk_error **err)
{
	tk_mounts ms;
	if (tk_mounts_read_at(j->procfd, "self/mountinfo", &ms, err) < 0)
		return -1;
	struct view v;
	bool have = find_view(j, &ms, &v);
	tk_mounts_free(&ms);
	if (have && j->mode == TK_BIND && !v.stale)
		return 0;
	if (have && detach(j, &v, err) < 0)
		return -1;
	if (j->mode == TK_UNBIND || !(have || j->wanted))
		return 0;
	if (j->served->ncg == 0) {
		/* (The hooks say themselves when a view they want is not served.) */
		if (have)
			tk_log("container %s: cviewfs at %s serves no cgroup view now (no "
			       "--enable-cgroup): its stale one is gone, " CG_DIR " is its own again",
			       j->name, j->served->mountpoint);
		return 0;
	}
	if (j->trees_err)
		return tk_fail(err, 0, "cgroup view: %s", j->trees_err->msg);
	if (mount_view(j, err) < 0)
		return tk_wrap(err, "cgroup view");
	return 0;
}
