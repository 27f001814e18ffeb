/* A hostile container for the benchmark: one process holding many threads.
 *
 *   hostile THREADS STACK_KIB CGDIR...
 *
 * Joins every CGDIR (the cgroup directories must exist), then starts the
 * container: pid 1 of a new pid namespace, which creates THREADS - 1 more
 * threads (THREADS tasks in all) with STACK_KIB KiB stacks, each sleeping in
 * pause(). Prints "ready PID TASKS SECONDS" (PID: the container's init as the
 * host sees it, for reader -N PID; SECONDS: how long the threads took to
 * start) once all have started, or "failed PID TASKS SECONDS: ERROR" when a
 * thread could not be created; then waits until stdin is closed (or SIGTERM),
 * kills the container (SIGKILL to its init ends every task of the namespace)
 * and reaps it. */
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
#include <time.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int join(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		fprintf(stderr, "hostile: cannot join %s: %s\n", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* the container's init: never returns */
static void container(long threads, size_t stack, int report_fd)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, stack);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	long made = 1;
	int err = 0;
	for (; made < threads; made++) {
		pthread_t th;
		err = pthread_create(&th, &attr, idle, NULL);
		if (err)
			break;
	}
	long msg[2] = { made, err };
	if (write(report_fd, msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	close(report_fd);
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
	if (argc < 3) {
		fprintf(stderr, "usage: hostile THREADS STACK_KIB CGDIR...\n");
		return 2;
	}
	long threads = atol(argv[1]);
	size_t stack = (size_t)atol(argv[2]) * 1024;
	if (threads < 1 || stack < 16384) {
		fprintf(stderr, "hostile: THREADS must be >= 1 and STACK_KIB >= 16\n");
		return 2;
	}
	for (int i = 3; i < argc; i++)
		if (join(argv[i]))
			return 1;
	int rep[2];
	if (pipe2(rep, O_CLOEXEC) != 0 || unshare(CLONE_NEWPID) != 0) {
		fprintf(stderr, "hostile: pipe or unshare(CLONE_NEWPID): %s\n", strerror(errno));
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t init = fork();
	if (init < 0) {
		fprintf(stderr, "hostile: fork: %s\n", strerror(errno));
		return 1;
	}
	if (init == 0) {
		close(rep[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the benchmark */
		container(threads, stack, rep[1]);
	}
	close(rep[1]);
	long msg[2] = { 0, 0 };
	ssize_t got = read(rep[0], msg, sizeof(msg));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int ok = got == (ssize_t)sizeof(msg) && msg[0] == threads;
	if (ok)
		printf("ready %d %ld %.3f\n", (int)init, msg[0], secs);
	else
		printf("failed %d %ld %.3f: %s\n", (int)init, msg[0], secs,
		       got == (ssize_t)sizeof(msg) ? strerror((int)msg[1]) : "the container died");
	fflush(stdout);

	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	char c;
	while (!stop && ok && read(0, &c, 1) > 0)
		;
	kill(init, SIGKILL);
	int status;
	while (waitpid(init, &status, 0) < 0 && errno == EINTR)
		;
	return ok ? 0 : 1;
}
