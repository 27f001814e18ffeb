/* Metrics an operator can scrape: reads and errors per file, render cache
 * hits, fallbacks to host values by cause, serving processes started,
 * restarted and upgraded, request latency, containers tracked, the loadavg
 * sampler's cost. The supervisor writes them to a Prometheus text file
 * (metrics_write_file) every 15 s and at stop.
 *
 * Where the numbers live: in a memfd the supervisor keeps and hands to
 * every serving process (like the state and in-flight memfds), so a
 * successor after a crash or an upgrade, and the supervisor after its own
 * re-exec or a restart from systemd's descriptor store, continue the same
 * counters: none ever goes back. Without one (a serving process started by
 * an older supervisor) they live in private memory.
 *
 * Layout: a header page ("cviewfs-metrics 1", the sizes below), a registry
 * of series (family, labels, help, type: 256 bytes each) and blocks of
 * counters, one uint64 per series. A process maps its own metric ids to
 * registry slots by name when it attaches, so versions that add, drop or
 * reorder metrics share the same numbers. Block 0 is shared (relaxed
 * atomic adds: the supervisor, helper threads); request thread i owns block
 * 1 + i and adds with plain relaxed stores, on its own cache lines. At most
 * one serving process serves at a time, so a block has one writer. The
 * file shows the sum over blocks.
 *
 * Cost on the request path: two clock reads (vDSO) and a few adds to the
 * thread's own block; no lock, no system call. */
#ifndef CVIEWFS_METRICS_H
#define CVIEWFS_METRICS_H

#include "fs/files.h"
#include "metrics/prom.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* File labels: vfiles[i] is i; then these (a table longer than the first
 * ones shares "other"). */
#define METRICS_FILES 32
#define METRICS_FILE_OTHER (METRICS_FILES - 1)
#define METRICS_FILE_CGROUP (METRICS_FILES - 2)      /* the cgroupfs view, every file */
#define METRICS_FILE_CPU_ONLINE (METRICS_FILES - 3)  /* sys/devices/system/cpu/cpuN/online */

/* Why a value fell back to the host's (cg_log_fallback's cause). */
enum metrics_cause {
	CAUSE_MISSING,    /* the cgroup file does not exist (ENOENT) */
	CAUSE_EMPTY,      /* empty, or ENODATA */
	CAUSE_GARBAGE,    /* unparsable content, no known key */
	CAUSE_HUGE,       /* a number out of range */
	CAUSE_UNREADABLE, /* another read error (EACCES, EIO, ...) */
	CAUSE_OTHER,
	CAUSE_COUNT
};
enum metrics_cause metrics_fallback_cause(const char *cause);

/* How the seccomp agent ended a call it was notified of. */
enum metrics_seccomp {
	SECCOMP_ANSWERED,    /* with the container's values (or EFAULT) */
	SECCOMP_REAL_CALL,   /* let the real call run (CONTINUE) */
	SECCOMP_CALLER_GONE, /* the caller was gone before its answer */
	SECCOMP_OUTCOMES
};

enum metrics_id {
	MI_CACHE_HITS,
	MI_CACHE_MISSES,
	MI_FALLBACK,                                  /* + enum metrics_cause */
	MI_LATENCY = MI_FALLBACK + CAUSE_COUNT,       /* + bucket, per bucket */
	MI_LATENCY_SUM_NS = MI_LATENCY + HIST_BUCKETS,
	MI_SAMPLER_NS,
	MI_SAMPLER_SAMPLES,
	MI_STARTS,           /* serving processes started (ready) */
	MI_RESTARTS,         /* ... of them after one died */
	MI_UPGRADES,         /* SIGUSR1: a new serving process took over */
	MI_UPGRADE_FAILURES, /* SIGUSR1: the new one could not start */
	MI_CONTAINERS_LOADAVG, /* gauges */
	MI_CONTAINERS_STAT,
	MI_RCACHE_ENTRIES,
	MI_START_TIME,
	MI_READS,                                     /* + file */
	MI_READ_ERRORS = MI_READS + METRICS_FILES,    /* + file */
	MI_SECCOMP_CALLS = MI_READ_ERRORS + METRICS_FILES, /* + enum metrics_seccomp */
	MI_SECCOMP_ORPHANS = MI_SECCOMP_CALLS + SECCOMP_OUTCOMES, /* answered for a dead predecessor */
	MI_SECCOMP_CONTAINERS, /* gauge: notify descriptors the supervisor holds */
	MI_COUNT
};

/* ---- the hot path ---- */

/* This process's registry slot of each id (0: a sink nobody shows). */
extern uint16_t metrics_slot[MI_COUNT];
/* Block 0 of the mapping (or a private sink before metrics_attach). */
extern uint64_t *metrics_shared;
/* The calling thread's own block, NULL for threads without one. */
extern __thread uint64_t *metrics_own __attribute__((tls_model("initial-exec")));

