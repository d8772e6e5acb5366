#include "store/analysis_h5.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "store/results_h5.h"
#include "store/safe_output.h"

static ctr_status copy_file(const char *from, int to_fd, const char *to, ctr_error *err) {
  FILE *in = fopen(from, "rb");
  char buf[1 << 16];
  size_t k;
  int bad = !in;
  while (!bad && (k = fread(buf, 1, sizeof buf, in)) > 0)
    for (size_t off = 0; !bad && off < k;) {
      ssize_t w = write(to_fd, buf + off, k - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) bad = 1;
      else off += (size_t)w;
    }
  bad = bad || (in && ferror(in));
  if (in) fclose(in);
  return bad ? ctr_fail(err, CTR_EIO, "%s: cannot copy to %s (%s)", from, to, strerror(errno))
             : CTR_OK;
}

static herr_t put_strings(hid_t g, const char *name, const char *const *v, size_t n) {
  hid_t t = H5Tcopy(H5T_C_S1);
  hsize_t dim = n;
  hid_t sp = H5Screate_simple(1, &dim, NULL);
  herr_t rc = t < 0 || sp < 0 || H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0 ? -1 : 0;
  hid_t ds = rc ? -1 : H5Dcreate2(g, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (ds < 0 || (n && H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)) rc = -1;
  if (ds >= 0) H5Dclose(ds);
  if (sp >= 0) H5Sclose(sp);
  if (t >= 0) H5Tclose(t);
  return rc;
}

/* Variable-length UTF-8, as the root attributes: h5py reads str, not bytes. */
static herr_t put_string_attr(hid_t loc, const char *name, const char *v) {
  hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
  herr_t rc = t < 0 || sp < 0 || H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0 ? -1 : 0;
  hid_t a = rc ? -1 : H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  const char *value = v ? v : "";
  if (a < 0 || H5Awrite(a, t, &value) < 0) rc = -1;
  if (a >= 0) H5Aclose(a);
  if (sp >= 0) H5Sclose(sp);
  if (t >= 0) H5Tclose(t);
  return rc;
}

/* A table: a subgroup with one column per call; `rc` is sticky. */
typedef struct {
  hid_t g;
  hsize_t n;
  herr_t rc;
  double *d;
  int *i;
  const char **s;
} table;

static void table_open(table *t, hid_t parent, const char *name, size_t n) {
  t->g = H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  t->n = n, t->rc = t->g < 0 ? -1 : 0;
  t->d = malloc(sizeof(double) * (n ? n : 1)), t->i = malloc(sizeof(int) * (n ? n : 1));
  t->s = malloc(sizeof(char *) * (n ? n : 1));
  if (!t->d || !t->i || !t->s) t->rc = -1;
}

static void col_d(table *t, const char *name) {
  if (!t->rc && H5LTmake_dataset_double(t->g, name, 1, &t->n, t->d) < 0) t->rc = -1;
}
static void col_i(table *t, const char *name) {
  if (!t->rc && H5LTmake_dataset_int(t->g, name, 1, &t->n, t->i) < 0) t->rc = -1;
}
static void col_s(table *t, const char *name) {
  if (!t->rc && put_strings(t->g, name, t->s, t->n) < 0) t->rc = -1;
}
static herr_t table_close(table *t) {
  if (t->g >= 0 && H5Gclose(t->g) < 0) t->rc = -1;
  free(t->d), free(t->i), free(t->s);
  return t->rc;
}

#define FILL(t, n, arr, expr) for (size_t k_ = 0; k_ < (n); k_++) (t).arr[k_] = (expr)
#define COLD(t, n, name, expr) do { if (!(t).rc) FILL(t, n, d, expr); col_d(&(t), name); } while (0)
#define COLI(t, n, name, expr) do { if (!(t).rc) FILL(t, n, i, expr); col_i(&(t), name); } while (0)
#define COLS(t, n, name, expr) do { if (!(t).rc) FILL(t, n, s, expr); col_s(&(t), name); } while (0)

static herr_t write_groups(hid_t a, const ctr_scaling *s) {
  table t;
  size_t n = s->ngroups;
  const ctr_scaling_group *g = s->groups;
  table_open(&t, a, "groups", n);
  COLS(t, n, "label", g[k_].label);
  COLS(t, n, "family", g[k_].family);
  COLI(t, n, "d", g[k_].d);
  COLD(t, n, "eps", g[k_].eps);
  COLI(t, n, "n_N", (int)g[k_].nN);
  COLI(t, n, "replicates", (int)g[k_].replicates);
  COLI(t, n, "skipped", g[k_].skipped);
  COLI(t, n, "slope_points", (int)g[k_].slope.n);
  COLD(t, n, "slope", g[k_].slope.slope);
  COLD(t, n, "slope_lo", g[k_].slope.slope_lo);
  COLD(t, n, "slope_hi", g[k_].slope.slope_hi);
  COLS(t, n, "interval", g[k_].interval);
  COLI(t, n, "weighted", g[k_].slope.weighted);
  COLD(t, n, "useful_from", g[k_].useful_from);
  COLD(t, n, "boot_lo", g[k_].boot_lo);
  COLD(t, n, "boot_hi", g[k_].boot_hi);
  COLI(t, n, "floor_ok", g[k_].floor.ok);
  COLD(t, n, "floor_a", g[k_].floor.a);
  COLD(t, n, "floor_p", g[k_].floor.p);
  COLD(t, n, "floor_p_se", g[k_].floor.p_se);
  COLD(t, n, "floor_c", g[k_].floor.c);
  COLD(t, n, "floor_c_se", g[k_].floor.c_se);
  COLD(t, n, "ratio_max", g[k_].ratio_max);
  COLI(t, n, "sums_checked", (int)g[k_].sums_checked);
  COLI(t, n, "sums_held", (int)g[k_].sums_held);
  /* learned groups: W <= C shape + eps + eps_F (analysis/scaling_learned.c); NaN / 0 otherwise */
  COLD(t, n, "learned_C", g[k_].eps_meas ? g[k_].learned_C : NAN);
  COLS(t, n, "learned_C_from", g[k_].eps_meas ? g[k_].learned_C_from : "");
  COLD(t, n, "learned_C_need", g[k_].eps_meas ? g[k_].learned_C_need : NAN);
  COLI(t, n, "learned_checked", g[k_].eps_meas ? (int)g[k_].learned_n : 0);
  COLI(t, n, "learned_held", g[k_].eps_meas ? (int)g[k_].learned_held : 0);
  return table_close(&t);
}

static herr_t write_curves(hid_t a, const ctr_scaling *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->ngroups; i++) n += s->groups[i].nN;
  int *gi = malloc(sizeof(int) * (n ? n : 1));
  size_t *at = malloc(sizeof(size_t) * (n ? n : 1)); /* index within its group */
  if (!gi || !at) return free(gi), free(at), -1;
  for (size_t i = 0, r = 0; i < s->ngroups; i++)
    for (size_t k = 0; k < s->groups[i].nN; k++, r++) gi[r] = (int)i, at[r] = k;
  table t;
  const ctr_scaling_group *g = s->groups;
  table_open(&t, a, "curves", n);
  COLI(t, n, "group", gi[k_]);
  COLD(t, n, "N", g[gi[k_]].N[at[k_]]);
  COLD(t, n, "mean", g[gi[k_]].mean[at[k_]]);
  COLD(t, n, "lo", g[gi[k_]].lo[at[k_]]);
  COLD(t, n, "hi", g[gi[k_]].hi[at[k_]]);
  COLI(t, n, "replicates", g[gi[k_]].reps[at[k_]]);
  COLD(t, n, "se", g[gi[k_]].se[at[k_]]);
  COLD(t, n, "data_scale", g[gi[k_]].scale[at[k_]]);
  COLD(t, n, "shape", g[gi[k_]].shape[at[k_]]);
  COLI(t, n, "vacuous", g[gi[k_]].vacuous[at[k_]]);
  COLD(t, n, "eps_learned", g[gi[k_]].eps_meas ? g[gi[k_]].eps_meas[at[k_]] : NAN);
  COLD(t, n, "eps_F", g[gi[k_]].epsF_meas ? g[gi[k_]].epsF_meas[at[k_]] : NAN);
  /* local slope from this N to the next one of the group (NaN at the last N) */
  COLD(t, n, "local_slope", at[k_] + 1 < g[gi[k_]].nN ? g[gi[k_]].local[at[k_]] : NAN);
  COLD(t, n, "bound_local_slope", at[k_] + 1 < g[gi[k_]].nN ? g[gi[k_]].bound_local[at[k_]] : NAN);
  free(gi), free(at);
  return table_close(&t);
}

