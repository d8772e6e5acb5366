/* wasserstein/semidiscrete.c: W2 between weighted atoms in the plane and an isotropic Gaussian
 * mixture by damped Newton on the semi-discrete dual (theory.md §9.22).
 *
 * One evaluation at weights psi: the neighbour graph from the regular triangulation
 * (semidiscrete_hull.c), every cell cut from a box B by its neighbours' half-planes, and per cell
 * its nu-mass, its cost int_{Lag_i} |y - y_i|^2 dnu and the Hessian weights
 * int_{Lag_i cap Lag_j} rho dl / (2 |y_i - y_j|) of its edges (semidiscrete_cells.c). Cells are
 * independent, so they run in parallel (OpenMP) and every total is then summed in index order:
 * the result does not depend on the thread count. Outside B (<= 4.2e-21 of every component's
 * mass) nothing is integrated; its share is bounded in closed form (tail_bounds). */
#include "wasserstein/semidiscrete.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wasserstein/semidiscrete_cells.h"
#include "wasserstein/semidiscrete_hull.h"

#define BOX_SIGMAS 9.5 /* half-side of each component's square in standard deviations */
#define BRUTE_MAX 3000 /* all-pairs neighbours when qhull refuses (collinear atoms) */

void ctr_sd_params_default(ctr_sd_params *p) {
  p->mass_tol = 1e-10;
  p->max_newton = 100;
  p->mass_floor = 0;
}

typedef struct {
  double *G, *cost, *emass, *ecost; /* per cell: nu-mass, cost, their quadrature errors */
  int *off, *adj;                    /* neighbour graph (CSR) */
  double *h;                         /* Hessian weight per graph entry (0 if no shared edge) */
} sd_eval;

typedef struct {
  int n;
  const double *y, *m;
  const ctr_sd_gmix *nu;
  double box[4]; /* xlo, xhi, ylo, yhi */
  double tol;    /* absolute quadrature target for a component's mass on one cell */
} sd_problem;

static void eval_free(sd_eval *e) {
  free(e->G), free(e->cost), free(e->emass), free(e->ecost), free(e->off), free(e->adj), free(e->h);
  memset(e, 0, sizeof *e);
}

static int poly_alloc(ctr_sd_poly *p, int cap) {
  p->nv = 0, p->cap = cap;
  p->x = malloc((size_t)cap * sizeof *p->x), p->y = malloc((size_t)cap * sizeof *p->y);
  p->lab = malloc((size_t)cap * sizeof *p->lab);
  return p->x && p->y && p->lab ? 0 : -1;
}

static void poly_free(ctr_sd_poly *p) { free(p->x), free(p->y), free(p->lab); }

/* Cell i: the box clipped by the half-planes of i's neighbours, in coordinates relative to y_i
 * (power distances are then differences of O(cell size) numbers, not of |y|^2). */
