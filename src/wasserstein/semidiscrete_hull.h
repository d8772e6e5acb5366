/* wasserstein/semidiscrete_hull.h: the neighbour graph of the Laguerre cells of weighted atoms
 * in the plane (regular triangulation by qhull; theory.md §9.22). Internal to src/wasserstein. */
#ifndef CTR_WASSERSTEIN_SEMIDISCRETE_HULL_H
#define CTR_WASSERSTEIN_SEMIDISCRETE_HULL_H

#include <stddef.h>

/* Neighbours of each atom (y: n x 2, weights psi) as CSR: atom i's neighbours are
 * adj[off[i] .. off[i+1]-1], sorted; a superset of the atoms whose Laguerre cells share an edge
 * with i's. An atom with no neighbour (n > 1) has an empty cell (hidden in the lift). For n <= 3,
 * or when qhull fails (collinear atoms) and n <= brute_max, every other atom is a neighbour.
 * Returns 0, -1 (out of memory) or 1 (qhull failed and n > brute_max; msg says why).
 * The caller frees *off and *adj. */
int ctr_sd_neighbours(int n, const double *y, const double *psi, int brute_max, int **off,
                      int **adj, char *msg, size_t msglen);

#endif
