/* The Prometheus text renderer, the latency histogram (its buckets, the
 * quantiles the toolkit estimates from it) and a metrics file read back.
 * Every expected value is worked out by hand in the comments. */
#include "tap.h"

#include "metrics/prom.h"
#include "metrics/promread.h"
#include "util/strbuf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void test_value(void)
{
	char buf[64];
	struct {
		uint64_t v;
		unsigned decimals;
		const char *want;
	} cases[] = {
		{ 0, 0, "0" },
		{ 42, 0, "42" },
		{ UINT64_MAX, 0, "18446744073709551615" },
		{ 0, 9, "0" },
		{ 1500000, 9, "0.0015" },          /* 1.5 ms in ns */
		{ 12871727, 9, "0.012871727" },
		{ 3000000000ULL, 9, "3" },
		{ 12500000000ULL, 9, "12.5" },
		{ 1, 9, "0.000000001" },
		{ 1000000001, 9, "1.000000001" },
		{ 250, 2, "2.5" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		prom_value(buf, sizeof(buf), cases[i].v, cases[i].decimals);
		is_str(buf, cases[i].want, "%llu at 10^-%u prints as %s", (unsigned long long)cases[i].v,
		       cases[i].decimals, cases[i].want);
	}
}

static void test_buckets(void)
{
	/* Bounds 10us 25us 50us 100us 250us 500us 1ms 2.5ms 5ms 10ms 25ms 50ms +Inf;
	 * a bucket holds what is <= its bound. */
	is_u64(hist_bucket(0), 0, "0 ns: the 10 us bucket");
	is_u64(hist_bucket(10000), 0, "exactly 10 us: still the 10 us bucket (le is inclusive)");
	is_u64(hist_bucket(10001), 1, "10.001 us: the 25 us bucket");
	is_u64(hist_bucket(30000), 2, "30 us: the 50 us bucket");
	is_u64(hist_bucket(1000000), 6, "1 ms: the 1 ms bucket");
	is_u64(hist_bucket(1000001), 7, "just over 1 ms: the 2.5 ms bucket");
	is_u64(hist_bucket(50000000), 11, "50 ms: the 50 ms bucket");
	is_u64(hist_bucket(50000001), 12, "over 50 ms: +Inf");
	is_u64(hist_bucket(UINT64_MAX), 12, "the largest time: +Inf");

	char le[32];
	const char *want[HIST_BUCKETS] = { "0.00001", "0.000025", "0.00005", "0.0001", "0.00025",
					   "0.0005",  "0.001",    "0.0025",  "0.005",  "0.01",
					   "0.025",   "0.05",     "+Inf" };
	unsigned wrong = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		hist_le(i, le, sizeof(le));
		if (strcmp(le, want[i])) {
			printf("# bucket %u: le %s, want %s\n", i, le, want[i]);
			wrong++;
		}
	}
	ok(wrong == 0, "the le labels are 0.00001 ... 0.05 and +Inf");
}

static void test_render(void)
{
	struct prom_sample s[] = {
		{ "t_reads_total", "", "file=\"a\"", "Reads", PROM_COUNTER, 3, 0 },
		{ "t_temp", "", "", "A gauge\\with a backslash\nand a newline", PROM_GAUGE, 42, 0 },
		{ "t_reads_total", "", "file=\"b\"", "Reads", PROM_COUNTER, 0, 0 },
		{ "", "", "", "the sink", PROM_COUNTER, 7, 0 },
		{ "t_lat_seconds", "_bucket", "le=\"0.1\"", "Latency", PROM_HISTOGRAM, 1, 0 },
		{ "t_lat_seconds", "_bucket", "le=\"+Inf\"", "Latency", PROM_HISTOGRAM, 2, 0 },
		{ "t_lat_seconds", "_sum", "", "Latency", PROM_HISTOGRAM, 1250000000, 9 },
		{ "t_lat_seconds", "_count", "", "Latency", PROM_HISTOGRAM, 2, 0 },
	};
	const char *want =
		"# HELP t_reads_total Reads\n"
		"# TYPE t_reads_total counter\n"
		"t_reads_total{file=\"a\"} 3\n"
		"t_reads_total{file=\"b\"} 0\n"
		"# HELP t_temp A gauge\\\\with a backslash\\nand a newline\n"
		"# TYPE t_temp gauge\n"
		"t_temp 42\n"
		"# HELP t_lat_seconds Latency\n"
		"# TYPE t_lat_seconds histogram\n"
		"t_lat_seconds_bucket{le=\"0.1\"} 1\n"
		"t_lat_seconds_bucket{le=\"+Inf\"} 2\n"
		"t_lat_seconds_sum 1.25\n"
		"t_lat_seconds_count 2\n";
	struct strbuf out = STRBUF_INIT;
	prom_render(&out, s, sizeof(s) / sizeof(s[0]));
	is_str(sb_str(&out), want,
	       "families grouped in order of first sample, HELP escaped, the sink skipped, ns as seconds");
	sb_reset(&out);
	prom_render(&out, s, 0);
	is_str(sb_str(&out), "", "no samples: nothing");
	sb_free(&out);
}

