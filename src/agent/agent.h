/* The seccomp agent: answers, for a container, the system calls no
 * filesystem reaches (sysinfo, and sched_getaffinity with --enable-cfs),
 * through seccomp user notification (SPEC section 8).
 *
 * It runs in the serving process, on a thread of its own. The notify
 * descriptors themselves belong to the supervisor (agent/keeper.h), which
 * passes each one over `channel`: a serving process that dies loses only
 * its copies, and its successor gets them all again. Anything the agent
 * will not or cannot answer runs as the real call (CONTINUE). */
#ifndef CVIEWFS_AGENT_H
#define CVIEWFS_AGENT_H

#include <stdbool.h>
#include <stdint.h>

/* The in-flight journal, a memfd the supervisor keeps: the notification
 * each serving process is answering (a slot per generation's parity, so
 * that an upgrade's two overlapping processes do not share one). A
 * notification received by a process that dies before answering it is
 * answered by nobody else: the kernel keeps it pending, and its caller
 * waits until a signal. The successor answers what the journal holds,
 * once it has every descriptor (ID_VALID finds which one it came from;
 * ids are random per filter). */
#define AGENT_JOURNAL_SIZE 4096

/* Starts the agent thread on the channel's descriptors (it owns channel).
 * 0 or -errno. */
int agent_start(int channel, bool use_cfs, uint32_t generation);
void agent_stop(void);

#endif
