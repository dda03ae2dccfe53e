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

#include "bulkhead/ctl.h"
#include "lazy/sodium.h"
#include "banned.h"

struct bh_ctl_api {
	struct bh_ctl_store *store;
	int64_t login_ttl;
	struct bh_http_route *routes;
	size_t nroutes;
};

/* What a handler is given. */
struct call {
	struct bh_ctl_api *a;
	const struct bh_http_request *req;
	struct bh_http_response *resp;
	const struct bh_ctl_principal *who; /* NULL on an endpoint without auth */
};

#define AUTH_NONE -1 /* no token wanted */
#define AUTH_ANY  0  /* any valid token, a node's too */

struct endpoint {
	const char *method, *path;
	void (*fn)(struct call *c);
	int min_role; /* AUTH_NONE, AUTH_ANY or an enum bh_ctl_role */
	const char *summary;
	const char *body;  /* the request body's schema name, or NULL */
	const char *query; /* space-separated query parameters, or NULL */
	int ok;		   /* the status on success */
};

/* ---- responses --------------------------------------------------------------------------- */

static void reply_json(struct call *c, int status, json_t *v)
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

static void reply_error(struct call *c, int status, const char *msg)
{
	reply_json(c, status, json_pack("{ss}", "error", msg));
}

/* An error from the library as a response: its code says the status. */
static void reply_fail(struct call *c, struct bh_error *err)
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
		reply_error(c, 500, "internal error (see the controller's log)");
	} else {
		reply_error(c, status, msg ? msg : "error");
	}
	free(msg);
	bh_error_free(err);
}

static const char *actor(struct call *c)
{
	return c->who ? c->who->name : "anonymous";
}

/* The body of a POST, parsed; false when the reply is already made. */
static bool body(struct call *c, enum bh_ctl_body_kind kind, struct bh_ctl_body *b)
{
	struct bh_error *err = NULL;
	const char *ct = c->req->content_type;

	if (!ct || strncasecmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';')) {
		memset(b, 0, sizeof(*b));
		reply_error(c, 415, "expected Content-Type: application/json");
		return false;
	}
	if (bh_ctl_body_parse((const char *)c->req->body, c->req->body_len, kind, b, &err) < 0) {
		reply_fail(c, err);
		return false;
	}
	return true;
}

/* A query parameter into out; <0 when the reply is already made. */
static int query(struct call *c, const char *key, char *out, size_t size)
{
	struct bh_error *err = NULL;
	int rc = bh_ctl_query_get(c->req->query, c->req->query ? strlen(c->req->query) : 0, key,
				  out, size, &err);

	if (rc < 0)
		reply_fail(c, err);
	return rc;
}

/* ---- handlers ---------------------------------------------------------------------------- */

static void on_openapi(struct call *c)
{
	reply_json(c, 200, bh_ctl_api_openapi());
}

static void on_login(struct call *c)
{
	struct bh_ctl_body b;
	struct bh_error *err = NULL;
	char token[BH_CTL_TOKEN_LEN + 1];

	if (!body(c, BH_CTL_BODY_LOGIN, &b))
		return;
	if (bh_ctl_login(c->a->store, b.name, b.password, c->a->login_ttl, token, &err) < 0) {
		sodium_memzero(b.password, sizeof(b.password));
		reply_fail(c, err);
		return;
	}
	sodium_memzero(b.password, sizeof(b.password));
	reply_json(c, 200,
		   json_pack("{sssssI}", "token", token, "user", b.name, "expires_in",
			     (json_int_t)c->a->login_ttl));
	sodium_memzero(token, sizeof(token));
}

static void on_users_get(struct call *c)
{
	struct bh_error *err = NULL;
	json_t *v;

	if (bh_ctl_user_list(c->a->store, &v, &err) < 0)
		return reply_fail(c, err);
	reply_json(c, 200, json_pack("{so}", "users", v));
}

