#include "fs/sampler.h"
#include "cgroup/cgroup.h"
#include "metrics/metrics.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/thread.h"
#include "view/loadavg.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* A sampled container's cgroup directory, kept open from one sample to the
 * next: a taskstats request names the cgroup by a descriptor, and opening it
 * by path every 5 s is most of a sample's cost. Used by the sampler thread
 * only. */
struct kept_dir {
	struct kept_dir *next;
	unsigned round; /* the last sample that used it */
	int fd;         /* -1 while the cgroup cannot be opened */
	char key[];
};

#define KEPT_BUCKETS 1024

/* Containers are sampled a batch at a time: the sampler's memory is one
 * batch's, whatever the number of containers. */
#define SAMPLE_BATCH 32

static struct {
	struct kept_dir *bucket[KEPT_BUCKETS];
	unsigned count, max; /* descriptors: a share of RLIMIT_NOFILE */
	unsigned round;
	/* Reused from batch to batch: no allocation per sample. */
	struct loadavg_key_list due;
	struct kept_dir **dirs;      /* per due key, or NULL */
	struct cgstats_item *items;  /* the kept dirs asked about in one go */
	size_t cap;
} kept;

static struct {
	const struct cgroups *cg;
	struct cgstats cgstats; /* taskstats netlink, when the kernel has it */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, stop;
} smp = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct kept_dir *kept_find(const char *key, size_t b)
{
	for (struct kept_dir *k = kept.bucket[b]; k; k = k->next)
		if (!strcmp(k->key, key))
			return k;
	return NULL;
}

/* The kept directory of key, made on first use; NULL past the descriptor
 * budget or when taskstats cannot count the cgroup (v2). */
static struct kept_dir *kept_get(const char *key)
{
	size_t b = str_hash(key) % KEPT_BUCKETS;
	struct kept_dir *k = kept_find(key, b);
	if (!k) {
		if (kept.count >= kept.max)
			return NULL;
		int fd = cg_open_key_dir(smp.cg, key);
		if (fd < 0)
			return NULL;
		size_t len = strlen(key) + 1;
		k = xmalloc(sizeof(*k) + len);
		memcpy(k->key, key, len);
		k->fd = fd;
		k->next = kept.bucket[b];
		kept.bucket[b] = k;
		kept.count++;
	}
	k->round = kept.round;
	return k;
}

/* Closes the directories of containers no longer sampled (forgotten), or
 * all of them. */
static void kept_sweep(bool all)
{
	for (size_t b = 0; b < KEPT_BUCKETS; b++) {
		for (struct kept_dir **pp = &kept.bucket[b]; *pp;) {
			struct kept_dir *k = *pp;
			if (!all && k->round == kept.round) {
				pp = &k->next;
				continue;
			}
			*pp = k->next;
			if (k->fd >= 0)
				close(k->fd);
			free(k);
			kept.count--;
		}
	}
}

/* The kept descriptor did not count: a cgroup with no thread at all may
 * have been removed (only an empty one can be), and maybe created again
 * under the same path, which the old descriptor would never see; a
 * removed directory has no files left, so then it is opened again. */
static bool kept_counted(struct kept_dir *k, const struct cgstats_item *it, uint64_t *active)
{
	if (it->r == 0 && (it->tasks > 0 || faccessat(k->fd, "tasks", F_OK, AT_SYMLINK_NOFOLLOW) == 0)) {
		*active = it->active;
		return true;
	}
	uint64_t tasks;
	if (k->fd >= 0)
		close(k->fd);
	k->fd = cg_open_key_dir(smp.cg, k->key);
	return k->fd >= 0 && cgstats_count(&smp.cgstats, k->fd, active, &tasks) == 0;
}

static void reserve_due(size_t n)
{
	if (n <= kept.cap)
		return;
	kept.cap = n + n / 2;
	kept.dirs = xrealloc(kept.dirs, kept.cap * sizeof(*kept.dirs));
	kept.items = xrealloc(kept.items, kept.cap * sizeof(*kept.items));
}

