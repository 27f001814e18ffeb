#include "render/render.h"
#include "util/strbuf.h"

void swap_view_compute(const struct cg_memory *mem, uint64_t host_total_kb,
		       uint64_t host_free_kb, bool swap_disabled, struct swap_view *out)
{
	out->total_kb = out->used_kb = 0;
	/* Without accounting there is no way to know the container's share:
	 * report none rather than the host's. */
	if (swap_disabled || !mem->swap_accounting)
		return;

	uint64_t total = host_total_kb;
	if (mem->swap_limit != UINT64_MAX && mem->swap_limit / 1024 < total)
		total = mem->swap_limit / 1024;

	uint64_t used;
	if (mem->have_swap_usage)
		used = mem->swap_usage / 1024;
	else
		used = host_total_kb > host_free_kb ? host_total_kb - host_free_kb : 0;

	/* swappiness 0: the container may not swap; show only what already is
	 * (a device exactly that big, full), or nothing. */
	if (mem->swappiness == 0) {
		out->total_kb = out->used_kb = used;
		return;
	}
	out->total_kb = total;
	out->used_kb = used < total ? used : total;
}

void render_swaps(struct strbuf *out, const struct swap_view *sv)
{
	sb_puts(out, "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n");
	if (sv->total_kb)
		sb_printf(out, "%-40svirtual\t\t%llu\t%llu\t0\n", "none",
			  (unsigned long long)sv->total_kb, (unsigned long long)sv->used_kb);
}
