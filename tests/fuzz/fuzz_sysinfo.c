/* sysinfo(2) from a container's rendered meminfo, uptime and loadavg
 * (sysinfo_values_parse), laid out for both ABIs: the input is split into
 * the three texts at NUL bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/sysinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 3);
	memcpy(text, data, size);
	memset(text + size, 0, 3);
	/* Three NULs of padding: each text ends within it. */
	const char *meminfo = text;
	const char *uptime = meminfo + strlen(meminfo) + 1;
	const char *loadavg = uptime + strlen(uptime) + 1;
	struct sysinfo_values v;
	unsigned char buf[SYSINFO_LAYOUT_MAX];
	if (sysinfo_values_parse(meminfo, uptime, loadavg, size, &v) == 0) {
		if (sysinfo_layout(&v, false, buf) != SYSINFO_LAYOUT_MAX || sysinfo_layout(&v, true, buf) != 64)
			abort();
		uint32_t unit;
		memcpy(&unit, buf + 52, 4);
		if (!unit || (unit & (unit - 1)))
			abort(); /* a power of two */
	}
	free(text);
	return 0;
}
