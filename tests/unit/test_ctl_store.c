/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial postgres (ctl_env.h's own PostgreSQL, unix socket in its temp dir) */
/*
 * The controller's store (include/bulkhead/ctl.h), every store test run on
 * both back-ends: SQLite in a temporary file, and PostgreSQL 15 that this
 * test starts itself (initdb + pg_ctl in a temporary directory, a unix
 * socket only, as the user nobody: postgres refuses root). Without
 * PostgreSQL's server binaries its cases SKIP naming them. Also the request
 * body and query parsers with hostile input.
 */
#include <pthread.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/ctl.h"
#include "ctl_env.h"
#include "banned.h"

/* ---- migrations -------------------------------------------------------------------------- */

static void migrations_once_and_refuse_newer(void **state)
{
	struct env *e = *state;
	struct bh_ctl_store *s = fresh(e), *s2 = NULL;
	struct bh_error *err = NULL;
	int64_t v;
	char *db = !strcmp(e->backend, "sqlite") ? bh_asprintf("%s/store-%d.sqlite", e->dir, e->seq)
						 : bh_strdup(e->url);

	if (!strcmp(e->backend, "sqlite")) {
		struct stat st;

		/* hashes of passwords and tokens: the owner's only */
		assert_int_equal(stat(db, &st), 0);
		assert_int_equal(st.st_mode & 077, 0);
	}
	assert_int_equal(bh_ctl_store_version(s, &v, &err), 0);
	assert_int_equal(v, bh_ctl_store_schema_latest());
	assert_true(v >= 1);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM schema_version"), 1);
	/* a second open migrates nothing and keeps the data */
	assert_int_equal(bh_ctl_user_add(s, "cli", "alice", BH_CTL_ADMIN, "password-1", &err), 0);
	assert_int_equal(bh_ctl_store_open(db, &s2, &err), 0);
	assert_int_equal(count(s2, "SELECT COUNT(*) FROM users"), 1);
	assert_int_equal(count(s2, "SELECT COUNT(*) FROM schema_version"), 1);
	bh_ctl_store_free(s2);
	s2 = NULL;
	/* a database from a newer bulkhead is refused, not touched */
	assert_int_equal(bh_ctl_store_query(s, "UPDATE schema_version SET version = 99", NULL, 0,
					    NULL, NULL, NULL, &err),
			 0);
	assert_true(bh_ctl_store_open(db, &s2, &err) < 0);
	assert_null(s2);
	assert_error(err, BH_ERR_UNSUPPORTED, "schema version 99");
	bh_error_free(err);
	assert_int_equal(count(s, "SELECT version FROM schema_version"), 99);
	bh_ctl_store_free(s);
	free(db);
}

/* ---- queries are parameterised ----------------------------------------------------------- */

struct texts {
	char a[128], b[128];
};

static int text_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct texts *t = ctx;

	(void)err;
	assert_int_equal(n, 2);
	snprintf(t->a, sizeof(t->a), "%s", c[0].s);
	snprintf(t->b, sizeof(t->b), "%s", c[1].null ? "(null)" : c[1].s);
	return 0;
}

static void values_are_bound_never_spliced(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	static const char evil[] = "x'); DROP TABLE users; -- ?";
	struct bh_ctl_val p[] = { BH_CTL_S(evil) };
	struct bh_ctl_val pn[] = { BH_CTL_S(NULL) };
	struct texts t;

	/* a ? inside a literal is no placeholder, on either back-end */
	assert_int_equal(bh_ctl_store_query(s, "SELECT 'a?b', ?", p, 1, text_row, &t, NULL, &err),
			 0);
	assert_string_equal(t.a, "a?b");
	assert_string_equal(t.b, evil);
	assert_int_equal(bh_ctl_store_query(s, "SELECT 'n', ?", pn, 1, text_row, &t, NULL, &err),
			 0);
	assert_string_equal(t.b, "(null)");
	assert_int_equal(count(s, "SELECT COUNT(*) FROM users"), 0); /* still there */
	/* a wrong number of values is an error, not a crash */
	assert_true(bh_ctl_store_query(s, "SELECT ?, ?", p, 1, NULL, NULL, NULL, &err) < 0);
	bh_error_free(err);
	bh_ctl_store_free(s);
}

static int tx_fails(void *ctx, struct bh_error **err)
{
	struct bh_ctl_store *s = ctx;

	if (bh_ctl_audit_add(s, "t", "test", "x", NULL, NULL, err) < 0)
		return -1;
	return bh_error_set(err, BH_ERR_INVALID, "on purpose");
}

