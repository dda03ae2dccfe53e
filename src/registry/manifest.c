/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifests, tags and referrers (OCI distribution spec v1.1, and Docker's
 * schema 2): a manifest by tag or digest, bounded in size, hashed, and
 * checked to be what its media type says; a manifest put byte for byte;
 * every tag of a repository and the referrers of a digest (the referrers
 * API, else the sha256-<hex> tag schema), page by page as the Link header
 * says.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define MAX_PAGES     1000
#define MAX_TAGS      1000000
#define MAX_TAGS_PAGE (4u << 20)
#define MAX_REFERRERS 100000
#define ACCEPT_DEFAULT                                                                             \
	"Accept: " BH_REGISTRY_MT_OCI_INDEX ", " BH_REGISTRY_MT_OCI_MANIFEST                       \
	", " BH_REGISTRY_MT_DOCKER_LIST ", " BH_REGISTRY_MT_DOCKER_MANIFEST

char *reg_what(const char *kind, const struct bh_registry_ref *ref, const char *target)
{
	bool dig = bh_str_has_prefix(target, "sha256:") || bh_str_has_prefix(target, "sha512:");

	return bh_asprintf("%s %s%s%s", kind, ref->path, dig ? "@" : ":", target);
}

int reg_need_repo(const struct bh_registry_ref *ref, struct bh_error **err)
{
	if (!ref->domain || !ref->path || !*ref->path)
		return bh_error_set(err, BH_ERR_USAGE,
				    "a registry reference needs a domain and a repository");
	return 0;
}

/* ---- manifests ------------------------------------------------------------ */

void bh_registry_manifest_release(struct bh_registry_manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

static bool is_index_type(const char *mt)
{
	return !strcmp(mt, BH_REGISTRY_MT_OCI_INDEX) || !strcmp(mt, BH_REGISTRY_MT_DOCKER_LIST);
}

static bool is_manifest_type(const char *mt)
{
	return !strcmp(mt, BH_REGISTRY_MT_OCI_MANIFEST) ||
	       !strcmp(mt, BH_REGISTRY_MT_DOCKER_MANIFEST);
}

/* "type/subtype", printable, no spaces, at most 255 bytes (RFC 6838) */
static bool media_type_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t n = strlen(s);

	if (!slash || slash == s || !slash[1] || n > 255)
		return false;
	for (; *s; s++)
		if (!bh_isprint(*s) || *s == ' ')
			return false;
	return true;
}

/* "type/subtype; charset=..." → "type/subtype" */
static char *bare_type(const char *ct)
{
	size_t n;

	if (!ct)
		return NULL;
	n = strcspn(ct, ";");
	while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return n ? bh_strndup(ct, n) : NULL;
}

/*
 * What a manifest is: the Content-Type the registry sent and the document's
 * own mediaType must agree, and the document must have the shape of its type.
 * A schema 1 manifest is refused. *mt receives the type.
 */
