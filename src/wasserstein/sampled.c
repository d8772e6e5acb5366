/* wasserstein/sampled.c: 1-D, sliced, max-sliced and Gelbrich Wasserstein terms between samples, and the
 * bracket around the exact assignment value (theory.md §7).
 *
 * 1-D: W_p between empirical laws is the L^p distance of their quantile functions, which are
 * step functions with steps at multiples of 1/na and 1/nb; walking both on the common grid of
 * multiples of 1/lcm(na, nb) gives integer piece widths, so the weights are exact.
 *
 * Max-sliced: f(theta) = W1(theta . X, theta . Y) is piecewise linear in theta between changes
 * of the sorted orders, with slope sum_k w_k sign(theta . D_k) D_k over the pieces (x_a, y_b,
 * w_k) of the optimal monotone coupling, D_k = x_a - y_b. Local ascent steps along the
 * tangential part of that slope on great circles and keeps a step only if the exact 1-D W1
 * grew, so the result is always the W1 of an actual unit direction, hence a valid lower bound. */
#include "wasserstein/sampled.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "wasserstein/gaussian.h"
#include "wasserstein/slices.h"

#define WS_ASCENT_EVALS 60 /* exact 1-D W1 evaluations spent on local ascent */
#define WS_ASCENT_ANGLE 0.5 /* first trial step on the great circle, radians */
#define WS_ASCENT_MIN 1e-7  /* give up once the trial step is below this angle */
#define WS_CLAMP_REL 1e-9   /* lower above upper by less than this (relative) is rounding */
#define WS_MAX_GRID 9007199254740992.0 /* 2^53: piece widths stay exact integers in double */

