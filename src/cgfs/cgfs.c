#include "cgfs/cgfs.h"
#include "cgfs/confine.h"
#include "cgfs/cred.h"
#include "cgfs/hier.h"
#include "cgfs/pids.h"
#include "fs/tree.h"
#include "host/host.h"
#include "reader/reader.h"
#include "util/fileio.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NODE_BUCKETS 1024
/* A node learned from the journal: the kernel's count of it is unknown. */
#define NLOOKUP_UNKNOWN (UINT64_MAX / 2)

struct cgnode {
	fuse_ino_t ino;
	char *path;       /* from the mount root: "cgroup/memory/a/b" */
	uint64_t obj;     /* the real inode number of what is there */
	int hier;         /* index in hiers; -1 for MOUNTPOINT/cgroup */
	const char *sub;  /* in path: below the hierarchy root ("" or "a/b") */
	uint64_t nlookup; /* the kernel's references (FORGET drops them) */
	struct cgnode *next;
};

static struct {
	pthread_mutex_t lock;
	bool enabled;
	struct cgfs_hiers hs;
	struct cgnode *by_ino[NODE_BUCKETS];
	/* Ids already in the journal (open addressing, 0 is free): a node
	 * forgotten and looked up again is not noted twice. */
	fuse_ino_t *noted;
	size_t noted_n, noted_cap;
	time_t mount_time;
} cg = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- node ids ---- */

/* A node is a path and the object there: its real inode number (0 for
 * MOUNTPOINT/cgroup). A cgroup removed and made again under the same name
 * is another object, so another node: the kernel then drops its dentry and
 * inode of the old one as it does on cgroupfs, instead of giving the new
 * directory the old one's inode (whose number and cached attributes then
 * mixed the two: find saw loops under churn). Bits 63 and 62 set: never
 * one of fs/tree.c's ids (bit 62 only). */
static fuse_ino_t ino_of(const char *path, uint64_t obj)
{
	uint64_t h = str_hash(path) ^ (obj * 0x9E3779B97F4A7C15ULL);
	return (h & ~(3ULL << 62)) | (3ULL << 62);
}

/* st_ino fits 32 bits (a 32-bit program's stat() fails with EOVERFLOW on
 * a larger one). */
static ino_t fold_ino(uint64_t ino)
{
	uint32_t folded = (uint32_t)(ino ^ (ino >> 32));
	return folded > 1 ? folded : folded + 2;
}

/* What stat shows for the view's own directories (the steps down): a
 * number of the path. A real cgroup or file shows its real number, folded,
 * so tools that detect loops by (st_dev, st_ino), like find, never take a
 * cgroup made again under an old name for the old one. */
static ino_t synthetic_st_ino(const char *path)
{
	return fold_ino(str_hash(path));
}

bool cgfs_ino(fuse_ino_t ino)
{
	return cg.enabled && (ino >> 62) == 3;
}

ino_t cgfs_top_st_ino(void)
{
	return synthetic_st_ino(CGFS_TOP_NAME);
}

static struct cgnode *find_locked(fuse_ino_t ino)
{
	for (struct cgnode *n = cg.by_ino[ino % NODE_BUCKETS]; n; n = n->next)
		if (n->ino == ino)
			return n;
	return NULL;
}

/* The hierarchy a path from the mount root is in, and where its part below
 * the hierarchy root starts; false for a path that is not in the view. */
static bool split_path(const char *path, int *hier, const char **sub)
{
	if (!strcmp(path, CGFS_TOP_NAME)) {
		*hier = -1;
		*sub = path + strlen(path);
		return true;
	}
	size_t top = strlen(CGFS_TOP_NAME);
	if (strncmp(path, CGFS_TOP_NAME "/", top + 1))
		return false;
	const char *name = path + top + 1;
	size_t len = strcspn(name, "/");
	for (size_t i = 0; i < cg.hs.n; i++) {
		if (strlen(cg.hs.h[i].name) == len && !strncmp(cg.hs.h[i].name, name, len)) {
			*hier = (int)i;
			*sub = name[len] ? name + len + 1 : name + len;
			return true;
		}
	}
	return false;
}

/* Finds or makes the node at path, adding `refs` kernel references.
 * NULL on an id collision with another path. */
