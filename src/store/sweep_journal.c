/* store/sweep_journal.c: journal + whole-file rewrites (see store/sweep_journal.h for why). */
#include "store/sweep_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/safe_output.h"

/* Version 2: every record's checksum is seeded with the sweep's identity (layout and spec
 * hashes), so a record proves on its own that it belongs to this sweep, and a damaged record or
 * header costs only itself: the reader resynchronises on the next record magic. */
#define JOURNAL_MAGIC 0x324c4e524a525443ull /* "CTRJRNL2" */
#define RECORD_MAGIC 0x32574f52525443ull    /* "CTRROW2" */

typedef struct {
  uint64_t magic, layout, spec;
} journal_header;

typedef struct {
  uint64_t magic, sum;
  ctr_point row;
} record;

struct ctr_store {
  ctr_store_params p;
  char *path, *journal, *spec; /* owned copies */
  char created[64];
  ctr_point **rows;
  size_t n, cap;
  unsigned char *done; /* by point id */
  int fd;              /* journal, append-only */
  int lock;            /* flock on PATH.lock: one writer */
  char warn[600];      /* what loading the journal dropped, for the caller to say */
  int dirty;           /* rows newer than PATH */
  double last_end, last_cost;
  uint64_t layout_hash, spec_hash;
};

/* A record's checksum: its row's bytes, seeded with the sweep's identity. */
static uint64_t record_sum(const ctr_store *s, const ctr_point *row);

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
  const unsigned char *b = data;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}
#define FNV0 0xcbf29ce484222325ull

/* The row layout as this binary lays it out in memory: a journal is only read back by a
 * ctrate whose ctr_point is byte-for-byte the same. */
static uint64_t layout_hash(void) {
  uint64_t h = FNV0, sz = sizeof(ctr_point);
  for (size_t i = 0; i < ctr_point_nfields; i++) {
    const ctr_field *f = &ctr_point_fields[i];
    uint64_t v[3] = {(uint64_t)f->kind, (uint64_t)f->offset, (uint64_t)f->size};
    h = fnv(fnv(h, f->name, strlen(f->name)), v, sizeof v);
  }
  return fnv(h, &sz, sizeof sz);
}

