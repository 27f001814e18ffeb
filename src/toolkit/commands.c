/* The toolkit's commands. Each returns the process exit status. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"

/* The daemon's devices known for the mount point: the serving one (when
 * SERVED, recorded now) and those of its predecessors. */
static int our_devices(const tk_config *cfg, const tk_served *served, tk_devset *ours,
		       tk_error **err)
{
	char *mp = NULL;
	int r = 0;
	if (served)
		r = tk_devices_record(cfg->state_dir, served->mountpoint, served->major,
				      served->minor, err);
	else
		r = tk_mountpoint_path(cfg->mountpoint, &mp, err);
	if (r == 0)
		r = tk_devices_load(cfg->state_dir, served ? served->mountpoint : mp, ours, err);
	if (r == 0 && served)
		r = tk_devset_add(ours, served->major, served->minor, err);
	free(mp);
	return r;
}

/* A serving daemon and the devices that are ours. */
static int open_daemon(const tk_config *cfg, tk_served *served, tk_devset *ours, tk_error **err)
{
	memset(ours, 0, sizeof(*ours));
	if (tk_served_open(cfg->mountpoint, served, err) < 0)
		return -1;
	if (our_devices(cfg, served, ours, err) < 0) {
		tk_served_free(served);
		return -1;
	}
	return 0;
}

/* ---- OCI hook ---- */

/* Binds into a container that is being created. A daemon that is not
 * serving only logs one line: a stopped daemon must never keep a
 * container from starting (remount --all adds the binds later, the
 * container is registered for it). */
static int hook_bind(const tk_config *cfg, const tk_oci_state *st, tk_error **err)
{
	tk_served served;
	tk_devset ours;
	if (open_daemon(cfg, &served, &ours, err) < 0) {
		tk_wrap(err, "container %s starts without cviewfs", st->id);
		tk_error_report(err);
		return 0;
	}
	tk_target t = {.pid = st->pid, .rootfs = st->rootfs, .name = st->id};
	tk_bind_result res;
	int r = tk_binds_apply(&t, TK_BIND, &served, &ours, &res, err);
	tk_served_free(&served);
	tk_devset_free(&ours);
	if (r < 0)
		return tk_wrap(err, "container %s", st->id);
	return 0;
}

int cmd_hook(const tk_config *cfg)
{
	tk_error *err = NULL;
	tk_oci_state st;
	if (tk_oci_state_read(stdin, &st, &err) < 0) {
		tk_wrap(&err, "hook");
		tk_error_report(&err);
		return 1;
	}
	int r = 0;
	if (strcmp(st.status, "stopped") == 0) {
		/* poststop: forget it. */
		r = tk_registry_remove(cfg->state_dir, st.id, &err);
	} else if (st.disabled) {
		tk_log("container %s: io.cviewfs.disable is set, not binding", st.id);
	} else if (st.pid <= 0) {
		r = tk_fail(&err, 0, "hook: container %s: the state has no pid (use the "
				     "createRuntime, prestart or createContainer stage)", st.id);
	} else {
		r = tk_registry_add(cfg->state_dir, st.id, st.pid, "oci", &err);
		if (r == 0)
			r = hook_bind(cfg, &st, &err);
	}
	tk_oci_state_free(&st);
	if (r < 0) {
		tk_error_report(&err);
		return 1;
	}
	return 0;
}

/* ---- LXC hooks ---- */

/* The host pid of our parent, the container's init-to-be: read from the
 * host's /proc (still mounted there before pivot_root), since getppid()
 * answers in the container's pid namespace. */
static pid_t host_ppid(void)
{
	char *text = NULL;
	tk_error *err = NULL;
	if (tk_read_file_at(AT_FDCWD, "/proc/self/stat", &text, NULL, &err) < 0) {
		tk_error_free(&err);
		return 0;
	}
	char *p = strrchr(text, ')');
	int ppid = 0;
	if (!p || sscanf(p, ") %*c %d", &ppid) != 1)
		ppid = 0;
	free(text);
	return (pid_t)ppid;
}

/* What a hook that wants the cgroup view can have: none when the daemon
 * serves none (one line in the log, the container keeps its own). */
