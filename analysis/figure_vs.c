/* analysis/figure_vs.c: the figures of a quantity versus d or eps (w_vs_d, nstar, w_vs_eps), a
 * curve per family and per one value of the figure's own: N (w_vs_d), eps (nstar) or d
 * (w_vs_eps). A family is one set of values of the --by columns (by default every parameter
 * column that varies among the groups drawn), so every family is drawn; --facet puts each
 * value of its column in a panel of its own. Colour marks one of the two (the one with more
 * values), dash and point type the other, and the legend lists each value once (6 families
 * x 2 N: 8 entries, not 12). Data files: analysis/figure_data.h. */
#include "analysis/figure_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAXF = MAXC, MAXV = MAXC, TXT = 160 };

typedef struct {
  size_t rep;  /* a group of the family (index into s->groups) */
  int key;     /* its key text among the distinct ones (the same in every panel) */
  int panel;
} family;

typedef struct {
  family f[MAXF];
  int nf, nk;
  char ke[MAXF][TXT], kt[MAXF][TXT]; /* the distinct family texts */
  int nv;
  char ve[MAXV][TXT], vt[MAXV][TXT]; /* the figure's own curve values, as text */
  int bk[MAXC], bv[MAXC], bp[MAXC];  /* per block: family key, value, panel */
} layout;

static int by_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

static int member(const size_t *idx, size_t n, size_t i) {
  for (size_t j = 0; j < n; j++)
    if (idx[j] == i) return 1;
  return 0;
}

/* The families among the groups idx[0, n), in input order, with their keys and panels. */
static void families(const ctr_scaling *s, const size_t *idx, size_t n, ctr_fig_meta *m, layout *L) {
  L->nf = L->nk = 0;
  for (size_t i = 0; i < s->ngroups && L->nf < MAXF; i++) {
    if (!member(idx, n, i)) continue;
    int seen = 0;
    for (int q = 0; q < L->nf && !seen; q++) seen = ctr_fig_same_by(s->groups[L->f[q].rep].first, s->groups[i].first);
    if (seen) continue;
    family *F = &L->f[L->nf++];
    char e[TXT], t[TXT];
    F->rep = i, F->panel = ctr_fig_panel(m, &s->groups[i]);
    ctr_fig_group_text(&s->groups[i], 0, e, t, TXT);
    for (F->key = 0; F->key < L->nk && strcmp(L->ke[F->key], e); F->key++) {
    }
    if (F->key == L->nk) snprintf(L->ke[L->nk], TXT, "%s", e), snprintf(L->kt[L->nk++], TXT, "%s", t);
  }
}

/* Group i is of family F. */
static int of_family(const ctr_scaling *s, const family *F, size_t i) {
  return ctr_fig_same_by(s->groups[F->rep].first, s->groups[i].first);
}

/* Start block b of family F and value v: its title, its "# by:" line and the value's name. */
static void start_block(FILE *f, ctr_fig_meta *m, layout *L, const ctr_scaling *s, const family *F,
                        int v, const char *what) {
  char title[400];
  grp *g = &s->groups[F->rep];
  snprintf(title, sizeof title, "%s; %s", g->family, what);
  L->bk[m->blocks] = F->key, L->bv[m->blocks] = v, L->bp[m->blocks] = F->panel;
  ctr_fig_block(f, m, title), ctr_fig_by_line(f, g);
  char e[2 * TXT + 4], t[2 * TXT + 4];
  snprintf(e, sizeof e, "%s%s%s", L->ke[F->key], L->ke[F->key][0] ? ", " : "", L->ve[v]);
  snprintf(t, sizeof t, "%s%s%s", L->kt[F->key], L->kt[F->key][0] ? ", " : "", L->vt[v]);
  ctr_fig_add_key(m, e, t);
}