static void cell_eval(const sd_problem *pr, const double *psi, sd_eval *e, int i, ctr_sd_poly *p,
                      ctr_sd_poly *s) {
  const double *y = pr->y;
  double yx = y[2 * i], yy = y[2 * i + 1];
  int a = e->off[i], b = e->off[i + 1];
  e->G[i] = e->cost[i] = e->emass[i] = e->ecost[i] = 0;
  for (int k = a; k < b; k++) e->h[k] = 0;
  if (pr->n > 1 && a == b) return; /* hidden: not on the lower hull, empty cell */
  double bx[4] = {pr->box[0] - yx, pr->box[1] - yx, pr->box[1] - yx, pr->box[0] - yx};
  double by[4] = {pr->box[2] - yy, pr->box[2] - yy, pr->box[3] - yy, pr->box[3] - yy};
  p->nv = 4;
  for (int v = 0; v < 4; v++) p->x[v] = bx[v], p->y[v] = by[v], p->lab[v] = -1;
  for (int k = a; k < b && p->nv; k++) {
    int j = e->adj[k];
    double dx = y[2 * j] - yx, dy = y[2 * j + 1] - yy;
    ctr_sd_poly_clip(p, s, 2 * dx, 2 * dy, dx * dx + dy * dy + psi[i] - psi[j], j);
  }
  if (!p->nv) return;
  const ctr_sd_gmix *nu = pr->nu;
  for (int c = 0; c < nu->K; c++) {
    if (nu->w[c] == 0) continue;
    double cx = nu->c[2 * c] - yx, cy = nu->c[2 * c + 1] - yy, w = nu->w[c];
    ctr_sd_moments mo;
    ctr_sd_poly_gauss(p, cx, cy, nu->S, pr->tol, &mo);
    double r = sqrt(cx * cx + cy * cy);
    e->G[i] += w * mo.m0;
    e->cost[i] += w * (mo.m2 + 2 * (cx * mo.m1x + cy * mo.m1y) + r * r * mo.m0);
    e->emass[i] += w * mo.e0;
    e->ecost[i] += w * (mo.e2 + 2 * r * mo.e1 * 1.4142135623730951 + r * r * mo.e0);
  }
  for (int v = 0; v < p->nv; v++) {
    int j = p->lab[v];
    if (j < 0) continue;
    int v1 = v + 1 == p->nv ? 0 : v + 1;
    double dx = y[2 * j] - yx, dy = y[2 * j + 1] - yy, hh = 0;
    for (int c = 0; c < nu->K; c++)
      if (nu->w[c] != 0)
        hh += nu->w[c] * ctr_sd_segment_gauss(p->x[v], p->y[v], p->x[v1], p->y[v1],
                                              nu->c[2 * c] - yx, nu->c[2 * c + 1] - yy, nu->S);
    for (int k = a; k < b; k++)
      if (e->adj[k] == j) e->h[k] += hh / (2 * sqrt(dx * dx + dy * dy));
  }
}

static ctr_status evaluate(const sd_problem *pr, const double *psi, sd_eval *e, ctr_error *err) {
  int n = pr->n;
  free(e->off), free(e->adj), free(e->h);
  e->off = e->adj = NULL, e->h = NULL;
  char msg[300];
  int rc = ctr_sd_neighbours(n, pr->y, psi, BRUTE_MAX, &e->off, &e->adj, msg, sizeof msg);
  if (rc < 0) return ctr_fail(err, CTR_ENOMEM, "semidiscrete: out of memory (neighbour graph)");
  if (rc > 0)
    return ctr_fail(err, CTR_ENUMERIC, "semidiscrete: the regular triangulation failed (%s)", msg);
  int nnz = e->off[n], maxdeg = 0;
  for (int i = 0; i < n; i++)
    if (e->off[i + 1] - e->off[i] > maxdeg) maxdeg = e->off[i + 1] - e->off[i];
  e->h = malloc(((size_t)nnz + 1) * sizeof *e->h);
  if (!e->h) return ctr_fail(err, CTR_ENOMEM, "semidiscrete: out of memory (Hessian)");
  int oom = 0;
#pragma omp parallel reduction(| : oom)
  {
    ctr_sd_poly p, s;
    int ok = !poly_alloc(&p, maxdeg + 8) && !poly_alloc(&s, maxdeg + 8);
    if (!ok) oom = 1;
#pragma omp for schedule(dynamic, 64)
    for (int i = 0; i < n; i++)
      if (ok) cell_eval(pr, psi, e, i, &p, &s);
    poly_free(&p), poly_free(&s);
  }
  if (oom) return ctr_fail(err, CTR_ENOMEM, "semidiscrete: out of memory (cell buffers)");
  /* each shared edge was integrated from both of its cells: use the mean, so that the Hessian
   * is exactly symmetric (conjugate gradients need it) */
  for (int i = 0; i < n; i++)
    for (int k = e->off[i]; k < e->off[i + 1]; k++) {
      int j = e->adj[k];
      if (j <= i) continue;
      for (int l = e->off[j]; l < e->off[j + 1]; l++)
        if (e->adj[l] == i) {
          double hm = 0.5 * (e->h[k] + e->h[l]);
          e->h[k] = e->h[l] = hm;
        }
    }
  for (int i = 0; i < n; i++)
    if (!isfinite(e->G[i]) || !isfinite(e->cost[i]))
      return ctr_fail(err, CTR_ENUMERIC, "semidiscrete: non-finite integral on cell %d", i);
  return CTR_OK;
}

