/* The inode tree. Virtual directories and files are created once from the
 * vfiles table; sys/devices/system/cpu is also backed by the host's
 * directory, whose entries become nodes the first time they are looked up.
 * Nodes are never freed: their number is bounded by the host's sysfs tree,
 * and inode numbers stay stable for the life of the mount. */
#ifndef CVIEWFS_TREE_H
#define CVIEWFS_TREE_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <sys/stat.h>

struct vfile;

enum node_kind {
	NODE_DIR,   /* virtual directory (may also list a host directory) */
	NODE_VFILE, /* rendered file */
	NODE_HOST,  /* a host entry under sys/devices/system/cpu */
};

struct node {
	fuse_ino_t ino;
	fuse_ino_t parent;
	char *name;
	enum node_kind kind;
	const struct vfile *vf; /* NODE_VFILE */
	/* Path relative to the host's sys cpu directory: for NODE_HOST, and
	 * for a NODE_DIR that mirrors a host directory ("." for the top). */
	char *host_rel;
	mode_t host_type; /* NODE_HOST: S_IFDIR, S_IFREG or S_IFLNK */
	struct node **kids; /* virtual children of a NODE_DIR */
	unsigned nkids;
	struct node *hash_next;
};

struct dir_entry {
	char *name;
	fuse_ino_t ino;
	mode_t type;
};

struct dir_list {
	struct dir_entry *entries;
	size_t n;
};

void tree_build(void);
void tree_destroy(void);
/* NULL for an unknown inode. */
struct node *tree_get(fuse_ino_t ino);
/* 0 and *out, or -errno. */
int tree_lookup(struct node *dir, const char *name, struct node **out);
int tree_stat(const struct node *n, struct stat *st);
/* ".", "..", then the entries, without duplicates. */
int tree_list(struct node *dir, struct dir_list *out);
void dir_list_free(struct dir_list *l);

#endif
