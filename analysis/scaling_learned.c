/* analysis/scaling_learned.c: the theorem with its measured additive terms, for rows of the
 * learned engine (theory.md §13): W <= C shape + eps + eps_F at every N of a group, with eps the
 * measured sum_t eps_t (eps_learned) and eps_F the measured class error, both averaged over
 * replicates like W.
 *
 * C is not fitted on the learned rows themselves (that would make the check hold by
 * construction): it is --C when given, else the fitted constant (analysis/scaling_verdict.c) of
 * the file's ideal rows of the same target and schedule -- the largest over such families (the
 * engines ct, grid, chain ... each have one). Whatever C is used, the group also reports the
 * smallest C for which the check holds, max_N (W - eps - eps_F)+ / shape. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/scaling_internal.h"

/* The target and schedule columns: an ideal family whose rows agree on these is the learned
 * group's ideal counterpart (engine, d and the learned parameters may differ). */
static int same_problem(const ctr_point *a, const ctr_point *b) {
  static const char *const cols[] = {"target", "K", "sigma", "mode_m", "radius", "radius_growing",
                                     "lambda", "lambda_min", "lambda_max", "cov_source", "rotate",
                                     "mean_norm", "schedule", "c0", "c1", "beta_min", "beta_max",
                                     "cosine_s", "rho", "sigma_min", "sigma_max", "curriculum_n0"};
  for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
    const ctr_field *f = ctr_point_field(cols[i]);
    if (f && ctr_point_field_cmp(a, b, f)) return 0;
  }
  return 1;
}

/* The largest fitted C of an ideal family of the same problem (NaN: none); its label in from. */
static double ideal_C(const ctr_scaling *s, const ctr_point *first, char *from, size_t n) {
  double C = NAN;
  for (size_t i = 0; i < s->ngroups; i++) {
    const ctr_scaling_group *h = &s->groups[i];
    if (h->eps_meas || h->eps != 0 || !same_problem(h->first, first)) continue;
    for (size_t c = 0; c < s->nconsts; c++)
      if (!strcmp(s->consts[c].family, h->family) && isfinite(s->consts[c].C) &&
          !(s->consts[c].C <= C)) /* the larger one (and the first when C is NaN) */
        C = s->consts[c].C, snprintf(from, n, "%s", h->family);
  }
  return C;
}

void ctr_scaling_learned(ctr_scaling *s, const ctr_scaling_opts *o) {
  for (size_t i = 0; i < s->ngroups; i++) {
    ctr_scaling_group *g = &s->groups[i];
    if (!g->eps_meas) continue;
    g->learned_C_from[0] = '\0';
    g->learned_C = o->learned_C > 0 ? o->learned_C
                                    : ideal_C(s, g->first, g->learned_C_from, sizeof g->learned_C_from);
    if (o->learned_C > 0) snprintf(g->learned_C_from, sizeof g->learned_C_from, "--C");
    g->learned_C_need = 0, g->worst_N = NAN, g->learned_n = g->learned_held = 0;
    for (size_t k = 0; k < g->nN; k++) {
      double e = g->eps_meas[k], f = isfinite(g->epsF_meas[k]) ? g->epsF_meas[k] : 0;
      if (!isfinite(e) || !(g->shape[k] > 0)) continue;
      double need = fmax(g->mean[k] - e - f, 0) / g->shape[k];
      if (isnan(g->worst_N) || need > g->learned_C_need) g->learned_C_need = need, g->worst_N = g->N[k];
      g->learned_n++;
      if (isfinite(g->learned_C)) g->learned_held += g->mean[k] <= g->learned_C * g->shape[k] + e + f;
    }
  }
}
