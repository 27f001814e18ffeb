#include "fs/ops.h"
#include "cgfs/cgfs.h"
#include "fs/files.h"
#include "fs/tree.h"
#include "host/host.h"
#include "metrics/metrics.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* Per open file or directory: the snapshot that reads at later offsets are
 * served from (file content, or the listing taken at opendir). */
struct open_file {
	struct open_file *next; /* in the handle table */
	uint64_t id;            /* the fh the kernel knows it by */
	unsigned refs;          /* the table's, plus one per request using it */
	struct node *node;      /* NULL for the cgroupfs view's */
	fuse_ino_t ino;
	int cg_fd;              /* the cgroupfs view's: the real file, else -1 */
	pthread_mutex_t lock;
	bool rendered;
	struct strbuf content;
	struct dir_list list;   /* directories */
};

/* Open files by handle. The kernel may hand a RELEASE to one worker thread
 * while another still answers a READ of the same file (seen with 1000
 * concurrent readers), so a handle is looked up and referenced under its
 * bucket's lock, and freed by whoever drops the last reference. Every
 * bucket has its own lock: a cycle takes one about six times, and one
 * global lock was where 64 concurrent readers queued. */
#define HANDLE_BUCKETS 256

/* A handle carries the serving process's generation in its top bits, so a
 * successor never mistakes a handle its predecessor gave out for one of its
 * own: it finds no snapshot and serves that file statelessly. */
#define HANDLE_GEN_SHIFT 40

static struct handle_bucket {
	pthread_mutex_t lock;
	struct open_file *head;
} handles[HANDLE_BUCKETS] = { [0 ... HANDLE_BUCKETS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER } };
static _Atomic uint64_t handle_generation, handle_next_id = 1;

void ops_set_generation(uint32_t generation)
{
	atomic_store(&handle_generation, generation & 0xffffff);
}

static struct handle_bucket *bucket_of(uint64_t id)
{
	return &handles[id % HANDLE_BUCKETS];
}

static struct open_file *open_file_new(struct node *n, fuse_ino_t ino)
{
	struct open_file *of = xcalloc(1, sizeof(*of));
	of->node = n;
	of->ino = ino;
	of->cg_fd = -1;
	pthread_mutex_init(&of->lock, NULL);
	return of;
}

static uint64_t handle_add(struct open_file *of)
{
	uint64_t seq = atomic_fetch_add(&handle_next_id, 1) & ((1ULL << HANDLE_GEN_SHIFT) - 1);
	of->id = atomic_load(&handle_generation) << HANDLE_GEN_SHIFT | seq;
	of->refs = 1;
	struct handle_bucket *b = bucket_of(of->id);
	pthread_mutex_lock(&b->lock);
	of->next = b->head;
	b->head = of;
	pthread_mutex_unlock(&b->lock);
	return of->id;
}

static struct open_file *handle_get(uint64_t id)
{
	struct handle_bucket *b = bucket_of(id);
	pthread_mutex_lock(&b->lock);
	struct open_file *of = b->head;
	while (of && of->id != id)
		of = of->next;
	if (of)
		of->refs++;
	pthread_mutex_unlock(&b->lock);
	return of;
}

static void open_file_free(struct open_file *of)
{
	sb_free(&of->content);
	dir_list_free(&of->list);
	if (of->cg_fd >= 0)
		close(of->cg_fd);
	pthread_mutex_destroy(&of->lock);
	free(of);
}

static void handle_put(struct open_file *of)
{
	struct handle_bucket *b = bucket_of(of->id);
	pthread_mutex_lock(&b->lock);
	bool last = --of->refs == 0;
	pthread_mutex_unlock(&b->lock);
	if (last)
		open_file_free(of);
}

/* Drops the table's reference: the file is freed once no request uses it. */
static void handle_remove(uint64_t id)
{
	struct handle_bucket *b = bucket_of(id);
	struct open_file *of = NULL;
	pthread_mutex_lock(&b->lock);
	for (struct open_file **pp = &b->head; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			of = *pp;
			*pp = of->next;
			break;
		}
	}
	pthread_mutex_unlock(&b->lock);
	if (of)
		handle_put(of);
}

