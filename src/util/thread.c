#include "util/thread.h"

#include <signal.h>
#include <string.h>

int thread_start(pthread_t *thread, size_t stack_size, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int r = pthread_attr_init(&attr);
	if (r)
		return r;
	if (stack_size)
		r = pthread_attr_setstacksize(&attr, stack_size);
	if (r == 0) {
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		r = pthread_create(thread, &attr, fn, arg);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_attr_destroy(&attr);
	return r;
}

void thread_unblock(int signo)
{
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, signo);
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
}

static void on_wake(int signo)
{
	(void)signo;
}

void thread_wake_signal(int signo)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake;
	sigemptyset(&sa.sa_mask);
	sigaction(signo, &sa, NULL);
}
