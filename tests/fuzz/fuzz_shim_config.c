/* cviewfs-runtime's edit of a config.json (shim_edit_config): any JSON in,
 * and an edited document that a second edit leaves alone. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "shim/edit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t e;
	json_t *cfg = json_loadb((const char *)data, size, 0, &e);
	if (!cfg)
		return 0;
	if (json_is_object(cfg)) {
		const struct shim_edit ed = { .toolkit = "/usr/bin/cviewfs-toolkit", .listener = "/run/cviewfs.seccomp.sock" };
		shim_edit_config(cfg, &ed);
		if (shim_edit_config(cfg, &ed))
			abort(); /* idempotent */
	}
	json_decref(cfg);
	return 0;
}
