#include "sweep/param_grid.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "engines/learned_features.h"
#include "engines/lowrank_plane_sd.h"
#include "store/sha256.h"

/* X(name, code, has_arg, metavar, help): one table for getopt and for --help. */
#define GRID_OPTIONS(X)                                                                            \
  X("target", 1000, 1, "NAME",                                                                    \
    "Gaussian: isotropic | geometric | power | diagonal | file (isotropic); mixtures: "            \
    "two_modes | simplex | sphere | cloud_ball | cloud_sphere | mixture_file | product_bimodal | " \
    "scale_mixture | simplex_full | aniso_modes | scale_tail | cloud_ball_kd | cloud_sphere_kd | "  \
    "cloud_ball_d2 | cloud_sphere_d2 | scale_pair")                                                \
  X("d", 1001, 1, "LIST", "dimension(s) (1)")                                                     \
  X("N", 1002, 1, "LIST", "number(s) of steps, 2..1e8 (1000)")                                   \
  X("lambda", 1003, 1, "X", "isotropic variance (1)")                                             \
  X("lambda-min", 1004, 1, "X", "smallest eigenvalue, geometric/power (0.01)")                    \
  X("lambda-max", 1005, 1, "X", "largest eigenvalue, geometric/power (1)")                        \
  X("diag", 1006, 1, "V1,V2,..", "explicit variances (target diagonal; sets d)")                  \
  X("cov-file", 1007, 1, "FILE", "d x d covariance, whitespace separated (target file)")          \
  X("rotate", 1008, 0, "", "rotate the covariance by a Haar-random orthogonal matrix")            \
  X("mean-norm", 1009, 1, "X", "random mean of this norm (0)")                                    \
  X("seed", 1010, 1, "K", "seed of rotation, mean and error directions (1)")                      \
  X("schedule", 1011, 1, "NAME", "paper | linear | cosine | karras | curriculum (paper)")                  \
  X("c0", 1012, 1, "X", "paper schedule: beta_1 = N^-c0 (2)")                                     \
  X("c1", 1013, 1, "X", "paper schedule: saturation c1 log N / N, needs c1 > c0 (4)")             \
  X("beta-min", 1014, 1, "X", "linear schedule: first beta at N = 1000 (1e-4)")                   \
  X("beta-max", 1015, 1, "X", "linear schedule: last beta at N = 1000 (0.02)")                    \
  X("cosine-s", 1016, 1, "X", "cosine schedule offset (0.008)")                                   \
  X("engine", 1017, 1, "LIST",                                                                    \
    "ct | cd (Gaussian closed forms) | chain | distill | grid | learned | product | radial | lowrank (ct; chain for mixtures)")                  \
  X("error", 1018, 1, "LIST",                                                                     \
    "none | fit-bias | fit-scale | fit-matrix | score-bias | score-scale (none)")                  \
  X("eps", 1019, 1, "LIST", "error size: fit total sum_t eps_t, score per step (0)")              \
  X("full", 1020, 0, "", "use the full-matrix path even when the diagonal one applies")           \
  X("probes", 1021, 1, "K", "steps with exact L1 per-step sums, 2..100000 (128)")                 \
  X("K", 1022, 1, "K", "mixture components (simplex, sphere, clouds) (2)")                         \
  X("sigma", 1023, 1, "LIST", "mixture mode width(s), standard deviation (0.1)")                  \
  X("m", 1024, 1, "X", "two_modes: modes at +-m e_1; scale_pair: first shell's weight (1)")   \
  X("radius", 1025, 1, "X", "simplex, sphere, clouds: radius R; scale_pair: 2nd shell's sd (1)") \
  X("radius-growing", 1026, 0, "", "R = radius sqrt(d) instead of a fixed R")                     \
  X("mixture-file", 1027, 1, "FILE", "mixture read from FILE (target mixture_file)")              \
  X("points", 1028, 1, "K", "chain, distill: starting points x ~ q_N (1000)")                     \
  X("chains", 1029, 1, "K", "chain: chains per point, >= 2 (4)")                                  \
  X("lip-points", 1030, 1, "K", "mixtures: points for the empirical Lipschitz constant (32)")    \
  X("sample-n", 1031, 1, "K", "distill: samples for sampled W1 and its floor, 0 = none (1000)")  \
  X("grid-points", 1032, 1, "G", "grid, radial: grid points, 5..1e6 (2001; radial 1001; raise it for N > 1e3)")        \
  X("hermite", 1033, 1, "Q", "grid: Gauss-Hermite nodes, 1..200 (20); radial: nodes per rule, 2..42 (8)")                           \
  X("plane-cells", 1074, 1, "K", "lowrank, k = 2: input cells per axis of the semi-discrete W2, 0 (off) or 40..2000 (100)") \
  X("replicates", 1034, 1, "K", "replicates r = 0..K-1, each with seed + r, 1..100000 (1)")       \
  X("rho", 1060, 1, "X", "karras schedule exponent rho (7)")                                      \
  X("sigma-min", 1061, 1, "X", "karras schedule: sigma at t = 1 (0.002)")                         \
  X("sigma-max", 1062, 1, "X", "karras schedule: sigma at t = N, >= 31.6 (80)")                \
  X("curriculum-n0", 1072, 1, "K", "curriculum: first stage's grid points; N = 1 + (n0-1) 2^k (11)") \
  X("train-n", 1063, 1, "K", "learned: training samples per step, > d + 1 (1000)")                \
  X("sample-mode", 1064, 1, "NAME", "learned: fresh | fixed data set (fresh)")                    \
  X("train-sampler", 1073, 1, "NAME", "learned: samples | moments (fresh, affine, d <= 1024) (samples)") \
  X("ridge", 1065, 1, "X", "learned: ridge penalty on ||A_t||_F^2 (0)")                          \
  X("degree", 1066, 1, "P", "learned: polynomial class of degree P in d = 1, 2..12 (0: affine)")  \
  X("features", 1067, 1, "NAME", "learned: affine | rff | rbf (rff, rbf: d = 1, 2, any target) (affine)") \
  X("M", 1068, 1, "K", "learned, rff and rbf: number of features, 1..200 (20)")                   \
  X("bandwidth", 1069, 1, "X", "learned, rff: omega ~ N(0, 1/bandwidth^2), units sd(q_t) (1)")     \
  X("width", 1070, 1, "X", "learned, rbf: bump width, units sd(q_t); 0 = centre spacing (0)")      \
  X("centres", 1071, 1, "NAME", "learned, rbf: grid (d = 2: M = g^2) | quantile (of q_t) (grid)")                   \
  X("cov-file-sha256", 1035, 1, "HEX", "SHA-256 the --cov-file must have (result specs pin it)") \
  X("mixture-file-sha256", 1036, 1, "HEX", "SHA-256 the --mixture-file must have")

