/* Who asks, for the permission checks of the legacy cgroupfs view. The
 * daemon is root; a container must get no more than the real cgroupfs
 * would give it, so every change is checked here the way the kernel checks
 * it (generic_permission and capable_wrt_inode_uidgid): mode bits for the
 * caller's fsuid, fsgid and groups, or a capability that counts only where
 * the file's owner and group are mapped into the caller's user namespace. */
#ifndef CVIEWFS_CGFS_CRED_H
#define CVIEWFS_CGFS_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define CGFS_MAY_EXEC 1
#define CGFS_MAY_WRITE 2
#define CGFS_MAY_READ 4

/* Capability bits (linux/capability.h). */
#define CGFS_CAP_CHOWN 0
#define CGFS_CAP_DAC_OVERRIDE 1
#define CGFS_CAP_DAC_READ_SEARCH 2
#define CGFS_CAP_FOWNER 3

struct cgfs_idmap {
	uint32_t (*ranges)[3]; /* inside, outside, count */
	size_t n;
};

struct cgfs_cred {
	uid_t ruid, euid, suid, fsuid;
	gid_t fsgid;
	gid_t *groups;
	size_t ngroups;
	uint64_t cap_eff;
	struct cgfs_idmap uid_map, gid_map;
};

/* Parses /proc/PID/status (Uid, Gid, Groups, CapEff) and the text of its
 * uid_map and gid_map. False if status lacks a field. */
bool cgfs_cred_parse(const char *status, const char *uid_map, const char *gid_map,
		     struct cgfs_cred *out);
/* Reads them for pid (a thread id works) from /proc. 0 or -errno. */
int cgfs_cred_read(pid_t pid, struct cgfs_cred *out);
void cgfs_cred_free(struct cgfs_cred *c);

/* May c do mask (CGFS_MAY_*) to an object with attributes st? */
bool cgfs_may(const struct cgfs_cred *c, const struct stat *st, int mask);
/* c has capability cap over an object owned by st's uid and gid. */
bool cgfs_capable_on(const struct cgfs_cred *c, int cap, const struct stat *st);
/* gid is c's fsgid or one of its supplementary groups. */
bool cgfs_in_group(const struct cgfs_cred *c, gid_t gid);
/* c owns the object, or has CAP_FOWNER over it (chmod, utimes). */
bool cgfs_owns(const struct cgfs_cred *c, const struct stat *st);

#endif
