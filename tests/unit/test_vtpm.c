/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vTPM's certificates without a TPM: an EK certificate built here
 * (bh_vtpm_cert_tbs, signed by a software key as the host TPM would) parsed
 * back and verified; another host key, another EK, a CA certificate, edited
 * and truncated certificates; the certificate swtpm's EK got in
 * tests/e2e/vtpm.test (fuzz/corpus/vtpm_cert) parsed. An AK certificate
 * (bh_vtpm_cert_tbs_ak) checked by bh_vtpm_ak_check: the host key's, naming
 * the EK of the EK certificate given; another host key, an EK certificate
 * given as the AK's, an AK certificate naming another EK are refused.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/trust.h"
#include "bulkhead/vtpm.h"

static char dir[] = "/tmp/bh-test-vtpm.XXXXXX";

static char *put(const char *name, const void *p, size_t n)
{
	char *path = bh_asprintf("%s/%s", dir, name);

	assert_int_equal(bh_write_file_atomic(path, p, n, 0600, NULL), 0);
	return path;
}

static char *pub_file(const char *name, const struct bh_key *k)
{
	struct bh_buf pem = BH_BUF_INIT(4096);
	char *path;

	assert_int_equal(bh_key_pem_public(k, &pem, NULL), 0);
	path = put(name, pem.data, pem.len);
	bh_buf_release(&pem);
	return path;
}

/* A certificate for `subject`'s key signed by `issuer`, as PEM in out. */
static void make_cert(const struct bh_key *issuer, const struct bh_key *subject, bool ca,
		      struct bh_buf *out)
{
	struct bh_buf spki = BH_BUF_INIT(256), tbs = BH_BUF_INIT(BH_VTPM_CERT_MAX),
		      sig = BH_BUF_INIT(256);

	assert_int_equal(bh_key_spki(subject, &spki, NULL), 0);
	assert_int_equal(bh_vtpm_cert_tbs(BH_VTPM_CA_NAME,
					  ca ? BH_VTPM_CA_NAME : "bulkhead vTPM EK c1",
					  (const uint8_t *)spki.data, spki.len, ca, &tbs, NULL),
			 0);
	assert_int_equal(bh_key_sign(issuer, tbs.data, tbs.len, &sig, NULL), 0);
	assert_int_equal(bh_vtpm_cert_pem(&tbs, sig.data, sig.len, out, NULL), 0);
	bh_buf_release(&spki);
	bh_buf_release(&tbs);
	bh_buf_release(&sig);
}

static void expect(const char *cert, const char *host, const char *ek, bool verified,
		   const char *reason)
{
	struct bh_error *err = NULL;
	json_t *rep = NULL;

	assert_int_equal(bh_vtpm_verify(cert, host, ek, &rep, &err), 0);
	assert_null(err);
	assert_int_equal(json_is_true(json_object_get(rep, "verified")), verified);
	if (reason)
		assert_non_null(strstr(bh_json_str(rep, "reason"), reason));
	json_decref(rep);
}

static void test_verify(void **state)
{
	struct bh_key *host, *other, *ek;
	struct bh_buf pem = BH_BUF_INIT(8192), capem = BH_BUF_INIT(8192);
	struct bh_vtpm_cert c;
	char *cert, *ca, *hostf, *otherf, *ekf;

	(void)state;
	assert_int_equal(bh_key_generate(&host, NULL), 0);
	assert_int_equal(bh_key_generate(&other, NULL), 0);
	assert_int_equal(bh_key_generate(&ek, NULL), 0);
	make_cert(host, ek, false, &pem);
	make_cert(host, host, true, &capem);
	cert = put("ek.crt", pem.data, pem.len);
	ca = put("ca.crt", capem.data, capem.len);
	hostf = pub_file("host.pem", host);
	otherf = pub_file("other.pem", other);
	ekf = pub_file("ek.pem", ek);

	assert_int_equal(bh_vtpm_cert_parse(pem.data, pem.len, &c, NULL), 0);
	assert_string_equal(c.subject, "bulkhead vTPM EK c1");
	assert_string_equal(c.issuer, BH_VTPM_CA_NAME);
	assert_true(c.ek);
	bh_vtpm_cert_release(&c);

	expect(cert, hostf, NULL, true, NULL);
	expect(cert, hostf, ekf, true, NULL);
	expect(cert, otherf, NULL, false, "not the host key's");
	expect(cert, hostf, otherf, false, "not the certified one");
	expect(ca, hostf, NULL, false, "not an EK certificate");
	free(cert);
	free(ca);
	free(hostf);
	free(otherf);
	free(ekf);
	bh_key_free(host);
	bh_key_free(other);
	bh_key_free(ek);
	bh_buf_release(&pem);
	bh_buf_release(&capem);
}

