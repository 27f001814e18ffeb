/* A container process as an OCI runtime starts it with a seccomp listener
 * (linux.seccomp.listenerPath): it installs a filter that notifies on
 * sysinfo and sched_getaffinity, hands the notify descriptor to SOCKET
 * with the container process state (fds: ["seccompFd"]), closes its own
 * copy, then makes the calls.
 *
 *   seccomp-client SOCKET sysinfo        total bytes, uptime, procs, mem_unit
 *   seccomp-client SOCKET nproc          CPUs in the raw sched_getaffinity mask
 *   seccomp-client SOCKET loop SECONDS   sysinfo in a loop: calls, failures,
 *                                        ENOSYS, distinct totals seen
 *   seccomp-client SOCKET hold SECONDS   hands the descriptor over, waits
 *   seccomp-client SOCKET efault         sysinfo at NULL and at an unmapped page: the errnos
 *   seccomp-client SOCKET bench CALLS    times each sysinfo: calls/s, p50, p99 (ns)
 *   seccomp-client SOCKET reuse thread|leader
 *                                        a thread calls sysinfo and exits while its process
 *                                        lives on (leader: a process calls it and exits); a
 *                                        new process given that id (ns_last_pid, host pid
 *                                        namespace) calls sysinfo:
 *                                        "ATTEMPTS TOTAL" (TOTAL 0: the id never came back,
 *                                        or the kernel has no ns_last_pid)
 * SOCKET "-": no filter at all (the native call, for comparison). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "seccomp-client: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void hand_over(const char *path, int notify_fd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	char state[512];
	int len = snprintf(state, sizeof(state),
			   "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":%d,\"metadata\":\"\","
			   "\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"seccomp-client-%d\",\"status\":\"creating\","
			   "\"pid\":%d,\"bundle\":\"/nonexistent\"}}",
			   getpid(), getpid(), getpid());
	struct iovec iov = { .iov_base = state, .iov_len = (size_t)len };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
	if (sendmsg(s, &msg, 0) != len)
		die("sendmsg");
	close(s);
	close(notify_fd);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void *call_and_tell(void *arg)
{
	struct sysinfo si;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	if (sysinfo(&si) < 0)
		tid = -1;
	if (write(*(int *)arg, &tid, sizeof(tid)) != sizeof(tid))
		tid = -1;
	return NULL;
}

/* The caller of each attempt's sysinfo is a new process; the agent must
 * not take it for the thread that had its number (and write into the
 * memory of that thread's process, which still lives). */
