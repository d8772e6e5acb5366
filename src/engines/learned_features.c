/* engines/learned_features.c: random Fourier features and radial basis functions, CT from
 * samples in d = 1 (engines/learned_features.h, theory.md §13.4). */
#include "engines/learned_features.h"
#include "engines/learned_poly.h" /* ctr_learned_pairs_1d, ctr_learned_gh_rule */

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multifit.h>

#include "core/rng.h"

#define Q_OUT 160 /* outer Gauss-Hermite nodes per component of q_t */
#define BULK 4.0  /* rbf grid: a_t mu_k +- BULK sqrt(v_tk) */

static const char *const kind_names[] = {"affine", "rff", "rbf"};
static const char *const centre_names[] = {"grid", "quantile"};

const char *ctr_lfeat_kind_name(ctr_lfeat_kind k) { return kind_names[k]; }
const char *ctr_lfeat_centres_name(ctr_lfeat_centres c) { return centre_names[c]; }

ctr_status ctr_lfeat_kind_parse(const char *name, ctr_lfeat_kind *k, ctr_error *err) {
  int i = ctr_name_index(kind_names, 3, name);
  if (i < 0)
    return ctr_fail(err, CTR_EINPUT, "--features '%s' is unknown (accepted: affine, rff, rbf)", name);
  *k = (ctr_lfeat_kind)i;
  return CTR_OK;
}

ctr_status ctr_lfeat_centres_parse(const char *name, ctr_lfeat_centres *c, ctr_error *err) {
  int i = ctr_name_index(centre_names, 2, name);
  if (i < 0)
    return ctr_fail(err, CTR_EINPUT, "--centres '%s' is unknown (accepted: grid, quantile)", name);
  *c = (ctr_lfeat_centres)i;
  return CTR_OK;
}

void ctr_lfeat_params_default(ctr_lfeat_params *p) {
  p->kind = CTR_LFEAT_RFF, p->M = 20, p->bandwidth = 1, p->width = 0;
  p->centres = CTR_LFEAT_GRID;
  ctr_learned_params_default(&p->base);
}

ctr_status ctr_lfeat_check(const ctr_lfeat_params *p, int d, ctr_error *err) {
  if (d != 1 && d != 2)
    return ctr_fail(err, CTR_EINPUT, "engine learned with --features %s runs in d = 1 and 2 only "
                    "(got d = %d; accepted: --features affine in any d)", ctr_lfeat_kind_name(p->kind), d);
  if (p->kind == CTR_LFEAT_AFFINE)
    return ctr_fail(err, CTR_EINPUT, "feature class: rff or rbf expected here");
  if (p->M < 1 || p->M > CTR_LFEAT_MMAX)
    return ctr_fail(err, CTR_EINPUT, "--M %d is out of range (accepted: 1 to %d)", p->M, CTR_LFEAT_MMAX);
  if (!(p->bandwidth > 0 && p->bandwidth < 1e6))
    return ctr_fail(err, CTR_EINPUT, "--bandwidth %g is out of range (accepted: 0 < ell < 1e6, "
                    "in units of the standard deviation of q_t)", p->bandwidth);
  if (!(p->width >= 0 && p->width < 1e6))
    return ctr_fail(err, CTR_EINPUT, "--width %g is out of range (accepted: 0 (the centre "
                    "spacing) to 1e6, in units of the standard deviation of q_t)", p->width);
  if (p->base.train_n < p->M + 2 + d)
    return ctr_fail(err, CTR_EINPUT, "--train-n %lld is too small for M = %d features in d = %d "
                    "(accepted: >= M + d + 2 = %d)", (long long)p->base.train_n, p->M, d, p->M + d + 2);
  if (d == 2 && p->kind == CTR_LFEAT_RBF && p->centres == CTR_LFEAT_GRID) {
    int g = (int)lround(sqrt((double)p->M));
    if (g * g != p->M)
      return ctr_fail(err, CTR_EINPUT, "--centres grid in d = 2 puts the centres on a g x g grid: "
                      "--M %d is not a square (accepted: 1, 4, 9, ..., 196; or --centres quantile)", p->M);
  }
  return ctr_learned_check(&p->base, d, err);
}

