/* cli/report.h: human-readable tables on the terminal (never files). */
#ifndef CTR_CLI_REPORT_H
#define CTR_CLI_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "core/point.h"

/* Every field of one row as "name  value  # doc". */
void ctr_report_point(FILE *out, const ctr_point *row);

/* Rate curves: rows grouped by (target, engine, error, eps, d), each group as a table of
 * W versus N with the fitted log-log slopes of W2 and of the W1 upper bound (input N(0, I))
 * and their 95% confidence intervals, beside the bound's local slope. */
void ctr_report_rates(FILE *out, const ctr_point *rows, size_t n);

/* One field's value as text (%.6g for doubles) into buf. */
void ctr_report_value(const ctr_point *row, const ctr_field *f, char *buf, size_t size, int exact);

#endif
