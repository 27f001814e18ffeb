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

static bool count_at(const struct cg_loc *loc, pid_t self_tid, unsigned limit,
		     struct cg_task_counts *out)
{
	memset(out, 0, sizeof(*out));
	char *rel = strcmp(loc->path, "/") ? xstrdup(loc->path + 1) : xstrdup(".");
	int dirfd = openat(loc->fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(rel);
	if (dirfd < 0)
		return false;
	struct counter c = {
		.list_file = loc->version == 2 ? "cgroup.threads" : "tasks",
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

/* Any v1 hierarchy lists the same threads; prefer the ones runtimes always
 * configure. */
static bool locate_tasks(const struct cgroups *cg, const struct cg_paths *p, struct cg_loc *loc)
{
	return cg_locate(cg, p, CG_CPUACCT, loc) || cg_locate(cg, p, CG_PIDS, loc) ||
	       cg_locate(cg, p, CG_MEMORY, loc);
}

bool cg_count_tasks(const struct cgroups *cg, const struct cg_paths *p, pid_t self_tid,
		    unsigned limit, struct cg_task_counts *out)
{
	struct cg_loc loc;
	memset(out, 0, sizeof(*out));
	return locate_tasks(cg, p, &loc) && count_at(&loc, self_tid, limit, out);
}

char *cg_tasks_key(const struct cgroups *cg, const struct cg_paths *p)
{
	struct cg_loc loc;
	if (!locate_tasks(cg, p, &loc))
		return NULL;
	return xasprintf("%d:%d:%s", loc.version, (int)loc.ctrl, loc.path);
}

static bool loc_of_key(const struct cgroups *cg, const char *key, struct cg_loc *loc)
{
	int version, ctrl, used = 0;
	if (sscanf(key, "%d:%d:%n", &version, &ctrl, &used) != 2 || !used || ctrl < 0 ||
	    ctrl >= CG_NR_CONTROLLERS || (version != 1 && version != 2))
		return false;
	*loc = (struct cg_loc){
		.fd = version == 2 ? cg->v2_fd : cg->v1_fd[ctrl],
		.version = version,
		.path = key + used,
		.ctrl = (enum cg_controller)ctrl,
	};
	return loc->fd >= 0;
}

bool cg_count_tasks_key(const struct cgroups *cg, const char *key, pid_t self_tid, unsigned limit,
			struct cg_task_counts *out)
{
	struct cg_loc loc;
	memset(out, 0, sizeof(*out));
	return loc_of_key(cg, key, &loc) && count_at(&loc, self_tid, limit, out);
}

bool cg_count_active_key(const struct cgroups *cg, struct cgstats *cs, const char *key,
			 uint64_t *active)
{
	struct cg_loc loc;
	if (!loc_of_key(cg, key, &loc))
		return false;
	if (loc.version == 1 && cs && cs->sock >= 0) {
		char *rel = strcmp(loc.path, "/") ? xstrdup(loc.path + 1) : xstrdup(".");
		int dirfd = openat(loc.fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		free(rel);
		if (dirfd < 0)
			return false;
		int r = cgstats_count_active(cs, dirfd, active);
		close(dirfd);
		if (r == 0)
			return true;
	}
	struct cg_task_counts c;
	if (!count_at(&loc, 0, 100000, &c))
		return false;
	*active = c.running + c.blocked;
	return true;
}
