/* Memory values of a container, from v1 or v2 files. */
#include "cgroup/cgroup.h"
#include "util/parse.h"
#include "util/strbuf.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *v2;
	const char *v1;
} stat_keys[MS_NR] = {
	[MS_ANON] = { "anon", "total_rss" },
	[MS_FILE] = { "file", "total_cache" },
	[MS_SHMEM] = { "shmem", "total_shmem" },
	[MS_FILE_MAPPED] = { "file_mapped", "total_mapped_file" },
	[MS_FILE_DIRTY] = { "file_dirty", "total_dirty" },
	[MS_FILE_WRITEBACK] = { "file_writeback", "total_writeback" },
	[MS_ANON_THP] = { "anon_thp", "total_rss_huge" },
	[MS_SLAB] = { "slab", NULL },
	[MS_SLAB_RECLAIMABLE] = { "slab_reclaimable", NULL },
	[MS_SLAB_UNRECLAIMABLE] = { "slab_unreclaimable", NULL },
	[MS_ACTIVE_ANON] = { "active_anon", "total_active_anon" },
	[MS_INACTIVE_ANON] = { "inactive_anon", "total_inactive_anon" },
	[MS_ACTIVE_FILE] = { "active_file", "total_active_file" },
	[MS_INACTIVE_FILE] = { "inactive_file", "total_inactive_file" },
	[MS_UNEVICTABLE] = { "unevictable", "total_unevictable" },
	[MS_ZSWAP] = { "zswap", NULL },
	[MS_ZSWAPPED] = { "zswapped", NULL },
};

const char *mem_stat_key(enum mem_stat_item item, int version)
{
	return version == 2 ? stat_keys[item].v2 : stat_keys[item].v1;
}

/* v1 memory.stat's effective limits (see effective_limit): NULL for one
 * the text lacks (hierarchical_memsw_limit is there only with swap
 * accounting) or holds garbage. */
struct hier_limits {
	uint64_t val[2];
	const uint64_t *memory, *memsw;
};

enum { HIER_MEMORY = MS_NR, HIER_MEMSW, STAT_KEYS };

/* mem_stat_parse, and with `hier` v1's hierarchical limits, in one pass. */
static bool stat_parse(const char *text, int version, struct cg_memory *m, struct hier_limits *hier)
{
	const char *keys[STAT_KEYS];
	uint64_t vals[STAT_KEYS] = { 0 }, present;

	for (int i = 0; i < MS_NR; i++)
		keys[i] = mem_stat_key(i, version);
	keys[HIER_MEMORY] = hier && version == 1 ? "hierarchical_memory_limit" : NULL;
	keys[HIER_MEMSW] = hier && version == 1 ? "hierarchical_memsw_limit" : NULL;
	uint64_t found = kv_get_many(text, " \t", keys, STAT_KEYS, vals, &present);
	if (hier) {
		hier->val[0] = vals[HIER_MEMORY];
		hier->val[1] = vals[HIER_MEMSW];
		hier->memory = found & (1ULL << HIER_MEMORY) ? &hier->val[0] : NULL;
		hier->memsw = found & (1ULL << HIER_MEMSW) ? &hier->val[1] : NULL;
	}
	found &= (1ULL << MS_NR) - 1;
	m->have_stat = 0;
	if (!found)
		return false;
	/* The file is readable, so a counter it lacks is one this kernel does
	 * not keep for cgroups (slab on v1, zswap before 5.19): it is 0 for the
	 * container, not the host's. A key present with a garbage value stays
	 * unknown. */
	for (int i = 0; i < MS_NR; i++) {
		if (found & (1ULL << i)) {
			m->stat[i] = vals[i];
			m->have_stat |= 1u << i;
		} else if (!(present & (1ULL << i))) {
			m->stat[i] = 0;
			m->have_stat |= 1u << i;
		}
	}
	return true;
}

bool mem_stat_parse(const char *text, int version, struct cg_memory *m)
{
	return stat_parse(text, version, m, NULL);
}

/* The cgroup's own limit file. It must be readable (else the cgroup is gone
 * or broken and the effective value is unknown). */
static bool own_limit(const struct cg_loc *loc, const char *file, bool log_missing, struct strbuf *buf,
		      uint64_t *out)
{
	int r = cg_read_file(loc, 0, file, buf);
	if (r < 0) {
		if (log_missing || r != -ENOENT)
			cg_log_fallback(loc, 0, file, strerror(-r));
		return false;
	}
	if (!parse_limit(sb_str(buf), out)) {
		cg_log_fallback(loc, 0, file, cg_bad_content(sb_str(buf)));
		return false;
	}
	return true;
}

/* Minimum of a limit file over the cgroup's ancestors; those that lack it
 * (the v2 root has no memory.max) or hold garbage are skipped. */