static bool cgroup_view_served(const tk_served *served, const char *name)
{
	if (served->ncg > 0)
		return true;
	tk_log("container %s keeps its own /sys/fs/cgroup: cviewfs at %s serves no cgroup view "
	       "(start it with --enable-cgroup)", name, served->mountpoint);
	return false;
}

int cmd_lxc_mount(const tk_config *cfg, const char *rootfs, bool cgroup)
{
	const char *name = getenv("LXC_NAME");
	if (!rootfs)
		rootfs = getenv("LXC_ROOTFS_MOUNT");
	tk_error *err = NULL;
	if (!rootfs || !name) {
		tk_fail(&err, 0, "lxc-mount: LXC_ROOTFS_MOUNT and LXC_NAME are not set (run it "
				 "as lxc.hook.mount)");
		tk_error_report(&err);
		return 1;
	}
	pid_t init = host_ppid();
	if (init > 0 && tk_registry_add(cfg->state_dir, name, init, "lxc", &err) < 0)
		tk_error_report(&err); /* only remount --all would miss it */
	tk_served served;
	tk_devset ours;
	if (open_daemon(cfg, &served, &ours, &err) < 0) {
		tk_wrap(&err, "container %s starts without cviewfs%s", name,
			cgroup ? " (and with its own /sys/fs/cgroup)" : "");
		tk_error_report(&err);
		return 0;
	}
	tk_target t = {.pid = 0, .rootfs = (char *)rootfs, .name = name,
		       .cgroup_view = cgroup && cgroup_view_served(&served, name)};
	tk_bind_result res;
	int r = tk_binds_apply(&t, TK_BIND, &served, &ours, &res, &err);
	tk_served_free(&served);
	tk_devset_free(&ours);
	if (r < 0) {
		tk_wrap(&err, "lxc-mount %s", name);
		tk_error_report(&err);
		return 1;
	}
	return 0;
}

int cmd_lxc_stop(const tk_config *cfg)
{
	const char *name = getenv("LXC_NAME");
	tk_error *err = NULL;
	if (name && tk_registry_remove(cfg->state_dir, name, &err) < 0) {
		tk_error_report(&err);
		return 1;
	}
	return 0;
}

/* ---- remount / umount ---- */

static int apply_one(const tk_container *c, tk_bind_mode mode, const tk_served *served,
		     const tk_devset *ours)
{
	tk_target t = {.pid = c->pid, .rootfs = NULL, .name = c->id};
	tk_bind_result res;
	tk_error *err = NULL;
	const char *verb = mode == TK_BIND ? "remount" : "umount";
	if (tk_binds_apply(&t, mode, served, ours, &res, &err) < 0) {
		tk_wrap(&err, "%s %s (pid %d)", verb, c->id, (int)c->pid);
		tk_error_report(&err);
		return 1;
	}
	/* Containers found by the /proc scan are named "pid N" already. */
	if (strncmp(c->id, "pid ", 4) == 0)
		printf("%s %s: %d removed, %d added\n", verb, c->id, res.removed, res.added);
	else
		printf("%s %s (pid %d): %d removed, %d added\n", verb, c->id, (int)c->pid,
		       res.removed, res.added);
	return 0;
}

static int apply(const tk_config *cfg, tk_bind_mode mode, const char *id)
{
	tk_error *err = NULL;
	tk_served served = {0};
	tk_devset ours = {0};
	const char *verb = mode == TK_BIND ? "remount" : "umount";
	/* umount works without a daemon: that is when it is needed most. */
	int r = mode == TK_BIND ? open_daemon(cfg, &served, &ours, &err)
				: our_devices(cfg, NULL, &ours, &err);
	if (r < 0) {
		tk_wrap(&err, "%s", verb);
		tk_error_report(&err);
		return 1;
	}
	tk_containers list = {0};
	if (id) {
		tk_container one;
		r = tk_discover_one(cfg, id, &one, &err);
		if (r == 0) {
			list.v = malloc(sizeof(one));
			if (list.v) {
				list.v[0] = one;
				list.n = 1;
			} else {
				tk_container_clear(&one);
				r = tk_fail(&err, ENOMEM, "%s", verb);
			}
		}
	} else {
		/* umount needs only the namespaces with binds; remount also the
		 * registered containers whose binds are missing. */
		r = tk_discover_all(cfg, &ours, mode == TK_BIND, &list, &err);
	}
	int status = 0;
	if (r < 0) {
		tk_wrap(&err, "%s", verb);
		tk_error_report(&err);
		status = 1;
	}
	for (size_t i = 0; i < list.n; i++)
		status |= apply_one(&list.v[i], mode, mode == TK_BIND ? &served : NULL, &ours);
	tk_containers_free(&list);
	tk_served_free(&served);
	tk_devset_free(&ours);
	fflush(stdout);
	return status;
}

