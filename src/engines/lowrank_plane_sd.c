/* engines/lowrank_plane_sd.c: the plane block's W2 by semi-discrete transport (theory.md §9.23;
 * the bounds are derived there, the header lists them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_integration.h>

#include "engines/lowrank_plane_sd.h"

#define GL_P 4          /* Gauss-Legendre nodes per axis and cell */
#define BULK_SD 8.0     /* the core spans the input's means +- 8 standard deviations */
#define RING_SD 8.0     /* the ring's second moment: its strips out to a further 8 sd */
#define CBRT_FINE 64    /* fine points per cell for the cube-root quantiles */
#define MIN_MASS 1e-13  /* lighter core cells join the ring: the solver's Newton steps cannot
                           resolve 1e-20 cells beside 1e-2 ones (theory.md §9.23), and their
                           ~1e-12 of mass costs the bounds ~1e-11 in W2^2 */

typedef struct {
  const ctr_grid_result *r;
  const ctr_sd_gmix *in;
  int n;               /* core cells per axis */
  double *e[2];        /* n + 1 edges per axis */
  double gx[GL_P], gw[GL_P];
} cells_ctx;

static double comp_pdf1(double x, double c, double S) {
  return exp(-0.5 * (x - c) * (x - c) / S) / sqrt(2 * M_PI * S);
}

static double marg_pdf(const ctr_sd_gmix *g, int a, double x) {
  double p = 0;
  for (int k = 0; k < g->K; k++) p += g->w[k] * comp_pdf1(x, g->c[2 * k + a], g->S);
  return p;
}

static double in_pdf(const ctr_sd_gmix *g, const double *x) {
  double p = 0;
  for (int k = 0; k < g->K; k++)
    p += g->w[k] * comp_pdf1(x[0], g->c[2 * k], g->S) * comp_pdf1(x[1], g->c[2 * k + 1], g->S);
  return p;
}

/* P(a < X < b) for X ~ N(c, S), from the nearer tail (no cancellation far out). */
static double interval_mass(double a, double b, double c, double S) {
  double s = sqrt(2 * S), za = (a - c) / s, zb = (b - c) / s;
  if (za >= 0) return 0.5 * (erfc(za) - erfc(zb));
  if (zb <= 0) return 0.5 * (erfc(-zb) - erfc(-za));
  return 1 - 0.5 * (erfc(-za) + erfc(zb));
}

/* P(X < t) (lower) or P(X > t) for the input's marginal along axis a, from the tails. */
static double marg_tail(const ctr_sd_gmix *in, int a, double t, int lower) {
  double p = 0, s = sqrt(2 * in->S);
  for (int k = 0; k < in->K; k++)
    p += in->w[k] * 0.5 * erfc((lower ? in->c[2 * k + a] - t : t - in->c[2 * k + a]) / s);
  return p;
}

/* The point between x0 and x1 where the lower (or upper) tail mass is target (bisection: the
 * tail is monotone, growing towards x1 for the lower tail, falling towards x1 for the upper). */
static double tail_point(const ctr_sd_gmix *in, int a, int lower, double target, double x0,
                         double x1) {
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (x0 + x1);
    if ((marg_tail(in, a, mid, lower) > target) == lower) x1 = mid; else x0 = mid;
  }
  return 0.5 * (x0 + x1);
}

/* Edges of n cells over the axis's bulk: n - 2 (GUARD - 1) at the quantiles of p^(1/3) (p the
 * input's marginal), the asymptotically optimal quantiser for squared error (Panter-Dite), and
 * the outermost of those split into GUARD cells whose outer tail masses fall geometrically. The
 * guards make the outermost cells light: their images reach beyond the atoms' hull, where the
 * lower bound cannot place them (theory.md §9.23), so they are left out of it at a cost linear
 * in their mass. */
