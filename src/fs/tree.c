#include "fs/tree.h"
#include "fs/files.h"
#include "host/host.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The directory whose host content shows through. */
#define HOST_BACKED_DIR "sys/devices/system/cpu"
#define HASH_BUCKETS 1024

static struct {
	pthread_rwlock_t lock;
	struct node **nodes; /* nodes[ino - 1] */
	size_t n, cap;
	struct node *hash[HASH_BUCKETS];
	time_t mount_time;
} tree = { .lock = PTHREAD_RWLOCK_INITIALIZER };

static size_t hash_of(fuse_ino_t parent, const char *name)
{
	size_t h = parent * 1000003u;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h % HASH_BUCKETS;
}

/* Called with the write lock held (or before serving starts). */
static struct node *node_add(struct node *parent, const char *name, enum node_kind kind)
{
	struct node *n = xcalloc(1, sizeof(*n));

	if (tree.n == tree.cap) {
		tree.cap = tree.cap ? tree.cap * 2 : 64;
		tree.nodes = xrealloc(tree.nodes, tree.cap * sizeof(*tree.nodes));
	}
	tree.nodes[tree.n++] = n;
	n->ino = tree.n;
	n->parent = parent ? parent->ino : FUSE_ROOT_ID;
	n->name = xstrdup(name);
	n->kind = kind;
	size_t b = hash_of(n->parent, n->name);
	n->hash_next = tree.hash[b];
	tree.hash[b] = n;
	if (parent && kind != NODE_HOST) {
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

/* The virtual directory at `path` ("proc/pressure"), created as needed. */
static struct node *mkdir_p(const char *path)
{
	struct node *dir = tree.nodes[0];
	char *copy = xstrdup(path), *save = NULL;

	for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		struct node *next = find_locked(dir->ino, part);
		if (!next)
			next = node_add(dir, part, NODE_DIR);
		dir = next;
	}
	free(copy);
	return dir;
}

void tree_build(void)
{
	tree.mount_time = time(NULL);
	node_add(NULL, "", NODE_DIR); /* FUSE_ROOT_ID == 1 */
	struct node *cpu_dir = mkdir_p(HOST_BACKED_DIR);
	cpu_dir->host_rel = xstrdup(".");
	for (size_t i = 0; i < nr_vfiles; i++) {
		struct node *dir = mkdir_p(vfiles[i].dir);
		struct node *f = node_add(dir, vfiles[i].name, NODE_VFILE);
		f->vf = &vfiles[i];
	}
}

void tree_destroy(void)
{
	for (size_t i = 0; i < tree.n; i++) {
		free(tree.nodes[i]->name);
		free(tree.nodes[i]->host_rel);
		free(tree.nodes[i]->kids);
		free(tree.nodes[i]);
	}
	free(tree.nodes);
	tree.nodes = NULL;
	tree.n = tree.cap = 0;
	memset(tree.hash, 0, sizeof(tree.hash));
}

struct node *tree_get(fuse_ino_t ino)
{
	struct node *n = NULL;

	pthread_rwlock_rdlock(&tree.lock);
	if (ino >= 1 && ino <= tree.n)
		n = tree.nodes[ino - 1];
	pthread_rwlock_unlock(&tree.lock);
	return n;
}

static char *host_child_rel(const struct node *dir, const char *name)
{
	return strcmp(dir->host_rel, ".") ? xasprintf("%s/%s", dir->host_rel, name) : xstrdup(name);
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

/* The node for host entry `name` of a host-backed dir, made on first use. */
static struct node *intern_host(struct node *dir, const char *name, mode_t type)
{
	pthread_rwlock_wrlock(&tree.lock);
	struct node *n = find_locked(dir->ino, name);
	if (!n) {
		n = node_add(dir, name, NODE_HOST);
		n->host_rel = host_child_rel(dir, name);
		n->host_type = type;
	}
	pthread_rwlock_unlock(&tree.lock);
	return n;
}

static bool valid_name(const char *name)
{
	return *name && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/');
}

int tree_lookup(struct node *dir, const char *name, struct node **out)
{
	bool is_dir = dir->kind == NODE_DIR || (dir->kind == NODE_HOST && dir->host_type == S_IFDIR);
	if (!is_dir)
		return -ENOTDIR;
	if (!valid_name(name))
		return -ENOENT;

	pthread_rwlock_rdlock(&tree.lock);
	struct node *n = find_locked(dir->ino, name);
	pthread_rwlock_unlock(&tree.lock);
	if (n && n->kind != NODE_HOST) {
		*out = n;
		return 0;
	}
	if (!dir->host_rel)
		return -ENOENT;

	/* Host entries come and go (CPU hotplug): ask the host every time. */
	char *rel = host_child_rel(dir, name);
	mode_t type;
	bool exists = host_entry_type(rel, &type);
	free(rel);
	if (!exists)
		return -ENOENT;
	*out = n ? n : intern_host(dir, name, type);
	return 0;
}

int tree_stat(const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_atime = st->st_mtime = st->st_ctime = tree.mount_time;
	st->st_blksize = 4096;

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
		struct stat hs;
		if (host()->sys_cpu_fd < 0 || fstatat(host()->sys_cpu_fd, n->host_rel, &hs, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
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

static void list_add(struct dir_list *l, size_t *cap, const char *name, fuse_ino_t ino, mode_t type)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->entries[i].name, name))
			return;
	if (l->n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		l->entries = xrealloc(l->entries, *cap * sizeof(*l->entries));
	}
	l->entries[l->n++] = (struct dir_entry){ xstrdup(name), ino, type };
}

int tree_list(struct node *dir, struct dir_list *out)
{
	size_t cap = 0;
	bool is_dir = dir->kind == NODE_DIR || (dir->kind == NODE_HOST && dir->host_type == S_IFDIR);

	memset(out, 0, sizeof(*out));
	if (!is_dir)
		return -ENOTDIR;
	list_add(out, &cap, ".", dir->ino, S_IFDIR);
	list_add(out, &cap, "..", dir->parent, S_IFDIR);
	for (unsigned i = 0; i < dir->nkids; i++) {
		struct node *k = dir->kids[i];
		list_add(out, &cap, k->name, k->ino, k->kind == NODE_VFILE ? S_IFREG : S_IFDIR);
	}
	if (!dir->host_rel || host()->sys_cpu_fd < 0)
		return 0;

	int fd = openat(host()->sys_cpu_fd, dir->host_rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		dir_list_free(out);
		return -e;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (!valid_name(de->d_name))
			continue;
		mode_t type;
		char *rel = host_child_rel(dir, de->d_name);
		bool ok = host_entry_type(rel, &type);
		free(rel);
		if (!ok)
			continue;
		pthread_rwlock_rdlock(&tree.lock);
		struct node *n = find_locked(dir->ino, de->d_name);
		pthread_rwlock_unlock(&tree.lock);
		if (n && n->kind != NODE_HOST)
			continue; /* a virtual file replaces the host's */
		if (!n)
			n = intern_host(dir, de->d_name, type);
		list_add(out, &cap, de->d_name, n->ino, type);
	}
	closedir(d);
	return 0;
}

void dir_list_free(struct dir_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->entries[i].name);
	free(l->entries);
	l->entries = NULL;
	l->n = 0;
}
