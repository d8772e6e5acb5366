/* targets/mixture_presets.c: the mixture families (two modes, simplex, sphere, point clouds, the
 * scale, tail and anisotropic families of theory.md §9.11 and §9.14) and the
 * mixture file reader. Everything ends in ctr_mixture_alloc, which does the checks that
 * concern the finished mixture (weights, variances, symmetry, PSD). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/mixture.h"

static const char *const preset_names[] = {"two_modes",  "simplex",      "sphere",
                                           "cloud_ball", "cloud_sphere", "mixture_file",
                                           "product_bimodal", "scale_mixture",
                                           "simplex_full", "aniso_modes", "scale_tail",
                                           "cloud_ball_kd", "cloud_sphere_kd",
                                           "cloud_ball_d2", "cloud_sphere_d2", "scale_pair"};

const char *ctr_mixture_preset_name(ctr_mixture_preset kind) { return preset_names[kind]; }

ctr_status ctr_mixture_preset_parse(const char *name, ctr_mixture_preset *kind, ctr_error *err) {
  int k = ctr_name_index(preset_names, CTR_MIXTURE_PRESET_COUNT, name);
  if (k >= 0) {
    *kind = (ctr_mixture_preset)k;
    return CTR_OK;
  }
  return ctr_fail(err, CTR_EINPUT, "mixture '%s' is unknown (accepted: two_modes, simplex, "
                  "sphere, cloud_ball, cloud_sphere, mixture_file, product_bimodal, scale_mixture, "
                  "simplex_full, aniso_modes, scale_tail, cloud_ball_kd, cloud_sphere_kd, "
                  "cloud_ball_d2, cloud_sphere_d2, scale_pair)", name);
}

void ctr_mixture_params_default(ctr_mixture_params *p) {
  memset(p, 0, sizeof *p);
  p->kind = CTR_MIXTURE_TWO_MODES;
  p->d = 1, p->K = 2;
  p->m = 1.0, p->sigma = 0.1, p->radius = 1.0;
  p->seed = 1;
}

/* ------------------------------------------------------------------ checks */

static ctr_status check_length(const char *what, double v, ctr_error *err) {
  if (isfinite(v) && v >= 0 && v <= 1e50) return CTR_OK;
  return ctr_fail(err, CTR_EINPUT, "mixture: %s = %g is invalid (accepted: 0 to 1e50)", what, v);
}

#define PRODUCT_DMAX 16 /* product_bimodal as a mixture: 2^16 components */

int ctr_mixture_preset_K(const ctr_mixture_params *p) {
  switch (p->kind) {
  case CTR_MIXTURE_TWO_MODES:
  case CTR_MIXTURE_ANISO:
  case CTR_MIXTURE_SCALE_PAIR: return 2;
  case CTR_MIXTURE_PRODUCT_BIMODAL: return p->d <= 30 ? 1 << p->d : -1;
  case CTR_MIXTURE_SIMPLEX_FULL: return p->d < CTR_MIXTURE_KMAX ? p->d + 1 : -1;
  case CTR_MIXTURE_CLOUD_BALL_KD:
  case CTR_MIXTURE_CLOUD_SPHERE_KD: /* -1 (refused) when K d leaves the int range */
    return (double)p->K * p->d <= CTR_MIXTURE_KMAX ? p->K * p->d : -1;
  case CTR_MIXTURE_CLOUD_BALL_D2:
  case CTR_MIXTURE_CLOUD_SPHERE_D2:
    return (double)p->K * p->d * p->d <= CTR_MIXTURE_KMAX ? p->K * p->d * p->d : -1;
  default: return p->K;
  }
}
#define preset_K ctr_mixture_preset_K

