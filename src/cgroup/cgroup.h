/* The cgroup layer: one interface over cgroup v1, hybrid and v2.
 *
 * At start the layout is detected and each controller's hierarchy is opened
 * once; every later read is an openat() relative to that fd with O_NOFOLLOW.
 * A container is located by the paths in /proc/<pid>/cgroup (struct
 * cg_paths); the readers below (memory.c, cpu.c) turn the version-specific
 * files into plain values and say which values they could not get, so the
 * caller can fall back to the host's. */
#ifndef CVIEWFS_CGROUP_H
#define CVIEWFS_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct strbuf;
struct cpumask;

enum cg_controller {
	CG_MEMORY,
	CG_CPU,
	CG_CPUACCT,
	CG_CPUSET,
	CG_BLKIO,
	CG_PIDS,
	CG_NR_CONTROLLERS
};

enum cg_layout { CG_LAYOUT_NONE, CG_LAYOUT_V1, CG_LAYOUT_HYBRID, CG_LAYOUT_V2 };

struct cgroups {
	enum cg_layout layout;
	int v1_fd[CG_NR_CONTROLLERS]; /* -1 when the controller has no v1 mount */
	int v2_fd;                    /* the unified hierarchy, -1 if none */
	bool on_v2[CG_NR_CONTROLLERS]; /* controller is served by the v2 tree */
};

/* Where one container sits: its path in each v1 hierarchy and in v2. */
struct cg_paths {
	char *v1[CG_NR_CONTROLLERS];
	char *v2;
};

/* One controller of one container: the hierarchy and the path within it. */
struct cg_loc {
	int fd;
	int version; /* 1 or 2 */
	const char *path; /* absolute within the hierarchy: "/" or "/a/b" */
	enum cg_controller ctrl;
};

const char *cg_controller_name(enum cg_controller c);
const char *cg_layout_name(enum cg_layout l);

/* Detects the layout under root ("/sys/fs/cgroup") and opens the
 * hierarchies. Returns 0, or -errno with a message in err. */
int cgroups_open(struct cgroups *cg, const char *root, struct strbuf *err);
void cgroups_close(struct cgroups *cg);

/* Parses /proc/<pid>/cgroup. Lines that do not parse are skipped. Returns
 * false if no usable line was found. */
bool cg_paths_parse(const char *text, struct cg_paths *out);
/* Removes a trailing "/init.scope" from every path (systemd inside a
 * container runs itself there; the container is the parent). */
void cg_paths_strip_init_scope(struct cg_paths *p);
void cg_paths_copy(struct cg_paths *dst, const struct cg_paths *src);
void cg_paths_free(struct cg_paths *p);

/* Finds controller c of the container; false if the host has no such
 * controller or the container's path for it is unknown or unsafe. */
bool cg_locate(const struct cgroups *cg, const struct cg_paths *p,
	       enum cg_controller c, struct cg_loc *out);
/* True when the container's cgroup for c is the hierarchy root. */
bool cg_is_root(const struct cgroups *cg, const struct cg_paths *p, enum cg_controller c);

/* Reads one file of the cgroup at loc (or of its ancestor `up` levels above;
 * up=0 is the cgroup itself). 0, -ENOENT past the root, or -errno. */
int cg_read_file(const struct cg_loc *loc, unsigned up, const char *file, struct strbuf *out);
/* Number of ancestors of loc's path ("/a/b" has 2: "/a" and "/"). */
unsigned cg_depth(const struct cg_loc *loc);

/* Logs once per (cgroup, file, cause) that a value fell back to the host,
 * and counts every call by cause (metrics/metrics.h). */
void cg_log_fallback(const struct cg_loc *loc, unsigned up, const char *file, const char *cause);
/* The cause for a file whose content could not be parsed: "empty file",
 * "value out of range" (a number too large) or "unparsable content". */
const char *cg_bad_content(const char *text);

/* ---- memory (memory.c) ---- */

enum mem_stat_item {
	MS_ANON,
	MS_FILE,
	MS_SHMEM,
	MS_FILE_MAPPED,
	MS_FILE_DIRTY,
	MS_FILE_WRITEBACK,
	MS_ANON_THP,
	MS_SLAB,
	MS_SLAB_RECLAIMABLE,
	MS_SLAB_UNRECLAIMABLE,
	MS_ACTIVE_ANON,
	MS_INACTIVE_ANON,
	MS_ACTIVE_FILE,
	MS_INACTIVE_FILE,
	MS_UNEVICTABLE,
	MS_ZSWAP,
	MS_ZSWAPPED,
	MS_NR
};

