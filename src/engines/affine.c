#include "engines/affine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>

#include "core/rng.h"
#include "engines/affine_fast.h"
#include "core/step_sums.h"
#include "wasserstein/gaussian.h"

void ctr_affine_params_default(ctr_affine_params *p) {
  memset(p, 0, sizeof *p);
  p->engine = CTR_ENGINE_CT;
  p->error.kind = CTR_ERR_NONE;
  p->seed = 1;
  p->probes = 128;
}

void ctr_affine_result_free(ctr_affine_result *r) {
  if (!r) return;
  free(r->v1), free(r->vN), free(r->G), free(r->delta), free(r->bcoef);
  free(r->u), free(r->beta), free(r->Delta);
  free(r);
}

/* Per-step scalars shared by every eigen-direction (theory.md §1, §2, §6). */
typedef struct {
  double a2, s2, aa, ss;  /* a_t^2, s_t^2, a_t a_{t-1}, s_t s_{t-1} */
  double kap;             /* sin^2 theta_t = lambda kap / (v_t v_{t-1}) */
  double c;               /* c_t */
  double ddim_x, ddim_z;  /* DDIM slope = ddim_x + ddim_z lambda / v_t (cd engine) */
  double k_scale, r_scale; /* fit-scale k_t, score-scale r_t */
  double eta_fit, eta_score; /* bias sizes */
  double eps_t;
} step_coef;

static void step_coefs(const ctr_schedule *s, const ctr_target *tg, const ctr_errmodel *e,
                       int64_t t, step_coef *k) {
  double at = s->a[t], st = s->s[t], ap = s->a[t - 1], sp = s->s[t - 1], b = s->beta[t];
  double q = ap * b / (st + sqrt(1 - b) * sp);
  k->a2 = at * at, k->s2 = st * st, k->aa = at * ap, k->ss = st * sp;
  k->kap = q * q;
  k->c = ctr_schedule_c(s, t);
  k->ddim_x = sp / st, k->ddim_z = k->c * at;
  double spread = sqrt(k->a2 * tg->trace + tg->d * k->s2); /* (E||x - a_t mu||^2)^(1/2) */
  k->eps_t = ctr_errmodel_is_fit(e->kind) ? e->eps / (double)(s->N - 1) : 0;
  k->k_scale = e->kind == CTR_ERR_FIT_SCALE ? k->eps_t / spread : 0;
  k->r_scale = e->kind == CTR_ERR_SCORE_SCALE ? e->eps / spread : 0;
  k->eta_fit = e->kind == CTR_ERR_FIT_BIAS ? k->eps_t : 0;
  k->eta_score = e->kind == CTR_ERR_SCORE_BIAS ? e->eps : 0;
}

/* Unit vector u (bias direction) drawn in original coordinates, stored in eigen ones. */
static ctr_status error_direction(const ctr_target *tg, uint64_t seed, double *u, ctr_error *err) {
  int d = tg->d;
  double *g = ctr_dalloc(d);
  if (!g) return ctr_fail(err, CTR_ENOMEM, "engine: out of memory at d = %d", d);
  ctr_errmodel_direction(seed, d, g);
  if (!tg->Q) { /* eigen-coordinates are the original ones: O(d), not O(d^2) (same bits) */
    memcpy(u, g, sizeof(double) * (size_t)d);
    free(g);
    return CTR_OK;
  }
  for (int j = 0; j < d; j++) {
    double acc = 0;
    for (int i = 0; i < d; i++) acc += (tg->Q ? tg->Q[i * d + j] : (i == j)) * g[i];
    u[j] = acc;
  }
  free(g);
  return CTR_OK;
}

/* Random symmetric R with ||R||_F = 1, drawn in original coordinates, returned as
 * R' = Q^T R Q in eigen-coordinates (d x d row-major). */
