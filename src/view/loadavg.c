#include "view/loadavg.h"
#include "util/hash.h"
#include "util/strbuf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

static unsigned long calc_load(unsigned long load, unsigned long exp, unsigned long active)
{
	unsigned long newload = load * exp + active * (LOADAVG_FIXED_1 - exp);
	if (active >= load)
		newload += LOADAVG_FIXED_1 - 1;
	return newload / LOADAVG_FIXED_1;
}

void loadavg_step(unsigned long avenrun[3], unsigned active)
{
	unsigned long a = (unsigned long)active * LOADAVG_FIXED_1;
	avenrun[0] = calc_load(avenrun[0], LOADAVG_EXP_1, a);
	avenrun[1] = calc_load(avenrun[1], LOADAVG_EXP_5, a);
	avenrun[2] = calc_load(avenrun[2], LOADAVG_EXP_15, a);
}

void loadavg_format(const unsigned long avenrun[3], char *buf, size_t len)
{
	unsigned long v[3];
	for (int i = 0; i < 3; i++)
		v[i] = avenrun[i] + LOADAVG_FIXED_1 / 200; /* round to 2 digits */
#define LOAD_INT(x) ((x) >> LOADAVG_FSHIFT)
#define LOAD_FRAC(x) LOAD_INT(((x) & (LOADAVG_FIXED_1 - 1)) * 100)
	snprintf(buf, len, "%lu.%02lu %lu.%02lu %lu.%02lu", LOAD_INT(v[0]), LOAD_FRAC(v[0]),
		 LOAD_INT(v[1]), LOAD_FRAC(v[1]), LOAD_INT(v[2]), LOAD_FRAC(v[2]));
}

struct entry {
	struct entry *next;
	double last_read;
	unsigned long avenrun[3];
	char key[]; /* one allocation per container */
};

#define BUCKETS 1024

static struct {
	pthread_mutex_t lock;
	struct entry *bucket[BUCKETS];
	unsigned count;
} reg = { .lock = PTHREAD_MUTEX_INITIALIZER };

static size_t bucket_of(const char *key)
{
	return str_hash(key) % BUCKETS;
}

static struct entry *find_locked(const char *key)
{
	for (struct entry *e = reg.bucket[bucket_of(key)]; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

static struct entry *entry_new(const char *key, size_t len)
{
	struct entry *e = xcalloc(1, sizeof(*e) + len + 1);
	memcpy(e->key, key, len);
	return e;
}

bool loadavg_read(const char *key, double now, unsigned active, unsigned long avenrun[3])
{
	bool fresh = false;

	pthread_mutex_lock(&reg.lock);
	struct entry *e = find_locked(key);
	if (!e) {
		e = entry_new(key, strlen(key));
		for (int i = 0; i < 3; i++)
			e->avenrun[i] = (unsigned long)active * LOADAVG_FIXED_1;
		size_t b = bucket_of(key);
		e->next = reg.bucket[b];
		reg.bucket[b] = e;
		reg.count++;
		fresh = true;
	}
	e->last_read = now;
	memcpy(avenrun, e->avenrun, sizeof(e->avenrun));
	pthread_mutex_unlock(&reg.lock);
	return fresh;
}

bool loadavg_due_batch(double now, size_t *cursor, size_t want, struct loadavg_key_list *out)
{
	out->n = 0;
	sb_reset(&out->arena);
	pthread_mutex_lock(&reg.lock);
	for (; *cursor < BUCKETS && out->n < want; ++*cursor) {
		for (struct entry **pp = &reg.bucket[*cursor]; *pp;) {
			struct entry *e = *pp;
			if (now - e->last_read > LOADAVG_KEEP) {
				*pp = e->next;
				free(e);
				reg.count--;
				continue;
			}
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 64;
				out->keys = xrealloc(out->keys, out->cap * sizeof(char *));
			}
			/* An offset until the arena stops moving. */
			out->keys[out->n++] = (char *)(uintptr_t)out->arena.len;
			sb_append(&out->arena, e->key, strlen(e->key) + 1);
			pp = &e->next;
		}
	}
	pthread_mutex_unlock(&reg.lock);
	for (size_t i = 0; i < out->n; i++)
		out->keys[i] = out->arena.buf + (uintptr_t)out->keys[i];
	return out->n > 0 || *cursor < BUCKETS;
}

void loadavg_key_list_free(struct loadavg_key_list *l)
{
	free(l->keys);
	sb_free(&l->arena);
	memset(l, 0, sizeof(*l));
}

void loadavg_sample(const char *key, unsigned active)
{
	pthread_mutex_lock(&reg.lock);
	struct entry *e = find_locked(key);
	if (e)
		loadavg_step(e->avenrun, active);
	pthread_mutex_unlock(&reg.lock);
}

unsigned loadavg_count(void)
{
	pthread_mutex_lock(&reg.lock);
	unsigned n = reg.count;
	pthread_mutex_unlock(&reg.lock);
	return n;
}

void loadavg_forget_all(void)
{
	pthread_mutex_lock(&reg.lock);
	for (size_t b = 0; b < BUCKETS; b++) {
		while (reg.bucket[b]) {
			struct entry *e = reg.bucket[b];
			reg.bucket[b] = e->next;
			free(e);
		}
	}
	reg.count = 0;
	pthread_mutex_unlock(&reg.lock);
}

/* ---- carrying the averages over to a successor process ---- */

void loadavg_save(struct strbuf *out)
{
	pthread_mutex_lock(&reg.lock);
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct entry *e = reg.bucket[b]; e; e = e->next)
			if (!strchr(e->key, '\n'))
				sb_printf(out, "L %lu %lu %lu %s\n", e->avenrun[0], e->avenrun[1],
					  e->avenrun[2], e->key);
	pthread_mutex_unlock(&reg.lock);
}

unsigned loadavg_restore(const char *text, double now)
{
	unsigned added = 0;

	for (const char *p = text, *eol; p && *p == 'L' && (eol = strchr(p, '\n')); p = eol + 1) {
		unsigned long a[3];
		int used = 0;
		if (sscanf(p, "L %lu %lu %lu %n", &a[0], &a[1], &a[2], &used) != 3 || !used ||
		    p + used >= eol)
			break;
		struct entry *e = entry_new(p + used, (size_t)(eol - p - used));
		pthread_mutex_lock(&reg.lock);
		if (!find_locked(e->key)) {
			e->last_read = now;
			memcpy(e->avenrun, a, sizeof(a));
			size_t b = bucket_of(e->key);
			e->next = reg.bucket[b];
			reg.bucket[b] = e;
			reg.count++;
			added++;
			e = NULL;
		}
		pthread_mutex_unlock(&reg.lock);
		free(e);
	}
	return added;
}
