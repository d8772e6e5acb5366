/* bench_limit.h: the machine's limits for the engines' inner loops on one core, measured in the
 * same run as each benchmark (issue 13 point 1). Every rate is per second of process CPU time
 * (the machine is shared; wall time would count other jobs). The definitions of each engine's
 * limit from these rates are in docs/benchmarks.md, "Fraction of the machine's limit". */
#ifndef CTR_BENCH_LIMIT_H
#define CTR_BENCH_LIMIT_H

#include <stddef.h>

double bench_cpu_now(void);

/* SLEEF's 1-ULP vector log1p and exp: evaluations per second with the widest vectors the CPU
 * has (rate[0..2]: SSE2, AVX2, AVX-512; 0 where absent); the best is returned, 0 without
 * SLEEF. Arguments in the range the engines use (log1p: -1e-4..0, exp: -30..0). */
double bench_limit_log1p(double rate[3]);
double bench_limit_exp(double rate[3]);

/* Peak double-precision flops per second: independent FMAs on register-resident vectors of
 * the widest width (2 flops a lane), no memory traffic. 0 without AVX2 (or without SLEEF,
 * which gates the vector object at build time). */
double bench_limit_fma(void);

/* Flops per second of gsl_blas_dgemm (GSL's CBLAS, the BLAS the project links) computing
 * C = A B^T with A m x k, B n x k: 2 m n k flops a call. */
double bench_limit_dgemm(size_t m, size_t n, size_t k);

/* Elements per second of the assignment solver's row scan (wasserstein/assignment_scan.h) on a
 * row of n costs kept in L1 (float costs if f32, else double), the path the CPU takes. */
double bench_limit_relax(int n, int f32);

/* Internals (bench_limit_avx.c, compiled with -mavx2 -mfma -mavx512f; callers check the CPU). */
double bench_log1p_avx2(void);   /* needs AVX2 + FMA */
double bench_log1p_avx512(void); /* needs AVX-512F */
double bench_exp_avx2(void);
double bench_exp_avx512(void);
double bench_fma_avx2(void);
double bench_fma_avx512(void);

#endif
