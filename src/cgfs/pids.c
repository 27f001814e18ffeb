#include "cgfs/pids.h"
#include "host/host.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

size_t cgfs_status_nspids(const char *status, pid_t **out)
{
	*out = NULL;
	const char *line = strstr(status, "\nNSpid:");
	if (!line)
		return 0;
	char *text = xstrndup(line + 7, strcspn(line + 7, "\n"));
	size_t n = 0;
	for (char *p = text, *end;; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p || v <= 0 || v > INT32_MAX)
			break;
		*out = xrealloc(*out, (n + 1) * sizeof(pid_t));
		(*out)[n++] = (pid_t)v;
	}
	free(text);
	return n;
}

static int read_status(pid_t pid, struct strbuf *out)
{
	char rel[48];
	snprintf(rel, sizeof(rel), "%d/status", (int)pid);
	return host_read_proc_small(rel, out);
}

/* The ns of the open nsfs fd `fd`, `up` levels above (fd is consumed). */
static bool ns_at(int fd, unsigned up, struct stat *st)
{
	for (; fd >= 0 && up; up--) {
		int parent = ioctl(fd, NS_GET_PARENT);
		close(fd);
		fd = parent;
	}
	if (fd < 0)
		return false;
	bool ok = fstat(fd, st) == 0;
	close(fd);
	return ok;
}

static int open_ns(pid_t pid)
{
	char rel[48];
	snprintf(rel, sizeof(rel), "%d/ns/pid", (int)pid);
	return openat(host()->proc_fd, rel, O_RDONLY | O_CLOEXEC);
}

int cgfs_pidns_of(pid_t pid, struct cgfs_pidns *out)
{
	struct strbuf status = STRBUF_INIT;
	pid_t *nspid = NULL;
	struct stat st;
	int r = read_status(pid, &status);
	size_t n = r == 0 ? cgfs_status_nspids(sb_str(&status), &nspid) : 0;
	if (r == 0 && (!n || !ns_at(open_ns(pid), 0, &st)))
		r = -ESRCH;
	if (r == 0)
		*out = (struct cgfs_pidns){ st.st_dev, st.st_ino, (unsigned)(n - 1) };
	free(nspid);
	sb_free(&status);
	return r;
}

pid_t cgfs_pid_in(pid_t tid, const struct cgfs_pidns *ns)
{
	/* The daemon's own namespace numbers every task it is shown. */
	if (ns->level == 0)
		return tid;
	struct strbuf status = STRBUF_INIT;
	pid_t *nspid = NULL, shown = 0;
	size_t n = read_status(tid, &status) == 0 ? cgfs_status_nspids(sb_str(&status), &nspid) : 0;
	struct stat st;
	/* Deep enough, and the namespace at the reader's depth is the
	 * reader's (not a sibling at the same depth). */
	if (n > ns->level && ns_at(open_ns(tid), (unsigned)(n - 1) - ns->level, &st) &&
	    st.st_dev == ns->dev && st.st_ino == ns->ino)
		shown = nspid[ns->level];
	free(nspid);
	sb_free(&status);
	return shown;
}

void cgfs_pidlist_map(const char *text, pid_t (*map)(pid_t, void *), void *arg,
		      struct strbuf *out)
{
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		pid_t pid;
		if (cgfs_pid_parse(line, len, &pid) && pid > 0 && (pid = map(pid, arg)) > 0)
			sb_printf(out, "%d\n", (int)pid);
		line += len + (line[len] == '\n');
	}
}

bool cgfs_pid_parse(const char *buf, size_t len, pid_t *out)
{
	size_t i = 0;
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	long long v = 0;
	size_t digits = 0;
	for (; i < len && isdigit((unsigned char)buf[i]); i++, digits++) {
		v = v * 10 + (buf[i] - '0');
		if (v > INT32_MAX)
			return false;
	}
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (!digits || i != len)
		return false;
	*out = (pid_t)v;
	return true;
}
