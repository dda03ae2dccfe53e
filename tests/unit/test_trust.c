/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust core: strict base64/PEM, cosign key files (with
 * go-securesystemslib's own test vectors), the simple-signing payload byte
 * for byte against a digest cosign's format is known by, DSSE (the spec's
 * PAE vector), in-toto, Sigstore bundles, signature manifests, and signing
 * and verifying an OCI layout by digest, with hostile input throughout.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/trust.h"
#include "trust/internal.h"

/* ---- helpers ------------------------------------------------------------- */

/* Throw-away keys made with openssl for these tests. */
static const char pkcs8_p256[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/J8Qj52+3nclmUdf\n"
	"qDcjL7UivUVrYK5ItCwBM3MlizChRANCAASfsXM98FgCqBlT9jygs1LmgS6GlQjO\n"
	"FpRvfo1uY/odZEncWvRdotDls4e9QpGwPeOCe64Xg7jN+Di9izomJtwB\n"
	"-----END PRIVATE KEY-----\n";
static const char sec1_p256[] = "-----BEGIN EC PRIVATE KEY-----\n"
				"MHcCAQEEIPyfEI+dvt53JZlHX6g3Iy+1Ir1Fa2CuSLQsATNzJYswoAoGCCqGSM49\n"
				"AwEHoUQDQgAEn7FzPfBYAqgZU/Y8oLNS5oEuhpUIzhaUb36NbmP6HWRJ3Fr0XaLQ\n"
				"5bOHvUKRsD3jgnuuF4O4zfg4vYs6JibcAQ==\n"
				"-----END EC PRIVATE KEY-----\n";
static const char pub_p256[] = "-----BEGIN PUBLIC KEY-----\n"
			       "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEn7FzPfBYAqgZU/Y8oLNS5oEuhpUI\n"
			       "zhaUb36NbmP6HWRJ3Fr0XaLQ5bOHvUKRsD3jgnuuF4O4zfg4vYs6JibcAQ==\n"
			       "-----END PUBLIC KEY-----\n";
static const char pub_p384[] = "-----BEGIN PUBLIC KEY-----\n"
			       "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAENZDk3f3Czq1z5fsnU5KAQBmeY6hoy48/\n"
			       "G37Q6pzNtLPs9UGD4xM5vTpod78H5bj0mC++eS1kKLU3H1epUNJMOIZW20QV0zaC\n"
			       "sy/S2jzznlrNXvtUBTtusLnji1SF0PF+\n"
			       "-----END PUBLIC KEY-----\n";

/* ---- PEM (base64: test_base) ------------------------------------------------------- */

static void test_pem(void **state)
{
	struct bh_buf der = BH_BUF_INIT(4096);
	struct bh_error *err = NULL;
	char *label = NULL;

	(void)state;
	assert_int_equal(bh_pem_decode(pub_p256, strlen(pub_p256), &label, &der, NULL), 0);
	assert_string_equal(label, "PUBLIC KEY");
	assert_int_equal(der.len, 91);
	free(label);
	bh_buf_reset(&der);
	/* text before the block is fine (as Go's pem.Decode) */
	{
		char *s = bh_asprintf("a comment\r\n%s", pub_p256);

		assert_int_equal(bh_pem_decode(s, strlen(s), &label, &der, NULL), 0);
		free(label);
		free(s);
	}
	const char *bad[] = {
		"no block here\n",
		"-----BEGIN PUBLIC KEY-----\nYWI=\n",
		"-----BEGIN PUBLIC KEY-----\nYWI=\n-----END PRIVATE KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\nYWI=\n-----END PUBLIC "
		"KEY-----\n",
		"-----BEGIN public key-----\nYWI=\n-----END public key-----\n",
		"-----BEGIN PUBLIC KEY-----\nYW!=\n-----END PUBLIC KEY-----\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bh_buf_reset(&der);
		label = NULL;
		assert_true(bh_pem_decode(bad[i], strlen(bad[i]), &label, &der, &err) < 0);
		assert_null(label);
		assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
		bh_error_clear(&err);
	}
	bh_buf_release(&der);
}

/* ---- the encrypted envelope: go-securesystemslib's own vectors ---------- */

static const char *const vectors[] = {
	/* encrypted_test.go TestDecrypt */
	"{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":32768,\"r\":8,\"p\":1},\"salt\":"
	"\"N9a7x5JFGbrtB2uBR81jPwp0eiLR4A7FV3mjVAQrg1g=\"},\"cipher\":{\"name\":\"nacl/"
	"secretbox\",\"nonce\":\"2h8HxMmgRfuYdpswZBQaU3xJ1nkA/5Ik\"},\"ciphertext\":"
	"\"SEW6sUh0jf2wfdjJGPNS9+bkk2uB+Cxamf32zR8XkQ==\"}",
	/* kdfVectors: Standard (N = 65536) and OWASP (N = 131072); these were
	 * made with encrypted.Marshal, so the plaintext is the JSON string of the
	 * base64 of "reallyimportant" */
	"{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":65536,\"r\":8,\"p\":1},\"salt\":"
	"\"FhzPOt9/bJG4PTq6lQ6ecG6GzaOuOy/ynG5+yRiFlNs=\"},\"cipher\":{\"name\":\"nacl/"
	"secretbox\",\"nonce\":\"aw1ng1jHaDz/tQ7V2gR9O2+IGQ8xJEuE\"},\"ciphertext\":"
	"\"HycvuLZL4sYH0BrYTh4E/H20VtAW6u5zL5Pr+IBjYLYnCPzDkq8=\"}",
	"{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":131072,\"r\":8,\"p\":1},\"salt\":"
	"\"m38E3kouJTtiheLQN22NQ8DTito5hrjpUIskqcd375k=\"},\"cipher\":{\"name\":\"nacl/"
	"secretbox\",\"nonce\":\"Y6PM13yA+o44pE/W1ZBwczeGnTV/m9Zc\"},\"ciphertext\":"
	"\"6H8sqj1K6B6yDjtH5AQ6lbFigg/C2yDDJc4rYJ79w9aVPImFIPI=\"}",
};

static void test_sealed_vectors(void **state)
{
	struct bh_error *err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct bh_buf plain = BH_BUF_INIT(4096);

		assert_int_equal(bh_sealed_open(vectors[i], strlen(vectors[i]), "supersecret", 11,
						&plain, &err),
				 0);
		if (i == 0) {
			assert_int_equal(plain.len, 15);
			assert_memory_equal(plain.data, "reallyimportant", 15);
		} else {
			assert_string_equal(plain.data, "\"cmVhbGx5aW1wb3J0YW50\"");
		}
		bh_buf_release(&plain);
	}
	/* the wrong passphrase */
	{
		struct bh_buf plain = BH_BUF_INIT(4096);

		assert_true(bh_sealed_open(vectors[0], strlen(vectors[0]), "supersecreT", 11,
					   &plain, &err) < 0);
		assert_error(err, BH_ERR_INVALID, "wrong passphrase");
		bh_error_clear(&err);
		assert_int_equal(plain.len, 0);
		bh_buf_release(&plain);
	}
}

static void expect_sealed_error(const char *json, const char *needle)
{
	struct bh_buf plain = BH_BUF_INIT(4096);
	struct bh_error *err = NULL;

	assert_true(bh_sealed_open(json, strlen(json), "supersecret", 11, &plain, &err) < 0);
	{
		char *m = bh_error_message(err);

		if (!strstr(m, needle))
			fail_msg("'%s' does not contain '%s'", m, needle);
		free(m);
	}
	bh_error_free(err);
	bh_buf_release(&plain);
}

