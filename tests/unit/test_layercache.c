/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The layer cache: what the merged view, the inventory and the content
 * scanners make of a layer, kept by diff_id and used again, must give the
 * very results of a read. On every test image ($TESTDATA/images), on images
 * sharing layers (the gzip and zstd debian-app, the OCI and docker-archive
 * alpine), with options that must miss, with rows that are corrupt, cut,
 * swapped or hostile, with the limits, and the stored entries' decoder with
 * hostile bytes.
 */
#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/content.h"
#include "bulkhead/image.h"
#include "bulkhead/inventory.h"
#include "bulkhead/report.h"
#include "bulkhead/scan.h"
#include "image/internal.h"

static char *tmp;

static char *image_path(const char *name)
{
	const char *td = getenv("TESTDATA");

	return td ? bh_asprintf("%s/images/%s", td, name) : NULL;
}

static int setup(void **state)
{
	tmp = unit_mktmp();
	return 0;
}

static int teardown(void **state)
{
	unit_rmtmp(tmp);
	return 0;
}

static void must_(int rc, struct bh_error *err, const char *what)
{
	if (rc < 0)
		fail_msg("%s: %s", what, bh_error_message(err));
}

/* The call first, then its error (arguments have no order of evaluation). */
#define must(call, err, what)                                                                      \
	do {                                                                                       \
		int rc_ = (call);                                                                  \
		must_(rc_, err, what);                                                             \
	} while (0)

static struct bh_content_opts content = { .builtin_rules_dir = "rules" };

/* A scan as `bulkhead scan --scanners config,secret,malware` (or sbom with
 * scanners 0) runs it; the report and the inventory as one JSON text. */
static char *scan_json(const char *image, unsigned scanners, const char *cache_path,
		       const struct bh_content_opts *co, unsigned threads, size_t *cached)
{
	struct bh_scan_opts o = { .scanners = scanners,
				  .threads = threads,
				  .content = co ? co : &content,
				  .cache_path = cache_path };
	struct bh_scan_result *r = NULL;
	struct bh_error *err = NULL;
	struct bh_report rep = { 0 };
	json_t *doc = NULL, *both;
	char *s;

	must(bh_scan_image(NULL, image, &o, &r, &err), err, image);
	rep.img = r->img;
	rep.inv = r->inv;
	rep.findings = &r->findings;
	rep.tool_version = "test";
	must(bh_report_json(&rep, &doc, &err), err, "report");
	both = json_pack("{s:o, s:o, s:I, s:I}", "report", doc, "inventory",
			 bh_inventory_json(r->inv, r->img), "files",
			 (json_int_t)r->stats.content.files_scanned, "bytes",
			 (json_int_t)r->stats.content.bytes_scanned);
	s = json_dumps(both, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(both);
	if (cached)
		*cached = r->stats.layers_cached;
	bh_scan_result_free(r);
	return s;
}

static void assert_same(const char *a, const char *b, const char *what)
{
	if (strcmp(a, b)) {
		size_t i = 0;

		while (a[i] && a[i] == b[i])
			i++;
		fail_msg("%s: results differ at byte %zu:\n%.300s\n---\n%.300s", what, i,
			 a + (i > 100 ? i - 100 : 0), b + (i > 100 ? i - 100 : 0));
	}
}

static size_t nlayers_of(const char *image)
{
	struct bh_image *img = NULL;
	struct bh_error *err = NULL;
	size_t n;

	must(bh_image_open(image, NULL, &img, &err), err, image);
	n = img->nlayers;
	bh_image_free(img);
	return n;
}

static const char *const images[] = {
	"alpine-3.10.3.oci.tar", "alpine-3.10.3.docker.tar", "alpine-3.19.4.docker.tar",
	"debian-app.oci.tar",	 "debian-app-zstd.oci.tar",
};

static const unsigned scanner_sets[] = { 0, BH_SCAN_CONFIG | BH_SCAN_SECRET | BH_SCAN_MALWARE };

static const char *debian_plain(const char *path);

/* load(save(x)) finishes as x did: every image, every scanner set, 1 and 2
 * threads: the results with the cache, filling it and from it, are those
 * without it. */
static void every_image_gives_the_same_results_from_the_cache(void **state)
{
	for (size_t s = 0; s < sizeof(scanner_sets) / sizeof(scanner_sets[0]); s++) {
		char *cache = bh_asprintf("%s/all-%zu.layers.sqlite", tmp, s);

		for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
			char *path = image_path(images[i]);
			size_t n, cached = 99;
			char *plain, *fill, *hit, *hit1;

			if (!path || access(path, R_OK))
				skip();
			n = nlayers_of(path);
			if (scanner_sets[s] && !strcmp(images[i], "debian-app.oci.tar"))
				plain = strdup(debian_plain(path));
			else
				plain = scan_json(path, scanner_sets[s], NULL, NULL, 2, NULL);
			fill = scan_json(path, scanner_sets[s], cache, NULL, 2, &cached);
			/* alpine 3.10.3 comes twice (OCI, then a docker-archive, which
			 * names no blob digests): the second is all hits; debian-app
			 * compressed with zstd is other blobs, read once more */
			if (i != 1)
				assert_int_equal(cached, 0);
			else
				assert_int_equal(cached, n);
			hit = scan_json(path, scanner_sets[s], cache, NULL, 2, &cached);
			assert_int_equal(cached, n);
			hit1 = scan_json(path, scanner_sets[s], cache, NULL, 1, &cached);
			assert_int_equal(cached, n);
			assert_same(plain, fill, images[i]);
			assert_same(plain, hit, images[i]);
			assert_same(plain, hit1, images[i]);
			free(plain);
			free(fill);
			free(hit);
			free(hit1);
			free(path);
		}
		free(cache);
	}
}

