/* The cgroup layer on fixture trees of the three layouts (SPEC 2-3):
 * tests/fixtures/cgroup/{v1,v2,hybrid,none}. */
#include "tap.h"

#include "cgroup/cgroup.h"
#include "host/host.h"
#include "render/render.h"
#include "util/cpumask.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB (UINT64_C(1) << 20)

static struct cgroups cg_v1, cg_v2, cg_hybrid;

static int open_tree(struct cgroups *cg, const char *rel)
{
	char *root = tap_fixture_path(rel);
	struct strbuf err = STRBUF_INIT;
	int r = cgroups_open(cg, root, &err);
	if (r < 0)
		printf("# cgroups_open(%s): %s\n", root, sb_str(&err));
	sb_free(&err);
	free(root);
	return r;
}

/* The same path in every hierarchy. */
static void paths_all(struct cg_paths *p, const char *path)
{
	for (int c = 0; c < CG_NR_CONTROLLERS; c++)
		p->v1[c] = xstrdup(path);
	p->v2 = xstrdup(path);
}

static void read_mem_swap(const struct cgroups *cg, const char *path, bool with_swap, struct cg_memory *m)
{
	struct cg_paths p;
	paths_all(&p, path);
	memset(m, 0x5a, sizeof(*m)); /* garbage that must all be overwritten */
	cg_read_memory(cg, &p, with_swap, m);
	cg_paths_free(&p);
}

static void read_mem(const struct cgroups *cg, const char *path, struct cg_memory *m)
{
	read_mem_swap(cg, path, true, m);
}

static char *read_cpus(const struct cgroups *cg, const char *path)
{
	struct cg_paths p;
	struct cpumask mask = CPUMASK_INIT;
	struct strbuf sb = STRBUF_INIT;
	char *s = NULL;

	paths_all(&p, path);
	if (cg_read_cpus(cg, &p, &mask)) {
		cpumask_format(&mask, &sb);
		s = xstrdup(sb_str(&sb));
	}
	cpumask_free(&mask);
	sb_free(&sb);
	cg_paths_free(&p);
	return s;
}

static bool read_usage(const struct cgroups *cg, const char *path, uint64_t *ns)
{
	struct cg_paths p;
	paths_all(&p, path);
	bool r = cg_read_cpu_usage_ns(cg, &p, ns);
	cg_paths_free(&p);
	return r;
}

static bool nothing_known(const struct cg_memory *m)
{
	bool none = !m->have_limit && !m->have_usage && !m->swap_accounting && !m->have_swap_usage &&
		    m->have_stat == 0 && m->swappiness == -1;
	if (!none)
		printf("#   have_limit %d (%llu) have_usage %d (%llu) swap_accounting %d (%llu) "
		       "have_swap_usage %d have_stat %#x swappiness %d\n",
		       m->have_limit, (unsigned long long)m->limit, m->have_usage, (unsigned long long)m->usage,
		       m->swap_accounting, (unsigned long long)m->swap_limit, m->have_swap_usage,
		       (unsigned)m->have_stat, m->swappiness);
	return none;
}

static const uint32_t all_stats = (1u << MS_NR) - 1;