static void a_failed_transaction_leaves_nothing(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;

	assert_true(bh_ctl_store_tx(s, tx_fails, s, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "on purpose");
	bh_error_free(err);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit"), 0);
	bh_ctl_store_free(s);
}

/* ---- users and audit --------------------------------------------------------------------- */

static json_t *audit_all(struct bh_ctl_store *s, const char *actor)
{
	struct bh_ctl_audit_filter f = { .actor = actor, .limit = 1000 };
	struct bh_error *err = NULL;
	json_t *v = NULL;

	assert_int_equal(bh_ctl_audit_list(s, &f, &v, &err), 0);
	return v;
}

static void users_change_with_audit_before_after(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	json_t *list, *a, *row;

	assert_int_equal(bh_ctl_user_add(s, "cli", "alice", BH_CTL_ADMIN, "password-1", &err), 0);
	assert_int_equal(bh_ctl_user_add(s, "alice", "bob", BH_CTL_READER, "password-2", &err), 0);
	/* the same name twice */
	assert_true(bh_ctl_user_add(s, "alice", "bob", BH_CTL_ADMIN, "password-3", &err) < 0);
	assert_error(err, BH_ERR_USAGE, "exists");
	bh_error_free(err);
	err = NULL;
	/* names and passwords out of bounds */
	assert_true(bh_ctl_user_add(s, "cli", "a'b", BH_CTL_ADMIN, "password-1", &err) < 0);
	assert_error(err, BH_ERR_INVALID, "user name");
	bh_error_free(err);
	err = NULL;
	assert_true(bh_ctl_user_add(s, "cli", "carol", BH_CTL_ADMIN, "short", &err) < 0);
	assert_error(err, BH_ERR_INVALID, "password");
	bh_error_free(err);
	err = NULL;

	assert_int_equal(bh_ctl_user_list(s, &list, &err), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(bh_json_str(json_array_get(list, 1), "name"), "bob");
	assert_string_equal(bh_json_str(json_array_get(list, 1), "role"), "reader");
	assert_null(json_object_get(json_array_get(list, 1), "pwhash"));
	json_decref(list);

	assert_int_equal(bh_ctl_user_delete(s, "alice", "bob", &err), 0);
	assert_true(bh_ctl_user_delete(s, "alice", "bob", &err) < 0);
	assert_error(err, BH_ERR_NOTFOUND, "bob");
	bh_error_free(err);

	a = audit_all(s, NULL);
	assert_int_equal(json_array_size(bh_json_arr(a, "items")), 3);
	row = json_array_get(bh_json_arr(a, "items"), 1);
	assert_string_equal(bh_json_str(row, "actor"), "alice");
	assert_string_equal(bh_json_str(row, "action"), "user.add");
	assert_true(json_is_null(json_object_get(row, "before")));
	assert_string_equal(bh_json_str(bh_json_obj(row, "after"), "role"), "reader");
	row = json_array_get(bh_json_arr(a, "items"), 2);
	assert_string_equal(bh_json_str(row, "action"), "user.delete");
	assert_string_equal(bh_json_str(bh_json_obj(row, "before"), "name"), "bob");
	assert_true(json_is_null(json_object_get(row, "after")));
	/* the hash never reaches the audit log */
	{
		char *dump = json_dumps(a, 0);

		assert_null(strstr(dump, "argon2"));
		free(dump);
	}
	json_decref(a);
	bh_ctl_store_free(s);
}

static void audit_pages_and_filters(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	struct bh_ctl_audit_filter f = { .limit = 2 };
	json_t *page;
	int64_t seen = 0;
	int pages = 0;

	for (int i = 0; i < 5; i++) {
		json_t *after = json_pack("{si}", "i", i);

		assert_int_equal(
			bh_ctl_audit_add(s, i % 2 ? "odd" : "even", "test", "x", NULL, after, &err),
			0);
		json_decref(after);
	}
	do {
		json_t *next;

		assert_int_equal(bh_ctl_audit_list(s, &f, &page, &err), 0);
		seen += (int64_t)json_array_size(bh_json_arr(page, "items"));
		next = json_object_get(page, "next");
		f.after_id = json_is_integer(next) ? json_integer_value(next) : 0;
		pages++;
		json_decref(page);
	} while (f.after_id && pages < 10);
	assert_int_equal(seen, 5);
	assert_int_equal(pages, 3);

	page = audit_all(s, "odd");
	assert_int_equal(json_array_size(bh_json_arr(page, "items")), 2);
	json_decref(page);
	f = (struct bh_ctl_audit_filter){ .since = (int64_t)time(NULL) + 3600 };
	assert_int_equal(bh_ctl_audit_list(s, &f, &page, &err), 0);
	assert_int_equal(json_array_size(bh_json_arr(page, "items")), 0);
	json_decref(page);
	f = (struct bh_ctl_audit_filter){ .until = (int64_t)time(NULL) + 3600, .actor = "even" };
	assert_int_equal(bh_ctl_audit_list(s, &f, &page, &err), 0);
	assert_int_equal(json_array_size(bh_json_arr(page, "items")), 3);
	json_decref(page);
	f = (struct bh_ctl_audit_filter){ .limit = BH_CTL_AUDIT_PAGE_MAX + 1 };
	assert_true(bh_ctl_audit_list(s, &f, &page, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "limit");
	bh_error_free(err);
	bh_ctl_store_free(s);
}

/* ---- login and tokens -------------------------------------------------------------------- */

static void login_tokens_revocation_expiry(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL, *err2 = NULL;
	struct bh_ctl_principal who;
	char tok[BH_CTL_TOKEN_LEN + 1], tok2[BH_CTL_TOKEN_LEN + 1], id[BH_CTL_TOKEN_ID_LEN + 1];
	char *m1, *m2;
	struct bh_ctl_val p[1];

	assert_int_equal(bh_ctl_user_add(s, "cli", "alice", BH_CTL_OPERATOR, "password-1", &err),
			 0);
	/* a wrong password and an unknown user: one message */
	assert_true(bh_ctl_login(s, "alice", "password-2", 60, tok, &err) < 0);
	assert_true(bh_ctl_login(s, "mallory", "password-1", 60, tok, &err2) < 0);
	assert_int_equal(bh_error_code(err), BH_ERR_UNSAFE);
	m1 = bh_error_message(err);
	m2 = bh_error_message(err2);
	assert_string_equal(m1, m2);
	free(m1);
	free(m2);
	bh_error_free(err);
	bh_error_free(err2);
	err = NULL;

	assert_int_equal(bh_ctl_login(s, "alice", "password-1", 60, tok, &err), 0);
	assert_int_equal(strlen(tok), BH_CTL_TOKEN_LEN);
	assert_int_equal(bh_ctl_authenticate(s, tok, strlen(tok), &who, &err), 0);
	assert_string_equal(who.name, "alice");
	assert_int_equal(who.role, BH_CTL_OPERATOR);
	assert_false(who.node);
	/* only the hash is stored */
	{
		struct bh_ctl_val q[] = { BH_CTL_S(tok + 21) };
		int64_t n = -1;

		assert_int_equal(bh_ctl_store_query(s, "SELECT COUNT(*) FROM tokens WHERE hash = ?",
						    q, 1, env_count_row, &n, NULL, &err),
				 0);
		assert_int_equal(n, 0);
	}

	/* one bit of the secret changed, the id kept; a truncated one; garbage */
	memcpy(tok2, tok, sizeof(tok2));
	tok2[BH_CTL_TOKEN_LEN - 1] = tok2[BH_CTL_TOKEN_LEN - 1] == '0' ? '1' : '0';
	assert_true(bh_ctl_authenticate(s, tok2, strlen(tok2), &who, &err) < 0);
	assert_error(err, BH_ERR_UNSAFE, "unknown token");
	bh_error_free(err);
	err = NULL;
	assert_true(bh_ctl_authenticate(s, tok, strlen(tok) - 1, &who, &err) < 0);
	assert_error(err, BH_ERR_UNSAFE, "malformed");
	bh_error_free(err);
	err = NULL;
	assert_true(bh_ctl_authenticate(s, "bht_' OR 1=1 --", 15, &who, &err) < 0);
	bh_error_free(err);
	err = NULL;

	/* a node token, revoked */
	assert_int_equal(bh_ctl_token_create(s, "alice", "node-1", true, 3600, tok2, id, &err), 0);
	assert_int_equal(bh_ctl_authenticate(s, tok2, strlen(tok2), &who, &err), 0);
	assert_true(who.node);
	assert_string_equal(who.name, "node-1");
	/* a user may not revoke another's (a node's) token */
	assert_true(bh_ctl_token_revoke(s, "alice", id, "alice", &err) < 0);
	assert_error(err, BH_ERR_NOTFOUND, id);
	bh_error_free(err);
	err = NULL;
	assert_int_equal(bh_ctl_token_revoke(s, "admin", id, NULL, &err), 0);
	assert_true(bh_ctl_authenticate(s, tok2, strlen(tok2), &who, &err) < 0);
	assert_error(err, BH_ERR_UNSAFE, "revoked");
	bh_error_free(err);
	err = NULL;

	/* expiry: moved into the past */
	memcpy(id, tok + 4, 16);
	id[16] = 0;
	p[0] = BH_CTL_S(id);
	assert_int_equal(bh_ctl_store_query(s, "UPDATE tokens SET expires = 1 WHERE id = ?", p, 1,
					    NULL, NULL, NULL, &err),
			 0);
	assert_true(bh_ctl_authenticate(s, tok, strlen(tok), &who, &err) < 0);
	assert_error(err, BH_ERR_UNSAFE, "expired");
	bh_error_free(err);
	err = NULL;

	/* a deleted user's tokens stop working */
	assert_int_equal(bh_ctl_token_create(s, "alice", "alice", false, 3600, tok, NULL, &err), 0);
	assert_int_equal(bh_ctl_authenticate(s, tok, strlen(tok), &who, &err), 0);
	assert_int_equal(bh_ctl_user_delete(s, "cli", "alice", &err), 0);
	assert_true(bh_ctl_authenticate(s, tok, strlen(tok), &who, &err) < 0);
	bh_error_free(err);
	err = NULL;
	/* login, token.create, token.revoke are audited */
	{
		json_t *a = audit_all(s, NULL);
		char *dump = json_dumps(a, 0);

		assert_non_null(strstr(dump, "\"login\""));
		assert_non_null(strstr(dump, "\"token.create\""));
		assert_non_null(strstr(dump, "\"token.revoke\""));
		assert_null(strstr(dump, tok + 21)); /* no secret in the log */
		free(dump);
		json_decref(a);
	}
	bh_ctl_store_free(s);
}

/* ---- parsers (no store) ------------------------------------------------------------------ */

static void body_parser_refuses_hostile_input(void **state)
{
	struct bh_ctl_body b;
	struct bh_error *err = NULL;
	static const struct {
		const char *json;
		int kind;
		const char *needle;
	} bad[] = {
		{ "", BH_CTL_BODY_LOGIN, "invalid JSON" },
		{ "[]", BH_CTL_BODY_LOGIN, "expected a JSON object" },
		{ "{\"user\":\"a\",\"password\":\"12345678\",\"x\":1}", BH_CTL_BODY_LOGIN,
		  "unknown member" },
		{ "{\"user\":1,\"password\":\"12345678\"}", BH_CTL_BODY_LOGIN, "must be a string" },
		{ "{\"user\":\"a\",\"user\":\"b\",\"password\":\"12345678\"}", BH_CTL_BODY_LOGIN,
		  "duplicate" },
		{ "{\"user\":\"a\\u0000b\",\"password\":\"12345678\"}", BH_CTL_BODY_LOGIN, "NUL" },
		{ "{\"user\":\"../etc\",\"password\":\"12345678\"}", BH_CTL_BODY_LOGIN,
		  "\"user\"" },
		{ "{\"password\":\"12345678\"}", BH_CTL_BODY_LOGIN, "\"user\" is missing" },
		{ "{\"name\":\"a\",\"password\":\"12345678\",\"role\":\"root\"}", BH_CTL_BODY_USER,
		  "\"role\"" },
		{ "{\"name\":\"a\",\"password\":\"12345678\"}", BH_CTL_BODY_USER,
		  "\"role\" is missing" },
		{ "{\"user\":\"a\",\"node\":\"b\"}", BH_CTL_BODY_TOKEN, "one of" },
		{ "{\"ttl\":0}", BH_CTL_BODY_TOKEN, "\"ttl\"" },
		{ "{\"ttl\":99999999999}", BH_CTL_BODY_TOKEN, "\"ttl\"" },
		{ "{\"ttl\":1.5}", BH_CTL_BODY_TOKEN, "must be an integer" },
		{ "{\"password\":\"12345678\"}", BH_CTL_BODY_TOKEN, "unknown member" },
	};
	struct bh_buf big = BH_BUF_INIT(1u << 22);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bh_ctl_body_parse(bad[i].json, strlen(bad[i].json), bad[i].kind, &b, &err) >= 0)
			fail_msg("accepted %s", bad[i].json);
		assert_error(err, BH_ERR_INVALID, bad[i].needle);
		assert_int_equal(b.password[0], 0);
		bh_error_free(err);
		err = NULL;
	}
	/* a long name, a long password, a deep nest, a huge body */
	assert_int_equal(bh_buf_adds(&big, "{\"user\":\"", NULL), 0);
	for (int i = 0; i < BH_CTL_NAME_MAX + 1; i++)
		bh_buf_addc(&big, 'a', NULL);
	bh_buf_adds(&big, "\",\"password\":\"12345678\"}", NULL);
	assert_true(bh_ctl_body_parse(big.data, big.len, BH_CTL_BODY_LOGIN, &b, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "longer than 64");
	bh_error_free(err);
	err = NULL;
	bh_buf_reset(&big);
	bh_buf_adds(&big, "{\"user\":\"a\",\"password\":\"", NULL);
	for (int i = 0; i < BH_CTL_PASSWORD_MAX + 1; i++)
		bh_buf_addc(&big, 'p', NULL);
	bh_buf_adds(&big, "\"}", NULL);
	assert_true(bh_ctl_body_parse(big.data, big.len, BH_CTL_BODY_LOGIN, &b, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "\"password\"");
	bh_error_free(err);
	err = NULL;
	bh_buf_reset(&big);
	for (int i = 0; i < 20000; i++)
		bh_buf_addc(&big, '[', NULL);
	assert_true(bh_ctl_body_parse(big.data, big.len, BH_CTL_BODY_LOGIN, &b, &err) < 0);
	bh_error_free(err);
	err = NULL;
	bh_buf_reset(&big);
	for (size_t i = 0; i < BH_CTL_BODY_MAX + 1; i++)
		bh_buf_addc(&big, ' ', NULL);
	assert_true(bh_ctl_body_parse(big.data, big.len, BH_CTL_BODY_LOGIN, &b, &err) < 0);
	assert_error(err, BH_ERR_LIMIT, "limit");
	bh_error_free(err);
	err = NULL;
	bh_buf_release(&big);

	/* and what is right */
	static const char ok[] = "{\"name\":\"bob@example.org\",\"role\":\"operator\","
				 "\"password\":\"correct horse\"}";
	assert_int_equal(bh_ctl_body_parse(ok, strlen(ok), BH_CTL_BODY_USER, &b, &err), 0);
	assert_string_equal(b.name, "bob@example.org");
	assert_int_equal(b.role, BH_CTL_OPERATOR);
	assert_string_equal(b.password, "correct horse");
	static const char tk[] = "{\"node\":\"n1\",\"ttl\":60}";
	assert_int_equal(bh_ctl_body_parse(tk, strlen(tk), BH_CTL_BODY_TOKEN, &b, &err), 0);
	assert_true(b.node);
	assert_int_equal(b.ttl, 60);
}

static void query_parser(void **state)
{
	char v[8];
	struct bh_error *err = NULL;
	static const char q[] = "a=1&name=x%20y+z&b&c=%41";

	(void)state;
	assert_int_equal(bh_ctl_query_get(q, strlen(q), "name", v, sizeof(v), &err), 1);
	assert_string_equal(v, "x y z");
	assert_int_equal(bh_ctl_query_get(q, strlen(q), "c", v, sizeof(v), &err), 1);
	assert_string_equal(v, "A");
	assert_int_equal(bh_ctl_query_get(q, strlen(q), "b", v, sizeof(v), &err), 1);
	assert_string_equal(v, "");
	assert_int_equal(bh_ctl_query_get(q, strlen(q), "nam", v, sizeof(v), &err), 0);
	assert_int_equal(bh_ctl_query_get(NULL, 0, "a", v, sizeof(v), &err), 0);
	/* hostile: a cut escape, a NUL, too long, twice */
	assert_true(bh_ctl_query_get("a=%4", 4, "a", v, sizeof(v), &err) < 0);
	assert_error(err, BH_ERR_INVALID, "escape");
	bh_error_free(err);
	err = NULL;
	assert_true(bh_ctl_query_get("a=%00", 5, "a", v, sizeof(v), &err) < 0);
	assert_error(err, BH_ERR_INVALID, "NUL");
	bh_error_free(err);
	err = NULL;
	assert_true(bh_ctl_query_get("a=12345678", 10, "a", v, sizeof(v), &err) < 0);
	assert_error(err, BH_ERR_INVALID, "longer");
	bh_error_free(err);
	err = NULL;
	assert_true(bh_ctl_query_get("a=1&a=2", 7, "a", v, sizeof(v), &err) < 0);
	assert_error(err, BH_ERR_INVALID, "twice");
	bh_error_free(err);
}

static void openapi_lists_every_route(void **state)
{
	struct bh_ctl_store *s = fresh(&lite);
	struct bh_ctl_api *a = NULL;
	struct bh_ctl_api_opts o = { .store = s };
	struct bh_error *err = NULL;
	const struct bh_http_route *r;
	json_t *doc = bh_ctl_api_openapi(), *paths = bh_json_obj(doc, "paths"), *item;
	size_t n, ops = 0;
	const char *path;

	(void)state;
	assert_int_equal(bh_ctl_api_new(&o, &a, &err), 0);
	r = bh_ctl_api_routes(a, &n);
	assert_string_equal(bh_json_str(doc, "openapi"), "3.0.3");
	for (size_t i = 0; i < n; i++) {
		char m[8];
		size_t k;

		for (k = 0; r[i].method[k]; k++)
			m[k] = (char)bh_tolower(r[i].method[k]);
		m[k] = 0;
		if (!bh_json_obj(bh_json_obj(paths, r[i].path), m))
			fail_msg("%s %s is served but not in the document", r[i].method, r[i].path);
	}
	json_object_foreach (paths, path, item)
		ops += json_object_size(item);
	assert_int_equal(ops, n + 3); /* + the layer's GET /healthz, /readyz, /metrics */
	json_decref(doc);
	bh_ctl_api_free(a);
	bh_ctl_store_free(s);
}

/* ---- ops17: a broken connection is made anew ----------------------------------------------- */

/* ingest17: a read outside a transaction does not wait for the writer's
 * transaction (SQLite: a reader connection; PostgreSQL: another of the
 * pool) and does not see what it has not committed. */
struct held {
	struct bh_ctl_store *s;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool inside, go;
};

static int held_fn(void *ctx, struct bh_error **err)
{
	struct held *h = ctx;
	struct timespec until;

	if (bh_ctl_store_query(h->s,
			       "INSERT INTO nodes (name, registered, last_seen) VALUES"
			       " ('held', 1, 1)",
			       NULL, 0, NULL, NULL, NULL, err) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10; /* the reader blocked: commit anyway, the test fails */
	pthread_mutex_lock(&h->mu);
	h->inside = true;
	pthread_cond_broadcast(&h->cv);
	while (!h->go && pthread_cond_timedwait(&h->cv, &h->mu, &until) == 0)
		;
	pthread_mutex_unlock(&h->mu);
	return 0;
}

static void *held_thread(void *p)
{
	struct held *h = p;
	struct bh_error *err = NULL;

	if (bh_ctl_store_tx_group(h->s, held_fn, h, &err) < 0)
		bh_error_free(err);
	return NULL;
}

static void a_read_does_not_wait_for_the_writer(void **state)
{
	struct env *e = *state;
	struct bh_ctl_store *s = fresh(e);
	struct held h = { s, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false };
	struct bh_ctl_store_timing t;
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, held_thread, &h), 0);
	pthread_mutex_lock(&h.mu);
	while (!h.inside)
		pthread_cond_wait(&h.cv, &h.mu);
	pthread_mutex_unlock(&h.mu);
	/* the writer holds its transaction: the read is answered, without its row */
	assert_int_equal(count(s, "SELECT COUNT(*) FROM nodes WHERE name = 'held'"), 0);
	pthread_mutex_lock(&h.mu);
	h.go = true;
	pthread_cond_broadcast(&h.cv);
	pthread_mutex_unlock(&h.mu);
	pthread_join(th, NULL);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM nodes WHERE name = 'held'"), 1);
	bh_ctl_store_timing(s, &t);
	if (!strcmp(e->backend, "sqlite")) {
		assert_true(t.groups >= 1 && t.grouped >= 1);
		assert_true(t.reads >= 2);
	} else {
		assert_int_equal(t.reads, 0); /* no readers: the pool */
	}
	bh_ctl_store_free(s);
}

static void restart_reconnects_once(void **state)
{
	struct env *e = *state;
	struct bh_ctl_store *s = fresh(e);
	struct bh_error *err = NULL;
	char cmd[1024], token[BH_CTL_TOKEN_LEN + 1];

	assert_int_equal(bh_ctl_user_add(s, "cli", "alice", BH_CTL_ADMIN, "password-1", &err), 0);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM users"), 1);
	if (!strcmp(e->backend, "sqlite")) {
		assert_int_equal(bh_ctl_store_reconnects(s), 0);
		bh_ctl_store_free(s);
		return;
	}
	/* the server restarts under the open store: its session is gone */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && runuser -u nobody -- " PG_BIN "/pg_ctl -D %s/data -m fast -w -t 60"
		 " restart >/dev/null 2>&1",
		 pg.dir, pg.dir);
	assert_int_equal(run(cmd), 0);
	/* a statement outside a transaction: reconnected once, run again */
	assert_int_equal(count(s, "SELECT COUNT(*) FROM users"), 1);
	assert_int_equal(bh_ctl_store_reconnects(s), 1);
	assert_int_equal(run(cmd), 0);
	/* a transaction (a login's token and audit row) begins on a new connection */
	assert_int_equal(bh_ctl_user_add(s, "cli", "bob", BH_CTL_READER, "password-2", &err), 0);
	assert_int_equal(bh_ctl_store_reconnects(s), 2);
	assert_int_equal(bh_ctl_login(s, "bob", "password-2", 60, token, &err), 0);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM users"), 2);
	/* the server gone for good: an error naming it, no loop */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && runuser -u nobody -- " PG_BIN "/pg_ctl -D %s/data -m fast -w stop"
		 " >/dev/null 2>&1",
		 pg.dir, pg.dir);
	assert_int_equal(run(cmd), 0);
	assert_true(bh_ctl_store_query(s, "SELECT 1", NULL, 0, NULL, NULL, NULL, &err) < 0);
	assert_error(err, BH_ERR_IO, "postgresql");
	bh_error_free(err);
	err = NULL;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && runuser -u nobody -- " PG_BIN "/pg_ctl -D %s/data -l %s/pg.log -w -t 60"
		 " -o \"-k %s -c listen_addresses='' -F\" start >/dev/null 2>&1",
		 pg.dir, pg.dir, pg.dir, pg.dir);
	assert_int_equal(run(cmd), 0);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM users"), 2);
	bh_ctl_store_free(s);
}