/* What changes a layer's results besides the layer never hits: the
 * scanners, their options, the rules, bulkhead's version (the salt stands
 * in for it); and what does not change them (skip-checks) does hit. */
static void a_changed_scanner_or_option_misses(void **state)
{
	char *path = image_path("debian-app.oci.tar");
	char *cache = bh_asprintf("%s/opts.layers.sqlite", tmp);
	char *rules = bh_asprintf("%s/rules", tmp), *rule = bh_asprintf("%s/x.yar", rules);
	struct bh_content_opts big = content, bin = content, yara = content, skip = content;
	static const char *const skips[] = { "BH-CFG-013", NULL };
	struct bh_layer_cache *lc = NULL;
	struct bh_error *err = NULL;
	unsigned all = BH_SCAN_CONFIG | BH_SCAN_SECRET | BH_SCAN_MALWARE;
	size_t n, cached;
	char *a, *b;

	if (!path || access(path, R_OK))
		skip();
	n = nlayers_of(path);
	free(scan_json(path, all, cache, NULL, 2, &cached));
	assert_int_equal(cached, 0);
	free(scan_json(path, all, cache, NULL, 2, &cached));
	assert_int_equal(cached, n);
	/* another scanner set */
	free(scan_json(path, BH_SCAN_SECRET, cache, NULL, 2, &cached));
	assert_int_equal(cached, 0);
	free(scan_json(path, BH_SCAN_SECRET, cache, NULL, 2, &cached));
	assert_int_equal(cached, n);
	/* --max-file-size, --secret-binaries, --yara-rules */
	big.max_file_size = 1024;
	free(scan_json(path, all, cache, &big, 2, &cached));
	assert_int_equal(cached, 0);
	bin.secret_binaries = true;
	free(scan_json(path, all, cache, &bin, 2, &cached));
	assert_int_equal(cached, 0);
	assert_int_equal(mkdir(rules, 0755), 0);
	{
		FILE *f = fopen(rule, "w");

		fputs("rule x { strings: $a = \"bulkhead-test-marker\" condition: $a }\n", f);
		fclose(f);
	}
	yara.yara_rules_dir = rules;
	free(scan_json(path, all, cache, &yara, 2, &cached));
	assert_int_equal(cached, 0);
	free(scan_json(path, all, cache, &yara, 2, &cached));
	assert_int_equal(cached, n);
	/* the same directory with another rule in it: its digest changed */
	{
		FILE *f = fopen(rule, "w");

		fputs("rule x { strings: $a = \"another-marker\" condition: $a }\n", f);
		fclose(f);
	}
	free(scan_json(path, all, cache, &yara, 2, &cached));
	assert_int_equal(cached, 0);
	/* --skip-checks applies after the walk: a hit, and its effect is there */
	skip.skip_checks = skips;
	a = scan_json(path, all, cache, &skip, 2, &cached);
	assert_int_equal(cached, n);
	b = scan_json(path, all, NULL, &skip, 2, NULL);
	assert_same(b, a, "skip-checks");
	free(a);
	free(b);
	/* another bulkhead: nothing it stored is read */
	must(bh_layer_cache_open(cache, false, &lc, &err), err, "open");
	bh_layer_cache_set_salt(lc, "another version");
	{
		struct bh_scan_opts o = { .scanners = all, .content = &content, .cache = lc };
		struct bh_scan_result *r = NULL;

		must(bh_scan_image(NULL, path, &o, &r, &err), err, "scan");
		assert_int_equal(r->stats.layers_cached, 0);
		bh_scan_result_free(r);
		must(bh_scan_image(NULL, path, &o, &r, &err), err, "scan");
		assert_int_equal(r->stats.layers_cached, n);
		bh_scan_result_free(r);
	}
	bh_layer_cache_close(lc);
	free(rule);
	free(rules);
	free(cache);
	free(path);
}