static struct cgnode *node_ref(const char *path, uint64_t obj, uint64_t refs, bool *made)
{
	fuse_ino_t ino = ino_of(path, obj);
	int hier;
	const char *sub;
	*made = false;
	pthread_mutex_lock(&cg.lock);
	struct cgnode *n = find_locked(ino);
	if (n && (strcmp(n->path, path) || n->obj != obj)) {
		log_once("cgfs", path, "%s has the node id of another path; it is not served", path);
		n = NULL;
	} else if (!n && split_path(path, &hier, &sub)) {
		n = xcalloc(1, sizeof(*n));
		n->ino = ino;
		n->path = xstrdup(path);
		n->obj = obj;
		n->hier = hier;
		n->sub = n->path + (sub - path);
		n->next = cg.by_ino[ino % NODE_BUCKETS];
		cg.by_ino[ino % NODE_BUCKETS] = n;
		*made = true;
	}
	/* A node learned from the journal stays (the kernel may hold it any
	 * number of times); one this process knows keeps its own count. */
	if (n && (*made || refs < NLOOKUP_UNKNOWN))
		n->nlookup = n->nlookup >= NLOOKUP_UNKNOWN || refs >= NLOOKUP_UNKNOWN
				     ? NLOOKUP_UNKNOWN : n->nlookup + refs;
	pthread_mutex_unlock(&cg.lock);
	return n;
}

/* Adds ino to the noted set; false if it was there. Called with the lock. */
static bool noted_add_locked(fuse_ino_t ino)
{
	if (2 * (cg.noted_n + 1) > cg.noted_cap) {
		size_t old_cap = cg.noted_cap;
		fuse_ino_t *old = cg.noted;
		cg.noted_cap = old_cap ? old_cap * 2 : 256;
		cg.noted = xcalloc(cg.noted_cap, sizeof(*cg.noted));
		cg.noted_n = 0;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i])
				noted_add_locked(old[i]);
		free(old);
	}
	size_t i = ino % cg.noted_cap;
	for (; cg.noted[i]; i = (i + 1) % cg.noted_cap)
		if (cg.noted[i] == ino)
			return false;
	cg.noted[i] = ino;
	cg.noted_n++;
	return true;
}

/* Notes the node at path in the journal the first time this process (or
 * the journal itself) knows it. */
static void note(fuse_ino_t ino, const char *path, uint64_t obj)
{
	pthread_mutex_lock(&cg.lock);
	bool first = noted_add_locked(ino);
	pthread_mutex_unlock(&cg.lock);
	if (first)
		tree_journal_note(path, obj);
}

void cgfs_learn(const char *path, uint64_t obj)
{
	bool made;
	if (node_ref(path, obj, NLOOKUP_UNKNOWN, &made)) {
		pthread_mutex_lock(&cg.lock);
		noted_add_locked(ino_of(path, obj));
		pthread_mutex_unlock(&cg.lock);
	}
}

void cgfs_forget(fuse_ino_t ino, uint64_t nlookup)
{
	pthread_mutex_lock(&cg.lock);
	for (struct cgnode **pp = &cg.by_ino[ino % NODE_BUCKETS]; *pp; pp = &(*pp)->next) {
		struct cgnode *n = *pp;
		if (n->ino != ino)
			continue;
		if (n->nlookup < NLOOKUP_UNKNOWN)
			n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
		if (!n->nlookup) {
			*pp = n->next;
			free(n->path);
			free(n);
		}
		break;
	}
	pthread_mutex_unlock(&cg.lock);
}

/* What a request needs of a node, copied: a node may be forgotten while
 * the request runs. */
struct noderef {
	char *path; /* from the mount root */
	uint64_t obj; /* the object's real inode number; 0: whatever is there */
	int hier;
	const char *sub;
};

static int node_get(fuse_ino_t ino, struct noderef *r)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		pthread_mutex_lock(&cg.lock);
		struct cgnode *n = find_locked(ino);
		if (n) {
			r->path = xstrdup(n->path);
			r->obj = n->obj;
			r->hier = n->hier;
			r->sub = r->path + (n->sub - n->path);
		}
		pthread_mutex_unlock(&cg.lock);
		if (n)
			return 0;
		/* Made by another serving process: learn what it made. */
		if (!attempt)
			tree_replay_journal();
	}
	return -ESTALE;
}

/* ---- whose subtree ---- */

/* Where node r lies for the reader. */
struct place {
	enum cgfs_place at; /* for the top directory: CGFS_ABOVE */
	const char *rel;    /* INSIDE: below the reader's cgroup */
	char *next;         /* ABOVE: the next step towards it */
	char *own;          /* the reader's cgroup in r's hierarchy */
};

static void place_free(struct place *p)
{
	free(p->next);
	free(p->own);
	memset(p, 0, sizeof(*p));
}

/* The reader's cgroup in hierarchy h: read afresh at every request (a
 * container moved elsewhere must lose its old subtree at once); NULL when
 * it cannot be known, and then the reader sees nothing of h. */
