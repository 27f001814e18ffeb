/* /proc/meminfo as a container sees it (SPEC 4 "meminfo"), from captured
 * host and memory.stat fixtures. Every expected number is computed here from
 * the fixture's own numbers, repeated below as constants and checked against
 * the fixture text first, so a changed fixture fails loudly. */
#include "tap.h"

#include "render/render.h"
#include "util/parse.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KB(bytes) ((uint64_t)(bytes) / 1024)
#define MIB (UINT64_C(1) << 20)

/* memory-stat/v2 (a Linux 6.x cgroup, bytes). */
#define V2_ANON 209715200
#define V2_FILE 104857600
#define V2_SHMEM 8388608
#define V2_ZSWAP 1572864
#define V2_ZSWAPPED 6291456
#define V2_FILE_MAPPED 31457280
#define V2_FILE_DIRTY 135168
#define V2_FILE_WRITEBACK 57344
#define V2_ANON_THP 12582912
#define V2_INACTIVE_ANON 178257920
#define V2_ACTIVE_ANON 39845888
#define V2_INACTIVE_FILE 62914560
#define V2_ACTIVE_FILE 41943040
#define V2_UNEVICTABLE 393216
#define V2_SLAB_RECLAIMABLE 7340032
#define V2_SLAB_UNRECLAIMABLE 2097152
#define V2_SLAB 9437184

/* memory-stat/v1 total_* keys (the hierarchy, bytes); the cgroup's own
 * non-total keys hold different numbers that must not be used. */
#define V1_TOTAL_CACHE 104857600
#define V1_TOTAL_RSS 157286400
#define V1_TOTAL_RSS_HUGE 2097152
#define V1_TOTAL_SHMEM 4194304
#define V1_TOTAL_MAPPED_FILE 3145728
#define V1_TOTAL_DIRTY 81920
#define V1_TOTAL_WRITEBACK 16384
#define V1_TOTAL_INACTIVE_ANON 125829120
#define V1_TOTAL_ACTIVE_ANON 35651584
#define V1_TOTAL_INACTIVE_FILE 62914560
#define V1_TOTAL_ACTIVE_FILE 37748736
#define V1_TOTAL_UNEVICTABLE 262144

static char *host_text, *v1_text, *v2_text;
static uint64_t host_total, host_cached, host_slab;

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Reads "Key: N" from a meminfo text independently of the code under test. */
static uint64_t host_value(const char *text, const char *key)
{
	char pat[64];
	int n = snprintf(pat, sizeof(pat), "%s:", key);
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (!strncmp(line, pat, (size_t)n))
			return strtoull(line + n, NULL, 10);
	return UINT64_MAX;
}

/* text with the line starting with `old` replaced by `repl` (both without
 * newline); repl NULL deletes the line. */
static char *replace_line(const char *text, const char *old, const char *repl)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *line = text; *line;) {
		const char *eol = strchrnul(line, '\n');
		size_t n = (size_t)(eol - line);
		if (n == strlen(old) && !strncmp(line, old, n)) {
			if (repl) {
				sb_puts(&sb, repl);
				sb_putc(&sb, '\n');
			}
		} else {
			sb_append(&sb, line, n);
			sb_putc(&sb, '\n');
		}
		line = *eol ? eol + 1 : eol;
	}
	char *s = xstrdup(sb_str(&sb));
	sb_free(&sb);
	return s;
}

static char *render(const char *host, const struct cg_memory *m, bool swap_off, bool zswap_off)
{
	struct strbuf sb = STRBUF_INIT;
	struct meminfo_input in = { .host_meminfo = host, .mem = m,
				    .swap_disabled = swap_off, .zswap_disabled = zswap_off };
	render_meminfo(&sb, &in);
	char *s = xstrdup(sb_str(&sb));
	sb_free(&sb);
	return s;
}

/* A container with a limit and a usage and the given memory.stat. */
static void mem_from(struct cg_memory *m, const char *stat, int version, uint64_t limit, uint64_t usage)
{
	memset(m, 0, sizeof(*m));
	m->swappiness = -1;
	m->have_limit = true;
	m->limit = limit;
	m->have_usage = true;
	m->usage = usage;
	mem_stat_parse(stat, version, m);
}

