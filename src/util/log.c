#include "util/log.h"
#include "util/hash.h"
#include "util/strbuf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static bool log_to_syslog;
static bool log_debug_on;

/* Keys already reported by log_once: a small chained hash set. It is capped so
 * that a host churning through containers cannot grow it without bound; past
 * the cap one line says so and later causes go unlogged. */
#define ONCE_BUCKETS 1024
#define ONCE_MAX_KEYS 20000

struct once_key {
	struct once_key *next;
	char key[];
};

static struct once_key *once_table[ONCE_BUCKETS];
static unsigned once_count;
static pthread_mutex_t once_lock = PTHREAD_MUTEX_INITIALIZER;

void log_setup(bool use_syslog, bool debug)
{
	log_to_syslog = use_syslog;
	log_debug_on = debug;
	if (use_syslog)
		openlog("cviewfs", LOG_PID | LOG_CONS, LOG_DAEMON);
}

static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tag[] = { "error", "warning", "info", "debug" };

	if (lvl == LOG_LVL_DEBUG && !log_debug_on)
		return;
	if (log_to_syslog) {
		vsyslog(prio[lvl], fmt, ap);
		return;
	}
	struct strbuf line = STRBUF_INIT;
	sb_printf(&line, "cviewfs: %s: ", tag[lvl]);
	sb_vprintf(&line, fmt, ap);
	sb_putc(&line, '\n');
	/* One write per line keeps lines from concurrent threads whole. */
	fputs(sb_str(&line), stderr);
	sb_free(&line);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

/* Returns true if the key was new (and records it). */
static bool once_insert(const char *key)
{
	bool fresh = false;
	size_t b = str_hash(key) % ONCE_BUCKETS;

	pthread_mutex_lock(&once_lock);
	struct once_key *k;
	for (k = once_table[b]; k; k = k->next)
		if (!strcmp(k->key, key))
			break;
	if (!k) {
		if (once_count < ONCE_MAX_KEYS) {
			size_t n = strlen(key) + 1;
			k = xmalloc(sizeof(*k) + n);
			memcpy(k->key, key, n);
			k->next = once_table[b];
			once_table[b] = k;
			fresh = true;
		} else if (once_count == ONCE_MAX_KEYS) {
			log_warn("too many distinct cgroup problems; further ones are not logged");
		}
		once_count++;
	}
	pthread_mutex_unlock(&once_lock);
	return fresh;
}

bool log_once(const char *subject, const char *cause, const char *fmt, ...)
{
	char *key = xasprintf("%s\n%s", subject, cause);
	bool fresh = once_insert(key);
	free(key);
	if (!fresh)
		return false;

	struct strbuf msg = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&msg, fmt, ap);
	va_end(ap);
	log_warn("%s: %s", subject, sb_str(&msg));
	sb_free(&msg);
	return true;
}

void log_once_reset(void)
{
	pthread_mutex_lock(&once_lock);
	for (size_t b = 0; b < ONCE_BUCKETS; b++) {
		while (once_table[b]) {
			struct once_key *k = once_table[b];
			once_table[b] = k->next;
			free(k);
		}
	}
	once_count = 0;
	pthread_mutex_unlock(&once_lock);
}
