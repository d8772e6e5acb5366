/* analysis/scaling.h: the verdict on the bound from a table of result rows (theory.md §3 and §8).
 *
 * Rows are grouped by every parameter except N, the seed and the replicate index; within a
 * group the replicates at one N are averaged. The headline error W of a row is one column
 * (ctr_scaling_metric: by default w1_hi_normal, the certified upper bound on the theorem's own
 * quantity W1(f_N(N(0, I)), X_1), for every engine). A metric X_normal / X_qN has Monte Carlo
 * standard errors when the column X_se_normal / X_se_qN exists (looked up by name); rows with
 * a positive one are fitted by weighted least squares, rows without are deterministic.
 * Intervals are named by what they measure: "ci95" (sampling error: Monte Carlo standard
 * errors or a spread over replicates) or "curvature" (deterministic values, one replicate: the
 * t-interval of the least-squares slope only measures how far the points are from a line).
 * Everything here computes from rows in memory; reading and writing files is the caller's
 * business. The verdict parts (N*, the constant, the data scale) are in scaling_verdict.c. */
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
  double learned_C;    /* C of the learned check (ctr_scaling_learned); 0: from the file's ideal
                          rows of the same target */
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
  double *se;              /* per N: standard error of the mean from the rows' SE column
                              (NaN: deterministic) */
  double *scale;           /* per N: data_scale, the target's sqrt(trace Cov X_0) (NaN unknown) */
  double *log10_L;         /* per N: mean over replicates of log10_lipschitz (NaN when a row has
                              none) */
  char lipschitz_kind[8];  /* the rows' lipschitz_kind when they agree ("" none, "mixed") */
  double *shape;           /* per N: bound_shape L^3 d^(5/2) ln^5 N / N (the row's column; else
                              computed with the row's lipschitz, 1 when unknown) */
  int *vacuous;            /* per N: 1 when C shape > data scale (C: the family's fitted
                              constant), 0 when not, -1 unknown */
  double useful_from;      /* smallest N of the group from which on C shape <= data scale
                              (NaN: at no N of the group) */
  int spread;              /* 1: the replicates at some N differ */
  char interval[12];       /* the slope interval's kind: "ci95" or "curvature" */
  int *reps;               /* replicates per N */
  size_t replicates;       /* distinct seeds in the group */
  ctr_loglog_fit slope;    /* log W on log N, every replicate row in range, t-interval */
  double boot_lo, boot_hi; /* percentile bootstrap 95% interval over replicates (NaN if < 2) */
  double *local, *bound_local; /* nN - 1 local slopes of the mean, and the bound's secant
                                  -1 + 5 (ln ln N2 - ln ln N1) / ln(N2/N1) on the same pair */
  ctr_floor_fit floor;
  double ratio_max;        /* max over N of (W - eps)+ / shape */
  size_t sums_checked, sums_held; /* rows with per-step sums; of them W <= sum e + sum D */
  int skipped;             /* 1: too small to fit (fewer than 2 distinct N) */
  /* engine learned: per N the replicate means of the measured eps_learned and eps_F (NULL for
   * other engines), and the check W <= C shape + eps + eps_F at every N (scaling_learned.c) */
  double *eps_meas, *epsF_meas;
  double learned_C;        /* the C checked with (NaN: none known) */
  char learned_C_from[200]; /* the ideal family C came from, or "--C" */
  double learned_C_need;   /* max over N of (W - eps - eps_F)+ / shape: the check holds iff
                              C >= it */
  size_t learned_n, learned_held; /* N checked; of them W <= C shape + eps + eps_F */
  double worst_N;          /* the N attaining learned_C_need */
} ctr_scaling_group;

/* Exponent of d at fixed N, within a family (groups equal but for d). */
typedef struct {
  char family[200];
  double N;
  size_t n;                /* d values used */
  ctr_loglog_fit fit;      /* log W on log d (weighted when the means have standard errors) */
  ctr_loglog_fit scale_fit; /* log data_scale on log d over the same points (n = 0: unknown) */
  ctr_loglog_fit rel_fit;  /* log (W / data_scale) on log d: the exponent beyond the data's */
  size_t vacuous;          /* of the n points, those where C shape > data scale */
  char interval[12];       /* "ci95" or "curvature" */
} ctr_d_exponent;

/* N*(d, eps): the N at which W falls to 2 eps (floor and discretisation equal), by log-log
 * interpolation between the two N around the crossing; NaN when the curve never crosses. */
typedef struct {
  char family[200];
  int d;
  double eps, nstar;
  double bound_beta;       /* the bound's own local beta at this N*: 1 / (1 - 5 / ln N*) */
  int asymptotic;          /* 1: N* lies in the schedule's asymptotic regime */
} ctr_nstar;

/* Two conventions, least squares over a family's N* values:
 *   log N*          = alpha    log d + beta    log(1/eps) + const
 *   log(Ns / ln Ns) = alpha_ln log d + beta_ln log(1/eps) + const
 * A rate A ln N / N gives beta ~ 1.2 in the first and 1 in the second. Beside them the bound's
 * own values computed the same way: for shape ~ d^(5/2) ln^5 N / N at the same N*, the local
 * d(log N*)/d(log 1/eps) = 1 / (1 - 5 / ln N*) and d(log(Ns / ln Ns))/d(log 1/eps) =
 * (1 - 1 / ln N*) / (1 - 5 / ln N*), alpha = 5/2 times each; at the geometric mean of the
 * family's N* (NaN when it is <= e^5, before the bound's shape decreases), with the range of
 * the local beta over the family's N*. */