int cmd_remount(const tk_config *cfg, const char *id) { return apply(cfg, TK_BIND, id); }
int cmd_umount(const tk_config *cfg, const char *id) { return apply(cfg, TK_UNBIND, id); }

/* ---- check ---- */

int cmd_check(const tk_config *cfg, double wait_s)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		tk_error *err = NULL;
		tk_served served;
		tk_devset ours;
		if (open_daemon(cfg, &served, &ours, &err) == 0) {
			printf("cviewfs at %s is serving %zu files\n", served.mountpoint, served.n);
			tk_served_free(&served);
			tk_devset_free(&ours);
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		double spent = (double)(now.tv_sec - start.tv_sec) +
			       (double)(now.tv_nsec - start.tv_nsec) / 1e9;
		if (spent >= wait_s) {
			tk_error_report(&err);
			return 1;
		}
		tk_error_free(&err);
		usleep(100 * 1000);
	}
}

/* ---- prestart ---- */

/* Is MOUNTPOINT a mount point, and is its topmost mount shared? */
static int top_is_shared(const char *mountpoint, bool *is_mount, bool *shared, tk_error **err)
{
	tk_mounts ms;
	if (tk_mounts_read_at(AT_FDCWD, "/proc/self/mountinfo", &ms, err) < 0)
		return -1;
	const tk_mount *top = tk_mounts_top(&ms, mountpoint);
	*is_mount = top != NULL;
	*shared = top && top->shared;
	tk_mounts_free(&ms);
	return 0;
}

/* mkdir -p PATH */
static int mkdir_p(const char *path, tk_error **err)
{
	char *p = strdup(path);
	if (!p)
		return tk_fail(err, ENOMEM, "mkdir %s", path);
	int r = 0;
	for (char *s = p + 1; r == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			r = tk_fail(err, errno, "mkdir %s", p);
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return r;
}

/* Makes the mount point a shared mount of its own (a bind onto itself),
 * before the daemon mounts there: containers that bind the whole
 * directory with rslave then receive every later mount and unmount of the
 * daemon, so they heal by themselves after a restart. Only this directory
 * becomes shared, nothing around it. */
int cmd_prestart(const tk_config *cfg)
{
	tk_error *err = NULL;
	char *mp = NULL;
	bool mounted = false, is_mount = false, shared = false;
	int r = mkdir_p(cfg->mountpoint, &err);
	if (r == 0)
		r = tk_mountpoint_path(cfg->mountpoint, &mp, &err);
	if (r == 0)
		r = tk_cviewfs_mounted(mp, &mounted, &err);
	if (r == 0 && mounted)
		r = tk_fail(&err, 0, "cviewfs is already mounted at %s: run prestart before the daemon",
			    mp);
	if (r == 0)
		r = top_is_shared(mp, &is_mount, &shared, &err);
	if (r == 0 && !is_mount && mount(mp, mp, NULL, MS_BIND, NULL) < 0)
		r = tk_fail(&err, errno, "bind %s onto itself", mp);
	if (r == 0 && !shared && mount(NULL, mp, NULL, MS_SHARED, NULL) < 0)
		r = tk_fail(&err, errno, "make %s shared", mp);
	if (r == 0)
		printf("%s is a shared mount point, ready for cviewfs\n", mp);
	free(mp);
	if (r < 0) {
		tk_wrap(&err, "prestart");
		tk_error_report(&err);
		return 1;
	}
	return 0;
}
