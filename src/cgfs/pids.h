/* Pid numbers in task lists (tasks, cgroup.procs, cgroup.threads) of the
 * legacy cgroupfs view: the host's numbers as a reader's pid namespace
 * numbers them, and back. */
#ifndef CVIEWFS_CGFS_PIDS_H
#define CVIEWFS_CGFS_PIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct strbuf;

/* A pid namespace: its nsfs identity and its depth (0: the host's). */
struct cgfs_pidns {
	dev_t dev;
	ino_t ino;
	unsigned level;
};

/* The pid namespace of host task pid (a thread id works). 0 or -errno. */
int cgfs_pidns_of(pid_t pid, struct cgfs_pidns *out);
/* The number host task tid has in ns; 0 when it is not visible there. */
pid_t cgfs_pid_in(pid_t tid, const struct cgfs_pidns *ns);

/* The numbers of a status text's "NSpid:" line, outermost first
 * (malloc'd *out); 0 when there is none. */
size_t cgfs_status_nspids(const char *status, pid_t **out);

/* Rewrites a task list (one number per line) through map, leaving out
 * the numbers map turns into 0, keeping the order. */
void cgfs_pidlist_map(const char *text, pid_t (*map)(pid_t, void *), void *arg,
		      struct strbuf *out);

/* Parses what a writer wrote to a task list: one decimal number with
 * optional surrounding blanks. False for anything else. */
bool cgfs_pid_parse(const char *buf, size_t len, pid_t *out);

#endif
