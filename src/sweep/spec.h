/* sweep/spec.h: experiment spec files (libconfig syntax) read into a sweep grid.
 *
 * A spec's keys are the long names of the sweep flags (`d = [1, 2, 4];`, `N = "10:1e6:11";`,
 * `engine = ["ct", "cd"];`, `rotate = true;`), plus `output = "results/x.h5";`. Lists are
 * libconfig arrays or lists, or the flag's own text (a comma list or a log range lo:hi:count).
 * Every value goes through the same parser as its flag, so a spec accepts exactly what the
 * command line accepts. Errors name the file, the line and the key; an unknown key comes with
 * the nearest valid one. The resolved form of a grid (ctr_grid_describe) is itself a spec, so
 * a result file's `spec` attribute re-runs the experiment. */
#ifndef CTR_SWEEP_SPEC_H
#define CTR_SWEEP_SPEC_H

#include "core/common.h"
#include "sweep/param_grid.h"

/* Apply the spec in file PATH to g; *output (may be NULL) receives a malloc'ed copy of the
 * `output` key if present. CTR_EINPUT with "PATH:LINE: key: ..." on any mistake. */
ctr_status ctr_spec_load_file(const char *path, ctr_grid *g, char **output, ctr_error *err);

/* The same for spec text held in memory; NAME labels messages (e.g. "FILE.h5:spec"). */
ctr_status ctr_spec_load_text(const char *name, const char *text, ctr_grid *g, char **output,
                              ctr_error *err);

#endif