static herr_t write_families(hid_t a, const ctr_scaling *s) {
  table t;
  size_t n = s->ndexp;
  table_open(&t, a, "d_exponents", n);
  COLS(t, n, "family", s->dexp[k_].family);
  COLD(t, n, "N", s->dexp[k_].N);
  COLI(t, n, "n_d", (int)s->dexp[k_].n);
  COLD(t, n, "exponent", s->dexp[k_].fit.slope);
  COLD(t, n, "lo", s->dexp[k_].fit.slope_lo);
  COLD(t, n, "hi", s->dexp[k_].fit.slope_hi);
  COLS(t, n, "interval", s->dexp[k_].interval);
  COLI(t, n, "weighted", s->dexp[k_].fit.weighted);
  COLD(t, n, "scale_exponent", s->dexp[k_].scale_fit.slope);
  COLD(t, n, "rel_exponent", s->dexp[k_].rel_fit.slope);
  COLD(t, n, "rel_lo", s->dexp[k_].rel_fit.slope_lo);
  COLD(t, n, "rel_hi", s->dexp[k_].rel_fit.slope_hi);
  COLI(t, n, "vacuous", (int)s->dexp[k_].vacuous);
  herr_t rc = table_close(&t);
  n = s->nnstar;
  table_open(&t, a, "nstar", n);
  COLS(t, n, "family", s->nstar[k_].family);
  COLI(t, n, "d", s->nstar[k_].d);
  COLD(t, n, "eps", s->nstar[k_].eps);
  COLD(t, n, "nstar", s->nstar[k_].nstar);
  COLD(t, n, "bound_beta", s->nstar[k_].bound_beta);
  COLI(t, n, "asymptotic", s->nstar[k_].asymptotic);
  rc |= table_close(&t);
  n = s->nnfit;
  table_open(&t, a, "nstar_fit", n);
  COLS(t, n, "family", s->nfit[k_].family);
  COLI(t, n, "n", (int)s->nfit[k_].n);
  COLI(t, n, "ok", s->nfit[k_].ok);
  COLD(t, n, "alpha", s->nfit[k_].alpha);
  COLD(t, n, "alpha_lo", s->nfit[k_].alpha_lo);
  COLD(t, n, "alpha_hi", s->nfit[k_].alpha_hi);
  COLD(t, n, "beta", s->nfit[k_].beta);
  COLD(t, n, "beta_lo", s->nfit[k_].beta_lo);
  COLD(t, n, "beta_hi", s->nfit[k_].beta_hi);
  COLD(t, n, "const", s->nfit[k_].konst);
  COLD(t, n, "alpha_ln", s->nfit[k_].alpha_ln);
  COLD(t, n, "alpha_ln_lo", s->nfit[k_].alpha_ln_lo);
  COLD(t, n, "alpha_ln_hi", s->nfit[k_].alpha_ln_hi);
  COLD(t, n, "beta_ln", s->nfit[k_].beta_ln);
  COLD(t, n, "beta_ln_lo", s->nfit[k_].beta_ln_lo);
  COLD(t, n, "beta_ln_hi", s->nfit[k_].beta_ln_hi);
  COLD(t, n, "bound_alpha", s->nfit[k_].bound_alpha);
  COLD(t, n, "bound_beta", s->nfit[k_].bound_beta);
  COLD(t, n, "bound_alpha_ln", s->nfit[k_].bound_alpha_ln);
  COLD(t, n, "bound_beta_ln", s->nfit[k_].bound_beta_ln);
  COLD(t, n, "nstar_min", s->nfit[k_].nstar_min);
  COLD(t, n, "nstar_max", s->nfit[k_].nstar_max);
  COLS(t, n, "interval", s->nfit[k_].interval);
  rc |= table_close(&t);
  n = s->nconsts;
  table_open(&t, a, "constants", n);
  COLS(t, n, "family", s->consts[k_].family);
  COLD(t, n, "C", s->consts[k_].C);
  COLI(t, n, "asymptotic", s->consts[k_].asymptotic);
  COLD(t, n, "n_asym", s->consts[k_].n_asym);
  COLD(t, n, "trend", s->consts[k_].trend);
  COLD(t, n, "trend_lo", s->consts[k_].trend_lo);
  COLD(t, n, "trend_hi", s->consts[k_].trend_hi);
  COLD(t, n, "C_train", s->consts[k_].C_train);
  COLI(t, n, "test_n", (int)s->consts[k_].test_n);
  COLI(t, n, "test_exceed", (int)s->consts[k_].test_exceed);
  COLI(t, n, "pre_n", (int)s->consts[k_].pre_n);
  COLI(t, n, "pre_exceed", (int)s->consts[k_].pre_exceed);
  COLI(t, n, "vacuous", (int)s->consts[k_].vacuous);
  COLI(t, n, "points", (int)s->consts[k_].points);
  COLD(t, n, "useful_from", s->consts[k_].useful_from);
  COLS(t, n, "lipschitz_kind", s->consts[k_].lipschitz_kind);
  rc |= table_close(&t);
  n = s->ncN;
  table_open(&t, a, "c_of_N", n);
  COLS(t, n, "family", s->cN[k_].family);
  COLD(t, n, "N", s->cN[k_].N);
  COLD(t, n, "C", s->cN[k_].C);
  COLI(t, n, "d_at", s->cN[k_].d_at);
  COLI(t, n, "asymptotic", s->cN[k_].asymptotic);
  rc |= table_close(&t);
  return rc;
}

