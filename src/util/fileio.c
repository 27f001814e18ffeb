#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int read_fd_all(int fd, struct strbuf *out)
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
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
	}
	return 0;
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

int read_file_at(int dirfd, const char *path, bool nofollow, struct strbuf *out)
{
	sb_reset(out);
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	int ret = read_fd_all(fd, out);
	close(fd);
	if (ret < 0)
		sb_reset(out);
	return ret;
}