static void sql(const char *db, const char *q)
{
	sqlite3 *h = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg);
	sqlite3_close(h);
}

static int64_t sql_int(const char *db, const char *q)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* The layer whose rows the damage below is done to: the one with the least
 * stored, the cheapest to read again (a damaged layer is read whole, and
 * damaging every layer made this test read debian-app's base layer a dozen
 * times: 200 s under SANITIZE). The other layers must still hit. */
#define DAMAGED                                                                                    \
	"diff_id = (SELECT diff_id FROM parts GROUP BY diff_id ORDER BY sum(size), diff_id LIMIT " \
	"1)"

/* What debian-app.oci.tar gives with every content scanner and no cache,
 * scanned once for the tests that compare against it (it is what a read
 * gives, whatever a cache holds). */
static const char *debian_plain(const char *path)
{
	static char *plain;

	if (!plain)
		plain = scan_json(path, BH_SCAN_CONFIG | BH_SCAN_SECRET | BH_SCAN_MALWARE, NULL,
				  NULL, 2, NULL);
	return plain;
}

/* A corrupt, cut, emptied or misplaced row is a miss: the layer is read, the
 * results are those of a read, and the row is written again; the layers
 * whose rows are sound still hit. */
static void a_corrupt_row_is_a_miss(void **state)
{
	static const char *const damage[] = {
		/* a byte of the payload flipped */
		"UPDATE parts SET data = substr(data, 1, 100) || x'ff' || substr(data, 102)"
		" WHERE size > 200 AND " DAMAGED,
		/* cut */
		"UPDATE parts SET data = substr(data, 1, size / 2) WHERE " DAMAGED,
		/* empty, and shorter than the head */
		"UPDATE parts SET data = x'' WHERE " DAMAGED,
		"UPDATE parts SET data = x'42484c4301' WHERE " DAMAGED,
		/* each row holds another row's bytes (the key inside does not match) */
		"UPDATE parts SET data = (SELECT p2.data FROM parts p2 WHERE p2.id != parts.id"
		" ORDER BY p2.id LIMIT 1) WHERE " DAMAGED,
		/* a format this bulkhead does not know */
		"UPDATE parts SET data = substr(data, 1, 4) || x'09' || substr(data, 6) "
		"WHERE " DAMAGED,
	};
	char *path = image_path("debian-app.oci.tar");
	char *cache = bh_asprintf("%s/corrupt.layers.sqlite", tmp);
	unsigned all = BH_SCAN_CONFIG | BH_SCAN_SECRET | BH_SCAN_MALWARE;
	size_t n, cached;
	const char *plain;

	if (!path || access(path, R_OK))
		skip();
	n = nlayers_of(path);
	assert_true(n > 1);
	plain = debian_plain(path);
	/* filled, and every layer hits; each damage below leaves it so again */
	free(scan_json(path, all, cache, NULL, 2, &cached));
	free(scan_json(path, all, cache, NULL, 2, &cached));
	assert_int_equal(cached, n);
	for (size_t d = 0; d < sizeof(damage) / sizeof(damage[0]); d++) {
		char *got;

		sql(cache, damage[d]);
		got = scan_json(path, all, cache, NULL, 2, &cached);
		if (cached != n - 1)
			fail_msg("damage %zu: %zu of %zu layers from the cache, not all but the "
				 "damaged one",
				 d, cached, n);
		assert_same(plain, got, damage[d]);
		free(got);
		/* written again: the next scan hits */
		got = scan_json(path, all, cache, NULL, 2, &cached);
		assert_int_equal(cached, n);
		assert_same(plain, got, damage[d]);
		free(got);
	}
	/* one part of one layer missing: that layer alone is read */
	sql(cache, "DELETE FROM parts WHERE id = (SELECT min(id) FROM parts WHERE part ="
		   " 'inventory')");
	free(scan_json(path, all, cache, NULL, 2, &cached));
	assert_int_equal(cached, n - 1);
	free(cache);
	free(path);
}

