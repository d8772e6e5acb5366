/* cli/report.h: human-readable tables on the terminal (never files). */
#ifndef CTR_CLI_REPORT_H
#define CTR_CLI_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "core/point.h"

/* Every field of one row as "name  value  # doc". */
void ctr_report_point(FILE *out, const ctr_point *row);

/* Rate curves: rows grouped by every parameter but N, seed and replicate (fit's groups, under
 * fit's labels), each a table of the mean over replicates +- its standard error per N (columns
 * without a value hidden), then one summary line per group: the slope of the headline W on N
 * beside the bound's secant. */
void ctr_report_rates(FILE *out, const ctr_point *rows, size_t n);

/* One field's value as text (%.6g for doubles) into buf. */
void ctr_report_value(const ctr_point *row, const ctr_field *f, char *buf, size_t size, int exact);

#endif
