/* targets/input_mismatch.h: the target's own scale and the cost of feeding N(0, I) instead of q_N
 * to the flow map (theory.md §9, "the theorem's input").
 *
 * The theorem bounds W1(f_N(N(0, I)), X_1). With Phi = Phi_{N->1} (Phi#q_N = X_1):
 *   W1(f_N#phi, X_1) <= E_{Z~phi}||f_N(Z) - Phi(Z)|| + W1(Phi#phi, Phi#q_N),
 *   W1(Phi#phi, Phi#q_N) <= int ||Phi(z) - x0|| |phi - q_N|(dz)           (any x0)
 *                        <= (E||X_1 - x0||^2)^(1/2) chi2(phi || q_N)^(1/2)  (Cauchy-Schwarz,
 *                           the first factor because Phi pushes q_N to X_1),
 * with x0 = E X_1: E||X_1 - E X_1||^2 = a_1^2 tr Cov X_0 + d s_1^2. By convexity of 1/x,
 *   chi2(phi || sum_k pi_k q_k) <= sum_k pi_k int phi^2 / q_k - 1,
 * and for q_k = N(m, S), m = a mu_k, S = a^2 Sigma_k + s^2 I = U diag(v_r) U^T (a^2 + s^2 = 1,
 * so v_r = 1 + delta_r with delta_r = a^2 (l_r - 1) free of cancellation):
 *   int phi^2 / q_k = |S|^(1/2) |2I - S^-1|^(-1/2) exp((1/2)(b^T (2I - S^-1)^-1 b + m^T S^-1 m)),
 *   b = S^-1 m; per eigen-coordinate (m_r = (U^T m)_r) its log is
 *   T_k = sum_r [ log v_r - (1/2) log(2 v_r - 1) + m_r^2 / (2 v_r - 1) ]
 *       = sum_r [ -(1/2) log1p(-(delta_r / (1 + delta_r))^2) + m_r^2 / (1 + 2 delta_r) ],
 * finite iff every v_r > 1/2 (2I - S^-1 positive definite). The bound is then
 * sum_k pi_k expm1(T_k): O(abar_N), no cancellation however small abar_N is. */
#ifndef CTR_TARGETS_INPUT_MISMATCH_H
#define CTR_TARGETS_INPUT_MISMATCH_H

#include "core/common.h"
#include "targets/mixture.h"

/* sqrt(E||X_0 - E X_0||^2) = sqrt(sum_k pi_k (tr Sigma_k + ||mu_k - mean||^2)). */
double ctr_mixture_data_scale(const ctr_mixture *m);

/* T_k = log int phi^2 / q_k at noise level (a, s) (a^2 + s^2 = 1); +INFINITY when some
 * v_r <= 1/2 (the integral diverges). work: d doubles (full components only, else NULL ok). */
double ctr_chi2_log_term(const ctr_mixture *m, int k, double a, double *work);

typedef struct {
  double chi2_hi; /* sum_k pi_k expm1(T_k) >= chi2(N(0,I) || q_N) (INFINITY if divergent) */
  double spread;  /* (E||X_1 - E X_1||^2)^(1/2) */
  double bound;   /* spread * sqrt(chi2_hi) >= W1(Phi#N(0,I), X_1) */
} ctr_input_mismatch;

/* At the levels (a_N, s_N) (q_N) and (a_1, s_1) (X_1). */
ctr_status ctr_input_mismatch_compute(const ctr_mixture *m, double a_N, double a_1, double s_1,
                                      ctr_input_mismatch *out, ctr_error *err);

#endif
