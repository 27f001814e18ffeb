/* Finding containers: every mount namespace holding cviewfs binds (a scan
 * of /proc/PID/mountinfo, one read per namespace), the containers the
 * hooks registered, and single containers by id through their runtime. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tk.h"

typedef struct nsid {
	dev_t dev;
	ino_t ino;
} nsid;

typedef struct seen {
	nsid *v;
	size_t n;
} seen;

static bool ns_of(pid_t pid, nsid *out)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if (stat(path, &st) < 0)
		return false;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	return true;
}

/* Index of NS in S, or -1. */
static long seen_find(const seen *s, nsid ns)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].dev == ns.dev && s->v[i].ino == ns.ino)
			return (long)i;
	return -1;
}

static int seen_add(seen *s, nsid ns, tk_error **err)
{
	nsid *nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return tk_fail(err, ENOMEM, "scan");
	s->v = nv;
	s->v[s->n++] = ns;
	return 0;
}

static int push(tk_containers *out, char *id, pid_t pid, bool has_binds, tk_error **err)
{
	tk_container *nv = id ? realloc(out->v, (out->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(id);
		return tk_fail(err, ENOMEM, "scan");
	}
	out->v = nv;
	out->v[out->n++] = (tk_container){.id = id, .pid = pid, .has_binds = has_binds};
	return 0;
}

static bool has_container_binds(pid_t pid, const tk_devset *ours)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	tk_mounts ms;
	tk_error *err = NULL;
	if (tk_mounts_read_at(AT_FDCWD, path, &ms, &err) < 0) {
		tk_error_free(&err); /* the process exited meanwhile */
		return false;
	}
	bool found = false;
	for (size_t i = 0; i < ms.n && !found; i++)
		found = tk_mount_is_container_bind(&ms.v[i], ours);
	tk_mounts_free(&ms);
	return found;
}

/* One process per mount namespace other than ours; namespaces with
 * cviewfs binds become containers (NSES keeps their ids, index-aligned). */
static int scan_proc(const tk_devset *ours, tk_containers *out, seen *nses, tk_error **err)
{
	seen visited = {0};
	nsid self;
	if (!ns_of(getpid(), &self) || seen_add(&visited, self, err) < 0) {
		free(visited.v);
		return tk_fail(err, errno, "own mount namespace");
	}
	DIR *d = opendir("/proc");
	if (!d) {
		free(visited.v);
		return tk_fail(err, errno, "open /proc");
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(de->d_name);
		nsid ns;
		if (!ns_of(pid, &ns) || seen_find(&visited, ns) >= 0)
			continue;
		r = seen_add(&visited, ns, err);
		if (r == 0 && has_container_binds(pid, ours)) {
			r = push(out, tk_strdup_printf("pid %d", (int)pid), pid, true, err);
			if (r == 0)
				r = seen_add(nses, ns, err);
		}
	}
	closedir(d);
	free(visited.v);
	return r;
}

/* Registered containers: named after their registry id when the scan
 * found them already, appended (with no binds) otherwise if APPEND. */
static int merge_registry(const tk_config *cfg, bool append, tk_containers *out, seen *nses,
			  tk_error **err)
{
	tk_containers reg;
	if (tk_registry_list(cfg->state_dir, &reg, err) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < reg.n && r == 0; i++) {
		nsid ns;
		if (!ns_of(reg.v[i].pid, &ns))
			continue;
		long k = seen_find(nses, ns);
		if (k >= 0) {
			free(out->v[k].id);
			out->v[k].id = reg.v[i].id;
			reg.v[i].id = NULL;
			continue;
		}
		if (!append)
			continue;
		r = push(out, reg.v[i].id, reg.v[i].pid, false, err);
		reg.v[i].id = NULL;
		if (r == 0)
			r = seen_add(nses, ns, err);
	}
	tk_containers_free(&reg);
	return r;
}

int tk_discover_all(const tk_config *cfg, const tk_devset *ours, bool registered_too,
		    tk_containers *out, tk_error **err)
{
	out->v = NULL;
	out->n = 0;
	seen nses = {0};
	int r = scan_proc(ours, out, &nses, err);
	if (r == 0)
		r = merge_registry(cfg, registered_too, out, &nses, err);
	free(nses.v);
	if (r < 0)
		tk_containers_free(out);
	return r;
}

/* A registry entry whose id is ID or starts with it (unique). */
static int from_registry(const tk_config *cfg, const char *id, tk_container *out, tk_error **err)
{
	tk_containers reg;
	if (tk_registry_list(cfg->state_dir, &reg, err) < 0)
		return -1;
	size_t len = strlen(id);
	long found = -1;
	int matches = 0;
	for (size_t i = 0; i < reg.n; i++) {
		if (strcmp(reg.v[i].id, id) == 0) {
			found = (long)i;
			matches = 1;
			break;
		}
		if (strncmp(reg.v[i].id, id, len) == 0) {
			found = (long)i;
			matches++;
		}
	}
	int r = 0;
	if (matches > 1)
		r = tk_fail(err, 0, "the id prefix %s is ambiguous", id);
	else if (found >= 0) {
		*out = reg.v[found];
		reg.v[found].id = NULL;
	}
	tk_containers_free(&reg);
	return r;
}

/* The pid printed by a runtime's tool, e.g. `lxc-info -H -p -n NAME`. */
static pid_t pid_from_tool(char *const argv[])
{
	char *text = NULL;
	tk_error *err = NULL;
	if (tk_run_capture(argv, &text, &err) < 0) {
		tk_error_free(&err); /* not this runtime's container */
		return 0;
	}
	long pid = strtol(text, NULL, 10);
	free(text);
	return pid > 0 ? (pid_t)pid : 0;
}

static pid_t from_tools(const tk_config *cfg, const char *id)
{
	char *lxc[] = {"lxc-info", "-H", "-p", "-n", (char *)id, NULL, NULL, NULL};
	if (cfg->lxc_path) {
		lxc[5] = "-P";
		lxc[6] = (char *)cfg->lxc_path;
	}
	pid_t pid = pid_from_tool(lxc);
	if (pid > 0)
		return pid;
	char *podman[] = {"podman", "inspect", "--format", "{{.State.Pid}}", (char *)id, NULL};
	return pid_from_tool(podman);
}

int tk_discover_one(const tk_config *cfg, const char *id, tk_container *out, tk_error **err)
{
	memset(out, 0, sizeof(*out));
	if (from_registry(cfg, id, out, err) < 0)
		return -1;
	for (const char **root = cfg->runtime_roots; !out->id && root && *root; root++) {
		char *full = NULL;
		pid_t pid = 0;
		if (tk_oci_runtime_pid(*root, id, &full, &pid, err) < 0)
			return -1;
		if (full && pid > 0) {
			out->id = full;
			out->pid = pid;
		} else {
			free(full);
		}
	}
	if (!out->id) {
		out->pid = from_tools(cfg, id);
		out->id = out->pid > 0 ? strdup(id) : NULL;
	}
	if (!out->id)
		return tk_fail(err, 0, "no running container %s (looked in the registry, the runc/crun "
				       "state directories, LXC and podman)", id);
	return 0;
}

void tk_container_clear(tk_container *c)
{
	free(c->id);
	c->id = NULL;
}

void tk_containers_free(tk_containers *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].id);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}