static ctr_status check_params(const ctr_mixture_params *p, ctr_error *err) {
  ctr_status st;
  if ((unsigned)p->kind >= CTR_MIXTURE_PRESET_COUNT)
    return ctr_fail(err, CTR_EINPUT, "mixture: unknown preset %d", (int)p->kind);
  if (p->kind == CTR_MIXTURE_FILE) return CTR_OK; /* the file carries d, K and everything */
  if (p->d < 1 || p->d > CTR_MIXTURE_DMAX)
    return ctr_fail(err, CTR_EINPUT, "mixture: d = %d is out of range (accepted: 1 <= d <= %d)",
                    p->d, CTR_MIXTURE_DMAX);
  if (p->kind == CTR_MIXTURE_PRODUCT_BIMODAL && p->d > PRODUCT_DMAX)
    return ctr_fail(err, CTR_EINPUT, "mixture product_bimodal: d = %d needs 2^d components "
                    "(accepted as a mixture: d <= %d; the product engine takes any d)", p->d,
                    PRODUCT_DMAX);
  int K = preset_K(p);
  if (K < 0)
    return ctr_fail(err, CTR_EINPUT, "mixture %s: K = %d in d = %d asks for more components than "
                    "an int holds (accepted: at most %d components)", preset_names[p->kind], p->K,
                    p->d, CTR_MIXTURE_KMAX);
  if (p->K < 1 || K < 1 || K > CTR_MIXTURE_KMAX || (double)K * p->d > CTR_MIXTURE_KD_MAX)
    return ctr_fail(err, CTR_EINPUT, "mixture %s: K = %d gives %d components in d = %d (accepted: "
                    "K >= 1, 1 <= components <= %d and components x d <= %d)", preset_names[p->kind],
                    p->K, K, p->d, CTR_MIXTURE_KMAX, CTR_MIXTURE_KD_MAX);
  if (p->kind == CTR_MIXTURE_SCALE_TAIL && (K > CTR_MIXTURE_TAIL_KMAX || !(p->sigma > 0)))
    return ctr_fail(err, CTR_EINPUT, "mixture scale_tail: K = %d, sigma = %g (accepted: 1 <= K "
                    "<= %d, sigma > 0)", K, p->sigma, CTR_MIXTURE_TAIL_KMAX);
  if (p->kind == CTR_MIXTURE_SCALE_PAIR && !(p->m > 0 && p->m < 1 && p->sigma > 0 && p->radius > 0))
    return ctr_fail(err, CTR_EINPUT, "mixture scale_pair: m = %g, sigma = %g, radius = %g "
                    "(accepted: 0 < m < 1, the first shell's weight; sigma > 0 and radius > 0, "
                    "the two shells' standard deviations)", p->m, p->sigma, p->radius);
  if (p->kind == CTR_MIXTURE_SIMPLEX && (K < 2 || K > p->d + 1))
    return ctr_fail(err, CTR_EINPUT, "mixture: a regular simplex has K = %d vertices in d = %d "
                    "(accepted: 2 <= K <= d + 1 = %d)", K, p->d, p->d + 1);
  if ((st = check_length("sigma", p->sigma, err)) || (st = check_length("m", p->m, err)) ||
      (st = check_length("radius", p->radius, err)))
    return st;
  return CTR_OK;
}

/* ------------------------------------------------------------------ geometry */

/* Vertex i of the regular simplex: e_i - (1/K) 1 in R^K written in the Helmert basis of
 * 1-perp, h_j = (1, .., 1, -j, 0, ..) / sqrt(j (j + 1)) (j ones), j = 1..K-1, so it lives in
 * the first K - 1 <= d coordinates; its norm is sqrt(1 - 1/K), rescaled to R. */
static void simplex_vertices(int K, int d, double R, double *mu) {
  double scale = R / sqrt(1.0 - 1.0 / K);
  for (int i = 0; i < K; i++)
    for (int j = 1; j <= d; j++) {
      double c = 0;
      if (j < K) c = i < j ? 1.0 : i == j ? -(double)j : 0.0;
      mu[(size_t)i * d + j - 1] = scale * c / sqrt((double)j * (j + 1));
    }
}

/* K directions uniform on the sphere (normalised Gaussians), times R, or times
 * R U^(1/d) for the uniform law on the ball. One stream per (seed, d, K, sphere|ball). */
