/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The catalogers' parsers, each on small real or hand-made files and on
 * hostile ones: os-release and its fallbacks, dpkg status (a 10 MB field),
 * apk installed, rpm headers and the three rpm database formats (made with
 * rpmbuild, rpm 4.18 and db5.3_load; see tests/data/inventory/rpm/README),
 * package.json (not JSON) and lockfiles v1/v3, Python METADATA (no Version),
 * Go build info (a real go1.19 binary, the pre-1.18 pointer format built by
 * hand, a section past the end of the file; read whole and as it streams, a
 * large pre-1.18 binary too), Java archives (pom.properties,
 * MANIFEST.MF, file names, nesting, a jar nested 100 deep), purls.
 * Fixtures: tests/data/inventory (run from the repository root, as the
 * harness does).
 */
#include <zlib.h>

#include "unit.h"
#include "bulkhead/inventory.h"

#define FIX "tests/data/inventory"

/* ---- helpers ----------------------------------------------------------------- */

static char *gunzip_file(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	struct bh_buf b = BH_BUF_INIT(64 << 20);
	char tmp[65536];
	int n;

	if (!gz)
		fail_msg("cannot open %s", path);
	while ((n = gzread(gz, tmp, sizeof(tmp))) > 0)
		bh_buf_add(&b, tmp, (size_t)n, NULL);
	gzclose(gz);
	return bh_buf_detach(&b, len);
}

static char *read_fix(const char *path, size_t *len)
{
	struct bh_buf b = BH_BUF_INIT(64 << 20);
	struct bh_error *err = NULL;

	if (bh_read_file(path, &b, &err) < 0)
		fail_msg("%s: %s", path, bh_error_message(err));
	return bh_buf_detach(&b, len);
}

