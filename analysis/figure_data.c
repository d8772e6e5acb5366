/* analysis/figure_data.c: select the groups, N* values and constants each paper figure shows (from
 * ctr_scaling_run) and write them as gnuplot data files (analysis/figure_data.h). */
#include "analysis/figure_data.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ctr_fig_names[CTR_NFIG] = {"rate_curve", "w_vs_d",      "nstar",
                                             "w_vs_eps",   "local_slope", "gauss_vs_mixture"};

typedef const ctr_scaling_group grp;
enum { MAXC = 64 }; /* curves (blocks) per figure */

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

static const ctr_scaling *g_s; /* qsort context */
static int by_d(const void *a, const void *b) {
  int x = g_s->groups[*(const size_t *)a].d, y = g_s->groups[*(const size_t *)b].d;
  return (x > y) - (x < y);
}
static int by_eps(const void *a, const void *b) {
  double x = g_s->groups[*(const size_t *)a].eps, y = g_s->groups[*(const size_t *)b].eps;
  return (x > y) - (x < y);
}

/* ---- curves by parameter columns (--by) --------------------------------------------- */

enum { MAXBY = 12 };
static const ctr_field *by_f[MAXBY];
static int nby;

static int is_param_field(const ctr_field *f, int *in) {
  if (!strcmp(f->name, "target")) *in = 1;
  int yes = *in && strcmp(f->name, "N") && strcmp(f->name, "path");
  if (!strcmp(f->name, "chains")) *in = 0;
  return yes;
}

ctr_status ctr_fig_check_by(const char *by, ctr_error *err) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", by);
  for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
    int in = 0, hit = 0;
    for (size_t i = 0; i < ctr_point_nfields; i++)
      hit |= is_param_field(&ctr_point_fields[i], &in) && !strcmp(ctr_point_fields[i].name, w);
    if (!hit)
      return ctr_fail(err, CTR_EINPUT, "--by/--facet '%s' is not a parameter column (accepted: "
                      "target, d, lambda, lambda_min, lambda_max, K, sigma, mode_m, radius, schedule, "
                      "c0, c1, beta_min, beta_max, cosine_s, engine, error, eps, points, chains, ...)", w);
  }
  return CTR_OK;
}

static int field_differs(const ctr_point *a, const ctr_point *b, const ctr_field *f) {
  const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
  if (f->kind == CTR_KIND_F64) {
    double x = *(const double *)pa, y = *(const double *)pb;
    return isnan(x) || isnan(y) ? isnan(x) != isnan(y) : x != y;
  }
  if (f->kind == CTR_KIND_STR) return strncmp(pa, pb, f->size) != 0;
  return memcmp(pa, pb, f->kind == CTR_KIND_I64 ? 8 : 4) != 0;
}

/* The --by columns, or without --by every parameter column that varies among the groups but
 * N, d, eps and error (the figures place those themselves). */
static const ctr_field *facet_f; /* --facet: one of by_f, split into panels, not keys */
static int cur_fig;
static const ctr_point *facet_rep[MAXC];

static void set_by(const ctr_plot_input *in, ctr_fig_meta *m) {
  nby = 0, facet_f = NULL;
  int inside = 0;
  for (size_t i = 0; i < ctr_point_nfields && nby < MAXBY; i++) {
    const ctr_field *f = &ctr_point_fields[i];
    if (!is_param_field(f, &inside)) continue;
    int want = 0;
    if (in->by) {
      size_t n = strlen(f->name);
      for (const char *p = in->by; (p = strstr(p, f->name)); p += n)
        want |= (p == in->by || p[-1] == ',') && (p[n] == ',' || !p[n]);
    } else if (strcmp(f->name, "d") && strcmp(f->name, "eps") && strcmp(f->name, "error")) {
      for (size_t g = 1; g < in->s->ngroups && !want; g++)
        want = field_differs(in->s->groups[0].first, in->s->groups[g].first, f);
    }
    if (in->facet && !strcmp(in->facet, f->name)) /* rate_curve: panels; elsewhere keyed curves */
      want = 1, facet_f = cur_fig == CTR_FIG_RATE_CURVE ? f : NULL;
    if (want) by_f[nby++] = f;
  }
  m->by[0] = '\0';
  for (int k = 0; k < nby; k++)
    snprintf(m->by + strlen(m->by), sizeof m->by - strlen(m->by), "%s%s", k ? "," : "", by_f[k]->name);
}