static inline void metrics_add(unsigned id, uint64_t n)
{
	uint64_t *own = metrics_own;
	if (own) {
		uint64_t *v = own + metrics_slot[id];
		__atomic_store_n(v, __atomic_load_n(v, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(metrics_shared + metrics_slot[id], n, __ATOMIC_RELAXED);
	}
}

static inline void metrics_set(unsigned id, uint64_t v)
{
	__atomic_store_n(metrics_shared + metrics_slot[id], v, __ATOMIC_RELAXED);
}

static inline uint64_t metrics_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A request taken at `taken` (metrics_now) was answered. */
static inline void metrics_request(uint64_t taken)
{
	uint64_t ns = metrics_now() - taken;
	metrics_add(MI_LATENCY + hist_bucket(ns), 1);
	metrics_add(MI_LATENCY_SUM_NS, ns);
}

/* A read of file `file` that returned r (passed through). */
static inline int metrics_read(unsigned file, int r)
{
	metrics_add(MI_READS + file, 1);
	if (r < 0)
		metrics_add(MI_READ_ERRORS + file, 1);
	return r;
}

static inline unsigned metrics_vfile_id(const struct vfile *vf)
{
	uintptr_t off = (uintptr_t)vf - (uintptr_t)vfiles;
	if (off < nr_vfiles * sizeof(*vf) && off / sizeof(*vf) < METRICS_FILE_CPU_ONLINE)
		return (unsigned)(off / sizeof(*vf));
	return vf == &vfile_cpu_online_one ? METRICS_FILE_CPU_ONLINE : METRICS_FILE_OTHER;
}

/* A read of virtual file vf (its show function returned r, passed through). */
static inline int metrics_vfile_read(const struct vfile *vf, int r)
{
	return metrics_read(metrics_vfile_id(vf), r);
}

/* A render cache lookup: counts a hit (only), returns hit. */
static inline bool metrics_cache_hit(bool hit)
{
	if (hit)
		metrics_add(MI_CACHE_HITS, 1);
	return hit;
}

/* A render cache lookup: counts a hit or a miss, returns hit. */
static inline bool metrics_cache(bool hit)
{
	metrics_add(hit ? MI_CACHE_HITS : MI_CACHE_MISSES, 1);
	return hit;
}

/* A value fell back to the host's, for `cause` (cg_log_fallback). */
static inline void metrics_fallback(const char *cause)
{
	metrics_add(MI_FALLBACK + metrics_fallback_cause(cause), 1);
}

/* The loadavg sampler's cost: a sample begins (returns this thread's CPU
 * time), and ends. */
uint64_t metrics_sample_begin(void);
void metrics_sample_end(uint64_t begin);

/* ---- set-up ---- */

/* Maps the counters of memfd fd (laid out here if empty; fd < 0 or
 * unusable: private memory, logged) and registers this release's series:
 * register_files' first (metrics_register_files: the table of files), then
 * the rest. Before any thread counts. */
void metrics_attach(int fd, void (*register_files)(void));
/* Registers reads and errors of file id `file`, labelled file="name". */
void metrics_register_file(unsigned file, const char *name);
/* Every file of fs/files.h's table (metrics/files.c: the daemon's, not the
 * parsers' fuzz build's). */
void metrics_register_files(void);
/* Unmaps; counting goes to a private sink again. After every thread. */
void metrics_detach(void);
/* The calling request thread's block: request thread `index` (loop.c).
 * Threads beyond the blocks share block 0. */
void metrics_thread(unsigned index);

/* Registers a series (found by family, suffix and labels if it exists):
 * its slot, or 0 when the registry is full. For metrics_attach and tests. */
unsigned metrics_register(const char *family, const char *suffix, const char *labels,
			  const char *help, enum prom_type type, unsigned decimals);
/* The sum over all blocks of a slot (tests). */
uint64_t metrics_value(unsigned slot);

/* ---- the file (the supervisor) ---- */

/* Every series registered so far, summed over the blocks, in the
 * exposition format. A counter is never shown lower than this process
 * showed it before (a guard: a writer that could not finish its add). */
void metrics_render(struct strbuf *out);
/* Writes metrics_render to path atomically (a temporary file in the same
 * directory, renamed), mode 0644. Failures are logged once, never fatal. */
void metrics_write_file(const char *path);
/* The default file: the pid file's path with ".pid" replaced by ".prom"
 * (or ".prom" added). Malloc'd. */
char *metrics_default_path(const char *pidfile);
/* Seconds between writes of the file: 15, or CVIEWFS_METRICS_INTERVAL
 * (tests). */
double metrics_interval(void);

#endif
