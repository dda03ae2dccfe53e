/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secrets in files that packages installed (dpkg and apk): a file a
 * package vouches for (its md5sums line, its apk Z: checksum) is left out,
 * or LOW naming the package; other content at its path, a path no package
 * lists and checksums that lie are reported as before.
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
#include "content_build.h"

/* ---- secrets in files that packages installed --------------------------------- */

/* A PEM private key with a body derived from `seed`: one key per seed. */
static char *pem_key(unsigned seed)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct bh_buf b = BH_BUF_INIT(4096);
	uint32_t x = seed * 2654435761u + 1;

	bh_buf_adds(&b, "-----BEGIN RSA PRIVATE KEY-----\n", NULL);
	for (int l = 0; l < 4; l++) {
		for (int i = 0; i < 64; i++) {
			x = x * 1103515245u + 12345u;
			bh_buf_addc(&b, b64[(x >> 16) & 63], NULL);
		}
		bh_buf_addc(&b, '\n', NULL);
	}
	bh_buf_adds(&b, "-----END RSA PRIVATE KEY-----\n", NULL);
	return bh_buf_detach(&b, NULL);
}

/* "<md5 hex>  <path>\n", as dpkg writes a line of info/<pkg>.md5sums. */
static void md5sums_line(struct bh_buf *b, const char *content, const char *path)
{
	unsigned char d[16];
	unsigned int k = 0;

	assert_int_equal(EVP_Digest(content, strlen(content), d, &k, EVP_md5(), NULL), 1);
	for (size_t i = 0; i < 16; i++)
		bh_buf_addf(b, NULL, "%02x", d[i]);
	bh_buf_addf(b, NULL, "  %s\n", path);
}

/* "Q1<base64 of the SHA-1>", as apk writes a Z: line. */
static char *apk_sum(const char *content)
{
	unsigned char d[20], out[32];
	unsigned int k = 0;

	assert_int_equal(EVP_Digest(content, strlen(content), d, &k, EVP_sha1(), NULL), 1);
	EVP_EncodeBlock(out, d, 20);
	return bh_asprintf("Q1%s", (const char *)out);
}

static void add_file(json_t *members, const char *name, const char *data)
{
	json_array_append_new(members, json_pack("{s:s, s:s}", "name", name, "data", data));
}

static char *spec_of(json_t *l1, json_t *l2)
{
	json_t *spec = json_pack("{s:s, s:[{s:o}]}", "format", "oci", "layers", "members", l1);
	struct bh_buf b = BH_BUF_INIT(1u << 20);

	if (l2)
		json_array_append_new(json_object_get(spec, "layers"),
				      json_pack("{s:o}", "members", l2));
	must(bh_json_dump_buf(spec, JSON_COMPACT, &b, NULL), NULL, "spec");
	json_decref(spec);
	return bh_buf_detach(&b, NULL);
}

static const struct bh_finding *secret_at(const struct bh_findings *f, const char *path, int layer)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].kind == BH_FIND_SECRET && f->v[i].path && !strcmp(f->v[i].path, path) &&
		    f->v[i].layer == layer)
			return &f->v[i];
	return NULL;
}

/* The severity of the secret at (path, layer), or -1 when there is none. */
static int sev_at(const struct bh_findings *f, const char *path, int layer)
{
	const struct bh_finding *x = secret_at(f, path, layer);

	return x ? (int)x->severity : -1;
}

static void scan_dpkg(const char *img, bool include, struct bh_findings *f)
{
	struct bh_content_opts o = { 0 };

	o.secrets = true;
	o.secret_include_packaged = include;
	scan_image(img, &o, NULL, true, f);
}

/*
 * dpkg: an example key a package installed (a) is left out, or LOW naming
 * the package; the same path with other content (b), a key at a path no
 * package lists (c) and md5sums that lie (d) are reported as before: a
 * list of a package that is not installed, of another architecture, or
 * rewritten after the package's version appeared. A whole forged database
 * (status and md5sums written in one layer) is believed: the residual risk
 * bulkhead-scan(1) names.
 */