static void test_layouts(void)
{
	ok(open_tree(&cg_v1, "cgroup/v1") == 0, "v1 tree opens");
	is_str(cg_layout_name(cg_v1.layout), "v1", "v1 tree is detected as v1");
	bool all_v1 = true;
	for (int c = 0; c < CG_NR_CONTROLLERS; c++)
		all_v1 &= cg_v1.v1_fd[c] >= 0 && !cg_v1.on_v2[c];
	ok(all_v1 && cg_v1.v2_fd < 0, "v1: every controller on its own v1 hierarchy, no cgroup2");

	ok(open_tree(&cg_v2, "cgroup/v2") == 0, "v2 tree opens");
	is_str(cg_layout_name(cg_v2.layout), "v2", "v2 tree (cgroup.controllers at the root) is detected as v2");
	bool all_v2 = cg_v2.v2_fd >= 0;
	for (int c = 0; c < CG_NR_CONTROLLERS; c++)
		all_v2 &= cg_v2.on_v2[c] && cg_v2.v1_fd[c] < 0;
	ok(all_v2, "v2: every controller served by the unified tree (blkio as io, cpuacct as cpu.stat)");

	ok(open_tree(&cg_hybrid, "cgroup/hybrid") == 0, "hybrid tree opens");
	is_str(cg_layout_name(cg_hybrid.layout), "hybrid", "v1 dirs plus unified/ is detected as hybrid");
	ok(cg_hybrid.v1_fd[CG_MEMORY] >= 0 && !cg_hybrid.on_v2[CG_MEMORY] && cg_hybrid.v2_fd >= 0,
	   "hybrid: memory on v1, the empty cgroup2 is open");
	struct cg_paths p;
	struct cg_loc loc;
	paths_all(&p, "/c1");
	ok(!cg_locate(&cg_hybrid, &p, CG_PIDS, &loc),
	   "hybrid: a controller neither v1 nor unified has (pids) is not located");
	ok(cg_locate(&cg_hybrid, &p, CG_MEMORY, &loc) && loc.version == 1, "hybrid: memory is located on v1");
	cg_paths_free(&p);

	struct cgroups none;
	struct strbuf err = STRBUF_INIT;
	char *root = tap_fixture_path("cgroup/none");
	ok(cgroups_open(&none, root, &err) < 0 && none.layout == CG_LAYOUT_NONE && err.len > 0,
	   "a directory with no cgroup in it is refused with a message");
	free(root);
	sb_reset(&err);
	root = tap_fixture_path("cgroup/does-not-exist");
	ok(cgroups_open(&none, root, &err) < 0 && err.len > 0, "a missing cgroup root is refused with a message");
	free(root);
	sb_free(&err);
}

