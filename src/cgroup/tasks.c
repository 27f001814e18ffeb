/* Counting a container's threads by state, for procs_running/procs_blocked
 * (and the load average). */
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Nesting deeper than this is not followed (systemd-in-container uses 3-4). */
#define MAX_DEPTH 16

char proc_stat_state(const char *stat_text)
{
	const char *p = strrchr(stat_text, ')');
	return p && p[1] == ' ' && p[2] ? p[2] : 0;
}

struct counter {
	const char *list_file; /* "tasks" (v1) or "cgroup.threads" (v2) */
	pid_t self;
	unsigned limit;
	struct cg_task_counts *out;
	struct strbuf buf, stat;
};

static void count_one(struct counter *c, pid_t tid)
{
	char rel[32];
	snprintf(rel, sizeof(rel), "%d/stat", (int)tid);
	c->out->total++;
	if (tid == c->self) {
		c->out->running++;
		return;
	}
	if (host_read_proc(rel, &c->stat) < 0)
		return; /* exited since the list was read */
	char state = proc_stat_state(sb_str(&c->stat));
	if (state == 'R')
		c->out->running++;
	else if (state == 'D')
		c->out->blocked++;
}

/* Counts the threads listed in dirfd's list file, then recurses. */
static bool count_dir(struct counter *c, int dirfd, unsigned depth)
{
	if (read_file_at(dirfd, c->list_file, true, &c->buf) < 0)
		return false;
	char *list = xstrdup(sb_str(&c->buf));
	for (char *line = list, *next; *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = '\0';
		long tid = strtol(line, NULL, 10);
		if (tid > 0)
			count_one(c, (pid_t)tid);
	}
	free(list);
	if (c->out->total > c->limit)
		return false;
	if (depth >= MAX_DEPTH)
		return true;

	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return true;
	}
	bool ok = true;
	for (struct dirent *de; ok && (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue; /* removed meanwhile */
		ok = count_dir(c, sub, depth + 1);
		close(sub);
	}
	closedir(d);
	return ok;
}

bool cg_count_tasks(const struct cgroups *cg, const struct cg_paths *p, pid_t self_tid,
		    unsigned limit, struct cg_task_counts *out)
{
	struct cg_loc loc;

	memset(out, 0, sizeof(*out));
	/* Any v1 hierarchy lists the same threads; prefer the ones runtimes
	 * always configure. */
	if (!cg_locate(cg, p, CG_CPUACCT, &loc) && !cg_locate(cg, p, CG_PIDS, &loc) &&
	    !cg_locate(cg, p, CG_MEMORY, &loc))
		return false;
	char *rel = strcmp(loc.path, "/") ? xstrdup(loc.path + 1) : xstrdup(".");
	int dirfd = openat(loc.fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(rel);
	if (dirfd < 0)
		return false;
	struct counter c = {
		.list_file = loc.version == 2 ? "cgroup.threads" : "tasks",
		.self = self_tid,
		.limit = limit,
		.out = out,
	};
	bool ok = count_dir(&c, dirfd, 0);
	close(dirfd);
	sb_free(&c.buf);
	sb_free(&c.stat);
	return ok;
}