typedef struct {
  char family[200];
  size_t n;
  double alpha, alpha_lo, alpha_hi, beta, beta_lo, beta_hi, konst;
  double alpha_ln, alpha_ln_lo, alpha_ln_hi, beta_ln, beta_ln_lo, beta_ln_hi;
  double bound_alpha, bound_beta, bound_alpha_ln, bound_beta_ln;
  double bound_beta_lo, bound_beta_hi; /* range of the local 1/(1 - 5/ln N*) over the N* > e^5 */
  double nstar_min, nstar_max;
  char interval[12];       /* "ci95" when some group of the family has sampling error, else
                              "curvature" (deterministic N*: the band measures misfit) */
  int ok;
} ctr_nstar_fit;

/* C(N) = sup over the family's error-free groups (d and the rest) of W / shape at one N. */
typedef struct {
  char family[200];
  double N, C;
  int d_at;                /* the d attaining the sup */
  int asymptotic;          /* 1: N is in the schedule's asymptotic regime (ctr_scaling_asymptotic) */
} ctr_c_of_N;

/* The empirical constant of the bound's shape (L^3 included) for a family. C is the sup of
 * W / shape over the error-free points in the asymptotic regime (all points when none is).
 * The check is held out: the points (asymptotic ones, errors included) are split at random
 * (fixed seed) into halves, C_train from the first half's error-free points, and the second
 * half is checked against W <= C_train shape + eps. */
typedef struct {
  char family[200];
  double C;
  int asymptotic;          /* 1: C from asymptotic N only; 0: no N qualified, C from every N */
  double n_asym;           /* smallest N that qualifies (NaN if none) */
  double trend, trend_lo, trend_hi; /* slope of log C(N) on log N over the asymptotic N */
  size_t n_trend;
  double C_train;
  size_t test_n, test_exceed; /* held-out points and those above C_train shape + eps */
  size_t pre_n, pre_exceed; /* pre-asymptotic points and those above C shape + eps: where
                               the fitted C does not hold */
  size_t vacuous, points;  /* points where C shape > data scale, points with a known scale */
  double useful_from;      /* smallest N from which C shape <= data scale for every d (NaN never) */
  char lipschitz_kind[16]; /* exact, lower, mixed or unknown: what L in the shape is */
} ctr_bound_constant;

/* Exponent of L at fixed N (issue 14 point 3, theory.md §9.17): within an L-family (groups equal
 * in every parameter but sigma, the width that drives L, at one d and eps = 0), the slope of
 * log W on log L across the widths, L the rows' lipschitz (log10_lipschitz) at that N. */
typedef struct {
  char family[200];        /* the label without sigma */
  double N;
  size_t n;                /* widths used */
  double log10_L_min, log10_L_max;
  ctr_loglog_fit fit;      /* log W on log L (weighted when the means have standard errors) */
  char interval[12];       /* "ci95" or "curvature" */
  char lipschitz_kind[8];  /* exact, lower or mixed: lower makes it a slope on a lower bound */
} ctr_l_exponent;

/* N*(L, eps) in an L-family: log N* = a log L + b log(1/eps) + c. source "injected": the 2 eps
 * crossings of the groups with an injected error (§8.3); "levels": with no such groups, the N
 * at which the error-free W falls to eps, for 6 levels eps spaced geometrically inside the
 * range every width's curve spans (with an injected error of size eps, W ~ W_ideal + eps, the
 * same crossing). L is interpolated at N* (log-log, as N*). Beside them the bound's: its shape
 * L^3 d^(5/2) ln^5 N / N = eps gives, locally at N*, a = 3 / (1 - 5 / ln N*) and
 * b = 1 / (1 - 5 / ln N*) (3 and 1 up to the logs), at the geometric mean of the N*. */
typedef struct {
  char family[200];
  char source[12];         /* "injected" or "levels" */
  size_t n, widths;        /* crossings used; distinct widths among them */
  int ok, has_b;           /* ok: a identified; has_b: >= 2 eps levels, b fitted */
  double a, a_lo, a_hi, b, b_lo, b_hi, konst;
  double bound_a, bound_b; /* NaN when the geometric mean N* <= e^5 */
  double nstar_min, nstar_max;
  char interval[12];       /* "ci95" when some group has sampling error, else "curvature" */
  char lipschitz_kind[8];
} ctr_l_nstar;

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
  ctr_c_of_N *cN;
  size_t ncN;
  ctr_l_exponent *lexp;    /* every (L-family, N) with >= 2 widths of distinct L */
  size_t nlexp;
  ctr_l_nstar *lnstar;     /* one per L-family and source */
  size_t nlnstar;
  char se_metric[48];      /* the SE column of the metric ("" when there is none) */
  size_t rows_used, rows_se; /* rows analysed; of them with a positive standard error */
  unsigned long long varying; /* parameter columns (beyond those every label names) that take
                                 more than one value: they join the labels ("c1=8") */
} ctr_scaling;

/* The default metric, per engine: w1_hi_normal for every engine (the theorem's input). */
const char *ctr_scaling_auto_metric(const char *engine);

/* The standard-error column of a metric (X_normal -> X_se_normal, X_qN -> X_se_qN) when it
 * exists, else NULL (the metric is deterministic). */
const ctr_field *ctr_scaling_se_field(const char *metric);

/* What a metric measures and for which input, for tables and axes:
 * "W1 upper bound" and "N(0, I)" for w1_hi_normal; input "" when the name says none. */
void ctr_scaling_metric_label(const char *metric, char *what, size_t nwhat, char *input,
                              size_t ninput);

/* 1 when N is in the schedule's asymptotic regime: the largest step beta is at most 0.05
 * (paper: c1 ln N / N <= 0.05; linear: beta_max 1000 / N <= 0.05; cosine: never). */
int ctr_scaling_asymptotic(const ctr_point *row);

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