/* ---- ops17: the login limiter ---------------------------------------------------------------- */

static void limiter_counts_waits_and_forgets(void **state)
{
	struct bh_ctl_limiter *l = bh_ctl_limiter_new(64, 5, 60);
	char key[BH_CTL_LIMIT_KEY_MAX + 40];

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(bh_ctl_limiter_wait(l, "user:alice", 1000 + i), 0);
		bh_ctl_limiter_fail(l, "user:alice", 1000 + i);
	}
	assert_int_equal(bh_ctl_limiter_wait(l, "user:alice", 1004), 0);
	bh_ctl_limiter_fail(l, "user:alice", 1004);
	/* the fifth failure: wait until the window that began at 1000 ends */
	assert_int_equal(bh_ctl_limiter_wait(l, "user:alice", 1004), 56);
	assert_int_equal(bh_ctl_limiter_wait(l, "user:alice", 1059), 1);
	assert_int_equal(bh_ctl_limiter_wait(l, "user:alice", 1060), 0);
	/* another key is not held back; a prefix of the key is another key */
	assert_int_equal(bh_ctl_limiter_wait(l, "user:alic", 1004), 0);
	assert_int_equal(bh_ctl_limiter_wait(l, "addr:127.0.0.1", 1004), 0);
	/* a new window after the old one ended */
	for (int i = 0; i < 5; i++)
		bh_ctl_limiter_fail(l, "user:alice", 2000);
	assert_int_equal(bh_ctl_limiter_wait(l, "user:alice", 2000), 60);
	bh_ctl_limiter_clear(l, "user:alice");
	assert_int_equal(bh_ctl_limiter_wait(l, "user:alice", 2000), 0);
	/* a key over the maximum is cut, not overflowed */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = 0;
	for (int i = 0; i < 5; i++)
		bh_ctl_limiter_fail(l, key, 3000);
	assert_true(bh_ctl_limiter_wait(l, key, 3000) > 0);
	bh_ctl_limiter_free(l);
}