static const struct bh_package *find(const struct bh_pkglist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

static bool has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

/* ---- os-release -------------------------------------------------------------- */

static void os_case(const char *text, const char *want_id, const char *want_eco)
{
	struct bh_os os = { 0 };
	struct bh_error *err = NULL;

	if (bh_parse_os_release(text, strlen(text), "etc/os-release", &os, &err) < 0)
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

	assert_int_equal(bh_parse_os_release(deb, strlen(deb), "usr/lib/os-release", &os, &err), 0);
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
		assert_int_equal(
			bh_parse_os_release(bad[i], strlen(bad[i]), "etc/os-release", &os, &err),
			-1);
		assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
		bh_error_clear(&err);
		bh_os_release(&os);
	}
	/* a value with a control character is not kept */
	{
		const char *t = "ID=debian\nVERSION_ID=\"1\x01\"\n";

		assert_int_equal(bh_parse_os_release(t, strlen(t), "x", &os, &err), 0);
		assert_null(os.version_id);
		bh_os_release(&os);
	}
	/* too large */
	{
		size_t n = 1 << 20;
		char *big = bh_malloc(n);

		memset(big, 'A', n);
		assert_int_equal(bh_parse_os_release(big, n, "x", &os, &err), -1);
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

	assert_int_equal(bh_parse_dpkg_status(dpkg_status, sizeof(dpkg_status) - 1,
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
	assert_int_equal(bh_parse_dpkg_status(b.data, b.len, "var/lib/dpkg/status", &l, &err), -1);
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

			assert_int_equal(bh_parse_dpkg_status(bad[i], n, "s", &l, &err), -1);
			bh_error_clear(&err);
			assert_int_equal(l.n, 0);
		}
		assert_int_equal(bh_parse_dpkg_status("", 0, "s", &l, &err), 0);
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

	assert_int_equal(
		bh_parse_apk_installed(db, sizeof(db) - 1, "lib/apk/db/installed", &l, &err), 0);
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

		assert_int_equal(bh_parse_apk_installed(bad, sizeof(bad) - 1, "x", &l, &err), -1);
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

	assert_int_equal(bh_parse_rpm_header(h, n, "var/lib/rpm/rpmdb.sqlite", &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "hello-bh");
	assert_string_equal(l.v[0].path, "/var/lib/rpm/rpmdb.sqlite");
	bh_pkglist_release(&l);
	/* every truncation fails cleanly */
	for (size_t cut = 0; cut < n; cut += 7) {
		assert_int_equal(bh_parse_rpm_header(h, cut, "x", &l, &err), -1);
		bh_error_clear(&err);
		bh_pkglist_release(&l);
	}
	/* an index count that does not fit, a data length past the end */
	h[0] = 0x7f;
	assert_int_equal(bh_parse_rpm_header(h, n, "x", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "do not fit");
	bh_error_clear(&err);
	h[0] = 0;
	h[4] = 0x7f;
	assert_int_equal(bh_parse_rpm_header(h, n, "x", &l, &err), -1);
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

		if (bh_parse_rpm_db(db, n, "var/lib/rpm/Packages", &l, &err) < 0)
			fail_msg("%s: %s", files[i], bh_error_message(err));
		check_rpm_pair(&l);
		bh_pkglist_release(&l);
		/* truncated databases never crash; some records may be lost */
		for (size_t cut = 0; cut < n; cut += n / 13 + 1) {
			bh_parse_rpm_db(db, cut, "x", &l, &err);
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
	assert_int_equal(bh_parse_rpm_db(junk, sizeof(junk), "var/lib/rpm/Packages", &l, &err), -1);
	assert_error(err, BH_ERR_UNSUPPORTED, "unsupported rpm database format");
	bh_error_clear(&err);
	/* a Berkeley DB btree (magic 0x053162) is named as such */
	memset(junk, 0, sizeof(junk));
	junk[12] = 0x62;
	junk[13] = 0x31;
	junk[14] = 0x05;
	assert_int_equal(bh_parse_rpm_db(junk, sizeof(junk), "var/lib/rpm/Packages", &l, &err), -1);
	assert_error(err, BH_ERR_UNSUPPORTED, "btree");
	bh_error_clear(&err);
	/* a SQLite file that is not an rpm database */
	{
		size_t n;
		char *db = gunzip_file(FIX "/rpm/rpmdb.sqlite.gz", &n);

		memset(db + 100, 0xff, 200); /* the schema page, destroyed */
		assert_int_equal(bh_parse_rpm_db((unsigned char *)db, n, "x", &l, &err), -1);
		bh_error_clear(&err);
		bh_pkglist_release(&l);
		free(db);
	}
}

/* ---- npm --------------------------------------------------------------------- */

static void test_npm_package_json(void **state)
{
	static const char pj[] =
		"{\"name\": \"@types/node\", \"version\": \"20.1.0\", "
		"\"license\": {\"type\": \"MIT\"}, \"dependencies\": "
		"{\"undici-types\": \"~5.26.4\"}, \"optionalDependencies\": {\"x\": "
		"\"1\"}}";
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;

	assert_int_equal(bh_parse_npm_package_json(pj, sizeof(pj) - 1,
						   "app/node_modules/@types/node/package.json", &l,
						   &err),
			 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "@types/node");
	assert_string_equal(l.v[0].ecosystem, "npm");
	assert_string_equal(l.v[0].purl, "pkg:npm/%40types/node@20.1.0");
	assert_string_equal(l.v[0].licenses[0], "MIT");
	assert_true(has(l.v[0].depends, "undici-types"));
	assert_true(has(l.v[0].depends, "x"));
	bh_pkglist_release(&l);

	/* not JSON; no version; a number for a name; duplicate keys; nested too deep */
	{
		static const char *const bad[] = {
			"this is not JSON",
			"{\"name\": \"a\"}",
			"{\"name\": 1, \"version\": \"1\"}",
			"{\"name\": \"a\", \"name\": \"b\", \"version\": \"1\"}",
			"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
			"{\"name\": \"a b\", \"version\": \"1\"}",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(
				bh_parse_npm_package_json(bad[i], strlen(bad[i]), "p", &l, &err),
				-1);
			assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
			bh_error_clear(&err);
			assert_int_equal(l.n, 0);
		}
	}
}

static void test_npm_lockfiles(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	const struct bh_package *p;
	static const char v3[] =
		"{\"name\": \"app\", \"lockfileVersion\": 3, \"packages\": {"
		"\"\": {\"name\": \"app\", \"dependencies\": {\"a\": \"^1\"}},"
		"\"node_modules/a\": {\"version\": \"1.0.0\", \"license\": \"ISC\","
		" \"dependencies\": {\"b\": \"2\"}},"
		"\"node_modules/a/node_modules/b\": {\"version\": \"2.0.0\"},"
		"\"node_modules/jest\": {\"version\": \"29.0.0\", \"dev\": true},"
		"\"node_modules/alias\": {\"name\": \"real-pkg\", \"version\": \"3.0.0\"},"
		"\"node_modules/linked\": {\"resolved\": \"packages/linked\", \"link\": true},"
		"\"packages/linked\": {\"name\": \"linked\", \"version\": \"0.0.1\"}}}";
	static const char v1[] =
		"{\"name\": \"app\", \"lockfileVersion\": 1, \"dependencies\": {"
		"\"a\": {\"version\": \"1.0.0\", \"requires\": {\"b\": \"2\"}, \"dependencies\": {"
		"  \"b\": {\"version\": \"2.0.0\"}}},"
		"\"mocha\": {\"version\": \"10.0.0\", \"dev\": true},"
		"\"al\": {\"version\": \"npm:real@4.0.0\"}}}";

	assert_int_equal(
		bh_parse_npm_lockfile(v3, sizeof(v3) - 1, "app/package-lock.json", &l, &err), 0);
	assert_int_equal(l.n, 4);
	p = find(&l, "b");
	assert_string_equal(p->install_path, "node_modules/a/node_modules/b");
	assert_string_equal(p->path, "/app/package-lock.json");
	assert_true(find(&l, "jest")->dev);
	assert_false(find(&l, "a")->dev);
	assert_true(has(find(&l, "a")->depends, "b"));
	assert_string_equal(find(&l, "a")->licenses[0], "ISC");
	assert_string_equal(find(&l, "real-pkg")->install_path, "node_modules/alias");
	assert_null(find(&l, "linked"));
	bh_pkglist_release(&l);

	assert_int_equal(bh_parse_npm_lockfile(v1, sizeof(v1) - 1, "package-lock.json", &l, &err),
			 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(find(&l, "b")->install_path, "node_modules/a/node_modules/b");
	assert_true(find(&l, "mocha")->dev);
	assert_string_equal(find(&l, "real")->version, "4.0.0");
	assert_string_equal(find(&l, "real")->install_path, "node_modules/al");
	bh_pkglist_release(&l);

	/* v1 nesting deeper than the limit: an error, what was read is kept */
	{
		struct bh_buf b = BH_BUF_INIT(1 << 20);

		bh_buf_adds(&b, "{\"lockfileVersion\": 1, \"dependencies\": ", NULL);
		for (int i = 0; i < 100; i++)
			bh_buf_adds(&b,
				    "{\"d\": {\"version\": \"1.0.0\", \"dependencies\": ", NULL);
		bh_buf_adds(&b, "{}", NULL);
		for (int i = 0; i < 100; i++)
			bh_buf_adds(&b, "}}", NULL);
		bh_buf_adds(&b, "}", NULL);
		assert_int_equal(bh_parse_npm_lockfile(b.data, b.len, "x", &l, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
		bh_error_clear(&err);
		assert_true(l.n > 10);
		bh_pkglist_release(&l);
		bh_buf_release(&b);
	}
	assert_int_equal(bh_parse_npm_lockfile("[1]", 3, "x", &l, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(bh_parse_npm_lockfile("{}", 2, "x", &l, &err), 0);
	assert_int_equal(l.n, 0);
}

/* ---- Python ------------------------------------------------------------------ */

static void test_python(void **state)
{
	static const char meta[] = "Metadata-Version: 2.1\n"
				   "Name: Charset_Normalizer\n"
				   "Version: 3.0.1\n"
				   "License: MIT\n"
				   "Classifier: License :: OSI Approved :: MIT License\n"
				   "Requires-Dist: urllib3 (<1.27,>=1.21.1)\n"
				   "Requires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'\n"
				   "Requires-Dist: Idna>=2.5; python_version >= \"3\"\n"
				   "Description-Content-Type: text/markdown\n"
				   "\n"
				   "Version: 9.9.9 in the body is not a header\n";
	static const char egg[] = "Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\n"
				  "License: UNKNOWN\nClassifier: License :: OSI Approved :: MIT "
				  "License\nClassifier: Programming Language :: Python\n";
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;

	assert_int_equal(bh_parse_python_metadata(meta, sizeof(meta) - 1,
						  "usr/lib/python3/dist-packages/"
						  "charset_normalizer-3.0.1.dist-info/METADATA",
						  &l, &err),
			 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "charset-normalizer");
	assert_string_equal(l.v[0].version, "3.0.1");
	assert_string_equal(l.v[0].ecosystem, "PyPI");
	assert_string_equal(l.v[0].purl, "pkg:pypi/charset-normalizer@3.0.1");
	assert_string_equal(l.v[0].licenses[0], "MIT");
	assert_true(has(l.v[0].depends, "urllib3"));
	assert_true(has(l.v[0].depends, "idna"));
	assert_false(has(l.v[0].depends, "pysocks"));
	bh_pkglist_release(&l);

	assert_int_equal(bh_parse_python_metadata(egg, sizeof(egg) - 1, "six.egg-info", &l, &err),
			 0);
	assert_string_equal(l.v[0].licenses[0], "MIT License");
	bh_pkglist_release(&l);

	{
		char *n = bh_pep503_normalize("Foo.Bar__baz-_-Qux");

		assert_string_equal(n, "foo-bar-baz-qux");
		free(n);
	}
	/* no Version; no Name; a Version only in the body; not text */
	{
		static const char *const bad[] = {
			"Metadata-Version: 2.1\nName: x\n", "Version: 1.0\n",
			"Name: x\n\nVersion: 1.0\n",	    "\xff\xfe\x00\x01",
			"Name: x\nVersion: 1 0\n",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(bh_parse_python_metadata(bad[i], strlen(bad[i]) + (i == 3),
								  "M", &l, &err),
					 -1);
			assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
			bh_error_clear(&err);
			assert_int_equal(l.n, 0);
		}
	}
}

/* ---- Go ---------------------------------------------------------------------- */

/*
 * tests/data/inventory/go/hello-go1.19.elf.gz: a real go1.19.8 binary (module
 * example.com/hello, vendored example.com/dep v1.2.3 and example.com/oldlib
 * replaced by example.com/newlib v1.1.0) with every byte a build info reader
 * does not look at zeroed (sparse.py); hello-go1.19.version-m.txt is what
 * `go version -m` printed for the real binary.
 */
static void check_hello(const struct bh_pkglist *l)
{
	const struct bh_package *m = find(l, "example.com/hello");

	assert_int_equal(l->n, 4);
	assert_non_null(m);
	assert_int_equal(m->type, BH_PKG_GO);
	assert_string_equal(m->version, "(devel)");
	assert_string_equal(m->purl, "pkg:golang/example.com/hello");
	assert_string_equal(m->arch, "amd64");
	assert_string_equal(find(l, "example.com/dep")->version, "v1.2.3");
	assert_string_equal(find(l, "example.com/dep")->purl, "pkg:golang/example.com/dep@v1.2.3");
	assert_string_equal(find(l, "example.com/newlib")->version, "v1.1.0");
	assert_null(find(l, "example.com/oldlib"));
	assert_string_equal(find(l, "stdlib")->version, "v1.19.8");
	assert_int_equal(find(l, "stdlib")->type, BH_PKG_GO_STDLIB);
	assert_true(has(m->depends, "example.com/dep"));
	assert_true(has(m->depends, "stdlib"));
	assert_string_equal(m->ecosystem, "Go");
}

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void wr64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void test_go_real(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t n;
	unsigned char *b = (unsigned char *)gunzip_file(FIX "/go/hello-go1.19.elf.gz", &n);
	uint64_t shoff = rd64(b + 40);

	if (bh_parse_go_buildinfo(b, n, "usr/bin/hello", &l, &err) < 0)
		fail_msg("%s", bh_error_message(err));
	check_hello(&l);
	assert_string_equal(l.v[0].path, "/usr/bin/hello");
	bh_pkglist_release(&l);

	/* section headers stripped: found from the first writable PT_LOAD */
	b[60] = b[61] = 0; /* e_shnum */
	if (bh_parse_go_buildinfo(b, n, "x", &l, &err) < 0)
		fail_msg("no section headers: %s", bh_error_message(err));
	check_hello(&l);
	bh_pkglist_release(&l);
	b[60] = 1; /* restore below by re-reading */
	free(b);

	/* .go.buildinfo claims to lie past the end of the file */
	b = (unsigned char *)gunzip_file(FIX "/go/hello-go1.19.elf.gz", &n);
	shoff = rd64(b + 40);
	{
		unsigned shnum = b[60] | b[61] << 8, shstrndx = b[62] | b[63] << 8;
		uint64_t stroff = rd64(b + shoff + 64 * shstrndx + 24);
		bool done = false;

		for (unsigned i = 0; i < shnum; i++) {
			unsigned char *sh = b + shoff + 64 * i;
			const char *name = (const char *)b + stroff + (sh[0] | sh[1] << 8);

			if (!strcmp(name, ".go.buildinfo")) {
				wr64(sh + 24, n - 16); /* sh_offset: 16 bytes before the end */
				done = true;
			}
		}
		assert_true(done);
	}
	assert_int_equal(bh_parse_go_buildinfo(b, n, "x", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "past the end");
	bh_error_clear(&err);
	assert_int_equal(l.n, 0);
	/* a section header table past the end */
	wr64(b + 40, (uint64_t)n + 100);
	assert_int_equal(bh_parse_go_buildinfo(b, n, "x", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "past the end");
	bh_error_clear(&err);
	/* every truncation fails cleanly */
	free(b);
	b = (unsigned char *)gunzip_file(FIX "/go/hello-go1.19.elf.gz", &n);
	for (size_t cut = 0; cut < n; cut += n / 97 + 1) {
		bh_parse_go_buildinfo(b, cut, "x", &l, &err);
		bh_error_clear(&err);
		bh_pkglist_release(&l);
	}
	free(b);
	/* not an ELF */
	assert_int_equal(
		bh_parse_go_buildinfo((const unsigned char *)"#!/bin/sh\n", 10, "x", &l, &err), -1);
	bh_error_clear(&err);
}

/*
 * The Go 1.13-1.17 format, built by hand as Go's debug/buildinfo reads it:
 * flags 0, pointer size 8; at offset 16 and 24 the addresses of two Go string
 * headers {data pointer, length}, for the version and the module info.
 */
static unsigned char *old_format_elf(size_t *len)
{
	const uint64_t base = 0x400000;
	const size_t size = 4096;
	unsigned char *b = bh_calloc(1, size);
	static const char modinfo[] = "0w\xaf\x0c\x92t\x08\x02"
				      "A\xe1\xc1\x07\xe6\xd6\x18\xe6"
				      "path\texample.com/old\n"
				      "mod\texample.com/old\tv0.1.0\th1:abc=\n"
				      "dep\tgolang.org/x/text\tv0.3.7\th1:def=\n"
				      "\xf9"
				      "2C1\x86\x18 r\x00\x82"
				      "B\x10"
				      "A\x16\xd8\xf2";
	static const char version[] = "go1.16.15";
	static const char shstr[] = "\0.go.buildinfo\0.shstrtab\0";
	const size_t bi = 0x200, hdrs = 0x300, strs = 0x400, shstrtab = 0x800, sh = 0x900;

	memcpy(b,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	b[16] = 2;  /* ET_EXEC */
	b[18] = 62; /* x86-64 */
	b[20] = 1;
	wr64(b + 32, 64); /* e_phoff */
	wr64(b + 40, sh); /* e_shoff */
	b[52] = 64;	  /* e_ehsize */
	b[54] = 56;	  /* e_phentsize */
	b[56] = 1;	  /* e_phnum */
	b[58] = 64;	  /* e_shentsize */
	b[60] = 3;	  /* e_shnum */
	b[62] = 2;	  /* e_shstrndx */
	/* one PT_LOAD, RW, the whole file at `base` */
	b[64] = 1;
	b[68] = 6;
	wr64(b + 64 + 8, 0);
	wr64(b + 64 + 16, base);
	wr64(b + 64 + 24, base);
	wr64(b + 64 + 32, size);
	wr64(b + 64 + 40, size);
	/* the build info */
	memcpy(b + bi, "\xff Go buildinf:", 14);
	b[bi + 14] = 8;
	b[bi + 15] = 0;
	wr64(b + bi + 16, base + hdrs);
	wr64(b + bi + 24, base + hdrs + 16);
	wr64(b + hdrs, base + strs);
	wr64(b + hdrs + 8, sizeof(version) - 1);
	wr64(b + hdrs + 16, base + strs + 64);
	wr64(b + hdrs + 24, sizeof(modinfo) - 1);
	memcpy(b + strs, version, sizeof(version) - 1);
	memcpy(b + strs + 64, modinfo, sizeof(modinfo) - 1);
	memcpy(b + shstrtab, shstr, sizeof(shstr));
	/* sections: null, .go.buildinfo, .shstrtab */
	b[sh + 64] = 1;
	b[sh + 64 + 4] = 1; /* PROGBITS */
	wr64(b + sh + 64 + 16, base + bi);
	wr64(b + sh + 64 + 24, bi);
	wr64(b + sh + 64 + 32, 32);
	b[sh + 128] = 15;
	b[sh + 128 + 4] = 3; /* STRTAB */
	wr64(b + sh + 128 + 24, shstrtab);
	wr64(b + sh + 128 + 32, sizeof(shstr));
	*len = size;
	return b;
}

static void test_go_old_format(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t n;
	unsigned char *b = old_format_elf(&n);

	if (bh_parse_go_buildinfo(b, n, "app", &l, &err) < 0)
		fail_msg("%s", bh_error_message(err));
	assert_int_equal(l.n, 3);
	assert_string_equal(find(&l, "example.com/old")->version, "v0.1.0");
	assert_string_equal(find(&l, "golang.org/x/text")->version, "v0.3.7");
	assert_string_equal(find(&l, "golang.org/x/text")->purl,
			    "pkg:golang/golang.org/x/text@v0.3.7");
	assert_string_equal(find(&l, "stdlib")->version, "v1.16.15");
	bh_pkglist_release(&l);
	/* the string header points outside the file */
	wr64(b + 0x300 + 8, 1 << 20);
	assert_int_equal(bh_parse_go_buildinfo(b, n, "app", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "outside");
	bh_error_clear(&err);
	/* a pointer size of 3 */
	b[0x200 + 14] = 3;
	assert_int_equal(bh_parse_go_buildinfo(b, n, "app", &l, &err), -1);
	bh_error_clear(&err);
	/* no magic: not found */
	b[0x200] = 0;
	assert_int_equal(bh_parse_go_buildinfo(b, n, "app", &l, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_clear(&err);
	free(b);
}

/* ---- Go binaries as they stream ------------------------------------------------ */

/* The streamed read agrees with the whole-file read, whatever the read sizes. */
static void test_go_stream_real(void **state)
{
	static const size_t chunks[] = { 1000, 4096, 65536, 1 << 20 };
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t n;
	unsigned char *b = (unsigned char *)gunzip_file(FIX "/go/hello-go1.19.elf.gz", &n);

	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		if (bh_parse_go_stream(b, n, chunks[i], "usr/bin/hello", &l, &err) < 0)
			fail_msg("chunk %zu: %s", chunks[i], bh_error_message(err));
		check_hello(&l);
		assert_string_equal(l.v[0].path, "/usr/bin/hello");
		bh_pkglist_release(&l);
	}
	/* every truncation ends cleanly */
	for (size_t cut = 0; cut < n; cut += n / 61 + 1) {
		bh_parse_go_stream(b, cut, 7000, "x", &l, &err);
		bh_error_clear(&err);
		bh_pkglist_release(&l);
	}
	/* not an ELF: not a Go binary */
	assert_int_equal(
		bh_parse_go_stream((const unsigned char *)"#!/bin/sh\n", 10, 4, "x", &l, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_clear(&err);
	free(b);
}

/*
 * A Go 1.13-1.17 binary laid out as the Go linker lays it out, larger than
 * what the stream holds: the version and module info strings in the
 * read-only segment, far from the start; the build info at the start of the
 * writable segment; the string headers after it. `headers_before` puts the
 * headers in the read-only segment instead (the stream has passed them).
 */
static unsigned char *old_format_large(size_t *len, bool headers_before)
{
	const uint64_t base = 0x400000, rw_vaddr = 0x800000;
	const size_t rw_off = 1 << 20, size = rw_off + (512 << 10);
	const size_t strs = 600000, bi = rw_off, hdrs = headers_before ? 700000 : rw_off + 300000;
	static const char modinfo[] = "0w\xaf\x0c\x92t\x08\x02"
				      "A\xe1\xc1\x07\xe6\xd6\x18\xe6"
				      "path\texample.com/big\n"
				      "mod\texample.com/big\tv1.2.0\th1:abc=\n"
				      "dep\tgolang.org/x/sys\tv0.0.1\th1:def=\n"
				      "\xf9"
				      "2C1\x86\x18 r\x00\x82"
				      "B\x10"
				      "A\x16\xd8\xf2";
	static const char version[] = "go1.17.13";
	unsigned char *b = bh_calloc(1, size);
	const uint64_t ro_vaddr = base;

	/* noise that looks like candidates: "go1." elsewhere, a stray sentinel */
	memcpy(b + 300000, "go1.99 is not it", 16);
	memcpy(b + 400000, modinfo, 16);
	memcpy(b,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	b[16] = 2;
	b[18] = 62;
	b[20] = 1;
	wr64(b + 32, 64); /* e_phoff; no section headers */
	b[52] = 64;
	b[54] = 56;
	b[56] = 3; /* e_phnum */
	/* PT_NOTE with the Go build ID note, at 0x200 */
	b[64] = 4;
	wr64(b + 64 + 8, 0x200);
	wr64(b + 64 + 32, 16 + 8);
	b[0x200] = 4;	  /* namesz */
	b[0x200 + 4] = 8; /* descsz */
	b[0x200 + 8] = 4; /* NT_GO_BUILDID */
	memcpy(b + 0x200 + 12, "Go\0\0buildid!", 12);
	/* PT_LOAD R: [0, rw_off) at ro_vaddr */
	b[120] = 1;
	b[124] = 4;
	wr64(b + 120 + 8, 0);
	wr64(b + 120 + 16, ro_vaddr);
	wr64(b + 120 + 32, rw_off);
	wr64(b + 120 + 40, rw_off);
	/* PT_LOAD RW: [rw_off, size) at rw_vaddr */
	b[176] = 1;
	b[180] = 6;
	wr64(b + 176 + 8, rw_off);
	wr64(b + 176 + 16, rw_vaddr);
	wr64(b + 176 + 32, size - rw_off);
	wr64(b + 176 + 40, size - rw_off);
#define VA(off) ((off) < rw_off ? ro_vaddr + (off) : rw_vaddr + ((off)-rw_off))
	memcpy(b + bi, "\xff Go buildinf:", 14);
	b[bi + 14] = 8;
	wr64(b + bi + 16, VA(hdrs));
	wr64(b + bi + 24, VA(hdrs + 16));
	wr64(b + hdrs, VA(strs));
	wr64(b + hdrs + 8, sizeof(version) - 1);
	wr64(b + hdrs + 16, VA(strs + 64));
	wr64(b + hdrs + 24, sizeof(modinfo) - 1);
#undef VA
	memcpy(b + strs, version, sizeof(version) - 1);
	memcpy(b + strs + 64, modinfo, sizeof(modinfo) - 1);
	*len = size;
	return b;
}

static void check_big(const struct bh_pkglist *l)
{
	assert_int_equal(l->n, 3);
	assert_string_equal(find(l, "example.com/big")->version, "v1.2.0");
	assert_string_equal(find(l, "golang.org/x/sys")->version, "v0.0.1");
	assert_string_equal(find(l, "stdlib")->version, "v1.17.13");
}

static void test_go_stream_old_format(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t n;
	unsigned char *b = old_format_large(&n, false);

	if (bh_parse_go_buildinfo(b, n, "big", &l, &err) < 0)
		fail_msg("whole: %s", bh_error_message(err));
	check_big(&l);
	bh_pkglist_release(&l);
	for (size_t chunk = 999; chunk < n; chunk *= 7) {
		if (bh_parse_go_stream(b, n, chunk, "big", &l, &err) < 0)
			fail_msg("stream, chunk %zu: %s", chunk, bh_error_message(err));
		check_big(&l);
		bh_pkglist_release(&l);
	}
	/* the small hand-made one (all of it in the head) */
	free(b);
	b = old_format_elf(&n);
	assert_int_equal(bh_parse_go_stream(b, n, 100, "app", &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(find(&l, "stdlib")->version, "v1.16.15");
	bh_pkglist_release(&l);
	free(b);

	/* string headers the stream has passed: a clean failure, not a guess */
	b = old_format_large(&n, true);
	if (bh_parse_go_buildinfo(b, n, "big", &l, &err) < 0)
		fail_msg("whole, headers before: %s", bh_error_message(err));
	check_big(&l);
	bh_pkglist_release(&l);
	assert_int_equal(bh_parse_go_stream(b, n, 65536, "big", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "outside");
	bh_error_clear(&err);
	assert_int_equal(l.n, 0);
	free(b);
}

/* ---- Java -------------------------------------------------------------------- */

/* A minimal zip writer (stored entries) for test archives. */
struct zipw {
	struct bh_buf out, cd;
	unsigned n;
};

static void le16(struct bh_buf *b, unsigned v)
{
	unsigned char c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	bh_buf_add(b, c, 2, NULL);
}

static void le32(struct bh_buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };

	bh_buf_add(b, c, 4, NULL);
}

static void zip_add(struct zipw *z, const char *name, const void *data, size_t len)
{
	uint32_t crc = (uint32_t)crc32(0, data, (uInt)len), off = (uint32_t)z->out.len;
	size_t nl = strlen(name);

	le32(&z->out, 0x04034b50);
	le16(&z->out, 20);
	le16(&z->out, 0);
	le16(&z->out, 0);
	le16(&z->out, 0);
	le16(&z->out, 0x21);
	le32(&z->out, crc);
	le32(&z->out, (uint32_t)len);
	le32(&z->out, (uint32_t)len);
	le16(&z->out, (unsigned)nl);
	le16(&z->out, 0);
	bh_buf_add(&z->out, name, nl, NULL);
	bh_buf_add(&z->out, data, len, NULL);
	le32(&z->cd, 0x02014b50);
	le16(&z->cd, 20);
	le16(&z->cd, 20);
	le16(&z->cd, 0);
	le16(&z->cd, 0);
	le16(&z->cd, 0);
	le16(&z->cd, 0x21);
	le32(&z->cd, crc);
	le32(&z->cd, (uint32_t)len);
	le32(&z->cd, (uint32_t)len);
	le16(&z->cd, (unsigned)nl);
	le16(&z->cd, 0);
	le16(&z->cd, 0);
	le16(&z->cd, 0);
	le16(&z->cd, 0);
	le32(&z->cd, 0);
	le32(&z->cd, off);
	bh_buf_add(&z->cd, name, nl, NULL);
	z->n++;
}

static char *zip_finish(struct zipw *z, size_t *len)
{
	uint32_t cdoff = (uint32_t)z->out.len;

	bh_buf_add(&z->out, z->cd.data ? z->cd.data : "", z->cd.len, NULL);
	le32(&z->out, 0x06054b50);
	le16(&z->out, 0);
	le16(&z->out, 0);
	le16(&z->out, z->n);
	le16(&z->out, z->n);
	le32(&z->out, (uint32_t)z->cd.len);
	le32(&z->out, cdoff);
	le16(&z->out, 0);
	bh_buf_release(&z->cd);
	return bh_buf_detach(&z->out, len);
}

static void zip_init(struct zipw *z)
{
	memset(z, 0, sizeof(*z));
	bh_buf_init(&z->out, 64 << 20);
	bh_buf_init(&z->cd, 64 << 20);
}

static void test_java(void **state)
{
	static const char pom[] = "#Generated by Maven\ngroupId=org.apache.commons\n"
				  "artifactId=commons-io\nversion=2.11.0\n";
	static const char mf[] =
		"Manifest-Version: 1.0\r\nImplementation-Title: jopt-simp\r\n le\r\n"
		"Implementation-Version: 5.0.4\r\nImplementation-Vendor-Id: net.sf\r\n"
		"\r\nName: other/section\r\nImplementation-Version: 9\r\n";
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	struct zipw z;
	char *inner, *mfjar, *war;
	size_t ilen, mlen, wlen;

	zip_init(&z);
	zip_add(&z, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n", 22);
	zip_add(&z, "META-INF/maven/org.apache.commons/commons-io/pom.properties", pom,
		sizeof(pom) - 1);
	zip_add(&z, "org/apache/commons/io/IOUtils.class", "\xca\xfe\xba\xbe", 4);
	inner = zip_finish(&z, &ilen);
	zip_init(&z);
	zip_add(&z, "META-INF/MANIFEST.MF", mf, sizeof(mf) - 1);
	mfjar = zip_finish(&z, &mlen);
	zip_init(&z);
	zip_add(&z, "WEB-INF/lib/commons-io-2.11.0.jar", inner, ilen);
	zip_add(&z, "WEB-INF/lib/jopt.jar", mfjar, mlen);
	zip_add(&z, "WEB-INF/lib/guava-32.1.2-jre.jar", "not a zip", 9);
	zip_add(&z, "index.html", "<html/>", 7);
	war = zip_finish(&z, &wlen);

	assert_int_equal(bh_parse_java_archive((unsigned char *)inner, ilen,
					       "usr/share/java/commons-io.jar", 4, &l, &err),
			 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "org.apache.commons:commons-io");
	assert_string_equal(l.v[0].version, "2.11.0");
	assert_string_equal(l.v[0].ecosystem, "Maven");
	assert_string_equal(l.v[0].purl, "pkg:maven/org.apache.commons/commons-io@2.11.0");
	assert_string_equal(l.v[0].path, "/usr/share/java/commons-io.jar");
	bh_pkglist_release(&l);

	assert_int_equal(bh_parse_java_archive((unsigned char *)mfjar, mlen, "a.jar", 4, &l, &err),
			 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "net.sf:jopt-simple");
	assert_string_equal(l.v[0].version, "5.0.4");
	bh_pkglist_release(&l);

	/* a war: nested jars, one of them not a zip (reported, not listed), the
	 * war itself named by its file */
	assert_int_equal(
		bh_parse_java_archive((unsigned char *)war, wlen, "srv/app-1.0.war", 4, &l, &err),
		-1);
	assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
	bh_error_clear(&err);
	assert_non_null(find(&l, "org.apache.commons:commons-io"));
	assert_string_equal(find(&l, "org.apache.commons:commons-io")->path,
			    "/srv/app-1.0.war:WEB-INF/lib/commons-io-2.11.0.jar");
	assert_non_null(find(&l, "net.sf:jopt-simple"));
	assert_null(find(&l, "guava"));
	assert_string_equal(find(&l, "app")->version, "1.0");
	bh_pkglist_release(&l);
	free(inner);
	free(mfjar);
	free(war);
}

static void test_java_hostile(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	char *cur;
	size_t len;
	struct zipw z;
	static const char pom[] = "groupId=g\nartifactId=deep\nversion=1\n";

	/* a jar nested 100 deep: read down to the limit, then a warning */
	zip_init(&z);
	zip_add(&z, "META-INF/maven/g/deep/pom.properties", pom, sizeof(pom) - 1);
	cur = zip_finish(&z, &len);
	for (int i = 0; i < 100; i++) {
		char *next;
		size_t nlen;

		zip_init(&z);
		zip_add(&z, "lib/inner.jar", cur, len);
		next = zip_finish(&z, &nlen);
		free(cur);
		cur = next;
		len = nlen;
	}
	assert_int_equal(bh_parse_java_archive((unsigned char *)cur, len, "deep.jar", 4, &l, &err),
			 -1);
	assert_error(err, BH_ERR_LIMIT, "nested deeper than 4");
	bh_error_clear(&err);
	assert_null(find(&l, "g:deep"));
	bh_pkglist_release(&l);
	free(cur);

	/* not a zip; an empty file; a truncated zip */
	assert_int_equal(bh_parse_java_archive((const unsigned char *)"PK\x03\x04garbage", 11,
					       "x.jar", 4, &l, &err),
			 -1);
	bh_error_clear(&err);
	assert_int_equal(bh_parse_java_archive((const unsigned char *)"", 0, "x.jar", 4, &l, &err),
			 -1);
	bh_error_clear(&err);
	zip_init(&z);
	zip_add(&z, "META-INF/maven/g/a/pom.properties", pom, sizeof(pom) - 1);
	cur = zip_finish(&z, &len);
	for (size_t cut = 0; cut < len; cut++) {
		bh_parse_java_archive((unsigned char *)cur, cut, "x.jar", 4, &l, &err);
		bh_error_clear(&err);
		bh_pkglist_release(&l);
	}
	free(cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_os_release),
		cmocka_unit_test(test_os_release_hostile),
		cmocka_unit_test(test_dpkg),
		cmocka_unit_test(test_dpkg_hostile),
		cmocka_unit_test(test_apk),
		cmocka_unit_test(test_rpm_header),
		cmocka_unit_test(test_rpm_databases),
		cmocka_unit_test(test_rpm_unsupported),
		cmocka_unit_test(test_npm_package_json),
		cmocka_unit_test(test_npm_lockfiles),
		cmocka_unit_test(test_python),
		cmocka_unit_test(test_go_real),
		cmocka_unit_test(test_go_old_format),
		cmocka_unit_test(test_go_stream_real),
		cmocka_unit_test(test_go_stream_old_format),
		cmocka_unit_test(test_java),
		cmocka_unit_test(test_java_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
