/* core/point.h: one row of a result table: every parameter and every metric of one
 * simulated point (target x d x N x schedule x engine x error x seed).
 *
 * The field list is an X-macro so that the HDF5 compound type, `ctrate show`,
 * the CSV export and docs/results-format.md are all generated from one place
 * and cannot drift apart. Strings are fixed-size, NUL-terminated. */
#ifndef CTR_CORE_POINT_H
#define CTR_CORE_POINT_H

#include <stddef.h>
#include <stdint.h>

/* X(kind, name, size, doc): kind is I64, I32, F64 or STR; size is the buffer
 * size of a STR field (0 otherwise). */
#define CTR_POINT_FIELDS(X)                                                                        \
  X(I64, point_id, 0, "stable id of the point within its sweep (0-based grid index)")              \
  X(I64, seed, 0, "master seed of the point's random streams (rotation, mean, error direction)")   \
  X(I32, replicate, 0, "replicate index r of the sweep (its seed is the spec's seed + r)")          \
  X(STR, target, 16,                                                                               \
    "target: isotropic, geometric, power, diagonal, file (Gaussian); two_modes, simplex, sphere, "  \
    "cloud_ball, cloud_sphere, mixture_file, product_bimodal, scale_mixture, simplex_full, "      \
    "aniso_modes, scale_tail, cloud_ball_kd, cloud_sphere_kd, cloud_ball_d2, cloud_sphere_d2, "   \
    "scale_pair (mixtures and point clouds)")                                                      \
  X(I32, d, 0, "dimension")                                                                        \
  X(I64, N, 0, "number of steps (the paper's T); training steps are t = 2..N")                     \
  X(F64, lambda, 0, "variance of the isotropic family")                                            \
  X(F64, lambda_min, 0, "smallest eigenvalue of the geometric and power families")                 \
  X(F64, lambda_max, 0, "largest eigenvalue of the geometric and power families")                  \
  X(STR, cov_source, 128, "diagonal list or covariance file the spectrum came from (else empty)")  \
  X(I32, rotate, 0, "1 if the covariance was rotated by a Haar-random orthogonal matrix")          \
  X(F64, mean_norm, 0, "norm of the random mean (0: zero mean)")                                   \
  X(I32, K, 0, "mixture components (1 for a Gaussian target)")                                     \
  X(F64, sigma, 0, "mixture presets: standard deviation of every mode (0: point masses)")          \
  X(F64, mode_m, 0, "two_modes: the modes sit at +-m e_1; scale_pair: the first shell's weight")                                         \
  X(F64, radius, 0, "simplex, sphere, clouds: radius R actually used (after sqrt(d) growth); scale_pair: the second shell's sd")     \
  X(I32, radius_growing, 0, "1 if the radius grows as radius sqrt(d) (--radius-growing)")     \
  X(STR, schedule, 16, "noise schedule: paper, linear, cosine, karras or curriculum")                                  \
  X(F64, c0, 0, "paper schedule: beta_1 = N^-c0")                                                  \
  X(F64, c1, 0, "paper schedule: saturation level c1 log N / N")                                   \
  X(F64, beta_min, 0, "linear schedule: first beta (at N = 1000, rescaled by 1000/N)")             \
  X(F64, beta_max, 0, "linear schedule: last beta (at N = 1000, rescaled by 1000/N)")              \
  X(F64, cosine_s, 0, "cosine schedule offset s")                                                  \
  X(STR, engine, 8,                                                                                \
    "ct, cd (Gaussian closed forms); chain, distill, grid (mixtures, any target); learned (from samples); product (product targets, any d); radial (rotation-invariant targets, any d); lowrank (means on a line, shared width, any d)")                 \
  X(STR, error, 16, "error model: none, fit-bias, fit-scale, fit-matrix, score-bias, score-scale") \
  X(F64, eps, 0, "error size: total sum_t eps_t for fit errors, per-step size for score errors")   \
  X(STR, path, 8, "algebra: diag (per eigenvalue), cheb (diag via log-lambda interpolation), full")  \
  X(I32, points, 0, "chain, distill: starting points x_i ~ q_N")                                  \
  X(I32, chains, 0, "chain: independent chains per point")                                        \
  X(F64, abar_N, 0, "abar_N = prod alpha_t, how far q_N is from N(0, I)")                          \
  X(F64, lipschitz, 0,                                                                             \
    "flow-map Lipschitz constant L = sup_{k<=t} Lip(Phi_{t->k}), at least 1: exact for Gaussians " \
    "and coordinate-wise mixtures (1-D transport identity), rotation-invariant ones on engine "  \
    "radial (radial transport), else a certified lower bound "        \
    "(multi-start maximisation of ||J||_op); lipschitz_kind says which; inf: beyond the double "  \
    "range, see log10_lipschitz; NaN: the search failed (lipschitz_kind failed)")                 \
  X(F64, lipschitz_at_norm, 0, "|x*| of the maximiser of the Jacobian norm (NaN for Gaussians)")   \
  X(F64, log10_lipschitz, 0, "log10 of lipschitz, finite even where L exceeds the double range")  \
  X(F64, w2_normal, 0, "exact W2(f_N(N(0,I)), X_1) (lowrank k = 2: semi-discrete, up to "        \
    "disc_err, theory.md 9.23)")                                                                  \
  X(F64, w1_lo_normal, 0, "certified lower bound on W1(f_N(N(0,I)), X_1)")                         \
  X(F64, w1_hi_normal, 0, "certified upper bound on W1(f_N(N(0,I)), X_1)")                         \
  X(F64, w2_qN, 0, "exact W2(f_N(q_N), X_1)")                                                      \
  X(F64, w1_lo_qN, 0, "certified lower bound on W1(f_N(q_N), X_1)")                                \
  X(F64, w1_hi_qN, 0, "certified upper bound on W1(f_N(q_N), X_1)")                                \
  X(F64, w2_lo_normal, 0, "lower bound on W2(f_N(N(0,I)), X_1) where W2 is bracketed (lowrank "    \
    "k = 2, theory.md 9.18, 9.23: Gelbrich or semi-discrete); equals w2_normal where that is "    \
    "exact; NaN else")                                                                            \
  X(F64, w2_hi_normal, 0, "upper bound on W2(f_N(N(0,I)), X_1) (lowrank k = 2: a coupling or "    \
    "semi-discrete); equals w2_normal where that is exact; NaN else")                             \
  X(F64, w2_lo_qN, 0, "lower bound on W2(f_N(q_N), X_1), as w2_lo_normal")                        \
  X(F64, w2_hi_qN, 0, "upper bound on W2(f_N(q_N), X_1), as w2_hi_normal")                        \
  X(F64, coupling_l1_normal, 0, "E||f_N(Z) - Phi(Z)||, Z ~ N(0, I), Phi = Phi_{N->1}")             \
  X(F64, coupling_rms_normal, 0, "(E||f_N(Z) - Phi(Z)||^2)^(1/2), Z ~ N(0, I)")                    \
  X(F64, coupling_l1_se_normal, 0, "standard error of coupling_l1_normal (0 when exact)")         \
  X(F64, coupling_sq_normal, 0, "E||f_N(Z) - Phi(Z)||^2, Z ~ N(0, I) (chain: unbiased, may be < 0)") \
  X(F64, coupling_sq_se_normal, 0, "standard error of coupling_sq_normal (0 when exact)")         \
  X(F64, coupling_rms_se_normal, 0, "standard error of coupling_rms_normal (delta method)")       \
  X(F64, input_mismatch_hi, 0,                                                                     \
    "bound on W1(Phi#N(0,I), X_1): (E||X_1 - E X_1||^2 chi2(N(0,I)||q_N))^(1/2) (theory.md 9)")   \
  X(F64, coupling_l1_qN, 0, "E||f_N(X) - Phi(X)||, X ~ q_N (bounds W1 of the q_N input)")          \
  X(F64, coupling_rms_qN, 0, "(E||f_N(X) - Phi(X)||^2)^(1/2), X ~ q_N (bounds W2)")                \
  X(F64, coupling_l1_se_qN, 0, "standard error of coupling_l1_qN (0 when exact)")                 \
  X(F64, coupling_sq_qN, 0, "E||f_N(X) - Phi(X)||^2, X ~ q_N (chain: unbiased, may be < 0)")      \
  X(F64, coupling_sq_se_qN, 0, "standard error of coupling_sq_qN (0 when exact)")                 \
  X(F64, coupling_rms_se_qN, 0, "standard error of coupling_rms_qN (delta method; 0 when exact)") \
  X(STR, bracket_source, 48, "where the W1 bracket comes from (closed form, 95% bounds, ...)")     \
  X(F64, flow_err, 0, "largest error estimate of the ODE flow map Phi (mixture engines)")        \
  X(F64, disc_err, 0, "grid engine: discretisation error estimated by refinement")               \
  X(I32, sample_n, 0, "distill: sample size n of the sampled distances (0: none)")                 \
  X(F64, w1_sample_normal, 0, "exact W1 between n samples of f_N(N(0,I)) and n of X_1, mean of 4")  \
  X(F64, w1_floor, 0, "same-law floor: W1 between two independent n-samples of X_1, mean of 4") \
  X(F64, sliced_w1_normal, 0, "sliced W1 (mean over 64 random unit directions) of those samples") \
  X(F64, maxsliced_w1_normal, 0, "max-sliced W1 of those samples (<= their W1)")                  \
  X(F64, gelbrich_w2_normal, 0, "Gelbrich bound (moment-matched Gaussians, 1/n covariances) <= W2") \
  X(I32, assign_optimal, 0, "1 if the assignment solver certified both W1 values optimal")       \
  X(F64, sum_e_l1, 0, "sum_t E_{q_t}||e_t|| over t = 2..N (injected fit error, paper's eps)")      \
  X(F64, sum_e_rms, 0, "sum_t (E_{q_t}||e_t||^2)^(1/2)")                                           \
  X(F64, sum_D_l1, 0, "sum_t E_{q_t}||D_t|| (ideal per-step CT bias, theory.md §3)")                  \
  X(F64, sum_D_rms, 0, "sum_t (E_{q_t}||D_t||^2)^(1/2)")                                           \
  X(I32, sums_exact, 0, "1: L1 sums evaluated at every step; 0: ratio to RMS interpolated")        \
  X(F64, shrink_max, 0, "largest relative spread deficit 1 - A_N/Phi' over eigen-directions")      \
  X(F64, bound_shape, 0, "L^3 d^(5/2) log^5(N) / N, the theorem's rate with C = 1 (from "        \
    "log10_lipschitz; inf when it exceeds the double range: the bound is then vacuous)")          \
  X(F64, data_scale, 0, "sqrt(E||X_0 - E X_0||^2) = sqrt(trace Cov X_0): the target's own scale")                  \
  X(STR, lipschitz_kind, 8, "how lipschitz was obtained: exact (closed form, 1-D or radial exact), lower (a certified lower bound) or failed (the search failed, message says why)") \
  X(F64, w1_hi_se_normal, 0, "Monte Carlo standard error of w1_hi_normal (0 when exact)")                         \
  X(F64, rho, 0, "karras schedule exponent rho (NaN for other schedules)")                        \
  X(F64, sigma_min, 0, "karras schedule: sigma_1 (abar_1 = 1/(1 + sigma_1^2))")                   \
  X(F64, sigma_max, 0, "karras schedule: sigma_N (abar_N = 1/(1 + sigma_N^2))")                   \
  X(I64, curriculum_n0, 0, "curriculum schedule: first stage's grid points n0 (0 for others)")   \
  X(I32, curriculum_stages, 0, "curriculum: stages K + 1, N = 1 + (n0 - 1) 2^K (0 for others)")  \
  X(I64, train_n, 0, "learned: training samples per step (0 for other engines)")                 \
  X(STR, sample_mode, 8, "learned: fresh (new X_0 every step) or fixed (one data set reused)")     \
  X(STR, train_sampler, 8, "learned: samples (n pairs per step) or moments (their exact mean and covariance law)") \
  X(F64, ridge, 0, "learned: ridge penalty on ||A_t||_F^2 (per-sample mean loss)")                \
  X(F64, eps_learned, 0, "learned: measured sum_t ||f_t - f*_t||_{L2(q_t)} (the paper's eps)")    \
  X(F64, eps_learned_max, 0, "learned: max_t ||f_t - f*_t||_{L2(q_t)}")                           \
  X(F64, eps_F, 0, "learned: sum_t eps_F,t, the class error (0: affine class on Gaussians)")     \
  X(I32, degree, 0, "learned: polynomial degree of the class in d = 1 (0: affine class)")        \
  X(STR, features, 8, "learned: the function class: affine, poly (degree, d = 1), rff or rbf (d = 1, 2)")   \
  X(I32, n_features, 0, "learned, rff and rbf: the number M of features (beside an affine part)")  \
  X(F64, bandwidth, 0, "learned, rff: frequencies omega ~ N(0, 1/bandwidth^2) in units of sd(q_t)")\
  X(F64, rbf_width, 0, "learned, rbf: bump width in units of sd(q_t) (0: the mean centre spacing)") \
  X(STR, centres, 12, "learned, rbf: grid (even over the bulk of q_t) or quantile (of q_t)")        \
  X(I32, status, 0, "0 ok, 1 input refused, 2 out of memory, 3 numerical failure, 4 I/O")          \
  X(STR, message, 160, "empty, or why the point failed; with status 0: a note (e.g. Lipschitz starts that failed)")                                          \
  X(F64, wall_time, 0, "seconds spent on the point (engine and metrics)")