#define GUARD 6
static ctr_status axis_edges(const ctr_sd_gmix *in, int a, int n, double *e, ctr_error *err) {
  double sd = sqrt(in->S), lo = INFINITY, hi = -INFINITY;
  for (int k = 0; k < in->K; k++) lo = fmin(lo, in->c[2 * k + a]), hi = fmax(hi, in->c[2 * k + a]);
  lo -= BULK_SD * sd, hi += BULK_SD * sd;
  int nb = n - 2 * (GUARD - 1); /* cube-root cells */
  int M = CBRT_FINE * nb + 1;
  double *cum = malloc(sizeof(double) * (size_t)M), h = (hi - lo) / (M - 1);
  if (!cum) return ctr_fail(err, CTR_ENOMEM, "lowrank plane: out of memory");
  double prev = cbrt(marg_pdf(in, a, lo));
  cum[0] = 0;
  for (int i = 1; i < M; i++) {
    double cur = cbrt(marg_pdf(in, a, lo + i * h));
    cum[i] = cum[i - 1] + 0.5 * h * (prev + cur), prev = cur;
  }
  double *b = e + GUARD - 1; /* the cube-root edges b[0..nb] */
  b[0] = lo, b[nb] = hi;
  for (int c = 1, j = 1; c < nb; c++) {
    double t = cum[M - 1] * c / nb;
    while (j < M - 1 && cum[j] < t) j++;
    double dc = cum[j] - cum[j - 1];
    b[c] = lo + (j - 1 + (dc > 0 ? (t - cum[j - 1]) / dc : 0)) * h;
  }
  free(cum);
  /* guards: e[0] = lo, e[1..GUARD-1] inside (lo, b[1]); mirrored at the top */
  /* tail masses geometric from the inner edge's down to the box edge's: the outermost cell
   * carries ~ T (P_box / T)^((GUARD - 1) / GUARD), ~1e-14 at 200 cells */
  double inner = b[1], T = marg_tail(in, a, inner, 1);
  double rr = pow(fmax(marg_tail(in, a, lo, 1), 1e-30) / T, 1.0 / GUARD);
  e[0] = lo;
  for (int g = 1; g < GUARD; g++) {
    double target = T * pow(rr, GUARD - g); /* outermost guard edge lightest */
    e[g] = tail_point(in, a, 1, target, lo, inner);
  }
  e[GUARD - 1 + 1] = inner;
  double *top = e + GUARD - 1 + nb - 1; /* top[0] = b[nb - 1], the last cube-root inner edge */
  double innert = top[0], Tt = marg_tail(in, a, innert, 0);
  double rt = pow(fmax(marg_tail(in, a, hi, 0), 1e-30) / Tt, 1.0 / GUARD);
  for (int g = 1; g < GUARD; g++) {
    top[g] = tail_point(in, a, 0, Tt * pow(rt, g), innert, hi);
  }
  e[n] = hi;
  for (int c = 1; c <= n; c++)
    if (!(e[c] > e[c - 1])) return ctr_fail(err, CTR_ENUMERIC, "lowrank plane: cell edges collapse");
  return CTR_OK;
}

/* One core cell: its exact mass, and by the GL rule the barycentre y, E|X|^2 and the
 * distortion E|X - y|^2 (conditional on the cell). */
typedef struct { double m, y[2], ex2, dist; } cell_mom;

static void cell_moments(const cells_ctx *c, int i, int j, cell_mom *o) {
  const ctr_sd_gmix *in = c->in;
  double a0 = c->e[0][i], b0 = c->e[0][i + 1], a1 = c->e[1][j], b1 = c->e[1][j + 1];
  o->m = 0;
  for (int k = 0; k < in->K; k++)
    o->m += in->w[k] * interval_mass(a0, b0, in->c[2 * k], in->S) *
            interval_mass(a1, b1, in->c[2 * k + 1], in->S);
  double X[GL_P * GL_P][2], W[GL_P * GL_P], sw = 0, s1[2] = {0, 0};
  for (int p = 0; p < GL_P; p++)
    for (int q = 0; q < GL_P; q++) {
      int t = p * GL_P + q;
      double z[2] = {0.5 * (a0 + b0) + 0.5 * (b0 - a0) * c->gx[p],
                     0.5 * (a1 + b1) + 0.5 * (b1 - a1) * c->gx[q]};
      W[t] = 0.25 * (b0 - a0) * (b1 - a1) * c->gw[p] * c->gw[q] * in_pdf(in, z);
      ctr_grid_eval2(c->r, z, X[t]);
      sw += W[t], s1[0] += W[t] * X[t][0], s1[1] += W[t] * X[t][1];
    }
  o->y[0] = sw > 0 ? s1[0] / sw : 0, o->y[1] = sw > 0 ? s1[1] / sw : 0;
  o->ex2 = o->dist = 0;
  for (int t = 0; t < GL_P * GL_P && sw > 0; t++) {
    double u = X[t][0] - o->y[0], v = X[t][1] - o->y[1];
    o->dist += W[t] / sw * (u * u + v * v);
    o->ex2 += W[t] / sw * (X[t][0] * X[t][0] + X[t][1] * X[t][1]);
  }
}