static ctr_status error_matrix(const ctr_target *tg, uint64_t seed, double *Rp, ctr_error *err) {
  int d = tg->d;
  double *R = ctr_dalloc((size_t)d * d), *T = ctr_dalloc((size_t)d * d), f2 = 0;
  if (!R || !T) return free(R), free(T), ctr_fail(err, CTR_ENOMEM, "fit-matrix: out of memory");
  ctr_rng r;
  ctr_rng_init(&r, seed, CTR_RNG_ERRMAT, (uint64_t)d, 0);
  ctr_rng_normals(&r, (size_t)d * d, T);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) R[i * d + j] = 0.5 * (T[i * d + j] + T[j * d + i]);
  for (size_t k = 0; k < (size_t)d * d; k++) f2 += R[k] * R[k];
  for (size_t k = 0; k < (size_t)d * d; k++) R[k] /= sqrt(f2);
  if (!tg->Q) memcpy(Rp, R, sizeof(double) * d * d);
  else { /* T = R Q, then Rp = Q^T T */
    const double *Q = tg->Q;
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) {
        double acc = 0;
        for (int k = 0; k < d; k++) acc += R[i * d + k] * Q[k * d + j];
        T[i * d + j] = acc;
      }
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) {
        double acc = 0;
        for (int k = 0; k < d; k++) acc += Q[k * d + i] * T[k * d + j];
        Rp[i * d + j] = acc;
      }
  }
  free(R), free(T);
  return CTR_OK;
}

/* Per-direction geometry of step t (theory.md §4), for every distinct eigenvalue:
 * inv_v = 1/v_t, the CT bias D_t = -G_t (1 - cos theta_t) with 1 - cos computed as
 * sin^2/(1 + cos), and tau2 = E of its square under q_t per coordinate. */
typedef struct {
  int nd;
  const double *lam, *mult, *sq1; /* eigenvalues, multiplicities, sqrt(v_1) */
  double *inv_vp, *inv_v, *Gp, *Gt, *Dt, *tau2;
} geometry;

/* The hot loop: O(N x distinct eigenvalues). restrict parameters (not locals): only then does
 * gcc prove the arrays distinct and vectorise it (checked with -fopt-info-vec). The AVX2
 * clone gives the same bits as the SSE2 one: only +, *, / and sqrt, correctly rounded, and
 * contraction to FMA is off (-ffp-contract=off). */
__attribute__((target_clones("avx2", "default"))) static void geometry_kernel(int nd, double a2, double s2, double kap, const double *restrict lam,
                            const double *restrict sq1, const double *restrict ivp,
                            double *restrict inv_v, double *restrict Gt, double *restrict Dt,
                            double *restrict tau2) {
  for (int j = 0; j < nd; j++) {
    double l = lam[j], iv = 1.0 / (a2 * l + s2);
    double x = l * kap * iv * ivp[j], omc = x / (1.0 + sqrt(1.0 - x));
    double G = sq1[j] * sqrt(iv), tau = sq1[j] * omc;
    inv_v[j] = iv, Gt[j] = G, Dt[j] = -G * omc, tau2[j] = tau * tau;
  }
}

static void geometry_step(geometry *g, const step_coef *k) {
  geometry_kernel(g->nd, k->a2, k->s2, k->kap, g->lam, g->sq1, g->inv_vp, g->inv_v, g->Gt, g->Dt,
                  g->tau2);
}

