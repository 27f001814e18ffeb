/* Putting cviewfs's files into one container, and taking them out.
 *
 * The work happens in a forked child, which enters the container's mount
 * namespace and root, so the parent (which may go on to the next
 * container) never changes namespace and a container's symlinks can only
 * resolve inside the container. The daemon's files are taken along as
 * detached mount trees (open_tree(OPEN_TREE_CLONE)) opened before entering:
 * unlike a classic bind, they can be attached in a namespace where the
 * daemon's mount point is not visible, e.g. a container after pivot_root.
 * The legacy cgroup view over /sys/fs/cgroup is cgview.c's, done in the
 * same helper after the files. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tk.h"

struct child {
	const tk_target *t;
	tk_bind_mode mode;
	const tk_served *served;
	const tk_devset *ours;
	int procfd; /* the host's /proc: still valid inside the container */
	int *trees; /* one detached mount per served file, -1 if none */
	int *cgtrees; /* one per hierarchy of the cgroup view, -1 if none */
	tk_bind_result res;
};

/* Detached, read-only copies of the daemon's files, made while its mount
 * point is still reachable. */
static int open_trees(struct child *c, tk_error **err)
{
	const tk_served *s = c->served;
	for (size_t i = 0; i < s->n; i++) {
		char *src = tk_strdup_printf("%s/%s", s->mountpoint, s->files[i]);
		if (!src)
			return tk_fail(err, ENOMEM, "open_tree");
		c->trees[i] = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		int e = errno;
		free(src);
		if (c->trees[i] < 0)
			return tk_fail(err, e, "open_tree %s/%s", s->mountpoint, s->files[i]);
		struct mount_attr attr = {
			.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				    MOUNT_ATTR_NOEXEC,
		};
		/* Before 5.12 there is no mount_setattr; the filesystem refuses
		 * writes anyway, so the flags are defence in depth only. */
		if (mount_setattr(c->trees[i], "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 &&
		    errno != ENOSYS)
			return tk_fail(err, errno, "mount_setattr %s", s->files[i]);
	}
	return 0;
}

static bool same_mount_ns(int nsfd)
{
	struct stat a, b;
	return fstat(nsfd, &a) == 0 && stat("/proc/self/ns/mnt", &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

/* Mount namespace and root of the target process, then its rootfs if the
 * container has not pivoted yet (OCI and LXC hooks). */
static int enter(struct child *c, tk_error **err)
{
	char *pid = c->t->pid ? tk_strdup_printf("%d", (int)c->t->pid) : strdup("self");
	char *ns = pid ? tk_strdup_printf("%s/ns/mnt", pid) : NULL;
	char *root = pid ? tk_strdup_printf("%s/root", pid) : NULL;
	int nsfd = ns ? openat(c->procfd, ns, O_RDONLY | O_CLOEXEC) : -1;
	int e = errno;
	int rootfd = root ? openat(c->procfd, root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (nsfd >= 0 && rootfd < 0)
		e = errno;
	free(ns);
	free(root);
	free(pid);
	int r = 0;
	if (nsfd < 0 || rootfd < 0)
		r = tk_fail(err, e, "open the namespace of pid %d", (int)c->t->pid);
	else if (!same_mount_ns(nsfd) && setns(nsfd, CLONE_NEWNS) < 0)
		r = tk_fail(err, errno, "setns into the mount namespace of pid %d", (int)c->t->pid);
	else if (fchdir(rootfd) < 0 || chroot(".") < 0)
		r = tk_fail(err, errno, "enter the root of pid %d", (int)c->t->pid);
	else if (c->t->rootfs && (chdir(c->t->rootfs) < 0 || chroot(".") < 0))
		r = tk_fail(err, errno, "enter rootfs %s", c->t->rootfs);
	if (nsfd >= 0)
		close(nsfd);
	if (rootfd >= 0)
		close(rootfd);
	if (r == 0 && chdir("/") < 0)
		r = tk_fail(err, errno, "chdir /");
	return r;
}

static int read_mounts(struct child *c, tk_mounts *ms, tk_error **err)
{
	/* Our own mountinfo, read after entering: mount points relative to
	 * the container's root. */
	return tk_mounts_read_at(c->procfd, "self/mountinfo", ms, err);
}

static bool is_fresh(const struct child *c, const tk_mount *m)
{
	return c->served && m->major == c->served->major && m->minor == c->served->minor;
}

/* Detaches the cviewfs mounts stacked on top of PATH: all of them, or in
 * TK_BIND mode only those of another (dead) daemon. */
static int detach_stack(struct child *c, const char *path, tk_error **err)
{
	for (int guard = 0; guard < 64; guard++) {
		tk_mounts ms;
		if (read_mounts(c, &ms, err) < 0)
			return -1;
		const tk_mount *top = tk_mounts_top(&ms, path);
		bool go = top && tk_mount_is_container_bind(top, c->ours) &&
			  (c->mode == TK_UNBIND || !is_fresh(c, top));
		tk_mounts_free(&ms);
		if (!go)
			return 0;
		/* Lazy: a process may hold the file open; it keeps its old
		 * (dead) file, new opens see what is below. */
		if (umount2(path, MNT_DETACH) < 0)
			return tk_fail(err, errno, "umount %s", path);
		c->res.removed++;
	}
	return tk_fail(err, 0, "umount %s: too many stacked mounts", path);
}

static int detach_all(struct child *c, tk_error **err)
{
	tk_mounts ms;
	if (read_mounts(c, &ms, err) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < ms.n && r == 0; i++) {
		if (!tk_mount_is_container_bind(&ms.v[i], c->ours))
			continue;
		/* Each mount point once: detach_stack takes its whole stack. */
		if (tk_mounts_top(&ms, ms.v[i].mountpoint) != &ms.v[i])
			continue;
		r = detach_stack(c, ms.v[i].mountpoint, err);
	}
	tk_mounts_free(&ms);
	return r;
}

/* Binds served file I over the container's copy, if the container has one
 * of the same kind and it is not bound fresh already. */
static int bind_one(struct child *c, size_t i, const tk_mounts *ms, tk_error **err)
{
	char *target = tk_strdup_printf("/%s", c->served->files[i]);
	if (!target)
		return tk_fail(err, ENOMEM, "bind");
	int r = 0;
	const tk_mount *top = tk_mounts_top(ms, target);
	struct stat st;
	if (top && tk_mount_is_cviewfs(top) && is_fresh(c, top))
		goto out; /* already there */
	if (lstat(target, &st) < 0 || (c->served->is_dir[i] ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
		goto out; /* the container has no such file: leave it so */
	if (move_mount(c->trees[i], "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		r = tk_fail(err, errno, "move_mount %s", target);
		goto out;
	}
	/* The copy may have joined the daemon's peer group: make it private
	 * so nothing mounted in the container propagates anywhere. */
	if (mount(NULL, target, NULL, MS_PRIVATE, NULL) < 0) {
		r = tk_fail(err, errno, "make %s private", target);
		goto out;
	}
	c->res.added++;
out:
	free(target);
	return r;
}

static int bind_all(struct child *c, tk_error **err)
{
	tk_mounts ms;
	if (read_mounts(c, &ms, err) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < c->served->n && r == 0; i++)
		r = bind_one(c, i, &ms, err);
	tk_mounts_free(&ms);
	return r;
}

static int cgview(struct child *c, const tk_error *trees_err, tk_error **err)
{
	tk_cgview_job j = {
		.mode = c->mode,
		.wanted = c->t->cgroup_view,
		.name = c->t->name,
		.served = c->served,
		.ours = c->ours,
		.procfd = c->procfd,
		.trees = c->cgtrees,
		.trees_err = trees_err,
		.res = &c->res,
	};
	return tk_cgview_apply(&j, err);
}

static int child_work(struct child *c, tk_error **err)
{
	tk_error *cgerr = NULL;
	int r = 0;
	if (c->mode == TK_BIND && open_trees(c, err) < 0)
		return -1;
	if (c->mode == TK_BIND)
		tk_cgview_open_trees(c->served, c->cgtrees, &cgerr);
	if (enter(c, err) < 0 || detach_all(c, err) < 0 ||
	    (c->mode == TK_BIND && bind_all(c, err) < 0))
		r = -1;
	else
		r = cgview(c, cgerr, err);
	tk_error_free(&cgerr);
	return r;
}

/* The child's report on the pipe: "OK removed added" or "ERR errnum msg". */
static void child_main(struct child *c, int wfd)
{
	tk_error *err = NULL;
	char *report;
	if (child_work(c, &err) == 0)
		report = tk_strdup_printf("OK %d %d", c->res.removed, c->res.added);
	else
		report = tk_strdup_printf("ERR %d %d %d %s", err->errnum, c->res.removed,
					  c->res.added, err->msg);
	tk_error_free(&err);
	if (report && write(wfd, report, strlen(report)) < 0)
		_exit(3);
	free(report);
}

static int parse_report(char *text, tk_bind_result *res, tk_error **err)
{
	int e = 0, used = 0;
	if (sscanf(text, "OK %d %d", &res->removed, &res->added) == 2)
		return 0;
	if (sscanf(text, "ERR %d %d %d %n", &e, &res->removed, &res->added, &used) == 3 && used)
		return tk_fail(err, 0, "%s", text + used);
	return tk_fail(err, 0, "the helper process died");
}

int tk_binds_apply(const tk_target *t, tk_bind_mode mode, const tk_served *served,
		   const tk_devset *ours, tk_bind_result *res, tk_error **err)
{
	memset(res, 0, sizeof(*res));
	struct child c = {.t = t, .mode = mode, .served = served, .ours = ours, .procfd = -1};
	size_t n = served ? served->n : 0, ncg = served ? served->ncg : 0;
	c.trees = malloc((n ? n : 1) * sizeof(int));
	c.cgtrees = malloc((ncg ? ncg : 1) * sizeof(int));
	if (!c.trees || !c.cgtrees) {
		free(c.trees);
		free(c.cgtrees);
		return tk_fail(err, ENOMEM, "binds");
	}
	for (size_t i = 0; i < n; i++)
		c.trees[i] = -1;
	for (size_t i = 0; i < ncg; i++)
		c.cgtrees[i] = -1;
	int pfd[2] = {-1, -1};
	c.procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.procfd < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
		int r = tk_fail(err, errno, "open /proc");
		if (c.procfd >= 0)
			close(c.procfd);
		free(c.trees);
		free(c.cgtrees);
		return r;
	}
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		child_main(&c, pfd[1]);
		_exit(0);
	}
	close(pfd[1]);
	close(c.procfd);
	free(c.trees);
	free(c.cgtrees);
	if (pid < 0) {
		close(pfd[0]);
		return tk_fail(err, errno, "fork");
	}
	char *report = NULL;
	if (tk_read_fd(pfd[0], &report, NULL) < 0)
		report = NULL; /* reported as a dead helper below */
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int r = parse_report(report ? report : "", res, err);
	free(report);
	return r;
}