/* The "Key:" of every line, newline-separated. */
static char *key_sequence(const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *line = text; *line;) {
		const char *eol = strchrnul(line, '\n');
		const char *colon = memchr(line, ':', (size_t)(eol - line));
		sb_append(&sb, line, (size_t)((colon ? colon : eol) - line));
		sb_putc(&sb, '\n');
		line = *eol ? eol + 1 : eol;
	}
	char *s = xstrdup(sb_str(&sb));
	sb_free(&sb);
	return s;
}

static const char *const rewritten[] = {
	"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached",
	"Active", "Inactive", "Active(anon)", "Inactive(anon)", "Active(file)",
	"Inactive(file)", "Unevictable", "SwapTotal", "SwapFree", "Zswap", "Zswapped",
	"Dirty", "Writeback", "AnonPages", "Mapped", "Shmem", "Slab", "SReclaimable",
	"SUnreclaim", "AnonHugePages",
};

static bool is_rewritten(const char *line, size_t keylen)
{
	for (size_t i = 0; i < sizeof(rewritten) / sizeof(rewritten[0]); i++)
		if (strlen(rewritten[i]) == keylen && !strncmp(line, rewritten[i], keylen))
			return true;
	return false;
}

/* Host lines that are not container values come out byte for byte, in order. */
static void check_passthrough(const char *out, const char *what)
{
	char *hk = key_sequence(host_text), *ok_ = key_sequence(out);
	is_str(ok_, hk, "%s: same keys in the host's order", what);
	free(hk);
	free(ok_);

	unsigned same = 0, differ = 0;
	const char *o = out;
	for (const char *h = host_text; *h && *o;) {
		const char *heol = strchrnul(h, '\n'), *oeol = strchrnul(o, '\n');
		const char *colon = memchr(h, ':', (size_t)(heol - h));
		if (!colon || !is_rewritten(h, (size_t)(colon - h))) {
			if (heol - h == oeol - o && !strncmp(h, o, (size_t)(heol - h)))
				same++;
			else
				differ++;
		}
		h = *heol ? heol + 1 : heol;
		o = *oeol ? oeol + 1 : oeol;
	}
	ok(same > 20 && differ == 0, "%s: %u host-only lines unchanged, %u changed", what, same, differ);
}

static void check_fixtures(void)
{
	host_text = tap_fixture("host/meminfo");
	v1_text = tap_fixture("memory-stat/v1");
	v2_text = tap_fixture("memory-stat/v2");
	host_total = host_value(host_text, "MemTotal");
	host_cached = host_value(host_text, "Cached");
	host_slab = host_value(host_text, "Slab");

	char want[128];
	bool all = true;
#define HAS(text, key, val) \
	(snprintf(want, sizeof(want), "\n%s %llu\n", key, (unsigned long long)(val)), \
	 all &= strstr(text, want) != NULL)
	HAS(v2_text, "file", V2_FILE);
	HAS(v2_text, "shmem", V2_SHMEM);
	HAS(v2_text, "zswap", V2_ZSWAP);
	HAS(v2_text, "zswapped", V2_ZSWAPPED);
	HAS(v2_text, "file_mapped", V2_FILE_MAPPED);
	HAS(v2_text, "file_dirty", V2_FILE_DIRTY);
	HAS(v2_text, "file_writeback", V2_FILE_WRITEBACK);
	HAS(v2_text, "anon_thp", V2_ANON_THP);
	HAS(v2_text, "inactive_anon", V2_INACTIVE_ANON);
	HAS(v2_text, "active_anon", V2_ACTIVE_ANON);
	HAS(v2_text, "inactive_file", V2_INACTIVE_FILE);
	HAS(v2_text, "active_file", V2_ACTIVE_FILE);
	HAS(v2_text, "unevictable", V2_UNEVICTABLE);
	HAS(v2_text, "slab_reclaimable", V2_SLAB_RECLAIMABLE);
	HAS(v2_text, "slab_unreclaimable", V2_SLAB_UNRECLAIMABLE);
	HAS(v2_text, "slab", V2_SLAB);
	all &= !strncmp(v2_text, "anon 209715200\n", 15);
	ok(all, "v2 memory.stat fixture holds the numbers this test expects");
	all = true;
	HAS(v1_text, "total_cache", V1_TOTAL_CACHE);
	HAS(v1_text, "total_rss", V1_TOTAL_RSS);
	HAS(v1_text, "total_rss_huge", V1_TOTAL_RSS_HUGE);
	HAS(v1_text, "total_shmem", V1_TOTAL_SHMEM);
	HAS(v1_text, "total_mapped_file", V1_TOTAL_MAPPED_FILE);
	HAS(v1_text, "total_dirty", V1_TOTAL_DIRTY);
	HAS(v1_text, "total_writeback", V1_TOTAL_WRITEBACK);
	HAS(v1_text, "total_inactive_anon", V1_TOTAL_INACTIVE_ANON);
	HAS(v1_text, "total_active_anon", V1_TOTAL_ACTIVE_ANON);
	HAS(v1_text, "total_inactive_file", V1_TOTAL_INACTIVE_FILE);
	HAS(v1_text, "total_active_file", V1_TOTAL_ACTIVE_FILE);
	HAS(v1_text, "total_unevictable", V1_TOTAL_UNEVICTABLE);
#undef HAS
	ok(all, "v1 memory.stat fixture holds the numbers this test expects");
	ok(host_total != UINT64_MAX && host_total > KB(1024 * MIB) && host_cached != UINT64_MAX &&
	   host_slab > 0, "host meminfo fixture: MemTotal %llu kB (more than 1 GiB), Cached, Slab",
	   (unsigned long long)host_total);
}

