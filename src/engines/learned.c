/* engines/learned.c: CT from samples, affine class, Gaussian targets (engines/learned.h,
 * theory.md §13.2). Everything is centred at the data path: with x_c = x - a_t mu,
 *   f_t(x) = a_1 mu + A_t x_c + beta_t,    A_1 = I, beta_1 = 0,
 * so the mean never enters the fit and no O(|mu|) numbers are subtracted. */
#include "engines/learned.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "core/rng.h"
#include "engines/learned_moments.h"
#include "wasserstein/gaussian.h"

void ctr_learned_params_default(ctr_learned_params *p) {
  p->train_n = 1000;
  p->mode = CTR_LEARNED_FRESH;
  p->sampler = CTR_LEARNED_SAMPLES;
  p->ridge = 0;
  p->seed = 1;
  p->stop_t = 0;
  p->degree = 0;
  p->features = 0, p->n_features = 20, p->centres = 0, p->bandwidth = 1, p->width = 0;
}

static const char *const mode_names[] = {"fresh", "fixed"};

const char *ctr_learned_mode_name(ctr_learned_mode mode) { return mode_names[mode]; }

ctr_status ctr_learned_mode_parse(const char *name, ctr_learned_mode *mode, ctr_error *err) {
  int k = ctr_name_index(mode_names, 2, name);
  if (k < 0)
    return ctr_fail(err, CTR_EINPUT, "sample mode '%s' is unknown (accepted: fresh, fixed)", name);
  *mode = (ctr_learned_mode)k;
  return CTR_OK;
}

static const char *const sampler_names[] = {"samples", "moments"};

const char *ctr_learned_sampler_name(int sampler) { return sampler_names[sampler]; }

ctr_status ctr_learned_sampler_parse(const char *name, int *sampler, ctr_error *err) {
  int k = ctr_name_index(sampler_names, 2, name);
  if (k < 0)
    return ctr_fail(err, CTR_EINPUT, "train sampler '%s' is unknown (accepted: samples, moments)",
                    name);
  *sampler = k;
  return CTR_OK;
}

ctr_status ctr_learned_check(const ctr_learned_params *p, int d, ctr_error *err) {
  int moments = p->sampler == CTR_LEARNED_MOMENTS;
  if (moments && p->mode != CTR_LEARNED_FRESH)
    return ctr_fail(err, CTR_EINPUT, "--train-sampler moments draws each step's statistics "
                    "independently, which needs fresh data (accepted: --sample-mode fresh, or "
                    "--train-sampler samples)");
  if (d < 1 || d > (moments ? CTR_LEARNED_DMAX : CTR_LEARNED_DMAX_SAMPLES))
    return ctr_fail(err, CTR_EINPUT,
                    "engine learned with d = %d: the full d x d regression is limited to "
                    "1 <= d <= %d with --train-sampler %s (accepted: up to d = %d with "
                    "--train-sampler moments and fresh data)",
                    d, moments ? CTR_LEARNED_DMAX : CTR_LEARNED_DMAX_SAMPLES,
                    sampler_names[p->sampler], CTR_LEARNED_DMAX);
  if (p->train_n < (int64_t)d + 2 || p->train_n > CTR_LEARNED_NMAX)
    return ctr_fail(err, CTR_EINPUT,
                    "--train-n %lld is out of range at d = %d (accepted: d + 2 = %d to %d)",
                    (long long)p->train_n, d, d + 2, CTR_LEARNED_NMAX);
  if (!isfinite(p->ridge) || p->ridge < 0)
    return ctr_fail(err, CTR_EINPUT, "--ridge %g is invalid (accepted: finite ridge >= 0)",
                    p->ridge);
  return CTR_OK;
}

/* Working arrays of one run. */
typedef struct {
  int d;
  size_t n;
  double *xi, *z;    /* n x d standard normals: data and noise */
  double *X, *P;     /* n x d: student input x_c and teacher input p_c, then centred */
  double *xbar, *pbar, *w, *e, *sd; /* d */
  double *C, *B, *K, *A, *An, *E;   /* d x d */
  double *Lx, *Y;                   /* d x d: the moments route's draw (theory.md §13.7) */
  double *vx, *g, *rsd;             /* d: its per-coordinate Var x, slope, residual sd */
  gsl_rng *rng;                     /* its stream (chi-squares by GSL) */
} work;

static void work_free(work *w) {
  free(w->xi), free(w->z), free(w->X), free(w->P), free(w->xbar), free(w->pbar), free(w->w);
  free(w->e), free(w->sd), free(w->C), free(w->B), free(w->K), free(w->A), free(w->An);
  free(w->E), free(w->Lx), free(w->Y), free(w->vx), free(w->g), free(w->rsd);
  if (w->rng) gsl_rng_free(w->rng);
}

