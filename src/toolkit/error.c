/* Errors carried up with context (the libcrun model): the root cause sets
 * the message, every caller on the way up prefixes what it was doing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "tk.h"

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

int tk_fail(tk_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = vformat(fmt, ap);
	va_end(ap);
	tk_error *e = calloc(1, sizeof(*e));
	if (!e) {
		free(what);
		abort(); /* no memory to even say why */
	}
	e->errnum = errnum;
	if (errnum && what)
		e->msg = tk_strdup_printf("%s: %s", what, strerror(errnum));
	else
		e->msg = what;
	if (!e->msg)
		abort();
	if (e->msg != what)
		free(what);
	tk_error_free(err); /* keep the newest cause only */
	*err = e;
	return -1;
}

int tk_wrap(tk_error **err, const char *fmt, ...)
{
	if (!*err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = vformat(fmt, ap);
	va_end(ap);
	char *msg = ctx ? tk_strdup_printf("%s: %s", ctx, (*err)->msg) : NULL;
	free(ctx);
	if (msg) {
		free((*err)->msg);
		(*err)->msg = msg;
	}
	return -1;
}

void tk_error_free(tk_error **err)
{
	if (!*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

void tk_error_report(tk_error **err)
{
	if (*err)
		tk_log("%s", (*err)->msg);
	tk_error_free(err);
}

bool tk_log_to_syslog;

void tk_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vformat(fmt, ap);
	va_end(ap);
	/* One write, so concurrent hooks' lines do not interleave. */
	fprintf(stderr, "cviewfs-toolkit: %s\n", s ? s : fmt);
	if (tk_log_to_syslog)
		syslog(LOG_WARNING, "%s", s ? s : fmt);
	free(s);
}
