/* The metrics' counters: kept in a memfd that a successor process (after a
 * crash, an upgrade) continues, summed over the threads' blocks, never
 * shown going back; the causes of fallbacks; the file; the memfd handed
 * over. Expected values are worked out by hand in the comments. */
#include "tap.h"

#include "cgroup/cgroup.h"
#include "fs/files.h"
#include "metrics/metrics.h"
#include "serve/fdstore.h"
#include "serve/handoff.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_causes(void)
{
	struct {
		const char *cause;
		enum metrics_cause want;
	} cases[] = {
		{ strerror(ENOENT), CAUSE_MISSING },
		{ "empty file", CAUSE_EMPTY },
		{ strerror(ENODATA), CAUSE_EMPTY },
		{ "value out of range", CAUSE_HUGE },
		{ "unparsable content", CAUSE_GARBAGE },
		{ "unparsable CPU list", CAUSE_GARBAGE },
		{ "no known key", CAUSE_GARBAGE },
		{ "no usable usage_usec", CAUSE_GARBAGE },
		{ "unreadable or zero", CAUSE_UNREADABLE },
		{ strerror(EACCES), CAUSE_UNREADABLE },
		{ strerror(EIO), CAUSE_UNREADABLE },
		{ strerror(EBUSY), CAUSE_OTHER },
		{ "something new", CAUSE_OTHER },
		{ NULL, CAUSE_OTHER },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_u64(metrics_fallback_cause(cases[i].cause), cases[i].want, "cause '%s' is counted as %d",
		       cases[i].cause ? cases[i].cause : "(null)", cases[i].want);

	is_str(cg_bad_content(""), "empty file", "an empty file");
	is_str(cg_bad_content(" \n"), "empty file", "a file of blanks is empty");
	is_str(cg_bad_content("12abc\n"), "unparsable content", "12abc is garbage");
	is_str(cg_bad_content("-5\n"), "unparsable content", "-5 (for an unsigned value) is garbage");
	is_str(cg_bad_content("99999999999999999999999\n"), "value out of range", "23 nines are too large");
	is_str(cg_bad_content("-99999999999999999999\n"), "value out of range", "so are 20 negative ones");
	is_str(cg_bad_content("99999999999999999999999x"), "unparsable content", "too large and garbage: garbage");
}

/* proc/meminfo's row of the table. */
static const struct vfile *meminfo(void)
{
	for (size_t i = 0; i < nr_vfiles; i++)
		if (!strcmp(vfiles[i].dir, "proc") && !strcmp(vfiles[i].name, "meminfo"))
			return &vfiles[i];
	return &vfiles[0];
}

/* The line of `text` that starts with `prefix`, or "". */
static const char *line_of(const char *text, const char *prefix, char *buf, size_t len)
{
	size_t pl = strlen(prefix);
	buf[0] = '\0';
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, prefix, pl)) {
			size_t n = strcspn(l, "\n");
			snprintf(buf, len, "%.*s", (int)n, l);
			break;
		}
	}
	return buf;
}

static void rendered(struct strbuf *out)
{
	sb_reset(out);
	metrics_render(out);
}

/* Every family has one HELP and one TYPE, before its samples, which are
 * contiguous. */
static bool well_formed(const char *text)
{
	char fam[128] = "", done[64][128];
	unsigned ndone = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char name[128];
		if (!strncmp(l, "# HELP ", 7)) {
			sscanf(l + 7, "%127s", name);
			for (unsigned i = 0; i < ndone; i++)
				if (!strcmp(done[i], name))
					return false;
			if (ndone == 64)
				return false;
			snprintf(done[ndone++], sizeof(done[0]), "%s", name);
			snprintf(fam, sizeof(fam), "%s", name);
			continue;
		}
		if (!strncmp(l, "# TYPE ", 7)) {
			sscanf(l + 7, "%127s", name);
			if (strcmp(name, fam))
				return false;
			continue;
		}
		if (strncmp(l, fam, strlen(fam)))
			return false;
	}
	return ndone > 0;
}