static void test_sealed_hostile(void **state)
{
	(void)state;
	/* encrypted_test.go TestUnsupportedKDFParameters: N=99 r=99 p=99 */
	expect_sealed_error(
		"{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":99,\"r\":99,\"p\":99},"
		"\"salt\":\"cZFcQJdwPhPyhU1R4qkl0qVOIjZd4V/7LYYAavq166k=\"},\"cipher\":{"
		"\"name\":\"nacl/secretbox\",\"nonce\":\"7vhRS7j0hEPBWV05skAdgLj81AkGeE7U\"},"
		"\"ciphertext\":\"6WYU/YSXVbYzl/NzaeAzmjLyfFhOOjLc0d8/GFV0aBFdJvyCcXc=\"}",
		"unsupported scrypt parameters");
	/* a huge N would be a memory bomb: refused before scrypt runs */
	expect_sealed_error(
		"{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":1073741824,\"r\":8,\"p\":"
		"1},\"salt\":\"AA==\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":"
		"\"7vhRS7j0hEPBWV05skAdgLj81AkGeE7U\"},\"ciphertext\":\"AAAA\"}",
		"unsupported scrypt parameters");
	expect_sealed_error(
		"{\"kdf\":{\"name\":\"argon2\",\"params\":{\"N\":32768,\"r\":8,\"p\":1},"
		"\"salt\":\"AA==\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"\"},"
		"\"ciphertext\":\"\"}",
		"kdf 'argon2'");
	expect_sealed_error(
		"{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":32768,\"r\":8,\"p\":1},"
		"\"salt\":\"AA==\"},\"cipher\":{\"name\":\"aes\",\"nonce\":\"\"},"
		"\"ciphertext\":\"\"}",
		"cipher 'aes'");
	/* a nonce of the wrong length; a ciphertext shorter than its MAC */
	expect_sealed_error(
		"{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":32768,\"r\":8,\"p\":1},"
		"\"salt\":\"AA==\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":"
		"\"AAAA\"},\"ciphertext\":\"AAAA\"}",
		"expected 24");
	expect_sealed_error(
		"{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":32768,\"r\":8,\"p\":1},"
		"\"salt\":\"AA==\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":"
		"\"7vhRS7j0hEPBWV05skAdgLj81AkGeE7U\"},\"ciphertext\":\"AAAA\"}",
		"truncated");
	expect_sealed_error("{\"kdf\":{}}", "not a cosign key envelope");
	expect_sealed_error("{\"kdf\":", "encrypted key");
	expect_sealed_error(
		"{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":32768,\"r\":8,\"p\":1},"
		"\"salt\":\"A A=\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":"
		"\"7vhRS7j0hEPBWV05skAdgLj81AkGeE7U\"},\"ciphertext\":\"AAAA\"}",
		"kdf.salt");
}

/* ---- keys ----------------------------------------------------------------- */

