/* Chebyshev path of the affine engine (engines/affine_fast.h; theory.md section 9).
 *
 * expm1(D_N) and the per-step bias variance tau_t^2 = v_1 (1 - cos theta_t)^2 are analytic in
 * u = log lambda, with singularities where v_t = a_t^2 e^u + s_t^2 vanishes, i.e. at imaginary
 * distance pi from the real axis for every t. On an interval of length L Chebyshev
 * interpolation then converges like rho^-M with rho = b + sqrt(1 + b^2), b = 2 pi / L
 * (Bernstein ellipse through the nearest singularity); M is chosen for 1e-15 and bounded.
 * The recursion runs exactly at the M nodes (second kind, barycentric formula) and at
 * CHECKS eigenvalues of the spectrum drawn with a fixed seed; the sum over eigenvalues of
 * tau_t^2 becomes sum_k W_k tau_t^2(node_k) with W_k = sum_j mult_j ell_k(u_j). Accepted only
 * if the interpolated expm1(D_N) matches the exact recursion at the check eigenvalues, the
 * interpolated sum of tau_t^2 the exact sum (every 16th probe step and t = N) and the L1 at
 * t = N the exact one, all to `tol`. The L1 at the probe steps is taken over the nodes with
 * weights W (when W >= 0), so the engine costs O(N M + d M), not O(N d). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/parfor.h"
#include "engines/affine_fast.h"

enum { CHECKS = 8, MMIN = 16, MMAX = CTR_AFFINE_CHEB_MAX, SPAN = 4096 };

typedef struct {
  int M;
  double u[MMAX], bw[MMAX]; /* nodes in u = log lambda, barycentric weights */
  const ctr_affine_spectrum *spec;
  const double *fk; /* values at the nodes (pass 2) */
  double *W;        /* pass 1: one partial W per span of SPAN eigenvalues */
  double *out;      /* pass 2: interpolated values */
} cheb;

/* ell_k(u) for all k (barycentric, second kind); exact at a node. */
static void basis(const cheb *c, double u, double *ell) {
  double sum = 0;
  for (int k = 0; k < c->M; k++) {
    double du = u - c->u[k];
    if (du == 0) {
      for (int i = 0; i < c->M; i++) ell[i] = i == k;
      return;
    }
    ell[k] = c->bw[k] / du, sum += ell[k];
  }
  for (int k = 0; k < c->M; k++) ell[k] /= sum;
}

static double interp(const cheb *c, double u, const double *fk) {
  double ell[MMAX], f = 0;
  basis(c, u, ell);
  for (int k = 0; k < c->M; k++) f += ell[k] * fk[k];
  return f;
}

static void *span_ws(void *ctx) { return ctx; }
static void span_ws_free(void *ws) { (void)ws; }

/* pass 1: W partials of span i, summed in eigenvalue order within the span */
static ctr_status span_weights(void *ctx, size_t i, void *ws, ctr_error *err) {
  cheb *c = ctx;
  double ell[MMAX], *W = c->W + i * (size_t)c->M;
  size_t j1 = (i + 1) * SPAN < (size_t)c->spec->n ? (i + 1) * SPAN : (size_t)c->spec->n;
  for (size_t j = i * SPAN; j < j1; j++) {
    basis(c, log(c->spec->lam[j]), ell);
    for (int k = 0; k < c->M; k++) W[k] += c->spec->mult[j] * ell[k];
  }
  return CTR_OK;
}

/* pass 2: interpolated values for span i */
static ctr_status span_values(void *ctx, size_t i, void *ws, ctr_error *err) {
  cheb *c = ctx;
  size_t j1 = (i + 1) * SPAN < (size_t)c->spec->n ? (i + 1) * SPAN : (size_t)c->spec->n;
  for (size_t j = i * SPAN; j < j1; j++) c->out[j] = interp(c, log(c->spec->lam[j]), c->fk);
  return CTR_OK;
}

static int node_count(double lo, double hi) {
  double L = log(hi / lo), b = 2 * M_PI / L, rho = b + sqrt(1 + b * b);
  double M = ceil(34.5 / log(rho)) + 4; /* rho^-M <= 1e-15, plus margin */
  return M < MMIN ? MMIN : M > MMAX ? MMAX + 1 : (int)M;
}

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* The node lanes, then CHECKS lanes at eigenvalues picked with a fixed seed (weight 0). */
static void setup(cheb *c, double lo, double hi, double *lam, int *pick) {
  double mid = 0.5 * (log(lo) + log(hi)), half = 0.5 * (log(hi) - log(lo));
  for (int k = 0; k < c->M; k++) {
    c->u[k] = mid + half * cos(M_PI * k / (c->M - 1));
    c->bw[k] = (k % 2 ? -1.0 : 1.0) * (k == 0 || k == c->M - 1 ? 0.5 : 1.0);
    lam[k] = exp(c->u[k]);
  }
  uint64_t x = 0x5EEDC4EBull;
  for (int r = 0; r < CHECKS; r++) {
    pick[r] = (int)(splitmix(&x) % (uint64_t)c->spec->n);
    lam[c->M + r] = c->spec->lam[pick[r]];
  }
}

