/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's REST API (include/bulkhead/ctl.h) on the HTTP layer: one
 * table of endpoints gives the routes, the role each needs, and the OpenAPI
 * document, so the document describes exactly what is served.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/api_int.h"
#include "banned.h"

/* ---- responses --------------------------------------------------------------------------- */

void bh_ctl_reply_json(struct bh_ctl_call *c, int status, json_t *v)
{
	struct bh_error *err = NULL;

	c->resp->status = status;
	c->resp->content_type = "application/json";
	bh_buf_reset(&c->resp->body);
	if (!v || bh_json_dump_buf(v, JSON_COMPACT, &c->resp->body, &err) < 0 ||
	    bh_buf_addc(&c->resp->body, '\n', &err) < 0) {
		bh_error_free(err);
		c->resp->status = 500;
		bh_buf_reset(&c->resp->body);
		bh_buf_adds(&c->resp->body, "{\"error\":\"internal error\"}\n", NULL);
	}
	json_decref(v);
}

void bh_ctl_reply_error(struct bh_ctl_call *c, int status, const char *msg)
{
	bh_ctl_reply_json(c, status, json_pack("{ss}", "error", msg));
}

/* An error from the library as a response: its code says the status. */
void bh_ctl_reply_fail(struct bh_ctl_call *c, struct bh_error *err)
{
	char *msg = bh_error_message(err);
	int status;

	switch (bh_error_code(err)) {
	case BH_ERR_INVALID: status = 400; break;
	case BH_ERR_LIMIT: status = 413; break;
	case BH_ERR_NOTFOUND: status = 404; break;
	case BH_ERR_USAGE: status = 409; break;
	case BH_ERR_UNSAFE: status = 401; break;
	default: status = 500; break;
	}
	if (status == 500) {
		bh_warn("%s %s: %s", c->req->method, c->req->path, msg ? msg : "?");
		bh_ctl_reply_error(c, 500, "internal error (see the controller's log)");
	} else {
		bh_ctl_reply_error(c, status, msg ? msg : "error");
	}
	free(msg);
	bh_error_free(err);
}

const char *bh_ctl_call_actor(const struct bh_ctl_call *c)
{
	return c->who ? c->who->name : "anonymous";
}

bool bh_ctl_call_json(struct bh_ctl_call *c)
{
	const char *ct = c->req->content_type;

	if (!ct || strncasecmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';')) {
		bh_ctl_reply_error(c, 415, "expected Content-Type: application/json");
		return false;
	}
	return true;
}

bool bh_ctl_call_body(struct bh_ctl_call *c, enum bh_ctl_body_kind kind, struct bh_ctl_body *b)
{
	struct bh_error *err = NULL;

	if (!bh_ctl_call_json(c)) {
		memset(b, 0, sizeof(*b));
		return false;
	}
	if (bh_ctl_body_parse((const char *)c->req->body, c->req->body_len, kind, b, &err) < 0) {
		bh_ctl_reply_fail(c, err);
		return false;
	}
	return true;
}

int bh_ctl_call_query(struct bh_ctl_call *c, const char *key, char *out, size_t size)
{
	struct bh_error *err = NULL;
	int rc = bh_ctl_query_get(c->req->query, c->req->query ? strlen(c->req->query) : 0, key,
				  out, size, &err);

	if (rc < 0)
		bh_ctl_reply_fail(c, err);
	return rc;
}

int bh_ctl_call_time(struct bh_ctl_call *c, const char *key, int64_t *out)
{
	char v[64];
	struct bh_error *err = NULL;
	int rc = bh_ctl_call_query(c, key, v, sizeof(v));

	*out = 0;
	if (rc <= 0)
		return rc;
	if (bh_time_parse(v, true, out, &err) < 0) {
		bh_error_prefix(&err, "query: \"%s\"", key);
		bh_ctl_reply_fail(c, err);
		return -1;
	}
	return 1;
}

int bh_ctl_call_uint(struct bh_ctl_call *c, const char *key, uint64_t max, uint64_t *out)
{
	char v[24];
	int rc = bh_ctl_call_query(c, key, v, sizeof(v));
	struct bh_error *err = NULL;

	*out = 0;
	if (rc <= 0)
		return rc;
	if (bh_parse_u64(v, out, &err) < 0 || *out > max) {
		bh_error_free(err);
		bh_ctl_reply_error(c, 400, "query: a number out of range");
		return -1;
	}
	return 1;
}