static void packaged_secrets_dpkg(void **state)
{
	char *dir = unit_mktmp(), *img, *json;
	char *ka = pem_key(1), *kb = pem_key(2), *kb2 = pem_key(3), *kc = pem_key(4);
	char *kg = pem_key(5), *ki = pem_key(6), *kd1 = pem_key(7), *kd2 = pem_key(8);
	char *kf = pem_key(9);
	struct bh_buf doc = BH_BUF_INIT(1u << 16), other = BH_BUF_INIT(1u << 16);
	struct bh_buf other2 = BH_BUF_INIT(1u << 16), gone = BH_BUF_INIT(1u << 16);
	struct bh_buf i386 = BH_BUF_INIT(1u << 16), evil = BH_BUF_INIT(1u << 16);
	struct bh_buf forged = BH_BUF_INIT(1u << 16);
	const char *status =
		"Package: docpkg\nStatus: install ok installed\nArchitecture: all\n"
		"Version: 1.0-1\n\nPackage: otherpkg\nStatus: install ok installed\n"
		"Architecture: amd64\nVersion: 2.0-1\n\nPackage: gonepkg\n"
		"Status: deinstall ok config-files\nArchitecture: all\nVersion: 0.9-1\n";
	char *status2 = bh_asprintf("%s\nPackage: forged\nStatus: install ok installed\n"
				    "Architecture: all\nVersion: 1\n",
				    status);
	json_t *l1 = json_array(), *l2 = json_array();
	struct bh_findings f = { 0 };
	const struct bh_finding *x;

	md5sums_line(&doc, ka, "usr/share/doc/docpkg/examples/key.pem");
	md5sums_line(&doc, kb, "usr/share/doc/docpkg/examples/server.pem");
	md5sums_line(&other, "x\n", "usr/share/doc/otherpkg/README");
	md5sums_line(&other2, "x\n", "usr/share/doc/otherpkg/README");
	md5sums_line(&other2, kd2, "app/planted2.pem");
	md5sums_line(&gone, kg, "usr/share/doc/gonepkg/key.pem");
	md5sums_line(&i386, ki, "usr/share/doc/otherpkg/key.pem");
	md5sums_line(&evil, kd1, "app/planted.pem");
	md5sums_line(&forged, kf, "app/forged.pem");
	add_file(l1, "var/lib/dpkg/status", status);
	add_file(l1, "var/lib/dpkg/info/docpkg.md5sums", doc.data);
	add_file(l1, "var/lib/dpkg/info/otherpkg.md5sums", other.data);
	add_file(l1, "var/lib/dpkg/info/gonepkg.md5sums", gone.data);
	add_file(l1, "var/lib/dpkg/info/otherpkg:i386.md5sums", i386.data);
	add_file(l1, "usr/share/doc/docpkg/examples/key.pem", ka);    /* (a) */
	add_file(l1, "usr/share/doc/docpkg/examples/server.pem", kb); /* (a), then (b) */
	add_file(l1, "usr/share/doc/docpkg/examples/extra.pem", kc);  /* (c) */
	add_file(l1, "usr/share/doc/gonepkg/key.pem", kg);	      /* not installed */
	add_file(l1, "usr/share/doc/otherpkg/key.pem", ki);	      /* other arch */
	add_file(l1, "usr/share/doc/otherpkg/README", "x\n");
	add_file(l2, "usr/share/doc/docpkg/examples/server.pem", kb2);	 /* (b) */
	add_file(l2, "app/planted.pem", kd1);				 /* (d) */
	add_file(l2, "var/lib/dpkg/info/evil.md5sums", evil.data);	 /* not installed */
	add_file(l2, "app/planted2.pem", kd2);				 /* (d) */
	add_file(l2, "var/lib/dpkg/info/otherpkg.md5sums", other2.data); /* rewritten */
	add_file(l2, "app/forged.pem", kf);
	add_file(l2, "var/lib/dpkg/status", status2);
	add_file(l2, "var/lib/dpkg/info/forged.md5sums", forged.data);
	json = spec_of(l1, l2);
	img = build_image(dir, json);
	if (!img)
		goto out;

	/* By default a package's own unchanged file is left out... */
	scan_dpkg(img, false, &f);
	assert_null(secret_at(&f, "/usr/share/doc/docpkg/examples/key.pem", 0));
	assert_null(secret_at(&f, "/usr/share/doc/docpkg/examples/server.pem", 0));
	assert_null(secret_at(&f, "/app/forged.pem", 1));
	/* ...and everything else is reported as before. */
	x = secret_at(&f, "/usr/share/doc/docpkg/examples/server.pem", 1);
	assert_non_null(x);
	assert_int_equal(x->severity, BH_SEV_HIGH);
	assert_int_equal(x->pkg, SIZE_MAX);
	assert_int_equal(sev_at(&f, "/usr/share/doc/docpkg/examples/extra.pem", 0), BH_SEV_HIGH);
	assert_int_equal(sev_at(&f, "/usr/share/doc/gonepkg/key.pem", 0), BH_SEV_HIGH);
	assert_int_equal(sev_at(&f, "/usr/share/doc/otherpkg/key.pem", 0), BH_SEV_HIGH);
	assert_int_equal(sev_at(&f, "/app/planted.pem", 1), BH_SEV_HIGH);
	assert_int_equal(sev_at(&f, "/app/planted2.pem", 1), BH_SEV_HIGH);
	assert_int_equal(count(&f, "BH-SECRET-PRIVATE-KEY"), 6);
	bh_findings_release(&f);

	/* With secret_include_packaged: LOW, with the package. */
	scan_dpkg(img, true, &f);
	assert_int_equal(count(&f, "BH-SECRET-PRIVATE-KEY"), 9);
	x = secret_at(&f, "/usr/share/doc/docpkg/examples/key.pem", 0);
	assert_non_null(x);
	assert_int_equal(x->severity, BH_SEV_LOW);
	assert_int_equal(x->removed_layer, -1);
	assert_int_not_equal(x->pkg, SIZE_MAX);
	assert_non_null(strstr(x->title, "package docpkg"));
	assert_non_null(strstr(x->description, "docpkg 1.0-1"));
	x = secret_at(&f, "/usr/share/doc/docpkg/examples/server.pem", 0);
	assert_non_null(x);
	assert_int_equal(x->severity, BH_SEV_LOW);
	assert_int_equal(x->removed_layer, 1);
	assert_non_null(strstr(x->title, "deleted in layer 2"));
	assert_int_equal(sev_at(&f, "/usr/share/doc/docpkg/examples/server.pem", 1), BH_SEV_HIGH);
	assert_int_equal(sev_at(&f, "/app/planted2.pem", 1), BH_SEV_HIGH);
	x = secret_at(&f, "/app/forged.pem", 1);
	assert_non_null(x);
	assert_int_equal(x->severity, BH_SEV_LOW);
	assert_non_null(strstr(x->title, "package forged"));
	bh_findings_release(&f);
	free(img);
out:
	free(json);
	free(status2);
	free(ka);
	free(kb);
	free(kb2);
	free(kc);
	free(kg);
	free(ki);
	free(kd1);
	free(kd2);
	free(kf);
	bh_buf_release(&doc);
	bh_buf_release(&other);
	bh_buf_release(&other2);
	bh_buf_release(&gone);
	bh_buf_release(&i386);
	bh_buf_release(&evil);
	bh_buf_release(&forged);
	unit_rmtmp(dir);
	if (!img)
		skip();
}

