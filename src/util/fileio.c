#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* Reads until EOF; with short_is_eof, a read that leaves room in the buffer
 * is taken as EOF (see read_small_file_at). */
static int read_fd_until(int fd, bool short_is_eof, struct strbuf *out)
{
	for (;;) {
		sb_reserve(out, 4096);
		ssize_t n = read(fd, out->buf + out->len, out->cap - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		size_t room = out->cap - out->len - 1;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		if (short_is_eof && (size_t)n < room)
			break;
	}
	return 0;
}

int read_fd_all(int fd, struct strbuf *out)
{
	return read_fd_until(fd, false, out);
}

int pread_small(int fd, struct strbuf *out)
{
	sb_reset(out);
	for (;;) {
		sb_reserve(out, 4096);
		size_t room = out->cap - out->len - 1;
		ssize_t n = pread(fd, out->buf + out->len, room, (off_t)out->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sb_reset(out);
			return -errno;
		}
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		if ((size_t)n < room)
			return 0;
	}
}

int pread_all(int fd, off_t off, struct strbuf *out)
{
	for (;;) {
		sb_reserve(out, 4096);
		ssize_t n = pread(fd, out->buf + out->len, out->cap - out->len - 1, off + (off_t)out->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
	}
	return 0;
}

static int read_path(int dirfd, const char *path, bool nofollow, bool small, struct strbuf *out)
{
	sb_reset(out);
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	int ret = read_fd_until(fd, small, out);
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
