#include "shim/edit.h"

#include <string.h>

const char *const shim_notify_syscalls[] = { "sysinfo", "sched_getaffinity", NULL };

/* parent[key] as an object or an array (type), made there (in place of
 * anything else) when it is not one. */
static json_t *member(json_t *parent, const char *key, json_type type)
{
	json_t *v = json_object_get(parent, key);
	if (!v || json_typeof(v) != type) {
		v = type == JSON_OBJECT ? json_object() : json_array();
		json_object_set_new(parent, key, v);
	}
	return v;
}

/* A hook running `path hook`, unless the stage has one with that path. */
static bool add_hook(json_t *hooks, const char *stage, const char *path, const char *const *env)
{
	json_t *list = member(hooks, stage, JSON_ARRAY);
	size_t i;
	json_t *h;
	json_array_foreach(list, i, h)
		if (json_is_string(json_object_get(h, "path")) &&
		    !strcmp(json_string_value(json_object_get(h, "path")), path))
			return false;
	json_t *hook = json_pack("{s:s, s:[s, s]}", "path", path, "args", "cviewfs-toolkit", "hook");
	if (env && *env) {
		json_t *e = json_array();
		for (const char *const *v = env; *v; v++)
			json_array_append_new(e, json_string(*v));
		json_object_set_new(hook, "env", e);
	}
	json_array_append_new(list, hook);
	return true;
}

static bool string_is(json_t *v, const char *s)
{
	return json_is_string(v) && !strcmp(json_string_value(v), s);
}

/* The rule names' index of name, or -1. */
static int name_index(json_t *rule, const char *name)
{
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(rule, "names"), i, n)
		if (string_is(n, name))
			return (int)i;
	return -1;
}

static bool has_args(json_t *rule)
{
	json_t *args = json_object_get(rule, "args");
	return json_is_array(args) && json_array_size(args) > 0;
}

/* What the profile does with name: moved out of plain ALLOW rules into
 * the NOTIFY rule when the call is allowed; left alone when a rule denies
 * it or looks at its arguments. */
static void notify_syscall(json_t *seccomp, json_t *notify_names, const char *name)
{
	json_t *rules = member(seccomp, "syscalls", JSON_ARRAY);
	bool allowed = string_is(json_object_get(seccomp, "defaultAction"), "SCMP_ACT_ALLOW");
	size_t i;
	json_t *rule;
	json_array_foreach(rules, i, rule) {
		if (name_index(rule, name) < 0)
			continue;
		if (!string_is(json_object_get(rule, "action"), "SCMP_ACT_ALLOW") || has_args(rule))
			return; /* the profile decides this call itself */
		allowed = true;
	}
	if (!allowed)
		return;
	json_array_foreach(rules, i, rule) {
		int k = name_index(rule, name);
		if (k >= 0)
			json_array_remove(json_object_get(rule, "names"), (size_t)k);
	}
	json_array_append_new(notify_names, json_string(name));
}

/* Rules left with no names are dropped (runtimes reject them). */
static void drop_empty_rules(json_t *rules)
{
	for (size_t i = json_array_size(rules); i-- > 0;) {
		json_t *names = json_object_get(json_array_get(rules, i), "names");
		if (json_is_array(names) && json_array_size(names) == 0)
			json_array_remove(rules, i);
	}
}

static bool add_listener(json_t *cfg, const char *listener)
{
	json_t *linux_ = member(cfg, "linux", JSON_OBJECT);
	json_t *seccomp = json_object_get(linux_, "seccomp");
	if (!json_is_object(seccomp)) {
		seccomp = json_pack("{s:s}", "defaultAction", "SCMP_ACT_ALLOW");
		json_object_set_new(linux_, "seccomp", seccomp);
	}
	json_t *listener_now = json_object_get(seccomp, "listenerPath");
	if (json_is_string(listener_now) && strcmp(json_string_value(listener_now), listener))
		return false; /* someone else's agent: a container has one listener */
	json_t *names = json_array();
	for (const char *const *s = shim_notify_syscalls; *s; s++)
		notify_syscall(seccomp, names, *s);
	if (!json_array_size(names)) {
		json_decref(names);
		return false;
	}
	json_t *rules = member(seccomp, "syscalls", JSON_ARRAY);
	drop_empty_rules(rules);
	json_array_append_new(rules, json_pack("{s:o, s:s}", "names", names, "action", "SCMP_ACT_NOTIFY"));
	json_object_set_new(seccomp, "listenerPath", json_string(listener));
	return true;
}

bool shim_edit_config(json_t *cfg, const struct shim_edit *e)
{
	if (string_is(json_object_get(json_object_get(cfg, "annotations"), SHIM_OPT_OUT), "true"))
		return false;
	json_t *hooks = member(cfg, "hooks", JSON_OBJECT);
	bool changed = add_hook(hooks, "createRuntime", e->toolkit, e->hook_env);
	changed |= add_hook(hooks, "poststop", e->toolkit, e->hook_env);
	if (e->listener)
		changed |= add_listener(cfg, e->listener);
	return changed;
}