#define AS_OPTION(name, code, has, meta, help) {name, has ? required_argument : no_argument, 0, code},
const struct option ctr_grid_options[] = {GRID_OPTIONS(AS_OPTION){0, 0, 0, 0}};
#define AS_INFO(name, code, has, meta, help) {name, code, has, meta},
const ctr_grid_option ctr_grid_option_table[] = {GRID_OPTIONS(AS_INFO){0, 0, 0, 0}};

void ctr_grid_help(FILE *out, int lists) {
#define AS_HELP(name, code, has, meta, help)                                                       \
  fprintf(out, "  --%-11s %-9s %s\n", name, lists || strcmp(meta, "LIST") ? meta : "V", help);
  GRID_OPTIONS(AS_HELP)
#undef AS_HELP
  if (lists)
    fprintf(out, "  LIST is a,b,c or a log range lo:hi:count (e.g. 10:1e6:11); every other numeric or\n"
                 "  named parameter but --seed and --probes also takes a,b,c (e.g. --c1 3,4,8,\n"
                 "  --target isotropic,geometric), and the sweep runs every combination\n");
}

void ctr_grid_init(ctr_grid *g) {
  memset(g, 0, sizeof *g);
  ctr_point_spec_default(&g->base);
}

void ctr_grid_free(ctr_grid *g) {
  for (size_t a = 0; a < g->naxes; a++) {
    for (size_t i = 0; i < g->axes[a].n; i++) free(g->axes[a].vals[i]);
    free(g->axes[a].vals);
  }
  free(g->d), free(g->N), free(g->eps), free(g->diag), free(g->engine), free(g->error);
  free(g->sigma), free(g->cov_file), free(g->mixture_file), free(g->diag_text);
  free(g->cov_sha_pinned), free(g->mix_sha_pinned), free(g->inputs.p);
  memset(g, 0, sizeof *g);
}

