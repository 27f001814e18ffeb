/* One renderer per virtual file: plain functions from inputs to text. They
 * do no I/O; fs/files.c gathers the inputs, unit tests feed fixtures. */
#ifndef CVIEWFS_RENDER_H
#define CVIEWFS_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"

struct strbuf;
struct cpumask;

/* ---- swap.c: the swap the container sees, shared by meminfo and swaps ---- */

struct swap_view {
	uint64_t total_kb; /* 0: no swap at all */
	uint64_t used_kb;  /* <= total_kb */
};

void swap_view_compute(const struct cg_memory *mem, uint64_t host_total_kb,
		       uint64_t host_free_kb, bool swap_disabled, struct swap_view *out);
/* /proc/swaps: the header, then one "none ... virtual" line if any swap. */
void render_swaps(struct strbuf *out, const struct swap_view *sv);

/* ---- meminfo.c ---- */

struct meminfo_input {
	const char *host_meminfo; /* the host's /proc/meminfo text */
	const struct cg_memory *mem;
	bool swap_disabled;  /* -u */
	bool zswap_disabled; /* -z */
};

/* The host's lines in the host's order, container values where SPEC 4 says. */
void render_meminfo(struct strbuf *out, const struct meminfo_input *in);

/* ---- uptime.c ---- */

struct uptime_input {
	double now;          /* CLOCK_BOOTTIME seconds */
	double start;        /* container init start, seconds after boot */
	unsigned ncpus;      /* visible CPUs */
	bool have_cpu_used;
	double cpu_used;     /* CPU seconds the container used */
	double host_idle;    /* fallback when cpu_used is unknown */
};

void render_uptime(struct strbuf *out, const struct uptime_input *in);

/* ---- cpuinfo.c ---- */

struct cpu_view;

/* Only the blocks of the visible CPUs, in view order, "processor" renumbered
 * 0..n-1; other fields as the host's. Handles x86 and arm64 ("processor"
 * blocks) and s390x ("processor N:" lines, "# processors", "cpu number"
 * blocks). With flat_topology (openEuler's style) each CPU also claims to be
 * its own socket: physical id k, siblings 1, core id 0, cpu cores 1. */
void render_cpuinfo(struct strbuf *out, const char *host_cpuinfo, const struct cpu_view *view,
		    bool flat_topology);

/* ---- stat.c ---- */

struct cpustat_times;

struct stat_procs {
	bool known;
	unsigned running, blocked;
};

/* "cpu" sum line, one "cpu<shown[k]>" line per visible CPU, then the host's
 * other lines (procs_running/procs_blocked replaced when known). */
void render_stat(struct strbuf *out, const char *host_stat, unsigned n, const unsigned *shown,
		 const struct cpustat_times *cpus, const struct cpustat_times *sum,
		 const struct stat_procs *procs);
/* Ticks of host CPU `cpu` in /proc/stat text (user..steal); false if absent. */
bool proc_stat_cpu_ticks(const char *host_stat, unsigned cpu, uint64_t *ticks);

/* ---- loadavg.c ---- */

/* "0.52 0.31 0.12 R/T LAST" from fixed-point averages (kernel format). */
void render_loadavg(struct strbuf *out, const unsigned long avenrun[3], unsigned running,
		    unsigned total, long last_pid);

/* ---- diskstats.c ---- */

/* The host's lines of the devices in io, with the container's counts
 * (operations and sectors; untracked fields 0) and the host's field count. */
void render_diskstats(struct strbuf *out, const char *host_diskstats, const struct cg_io *io);
/* The host's header, then the host's lines of the devices in io. */
void render_partitions(struct strbuf *out, const char *host_partitions, const struct cg_io *io);

/* ---- cpulist.c ---- */

/* A CPU list file ("0-3,6\n"); an empty set gives "\n". */
void render_cpulist(struct strbuf *out, const struct cpumask *cpus);

#endif