static char *own_cgroup(const struct cgfs_who *who, int h)
{
	struct reader_view view;
	if (reader_resolve(who->pid, &view) < 0)
		return NULL;
	char rel[48];
	struct strbuf text = STRBUF_INIT;
	snprintf(rel, sizeof(rel), "%d/cgroup", (int)view.pid);
	reader_view_free(&view);
	char *own = host_read_proc_small(rel, &text) == 0
			    ? cgfs_own_path(sb_str(&text), cg.hs.h[h].key) : NULL;
	sb_free(&text);
	if (own && !cgfs_own_ok(own)) {
		log_once("cgfs", own, "a cgroup path that is not trusted: %s", own);
		free(own);
		own = NULL;
	}
	return own;
}

static int place_of(const struct noderef *r, const struct cgfs_who *who, struct place *p)
{
	memset(p, 0, sizeof(*p));
	if (r->hier < 0) {
		p->at = CGFS_ABOVE;
		return 0;
	}
	p->own = own_cgroup(who, r->hier);
	if (!p->own) {
		/* Unknown: the hierarchy shows as an empty directory. */
		p->at = *r->sub ? CGFS_OUTSIDE : CGFS_ABOVE;
		return p->at == CGFS_OUTSIDE ? -ENOENT : 0;
	}
	p->at = cgfs_place(p->own, r->sub, &p->rel, &p->next);
	return p->at == CGFS_OUTSIDE ? -ENOENT : 0;
}

/* ---- the real objects, reached only beneath the reader's cgroup ---- */

static int openat2_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Opens what rel names below the reader's cgroup own in hierarchy h: first
 * own's directory beneath the hierarchy's root, then rel beneath that. */
static int open_inside(int h, const char *own, const char *rel, int flags)
{
	int own_fd = openat2_beneath(cg.hs.h[h].fd, own + 1, O_PATH | O_DIRECTORY);
	if (own_fd < 0)
		return own_fd == -ENOTDIR ? -ENOENT : own_fd;
	int fd = openat2_beneath(own_fd, rel, flags);
	close(own_fd);
	return fd;
}

