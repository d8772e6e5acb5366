#include "sweep/plan.h"

#include <math.h>
#include <stdlib.h>

#include "engines/lowrank.h"

/* Seconds of one core per unit of work, fitted to single points timed on a 2-core x86-64
 * workstation (ctrate sweep -j 1 on one point). Only the order of the points and the dry-run
 * estimate use them, never a result; expect them to be off by a factor of 2 either way. */
#define SEC_AFFINE_STEP 1.2e-7 /* ct/cd: one step, fixed part (mostly the schedule) */
#define SEC_AFFINE_EIG 8e-9    /* cd, and ct's per-step loop: one step of one eigenvalue */
#define SEC_FAST_EIG 1.2e-9    /* ct streaming kernel: one step of one distinct eigenvalue */
#define SEC_PROBE_EIG 5e-7     /* ct: exact L1 at one probe step, per distinct eigenvalue */
#define SEC_CHEB_EIG 1.5e-6    /* ct Chebyshev path: weights, interpolation, checks, per eig. */
#define SEC_METRIC_EIG 1.25e-5 /* Gaussian metrics (W1 bracket quadratures), per entry */
#define CHEB_LANES 48          /* Chebyshev nodes + check eigenvalues, typical */
#define SEC_FULL_STEP 1e-9     /* ct/cd full-matrix path: one step, per d^3 */
#define SEC_SAMPLE_STEP 5e-7   /* chain/distill: one step of one sample, fixed part */
#define SEC_CHAIN_KD 5e-8      /* chain: one step of one sample, per component x dimension */
#define SEC_SPAN_STEP 2.5e-7   /* chain in the span of the means (K < d, shared isotropic */
#define SEC_SPAN_KR 5e-9       /* width): fixed part and per K x r, r = K - 1; fitted to the
                                  whole engine at d = 64, K = 8 (1.02 CPU s) and d = 1024,
                                  K = 64 (0.90 s, estimated 2.3x high), docs/benchmarks.md */
#define SEC_DISTILL_KD 1.7e-7  /* distill: one step of one point, per component x dimension */
#define SEC_GRID_STEP 1.7e-7   /* grid: one step, per grid point x Hermite node */
#define SEC_POINT 2e-4         /* fixed cost of any point */
/* radial and product, measured with one thread (docs/benchmarks.md, "Exact engines"): */
#define SEC_RADIAL_NODE 3.1e-9  /* radial: one spline node of the rule (x 5.5 for refinement) */
#define SEC_RADIAL_FIXED 1.5    /* radial: exact L (§9.15) and the W integrals */
#define SEC_PRODUCT_STEP 5.6e-8 /* product: one step, per grid point x Hermite node (refined) */
#define SEC_PRODUCT_FIXED 0.5   /* product: coupling nodes, E||u||, exact L */
#define SEC_PRODUCT_SHARED 0.1 /* product point whose 1-D runs another d computed: E||u|| */

/* Diag path: the streaming kernel for ct with none / fit-bias (the Chebyshev path from
 * CTR_AFFINE_INTERP_MIN distinct eigenvalues: O(N M + d M)), the per-step loop otherwise;
 * plus the metrics' quadratures over the distinct eigenvalues (over all d coordinates when a
 * random error direction or a mean makes every coordinate its own entry). */
static double affine_diag_cost(const ctr_point_spec *s, double N, double d) {
  int iso = s->target.kind == CTR_TARGET_ISOTROPIC;
  double nd = iso ? 1 : d, probes = fmin(N - 1, s->engine.probes > 0 ? s->engine.probes : 128);
  ctr_errmodel_kind e = s->engine.error.kind;
  int fast = s->engine.engine == CTR_ENGINE_CT && (e == CTR_ERR_NONE || e == CTR_ERR_FIT_BIAS);
  int percoord = (e != CTR_ERR_NONE && s->engine.error.eps > 0) || s->target.mean_norm > 0;
  double metrics = SEC_METRIC_EIG * (percoord ? d : nd);
  if (!fast) return N * (SEC_AFFINE_STEP + SEC_AFFINE_EIG * nd) + metrics;
  if (nd >= CTR_AFFINE_INTERP_MIN && s->engine.interp >= 0)
    return N * (SEC_AFFINE_STEP + SEC_FAST_EIG * CHEB_LANES) + SEC_CHEB_EIG * nd + metrics;
  return N * (SEC_AFFINE_STEP + SEC_FAST_EIG * nd) + SEC_PROBE_EIG * probes * nd + metrics;
}

