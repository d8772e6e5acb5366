#include "core/schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ctr_schedule_params_default(ctr_schedule_params *p) {
  p->kind = CTR_SCHED_PAPER;
  p->N = 1000;
  p->c0 = 2.0;
  p->c1 = 4.0;
  p->beta_min = 1e-4;
  p->beta_max = 0.02;
  p->cosine_s = 0.008;
  p->rho = 7.0;
  p->sigma_min = 0.002;
  p->sigma_max = 80.0;
  p->curriculum_n0 = 11;
}

static const char *const kind_names[] = {"paper", "linear", "cosine", "karras", "curriculum"};

const char *ctr_schedule_kind_name(ctr_schedule_kind kind) { return kind_names[kind]; }

ctr_status ctr_schedule_kind_parse(const char *name, ctr_schedule_kind *kind, ctr_error *err) {
  int k = ctr_name_index(kind_names, 5, name);
  if (k >= 0) {
    *kind = (ctr_schedule_kind)k;
    return CTR_OK;
  }
  return ctr_fail(err, CTR_EINPUT, "schedule '%s' is unknown (accepted: paper, linear, cosine, karras, curriculum)",
                  name);
}

static ctr_status check_paper(const ctr_schedule_params *p, ctr_error *err) {
  if (!isfinite(p->c0) || p->c0 <= 0)
    return ctr_fail(err, CTR_EINPUT, "c0 = %g is invalid (accepted: finite c0 > 0, e.g. 2)", p->c0);
  if (!isfinite(p->c1) || p->c1 <= 0)
    return ctr_fail(err, CTR_EINPUT, "c1 = %g is invalid (accepted: finite c1 > c0, e.g. 4..16)",
                    p->c1);
  if (p->c1 <= p->c0)
    return ctr_fail(err, CTR_EINPUT,
                    "c1 = %g <= c0 = %g: the schedule never saturates and abar_N does not vanish "
                    "(accepted: c1 > c0; sensible c0 = 2, c1 in [4, 16])",
                    p->c1, p->c0);
  double r = p->c1 * log((double)p->N) / (double)p->N;
  if (!(r < 1.0))
    return ctr_fail(err, CTR_EINPUT,
                    "c1 log N / N = %g >= 1 at N = %lld, c1 = %g: beta_t would reach 1 "
                    "(accepted: c1 < N / log N = %g, or a larger N)",
                    r, (long long)p->N, p->c1, (double)p->N / log((double)p->N));
  return CTR_OK;
}

static ctr_status check_linear(const ctr_schedule_params *p, ctr_error *err) {
  double scale = 1000.0 / (double)p->N;
  if (!isfinite(p->beta_min) || !isfinite(p->beta_max) || p->beta_min <= 0 ||
      p->beta_max < p->beta_min)
    return ctr_fail(err, CTR_EINPUT,
                    "linear schedule betas [%g, %g] are invalid (accepted: 0 < beta_min <= "
                    "beta_max, e.g. 1e-4 and 0.02)",
                    p->beta_min, p->beta_max);
  if (!(p->beta_max * scale < 1.0))
    return ctr_fail(err, CTR_EINPUT,
                    "linear schedule: beta_max = %g gives beta_max * 1000/N = %g >= 1 at "
                    "N = %lld (accepted: N > 1000 * beta_max = %g)",
                    p->beta_max, p->beta_max * scale, (long long)p->N, 1000.0 * p->beta_max);
  return CTR_OK;
}

