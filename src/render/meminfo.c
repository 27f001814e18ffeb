#include "render/render.h"
#include "util/parse.h"
#include "util/strbuf.h"

#include <string.h>

enum mi_line {
	MI_MEMTOTAL, MI_MEMFREE, MI_MEMAVAILABLE, MI_BUFFERS, MI_CACHED, MI_SWAPCACHED,
	MI_ACTIVE, MI_INACTIVE, MI_ACTIVE_ANON, MI_INACTIVE_ANON, MI_ACTIVE_FILE,
	MI_INACTIVE_FILE, MI_UNEVICTABLE, MI_SWAPTOTAL, MI_SWAPFREE, MI_ZSWAP, MI_ZSWAPPED,
	MI_DIRTY, MI_WRITEBACK, MI_ANONPAGES, MI_MAPPED, MI_SHMEM, MI_SLAB, MI_SRECLAIMABLE,
	MI_SUNRECLAIM, MI_ANONHUGEPAGES, MI_NR
};

static const char *const mi_key[MI_NR] = {
	"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached",
	"Active", "Inactive", "Active(anon)", "Inactive(anon)", "Active(file)",
	"Inactive(file)", "Unevictable", "SwapTotal", "SwapFree", "Zswap", "Zswapped",
	"Dirty", "Writeback", "AnonPages", "Mapped", "Shmem", "Slab", "SReclaimable",
	"SUnreclaim", "AnonHugePages",
};

/* The meminfo line each memory.stat counter becomes. */
static const struct {
	enum mi_line line;
	enum mem_stat_item item;
} stat_lines[] = {
	{ MI_CACHED, MS_FILE },
	{ MI_ACTIVE_ANON, MS_ACTIVE_ANON },
	{ MI_INACTIVE_ANON, MS_INACTIVE_ANON },
	{ MI_ACTIVE_FILE, MS_ACTIVE_FILE },
	{ MI_INACTIVE_FILE, MS_INACTIVE_FILE },
	{ MI_UNEVICTABLE, MS_UNEVICTABLE },
	{ MI_ZSWAP, MS_ZSWAP },
	{ MI_ZSWAPPED, MS_ZSWAPPED },
	{ MI_DIRTY, MS_FILE_DIRTY },
	{ MI_WRITEBACK, MS_FILE_WRITEBACK },
	{ MI_ANONPAGES, MS_ANON },
	{ MI_MAPPED, MS_FILE_MAPPED },
	{ MI_SHMEM, MS_SHMEM },
	{ MI_SLAB, MS_SLAB },
	{ MI_SRECLAIMABLE, MS_SLAB_RECLAIMABLE },
	{ MI_SUNRECLAIM, MS_SLAB_UNRECLAIMABLE },
	{ MI_ANONHUGEPAGES, MS_ANON_THP },
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The host's value of every line we rewrite (0 when missing), in one pass. */
static void host_values(const char *host, uint64_t host_kb[MI_NR])
{
	uint64_t found = kv_get_many(host, ":", mi_key, MI_NR, host_kb, NULL);
	for (int i = 0; i < MI_NR; i++)
		if (!(found & (1ULL << i)))
			host_kb[i] = 0;
}

/* Container value of every rewritten line, in kB. */
static void compute(const struct meminfo_input *in, uint64_t kb[MI_NR])
{
	const struct cg_memory *m = in->mem;
	uint64_t host_kb[MI_NR];
	host_values(in->host_meminfo, host_kb);
	uint64_t host_total = host_kb[MI_MEMTOTAL];
	uint64_t total = m->have_limit ? min_u64(m->limit / 1024, host_total) : host_total;
	uint64_t used = m->have_usage ? m->usage / 1024
				      : host_total - min_u64(host_kb[MI_MEMFREE], host_total);

	kb[MI_MEMTOTAL] = total;
	kb[MI_MEMFREE] = total > used ? total - used : 0;
	kb[MI_BUFFERS] = 0;
	kb[MI_SWAPCACHED] = 0;

	/* Unknown counters take the host's value, but never more than the
	 * container's memory. */
	for (size_t i = 0; i < sizeof(stat_lines) / sizeof(stat_lines[0]); i++) {
		enum mi_line line = stat_lines[i].line;
		enum mem_stat_item item = stat_lines[i].item;
		uint64_t v = m->have_stat & (1u << item) ? m->stat[item] / 1024 : host_kb[line];
		kb[line] = min_u64(v, total);
	}
	if (in->zswap_disabled)
		kb[MI_ZSWAP] = kb[MI_ZSWAPPED] = 0;
	kb[MI_ACTIVE] = min_u64(kb[MI_ACTIVE_ANON] + kb[MI_ACTIVE_FILE], total);
	kb[MI_INACTIVE] = min_u64(kb[MI_INACTIVE_ANON] + kb[MI_INACTIVE_FILE], total);

	uint64_t reclaimable = kb[MI_ACTIVE_FILE] + kb[MI_INACTIVE_FILE] + kb[MI_SRECLAIMABLE];
	kb[MI_MEMAVAILABLE] = min_u64(kb[MI_MEMFREE] + reclaimable, total);

	struct swap_view sv;
	swap_view_compute(m, host_kb[MI_SWAPTOTAL], host_kb[MI_SWAPFREE],
			  in->swap_disabled, &sv);
	kb[MI_SWAPTOTAL] = sv.total_kb;
	kb[MI_SWAPFREE] = sv.total_kb - sv.used_kb;
}

static int line_index(const char *line, size_t keylen, const size_t key_len[MI_NR])
{
	for (int i = 0; i < MI_NR; i++)
		if (key_len[i] == keylen && !memcmp(line, mi_key[i], keylen))
			return i;
	return -1;
}

void render_meminfo(struct strbuf *out, const struct meminfo_input *in)
{
	uint64_t kb[MI_NR];
	const char *host = in->host_meminfo;

	size_t key_len[MI_NR];
	for (int i = 0; i < MI_NR; i++)
		key_len[i] = strlen(mi_key[i]);
	compute(in, kb);
	sb_reserve(out, strlen(host) + 64); /* the host's layout, about as long */
	for (const char *line = host; *line;) {
		const char *eol = strchrnul(line, '\n');
		const char *colon = memchr(line, ':', (size_t)(eol - line));
		int idx = colon ? line_index(line, (size_t)(colon - line), key_len) : -1;
		if (idx >= 0) {
			/* The kernel's layout: "Key:" padded to 16, value to 8. */
			sb_put_left(out, line, (size_t)(colon - line + 1), 16);
			sb_put_u64(out, kb[idx], 8);
			sb_append(out, " kB\n", 4);
		} else {
			sb_append(out, line, (size_t)(eol - line));
			sb_putc(out, '\n');
		}
		line = *eol ? eol + 1 : eol;
	}
}
