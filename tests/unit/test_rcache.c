/* The rendered-content cache: what is served, for how long, to whom, and
 * within which bounds. Time is injected (nanoseconds). */
#include "tap.h"
#include "util/strbuf.h"
#include "view/rcache.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MS 1000000ULL
#define TTL (10 * MS)

static bool get(struct rcache *c, const char *key, uint64_t now, struct strbuf *out)
{
	return rcache_get(c, key, strlen(key), now, out);
}

static void put(struct rcache *c, const char *key, uint64_t born, uint64_t order, const char *data,
		uint64_t now)
{
	rcache_put(c, key, strlen(key), born, TTL, order, data, strlen(data), now);
}

static void test_bound(void)
{
	struct rcache *c = rcache_new(4, 4, 4096);
	struct strbuf out = STRBUF_INIT;

	ok(!get(c, "meminfo|a", 0, &out), "empty cache: a miss");
	put(c, "meminfo|a", 100 * MS, 100 * MS, "A1", 101 * MS);
	ok(get(c, "meminfo|a", 105 * MS, &out) && !strcmp(sb_str(&out), "A1"),
	   "within the bound, the container's render is served");
	ok(get(c, "meminfo|a", 110 * MS - 1, &out), "still served 1 ns before born + bound");
	ok(!get(c, "meminfo|a", 110 * MS, &out), "not served at born + bound: the bound counts from before the inputs were read");
	is_u64(rcache_count(c), 0, "the expired entry was freed when found");

	put(c, "meminfo|a", 200 * MS, 200 * MS, "A2", 211 * MS);
	ok(!get(c, "meminfo|a", 211 * MS, &out), "a render that is already past its bound is not kept");

	put(c, "meminfo|a", 300 * MS, 300 * MS, "A3", 300 * MS);
	ok(!get(c, "meminfo|a", 299 * MS, &out), "a clock before the render's start never hits");
	sb_free(&out);
	rcache_free(c);
}

/* Containers that read once and never again: their renders are freed by
 * rcache_expire, not left until their shard is next used. */
static void test_expire(void)
{
	struct rcache *c = rcache_new(4, 32, 4096);
	struct strbuf out = STRBUF_INIT;
	char key[32];

	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "loadavg|c%d", i);
		put(c, key, 100 * MS, 100 * MS, "0.00 0.00 0.00 1/3 7", 101 * MS);
	}
	put(c, "loadavg|late", 105 * MS, 105 * MS, "0.01 0.00 0.00 1/3 9", 105 * MS);
	is_u64(rcache_count(c), 21, "21 containers' renders are kept");
	rcache_expire(c, 109 * MS);
	is_u64(rcache_count(c), 21, "before their bound nothing is expired");
	rcache_expire(c, 110 * MS);
	is_u64(rcache_count(c), 1, "at the bound of the first 20 only the later render is left");
	ok(get(c, "loadavg|late", 110 * MS, &out) && !strcmp(sb_str(&out), "0.01 0.00 0.00 1/3 9"),
	   "and it is still served");
	ok(rcache_get_since(c, "loadavg|late", 12, 110 * MS, 105 * MS, &out),
	   "get_since: an entry born at `since` is served");
	ok(!rcache_get_since(c, "loadavg|late", 12, 110 * MS, 105 * MS + 1, &out),
	   "get_since: an entry born before `since` is not");
	is_u64(rcache_count(c), 1, "and it is not dropped either (it is live for other users)");
	rcache_expire(c, 115 * MS);
	is_u64(rcache_count(c), 0, "past every bound the cache is empty");
	is_u64(rcache_bytes(c), 0, "and holds no bytes");
	sb_free(&out);
	rcache_free(c);
}

