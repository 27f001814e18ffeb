#include "fs/files.h"
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "reader/reader.h"
#include "render/render.h"
#include "util/cpumask.h"
#include "util/fileio.h"
#include "util/parse.h"
#include "util/strbuf.h"
#include "view/cpustat.h"
#include "view/loadavg.h"
#include "fs/sampler.h"
#include "view/cpuview.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <string.h>
#include <time.h>

static struct files_config config;
static atomic_int virtualizing = 1;

void files_setup(const struct files_config *cfg)
{
	config = *cfg;
}

void files_toggle_virtualization(void)
{
	atomic_fetch_xor(&virtualizing, 1); /* lock-free: safe in a signal handler */
}

void files_set_virtualization(bool on)
{
	atomic_store(&virtualizing, on ? 1 : 0);
}

bool files_virtualizing(void)
{
	return atomic_load(&virtualizing) != 0;
}

static bool is_sys_file(const struct vfile *vf)
{
	return !strncmp(vf->dir, "sys/", 4);
}

static int show_host(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	(void)reader;
	if (is_sys_file(vf))
		return read_file_at(host()->sys_cpu_fd, vf->host_file, true, out);
	return host_read_proc(vf->host_file, out);
}

/* Resolves the reader unless the file should show host content anyway.
 * Returns false (with out filled with host content, or ret set) when the
 * caller is done. */
static bool begin_view(const struct vfile *vf, pid_t reader, struct strbuf *out,
		       struct reader_view *view, int *ret)
{
	if (files_virtualizing() && reader_resolve(reader, view) == 0)
		return true;
	*ret = show_host(vf, reader, out);
	return false;
}

static void host_online(struct cpumask *cpus)
{
	struct strbuf buf = STRBUF_INIT;
	if (read_file_at(host()->sys_cpu_fd, "online", true, &buf) < 0 ||
	    !cpumask_parse(sb_str(&buf), cpus) || !cpumask_weight(cpus))
		cpumask_set(cpus, 0);
	sb_free(&buf);
}

/* The one place that decides which CPUs a container sees. */
static void view_cpus(const struct reader_view *view, struct cpu_view *out)
{
	struct cpumask cpuset = CPUMASK_INIT;
	double quota = 0;

	if (!cg_read_cpus(config.cg, &view->cg, &cpuset))
		host_online(&cpuset);
	if (config.use_cfs && !cg_read_cpu_quota(config.cg, &view->cg, &quota))
		quota = 0;
	cpu_view_build(&cpuset, quota, !view->host_pidns, out);
	cpumask_free(&cpuset);
}

static void host_cpu_view(struct cpu_view *out)
{
	struct cpumask online = CPUMASK_INIT;
	host_online(&online);
	cpu_view_build(&online, 0, false, out);
	cpumask_free(&online);
}

void files_cpu_view(pid_t reader, struct cpu_view *out)
{
	struct reader_view view;

	if (files_virtualizing() && reader_resolve(reader, &view) == 0) {
		view_cpus(&view, out);
		reader_view_free(&view);
	} else {
		host_cpu_view(out);
	}
}

/* meminfo and swaps: both render the host's meminfo text and the
 * container's memory values; a root memory cgroup gets the host's file. */
static int show_memory(const struct vfile *vf, pid_t reader, struct strbuf *out,
		       void (*render)(struct strbuf *out, const char *host_meminfo,
				      const struct cg_memory *mem))
{
	struct reader_view view;
	int ret = 0;

	if (!begin_view(vf, reader, out, &view, &ret))
		return ret;
	if (cg_is_root(config.cg, &view.cg, CG_MEMORY)) {
		reader_view_free(&view);
		return show_host(vf, reader, out);
	}
	struct strbuf host_text = STRBUF_INIT;
	ret = host_read_proc_small("meminfo", &host_text);
	if (ret == 0) {
		struct cg_memory mem;
		cg_read_memory(config.cg, &view.cg, &mem);
		sb_reset(out);
		render(out, sb_str(&host_text), &mem);
	}
	sb_free(&host_text);
	reader_view_free(&view);
	return ret;
}