static void limiter_is_bounded(void **state)
{
	struct bh_ctl_limiter *l = bh_ctl_limiter_new(64, 3, 100000);
	char key[32];
	unsigned held = 0;

	(void)state;
	/* 10000 addresses, 3 failures each, one second apart: the table holds at
	 * most 64 (rounded to its sets) and the newest are the ones held */
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "addr:10.0.%d.%d", i / 256, i % 256);
		for (int k = 0; k < 3; k++)
			bh_ctl_limiter_fail(l, key, 10000 + i);
	}
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "addr:10.0.%d.%d", i / 256, i % 256);
		held += bh_ctl_limiter_wait(l, key, 20000) > 0;
	}
	assert_true(held > 0 && held <= 64);
	/* the last one is held */
	snprintf(key, sizeof(key), "addr:10.0.%d.%d", 9999 / 256, 9999 % 256);
	assert_true(bh_ctl_limiter_wait(l, key, 20000) > 0);
	bh_ctl_limiter_free(l);
}

/* ---- ops17: alert rules and the engine ----------------------------------------------------- */

static void alert_rule_parser_refuses_hostile_input(void **state)
{
	static const struct {
		const char *body, *msg;
	} bad[] = {
		{ "[]", "expected a JSON object" },
		{ "{\"name\":\"x\"}", "\"min_severity\" is missing" },
		{ "{\"name\":\"x\",\"min_severity\":\"high\",\"destination\":\"webhook\"}",
		  "\"url\" is missing" },
		{ "{\"name\":\"x\",\"min_severity\":\"loud\"}", "min_severity" },
		{ "{\"name\":\"x y\",\"min_severity\":\"high\"}", "\"name\"" },
		{ "{\"name\":\"x\",\"min_severity\":\"high\",\"destination\":\"pager\",\"url\":"
		  "\"x\"}",
		  "destination" },
		{ "{\"name\":\"x\",\"min_severity\":\"high\",\"destination\":\"webhook\",\"url\":"
		  "\"ftp://h/\"}",
		  "http(s)" },
		{ "{\"name\":\"x\",\"min_severity\":\"high\",\"destination\":\"syslog\",\"url\":"
		  "\"log\"}",
		  "absolute path" },
		{ "{\"name\":\"x\",\"min_severity\":\"high\",\"destination\":\"email\",\"url\":"
		  "\"smtp://h\","
		  "\"to\":\"a@b\\r\\nBcc: c@d\",\"from\":\"e@f\"}",
		  "control byte" },
		{ "{\"name\":\"x\",\"min_severity\":\"high\",\"destination\":\"email\",\"url\":"
		  "\"smtp://h\","
		  "\"to\":\"<a@b>\",\"from\":\"e@f\"}",
		  "local@domain" },
		{ "{\"name\":\"x\",\"min_severity\":\"high\",\"destination\":\"slack\",\"url\":"
		  "\"http://h\","
		  "\"to\":\"a@b\"}",
		  "email only" },
		{ "{\"name\":\"x\",\"min_severity\":\"high\",\"destination\":\"slack\",\"url\":"
		  "\"http://h\","
		  "\"window\":0}",
		  "\"window\"" },
		{ "{\"name\":\"x\",\"min_severity\":\"high\",\"destination\":\"slack\",\"url\":"
		  "\"http://h\","
		  "\"window\":\"60\"}",
		  "\"window\"" },
		{ "{\"name\":\"x\",\"min_severity\":1}", "must be a string" },
		{ "{\"name\":\"x\",\"name\":\"y\"}", "" },
	};
	struct bh_ctl_alert_rule r;
	struct bh_error *err = NULL;
	char big[BH_CTL_ALERT_URL_MAX + 200];
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bh_ctl_alert_rule_parse(bad[i].body, strlen(bad[i].body), &r, &err) == 0)
			fail_msg("accepted: %s", bad[i].body);
		assert_error(err, BH_ERR_INVALID, bad[i].msg);
		bh_error_free(err);
		err = NULL;
	}
	/* a URL over its limit */
	n = snprintf(big, sizeof(big),
		     "{\"name\":\"x\",\"min_severity\":\"high\",\"destination\":\"slack\","
		     "\"url\":\"http://h/");
	memset(big + n, 'a', BH_CTL_ALERT_URL_MAX);
	snprintf(big + n + BH_CTL_ALERT_URL_MAX, sizeof(big) - (size_t)n - BH_CTL_ALERT_URL_MAX,
		 "\"}");
	assert_true(bh_ctl_alert_rule_parse(big, strlen(big), &r, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "longer than");
	bh_error_free(err);
	err = NULL;
	/* a good one; severities on both ladders */
	static const char ok[] =
		"{\"name\":\"m\",\"min_severity\":\"WARNING\",\"workload\":\"web-*\","
		"\"destination\":\"email\",\"url\":\"smtp://h:25\",\"to\":\"a@b\","
		"\"from\":\"c@d\"}";
	assert_int_equal(bh_ctl_alert_rule_parse(ok, strlen(ok), &r, &err), 0);
	assert_int_equal(r.min_severity, 3);
	assert_int_equal(bh_ctl_severity_rank("medium"), 3);
	assert_int_equal(bh_ctl_severity_rank("CRITICAL"), 5);
	assert_int_equal(bh_ctl_severity_rank("FAIL"), 4);
	assert_int_equal(bh_ctl_severity_rank("nope"), -1);
	assert_int_equal(r.window, 60);
	assert_int_equal(r.dest, BH_CTL_ALERT_EMAIL);
}