static pid_t reader_of(fuse_req_t req)
{
	return fuse_req_ctx(req)->pid;
}

static struct cgfs_who who_of(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	return (struct cgfs_who){ ctx->pid, ctx->uid, ctx->gid };
}

/* The request is for the cgroupfs view (cgfs/): a node of it, or its
 * directory's name in the root. */
static bool for_cgfs(fuse_ino_t ino, const char *name)
{
	if (cgfs_ino(ino))
		return true;
	return name && ino == FUSE_ROOT_ID && cgfs_enabled() && !strcmp(name, CGFS_TOP_NAME);
}

/* Above any number of readers a host has at once. */
#define RELEASES_IN_FLIGHT 4096

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Our content is per reader and never cached; readdir is small. */
	conn->want &= ~FUSE_CAP_READDIRPLUS;
	/* RELEASE is a background request, and the kernel lets only
	 * max_background of those (12 by default) wait for an answer at a
	 * time: with dozens of readers opening files, the rest queued behind
	 * them in the kernel by the thousand (15,000 with 64 readers), each
	 * holding its open file here. Nothing else we get is sent in the
	 * background (direct_io: no readahead, no writeback). */
	conn->max_background = RELEASES_IN_FLIGHT;
	conn->congestion_threshold = conn->max_background;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node *dir = tree_get(parent), *n;
	struct fuse_entry_param e;

	if (for_cgfs(parent, name)) {
		struct cgfs_who who = who_of(req);
		int r = cgfs_lookup(parent, name, &who, &e);
		if (r < 0)
			fuse_reply_err(req, -r);
		else
			fuse_reply_entry(req, &e);
		return;
	}
	if (!dir) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	int r = tree_lookup(dir, name, reader_of(req), &n);
	if (r == 0)
		r = tree_stat(n, reader_of(req), &e.attr);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	e.ino = n->ino;
	e.generation = 1;
	e.attr_timeout = e.entry_timeout = tree_timeout(n);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n = tree_get(ino);
	struct stat st;

	(void)fi;
	if (for_cgfs(ino, NULL)) {
		struct cgfs_who who = who_of(req);
		int r = cgfs_getattr(ino, &who, &st);
		if (r < 0)
			fuse_reply_err(req, -r);
		else
			fuse_reply_attr(req, &st, 0);
		return;
	}
	int r = n ? tree_stat(n, reader_of(req), &st) : -ENOENT;
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, tree_timeout(n));
}

/* Every change is refused, but in the cgroupfs view: containers get a
 * read-only view. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	(void)fi;
	if (for_cgfs(ino, NULL)) {
		struct cgfs_who who = who_of(req);
		struct stat st;
		int r = cgfs_setattr(ino, &who, attr, to_set, &st);
		if (r < 0)
			fuse_reply_err(req, -r);
		else
			fuse_reply_attr(req, &st, 0);
		return;
	}
	fuse_reply_err(req, EACCES);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	if (cgfs_ino(ino))
		cgfs_forget(ino, nlookup);
	fuse_reply_none(req);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct node *n = tree_get(ino);
	char target[PATH_MAX];

	if (!n || n->kind != NODE_HOST || n->host_type != S_IFLNK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	char *rel;
	int r = tree_host_path(n, reader_of(req), &rel);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	ssize_t len = readlinkat(host()->sys_cpu_fd, rel, target, sizeof(target) - 1);
	int e = errno;
	free(rel);
	if (len < 0) {
		fuse_reply_err(req, e);
		return;
	}
	target[len] = '\0';
	fuse_reply_readlink(req, target);
}

/* A change of an entry that nothing here allows: EACCES, but in the
 * cgroupfs view, where it is ENOENT outside the reader's subtree and what
 * cgroupfs answers (`inside`) within it. */