int reg_manifest_check(const char *ctype, const char *data, size_t len, size_t max,
		       const char *what, char **mt, struct bh_error **err)
{
	char *ct = bare_type(ctype);
	json_t *j = NULL;
	const char *body_mt;
	json_int_t version = 0;
	int r = -1;

	*mt = NULL;
	if (ct && (!strcmp(ct, "application/json") || !strcmp(ct, "text/plain") ||
		   !strcmp(ct, "application/octet-stream"))) {
		free(ct);
		ct = NULL; /* a registry that does not know: the document says */
	}
	if (ct && (bh_str_has_prefix(ct, "application/vnd.docker.distribution.manifest.v1"))) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "%s: a Docker schema 1 manifest (%s), which is not supported", what,
			     ct);
		goto out;
	}
	if (bh_json_parse(data, len, max, what, &j, err) < 0)
		goto out;
	if (!json_is_object(j)) {
		bh_error_set(err, BH_ERR_INVALID, "%s is not a JSON object", what);
		goto out;
	}
	if (!bh_json_int(j, "schemaVersion", &version) || version != 2) {
		bh_error_set(err, BH_ERR_UNSUPPORTED, "%s: schemaVersion is %lld, not 2", what,
			     (long long)version);
		goto out;
	}
	body_mt = bh_json_str(j, "mediaType");
	if ((json_object_get(j, "mediaType") && !body_mt) || (body_mt && !media_type_ok(body_mt))) {
		bh_error_set(err, BH_ERR_INVALID, "%s: its mediaType is not a media type", what);
		goto out;
	}
	if (ct && body_mt && strcmp(ct, body_mt)) {
		bh_error_set(err, BH_ERR_INVALID,
			     "%s: the registry says it is '%.100s' but the document says '%.100s' "
			     "(a manifest that lies about its media type)",
			     what, ct, body_mt);
		goto out;
	}
	if (!ct && body_mt)
		ct = bh_strdup(body_mt);
	if (!ct) {
		/* neither says: OCI allows it, the shape decides */
		if (json_object_get(j, "manifests"))
			ct = bh_strdup(BH_REGISTRY_MT_OCI_INDEX);
		else if (json_object_get(j, "config"))
			ct = bh_strdup(BH_REGISTRY_MT_OCI_MANIFEST);
		else {
			bh_error_set(err, BH_ERR_INVALID, "%s: neither an index nor a manifest",
				     what);
			goto out;
		}
	}
	if (is_index_type(ct) && (!json_is_array(json_object_get(j, "manifests")) ||
				  json_object_get(j, "layers") || json_object_get(j, "config"))) {
		bh_error_set(err, BH_ERR_INVALID,
			     "%s: typed '%s' but it is not an index (a manifest that lies about "
			     "its media type)",
			     what, ct);
		goto out;
	}
	if (is_manifest_type(ct) &&
	    (!json_is_object(json_object_get(j, "config")) ||
	     !json_is_array(json_object_get(j, "layers")) || json_object_get(j, "manifests"))) {
		bh_error_set(err, BH_ERR_INVALID,
			     "%s: typed '%s' but it is not an image manifest (a manifest that lies "
			     "about its media type)",
			     what, ct);
		goto out;
	}
	*mt = ct;
	ct = NULL;
	r = 0;
out:
	free(ct);
	json_decref(j);
	return r;
}

