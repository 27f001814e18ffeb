#include "cgfs/hier.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Every comma-separated token of `need` is one of `have`'s. */
static bool tokens_within(const char *need, const char *have)
{
	size_t have_len = strlen(have);
	for (const char *p = need; *p;) {
		size_t len = strcspn(p, ",");
		bool found = false;
		for (const char *q = have; q < have + have_len;) {
			size_t qlen = strcspn(q, ",");
			if (qlen == len && !strncmp(p, q, len)) {
				found = true;
				break;
			}
			q += qlen + (q[qlen] == ',');
		}
		if (!len || !found)
			return false;
		p += len + (p[len] == ',');
	}
	return true;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len && is_octal(s[i + 1]) && s[i + 1] <= '3' &&
		    is_octal(s[i + 2]) && is_octal(s[i + 3])) {
			*o++ = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

struct mount_line {
	char *root, *point, *fstype, *super;
};

static void mount_line_free(struct mount_line *m)
{
	free(m->root), free(m->point), free(m->fstype), free(m->super);
}

/* One line: "ID PARENT MAJ:MIN ROOT POINT OPTS [TAGS...] - FSTYPE SOURCE SUPER". */
static bool mount_line_parse(const char *line, size_t len, struct mount_line *m)
{
	char *copy = xstrndup(line, len), *save = NULL, *field[6];
	int n = 0;
	for (char *t = strtok_r(copy, " ", &save); t && n < 6; t = strtok_r(NULL, " ", &save))
		field[n++] = t;
	char *dash = n == 6 ? strstr(line, " - ") : NULL;
	bool ok = false;
	if (dash && dash < line + len) {
		char *rest = xstrndup(dash + 3, (size_t)(line + len - dash - 3)), *save2 = NULL;
		char *fstype = strtok_r(rest, " ", &save2), *source = strtok_r(NULL, " ", &save2);
		char *super = strtok_r(NULL, " ", &save2);
		if (fstype && source && super) {
			m->root = unescape(field[3], strlen(field[3]));
			m->point = unescape(field[4], strlen(field[4]));
			m->fstype = xstrdup(fstype);
			m->super = xstrdup(super);
			ok = true;
		}
		free(rest);
	}
	free(copy);
	return ok;
}

/* POINT is root itself or a directory right under it. */
static bool at_or_under(const char *point, const char *root)
{
	size_t len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		len--;
	if (strncmp(point, root, len))
		return false;
	const char *rest = point + len;
	if (!*rest)
		return true;
	return rest[0] == '/' && rest[1] && !strchr(rest + 1, '/');
}

/* "name=" dropped from every token: "name=systemd" -> "systemd". */
static char *dir_name_of(const char *key)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = key; *p;) {
		size_t len = strcspn(p, ",");
		if (!strncmp(p, "name=", 5) && len > 5)
			p += 5, len -= 5;
		if (sb.len)
			sb_putc(&sb, ',');
		sb_append(&sb, p, len);
		p += len + (p[len] == ',');
	}
	char *s = xstrdup(sb_str(&sb));
	sb_free(&sb);
	return s;
}

static bool listed(const struct cgfs_hiers *hs, const char *key)
{
	for (size_t i = 0; i < hs->n; i++)
		if (!strcmp(hs->h[i].key, key))
			return true;
	return false;
}

static void add(struct cgfs_hiers *hs, const char *key, const char *mount, int version)
{
	hs->h = xrealloc(hs->h, (hs->n + 1) * sizeof(*hs->h));
	hs->h[hs->n++] = (struct cgfs_hier){
		.name = version == 2 ? xstrdup("unified") : dir_name_of(key),
		.key = xstrdup(key),
		.mount = xstrdup(mount),
		.version = version,
		.fd = -1,
	};
}

/* The mount under root of the hierarchy whose /proc/self/cgroup field is
 * key ("" for cgroup2); NULL if none. */
static char *mount_of(const char *mountinfo, const char *root, const char *key)
{
	for (const char *line = mountinfo; *line;) {
		size_t len = strcspn(line, "\n");
		struct mount_line m;
		if (mount_line_parse(line, len, &m)) {
			bool v2 = !strcmp(m.fstype, "cgroup2"), v1 = !strcmp(m.fstype, "cgroup");
			bool match = !strcmp(m.root, "/") && at_or_under(m.point, root) &&
				     (*key ? v1 && tokens_within(key, m.super) : v2);
			char *point = match ? xstrdup(m.point) : NULL;
			mount_line_free(&m);
			if (point)
				return point;
		}
		line += len + (line[len] == '\n');
	}
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct cgfs_hier *)a)->name, ((const struct cgfs_hier *)b)->name);
}

void cgfs_hiers_find(const char *mountinfo, const char *self_cgroup, const char *root,
		     struct cgfs_hiers *out)
{
	out->h = NULL;
	out->n = 0;
	/* Lines are "ID:KEY:PATH"; ID 0 with an empty KEY is cgroup2. */
	for (const char *line = self_cgroup; *line;) {
		size_t len = strcspn(line, "\n");
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(line + len - c1 - 1)) : NULL;
		if (c2) {
			char *key = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
			char *mount = listed(out, key) ? NULL : mount_of(mountinfo, root, key);
			if (mount)
				add(out, key, mount, *key ? 1 : 2);
			free(mount);
			free(key);
		}
		line += len + (line[len] == '\n');
	}
	if (out->n)
		qsort(out->h, out->n, sizeof(*out->h), by_name);
}

void cgfs_hiers_free(struct cgfs_hiers *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		free(hs->h[i].name);
		free(hs->h[i].key);
		free(hs->h[i].mount);
	}
	free(hs->h);
	hs->h = NULL;
	hs->n = 0;
}

char *cgfs_own_path(const char *proc_cgroup, const char *key)
{
	char *found = NULL;
	size_t key_len = strlen(key);
	for (const char *line = proc_cgroup; *line;) {
		size_t len = strcspn(line, "\n");
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(line + len - c1 - 1)) : NULL;
		if (c2 && (size_t)(c2 - c1 - 1) == key_len && !strncmp(c1 + 1, key, key_len)) {
			if (found) {
				free(found);
				return NULL;
			}
			found = xstrndup(c2 + 1, (size_t)(line + len - c2 - 1));
		}
		line += len + (line[len] == '\n');
	}
	if (!found)
		return NULL;
	size_t n = strlen(found);
	const char *scope = "/init.scope";
	if (n > strlen(scope) && !strcmp(found + n - strlen(scope), scope))
		found[n - strlen(scope)] = '\0';
	else if (!strcmp(found, scope))
		found[1] = '\0';
	return found;
}
