/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vectorscan databases, compiled or taken from a cache of compiled ones.
 *
 * Compiling the secret patterns and the YARA literals costs a scan tens to
 * hundreds of milliseconds, every time, for the same patterns: the larger
 * part of a rescan served by the layer cache. So a compiled database is kept
 * (hs_serialize_database) in a directory of the caller's, beside the layer
 * cache, named by the SHA-256 of what makes it: the vectorscan version, the
 * mode, and every expression with its flags and id. A file holds "BHHS", a
 * SHA-256 of the name and the payload, and the payload; one that does not
 * match, does not deserialize, or was made by another vectorscan is
 * compiled again and replaced. Whoever can write the directory can hand a
 * scan another database, as whoever can write the layer cache can make it
 * lie: both are files of the user running bulkhead. Files not used for 30
 * days are removed when a new one is written.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "banned.h"

#define MAGIC	 "BHHS"
#define HEAD	 (4 + 32)
#define MAX_FILE (64u << 20)
#define MAX_AGE	 (30 * 86400)

static int compile(const char *const *res, const unsigned *flags, const unsigned *ids, size_t n,
		   unsigned mode, hs_database_t **out, struct bh_error **err)
{
	hs_compile_error_t *ce = NULL;

	if (hs_compile_multi(res, flags, ids, (unsigned)n, mode, NULL, out, &ce) != HS_SUCCESS) {
		bh_error_set(err, BH_ERR_INVALID, "vectorscan: pattern %d: %s",
			     ce ? ce->expression : -1, ce ? ce->message : "compile failed");
		if (ce && ce->expression >= 0 && (size_t)ce->expression < n)
			bh_error_prefix(err, "'%.80s'", res[ce->expression]);
		hs_free_compile_error(ce);
		return -1;
	}
	return 0;
}

static void hash_u32(struct bh_hasher *h, unsigned v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };

	bh_hasher_update(h, b, sizeof(b));
}

/* The name of the database these make: 64 hex digits. */
static bool db_name(const char *const *res, const unsigned *flags, const unsigned *ids, size_t n,
		    unsigned mode, char out[65])
{
	struct bh_hasher *h = NULL;
	struct bh_digest d;
	const char *v = hs_version();

	if (bh_hasher_new(BH_HASH_SHA256, &h, NULL) < 0)
		return false;
	bh_hasher_update(h, "bulkhead vectorscan 1", 22);
	bh_hasher_update(h, v, strlen(v) + 1);
	hash_u32(h, mode);
	hash_u32(h, (unsigned)n);
	for (size_t i = 0; i < n; i++) {
		bh_hasher_update(h, res[i], strlen(res[i]) + 1);
		hash_u32(h, flags[i]);
		hash_u32(h, ids[i]);
	}
	bh_hasher_final(h, &d);
	bh_hasher_free(h);
	memcpy(out, bh_digest_hex(&d), 64);
	out[64] = 0;
	return true;
}

/* SHA-256 of the name and the payload, as 32 bytes. */
static void seal_sum(const char *name, const void *p, size_t n, unsigned char out[32])
{
	struct bh_hasher *h = NULL;
	struct bh_digest d;
	const char *x;

	memset(out, 0, 32);
	if (bh_hasher_new(BH_HASH_SHA256, &h, NULL) < 0)
		return;
	bh_hasher_update(h, name, 64);
	bh_hasher_update(h, p, n);
	bh_hasher_final(h, &d);
	bh_hasher_free(h);
	x = bh_digest_hex(&d);
	bh_hex_decode(x, 64, 0, out, 32);
}

static hs_database_t *load(const char *path, const char *name)
{
	struct bh_buf b = BH_BUF_INIT(MAX_FILE);
	struct bh_error *e = NULL;
	hs_database_t *db = NULL;
	unsigned char sum[32];

	if (bh_read_file(path, &b, &e) < 0) {
		if (bh_error_errno(e) != ENOENT)
			bh_error_warn(&e, "vectorscan cache: compiling instead");
		bh_error_free(e);
		goto out;
	}
	if (b.len < HEAD || memcmp(b.data, MAGIC, 4)) {
		bh_debug("vectorscan cache: %s is not a compiled database", path);
		goto out;
	}
	seal_sum(name, b.data + HEAD, b.len - HEAD, sum);
	if (memcmp(b.data + 4, sum, 32)) {
		bh_debug("vectorscan cache: %s does not match its checksum", path);
		goto out;
	}
	if (hs_deserialize_database((const char *)b.data + HEAD, b.len - HEAD, &db) != HS_SUCCESS) {
		bh_debug("vectorscan cache: %s does not deserialize", path);
		db = NULL;
	}
out:
	bh_buf_release(&b);
	return db;
}

/* Remove the files of `dir` not used for MAX_AGE (best effort). */
static void prune(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (strlen(de->d_name) != 64 + 3 || strcmp(de->d_name + 64, ".db"))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_atime + MAX_AGE < now)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

static void store(const char *dir, const char *path, const char *name, const hs_database_t *db)
{
	char *bytes = NULL;
	size_t n = 0;
	struct bh_buf b = BH_BUF_INIT(MAX_FILE);
	struct bh_error *e = NULL;
	unsigned char sum[32];

	if (hs_serialize_database(db, &bytes, &n) != HS_SUCCESS || n > MAX_FILE - HEAD) {
		free(bytes);
		return;
	}
	seal_sum(name, bytes, n, sum);
	if (bh_buf_add(&b, MAGIC, 4, &e) < 0 || bh_buf_add(&b, sum, 32, &e) < 0 ||
	    bh_buf_add(&b, bytes, n, &e) < 0 || bh_mkdirs(dir, 0700, 0700, &e) < 0 ||
	    bh_write_file_atomic(path, b.data, b.len, 0600, &e) < 0)
		bh_error_warn(&e, "vectorscan cache: not kept");
	else
		prune(dir);
	free(bytes);
	bh_buf_release(&b);
}

int content_compile_db(const char *cache_dir, const char *const *res, const unsigned *flags,
		       const unsigned *ids, size_t n, unsigned mode, hs_database_t **out,
		       struct bh_error **err)
{
	char name[65], *path;

	*out = NULL;
	if (!n)
		return 0;
	if (!cache_dir || !db_name(res, flags, ids, n, mode, name))
		return compile(res, flags, ids, n, mode, out, err);
	path = bh_asprintf("%s/%s.db", cache_dir, name);
	*out = load(path, name);
	if (*out) {
		bh_debug("vectorscan: %zu patterns from %s", n, path);
		free(path);
		return 0;
	}
	if (compile(res, flags, ids, n, mode, out, err) < 0) {
		free(path);
		return -1;
	}
	store(cache_dir, path, name, *out);
	free(path);
	return 0;
}
