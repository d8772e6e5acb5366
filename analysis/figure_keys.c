/* analysis/figure_keys.c: which groups make a figure's curves (--by, --facet), and the words a
 * figure carries: curve keys, the name of W on the axis, the caption (analysis/figure_internal.h). */
#include "analysis/figure_internal.h"

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
static int nby;

/* the parameter columns: target .. chains but N and path, and the learned engine's (they sit
 * after the metrics in core/point.h; analysis/scaling.c groups by them too) */
static int is_param_field(const ctr_field *f, int *in) {
  static const char *const learned[] = {"train_n", "sample_mode", "ridge", "degree", "features",
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

/* The --by columns, or without --by every parameter column that varies among the groups but
 * N, d, eps and error (the figures place those themselves). */
static const ctr_field *facet_f; /* --facet: one of by_f, split into panels, not keys */
static const ctr_point *facet_rep[MAXC];

void ctr_fig_set_by(const ctr_plot_input *in, ctr_fig_meta *m, int fig) {
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
      want = 1, facet_f = fig == CTR_FIG_RATE_CURVE ? f : NULL;
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
size_t ctr_fig_family_by(const ctr_scaling *s, const ctr_point *ref, int skip_eps, int (*keep)(grp *),
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

/* A target or engine name as text: '_' is a subscript in gnuplot and LaTeX. */
void ctr_fig_name_txt(const char *s, int tex, char *buf, size_t n) {
  size_t k = 0;
  for (; *s && k + 3 < n; s++) {
    if (*s == '_' && tex)
      buf[k++] = '\\', buf[k++] = '_';
    else
      buf[k++] = *s == '_' ? ' ' : *s;
  }
  buf[k] = '\0';
}

void ctr_fig_add_key(ctr_fig_meta *m, const char *e, const char *t) {
  size_t ke = strlen(m->keys_e), kt = strlen(m->keys_t);
  snprintf(m->keys_e + ke, sizeof m->keys_e - ke, "%s%s", ke ? "|" : "", e);
  snprintf(m->keys_t + kt, sizeof m->keys_t - kt, "%s%s", kt ? "|" : "", t);
}

void ctr_fig_key_d(ctr_fig_meta *m, int d) {
  char e[64], t[64];
  snprintf(e, sizeof e, "d = %d", d), snprintf(t, sizeof t, "$d = %d$", d);
  ctr_fig_add_key(m, e, t);
}

/* A curve's key: its --by values and, when d varies among the curves, d. */
void ctr_fig_key_group(ctr_fig_meta *m, grp *g, int with_d) {
  char e[256] = "", t[256] = "", v[96], ve[128], vt[128];
  int shown = 0;
  for (int k = 0; k < nby; k++) {
    const ctr_field *f = by_f[k];
    const char *p = (const char *)g->first + f->offset;
    if (f == facet_f) continue;
    if (f->kind == CTR_KIND_STR) snprintf(v, sizeof v, "%.*s", (int)f->size, p), ctr_fig_name_txt(v, 0, ve, sizeof ve), ctr_fig_name_txt(v, 1, vt, sizeof vt);
    else if (f->kind == CTR_KIND_F64) snprintf(ve, sizeof ve, "%g", *(const double *)p), snprintf(vt, sizeof vt, "%s", ve);
    else snprintf(ve, sizeof ve, "%lld", f->kind == CTR_KIND_I32 ? (long long)*(const int32_t *)p : (long long)*(const int64_t *)p), snprintf(vt, sizeof vt, "%s", ve);
    if (!strcmp(f->name, "engine")) { /* the experiment's words: CT or CD, and which engine */
      int cd = !strcmp(v, "cd") || !strcmp(v, "distill");
      snprintf(ve, sizeof ve, "%s (%s)", cd ? "CD" : "CT", v), snprintf(vt, sizeof vt, "%s", ve);
    }
    int plain = f->kind == CTR_KIND_STR; /* a name speaks for itself: "chain", not "engine = chain" */
    char ne[64], nt[64];
    ctr_fig_name_txt(f->name, 0, ne, sizeof ne), ctr_fig_name_txt(f->name, 1, nt, sizeof nt);
    if (!strcmp(f->name, "sigma")) snprintf(ne, sizeof ne, "{/Symbol s}"), snprintf(nt, sizeof nt, "$\\sigma$");
    snprintf(e + strlen(e), sizeof e - strlen(e), "%s%s%s%s", shown ? ", " : "", plain ? "" : ne, plain ? "" : " = ", ve);
    snprintf(t + strlen(t), sizeof t - strlen(t), "%s%s%s%s", shown++ ? ", " : "", plain ? "" : nt, plain ? "" : " $=$ ", vt);
  }
  if (with_d || !shown) {
    snprintf(e + strlen(e), sizeof e - strlen(e), "%sd = %d", shown ? ", " : "", g->d);
    snprintf(t + strlen(t), sizeof t - strlen(t), "%s$d = %d$", shown ? ", " : "", g->d);
  }
  ctr_fig_add_key(m, e, t);
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
    ctr_fig_name_txt(pe, 0, pt, sizeof pt), snprintf(pe, sizeof pe, "%s", pt), ctr_fig_name_txt(pe, 1, pt, sizeof pt);
    size_t ke = strlen(m->facets_e), kt = strlen(m->facets_t);
    snprintf(m->facets_e + ke, sizeof m->facets_e - ke, "%s%s", ke ? "|" : "", pe);
    snprintf(m->facets_t + kt, sizeof m->facets_t - kt, "%s%s", kt ? "|" : "", pt);
  }
  size_t k = strlen(m->facet_of);
  snprintf(m->facet_of + k, sizeof m->facet_of - k, "%s%d", k ? " " : "", j);
}

int ctr_fig_several_d(const ctr_scaling *s, const size_t *idx, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (s->groups[idx[i]].d != s->groups[idx[0]].d) return 1;
  return 0;
}

void ctr_fig_key_num(ctr_fig_meta *m, const char *sym_e, const char *sym_t, double x) {
  char ne[64], nt[64], e[128], t[128];
  num(x, 0, ne, sizeof ne), num(x, 1, nt, sizeof nt);
  snprintf(e, sizeof e, "%s = %s", sym_e, ne), snprintf(t, sizeof t, "$%s = %s$", sym_t, nt);
  ctr_fig_add_key(m, e, t);
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

static int in_by(const char *name) {
  for (int k = 0; k < nby; k++)
    if (!strcmp(by_f[k]->name, name)) return 1;
  return 0;
}

/* The settings every curve shares, from row r, as one line ("geometric target, paper schedule
 * (c0 = 2, c1 = 4), engine ct, error none; curves by c1"); columns in --by are not fixed. */
void ctr_fig_caption(ctr_fig_meta *m, const ctr_point *r, int fig) {
  char b[400] = "", t[96];
  size_t k = 0;
#define CAP(...) (k += (size_t)snprintf(b + k, k < sizeof b ? sizeof b - k : 0, __VA_ARGS__))
  if (fig == CTR_FIG_GAUSS_VS_MIXTURE) CAP("Gaussian and mixture targets at one d");
  else if (!in_by("target")) ctr_fig_name_txt(r->target, 0, t, sizeof t), CAP("%s target", t);
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
  ctr_fig_name_txt(b, 0, m->caption_e, sizeof m->caption_e); /* '_' is a subscript in gnuplot */
  ctr_fig_name_txt(b, 1, m->caption_t, sizeof m->caption_t); /* and in LaTeX */
}

int ctr_fig_nby(void) { return nby; }