static void test_counters(void)
{
	struct strbuf out = STRBUF_INIT;
	char buf[256];
	int fd = memfd_create("test-metrics", MFD_CLOEXEC);
	ok(fd >= 0, "a memfd, as the supervisor makes");
	metrics_attach(fd, metrics_register_files);
	struct stat st = { 0 };
	int r = fstat(fd, &st);
	ok(r == 0 && st.st_size > 0, "laid out in the memfd (%lld bytes)", (long long)st.st_size);

	/* A request thread: its own block. */
	metrics_thread(0);
	for (int i = 0; i < 5; i++)
		metrics_vfile_read(meminfo(), 0);
	is_u64(metrics_vfile_read(meminfo(), -EIO), (uint64_t)-EIO, "a read's result is passed through");
	metrics_cache(false);
	metrics_add(MI_LATENCY + 2, 1);           /* one request of 30 us */
	metrics_add(MI_LATENCY + 5, 2);           /* two of 400 us */
	metrics_add(MI_LATENCY_SUM_NS, 830000);   /* 30 + 2 * 400 us */
	/* A thread without a block of its own (the sampler): block 0. */
	metrics_thread(1000);
	metrics_cache_hit(true);
	metrics_cache_hit(false); /* not counted: the later lookup decides */
	metrics_cache(true);
	metrics_fallback(strerror(ENOENT));
	metrics_fallback("unparsable content");
	metrics_fallback("unparsable content");
	metrics_read(METRICS_FILE_CGROUP, 0);

	rendered(&out);
	const char *text = sb_str(&out);
	ok(well_formed(text), "each family once, HELP and TYPE first, samples together");
	is_str(line_of(text, "cviewfs_reads_total{file=\"proc/meminfo\"}", buf, sizeof(buf)),
	       "cviewfs_reads_total{file=\"proc/meminfo\"} 6", "6 reads of meminfo");
	is_str(line_of(text, "cviewfs_read_errors_total{file=\"proc/meminfo\"}", buf, sizeof(buf)),
	       "cviewfs_read_errors_total{file=\"proc/meminfo\"} 1", "1 of them failed");
	is_str(line_of(text, "cviewfs_reads_total{file=\"cgroup\"}", buf, sizeof(buf)),
	       "cviewfs_reads_total{file=\"cgroup\"} 1", "the cgroupfs view is one label");
	is_str(line_of(text, "cviewfs_render_cache_hits_total ", buf, sizeof(buf)),
	       "cviewfs_render_cache_hits_total 2", "2 cache hits (blocks summed)");
	is_str(line_of(text, "cviewfs_render_cache_misses_total ", buf, sizeof(buf)),
	       "cviewfs_render_cache_misses_total 1", "1 miss");
	is_str(line_of(text, "cviewfs_host_fallbacks_total{cause=\"missing\"}", buf, sizeof(buf)),
	       "cviewfs_host_fallbacks_total{cause=\"missing\"} 1", "a missing file");
	is_str(line_of(text, "cviewfs_host_fallbacks_total{cause=\"garbage\"}", buf, sizeof(buf)),
	       "cviewfs_host_fallbacks_total{cause=\"garbage\"} 2", "2 garbage files");
	is_str(line_of(text, "cviewfs_host_fallbacks_total{cause=\"huge\"}", buf, sizeof(buf)),
	       "cviewfs_host_fallbacks_total{cause=\"huge\"} 0", "every cause is shown, 0 too");
	/* Cumulative: 0 up to 25 us, 1 from 50 us, 3 from 500 us. */
	const char *hist[][2] = {
		{ "0.00001", "0" }, { "0.000025", "0" }, { "0.00005", "1" }, { "0.0001", "1" },
		{ "0.00025", "1" }, { "0.0005", "3" },   { "0.001", "3" },   { "+Inf", "3" },
	};
	unsigned wrong = 0;
	for (size_t i = 0; i < sizeof(hist) / sizeof(hist[0]); i++) {
		char prefix[96], want[128];
		snprintf(prefix, sizeof(prefix), "cviewfs_request_duration_seconds_bucket{le=\"%s\"}", hist[i][0]);
		snprintf(want, sizeof(want), "%s %s", prefix, hist[i][1]);
		if (strcmp(line_of(text, prefix, buf, sizeof(buf)), want)) {
			printf("# got '%s', want '%s'\n", buf, want);
			wrong++;
		}
	}
	ok(wrong == 0, "the latency buckets are cumulative");
	is_str(line_of(text, "cviewfs_request_duration_seconds_sum", buf, sizeof(buf)),
	       "cviewfs_request_duration_seconds_sum 0.00083", "the sum in seconds: 830 us");
	is_str(line_of(text, "cviewfs_request_duration_seconds_count", buf, sizeof(buf)),
	       "cviewfs_request_duration_seconds_count 3", "the count is the +Inf bucket");
	ok(strstr(text, "# TYPE cviewfs_request_duration_seconds histogram\n") != NULL, "typed histogram");
	ok(strstr(text, "# TYPE cviewfs_containers_tracked gauge\n") != NULL, "containers tracked: a gauge");
	ok(strstr(text, "cviewfs_start_time_seconds ") && !strstr(text, "cviewfs_start_time_seconds 0\n"),
	   "the start time is set");

	/* The guard: a counter shown is never shown lower. */
	metrics_set(MI_RESTARTS, 5);
	rendered(&out);
	is_str(line_of(sb_str(&out), "cviewfs_serving_process_restarts_total", buf, sizeof(buf)),
	       "cviewfs_serving_process_restarts_total 5", "restarts 5");
	metrics_set(MI_RESTARTS, 2);
	metrics_set(MI_RCACHE_ENTRIES, 9);
	rendered(&out);
	is_str(line_of(sb_str(&out), "cviewfs_serving_process_restarts_total", buf, sizeof(buf)),
	       "cviewfs_serving_process_restarts_total 5", "a counter that went back in memory is still shown 5");
	is_str(line_of(sb_str(&out), "cviewfs_render_cache_entries", buf, sizeof(buf)),
	       "cviewfs_render_cache_entries 9", "a gauge is shown as it is");
	metrics_set(MI_RCACHE_ENTRIES, 4);
	rendered(&out);
	is_str(line_of(sb_str(&out), "cviewfs_render_cache_entries", buf, sizeof(buf)),
	       "cviewfs_render_cache_entries 4", "... also when it goes down");
	metrics_set(MI_RESTARTS, 5);

	/* A successor (the same memfd, attached again) continues. */
	unsigned meminfo_id = metrics_vfile_id(meminfo()), meminfo_slot = metrics_slot[MI_READS + meminfo_id];
	metrics_detach();
	metrics_vfile_read(meminfo(), 0); /* between processes: counted nowhere, harmless */
	metrics_attach(fd, metrics_register_files);
	is_u64(metrics_slot[MI_READS + meminfo_id], meminfo_slot, "a successor finds meminfo's series where it was");
	is_u64(metrics_value(meminfo_slot), 6, "... with its 6 reads");
	metrics_thread(1);
	metrics_vfile_read(meminfo(), 0);
	is_u64(metrics_value(meminfo_slot), 7, "and counts on from there, in another thread's block");
	/* A release with another metric: a new slot; the old ones keep theirs. */
	unsigned fresh = metrics_register("cviewfs_test_new_total", "", "", "New", PROM_COUNTER, 0);
	ok(fresh > 0 && fresh != meminfo_slot, "a new series gets a slot of its own (%u)", fresh);
	is_u64(metrics_register("cviewfs_reads_total", "", "file=\"proc/meminfo\"", "other words", PROM_COUNTER, 0),
	       meminfo_slot, "registering an existing series finds it, whatever its help");
	rendered(&out);
	ok(well_formed(sb_str(&out)) && strstr(sb_str(&out), "cviewfs_test_new_total 0\n"),
	   "the new series is rendered in its own family");
	metrics_detach();
	close(fd);

	/* No memfd (an older supervisor): private memory, still counting. */
	metrics_attach(-1, metrics_register_files);
	metrics_thread(0);
	metrics_vfile_read(meminfo(), 0);
	rendered(&out);
	is_str(line_of(sb_str(&out), "cviewfs_reads_total{file=\"proc/meminfo\"}", buf, sizeof(buf)),
	       "cviewfs_reads_total{file=\"proc/meminfo\"} 1", "without a memfd: private counters");
	metrics_detach();

	/* A memfd of a layout this release does not know: private memory. */
	fd = memfd_create("test-metrics-bad", MFD_CLOEXEC);
	char junk[8192];
	memset(junk, 'x', sizeof(junk));
	ok(fd >= 0 && write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk), "a memfd of junk");
	metrics_attach(fd, metrics_register_files);
	metrics_thread(0);
	metrics_vfile_read(meminfo(), 0);
	rendered(&out);
	is_str(line_of(sb_str(&out), "cviewfs_reads_total{file=\"proc/meminfo\"}", buf, sizeof(buf)),
	       "cviewfs_reads_total{file=\"proc/meminfo\"} 1", "an unknown layout: private counters");
	char head[8];
	ok(pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) && !memcmp(head, "xxxxxxxx", 8),
	   "the unknown layout is left alone");
	metrics_detach();
	close(fd);
	sb_free(&out);
}

