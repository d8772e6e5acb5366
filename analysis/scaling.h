/* analysis/scaling.h: the verdict on the bound from a table of result rows (math.md sections 3 and 8).
 *
 * Rows are grouped by every parameter except N, the seed and the replicate index; within a
 * group the replicates at one N are averaged. The headline error W of a row is one column
 * (ctr_scaling_metric: by default the certified W1 upper bound for the Gaussian engines and
 * the grid, the coupling E||f_N - Phi|| for chain and distill). Everything here computes from
 * rows in memory; reading and writing files is the caller's business. */
#ifndef CTR_ANALYSIS_SCALING_H
#define CTR_ANALYSIS_SCALING_H

#include <stddef.h>

#include "core/common.h"
#include "analysis/fit.h"
#include "core/point.h"

typedef struct {
  const char *metric;  /* column name of W, or NULL/"auto" for the engine's headline column */
  double n_lo, n_hi;   /* slope range in N (inclusive); 0 = no limit */
  int bootstrap;       /* bootstrap resamples over replicates (0: none; default 1000) */
  unsigned long long seed; /* of the bootstrap streams */
} ctr_scaling_opts;

void ctr_scaling_opts_default(ctr_scaling_opts *o);

/* Floor model W = a N^-p + c (GSL nonlinear least squares on the replicate means, in
 * relative terms); fitted where an error is injected (eps > 0). */
typedef struct {
  int ok;                  /* 0: not fitted (no error, too few N, or no convergence) */
  double a, p, c;          /* estimates */
  double p_se, c_se;       /* standard errors */
} ctr_floor_fit;

typedef struct {
  char label[200];         /* "geometric d=64 ct fit-bias eps=0.001" */
  char family[200];        /* the label without d and eps: the family string of ctr_nstar,
                              ctr_nstar_fit and ctr_bound_constant */
  const ctr_point *first;  /* a row of the group (its parameters) */
  int d;
  double eps;
  size_t nN;               /* distinct N, ascending */
  double *N, *mean, *lo, *hi; /* per N: mean of W over replicates and its 95% t-interval
                                 (NaN with one replicate) */
  int *reps;               /* replicates per N */
  size_t replicates;       /* distinct seeds in the group */
  ctr_loglog_fit slope;    /* log W on log N, every replicate row in range, t-interval */
  double boot_lo, boot_hi; /* percentile bootstrap 95% interval over replicates (NaN if < 2) */
  double *local, *bound_local; /* nN - 1 local slopes of the mean, and the bound's secant
                                  -1 + 5 (ln ln N2 - ln ln N1) / ln(N2/N1) on the same pair */
  ctr_floor_fit floor;
  double ratio_max;        /* max over N of (W - eps)+ N / (d^(5/2) ln^5 N) */
  size_t sums_checked, sums_held; /* rows with per-step sums; of them W <= sum e + sum D */
  int skipped;             /* 1: too small to fit (fewer than 2 distinct N) */
} ctr_scaling_group;

/* Exponent of d at fixed N, within a family (groups equal but for d). */
typedef struct {
  char family[200];
  double N;
  size_t n;                /* d values used */
  ctr_loglog_fit fit;      /* log W on log d */
} ctr_d_exponent;

/* N*(d, eps): the N at which W falls to 2 eps (floor and discretisation equal), by log-log
 * interpolation between the two N around the crossing; NaN when the curve never crosses. */
typedef struct {
  char family[200];
  int d;
  double eps, nstar;
} ctr_nstar;

/* log N* = alpha log d + beta log(1/eps) + const, least squares over a family's N* values. */
typedef struct {
  char family[200];
  size_t n;
  double alpha, alpha_lo, alpha_hi, beta, beta_lo, beta_hi, konst;
  int ok;
} ctr_nstar_fit;

/* The empirical constant of the bound's shape for a family: C = sup W N / (d^(5/2) ln^5 N)
 * over its error-free rows, and how many of all its rows satisfy W <= C shape + eps. */
typedef struct {
  char family[200];
  double C;
  size_t rows, held;
} ctr_bound_constant;

typedef struct {
  char metric[48];
  ctr_scaling_group *groups;
  size_t ngroups;
  ctr_d_exponent *dexp;
  size_t ndexp;
  ctr_nstar *nstar;
  size_t nnstar;
  ctr_nstar_fit *nfit;
  size_t nnfit;
  ctr_bound_constant *consts;
  size_t nconsts;
} ctr_scaling;

/* 1 when rows a and b are of one family as the analysis groups them: equal in every
 * parameter but N and d (and eps, with skip_eps); a radius growing like sqrt(d) counts as one. */
int ctr_scaling_same_family(const ctr_point *a, const ctr_point *b, int skip_eps);

/* The headline metric of a row under opts (a column name; "auto" resolves per engine). */
double ctr_scaling_metric(const ctr_point *row, const char *metric);

/* Analyse rows [0, n). Rows with status != 0 or a non-positive/non-finite W are left out.
 * CTR_EINPUT when there are no usable rows or the metric is not an F64 column. */
ctr_status ctr_scaling_run(const ctr_point *rows, size_t n, const ctr_scaling_opts *o,
                           ctr_scaling *out, ctr_error *err);
void ctr_scaling_free(ctr_scaling *s);

#endif
