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

#define errfree_row ctr_fig_errfree

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

#define keep_clean ctr_fig_keep_clean

/* ---- files ---------------------------------------------------------------------------- */

FILE *ctr_fig_open_dat(const char *path, ctr_error *err, const char *fmt, ...) {
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

int ctr_fig_close_dat(FILE *f, const char *path, ctr_error *err) {
  if (ferror(f) | fclose(f)) return ctr_fail(err, CTR_EIO, "cannot write %s", path), -1;
  return 1;
}

void ctr_fig_block(FILE *f, ctr_fig_meta *m, const char *title) {
  char line[512];
  ctr_escape_line(title, line, sizeof line); /* one comment line, whatever the name holds */
  fprintf(f, "%s# %s\n", m->blocks++ ? "\n\n" : "", line);
}


void ctr_fig_wcols(FILE *f, grp *g, size_t k) {
  fprintf(f, " %.17g", g->mean[k]);
  fprintf(f, isnan(g->lo[k]) ? " NaN" : " %.17g", g->lo[k]);
  fprintf(f, isnan(g->hi[k]) ? " NaN" : " %.17g", g->hi[k]);
  fprintf(f, " %d", g->reps[k]);
}

int ctr_fig_skip(ctr_fig_meta *m, const char *why) {
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

/* The reference family's error-free groups (at most MAXC, into idx; the others counted in
 * m->left_out), whether they span several d, and the most values of N in one of them. */
static size_t clean_groups(const ctr_plot_input *in, ctr_fig_meta *m, size_t *idx, int *with_d,
                           size_t *nN) {
  size_t n = ctr_fig_family_by(in->s, in->ref, 0, keep_clean, idx, 1);
  if (n > MAXC) n = MAXC;
  m->left_out = ctr_fig_left_out(in->s, keep_clean, idx, n);
  *with_d = ctr_fig_several_d(in->s, idx, n), *nN = 0;
  for (size_t i = 0; i < n; i++)
    *nN = in->s->groups[idx[i]].nN > *nN ? in->s->groups[idx[i]].nN : *nN;
  return n;
}

static int fig_rate(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err) {
  size_t idx[MAXC * 8], nN;
  int with_d;
  size_t n = clean_groups(in, m, idx, &with_d, &nN);
  if (!n) return ctr_fig_skip(m, "no error-free group (eps = 0 or error none) with a usable W");
  if (nN < 2) return ctr_fig_skip(m, "one value of N only");
  char src[300];
  const char *fam = in->s->groups[idx[0]].family;
  double C = bound_C(in, &in->s->groups[idx[0]], src, sizeof src);
  FILE *f =
      ctr_fig_open_dat(path, err,
               "# rate_curve: W versus N, a curve per family and d, error-free groups\n"
               "# first family: %s; W: %s; C = %.10g (%s; each family its own C)\n"
               "# columns: N W W_lo W_hi replicates d C bound (= C L^3 d^(5/2) ln(N)^5 / N, the "
               "row's bound_shape times C) W_se (Monte Carlo standard error of W, NaN: exact)\n" WLOHI,
               fam, in->s->metric, C, src);
  if (!f) return -1;
  size_t gi[MAXC];
  for (size_t i = 0; i < n && m->blocks < MAXC; i++) {
    grp *g = &in->s->groups[idx[i]];
    gi[m->blocks] = idx[i];
    ctr_fig_block(f, m, g->label), ctr_fig_by_line(f, g), ctr_fig_key_group(m, g, with_d);
    if (ctr_fig_nby()) C = bound_C(in, g, src, sizeof src); /* each family its own constant */
    for (size_t k = 0; k < g->nN; k++) {
      double N = g->N[k];
      fprintf(f, "%.17g", N), ctr_fig_wcols(f, g, k);
      fprintf(f, " %d %.10g %.10g", g->d, C, C * g->shape[k]);
      fprintf(f, isnan(g->se[k]) ? " NaN\n" : " %.10g\n", g->se[k]);
    }
  }
  ctr_fig_factor_d(m, in->s, gi, m->blocks); /* colour the d or the family, dash the other */
  return ctr_fig_close_dat(f, path, err);
}

static int fig_local(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err) {
  size_t idx[MAXC * 8], nN;
  int with_d;
  size_t n = clean_groups(in, m, idx, &with_d, &nN);
  if (nN < 3)
    return ctr_fig_skip(m, n ? "needs three or more values of N" : "no error-free group with a usable W");
  const char *fam = in->s->groups[idx[0]].family;
  FILE *f =
      ctr_fig_open_dat(path, err,
               "# local_slope: slope of log W between neighbouring N, at their geometric mean\n"
               "# first family: %s; W: %s; bound: the secant slope of ln(N)^5 / N on the same pair\n"
               "# columns: N_mid slope bound_slope d N1 N2\n",
               fam, in->s->metric);
  if (!f) return -1;
  size_t gi[MAXC];
  for (size_t i = 0; i < n && m->blocks < MAXC; i++) {
    grp *g = &in->s->groups[idx[i]];
    if (g->nN < 2) continue;
    gi[m->blocks] = idx[i];
    ctr_fig_block(f, m, g->label), ctr_fig_by_line(f, g), ctr_fig_key_group(m, g, with_d);
    for (size_t k = 0; k + 1 < g->nN; k++)
      fprintf(f, "%.17g %.17g %.17g %d %.17g %.17g\n", sqrt(g->N[k] * g->N[k + 1]), g->local[k],
              g->bound_local[k], g->d, g->N[k], g->N[k + 1]);
  }
  ctr_fig_factor_d(m, in->s, gi, m->blocks);
  return ctr_fig_close_dat(f, path, err);
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
    return ctr_fig_skip(m, has[1] ? "only Gaussian targets in the given files"
                          : "only mixture targets in the given files");
  if (!d)
    return ctr_fig_skip(m, "no d at which both a Gaussian and a mixture target have error-free curves");
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
  FILE *f = ctr_fig_open_dat(path, err,
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
    ctr_fig_block(f, m, g->label), ctr_fig_add_key(m, e, t);
    for (size_t k = 0; k < g->nN; k++)
      fprintf(f, "%.17g", g->N[k]), ctr_fig_wcols(f, g, k), fputc('\n', f);
  }
  return ctr_fig_close_dat(f, path, err);
}

int ctr_fig_export(int fig, const ctr_plot_input *in, const char *path, ctr_fig_meta *meta,
                   ctr_error *err) {
  static int (*const fn[CTR_NFIG])(const ctr_plot_input *, const char *, ctr_fig_meta *,
                                   ctr_error *) = {fig_rate,       ctr_fig_w_vs_d, ctr_fig_nstar,
                                                   ctr_fig_w_vs_eps, fig_local,  fig_gvm};
  memset(meta, 0, sizeof *meta);
  ctr_fig_wsym(in->metric, meta);
  ctr_fig_set_by(in, meta, fig);
  int r = fn[fig](in, path, meta, err);
  if (r > 0) ctr_fig_legend_from_keys(meta);
  if (r > 0) ctr_fig_caption(meta, in->ref ? in->ref : in->s->groups[0].first, fig);
  return r;
}
