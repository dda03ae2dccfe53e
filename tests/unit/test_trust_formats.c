/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust core's formats, with hostile input throughout: the
 * simple-signing payload byte for byte against a digest cosign's format is
 * known by, DSSE (the spec's PAE vector), in-toto, Sigstore bundles,
 * signature manifests.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/trust.h"
#include "trust/internal.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simplesign_exact),
		cmocka_unit_test(test_simplesign_hostile),
		cmocka_unit_test(test_dsse),
		cmocka_unit_test(test_intoto),
		cmocka_unit_test(test_sigbundle),
		cmocka_unit_test(test_sigmanifest),
	};

	return cmocka_run_group_tests_name("trust formats", tests, NULL, NULL);
}