/* Conjugate gradients with the Jacobi preconditioner on the weighted graph Laplacian L: L d = g,
 * g summing to 0, to the relative residual eta in the norm |r_i / m_i| (theory.md §9.22). Two
 * choices make Newton work when the masses span many decades (the plane's cells: 1e-20 to 1e-2):
 * the residual is measured relative to each cell's own mass, since in the plain norm CG stops
 * while the light cells' components are still noise and the next step empties them; and each
 * diagonal gets 1e-12 of ITSELF (not of the largest), which removes any null direction beyond
 * the constants without swamping a light cell's row (1e-12 of the largest diagonal is 1e-4 of a
 * 1e-11 cell's: Newton then stalled at that relative error). */
static ctr_status cg_solve(int n, const sd_eval *e, const double *g, const double *m, double eta,
                           double *d, ctr_error *err) {
  double *diag = malloc((size_t)n * sizeof *diag), *r = malloc((size_t)n * sizeof *r);
  double *z = malloc((size_t)n * sizeof *z), *pp = malloc((size_t)n * sizeof *pp);
  double *q = malloc((size_t)n * sizeof *q);
  ctr_status st = CTR_OK;
  if (!diag || !r || !z || !pp || !q) {
    st = ctr_fail(err, CTR_ENOMEM, "semidiscrete: out of memory (CG)");
    goto done;
  }
  double dmax = 0;
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int k = e->off[i]; k < e->off[i + 1]; k++) s += e->h[k];
    diag[i] = s, dmax = fmax(dmax, s);
  }
  if (!(dmax > 0)) {
    st = ctr_fail(err, CTR_ENUMERIC, "semidiscrete: the cells share no edge carrying density");
    goto done;
  }
  for (int i = 0; i < n; i++) diag[i] += 1e-12 * diag[i] + 1e-300;
  double g2 = 0, rz = 0;
  for (int i = 0; i < n; i++) d[i] = 0, r[i] = g[i], g2 += g[i] * g[i] / (m[i] * m[i]);
  for (int i = 0; i < n; i++) z[i] = r[i] / diag[i], pp[i] = z[i], rz += r[i] * z[i];
  int maxit = 10 * n + 100;
  for (int it = 0; it < maxit; it++) {
    double r2 = 0;
    for (int i = 0; i < n; i++) r2 += r[i] * r[i] / (m[i] * m[i]);
    if (r2 <= eta * eta * g2 || r2 == 0) break;
    /* sequential: a matrix-vector product is ~7n flops, less than the cost of waking threads
     * (with two threads on a loaded machine the spinning team took 70% of the CPU time) */
    for (int i = 0; i < n; i++) {
      double s = diag[i] * pp[i];
      for (int k = e->off[i]; k < e->off[i + 1]; k++) s -= e->h[k] * pp[e->adj[k]];
      q[i] = s;
    }
    double pq = 0;
    for (int i = 0; i < n; i++) pq += pp[i] * q[i];
    if (!(pq > 0)) break;
    double al = rz / pq, rz1 = 0;
    for (int i = 0; i < n; i++) d[i] += al * pp[i], r[i] -= al * q[i];
    for (int i = 0; i < n; i++) z[i] = r[i] / diag[i], rz1 += r[i] * z[i];
    double be = rz1 / rz;
    rz = rz1;
    for (int i = 0; i < n; i++) pp[i] = z[i] + be * pp[i];
  }
done:
  free(diag), free(r), free(z), free(pp), free(q);
  return st;
}

/* Neumaier's compensated sum: n masses 1/n summed naively drift by up to ~n eps, which at
 * n = 1e5 would approach the 1e-12 the input check allows */
static double sum_comp(int n, const double *v, int stride) {
  double s = 0, c = 0;
  for (int i = 0; i < n; i++) {
    double x = v[(size_t)i * stride], t = s + x;
    c += fabs(s) >= fabs(x) ? (s - t) + x : (x - t) + s;
    s = t;
  }
  return s + c;
}