typedef struct {
  double v;
  size_t i;
} ws_pv; /* a projected value and the index of its point */

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* Ties broken by index, so the order (and the coupling's gradient) never depends on qsort. */
static int cmp_pv(const void *pa, const void *pb) {
  const ws_pv *a = pa, *b = pb;
  if (a->v != b->v) return (a->v > b->v) - (a->v < b->v);
  return (a->i > b->i) - (a->i < b->i);
}

static double pow_p(double t, double p) { return p == 1.0 ? t : p == 2.0 ? t * t : pow(t, p); }

static size_t gcd_size(size_t a, size_t b) {
  while (b) {
    size_t t = a % b;
    a = b, b = t;
  }
  return a;
}

/* ------------------------------------------------------------------------- */
/* exact 1-D W_p                                                             */

double ctr_wp_1d_sorted(size_t na, const double *a, size_t nb, const double *b, double p) {
  size_t sa = nb / gcd_size(na, nb), sb = na / gcd_size(na, nb); /* grid steps per point */
  size_t ea = sa, eb = sb, pos = 0, i = 0, j = 0;
  double s = 0.0;
  while (i < na && j < nb) {
    size_t next = ea < eb ? ea : eb;
    s += (double)(next - pos) * pow_p(fabs(a[i] - b[j]), p);
    pos = next;
    if (next == ea) i++, ea += sa;
    if (next == eb) j++, eb += sb;
  }
  s /= (double)na * (double)sa; /* the grid has lcm(na, nb) = na * sa cells */
  return p == 1.0 ? s : p == 2.0 ? sqrt(s) : pow(s, 1.0 / p);
}

static ctr_status check_sample(size_t d, size_t n, const double *x, const char *what,
                               ctr_error *err) {
  if (d < 1 || n < 1 || !x)
    return ctr_fail(err, CTR_EINPUT, "%s: %zu points in dimension %zu, want at least 1 and 1",
                    what, n, d);
  for (size_t k = 0; k < n * d; k++)
    if (!isfinite(x[k]))
      return ctr_fail(err, CTR_EINPUT, "%s: non-finite coordinate %g at point %zu (want finite)",
                      what, x[k], k / d);
  return CTR_OK;
}

static ctr_status check_sizes(size_t na, size_t nb, ctr_error *err) {
  if ((double)na / (double)gcd_size(na, nb) * (double)nb > WS_MAX_GRID)
    return ctr_fail(err, CTR_EINPUT, "1-D W: lcm(%zu, %zu) exceeds 2^53", na, nb);
  return CTR_OK;
}

ctr_status ctr_wp_1d(size_t na, const double *a, size_t nb, const double *b, double p, double *out,
                     ctr_error *err) {
  if (!(p >= 1.0) || !isfinite(p))
    return ctr_fail(err, CTR_EINPUT, "1-D W: p = %g, want p >= 1", p);
  ctr_status rc = check_sample(1, na, a, "1-D W (first sample)", err);
  if (rc == CTR_OK) rc = check_sample(1, nb, b, "1-D W (second sample)", err);
  if (rc == CTR_OK) rc = check_sizes(na, nb, err);
  if (rc != CTR_OK) return rc;
  double *sa = malloc((na + nb) * sizeof(double));
  if (!sa) return ctr_fail(err, CTR_ENOMEM, "1-D W: cannot allocate %zu values", na + nb);
  double *sb = sa + na;
  memcpy(sa, a, na * sizeof(double));
  memcpy(sb, b, nb * sizeof(double));
  qsort(sa, na, sizeof(double), cmp_double);
  qsort(sb, nb, sizeof(double), cmp_double);
  *out = ctr_wp_1d_sorted(na, sa, nb, sb, p);
  free(sa);
  return CTR_OK;
}

/* ------------------------------------------------------------------------- */
/* projections                                                               */

/* Everything one slicing run needs, allocated once: no allocation per direction. */
typedef struct {
  size_t d, nx, ny;
  const double *x, *y;
  ws_pv *px, *py;
  double *theta, *trial, *grad, *tgrad, *dm; /* ascent swaps theta/trial and grad/tgrad */
  double *block;                             /* the one allocation behind them */
} ws_slicer;

static ctr_status slicer_init(ws_slicer *s, size_t d, size_t nx, const double *x, size_t ny,
                              const double *y, ctr_error *err) {
  s->d = d, s->nx = nx, s->ny = ny, s->x = x, s->y = y;
  s->px = malloc((nx + ny) * sizeof(ws_pv));
  s->block = s->theta = malloc(5 * d * sizeof(double));
  if (!s->px || !s->block) {
    free(s->px), free(s->block);
    return ctr_fail(err, CTR_ENOMEM, "sliced W1: cannot allocate for %zu + %zu points", nx, ny);
  }
  s->py = s->px + nx;
  s->trial = s->theta + d, s->grad = s->theta + 2 * d, s->tgrad = s->theta + 3 * d;
  s->dm = s->theta + 4 * d;
  return CTR_OK;
}

static void slicer_free(ws_slicer *s) {
  free(s->px);
  free(s->block);
}

static double dot(size_t d, const double *a, const double *b) {
  double s = 0.0;
  for (size_t k = 0; k < d; k++) s += a[k] * b[k];
  return s;
}

static void project_sort(size_t d, size_t n, const double *x, const double *theta, ws_pv *out) {
  for (size_t i = 0; i < n; i++) out[i].v = dot(d, theta, x + i * d), out[i].i = i;
  qsort(out, n, sizeof(ws_pv), cmp_pv);
}

/* grad += w sign(diff) (x_a - y_b) */
static void grad_add(size_t d, double *grad, double w, const double *xa, const double *yb) {
  for (size_t k = 0; k < d; k++) grad[k] += w * (xa[k] - yb[k]);
}

/* Exact W1 of the projections on theta (any nonzero vector, used as given), and its slope in
 * theta when grad != NULL: the 1-D merge walk of ctr_wp_1d_sorted with point indices kept. */
static double w1_along(ws_slicer *s, const double *theta, double *grad) {
  size_t d = s->d, nx = s->nx, ny = s->ny, g = gcd_size(nx, ny);
  size_t sa = ny / g, sb = nx / g, ea = sa, eb = sb, pos = 0, i = 0, j = 0;
  project_sort(d, nx, s->x, theta, s->px);
  project_sort(d, ny, s->y, theta, s->py);
  if (grad) memset(grad, 0, d * sizeof(double));
  double acc = 0.0, cells = (double)nx * (double)sa;
  while (i < nx && j < ny) {
    size_t next = ea < eb ? ea : eb;
    double w = (double)(next - pos), diff = s->px[i].v - s->py[j].v;
    acc += w * fabs(diff);
    if (grad && diff != 0.0)
      grad_add(d, grad, diff > 0 ? w / cells : -w / cells, s->x + s->px[i].i * d,
               s->y + s->py[j].i * d);
    pos = next;
    if (next == ea) i++, ea += sa;
    if (next == eb) j++, eb += sb;
  }
  return acc / cells;
}

/* ------------------------------------------------------------------------- */
/* sliced and max-sliced W1                                                  */

static int normalize(size_t d, double *v) {
  double nrm = sqrt(dot(d, v, v));
  if (!(nrm > 0.0) || !isfinite(nrm)) return 0;
  for (size_t k = 0; k < d; k++) v[k] /= nrm;
  return 1;
}

/* Direction k: d normals from its own stream, normalised (uniform on the sphere). */
static void draw_direction(uint64_t seed, size_t d, size_t k, double *theta) {
  ctr_rng r;
  ctr_rng_init(&r, seed, (ctr_rng_purpose)CTR_RNG_SLICE, (uint64_t)d, (uint64_t)k);
  do ctr_rng_normals(&r, d, theta);
  while (!normalize(d, theta));
}

static void mean_of(size_t d, size_t n, const double *x, double *m) {
  memset(m, 0, d * sizeof(double));
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < d; k++) m[k] += x[i * d + k];
  for (size_t k = 0; k < d; k++) m[k] /= (double)n;
}

