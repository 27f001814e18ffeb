/* The machinery every virtual file shares (fs/show.h: the reader's view,
 * the render cache, the CPUs a container sees) and the table of files;
 * each family's own code is in its file_*.c. */
#include "fs/files.h"
#include "fs/show.h"
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "metrics/metrics.h"
#include "reader/reader.h"
#include "render/render.h"
#include "util/clock.h"
#include "util/cpumask.h"
#include "util/fileio.h"
#include "util/parse.h"
#include "util/slow.h"
#include "util/strbuf.h"
#include "view/cpustat.h"
#include "view/loadavg.h"
#include "fs/sampler.h"
#include "view/cpuview.h"
#include "view/rcache.h"
#include "view/window.h"

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

struct files_config fs_config;
static atomic_int virtualizing = 1;

void files_setup(const struct files_config *cfg)
{
	fs_config = *cfg;
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

int show_host(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	(void)reader;
	if (is_sys_file(vf))
		return read_file_at(host()->sys_cpu_fd, vf->host_file, true, out);
	return host_read_proc(vf->host_file, out);
}

/* ---- rendered content, per (file, container), for its window ----
 *
 * The window (view/window.h) is 10 ms, one USER_HZ tick, while the daemon
 * keeps up: the finest unit /proc/stat, cpuacct-derived idle and
 * /proc/uptime (2 decimals) print in, and no coarser than the kernel's own
 * refresh of the rest (per-CPU times advance once per scheduler tick,
 * <= 10 ms for HZ >= 100; host meminfo counters are folded from per-CPU
 * deltas every vm.stat_interval, 1 s; load averages every 5 s). It
 * stretches under load and for costly renders. A reader re-reading an
 * open file (top, free -s: every 1 s or more) therefore gets a fresh
 * render. */
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
	/* Past its window a render stays servable, to the readers that come
	 * while the next one is being made, for as long as a window can be. */
	rcache_keep_stale(render_cache, WINDOW_MAX_NS);
	/* And for one more base window to a reader on a request thread,
	 * whose thread renders after answering it: a container read in a
	 * loop then never has a read wait for a render. */
	rcache_renew_behind(render_cache, WINDOW_BASE_NS);
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

unsigned files_cache_entries(void)
{
	return rcache_count(cache());
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

/* The render show_view is making on this thread: a fill function whose
 * renders must reach the cache in the order their counters advanced
 * (stat) keeps its render itself, under its own lock, with keep_render. */
struct keeping {
	const struct strbuf *key;
	uint64_t born;
	uint64_t cpu_start; /* the thread's CPU time when the render began */
	bool kept;
};
static __thread struct keeping *keeping;

#define RENDER_ORDER_UNSET UINT64_MAX

static uint64_t render_ttl(const struct keeping *k, uint64_t now)
{
	uint64_t cost = window_thread_cpu_ns() - k->cpu_start;
	window_render_spent(cost, now);
	return window_ttl(window_stretch(), cost, now > k->born ? now - k->born : 0);
}

/* Readers waiting for a container's first render (RCACHE_WAIT), woken
 * when any render is kept or given up. */
static pthread_mutex_t first_render_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t first_render_done = PTHREAD_COND_INITIALIZER;
static _Atomic unsigned first_render_waiters;

static void wake_waiters(void)
{
	if (!atomic_load_explicit(&first_render_waiters, memory_order_relaxed))
		return;
	pthread_mutex_lock(&first_render_lock);
	pthread_cond_broadcast(&first_render_done);
	pthread_mutex_unlock(&first_render_lock);
}

/* Until the first render is kept: then it is served like any other. The
 * wait is short (a render), bounded by the claim's time-out, and costs no
 * CPU; a wake-up missed between the take and the wait costs at most one
 * 10 ms step. */
static enum rcache_take wait_first_render(const struct strbuf *key, struct strbuf *out)
{
	enum rcache_take t;
	atomic_fetch_add(&first_render_waiters, 1);
	slow_begin();
	pthread_mutex_lock(&first_render_lock);
	do {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 10000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&first_render_done, &first_render_lock, &until);
		t = rcache_take(cache(), key->buf, key->len, monotonic_ns(), out);
	} while (t == RCACHE_WAIT);
	pthread_mutex_unlock(&first_render_lock);
	slow_end();
	atomic_fetch_sub(&first_render_waiters, 1);
	return t;
}

void keep_render(const struct strbuf *out, uint64_t order)
{
	struct keeping *k = keeping;
	if (!k)
		return;
	uint64_t now = monotonic_ns();
	rcache_put(cache(), k->key->buf, k->key->len, k->born, render_ttl(k, now), order, sb_str(out),
		   out->len, now);
	k->kept = true;
}

/* What the render of key is likely to cost, from its last one. */
enum render_cost { RENDER_CHEAP, RENDER_UNKNOWN, RENDER_COSTLY };

/* Costly: its last render's window was stretched by its cost (over 4 ms
 * of CPU); unknown: it has none. */
static enum render_cost likely_cost(const struct strbuf *key)
{
	uint64_t span = rcache_span(cache(), key->buf, key->len);
	if (!span)
		return RENDER_UNKNOWN;
	return span > window_for(WINDOW_LOAD_MAX, 0) ? RENDER_COSTLY : RENDER_CHEAP;
}

/* Renders the container's content into out and keeps it in the cache
 * under key, with a window that accounts for what the render cost. The
 * caller holds the key's renewal (rcache_take); it is given up on
 * failure. */
static int render_and_keep(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			   const struct strbuf *key, fill_fn fill, struct strbuf *out)
{
	uint64_t order = RENDER_ORDER_UNSET;
	struct keeping k = { .key = key, .born = view->as_of_ns, .cpu_start = window_thread_cpu_ns() };
	sb_reset(out);
	keeping = &k;
	/* A render whose last one was costly (or that has none yet) may take
	 * long: another thread takes requests meanwhile. A cheap one keeps
	 * its thread's lane, which costs no hand-over. A costly one runs at
	 * the lowest priority: the container whose file costs most waits,
	 * not its neighbours. */
	enum render_cost cost = likely_cost(key);
	int saved_nice = 0;
	if (cost != RENDER_CHEAP)
		slow_begin();
	if (cost == RENDER_COSTLY)
		saved_nice = slow_lower_priority();
	int ret = fill(vf, reader, view, out, &order);
	if (cost == RENDER_COSTLY)
		slow_restore_priority(saved_nice);
	if (cost != RENDER_CHEAP)
		slow_end();
	keeping = NULL;
	/* Kept before it is handed out: whoever saw this render finds it or
	 * a later one in the cache. */
	if (ret == 0 && !k.kept) {
		uint64_t now = monotonic_ns();
		/* One render at a time per key: the one finished last is the
		 * newest, whenever its view was resolved. */
		if (order == RENDER_ORDER_UNSET)
			order = now;
		rcache_put(cache(), key->buf, key->len, k.born, render_ttl(&k, now), order, sb_str(out),
			   out->len, now);
	} else if (ret != 0) {
		rcache_unclaim(cache(), key->buf, key->len);
	}
	wake_waiters();
	return ret;
}

/* A render a request thread makes after answering the read that found
 * its key just past its window (RCACHE_RENEW): that read was served the
 * last render, and the thread holds the key's renewal until this one is
 * kept or given up. It owns its view and key. */
struct render_after {
	bool pending;
	const struct vfile *vf;
	pid_t reader;
	struct reader_view view;
	struct strbuf key;
	fill_fn fill;
};
static __thread bool renders_after_reply;
static __thread struct render_after render_after;

void files_render_after_reply(void)
{
	renders_after_reply = true;
}

void files_reply_sent(void)
{
	struct render_after *ra = &render_after;
	if (!ra->pending)
		return;
	struct strbuf out = STRBUF_INIT;
	/* Its failure gives the claim up: the next reader renders. */
	render_and_keep(ra->vf, ra->reader, &ra->view, &ra->key, ra->fill, &out);
	sb_free(&out);
	sb_free(&ra->key);
	reader_view_free(&ra->view);
	ra->pending = false;
}

/* Takes the view and the key over, for files_reply_sent; false if this
 * thread cannot render after its reply (then the caller renders now). */
static bool render_later(const struct vfile *vf, pid_t reader, struct reader_view *view,
			 struct strbuf *key, fill_fn fill)
{
	struct render_after *ra = &render_after;
	if (!renders_after_reply || ra->pending)
		return false;
	*ra = (struct render_after){ .pending = true, .vf = vf, .reader = reader, .view = *view,
				     .key = *key, .fill = fill };
	*key = (struct strbuf)STRBUF_INIT;
	*view = (struct reader_view){ 0 };
	return true;
}

/* The show function of every per-container file: resolve the reader's
 * view, then serve the container's render of its window, or render and
 * keep it. While one thread renders a container's file, its other readers
 * are served the previous render, or wait for the first (rcache_take):
 * one render at a time per container and file, whatever the number of
 * its readers. A read that comes just after the window, on a request
 * thread, is served the last render too, and its thread renders after
 * answering it. Nothing is
 * cached when virtualization is off (begin_view shows the host's file), so
 * SIGUSR2 takes effect at the next read. `fallback` answers readers that
 * cannot be resolved (NULL: the host's file). */
int show_view(const struct vfile *vf, pid_t reader, struct strbuf *out, fill_fn fill,
		     int (*fallback)(const struct vfile *, pid_t, struct strbuf *))
{
	struct reader_view view;
	int ret = 0;

	if (!files_virtualizing())
		return show_host(vf, reader, out);
	if (metrics_cache_hit(show_kept(vf, reader, out)))
		return 0;
	if (reader_resolve(reader, &view) != 0)
		return fallback ? fallback(vf, reader, out) : show_host(vf, reader, out);
	if (!files_virtualizing()) { /* switched off while resolving */
		reader_view_free(&view);
		return show_host(vf, reader, out);
	}
	/* A render is as old as its oldest input, membership included (the
	 * view may have been resolved a window ago). */
	struct strbuf key = STRBUF_INIT;
	view_key(vf, &view, &key);
	enum rcache_take t = rcache_take(cache(), key.buf, key.len, monotonic_ns(), out);
	if (t == RCACHE_WAIT)
		t = wait_first_render(&key, out);
	if (t == RCACHE_RENEW && render_later(vf, reader, &view, &key, fill))
		t = RCACHE_STALE;
	/* A stale render served while another thread renews it is a hit:
	 * no render was made for this read. */
	if (!metrics_cache(t == RCACHE_HIT || t == RCACHE_STALE))
		ret = render_and_keep(vf, reader, &view, &key, fill, out);
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
void view_cpus(const struct reader_view *view, struct cpu_view *out)
{
	struct cpumask cpuset = CPUMASK_INIT;
	double quota = 0;

	if (!cg_read_cpus(fs_config.cg, &view->cg, &cpuset))
		host_online(&cpuset);
	if (fs_config.use_cfs && !cg_read_cpu_quota(fs_config.cg, &view->cg, &quota))
		quota = 0;
	cpu_view_build(&cpuset, quota, !view->host_pidns, out);
	cpumask_free(&cpuset);
}

void host_cpu_view(struct cpu_view *out)
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

/* A host /proc file every container's render starts from (meminfo,
 * loadavg, stat, cpuinfo): one read shared by every reader for a window,
 * so that a render miss in each of 64 containers does not
 * make the kernel generate the same host text 64 times (cpuinfo's is the
 * costliest: a seq_printf per field per CPU). Only a read made at or
 * after `since` is used (a render is as old as its oldest input: pass its
 * start). */
int host_proc_shared(const char *name, uint64_t since, struct strbuf *out)
{
	char key[64];
	int klen = snprintf(key, sizeof(key), "host|proc/%s", name);
	uint64_t born = monotonic_ns();
	if (rcache_get_since(cache(), key, (size_t)klen, born, since, out))
		return 0;
	int r = host_read_proc(name, out);
	if (r == 0)
		rcache_put(cache(), key, (size_t)klen, born, window_ns(0), born, sb_str(out), out->len,
			   monotonic_ns());
	return r;
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
