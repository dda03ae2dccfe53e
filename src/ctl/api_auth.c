/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's users, tokens, login and audit log: the endpoints over
 * src/ctl/auth.c and the audit list of src/ctl/store.c.
 */
#include <string.h>
#include <time.h>

#include "ctl/api_int.h"
#include "lazy/sodium.h"
#include "banned.h"

/* The client's address: the peer "ADDR:PORT" without its port. */
static void peer_addr(const struct bh_http_request *req, char *out, size_t size)
{
	const char *p = req->peer ? req->peer : "?";
	const char *colon = strrchr(p, ':');
	size_t n = colon ? (size_t)(colon - p) : strlen(p);

	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = 0;
}

/* A failed login: counted against the name and the address, audited (the
 * name claimed as actor; never the password). */
static void login_failed(struct bh_ctl_call *c, const char *name, const char *ukey,
			 const char *akey, const char *addr, int64_t now)
{
	struct bh_error *err = NULL;
	json_t *after = json_pack("{ss}", "address", addr);

	bh_ctl_limiter_fail(c->a->login_limit, ukey, now);
	bh_ctl_limiter_fail(c->a->login_limit, akey, now);
	atomic_fetch_add(&c->a->login_failed, 1);
	if (bh_ctl_audit_add(c->a->store, name, "login.failed", name, NULL, after, &err) < 0)
		bh_error_warn(&err, "audit of a failed login");
	json_decref(after);
}

static void on_login(struct bh_ctl_call *c)
{
	struct bh_ctl_body b;
	struct bh_error *err = NULL;
	char token[BH_CTL_TOKEN_LEN + 1], addr[64], ukey[BH_CTL_LIMIT_KEY_MAX + 1],
		akey[BH_CTL_LIMIT_KEY_MAX + 1], msg[128];
	int64_t now = (int64_t)time(NULL);
	struct bh_ctl_principal who;
	unsigned wu, wa;

	if (!bh_ctl_call_body(c, BH_CTL_BODY_LOGIN, &b))
		return;
	peer_addr(c->req, addr, sizeof(addr));
	snprintf(ukey, sizeof(ukey), "user:%s", b.name);
	snprintf(akey, sizeof(akey), "addr:%s", addr);
	wu = bh_ctl_limiter_wait(c->a->login_limit, ukey, now);
	wa = bh_ctl_limiter_wait(c->a->login_limit, akey, now);
	if (wu || wa) {
		/* the password is not even checked: no argon2 spent on a storm */
		sodium_memzero(b.password, sizeof(b.password));
		atomic_fetch_add(&c->a->login_throttled, 1);
		snprintf(msg, sizeof(msg), "too many failed logins for this %s: try again in %u s",
			 wu ? "user" : "address", wu > wa ? wu : wa);
		bh_ctl_reply_error(c, 429, msg);
		c->resp->retry_after = wu > wa ? wu : wa;
		return;
	}
	if (bh_ctl_login(c->a->store, b.name, b.password, c->a->login_ttl, token, &err) < 0) {
		sodium_memzero(b.password, sizeof(b.password));
		if (bh_error_code(err) == BH_ERR_UNSAFE)
			login_failed(c, b.name, ukey, akey, addr, now);
		bh_ctl_reply_fail(c, err);
		return;
	}
	sodium_memzero(b.password, sizeof(b.password));
	bh_ctl_limiter_clear(c->a->login_limit, ukey);
	/* the role, for the dashboard to offer only what the user may do (the
	 * API decides anyway); the token just made says it */
	if (bh_ctl_authenticate(c->a->store, token, strlen(token), &who, &err) < 0) {
		sodium_memzero(token, sizeof(token));
		bh_ctl_reply_fail(c, err);
		return;
	}
	bh_ctl_reply_json(c, 200,
			  json_pack("{sssssIss}", "token", token, "user", b.name, "expires_in",
				    (json_int_t)c->a->login_ttl, "role",
				    bh_ctl_role_name(who.role)));
	sodium_memzero(token, sizeof(token));
}

