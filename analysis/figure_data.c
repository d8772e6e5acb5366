/* analysis/figure_data.c: select the groups, N* values and constants each paper figure shows (from
 * ctr_scaling_run) and write them as gnuplot data files (analysis/figure_data.h). */
#include "analysis/figure_internal.h"
#include "core/escape.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ctr_fig_names[CTR_NFIG] = {"rate_curve", "w_vs_d",      "nstar",
                                             "w_vs_eps",   "local_slope", "gauss_vs_mixture"};

static int errfree_row(const ctr_point *r) { return r->eps == 0 || !strcmp(r->error, "none"); }

static int is_gaussian(const char *target) {
  static const char *const g[] = {"isotropic", "geometric", "power", "diagonal", "file"};
  return ctr_name_index(g, 5, target) >= 0;
}

const ctr_point *ctr_plot_ref_row(const ctr_point *rows, size_t n, const char *metric) {
  for (size_t i = 0; i < n; i++) {
    double w = ctr_scaling_metric(&rows[i], metric);
    if (rows[i].status == 0 && rows[i].N >= 2 && isfinite(w) && w > 0 && errfree_row(&rows[i]))
      return &rows[i];
  }
  return NULL;
}

static int keep_clean(grp *g) { return errfree_row(g->first); }
static int keep_err(grp *g) { return !errfree_row(g->first) && g->eps > 0; }

/* ---- files ---------------------------------------------------------------------------- */

static FILE *open_dat(const char *path, ctr_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static FILE *open_dat(const char *path, ctr_error *err, const char *fmt, ...) {
  FILE *f = fopen(path, "w");
  if (!f) return ctr_fail(err, CTR_EIO, "cannot write %s", path), NULL;
  /* Names in the header (families) come from a result file: every header line stays one
   * comment line, whatever control characters or newlines a name holds. */
  va_list ap;
  va_start(ap, fmt);
  char head[4096];
  int len = vsnprintf(head, sizeof head, fmt, ap);
  va_end(ap);
  if (len < 0) head[0] = '\0';
  for (const char *p = head; *p; p++) {
    if (*p == '\n') fputs(p[1] && p[1] != '#' ? "\n# " : "\n", f);
    else fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, f);
  }
  fprintf(f,
          "# one block per curve (gnuplot index 0, 1, ...), blocks separated by two blank lines\n");
  return f;
}

static int close_dat(FILE *f, const char *path, ctr_error *err) {
  if (ferror(f) | fclose(f)) return ctr_fail(err, CTR_EIO, "cannot write %s", path), -1;
  return 1;
}

static void block(FILE *f, ctr_fig_meta *m, const char *title) {
  char line[512];
  ctr_escape_line(title, line, sizeof line); /* one comment line, whatever the name holds */
  fprintf(f, "%s# %s\n", m->blocks++ ? "\n\n" : "", line);
}

/* W_lo and W_hi in every file that has them: the 95% t-interval over replicates. */
#define WLOHI "# W_lo, W_hi: 95%% t-interval of W over replicates (NaN with one replicate)\n"

static void wcols(FILE *f, grp *g, size_t k) {
  fprintf(f, " %.17g", g->mean[k]);
  fprintf(f, isnan(g->lo[k]) ? " NaN" : " %.17g", g->lo[k]);
  fprintf(f, isnan(g->hi[k]) ? " NaN" : " %.17g", g->hi[k]);
  fprintf(f, " %d", g->reps[k]);
}

static int skip(ctr_fig_meta *m, const char *why) {
  snprintf(m->why, sizeof m->why, "%s", why);
  return 0;
}

/* ---- the figures ---------------------------------------------------------------------- */

/* The family's C of the bound (ctr_bound_constant, matched by family label; if the label is
 * ambiguous, the same sup computed from the groups' ratio_max). */
