/* store/sha256.h: SHA-256 (FIPS 180-4), for the digests of a result's input files. A small
 * implementation of our own: Debian's GnuTLS/nettle are not guaranteed on every build host, and
 * the digest only identifies contents (no secret is involved). Checked against sha256sum and the
 * FIPS test vectors in tests/test_files.c. */
#ifndef CTR_STORE_SHA256_H
#define CTR_STORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t h[8];
  uint64_t len; /* bytes hashed so far */
  unsigned char buf[64];
  size_t nbuf;
} ctr_sha256;

void ctr_sha256_init(ctr_sha256 *c);
void ctr_sha256_update(ctr_sha256 *c, const void *data, size_t n);
/* The digest as 64 lowercase hex digits and a NUL into hex[65]. */
void ctr_sha256_hex(ctr_sha256 *c, char hex[65]);

#endif
