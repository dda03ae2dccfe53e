/* SPDX-License-Identifier: Apache-2.0 */
/*
 * go-securesystemslib's encrypted envelope, as cosign's key files hold it:
 *
 *   {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":B64},
 *    "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}
 *
 * The key is scrypt(passphrase, salt, N, r, p) of 32 bytes; the ciphertext is
 * NaCl secretbox (XSalsa20-Poly1305, the 16-byte tag first) with a 24-byte
 * nonce. Accepted scrypt parameters are the three go-securesystemslib
 * accepts (its Legacy, Standard and OWASP: N = 2^15, 2^16, 2^17 with r = 8,
 * p = 1), which also bounds the memory a hostile file can make scrypt take
 * (128 MiB at most). libsodium (loaded on first use) does scrypt and
 * secretbox.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "bulkhead/trust.h"
#include "lazy/sodium.h"
#include "trust/internal.h"
#include "banned.h"

#define SALT_LEN  32
#define NONCE_LEN 24
#define KEY_LEN	  32
#define MAC_LEN	  16
#define WRITE_N	  32768ULL

static int require_sodium(struct bh_error **err)
{
	if (bh_lazy_require(&bh_lazy_sodium, err) < 0)
		return -1;
	if (sodium_init() < 0)
		return bh_error_set(err, BH_ERR_INTERNAL, "libsodium failed to initialise");
	return 0;
}

int trust_random(void *p, size_t n, struct bh_error **err)
{
	size_t off = 0;

	while (off < n) {
		ssize_t r = getrandom((char *)p + off, n - off, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return bh_error_sys(err, errno, "getrandom");
		}
		off += (size_t)r;
	}
	return 0;
}

static int derive(const char *pass, size_t passlen, const unsigned char *salt, size_t saltlen,
		  uint64_t N, uint32_t r, uint32_t p, unsigned char key[KEY_LEN],
		  struct bh_error **err)
{
	static const uint8_t none = 0; /* libsodium wants a pointer even for "" */

	if (crypto_pwhash_scryptsalsa208sha256_ll(passlen ? (const uint8_t *)pass : &none, passlen,
						  salt, saltlen, N, r, p, key, KEY_LEN) != 0)
		return bh_error_set(err, BH_ERR_NOMEM, "scrypt (N=%llu, r=%u, p=%u) failed",
				    (unsigned long long)N, r, p);
	return 0;
}

int bh_sealed_seal(const void *plain, size_t n, const char *pass, size_t passlen,
		   struct bh_buf *json, struct bh_error **err)
{
	unsigned char salt[SALT_LEN], nonce[NONCE_LEN], key[KEY_LEN], *ct = NULL;
	struct bh_buf b64 = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);
	int r = -1;

	if (require_sodium(err) < 0)
		return -1;
	if (n > BH_TRUST_KEY_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "%zu bytes to seal is too much", n);
	if (trust_random(salt, sizeof(salt), err) < 0 ||
	    trust_random(nonce, sizeof(nonce), err) < 0)
		return -1;
	if (derive(pass, passlen, salt, sizeof(salt), WRITE_N, 8, 1, key, err) < 0)
		goto out;
	ct = bh_malloc(n + MAC_LEN);
	if (crypto_secretbox_easy(ct, plain, n, nonce, key) != 0) {
		bh_error_set(err, BH_ERR_INTERNAL, "secretbox failed");
		goto out;
	}
	/* Go's encoding/json order of the struct fields */
	if (bh_buf_addf(json, err,
			"{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":%llu,\"r\":8,"
			"\"p\":1},\"salt\":\"",
			WRITE_N) < 0 ||
	    bh_base64_encode(salt, sizeof(salt), json, err) < 0 ||
	    bh_buf_adds(json, "\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"", err) <
		    0 ||
	    bh_base64_encode(nonce, sizeof(nonce), json, err) < 0 ||
	    bh_buf_adds(json, "\"},\"ciphertext\":\"", err) < 0 ||
	    bh_base64_encode(ct, n + MAC_LEN, json, err) < 0 || bh_buf_adds(json, "\"}", err) < 0)
		goto out;
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	free(ct);
	bh_buf_release(&b64);
	return r;
}

