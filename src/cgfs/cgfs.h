/* The legacy cgroupfs view (--enable-cgroup): MOUNTPOINT/cgroup/<hierarchy>/...
 * For hosts and runtimes without cgroup namespaces, where a container that
 * mounts the host's cgroupfs would see, and as root change, every cgroup of
 * the machine. Here each reader sees its own container's cgroup subtree
 * (whose cgroup: reader.h's rule), the directories leading down to it, and
 * nothing else (confine.h); inside it, a reader with the privileges the real
 * cgroupfs would ask for reads, writes, makes and removes cgroups (cred.h),
 * with pids numbered as in its own pid namespace (pids.h).
 *
 * The FUSE front (fs/ops.c) hands every request on a node of this view here.
 * Node ids are hashes of the node's path (tagged apart from fs/tree.c's),
 * kept while the kernel holds them (FORGET frees them), and noted in the
 * tree's journal so a successor serving process knows them too. */
#ifndef CVIEWFS_CGFS_CGFS_H
#define CVIEWFS_CGFS_CGFS_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct strbuf;
struct dir_list;

/* Who asks: the FUSE request's pid (a thread id), fsuid and fsgid. */
struct cgfs_who {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

#define CGFS_TOP_NAME "cgroup"

/* Finds and opens the host's hierarchies under cgroup_root: the view is
 * served from then on. 0, or -errno with a message in err. */
int cgfs_setup(const char *cgroup_root, struct strbuf *err);
void cgfs_teardown(void);
bool cgfs_enabled(void);
/* The node is one of this view's (including MOUNTPOINT/cgroup itself). */
bool cgfs_ino(fuse_ino_t ino);
/* st_ino of MOUNTPOINT/cgroup, for the root directory's listing. */
ino_t cgfs_top_st_ino(void);
/* A node another serving process made: its path from the mount root and
 * the real inode number of the object it is. */
void cgfs_learn(const char *path, uint64_t obj);

/* The requests. 0 (or a byte count) on success, -errno otherwise. `parent`
 * may be FUSE_ROOT_ID only with name CGFS_TOP_NAME. */
int cgfs_lookup(fuse_ino_t parent, const char *name, const struct cgfs_who *who,
		struct fuse_entry_param *e);
void cgfs_forget(fuse_ino_t ino, uint64_t nlookup);
int cgfs_getattr(fuse_ino_t ino, const struct cgfs_who *who, struct stat *st);
int cgfs_setattr(fuse_ino_t ino, const struct cgfs_who *who, const struct stat *attr, int to_set,
		 struct stat *out);
int cgfs_list(fuse_ino_t ino, const struct cgfs_who *who, struct dir_list *out);
/* Opens the real file for flags: its fd in *fd. */
int cgfs_open(fuse_ino_t ino, const struct cgfs_who *who, int flags, int *fd);
/* The file's content for who, from its open fd (-1: open it now). */
int cgfs_read(fuse_ino_t ino, const struct cgfs_who *who, int fd, struct strbuf *out);
/* Writes buf to the file through its open fd (-1: open it now). */
int cgfs_write(fuse_ino_t ino, const struct cgfs_who *who, int fd, const char *buf, size_t size);
int cgfs_mkdir(fuse_ino_t parent, const char *name, mode_t mode, const struct cgfs_who *who,
	       struct fuse_entry_param *e);
int cgfs_rmdir(fuse_ino_t parent, const char *name, const struct cgfs_who *who);
int cgfs_rename(fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname,
		unsigned flags, const struct cgfs_who *who);
/* Anything else that would make or change an entry or an attribute
 * (mknod, symlink, link, create, xattrs): ENOENT outside the reader's
 * subtree, `inside` (what cgroupfs answers) within it. */
int cgfs_refuse(fuse_ino_t ino, const char *name, const struct cgfs_who *who, int inside);

#endif
