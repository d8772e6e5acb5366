/* engines/product_cache.c: the memo of per-law 1-D product results (engines/product_cache.h).
 * A list of entries under one mutex; a condition variable wakes the points waiting for a key
 * another thread is computing. Keys are compared byte for byte (memcmp of the doubles), so a
 * hit needs every input bit-equal. */
#include "engines/product_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ctr_product_slot {
  ctr_product_slot *next;
  int done;             /* 0: reserved, being computed; 1: g holds the result */
  long seq;             /* insertion order (eviction: oldest finished first) */
  size_t bytes;
  int K;
  double *law;          /* w, mu, var: 3 K */
  int64_t N;
  double *sched;        /* beta, log_abar, a, s at t = 0..N: 4 (N + 1) */
  ctr_grid_params grid; /* compared field by field (padding is never read) */
  double quad_rel;
  int lipschitz;
  ctr_product_group g;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static ctr_product_slot *head;
static size_t total_bytes;
static long seq_next, n_hits, n_misses;
static int enabled = 1;

void ctr_product_group_free(ctr_product_group *g) {
  for (int i = 0; i < 2; i++) free(g->u[i]), free(g->w[i]), g->u[i] = g->w[i] = NULL;
}

static ctr_status group_copy(ctr_product_group *dst, const ctr_product_group *src) {
  *dst = *src;
  dst->u[0] = dst->u[1] = dst->w[0] = dst->w[1] = NULL;
  for (int i = 0; i < 2; i++) {
    size_t b = sizeof(double) * src->n[i];
    dst->u[i] = malloc(b ? b : 1), dst->w[i] = malloc(b ? b : 1);
    if (!dst->u[i] || !dst->w[i]) return ctr_product_group_free(dst), CTR_ENOMEM;
    memcpy(dst->u[i], src->u[i], b), memcpy(dst->w[i], src->w[i], b);
  }
  return CTR_OK;
}

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static int same_grid(const ctr_grid_params *a, const ctr_grid_params *b) {
  return a->G == b->G && a->Q == b->Q && same_double(a->width, b->width) &&
         a->refine == b->refine && a->coupling == b->coupling &&
         same_double(a->quad_rel, b->quad_rel) && a->sort_n == b->sort_n &&
         a->error.kind == b->error.kind && same_double(a->error.eps, b->error.eps) &&
         a->seed == b->seed && same_double(a->cub_rel, b->cub_rel) && a->cub_max == b->cub_max;
}

static int key_matches(const ctr_product_slot *e, const ctr_product_key *k) {
  if (e->K != k->K || e->N != k->s->N || e->lipschitz != k->lipschitz ||
      !same_double(e->quad_rel, k->quad_rel) || !same_grid(&e->grid, k->grid))
    return 0;
  size_t K = (size_t)k->K, n = (size_t)k->s->N + 1, b = sizeof(double);
  if (memcmp(e->law, k->w, K * b) || memcmp(e->law + K, k->mu, K * b) ||
      memcmp(e->law + 2 * K, k->var, K * b))
    return 0;
  const double *arr[4] = {k->s->beta, k->s->log_abar, k->s->a, k->s->s};
  for (int i = 0; i < 4; i++)
    if (memcmp(e->sched + (size_t)i * n, arr[i], n * b)) return 0;
  return 1;
}

static void slot_free(ctr_product_slot *e) {
  if (!e) return;
  free(e->law), free(e->sched), ctr_product_group_free(&e->g), free(e);
}

static void unlink_slot(ctr_product_slot *e) {
  for (ctr_product_slot **p = &head; *p; p = &(*p)->next)
    if (*p == e) {
      *p = e->next;
      total_bytes -= e->bytes;
      return;
    }
}

/* Evict the oldest finished entries until `need` more bytes fit (lock held). */
static int make_room(size_t need) {
  while (total_bytes + need > CTR_PRODUCT_CACHE_BYTES) {
    ctr_product_slot *old = NULL;
    for (ctr_product_slot *e = head; e; e = e->next)
      if (e->done && (!old || e->seq < old->seq)) old = e;
    if (!old) return 0;
    unlink_slot(old), slot_free(old);
  }
  return 1;
}