int bh_registry_get_manifest(struct bh_registry *r, const struct bh_registry_ref *ref,
			     const char *accept, struct bh_registry_manifest *out,
			     struct bh_error **err)
{
	const char *target = bh_registry_ref_target(ref);
	struct bh_buf b = BH_BUF_INIT(r->max_manifest);
	char *what = NULL, *url = NULL, *scope = NULL, *acc = NULL, *mt = NULL, *hdrs[2] = { 0 };
	struct reg_host *h;
	struct reg_xfer *x = NULL;
	struct bh_digest got;
	struct reg_req q = { .method = "GET", .follow = true };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (reg_need_repo(ref, err) < 0)
		return -1;
	h = reg_registry(r, ref->domain);
	what = reg_what("manifest", ref, target);
	url = reg_url(h, ref->path, "/manifests/");
	{
		char *t = bh_asprintf("%s%s", url, target);

		free(url);
		url = t;
	}
	scope = reg_scope(ref->path, "pull");
	acc = accept ? bh_asprintf("Accept: %s", accept) : bh_strdup(ACCEPT_DEFAULT);
	hdrs[0] = acc;
	q.url = url;
	q.host = h;
	q.registry = h;
	q.scope = scope;
	q.headers = hdrs;
	q.what = what;
	if (reg_open(r, &q, &x, err) < 0)
		goto out;
	if (x->resp.status != 200) {
		reg_status_error(x, h, what, err);
		x = NULL;
		goto out;
	}
	if (reg_xfer_read_all(x, &b, what, err) < 0)
		goto out;
	if (!b.data)
		bh_buf_adds(&b, "", NULL);
	/* the bytes first: what they hash to, then what they are */
	if (ref->digest.str[0] && ref->digest.algo == BH_HASH_SHA512) {
		struct bh_hasher *hs;

		if (bh_hasher_new(BH_HASH_SHA512, &hs, err) < 0)
			goto out;
		bh_hasher_update(hs, b.data, b.len);
		bh_hasher_final(hs, &got);
		bh_hasher_free(hs);
	} else {
		bh_sha256(b.data, b.len, &got);
	}
	if (ref->digest.str[0] && strcmp(got.str, ref->digest.str)) {
		bh_error_set(err, BH_ERR_DIGEST,
			     "registry %s: %s: digest mismatch: the registry sent content of %s",
			     h->hostport, what, got.str);
		goto out;
	}
	if (!ref->digest.str[0] && x->resp.digest) {
		struct bh_digest said;

		if (bh_digest_parse(x->resp.digest, &said, NULL) == 0 && said.algo == got.algo &&
		    strcmp(said.str, got.str)) {
			bh_error_set(err, BH_ERR_DIGEST,
				     "registry %s: %s: digest mismatch: Docker-Content-Digest says "
				     "%s, the content is %s",
				     h->hostport, what, said.str, got.str);
			goto out;
		}
	}
	if (reg_manifest_check(x->resp.content_type, b.data, b.len, r->max_manifest, what, &mt,
			       err) < 0) {
		bh_error_prefix(err, "registry %s", h->hostport);
		goto out;
	}
	out->media_type = mt;
	out->digest = got;
	out->data = bh_buf_detach(&b, &out->len);
	rc = 0;
out:
	reg_xfer_close(x);
	bh_buf_release(&b);
	free(what);
	free(url);
	free(scope);
	free(acc);
	return rc;
}

int bh_registry_head_manifest(struct bh_registry *r, const struct bh_registry_ref *ref,
			      struct bh_registry_manifest *out, int64_t *size,
			      struct bh_error **err)
{
	const char *target = bh_registry_ref_target(ref);
	char *what, *url, *scope, *hdrs[] = { ACCEPT_DEFAULT, NULL };
	struct reg_host *h;
	struct reg_xfer *x = NULL;
	struct reg_req q = { .method = "HEAD" };
	int rc = -1;

	if (out)
		memset(out, 0, sizeof(*out));
	if (reg_need_repo(ref, err) < 0)
		return -1;
	h = reg_registry(r, ref->domain);
	what = reg_what("manifest", ref, target);
	{
		char *base = reg_url(h, ref->path, "/manifests/");

		url = bh_asprintf("%s%s", base, target);
		free(base);
	}
	scope = reg_scope(ref->path, "pull");
	q.url = url;
	q.host = h;
	q.registry = h;
	q.scope = scope;
	q.headers = hdrs;
	q.what = what;
	if (reg_open(r, &q, &x, err) < 0)
		goto out;
	if (x->resp.status == 404) {
		rc = 0;
		goto out;
	}
	if (x->resp.status != 200) {
		reg_status_error(x, h, what, err);
		x = NULL;
		goto out;
	}
	if (out) {
		out->media_type = bare_type(x->resp.content_type);
		if (x->resp.digest && bh_digest_parse(x->resp.digest, &out->digest, NULL) < 0)
			out->digest.str[0] = 0;
		if (!x->resp.digest && ref->digest.str[0])
			out->digest = ref->digest;
	}
	if (size)
		*size = x->resp.content_length;
	rc = 1;
out:
	reg_xfer_close(x);
	free(what);
	free(url);
	free(scope);
	return rc;
}