static char *ak_cert(const struct bh_key *issuer, const struct bh_key *ak, const char *ek_id)
{
	struct bh_buf spki = BH_BUF_INIT(256), tbs = BH_BUF_INIT(BH_VTPM_CERT_MAX),
		      sig = BH_BUF_INIT(256), pem = BH_BUF_INIT(8192);
	char *path;

	assert_int_equal(bh_key_spki(ak, &spki, NULL), 0);
	assert_int_equal(bh_vtpm_cert_tbs_ak(BH_VTPM_CA_NAME, BH_VTPM_AK_PREFIX "c1", ek_id,
					     (const uint8_t *)spki.data, spki.len, &tbs, NULL),
			 0);
	assert_int_equal(bh_key_sign(issuer, tbs.data, tbs.len, &sig, NULL), 0);
	assert_int_equal(bh_vtpm_cert_pem(&tbs, sig.data, sig.len, &pem, NULL), 0);
	path = put("ak.crt", pem.data, pem.len);
	bh_buf_release(&spki);
	bh_buf_release(&tbs);
	bh_buf_release(&sig);
	bh_buf_release(&pem);
	return path;
}

static void expect_ak(const char *cert, const char *host, const char *ek, const struct bh_key *ak,
		      bool verified, const char *reason)
{
	struct bh_error *err = NULL;
	struct bh_key *k = NULL;
	json_t *rep = NULL;

	assert_int_equal(bh_vtpm_ak_check(cert, host, ek, &k, &rep, &err), 0);
	assert_null(err);
	assert_non_null(k);
	if (ak)
		assert_string_equal(bh_key_id(k), bh_key_id(ak));
	assert_int_equal(json_is_true(json_object_get(rep, "verified")), verified);
	if (reason)
		assert_non_null(strstr(bh_json_str(rep, "reason"), reason));
	bh_key_free(k);
	json_decref(rep);
}

static void test_ak(void **state)
{
	struct bh_key *host, *other, *ek, *ak, *k = NULL;
	struct bh_buf pem = BH_BUF_INIT(8192), raw = BH_BUF_INIT(BH_VTPM_CERT_MAX);
	struct bh_vtpm_cert c;
	struct bh_error *err = NULL;
	json_t *rep = NULL;
	char *ekc, *akc, *hostf, *otherf;

	(void)state;
	assert_int_equal(bh_key_generate(&host, NULL), 0);
	assert_int_equal(bh_key_generate(&other, NULL), 0);
	assert_int_equal(bh_key_generate(&ek, NULL), 0);
	assert_int_equal(bh_key_generate(&ak, NULL), 0);
	make_cert(host, ek, false, &pem);
	ekc = put("ek.crt", pem.data, pem.len);
	hostf = pub_file("host.pem", host);
	otherf = pub_file("other.pem", other);
	akc = ak_cert(host, ak, bh_key_id(ek));

	assert_int_equal(bh_read_file(akc, &raw, NULL), 0);
	assert_int_equal(bh_vtpm_cert_parse(raw.data, raw.len, &c, NULL), 0);
	assert_string_equal(c.subject, BH_VTPM_AK_PREFIX "c1");
	assert_string_equal(c.serial, bh_key_id(ek));
	assert_true(c.ak);
	assert_false(c.ek);
	bh_vtpm_cert_release(&c);
	assert_int_equal(
		bh_vtpm_cert_tbs_ak(BH_VTPM_CA_NAME, "x", "", (const uint8_t *)"", 0, &raw, &err),
		-1);
	assert_error(err, BH_ERR_INVALID, "without its EK");
	bh_error_free(err);
	err = NULL;

	expect_ak(akc, hostf, NULL, ak, true, NULL);
	expect_ak(akc, hostf, ekc, ak, true, NULL);
	expect_ak(akc, otherf, ekc, ak, false, "not the host key's");
	expect_ak(ekc, hostf, NULL, ek, false, "not an AK certificate");
	expect_ak(akc, hostf, akc, ak, false, "not an EK certificate");
	free(akc);
	akc = ak_cert(host, ak, bh_key_id(other)); /* another vTPM's EK */
	expect_ak(akc, hostf, ekc, ak, false, "names another EK");
	free(akc);
	akc = ak_cert(other, ak, bh_key_id(ek)); /* certified by another host key */
	expect_ak(akc, hostf, ekc, ak, false, "not the host key's");

	assert_int_equal(bh_vtpm_ak_check(dir, hostf, NULL, &k, &rep, &err), -1);
	assert_null(k);
	assert_null(rep);
	assert_non_null(err);
	bh_error_free(err);

	free(ekc);
	free(akc);
	free(hostf);
	free(otherf);
	bh_key_free(host);
	bh_key_free(other);
	bh_key_free(ek);
	bh_key_free(ak);
	bh_buf_release(&pem);
	bh_buf_release(&raw);
}

