/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Learned behaviour profiles at the controller (include/bulkhead/ctl_profiles.h):
 * the agents' reports (strict parser, untrusted: fuzz/fuzz_ctl_profiles.c),
 * their store (tables profiles and node_modes), and the accept of one into
 * the node policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/ctl_policy.h"
#include "bulkhead/ctl_profiles.h"
#include "banned.h"

static const char *const item_arrays[] = { "processes", "files", "listen", "outbound", "inbound" };
#define NITEMS (sizeof(item_arrays) / sizeof(item_arrays[0]))

/* ---- the report -------------------------------------------------------------------------- */

static int check_profile(json_t *v, size_t i, json_t *out, struct bh_error **err)
{
	char *text = json_dumps(v, JSON_COMPACT);
	json_t *doc = NULL;
	const char *key;
	int rc;

	if (!text)
		return bh_error_set(err, BH_ERR_INVALID, "\"profiles\"[%zu]: not a profile", i);
	rc = bh_behave_parse(text, strlen(text), 0, &doc, err);
	free(text);
	if (rc < 0)
		return bh_error_prefix(err, "\"profiles\"[%zu]", i);
	key = bh_json_str(doc, "key");
	if (!key) {
		json_decref(doc);
		return bh_error_set(err, BH_ERR_INVALID, "\"profiles\"[%zu]: no \"key\"", i);
	}
	if (bh_behave_key_check(key, err) < 0) {
		json_decref(doc);
		return bh_error_prefix(err, "\"profiles\"[%zu]", i);
	}
	json_array_append_new(out, doc);
	return 0;
}

int bh_ctl_profile_report_parse(const char *buf, size_t len, struct bh_ctl_profile_report *out,
				struct bh_error **err)
{
	json_t *root = NULL, *v;
	const char *key;

	memset(out, 0, sizeof(*out));
	out->modes = json_array();
	out->profiles = json_array();
	if (bh_ctl_json_object(buf, len, "request body", &root, err) < 0)
		goto fail;
	json_object_foreach (root, key, v) {
		if (!strcmp(key, "node")) {
			if (bh_ctl_json_str(v, key, BH_CTL_NAME_MAX, out->node, err) < 0)
				goto fail;
			if (!bh_ctl_name_valid(out->node, strlen(out->node))) {
				bh_error_set(err, BH_ERR_INVALID, "\"node\": not a valid name");
				goto fail;
			}
		} else if (!strcmp(key, "policy_version")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > BH_CTL_SEQ_MAX) {
				bh_error_set(err, BH_ERR_INVALID,
					     "\"policy_version\": an integer 0 to 2^53");
				goto fail;
			}
			out->policy_version = json_integer_value(v);
		} else if (!strcmp(key, "modes")) {
			struct bh_ctl_policy p;
			json_t *wrap;
			char *text;
			int rc;

			/* the policy's own check of a "modes" array */
			wrap = json_pack("{sO}", "modes", v);
			text = wrap ? json_dumps(wrap, JSON_COMPACT) : NULL;
			json_decref(wrap);
			if (!text) {
				bh_error_set(err, BH_ERR_INVALID, "\"modes\": not an array");
				goto fail;
			}
			rc = bh_ctl_policy_parse(text, strlen(text), &p, err);
			free(text);
			if (rc < 0)
				goto fail;
			json_decref(out->modes);
			out->modes = json_incref(json_object_get(p.doc, "modes"));
			bh_ctl_policy_release(&p);
		} else if (!strcmp(key, "profiles")) {
			if (!json_is_array(v) || json_array_size(v) > BH_CTL_PROFILES_REPORT_MAX) {
				bh_error_set(err, BH_ERR_INVALID,
					     "\"profiles\": an array of at most %d",
					     BH_CTL_PROFILES_REPORT_MAX);
				goto fail;
			}
			for (size_t i = 0; i < json_array_size(v); i++)
				if (check_profile(json_array_get(v, i), i, out->profiles, err) < 0)
					goto fail;
		} else {
			bh_error_set(err, BH_ERR_INVALID, "request body: unknown member \"%.64s\"",
				     key);
			goto fail;
		}
	}
	if (!out->node[0]) {
		bh_error_set(err, BH_ERR_INVALID, "request body: \"node\" is missing");
		goto fail;
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	bh_ctl_profile_report_release(out);
	return -1;
}