/* The exponent of L (analysis/scaling_lip.c): /analysis/l_exponents and /analysis/l_nstar. */
static herr_t write_lip(hid_t a, const ctr_scaling *s) {
  table t;
  size_t n = s->nlexp;
  const ctr_l_exponent *e = s->lexp;
  table_open(&t, a, "l_exponents", n);
  COLS(t, n, "family", e[k_].family);
  COLD(t, n, "N", e[k_].N);
  COLI(t, n, "n_widths", (int)e[k_].n);
  COLD(t, n, "log10_L_min", e[k_].log10_L_min);
  COLD(t, n, "log10_L_max", e[k_].log10_L_max);
  COLD(t, n, "exponent", e[k_].fit.slope);
  COLD(t, n, "lo", e[k_].fit.slope_lo);
  COLD(t, n, "hi", e[k_].fit.slope_hi);
  COLS(t, n, "interval", e[k_].interval);
  COLI(t, n, "weighted", e[k_].fit.weighted);
  COLS(t, n, "lipschitz_kind", e[k_].lipschitz_kind);
  herr_t rc = table_close(&t);
  n = s->nlnstar;
  const ctr_l_nstar *f = s->lnstar;
  table_open(&t, a, "l_nstar", n);
  COLS(t, n, "family", f[k_].family);
  COLS(t, n, "source", f[k_].source);
  COLI(t, n, "n", (int)f[k_].n);
  COLI(t, n, "widths", (int)f[k_].widths);
  COLI(t, n, "ok", f[k_].ok);
  COLI(t, n, "has_b", f[k_].has_b);
  COLD(t, n, "a", f[k_].a);
  COLD(t, n, "a_lo", f[k_].a_lo);
  COLD(t, n, "a_hi", f[k_].a_hi);
  COLD(t, n, "b", f[k_].b);
  COLD(t, n, "b_lo", f[k_].b_lo);
  COLD(t, n, "b_hi", f[k_].b_hi);
  COLD(t, n, "const", f[k_].konst);
  COLD(t, n, "bound_a", f[k_].bound_a);
  COLD(t, n, "bound_b", f[k_].bound_b);
  COLD(t, n, "nstar_min", f[k_].nstar_min);
  COLD(t, n, "nstar_max", f[k_].nstar_max);
  COLS(t, n, "interval", f[k_].interval);
  COLS(t, n, "lipschitz_kind", f[k_].lipschitz_kind);
  return rc | table_close(&t);
}