/* a and b alike but for the --by columns (and what same_family skips). */
static int same_but_by(const ctr_point *a, const ctr_point *ref, int skip_eps) {
  ctr_point t = *ref;
  for (int k = 0; k < nby; k++) {
    memcpy((char *)&t + by_f[k]->offset, (const char *)a + by_f[k]->offset,
           by_f[k]->kind == CTR_KIND_STR ? by_f[k]->size : by_f[k]->kind == CTR_KIND_I32 ? 4 : 8);
    if (!strcmp(by_f[k]->name, "engine")) t.points = a->points, t.chains = a->chains; /* its sizes */
  }
  return ctr_scaling_same_family(a, &t, skip_eps);
}

static int same_by(const ctr_point *a, const ctr_point *b) {
  for (int k = 0; k < nby; k++)
    if (field_differs(a, b, by_f[k])) return 0;
  return 1;
}

/* Groups of ref's family (eps too unless skip_eps; with use_by, any values of the --by
 * columns) that keep(g) accepts, sorted by eps, then by d, at most one per (d, eps, by). */
static size_t family_by(const ctr_scaling *s, const ctr_point *ref, int skip_eps, int (*keep)(grp *),
                        size_t *idx, int use_by) {
  size_t m = 0;
  for (size_t i = 0; ref && i < s->ngroups && m < MAXC * 8; i++) {
    grp *g = &s->groups[i];
    int dup = 0;
    for (size_t j = 0; j < m; j++)
      dup |= s->groups[idx[j]].d == g->d && s->groups[idx[j]].eps == g->eps &&
             (!use_by || same_by(s->groups[idx[j]].first, g->first));
    int fam = use_by ? same_but_by(g->first, ref, skip_eps) : ctr_scaling_same_family(g->first, ref, skip_eps);
    if (!dup && keep(g) && fam) idx[m++] = i;
  }
  g_s = s;
  qsort(idx, m, sizeof *idx, by_eps);
  for (size_t i = 0; i < m;) { /* then by d within each eps */
    size_t j = i;
    while (j < m && s->groups[idx[j]].eps == s->groups[idx[i]].eps)
      j++;
    qsort(idx + i, j - i, sizeof *idx, by_d);
    i = j;
  }
  return m;
}

static size_t family(const ctr_scaling *s, const ctr_point *ref, int skip_eps, int (*keep)(grp *),
                     size_t *idx) {
  return family_by(s, ref, skip_eps, keep, idx, 0);
}

/* Groups keep() accepts that idx[0..n) does not hold: what the figure leaves out. */
static size_t left_out(const ctr_scaling *s, int (*keep)(grp *), const size_t *idx, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < s->ngroups; i++) {
    int in = 0;
    for (size_t j = 0; j < n; j++) in |= idx[j] == i;
    k += !in && keep(&s->groups[i]);
  }
  return k;
}

static int keep_clean(grp *g) { return errfree_row(g->first); }
static int keep_err(grp *g) { return !errfree_row(g->first) && g->eps > 0; }

/* ---- text ----------------------------------------------------------------------------- */

/* x for a key: plain from 1 to 1e5, else 10^{k} or m·10^{k}. */
static void num(double x, int tex, char *buf, size_t n) {
  int k = (int)floor(log10(x) + 1e-9);
  double m = x / pow(10, k);
  if (x >= 1 && x < 1e5)
    snprintf(buf, n, x == floor(x) ? "%.0f" : "%.3g", x);
  else if (fabs(m - 1) < 1e-9)
    snprintf(buf, n, "10^{%d}", k);
  else
    snprintf(buf, n,
             tex ? "%.2g\\cdot 10^{%d}"
                 : "%.2g\xc2\xb7"
                   "10^{%d}",
             m, k);
}