static void refuse(fuse_req_t req, fuse_ino_t ino, const char *name, int inside)
{
	int err = EACCES;
	if (for_cgfs(ino, name)) {
		struct cgfs_who who = who_of(req);
		err = ino == FUSE_ROOT_ID ? EACCES : -cgfs_refuse(ino, name, &who, inside);
	}
	fuse_reply_err(req, err);
}

static void reply_entry_or_err(fuse_req_t req, int r, const struct fuse_entry_param *e)
{
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, e);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	if (!cgfs_ino(parent)) {
		refuse(req, parent, name, EACCES);
		return;
	}
	struct cgfs_who who = who_of(req);
	struct fuse_entry_param e;
	reply_entry_or_err(req, cgfs_mkdir(parent, name, mode, &who, &e), &e);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (!cgfs_ino(parent)) {
		refuse(req, parent, name, EACCES);
		return;
	}
	struct cgfs_who who = who_of(req);
	fuse_reply_err(req, -cgfs_rmdir(parent, name, &who));
}

/* cgroupfs has no files to make or remove, no links, no devices. */
static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)mode, (void)rdev;
	refuse(req, parent, name, EPERM);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	refuse(req, parent, name, EPERM);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	refuse(req, parent, name, EPERM);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	if (!cgfs_ino(parent) || !cgfs_ino(newparent)) {
		refuse(req, cgfs_ino(parent) ? parent : newparent, name, EXDEV);
		return;
	}
	struct cgfs_who who = who_of(req);
	fuse_reply_err(req, -cgfs_rename(parent, name, newparent, newname, flags, &who));
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	refuse(req, newparent, newname, EPERM);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	(void)mode, (void)fi;
	refuse(req, parent, name, EACCES);
}

/* Opens file ino for flags: 0 and its handle in *fh, or -errno. */
static int open_file(fuse_ino_t ino, int flags, const struct cgfs_who *who, uint64_t *fh)
{
	if (cgfs_ino(ino)) {
		int fd;
		int r = cgfs_open(ino, who, flags, &fd);
		if (r < 0)
			return r;
		struct open_file *of = open_file_new(NULL, ino);
		of->cg_fd = fd;
		*fh = handle_add(of);
		return 0;
	}
	struct node *n = tree_get(ino);

	if (!n)
		return -ENOENT;
	if (n->kind == NODE_DIR || (n->kind == NODE_HOST && n->host_type == S_IFDIR))
		return -EISDIR;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return -EACCES;
	*fh = handle_add(open_file_new(n, ino));
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct cgfs_who who = who_of(req);
	int r = open_file(ino, fi->flags, &who, &fi->fh);

	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->direct_io = 1;  /* content is per reader: no shared page cache */
	fi->keep_cache = 0;
	fi->noflush = 1;    /* nothing to flush: saves a round trip per close */
	if (fuse_reply_open(req, fi) == -ENOENT)
		handle_remove(fi->fh); /* the opener was interrupted: no RELEASE will follow */
}

/* The content of node n (of the cgroupfs view's node ino, read through
 * cg_fd, when n is NULL) for who. */
static int render(struct node *n, fuse_ino_t ino, int cg_fd, const struct cgfs_who *who,
		  struct strbuf *out)
{
	pid_t reader = who->pid;
	sb_reset(out);
	if (!n)
		return metrics_read(METRICS_FILE_CGROUP, cgfs_read(ino, who, cg_fd, out));
	if (n->kind == NODE_VFILE)
		return metrics_vfile_read(n->vf, n->vf->show(n->vf, reader, out));
	char *rel;
	int r = tree_host_path(n, reader, &rel);
	if (r < 0)
		return r;
	r = read_file_at(host()->sys_cpu_fd, rel, true, out);
	free(rel);
	return r;
}

/* The part of content a read at off for size bytes gets. */
static size_t slice_of(const struct strbuf *content, size_t size, off_t off, size_t *start)
{
	size_t len = content->len;
	*start = off < 0 || (size_t)off > len ? len : (size_t)off;
	return len - *start < size ? len - *start : size;
}

/* A read's bytes: in the caller's `small` buffer when they fit, else
 * allocated (free with slice_free). */