/* E[|g(Z)|^2 ; Z outside the core box], by GL strips reaching RING_SD further standard
 * deviations (the mass beyond is < 1e-30 of the ring's own). */
static double ring_second_moment(const cells_ctx *c) {
  const ctr_sd_gmix *in = c->in;
  double sd = sqrt(in->S), L0 = c->e[0][0], H0 = c->e[0][c->n], L1 = c->e[1][0], H1 = c->e[1][c->n];
  double ext = RING_SD * sd;
  /* four strips: left and right over the full height, bottom and top over the box's width */
  double box[4][4] = {{L0 - ext, L0, L1 - ext, H1 + ext}, {H0, H0 + ext, L1 - ext, H1 + ext},
                      {L0, H0, L1 - ext, L1}, {L0, H0, H1, H1 + ext}};
  double tot = 0;
  for (int b = 0; b < 4; b++) {
    const int S = 16; /* sub-intervals per strip side */
    for (int u = 0; u < S; u++)
      for (int v = 0; v < S; v++) {
        double a0 = box[b][0] + (box[b][1] - box[b][0]) * u / S, w0 = (box[b][1] - box[b][0]) / S;
        double a1 = box[b][2] + (box[b][3] - box[b][2]) * v / S, w1 = (box[b][3] - box[b][2]) / S;
        for (int p = 0; p < GL_P; p++)
          for (int q = 0; q < GL_P; q++) {
            double z[2] = {a0 + 0.5 * w0 * (1 + c->gx[p]), a1 + 0.5 * w1 * (1 + c->gx[q])}, x[2];
            ctr_grid_eval2(c->r, z, x);
            tot += 0.25 * w0 * w1 * c->gw[p] * c->gw[q] * in_pdf(in, z) * (x[0] * x[0] + x[1] * x[1]);
          }
      }
  }
  return tot;
}

/* An upper bound on the lower convex envelope h at x: the least value sum lambda_j v_j over the
 * triangles of neighbouring atoms (the four quads around atom (i, j), each split both ways) that
 * contain x (lambda >= 0); INFINITY if none does. idx maps a core cell to its atom (-1: none). */
static double envelope_above(const double *x, int i, int j, int n, const int *idx, const double *y,
                             const double *v) {
  double best = INFINITY;
  for (int di = -1; di <= 0; di++)
    for (int dj = -1; dj <= 0; dj++) {
      int i0 = i + di, j0 = j + dj;
      if (i0 < 0 || j0 < 0 || i0 + 1 >= n || j0 + 1 >= n) continue;
      int q[4] = {idx[i0 * n + j0], idx[(i0 + 1) * n + j0], idx[(i0 + 1) * n + j0 + 1],
                  idx[i0 * n + j0 + 1]};
      if (q[0] < 0 || q[1] < 0 || q[2] < 0 || q[3] < 0) continue;
      static const int tri[4][3] = {{0, 1, 2}, {0, 2, 3}, {0, 1, 3}, {1, 2, 3}};
      for (int t = 0; t < 4; t++) {
        const double *A = y + 2 * q[tri[t][0]], *B = y + 2 * q[tri[t][1]], *C = y + 2 * q[tri[t][2]];
        double det = (B[0] - A[0]) * (C[1] - A[1]) - (C[0] - A[0]) * (B[1] - A[1]);
        if (det == 0) continue;
        double l1 = ((x[0] - A[0]) * (C[1] - A[1]) - (C[0] - A[0]) * (x[1] - A[1])) / det;
        double l2 = ((B[0] - A[0]) * (x[1] - A[1]) - (x[0] - A[0]) * (B[1] - A[1])) / det;
        double l0 = 1 - l1 - l2;
        if (l0 < 0 || l1 < 0 || l2 < 0) continue;
        best = fmin(best, l0 * v[q[tri[t][0]]] + l1 * v[q[tri[t][1]]] + l2 * v[q[tri[t][2]]]);
      }
    }
  return best;
}