/* Colour for one of (families, values), dash and point type for the other; the legend. */
static void factor(ctr_fig_meta *m, const layout *L) {
  int fam_colour = L->nk >= L->nv && L->nk > 1;
  int nc = fam_colour ? L->nk : L->nv, ns = fam_colour ? L->nv : L->nk;
  for (int b = 0; b < m->blocks; b++) {
    int c = (fam_colour ? L->bk[b] : L->bv[b]) + 1, st = (fam_colour ? L->bv[b] : L->bk[b]) + 1;
    if (ns > 1)
      ctr_fig_block_style(m, L->bp[b], c, (st - 1) % 5 + 1, ctr_fig_pt(st));
    else
      ctr_fig_block_style(m, L->bp[b], c, 1, ctr_fig_pt(c));
  }
  for (int j = 0; j < nc; j++) /* colours: a line, with the point type when it is the colour's */
    ctr_fig_legend_add(m, fam_colour ? L->ke[j] : L->ve[j], fam_colour ? L->kt[j] : L->vt[j], j + 1,
                       1, ns > 1 ? 0 : ctr_fig_pt(j + 1));
  for (int j = 0; j < ns; j++) { /* styles: black, dashed and with their point type */
    const char *e = fam_colour ? L->ve[j] : L->ke[j], *t = fam_colour ? L->vt[j] : L->kt[j];
    if (ns > 1)
      ctr_fig_legend_add(m, e, t, 0, j % 5 + 1, ctr_fig_pt(j + 1));
    else if (e[0])
      ctr_fig_legend_add(m, e, t, 0, 1, 0); /* one value for all: said once, black */
  }
}

/* The first family's blocks (its references: d^(5/2) lines and the like). */
static void first_blocks(ctr_fig_meta *m, const layout *L) {
  m->nfirst = 0;
  while (m->nfirst < m->blocks && L->bk[m->nfirst] == L->bk[0] && L->bp[m->nfirst] == L->bp[0]) m->nfirst++;
}

/* rate_curve and local_slope: block b is group gi[b], a curve per family and d. The families
 * and the values of d are factored as in the figures below (d is a value unless it is a --by
 * column itself); replaces the one-colour-per-key styles. */
void ctr_fig_factor_d(ctr_fig_meta *m, const ctr_scaling *s, const size_t *gi, int nb) {
  static layout L;
  double ds[MAXC];
  int d_by = ctr_fig_in_by("d");
  L.nk = 0, L.nv = 0;
  for (int b = 0; b < nb && b < MAXC; b++) {
    grp *g = &s->groups[gi[b]];
    char e[TXT], t[TXT];
    ctr_fig_group_text(g, 0, e, t, TXT);
    for (L.bk[b] = 0; L.bk[b] < L.nk && strcmp(L.ke[L.bk[b]], e); L.bk[b]++) {
    }
    if (L.bk[b] == L.nk && L.nk < MAXF) snprintf(L.ke[L.nk], TXT, "%s", e), snprintf(L.kt[L.nk++], TXT, "%s", t);
    int v = 0;
    while (v < L.nv && ds[v] != (d_by ? 0 : g->d)) v++;
    if (v == L.nv) ds[L.nv++] = d_by ? 0 : g->d;
    L.bp[b] = ctr_fig_panel(m, g);
  }
  double sorted[MAXC];
  memcpy(sorted, ds, sizeof *ds * (size_t)L.nv);
  qsort(sorted, (size_t)L.nv, sizeof *sorted, by_double);
  for (int b = 0; b < nb && b < MAXC; b++) {
    double d = d_by ? 0 : s->groups[gi[b]].d;
    for (L.bv[b] = 0; sorted[L.bv[b]] != d; L.bv[b]++) {
    }
  }
  for (int v = 0; v < L.nv; v++)
    if (d_by) L.ve[v][0] = L.vt[v][0] = '\0';
    else snprintf(L.ve[v], TXT, "d = %.0f", sorted[v]), snprintf(L.vt[v], TXT, "$d = %.0f$", sorted[v]);
  int k = L.nv == 1 ? ctr_fig_split_col(s, gi, nb < MAXC ? nb : MAXC) : -1;
  if (k >= 0) { /* one d, two --by columns or more (engine, sigma): the one with more values
                   and the others are the two things the curves show, not d */
    L.nk = L.nv = 0;
    for (int b = 0; b < nb && b < MAXC; b++) {
      char e1[TXT], t1[TXT], e2[TXT], t2[TXT];
      ctr_fig_group_text_split(&s->groups[gi[b]], k, e1, t1, e2, t2, TXT);
      for (L.bk[b] = 0; L.bk[b] < L.nk && strcmp(L.ke[L.bk[b]], e2); L.bk[b]++) {
      }
      if (L.bk[b] == L.nk) snprintf(L.ke[L.nk], TXT, "%s", e2), snprintf(L.kt[L.nk++], TXT, "%s", t2);
      for (L.bv[b] = 0; L.bv[b] < L.nv && strcmp(L.ve[L.bv[b]], e1); L.bv[b]++) {
      }
      if (L.bv[b] == L.nv) snprintf(L.ve[L.nv], TXT, "%s", e1), snprintf(L.vt[L.nv++], TXT, "%s", t1);
    }
  }
  m->colour_of[0] = m->facet_of[0] = m->dt_of[0] = m->pt_of[0] = '\0';
  int keep = m->blocks;
  m->blocks = nb < MAXC ? nb : MAXC;
  factor(m, &L);
  m->blocks = keep;
}

