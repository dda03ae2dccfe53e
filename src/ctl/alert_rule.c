/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Alert rules (include/bulkhead/ctl.h): the strict parser of a rule as a
 * request body (untrusted; fuzz/fuzz_ctl_alert_rule.c), severities, and the
 * rules' rows in the store (table alert_rules), audited.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl/api_int.h"
#include "banned.h"

static const struct {
	const char *name;
	int rank;
} severities[] = {
	{ "debug", 1 }, { "info", 1 },	   { "informational", 1 }, { "notice", 2 },
	{ "low", 2 },	{ "warning", 3 },  { "medium", 3 },	   { "error", 4 },
	{ "high", 4 },	{ "critical", 5 }, { "alert", 5 },	   { "emergency", 5 },
	{ "warn", 3 },	{ "fail", 4 }, /* the bench's */
};

int bh_ctl_severity_rank(const char *s)
{
	for (size_t i = 0; s && i < sizeof(severities) / sizeof(severities[0]); i++)
		if (!strcasecmp(s, severities[i].name))
			return severities[i].rank;
	return -1;
}

const char *bh_ctl_severity_name(int rank)
{
	static const char *const names[] = { "info", "low", "medium", "high", "critical" };

	return rank >= 1 && rank <= 5 ? names[rank - 1] : "unknown";
}

static const char *const dests[] = { NULL, "webhook", "slack", "syslog", "email" };

/* A mailbox: local@domain of printable bytes, no spaces or angle brackets. */
static bool mailbox_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == '<' || *s == '>' || *s == ',' || *s == '"' || *s == 0x7f)
			return false;
	return true;
}

int bh_ctl_alert_rule_parse(const char *buf, size_t len, struct bh_ctl_alert_rule *out,
			    struct bh_error **err)
{
	json_t *root = NULL, *v;
	const char *key;
	char tmp[32];
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (bh_ctl_json_object(buf, len, "request body", &root, err) < 0)
		return -1;
	json_object_foreach (root, key, v) {
		if (!strcmp(key, "name")) {
			if (bh_ctl_json_str(v, key, BH_CTL_NAME_MAX, out->name, err) < 0)
				goto out;
			if (!bh_ctl_name_valid(out->name, strlen(out->name))) {
				bh_error_set(err, BH_ERR_INVALID,
					     "\"name\": 1 to %d of A-Z a-z 0-9 . _ @ -",
					     BH_CTL_NAME_MAX);
				goto out;
			}
		} else if (!strcmp(key, "min_severity")) {
			if (bh_ctl_json_str(v, key, sizeof(tmp) - 1, tmp, err) < 0)
				goto out;
			out->min_severity = bh_ctl_severity_rank(tmp);
			if (out->min_severity < 0) {
				bh_error_set(err, BH_ERR_INVALID,
					     "\"min_severity\": expected info, low, medium, high, "
					     "critical (or a syslog priority name)");
				goto out;
			}
		} else if (!strcmp(key, "kind")) {
			if (bh_ctl_json_str(v, key, BH_CTL_ALERT_FIELD_MAX, out->kind, err) < 0)
				goto out;
		} else if (!strcmp(key, "rule")) {
			if (bh_ctl_json_str(v, key, BH_CTL_ALERT_FIELD_MAX, out->rule, err) < 0)
				goto out;
		} else if (!strcmp(key, "workload")) {
			if (bh_ctl_json_str(v, key, BH_CTL_ALERT_FIELD_MAX, out->workload, err) < 0)
				goto out;
		} else if (!strcmp(key, "destination")) {
			if (bh_ctl_json_str(v, key, sizeof(tmp) - 1, tmp, err) < 0)
				goto out;
			for (size_t i = 1; i < sizeof(dests) / sizeof(dests[0]); i++)
				if (!strcmp(tmp, dests[i]))
					out->dest = (enum bh_ctl_alert_dest)i;
			if (!out->dest) {
				bh_error_set(err, BH_ERR_INVALID,
					     "\"destination\": expected webhook, slack, syslog or "
					     "email");
				goto out;
			}
		} else if (!strcmp(key, "url")) {
			if (bh_ctl_json_str(v, key, BH_CTL_ALERT_URL_MAX, out->url, err) < 0)
				goto out;
		} else if (!strcmp(key, "to")) {
			if (bh_ctl_json_str(v, key, BH_CTL_ALERT_FIELD_MAX, out->to, err) < 0)
				goto out;
		} else if (!strcmp(key, "from")) {
			if (bh_ctl_json_str(v, key, BH_CTL_ALERT_FIELD_MAX, out->from, err) < 0)
				goto out;
		} else if (!strcmp(key, "window")) {
			json_int_t w = json_integer_value(v);

			if (!json_is_integer(v) || w < 1 || w > BH_CTL_ALERT_WINDOW_MAX) {
				bh_error_set(err, BH_ERR_INVALID, "\"window\": 1 to %d seconds",
					     BH_CTL_ALERT_WINDOW_MAX);
				goto out;
			}
			out->window = (unsigned)w;
		} else {
			bh_error_set(err, BH_ERR_INVALID, "request body: unknown member \"%.64s\"",
				     key);
			goto out;
		}
	}
	if (!out->name[0] || !out->min_severity || !out->dest || !out->url[0]) {
		bh_error_set(err, BH_ERR_INVALID, "request body: \"%s\" is missing",
			     !out->name[0]	  ? "name"
			     : !out->min_severity ? "min_severity"
			     : !out->dest	  ? "destination"
						  : "url");
		goto out;
	}
	if (!out->window)
		out->window = 60;
	switch (out->dest) {
	case BH_CTL_ALERT_WEBHOOK:
	case BH_CTL_ALERT_SLACK:
		if (!bh_str_has_prefix(out->url, "http://") &&
		    !bh_str_has_prefix(out->url, "https://")) {
			bh_error_set(err, BH_ERR_INVALID, "\"url\": a webhook needs http(s)://");
			goto out;
		}
		break;
	case BH_CTL_ALERT_SYSLOG:
		if (out->url[0] != '/' || strlen(out->url) >= 108) {
			bh_error_set(err, BH_ERR_INVALID,
				     "\"url\": syslog needs a unix socket's absolute path (under "
				     "108 bytes)");
			goto out;
		}
		break;
	case BH_CTL_ALERT_EMAIL:
		if (!bh_str_has_prefix(out->url, "smtp://") &&
		    !bh_str_has_prefix(out->url, "smtps://")) {
			bh_error_set(err, BH_ERR_INVALID,
				     "\"url\": email needs smtp(s)://HOST[:PORT]");
			goto out;
		}
		if (!mailbox_ok(out->to) || !mailbox_ok(out->from)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "\"to\" and \"from\": email needs both, each one "
				     "address local@domain");
			goto out;
		}
		break;
	}
	if (out->dest != BH_CTL_ALERT_EMAIL && (out->to[0] || out->from[0])) {
		bh_error_set(err, BH_ERR_INVALID, "\"to\" and \"from\" are for email only");
		goto out;
	}
	ret = 0;