static void on_users_post(struct call *c)
{
	struct bh_ctl_body b;
	struct bh_error *err = NULL;
	int rc;

	if (!body(c, BH_CTL_BODY_USER, &b))
		return;
	rc = bh_ctl_user_add(c->a->store, actor(c), b.name, (enum bh_ctl_role)b.role, b.password,
			     &err);
	sodium_memzero(b.password, sizeof(b.password));
	if (rc < 0)
		return reply_fail(c, err);
	reply_json(c, 201,
		   json_pack("{ssss}", "name", b.name, "role",
			     bh_ctl_role_name((enum bh_ctl_role)b.role)));
}

static void on_users_delete(struct call *c)
{
	struct bh_error *err = NULL;
	char name[BH_CTL_NAME_MAX + 1];
	int rc = query(c, "name", name, sizeof(name));

	if (rc < 0)
		return;
	if (rc == 0)
		return reply_error(c, 400, "expected ?name=USER");
	if (!strcmp(name, c->who->name))
		return reply_error(c, 409, "an admin cannot delete itself");
	if (bh_ctl_user_delete(c->a->store, actor(c), name, &err) < 0)
		return reply_fail(c, err);
	reply_json(c, 200, json_pack("{sssb}", "name", name, "deleted", 1));
}

static void on_tokens_post(struct call *c)
{
	struct bh_ctl_body b;
	struct bh_error *err = NULL;
	char token[BH_CTL_TOKEN_LEN + 1], id[BH_CTL_TOKEN_ID_LEN + 1];
	const char *name;

	if (!body(c, BH_CTL_BODY_TOKEN, &b))
		return;
	if (c->who->node)
		return reply_error(c, 403, "a node cannot create tokens");
	name = b.name[0] ? b.name : c->who->name;
	if ((b.node || strcmp(name, c->who->name)) && c->who->role < BH_CTL_ADMIN)
		return reply_error(c, 403, "only an admin creates tokens for others or for nodes");
	if (bh_ctl_token_create(c->a->store, actor(c), name, b.node, b.ttl ? b.ttl : 30 * 86400,
				token, id, &err) < 0)
		return reply_fail(c, err);
	reply_json(c, 201,
		   json_pack("{ssssss}", "token", token, "id", id, b.node ? "node" : "user", name));
	sodium_memzero(token, sizeof(token));
}

static void on_tokens_delete(struct call *c)
{
	struct bh_error *err = NULL;
	char id[BH_CTL_TOKEN_ID_LEN + 2];
	int rc = query(c, "id", id, sizeof(id));

	if (rc < 0)
		return;
	if (rc == 0) /* the token of this request: a logout (a node's too) */
		memcpy(id, c->who->token_id, sizeof(c->who->token_id));
	if (bh_ctl_token_revoke(c->a->store, actor(c), id,
				c->who->role >= BH_CTL_ADMIN || rc == 0 ? NULL : c->who->name,
				&err) < 0)
		return reply_fail(c, err);
	reply_json(c, 200, json_pack("{sssb}", "id", id, "revoked", 1));
}

static int time_param(struct call *c, const char *key, int64_t *out)
{
	char v[64];
	struct bh_error *err = NULL;
	int rc = query(c, key, v, sizeof(v));

	*out = 0;
	if (rc <= 0)
		return rc;
	if (bh_time_parse(v, true, out, &err) < 0) {
		bh_error_prefix(&err, "query: \"%s\"", key);
		reply_fail(c, err);
		return -1;
	}
	return 1;
}

static int uint_param(struct call *c, const char *key, uint64_t max, uint64_t *out)
{
	char v[24];
	int rc = query(c, key, v, sizeof(v));
	struct bh_error *err = NULL;

	*out = 0;
	if (rc <= 0)
		return rc;
	if (bh_parse_u64(v, out, &err) < 0 || *out > max) {
		bh_error_free(err);
		reply_error(c, 400, "query: a number out of range");
		return -1;
	}
	return 1;
}