static ctr_status check_karras(const ctr_schedule_params *p, ctr_error *err) {
  if (!isfinite(p->rho) || p->rho <= 0 || p->rho > 1000)
    return ctr_fail(err, CTR_EINPUT, "rho = %g is invalid (accepted: 0 < rho <= 1000, e.g. 7)",
                    p->rho);
  if (!isfinite(p->sigma_min) || !isfinite(p->sigma_max) || !(p->sigma_min >= 1e-100) ||
      !(p->sigma_max > p->sigma_min) || p->sigma_max > 1e100)
    return ctr_fail(err, CTR_EINPUT,
                    "karras sigmas [%g, %g] are invalid: abar would not decrease (accepted: "
                    "1e-100 <= sigma_min < sigma_max <= 1e100, e.g. 0.002 and 80)",
                    p->sigma_min, p->sigma_max);
  double abar_N = 1.0 / (1.0 + p->sigma_max * p->sigma_max);
  if (!(abar_N <= CTR_SCHEDULE_KARRAS_ABAR_N_MAX))
    return ctr_fail(err, CTR_EINPUT,
                    "karras: sigma_max = %g gives abar_N = 1/(1 + sigma_max^2) = %g > %g, q_N is "
                    "far from N(0, I) (accepted: sigma_max >= %g, e.g. 80)",
                    p->sigma_max, abar_N, CTR_SCHEDULE_KARRAS_ABAR_N_MAX,
                    sqrt(1.0 / CTR_SCHEDULE_KARRAS_ABAR_N_MAX - 1.0));
  return CTR_OK;
}

/* K with N - 1 = (n0 - 1) 2^K, or -1 when N is not on the doubling ladder from n0. */
static int curriculum_K(const ctr_schedule_params *p) {
  int64_t m = p->curriculum_n0 - 1, q = p->N - 1;
  if (m < 1 || q < m || q % m) return -1;
  q /= m;
  int K = 0;
  while (q % 2 == 0) q /= 2, K++;
  return q == 1 ? K : -1;
}

/* improved CT's curriculum: the stage grids must double (nested karras grids) and end at N */
static ctr_status check_curriculum(const ctr_schedule_params *p, ctr_error *err) {
  if (p->curriculum_n0 < 2 || p->curriculum_n0 > p->N)
    return ctr_fail(err, CTR_EINPUT,
                    "curriculum: curriculum-n0 = %lld is out of range at N = %lld (accepted: "
                    "2 <= n0 <= N, e.g. 11 as improved CT's s0 = 10 intervals)",
                    (long long)p->curriculum_n0, (long long)p->N);
  if (curriculum_K(p) < 0) {
    int64_t m = p->curriculum_n0 - 1, lo = p->curriculum_n0, hi;
    while ((lo - 1) * 2 + 1 < p->N) lo = (lo - 1) * 2 + 1;
    hi = (lo - 1) * 2 + 1;
    return ctr_fail(err, CTR_EINPUT,
                    "curriculum: N = %lld is not reached by doubling from curriculum-n0 = %lld "
                    "(accepted: N = 1 + %lld * 2^k, e.g. %lld or %lld)",
                    (long long)p->N, (long long)p->curriculum_n0, (long long)m, (long long)lo,
                    (long long)hi);
  }
  return check_karras(p, err);
}

int ctr_schedule_curriculum_stages(const ctr_schedule_params *p) {
  return p->kind == CTR_SCHED_CURRICULUM ? curriculum_K(p) + 1 : 1;
}

void ctr_schedule_curriculum_stage(const ctr_schedule_params *p, int k, ctr_schedule_params *out) {
  *out = *p;
  if (p->kind != CTR_SCHED_CURRICULUM) return;
  out->kind = CTR_SCHED_KARRAS;
  out->N = 1 + ((p->curriculum_n0 - 1) << k);
}

