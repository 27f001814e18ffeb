/* The supervisor's descriptors, kept where they outlive it.
 *
 * A FUSE mount lives as long as some process holds its /dev/fuse
 * descriptor. Under systemd the supervisor also hands its descriptors to
 * the service's file descriptor store (FDSTORE=1, sd_pid_notify_with_fds):
 * if the supervisor is killed, systemd holds the connection, readers wait
 * in the kernel, and the supervisor systemd restarts takes the same
 * connection back (LISTEN_FDNAMES) instead of mounting anew, so no
 * container ever sees the mount fail. The unit needs NotifyAccess=main and
 * FileDescriptorStoreMax=; without systemd this does nothing.
 *
 * For SIGUSR1 the supervisor replaces itself with the binary now at its
 * path, keeping its pid, children and descriptors: the same set is named
 * in an environment variable for the new image (REEXEC_ENV). */
#ifndef CVIEWFS_FDSTORE_H
#define CVIEWFS_FDSTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* What a serving process needs from the supervisor, besides its pipes:
 * the FUSE connection and the memfds of serve/handoff.h. -1: none. */
struct held_fds {
	int fuse, init, nodes, state, inflight, metrics;
};
#define HELD_FDS_NONE { -1, -1, -1, -1, -1, -1 }

/* Hands every descriptor in h to systemd's store (once per name; systemd
 * ignores a descriptor it already has). Logs once if systemd refuses. */
void fdstore_put(const struct held_fds *h);
/* Serving is over (stopped, or the mount is gone): the store forgets
 * them, so the next start mounts afresh. */
void fdstore_drop(void);
/* True, with h filled, if systemd gave this process a stored FUSE
 * connection; every other descriptor it passed is closed. */
bool fdstore_take(struct held_fds *h);

/* One more descriptor in the store, under a name of its own (the seccomp
 * agent's: agent/keeper.h), and out of it again. */
void fdstore_put_one(int fd, const char *name);
void fdstore_remove_one(const char *name);
/* The descriptors systemd passed under names starting with `prefix`
 * ("cviewfs-seccomp-"), which fdstore_take set aside rather than closed:
 * each is handed over once, with its name (free both arrays and the
 * names). */
size_t fdstore_take_named(const char *prefix, int **fds, char ***names);

/* A supervisor replacing itself (SIGUSR1): what the new image adopts. */
#define REEXEC_ENV "CVIEWFS_SUPERVISOR"
/* Set when a running supervisor asks the binary at its path for its
 * version: a release that can take over a running supervisor prints
 * "reexec=1" first (an older one just prints its version). */
#define REEXEC_PROBE_ENV "CVIEWFS_PROBE_REEXEC"
struct reexec {
	struct held_fds fds;
	int pidfile_fd;
	pid_t worker;           /* the serving process, still a child */
	int worker_status_fd;
	uint32_t generation;
	bool virtualize;
};
char *reexec_format(const struct reexec *r);
int reexec_parse(const char *s, struct reexec *r);
/* Descriptors added since, in a variable of their own ("metrics=9"), which
 * a release that does not know them ignores (as serve/handoff.h's). */
#define REEXEC_MORE_ENV "CVIEWFS_SUPERVISOR_MORE"
char *reexec_format_more(const struct reexec *r);
/* Sets what it finds in s (may be NULL), the rest to -1. */
void reexec_parse_more(const char *s, struct reexec *r);

#endif
