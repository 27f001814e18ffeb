/* Threads that take no signals. Signals are for the one thread that waits
 * for them: in a serving process the one in the request loop (a SIGTERM
 * must reach it), in the supervisor its signal loop. A thread started
 * while some other thread has signals unblocked would inherit that mask,
 * so every background thread starts through here. */
#ifndef CVIEWFS_UTIL_THREAD_H
#define CVIEWFS_UTIL_THREAD_H

#include <pthread.h>
#include <stddef.h>

/* Starts fn(arg) with every signal blocked, on a stack of stack_size bytes
 * (0: the default). 0 or an errno. */
int thread_start(pthread_t *thread, size_t stack_size, void *(*fn)(void *), void *arg);

/* A thread started blocked that must be interruptible in a system call
 * (EINTR, no restart) calls this for its wake-up signal. */
void thread_unblock(int signo);

/* Installs a handler that does nothing, without SA_RESTART, for signo: a
 * thread blocked in a system call with signo unblocked gets EINTR. */
void thread_wake_signal(int signo);

#endif