ctr_status ctr_schedule_check(const ctr_schedule_params *p, ctr_error *err) {
  if (p->N < 2 || p->N > CTR_SCHEDULE_NMAX)
    return ctr_fail(err, CTR_EINPUT, "N = %lld is out of range (accepted: 2 <= N <= %lld)",
                    (long long)p->N, (long long)CTR_SCHEDULE_NMAX);
  switch (p->kind) {
  case CTR_SCHED_PAPER: return check_paper(p, err);
  case CTR_SCHED_LINEAR: return check_linear(p, err);
  case CTR_SCHED_COSINE:
    if (!isfinite(p->cosine_s) || p->cosine_s < 0 || p->cosine_s > 1)
      return ctr_fail(err, CTR_EINPUT,
                      "cosine_s = %g is invalid (accepted: 0 <= s <= 1, e.g. 0.008)", p->cosine_s);
    return CTR_OK;
  case CTR_SCHED_KARRAS: return check_karras(p, err);
  case CTR_SCHED_CURRICULUM: return check_curriculum(p, err);
  }
  return ctr_fail(err, CTR_EINPUT, "unknown schedule kind %d", (int)p->kind);
}

/* Paper (Li et al. Eq. 23): beta_{t+1} = r min(beta_1 (1+r)^t, 1), r = c1 log N / N,
 * with the geometric part in log space so that it never overflows. */
static void fill_paper(const ctr_schedule_params *p, double *beta) {
  double logN = log((double)p->N), r = p->c1 * logN / (double)p->N;
  beta[1] = pow((double)p->N, -p->c0); /* exp(-c0 log N) would amplify the rounding of log N */
  double lr = log1p(r), lb1 = -p->c0 * logN;
  for (int64_t t = 1; t < p->N; t++) {
    double lg = lb1 + (double)t * lr;
    beta[t + 1] = r * (lg < 0 ? exp(lg) : 1.0);
  }
}

static void fill_linear(const ctr_schedule_params *p, double *beta) {
  double scale = 1000.0 / (double)p->N;
  for (int64_t t = 1; t <= p->N; t++) {
    double u = (double)(t - 1) / (double)(p->N - 1);
    beta[t] = scale * (p->beta_min + (p->beta_max - p->beta_min) * u);
  }
}

/* Cosine: abar(t) = f(t)/f(0), f(t) = cos^2(g(t)), g(t) = (t/N + s)/(1 + s) pi/2. With the
 * complements h = pi/2 - g (exact: h(t) = (pi/2) (N - t) / (N (1 + s))), cos g = sin h, so
 * beta_t = 1 - f(t)/f(t-1) = sin(h0 - h1) sin(h0 + h1) / sin^2(h0) with h0 - h1 formed
 * directly: no cancellation near t = 0 (beta tiny) nor near t = N (cos g tiny). Clipped at
 * 0.999 as in Nichol and Dhariwal. */
static void fill_cosine(const ctr_schedule_params *p, double *beta) {
  double n = (double)p->N, unit = M_PI_2 / (n * (1 + p->cosine_s));
  for (int64_t t = 1; t <= p->N; t++) {
    double h0 = unit * (double)(p->N - t + 1), h1 = unit * (double)(p->N - t);
    double sh = sin(h0), b = sin(unit) * sin(h0 + h1) / (sh * sh);
    beta[t] = b < 0.999 ? b : 0.999;
  }
}

/* u_t = sigma_t^(1/rho) is linear in t; h = u_t - u_{t-1}. */
static double karras_h(const ctr_schedule_params *p) {
  return (pow(p->sigma_max, 1 / p->rho) - pow(p->sigma_min, 1 / p->rho)) / (double)(p->N - 1);
}

double ctr_schedule_karras_sigma(const ctr_schedule_params *p, int64_t t) {
  return pow(pow(p->sigma_min, 1 / p->rho) + (double)(t - 1) * karras_h(p), p->rho);
}

/* Karras: log abar_t = -log1p(sigma_t^2) directly (no running sum), and
 * beta_t = 1 - abar_t/abar_{t-1} = (sigma_t^2 - sigma_{t-1}^2) / (1 + sigma_t^2) with
 * sigma_t^2 - sigma_{t-1}^2 = -sigma_t^2 expm1(2 rho log1p(-h/u_t)): no cancellation when
 * consecutive sigmas are close (large N). beta_1 = sigma_1^2 / (1 + sigma_1^2). */
