#include "fs/tree.h"
#include "cgfs/cgfs.h"
#include "fs/files.h"
#include "host/host.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "view/cpuview.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The directory whose host content shows through. */
#define HOST_BACKED_DIR "sys/devices/system/cpu"
#define HASH_BUCKETS 1024
/* Virtual paths never change; host entries (CPU hotplug) may. */
#define STATIC_TIMEOUT 60.0
#define HOST_TIMEOUT 1.0

static struct {
	pthread_rwlock_t lock;
	struct node **nodes; /* every node, to free them */
	size_t n, cap;
	struct node *hash[HASH_BUCKETS];   /* by (parent, name) */
	struct node *by_ino[HASH_BUCKETS]; /* by ino */
	struct node *root, *cpu_dir;
	time_t mount_time;
	int journal_fd;      /* -1: no other process to share ids with */
	off_t journal_seen;  /* bytes of the journal already replayed */
} tree = { .lock = PTHREAD_RWLOCK_INITIALIZER, .journal_fd = -1 };

static size_t hash_of(fuse_ino_t parent, const char *name)
{
	return (str_hash(name) ^ (parent * 1000003u)) % HASH_BUCKETS;
}

/* The id of the node at `path`: the same in every serving process. Bit 62
 * keeps it clear of 0 (invalid) and 1 (the root). */
static fuse_ino_t ino_of_path(const char *path)
{
	if (!*path)
		return FUSE_ROOT_ID;
	return (str_hash(path) & ~(3ULL << 62)) | (1ULL << 62);
}

/* st_ino fits 32 bits: a 32-bit program's stat() fails with EOVERFLOW on a
 * larger one. Only hard-link detection reads it, and nothing here links. */
static ino_t st_ino_of(fuse_ino_t ino)
{
	uint32_t folded = (uint32_t)(ino ^ (ino >> 32));
	return ino == FUSE_ROOT_ID ? 1 : folded > 1 ? folded : folded + 2;
}

static struct node *find_ino_locked(fuse_ino_t ino)
{
	for (struct node *n = tree.by_ino[ino % HASH_BUCKETS]; n; n = n->ino_next)
		if (n->ino == ino)
			return n;
	return NULL;
}

/* Called with the write lock held (or before serving starts). NULL when
 * another path already has this path's id: a 62-bit hash collision, which
 * is logged and leaves the second path unreachable. */
static struct node *node_add(struct node *parent, const char *name, enum node_kind kind,
			     bool interned)
{
	char *path = !parent ? xstrdup("")
		     : *parent->path ? xasprintf("%s/%s", parent->path, name) : xstrdup(name);
	fuse_ino_t ino = ino_of_path(path);
	if (find_ino_locked(ino)) {
		log_once("tree", path, "%s has the node id of another path; it is not served", path);
		free(path);
		return NULL;
	}
	struct node *n = xcalloc(1, sizeof(*n));
	if (tree.n == tree.cap) {
		tree.cap = tree.cap ? tree.cap * 2 : 64;
		tree.nodes = xrealloc(tree.nodes, tree.cap * sizeof(*tree.nodes));
	}
	tree.nodes[tree.n++] = n;
	n->ino = ino;
	n->st_ino = st_ino_of(ino);
	n->path = path;
	n->parent = parent ? parent->ino : FUSE_ROOT_ID;
	n->name = xstrdup(name);
	n->kind = kind;
	n->cpu = -1;
	n->interned = interned;
	size_t b = hash_of(n->parent, n->name);
	n->hash_next = tree.hash[b];
	tree.hash[b] = n;
	n->ino_next = tree.by_ino[ino % HASH_BUCKETS];
	tree.by_ino[ino % HASH_BUCKETS] = n;
	if (parent && !interned) {
		parent->kids = xrealloc(parent->kids, (parent->nkids + 1) * sizeof(*parent->kids));
		parent->kids[parent->nkids++] = n;
	}
	return n;
}

static struct node *find_locked(fuse_ino_t parent, const char *name)
{
	for (struct node *n = tree.hash[hash_of(parent, name)]; n; n = n->hash_next)
		if (n->parent == parent && !strcmp(n->name, name))
			return n;
	return NULL;
}

static struct node *find(fuse_ino_t parent, const char *name)
{
	pthread_rwlock_rdlock(&tree.lock);
	struct node *n = find_locked(parent, name);
	pthread_rwlock_unlock(&tree.lock);
	return n;
}