/* ---- the Lipschitz search of mixture points: a ROUGH model, kept apart so that it can be
 * recalibrated when the search changes ----
 * Mixture points of the grid, chain and distill engines and the 1-D learned classes compute L
 * (simulate/point_mixture.c, ctr_point_fill_lipschitz):
 *   exact (targets/lip_exact.h) for coordinate-wise targets (d = 1, two_modes, product_bimodal,
 *     a Gaussian): a 1-D search over a grid and Brent refinements, SEC_LIP_EXACT per point;
 *   otherwise a certified lower bound (targets/lip_lower.h): min(256, K (K - 1) / 2) mode
 *     midpoints evaluated by the upward adjoint (most of the cost), lip_points sampled starts
 *     (downward, ~40x fewer steps each) and three refinements. The steps of an upward
 *     evaluation grow ~linearly in d (log L does, for modes sqrt(2 d) apart).
 * Calibrated on the sphere preset, K = 8, sigma 0.1, radius sqrt(d), 32 sampled starts, with
 * the pair phase (theory.md §9.21; docs/benchmarks.md, bench/bench_lip.c): L alone took 0.64,
 * 0.68, 1.60, 5.01 CPU s at d = 16, 64, 256, 1024 (N = 400; L barely depends on N), fitted by
 * SEC_LIP_C d^LIP_D_EXP to within 1.45x (0.74x at d = 16, 1.41x at d = 64; a + b d would fit
 * better: a fixed part plus pair-phase steps ~ ln L ~ d). Earlier integrators: the normalised
 * one (§9.19) 1.35 .. 22.5 s at d = 16 .. 1024 gave 0.16 d^0.68, the plain one 0.71 d^0.97;
 * other K and lip_points scale it by the number of evaluations (pairs + LIP_REFINE_PAIRS +
 * lip_points / 40). Only K = 8 was measured: the O(K r^2) work per ODE step (r = min(K - 1, d))
 * is NOT modelled, so large K is underestimated. */
#define SEC_LIP_EXACT 0.5   /* exact 1-D search, per point (product engine: ~0.4 s at N = 100) */
#define SEC_LIP_C 0.12      /* lower bound, calibration case: seconds at d = 1 of the power law */
#define LIP_D_EXP 0.5       /* its exponent in d */
#define LIP_REFINE_PAIRS 12 /* the three refinements, in midpoint evaluations (a guess: not
                               measured apart) */

static int lip_exact_target(const ctr_point_spec *s) {
  if (!s->is_mixture || s->target.d == 1) return 1;
  return s->mixture.kind == CTR_MIXTURE_TWO_MODES || s->mixture.kind == CTR_MIXTURE_PRODUCT_BIMODAL;
}

double ctr_plan_lip_cost(const ctr_point_spec *s) {
  ctr_engine_kind e = s->engine.engine;
  int learned_1d = e == CTR_ENGINE_LEARNED && (s->learned.degree >= 2 || s->learned.features);
  if (!(e == CTR_ENGINE_GRID || e == CTR_ENGINE_CHAIN || e == CTR_ENGINE_DISTILL || learned_1d))
    return 0; /* the other engines' L is closed-form or inside their own run */
  if (lip_exact_target(s)) return SEC_LIP_EXACT;
  double d = s->target.d, K = s->is_mixture ? s->mixture.K : 1;
  if (s->mixture.kind == CTR_MIXTURE_SIMPLEX_FULL) K = d + 1;
  ctr_mixture_preset k = s->mixture.kind;
  if (k == CTR_MIXTURE_CLOUD_BALL_KD || k == CTR_MIXTURE_CLOUD_SPHERE_KD) K *= d;
  double evals = fmin(256, K * (K - 1) / 2) + LIP_REFINE_PAIRS + s->lip_points / 40.0;
  double evals_cal = 28 + LIP_REFINE_PAIRS + 32 / 40.0; /* K = 8, 32 sampled starts */
  return SEC_LIP_C * pow(d, LIP_D_EXP) * evals / evals_cal;
}