out:
	json_decref(root);
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

json_t *bh_ctl_alert_rule_json(const struct bh_ctl_alert_rule *r)
{
	json_t *j = json_pack("{sssssssi}", "name", r->name, "min_severity",
			      bh_ctl_severity_name(r->min_severity), "destination",
			      dests[r->dest <= BH_CTL_ALERT_EMAIL ? r->dest : 0]
				      ? dests[r->dest <= BH_CTL_ALERT_EMAIL ? r->dest : 0]
				      : "?",
			      "window", (int)r->window);

	if (r->kind[0])
		json_object_set_new(j, "kind", json_string(r->kind));
	if (r->rule[0])
		json_object_set_new(j, "rule", json_string(r->rule));
	if (r->workload[0])
		json_object_set_new(j, "workload", json_string(r->workload));
	json_object_set_new(j, "url", json_string(r->url));
	if (r->dest == BH_CTL_ALERT_EMAIL) {
		json_object_set_new(j, "to", json_string(r->to));
		json_object_set_new(j, "from", json_string(r->from));
	}
	return j;
}

/* ---- the store ------------------------------------------------------------------------- */

#define COLS                                                                                       \
	"name, min_severity, kind, rule, workload, destination, url, to_addr, from_addr, window_s"

struct add_op {
	struct bh_ctl_store *s;
	const char *actor;
	const struct bh_ctl_alert_rule *r;
};

