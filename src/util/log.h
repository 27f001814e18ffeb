/* Logging: stderr in the foreground, syslog once daemonized. log_once()
 * reports a given (subject, cause) pair a single time, so a broken cgroup read
 * thousands of times a second yields one line, not a flood. */
#ifndef CVIEWFS_LOG_H
#define CVIEWFS_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_setup(bool use_syslog, bool debug);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Logs "subject: message" at warning level the first time this exact
 * subject+cause pair is seen; returns true if it logged. */
bool log_once(const char *subject, const char *cause, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Forget every log_once key (tests). */
void log_once_reset(void);

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