static ctr_status check_input(int n, const double *y, const double *m, const ctr_sd_gmix *nu,
                              const ctr_sd_params *p, const double *psi, ctr_error *err) {
  if (n < 1) return ctr_fail(err, CTR_EINPUT, "semidiscrete: n = %d atoms (need >= 1)", n);
  if (!y || !m || !psi || !nu)
    return ctr_fail(err, CTR_EINPUT, "semidiscrete: atoms, masses, psi and nu are required");
  double ms = 0;
  for (int i = 0; i < n; i++) {
    if (!isfinite(y[2 * i]) || !isfinite(y[2 * i + 1]))
      return ctr_fail(err, CTR_EINPUT, "semidiscrete: atom %d is not finite", i);
    if (!(m[i] > 0) || !isfinite(m[i]))
      return ctr_fail(err, CTR_EINPUT, "semidiscrete: mass m[%d] = %g (need > 0)", i, m[i]);
    if (!isfinite(psi[i]))
      return ctr_fail(err, CTR_EINPUT, "semidiscrete: psi[%d] is not finite", i);
  }
  ms = sum_comp(n, m, 1);
  if (fabs(ms - 1) > 1e-12)
    return ctr_fail(err, CTR_EINPUT, "semidiscrete: the masses sum to %.17g (need 1 within 1e-12)",
                    ms);
  if (nu->K < 1 || !nu->w || !nu->c)
    return ctr_fail(err, CTR_EINPUT, "semidiscrete: nu has K = %d components (need >= 1)", nu->K);
  if (!(nu->S > 0) || !isfinite(nu->S))
    return ctr_fail(err, CTR_EINPUT, "semidiscrete: nu's variance S = %g (need > 0, finite)", nu->S);
  double ws = 0;
  for (int k = 0; k < nu->K; k++) {
    if (!(nu->w[k] >= 0) || !isfinite(nu->w[k]))
      return ctr_fail(err, CTR_EINPUT, "semidiscrete: nu weight w[%d] = %g (need >= 0)", k, nu->w[k]);
    if (!isfinite(nu->c[2 * k]) || !isfinite(nu->c[2 * k + 1]))
      return ctr_fail(err, CTR_EINPUT, "semidiscrete: nu centre %d is not finite", k);
  }
  ws = sum_comp(nu->K, nu->w, 1);
  if (fabs(ws - 1) > 1e-12)
    return ctr_fail(err, CTR_EINPUT, "semidiscrete: nu's weights sum to %.17g (need 1 within 1e-12)",
                    ws);
  if (p && (!(p->mass_tol > 0) || !isfinite(p->mass_tol) || p->max_newton < 1 ||
            !(p->mass_floor >= 0)))
    return ctr_fail(err, CTR_EINPUT,
                    "semidiscrete: mass_tol = %g, max_newton = %d, mass_floor = %g (need > 0, "
                    ">= 1, >= 0)", p->mass_tol, p->max_newton, p->mass_floor);
  /* duplicates: sort the indices by (x, y) and compare neighbours */
  int *idx = malloc((size_t)n * sizeof *idx);
  if (!idx) return ctr_fail(err, CTR_ENOMEM, "semidiscrete: out of memory");
  for (int i = 0; i < n; i++) idx[i] = i;
  /* shell sort keeps this file free of a global comparator context */
  for (int gap = n / 2; gap > 0; gap /= 2)
    for (int i = gap; i < n; i++)
      for (int j = i; j >= gap; j -= gap) {
        const double *a = y + 2 * idx[j - gap], *b = y + 2 * idx[j];
        if (a[0] < b[0] || (a[0] == b[0] && a[1] <= b[1])) break;
        int t = idx[j];
        idx[j] = idx[j - gap], idx[j - gap] = t;
      }
  for (int i = 1; i < n; i++) {
    const double *a = y + 2 * idx[i - 1], *b = y + 2 * idx[i];
    if (a[0] == b[0] && a[1] == b[1]) {
      int i0 = idx[i - 1], i1 = idx[i];
      free(idx);
      return ctr_fail(err, CTR_EINPUT, "semidiscrete: atoms %d and %d coincide at (%g, %g)", i0, i1,
                      a[0], a[1]);
    }
  }
  free(idx);
  return CTR_OK;
}

/* nu outside B: mass tau0 <= 2 erfc(a / sqrt 2) per component (B holds each component's square
 * c_k +- a sqrt(S)), and int_out |y - y_i|^2 dnu <= sum_k w_k (2 S (4 a phi(a) + 8 Phibar(a))
 * + 2 max_i |c_k - y_i|^2 tau0) for every i (theory §9.22). */
