/* cli/mem_budget.h: `fit` and `plot` group every row of their files, so they hold the rows in
 * memory; instead of growing until the machine swaps or the OOM killer strikes, they estimate
 * that memory from the row counts (read without loading a row) and refuse with exit 2 when it
 * exceeds a limit: --max-memory SIZE, else the environment variable CTRATE_MAX_MEMORY, else
 * half of the physical memory (sysconf). `show` and `merge` stream and need no budget. */
#ifndef CTR_CLI_MEM_BUDGET_H
#define CTR_CLI_MEM_BUDGET_H

#include <stddef.h>

#include "core/common.h"
#include "core/point.h"

typedef struct {
  double limit;    /* bytes */
  char source[96]; /* where the limit comes from, for messages */
} ctr_mem_budget;

/* Memory one row costs fit and plot: the row and the analysis' per-row arrays. */
#define CTR_MEM_PER_ROW ((double)sizeof(ctr_point) + 128.0)

/* The limit from OPT (the value of --max-memory, may be NULL), else CTRATE_MAX_MEMORY, else
 * physical memory / 2. SIZE is bytes with an optional K, M, G or T (powers of 1024), between
 * 1M and 1P; anything else is CTR_EINPUT naming where it came from. */
ctr_status ctr_mem_budget_init(ctr_mem_budget *b, const char *opt, ctr_error *err);

/* The rows of FILES[0..nf), checked as ctr_results_read checks them, into one malloc'ed array
 * (*rows, caller frees; counts[i] rows of file i, in order): first every file's row count, then
 * CTR_EINPUT if the estimate exceeds the budget (naming the rows, the estimate and the limit,
 * before any row is allocated), then the rows. */
ctr_status ctr_read_rows_budgeted(const char *const *files, int nf, const ctr_mem_budget *b,
                                  ctr_point **rows, size_t *counts, size_t *n, ctr_error *err);

#endif