/* A target or engine name as text: '_' is a subscript in gnuplot and LaTeX. */
static void name_txt(const char *s, int tex, char *buf, size_t n) {
  size_t k = 0;
  for (; *s && k + 3 < n; s++) {
    if (*s == '_' && tex)
      buf[k++] = '\\', buf[k++] = '_';
    else
      buf[k++] = *s == '_' ? ' ' : *s;
  }
  buf[k] = '\0';
}

static void add_key(ctr_fig_meta *m, const char *e, const char *t) {
  size_t ke = strlen(m->keys_e), kt = strlen(m->keys_t);
  snprintf(m->keys_e + ke, sizeof m->keys_e - ke, "%s%s", ke ? "|" : "", e);
  snprintf(m->keys_t + kt, sizeof m->keys_t - kt, "%s%s", kt ? "|" : "", t);
}

static void key_d(ctr_fig_meta *m, int d) {
  char e[64], t[64];
  snprintf(e, sizeof e, "d = %d", d), snprintf(t, sizeof t, "$d = %d$", d);
  add_key(m, e, t);
}

/* A curve's key: its --by values and, when d varies among the curves, d. */
static void key_group(ctr_fig_meta *m, grp *g, int with_d) {
  char e[256] = "", t[256] = "", v[96], ve[128], vt[128];
  int shown = 0;
  for (int k = 0; k < nby; k++) {
    const ctr_field *f = by_f[k];
    const char *p = (const char *)g->first + f->offset;
    if (f == facet_f) continue;
    if (f->kind == CTR_KIND_STR) snprintf(v, sizeof v, "%.*s", (int)f->size, p), name_txt(v, 0, ve, sizeof ve), name_txt(v, 1, vt, sizeof vt);
    else if (f->kind == CTR_KIND_F64) snprintf(ve, sizeof ve, "%g", *(const double *)p), snprintf(vt, sizeof vt, "%s", ve);
    else snprintf(ve, sizeof ve, "%lld", f->kind == CTR_KIND_I32 ? (long long)*(const int32_t *)p : (long long)*(const int64_t *)p), snprintf(vt, sizeof vt, "%s", ve);
    if (!strcmp(f->name, "engine")) { /* the experiment's words: CT or CD, and which engine */
      int cd = !strcmp(v, "cd") || !strcmp(v, "distill");
      snprintf(ve, sizeof ve, "%s (%s)", cd ? "CD" : "CT", v), snprintf(vt, sizeof vt, "%s", ve);
    }
    int plain = f->kind == CTR_KIND_STR; /* a name speaks for itself: "chain", not "engine = chain" */
    char ne[64], nt[64];
    name_txt(f->name, 0, ne, sizeof ne), name_txt(f->name, 1, nt, sizeof nt);
    if (!strcmp(f->name, "sigma")) snprintf(ne, sizeof ne, "{/Symbol s}"), snprintf(nt, sizeof nt, "$\\sigma$");
    snprintf(e + strlen(e), sizeof e - strlen(e), "%s%s%s%s", shown ? ", " : "", plain ? "" : ne, plain ? "" : " = ", ve);
    snprintf(t + strlen(t), sizeof t - strlen(t), "%s%s%s%s", shown++ ? ", " : "", plain ? "" : nt, plain ? "" : " $=$ ", vt);
  }
  if (with_d || !shown) {
    snprintf(e + strlen(e), sizeof e - strlen(e), "%sd = %d", shown ? ", " : "", g->d);
    snprintf(t + strlen(t), sizeof t - strlen(t), "%s$d = %d$", shown ? ", " : "", g->d);
  }
  add_key(m, e, t);
  {
    size_t k = strlen(m->colour_of);
    int c = 0; /* colour: the index of the key's first occurrence among distinct keys */
    char seen[MAXC][256];
    int ns = 0;
    for (const char *p = m->keys_e; *p && ns < MAXC;) {
      const char *bar = strchr(p, '|');
      size_t len = bar ? (size_t)(bar - p) : strlen(p);
      snprintf(seen[ns], sizeof seen[ns], "%.*s", (int)len, p);
      int dup = 0;
      for (int q = 0; q < ns; q++) dup |= !strcmp(seen[q], seen[ns]);
      if (!dup) {
        if (!strcmp(seen[ns], e)) c = ns;
        ns++;
      } else if (!strcmp(seen[ns], e)) {
        for (int q = 0; q < ns; q++)
          if (!strcmp(seen[q], e)) c = q;
      }
      p += len + (bar != NULL);
    }
    snprintf(m->colour_of + k, sizeof m->colour_of - k, "%s%d", k ? " " : "", c + 1);
  }
  if (!facet_f) return;
  int j = 0; /* the block's panel: the facet value's index, a new panel for a new value */
  while (j < m->nfacets && field_differs(facet_rep[j], g->first, facet_f)) j++;
  if (j == m->nfacets && j < MAXC) {
    facet_rep[m->nfacets++] = g->first;
    char fv[96], pe[160], pt[160];
    const char *p = (const char *)g->first + facet_f->offset;
    if (facet_f->kind == CTR_KIND_STR) snprintf(fv, sizeof fv, "%.*s", (int)facet_f->size, p);
    else if (facet_f->kind == CTR_KIND_F64) snprintf(fv, sizeof fv, "%g", *(const double *)p);
    else snprintf(fv, sizeof fv, "%lld", facet_f->kind == CTR_KIND_I32 ? (long long)*(const int32_t *)p : (long long)*(const int64_t *)p);
    snprintf(pe, sizeof pe, "%s = %s", facet_f->name, fv);
    name_txt(pe, 0, pt, sizeof pt), snprintf(pe, sizeof pe, "%s", pt), name_txt(pe, 1, pt, sizeof pt);
    size_t ke = strlen(m->facets_e), kt = strlen(m->facets_t);
    snprintf(m->facets_e + ke, sizeof m->facets_e - ke, "%s%s", ke ? "|" : "", pe);
    snprintf(m->facets_t + kt, sizeof m->facets_t - kt, "%s%s", kt ? "|" : "", pt);
  }
  size_t k = strlen(m->facet_of);
  snprintf(m->facet_of + k, sizeof m->facet_of - k, "%s%d", k ? " " : "", j);
}