static ctr_status parse_engine(const char *s, int *k, ctr_error *err) {
  ctr_engine_kind e;
  ctr_status st = ctr_engine_parse(s, &e, err);
  *k = (int)e;
  return st;
}

static ctr_status parse_error(const char *s, int *k, ctr_error *err) {
  ctr_errmodel_kind e;
  ctr_status st = ctr_errmodel_parse(s, &e, err);
  *k = (int)e;
  return st;
}

/* --diag is kept whole for the spec; the row's cov_source column holds it if it fits, else its
 * SHA-256 (a name for the list, never a silently shortened list). */
static ctr_status set_diag_text(ctr_grid *g, const char *arg, ctr_error *err) {
  free(g->diag_text);
  if (!(g->diag_text = strdup(arg))) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  size_t cap = sizeof g->base.cov_source;
  if (strlen(arg) < cap) return snprintf(g->base.cov_source, cap, "%s", arg), CTR_OK;
  ctr_sha256 c;
  char hex[65];
  ctr_sha256_init(&c);
  ctr_sha256_update(&c, arg, strlen(arg));
  ctr_sha256_hex(&c, hex);
  snprintf(g->base.cov_source, cap, "sha256:%s", hex);
  return CTR_OK;
}

/* A pinned digest: 64 hex digits. */
static ctr_status set_pin(char **dst, const char *opt, const char *arg, ctr_error *err) {
  size_t n = strspn(arg, "0123456789abcdef");
  if (n != 64 || arg[n])
    return ctr_fail(err, CTR_EINPUT, "%s '%.80s' is not a SHA-256 (accepted: 64 lowercase hex "
                    "digits)", opt, arg);
  free(*dst);
  return (*dst = strdup(arg)) ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "out of memory");
}

static ctr_status apply_target(ctr_grid *g, int code, const char *arg, ctr_error *err) {
  ctr_target_params *t = &g->base.target;
  double big = 1e300;
  int64_t seed;
  ctr_status st;
  switch (code) {
  case 1000: return ctr_point_spec_target(&g->base, arg, err);
  case 1003: return ctr_arg_double("--lambda", arg, 0, big, &t->lambda, err);
  case 1004: return ctr_arg_double("--lambda-min", arg, 0, big, &t->lambda_min, err);
  case 1005: return ctr_arg_double("--lambda-max", arg, 0, big, &t->lambda_max, err);
  case 1006:
    free(g->diag);
    st = ctr_arg_double_list("--diag", arg, 0, big, &g->diag, &g->ndiag, err);
    if (!st) st = set_diag_text(g, arg, err);
    return st;
  case 1007: /* cov_source is set when the file is pinned (ctr_grid_pin_inputs) */
    free(g->cov_file);
    if (!(t->cov_file = g->cov_file = strdup(arg))) return ctr_fail(err, CTR_ENOMEM, "out of memory");
    return CTR_OK;
  case 1008: t->rotate = 1; return CTR_OK;
  case 1009: return ctr_arg_double("--mean-norm", arg, 0, big, &t->mean_norm, err);
  case 1010:
    st = ctr_arg_int("--seed", arg, 0, INT64_MAX / 2, &seed, err);
    t->seed = (uint64_t)seed;
    return st;
  }
  return CTR_EINPUT;
}