static double bound_C(const ctr_plot_input *in, grp *g0, char *src, size_t n) {
  const char *fam = g0->family;
  size_t hit = 0, at = 0;
  for (size_t c = 0; c < in->s->nconsts; c++)
    if (!strcmp(in->s->consts[c].family, fam)) hit++, at = c;
  if (hit == 1) return snprintf(src, n, "ctr_bound_constant of '%s'", fam), in->s->consts[at].C;
  double C = NAN;
  for (size_t i = 0; i < in->s->ngroups; i++) {
    grp *g = &in->s->groups[i];
    if (g->eps == 0 && ctr_scaling_same_family(g->first, g0->first, 1))
      C = isnan(C) ? g->ratio_max : fmax(C, g->ratio_max);
  }
  snprintf(src, n, "sup of ratio_max over the family's error-free groups");
  return C;
}

static int fig_rate(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err) {
  size_t idx[MAXC * 8], n = ctr_fig_family_by(in->s, in->ref, 0, keep_clean, idx, 1), nN = 0;
  if (n > MAXC) n = MAXC;
  m->left_out = ctr_fig_left_out(in->s, keep_clean, idx, n);
  int with_d = ctr_fig_several_d(in->s, idx, n);
  for (size_t i = 0; i < n; i++)
    nN = in->s->groups[idx[i]].nN > nN ? in->s->groups[idx[i]].nN : nN;
  if (!n) return skip(m, "no error-free group (eps = 0 or error none) with a usable W");
  if (nN < 2) return skip(m, "one value of N only");
  char src[300];
  const char *fam = in->s->groups[idx[0]].family;
  double C = bound_C(in, &in->s->groups[idx[0]], src, sizeof src);
  FILE *f =
      open_dat(path, err,
               "# rate_curve: W versus N per d, error-free groups of the first family\n"
               "# family: %s; W: %s; C = %.10g (%s)\n"
               "# columns: N W W_lo W_hi replicates d C bound (= C L^3 d^(5/2) ln(N)^5 / N, the "
               "row's bound_shape times C) W_se (Monte Carlo standard error of W, NaN: exact)\n" WLOHI,
               fam, in->s->metric, C, src);
  if (!f) return -1;
  for (size_t i = 0; i < n && m->blocks < MAXC; i++) {
    grp *g = &in->s->groups[idx[i]];
    block(f, m, g->label), ctr_fig_key_group(m, g, with_d);
    if (ctr_fig_nby()) C = bound_C(in, g, src, sizeof src); /* each family its own constant */
    for (size_t k = 0; k < g->nN; k++) {
      double N = g->N[k];
      fprintf(f, "%.17g", N), wcols(f, g, k);
      fprintf(f, " %d %.10g %.10g", g->d, C, C * g->shape[k]);
      fprintf(f, isnan(g->se[k]) ? " NaN\n" : " %.10g\n", g->se[k]);
    }
  }
  return close_dat(f, path, err);
}

static int fig_w_vs_d(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err) {
  size_t idx[MAXC * 8], n = ctr_fig_family(in->s, in->ref, 0, keep_clean, idx);
  m->left_out = ctr_fig_left_out(in->s, keep_clean, idx, n);
  if (n < 2) return skip(m, n ? "one value of d only" : "no error-free group with a usable W");
  double big = 0, lo = INFINITY; /* the largest and smallest N shared by >= 2 values of d */
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < in->s->groups[idx[i]].nN; k++) {
      double N = in->s->groups[idx[i]].N[k];
      int shared = 0;
      for (size_t j = 0; j < n; j++)
        for (size_t q = 0; q < in->s->groups[idx[j]].nN; q++)
          shared += in->s->groups[idx[j]].N[q] == N;
      if (shared >= 2) big = fmax(big, N), lo = fmin(lo, N);
    }
  if (big == 0) return skip(m, "no N shared by two values of d");
  double mid = NAN, best = INFINITY, want = sqrt(lo * big);
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < in->s->groups[idx[i]].nN; k++) {
      double N = in->s->groups[idx[i]].N[k], dist = fabs(log(N / want));
      if (N >= lo && N < big && (dist < best || (dist == best && N < mid))) best = dist, mid = N;
    }
  const char *fam = in->s->groups[idx[0]].family;
  FILE *f = open_dat(path, err,
                     "# w_vs_d: W versus d at the largest N (block 0) and one mid N (block 1)\n"
                     "# family: %s; W: %s\n# columns: d W W_lo W_hi replicates N\n" WLOHI,
                     fam, in->s->metric);
  if (!f) return -1;
  double Ns[2] = {big, mid};
  for (int b = 0; b < 2 && !isnan(Ns[b]); b++) {
    char t[64];
    snprintf(t, sizeof t, "N = %.17g", Ns[b]);
    block(f, m, t), ctr_fig_key_num(m, "N", "N", Ns[b]);
    for (size_t i = 0; i < n; i++) {
      grp *g = &in->s->groups[idx[i]];
      for (size_t k = 0; k < g->nN; k++)
        if (g->N[k] == Ns[b]) fprintf(f, "%d", g->d), wcols(f, g, k), fprintf(f, " %.17g\n", Ns[b]);
    }
  }
  return close_dat(f, path, err);
}