static int fstat_fd(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* ---- attributes ---- */

static void synthetic_dir(const char *path, bool hierarchy_or_top, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = synthetic_st_ino(path);
	/* As lxcfs: the view's own directories 0755, the steps down 0555. */
	st->st_mode = S_IFDIR | (hierarchy_or_top ? 0755 : 0555);
	st->st_nlink = 2;
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = cg.mount_time;
}

static int stat_node(const struct noderef *r, const struct place *p,
		     struct stat *st)
{
	if (p->at == CGFS_ABOVE) {
		synthetic_dir(r->path, r->hier < 0 || !*r->sub, st);
		return 0;
	}
	int fd = open_inside(r->hier, p->own, p->rel, O_PATH);
	if (fd < 0)
		return fd;
	int e = fstat_fd(fd, st);
	close(fd);
	/* The node's object is gone, another one has its name. */
	if (e == 0 && r->obj && (uint64_t)st->st_ino != r->obj)
		e = -ENOENT;
	if (e == 0)
		st->st_ino = fold_ino(st->st_ino);
	return e;
}

int cgfs_getattr(fuse_ino_t ino, const struct cgfs_who *who, struct stat *st)
{
	struct noderef r;
	struct place p;
	int e = node_get(ino, &r);
	if (e < 0)
		return e;
	e = place_of(&r, who, &p);
	if (e == 0)
		e = stat_node(&r, &p, st);
	place_free(&p);
	free(r.path);
	return e;
}

/* ---- lookup and listing ---- */

static char *child_path(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* The real inode number of what is at r's path on the host (0 for
 * MOUNTPOINT/cgroup): only to tell objects apart, never shown. */
static int object_at(const struct noderef *r, uint64_t *obj)
{
	*obj = 0;
	if (r->hier < 0)
		return 0;
	int fd = openat2_beneath(cg.hs.h[r->hier].fd, r->sub, O_PATH);
	if (fd < 0)
		return fd == -ENOTDIR ? -ENOENT : fd;
	struct stat st;
	int e = fstat_fd(fd, &st);
	close(fd);
	if (e == 0)
		*obj = (uint64_t)st.st_ino;
	return e;
}

/* The entry for path as who sees it; only an entry that exists for who
 * becomes a node (a miss costs no node and no journal line). */
static int entry_of(const char *path, const struct cgfs_who *who, struct fuse_entry_param *e)
{
	struct noderef r = { .path = (char *)path };
	struct place p;
	uint64_t obj;
	memset(e, 0, sizeof(*e));
	if (!split_path(path, &r.hier, &r.sub))
		return -ENOENT;
	int err = object_at(&r, &obj);
	if (err < 0)
		return err;
	fuse_ino_t ino = ino_of(path, obj);
	err = place_of(&r, who, &p);
	if (err == 0)
		err = stat_node(&r, &p, &e->attr);
	place_free(&p);
	if (err < 0)
		return err;
	bool made;
	if (!node_ref(path, obj, 1, &made))
		return -EIO;
	if (made)
		note(ino, path, obj);
	e->ino = ino;
	e->generation = 1;
	/* What a path shows depends on who asks: the kernel keeps nothing. */
	e->attr_timeout = e->entry_timeout = 0;
	return 0;
}

int cgfs_lookup(fuse_ino_t parent, const char *name, const struct cgfs_who *who,
		struct fuse_entry_param *e)
{
	if (!cgfs_name_ok(name))
		return -ENOENT;
	if (parent == FUSE_ROOT_ID)
		return strcmp(name, CGFS_TOP_NAME) ? -ENOENT : entry_of(CGFS_TOP_NAME, who, e);
	struct noderef r;
	struct place p;
	int err = node_get(parent, &r);
	if (err < 0)
		return err;
	err = place_of(&r, who, &p);
	if (err == 0 && r.hier < 0) {
		int h;
		const char *sub;
		char *path = child_path(r.path, name);
		err = split_path(path, &h, &sub) ? entry_of(path, who, e) : -ENOENT;
		free(path);
	} else if (err == 0 && p.at == CGFS_ABOVE && (!p.next || strcmp(name, p.next))) {
		err = -ENOENT; /* only the next step down is there */
	} else if (err == 0) {
		char *path = child_path(r.path, name);
		err = entry_of(path, who, e); /* checks the child for this reader */
		free(path);
	}
	place_free(&p);
	free(r.path);
	return err;
}

static void list_add(struct dir_list *l, size_t *cap, const char *name, ino_t ino, mode_t type)
{
	if (l->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		l->entries = xrealloc(l->entries, *cap * sizeof(*l->entries));
	}
	l->entries[l->n++] = (struct dir_entry){ xstrdup(name), ino, type };
}

static int list_real(const struct noderef *r, const struct place *p, struct dir_list *l,
		     size_t *cap)
{
	int fd = open_inside(r->hier, p->own, p->rel, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = -errno;
		close(fd);
		return e;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (!cgfs_name_ok(de->d_name))
			continue;
		mode_t type = de->d_type == DT_DIR ? S_IFDIR : de->d_type == DT_LNK ? S_IFLNK : S_IFREG;
		list_add(l, cap, de->d_name, fold_ino(de->d_ino), type);
	}
	closedir(d);
	return 0;
}

int cgfs_list(fuse_ino_t ino, const struct cgfs_who *who, struct dir_list *l)
{
	struct noderef r;
	struct place p;
	size_t cap = 0;
	memset(l, 0, sizeof(*l));
	int err = node_get(ino, &r);
	if (err < 0)
		return err;
	err = place_of(&r, who, &p);
	if (err == 0) {
		list_add(l, &cap, ".", synthetic_st_ino(r.path), S_IFDIR);
		char *slash = strrchr(r.path, '/');
		char *up = slash ? xstrndup(r.path, (size_t)(slash - r.path)) : NULL;
		list_add(l, &cap, "..", up ? synthetic_st_ino(up) : 1, S_IFDIR);
		free(up);
	}
	if (err == 0 && r.hier < 0) {
		for (size_t i = 0; i < cg.hs.n; i++) {
			char *path = child_path(r.path, cg.hs.h[i].name);
			list_add(l, &cap, cg.hs.h[i].name, synthetic_st_ino(path), S_IFDIR);
			free(path);
		}
	} else if (err == 0 && p.at == CGFS_ABOVE) {
		if (p.next) {
			char *path = child_path(r.path, p.next);
			list_add(l, &cap, p.next, synthetic_st_ino(path), S_IFDIR);
			free(path);
		}
	} else if (err == 0) {
		err = list_real(&r, &p, l, &cap);
	}
	if (err < 0)
		dir_list_free(l);
	place_free(&p);
	free(r.path);
	return err;
}

/* ---- files ---- */

/* The task lists whose numbers are pids, rewritten for the reader. */
static bool is_pid_file(const struct noderef *r)
{
	const char *slash = strrchr(r->sub, '/'), *name = slash ? slash + 1 : r->sub;
	if (!strcmp(name, "cgroup.procs"))
		return true;
	return cg.hs.h[r->hier].version == 1 ? !strcmp(name, "tasks") : !strcmp(name, "cgroup.threads");
}

static int access_mask(int flags)
{
	int acc = flags & O_ACCMODE;
	int mask = acc == O_WRONLY ? CGFS_MAY_WRITE : acc == O_RDWR ? CGFS_MAY_READ | CGFS_MAY_WRITE
								   : CGFS_MAY_READ;
	return (flags & O_TRUNC) ? mask | CGFS_MAY_WRITE : mask;
}

/* fd, if who may do mask to what it is open on; else fd is closed and the
 * answer is -errno. A directory is refused (EISDIR) unless dir is set. */
static int keep_if_allowed(int fd, const struct cgfs_who *who, int mask, bool dir)
{
	struct stat st;
	struct cgfs_cred cred;
	int e = fstat_fd(fd, &st);
	if (e == 0 && !dir && S_ISDIR(st.st_mode))
		e = -EISDIR;
	if (e == 0)
		e = cgfs_cred_read(who->pid, &cred);
	if (e == 0) {
		if (!cgfs_may(&cred, &st, mask))
			e = -EACCES;
		cgfs_cred_free(&cred);
	}
	if (e < 0) {
		close(fd);
		return e;
	}
	return fd;
}

/* Opens INSIDE node r's real file with flags' access mode, if who may. */
static int open_checked(const struct noderef *r, const struct place *p,
			const struct cgfs_who *who, int flags)
{
	if (p->at != CGFS_INSIDE)
		return p->at == CGFS_ABOVE ? -EISDIR : -ENOENT;
	int fd = open_inside(r->hier, p->own, p->rel, flags & O_ACCMODE);
	return fd < 0 ? fd : keep_if_allowed(fd, who, access_mask(flags), false);
}

/* node_get and place_of in one. */
static int begin(fuse_ino_t ino, const struct cgfs_who *who, struct noderef *r, struct place *p)
{
	memset(p, 0, sizeof(*p));
	int e = node_get(ino, r);
	if (e < 0)
		return e;
	e = place_of(r, who, p);
	if (e < 0) {
		place_free(p);
		free(r->path);
	}
	return e;
}

static void end(struct noderef *r, struct place *p)
{
	place_free(p);
	free(r->path);
}

int cgfs_open(fuse_ino_t ino, const struct cgfs_who *who, int flags, int *fd)
{
	struct noderef r;
	struct place p;
	int e = begin(ino, who, &r, &p);
	if (e < 0)
		return e;
	e = open_checked(&r, &p, who, flags);
	if (e >= 0) {
		*fd = e;
		e = 0;
	}
	end(&r, &p);
	return e;
}

static pid_t to_reader_ns(pid_t pid, void *arg)
{
	return cgfs_pid_in(pid, arg);
}

int cgfs_read(fuse_ino_t ino, const struct cgfs_who *who, int fd, struct strbuf *out)
{
	struct noderef r;
	struct place p;
	int e = begin(ino, who, &r, &p);
	if (e < 0)
		return e;
	/* An open file is read only while it is still inside the reader's
	 * subtree: a container moved elsewhere loses what it opened. */
	int own_fd = p.at != CGFS_INSIDE ? -ENOENT : fd >= 0 ? fd : open_checked(&r, &p, who, O_RDONLY);
	struct strbuf raw = STRBUF_INIT;
	e = own_fd < 0 ? own_fd : pread_all(own_fd, 0, &raw);
	sb_reset(out);
	if (e == 0 && is_pid_file(&r)) {
		struct cgfs_pidns ns;
		e = cgfs_pidns_of(who->pid, &ns);
		if (e == 0)
			cgfs_pidlist_map(sb_str(&raw), to_reader_ns, &ns, out);
	} else if (e == 0) {
		sb_append(out, raw.buf, raw.len);
	}
	sb_free(&raw);
	if (fd < 0 && own_fd >= 0)
		close(own_fd);
	end(&r, &p);
	return e;
}

/* A thread found in the reader's subtree: its host id and the cgroup it
 * is in, relative to the reader's. */
struct task_search {
	const struct cgfs_pidns *ns;
	pid_t want;      /* as the writer numbers it; 0: match host id `host` */
	pid_t host;
	char *where;     /* found: the cgroup below the reader's ("" itself) */
	const char *list; /* "tasks" (v1) or "cgroup.threads" (v2) */
};

static bool task_matches(struct task_search *s, pid_t tid)
{
	if (!s->want)
		return tid == s->host;
	return cgfs_pid_in(tid, s->ns) == s->want;
}

/* Looks for the thread in dirfd's cgroup and below (dirfd is consumed). */
static bool search_tasks(int dirfd, const char *where, struct task_search *s)
{
	struct strbuf text = STRBUF_INIT;
	bool found = false;
	if (read_file_at(dirfd, s->list, true, &text) == 0) {
		for (const char *line = sb_str(&text); *line && !found;) {
			size_t len = strcspn(line, "\n");
			pid_t tid;
			if (cgfs_pid_parse(line, len, &tid) && tid > 0 && task_matches(s, tid)) {
				s->host = tid;
				s->where = xstrdup(where);
				found = true;
			}
			line += len + (line[len] == '\n');
		}
	}
	sb_free(&text);
	DIR *d = found ? NULL : fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return found;
	}
	for (struct dirent *de; !found && (de = readdir(d));) {
		if (de->d_type != DT_DIR || !cgfs_name_ok(de->d_name))
			continue;
		int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		char *next = *where ? xasprintf("%s/%s", where, de->d_name) : xstrdup(de->d_name);
		found = search_tasks(sub, next, s);
		free(next);
	}
	closedir(d);
	return found;
}