void bh_ctl_profile_report_release(struct bh_ctl_profile_report *r)
{
	json_decref(r->modes);
	json_decref(r->profiles);
	r->modes = r->profiles = NULL;
}

int bh_ctl_accept_req_parse(const char *buf, size_t len, struct bh_ctl_accept_req *out,
			    struct bh_error **err)
{
	json_t *root = NULL, *v;
	const char *key;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (bh_ctl_json_object(buf, len, "request body", &root, err) < 0)
		return -1;
	json_object_foreach (root, key, v) {
		char *dst = !strcmp(key, "node")     ? out->node
			    : !strcmp(key, "key")    ? out->key
			    : !strcmp(key, "mode")   ? out->mode
			    : !strcmp(key, "digest") ? out->digest
						     : NULL;
		size_t max = !strcmp(key, "node")     ? BH_CTL_NAME_MAX
			     : !strcmp(key, "key")    ? BH_BEHAVE_KEY_MAX - 1
			     : !strcmp(key, "digest") ? sizeof(out->digest) - 1
						      : sizeof(out->mode) - 1;

		if (!dst) {
			bh_error_set(err, BH_ERR_INVALID, "request body: unknown member \"%.64s\"",
				     key);
			goto out;
		}
		if (bh_ctl_json_str(v, key, max, dst, err) < 0)
			goto out;
	}
	if (!out->key[0] || !out->mode[0] || !out->digest[0]) {
		/* the digest: what the admin reviewed is what is accepted, not
		 * what a node reported since */
		bh_error_set(err, BH_ERR_INVALID, "request body: \"%s\" is missing",
			     !out->key[0]    ? "key"
			     : !out->mode[0] ? "mode"
					     : "digest");
		goto out;
	}
	if (bh_behave_key_check(out->key, err) < 0) {
		bh_error_prefix(err, "\"key\"");
		goto out;
	}
	if (out->node[0] && !bh_ctl_name_valid(out->node, strlen(out->node))) {
		bh_error_set(err, BH_ERR_INVALID, "\"node\": not a valid name");
		goto out;
	}
	if (strcmp(out->mode, "monitor") && strcmp(out->mode, "protect")) {
		bh_error_set(err, BH_ERR_INVALID, "\"mode\": monitor or protect");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- digests ----------------------------------------------------------------------------- */

json_t *bh_ctl_profile_stripped(const json_t *doc, const char *key, const char *mode)
{
	json_t *o = json_pack("{sIss}", "bulkhead_behaviour_profile", (json_int_t)BH_BEHAVE_FORMAT,
			      "key", key ? key : bh_json_str(doc, "key"));

	if (mode)
		json_object_set_new(o, "mode", json_string(mode));
	else if (bh_json_str(doc, "mode"))
		json_object_set(o, "mode", json_object_get(doc, "mode"));
	if (json_object_get(doc, "zero_drift"))
		json_object_set(o, "zero_drift", json_object_get(doc, "zero_drift"));
	for (size_t k = 0; k < NITEMS; k++) {
		json_t *src = json_object_get(doc, item_arrays[k]), *dst = json_array(), *it;
		size_t i;

		json_array_foreach (src, i, it) {
			json_t *c = json_deep_copy(it);

			json_object_del(c, "count");
			json_array_append_new(dst, c);
		}
		json_object_set_new(o, item_arrays[k], dst);
	}
	return o;
}

void bh_ctl_profile_digest(const json_t *doc, char out[BH_CTL_PROFILE_DIGEST_MAX])
{
	json_t *s = bh_ctl_profile_stripped(doc, NULL, NULL);
	char *text = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
	struct bh_digest d;

	bh_sha256(text ? text : "", text ? strlen(text) : 0, &d);
	snprintf(out, BH_CTL_PROFILE_DIGEST_MAX, "%s", d.str);
	free(text);
	json_decref(s);
}

static int64_t count_items(const json_t *doc)
{
	int64_t n = 0;

	for (size_t k = 0; k < NITEMS; k++)
		n += (int64_t)json_array_size(json_object_get(doc, item_arrays[k]));
	return n;
}

/* ---- the store --------------------------------------------------------------------------- */

struct put_tx {
	struct bh_ctl_store *s;
	const struct bh_ctl_profile_report *r;
	size_t stored;
};

static int put_fn(void *ctx, struct bh_error **err)
{
	struct put_tx *t = ctx;
	int64_t now = (int64_t)time(NULL);
	char *modes = json_dumps(t->r->modes, JSON_COMPACT);
	size_t i;
	json_t *doc;
	int rc;

	{
		struct bh_ctl_val p[] = { BH_CTL_S(t->r->node),
					  BH_CTL_IN(t->r->policy_version, !t->r->policy_version),
					  BH_CTL_S(modes ? modes : "[]"), BH_CTL_I(now) };

		rc = bh_ctl_store_query(
			t->s,
			"INSERT INTO node_modes (node, policy_version, modes, updated)"
			" VALUES (?, ?, ?, ?) ON CONFLICT (node) DO UPDATE SET"
			" policy_version = excluded.policy_version, modes = excluded.modes,"
			" updated = excluded.updated",
			p, 4, NULL, NULL, NULL, err);
	}
	free(modes);
	if (rc < 0)
		return -1;
	json_array_foreach (t->r->profiles, i, doc) {
		char dg[BH_CTL_PROFILE_DIGEST_MAX];
		char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
		const char *mode = bh_json_str(doc, "mode");
		int64_t changes = 0;

		if (!text)
			return bh_error_set(err, BH_ERR_NOMEM, "profiles: encoding");
		bh_ctl_profile_digest(doc, dg);
		{
			struct bh_ctl_val p[] = { BH_CTL_S(t->r->node),
						  BH_CTL_S(bh_json_str(doc, "key")),
						  BH_CTL_S(dg),
						  BH_CTL_S(mode ? mode : "discover"),
						  BH_CTL_I(count_items(doc)),
						  BH_CTL_S(text),
						  BH_CTL_I(now) };

			/* the same digest again changes nothing: a report sent
			 * twice (a retry) is stored once */
			rc = bh_ctl_store_query(t->s,
						"INSERT INTO profiles (node, key, digest, mode, "
						"items, doc, updated)"
						" VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node, "
						"key) DO UPDATE SET"
						" digest = excluded.digest, mode = excluded.mode,"
						" items = excluded.items, doc = excluded.doc,"
						" updated = excluded.updated"
						" WHERE profiles.digest <> excluded.digest",
						p, 7, NULL, NULL, &changes, err);
		}
		free(text);
		if (rc < 0)
			return -1;
		if (changes > 0)
			t->stored++;
	}
	return 0;
}

int bh_ctl_profiles_put(struct bh_ctl_store *s, const struct bh_ctl_profile_report *r,
			size_t *stored, struct bh_error **err)
{
	struct put_tx t = { s, r, 0 };

	if (stored)
		*stored = 0;
	if (bh_ctl_store_tx(s, put_fn, &t, err) < 0)
		return bh_error_prefix(err, "profiles of node %s", r->node);
	if (stored)
		*stored = t.stored;
	return 0;
}

/* The accepted entry of key in the latest policy (borrowed from *pol), or NULL. */
static json_t *accepted_of(json_t *pol, const char *key, const char **mode)
{
	json_t *v, *e;
	size_t i;

	*mode = NULL;
	v = json_object_get(bh_json_obj(pol, "policy"), "profiles");
	json_array_foreach (v, i, e)
		if (!strcmp(bh_json_str(e, "key") ? bh_json_str(e, "key") : "", key)) {
			*mode = bh_json_str(e, "mode");
			return e;
		}
	return NULL;
}

struct list_ctx {
	json_t *out, *pol;
	bool with_doc;
};

static int prof_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct list_ctx *l = ctx;
	json_t *doc = NULL, *o;
	const char *amode;

	if (n != 7)
		return bh_error_set(err, BH_ERR_INTERNAL, "profiles: %zu columns", n);
	if (bh_json_parse(c[5].s, strlen(c[5].s), 1u << 24, "a stored profile", &doc, err) < 0)
		return -1;
	o = json_pack("{sosososososo}", "node", bh_ctl_col_str(&c[0]), "key", bh_ctl_col_str(&c[1]),
		      "digest", bh_ctl_col_str(&c[2]), "mode", bh_ctl_col_str(&c[3]), "items",
		      bh_ctl_col_int(&c[4]), "updated", bh_ctl_col_time(&c[6]));
	for (size_t k = 0; k < NITEMS; k++)
		json_object_set_new(o, item_arrays[k],
				    json_integer((json_int_t)json_array_size(
					    json_object_get(doc, item_arrays[k]))));
	accepted_of(l->pol, c[1].s, &amode);
	json_object_set_new(o, "accepted", amode ? json_string(amode) : json_null());
	if (l->with_doc)
		json_object_set(o, "profile", doc);
	json_decref(doc);
	json_array_append_new(l->out, o);
	return 0;
}

static int mode_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	json_t *modes = NULL;

