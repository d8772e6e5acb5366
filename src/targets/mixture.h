/* targets/mixture.h: Gaussian-mixture targets X_0 ~ sum_k pi_k N(mu_k, Sigma_k) and their exact
 * posterior at any noise level (theory.md §5): posterior weights, the denoiser
 * D(x) = E[X_0 | a X_0 + s Z = x], its Jacobian (Tweedie), the score, posterior draws.
 *
 * Point clouds (every Sigma_k = 0) are the theorem's bounded-support setting (theory.md
 * §3): their support radius max_k ||mu_k|| is kept in `radius`.
 *
 * Each Sigma_k is stored by its eigendecomposition U_k diag(l_k) U_k^T, made once at alloc
 * (U_k = I for isotropic and diagonal components), so that at any (a, s)
 * S_k^-1 = (a^2 Sigma_k + s^2 I)^-1 = U_k diag(1 / (a^2 l_k + s^2)) U_k^T needs no new
 * factorisation. Cost of one posterior evaluation:
 *   D only:      O(K d) when no component is full, plus O(d^2) per full component;
 *   with gradD:  O(K d^2), plus O(d^3) per full component of non-zero posterior weight.
 *
 * Numerics: log-weights are normalised by log-sum-exp and components of zero posterior
 * weight are skipped, so far-apart components and s down to 1e-7 (a down to 1e-20) give
 * finite results; (a/s^2) is never formed (s^2 underflows long before a/s^2 overflows). */
#ifndef CTR_TARGETS_MIXTURE_H
#define CTR_TARGETS_MIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "targets/denoiser.h"
#include "core/rng.h"

/* Random presets draw their geometry from stream (seed, CTR_RNG_MIXTURE, d, K | ball << 32). */

#define CTR_MIXTURE_DMAX 1000000      /* isotropic and diagonal components */
#define CTR_MIXTURE_DMAX_FULL 4096    /* a full covariance needs d x d storage and O(d^3) */
#define CTR_MIXTURE_KMAX 1000000      /* components */
#define CTR_MIXTURE_KD_MAX 100000000  /* K d doubles of means: 800 MB */
#define CTR_MIXTURE_VALUE_MAX 1e100   /* |means| and variances: their squares must not overflow */

typedef enum {
  CTR_COV_ISO,  /* Sigma_k = v[0] I (one variance, 0 allowed: a point mass) */
  CTR_COV_DIAG, /* Sigma_k = diag(v[0..d-1]) */
  CTR_COV_FULL  /* Sigma_k = v, d x d row-major, symmetric PSD */
} ctr_cov_kind;

typedef struct {
  ctr_cov_kind kind;
  const double *v; /* see ctr_cov_kind; not owned */
} ctr_mixture_cov;

typedef struct {
  int K, d;
  double *weight;     /* pi_k, length K (renormalised to sum 1) */
  double *log_weight; /* log pi_k, -INFINITY for a zero weight */
  double *cum_weight; /* cumulative weights, for sampling */
  double *mu;         /* K x d row-major means */
  ctr_cov_kind *kind; /* per component */
  double *lam;        /* eigenvalues of Sigma_k from lam + lam_off[k]: 1 (iso) or d values */
  size_t *lam_off;
  double *U;          /* eigenvectors (columns, d x d row-major) from U + U_off[k], full only */
  size_t *U_off;      /* SIZE_MAX for iso and diagonal components */
  double radius;      /* max_k ||mu_k|| if every Sigma_k = 0 (bounded support), else INFINITY */
} ctr_mixture;

/* Check and build from K weights, K x d means (row-major) and K covariances, all copied.
 * Refuses with CTR_EINPUT, naming the value and the accepted range: K < 1, d < 1 or either
 * too large, negative or non-finite weights, weights not summing to 1 within 1e-12 (the sum
 * is reported), non-finite or huge means, negative or non-finite variances, full covariances
 * that are not symmetric (|S_ij - S_ji| <= 1e-10 max|S|) or not PSD (smallest eigenvalue
 * >= -1e-10 x largest; eigenvalues from GSL, small negative ones clamped to 0). */
ctr_status ctr_mixture_alloc(int K, int d, const double *weight, const double *mu,
                             const ctr_mixture_cov *cov, ctr_mixture **out, ctr_error *err);
void ctr_mixture_free(ctr_mixture *m);

/* Moments of X_0: mean (length d) and covariance (d x d row-major), caller's buffers. The
 * covariance allocates 2 d-sized temporaries and is filled with NaN if that fails. */
