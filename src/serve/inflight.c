#include "serve/inflight.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "cviewfs-inflight 1"

struct header {
	char magic[24];
	uint32_t slots;
	uint32_t reserved;
	uint64_t slot_size;
};

struct inflight {
	int fd;
	bool own_fd;
	char *map;
	size_t map_len;
	unsigned slots;
	size_t slot_size;
};

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static void unmap(struct inflight *j)
{
	if (j->map)
		munmap(j->map, j->map_len);
	j->map = NULL;
	j->map_len = 0;
	j->slots = 0;
	j->slot_size = 0;
}

/* Maps what a predecessor laid out, if the header and the size agree. */
static void map_existing(struct inflight *j)
{
	struct header h;
	struct stat st;

	if (fstat(j->fd, &st) < 0 || pread(j->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, MAGIC, sizeof(MAGIC)) != 0 || !h.slots || h.slots > 4096 ||
	    h.slot_size < sizeof(struct fuse_in_header) || h.slot_size > (64u << 20) ||
	    h.slot_size % page_size())
		return;
	size_t len = page_size() + h.slots * (size_t)h.slot_size;
	if ((uint64_t)st.st_size < len)
		return;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd, 0);
	if (m == MAP_FAILED)
		return;
	j->map = m;
	j->map_len = len;
	j->slots = h.slots;
	j->slot_size = h.slot_size;
}

struct inflight *inflight_open(int fd)
{
	struct inflight *j = xcalloc(1, sizeof(*j));

	j->fd = fd;
	if (fd < 0) {
		j->fd = memfd_create("cviewfs-inflight", MFD_CLOEXEC);
		j->own_fd = true;
		if (j->fd < 0) {
			log_err("cannot make the in-flight journal: memfd_create: %s", strerror(errno));
			free(j);
			return NULL;
		}
	}
	map_existing(j);
	return j;
}

void inflight_close(struct inflight *j)
{
	if (!j)
		return;
	unmap(j);
	if (j->own_fd)
		close(j->fd);
	free(j);
}

static struct fuse_in_header *request_in(struct inflight *j, unsigned i)
{
	return (struct fuse_in_header *)(j->map + page_size() + i * j->slot_size);
}

/* Requests the kernel expects no reply to. */
static bool wants_reply(uint32_t opcode)
{
	return opcode != FUSE_FORGET && opcode != FUSE_BATCH_FORGET && opcode != FUSE_INTERRUPT &&
	       opcode != FUSE_NOTIFY_REPLY;
}

unsigned inflight_replay(struct inflight *j, void (*answer)(void *buf, size_t len, void *arg),
			 void *arg)
{
	unsigned answered = 0;

	for (unsigned i = 0; i < j->slots; i++) {
		struct fuse_in_header *in = request_in(j, i);
		uint32_t len = atomic_load((_Atomic uint32_t *)&in->len);
		if (len >= sizeof(*in) && len <= j->slot_size && in->unique && wants_reply(in->opcode)) {
			/* Answered from a copy: the slot stays intact until the
			 * reply is written, should this process die meanwhile. */
			void *copy = xmalloc(len);
			memcpy(copy, in, len);
			answer(copy, len, arg);
			free(copy);
			answered++;
		}
		inflight_clear(j, i);
	}
	return answered;
}

int inflight_layout(struct inflight *j, unsigned slots, size_t size)
{
	size_t page = page_size();
	size = (size + page - 1) / page * page;
	size_t len = page + slots * size;

	unmap(j);
	/* Truncated to nothing first: a predecessor's requests are dropped
	 * and its pages freed. */
	if (ftruncate(j->fd, 0) < 0 || ftruncate(j->fd, (off_t)len) < 0)
		return -errno;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	j->map = m;
	j->map_len = len;
	j->slots = slots;
	j->slot_size = size;
	struct header *h = (struct header *)j->map;
	h->slots = slots;
	h->slot_size = size;
	memcpy(h->magic, MAGIC, sizeof(MAGIC));
	/* Each request thread makes its slot's first page present when it
	 * starts (inflight_clear): slots of threads never made cost nothing. */
	return 0;
}

void *inflight_slot(struct inflight *j, unsigned i)
{
	return request_in(j, i);
}

void inflight_clear(struct inflight *j, unsigned i)
{
	atomic_store_explicit((_Atomic uint32_t *)&request_in(j, i)->len, 0, memory_order_release);
}

void inflight_release(struct inflight *j, unsigned i)
{
	inflight_clear(j, i);
	/* Best effort: a slot left present costs its page, nothing more. */
	(void)fallocate(j->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			(off_t)(page_size() + i * j->slot_size), (off_t)j->slot_size);
}