static ctr_product_slot *reserve(const ctr_product_key *k) {
  size_t K = (size_t)k->K, n = (size_t)k->s->N + 1, b = sizeof(double);
  size_t bytes = sizeof(ctr_product_slot) + (3 * K + 4 * n) * b;
  if (bytes > CTR_PRODUCT_CACHE_BYTES / 4 || !make_room(bytes)) return NULL;
  ctr_product_slot *e = calloc(1, sizeof *e);
  if (e) e->law = malloc(3 * K * b), e->sched = malloc(4 * n * b);
  if (!e || !e->law || !e->sched) return slot_free(e), NULL;
  e->K = k->K, e->N = k->s->N, e->grid = *k->grid, e->quad_rel = k->quad_rel;
  e->lipschitz = k->lipschitz, e->bytes = bytes, e->seq = seq_next++;
  memcpy(e->law, k->w, K * b), memcpy(e->law + K, k->mu, K * b), memcpy(e->law + 2 * K, k->var, K * b);
  const double *arr[4] = {k->s->beta, k->s->log_abar, k->s->a, k->s->s};
  for (int i = 0; i < 4; i++) memcpy(e->sched + (size_t)i * n, arr[i], n * b);
  e->next = head, head = e, total_bytes += bytes;
  return e;
}

ctr_status ctr_product_cache_get(const ctr_product_key *k, ctr_product_group *out, int *hit,
                                 ctr_product_slot **slot) {
  *hit = 0, *slot = NULL;
  ctr_status st = CTR_OK;
  pthread_mutex_lock(&lock);
  if (!enabled) {
    n_misses++;
    pthread_mutex_unlock(&lock);
    return CTR_OK;
  }
  for (;;) {
    ctr_product_slot *e = head;
    while (e && !key_matches(e, k)) e = e->next;
    if (!e) break;
    if (e->done) {
      st = group_copy(out, &e->g);
      *hit = st == CTR_OK;
      break;
    }
    pthread_cond_wait(&ready, &lock); /* another point computes this key: wait for it */
  }
  if (*hit) n_hits++;
  else {
    n_misses++;
    if (!st) *slot = reserve(k);
  }
  pthread_mutex_unlock(&lock);
  return st;
}

void ctr_product_cache_put(ctr_product_slot *slot, const ctr_product_group *g) {
  if (!slot) return;
  pthread_mutex_lock(&lock);
  if (group_copy(&slot->g, g) == CTR_OK) {
    slot->done = 1;
    size_t extra = sizeof(double) * 2 * (g->n[0] + g->n[1]);
    slot->bytes += extra, total_bytes += extra;
  } else unlink_slot(slot), slot_free(slot);
  pthread_cond_broadcast(&ready);
  pthread_mutex_unlock(&lock);
}

void ctr_product_cache_drop(ctr_product_slot *slot) {
  if (!slot) return;
  pthread_mutex_lock(&lock);
  unlink_slot(slot), slot_free(slot);
  pthread_cond_broadcast(&ready);
  pthread_mutex_unlock(&lock);
}

void ctr_product_cache_clear(void) {
  pthread_mutex_lock(&lock);
  for (ctr_product_slot **p = &head; *p;) {
    ctr_product_slot *e = *p;
    if (!e->done) {
      p = &e->next;
      continue;
    }
    *p = e->next, total_bytes -= e->bytes, slot_free(e);
  }
  pthread_mutex_unlock(&lock);
}

void ctr_product_cache_stats(long *hits, long *misses) {
  pthread_mutex_lock(&lock);
  *hits = n_hits, *misses = n_misses;
  pthread_mutex_unlock(&lock);
}

void ctr_product_cache_enable(int on) {
  pthread_mutex_lock(&lock);
  enabled = on != 0;
  pthread_mutex_unlock(&lock);
}
