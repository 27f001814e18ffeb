/* The swap a container sees (SPEC 4 "Swap"): /proc/swaps and the
 * SwapTotal/SwapFree lines of /proc/meminfo, which must always agree. */
#include "tap.h"

#include "render/render.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (UINT64_C(1) << 20)
#define HEADER "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n"

/* host/meminfo-swap: the captured host with 8 GiB of swap, 256 MiB used. */
#define HOST_SWAP_TOTAL 8388604
#define HOST_SWAP_FREE 8126460

static char *host_swap_meminfo;

static char *swaps_of(const struct swap_view *sv)
{
	struct strbuf sb = STRBUF_INIT;
	render_swaps(&sb, sv);
	char *s = xstrdup(sb_str(&sb));
	sb_free(&sb);
	return s;
}

static void view(const struct cg_memory *m, bool swap_off, struct swap_view *sv)
{
	sv->total_kb = sv->used_kb = 12345; /* must be overwritten */
	swap_view_compute(m, HOST_SWAP_TOTAL, HOST_SWAP_FREE, swap_off, sv);
}

/* v2: memory.swap.max / memory.swap.current. */
static void v2_mem(struct cg_memory *m, uint64_t swap_max, uint64_t swap_current)
{
	memset(m, 0, sizeof(*m));
	m->have_limit = true;
	m->limit = 512 * MIB;
	m->have_usage = true;
	m->usage = 200 * MIB;
	m->swap_accounting = true;
	m->swap_limit = swap_max;
	m->have_swap_usage = true;
	m->swap_usage = swap_current;
	m->swappiness = -1;
}

/* v1: what cg_read_memory makes of the memsw (RAM+swap) files. */
static void v1_mem(struct cg_memory *m, uint64_t limit, uint64_t memsw_limit, uint64_t usage,
		   uint64_t memsw_usage, int swappiness)
{
	memset(m, 0, sizeof(*m));
	m->have_limit = true;
	m->limit = limit;
	m->have_usage = true;
	m->usage = usage;
	m->swap_accounting = true;
	m->swap_limit = memsw_limit - limit;
	m->have_swap_usage = true;
	m->swap_usage = memsw_usage - usage;
	m->swappiness = swappiness;
}

/* Checks swaps text: header, and either nothing or one "none" line with
 * the given size and use. */
static void check_swaps(const char *text, uint64_t total, uint64_t used, const char *what)
{
	size_t hl = strlen(HEADER);
	ok(!strncmp(text, HEADER, hl), "%s: swaps starts with the kernel's header", what);
	if (!total) {
		is_str(text, HEADER, "%s: swaps is the header only", what);
		return;
	}
	const char *dev = text + hl;
	char name[64], type[64];
	unsigned long long size = 0, use = 0;
	int prio = -1, n = 0;
	int fields = sscanf(dev, "%63s %63s %llu %llu %d%n", name, type, &size, &use, &prio, &n);
	bool good = fields == 5 && !strcmp(name, "none") && !strcmp(type, "virtual") && size == total &&
		    use == used && prio == 0 && !strcmp(dev + n, "\n");
	if (!ok(good, "%s: one device line \"none virtual %llu %llu 0\"", what, (unsigned long long)total,
		(unsigned long long)used))
		printf("#   device line: '%s'\n", dev);
	ok(!strncmp(dev, "none ", 5) && strstr(dev, "virtual\t") != NULL && tap_count_prefix(text, "none") == 1,
	   "%s: device line starts with \"none\", blank-padded, tab after virtual", what);
}

static void test_no_accounting(void)
{
	struct cg_memory m;
	struct swap_view sv;

	v2_mem(&m, 256 * MIB, 20 * MIB);
	m.swap_accounting = false;
	view(&m, false, &sv);
	is_u64(sv.total_kb, 0, "no swap accounting: SwapTotal 0 (not the host's)");
	is_u64(sv.used_kb, 0, "no swap accounting: nothing used");
	char *s = swaps_of(&sv);
	is_str(s, "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n", "no swap accounting: exact header, no device");
	free(s);
}

