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
/* Descriptors added since the first release, in a variable of their own
 * ("inflight=7,metrics=8"): a serving process of an older release, started by a
 * newer supervisor (a downgrade), ignores it instead of refusing the
 * handoff; a newer one started by an older supervisor finds none and
 * does without (each is -1). Unknown names are ignored. */
#define HANDOFF_MORE_ENV "CVIEWFS_SERVE_MORE"

struct handoff {
	int fuse_fd;      /* the /dev/fuse connection */
	int init_fd;      /* memfd: the raw FUSE_INIT request */
	int journal_fd;   /* memfd: node ids made so far (fs/tree.h) */
	int state_fd;     /* memfd: counters carried across processes */
	int ready_fd;     /* write end: 'r' once able to serve, 'd' once done serving */
	int go_fd;        /* read end: wait for one byte before serving; -1: serve at once */
	int inflight_fd;  /* memfd: requests taken and not yet answered (serve/inflight.h) */
	int metrics_fd;   /* memfd: the metrics' counters (metrics/metrics.h) */
	int agent_fd;     /* the seccomp agent's channel (agent/keeper.h) */
	uint32_t generation;
	bool virtualize;
};

/* "fuse=3,init=4,..." and back. */
char *handoff_format(const struct handoff *h);
int handoff_parse(const char *s, struct handoff *h);
/* HANDOFF_MORE_ENV's value and back; parsing sets what it finds (the rest
 * stays -1) and never fails. */
char *handoff_format_more(const struct handoff *h);
void handoff_parse_more(const char *s, struct handoff *h);

#endif
