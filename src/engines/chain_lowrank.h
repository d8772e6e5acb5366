/* engines/chain_lowrank.h: the backward chain of theory.md §5.6 for mixtures whose components
 * share one isotropic width sigma^2 I, whose means span r <= d dimensions (theory.md §9.4).
 *
 * Write y = Q y_r + y_perp with Q (d x r, orthonormal columns) a basis of span{mu_k}. Then
 * ||y - a mu_k||^2 = ||y_r - a Q^T mu_k||^2 + ||y_perp||^2, and the second term is the same for
 * every k, so the posterior weights depend on y_r alone; the posterior of X_0 is
 * N(m_k, C I) with m_k = mu_k + g (y - a mu_k), g = a sigma^2 / v, v = a^2 sigma^2 + s^2,
 * C = s^2 sigma^2 / v, whose complement part g y_perp + sqrt(C) zeta_perp does not depend on k.
 * So the chain's in-span part is the same chain for the reduced mixture (means Q^T mu_k in r
 * dims, width sigma^2), and its complement part is a linear Gaussian recursion with
 * deterministic coefficients (f_t = s_{t-1}/s_t + c_t g_t):
 *
 *     Y1_perp = A x_perp + B_u eta u_perp + B zeta_perp,   zeta_perp ~ N(0, I - Q Q^T),
 *     A = prod_t f_t,  B^2 = sum_t (c_t sqrt(C_t))^2 prod_{t' < t} f_t'^2,
 *     B_u = sum_t c_t prod_{t' < t} f_t'   (score-bias eta; t' < t: the later steps),
 *
 * exact in distribution. The flow map splits the same way: Phi(x) = Q Phi_r(Q^T x) + phi x_perp
 * with Phi_r the reduced mixture's flow and phi = sqrt((a_1^2 sigma^2 + s_1^2) /
 * (a_N^2 sigma^2 + s_N^2)) the flow of the 1-D Gaussian N(0, sigma^2) (theory.md §4.1).
 * A chain step then costs O(K r) instead of O(K d), and r normals instead of d. */
#ifndef CTR_ENGINES_CHAIN_LOWRANK_H
#define CTR_ENGINES_CHAIN_LOWRANK_H

#include "core/common.h"
#include "core/schedule.h"
#include "targets/mixture.h"

typedef struct {
  int d, r;          /* r = dim span{mu_k}, 0 <= r <= d */
  int ident;         /* 1: r = d (K > d, or means spanning R^d): Q = I, no complement */
  double *Q;         /* d x r row-major, orthonormal columns (NULL when r = 0 or ident) */
  ctr_mixture *red;  /* the reduced mixture in r dims (NULL when r = 0) */
  double *muT;       /* its means transposed, r x K row-major (the draw's distance loop) */
  double l;          /* the shared variance sigma^2 */
  double A, B, B_u;  /* complement recursion, see above */
  double phi;        /* complement flow factor */
} ctr_chain_lowrank;

/* 1 if every component is isotropic with one shared variance, else 0. When the means span
 * all of R^d (or K > d) the path still applies with Q = I and no complement: its gain is then
 * the specialised posterior draw alone. */
int ctr_chain_lowrank_applies(const ctr_mixture *m);

/* The basis (one-sided Jacobi SVD of the d x K matrix of means when K <= d and K^2 d <= 2e8,
 * singular values below 1e-11 of the largest dropped; else Q = I), the reduced mixture and
 * the coefficients at schedule s. *out is NULL (and CTR_OK returned) when
 * ctr_chain_lowrank_applies is 0, or Q = I with K d > 1e7 (the full-space path then). */
ctr_status ctr_chain_lowrank_alloc(const ctr_mixture *m, const ctr_schedule *s,
                                   ctr_chain_lowrank **out, ctr_error *err);
void ctr_chain_lowrank_free(ctr_chain_lowrank *lr);

/* An orthonormal basis Q (d x r row-major, allocated here; NULL when r = 0) of the span of the
 * n vectors v (n x d row-major), singular values below 1e-11 of the largest dropped. Used for
 * span{mu_k} here and span{mu_k - mu_1} by engines/lowrank.h. */
ctr_status ctr_chain_lowrank_basis(int d, int n, const double *v, double **Q, int *r,
                                   ctr_error *err);

/* Scratch length (doubles) of ctr_chain_lowrank_draw: K + r + 4. */
size_t ctr_chain_lowrank_work_len(const ctr_chain_lowrank *lr);

/* One posterior draw of X_0 for the reduced mixture at (a, s) given y (r dims), into x0:
 * one uniform, then r normals (ctr_rng_normals_vec) from rng, whatever component is drawn.
 * The same law as ctr_mixture_posterior_sample on lr->red, specialised to one shared width
 * (log w_k = log pi_k - ||y - a mu_k||^2 / (2v) up to a constant, distances taken as
 * differences: no cancellation) with vector exp. CTR_ENUMERIC if every log-weight overflows. */
ctr_status ctr_chain_lowrank_draw(const ctr_chain_lowrank *lr, double a, double s,
                                  const double *y, ctr_rng *rng, double *x0, double *work,
                                  ctr_error *err);

/* xr = Q^T x (r), xp = x - Q xr (d). */
void ctr_chain_lowrank_split(const ctr_chain_lowrank *lr, const double *x, double *xr,
                             double *xp);

/* out = Q yr + cp xp + cu up + cz (zeta - Q Q^T zeta); q: r doubles of scratch. up and zeta
 * may be NULL (terms left out). */
void ctr_chain_lowrank_join(const ctr_chain_lowrank *lr, const double *yr, double cp,
                            const double *xp, double cu, const double *up, double cz,
                            const double *zeta, double *q, double *out);

#endif
