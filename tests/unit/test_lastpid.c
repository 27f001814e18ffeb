/* procfs_last_pid (loadavg's LAST): found by seeking through a procfs root,
 * it must equal the highest pid of a full listing. Checked in a private pid
 * namespace with its own procfs (nothing else creates processes there),
 * with few processes, more than one probe holds, and pids far apart. Needs
 * root for the namespace; else only the plain-directory fallback runs. */
#include "tap.h"
#include "util/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static long listing_max(const char *dir)
{
	DIR *d = opendir(dir);
	long last = -1;
	if (!d)
		return -2;
	for (struct dirent *de; (de = readdir(d));) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		if (!*end && end != de->d_name && v > last)
			last = v;
	}
	closedir(d);
	return last;
}

/* ---- run as pid 1 of a new pid namespace; reports "1 text" / "0 text" ---- */

static FILE *report;
static char procdir[64];
static pid_t kids[400];
static int nkids;

static void check(const char *what)
{
	int fd = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long got = fd >= 0 ? procfs_last_pid(fd) : -3;
	long want = listing_max(procdir);
	if (fd >= 0)
		close(fd);
	fprintf(report, "%d %s: seek gives %ld, listing %ld\n", got == want && want > 0, what, got, want);
	fflush(report); /* before any fork, and pid 1 leaves with _exit */
}

static void set_last_pid(long pid)
{
	char path[96];
	snprintf(path, sizeof(path), "%s/sys/kernel/ns_last_pid", procdir);
	FILE *f = fopen(path, "w");
	if (f) {
		fprintf(f, "%ld", pid);
		fclose(f);
	}
}

static void spawn(int n)
{
	for (int i = 0; i < n && nkids < (int)(sizeof(kids) / sizeof(kids[0])); i++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p > 0)
			kids[nkids++] = p;
	}
}

/* Kills and reaps kid i (a zombie would still be listed). */
static void reap(int i)
{
	kill(kids[i], SIGKILL);
	waitpid(kids[i], NULL, 0);
	kids[i] = kids[--nkids];
}

static int highest_kid(void)
{
	int best = 0;
	for (int i = 1; i < nkids; i++)
		if (kids[i] > kids[best])
			best = i;
	return best;
}

static int in_namespace(void)
{
	char tmpl[] = "/tmp/lastpid.XXXXXX";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || !mkdtemp(tmpl))
		return 1;
	snprintf(procdir, sizeof(procdir), "%s", tmpl);
	if (mount("proc", procdir, "proc", 0, NULL) < 0) {
		rmdir(procdir);
		return 1;
	}
	check("only pid 1");
	spawn(5);
	check("6 processes (one probe)");
	spawn(40);
	check("46 processes (more than a probe holds)");
	set_last_pid(99999);
	spawn(1);
	check("a pid far above the rest (100000)");
	reap(highest_kid());
	check("the highest exited: the next one down");
	for (int k = 0; k < 30; k++) {
		set_last_pid(1000 + k * 7919 % 300000);
		spawn(3);
	}
	check("130 processes in scattered runs");
	for (int k = 0; k < 10 && nkids; k++)
		reap(highest_kid());
	check("the 10 highest exited");
	for (int k = 0; k < 60 && nkids > 1; k++)
		reap(k % nkids);
	check("holes all over the range");
	while (nkids)
		reap(0);
	check("back to pid 1 alone");
	umount2(procdir, MNT_DETACH);
	rmdir(procdir);
	return 0;
}

static void test_namespace(void)
{
	int p[2];
	if (geteuid() != 0 || pipe(p) < 0) {
		ok(true, "# SKIP not root: no private pid namespace");
		return;
	}
	pid_t child = fork();
	if (child == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0)
			_exit(2);
		report = fdopen(p[1], "w");
		pid_t init = fork(); /* pid 1 of the new namespace */
		if (init == 0)
			_exit(in_namespace());
		int st = 0;
		waitpid(init, &st, 0);
		fclose(report);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 3);
	}
	close(p[1]);
	FILE *in = fdopen(p[0], "r");
	char line[512];
	int checks = 0;
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		ok(line[0] == '1', "%s", line + 2);
		checks++;
	}
	fclose(in);
	int st = 0;
	waitpid(child, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && checks == 9, "the namespace ran every check (%d, status %#x)", checks, st);
}

/* A directory that is not a procfs (a container without its own /proc
 * mounted) is listed in full: offsets mean nothing there. */
static void test_plain_dir(void)
{
	char tmpl[] = "/tmp/lastpid-dir.XXXXXX";
	char path[128];
	if (!mkdtemp(tmpl)) {
		ok(false, "mkdtemp");
		return;
	}
	const char *names[] = { "5", "12", "abc", "7x", "3" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpl, names[i]);
		mkdir(path, 0700);
	}
	int fd = open(tmpl, O_RDONLY | O_DIRECTORY);
	is_u64((uint64_t)procfs_last_pid(fd), 12, "a plain directory: its highest numeric entry");
	close(fd);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpl, names[i]);
		rmdir(path);
	}
	fd = open(tmpl, O_RDONLY | O_DIRECTORY);
	ok(procfs_last_pid(fd) == -1, "an empty directory: none (-1)");
	close(fd);
	rmdir(tmpl);
}

int main(void)
{
	test_plain_dir();
	test_namespace();
	return tap_done();
}