/* The kernel's checks for moving a task that we, being root, would skip:
 * v1 wants the writer to be root or the task's owner; v2 wants write
 * access to cgroup.procs of the common ancestor of where the task is and
 * where it goes. */
static int may_move(const struct noderef *r, const struct place *p, const struct cgfs_who *who,
		    const struct task_search *s)
{
	struct cgfs_cred writer, task;
	int e = cgfs_cred_read(who->pid, &writer);
	if (e < 0)
		return e;
	if (cg.hs.h[r->hier].version == 1) {
		e = cgfs_cred_read(s->host, &task);
		if (e == 0) {
			bool ok = writer.euid == 0 || writer.euid == task.ruid ||
				  writer.euid == task.suid;
			e = ok ? 0 : -EACCES;
			cgfs_cred_free(&task);
		}
	} else {
		/* Destination: the directory of this cgroup.procs. */
		const char *slash = strrchr(p->rel, '/');
		char *dst = slash ? xstrndup(p->rel, (size_t)(slash - p->rel)) : xstrdup("");
		size_t common = 0;
		for (size_t i = 0;; i++) {
			bool end_d = !dst[i] || dst[i] == '/', end_s = !s->where[i] || s->where[i] == '/';
			if (end_d && end_s)
				common = i;
			if (!dst[i] || !s->where[i] || dst[i] != s->where[i])
				break;
		}
		char *procs = common ? xasprintf("%.*s/cgroup.procs", (int)common, dst)
				     : xstrdup("cgroup.procs");
		int fd = open_inside(r->hier, p->own, procs, O_PATH);
		struct stat st;
		e = fd < 0 ? fd : fstat_fd(fd, &st);
		if (e == 0 && !cgfs_may(&writer, &st, CGFS_MAY_WRITE))
			e = -EACCES;
		if (fd >= 0)
			close(fd);
		free(procs);
		free(dst);
	}
	cgfs_cred_free(&writer);
	return e;
}

