/* targets/gaussian.h: Gaussian targets X_0 ~ N(mu, Sigma), Sigma = Q diag(lambda) Q^T (theory.md §4).
 *
 * The engines work in eigen-coordinates (mu~ = Q^T mu); coordinates that share an
 * eigenvalue are grouped, so an isotropic target costs O(N) whatever d is. */
#ifndef CTR_TARGETS_GAUSSIAN_H
#define CTR_TARGETS_GAUSSIAN_H

#include <stdint.h>

#include "core/common.h"

typedef enum {
  CTR_TARGET_ISOTROPIC, /* Sigma = lambda I */
  CTR_TARGET_GEOMETRIC, /* lambda_i geometric from lambda_max down to lambda_min */
  CTR_TARGET_POWER,     /* lambda_i = lambda_max i^-p, p such that lambda_d = lambda_min */
  CTR_TARGET_DIAGONAL,  /* explicit list of d variances */
  CTR_TARGET_FILE       /* full d x d covariance read from a text file */
} ctr_target_kind;

#define CTR_TARGET_DMAX 1000000     /* diagonal families */
#define CTR_TARGET_DMAX_MATRIX 4096 /* families that need a d x d matrix (rotation, file) */

typedef struct {
  ctr_target_kind kind;
  int d;
  double lambda;                 /* isotropic */
  double lambda_min, lambda_max; /* geometric, power */
  const double *diag;            /* diagonal: ndiag variances (not owned) */
  int ndiag;
  const char *cov_file; /* file: whitespace-separated d x d numbers, '#' starts a comment */
  int rotate;           /* 1: Sigma = R diag R^T with R Haar-random from the seed */
  double mean_norm;     /* 0: zero mean; else mu = mean_norm * random unit vector */
  uint64_t seed;        /* the target depends on (seed, d) only, never on N */
} ctr_target_params;

typedef struct {
  int d;
  double *lambda;   /* eigenvalues per eigen-coordinate, length d */
  double *mu_eig;   /* mean in eigen-coordinates, length d */
  double *mu;       /* mean in original coordinates, length d */
  double *Q;        /* d x d row-major eigenvectors (columns), or NULL: identity */
  int ndistinct;    /* number of distinct eigenvalues */
  double *distinct; /* the distinct eigenvalues */
  double *mult;     /* their multiplicities */
  int *group;       /* group[i]: index into distinct of coordinate i */
  double trace;     /* tr Sigma */
} ctr_target;

/* Defaults: isotropic lambda = 1, lambda_min = 0.01, lambda_max = 1, d = 1, no rotation,
 * zero mean, seed 1. */
void ctr_target_params_default(ctr_target_params *p);

ctr_status ctr_target_kind_parse(const char *name, ctr_target_kind *kind, ctr_error *err);
const char *ctr_target_kind_name(ctr_target_kind kind);

/* Check and build. Refuses (CTR_EINPUT, message naming the value and the accepted
 * range) dimensions out of range, negative or non-finite variances, and covariance
 * files that are unreadable, of the wrong size, not symmetric or not PSD. */
ctr_status ctr_target_alloc(const ctr_target_params *p, ctr_target **out, ctr_error *err);
void ctr_target_free(ctr_target *t);

/* Sigma in original coordinates (d x d row-major, caller's buffer). */
void ctr_target_covariance(const ctr_target *t, double *S);

#endif