/* Fixed-pattern sum with 4 lanes: vectorisable, and the same order whatever the threads. */
static double weighted_sum(int n, const double *w, const double *x) {
  double acc[4] = {0, 0, 0, 0};
  int j = 0;
  for (; j + 4 <= n; j += 4)
    for (int l = 0; l < 4; l++) acc[l] += w[j + l] * x[j + l];
  for (; j < n; j++) acc[0] += w[j] * x[j];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

static void geometry_advance(geometry *g) {
  double *tmp = g->inv_vp;
  g->inv_vp = g->inv_v, g->inv_v = tmp;
  tmp = g->Gp;
  g->Gp = g->Gt, g->Gt = tmp;
}

typedef struct {
  const ctr_affine_params *p;
  const ctr_schedule *s;
  const ctr_target *tg;
  ctr_affine_result *r;
  geometry g;
  double *A;            /* cd engine: the slope itself */
  double *Rp, *rcol2;   /* fit-matrix: R' and its squared column norms */
  double *zero, *s2buf; /* quadrature inputs */
  double *colscale, *Du; /* full path scratch */
  ctr_stepsum *sumD, *sumE;
  gsl_eigen_symm_workspace *eig;
  gsl_matrix *M;
} run_ws;

/* Diag path, one step: the recursion of engines/affine.h per distinct eigenvalue. */
/* Diag path of ct, one step, fused with the geometry (one pass over the eigenvalues instead
 * of two, the engine's hot loop): the recursion of engines/affine.h per distinct eigenvalue. */
__attribute__((target_clones("avx2", "default"))) static void
ct_diag_kernel(int nd, step_coef k, const double *restrict lam, const double *restrict sq1,
               const double *restrict ivp, const double *restrict Gp, double *restrict inv_v,
               double *restrict Gt, double *restrict tau2, double *restrict delta,
               double *restrict bcoef) {
  const double cr = k.c * k.r_scale;
  for (int j = 0; j < nd; j++) {
    double l = lam[j], iv = 1.0 / (k.a2 * l + k.s2);
    double x = l * k.kap * iv * ivp[j], omc = x / (1.0 + sqrt(1.0 - x));
    double G = sq1[j] * sqrt(iv), tau = sq1[j] * omc;
    double m = (k.aa * l + k.ss) * iv, dl = delta[j];
    bcoef[j] += k.c * (Gp[j] + dl) * k.eta_score + k.eta_fit;
    delta[j] = dl * (m + cr) - G * omc + cr * Gp[j] + k.k_scale;
    inv_v[j] = iv, Gt[j] = G, tau2[j] = tau * tau;
  }
}

static void update_diag(run_ws *w, const step_coef *k) {
  geometry *g = &w->g;
  ct_diag_kernel(g->nd, *k, g->lam, g->sq1, g->inv_vp, g->Gp, g->inv_v, g->Gt, g->tau2,
                 w->r->delta, w->r->bcoef);
}

/* Distillation: compose the DDIM step Psi_t (slope from the denoiser form) directly. */
static void update_cd(run_ws *w, const step_coef *k) {
  const geometry *g = &w->g;
  ctr_affine_result *r = w->r;
  double cr = k->c * k->r_scale;
  for (int j = 0; j < g->nd; j++) {
    double m = k->ddim_x + k->ddim_z * g->lam[j] * g->inv_v[j];
    r->bcoef[j] += k->c * w->A[j] * k->eta_score + k->eta_fit;
    w->A[j] = w->A[j] * (m + cr) + k->k_scale;
  }
}

/* fit-matrix size: k_t = eps_t / ||R' V_t^(1/2)||_F. */
static double matrix_scale(const run_ws *w, const step_coef *k) {
  if (w->p->error.kind != CTR_ERR_FIT_MATRIX) return 0;
  double f2 = 0;
  for (int i = 0; i < w->tg->d; i++) f2 += w->rcol2[i] / w->g.inv_v[w->tg->group[i]];
  return k->eps_t / sqrt(f2);
}

/* Full path, one step, Delta a d x d matrix in eigen-coordinates. */
static void update_full(run_ws *w, const step_coef *k) {
  int d = w->tg->d;
  const int *grp = w->tg->group;
  const geometry *g = &w->g;
  ctr_affine_result *r = w->r;
  double cr = k->c * k->r_scale, km = matrix_scale(w, k);
  for (int i = 0; i < d; i++) { /* beta += c (G_{t-1} + Delta) sigma + eta, sigma = eta_s u */
    double acc = g->Gp[grp[i]] * r->u[i];
    for (int j = 0; j < d; j++) acc += r->Delta[i * d + j] * r->u[j];
    w->Du[i] = acc;
  }
  for (int i = 0; i < d; i++) r->beta[i] += k->c * k->eta_score * w->Du[i] + k->eta_fit * r->u[i];
  for (int j = 0; j < d; j++)
    w->colscale[j] = (k->aa * g->lam[grp[j]] + k->ss) * g->inv_v[grp[j]] + cr;
  for (int i = 0; i < d; i++) {
    double *row = r->Delta + (size_t)i * d;
    for (int j = 0; j < d; j++) row[j] *= w->colscale[j];
    if (w->Rp)
      for (int j = 0; j < d; j++) row[j] += km * w->Rp[(size_t)i * d + j];
    row[i] += g->Dt[grp[i]] + cr * g->Gp[grp[i]] + k->k_scale;
  }
}

/* Exact E||e_t|| for fit-matrix at a probe step: eigenvalues of k^2 R' V_t R'. */
static ctr_status matrix_error_l1(run_ws *w, const step_coef *k, double *l1, ctr_error *err) {
  int d = w->tg->d;
  double km = matrix_scale(w, k);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) {
      double acc = 0;
      for (int l = 0; l < d; l++)
        acc += w->Rp[i * d + l] * w->Rp[j * d + l] / w->g.inv_v[w->tg->group[l]];
      gsl_matrix_set(w->M, i, j, km * km * acc);
    }
  gsl_vector_view ev = gsl_vector_view_array(w->s2buf, d);
  if (gsl_eigen_symm(w->M, &ev.vector, w->eig))
    return ctr_fail(err, CTR_ENUMERIC, "fit-matrix: eigenvalues of the error covariance failed");
  for (int i = 0; i < d; i++) w->s2buf[i] = fmax(w->s2buf[i], 0.0);
  return ctr_gauss_norm_mean(d, w->zero, w->s2buf, NULL, l1, err);
}