static void alert_rules_stored_and_audited(void **state)
{
	struct env *e = *state;
	struct bh_ctl_store *s = fresh(e);
	struct bh_error *err = NULL;
	struct bh_ctl_alert_rule r;
	static const char body[] =
		"{\"name\":\"r1\",\"min_severity\":\"high\",\"kind\":\"alert\","
		"\"destination\":\"webhook\",\"url\":\"http://h/x\",\"window\":5}";
	json_t *v;

	assert_int_equal(bh_ctl_alert_rule_parse(body, strlen(body), &r, &err), 0);
	assert_int_equal(bh_ctl_alert_rule_add(s, "alice", &r, &err), 0);
	assert_true(bh_ctl_alert_rule_add(s, "alice", &r, &err) < 0);
	assert_error(err, BH_ERR_USAGE, "exists");
	bh_error_free(err);
	err = NULL;
	assert_int_equal(bh_ctl_alert_rule_list(s, &v, &err), 0);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(bh_json_str(json_array_get(v, 0), "min_severity"), "high");
	assert_string_equal(bh_json_str(json_array_get(v, 0), "kind"), "alert");
	json_decref(v);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit WHERE action = 'alert.add'"), 1);
	assert_int_equal(bh_ctl_alert_rule_delete(s, "alice", "r1", &err), 0);
	assert_true(bh_ctl_alert_rule_delete(s, "alice", "r1", &err) < 0);
	assert_error(err, BH_ERR_NOTFOUND, "r1");
	bh_error_free(err);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit WHERE action = 'alert.delete'"), 1);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM alert_rules"), 0);
	bh_ctl_store_free(s);
}

