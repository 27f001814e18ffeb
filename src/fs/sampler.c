#include "fs/sampler.h"
#include "cgroup/cgroup.h"
#include "util/log.h"
#include "view/loadavg.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

static struct {
	const struct cgroups *cg;
	struct cgstats cgstats; /* taskstats netlink, when the kernel has it */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, stop;
} smp = { .lock = PTHREAD_MUTEX_INITIALIZER };

static double now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sample_all(void)
{
	struct loadavg_key_list due;

	loadavg_due(now_monotonic(), &due);
	for (size_t i = 0; i < due.n; i++) {
		uint64_t active;
		/* A container whose threads cannot be counted (gone) keeps its
		 * averages until it is forgotten. */
		if (cg_count_active_key(smp.cg, &smp.cgstats, due.keys[i], &active))
			loadavg_sample(due.keys[i], active > UINT32_MAX ? UINT32_MAX : (unsigned)active);
	}
	loadavg_key_list_free(&due);
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
		sample_all();
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
	int e = cgstats_open(&smp.cgstats);
	log_info("loadavg: counting threads through %s",
		 e == 0 ? "taskstats (cgroup v1) where possible" : "/proc (no taskstats)");
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&smp.wake, &attr);
	pthread_condattr_destroy(&attr);
	int r = pthread_create(&smp.thread, NULL, sampler_main, NULL);
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
	smp.running = false;
}