static void test_v2(void)
{
	struct cg_memory m;
	const uint64_t limit = 256 * MIB, usage = 220 * MIB;

	mem_from(&m, v2_text, 2, limit, usage);
	char *out = render(host_text, &m, false, false);
	uint64_t total = min_u64(KB(limit), host_total);
	uint64_t free_ = total - KB(usage);

	ok(strstr(out, "\nMemTotal:         262144 kB\n") || !strncmp(out, "MemTotal:         262144 kB\n", 28),
	   "v2: MemTotal line in the kernel's layout: \"MemTotal:         262144 kB\"");
	is_u64(tap_kb(out, "MemTotal"), total, "v2: MemTotal = min(memory.max, host MemTotal)");
	is_u64(tap_kb(out, "MemFree"), free_, "v2: MemFree = MemTotal - memory.current");
	is_u64(tap_kb(out, "MemAvailable"),
	       min_u64(free_ + KB(V2_ACTIVE_FILE) + KB(V2_INACTIVE_FILE) + KB(V2_SLAB_RECLAIMABLE), total),
	       "v2: MemAvailable = MemFree + active_file + inactive_file + slab_reclaimable");
	is_u64(tap_kb(out, "Buffers"), 0, "v2: Buffers 0");
	is_u64(tap_kb(out, "Cached"), KB(V2_FILE), "v2: Cached = file");
	is_u64(tap_kb(out, "SwapCached"), 0, "v2: SwapCached 0");
	is_u64(tap_kb(out, "Active"), KB(V2_ACTIVE_ANON) + KB(V2_ACTIVE_FILE), "v2: Active = active_anon + active_file");
	is_u64(tap_kb(out, "Inactive"), KB(V2_INACTIVE_ANON) + KB(V2_INACTIVE_FILE),
	       "v2: Inactive = inactive_anon + inactive_file");
	is_u64(tap_kb(out, "Active(anon)"), KB(V2_ACTIVE_ANON), "v2: Active(anon)");
	is_u64(tap_kb(out, "Inactive(anon)"), KB(V2_INACTIVE_ANON), "v2: Inactive(anon)");
	is_u64(tap_kb(out, "Active(file)"), KB(V2_ACTIVE_FILE), "v2: Active(file)");
	is_u64(tap_kb(out, "Inactive(file)"), KB(V2_INACTIVE_FILE), "v2: Inactive(file)");
	is_u64(tap_kb(out, "Unevictable"), KB(V2_UNEVICTABLE), "v2: Unevictable");
	is_u64(tap_kb(out, "AnonPages"), KB(V2_ANON), "v2: AnonPages = anon");
	is_u64(tap_kb(out, "Mapped"), KB(V2_FILE_MAPPED), "v2: Mapped = file_mapped (lxcfs lost it)");
	is_u64(tap_kb(out, "AnonHugePages"), KB(V2_ANON_THP), "v2: AnonHugePages = anon_thp");
	is_u64(tap_kb(out, "Shmem"), KB(V2_SHMEM), "v2: Shmem = shmem");
	is_u64(tap_kb(out, "Dirty"), KB(V2_FILE_DIRTY), "v2: Dirty = file_dirty");
	is_u64(tap_kb(out, "Writeback"), KB(V2_FILE_WRITEBACK), "v2: Writeback = file_writeback");
	is_u64(tap_kb(out, "Slab"), KB(V2_SLAB), "v2: Slab = slab");
	is_u64(tap_kb(out, "SReclaimable"), KB(V2_SLAB_RECLAIMABLE), "v2: SReclaimable = slab_reclaimable");
	is_u64(tap_kb(out, "SUnreclaim"), KB(V2_SLAB_UNRECLAIMABLE), "v2: SUnreclaim = slab_unreclaimable");
	is_u64(tap_kb(out, "Zswap"), KB(V2_ZSWAP), "v2: Zswap = zswap");
	is_u64(tap_kb(out, "Zswapped"), KB(V2_ZSWAPPED), "v2: Zswapped = zswapped");
	is_u64(tap_kb(out, "SwapTotal"), 0, "v2 without swap accounting: SwapTotal 0");
	is_u64(tap_kb(out, "SwapFree"), 0, "v2 without swap accounting: SwapFree 0");
	is_u64(tap_kb(out, "KReclaimable"), host_value(host_text, "KReclaimable"), "v2: KReclaimable is the host's");
	ok(tap_count_prefix(out, "Mapped:          ") == 1 && tap_count_prefix(out, "Cached:          ") == 1,
	   "v2: rewritten lines keep the 16-column key field, once each");
	check_passthrough(out, "v2");
	ok(out[0] && out[strlen(out) - 1] == '\n', "v2: output ends with a newline");
	free(out);

	out = render(host_text, &m, false, true);
	is_u64(tap_kb(out, "Zswap"), 0, "v2 with -z: Zswap 0");
	is_u64(tap_kb(out, "Zswapped"), 0, "v2 with -z: Zswapped 0");
	is_u64(tap_kb(out, "Cached"), KB(V2_FILE), "v2 with -z: other values unchanged");
	free(out);
}

