#include "view/rcache.h"
#include "util/hash.h"
#include "util/strbuf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct rc_entry {
	uint64_t hash;
	uint64_t born, expires, order;
	uint64_t claimed; /* when a caller claimed its renewal; 0: nobody */
	bool pending;     /* a placeholder for a first render: no content */
	size_t klen, len;
	char data[]; /* key, then content */
};

struct rc_shard {
	pthread_mutex_t lock;
	size_t bytes;
	struct rc_entry **slot; /* [slots], NULL when free */
	/* Padding keeps two shards' locks off one cache line. */
	char pad[64];
};

struct rcache {
	unsigned nshards, slots;
	size_t max_bytes;
	uint64_t keep_stale; /* past an entry's bound */
	uint64_t renew_behind; /* ditto, served to the one renewing it */
	struct rc_shard *shard;
};

struct rcache *rcache_new(unsigned shards, unsigned slots, size_t bytes)
{
	struct rcache *c = xcalloc(1, sizeof(*c));
	c->nshards = shards ? shards : 1;
	c->slots = slots ? slots : 1;
	c->max_bytes = bytes;
	c->shard = xcalloc(c->nshards, sizeof(*c->shard));
	for (unsigned i = 0; i < c->nshards; i++) {
		pthread_mutex_init(&c->shard[i].lock, NULL);
		c->shard[i].slot = xcalloc(c->slots, sizeof(struct rc_entry *));
	}
	return c;
}

/* Called with the shard locked. */
static void drop_slot(struct rc_shard *s, unsigned i)
{
	s->bytes -= s->slot[i]->len;
	free(s->slot[i]);
	s->slot[i] = NULL;
}

static void clear_shard(struct rcache *c, struct rc_shard *s)
{
	for (unsigned i = 0; i < c->slots; i++)
		if (s->slot[i])
			drop_slot(s, i);
}

void rcache_free(struct rcache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nshards; i++) {
		clear_shard(c, &c->shard[i]);
		pthread_mutex_destroy(&c->shard[i].lock);
		free(c->shard[i].slot);
	}
	free(c->shard);
	free(c);
}

void rcache_clear(struct rcache *c)
{
	for (unsigned i = 0; i < c->nshards; i++) {
		pthread_mutex_lock(&c->shard[i].lock);
		clear_shard(c, &c->shard[i]);
		pthread_mutex_unlock(&c->shard[i].lock);
	}
}

static bool live(const struct rc_entry *e, uint64_t now)
{
	/* A clock that went backwards (a caller's bug) must not extend life. */
	return !e->pending && now >= e->born && now < e->expires;
}

static bool claim_fresh(const struct rcache *c, const struct rc_entry *e, uint64_t now)
{
	return e->claimed && now >= e->claimed && now - e->claimed < c->keep_stale;
}

/* Still kept: live, or past its bound by less than the keep-stale time. */
static bool kept(const struct rcache *c, const struct rc_entry *e, uint64_t now)
{
	if (e->pending)
		return claim_fresh(c, e, now);
	if (now < e->born)
		return false;
	return now < e->expires || now - e->expires < c->keep_stale;
}

void rcache_keep_stale(struct rcache *c, uint64_t ns)
{
	c->keep_stale = ns;
}

void rcache_renew_behind(struct rcache *c, uint64_t ns)
{
	c->renew_behind = ns;
}

/* Past its bound by less than the renew-behind time (and still kept). */
static bool renew_behind(const struct rcache *c, const struct rc_entry *e, uint64_t now)
{
	return !e->pending && now >= e->expires && now - e->expires < c->renew_behind &&
	       now - e->expires < c->keep_stale;
}

/* Slot of key in s, or -1. Called with the shard locked. */
static int find(struct rcache *c, struct rc_shard *s, uint64_t h, const void *key, size_t klen)
{
	for (unsigned i = 0; i < c->slots; i++) {
		struct rc_entry *e = s->slot[i];
		if (e && e->hash == h && e->klen == klen && !memcmp(e->data, key, klen))
			return (int)i;
	}
	return -1;
}

bool rcache_get(struct rcache *c, const void *key, size_t klen, uint64_t now, struct strbuf *out)
{
	return rcache_get_since(c, key, klen, now, 0, out);
}