static void test_v2_limits(void)
{
	struct cg_memory m;
	struct swap_view sv;
	char *s;

	v2_mem(&m, 256 * MIB, 20 * MIB);
	view(&m, false, &sv);
	is_u64(sv.total_kb, 256 * MIB / 1024, "memory.swap.max 256 MiB: SwapTotal 262144 kB");
	is_u64(sv.used_kb, 20 * MIB / 1024, "memory.swap.current 20 MiB: 20480 kB used");
	s = swaps_of(&sv);
	check_swaps(s, 256 * MIB / 1024, 20 * MIB / 1024, "v2 256 MiB");
	char want[128];
	snprintf(want, sizeof(want), "%-40svirtual\t\t%llu\t%llu\t0\n", "none",
		 (unsigned long long)(256 * MIB / 1024), (unsigned long long)(20 * MIB / 1024));
	is_str(s + strlen(HEADER), want, "v2 256 MiB: lxcfs's exact device line layout");
	free(s);

	v2_mem(&m, UINT64_MAX, 20 * MIB);
	view(&m, false, &sv);
	is_u64(sv.total_kb, HOST_SWAP_TOTAL, "memory.swap.max max: host SwapTotal");
	is_u64(sv.used_kb, 20 * MIB / 1024, "memory.swap.max max: the container's own use");

	v2_mem(&m, (uint64_t)(HOST_SWAP_TOTAL + 4096) * 1024, 20 * MIB);
	view(&m, false, &sv);
	is_u64(sv.total_kb, HOST_SWAP_TOTAL, "swap limit above the host's swap: host SwapTotal");

	v2_mem(&m, 256 * MIB, 300 * MIB);
	view(&m, false, &sv);
	is_u64(sv.total_kb, 256 * MIB / 1024, "swap use above the limit: SwapTotal is the limit");
	is_u64(sv.used_kb, 256 * MIB / 1024, "swap use above the limit: used clamped to SwapTotal");
	s = swaps_of(&sv);
	check_swaps(s, 256 * MIB / 1024, 256 * MIB / 1024, "use above limit");
	free(s);

	v2_mem(&m, 0, 0);
	view(&m, false, &sv);
	is_u64(sv.total_kb, 0, "memory.swap.max 0: no swap");
	s = swaps_of(&sv);
	is_str(s, HEADER, "memory.swap.max 0: swaps header only");
	free(s);

	v2_mem(&m, 256 * MIB, 0);
	m.have_swap_usage = false;
	view(&m, false, &sv);
	ok(sv.total_kb == 256 * MIB / 1024 && sv.used_kb <= sv.total_kb,
	   "unknown swap use: SwapTotal still the limit, used within it (%llu kB)", (unsigned long long)sv.used_kb);

	struct swap_view none;
	v2_mem(&m, 256 * MIB, 20 * MIB);
	swap_view_compute(&m, 0, 0, false, &none);
	is_u64(none.total_kb, 0, "host without swap: a swap limit gives no swap");
}

static void test_v1(void)
{
	struct cg_memory m;
	struct swap_view sv;

	/* limit 512 MiB, memsw 768 MiB: 256 MiB of swap; 200 MiB RAM, 220 MiB RAM+swap used. */
	v1_mem(&m, 512 * MIB, 768 * MIB, 200 * MIB, 220 * MIB, 60);
	view(&m, false, &sv);
	is_u64(sv.total_kb, (768 - 512) * MIB / 1024, "v1: SwapTotal = memsw limit - memory limit");
	is_u64(sv.used_kb, (220 - 200) * MIB / 1024, "v1: swap used = memsw usage - memory usage");
	char *s = swaps_of(&sv);
	check_swaps(s, 256 * MIB / 1024, 20 * MIB / 1024, "v1");
	free(s);

	v1_mem(&m, 512 * MIB, 512 * MIB, 200 * MIB, 200 * MIB, 60);
	view(&m, false, &sv);
	is_u64(sv.total_kb, 0, "v1 memsw limit == memory limit: no swap allowed, none shown");

	/* swappiness 0, nothing swapped: no swap at all. */
	v1_mem(&m, 512 * MIB, 768 * MIB, 200 * MIB, 200 * MIB, 0);
	view(&m, false, &sv);
	is_u64(sv.total_kb, 0, "swappiness 0, none used: SwapTotal 0");
	s = swaps_of(&sv);
	is_str(s, HEADER, "swappiness 0, none used: swaps header only");
	free(s);

	/* swappiness 0, 12 MiB swapped before it was set: a full 12 MiB device. */
	v1_mem(&m, 512 * MIB, 768 * MIB, 200 * MIB, 212 * MIB, 0);
	view(&m, false, &sv);
	is_u64(sv.total_kb, 12 * MIB / 1024, "swappiness 0, 12 MiB used: device exactly 12 MiB");
	is_u64(sv.used_kb, 12 * MIB / 1024, "swappiness 0, 12 MiB used: 100%% full");
	s = swaps_of(&sv);
	check_swaps(s, 12 * MIB / 1024, 12 * MIB / 1024, "swappiness 0 with use");
	free(s);

	/* Unlimited memsw. */
	memset(&m, 0, sizeof(m));
	m.have_limit = m.have_usage = m.swap_accounting = m.have_swap_usage = true;
	m.limit = m.swap_limit = UINT64_MAX;
	m.usage = 100 * MIB;
	m.swap_usage = 4 * MIB;
	m.swappiness = 60;
	view(&m, false, &sv);
	is_u64(sv.total_kb, HOST_SWAP_TOTAL, "v1 unlimited memsw: host SwapTotal");
	is_u64(sv.used_kb, 4 * MIB / 1024, "v1 unlimited memsw: the container's own use");
}

