/* Writing a seccomp agent's answer into its caller's memory, through
 * /proc/TID/mem, the descriptors of a listener's recent callers kept.
 *
 * Every open is followed by ID_VALID: the notification still pending means
 * its caller still held the number when the descriptors were opened. A
 * descriptor writes only into the address space it was opened on: after
 * an exec, writes through it come back empty and it is opened afresh.
 *
 * Kept, it must not be used for a caller that merely has the same number:
 * - A thread-group leader's number is free again only once its whole
 *   group is gone, and with it the address space (a descriptor of
 *   /proc/TID/mem does not keep one alive); a process sharing it without
 *   being a thread (clone with CLONE_VM) is the only way it lasts, and a
 *   write then lands in that process's memory, never another's. Kept as
 *   it is: a call costs no check.
 * - Another thread's number is free as soon as it exits while its process
 *   lives on, and a thread of another process of the container may get it:
 *   the descriptor would write into the first process. It is kept with a
 *   pidfd of the thread (PIDFD_THREAD, Linux 6.9), which names that thread
 *   for good: while it has not exited, the number is its own, so a
 *   notification from that number is from it. Older kernels have no
 *   pidfd for it: opened for each call. */
#ifndef CVIEWFS_CALLER_MEM_H
#define CVIEWFS_CALLER_MEM_H

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

#define CALLER_MEM_CACHE 16

struct caller {
	unsigned tid;
	int mem, pidfd; /* 0: none (pidfd: none needed, a leader) */
};

/* One listener thread's kept callers (zeroed before use). */
struct caller_mem {
	struct caller e[CALLER_MEM_CACHE];
	unsigned next;
};

enum caller_write {
	CALLER_WRITTEN,     /* *result: 0, or -EFAULT for a bad address */
	CALLER_GONE,        /* the notification is no longer pending */
	CALLER_UNWRITABLE,  /* its memory cannot be opened or written */
};

/* Writes len bytes at addr in the memory of the caller of req, received
 * on notify_fd. A bad address gives -EFAULT in *result, as the kernel's
 * own copy would (which fails the whole call, having written part). */
enum caller_write caller_mem_write(struct caller_mem *m, int notify_fd, const struct seccomp_notif *req,
				   uint64_t addr, const void *buf, size_t len, int *result);
/* Closes every kept descriptor. */
void caller_mem_forget(struct caller_mem *m);

#endif