/* ---- handlers ---------------------------------------------------------------------------- */

static void on_openapi(struct bh_ctl_call *c)
{
	bh_ctl_reply_json(c, 200, bh_ctl_api_openapi());
}

static const struct bh_ctl_endpoint own[] = {
	{ "GET", "/openapi.json", on_openapi, BH_CTL_AUTH_ANY, "This document", NULL, NULL, 200 },
};
static const struct bh_ctl_endpoints api_own = { own, sizeof(own) / sizeof(own[0]), NULL };

/* The parts of the API: a new part adds its line here. */
static const struct bh_ctl_endpoints *const parts[] = {
	&api_own,
	&bh_ctl_api_auth,
};
#define NPARTS (sizeof(parts) / sizeof(parts[0]))

static bool bearer(const char *h, const char **tok, size_t *len)
{
	if (!h || strncasecmp(h, "Bearer ", 7))
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	*tok = h;
	*len = strlen(h);
	while (*len && h[*len - 1] == ' ')
		(*len)--;
	return *len > 0;
}

/* A route's ctx: its endpoint and the API. */
struct route_ctx {
	const struct bh_ctl_endpoint *e;
	struct bh_ctl_api *a;
};

static void dispatch(void *ctx, const struct bh_http_request *req, struct bh_http_response *resp)
{
	const struct route_ctx *rc = ctx;
	const struct bh_ctl_endpoint *e = rc->e;
	struct bh_ctl_call c = { rc->a, req, resp, NULL };
	struct bh_ctl_principal who;
	struct bh_error *err = NULL;
	const char *tok;
	size_t len;

	if (e->min_role != BH_CTL_AUTH_NONE) {
		if (!bearer(req->authorization, &tok, &len))
			return bh_ctl_reply_error(&c, 401,
						  "authentication required: Authorization: "
						  "Bearer TOKEN");
		if (bh_ctl_authenticate(rc->a->store, tok, len, &who, &err) < 0) {
			if (bh_error_code(err) != BH_ERR_UNSAFE)
				return bh_ctl_reply_fail(&c, err);
			bh_error_free(err);
			/* one answer for every bad token: no oracle */
			return bh_ctl_reply_error(&c, 401, "invalid, expired or revoked token");
		}
		if (e->min_role > BH_CTL_AUTH_ANY && (who.node || (int)who.role < e->min_role)) {
			char msg[160];

			snprintf(msg, sizeof(msg), "%s %s needs the role %s", e->method, e->path,
				 bh_ctl_role_name((enum bh_ctl_role)e->min_role));
			return bh_ctl_reply_error(&c, 403, msg);
		}
		c.who = &who;
	}
	e->fn(&c);
}

int bh_ctl_api_new(const struct bh_ctl_api_opts *o, struct bh_ctl_api **out, struct bh_error **err)
{
	struct bh_ctl_api *a;
	struct route_ctx *ctxs;
	size_t n = 0, k = 0;

	*out = NULL;
	if (!o->store)
		return bh_error_set(err, BH_ERR_USAGE, "the API needs a store");
	if (o->login_ttl < 0 || o->login_ttl > BH_CTL_TOKEN_TTL_MAX)
		return bh_error_set(err, BH_ERR_USAGE, "login ttl out of range");
	a = bh_calloc(1, sizeof(*a));
	a->store = o->store;
	a->login_ttl = o->login_ttl ? o->login_ttl : 12 * 3600;
	for (size_t p = 0; p < NPARTS; p++)
		n += parts[p]->n;
	ctxs = bh_calloc(n, sizeof(*ctxs));
	a->routes = bh_calloc(n, sizeof(*a->routes));
	for (size_t p = 0; p < NPARTS; p++) {
		for (size_t i = 0; i < parts[p]->n; i++, k++) {
			const struct bh_ctl_endpoint *e = &parts[p]->v[i];

			ctxs[k] = (struct route_ctx){ e, a };
			a->routes[k] =
				(struct bh_http_route){ e->method, e->path, dispatch, &ctxs[k] };
		}
	}
	a->nroutes = n;
	*out = a;
	return 0;
}