static void test_paths_parse(void)
{
	struct cg_paths p;
	const char *v1 = "12:pids:/lxc/c1\n11:hugetlb:/lxc/c1\n10:net_cls,net_prio:/lxc/c1\n"
			 "9:cpuset:/lxc/c1\n8:devices:/lxc/c1\n7:blkio:/lxc/c1\n6:freezer:/lxc/c1\n"
			 "5:perf_event:/lxc/c1\n4:memory:/a/b\n3:rdma:/\n2:cpu,cpuacct:/x\n"
			 "1:name=systemd:/lxc/c1/init.scope\n";

	ok(cg_paths_parse(v1, &p), "v1 /proc/<pid>/cgroup parses");
	is_str(p.v1[CG_MEMORY], "/a/b", "v1: 4:memory:/a/b");
	is_str(p.v1[CG_CPU], "/x", "v1: comounted 2:cpu,cpuacct:/x gives cpu");
	is_str(p.v1[CG_CPUACCT], "/x", "v1: comounted 2:cpu,cpuacct:/x gives cpuacct");
	is_str(p.v1[CG_CPUSET], "/lxc/c1", "v1: cpuset");
	is_str(p.v1[CG_BLKIO], "/lxc/c1", "v1: blkio");
	is_str(p.v1[CG_PIDS], "/lxc/c1", "v1: pids");
	ok(p.v2 == NULL, "v1: name=systemd is ignored, no v2 path");
	cg_paths_free(&p);

	ok(cg_paths_parse("0::/x\n", &p), "v2 \"0::/x\" parses");
	is_str(p.v2, "/x", "v2: the path");
	bool none_v1 = true;
	for (int c = 0; c < CG_NR_CONTROLLERS; c++)
		none_v1 &= p.v1[c] == NULL;
	ok(none_v1, "v2: no v1 paths");
	cg_paths_free(&p);

	ok(cg_paths_parse("0::/lxc.payload.c1", &p) && p.v2 && !strcmp(p.v2, "/lxc.payload.c1"),
	   "v2 line without trailing newline");
	cg_paths_free(&p);

	ok(!cg_paths_parse("1:name=systemd:/user.slice\n", &p), "only name=systemd: nothing usable");
	ok(!cg_paths_parse("", &p), "empty text: nothing usable");
	ok(!cg_paths_parse("garbage\n::\n4:memory:\n4:memory:relative\n", &p),
	   "garbage, empty and relative paths: nothing usable");

	char *real = tap_fixture("proc/cgroup-hybrid-host");
	ok(cg_paths_parse(real, &p), "a real hybrid host's /proc/self/cgroup parses");
	ok(p.v1[CG_MEMORY] && !strncmp(p.v1[CG_MEMORY], "/process_api/", 13) && p.v2 && !strcmp(p.v2, "/") &&
	   p.v1[CG_CPU] && !strcmp(p.v1[CG_CPU], "/"), "real hybrid: memory in its sub-cgroup, v2 \"/\"");
	cg_paths_free(&p);
	free(real);

	ok(cg_paths_parse("4:memory:/lxc/c1/init.scope\n2:cpu,cpuacct:/lxc/c1\n0::/lxc/c1/init.scope\n", &p),
	   "hybrid text with init.scope parses");
	cg_paths_strip_init_scope(&p);
	is_str(p.v2, "/lxc/c1", "strip: /lxc/c1/init.scope -> /lxc/c1 (v2)");
	is_str(p.v1[CG_MEMORY], "/lxc/c1", "strip: /lxc/c1/init.scope -> /lxc/c1 (v1)");
	is_str(p.v1[CG_CPU], "/lxc/c1", "strip: a path without init.scope is unchanged");
	cg_paths_free(&p);

	const char *cases[][2] = {
		{ "0::/init.scope\n", "/" },
		{ "0::/lxc/c1/init.scope/x\n", "/lxc/c1/init.scope/x" },
		{ "0::/lxc/notinit.scope\n", "/lxc/notinit.scope" },
		{ "0::/\n", "/" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cg_paths_parse(cases[i][0], &p);
		cg_paths_strip_init_scope(&p);
		is_str(p.v2, cases[i][1], "strip: %.*s -> %s", (int)strlen(cases[i][0]) - 4, cases[i][0] + 3,
		       cases[i][1]);
		cg_paths_free(&p);
	}

	struct cg_paths a, b;
	cg_paths_parse("4:memory:/m\n0::/u\n", &a);
	cg_paths_copy(&b, &a);
	cg_paths_free(&a);
	ok(b.v2 && !strcmp(b.v2, "/u") && b.v1[CG_MEMORY] && !strcmp(b.v1[CG_MEMORY], "/m") && !b.v1[CG_CPU],
	   "copy survives freeing the original");
	cg_paths_free(&b);
}

static void test_locate(void)
{
	struct cg_loc loc;
	const char *bad[] = { "/..", "/../../x", "/lxc/..", "/lxc/../../etc", "lxc/c1", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cg_paths p;
		paths_all(&p, bad[i]);
		ok(!cg_locate(&cg_v2, &p, CG_MEMORY, &loc) && !cg_locate(&cg_v1, &p, CG_MEMORY, &loc),
		   "path \"%s\" is refused (v1 and v2)", bad[i]);
		cg_paths_free(&p);
	}
	struct cg_paths p;
	paths_all(&p, "/lxc/..hidden");
	ok(cg_locate(&cg_v2, &p, CG_MEMORY, &loc), "a name starting with \"..\" is a name, not a parent");
	cg_paths_free(&p);

	struct cg_paths unsafe;
	struct cg_memory m;
	paths_all(&unsafe, "/../lxc/c1");
	memset(&m, 0x5a, sizeof(m));
	cg_read_memory(&cg_v2, &unsafe, true, &m);
	ok(nothing_known(&m), "memory of an escaping path: nothing read");
	cg_paths_free(&unsafe);

	struct cg_paths none = { { NULL }, NULL };
	ok(!cg_locate(&cg_v2, &none, CG_MEMORY, &loc) && !cg_locate(&cg_v1, &none, CG_MEMORY, &loc),
	   "no path for the controller: not located");

	paths_all(&p, "/lxc/c1");
	ok(cg_locate(&cg_v2, &p, CG_MEMORY, &loc) && loc.version == 2 && cg_depth(&loc) == 2,
	   "/lxc/c1 on v2: version 2, depth 2");
	struct strbuf sb = STRBUF_INIT;
	ok(cg_read_file(&loc, 1, "memory.max", &sb) == 0 && !strcmp(sb_str(&sb), "536870912\n"),
	   "cg_read_file one level up reads /lxc");
	ok(cg_read_file(&loc, 3, "memory.stat", &sb) == -ENOENT, "cg_read_file past the root is -ENOENT");
	ok(!cg_is_root(&cg_v2, &p, CG_MEMORY), "/lxc/c1 is not the root");
	cg_paths_free(&p);
	paths_all(&p, "/");
	ok(cg_is_root(&cg_v2, &p, CG_MEMORY), "/ is the root");
	cg_paths_free(&p);
	sb_free(&sb);

	/* An empty file read into a fresh buffer is "", whatever the heap held
	 * before (leave stale bytes where the next small buffer comes from). */
	paths_all(&p, "/empty");
	ok(cg_locate(&cg_v2, &p, CG_MEMORY, &loc), "/empty located");
	char *stale = xmalloc(256);
	memset(stale, 'x', 255);
	stale[255] = '\0';
	free(stale);
	struct strbuf fresh = STRBUF_INIT;
	int r = cg_read_file(&loc, 0, "memory.max", &fresh);
	ok(r == 0 && fresh.len == 0 && sb_str(&fresh)[0] == '\0',
	   "an empty cgroup file reads as empty text into a fresh buffer (first byte %#x)",
	   (unsigned)(unsigned char)sb_str(&fresh)[0]);
	sb_free(&fresh);
	cg_paths_free(&p);
}

static void test_memory_v1(void)
{
	struct cg_memory m;

	read_mem(&cg_v1, "/lxc/c1", &m);
	ok(m.have_limit, "v1 /lxc/c1: limit known");
	is_u64(m.limit, 512 * MIB, "v1: effective limit is the parent's 512 MiB (child says 1 GiB)");
	ok(m.have_usage, "v1: usage known");
	is_u64(m.usage, 200 * MIB, "v1: usage from memory.usage_in_bytes");
	ok(m.swap_accounting, "v1: memsw files mean swap accounting");
	is_u64(m.swap_limit, (768 - 512) * MIB, "v1: swap limit = min memsw (768 MiB) - min limit (512 MiB)");
	ok(m.have_swap_usage, "v1: swap usage known");
	is_u64(m.swap_usage, 20 * MIB, "v1: swap used = memsw usage - usage");
	is_u64((uint64_t)m.swappiness, 60, "v1: swappiness");
	is_u64(m.have_stat, all_stats, "v1: every memory.stat item known");
	is_u64(m.stat[MS_FILE], 104857600, "v1: file from total_cache");
	is_u64(m.stat[MS_ANON_THP], 2097152, "v1: anon_thp from total_rss_huge");
	is_u64(m.stat[MS_FILE_MAPPED], 3145728, "v1: file_mapped from total_mapped_file");
	is_u64(m.stat[MS_SLAB], 0, "v1: slab 0");

	/* A host without swap: the container's swap usage is not read. */
	read_mem_swap(&cg_v1, "/lxc/c1", false, &m);
	ok(m.have_limit && m.limit == 512 * MIB && m.have_usage && m.usage == 200 * MIB,
	   "v1 without host swap: memory still read");
	ok(!m.have_swap_usage && m.swappiness == -1, "v1 without host swap: swap usage and swappiness not read");

	read_mem(&cg_v1, "/free", &m);
	ok(m.have_limit && m.limit == UINT64_MAX, "v1 unlimited at every level: limit UINT64_MAX");
	ok(m.swap_accounting && m.swap_limit == UINT64_MAX, "v1 unlimited memsw: swap limit UINT64_MAX");
	is_u64((uint64_t)m.swappiness, 0, "v1: swappiness 0 is read as 0");

	read_mem(&cg_v1, "/noswap", &m);
	ok(m.have_limit && m.limit == 256 * MIB, "v1 without memsw files: limit still read");
	ok(!m.swap_accounting && !m.have_swap_usage, "v1 without memsw files: no swap accounting");

	read_mem(&cg_v1, "/garbage", &m);
	ok(!m.have_limit, "v1 garbage limit_in_bytes: limit unknown");
	ok(m.have_usage && m.usage == 100 * MIB, "v1 garbage limit: usage still read");
	ok(!m.swap_accounting, "v1 garbage memsw limit: no swap accounting");
	ok(m.have_stat == all_stats && m.stat[MS_FILE] == 104857600, "v1 garbage limit: memory.stat still read");

	/* v1 memory.stat's hierarchical_* lines are the kernel's minimum over
	 * the cgroup and its ancestors: used as they are, no limit file read
	 * (this fixture has none). */
	read_mem(&cg_v1, "/hier", &m);
	ok(m.have_limit && m.limit == 128 * MIB, "v1 hierarchical_memory_limit is the limit (no limit file read)");
	ok(m.swap_accounting && m.swap_limit == (192 - 128) * MIB,
	   "v1 hierarchical_memsw_limit means swap accounting; swap limit 64 MiB");
	ok(m.have_swap_usage && m.swap_usage == 10 * MIB, "v1 hierarchical: swap usage from memsw usage");
	/* ... and garbage there falls back to the files. */
	read_mem(&cg_v1, "/hiergarbage", &m);
	ok(m.have_limit && m.limit == 128 * MIB, "v1 garbage hierarchical_memory_limit: limit from the files");
	ok(!m.swap_accounting, "v1 no hierarchical_memsw_limit and no memsw file: no swap accounting");

	read_mem(&cg_v1, "/empty", &m);
	ok(nothing_known(&m), "v1 empty files: nothing known");

	read_mem(&cg_v1, "/lxc/gone", &m);
	ok(nothing_known(&m), "v1 cgroup gone: nothing known");

	read_mem(&cg_hybrid, "/c1", &m);
	ok(m.have_limit && m.limit == 384 * MIB && m.have_usage && m.usage == 100 * MIB,
	   "hybrid: memory read from the v1 hierarchy");
	ok(!m.swap_accounting, "hybrid without memsw files: no swap accounting");
}

static void test_memory_v2(void)
{
	struct cg_memory m;

	read_mem(&cg_v2, "/lxc/c1", &m);
	ok(m.have_limit, "v2 /lxc/c1: limit known (the root has no memory.max)");
	is_u64(m.limit, 512 * MIB, "v2: effective limit is the parent's 512 MiB (child says 1 GiB)");
	ok(m.have_usage && m.usage == 200 * MIB, "v2: usage from memory.current");
	ok(m.swap_accounting, "v2: memory.swap.max means swap accounting");
	is_u64(m.swap_limit, 256 * MIB, "v2: swap limit is the parent's (child says max)");
	ok(m.have_swap_usage && m.swap_usage == 20 * MIB, "v2: swap usage from memory.swap.current");
	is_u64((uint64_t)(int64_t)m.swappiness, (uint64_t)(int64_t)-1, "v2: no swappiness");
	is_u64(m.have_stat, all_stats, "v2: every memory.stat item known");
	read_mem_swap(&cg_v2, "/lxc/c1", false, &m);
	ok(m.have_usage && m.usage == 200 * MIB && !m.have_swap_usage, "v2 without host swap: memory.swap.current not read");
	is_u64(m.stat[MS_FILE], 104857600, "v2: file");
	is_u64(m.stat[MS_FILE_MAPPED], 31457280, "v2: file_mapped");
	is_u64(m.stat[MS_SLAB_RECLAIMABLE], 7340032, "v2: slab_reclaimable");

	read_mem(&cg_v2, "/free", &m);
	ok(m.have_limit && m.limit == UINT64_MAX, "v2 \"max\" at every level: UINT64_MAX");
	ok(m.swap_accounting && m.swap_limit == UINT64_MAX, "v2 swap \"max\": UINT64_MAX");

	read_mem(&cg_v2, "/", &m);
	ok(!m.have_limit || m.limit == UINT64_MAX, "v2 root (no memory.max): no limit");

	read_mem(&cg_v2, "/noswap", &m);
	ok(m.have_limit && m.limit == 256 * MIB, "v2 without memory.swap.max: limit read");
	ok(!m.swap_accounting && !m.have_swap_usage, "v2 without memory.swap.max: no swap accounting");

	read_mem(&cg_v2, "/garbage", &m);
	ok(!m.have_limit, "v2 memory.max \"12abc\": limit unknown");
	ok(m.have_usage && m.usage == 100 * MIB, "v2 garbage limit: usage still read");

	read_mem(&cg_v2, "/empty", &m);
	ok(nothing_known(&m), "v2 empty files: nothing known");

	read_mem(&cg_v2, "/lxc/gone", &m);
	ok(nothing_known(&m), "v2 cgroup gone: nothing known");

	/* What a reader of a vanished container gets: the host's file, whole. */
	char *host = tap_fixture("host/meminfo");
	struct strbuf sb = STRBUF_INIT;
	struct meminfo_input in = { .host_meminfo = host, .mem = &m };
	render_meminfo(&sb, &in);
	ok(tap_kb(sb_str(&sb), "MemTotal") == tap_kb(host, "MemTotal") &&
	   tap_count_prefix(sb_str(&sb), "") == tap_count_prefix(host, ""),
	   "cgroup gone: meminfo is the host's MemTotal, every line present");
	sb_free(&sb);
	free(host);
}

static void test_cpus(void)
{
	char *s;

	s = read_cpus(&cg_v1, "/lxc/c1");
	is_str(s, "2-5", "v1: empty cpuset files walk up to the parent's 2-5");
	free(s);
	s = read_cpus(&cg_v1, "/lxc/pinned");
	is_str(s, "3", "v1: a cgroup's own cpuset");
	free(s);
	s = read_cpus(&cg_v1, "/");
	is_str(s, "0-7", "v1: the root cpuset");
	free(s);
	s = read_cpus(&cg_v2, "/lxc/c1");
	is_str(s, "2-5", "v2: no cpuset files (controller not enabled) walk up to the parent");
	free(s);
	s = read_cpus(&cg_v2, "/free");
	is_str(s, "0-7", "v2: empty cpuset files walk up to the root");
	free(s);
	s = read_cpus(&cg_hybrid, "/c1");
	is_str(s, "1-2", "hybrid: cpuset from v1");
	free(s);
	s = read_cpus(&cg_v2, "/../x");
	ok(s == NULL, "escaping path: no CPUs");
	free(s);

	uint64_t ns = 0;
	ok(read_usage(&cg_v1, "/lxc/c1", &ns) && ns == 123456789012ULL, "v1: CPU time from cpuacct.usage (ns)");
	ok(read_usage(&cg_v2, "/lxc/c1", &ns) && ns == 123456789ULL * 1000, "v2: CPU time from cpu.stat usage_usec * 1000");
	ok(read_usage(&cg_hybrid, "/c1", &ns) && ns == 5000000000ULL, "hybrid: CPU time from v1 cpuacct.usage");
	ok(!read_usage(&cg_v1, "/lxc/garbage", &ns), "v1 garbage cpuacct.usage: unknown");
	ok(!read_usage(&cg_v2, "/garbage", &ns), "v2 cpu.stat without usage_usec: unknown");
	ok(!read_usage(&cg_v2, "/empty", &ns), "v2 empty cpu.stat: unknown");
	ok(!read_usage(&cg_v2, "/lxc/gone", &ns), "v2 cgroup gone: unknown");
}

/* Collects the ids cg_list_each gives, as "a,b,c"; stops after `stop`. */
struct ids {
	struct strbuf text;
	unsigned left;
};

static bool collect_id(pid_t id, void *arg)
{
	struct ids *ids = arg;
	sb_printf(&ids->text, "%s%d", ids->text.len ? "," : "", (int)id);
	return --ids->left > 0;
}

static void check_list(const char *list, unsigned stop, bool want_ok, const char *want, const char *what)
{
	struct ids ids = { STRBUF_INIT, stop };
	bool r = cg_list_each(list, collect_id, &ids);
	ok(r == want_ok && !strcmp(sb_str(&ids.text), want), "%s (got %s)", what, sb_str(&ids.text));
	sb_free(&ids.text);
}

static void test_list(void)
{
	check_list("1\n42\n4001\n", 100, true, "1,42,4001", "cgroup.procs: every id");
	check_list("", 100, true, "", "an empty list");
	check_list("1\n42\n4001\n", 2, false, "1,42", "stops when fn says so");
	check_list("7\nx\n0\n-3\n8", 100, true, "7,8", "garbage, 0 and negative lines are skipped");
	/* Seen while adding the fuzz target (tests/fuzz/fuzz_cgroup_procs.c). */
	check_list("4294967297\n99999999999999999999\n5\n", 100, true, "5",
		   "ids beyond pid_t are skipped, not wrapped to 1 or -1");
	check_list("5\n\v\n6\n", 100, true, "5,6", "a blank line does not take the next line's id");
}

int main(void)
{
	char *proc = tap_fixture_path("proc");
	char *sys = tap_fixture_path("sys-none");
	char *cg = tap_fixture_path("cgroup/v2");
	setenv("CVIEWFS_TEST_PROC_ROOT", proc, 1);
	setenv("CVIEWFS_TEST_SYS_ROOT", sys, 1);
	setenv("CVIEWFS_TEST_CGROUP_ROOT", cg, 1);
	struct strbuf err = STRBUF_INIT;
	if (host_init(&err) < 0 || !host()->fixture) {
		printf("Bail out! host_init: %s (is the build configured with -Dtest_roots=true?)\n", sb_str(&err));
		return 1;
	}
	sb_free(&err);
	free(proc);
	free(sys);
	free(cg);

	test_layouts();
	test_paths_parse();
	test_locate();
	test_memory_v1();
	test_memory_v2();
	test_cpus();
	test_list();
	cgroups_close(&cg_v1);
	cgroups_close(&cg_v2);
	cgroups_close(&cg_hybrid);
	host_fini();
	return tap_done();
}
