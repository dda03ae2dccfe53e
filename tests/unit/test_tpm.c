/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/tpm without a TPM: the TPMS_ATTEST / TPMT_SIGNATURE / PCR-file parsers
 * on a quote swtpm made through tpm2-tools (fuzz/corpus/tpm_quote), and
 * bh_tpm_verify on quotes made here: a log of two launches, a TPMS_ATTEST over
 * its replayed PCR 16 signed by a software key as a TPM would, then the log
 * edited, cut, reordered, and the nonce and key changed.
 */
#include <unistd.h>

#include "unit.h"
#include "bulkhead/tpm.h"
#include "bulkhead/trust.h"

static size_t slurp(const char *path, uint8_t *buf, size_t max)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, max, f);
	fclose(f);
	return n;
}

static void sha(const void *p, size_t n, uint8_t out[32])
{
	struct bh_digest d;

	bh_sha256(p, n, &d);
	assert_int_equal(bh_hex_decode(bh_digest_hex(&d), 64, 0, out, 32), 32);
}

static void test_parse_tpm2_tools_quote(void **state)
{
	uint8_t buf[1024], vals[BH_TPM_PCRS][32];
	struct bh_tpm_attest a;
	struct bh_buf der = BH_BUF_INIT(256);
	struct bh_error *err = NULL;
	uint32_t mask;
	size_t n;

	n = slurp("fuzz/corpus/tpm_quote/tpm2-tools.msg", buf, sizeof(buf));
	assert_int_equal(bh_tpm_attest_parse(buf, n, &a, &err), 0);
	assert_int_equal(a.nonce_len, 2);
	assert_memory_equal(a.nonce, "\xab\xcd", 2);
	assert_int_equal(a.pcr_mask, (1u << 16) | (1u << 23));
	assert_int_equal(a.pcr_digest_len, 32);
	/* truncated, and another type */
	assert_int_equal(bh_tpm_attest_parse(buf, n - 1, &a, &err), -1);
	assert_error(err, BH_ERR_INVALID, "truncated");
	bh_error_clear(&err);
	buf[5] = 0x17;
	assert_int_equal(bh_tpm_attest_parse(buf, n, &a, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not a quote");
	bh_error_clear(&err);

	n = slurp("fuzz/corpus/tpm_quote/tpm2-tools.sig", buf, sizeof(buf));
	assert_int_equal(bh_tpm_sig_parse(buf, n, &der, &err), 0);
	assert_int_equal((uint8_t)der.data[0], 0x30);
	bh_buf_release(&der);

	n = slurp("fuzz/corpus/tpm_quote/tpm2-tools-2pcrs.pcrs", buf, sizeof(buf));
	assert_int_equal(bh_tpm_pcrs_parse(buf, n, &mask, vals, &err), 0);
	assert_int_equal(mask, (1u << 16) | (1u << 23));
	assert_int_equal(vals[16][0], 0x90); /* 0x90F4B395...: extended with 0..01 */
	assert_int_equal(bh_tpm_pcrs_parse(buf, n - 2, &mask, vals, &err), -1);
	assert_error(err, BH_ERR_INVALID, "PCR file");
	bh_error_free(err);
}

static void test_pcr_list(void **state)
{
	struct bh_error *err = NULL;
	uint32_t m;

	assert_int_equal(bh_tpm_pcr_list("16,23,0", &m, &err), 0);
	assert_int_equal(m, (1u << 16) | (1u << 23) | 1u);
	assert_int_equal(bh_tpm_pcr_list("16,24", &m, &err), -1);
	assert_error(err, BH_ERR_USAGE, "PCR 24 is out of range");
	bh_error_clear(&err);
	assert_int_equal(bh_tpm_pcr_list("16,,", &m, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(bh_tpm_pcr_check(10, true, &err), -1);
	assert_error(err, BH_ERR_USAGE, "IMA");
	bh_error_free(err);
	assert_int_equal(bh_tpm_pcr_check(10, false, NULL), 0);
}

/* One log line for container id, and its digest extended into pcr16. */
static void entry(FILE *f, int rec, const char *id, uint8_t pcr16[32])
{
	json_t *c = json_pack(
		"{ss ss}", "container", id, "config_digest",
		"sha256:0000000000000000000000000000000000000000000000000000000000000000");
	char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS), *cs = json_dumps(c, JSON_COMPACT);
	uint8_t d[32], cat[64];
	char hex[65];

	sha(s, strlen(s), d);
	bh_hex_encode(d, 32, hex);
	fprintf(f,
		"{\"recnum\":%d,\"pcr\":16,\"digests\":[{\"hashAlg\":\"sha256\",\"digest\":\"%s\"}]"
		","
		"\"content_type\":\"bulkhead_launch\",\"content\":%s}\n",
		rec, hex, cs);
	memcpy(cat, pcr16, 32);
	memcpy(cat + 32, d, 32);
	sha(cat, 64, pcr16);
	free(s);
	free(cs);
	json_decref(c);
}

static void put16(uint8_t **p, unsigned v)
{
	*(*p)++ = (uint8_t)(v >> 8);
	*(*p)++ = (uint8_t)v;
}

/* A quote of PCR 16 = pcr16 over nonce, signed by k, as dir/q.msg and q.sig. */
static void make_quote(const char *dir, struct bh_key *k, const char *nonce,
		       const uint8_t pcr16[32])
{
	uint8_t msg[256], *p = msg, pd[32], sig[128], *s = sig;
	struct bh_buf der = BH_BUF_INIT(256);
	const uint8_t *r, *q;
	size_t rl, sl;
	char path[512];
	FILE *f;

	memcpy(p, "\xff\x54\x43\x47\x80\x18", 6), p += 6;
	put16(&p, 0);			    /* qualifiedSigner */
	put16(&p, (unsigned)strlen(nonce)); /* extraData */
	memcpy(p, nonce, strlen(nonce)), p += strlen(nonce);
	memset(p, 0, 17 + 8), p += 17 + 8;		  /* clockInfo, firmware */
	memcpy(p, "\0\0\0\1\0\x0b\3\0\0\1", 10), p += 10; /* sha256: PCR 16 */
	sha(pcr16, 32, pd);
	put16(&p, 32);
	memcpy(p, pd, 32), p += 32;
	assert_int_equal(bh_key_sign(k, msg, (size_t)(p - msg), &der, NULL), 0);
	/* DER SEQUENCE { INTEGER r, INTEGER s } -> TPMT_SIGNATURE */
	r = (const uint8_t *)der.data + 2;
	rl = r[1];
	q = r + 2 + rl;
	sl = q[1];
	put16(&s, 0x18);
	put16(&s, 0x0b);
	put16(&s, (unsigned)rl);
	memcpy(s, r + 2, rl), s += rl;
	put16(&s, (unsigned)sl);
	memcpy(s, q + 2, sl), s += sl;
	snprintf(path, sizeof(path), "%s/q.msg", dir);
	assert_non_null(f = fopen(path, "wb"));
	fwrite(msg, 1, (size_t)(p - msg), f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/q.sig", dir);
	assert_non_null(f = fopen(path, "wb"));
	fwrite(sig, 1, (size_t)(s - sig), f);
	fclose(f);
	bh_buf_release(&der);
}

static void write_pem(const char *path, struct bh_key *k)
{
	struct bh_buf pem = BH_BUF_INIT(4096);
	FILE *f;

	assert_int_equal(bh_key_pem_public(k, &pem, NULL), 0);
	assert_non_null(f = fopen(path, "wb"));
	fwrite(pem.data, 1, pem.len, f);
	fclose(f);
	bh_buf_release(&pem);
}

/* verify with log (lines of the good log in order), nonce, key: verified? */
static int verify(const char *dir, const char *lines, const char *nonce, const char *ak,
		  const char **reason)
{
	char good[512], log[512], msg[512], sig[512], akp[512];
	struct bh_tpm_verify_in in = { 0 };
	struct bh_error *err = NULL;
	static char why[512];
	char l[4][1024];
	json_t *rep = NULL;
	FILE *f;
	int n = 0, v;

	snprintf(good, sizeof(good), "%s/good.log", dir);
	assert_non_null(f = fopen(good, "r"));
	while (n < 4 && fgets(l[n], sizeof(l[n]), f))
		n++;
	fclose(f);
	snprintf(log, sizeof(log), "%s/t.log", dir);
	assert_non_null(f = fopen(log, "w"));
	for (const char *c = lines; *c; c++)
		fputs(l[*c - '0'], f);
	fclose(f);
	snprintf(msg, sizeof(msg), "%s/q.msg", dir);
	snprintf(sig, sizeof(sig), "%s/q.sig", dir);
	snprintf(akp, sizeof(akp), "%s/%s", dir, ak);
	in = (struct bh_tpm_verify_in){ .log = log,
					.quote = msg,
					.sig = sig,
					.ak = akp,
					.nonce = (const uint8_t *)nonce,
					.nonce_len = strlen(nonce) };
	assert_int_equal(bh_tpm_verify(&in, &rep, &err), 0);
	v = json_is_true(json_object_get(rep, "verified"));
	snprintf(why, sizeof(why), "%s", v ? "" : bh_json_str(rep, "reason"));
	*reason = why;
	if (v)
		assert_int_equal(json_array_size(json_object_get(rep, "launched")), strlen(lines));
	json_decref(rep);
	return v;
}

static void test_verify_replay(void **state)
{
	char *dir = unit_mktmp(), path[512];
	struct bh_key *k = NULL, *other = NULL;
	uint8_t pcr16[32] = { 0 };
	const char *why;
	FILE *f;

	assert_int_equal(bh_key_generate(&k, NULL), 0);
	assert_int_equal(bh_key_generate(&other, NULL), 0);
	snprintf(path, sizeof(path), "%s/good.log", dir);
	assert_non_null(f = fopen(path, "w"));
	entry(f, 0, "first", pcr16);
	entry(f, 1, "second", pcr16);
	entry(f, 2, "third", pcr16);
	fclose(f);
	make_quote(dir, k, "n0nce", pcr16);
	snprintf(path, sizeof(path), "%s/ak.pem", dir);
	write_pem(path, k);
	snprintf(path, sizeof(path), "%s/other.pem", dir);
	write_pem(path, other);

	assert_true(verify(dir, "012", "n0nce", "ak.pem", &why));
	assert_false(verify(dir, "01", "n0nce", "ak.pem", &why)); /* the last removed */
	assert_non_null(strstr(why, "does not replay"));
	assert_false(verify(dir, "021", "n0nce", "ak.pem", &why)); /* reordered */
	assert_non_null(strstr(why, "reordered"));
	assert_false(verify(dir, "12", "n0nce", "ak.pem", &why)); /* the first removed */
	assert_false(verify(dir, "012", "n0ncf", "ak.pem", &why));
	assert_non_null(strstr(why, "another nonce"));
	assert_false(verify(dir, "012", "n0nce", "other.pem", &why));
	assert_non_null(strstr(why, "not the attestation key's"));
	/* an edited content: its digest no longer matches */
	snprintf(path, sizeof(path), "%s/good.log", dir);
	{
		char buf[4096];
		size_t n;
		char *p;

		assert_non_null(f = fopen(path, "r"));
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		assert_non_null(p = strstr(buf, "second"));
		p[0] = 'S';
		assert_non_null(f = fopen(path, "w"));
		fwrite(buf, 1, n, f);
		fclose(f);
	}
	assert_false(verify(dir, "012", "n0nce", "ak.pem", &why));
	assert_non_null(strstr(why, "edited"));
	bh_key_free(k);
	bh_key_free(other);
	unit_rmtmp(dir);
}

static void test_log_parse_errors(void **state)
{
	static const struct {
		const char *log, *want;
	} bad[] = {
		{ "{\"recnum\":0}", "no newline" },
		{ "[]\n", "not a JSON object" },
		{ "{\"recnum\":0,\"pcr\":24,\"digests\":[]}\n", "pcr 0-23" },
		{ "{\"recnum\":0,\"pcr\":16,\"digests\":[{\"hashAlg\":\"sha256\",\"digest\":\"ab\"}"
		  "]}\n",
		  "64 hex" },
		{ "{\"recnum\":0,\"pcr\":16,\"digests\":[]}\n", "no sha256 digest" },
		{ "{\n", "line 1" },
	};
	struct bh_error *err = NULL;
	json_t *e = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bh_tpm_log_parse(bad[i].log, strlen(bad[i].log), &e, &err), -1);
		assert_null(e);
		assert_error(err, bh_error_code(err), bad[i].want);
		bh_error_clear(&err);
	}
	assert_int_equal(bh_tpm_log_parse("", 0, &e, &err), 0);
	assert_int_equal(json_array_size(e), 0);
	json_decref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tpm2_tools_quote),
		cmocka_unit_test(test_pcr_list),
		cmocka_unit_test(test_verify_replay),
		cmocka_unit_test(test_log_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
