/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The content scanners on real images ($TESTDATA/images): every planted
 * defect, secret and the setuid shell of debian-app, with their layers (gzip
 * and zstd), checks skipped on request; no HIGH or CRITICAL secret or
 * malware finding on clean Debian and Alpine.
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

/* ---- debian-app: every planted issue, in the right layer ---------------------- */

static void check_debian_app(const char *name)
{
	char *path = image_path(name);
	struct bh_content_opts o = { 0 };
	struct bh_findings f = { 0 };
	const struct bh_finding *x;
	static const char *const packaged[] = {
		"/usr/bin/chfn",   "/usr/bin/chsh",   "/usr/bin/gpasswd",      "/usr/bin/mount",
		"/usr/bin/newgrp", "/usr/bin/passwd", "/usr/bin/su",	       "/usr/bin/umount",
		"/usr/bin/chage",  "/usr/bin/expiry", "/usr/sbin/unix_chkpwd",
	};

	if (!have(path)) {
		free(path);
		skip();
	}
	o.config = o.secrets = o.malware = true;
	o.reference = path;
	scan_image(path, &o, NULL, true, &f);

	/* The deleted key: added in layer 4, removed in layer 5 (1-based). */
	x = need(&f, "BH-SECRET-PRIVATE-KEY", "/app/config/id_rsa");
	assert_int_equal(x->layer, 3);
	assert_int_equal(x->removed_layer, 4);
	assert_int_equal(x->severity, BH_SEV_HIGH);
	assert_int_equal(x->line, 1);
	assert_non_null(strstr(x->title, "RSA"));
	assert_non_null(strstr(x->description, "recoverable"));
	/* The AWS pair in /app/.env, still there. */
	x = need(&f, "BH-SECRET-AWS-ACCESS-KEY-ID", "/app/.env");
	assert_int_equal(x->layer, 3);
	assert_int_equal(x->removed_layer, -1);
	assert_int_equal(x->line, 1);
	assert_int_equal(x->severity, BH_SEV_CRITICAL);
	assert_null(strstr(x->title, "AKIAIOSFODNN7EXAMPLE"));
	x = need(&f, "BH-SECRET-AWS-SECRET-KEY", "/app/.env");
	assert_int_equal(x->layer, 3);
	assert_int_equal(x->line, 2);
	assert_null(strstr(x->title, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
	assert_null(strstr(x->description, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
	/* The setuid-root copy of bash, and only it is unusual. */
	x = need(&f, "BH-CFG-008", "/usr/local/bin/rootsh");
	assert_int_equal(x->layer, 3);
	assert_int_equal(x->severity, BH_SEV_CRITICAL);
	assert_non_null(strstr(x->title, "bash"));
	assert_int_equal(count(&f, "BH-CFG-008"), 1);
	for (size_t i = 0; i < sizeof(packaged) / sizeof(packaged[0]); i++) {
		x = need(&f, "BH-CFG-007", packaged[i]);
		assert_int_equal(x->layer, 0);
		assert_int_equal(x->severity, BH_SEV_LOW);
	}
	assert_int_equal(count(&f, "BH-CFG-007"), 11);
	/* World-writable /app/tmp without the sticky bit; /tmp has it. */
	x = need(&f, "BH-CFG-010", "/app/tmp");
	assert_int_equal(x->layer, 3);
	assert_int_equal(count(&f, "BH-CFG-010"), 1);
	assert_null(find(&f, "BH-CFG-009", NULL));
	/* The config: root, DB_PASSWORD (in Env and in the history), port 22. */
	x = need(&f, "BH-CFG-001", NULL);
	assert_int_equal(x->layer, -1);
	x = need(&f, "BH-CFG-002", NULL);
	assert_non_null(strstr(x->title, "DB_PASSWORD"));
	assert_null(strstr(x->title, "hunter2"));
	assert_int_equal(count(&f, "BH-CFG-002"), 1);
	need(&f, "BH-CFG-003", NULL);
	x = need(&f, "BH-CFG-005", NULL);
	assert_non_null(strstr(x->title, "22/tcp"));
	need(&f, "BH-CFG-013", NULL);
	need(&f, "BH-CFG-014", NULL); /* ref.name "latest" */
	/* Not there: no SSH server or sudo package, no .git, no credentials files. */
	assert_null(find(&f, "BH-CFG-004", NULL));
	assert_null(find(&f, "BH-CFG-006", NULL));
	assert_null(find(&f, "BH-CFG-016", NULL));
	assert_null(find(&f, "BH-CFG-017", NULL));
	/* Nothing else serious: the three planted secrets only. */
	assert_int_equal(serious(&f), 3);
	for (size_t i = 0; i < f.n; i++) {
		assert_non_null(f.v[i].title);
		assert_non_null(f.v[i].remediation);
		assert_non_null(f.v[i].countermeasure);
	}
	bh_findings_release(&f);
	free(path);
}

static void debian_app_gzip(void **state)
{
	check_debian_app("debian-app.oci.tar");
}

static void debian_app_zstd(void **state)
{
	check_debian_app("debian-app-zstd.oci.tar");
}

static void skip_checks(void **state)
{
	char *path = image_path("debian-app.oci.tar");
	const char *skip[] = { "BH-CFG-00*", "BH-SECRET-AWS-ACCESS-KEY-ID", NULL };
	struct bh_content_opts o = { 0 };
	struct bh_findings f = { 0 };

	if (!have(path)) {
		free(path);
		skip();
	}
	o.config = o.secrets = true;
	o.skip_checks = skip;
	scan_image(path, &o, NULL, false, &f);
	for (size_t i = 0; i < f.n; i++) {
		assert_false(bh_str_has_prefix(f.v[i].id, "BH-CFG-00"));
		assert_string_not_equal(f.v[i].id, "BH-SECRET-AWS-ACCESS-KEY-ID");
	}
	need(&f, "BH-CFG-010", "/app/tmp");
	need(&f, "BH-SECRET-AWS-SECRET-KEY", "/app/.env");
	bh_findings_release(&f);
	free(path);
}

/* ---- clean images: the false-positive budget ------------------------------------ */

static void debian_minbase_clean(void **state)
{
	char *path = image_path("debian-app.oci.tar");
	bool mask[5] = { true, false, false, false, false };
	struct bh_content_opts o = { 0 };
	struct bh_findings f = { 0 };

	if (!have(path)) {
		free(path);
		skip();
	}
	/* Layer 1 of debian-app is debootstrap --variant=minbase. */
	o.secrets = o.malware = true;
	scan_image(path, &o, mask, false, &f);
	assert_int_equal(serious(&f), 0);
	for (size_t i = 0; i < f.n; i++)
		print_message("  (lower) %s %s %s\n", f.v[i].id, f.v[i].path, f.v[i].title);
	bh_findings_release(&f);
	/*
	 * With --secret-binaries, the only ones are GnuTLS's self-test keys:
	 * libgnutls carries the PEM private keys of its FIPS 140 power-on
	 * self-tests (public test vectors). Reported, since a binary that embeds
	 * a key is exactly what the option is for.
	 */
	o.secret_binaries = true;
	scan_image(path, &o, mask, false, &f);
	for (size_t i = 0; i < f.n; i++) {
		const struct bh_finding *x = &f.v[i];

		if (x->severity < BH_SEV_HIGH)
			continue;
		assert_string_equal(x->id, "BH-SECRET-PRIVATE-KEY");
		assert_true(bh_str_has_prefix(x->path, "/usr/lib/x86_64-linux-gnu/libgnutls.so."));
	}
	bh_findings_release(&f);
	free(path);
}

static void alpine_clean(void **state)
{
	const char *names[] = { "alpine-3.10.3.docker.tar", "alpine-3.19.4.docker.tar",
				"alpine-3.10.3.oci.tar" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *path = image_path(names[i]);
		struct bh_content_opts o = { 0 };
		struct bh_findings f = { 0 };

		if (!have(path)) {
			free(path);
			skip();
		}
		o.config = o.secrets = o.malware = true;
		o.secret_binaries = true;
		scan_image(path, &o, NULL, true, &f);
		assert_int_equal(serious(&f), 0);
		/* No setuid files, /tmp and /var/tmp are sticky, no package caches. */
		assert_null(find(&f, "BH-CFG-007", NULL));
		assert_null(find(&f, "BH-CFG-008", NULL));
		assert_null(find(&f, "BH-CFG-010", NULL));
		assert_null(find(&f, "BH-CFG-015", NULL));
		need(&f, "BH-CFG-001", NULL);
		assert_null(find(&f, "BH-CFG-014", NULL)); /* tagged 3.x */
		bh_findings_release(&f);
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debian_app_gzip), cmocka_unit_test(debian_app_zstd),
		cmocka_unit_test(skip_checks),	   cmocka_unit_test(debian_minbase_clean),
		cmocka_unit_test(alpine_clean),
	};

	return cmocka_run_group_tests_name("content on real images", tests, NULL, NULL);
}
