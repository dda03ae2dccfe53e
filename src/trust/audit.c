/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bh_trust_audit: a repository's tags with what the life cycle needs to know
 * of each (NIST SP 800-190 4.2.2 stale images, 4.1.5 untrusted images):
 * the digest the tag names, its age (the config's `created`), who signed
 * it (which of the given keys verify a signature of that digest, as
 * bh_verify_image checks it) and the last scan recorded in the store for
 * it. One registry client serves every tag (its connections, TLS sessions
 * and tokens are reused); tags are looked at one after another.
 *
 * cosign's own tags (`sha256-<hex>`, `.sig`, `.att`, `.sbom`) are
 * signatures, not images: they are left out.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/registry.h"
#include "bulkhead/scan.h"
#include "bulkhead/trust.h"
#include "bulkhead/vuln.h"
#include "trust/internal.h"
#include "banned.h"

#define CONFIG_MAX   (8 * 1024 * 1024)
#define DAY	     86400
#define AUDIT_MAX    10000 /* tags audited at most */
#define PLATFORM_DEF "linux/amd64"

static int cmp_tag(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool cosign_tag(const char *t)
{
	size_t i;

	if (!bh_str_has_prefix(t, "sha256-"))
		return false;
	for (i = 7; i < 7 + 64; i++)
		if (!(bh_isdigit(t[i]) || (t[i] >= 'a' && t[i] <= 'f')))
			return false;
	t += 7 + 64;
	return !*t || !strcmp(t, ".sig") || !strcmp(t, ".att") || !strcmp(t, ".sbom");
}

void bh_audit_result_release(struct bh_audit_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct bh_audit_tag *t = &r->tags[i];

		free(t->tag);
		free(t->media_type);
		free(t->created);
		bh_strv_free(t->signed_by);
		json_decref(t->scan);
		free(t->error);
	}
	free(r->tags);
	free(r->repository);
	memset(r, 0, sizeof(*r));
}

static bool platform_is(const json_t *desc, const char *want)
{
	const json_t *p = bh_json_obj(desc, "platform");
	const char *os = bh_json_str(p, "os"), *arch = bh_json_str(p, "architecture"),
		   *var = bh_json_str(p, "variant");
	char have[256];

	if (!os || !arch)
		return false;
	snprintf(have, sizeof(have), "%s/%s%s%s", os, arch, var ? "/" : "", var ? var : "");
	return !strcmp(have, want) || (bh_str_has_prefix(have, want) && have[strlen(want)] == '/');
}

/*
 * The image manifest of the tag (for an index: the platform's), its config's
 * `created` in *created, and that manifest's digest in *child (the digest a
 * scan of the tag is recorded under).
 */
static int created_of(struct bh_registry *client, const struct bh_registry_ref *repo,
		      const char *manifest, size_t len, const char *platform, char **created,
		      struct bh_digest *child, struct bh_error **err)
{
	struct bh_registry_manifest m = { 0 };
	struct bh_buf cfg = BH_BUF_INIT(CONFIG_MAX);
	json_t *doc = NULL, *c = NULL, *d = NULL;
	struct bh_digest cd;
	json_int_t size = -1;
	const char *s;
	size_t i;
	int r = -1;

	if (bh_json_parse(manifest, len, BH_TRUST_MANIFEST_MAX, "manifest", &doc, err) < 0)
		return -1;
	if (bh_json_arr(doc, "manifests")) {
		struct bh_registry_ref ref = { .domain = repo->domain, .path = repo->path };

		json_array_foreach (bh_json_arr(doc, "manifests"), i, d)
			if (platform_is(d, platform))
				break;
		if (i == json_array_size(bh_json_arr(doc, "manifests"))) {
			bh_error_set(err, BH_ERR_NOTFOUND, "the index has no image for %s",
				     platform);
			goto out;
		}
		if (!bh_json_str(d, "digest") ||
		    bh_digest_parse(bh_json_str(d, "digest"), &ref.digest, err) < 0 ||
		    bh_registry_get_manifest(client, &ref, NULL, &m, err) < 0)
			goto out;
		*child = m.digest;
		json_decref(doc);
		doc = NULL;
		if (bh_json_parse(m.data, m.len, BH_TRUST_MANIFEST_MAX, "manifest", &doc, err) < 0)
			goto out;
	}
	s = bh_json_str(bh_json_obj(doc, "config"), "digest");
	if (!s || bh_digest_parse(s, &cd, err) < 0) {
		if (!s)
			bh_error_set(err, BH_ERR_INVALID, "the manifest names no config");
		goto out;
	}
	if (!bh_json_int(bh_json_obj(doc, "config"), "size", &size))
		size = -1;
	if (bh_registry_get_blob(client, repo, &cd, size, &cfg, err) < 0 ||
	    bh_json_parse(cfg.data ? cfg.data : "", cfg.len, CONFIG_MAX, "config", &c, err) < 0)
		goto out;
	s = bh_json_str(c, "created");
	*created = s ? bh_strdup(s) : NULL;
	r = 0;
out:
	json_decref(doc);
	json_decref(c);
	bh_buf_release(&cfg);
	bh_registry_manifest_release(&m);
	return r;
}

static void audit_one(struct bh_registry *client, const struct bh_registry_ref *repo,
		      const struct bh_audit_opts *o, int64_t now, struct bh_audit_tag *t)
{
	struct bh_registry_ref ref = { .domain = repo->domain, .path = repo->path, .tag = t->tag };
	struct trust_target tg = { 0 };
	struct trust_store *st = NULL;
	struct bh_digest child = { 0 };
	struct bh_error *e = NULL;

	t->age_days = -1;
	if (trust_open_remote(client, &ref, &tg, &st, &e) < 0)
		goto fail;
	t->digest = tg.digest;
	t->media_type = bh_strdup(tg.media_type);
	if (created_of(client, repo, tg.manifest, tg.manifest_len,
		       o->platform ? o->platform : PLATFORM_DEF, &t->created, &child, &e) < 0)
		goto fail;
	if (t->created) {
		int64_t c;

		if (bh_time_parse(t->created, false, &c, NULL) == 0 && c > 0 && c <= now) {
			t->age_days = (now - c) / DAY;
			t->stale = t->age_days > (int64_t)(o->max_age_days ? o->max_age_days
									   : BH_STALE_MAX_AGE_DAYS);
		}
	}
	if (o->nkeys) {
		struct bh_verify_opts vo = { .keys = o->keys, .nkeys = o->nkeys };
		struct bh_verify_result vr = { 0 };
		struct bh_strvec ids = BH_STRVEC_INIT;

		if (trust_verify(st, &tg, &vo, &vr, &e) < 0)
			goto fail;
		for (size_t i = 0; i < vr.nsigs; i++)
			if (vr.sigs[i].ok && !bh_strv_contains(ids.v, vr.sigs[i].key_id))
				bh_strvec_push(&ids, vr.sigs[i].key_id);
		t->nsigned = ids.n;
		t->signed_by = bh_strvec_detach(&ids);
		t->sig_checked = true;
		bh_verify_result_release(&vr);
	}
	if (o->store) {
		if (bh_vuln_store_last_scan(o->store, tg.digest.str, &t->scan, &e) < 0)
			goto fail;
		if (!t->scan && child.str[0] &&
		    bh_vuln_store_last_scan(o->store, child.str, &t->scan, &e) < 0)
			goto fail;
	}
	goto out;
fail:
	t->error = bh_error_message(e);
	bh_error_free(e);
out:
	trust_store_free(st);
	trust_target_release(&tg);
}

int bh_trust_audit(const char *prefix, const struct bh_audit_opts *o, struct bh_audit_result *res,
		   struct bh_error **err)
{
	static const struct bh_audit_opts defaults;
	struct bh_registry_ref repo = { 0 };
	struct bh_registry *client = NULL;
	char **tags = NULL, *name = NULL, *glob = NULL;
	const char *slash, *colon;
	int64_t now;
	size_t ntags = 0;
	int r = -1;

	if (!o)
		o = &defaults;
	memset(res, 0, sizeof(*res));
	now = o->now ? (int64_t)o->now : (int64_t)time(NULL);
	/* REGISTRY/REPOSITORY[:GLOB]: the glob after the last ':' past the last '/' */
	slash = strrchr(prefix, '/');
	colon = strrchr(prefix, ':');
	if (colon && slash && colon > slash) {
		name = bh_strndup(prefix, (size_t)(colon - prefix));
		glob = bh_strdup(colon + 1);
	} else {
		name = bh_strdup(prefix);
	}
	if (glob && !*glob) {
		bh_error_set(err, BH_ERR_USAGE, "'%s': an empty tag pattern", prefix);
		goto out;
	}
	if (bh_registry_ref_parse(name, BH_REF_NORMALIZE, &repo, err) < 0) {
		bh_error_prefix(err, "'%s'", prefix);
		goto out;
	}
	if (strchr(name, '@')) {
		bh_error_set(err, BH_ERR_USAGE, "'%s': name a repository (and a tag pattern)",
			     prefix);
		goto out;
	}
	res->repository = bh_registry_ref_name(&repo);
	if (bh_registry_new(o->registry, &client, err) < 0 ||
	    bh_registry_tags(client, &repo, &tags, &ntags, err) < 0)
		goto out;
	qsort(tags, ntags, sizeof(*tags), cmp_tag);
	for (size_t i = 0; i < ntags; i++) {
		struct bh_audit_tag *t;

		if (cosign_tag(tags[i]) || (glob && fnmatch(glob, tags[i], 0) != 0))
			continue;
		if (res->n >= AUDIT_MAX) {
			bh_warn("registry audit: %s has more than %d tags: the rest are left out",
				res->repository, AUDIT_MAX);
			break;
		}
		res->tags = bh_reallocarray(res->tags, res->n + 1, sizeof(*res->tags));
		t = &res->tags[res->n++];
		memset(t, 0, sizeof(*t));
		t->tag = bh_strdup(tags[i]);
		audit_one(client, &repo, o, now, t);
	}
	r = 0;
out:
	if (r < 0) {
		bh_error_prefix(err, "registry audit");
		bh_audit_result_release(res);
	}
	bh_strv_free(tags);
	bh_registry_free(client);
	bh_registry_ref_release(&repo);
	free(name);
	free(glob);
	return r;
}
