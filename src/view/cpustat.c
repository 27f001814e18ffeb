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
	/* v2: user and system shown at the last anchor (see cpustat_state) */
	uint64_t base_user, base_system;
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
	/* v2 spreads the container's totals over the shown CPUs as a function
	 * of the totals since an anchor: CPU k shows base + the k-th of n
	 * shares of sum - anchor. The anchor moves only when n does. So two
	 * processes that split the same history into different steps show
	 * the same values (a per-step split would round differently). */
	uint64_t anchor_user, anchor_system;
	unsigned anchor_n;
	/* An anchor moved or a CPU was first seen or moved since the last
	 * release: a successor could not compute these values from an older
	 * save (cpustat_on_first_sight's hook runs). */
	bool anchors_moved;
	bool fresh; /* made by this process, not yet released */
	uint64_t last_taken_ns; /* of the newest sample folded in */
};

/* Growth of a kernel counter; a smaller value means it restarted from 0. */
static uint64_t growth(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

/* Growth of a host CPU's ticks in /proc/stat, which never restart but can
 * step back by a tick (its idle and iowait are estimated while the CPU
 * sleeps): a step back is no growth, and the anchor stays at the highest
 * value seen (see advance_slot), so the tick is not counted twice. */
static uint64_t host_growth(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
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

/* Folds shown CPU k of sample s into its slot; returns what it added.
 * du_total, ds_total: the container's growth in all (v2, !percpu). */
static struct cpustat_times advance_slot(struct cpustat_state *st, unsigned k,
					 const struct cpustat_sample *s, uint64_t du_total,
					 uint64_t ds_total)
{
	struct slot *sl = &st->slots[k];
	uint64_t raw_u = s->percpu ? s->user[k] : 0, raw_s = s->percpu ? s->system[k] : 0;
	uint64_t ticks = s->host_ticks[k], du, ds, di;
	bool same_cpu = sl->set && sl->host == s->host_cpu[k];

	if (!sl->set) {
		/* First sight: the container's lifetime on that CPU (v1), or
		 * its share of the totals (v2); idle is the rest of the host
		 * CPU's time since boot. */
		du = s->percpu ? raw_u : share(du_total, k, s->n);
		ds = s->percpu ? raw_s : share(ds_total, k, s->n);
		di = sat_sub(ticks, du + ds);
	} else {
		if (s->percpu) {
			du = same_cpu ? growth(raw_u, sl->last_user) : 0;
			ds = same_cpu ? growth(raw_s, sl->last_system) : 0;
		} else {
			du = sat_sub(sl->base_user + share(st->sum.user + du_total - st->anchor_user, k, s->n),
				     sl->shown.user);
			ds = sat_sub(sl->base_system + share(st->sum.system + ds_total - st->anchor_system, k, s->n),
				     sl->shown.system);
		}
		uint64_t dt = same_cpu ? host_growth(ticks, sl->last_host_ticks) : 0;
		/* Idle is clamped per step, so the sum of several steps can
		 * exceed one step over the same time. A predecessor that died
		 * after its last save may have shown such steps: the first step
		 * after a restore counts all of dt as idle, the most any split
		 * of it can have shown (a one-time excess of at most the
		 * container's CPU time since the save). */
		di = sl->restored ? dt : sat_sub(dt, du + ds);
	}
	if (!same_cpu || ticks > sl->last_host_ticks)
		sl->last_host_ticks = ticks;
	if (!same_cpu)
		st->anchors_moved = true;
	sl->set = true;
	sl->restored = false;
	sl->host = s->host_cpu[k];
	sl->last_user = raw_u;
	sl->last_system = raw_s;
	sl->shown.user += du;
	sl->shown.system += ds;
	sl->shown.idle += di;
	return (struct cpustat_times){ du, ds, di };
}

/* v2: the number of shown CPUs changed: every slot continues from what it
 * shows, and the totals are spread from here on. */
static void move_anchor(struct cpustat_state *st, unsigned n)
{
	for (unsigned k = 0; k < st->nslots; k++) {
		st->slots[k].base_user = st->slots[k].shown.user;
		st->slots[k].base_system = st->slots[k].shown.system;
	}
	st->anchor_user = st->sum.user;
	st->anchor_system = st->sum.system;
	st->anchor_n = n;
	st->anchors_moved = true;
}

void cpustat_advance(struct cpustat_state *st, const struct cpustat_sample *s,
		     struct cpustat_times *out, struct cpustat_times *sum)
{
	struct cpustat_times added = { 0, 0, 0 };
	uint64_t du_total = 0, ds_total = 0;

	grow_slots(st, s->n);
	if (s->taken_ns < st->last_taken_ns) {
		for (unsigned k = 0; k < s->n; k++)
			out[k] = st->slots[k].shown;
		*sum = st->sum;
		return;
	}
	st->last_taken_ns = s->taken_ns;
	if (!s->percpu) {
		du_total = st->have_totals ? growth(s->user_total, st->last_user_total) : s->user_total;
		ds_total = st->have_totals ? growth(s->system_total, st->last_system_total) : s->system_total;
		st->last_user_total = s->user_total;
		st->last_system_total = s->system_total;
		st->have_totals = true;
		if (st->anchor_n != s->n)
			move_anchor(st, s->n);
	}

	for (unsigned k = 0; k < s->n; k++) {
		struct cpustat_times d = advance_slot(st, k, s, du_total, ds_total);
		out[k] = st->slots[k].shown;
		added.user += d.user;
		added.system += d.system;
		added.idle += d.idle;
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
	bool first = (st->fresh && st->sum_set) || st->anchors_moved;
	st->fresh = st->fresh && !st->sum_set;
	st->anchors_moved = false;
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
		/* The anchor's fields after the first 8, where a predecessor's
		 * parser ignores them; the state's own are on every line. */
		sb_printf(out, "C %d %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			  " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %u\n", sl->set,
			  sl->host, sl->last_user, sl->last_system, sl->last_host_ticks, sl->shown.user,
			  sl->shown.system, sl->shown.idle, sl->base_user, sl->base_system,
			  st->anchor_user, st->anchor_system, st->anchor_n);
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
		int got = eol ? sscanf(p, "C %d %u %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
				       " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %u",
				       &set, &sl->host, &sl->last_user, &sl->last_system, &sl->last_host_ticks,
				       &sl->shown.user, &sl->shown.system, &sl->shown.idle, &sl->base_user,
				       &sl->base_system, &st->anchor_user, &st->anchor_system,
				       &st->anchor_n) : 0;
		if (got != 8 && got != 13)
			goto torn;
		if (got == 8) /* an older release's save: anchored at the next step */
			st->anchor_n = 0;
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
