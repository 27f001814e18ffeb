/* /proc/PID/mountinfo: which mounts a process sees, and which of them are
 * cviewfs's. Lines are
 *   ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
 * with spaces, tabs, newlines and backslashes in paths (and the source)
 * written as \ooo. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tk.h"

/* Undoes the kernel's octal escapes in place. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static void mount_clear(tk_mount *m)
{
	free(m->root);
	free(m->mountpoint);
	free(m->fstype);
	free(m->source);
}

/* One line into M; false when it is not a well-formed mountinfo line. */
static bool parse_line(char *line, tk_mount *m)
{
	char *save = NULL, *f[6];
	for (int i = 0; i < 6; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return false;
	}
	char *fstype = NULL, *source = NULL, *tok;
	while ((tok = strtok_r(NULL, " ", &save))) {
		if (strcmp(tok, "-") == 0) {
			fstype = strtok_r(NULL, " ", &save);
			source = fstype ? strtok_r(NULL, " ", &save) : NULL;
			break;
		}
		if (strncmp(tok, "shared:", 7) == 0)
			m->shared = true;
	}
	if (!fstype)
		return false;
	if (sscanf(f[0], "%d", &m->id) != 1 || sscanf(f[1], "%d", &m->parent) != 1 ||
	    sscanf(f[2], "%u:%u", &m->major, &m->minor) != 2)
		return false;
	unescape(f[3]);
	unescape(f[4]);
	if (source)
		unescape(source);
	m->root = strdup(f[3]);
	m->mountpoint = strdup(f[4]);
	m->fstype = strdup(fstype);
	m->source = strdup(source ? source : "");
	if (!m->root || !m->mountpoint || !m->fstype || !m->source) {
		mount_clear(m);
		return false;
	}
	return true;
}

int tk_mounts_parse(const char *text, tk_mounts *out, tk_error **err)
{
	char *copy = strdup(text);
	if (!copy)
		return tk_fail(err, ENOMEM, "mountinfo");
	size_t cap = 0;
	out->v = NULL;
	out->n = 0;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		tk_mount m = {0};
		if (!parse_line(line, &m))
			continue; /* a line the kernel may add some day: not ours */
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			tk_mount *nv = realloc(out->v, ncap * sizeof(*nv));
			if (!nv) {
				mount_clear(&m);
				free(copy);
				tk_mounts_free(out);
				return tk_fail(err, ENOMEM, "mountinfo");
			}
			out->v = nv;
			cap = ncap;
		}
		out->v[out->n++] = m;
	}
	free(copy);
	return 0;
}

int tk_mounts_read_at(int dirfd, const char *path, tk_mounts *out, tk_error **err)
{
	char *text = NULL;
	if (tk_read_file_at(dirfd, path, &text, NULL, err) < 0)
		return -1;
	int r = tk_mounts_parse(text, out, err);
	free(text);
	return r;
}

void tk_mounts_free(tk_mounts *m)
{
	for (size_t i = 0; i < m->n; i++)
		mount_clear(&m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

const tk_mount *tk_mounts_top(const tk_mounts *m, const char *path)
{
	/* A mount stacked on a mount point is listed after the one below. */
	for (size_t i = m->n; i-- > 0;)
		if (strcmp(m->v[i].mountpoint, path) == 0)
			return &m->v[i];
	return NULL;
}

bool tk_mount_is_cviewfs(const tk_mount *m)
{
	return strcmp(m->fstype, "fuse.cviewfs") == 0;
}

bool tk_mount_is_container_bind(const tk_mount *m, const tk_devset *ours)
{
	if (!tk_mount_is_cviewfs(m) || !tk_devset_has(ours, m->major, m->minor))
		return false;
	const char *p = m->mountpoint;
	return strncmp(p, "/proc/", 6) == 0 || strcmp(p, "/sys/devices/system/cpu") == 0;
}
