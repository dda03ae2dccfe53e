/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust core's keys: strict PEM, go-securesystemslib's encrypted
 * envelope (its own test vectors, hostile input), cosign key files round
 * trip, the sigstore label, keys from openssl files, a saved key pair.
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
	};

	return cmocka_run_group_tests_name("trust keys", tests, NULL, NULL);
}