static ctr_status write_analysis(const char *tmp, const ctr_scaling *s, const char *report,
                                 ctr_error *err) {
  hid_t f = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) return ctr_fail(err, CTR_EIO, "%s: cannot open for writing", tmp);
  if (H5Lexists(f, "analysis", H5P_DEFAULT) > 0) H5Ldelete(f, "analysis", H5P_DEFAULT);
  hid_t a = H5Gcreate2(f, "analysis", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  char now[64];
  ctr_results_now(now, sizeof now);
  herr_t rc = a < 0 ? -1 : 0;
  char what[96], input[32];
  ctr_scaling_metric_label(s->metric, what, sizeof what, input, sizeof input);
  if (!rc) rc = put_string_attr(a, "metric", s->metric);
  if (!rc) rc = put_string_attr(a, "metric_what", what);
  if (!rc) rc = put_string_attr(a, "input", input);
  if (!rc) rc = put_string_attr(a, "se_metric", s->se_metric);
  if (!rc) rc = put_string_attr(a, "interval_kinds", "ci95: 95% confidence interval from "
                                "Monte Carlo standard errors or the spread over replicates; "
                                "curvature: t-interval of the least-squares slope of "
                                "deterministic values, measures departure from a line");
  if (!rc) rc = put_string_attr(a, "created", now);
  if (!rc) rc = put_string_attr(a, "version", ctr_results_version());
  if (!rc) rc = put_string_attr(a, "report", report);
  if (!rc) rc = write_groups(a, s);
  if (!rc) rc = write_curves(a, s);
  if (!rc) rc = write_families(a, s);
  if (!rc) rc = write_lip(a, s);
  if (a >= 0 && H5Gclose(a) < 0) rc = -1;
  if (H5Fclose(f) < 0) rc = -1;
  return rc < 0 ? ctr_fail(err, CTR_EIO, "%s: cannot write /analysis", tmp) : CTR_OK;
}

ctr_status ctr_analysis_write(const char *path, const ctr_scaling *s, const char *report,
                              ctr_error *err) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  size_t len = strlen(path);
  char *tmp = NULL, *journal = malloc(len + 9);
  int fd = -1, lock = -1;
  if (!journal) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  memcpy(journal, path, len), memcpy(journal + len, ".journal", 9);
  ctr_status st = access(journal, F_OK)
                      ? CTR_OK
                      : ctr_fail(err, CTR_EINPUT, "%s: a sweep is writing it or was interrupted "
                                 "(%s exists); finish it first", path, journal);
  /* One writer; the copy goes to an exclusive temporary, fsync'ed and renamed whole. */
  if (!st) st = ctr_output_lock(path, &lock, err);
  if (!st) st = ctr_tmp_create(path, &tmp, &fd, err);
  if (!st) st = copy_file(path, fd, tmp, err);
  if (!st) st = write_analysis(tmp, s, report, err);
  if (!st) st = ctr_tmp_commit(tmp, fd, path, err);
  else if (tmp) ctr_tmp_discard(tmp);
  if (fd >= 0) close(fd);
  ctr_output_unlock(path, lock);
  free(tmp), free(journal);
  H5Eclear2(H5E_DEFAULT);
  return st;
}
