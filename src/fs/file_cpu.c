/* The CPU files: /proc/cpuinfo, /proc/stat and sys/devices/system/cpu's
 * online, possible, present, offline and cpuN/online, all from the one
 * view of the container's CPUs (view_cpus). */
#include "fs/show.h"
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "reader/reader.h"
#include "render/render.h"
#include "util/strbuf.h"
#include "util/clock.h"
#include "util/cpumask.h"
#include "view/cpustat.h"
#include "view/cpuview.h"

#include <stdlib.h>

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

int show_cpu_list(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_cpu_list, host_cpu_list);
}

int show_cpu_offline(const struct vfile *vf, pid_t reader, struct strbuf *out)
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
	int ret = host_proc_shared("cpuinfo", view->as_of_ns, &host_text);
	if (ret == 0) {
		struct cpu_view cpus = CPU_VIEW_INIT;
		view_cpus(view, &cpus);
		sb_reset(out);
		render_cpuinfo(out, sb_str(&host_text), &cpus, fs_config.cpuinfo_flat && !view->host_pidns);
		cpu_view_free(&cpus);
	}
	sb_free(&host_text);
	return ret;
}

int show_cpuinfo(const struct vfile *vf, pid_t reader, struct strbuf *out)
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
	if (!cg_locate(fs_config.cg, &view->cg, CG_CPUACCT, &loc) &&
	    !cg_locate(fs_config.cg, &view->cg, CG_CPU, &loc))
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
	if (cg_count_tasks(fs_config.cg, &view->cg, reader, STAT_MAX_TASKS, &tasks))
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
	char *key = cg_is_root(fs_config.cg, &view->cg, CG_CPUACCT) ? NULL : cpustat_key(view);
	uint64_t taken_ns = monotonic_ns();
	struct cg_cpu_times times;
	if (!key || !cg_read_cpu_times(fs_config.cg, &view->cg, &times)) {
		free(key);
		return show_host(vf, reader, out);
	}
	struct strbuf host_text = STRBUF_INIT;
	int ret = host_proc_shared("stat", view->as_of_ns, &host_text);
	if (ret == 0) {
		struct cpu_view cpus = CPU_VIEW_INIT;
		view_cpus(view, &cpus);
		sb_reset(out);
		*order = render_stat_for(out, sb_str(&host_text), key, view, reader, &cpus, &times, taken_ns);
		cpu_view_free(&cpus);
	}
	sb_free(&host_text);
	cg_cpu_times_free(&times);
	free(key);
	return ret;
}

/* procs_running counts the reader as running (it is, from the kernel's
 * side); a render served to another reader of the container within the
 * bound counted that reader by its state then. */
int show_stat(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_stat, NULL);
}