#define CTR_DECLARE_FIELD(kind, name, size, doc) CTR_DECLARE_##kind(name, size)
#define CTR_DECLARE_I64(name, size) int64_t name;
#define CTR_DECLARE_I32(name, size) int32_t name;
#define CTR_DECLARE_F64(name, size) double name;
#define CTR_DECLARE_STR(name, size) char name[size];

typedef struct {
  CTR_POINT_FIELDS(CTR_DECLARE_FIELD)
} ctr_point;

typedef enum { CTR_KIND_I64, CTR_KIND_I32, CTR_KIND_F64, CTR_KIND_STR } ctr_field_kind;

/* Reflection over the fields, for the HDF5 layer and the table printers. */
typedef struct {
  const char *name;
  ctr_field_kind kind;
  size_t offset; /* offsetof(ctr_point, name) */
  size_t size;   /* bytes in the struct */
  const char *doc;
} ctr_field;

extern const ctr_field ctr_point_fields[];
extern const size_t ctr_point_nfields;

/* Order of two rows by one field: -1, 0, 1 (NaN after every number, strings by strncmp), so
 * that grouping in analysis/ and the terminal tables sort alike. */
int ctr_point_field_cmp(const ctr_point *a, const ctr_point *b, const ctr_field *f);

/* Look a field up by name; NULL if there is none. */
const ctr_field *ctr_point_field(const char *name);

/* All numeric metrics NaN, strings empty, status 0: a row that no code has
 * filled shows as NaN rather than as a plausible zero. */
void ctr_point_clear(ctr_point *p);

/* Copy a string into a fixed field, truncating safely. */
void ctr_point_set_str(char *field, size_t size, const char *value);
#define CTR_SET_STR(field, value) ctr_point_set_str((field), sizeof(field), (value))

#endif
