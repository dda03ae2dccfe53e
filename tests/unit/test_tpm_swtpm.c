/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/tpm against an swtpm this test starts (skipped without swtpm): a PCR
 * extended between the quote and the PCR read that follows it (as a launch
 * measured meanwhile through a resource manager would) must not leave a
 * pcrs.out whose values are not the quoted ones: the values written always
 * hash to the quote's PCR digest, and a PCR that never stops changing is a
 * clear error after BH_TPM_QUOTE_TRIES quotes, nothing written.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/tpm.h"
#include "tpm/internal.h"

struct sw {
	pid_t pid;
	int port;
	char *dir;
	char tcti[96];
};

static bool in_path(const char *name)
{
	const char *p = getenv("PATH");
	char buf[4096];

	while (p && *p) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, name);
		if (access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

static int bind_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), r = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &l) == 0)
		r = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return r;
}

static bool can_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

static int setup(void **state)
{
	struct sw *s;

	*state = NULL;
	if (!in_path("swtpm"))
		return 0;
	s = calloc(1, sizeof(*s));
	s->dir = unit_mktmp();
	for (int i = 0; i < 50 && !s->port; i++) {
		int p = bind_port(0);

		if (p > 0 && p < 65535 && bind_port(p + 1) == p + 1)
			s->port = p;
	}
	assert_true(s->port > 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		char server[64], ctrl[64], st[4200];

		snprintf(server, sizeof(server), "type=tcp,port=%d", s->port);
		snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d", s->port + 1);
		snprintf(st, sizeof(st), "dir=%s", s->dir);
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", server, "--ctrl", ctrl,
		       "--tpmstate", st, "--flags", "not-need-init,startup-clear", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !can_connect(s->port); i++)
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	assert_true(can_connect(s->port));
	snprintf(s->tcti, sizeof(s->tcti), "swtpm:host=127.0.0.1,port=%d", s->port);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct sw *s = *state;

	if (!s)
		return 0;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	unit_rmtmp(s->dir);
	free(s);
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
	struct sw *s = *state;
	struct bh_tpm *t = NULL;
	struct bh_error *err = NULL;
	char *out;

	if (!s) {
		print_message("SKIP: swtpm is not installed\n");
		skip();
	}
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
	struct sw *s = *state;
	struct bh_tpm *t = NULL;
	struct bh_error *err = NULL;
	struct stat st;
	char *out, path[4200];

	if (!s) {
		print_message("SKIP: swtpm is not installed\n");
		skip();
	}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extend_between_quote_and_read),
		cmocka_unit_test(test_pcr_that_keeps_changing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
