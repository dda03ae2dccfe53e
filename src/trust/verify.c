/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bh_verify_image: where IMAGE's signatures are (trust_open), the check
 * (trust_verify, image.c), and for a registry image the cache of verified
 * results (include/bulkhead/trust.h says what its warm path trusts).
 *
 *   by digest  REF@sha256:D   cache hit: no network at all
 *   by tag     REF:T          HEAD T -> D (one request), cache hit on D
 *   miss                      GET the manifest (D hashed here), the .sig tag,
 *                             payloads, referrers; a "verified" answer kept
 *
 * A cache entry is one small JSON file, `<dir>/<key>`, the key the SHA-256
 * of everything that decides the answer; written atomically, 0600, in a 0700
 * directory, read only when owned by us and writable by no one else.
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

#include "bulkhead/trust.h"
#include "bulkhead/version.h"
#include "trust/internal.h"
#include "banned.h"

#define ENTRY_MAX     (1024 * 1024) /* one cache entry */
#define ENTRY_VERSION 1
#define CLOCK_SKEW    60 /* seconds an entry may seem to come from the future */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool trust_vcache_key(const char *repository, const struct bh_digest *d,
		      const struct bh_verify_opts *o, char key[65])
{
	struct bh_buf b = BH_BUF_INIT(64 * 1024);
	struct bh_strvec ids = BH_STRVEC_INIT;
	struct bh_digest h;
	bool ok = false;

	if (o->bundle_paths && o->bundle_paths[0])
		return false;
	for (size_t i = 0; i < o->nkeys; i++)
		bh_strvec_push(&ids, bh_key_id(o->keys[i]));
	if (ids.n > 1)
		qsort(ids.v, ids.n, sizeof(*ids.v), cmp_str);
	/* one field per line; a field that may be absent says so apart from "" */
	if (bh_buf_addf(&b, NULL, "bulkhead verify cache %d\n%s\n%s\n%s\n", ENTRY_VERSION,
			BH_VERSION, repository, d->str) < 0)
		goto out;
	for (size_t i = 0; i < ids.n; i++)
		if (bh_buf_addf(&b, NULL, "key %s\n", ids.v[i]) < 0)
			goto out;
	if (bh_buf_addf(&b, NULL, "min %u\nidentity %s%s\nattestation %d\ntype %s%s\n",
			o->min_signatures ? o->min_signatures : 1, o->identity ? "=" : "-",
			o->identity ? o->identity : "", o->attestation ? 1 : 0,
			o->predicate_type ? "=" : "-",
			o->predicate_type ? o->predicate_type : "") < 0)
		goto out;
	bh_sha256(b.data, b.len, &h);
	memcpy(key, bh_digest_hex(&h), 64);
	key[64] = 0;
	ok = true;
out:
	bh_strvec_release(&ids);
	bh_buf_release(&b);
	return ok;
}

/* Log e at debug, then free it. */
static void debug_error(const char *what, struct bh_error *e)
{
	char *m;

	if (!e)
		return;
	m = bh_error_message(e);
	bh_debug("verify cache: %s: %s", what, m);
	free(m);
	bh_error_free(e);
}

static char *dup_or_null(const char *s)
{
	return s ? bh_strdup(s) : NULL;
}