/* A base64 member of obj into out, of exactly `want` bytes (0: any, >= min). */
static int b64_member(const json_t *obj, const char *key, const char *what, size_t want, size_t min,
		      struct bh_buf *out, struct bh_error **err)
{
	const char *s = bh_json_str(obj, key);

	if (!s)
		return bh_error_set(err, BH_ERR_INVALID, "%s: no string", what);
	if (bh_base64_decode(s, strlen(s), what, out, err) < 0)
		return -1;
	if (want && out->len != want)
		return bh_error_set(err, BH_ERR_INVALID, "%s: %zu bytes, expected %zu", what,
				    out->len, want);
	if (out->len < min)
		return bh_error_set(err, BH_ERR_INVALID, "%s: %zu bytes (truncated)", what,
				    out->len);
	return 0;
}

int bh_sealed_open(const char *json, size_t n, const char *pass, size_t passlen,
		   struct bh_buf *plain, struct bh_error **err)
{
	struct bh_buf salt = BH_BUF_INIT(1024), nonce = BH_BUF_INIT(64),
		      ct = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	unsigned char key[KEY_LEN];
	json_t *doc = NULL, *kdf, *params, *cipher;
	json_int_t N, R, P;
	const char *name;
	int r = -1;

	if (require_sodium(err) < 0)
		return -1;
	if (bh_json_parse(json, n, BH_TRUST_KEY_MAX, "encrypted key", &doc, err) < 0)
		return -1;
	kdf = bh_json_obj(doc, "kdf");
	cipher = bh_json_obj(doc, "cipher");
	params = kdf ? bh_json_obj(kdf, "params") : NULL;
	if (!kdf || !cipher || !params) {
		bh_error_set(err, BH_ERR_INVALID,
			     "encrypted key: not a cosign key envelope (no kdf, kdf.params or "
			     "cipher object)");
		goto out;
	}
	name = bh_json_str(kdf, "name");
	if (!name || strcmp(name, "scrypt")) {
		bh_error_set(err, BH_ERR_UNSUPPORTED, "encrypted key: kdf '%s' (only scrypt)",
			     name ? name : "(none)");
		goto out;
	}
	name = bh_json_str(cipher, "name");
	if (!name || strcmp(name, "nacl/secretbox")) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "encrypted key: cipher '%s' (only nacl/secretbox)",
			     name ? name : "(none)");
		goto out;
	}
	if (!bh_json_int(params, "N", &N) || !bh_json_int(params, "r", &R) ||
	    !bh_json_int(params, "p", &P)) {
		bh_error_set(err, BH_ERR_INVALID, "encrypted key: scrypt params N, r, p missing");
		goto out;
	}
	if ((N != 32768 && N != 65536 && N != 131072) || R != 8 || P != 1) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "encrypted key: unsupported scrypt parameters N=%lld r=%lld p=%lld "
			     "(cosign writes N=32768, 65536 or 131072 with r=8, p=1)",
			     (long long)N, (long long)R, (long long)P);
		goto out;
	}
	if (b64_member(kdf, "salt", "encrypted key: kdf.salt", 0, 1, &salt, err) < 0 ||
	    b64_member(cipher, "nonce", "encrypted key: cipher.nonce", NONCE_LEN, 0, &nonce, err) <
		    0 ||
	    b64_member(doc, "ciphertext", "encrypted key: ciphertext", 0, MAC_LEN + 1, &ct, err) <
		    0)
		goto out;
	if (derive(pass, passlen, (unsigned char *)salt.data, salt.len, (uint64_t)N, (uint32_t)R,
		   (uint32_t)P, key, err) < 0)
		goto out;
	if (bh_buf_grow(plain, ct.len - MAC_LEN, err) < 0)
		goto out;
	if (crypto_secretbox_open_easy((unsigned char *)plain->data + plain->len,
				       (unsigned char *)ct.data, ct.len,
				       (unsigned char *)nonce.data, key) != 0) {
		bh_error_set(err, BH_ERR_INVALID, "wrong passphrase (or a damaged key file)");
		goto out;
	}
	plain->len += ct.len - MAC_LEN;
	plain->data[plain->len] = 0;
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	json_decref(doc);
	bh_buf_release(&salt);
	bh_buf_release(&nonce);
	bh_buf_release(&ct);
	return r;
}