/* n x d sample arrays for the samples route, the d x d draw for the moments route. */
static int work_alloc(work *w, int d, size_t n, int moments) {
  size_t nd = n * (size_t)d, dd = (size_t)d * d, v = (size_t)d;
  w->d = d, w->n = n;
  if (moments) {
    w->Lx = ctr_dalloc(dd), w->Y = ctr_dalloc(dd), w->vx = ctr_dalloc(v), w->g = ctr_dalloc(v);
    w->rsd = ctr_dalloc(v), w->rng = ctr_rng_gsl_alloc();
    if (!w->Lx || !w->Y || !w->vx || !w->g || !w->rsd || !w->rng) return 0;
    nd = 1; /* the sample arrays are not used */
  }
  w->xi = ctr_dalloc(nd), w->z = ctr_dalloc(nd), w->X = ctr_dalloc(nd), w->P = ctr_dalloc(nd);
  w->xbar = ctr_dalloc(v), w->pbar = ctr_dalloc(v), w->w = ctr_dalloc(v), w->e = ctr_dalloc(v);
  w->sd = ctr_dalloc(v);
  w->C = ctr_dalloc(dd), w->B = ctr_dalloc(dd), w->K = ctr_dalloc(dd), w->A = ctr_dalloc(dd);
  w->An = ctr_dalloc(dd), w->E = ctr_dalloc(dd);
  return w->xi && w->z && w->X && w->P && w->xbar && w->pbar && w->w && w->e && w->sd && w->C &&
         w->B && w->K && w->A && w->An && w->E;
}

static double v_at(const ctr_schedule *s, int64_t t, double lambda) {
  return s->a[t] * s->a[t] * lambda + s->s[t] * s->s[t];
}

/* The n training pairs of step t, centred: X = x_c - mean, P = p_c - mean, means kept. */
static void make_pairs(const ctr_learned_params *p, const ctr_schedule *s, const ctr_target *tg,
                       int64_t t, work *w) {
  int d = w->d;
  size_t n = w->n, nd = n * (size_t)d;
  ctr_rng r;
  if (p->mode == CTR_LEARNED_FRESH || t == 2) {
    ctr_rng_init(&r, p->seed, CTR_RNG_LEARNED_DATA, p->mode == CTR_LEARNED_FRESH ? (uint64_t)t : 0,
                 (uint64_t)d);
    ctr_rng_normals(&r, nd, w->xi);
  }
  ctr_rng_init(&r, p->seed, CTR_RNG_LEARNED_NOISE, (uint64_t)t, (uint64_t)d);
  ctr_rng_normals(&r, nd, w->z);
  for (int i = 0; i < d; i++) w->sd[i] = sqrt(tg->lambda[i]), w->xbar[i] = w->pbar[i] = 0;
  for (size_t j = 0; j < n; j++)
    for (int i = 0; i < d; i++) {
      size_t k = j * (size_t)d + (size_t)i;
      double u = w->sd[i] * w->xi[k];
      w->X[k] = s->a[t] * u + s->s[t] * w->z[k];
      w->P[k] = s->a[t - 1] * u + s->s[t - 1] * w->z[k];
      w->xbar[i] += w->X[k], w->pbar[i] += w->P[k];
    }
  for (int i = 0; i < d; i++) w->xbar[i] /= (double)n, w->pbar[i] /= (double)n;
  for (size_t j = 0; j < n; j++)
    for (int i = 0; i < d; i++) {
      size_t k = j * (size_t)d + (size_t)i;
      w->X[k] -= w->xbar[i], w->P[k] -= w->pbar[i];
    }
}

/* The moments route's fit of step t (theory.md §13.7): per coordinate Var x_t = v_t, slope
 * G = m_t, residual variance R = lambda (a_{t-1} s_t - a_t s_{t-1})^2 / v_t (the determinant
 * of the pair's covariance over v_t, free of the cancellation of v_{t-1} - cov^2 / v_t). */