bool rcache_get_since(struct rcache *c, const void *key, size_t klen, uint64_t now, uint64_t since,
		      struct strbuf *out)
{
	uint64_t h = mem_hash(key, klen);
	struct rc_shard *s = &c->shard[h % c->nshards];
	bool hit = false;

	pthread_mutex_lock(&s->lock);
	int i = find(c, s, h, key, klen);
	if (i >= 0 && live(s->slot[i], now) && s->slot[i]->born >= since) {
		struct rc_entry *e = s->slot[i];
		sb_reset(out);
		sb_append(out, e->data + e->klen, e->len);
		hit = true;
	} else if (i >= 0 && !kept(c, s->slot[i], now)) {
		drop_slot(s, (unsigned)i);
	}
	pthread_mutex_unlock(&s->lock);
	return hit;
}

static void copy_out(const struct rc_entry *e, struct strbuf *out)
{
	sb_reset(out);
	sb_append(out, e->data + e->klen, e->len);
}

/* A content-less entry marking key as being rendered for the first time.
 * Called with the shard locked. */
static void add_placeholder(struct rcache *c, struct rc_shard *s, uint64_t h, const void *key,
			    size_t klen, uint64_t now);

enum rcache_take rcache_take(struct rcache *c, const void *key, size_t klen, uint64_t now,
			     struct strbuf *out)
{
	uint64_t h = mem_hash(key, klen);
	struct rc_shard *s = &c->shard[h % c->nshards];
	enum rcache_take r = RCACHE_RENDER;

