#include "cgroup/cgroup.h"
#include "cgroup/kept.h"
#include "host/host.h"
#include "metrics/metrics.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

/* v1 mount directory name, and the name cgroup v2 lists in cgroup.controllers. */
static const struct {
	const char *v1;
	const char *v2;
} ctrl_names[CG_NR_CONTROLLERS] = {
	[CG_MEMORY] = { "memory", "memory" },
	[CG_CPU] = { "cpu", "cpu" },
	[CG_CPUACCT] = { "cpuacct", NULL }, /* v2: cpu.stat is always present */
	[CG_CPUSET] = { "cpuset", "cpuset" },
	[CG_BLKIO] = { "blkio", "io" },
	[CG_PIDS] = { "pids", "pids" },
};

const char *cg_controller_name(enum cg_controller c)
{
	return ctrl_names[c].v1;
}

const char *cg_layout_name(enum cg_layout l)
{
	switch (l) {
	case CG_LAYOUT_V1: return "v1";
	case CG_LAYOUT_HYBRID: return "hybrid";
	case CG_LAYOUT_V2: return "v2";
	default: return "none";
	}
}

/* Opens dir/name as a directory if it is a cgroup (v1 or v2 as asked) mount.
 * Fixture roots are plain directories, so the filesystem check is skipped. */
static int open_hierarchy(int dirfd, const char *name, long magic)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!host()->fixture) {
		struct statfs sfs;
		if (fstatfs(fd, &sfs) < 0 || sfs.f_type != magic) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Controllers named in the v2 root's cgroup.controllers. */
static bool v2_lists(const char *controllers, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = controllers; (p = strstr(p, name)); p += n) {
		bool starts = p == controllers || p[-1] == ' ';
		bool ends = p[n] == '\0' || p[n] == ' ' || p[n] == '\n';
		if (starts && ends)
			return true;
	}
	return false;
}

int cgroups_open(struct cgroups *cg, const char *root, struct strbuf *err)
{
	memset(cg, 0, sizeof(*cg));
	for (int c = 0; c < CG_NR_CONTROLLERS; c++)
		cg->v1_fd[c] = -1;
	cg->v2_fd = -1;

	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		int e = errno;
		sb_printf(err, "cannot open cgroup root %s: %s", root, strerror(e));
		return -e;
	}

	struct strbuf controllers = STRBUF_INIT;
	bool unified_root = read_file_at(rootfd, "cgroup.controllers", true, &controllers) == 0;
	if (unified_root) {
		cg->v2_fd = open_hierarchy(rootfd, ".", CGROUP2_SUPER_MAGIC);
		cg->layout = cg->v2_fd >= 0 ? CG_LAYOUT_V2 : CG_LAYOUT_NONE;
	} else {
		bool any_v1 = false;
		for (int c = 0; c < CG_NR_CONTROLLERS; c++) {
			cg->v1_fd[c] = open_hierarchy(rootfd, ctrl_names[c].v1, CGROUP_SUPER_MAGIC);
			any_v1 |= cg->v1_fd[c] >= 0;
		}
		cg->v2_fd = open_hierarchy(rootfd, "unified", CGROUP2_SUPER_MAGIC);
		if (cg->v2_fd >= 0 &&
		    read_file_at(cg->v2_fd, "cgroup.controllers", true, &controllers) < 0)
			sb_reset(&controllers);
		cg->layout = !any_v1 ? (cg->v2_fd >= 0 ? CG_LAYOUT_V2 : CG_LAYOUT_NONE)
				     : (cg->v2_fd >= 0 ? CG_LAYOUT_HYBRID : CG_LAYOUT_V1);
	}

	/* A controller is served by v2 when v1 does not have it and the unified
	 * tree does: on pure v2 that is all of them, on hybrid hosts whatever
	 * was left unbound from v1. */
	if (cg->v2_fd >= 0) {
		for (int c = 0; c < CG_NR_CONTROLLERS; c++) {
			if (cg->v1_fd[c] >= 0)
				continue;
			cg->on_v2[c] = ctrl_names[c].v2 ? v2_lists(sb_str(&controllers), ctrl_names[c].v2)
						       : cg->layout == CG_LAYOUT_V2;
		}
	}
	sb_free(&controllers);
	close(rootfd);

	if (cg->layout == CG_LAYOUT_NONE) {
		sb_printf(err, "no cgroup hierarchy found under %s (neither v1 controller mounts nor cgroup2)", root);
		cgroups_close(cg);
		return -ENOENT;
	}
	return 0;
}