/* The virtual directory at `path` ("proc/pressure"), created as needed. */
static struct node *mkdir_p(const char *path)
{
	struct node *dir = tree.root;
	char *copy = xstrdup(path), *save = NULL;

	for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		struct node *next = find_locked(dir->ino, part);
		if (!next)
			next = node_add(dir, part, NODE_DIR, false);
		dir = next;
	}
	free(copy);
	return dir;
}

/* A proc file is listed only when the host has it: a kernel without PSI
 * has no /proc/pressure (and no cgroup *.pressure files either), so there is
 * nothing to serve, and a listed file that cannot be read breaks tools that
 * trust the listing. The sys cpu files are computed from the CPU view. */
static bool host_provides(const struct vfile *vf)
{
	if (strncmp(vf->dir, "proc", 4) != 0)
		return true;
	if (faccessat(host()->proc_fd, vf->host_file, F_OK, 0) == 0)
		return true;
	log_info("%s/%s: not served, the host has no /proc/%s", vf->dir, vf->name, vf->host_file);
	return false;
}

void tree_build(void)
{
	tree.mount_time = time(NULL);
	tree.root = node_add(NULL, "", NODE_DIR, false);
	for (size_t i = 0; i < nr_vfiles; i++) {
		if (!host_provides(&vfiles[i]))
			continue;
		struct node *dir = mkdir_p(vfiles[i].dir);
		struct node *f = node_add(dir, vfiles[i].name, NODE_VFILE, false);
		if (f)
			f->vf = &vfiles[i];
	}
	/* Marked host-backed last: its virtual files above are its kids. */
	tree.cpu_dir = mkdir_p(HOST_BACKED_DIR);
	tree.cpu_dir->vpath = xstrdup(".");
}

void tree_destroy(void)
{
	for (size_t i = 0; i < tree.n; i++) {
		free(tree.nodes[i]->name);
		free(tree.nodes[i]->path);
		free(tree.nodes[i]->vpath);
		free(tree.nodes[i]->kids);
		free(tree.nodes[i]);
	}
	free(tree.nodes);
	tree.nodes = NULL;
	tree.n = tree.cap = 0;
	tree.root = tree.cpu_dir = NULL;
	memset(tree.hash, 0, sizeof(tree.hash));
	memset(tree.by_ino, 0, sizeof(tree.by_ino));
	tree.journal_fd = -1;
	tree.journal_seen = 0;
}

static void journal_replay_locked(void);

struct node *tree_get(fuse_ino_t ino)
{
	pthread_rwlock_rdlock(&tree.lock);
	struct node *n = find_ino_locked(ino);
	pthread_rwlock_unlock(&tree.lock);
	if (n || tree.journal_fd < 0)
		return n;
	/* An id another serving process made: learn what it made since. */
	pthread_rwlock_wrlock(&tree.lock);
	journal_replay_locked();
	n = find_ino_locked(ino);
	pthread_rwlock_unlock(&tree.lock);
	return n;
}

double tree_timeout(const struct node *n)
{
	if (n->cpu >= 0)
		return 0; /* differs per reader */
	return n->kind == NODE_HOST ? HOST_TIMEOUT : STATIC_TIMEOUT;
}

static bool is_dir(const struct node *n)
{
	return n->kind == NODE_DIR || (n->kind == NODE_HOST && n->host_type == S_IFDIR);
}

/* A "cpuN" directory right under the cpu directory. */
static bool is_cpu_dir(const struct node *n)
{
	return n->cpu >= 0 && n->kind == NODE_HOST && !strchr(n->vpath, '/');
}

static char *child_vpath(const struct node *dir, const char *name)
{
	return strcmp(dir->vpath, ".") ? xasprintf("%s/%s", dir->vpath, name) : xstrdup(name);
}

int tree_host_path(const struct node *n, pid_t reader, char **rel)
{
	if (n->cpu < 0) {
		*rel = xstrdup(n->vpath);
		return 0;
	}
	struct cpu_view view = CPU_VIEW_INIT;
	files_cpu_view(reader, &view);
	int host_cpu = cpu_view_host_of(&view, (unsigned)n->cpu);
	cpu_view_free(&view);
	if (host_cpu < 0)
		return -ENOENT;
	const char *rest = strchr(n->vpath, '/');
	*rel = xasprintf("cpu%d%s", host_cpu, rest ? rest : "");
	return 0;
}

