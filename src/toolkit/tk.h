/* cviewfs-toolkit: puts cviewfs's files into containers and takes them out.
 *
 * Shared declarations. Every fallible function returns 0 (or a count) on
 * success and -1 on failure with *err set; callers add context with
 * tk_wrap() on the way up, so the final message reads like
 *   "remount abc123: bind /proc/meminfo: move_mount: Permission denied". */
#ifndef CVIEWFS_TOOLKIT_TK_H
#define CVIEWFS_TOOLKIT_TK_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- errors (error.c) ---- */
typedef struct tk_error {
	int errnum; /* errno of the root cause, 0 if none */
	char *msg;
} tk_error;

/* tk_fail: sets *err to "MSG: strerror(errnum)" (or just MSG when errnum
 * is 0) and returns -1. */
int tk_fail(tk_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* tk_wrap: prefixes the message of *err with "CONTEXT: "; returns -1. */
int tk_wrap(tk_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tk_error_free(tk_error **err);
/* Logs "cviewfs-toolkit: MSG" on stderr and frees *err. */
void tk_error_report(tk_error **err);
/* Hooks also log to syslog: runtimes show a hook's stderr only when it
 * fails. */
extern bool tk_log_to_syslog;
void tk_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- small helpers (util.c) ---- */
/* FD to its end into a malloc'd NUL-terminated buffer; -errno on failure. */
int tk_read_fd(int fd, char **out, size_t *len);
/* Whole file (no size limit) into a malloc'd NUL-terminated buffer. */
int tk_read_file_at(int dirfd, const char *path, char **out, size_t *len, tk_error **err);
char *tk_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Absolute, normalised MOUNTPOINT without stat'ing its last component
 * (a dead FUSE mount answers ENOTCONN to that). */
int tk_mountpoint_path(const char *in, char **out, tk_error **err);
/* Field 22 of /proc/PID/stat: the process start time, 0 if gone. */
unsigned long long tk_pid_start_time(pid_t pid);
/* Runs ARGV (PATH search), returns its stdout; exit status must be 0. */
int tk_run_capture(char *const argv[], char **out, tk_error **err);

/* ---- mountinfo (mountinfo.c) ---- */
typedef struct tk_mount {
	int id, parent;
	unsigned int major, minor;
	char *root;       /* path inside the mounted filesystem */
	char *mountpoint; /* relative to the reading process's root */
	char *fstype;
	char *source; /* "" when the line has none */
	bool shared; /* in a peer group (optional field shared:N) */
} tk_mount;

typedef struct tk_mounts {
	tk_mount *v;
	size_t n;
} tk_mounts;

int tk_mounts_parse(const char *text, tk_mounts *out, tk_error **err);
int tk_mounts_read_at(int dirfd, const char *path, tk_mounts *out, tk_error **err);
void tk_mounts_free(tk_mounts *m);
/* The topmost mount whose mount point is PATH, or NULL. */
const tk_mount *tk_mounts_top(const tk_mounts *m, const char *path);
bool tk_mount_is_cviewfs(const tk_mount *m);

/* ---- which cviewfs mounts are ours (devices.c) ---- */
typedef struct tk_devset {
	struct {
		unsigned int major, minor;
	} *v;
	size_t n;
} tk_devset;

/* Remembers that MAJ:MIN is the device of the daemon at MOUNTPOINT. */
int tk_devices_record(const char *state_dir, const char *mountpoint, unsigned int major,
		      unsigned int minor, tk_error **err);
/* The devices MOUNTPOINT's daemons have had, minus those mounted now at
 * another mount point. */
int tk_devices_load(const char *state_dir, const char *mountpoint, tk_devset *out,
		    tk_error **err);
bool tk_devset_has(const tk_devset *s, unsigned int major, unsigned int minor);
int tk_devset_add(tk_devset *s, unsigned int major, unsigned int minor, tk_error **err);
void tk_devset_free(tk_devset *s);

/* A bind a container would have from one of OURS: a cviewfs mount whose
 * mount point is under /proc or is /sys/devices/system/cpu, as seen from
 * the container's root. */
bool tk_mount_is_container_bind(const tk_mount *m, const tk_devset *ours);

/* ---- the daemon's mount (served.c) ---- */
typedef struct tk_served {
	char *mountpoint;       /* absolute */
	unsigned int major, minor; /* device of the live cviewfs mount */
	char **files;           /* what to bind: "proc/meminfo", ..., "sys/devices/system/cpu" */
	bool *is_dir;
	size_t n;
	/* The legacy cgroupfs view (cviewfs --enable-cgroup): the hierarchies
	 * in MOUNTPOINT/cgroup ("cpu,cpuacct", "memory", "systemd", "unified"),
	 * sorted; none when the daemon serves no such directory. */
	char **cgroups;
	size_t ncg;
} tk_served;

/* Finds a live, serving cviewfs at MOUNTPOINT (one real read) and lists
 * what it serves. Fails with the reason when it is not there or dead. */
int tk_served_open(const char *mountpoint, tk_served *out, tk_error **err);
void tk_served_free(tk_served *s);
/* Is a cviewfs mounted at MOUNTPOINT at all (live or dead)? */
int tk_cviewfs_mounted(const char *mountpoint, bool *mounted, tk_error **err);

/* ---- one container's binds (binds.c) ---- */
typedef enum { TK_BIND, TK_UNBIND } tk_bind_mode;

typedef struct tk_target {
	pid_t pid;      /* a process in the container's mount namespace; 0: this process */
	char *rootfs;   /* the rootfs as that process sees it before pivot_root, or NULL */
	const char *name; /* for messages */
	bool cgroup_view; /* TK_BIND: mount SERVED's legacy cgroupfs view over the
			     container's /sys/fs/cgroup where it has none */
} tk_target;

typedef struct tk_bind_result {
	int removed; /* cviewfs mounts detached */
	int added;   /* fresh binds made */
} tk_bind_result;

/* TK_BIND: detach the container's stale cviewfs binds and bind every file
 * of SERVED that exists in it and is not bound fresh already; a cgroup
 * view (see below) with a stale bind is mounted afresh, one is added if
 * T asks for it.
 * TK_UNBIND: detach all its cviewfs binds and its cgroup view (SERVED may
 * be NULL). */
int tk_binds_apply(const tk_target *t, tk_bind_mode mode, const tk_served *served,
		   const tk_devset *ours, tk_bind_result *res, tk_error **err);

/* ---- the legacy cgroupfs view in a container (cgview.c) ----
 * Over the container's /sys/fs/cgroup: MOUNTPOINT/cgroup/unified alone when
 * that is the daemon's only hierarchy (a pure cgroup v2 host), else a tmpfs
 * (source "cviewfs") with one bind of MOUNTPOINT/cgroup/H per hierarchy H. */
typedef struct tk_cgview_job {
	tk_bind_mode mode;
	bool wanted;              /* TK_BIND: mount a view where there is none */
	const char *name;         /* the container, for messages */
	const tk_served *served;  /* NULL in TK_UNBIND */
	const tk_devset *ours;
	int procfd;               /* the host's /proc */
	int *trees;               /* TK_BIND: one per served->cgroups[i] */
	const tk_error *trees_err; /* why they could not be opened, or NULL */
	tk_bind_result *res;
} tk_cgview_job;

/* Detached clones of MOUNTPOINT/cgroup/H into TREES (served->ncg of them),
 * made while the mount point is reachable. A failure here matters only
 * to a container that gets a view (tk_cgview_job.trees_err), never to the
 * binds of the files. */
int tk_cgview_open_trees(const tk_served *s, int *trees, tk_error **err);
/* In a process that has entered the container's root: TK_BIND leaves a
 * view whose binds are all fresh alone, mounts a stale one afresh, and
 * mounts one where there is none if J->wanted; TK_UNBIND detaches it. A
 * failed mount leaves nothing of the view behind. */
int tk_cgview_apply(const tk_cgview_job *j, tk_error **err);

/* ---- containers (discover.c) ---- */
typedef struct tk_container {
	char *id;
	pid_t pid;
	bool has_binds; /* cviewfs mounts were seen in it */
} tk_container;

typedef struct tk_containers {
	tk_container *v;
	size_t n;
} tk_containers;

typedef struct tk_config {
	const char *mountpoint;
	const char *state_dir;
	const char **runtime_roots; /* NULL-terminated */
	const char *lxc_path;       /* NULL: LXC's default */
} tk_config;

/* Containers with binds from OURS (any mount namespace but ours) plus the
 * live ones the hooks registered. */
int tk_discover_all(const tk_config *cfg, const tk_devset *ours, bool registered_too,
		    tk_containers *out, tk_error **err);
/* One container by id (or unique id prefix): the registry, runc/crun state
 * directories, LXC, podman. */
int tk_discover_one(const tk_config *cfg, const char *id, tk_container *out, tk_error **err);
void tk_containers_free(tk_containers *c);
void tk_container_clear(tk_container *c);

/* ---- the hooks' registry (registry.c) ---- */
int tk_registry_add(const char *state_dir, const char *id, pid_t pid, const char *runtime,
		    tk_error **err);
int tk_registry_remove(const char *state_dir, const char *id, tk_error **err);
/* Live entries (pid alive with the recorded start time); drops dead ones. */
int tk_registry_list(const char *state_dir, tk_containers *out, tk_error **err);

/* ---- OCI (oci.c) ---- */
typedef struct tk_oci_state {
	char *id;
	pid_t pid;
	char *status;
	char *rootfs; /* absolute */
	bool disabled; /* annotation io.cviewfs.disable=true */
} tk_oci_state;

int tk_oci_state_read(FILE *in, tk_oci_state *out, tk_error **err);
/* The parsing beneath tk_oci_state_read, without reading config.json: the
 * state document TEXT (LEN bytes) into OUT and its bundle (malloc'd). */
int tk_oci_state_parse(const char *text, size_t len, tk_oci_state *out, char **bundle,
		       tk_error **err);
/* The rootfs and opt-out annotation of BUNDLE's config.json TEXT into S. */
int tk_oci_config_parse(const char *text, size_t len, const char *bundle, tk_oci_state *s,
			tk_error **err);
void tk_oci_state_free(tk_oci_state *s);
/* pid of container ID in runc/crun state directory ROOT; 0 if absent. */
int tk_oci_runtime_pid(const char *root, const char *id, char **full_id, pid_t *pid,
		       tk_error **err);

#endif