/* Rows made here by hand, sealed as the walk seals them, so that they pass
 * the checksum: the consumers' own loaders must refuse what is malformed,
 * and the walk then reads the layer from a clean start. */
static void reseal(const char *db, const char *part, const unsigned char *payload, size_t n)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *sel = NULL, *upd = NULL;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h,
					    "SELECT id, key FROM parts WHERE part = ? AND " DAMAGED,
					    -1, &sel, NULL),
			 SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(h, "UPDATE parts SET data = ? WHERE id = ?", -1, &upd, NULL),
		SQLITE_OK);
	sqlite3_bind_text(sel, 1, part, -1, SQLITE_STATIC);
	while (sqlite3_step(sel) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(sel, 1);
		unsigned char *row = malloc(70 + n), kb[32];
		unsigned int len = 0;
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		for (size_t i = 0; i < 32; i++)
			sscanf(key + 2 * i, "%2hhx", &kb[i]);
		memcpy(row, "BHLC\1\0", 6);
		memcpy(row + 6, kb, 32);
		EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
		EVP_DigestUpdate(ctx, kb, 32);
		EVP_DigestUpdate(ctx, payload, n);
		EVP_DigestFinal_ex(ctx, row + 38, &len);
		EVP_MD_CTX_free(ctx);
		memcpy(row + 70, payload, n);
		sqlite3_reset(upd);
		sqlite3_bind_blob(upd, 1, row, (int)(70 + n), SQLITE_TRANSIENT);
		sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
		assert_int_equal(sqlite3_step(upd), SQLITE_DONE);
		free(row);
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_close(h);
}

static void a_part_that_does_not_load_is_read_instead(void **state)
{
	static const struct {
		const char *part;
		const char *payload;
		size_t n;
	} bad[] = {
		/* one doc of an unknown cataloger */
		{ "inventory",
		  "\x01\x06"
		  "etc/x\x08"
		  "no-such\0\0\0\0\0\0\0\0",
		  23 },
		/* a count larger than the bytes */
		{ "inventory", "\x7f", 1 },
		/* a hit of kind 9 */
		{ "content",
		  "\x01\x03"
		  "id\x09",
		  5 },
		/* content with trailing bytes */
		{ "content", "\0\0\0\0\0\0\0\0\0\0\0\x01", 12 },
		/* entries: a path that climbs out, "../etc" */
		{ "walk", "\0\1\1\0\7../etc\1\0\0\0\0\0\0\0\0\0", 21 },
		/* entries: more than the tar had */
		{ "walk", "\0\0\5", 3 },
	};
	char *path = image_path("debian-app.oci.tar");
	char *cache = bh_asprintf("%s/reseal.layers.sqlite", tmp);
	unsigned all = BH_SCAN_CONFIG | BH_SCAN_SECRET | BH_SCAN_MALWARE;
	size_t n, cached;
	const char *plain;

	if (!path || access(path, R_OK))
		skip();
	n = nlayers_of(path);
	assert_true(n > 1);
	plain = debian_plain(path);
	/* filled, and every layer hits; each bad row below leaves it so again */
	free(scan_json(path, all, cache, NULL, 2, &cached));
	free(scan_json(path, all, cache, NULL, 2, &cached));
	assert_int_equal(cached, n);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *got;

		reseal(cache, bad[i].part, (const unsigned char *)bad[i].payload, bad[i].n);
		got = scan_json(path, all, cache, NULL, 2, &cached);
		if (cached != n - 1)
			fail_msg("bad %s row %zu: %zu of %zu layers from the cache, not all but "
				 "the bad one",
				 bad[i].part, i, cached, n);
		assert_same(plain, got, bad[i].part);
		free(got);
		got = scan_json(path, all, cache, NULL, 2, &cached);
		assert_int_equal(cached, n);
		free(got);
	}
	free(cache);
	free(path);
}