/* E[H(g(Z)) ; C_ij] by the cell's GL rule, H = envelope_above; INFINITY if a node is not
 * located (the cell then leaves the lower bound). */
static double cell_envelope(const cells_ctx *c, int i, int j, const int *idx, const double *y,
                            const double *v) {
  double a0 = c->e[0][i], b0 = c->e[0][i + 1], a1 = c->e[1][j], b1 = c->e[1][j + 1], s = 0;
  for (int p = 0; p < GL_P; p++)
    for (int q = 0; q < GL_P; q++) {
      double z[2] = {0.5 * (a0 + b0) + 0.5 * (b0 - a0) * c->gx[p],
                     0.5 * (a1 + b1) + 0.5 * (b1 - a1) * c->gx[q]}, x[2];
      ctr_grid_eval2(c->r, z, x);
      double H = envelope_above(x, i, j, c->n, idx, y, v);
      if (!isfinite(H)) return INFINITY;
      s += 0.25 * (b0 - a0) * (b1 - a1) * c->gw[p] * c->gw[q] * in_pdf(c->in, z) * H;
    }
  return s;
}

/* Moments of nu: E|Y - a|^2 and E|Y - a|^4 (2-D isotropic components: |Y - c|^2 / S is
 * chi-square with 2 degrees of freedom, E = 2, E^2 = 8). */
static void nu_moments(const ctr_sd_gmix *nu, const double *a, double *m2, double *m4) {
  *m2 = *m4 = 0;
  for (int k = 0; k < nu->K; k++) {
    double b0 = nu->c[2 * k] - a[0], b1 = nu->c[2 * k + 1] - a[1], b2 = b0 * b0 + b1 * b1;
    *m2 += nu->w[k] * (b2 + 2 * nu->S);
    *m4 += nu->w[k] * (b2 * b2 + 8 * nu->S * b2 + 8 * nu->S * nu->S);
  }
}

/* sup of int g+ drho over rho <= nu of mass e (theory.md §9.23): g+ <= 2|y - c_k|^2 + B_k
 * with B_k = 2|c_k - y_1|^2 + |psi_1|, and |Y - c_k|^2 / S is exponential with mean 2. */
static double left_out_cost(const ctr_sd_gmix *nu, double e, const double *y1, double psi1) {
  if (e <= 0) return 0;
  double B = 0;
  for (int k = 0; k < nu->K; k++) {
    double b0 = nu->c[2 * k] - y1[0], b1 = nu->c[2 * k + 1] - y1[1];
    B = fmax(B, 2 * (b0 * b0 + b1 * b1));
  }
  return e * (4 * nu->S * (log(1 / fmin(e, 1.0)) + 1) + B + fabs(psi1));
}

typedef struct {
  double A, lo2, hi2, D, ring, left_out, mass_err, quad_err, sd_lo2, sd_hi2;
  int atoms, unlocated, newton, unconverged;
} level_out;

