/* cviewfs-runtime's edit of a bundle's config.json: the hook, and the
 * seccomp agent's listener merged into whatever profile the container has. */
#include "shim/edit.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static const struct shim_edit WITH = { .toolkit = "/usr/bin/cviewfs-toolkit", .listener = "/run/cviewfs.seccomp.sock" };
static const struct shim_edit WITHOUT = { .toolkit = "/usr/bin/cviewfs-toolkit", .listener = NULL };

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		tap_ok(false, "fixture parses: %s", e.text);
	return j;
}

/* The action of the rule naming syscall (NULL: none), and how many do. */
static const char *action_of(json_t *cfg, const char *syscall, int *rules)
{
	const char *action = NULL;
	size_t i, k;
	json_t *rule, *n;
	*rules = 0;
	json_array_foreach(json_object_get(json_object_get(json_object_get(cfg, "linux"), "seccomp"), "syscalls"), i, rule)
		json_array_foreach(json_object_get(rule, "names"), k, n)
			if (!strcmp(json_string_value(n), syscall)) {
				action = json_string_value(json_object_get(rule, "action"));
				(*rules)++;
			}
	return action;
}

static const char *listener_of(json_t *cfg)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(cfg, "linux"), "seccomp"), "listenerPath"));
}

static size_t hooks(json_t *cfg, const char *stage)
{
	return json_array_size(json_object_get(json_object_get(cfg, "hooks"), stage));
}

static void test_no_profile(void)
{
	json_t *cfg = parse("{\"ociVersion\":\"1.0.2\",\"linux\":{}}");
	int rules;
	ok(shim_edit_config(cfg, &WITH), "a config without a profile is edited");
	is_u64(hooks(cfg, "createRuntime") * 10 + hooks(cfg, "poststop"), 11, "the hook at createRuntime and poststop");
	is_str(listener_of(cfg), WITH.listener, "the listener path is the agent's socket");
	is_str(json_string_value(json_object_get(json_object_get(json_object_get(cfg, "linux"), "seccomp"), "defaultAction")),
	       "SCMP_ACT_ALLOW", "a minimal allow-all profile");
	is_str(action_of(cfg, "sysinfo", &rules), "SCMP_ACT_NOTIFY", "sysinfo notifies");
	is_str(action_of(cfg, "sched_getaffinity", &rules), "SCMP_ACT_NOTIFY", "sched_getaffinity notifies");
	ok(!shim_edit_config(cfg, &WITH), "a second edit changes nothing");
	action_of(cfg, "sysinfo", &rules);
	is_u64((uint64_t)rules, 1, "and adds no duplicate rule");
	is_u64(hooks(cfg, "createRuntime"), 1, "nor a second hook");
	json_decref(cfg);
}

/* Docker's and podman's default profiles: deny by default, a long ALLOW
 * list that has both calls. */
static void test_default_deny(void)
{
	json_t *cfg = parse("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
			    "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],\"syscalls\":["
			    "{\"names\":[\"read\",\"sysinfo\",\"write\",\"sched_getaffinity\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			    "{\"names\":[\"sysinfo\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			    "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}}}");
	int rules;
	ok(shim_edit_config(cfg, &WITH), "a default-deny profile is edited");
	is_str(action_of(cfg, "sysinfo", &rules), "SCMP_ACT_NOTIFY", "sysinfo moved from ALLOW to NOTIFY");
	is_u64((uint64_t)rules, 1, "in one rule only (both ALLOW mentions removed)");
	is_str(action_of(cfg, "sched_getaffinity", &rules), "SCMP_ACT_NOTIFY", "sched_getaffinity too");
	is_str(action_of(cfg, "write", &rules), "SCMP_ACT_ALLOW", "the other calls keep their rule");
	is_u64(json_array_size(json_object_get(json_object_get(json_object_get(cfg, "linux"), "seccomp"), "syscalls")), 3,
	       "the rule left without names is dropped");
	is_str(json_string_value(json_object_get(json_object_get(json_object_get(cfg, "linux"), "seccomp"), "defaultAction")),
	       "SCMP_ACT_ERRNO", "the default action is kept");
	json_decref(cfg);
}

static void test_profile_decides(void)
{
	json_t *cfg = parse("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
			    "{\"names\":[\"sysinfo\"],\"action\":\"SCMP_ACT_ERRNO\"},"
			    "{\"names\":[\"sched_getaffinity\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}}}");
	int rules;
	ok(shim_edit_config(cfg, &WITH), "the hook is still added");
	is_str(action_of(cfg, "sysinfo", &rules), "SCMP_ACT_ERRNO", "a denied sysinfo stays denied");
	is_str(action_of(cfg, "sched_getaffinity", &rules), "SCMP_ACT_ALLOW", "a rule with argument conditions stays");
	ok(!listener_of(cfg), "nothing to notify: no listener");
	json_decref(cfg);

	cfg = parse("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}");
	shim_edit_config(cfg, &WITH);
	ok(!action_of(cfg, "sysinfo", &rules) && !listener_of(cfg), "a call the profile does not allow is not made allowed");
	json_decref(cfg);

	cfg = parse("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/other.sock\"}}}");
	shim_edit_config(cfg, &WITH);
	is_str(listener_of(cfg), "/run/other.sock", "another agent's listener is kept (a container has one)");
	ok(!action_of(cfg, "sysinfo", &rules), "and no rule is added for ours");
	json_decref(cfg);
}

static void test_opt_out_and_no_daemon(void)
{
	json_t *cfg = parse("{\"annotations\":{\"io.cviewfs.disable\":\"true\"},\"linux\":{}}");
	ok(!shim_edit_config(cfg, &WITH), "the opt-out annotation: nothing changed");
	ok(!json_object_get(cfg, "hooks"), "no hook");
	json_decref(cfg);
	cfg = parse("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}");
	int rules;
	ok(shim_edit_config(cfg, &WITHOUT), "the daemon does not answer: the hook only");
	ok(!listener_of(cfg) && !action_of(cfg, "sysinfo", &rules), "no listener, no NOTIFY rule: the container starts");
	json_decref(cfg);
}

int main(void)
{
	test_no_profile();
	test_default_deny();
	test_profile_decides();
	test_opt_out_and_no_daemon();
	return tap_done();
}
