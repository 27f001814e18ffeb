/* /proc/meminfo and /proc/swaps: the container's memory and swap. */
#include "fs/show.h"
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "reader/reader.h"
#include "render/render.h"
#include "util/strbuf.h"
#include "util/parse.h"

/* meminfo and swaps: both render the host's meminfo text and the
 * container's memory values; a root memory cgroup gets the host's file. */
static int fill_memory(const struct vfile *vf, pid_t reader, const struct reader_view *view,
		       struct strbuf *out,
		       void (*render)(struct strbuf *out, const char *host_meminfo,
				      const struct cg_memory *mem))
{
	if (cg_is_root(fs_config.cg, &view->cg, CG_MEMORY))
		return show_host(vf, reader, out);
	struct strbuf host_text = STRBUF_INIT;
	int ret = host_proc_shared("meminfo", view->as_of_ns, &host_text);
	if (ret == 0) {
		struct cg_memory mem;
		uint64_t host_swap_kb = 0;
		meminfo_get(sb_str(&host_text), "SwapTotal", &host_swap_kb);
		cg_read_memory(fs_config.cg, &view->cg, host_swap_kb > 0 && !fs_config.swap_disabled, &mem);
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
		.swap_disabled = fs_config.swap_disabled,
		.zswap_disabled = fs_config.zswap_disabled,
	};
	render_meminfo(out, &in);
}

static void swaps_of(struct strbuf *out, const char *host_meminfo, const struct cg_memory *mem)
{
	struct swap_view sv;
	uint64_t host_total = 0, host_free = 0;

	meminfo_get(host_meminfo, "SwapTotal", &host_total);
	meminfo_get(host_meminfo, "SwapFree", &host_free);
	swap_view_compute(mem, host_total, host_free, fs_config.swap_disabled, &sv);
	render_swaps(out, &sv);
}

static int fill_meminfo(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_memory(vf, reader, view, out, meminfo_of);
}

int show_meminfo(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_meminfo, NULL);
}

static int fill_swaps(const struct vfile *vf, pid_t reader, const struct reader_view *view,
		      struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_memory(vf, reader, view, out, swaps_of);
}

int show_swaps(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_swaps, NULL);
}