static ctr_status apply_schedule(ctr_grid *g, int code, const char *arg, ctr_error *err) {
  ctr_schedule_params *s = &g->base.schedule;
  switch (code) {
  case 1011: return ctr_schedule_kind_parse(arg, &s->kind, err);
  case 1012: return ctr_arg_double("--c0", arg, 0, 1e6, &s->c0, err);
  case 1013: return ctr_arg_double("--c1", arg, 0, 1e6, &s->c1, err);
  case 1014: return ctr_arg_double("--beta-min", arg, 0, 1, &s->beta_min, err);
  case 1015: return ctr_arg_double("--beta-max", arg, 0, 1, &s->beta_max, err);
  case 1016: return ctr_arg_double("--cosine-s", arg, 0, 1, &s->cosine_s, err);
  case 1060: return ctr_arg_double("--rho", arg, 0, 1000, &s->rho, err);
  case 1061: return ctr_arg_double("--sigma-min", arg, 0, 1e100, &s->sigma_min, err);
  case 1062: return ctr_arg_double("--sigma-max", arg, 0, 1e100, &s->sigma_max, err);
  case 1072: return ctr_arg_int("--curriculum-n0", arg, 2, CTR_SCHEDULE_NMAX, &s->curriculum_n0, err);
  }
  return CTR_EINPUT;
}

/* The file's d, K and common mode width (NaN when the components differ or are not isotropic)
 * become the grid's: the rows record what was simulated, and --d may not contradict it. */
static ctr_status read_mixture_file(ctr_grid *g, ctr_error *err) {
  ctr_mixture *mx = NULL;
  ctr_status st = ctr_mixture_read(g->mixture_file, &mx, err);
  if (st) return st;
  double v = mx->kind[0] == CTR_COV_ISO ? mx->lam[mx->lam_off[0]] : NAN;
  for (int k = 1; k < mx->K; k++)
    if (mx->kind[k] != CTR_COV_ISO || mx->lam[mx->lam_off[k]] != v) v = NAN;
  g->file_d = g->base.target.d = mx->d, g->file_K = g->base.mixture.K = mx->K;
  g->file_sigma = g->base.mixture.sigma = sqrt(v);
  ctr_mixture_free(mx);
  return CTR_OK;
}

static ctr_status apply_mixture(ctr_grid *g, int code, const char *arg, ctr_error *err) {
  ctr_mixture_params *m = &g->base.mixture;
  int64_t k = 0;
  ctr_status st = CTR_OK;
  switch (code) {
  case 1022: st = ctr_arg_int("--K", arg, 1, 10000000, &k, err), m->K = (int)k; break;
  case 1023:
    free(g->sigma);
    return ctr_arg_double_list("--sigma", arg, 0, 1e50, &g->sigma, &g->nsigma, err);
  case 1024: return ctr_arg_double("--m", arg, -1e50, 1e50, &m->m, err);
  case 1025: return ctr_arg_double("--radius", arg, 0, 1e50, &m->radius, err);
  case 1026: m->radius_growing = 1; break;
  case 1027:
    free(g->mixture_file);
    if (!(m->file = g->mixture_file = strdup(arg))) return ctr_fail(err, CTR_ENOMEM, "out of memory");
    return read_mixture_file(g, err); /* cov_source is set when the file is pinned */
  case 1028: st = ctr_arg_int("--points", arg, 2, 100000000, &k, err), g->base.points = (int)k; break;
  case 1029: st = ctr_arg_int("--chains", arg, 2, 1000000, &k, err), g->base.chains = (int)k; break;
  case 1030:
    st = ctr_arg_int("--lip-points", arg, 1, 1000000, &k, err), g->base.lip_points = (int)k;
    break;
  case 1031:
    st = ctr_arg_int("--sample-n", arg, 0, 20000, &k, err), g->base.sample_n = (int)k;
    break;
  case 1032: st = ctr_arg_int("--grid-points", arg, 5, 1000000, &k, err), g->base.grid_G = (int)k; break;
  case 1033: st = ctr_arg_int("--hermite", arg, 1, 200, &k, err), g->base.grid_Q = (int)k; break;
  case 1074: /* 1..39 refused here, not deep in the engine (ctr_plane_sd_w2 takes 40..2000) */
    if (ctr_arg_int("--plane-cells", arg, 0, CTR_PLANE_CELLS_MAX, &k, err) ||
        (k > 0 && k < CTR_PLANE_CELLS_MIN))
      return ctr_fail(err, CTR_EINPUT, "--plane-cells '%s' is out of range (accepted: 0 (off) "
                      "or an integer in %d to %d)", arg, CTR_PLANE_CELLS_MIN, CTR_PLANE_CELLS_MAX);
    g->base.plane_cells = (int)k;
    break;
  }
  return st;
}