static void on_audit(struct call *c)
{
	struct bh_ctl_audit_filter f = { 0 };
	struct bh_error *err = NULL;
	char who[BH_CTL_NAME_MAX + 1];
	uint64_t after, limit;
	json_t *v;
	int rc;

	if ((rc = query(c, "actor", who, sizeof(who))) < 0)
		return;
	if (rc)
		f.actor = who;
	if (time_param(c, "since", &f.since) < 0 || time_param(c, "until", &f.until) < 0 ||
	    uint_param(c, "after", INT64_MAX, &after) < 0 ||
	    uint_param(c, "limit", BH_CTL_AUDIT_PAGE_MAX, &limit) < 0)
		return;
	f.after_id = (int64_t)after;
	f.limit = (unsigned)limit;
	if (bh_ctl_audit_list(c->a->store, &f, &v, &err) < 0)
		return reply_fail(c, err);
	reply_json(c, 200, v);
}

/* ---- the table --------------------------------------------------------------------------- */

static const struct endpoint endpoints[] = {
	{ "GET", "/openapi.json", on_openapi, AUTH_ANY, "This document", NULL, NULL, 200 },
	{ "POST", "/api/v1/login", on_login, AUTH_NONE,
	  "Log in with a user name and password: a new token", "Login", NULL, 200 },
	{ "GET", "/api/v1/users", on_users_get, BH_CTL_ADMIN, "List the users", NULL, NULL, 200 },
	{ "POST", "/api/v1/users", on_users_post, BH_CTL_ADMIN, "Add a user", "User", NULL, 201 },
	{ "DELETE", "/api/v1/users", on_users_delete, BH_CTL_ADMIN,
	  "Delete a user and revoke its tokens", NULL, "name", 200 },
	{ "POST", "/api/v1/tokens", on_tokens_post, BH_CTL_READER,
	  "Create an API token (an admin: for any user or a node), shown once", "Token", NULL,
	  201 },
	{ "DELETE", "/api/v1/tokens", on_tokens_delete, AUTH_ANY,
	  "Revoke a token (without id: the one of this request)", NULL, "id", 200 },
	{ "GET", "/api/v1/audit", on_audit, BH_CTL_ADMIN,
	  "The audit log, oldest first, paged (next: pass as after)", NULL,
	  "actor since until after limit", 200 },
};
#define NENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))

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
	const struct endpoint *e;
	struct bh_ctl_api *a;
};

static void dispatch(void *ctx, const struct bh_http_request *req, struct bh_http_response *resp)
{
	const struct route_ctx *rc = ctx;
	const struct endpoint *e = rc->e;
	struct call c = { rc->a, req, resp, NULL };
	struct bh_ctl_principal who;
	struct bh_error *err = NULL;
	const char *tok;
	size_t len;

	if (e->min_role != AUTH_NONE) {
		if (!bearer(req->authorization, &tok, &len))
			return reply_error(&c, 401,
					   "authentication required: Authorization: "
					   "Bearer TOKEN");
		if (bh_ctl_authenticate(rc->a->store, tok, len, &who, &err) < 0) {
			if (bh_error_code(err) != BH_ERR_UNSAFE)
				return reply_fail(&c, err);
			bh_error_free(err);
			/* one answer for every bad token: no oracle */
			return reply_error(&c, 401, "invalid, expired or revoked token");
		}
		if (e->min_role > AUTH_ANY && (who.node || (int)who.role < e->min_role)) {
			char msg[160];

			snprintf(msg, sizeof(msg), "%s %s needs the role %s", e->method, e->path,
				 bh_ctl_role_name((enum bh_ctl_role)e->min_role));
			return reply_error(&c, 403, msg);
		}
		c.who = &who;
	}
	e->fn(&c);
}

