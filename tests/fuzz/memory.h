/* What the daemon does with a container's memory files: memory.stat and the
 * limit and usage files into struct cg_memory (as cg_read_memory does), and
 * that with the host's /proc/meminfo into /proc/meminfo and /proc/swaps
 * (as fs/files.c does). Shared by fuzz_memory_stat_v{1,2} and fuzz_meminfo. */
#ifndef CVIEWFS_FUZZ_MEMORY_H
#define CVIEWFS_FUZZ_MEMORY_H

#include "fuzz.h"
#include "render/render.h"
#include "util/parse.h"

/* The files besides memory.stat and meminfo, in input order. */
struct memory_files {
	const char *limit;      /* memory.max / memory.limit_in_bytes */
	const char *usage;      /* memory.current / memory.usage_in_bytes */
	const char *swap_limit; /* memory.swap.max / memory.memsw.limit_in_bytes */
	const char *swap_usage; /* memory.swap.current / memory.memsw.usage_in_bytes */
	const char *swappiness; /* v1 memory.swappiness */
};

/* The value cg_read_memory derives from each file (read_swap_v1/v2). */
static inline void memory_limits(int version, const struct memory_files *f, struct cg_memory *m)
{
	uint64_t v;

	m->have_limit = f->limit && parse_limit(f->limit, &m->limit);
	m->have_usage = f->usage && parse_u64(f->usage, &m->usage);
	m->swap_accounting = f->swap_limit && parse_limit(f->swap_limit, &v);
	if (!m->swap_accounting)
		return;
	if (version == 2) {
		m->swap_limit = v;
		m->have_swap_usage = f->swap_usage && parse_u64(f->swap_usage, &m->swap_usage);
		return;
	}
	/* v1's memsw files count RAM+swap. */
	if (v == UINT64_MAX || !m->have_limit || m->limit == UINT64_MAX)
		m->swap_limit = v;
	else
		m->swap_limit = v > m->limit ? v - m->limit : 0;
	if (m->have_usage && f->swap_usage && parse_u64(f->swap_usage, &v)) {
		m->swap_usage = v > m->usage ? v - m->usage : 0;
		m->have_swap_usage = true;
	}
	if (f->swappiness && parse_u64(f->swappiness, &v) && v <= 200)
		m->swappiness = (int)v;
}

/* Renders meminfo and swaps, with -u and -z (no swap, no zswap shown) on
 * or off: opt comes from the input's length, which the fuzzer changes all
 * the time, so both are covered without rendering every input twice. */
static inline void memory_render(const char *host_meminfo, const struct cg_memory *m, bool opt)
{
	struct strbuf out = STRBUF_INIT;
	uint64_t host_total = 0, host_free = 0;
	struct meminfo_input in = { host_meminfo, m, opt, opt };
	struct swap_view sv;

	meminfo_get(host_meminfo, "SwapTotal", &host_total);
	meminfo_get(host_meminfo, "SwapFree", &host_free);
	render_meminfo(&out, &in);
	swap_view_compute(m, host_total, host_free, opt, &sv);
	if (sv.used_kb > sv.total_kb)
		abort(); /* swap_view promises used <= total */
	sb_reset(&out);
	render_swaps(&out, &sv);
	sb_free(&out);
}

/* Input: memory.stat, host meminfo, then the files of struct memory_files. */
static inline void memory_fuzz(int version, const char *stat, const char *host_meminfo,
			       const struct fuzz_input *in, size_t first_file)
{
	struct cg_memory m;
	struct memory_files f = {
		fuzz_part(in, first_file, "1073741824\n"), fuzz_part(in, first_file + 1, "536870912\n"),
		fuzz_part(in, first_file + 2, "max\n"), fuzz_part(in, first_file + 3, "0\n"),
		fuzz_part(in, first_file + 4, "60\n"),
	};

	memset(&m, 0, sizeof(m));
	m.swappiness = -1;
	mem_stat_parse(stat, version, &m);
	memory_limits(version, &f, &m);
	memory_render(host_meminfo, &m, in->len & 1);
}

#endif