static void test_keys(void)
{
	struct rcache *c = rcache_new(4, 4, 4096);
	struct strbuf out = STRBUF_INIT;

	put(c, "meminfo|a", 0, 0, "container a", 0);
	put(c, "meminfo|b", 0, 0, "container b", 0);
	put(c, "swaps|a", 0, 0, "swaps of a", 0);
	ok(get(c, "meminfo|a", 1, &out) && !strcmp(sb_str(&out), "container a"), "container a gets its own render");
	ok(get(c, "meminfo|b", 1, &out) && !strcmp(sb_str(&out), "container b"), "container b gets its own render");
	ok(get(c, "swaps|a", 1, &out) && !strcmp(sb_str(&out), "swaps of a"), "another file of a: its own render");
	ok(!get(c, "meminfo|c", 1, &out), "an unknown container misses");
	/* Keys are bytes: an embedded NUL separates, a prefix is not a match. */
	rcache_put(c, "k\0x", 3, 0, TTL, 0, "nul", 3, 0);
	ok(!rcache_get(c, "k\0y", 3, 1, &out), "keys differing after a NUL are different");
	ok(!rcache_get(c, "k", 1, 1, &out), "a key's prefix is another key");
	ok(rcache_get(c, "k\0x", 3, 1, &out) && !strcmp(sb_str(&out), "nul"), "the exact bytes hit");
	rcache_clear(c);
	ok(!get(c, "meminfo|a", 1, &out) && rcache_count(c) == 0, "clear drops everything");
	sb_free(&out);
	rcache_free(c);
}

/* /proc/stat: a render with a lower accumulated total must never replace
 * one with a higher total, even if it is put later. */
static void test_order(void)
{
	struct rcache *c = rcache_new(1, 4, 4096);
	struct strbuf out = STRBUF_INIT;

	put(c, "stat|a", 10 * MS, 500, "total 500", 11 * MS);
	put(c, "stat|a", 9 * MS, 400, "total 400", 12 * MS);
	ok(get(c, "stat|a", 12 * MS, &out) && !strcmp(sb_str(&out), "total 500"),
	   "a slower concurrent render with a lower total does not replace a higher one");
	put(c, "stat|a", 12 * MS, 600, "total 600", 12 * MS);
	ok(get(c, "stat|a", 13 * MS, &out) && !strcmp(sb_str(&out), "total 600"), "a higher total replaces");
	put(c, "stat|a", 13 * MS, 600, "total 600 later", 13 * MS);
	ok(get(c, "stat|a", 13 * MS, &out) && !strcmp(sb_str(&out), "total 600 later"),
	   "an equal total started later replaces");
	put(c, "stat|a", 30 * MS, 100, "restarted", 30 * MS);
	ok(get(c, "stat|a", 31 * MS, &out) && !strcmp(sb_str(&out), "restarted"),
	   "an expired entry (none are kept past their bound here) never blocks a new render");
	sb_free(&out);
	rcache_free(c);
}

static void test_limits(void)
{
	struct rcache *c = rcache_new(1, 3, 100);
	struct strbuf out = STRBUF_INIT;
	char key[16], big[120];

	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(c, key, (uint64_t)i, (uint64_t)i, "x", (uint64_t)i);
	}
	is_u64(rcache_count(c), 3, "a full shard keeps its slot count");
	ok(!get(c, "k0", 5, &out) && !get(c, "k1", 5, &out), "the oldest entries were evicted");
	ok(get(c, "k4", 5, &out) && get(c, "k2", 5, &out), "the newest are kept");

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(c, "big", 6, 6, big, 6);
	ok(!get(c, "big", 7, &out), "content over the shard's byte budget is not kept");
	big[60] = '\0';
	put(c, "half1", 7, 7, big, 7);
	put(c, "half2", 8, 8, big, 8);
	ok(rcache_bytes(c) <= 100, "bytes stay within the budget (%zu)", rcache_bytes(c));
	ok(get(c, "half2", 9, &out) && strlen(sb_str(&out)) == 60, "the newest fits, older ones made room");

	put(c, "late", 100 * MS, 100 * MS, "y", 100 * MS);
	is_u64(rcache_count(c), 1, "a put frees its shard's expired entries");
	sb_free(&out);
	rcache_free(c);
}

/* Many threads on many keys: every hit is the content put for that key. */
struct worker {
	struct rcache *c;
	int id;
	bool clean;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	struct strbuf out = STRBUF_INIT;
	char key[32], want[32];

	w->clean = true;
	for (int i = 0; i < 20000; i++) {
		int k = (w->id + i) % 50;
		snprintf(key, sizeof(key), "meminfo|%d", k);
		snprintf(want, sizeof(want), "content of %d", k);
		uint64_t now = (uint64_t)i * 1000;
		if (get(w->c, key, now, &out)) {
			if (strcmp(sb_str(&out), want))
				w->clean = false;
		} else {
			put(w->c, key, now, now, want, now);
		}
	}
	sb_free(&out);
	return NULL;
}

