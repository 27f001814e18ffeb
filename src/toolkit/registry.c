/* The hooks' registry: one small JSON file per container the hooks set up
 * (STATE_DIR/containers/ID.json: id, pid, start time, runtime), so that
 * `remount --all` also finds containers whose binds were all removed
 * (`umount --all`, or a daemon that was down when they started). A pid is
 * trusted only while its start time matches, so a recycled pid is never
 * entered. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tk.h"

static bool valid_id(const char *id)
{
	return id[0] && id[0] != '.' && !strchr(id, '/') && strlen(id) < 256;
}

static char *entry_path(const char *state_dir, const char *id)
{
	return tk_strdup_printf("%s/containers/%s.json", state_dir, id);
}

static int mkdirs(const char *state_dir, tk_error **err)
{
	char *sub = tk_strdup_printf("%s/containers", state_dir);
	if (!sub)
		return tk_fail(err, ENOMEM, "registry");
	int r = 0;
	if ((mkdir(state_dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(sub, 0700) < 0 && errno != EEXIST))
		r = tk_fail(err, errno, "create %s", sub);
	free(sub);
	return r;
}

int tk_registry_add(const char *state_dir, const char *id, pid_t pid, const char *runtime,
		    tk_error **err)
{
	if (!valid_id(id))
		return tk_fail(err, 0, "registry: unusable container id '%s'", id);
	if (mkdirs(state_dir, err) < 0)
		return -1;
	json_t *j = json_pack("{s:s, s:I, s:I, s:s}", "id", id, "pid", (json_int_t)pid, "start",
			      (json_int_t)tk_pid_start_time(pid), "runtime", runtime);
	char *path = entry_path(state_dir, id);
	char *tmp = path ? tk_strdup_printf("%s.tmp", path) : NULL;
	int r = 0;
	/* Write and rename: a reader never sees half a file. */
	if (!j || !tmp)
		r = tk_fail(err, ENOMEM, "registry");
	else if (json_dump_file(j, tmp, 0) < 0)
		r = tk_fail(err, errno, "write %s", tmp);
	else if (rename(tmp, path) < 0)
		r = tk_fail(err, errno, "rename %s", tmp);
	json_decref(j);
	free(path);
	free(tmp);
	return r;
}

int tk_registry_remove(const char *state_dir, const char *id, tk_error **err)
{
	if (!valid_id(id))
		return 0;
	char *path = entry_path(state_dir, id);
	if (!path)
		return tk_fail(err, ENOMEM, "registry");
	int r = 0;
	if (unlink(path) < 0 && errno != ENOENT)
		r = tk_fail(err, errno, "remove %s", path);
	free(path);
	return r;
}

static int push(tk_containers *out, const char *id, pid_t pid, tk_error **err)
{
	tk_container *nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
	if (!nv)
		return tk_fail(err, ENOMEM, "registry");
	out->v = nv;
	tk_container *c = &out->v[out->n];
	memset(c, 0, sizeof(*c));
	c->id = strdup(id);
	c->pid = pid;
	if (!c->id)
		return tk_fail(err, ENOMEM, "registry");
	out->n++;
	return 0;
}

/* One entry: appended when its process still runs, else deleted. */
static int load_entry(const char *dir, const char *name, tk_containers *out, tk_error **err)
{
	char *path = tk_strdup_printf("%s/%s", dir, name);
	json_t *j = path ? json_load_file(path, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(j, "id"));
	pid_t pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	unsigned long long start = (unsigned long long)json_integer_value(json_object_get(j, "start"));
	int r = 0;
	if (id && pid > 0 && start && tk_pid_start_time(pid) == start)
		r = push(out, id, pid, err);
	else if (path)
		unlink(path); /* the container is gone (or the file is junk) */
	json_decref(j);
	free(path);
	return r;
}

int tk_registry_list(const char *state_dir, tk_containers *out, tk_error **err)
{
	out->v = NULL;
	out->n = 0;
	char *dir = tk_strdup_printf("%s/containers", state_dir);
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d) {
		int e = dir ? errno : ENOMEM;
		free(dir);
		return e == ENOENT ? 0 : tk_fail(err, e, "registry %s", state_dir);
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		r = load_entry(dir, de->d_name, out, err);
	}
	closedir(d);
	free(dir);
	if (r < 0)
		tk_containers_free(out);
	return r;
}
