/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/tpm against an swtpm this test starts (skipped without swtpm): a PCR
 * extended between the quote and the PCR read that follows it (as a launch
 * measured meanwhile through a resource manager would) must not leave a
 * pcrs.out whose values are not the quoted ones: the values written always
 * hash to the quote's PCR digest, and a PCR that never stops changing is a
 * clear error after BH_TPM_QUOTE_TRIES quotes, nothing written. And
 * tpm_primary, the one find-or-make of every persisted key: made once, found
 * after (the same key), a key of another template found there refused with
 * the reason and its handle handed back for evicting.
 */
#include <sys/stat.h>

#include "unit.h"
#include "bulkhead/tpm.h"
#include "tpm/internal.h"
#include "swtpm_env.h"

static int setup(void **state)
{
	*state = swtpm_env_start();
	return 0;
}

static int teardown(void **state)
{
	swtpm_env_stop(*state);
	return 0;
}

static unsigned hook_calls, hook_extends;

/* Extend PCR 16 between the quote and the read, the first hook_extends times. */
static void extend_between(struct bh_tpm *t, unsigned attempt)
{
	uint8_t d[32];
	struct bh_error *err = NULL;

	hook_calls++;
	if (attempt >= hook_extends)
		return;
	memset(d, (int)(0x40 + attempt), sizeof(d));
	assert_int_equal(bh_tpm_extend(t, 16, d, &err), 0);
}

static size_t slurp(const char *dir, const char *name, uint8_t *buf, size_t max)
{
	char path[4200];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, max, f);
	fclose(f);
	return n;
}

/* pcrs.out's values of the quoted PCRs hash to the quote's PCR digest. */
static void assert_pcrs_are_quoted(const char *dir)
{
	static uint8_t buf[BH_TPM_FILE_MAX];
	uint8_t vals[BH_TPM_PCRS][32], cat[BH_TPM_PCRS * 32];
	struct bh_tpm_attest a;
	struct bh_error *err = NULL;
	struct bh_digest dg;
	uint32_t mask;
	uint8_t d[32];
	size_t n = 0;

	assert_int_equal(
		bh_tpm_attest_parse(buf, slurp(dir, "quote.msg", buf, sizeof(buf)), &a, &err), 0);
	assert_int_equal(
		bh_tpm_pcrs_parse(buf, slurp(dir, "pcrs.out", buf, sizeof(buf)), &mask, vals, &err),
		0);
	assert_int_equal(mask, a.pcr_mask);
	for (int p = 0; p < BH_TPM_PCRS; p++)
		if (mask & (1u << p))
			memcpy(cat + 32 * n++, vals[p], 32);
	bh_sha256(cat, 32 * n, &dg);
	assert_int_equal(bh_hex_decode(bh_digest_hex(&dg), 64, 0, d, 32), 32);
	assert_int_equal(a.pcr_digest_len, 32);
	assert_memory_equal(a.pcr_digest, d, 32);
}

static void test_extend_between_quote_and_read(void **state)
{
	struct swtpm_env *s = *state;
	struct bh_tpm *t = NULL;
	struct bh_error *err = NULL;
	char *out;

	SWTPM_ENV_NEED(s);
	out = unit_mktmp();
	assert_int_equal(bh_tpm_open(s->tcti, &t, &err), 0);
	/* two launches land between quote and read: the third quote is written */
	tpm_quote_hook = extend_between;
	hook_calls = 0;
	hook_extends = 2;
	assert_int_equal(bh_tpm_quote(t, (const uint8_t *)"\x01\x02", 2, 1u << 16, out, &err), 0);
	assert_int_equal(hook_calls, 3);
	assert_pcrs_are_quoted(out);
	/* PCR 23 with it: the digest covers both, in PCR order */
	hook_calls = 0;
	hook_extends = 1;
	assert_int_equal(
		bh_tpm_quote(t, (const uint8_t *)"\x03", 1, (1u << 16) | (1u << 23), out, &err), 0);
	assert_int_equal(hook_calls, 2);
	assert_pcrs_are_quoted(out);
	tpm_quote_hook = NULL;
	bh_tpm_close(t);
	unit_rmtmp(out);
}

static void test_pcr_that_keeps_changing(void **state)
{
	struct swtpm_env *s = *state;
	struct bh_tpm *t = NULL;
	struct bh_error *err = NULL;
	struct stat st;
	char *out, path[4200];

	SWTPM_ENV_NEED(s);
	out = unit_mktmp();
	assert_int_equal(bh_tpm_open(s->tcti, &t, &err), 0);
	tpm_quote_hook = extend_between;
	hook_calls = 0;
	hook_extends = 1000;
	assert_int_equal(bh_tpm_quote(t, (const uint8_t *)"\x04", 1, 1u << 16, out, &err), -1);
	assert_error(err, BH_ERR_IO, "changed between the quote and reading them");
	bh_error_clear(&err);
	assert_int_equal(hook_calls, BH_TPM_QUOTE_TRIES);
	snprintf(path, sizeof(path), "%s/quote.msg", out);
	assert_int_equal(stat(path, &st), -1);
	tpm_quote_hook = NULL;
	bh_tpm_close(t);
	unit_rmtmp(out);
}

