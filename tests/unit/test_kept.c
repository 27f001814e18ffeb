/* Cgroup control files kept open: what a read returns stays what the file
 * holds at that moment, failures are not kept, and the number kept is
 * bounded. Plain files stand in for control files (a real cgroup removed
 * under a kept file is covered by tests/integration/memory.sh). */
#include "tap.h"

#include "cgroup/kept.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/cviewfs-test-kept.XXXXXX";
static int dirfd_;

/* Rewrites a file in place (same inode), as the kernel's files change. */
static void write_in_place(const char *name, const char *text)
{
	int fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0) {
		printf("Bail out! cannot write %s/%s\n", dir, name);
		exit(1);
	}
}

int main(void)
{
	struct strbuf out = STRBUF_INIT;

	if (!mkdtemp(dir) || (dirfd_ = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	kept_enable(true, 32);

	write_in_place("memory.limit_in_bytes", "268435456\n");
	ok(kept_read(dirfd_, "memory.limit_in_bytes", &out) == 0, "first read succeeds");
	is_str(sb_str(&out), "268435456\n", "first read: the file's content");
	is_u64(kept_count(), 1, "the file is kept");

	write_in_place("memory.limit_in_bytes", "536870912\n");
	ok(kept_read(dirfd_, "memory.limit_in_bytes", &out) == 0, "second read succeeds");
	is_str(sb_str(&out), "536870912\n", "second read: the new content, not the first");
	is_u64(kept_count(), 1, "still one file kept");

	write_in_place("memory.limit_in_bytes", "");
	ok(kept_read(dirfd_, "memory.limit_in_bytes", &out) == 0 && out.len == 0, "an emptied file reads empty");

	sb_append(&out, "stale", 5);
	ok(kept_read(dirfd_, "no-such-file", &out) == -ENOENT, "a missing file: -ENOENT");
	is_u64(out.len, 0, "a missing file leaves nothing in out");
	is_u64(kept_count(), 1, "a missing file is not kept");

	ok(kept_read(dirfd_, "../", &out) < 0, "a directory is refused");

	char name[32];
	bool all_right = true;
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		char text[32];
		snprintf(text, sizeof(text), "%d\n", i);
		write_in_place(name, text);
		all_right &= kept_read(dirfd_, name, &out) == 0 && !strcmp(sb_str(&out), text);
	}
	ok(all_right, "100 files read, each with its own content");
	ok(kept_count() <= 32, "no more than the bound is kept (%u <= 32)", kept_count());
	all_right = true;
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		char text[32];
		snprintf(text, sizeof(text), "%d\n", i);
		all_right &= kept_read(dirfd_, name, &out) == 0 && !strcmp(sb_str(&out), text);
	}
	ok(all_right, "read again after evictions: each still its own content");

	kept_close_all();
	is_u64(kept_count(), 0, "kept_close_all closes everything");
	kept_enable(false, 0);
	ok(kept_read(dirfd_, "f1", &out) == 0 && !strcmp(sb_str(&out), "1\n") && kept_count() == 0,
	   "with keeping off: read by path, nothing kept");

	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		unlinkat(dirfd_, name, 0);
	}
	unlinkat(dirfd_, "memory.limit_in_bytes", 0);
	close(dirfd_);
	rmdir(dir);
	sb_free(&out);
	return tap_done();
}