/* phi_j(u) */
static double phi(const ctr_lfeat_fn *f, int j, double u) {
  if (f->kind == CTR_LFEAT_RFF) return M_SQRT2 * cos(f->a[j] * u + f->b[j]);
  double z = (u - f->a[j]) / f->w;
  return exp(-0.5 * z * z);
}

/* the M + 2 regressors at x */
static void regressors(const ctr_lfeat_fn *f, double x, double *h) {
  double u = (x - f->m) / f->sd;
  h[0] = 1, h[1] = u;
  for (int j = 0; j < f->M; j++) h[2 + j] = phi(f, j, u);
}

double ctr_lfeat_eval(const ctr_lfeat_fn *f, double x) {
  double u = (x - f->m) / f->sd, acc = f->coef[0] + f->coef[1] * u;
  for (int j = 0; j < f->M; j++) acc += f->coef[2 + j] * phi(f, j, u);
  return acc;
}

/* E f(Y) for Y ~ N(mean, sdev^2), in closed form: with u ~ N(mu, s^2),
 * E cos(omega u + b) = cos(omega mu + b) exp(-omega^2 s^2 / 2),
 * E exp(-(u - c)^2 / (2 w^2)) = w / sqrt(w^2 + s^2) exp(-(mu - c)^2 / (2 (w^2 + s^2))). */
static double expect(const ctr_lfeat_fn *f, double mean, double sdev) {
  double mu = (mean - f->m) / f->sd, s = sdev / f->sd, acc = f->coef[0] + f->coef[1] * mu;
  if (f->kind == CTR_LFEAT_RFF)
    for (int j = 0; j < f->M; j++)
      acc += f->coef[2 + j] * M_SQRT2 * cos(f->a[j] * mu + f->b[j]) * exp(-0.5 * f->a[j] * f->a[j] * s * s);
  else {
    double v = f->w * f->w + s * s, r = f->w / sqrt(v);
    for (int j = 0; j < f->M; j++) {
      double z = mu - f->a[j];
      acc += f->coef[2 + j] * r * exp(-0.5 * z * z / v);
    }
  }
  return acc;
}

static void comp(const ctr_mixture *m, int k, double *mu, double *lam) {
  *mu = m->mu[k], *lam = m->lam[m->lam_off[k]];
}

/* f*_t(x) = sum_k w_k(x) E[f_prev(r x + c X_0) | X_t = x, k], X_0 | x, k Gaussian (lw: K scratch) */
static double fstar(const ctr_schedule *s, const ctr_mixture *m, int64_t t, const ctr_lfeat_fn *f_prev,
                    double x, double *lw) {
  double a = s->a[t], sg = s->s[t], r = s->s[t - 1] / sg, c = ctr_schedule_c(s, t);
  double mx = -INFINITY, tot = 0, acc = 0;
  for (int k = 0; k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    double v = a * a * lam + sg * sg, dx = x - a * mu;
    lw[k] = m->log_weight[k] - 0.5 * log(v) - 0.5 * dx * dx / v;
    mx = fmax(mx, lw[k]);
  }
  for (int k = 0; k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    double v = a * a * lam + sg * sg, w = exp(lw[k] - mx);
    double pm = mu + a * lam / v * (x - a * mu), psd = sqrt(lam * sg * sg / v);
    if (w > 0) tot += w, acc += w * expect(f_prev, r * x + c * pm, c * psd);
  }
  return acc / tot;
}

/* The quadrature of L2(q_t): nodes X, weights W (sum 1), and f*_t at the nodes. */
typedef struct {
  int n;
  double *X, *W, *F;
} quad;

static void quad_free(quad *q) { free(q->X), free(q->W), free(q->F); }

static int quad_build(const ctr_schedule *s, const ctr_mixture *m, int64_t t,
                      const ctr_lfeat_fn *f_prev, int nodes, quad *q) {
  double *xo = ctr_dalloc((size_t)nodes), *wo = ctr_dalloc((size_t)nodes), *lw = ctr_dalloc((size_t)m->K);
  q->n = m->K * nodes;
  q->X = ctr_dalloc((size_t)q->n), q->W = ctr_dalloc((size_t)q->n), q->F = ctr_dalloc((size_t)q->n);
  int ok = xo && wo && lw && q->X && q->W && q->F && ctr_learned_gh_rule((size_t)nodes, xo, wo);
  for (int k = 0, i = 0; ok && k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    double mean = s->a[t] * mu, sd = sqrt(s->a[t] * s->a[t] * lam + s->s[t] * s->s[t]);
    for (int o = 0; o < nodes; o++, i++) {
      q->X[i] = mean + sd * xo[o], q->W[i] = m->weight[k] * wo[o];
      q->F[i] = fstar(s, m, t, f_prev, q->X[i], lw);
    }
  }
  free(xo), free(wo), free(lw);
  return ok;
}

