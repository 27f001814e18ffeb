#include "cgfs/confine.h"
#include "util/strbuf.h"

#include <string.h>

bool cgfs_name_ok(const char *name)
{
	return *name && strcmp(name, ".") && strcmp(name, "..") && !strpbrk(name, "/\n");
}

bool cgfs_own_ok(const char *own)
{
	if (own[0] != '/' || strchr(own, '\n'))
		return false;
	if (!own[1])
		return true;
	for (const char *p = own + 1;;) {
		size_t len = strcspn(p, "/");
		if (!len || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[len])
			return true;
		p += len + 1;
	}
}

/* The first component of s (up to '/' or the end), malloc'd. */
static char *first_component(const char *s)
{
	const char *slash = strchr(s, '/');
	return slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
}

enum cgfs_place cgfs_place(const char *own, const char *path, const char **rel, char **next)
{
	if (!cgfs_own_ok(own))
		return CGFS_OUTSIDE;
	const char *mine = own + 1; /* below the root, like path: "" or "a/b" */
	size_t mine_len = strlen(mine), path_len = strlen(path);

	if (!mine_len) {
		*rel = path;
		return CGFS_INSIDE;
	}
	if (!path_len) {
		*next = first_component(mine);
		return CGFS_ABOVE;
	}
	/* path a proper ancestor of mine: "a" of "a/b" (not "a" of "ab"). */
	if (path_len < mine_len && !strncmp(mine, path, path_len) && mine[path_len] == '/') {
		*next = first_component(mine + path_len + 1);
		return CGFS_ABOVE;
	}
	/* mine itself, or below it: "a/b", "a/b/c" (not "a/bc"). */
	if (!strncmp(path, mine, mine_len) && (!path[mine_len] || path[mine_len] == '/')) {
		*rel = path[mine_len] ? path + mine_len + 1 : path + mine_len;
		return CGFS_INSIDE;
	}
	return CGFS_OUTSIDE;
}
