/* Load averages: the kernel's fixed-point arithmetic, and which containers
 * are sampled. */
#include "tap.h"
#include "render/render.h"
#include "util/strbuf.h"
#include "view/loadavg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double as_float(unsigned long fixed)
{
	return (double)fixed / LOADAVG_FIXED_1;
}

int main(void)
{
	unsigned long avg[3] = { 0, 0, 0 };
	char buf[64];

	/* One 5 s step with one active thread: (0*1884 + 2048*164 + 2047) / 2048
	 * = 164 in fixed point (the kernel rounds up while the load rises). */
	loadavg_step(avg, 1);
	is_u64(avg[0], 164, "one step of one thread: 164/2048, as calc_load gives");
	loadavg_format(avg, buf, sizeof(buf));
	/* 5 and 15 min: (2048*34 + 2047)/2048 = 34 and (2048*11 + 2047)/2048 =
	 * 11; printing adds 10 (FIXED_1/200) before taking 2 digits. */
	is_u64(avg[1], 34, "5-min average after one step: 34/2048");
	is_u64(avg[2], 11, "15-min average after one step: 11/2048");
	is_str(buf, "0.08 0.02 0.01", "printed as the kernel prints it");

	for (int i = 1; i < 12; i++)
		loadavg_step(avg, 1);
	ok(as_float(avg[0]) > 0.62 && as_float(avg[0]) < 0.645, "one busy thread for a minute: 1-min load %.3f is 1-1/e", as_float(avg[0]));
	ok(as_float(avg[1]) > 0.17 && as_float(avg[1]) < 0.19, "... 5-min load %.3f is 1-e^-1/5", as_float(avg[1]));

	unsigned long two[3] = { 2 * LOADAVG_FIXED_1, 2 * LOADAVG_FIXED_1, 2 * LOADAVG_FIXED_1 };
	for (int i = 0; i < 12; i++)
		loadavg_step(two, 0);
	ok(as_float(two[0]) > 0.72 && as_float(two[0]) < 0.76, "load 2 going idle for a minute decays to %.3f (2/e)", as_float(two[0]));
	unsigned long steady[3] = { 0, 0, 0 };
	for (int i = 0; i < 2000; i++)
		loadavg_step(steady, 3);
	loadavg_format(steady, buf, sizeof(buf));
	is_str(buf, "3.00 3.00 3.00", "three threads for hours: 3.00 everywhere");

	unsigned long fixed[3] = { LOADAVG_FIXED_1, LOADAVG_FIXED_1 / 2, 0 };
	struct strbuf out = STRBUF_INIT;
	render_loadavg(&out, fixed, 2, 7, 42);
	is_str(sb_str(&out), "1.00 0.50 0.00 2/7 42\n", "the whole line: averages, running/total, last pid");
	sb_free(&out);

	/* The registry */
	unsigned long got[3];
	ok(loadavg_read("1:2:/a", 100, 2, got), "a container's first read makes its state");
	is_u64(got[0], 2 * LOADAVG_FIXED_1, "a new container starts at its current active count, not 0");
	ok(!loadavg_read("1:2:/a", 101, 0, got), "the second read finds it");
	loadavg_sample("1:2:/a", 0);
	loadavg_read("1:2:/a", 102, 0, got);
	ok(got[0] < 2 * LOADAVG_FIXED_1, "a sample moves the averages");
	loadavg_sample("1:2:/unknown", 5);
	is_u64(loadavg_count(), 1, "samples of unknown containers make no state");

	struct loadavg_key_list due = { 0 };
	size_t cursor = 0, seen = 0;
	while (loadavg_due_batch(110, &cursor, 8, &due))
		for (size_t i = 0; i < due.n; i++)
			seen += !strcmp(due.keys[i], "1:2:/a");
	is_u64(seen, 1, "a recently read container is due for sampling, once per round");
	cursor = seen = 0;
	while (loadavg_due_batch(102 + LOADAVG_KEEP + 1, &cursor, 8, &due))
		seen += due.n;
	is_u64(seen, 0, "a container unread for LOADAVG_KEEP seconds is not sampled");
	is_u64(loadavg_count(), 0, "... and is forgotten");

	/* Many containers, in batches: each due exactly once per round, and
	 * a batch stops at a bucket's end soon after `want` keys. */
	char key[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "1:2:/c%d", i);
		loadavg_read(key, 200, 1, got);
	}
	unsigned char *hit = calloc(3000, 1);
	size_t batches = 0, most = 0, dup = 0;
	cursor = 0;
	while (loadavg_due_batch(201, &cursor, 32, &due)) {
		batches++;
		most = due.n > most ? due.n : most;
		for (size_t i = 0; i < due.n; i++) {
			int c = atoi(due.keys[i] + 6);
			dup += hit[c]++ > 0;
		}
	}
	size_t all = 0;
	for (int i = 0; i < 3000; i++)
		all += hit[i] == 1;
	is_u64(all, 3000, "3000 containers: every one due once");
	is_u64(dup, 0, "... and none twice");
	ok(batches >= 3000 / 40 && most < 48, "... in batches of about 32 (%zu batches, largest %zu)",
	   batches, most);
	free(hit);
	loadavg_key_list_free(&due);
	loadavg_forget_all();
	return tap_done();
}