/* ---- lowrank with the means in a plane (k = 2, engines/lowrank_plane.h) ----
 * k is guessed from the preset without building it: min(K - 1, d) for means in general position
 * (the engine refuses k > 2), 0 for the concentric presets; a mixture file's means may span
 * less (then this overestimates). The work: the 2-D grid at two levels (the refined one has
 * 2G - 1 points and 2Q nodes per axis, ~17x the base level's N G^2 Q^2 K), a part that barely
 * depends on N (the ODE coupling, Gelbrich, Knothe-Rosenblatt, the L lower bound's starts) and
 * the semi-discrete W2 (plane_cells^2 atoms per input, two inputs, two cell sizes). Measured on
 * simplex K = 3, sigma 0.3, G = 201, Q = 10, one thread, loaded machine: 34.4 and 33.8 CPU s at
 * d = 3, N = 20 and 108.5 s at d = 100, N = 300 (plane cells 0); 60 and 100 cells added no
 * measurable time at N = 300 (109.4 and 105.6 s), 200 and 400 cells added 23.9 and 129.5 s at
 * d = 3, N = 20: cells^2.4 (more atoms, and more Newton steps and qhull work per atom). Only
 * this target was measured: the Newton steps depend on the target. */
#define SEC_PLANE_STEP 2.2e-8 /* one step per G^2 Q^2 K of the base level, both levels' work */
#define SEC_PLANE_FIXED 29.0  /* the N-independent part at G = 201, Q = 10, K = 3 */
#define SEC_PLANE_SD400 130.0 /* semi-discrete W2 at 400 cells per axis (both inputs, levels) */
#define PLANE_SD_EXP 2.4      /* its exponent in the cells per axis */

/* The number of components when the means span a plane, else 0. */
static int lowrank_plane(const ctr_point_spec *s) {
  ctr_mixture_preset k = s->mixture.kind;
  if (!s->is_mixture || k == CTR_MIXTURE_SCALE || k == CTR_MIXTURE_SCALE_TAIL ||
      k == CTR_MIXTURE_SCALE_PAIR)
    return 0;
  ctr_mixture_params q = s->mixture;
  q.d = s->target.d;
  int K = ctr_mixture_preset_K(&q); /* simplex_full d + 1, the _kd and _d2 clouds K d, K d^2 */
  return fmin(K - 1.0, q.d) == 2 ? K : 0;
}

static double lowrank_plane_cost(const ctr_point_spec *s, double N, double K) {
  ctr_lowrank_params p;
  ctr_lowrank_params_default(&p); /* the engine's grid2 and plane_cells defaults */
  double G = s->grid_G ? s->grid_G : p.grid2.G, Q = s->grid_Q ? s->grid_Q : p.grid2.Q;
  double cells = s->plane_cells >= 0 ? s->plane_cells : p.plane_cells;
  return SEC_PLANE_FIXED + SEC_PLANE_STEP * N * G * G * Q * Q * K +
         (cells > 0 ? SEC_PLANE_SD400 * pow(cells / 400, PLANE_SD_EXP) : 0);
}

double ctr_plan_cost(const ctr_point_spec *s) {
  return ctr_plan_engine_cost(s) + ctr_plan_lip_cost(s);
}