/* s->dm = mean_x - mean_y (trial is scratch). */
static void mean_difference(ws_slicer *s) {
  mean_of(s->d, s->nx, s->x, s->dm);
  mean_of(s->d, s->ny, s->y, s->trial);
  for (size_t k = 0; k < s->d; k++) s->dm[k] -= s->trial[k];
}

/* One great-circle step of angle a from theta towards the tangential part of grad, into trial.
 * Returns 0 when the slope has no tangential part (a critical point). */
static int great_circle_step(ws_slicer *s, double a) {
  size_t d = s->d;
  double gt = dot(d, s->grad, s->theta), gn = 0.0;
  for (size_t k = 0; k < d; k++) {
    s->trial[k] = s->grad[k] - gt * s->theta[k];
    gn += s->trial[k] * s->trial[k];
  }
  gn = sqrt(gn);
  if (!(gn > 0.0)) return 0;
  for (size_t k = 0; k < d; k++) s->trial[k] = cos(a) * s->theta[k] + sin(a) * s->trial[k] / gn;
  return normalize(d, s->trial);
}

/* Ascent from s->theta (value *val): steps that raise the exact 1-D W1 are kept and lengthen
 * the next trial, failures halve it. Returns the number of accepted steps. */
static int ascend(ws_slicer *s, double *val) {
  double a = WS_ASCENT_ANGLE;
  int steps = 0;
  *val = w1_along(s, s->theta, s->grad);
  for (int e = 0; e < WS_ASCENT_EVALS && a > WS_ASCENT_MIN; e++) {
    if (!great_circle_step(s, a)) break;
    double tv = w1_along(s, s->trial, s->tgrad);
    if (!(tv > *val)) {
      a *= 0.5;
      continue;
    }
    double *t = s->theta;
    s->theta = s->trial, s->trial = t;
    t = s->grad, s->grad = s->tgrad, s->tgrad = t;
    *val = tv, a = fmin(2.0 * a, 1.0), steps++;
  }
  return steps;
}