static void fill_karras(const ctr_schedule_params *p, double *beta, double *log_abar) {
  double h = karras_h(p), u0 = pow(p->sigma_min, 1 / p->rho);
  for (int64_t t = 1; t <= p->N; t++) {
    double u = u0 + (double)(t - 1) * h, sig = pow(u, p->rho), sq = sig * sig;
    log_abar[t] = -log1p(sq);
    double diff = t == 1 ? sq : -sq * expm1(2 * p->rho * log1p(-h / u));
    beta[t] = diff / (1 + sq);
  }
}

/* Every beta in (0, 1) and log abar strictly decreasing: what the engines assume. */
static ctr_status check_filled(const ctr_schedule *s, ctr_error *err) {
  for (int64_t t = 1; t <= s->N; t++)
    if (!(s->beta[t] > 0 && s->beta[t] < 1) || (t > 1 && !(s->log_abar[t] < s->log_abar[t - 1])))
      return ctr_fail(err, CTR_EINPUT,
                      "schedule: beta_%lld = %g is not in (0, 1) or abar is not decreasing there "
                      "(accepted: parameters giving a strictly decreasing abar)",
                      (long long)t, s->beta[t]);
  return CTR_OK;
}

ctr_status ctr_schedule_alloc(const ctr_schedule_params *p, ctr_schedule **out, ctr_error *err) {
  *out = NULL;
  ctr_status st = ctr_schedule_check(p, err);
  if (st) return st;
  int karras_grid = p->kind == CTR_SCHED_KARRAS || p->kind == CTR_SCHED_CURRICULUM;
  ctr_schedule *s = calloc(1, sizeof *s);
  size_t n = (size_t)p->N + 1;
  if (s) {
    s->N = p->N;
    s->beta = ctr_dalloc(n), s->log_abar = ctr_dalloc(n), s->a = ctr_dalloc(n), s->s = ctr_dalloc(n);
  }
  if (!s || !s->beta || !s->log_abar || !s->a || !s->s) {
    ctr_schedule_free(s);
    return ctr_fail(err, CTR_ENOMEM, "schedule: cannot allocate %zu steps", n);
  }
  if (p->kind == CTR_SCHED_PAPER) fill_paper(p, s->beta);
  else if (p->kind == CTR_SCHED_LINEAR) fill_linear(p, s->beta);
  else if (karras_grid) fill_karras(p, s->beta, s->log_abar); /* curriculum: its final stage */
  else fill_cosine(p, s->beta);
  /* Neumaier-compensated running sum: in the saturated regime every term is the same, so
   * plain rounding errors add up (5e-12 relative at N = 1e6, 8e-11 at 1e7) */
  double la = 0, comp = 0;
  for (int64_t t = 1; t <= p->N; t++) {
    double term = log1p(-s->beta[t]), sum = la + term;
    comp += fabs(la) >= fabs(term) ? (la - sum) + term : (term - sum) + la;
    la = sum;
    if (!karras_grid) s->log_abar[t] = la + comp;
    s->a[t] = exp(0.5 * s->log_abar[t]);
    s->s[t] = sqrt(-expm1(s->log_abar[t]));
  }
  if (karras_grid && (st = check_filled(s, err))) {
    ctr_schedule_free(s);
    return st;
  }
  *out = s;
  return CTR_OK;
}

void ctr_schedule_free(ctr_schedule *s) {
  if (!s) return;
  free(s->beta), free(s->log_abar), free(s->a), free(s->s);
  free(s);
}

double ctr_schedule_c(const ctr_schedule *s, int64_t t) {
  double alpha_sqrt = sqrt(1 - s->beta[t]);
  return s->a[t - 1] * s->beta[t] / (s->s[t] * (s->s[t] + alpha_sqrt * s->s[t - 1]));
}

double ctr_schedule_abar_N(const ctr_schedule *s) { return exp(s->log_abar[s->N]); }