/* The engine's own work, without the Lipschitz search (ctr_plan_lip_cost). */
double ctr_plan_engine_cost(const ctr_point_spec *s) {
  double N = (double)s->schedule.N, d = s->target.d, K = s->is_mixture ? s->mixture.K : 1;
  if (s->is_mixture && s->mixture.kind == CTR_MIXTURE_TWO_MODES) K = 2;
  switch (s->engine.engine) {
  case CTR_ENGINE_CT:
  case CTR_ENGINE_CD:
    if (s->engine.force_full || s->target.rotate || s->engine.error.kind == CTR_ERR_FIT_MATRIX)
      return SEC_POINT + SEC_FULL_STEP * N * d * d * d;
    return SEC_POINT + affine_diag_cost(s, N, d);
  case CTR_ENGINE_CHAIN: {
    ctr_mixture_preset k = s->mixture.kind;
    int span = s->is_mixture && K < d &&
               (k == CTR_MIXTURE_TWO_MODES || k == CTR_MIXTURE_SIMPLEX || k == CTR_MIXTURE_SPHERE ||
                k == CTR_MIXTURE_CLOUD_BALL || k == CTR_MIXTURE_CLOUD_SPHERE);
    double unit = span ? SEC_SPAN_STEP + SEC_SPAN_KR * K * (K - 1)
                       : SEC_SAMPLE_STEP + SEC_CHAIN_KD * K * d;
    return SEC_POINT + N * s->points * (1.0 + s->chains) * unit;
  }
  case CTR_ENGINE_DISTILL:
    return SEC_POINT + N * (s->points + s->sample_n) * (SEC_SAMPLE_STEP + SEC_DISTILL_KD * K * d);
  case CTR_ENGINE_PRODUCT: { /* one 1-D grid run per distinct coordinate law, no ODE coupling */
    double G = s->grid_G ? s->grid_G : 2001, Q = s->grid_Q ? s->grid_Q : 20;
    return SEC_POINT + SEC_PRODUCT_FIXED + SEC_PRODUCT_STEP * N * G * Q;
  }
  case CTR_ENGINE_LOWRANK: {
    int Kp = lowrank_plane(s); /* components when the means span a plane, else 0 */
    if (Kp) return SEC_POINT + lowrank_plane_cost(s, N, Kp);
    d = 1; /* k <= 1: one 1-D grid run (the span) and a closed form */
  }
    /* fall through */
  case CTR_ENGINE_GRID: {
    double G = s->grid_G ? s->grid_G : 2001, Q = s->grid_Q ? s->grid_Q : 20;
    return SEC_POINT + SEC_GRID_STEP * N * (d == 2 ? G * G : G) * Q;
  }
  case CTR_ENGINE_RADIAL: { /* O(N G K Q^2) per level; the refined level costs 2 x 2.25 more */
    double G = s->grid_G ? s->grid_G : 1001, Q = s->grid_Q ? s->grid_Q : 8;
    return SEC_POINT + SEC_RADIAL_FIXED + 5.5 * SEC_RADIAL_NODE * N * G * K * Q * Q;
  }
  case CTR_ENGINE_LEARNED: { /* measured: N = 100, d = 2, n = 1e4 takes 0.3 s; features:
                               N = 20, M = 20, n = 1e4 about 0.6 s of CPU (the Gram) */
    double q = s->learned.features ? s->learned.n_features + 2.0 : 0;
    if (s->learned.sampler == CTR_LEARNED_MOMENTS) /* O(d^3) a step (theory.md §13.7); measured: */
      return SEC_POINT + N * 1e-9 * d * d * d; /* d = 1024, N = 10: 10 s of CPU (gslcblas) */
    return SEC_POINT + N * (double)s->learned.train_n * (1.5e-7 * d + 2e-9 * d * d + 3e-9 * q * q);
  }
  }
  return SEC_POINT;
}

static const double *sort_cost;
static int by_cost(const void *a, const void *b) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  if (sort_cost[i] != sort_cost[j]) return sort_cost[i] < sort_cost[j] ? 1 : -1;
  return (i > j) - (i < j);
}

/* Shards as a binary min-heap on (load, index): the least loaded shard, lowest index first, is
 * heap[0], so a point is assigned in O(log shards) instead of a scan of every shard. */
static int lighter(const double *load, int a, int b) {
  return load[a] < load[b] || (load[a] == load[b] && a < b);
}

static void sift_down(int *heap, int n, const double *load) {
  for (int i = 0;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && lighter(load, heap[l], heap[m])) m = l;
    if (r < n && lighter(load, heap[r], heap[m])) m = r;
    if (m == i) return;
    int t = heap[i];
    heap[i] = heap[m], heap[m] = t, i = m;
  }
}

ctr_status ctr_plan_check_cost(const ctr_grid *g, ctr_error *err) {
  ctr_point_spec spec;
  size_t n = ctr_grid_count(g);
  for (size_t i = 0; i < n; i++) {
    ctr_grid_point(g, i, &spec);
    double h = ctr_plan_cost(&spec) / 3600;
    if (h > CTR_PLAN_MAX_POINT_HOURS)
      return ctr_fail(err, CTR_EINPUT, "point %zu (d = %d, N = %lld, engine %s) is estimated at "
                      "%.3g core-hours (limit %g per point without --yes; --dry-run shows the "
                      "plan)", i, spec.target.d, (long long)spec.schedule.N,
                      ctr_engine_name(spec.engine.engine), h, CTR_PLAN_MAX_POINT_HOURS);
  }
  return CTR_OK;
}

/* The product engine's 1-D runs do not depend on d (engines/product_cache.h): points that
 * differ only in d share them within one process. The point with the first d of each group
 * (its leader) carries the run; the others cost SEC_PRODUCT_SHARED and go to the leader's
 * shard, after it in the order (they are cheap, so they sort last). Returns the leader's id,
 * or i itself when the point shares nothing. */
static size_t product_leader(const ctr_grid *g, size_t i, const ctr_point_spec *spec) {
  size_t nN = g->nN ? g->nN : 1, nd = g->nd ? g->nd : 1;
  if (spec->engine.engine != CTR_ENGINE_PRODUCT || nd < 2) return i;
  return i % nN + (i / (nN * nd)) * nN * nd; /* d index 0, every other index the same */
}

