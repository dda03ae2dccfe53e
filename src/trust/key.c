/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keys: ECDSA P-256 through OpenSSL's EVP (libcrypto, loaded on first use),
 * in cosign's files. The private key file is go-securesystemslib's encrypted
 * envelope (sealed.c) around PKCS#8 DER, in a PEM block labelled
 * "ENCRYPTED COSIGN PRIVATE KEY" (written) or "... SIGSTORE ..." (read too).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/x509.h>

#include "bulkhead/trust.h"
#include "lazy/crypto.h"
#include "trust/internal.h"
#include "banned.h"

#define LABEL_COSIGN   "ENCRYPTED COSIGN PRIVATE KEY"
#define LABEL_SIGSTORE "ENCRYPTED SIGSTORE PRIVATE KEY"
#define LABEL_PKCS8    "PRIVATE KEY"
#define LABEL_SEC1     "EC PRIVATE KEY"
#define LABEL_PUBLIC   "PUBLIC KEY"

struct bh_key {
	EVP_PKEY *pkey;
	bool priv;
	char id[BH_DIGEST_MAX]; /* "sha256:" + hex */
};

int trust_require_crypto(struct bh_error **err)
{
	return bh_lazy_require(&bh_lazy_crypto, err);
}

static int kind_of(const char *label, enum bh_key_file_kind *kind, struct bh_error **err)
{
	if (!strcmp(label, LABEL_COSIGN) || !strcmp(label, LABEL_SIGSTORE))
		*kind = BH_KEYFILE_ENCRYPTED;
	else if (!strcmp(label, LABEL_PKCS8) || !strcmp(label, LABEL_SEC1))
		*kind = BH_KEYFILE_PRIVATE;
	else if (!strcmp(label, LABEL_PUBLIC))
		*kind = BH_KEYFILE_PUBLIC;
	else if (!strcmp(label, "ENCRYPTED PRIVATE KEY"))
		return bh_error_set(
			err, BH_ERR_UNSUPPORTED,
			"a PKCS#8 key encrypted by openssl ('ENCRYPTED PRIVATE KEY') is "
			"not read; decrypt it with 'openssl pkey' or import it into a "
			"cosign key file");
	else
		return bh_error_set(err, BH_ERR_INVALID,
				    "PEM block '%s' is not a key bulkhead reads (expected '%s', "
				    "'%s', '%s', '%s' or '%s')",
				    label, LABEL_COSIGN, LABEL_SIGSTORE, LABEL_PKCS8, LABEL_SEC1,
				    LABEL_PUBLIC);
	return 0;
}

/* A key file's PEM block: its label (*label, caller frees), what it holds and
 * its body appended to der (the caller releases both whatever the result). */
static int read_key_pem(const char *pem, size_t n, char **label, enum bh_key_file_kind *kind,
			struct bh_buf *der, struct bh_error **err)
{
	if (n > BH_TRUST_KEY_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "key file of %zu bytes (the limit is %d)", n,
				    BH_TRUST_KEY_MAX);
	if (bh_pem_decode(pem, n, label, der, err) < 0)
		return -1;
	return kind_of(*label, kind, err);
}

int bh_key_file_kind(const char *pem, size_t n, enum bh_key_file_kind *kind, struct bh_error **err)
{
	struct bh_buf der = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	char *label = NULL;
	int r = read_key_pem(pem, n, &label, kind, &der, err);

	free(label);
	bh_buf_release(&der);
	return r;
}

/* Only P-256: what cosign generates and what bulkhead signs with. */
static int check_p256(EVP_PKEY *pkey, struct bh_error **err)
{
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "not an ECDSA key (bulkhead signs with ECDSA P-256 keys)");
	if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1 ||
	    strcmp(group, "prime256v1"))
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "an ECDSA key on curve %s; only P-256 (prime256v1) is accepted",
				    glen ? group : "(unknown)");
	return 0;
}