static void test_primary_made_found_refused(void **state)
{
	struct swtpm_env *s = *state;
	struct bh_tpm *t = NULL;
	struct bh_error *err = NULL;
	TPM2B_PUBLIC tmpl, other, *pub = NULL, *again = NULL;
	struct tpm_fail f;
	ESYS_TR h, gone;
	ESYS_CONTEXT *esys;
	const TPM2_HANDLE at = 0x81010077;

	SWTPM_ENV_NEED(s);
	assert_int_equal(bh_tpm_open(s->tcti, &t, &err), 0);
	esys = tpm_esys(t);
	tpm_ak_template(&tmpl);
	/* none there: made and persisted */
	assert_int_equal(tpm_primary(esys, ESYS_TR_RH_OWNER, at, &tmpl, &h, &pub, &f), 0);
	assert_non_null(pub);
	assert_null(tpm_template_mismatch(pub, &tmpl));
	/* there now: found, the same key */
	assert_int_equal(tpm_primary(esys, ESYS_TR_RH_OWNER, at, &tmpl, &h, &again, &f), 0);
	assert_int_equal(again->publicArea.unique.ecc.x.size, pub->publicArea.unique.ecc.x.size);
	assert_memory_equal(again->publicArea.unique.ecc.x.buffer,
			    pub->publicArea.unique.ecc.x.buffer, pub->publicArea.unique.ecc.x.size);
	Esys_Free(again);
	/* asked for another template: the key there is refused, saying why */
	other = tmpl;
	other.publicArea.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
	again = NULL;
	assert_int_equal(tpm_primary(esys, ESYS_TR_RH_OWNER, at, &other, &h, &again, &f), -1);
	assert_null(again);
	assert_null(f.call);
	assert_non_null(f.why);
	assert_non_null(strstr(f.why, "its attributes"));
	/* its handle is given: evicted, then the other template's key is made there */
	assert_int_equal(Esys_EvictControl(esys, ESYS_TR_RH_OWNER, h, ESYS_TR_PASSWORD,
					   ESYS_TR_NONE, ESYS_TR_NONE, at, &gone),
			 TSS2_RC_SUCCESS);
	assert_int_equal(tpm_primary(esys, ESYS_TR_RH_OWNER, at, &other, &h, &again, &f), 0);
	assert_null(tpm_template_mismatch(again, &other));
	assert_non_null(tpm_template_mismatch(again, &tmpl));
	/* a template the TPM refuses (no such curve): the failing call is named */
	Esys_Free(again);
	again = NULL;
	other = tmpl;
	other.publicArea.parameters.eccDetail.curveID = 0x0099;
	assert_int_equal(tpm_primary(esys, ESYS_TR_RH_OWNER, at + 1, &other, &h, &again, &f), -1);
	assert_string_equal(f.call, "CreatePrimary");
	assert_int_not_equal(f.rc, TSS2_RC_SUCCESS);
	assert_null(again);
	Esys_Free(again);
	Esys_Free(pub);
	bh_tpm_close(t);
}

/* The create path's extend (no ESAPI): PCR 16 becomes SHA-256(old || d), as
 * the ESAPI's extend makes it; PCR 10 is refused; a TPM not there is named. */
static void test_extend_on_the_tcti(void **state)
{
	struct swtpm_env *s = *state;
	struct bh_tpm *t = NULL;
	struct bh_error *err = NULL;
	uint8_t before[BH_TPM_PCRS][32], after[BH_TPM_PCRS][32], d[32], cat[64], want[32];
	struct bh_digest dg;

	SWTPM_ENV_NEED(s);
	assert_int_equal(bh_tpm_open(s->tcti, &t, &err), 0);
	assert_int_equal(bh_tpm_pcr_read(t, 1u << 16, before, &err), 0);
	memset(d, 0x5a, sizeof(d));
	assert_int_equal(tpm_extend_tcti(s->tcti, 16, d, &err), 0);
	assert_int_equal(bh_tpm_pcr_read(t, 1u << 16, after, &err), 0);
	memcpy(cat, before[16], 32);
	memcpy(cat + 32, d, 32);
	bh_sha256(cat, 64, &dg);
	assert_int_equal(bh_hex_decode(bh_digest_hex(&dg), 64, 0, want, 32), 32);
	assert_memory_equal(after[16], want, 32);
	/* the same as the ESAPI's extend, from there */
	assert_int_equal(bh_tpm_extend(t, 16, d, &err), 0);
	assert_int_equal(tpm_extend_tcti(s->tcti, 16, d, &err), 0);
	assert_int_equal(bh_tpm_pcr_read(t, 1u << 16, before, &err), 0);
	memcpy(cat, after[16], 32);
	bh_sha256(cat, 64, &dg);
	assert_int_equal(bh_hex_decode(bh_digest_hex(&dg), 64, 0, want, 32), 32);
	memcpy(cat, want, 32);
	bh_sha256(cat, 64, &dg);
	assert_int_equal(bh_hex_decode(bh_digest_hex(&dg), 64, 0, want, 32), 32);
	assert_memory_equal(before[16], want, 32);
	bh_tpm_close(t);
	assert_int_equal(tpm_extend_tcti(s->tcti, 10, d, &err), -1);
	assert_error(err, BH_ERR_USAGE, "10");
	bh_error_clear(&err);
	assert_int_equal(tpm_extend_tcti("swtpm:path=/nonexistent/tpm.sock", 16, d, &err), -1);
	assert_error(err, BH_ERR_IO, "TPM (swtpm:path=/nonexistent/tpm.sock)");
	bh_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extend_between_quote_and_read),
		cmocka_unit_test(test_pcr_that_keeps_changing),
		cmocka_unit_test(test_primary_made_found_refused),
		cmocka_unit_test(test_extend_on_the_tcti),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