double ctr_lfeat_err2(const ctr_schedule *s, const ctr_mixture *m, int64_t t, const ctr_lfeat_fn *g,
                      const ctr_lfeat_fn *f_prev, int nodes) {
  quad q = {0};
  double acc = NAN;
  if (quad_build(s, m, t, f_prev, nodes > 0 ? nodes : Q_OUT, &q)) {
    acc = 0;
    for (int i = 0; i < q.n; i++) {
      double e = ctr_lfeat_eval(g, q.X[i]) - q.F[i];
      acc += q.W[i] * e * e;
    }
  }
  quad_free(&q);
  return acc;
}

/* eps_F,t^2: weighted least squares of f*_t on the class over the quadrature (SVD: the
 * projection is well defined even where the features are nearly collinear); chisq is the
 * weighted residual, i.e. the squared L2(q_t) distance of f*_t to the class. */
double ctr_lfeat_class_err2(const ctr_schedule *s, const ctr_mixture *m, int64_t t,
                            ctr_lfeat_fn *g, const ctr_lfeat_fn *f_prev) {
  quad q = {0};
  size_t p = (size_t)g->M + 2;
  double chisq = NAN;
  if (!quad_build(s, m, t, f_prev, Q_OUT, &q)) return quad_free(&q), NAN;
  gsl_matrix *X = gsl_matrix_alloc((size_t)q.n, p), *cov = gsl_matrix_alloc(p, p);
  gsl_vector *c = gsl_vector_alloc(p);
  gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc((size_t)q.n, p);
  if (X && cov && c && ws) {
    for (int i = 0; i < q.n; i++) regressors(g, q.X[i], X->data + (size_t)i * X->tda);
    gsl_vector_view w = gsl_vector_view_array(q.W, (size_t)q.n), y = gsl_vector_view_array(q.F, (size_t)q.n);
    if (!gsl_multifit_wlinear(X, &w.vector, &y.vector, c, cov, &chisq, ws))
      for (size_t k = 0; k < p; k++) g->coef[k] = gsl_vector_get(c, k);
    else chisq = NAN;
  }
  gsl_matrix_free(X), gsl_matrix_free(cov), gsl_vector_free(c), gsl_multifit_linear_free(ws);
  quad_free(&q);
  return chisq;
}

/* mean and standard deviation of q_t */
static void moments(const ctr_schedule *s, const ctr_mixture *m, int64_t t, double *mean, double *sd) {
  double m1 = 0, m2 = 0;
  for (int k = 0; k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    m1 += m->weight[k] * mu, m2 += m->weight[k] * (lam + mu * mu);
  }
  double var = fmax(m2 - m1 * m1, 0);
  *mean = s->a[t] * m1, *sd = sqrt(s->a[t] * s->a[t] * var + s->s[t] * s->s[t]);
}

static double qt_cdf(const ctr_schedule *s, const ctr_mixture *m, int64_t t, double x) {
  double acc = 0;
  for (int k = 0; k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    acc += m->weight[k] * gsl_cdf_ugaussian_P((x - s->a[t] * mu) / sqrt(s->a[t] * s->a[t] * lam + s->s[t] * s->s[t]));
  }
  return acc;
}

/* the u-quantile of q_t by bisection between the component quantiles (a mixture CDF is a
 * convex combination: its quantile lies between the smallest and largest component's) */
