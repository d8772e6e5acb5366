/* analysis/figure_keys.c: which groups make a figure's curves (--by, --facet), and the words a
 * figure carries: curve keys, the name of W on the axis, the caption (analysis/figure_internal.h). */
#include "analysis/figure_internal.h"
#include "core/escape.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static int nby, hidden[MAXBY]; /* hidden: a column that takes one value per target (or, for an
                                  engine's sizes, per engine): it splits nothing the target's
                                  name does not, so keys and captions leave it out */

/* the parameter columns: target .. chains but N and path, and the learned engine's (they sit
 * after the metrics in core/point.h; analysis/scaling.c groups by them too) */
static int is_param_field(const ctr_field *f, int *in) {
  static const char *const learned[] = {"train_n", "sample_mode", "train_sampler", "ridge", "degree", "features",
                                        "n_features", "bandwidth", "rbf_width", "centres"};
  if (!strcmp(f->name, "target")) *in = 1;
  int yes = *in && strcmp(f->name, "N") && strcmp(f->name, "path");
  if (!strcmp(f->name, "chains")) *in = 0;
  for (size_t i = 0; i < sizeof learned / sizeof learned[0]; i++) yes |= !strcmp(f->name, learned[i]);
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
                      "c0, c1, beta_min, beta_max, cosine_s, engine, error, eps, points, chains, train_n, ...)", w);
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

/* The --by columns, or without --by every parameter column that varies among the groups the
 * figure draws (keep) but N, d, eps and error (error stays in the figures of injected errors,
 * where two error models are two families); the x axis and the built-in curves (d in w_vs_d
 * and nstar, eps in nstar and w_vs_eps) are never --by columns there. */
static const ctr_field *facet_f; /* --facet: one of by_f, split into panels, not keys */
static const ctr_point *facet_rep[MAXC];

int ctr_fig_keep_clean(grp *g) { return ctr_fig_errfree(g->first); }
int ctr_fig_keep_err(grp *g) { return !ctr_fig_errfree(g->first) && g->eps > 0; }
int ctr_fig_errfree(const ctr_point *r) { return r->eps == 0 || !strcmp(r->error, "none"); }

/* Column f takes one value per value of column e among the groups keep() accepts. */
static int determined(const ctr_scaling *s, int (*keep)(grp *), const ctr_field *e, const ctr_field *f) {
  for (size_t g = 0; g < s->ngroups; g++)
    for (size_t h = g + 1; keep(&s->groups[g]) && h < s->ngroups; h++)
      if (keep(&s->groups[h]) && !field_differs(s->groups[g].first, s->groups[h].first, e) &&
          field_differs(s->groups[g].first, s->groups[h].first, f))
        return 0;
  return 1;
}

