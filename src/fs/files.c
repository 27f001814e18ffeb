#include "fs/files.h"
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "reader/reader.h"
#include "render/render.h"
#include "util/clock.h"
#include "util/cpumask.h"
#include "util/fileio.h"
#include "util/parse.h"
#include "util/strbuf.h"
#include "view/cpustat.h"
#include "view/loadavg.h"
#include "fs/sampler.h"
#include "view/cpuview.h"
#include "view/rcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
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

/* ---- rendered content, per (file, container), for RENDER_TTL_NS ----
 *
 * 10 ms, one USER_HZ tick: the finest unit /proc/stat, cpuacct-derived
 * idle and /proc/uptime (2 decimals) print in, and no coarser than the
 * kernel's own refresh of the rest (per-CPU times advance once per
 * scheduler tick, <= 10 ms for HZ >= 100; host meminfo counters are folded
 * from per-CPU deltas every vm.stat_interval, 1 s; load averages every
 * 5 s). A reader re-reading an open file (top, free -s: every 1 s or more)
 * therefore always gets a fresh render. */
#define RENDER_TTL_NS 10000000ULL
/* 64 shards of 16 entries (1024 containers x files), 256 KiB each: a
 * bound of 16 MiB even for cpuinfo of many-CPU hosts; entries live 10 ms,
 * so in practice only the containers read in the last 10 ms are held. */
#define RENDER_SHARDS 64
#define RENDER_SLOTS 16
#define RENDER_SHARD_BYTES (256u << 10)

static struct rcache *render_cache;
static pthread_once_t render_cache_once = PTHREAD_ONCE_INIT;

static void render_cache_make(void)
{
	render_cache = rcache_new(RENDER_SHARDS, RENDER_SLOTS, RENDER_SHARD_BYTES);
}

static struct rcache *cache(void)
{
	pthread_once(&render_cache_once, render_cache_make);
	return render_cache;
}

void files_cache_clear(void)
{
	rcache_clear(cache());
}

void files_tidy(void)
{
	uint64_t now = monotonic_ns();
	rcache_expire(cache(), now);
	reader_expire(now);
	malloc_trim(0);
}

/* Keys are compared as bytes: the pid goes in binary, without printf on
 * the path every cached read takes. */
static void key_start(const struct vfile *vf, struct strbuf *key)
{
	/* A key holds the container's cgroup paths: room for them at once,
	 * rather than growing the buffer twice on every cached read. */
	sb_reserve(key, 1000);
	sb_reset(key);
	sb_puts(key, vf->dir);
	sb_putc(key, '/');
	sb_puts(key, vf->name);
	sb_putc(key, '|');
}

static void key_end(const struct vfile *vf, pid_t view_pid, struct strbuf *key)
{
	int32_t pid = vf->key_pid ? (int32_t)view_pid : 0;
	sb_putc(key, '|');
	sb_append(key, (const char *)&pid, sizeof(pid));
}

/* Everything a file's content is a function of, besides time and the
 * daemon's options (fixed for its life): the file, the container's
 * cgroups in every hierarchy (memory, cpuset and cpu quota, cpuacct,
 * blkio, tasks), whether the reader is in the host's pid namespace
 * (uptime, cpuinfo's topology), its init's start (uptime, loadavg's warm
 * start) and, for files that look at a process's root or procfs
 * (loadavg's LAST, diskstats' root device), the process the view is
 * taken from (the container's init, or the reader with --view-from
 * reader). */
static void view_key(const struct vfile *vf, const struct reader_view *v, struct strbuf *key)
{
	key_start(vf, key);
	reader_view_identity(v, key);
	key_end(vf, v->pid, key);
}

/* A render of the last 10 ms for a reader whose view is trusted, found
 * without resolving (or copying) the view: the same key as view_key. */
static bool show_kept(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	struct strbuf key = STRBUF_INIT;
	pid_t view_pid;
	bool hit = false;

	key_start(vf, &key);
	if (reader_peek(reader, &key, &view_pid)) {
		key_end(vf, view_pid, &key);
		hit = rcache_get(cache(), key.buf, key.len, monotonic_ns(), out);
	}
	sb_free(&key);
	return hit;
}

