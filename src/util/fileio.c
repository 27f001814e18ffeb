#include "util/fileio.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

/* Appends until EOF: read(2) from the fd's offset, or with `positioned`
 * pread(2) from `base` on (leaving the shared offset alone). With
 * short_is_eof, a read that leaves room in the buffer is taken as EOF (see
 * read_small_file_at). */
static int read_loop(int fd, bool positioned, off_t base, bool short_is_eof, struct strbuf *out)
{
	/* The first read goes to the stack and only what came is copied out:
	 * most files here are small, and a 4 KiB buffer per read came from
	 * the malloc arena (past the per-thread cache), shared by every
	 * request thread. */
	char first[4096];
	ssize_t n;
	do
		n = positioned ? pread(fd, first, sizeof(first), base) : read(fd, first, sizeof(first));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	sb_append(out, first, (size_t)n); /* also when empty: out is then "" */
	if (n == 0)
		return 0;
	if (short_is_eof && (size_t)n < sizeof(first))
		return 0;
	for (;;) {
		sb_reserve(out, 4096);
		size_t room = out->cap - out->len - 1;
		ssize_t n = positioned ? pread(fd, out->buf + out->len, room, base + (off_t)out->len)
				       : read(fd, out->buf + out->len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		if (short_is_eof && (size_t)n < room)
			break;
	}
	return 0;
}

int read_fd_all(int fd, struct strbuf *out)
{
	return read_loop(fd, false, 0, false, out);
}

int pread_small(int fd, struct strbuf *out)
{
	sb_reset(out);
	int r = read_loop(fd, true, 0, true, out);
	if (r < 0)
		sb_reset(out);
	return r;
}

int pread_all(int fd, off_t off, struct strbuf *out)
{
	return read_loop(fd, true, off, false, out);
}

static int read_path(int dirfd, const char *path, bool nofollow, bool small, struct strbuf *out)
{
	sb_reset(out);
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	int ret = read_loop(fd, false, 0, small, out);
	close(fd);
	if (ret < 0)
		sb_reset(out);
	return ret;
}

int read_file_at(int dirfd, const char *path, bool nofollow, struct strbuf *out)
{
	return read_path(dirfd, path, nofollow, false, out);
}

int read_small_file_at(int dirfd, const char *path, bool nofollow, struct strbuf *out)
{
	return read_path(dirfd, path, nofollow, true, out);
}

/* ---- the newest pid of a procfs ---- */

struct dirent64_hdr {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* A pid entry's record: 19 header bytes, at most 7 digits (PID_MAX_LIMIT
 * is 4194304) and a NUL, aligned to 8. */
#define PID_RECLEN_MAX 32
/* Room for 16 entries: each listed entry costs the kernel a dentry, so a
 * probe lists few. */
#define PROBE_BUF (16 * PID_RECLEN_MAX)
#define PID_LIMIT 4194304L /* the kernel's PID_MAX_LIMIT on 64-bit */

struct probe {
	long max;      /* highest pid listed, -1 for none */
	bool complete; /* the listing reached the end of the directory */
};

/* Lists the pids >= from; false on error. The kernel fills the buffer
 * until an entry does not fit, so room left for the largest entry means
 * it ran out of pids. */
static bool probe_from(int fd, long from, struct probe *p)
{
	union { struct dirent64_hdr h; char b[PROBE_BUF]; } buf;

	if (lseek(fd, PROCFS_TGID_OFFSET + from, SEEK_SET) < 0)
		return false;
	long n = syscall(SYS_getdents64, fd, buf.b, sizeof(buf.b));
	if (n < 0)
		return false;
	p->max = -1;
	for (long off = 0; off + (long)offsetof(struct dirent64_hdr, d_name) < n;) {
		struct dirent64_hdr *d = (struct dirent64_hdr *)(buf.b + off);
		char *end;
		long pid = strtol(d->d_name, &end, 10);
		if (!*end && end != d->d_name && pid > p->max)
			p->max = pid;
		if (!d->d_reclen)
			break;
		off += d->d_reclen;
	}
	p->complete = (long)sizeof(buf.b) - n >= PID_RECLEN_MAX;
	return true;
}

/* Any directory: the highest numeric entry of a full listing. */
static long last_pid_listing(int fd)
{
	long last = -1;
	int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -1;
	}
	for (struct dirent *de; (de = readdir(d));) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (!*end && end != de->d_name && pid > last)
			last = pid;
	}
	closedir(d);
	return last;
}

/* Pids exist above lo (its probe was not complete) and none at or above
 * hi: halve the gap. Processes come and go between probes, so the gap can
 * close without an answer; then lo, a pid that existed, is the answer. */
static long bisect_last(int fd, long lo, long hi)
{
	struct probe p;
	for (int i = 0; i < 64 && hi - lo > 1; i++) {
		long mid = lo + (hi - lo) / 2;
		if (!probe_from(fd, mid, &p))
			return lo;
		if (p.max < 0)
			hi = mid;
		else if (p.complete)
			return p.max;
		else
			lo = p.max;
	}
	return lo;
}

long procfs_last_pid(int procfd)
{
	struct statfs sfs;
	struct probe p;

	if (fstatfs(procfd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return last_pid_listing(procfd); /* not a procfs: offsets mean nothing */
	if (!probe_from(procfd, 0, &p))
		return last_pid_listing(procfd);
	/* Small namespaces end here; else double the start until past the end. */
	while (p.max >= 0 && !p.complete) {
		long lo = p.max, next = lo * 2 < PID_LIMIT ? lo * 2 : PID_LIMIT;
		if (next <= lo || !probe_from(procfd, next, &p))
			return lo;
		if (p.max < 0)
			return bisect_last(procfd, lo, next);
	}
	return p.max;
}

char *absolute_path(const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	char *abs = xasprintf("%s%s%s", cwd, cwd[1] ? "/" : "", path);
	free(cwd);
	return abs;
}
