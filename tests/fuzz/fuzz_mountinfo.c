/* /proc/PID/mountinfo as the toolkit reads it (tk_mounts_parse): the
 * octal escapes in paths, optional fields up to "-", and the lookups done
 * on the result (the topmost mount at a path, cviewfs binds). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	tk_mounts m;
	tk_error *err = NULL;
	tk_devset ours = {0};

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (tk_mounts_parse(text, &m, &err) == 0) {
		for (size_t i = 0; i < m.n && i < 4; i++)
			tk_devset_add(&ours, m.v[i].major, m.v[i].minor, &err);
		tk_mounts_top(&m, "/");
		tk_mounts_top(&m, "/proc/meminfo");
		for (size_t i = 0; i < m.n; i++)
			tk_mount_is_container_bind(&m.v[i], &ours);
		tk_mounts_free(&m);
	}
	tk_devset_free(&ours);
	tk_error_free(&err);
	free(text);
	return 0;
}