int bh_registry_put_manifest(struct bh_registry *r, const struct bh_registry_ref *repo,
			     const char *target, const char *media_type, const void *data,
			     size_t len, struct bh_digest *digest, struct bh_error **err)
{
	struct bh_digest d;
	char *what = NULL, *url = NULL, *scope = NULL, *ct = NULL, *hdrs[2] = { 0 }, *mt = NULL;
	struct reg_host *h;
	struct reg_xfer *x = NULL;
	struct reg_req q = { .method = "PUT", .has_body = true };
	int rc = -1;

	if (reg_need_repo(repo, err) < 0)
		return -1;
	h = reg_registry(r, repo->domain);
	bh_sha256(data, len, &d);
	if (!target)
		target = d.str;
	what = reg_what("manifest", repo, target);
	if (len > r->max_manifest) {
		bh_error_set(err, BH_ERR_LIMIT, "%s: %zu bytes, over the limit of %zu", what, len,
			     r->max_manifest);
		goto out;
	}
	if (strchr(target, ':') && strcmp(target, d.str)) {
		bh_error_set(err, BH_ERR_DIGEST, "%s: the manifest's digest is %s", what, d.str);
		goto out;
	}
	/* what we send must be what it says it is, as we demand of what we get */
	if (reg_manifest_check(media_type, data, len, r->max_manifest, what, &mt, err) < 0)
		goto out;
	{
		char *base = reg_url(h, repo->path, "/manifests/");

		url = bh_asprintf("%s%s", base, target);
		free(base);
	}
	scope = reg_scope(repo->path, "pull,push");
	ct = bh_asprintf("Content-Type: %s", media_type);
	hdrs[0] = ct;
	q.url = url;
	q.host = h;
	q.registry = h;
	q.scope = scope;
	q.headers = hdrs;
	q.what = what;
	q.body = data;
	q.body_len = len;
	if (reg_open(r, &q, &x, err) < 0)
		goto out;
	if (x->resp.status != 201 && x->resp.status != 200) {
		reg_status_error(x, h, what, err);
		x = NULL;
		bh_error_prefix(err, "pushing");
		goto out;
	}
	if (x->resp.digest) {
		struct bh_digest said;

		if (bh_digest_parse(x->resp.digest, &said, NULL) == 0 && strcmp(said.str, d.str)) {
			bh_error_set(err, BH_ERR_DIGEST,
				     "registry %s: %s: stored as %s, but the manifest is %s",
				     h->hostport, what, said.str, d.str);
			goto out;
		}
	}
	if (digest)
		*digest = d;
	rc = 0;
out:
	reg_xfer_close(x);
	free(what);
	free(url);
	free(scope);
	free(ct);
	free(mt);
	return rc;
}

/* ---- tags ------------------------------------------------------------------ */