static void random_points(const ctr_mixture_params *p, int K, int ball, double R, double *mu) {
  int d = p->d;
  ctr_rng r;
  ctr_rng_init(&r, p->seed, CTR_RNG_MIXTURE, (uint64_t)d, (uint64_t)K | (uint64_t)ball << 32);
  for (int k = 0; k < K; k++) {
    double *x = mu + (size_t)k * d, n2 = 0;
    do {
      ctr_rng_normals(&r, d, x);
      n2 = 0;
      for (int i = 0; i < d; i++) n2 += x[i] * x[i];
    } while (n2 == 0); /* probability 0 but a division by zero if it happens */
    double rad = ball ? R * pow(ctr_rng_uniform(&r), 1.0 / d) : R;
    for (int i = 0; i < d; i++) x[i] *= rad / sqrt(n2);
  }
}

static void preset_means(const ctr_mixture_params *p, int K, double R, double *mu) {
  switch (p->kind) {
  case CTR_MIXTURE_TWO_MODES:
    mu[0] = p->m, mu[p->d] = -p->m;
    break;
  case CTR_MIXTURE_ANISO: mu[0] = p->m, mu[p->d] = -p->m; break;
  case CTR_MIXTURE_SIMPLEX:
  case CTR_MIXTURE_SIMPLEX_FULL: simplex_vertices(K, p->d, R, mu); break;
  case CTR_MIXTURE_SPHERE:
  case CTR_MIXTURE_CLOUD_SPHERE:
  case CTR_MIXTURE_CLOUD_SPHERE_KD:
  case CTR_MIXTURE_CLOUD_SPHERE_D2: random_points(p, K, 0, R, mu); break;
  case CTR_MIXTURE_CLOUD_BALL:
  case CTR_MIXTURE_CLOUD_BALL_KD:
  case CTR_MIXTURE_CLOUD_BALL_D2: random_points(p, K, 1, R, mu); break;
  case CTR_MIXTURE_FILE:
  case CTR_MIXTURE_SCALE_TAIL:
  case CTR_MIXTURE_SCALE_PAIR:
  case CTR_MIXTURE_SCALE: break; /* concentric: scale_variances set every mean to 0 */
  case CTR_MIXTURE_PRODUCT_BIMODAL: /* component k: coordinate i at -m if bit i of k is set */
    for (int k = 0; k < K; k++)
      for (int i = 0; i < p->d; i++) mu[(size_t)k * p->d + i] = (k >> i) & 1 ? -p->m : p->m;
    break;
  }
}

/* scale_mixture: means 0 and variances sigma^(2 (K - 1 - k) / (K - 1)), geometric from sigma^2
 * to 1 (the issue's probe family at K = 2, sigma = 0.5). */
static ctr_status scale_variances(const ctr_mixture_params *p, int K, double *mu,
                                  ctr_mixture_cov *cov, double **v, ctr_error *err) {
  *v = ctr_dalloc(K);
  if (!*v) return ctr_fail(err, CTR_ENOMEM, "mixture: out of memory at K = %d", K);
  for (size_t i = 0; i < (size_t)K * p->d; i++) mu[i] = 0;
  for (int k = 0; k < K; k++) {
    double e = K == 1 ? 1.0 : (double)(K - 1 - k) / (K - 1);
    (*v)[k] = pow(p->sigma, 2 * e), cov[k] = (ctr_mixture_cov){CTR_COV_ISO, *v + k};
  }
  return CTR_OK;
}

/* scale_tail: v_k = sigma^2 4^k and weights 8^-k / sum_j 8^-j, so P(|X_1| > t) falls like
 * t^-3 between sigma and sigma 2^(K-1) (the mass beyond sd sigma 2^k is ~8^-k); E|X|^2 =
 * d sigma^2 sum_k w_k 4^k is bounded by (7/4) d sigma^2 for every K (theory.md §9.14). */
static ctr_status tail_params(const ctr_mixture_params *p, int K, double *w, double *mu,
                              ctr_mixture_cov *cov, double **v, ctr_error *err) {
  ctr_status st = scale_variances(p, K, mu, cov, v, err);
  double z = 0;
  for (int k = 0; !st && k < K; k++) z += ldexp(1.0, -3 * k);
  for (int k = 0; !st && k < K; k++)
    w[k] = ldexp(1.0, -3 * k) / z, (*v)[k] = p->sigma * p->sigma * ldexp(1.0, 2 * k);
  return st;
}

