/* Per-container load averages, computed as the kernel computes its own
 * (kernel/sched/loadavg.c): fixed point with 11 fractional bits, one sample
 * of the number of runnable + uninterruptible threads every 5 seconds.
 *
 * Only containers that read /proc/loadavg recently are sampled: a state is
 * made at the first read and forgotten LOADAVG_KEEP seconds after the last
 * one. No I/O here: the sampler (fs/loadavg.c) counts the threads. */
#ifndef CVIEWFS_LOADAVG_H
#define CVIEWFS_LOADAVG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

#define LOADAVG_FSHIFT 11
#define LOADAVG_FIXED_1 (1UL << LOADAVG_FSHIFT)
#define LOADAVG_EXP_1 1884UL
#define LOADAVG_EXP_5 2014UL
#define LOADAVG_EXP_15 2037UL
#define LOADAVG_INTERVAL 5.0
#define LOADAVG_KEEP 600.0
/* Containers older than this at their first read start at their current
 * number of active threads instead of 0. */
#define LOADAVG_WARM_AGE 60.0

/* One step of the kernel's calc_load() on all three averages. */
void loadavg_step(unsigned long avenrun[3], unsigned active);
/* "0.52 0.31 0.12" as the kernel prints it (rounded to 2 digits). */
void loadavg_format(const unsigned long avenrun[3], char *buf, size_t len);

/* The registry of sampled containers, keyed by cgroup. */
struct loadavg_key_list {
	char **keys; /* into arena */
	size_t n, cap;
	struct strbuf arena;
};

/* Records a read of container `key` at time `now`; a new container starts
 * with all three averages at `active` threads, and its averages are copied
 * to avenrun. Returns true if it was new. */
bool loadavg_read(const char *key, double now, unsigned active, unsigned long avenrun[3]);
/* The containers to sample now, a batch at a time: those of the registry's
 * buckets from *cursor (0 for the first batch) on, until `want` keys or
 * the last bucket; *cursor is moved past them. Forgets those unread for
 * LOADAVG_KEEP. False once no bucket is left (then `out` is empty). `out`
 * is kept from one call to the next (zeroed before the first): the
 * sampler's memory is one batch's, however many containers there are. */
bool loadavg_due_batch(double now, size_t *cursor, size_t want, struct loadavg_key_list *out);
void loadavg_key_list_free(struct loadavg_key_list *l);
/* Folds one sample into container `key` (ignored if it was forgotten). */
void loadavg_sample(const char *key, unsigned active);
unsigned loadavg_count(void);
void loadavg_forget_all(void);

/* Carrying the averages over to a successor process, as text (like
 * cpustat_save/cpustat_restore). */
void loadavg_save(struct strbuf *out);
unsigned loadavg_restore(const char *text, double now);

#endif