static ctr_status one_level(const ctr_grid_result *r, const ctr_sd_gmix *in, const ctr_sd_gmix *nu,
                            int n, level_out *o, ctr_error *err) {
  memset(o, 0, sizeof *o);
  cells_ctx c = {.r = r, .in = in, .n = n};
  size_t nc = (size_t)n * n;
  c.e[0] = malloc(sizeof(double) * (n + 1)), c.e[1] = malloc(sizeof(double) * (n + 1));
  cell_mom *cm = malloc(sizeof *cm * nc);
  int *idx = malloc(sizeof(int) * nc);
  double *y = malloc(sizeof(double) * 2 * nc), *m = malloc(sizeof(double) * nc);
  double *psi = ctr_dalloc(nc), *v = malloc(sizeof(double) * nc);
  ctr_status st = CTR_OK;
  if (!c.e[0] || !c.e[1] || !cm || !idx || !y || !m || !psi || !v)
    st = ctr_fail(err, CTR_ENOMEM, "lowrank plane: out of memory for %d x %d cells", n, n);
  for (int a = 0; a < 2 && !st; a++) st = axis_edges(in, a, n, c.e[a], err);
  if (!st) {
    gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(GL_P);
    for (int p = 0; p < GL_P; p++) gsl_integration_glfixed_point(-1, 1, (size_t)p, c.gx + p, c.gw + p, t);
    gsl_integration_glfixed_table_free(t);
  }
  if (st) goto done;
  #pragma omp parallel for schedule(static)
  for (long t = 0; t < (long)nc; t++) cell_moments(&c, (int)(t / n), (int)(t % n), cm + t);
  /* atoms: core cells heavy enough for the solver; lighter ones join the ring */
  double core = 0, ex2_out = 0, D = 0;
  int na = 0;
  for (size_t t = 0; t < nc; t++) {
    if (cm[t].m >= MIN_MASS && isfinite(cm[t].y[0]) && isfinite(cm[t].y[1])) {
      idx[t] = na, m[na] = cm[t].m, y[2 * na] = cm[t].y[0], y[2 * na + 1] = cm[t].y[1], na++;
      core += cm[t].m, D += cm[t].m * cm[t].dist;
    } else {
      idx[t] = -1, ex2_out += cm[t].m * cm[t].ex2;
    }
  }
  /* the ring's mass, from the tails (1 - P(box) without cancellation), plus the light cells */
  double ring = 0;
  for (int k = 0; k < in->K; k++) {
    double A0 = interval_mass(c.e[0][0], c.e[0][n], in->c[2 * k], in->S);
    double A1 = interval_mass(c.e[1][0], c.e[1][n], in->c[2 * k + 1], in->S);
    ring += in->w[k] * ((1 - A0) + A0 * (1 - A1));
  }
  double light = 0;
  for (size_t t = 0; t < nc; t++) if (idx[t] < 0) light += cm[t].m;
  o->ring = ring + light;
  ex2_out += ring_second_moment(&c);
  for (int i = 0; i < na; i++) m[i] /= core; /* the solver's atoms carry the core's law */
  D /= core;
  ctr_sd_params sp;
  ctr_sd_params_default(&sp);
  /* the guard cells weigh down to ~1e-14: their error counts against 1e-2 / n (theory.md
   * §9.23); the bounds need no convergence, only the estimate does */
  sp.mass_tol = 1e-8, sp.mass_floor = 1e-2 / na, sp.max_newton = 40;
  ctr_sd_result sr;
  st = ctr_semidiscrete_w2(na, y, m, nu, &sp, psi, &sr, err);
  /* not converged: the bounds below hold for any psi, so go on; the flag tells */
  if (st == CTR_ENUMERIC) st = CTR_OK, o->unconverged = 1;
  if (st) goto done;
  o->atoms = na, o->newton = sr.newton_steps, o->mass_err = sr.mass_err, o->quad_err = sr.quad_err;
  o->sd_lo2 = sr.dual, o->sd_hi2 = sr.primal_hi, o->A = sr.dual, o->D = D;
  /* upper: joint convexity over (core, ring), the gluing on the core */
  double ey2, ey4, zero[2] = {0, 0};
  nu_moments(nu, zero, &ey2, &ey4);
  double e = o->ring;
  o->hi2 = (1 - e) * (sr.primal_hi + D) + 2 * (ex2_out + e * ey2);
  /* lower: duality with g = min_i (|y - y_i|^2 - psi_i) and f >= |x|^2 - H(x) cell by cell */
  for (int i = 0; i < na; i++) v[i] = y[2 * i] * y[2 * i] + y[2 * i + 1] * y[2 * i + 1] - psi[i];
  double *eh = malloc(sizeof(double) * nc);
  if (!eh) { st = ctr_fail(err, CTR_ENOMEM, "lowrank plane: out of memory"); goto done; }
  #pragma omp parallel for schedule(static)
  for (long t = 0; t < (long)nc; t++)
    eh[t] = idx[t] < 0 ? INFINITY : cell_envelope(&c, (int)(t / n), (int)(t % n), idx, y, v);
  double fsum = 0, left = o->ring, gint = sr.dual;
  for (int i = 0; i < na; i++) gint -= m[i] * psi[i]; /* int g dnu */
  for (size_t t = 0; t < nc; t++) {
    if (idx[t] < 0) continue;
    if (!isfinite(eh[t])) { left += cm[t].m, o->unlocated++; continue; }
    fsum += cm[t].m * cm[t].ex2 - eh[t]; /* E[|X|^2 - H(X) ; C_t] */
  }
  free(eh);
  int i1 = 0; /* the atom nearest nu's mean, for the left-out bound */
  double mn[2] = {0, 0}, best = INFINITY;
  for (int k = 0; k < nu->K; k++) mn[0] += nu->w[k] * nu->c[2 * k], mn[1] += nu->w[k] * nu->c[2 * k + 1];
  for (int i = 0; i < na; i++) {
    double d2 = (y[2 * i] - mn[0]) * (y[2 * i] - mn[0]) + (y[2 * i + 1] - mn[1]) * (y[2 * i + 1] - mn[1]);
    if (d2 < best) best = d2, i1 = i;
  }
  o->left_out = left;
  o->lo2 = fsum + gint - left_out_cost(nu, left, y + 2 * i1, psi[i1]);
done:
  free(c.e[0]), free(c.e[1]), free(cm), free(idx), free(y), free(m), free(psi), free(v);
  return st;
}

