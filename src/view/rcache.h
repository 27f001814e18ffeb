/* A short-lived cache of rendered file content, keyed by what the content is
 * a function of (the file and the container's identity, built by the
 * caller). An entry is served only until its expiry (born + its time
 * bound), where `born` is the time taken BEFORE the inputs were gathered,
 * so a served entry never reflects inputs older than the bound.
 *
 * Entries are spread over shards, each with its own lock and a fixed
 * number of slots and bytes: memory is bounded, and concurrent readers of
 * different containers rarely meet on a lock. Expired entries are freed
 * when their shard is next touched; a full shard evicts the oldest.
 *
 * Ordering: a put replaces the entry of the same key only if its `order`
 * is not lower, whether that entry is live or kept past its bound. With
 * order = a counter that only grows for that key (the time the render was
 * finished, or /proc/stat's accumulated total), once a render was handed
 * out (after its put), the cache never serves an older one for that key.
 *
 * Renewal: an entry past its bound may be kept a while longer (see
 * rcache_keep_stale) and served, through rcache_take, to readers of a key
 * whose next render another thread is making at that moment. That render
 * is the key's newest one once put, so nobody is served anything older
 * than what the key's readers were already handed; and a container with
 * many readers of a costly file costs one render per bound, not one per
 * concurrent reader.
 *
 * Pure: time is passed in (nanoseconds of any monotonic clock). */
#ifndef CVIEWFS_RCACHE_H
#define CVIEWFS_RCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;
struct rcache;

/* shards > 0; slots per shard > 0; bytes per shard: entries larger than
 * this are never kept. */
struct rcache *rcache_new(unsigned shards, unsigned slots, size_t bytes);
void rcache_free(struct rcache *c);

/* Copies the entry of key into out (emptied first) if it is live at now.
 * True on a hit. An expired entry found is freed. */
bool rcache_get(struct rcache *c, const void *key, size_t klen, uint64_t now, struct strbuf *out);
/* The same, but only an entry born at or after `since`: for an input that
 * goes into something whose age counts from `since`. */
bool rcache_get_since(struct rcache *c, const void *key, size_t klen, uint64_t now, uint64_t since,
		      struct strbuf *out);

/* What rcache_take found. */
enum rcache_take {
	RCACHE_HIT,    /* a live entry, copied into out */
	RCACHE_STALE,  /* the last entry, past its bound but kept, copied into
			* out: another caller is rendering the key now */
	RCACHE_RENDER, /* nothing to serve: the caller renders, then calls
			* rcache_put (or rcache_unclaim if it cannot) */
	RCACHE_WAIT,   /* another caller is making the key's first render:
			* nothing to serve yet, ask again shortly */
	RCACHE_RENEW,  /* the last entry, past its bound by less than the
			* renew-behind time, copied into out; the caller now
			* holds its renewal, as with RCACHE_RENDER, and may
			* make it after serving out */
};

/* rcache_get that, on a miss, either claims the key's renewal for the
 * caller (RCACHE_RENDER) or, when another caller claimed it less than
 * the keep-stale time ago, serves the key's last entry (RCACHE_STALE) or,
 * if there is none yet, says to wait for it (RCACHE_WAIT). With keep-stale
 * 0 it never claims: every miss is RCACHE_RENDER. */
enum rcache_take rcache_take(struct rcache *c, const void *key, size_t klen, uint64_t now,
			     struct strbuf *out);
/* How long the key's kept entry was to be served (its bound minus its
 * born), 0 if there is none: a hint of what its next render will cost. */
uint64_t rcache_span(struct rcache *c, const void *key, size_t klen);
/* Gives up a claim made by rcache_take (the render failed). */
void rcache_unclaim(struct rcache *c, const void *key, size_t klen);

/* How long past its bound an entry is kept for rcache_take (default 0:
 * freed once past its bound). */
void rcache_keep_stale(struct rcache *c, uint64_t ns);

/* How long past its bound an entry is still served to the caller that
 * claims its renewal (RCACHE_RENEW; default 0: that caller renders
 * first). With it, a key read in a loop has its renders made after a
 * read is answered rather than before: its readers never wait for one,
 * and are served content at most this much past its bound. */
void rcache_renew_behind(struct rcache *c, uint64_t ns);

/* Offers content rendered from inputs gathered from `born` on, to be served
 * until born + ttl. `now` is the current time (for sweeping). */
void rcache_put(struct rcache *c, const void *key, size_t klen, uint64_t born, uint64_t ttl,
		uint64_t order, const char *data, size_t len, uint64_t now);

/* Frees every entry expired at now (past its bound plus the keep-stale
 * time). Otherwise an expired entry is freed
 * only when its shard is next used, which for a container that read once
 * may be never. */
void rcache_expire(struct rcache *c, uint64_t now);

/* Live or not yet swept entries, and their bytes (for tests and bounds). */
unsigned rcache_count(struct rcache *c);
size_t rcache_bytes(struct rcache *c);
/* Drops everything. */
void rcache_clear(struct rcache *c);

#endif