struct slice {
	char *data;
	size_t len;
	char small[4096]; /* most files: no allocation per read */
};

static void slice_set(struct slice *sl, const char *data, size_t len)
{
	sl->data = len <= sizeof(sl->small) ? sl->small : xmalloc(len);
	sl->len = len;
	memcpy(sl->data, data, len);
}

static void slice_free(struct slice *sl)
{
	if (sl->data != sl->small)
		free(sl->data);
}

/* A handle this process did not give out: its opener was served by a
 * predecessor. Every read renders afresh; a read at a later offset then
 * continues from new content, like reading a /proc file in pieces. */
static int read_stateless(fuse_ino_t ino, const struct cgfs_who *who, size_t size, off_t off,
			  struct slice *out)
{
	bool cg = cgfs_ino(ino);
	struct node *n = cg ? NULL : tree_get(ino);
	struct strbuf content = STRBUF_INIT;

	int r = n || cg ? render(n, ino, -1, who, &content) : -ESTALE;
	if (r == 0) {
		size_t start, len = slice_of(&content, size, off, &start);
		slice_set(out, sb_str(&content) + start, len);
	}
	sb_free(&content);
	return r;
}

/* What a read of size bytes at off of open file fh returns to reader:
 * 0 with the bytes in *out, or -errno. */
static int read_file(uint64_t fh, fuse_ino_t ino, const struct cgfs_who *who, size_t size,
		     off_t off, struct slice *out)
{
	struct open_file *of = handle_get(fh);

	if (!of)
		return read_stateless(ino, who, size, off, out);
	pthread_mutex_lock(&of->lock);
	if (off == 0 || !of->rendered) {
		int r = render(of->node, of->ino, of->cg_fd, who, &of->content);
		if (r < 0) {
			of->rendered = false;
			pthread_mutex_unlock(&of->lock);
			handle_put(of);
			return r;
		}
		of->rendered = true;
	}
	/* The slice is copied out, to be sent after the lock is dropped: the
	 * reply wakes the reader, which on the same CPU runs at once and asks
	 * for the end of file, and that request must not find the lock still
	 * held (it then sleeps, and every cycle costs two more switches). */
	size_t start, len = slice_of(&of->content, size, off, &start);
	slice_set(out, sb_str(&of->content) + start, len);
	pthread_mutex_unlock(&of->lock);
	handle_put(of);
	return 0;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct slice sl;
	struct cgfs_who who = who_of(req);
	int r = read_file(fi->fh, ino, &who, size, off, &sl);

	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fuse_reply_buf(req, sl.data, sl.len);
	slice_free(&sl);
}

/* Only the cgroupfs view's files take writes: a cgroup file is written
 * whole by each write, whatever the offset. */
static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)off;
	if (!cgfs_ino(ino)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	struct cgfs_who who = who_of(req);
	struct open_file *of = handle_get(fi->fh);
	int r = cgfs_write(ino, &who, of ? of->cg_fd : -1, buf, size);
	if (of)
		handle_put(of);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_write(req, (size_t)r);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	handle_remove(fi->fh);
	fuse_reply_err(req, 0);
}

/* ---- OPEN, READ and RELEASE answered from the raw request ----
 *
 * An open/read/close cycle's four requests (OPEN, READ, the READ that
 * finds the end, RELEASE) need nothing of libfuse's request machinery (a
 * request object, the session's interrupt list, its locks): the request
 * loop (serve/loop.c) hands them here straight from the connection, and
 * the reply goes back with one writev, as libfuse would send it. */

/* 0, or -errno; -ENOENT: the request was interrupted and nobody waits for
 * the answer. */
static int send_reply(int fd, uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header out = { .len = (uint32_t)(sizeof(out) + len), .error = -error,
				       .unique = unique };
	struct iovec iov[2] = { { &out, sizeof(out) }, { (void *)data, len } };
	if (writev(fd, iov, len ? 2 : 1) >= 0)
		return 0;
	int e = errno;
	if (e != ENOENT)
		log_once("ops", "reply", "cannot answer a request: %s", strerror(e));
	return -e;
}