static void test_threads(void)
{
	struct rcache *c = rcache_new(8, 4, 4096);
	struct worker w[8];
	pthread_t t[8];
	bool clean = true;

	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ c, i, false };
		pthread_create(&t[i], NULL, hammer, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		clean = clean && w[i].clean;
	}
	ok(clean, "8 threads, 50 containers: every hit is that container's content");
	ok(rcache_count(c) <= 8 * 4, "never more entries than the slots (%u)", rcache_count(c));
	rcache_free(c);
}

/* Renewal: while one caller renders a key past its window, the others
 * are served the key's last render, never anything older. */
static void test_take(void)
{
	struct rcache *c = rcache_new(1, 4, 4096);
	struct strbuf out = STRBUF_INIT;
	const char *k = "stat|a";
	size_t kl = strlen(k);

	rcache_keep_stale(c, 1000 * MS);
	ok(rcache_take(c, k, kl, 1 * MS, &out) == RCACHE_RENDER, "nothing kept: the caller renders");
	ok(rcache_take(c, k, kl, 1 * MS, &out) == RCACHE_WAIT,
	   "nothing to serve while the first render is made: the next caller waits for it");
	ok(!get(c, k, 1 * MS, &out), "the placeholder is no hit");
	rcache_unclaim(c, k, kl);
	ok(rcache_take(c, k, kl, 1 * MS, &out) == RCACHE_RENDER, "a first render given up: the next caller makes it");
	ok(rcache_take(c, k, kl, 1001 * MS, &out) == RCACHE_RENDER,
	   "a first render not made within the keep-stale time is not waited for");
	is_u64(rcache_span(c, k, kl), 0, "no span before the first render");
	put(c, k, 1 * MS, 100, "r1", 2 * MS);
	is_u64(rcache_span(c, k, kl), TTL, "the span of the last render: its bound minus its born");
	ok(rcache_take(c, k, kl, 5 * MS, &out) == RCACHE_HIT && !strcmp(sb_str(&out), "r1"), "a live render is a hit");
	ok(rcache_take(c, k, kl, 11 * MS, &out) == RCACHE_RENDER, "past its window: the first caller renews");
	ok(rcache_count(c) == 1, "one entry for the key, whatever its placeholders were");
	ok(rcache_take(c, k, kl, 12 * MS, &out) == RCACHE_STALE && !strcmp(sb_str(&out), "r1"),
	   "a second caller meanwhile gets the last render");
	ok(rcache_take(c, k, kl, 13 * MS, &out) == RCACHE_STALE, "and a third");
	ok(!get(c, k, 13 * MS, &out), "a plain get still misses: nothing past its window is fresh");
	put(c, k, 11 * MS, 200, "r2", 14 * MS);
	ok(rcache_take(c, k, kl, 15 * MS, &out) == RCACHE_HIT && !strcmp(sb_str(&out), "r2"),
	   "the renewed render is served once put");
	put(c, k, 9 * MS, 150, "slow r1.5", 16 * MS);
	ok(get(c, k, 16 * MS, &out) && !strcmp(sb_str(&out), "r2"), "a slower, older render does not replace it");

	/* A renewal from a view resolved before r2 was born (a trusted
	 * view, up to a stretched window old) is newer all the same. */
	ok(rcache_take(c, k, kl, 22 * MS, &out) == RCACHE_RENDER, "past r2's window: renew");
	put(c, k, 10 * MS, 250, "r2.5 from an older view", 23 * MS);
	ok(rcache_take(c, k, kl, 23 * MS, &out) == RCACHE_RENDER, "it is past its window at once: renew it");
	ok(rcache_take(c, k, kl, 24 * MS, &out) == RCACHE_STALE && !strcmp(sb_str(&out), "r2.5 from an older view"),
	   "a higher order replaced r2 past its window, however early it was born: r2 is never served again");
	rcache_unclaim(c, k, kl);

	ok(rcache_take(c, k, kl, 30 * MS, &out) == RCACHE_RENDER, "past the window again: renew");
	put(c, k, 30 * MS, 240, "lower order", 30 * MS + 1);
	ok(rcache_take(c, k, kl, 30 * MS + 2, &out) == RCACHE_RENDER,
	   "a renewal that lost to a newer entry gives up the claim: the next caller renews");
	rcache_unclaim(c, k, kl);
	ok(rcache_take(c, k, kl, 31 * MS, &out) == RCACHE_RENDER, "a failed renewal given up: the next caller renews");
	ok(rcache_take(c, k, kl, 31 * MS + 1, &out) == RCACHE_STALE, "and the one after it is served the last render");
	ok(rcache_take(c, k, kl, 1032 * MS, &out) == RCACHE_RENDER,
	   "a renewer busy for longer than entries are kept is not waited for");

	put(c, k, 1040 * MS, 300, "r3", 1040 * MS + 20 * MS);
	ok(rcache_take(c, k, kl, 1061 * MS, &out) == RCACHE_RENDER && rcache_count(c) == 1,
	   "a render put after its window is still kept (it was handed out)");
	ok(rcache_take(c, k, kl, 1062 * MS, &out) == RCACHE_STALE && !strcmp(sb_str(&out), "r3"),
	   "and is served to callers while it is renewed");
	rcache_expire(c, 1050 * MS + 1000 * MS - 1);
	is_u64(rcache_count(c), 1, "kept until its window plus the keep-stale time");
	rcache_expire(c, 1050 * MS + 1000 * MS);
	is_u64(rcache_count(c), 0, "then freed");
	sb_free(&out);
	rcache_free(c);
}