/* A storm of 1000 through a syslog rule to a socket of this test: the first
 * event at once, one summary of 999 at the end; other events not. */
static void alert_storm_sends_one_and_a_summary(void **state)
{
	struct env *e = *state;
	struct bh_ctl_store *s = fresh(e);
	struct bh_ctl_alert *a = NULL;
	struct bh_ctl_alert_opts o = { .store = s };
	struct bh_ctl_alert_stats st;
	struct bh_ctl_alert_rule r;
	struct bh_error *err = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *body, buf[4096];
	json_t *evs = json_array();
	int fd;
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/syslog-%d.sock", e->dir, e->seq);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	body = bh_asprintf("{\"name\":\"storm\",\"min_severity\":\"high\",\"workload\":\"web-*\","
			   "\"destination\":\"syslog\",\"url\":\"%s\"}",
			   sa.sun_path);
	assert_int_equal(bh_ctl_alert_rule_parse(body, strlen(body), &r, &err), 0);
	free(body);
	assert_int_equal(bh_ctl_alert_rule_add(s, "t", &r, &err), 0);
	for (int i = 0; i < 1000; i++)
		json_array_append_new(evs, json_pack("{ssssss}", "severity", "ERROR", "rule", "R",
						     "workload", "web-1"));
	json_array_append_new(evs, json_pack("{ssss}", "severity", "ERROR", "workload", "db-1"));
	json_array_append_new(evs, json_pack("{ssss}", "severity", "LOW", "workload", "web-1"));
	json_array_append_new(evs, json_string("not an event"));
	assert_int_equal(bh_ctl_alert_new(&o, &a, &err), 0);
	assert_int_equal(bh_ctl_alert_events(a, evs, &err), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0); /* the first, at once */
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(buf, "[bulkhead] high R on web-1"));
	bh_ctl_alert_stats(a, &st);
	assert_int_equal(st.events, 1002);
	assert_int_equal(st.matched, 1000);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.suppressed, 999);
	bh_ctl_alert_free(a, 2000); /* closes the window: the summary */
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(buf, "999 more like this"));
	assert_true(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0); /* nothing else */
	close(fd);
	json_decref(evs);
	bh_ctl_store_free(s);
}

