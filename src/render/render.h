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

/* ---- cpulist.c ---- */

/* A CPU list file ("0-3,6\n"); an empty set gives "\n". */
void render_cpulist(struct strbuf *out, const struct cpumask *cpus);

#endif