static void test_hostile(void **state)
{
	uint8_t der[2048];
	struct bh_vtpm_cert c;
	struct bh_error *err = NULL;
	FILE *f = fopen("fuzz/corpus/vtpm_cert/ek.der", "rb");
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(der, 1, sizeof(der) - 1, f);
	fclose(f);
	assert_int_equal(bh_vtpm_cert_parse(der, n, &c, NULL), 0);
	assert_true(c.ek);
	assert_int_equal(strncmp(c.subject, BH_VTPM_EK_PREFIX, strlen(BH_VTPM_EK_PREFIX)), 0);
	bh_vtpm_cert_release(&c);
	/* every truncation is an error, never a read past the end */
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(bh_vtpm_cert_parse(der, k, &c, &err), -1);
		bh_error_clear(&err);
	}
	der[n] = 0;
	assert_int_equal(bh_vtpm_cert_parse(der, n + 1, &c, &err), -1);
	assert_error(err, BH_ERR_INVALID, "bytes after its end");
	bh_error_clear(&err);
	assert_int_equal(bh_vtpm_cert_parse("-----BEGIN CERTIFICATE-----\nMIIB\n", 33, &c, &err),
			 -1);
	assert_error(err, BH_ERR_INVALID, "without its END");
	bh_error_clear(&err);
	{
		uint8_t mod[2048];
		size_t len;

		/* the serial (after the version [0]) an OCTET STRING, not an INTEGER */
		memcpy(mod, der, n);
		for (size_t k = 0; k + 6 < n; k++)
			if (!memcmp(mod + k, "\xa0\x03\x02\x01\x02\x02", 6)) {
				mod[k + 5] = 0x04;
				break;
			}
		assert_int_equal(bh_vtpm_cert_parse(mod, n, &c, &err), -1);
		assert_error(err, BH_ERR_INVALID, "serialNumber is not an INTEGER");
		bh_error_clear(&err);
		/* a NULL after the signature, inside the certificate's SEQUENCE */
		memcpy(mod, der, n);
		assert_int_equal(mod[0], 0x30);
		assert_int_equal(mod[1], 0x82);
		len = ((size_t)mod[2] << 8 | mod[3]) + 2;
		mod[2] = (uint8_t)(len >> 8);
		mod[3] = (uint8_t)len;
		mod[n] = 0x05;
		mod[n + 1] = 0x00;
		assert_int_equal(bh_vtpm_cert_parse(mod, n + 2, &c, &err), -1);
		assert_error(err, BH_ERR_INVALID, "bytes after its signature");
		bh_error_clear(&err);
	}
	/* another signature algorithm (ecdsa-with-SHA384) */
	for (size_t k = 0; k + 10 < n; k++)
		if (!memcmp(der + k, "\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 10))
			der[k + 9] = 3;
	assert_int_equal(bh_vtpm_cert_parse(der, n, &c, &err), -1);
	assert_error(err, BH_ERR_UNSUPPORTED, "ECDSA SHA-256");
	bh_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_ak),
		cmocka_unit_test(test_hostile),
	};
	int r;

	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	bh_remove_tree(AT_FDCWD, dir, NULL);
	return r;
}