/* m random directions, their 1-D W1 by the parallel kernel (wasserstein/slices.c, same values
 * as w1_along): mean, standard error and the best, left in s->theta. */
static ctr_status random_slices(ws_slicer *s, size_t m, uint64_t seed, ctr_sliced_w1 *out,
                                ctr_error *err) {
  double *dirs = malloc(m * (s->d + 1) * sizeof(double)), *w = dirs + m * s->d;
  if (!dirs) return ctr_fail(err, CTR_ENOMEM, "sliced W1: cannot allocate %zu directions", m);
  for (size_t k = 0; k < m; k++) draw_direction(seed, s->d, k, dirs + k * s->d);
  ctr_status rc = ctr_sliced_w1_dirs(s->d, s->nx, s->x, s->ny, s->y, m, dirs, w, err);
  double mean = 0.0, m2 = 0.0, best = -1.0;
  for (size_t k = 0; k < m && rc == CTR_OK; k++) {
    double dlt = w[k] - mean;
    mean += dlt / (double)(k + 1); /* Welford, in direction order: no cancellation, and the
                                    * same sum whatever the thread count */
    m2 += dlt * (w[k] - mean);
    if (w[k] > best) best = w[k], memcpy(s->theta, dirs + k * s->d, s->d * sizeof(double));
  }
  free(dirs);
  out->m = m, out->mean = mean, out->max_dir = best;
  out->se = sqrt(m2 / (double)(m - 1) / (double)m);
  return rc;
}

ctr_status ctr_sliced_w1_compute(size_t d, size_t nx, const double *x, size_t ny, const double *y,
                                 size_t m, uint64_t seed, ctr_sliced_w1 *out, double *dir,
                                 ctr_error *err) {
  if (m < 2) return ctr_fail(err, CTR_EINPUT, "sliced W1: m = %zu directions, want m >= 2", m);
  ctr_status rc = check_sample(d, nx, x, "sliced W1 (first sample)", err);
  if (rc == CTR_OK) rc = check_sample(d, ny, y, "sliced W1 (second sample)", err);
  if (rc == CTR_OK) rc = check_sizes(nx, ny, err);
  ws_slicer s = {0}; /* initialised: gcc cannot see that rc == CTR_OK implies slicer_init ran */
  if (rc == CTR_OK) rc = slicer_init(&s, d, nx, x, ny, y, err);
  if (rc != CTR_OK) return rc;
  rc = random_slices(&s, m, seed, out, err);
  if (rc != CTR_OK) {
    slicer_free(&s);
    return rc;
  }
  mean_difference(&s);
  if (normalize(d, s.dm) && w1_along(&s, s.dm, NULL) > out->max_dir)
    memcpy(s.theta, s.dm, d * sizeof(double));
  out->ascent_steps = ascend(&s, &out->max_sliced);
  if (dir) memcpy(dir, s.theta, d * sizeof(double));
  slicer_free(&s);
  if (!isfinite(out->mean) || !isfinite(out->max_sliced))
    return ctr_fail(err, CTR_ENUMERIC, "sliced W1: non-finite result (mean %g, max %g)",
                    out->mean, out->max_sliced);
  return CTR_OK;
}

/* ------------------------------------------------------------------------- */
/* Gelbrich                                                                  */

/* Mean and 1/n covariance (centred two-pass sums). */
static void moments(size_t d, size_t n, const double *x, double *m, double *S) {
  mean_of(d, n, x, m);
  memset(S, 0, d * d * sizeof(double));
  for (size_t i = 0; i < n; i++)
    for (size_t a = 0; a < d; a++)
      for (size_t b = a; b < d; b++) S[a * d + b] += (x[i * d + a] - m[a]) * (x[i * d + b] - m[b]);
  for (size_t a = 0; a < d; a++)
    for (size_t b = a; b < d; b++) S[b * d + a] = S[a * d + b] /= (double)n;
}

