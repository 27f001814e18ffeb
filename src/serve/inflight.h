/* The in-flight journal: the requests a serving process has taken from the
 * FUSE connection and not yet answered, in memory the supervisor keeps.
 *
 * Why: when a serving process dies, the kernel still waits for an answer
 * to every request it had taken, on the same connection, which the
 * successor holds. Linux 6.9 can queue them again (FUSE_NOTIFY_RESEND);
 * older kernels cannot, and the reader then waits forever, unkillable.
 * So each request thread reads its requests straight into its own slot of
 * a shared memfd: the moment read() returns, the request's bytes are where
 * a successor finds them, with no window in which a kill loses them. The
 * slot is cleared once the reply is written. A successor answers every
 * request left in a slot before serving new ones; a reply to one that was
 * answered after all is refused by the kernel (ENOENT), which is harmless.
 *
 * Layout: a header page ("cviewfs-inflight 1", slot count and size), then
 * the slots. Sparse: a slot costs the pages its requests touched. */
#ifndef CVIEWFS_INFLIGHT_H
#define CVIEWFS_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

struct inflight;

/* Maps the journal in memfd fd (any size; left as found, so its requests
 * can be replayed). NULL, with the reason logged, if it cannot be mapped;
 * fd < 0: a private journal (nothing survives this process). */
struct inflight *inflight_open(int fd);
void inflight_close(struct inflight *j);

/* Calls answer(buf, len, arg) for each request left in the journal that
 * waits for a reply (not FORGET, BATCH_FORGET or INTERRUPT), clearing each
 * slot after its answer. Returns how many were answered. */
unsigned inflight_replay(struct inflight *j, void (*answer)(void *buf, size_t len, void *arg),
			 void *arg);

/* Lays the journal out for `slots` slots of `size` bytes each (after a
 * replay: whatever was in it is dropped). 0, or -errno. A slot's user
 * clears it (inflight_clear) before its first read into it: that makes
 * the first page, where requests land, present, and the kernel's copy into
 * a present page does not fail when the process is killed in the middle
 * of it (a fault then would end that request with EIO). */
int inflight_layout(struct inflight *j, unsigned slots, size_t size);

/* Slot i's buffer (size bytes, as laid out): read requests into it. */
void *inflight_slot(struct inflight *j, unsigned i);
/* The request in slot i was answered. */
void inflight_clear(struct inflight *j, unsigned i);
/* Slot i's user ended: its pages are freed (it reads as empty). */
void inflight_release(struct inflight *j, unsigned i);

#endif