/* A pid written to a task list: found among the reader's own tasks by the
 * number the writer knows it by, and written as the host's number. */
static int write_pid(const struct noderef *r, const struct place *p, const struct cgfs_who *who,
		     int fd, const char *buf, size_t size)
{
	pid_t want;
	if (!cgfs_pid_parse(buf, size, &want))
		return -EINVAL;
	struct cgfs_pidns ns;
	int e = cgfs_pidns_of(who->pid, &ns);
	if (e < 0)
		return e;
	struct task_search s = {
		.ns = &ns,
		.want = want,
		.host = want ? 0 : who->pid, /* 0: the writer itself */
		.list = cg.hs.h[r->hier].version == 1 ? "tasks" : "cgroup.threads",
	};
	int own_fd = open_inside(r->hier, p->own, "", O_RDONLY | O_DIRECTORY);
	if (own_fd < 0)
		return own_fd;
	if (!search_tasks(own_fd, "", &s))
		return -ESRCH; /* not a task of this container the writer can see */
	e = may_move(r, p, who, &s);
	if (e == 0) {
		char num[24];
		int len = snprintf(num, sizeof(num), "%d", (int)s.host);
		e = write(fd, num, (size_t)len) < 0 ? -errno : (int)size;
	}
	free(s.where);
	return e;
}

int cgfs_write(fuse_ino_t ino, const struct cgfs_who *who, int fd, const char *buf, size_t size)
{
	struct noderef r;
	struct place p;
	int e = begin(ino, who, &r, &p);
	if (e < 0)
		return e;
	int own_fd = p.at != CGFS_INSIDE ? -ENOENT : fd >= 0 ? fd : open_checked(&r, &p, who, O_WRONLY);
	if (own_fd < 0)
		e = own_fd;
	else if (is_pid_file(&r))
		e = write_pid(&r, &p, who, own_fd, buf, size);
	else {
		ssize_t n = write(own_fd, buf, size);
		e = n < 0 ? -errno : (int)n;
	}
	if (fd < 0 && own_fd >= 0)
		close(own_fd);
	end(&r, &p);
	return e;
}

/* ---- entries ---- */

/* The directory node parent, which must be inside the reader's subtree:
 * opened (O_PATH) after checking that who may change its entries. */
static int open_dir_to_change(const struct noderef *r, const struct place *p,
			      const struct cgfs_who *who)
{
	if (p->at != CGFS_INSIDE)
		return -ENOENT;
	int fd = open_inside(r->hier, p->own, p->rel, O_PATH | O_DIRECTORY);
	return fd < 0 ? fd : keep_if_allowed(fd, who, CGFS_MAY_WRITE | CGFS_MAY_EXEC, true);
}