void ctr_fig_set_by(const ctr_plot_input *in, ctr_fig_meta *m, int fig) {
  nby = 0, facet_f = NULL;
  int inside = 0, err_fig = fig == CTR_FIG_NSTAR || fig == CTR_FIG_W_VS_EPS;
  int (*keep)(grp *) = err_fig ? ctr_fig_keep_err : ctr_fig_keep_clean;
  const ctr_point *first = NULL;
  for (size_t g = 0; g < in->s->ngroups && !first; g++)
    if (keep(&in->s->groups[g])) first = in->s->groups[g].first;
  for (size_t i = 0; i < ctr_point_nfields && nby < MAXBY; i++) {
    const ctr_field *f = &ctr_point_fields[i];
    if (!is_param_field(f, &inside)) continue;
    int want = 0, builtin = (!strcmp(f->name, "d") && fig != CTR_FIG_RATE_CURVE &&
                             fig != CTR_FIG_LOCAL_SLOPE) || (!strcmp(f->name, "eps") && err_fig);
    if (in->by) {
      size_t n = strlen(f->name);
      for (const char *p = in->by; (p = strstr(p, f->name)); p += n)
        want |= (p == in->by || p[-1] == ',') && (p[n] == ',' || !p[n]);
    } else if (strcmp(f->name, "d") && strcmp(f->name, "eps") && (err_fig || strcmp(f->name, "error"))) {
      for (size_t g = 0; first && g < in->s->ngroups && !want; g++)
        want = keep(&in->s->groups[g]) && field_differs(first, in->s->groups[g].first, f);
    }
    want &= !builtin;
    if (in->facet && !strcmp(in->facet, f->name)) /* panels; gauss_vs_mixture: keyed curves */
      want = 1, facet_f = fig == CTR_FIG_GAUSS_VS_MIXTURE ? NULL : f;
    if (want) hidden[nby] = 0, by_f[nby++] = f;
  }
  /* Without --by: a column with one value per target ("geometric" has lambda_min 0.01,
   * "two_modes" none) or an engine's own sizes (points, chains) are carried, not named:
   * "CD (distill)", not "CD (distill), chains = 0". */
  for (int k = 1; !in->by && k < nby; k++)
    for (int e = 0; e < nby && !hidden[k]; e++) {
      int sizes = !strcmp(by_f[k]->name, "points") || !strcmp(by_f[k]->name, "chains");
      if (by_f[k] != facet_f && ((!strcmp(by_f[e]->name, "target") && strcmp(by_f[k]->name, "engine")) ||
                                 (!strcmp(by_f[e]->name, "engine") && sizes)))
        hidden[k] = determined(in->s, keep, by_f[e], by_f[k]);
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
    if (!strcmp(by_f[k]->name, "target")) /* the algebra path and a growing radius go with it */
      memcpy(t.path, a->path, sizeof t.path), t.radius = a->radius, t.radius_growing = a->radius_growing;
    if (!strcmp(by_f[k]->name, "schedule")) /* each schedule's own parameters go with it */
      t.c0 = a->c0, t.c1 = a->c1, t.beta_min = a->beta_min, t.beta_max = a->beta_max,
      t.cosine_s = a->cosine_s, t.rho = a->rho, t.sigma_min = a->sigma_min, t.sigma_max = a->sigma_max,
      t.curriculum_n0 = a->curriculum_n0, t.curriculum_stages = a->curriculum_stages;
  }
  if (a->eps == 0 && t.eps == 0) /* no error at all: the error model's name changes nothing */
    memcpy(t.error, a->error, sizeof t.error);
  return ctr_scaling_same_family(a, &t, skip_eps);
}

int ctr_fig_same_by(const ctr_point *a, const ctr_point *b) {
  for (int k = 0; k < nby; k++)
    if (field_differs(a, b, by_f[k])) return 0;
  return 1;
}

/* Groups of ref's family (eps too unless skip_eps; with use_by, any values of the --by
 * columns) that keep(g) accepts, sorted by eps, then by d, at most one per (d, eps, by). */
