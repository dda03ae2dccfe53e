/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node policy distributed to the agents (include/bulkhead/ctl_policy.h):
 * the strict parser of a policy document (untrusted; fuzz/fuzz_ctl_policy.c),
 * which compiles its rules and network policy with the library's own
 * parsers, and its versions in the store (table policies), audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/behave.h"
#include "bulkhead/ctl_policy.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/policy.h"
#include "bulkhead/profile.h"
#include "bulkhead/rules.h"
#include "banned.h"

/* ---- the document ------------------------------------------------------------------------ */

static bool text_ok(const char *s, size_t n, bool spaces)
{
	if (memchr(s, 0, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 &&
		    !(spaces && (s[i] == '\n' || s[i] == '\t' || s[i] == '\r')))
			return false;
	return true;
}

static int check_rules(struct bh_ctl_policy *out, const char *yaml, size_t len,
		       struct bh_error **err)
{
	struct bh_rules_diags d = { 0 };
	int rc;

	out->rules = bh_rules_new();
	rc = bh_rules_add(out->rules, yaml, len, "rules", &d, err);
	if (rc == 0)
		rc = bh_rules_compile(out->rules, &d, err);
	if (rc < 0) {
		for (size_t i = 0; i < d.n; i++) {
			const struct bh_rules_diag *g = &d.v[i];

			if (g->severity != BH_RULES_DIAG_ERROR)
				continue;
			bh_error_free(*err);
			*err = NULL;
			bh_error_set(err, BH_ERR_INVALID, "\"rules\": line %zu: %s%s%s", g->line,
				     g->item ? g->item : "", g->item ? ": " : "", g->message);
			break;
		}
		if (err && !*err)
			bh_error_set(err, BH_ERR_INVALID, "\"rules\": not a valid rules file");
		bh_error_prefix(err, "policy");
	} else {
		out->nrules = bh_rules_count(out->rules);
	}
	bh_rules_diags_release(&d);
	return rc;
}

static int check_net(const char *yaml, size_t len, struct bh_error **err)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_policy_diags d = { 0 };
	struct bh_netpol *np = NULL;
	int rc;

	/* base_dir "/nonexistent": a document from the API names no file here */
	rc = bh_policy_add(p, yaml, len, "net", "/nonexistent", &d, err);
	if (rc == 0)
		rc = bh_policy_compile(p, &d, err);
	if (rc == 0)
		rc = bh_policy_net(p, &np, err);
	if (rc < 0) {
		if (d.n) {
			bh_error_free(*err);
			*err = NULL;
			bh_error_set(err, BH_ERR_INVALID, "\"net\": line %zu: %s", d.v[0].line,
				     d.v[0].message);
		}
		bh_error_prefix(err, "policy");
	}
	bh_netpol_free(np);
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	return rc;
}

static int check_mode(json_t *m, size_t i, json_t *modes, struct bh_error **err)
{
	const char *key, *group = NULL, *control = NULL, *mode = NULL;
	enum bh_prof_mode pm;
	json_t *v;

	if (!json_is_object(m))
		return bh_error_set(err, BH_ERR_INVALID, "policy: \"modes\"[%zu]: not an object",
				    i);
	json_object_foreach (m, key, v) {
		const char **dst = !strcmp(key, "group")     ? &group
				   : !strcmp(key, "control") ? &control
				   : !strcmp(key, "mode")    ? &mode
							     : NULL;

		if (!dst)
			return bh_error_set(err, BH_ERR_INVALID,
					    "policy: \"modes\"[%zu]: unknown member \"%.64s\"", i,
					    key);
		if (!json_is_string(v) || !json_string_length(v) ||
		    json_string_length(v) > BH_CTL_POLICY_GROUP_MAX ||
		    !text_ok(json_string_value(v), json_string_length(v), false) ||
		    strchr(json_string_value(v), ' '))
			return bh_error_set(err, BH_ERR_INVALID,
					    "policy: \"modes\"[%zu].%s: 1 to %d printable bytes, "
					    "no spaces",
					    i, key, BH_CTL_POLICY_GROUP_MAX);
		*dst = json_string_value(v);
	}
	if (!group || !control || !mode)
		return bh_error_set(err, BH_ERR_INVALID,
				    "policy: \"modes\"[%zu]: \"%s\" is missing", i,
				    !group     ? "group"
				    : !control ? "control"
					       : "mode");
	if (strcmp(control, "behaviour") && strcmp(control, "syscall"))
		return bh_error_set(err, BH_ERR_INVALID,
				    "policy: \"modes\"[%zu].control: expected behaviour or syscall",
				    i);
	if (bh_prof_mode_parse(mode, &pm, err) < 0)
		return bh_error_prefix(err, "policy: \"modes\"[%zu].mode", i);
	for (size_t k = 0; k < json_array_size(modes); k++) {
		json_t *o = json_array_get(modes, k);

		if (!strcmp(bh_json_str(o, "group"), group) &&
		    !strcmp(bh_json_str(o, "control"), control))
			return bh_error_set(err, BH_ERR_INVALID,
					    "policy: \"modes\"[%zu]: %s of %s given twice", i,
					    control, group);
	}
	json_array_append_new(modes, json_pack("{ssssss}", "group", group, "control", control,
					       "mode", bh_prof_mode_name(pm)));
	return 0;
}