/* Renew-behind: the caller that claims a key just past its window is
 * served its last render too, and renders after answering. */
static void test_renew_behind(void)
{
	struct rcache *c = rcache_new(1, 4, 4096);
	struct strbuf out = STRBUF_INIT;
	const char *k = "meminfo|a";
	size_t kl = strlen(k);

	rcache_keep_stale(c, 1000 * MS);
	rcache_renew_behind(c, 10 * MS);
	ok(rcache_take(c, k, kl, 1 * MS, &out) == RCACHE_RENDER, "nothing kept: the first reader waits for a render");
	put(c, k, 1 * MS, 100, "r1", 2 * MS);
	ok(rcache_take(c, k, kl, 12 * MS, &out) == RCACHE_RENEW && !strcmp(sb_str(&out), "r1"),
	   "1 ms past its window: served, and the caller renews it");
	ok(rcache_take(c, k, kl, 12 * MS, &out) == RCACHE_STALE && !strcmp(sb_str(&out), "r1"),
	   "the next caller meanwhile is served it without a claim");
	put(c, k, 12 * MS, 200, "r2", 13 * MS);
	ok(rcache_take(c, k, kl, 14 * MS, &out) == RCACHE_HIT && !strcmp(sb_str(&out), "r2"),
	   "the renewal is served once put");
	ok(rcache_take(c, k, kl, 32 * MS, &out) == RCACHE_RENDER,
	   "a full renew-behind time past its window: the caller renders before it is answered");
	rcache_unclaim(c, k, kl);
	ok(rcache_take(c, k, kl, 32 * MS + 1, &out) == RCACHE_RENDER, "a renewal given up: the next caller renders");
	put(c, k, 32 * MS, 300, "r3", 33 * MS);
	ok(rcache_take(c, k, kl, 43 * MS, &out) == RCACHE_RENEW, "r3 just past its window: renew behind");
	rcache_unclaim(c, k, kl);
	ok(rcache_take(c, k, kl, 43 * MS + 1, &out) == RCACHE_RENEW && !strcmp(sb_str(&out), "r3"),
	   "a renewal behind given up: the next caller takes it over");
	put(c, k, 30 * MS, 250, "older", 44 * MS);
	ok(rcache_take(c, k, kl, 44 * MS, &out) == RCACHE_RENEW && !strcmp(sb_str(&out), "r3"),
	   "a lower order lost to r3: nothing older is served, and its claim is free again");
	rcache_renew_behind(c, 0);
	ok(rcache_take(c, k, kl, 45 * MS, &out) == RCACHE_STALE, "without renew-behind, the claim is held");
	rcache_unclaim(c, k, kl);
	ok(rcache_take(c, k, kl, 46 * MS, &out) == RCACHE_RENDER, "and a claimer renders first");
	sb_free(&out);
	rcache_free(c);
}

int main(void)
{
	test_bound();
	test_expire();
	test_keys();
	test_order();
	test_limits();
	test_threads();
	test_take();
	test_renew_behind();
	return tap_done();
}