static int several_d(const ctr_scaling *s, const size_t *idx, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (s->groups[idx[i]].d != s->groups[idx[0]].d) return 1;
  return 0;
}

static void key_num(ctr_fig_meta *m, const char *sym_e, const char *sym_t, double x) {
  char ne[64], nt[64], e[128], t[128];
  num(x, 0, ne, sizeof ne), num(x, 1, nt, sizeof nt);
  snprintf(e, sizeof e, "%s = %s", sym_e, ne), snprintf(t, sizeof t, "$%s = %s$", sym_t, nt);
  add_key(m, e, t);
}

/* W's name on the y axis, from the metric asked for: what it measures and its input
 * ("W_1 upper bound, input N(0, I)"), so that no axis leaves the quantity to the caption. */
static void wsym(const char *metric, ctr_fig_meta *m) {
  static const char *const tab[][3] = {
      {"w2_", "W_2 (exact)", "$W_2$ (exact)"},
      {"w1_lo", "W_1 lower bound", "$W_1$ lower bound"},
      {"w1_", "W_1 upper bound", "$W_1$ upper bound"},
      {"coupling_l1", "coupling E||f_N - {/Symbol F}||", "coupling $E\\|f_N - \\Phi\\|$"},
      {"coupling_rms", "coupling (E||f_N - {/Symbol F}||^2)^{1/2} (RMS)", "coupling $(E\\|f_N - \\Phi\\|^2)^{1/2}$ (RMS)"},
      {"coupling_sq", "E||f_N - {/Symbol F}||^2 (unbiased)", "$E\\|f_N - \\Phi\\|^2$ (unbiased)"},
  };
  if (!metric || !strcmp(metric, "auto")) metric = "w1_hi_normal";
  char e[96], t[96], what[96], in[32];
  name_txt(metric, 0, e, sizeof e), name_txt(metric, 1, t, sizeof t);
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (!strncmp(metric, tab[i][0], strlen(tab[i][0]))) {
      snprintf(e, sizeof e, "%s", tab[i][1]), snprintf(t, sizeof t, "%s", tab[i][2]);
      break;
    }
  ctr_scaling_metric_label(metric, what, sizeof what, in, sizeof in);
  if (!in[0]) {
    snprintf(m->wsym_e, sizeof m->wsym_e, "%s", e), snprintf(m->wsym_t, sizeof m->wsym_t, "%s", t);
    return;
  }
  int normal = !strcmp(in, "N(0, I)");
  snprintf(m->wsym_e, sizeof m->wsym_e, "%s, input %s", e, normal ? "N(0, I)" : "q_N");
  snprintf(m->wsym_t, sizeof m->wsym_t, "%s, input %s", t, normal ? "$N(0, I)$" : "$q_N$");
}

