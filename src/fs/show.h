/* Inside the table of virtual files (fs/files.h): what every file family
 * shares, and each family's show functions.
 *
 * A file's code is in one place: file_memory.c (meminfo, swaps),
 * file_cpu.c (cpuinfo, stat, the sys cpu lists), file_uptime.c,
 * file_loadavg.c, file_block.c (diskstats, partitions), file_cgroup.c
 * (pressure, slabinfo). A per-container file is a show function that calls
 * show_view with a fill function: show_view resolves the reader's view,
 * serves the container's render of the last 10 ms or calls fill, and keeps
 * the result. Adding a file is one show function and one row in vfiles[]
 * (files.c). */
#ifndef CVIEWFS_SHOW_H
#define CVIEWFS_SHOW_H

#include "fs/files.h"

#include <stdint.h>
#include <sys/types.h>

struct reader_view;
struct strbuf;
struct cpu_view;

/* The daemon's options, fixed for its life (files_setup). */
extern struct files_config fs_config;

/* Renders out for a resolved view. A fill whose renders can finish out of
 * order sets *order to a value that only grows between renders of one key
 * (stat: its accumulated total); left alone, a render's order is the time
 * it was finished. 0 or -errno. */
typedef int (*fill_fn)(const struct vfile *vf, pid_t reader, const struct reader_view *view,
		       struct strbuf *out, uint64_t *order);

/* The host's own file. */
int show_host(const struct vfile *vf, pid_t reader, struct strbuf *out);
/* A per-container file: `fallback` answers readers that cannot be resolved
 * (NULL: the host's file). */
int show_view(const struct vfile *vf, pid_t reader, struct strbuf *out, fill_fn fill,
	      int (*fallback)(const struct vfile *, pid_t, struct strbuf *));
/* From a fill function: keeps out in the render cache now, with `order`,
 * instead of after fill returns (for renders that must reach the cache in
 * the order their counters advanced, under the caller's lock). */
void keep_render(const struct strbuf *out, uint64_t order);

/* The one place that decides which CPUs a container sees. */
void view_cpus(const struct reader_view *view, struct cpu_view *out);
/* The host's online CPUs, with their own ids. */
void host_cpu_view(struct cpu_view *out);
/* A single-record host /proc file (meminfo, loadavg), one read shared by
 * every reader for 10 ms; only a read made at or after `since`. */
int host_proc_shared(const char *name, uint64_t since, struct strbuf *out);

/* The families' show functions, for vfiles[]. */
int show_meminfo(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_swaps(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_uptime(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_cpuinfo(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_stat(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_cpu_list(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_cpu_offline(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_loadavg(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_diskstats(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_partitions(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_pressure(const struct vfile *vf, pid_t reader, struct strbuf *out);
int show_slabinfo(const struct vfile *vf, pid_t reader, struct strbuf *out);

#endif
