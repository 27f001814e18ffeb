#include "view/cpustat.h"
#include "util/hash.h"
#include "util/strbuf.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	bool set;
	/* Restored from a predecessor's save, not advanced since. */
	bool restored;
	unsigned host;
	uint64_t last_user, last_system, last_host_ticks; /* raw inputs last time */
	struct cpustat_times shown;
};

struct cpustat_state {
	struct cpustat_state *next;
	char *key;
	double last_used;
	pthread_mutex_t lock;
	struct slot *slots;
	unsigned nslots;
	bool have_totals;
	uint64_t last_user_total, last_system_total;
	bool sum_set;
	struct cpustat_times sum;
	bool fresh; /* made by this process, not yet released */
};

/* Growth of a kernel counter; a smaller value means it restarted from 0. */
static uint64_t growth(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

struct cpustat_state *cpustat_state_new(void)
{
	struct cpustat_state *st = xcalloc(1, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	return st;
}

void cpustat_state_free(struct cpustat_state *st)
{
	if (!st)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st->slots);
	free(st->key);
	free(st);
}

static void grow_slots(struct cpustat_state *st, unsigned n)
{
	if (n <= st->nslots)
		return;
	st->slots = xrealloc(st->slots, n * sizeof(*st->slots));
	memset(st->slots + st->nslots, 0, (n - st->nslots) * sizeof(*st->slots));
	st->nslots = n;
}

/* The k-th of n equal integer shares of total. */
static uint64_t share(uint64_t total, unsigned k, unsigned n)
{
	return total / n + (k < total % n ? 1 : 0);
}

void cpustat_advance(struct cpustat_state *st, const struct cpustat_sample *s,
		     struct cpustat_times *out, struct cpustat_times *sum)
{
	struct cpustat_times added = { 0, 0, 0 };
	uint64_t du_total = 0, ds_total = 0;

	grow_slots(st, s->n);
	if (!s->percpu) {
		du_total = st->have_totals ? growth(s->user_total, st->last_user_total) : s->user_total;
		ds_total = st->have_totals ? growth(s->system_total, st->last_system_total) : s->system_total;
		st->last_user_total = s->user_total;
		st->last_system_total = s->system_total;
		st->have_totals = true;
	}

	for (unsigned k = 0; k < s->n; k++) {
		struct slot *sl = &st->slots[k];
		uint64_t raw_u = s->percpu ? s->user[k] : 0, raw_s = s->percpu ? s->system[k] : 0;
		uint64_t ticks = s->host_ticks[k], du, ds, di;

		if (!sl->set) {
			/* First sight: the container's lifetime on that CPU (v1),
			 * or its share of the totals (v2); idle is the rest of the
			 * host CPU's time since boot. */
			du = s->percpu ? raw_u : share(du_total, k, s->n);
			ds = s->percpu ? raw_s : share(ds_total, k, s->n);
			di = sat_sub(ticks, du + ds);
		} else {
			bool same_cpu = sl->host == s->host_cpu[k];
			if (s->percpu) {
				du = same_cpu ? growth(raw_u, sl->last_user) : 0;
				ds = same_cpu ? growth(raw_s, sl->last_system) : 0;
			} else {
				du = share(du_total, k, s->n);
				ds = share(ds_total, k, s->n);
			}
			uint64_t dt = same_cpu ? growth(ticks, sl->last_host_ticks) : 0;
			/* Idle is clamped per step, so the sum of several steps can
			 * exceed one step over the same time. A predecessor that
			 * died after its last save may have shown such steps: the
			 * first step after a restore counts all of dt as idle, the
			 * most any split of it can have shown (a one-time excess of
			 * at most the container's CPU time since the save). */
			di = sl->restored ? dt : sat_sub(dt, du + ds);
		}
		sl->set = true;
		sl->restored = false;
		sl->host = s->host_cpu[k];
		sl->last_user = raw_u;
		sl->last_system = raw_s;
		sl->last_host_ticks = ticks;
		sl->shown.user += du;
		sl->shown.system += ds;
		sl->shown.idle += di;
		out[k] = sl->shown;
		added.user += du;
		added.system += ds;
		added.idle += di;
	}
	/* The sum line is its own counter: shown CPUs may drop out of the view
	 * (quota lowered) without the total going back. */
	st->sum.user += added.user;
	st->sum.system += added.system;
	st->sum.idle += added.idle;
	st->sum_set = true;
	*sum = st->sum;
}

/* ---- registry ---- */

static atomic_uint_fast64_t changes; /* releases so far: has anything moved? */

#define BUCKETS 256
#define SWEEP_EVERY 60.0

static struct {
	pthread_mutex_t lock;
	struct cpustat_state *bucket[BUCKETS];
	unsigned count;
	double last_sweep;
} reg = { .lock = PTHREAD_MUTEX_INITIALIZER };

static size_t bucket_of(const char *key)
{
	return str_hash(key) % BUCKETS;
}

/* Called with reg.lock held. States in use are locked; they are not idle. */
static void sweep(double now)
{
	for (size_t b = 0; b < BUCKETS; b++) {
		for (struct cpustat_state **pp = &reg.bucket[b]; *pp;) {
			struct cpustat_state *st = *pp;
			if (now - st->last_used > CPUSTAT_MAX_IDLE && pthread_mutex_trylock(&st->lock) == 0) {
				*pp = st->next;
				pthread_mutex_unlock(&st->lock);
				cpustat_state_free(st);
				reg.count--;
				continue;
			}
			pp = &st->next;
		}
	}
	reg.last_sweep = now;
}

struct cpustat_state *cpustat_acquire(const char *key, double now)
{
	pthread_mutex_lock(&reg.lock);
	if (now - reg.last_sweep > SWEEP_EVERY)
		sweep(now);
	struct cpustat_state *st;
	size_t b = bucket_of(key);
	for (st = reg.bucket[b]; st; st = st->next)
		if (!strcmp(st->key, key))
			break;
	if (!st) {
		st = cpustat_state_new();
		st->fresh = true;
		st->key = xstrdup(key);
		st->next = reg.bucket[b];
		reg.bucket[b] = st;
		reg.count++;
	}
	st->last_used = now;
	pthread_mutex_unlock(&reg.lock);
	pthread_mutex_lock(&st->lock);
	return st;
}

static void (*first_sight_hook)(void);

void cpustat_on_first_sight(void (*fn)(void))
{
	first_sight_hook = fn;
}

void cpustat_release(struct cpustat_state *st)
{
	bool first = st->fresh && st->sum_set;
	if (first)
		st->fresh = false;
	atomic_fetch_add(&changes, 1);
	pthread_mutex_unlock(&st->lock);
	if (first && first_sight_hook)
		first_sight_hook();
}

unsigned cpustat_count(void)
{
	pthread_mutex_lock(&reg.lock);
	unsigned n = reg.count;
	pthread_mutex_unlock(&reg.lock);
	return n;
}

void cpustat_forget_all(void)
{
	pthread_mutex_lock(&reg.lock);
	for (size_t b = 0; b < BUCKETS; b++) {
		while (reg.bucket[b]) {
			struct cpustat_state *st = reg.bucket[b];
			reg.bucket[b] = st->next;
			cpustat_state_free(st);
		}
	}
	reg.count = 0;
	pthread_mutex_unlock(&reg.lock);
}

/* ---- carrying states over to a successor process ---- */

uint64_t cpustat_changes(void)
{
	return atomic_load(&changes);
}

static void save_state(struct strbuf *out, const struct cpustat_state *st)
{
	sb_printf(out, "S %d %" PRIu64 " %" PRIu64 " %d %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %s\n",
		  st->have_totals, st->last_user_total, st->last_system_total, st->sum_set,
		  st->sum.user, st->sum.system, st->sum.idle, st->nslots, st->key);
	for (unsigned k = 0; k < st->nslots; k++) {
		const struct slot *sl = &st->slots[k];
		sb_printf(out, "C %d %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			  " %" PRIu64 "\n", sl->set, sl->host, sl->last_user, sl->last_system,
			  sl->last_host_ticks, sl->shown.user, sl->shown.system, sl->shown.idle);
	}
}

void cpustat_save(struct strbuf *out)
{
	pthread_mutex_lock(&reg.lock);
	for (size_t b = 0; b < BUCKETS; b++) {
		for (struct cpustat_state *st = reg.bucket[b]; st; st = st->next) {
			if (strchr(st->key, '\n'))
				continue;
			pthread_mutex_lock(&st->lock);
			save_state(out, st);
			pthread_mutex_unlock(&st->lock);
		}
	}
	pthread_mutex_unlock(&reg.lock);
}

/* One state from its "S" line and the "C" lines after it; NULL if torn. */
static struct cpustat_state *parse_state(const char **pos)
{
	const char *p = *pos, *eol = strchr(p, '\n');
	int have_totals, sum_set, used = 0;
	unsigned nslots;
	struct cpustat_state *st = cpustat_state_new();

	if (!eol || sscanf(p, "S %d %" SCNu64 " %" SCNu64 " %d %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %u %n", &have_totals, &st->last_user_total, &st->last_system_total,
			   &sum_set, &st->sum.user, &st->sum.system, &st->sum.idle, &nslots, &used) != 8 ||
	    !used || p + used > eol || nslots > 65536)
		goto torn;
	st->have_totals = have_totals;
	st->sum_set = sum_set;
	st->key = xstrndup(p + used, (size_t)(eol - p - used));
	grow_slots(st, nslots);
	for (unsigned k = 0; k < nslots; k++) {
		struct slot *sl = &st->slots[k];
		int set;
		p = eol + 1;
		eol = strchr(p, '\n');
		if (!eol || sscanf(p, "C %d %u %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
				   " %" SCNu64, &set, &sl->host, &sl->last_user, &sl->last_system,
				   &sl->last_host_ticks, &sl->shown.user, &sl->shown.system,
				   &sl->shown.idle) != 8)
			goto torn;
		sl->set = set;
		sl->restored = set;
	}
	*pos = eol + 1;
	return st;
torn:
	cpustat_state_free(st);
	return NULL;
}

unsigned cpustat_restore(const char *text, double now)
{
	unsigned added = 0;

	for (const char *p = text; p && *p == 'S';) {
		struct cpustat_state *st = parse_state(&p);
		if (!st)
			break;
		pthread_mutex_lock(&reg.lock);
		size_t b = bucket_of(st->key);
		struct cpustat_state *have = reg.bucket[b];
		while (have && strcmp(have->key, st->key))
			have = have->next;
		if (!have) {
			st->last_used = now;
			st->next = reg.bucket[b];
			reg.bucket[b] = st;
			reg.count++;
			added++;
		}
		pthread_mutex_unlock(&reg.lock);
		if (have)
			cpustat_state_free(st);
	}
	return added;
}