/* ---- files ---------------------------------------------------------------------------- */

static FILE *open_dat(const char *path, ctr_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static FILE *open_dat(const char *path, ctr_error *err, const char *fmt, ...) {
  FILE *f = fopen(path, "w");
  if (!f) return ctr_fail(err, CTR_EIO, "cannot write %s", path), NULL;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fprintf(f,
          "# one block per curve (gnuplot index 0, 1, ...), blocks separated by two blank lines\n");
  return f;
}

static int close_dat(FILE *f, const char *path, ctr_error *err) {
  if (ferror(f) | fclose(f)) return ctr_fail(err, CTR_EIO, "cannot write %s", path), -1;
  return 1;
}

static void block(FILE *f, ctr_fig_meta *m, const char *title) {
  fprintf(f, "%s# %s\n", m->blocks++ ? "\n\n" : "", title);
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
  size_t idx[MAXC * 8], n = family_by(in->s, in->ref, 0, keep_clean, idx, 1), nN = 0;
  if (n > MAXC) n = MAXC;
  m->left_out = left_out(in->s, keep_clean, idx, n);
  int with_d = several_d(in->s, idx, n);
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
    block(f, m, g->label), key_group(m, g, with_d);
    if (nby) C = bound_C(in, g, src, sizeof src); /* each family its own constant */
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
  size_t idx[MAXC * 8], n = family(in->s, in->ref, 0, keep_clean, idx);
  m->left_out = left_out(in->s, keep_clean, idx, n);
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
    block(f, m, t), key_num(m, "N", "N", Ns[b]);
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
  if (family(in->s, in->ref, 0, keep_clean, idx)) { /* the first family, if it has N* */
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
      block(f, m, t), key_num(m, "{/Symbol e}", "\\varepsilon", e[i].eps);
    }
    fprintf(f, "%d %.17g %.17g\n", e[i].d, e[i].nstar, e[i].eps);
  }
  return close_dat(f, path, err);
}

static int fig_w_vs_eps(const ctr_plot_input *in, const char *path, ctr_fig_meta *m,
                        ctr_error *err) {
  size_t idx[MAXC * 8], n = family(in->s, in->ref, 1, keep_err, idx);
  for (size_t i = 0; !n && i < in->s->ngroups; i++) /* else the first family with errors */
    if (keep_err(&in->s->groups[i])) n = family(in->s, in->s->groups[i].first, 1, keep_err, idx);
  if (!n) return skip(m, "no group with an injected error (eps > 0)");
  m->left_out = left_out(in->s, keep_err, idx, n);
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
    block(f, m, t), key_d(m, d);
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
  size_t idx[MAXC * 8], n = family_by(in->s, in->ref, 0, keep_clean, idx, 1), nN = 0;
  if (n > MAXC) n = MAXC;
  m->left_out = left_out(in->s, keep_clean, idx, n);
  int with_d = several_d(in->s, idx, n);
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
    block(f, m, g->label), key_group(m, g, with_d);
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
    char te[64], tt[80], e[200], t[240];
    name_txt(r->target, 0, te, sizeof te), name_txt(r->target, 1, tt, sizeof tt);
    if (r->K > 1 || !strcmp(r->target, "two_modes"))
      snprintf(e, sizeof e, "%s, {/Symbol s} = %g: %s (%s)", te, r->sigma, kind, r->engine),
          snprintf(t, sizeof t, "%s, $\\sigma = %g$: %s (%s)", tt, r->sigma, kind, r->engine);
    else
      snprintf(e, sizeof e, "%s: %s (%s)", te, kind, r->engine),
          snprintf(t, sizeof t, "%s: %s (%s)", tt, kind, r->engine);
    block(f, m, g->label), add_key(m, e, t);
    for (size_t k = 0; k < g->nN; k++)
      fprintf(f, "%.17g", g->N[k]), wcols(f, g, k), fputc('\n', f);
  }
  return close_dat(f, path, err);
}