/* apk: the Z: line (SHA-1) vouches for a file; other content does not. A
 * path through a symlinked directory (etc/ssl -> ../usr/lib/ssl) is followed. */
static void packaged_secrets_apk(void **state)
{
	char *dir = unit_mktmp(), *img, *json, *db;
	char *ka = pem_key(11), *kb = pem_key(12), *kb2 = pem_key(13), *kl = pem_key(14);
	char *sa = apk_sum(ka), *sb = apk_sum(kb), *sl = apk_sum(kl);
	json_t *l1 = json_array();
	struct bh_findings f = { 0 };
	struct bh_content_opts o = { 0 };

	db = bh_asprintf("P:docs\nV:1.0-r0\nA:x86_64\nF:usr/share/doc/docs\nR:key.pem\n"
			 "a:0:0:644\nZ:%s\nR:changed.pem\nZ:%s\nF:etc/ssl\nR:test.pem\nZ:%s\n",
			 sa, sb, sl);
	add_file(l1, "lib/apk/db/installed", db);
	add_file(l1, "usr/share/doc/docs/key.pem", ka);
	add_file(l1, "usr/share/doc/docs/changed.pem", kb2);
	json_array_append_new(l1, json_pack("{s:s, s:s, s:s}", "name", "etc/ssl", "type", "symlink",
					    "link", "../usr/lib/ssl"));
	add_file(l1, "usr/lib/ssl/test.pem", kl);
	json = spec_of(l1, NULL);
	img = build_image(dir, json);
	if (img) {
		o.secrets = true;
		scan_image(img, &o, NULL, true, &f);
		assert_null(secret_at(&f, "/usr/share/doc/docs/key.pem", 0));
		assert_null(secret_at(&f, "/usr/lib/ssl/test.pem", 0));
		assert_int_equal(sev_at(&f, "/usr/share/doc/docs/changed.pem", 0), BH_SEV_HIGH);
		assert_int_equal(f.n, 1);
		bh_findings_release(&f);
		/* Without the inventory nothing counts as packaged. */
		scan_image(img, &o, NULL, false, &f);
		assert_int_equal(count(&f, "BH-SECRET-PRIVATE-KEY"), 3);
		bh_findings_release(&f);
		free(img);
	}
	free(json);
	free(db);
	free(ka);
	free(kb);
	free(kb2);
	free(kl);
	free(sa);
	free(sb);
	free(sl);
	unit_rmtmp(dir);
	if (!img)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(packaged_secrets_dpkg),
		cmocka_unit_test(packaged_secrets_apk),
	};

	return cmocka_run_group_tests_name("content packaged secrets", tests, NULL, NULL);
}
