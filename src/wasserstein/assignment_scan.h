/* wasserstein/assignment_scan.h: the row loops of the assignment solver (internal to assignment.c).
 * Row ci holds the n costs c(i, j) (double, or float for the float-stored matrix), v the column
 * prices. */
#ifndef CTR_WASSERSTEIN_ASSIGNMENT_SCAN_H
#define CTR_WASSERSTEIN_ASSIGNMENT_SCAN_H

/* The two smallest (value, index) pairs of ci[j] - v[j] in lexicographic order: (u1 at j1),
 * (u2 at j2); u2 = inf, j2 = -1 when n = 1. */
void ctr_wa_two_smallest(const double *ci, const double *v, int n, double *u1, int *j1,
                         double *u2, int *j2);

/* dist[j] = min(dist[j], ci[j] - v[j] - h), pred[j] = i where it dropped; returns the index of
 * the least dist (the lowest among ties). Settled columns carry v = -inf and dist = +inf. */
int ctr_wa_relax(const double *ci, const double *v, double *dist, int *pred, int i, double h,
                 int n);
int ctr_wa_relax_f(const float *ci, const double *v, double *dist, int *pred, int i, double h,
                   int n);

#endif