/* Renders out for a resolved view. *order only grows between renders of
 * one key (it starts as the render's start time). 0 or -errno. */
typedef int (*fill_fn)(const struct vfile *vf, pid_t reader, const struct reader_view *view,
		       struct strbuf *out, uint64_t *order);

/* The render show_view is making on this thread: a fill function whose
 * renders must reach the cache in the order their counters advanced
 * (stat) keeps its render itself, under its own lock, with keep_render. */
struct keeping {
	const struct strbuf *key;
	uint64_t born;
	bool kept;
};
static __thread struct keeping *keeping;

static void keep_render(const struct strbuf *out, uint64_t order)
{
	struct keeping *k = keeping;
	if (!k)
		return;
	rcache_put(cache(), k->key->buf, k->key->len, k->born, RENDER_TTL_NS, order, sb_str(out),
		   out->len, monotonic_ns());
	k->kept = true;
}

/* The show function of every per-container file: resolve the reader's
 * view, then serve the container's render of the last 10 ms, or render and
 * keep it. Nothing is cached when virtualization is off (begin_view shows
 * the host's file), so SIGUSR2 takes effect at the next read. `fallback`
 * answers readers that cannot be resolved (NULL: the host's file). */
static int show_view(const struct vfile *vf, pid_t reader, struct strbuf *out, fill_fn fill,
		     int (*fallback)(const struct vfile *, pid_t, struct strbuf *))
{
	struct reader_view view;
	int ret = 0;

	if (!files_virtualizing())
		return show_host(vf, reader, out);
	if (show_kept(vf, reader, out))
		return 0;
	if (reader_resolve(reader, &view) != 0)
		return fallback ? fallback(vf, reader, out) : show_host(vf, reader, out);
	if (!files_virtualizing()) { /* switched off while resolving */
		reader_view_free(&view);
		return show_host(vf, reader, out);
	}
	/* A render is as old as its oldest input, membership included (the
	 * view may have been resolved up to READER_TRUST_NS ago). */
	uint64_t born = view.as_of_ns;
	struct strbuf key = STRBUF_INIT;
	view_key(vf, &view, &key);
	if (!rcache_get(cache(), key.buf, key.len, monotonic_ns(), out)) {
		uint64_t order = born;
		struct keeping k = { .key = &key, .born = born };
		sb_reset(out);
		keeping = &k;
		ret = fill(vf, reader, &view, out, &order);
		keeping = NULL;
		/* Kept before it is handed out: whoever saw this render finds
		 * it or a later one in the cache. */
		if (ret == 0 && !k.kept)
			rcache_put(cache(), key.buf, key.len, born, RENDER_TTL_NS, order, sb_str(out),
				   out->len, monotonic_ns());
	}
	sb_free(&key);
	reader_view_free(&view);
	return ret;
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

/* A single-record host /proc file (meminfo, loadavg), one read shared by
 * every reader for RENDER_TTL_NS; only a read made at or after `since` is
 * used (a render is as old as its oldest input: pass its start). */
static int host_proc_shared(const char *name, uint64_t since, struct strbuf *out)
{
	char key[64];
	int klen = snprintf(key, sizeof(key), "host|proc/%s", name);
	uint64_t born = monotonic_ns();
	if (rcache_get_since(cache(), key, (size_t)klen, born, since, out))
		return 0;
	int r = host_read_proc_small(name, out);
	if (r == 0)
		rcache_put(cache(), key, (size_t)klen, born, RENDER_TTL_NS, born, sb_str(out), out->len,
			   monotonic_ns());
	return r;
}

/* meminfo and swaps: both render the host's meminfo text and the
 * container's memory values; a root memory cgroup gets the host's file. */
static int fill_memory(const struct vfile *vf, pid_t reader, const struct reader_view *view,
		       struct strbuf *out,
		       void (*render)(struct strbuf *out, const char *host_meminfo,
				      const struct cg_memory *mem))
{
	if (cg_is_root(config.cg, &view->cg, CG_MEMORY))
		return show_host(vf, reader, out);
	struct strbuf host_text = STRBUF_INIT;
	int ret = host_proc_shared("meminfo", view->as_of_ns, &host_text);
	if (ret == 0) {
		struct cg_memory mem;
		uint64_t host_swap_kb = 0;
		meminfo_get(sb_str(&host_text), "SwapTotal", &host_swap_kb);
		cg_read_memory(config.cg, &view->cg, host_swap_kb > 0 && !config.swap_disabled, &mem);
		sb_reset(out);
		render(out, sb_str(&host_text), &mem);
	}
	sb_free(&host_text);
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

static int fill_meminfo(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_memory(vf, reader, view, out, meminfo_of);
}

static int show_meminfo(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_meminfo, NULL);
}

static int fill_swaps(const struct vfile *vf, pid_t reader, const struct reader_view *view,
		      struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_memory(vf, reader, view, out, swaps_of);
}

static int show_swaps(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_swaps, NULL);
}