int trust_vcache_get(const char *dir, const char *key, int64_t now, struct bh_verify_result *res)
{
	struct bh_buf b = BH_BUF_INIT(ENTRY_MAX);
	struct bh_error *e = NULL;
	struct stat st;
	json_t *doc = NULL, *sigs, *x;
	const char *dg, *k;
	char *path = bh_asprintf("%s/%s", dir, key);
	json_int_t checked, expires;
	size_t i;
	int fd, r = 0;

	memset(res, 0, sizeof(*res));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022)) {
		bh_debug("verify cache: %s is not ours alone: ignored", path);
		goto out;
	}
	if (bh_buf_read_fd(&b, fd, path, &e) < 0 ||
	    bh_json_parse(b.data ? b.data : "", b.len, ENTRY_MAX, path, &doc, &e) < 0) {
		debug_error(path, e);
		e = NULL;
		goto out;
	}
	k = bh_json_str(doc, "key");
	dg = bh_json_str(doc, "digest");
	checked = json_integer_value(json_object_get(doc, "checkedAt"));
	expires = json_integer_value(json_object_get(doc, "expires"));
	sigs = bh_json_arr(bh_json_obj(doc, "result"), "sigs");
	if (json_integer_value(json_object_get(doc, "version")) != ENTRY_VERSION || !k ||
	    strcmp(k, key) || !dg || bh_digest_parse(dg, &res->digest, NULL) < 0 || !sigs ||
	    checked > now + CLOCK_SKEW || expires <= now) {
		bh_debug("verify cache: %s is stale or not an entry: ignored", path);
		memset(&res->digest, 0, sizeof(res->digest));
		goto out;
	}
	res->image_name = dup_or_null(bh_json_str(bh_json_obj(doc, "result"), "imageName"));
	res->nvalid =
		(size_t)json_integer_value(json_object_get(bh_json_obj(doc, "result"), "nvalid"));
	json_array_foreach (sigs, i, x) {
		struct bh_verify_sig *s;

		if (i >= BH_TRUST_LAYERS_MAX * 4)
			break;
		res->sigs = bh_reallocarray(res->sigs, res->nsigs + 1, sizeof(*res->sigs));
		s = &res->sigs[res->nsigs++];
		memset(s, 0, sizeof(*s));
		s->where = bh_strdup(bh_json_str(x, "where") ? bh_json_str(x, "where") : "?");
		s->ok = json_is_true(json_object_get(x, "ok"));
		s->reason = dup_or_null(bh_json_str(x, "reason"));
		s->key_id = dup_or_null(bh_json_str(x, "keyId"));
		s->docker_reference = dup_or_null(bh_json_str(x, "dockerReference"));
		s->predicate_type = dup_or_null(bh_json_str(x, "predicateType"));
	}
	res->verified = true;
	res->cached = true;
	res->checked_at = checked;
	r = 1;
out:
	if (fd >= 0)
		close(fd);
	bh_error_free(e);
	json_decref(doc);
	bh_buf_release(&b);
	free(path);
	return r;
}

struct aged {
	char name[72];
	int64_t mtime;
};

static int cmp_aged(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* Past BH_VCACHE_MAX entries, the oldest go until 3/4 of it are left. */
static void prune(const char *dir)
{
	DIR *d = opendir(dir);
	struct aged *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (strlen(de->d_name) != 64 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = bh_reallocarray(v, cap, sizeof(*v));
		}
		memcpy(v[n].name, de->d_name, 65); /* 64 characters and the NUL */
		v[n++].mtime = (int64_t)st.st_mtime;
	}
	if (n > BH_VCACHE_MAX) {
		qsort(v, n, sizeof(*v), cmp_aged);
		for (size_t i = 0; i < n - BH_VCACHE_MAX * 3 / 4; i++)
			unlinkat(dirfd(d), v[i].name, 0);
		bh_debug("verify cache: %zu entries, the %zu oldest removed", n,
			 n - BH_VCACHE_MAX * 3 / 4);
	}
	closedir(d);
	free(v);
}