static double qt_quantile(const ctr_schedule *s, const ctr_mixture *m, int64_t t, double u) {
  double lo = INFINITY, hi = -INFINITY, z = gsl_cdf_ugaussian_Pinv(u);
  for (int k = 0; k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    double x = s->a[t] * mu + z * sqrt(s->a[t] * s->a[t] * lam + s->s[t] * s->s[t]);
    lo = fmin(lo, x), hi = fmax(hi, x);
  }
  for (int i = 0; i < 200 && hi - lo > 1e-14 * fmax(1, fabs(lo)); i++) {
    double mid = 0.5 * (lo + hi);
    if (qt_cdf(s, m, t, mid) < u) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

void ctr_lfeat_basis(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                     int64_t t, ctr_lfeat_fn *f) {
  *f = (ctr_lfeat_fn){0};
  f->kind = p->kind, f->M = p->M;
  moments(s, m, t, &f->m, &f->sd);
  if (p->kind == CTR_LFEAT_RFF) { /* one draw per seed and M: the same features at every t */
    ctr_rng r;
    double g[CTR_LFEAT_MMAX];
    ctr_rng_init(&r, p->base.seed, CTR_RNG_LEARNED_FEATURES, (uint64_t)p->M, 0);
    ctr_rng_normals(&r, (size_t)p->M, g);
    for (int j = 0; j < p->M; j++) f->a[j] = g[j] / p->bandwidth, f->b[j] = 2 * M_PI * ctr_rng_uniform(&r);
    return;
  }
  double lo = INFINITY, hi = -INFINITY;
  if (p->centres == CTR_LFEAT_GRID)
    for (int k = 0; k < m->K; k++) {
      double mu, lam;
      comp(m, k, &mu, &lam);
      double h = BULK * sqrt(s->a[t] * s->a[t] * lam + s->s[t] * s->s[t]);
      lo = fmin(lo, s->a[t] * mu - h), hi = fmax(hi, s->a[t] * mu + h);
    }
  for (int j = 0; j < p->M; j++) {
    double x = p->centres == CTR_LFEAT_QUANTILE ? qt_quantile(s, m, t, (j + 0.5) / p->M)
               : p->M == 1                      ? 0.5 * (lo + hi)
                                                : lo + j * (hi - lo) / (p->M - 1);
    f->a[j] = (x - f->m) / f->sd;
  }
  f->w = p->width > 0 ? p->width : p->M > 1 ? (f->a[p->M - 1] - f->a[0]) / (p->M - 1) : 1.0;
  if (!(f->w > 0)) f->w = 1.0; /* coincident quantile centres: a unit width */
}

/* theta = G^+ rhs by the symmetric eigendecomposition of G (q x q), eigenvalues below
 * PINV_TOL lambda_max dropped: the least-squares solution on the numerically determined
 * subspace. Random Fourier features and Gaussian bumps are nearly collinear (their Gram
 * spectrum decays like the kernel's), so a Cholesky solve breaks down or returns O(1/cond)
 * noise where this returns the (minimum-norm) fit; with ridge > 0 nothing is dropped in
 * practice. rhs and theta are q x nrhs row-major (one column per output coordinate: the 2-D
 * classes share one design); tmp: q doubles. Returns 1 on failure. */
#define PINV_TOL 1e-12
int ctr_lfeat_solve_psd(double *G, const double *rhs, int q, int nrhs, double *theta, double *tmp) {
  gsl_matrix_view Gm = gsl_matrix_view_array(G, (size_t)q, (size_t)q);
  gsl_vector *ev = gsl_vector_alloc((size_t)q);
  gsl_matrix *V = gsl_matrix_alloc((size_t)q, (size_t)q);
  gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc((size_t)q);
  int bad = !ev || !V || !ws || gsl_eigen_symmv(&Gm.matrix, ev, V, ws);
  if (!bad) gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_DESC); /* fixed order: determinism */
  double top = bad ? 0 : gsl_vector_get(ev, 0);
  bad = bad || !(top > 0) || !isfinite(top);
  for (int c = 0; !bad && c < nrhs; c++) {
    for (int a = 0; a < q; a++) {
      double lam = gsl_vector_get(ev, (size_t)a), acc = 0;
      for (int k = 0; k < q; k++) acc += gsl_matrix_get(V, (size_t)k, (size_t)a) * rhs[k * nrhs + c];
      tmp[a] = lam > PINV_TOL * top ? acc / lam : 0;
    }
    for (int k = 0; !bad && k < q; k++) {
      double acc = 0;
      for (int a = 0; a < q; a++) acc += gsl_matrix_get(V, (size_t)k, (size_t)a) * tmp[a];
      theta[k * nrhs + c] = acc;
      bad = !isfinite(acc);
    }
  }
  gsl_vector_free(ev), gsl_matrix_free(V), gsl_eigen_symmv_free(ws);
  return bad;
}

/* the n pairs of step t (the streams of engines/learned_poly.c), then the ridge normal
 * equations (G + ridge diag(0, 1, .., 1)) theta = (1/n) H^T y (solve_psd) */
static ctr_status fit(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                      int64_t t, const ctr_lfeat_fn *prev, ctr_lfeat_fn *f, double *buf,
                      ctr_error *err) {
  size_t n = (size_t)p->base.train_n;
  int q = p->M + 2;
  double *xi = buf, *z = buf + n, *G = buf + 2 * n, *rhs = G + (size_t)q * q, *h = rhs + q;
  ctr_learned_pairs_1d(&p->base, s, m, t, xi, z);
  ctr_lfeat_basis(p, s, m, t, f);
  for (int k = 0; k < q * q + q; k++) G[k] = 0;
  for (size_t j = 0; j < n; j++) {
    double x = xi[j], y = ctr_lfeat_eval(prev, z[j]);
    regressors(f, x, h);
    ctr_normal_add(q, h, y, G, rhs);
  }
  ctr_normal_finish(q, n, p->base.ridge, G, rhs);
  int bad = ctr_lfeat_solve_psd(G, rhs, q, 1, f->coef, h);
  if (bad)
    return ctr_fail(err, CTR_ENUMERIC, "feature class %s: the normal equations at t = %lld could "
                    "not be solved (raise --train-n or --ridge, or lower --M)",
                    ctr_lfeat_kind_name(p->kind), (long long)t);
  return CTR_OK;
}

ctr_status ctr_lfeat_run(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                         ctr_lfeat_result **out, ctr_error *err) {
  *out = NULL;
  if (m->d != 1)
    return ctr_fail(err, CTR_EINPUT, "feature class in d = 1: got d = %d (d = 2: ctr_lfeat2_run)", m->d);
  ctr_status st = ctr_lfeat_check(p, m->d, err);
  if (st) return st;
  size_t q = (size_t)p->M + 2;
  ctr_lfeat_result *r = calloc(1, sizeof *r);
  double *buf = ctr_dalloc(2 * (size_t)p->base.train_n + q * q + 2 * q);
  ctr_lfeat_fn *prev = malloc(sizeof *prev), *cur = malloc(sizeof *cur), *proj = malloc(sizeof *proj);
  if (r) r->eps_t = ctr_dalloc((size_t)s->N + 1), r->epsF_t = ctr_dalloc((size_t)s->N + 1);
  if (!r || !r->eps_t || !r->epsF_t || !buf || !prev || !cur || !proj) {
    free(buf), free(prev), free(cur), free(proj), ctr_lfeat_result_free(r);
    return ctr_fail(err, CTR_ENOMEM, "feature class: out of memory");
  }
  ctr_lfeat_basis(p, s, m, 1, prev); /* f_1 = identity: x = m_1 + sd_1 u */
  prev->coef[0] = prev->m, prev->coef[1] = prev->sd;
  int64_t last = p->base.stop_t > 1 && p->base.stop_t < s->N ? p->base.stop_t : s->N;
  for (int64_t t = 2; !st && t <= last; t++) {
    st = fit(p, s, m, t, prev, cur, buf, err);
    if (st) break;
    *proj = *cur;
    double e2 = ctr_lfeat_err2(s, m, t, cur, prev, Q_OUT), f2 = ctr_lfeat_class_err2(s, m, t, proj, prev);
    if (!isfinite(e2) || !isfinite(f2)) {
      st = ctr_fail(err, CTR_ENUMERIC, "feature class: the error quadrature failed at t = %lld",
                    (long long)t);
      break;
    }
    r->eps_t[t] = sqrt(fmax(e2, 0)), r->epsF_t[t] = sqrt(fmax(f2, 0));
    r->eps_sum += r->eps_t[t], r->eps_max = fmax(r->eps_max, r->eps_t[t]);
    r->epsF_sum += r->epsF_t[t];
    *prev = *cur;
  }
  if (!st) r->t = last, r->f = *prev;
  free(buf), free(prev), free(cur), free(proj);
  if (st) {
    ctr_lfeat_result_free(r);
    return st;
  }
  *out = r;
  return CTR_OK;
}

void ctr_lfeat_result_free(ctr_lfeat_result *r) {
  if (!r) return;
  free(r->eps_t), free(r->epsF_t);
  free(r);
}
