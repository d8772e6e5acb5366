/* analysis/scaling_internal.h: what scaling.c and scaling_verdict.c share (not public). */
#ifndef CTR_ANALYSIS_SCALING_INTERNAL_H
#define CTR_ANALYSIS_SCALING_INTERNAL_H

#include "analysis/scaling.h"

enum { SKIP_D = 1, SKIP_EPS = 2, SKIP_SIGMA = 4 };

/* 0 when rows a and b are equal in every parameter the skip flags do not exclude. */
int ctr_scaling_cmp(const ctr_point *a, const ctr_point *b, int skip);

/* One past the run of groups equal to group i under skip (families are contiguous). */
size_t ctr_scaling_family_end(const ctr_scaling *s, size_t i, int skip);
/* "geometric d=16 ct none eps=0" plus " name=value" for each column in the mask `varying`. */
void ctr_scaling_family_label(const ctr_point *r, int skip, unsigned long long varying, char *buf,
                              size_t n);

/* scaling_verdict.c: the constant C(N) and its held-out check, vacuous points (needs the
 * groups); N* in both conventions. */
ctr_status ctr_scaling_constants(ctr_scaling *s, ctr_error *err);
ctr_status ctr_scaling_nstar(ctr_scaling *s, ctr_error *err);
/* scaling_lip.c: the exponent of L at fixed N and N*(L, eps) (after the groups). */
ctr_status ctr_scaling_lip(ctr_scaling *s, ctr_error *err);
/* scaling_learned.c: W <= C shape + eps + eps_F for the learned groups (after the constants). */
void ctr_scaling_learned(ctr_scaling *s, const ctr_scaling_opts *o);

#endif