/* Per-step sums of theory.md §3 for step t: D_t always, e_t for fit errors. */
static ctr_status add_step_sums(run_ws *w, const step_coef *k, int64_t t, ctr_error *err) {
  const geometry *g = &w->g;
  int nd = g->nd;
  ctr_status st = CTR_OK;
  double rms = sqrt(weighted_sum(nd, g->mult, g->tau2)), l1 = 0;
  if (ctr_stepsum_is_probe(w->sumD, t))
    st = ctr_gauss_norm_mean(nd, w->zero, g->tau2, g->mult, &l1, err);
  if (st) return st;
  ctr_stepsum_add(w->sumD, t, rms, l1);
  switch (w->p->error.kind) {
  case CTR_ERR_FIT_BIAS: ctr_stepsum_add(w->sumE, t, k->eps_t, k->eps_t); break;
  case CTR_ERR_FIT_SCALE:
    for (int j = 0; j < nd; j++) w->s2buf[j] = k->k_scale * k->k_scale / g->inv_v[j];
    rms = sqrt(weighted_sum(nd, g->mult, w->s2buf));
    if (ctr_stepsum_is_probe(w->sumE, t))
      st = ctr_gauss_norm_mean(nd, w->zero, w->s2buf, g->mult, &l1, err);
    ctr_stepsum_add(w->sumE, t, rms, l1);
    break;
  case CTR_ERR_FIT_MATRIX:
    if (ctr_stepsum_is_probe(w->sumE, t)) st = matrix_error_l1(w, k, &l1, err);
    ctr_stepsum_add(w->sumE, t, k->eps_t, l1);
    break;
  default: break;
  }
  return st;
}

static void ws_free(run_ws *w) {
  free(w->g.inv_vp), free(w->g.inv_v), free(w->g.Gp), free(w->g.Gt), free(w->g.Dt);
  free(w->g.tau2), free((double *)w->g.sq1), free(w->A), free(w->Rp), free(w->rcol2);
  free(w->zero), free(w->s2buf), free(w->colscale), free(w->Du);
  ctr_stepsum_free(w->sumD), ctr_stepsum_free(w->sumE);
  if (w->eig) gsl_eigen_symm_free(w->eig);
  if (w->M) gsl_matrix_free(w->M);
}