static int by_nstar(const void *pa, const void *pb) {
  const ctr_nstar *a = pa, *b = pb;
  if (a->eps != b->eps) return a->eps < b->eps ? -1 : 1;
  return (a->d > b->d) - (a->d < b->d);
}

/* Finite N* of one family label, sorted by eps then d; returns how many. */
static size_t nstar_of(const ctr_scaling *s, const char *fam, ctr_nstar *out, int *ok) {
  size_t n = 0;
  for (size_t i = 0; i < s->nnstar && n < MAXC * 8; i++)
    if (!strcmp(s->nstar[i].family, fam) && isfinite(s->nstar[i].nstar) && s->nstar[i].nstar > 0)
      out[n++] = s->nstar[i];
  qsort(out, n, sizeof *out, by_nstar);
  *ok = 0;
  for (size_t i = 0, j; i < n; i = j) { /* a block (one eps) with >= 2 values of d */
    for (j = i; j < n && out[j].eps == out[i].eps; j++) {
    }
    *ok |= j - i >= 2;
  }
  return n;
}

static int fig_nstar(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err) {
  static ctr_nstar e[MAXC * 8];
  char fam[256] = "";
  size_t idx[MAXC * 8], n = 0;
  int ok = 0;
  if (ctr_fig_family(in->s, in->ref, 0, keep_clean, idx)) { /* the first family, if it has N* */
    snprintf(fam, sizeof fam, "%s", in->s->groups[idx[0]].family);
    n = nstar_of(in->s, fam, e, &ok);
  }
  for (size_t i = 0; !ok && i < in->s->nnstar; i++) { /* else the first family that has */
    snprintf(fam, sizeof fam, "%s", in->s->nstar[i].family);
    n = nstar_of(in->s, fam, e, &ok);
  }
  if (!in->s->nnstar) return skip(m, "no group with an injected error (eps > 0)");
  if (!ok)
    return skip(m, "N*(d, eps) needs W to fall below 2 eps at two or more values of d for one eps");
  char fit[400] = "no joint fit";
  for (size_t i = 0; i < in->s->nnfit; i++) {
    const ctr_nstar_fit *q = &in->s->nfit[i];
    if (q->ok && !strcmp(q->family, fam))
      snprintf(fit, sizeof fit,
               "log N* = alpha log d + beta log(1/eps) + c over %zu points: "
               "alpha = %.4g [%.4g, %.4g], beta = %.4g [%.4g, %.4g]",
               q->n, q->alpha, q->alpha_lo, q->alpha_hi, q->beta, q->beta_lo, q->beta_hi);
  }
  FILE *f =
      open_dat(path, err,
               "# nstar: N*(d, eps), the N at which W falls to 2 eps, versus d, one block per eps\n"
               "# family: %s; W: %s; %s\n# columns: d Nstar eps\n",
               fam, in->s->metric, fit);
  if (!f) return -1;
  for (size_t i = 0; i < n && m->blocks < MAXC; i++) {
    if (!i || e[i].eps != e[i - 1].eps) {
      char t[64];
      snprintf(t, sizeof t, "eps = %.17g", e[i].eps);
      block(f, m, t), ctr_fig_key_num(m, "{/Symbol e}", "\\varepsilon", e[i].eps);
    }
    fprintf(f, "%d %.17g %.17g\n", e[i].d, e[i].nstar, e[i].eps);
  }
  return close_dat(f, path, err);
}

