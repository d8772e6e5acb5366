/* cli/fit_report.h: the markdown report of `ctrate fit` (readable on a terminal as it is). */
#ifndef CTR_CLI_FIT_REPORT_H
#define CTR_CLI_FIT_REPORT_H

#include <stdio.h>

#include "analysis/scaling.h"

/* source: the file name for the title; range: "" or the N range of the slopes. */
void ctr_fit_report(FILE *out, const char *source, const ctr_scaling *s,
                    const ctr_scaling_opts *o);

#endif
