/* The serving process: answers FUSE requests on a connection a supervisor
 * mounted and handed over (serve/handoff.h). It may be killed at any time;
 * the supervisor then starts another on the same connection. */
#ifndef CVIEWFS_WORKER_H
#define CVIEWFS_WORKER_H

#include <fuse_lowlevel.h>

struct options;
struct handoff;

/* Exit status of a serving process that cannot start at all (bad host,
 * no cgroups): the supervisor gives up instead of retrying. */
#define WORKER_EXIT_FATAL 3
/* Exit status when the kernel ended the connection (the filesystem was
 * unmounted, or the connection aborted through /sys/fs/fuse/connections)
 * without anyone asking this process to stop: no successor could serve
 * it, so the supervisor stops too. */
#define WORKER_EXIT_GONE 4

/* A libfuse session with cviewfs's operations and mount options. */
struct fuse_session *cviewfs_session_new(const char *prog, const struct options *o);

int worker_main(const struct options *o, const char *prog, const struct handoff *h);

#endif