static uint64_t ancestors_min(const struct cg_loc *loc, const char *file, struct strbuf *buf)
{
	unsigned depth = cg_depth(loc);
	uint64_t min = UINT64_MAX;

	for (unsigned up = 1; up <= depth; up++) {
		uint64_t v;
		if (cg_read_file(loc, up, file, buf) < 0)
			continue;
		if (!parse_limit(sb_str(buf), &v)) {
			cg_log_fallback(loc, up, file, cg_bad_content(sb_str(buf)));
			continue;
		}
		if (v < min)
			min = v;
	}
	return min;
}

/* Minimum of a limit file over the cgroup and all its ancestors. v1's
 * memory.stat already holds that minimum (hierarchical_memory_limit,
 * hierarchical_memsw_limit: the kernel's own walk, from the cgroup itself
 * up), which saves reading the cgroup's and every ancestor's file: `hier`
 * is that value when memory.stat had it, else NULL and the files are read. */
static bool effective_limit(const struct cg_loc *loc, const char *file, bool log_missing,
			    const uint64_t *hier, uint64_t *out)
{
	if (hier) {
		*out = *hier >= CG_UNLIMITED_THRESHOLD ? UINT64_MAX : *hier;
		return true;
	}
	struct strbuf buf = STRBUF_INIT;
	uint64_t own;
	bool ok = own_limit(loc, file, log_missing, &buf, &own);
	if (ok) {
		uint64_t up_min = ancestors_min(loc, file, &buf);
		*out = own < up_min ? own : up_min;
	}
	sb_free(&buf);
	return ok;
}

static bool read_u64(const struct cg_loc *loc, const char *file, bool log_missing, uint64_t *out)
{
	struct strbuf buf = STRBUF_INIT;
	int r = cg_read_file(loc, 0, file, &buf);
	bool ok = false;

	if (r < 0) {
		if (log_missing || r != -ENOENT)
			cg_log_fallback(loc, 0, file, strerror(-r));
	} else if (!parse_u64(sb_str(&buf), out)) {
		cg_log_fallback(loc, 0, file, cg_bad_content(sb_str(&buf)));
	} else {
		ok = true;
	}
	sb_free(&buf);
	return ok;
}

static void read_swap_v2(const struct cg_loc *loc, bool with_swap, struct cg_memory *m)
{
	m->swap_accounting = effective_limit(loc, "memory.swap.max", false, NULL, &m->swap_limit);
	if (m->swap_accounting && with_swap)
		m->have_swap_usage = read_u64(loc, "memory.swap.current", true, &m->swap_usage);
}

static void read_swap_v1(const struct cg_loc *loc, const uint64_t *hier_memsw, bool with_swap,
			 struct cg_memory *m)
{
	uint64_t memsw_limit, memsw_usage, swappiness;

	/* memsw counts RAM+swap; swap alone is the difference. */
	m->swap_accounting = effective_limit(loc, "memory.memsw.limit_in_bytes", false, hier_memsw,
					     &memsw_limit);
	if (!m->swap_accounting)
		return;
	if (memsw_limit == UINT64_MAX || !m->have_limit || m->limit == UINT64_MAX)
		m->swap_limit = memsw_limit;
	else
		m->swap_limit = memsw_limit > m->limit ? memsw_limit - m->limit : 0;

	if (!with_swap)
		return;
	if (m->have_usage && read_u64(loc, "memory.memsw.usage_in_bytes", true, &memsw_usage)) {
		m->swap_usage = memsw_usage > m->usage ? memsw_usage - m->usage : 0;
		m->have_swap_usage = true;
	}
	if (read_u64(loc, "memory.swappiness", false, &swappiness) && swappiness <= 200)
		m->swappiness = (int)swappiness;
}

void cg_read_memory(const struct cgroups *cg, const struct cg_paths *p, bool with_swap,
		    struct cg_memory *m)
{
	struct cg_loc loc;

	memset(m, 0, sizeof(*m));
	m->swappiness = -1;
	if (!cg_locate(cg, p, CG_MEMORY, &loc))
		return;

	bool v2 = loc.version == 2;
	struct strbuf stat = STRBUF_INIT;
	struct hier_limits hier = { .memory = NULL, .memsw = NULL };
	int r = cg_read_file(&loc, 0, "memory.stat", &stat);
	if (r < 0)
		cg_log_fallback(&loc, 0, "memory.stat", strerror(-r));
	else if (!stat_parse(sb_str(&stat), loc.version, m, &hier))
		cg_log_fallback(&loc, 0, "memory.stat", "no known key");

	m->have_limit = effective_limit(&loc, v2 ? "memory.max" : "memory.limit_in_bytes", true,
					hier.memory, &m->limit);
	m->have_usage = read_u64(&loc, v2 ? "memory.current" : "memory.usage_in_bytes", true, &m->usage);
	if (v2)
		read_swap_v2(&loc, with_swap, m);
	else
		read_swap_v1(&loc, hier.memsw, with_swap, m);
	sb_free(&stat);
}