ctr_status ctr_plane_sd_w2(const ctr_grid_result *r, const ctr_sd_gmix *in, const ctr_sd_gmix *nu,
                           int cells, ctr_plane_sd *out, ctr_error *err) {
  memset(out, 0, sizeof *out);
  if (!r || r->d != 2) return ctr_fail(err, CTR_EINPUT, "lowrank plane: needs a 2-D grid result");
  if (cells < CTR_PLANE_CELLS_MIN || cells > CTR_PLANE_CELLS_MAX)
    return ctr_fail(err, CTR_EINPUT, "lowrank plane: %d cells per axis, accepted %d .. %d", cells,
                    CTR_PLANE_CELLS_MIN, CTR_PLANE_CELLS_MAX);
  level_out f, h;
  ctr_status st = one_level(r, in, nu, cells, &f, err);
  ctr_status st2 = st ? st : one_level(r, in, nu, cells / 2, &h, err);
  out->lo2 = f.lo2, out->hi2 = f.hi2, out->sd_lo2 = f.sd_lo2, out->sd_hi2 = f.sd_hi2;
  out->D = f.D, out->ring = f.ring, out->left_out = f.left_out, out->atoms = f.atoms;
  out->unlocated = f.unlocated, out->newton = f.newton, out->mass_err = f.mass_err;
  out->quad_err = f.quad_err;
  out->unconverged = f.unconverged;
  if (st || st2) return st ? st : st2;
  out->unconverged |= h.unconverged;
  /* Richardson on W2^2(atoms, nu) = W2^2 + c h^2: the distortions give the h^2 ratio */
  double ratio = h.D / f.D;
  out->est2 = ratio > 1.5 ? f.A - (h.A - f.A) / (ratio - 1) : f.A;
  out->est_err = fabs(out->est2 - f.A);
  out->quad_err = fmax(out->quad_err, h.quad_err);
  return CTR_OK;
}