static ctr_status fit_moments(const ctr_learned_params *p, const ctr_schedule *s,
                              const ctr_target *tg, int64_t t, work *w, ctr_error *err) {
  double del = s->a[t - 1] * s->s[t] - s->a[t] * s->s[t - 1];
  for (int i = 0; i < w->d; i++) {
    double lam = tg->lambda[i];
    w->vx[i] = v_at(s, t, lam);
    w->g[i] = (s->a[t] * s->a[t - 1] * lam + s->s[t] * s->s[t - 1]) / w->vx[i];
    w->rsd[i] = fabs(del) * sqrt(lam / w->vx[i]);
  }
  ctr_lmom_draw(w->rng, p->seed, t, w->d, p->train_n, w->vx, w->g, w->rsd, w->Lx, w->Y, w->xbar,
                w->pbar);
  return ctr_lmom_fit(w->d, p->train_n, p->ridge, w->g, w->Lx, w->Y, w->xbar, w->pbar, w->C, w->B,
                      w->K, w->w, err);
}

/* K = Cov(p, x) (Cov(x) + ridge I)^(-1) from the centred pairs; w = pbar - K xbar. */
static ctr_status fit_step(const ctr_learned_params *p, work *w, ctr_error *err) {
  int d = w->d;
  double inv = 1.0 / (double)w->n;
  gsl_matrix_view X = gsl_matrix_view_array(w->X, w->n, (size_t)d);
  gsl_matrix_view P = gsl_matrix_view_array(w->P, w->n, (size_t)d);
  gsl_matrix_view C = gsl_matrix_view_array(w->C, (size_t)d, (size_t)d);
  gsl_matrix_view B = gsl_matrix_view_array(w->B, (size_t)d, (size_t)d);
  gsl_blas_dgemm(CblasTrans, CblasNoTrans, inv, &X.matrix, &X.matrix, 0.0, &C.matrix);
  gsl_blas_dgemm(CblasTrans, CblasNoTrans, inv, &X.matrix, &P.matrix, 0.0, &B.matrix);
  for (int i = 0; i < d; i++) w->C[i * d + i] += p->ridge;
  if (gsl_linalg_cholesky_decomp1(&C.matrix))
    return ctr_fail(err, CTR_ENUMERIC, "engine learned: the sample covariance is singular "
                    "(raise --train-n or --ridge)");
  /* K = B^T C^-1 = (C^-1 B)^T: column c of C^-1 B is row c of K, which is where it is solved
   * into (no transpose: an earlier transpose here fitted K^T, the same population limit but
   * not the least-squares fit; found by the moments route's test, theory.md §13.7) */
  for (int c = 0; c < d; c++) {
    gsl_vector_view col = gsl_matrix_column(&B.matrix, (size_t)c);
    gsl_vector_view out = gsl_vector_view_array(w->K + (size_t)c * d, (size_t)d);
    gsl_linalg_cholesky_solve(&C.matrix, &col.vector, &out.vector);
  }
  for (int i = 0; i < d; i++) {
    double acc = w->pbar[i];
    for (int k = 0; k < d; k++) acc -= w->K[i * d + k] * w->xbar[k];
    w->w[i] = acc;
  }
  return CTR_OK;
}

/* eps_t^2 = ||A_{t-1} w||^2 + sum_j v_t(lambda_j) ||column j of A_{t-1} (K - M_t)||^2
 * (theory.md §13.2); then A_t = A_{t-1} K, beta_t = beta_{t-1} + A_{t-1} w. */
static double advance(const ctr_schedule *s, const ctr_target *tg, int64_t t, work *w,
                      double *beta) {
  int d = w->d;
  size_t dd = (size_t)d * d;
  for (int i = 0; i < d; i++) {
    double lam = tg->lambda[i], m = (s->a[t] * s->a[t - 1] * lam + s->s[t] * s->s[t - 1]) /
                                    v_at(s, t, lam);
    w->K[i * d + i] -= m; /* K - M_t, restored below */
  }
  gsl_matrix_view A = gsl_matrix_view_array(w->A, (size_t)d, (size_t)d);
  gsl_matrix_view K = gsl_matrix_view_array(w->K, (size_t)d, (size_t)d);
  gsl_matrix_view E = gsl_matrix_view_array(w->E, (size_t)d, (size_t)d);
  gsl_matrix_view An = gsl_matrix_view_array(w->An, (size_t)d, (size_t)d);
  gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &A.matrix, &K.matrix, 0.0, &E.matrix);
  gsl_vector_view wv = gsl_vector_view_array(w->w, (size_t)d);
  gsl_vector_view ev = gsl_vector_view_array(w->e, (size_t)d);
  gsl_blas_dgemv(CblasNoTrans, 1.0, &A.matrix, &wv.vector, 0.0, &ev.vector);
  double sq = 0;
  for (int i = 0; i < d; i++) {
    sq += w->e[i] * w->e[i], beta[i] += w->e[i];
    for (int j = 0; j < d; j++) sq += v_at(s, t, tg->lambda[j]) * w->E[i * d + j] * w->E[i * d + j];
  }
  /* A_t = A_{t-1} (K - M) + A_{t-1} M: the deviation E plus the ideal column scaling */
  for (size_t k = 0; k < dd; k++) {
    int j = (int)(k % (size_t)d);
    double lam = tg->lambda[j];
    double m = (s->a[t] * s->a[t - 1] * lam + s->s[t] * s->s[t - 1]) / v_at(s, t, lam);
    w->An[k] = w->E[k] + w->A[k] * m;
  }
  gsl_matrix_memcpy(&A.matrix, &An.matrix);
  return sqrt(sq);
}

