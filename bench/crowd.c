/* Many idle containers for the benchmark's scaling runs.
 *
 *   crowd N TASKS CGBASE[,CGBASE...] PATH...
 *
 * Starts N containers: container i (1..N) is pid 1 of a new pid namespace,
 * joins CGBASE-i of every CGBASE (the cgroup directories must exist), reads
 * every PATH once (so a loadavg sampler starts following it) and sleeps with
 * TASKS threads in all. Prints "ready N" once every container has read its
 * files, then waits until stdin is closed (or SIGTERM), kills the containers,
 * reaps them and exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void join(const char *base, int i)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s-%d/cgroup.procs", base, i);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		fprintf(stderr, "crowd: cannot join %s: %s\n", path, strerror(errno));
		_exit(1);
	}
	close(fd);
}

static void read_once(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0) {
		fprintf(stderr, "crowd: cannot read %s: %s\n", path, strerror(errno));
		_exit(1);
	}
	close(fd);
}

/* the container's init: never returns */
static void container(int i, int tasks, char *bases, int npaths, char **paths, int ready_fd)
{
	for (char *b = strtok(bases, ","); b; b = strtok(NULL, ","))
		join(b, i);
	for (int t = 1; t < tasks; t++) {
		pthread_t th;
		if (pthread_create(&th, NULL, idle, NULL) != 0) {
			fprintf(stderr, "crowd: pthread_create failed\n");
			_exit(1);
		}
	}
	for (int p = 0; p < npaths; p++)
		read_once(paths[p]);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);
	for (;;)
		pause();
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: crowd N TASKS CGBASE[,CGBASE...] PATH...\n");
		return 2;
	}
	int n = atoi(argv[1]), tasks = atoi(argv[2]);
	/* orphaned containers become our children, so we can kill and reap them */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		fprintf(stderr, "crowd: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
		return 1;
	}
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) != 0)
		return 1;
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	int pp[2];
	if (!pids || pipe2(pp, O_CLOEXEC) != 0)
		return 1;
	/* all containers start at once: joining a v1 cgroup mostly waits (RCU), it does not compute */
	int forked = 0, started = 0;
	for (int i = 1; i <= n; i++) {
		pid_t mid = fork();
		if (mid < 0) {
			fprintf(stderr, "crowd: fork: %s\n", strerror(errno));
			break;
		}
		if (mid == 0) {
			/* a pid namespace per container: unshare, then fork its init */
			if (unshare(CLONE_NEWPID) != 0) {
				fprintf(stderr, "crowd: unshare(CLONE_NEWPID): %s\n", strerror(errno));
				_exit(1);
			}
			pid_t init = fork();
			if (init == 0) {
				close(pp[0]);
				close(pp[1]); /* so the master sees EOF if a container fails to start */
				container(i, tasks, argv[3], argc - 4, argv + 4, ready[1]);
			}
			if (init < 0 || write(pp[1], &init, sizeof(init)) != sizeof(init))
				_exit(1);
			_exit(0);
		}
		forked++;
	}
	close(pp[1]);
	for (int i = 0; i < forked; i++) {
		pid_t init;
		if (read(pp[0], &init, sizeof(init)) != sizeof(init))
			break;
		pids[started++] = init;
	}
	if (started < n)
		fprintf(stderr, "crowd: only %d of %d containers started\n", started, n);
	close(ready[1]);
	int got = 0;
	char c;
	while (got < started && read(ready[0], &c, 1) == 1)
		got++;
	if (got == n)
		printf("ready %d\n", got);
	else
		printf("failed %d of %d\n", got, n);
	fflush(stdout);

	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop && got == n && read(0, &c, 1) > 0)
		;
	for (int i = 0; i < started; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return got == n ? 0 : 1;
}