static ctr_status ws_alloc(run_ws *w, ctr_error *err) {
  const ctr_target *tg = w->tg;
  ctr_affine_result *r = w->r;
  int nd = tg->ndistinct, d = tg->d, full = r->full;
  int matrix = w->p->error.kind == CTR_ERR_FIT_MATRIX;
  int probes = w->p->probes > 0 ? w->p->probes : 128;
  size_t dd = (size_t)d * d, nbuf = (size_t)(nd > d ? nd : d);
  geometry *g = &w->g;
  g->nd = nd, g->lam = tg->distinct, g->mult = tg->mult;
  g->inv_vp = ctr_dalloc(nd), g->inv_v = ctr_dalloc(nd), g->Gp = ctr_dalloc(nd);
  g->Gt = ctr_dalloc(nd), g->Dt = ctr_dalloc(nd), g->tau2 = ctr_dalloc(nd);
  double *sq1 = ctr_dalloc(nd);
  g->sq1 = sq1;
  r->v1 = ctr_dalloc(nd), r->vN = ctr_dalloc(nd), r->G = ctr_dalloc(nd);
  r->delta = ctr_dalloc(nd), r->bcoef = ctr_dalloc(nd), r->u = ctr_dalloc(d);
  w->zero = ctr_dalloc(nbuf), w->s2buf = ctr_dalloc(nbuf);
  w->sumD = ctr_stepsum_alloc(w->s->N, probes);
  w->sumE = ctr_stepsum_alloc(w->s->N, matrix ? (probes < 16 ? probes : 16) : probes);
  int ok = g->inv_vp && g->inv_v && g->Gp && g->Gt && g->Dt && g->tau2 && sq1 && r->v1 &&
           r->vN && r->G && r->delta && r->bcoef && r->u && w->zero && w->s2buf && w->sumD &&
           w->sumE;
  if (w->p->engine == CTR_ENGINE_CD) ok = ok && (w->A = ctr_dalloc(nd));
  if (full) {
    r->beta = ctr_dalloc(d), r->Delta = ctr_dalloc(dd);
    w->colscale = ctr_dalloc(d), w->Du = ctr_dalloc(d);
    ok = ok && r->beta && r->Delta && w->colscale && w->Du;
  }
  if (matrix) {
    w->Rp = ctr_dalloc(dd), w->rcol2 = ctr_dalloc(d);
    w->eig = gsl_eigen_symm_alloc(d), w->M = gsl_matrix_alloc(d, d);
    ok = ok && w->Rp && w->rcol2 && w->eig && w->M;
  }
  if (!ok) return ctr_fail(err, CTR_ENOMEM, "engine: out of memory (d = %d, N = %lld)", d,
                           (long long)w->s->N);
  return CTR_OK;
}

static ctr_status check_combination(const ctr_affine_params *p, int full, ctr_error *err) {
  ctr_status st = ctr_errmodel_check(&p->error, err);
  if (st) return st;
  if (!ctr_engine_is_affine(p->engine))
    return ctr_fail(err, CTR_EINPUT, "engine %s is not a closed-form engine (accepted: ct, cd)",
                    ctr_engine_name(p->engine));
  if (p->engine == CTR_ENGINE_CD && full)
    return ctr_fail(err, CTR_EINPUT, "engine cd composes DDIM steps on the commuting path only "
                                     "(accepted with cd: none, fit-bias, fit-scale, score-bias, "
                                     "score-scale; fit-matrix needs engine ct)");
  return CTR_OK;
}

static ctr_status ws_init(run_ws *w, ctr_error *err) {
  const ctr_schedule *s = w->s;
  const ctr_target *tg = w->tg;
  ctr_affine_result *r = w->r;
  double a1 = s->a[1], s1 = s->s[1], aN = s->a[s->N], sN = s->s[s->N];
  for (int j = 0; j < tg->ndistinct; j++) {
    double l = tg->distinct[j];
    r->v1[j] = a1 * a1 * l + s1 * s1, r->vN[j] = aN * aN * l + sN * sN;
    r->G[j] = sqrt(r->v1[j] / r->vN[j]);
    ((double *)w->g.sq1)[j] = sqrt(r->v1[j]);
    w->g.inv_vp[j] = 1.0 / r->v1[j], w->g.Gp[j] = 1.0;
    if (w->A) w->A[j] = 1.0;
  }
  r->a1 = a1, r->aN = aN, r->abar_N = ctr_schedule_abar_N(s);
  ctr_status st = CTR_OK;
  if (ctr_errmodel_is_bias(w->p->error.kind)) st = error_direction(tg, w->p->seed, r->u, err);
  if (st || !w->Rp) return st;
  st = error_matrix(tg, w->p->seed, w->Rp, err);
  for (int i = 0; !st && i < tg->d; i++)
    for (int j = 0; j < tg->d; j++) w->rcol2[j] += w->Rp[i * tg->d + j] * w->Rp[i * tg->d + j];
  return st;
}

