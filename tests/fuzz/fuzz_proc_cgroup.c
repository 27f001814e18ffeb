/* /proc/PID/cgroup: cg_paths_parse, the init.scope strip, and locating each
 * controller in every cgroup layout (which refuses paths that leave the
 * hierarchy). No file is opened: the hierarchy fds are never used here. */
#include "fuzz.h"
#include "cgroup/cgroup.h"

/* A host of each layout; fds are placeholders that locate never opens. */
static void layouts(struct cgroups cg[3])
{
	for (int l = 0; l < 3; l++) {
		cg[l].layout = l == 0 ? CG_LAYOUT_V1 : l == 1 ? CG_LAYOUT_HYBRID : CG_LAYOUT_V2;
		cg[l].v2_fd = l ? 100 : -1;
		for (int c = 0; c < CG_NR_CONTROLLERS; c++) {
			cg[l].on_v2[c] = l == 2;
			cg[l].v1_fd[c] = l == 2 || c == CG_PIDS ? -1 : 10 + c;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	struct cg_paths p, copy;
	struct cgroups cg[3];

	fuzz_split(data, size, &in);
	layouts(cg);
	if (cg_paths_parse(in.part[0], &p)) {
		cg_paths_strip_init_scope(&p);
		cg_paths_copy(&copy, &p);
		for (int l = 0; l < 3; l++) {
			for (int c = 0; c < CG_NR_CONTROLLERS; c++) {
				struct cg_loc loc;
				if (cg_locate(&cg[l], &copy, c, &loc))
					cg_depth(&loc);
				cg_is_root(&cg[l], &copy, c);
			}
			free(cg_tasks_key(&cg[l], &copy));
		}
		cg_paths_free(&copy);
		cg_paths_free(&p);
	}
	fuzz_free(&in);
	return 0;
}