size_t ctr_fig_family_by(const ctr_scaling *s, const ctr_point *ref, int skip_eps, int (*keep)(grp *),
                         size_t *idx, int use_by) {
  size_t m = 0;
  for (size_t i = 0; ref && i < s->ngroups && m < MAXC * 8; i++) {
    grp *g = &s->groups[i];
    int dup = 0;
    for (size_t j = 0; j < m; j++)
      dup |= s->groups[idx[j]].d == g->d && s->groups[idx[j]].eps == g->eps &&
             (!use_by || ctr_fig_same_by(s->groups[idx[j]].first, g->first));
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

size_t ctr_fig_family(const ctr_scaling *s, const ctr_point *ref, int skip_eps, int (*keep)(grp *),
                      size_t *idx) {
  return ctr_fig_family_by(s, ref, skip_eps, keep, idx, 0);
}

/* Groups keep() accepts that idx[0..n) does not hold: what the figure leaves out. */
size_t ctr_fig_left_out(const ctr_scaling *s, int (*keep)(grp *), const size_t *idx, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < s->ngroups; i++) {
    int in = 0;
    for (size_t j = 0; j < n; j++) in |= idx[j] == i;
    /* an error-free group that differs from a drawn one only in the error model's name
     * (eps = 0: no error at all) holds the same numbers: it is not left out */
    for (size_t j = 0; j < n && !in && s->groups[i].eps == 0; j++) {
      ctr_point t = *s->groups[i].first;
      snprintf(t.error, sizeof t.error, "%s", s->groups[idx[j]].first->error);
      in = s->groups[idx[j]].d == s->groups[i].d && s->groups[idx[j]].eps == 0 &&
           ctr_scaling_same_family(&t, s->groups[idx[j]].first, 0);
    }
    k += !in && keep(&s->groups[i]);
  }
  return k;
}

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

/* A name (from a result file: any bytes) as literal text of the figure's language: gnuplot's
 * enhanced text with '_' read as a space ("two modes"), or LaTeX (core/escape.h). */
void ctr_fig_name_txt(const char *s, int tex, char *buf, size_t n) {
  if (tex) ctr_escape_latex(s, buf, n);
  else ctr_escape_gp_enhanced(s, 1, buf, n);
}

/* A key is added whole or empty (a title cut inside an escape would not be valid text). */
static void add_whole(char *keys, size_t size, const char *key) {
  size_t k = strlen(keys), len = strlen(key);
  if (k + (k ? 1 : 0) + len < size) snprintf(keys + k, size - k, "%s%s", k ? "|" : "", key);
  else if (k + 2 < size) snprintf(keys + k, size - k, "%s", k ? "|" : "");
}

void ctr_fig_add_key(ctr_fig_meta *m, const char *e, const char *t) {
  add_whole(m->keys_e, sizeof m->keys_e, e);
  add_whole(m->keys_t, sizeof m->keys_t, t);
}

void ctr_fig_key_d(ctr_fig_meta *m, int d) {
  char e[64], t[64];
  snprintf(e, sizeof e, "d = %d", d), snprintf(t, sizeof t, "$d = %d$", d);
  ctr_fig_add_key(m, e, t);
}

/* One column's value in row r as text: e (gnuplot) and t (LaTeX), and the column's own name. */
static void value_txt(const ctr_field *f, const ctr_point *r, char *ve, char *vt, size_t n,
                      char *ne, char *nt, size_t nn) {
  char v[96];
  const char *p = (const char *)r + f->offset;
  if (f->kind == CTR_KIND_STR)
    snprintf(v, sizeof v, "%.*s", (int)f->size, p), ctr_fig_name_txt(v, 0, ve, n), ctr_fig_name_txt(v, 1, vt, n);
  else if (f->kind == CTR_KIND_F64)
    snprintf(ve, n, "%g", *(const double *)p), snprintf(vt, n, "%s", ve);
  else
    snprintf(ve, n, "%lld", f->kind == CTR_KIND_I32 ? (long long)*(const int32_t *)p : (long long)*(const int64_t *)p), snprintf(vt, n, "%s", ve);
  if (!strcmp(f->name, "engine")) { /* the experiment's words: CT or CD, and which engine */
    int cd = !strcmp(p, "cd") || !strcmp(p, "distill");
    char xe[160], xt[320];
    snprintf(v, sizeof v, "%.*s", (int)f->size, p);
    ctr_escape_gp_enhanced(v, 0, xe, sizeof xe), ctr_escape_latex(v, xt, sizeof xt);
    snprintf(ve, n, "%s (%s)", cd ? "CD" : "CT", xe), snprintf(vt, n, "%s (%s)", cd ? "CD" : "CT", xt);
  }
  ctr_fig_name_txt(f->name, 0, ne, nn), ctr_fig_name_txt(f->name, 1, nt, nn);
  if (!strcmp(f->name, "sigma")) snprintf(ne, nn, "{/Symbol s}"), snprintf(nt, nn, "$\\sigma$");
  if (!strcmp(f->name, "eps")) snprintf(ne, nn, "{/Symbol e}"), snprintf(nt, nn, "$\\varepsilon$");
}

/* A family's words: its --by values but the facet column ("CT (ct), sigma = 0.1"; a name
 * speaks for itself: "chain", not "engine = chain") and, with with_d, d. */
void ctr_fig_group_text(grp *g, int with_d, char *e, char *t, size_t n) {
  char ve[400], vt[800], ne[160], nt[320];
  int shown = 0;
  e[0] = t[0] = '\0';
  for (int k = 0; k < nby; k++) {
    const ctr_field *f = by_f[k];
    if (f == facet_f || hidden[k]) continue;
    if (f->kind == CTR_KIND_F64 && isnan(*(const double *)((const char *)g->first + f->offset)))
      continue; /* not a parameter of this group's target */
    value_txt(f, g->first, ve, vt, sizeof ve, ne, nt, sizeof ne);
    int plain = f->kind == CTR_KIND_STR;
    snprintf(e + strlen(e), n - strlen(e), "%s%s%s%s", shown ? ", " : "", plain ? "" : ne, plain ? "" : " = ", ve);
    snprintf(t + strlen(t), n - strlen(t), "%s%s%s%s", shown++ ? ", " : "", plain ? "" : nt, plain ? "" : " $=$ ", vt);
  }
  if (with_d) {
    snprintf(e + strlen(e), n - strlen(e), "%sd = %d", shown ? ", " : "", g->d);
    snprintf(t + strlen(t), n - strlen(t), "%s$d = %d$", shown ? ", " : "", g->d);
  }
}

/* The shown --by column (not the facet, not hidden) with the most distinct values among the
 * groups gi[0, n), when two or more are shown; else -1. */
int ctr_fig_split_col(const ctr_scaling *s, const size_t *gi, int n) {
  int best = -1, most = 0, shown = 0;
  for (int k = 0; k < nby; k++) {
    if (by_f[k] == facet_f || hidden[k]) continue;
    shown++;
    int nd = 0;
    for (int i = 0; i < n; i++) {
      int seen = 0;
      for (int j = 0; j < i && !seen; j++) seen = !field_differs(s->groups[gi[i]].first, s->groups[gi[j]].first, by_f[k]);
      nd += !seen;
    }
    if (nd > most) most = nd, best = k;
  }
  return shown >= 2 ? best : -1;
}

/* Group g's words for column k only (e1, t1) and for the other shown columns (e2, t2). */
void ctr_fig_group_text_split(grp *g, int k, char *e1, char *t1, char *e2, char *t2, size_t n) {
  int keep = hidden[k];
  hidden[k] = 1, ctr_fig_group_text(g, 0, e2, t2, n), hidden[k] = keep;
  char ve[400], vt[800], ne[160], nt[320];
  value_txt(by_f[k], g->first, ve, vt, sizeof ve, ne, nt, sizeof ne);
  int plain = by_f[k]->kind == CTR_KIND_STR;
  snprintf(e1, n, "%s%s%s", plain ? "" : ne, plain ? "" : " = ", ve);
  snprintf(t1, n, "%s%s%s", plain ? "" : nt, plain ? "" : " $=$ ", vt);
}

/* Group g's panel (--facet): the index of its facet value, a new panel (with its title naming
 * the column and the value: "engine = CT (chain)") for a new value; 0 without --facet. */
int ctr_fig_panel(ctr_fig_meta *m, grp *g) {
  if (!facet_f) return 0;
  int j = 0;
  while (j < m->nfacets && field_differs(facet_rep[j], g->first, facet_f)) j++;
  if (j == m->nfacets && j < MAXC) {
    facet_rep[m->nfacets++] = g->first;
    char ve[400], vt[800], ne[160], nt[320];
    value_txt(facet_f, g->first, ve, vt, sizeof ve, ne, nt, sizeof ne);
    char pe[600], pt[1200];
    snprintf(pe, sizeof pe, "%.160s = %.400s", ne, ve), snprintf(pt, sizeof pt, "%.320s $=$ %.800s", nt, vt);
    add_whole(m->facets_e, sizeof m->facets_e, pe);
    add_whole(m->facets_t, sizeof m->facets_t, pt);
  }
  return j;
}

/* The point type of colour c (1-based), as style.gp's linetypes: 7 5 9 11 13 15 7 5. */
int ctr_fig_pt(int c) {
  static const int pt[8] = {7, 5, 9, 11, 13, 15, 7, 5};
  return pt[(c - 1 + 8 * 64) % 8];
}

static void append_int(char *buf, size_t n, int v) {
  size_t k = strlen(buf);
  snprintf(buf + k, n > k ? n - k : 0, "%s%d", k ? " " : "", v);
}

/* The next block's panel, colour, dash type and point type. */
void ctr_fig_block_style(ctr_fig_meta *m, int panel, int lt, int dt, int pt) {
  append_int(m->facet_of, sizeof m->facet_of, panel);
  append_int(m->colour_of, sizeof m->colour_of, lt);
  append_int(m->dt_of, sizeof m->dt_of, dt);
  append_int(m->pt_of, sizeof m->pt_of, pt);
}

void ctr_fig_legend_add(ctr_fig_meta *m, const char *e, const char *t, int lt, int dt, int pt) {
  if (m->nlegend >= MAXC) return;
  size_t ke = strlen(m->legend_e), kt = strlen(m->legend_t);
  snprintf(m->legend_e + ke, sizeof m->legend_e - ke, "%s%s", m->nlegend ? "|" : "", e);
  snprintf(m->legend_t + kt, sizeof m->legend_t - kt, "%s%s", m->nlegend ? "|" : "", t);
  append_int(m->legend_lt, sizeof m->legend_lt, lt);
  append_int(m->legend_dt, sizeof m->legend_dt, dt);
  append_int(m->legend_pt, sizeof m->legend_pt, pt);
  m->nlegend++;
}

/* Without a legend of its own, a figure's legend is one entry per distinct block key, in the
 * block's colour (so a key shared by panels, or repeated, is listed once). */
void ctr_fig_legend_from_keys(ctr_fig_meta *m) {
  if (m->nlegend) return;
  char seen[MAXC][256];
  const char *pe = m->keys_e, *pt = m->keys_t, *pc = m->colour_of;
  for (int b = 0; b < m->blocks && *pe; b++) {
    const char *be = strchr(pe, '|'), *bt = strchr(pt, '|');
    size_t le = be ? (size_t)(be - pe) : strlen(pe), lt = bt ? (size_t)(bt - pt) : strlen(pt);
    char e[256], t[256];
    snprintf(e, sizeof e, "%.*s", (int)le, pe), snprintf(t, sizeof t, "%.*s", (int)lt, pt);
    char *end;
    long c = *pc ? strtol(pc, &end, 10) : b + 1;
    if (*pc) pc = end;
    int dup = 0;
    for (int q = 0; q < m->nlegend && !dup; q++) dup = !strcmp(seen[q], e);
    if (!dup && m->nlegend < MAXC)
      snprintf(seen[m->nlegend], sizeof seen[0], "%s", e), ctr_fig_legend_add(m, e, t, (int)c, 1, ctr_fig_pt((int)c));
    pe += le + (be != NULL), pt += lt + (bt != NULL);
  }
}

/* A curve's key: its --by values and, when d varies among the curves, d (its colour, dash and
 * panel: ctr_fig_factor_d, once every curve is known). */
void ctr_fig_key_group(ctr_fig_meta *m, grp *g, int with_d) {
  char e[256], t[256];
  ctr_fig_group_text(g, with_d, e, t, sizeof e);
  if (!e[0]) ctr_fig_group_text(g, 1, e, t, sizeof e);
  ctr_fig_add_key(m, e, t);
}

int ctr_fig_several_d(const ctr_scaling *s, const size_t *idx, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (s->groups[idx[i]].d != s->groups[idx[0]].d) return 1;
  return 0;
}

void ctr_fig_num_txt(const char *sym_e, const char *sym_t, double x, char *e, char *t, size_t n) {
  char ne[64], nt[64];
  num(x, 0, ne, sizeof ne), num(x, 1, nt, sizeof nt);
  snprintf(e, n, "%s = %s", sym_e, ne), snprintf(t, n, "$%s = %s$", sym_t, nt);
}

void ctr_fig_key_num(ctr_fig_meta *m, const char *sym_e, const char *sym_t, double x) {
  char e[128], t[128];
  ctr_fig_num_txt(sym_e, sym_t, x, e, t, sizeof e);
  ctr_fig_add_key(m, e, t);
}

/* A block's "# by: engine=ct sigma=0.1" line: its values of the --by (and --facet) columns,
 * so that a reader of the data file (and the tests) can tell the curves apart. */
void ctr_fig_by_line(FILE *f, grp *g) {
  fprintf(f, "# by:");
  for (int k = 0; k < nby; k++) {
    const char *p = (const char *)g->first + by_f[k]->offset;
    if (by_f[k]->kind == CTR_KIND_STR) fprintf(f, " %s=%.*s", by_f[k]->name, (int)by_f[k]->size, p);
    else if (by_f[k]->kind == CTR_KIND_F64) fprintf(f, " %s=%.17g", by_f[k]->name, *(const double *)p);
    else if (by_f[k]->kind == CTR_KIND_I32) fprintf(f, " %s=%d", by_f[k]->name, (int)*(const int32_t *)p);
    else fprintf(f, " %s=%lld", by_f[k]->name, (long long)*(const int64_t *)p);
  }
  fprintf(f, "\n");
}

/* W's name on the y axis, from the metric asked for: what it measures and its input
 * ("W_1 upper bound, input N(0, I)"), so that no axis leaves the quantity to the caption. */
void ctr_fig_wsym(const char *metric, ctr_fig_meta *m) {
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
  ctr_fig_name_txt(metric, 0, e, sizeof e), ctr_fig_name_txt(metric, 1, t, sizeof t);
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

int ctr_fig_in_by(const char *name) {
  for (int k = 0; k < nby; k++)
    if (!strcmp(by_f[k]->name, name)) return 1;
  return 0;
}

/* The caption's two lines b[0, cut) and b[cut + 2, end) (cut: the offset of the "; " or ", "
 * it breaks at, or -1 for one line) escaped one by one and joined by '|', style.gp's line
 * break, so that a '|' inside a name stays text. */
static void caption_txt(const char *b, long cut, int tex, char *out, size_t n) {
  char line[400];
  size_t len = cut < 0 ? strlen(b) : (size_t)cut;
  snprintf(line, sizeof line, "%.*s", (int)len, b);
  ctr_fig_name_txt(line, tex, out, n);
  size_t k = strlen(out);
  if (cut < 0 || k + 2 >= n) return;
  out[k++] = '|', out[k] = '\0';
  ctr_fig_name_txt(b + cut + 2, tex, out + k, n - k);
}

/* The settings every curve shares, from row r, as one line ("geometric target, paper schedule
 * (c0 = 2, c1 = 4), engine ct, error none; curves by c1"); columns in --by are not fixed. */
void ctr_fig_caption(ctr_fig_meta *m, const ctr_point *r, int fig) {
  char b[400] = "";
  size_t k = 0;
#define CAP(...) (k += (size_t)snprintf(b + k, k < sizeof b ? sizeof b - k : 0, __VA_ARGS__))
  if (fig == CTR_FIG_GAUSS_VS_MIXTURE) CAP("Gaussian and mixture targets at one d");
  else if (!ctr_fig_in_by("target")) CAP("%s target", r->target); /* raw: escaped below */
  else CAP("targets by curve");
  if (fig != CTR_FIG_GAUSS_VS_MIXTURE && r->K > 1 && !ctr_fig_in_by("K")) CAP(", K = %d", r->K);
  if (fig != CTR_FIG_GAUSS_VS_MIXTURE && r->K > 1 && !ctr_fig_in_by("sigma") && isfinite(r->sigma)) CAP(", sigma = %g", r->sigma);
  if (!ctr_fig_in_by("schedule")) {
    CAP(", %s schedule", r->schedule);
    if (!strcmp(r->schedule, "paper") && !ctr_fig_in_by("c0") && !ctr_fig_in_by("c1")) CAP(" (c0 = %g, c1 = %g)", r->c0, r->c1);
    else if (!strcmp(r->schedule, "paper") && !ctr_fig_in_by("c1")) CAP(" (c1 = %g)", r->c1);
  }
  if (!ctr_fig_in_by("engine") && fig != CTR_FIG_GAUSS_VS_MIXTURE) CAP(", engine %s", r->engine);
  if ((fig == CTR_FIG_W_VS_EPS || fig == CTR_FIG_NSTAR) && !ctr_fig_in_by("error"))
    CAP(", injected error %s (eps > 0)", r->error);
  else if (fig == CTR_FIG_W_VS_EPS || fig == CTR_FIG_NSTAR) CAP(", injected errors (eps > 0)");
  else if (!ctr_fig_in_by("error")) CAP(", error-free (eps = 0)"); /* these figures draw eps = 0 groups */
  int shown = 0;
  for (int q = 0; q < nby; q++) shown += by_f[q] != facet_f && !hidden[q];
  if (shown && fig != CTR_FIG_GAUSS_VS_MIXTURE) {
    CAP("; curves by");
    for (int q = 0, n = 0; q < nby; q++)
      if (by_f[q] != facet_f && !hidden[q]) CAP("%s %s", n++ ? "," : "", by_f[q]->name);
  }
  if (facet_f) CAP("; panels by %s", facet_f->name);
#undef CAP
  /* two lines when long: a 5 in wide PDF holds about 80 characters of the 8 pt caption. The
   * break ('|') goes at the last "; " (else ", ") that leaves at most 75 on the first line. */
  long at = -1;
  if (strlen(b) > 75) {
    char *cut = NULL;
    for (const char *sep = "; "; !cut && sep; sep = strcmp(sep, "; ") ? NULL : ", ")
      for (char *p = strstr(b, sep); p && p - b <= 75; p = strstr(p + 1, sep)) cut = p;
    if (cut) at = cut - b;
  }
  caption_txt(b, at, 0, m->caption_e, sizeof m->caption_e);
  caption_txt(b, at, 1, m->caption_t, sizeof m->caption_t);
}

int ctr_fig_nby(void) { return nby; }
