/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's alert rules (src/ctl/alert_rule.c): list, add, delete, admin
 * only, every change audited. The engine (src/ctl/alert.c) reads them.
 */
#include <string.h>

#include "ctl/api_int.h"
#include "banned.h"

static void on_list(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	json_t *v;

	if (bh_ctl_alert_rule_list(c->a->store, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{so}", "alerts", v));
}

static int count_row(void *ctx, const struct bh_ctl_val *col, size_t n, struct bh_error **err)
{
	(void)err;
	if (n == 1 && col[0].type == BH_CTL_INT)
		*(int64_t *)ctx = col[0].i;
	return 0;
}

static void on_add(struct bh_ctl_call *c)
{
	struct bh_ctl_alert_rule r;
	struct bh_error *err = NULL;
	int64_t n = 0;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_alert_rule_parse((const char *)c->req->body, c->req->body_len, &r, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (bh_ctl_store_query(c->a->store, "SELECT COUNT(*) FROM alert_rules", NULL, 0, count_row,
			       &n, NULL, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (n >= BH_CTL_ALERT_RULES_MAX)
		return bh_ctl_reply_error(c, 409, "too many alert rules (256): delete one first");
	if (bh_ctl_alert_rule_add(c->a->store, bh_ctl_call_actor(c), &r, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 201, bh_ctl_alert_rule_json(&r));
}

static void on_delete(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	char name[BH_CTL_NAME_MAX + 1];
	int rc = bh_ctl_call_query(c, "name", name, sizeof(name));

	if (rc < 0)
		return;
	if (rc == 0)
		return bh_ctl_reply_error(c, 400, "expected ?name=RULE");
	if (bh_ctl_alert_rule_delete(c->a->store, bh_ctl_call_actor(c), name, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{sssb}", "name", name, "deleted", 1));
}

static const struct bh_ctl_endpoint endpoints[] = {
	{ "GET", "/api/v1/alerts", on_list, BH_CTL_ADMIN, "List the alert rules", NULL, NULL, 200 },
	{ "POST", "/api/v1/alerts", on_add, BH_CTL_ADMIN,
	  "Add an alert rule (match: min_severity, kind, rule, workload glob; a destination: "
	  "webhook, slack, syslog, email; a grouping window)",
	  "AlertRule", NULL, 201 },
	{ "DELETE", "/api/v1/alerts", on_delete, BH_CTL_ADMIN, "Delete an alert rule", NULL, "name",
	  200 },
};

static void schemas(json_t *components)
{
	json_t *str = json_pack("{sssi}", "type", "string", "maxLength", BH_CTL_ALERT_FIELD_MAX);
	json_t *v = json_pack(
		"{s{sss{s{sssiss}s{ss s[sssss]}sOsOsOs{ss s[ssss]}s{sssi}sOsOs{sssisi}}"
		"s[ssss]sb}}",
		"AlertRule", "type", "object", "properties", "name", "type", "string", "maxLength",
		BH_CTL_NAME_MAX, "pattern", "^[A-Za-z0-9_@][A-Za-z0-9._@-]*$", "min_severity",
		"type", "string", "enum", "info", "low", "medium", "high", "critical", "kind", str,
		"rule", str, "workload", str, "destination", "type", "string", "enum", "webhook",
		"slack", "syslog", "email", "url", "type", "string", "maxLength",
		BH_CTL_ALERT_URL_MAX, "to", str, "from", str, "window", "type", "integer",
		"minimum", 1, "maximum", BH_CTL_ALERT_WINDOW_MAX, "required", "name",
		"min_severity", "destination", "url", "additionalProperties", 0);

	json_object_update(components, v);
	json_decref(v);
	json_decref(str);
}

const struct bh_ctl_endpoints bh_ctl_api_alert = { endpoints,
						   sizeof(endpoints) / sizeof(endpoints[0]),
						   schemas };