	pthread_mutex_lock(&s->lock);
	int i = find(c, s, h, key, klen);
	struct rc_entry *e = i >= 0 ? s->slot[i] : NULL;
	if (e && !kept(c, e, now)) {
		drop_slot(s, (unsigned)i);
		e = NULL;
	}
	if (e && live(e, now)) {
		copy_out(e, out);
		r = RCACHE_HIT;
	} else if (e && claim_fresh(c, e, now)) {
		if (e->pending) {
			r = RCACHE_WAIT;
		} else {
			copy_out(e, out);
			r = RCACHE_STALE;
		}
	} else if (e) {
		/* Nobody renews it, or its renewer has been at it for longer
		 * than an entry is kept: the caller renders. */
		e->claimed = now ? now : 1;
		if (renew_behind(c, e, now)) {
			copy_out(e, out);
			r = RCACHE_RENEW;
		}
	} else if (c->keep_stale) {
		add_placeholder(c, s, h, key, klen, now);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

uint64_t rcache_span(struct rcache *c, const void *key, size_t klen)
{
	uint64_t h = mem_hash(key, klen);
	struct rc_shard *s = &c->shard[h % c->nshards];
	uint64_t span = 0;

	pthread_mutex_lock(&s->lock);
	int i = find(c, s, h, key, klen);
	if (i >= 0 && !s->slot[i]->pending)
		span = s->slot[i]->expires - s->slot[i]->born;
	pthread_mutex_unlock(&s->lock);
	return span;
}

void rcache_unclaim(struct rcache *c, const void *key, size_t klen)
{
	uint64_t h = mem_hash(key, klen);
	struct rc_shard *s = &c->shard[h % c->nshards];

	pthread_mutex_lock(&s->lock);
	int i = find(c, s, h, key, klen);
	if (i >= 0 && s->slot[i]->pending)
		drop_slot(s, (unsigned)i); /* its waiters then render themselves */
	else if (i >= 0)
		s->slot[i]->claimed = 0;
	pthread_mutex_unlock(&s->lock);
}

/* Frees expired entries; returns a free slot, else the oldest one (to be
 * replaced). Called with the shard locked. */
static unsigned sweep(struct rcache *c, struct rc_shard *s, uint64_t now)
{
	int free_slot = -1, oldest = -1;
	for (unsigned i = 0; i < c->slots; i++) {
		if (s->slot[i] && !kept(c, s->slot[i], now))
			drop_slot(s, i);
		if (!s->slot[i]) {
			if (free_slot < 0)
				free_slot = (int)i;
		} else if (oldest < 0 || s->slot[i]->born < s->slot[oldest]->born) {
			oldest = (int)i;
		}
	}
	return (unsigned)(free_slot >= 0 ? free_slot : oldest);
}

/* Evicts the oldest entries until `need` more bytes fit. */
static void make_room(struct rcache *c, struct rc_shard *s, size_t need)
{
	while (s->bytes + need > c->max_bytes) {
		int oldest = -1;
		for (unsigned i = 0; i < c->slots; i++)
			if (s->slot[i] && (oldest < 0 || s->slot[i]->born < s->slot[oldest]->born))
				oldest = (int)i;
		if (oldest < 0)
			return;
		drop_slot(s, (unsigned)oldest);
	}
}

/* Whether a render of `order` replaces the key's entry `old`. Only by
 * order, live or not: a kept entry past its bound may still be served
 * stale, so whatever replaces it must be at least as new, whenever its
 * inputs were gathered (a render from a view resolved a while ago is born
 * early, yet counts later than an entry born after that view). */
static bool supersedes(uint64_t order, const struct rc_entry *old)
{
	return old->pending || order >= old->order;
}

void rcache_put(struct rcache *c, const void *key, size_t klen, uint64_t born, uint64_t ttl,
		uint64_t order, const char *data, size_t len, uint64_t now)
{
	/* Too big to keep; or already past its bound, with nothing to keep
	 * it for. A render past its bound is kept when stale entries are:
	 * it was handed out, and must not be followed by an older one. */
	if (len > c->max_bytes || (born + ttl <= now && !c->keep_stale))
		return;
	uint64_t h = mem_hash(key, klen);
	struct rc_shard *s = &c->shard[h % c->nshards];

	struct rc_entry *e = xmalloc(sizeof(*e) + klen + len);
	*e = (struct rc_entry){ .hash = h, .born = born, .expires = born + ttl, .order = order,
				.klen = klen, .len = len };
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, data, len);

	pthread_mutex_lock(&s->lock);
	int old = find(c, s, h, key, klen);
	if (old >= 0 && kept(c, s->slot[old], now) && !supersedes(order, s->slot[old])) {
		/* A newer render is kept: whoever renewed the key is done. */
		s->slot[old]->claimed = 0;
		pthread_mutex_unlock(&s->lock);
		free(e);
		return;
	}
	if (old >= 0)
		drop_slot(s, (unsigned)old);
	unsigned i = sweep(c, s, now);
	if (s->slot[i])
		drop_slot(s, i);
	make_room(c, s, len);
	s->slot[i] = e;
	s->bytes += len;
	pthread_mutex_unlock(&s->lock);
}

static void add_placeholder(struct rcache *c, struct rc_shard *s, uint64_t h, const void *key,
			    size_t klen, uint64_t now)
{
	struct rc_entry *e = xmalloc(sizeof(*e) + klen);
	*e = (struct rc_entry){ .hash = h, .born = now, .expires = now, .claimed = now ? now : 1,
				.pending = true, .klen = klen };
	memcpy(e->data, key, klen);
	unsigned i = sweep(c, s, now);
	if (s->slot[i])
		drop_slot(s, i);
	s->slot[i] = e;
}

void rcache_expire(struct rcache *c, uint64_t now)
{
	for (unsigned i = 0; i < c->nshards; i++) {
		struct rc_shard *s = &c->shard[i];
		pthread_mutex_lock(&s->lock);
		for (unsigned j = 0; j < c->slots; j++)
			if (s->slot[j] && !kept(c, s->slot[j], now))
				drop_slot(s, j);
		pthread_mutex_unlock(&s->lock);
	}
}

unsigned rcache_count(struct rcache *c)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->nshards; i++) {
		pthread_mutex_lock(&c->shard[i].lock);
		for (unsigned j = 0; j < c->slots; j++)
			n += c->shard[i].slot[j] != NULL;
		pthread_mutex_unlock(&c->shard[i].lock);
	}
	return n;
}

size_t rcache_bytes(struct rcache *c)
{
	size_t n = 0;
	for (unsigned i = 0; i < c->nshards; i++) {
		pthread_mutex_lock(&c->shard[i].lock);
		n += c->shard[i].bytes;
		pthread_mutex_unlock(&c->shard[i].lock);
	}
	return n;
}