static uint64_t record_sum(const ctr_store *s, const ctr_point *row) {
  uint64_t seed[2] = {s->layout_hash, s->spec_hash};
  return fnv(fnv(FNV0, seed, sizeof seed), row, sizeof *row);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static char *suffixed(const char *path, const char *suffix) {
  size_t a = strlen(path), b = strlen(suffix);
  char *s = malloc(a + b + 1);
  if (s) memcpy(s, path, a), memcpy(s + a, suffix, b + 1);
  return s;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* ---- rows in memory -------------------------------------------------------- */

static ctr_status keep_row(ctr_store *s, const ctr_point *row, ctr_error *err) {
  int64_t id = row->point_id;
  if (id < 0 || id >= s->p.info.plan_points)
    return ctr_fail(err, CTR_EINPUT, "%s: row with point id %lld outside the plan (0..%lld)",
                    s->path, (long long)id, s->p.info.plan_points - 1);
  if (s->done[id])
    return ctr_fail(err, CTR_EINPUT, "%s: point %lld stored twice", s->path, (long long)id);
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 1024;
    ctr_point **r = realloc(s->rows, cap * sizeof *r);
    if (!r) return ctr_fail(err, CTR_ENOMEM, "%s: out of memory for rows", s->path);
    s->rows = r, s->cap = cap;
  }
  if (!(s->rows[s->n] = malloc(sizeof(ctr_point))))
    return ctr_fail(err, CTR_ENOMEM, "%s: out of memory for rows", s->path);
  *s->rows[s->n++] = *row;
  s->done[id] = 1, s->dirty = 1;
  return CTR_OK;
}

static int by_id(const void *a, const void *b) {
  int64_t x = (*(ctr_point *const *)a)->point_id, y = (*(ctr_point *const *)b)->point_id;
  return (x > y) - (x < y);
}

/* Rewrite PATH from memory, then start an empty journal (the order matters: a kill between
 * the two leaves rows in both, which loading de-duplicates). */
static ctr_status checkpoint(ctr_store *s, ctr_error *err) {
  double t0 = now_s();
  /* Durability: every journalled row reaches the disk before PATH is rewritten (which fsyncs
   * the new file and its directory), so a power cut loses at most the rows since the last
   * checkpoint, and a kill loses none. */
  if (s->fd >= 0 && s->dirty && fsync(s->fd) != 0 && errno != EINVAL)
    return ctr_fail(err, CTR_EIO, "%s: cannot fsync (%s)", s->journal, strerror(errno));
  if (s->n > 1) qsort(s->rows, s->n, sizeof *s->rows, by_id);
  ctr_status st = s->dirty ? ctr_results_write_file(s->path, &s->p.info,
                                                    (const ctr_point *const *)s->rows, s->n, err)
                           : CTR_OK;
  if (st) return st;
  s->dirty = 0;
  if (s->fd >= 0) close(s->fd);
  s->fd = open(s->journal, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  journal_header h = {JOURNAL_MAGIC, s->layout_hash, s->spec_hash};
  if (s->fd < 0 || write(s->fd, &h, sizeof h) != (ssize_t)sizeof h)
    return ctr_fail(err, CTR_EIO, "%s: cannot write (%s)", s->journal, strerror(errno));
  if (s->p.checkpoint_s > 0 && fsync(s->fd) != 0 && errno != EINVAL)
    return ctr_fail(err, CTR_EIO, "%s: cannot fsync (%s)", s->journal, strerror(errno));
  s->last_end = now_s();
  if (s->last_end - t0 > s->last_cost) s->last_cost = s->last_end - t0;
  return CTR_OK;
}

/* ---- loading an interrupted sweep ------------------------------------------ */

/* The first line where two spec texts differ, for the refusal message. */
static void first_difference(const char *a, const char *b, char *out, size_t size) {
  int line = 1;
  const char *la = a, *lb = b;
  while (*a && *a == *b) {
    if (*a == '\n') line++, la = a + 1, lb = b + 1;
    a++, b++;
  }
  snprintf(out, size, "line %d: file has '%.*s', this sweep '%.*s'", line, (int)strcspn(la, "\n"),
           la, (int)strcspn(lb, "\n"), lb);
}

static ctr_status check_same_sweep(ctr_store *s, ctr_error *err) {
  ctr_results_meta m;
  ctr_status st = ctr_results_meta_read(s->path, &m, err);
  if (st) return st;
  char diff[400];
  if (!m.layout_current) {
    st = ctr_fail(err, CTR_EINPUT, "%s: its row_layout is not this ctrate's columns; refusing to "
                  "add rows to it", s->path);
  } else if (strcmp(m.version, ctr_results_version())) {
    st = ctr_fail(err, CTR_EINPUT, "%s was written by ctrate %s, this is %s: resuming would mix "
                  "the rows of two versions (--force starts over)", s->path, m.version,
                  ctr_results_version());
  } else if (strcmp(m.spec, s->spec)) {
    first_difference(m.spec, s->spec, diff, sizeof diff);
    st = ctr_fail(err, CTR_EINPUT, "%s was made by a different spec (%s); refusing to add to it: "
                  "write to a new file", s->path, diff);
  } else if (strcmp(m.shard, s->p.info.shard ? s->p.info.shard : "") ||
             m.plan_points != s->p.info.plan_points) {
    st = ctr_fail(err, CTR_EINPUT, "%s holds shard '%s' of %lld points, not shard '%s' of %lld; "
                  "refusing to add to it", s->path, m.shard, m.plan_points,
                  s->p.info.shard ? s->p.info.shard : "", s->p.info.plan_points);
  }
  if (!st) snprintf(s->created, sizeof s->created, "%s", m.created);
  ctr_results_meta_free(&m);
  return st;
}

static ctr_status load_file(ctr_store *s, ctr_error *err) {
  ctr_status st = check_same_sweep(s, err);
  ctr_point *rows = NULL;
  size_t n = 0;
  if (!st) st = ctr_results_read(s->path, &rows, &n, NULL, err);
  for (size_t i = 0; !st && i < n; i++) st = keep_row(s, &rows[i], err);
  free(rows);
  if (!st) ctr_test_pause("load");
  return st;
}

/* A sliding window over the journal: records are read in place, bounded memory. */
typedef struct {
  FILE *f;
  unsigned char *buf;
  size_t len, cap;
  long long at; /* file offset of buf[0] */
  int eof;
} window;

static void fill(window *w) {
  while (!w->eof && w->len < w->cap) {
    size_t k = fread(w->buf + w->len, 1, w->cap - w->len, w->f);
    if (k == 0) w->eof = 1;
    w->len += k;
  }
}

static void consume(window *w, size_t k) {
  memmove(w->buf, w->buf + k, w->len - k);
  w->len -= k, w->at += (long long)k;
}

/* Offset in W (after 0) of the next record magic, or len - 7 (a magic may straddle the end). */
static size_t next_magic(const window *w) {
  uint64_t m = RECORD_MAGIC;
  for (size_t i = 1; i + sizeof m <= w->len; i++)
    if (!memcmp(w->buf + i, &m, sizeof m)) return i;
  return w->len > sizeof m - 1 ? w->len - (sizeof m - 1) : w->len;
}

static void note(ctr_store *s, long long bad, long long first, long long torn, int header) {
  if (!bad && !torn && !header) return;
  size_t k = (size_t)snprintf(s->warn, sizeof s->warn, "%s:", s->journal);
  if (header)
    k += (size_t)snprintf(s->warn + k, sizeof s->warn - k, " damaged header ignored (every record "
                          "carries its own checksum);");
  if (bad)
    k += (size_t)snprintf(s->warn + k, sizeof s->warn - k, " dropped %lld damaged bytes (about "
                          "%lld records, first at offset %lld, checksum or magic wrong);", bad,
                          (bad + (long long)sizeof(record) - 1) / (long long)sizeof(record), first);
  if (torn && k < sizeof s->warn)
    snprintf(s->warn + k, sizeof s->warn - k, " dropped a torn last record (%lld bytes, the write "
             "in flight when the sweep was killed);", torn);
}

/* Every intact record of the journal, wherever it is: a damaged record or header is skipped
 * (resynchronising on the next record magic) and reported in s->warn. */
static ctr_status load_journal(ctr_store *s, ctr_error *err) {
  window w = {fopen(s->journal, "rb"), NULL, 0, 4 * sizeof(record), 0, 0};
  if (!w.f) return CTR_OK;
  journal_header h;
  ctr_status st = CTR_OK;
  int header_bad = fread(&h, sizeof h, 1, w.f) != 1 || h.magic != JOURNAL_MAGIC;
  if (!header_bad && (h.layout != s->layout_hash || h.spec != s->spec_hash))
    st = ctr_fail(err, CTR_EINPUT, "%s belongs to a different %s; remove it or use --force",
                  s->journal, h.layout != s->layout_hash ? "ctrate build" : "spec");
  if (header_bad) rewind(w.f); /* the records may still be there */
  w.at = header_bad ? 0 : (long long)sizeof h;
  if (!st && !(w.buf = malloc(w.cap))) st = ctr_fail(err, CTR_ENOMEM, "out of memory");
  long long bad = 0, first = -1, torn = 0;
  record tmp;
  for (fill(&w); !st && w.len > 0; fill(&w)) {
    if (w.len >= sizeof tmp) {
      memcpy(&tmp, w.buf, sizeof tmp);
      if (tmp.magic == RECORD_MAGIC && tmp.sum == record_sum(s, &tmp.row)) {
        int64_t id = tmp.row.point_id;
        consume(&w, sizeof tmp);
        if (id >= 0 && id < s->p.info.plan_points && s->done[id]) continue; /* also in PATH */
        st = keep_row(s, &tmp.row, err);
        continue;
      }
    } else if (w.eof) {
      uint64_t m = RECORD_MAGIC;
      if (w.len >= sizeof m && !memcmp(w.buf, &m, sizeof m)) torn = (long long)w.len;
      else bad += (long long)w.len, first = first < 0 ? w.at : first;
      break;
    }
    size_t skip = next_magic(&w);
    if (skip == 0) skip = w.len;
    if (first < 0) first = w.at;
    bad += (long long)skip;
    consume(&w, skip);
  }
  struct stat fs;
  if (header_bad && fstat(fileno(w.f), &fs) == 0 && fs.st_size == 0) header_bad = 0; /* never written */
  note(s, bad, first, torn, header_bad);
  free(w.buf);
  fclose(w.f);
  return st;
}

/* ---- public ---------------------------------------------------------------- */

/* Temporaries of a rewrite cut short by a kill (PATH.tmp.XXXXXX): never more than PATH or the
 * journal hold, and under the lock nobody else is writing one. unlink never follows a link. */
static void remove_stale_tmps(const char *path) {
  char *pat = suffixed(path, ".tmp.??????");
  glob_t g;
  if (pat && glob(pat, GLOB_NOSORT | GLOB_NOESCAPE, NULL, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; i++) {
      struct stat st;
      if (lstat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode)) unlink(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  free(pat);
}

static ctr_status prepare(ctr_store *s, ctr_error *err) {
  const ctr_store_params *p = &s->p;
  struct stat js;
  ctr_status cs = ctr_output_check("-o", p->path, NULL, 0, err);
  if (!cs) cs = ctr_output_lock(p->path, &s->lock, err);
  if (!cs && lstat(s->journal, &js) == 0 && !S_ISREG(js.st_mode))
    cs = ctr_fail(err, CTR_EINPUT, "%s is not a regular file; refusing to use it as the journal",
                  s->journal);
  if (!cs && p->force) cs = ctr_output_replaceable(p->path, err);
  if (cs) return cs;
  if (p->force) unlink(p->path), unlink(s->journal);
  remove_stale_tmps(p->path);
  int have = exists(p->path), have_journal = exists(s->journal);
  if (!p->resume && have)
    return ctr_fail(err, CTR_EINPUT, "%s exists (--resume continues that sweep, --force "
                    "replaces it)", p->path);
  if (!p->resume && have_journal)
    return ctr_fail(err, CTR_EINPUT, "%s exists, rows of an interrupted sweep (--resume "
                    "continues it, --force discards it)", s->journal);
  ctr_status st = have ? load_file(s, err) : CTR_OK;
  s->dirty = !have; /* rows of PATH itself need no rewrite (a finished sweep resumes fast) */
  if (!st) st = load_journal(s, err);
  if (st) return st;
  ctr_tmp_phase("open");
  st = checkpoint(s, err);
  ctr_tmp_phase("checkpoint");
  return st;
}

ctr_status ctr_store_open(const ctr_store_params *p, ctr_store **out, ctr_error *err) {
  *out = NULL;
  if (p->info.plan_points <= 0)
    return ctr_fail(err, CTR_EINPUT, "%s: a sweep needs at least one point", p->path);
  ctr_store *s = calloc(1, sizeof *s);
  if (!s) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  s->p = *p, s->fd = -1, s->lock = -1;
  s->path = strdup(p->path);
  s->journal = suffixed(p->path, ".journal");
  s->spec = strdup(p->info.spec_text ? p->info.spec_text : "");
  s->done = calloc((size_t)p->info.plan_points, 1);
  if (!s->path || !s->journal || !s->spec || !s->done) {
    ctr_store_close(s, NULL);
    return ctr_fail(err, CTR_ENOMEM, "out of memory for a plan of %lld points",
                    p->info.plan_points);
  }
  s->p.path = s->path, s->p.info.spec_text = s->spec, s->p.info.created = s->created;
  ctr_results_now(s->created, sizeof s->created);
  s->layout_hash = layout_hash();
  s->spec_hash = fnv(fnv(FNV0, s->spec, strlen(s->spec)), p->info.shard ? p->info.shard : "",
                     p->info.shard ? strlen(p->info.shard) : 0);
  ctr_status st = prepare(s, err);
  if (st) {
    if (s->fd >= 0) close(s->fd), s->fd = -1;
    s->p.path = NULL; /* nothing of ours to finish */
    ctr_store_close(s, NULL);
    return st;
  }
  *out = s;
  return CTR_OK;
}

int ctr_store_has(const ctr_store *s, int64_t id) {
  return id >= 0 && id < s->p.info.plan_points && s->done[id];
}

size_t ctr_store_count(const ctr_store *s) { return s->n; }
const ctr_point *ctr_store_row(const ctr_store *s, size_t i) { return s->rows[i]; }

ctr_status ctr_store_add(ctr_store *s, const ctr_point *row, ctr_error *err) {
  ctr_status st = keep_row(s, row, err);
  if (st) return st;
  record *r = calloc(1, sizeof *r); /* zeroed, so padding bytes are defined */
  if (!r) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  r->magic = RECORD_MAGIC;
  r->row = *row;
  r->sum = record_sum(s, &r->row);
  const char *b = (const char *)r;
  size_t left = sizeof *r;
  while (left) {
    ssize_t k = write(s->fd, b, left);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    b += k, left -= (size_t)k;
  }
  free(r);
  if (left) return ctr_fail(err, CTR_EIO, "%s: cannot append a row (%s)", s->journal, strerror(errno));
  double wait = 20 * s->last_cost; /* rewrites take at most ~5% of the time */
  if (wait < s->p.checkpoint_s) wait = s->p.checkpoint_s;
  if (s->p.checkpoint_s <= 0) wait = 0;
  return now_s() - s->last_end >= wait ? checkpoint(s, err) : CTR_OK;
}

const char *ctr_store_warning(const ctr_store *s) { return s->warn; }

ctr_status ctr_store_close(ctr_store *s, ctr_error *err) {
  if (!s) return CTR_OK;
  ctr_tmp_phase("final-save");
  ctr_status st = s->p.path ? checkpoint(s, err) : CTR_OK;
  ctr_tmp_phase(NULL);
  if (s->fd >= 0) close(s->fd);
  if (!st && s->p.path && unlink(s->journal) == 0) st = ctr_fsync_dir(s->path, err);
  if (s->lock >= 0) ctr_output_unlock(s->path, s->lock);
  for (size_t i = 0; i < s->n; i++) free(s->rows[i]);
  free(s->rows), free(s->done), free(s->path), free(s->journal), free(s->spec);
  free(s);
  return st;
}