static int fill_uptime(const struct vfile *vf, pid_t reader, const struct reader_view *view,
		       struct strbuf *out, uint64_t *order)
{
	(void)order;
	/* The host's own processes see the host's uptime. */
	if (view->host_pidns)
		return show_host(vf, reader, out);
	struct cpu_view cpus = CPU_VIEW_INIT;
	uint64_t used_ns = 0;
	view_cpus(view, &cpus);
	struct uptime_input in = {
		.now = host_boottime_now(),
		.start = (double)view->start_ticks / (double)host()->clk_tck,
		.ncpus = cpus.n,
	};
	/* A container left in the root cpuacct group has no CPU time of its
	 * own: the root's is the whole host's. */
	if (!cg_is_root(config.cg, &view->cg, CG_CPUACCT))
		in.have_cpu_used = cg_read_cpu_usage_ns(config.cg, &view->cg, &used_ns);
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
	return 0;
}

static int show_uptime(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_uptime, NULL);
}

static void render_cpu_list(const struct cpu_view *cpus, struct strbuf *out)
{
	struct cpumask shown = CPUMASK_INIT;
	cpu_view_shown_mask(cpus, &shown);
	sb_reset(out);
	render_cpulist(out, &shown);
	cpumask_free(&shown);
}

/* online, possible and present: the shown CPUs. */
static int fill_cpu_list(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			 struct strbuf *out, uint64_t *order)
{
	struct cpu_view cpus = CPU_VIEW_INIT;
	(void)vf, (void)reader, (void)order;
	view_cpus(view, &cpus);
	render_cpu_list(&cpus, out);
	cpu_view_free(&cpus);
	return 0;
}

/* A reader that cannot be resolved sees the host's online CPUs. */
static int host_cpu_list(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	struct cpu_view cpus = CPU_VIEW_INIT;
	(void)vf, (void)reader;
	host_cpu_view(&cpus);
	render_cpu_list(&cpus, out);
	cpu_view_free(&cpus);
	return 0;
}

static int show_cpu_list(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_cpu_list, host_cpu_list);
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
					    show_cpu_online_one, NULL, false };

static int fill_cpuinfo(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			struct strbuf *out, uint64_t *order)
{
	(void)vf, (void)reader, (void)order;
	struct strbuf host_text = STRBUF_INIT;
	int ret = host_read_proc("cpuinfo", &host_text);
	if (ret == 0) {
		struct cpu_view cpus = CPU_VIEW_INIT;
		view_cpus(view, &cpus);
		sb_reset(out);
		render_cpuinfo(out, sb_str(&host_text), &cpus, config.cpuinfo_flat && !view->host_pidns);
		cpu_view_free(&cpus);
	}
	sb_free(&host_text);
	return ret;
}

static int show_cpuinfo(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_cpuinfo, NULL);
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / 1000 * (uint64_t)host()->clk_tck / 1000000;
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

/* Folds this read into the container's accounting and renders. Returns
 * the sum of the "cpu" line, which only grows from one render of the
 * container to the next: the cache's order. */
