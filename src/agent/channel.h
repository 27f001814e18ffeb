/* What the supervisor passes to the serving process's seccomp agent: tagged
 * messages, each with at most one descriptor (SCM_RIGHTS over a
 * SOCK_SEQPACKET pair). */
#ifndef CVIEWFS_AGENT_CHANNEL_H
#define CVIEWFS_AGENT_CHANNEL_H

/* The tags. */
#define CHANNEL_JOURNAL 'j' /* the in-flight journal (agent/agent.h) */
#define CHANNEL_NOTIFY 'f'  /* a container's notify descriptor */
#define CHANNEL_SYNCED 'e'  /* no descriptor: every one kept so far was sent */

/* fd -1: none. 0 or -errno. */
int channel_send(int channel, char tag, int fd);
/* The tag, with the descriptor received (close-on-exec) in *fd or -1;
 * -EPIPE when the other end is closed, another -errno on failure. */
int channel_recv(int channel, int *fd);

#endif