/* ---- w_vs_d ----------------------------------------------------------------------------- */

/* A family's largest N shared by >= 2 values of d, and the N nearest the geometric mean of the
 * smallest such N and it (NaN when there is none). 0 when no N is shared. */
static int family_Ns(const ctr_scaling *s, const size_t *idx, size_t n, double *big, double *mid) {
  double lo = INFINITY;
  *big = 0, *mid = NAN;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < s->groups[idx[i]].nN; k++) {
      double N = s->groups[idx[i]].N[k];
      int shared = 0;
      for (size_t j = 0; j < n; j++)
        for (size_t q = 0; q < s->groups[idx[j]].nN; q++) shared += s->groups[idx[j]].N[q] == N;
      if (shared >= 2) *big = fmax(*big, N), lo = fmin(lo, N);
    }
  if (*big == 0) return 0;
  double best = INFINITY, want = sqrt(lo * *big);
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < s->groups[idx[i]].nN; k++) {
      double N = s->groups[idx[i]].N[k], dist = fabs(log(N / want));
      if (N >= lo && N < *big && (dist < best || (dist == best && N < *mid))) best = dist, *mid = N;
    }
  return 1;
}

int ctr_fig_w_vs_d(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err) {
  const ctr_scaling *s = in->s;
  static size_t idx[MAXC * 8], fi[MAXC * 8], drawn[MAXC * 8];
  static layout L;
  size_t n = ctr_fig_family_by(s, in->ref, 0, ctr_fig_keep_clean, idx, 1), nd = 0;
  families(s, idx, n, m, &L);
  double Ns[MAXF][2], first[2] = {NAN, NAN};
  int usable = 0, same[2] = {1, 1};
  for (int q = 0; q < L.nf; q++) { /* each family's two N */
    size_t nfi = 0;
    for (size_t i = 0; i < n; i++)
      if (of_family(s, &L.f[q], idx[i])) fi[nfi++] = idx[i];
    if (nfi < 2 || !family_Ns(s, fi, nfi, &Ns[q][0], &Ns[q][1])) Ns[q][0] = Ns[q][1] = NAN;
    if (!isnan(Ns[q][0]) && !usable++) first[0] = Ns[q][0], first[1] = Ns[q][1];
  }
  if (!usable) {
    m->left_out = ctr_fig_left_out(s, ctr_fig_keep_clean, idx, 0);
    return ctr_fig_skip(m, !n ? "no error-free group with a usable W"
                           : in->facet && !strcmp(in->facet, "d") ? "--facet d leaves one d per panel"
                                                                  : "one value of d only (or no N shared by two values of d)");
  }
  for (int q = 0; q < L.nf; q++) /* the same two N in every family: the legend names them */
    for (int r = 0; r < 2 && !isnan(Ns[q][0]); r++)
      same[r] &= Ns[q][r] == first[r] || (isnan(Ns[q][r]) && isnan(first[r]));
  L.nv = 2;
  for (int r = 0; r < 2; r++)
    if (same[r] && !isnan(first[r])) ctr_fig_num_txt("N", "N", first[r], L.ve[r], L.vt[r], TXT);
    else snprintf(L.ve[r], TXT, r ? "a mid N" : "largest N"), snprintf(L.vt[r], TXT, r ? "a mid $N$" : "largest $N$");
  if (isnan(first[1]) && same[1]) L.nv = 1; /* no family has a mid N */
  FILE *f = ctr_fig_open_dat(path, err,
                             "# w_vs_d: W versus d, a curve per family at its largest N shared by two "
                             "or more d and at one mid N\n"
                             "# W: %s; families by: %s\n# columns: d W W_lo W_hi replicates N\n" WLOHI,
                             s->metric, m->by[0] ? m->by : "(one family)");
  if (!f) return -1;
  for (int q = 0; q < L.nf && m->blocks < MAXC; q++)
    for (int r = 0; r < L.nv && m->blocks < MAXC; r++) {
      if (isnan(Ns[q][r])) continue;
      char what[64];
      snprintf(what, sizeof what, "N = %.17g", Ns[q][r]);
      start_block(f, m, &L, s, &L.f[q], r, what);
      for (size_t i = 0; i < n; i++) {
        grp *g = &s->groups[idx[i]];
        if (!of_family(s, &L.f[q], idx[i])) continue;
        for (size_t k = 0; k < g->nN; k++)
          if (g->N[k] == Ns[q][r]) {
            fprintf(f, "%d", g->d), ctr_fig_wcols(f, g, k), fprintf(f, " %.17g\n", Ns[q][r]);
            if (!member(drawn, nd, idx[i])) drawn[nd++] = idx[i];
          }
      }
    }
  m->left_out = ctr_fig_left_out(s, ctr_fig_keep_clean, drawn, nd);
  factor(m, &L), first_blocks(m, &L);
  return ctr_fig_close_dat(f, path, err);
}