/* As the kernel does for a cgroup made by someone other than root: the
 * directory and its files belong to its maker. */
static void give_to_maker(int parent_fd, const char *name, const struct cgfs_who *who)
{
	if (!who->uid && !who->gid)
		return;
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fchown(fd, who->uid, who->gid) < 0)
		log_once("cgfs", "chown", "cannot give a new cgroup to its maker: %s", strerror(errno));
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type == DT_REG &&
		    fchownat(fd, de->d_name, who->uid, who->gid, AT_SYMLINK_NOFOLLOW) < 0)
			log_once("cgfs", "chown", "cannot give a new cgroup's %s to its maker: %s",
				 de->d_name, strerror(errno));
	}
	closedir(d);
}

int cgfs_mkdir(fuse_ino_t parent, const char *name, mode_t mode, const struct cgfs_who *who,
	       struct fuse_entry_param *e)
{
	struct noderef r;
	struct place p;
	int err = begin(parent, who, &r, &p);
	if (err < 0)
		return err;
	int fd = r.hier < 0 ? -ENOENT : open_dir_to_change(&r, &p, who);
	if (fd < 0) {
		err = fd;
	} else if (!cgfs_name_ok(name)) {
		err = strchr(name, '\n') ? -EINVAL : -EEXIST;
	} else if (mkdirat(fd, name, mode & 07777) < 0) {
		err = -errno;
	} else {
		give_to_maker(fd, name, who);
		char *path = child_path(r.path, name);
		err = entry_of(path, who, e);
		free(path);
	}
	if (fd >= 0)
		close(fd);
	end(&r, &p);
	return err;
}

int cgfs_rmdir(fuse_ino_t parent, const char *name, const struct cgfs_who *who)
{
	struct noderef r;
	struct place p;
	int err = begin(parent, who, &r, &p);
	if (err < 0)
		return err;
	int fd = r.hier < 0 ? -ENOENT : open_dir_to_change(&r, &p, who);
	if (fd < 0)
		err = fd;
	else if (!cgfs_name_ok(name))
		err = -ENOENT;
	else if (unlinkat(fd, name, AT_REMOVEDIR) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	end(&r, &p);
	return err;
}

int cgfs_rename(fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname,
		unsigned flags, const struct cgfs_who *who)
{
	struct noderef r1, r2;
	struct place p1, p2;
	int err = begin(parent, who, &r1, &p1);
	if (err < 0)
		return err;
	err = begin(newparent, who, &r2, &p2);
	if (err < 0) {
		end(&r1, &p1);
		return err;
	}
	int fd1 = r1.hier < 0 ? -ENOENT : open_dir_to_change(&r1, &p1, who);
	int fd2 = fd1 < 0 || r2.hier < 0 ? -ENOENT : open_dir_to_change(&r2, &p2, who);
	if (fd1 < 0 || fd2 < 0)
		err = fd1 < 0 ? fd1 : fd2;
	else if (r1.hier != r2.hier)
		err = -EXDEV;
	else if (!cgfs_name_ok(name))
		err = -ENOENT;
	else if (!cgfs_name_ok(newname))
		err = -EINVAL;
	else if (syscall(SYS_renameat2, fd1, name, fd2, newname, flags) < 0)
		err = -errno;
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	end(&r1, &p1);
	end(&r2, &p2);
	return err;
}

int cgfs_refuse(fuse_ino_t ino, const char *name, const struct cgfs_who *who, int inside)
{
	struct noderef r;
	struct place p;
	(void)name;
	int err = begin(ino, who, &r, &p);
	if (err < 0)
		return err;
	err = p.at == CGFS_INSIDE ? -inside : -ENOENT;
	end(&r, &p);
	return err;
}

/* ---- attributes changed ---- */

static int apply_setattr(int fd, const struct cgfs_cred *cred, const struct stat *st,
			 const struct stat *attr, int to_set)
{
	char self[48];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (to_set & FUSE_SET_ATTR_MODE) {
		if (!cgfs_owns(cred, st))
			return -EPERM;
		if (chmod(self, attr->st_mode & 07777) < 0)
			return -errno;
	}
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = to_set & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1;
		gid_t gid = to_set & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1;
		/* Without CAP_CHOWN, the owner may only hand the group to one
		 * of its own groups. */
		bool own_chgrp = cred->fsuid == st->st_uid && (uid == (uid_t)-1 || uid == st->st_uid) &&
				 (gid == (gid_t)-1 || cgfs_in_group(cred, gid));
		bool ok = cgfs_capable_on(cred, CGFS_CAP_CHOWN, st) || own_chgrp;
		if (!ok)
			return -EPERM;
		if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
		      FUSE_SET_ATTR_MTIME_NOW)) {
		bool now_only = !(to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) ||
				((to_set & FUSE_SET_ATTR_ATIME_NOW) && (to_set & FUSE_SET_ATTR_MTIME_NOW));
		if (!cgfs_owns(cred, st) && !(now_only && cgfs_may(cred, st, CGFS_MAY_WRITE)))
			return -EPERM;
		struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_ATIME)
			ts[0] = attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_MTIME)
			ts[1] = attr->st_mtim;
		if (utimensat(AT_FDCWD, self, ts, 0) < 0)
			return -errno;
	}
	/* A truncation (open with O_TRUNC): cgroup files have no length to
	 * cut; allowed to whoever may write, and nothing to do. */
	if ((to_set & FUSE_SET_ATTR_SIZE) && (S_ISDIR(st->st_mode) || !cgfs_may(cred, st, CGFS_MAY_WRITE)))
		return S_ISDIR(st->st_mode) ? -EISDIR : -EACCES;
	return 0;
}