static void reuse(bool leader)
{
	int tell[2];
	if (pipe(tell) < 0)
		die("pipe");
	pid_t keeper = fork();
	if (keeper == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
		if (leader) {
			call_and_tell(&tell[1]);
			_exit(0);
		}
		pthread_t t;
		if (pthread_create(&t, NULL, call_and_tell, &tell[1]) == 0)
			pthread_join(t, NULL);
		pause();
		_exit(0);
	}
	pid_t tid;
	if (keeper < 0 || read(tell[0], &tid, sizeof(tid)) != sizeof(tid) || tid < 2)
		die("the first thread's sysinfo");
	if (leader) { /* the whole process gone, its number free */
		waitpid(keeper, NULL, 0);
		keeper = 0;
	}
	char task[64];
	snprintf(task, sizeof(task), "/proc/%d/task/%d", keeper, tid);
	while (keeper && access(task, F_OK) == 0)
		usleep(1000);
	int attempts = 0, got = 0;
	unsigned long long total = 0;
	while (!got && attempts < 1000) {
		attempts++;
		int last = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
		if (last < 0 || dprintf(last, "%d", tid - 1) < 0) /* a kernel without checkpoint/restore */
			break;
		close(last);
		pid_t q = fork();
		if (q == 0) {
			if (getpid() != tid)
				_exit(3);
			struct sysinfo si;
			memset(&si, 0xa5, sizeof(si));
			/* 1: the call failed (EFAULT when the agent wrote elsewhere) */
			unsigned long long t = sysinfo(&si) < 0 ? 1 : (unsigned long long)si.totalram * si.mem_unit;
			_exit(write(tell[1], &t, sizeof(t)) == sizeof(t) ? 0 : 2);
		}
		int status;
		if (q < 0 || waitpid(q, &status, 0) != q)
			die("fork");
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			got = read(tell[0], &total, sizeof(total)) == sizeof(total);
	}
	if (keeper) {
		kill(keeper, SIGKILL);
		waitpid(keeper, NULL, 0);
	}
	printf("%d %llu\n", attempts, total);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: seccomp-client SOCKET sysinfo|nproc|loop SECONDS|hold SECONDS\n");
		return 2;
	}
	if (strcmp(argv[1], "-")) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sysinfo), 0) < 0 ||
		    seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sched_getaffinity), 0) < 0 ||
		    seccomp_load(ctx) < 0)
			die("seccomp filter");
		int fd = seccomp_notify_fd(ctx);
		if (fd < 0)
			die("seccomp_notify_fd");
		hand_over(argv[1], fd);
		seccomp_release(ctx);
	}

	const char *mode = argv[2];
	if (!strcmp(mode, "sysinfo")) {
		struct sysinfo si;
		if (sysinfo(&si) < 0)
			die("sysinfo");
		printf("%llu %ld %u %u\n", (unsigned long long)si.totalram * si.mem_unit, si.uptime, si.procs,
		       si.mem_unit);
	} else if (!strcmp(mode, "nproc")) {
		unsigned char mask[1024] = { 0 };
		long n = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
		if (n < 0)
			die("sched_getaffinity");
		int cpus = 0;
		for (long i = 0; i < n; i++)
			cpus += __builtin_popcount(mask[i]);
		printf("%d\n", cpus);
	} else if (!strcmp(mode, "loop") && argc > 3) {
		double end = now() + atof(argv[3]);
		unsigned long calls = 0, failed = 0, enosys = 0, totals = 0;
		unsigned long long last = 0;
		while (now() < end) {
			struct sysinfo si;
			calls++;
			if (sysinfo(&si) < 0) {
				failed++;
				enosys += errno == ENOSYS;
				continue;
			}
			unsigned long long t = (unsigned long long)si.totalram * si.mem_unit;
			totals += t != last;
			last = t;
		}
		printf("calls %lu failed %lu enosys %lu totals %lu last %llu\n", calls, failed, enosys, totals, last);
	} else if (!strcmp(mode, "efault")) {
		long a = syscall(SYS_sysinfo, NULL);
		int ea = errno;
		long b = syscall(SYS_sysinfo, (void *)4096);
		int eb = errno;
		printf("%s %s\n", a < 0 ? strerror(ea) : "ok", b < 0 ? strerror(eb) : "ok");
	} else if (!strcmp(mode, "bench") && argc > 3) {
		long n = atol(argv[3]);
		if (n < 1)
			n = 1;
		double *t = malloc((size_t)n * sizeof(double));
		struct sysinfo si;
		double start = now();
		for (long i = 0; i < n; i++) {
			double t0 = now();
			if (sysinfo(&si) < 0)
				die("sysinfo");
			t[i] = now() - t0;
		}
		double total = now() - start;
		qsort(t, (size_t)n, sizeof(double), cmp_double);
		printf("calls_per_s %.0f p50_ns %.0f p99_ns %.0f\n", (double)n / total, t[n / 2] * 1e9,
		       t[n * 99 / 100] * 1e9);
		free(t);
	} else if (!strcmp(mode, "reuse") && argc > 3) {
		reuse(!strcmp(argv[3], "leader"));
	} else if (!strcmp(mode, "hold") && argc > 3) {
		sleep((unsigned)atoi(argv[3]));
	} else {
		fprintf(stderr, "seccomp-client: unknown mode %s\n", mode);
		return 2;
	}
	return 0;
}