/* profiles17: "profiles", the accepted behaviour profiles: each an export
 * document (bh_behave_parse, strict) with its key, each key once. */
static int check_profiles(json_t *v, json_t *out, struct bh_error **err)
{
	if (!json_is_array(v) || json_array_size(v) > BH_CTL_POLICY_PROFILES_MAX)
		return bh_error_set(err, BH_ERR_INVALID,
				    "policy: \"profiles\" must be an array of at most %d",
				    BH_CTL_POLICY_PROFILES_MAX);
	for (size_t i = 0; i < json_array_size(v); i++) {
		char *text = json_dumps(json_array_get(v, i), JSON_COMPACT);
		json_t *doc = NULL;
		const char *key;
		int rc;

		if (!text)
			return bh_error_set(err, BH_ERR_INVALID,
					    "policy: \"profiles\"[%zu]: not a profile", i);
		rc = bh_behave_parse(text, strlen(text), 0, &doc, err);
		free(text);
		if (rc < 0)
			return bh_error_prefix(err, "policy: \"profiles\"[%zu]", i);
		key = bh_json_str(doc, "key");
		if (!key || bh_behave_key_check(key, err) < 0) {
			json_decref(doc);
			if (err && !*err)
				bh_error_set(err, BH_ERR_INVALID, "no \"key\"");
			return bh_error_prefix(err, "policy: \"profiles\"[%zu]", i);
		}
		for (size_t k = 0; k < json_array_size(out); k++)
			if (!strcmp(bh_json_str(json_array_get(out, k), "key"), key)) {
				/* the message before the document (key is in it) goes */
				bh_error_set(err, BH_ERR_INVALID,
					     "policy: \"profiles\"[%zu]: %s given twice", i, key);
				json_decref(doc);
				return -1;
			}
		json_array_append_new(out, doc);
	}
	return 0;
}

int bh_ctl_policy_parse(const char *buf, size_t len, struct bh_ctl_policy *out,
			struct bh_error **err)
{
	json_t *root = NULL, *v, *modes = json_array();
	const char *key;

	memset(out, 0, sizeof(*out));
	out->doc = json_object();
	if (bh_ctl_json_object(buf, len, "policy", &root, err) < 0)
		goto fail;
	json_object_foreach (root, key, v) {
		if (!strcmp(key, "rules") || !strcmp(key, "net")) {
			const char *s = json_string_value(v);
			size_t n = json_string_length(v);

			if (!json_is_string(v) || !text_ok(s, n, true)) {
				bh_error_set(err, BH_ERR_INVALID,
					     "policy: \"%s\" must be a string (YAML text)", key);
				goto fail;
			}
			if (!strcmp(key, "rules") ? check_rules(out, s, n, err) < 0
						  : check_net(s, n, err) < 0)
				goto fail;
			json_object_set(out->doc, key, v);
		} else if (!strcmp(key, "modes")) {
			if (!json_is_array(v) || json_array_size(v) > BH_CTL_POLICY_MODES_MAX) {
				bh_error_set(err, BH_ERR_INVALID,
					     "policy: \"modes\" must be an array of at most %d",
					     BH_CTL_POLICY_MODES_MAX);
				goto fail;
			}
			for (size_t i = 0; i < json_array_size(v); i++)
				if (check_mode(json_array_get(v, i), i, modes, err) < 0)
					goto fail;
		} else if (!strcmp(key, "profiles")) {
			json_t *profs = json_array();

			if (check_profiles(v, profs, err) < 0) {
				json_decref(profs);
				goto fail;
			}
			out->nprofiles = json_array_size(profs);
			json_object_set_new(out->doc, "profiles", profs);
		} else {
			bh_error_set(err, BH_ERR_INVALID, "policy: unknown member \"%.64s\"", key);
			goto fail;
		}
	}
	out->nmodes = json_array_size(modes);
	json_object_set_new(out->doc, "modes", modes);
	json_decref(root);
	return 0;
fail:
	json_decref(modes);
	json_decref(root);
	bh_ctl_policy_release(out);
	return -1;
}

void bh_ctl_policy_release(struct bh_ctl_policy *p)
{
	json_decref(p->doc);
	bh_rules_free(p->rules);
	memset(p, 0, sizeof(*p));
}

/* ---- the store --------------------------------------------------------------------------- */

int bh_ctl_policy_latest(struct bh_ctl_store *s, int64_t *version, struct bh_error **err)
{
	*version = 0;
	return bh_ctl_store_query(s, "SELECT MAX(version) FROM policies", NULL, 0, bh_ctl_row_int,
				  version, NULL, err);
}

