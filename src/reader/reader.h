/* Who is reading: from the pid of a FUSE request to the container whose view
 * it gets.
 *
 * Default rule (lxcfs's): the cgroup of the init (pid 1) of the reader's pid
 * namespace, with a trailing /init.scope removed; a reader in the daemon's
 * own pid namespace gets its own cgroup. The alternative rule
 * (VIEW_FROM_READER) always uses the reader's own cgroup, for pods whose pid
 * namespace is shared with a pause container.
 *
 * Inits are cached by pid-namespace inode. An entry is trusted only while
 * its process is provably the same one: through a pidfd when the kernel has
 * them, else by its start time.
 *
 * A reader's resolved view is then trusted for READER_TRUST_NS (10 ms),
 * stretched under load as the render window is (view/window.h: up to 80
 * ms), by its pid. A process cannot leave its pid namespace, and a pid is
 * not reused within that time (the kernel hands pids out cyclically over
 * pid_max), so what the window can miss is only a cgroup move of the init
 * (or, with VIEW_FROM_READER, of the reader) in its last window: the same
 * bound the rendered-content cache already has. */
#ifndef CVIEWFS_READER_H
#define CVIEWFS_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"

struct strbuf;

enum view_from { VIEW_FROM_INIT, VIEW_FROM_READER };

struct reader_view {
	pid_t pid;              /* host pid whose cgroup gives the view */
	bool host_pidns;        /* reader shares the daemon's pid namespace */
	/* Start of the init of the reader's pid namespace, in clock ticks
	 * after boot: the container's age (0 for host readers). */
	uint64_t start_ticks;
	struct cg_paths cg;     /* init.scope already stripped */
	/* CLOCK_MONOTONIC ns taken before the membership was read: anything
	 * rendered from this view is at least this old. */
	uint64_t as_of_ns;
};

#define READER_TRUST_NS 10000000ULL

void reader_init(enum view_from rule);
void reader_fini(void);
/* 0, or -errno when the reader (or its init) cannot be found; then the
 * caller serves host content. */
int reader_resolve(pid_t reader, struct reader_view *out);
void reader_view_free(struct reader_view *v);
/* Appends what identifies v's container (everything but the pid), for
 * cache keys: two views with the same identity and pid see the same
 * content. */
void reader_view_identity(const struct reader_view *v, struct strbuf *out);
/* The fast path of reader_resolve: if reader's view is trusted, appends
 * its identity to out and gives its pid, without copying the view. False
 * if it is not (then call reader_resolve). */
bool reader_peek(pid_t reader, struct strbuf *identity, pid_t *pid);
/* Frees the views no longer trusted at now (CLOCK_MONOTONIC ns). */
void reader_expire(uint64_t now);
/* For tests: how long a resolved view is trusted (0: never). */
void reader_set_trust_ns(uint64_t ns);

/* Exposed for tests: the last pid of the "NSpid:" line of a status file. */
bool status_nspid_last(const char *status, pid_t *out);
/* Exposed for tests: the "PPid:" of a status file; false for 0 (no parent). */
bool status_ppid(const char *status, pid_t *out);
/* Exposed for tests: number of cached namespaces. */
unsigned reader_cache_size(void);

#endif