int cgfs_setattr(fuse_ino_t ino, const struct cgfs_who *who, const struct stat *attr, int to_set,
		 struct stat *out)
{
	struct noderef r;
	struct place p;
	int err = begin(ino, who, &r, &p);
	if (err < 0)
		return err;
	int fd = p.at == CGFS_INSIDE ? open_inside(r.hier, p.own, p.rel, O_PATH) : -ENOENT;
	struct stat st;
	struct cgfs_cred cred;
	err = fd < 0 ? fd : fstat_fd(fd, &st);
	if (err == 0 && (err = cgfs_cred_read(who->pid, &cred)) == 0) {
		err = apply_setattr(fd, &cred, &st, attr, to_set);
		cgfs_cred_free(&cred);
	}
	if (err == 0 && (err = fstat_fd(fd, out)) == 0)
		out->st_ino = fold_ino(out->st_ino);
	if (fd >= 0)
		close(fd);
	end(&r, &p);
	return err;
}

/* ---- setup ---- */

int cgfs_setup(const char *cgroup_root, struct strbuf *err)
{
	struct strbuf mountinfo = STRBUF_INIT, self = STRBUF_INIT;
	int r = host_read_proc("self/mountinfo", &mountinfo);
	if (r == 0)
		r = host_read_proc("self/cgroup", &self);
	if (r < 0) {
		sb_printf(err, "--enable-cgroup: cannot read /proc/self/mountinfo or /proc/self/cgroup: %s",
			  strerror(-r));
		goto out;
	}
	cgfs_hiers_find(sb_str(&mountinfo), sb_str(&self), cgroup_root, &cg.hs);
	for (size_t i = 0; i < cg.hs.n; i++) {
		cg.hs.h[i].fd = open(cg.hs.h[i].mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cg.hs.h[i].fd < 0) {
			r = -errno;
			sb_printf(err, "--enable-cgroup: cannot open %s: %s", cg.hs.h[i].mount,
				  strerror(errno));
			goto out;
		}
	}
	if (!cg.hs.n)
		log_info("--enable-cgroup: no cgroup hierarchy is mounted at or under %s; "
			 "cgroup/ is empty", cgroup_root);
	cg.mount_time = time(NULL);
	/* The view's own directories have ids every serving process knows
	 * without the journal (the LXC hook binds them into containers). */
	cgfs_learn(CGFS_TOP_NAME, 0);
	for (size_t i = 0; i < cg.hs.n; i++) {
		struct noderef r = { .path = child_path(CGFS_TOP_NAME, cg.hs.h[i].name), .hier = (int)i, .sub = "" };
		uint64_t obj;
		if (object_at(&r, &obj) == 0)
			cgfs_learn(r.path, obj);
		free(r.path);
	}
	cg.enabled = true;
out:
	sb_free(&mountinfo);
	sb_free(&self);
	if (r < 0)
		cgfs_teardown();
	return r;
}

void cgfs_teardown(void)
{
	for (size_t i = 0; i < cg.hs.n; i++)
		if (cg.hs.h[i].fd >= 0)
			close(cg.hs.h[i].fd);
	cgfs_hiers_free(&cg.hs);
	for (size_t b = 0; b < NODE_BUCKETS; b++) {
		for (struct cgnode *n = cg.by_ino[b], *next; n; n = next) {
			next = n->next;
			free(n->path);
			free(n);
		}
		cg.by_ino[b] = NULL;
	}
	free(cg.noted);
	cg.noted = NULL;
	cg.noted_n = cg.noted_cap = 0;
	cg.enabled = false;
}

bool cgfs_enabled(void)
{
	return cg.enabled;
}