/* scale_pair: weight m on N(0, sigma^2 I), 1 - m on N(0, R^2 I) (R the radius, never grown). */
static ctr_status pair_params(const ctr_mixture_params *p, double *w, double *mu,
                              ctr_mixture_cov *cov, double **v, ctr_error *err) {
  ctr_status st = scale_variances(p, 2, mu, cov, v, err);
  if (!st) w[0] = p->m, w[1] = 1 - p->m, (*v)[0] = p->sigma * p->sigma, (*v)[1] = p->radius * p->radius;
  return st;
}

/* aniso_modes: component j has variance sigma^2 on coordinates i with i + j even, 1 on the
 * others: the two modes are thin in crossed sets of directions (e_1 thin for the first). */
static ctr_status aniso_covs(const ctr_mixture_params *p, ctr_mixture_cov *cov, double **v,
                             ctr_error *err) {
  int d = p->d;
  *v = ctr_dalloc((size_t)2 * d);
  if (!*v) return ctr_fail(err, CTR_ENOMEM, "mixture: out of memory at d = %d", d);
  for (int j = 0; j < 2; j++) {
    for (int i = 0; i < d; i++) (*v)[(size_t)j * d + i] = (i + j) % 2 ? 1.0 : p->sigma * p->sigma;
    cov[j] = (ctr_mixture_cov){CTR_COV_DIAG, *v + (size_t)j * d};
  }
  return CTR_OK;
}

ctr_status ctr_mixture_from_params(const ctr_mixture_params *p, ctr_mixture **out,
                                   ctr_error *err) {
  *out = NULL;
  ctr_status st = check_params(p, err);
  if (st) return st;
  if (p->kind == CTR_MIXTURE_FILE) return ctr_mixture_read(p->file, out, err);
  int d = p->d, K = preset_K(p);
  int cloud = p->kind == CTR_MIXTURE_CLOUD_BALL || p->kind == CTR_MIXTURE_CLOUD_SPHERE ||
              p->kind == CTR_MIXTURE_CLOUD_BALL_KD || p->kind == CTR_MIXTURE_CLOUD_SPHERE_KD ||
              p->kind == CTR_MIXTURE_CLOUD_BALL_D2 || p->kind == CTR_MIXTURE_CLOUD_SPHERE_D2;
  double R = p->radius_growing ? p->radius * sqrt((double)d) : p->radius;
  double var = cloud ? 0.0 : p->sigma * p->sigma;
  double *w = ctr_dalloc(K), *mu = ctr_dalloc((size_t)K * d), *scale_v = NULL;
  ctr_mixture_cov *cov = malloc(sizeof *cov * K);
  if (!w || !mu || !cov) st = ctr_fail(err, CTR_ENOMEM, "mixture: out of memory at K = %d, d = "
                                       "%d", K, d);
  if (!st) {
    /* Equal weights that sum to exactly 1 in the order they are summed: K terms 1/K drift by
     * up to ~K ulp (K = 40000 fails the 1e-12 check), so the last weight takes the remainder;
     * 1 - s is exact for s in [1/2, 1] (Sterbenz) and s + (1 - s) then rounds to 1. */
    double s = 0;
    for (int k = 0; k < K; k++) w[k] = 1.0 / K, cov[k] = (ctr_mixture_cov){CTR_COV_ISO, &var};
    for (int k = 0; k + 1 < K; k++) s += w[k];
    if (K > 1) w[K - 1] = 1.0 - s;
    if (p->kind == CTR_MIXTURE_SCALE) st = scale_variances(p, K, mu, cov, &scale_v, err);
    if (p->kind == CTR_MIXTURE_SCALE_TAIL) st = tail_params(p, K, w, mu, cov, &scale_v, err);
    if (p->kind == CTR_MIXTURE_ANISO) st = aniso_covs(p, cov, &scale_v, err);
    if (p->kind == CTR_MIXTURE_SCALE_PAIR) st = pair_params(p, w, mu, cov, &scale_v, err);
    if (!st) preset_means(p, K, R, mu);
    if (!st) st = ctr_mixture_alloc(K, d, w, mu, cov, out, err);
  }
  free(w), free(mu), free(cov), free(scale_v);
  return st;
}