static bool host_entry_type(const char *rel, mode_t *type)
{
	struct stat st;
	int fd = host()->sys_cpu_fd;

	if (fd < 0 || fstatat(fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	*type = st.st_mode & S_IFMT;
	return *type == S_IFDIR || *type == S_IFREG || *type == S_IFLNK;
}

static bool valid_name(const char *name)
{
	return *name && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/');
}

/* Called with the write lock held. */
static struct node *make_interned_locked(struct node *dir, const char *name, enum node_kind kind,
					 mode_t type, int cpu, const struct vfile *vf)
{
	struct node *n = node_add(dir, name, kind, true);
	if (n) {
		n->vpath = child_vpath(dir, name);
		n->host_type = type;
		n->cpu = cpu;
		n->vf = vf;
	}
	return n;
}

/* Journal lines are "<type> <cpu> <path>": type d, f or l for a host
 * directory, file or link, o for a cpuN/online file; "g <object> <path>"
 * for a node of the cgroupfs view (cgfs), object its real inode number. */
static void journal_append(const struct node *n)
{
	if (tree.journal_fd < 0)
		return;
	char type = n->kind == NODE_VFILE ? 'o'
		    : n->host_type == S_IFDIR ? 'd' : n->host_type == S_IFLNK ? 'l' : 'f';
	char *line = xasprintf("%c %d %s\n", type, n->cpu, n->path);
	size_t len = strlen(line);
	/* One write per line to an O_APPEND file: lines of concurrent
	 * processes never interleave. */
	if (write(tree.journal_fd, line, len) != (ssize_t)len)
		log_once("tree", "journal", "cannot append to the node journal: a successor may "
			 "not know %s", n->path);
	free(line);
}

static void journal_apply(char *line)
{
	char type;
	int cpu, pos = 0;

	if (line[0] == 'g' && line[1] == ' ') { /* "g <object> <path>" */
		char *end;
		unsigned long long obj = strtoull(line + 2, &end, 10);
		if (end != line + 2 && *end == ' ' && cgfs_enabled())
			cgfs_learn(end + 1, obj);
		return;
	}
	if (sscanf(line, "%c %d %n", &type, &cpu, &pos) != 2 || !pos)
		return;
	char *path = line + pos, *slash = strrchr(path, '/');
	if (!slash || !strchr("dflo", type))
		return;
	*slash = '\0';
	struct node *dir = find_ino_locked(ino_of_path(path));
	const char *name = slash + 1;
	if (!dir || strcmp(dir->path, path) || !dir->vpath || !valid_name(name) ||
	    find_locked(dir->ino, name))
		return;
	if (type == 'o')
		make_interned_locked(dir, name, NODE_VFILE, S_IFREG, cpu, &vfile_cpu_online_one);
	else
		make_interned_locked(dir, name, NODE_HOST,
				     type == 'd' ? S_IFDIR : type == 'l' ? S_IFLNK : S_IFREG, cpu, NULL);
}

/* Learns the nodes other processes added since the last replay. Parents
 * precede children in the journal: a process makes (or learns) a directory
 * before anything in it. Called with the write lock held. */
static void journal_replay_locked(void)
{
	struct strbuf buf = STRBUF_INIT;
	char chunk[8192];
	ssize_t got;

	while ((got = pread(tree.journal_fd, chunk, sizeof(chunk),
			    tree.journal_seen + (off_t)buf.len)) > 0)
		sb_append(&buf, chunk, (size_t)got);
	size_t done = 0;
	for (char *nl; buf.len && (nl = memchr(buf.buf + done, '\n', buf.len - done));) {
		*nl = '\0';
		journal_apply(buf.buf + done);
		done = (size_t)(nl - buf.buf) + 1;
	}
	tree.journal_seen += (off_t)done; /* a torn last line is read again */
	sb_free(&buf);
}

void tree_journal_note(const char *cgfs_path, uint64_t obj)
{
	if (tree.journal_fd < 0)
		return;
	char *line = xasprintf("g %llu %s\n", (unsigned long long)obj, cgfs_path);
	size_t len = strlen(line);
	if (write(tree.journal_fd, line, len) != (ssize_t)len)
		log_once("tree", "journal", "cannot append to the node journal: a successor may "
			 "not know %s", cgfs_path);
	free(line);
}

void tree_replay_journal(void)
{
	if (tree.journal_fd < 0)
		return;
	pthread_rwlock_wrlock(&tree.lock);
	journal_replay_locked();
	pthread_rwlock_unlock(&tree.lock);
}

void tree_set_journal(int fd)
{
	pthread_rwlock_wrlock(&tree.lock);
	tree.journal_fd = fd;
	tree.journal_seen = 0;
	if (fd >= 0)
		journal_replay_locked();
	pthread_rwlock_unlock(&tree.lock);
}

/* The node for entry `name` of a host-backed dir, made on first use. NULL
 * only on an id collision. */
static struct node *intern(struct node *dir, const char *name, enum node_kind kind, mode_t type,
			   int cpu, const struct vfile *vf)
{
	pthread_rwlock_wrlock(&tree.lock);
	struct node *n = find_locked(dir->ino, name);
	if (!n) {
		n = make_interned_locked(dir, name, kind, type, cpu, vf);
		if (n)
			journal_append(n);
	}
	pthread_rwlock_unlock(&tree.lock);
	return n;
}

int tree_lookup(struct node *dir, const char *name, pid_t reader, struct node **out)
{
	if (!is_dir(dir))
		return -ENOTDIR;
	if (!valid_name(name))
		return -ENOENT;

	struct node *n = find(dir->ino, name);
	if (n && !n->interned) { /* made at start: a virtual file or directory */
		*out = n;
		return 0;
	}
	if (!dir->vpath)
		return -ENOENT;

	unsigned cpu;
	if (dir == tree.cpu_dir && cpu_dir_name(name, &cpu)) {
		/* cpuN exists for a reader who sees a CPU numbered N. */
		struct cpu_view view = CPU_VIEW_INIT;
		files_cpu_view(reader, &view);
		int host_cpu = cpu_view_host_of(&view, cpu);
		cpu_view_free(&view);
		if (host_cpu < 0)
			return -ENOENT;
		*out = n ? n : intern(dir, name, NODE_HOST, S_IFDIR, (int)cpu, NULL);
		return *out ? 0 : -EIO;
	}
	if (is_cpu_dir(dir) && !strcmp(name, "online")) {
		*out = n ? n : intern(dir, name, NODE_VFILE, S_IFREG, dir->cpu, &vfile_cpu_online_one);
		return *out ? 0 : -EIO;
	}

	/* Host entries come and go (CPU hotplug): ask the host every time. */
	char *dir_rel, *rel;
	int r = tree_host_path(dir, reader, &dir_rel);
	if (r < 0)
		return r;
	rel = strcmp(dir_rel, ".") ? xasprintf("%s/%s", dir_rel, name) : xstrdup(name);
	free(dir_rel);
	mode_t type;
	bool exists = host_entry_type(rel, &type);
	free(rel);
	if (!exists)
		return -ENOENT;
	*out = n ? n : intern(dir, name, NODE_HOST, type, dir->cpu, NULL);
	return *out ? 0 : -EIO;
}

static void base_stat(const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->st_ino;
	st->st_atime = st->st_mtime = st->st_ctime = tree.mount_time;
	st->st_blksize = 4096;
}

int tree_stat(const struct node *n, pid_t reader, struct stat *st)
{
	base_stat(n, st);
	switch (n->kind) {
	case NODE_DIR:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		return 0;
	case NODE_VFILE:
		/* Sizes are advisory: content differs per reader. Like the kernel,
		 * proc files say 0 and sysfs attributes say 4096. */
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = strncmp(n->vf->dir, "sys/", 4) ? 0 : 4096;
		st->st_atime = st->st_mtime = st->st_ctime = time(NULL);
		return 0;
	case NODE_HOST: {
		char *rel;
		struct stat hs;
		int r = tree_host_path(n, reader, &rel);
		if (r < 0)
			return r;
		r = host()->sys_cpu_fd >= 0 && fstatat(host()->sys_cpu_fd, rel, &hs, AT_SYMLINK_NOFOLLOW) == 0
			    ? 0 : -ENOENT;
		free(rel);
		if (r < 0)
			return r;
		st->st_mode = (hs.st_mode & S_IFMT) | (hs.st_mode & 07555);
		st->st_nlink = hs.st_nlink;
		st->st_size = hs.st_size;
		st->st_atim = hs.st_atim;
		st->st_mtim = hs.st_mtim;
		st->st_ctim = hs.st_ctim;
		return 0;
	}
	}
	return -EIO;
}

struct lister {
	struct dir_list *l;
	size_t cap;
};

static bool list_has(const struct dir_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->entries[i].name, name))
			return true;
	return false;
}

