/* Small helpers: whole-file reads, paths, process start times, running a
 * runtime's command line tool. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tk.h"

extern char **environ;

char *tk_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

int tk_read_fd(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - n < 2) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int tk_read_file_at(int dirfd, const char *path, char **out, size_t *len, tk_error **err)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tk_fail(err, errno, "open %s", path);
	int r = tk_read_fd(fd, out, len);
	close(fd);
	if (r < 0)
		return tk_fail(err, -r, "read %s", path);
	return 0;
}

int tk_mountpoint_path(const char *in, char **out, tk_error **err)
{
	char *copy = strdup(in);
	if (!copy)
		return tk_fail(err, ENOMEM, "mount point");
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	char *slash = strrchr(copy, '/');
	const char *base = slash ? slash + 1 : copy;
	const char *dir = ".";
	if (slash == copy)
		dir = "/";
	else if (slash) {
		*slash = '\0';
		dir = copy;
	}
	/* Resolve the parent only: the mount point itself may be a dead
	 * FUSE mount, on which stat fails. */
	char *parent = realpath(dir, NULL);
	if (!parent) {
		int e = errno;
		free(copy);
		return tk_fail(err, e, "mount point %s", in);
	}
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		*out = strdup(parent);
	else
		*out = tk_strdup_printf("%s%s%s", parent, strcmp(parent, "/") ? "/" : "", base);
	free(copy);
	free(parent);
	if (!*out)
		return tk_fail(err, ENOMEM, "mount point");
	return 0;
}

unsigned long long tk_pid_start_time(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *text = NULL;
	tk_error *err = NULL;
	if (tk_read_file_at(AT_FDCWD, path, &text, NULL, &err) < 0) {
		tk_error_free(&err);
		return 0;
	}
	/* comm may contain spaces and parentheses: count from the last ')'. */
	unsigned long long start = 0;
	char *p = strrchr(text, ')');
	for (int field = 2; p && *p; p++) {
		if (*p != ' ')
			continue;
		if (++field == 22) {
			start = strtoull(p + 1, NULL, 10);
			break;
		}
	}
	free(text);
	return start;
}

int tk_run_capture(char *const argv[], char **out, tk_error **err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return tk_fail(err, errno, "pipe");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		return tk_fail(err, r, "run %s", argv[0]);
	}
	r = tk_read_fd(pfd[0], out, NULL);
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return tk_fail(err, -r, "read the output of %s", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(*out);
		*out = NULL;
		return tk_fail(err, 0, "%s failed", argv[0]);
	}
	return 0;
}