/* Every byte count a meminfo or swaps renderer needs. A false have_* means
 * "unknown: use the host's value". UINT64_MAX limits mean "no limit". */
struct cg_memory {
	bool have_limit;
	uint64_t limit; /* effective: minimum over the cgroup and its ancestors */
	bool have_usage;
	uint64_t usage;

	/* Swap accounting exists for this cgroup (v1 memsw files, v2 swap files). */
	bool swap_accounting;
	uint64_t swap_limit; /* swap only, not RAM+swap; effective */
	bool have_swap_usage;
	uint64_t swap_usage;
	int swappiness; /* -1 when unknown or not a v1 host */

	uint32_t have_stat; /* bit (1 << item) set when stat[item] is known */
	uint64_t stat[MS_NR];
};

/* Key of each item in v2 memory.stat and in v1 memory.stat (NULL when that
 * version has no such counter; it then reads as 0). */
const char *mem_stat_key(enum mem_stat_item item, int version);

/* Fills m from memory.stat text of the given version (pure; used by
 * cg_read_memory and by tests). Returns false if text is unusable. */
bool mem_stat_parse(const char *text, int version, struct cg_memory *m);

/* Reads everything of struct cg_memory for the container. Never fails: what
 * cannot be read is marked unknown and logged once. Without with_swap (the
 * host has no swap, or it is not shown), swap usage and swappiness are not
 * read: a container cannot use swap the host does not have. */
void cg_read_memory(const struct cgroups *cg, const struct cg_paths *p, bool with_swap,
		    struct cg_memory *m);

/* ---- cpu (cpu.c) ---- */

/* The CPUs the container may run on (cpuset effective CPUs, walking up while
 * empty). False when unknown. */
bool cg_read_cpus(const struct cgroups *cg, const struct cg_paths *p, struct cpumask *out);
/* Total CPU time the container has used, in nanoseconds. */
bool cg_read_cpu_usage_ns(const struct cgroups *cg, const struct cg_paths *p, uint64_t *ns);

/* CPUs the CFS quota allows (quota/period), the minimum over the cgroup and
 * its ancestors; 0 when no level has a quota. False when unknown. */
bool cg_read_cpu_quota(const struct cgroups *cg, const struct cg_paths *p, double *cpus);

/* CPU time by kind, per host CPU where the kernel splits it (v1
 * cpuacct.usage_all), else totals only (v2 cpu.stat). */
struct cg_cpu_times {
	bool percpu;
	unsigned ncpu;       /* entries of user_ns/system_ns, indexed by host CPU */
	uint64_t *user_ns;
	uint64_t *system_ns;
	uint64_t user_ns_total;
	uint64_t system_ns_total;
};

bool cg_read_cpu_times(const struct cgroups *cg, const struct cg_paths *p, struct cg_cpu_times *out);
void cg_cpu_times_free(struct cg_cpu_times *t);
/* Pure parsers behind cg_read_cpu_times (used by tests). */
bool cpuacct_usage_all_parse(const char *text, struct cg_cpu_times *out);
bool cpu_stat_v2_parse(const char *text, struct cg_cpu_times *out);
/* "max 100000" / "50000 100000" (v2 cpu.max) into CPUs; 0 for max. */
bool cpu_max_parse(const char *text, double *cpus);

/* ---- files served as they are (cgroup.c) ---- */

/* Reads `file` ("cpu.pressure") of the container's cgroup in the unified
 * hierarchy: on v2 hosts, and on hybrid hosts where the container has a
 * cgroup of its own there. 0, or -errno (-ENOENT when there is none). */
int cg_read_unified(const struct cgroups *cg, const struct cg_paths *p, const char *file,
		    struct strbuf *out);
/* v1 memory.kmem.slabinfo of the container; -ENODATA when the kernel keeps
 * none (the file exists but is empty on recent kernels). */
int cg_read_slabinfo(const struct cgroups *cg, const struct cg_paths *p, struct strbuf *out);

/* ---- block I/O (io.c) ---- */

struct cg_io_dev {
	unsigned major, minor;
	uint64_t rbytes, wbytes, rios, wios, dbytes, dios;
};

struct cg_io {
	struct cg_io_dev *dev;
	unsigned n;
};

