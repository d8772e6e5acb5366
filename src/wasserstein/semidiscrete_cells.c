/* wasserstein/semidiscrete_cells.c: convex polygons and the integrals of an isotropic Gaussian
 * over them (theory.md §9.22).
 *
 * A polygon's integral is a signed sum over its edges of the integral over the triangle
 * (c, a, b) from the component's centre c. Along the ray from c through the point q(t) of the
 * edge the radial integrals are incomplete gamma functions in u = |q|^2 / 2S, so each edge
 * leaves a 1-D integral over t in [0, 1] of a smooth function: adaptive Gauss-Kronrod 7-15.
 * Two forms, chosen per polygon and component:
 *   lower  int_0^{R} along each ray (gamma(a, u) / u^a: entire in u, smooth even where the edge
 *          passes through c): used when c is inside the polygon or near it, where the signed
 *          triangles do not cancel much;
 *   upper  int_R^inf along each ray (Gamma(a, u), decaying like e^{-u}), subtracted from the
 *          whole plane times the winding number (0 outside): used when the polygon lies in the
 *          tail (u >= 1 on all of it), where the lower form would be the small difference of
 *          O(1) triangle masses and lose every digit. */
#include "wasserstein/semidiscrete_cells.h"

#include <math.h>
#include <string.h>

void ctr_sd_poly_clip(ctr_sd_poly *p, ctr_sd_poly *s, double nx, double ny, double h, int lab) {
  int n = p->nv, k = 0;
  if (n == 0) return;
  for (int j = 0; j < n; j++) {
    int j1 = j + 1 == n ? 0 : j + 1;
    double px = p->x[j], py = p->y[j], qx = p->x[j1], qy = p->y[j1];
    double sp = nx * px + ny * py - h, sq = nx * qx + ny * qy - h;
    int pin = sp <= 0, qin = sq <= 0;
    if (pin) s->x[k] = px, s->y[k] = py, s->lab[k++] = p->lab[j];
    if (pin != qin) {
      double t = sp / (sp - sq); /* sp and sq have opposite signs: t in [0, 1] */
      s->x[k] = px + t * (qx - px), s->y[k] = py + t * (qy - py);
      /* leaving: the edge from here runs along the cut; entering: along the old edge j */
      s->lab[k++] = pin ? lab : p->lab[j];
    }
  }
  ctr_sd_poly t = *p;
  p->x = s->x, p->y = s->y, p->lab = s->lab, p->nv = k < 3 ? 0 : k, p->cap = s->cap;
  s->x = t.x, s->y = t.y, s->lab = t.lab, s->cap = t.cap, s->nv = 0;
}

/* gamma(a, u) / u^a for a = 1, 3/2, 2 (lower incomplete gamma): the power series
 * e^{-u} sum u^n / (a (a+1) ... (a+n)) below u = 1 (all terms positive, 18 terms reach 1e-17),
 * closed forms above (where their cancellation costs at most a factor e). */
static void gam_lower(double u, double g[3]) {
  static const double a[3] = {1.0, 1.5, 2.0};
  if (u < 1) {
    double eu = exp(-u);
    for (int k = 0; k < 3; k++) {
      double term = 1 / a[k], sum = term;
      for (int n = 1; n < 40 && term > 1e-18 * sum; n++) term *= u / (a[k] + n), sum += term;
      g[k] = eu * sum;
    }
    return;
  }
  double eu = exp(-u), su = sqrt(u);
  g[0] = -expm1(-u) / u;
  g[1] = (0.886226925452758014 * erf(su) - su * eu) / (u * su);
  g[2] = (-expm1(-u) - u * eu) / (u * u);
}

