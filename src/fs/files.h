/* The table of virtual files, like the kernel's proc_create_single() calls:
 * each entry names a file and its show function. A show function gathers the
 * inputs for the reading process (reader, cgroup, host files) and hands them
 * to its renderer. Anything that cannot be learned yields host content, so a
 * read never fails because a container went away. */
#ifndef CVIEWFS_FILES_H
#define CVIEWFS_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct strbuf;
struct cgroups;
struct cpu_view;

struct vfile {
	const char *dir;  /* "proc", "proc/pressure", "sys/devices/system/cpu" */
	const char *name;
	/* Fills out (emptied first) for the reader; 0 or -errno. */
	int (*show)(const struct vfile *vf, pid_t reader, struct strbuf *out);
	/* The host file shown when not virtualizing (relative to the proc root,
	 * or to the host's sys cpu directory for sys files). */
	const char *host_file;
	/* The content depends on the process the view is taken from (its
	 * root or procfs), not only on the container's cgroups. */
	bool key_pid;
};

struct files_config {
	const struct cgroups *cg;
	bool swap_disabled;  /* -u */
	bool zswap_disabled; /* -z */
	bool use_cfs;        /* --enable-cfs: the CFS quota limits the CPUs */
	bool cpuinfo_flat;   /* --cpuinfo-topology=flat (openEuler's style) */
	bool loadavg;        /* -l: per-container load averages */
};

extern const struct vfile vfiles[];
extern const size_t nr_vfiles;
/* sys/devices/system/cpu/cpuN/online, for every visible CPU. */
extern const struct vfile vfile_cpu_online_one;

void files_setup(const struct files_config *cfg);
/* SIGUSR2: off makes every file show the host's content. */
void files_toggle_virtualization(void);
void files_set_virtualization(bool on);
bool files_virtualizing(void);

/* Drops every kept render (tests; a kept render lives 10 ms anyway). */
void files_cache_clear(void);
/* Renders kept now (metrics). */
unsigned files_cache_entries(void);
/* Frees what expired (renders, trusted views) and gives free heap pages
 * back to the kernel: called every few seconds, so that a burst of
 * readers (every container reading once) does not stay resident. */
void files_tidy(void);

/* For a request thread: a read that finds a render just past its window
 * is served it, and the render that renews it is made in
 * files_reply_sent, which the thread calls after each reply it sends. */
void files_render_after_reply(void);
void files_reply_sent(void);

/* The CPUs the reader sees (the host's online CPUs, with their own ids, for
 * host readers or when nothing is known). */
void files_cpu_view(pid_t reader, struct cpu_view *out);

/* For sysinfo(2) (agent/): the values of the reader's container, from its
 * meminfo, uptime and loadavg as a read of them gives and its thread
 * count, kept for the render window. 0, or -errno (virtualization off, the
 * reader unknown, a value unreadable: the real call answers). */
struct sysinfo_values;
int files_sysinfo(pid_t reader, struct sysinfo_values *out);

#endif
