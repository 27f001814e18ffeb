/* The OCI state a runtime hands a hook on stdin (tk_oci_state_parse: id,
 * status, pid, bundle), parsed with jansson. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "tk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tk_oci_state st;
	tk_error *err = NULL;
	char *bundle;

	if (tk_oci_state_parse((const char *)data, size, &st, &bundle, &err) == 0) {
		/* A pid is the state's own number or none: never a truncation
		 * of a bigger one that names another process. */
		json_t *doc = json_loadb((const char *)data, size, 0, NULL);
		json_t *pid = json_object_get(doc, "pid");
		if (st.pid != 0 && (!json_is_integer(pid) || json_integer_value(pid) != st.pid))
			abort();
		if (!st.id || !st.status || !bundle)
			abort();
		json_decref(doc);
		free(bundle);
		tk_oci_state_free(&st);
	}
	tk_error_free(&err);
	return 0;
}
