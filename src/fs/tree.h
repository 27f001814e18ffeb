/* The inode tree. Virtual directories and files are created once from the
 * vfiles table; sys/devices/system/cpu is also backed by the host's
 * directory, whose entries become nodes the first time they are looked up.
 *
 * The cpuN entries there depend on who reads: a container sees cpu0..n-1
 * for its visible CPUs, and cpuK's subtree shows the host directory of the
 * K-th visible CPU. Such nodes keep their path as the reader sees it
 * ("cpu1/topology/core_id") and are translated per request; they are
 * served with zero cache timeouts, because the kernel's dentry cache is
 * shared by all readers.
 *
 * Nodes are never freed: their number is bounded by the host's sysfs tree.
 *
 * Node ids outlive the process: a serving process that replaces a dead
 * one (or an older version) on the same FUSE connection must answer for
 * the ids the kernel already holds. So an id is a hash of the node's path,
 * the same in every process and version, and every node made on lookup is
 * appended to a journal shared by all serving processes of the mount,
 * which a successor replays when the kernel names an id it does not know. */
#ifndef CVIEWFS_TREE_H
#define CVIEWFS_TREE_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct vfile;

enum node_kind {
	NODE_DIR,   /* virtual directory (may also list a host directory) */
	NODE_VFILE, /* rendered file */
	NODE_HOST,  /* a host entry under sys/devices/system/cpu */
};

struct node {
	fuse_ino_t ino;   /* the FUSE node id (a path hash; 1 for the root) */
	ino_t st_ino;     /* what stat shows: 32 bits, for old 32-bit callers */
	char *path;       /* from the root, "" for the root itself */
	fuse_ino_t parent;
	char *name;
	enum node_kind kind;
	const struct vfile *vf; /* NODE_VFILE */
	/* Path under sys/devices/system/cpu as readers see it ("." for the
	 * directory itself): for NODE_HOST, the cpu directory, and the
	 * per-CPU online files. */
	char *vpath;
	int cpu; /* the shown N of a path under "cpuN", else -1 */
	bool interned; /* made on lookup under the cpu directory, not at start */
	mode_t host_type; /* NODE_HOST: S_IFDIR, S_IFREG or S_IFLNK */
	struct node **kids; /* virtual children of a NODE_DIR */
	unsigned nkids;
	struct node *hash_next; /* by (parent, name) */
	struct node *ino_next;  /* by ino */
};

struct dir_entry {
	char *name;
	ino_t ino; /* as stat shows it */
	mode_t type;
};

struct dir_list {
	struct dir_entry *entries;
	size_t n;
};

void tree_build(void);
/* Shares node ids with other serving processes of the same mount through
 * `fd` (an append-only journal; -1 for none) and learns the ones already
 * there. */
void tree_set_journal(int fd);
/* Notes a node of the cgroupfs view (its path from the mount root) in the
 * journal, and learns what other processes noted: cgfs keeps its own
 * nodes, the journal is shared. */
void tree_journal_note(const char *cgfs_path, uint64_t obj);
void tree_replay_journal(void);
void tree_destroy(void);
/* NULL for an unknown inode. */
struct node *tree_get(fuse_ino_t ino);
/* Cache timeout for the node's entry and attributes. */
double tree_timeout(const struct node *n);
/* 0 and *out, or -errno; `reader` is the requesting pid. */
int tree_lookup(struct node *dir, const char *name, pid_t reader, struct node **out);
int tree_stat(const struct node *n, pid_t reader, struct stat *st);
/* ".", "..", then the entries, without duplicates. */
int tree_list(struct node *dir, pid_t reader, struct dir_list *out);
void dir_list_free(struct dir_list *l);
/* The host path (relative to the host's sys cpu directory) behind a node
 * for this reader: 0 and a malloc'd *rel, or -ENOENT if it cannot see it. */
int tree_host_path(const struct node *n, pid_t reader, char **rel);

#endif
