/* A growable byte buffer: every piece of rendered file content lives in one,
 * so no file has a size limit. Allocation failure aborts (see xalloc). */
#ifndef CVIEWFS_STRBUF_H
#define CVIEWFS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf; /* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_reserve(struct strbuf *sb, size_t extra);
void sb_append(struct strbuf *sb, const char *data, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* What printf's "%*llu" and "%-*.*s" write, without printf's cost on the
 * paths that render many such fields: v in decimal right-aligned in width
 * columns; s (n bytes) then spaces up to width columns. */
void sb_put_u64(struct strbuf *sb, unsigned long long v, unsigned width);
void sb_put_left(struct strbuf *sb, const char *s, size_t n, unsigned width);
/* Empties the buffer but keeps its memory for reuse. */
void sb_reset(struct strbuf *sb);
void sb_free(struct strbuf *sb);
/* The content as a C string ("" for an empty buffer). */
const char *sb_str(const struct strbuf *sb);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
