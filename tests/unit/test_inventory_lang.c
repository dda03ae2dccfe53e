/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The language catalogers' parsers on small real or hand-made files and on
 * hostile ones: package.json (not JSON) and lockfiles v1/v3, Python METADATA
 * (no Version), Java archives (pom.properties, MANIFEST.MF, file names,
 * nesting, a jar nested 100 deep), purls. Helpers in inventory_unit.h.
 */
#include <zlib.h>

#include "unit.h"
#include "bulkhead/inventory.h"
#include "inventory_unit.h"

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

	assert_int_equal(
		bh_inventory_parse_npm_package_json(
			pj, sizeof(pj) - 1, "app/node_modules/@types/node/package.json", &l, &err),
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
			assert_int_equal(bh_inventory_parse_npm_package_json(bad[i], strlen(bad[i]),
									     "p", &l, &err),
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

	assert_int_equal(bh_inventory_parse_npm_lockfile(v3, sizeof(v3) - 1,
							 "app/package-lock.json", &l, &err),
			 0);
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

	assert_int_equal(
		bh_inventory_parse_npm_lockfile(v1, sizeof(v1) - 1, "package-lock.json", &l, &err),
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
		assert_int_equal(bh_inventory_parse_npm_lockfile(b.data, b.len, "x", &l, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
		bh_error_clear(&err);
		assert_true(l.n > 10);
		bh_pkglist_release(&l);
		bh_buf_release(&b);
	}
	assert_int_equal(bh_inventory_parse_npm_lockfile("[1]", 3, "x", &l, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(bh_inventory_parse_npm_lockfile("{}", 2, "x", &l, &err), 0);
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

	assert_int_equal(
		bh_inventory_parse_python_metadata(meta, sizeof(meta) - 1,
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

	assert_int_equal(
		bh_inventory_parse_python_metadata(egg, sizeof(egg) - 1, "six.egg-info", &l, &err),
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
			assert_int_equal(bh_inventory_parse_python_metadata(
						 bad[i], strlen(bad[i]) + (i == 3), "M", &l, &err),
					 -1);
			assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
			bh_error_clear(&err);
			assert_int_equal(l.n, 0);
		}
	}
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

	assert_int_equal(bh_inventory_parse_java_archive((unsigned char *)inner, ilen,
							 "usr/share/java/commons-io.jar", 4, &l,
							 &err),
			 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "org.apache.commons:commons-io");
	assert_string_equal(l.v[0].version, "2.11.0");
	assert_string_equal(l.v[0].ecosystem, "Maven");
	assert_string_equal(l.v[0].purl, "pkg:maven/org.apache.commons/commons-io@2.11.0");
	assert_string_equal(l.v[0].path, "/usr/share/java/commons-io.jar");
	bh_pkglist_release(&l);

	assert_int_equal(
		bh_inventory_parse_java_archive((unsigned char *)mfjar, mlen, "a.jar", 4, &l, &err),
		0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "net.sf:jopt-simple");
	assert_string_equal(l.v[0].version, "5.0.4");
	bh_pkglist_release(&l);

	/* a war: nested jars, one of them not a zip (reported, not listed), the
	 * war itself named by its file */
	assert_int_equal(bh_inventory_parse_java_archive((unsigned char *)war, wlen,
							 "srv/app-1.0.war", 4, &l, &err),
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
	assert_int_equal(
		bh_inventory_parse_java_archive((unsigned char *)cur, len, "deep.jar", 4, &l, &err),
		-1);
	assert_error(err, BH_ERR_LIMIT, "nested deeper than 4");
	bh_error_clear(&err);
	assert_null(find(&l, "g:deep"));
	bh_pkglist_release(&l);
	free(cur);

	/* not a zip; an empty file; a truncated zip */
	assert_int_equal(bh_inventory_parse_java_archive((const unsigned char *)"PK\x03\x04garbage",
							 11, "x.jar", 4, &l, &err),
			 -1);
	bh_error_clear(&err);
	assert_int_equal(
		bh_inventory_parse_java_archive((const unsigned char *)"", 0, "x.jar", 4, &l, &err),
		-1);
	bh_error_clear(&err);
	zip_init(&z);
	zip_add(&z, "META-INF/maven/g/a/pom.properties", pom, sizeof(pom) - 1);
	cur = zip_finish(&z, &len);
	for (size_t cut = 0; cut < len; cut++) {
		bh_inventory_parse_java_archive((unsigned char *)cur, cut, "x.jar", 4, &l, &err);
		bh_error_clear(&err);
		bh_pkglist_release(&l);
	}
	free(cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_npm_package_json), cmocka_unit_test(test_npm_lockfiles),
		cmocka_unit_test(test_python),		 cmocka_unit_test(test_java),
		cmocka_unit_test(test_java_hostile),
	};

	return cmocka_run_group_tests_name("inventory languages", tests, NULL, NULL);
}