static void meminfo_of(struct strbuf *out, const char *host_meminfo, const struct cg_memory *mem)
{
	struct meminfo_input in = {
		.host_meminfo = host_meminfo,
		.mem = mem,
		.swap_disabled = config.swap_disabled,
		.zswap_disabled = config.zswap_disabled,
	};
	render_meminfo(out, &in);
}

static void swaps_of(struct strbuf *out, const char *host_meminfo, const struct cg_memory *mem)
{
	struct swap_view sv;
	uint64_t host_total = 0, host_free = 0;

	meminfo_get(host_meminfo, "SwapTotal", &host_total);
	meminfo_get(host_meminfo, "SwapFree", &host_free);
	swap_view_compute(mem, host_total, host_free, config.swap_disabled, &sv);
	render_swaps(out, &sv);
}

static int show_meminfo(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_memory(vf, reader, out, meminfo_of);
}

static int show_swaps(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_memory(vf, reader, out, swaps_of);
}

static int show_uptime(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	struct reader_view view;
	int ret = 0;

	if (!begin_view(vf, reader, out, &view, &ret))
		return ret;
	/* The host's own processes see the host's uptime. */
	if (view.host_pidns) {
		reader_view_free(&view);
		return show_host(vf, reader, out);
	}
	struct cpu_view cpus = CPU_VIEW_INIT;
	uint64_t used_ns = 0;
	view_cpus(&view, &cpus);
	struct uptime_input in = {
		.now = host_boottime_now(),
		.start = (double)view.start_ticks / (double)host()->clk_tck,
		.ncpus = cpus.n,
	};
	/* A container left in the root cpuacct group has no CPU time of its
	 * own: the root's is the whole host's. */
	if (!cg_is_root(config.cg, &view.cg, CG_CPUACCT))
		in.have_cpu_used = cg_read_cpu_usage_ns(config.cg, &view.cg, &used_ns);
	in.cpu_used = (double)used_ns / 1e9;
	if (!in.have_cpu_used) {
		struct strbuf host_text = STRBUF_INIT;
		if (host_read_proc_small("uptime", &host_text) == 0) {
			const char *idle = strchr(sb_str(&host_text), ' ');
			in.host_idle = idle ? strtod(idle, NULL) : 0;
		}
		sb_free(&host_text);
	}
	sb_reset(out);
	render_uptime(out, &in);
	cpu_view_free(&cpus);
	reader_view_free(&view);
	return 0;
}

/* online, possible and present: the shown CPUs. */
static int show_cpu_list(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	struct cpu_view cpus = CPU_VIEW_INIT;
	struct cpumask shown = CPUMASK_INIT;

	if (!files_virtualizing())
		return show_host(vf, reader, out);
	files_cpu_view(reader, &cpus);
	cpu_view_shown_mask(&cpus, &shown);
	sb_reset(out);
	render_cpulist(out, &shown);
	cpumask_free(&shown);
	cpu_view_free(&cpus);
	return 0;
}

static int show_cpu_offline(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	if (!files_virtualizing())
		return show_host(vf, reader, out);
	sb_reset(out);
	sb_putc(out, '\n');
	return 0;
}

static int show_cpu_online_one(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	(void)vf, (void)reader;
	sb_reset(out);
	sb_puts(out, "1\n");
	return 0;
}

const struct vfile vfile_cpu_online_one = { "sys/devices/system/cpu/cpuN", "online",
					    show_cpu_online_one, NULL };

static int show_cpuinfo(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	struct reader_view view;
	int ret = 0;

	if (!begin_view(vf, reader, out, &view, &ret))
		return ret;
	struct strbuf host_text = STRBUF_INIT;
	ret = host_read_proc("cpuinfo", &host_text);
	if (ret == 0) {
		struct cpu_view cpus = CPU_VIEW_INIT;
		view_cpus(&view, &cpus);
		sb_reset(out);
		render_cpuinfo(out, sb_str(&host_text), &cpus, config.cpuinfo_flat && !view.host_pidns);
		cpu_view_free(&cpus);
	}
	sb_free(&host_text);
	reader_view_free(&view);
	return ret;
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / 1000 * (uint64_t)host()->clk_tck / 1000000;
}