void cgroups_close(struct cgroups *cg)
{
	for (int c = 0; c < CG_NR_CONTROLLERS; c++) {
		if (cg->v1_fd[c] >= 0)
			close(cg->v1_fd[c]);
		cg->v1_fd[c] = -1;
	}
	if (cg->v2_fd >= 0)
		close(cg->v2_fd);
	cg->v2_fd = -1;
	cg->layout = CG_LAYOUT_NONE;
}

static int controller_by_v1_name(const char *name, size_t n)
{
	for (int c = 0; c < CG_NR_CONTROLLERS; c++)
		if (strlen(ctrl_names[c].v1) == n && !strncmp(ctrl_names[c].v1, name, n))
			return c;
	return -1;
}

bool cg_paths_parse(const char *text, struct cg_paths *out)
{
	bool any = false;

	memset(out, 0, sizeof(*out));
	for (const char *line = text; line && *line;) {
		const char *eol = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(eol - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		if (c2 && c2 + 1 < eol && c2[1] == '/') {
			const char *path = c2 + 1;
			size_t path_len = (size_t)(eol - path);
			if (c2 == c1 + 1 && !strncmp(line, "0:", 2)) {
				free(out->v2);
				out->v2 = xstrndup(path, path_len);
				any = true;
			}
			/* v1: "N:ctrl1,ctrl2:/path" */
			for (const char *name = c1 + 1; name < c2;) {
				const char *end = memchr(name, ',', (size_t)(c2 - name));
				if (!end)
					end = c2;
				int c = controller_by_v1_name(name, (size_t)(end - name));
				if (c >= 0) {
					free(out->v1[c]);
					out->v1[c] = xstrndup(path, path_len);
					any = true;
				}
				name = end + 1;
			}
		}
		line = *eol ? eol + 1 : NULL;
	}
	if (!any)
		cg_paths_free(out);
	return any;
}

static void strip_init_scope(char *path)
{
	static const char suffix[] = "/init.scope";
	size_t n = path ? strlen(path) : 0, s = sizeof(suffix) - 1;

	if (n >= s && !strcmp(path + n - s, suffix))
		path[n - s == 0 ? 1 : n - s] = '\0'; /* "/init.scope" becomes "/" */
}

void cg_paths_strip_init_scope(struct cg_paths *p)
{
	for (int c = 0; c < CG_NR_CONTROLLERS; c++)
		strip_init_scope(p->v1[c]);
	strip_init_scope(p->v2);
}

void cg_paths_copy(struct cg_paths *dst, const struct cg_paths *src)
{
	for (int c = 0; c < CG_NR_CONTROLLERS; c++)
		dst->v1[c] = src->v1[c] ? xstrdup(src->v1[c]) : NULL;
	dst->v2 = src->v2 ? xstrdup(src->v2) : NULL;
}

void cg_paths_free(struct cg_paths *p)
{
	for (int c = 0; c < CG_NR_CONTROLLERS; c++) {
		free(p->v1[c]);
		p->v1[c] = NULL;
	}
	free(p->v2);
	p->v2 = NULL;
}

/* A path from /proc/<pid>/cgroup is used only if it stays inside the
 * hierarchy: a reader in another cgroup namespace shows "/.." paths. */
static bool safe_path(const char *path)
{
	if (!path || path[0] != '/')
		return false;
	for (const char *p = path; (p = strstr(p, "/..")); p += 3)
		if (p[3] == '\0' || p[3] == '/')
			return false;
	return true;
}

bool cg_locate(const struct cgroups *cg, const struct cg_paths *p,
	       enum cg_controller c, struct cg_loc *out)
{
	out->ctrl = c;
	if (cg->on_v2[c]) {
		out->fd = cg->v2_fd;
		out->version = 2;
		out->path = p->v2;
	} else if (cg->v1_fd[c] >= 0) {
		out->fd = cg->v1_fd[c];
		out->version = 1;
		out->path = p->v1[c];
	} else {
		return false;
	}
	return safe_path(out->path);
}

bool cg_is_root(const struct cgroups *cg, const struct cg_paths *p, enum cg_controller c)
{
	struct cg_loc loc;
	return cg_locate(cg, p, c, &loc) && !strcmp(loc.path, "/");
}

unsigned cg_depth(const struct cg_loc *loc)
{
	unsigned n = 0;
	for (const char *s = loc->path; *s; s++)
		if (*s == '/' && s[1] && s[1] != '/')
			n++;
	return n;
}

/* loc->path with `up` trailing components removed, relative (no leading
 * '/'), with "/file" appended; NULL when up goes past the root. */
static char *ancestor_file(const struct cg_loc *loc, unsigned up, const char *file)
{
	size_t len = strlen(loc->path);

	while (len > 0 && loc->path[len - 1] == '/')
		len--;
	for (unsigned i = 0; i < up; i++) {
		if (len == 0)
			return NULL;
		while (len > 0 && loc->path[len - 1] != '/')
			len--;
		while (len > 0 && loc->path[len - 1] == '/')
			len--;
	}
	const char *rel = loc->path;
	while (*rel == '/' && len > 0) {
		rel++;
		len--;
	}
	return len ? xasprintf("%.*s/%s", (int)len, rel, file) : xstrdup(file);
}

int cg_read_file(const struct cg_loc *loc, unsigned up, const char *file, struct strbuf *out)
{
	char *rel = ancestor_file(loc, up, file);
	if (!rel) {
		sb_reset(out);
		return -ENOENT;
	}
	/* Control files are one seq_file record each (slabinfo is read apart). */
	int ret = kept_read(loc->fd, rel, out);
	free(rel);
	return ret;
}

void cg_log_fallback(const struct cg_loc *loc, unsigned up, const char *file, const char *cause)
{
	metrics_fallback(cause);
	char *where = ancestor_file(loc, up, file);
	char *subject = xasprintf("%s:/%s", cg_controller_name(loc->ctrl), where ? where : file);
	char *key = xasprintf("%s %s", file, cause);
	log_once(subject, key, "%s; using the host's value", cause);
	free(key);
	free(subject);
	free(where);
}

const char *cg_bad_content(const char *text)
{
	const char *p = text ? text : "";
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return "empty file";
	/* A number, only too large for its type. */
	const char *digits = *p == '-' || *p == '+' ? p + 1 : p;
	if (isdigit((unsigned char)*digits)) {
		char *end;
		errno = 0;
		if (digits == p)
			(void)strtoull(p, &end, 10);
		else
			(void)strtoll(p, &end, 10);
		bool range = errno == ERANGE;
		while (isspace((unsigned char)*end))
			end++;
		if (range && !*end)
			return "value out of range";
	}
	return "unparsable content";
}

int cg_read_unified(const struct cgroups *cg, const struct cg_paths *p, const char *file,
		    struct strbuf *out)
{
	if (cg->v2_fd < 0 || !safe_path(p->v2) || !strcmp(p->v2, "/"))
		return -ENOENT; /* the root's pressure is the host's */
	struct cg_loc loc = { .fd = cg->v2_fd, .version = 2, .path = p->v2, .ctrl = CG_CPU };
	return cg_read_file(&loc, 0, file, out);
}

int cg_read_slabinfo(const struct cgroups *cg, const struct cg_paths *p, struct strbuf *out)
{
	struct cg_loc loc;
	if (!cg_locate(cg, p, CG_MEMORY, &loc) || loc.version != 1 || !strcmp(loc.path, "/"))
		return -ENOENT;
	/* One record per cache: a short read is not the end of this file. */
	char *rel = ancestor_file(&loc, 0, "memory.kmem.slabinfo");
	int r = rel ? read_file_at(loc.fd, rel, true, out) : -ENOENT;
	free(rel);
	if (r == 0 && out->len == 0)
		r = -ENODATA;
	return r;
}