static void on_users_get(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	json_t *v;

	if (bh_ctl_user_list(c->a->store, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{so}", "users", v));
}

static void on_users_post(struct bh_ctl_call *c)
{
	struct bh_ctl_body b;
	struct bh_error *err = NULL;
	int rc;

	if (!bh_ctl_call_body(c, BH_CTL_BODY_USER, &b))
		return;
	rc = bh_ctl_user_add(c->a->store, bh_ctl_call_actor(c), b.name, (enum bh_ctl_role)b.role,
			     b.password, &err);
	sodium_memzero(b.password, sizeof(b.password));
	if (rc < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 201,
			  json_pack("{ssss}", "name", b.name, "role",
				    bh_ctl_role_name((enum bh_ctl_role)b.role)));
}

static void on_users_delete(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	char name[BH_CTL_NAME_MAX + 1];
	int rc = bh_ctl_call_query(c, "name", name, sizeof(name));

	if (rc < 0)
		return;
	if (rc == 0)
		return bh_ctl_reply_error(c, 400, "expected ?name=USER");
	if (!strcmp(name, c->who->name))
		return bh_ctl_reply_error(c, 409, "an admin cannot delete itself");
	if (bh_ctl_user_delete(c->a->store, bh_ctl_call_actor(c), name, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{sssb}", "name", name, "deleted", 1));
}

static void on_tokens_post(struct bh_ctl_call *c)
{
	struct bh_ctl_body b;
	struct bh_error *err = NULL;
	char token[BH_CTL_TOKEN_LEN + 1], id[BH_CTL_TOKEN_ID_LEN + 1];
	const char *name;

	if (!bh_ctl_call_body(c, BH_CTL_BODY_TOKEN, &b))
		return;
	if (c->who->node)
		return bh_ctl_reply_error(c, 403, "a node cannot create tokens");
	name = b.name[0] ? b.name : c->who->name;
	if ((b.node || strcmp(name, c->who->name)) && c->who->role < BH_CTL_ADMIN)
		return bh_ctl_reply_error(c, 403,
					  "only an admin creates tokens for others or for nodes");
	if (bh_ctl_token_create(c->a->store, bh_ctl_call_actor(c), name, b.node,
				b.ttl ? b.ttl : 30 * 86400, token, id, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(
		c, 201,
		json_pack("{ssssss}", "token", token, "id", id, b.node ? "node" : "user", name));
	sodium_memzero(token, sizeof(token));
}

static void on_tokens_delete(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	char id[BH_CTL_TOKEN_ID_LEN + 2];
	int rc = bh_ctl_call_query(c, "id", id, sizeof(id));

	if (rc < 0)
		return;
	if (rc == 0) /* the token of this request: a logout (a node's too) */
		memcpy(id, c->who->token_id, sizeof(c->who->token_id));
	if (bh_ctl_token_revoke(c->a->store, bh_ctl_call_actor(c), id,
				c->who->role >= BH_CTL_ADMIN || rc == 0 ? NULL : c->who->name,
				&err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{sssb}", "id", id, "revoked", 1));
}

static void on_audit(struct bh_ctl_call *c)
{
	struct bh_ctl_audit_filter f = { 0 };
	struct bh_error *err = NULL;
	char who[BH_CTL_NAME_MAX + 1];
	json_t *v;
	int rc;

	if ((rc = bh_ctl_call_query(c, "actor", who, sizeof(who))) < 0)
		return;
	if (rc)
		f.actor = who;
	if (bh_ctl_call_page(c, BH_CTL_AUDIT_PAGE_MAX, &f.since, &f.until, &f.after_id, &f.limit) <
	    0)
		return;
	if (bh_ctl_audit_list(c->a->store, &f, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, v);
}

/* ---- the table --------------------------------------------------------------------------- */

static const struct bh_ctl_endpoint endpoints[] = {
	{ "POST", "/api/v1/login", on_login, BH_CTL_AUTH_NONE,
	  "Log in with a user name and password: a new token (429 with Retry-After after "
	  "too many failures for the user or the address)",
	  "Login", NULL, 200 },
	{ "GET", "/api/v1/users", on_users_get, BH_CTL_ADMIN, "List the users", NULL, NULL, 200 },
	{ "POST", "/api/v1/users", on_users_post, BH_CTL_ADMIN, "Add a user", "User", NULL, 201 },
	{ "DELETE", "/api/v1/users", on_users_delete, BH_CTL_ADMIN,
	  "Delete a user and revoke its tokens", NULL, "name", 200 },
	{ "POST", "/api/v1/tokens", on_tokens_post, BH_CTL_READER,
	  "Create an API token (an admin: for any user or a node), shown once", "Token", NULL,
	  201 },
	{ "DELETE", "/api/v1/tokens", on_tokens_delete, BH_CTL_AUTH_ANY,
	  "Revoke a token (without id: the one of this request)", NULL, "id", 200 },
	{ "GET", "/api/v1/audit", on_audit, BH_CTL_ADMIN,
	  "The audit log, oldest first, paged (next: pass as after)", NULL,
	  "actor since until after limit", 200 },
};

static void schemas(json_t *components)
{
	json_t *name = json_pack("{sssisiss}", "type", "string", "minLength", 1, "maxLength",
				 BH_CTL_NAME_MAX, "pattern", "^[A-Za-z0-9_@][A-Za-z0-9._@-]*$");
	json_t *pw = json_pack("{sssisi}", "type", "string", "minLength", BH_CTL_PASSWORD_MIN,
			       "maxLength", BH_CTL_PASSWORD_MAX);
	json_t *role =
		json_pack("{ss s[sss]}", "type", "string", "enum", "admin", "operator", "reader");
	json_t *v = json_pack("{s{sss{sOsO}s[ss]sb}s{sss{sOsOsO}s[sss]sb}s{sss{sOsOs{sssisi}}sb}}",
			      "Login", "type", "object", "properties", "user", name, "password", pw,
			      "required", "user", "password", "additionalProperties", 0, "User",
			      "type", "object", "properties", "name", name, "role", role,
			      "password", pw, "required", "name", "role", "password",
			      "additionalProperties", 0, "Token", "type", "object", "properties",
			      "user", name, "node", name, "ttl", "type", "integer", "minimum", 1,
			      "maximum", BH_CTL_TOKEN_TTL_MAX, "additionalProperties", 0);

	json_object_update(components, v);
	json_decref(v);
	json_decref(name);
	json_decref(pw);
	json_decref(role);
}

const struct bh_ctl_endpoints bh_ctl_api_auth = { endpoints,
						  sizeof(endpoints) / sizeof(endpoints[0]),
						  schemas };
