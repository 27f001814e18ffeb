/* The supervisor's side of the seccomp agent (agent/agent.h): the socket
 * runtimes connect to (OCI linux.seccomp.listenerPath) and every notify
 * descriptor they hand over, kept for the life of its container. A
 * listener that is closed makes every pending and later call of its
 * container fail with ENOSYS, and cannot be attached again: so the
 * descriptors live here, in the process that outlives every serving
 * process, and each serving process gets copies over a channel.
 *
 * Runs on a thread of its own in the supervisor. */
#ifndef CVIEWFS_AGENT_KEEPER_H
#define CVIEWFS_AGENT_KEEPER_H

#include <stdbool.h>

struct strbuf;

/* The variable that carries the keeper's descriptors across the
 * supervisor's own upgrade (SIGUSR1 re-exec). */
#define KEEPER_ENV "CVIEWFS_SECCOMP"

/* Listens at path (a stale socket file there is replaced), or adopts the
 * listener and descriptors a previous image left in KEEPER_ENV. 0, or -1
 * with a message in err. */
int keeper_start(const char *path, struct strbuf *err);
/* A new channel for a serving process about to start: its end (to be
 * inherited), with every kept descriptor already queued on it; later ones
 * follow. -1 when the keeper is not running. The previous serving
 * process's channel is closed: it keeps the copies it has. */
int keeper_channel(void);
/* Before the supervisor replaces its image: every descriptor stays open
 * across exec, named in KEEPER_ENV. */
void keeper_prepare_exec(void);
/* The exec failed: back to running. */
void keeper_exec_failed(void);
/* Stops listening and removes the socket file (the descriptors close with
 * the process). */
void keeper_stop(void);
/* Containers whose descriptor is kept (metrics, tests). */
unsigned keeper_count(void);

#endif