static double monotonic_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The key of a container's CPU accounting: its cpuacct (or v2) cgroup. */
static char *cpustat_key(const struct reader_view *view)
{
	struct cg_loc loc;
	if (!cg_locate(config.cg, &view->cg, CG_CPUACCT, &loc) &&
	    !cg_locate(config.cg, &view->cg, CG_CPU, &loc))
		return NULL;
	return xasprintf("v%d:%s", loc.version, loc.path);
}

/* Counting threads costs a /proc read each: past this, procs_running and
 * procs_blocked stay the host's. */
#define STAT_MAX_TASKS 20000

/* Folds this read into the container's accounting and renders. */
static void render_stat_for(struct strbuf *out, const char *host_stat, const char *key,
			    const struct reader_view *view, pid_t reader,
			    const struct cpu_view *cpus, const struct cg_cpu_times *t)
{
	unsigned n = cpus->n;
	uint64_t *ticks = xcalloc(n, sizeof(uint64_t));
	uint64_t *user = xcalloc(n, sizeof(uint64_t));
	uint64_t *sys = xcalloc(n, sizeof(uint64_t));
	struct cpustat_times *shown = xcalloc(n, sizeof(*shown));
	struct cpustat_times sum;

	for (unsigned k = 0; k < n; k++) {
		unsigned h = cpus->host_cpu[k];
		proc_stat_cpu_ticks(host_stat, h, &ticks[k]);
		if (t->percpu && h < t->ncpu) {
			user[k] = ns_to_ticks(t->user_ns[h]);
			sys[k] = ns_to_ticks(t->system_ns[h]);
		}
	}
	struct cpustat_sample sample = {
		.n = n,
		.host_cpu = cpus->host_cpu,
		.host_ticks = ticks,
		.percpu = t->percpu,
		.user = user,
		.system = sys,
		.user_total = ns_to_ticks(t->user_ns_total),
		.system_total = ns_to_ticks(t->system_ns_total),
	};
	struct cpustat_state *st = cpustat_acquire(key, monotonic_now());
	cpustat_advance(st, &sample, shown, &sum);
	cpustat_release(st);

	struct cg_task_counts tasks;
	struct stat_procs procs = { .known = false };
	if (cg_count_tasks(config.cg, &view->cg, reader, STAT_MAX_TASKS, &tasks))
		procs = (struct stat_procs){ true, tasks.running, tasks.blocked };
	render_stat(out, host_stat, n, cpus->shown, shown, &sum, &procs);
	free(ticks);
	free(user);
	free(sys);
	free(shown);
}

static int show_stat(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	struct reader_view view;
	int ret = 0;

	if (!begin_view(vf, reader, out, &view, &ret))
		return ret;
	/* A reader in the root cpuacct group has the host's CPU time. */
	char *key = cg_is_root(config.cg, &view.cg, CG_CPUACCT) ? NULL : cpustat_key(&view);
	struct cg_cpu_times times;
	if (!key || !cg_read_cpu_times(config.cg, &view.cg, &times)) {
		free(key);
		reader_view_free(&view);
		return show_host(vf, reader, out);
	}
	struct strbuf host_text = STRBUF_INIT;
	ret = host_read_proc_small("stat", &host_text);
	if (ret == 0) {
		struct cpu_view cpus = CPU_VIEW_INIT;
		view_cpus(&view, &cpus);
		sb_reset(out);
		render_stat_for(out, sb_str(&host_text), key, &view, reader, &cpus, &times);
		cpu_view_free(&cpus);
	}
	sb_free(&host_text);
	cg_cpu_times_free(&times);
	free(key);
	reader_view_free(&view);
	return ret;
}

/* A container file served as it is when the container has one (pressure,
 * slabinfo), else the host's. */
static int show_cgroup_or_host(const struct vfile *vf, pid_t reader, struct strbuf *out,
			       int (*read)(const struct vfile *vf, const struct cg_paths *p,
					   struct strbuf *out))
{
	struct reader_view view;
	int ret = 0;