/* The learned engine's options (engines/learned.h, engines/learned_features.h). */
static ctr_status apply_learned(ctr_grid *g, int code, const char *arg, ctr_error *err) {
  ctr_learned_params *l = &g->base.learned;
  int64_t k = 0;
  ctr_status st = CTR_EINPUT;
  ctr_lfeat_kind fk;
  ctr_lfeat_centres fc;
  switch (code) {
  case 1063: st = ctr_arg_int("--train-n", arg, 2, CTR_LEARNED_NMAX, &k, err), l->train_n = k; break;
  case 1064: return ctr_learned_mode_parse(arg, &l->mode, err);
  case 1073: return ctr_learned_sampler_parse(arg, &l->sampler, err);
  case 1065: return ctr_arg_double("--ridge", arg, 0, 1e50, &l->ridge, err);
  case 1066:
    st = ctr_arg_int("--degree", arg, 0, CTR_LEARNED_DEGREE_MAX, &k, err), l->degree = (int)k;
    break;
  case 1067: st = ctr_lfeat_kind_parse(arg, &fk, err), l->features = st ? l->features : (int)fk; break;
  case 1068: st = ctr_arg_int("--M", arg, 1, CTR_LFEAT_MMAX, &k, err), l->n_features = (int)k; break;
  case 1069: return ctr_arg_double("--bandwidth", arg, 1e-6, 1e6, &l->bandwidth, err);
  case 1070: return ctr_arg_double("--width", arg, 0, 1e6, &l->width, err);
  case 1071: st = ctr_lfeat_centres_parse(arg, &fc, err), l->centres = st ? l->centres : (int)fc; break;
  }
  return st;
}

/* One value of a scalar option (target, schedule, mixture and learned parameters). */
static ctr_status apply_scalar(ctr_grid *g, int code, const char *arg, ctr_error *err) {
  if ((code >= 1063 && code <= 1071) || code == 1073) return apply_learned(g, code, arg, err);
  if ((code >= 1022 && code <= 1033) || code == 1074) return apply_mixture(g, code, arg, err);
  if (code >= 1000 && code <= 1010) return apply_target(g, code, arg, err);
  if ((code >= 1011 && code <= 1016) || (code >= 1060 && code <= 1062) || code == 1072)
    return apply_schedule(g, code, arg, err);
  return CTR_EINPUT;
}

/* The scalar options a sweep may list (not seed: replicates vary it; not file names). */
static int sweepable(int code) {
  return code == 1000 || (code >= 1003 && code <= 1005) || code == 1009 ||
         (code >= 1011 && code <= 1016) || code == 1022 || code == 1024 || code == 1025 ||
         (code >= 1028 && code <= 1033) || (code >= 1060 && code <= 1074);
}

static void drop_axis(ctr_grid *g, int code) {
  for (size_t a = 0; a < g->naxes; a++)
    if (g->axes[a].code == code) {
      for (size_t i = 0; i < g->axes[a].n; i++) free(g->axes[a].vals[i]);
      free(g->axes[a].vals);
      memmove(&g->axes[a], &g->axes[a + 1], (g->naxes - a - 1) * sizeof *g->axes);
      g->naxes--;
      return;
    }
}

/* "a,b,c" for a scalar option: every value checked on a scratch copy, the first one kept as
 * the base value (what describe and defaults see), the list swept as an axis. */