static void tail_bounds(int n, const double *y, const ctr_sd_gmix *nu, double *tau0,
                        double *tcost) {
  double a = BOX_SIGMAS, Pb = 0.5 * erfc(a / sqrt(2.0)), ph = exp(-0.5 * a * a) / sqrt(2 * M_PI);
  *tau0 = 4 * Pb, *tcost = 0;
  for (int k = 0; k < nu->K; k++) {
    double r2 = 0;
    for (int i = 0; i < n; i++) {
      double dx = y[2 * i] - nu->c[2 * k], dy = y[2 * i + 1] - nu->c[2 * k + 1];
      r2 = fmax(r2, dx * dx + dy * dy);
    }
    *tcost += nu->w[k] * (2 * nu->S * (4 * a * ph + 8 * Pb) + 2 * r2 * 4 * Pb);
  }
}

/* Laguerre cells = A(Voronoi cells of the atoms), A(z) = b_nu + lam (z - b_a) mapping the atoms'
 * mean and root mean square spread to nu's: psi_j = |y_j - b_a|^2 - |A(y_j) - b_a|^2 / lam
 * (theory §9.22). Atoms spread wider than nu otherwise start with cells of e^{-hundreds} mass
 * and the damped iteration crawls. */
static void affine_start(int n, const double *y, const double *m, const ctr_sd_gmix *nu,
                         double *psi) {
  double ba[2] = {0, 0}, bn[2] = {0, 0}, va = 0, vn = 2 * nu->S;
  for (int i = 0; i < n; i++) ba[0] += m[i] * y[2 * i], ba[1] += m[i] * y[2 * i + 1];
  for (int k = 0; k < nu->K; k++) bn[0] += nu->w[k] * nu->c[2 * k], bn[1] += nu->w[k] * nu->c[2 * k + 1];
  for (int i = 0; i < n; i++) va += m[i] * (pow(y[2 * i] - ba[0], 2) + pow(y[2 * i + 1] - ba[1], 2));
  for (int k = 0; k < nu->K; k++)
    vn += nu->w[k] * (pow(nu->c[2 * k] - bn[0], 2) + pow(nu->c[2 * k + 1] - bn[1], 2));
  double lam = va > 0 ? sqrt(vn / va) : 1;
  for (int i = 0; i < n; i++) {
    double zx = y[2 * i] - ba[0], zy = y[2 * i + 1] - ba[1];
    double ax = bn[0] - ba[0] + lam * zx, ay = bn[1] - ba[1] + lam * zy;
    psi[i] = zx * zx + zy * zy - (ax * ax + ay * ay) / lam;
  }
}

