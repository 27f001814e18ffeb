/* cviewfs-runtime: a runc-compatible wrapper. On `create` (and `run`) it
 * adds cviewfs to the bundle's config.json (shim/edit.h), then execs the
 * real runtime with the same arguments; every other command passes
 * through untouched. Whatever goes wrong in the edit, the container is
 * created as asked, with one line on stderr.
 *
 * Its settings, each a global option (removed before the exec: podman's
 * --runtime-flag, Docker's runtimeArgs, containerd's options pass them),
 * else an environment variable, else a default:
 *   --cviewfs-runtime=PATH    $CVIEWFS_RUNTIME       the real runtime: the X of a
 *                                                   cviewfs-runtime-X program name,
 *                                                   else runc
 *   --cviewfs-socket=PATH     $CVIEWFS_SECCOMP_SOCKET /run/cviewfs.seccomp.sock
 *   --cviewfs-toolkit=PATH    $CVIEWFS_TOOLKIT       the installed cviewfs-toolkit
 *   --cviewfs-mountpoint=DIR  $CVIEWFS_MOUNTPOINT    (the toolkit's default)
 *   --cviewfs-state-dir=DIR   $CVIEWFS_TOOLKIT_STATE_DIR (the toolkit's default) */
#include "shim/edit.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SHIM_TOOLKIT
#define SHIM_TOOLKIT "/usr/bin/cviewfs-toolkit"
#endif
#define DEFAULT_SOCKET "/run/cviewfs.seccomp.sock"

enum setting { S_RUNTIME, S_SOCKET, S_TOOLKIT, S_MOUNTPOINT, S_STATE_DIR, S_COUNT };
static const struct {
	const char *option, *env;
} settings[S_COUNT] = {
	[S_RUNTIME] = { "--cviewfs-runtime", "CVIEWFS_RUNTIME" },
	[S_SOCKET] = { "--cviewfs-socket", "CVIEWFS_SECCOMP_SOCKET" },
	[S_TOOLKIT] = { "--cviewfs-toolkit", "CVIEWFS_TOOLKIT" },
	[S_MOUNTPOINT] = { "--cviewfs-mountpoint", "CVIEWFS_MOUNTPOINT" },
	[S_STATE_DIR] = { "--cviewfs-state-dir", "CVIEWFS_TOOLKIT_STATE_DIR" },
};
static const char *given[S_COUNT];

/* A setting's value: its option, else its variable, else NULL. */
static const char *setting(enum setting s)
{
	const char *v = given[s] ? given[s] : getenv(settings[s].env);
	return v && *v ? v : NULL;
}

/* Takes argv[*i] (and its value) if it is one of the settings. */
static bool take_setting(int argc, char **argv, int *i)
{
	for (int s = 0; s < S_COUNT; s++) {
		size_t len = strlen(settings[s].option);
		if (strncmp(argv[*i], settings[s].option, len))
			continue;
		if (argv[*i][len] == '=') {
			given[s] = argv[*i] + len + 1;
			return true;
		}
		if (!argv[*i][len] && *i + 1 < argc) {
			given[s] = argv[++*i];
			return true;
		}
	}
	return false;
}

/* runc's global options that take a value (the others are flags). */
static const char *const valued[] = { "--root", "--log", "--log-format", "--criu", "--rootless", NULL };

static bool takes_value(const char *arg)
{
	for (const char *const *v = valued; *v; v++)
		if (!strcmp(arg, *v))
			return true;
	return false;
}

/* Whether the agent answers at path: a socket file whose daemon is gone
 * would make the runtime fail the container. */
static bool agent_answers(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path))
		return false;
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	bool ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(s);
	return ok;
}

static int write_config(const char *path, json_t *cfg)
{
	char *tmp;
	if (asprintf(&tmp, "%s.cviewfs-XXXXXX", path) < 0)
		return -1;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	struct stat st;
	if (stat(path, &st) == 0)
		fchmod(fd, st.st_mode & 07777);
	int r = json_dumpfd(cfg, fd, JSON_COMPACT);
	if (close(fd) < 0 || r < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static void edit_bundle(const char *bundle)
{
	char *path;
	if (asprintf(&path, "%s/config.json", bundle) < 0)
		return;
	json_error_t err;
	json_t *cfg = json_load_file(path, 0, &err);
	if (!cfg) {
		fprintf(stderr, "cviewfs-runtime: %s: %s; the container starts without cviewfs\n", path, err.text);
		free(path);
		return;
	}
	const char *sock = setting(S_SOCKET) ? setting(S_SOCKET) : DEFAULT_SOCKET;
	const char *toolkit = setting(S_TOOLKIT) ? setting(S_TOOLKIT) : SHIM_TOOLKIT;
	/* The toolkit's own settings, passed on to the hook (runtimes give
	 * hooks an empty environment). */
	const char *env[3] = { NULL };
	char *vars[2] = { NULL };
	const enum setting for_hook[] = { S_MOUNTPOINT, S_STATE_DIR };
	for (size_t i = 0, n = 0; i < 2; i++) {
		const char *v = setting(for_hook[i]);
		if (v && asprintf(&vars[n], "%s=%s", settings[for_hook[i]].env, v) >= 0)
			env[n] = vars[n], n++;
	}
	struct shim_edit e = { .toolkit = toolkit, .hook_env = env,
			       .listener = agent_answers(sock) ? sock : NULL };
	if (shim_edit_config(cfg, &e) && write_config(path, cfg) < 0)
		fprintf(stderr, "cviewfs-runtime: cannot rewrite %s: %s; the container starts without cviewfs\n",
			path, strerror(errno));
	json_decref(cfg);
	free(path);
	free(vars[0]);
	free(vars[1]);
}

/* The bundle of a create or run: --bundle/-b, else the current directory. */
static const char *bundle_of(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++) {
		if ((!strcmp(argv[i], "--bundle") || !strcmp(argv[i], "-b")) && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--bundle=", 9))
			return argv[i] + 9;
		if (!strncmp(argv[i], "-b=", 3))
			return argv[i] + 3;
	}
	return ".";
}

static const char *real_runtime(const char *prog)
{
	if (setting(S_RUNTIME))
		return setting(S_RUNTIME);
	const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	if (!strncmp(base, "cviewfs-runtime-", 16) && base[16])
		return base + 16;
	return "runc";
}

int main(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	int n = 0, command = -1;
	if (!args)
		return 1;
	args[n++] = argv[0];
	for (int i = 1; i < argc; i++) {
		if (command < 0 && take_setting(argc, argv, &i))
			continue;
		args[n++] = argv[i];
		if (command >= 0 || argv[i][0] != '-')
			command = command >= 0 ? command : n - 1;
		else if (takes_value(argv[i]) && i + 1 < argc)
			args[n++] = argv[++i];
	}
	if (command >= 0 && (!strcmp(args[command], "create") || !strcmp(args[command], "run")))
		edit_bundle(bundle_of(n, args, command + 1));
	const char *runtime = real_runtime(argv[0]);
	args[0] = (char *)runtime;
	execvp(runtime, args);
	fprintf(stderr, "cviewfs-runtime: cannot run %s: %s\n", runtime, strerror(errno));
	return 127;
}