static void test_file(void)
{
	char dir[] = "/tmp/test-metrics.XXXXXX";
	ok(mkdtemp(dir) != NULL, "a temporary directory");
	char *path = xasprintf("%s/cviewfs.prom", dir);
	metrics_attach(-1, metrics_register_files);
	metrics_set(MI_RESTARTS, 3);
	metrics_write_file(path);
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644, "written with mode 0644 (%o)",
	   (unsigned)(st.st_mode & 07777));
	FILE *f = fopen(path, "r");
	char text[16384] = "";
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = '\0';
	if (f)
		fclose(f);
	struct strbuf want = STRBUF_INIT;
	metrics_render(&want);
	is_str(text, sb_str(&want), "the file holds the rendering");
	sb_free(&want);
	char *tmp = xasprintf("%s/cviewfs.prom.%ld.tmp", dir, (long)getpid());
	ok(access(tmp, F_OK) < 0, "no temporary file left behind");
	char *bad = xasprintf("%s/no/such/dir/cviewfs.prom", dir);
	metrics_write_file(bad); /* logged once, nothing else */
	ok(access(bad, F_OK) < 0, "a directory that does not exist: nothing written, no crash");
	metrics_detach();
	unlink(path);
	rmdir(dir);
	free(bad);
	free(tmp);
	free(path);

	char *p = metrics_default_path("/run/cviewfs.pid");
	is_str(p, "/run/cviewfs.prom", "the default file is the pid file's with .prom for .pid");
	free(p);
	p = metrics_default_path("/tmp/x/daemon");
	is_str(p, "/tmp/x/daemon.prom", "a pid file without .pid: .prom added");
	free(p);
	p = metrics_default_path("a.pid.pid");
	is_str(p, "a.pid.prom", "only the last .pid is replaced");
	free(p);
}