static void test_disabled(void)
{
	struct cg_memory m;
	struct swap_view sv;

	v2_mem(&m, 256 * MIB, 20 * MIB);
	view(&m, true, &sv);
	ok(sv.total_kb == 0 && sv.used_kb == 0, "-u: no swap even with accounting");
	char *s = swaps_of(&sv);
	is_str(s, HEADER, "-u: swaps header only");
	free(s);

	v1_mem(&m, 512 * MIB, 768 * MIB, 200 * MIB, 212 * MIB, 0);
	view(&m, true, &sv);
	is_u64(sv.total_kb, 0, "-u beats swappiness 0 with use");
}

/* meminfo and swaps rendered from the same inputs agree. */
static void check_agree(const struct cg_memory *m, bool swap_off, const char *what)
{
	struct strbuf mi = STRBUF_INIT;
	struct meminfo_input in = { .host_meminfo = host_swap_meminfo, .mem = m, .swap_disabled = swap_off };
	render_meminfo(&mi, &in);

	uint64_t host_total = 0, host_free = 0;
	/* The fixture's numbers, as this file's constants claim. */
	host_total = tap_kb(host_swap_meminfo, "SwapTotal");
	host_free = tap_kb(host_swap_meminfo, "SwapFree");
	struct swap_view sv;
	swap_view_compute(m, host_total, host_free, swap_off, &sv);
	char *s = swaps_of(&sv);

	unsigned long long size = 0, used = 0;
	const char *dev = s + strlen(HEADER);
	bool has_dev = sscanf(dev, "none virtual %llu %llu", &size, &used) == 2;
	uint64_t st = tap_kb(sb_str(&mi), "SwapTotal"), sf = tap_kb(sb_str(&mi), "SwapFree");
	ok(st == (has_dev ? size : 0) && sf == (has_dev ? size - used : 0),
	   "%s: meminfo SwapTotal %llu / SwapFree %llu agree with swaps (%llu size, %llu used)", what,
	   (unsigned long long)st, (unsigned long long)sf, size, used);
	ok(sf <= st, "%s: SwapFree <= SwapTotal", what);
	free(s);
	sb_free(&mi);
}

static void test_meminfo_agrees(void)
{
	struct cg_memory m;

	host_swap_meminfo = tap_fixture("host/meminfo-swap");
	ok(tap_kb(host_swap_meminfo, "SwapTotal") == HOST_SWAP_TOTAL &&
	   tap_kb(host_swap_meminfo, "SwapFree") == HOST_SWAP_FREE, "meminfo-swap fixture has 8 GiB of swap");

	v2_mem(&m, 256 * MIB, 20 * MIB);
	check_agree(&m, false, "v2 256 MiB");
	struct strbuf mi = STRBUF_INIT;
	struct meminfo_input in = { .host_meminfo = host_swap_meminfo, .mem = &m };
	render_meminfo(&mi, &in);
	is_u64(tap_kb(sb_str(&mi), "SwapTotal"), 256 * MIB / 1024, "meminfo SwapTotal = min(swap.max, host)");
	is_u64(tap_kb(sb_str(&mi), "SwapFree"), (256 - 20) * MIB / 1024, "meminfo SwapFree = SwapTotal - swap.current");
	sb_free(&mi);
	check_agree(&m, true, "v2 256 MiB with -u");
	v2_mem(&m, UINT64_MAX, 20 * MIB);
	check_agree(&m, false, "v2 unlimited");
	v2_mem(&m, 256 * MIB, 300 * MIB);
	check_agree(&m, false, "v2 use above limit");
	v1_mem(&m, 512 * MIB, 768 * MIB, 200 * MIB, 212 * MIB, 0);
	check_agree(&m, false, "v1 swappiness 0 with use");
	v1_mem(&m, 512 * MIB, 768 * MIB, 200 * MIB, 200 * MIB, 0);
	check_agree(&m, false, "v1 swappiness 0 without use");
	m.swap_accounting = false;
	check_agree(&m, false, "no accounting");
	free(host_swap_meminfo);
}

int main(void)
{
	test_no_accounting();
	test_v2_limits();
	test_v1();
	test_disabled();
	test_meminfo_agrees();
	return tap_done();
}
