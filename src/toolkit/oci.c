/* OCI: the state a hook gets on stdin, the bundle's config.json, and the
 * state directories of runc and crun. Parsed with jansson. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tk.h"

/* The string member KEY of OBJ, or NULL. */
static const char *get_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* V as a pid, or 0 when it is none. Only a number a pid_t holds: a bigger
 * one would wrap into another process's pid (2^32 + 1 into init's). */
static pid_t json_pid(json_t *v)
{
	json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
	return n > 0 && n <= INT_MAX ? (pid_t)n : 0;
}

static int load_file(const char *path, json_t **out, tk_error **err)
{
	json_error_t je;
	*out = json_load_file(path, 0, &je);
	if (!*out)
		return tk_fail(err, 0, "%s:%d: %s", path, je.line, je.text);
	return 0;
}

/* root.path (relative to the bundle unless absolute) and the opt-out
 * annotation, from BUNDLE's parsed config.json. */
static int config_from_json(json_t *cfg, const char *bundle, tk_oci_state *s, tk_error **err)
{
	int r = 0;
	const char *root = get_str(json_object_get(cfg, "root"), "path");
	const char *off = get_str(json_object_get(cfg, "annotations"), "io.cviewfs.disable");
	s->disabled = off && (strcmp(off, "true") == 0 || strcmp(off, "1") == 0);
	if (!root)
		r = tk_fail(err, 0, "%s/config.json has no root.path", bundle);
	else if (root[0] == '/')
		s->rootfs = strdup(root);
	else
		s->rootfs = tk_strdup_printf("%s/%s", bundle, root);
	if (root && !s->rootfs)
		r = tk_fail(err, ENOMEM, "config");
	return r;
}

static int read_config(const char *bundle, tk_oci_state *s, tk_error **err)
{
	char *path = tk_strdup_printf("%s/config.json", bundle);
	if (!path)
		return tk_fail(err, ENOMEM, "config");
	json_t *cfg;
	int r = load_file(path, &cfg, err);
	free(path);
	if (r < 0)
		return -1;
	r = config_from_json(cfg, bundle, s, err);
	json_decref(cfg);
	return r;
}

int tk_oci_config_parse(const char *text, size_t len, const char *bundle, tk_oci_state *s,
			tk_error **err)
{
	json_error_t je;
	json_t *cfg = json_loadb(text, len, 0, &je);
	if (!cfg)
		return tk_fail(err, 0, "%s/config.json:%d: %s", bundle, je.line, je.text);
	int r = config_from_json(cfg, bundle, s, err);
	json_decref(cfg);
	return r;
}

/* id, status and pid of a parsed state; *BUNDLE points into ST. */
static int state_from_json(json_t *st, tk_oci_state *out, const char **bundle, tk_error **err)
{
	const char *id = get_str(st, "id");
	const char *status = get_str(st, "status");
	json_t *pid = json_object_get(st, "pid");
	*bundle = get_str(st, "bundle");
	if (!id || !*bundle)
		return tk_fail(err, 0, "container state on stdin: no id or bundle");
	out->id = strdup(id);
	out->status = strdup(status ? status : "");
	out->pid = json_pid(pid);
	if (!out->id || !out->status)
		return tk_fail(err, ENOMEM, "state");
	return 0;
}

int tk_oci_state_read(FILE *in, tk_oci_state *out, tk_error **err)
{
	memset(out, 0, sizeof(*out));
	json_error_t je;
	json_t *st = json_loadf(in, 0, &je);
	if (!st)
		return tk_fail(err, 0, "container state on stdin:%d: %s", je.line, je.text);
	const char *bundle;
	int r = state_from_json(st, out, &bundle, err);
	/* A stopped container's bundle may be gone already; it needs none. */
	if (r == 0 && strcmp(out->status, "stopped") != 0 && read_config(bundle, out, err) < 0)
		r = tk_wrap(err, "container %s", out->id);
	json_decref(st);
	if (r < 0)
		tk_oci_state_free(out);
	return r;
}

int tk_oci_state_parse(const char *text, size_t len, tk_oci_state *out, char **bundle,
		       tk_error **err)
{
	memset(out, 0, sizeof(*out));
	*bundle = NULL;
	json_error_t je;
	json_t *st = json_loadb(text, len, 0, &je);
	if (!st)
		return tk_fail(err, 0, "container state on stdin:%d: %s", je.line, je.text);
	const char *b;
	int r = state_from_json(st, out, &b, err);
	if (r == 0 && !(*bundle = strdup(b)))
		r = tk_fail(err, ENOMEM, "state");
	json_decref(st);
	if (r < 0)
		tk_oci_state_free(out);
	return r;
}

void tk_oci_state_free(tk_oci_state *s)
{
	free(s->id);
	free(s->status);
	free(s->rootfs);
	memset(s, 0, sizeof(*s));
}

/* The init pid in one container's state: runc's state.json, crun's status. */
static pid_t state_pid(const char *root, const char *id)
{
	static const struct {
		const char *file, *key;
	} kinds[] = {{"state.json", "init_process_pid"}, {"status", "pid"}};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char *path = tk_strdup_printf("%s/%s/%s", root, id, kinds[k].file);
		json_t *j = path ? json_load_file(path, 0, NULL) : NULL;
		free(path);
		json_t *v = json_object_get(j, kinds[k].key);
		pid_t pid = json_pid(v);
		json_decref(j);
		if (pid > 0)
			return pid;
	}
	return 0;
}

int tk_oci_runtime_pid(const char *root, const char *id, char **full_id, pid_t *pid,
		       tk_error **err)
{
	*pid = 0;
	*full_id = NULL;
	DIR *d = opendir(root);
	if (!d)
		return 0; /* this runtime is not used here */
	size_t idlen = strlen(id);
	char *match = NULL;
	int matches = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, id, idlen) != 0)
			continue;
		bool exact = de->d_name[idlen] == '\0';
		if (exact || !match || matches == 0) {
			free(match);
			match = strdup(de->d_name);
		}
		matches = exact ? 1 : matches + 1;
		if (exact)
			break;
	}
	closedir(d);
	if (matches > 1) {
		free(match);
		return tk_fail(err, 0, "%s: the id prefix %s is ambiguous", root, id);
	}
	if (matches == 1 && match) {
		*pid = state_pid(root, match);
		*full_id = match;
		match = NULL;
	}
	free(match);
	return 0;
}
