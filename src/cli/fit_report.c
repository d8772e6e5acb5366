#include "cli/fit_report.h"

#include <math.h>
#include <string.h>

#include "core/escape.h"
#include "store/results_h5.h"

/* Labels and the source path come from a result file or the command line: any bytes. As
 * markdown they are escaped ('|' would split a table cell, a newline end the table). A ring of
 * buffers: up to four in one fprintf. */
static const char *md(const char *s) {
  static char ring[4][2048];
  static int next;
  char *b = ring[next++ & 3];
  ctr_escape_md(s, b, sizeof ring[0]);
  return b;
}

static void interval(char *buf, size_t n, double lo, double hi) {
  if (isfinite(lo) && isfinite(hi)) snprintf(buf, n, "[%+.3f, %+.3f]", lo, hi);
  else snprintf(buf, n, "n/a");
}

static const char *kind(const char *interval) {
  return !strcmp(interval, "ci95") ? "CI 95%" : "curvature band";
}

static void rates(FILE *out, const ctr_scaling *s) {
  fprintf(out, "## Rate in N\n\nSlope of log W on log N (every replicate row in range; weighted by "
               "the rows' standard errors where the metric has them), with its interval (kind in "
               "the column: a CI 95%% where there is sampling error, a curvature band for "
               "deterministic values) and a 95%% percentile bootstrap over replicates; the "
               "bound's secant over the same N range is -1 + 5 (ln ln N2 - ln ln N1) / ln(N2/N1). "
               "'bound < scale from N' is the smallest N from which C shape (C: the family's "
               "fitted constant below) stays under the data scale.\n\n");
  fprintf(out, "| group | N | reps | slope | interval | bootstrap 95%% | bound secant | last local "
               "| floor p | floor c | W <= sums | bound < scale from N |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  size_t skipped = 0;
  for (size_t i = 0; i < s->ngroups; i++) {
    const ctr_scaling_group *g = &s->groups[i];
    if (g->skipped) {
      skipped++;
      continue;
    }
    char t[48], b[48], fp[48] = "-", fc[48] = "-", sums[32] = "-", uf[32] = "never";
    interval(t, sizeof t, g->slope.slope_lo, g->slope.slope_hi);
    interval(b, sizeof b, g->boot_lo, g->boot_hi);
    double l1 = log(g->N[0]), l2 = log(g->N[g->nN - 1]);
    double secant = -1 + 5 * (log(l2) - log(l1)) / (l2 - l1);
    if (g->floor.ok) {
      snprintf(fp, sizeof fp, "%.3f ± %.2g", g->floor.p, g->floor.p_se);
      snprintf(fc, sizeof fc, "%.4g ± %.2g", g->floor.c, g->floor.c_se);
    }
    if (g->sums_checked) snprintf(sums, sizeof sums, "%zu/%zu", g->sums_held, g->sums_checked);
    if (isfinite(g->useful_from)) snprintf(uf, sizeof uf, "%.3g", g->useful_from);
    else if (g->vacuous[0] < 0) snprintf(uf, sizeof uf, "n/a (no data scale)");
    fprintf(out, "| %s | %.3g..%.3g | %zu | %+.4f | %s %s%s | %s | %+.3f | %+.3f (%+.3f) | %s | %s | %s | %s |\n",
            md(g->label), g->N[0], g->N[g->nN - 1], g->replicates, g->slope.slope, t,
            kind(g->interval), g->slope.weighted ? ", weighted" : "", b, secant,
            g->local[g->nN - 2], g->bound_local[g->nN - 2], fp, fc, sums, uf);
  }
  if (skipped) {
    fprintf(out, "\nSkipped (fewer than 2 distinct N, nothing to fit):");
    for (size_t i = 0, k = 0; i < s->ngroups; i++)
      if (s->groups[i].skipped)
        fprintf(out, "%s %s", k++ ? ";" : "", md(s->groups[i].label));
    fputc('\n', out);
  }
}

static void dexp_row(FILE *out, const ctr_d_exponent *e) {
  char t[48], r[48], sc[32] = "n/a", rel[32] = "n/a", vac[32] = "n/a (no data scale)";
  interval(t, sizeof t, e->fit.slope_lo, e->fit.slope_hi);
  interval(r, sizeof r, e->rel_fit.slope_lo, e->rel_fit.slope_hi);
  if (isfinite(e->scale_fit.slope)) snprintf(sc, sizeof sc, "%+.3f", e->scale_fit.slope);
  if (isfinite(e->rel_fit.slope)) snprintf(rel, sizeof rel, "%+.3f", e->rel_fit.slope);
  if (isfinite(e->scale_fit.slope)) snprintf(vac, sizeof vac, "%zu/%zu", e->vacuous, e->n);
  fprintf(out, "| %s | %.3g | %zu | %+.3f | %s %s%s | %s | %s | %s | %s |\n", md(e->family), e->N,
          e->n, e->fit.slope, t, kind(e->interval), e->fit.weighted ? ", weighted" : "", sc, rel, r,
          vac);
}

/* The exponent of d at each family's middle and largest N (every N is in /analysis): with an
 * injected error the floor flattens it at large N. A family's entries are contiguous. */
static void dexp(FILE *out, const ctr_scaling *s) {
  if (!s->ndexp) return;
  fprintf(out, "\n## Exponent of d at fixed N (the bound: 5/2)\n\nBeside the exponent of W, "
               "the data scale's own exponent (log data_scale on log d over the same points) "
               "and the exponent of W / data_scale: growth in d beyond the data's own size. "
               "'vacuous' counts the points where C shape exceeds the data scale: there the "
               "bound says nothing a trivial bound does not.\n\n| family | N | d values | "
               "exponent of W | interval | data scale | exponent of W/scale | interval | vacuous |\n"
               "|---|---|---|---|---|---|---|---|---|\n");
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
  fprintf(out, "\n## N*(d, eps): W falls to 2 eps\n\n'asymptotic': N* is in the schedule's "
               "asymptotic regime (see the constant below); the fits use every finite N*, so "
               "read them with the pre-asymptotic ones in mind.\n\n| family | d | eps | N* | "
               "asymptotic | bound's local beta 1/(1 - 5/ln N*) |\n|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < s->nnstar; i++)
    fprintf(out, "| %s | %d | %.3g | %.4g | %s | %.3f |\n", md(s->nstar[i].family), s->nstar[i].d,
            s->nstar[i].eps, s->nstar[i].nstar, s->nstar[i].asymptotic ? "yes" : "no",
            s->nstar[i].bound_beta);
  fprintf(out, "\nTwo conventions, least squares: log N* = alpha log d + beta log(1/eps) + c, "
               "and log(N*/ln N*) = alpha_ln log d + beta_ln log(1/eps) + c. A rate A ln N / N "
               "gives beta_ln = 1 (and beta ~ 1.2). The bound's own values at the same N*, "
               "computed the same way (its shape ~ d^(5/2) ln^5 N / N differentiated at the "
               "geometric mean of the family's N*; in brackets the range of the local beta over "
               "its N* above e^5): beta = 1/(1 - 5/ln N*), beta_ln = (1 - 1/ln N*)/(1 - 5/ln N*), "
               "alpha = 5/2 beta; only in the convention log(N*/ln^5 N*) are they 5/2 and 1. "
               "Intervals: t 95%% of the regression, of the kind in the last column.\n\n| family | points | N* range | beta | "
               "beta_ln | bound beta, beta_ln | alpha | alpha_ln | bound alpha, alpha_ln | intervals |\n"
               "|---|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < s->nnfit; i++) {
    const ctr_nstar_fit *f = &s->nfit[i];
    char a[48], b[48], al[48], bl[48];
    interval(a, sizeof a, f->alpha_lo, f->alpha_hi);
    interval(b, sizeof b, f->beta_lo, f->beta_hi);
    interval(al, sizeof al, f->alpha_ln_lo, f->alpha_ln_hi);
    interval(bl, sizeof bl, f->beta_ln_lo, f->beta_ln_hi);
    if (f->ok)
      fprintf(out, "| %s | %zu | %.3g..%.3g | %+.3f %s | %+.3f %s | %.3f, %.3f [%.2f..%.2f] | %+.3f %s | %+.3f %s "
                   "| %.3f, %.3f | %s |\n", md(f->family), f->n, f->nstar_min, f->nstar_max, f->beta, b,
              f->beta_ln, bl, f->bound_beta, f->bound_beta_ln, f->bound_beta_lo, f->bound_beta_hi, f->alpha, a, f->alpha_ln, al,
              f->bound_alpha, f->bound_alpha_ln, kind(f->interval));
    else
      fprintf(out, "| %s | %zu | needs >= 4 crossings over >= 2 d and >= 2 eps | | | | | | | |\n",
              md(f->family), f->n);
  }
}

/* The exponent of L (analysis/scaling_lip.c): W on L at each L-family's middle and largest N,
 * then N*(L, eps). A family's entries are contiguous. */
static void lrow(FILE *out, const ctr_l_exponent *e) {
  char t[48];
  interval(t, sizeof t, e->fit.slope_lo, e->fit.slope_hi);
  fprintf(out, "| %s | %.3g | %zu | %.3g..%.3g | %s | %+.3f | %s %s%s | 3 |\n", md(e->family), e->N,
          e->n, e->log10_L_min, e->log10_L_max, e->lipschitz_kind, e->fit.slope, t, kind(e->interval),
          e->fit.weighted ? ", weighted" : "");
}

static void lexp(FILE *out, const ctr_scaling *s) {
  if (!s->nlexp && !s->nlnstar) return;
  fprintf(out, "\n## Exponent of L (the bound: 3)\n\nWithin an L-family (groups equal in every "
               "parameter but sigma, the width that drives L, at one d), the slope of log W on "
               "log L across the widths at fixed N, L the rows' `lipschitz` (from "
               "`log10_lipschitz`, finite beyond the double range) at that N. L kind: exact, or "
               "lower (a certified lower bound: the slope is then one on a lower bound of L, "
               "not of L) or mixed. The bound's shape is L^3 at fixed N and d, so its exponent is "
               "3; a smaller one means W grows more slowly in L than the bound allows.\n\n| "
               "L-family | N | widths | log10 L | L kind | exponent of L | interval | bound |\n"
               "|---|---|---|---|---|---|---|---|\n");
  for (size_t first = 0, last; first < s->nlexp; first = last + 1) {
    last = first;
    while (last + 1 < s->nlexp && !strcmp(s->lexp[last + 1].family, s->lexp[first].family)) last++;
    size_t mid = first + (last - first) / 2;
    if (mid != last) lrow(out, &s->lexp[mid]);
    lrow(out, &s->lexp[last]);
  }
  if (!s->nlnstar) return;
  fprintf(out, "\nN*(L, eps), least squares log N* = a log L + b log(1/eps) + c over the crossings: "
               "'injected', N* where W falls to 2 eps in the groups with an injected error; "
               "'levels' (no such groups), N* where the error-free W falls to eps, for %d levels "
               "inside the range every width's curve spans (with an injected error eps, W ~ "
               "W_ideal + eps: the same crossing). L is taken at N* (log-log interpolation). The "
               "bound's own values at the geometric mean of the N*: a = 3 / (1 - 5 / ln N*), b = "
               "1 / (1 - 5 / ln N*) (3 and 1 up to its logs).\n\n| L-family | source | crossings "
               "(widths) | N* range | a | bound a | b | bound b | intervals | L kind |\n"
               "|---|---|---|---|---|---|---|---|---|---|\n", 6);
  for (size_t i = 0; i < s->nlnstar; i++) {
    const ctr_l_nstar *f = &s->lnstar[i];
    char a[48], b[64] = "n/a (one eps)";
    interval(a, sizeof a, f->a_lo, f->a_hi);
    if (f->has_b) {
      char bi[48];
      interval(bi, sizeof bi, f->b_lo, f->b_hi);
      snprintf(b, sizeof b, "%+.3f %s", f->b, bi);
    }
    char ba[40] = "n/a (N* <= e^5)", bb[40] = "n/a";
    if (isfinite(f->bound_a)) snprintf(ba, sizeof ba, "%.3f", f->bound_a), snprintf(bb, sizeof bb, "%.3f", f->bound_b);
    if (f->ok)
      fprintf(out, "| %s | %s | %zu (%zu) | %.3g..%.3g | %+.3f %s | %s | %s | %s | %s | %s |\n",
              md(f->family), f->source, f->n, f->widths, f->nstar_min, f->nstar_max, f->a, a,
              ba, b, bb, kind(f->interval), f->lipschitz_kind);
    else
      fprintf(out, "| %s | %s | %zu (%zu) | not identified (needs crossings at >= 2 L) | | | | | | %s |\n",
              md(f->family), f->source, f->n, f->widths, f->lipschitz_kind);
  }
}

static void c_table(FILE *out, const ctr_scaling *s, const char *family) {
  fprintf(out, "\nC(N) = sup over d of W / shape, %s:\n\n| N | C(N) | at d | asymptotic |\n"
               "|---|---|---|---|\n", md(family));
  for (size_t e = 0; e < s->ncN; e++)
    if (!strcmp(s->cN[e].family, family))
      fprintf(out, "| %.3g | %.4g | %d | %s |\n", s->cN[e].N, s->cN[e].C, s->cN[e].d_at,
              s->cN[e].asymptotic ? "yes" : "no");
}

/* "every d: N >= 1e4" or per d ("d=1: 10; d=256: never") over the error-free groups. */
static void useful_by_d(const ctr_scaling *s, const char *family, char *buf, size_t n) {
  size_t k = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < s->ngroups && k < n; i++) {
    const ctr_scaling_group *g = &s->groups[i];
    if (strcmp(g->family, family) || g->eps != 0) continue;
    char v[24] = "never";
    if (isfinite(g->useful_from)) snprintf(v, sizeof v, "%.3g", g->useful_from);
    k += (size_t)snprintf(buf + k, n - k, "%sd=%d: %s", k ? "; " : "", g->d, v);
  }
}

static void constants(FILE *out, const ctr_scaling *s) {
  if (!s->nconsts) return;
  fprintf(out, "\n## The bound's constant\n\nshape = L^3 d^(5/2) ln^5 N / N with L the `lipschitz` "
               "column (its kind: exact, or a certified lower bound, which makes C an upper "
               "estimate). C(N) = sup over the error-free points at N (every d and other "
               "parameter) of W / shape; points whose shape is infinite (L^3 beyond the double "
               "range, see `log10_lipschitz`) are left out of C (W / inf = 0 says nothing) and "
               "count as vacuous. The fitted C is the sup over the asymptotic N only: "
               "those where the largest step beta is at most 0.05 (paper schedule: c1 ln N / N "
               "<= 0.05, e.g. N >= 500 for c1 = 4 -- its beta saturates at that level after "
               "about c0 N / c1 steps whenever c1 > c0, which the schedule requires, so the "
               "step size is the binding condition; linear: beta_max 1000/N <= 0.05; cosine: "
               "none); when no N qualifies, every N (marked). Which N qualify: the C(N) tables. The trend is the slope of log C(N) "
               "on log N over those N: 0 if W decays like the bound's shape; W ~ ln N / N gives about "
               "-4 / ln N (-0.4 at N = 2e4); curvature band. Held-out check: the (asymptotic) "
               "points are split at random (fixed seed), C is taken from one half's error-free "
               "points and the other half (errors included) is checked against W <= C shape + "
               "eps; when C(N) falls with N the sup sits at the smallest asymptotic N and the "
               "check only fails if that point is held out, so read it beside the trend. "
               "'pre-asymptotic' counts the points before the asymptotic N where the fitted C "
               "does not hold.\n\n| family | L | C | from N | C(N) trend | held-out: above C "
               "shape + eps | pre-asymptotic: above C shape + eps | vacuous points | bound < data "
               "scale for N >= (per d) |\n|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < s->nconsts; i++) {
    const ctr_bound_constant *c = &s->consts[i];
    char tr[64] = "n/a", from[48], uf[512] = "never (some d)";
    if (isfinite(c->trend)) snprintf(tr, sizeof tr, "%+.3f [%+.3f, %+.3f]", c->trend, c->trend_lo, c->trend_hi);
    if (c->asymptotic) snprintf(from, sizeof from, "%.3g (asymptotic)", c->n_asym);
    else snprintf(from, sizeof from, "every N (none asymptotic)");
    if (isfinite(c->useful_from)) snprintf(uf, sizeof uf, "%.3g", c->useful_from);
    if (!c->points) snprintf(uf, sizeof uf, "n/a (no data scale)");
    else useful_by_d(s, c->family, uf, sizeof uf);
    fprintf(out, "| %s | %s | %.4g | %s | %s | %zu of %zu (C half = %.4g) | %zu of %zu | %zu/%zu | %s |\n",
            md(c->family), c->lipschitz_kind, c->C, from, tr, c->test_exceed, c->test_n, c->C_train,
            c->pre_exceed, c->pre_n, c->vacuous, c->points, uf);
  }
  for (size_t i = 0; i < s->nconsts; i++) c_table(out, s, s->consts[i].family);
}

/* engine learned: the theorem with the measured eps and eps_F (analysis/scaling_learned.c) */
static void learned(FILE *out, const ctr_scaling *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->ngroups; i++) n += s->groups[i].eps_meas != NULL;
  if (!n) return;
  fprintf(out, "\n## Learned rows: W <= C shape + eps + eps_F with the measured terms\n\neps is "
               "the measured sum_t ||f_t - f*_t||_{L2(q_t)} (`eps_learned`), eps_F the measured "
               "class error (`eps_F`), both replicate means like W. C is --C when given, else the "
               "fitted constant of the file's ideal rows of the same target and schedule (the "
               "largest over their families; never the learned rows' own, which would hold by "
               "construction). 'C needed' is the smallest C for which the check holds at every N "
               "of the group: max over N of (W - eps - eps_F)+ / shape, at the N given; 0 means "
               "eps + eps_F alone bound W.\n\n| group | N | C (from) | holds at N | verdict | "
               "C needed (at N) | W | eps | eps_F | C shape |\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < s->ngroups; i++) {
    const ctr_scaling_group *g = &s->groups[i];
    if (!g->eps_meas) continue;
    size_t k = 0;
    while (k + 1 < g->nN && g->N[k] != g->worst_N) k++;
    char c[260] = "n/a (no ideal rows of this target; give --C)", v[24] = "n/a", cs[24] = "n/a";
    if (isfinite(g->learned_C)) {
      snprintf(c, sizeof c, "%.4g (%s)", g->learned_C, g->learned_C_from);
      snprintf(v, sizeof v, "%s", g->learned_held == g->learned_n ? "holds" : "fails");
      snprintf(cs, sizeof cs, "%.4g", g->learned_C * g->shape[k]);
    }
    fprintf(out, "| %s | %.3g..%.3g | %s | %zu/%zu | %s | %.4g (%.3g) | %.4g | %.4g | %.4g | %s |\n",
            g->label, g->N[0], g->N[g->nN - 1], c, g->learned_held, g->learned_n, v,
            g->learned_C_need, g->worst_N, g->mean[k], g->eps_meas[k], g->epsF_meas[k], cs);
  }
}