/* One batch of due containers: those with a kept directory counted
 * through taskstats in one go, the others (v2, no taskstats, past the
 * budget, gone) by path. */
static void sample_batch(const struct loadavg_key_list *due)
{
	size_t n = due->n, asked = 0;
	reserve_due(n);
	for (size_t i = 0; i < n; i++) {
		struct kept_dir *k = smp.cgstats.sock >= 0 ? kept_get(due->keys[i]) : NULL;
		kept.dirs[i] = k;
		if (k && k->fd >= 0)
			kept.items[asked++] = (struct cgstats_item){ .dirfd = k->fd, .r = -EBADF };
	}
	cgstats_count_many(&smp.cgstats, kept.items, asked);
	asked = 0;
	for (size_t i = 0; i < n; i++) {
		struct kept_dir *k = kept.dirs[i];
		struct cgstats_item none = { .dirfd = -1, .r = -EBADF };
		const struct cgstats_item *it = k && k->fd >= 0 ? &kept.items[asked++] : &none;
		uint64_t active;
		bool counted = k ? kept_counted(k, it, &active) : false;
		if (!counted)
			counted = cg_count_active_key(smp.cg, &smp.cgstats, due->keys[i], &active);
		/* A container whose threads cannot be counted (gone) keeps its
		 * averages until it is forgotten. */
		if (counted)
			loadavg_sample(due->keys[i], active > UINT32_MAX ? UINT32_MAX : (unsigned)active);
	}
}

static void sample_all(void)
{
	double now = monotonic_s();
	size_t cursor = 0;

	kept.round++;
	while (loadavg_due_batch(now, &cursor, SAMPLE_BATCH, &kept.due))
		sample_batch(&kept.due);
	kept_sweep(false);
}

static void *sampler_main(void *arg)
{
	struct timespec next;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&smp.lock);
	while (!smp.stop) {
		next.tv_sec += (time_t)LOADAVG_INTERVAL;
		/* Sleep to the next tick of a fixed 5 s grid, so the sampling
		 * period does not drift with the sampling cost. */
		while (!smp.stop && pthread_cond_timedwait(&smp.wake, &smp.lock, &next) != ETIMEDOUT)
			;
		if (smp.stop)
			break;
		pthread_mutex_unlock(&smp.lock);
		uint64_t cost = metrics_sample_begin();
		sample_all();
		metrics_sample_end(cost);
		pthread_mutex_lock(&smp.lock);
	}
	pthread_mutex_unlock(&smp.lock);
	return NULL;
}

int sampler_start(const struct cgroups *cg)
{
	pthread_condattr_t attr;

	smp.cg = cg;
	smp.stop = false;
	/* Kept directories may use an eighth of the descriptors, as the
	 * reader's kept files do: the rest is for pidfds and per-read files. */
	struct rlimit rl;
	kept.max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
			   ? (unsigned)(rl.rlim_cur / 8)
			   : 128;
	int e = cgstats_open(&smp.cgstats);
	log_info("loadavg: counting threads through %s",
		 e == 0 ? "taskstats (cgroup v1) where possible" : "/proc (no taskstats)");
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&smp.wake, &attr);
	pthread_condattr_destroy(&attr);
	int r = thread_start(&smp.thread, 0, sampler_main, NULL);
	if (r) {
		log_err("cannot start the loadavg sampler: %s", strerror(r));
		return -r;
	}
	smp.running = true;
	return 0;
}

void sampler_stop(void)
{
	if (!smp.running)
		return;
	pthread_mutex_lock(&smp.lock);
	smp.stop = true;
	pthread_cond_signal(&smp.wake);
	pthread_mutex_unlock(&smp.lock);
	pthread_join(smp.thread, NULL);
	pthread_cond_destroy(&smp.wake);
	cgstats_close(&smp.cgstats);
	kept_sweep(true);
	loadavg_key_list_free(&kept.due);
	free(kept.dirs);
	free(kept.items);
	kept.dirs = NULL;
	kept.items = NULL;
	kept.cap = 0;
	smp.running = false;
}
