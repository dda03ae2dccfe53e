/* SPDX-License-Identifier: Apache-2.0 */
/* Content digests via OpenSSL's EVP interface. */
#include <stdlib.h>
#include <string.h>

#include "lazy/crypto.h"
#include "bulkhead/base.h"
#include "banned.h"

struct bh_hasher {
	enum bh_hash_algo algo;
	EVP_MD_CTX *ctx;
};

static const EVP_MD *algo_md(enum bh_hash_algo algo)
{
	return algo == BH_HASH_SHA512 ? EVP_sha512() : EVP_sha256();
}

int bh_digest_parse(const char *s, struct bh_digest *out, struct bh_error **err)
{
	const char *hex;
	size_t want, n;

	if (bh_str_has_prefix(s, "sha256:")) {
		out->algo = BH_HASH_SHA256;
		want = 64;
	} else if (bh_str_has_prefix(s, "sha512:")) {
		out->algo = BH_HASH_SHA512;
		want = 128;
	} else {
		return bh_error_set(err, BH_ERR_INVALID,
				    "digest '%.80s' does not start with sha256: or sha512:", s);
	}
	hex = s + 7;
	n = strlen(hex);
	if (n != want)
		return bh_error_set(err, BH_ERR_INVALID,
				    "digest '%.80s' has %zu hex digits, not %zu", s, n, want);
	for (size_t i = 0; i < n; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return bh_error_set(err, BH_ERR_INVALID,
					    "digest '%.80s' is not lowercase hex", s);
	memcpy(out->str, s, 7 + n + 1);
	return 0;
}

const char *bh_digest_hex(const struct bh_digest *d)
{
	return d->str + 7;
}

int bh_hasher_new(enum bh_hash_algo algo, struct bh_hasher **out, struct bh_error **err)
{
	struct bh_hasher *h = bh_calloc(1, sizeof(*h));

	h->algo = algo;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, algo_md(algo), NULL)) {
		bh_hasher_free(h);
		return bh_error_set(err, BH_ERR_INTERNAL, "cannot initialise the hash");
	}
	*out = h;
	return 0;
}

void bh_hasher_update(struct bh_hasher *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->ctx, p, n);
}

void bh_hasher_final(struct bh_hasher *h, struct bh_digest *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	out->algo = h->algo;
	memcpy(out->str, h->algo == BH_HASH_SHA512 ? "sha512:" : "sha256:", 7);
	bh_hex_encode(md, n, out->str + 7);
	bh_hasher_reset(h);
}

void bh_hasher_reset(struct bh_hasher *h)
{
	EVP_DigestInit_ex(h->ctx, algo_md(h->algo), NULL);
}

void bh_hasher_free(struct bh_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void bh_sha256(const void *p, size_t n, struct bh_digest *out)
{
	struct bh_hasher *h;

	if (bh_hasher_new(BH_HASH_SHA256, &h, NULL) < 0)
		abort();
	bh_hasher_update(h, p, n);
	bh_hasher_final(h, out);
	bh_hasher_free(h);
}