static int fig_w_vs_eps(const ctr_plot_input *in, const char *path, ctr_fig_meta *m,
                        ctr_error *err) {
  size_t idx[MAXC * 8], n = ctr_fig_family(in->s, in->ref, 1, keep_err, idx);
  for (size_t i = 0; !n && i < in->s->ngroups; i++) /* else the first family with errors */
    if (keep_err(&in->s->groups[i])) n = ctr_fig_family(in->s, in->s->groups[i].first, 1, keep_err, idx);
  if (!n) return skip(m, "no group with an injected error (eps > 0)");
  m->left_out = ctr_fig_left_out(in->s, keep_err, idx, n);
  int ok = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      ok |= i != j && in->s->groups[idx[i]].d == in->s->groups[idx[j]].d;
  if (!ok) return skip(m, "needs two or more values of eps > 0 at one d");
  const char *fam = in->s->groups[idx[0]].family;
  FILE *f = open_dat(path, err,
                     "# w_vs_eps: W at each group's largest N versus eps > 0, one block per d\n"
                     "# family: %s; W: %s\n# columns: eps W W_lo W_hi replicates N d\n" WLOHI,
                     fam, in->s->metric);
  if (!f) return -1;
  int done[MAXC * 8] = {0};
  for (size_t i = 0; i < n && m->blocks < MAXC; i++) { /* idx is by eps, then d: regroup by d */
    if (done[i]) continue;
    int d = in->s->groups[idx[i]].d;
    char t[64];
    snprintf(t, sizeof t, "d = %d", d);
    block(f, m, t), ctr_fig_key_d(m, d);
    for (size_t j = i; j < n; j++) {
      grp *g = &in->s->groups[idx[j]];
      if (g->d != d) continue;
      done[j] = 1;
      fprintf(f, "%.17g", g->eps), wcols(f, g, g->nN - 1),
          fprintf(f, " %.17g %d\n", g->N[g->nN - 1], d);
    }
  }
  return close_dat(f, path, err);
}

static int fig_local(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err) {
  size_t idx[MAXC * 8], n = ctr_fig_family_by(in->s, in->ref, 0, keep_clean, idx, 1), nN = 0;
  if (n > MAXC) n = MAXC;
  m->left_out = ctr_fig_left_out(in->s, keep_clean, idx, n);
  int with_d = ctr_fig_several_d(in->s, idx, n);
  for (size_t i = 0; i < n; i++)
    nN = in->s->groups[idx[i]].nN > nN ? in->s->groups[idx[i]].nN : nN;
  if (nN < 3)
    return skip(m, n ? "needs three or more values of N" : "no error-free group with a usable W");
  const char *fam = in->s->groups[idx[0]].family;
  FILE *f =
      open_dat(path, err,
               "# local_slope: slope of log W between neighbouring N, at their geometric mean\n"
               "# family: %s; W: %s; bound: the secant slope of ln(N)^5 / N on the same pair\n"
               "# columns: N_mid slope bound_slope d N1 N2\n",
               fam, in->s->metric);
  if (!f) return -1;
  for (size_t i = 0; i < n && m->blocks < MAXC; i++) {
    grp *g = &in->s->groups[idx[i]];
    if (g->nN < 2) continue;
    block(f, m, g->label), ctr_fig_key_group(m, g, with_d);
    for (size_t k = 0; k + 1 < g->nN; k++)
      fprintf(f, "%.17g %.17g %.17g %d %.17g %.17g\n", sqrt(g->N[k] * g->N[k + 1]), g->local[k],
              g->bound_local[k], g->d, g->N[k], g->N[k + 1]);
  }
  return close_dat(f, path, err);
}