ctr_status ctr_gelbrich_w2(size_t d, size_t nx, const double *x, size_t ny, const double *y,
                           double *out, ctr_error *err) {
  ctr_status rc = check_sample(d, nx, x, "Gelbrich (first sample)", err);
  if (rc == CTR_OK) rc = check_sample(d, ny, y, "Gelbrich (second sample)", err);
  if (rc != CTR_OK) return rc;
  double *w = malloc((2 * d + 2 * d * d) * sizeof(double));
  if (!w) return ctr_fail(err, CTR_ENOMEM, "Gelbrich: cannot allocate for d = %zu", d);
  double *mx = w, *my = w + d, *Sx = w + 2 * d, *Sy = Sx + d * d;
  moments(d, nx, x, mx, Sx);
  moments(d, ny, y, my, Sy);
  rc = ctr_w2_full(d, mx, Sx, my, Sy, out, err);
  free(w);
  return rc;
}

/* ------------------------------------------------------------------------- */
/* bracket                                                                   */

/* Best lower bound among the computed terms (mean gap <= max-sliced in exact arithmetic, but
 * each is taken on its value). */
static void pick_lower(ctr_sample_bracket *b) {
  b->lower = b->mean_gap, b->lower_src = "mean";
  if (b->sliced.max_sliced > b->lower) b->lower = b->sliced.max_sliced, b->lower_src = "max-sliced";
  if (b->p == 2 && b->gelbrich > b->lower) b->lower = b->gelbrich, b->lower_src = "gelbrich";
}

static double mean_gap(size_t d, size_t n, const double *x, const double *y) {
  double g = 0.0;
  for (size_t k = 0; k < d; k++) {
    double t = 0.0;
    for (size_t i = 0; i < n; i++) t += x[i * d + k] - y[i * d + k];
    g += (t / (double)n) * (t / (double)n);
  }
  return sqrt(g);
}

/* lower may exceed upper by rounding when they coincide (d = 1: max-sliced IS the exact W1);
 * the lower bound is then lowered to upper, which keeps it valid. More is a bug. */
static ctr_status reconcile(ctr_sample_bracket *b, ctr_error *err) {
  if (b->lower <= b->upper) return CTR_OK;
  if (b->lower - b->upper <= WS_CLAMP_REL * b->upper) {
    b->lower = b->upper;
    return CTR_OK;
  }
  return ctr_fail(err, CTR_ENUMERIC, "W%d bracket: lower %.17g (%s) above upper %.17g (%s)",
                  b->p, b->lower, b->lower_src, b->upper, b->upper_src);
}

ctr_status ctr_sample_bracket_compute(size_t n, size_t d, const double *x, const double *y, int p,
                                      size_t m, uint64_t seed, ctr_sample_bracket *out,
                                      ctr_error *err) {
  if (p != 1 && p != 2) return ctr_fail(err, CTR_EINPUT, "W bracket: p = %d, want 1 or 2", p);
  ctr_sample_bracket b = {.p = p, .gelbrich = NAN};
  ctr_status rc = ctr_sliced_w1_compute(d, n, x, n, y, m, seed, &b.sliced, NULL, err);
  if (rc == CTR_OK && p == 2) rc = ctr_gelbrich_w2(d, n, x, n, y, &b.gelbrich, err);
  if (rc == CTR_OK) rc = ctr_assign_wp(n, d, x, y, p, NULL, &b.upper, &b.assign, err);
  if (rc != CTR_OK) return rc;
  b.mean_gap = mean_gap(d, n, x, y);
  pick_lower(&b);
  if (b.assign.optimal) b.upper_src = p == 1 ? "assignment W1" : "assignment W2";
  else b.upper_src = p == 1 ? "assignment W1 (uncertified)" : "assignment W2 (uncertified)";
  rc = reconcile(&b, err);
  if (rc == CTR_OK) *out = b;
  return rc;
}