	if (!begin_view(vf, reader, out, &view, &ret))
		return ret;
	ret = read(vf, &view.cg, out);
	reader_view_free(&view);
	return ret == 0 ? 0 : show_host(vf, reader, out);
}

static int read_pressure(const struct vfile *vf, const struct cg_paths *p, struct strbuf *out)
{
	char file[32];
	snprintf(file, sizeof(file), "%s.pressure", vf->name); /* cpu, io, memory */
	return cg_read_unified(config.cg, p, file, out);
}

static int show_pressure(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_cgroup_or_host(vf, reader, out, read_pressure);
}

static int read_slabinfo(const struct vfile *vf, const struct cg_paths *p, struct strbuf *out)
{
	(void)vf;
	return cg_read_slabinfo(config.cg, p, out);
}

static int show_slabinfo(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_cgroup_or_host(vf, reader, out, read_slabinfo);
}

/* The newest pid of the container, as numbered there: the highest entry of
 * the container's own procfs, which lists its pid namespace's processes.
 * (The kernel prints the last pid allocated, which may have exited since;
 * its ns_last_pid answers for the reader's namespace, not the file's.) */
static long container_last_pid(const struct reader_view *view)
{
	char rel[64];
	long last = -1;

	if (view->host_pidns)
		return -1;
	snprintf(rel, sizeof(rel), "%d/root/proc", (int)view->pid);
	int fd = openat(host()->proc_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (struct dirent *de; (de = readdir(d));) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (!*end && pid > last)
			last = pid;
	}
	closedir(d);
	return last;
}

/* The host's "LAST" field, for readers whose namespace's counter cannot be read. */
static long host_last_pid(void)
{
	struct strbuf buf = STRBUF_INIT;
	long last = 0;
	if (host_read_proc_small("loadavg", &buf) == 0) {
		const char *p = strrchr(sb_str(&buf), ' ');
		last = p ? strtol(p + 1, NULL, 10) : 0;
	}
	sb_free(&buf);
	return last;
}

static int show_loadavg(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	struct reader_view view;
	int ret = 0;

	if (!config.loadavg)
		return show_host(vf, reader, out);
	if (!begin_view(vf, reader, out, &view, &ret))
		return ret;
	char *key = cg_is_root(config.cg, &view.cg, CG_CPUACCT) ? NULL : cg_tasks_key(config.cg, &view.cg);
	struct cg_task_counts tasks;
	if (!key || !cg_count_tasks(config.cg, &view.cg, reader, SAMPLER_MAX_TASKS, &tasks)) {
		free(key);
		reader_view_free(&view);
		return show_host(vf, reader, out);
	}
	unsigned long avenrun[3];
	/* A container that just started begins at 0, as a booting machine
	 * does; one that ran unseen for a while begins at its current count
	 * (without the reader, which the sampler never sees running). */
	double age = host_boottime_now() - (double)view.start_ticks / (double)host()->clk_tck;
	unsigned active = (tasks.running ? tasks.running - 1 : 0) + tasks.blocked;
	loadavg_read(key, monotonic_now(), age < LOADAVG_WARM_AGE ? 0 : active, avenrun);
	long last = container_last_pid(&view);
	sb_reset(out);
	render_loadavg(out, avenrun, tasks.running, tasks.total, last >= 0 ? last : host_last_pid());
	free(key);
	reader_view_free(&view);
	return 0;
}

/* The block device holding the container's root filesystem: where I/O
 * counted per process (not per device) is shown. For an overlay root, the
 * device of its upper directory. */
