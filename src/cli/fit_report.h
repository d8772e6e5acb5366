/* fit_report.h: the markdown report of `ctrate fit` (readable on a terminal as it is). */
#ifndef CTR_FIT_REPORT_H
#define CTR_FIT_REPORT_H

#include <stdio.h>

#include "scaling.h"

/* source: the file name for the title; range: "" or the N range of the slopes. */
void ctr_fit_report(FILE *out, const char *source, const ctr_scaling *s,
                    const ctr_scaling_opts *o);

#endif