static int in_by(const char *name) {
  for (int k = 0; k < nby; k++)
    if (!strcmp(by_f[k]->name, name)) return 1;
  return 0;
}

/* The settings every curve shares, from row r, as one line ("geometric target, paper schedule
 * (c0 = 2, c1 = 4), engine ct, error none; curves by c1"); columns in --by are not fixed. */
static void caption(ctr_fig_meta *m, const ctr_point *r, int fig) {
  char b[400] = "", t[96];
  size_t k = 0;
#define CAP(...) (k += (size_t)snprintf(b + k, k < sizeof b ? sizeof b - k : 0, __VA_ARGS__))
  if (fig == CTR_FIG_GAUSS_VS_MIXTURE) CAP("Gaussian and mixture targets at one d");
  else if (!in_by("target")) name_txt(r->target, 0, t, sizeof t), CAP("%s target", t);
  else CAP("targets by curve");
  if (fig != CTR_FIG_GAUSS_VS_MIXTURE && r->K > 1 && !in_by("K")) CAP(", K = %d", r->K);
  if (fig != CTR_FIG_GAUSS_VS_MIXTURE && r->K > 1 && !in_by("sigma") && isfinite(r->sigma)) CAP(", sigma = %g", r->sigma);
  if (!in_by("schedule")) {
    CAP(", %s schedule", r->schedule);
    if (!strcmp(r->schedule, "paper") && !in_by("c0") && !in_by("c1")) CAP(" (c0 = %g, c1 = %g)", r->c0, r->c1);
    else if (!strcmp(r->schedule, "paper") && !in_by("c1")) CAP(" (c1 = %g)", r->c1);
  }
  if (!in_by("engine") && fig != CTR_FIG_GAUSS_VS_MIXTURE) CAP(", engine %s", r->engine);
  if (fig == CTR_FIG_W_VS_EPS || fig == CTR_FIG_NSTAR) CAP(", injected error %s (eps > 0)", r->error);
  else if (!in_by("error")) CAP(", error-free (eps = 0)"); /* these figures draw eps = 0 groups */
  if (nby > !!facet_f && (fig == CTR_FIG_RATE_CURVE || fig == CTR_FIG_LOCAL_SLOPE)) {
    CAP("; curves by");
    for (int q = 0, n = 0; q < nby; q++)
      if (by_f[q] != facet_f) CAP("%s %s", n++ ? "," : "", by_f[q]->name);
  }
  if (facet_f && (fig == CTR_FIG_RATE_CURVE || fig == CTR_FIG_LOCAL_SLOPE)) CAP("; panels by %s", facet_f->name);
#undef CAP
  name_txt(b, 0, m->caption_e, sizeof m->caption_e); /* '_' is a subscript in gnuplot */
  name_txt(b, 1, m->caption_t, sizeof m->caption_t); /* and in LaTeX */
}

int ctr_fig_export(int fig, const ctr_plot_input *in, const char *path, ctr_fig_meta *meta,
                   ctr_error *err) {
  static int (*const fn[CTR_NFIG])(const ctr_plot_input *, const char *, ctr_fig_meta *,
                                   ctr_error *) = {fig_rate,     fig_w_vs_d, fig_nstar,
                                                   fig_w_vs_eps, fig_local,  fig_gvm};
  memset(meta, 0, sizeof *meta);
  wsym(in->metric, meta);
  cur_fig = fig;
  set_by(in, meta);
  int r = fn[fig](in, path, meta, err);
  if (r > 0) caption(meta, in->ref ? in->ref : in->s->groups[0].first, fig);
  return r;
}