static uint64_t render_stat_for(struct strbuf *out, const char *host_stat, const char *key,
				const struct reader_view *view, pid_t reader,
				const struct cpu_view *cpus, const struct cg_cpu_times *t, uint64_t taken_ns)
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
		.taken_ns = taken_ns,
		.n = n,
		.host_cpu = cpus->host_cpu,
		.host_ticks = ticks,
		.percpu = t->percpu,
		.user = user,
		.system = sys,
		.user_total = ns_to_ticks(t->user_ns_total),
		.system_total = ns_to_ticks(t->system_ns_total),
	};
	struct cg_task_counts tasks;
	struct stat_procs procs = { .known = false };
	if (cg_count_tasks(config.cg, &view->cg, reader, STAT_MAX_TASKS, &tasks))
		procs = (struct stat_procs){ true, tasks.running, tasks.blocked };
	/* Advanced, rendered and kept under the container's lock: renders
	 * reach the cache in the order the counters advanced. Otherwise a
	 * slow render could be kept after a newer one had expired, and a
	 * reader that saw the newer one would then be served the older. */
	struct cpustat_state *st = cpustat_acquire(key, monotonic_s());
	cpustat_advance(st, &sample, shown, &sum);
	render_stat(out, host_stat, n, cpus->shown, shown, &sum, &procs);
	keep_render(out, sum.user + sum.system + sum.idle);
	cpustat_release(st);
	free(ticks);
	free(user);
	free(sys);
	free(shown);
	return sum.user + sum.system + sum.idle;
}

static int fill_stat(const struct vfile *vf, pid_t reader, const struct reader_view *view,
		     struct strbuf *out, uint64_t *order)
{
	/* A reader in the root cpuacct group has the host's CPU time. */
	char *key = cg_is_root(config.cg, &view->cg, CG_CPUACCT) ? NULL : cpustat_key(view);
	uint64_t taken_ns = monotonic_ns();
	struct cg_cpu_times times;
	if (!key || !cg_read_cpu_times(config.cg, &view->cg, &times)) {
		free(key);
		return show_host(vf, reader, out);
	}
	struct strbuf host_text = STRBUF_INIT;
	int ret = host_read_proc_small("stat", &host_text);
	if (ret == 0) {
		struct cpu_view cpus = CPU_VIEW_INIT;
		view_cpus(view, &cpus);
		sb_reset(out);
		*order = render_stat_for(out, sb_str(&host_text), key, view, reader, &cpus, &times, taken_ns);
	}
	sb_free(&host_text);
	cg_cpu_times_free(&times);
	free(key);
	return ret;
}

/* procs_running counts the reader as running (it is, from the kernel's
 * side); a render served to another reader of the container within the
 * bound counted that reader by its state then. */
static int show_stat(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_stat, NULL);
}

/* A container file served as it is when the container has one (pressure,
 * slabinfo), else the host's. */
static int fill_cgroup_or_host(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			       struct strbuf *out,
			       int (*read)(const struct vfile *vf, const struct cg_paths *p,
					   struct strbuf *out))
{
	int ret = read(vf, &view->cg, out);
	return ret == 0 ? 0 : show_host(vf, reader, out);
}

static int read_pressure(const struct vfile *vf, const struct cg_paths *p, struct strbuf *out)
{
	char file[32];
	snprintf(file, sizeof(file), "%s.pressure", vf->name); /* cpu, io, memory */
	return cg_read_unified(config.cg, p, file, out);
}

static int fill_pressure(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			 struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_cgroup_or_host(vf, reader, view, out, read_pressure);
}

static int show_pressure(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_pressure, NULL);
}

static int read_slabinfo(const struct vfile *vf, const struct cg_paths *p, struct strbuf *out)
{
	(void)vf;
	return cg_read_slabinfo(config.cg, p, out);
}

static int fill_slabinfo(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			 struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_cgroup_or_host(vf, reader, view, out, read_slabinfo);
}

static int show_slabinfo(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_slabinfo, NULL);
}

/* The newest pid of the container, as numbered there: the highest entry of
 * the container's own procfs, which lists its pid namespace's processes.
 * (The kernel prints the last pid allocated, which may have exited since;
 * its ns_last_pid answers for the reader's namespace, not the file's.) */