	if (n != 4)
		return bh_error_set(err, BH_ERR_INTERNAL, "node_modes: %zu columns", n);
	if (bh_json_parse(c[2].s, strlen(c[2].s), 1u << 24, "stored modes", &modes, err) < 0)
		return -1;
	json_array_append_new(ctx, json_pack("{sosososo}", "node", bh_ctl_col_str(&c[0]),
					     "policy_version", bh_ctl_col_int(&c[1]), "modes",
					     modes, "updated", bh_ctl_col_time(&c[3])));
	return 0;
}

int bh_ctl_profiles_list(struct bh_ctl_store *s, const char *node, const char *key, json_t **out,
			 struct bh_error **err)
{
	struct list_ctx l = { json_array(), NULL, key != NULL };
	json_t *nodes = json_array();
	struct bh_ctl_val p[] = { BH_CTL_S(node), BH_CTL_S(node), BH_CTL_S(key), BH_CTL_S(key) };
	struct bh_error *e = NULL;

	*out = NULL;
	if (bh_ctl_policy_get(s, 0, &l.pol, &e) < 0) {
		if (bh_error_code(e) != BH_ERR_NOTFOUND) {
			if (err)
				*err = e;
			else
				bh_error_free(e);
			goto fail;
		}
		bh_error_free(e);
	}
	if (bh_ctl_store_query(s,
			       "SELECT node, key, digest, mode, items, doc, updated FROM profiles"
			       " WHERE (? IS NULL OR node = ?) AND (? IS NULL OR key = ?)"
			       " ORDER BY key, node LIMIT 1000",
			       p, 4, prof_row, &l, NULL, err) < 0 ||
	    bh_ctl_store_query(s,
			       "SELECT node, policy_version, modes, updated FROM node_modes"
			       " WHERE (? IS NULL OR node = ?) ORDER BY node LIMIT 1000",
			       p, 2, mode_row, nodes, NULL, err) < 0)
		goto fail;
	*out = json_pack("{soso}", "profiles", l.out, "nodes", nodes);
	json_decref(l.pol);
	return 0;
fail:
	json_decref(l.out);
	json_decref(nodes);
	json_decref(l.pol);
	return -1;
}