ctr_status ctr_semidiscrete_w2(int n, const double *y, const double *m, const ctr_sd_gmix *nu,
                               const ctr_sd_params *p, double *psi, ctr_sd_result *out,
                               ctr_error *err) {
  ctr_sd_params def;
  ctr_sd_params_default(&def);
  if (!out) return ctr_fail(err, CTR_EINPUT, "semidiscrete: no result record");
  memset(out, 0, sizeof *out);
  ctr_status st = check_input(n, y, m, nu, p, psi, err);
  if (st) return st;
  if (!p) p = &def;
  sd_problem pr = {.n = n, .y = y, .m = m, .nu = nu};
  double sq = BOX_SIGMAS * sqrt(nu->S), mmin = INFINITY;
  pr.box[0] = pr.box[2] = INFINITY, pr.box[1] = pr.box[3] = -INFINITY;
  for (int k = 0; k < nu->K; k++)
    for (int c = 0; c < 2; c++)
      pr.box[2 * c] = fmin(pr.box[2 * c], nu->c[2 * k + c] - sq),
      pr.box[2 * c + 1] = fmax(pr.box[2 * c + 1], nu->c[2 * k + c] + sq);
  for (int i = 0; i < n; i++) {
    mmin = fmin(mmin, m[i]);
    for (int c = 0; c < 2; c++)
      pr.box[2 * c] = fmin(pr.box[2 * c], y[2 * i + c]),
      pr.box[2 * c + 1] = fmax(pr.box[2 * c + 1], y[2 * i + c]);
  }
  pr.tol = 1e-15 * mmin;
  double tau0, tcost;
  tail_bounds(n, y, nu, &tau0, &tcost);

  sd_eval cur = {0}, tri = {0};
  double *g = malloc((size_t)n * sizeof *g), *d = malloc((size_t)n * sizeof *d);
  double *pt = malloc((size_t)n * sizeof *pt), *wt = malloc((size_t)n * sizeof *wt);
  sd_eval *ev[2] = {&cur, &tri};
  int oom = !g || !d || !pt || !wt;
  for (int t = 0; t < 2; t++) {
    ev[t]->G = malloc((size_t)n * sizeof(double)), ev[t]->cost = malloc((size_t)n * sizeof(double));
    ev[t]->emass = malloc((size_t)n * sizeof(double)), ev[t]->ecost = malloc((size_t)n * sizeof(double));
    oom |= !ev[t]->G || !ev[t]->cost || !ev[t]->emass || !ev[t]->ecost;
  }
  if (oom) {
    st = ctr_fail(err, CTR_ENOMEM, "semidiscrete: out of memory");
    goto done;
  }
  /* the start: the caller's psi or the atoms' Voronoi diagram mapped onto nu's mean and spread
   * (affine_start), whichever leaves no cell empty and the smaller mass error; then psi = 0 */
  double best = INFINITY;
  for (int cand = 0; cand < 3; cand++) {
    if (cand == 1) affine_start(n, y, m, nu, pt);
    if (cand == 2) {
      if (best < INFINITY) break;
      for (int i = 0; i < n; i++) pt[i] = 0;
    }
    if ((st = evaluate(&pr, cand ? pt : psi, &tri, err))) goto done;
    double tmin = INFINITY, sc = 0;
    for (int i = 0; i < n; i++) tmin = fmin(tmin, tri.G[i]), sc += (tri.G[i] - m[i]) * (tri.G[i] - m[i]);
    if (tmin > 0 && sc < best) {
      best = sc;
      if (cand) memcpy(psi, pt, (size_t)n * sizeof *psi);
      sd_eval t = cur;
      cur = tri, tri = t;
    }
  }
  if (!(best < INFINITY)) {
    st = ctr_fail(err, CTR_ENUMERIC, "semidiscrete: every start (the given psi, the affine start, "
                  "the Voronoi diagram) leaves a cell with no nu-mass at double precision (atoms far "
                  "outside nu's support?)");
    goto done;
  }
  /* Kitagawa-Merigot-Thibert: no cell may fall below eps0 during the iteration. Cells lighter
   * than mass_floor, whose errors count only against the floor, are held to a looser eps_light
   * (held to half their smallest mass, a 1e-20 cell vetoed a step that cut the others' error
   * 17-fold), but not let go to 0: a cell of ~1e-300 has edges whose density underflows, a zero
   * row in the Hessian, and the next direction is not finite. With mass_floor = 0 this is
   * KMT's rule unchanged. */
  double eps0 = INFINITY, eps_light = INFINITY, mw = 0;
  for (int i = 0; i < n; i++) {
    double lo = fmin(m[i], cur.G[i]);
    if (m[i] >= p->mass_floor) eps0 = fmin(eps0, 0.5 * lo);
    else eps_light = fmin(eps_light, 1e-3 * lo);
  }
  /* every residual is measured in the stop's norm: |m_i - G_i| / max(m_i, mass_floor) */
  for (int i = 0; i < n; i++) wt[i] = 1 / fmax(m[i], p->mass_floor), mw += m[i] * m[i] * wt[i] * wt[i];
  mw = sqrt(mw);
  int steps = 0;
  for (;;) {
    double rel = 0, nrm = 0, gs = 0;
    for (int i = 0; i < n; i++) {
      g[i] = m[i] - cur.G[i];
      rel = fmax(rel, fabs(g[i]) * wt[i]), nrm += g[i] * g[i] * wt[i] * wt[i], gs += g[i];
    }
    nrm = sqrt(nrm);
    out->mass_err = rel;
    if (rel <= p->mass_tol) break;
    if (steps >= p->max_newton) {
      st = ctr_fail(err, CTR_ENUMERIC, "semidiscrete: no convergence in %d Newton steps (mass error "
                    "%.3g)", steps, rel);
      break;
    }
    for (int i = 0; i < n; i++) g[i] -= gs / n; /* the range of L is the sum-zero vectors */
    /* inexact Newton (Eisenstat-Walker): a relative residual of |m - G| / |m| (at most 1e-2,
     * at least 1e-12) keeps the convergence quadratic and spares CG iterations early on */
    double eta = fmax(1e-12, fmin(1e-2, nrm / mw));
    if ((st = cg_solve(n, &cur, g, m, eta, d, err))) break;
    double tau = 1;
    int acc = 0;
    for (int half = 0; half < 50 && !acc; half++, tau *= 0.5) {
      for (int i = 0; i < n; i++) pt[i] = psi[i] + tau * d[i];
      /* a trial the triangulation cannot handle (qhull's precision error on a near-flat lift)
       * is a rejected step, not the end */
      if ((st = evaluate(&pr, pt, &tri, err)) == CTR_ENUMERIC) {
        st = CTR_OK;
        continue;
      }
      if (st) goto done;
      double tn = 0;
      int thin = 0;
      for (int i = 0; i < n; i++) {
        double r = (tri.G[i] - m[i]) * wt[i];
        thin |= !(tri.G[i] >= (m[i] >= p->mass_floor ? eps0 : eps_light));
        tn += r * r;
      }
      if (!thin && sqrt(tn) <= (1 - tau / 2) * nrm) acc = 1;
    }
    if (!acc) {
      st = ctr_fail(err, CTR_ENUMERIC, "semidiscrete: Newton step %d found no admissible step "
                    "(mass error %.3g)", steps + 1, rel);
      break;
    }
    memcpy(psi, pt, (size_t)n * sizeof *psi);
    sd_eval t = cur;
    cur = tri, tri = t;
    steps++;
  }
  /* the bounds at the last accepted psi (also when Newton failed) */
  double P = 0, corr = 0, emis = 0, qe = 0, pmax = 0;
  int empty = 0;
  for (int i = 0; i < n; i++) {
    P += cur.cost[i];
    corr += psi[i] * (m[i] - cur.G[i]);
    emis += fabs(m[i] - cur.G[i]);
    qe += cur.ecost[i] + fabs(psi[i]) * cur.emass[i];
    pmax = fmax(pmax, psi[i]);
    empty += cur.G[i] == 0;
  }
  double ab[4] = {INFINITY, -INFINITY, INFINITY, -INFINITY}; /* the atoms' bounding box */
  for (int i = 0; i < n; i++)
    for (int c = 0; c < 2; c++)
      ab[2 * c] = fmin(ab[2 * c], y[2 * i + c]), ab[2 * c + 1] = fmax(ab[2 * c + 1], y[2 * i + c]);
  double diam = hypot(ab[1] - ab[0], ab[3] - ab[2]); /* >= the atoms' diameter */
  /* two upper bounds on W2^2 (theory §9.22): the triangle inequality through sum_i G_i delta_i,
   * (sqrt(P) + sqrt(e) D)^2, and the Laguerre coupling repaired: each cell with too much mass
   * gives its excess away in proportion, at an extra cost <= excess (2 D sqrt(cost_i / G_i) + D^2),
   * and nu's mass outside B fills what is left at a cost <= tcost. The second is linear in the
   * mass error, so it meets the dual at convergence. */
  double e = 0.5 * emis + 0.5 * tau0, rep = P + tcost;
  for (int i = 0; i < n; i++)
    if (cur.G[i] > m[i])
      rep += (cur.G[i] - m[i]) * (2 * diam * sqrt(cur.cost[i] / cur.G[i]) + diam * diam);
  out->dual = P + corr - pmax * tau0;
  out->primal_hi = fmin(pow(sqrt(P + tcost) + sqrt(e) * diam, 2), rep);
  out->quad_err = qe + tcost + pmax * tau0;
  out->newton_steps = steps;
  out->empty_cells = empty;
done:
  eval_free(&cur), eval_free(&tri);
  free(g), free(d), free(pt), free(wt);
  return st;
}