/* Exact output distances: X_1 ~ N(a_1 mu, diag v_1); f_N(Z) ~ N(a_1 mu - a_N A mu + beta, A A^T);
 * f_N(X_N) ~ N(a_1 mu + beta, A diag(v_N) A^T). Eigen-coordinates (distances are invariant). */
static ctr_status output_metrics(const ctr_schedule *s, const ctr_target *tg, ctr_learned_result *r,
                                 ctr_error *err) {
  int d = r->d;
  size_t dd = (size_t)d * d;
  int64_t N = s->N;
  double *m1 = ctr_dalloc((size_t)d), *S1 = ctr_dalloc(dd), *m2 = ctr_dalloc((size_t)d),
         *S2 = ctr_dalloc(dd);
  ctr_status st = CTR_OK;
  if (!m1 || !S1 || !m2 || !S2) st = ctr_fail(err, CTR_ENOMEM, "engine learned: out of memory");
  for (int input = 0; !st && input < 2; input++) { /* 0: N(0, I), 1: q_N */
    for (int i = 0; i < d; i++) {
      double mu = tg->mu_eig[i], am = 0;
      for (int k = 0; k < d; k++) am += r->A[i * d + k] * tg->mu_eig[k];
      m1[i] = s->a[1] * mu, S1[i * d + i] = v_at(s, 1, tg->lambda[i]);
      m2[i] = s->a[1] * mu + r->beta[i] - (input ? 0 : s->a[N] * am);
      for (int j = 0; j < d; j++) {
        double acc = 0;
        for (int k = 0; k < d; k++)
          acc += r->A[i * d + k] * r->A[j * d + k] * (input ? v_at(s, N, tg->lambda[k]) : 1.0);
        S2[i * d + j] = acc;
      }
    }
    double w2;
    ctr_w1_bracket b;
    st = ctr_w2_full((size_t)d, m2, S2, m1, S1, &w2, err);
    if (!st) st = ctr_w1_bracket_full((size_t)d, m2, S2, m1, S1, &b, err);
    if (!st && input == 0) r->w2_normal = w2, r->w1_lo_normal = b.lo, r->w1_hi_normal = b.hi;
    if (!st && input == 1) r->w2_qN = w2, r->w1_lo_qN = b.lo, r->w1_hi_qN = b.hi;
  }
  free(m1), free(S1), free(m2), free(S2);
  return st;
}

/* W2 of f_N(input) against X_1 = N(a_1 mu, D^2), D = diag(sqrt v_1), by eigenvalues alone
 * (theory.md §13.7): with S2 = A E A^T (E = I for N(0, I), diag(v_N) for q_N),
 *   W2^2 = |dm|^2 + tr D^2 + tr S2 - 2 tr (D S2 D)^(1/2),
 * the last term the sum of sqrt(eigenvalues) of B B^T, B = D A E^(1/2): one d x d product and
 * a symmetric eigenvalue solve, against the full path's eigenvectors, SVDs and square roots.
 * The three traces are O(d) and W2^2 can be much smaller; the digits lost are log10 of their
 * ratio (3 at d = 1024, N = 100). */