static long container_last_pid(const struct reader_view *view)
{
	char rel[64];

	if (view->host_pidns)
		return -1;
	snprintf(rel, sizeof(rel), "%d/root/proc", (int)view->pid);
	int fd = openat(host()->proc_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	long last = procfs_last_pid(fd);
	close(fd);
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

static int fill_loadavg(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			struct strbuf *out, uint64_t *order)
{
	(void)order;
	char *key = cg_is_root(config.cg, &view->cg, CG_CPUACCT) ? NULL : cg_tasks_key(config.cg, &view->cg);
	struct cg_task_counts tasks;
	if (!key || !cg_count_tasks(config.cg, &view->cg, reader, SAMPLER_MAX_TASKS, &tasks)) {
		free(key);
		return show_host(vf, reader, out);
	}
	unsigned long avenrun[3];
	/* A container that just started begins at 0, as a booting machine
	 * does; one that ran unseen for a while begins at its current count
	 * (without the reader, which the sampler never sees running). */
	double age = host_boottime_now() - (double)view->start_ticks / (double)host()->clk_tck;
	unsigned active = (tasks.running ? tasks.running - 1 : 0) + tasks.blocked;
	loadavg_read(key, monotonic_s(), age < LOADAVG_WARM_AGE ? 0 : active, avenrun);
	long last = container_last_pid(view);
	sb_reset(out);
	render_loadavg(out, avenrun, tasks.running, tasks.total, last >= 0 ? last : host_last_pid());
	free(key);
	return 0;
}

static int show_loadavg(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	/* Without -l every container sees the host's file: one read serves
	 * all readers for RENDER_TTL_NS, as a render does. */
	if (!config.loadavg)
		return files_virtualizing() ? host_proc_shared(vf->host_file, 0, out) : show_host(vf, reader, out);
	return show_view(vf, reader, out, fill_loadavg, NULL);
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

static int fill_block(const struct vfile *vf, pid_t reader, const struct reader_view *view,
		      struct strbuf *out,
		      void (*render)(struct strbuf *, const char *, const struct cg_io *))
{
	struct cg_io io;

	bool known = !cg_is_root(config.cg, &view->cg, CG_BLKIO) && container_io(view, &io);
	if (!known)
		return show_host(vf, reader, out);
	struct strbuf host_text = STRBUF_INIT;
	int ret = host_read_proc(vf->host_file, &host_text);
	if (ret == 0) {
		sb_reset(out);
		render(out, sb_str(&host_text), &io);
	}
	sb_free(&host_text);
	cg_io_free(&io);
	return ret;
}

static int fill_diskstats(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			  struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_block(vf, reader, view, out, render_diskstats);
}

static int show_diskstats(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_diskstats, NULL);
}

static int fill_partitions(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			   struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_block(vf, reader, view, out, render_partitions);
}

static int show_partitions(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_partitions, NULL);
}

const struct vfile vfiles[] = {
	{ "proc", "cpuinfo", show_cpuinfo, "cpuinfo", false },
	{ "proc", "diskstats", show_diskstats, "diskstats", .key_pid = true },
	{ "proc", "loadavg", show_loadavg, "loadavg", .key_pid = true },
	{ "proc", "meminfo", show_meminfo, "meminfo", false },
	{ "proc", "partitions", show_partitions, "partitions", .key_pid = true },
	{ "proc", "slabinfo", show_slabinfo, "slabinfo", false },
	{ "proc", "stat", show_stat, "stat", false },
	{ "proc", "swaps", show_swaps, "swaps", false },
	{ "proc", "uptime", show_uptime, "uptime", false },
	{ "proc/pressure", "cpu", show_pressure, "pressure/cpu", false },
	{ "proc/pressure", "io", show_pressure, "pressure/io", false },
	{ "proc/pressure", "memory", show_pressure, "pressure/memory", false },
	{ "sys/devices/system/cpu", "offline", show_cpu_offline, "offline", false },
	{ "sys/devices/system/cpu", "online", show_cpu_list, "online", false },
	{ "sys/devices/system/cpu", "possible", show_cpu_list, "possible", false },
	{ "sys/devices/system/cpu", "present", show_cpu_list, "present", false },
};
const size_t nr_vfiles = sizeof(vfiles) / sizeof(vfiles[0]);
