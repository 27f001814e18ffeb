#include "agent/caller_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9 */
#endif

static void drop_caller(struct caller *c)
{
	if (c->mem > 0)
		close(c->mem);
	if (c->pidfd > 0)
		close(c->pidfd);
	c->mem = c->pidfd = 0;
}

void caller_mem_forget(struct caller_mem *m)
{
	for (int i = 0; i < CALLER_MEM_CACHE; i++)
		drop_caller(&m->e[i]);
}

static bool alive(int pidfd)
{
	/* A pidfd polls readable once its thread has exited. */
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	return poll(&p, 1, 0) == 0;
}

/* The kept descriptors of the caller, or NULL. */
static struct caller *kept_caller(struct caller_mem *m, unsigned tid)
{
	for (int i = 0; i < CALLER_MEM_CACHE; i++) {
		struct caller *c = &m->e[i];
		if (c->mem > 0 && c->tid == tid) {
			if (c->pidfd <= 0 || alive(c->pidfd))
				return c;
			drop_caller(c); /* it exited: its number may be someone else's now */
		}
	}
	return NULL;
}

/* What vouches for a kept descriptor of tid's memory: 0 for a thread-group
 * leader, a pidfd of the thread for any other, -1 when there is none. */
static int identity_of(unsigned tid)
{
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)tid, 0); /* a leader's only */
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	fd = (int)syscall(SYS_pidfd_open, (pid_t)tid, PIDFD_THREAD);
	return fd > 0 ? fd : -1;
}

/* Opens the caller's memory: its descriptor (kept in m when it can be,
 * *temporary otherwise), or -1 with *why (CALLER_GONE or
 * CALLER_UNWRITABLE). */
static int open_caller(struct caller_mem *m, int notify_fd, const struct seccomp_notif *req, bool *temporary,
		       enum caller_write *why)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/%u/mem", req->pid);
	int mem = open(path, O_WRONLY | O_CLOEXEC);
	int pidfd = mem >= 0 ? identity_of(req->pid) : -1;
	if (seccomp_notify_id_valid(notify_fd, req->id) != 0 || mem < 0) {
		*why = mem < 0 ? CALLER_UNWRITABLE : CALLER_GONE;
		if (mem >= 0)
			close(mem);
		if (pidfd > 0)
			close(pidfd);
		return -1;
	}
	*temporary = pidfd < 0 || mem == 0;
	if (*temporary)
		return mem;
	struct caller *c = &m->e[m->next++ % CALLER_MEM_CACHE];
	drop_caller(c);
	*c = (struct caller){ .tid = req->pid, .mem = mem, .pidfd = pidfd };
	return mem;
}

enum caller_write caller_mem_write(struct caller_mem *m, int notify_fd, const struct seccomp_notif *req,
				   uint64_t addr, const void *buf, size_t len, int *result)
{
	if (!addr) {
		*result = -EFAULT;
		return CALLER_WRITTEN;
	}
	struct caller *kept = kept_caller(m, req->pid);
	for (int attempt = 0; attempt < 2; attempt++) {
		bool temporary = false;
		enum caller_write why = CALLER_UNWRITABLE;
		int fd = kept ? kept->mem : open_caller(m, notify_fd, req, &temporary, &why);
		if (fd < 0)
			return why;
		ssize_t n = pwrite(fd, buf, len, (off_t)addr);
		int saved = errno;
		if (temporary)
			close(fd);
		/* Short, or EIO: an address not mapped (the kernel's own copy
		 * fails the whole call then, having written part of it). */
		if (n > 0 || (n < 0 && saved == EIO)) {
			*result = n == (ssize_t)len ? 0 : -EFAULT;
			return CALLER_WRITTEN;
		}
		/* 0: the address space it was opened on is gone (an exec) */
		if (kept)
			drop_caller(kept);
		kept = NULL;
	}
	return CALLER_UNWRITABLE;
}
