/* The Prometheus text exposition format (version 0.0.4, what node_exporter's
 * textfile collector reads), and the request latency histogram's buckets.
 *
 * Pure: no I/O, no clock. The samples come from metrics.c, which sums the
 * counter blocks; the histogram's bucket search is what a request pays. */
#ifndef CVIEWFS_PROM_H
#define CVIEWFS_PROM_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM };

/* One sample line: FAMILY SUFFIX {LABELS} VALUE. */
struct prom_sample {
	const char *family; /* "cviewfs_reads_total" */
	const char *suffix; /* "", or a histogram's "_bucket", "_sum", "_count" */
	const char *labels; /* "file=\"proc/meminfo\"", or "" for none */
	const char *help;   /* of the family: one line */
	enum prom_type type;
	uint64_t value;
	unsigned decimals;  /* value is in units of 10^-decimals (9: ns shown as s) */
};

/* value / 10^decimals in decimal, exactly, without trailing zeros after the
 * point ("0.0015", "3", "12.5"); decimals <= 18. */
void prom_value(char *buf, size_t len, uint64_t value, unsigned decimals);

/* Appends the samples to out: each family's HELP and TYPE once, then all of
 * its samples in the order given, families in the order of their first
 * sample. A sample whose family is "" is skipped. */
void prom_render(struct strbuf *out, const struct prom_sample *s, size_t n);

/* ---- request latency ----
 * Buckets of an observation in ns: bucket i holds those <= hist_bounds_ns[i]
 * (and above the bound before); the last bucket is +Inf. Stored per bucket
 * (not cumulative: a request adds to one); the `le` buckets of the
 * exposition are their running sums. */
#define HIST_BUCKETS 13
extern const uint64_t hist_bounds_ns[HIST_BUCKETS - 1];

static inline unsigned hist_bucket(uint64_t ns)
{
	unsigned i = 0;
	while (i < HIST_BUCKETS - 1 && ns > hist_bounds_ns[i])
		i++;
	return i;
}

/* The `le` label value of bucket i, in seconds ("0.00001", ..., "+Inf"). */
void hist_le(unsigned i, char *buf, size_t len);

#endif