void ctr_fit_report(FILE *out, const char *source, const ctr_scaling *s,
                    const ctr_scaling_opts *o) {
  char now[64], what[96], input[32];
  ctr_results_now(now, sizeof now);
  ctr_scaling_metric_label(s->metric, what, sizeof what, input, sizeof input);
  fprintf(out, "# ctrate fit: %s\n\nW = %s: %s, input %s%s; ctrate %s, %s.", md(source), md(s->metric),
          what, input[0] ? input : "(not in the name)",
          strcmp(o->metric ? o->metric : "auto", "auto") ? "" : " (the default for every engine)",
          ctr_results_version(), now);
  if (s->se_metric[0])
    fprintf(out, " Standard errors from %s: %zu of %zu rows have a positive one (Monte Carlo, "
                 "weighted); the others are exact or carry none (deterministic).", s->se_metric,
            s->rows_se, s->rows_used);
  else fprintf(out, " The metric has no standard-error column: every row is deterministic.");
  if (o->n_lo > 0 || o->n_hi > 0) fprintf(out, " Slopes over %g <= N <= %g.", o->n_lo, o->n_hi > 0 ? o->n_hi : INFINITY);
  fprintf(out, "\n\nIntervals: a \"CI 95%%\" is a confidence interval (sampling error: Monte Carlo "
               "standard errors or a spread over replicates); a \"curvature band\" is the 95%% "
               "t-interval of a least-squares slope through deterministic values, which measures "
               "how far the points are from a straight line, not sampling error.\n\n");
  rates(out, s);
  dexp(out, s);
  nstar(out, s);
  lexp(out, s);
  constants(out, s);
  learned(out, s);
}