static ctr_status run_spans(cheb *c, ctr_status (*fn)(void *, size_t, void *, ctr_error *),
                            ctr_error *err) {
  return ctr_affine_jobs(c, fn, span_ws, span_ws_free, ((size_t)c->spec->n + SPAN - 1) / SPAN,
                         20.0 * c->M * c->spec->n, err);
}

/* Nodes, check eigenvalues and weights; c->M = 0 when the spectrum does not qualify. */
static ctr_status nodes_weights(const ctr_affine_spectrum *spec, cheb *c, double *lam, double *w,
                                int *pick, ctr_error *err) {
  double lo = INFINITY, hi = 0;
  for (int j = 0; j < spec->n; j++) lo = fmin(lo, spec->lam[j]), hi = fmax(hi, spec->lam[j]);
  *c = (cheb){.spec = spec};
  if (spec->n < 2 || !(lo > 0) || !(hi > lo) || !isfinite(hi)) return CTR_OK;
  c->M = node_count(lo, hi);
  if (c->M > MMAX) return c->M = 0, CTR_OK;
  size_t spans = ((size_t)spec->n + SPAN - 1) / SPAN;
  setup(c, lo, hi, lam, pick);
  c->W = ctr_dalloc(spans * (size_t)c->M);
  if (!c->W) return ctr_fail(err, CTR_ENOMEM, "engine: out of memory (Chebyshev weights)");
  ctr_status st = run_spans(c, span_weights, err);
  for (size_t i = 0; !st && i < spans; i++) /* span partials in span order */
    for (int k = 0; k < c->M; k++) w[k] += c->W[i * (size_t)c->M + k];
  free(c->W);
  c->W = NULL;
  return st;
}

ctr_status ctr_affine_cheb_nodes(const ctr_affine_spectrum *spec, double *lam, double *w, int *M,
                                 ctr_error *err) {
  cheb c;
  int pick[CHECKS];
  double lw[MMAX + CHECKS], ww[MMAX + CHECKS] = {0};
  ctr_status st = nodes_weights(spec, &c, lw, ww, pick, err);
  int wpos = 1;
  for (int k = 0; k < c.M; k++) wpos &= ww[k] >= 0;
  *M = st || !wpos ? 0 : c.M;
  memcpy(lam, lw, sizeof(double) * (size_t)*M), memcpy(w, ww, sizeof(double) * (size_t)*M);
  return st;
}

ctr_status ctr_affine_cheb_deficit(const ctr_schedule *s, const ctr_affine_spectrum *spec,
                                   ctr_stepsum *sumD, ctr_stepsum *sumE, double eps_fit,
                                   double *bsum, double tol, double *e, int *used,
                                   ctr_error *err) {
  *used = 0;
  cheb c;
  int pick[CHECKS];
  double lam[MMAX + CHECKS], w[MMAX + CHECKS] = {0}, y[MMAX + CHECKS], fk[MMAX];
  ctr_status st = nodes_weights(spec, &c, lam, w, pick, err);
  if (st || !c.M) return st;
  int n = c.M + CHECKS;
  /* L1 at the probe steps over the nodes (weights W) when W >= 0, as ctr_gauss_norm_mean
   * needs; else over the whole spectrum (O(d) per probe) */
  int wpos = 1;
  for (int k = 0; k < c.M; k++) wpos &= w[k] >= 0;
  ctr_affine_spectrum nodes = {c.M, lam, w, NULL};
  double probe_err = 0;
  if (!st)
    st = ctr_affine_fast_deficit(s, n, lam, w, wpos ? &nodes : spec, sumD, sumE, eps_fit, bsum, y,
                                 spec, &probe_err, err);
  if (st) return st;
  for (int k = 0; k < c.M; k++) fk[k] = ctr_affine_shrink(y[k]);
  double miss = probe_err;
  for (int r = 0; r < CHECKS; r++) {
    double ex = ctr_affine_shrink(y[c.M + r]), ip = interp(&c, log(lam[c.M + r]), fk);
    miss = fmax(miss, ex != 0 ? fabs(ip - ex) / fabs(ex) : fabs(ip));
  }
  (void)pick;
  if (!(miss <= tol)) return CTR_OK;
  c.fk = fk, c.out = e;
  st = run_spans(&c, span_values, err);
  *used = !st;
  return st;
}