static void test_v1(void)
{
	struct cg_memory m;
	const uint64_t limit = 256 * MIB, usage = 200 * MIB;

	mem_from(&m, v1_text, 1, limit, usage);
	char *out = render(host_text, &m, false, false);
	uint64_t total = min_u64(KB(limit), host_total);
	uint64_t free_ = total - KB(usage);

	is_u64(tap_kb(out, "MemTotal"), total, "v1: MemTotal = min(limit_in_bytes, host)");
	is_u64(tap_kb(out, "MemFree"), free_, "v1: MemFree = MemTotal - usage_in_bytes");
	is_u64(tap_kb(out, "MemAvailable"),
	       min_u64(free_ + KB(V1_TOTAL_ACTIVE_FILE) + KB(V1_TOTAL_INACTIVE_FILE), total),
	       "v1: MemAvailable = MemFree + total_active_file + total_inactive_file");
	is_u64(tap_kb(out, "Cached"), KB(V1_TOTAL_CACHE), "v1: Cached = total_cache (not the cgroup's own cache)");
	is_u64(tap_kb(out, "Buffers"), 0, "v1: Buffers 0");
	is_u64(tap_kb(out, "SwapCached"), 0, "v1: SwapCached 0");
	is_u64(tap_kb(out, "AnonPages"), KB(V1_TOTAL_RSS), "v1: AnonPages = total_rss");
	is_u64(tap_kb(out, "AnonHugePages"), KB(V1_TOTAL_RSS_HUGE), "v1: AnonHugePages = total_rss_huge (lxcfs lost it)");
	is_u64(tap_kb(out, "Mapped"), KB(V1_TOTAL_MAPPED_FILE), "v1: Mapped = total_mapped_file");
	is_u64(tap_kb(out, "Shmem"), KB(V1_TOTAL_SHMEM), "v1: Shmem = total_shmem");
	is_u64(tap_kb(out, "Dirty"), KB(V1_TOTAL_DIRTY), "v1: Dirty = total_dirty");
	is_u64(tap_kb(out, "Writeback"), KB(V1_TOTAL_WRITEBACK), "v1: Writeback = total_writeback");
	is_u64(tap_kb(out, "Active"), KB(V1_TOTAL_ACTIVE_ANON) + KB(V1_TOTAL_ACTIVE_FILE), "v1: Active");
	is_u64(tap_kb(out, "Inactive"), KB(V1_TOTAL_INACTIVE_ANON) + KB(V1_TOTAL_INACTIVE_FILE), "v1: Inactive");
	is_u64(tap_kb(out, "Active(anon)"), KB(V1_TOTAL_ACTIVE_ANON), "v1: Active(anon)");
	is_u64(tap_kb(out, "Inactive(anon)"), KB(V1_TOTAL_INACTIVE_ANON), "v1: Inactive(anon)");
	is_u64(tap_kb(out, "Active(file)"), KB(V1_TOTAL_ACTIVE_FILE), "v1: Active(file)");
	is_u64(tap_kb(out, "Inactive(file)"), KB(V1_TOTAL_INACTIVE_FILE), "v1: Inactive(file)");
	is_u64(tap_kb(out, "Unevictable"), KB(V1_TOTAL_UNEVICTABLE), "v1: Unevictable");
	is_u64(tap_kb(out, "Slab"), 0, "v1: Slab 0 (v1 memory.stat has no slab; not the host's)");
	is_u64(tap_kb(out, "SReclaimable"), 0, "v1: SReclaimable 0");
	is_u64(tap_kb(out, "SUnreclaim"), 0, "v1: SUnreclaim 0");
	is_u64(tap_kb(out, "Zswap"), 0, "v1: Zswap 0");
	is_u64(tap_kb(out, "Zswapped"), 0, "v1: Zswapped 0");
	check_passthrough(out, "v1");
	free(out);
}

