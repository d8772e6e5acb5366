#include "cli/fit_report.h"

#include <math.h>
#include <string.h>

#include "store/results_h5.h"

static void interval(char *buf, size_t n, double lo, double hi) {
  if (isfinite(lo) && isfinite(hi)) snprintf(buf, n, "[%+.3f, %+.3f]", lo, hi);
  else snprintf(buf, n, "n/a");
}

static void rates(FILE *out, const ctr_scaling *s) {
  fprintf(out, "## Rate in N\n\nSlope of log W on log N (every replicate row in range), with "
               "its 95%% t-interval and a 95%% percentile bootstrap over replicates; the bound's "
               "secant over the same N range is -1 + 5 (ln ln N2 - ln ln N1) / ln(N2/N1).\n\n");
  fprintf(out, "| group | N | reps | slope | t 95%% | bootstrap 95%% | bound secant | last local "
               "| floor p | floor c | W <= sums |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  size_t skipped = 0;
  for (size_t i = 0; i < s->ngroups; i++) {
    const ctr_scaling_group *g = &s->groups[i];
    if (g->skipped) {
      skipped++;
      continue;
    }
    char t[48], b[48], fp[48] = "-", fc[48] = "-", sums[32] = "-";
    interval(t, sizeof t, g->slope.slope_lo, g->slope.slope_hi);
    interval(b, sizeof b, g->boot_lo, g->boot_hi);
    double l1 = log(g->N[0]), l2 = log(g->N[g->nN - 1]);
    double secant = -1 + 5 * (log(l2) - log(l1)) / (l2 - l1);
    if (g->floor.ok) {
      snprintf(fp, sizeof fp, "%.3f ± %.2g", g->floor.p, g->floor.p_se);
      snprintf(fc, sizeof fc, "%.4g ± %.2g", g->floor.c, g->floor.c_se);
    }
    if (g->sums_checked) snprintf(sums, sizeof sums, "%zu/%zu", g->sums_held, g->sums_checked);
    fprintf(out, "| %s | %.3g..%.3g | %zu | %+.4f | %s | %s | %+.3f | %+.3f (%+.3f) | %s | %s | %s |\n",
            g->label, g->N[0], g->N[g->nN - 1], g->replicates, g->slope.slope, t, b, secant,
            g->local[g->nN - 2], g->bound_local[g->nN - 2], fp, fc, sums);
  }
  if (skipped) {
    fprintf(out, "\nSkipped (fewer than 2 distinct N, nothing to fit):");
    for (size_t i = 0, k = 0; i < s->ngroups; i++)
      if (s->groups[i].skipped)
        fprintf(out, "%s %s", k++ ? ";" : "", s->groups[i].label);
    fputc('\n', out);
  }
}

static void dexp_row(FILE *out, const ctr_d_exponent *e) {
  char t[48];
  interval(t, sizeof t, e->fit.slope_lo, e->fit.slope_hi);
  fprintf(out, "| %s | %.3g | %zu | %+.3f | %s |\n", e->family, e->N, e->n, e->fit.slope, t);
}

/* The exponent of d at each family's middle and largest N (every N is in /analysis): with an
 * injected error the floor flattens it at large N. A family's entries are contiguous. */
static void dexp(FILE *out, const ctr_scaling *s) {
  if (!s->ndexp) return;
  fprintf(out, "\n## Exponent of d at fixed N (the bound: 5/2)\n\n| family | N | d values | "
               "exponent | 95%% |\n|---|---|---|---|---|\n");
  for (size_t first = 0, last; first < s->ndexp; first = last + 1) {
    last = first;
    while (last + 1 < s->ndexp && !strcmp(s->dexp[last + 1].family, s->dexp[first].family)) last++;
    size_t mid = first + (last - first) / 2;
    if (mid != last) dexp_row(out, &s->dexp[mid]);
    dexp_row(out, &s->dexp[last]);
  }
}

static void nstar(FILE *out, const ctr_scaling *s) {
  if (!s->nnstar) return;
  fprintf(out, "\n## N*(d, eps): W falls to 2 eps (bound: N* ~ d^(5/2) / eps)\n\n| family | d "
               "| eps | N* |\n|---|---|---|---|\n");
  for (size_t i = 0; i < s->nnstar; i++)
    fprintf(out, "| %s | %d | %.3g | %.4g |\n", s->nstar[i].family, s->nstar[i].d,
            s->nstar[i].eps, s->nstar[i].nstar);
  fprintf(out, "\nFit log N* = alpha log d + beta log(1/eps) + const (the bound: alpha = 5/2, "
               "beta = 1):\n\n| family | points | alpha | 95%% | beta | 95%% |\n|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < s->nnfit; i++) {
    const ctr_nstar_fit *f = &s->nfit[i];
    char a[48], b[48];
    interval(a, sizeof a, f->alpha_lo, f->alpha_hi);
    interval(b, sizeof b, f->beta_lo, f->beta_hi);
    if (f->ok)
      fprintf(out, "| %s | %zu | %+.3f | %s | %+.3f | %s |\n", f->family, f->n, f->alpha, a, f->beta, b);
    else
      fprintf(out, "| %s | %zu | n/a | needs >= 4 crossings over >= 2 d and >= 2 eps | | |\n",
              f->family, f->n);
  }
}

static void constants(FILE *out, const ctr_scaling *s) {
  if (!s->nconsts) return;
  fprintf(out, "\n## The bound's constant\n\nC = sup over error-free points of W N / (d^(5/2) "
               "ln^5 N); then every point (errors included) checked against W <= C d^(5/2) "
               "ln^5 N / N + eps.\n\n| family | C | points within |\n|---|---|---|\n");
  for (size_t i = 0; i < s->nconsts; i++)
    fprintf(out, "| %s | %.4g | %zu/%zu |\n", s->consts[i].family, s->consts[i].C,
            s->consts[i].held, s->consts[i].rows);
}

void ctr_fit_report(FILE *out, const char *source, const ctr_scaling *s,
                    const ctr_scaling_opts *o) {
  char now[64];
  ctr_results_now(now, sizeof now);
  fprintf(out, "# ctrate fit: %s\n\nW = %s%s; ctrate %s, %s.", source, s->metric,
          strcmp(s->metric, "auto") ? "" : " (w1_hi_normal for ct/cd, w1_hi_qN for grid, "
                                           "coupling_l1_qN for chain/distill)",
          ctr_results_version(), now);
  if (o->n_lo > 0 || o->n_hi > 0) fprintf(out, " Slopes over %g <= N <= %g.", o->n_lo, o->n_hi > 0 ? o->n_hi : INFINITY);
  fprintf(out, "\n\n");
  rates(out, s);
  dexp(out, s);
  nstar(out, s);
  constants(out, s);
}