ctr_status ctr_learned_w2_eig(const ctr_schedule *s, const ctr_target *tg,
                              const ctr_learned_result *r, int input, double *out, ctr_error *err) {
  int d = r->d;
  size_t du = (size_t)d;
  int64_t N = s->N;
  gsl_matrix *B = gsl_matrix_alloc(du, du), *M = gsl_matrix_alloc(du, du);
  gsl_vector *ev = gsl_vector_alloc(du);
  gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(du);
  if (!B || !M || !ev || !ws) {
    gsl_matrix_free(B), gsl_matrix_free(M), gsl_vector_free(ev), gsl_eigen_symm_free(ws);
    return ctr_fail(err, CTR_ENOMEM, "engine learned: out of memory (W2 at d = %d)", d);
  }
  double dm2 = 0, tr = 0;
  for (int i = 0; i < d; i++) {
    double am = 0, di = sqrt(v_at(s, 1, tg->lambda[i]));
    for (int k = 0; k < d; k++) {
      double e = input ? sqrt(v_at(s, N, tg->lambda[k])) : 1.0, a = r->A[i * d + k] * e;
      am += r->A[i * d + k] * tg->mu_eig[k];
      tr += a * a;
      gsl_matrix_set(B, (size_t)i, (size_t)k, di * a);
    }
    double dmi = r->beta[i] - (input ? 0 : s->a[N] * am);
    dm2 += dmi * dmi, tr += di * di;
  }
  gsl_blas_dsyrk(CblasLower, CblasNoTrans, 1.0, B, 0.0, M);
  int gst = gsl_eigen_symm(M, ev, ws);
  double nuc = 0;
  for (size_t k = 0; k < du; k++) nuc += sqrt(fmax(gsl_vector_get(ev, k), 0.0));
  gsl_matrix_free(B), gsl_matrix_free(M), gsl_vector_free(ev), gsl_eigen_symm_free(ws);
  if (gst) return ctr_fail(err, CTR_ENUMERIC, "engine learned: eigenvalues failed (W2 at d = %d)", d);
  *out = sqrt(fmax(dm2 + tr - 2 * nuc, 0.0));
  return CTR_OK;
}

ctr_status ctr_learned_run(const ctr_learned_params *p, const ctr_schedule *s,
                           const ctr_target *tg, ctr_learned_result **out, ctr_error *err) {
  *out = NULL;
  int d = tg->d;
  ctr_status st = ctr_learned_check(p, d, err);
  if (st) return st;
  ctr_learned_result *r = calloc(1, sizeof *r);
  work w = {0};
  if (r) {
    r->d = d;
    r->A = ctr_dalloc((size_t)d * d), r->beta = ctr_dalloc((size_t)d);
    r->eps_t = ctr_dalloc((size_t)s->N + 1);
  }
  int moments = p->sampler == CTR_LEARNED_MOMENTS;
  if (!r || !r->A || !r->beta || !r->eps_t || !work_alloc(&w, d, (size_t)p->train_n, moments)) {
    work_free(&w), ctr_learned_result_free(r);
    return ctr_fail(err, CTR_ENOMEM, "engine learned: out of memory (d = %d, train_n = %lld)", d,
                    (long long)p->train_n);
  }
  for (int i = 0; i < d; i++) w.A[i * d + i] = 1.0; /* f_1 = identity */
  r->lipschitz = 1.0;
  for (int i = 0; i < d; i++)
    r->lipschitz = fmax(r->lipschitz, sqrt(v_at(s, 1, tg->lambda[i]) / v_at(s, s->N, tg->lambda[i])));
  int64_t last = p->stop_t > 1 && p->stop_t < s->N ? p->stop_t : s->N;
  r->w2_normal = r->w1_lo_normal = r->w1_hi_normal = NAN;
  r->w2_qN = r->w1_lo_qN = r->w1_hi_qN = NAN;
  for (int64_t t = 2; !st && t <= last; t++) {
    if (moments) {
      st = fit_moments(p, s, tg, t, &w, err);
    } else {
      make_pairs(p, s, tg, t, &w);
      st = fit_step(p, &w, err);
    }
    if (!st) r->eps_t[t] = advance(s, tg, t, &w, r->beta);
    if (!st) r->eps_sum += r->eps_t[t], r->eps_max = fmax(r->eps_max, r->eps_t[t]);
  }
  for (size_t k = 0; k < (size_t)d * d; k++) r->A[k] = w.A[k];
  work_free(&w);
  /* Above d = 128 the full W1 bracket (SVDs, eigenvectors: 6 s at d = 256, minutes at
   * d = 1024) would dwarf the moments route's training; there only W2 is computed, by
   * eigenvalues (w1 columns NaN). */
  if (!st && last == s->N && d <= CTR_LEARNED_W1_DMAX) st = output_metrics(s, tg, r, err);
  if (!st && last == s->N && d > CTR_LEARNED_W1_DMAX) {
    st = ctr_learned_w2_eig(s, tg, r, 0, &r->w2_normal, err);
    if (!st) st = ctr_learned_w2_eig(s, tg, r, 1, &r->w2_qN, err);
  }
  if (st) {
    ctr_learned_result_free(r);
    return st;
  }
  *out = r;
  return CTR_OK;
}

void ctr_learned_result_free(ctr_learned_result *r) {
  if (!r) return;
  free(r->A), free(r->beta), free(r->eps_t);
  free(r);
}