static void test_limits(void)
{
	struct cg_memory m;
	char *out;

	/* Usage above the limit (v1 allows it briefly; v2 memory.high). */
	mem_from(&m, v2_text, 2, 256 * MIB, 300 * MIB);
	out = render(host_text, &m, false, false);
	is_u64(tap_kb(out, "MemFree"), 0, "usage above the limit: MemFree 0, not a wrapped huge number");
	ok(tap_kb(out, "MemAvailable") <= tap_kb(out, "MemTotal"), "usage above the limit: MemAvailable <= MemTotal");
	free(out);

	/* A small limit: free + reclaimable exceeds it. */
	mem_from(&m, v2_text, 2, 64 * MIB, 16 * MIB);
	out = render(host_text, &m, false, false);
	is_u64(tap_kb(out, "MemTotal"), KB(64 * MIB), "64 MiB limit: MemTotal 65536 kB");
	is_u64(tap_kb(out, "MemAvailable"), KB(64 * MIB), "64 MiB limit: MemAvailable capped at MemTotal");
	free(out);

	/* No limit known. */
	mem_from(&m, v2_text, 2, 256 * MIB, 220 * MIB);
	m.have_limit = false;
	out = render(host_text, &m, false, false);
	is_u64(tap_kb(out, "MemTotal"), host_total, "unknown limit: host MemTotal");
	is_u64(tap_kb(out, "MemFree"), host_total - KB(220 * MIB), "unknown limit: MemFree = host MemTotal - usage");
	free(out);

	/* "max" as read from memory.max. */
	uint64_t lim = 0;
	ok(parse_limit("max\n", &lim), "memory.max \"max\" parses");
	mem_from(&m, v2_text, 2, lim, 220 * MIB);
	out = render(host_text, &m, false, false);
	is_u64(tap_kb(out, "MemTotal"), host_total, "memory.max \"max\": host MemTotal");
	free(out);

	/* v1's unlimited value. */
	ok(parse_limit("9223372036854771712\n", &lim), "v1 unlimited parses");
	mem_from(&m, v1_text, 1, lim, 200 * MIB);
	out = render(host_text, &m, false, false);
	is_u64(tap_kb(out, "MemTotal"), host_total, "v1 limit_in_bytes 9223372036854771712: host MemTotal");
	is_u64(tap_kb(out, "MemFree"), host_total - KB(200 * MIB), "v1 unlimited: MemFree = host MemTotal - usage");
	free(out);

	/* A limit larger than the host. */
	mem_from(&m, v2_text, 2, (host_total + 1000) * 1024, 220 * MIB);
	out = render(host_text, &m, false, false);
	is_u64(tap_kb(out, "MemTotal"), host_total, "limit above host memory: host MemTotal");
	free(out);
}