void trust_vcache_put(const char *dir, const char *key, const char *repository, int64_t now,
		      unsigned ttl, const struct bh_verify_result *res)
{
	struct bh_buf b = BH_BUF_INIT(ENTRY_MAX);
	struct bh_error *e = NULL;
	json_t *doc, *sigs;
	char *path = NULL;

	if (!res->verified)
		return;
	sigs = json_array();
	for (size_t i = 0; i < res->nsigs; i++) {
		const struct bh_verify_sig *s = &res->sigs[i];
		json_t *o = json_pack("{s:s, s:b}", "where", s->where, "ok", s->ok);

		if (s->reason)
			json_object_set_new(o, "reason", json_string(s->reason));
		if (s->key_id)
			json_object_set_new(o, "keyId", json_string(s->key_id));
		if (s->docker_reference)
			json_object_set_new(o, "dockerReference", json_string(s->docker_reference));
		if (s->predicate_type)
			json_object_set_new(o, "predicateType", json_string(s->predicate_type));
		json_array_append_new(sigs, o);
	}
	doc = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:{s:I, s:o}}", "version", ENTRY_VERSION,
			"key", key, "repository", repository, "digest", res->digest.str,
			"checkedAt", (json_int_t)res->checked_at, "expires",
			(json_int_t)(now + (int64_t)ttl), "result", "nvalid",
			(json_int_t)res->nvalid, "sigs", sigs);
	if (res->image_name)
		json_object_set_new(json_object_get(doc, "result"), "imageName",
				    json_string(res->image_name));
	path = bh_asprintf("%s/%s", dir, key);
	if (bh_mkdirs(dir, 0755, 0700, &e) < 0 || bh_json_dump_buf(doc, JSON_COMPACT, &b, &e) < 0 ||
	    bh_write_file_atomic(path, b.data, b.len, 0600, &e) < 0) {
		debug_error("not kept", e);
	} else {
		prune(dir);
	}
	json_decref(doc);
	bh_buf_release(&b);
	free(path);
}

/* A registry image, through the cache when o->cache_dir is set. */
static int verify_remote(const char *image, const struct bh_image_open_opts *oo,
			 const struct bh_verify_opts *o, struct bh_verify_result *res,
			 struct bh_error **err)
{
	struct trust_target t = { 0 };
	struct trust_store *st = NULL;
	unsigned ttl = o->cache_ttl ? o->cache_ttl : BH_VCACHE_TTL;
	int64_t now = (int64_t)time(NULL);
	char key[65], *repo = NULL;
	int r = -1;

	if (bh_registry_ref_parse(image, BH_REF_NORMALIZE, &t.ref, err) < 0) {
		bh_error_prefix(err, "'%s'", image);
		goto out;
	}
	repo = bh_registry_ref_name(&t.ref);
	/* by digest: the cache answers without the network */
	if (o->cache_dir && t.ref.digest.str[0] && trust_vcache_key(repo, &t.ref.digest, o, key) &&
	    trust_vcache_get(o->cache_dir, key, now, res) == 1) {
		r = 0;
		goto out;
	}
	if (bh_registry_new(oo ? oo->registry : NULL, &t.client, err) < 0)
		goto out;
	/* by tag: where does it point now? one HEAD, then the cache */
	if (o->cache_dir && !t.ref.digest.str[0]) {
		struct bh_registry_manifest m = { 0 };
		struct bh_error *e = NULL;

		if (bh_registry_head_manifest(t.client, &t.ref, &m, NULL, &e) == 1 &&
		    m.digest.str[0] && trust_vcache_key(repo, &m.digest, o, key) &&
		    trust_vcache_get(o->cache_dir, key, now, res) == 1) {
			bh_registry_manifest_release(&m);
			r = 0;
			goto out;
		}
		debug_error("HEAD", e);
		bh_registry_manifest_release(&m);
	}
	if (trust_open_remote(t.client, &t.ref, &t, &st, err) < 0 ||
	    trust_verify(st, &t, o, res, err) < 0)
		goto out;
	if (o->cache_dir && res->verified && trust_vcache_key(repo, &res->digest, o, key))
		trust_vcache_put(o->cache_dir, key, repo, now, ttl, res);
	r = 0;
out:
	trust_store_free(st);
	trust_target_release(&t);
	free(repo);
	return r;
}

int bh_verify_image(const char *image, const struct bh_image_open_opts *oo,
		    const struct bh_verify_opts *o, struct bh_verify_result *res,
		    struct bh_error **err)
{
	struct trust_target t;
	struct trust_store *st = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	if (!o->nkeys)
		return bh_error_set(err, BH_ERR_USAGE, "verifying needs at least one public key");
	if (trust_is_registry_ref(image)) {
		r = verify_remote(image, oo, o, res, err);
	} else {
		r = trust_open(image, oo, &t, &st, err);
		if (r == 0) {
			r = trust_verify(st, &t, o, res, err);
			trust_store_free(st);
			trust_target_release(&t);
		}
	}
	if (r < 0)
		bh_error_prefix(err, "verifying %s", image);
	return r;
}