ctr_status ctr_plan_make(const ctr_grid *g, int shard_i, int shard_n, ctr_plan *p,
                         ctr_error *err) {
  size_t n = ctr_grid_count(g);
  p->total = n, p->n = 0, p->seconds = 0;
  p->ids = malloc(sizeof *p->ids * n), p->cost = malloc(sizeof *p->cost * n);
  double *all = malloc(sizeof *all * n), *load = calloc((size_t)shard_n, sizeof *load);
  size_t *lead = malloc(sizeof *lead * n);
  int *heap = malloc(sizeof *heap * (size_t)shard_n), *shard = malloc(sizeof *shard * n);
  if (!p->ids || !p->cost || !all || !load || !heap || !lead || !shard) {
    free(all), free(load), free(heap), free(lead), free(shard), ctr_plan_free(p);
    return ctr_fail(err, CTR_ENOMEM, "out of memory for a plan of %zu points", n);
  }
  ctr_point_spec spec;
  for (size_t i = 0; i < n; i++) {
    ctr_grid_point(g, i, &spec);
    lead[i] = product_leader(g, i, &spec);
    all[i] = lead[i] == i ? ctr_plan_cost(&spec) : SEC_POINT + SEC_PRODUCT_SHARED;
  }
  size_t *order = p->ids; /* sorted in place, then filtered down to this shard */
  for (size_t i = 0; i < n; i++) order[i] = i;
  sort_cost = all;
  qsort(order, n, sizeof *order, by_cost);
  for (int s = 0; s < shard_n; s++) heap[s] = s; /* all loads 0: already a heap */
  for (size_t k = 0; k < n; k++) { /* longest-first greedy: the least loaded shard takes it */
    size_t i = order[k];
    if (lead[i] != i) continue;
    int best = heap[0];
    load[best] += all[i], shard[i] = best;
    sift_down(heap, shard_n, load);
  }
  for (size_t k = 0; k < n; k++) {
    size_t i = order[k];
    if (lead[i] != i) shard[i] = shard[lead[i]], load[shard[i]] += all[i];
    if (shard[i] == shard_i - 1) p->cost[p->n] = all[i], p->ids[p->n++] = i;
  }
  for (size_t k = 0; k < p->n; k++) p->seconds += p->cost[k];
  free(all), free(load), free(heap), free(lead), free(shard);
  return CTR_OK;
}

void ctr_plan_free(ctr_plan *p) {
  free(p->ids), free(p->cost);
  p->ids = NULL, p->cost = NULL, p->n = 0;
}

static void human(double s, char *buf, size_t n) {
  if (s < 1) snprintf(buf, n, "%.2g s", s);
  else if (s < 120) snprintf(buf, n, "%.1f s", s);
  else if (s < 7200) snprintf(buf, n, "%.1f min", s / 60);
  else snprintf(buf, n, "%.1f h", s / 3600);
}

void ctr_plan_print(FILE *out, const ctr_grid *g, const ctr_plan *p, int threads) {
  fprintf(out, "%8s  %-12s %-8s %6s %9s %-10s %10s %8s %4s %10s\n", "id", "target", "engine",
          "d", "N", "error", "eps", "sigma", "rep", "est. cost");
  ctr_point_spec s;
  for (size_t k = 0; k < p->n; k++) {
    char c[32];
    ctr_grid_point(g, p->ids[k], &s);
    human(p->cost[k], c, sizeof c);
    fprintf(out, "%8zu  %-12s %-8s %6d %9lld %-10s %10.3g %8.3g %4d %10s\n", p->ids[k],
            s.is_mixture ? ctr_mixture_preset_name(s.mixture.kind) : ctr_target_kind_name(s.target.kind),
            ctr_engine_name(s.engine.engine), s.target.d, (long long)s.schedule.N,
            ctr_errmodel_name(s.engine.error.kind), s.engine.error.eps,
            s.is_mixture ? s.mixture.sigma : NAN, s.replicate, c);
  }
  char tot[32], wall[32];
  human(p->seconds, tot, sizeof tot);
  human(fmax(p->seconds / (threads > 0 ? threads : 1), p->n ? p->cost[0] : 0), wall, sizeof wall);
  fprintf(out, "\n%zu of %zu points; estimated %s of one core, about %s on %d threads "
          "(a rough model: see ctrate sweep --help)\n", p->n, p->total, tot, wall, threads);
}