static ctr_status apply_axis(ctr_grid *g, int code, const char *arg, ctr_error *err) {
  drop_axis(g, code);
  if (g->naxes == CTR_GRID_MAX_AXES)
    return ctr_fail(err, CTR_EINPUT, "too many swept parameters (at most %d)", CTR_GRID_MAX_AXES);
  ctr_grid_axis ax = {code, 0, calloc(strlen(arg) + 1, sizeof(char *))};
  char *copy = strdup(arg), *save = NULL;
  ctr_status st = ax.vals && copy ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "out of memory");
  for (char *v = copy ? strtok_r(copy, ",", &save) : NULL; !st && v; v = strtok_r(NULL, ",", &save)) {
    while (*v == ' ') v++;
    for (char *e = v + strlen(v); e > v && e[-1] == ' ';) *--e = '\0';
    ctr_grid scratch = *g;
    if (!(st = apply_scalar(&scratch, code, v, err)) && !(ax.vals[ax.n] = strdup(v)))
      st = ctr_fail(err, CTR_ENOMEM, "out of memory");
    ax.n += !st;
  }
  if (!st && ax.n == 0) st = ctr_fail(err, CTR_EINPUT, "'%s': an empty list", arg);
  if (!st) st = apply_scalar(g, code, ax.vals[0], err);
  free(copy);
  if (!st && ax.n > 1) return g->axes[g->naxes++] = ax, CTR_OK;
  for (size_t i = 0; i < ax.n; i++) free(ax.vals[i]);
  return free(ax.vals), st;
}

ctr_status ctr_grid_apply(ctr_grid *g, int code, const char *arg, ctr_error *err) {
  int64_t k;
  ctr_status st;
  err->msg[0] = '\0';
  if (sweepable(code) && strchr(arg, ',')) return apply_axis(g, code, arg, err);
  if (sweepable(code)) drop_axis(g, code);
  switch (code) {
  case 1001:
    free(g->d);
    return ctr_arg_int_list("--d", arg, 1, CTR_TARGET_DMAX, &g->d, &g->nd, err);
  case 1002:
    free(g->N);
    return ctr_arg_int_list("--N", arg, 2, CTR_SCHEDULE_NMAX, &g->N, &g->nN, err);
  case 1017:
    free(g->engine);
    return ctr_arg_name_list("--engine", arg, parse_engine, &g->engine, &g->nengine, err);
  case 1018:
    free(g->error);
    return ctr_arg_name_list("--error", arg, parse_error, &g->error, &g->nerror, err);
  case 1019: free(g->eps); return ctr_arg_double_list("--eps", arg, 0, 1e6, &g->eps, &g->neps, err);
  case 1020: g->base.engine.force_full = 1; return CTR_OK;
  case 1021:
    st = ctr_arg_int("--probes", arg, 2, 100000, &k, err);
    g->base.engine.probes = (int)k;
    return st;
  case 1034:
    st = ctr_arg_int("--replicates", arg, 1, 100000, &k, err);
    g->replicates = (int)k;
    return st;
  case 1035: return set_pin(&g->cov_sha_pinned, "--cov-file-sha256", arg, err);
  case 1036: return set_pin(&g->mix_sha_pinned, "--mixture-file-sha256", arg, err);
  }
  return apply_scalar(g, code, arg, err);
}

#define LEN(n) ((n) ? (n) : 1)

static size_t axes_count(const ctr_grid *g) {
  size_t n = 1;
  for (size_t a = 0; a < g->naxes; a++) n *= g->axes[a].n;
  return n;
}

size_t ctr_grid_count(const ctr_grid *g) {
  return LEN(g->nN) * LEN(g->nd) * LEN(g->nsigma) * LEN(g->neps) * LEN(g->nerror) *
         LEN(g->nengine) * axes_count(g) * (size_t)LEN(g->replicates);
}

/* Apply axis values (index i, first axis fastest) to spec; returns what is left of i. */
static size_t apply_axes(const ctr_grid *g, size_t i, ctr_point_spec *spec) {
  for (size_t a = 0; a < g->naxes; a++) {
    ctr_grid tmp = *g;
    ctr_error quiet;
    tmp.base = *spec;
    apply_scalar(&tmp, g->axes[a].code, g->axes[a].vals[i % g->axes[a].n], &quiet); /* checked */
    *spec = tmp.base;
    i /= g->axes[a].n;
  }
  return i;
}