int bh_registry_tags(struct bh_registry *r, const struct bh_registry_ref *repo, char ***out,
		     size_t *n, struct bh_error **err)
{
	struct bh_strvec tags = BH_STRVEC_INIT;
	struct reg_host *h;
	char *url, *scope, *what;
	int rc = -1, pages = 0;

	*out = NULL;
	*n = 0;
	if (reg_need_repo(repo, err) < 0)
		return -1;
	h = reg_registry(r, repo->domain);
	if (r->page_size) {
		char q[32];

		snprintf(q, sizeof(q), "/tags/list?n=%u", r->page_size);
		url = reg_url(h, repo->path, q);
	} else {
		url = reg_url(h, repo->path, "/tags/list");
	}
	scope = reg_scope(repo->path, "pull");
	what = bh_asprintf("tags of %s", repo->path);
	while (url) {
		struct reg_req q = { .method = "GET",
				     .host = h,
				     .registry = h,
				     .scope = scope,
				     .what = what,
				     .url = url };
		struct bh_buf b = BH_BUF_INIT(MAX_TAGS_PAGE);
		struct reg_xfer *x = NULL;
		json_t *j = NULL, *t, *v;
		char *next = NULL;
		size_t i;

		if (++pages > MAX_PAGES) {
			bh_error_set(err, BH_ERR_LIMIT, "registry %s: %s: more than %d pages",
				     h->hostport, what, MAX_PAGES);
			goto out;
		}
		if (reg_open(r, &q, &x, err) < 0)
			goto out;
		if (x->resp.status != 200) {
			reg_status_error(x, h, what, err);
			goto out;
		}
		if (x->resp.link) {
			char *rel = bh_registry_link_next(x->resp.link, strlen(x->resp.link));

			if (rel) {
				char *hp = NULL;
				bool https;

				if (reg_url_parse(url, rel, &next, &hp, &https, NULL) < 0 ||
				    strcmp(hp, h->hostport)) {
					free(next);
					next = NULL;
					bh_warn("registry %s: %s: a next page elsewhere is ignored",
						h->hostport, what);
				}
				free(hp);
				free(rel);
			}
		}
		if (reg_xfer_read_all(x, &b, what, err) < 0 ||
		    bh_json_parse(b.data ? b.data : "", b.len, MAX_TAGS_PAGE, what, &j, err) < 0) {
			reg_xfer_close(x);
			bh_buf_release(&b);
			free(next);
			goto out;
		}
		reg_xfer_close(x);
		bh_buf_release(&b);
		t = json_object_get(j, "tags");
		if (t && !json_is_null(t) && !json_is_array(t)) {
			bh_error_set(err, BH_ERR_INVALID, "registry %s: %s: 'tags' is not a list",
				     h->hostport, what);
			json_decref(j);
			free(next);
			goto out;
		}
		json_array_foreach (t, i, v) {
			if (!json_is_string(v))
				continue;
			if (tags.n >= MAX_TAGS) {
				bh_error_set(err, BH_ERR_LIMIT,
					     "registry %s: %s: more than %d tags", h->hostport,
					     what, MAX_TAGS);
				json_decref(j);
				free(next);
				goto out;
			}
			bh_strvec_push(&tags, json_string_value(v));
		}
		json_decref(j);
		free(url);
		url = next;
	}
	*n = tags.n;
	*out = bh_strvec_detach(&tags);
	rc = 0;
out:
	bh_strvec_release(&tags);
	free(url);
	free(scope);
	free(what);
	return rc;
}

/* ---- referrers ------------------------------------------------------------- */

static json_t *empty_index(void)
{
	return json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
			 BH_REGISTRY_MT_OCI_INDEX, "manifests");
}

/* Keep the descriptors of artifact_type (all when NULL) from src into dst. */
static int add_referrers(json_t *dst, json_t *src, const char *artifact_type, const char *what,
			 struct bh_error **err)
{
	json_t *list = json_object_get(src, "manifests"), *to = json_object_get(dst, "manifests"),
	       *d;
	size_t i;

	if (!json_is_array(list))
		return bh_error_set(err, BH_ERR_INVALID, "%s: not an index", what);
	json_array_foreach (list, i, d) {
		const char *at = bh_json_str(d, "artifactType");

		if (!json_is_object(d) || !bh_json_str(d, "digest"))
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: manifests[%zu] is not a "
					    "descriptor",
					    what, i);
		if (artifact_type && (!at || strcmp(at, artifact_type)))
			continue;
		if (json_array_size(to) >= MAX_REFERRERS)
			return bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d referrers", what,
					    MAX_REFERRERS);
		json_array_append(to, d);
	}
	return 0;
}

