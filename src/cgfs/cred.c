#include "cgfs/cred.h"
#include "host/host.h"
#include "util/parse.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool map_parse(const char *text, struct cgfs_idmap *m)
{
	m->ranges = NULL;
	m->n = 0;
	for (const char *line = text; *line;) {
		unsigned long long in, out, count;
		if (sscanf(line, "%llu %llu %llu", &in, &out, &count) == 3 &&
		    in <= UINT32_MAX && out <= UINT32_MAX && count <= UINT32_MAX) {
			m->ranges = xrealloc(m->ranges, (m->n + 1) * sizeof(*m->ranges));
			m->ranges[m->n][0] = (uint32_t)in;
			m->ranges[m->n][1] = (uint32_t)out;
			m->ranges[m->n][2] = (uint32_t)count;
			m->n++;
		}
		const char *nl = strchr(line, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
	return m->n > 0;
}

/* The host id is visible in the namespace of this map. */
static bool mapped(const struct cgfs_idmap *m, uint32_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (id >= m->ranges[i][1] && id - m->ranges[i][1] < m->ranges[i][2])
			return true;
	return false;
}

/* The n-th number (0-based) after "Key:" in status, in base 10 or 16. */
static bool status_num(const char *status, const char *key, int n, int base, unsigned long long *out)
{
	const char *line = find_line(status, key, ":");
	if (!line)
		return false;
	const char *p = line + strlen(key) + 1;
	for (int i = 0; i <= n; i++) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(p, &end, base);
		if (end == p || errno)
			return false;
		if (i == n)
			*out = v;
		p = end;
	}
	return true;
}

bool cgfs_cred_parse(const char *status, const char *uid_map, const char *gid_map,
		     struct cgfs_cred *out)
{
	unsigned long long ruid, euid, suid, fsuid, fsgid, caps;
	memset(out, 0, sizeof(*out));
	if (!status_num(status, "Uid", 0, 10, &ruid) || !status_num(status, "Uid", 1, 10, &euid) ||
	    !status_num(status, "Uid", 2, 10, &suid) || !status_num(status, "Uid", 3, 10, &fsuid) ||
	    !status_num(status, "Gid", 3, 10, &fsgid) || !status_num(status, "CapEff", 0, 16, &caps))
		return false;
	out->ruid = (uid_t)ruid;
	out->euid = (uid_t)euid;
	out->suid = (uid_t)suid;
	out->fsuid = (uid_t)fsuid;
	out->fsgid = (gid_t)fsgid;
	out->cap_eff = caps;
	const char *groups = find_line(status, "Groups", ":");
	if (groups) {
		const char *start = groups + strlen("Groups:");
		char *line = xstrndup(start, strcspn(start, "\n"));
		for (char *p = line, *end;; p = end) {
			unsigned long long g = strtoull(p, &end, 10);
			if (end == p)
				break;
			out->groups = xrealloc(out->groups, (out->ngroups + 1) * sizeof(gid_t));
			out->groups[out->ngroups++] = (gid_t)g;
		}
		free(line);
	}
	map_parse(uid_map, &out->uid_map);
	map_parse(gid_map, &out->gid_map);
	return true;
}

int cgfs_cred_read(pid_t pid, struct cgfs_cred *out)
{
	struct strbuf status = STRBUF_INIT, umap = STRBUF_INIT, gmap = STRBUF_INIT;
	char rel[64];
	int r;

	snprintf(rel, sizeof(rel), "%d/status", (int)pid);
	r = host_read_proc_small(rel, &status);
	if (r == 0) {
		snprintf(rel, sizeof(rel), "%d/uid_map", (int)pid);
		r = host_read_proc(rel, &umap);
	}
	if (r == 0) {
		snprintf(rel, sizeof(rel), "%d/gid_map", (int)pid);
		r = host_read_proc(rel, &gmap);
	}
	if (r == 0 && !cgfs_cred_parse(sb_str(&status), sb_str(&umap), sb_str(&gmap), out))
		r = -EIO;
	sb_free(&status);
	sb_free(&umap);
	sb_free(&gmap);
	return r;
}

void cgfs_cred_free(struct cgfs_cred *c)
{
	free(c->groups);
	free(c->uid_map.ranges);
	free(c->gid_map.ranges);
	memset(c, 0, sizeof(*c));
}

bool cgfs_in_group(const struct cgfs_cred *c, gid_t gid)
{
	if (c->fsgid == gid)
		return true;
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

bool cgfs_capable_on(const struct cgfs_cred *c, int cap, const struct stat *st)
{
	return (c->cap_eff >> cap & 1) && mapped(&c->uid_map, st->st_uid) &&
	       mapped(&c->gid_map, st->st_gid);
}

bool cgfs_may(const struct cgfs_cred *c, const struct stat *st, int mask)
{
	unsigned mode = st->st_mode;
	unsigned bits = c->fsuid == st->st_uid ? mode >> 6 : cgfs_in_group(c, st->st_gid) ? mode >> 3 : mode;
	if (((int)bits & mask & 7) == (mask & 7))
		return true;
	bool dir = S_ISDIR(st->st_mode);
	/* CAP_DAC_OVERRIDE: anything, but executing needs some x bit. */
	if (cgfs_capable_on(c, CGFS_CAP_DAC_OVERRIDE, st) &&
	    (!(mask & CGFS_MAY_EXEC) || dir || (mode & 0111)))
		return true;
	/* CAP_DAC_READ_SEARCH: reading, and searching directories. */
	if (cgfs_capable_on(c, CGFS_CAP_DAC_READ_SEARCH, st) && !(mask & CGFS_MAY_WRITE) &&
	    (dir || !(mask & CGFS_MAY_EXEC)))
		return true;
	return false;
}

bool cgfs_owns(const struct cgfs_cred *c, const struct stat *st)
{
	return c->fsuid == st->st_uid || cgfs_capable_on(c, CGFS_CAP_FOWNER, st);
}