/* ---- the figures of injected errors: groups with eps > 0 ------------------------------------ */

/* The error groups to draw: those of the first error-free row's family if it has any, else of
 * the first group with an error; any value of the --by columns. */
static size_t err_groups(const ctr_plot_input *in, size_t *idx) {
  size_t n = ctr_fig_family_by(in->s, in->ref, 1, ctr_fig_keep_err, idx, 1);
  for (size_t i = 0; !n && i < in->s->ngroups; i++)
    if (ctr_fig_keep_err(&in->s->groups[i]))
      n = ctr_fig_family_by(in->s, in->s->groups[i].first, 1, ctr_fig_keep_err, idx, 1);
  return n;
}

static int by_nstar(const void *pa, const void *pb) {
  const ctr_nstar *a = pa, *b = pb;
  if (a->eps != b->eps) return a->eps < b->eps ? -1 : 1;
  return (a->d > b->d) - (a->d < b->d);
}

/* Distinct values of x[0, n), ascending, into u; how many. */
static int distinct(double *x, size_t n, double *u) {
  qsort(x, n, sizeof *x, by_double);
  int k = 0;
  for (size_t i = 0; i < n && k < MAXV; i++)
    if (!k || x[i] != u[k - 1]) u[k++] = x[i];
  return k;
}

int ctr_fig_nstar(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err) {
  const ctr_scaling *s = in->s;
  static size_t idx[MAXC * 8];
  static ctr_nstar e[MAXC * 8];
  static double xs[MAXC * 8];
  static layout L;
  double eps[MAXV];
  if (!s->nnstar) return ctr_fig_skip(m, "no group with an injected error (eps > 0)");
  size_t n = err_groups(in, idx), ne = 0, nx = 0;
  families(s, idx, n, m, &L);
  int fam_of[MAXC * 8], ok = 0;
  for (int q = 0; q < L.nf; q++) { /* each family's finite N*, sorted by eps then d */
    size_t from = ne;
    for (size_t i = 0; i < s->nnstar && ne < MAXC * 8; i++)
      if (!strcmp(s->nstar[i].family, s->groups[L.f[q].rep].family) && isfinite(s->nstar[i].nstar) &&
          s->nstar[i].nstar > 0)
        fam_of[ne] = q, xs[nx++] = s->nstar[i].eps, e[ne++] = s->nstar[i];
    qsort(e + from, ne - from, sizeof *e, by_nstar);
    for (size_t i = from, j; i < ne; i = j) { /* a curve (one eps) with >= 2 values of d */
      for (j = i; j < ne && e[j].eps == e[i].eps; j++) {
      }
      ok |= j - i >= 2;
    }
  }
  m->left_out = ctr_fig_left_out(s, ctr_fig_keep_err, idx, n);
  if (!ok)
    return ctr_fig_skip(m, "N*(d, eps) needs W to fall below 2 eps at two or more values of d for one eps");
  L.nv = distinct(xs, nx, eps);
  for (int v = 0; v < L.nv; v++) ctr_fig_num_txt("{/Symbol e}", "\\varepsilon", eps[v], L.ve[v], L.vt[v], TXT);
  FILE *f = ctr_fig_open_dat(path, err,
                             "# nstar: N*(d, eps), the N at which W falls to 2 eps, versus d, a curve "
                             "per family and eps\n# W: %s; families by: %s\n",
                             s->metric, m->by[0] ? m->by : "(one family)");
  if (!f) return -1;
  for (int q = 0; q < L.nf; q++) {
    const char *fam = s->groups[L.f[q].rep].family;
    for (size_t i = 0; i < s->nnfit; i++) {
      const ctr_nstar_fit *z = &s->nfit[i];
      if (z->ok && !strcmp(z->family, fam))
        fprintf(f, "# family %s: log N* = alpha log d + beta log(1/eps) + c over %zu points: "
                   "alpha = %.4g [%.4g, %.4g], beta = %.4g [%.4g, %.4g]\n",
                fam, z->n, z->alpha, z->alpha_lo, z->alpha_hi, z->beta, z->beta_lo, z->beta_hi);
    }
  }
  fprintf(f, "# columns: d Nstar eps\n");
  for (size_t i = 0, on = 0; i < ne; i++) {
    if (!i || e[i].eps != e[i - 1].eps || fam_of[i] != fam_of[i - 1]) {
      int v = 0;
      while (v < L.nv && eps[v] != e[i].eps) v++;
      on = v < L.nv && m->blocks < MAXC; /* past MAXC curves (or values): not drawn */
      char what[64];
      snprintf(what, sizeof what, "eps = %.17g", e[i].eps);
      if (on) start_block(f, m, &L, s, &L.f[fam_of[i]], v, what);
    }
    if (on) fprintf(f, "%d %.17g %.17g\n", e[i].d, e[i].nstar, e[i].eps);
  }
  factor(m, &L), first_blocks(m, &L);
  return ctr_fig_close_dat(f, path, err);
}

