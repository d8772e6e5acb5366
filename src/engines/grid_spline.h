/* engines/grid_spline.h: the splines of the grid engine (engines/grid.h), internal to it.
 * A uniform natural cubic spline in d = 1 and its tensor product in d = 2, both extended
 * linearly by the end tangents outside the grid. The evaluators are static inline: the CT
 * recursion calls them ~1e8 times per run. */
#ifndef CTR_ENGINES_GRID_SPLINE_H
#define CTR_ENGINES_GRID_SPLINE_H

#include <stddef.h>

#include "core/common.h"

/* ================================================================ uniform natural spline */

/* f on x_i = lo + i h, i < n; M the second derivatives (natural: M_0 = M_{n-1} = 0);
 * cp the Thomas factors of the constant tridiagonal system (1, 4, 1), computed once per n. */
typedef struct {
  int n;
  double lo, h, h26, slope_lo, slope_hi;
  double *f, *M, *cp;
} ctr_grid_spline;

void ctr_grid_spline_free(ctr_grid_spline *sp);
/* Arrays for n points and the Thomas factors; CTR_ENOMEM (arrays freed by _free). */
ctr_status ctr_grid_spline_alloc(ctr_grid_spline *sp, int n);
/* The grid x_i = lo + i (hi - lo) / (n - 1). */
void ctr_grid_spline_grid(ctr_grid_spline *sp, double lo, double hi);
/* M and the end slopes from f (natural spline through the values). */
void ctr_grid_spline_fit(ctr_grid_spline *sp);

/* Spline value; outside the grid the end tangents (linear extrapolation). */
static inline double ctr_grid_spline_eval(const ctr_grid_spline *sp, double y) {
  double u = (y - sp->lo) / sp->h;
  if (!(u > 0)) return sp->f[0] + sp->slope_lo * (y - sp->lo); /* NaN y gives NaN */
  if (u >= sp->n - 1) return sp->f[sp->n - 1] + sp->slope_hi * (u - (sp->n - 1)) * sp->h;
  int i = (int)u;
  double b = u - i, a = 1.0 - b;
  return a * sp->f[i] + b * sp->f[i + 1] +
         sp->h26 * ((a * a * a - a) * sp->M[i] + (b * b * b - b) * sp->M[i + 1]);
}

/* ctr_grid_spline_eval at y[0..n-1] into out: the same operations in the same order, so the
 * same bits (tests/test_grid.c), four at a time with AVX2 where the CPU has it (the CT
 * recursions' inner loops: Q or Q^2 nodes per grid point and step). */
void ctr_grid_spline_eval_n(const ctr_grid_spline *sp, const double *y, double *out, int n);

/* ================================================================ d = 2: tensor spline */

/* Per node 8 doubles: F0 F1 Mx0 Mx1 My0 My1 Mxy0 Mxy1 (engines/grid.h), node (i, j) at
 * c + (i n + j) 8, i along axis 1. */
#define CTR_GRID_NODE 8

typedef struct {
  int n;
  double lo[2], h[2], h26[2];
  double *c, *cp;
} ctr_grid_spline2;

void ctr_grid_spline2_free(ctr_grid_spline2 *S);
ctr_status ctr_grid_spline2_alloc(ctr_grid_spline2 *S, int n);
/* Axis a: lo[a] + i (hi[a] - lo[a]) / (n - 1). */
void ctr_grid_spline2_grid(ctr_grid_spline2 *S, const double *lo, const double *hi);
/* Mx, My, Mxy from the values F0, F1 of every node. */
void ctr_grid_spline2_fit(ctr_grid_spline2 *S);

/* 1-D weights of a point on one axis: value = w0 F_i + w1 F_{i+1} + w2 M_i + w3 M_{i+1};
 * outside the grid the linear extension by the end tangent (as spline_eval). Returns i. */
static inline int ctr_grid_axis_w(const ctr_grid_spline2 *S, int ax, double y, double *w) {
  double u = (y - S->lo[ax]) / S->h[ax], h26 = S->h26[ax];
  int n = S->n;
  if (!(u > 0)) { /* below (or NaN: NaN weights) */
    w[0] = 1 - u, w[1] = u, w[2] = -2 * u * h26, w[3] = -u * h26;
    return 0;
  }
  if (u >= n - 1) {
    double v = u - (n - 1);
    w[0] = -v, w[1] = 1 + v, w[2] = v * h26, w[3] = 2 * v * h26;
    return n - 2;
  }
  int i = (int)u;
  double b = u - i, a = 1 - b;
  w[0] = a, w[1] = b, w[2] = h26 * (a * a * a - a), w[3] = h26 * (b * b * b - b);
  return i;
}

/* Value of both output coordinates at (y0, y1): 16 weights from the two 1-D cells. */
static inline void ctr_grid_spline2_eval(const ctr_grid_spline2 *S, double y0, double y1,
                                         double *out) {
  double wx[4], wy[4];
  int i = ctr_grid_axis_w(S, 0, y0, wx), j = ctr_grid_axis_w(S, 1, y1, wy);
  size_t row = (size_t)S->n * CTR_GRID_NODE;
  const double *p00 = S->c + (size_t)i * row + (size_t)j * CTR_GRID_NODE;
  const double *p01 = p00 + CTR_GRID_NODE;
  const double *p10 = p00 + row, *p11 = p10 + CTR_GRID_NODE;
  for (int c = 0; c < 2; c++)
    out[c] = wy[0] * (wx[0] * p00[c] + wx[1] * p10[c] + wx[2] * p00[2 + c] + wx[3] * p10[2 + c]) +
             wy[1] * (wx[0] * p01[c] + wx[1] * p11[c] + wx[2] * p01[2 + c] + wx[3] * p11[2 + c]) +
             wy[2] * (wx[0] * p00[4 + c] + wx[1] * p10[4 + c] + wx[2] * p00[6 + c] +
                      wx[3] * p10[6 + c]) +
             wy[3] * (wx[0] * p01[4 + c] + wx[1] * p11[4 + c] + wx[2] * p01[6 + c] +
                      wx[3] * p11[6 + c]);
}

/* The expectation of the spline along one axis under the 1-D rule y + sd xi_q, weights om_q
 * (q = q0..q1), as per-node value and second-derivative weights (see grid_spline.c). */
int ctr_grid_axis_rule(const ctr_grid_spline2 *S, int ax, double y, double sd, int q0, int q1,
                       const double *xi, const double *om, double *A, double *C, int *first);

#endif
