/* Whole-file reads that skip the EOF read (read_small_file_at, pread_small):
 * they must still return every byte, and a kept-open file read again must
 * show its current content. */
#include "tap.h"

#include "util/fileio.h"
#include "util/strbuf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *make_text(size_t len, char fill)
{
	char *t = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		t[i] = (i % 64 == 63) ? '\n' : fill;
	t[len] = '\0';
	return t;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

int main(void)
{
	char dir[] = "/tmp/cviewfs-fileio.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char *path = malloc(strlen(dir) + 8);
	sprintf(path, "%s/f", dir);
	struct strbuf sb = STRBUF_INIT;

	/* Sizes around the first buffer (4096, less the terminating NUL) and past it. */
	size_t sizes[] = { 0, 1, 4094, 4095, 4096, 8191, 8192, 100000 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *t = make_text(sizes[i], 'a');
		write_file(path, t);
		ok(read_small_file_at(AT_FDCWD, path, true, &sb) == 0 && sb.len == sizes[i] && !strcmp(sb_str(&sb), t),
		   "read_small_file_at: a %zu-byte file is read whole", sizes[i]);
		int fd = open(path, O_RDONLY);
		ok(pread_small(fd, &sb) == 0 && sb.len == sizes[i] && !strcmp(sb_str(&sb), t),
		   "pread_small: a %zu-byte file is read whole", sizes[i]);
		close(fd);
		free(t);
	}

	/* A kept-open file shows what it holds now, not what it held. */
	write_file(path, "MemTotal: 1 kB\n");
	int fd = open(path, O_RDONLY);
	ok(pread_small(fd, &sb) == 0 && !strcmp(sb_str(&sb), "MemTotal: 1 kB\n"), "pread_small: first content");
	write_file(path, "MemTotal: 22 kB\n");
	ok(pread_small(fd, &sb) == 0 && !strcmp(sb_str(&sb), "MemTotal: 22 kB\n"),
	   "pread_small: a second read shows the new content, not a cached one");
	close(fd);

	ok(read_small_file_at(AT_FDCWD, "/nonexistent/cviewfs", true, &sb) < 0 && sb.len == 0,
	   "read_small_file_at: a missing file is an error and leaves out empty");
	/* procfs: one record, so one read; the content is complete. */
	ok(read_small_file_at(AT_FDCWD, "/proc/self/status", false, &sb) == 0 && strstr(sb_str(&sb), "\nNSpid:"),
	   "read_small_file_at: /proc/self/status read whole");

	sb_free(&sb);
	unlink(path);
	rmdir(dir);
	free(path);
	return tap_done();
}