static bool root_device(const struct reader_view *view, unsigned *major, unsigned *minor)
{
	char rel[64];
	struct stat st;

	snprintf(rel, sizeof(rel), "%d/root/", (int)view->pid);
	if (fstatat(host()->proc_fd, rel, &st, 0) == 0 && major(st.st_dev) != 0) {
		*major = major(st.st_dev);
		*minor = minor(st.st_dev);
		return true;
	}
	struct strbuf mi = STRBUF_INIT;
	bool found = false;
	snprintf(rel, sizeof(rel), "%d/mountinfo", (int)view->pid);
	if (host_read_proc(rel, &mi) == 0) {
		for (const char *line = sb_str(&mi); *line && !found;) {
			const char *eol = strchrnul(line, '\n');
			char mnt[16], upper[4096];
			const char *up = strstr(line, "upperdir=");
			if (sscanf(line, "%*s %*s %*s %*s %15s", mnt) == 1 && !strcmp(mnt, "/") && up && up < eol &&
			    sscanf(up + 9, "%4095[^,\n ]", upper) == 1 && stat(upper, &st) == 0 &&
			    major(st.st_dev) != 0) {
				*major = major(st.st_dev);
				*minor = minor(st.st_dev);
				found = true;
			}
			line = *eol ? eol + 1 : eol;
		}
	}
	sb_free(&mi);
	return found;
}

/* The devices the container used and its counts on each: from its cgroup
 * where the kernel counts there, else (v1 without throttle rules or bfq)
 * its processes' bytes, shown on the device of its root filesystem. */
static bool container_io(const struct reader_view *view, struct cg_io *io)
{
	uint64_t r, w;
	unsigned major, minor;

	if (cg_read_io(config.cg, &view->cg, io))
		return true;
	memset(io, 0, sizeof(*io));
	if (!cg_read_task_io(config.cg, &view->cg, &r, &w))
		return false;
	if (r == 0 && w == 0)
		return true; /* no I/O yet: no device lines */
	if (!root_device(view, &major, &minor))
		return false;
	io->dev = xcalloc(1, sizeof(*io->dev));
	io->n = 1;
	*io->dev = (struct cg_io_dev){ .major = major, .minor = minor, .rbytes = r, .wbytes = w };
	return true;
}

static int show_block(const struct vfile *vf, pid_t reader, struct strbuf *out,
		      void (*render)(struct strbuf *, const char *, const struct cg_io *))
{
	struct reader_view view;
	struct cg_io io;
	int ret = 0;

	if (!begin_view(vf, reader, out, &view, &ret))
		return ret;
	bool known = !cg_is_root(config.cg, &view.cg, CG_BLKIO) && container_io(&view, &io);
	reader_view_free(&view);
	if (!known)
		return show_host(vf, reader, out);
	struct strbuf host_text = STRBUF_INIT;
	ret = host_read_proc(vf->host_file, &host_text);
	if (ret == 0) {
		sb_reset(out);
		render(out, sb_str(&host_text), &io);
	}
	sb_free(&host_text);
	cg_io_free(&io);
	return ret;
}

static int show_diskstats(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_block(vf, reader, out, render_diskstats);
}

static int show_partitions(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_block(vf, reader, out, render_partitions);
}

const struct vfile vfiles[] = {
	{ "proc", "cpuinfo", show_cpuinfo, "cpuinfo" },
	{ "proc", "diskstats", show_diskstats, "diskstats" },
	{ "proc", "loadavg", show_loadavg, "loadavg" },
	{ "proc", "meminfo", show_meminfo, "meminfo" },
	{ "proc", "partitions", show_partitions, "partitions" },
	{ "proc", "slabinfo", show_slabinfo, "slabinfo" },
	{ "proc", "stat", show_stat, "stat" },
	{ "proc", "swaps", show_swaps, "swaps" },
	{ "proc", "uptime", show_uptime, "uptime" },
	{ "proc/pressure", "cpu", show_pressure, "pressure/cpu" },
	{ "proc/pressure", "io", show_pressure, "pressure/io" },
	{ "proc/pressure", "memory", show_pressure, "pressure/memory" },
	{ "sys/devices/system/cpu", "offline", show_cpu_offline, "offline" },
	{ "sys/devices/system/cpu", "online", show_cpu_list, "online" },
	{ "sys/devices/system/cpu", "possible", show_cpu_list, "possible" },
	{ "sys/devices/system/cpu", "present", show_cpu_list, "present" },
};
const size_t nr_vfiles = sizeof(vfiles) / sizeof(vfiles[0]);