/* ---- scale17: jobs one replica does --------------------------------------------------------- */

static void one_replica_claims_a_job(void **state)
{
	struct env *e = *state;
	struct bh_ctl_store *a = fresh(e), *b = NULL;
	struct bh_error *err = NULL;
	char *db = !strcmp(e->backend, "sqlite") ? bh_asprintf("%s/store-%d.sqlite", e->dir, e->seq)
						 : bh_strdup(e->url);
	int64_t done_at = -1;
	bool got = false;

	/* a second controller on the same database */
	assert_int_equal(bh_ctl_store_open(db, &b, &err), 0);
	assert_int_equal(bh_ctl_claim(a, "rematch", 60, &got, &done_at, &err), 0);
	assert_true(got);
	assert_int_equal(done_at, 0);
	/* held: neither the other controller nor this one again gets it */
	assert_int_equal(bh_ctl_claim(b, "rematch", 60, &got, &done_at, &err), 0);
	assert_false(got);
	assert_int_equal(bh_ctl_claim(a, "rematch", 60, &got, &done_at, &err), 0);
	assert_false(got);
	/* another job is free */
	assert_int_equal(bh_ctl_claim(b, "scan:sha256:00", 60, &got, &done_at, &err), 0);
	assert_true(got);
	assert_int_equal(bh_ctl_claim_release(b, "scan:sha256:00", false, &err), 0);
	/* released done: the other gets it and sees it done by another */
	assert_int_equal(bh_ctl_claim_release(a, "rematch", true, &err), 0);
	assert_int_equal(bh_ctl_claim(b, "rematch", 60, &got, &done_at, &err), 0);
	assert_true(got);
	assert_true(done_at >= (int64_t)time(NULL) - 5);
	assert_int_equal(bh_ctl_claim_release(b, "rematch", true, &err), 0);
	/* the one that did it last does not see its own as another's */
	assert_int_equal(bh_ctl_claim(b, "rematch", 60, &got, &done_at, &err), 0);
	assert_true(got);
	assert_int_equal(done_at, 0);
	if (!strcmp(e->backend, "postgresql")) {
		/* a controller gone (its session with it) holds nothing */
		bh_ctl_store_free(b);
		b = NULL;
		/* the server ends the session (and its locks) just after the
		 * client's Terminate: soon, not at once */
		for (int i = 0; i < 100; i++) {
			assert_int_equal(bh_ctl_claim(a, "rematch", 60, &got, &done_at, &err), 0);
			if (got)
				break;
			usleep(50000);
		}
		assert_true(got);
		assert_int_equal(bh_ctl_claim_release(a, "rematch", false, &err), 0);
	} else {
		/* SQLite: a lease; one run out is anyone's */
		assert_int_equal(bh_ctl_claim_release(b, "rematch", false, &err), 0);
		assert_int_equal(bh_ctl_claim(b, "short", 1, &got, &done_at, &err), 0);
		assert_true(got);
		sleep(2);
		assert_int_equal(bh_ctl_claim(a, "short", 60, &got, &done_at, &err), 0);
		assert_true(got);
	}
	/* bad names */
	assert_true(bh_ctl_claim(a, "", 60, &got, &done_at, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "job name");
	bh_error_free(err);
	bh_ctl_store_free(b);
	bh_ctl_store_free(a);
	free(db);
}

struct nest {
	struct bh_ctl_store *s;
	int depth, deepest;
};

static int nest_row(void *p, const struct bh_ctl_val *cols, size_t ncols, struct bh_error **err)
{
	struct nest *n = p;
	int rc = 0;

	(void)cols;
	(void)ncols;
	if (++n->depth > n->deepest)
		n->deepest = n->depth;
	if (n->depth < 6)
		rc = bh_ctl_store_query(n->s, "SELECT COUNT(*) FROM schema_version", NULL, 0,
					nest_row, n, NULL, err);
	n->depth--;
	return rc;
}

/* review fix17: a SELECT from a row function, nested deeper than SQLite's
 * readers, reuses the thread's reader instead of waiting for a free one */
static void nested_reads_do_not_wait_for_themselves(void **state)
{
	struct env *e = *state;
	struct bh_ctl_store *s = fresh(e);
	struct nest n = { s, 0, 0 };
	struct bh_error *err = NULL;

	assert_int_equal(bh_ctl_store_query(s, "SELECT COUNT(*) FROM schema_version", NULL, 0,
					    nest_row, &n, NULL, &err),
			 0);
	assert_int_equal(n.deepest, 6);
	/* every reader was given back */
	assert_int_equal(count(s, "SELECT COUNT(*) FROM schema_version"), 1);
	bh_ctl_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(migrations_once_and_refuse_newer),
		BOTH(values_are_bound_never_spliced),
		BOTH(a_failed_transaction_leaves_nothing),
		BOTH(users_change_with_audit_before_after),
		BOTH(audit_pages_and_filters),
		BOTH(login_tokens_revocation_expiry),
		cmocka_unit_test(body_parser_refuses_hostile_input),
		cmocka_unit_test(query_parser),
		cmocka_unit_test(openapi_lists_every_route),
		BOTH(restart_reconnects_once),
		BOTH(a_read_does_not_wait_for_the_writer),
		BOTH(nested_reads_do_not_wait_for_themselves),
		cmocka_unit_test(limiter_counts_waits_and_forgets),
		cmocka_unit_test(limiter_is_bounded),
		cmocka_unit_test(alert_rule_parser_refuses_hostile_input),
		BOTH(alert_rules_stored_and_audited),
		BOTH(alert_storm_sends_one_and_a_summary),
		BOTH(one_replica_claims_a_job),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
