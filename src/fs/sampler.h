/* The load-average sampler (-l): a thread that every 5 seconds counts the
 * runnable and uninterruptible threads of each container that read
 * /proc/loadavg recently, and folds the count into its averages. */
#ifndef CVIEWFS_SAMPLER_H
#define CVIEWFS_SAMPLER_H

struct cgroups;

/* Most threads counted per container per sample. */
#define SAMPLER_MAX_TASKS 100000

int sampler_start(const struct cgroups *cg);
/* Stops at once (does not wait for the current 5 s period to end). */
void sampler_stop(void);

#endif
