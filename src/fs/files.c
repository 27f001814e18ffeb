#include "fs/files.h"
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "reader/reader.h"
#include "render/render.h"
#include "util/cpumask.h"
#include "util/fileio.h"
#include "util/parse.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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

/* The CPUs the container sees; the host's online CPUs when unknown. */
static void visible_cpus(const struct reader_view *view, struct cpumask *cpus)
{
	if (cg_read_cpus(config.cg, &view->cg, cpus))
		return;
	struct strbuf buf = STRBUF_INIT;
	if (read_file_at(host()->sys_cpu_fd, "online", true, &buf) < 0 ||
	    !cpumask_parse(sb_str(&buf), cpus) || !cpumask_weight(cpus))
		cpumask_set(cpus, 0);
	sb_free(&buf);
}

static int show_meminfo(const struct vfile *vf, pid_t reader, struct strbuf *out)
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
	ret = host_read_proc("meminfo", &host_text);
	if (ret == 0) {
		struct cg_memory mem;
		cg_read_memory(config.cg, &view.cg, &mem);
		struct meminfo_input in = {
			.host_meminfo = sb_str(&host_text),
			.mem = &mem,
			.swap_disabled = config.swap_disabled,
			.zswap_disabled = config.zswap_disabled,
		};
		sb_reset(out);
		render_meminfo(out, &in);
	}
	sb_free(&host_text);
	reader_view_free(&view);
	return ret;
}

static int show_swaps(const struct vfile *vf, pid_t reader, struct strbuf *out)
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
	ret = host_read_proc("meminfo", &host_text);
	if (ret == 0) {
		struct cg_memory mem;
		struct swap_view sv;
		uint64_t host_total = 0, host_free = 0;
		meminfo_get(sb_str(&host_text), "SwapTotal", &host_total);
		meminfo_get(sb_str(&host_text), "SwapFree", &host_free);
		cg_read_memory(config.cg, &view.cg, &mem);
		swap_view_compute(&mem, host_total, host_free, config.swap_disabled, &sv);
		sb_reset(out);
		render_swaps(out, &sv);
	}
	sb_free(&host_text);
	reader_view_free(&view);
	return ret;
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
	struct cpumask cpus = CPUMASK_INIT;
	uint64_t used_ns = 0;
	visible_cpus(&view, &cpus);
	struct uptime_input in = {
		.now = host_boottime_now(),
		.start = (double)view.start_ticks / (double)host()->clk_tck,
		.ncpus = cpumask_weight(&cpus),
	};
	/* A container left in the root cpuacct group has no CPU time of its
	 * own: the root's is the whole host's. */
	if (!cg_is_root(config.cg, &view.cg, CG_CPUACCT))
		in.have_cpu_used = cg_read_cpu_usage_ns(config.cg, &view.cg, &used_ns);
	in.cpu_used = (double)used_ns / 1e9;
	if (!in.have_cpu_used) {
		struct strbuf host_text = STRBUF_INIT;
		if (host_read_proc("uptime", &host_text) == 0) {
			const char *idle = strchr(sb_str(&host_text), ' ');
			in.host_idle = idle ? strtod(idle, NULL) : 0;
		}
		sb_free(&host_text);
	}
	sb_reset(out);
	render_uptime(out, &in);
	cpumask_free(&cpus);
	reader_view_free(&view);
	return 0;
}

static int show_cpu_online(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	struct reader_view view;
	int ret = 0;

	if (!begin_view(vf, reader, out, &view, &ret))
		return ret;
	struct cpumask cpus = CPUMASK_INIT;
	visible_cpus(&view, &cpus);
	sb_reset(out);
	render_cpulist(out, &cpus);
	cpumask_free(&cpus);
	reader_view_free(&view);
	return 0;
}

const struct vfile vfiles[] = {
	{ "proc", "cpuinfo", show_host, "cpuinfo", false },
	{ "proc", "diskstats", show_host, "diskstats", false },
	{ "proc", "loadavg", show_host, "loadavg", false },
	{ "proc", "meminfo", show_meminfo, "meminfo", true },
	{ "proc", "partitions", show_host, "partitions", false },
	{ "proc", "slabinfo", show_host, "slabinfo", false },
	{ "proc", "stat", show_host, "stat", false },
	{ "proc", "swaps", show_swaps, "swaps", true },
	{ "proc", "uptime", show_uptime, "uptime", true },
	{ "proc/pressure", "cpu", show_host, "pressure/cpu", false },
	{ "proc/pressure", "io", show_host, "pressure/io", false },
	{ "proc/pressure", "memory", show_host, "pressure/memory", false },
	{ "sys/devices/system/cpu", "online", show_cpu_online, "online", true },
};
const size_t nr_vfiles = sizeof(vfiles) / sizeof(vfiles[0]);