/* ------------------------------------------------------------------ file */

typedef struct { /* whitespace-token reader over lines, '#' comments, with line numbers */
  FILE *f;
  const char *path;
  char *line, *p;
  size_t cap;
  int lineno;
} tokens;

/* Next token, or NULL at end of file. */
static char *next_token(tokens *t) {
  for (;;) {
    if (t->p) {
      t->p += strspn(t->p, " \t\r\n,");
      if (*t->p) {
        char *tok = t->p;
        t->p += strcspn(t->p, " \t\r\n,");
        if (*t->p) *t->p++ = '\0';
        return tok;
      }
    }
    if (getline(&t->line, &t->cap, t->f) < 0) return NULL;
    t->lineno++;
    t->line[strcspn(t->line, "#")] = '\0';
    t->p = t->line;
  }
}

static ctr_status read_number(tokens *t, const char *what, double *v, ctr_error *err) {
  char *tok = next_token(t), *end;
  if (!tok)
    return ctr_fail(err, CTR_EINPUT, "%s:%d: file ends where %s was expected", t->path,
                    t->lineno, what);
  errno = 0;
  *v = strtod(tok, &end);
  if (*end || errno || !isfinite(*v))
    return ctr_fail(err, CTR_EINPUT, "%s:%d: %s '%.20s' is not a finite number", t->path,
                    t->lineno, what, tok);
  return CTR_OK;
}

static ctr_status read_int(tokens *t, const char *what, int lo, int hi, int *v, ctr_error *err) {
  double x;
  ctr_status st = read_number(t, what, &x, err);
  if (st) return st;
  if (x != floor(x) || x < lo || x > hi)
    return ctr_fail(err, CTR_EINPUT, "%s:%d: %s = %g is invalid (accepted: an integer in [%d, "
                    "%d])", t->path, t->lineno, what, x, lo, hi);
  *v = (int)x;
  return CTR_OK;
}

static ctr_status read_numbers(tokens *t, const char *what, int n, double *v, ctr_error *err) {
  ctr_status st = CTR_OK;
  for (int i = 0; !st && i < n; i++) st = read_number(t, what, &v[i], err);
  return st;
}

/* One component's "iso V" | "diag v_1..v_d" | "full" + d x d; values go to buf, which
 * the caller sized for the largest case (d x d). */
static ctr_status read_cov(tokens *t, int k, int d, double *buf, ctr_mixture_cov *cov,
                           ctr_error *err) {
  char *tok = next_token(t);
  if (!tok)
    return ctr_fail(err, CTR_EINPUT, "%s:%d: file ends where component %d's covariance (iso, "
                    "diag or full) was expected", t->path, t->lineno, k + 1);
  cov->v = buf;
  if (!strcmp(tok, "iso")) return cov->kind = CTR_COV_ISO, read_number(t, "variance", buf, err);
  if (!strcmp(tok, "diag"))
    return cov->kind = CTR_COV_DIAG, read_numbers(t, "variance", d, buf, err);
  if (!strcmp(tok, "full")) {
    if (d > CTR_MIXTURE_DMAX_FULL)
      return ctr_fail(err, CTR_EINPUT, "%s:%d: d = %d is too large for a full covariance "
                      "(accepted: d <= %d)", t->path, t->lineno, d, CTR_MIXTURE_DMAX_FULL);
    return cov->kind = CTR_COV_FULL, read_numbers(t, "covariance entry", d * d, buf, err);
  }
  return ctr_fail(err, CTR_EINPUT, "%s:%d: component %d: covariance kind '%.20s' is unknown "
                  "(accepted: iso, diag, full)", t->path, t->lineno, k + 1, tok);
}

/* Per-component value buffers: 1, d or d*d doubles as read (allocated as they come, since
 * a file of iso components must not cost K d^2). */