static void list_add(struct lister *ls, const char *name, ino_t ino, mode_t type)
{
	struct dir_list *l = ls->l;
	if (list_has(l, name))
		return;
	if (l->n == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 32;
		l->entries = xrealloc(l->entries, ls->cap * sizeof(*l->entries));
	}
	l->entries[l->n++] = (struct dir_entry){ xstrdup(name), ino, type };
}

/* The reader's cpuN directories, in order. */
static void list_cpu_dirs(struct lister *ls, struct node *dir, pid_t reader)
{
	struct cpu_view view = CPU_VIEW_INIT;
	char name[24];

	files_cpu_view(reader, &view);
	for (unsigned k = 0; k < view.n; k++) {
		snprintf(name, sizeof(name), "cpu%u", view.shown[k]);
		struct node *n = find(dir->ino, name);
		if (!n)
			n = intern(dir, name, NODE_HOST, S_IFDIR, (int)view.shown[k], NULL);
		if (n)
			list_add(ls, name, n->st_ino, S_IFDIR);
	}
	cpu_view_free(&view);
}

/* The host directory's entries, except the ones this directory replaces. */
static int list_host(struct lister *ls, struct node *dir, pid_t reader)
{
	char *rel;
	int r = tree_host_path(dir, reader, &rel);
	if (r < 0)
		return r;
	int fd = host()->sys_cpu_fd < 0 ? -1
		 : openat(host()->sys_cpu_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		r = host()->sys_cpu_fd < 0 ? 0 : -errno;
		if (fd >= 0)
			close(fd);
		free(rel);
		return r;
	}
	for (struct dirent *de; (de = readdir(d));) {
		unsigned cpu;
		if (!valid_name(de->d_name) || list_has(ls->l, de->d_name))
			continue;
		if (dir == tree.cpu_dir && cpu_dir_name(de->d_name, &cpu))
			continue; /* the reader's own cpuN are listed instead */
		mode_t type;
		char *child = strcmp(rel, ".") ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		bool ok = host_entry_type(child, &type);
		free(child);
		if (!ok)
			continue;
		struct node *n = find(dir->ino, de->d_name);
		if (!n)
			n = intern(dir, de->d_name, NODE_HOST, type, dir->cpu, NULL);
		if (n)
			list_add(ls, de->d_name, n->st_ino, type);
	}
	closedir(d);
	free(rel);
	return 0;
}