/* v2 io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6"). */
bool io_stat_parse(const char *text, struct cg_io *out);
/* v1 blkio "8:0 Read 12" lines of io_serviced and io_service_bytes. */
bool blkio_parse(const char *serviced, const char *bytes, struct cg_io *out);
/* The container's I/O per device: v2 io.stat; v1 blkio.throttle, then
 * blkio.bfq (*_recursive). False when no source counts anything (v1
 * throttle stats stay 0 without a throttle rule; bfq only with bfq). */
bool cg_read_io(const struct cgroups *cg, const struct cg_paths *p, struct cg_io *out);
/* Bytes the container's processes read from and wrote to storage, from
 * /proc/<pid>/io: a live process's counts include its reaped children, so
 * the live processes carry everything but what left the container. */
bool cg_read_task_io(const struct cgroups *cg, const struct cg_paths *p, uint64_t *rbytes,
		     uint64_t *wbytes);
void cg_io_free(struct cg_io *io);

/* ---- tasks (tasks.c) ---- */

/* The container's threads by scheduler state, over its cgroup and every
 * cgroup below it. The thread `self_tid` (the reader, which is blocked in
 * our FUSE read while the kernel would count it as running) counts as
 * running. False when the task list cannot be read or exceeds `limit`. */
struct cg_task_counts {
	unsigned total;
	unsigned running; /* R */
	unsigned blocked; /* D */
};

bool cg_count_tasks(const struct cgroups *cg, const struct cg_paths *p, pid_t self_tid,
		    unsigned limit, struct cg_task_counts *out);
/* Calls fn for every id listed in `list_file` ("tasks", "cgroup.procs",
 * "cgroup.threads") of the container's cgroup and the cgroups below it.
 * Stops and returns false if fn does; false too if nothing can be read. */
bool cg_for_each_listed(const struct cgroups *cg, const struct cg_paths *p, const char *v1_file,
			const char *v2_file, bool (*fn)(pid_t id, void *arg), void *arg);
/* Calls fn for every id of a "tasks", "cgroup.procs" or "cgroup.threads"
 * text, one decimal per line; lines that are not one are skipped. Stops
 * and returns false if fn does. */
bool cg_list_each(const char *list, bool (*fn)(pid_t id, void *arg), void *arg);
/* A string naming the cgroup cg_count_tasks counts for this container (for
 * keeping per-container state), and counting by that name later. */
char *cg_tasks_key(const struct cgroups *cg, const struct cg_paths *p);
bool cg_count_tasks_key(const struct cgroups *cg, const char *key, pid_t self_tid, unsigned limit,
			struct cg_task_counts *out);
/* Runnable + uninterruptible threads of the cgroup named by a
 * cg_tasks_key, the way the load-average sampler needs them: through
 * taskstats (cgstats, v1) when `cs` is usable, else through /proc. */
struct cgstats {
	int sock;
	unsigned short family;
	uint32_t seq; /* of the last request: answers are matched by it */
};
int cgstats_open(struct cgstats *cs);
void cgstats_close(struct cgstats *cs);
/* Counts over the cgroup at dirfd and those below it. 0 or -errno. */
int cgstats_count_active(struct cgstats *cs, int dirfd, uint64_t *active);
/* The same, with *tasks the threads in any state (0 for a cgroup that was
 * removed: only an empty cgroup can be). */
int cgstats_count(struct cgstats *cs, int dirfd, uint64_t *active, uint64_t *tasks);
/* cgstats_count for many cgroups: the cgroups themselves are asked about
 * in batches, one send and one receive per batch instead of per cgroup
 * (the few with sub-cgroups then count those one by one). */
struct cgstats_item {
	int dirfd;
	int r; /* out: 0 or -errno */
	uint64_t active, tasks;
};
void cgstats_count_many(struct cgstats *cs, struct cgstats_item *items, size_t n);
/* The directory of a cg_tasks_key's cgroup when taskstats can count it
 * (v1), opened O_DIRECTORY; -1 otherwise. */
int cg_open_key_dir(const struct cgroups *cg, const char *key);
bool cg_count_active_key(const struct cgroups *cg, struct cgstats *cs, const char *key,
			 uint64_t *active);
/* The state letter of /proc/<tid>/stat text ('R', 'S', 'D', ...), or 0. */
char proc_stat_state(const char *stat_text);

#endif
