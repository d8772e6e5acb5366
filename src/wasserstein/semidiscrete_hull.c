/* wasserstein/semidiscrete_hull.c: the neighbours of every Laguerre cell, from the regular
 * triangulation of the weighted atoms = the lower convex hull of the lifted points
 * (y_i, |y_i|^2 - psi_i) in 3-D (qhull, reentrant library; theory.md §9.22).
 *
 * Only the graph is taken from qhull: the cells themselves are cut from a box by the half-planes
 * of these neighbours (semidiscrete.c), so extra neighbours (qhull's "Qt" triangulates facets
 * that are coplanar, e.g. co-circular atoms on a lattice with equal weights, into triangles with
 * arbitrary diagonals) only add redundant half-planes and change no cell. "Qt" is chosen over
 * "QJ" (joggle) because it keeps the input exact: a joggled lift could drop a true neighbour whose
 * shared edge is as long as the joggle. Kept apart from semidiscrete.c because qhull's headers
 * define macros (True, False, qh, ...) that should not leak into the solver. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libqhull_r/libqhull_r.h>

#include "wasserstein/semidiscrete_hull.h"

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* CSR from a list of directed pairs (both directions present), sorted and deduplicated. */
static int build_csr(int n, int ne, int *pi, int *pj, int **off_out, int **adj_out) {
  int *off = calloc((size_t)n + 1, sizeof *off), *adj = malloc(((size_t)ne + 1) * sizeof *adj);
  int *fill = calloc((size_t)n + 1, sizeof *fill);
  if (!off || !adj || !fill) {
    free(off), free(adj), free(fill);
    return -1;
  }
  for (int e = 0; e < ne; e++) off[pi[e] + 1]++;
  for (int i = 0; i < n; i++) off[i + 1] += off[i];
  for (int e = 0; e < ne; e++) adj[off[pi[e]] + fill[pi[e]]++] = pj[e];
  int w = 0; /* compact each row after sorting */
  for (int i = 0; i < n; i++) {
    int a = off[i], b = off[i + 1];
    qsort(adj + a, (size_t)(b - a), sizeof *adj, cmp_int);
    off[i] = w;
    for (int k = a; k < b; k++)
      if (k == a || adj[k] != adj[k - 1]) adj[w++] = adj[k];
  }
  off[n] = w;
  free(fill);
  *off_out = off, *adj_out = adj;
  return 0;
}

int ctr_sd_neighbours(int n, const double *y, const double *psi, int brute_max, int **off,
                      int **adj, char *msg, size_t msglen) {
  *off = NULL, *adj = NULL;
  msg[0] = 0;
  int *pi = NULL, *pj = NULL, ne = 0, rc = 0;
  double *pts = NULL;
  if (n >= 4) {
    /* centred and scaled: the lift's third coordinate is then O(1) for the atoms' spread */
    double mx = 0, my = 0, s2 = 0;
    for (int i = 0; i < n; i++) mx += y[2 * i], my += y[2 * i + 1];
    mx /= n, my /= n;
    for (int i = 0; i < n; i++) {
      double dx = y[2 * i] - mx, dy = y[2 * i + 1] - my;
      s2 = fmax(s2, dx * dx + dy * dy);
    }
    double s = sqrt(s2);
    pts = malloc((size_t)n * 3 * sizeof *pts);
    if (!pts) return -1;
    for (int i = 0; i < n; i++) {
      double dx = y[2 * i] - mx, dy = y[2 * i + 1] - my;
      pts[3 * i] = dx / s, pts[3 * i + 1] = dy / s, pts[3 * i + 2] = (dx * dx + dy * dy - psi[i]) / s2;
    }
    char *ebuf = NULL;
    size_t elen = 0;
    FILE *ef = open_memstream(&ebuf, &elen);
    qhT qh_qh, *qh = &qh_qh;
    qh_zero(qh, ef);
    char cmd[] = "qhull Qt";
    int code = qh_new_qhull(qh, 3, n, pts, False, cmd, NULL, ef);
    if (!code) {
      facetT *facet;
      vertexT *vertex, **vertexp;
      int nf = 0;
      FORALLfacets nf++;
      pi = malloc((size_t)nf * 6 * sizeof *pi), pj = malloc((size_t)nf * 6 * sizeof *pj);
      if (!pi || !pj) rc = -1;
      else {
        FORALLfacets {
          if (facet->normal[2] >= 0) continue; /* upper hull or vertical: not a power cell */
          int v[3], k = 0;
          FOREACHvertex_(facet->vertices) {
            if (k < 3) v[k] = qh_pointid(qh, vertex->point);
            k++;
          }
          if (k != 3) continue; /* "Qt" makes every facet a triangle */
          for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
              if (a != b) pi[ne] = v[a], pj[ne] = v[b], ne++;
        }
      }
    }
    qh_freeqhull(qh, !qh_ALL);
    int curlong, totlong;
    qh_memfreeshort(qh, &curlong, &totlong);
    fclose(ef);
    if (code) snprintf(msg, msglen, "qhull exit %d: %.200s", code, ebuf ? ebuf : "");
    free(ebuf);
    free(pts);
    if (rc) {
      free(pi), free(pj);
      return rc;
    }
    if (!code) {
      rc = build_csr(n, ne, pi, pj, off, adj);
      free(pi), free(pj);
      return rc;
    }
    free(pi), free(pj);
    pi = pj = NULL, ne = 0;
    if (n > brute_max) return 1;
  }
  /* n <= 3, or qhull refused (e.g. collinear atoms) and n is small: every pair, O(n^2) */
  pi = malloc((size_t)n * (size_t)n * sizeof *pi), pj = malloc((size_t)n * (size_t)n * sizeof *pj);
  if (!pi || !pj) {
    free(pi), free(pj);
    return -1;
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      if (i != j) pi[ne] = i, pj[ne] = j, ne++;
  rc = build_csr(n, ne, pi, pj, off, adj);
  free(pi), free(pj);
  return rc;
}