/* A layer from the cache still counts against the image's limits. */
static void cached_layers_count_against_the_limits(void **state)
{
	char *path = image_path("debian-app.oci.tar");
	char *cache = bh_asprintf("%s/limits.layers.sqlite", tmp);
	struct bh_image_limits lim;
	struct bh_image_open_opts oo = { .limits = &lim };
	struct bh_scan_opts o = { .cache_path = cache, .open = &oo };
	struct bh_scan_result *r = NULL;
	struct bh_error *err = NULL;
	size_t cached;

	if (!path || access(path, R_OK))
		skip();
	free(scan_json(path, 0, cache, NULL, 2, &cached));
	bh_image_limits_default(&lim);
	lim.max_entries = 100;
	assert_int_equal(bh_scan_image(NULL, path, &o, &r, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "more than 100 entries");
	bh_error_clear(&err);
	bh_image_limits_default(&lim);
	lim.max_total_size = 1 << 20;
	assert_int_equal(bh_scan_image(NULL, path, &o, &r, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "uncompressed size exceeds");
	bh_error_free(err);
	free(cache);
	free(path);
}

/* A root filesystem has no diff_id: nothing is stored, nothing read. */
static void a_root_filesystem_is_never_cached(void **state)
{
	char *cache = bh_asprintf("%s/rootfs.layers.sqlite", tmp);
	char *root = bh_asprintf("rootfs:%s/root", tmp), *dir = bh_asprintf("%s/root/etc", tmp);
	size_t cached = 9;

	assert_int_equal(bh_mkdirs(dir, 0755, 0755, NULL), 0);
	free(scan_json(root, BH_SCAN_CONFIG, cache, NULL, 1, &cached));
	assert_int_equal(cached, 0);
	free(scan_json(root, BH_SCAN_CONFIG, cache, NULL, 1, &cached));
	assert_int_equal(cached, 0);
	assert_int_equal(access(cache, F_OK), -1);
	free(dir);
	free(root);
	free(cache);
}

/* The cache stays within its maximum, evicting whole layers, least recently
 * used first; prune reports and shrinks. */
static void the_cache_is_bounded(void **state)
{
	char *cache = bh_asprintf("%s/bounded.layers.sqlite", tmp);
	char *deb = image_path("debian-app.oci.tar"), *alp = image_path("alpine-3.19.4.docker.tar");
	struct bh_layer_cache *lc = NULL;
	struct bh_layer_cache_prune_opts po = { .set_max = true };
	struct bh_layer_cache_prune_stats st;
	struct bh_error *err = NULL;
	json_t *info = NULL;
	json_int_t bytes = 0, layers = 0;
	size_t cached;

	if (!deb || access(deb, R_OK))
		skip();
	free(scan_json(alp, 0, cache, NULL, 2, &cached));
	free(scan_json(deb, 0, cache, NULL, 2, &cached));
	must(bh_layer_cache_open(cache, false, &lc, &err), err, "open");
	must(bh_layer_cache_info(lc, &info, &err), err, "info");
	bh_json_int(info, "bytes", &bytes);
	bh_json_int(info, "layers", &layers);
	assert_int_equal(layers, 6);
	json_decref(info);
	/* at most a little more than debian-app's: alpine (used first) goes */
	po.max_bytes = (uint64_t)bytes - 1;
	must(bh_layer_cache_prune(lc, &po, &st, &err), err, "prune");
	assert_true(st.removed >= 2); /* the alpine layer's two parts, at least */
	assert_true(st.bytes <= po.max_bytes);
	assert_int_equal(st.max_bytes, po.max_bytes);
	bh_layer_cache_close(lc);
	free(scan_json(alp, 0, cache, NULL, 2, &cached));
	assert_int_equal(cached, 0);
	/* a scan keeps the cache under the maximum it was given */
	assert_true(sql_int(cache, "SELECT sum(size) FROM parts") <= (int64_t)po.max_bytes);
	must(bh_layer_cache_open(cache, false, &lc, &err), err, "open");
	po = (struct bh_layer_cache_prune_opts){ .all = true };
	must(bh_layer_cache_prune(lc, &po, &st, &err), err, "prune all");
	assert_int_equal(st.parts, 0);
	assert_int_equal(st.bytes, 0);
	bh_layer_cache_close(lc);
	/* no file, no cache: open without create says so */
	assert_int_equal(bh_layer_cache_open("/nonexistent/x.layers.sqlite", false, &lc, &err), -1);
	assert_error(err, BH_ERR_NOTFOUND, "no layer cache");
	bh_error_free(err);
	/* the file is the owner's alone */
	{
		struct stat sb;

		assert_int_equal(stat(cache, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	free(alp);
	free(deb);
	free(cache);
}

static void the_cache_path_sits_beside_the_database(void **state)
{
	char *p = bh_layer_cache_path("/var/lib/bulkhead/db.sqlite");

	assert_string_equal(p, "/var/lib/bulkhead/db.layers.sqlite");
	free(p);
	p = bh_layer_cache_path("/tmp/advisories");
	assert_string_equal(p, "/tmp/advisories.layers");
	free(p);
	assert_null(bh_layer_cache_path(NULL));
}

/* ---- the stored entries' decoder ------------------------------------------------ */

static size_t put_u(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		p[n] |= v ? 0x80 : 0;
		n++;
	} while (v);
	return n;
}

/* One entry: shared prefix, suffix, type, mode, uid, gid, size, mtime, link,
 * devices, no xattrs. */
static size_t entry(unsigned char *p, size_t shared, const char *suffix, unsigned type,
		    uint64_t size, const char *link)
{
	size_t n = 0;

	n += put_u(p + n, shared);
	n += put_u(p + n, strlen(suffix) + 1);
	memcpy(p + n, suffix, strlen(suffix));
	n += strlen(suffix);
	n += put_u(p + n, type);
	n += put_u(p + n, 0644);
	n += put_u(p + n, 0);
	n += put_u(p + n, 0);
	n += put_u(p + n, size);
	n += put_u(p + n, 0);
	if (link) {
		n += put_u(p + n, strlen(link) + 1);
		memcpy(p + n, link, strlen(link));
		n += strlen(link);
	} else {
		n += put_u(p + n, 0);
	}
	n += put_u(p + n, 0);
	n += put_u(p + n, 0);
	n += put_u(p + n, 0);
	return n;
}

static void stored_entries_decode_and_refuse_what_a_read_cannot_make(void **state)
{
	unsigned char b[512];
	struct img_entries es;
	struct bh_error *err = NULL;
	size_t n = 0, good;

	/* usize, tar entries, count; "etc" dir, "etc/passwd" (shared 3), a symlink */
	n += put_u(b + n, 4096);
	n += put_u(b + n, 3);
	n += put_u(b + n, 3);
	n += entry(b + n, 0, "etc", BH_FT_DIR, 0, NULL);
	n += entry(b + n, 3, "/passwd", BH_FT_REG, 12, NULL);
	n += entry(b + n, 4, "sh", BH_FT_SYMLINK, 0, "/bin/busybox");
	good = n;
	assert_int_equal(img_entries_decode(b, n, NULL, &es, &err), 0);
	assert_int_equal(es.n, 3);
	assert_string_equal(es.v[1].path, "etc/passwd");
	assert_int_equal(es.v[1].size, 12);
	assert_string_equal(es.v[2].path, "etc/sh");
	assert_string_equal(es.v[2].link, "/bin/busybox");
	assert_int_equal(es.usize, 4096);
	img_entries_release(&es);
	/* every cut fails */
	for (size_t cut = 0; cut < good; cut++) {
		assert_int_equal(img_entries_decode(b, cut, NULL, &es, &err), -1);
		assert_null(es.v);
		bh_error_clear(&err);
	}
	/* one entry at a time, each wrong in its own way */
	{
		static const struct {
			size_t shared;
			const char *suffix;
			unsigned type;
			uint64_t size;
			const char *link;
		} bad[] = {
			{ 0, "../etc", BH_FT_REG, 0, NULL },
			{ 0, "/etc", BH_FT_REG, 0, NULL },
			{ 0, "a//b", BH_FT_REG, 0, NULL },
			{ 0, "a/./b", BH_FT_REG, 0, NULL },
			{ 0, "etc", 0, 0, NULL },
			{ 0, "etc", 10, 0, NULL },
			{ 0, "etc", BH_FT_DIR, 5, NULL },
			{ 0, "etc", BH_FT_SYMLINK, 0, NULL },
			{ 0, "etc", BH_FT_REG, 0, "x" },
			{ 0, "a", BH_FT_HARDLINK, 0, "../x" },
			{ 0, "", BH_FT_WHITEOUT, 0, NULL },
			{ 5, "x", BH_FT_REG, 0, NULL },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			n = 0;
			n += put_u(b + n, 0);
			n += put_u(b + n, 1);
			n += put_u(b + n, 1);
			n += entry(b + n, bad[i].shared, bad[i].suffix, bad[i].type, bad[i].size,
				   bad[i].link);
			if (img_entries_decode(b, n, NULL, &es, &err) == 0)
				fail_msg("bad entry %zu was taken", i);
			assert_error(err, BH_ERR_INVALID, "malformed");
			bh_error_clear(&err);
		}
	}
	/* more entries than the tar had, a count past the bytes, trailing bytes */
	n = 0;
	n += put_u(b + n, 0);
	n += put_u(b + n, 0);
	n += put_u(b + n, 1);
	n += entry(b + n, 0, "x", BH_FT_REG, 0, NULL);
	assert_int_equal(img_entries_decode(b, n, NULL, &es, &err), -1);
	bh_error_clear(&err);
	n = 0;
	n += put_u(b + n, 0);
	n += put_u(b + n, 1000000);
	n += put_u(b + n, 1000000);
	assert_int_equal(img_entries_decode(b, n, NULL, &es, &err), -1);
	bh_error_clear(&err);
	memcpy(b + good, "\0", 1);
	assert_int_equal(img_entries_decode(b, good + 1, NULL, &es, &err), -1);
	bh_error_free(err);
}

static void a_part_is_bound_to_its_key(void **state)
{
	static const char key[] =
		"0000000000000000000000000000000000000000000000000000000000000001";
	const void *pl;
	size_t n;
	struct bh_error *err = NULL;
	unsigned char row[70] = "BHLC\1";

	assert_int_equal(img_cache_open_part(row, sizeof(row), key, &pl, &n, &err), -1);
	assert_error(err, BH_ERR_DIGEST, "another key");
	bh_error_clear(&err);
	assert_int_equal(img_cache_open_part(row, 10, key, &pl, &n, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not a layer cache part");
	bh_error_free(err);
}

/* Each consumer's hooks on their own: save(load(bytes)) is the bytes, and
 * layer_begin (a read after a load that was given up) starts afresh. */
static void consumer_state_round_trips_and_layer_begin_starts_afresh(void **state)
{
	char *path = image_path("alpine-3.19.4.docker.tar");
	struct bh_image *img = NULL;
	struct bh_error *err = NULL;
	struct bh_buf in = BH_BUF_INIT(1u << 20), out = BH_BUF_INIT(1u << 20);
	struct bh_pack w = { &in, false };
	struct bh_inventory_collector *ic;
	struct bh_content *c = NULL;
	struct bh_content_opts co = content;
	struct bh_consumer *cons;
	unsigned char md5[16] = { 1 }, sha1[20] = { 2 };

	if (!path || access(path, R_OK))
		skip();
	must(bh_image_open(path, NULL, &img, &err), err, path);

	/* the inventory: one os-release doc, one dpkg doc with a package */
	bh_pack_u64(&w, 2);
	bh_pack_str(&w, "etc/os-release");
	bh_pack_str(&w, "os-release");
	bh_pack_str(&w, "alpine");
	bh_pack_str(&w, "3.19.4");
	bh_pack_str(&w, NULL);
	bh_pack_str(&w, "Alpine Linux v3.19");
	bh_pack_str(&w, NULL);
	bh_pack_str(&w, "/etc/os-release");
	bh_pack_str(&w, NULL);
	bh_pack_u64(&w, 0);
	bh_pack_str(&w, "lib/apk/db/installed");
	bh_pack_str(&w, "apk");
	for (int i = 0; i < 6; i++)
		bh_pack_str(&w, NULL);
	bh_pack_str(&w, "a warning");
	bh_pack_u64(&w, 1);
	bh_pack_u64(&w, BH_PKG_APK);
	bh_pack_str(&w, NULL);
	bh_pack_str(&w, "musl");
	bh_pack_str(&w, "1.2.4-r2");
	bh_pack_str(&w, "musl");
	bh_pack_str(&w, NULL);
	bh_pack_str(&w, "x86_64");
	bh_pack_str(&w, "pkg:apk/musl@1.2.4-r2");
	bh_pack_u64(&w, 2); /* one licence */
	bh_pack_str(&w, "MIT");
	bh_pack_str(&w, "/lib/apk/db/installed");
	bh_pack_u64(&w, 0);
	bh_pack_str(&w, NULL);
	bh_pack_u64(&w, 0); /* depends: NULL */
	bh_pack_u64(&w, 3); /* provides: two */
	bh_pack_str(&w, "so:libc.musl-x86_64.so.1");
	bh_pack_str(&w, "cmd:ldd");
	bh_pack_str(&w, NULL);
	assert_false(w.failed);
	ic = bh_inventory_collector_new(img, NULL);
	cons = bh_inventory_consumer(ic);
	assert_string_equal(cons->cache_part, "inventory");
	must(cons->load_layer(0, in.data, in.len, cons->data, &err), err, "load");
	must(cons->save_layer(0, &out, cons->data, &err), err, "save");
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.data, in.data, in.len);
	bh_buf_reset(&out);
	must(cons->layer_begin(0, true, cons->data, &err), err, "begin");
	must(cons->save_layer(0, &out, cons->data, &err), err, "save");
	assert_int_equal(out.len, 1); /* no docs */
	bh_inventory_collector_free(ic);

	/* the content scanners: a hit with its file sums, a capture, a hashed file */
	bh_buf_reset(&in);
	bh_buf_reset(&out);
	bh_pack_u64(&w, 1);
	bh_pack_str(&w, "BH-SECRET-GENERIC");
	bh_pack_u64(&w, BH_FIND_SECRET);
	bh_pack_u64(&w, BH_SEV_HIGH);
	bh_pack_str(&w, "a title");
	bh_pack_str(&w, NULL);
	bh_pack_str(&w, "what to do");
	bh_pack_str(&w, "4.1.4");
	bh_pack_str(&w, "etc/app.conf");
	bh_pack_i64(&w, 7);
	bh_pack_str(&w, "0123456789ab");
	bh_pack_u64(&w, 0);
	bh_pack_u64(&w, 1);
	bh_pack_fixed(&w, md5, sizeof(md5));
	bh_pack_fixed(&w, sha1, sizeof(sha1));
	bh_pack_u64(&w, 1);
	bh_pack_str(&w, "etc/passwd");
	bh_pack_u64(&w, 1);
	bh_pack_bytes(&w, "root:x:0:0::/root:/bin/sh\n", 26);
	bh_pack_u64(&w, 1);
	bh_pack_str(&w, "bin/sh");
	bh_pack_str(&w, "sha256:0000000000000000000000000000000000000000000000000000000000000000");
	for (int i = 1; i <= 7; i++)
		bh_pack_u64(&w, (uint64_t)i);
	assert_false(w.failed);
	co.config = co.secrets = co.malware = true;
	must(bh_content_new(img, &co, &c, &err), err, "content");
	cons = bh_content_consumer(c);
	assert_string_equal(cons->cache_part, "content");
	must(cons->load_layer(0, in.data, in.len, cons->data, &err), err, "load");
	must(cons->save_layer(0, &out, cons->data, &err), err, "save");
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.data, in.data, in.len);
	/* every cut of it is refused, and leaves the loaded state as it was */
	for (size_t cut = 0; cut < in.len; cut++) {
		assert_int_equal(cons->load_layer(0, in.data, cut, cons->data, &err), -1);
		assert_error(err, BH_ERR_INVALID, "malformed");
		bh_error_clear(&err);
	}
	bh_buf_reset(&out);
	must(cons->save_layer(0, &out, cons->data, &err), err, "save");
	assert_memory_equal(out.data, in.data, in.len);
	bh_buf_reset(&out);
	must(cons->layer_begin(0, true, cons->data, &err), err, "begin");
	must(cons->layer_end(0, true, cons->data, &err), err, "end");
	must(cons->save_layer(0, &out, cons->data, &err), err, "save");
	assert_true(out.len < in.len);
	assert_int_equal(out.data[0], 0); /* no hits */
	bh_content_free(c);
	bh_buf_release(&in);
	bh_buf_release(&out);
	bh_image_free(img);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_image_gives_the_same_results_from_the_cache),
		cmocka_unit_test(a_changed_scanner_or_option_misses),
		cmocka_unit_test(a_corrupt_row_is_a_miss),
		cmocka_unit_test(a_part_that_does_not_load_is_read_instead),
		cmocka_unit_test(cached_layers_count_against_the_limits),
		cmocka_unit_test(a_root_filesystem_is_never_cached),
		cmocka_unit_test(the_cache_is_bounded),
		cmocka_unit_test(the_cache_path_sits_beside_the_database),
		cmocka_unit_test(stored_entries_decode_and_refuse_what_a_read_cannot_make),
		cmocka_unit_test(a_part_is_bound_to_its_key),
		cmocka_unit_test(consumer_state_round_trips_and_layer_begin_starts_afresh),
	};

	bh_log_set_level(BH_LOG_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