static void test_handover(void)
{
	struct handoff h;
	handoff_parse_more("inflight=7,metrics=8", &h);
	ok(h.inflight_fd == 7 && h.metrics_fd == 8, "a serving process finds the metrics memfd (8)");
	handoff_parse_more("inflight=7", &h);
	ok(h.inflight_fd == 7 && h.metrics_fd == -1, "an older supervisor hands none: -1");
	ok(h.agent_fd == -1, "nor a seccomp agent channel: -1");
	handoff_parse_more("metrics=x,future=3,metrics=9", &h);
	ok(h.inflight_fd == -1 && h.metrics_fd == 9, "malformed and unknown fields are skipped");
	handoff_parse_more("inflight=7,metrics=8,agent=11", &h);
	ok(h.agent_fd == 11, "a serving process finds the seccomp agent's channel (11)");
	h = (struct handoff){ .inflight_fd = 5, .metrics_fd = 6, .agent_fd = 0 };
	char *s = handoff_format_more(&h);
	is_str(s, "inflight=5,metrics=6,agent=0", "and formats it");
	free(s);

	struct reexec r = { .fds = HELD_FDS_NONE };
	r.fds.metrics = 11;
	s = reexec_format_more(&r);
	is_str(s, "metrics=11", "a supervisor re-executing itself passes its metrics memfd");
	r.fds.metrics = -1;
	reexec_parse_more(s, &r);
	is_u64(r.fds.metrics, 11, "and the new image takes it");
	reexec_parse_more(NULL, &r);
	ok(r.fds.metrics == -1, "an older supervisor passed none");
	free(s);
}

int main(void)
{
	test_causes();
	test_counters();
	test_file();
	test_handover();
	return tap_done();
}
