/* A bundle's config.json as the OCI hook reads it (tk_oci_config_parse:
 * root.path, the io.cviewfs.disable annotation), parsed with jansson. */
#include <stdint.h>
#include <stdlib.h>

#include "tk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tk_oci_state st = {0};
	tk_error *err = NULL;

	if (tk_oci_config_parse((const char *)data, size, "/run/bundle", &st, &err) == 0 &&
	    (!st.rootfs || st.rootfs[0] != '/'))
		abort(); /* the rootfs is absolute */
	tk_oci_state_free(&st);
	tk_error_free(&err);
	return 0;
}