/* Gauss-Kronrod 15 nodes on [-1, 1] (QUADPACK qk15): xk[7] = 0, Gauss 7 uses xk[1,3,5,7]. */
static const double xk[8] = {0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                             0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                             0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                             0.207784955007898467600689403773245, 0.0};
static const double wk[8] = {0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                             0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                             0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                             0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
static const double wg[4] = {0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                             0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

typedef struct {
  double ax, ay, dx, dy; /* q(t) = a + t d, relative to c */
  double S;
  int upper;
  double tol[3]; /* absolute targets per unit t: mass, first moment, second moment */
  double val[4], err[3];
} edge_job;

/* The edge integrand without the factor cross(a, b) / (2 pi S) (lower) or cross / (2 pi)
 * (upper): f[0] mass, f[1], f[2] first moment, f[3] second moment, all about c. */
static void integrand(const edge_job *e, double t, double f[4]) {
  double qx = e->ax + t * e->dx, qy = e->ay + t * e->dy, q2 = qx * qx + qy * qy;
  double u = q2 / (2 * e->S);
  if (!e->upper) {
    double g[3];
    gam_lower(u, g);
    f[0] = 0.5 * g[0], f[1] = 0.5 * g[1] * qx, f[2] = 0.5 * g[1] * qy, f[3] = 0.5 * q2 * g[2];
    return;
  }
  double eu = exp(-u), su = sqrt(u), q = sqrt(q2);
  double G32 = su * eu + 0.886226925452758014 * erfc(su); /* Gamma(3/2, u) */
  double r1 = sqrt(2 * e->S) * G32 / (q2 * q);
  f[0] = eu / q2, f[1] = r1 * qx, f[2] = r1 * qy, f[3] = 2 * e->S * eu * (1 + u) / q2;
}

static void gk15(const edge_job *e, double t0, double t1, double k[4], double g[4]) {
  double hc = 0.5 * (t1 - t0), mc = 0.5 * (t0 + t1), f[4], f2[4];
  integrand(e, mc, f);
  for (int q = 0; q < 4; q++) k[q] = wk[7] * f[q], g[q] = wg[3] * f[q];
  for (int j = 0; j < 7; j++) {
    integrand(e, mc - hc * xk[j], f);
    integrand(e, mc + hc * xk[j], f2);
    for (int q = 0; q < 4; q++) {
      k[q] += wk[j] * (f[q] + f2[q]);
      if (j % 2) g[q] += wg[j / 2] * (f[q] + f2[q]);
    }
  }
  for (int q = 0; q < 4; q++) k[q] *= hc, g[q] *= hc;
}

/* Adaptive bisection until |K15 - G7| (a pessimistic estimate of K15's error) is below the
 * absolute target for the piece or 1e-14 of the piece's value; depth 30 at most. */
static void adapt(edge_job *e, double t0, double t1, int depth) {
  double k[4], g[4];
  gk15(e, t0, t1, k, g);
  double er[3] = {fabs(k[0] - g[0]), fmax(fabs(k[1] - g[1]), fabs(k[2] - g[2])),
                  fabs(k[3] - g[3])};
  double mag[3] = {fabs(k[0]), fmax(fabs(k[1]), fabs(k[2])), fabs(k[3])};
  int ok = 1;
  for (int q = 0; q < 3; q++)
    if (er[q] > fmax(e->tol[q] * (t1 - t0), 1e-14 * mag[q])) ok = 0;
  if (ok || depth >= 30) {
    for (int q = 0; q < 4; q++) e->val[q] += k[q];
    for (int q = 0; q < 3; q++) e->err[q] += er[q];
    return;
  }
  double tm = 0.5 * (t0 + t1);
  adapt(e, t0, tm, depth + 1);
  adapt(e, tm, t1, depth + 1);
}

static double seg_dist2(double ax, double ay, double bx, double by) { /* from the origin */
  double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  double t = l2 > 0 ? -(ax * dx + ay * dy) / l2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  double x = ax + t * dx, y = ay + t * dy;
  return x * x + y * y;
}

void ctr_sd_poly_gauss(const ctr_sd_poly *p, double cx, double cy, double S, double tol,
                       ctr_sd_moments *out) {
  memset(out, 0, sizeof *out);
  int n = p->nv;
  if (n < 3) return;
  /* inside test (counter-clockwise convex polygon) and distance of c from the polygon */
  int inside = 1;
  double d2 = INFINITY, r2 = 0;
  for (int j = 0; j < n; j++) {
    int j1 = j + 1 == n ? 0 : j + 1;
    double ax = p->x[j] - cx, ay = p->y[j] - cy, bx = p->x[j1] - cx, by = p->y[j1] - cy;
    if (ax * by - ay * bx < 0) inside = 0;
    d2 = fmin(d2, seg_dist2(ax, ay, bx, by));
    r2 = fmax(r2, ax * ax + ay * ay);
  }
  double umin = inside ? 0 : d2 / (2 * S);
  /* beyond u = 745 e^{-u} is below the smallest double: every integral is 0 to double
   * precision (the moments carry at most the polynomial factor r2 / S on top) */
  if (umin > 745) return;
  edge_job e;
  e.S = S, e.upper = umin >= 1;
  double sc = sqrt(2 * S + r2);
  e.tol[0] = tol, e.tol[1] = tol * sc, e.tol[2] = tol * sc * sc;
  double acc[4] = {0}, err[3] = {0};
  for (int j = 0; j < n; j++) {
    int j1 = j + 1 == n ? 0 : j + 1;
    e.ax = p->x[j] - cx, e.ay = p->y[j] - cy;
    e.dx = p->x[j1] - p->x[j], e.dy = p->y[j1] - p->y[j];
    double cr = e.ax * (p->y[j1] - cy) - e.ay * (p->x[j1] - cx); /* twice the signed area */
    if (cr == 0) continue;
    double f = cr / (2 * M_PI * (e.upper ? 1 : S));
    /* the targets are for the whole polygon's integral: divide by the triangle's weight */
    double tsc = fabs(f) * n;
    for (int q = 0; q < 3; q++) e.tol[q] /= tsc;
    memset(e.val, 0, sizeof e.val), memset(e.err, 0, sizeof e.err);
    adapt(&e, 0, 1, 0);
    for (int q = 0; q < 3; q++) e.tol[q] *= tsc;
    for (int q = 0; q < 4; q++) acc[q] += f * e.val[q];
    for (int q = 0; q < 3; q++) err[q] += fabs(f) * e.err[q];
  }
  if (e.upper) { /* c is outside: winding number 0, the whole plane's share cancels */
    for (int q = 0; q < 4; q++) acc[q] = -acc[q];
  }
  out->m0 = acc[0], out->m1x = acc[1], out->m1y = acc[2], out->m2 = acc[3];
  out->e0 = err[0], out->e1 = err[1], out->e2 = err[2];
}

/* int_{x1}^{x2} e^{-x^2} dx, with erfc on the side away from 0 (no cancellation in the tail) */
static double gauss_int(double x1, double x2) {
  const double h = 0.886226925452758014; /* sqrt(pi) / 2 */
  if (x1 >= 0) return h * (erfc(x1) - erfc(x2));
  if (x2 <= 0) return h * (erfc(-x2) - erfc(-x1));
  return h * (erf(x2) - erf(x1));
}

double ctr_sd_segment_gauss(double ax, double ay, double bx, double by, double cx, double cy,
                            double S) {
  double dx = bx - ax, dy = by - ay, L = sqrt(dx * dx + dy * dy);
  if (L == 0) return 0;
  double ex = dx / L, ey = dy / L, rx = ax - cx, ry = ay - cy;
  double ta = rx * ex + ry * ey, p = rx * ey - ry * ex; /* along and across the line */
  double s = sqrt(2 * S);
  return exp(-p * p / (2 * S)) * s * gauss_int(ta / s, (ta + L) / s) / (2 * M_PI * S);
}