static ctr_status finish(run_ws *w, ctr_error *err) {
  ctr_affine_result *r = w->r;
  int nd = w->tg->ndistinct, exactD, exactE;
  if (w->A)
    for (int j = 0; j < nd; j++) r->delta[j] = w->A[j] - r->G[j];
  ctr_stepsum_finish(w->sumD, &r->sum_D_l1, &r->sum_D_rms, &exactD);
  ctr_stepsum_finish(w->sumE, &r->sum_e_l1, &r->sum_e_rms, &exactE);
  /* one distinct eigenvalue: the L1/RMS ratio is constant in t, so interpolation is exact */
  int iso = nd == 1 && w->p->error.kind != CTR_ERR_FIT_MATRIX;
  r->sums_exact = (exactD && exactE) || iso;
  size_t n = r->full ? (size_t)w->tg->d * w->tg->d : (size_t)nd;
  const double *chk = r->full ? r->Delta : r->delta;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(chk[i]))
      return ctr_fail(err, CTR_ENUMERIC, "engine: non-finite slope after N = %lld steps",
                      (long long)w->s->N);
  return CTR_OK;
}

/* The streaming kernel covers ct on the diag path with errors that leave the slope alone. */
static int fast_eligible(const ctr_affine_params *p, int full) {
  return !p->reference && !full && p->engine == CTR_ENGINE_CT &&
         (p->error.kind == CTR_ERR_NONE || p->error.kind == CTR_ERR_FIT_BIAS);
}

/* delta = G (sqrt(1 - y_N) - 1) per distinct eigenvalue; fit-bias adds sum_t eps_t to every
 * offset coefficient (bcoef), in step order as the per-step loop does. */
static ctr_status run_fast(run_ws *w, ctr_error *err) {
  const ctr_target *tg = w->tg;
  ctr_affine_result *r = w->r;
  int nd = tg->ndistinct;
  double eps = w->p->error.kind == CTR_ERR_FIT_BIAS ? w->p->error.eps : 0, bsum = 0;
  ctr_affine_spectrum spec = {nd, tg->distinct, tg->mult, NULL};
  ctr_status st = CTR_OK;
  int want = w->p->interp > 0 || (w->p->interp == 0 && nd >= CTR_AFFINE_INTERP_MIN);
  if (want) { /* fresh step sums: a failed check must leave no trace */
    int probes = w->p->probes > 0 ? w->p->probes : 128;
    ctr_stepsum *sD = ctr_stepsum_alloc(w->s->N, probes), *sE = ctr_stepsum_alloc(w->s->N, probes);
    if (!sD || !sE) st = ctr_fail(err, CTR_ENOMEM, "engine: out of memory (step sums)");
    if (!st)
      st = ctr_affine_cheb_deficit(w->s, &spec, sD, sE, eps, &bsum, 1e-11, r->delta, &r->interp,
                                   err);
    if (r->interp) { /* swap in the sums of the accepted run */
      ctr_stepsum *t = w->sumD;
      w->sumD = sD, sD = t, t = w->sumE, w->sumE = sE, sE = t;
    }
    ctr_stepsum_free(sD), ctr_stepsum_free(sE);
  }
  double nl[CTR_AFFINE_CHEB_MAX], nw[CTR_AFFINE_CHEB_MAX];
  int M = 0;
  if (!st && !r->interp && nd >= CTR_AFFINE_PROBE_NODES_MIN)
    st = ctr_affine_cheb_nodes(&spec, nl, nw, &M, err);
  ctr_affine_spectrum nodes = {M, nl, nw, NULL};
  if (M) spec.approx = &nodes; /* cheaper probe quadratures, checked at t = N */
  if (!st && !r->interp) {
    st = ctr_affine_fast_deficit(w->s, nd, tg->distinct, tg->mult, &spec, w->sumD, w->sumE, eps,
                                 &bsum, r->delta, NULL, NULL, err);
    for (int j = 0; !st && j < nd; j++) r->delta[j] = ctr_affine_shrink(r->delta[j]);
  }
  for (int j = 0; !st && j < nd; j++) r->delta[j] *= r->G[j], r->bcoef[j] = bsum;
  return st;
}

