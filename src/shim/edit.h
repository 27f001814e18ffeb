/* What cviewfs-runtime changes in a bundle's config.json before the real
 * runtime creates the container: pure (a JSON document in, the same
 * document edited), so every rule is unit-tested on real profiles. */
#ifndef CVIEWFS_SHIM_EDIT_H
#define CVIEWFS_SHIM_EDIT_H

#include <jansson.h>
#include <stdbool.h>

/* The annotation that opts a container out (as the hook's). */
#define SHIM_OPT_OUT "io.cviewfs.disable"

struct shim_edit {
	const char *toolkit;  /* the hook's program: cviewfs-toolkit's path */
	/* The hook's environment ("CVIEWFS_MOUNTPOINT=...", NULL-terminated;
	 * runtimes give hooks none of their own); NULL: none. */
	const char *const *hook_env;
	const char *listener; /* the seccomp agent's socket; NULL: the daemon does
			       * not answer there, add no seccomp listener */
};

/* The system calls the agent answers. */
extern const char *const shim_notify_syscalls[];

/* Edits cfg (an OCI config.json): the cviewfs hook (`cviewfs-toolkit
 * hook`) at createRuntime and poststop, unless one with the same path is
 * there; and, with a listener,
 * linux.seccomp.listenerPath and the agent's system calls moved from
 * SCMP_ACT_ALLOW to SCMP_ACT_NOTIFY (a syscall a rule denies, or a rule
 * with argument conditions, is left as it is), or a minimal allow-all
 * profile with them when there is none. A container with the opt-out
 * annotation "true" is not touched. Returns true if anything changed. */
bool shim_edit_config(json_t *cfg, const struct shim_edit *e);

#endif
