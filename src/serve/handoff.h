/* What a supervisor hands to the serving process it starts: the FUSE
 * connection and what is needed to serve it without a new FUSE INIT.
 *
 * The supervisor mounts, reads the kernel's INIT request itself and keeps
 * it; every serving process feeds that same request into its own libfuse
 * session, so each one negotiates exactly what the first one told the
 * kernel (only the first reply reaches the kernel: later ones name a
 * request that is long answered and the kernel drops them). */
#ifndef CVIEWFS_HANDOFF_H
#define CVIEWFS_HANDOFF_H

#include <stdbool.h>
#include <stdint.h>

/* The environment variable carrying a handoff to a serving process. */
#define HANDOFF_ENV "CVIEWFS_SERVE"

struct handoff {
	int fuse_fd;      /* the /dev/fuse connection */
	int init_fd;      /* memfd: the raw FUSE_INIT request */
	int journal_fd;   /* memfd: node ids made so far (fs/tree.h) */
	int state_fd;     /* memfd: counters carried across processes */
	int ready_fd;     /* write end: 'r' once able to serve, 'd' once done serving */
	int go_fd;        /* read end: wait for one byte before serving; -1: serve at once */
	uint32_t generation;
	bool virtualize;
};

/* "fuse=3,init=4,..." and back. */
char *handoff_format(const struct handoff *h);
int handoff_parse(const char *s, struct handoff *h);

#endif
