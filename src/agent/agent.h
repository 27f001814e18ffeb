/* The seccomp agent: answers, for a container, the system calls no
 * filesystem reaches (sysinfo, and sched_getaffinity with --enable-cfs),
 * through seccomp user notification (SPEC section 8).
 *
 * It runs in the serving process, on threads of its own. The notify
 * descriptors themselves belong to the supervisor (agent/keeper.h), which
 * passes each one over `channel`: a serving process that dies loses only
 * its copies, and its successor gets them all again. Anything the agent
 * will not or cannot answer runs as the real call (CONTINUE). */
#ifndef CVIEWFS_AGENT_H
#define CVIEWFS_AGENT_H

#include <stdbool.h>
#include <stdint.h>

/* The in-flight journal, a memfd the supervisor keeps: the notification
 * each listener thread is answering. A notification received by a
 * process that dies before answering it is answered by nobody else: the
 * kernel keeps it pending, and its caller waits until a signal. The
 * successor answers what the journal holds, once it has every descriptor
 * (ID_VALID finds which one it came from; ids are random per filter).
 *
 * Layout: the first page is the previous release's (two slots, one per
 * generation's parity), read for orphans and otherwise left alone; the
 * rest is two halves of slots, one per generation's parity (an upgrade's
 * two overlapping processes do not share one), a slot per listener
 * thread. Pages are touched only by the slots in use. */
#define AGENT_JOURNAL_SIZE (1 << 20)
#define AGENT_JOURNAL_LEGACY 4096

/* Starts the agent on the channel's descriptors (it owns channel): a
 * thread that takes the supervisor's messages, and one per notify
 * descriptor, blocked in SECCOMP_IOCTL_NOTIF_RECV. A thread waiting in
 * the ioctl itself (not in poll) is what the kernel wakes on the caller's
 * CPU and hands that CPU to (Linux 6.6, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP):
 * a call then costs a switch between two threads rather than two
 * cross-CPU wake-ups. (Before 6.6 that ioctl is not woken when its
 * container goes: those threads wait in poll first.) 0 or -errno. */
int agent_start(int channel, bool use_cfs, uint32_t generation);
void agent_stop(void);

#endif