static void test_fallbacks(void)
{
	struct cg_memory m;
	char *out;

	/* One garbage value: only it falls back to the host's. */
	char *bad = replace_line(v2_text, "file 104857600", "file abc");
	ok(strstr(bad, "\nfile abc\n") != NULL, "garbage fixture built");
	mem_from(&m, bad, 2, 256 * MIB, 220 * MIB);
	out = render(host_text, &m, false, false);
	is_u64(tap_kb(out, "Cached"), min_u64(host_cached, KB(256 * MIB)), "\"file abc\": Cached is the host's");
	is_u64(tap_kb(out, "Mapped"), KB(V2_FILE_MAPPED), "\"file abc\": Mapped still from file_mapped");
	is_u64(tap_kb(out, "AnonPages"), KB(V2_ANON), "\"file abc\": AnonPages still from anon");
	is_u64(tap_kb(out, "Active(file)"), KB(V2_ACTIVE_FILE), "\"file abc\": Active(file) still from active_file");
	free(out);

	/* Same, with a limit below the host's Cached: capped at MemTotal. */
	uint64_t small = host_cached * 1024 / 2 / 4096 * 4096;
	mem_from(&m, bad, 2, small, small / 4);
	out = render(host_text, &m, false, false);
	is_u64(tap_kb(out, "Cached"), KB(small), "\"file abc\" under a limit below host Cached: Cached = MemTotal");
	free(out);
	free(bad);

	/* Unreadable memory.stat: every counter is the host's, capped. */
	ok(!mem_stat_parse("", 2, &m), "empty memory.stat is unusable");
	ok(!mem_stat_parse("garbage\nmore garbage\n", 2, &m), "garbage memory.stat is unusable");
	mem_from(&m, "", 2, 256 * MIB, 220 * MIB);
	out = render(host_text, &m, false, false);
	is_u64(tap_kb(out, "Cached"), min_u64(host_cached, KB(256 * MIB)), "no memory.stat: Cached is the host's");
	is_u64(tap_kb(out, "Slab"), min_u64(host_slab, KB(256 * MIB)), "no memory.stat: Slab is the host's");
	is_u64(tap_kb(out, "MemTotal"), KB(256 * MIB), "no memory.stat: MemTotal still from the limit");
	free(out);

	/* An older kernel without zswap keys: its cgroups have no zswap. */
	char *old = replace_line(v2_text, "zswap 1572864", NULL);
	char *old2 = replace_line(old, "zswapped 6291456", NULL);
	char *zhost = replace_line(host_text, "Zswap:                 0 kB", "Zswap:              4096 kB");
	mem_from(&m, old2, 2, 256 * MIB, 220 * MIB);
	out = render(zhost, &m, false, false);
	is_u64(tap_kb(out, "Zswap"), 0, "memory.stat without a zswap key: Zswap 0, not the host's");
	is_u64(tap_kb(out, "Cached"), KB(V2_FILE), "memory.stat without a zswap key: Cached still file");
	free(out);
	free(old);
	free(old2);
	free(zhost);

	/* Unknown usage: the host's used memory. */
	mem_from(&m, v2_text, 2, 256 * MIB, 0);
	m.have_usage = false;
	out = render(host_text, &m, false, false);
	uint64_t host_used = host_total - host_value(host_text, "MemFree");
	uint64_t total = KB(256 * MIB);
	is_u64(tap_kb(out, "MemFree"), total > host_used ? total - host_used : 0,
	       "unknown usage: MemFree from the host's used memory");
	free(out);
}

int main(void)
{
	check_fixtures();
	test_v2();
	test_v1();
	test_limits();
	test_fallbacks();
	free(host_text);
	free(v1_text);
	free(v2_text);
	return tap_done();
}