static bool near(double got, double want)
{
	return fabs(got - want) < 1e-12;
}

static void test_quantile(void)
{
	double le[] = { 0.01, 0.025, 0.05, INFINITY };
	double cum[] = { 10, 30, 40, 40 };
	/* q 0.5: rank 20 falls in (0.01, 0.025] holding 20, 10 below:
	 * 0.01 + 0.015 * 10/20 = 0.0175. */
	double q = hist_quantile(le, cum, 4, 0.5);
	ok(near(q, 0.0175), "p50 interpolated within its bucket: %g (0.0175)", q);
	/* q 0.99: rank 39.6 in (0.025, 0.05] holding 10, 30 below:
	 * 0.025 + 0.025 * 9.6/10 = 0.049. */
	q = hist_quantile(le, cum, 4, 0.99);
	ok(near(q, 0.049), "p99: %g (0.049)", q);
	/* q 0.25: rank 10, all of the first bucket, which starts at 0. */
	q = hist_quantile(le, cum, 4, 0.25);
	ok(near(q, 0.01), "a rank at the top of the first bucket: its bound, %g", q);
	double cum_inf[] = { 1, 1, 1, 5 };
	q = hist_quantile(le, cum_inf, 4, 0.5);
	ok(near(q, 0.05), "a rank in +Inf: the largest finite bound, %g", q);
	double none[] = { 0, 0, 0, 0 };
	ok(isnan(hist_quantile(le, none, 4, 0.5)), "no observation: NaN");
}

static void test_read_back(void)
{
	const char *text =
		"# HELP cviewfs_reads_total Reads\n"
		"# TYPE cviewfs_reads_total counter\n"
		"cviewfs_reads_total{file=\"proc/meminfo\"} 20\n"
		"cviewfs_reads_total{file=\"proc/uptime\"} 12\n"
		"cviewfs_odd{a=\"x,y\",file=\"q\\\"uote\"} 1.5\n"
		"garbage line without a value\n"
		"lat_bucket{le=\"0.01\"} 10\n"
		"lat_bucket{le=\"0.05\"} 40\n"
		"lat_bucket{le=\"+Inf\"} 40\n"
		"lat_bucket{le=\"0.025\"} 30\n"
		"lat_count 40\n";
	struct prom_text t;
	ok(prom_parse(text, &t) == 0, "a metrics file parses");
	is_u64(t.n, 8, "8 sample lines (comments and the line without a value skipped)");
	bool found;
	ok(prom_sum(&t, "cviewfs_reads_total", &found) == 32 && found, "reads summed over files: 20 + 12");
	prom_sum(&t, "cviewfs_nothing", &found);
	ok(!found, "an absent name is reported absent");
	char v[64];
	ok(t.n > 2 && prom_label(&t.v[2], "file", v, sizeof(v)) && !strcmp(v, "q\"uote"),
	   "a label after one with a comma, with an escaped quote: %s", v);
	ok(t.n > 2 && prom_label(&t.v[2], "a", v, sizeof(v)) && !strcmp(v, "x,y"), "a label with a comma: %s", v);
	ok(t.n > 2 && !prom_label(&t.v[2], "le", v, sizeof(v)), "an absent label");
	ok(near(t.v[2].value, 1.5), "a fractional value");
	/* The buckets out of order: sorted by le, the same as test_quantile. */
	double q = prom_quantile(&t, "lat", 0.5);
	ok(near(q, 0.0175), "p50 from the file's buckets: %g (0.0175)", q);
	ok(isnan(prom_quantile(&t, "cviewfs_reads", 0.5)), "no such histogram: NaN");
	prom_text_free(&t);
}

int main(void)
{
	test_value();
	test_buckets();
	test_render();
	test_quantile();
	test_read_back();
	return tap_done();
}