static int add_tx(void *arg, struct bh_error **err)
{
	struct add_op *o = arg;
	const struct bh_ctl_alert_rule *r = o->r;
	struct bh_ctl_val p[] = {
		BH_CTL_S(r->name),
		BH_CTL_I(r->min_severity),
		BH_CTL_S(r->kind),
		BH_CTL_S(r->rule),
		BH_CTL_S(r->workload),
		BH_CTL_I((int64_t)r->dest),
		BH_CTL_S(r->url),
		BH_CTL_S(r->to),
		BH_CTL_S(r->from),
		BH_CTL_I((int64_t)r->window),
		BH_CTL_I((int64_t)time(NULL)),
	};
	json_t *after;
	int rc;

	if (bh_ctl_store_query(o->s,
			       "INSERT INTO alert_rules (" COLS ", created) VALUES"
			       " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       p, 11, NULL, NULL, NULL, err) < 0)
		return -1;
	after = bh_ctl_alert_rule_json(r);
	rc = bh_ctl_audit_add(o->s, o->actor, "alert.add", r->name, NULL, after, err);
	json_decref(after);
	return rc;
}

struct one {
	bool found;
	struct bh_ctl_alert_rule r;
};

static int rule_row(const struct bh_ctl_val *c, size_t n, struct bh_ctl_alert_rule *r,
		    struct bh_error **err)
{
	if (n != 10)
		return bh_error_set(err, BH_ERR_INTERNAL, "alert_rules: %zu columns", n);
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", c[0].null ? "" : c[0].s);
	r->min_severity = (int)c[1].i;
	snprintf(r->kind, sizeof(r->kind), "%s", c[2].null ? "" : c[2].s);
	snprintf(r->rule, sizeof(r->rule), "%s", c[3].null ? "" : c[3].s);
	snprintf(r->workload, sizeof(r->workload), "%s", c[4].null ? "" : c[4].s);
	r->dest = (enum bh_ctl_alert_dest)c[5].i;
	snprintf(r->url, sizeof(r->url), "%s", c[6].null ? "" : c[6].s);
	snprintf(r->to, sizeof(r->to), "%s", c[7].null ? "" : c[7].s);
	snprintf(r->from, sizeof(r->from), "%s", c[8].null ? "" : c[8].s);
	r->window = (unsigned)c[9].i;
	return 0;
}

static int one_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct one *o = ctx;

	o->found = true;
	return rule_row(c, n, &o->r, err);
}

int bh_ctl_alert_rule_add(struct bh_ctl_store *s, const char *actor,
			  const struct bh_ctl_alert_rule *r, struct bh_error **err)
{
	struct add_op o = { s, actor, r };
	struct one cur = { 0 };
	struct bh_ctl_val p[] = { BH_CTL_S(r->name) };

	if (bh_ctl_store_query(s, "SELECT " COLS " FROM alert_rules WHERE name = ?", p, 1, one_row,
			       &cur, NULL, err) < 0)
		return -1;
	if (cur.found)
		return bh_error_set(err, BH_ERR_USAGE, "alert rule '%s' exists", r->name);
	return bh_ctl_store_tx(s, add_tx, &o, err);
}

struct del_op {
	struct bh_ctl_store *s;
	const char *actor, *name;
};

static int del_tx(void *arg, struct bh_error **err)
{
	struct del_op *o = arg;
	struct one cur = { 0 };
	struct bh_ctl_val p[] = { BH_CTL_S(o->name) };
	json_t *before;
	int rc;

	if (bh_ctl_store_query(o->s, "SELECT " COLS " FROM alert_rules WHERE name = ?", p, 1,
			       one_row, &cur, NULL, err) < 0)
		return -1;
	if (!cur.found)
		return bh_error_set(err, BH_ERR_NOTFOUND, "no alert rule '%s'", o->name);
	if (bh_ctl_store_query(o->s, "DELETE FROM alert_rules WHERE name = ?", p, 1, NULL, NULL,
			       NULL, err) < 0)
		return -1;
	before = bh_ctl_alert_rule_json(&cur.r);
	rc = bh_ctl_audit_add(o->s, o->actor, "alert.delete", o->name, before, NULL, err);
	json_decref(before);
	return rc;
}

int bh_ctl_alert_rule_delete(struct bh_ctl_store *s, const char *actor, const char *name,
			     struct bh_error **err)
{
	struct del_op o = { s, actor, name };

	return bh_ctl_store_tx(s, del_tx, &o, err);
}

static int list_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct bh_ctl_alert_rule r;

	if (rule_row(c, n, &r, err) < 0)
		return -1;
	json_array_append_new(ctx, bh_ctl_alert_rule_json(&r));
	return 0;
}

int bh_ctl_alert_rule_list(struct bh_ctl_store *s, json_t **out, struct bh_error **err)
{
	json_t *a = json_array();

	*out = NULL;
	if (bh_ctl_store_query(s, "SELECT " COLS " FROM alert_rules ORDER BY name", NULL, 0,
			       list_row, a, NULL, err) < 0) {
		json_decref(a);
		return -1;
	}
	*out = a;
	return 0;
}

struct load {
	struct bh_ctl_alert_rule *v;
	size_t n;
};

static int load_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct load *l = ctx;

	if (l->n >= BH_CTL_ALERT_RULES_MAX)
		return 0; /* the first ones by name; the API refuses more */
	return rule_row(c, n, &l->v[l->n++], err);
}

int bh_ctl_alert_rules_load(struct bh_ctl_store *s, struct bh_ctl_alert_rule *v, size_t *n,
			    struct bh_error **err)
{
	struct load l = { v, 0 };
	int rc = bh_ctl_store_query(s, "SELECT " COLS " FROM alert_rules ORDER BY name", NULL, 0,
				    load_row, &l, NULL, err);

	*n = l.n;
	return rc;
}