static int doc_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	json_t **out = ctx, *doc = NULL;

	if (n != 4 || c[3].null)
		return bh_error_set(err, BH_ERR_INTERNAL, "policies: %zu columns", n);
	if (bh_json_parse(c[3].s, strlen(c[3].s), 1u << 24, "a stored policy", &doc, err) < 0)
		return -1;
	*out = json_pack("{sIsssoso}", "version", (json_int_t)c[0].i, "author",
			 c[1].null ? "" : c[1].s, "created", bh_ctl_json_time(c[2].i), "policy",
			 doc);
	return 0;
}

int bh_ctl_policy_get(struct bh_ctl_store *s, int64_t version, json_t **out, struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_I(version) };

	*out = NULL;
	if (!version && bh_ctl_policy_latest(s, &version, err) < 0)
		return -1;
	p[0] = BH_CTL_I(version);
	if (bh_ctl_store_query(
		    s, "SELECT version, author, created, doc FROM policies WHERE version = ?", p, 1,
		    doc_row, out, NULL, err) < 0)
		return -1;
	if (!*out)
		return bh_error_set(err, BH_ERR_NOTFOUND, "no policy version %lld",
				    (long long)version);
	return 0;
}

static int hist_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	if (n != 3)
		return bh_error_set(err, BH_ERR_INTERNAL, "policies: %zu columns", n);
	json_array_append_new(ctx, json_pack("{sIssso}", "version", (json_int_t)c[0].i, "author",
					     c[1].null ? "" : c[1].s, "created",
					     bh_ctl_json_time(c[2].i)));
	return 0;
}

int bh_ctl_policy_history(struct bh_ctl_store *s, json_t **out, struct bh_error **err)
{
	json_t *v = json_array();

	*out = NULL;
	if (bh_ctl_store_query(s,
			       "SELECT version, author, created FROM policies"
			       " ORDER BY version DESC LIMIT 1000",
			       NULL, 0, hist_row, v, NULL, err) < 0) {
		json_decref(v);
		return -1;
	}
	*out = v;
	return 0;
}

struct set_tx {
	struct bh_ctl_store *s;
	const char *actor;
	const json_t *doc;
	int64_t base; /* the version doc was made from; -1: any */
	int64_t version;
};

static int set_fn(void *ctx, struct bh_error **err)
{
	struct set_tx *t = ctx;
	json_t *before = NULL, *after;
	char *s = json_dumps(t->doc, JSON_COMPACT | JSON_SORT_KEYS);
	char object[48];
	int rc = -1;

	if (!s)
		return bh_error_set(err, BH_ERR_NOMEM, "policy: encoding");
	if (bh_ctl_policy_latest(t->s, &t->version, err) < 0)
		goto out;
	if (t->base >= 0 && t->version != t->base) {
		bh_error_set(err, BH_ERR_USAGE,
			     "policy: version %lld was set since version %lld was read: try again",
			     (long long)t->version, (long long)t->base);
		goto out;
	}
	if (t->version && bh_ctl_policy_get(t->s, t->version, &before, err) < 0)
		goto out;
	t->version++;
	{
		struct bh_ctl_val p[] = { BH_CTL_I(t->version), BH_CTL_S(t->actor),
					  BH_CTL_I((int64_t)time(NULL)), BH_CTL_S(s) };

		if (bh_ctl_store_query(t->s,
				       "INSERT INTO policies (version, author, created, doc)"
				       " VALUES (?, ?, ?, ?)",
				       p, 4, NULL, NULL, NULL, err) < 0)
			goto out;
	}
	after = json_pack("{sIsO}", "version", (json_int_t)t->version, "policy", t->doc);
	snprintf(object, sizeof(object), "policy/%lld", (long long)t->version);
	rc = bh_ctl_audit_add(t->s, t->actor, "policy.set", object, before, after, err);
	json_decref(after);
out:
	json_decref(before);
	free(s);
	return rc;
}

int bh_ctl_policy_set(struct bh_ctl_store *s, const char *actor, const json_t *doc,
		      int64_t *version, struct bh_error **err)
{
	return bh_ctl_policy_set_on(s, actor, doc, -1, version, err);
}

int bh_ctl_policy_set_on(struct bh_ctl_store *s, const char *actor, const json_t *doc, int64_t base,
			 int64_t *version, struct bh_error **err)
{
	struct set_tx t = { s, actor, doc, base, 0 };

	*version = 0;
	if (bh_ctl_store_tx(s, set_fn, &t, err) < 0)
		return -1;
	*version = t.version;
	return 0;
}

int bh_ctl_policy_running(struct bh_ctl_store *s, const char *node, int64_t running,
			  struct bh_error **err)
{
	char v[24];
	struct bh_ctl_val p[3];

	snprintf(v, sizeof(v), "%lld", (long long)running);
	p[0] = BH_CTL_I((int64_t)time(NULL));
	p[1] = BH_CTL_S(running > 0 ? v : NULL);
	p[2] = BH_CTL_S(node);
	return bh_ctl_store_query(
		s, "UPDATE nodes SET last_seen = ?, policy_version = ? WHERE name = ?", p, 3, NULL,
		NULL, NULL, err);
}
