#include "serve/state.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/thread.h"
#include "view/cpustat.h"
#include "view/loadavg.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Two slots written in turn, and a header naming the complete one: a
 * process killed in the middle of a save leaves the previous save intact.
 * The memfd is sparse, so the slot size costs nothing until used. */
#define HEADER_SIZE 64
#define SLOT_BASE 4096
#define SLOT_SIZE (64ULL << 20)
#define MAGIC "cviewfs-state 1"
#define SAVE_EVERY_S 1
#define LOADAVG_SAVE_EVERY_S 5

static int read_header(int fd, unsigned *slot, uint64_t *len)
{
	char h[HEADER_SIZE + 1];
	ssize_t n = pread(fd, h, HEADER_SIZE, 0);
	if (n <= 0)
		return -1;
	h[n] = '\0';
	if (sscanf(h, MAGIC " %u %" SCNu64, slot, len) != 2 || *slot > 1 || *len > SLOT_SIZE)
		return -1;
	return 0;
}

static int read_at(int fd, off_t off, uint64_t len, struct strbuf *out)
{
	sb_reserve(out, (size_t)len);
	while (out->len < len) {
		ssize_t n = pread(fd, out->buf + out->len, (size_t)(len - out->len), off + (off_t)out->len);
		if (n <= 0)
			return -1;
		out->len += (size_t)n;
	}
	out->buf[out->len] = '\0';
	return 0;
}

void state_load(int fd)
{
	unsigned slot;
	uint64_t len;
	struct strbuf body = STRBUF_INIT;

	if (fd < 0 || read_header(fd, &slot, &len) < 0)
		return;
	if (read_at(fd, (off_t)(SLOT_BASE + slot * SLOT_SIZE), len, &body) == 0) {
		/* cpustat lines, "E", then load average lines. */
		const char *end = strstr(sb_str(&body), "E\n");
		double now = monotonic_s();
		unsigned stats = cpustat_restore(sb_str(&body), now);
		unsigned loads = end ? loadavg_restore(end + 2, now) : 0;
		log_info("carried over the counters of %u containers and the load averages of %u",
			 stats, loads);
	}
	sb_free(&body);
}

static pthread_mutex_t save_lock = PTHREAD_MUTEX_INITIALIZER;

void state_save(int fd)
{
	struct strbuf body = STRBUF_INIT;
	unsigned slot;
	uint64_t len;

	if (fd < 0)
		return;
	/* Taken under the lock: a save never overwrites a newer one. */
	pthread_mutex_lock(&save_lock);
	cpustat_save(&body);
	sb_puts(&body, "E\n");
	loadavg_save(&body);
	unsigned next = read_header(fd, &slot, &len) == 0 ? !slot : 0;
	off_t off = (off_t)(SLOT_BASE + next * SLOT_SIZE);
	bool ok = body.len <= SLOT_SIZE;
	for (size_t done = 0; ok && done < body.len;) {
		ssize_t n = pwrite(fd, body.buf + done, body.len - done, off + (off_t)done);
		ok = n > 0;
		done += ok ? (size_t)n : 0;
	}
	if (ok) {
		char h[HEADER_SIZE];
		int hl = snprintf(h, sizeof(h), MAGIC " %u %zu\n", next, body.len);
		ok = pwrite(fd, h, (size_t)hl, 0) == hl;
	}
	pthread_mutex_unlock(&save_lock);
	if (!ok)
		log_once("state", "save", "cannot save counters for a successor: %s",
			 body.len > SLOT_SIZE ? "too many containers" : strerror(errno));
	sb_free(&body);
}

#define TIDY_EVERY_S 5.0

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, stop;
	int fd;
	void (*tidy)(void);
} autosave = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .fd = -1 };

static void *autosave_loop(void *arg)
{
	uint64_t saved_changes = cpustat_changes();
	double saved_at = monotonic_s(), tidied_at = saved_at;

	(void)arg;
	pthread_mutex_lock(&autosave.lock);
	while (!autosave.stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SAVE_EVERY_S;
		pthread_cond_timedwait(&autosave.wake, &autosave.lock, &until);
		if (autosave.stop)
			break;
		uint64_t changes = cpustat_changes();
		double now = monotonic_s();
		if (autosave.tidy && now - tidied_at >= TIDY_EVERY_S) {
			pthread_mutex_unlock(&autosave.lock);
			autosave.tidy();
			pthread_mutex_lock(&autosave.lock);
			tidied_at = now;
		}
		bool loads_moved = loadavg_count() && now - saved_at >= LOADAVG_SAVE_EVERY_S;
		if (autosave.fd < 0 || (changes == saved_changes && !loads_moved))
			continue;
		pthread_mutex_unlock(&autosave.lock);
		state_save(autosave.fd);
		pthread_mutex_lock(&autosave.lock);
		saved_changes = changes;
		saved_at = now;
	}
	pthread_mutex_unlock(&autosave.lock);
	return NULL;
}

static void save_now(void)
{
	state_save(autosave.fd);
}

void state_autosave_start(int fd, void (*tidy)(void))
{
	if ((fd < 0 && !tidy) || autosave.running)
		return;
	autosave.fd = fd;
	autosave.tidy = tidy;
	if (fd >= 0)
		cpustat_on_first_sight(save_now);
	autosave.stop = false;
	int r = thread_start(&autosave.thread, 0, autosave_loop, NULL);
	if (r == 0)
		autosave.running = true;
	else
		log_warn("cannot start saving counters for a successor: %s", strerror(r));
}

void state_autosave_stop(void)
{
	if (!autosave.running)
		return;
	pthread_mutex_lock(&autosave.lock);
	autosave.stop = true;
	pthread_cond_signal(&autosave.wake);
	pthread_mutex_unlock(&autosave.lock);
	pthread_join(autosave.thread, NULL);
	autosave.running = false;
	cpustat_on_first_sight(NULL);
}
