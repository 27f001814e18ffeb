/* The growable buffer every file is rendered into, and its printf-free
 * number and padding writers, checked against printf itself. */
#include "tap.h"

#include "util/strbuf.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static void test_put_u64(void)
{
	const unsigned long long values[] = { 0, 7, 10, 99, 12345678, 123456789, ULLONG_MAX };
	const unsigned widths[] = { 0, 1, 8, 25 };
	unsigned wrong = 0, checked = 0;

	for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			struct strbuf sb = STRBUF_INIT;
			char want[64];
			sb_puts(&sb, "x");
			sb_put_u64(&sb, values[v], widths[w]);
			snprintf(want, sizeof(want), "x%*llu", (int)widths[w], values[v]);
			if (strcmp(sb_str(&sb), want) || sb.len != strlen(want)) {
				printf("# got '%s', want '%s'\n", sb_str(&sb), want);
				wrong++;
			}
			checked++;
			sb_free(&sb);
		}
	}
	ok(wrong == 0, "sb_put_u64 writes what %%*llu writes (%u cases)", checked);
}

static void test_put_left(void)
{
	const char *texts[] = { "", "MemTotal:", "Inactive(anon):", "HugePages_Surp:", "DirectMap1G_long_key:" };
	unsigned wrong = 0;

	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		for (unsigned width = 0; width <= 20; width += 4) {
			struct strbuf sb = STRBUF_INIT;
			char want[64];
			size_t n = strlen(texts[t]);
			sb_put_left(&sb, texts[t], n, width);
			sb_putc(&sb, '|');
			snprintf(want, sizeof(want), "%-*.*s|", (int)width, (int)n, texts[t]);
			if (strcmp(sb_str(&sb), want) || sb.len != strlen(want)) {
				printf("# got '%s', want '%s'\n", sb_str(&sb), want);
				wrong++;
			}
			sb_free(&sb);
		}
	}
	ok(wrong == 0, "sb_put_left writes what %%-*.*s writes");

	/* Growing from empty, across the first allocation's size. */
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 100; i++)
		sb_put_u64(&sb, 1234567890ULL, 10);
	ok(sb.len == 1000 && !strncmp(sb_str(&sb) + 990, "1234567890", 10) && sb_str(&sb)[1000] == '\0',
	   "sb_put_u64 grows the buffer and keeps it NUL-terminated");
	sb_free(&sb);
}

int main(void)
{
	test_put_u64();
	test_put_left();
	return tap_done();
}
