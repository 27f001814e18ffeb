/* /proc/uptime: the container's age and idle time. */
#include "fs/show.h"
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "reader/reader.h"
#include "render/render.h"
#include "util/strbuf.h"
#include "view/cpuview.h"

#include <stdlib.h>
#include <string.h>

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
	if (!cg_is_root(fs_config.cg, &view->cg, CG_CPUACCT))
		in.have_cpu_used = cg_read_cpu_usage_ns(fs_config.cg, &view->cg, &used_ns);
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

int show_uptime(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_uptime, NULL);
}