bool ops_answer_raw(int fd, const void *buf, size_t len)
{
	const struct fuse_in_header *in = buf;

	if (len < sizeof(*in) || in->len != len)
		return false;
	const char *arg = (const char *)buf + sizeof(*in);
	size_t arg_len = len - sizeof(*in);
	struct cgfs_who who = { (pid_t)in->pid, in->uid, in->gid };
	if (in->opcode == FUSE_READ && arg_len >= sizeof(struct fuse_read_in)) {
		const struct fuse_read_in *rd = (const void *)arg;
		struct slice sl;
		int r = read_file(rd->fh, in->nodeid, &who, rd->size, (off_t)rd->offset, &sl);
		if (r < 0) {
			send_reply(fd, in->unique, -r, NULL, 0);
		} else {
			send_reply(fd, in->unique, 0, sl.data, sl.len);
			slice_free(&sl);
		}
		return true;
	}
	if (in->opcode == FUSE_OPEN && arg_len >= sizeof(struct fuse_open_in)) {
		const struct fuse_open_in *op = (const void *)arg;
		struct fuse_open_out out = { .open_flags = FOPEN_DIRECT_IO | FOPEN_NOFLUSH };
		int r = open_file(in->nodeid, (int)op->flags, &who, &out.fh);
		if (r < 0)
			send_reply(fd, in->unique, -r, NULL, 0);
		else if (send_reply(fd, in->unique, 0, &out, sizeof(out)) == -ENOENT)
			handle_remove(out.fh); /* as in op_open */
		return true;
	}
	if (in->opcode == FUSE_RELEASE && arg_len >= sizeof(struct fuse_release_in)) {
		const struct fuse_release_in *rl = (const void *)arg;
		handle_remove(rl->fh);
		send_reply(fd, in->unique, 0, NULL, 0);
		return true;
	}
	return false;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	bool cg = cgfs_ino(ino);
	struct node *n = cg ? NULL : tree_get(ino);

	if (!n && !cg) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* The listing is taken at opendir so readdir offsets stay stable. */
	struct open_file *of = open_file_new(n, ino);
	struct cgfs_who who = who_of(req);
	int r = cg ? cgfs_list(ino, &who, &of->list) : tree_list(n, reader_of(req), &of->list);
	if (r < 0) {
		open_file_free(of);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = handle_add(of);
	if (fuse_reply_open(req, fi) == -ENOENT)
		handle_remove(fi->fh);
}

static void reply_entries(fuse_req_t req, const struct dir_list *l, size_t size, off_t off)
{
	char *buf = xmalloc(size);
	size_t used = 0;

	for (size_t i = off < 0 ? l->n : (size_t)off; i < l->n; i++) {
		struct stat st = { .st_ino = l->entries[i].ino, .st_mode = l->entries[i].type };
		size_t need = fuse_add_direntry(req, buf + used, size - used, l->entries[i].name, &st,
						(off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct open_file *of = handle_get(fi->fh);

	if (of) {
		reply_entries(req, &of->list, size, off);
		handle_put(of);
		return;
	}
	/* Opened under a predecessor: list afresh (offsets are positions in
	 * the listing, which only changes with CPU hotplug or cpuset). */
	bool cg = cgfs_ino(ino);
	struct node *n = cg ? NULL : tree_get(ino);
	struct dir_list l = { NULL, 0 };
	struct cgfs_who who = who_of(req);
	int r = cg ? cgfs_list(ino, &who, &l) : n ? tree_list(n, reader_of(req), &l) : -ESTALE;
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_entries(req, &l, size, off);
	dir_list_free(&l);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	handle_remove(fi->fh);
	fuse_reply_err(req, 0);
}

/* Extended attributes are not served (the cgroupfs view included). */
static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	(void)value, (void)size, (void)flags;
	refuse(req, ino, name, EOPNOTSUPP);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	refuse(req, ino, name, EOPNOTSUPP);
}

const struct fuse_lowlevel_ops cviewfs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.mknod = op_mknod,
	.forget = op_forget,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
	.create = op_create,
};
