/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OS catalogers' parsers, each on small real or hand-made files and on
 * hostile ones: os-release and its fallbacks, dpkg status (a 10 MB field),
 * apk installed, rpm headers and the three rpm database formats (made with
 * rpmbuild, rpm 4.18 and db5.3_load; see tests/data/inventory/rpm/README).
 * Helpers in inventory_unit.h.
 */
#include <zlib.h>

#include "unit.h"
#include "bulkhead/inventory.h"
#include "inventory_unit.h"

/* ---- os-release -------------------------------------------------------------- */

static void os_case(const char *text, const char *want_id, const char *want_eco)
{
	struct bh_os os = { 0 };
	struct bh_error *err = NULL;

	if (bh_inventory_parse_os_release(text, strlen(text), "etc/os-release", &os, &err) < 0)
		fail_msg("%s: %s", text, bh_error_message(err));
	assert_string_equal(os.id, want_id);
	if (want_eco)
		assert_string_equal(os.ecosystem, want_eco);
	else
		assert_null(os.ecosystem);
	assert_string_equal(os.source, "/etc/os-release");
	bh_os_release(&os);
}

static void test_os_release(void **state)
{
	struct bh_os os = { 0 };
	struct bh_error *err = NULL;
	const char *deb = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
			  "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
			  "VERSION_CODENAME=bookworm\nID=debian\n";

	assert_int_equal(
		bh_inventory_parse_os_release(deb, strlen(deb), "usr/lib/os-release", &os, &err),
		0);
	assert_string_equal(os.id, "debian");
	assert_string_equal(os.version_id, "12");
	assert_string_equal(os.version_codename, "bookworm");
	assert_string_equal(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(os.ecosystem, "Debian:12");
	assert_string_equal(os.source, "/usr/lib/os-release");
	bh_os_release(&os);

	os_case("ID=ubuntu\nVERSION_ID=\"22.04\"\n", "ubuntu", "Ubuntu:22.04");
	os_case("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.4\n", "alpine", "Alpine:v3.19");
	os_case("ID=\"rhel\"\nVERSION_ID=\"9.3\"\n", "rhel", "Red Hat:9");
	os_case("ID=\"rocky\"\nVERSION_ID=\"9.3\"\n", "rocky", "Rocky Linux:9");
	os_case("ID=almalinux\nVERSION_ID=8.9\n", "almalinux", "AlmaLinux:8");
	os_case("ID=wolfi\nVERSION_ID=20230201\n", "wolfi", "Wolfi");
	os_case("ID=debian\nVERSION_CODENAME=trixie\n", "debian", "Debian:13");
	os_case("ID=plan9\nVERSION_ID=4\n", "plan9", NULL);
	/* shell quoting: single quotes, escapes, comments, CRLF-free spaces */
	os_case("# comment\nID='debian'\nVERSION_ID=\"1\\\"2\"\n", "debian", "Debian:1\"2");
	os_case("  ID=Ubuntu   # trailing\nVERSION_ID=20.04\n", "ubuntu", "Ubuntu:20.04");
}

static void test_os_release_hostile(void **state)
{
	struct bh_os os = { 0 };
	struct bh_error *err = NULL;
	static const char *const bad[] = {
		"",
		"NAME=foo\n",
		"ID=\"unterminated\n",
		"\x01\x02\x03\xff\n=\n==\nID\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bh_inventory_parse_os_release(bad[i], strlen(bad[i]),
							       "etc/os-release", &os, &err),
				 -1);
		assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
		bh_error_clear(&err);
		bh_os_release(&os);
	}
	/* a value with a control character is not kept */
	{
		const char *t = "ID=debian\nVERSION_ID=\"1\x01\"\n";

		assert_int_equal(bh_inventory_parse_os_release(t, strlen(t), "x", &os, &err), 0);
		assert_null(os.version_id);
		bh_os_release(&os);
	}
	/* too large */
	{
		size_t n = 1 << 20;
		char *big = bh_malloc(n);

		memset(big, 'A', n);
		assert_int_equal(bh_inventory_parse_os_release(big, n, "x", &os, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
		bh_error_clear(&err);
		free(big);
	}
}

/* ---- dpkg -------------------------------------------------------------------- */

static const char dpkg_status[] = "Package: bash\n"
				  "Status: install ok installed\n"
				  "Priority: required\n"
				  "Architecture: amd64\n"
				  "Source: bash (5.2.15-2)\n"
				  "Version: 5.2.15-2+b13\n"
				  "Pre-Depends: libc6 (>= 2.36), libtinfo6 (>= 6)\n"
				  "Depends: base-files (>= 2.1.12), debianutils (>= 5.6-0.1)\n"
				  "Description: GNU Bourne Again SHell\n"
				  " Bash is an sh-compatible command language interpreter.\n"
				  " .\n"
				  " Continuation lines.\n"
				  "\n"
				  "Package: bsdutils\r\n"
				  "Status: install ok installed\r\n"
				  "Architecture: amd64\r\n"
				  "Source: util-linux (2.38.1-5+deb12u3)\r\n"
				  "Version: 1:2.38.1-5+deb12u3\r\n"
				  "\r\n"
				  "Package: oldpkg\n"
				  "Status: deinstall ok config-files\n"
				  "Version: 1.0\n"
				  "\n"
				  "Package: libc6\n"
				  "Status: install ok installed\n"
				  "Architecture: amd64\n"
				  "Multi-Arch: same\n"
				  "Version: 2.36-9+deb12u14\n"
				  "Source: glibc\n"
				  "Provides: libc6-x (= 1)\n"
				  "Depends: libgcc-s1, a | b:any\n"
				  "\n"
				  "\n"
				  "Package: half\n"
				  "Status: install reinstreq half-installed\n"
				  "Version: 1\n";

static void test_dpkg(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	const struct bh_package *p;

	assert_int_equal(bh_inventory_parse_dpkg_status(dpkg_status, sizeof(dpkg_status) - 1,
							"var/lib/dpkg/status", &l, &err),
			 0);
	assert_int_equal(l.n, 3);
	p = find(&l, "bash");
	assert_non_null(p);
	assert_int_equal(p->type, BH_PKG_DPKG);
	assert_string_equal(p->version, "5.2.15-2+b13");
	assert_string_equal(p->source_name, "bash");
	assert_string_equal(p->source_version, "5.2.15-2");
	assert_string_equal(p->arch, "amd64");
	assert_string_equal(p->path, "/var/lib/dpkg/status");
	assert_string_equal(
		p->purl, "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&upstream=bash%405.2.15-2");
	assert_true(has(p->depends, "libc6"));
	assert_true(has(p->depends, "libtinfo6"));
	assert_true(has(p->depends, "debianutils"));
	p = find(&l, "bsdutils");
	assert_non_null(p);
	assert_string_equal(p->version, "1:2.38.1-5+deb12u3");
	assert_string_equal(p->source_name, "util-linux");
	assert_string_equal(p->source_version, "2.38.1-5+deb12u3");
	assert_string_equal(p->purl,
			    "pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&epoch=1&"
			    "upstream=util-linux%402.38.1-5%2Bdeb12u3");
	p = find(&l, "libc6");
	assert_non_null(p);
	assert_string_equal(p->source_name, "glibc");
	assert_string_equal(p->source_version, "2.36-9+deb12u14");
	assert_true(has(p->depends, "libgcc-s1"));
	assert_true(has(p->depends, "a"));
	assert_true(has(p->depends, "b"));
	assert_true(has(p->provides, "libc6-x"));
	assert_null(find(&l, "oldpkg"));
	assert_null(find(&l, "half"));
	bh_pkglist_release(&l);
}

static void test_dpkg_hostile(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t big = 10 << 20;
	struct bh_buf b = BH_BUF_INIT(64 << 20);

	/* a 10 MB Description: read past, the package kept */
	bh_buf_adds(&b, "Package: a\nStatus: install ok installed\nVersion: 1\nDescription: x\n",
		    NULL);
	for (size_t i = 0; i < big / 64; i++)
		bh_buf_adds(&b, " 0123456789012345678901234567890123456789012345678901234567890\n",
			    NULL);
	/* a 10 MB Package name: that paragraph refused, the next one kept */
	bh_buf_adds(&b, "\nPackage: ", NULL);
	for (size_t i = 0; i < big / 8; i++)
		bh_buf_adds(&b, "xxxxxxxx", NULL);
	bh_buf_adds(&b, "\nVersion: 1\n\nPackage: c\nVersion: 3\n", NULL);
	assert_int_equal(
		bh_inventory_parse_dpkg_status(b.data, b.len, "var/lib/dpkg/status", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "malformed");
	bh_error_clear(&err);
	assert_int_equal(l.n, 2);
	assert_non_null(find(&l, "a"));
	assert_non_null(find(&l, "c"));
	bh_pkglist_release(&l);
	bh_buf_release(&b);

	/* no Version; garbage; NUL bytes; an empty file */
	{
		static const char *const bad[] = { "Package: x\n", "\x01\x02 garbage\n\n\n",
						   "Package: a\0b\nVersion: 1\n" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			size_t n = i == 2 ? 24 : strlen(bad[i]);

			assert_int_equal(bh_inventory_parse_dpkg_status(bad[i], n, "s", &l, &err),
					 -1);
			bh_error_clear(&err);
			assert_int_equal(l.n, 0);
		}
		assert_int_equal(bh_inventory_parse_dpkg_status("", 0, "s", &l, &err), 0);
		assert_int_equal(l.n, 0);
	}
}

/* ---- apk --------------------------------------------------------------------- */

static void test_apk(void **state)
{
	static const char db[] = "C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nS:383152\n"
				 "T:the musl c library\nU:https://musl.libc.org/\nL:MIT\no:musl\n"
				 "p:so:libc.musl-x86_64.so.1=1\n\n"
				 "P:libcrypto3\nV:3.1.7-r0\nA:x86_64\nL:Apache-2.0\no:openssl\n"
				 "D:so:libc.musl-x86_64.so.1 busybox>=1.36 !conflicting\n"
				 "F:lib\nR:libcrypto.so.3\n\n"
				 "P:noorigin\nV:1-r0\n";
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	const struct bh_package *p;

	assert_int_equal(bh_inventory_parse_apk_installed(db, sizeof(db) - 1,
							  "lib/apk/db/installed", &l, &err),
			 0);
	assert_int_equal(l.n, 3);
	p = find(&l, "libcrypto3");
	assert_string_equal(p->version, "3.1.7-r0");
	assert_string_equal(p->source_name, "openssl");
	assert_string_equal(p->arch, "x86_64");
	assert_string_equal(p->licenses[0], "Apache-2.0");
	assert_true(has(p->depends, "so:libc.musl-x86_64.so.1"));
	assert_true(has(p->depends, "busybox"));
	assert_false(has(p->depends, "conflicting"));
	assert_string_equal(p->purl,
			    "pkg:apk/alpine/libcrypto3@3.1.7-r0?arch=x86_64&upstream=openssl");
	p = find(&l, "musl");
	assert_true(has(p->provides, "so:libc.musl-x86_64.so.1"));
	p = find(&l, "noorigin");
	assert_string_equal(p->source_name, "noorigin");
	bh_pkglist_release(&l);

	/* a record without V: refused, the rest kept */
	{
		static const char bad[] = "P:a\nV:1\n\nP:b\n\nP:c\nV:2\nthis is not X:value\n";

		assert_int_equal(
			bh_inventory_parse_apk_installed(bad, sizeof(bad) - 1, "x", &l, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
		bh_error_clear(&err);
		assert_int_equal(l.n, 2);
		bh_pkglist_release(&l);
	}
}

/* ---- rpm --------------------------------------------------------------------- */

static void check_rpm_pair(const struct bh_pkglist *l)
{
	const struct bh_package *p = find(l, "hello-bh"), *w = find(l, "libworld-bh");

	assert_int_equal(l->n, 2);
	assert_non_null(p);
	assert_non_null(w);
	assert_int_equal(p->type, BH_PKG_RPM);
	assert_string_equal(p->version, "2:1.2.3-4.el9");
	assert_string_equal(p->arch, "x86_64");
	assert_string_equal(p->source_name, "hello-bh");
	assert_string_equal(p->source_version, "2:1.2.3-4.el9");
	assert_string_equal(p->licenses[0], "MIT AND (Apache-2.0 OR BSD-3-Clause)");
	assert_true(has(p->depends, "libworld-bh"));
	assert_true(has(p->provides, "hello-virtual"));
	assert_string_equal(p->purl, "pkg:rpm/hello-bh@1.2.3-4.el9?arch=x86_64&epoch=2");
	assert_string_equal(w->version, "0.9-1");
	assert_string_equal(w->arch, "noarch");
	assert_string_equal(w->licenses[0], "GPLv2+");
}

static void test_rpm_header(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t n;
	unsigned char *h = (unsigned char *)read_fix(FIX "/rpm/hello-bh.header", &n);

	assert_int_equal(bh_inventory_parse_rpm_header(h, n, "var/lib/rpm/rpmdb.sqlite", &l, &err),
			 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "hello-bh");
	assert_string_equal(l.v[0].path, "/var/lib/rpm/rpmdb.sqlite");
	bh_pkglist_release(&l);
	/* every truncation fails cleanly */
	for (size_t cut = 0; cut < n; cut += 7) {
		assert_int_equal(bh_inventory_parse_rpm_header(h, cut, "x", &l, &err), -1);
		bh_error_clear(&err);
		bh_pkglist_release(&l);
	}
	/* an index count that does not fit, a data length past the end */
	h[0] = 0x7f;
	assert_int_equal(bh_inventory_parse_rpm_header(h, n, "x", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "do not fit");
	bh_error_clear(&err);
	h[0] = 0;
	h[4] = 0x7f;
	assert_int_equal(bh_inventory_parse_rpm_header(h, n, "x", &l, &err), -1);
	bh_error_clear(&err);
	free(h);
}

static void test_rpm_databases(void **state)
{
	static const char *const files[] = { "rpmdb.sqlite.gz", "Packages.bdb.gz",
					     "Packages-overflow.bdb.gz", "Packages.ndb.gz" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct bh_pkglist l = { 0 };
		struct bh_error *err = NULL;
		char *path = bh_asprintf(FIX "/rpm/%s", files[i]);
		size_t n;
		unsigned char *db = (unsigned char *)gunzip_file(path, &n);

		if (bh_inventory_parse_rpm_db(db, n, "var/lib/rpm/Packages", &l, &err) < 0)
			fail_msg("%s: %s", files[i], bh_error_message(err));
		check_rpm_pair(&l);
		bh_pkglist_release(&l);
		/* truncated databases never crash; some records may be lost */
		for (size_t cut = 0; cut < n; cut += n / 13 + 1) {
			bh_inventory_parse_rpm_db(db, cut, "x", &l, &err);
			bh_error_clear(&err);
			bh_pkglist_release(&l);
		}
		free(db);
		free(path);
	}
}

static void test_rpm_unsupported(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	unsigned char junk[8192];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(
		bh_inventory_parse_rpm_db(junk, sizeof(junk), "var/lib/rpm/Packages", &l, &err),
		-1);
	assert_error(err, BH_ERR_UNSUPPORTED, "unsupported rpm database format");
	bh_error_clear(&err);
	/* a Berkeley DB btree (magic 0x053162) is named as such */
	memset(junk, 0, sizeof(junk));
	junk[12] = 0x62;
	junk[13] = 0x31;
	junk[14] = 0x05;
	assert_int_equal(
		bh_inventory_parse_rpm_db(junk, sizeof(junk), "var/lib/rpm/Packages", &l, &err),
		-1);
	assert_error(err, BH_ERR_UNSUPPORTED, "btree");
	bh_error_clear(&err);
	/* a SQLite file that is not an rpm database */
	{
		size_t n;
		char *db = gunzip_file(FIX "/rpm/rpmdb.sqlite.gz", &n);

		memset(db + 100, 0xff, 200); /* the schema page, destroyed */
		assert_int_equal(bh_inventory_parse_rpm_db((unsigned char *)db, n, "x", &l, &err),
				 -1);
		bh_error_clear(&err);
		bh_pkglist_release(&l);
		free(db);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_os_release),    cmocka_unit_test(test_os_release_hostile),
		cmocka_unit_test(test_dpkg),	      cmocka_unit_test(test_dpkg_hostile),
		cmocka_unit_test(test_apk),	      cmocka_unit_test(test_rpm_header),
		cmocka_unit_test(test_rpm_databases), cmocka_unit_test(test_rpm_unsupported),
	};

	return cmocka_run_group_tests_name("inventory os", tests, NULL, NULL);
}
