/* Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c).
 *
 * An input is one or more texts separated by NUL bytes: the file under test
 * first, then the other texts its parser or renderer is fed with (a host
 * file, a CPU list, a limit file). A missing part is NULL and the target
 * uses a realistic default, so a seed can be just the captured file. The
 * parsers read C strings; a NUL never appears in what the kernel writes. */
#ifndef CVIEWFS_FUZZ_H
#define CVIEWFS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

#define FUZZ_MAX_PARTS 8

struct fuzz_input {
	char *buf; /* the input, NUL-terminated: parts point into it */
	const char *part[FUZZ_MAX_PARTS];
	size_t n;  /* parts present */
	size_t len; /* of the whole input */
};

/* Splits data into parts; the last part may hold further NULs (ignored). */
static inline void fuzz_split(const uint8_t *data, size_t size, struct fuzz_input *in)
{
	in->buf = xmalloc(size + 1);
	memcpy(in->buf, data, size);
	in->buf[size] = '\0';
	in->n = 0;
	in->len = size;
	memset(in->part, 0, sizeof(in->part));
	for (size_t at = 0; in->n < FUZZ_MAX_PARTS;) {
		in->part[in->n++] = in->buf + at;
		at += strlen(in->buf + at) + 1;
		if (at > size)
			break;
	}
}

/* Part i, or dflt when the input has fewer parts. */
static inline const char *fuzz_part(const struct fuzz_input *in, size_t i, const char *dflt)
{
	return i < in->n ? in->part[i] : dflt;
}

static inline void fuzz_free(struct fuzz_input *in)
{
	free(in->buf);
	in->buf = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
