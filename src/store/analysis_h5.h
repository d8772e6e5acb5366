/* store/analysis_h5.h: the /analysis group of a result file, written by `ctrate fit`.
 *
 * Layout (docs/results-format.md): /analysis holds one subgroup per table (groups, curves,
 * d_exponents, nstar, nstar_fit, constants), each a set of equal-length 1-D column datasets,
 * and attributes metric, created, version and report (the markdown text). The file is copied,
 * the copy gets the new /analysis (replacing an older one), and the copy is renamed over the
 * original: a kill never leaves a torn file. */
#ifndef CTR_STORE_ANALYSIS_H5_H
#define CTR_STORE_ANALYSIS_H5_H

#include "core/common.h"
#include "analysis/scaling.h"

ctr_status ctr_analysis_write(const char *path, const ctr_scaling *s, const char *report,
                              ctr_error *err);

#endif
