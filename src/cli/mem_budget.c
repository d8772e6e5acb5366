/* cli/mem_budget.c: the memory limit of fit and plot (see cli/mem_budget.h). */
#include "cli/mem_budget.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/results_h5.h"

static ctr_status parse_size(const char *text, const char *where, double *out, ctr_error *err) {
  char *end = NULL;
  double v = text && *text ? strtod(text, &end) : NAN;
  double scale = 1;
  if (end && *end && !end[1]) {
    const char *units = "KMGT", *u = strchr(units, end[0] & ~0x20);
    if (u && end[0]) scale = pow(1024, (double)(u - units + 1)), end++;
  }
  v *= scale;
  if (!end || *end || !(v >= 1048576.0 && v <= 1125899906842624.0))
    return ctr_fail(err, CTR_EINPUT, "%s '%s' is not a memory size (bytes, or a number with K, M, "
                    "G or T; accepted: 1M to 1024T)", where, text ? text : "");
  *out = v;
  return CTR_OK;
}

ctr_status ctr_mem_budget_init(ctr_mem_budget *b, const char *opt, ctr_error *err) {
  const char *env = getenv("CTRATE_MAX_MEMORY");
  if (opt) return snprintf(b->source, sizeof b->source, "--max-memory"),
               parse_size(opt, "--max-memory", &b->limit, err);
  if (env && *env) return snprintf(b->source, sizeof b->source, "CTRATE_MAX_MEMORY"),
                          parse_size(env, "CTRATE_MAX_MEMORY", &b->limit, err);
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  /* half: the rest is for the system, the analysis' own arrays and whatever else runs */
  b->limit = pages > 0 && size > 0 ? 0.5 * (double)pages * (double)size : 4294967296.0;
  snprintf(b->source, sizeof b->source, "%s", pages > 0 && size > 0
                                                  ? "half of the physical memory"
                                                  : "4 GiB: the physical memory is unknown");
  return CTR_OK;
}

ctr_status ctr_read_rows_budgeted(const char *const *files, int nf, const ctr_mem_budget *b,
                                  ctr_point **rows, size_t *counts, size_t *n, ctr_error *err) {
  *rows = NULL, *n = 0;
  size_t total = 0;
  ctr_status s = CTR_OK;
  for (int i = 0; !s && i < nf; i++) { /* counts only: opening checks a file, reads no row */
    ctr_results_reader *r = NULL;
    s = ctr_results_reader_open(files[i], &r, &counts[i], NULL, err);
    ctr_results_reader_close(r);
    total += s ? 0 : counts[i];
  }
  if (s) return s;
  double need = (double)total * CTR_MEM_PER_ROW;
  if (need > b->limit)
    return ctr_fail(err, CTR_EINPUT, "%s%s: %zu rows need about %.0f MiB in memory (%.0f bytes a "
                    "row), over the limit of %.0f MiB (%s); raise it with --max-memory SIZE or "
                    "CTRATE_MAX_MEMORY=SIZE", files[0], nf > 1 ? " etc." : "", total,
                    need / 1048576, CTR_MEM_PER_ROW, b->limit / 1048576, b->source);
  ctr_point *all = malloc(sizeof *all * (total ? total : 1));
  if (!all) return ctr_fail(err, CTR_ENOMEM, "out of memory for %zu rows", total);
  size_t at = 0;
  for (int i = 0; !s && i < nf; i++) {
    ctr_results_reader *r = NULL;
    size_t m = 0;
    s = ctr_results_reader_open(files[i], &r, &m, NULL, err);
    if (!s && m != counts[i]) /* replaced since it was counted */
      s = ctr_fail(err, CTR_EINPUT, "%s changed while it was read (%zu rows, then %zu)", files[i],
                   counts[i], m);
    if (!s) s = ctr_results_reader_get(r, 0, m, all + at, err);
    ctr_results_reader_close(r);
    at += m;
  }
  if (s) return free(all), s;
  *rows = all, *n = total;
  return CTR_OK;
}