void bh_ctl_api_free(struct bh_ctl_api *a)
{
	if (!a)
		return;
	free(a->nroutes ? a->routes[0].ctx : NULL); /* the route_ctx array */
	free(a->routes);
	free(a);
}

const struct bh_http_route *bh_ctl_api_routes(struct bh_ctl_api *a, size_t *n)
{
	*n = a->nroutes;
	return a->routes;
}

/* ---- OpenAPI ----------------------------------------------------------------------------- */

static json_t *operation(const struct bh_ctl_endpoint *e)
{
	char code[8];
	json_t *op = json_pack("{sss{}}", "summary", e->summary, "responses");
	json_t *resp = json_object_get(op, "responses");
	json_t *err = json_pack("{ss s{s{s{ss}}}}", "description", "error", "content",
				"application/json", "schema", "$ref", "#/components/schemas/Error");

	snprintf(code, sizeof(code), "%d", e->ok);
	json_object_set_new(resp, code,
			    json_pack("{ss s{s{s{ss}}}}", "description", "success", "content",
				      "application/json", "schema", "type", "object"));
	if (e->body) {
		char ref[64];

		snprintf(ref, sizeof(ref), "#/components/schemas/%s", e->body);
		json_object_set_new(op, "requestBody",
				    json_pack("{sbs{s{s{ss}}}}", "required", 1, "content",
					      "application/json", "schema", "$ref", ref));
		json_object_set(resp, "400", err);
		json_object_set(resp, "413", err);
		json_object_set(resp, "415", err);
	}
	if (e->query) {
		json_t *params = json_array();
		char buf[128];
		char *save = NULL;

		snprintf(buf, sizeof(buf), "%s", e->query);
		for (char *p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save))
			json_array_append_new(params,
					      json_pack("{sssssbs{ss}}", "name", p, "in", "query",
							"required", 0, "schema", "type", "string"));
		json_object_set_new(op, "parameters", params);
		json_object_set(resp, "400", err);
	}
	if (e->min_role != BH_CTL_AUTH_NONE) {
		json_object_set_new(op, "security", json_pack("[{s[]}]", "bearer"));
		json_object_set(resp, "401", err);
		if (e->min_role > BH_CTL_AUTH_ANY)
			json_object_set(resp, "403", err);
		json_object_set_new(
			op, "x-bulkhead-role",
			json_string(e->min_role > BH_CTL_AUTH_ANY
					    ? bh_ctl_role_name((enum bh_ctl_role)e->min_role)
					    : "any"));
	} else {
		json_object_set_new(op, "security", json_array());
	}
	json_decref(err);
	return op;
}

/* One endpoint's path item entry, under its lower-case method. */
static void add_operation(json_t *paths, const struct bh_ctl_endpoint *e)
{
	json_t *item = json_object_get(paths, e->path);
	char m[8];
	size_t k;

	if (!item) {
		item = json_object();
		json_object_set_new(paths, e->path, item);
	}
	for (k = 0; e->method[k] && k < sizeof(m) - 1; k++)
		m[k] = (char)bh_tolower(e->method[k]);
	m[k] = 0;
	json_object_set_new(item, m, operation(e));
}

json_t *bh_ctl_api_openapi(void)
{
	json_t *paths = json_object();
	json_t *schemas = json_pack("{s{sss{s{ss}}s[s]}}", "Error", "type", "object", "properties",
				    "error", "type", "string", "required", "error");

	json_object_set_new(paths, "/healthz",
			    json_pack("{s{sss[]s{s{ss}}}}", "get", "summary",
				      "200 while the process serves (no authentication)",
				      "security", "responses", "200", "description", "ok"));
	for (size_t p = 0; p < NPARTS; p++) {
		for (size_t i = 0; i < parts[p]->n; i++)
			add_operation(paths, &parts[p]->v[i]);
		if (parts[p]->schemas)
			parts[p]->schemas(schemas);
	}
	return json_pack("{sss{ssss}sos{sos{s{ssss}}}s[{s[]}]}", "openapi", "3.0.3", "info",
			 "title", "bulkhead controller", "version", "1", "paths", paths,
			 "components", "schemas", schemas, "securitySchemes", "bearer", "type",
			 "http", "scheme", "bearer", "security", "bearer");
}