int ctr_fig_w_vs_eps(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err) {
  const ctr_scaling *s = in->s;
  static size_t idx[MAXC * 8], drawn[MAXC * 8];
  static double xs[MAXC * 8];
  static layout L;
  double ds[MAXV];
  size_t n = err_groups(in, idx), nd = 0;
  if (!n) return ctr_fig_skip(m, "no group with an injected error (eps > 0)");
  families(s, idx, n, m, &L);
  int ok = 0;
  for (size_t i = 0; i < n; i++) { /* a family with two values of eps at one d */
    xs[i] = s->groups[idx[i]].d;
    for (size_t j = 0; j < n; j++)
      ok |= i != j && s->groups[idx[i]].d == s->groups[idx[j]].d &&
            ctr_fig_same_by(s->groups[idx[i]].first, s->groups[idx[j]].first);
  }
  if (!ok) {
    m->left_out = ctr_fig_left_out(s, ctr_fig_keep_err, idx, 0);
    return ctr_fig_skip(m, in->facet && !strcmp(in->facet, "eps") ? "--facet eps leaves one eps per panel"
                                                                  : "needs two or more values of eps > 0 at one d");
  }
  L.nv = distinct(xs, n, ds);
  for (int v = 0; v < L.nv; v++)
    snprintf(L.ve[v], TXT, "d = %.0f", ds[v]), snprintf(L.vt[v], TXT, "$d = %.0f$", ds[v]);
  FILE *f = ctr_fig_open_dat(path, err,
                             "# w_vs_eps: W at each group's largest N versus eps > 0, a curve per "
                             "family and d\n# W: %s; families by: %s\n"
                             "# columns: eps W W_lo W_hi replicates N d\n" WLOHI,
                             s->metric, m->by[0] ? m->by : "(one family)");
  if (!f) return -1;
  for (int q = 0; q < L.nf; q++)
    for (int v = 0; v < L.nv && m->blocks < MAXC; v++) {
      int started = 0; /* idx is sorted by eps, then d: each curve's eps ascending */
      for (size_t i = 0; i < n; i++) {
        grp *g = &s->groups[idx[i]];
        if (g->d != ds[v] || !of_family(s, &L.f[q], idx[i])) continue;
        if (!started++) start_block(f, m, &L, s, &L.f[q], v, L.ve[v]);
        fprintf(f, "%.17g", g->eps), ctr_fig_wcols(f, g, g->nN - 1);
        fprintf(f, " %.17g %d\n", g->N[g->nN - 1], g->d);
        drawn[nd++] = idx[i];
      }
    }
  m->left_out = ctr_fig_left_out(s, ctr_fig_keep_err, drawn, nd);
  factor(m, &L), first_blocks(m, &L);
  return ctr_fig_close_dat(f, path, err);
}
