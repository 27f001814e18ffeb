#include "cgroup/kept.h"
#include "host/host.h"
#include "util/fileio.h"
#include "util/hash.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define KEPT_SHARDS 16
/* 512 files is what 64 containers read for all their files at once; past
 * that the cost is one openat + close per read, as without keeping. */
#define KEPT_MAX 512

struct kept {
	struct kept *next;
	int dirfd, fd;
	unsigned refs;  /* readers using fd now */
	bool listed;    /* in its shard; an unlisted file is closed by its last reader */
	uint64_t used;  /* last read, on the use counter: the least recent goes first */
	char rel[];
};

static struct kept_shard {
	pthread_mutex_t lock;
	struct kept *head;
	unsigned n;
} shards[KEPT_SHARDS] = { [0 ... KEPT_SHARDS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER } };

static _Atomic uint64_t use_counter;
static pthread_once_t limits_once = PTHREAD_ONCE_INIT;
static struct {
	bool on;
	unsigned per_shard;
} cfg;

/* Up to an eighth of RLIMIT_NOFILE, as the other kept descriptors. */
static void limits_init(void)
{
	struct rlimit rl;
	unsigned max = KEPT_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 8 < max)
		max = (unsigned)(rl.rlim_cur / 8);
	cfg.on = !host()->fixture && max >= KEPT_SHARDS;
	cfg.per_shard = max / KEPT_SHARDS;
}

void kept_enable(bool on, unsigned max_files)
{
	pthread_once(&limits_once, limits_init);
	kept_close_all();
	cfg.on = on && max_files >= KEPT_SHARDS;
	cfg.per_shard = max_files / KEPT_SHARDS;
}

static struct kept_shard *shard_of(int dirfd, const char *rel)
{
	return &shards[(str_hash(rel) ^ (unsigned)dirfd) % KEPT_SHARDS];
}

static void kept_free(struct kept *k)
{
	close(k->fd);
	free(k);
}

/* Under the shard's lock. */
static void unlist(struct kept_shard *sh, struct kept *k)
{
	for (struct kept **pp = &sh->head; *pp; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			sh->n--;
			break;
		}
	}
	k->listed = false;
	if (k->refs == 0)
		kept_free(k);
}

static struct kept *get(struct kept_shard *sh, int dirfd, const char *rel)
{
	pthread_mutex_lock(&sh->lock);
	struct kept *k = sh->head;
	while (k && (k->dirfd != dirfd || strcmp(k->rel, rel)))
		k = k->next;
	if (k) {
		k->refs++;
		k->used = atomic_fetch_add(&use_counter, 1);
	}
	pthread_mutex_unlock(&sh->lock);
	return k;
}

/* Done reading k; drop it from its shard too if its read failed. */
static void put(struct kept_shard *sh, struct kept *k, bool failed)
{
	pthread_mutex_lock(&sh->lock);
	k->refs--;
	if (failed && k->listed)
		unlist(sh, k);
	else if (!k->listed && k->refs == 0)
		kept_free(k);
	pthread_mutex_unlock(&sh->lock);
}

/* Keeps fd, just read successfully, unless another reader kept the same
 * file meanwhile (then fd is closed). */
static void keep(struct kept_shard *sh, int dirfd, const char *rel, int fd)
{
	size_t len = strlen(rel) + 1;
	struct kept *k = xmalloc(sizeof(*k) + len);
	*k = (struct kept){ .dirfd = dirfd, .fd = fd, .listed = true,
			    .used = atomic_fetch_add(&use_counter, 1) };
	memcpy(k->rel, rel, len);

	pthread_mutex_lock(&sh->lock);
	struct kept *lru = NULL;
	for (struct kept *o = sh->head; o; o = o->next) {
		if (o->dirfd == dirfd && !strcmp(o->rel, rel)) {
			pthread_mutex_unlock(&sh->lock);
			kept_free(k);
			return;
		}
		if (!lru || o->used < lru->used)
			lru = o;
	}
	if (sh->n >= cfg.per_shard && lru)
		unlist(sh, lru);
	k->next = sh->head;
	sh->head = k;
	sh->n++;
	pthread_mutex_unlock(&sh->lock);
}

int kept_read(int dirfd, const char *rel, struct strbuf *out)
{
	pthread_once(&limits_once, limits_init);
	if (!cfg.on)
		return read_small_file_at(dirfd, rel, true, out);

	struct kept_shard *sh = shard_of(dirfd, rel);
	struct kept *k = get(sh, dirfd, rel);
	if (k) {
		int r = pread_small(k->fd, out);
		put(sh, k, r < 0);
		if (r == 0)
			return 0;
		/* Its cgroup was removed (ENODEV), perhaps made again: by path. */
	}
	int fd = openat(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		sb_reset(out);
		return -errno;
	}
	int r = pread_small(fd, out);
	if (r < 0)
		close(fd);
	else
		keep(sh, dirfd, rel, fd);
	return r;
}

void kept_close_all(void)
{
	for (int i = 0; i < KEPT_SHARDS; i++) {
		struct kept_shard *sh = &shards[i];
		pthread_mutex_lock(&sh->lock);
		while (sh->head)
			unlist(sh, sh->head);
		pthread_mutex_unlock(&sh->lock);
	}
}

unsigned kept_count(void)
{
	unsigned n = 0;
	for (int i = 0; i < KEPT_SHARDS; i++) {
		pthread_mutex_lock(&shards[i].lock);
		n += shards[i].n;
		pthread_mutex_unlock(&shards[i].lock);
	}
	return n;
}