/* ---- accept ------------------------------------------------------------------------------ */

static int doc_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	json_t **out = ctx;

	if (n != 2 || c[1].null)
		return bh_error_set(err, BH_ERR_INTERNAL, "profiles: %zu columns", n);
	if (*out)
		return 0; /* the first: the latest */
	if (bh_json_parse(c[1].s, strlen(c[1].s), 1u << 24, "a stored profile", out, err) < 0)
		return -1;
	json_object_set_new(*out, "_node", json_string(c[0].s));
	return 0;
}

int bh_ctl_profile_accept(struct bh_ctl_store *s, const char *actor,
			  const struct bh_ctl_accept_req *r, int64_t *version,
			  char digest[BH_CTL_PROFILE_DIGEST_MAX], struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_S(r->key), BH_CTL_S(r->node[0] ? r->node : NULL),
				  BH_CTL_S(r->node[0] ? r->node : NULL),
				  BH_CTL_S(r->digest[0] ? r->digest : NULL),
				  BH_CTL_S(r->digest[0] ? r->digest : NULL) };
	json_t *learned = NULL, *cur = NULL, *doc, *entry, *arr, *before, *after, *modes;
	const char *amode;
	char dg[BH_CTL_PROFILE_DIGEST_MAX], *text = NULL, object[BH_BEHAVE_KEY_MAX + 16];
	struct bh_ctl_policy pol = { 0 };
	int64_t base;
	size_t i;
	int rc = -1;

	*version = 0;
	if (bh_ctl_store_query(s,
			       "SELECT node, doc FROM profiles WHERE key = ?"
			       " AND (? IS NULL OR node = ?) AND (? IS NULL OR digest = ?)"
			       " ORDER BY updated DESC, node LIMIT 1",
			       p, 5, doc_row, &learned, NULL, err) < 0)
		return -1;
	if (!learned && r->digest[0]) {
		int64_t any = 0;

		if (bh_ctl_store_query(s,
				       "SELECT COUNT(*) FROM profiles WHERE key = ?"
				       " AND (? IS NULL OR node = ?)",
				       p, 3, bh_ctl_row_int, &any, NULL, err) < 0)
			return -1;
		if (any)
			return bh_error_set(
				err, BH_ERR_USAGE,
				"the learned profile %s is no longer %s (reported again "
				"since): review it again",
				r->key, r->digest);
	}
	if (!learned)
		return bh_error_set(err, BH_ERR_NOTFOUND, "no learned profile %s%s%s", r->key,
				    r->node[0] ? " on node " : "", r->node);
	if (bh_ctl_policy_get(s, 0, &cur, err) < 0) {
		if (bh_error_code(*err) != BH_ERR_NOTFOUND)
			goto out;
		bh_error_free(*err);
		*err = NULL;
	}
	base = cur ? (int64_t)json_integer_value(json_object_get(cur, "version")) : 0;
	before = accepted_of(cur, r->key, &amode);
	before = before ? json_deep_copy(before) : NULL;
	doc = cur ? json_deep_copy(bh_json_obj(cur, "policy")) : json_object();
	entry = bh_ctl_profile_stripped(learned, r->key, r->mode);
	bh_ctl_profile_digest(learned, dg); /* the learned profile's, as listed */
	arr = json_object_get(doc, "profiles");
	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(doc, "profiles", arr);
	}
	for (i = 0; i < json_array_size(arr); i++)
		if (!strcmp(bh_json_str(json_array_get(arr, i), "key") ?: "", r->key))
			break;
	if (i < json_array_size(arr))
		json_array_set(arr, i, entry);
	else
		json_array_append(arr, entry);
	modes = json_object_get(doc, "modes");
	if (!json_is_array(modes)) {
		modes = json_array();
		json_object_set_new(doc, "modes", modes);
	}
	for (i = 0; i < json_array_size(modes); i++) {
		json_t *m = json_array_get(modes, i);

		if (!strcmp(bh_json_str(m, "group") ?: "", r->key) &&
		    !strcmp(bh_json_str(m, "control") ?: "", "behaviour"))
			break;
	}
	{
		json_t *m = json_pack("{ssssss}", "group", r->key, "control", "behaviour", "mode",
				      r->mode);

		if (i < json_array_size(modes))
			json_array_set_new(modes, i, m);
		else
			json_array_append_new(modes, m);
	}
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!text) {
		bh_error_set(err, BH_ERR_NOMEM, "policy: encoding");
		goto out_entry;
	}
	/* the agents read a version as one answer of at most the body bound */
	if (strlen(text) > BH_CTL_BODY_MAX - 1024) {
		bh_error_set(err, BH_ERR_LIMIT,
			     "profile %s: the node policy with it would take %zu bytes (at most "
			     "%u): accept fewer or smaller profiles",
			     r->key, strlen(text), BH_CTL_BODY_MAX - 1024);
		goto out_entry;
	}
	if (bh_ctl_policy_parse(text, strlen(text), &pol, err) < 0 ||
	    bh_ctl_policy_set_on(s, actor, pol.doc, base, version, err) < 0)
		goto out_entry;
	after = json_pack("{sssssssIsO}", "node", bh_json_str(learned, "_node"), "mode", r->mode,
			  "digest", dg, "version", (json_int_t)*version, "profile", entry);
	snprintf(object, sizeof(object), "profile/%s", r->key);
	rc = bh_ctl_audit_add(s, actor, "profile.accept", object, before, after, err);
	json_decref(after);
	if (rc == 0 && digest)
		snprintf(digest, BH_CTL_PROFILE_DIGEST_MAX, "%s", dg);
out_entry:
	json_decref(entry);
	json_decref(before);
out:
	bh_ctl_policy_release(&pol);
	free(text);
	json_decref(cur);
	json_decref(learned);
	return rc;
}