static void test_key_roundtrip(void **state)
{
	struct bh_buf priv = BH_BUF_INIT(BH_TRUST_KEY_MAX), pub = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	struct bh_buf sig = BH_BUF_INIT(512);
	struct bh_key *k = NULL, *k2 = NULL, *p = NULL;
	struct bh_error *err = NULL;
	enum bh_key_file_kind kind;

	(void)state;
	assert_int_equal(bh_key_generate(&k, NULL), 0);
	assert_true(bh_key_is_private(k));
	assert_int_equal(bh_key_pem_private(k, "pw", 2, &priv, NULL), 0);
	assert_int_equal(bh_key_pem_public(k, &pub, NULL), 0);
	assert_non_null(strstr(priv.data, "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n"));
	assert_non_null(strstr(pub.data, "-----BEGIN PUBLIC KEY-----\n"));
	/* the envelope inside says N=32768, as older cosign readers need */
	{
		struct bh_buf env = BH_BUF_INIT(BH_TRUST_KEY_MAX);
		char *label;

		assert_int_equal(bh_pem_decode(priv.data, priv.len, &label, &env, NULL), 0);
		assert_non_null(strstr(env.data,
				       "{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":32768,"
				       "\"r\":8,\"p\":1},\"salt\":\""));
		free(label);
		bh_buf_release(&env);
	}
	assert_int_equal(bh_key_file_kind(priv.data, priv.len, &kind, NULL), 0);
	assert_int_equal(kind, BH_KEYFILE_ENCRYPTED);
	assert_int_equal(bh_key_parse_private(priv.data, priv.len, "pw", 2, &k2, NULL), 0);
	assert_string_equal(bh_key_id(k), bh_key_id(k2));
	assert_int_equal(bh_key_parse_public(pub.data, pub.len, &p, NULL), 0);
	assert_false(bh_key_is_private(p));
	assert_string_equal(bh_key_id(k), bh_key_id(p));
	/* sign with the reloaded key, verify with the public one */
	assert_int_equal(bh_key_sign(k2, "payload", 7, &sig, NULL), 0);
	assert_int_equal(bh_key_verify(p, "payload", 7, sig.data, sig.len), 1);
	assert_int_equal(bh_key_verify(p, "payloaD", 7, sig.data, sig.len), 0);
	assert_int_equal(bh_key_verify(p, "payload", 7, sig.data, sig.len - 1), 0);
	assert_int_equal(bh_key_verify(p, "payload", 7, "garbage", 7), 0);
	assert_int_equal(bh_key_verify(p, "payload", 7, "", 0), 0);
	assert_true(bh_key_sign(p, "x", 1, &sig, &err) < 0);
	assert_error(err, BH_ERR_USAGE, "cannot sign");
	bh_error_clear(&err);
	/* wrong, missing and empty passphrases */
	bh_key_free(k2);
	assert_true(bh_key_parse_private(priv.data, priv.len, "pW", 2, &k2, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "wrong passphrase");
	assert_null(k2);
	bh_error_clear(&err);
	assert_true(bh_key_parse_private(priv.data, priv.len, NULL, 0, &k2, &err) < 0);
	assert_error(err, BH_ERR_USAGE, "no passphrase");
	bh_error_clear(&err);
	bh_buf_reset(&priv);
	assert_int_equal(bh_key_pem_private(k, "", 0, &priv, NULL), 0);
	assert_int_equal(bh_key_parse_private(priv.data, priv.len, "", 0, &k2, NULL), 0);
	bh_key_free(k2);
	/* the private file as a public key is refused; the sigstore label is read */
	assert_true(bh_key_parse_public(priv.data, priv.len, &k2, &err) < 0);
	assert_error(err, BH_ERR_USAGE, "public key");
	bh_error_clear(&err);
	{
		char *s = bh_strdup(priv.data), *c;

		while ((c = strstr(s, "COSIGN")))
			memcpy(c, "SIGSTO", 6); /* same length: "ENCRYPTED SIGSTO PRIVATE KEY" */
		assert_true(bh_key_parse_private(s, strlen(s), "", 0, &k2, &err) < 0);
		assert_error(err, BH_ERR_INVALID, "not a key bulkhead reads");
		bh_error_clear(&err);
		free(s);
	}
	bh_key_free(k);
	bh_key_free(p);
	bh_buf_release(&priv);
	bh_buf_release(&pub);
	bh_buf_release(&sig);
}

static void test_key_sigstore_label(void **state)
{
	struct bh_buf priv = BH_BUF_INIT(BH_TRUST_KEY_MAX), out = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	struct bh_buf env = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	struct bh_key *k = NULL, *k2 = NULL;
	char *label;

	(void)state;
	/* cosign 2.x writes ENCRYPTED SIGSTORE PRIVATE KEY around the same envelope */
	assert_int_equal(bh_key_generate(&k, NULL), 0);
	assert_int_equal(bh_key_pem_private(k, "x", 1, &priv, NULL), 0);
	assert_int_equal(bh_pem_decode(priv.data, priv.len, &label, &env, NULL), 0);
	free(label);
	assert_int_equal(
		bh_pem_encode("ENCRYPTED SIGSTORE PRIVATE KEY", env.data, env.len, &out, NULL), 0);
	assert_int_equal(bh_key_parse_private(out.data, out.len, "x", 1, &k2, NULL), 0);
	assert_string_equal(bh_key_id(k), bh_key_id(k2));
	bh_key_free(k);
	bh_key_free(k2);
	bh_buf_release(&priv);
	bh_buf_release(&out);
	bh_buf_release(&env);
}

static void test_key_openssl_files(void **state)
{
	struct bh_key *a = NULL, *b = NULL, *p = NULL, *q = NULL;
	struct bh_buf sig = BH_BUF_INIT(512);
	struct bh_error *err = NULL;
	enum bh_key_file_kind kind;

	(void)state;
	assert_int_equal(bh_key_parse_private(pkcs8_p256, strlen(pkcs8_p256), NULL, 0, &a, NULL),
			 0);
	assert_int_equal(bh_key_parse_private(sec1_p256, strlen(sec1_p256), NULL, 0, &b, NULL), 0);
	assert_int_equal(bh_key_parse_public(pub_p256, strlen(pub_p256), &p, NULL), 0);
	assert_int_equal(bh_key_parse_public(pkcs8_p256, strlen(pkcs8_p256), &q, NULL), 0);
	assert_string_equal(bh_key_id(a), bh_key_id(b));
	assert_string_equal(bh_key_id(a), bh_key_id(p));
	assert_string_equal(bh_key_id(a), bh_key_id(q));
	assert_int_equal(bh_key_file_kind(sec1_p256, strlen(sec1_p256), &kind, NULL), 0);
	assert_int_equal(kind, BH_KEYFILE_PRIVATE);
	assert_int_equal(bh_key_sign(b, "m", 1, &sig, NULL), 0);
	assert_int_equal(bh_key_verify(p, "m", 1, sig.data, sig.len), 1);
	/* another curve, another label, a truncated body */
	bh_key_free(q);
	q = NULL;
	assert_true(bh_key_parse_public(pub_p384, strlen(pub_p384), &q, &err) < 0);
	assert_error(err, BH_ERR_UNSUPPORTED, "only P-256");
	bh_error_clear(&err);
	{
		const char enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nYWI=\n"
				   "-----END ENCRYPTED PRIVATE KEY-----\n";
		const char trunc[] =
			"-----BEGIN PUBLIC KEY-----\n"
			"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEn7FzPfBYAqgZU/Y8oLNS5oEuhpUI\n"
			"-----END PUBLIC KEY-----\n";

		assert_true(bh_key_parse_private(enc, strlen(enc), NULL, 0, &q, &err) < 0);
		assert_error(err, BH_ERR_UNSUPPORTED, "openssl");
		bh_error_clear(&err);
		assert_true(bh_key_parse_public(trunc, strlen(trunc), &q, &err) < 0);
		assert_error(err, BH_ERR_INVALID, "SubjectPublicKeyInfo");
		bh_error_clear(&err);
		assert_true(bh_key_parse_private(pub_p256, strlen(pub_p256), NULL, 0, &q, &err) <
			    0);
		assert_error(err, BH_ERR_USAGE, "cannot sign");
		bh_error_clear(&err);
	}
	bh_key_free(a);
	bh_key_free(b);
	bh_key_free(p);
	bh_buf_release(&sig);
}

static void test_key_save_pair(void **state)
{
	char *dir = unit_mktmp(), *prefix = bh_asprintf("%s/cosign", dir);
	char *kp = bh_asprintf("%s.key", prefix), *pp = bh_asprintf("%s.pub", prefix);
	struct bh_key *k = NULL, *k2 = NULL;
	struct bh_buf b = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	struct bh_error *err = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(bh_key_generate(&k, NULL), 0);
	assert_int_equal(bh_key_save_pair(k, prefix, "pw", 2, false, NULL), 0);
	assert_int_equal(stat(kp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(pp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(bh_read_file(kp, &b, NULL), 0);
	assert_int_equal(bh_key_parse_private(b.data, b.len, "pw", 2, &k2, NULL), 0);
	assert_string_equal(bh_key_id(k), bh_key_id(k2));
	bh_key_free(k2);
	/* no overwrite without force; with force the pair is replaced */
	assert_true(bh_key_save_pair(k, prefix, "pw", 2, false, &err) < 0);
	assert_error(err, BH_ERR_USAGE, "exists");
	bh_error_clear(&err);
	assert_int_equal(bh_key_save_pair(k, prefix, "other", 5, true, NULL), 0);
	bh_buf_reset(&b);
	assert_int_equal(bh_read_file(kp, &b, NULL), 0);
	assert_int_equal(bh_key_parse_private(b.data, b.len, "other", 5, &k2, NULL), 0);
	bh_key_free(k2);
	/* nothing but the two files in the directory (no temporaries left) */
	{
		char *cmd = bh_asprintf("test $(ls -A %s | wc -l) -eq 2", dir);

		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	bh_key_free(k);
	bh_buf_release(&b);
	free(kp);
	free(pp);
	free(prefix);
	unit_rmtmp(dir);
}

/* ---- the simple-signing payload ------------------------------------------- */

static void test_simplesign_exact(void **state)
{
	/* A payload cosign wrote, known by its digest: containerd's cosign
	 * verifier tests carry it with wantDigest sha256:d1e44a76...f8b1. */
	static const char want[] =
		"{\"critical\":{\"identity\":{\"docker-reference\":\"us-docker.pkg.dev/"
		"confidential-space-images-dev/cs-cosign-tests/"
		"base\"},\"image\":{\"docker-manifest-"
		"digest\":\"sha256:"
		"9494e567c7c44e8b9f8808c1658a47c9b7979ef3cceef10f48754fc2706802ba\"}"
		",\"type\":\"cosign container image signature\"},\"optional\":null}";
	struct bh_buf b = BH_BUF_INIT(BH_TRUST_PAYLOAD_MAX);
	struct bh_digest d, got;
	struct bh_simplesign ss;

	(void)state;
	assert_int_equal(bh_digest_parse("sha256:9494e567c7c44e8b9f8808c1658a47c9b7979ef3cceef10f48"
					 "754fc2706802ba",
					 &d, NULL),
			 0);
	assert_int_equal(bh_simplesign_build("us-docker.pkg.dev/confidential-space-images-dev/"
					     "cs-cosign-tests/base",
					     &d, NULL, &b, NULL),
			 0);
	assert_string_equal(b.data, want);
	bh_sha256(b.data, b.len, &got);
	assert_string_equal(
		got.str, "sha256:d1e44a76902409836227b982beb920189949927c2011f196594bd34c5bb8f8b1");
	assert_int_equal(bh_simplesign_parse(b.data, b.len, &ss, NULL), 0);
	assert_string_equal(ss.digest.str, d.str);
	assert_null(ss.optional);
	bh_simplesign_release(&ss);
	/* optional: keys sorted, Go's HTML-safe escaping */
	{
		json_t *opt = json_pack("{s:s, s:s, s:i}", "z", "a<b>&c", "a", "x\"y", "n", 3);

		bh_buf_reset(&b);
		assert_int_equal(bh_simplesign_build("r", &d, opt, &b, NULL), 0);
		assert_non_null(strstr(b.data, "\"optional\":{\"a\":\"x\\\"y\",\"n\":3,\"z\":"
					       "\"a\\u003cb\\u003e\\u0026c\"}}"));
		assert_int_equal(bh_simplesign_parse(b.data, b.len, &ss, NULL), 0);
		assert_string_equal(bh_json_str(ss.optional, "z"), "a<b>&c");
		bh_simplesign_release(&ss);
		json_decref(opt);
	}
	bh_buf_release(&b);
}

static void expect_payload_error(const char *p, const char *needle)
{
	struct bh_simplesign ss;
	struct bh_error *err = NULL;
	char *m;

	assert_true(bh_simplesign_parse(p, strlen(p), &ss, &err) < 0);
	m = bh_error_message(err);
	if (!strstr(m, needle))
		fail_msg("'%s' does not contain '%s'", m, needle);
	free(m);
	bh_error_free(err);
	assert_null(ss.docker_reference);
}

#define CRIT_OK                                                                                    \
	"\"identity\":{\"docker-reference\":\"r\"},\"image\":{\"docker-manifest-digest\":"         \
	"\"sha256:"                                                                                \
	"9494e567c7c44e8b9f8808c1658a47c9b7979ef3cceef10f48754fc2706802ba\"}"

static void test_simplesign_hostile(void **state)
{
	(void)state;
	expect_payload_error("[]", "not a JSON object");
	expect_payload_error("{", "simple-signing payload");
	expect_payload_error("{\"critical\":{}}", "no critical");
	expect_payload_error("{\"critical\":{" CRIT_OK ",\"type\":\"atomic container signature\"}}",
			     "is not 'cosign container image signature'");
	expect_payload_error("{\"critical\":{" CRIT_OK
			     ",\"type\":\"cosign container image signature\","
			     "\"extra\":1}}",
			     "unexpected key 'extra'");
	expect_payload_error("{\"critical\":{" CRIT_OK
			     ",\"type\":\"cosign container image signature\"},"
			     "\"optional\":[]}",
			     "optional is neither");
	expect_payload_error("{\"critical\":{" CRIT_OK
			     ",\"type\":\"cosign container image signature\"},"
			     "\"other\":null}",
			     "unexpected key 'other'");
	expect_payload_error(
		"{\"critical\":{\"identity\":{\"docker-reference\":\"r\"},\"image\":{"
		"\"docker-manifest-digest\":\"sha256:abc\"},\"type\":\"cosign container "
		"image signature\"}}",
		"docker-manifest-digest");
	expect_payload_error(
		"{\"critical\":{\"identity\":{\"docker-reference\":7},\"image\":{"
		"\"docker-manifest-digest\":\"sha256:abc\"},\"type\":\"cosign container "
		"image signature\"}}",
		"must be strings");
	/* a duplicate key is two payloads in one: refused */
	expect_payload_error("{\"critical\":{" CRIT_OK
			     ",\"type\":\"cosign container image signature\","
			     "\"type\":\"cosign container image signature\"}}",
			     "duplicate");
	/* over the size limit */
	{
		size_t n = BH_TRUST_PAYLOAD_MAX + 10;
		char *big = bh_malloc(n + 1);

		memset(big, ' ', n);
		big[n] = 0;
		big[0] = '{';
		expect_payload_error(big, "limit");
		free(big);
	}
}

/* ---- DSSE and in-toto --------------------------------------------------- */

static void test_dsse(void **state)
{
	struct bh_buf pae = BH_BUF_INIT(4096), env = BH_BUF_INIT(1 << 20);
	struct bh_key *k = NULL, *other = NULL;
	struct bh_dsse e;
	struct bh_error *err = NULL;

	(void)state;
	/* the DSSE specification's example */
	assert_int_equal(
		bh_dsse_pae("http://example.com/HelloWorld", "hello world", 11, &pae, NULL), 0);
	assert_string_equal(pae.data, "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
	bh_buf_reset(&pae);
	assert_int_equal(bh_dsse_pae("t", "", 0, &pae, NULL), 0);
	assert_string_equal(pae.data, "DSSEv1 1 t 0 ");

	assert_int_equal(bh_key_generate(&k, NULL), 0);
	assert_int_equal(bh_key_generate(&other, NULL), 0);
	assert_int_equal(bh_dsse_sign(k, BH_INTOTO_PAYLOAD_TYPE, "{\"a\":1}", 7, &env, NULL), 0);
	assert_true(bh_str_has_prefix(env.data, "{\"payloadType\":\"application/vnd.in-toto+json\","
						"\"payload\":\"eyJhIjoxfQ==\",\"signatures\":[{"
						"\"keyid\":\"\",\"sig\":\""));
	assert_int_equal(bh_dsse_parse(env.data, env.len, &e, NULL), 0);
	assert_int_equal(e.payload_len, 7);
	assert_int_equal(e.nsigs, 1);
	assert_int_equal(bh_dsse_verify(&e, k), 1);
	assert_int_equal(bh_dsse_verify(&e, other), 0);
	/* a changed payload type is a changed PAE */
	free(e.payload_type);
	e.payload_type = bh_strdup("application/json");
	assert_int_equal(bh_dsse_verify(&e, k), 0);
	bh_dsse_release(&e);
	const char *bad[] = {
		"{}",
		"{\"payloadType\":\"t\",\"payload\":\"!!\",\"signatures\":[]}",
		"{\"payloadType\":\"t\",\"payload\":\"\",\"signatures\":[{\"keyid\":\"\"}]}",
		"{\"payloadType\":\"t\",\"payload\":\"\",\"signatures\":{}}",
		"[1]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(bh_dsse_parse(bad[i], strlen(bad[i]), &e, &err) < 0);
		assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
		bh_error_clear(&err);
	}
	bh_key_free(k);
	bh_key_free(other);
	bh_buf_release(&pae);
	bh_buf_release(&env);
}

static void test_intoto(void **state)
{
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	struct bh_digest d, d2;
	struct bh_intoto st;
	struct bh_error *err = NULL;
	json_t *pred = json_pack("{s:s}", "bomFormat", "CycloneDX");

	(void)state;
	bh_sha256("img", 3, &d);
	bh_sha256("other", 5, &d2);
	assert_int_equal(
		bh_intoto_build(false, "example/app", &d, BH_PREDICATE_CYCLONEDX, pred, &b, NULL),
		0);
	{
		char *want =
			bh_asprintf("{\"_type\":\"https://in-toto.io/Statement/v0.1\","
				    "\"predicateType\":\"https://cyclonedx.org/bom\",\"subject\":"
				    "[{\"name\":\"example/app\",\"digest\":{\"sha256\":\"%s\"}}],"
				    "\"predicate\":{\"bomFormat\":\"CycloneDX\"}}",
				    bh_digest_hex(&d));

		assert_string_equal(b.data, want);
		free(want);
	}
	assert_int_equal(bh_intoto_parse(b.data, b.len, &st, NULL), 0);
	assert_true(bh_intoto_has_subject(&st, &d));
	assert_false(bh_intoto_has_subject(&st, &d2));
	assert_string_equal(st.predicate_type, BH_PREDICATE_CYCLONEDX);
	bh_intoto_release(&st);
	bh_buf_reset(&b);
	assert_int_equal(bh_intoto_build(true, "x", &d, BH_PREDICATE_VULN, NULL, &b, NULL), 0);
	assert_non_null(strstr(b.data, "\"_type\":\"https://in-toto.io/Statement/v1\""));
	assert_non_null(strstr(b.data, "\"predicate\":{}"));
	const char *bad[] = {
		"{\"_type\":\"https://in-toto.io/Statement/"
		"v9\",\"predicateType\":\"x\",\"subject\":[{"
		"\"digest\":{}}]}",
		"{\"_type\":\"https://in-toto.io/Statement/"
		"v1\",\"predicateType\":\"x\",\"subject\":[]}",
		"{\"_type\":\"https://in-toto.io/Statement/"
		"v1\",\"predicateType\":\"x\",\"subject\":[1]}",
		"{\"predicateType\":\"x\",\"subject\":[]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(bh_intoto_parse(bad[i], strlen(bad[i]), &st, &err) < 0);
		bh_error_clear(&err);
	}
	json_decref(pred);
	bh_buf_release(&b);
}

/* ---- Sigstore bundles ----------------------------------------------------- */

static void test_sigbundle(void **state)
{
	struct bh_buf b = BH_BUF_INIT(1 << 20), st = BH_BUF_INIT(1 << 20);
	struct bh_key *k = NULL, *other = NULL;
	struct bh_sigbundle sb;
	struct bh_digest d, d2;
	char *why = NULL;

	(void)state;
	assert_int_equal(bh_key_generate(&k, NULL), 0);
	assert_int_equal(bh_key_generate(&other, NULL), 0);
	/* messageSignature over an artifact; verified for its digest only */
	assert_int_equal(bh_sigbundle_sign_message(k, "manifest bytes", 14, &b, NULL), 0);
	assert_true(bh_str_has_prefix(b.data,
				      "{\"mediaType\":\"" BH_BUNDLE_V03 "\","
				      "\"verificationMaterial\":{\"publicKey\":{\"hint\":\""));
	assert_int_equal(bh_sigbundle_parse(b.data, b.len, &sb, NULL), 0);
	assert_false(sb.is_dsse);
	assert_string_equal(sb.key_hint, bh_key_id(k));
	bh_sha256("manifest bytes", 14, &d);
	bh_sha256("other bytes", 11, &d2);
	assert_int_equal(bh_sigbundle_verify(&sb, k, &d, NULL, &why), 1);
	assert_null(why);
	assert_int_equal(bh_sigbundle_verify(&sb, k, &d2, NULL, &why), 0);
	assert_non_null(strstr(why, "another digest"));
	free(why);
	assert_int_equal(bh_sigbundle_verify(&sb, other, &d, NULL, &why), 0);
	assert_non_null(strstr(why, "not by this key"));
	free(why);
	bh_sigbundle_release(&sb);
	/* dsseEnvelope with a statement about d */
	bh_buf_reset(&b);
	assert_int_equal(
		bh_intoto_build(true, "app", &d, BH_PREDICATE_COSIGN_SIGN, NULL, &st, NULL), 0);
	assert_int_equal(
		bh_sigbundle_sign_dsse(k, BH_INTOTO_PAYLOAD_TYPE, st.data, st.len, &b, NULL), 0);
	assert_int_equal(bh_sigbundle_parse(b.data, b.len, &sb, NULL), 0);
	assert_true(sb.is_dsse);
	assert_int_equal(bh_sigbundle_verify(&sb, k, &d, BH_PREDICATE_COSIGN_SIGN, NULL), 1);
	assert_int_equal(bh_sigbundle_verify(&sb, k, &d2, NULL, &why), 0);
	assert_non_null(strstr(why, "another artifact"));
	free(why);
	assert_int_equal(bh_sigbundle_verify(&sb, k, &d, BH_PREDICATE_CYCLONEDX, &why), 0);
	assert_non_null(strstr(why, "predicate type"));
	free(why);
	assert_int_equal(bh_sigbundle_verify(&sb, other, &d, NULL, NULL), 0);
	bh_sigbundle_release(&sb);
	/* hostile bundles */
	const char *bad[] = {
		"{}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v9.9+json\"}",
		"{\"mediaType\":\"" BH_BUNDLE_V03 "\"}",
		"{\"mediaType\":\"" BH_BUNDLE_V03 "\",\"verificationMaterial\":{}}",
		"{\"mediaType\":\"" BH_BUNDLE_V03 "\",\"verificationMaterial\":{\"publicKey\":{}},"
		"\"messageSignature\":{}}",
		"{\"mediaType\":\"" BH_BUNDLE_V03 "\",\"verificationMaterial\":{\"publicKey\":{}},"
		"\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"SHA2_256\",\"digest\":"
		"\"AA\"},"
		"\"signature\":\"AA==\"}}",
		"{\"mediaType\":\"" BH_BUNDLE_V03 "\",\"verificationMaterial\":{\"publicKey\":{},"
		"\"tlogEntries\":{}},\"dsseEnvelope\":{}}",
		"{\"mediaType\":\"" BH_BUNDLE_V03 "\",\"verificationMaterial\":{\"publicKey\":{}},"
		"\"dsseEnvelope\":{},\"messageSignature\":{}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bh_error *err = NULL;

		if (bh_sigbundle_parse(bad[i], strlen(bad[i]), &sb, &err) == 0)
			fail_msg("bundle %zu parsed", i);
		bh_error_free(err);
	}
	/* a digest of the wrong length does not verify (no over-read) */
	{
		const char *s =
			"{\"mediaType\":\"" BH_BUNDLE_V03 "\",\"verificationMaterial\":{"
			"\"publicKey\":{}},\"messageSignature\":{\"messageDigest\":{"
			"\"algorithm\":\"SHA2_256\",\"digest\":\"AAAA\"},\"signature\":\"AA==\"}}";

		assert_int_equal(bh_sigbundle_parse(s, strlen(s), &sb, NULL), 0);
		assert_int_equal(bh_sigbundle_verify(&sb, k, &d, NULL, &why), 0);
		free(why);
		bh_sigbundle_release(&sb);
	}
	bh_key_free(k);
	bh_key_free(other);
	bh_buf_release(&b);
	bh_buf_release(&st);
}

/* ---- signature manifests -------------------------------------------------- */

static void test_sigmanifest(void **state)
{
	struct bh_buf man = BH_BUF_INIT(1 << 20), cfg = BH_BUF_INIT(1 << 20);
	struct trust_sigman sm = { 0 }, back;
	struct trust_desc l = { .media_type = (char *)TRUST_MT_SIMPLESIGN, .size = 10 };
	struct bh_error *err = NULL;

	(void)state;
	bh_sha256("payload-1", 9, &l.digest);
	l.annotations = json_pack("{s:s}", TRUST_ANN_SIGNATURE, "MEUC");
	trust_sigman_add(&sm, &l);
	assert_int_equal(trust_sigman_build(&sm, &man, &cfg, NULL), 0);
	/* go-containerregistry's config of cosign's one-layer signature image:
	 * 233 bytes, the size cosign's own signature manifests show */
	{
		char *want =
			bh_asprintf("{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\","
				    "\"history\":[{\"created\":\"0001-01-01T00:00:00Z\"}],\"os\":"
				    "\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]},"
				    "\"config\":{}}",
				    l.digest.str);

		assert_string_equal(cfg.data, want);
		assert_int_equal(cfg.len, 233);
		free(want);
	}
	assert_true(bh_str_has_prefix(man.data,
				      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd."
				      "oci.image.manifest.v1+json\",\"config\":{\"mediaType"
				      "\":\"application/vnd.oci.image.config.v1+json\","
				      "\"size\":233,"));
	assert_non_null(strstr(man.data, "\"layers\":[{\"mediaType\":\"application/vnd.dev.cosign."
					 "simplesigning.v1+json\",\"size\":10,\"digest\":\""));
	/* a second signer's layer keeps the first */
	bh_sha256("payload-2", 9, &l.digest);
	trust_sigman_add(&sm, &l);
	bh_buf_reset(&man);
	bh_buf_reset(&cfg);
	assert_int_equal(trust_sigman_build(&sm, &man, &cfg, NULL), 0);
	assert_int_equal(trust_sigman_parse(man.data, man.len, &back, NULL), 0);
	assert_int_equal(back.nlayers, 2);
	assert_string_equal(bh_json_str(back.layers[0].annotations, TRUST_ANN_SIGNATURE), "MEUC");
	trust_sigman_release(&back);
	const char *bad[] = {
		"{}",
		"{\"schemaVersion\":1,\"config\":{},\"layers\":[]}",
		"{\"schemaVersion\":2,\"config\":{},\"layers\":[{\"mediaType\":\"x\"}]}",
		"{\"schemaVersion\":2,\"config\":{},\"layers\":[{\"mediaType\":\"x\",\"size\":-1,"
		"\"digest\":\"sha256:"
		"9494e567c7c44e8b9f8808c1658a47c9b7979ef3cceef10f48754fc2706802ba\"}]}",
		"{\"schemaVersion\":2,\"config\":{},\"layers\":[{\"mediaType\":\"x\",\"size\":1,"
		"\"digest\":\"sha256:"
		"9494e567c7c44e8b9f8808c1658a47c9b7979ef3cceef10f48754fc2706802ba\","
		"\"annotations\":{\"a\":1}}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(trust_sigman_parse(bad[i], strlen(bad[i]), &back, &err) < 0);
		bh_error_clear(&err);
	}
	json_decref(l.annotations);
	trust_sigman_release(&sm);
	bh_buf_release(&man);
	bh_buf_release(&cfg);
}

/* ---- signing and verifying an OCI layout --------------------------------- */

static void put(const char *dir, const char *data, struct bh_digest *d)
{
	char *path;

	bh_sha256(data, strlen(data), d);
	path = bh_asprintf("%s/blobs/sha256/%s", dir, bh_digest_hex(d));
	assert_int_equal(bh_write_file_atomic(path, data, strlen(data), 0644, NULL), 0);
	free(path);
}

/* A one-layer OCI layout (the layer is never read by open, sign or verify),
 * tagged `ref`; returns the manifest digest. */
static void make_layout(const char *dir, const char *variant, struct bh_digest *mdig)
{
	struct bh_digest cd, ld;
	char *p = bh_asprintf("%s/blobs/sha256", dir), *cfg, *man, *idx;
	size_t mlen;

	assert_int_equal(bh_mkdirs(p, 0755, 0755, NULL), 0);
	free(p);
	put(dir, variant, &ld);
	cfg = bh_asprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{"
			  "\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
			  ld.str);
	put(dir, cfg, &cd);
	man = bh_asprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+"
		"json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+"
		"json\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
		"\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
		cd.str, strlen(cfg), ld.str, strlen(variant));
	put(dir, man, mdig);
	mlen = strlen(man);
	idx = bh_asprintf(
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci."
		"image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{"
		"\"org.opencontainers.image.ref.name\":\"v1\"}}]}",
		mdig->str, mlen);
	p = bh_asprintf("%s/index.json", dir);
	assert_int_equal(bh_write_file_atomic(p, idx, strlen(idx), 0644, NULL), 0);
	free(p);
	p = bh_asprintf("%s/oci-layout", dir);
	assert_int_equal(
		bh_write_file_atomic(p, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, NULL), 0);
	free(p);
	free(cfg);
	free(man);
	free(idx);
}

static void verify(const char *image, const struct bh_key *const *keys, size_t n, unsigned min,
		   const char *identity, struct bh_verify_result *r)
{
	struct bh_verify_opts o = {
		.keys = keys, .nkeys = n, .min_signatures = min, .identity = identity
	};
	struct bh_error *err = NULL;

	if (bh_verify_image(image, NULL, &o, r, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("verify: %s", m);
	}
}

static void test_sign_verify_layout(void **state)
{
	char *dir = unit_mktmp(), *image = bh_asprintf("oci:%s", dir);
	struct bh_key *a = NULL, *b = NULL, *c = NULL;
	struct bh_sign_result res;
	struct bh_verify_result vr;
	struct bh_sign_opts so = { .identity = "registry.example/team/app" };
	struct bh_digest md;

	(void)state;
	make_layout(dir, "layer one", &md);
	assert_int_equal(bh_key_generate(&a, NULL), 0);
	assert_int_equal(bh_key_generate(&b, NULL), 0);
	assert_int_equal(bh_key_generate(&c, NULL), 0);
	const struct bh_key *ab[] = { a, b }, *only_c[] = { c };

	/* nothing signed yet: verified no, no entries */
	verify(image, ab, 2, 1, NULL, &vr);
	assert_false(vr.verified);
	assert_int_equal(vr.nsigs, 0);
	assert_string_equal(vr.digest.str, md.str);
	bh_verify_result_release(&vr);

	assert_int_equal(bh_sign_image(image, NULL, a, &so, &res, NULL), 0);
	assert_string_equal(res.digest.str, md.str);
	assert_int_equal(res.nlayers, 1);
	bh_sign_result_release(&res);
	/* signing again with the same key adds nothing */
	assert_int_equal(bh_sign_image(image, NULL, a, &so, &res, NULL), 0);
	assert_true(res.already);
	assert_int_equal(res.nlayers, 1);
	bh_sign_result_release(&res);

	verify(image, ab, 2, 1, NULL, &vr);
	assert_true(vr.verified);
	assert_int_equal(vr.nvalid, 1);
	bh_verify_result_release(&vr);
	/* a threshold of two keys is not met by one */
	verify(image, ab, 2, 2, NULL, &vr);
	assert_false(vr.verified);
	bh_verify_result_release(&vr);
	/* the second signer's layer is added, the first kept */
	assert_int_equal(bh_sign_image(image, NULL, b, &so, &res, NULL), 0);
	assert_int_equal(res.nlayers, 2);
	bh_sign_result_release(&res);
	verify(image, ab, 2, 2, NULL, &vr);
	assert_true(vr.verified);
	assert_int_equal(vr.nsigs, 2);
	bh_verify_result_release(&vr);
	/* identity */
	verify(image, ab, 2, 1, "registry.example/team/app", &vr);
	assert_true(vr.verified);
	bh_verify_result_release(&vr);
	verify(image, ab, 2, 1, "registry.example/team/other", &vr);
	assert_false(vr.verified);
	assert_non_null(strstr(vr.sigs[0].reason, "docker-reference"));
	bh_verify_result_release(&vr);
	/* another key: listed with its reason */
	verify(image, only_c, 1, 1, NULL, &vr);
	assert_false(vr.verified);
	assert_int_equal(vr.nsigs, 2);
	assert_non_null(strstr(vr.sigs[0].reason, "not by this key"));
	bh_verify_result_release(&vr);

	/* the tag now names another image: its digest has no signature */
	{
		struct bh_digest md2;
		char *dir2 = unit_mktmp(), *cmd;

		make_layout(dir2, "layer two", &md2);
		cmd = bh_asprintf(
			"cp %s/blobs/sha256/* %s/blobs/sha256/ && cp %s/index.json "
			"%s/index.json.new && python3 -c \"import json,sys;"
			"a=json.load(open('%s/index.json'));b=json.load(open('%s/index.json'));"
			"b['manifests'][0]=a['manifests'][0];"
			"json.dump(b,open('%s/index.json','w'))\"",
			dir2, dir, dir2, dir, dir2, dir, dir);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		verify(image, ab, 2, 1, NULL, &vr);
		assert_false(vr.verified);
		assert_string_equal(vr.digest.str, md2.str);
		assert_int_equal(vr.nsigs, 0);
		bh_verify_result_release(&vr);
		unit_rmtmp(dir2);
	}
	bh_key_free(a);
	bh_key_free(b);
	bh_key_free(c);
	free(image);
	unit_rmtmp(dir);
}

/* A .sig layer whose payload names another digest, properly signed. */
static void test_payload_for_another_digest(void **state)
{
	char *dir = unit_mktmp(), *image = bh_asprintf("oci:%s", dir);
	struct bh_key *k = NULL;
	struct trust_store *st = NULL;
	struct bh_buf payload = BH_BUF_INIT(4096), sig = BH_BUF_INIT(512), b64s = BH_BUF_INIT(1024);
	struct bh_buf man = BH_BUF_INIT(1 << 20), cfg = BH_BUF_INIT(1 << 20);
	struct trust_sigman sm = { 0 };
	struct trust_desc l = { .media_type = (char *)TRUST_MT_SIMPLESIGN };
	struct bh_digest md, other, d;
	struct bh_verify_result vr;
	char *tag;
	const struct bh_key *keys[1];

	(void)state;
	make_layout(dir, "layer", &md);
	bh_sha256("elsewhere", 9, &other);
	assert_int_equal(bh_key_generate(&k, NULL), 0);
	keys[0] = k;
	assert_int_equal(bh_simplesign_build("r", &other, NULL, &payload, NULL), 0);
	assert_int_equal(bh_key_sign(k, payload.data, payload.len, &sig, NULL), 0);
	assert_int_equal(bh_base64_encode(sig.data, sig.len, &b64s, NULL), 0);
	assert_int_equal(trust_store_oci(dir, &st, NULL), 0);
	assert_int_equal(st->ops->put_blob(st, payload.data, payload.len, &l.digest, NULL), 0);
	l.size = (int64_t)payload.len;
	l.annotations = json_pack("{s:s}", TRUST_ANN_SIGNATURE, b64s.data);
	trust_sigman_add(&sm, &l);
	assert_int_equal(trust_sigman_build(&sm, &man, &cfg, NULL), 0);
	assert_int_equal(st->ops->put_blob(st, cfg.data, cfg.len, &d, NULL), 0);
	tag = trust_tag(&md, ".sig");
	assert_int_equal(st->ops->put_manifest(st, tag, TRUST_MT_OCI_MANIFEST, NULL, man.data,
					       man.len, &d, NULL),
			 0);
	verify(image, keys, 1, 1, NULL, &vr);
	assert_false(vr.verified);
	assert_int_equal(vr.nsigs, 1);
	assert_non_null(strstr(vr.sigs[0].reason, "not this image's digest"));
	bh_verify_result_release(&vr);
	/* a signature manifest whose payload blob is damaged */
	{
		char *p = bh_asprintf("%s/blobs/sha256/%s", dir, bh_digest_hex(&l.digest));

		assert_int_equal(bh_write_file_atomic(p, "tampered", 8, 0644, NULL), 0);
		free(p);
		verify(image, keys, 1, 1, NULL, &vr);
		assert_false(vr.verified);
		assert_non_null(vr.sigs[0].reason);
		bh_verify_result_release(&vr);
	}
	free(tag);
	json_decref(l.annotations);
	trust_sigman_release(&sm);
	trust_store_free(st);
	bh_key_free(k);
	bh_buf_release(&payload);
	bh_buf_release(&sig);
	bh_buf_release(&b64s);
	bh_buf_release(&man);
	bh_buf_release(&cfg);
	free(image);
	unit_rmtmp(dir);
}

static void test_attest_layout(void **state)
{
	char *dir = unit_mktmp(), *image = bh_asprintf("oci:%s", dir);
	struct bh_key *k = NULL;
	struct bh_sign_result res;
	struct bh_verify_result vr;
	struct bh_sign_opts so = { .bundle = true };
	struct bh_verify_opts o = { 0 };
	struct bh_digest md;
	json_t *pred = json_pack("{s:s}", "bomFormat", "CycloneDX");
	const struct bh_key *keys[1];

	(void)state;
	make_layout(dir, "layer", &md);
	assert_int_equal(bh_key_generate(&k, NULL), 0);
	keys[0] = k;
	assert_int_equal(
		bh_attest_image(image, NULL, k, &so, BH_PREDICATE_CYCLONEDX, pred, &res, NULL), 0);
	assert_non_null(res.bundle);
	assert_true(bh_str_has_suffix(res.tag, ".att"));
	bh_sign_result_release(&res);
	o.keys = keys;
	o.nkeys = 1;
	o.attestation = true;
	o.predicate_type = BH_PREDICATE_CYCLONEDX;
	assert_int_equal(bh_verify_image(image, NULL, &o, &vr, NULL), 0);
	assert_true(vr.verified);
	assert_int_equal(vr.nsigs, 2); /* the .att layer and the bundle referrer */
	bh_verify_result_release(&vr);
	o.predicate_type = BH_PREDICATE_VULN;
	assert_int_equal(bh_verify_image(image, NULL, &o, &vr, NULL), 0);
	assert_false(vr.verified);
	assert_int_equal(vr.nsigs, 0);
	bh_verify_result_release(&vr);
	/* an attestation is not a signature */
	o.attestation = false;
	o.predicate_type = NULL;
	assert_int_equal(bh_verify_image(image, NULL, &o, &vr, NULL), 0);
	assert_false(vr.verified);
	assert_int_equal(vr.nsigs, 0);
	bh_verify_result_release(&vr);
	json_decref(pred);
	bh_key_free(k);
	free(image);
	unit_rmtmp(dir);
}

/* A registry reference goes to the registry (here: one that is not there),
 * never to a file of that name; an engine's image keeps no signatures. */
static void test_registry_ref(void **state)
{
	struct bh_key *k = NULL;
	struct bh_sign_result res;
	struct bh_error *err = NULL;
	struct bh_registry_opts ro = { .timeout = 2 };
	struct bh_image_open_opts oo = { .registry = &ro };

	(void)state;
	assert_true(trust_is_registry_ref("registry.example:5000/team/app:1.2"));
	assert_true(trust_is_registry_ref("docker://alpine"));
	assert_false(trust_is_registry_ref("oci:/nonexistent"));
	assert_false(trust_is_registry_ref("docker-daemon:alpine:3"));
	assert_false(trust_is_registry_ref("containers-storage:alpine"));
	assert_int_equal(bh_key_generate(&k, NULL), 0);
	assert_true(bh_sign_image("127.0.0.1:1/team/app:1.2", &oo, k, NULL, &res, &err) < 0);
	assert_non_null(err);
	{
		char *m = bh_error_message(err);

		assert_non_null(strstr(m, "signing 127.0.0.1:1/team/app:1.2"));
		assert_non_null(strstr(m, "127.0.0.1:1"));
		free(m);
	}
	bh_error_clear(&err);
	bh_key_free(k);
}

/* The verification cache: what its key covers, what a hit gives back, and
 * what it refuses (expired, another key, others' files, damage). */
static void test_vcache(void **state)
{
	struct bh_key *a = NULL, *b = NULL;
	const struct bh_key *ab[2], *ba[2], *only_a[1];
	struct bh_verify_opts o = { 0 }, p;
	struct bh_verify_result r = { 0 }, got;
	struct bh_digest d, d2;
	char k1[65], k2[65], *dir = unit_mktmp(), *cache = bh_asprintf("%s/c", dir), *path;
	char *bundles[] = { "x.json", NULL };
	struct stat st;

	(void)state;
	assert_int_equal(bh_key_generate(&a, NULL), 0);
	assert_int_equal(bh_key_generate(&b, NULL), 0);
	ab[0] = a, ab[1] = b, ba[0] = b, ba[1] = a, only_a[0] = a;
	bh_sha256("one", 3, &d);
	bh_sha256("two", 3, &d2);
	o.keys = ab;
	o.nkeys = 2;
	o.min_signatures = 2;
	assert_true(trust_vcache_key("r.example/app", &d, &o, k1));
	assert_int_equal(strlen(k1), 64);
	/* the keys' order does not matter */
	p = o;
	p.keys = ba;
	assert_true(trust_vcache_key("r.example/app", &d, &p, k2));
	assert_string_equal(k1, k2);
	/* everything else does */
	assert_true(trust_vcache_key("r.example/other", &d, &o, k2));
	assert_string_not_equal(k1, k2);
	assert_true(trust_vcache_key("r.example/app", &d2, &o, k2));
	assert_string_not_equal(k1, k2);
	p = o;
	p.keys = only_a;
	p.nkeys = 1;
	p.min_signatures = 1;
	assert_true(trust_vcache_key("r.example/app", &d, &p, k2));
	assert_string_not_equal(k1, k2);
	p = o;
	p.min_signatures = 1;
	assert_true(trust_vcache_key("r.example/app", &d, &p, k2));
	assert_string_not_equal(k1, k2);
	p = o;
	p.identity = "";
	assert_true(trust_vcache_key("r.example/app", &d, &p, k2));
	assert_string_not_equal(k1, k2); /* an empty identity is not none */
	p = o;
	p.attestation = true;
	assert_true(trust_vcache_key("r.example/app", &d, &p, k2));
	assert_string_not_equal(k1, k2);
	p.predicate_type = BH_PREDICATE_VULN;
	assert_true(trust_vcache_key("r.example/app", &d, &p, k1) && strcmp(k1, k2));
	assert_true(trust_vcache_key("r.example/app", &d, &o, k1));
	p = o;
	p.bundle_paths = bundles;
	assert_false(trust_vcache_key("r.example/app", &d, &p, k2));

	/* a verified result comes back whole, marked cached */
	r.digest = d;
	r.image_name = bh_strdup("r.example/app");
	r.sigs = bh_calloc(1, sizeof(*r.sigs));
	r.nsigs = 1;
	r.sigs[0].where = bh_strdup("sha256-x.sig layer 1");
	r.sigs[0].ok = true;
	r.sigs[0].key_id = bh_strdup(bh_key_id(a));
	r.sigs[0].docker_reference = bh_strdup("r.example/app");
	r.nvalid = 2;
	r.verified = true;
	r.checked_at = 1000;
	assert_int_equal(trust_vcache_get(cache, k1, 1000, &got), 0); /* nothing yet */
	trust_vcache_put(cache, k1, "r.example/app", 1000, 60, &r);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	path = bh_asprintf("%s/%s", cache, k1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(trust_vcache_get(cache, k1, 1030, &got), 1);
	assert_true(got.verified && got.cached);
	assert_string_equal(got.digest.str, d.str);
	assert_int_equal(got.nvalid, 2);
	assert_int_equal(got.checked_at, 1000);
	assert_int_equal(got.nsigs, 1);
	assert_string_equal(got.sigs[0].key_id, bh_key_id(a));
	assert_string_equal(got.sigs[0].where, "sha256-x.sig layer 1");
	bh_verify_result_release(&got);
	/* expired; written in the future; under another key's name; others may write it */
	assert_int_equal(trust_vcache_get(cache, k1, 1060, &got), 0);
	assert_int_equal(trust_vcache_get(cache, k1, 900, &got), 0);
	{
		char *other = bh_asprintf("%s/%s", cache, k2);

		assert_int_equal(link(path, other), 0);
		assert_int_equal(trust_vcache_get(cache, k2, 1030, &got), 0);
		free(other);
	}
	assert_int_equal(chmod(path, 0622), 0);
	assert_int_equal(trust_vcache_get(cache, k1, 1030, &got), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(bh_write_file_atomic(path, "{\"version\":1,", 13, 0600, NULL), 0);
	assert_int_equal(trust_vcache_get(cache, k1, 1030, &got), 0);
	/* a "no" is never kept */
	r.verified = false;
	trust_vcache_put(cache, k2, "r.example/app", 1000, 60, &r);
	unlink(path);
	trust_vcache_put(cache, k1, "r.example/app", 1000, 60, &r);
	assert_int_equal(trust_vcache_get(cache, k1, 1030, &got), 0);
	free(path);
	bh_verify_result_release(&r);
	bh_key_free(a);
	bh_key_free(b);
	free(cache);
	unit_rmtmp(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pem),
		cmocka_unit_test(test_sealed_vectors),
		cmocka_unit_test(test_sealed_hostile),
		cmocka_unit_test(test_key_roundtrip),
		cmocka_unit_test(test_key_sigstore_label),
		cmocka_unit_test(test_key_openssl_files),
		cmocka_unit_test(test_key_save_pair),
		cmocka_unit_test(test_simplesign_exact),
		cmocka_unit_test(test_simplesign_hostile),
		cmocka_unit_test(test_dsse),
		cmocka_unit_test(test_intoto),
		cmocka_unit_test(test_sigbundle),
		cmocka_unit_test(test_sigmanifest),
		cmocka_unit_test(test_sign_verify_layout),
		cmocka_unit_test(test_payload_for_another_digest),
		cmocka_unit_test(test_attest_layout),
		cmocka_unit_test(test_registry_ref),
		cmocka_unit_test(test_vcache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