static int key_wrap(EVP_PKEY *pkey, bool priv, struct bh_key **out, struct bh_error **err)
{
	struct bh_key *k;
	struct bh_buf spki = BH_BUF_INIT(4096);
	struct bh_digest d;

	if (check_p256(pkey, err) < 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	k = bh_calloc(1, sizeof(*k));
	k->pkey = pkey;
	k->priv = priv;
	if (bh_key_spki(k, &spki, err) < 0) {
		bh_buf_release(&spki);
		bh_key_free(k);
		return -1;
	}
	bh_sha256(spki.data, spki.len, &d);
	snprintf(k->id, sizeof(k->id), "%s", d.str);
	bh_buf_release(&spki);
	*out = k;
	return 0;
}

void bh_key_free(struct bh_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

bool bh_key_is_private(const struct bh_key *k)
{
	return k->priv;
}

const char *bh_key_id(const struct bh_key *k)
{
	return k->id;
}

int bh_key_spki(const struct bh_key *k, struct bh_buf *out, struct bh_error **err)
{
	int n = i2d_PUBKEY(k->pkey, NULL);
	unsigned char *q;

	if (n <= 0)
		return bh_error_set(err, BH_ERR_INTERNAL, "cannot encode the public key");
	if (bh_buf_grow(out, (size_t)n, err) < 0)
		return -1;
	q = (unsigned char *)out->data + out->len;
	if (i2d_PUBKEY(k->pkey, &q) != n)
		return bh_error_set(err, BH_ERR_INTERNAL, "cannot encode the public key");
	out->len += (size_t)n;
	out->data[out->len] = 0;
	return 0;
}

int bh_key_generate(struct bh_key **out, struct bh_error **err)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	*out = NULL;
	if (trust_require_crypto(err) < 0)
		return -1;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_group_name(ctx, "P-256") <= 0 || EVP_PKEY_generate(ctx, &pkey) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return bh_error_set(err, BH_ERR_INTERNAL, "generating a P-256 key failed");
	}
	EVP_PKEY_CTX_free(ctx);
	return key_wrap(pkey, true, out, err);
}

/* A private key that OpenSSL parsed must also be consistent (the public point
 * is the private scalar's), or a signature made with it verifies nowhere. */
static int check_private(EVP_PKEY *pkey, struct bh_error **err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	int ok = ctx && EVP_PKEY_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok ? 0
		  : bh_error_set(err, BH_ERR_INVALID,
				 "the private key fails its consistency check");
}

static int parse_pkcs8(const unsigned char *der, size_t n, EVP_PKEY **out, struct bh_error **err)
{
	const unsigned char *q = der;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, (long)n);

	*out = NULL;
	if (!p8 || q != der + n) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return bh_error_set(err, BH_ERR_INVALID, "not a PKCS#8 private key (DER)");
	}
	*out = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (!*out)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "a PKCS#8 private key of an algorithm bulkhead cannot read");
	return 0;
}

static int parse_sec1(const unsigned char *der, size_t n, EVP_PKEY **out, struct bh_error **err)
{
	const unsigned char *q = der;

	*out = d2i_PrivateKey(EVP_PKEY_EC, NULL, &q, (long)n);
	if (!*out || q != der + n) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return bh_error_set(err, BH_ERR_INVALID, "not a SEC 1 EC private key (DER)");
	}
	return 0;
}

static int parse_plain_private(const char *label, const struct bh_buf *der, EVP_PKEY **pkey,
			       struct bh_error **err)
{
	const unsigned char *d = (const unsigned char *)(der->data ? der->data : "");

	if (!strcmp(label, LABEL_SEC1))
		return parse_sec1(d, der->len, pkey, err);
	return parse_pkcs8(d, der->len, pkey, err);
}

int bh_key_parse_private(const char *pem, size_t n, const char *pass, size_t passlen,
			 struct bh_key **out, struct bh_error **err)
{
	struct bh_buf der = BH_BUF_INIT(BH_TRUST_KEY_MAX), plain = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	enum bh_key_file_kind kind;
	char *label = NULL;
	EVP_PKEY *pkey = NULL;
	int r = -1;

	*out = NULL;
	if (trust_require_crypto(err) < 0)
		return -1;
	if (read_key_pem(pem, n, &label, &kind, &der, err) < 0)
		goto out;
	switch (kind) {
	case BH_KEYFILE_PUBLIC:
		bh_error_set(err, BH_ERR_USAGE, "a public key cannot sign (give the private key)");
		goto out;
	case BH_KEYFILE_PRIVATE:
		if (parse_plain_private(label, &der, &pkey, err) < 0)
			goto out;
		break;
	case BH_KEYFILE_ENCRYPTED:
		if (!pass) {
			bh_error_set(err, BH_ERR_USAGE,
				     "the key is encrypted and no passphrase was given");
			goto out;
		}
		if (bh_sealed_open(der.data ? der.data : "", der.len, pass, passlen, &plain, err) <
		    0)
			goto out;
		if (parse_pkcs8((const unsigned char *)plain.data, plain.len, &pkey, err) < 0) {
			bh_error_prefix(err, "the decrypted key");
			goto out;
		}
		break;
	}
	if (check_private(pkey, err) < 0) {
		EVP_PKEY_free(pkey);
		goto out;
	}
	r = key_wrap(pkey, true, out, err);
out:
	if (plain.data)
		OPENSSL_cleanse(plain.data, plain.len);
	if (der.data)
		OPENSSL_cleanse(der.data, der.len);
	bh_buf_release(&plain);
	bh_buf_release(&der);
	free(label);
	return r;
}