int bh_registry_referrers(struct bh_registry *r, const struct bh_registry_ref *repo,
			  const struct bh_digest *digest, const char *artifact_type, json_t **index,
			  bool *from_api, struct bh_error **err)
{
	struct reg_host *h;
	json_t *result = empty_index();
	char *url = NULL, *scope = NULL, *what = NULL;
	char *hdrs[] = { "Accept: " BH_REGISTRY_MT_OCI_INDEX, NULL };
	int rc = -1, pages = 0;
	bool api = true;

	*index = NULL;
	if (from_api)
		*from_api = false;
	if (reg_need_repo(repo, err) < 0)
		goto out;
	h = reg_registry(r, repo->domain);
	scope = reg_scope(repo->path, "pull");
	what = bh_asprintf("referrers of %s@%s", repo->path, digest->str);
	{
		char *base = reg_url(h, repo->path, "/referrers/");

		if (artifact_type) {
			char *e = reg_escape(artifact_type);

			url = bh_asprintf("%s%s?artifactType=%s", base, digest->str, e);
			free(e);
		} else {
			url = bh_asprintf("%s%s", base, digest->str);
		}
		free(base);
	}
	while (url) {
		struct reg_req q = { .method = "GET",
				     .host = h,
				     .registry = h,
				     .scope = scope,
				     .what = what,
				     .url = url,
				     .headers = hdrs };
		struct bh_buf b = BH_BUF_INIT(r->max_manifest);
		struct reg_xfer *x = NULL;
		char *next = NULL;
		json_t *j = NULL;
		int k;

		if (++pages > MAX_PAGES) {
			bh_error_set(err, BH_ERR_LIMIT, "registry %s: %s: more than %d pages",
				     h->hostport, what, MAX_PAGES);
			goto out;
		}
		if (reg_open(r, &q, &x, err) < 0)
			goto out;
		if (x->resp.status == 404 && pages == 1) {
			reg_xfer_close(x);
			api = false;
			break;
		}
		if (x->resp.status != 200) {
			reg_status_error(x, h, what, err);
			goto out;
		}
		if (x->resp.link) {
			char *rel = bh_registry_link_next(x->resp.link, strlen(x->resp.link));
			char *hp = NULL;
			bool https;

			if (rel && (reg_url_parse(url, rel, &next, &hp, &https, NULL) < 0 ||
				    strcmp(hp, h->hostport))) {
				free(next);
				next = NULL;
			}
			free(hp);
			free(rel);
		}
		k = reg_xfer_read_all(x, &b, what, err);
		reg_xfer_close(x);
		if (k == 0)
			k = bh_json_parse(b.data ? b.data : "", b.len, r->max_manifest, what, &j,
					  err);
		bh_buf_release(&b);
		if (k == 0)
			k = add_referrers(result, j, artifact_type, what, err);
		json_decref(j);
		if (k < 0) {
			free(next);
			bh_error_prefix(err, "registry %s", h->hostport);
			goto out;
		}
		free(url);
		url = next;
	}
	if (!api) {
		/* the tag schema: an index tagged sha256-<hex> */
		struct bh_registry_ref tag = { .domain = repo->domain, .path = repo->path };
		struct bh_registry_manifest m;
		struct bh_error *e = NULL;
		json_t *j = NULL;
		char t[BH_DIGEST_MAX + 8];

		snprintf(t, sizeof(t), "%s-%s",
			 digest->algo == BH_HASH_SHA512 ? "sha512" : "sha256",
			 bh_digest_hex(digest));
		tag.tag = t;
		bh_debug("registry %s: no referrers API, trying the tag %s", h->hostport, t);
		if (bh_registry_get_manifest(r, &tag, BH_REGISTRY_MT_OCI_INDEX, &m, &e) < 0) {
			if (bh_error_code(e) == BH_ERR_NOTFOUND) {
				bh_error_free(e);
				rc = 0;
				goto out;
			}
			*err = e;
			goto out;
		}
		if (!is_index_type(m.media_type)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "registry %s: the referrers tag %s is a '%s', not an index",
				     h->hostport, t, m.media_type);
			bh_registry_manifest_release(&m);
			goto out;
		}
		if (bh_json_parse(m.data, m.len, r->max_manifest, what, &j, err) < 0 ||
		    add_referrers(result, j, artifact_type, what, err) < 0) {
			json_decref(j);
			bh_registry_manifest_release(&m);
			goto out;
		}
		json_decref(j);
		bh_registry_manifest_release(&m);
	}
	if (from_api)
		*from_api = api;
	rc = 0;
out:
	if (rc == 0) {
		*index = result;
		result = NULL;
	}
	json_decref(result);
	free(url);
	free(scope);
	free(what);
	return rc;
}