ctr_status ctr_affine_run(const ctr_affine_params *p, const ctr_schedule *s, const ctr_target *tg,
                          ctr_affine_result **out, ctr_error *err) {
  *out = NULL;
  int full = p->force_full || p->error.kind == CTR_ERR_FIT_MATRIX;
  ctr_status st = check_combination(p, full, err);
  if (st) return st;
  if (full && tg->d > CTR_TARGET_DMAX_MATRIX)
    return ctr_fail(err, CTR_EINPUT, "full-matrix path: d = %d exceeds %d", tg->d,
                    CTR_TARGET_DMAX_MATRIX);
  ctr_affine_result *r = calloc(1, sizeof *r);
  if (!r) return ctr_fail(err, CTR_ENOMEM, "engine: out of memory");
  r->full = full, r->d = tg->d, r->nd = tg->ndistinct;
  run_ws w = {.p = p, .s = s, .tg = tg, .r = r};
  st = ws_alloc(&w, err);
  if (!st) st = ws_init(&w, err);
  if (!st && fast_eligible(p, full)) st = run_fast(&w, err);
  else
  for (int64_t t = 2; !st && t <= s->N; t++) {
    step_coef k;
    step_coefs(s, tg, &p->error, t, &k);
    if (full || w.A) geometry_step(&w.g, &k);
    if (full) update_full(&w, &k);
    else if (w.A) update_cd(&w, &k);
    else update_diag(&w, &k);
    st = add_step_sums(&w, &k, t, err);
    geometry_advance(&w.g);
  }
  if (!st) st = finish(&w, err);
  ws_free(&w);
  if (st) ctr_affine_result_free(r);
  else *out = r;
  return st;
}

/* ctr_affine_diag_laws (moved here from metrics/gaussian_metrics.c so that engines built on
 * this one, engines/lowrank.h, share it). Laws per coordinate (diag path), written as differences from X_1 without cancellation:
 * with A = G + delta, input q_N gives sd2 - sd1 = delta sqrt(v_N) (since G sqrt(v_N) =
 * sqrt(v_1)); input N(0, I) gives A - sqrt(v_1) = (G - sqrt(v_1)) + delta, and
 * G - sqrt(v_1) = sqrt(v_1) a_N^2 (1 - lambda) / (sqrt(v_N) (1 + sqrt(v_N))). */
static void diag_entry(const ctr_affine_result *r, const ctr_target *tg, int qN, int j,
                       double beta, double mu, ctr_affine_laws *L, int i) {
  double l = tg->distinct[j], dl = r->delta[j], G = r->G[j], A = G + dl;
  double sq1 = sqrt(r->v1[j]), sqN = sqrt(r->vN[j]);
  L->sd[i] = sq1;
  if (qN) {
    L->dsd[i] = A >= 0 ? dl * sqN : -A * sqN - sq1;
    L->dm[i] = beta;
    L->cnu[i] = beta, L->cs2[i] = dl * dl * r->vN[j];
  } else {
    double gap = sq1 * r->aN * r->aN * (1 - l) / (sqN * (1 + sqN));
    L->dsd[i] = A >= 0 ? gap + dl : -A - sq1;
    L->dm[i] = beta - A * r->aN * mu;
    L->cnu[i] = beta - dl * r->aN * mu, L->cs2[i] = dl * dl;
  }
}

void ctr_affine_diag_laws(const ctr_affine_result *r, const ctr_target *tg, int qN,
                          ctr_affine_laws *L) {
  int percoord = 0;
  for (int k = 0; k < tg->d; k++)
    if (r->u[k] != 0 || tg->mu_eig[k] != 0) percoord = 1;
  if (percoord) {
    L->n = tg->d;
    for (int k = 0; k < tg->d; k++) {
      int j = tg->group[k];
      diag_entry(r, tg, qN, j, r->u[k] * r->bcoef[j], tg->mu_eig[k], L, k);
      L->mult[k] = 1;
    }
  } else {
    L->n = tg->ndistinct;
    for (int j = 0; j < tg->ndistinct; j++) {
      diag_entry(r, tg, qN, j, 0, 0, L, j);
      L->mult[j] = tg->mult[j];
    }
  }
}
