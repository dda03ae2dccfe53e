/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parsers behind the content and configuration checks, with hostile
 * input: passwd, image history, credential file names, package file lists
 * and checksums; the check list and the default rules directory.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/content.h"
#include "bulkhead/image.h"
#include "bulkhead/inventory.h"
#include "bulkhead/report.h"
#include "bulkhead/scan.h"
#include "content_unit.h"

/* ---- parsers -------------------------------------------------------------------------- */

static void passwd_parser(void **state)
{
	const char *pw = "# comment\n+nis\nroot:x:0:0:root:/root:/bin/bash\n"
			 "daemon:x:1:1::/:/usr/sbin/nologin\nbad line\nweird:x:abc:0::/:\n"
			 "toor:x:0:0::/:/bin/sh\nbig:x:99999999999:0::/:\nlast:x:1000:1000";
	uint32_t uid = 7;
	struct bh_error *err = NULL;

	assert_int_equal(bh_content_passwd_uid(pw, strlen(pw), "root", &uid, &err), 1);
	assert_int_equal(uid, 0);
	assert_int_equal(bh_content_passwd_uid(pw, strlen(pw), "toor", &uid, &err), 1);
	assert_int_equal(uid, 0);
	assert_int_equal(bh_content_passwd_uid(pw, strlen(pw), "daemon", &uid, &err), 1);
	assert_int_equal(uid, 1);
	assert_int_equal(bh_content_passwd_uid(pw, strlen(pw), "last", &uid, &err), 1);
	assert_int_equal(uid, 1000);
	assert_int_equal(bh_content_passwd_uid(pw, strlen(pw), "weird", &uid, &err), 0);
	assert_int_equal(bh_content_passwd_uid(pw, strlen(pw), "big", &uid, &err), 0);
	assert_int_equal(bh_content_passwd_uid(pw, strlen(pw), "nis", &uid, &err), 0);
	assert_int_equal(bh_content_passwd_uid(pw, strlen(pw), "roo", &uid, &err), 0);
	assert_int_equal(bh_content_passwd_uid(pw, strlen(pw), "", &uid, &err), 0);
	assert_int_equal(bh_content_passwd_uid("root:x:", 7, "root", &uid, &err), 0);
	assert_int_equal(bh_content_passwd_uid("root::", 6, "root", &uid, &err), 0);
	assert_int_equal(
		bh_content_passwd_uid(pw, (size_t)BH_CONTENT_MAX_PASSWD + 1, "x", &uid, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "passwd");
	bh_error_free(err);
}

static void history_parser(void **state)
{
	struct bh_history_issues is;
	static const struct {
		const char *s;
		unsigned flags;
	} cases[] = {
		{ "/bin/sh -c #(nop) ADD https://example.com/a.tgz /opt/", BH_HIST_ADD_URL },
		{ "ADD https://example.com/a.tgz /opt/ # buildkit", BH_HIST_ADD_URL },
		{ "ADD --chown=1:1 http://x/y /z", BH_HIST_ADD_URL },
		{ "ADD --checksum=sha256:0123 https://example.com/a.tgz /opt/", 0 },
		{ "/bin/sh -c #(nop) ADD file:0123abcd in / ", 0 },
		{ "COPY https-notes.txt /x", 0 },
		{ "RUN curl -fsSL https://x.sh | sh", BH_HIST_PIPE_SHELL },
		{ "RUN wget -qO- https://x.sh | sudo -E bash -s -- -y", BH_HIST_PIPE_SHELL },
		{ "/bin/sh -c curl -s https://x | /bin/bash", BH_HIST_PIPE_SHELL },
		{ "RUN bash <(curl -s https://x.sh)", BH_HIST_PIPE_SHELL },
		{ "RUN sh -c \"$(wget -O- https://x.sh)\"", BH_HIST_PIPE_SHELL },
		{ "RUN curl -fsSL https://x.sh | python3 -", BH_HIST_PIPE_SHELL },
		{ "RUN curl -o /tmp/x https://x && sha256sum -c sums | grep OK", 0 },
		{ "RUN curl https://x | tar xz && ./configure", 0 },
		{ "RUN echo curl | sh", BH_HIST_PIPE_SHELL }, /* conservative: looks like it */
		{ "RUN apt-get update || curl https://x", 0 },
		{ "ENV DB_PASSWORD=hunter2", BH_HIST_SECRET },
		{ "|2 GITHUB_TOKEN=abc123xyz VERSION=1 /bin/sh -c make", BH_HIST_SECRET },
		{ "ENV PASSWORD_FILE=/run/secrets/db", 0 },
		{ "ENV PWD=/app", 0 },
		{ "ENV API_KEY=${API_KEY}", 0 },
		{ "ENV SECRET=\"\"", 0 },
		{ "ARG NPM_TOKEN", 0 },
		{ "", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned got = bh_content_history_check(cases[i].s, strlen(cases[i].s), &is);

		if (got != cases[i].flags)
			fail_msg("'%s': flags %u, want %u", cases[i].s, got, cases[i].flags);
	}
	bh_content_history_check("ENV DB_PASSWORD=hunter2", 23, &is);
	assert_string_equal(is.name, "DB_PASSWORD");
	assert_string_equal(is.value, "hunter2");
	bh_content_history_check("ADD https://example.com/a.tgz /opt/", 35, &is);
	assert_string_equal(is.url, "https://example.com/a.tgz");
	assert_int_equal(bh_content_history_check(NULL, 0, &is), 0);
}

static void credential_names(void **state)
{
	static const char *const yes[] = { "DB_PASSWORD",   "password",	    "MYSQL_ROOT_PASSWORD",
					   "API_KEY",	    "GITHUB_TOKEN", "aws_secret_access_key",
					   "client_secret", "db.password",  "REDIS_PASS_PWD",
					   "PRIVATE_KEY",   "Passphrase" };
	static const char *const no[] = { "PATH",
					  "PWD",
					  "OLDPWD",
					  "PASSWORD_FILE",
					  "SECRET_NAME",
					  "TOKEN_URL",
					  "API_KEY_ID",
					  "HOME",
					  "NODE_ENV",
					  "GPG_KEY",
					  "PASSWORD_MIN_LENGTH",
					  "" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!bh_content_credential_name(yes[i], strlen(yes[i])))
			fail_msg("%s is a credential name", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (bh_content_credential_name(no[i], strlen(no[i])))
			fail_msg("%s is not a credential name", no[i]);
}

struct paths {
	char got[8][64];
	char pkg[8][32];
	char sum[8][64];
	size_t n;
};

static void collect(const char *path, size_t n, const char *pkg, const char *sum, void *data)
{
	struct paths *p = data;

	if (p->n < 8) {
		snprintf(p->got[p->n], sizeof(p->got[0]), "%.*s", (int)n, path);
		snprintf(p->pkg[p->n], sizeof(p->pkg[0]), "%s", pkg ? pkg : "-");
		snprintf(p->sum[p->n], sizeof(p->sum[0]), "%s", sum ? sum : "-");
	}
	p->n++;
}

static void package_file_lists(void **state)
{
	struct paths p = { 0 };
	const char *dpkg = "/.\n/usr\n/usr/bin/passwd\r\n\n//bin/su\n";
	const char *apk = "C:Q1abc\nP:busybox\nV:1.36\nF:bin\nR:busybox\nR:sh\nF:etc\nR:motd\n"
			  "R:../evil\nR:\n\nP:musl\nF:lib\nR:ld-musl-x86_64.so.1\nR:no/slash\n";
	struct bh_error *err = NULL;

	assert_int_equal(bh_content_dpkg_list(dpkg, strlen(dpkg), collect, &p, &err), 3);
	assert_string_equal(p.got[0], "usr");
	assert_string_equal(p.got[1], "usr/bin/passwd");
	assert_string_equal(p.got[2], "bin/su");
	memset(&p, 0, sizeof(p));
	assert_int_equal(bh_content_apk_files(apk, strlen(apk), collect, &p, &err), 4);
	assert_string_equal(p.got[0], "bin/busybox");
	assert_string_equal(p.pkg[0], "busybox");
	assert_string_equal(p.got[1], "bin/sh");
	assert_string_equal(p.got[2], "etc/motd");
	assert_string_equal(p.got[3], "lib/ld-musl-x86_64.so.1");
	assert_string_equal(p.pkg[3], "musl");
	assert_int_equal(bh_content_apk_files(apk, (64u << 20) + 1, collect, &p, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "apk");
	bh_error_free(err);
}

static void package_checksums(void **state)
{
	struct paths p = { 0 };
	/* Hex in either case, "*" of binary mode, a leading "/", CRLF; lines that
	 * are not "<32 hex> <path>" are skipped. */
	const char *md5 = "D41D8CD98F00B204E9800998ECF8427E  usr/share/doc/a/key.pem\n"
			  "0123456789abcdef0123456789abcdef *//etc/x\r\n"
			  "0123456789abcdef0123456789abcdeg  bad-hex\n"
			  "0123456789abcdef0123456789abcdef\n"
			  "0123456789abcdef0123456789abcdef  \n"
			  "0123456789abcdef0123456789abcdefX y\n";
	/* apk: Z: belongs to the R: before it, within its package and F:. */
	const char *apk =
		"P:musl\nF:lib\nR:libc.so\na:0:0:755\nZ:Q1/3iAPFqkw1S9rHVYE33YDpVRlVI=\n"
		"R:ld.so\nP:b\nZ:Q1orphan=\nF:etc\nR:x\nZ:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	struct bh_error *err = NULL;

	assert_int_equal(bh_content_dpkg_md5sums(md5, strlen(md5), collect, &p, &err), 2);
	assert_string_equal(p.got[0], "usr/share/doc/a/key.pem");
	assert_string_equal(p.sum[0], "d41d8cd98f00b204e9800998ecf8427e");
	assert_string_equal(p.pkg[0], "-");
	assert_string_equal(p.got[1], "etc/x");
	assert_string_equal(p.sum[1], "0123456789abcdef0123456789abcdef");
	memset(&p, 0, sizeof(p));
	assert_int_equal(bh_content_apk_files(apk, strlen(apk), collect, &p, &err), 3);
	assert_string_equal(p.got[0], "lib/libc.so");
	assert_string_equal(p.pkg[0], "musl");
	assert_string_equal(p.sum[0], "Q1/3iAPFqkw1S9rHVYE33YDpVRlVI=");
	assert_string_equal(p.got[1], "lib/ld.so");
	assert_string_equal(p.pkg[1], "musl");
	assert_string_equal(p.sum[1], "-");
	assert_string_equal(p.got[2], "etc/x");
	assert_string_equal(p.pkg[2], "b");
	assert_string_equal(p.sum[2], "Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	assert_int_equal(bh_content_dpkg_md5sums(md5, (64u << 20) + 1, collect, &p, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "md5sums");
	bh_error_free(err);
}

static void checks_listed(void **state)
{
	size_t n;
	const struct bh_content_check *c = bh_content_checks(&n);

	assert_int_equal(n, 17);
	for (size_t i = 0; i < n; i++) {
		char want[32];

		snprintf(want, sizeof(want), "BH-CFG-%03zu", i + 1);
		assert_string_equal(c[i].id, want);
		assert_non_null(c[i].title);
		assert_non_null(c[i].remediation);
		assert_true(!strcmp(c[i].countermeasure, "4.1.2") ||
			    !strcmp(c[i].countermeasure, "4.1.4"));
	}
}

static void default_rules_dir(void **state)
{
	char *d = bh_content_default_rules_dir("/x/rules");

	assert_string_equal(d, "/x/rules");
	free(d);
	/* Beside build/rel/tests there is no rules/: NULL, or an installed one. */
	d = bh_content_default_rules_dir("");
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passwd_parser),     cmocka_unit_test(history_parser),
		cmocka_unit_test(credential_names),  cmocka_unit_test(package_file_lists),
		cmocka_unit_test(package_checksums), cmocka_unit_test(checks_listed),
		cmocka_unit_test(default_rules_dir),
	};

	return cmocka_run_group_tests_name("content parsers", tests, NULL, NULL);
}