static int fig_gvm(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err) {
  const ctr_scaling *s = in->s;
  int d = 0, has[2] = {0, 0};
  for (size_t i = 0; i < s->ngroups; i++)
    has[is_gaussian(s->groups[i].first->target)] = 1;
  for (size_t i = 0; i < s->ngroups;
       i++) { /* d = 1 if both kinds have it, else the smallest shared */
    grp *a = &s->groups[i];
    if (!errfree_row(a->first) || a->nN < 2 || !is_gaussian(a->first->target)) continue;
    for (size_t j = 0; j < s->ngroups; j++) {
      grp *b = &s->groups[j];
      if (errfree_row(b->first) && b->nN >= 2 && !is_gaussian(b->first->target) && b->d == a->d &&
          (!d || (d != 1 && (a->d == 1 || a->d < d))))
        d = a->d;
    }
  }
  if (!has[0] || !has[1])
    return skip(m, has[1] ? "only Gaussian targets in the given files"
                          : "only mixture targets in the given files");
  if (!d)
    return skip(m, "no d at which both a Gaussian and a mixture target have error-free curves");
  size_t pick[MAXC], np = 0;
  for (int gauss = 1; gauss >= 0; gauss--) /* Gaussian curves first */
    for (size_t i = 0; i < s->ngroups && np < 8; i++) {
      grp *g = &s->groups[i];
      if (!errfree_row(g->first) || g->d != d || g->nN < 2 ||
          is_gaussian(g->first->target) != gauss)
        continue;
      size_t j = 0;
      while (j < np && (strcmp(s->groups[pick[j]].first->target, g->first->target) ||
                        strcmp(s->groups[pick[j]].first->engine, g->first->engine)))
        j++;
      if (j == np)
        pick[np++] = i;
      else if (g->nN > s->groups[pick[j]].nN)
        pick[j] = i; /* the longest curve of the pair */
    }
  FILE *f = open_dat(path, err,
                     "# gauss_vs_mixture: W versus N for Gaussian and mixture targets at d = %d,\n"
                     "# one block per target and engine (the group with most N), error-free\n"
                     "# W: %s\n# columns: N W W_lo W_hi replicates\n" WLOHI,
                     d, s->metric);
  if (!f) return -1;
  for (size_t i = 0; i < np; i++) {
    grp *g = &s->groups[pick[i]];
    const ctr_point *r = g->first;
    const char *kind = !strcmp(r->engine, "cd") || !strcmp(r->engine, "distill") ? "CD" : "CT";
    char te[160], tt[320], ee[160], et[320], e[400], t[700];
    ctr_fig_name_txt(r->target, 0, te, sizeof te), ctr_fig_name_txt(r->target, 1, tt, sizeof tt);
    ctr_escape_gp_enhanced(r->engine, 0, ee, sizeof ee), ctr_escape_latex(r->engine, et, sizeof et);
    if (r->K > 1 || !strcmp(r->target, "two_modes"))
      snprintf(e, sizeof e, "%s, {/Symbol s} = %g: %s (%s)", te, r->sigma, kind, ee),
          snprintf(t, sizeof t, "%s, $\\sigma = %g$: %s (%s)", tt, r->sigma, kind, et);
    else
      snprintf(e, sizeof e, "%s: %s (%s)", te, kind, ee),
          snprintf(t, sizeof t, "%s: %s (%s)", tt, kind, et);
    block(f, m, g->label), ctr_fig_add_key(m, e, t);
    for (size_t k = 0; k < g->nN; k++)
      fprintf(f, "%.17g", g->N[k]), wcols(f, g, k), fputc('\n', f);
  }
  return close_dat(f, path, err);
}

int ctr_fig_export(int fig, const ctr_plot_input *in, const char *path, ctr_fig_meta *meta,
                   ctr_error *err) {
  static int (*const fn[CTR_NFIG])(const ctr_plot_input *, const char *, ctr_fig_meta *,
                                   ctr_error *) = {fig_rate,     fig_w_vs_d, fig_nstar,
                                                   fig_w_vs_eps, fig_local,  fig_gvm};
  memset(meta, 0, sizeof *meta);
  ctr_fig_wsym(in->metric, meta);
  ctr_fig_set_by(in, meta, fig);
  int r = fn[fig](in, path, meta, err);
  if (r > 0) ctr_fig_caption(meta, in->ref ? in->ref : in->s->groups[0].first, fig);
  return r;
}