int bh_key_parse_public(const char *pem, size_t n, struct bh_key **out, struct bh_error **err)
{
	struct bh_buf der = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	enum bh_key_file_kind kind;
	char *label = NULL;
	EVP_PKEY *pkey = NULL;
	int r = -1;

	*out = NULL;
	if (trust_require_crypto(err) < 0)
		return -1;
	if (read_key_pem(pem, n, &label, &kind, &der, err) < 0)
		goto out;
	if (kind == BH_KEYFILE_ENCRYPTED) {
		bh_error_set(err, BH_ERR_USAGE,
			     "an encrypted private key: verify with its public key (P.pub)");
		goto out;
	}
	if (kind == BH_KEYFILE_PRIVATE) {
		if (parse_plain_private(label, &der, &pkey, err) < 0)
			goto out;
	} else {
		const unsigned char *q = (const unsigned char *)(der.data ? der.data : "");

		pkey = d2i_PUBKEY(NULL, &q, (long)der.len);
		if (!pkey || q != (const unsigned char *)der.data + der.len) {
			EVP_PKEY_free(pkey);
			bh_error_set(err, BH_ERR_INVALID,
				     "not a SubjectPublicKeyInfo public key (DER)");
			goto out;
		}
	}
	r = key_wrap(pkey, false, out, err);
out:
	if (der.data)
		OPENSSL_cleanse(der.data, der.len);
	bh_buf_release(&der);
	free(label);
	return r;
}

int bh_key_load_public(const char *path, struct bh_key **out, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	int r;

	*out = NULL;
	r = bh_read_file(path, &b, err);
	if (r == 0)
		r = bh_key_parse_public(b.data ? b.data : "", b.len, out, err);
	if (r < 0)
		bh_error_prefix(err, "key %s", path);
	bh_buf_release(&b);
	return r;
}

int bh_key_pem_public(const struct bh_key *k, struct bh_buf *out, struct bh_error **err)
{
	struct bh_buf spki = BH_BUF_INIT(4096);
	int r = bh_key_spki(k, &spki, err);

	if (r == 0)
		r = bh_pem_encode(LABEL_PUBLIC, spki.data, spki.len, out, err);
	bh_buf_release(&spki);
	return r;
}

int bh_key_pem_private(const struct bh_key *k, const char *pass, size_t passlen, struct bh_buf *out,
		       struct bh_error **err)
{
	PKCS8_PRIV_KEY_INFO *p8;
	struct bh_buf sealed = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	unsigned char *der = NULL, *q;
	int n, r = -1;

	if (!k->priv)
		return bh_error_set(err, BH_ERR_USAGE, "a public key has no private part to write");
	p8 = EVP_PKEY2PKCS8(k->pkey);
	n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) : -1;
	if (n <= 0) {
		bh_error_set(err, BH_ERR_INTERNAL, "cannot encode the private key as PKCS#8");
		goto out;
	}
	der = bh_malloc((size_t)n);
	q = der;
	if (i2d_PKCS8_PRIV_KEY_INFO(p8, &q) != n) {
		bh_error_set(err, BH_ERR_INTERNAL, "cannot encode the private key as PKCS#8");
		goto out;
	}
	if (bh_sealed_seal(der, (size_t)n, pass, passlen, &sealed, err) < 0 ||
	    bh_pem_encode(LABEL_COSIGN, sealed.data, sealed.len, out, err) < 0)
		goto out;
	r = 0;
out:
	if (der) {
		OPENSSL_cleanse(der, (size_t)n);
		free(der);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	bh_buf_release(&sealed);
	return r;
}

/* A complete new file at path: a temporary beside it, then a rename that
 * refuses to replace an existing file unless `replace`. */
static int write_tmp(const char *path, const struct bh_buf *b, mode_t mode, char **tmp,
		     struct bh_error **err)
{
	int fd = bh_tmp_beside(path, mode, tmp, err);

