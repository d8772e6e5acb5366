/* wasserstein/semidiscrete_cells.h: the geometry and the integrals behind the semi-discrete W2
 * solver (semidiscrete.h, theory.md §9.22): a convex polygon clipped by half-planes with the
 * origin of each edge kept, and the mass and moments of an isotropic Gaussian over a convex
 * polygon and along a segment. Internal to src/wasserstein (and its test). */
#ifndef CTR_WASSERSTEIN_SEMIDISCRETE_CELLS_H
#define CTR_WASSERSTEIN_SEMIDISCRETE_CELLS_H

/* A convex polygon, vertices counter-clockwise; lab[j] names the edge from vertex j to j + 1
 * (the neighbour whose half-plane made it, or -1 for a side of the box). */
typedef struct {
  int nv, cap;
  double *x, *y;
  int *lab;
} ctr_sd_poly;

/* Keep the part of p where nx x + ny y <= h; edges made by the cut get label lab. scratch must
 * have capacity >= p->nv + 1 (its arrays are swapped with p's). */
void ctr_sd_poly_clip(ctr_sd_poly *p, ctr_sd_poly *scratch, double nx, double ny, double h,
                      int lab);

/* Integrals over a convex polygon of the density of N(c, S I_2): m0 the mass, (m1x, m1y) the
 * first moment about c, m2 the second moment about c (int |y - c|^2), and estimates e0, e1, e2 of
 * their absolute quadrature errors (e1 for both first-moment coordinates). tol: absolute target
 * for the mass (the moments are scaled by the polygon's distance from c). */
typedef struct {
  double m0, m1x, m1y, m2;
  double e0, e1, e2;
} ctr_sd_moments;

void ctr_sd_poly_gauss(const ctr_sd_poly *p, double cx, double cy, double S, double tol,
                       ctr_sd_moments *out);

/* int over the segment a-b of the density of N(c, S I_2) (closed form with erf / erfc). */
double ctr_sd_segment_gauss(double ax, double ay, double bx, double by, double cx, double cy,
                            double S);

#endif
