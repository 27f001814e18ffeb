/* The benchmark's floor: the least a libfuse3 low-level filesystem can do to
 * serve /proc-like files. MNT/proc/{meminfo,stat,...} hold a constant (the
 * host's file as read once at start), opened direct_io like a /proc file,
 * with the same mount options as cviewfs (ro, allow_other) and libfuse's
 * default multi-threaded loop. Every request is counted by opcode; SIGUSR1
 * prints the counts as one line on stdout:
 *   requests LOOKUP=3 GETATTR=1 OPEN=100 READ=200 FLUSH=1 RELEASE=100 ...
 * Built by bench/run:  cc -O2 floor.c $(pkg-config --cflags --libs fuse3)
 *   floor MOUNTPOINT FILE...      (FILE names under /proc, e.g. meminfo) */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OP_LOOKUP, OP_FORGET, OP_GETATTR, OP_OPEN, OP_READ, OP_FLUSH, OP_RELEASE,
       OP_OPENDIR, OP_READDIR, OP_RELEASEDIR, OP_OTHER, OP_N };
static const char *const op_names[OP_N] = { "LOOKUP", "FORGET", "GETATTR", "OPEN", "READ", "FLUSH",
					     "RELEASE", "OPENDIR", "READDIR", "RELEASEDIR", "OTHER" };
static atomic_ulong counts[OP_N];
#define COUNT(op) atomic_fetch_add_explicit(&counts[op], 1, memory_order_relaxed)

#define MAX_FILES 32
#define INO_PROC 2 /* 1 is the root; files are 3.. */
static struct {
	char name[64];
	char *data;
	size_t len;
} files[MAX_FILES];
static int nfiles;

static const double TIMEOUT = 1.0; /* libfuse's default */

static void fill_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino <= INO_PROC) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)files[ino - 3].len;
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	COUNT(OP_LOOKUP);
	fuse_ino_t ino = 0;
	if (parent == FUSE_ROOT_ID && strcmp(name, "proc") == 0)
		ino = INO_PROC;
	for (int i = 0; parent == INO_PROC && i < nfiles; i++)
		if (strcmp(name, files[i].name) == 0)
			ino = (fuse_ino_t)i + 3;
	if (!ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct fuse_entry_param e = { .ino = ino, .attr_timeout = TIMEOUT, .entry_timeout = TIMEOUT };
	fill_stat(ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	COUNT(OP_FORGET);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	COUNT(OP_GETATTR);
	struct stat st;
	fill_stat(ino, &st);
	fuse_reply_attr(req, &st, TIMEOUT);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	COUNT(OP_OPEN);
	if (ino <= INO_PROC) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	COUNT(OP_READ);
	const char *data = files[ino - 3].data;
	size_t len = files[ino - 3].len;
	if ((size_t)off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, data + off, len - (size_t)off < size ? len - (size_t)off : size);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	COUNT(OP_FLUSH);
	fuse_reply_err(req, ENOSYS); /* the kernel stops sending FLUSH */
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	COUNT(OP_RELEASE);
	fuse_reply_err(req, 0);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	COUNT(OP_OPENDIR);
	if (ino > INO_PROC)
		fuse_reply_err(req, ENOTDIR);
	else
		fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	COUNT(OP_READDIR);
	char buf[4096];
	size_t used = 0;
	int n = ino == FUSE_ROOT_ID ? 1 : nfiles;
	for (int i = (int)off; i < n; i++) {
		struct stat st;
		fuse_ino_t child = ino == FUSE_ROOT_ID ? INO_PROC : (fuse_ino_t)i + 3;
		fill_stat(child, &st);
		const char *name = ino == FUSE_ROOT_ID ? "proc" : files[i].name;
		size_t need = fuse_add_direntry(req, buf + used, sizeof(buf) - used, name, &st, i + 1);
		if (need > sizeof(buf) - used || used + need > size)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	COUNT(OP_RELEASEDIR);
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = op_lookup,
	.forget = op_forget,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.flush = op_flush,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
};

/* SIGUSR1 is blocked everywhere and taken here, so the counts can be printed
 * with stdio. */
static void *report_thread(void *arg)
{
	sigset_t *set = arg;
	for (;;) {
		int sig;
		if (sigwait(set, &sig) != 0)
			continue;
		printf("requests");
		unsigned long total = 0;
		for (int i = 0; i < OP_N; i++) {
			unsigned long c = atomic_load(&counts[i]);
			printf(" %s=%lu", op_names[i], c);
			total += c;
		}
		printf(" total=%lu\n", total);
		fflush(stdout);
	}
	return NULL;
}

static int load_file(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "/proc/%s", name);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "floor: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	char *data = malloc(cap);
	size_t n;
	while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			data = realloc(data, cap *= 2);
	}
	fclose(f);
	if (!data) {
		fprintf(stderr, "floor: out of memory\n");
		return -1;
	}
	snprintf(files[nfiles].name, sizeof(files[nfiles].name), "%s", name);
	files[nfiles].data = data;
	files[nfiles].len = len;
	nfiles++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: floor MOUNTPOINT FILE...\n");
		return 2;
	}
	for (int i = 2; i < argc && nfiles < MAX_FILES; i++)
		if (load_file(argv[i]))
			return 1;

	static sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	pthread_t t;
	if (pthread_create(&t, NULL, report_thread, &usr1) != 0) {
		fprintf(stderr, "floor: cannot start the report thread\n");
		return 1;
	}

	char *fargv[] = { argv[0], "-o", "ro,allow_other,fsname=floor,subtype=floor", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se) {
		fprintf(stderr, "floor: fuse_session_new failed\n");
		return 1;
	}
	if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[1]) != 0) {
		fprintf(stderr, "floor: cannot mount %s\n", argv[1]);
		fuse_session_destroy(se);
		return 1;
	}
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	int r = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return r ? 1 : 0;
}