void ctr_mixture_mean(const ctr_mixture *m, double *mean);
void ctr_mixture_covariance(const ctr_mixture *m, double *cov);
/* Sigma_k (d x d row-major), rebuilt from its eigendecomposition. */
void ctr_mixture_component_cov(const ctr_mixture *m, int k, double *Sigma);

/* n draws of X_0, n x d row-major. Allocates one d-vector per call (not per draw). */
ctr_status ctr_mixture_sample(const ctr_mixture *m, ctr_rng *rng, size_t n, double *out,
                              ctr_error *err);

/* n draws of a X_0 + s Z (the law q_t at a = a_t, s = s_t), n x d row-major; each draw takes
 * its X_0 and then its Z from rng, in that order. */
ctr_status ctr_mixture_sample_noised(const ctr_mixture *m, double a, double s, ctr_rng *rng,
                                     size_t n, double *out, ctr_error *err);

/* ---- posterior at noise level (a, s): x = a X_0 + s Z, 0 <= a <= 1e50, 1e-150 <= s <= 1e50 */

/* Scratch length (doubles) that the calls below need: K + 4d. */
size_t ctr_mixture_work_len(const ctr_mixture *m);

/* Any of D (d), gradD (d x d, = (a/s^2) Cov[X_0 | x]) and w (K posterior weights) may be
 * NULL. work: ctr_mixture_work_len(m) doubles owned by the caller (one per thread).
 * CTR_EINPUT for bad (a, s) or non-finite x; CTR_ENUMERIC if every component's
 * log-density overflows (x astronomically far from all of them). */
ctr_status ctr_mixture_posterior(const ctr_mixture *m, double a, double s, const double *x,
                                 double *D, double *gradD, double *w, double *work,
                                 ctr_error *err);

/* Score grad log q(x) = -sum_k w_k S_k^-1 (x - a mu_k): equal to -(x - a D(x)) / s^2 but
 * free of that form's cancellation when s is small. */
ctr_status ctr_mixture_score(const ctr_mixture *m, double a, double s, const double *x,
                             double *score, double *work, ctr_error *err);

/* log q(x), the density of a X_0 + s Z. */
ctr_status ctr_mixture_log_density(const ctr_mixture *m, double a, double s, const double *x,
                                   double *logq, double *work, ctr_error *err);

/* One draw of X_0 given a X_0 + s Z = x (component k ~ w(x), then N(m_k, C_k)): the step
 * of theory.md §5's backward chain. out: d doubles. */
ctr_status ctr_mixture_posterior_sample(const ctr_mixture *m, double a, double s,
                                        const double *x, ctr_rng *rng, double *out, double *work,
                                        ctr_error *err);

/* The mixture as a ctr_denoiser (m must outlive it). Its eval is thread-safe: it keeps its
 * scratch (K + 4d doubles) on the stack when K + 4d <= CTR_MIXTURE_STACK_WORK and
 * otherwise mallocs it per call (CTR_ENOMEM on failure); hot loops at large K d should call
 * ctr_mixture_posterior with a per-thread workspace instead. */
#define CTR_MIXTURE_STACK_WORK 1024
ctr_denoiser ctr_mixture_denoiser(const ctr_mixture *m);

/* ---- presets (targets/mixture_presets.c) ---- */