	if (fd < 0)
		return -1;
	if (bh_write_all(fd, b->data, b->len, err) < 0 || fsync(fd) < 0) {
		if (!*err)
			bh_error_sys(err, errno, "writing %s", *tmp);
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	if (close(fd) < 0) {
		bh_error_sys(err, errno, "writing %s", *tmp);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	return 0;
}

static int install(const char *tmp, const char *path, bool replace, struct bh_error **err)
{
	if (replace) {
		if (rename(tmp, path) < 0)
			return bh_error_sys(err, errno, "renaming %s to %s", tmp, path);
		return 0;
	}
	/* link() fails with EEXIST rather than replace: the no-clobber rename */
	if (link(tmp, path) < 0) {
		if (errno == EEXIST)
			return bh_error_set(err, BH_ERR_USAGE,
					    "%s exists (appeared while writing; not replaced)",
					    path);
		return bh_error_sys(err, errno, "creating %s", path);
	}
	unlink(tmp);
	return 0;
}

int bh_key_save_pair(const struct bh_key *k, const char *prefix, const char *pass, size_t passlen,
		     bool force, struct bh_error **err)
{
	struct bh_buf priv = BH_BUF_INIT(BH_TRUST_KEY_MAX), pub = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	char *kpath = bh_asprintf("%s.key", prefix), *ppath = bh_asprintf("%s.pub", prefix);
	char *ktmp = NULL, *ptmp = NULL;
	struct stat st;
	int r = -1;

	if (!*prefix) {
		bh_error_set(err, BH_ERR_USAGE, "an empty key file prefix");
		goto out;
	}
	if (!force) {
		for (int i = 0; i < 2; i++) {
			const char *p = i ? ppath : kpath;

			if (lstat(p, &st) == 0) {
				bh_error_set(err, BH_ERR_USAGE, "%s exists (force to replace it)",
					     p);
				goto out;
			}
		}
	}
	if (bh_key_pem_private(k, pass, passlen, &priv, err) < 0 ||
	    bh_key_pem_public(k, &pub, err) < 0)
		goto out;
	if (write_tmp(kpath, &priv, 0600, &ktmp, err) < 0 ||
	    write_tmp(ppath, &pub, 0644, &ptmp, err) < 0)
		goto out;
	if (install(ktmp, kpath, force, err) < 0)
		goto out;
	if (install(ptmp, ppath, force, err) < 0) {
		if (!force)
			unlink(kpath); /* ours: created a moment ago */
		goto out;
	}
	r = 0;
out:
	if (ktmp)
		unlink(ktmp);
	if (ptmp)
		unlink(ptmp);
	if (priv.data)
		OPENSSL_cleanse(priv.data, priv.len);
	bh_buf_release(&priv);
	bh_buf_release(&pub);
	free(ktmp);
	free(ptmp);
	free(kpath);
	free(ppath);
	return r;
}

int bh_key_sign(const struct bh_key *k, const void *msg, size_t n, struct bh_buf *sig,
		struct bh_error **err)
{
	EVP_MD_CTX *ctx;
	size_t len = 0;
	int r = -1;

	if (!k->priv)
		return bh_error_set(err, BH_ERR_USAGE, "a public key cannot sign");
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &len, msg, n) != 1 || len > BH_TRUST_SIG_MAX) {
		bh_error_set(err, BH_ERR_INTERNAL, "ECDSA signing failed");
		goto out;
	}
	if (bh_buf_grow(sig, len, err) < 0)
		goto out;
	if (EVP_DigestSign(ctx, (unsigned char *)sig->data + sig->len, &len, msg, n) != 1) {
		bh_error_set(err, BH_ERR_INTERNAL, "ECDSA signing failed");
		goto out;
	}
	sig->len += len;
	sig->data[sig->len] = 0;
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int bh_key_verify(const struct bh_key *k, const void *msg, size_t n, const void *sig, size_t siglen)
{
	EVP_MD_CTX *ctx;
	int ok;

	if (!siglen || siglen > BH_TRUST_SIG_MAX)
		return 0;
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, siglen, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 1 : 0;
}

int bh_key_verify_hash(const struct bh_key *k, const uint8_t hash[32], const void *sig,
		       size_t siglen)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	if (!siglen || siglen > BH_TRUST_SIG_MAX)
		return 0;
	ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
	ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
	     EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	     EVP_PKEY_verify(ctx, sig, siglen, hash, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 1 : 0;
}