static ctr_status read_components(tokens *t, int K, int d, double *w, double *mu,
                                  ctr_mixture_cov *cov, double **vals, ctr_error *err) {
  size_t dd = (size_t)d * d;
  double *buf = ctr_dalloc(d <= CTR_MIXTURE_DMAX_FULL ? dd : (size_t)d);
  ctr_status st = buf ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "%s: out of memory", t->path);
  for (int k = 0; !st && k < K; k++) {
    if ((st = read_number(t, "weight", &w[k], err)) ||
        (st = read_numbers(t, "mean coordinate", d, mu + (size_t)k * d, err)) ||
        (st = read_cov(t, k, d, buf, &cov[k], err)))
      break;
    size_t n = cov[k].kind == CTR_COV_ISO ? 1 : cov[k].kind == CTR_COV_DIAG ? (size_t)d : dd;
    if (!(vals[k] = malloc(sizeof(double) * n))) {
      st = ctr_fail(err, CTR_ENOMEM, "%s: out of memory", t->path);
      break;
    }
    memcpy(vals[k], buf, sizeof(double) * n);
    cov[k].v = vals[k];
  }
  if (!st && next_token(t))
    st = ctr_fail(err, CTR_EINPUT, "%s:%d: unexpected text after the %d components declared on "
                  "the first line", t->path, t->lineno, K);
  free(buf);
  return st;
}

static ctr_status read_body(tokens *t, ctr_mixture **out, ctr_error *err) {
  int K = 0, d = 0; /* set by read_int; initialised for -O3 -Wmaybe-uninitialized */
  ctr_status st;
  if ((st = read_int(t, "K", 1, CTR_MIXTURE_KMAX, &K, err)) ||
      (st = read_int(t, "d", 1, CTR_MIXTURE_DMAX, &d, err)))
    return st;
  if ((double)K * d > CTR_MIXTURE_KD_MAX)
    return ctr_fail(err, CTR_EINPUT, "%s: K d = %.0f is too large (accepted: K d <= %d)",
                    t->path, (double)K * d, CTR_MIXTURE_KD_MAX);
  double *w = ctr_dalloc(K), *mu = ctr_dalloc((size_t)K * d), **vals = calloc(K, sizeof *vals);
  ctr_mixture_cov *cov = calloc(K, sizeof *cov);
  if (!w || !mu || !vals || !cov) st = ctr_fail(err, CTR_ENOMEM, "%s: out of memory", t->path);
  if (!st) st = read_components(t, K, d, w, mu, cov, vals, err);
  if (!st && (st = ctr_mixture_alloc(K, d, w, mu, cov, out, err)) == CTR_EINPUT && err) {
    char msg[sizeof err->msg]; /* name the file in front of the mixture's own message */
    memcpy(msg, err->msg, sizeof msg);
    ctr_fail(err, CTR_EINPUT, "%.200s: %.300s", t->path, msg);
  }
  for (int k = 0; vals && k < K; k++) free(vals[k]);
  free(w), free(mu), free(vals), free(cov);
  return st;
}

ctr_status ctr_mixture_read(const char *path, ctr_mixture **out, ctr_error *err) {
  *out = NULL;
  if (!path) return ctr_fail(err, CTR_EINPUT, "mixture: no file given for the file preset");
  /* O_NONBLOCK and a regular-file check before reading: a FIFO or a device (/dev/zero) would
   * block or never end, whoever calls this (the sweep layer reads the file at option time). */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return ctr_fail(err, CTR_EINPUT, "%s: cannot open mixture file (%s)", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return ctr_fail(err, CTR_EINPUT, "%s: not a regular file (accepted: a regular text file "
                    "holding a mixture)", path);
  }
  tokens t = {.f = fdopen(fd, "r"), .path = path};
  if (!t.f) {
    close(fd);
    return ctr_fail(err, CTR_EINPUT, "%s: cannot open mixture file (%s)", path, strerror(errno));
  }
  ctr_status st = read_body(&t, out, err);
  free(t.line);
  fclose(t.f);
  return st;
}