int bh_ctl_api_new(const struct bh_ctl_api_opts *o, struct bh_ctl_api **out, struct bh_error **err)
{
	struct bh_ctl_api *a;
	struct route_ctx *ctxs;

	*out = NULL;
	if (!o->store)
		return bh_error_set(err, BH_ERR_USAGE, "the API needs a store");
	if (o->login_ttl < 0 || o->login_ttl > BH_CTL_TOKEN_TTL_MAX)
		return bh_error_set(err, BH_ERR_USAGE, "login ttl out of range");
	a = bh_calloc(1, sizeof(*a));
	a->store = o->store;
	a->login_ttl = o->login_ttl ? o->login_ttl : 12 * 3600;
	ctxs = bh_calloc(NENDPOINTS, sizeof(*ctxs));
	a->routes = bh_calloc(NENDPOINTS, sizeof(*a->routes));
	for (size_t i = 0; i < NENDPOINTS; i++) {
		ctxs[i] = (struct route_ctx){ &endpoints[i], a };
		a->routes[i] = (struct bh_http_route){ endpoints[i].method, endpoints[i].path,
						       dispatch, &ctxs[i] };
	}
	a->nroutes = NENDPOINTS;
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

static json_t *schemas(void)
{
	json_t *name = json_pack("{sssisiss}", "type", "string", "minLength", 1, "maxLength",
				 BH_CTL_NAME_MAX, "pattern", "^[A-Za-z0-9_@][A-Za-z0-9._@-]*$");
	json_t *pw = json_pack("{sssisi}", "type", "string", "minLength", BH_CTL_PASSWORD_MIN,
			       "maxLength", BH_CTL_PASSWORD_MAX);
	json_t *role =
		json_pack("{ss s[sss]}", "type", "string", "enum", "admin", "operator", "reader");
	json_t *v = json_pack(
		"{s{sss{sOsO}s[ss]sb}s{sss{sOsOsO}s[sss]sb}s{sss{sOsOs{sssisi}}sb}"
		"s{sss{s{ss}}s[s]}}",
		"Login", "type", "object", "properties", "user", name, "password", pw, "required",
		"user", "password", "additionalProperties", 0, "User", "type", "object",
		"properties", "name", name, "role", role, "password", pw, "required", "name",
		"role", "password", "additionalProperties", 0, "Token", "type", "object",
		"properties", "user", name, "node", name, "ttl", "type", "integer", "minimum", 1,
		"maximum", BH_CTL_TOKEN_TTL_MAX, "additionalProperties", 0, "Error", "type",
		"object", "properties", "error", "type", "string", "required", "error");

	json_decref(name);
	json_decref(pw);
	json_decref(role);
	return v;
}

static json_t *operation(const struct endpoint *e)
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
	if (e->min_role != AUTH_NONE) {
		json_object_set_new(op, "security", json_pack("[{s[]}]", "bearer"));
		json_object_set(resp, "401", err);
		if (e->min_role > AUTH_ANY)
			json_object_set(resp, "403", err);
		json_object_set_new(
			op, "x-bulkhead-role",
			json_string(e->min_role > AUTH_ANY
					    ? bh_ctl_role_name((enum bh_ctl_role)e->min_role)
					    : "any"));
	} else {
		json_object_set_new(op, "security", json_array());
	}
	json_decref(err);
	return op;
}

json_t *bh_ctl_api_openapi(void)
{
	json_t *paths = json_object();
	json_t *doc;

	json_object_set_new(paths, "/healthz",
			    json_pack("{s{sss[]s{s{ss}}}}", "get", "summary",
				      "200 while the process serves (no authentication)",
				      "security", "responses", "200", "description", "ok"));
	for (size_t i = 0; i < NENDPOINTS; i++) {
		const struct endpoint *e = &endpoints[i];
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
	doc = json_pack("{sss{ssss}sos{sos{s{ssss}}}s[{s[]}]}", "openapi", "3.0.3", "info", "title",
			"bulkhead controller", "version", "1", "paths", paths, "components",
			"schemas", schemas(), "securitySchemes", "bearer", "type", "http", "scheme",
			"bearer", "security", "bearer");
	return doc;
}