int tree_list(struct node *dir, pid_t reader, struct dir_list *out)
{
	struct lister ls = { out, 0 };

	memset(out, 0, sizeof(*out));
	if (!is_dir(dir))
		return -ENOTDIR;
	list_add(&ls, ".", dir->st_ino, S_IFDIR);
	list_add(&ls, "..", st_ino_of(dir->parent), S_IFDIR);
	for (unsigned i = 0; i < dir->nkids; i++) {
		struct node *k = dir->kids[i];
		list_add(&ls, k->name, k->st_ino, k->kind == NODE_VFILE ? S_IFREG : S_IFDIR);
	}
	if (dir == tree.root && cgfs_enabled())
		list_add(&ls, CGFS_TOP_NAME, cgfs_top_st_ino(), S_IFDIR);
	if (!dir->vpath)
		return 0;
	if (dir == tree.cpu_dir)
		list_cpu_dirs(&ls, dir, reader);
	if (is_cpu_dir(dir)) {
		struct node *online = find(dir->ino, "online");
		if (!online)
			online = intern(dir, "online", NODE_VFILE, S_IFREG, dir->cpu, &vfile_cpu_online_one);
		if (online)
			list_add(&ls, "online", online->st_ino, S_IFREG);
	}
	int r = list_host(&ls, dir, reader);
	if (r < 0)
		dir_list_free(out);
	return r;
}

void dir_list_free(struct dir_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->entries[i].name);
	free(l->entries);
	l->entries = NULL;
	l->n = 0;
}
