/* bench_limit.h: vector log1p throughput (evaluations per second, one core) with SLEEF. */
#ifndef CTR_BENCH_LIMIT_H
#define CTR_BENCH_LIMIT_H
double bench_log1p_avx2(void);   /* needs AVX2 + FMA */
double bench_log1p_avx512(void); /* needs AVX-512F */
#endif