typedef enum {
  CTR_MIXTURE_TWO_MODES,    /* modes at +-m e_1, weights 1/2, isotropic width sigma (K = 2) */
  CTR_MIXTURE_SIMPLEX,      /* K modes at the vertices of a regular simplex (2 <= K <= d+1)
                               centred at 0, radius R, width sigma; no randomness */
  CTR_MIXTURE_SPHERE,       /* K modes at uniform random points of the sphere of radius R */
  CTR_MIXTURE_CLOUD_BALL,   /* K point masses uniform in the ball of radius R (sigma = 0) */
  CTR_MIXTURE_CLOUD_SPHERE, /* K point masses uniform on the sphere of radius R (sigma = 0);
                               same points as CTR_MIXTURE_SPHERE with the same (seed, d, K) */
  CTR_MIXTURE_FILE,         /* read from a text file, format below */
  CTR_MIXTURE_PRODUCT_BIMODAL /* product: every coordinate 0.5 N(-m, sigma^2) + 0.5 N(m, sigma^2),
                               2^d modes; built as a mixture only for d <= 16 (chain, distill);
                               the product engine takes any d (engines/product.h) */,
  CTR_MIXTURE_SCALE         /* scale mixture: K concentric modes N(0, v_k I), weights 1/K,
                               v_k = sigma^(2 (K - 1 - k) / (K - 1)) from sigma^2 to 1 (K = 1:
                               sigma^2); K = 2, sigma = 0.5: 0.5 N(0, 0.25 I) + 0.5 N(0, I) */,
  /* families whose structure grows with d (issue 14.1, theory.md §9.14): */
  CTR_MIXTURE_SIMPLEX_FULL, /* the simplex preset with K = d + 1 vertices (K ignored) */
  CTR_MIXTURE_ANISO,        /* aniso_modes: modes at +-m e_1, weights 1/2, diagonal covariances
                               crossed: component j has variance sigma^2 on coordinates i with
                               i + j even and 1 on the others (i, j from 0); K ignored (2) */
  CTR_MIXTURE_SCALE_TAIL,   /* scale_tail: K concentric N(0, v_k I), v_k = sigma^2 4^k, weights
                               proportional to 8^-k (k = 0..K-1): a power tail of index 3
                               truncated at K, so E|X|^p stays bounded in K for p < 3 */
  CTR_MIXTURE_CLOUD_BALL_KD,  /* cloud_ball with K d points (K a multiplier: K = 2 gives 2d) */
  CTR_MIXTURE_CLOUD_SPHERE_KD, /* cloud_sphere with K d points */
  CTR_MIXTURE_CLOUD_BALL_D2,  /* cloud_ball with K d^2 points (the K = d^2 at K = 1) */
  CTR_MIXTURE_CLOUD_SPHERE_D2, /* cloud_sphere with K d^2 points */
  CTR_MIXTURE_SCALE_PAIR      /* scale_pair: m N(0, sigma^2 I) + (1 - m) N(0, R^2 I), 0 < m < 1,
                                 R = radius: two concentric shells with free weights and widths
                                 (the form of ctrate search's best target, theory.md §9.16) */
} ctr_mixture_preset;

#define CTR_MIXTURE_PRESET_COUNT 16
#define CTR_MIXTURE_TAIL_KMAX 40 /* scale_tail: sd up to sigma 2^39 */


/* Mixture file format ('#' starts a comment to the end of the line; blank lines ignored;
 * numbers are read in order as whitespace-separated tokens, the line layout is advisory):
 *
 *     K d
 *     # then K times:
 *     weight
 *     mu_1 ... mu_d
 *     iso SIGMA2            (or)  diag v_1 ... v_d      (or)  full
 *                                                            S_11 ... S_1d
 *                                                            ...   (d rows of d numbers)
 *
 * SIGMA2 and v_i are variances. Weights must sum to 1 within 1e-12. */
typedef struct {
  ctr_mixture_preset kind;
  int d, K;         /* ignored by two_modes (K = 2) and file (read from it) */
  double m;         /* two_modes: the modes are at +-m e_1 */
  double sigma;     /* standard deviation of every mode (two_modes, simplex, sphere) */
  double radius;    /* R for simplex, sphere, clouds; with radius_growing, R = radius sqrt(d) */
  int radius_growing;
  const char *file; /* file preset */
  uint64_t seed;    /* random presets depend on (seed, d, K) only */
} ctr_mixture_params;

/* The number of components the preset builds (the file preset: p->K as given; product_bimodal
 * 2^d; simplex_full d + 1; the _kd clouds K d; two_modes and aniso_modes 2). */
int ctr_mixture_preset_K(const ctr_mixture_params *p);

/* Defaults: two_modes, d = 1, K = 2, m = 1, sigma = 0.1, radius = 1 (fixed), seed 1. */
void ctr_mixture_params_default(ctr_mixture_params *p);

ctr_status ctr_mixture_preset_parse(const char *name, ctr_mixture_preset *kind, ctr_error *err);
const char *ctr_mixture_preset_name(ctr_mixture_preset kind);

/* Check the parameters (CTR_EINPUT naming value and range) and build the mixture. */
ctr_status ctr_mixture_from_params(const ctr_mixture_params *p, ctr_mixture **out,
                                   ctr_error *err);

/* Read a mixture file (format above): CTR_EINPUT with path:line for malformed files. */
ctr_status ctr_mixture_read(const char *path, ctr_mixture **out, ctr_error *err);

#endif