void ctr_grid_point(const ctr_grid *g, size_t i, ctr_point_spec *spec) {
  *spec = g->base;
  size_t iN = i % LEN(g->nN), id = (i /= LEN(g->nN)) % LEN(g->nd);
  size_t is = (i /= LEN(g->nd)) % LEN(g->nsigma);
  size_t ie = (i /= LEN(g->nsigma)) % LEN(g->neps), ik = (i /= LEN(g->neps)) % LEN(g->nerror);
  size_t ig = (i /= LEN(g->nerror)) % LEN(g->nengine);
  size_t ir = apply_axes(g, i / LEN(g->nengine), spec);
  spec->replicate = (int)ir;
  spec->target.seed = g->base.target.seed + ir; /* replicate r: its own streams */
  if (g->nN) spec->schedule.N = g->N[iN];
  if (g->ndiag) spec->target.diag = g->diag, spec->target.ndiag = (int)g->ndiag,
                spec->target.d = (int)g->ndiag;
  if (g->nd) spec->target.d = (int)g->d[id];
  if (g->neps) spec->engine.error.eps = g->eps[ie];
  if (g->nsigma) spec->mixture.sigma = g->sigma[is];
  if (spec->is_mixture && spec->mixture.kind == CTR_MIXTURE_FILE && g->file_d)
    spec->target.d = g->file_d, spec->mixture.K = g->file_K, spec->mixture.sigma = g->file_sigma;
  if (g->nerror) spec->engine.error.kind = (ctr_errmodel_kind)g->error[ik];
  if (g->nengine) spec->engine.engine = (ctr_engine_kind)g->engine[ig];
  else if (spec->is_mixture) spec->engine.engine = CTR_ENGINE_CHAIN; /* ideal CT on mixtures */
}

/* A mixture file fixes d, K and the widths: a --d or --sigma that says otherwise is a mistake. */
static ctr_status check_file_values(const ctr_grid *g, ctr_error *err) {
  if (!g->file_d || !g->base.is_mixture || g->base.mixture.kind != CTR_MIXTURE_FILE) return CTR_OK;
  for (size_t i = 0; i < g->nd; i++)
    if (g->d[i] != g->file_d)
      return ctr_fail(err, CTR_EINPUT, "--d %lld contradicts %s, whose first line declares d = %d "
                      "(leave --d out: the file sets d, K and the widths)", (long long)g->d[i],
                      g->mixture_file, g->file_d);
  for (size_t i = 0; i < g->nsigma; i++)
    if (!(g->sigma[i] == g->file_sigma))
      return ctr_fail(err, CTR_EINPUT, "--sigma %g contradicts %s (its modes' width is %s; leave "
                      "--sigma out: the file sets the widths)", g->sigma[i], g->mixture_file,
                      isnan(g->file_sigma) ? "not one number" : "another");
  return CTR_OK;
}

ctr_status ctr_grid_check(const ctr_grid *g, ctr_error *err) {
  ctr_point_spec spec;
  ctr_status st = check_file_values(g, err);
  /* At once, before any per-point work: the product in floating point cannot overflow. */
  double npts = (double)LEN(g->nN) * (double)LEN(g->nd) * (double)LEN(g->nsigma) *
                (double)LEN(g->neps) * (double)LEN(g->nerror) * (double)LEN(g->nengine) *
                (double)LEN(g->replicates) * (double)axes_count(g);
  if (!st && npts > CTR_GRID_MAX_POINTS)
    return ctr_fail(err, CTR_EINPUT, "the grid has %.4g points (accepted: at most %.0e; split "
                    "the experiment into several specs)", npts, (double)CTR_GRID_MAX_POINTS);
  for (size_t i = 0; !st && i < ctr_grid_count(g); i++) {
    ctr_grid_point(g, i, &spec);
    st = ctr_point_spec_check(&spec, err);
  }
  size_t inner = LEN(g->nd) * LEN(g->nsigma), mid = LEN(g->neps) * LEN(g->nerror) * LEN(g->nengine);
  for (size_t i = 0; !st && i < inner * axes_count(g); i++) { /* target: (d, sigma, axes) */
    ctr_grid_point(g, (i % inner + inner * mid * (i / inner)) * LEN(g->nN), &spec);
    if (spec.is_mixture) {
      ctr_mixture *m = NULL;
      st = ctr_point_spec_mixture(&spec, &m, err);
      ctr_mixture_free(m);
      continue;
    }
    ctr_target *t = NULL;
    st = ctr_target_alloc(&spec.target, &t, err);
    ctr_target_free(t);
  }
  return st;
}
