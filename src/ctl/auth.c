/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Users, roles and API tokens of the controller (include/bulkhead/ctl.h).
 * Passwords: argon2id (libsodium's crypto_pwhash_str). Tokens: 32 random
 * bytes shown once as "bht_<id>_<secret>", stored as a BLAKE2b hash of the
 * secret, looked up by id and compared in constant time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/ctl.h"
#include "lazy/sodium.h"
#include "banned.h"

#define SECRET_BYTES 32
#define ID_BYTES     8
#define HASH_BYTES   32

static const char *const roles[] = {
	[BH_CTL_READER] = "reader", [BH_CTL_OPERATOR] = "operator", [BH_CTL_ADMIN] = "admin"
};

int bh_ctl_role_parse(const char *s)
{
	for (int r = BH_CTL_READER; s && r <= BH_CTL_ADMIN; r++)
		if (!strcmp(s, roles[r]))
			return r;
	return -1;
}

const char *bh_ctl_role_name(enum bh_ctl_role r)
{
	return r >= BH_CTL_READER && r <= BH_CTL_ADMIN ? roles[r] : "none";
}

bool bh_ctl_name_valid(const char *name, size_t len)
{
	if (!len || len > BH_CTL_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!bh_isalnum(name[i]) && !strchr("._@-", name[i]))
			return false;
	return name[0] != '-' && name[0] != '.';
}

static int sodium_ready(struct bh_error **err)
{
	if (bh_lazy_require(&bh_lazy_sodium, err) < 0)
		return -1;
	if (sodium_init() < 0)
		return bh_error_set(err, BH_ERR_INTERNAL, "libsodium did not initialise");
	return 0;
}

static int hash_password(const char *pw, char out[crypto_pwhash_STRBYTES], struct bh_error **err)
{
	if (sodium_ready(err) < 0)
		return -1;
	if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return bh_error_set(err, BH_ERR_NOMEM, "hashing the password (out of memory)");
	return 0;
}

static int check_password(const char *pw, size_t len, struct bh_error **err)
{
	if (len < BH_CTL_PASSWORD_MIN || len > BH_CTL_PASSWORD_MAX)
		return bh_error_set(err, BH_ERR_INVALID,
				    "a password must have %d to %d bytes (this one has %zu)",
				    BH_CTL_PASSWORD_MIN, BH_CTL_PASSWORD_MAX, len);
	if (memchr(pw, 0, len))
		return bh_error_set(err, BH_ERR_INVALID, "a password must not contain NUL");
	return 0;
}

/* ---- rows -------------------------------------------------------------------------------- */

struct user_row {
	bool found;
	char role[16];
	char pwhash[crypto_pwhash_STRBYTES];
	int64_t created;
};

static int user_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct user_row *u = ctx;

	if (n != 3 || c[0].null || c[1].null)
		return bh_error_set(err, BH_ERR_INTERNAL, "users: unexpected row");
	u->found = true;
	snprintf(u->role, sizeof(u->role), "%s", c[0].s);
	snprintf(u->pwhash, sizeof(u->pwhash), "%s", c[1].s);
	u->created = c[2].i;
	return 0;
}

static int user_get(struct bh_ctl_store *s, const char *name, struct user_row *u,
		    struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_S(name) };

	memset(u, 0, sizeof(*u));
	return bh_ctl_store_query(s, "SELECT role, pwhash, created FROM users WHERE name = ?", p, 1,
				  user_row, u, NULL, err);
}

/* ---- users ------------------------------------------------------------------------------- */

struct user_op {
	struct bh_ctl_store *s;
	const char *actor, *name, *role;
	const char *pwhash;
};

static int user_add_tx(void *arg, struct bh_error **err)
{
	struct user_op *o = arg;
	struct user_row u;
	int64_t now = (int64_t)time(NULL);
	struct bh_ctl_val p[] = { BH_CTL_S(o->name), BH_CTL_S(o->role), BH_CTL_S(o->pwhash),
				  BH_CTL_I(now) };
	json_t *after;
	int rc;

	if (user_get(o->s, o->name, &u, err) < 0)
		return -1;
	if (u.found)
		return bh_error_set(err, BH_ERR_USAGE, "user '%s' exists", o->name);
	if (bh_ctl_store_query(
		    o->s, "INSERT INTO users (name, role, pwhash, created) VALUES (?, ?, ?, ?)", p,
		    4, NULL, NULL, NULL, err) < 0)
		return -1;
	after = json_pack("{ssss}", "name", o->name, "role", o->role);
	rc = bh_ctl_audit_add(o->s, o->actor, "user.add", o->name, NULL, after, err);
	json_decref(after);
	return rc;
}

int bh_ctl_user_add(struct bh_ctl_store *s, const char *actor, const char *name,
		    enum bh_ctl_role role, const char *password, struct bh_error **err)
{
	char hash[crypto_pwhash_STRBYTES];
	struct user_op o = { s, actor, name, bh_ctl_role_name(role), hash };

	if (!name || !bh_ctl_name_valid(name, strlen(name)))
		return bh_error_set(err, BH_ERR_INVALID,
				    "a user name is 1 to %d of A-Z a-z 0-9 . _ @ - (not starting "
				    "with . or -)",
				    BH_CTL_NAME_MAX);
	if (role < BH_CTL_READER || role > BH_CTL_ADMIN)
		return bh_error_set(err, BH_ERR_INVALID,
				    "role: expected admin, operator or reader");
	if (check_password(password, strlen(password), err) < 0)
		return -1;
	/* hashed before the transaction: the store is not held for it */
	if (hash_password(password, hash, err) < 0)
		return -1;
	return bh_ctl_store_tx(s, user_add_tx, &o, err);
}

static int user_delete_tx(void *arg, struct bh_error **err)
{
	struct user_op *o = arg;
	struct user_row u;
	int64_t now = (int64_t)time(NULL);
	struct bh_ctl_val p[] = { BH_CTL_S(o->name) };
	struct bh_ctl_val p2[] = { BH_CTL_I(now), BH_CTL_S(o->name) };
	json_t *before;
	int rc;

	if (user_get(o->s, o->name, &u, err) < 0)
		return -1;
	if (!u.found)
		return bh_error_set(err, BH_ERR_NOTFOUND, "no user '%s'", o->name);
	if (bh_ctl_store_query(o->s, "DELETE FROM users WHERE name = ?", p, 1, NULL, NULL, NULL,
			       err) < 0 ||
	    bh_ctl_store_query(
		    o->s, "UPDATE tokens SET revoked = ? WHERE user_name = ? AND revoked IS NULL",
		    p2, 2, NULL, NULL, NULL, err) < 0)
		return -1;
	before = json_pack("{ssss}", "name", o->name, "role", u.role);
	rc = bh_ctl_audit_add(o->s, o->actor, "user.delete", o->name, before, NULL, err);
	json_decref(before);
	return rc;
}

int bh_ctl_user_delete(struct bh_ctl_store *s, const char *actor, const char *name,
		       struct bh_error **err)
{
	struct user_op o = { s, actor, name, NULL, NULL };

	return bh_ctl_store_tx(s, user_delete_tx, &o, err);
}

static int list_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	char t[BH_TIME_MAX];
	struct timespec ts = { (time_t)c[2].i, 0 };

	(void)err;
	(void)n;
	json_array_append_new(ctx, json_pack("{ssssss}", "name", c[0].s, "role", c[1].s, "created",
					     bh_time_rfc3339(&ts, 0, t)));
	return 0;
}

int bh_ctl_user_list(struct bh_ctl_store *s, json_t **out, struct bh_error **err)
{
	json_t *a = json_array();

	*out = NULL;
	if (bh_ctl_store_query(s, "SELECT name, role, created FROM users ORDER BY name", NULL, 0,
			       list_row, a, NULL, err) < 0) {
		json_decref(a);
		return -1;
	}
	*out = a;
	return 0;
}

/* ---- tokens ------------------------------------------------------------------------------ */

static void secret_hash(const unsigned char *secret, unsigned char out[HASH_BYTES])
{
	static const unsigned char key[] = "bulkhead controller token v1";

	crypto_generichash(out, HASH_BYTES, secret, SECRET_BYTES, key, sizeof(key) - 1);
}

struct token_op {
	struct bh_ctl_store *s;
	const char *actor, *name;
	bool node;
	const char *action;
	int64_t ttl;
	char id[BH_CTL_TOKEN_ID_LEN + 1];
	char hash[2 * HASH_BYTES + 1];
	const char *only_owner;
};

static int token_create_tx(void *arg, struct bh_error **err)
{
	struct token_op *o = arg;
	int64_t now = (int64_t)time(NULL);
	struct bh_ctl_val p[] = {
		BH_CTL_S(o->id),
		BH_CTL_S(o->hash),
		BH_CTL_S(o->node ? NULL : o->name),
		BH_CTL_S(o->node ? o->name : NULL),
		BH_CTL_I(now),
		BH_CTL_I(now + o->ttl),
	};
	struct user_row u;
	char t[BH_TIME_MAX];
	struct timespec ts = { (time_t)(now + o->ttl), 0 };
	json_t *after;
	int rc;

	if (!o->node) {
		if (user_get(o->s, o->name, &u, err) < 0)
			return -1;
		if (!u.found)
			return bh_error_set(err, BH_ERR_NOTFOUND, "no user '%s'", o->name);
	}
	if (bh_ctl_store_query(o->s,
			       "INSERT INTO tokens (id, hash, user_name, node, created, expires)"
			       " VALUES (?, ?, ?, ?, ?, ?)",
			       p, 6, NULL, NULL, NULL, err) < 0)
		return -1;
	after = json_pack("{ssssss}", "id", o->id, o->node ? "node" : "user", o->name, "expires",
			  bh_time_rfc3339(&ts, 0, t));
	rc = bh_ctl_audit_add(o->s, o->actor, o->action, o->id, NULL, after, err);
	json_decref(after);
	return rc;
}

static int token_new(struct bh_ctl_store *s, struct token_op *o, char token[BH_CTL_TOKEN_LEN + 1],
		     struct bh_error **err)
{
	unsigned char id[ID_BYTES], secret[SECRET_BYTES], h[HASH_BYTES];
	char hex[2 * SECRET_BYTES + 1];
	int rc;

	if (o->ttl <= 0 || o->ttl > BH_CTL_TOKEN_TTL_MAX)
		return bh_error_set(err, BH_ERR_INVALID, "a token's ttl must be 1 to %d seconds",
				    BH_CTL_TOKEN_TTL_MAX);
	if (!o->name || !bh_ctl_name_valid(o->name, strlen(o->name)))
		return bh_error_set(err, BH_ERR_INVALID, "a token's %s name is not valid",
				    o->node ? "node" : "user");
	if (sodium_ready(err) < 0)
		return -1;
	randombytes_buf(id, sizeof(id));
	randombytes_buf(secret, sizeof(secret));
	secret_hash(secret, h);
	bh_hex_encode(id, sizeof(id), o->id);
	bh_hex_encode(h, sizeof(h), o->hash);
	bh_hex_encode(secret, sizeof(secret), hex);
	sodium_memzero(secret, sizeof(secret));
	rc = bh_ctl_store_tx(s, token_create_tx, o, err);
	if (rc >= 0)
		snprintf(token, BH_CTL_TOKEN_LEN + 1, "bht_%s_%s", o->id, hex);
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

int bh_ctl_token_create(struct bh_ctl_store *s, const char *actor, const char *name, bool node,
			int64_t ttl, char token[BH_CTL_TOKEN_LEN + 1],
			char id_out[BH_CTL_TOKEN_ID_LEN + 1], struct bh_error **err)
{
	struct token_op o = { .s = s,
			      .actor = actor,
			      .name = name,
			      .node = node,
			      .action = "token.create",
			      .ttl = ttl };
	int rc = token_new(s, &o, token, err);

	if (rc >= 0 && id_out)
		memcpy(id_out, o.id, sizeof(o.id));
	return rc;
}

/* A hash that no password has: what a login for an unknown user checks
 * against, so that it takes the time a known user's does. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	unsigned char r[24];
	char pw[49];

	randombytes_buf(r, sizeof(r));
	bh_hex_encode(r, sizeof(r), pw);
	if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy_hash[0] = 0;
}

int bh_ctl_login(struct bh_ctl_store *s, const char *user, const char *password, int64_t ttl,
		 char token[BH_CTL_TOKEN_LEN + 1], struct bh_error **err)
{
	struct token_op o = { .s = s, .actor = user, .name = user, .action = "login", .ttl = ttl };
	struct user_row u = { 0 };
	bool ok;
	size_t len = strlen(password);

	if (sodium_ready(err) < 0)
		return -1;
	if (bh_ctl_name_valid(user, strlen(user)) && user_get(s, user, &u, err) < 0)
		return -1;
	if (!u.found) {
		pthread_once(&dummy_once, make_dummy);
		memcpy(u.pwhash, dummy_hash, sizeof(u.pwhash));
	}
	ok = crypto_pwhash_str_verify(u.pwhash, password, len) == 0 && u.found;
	sodium_memzero(u.pwhash, sizeof(u.pwhash));
	if (!ok)
		return bh_error_set(err, BH_ERR_UNSAFE, "wrong user name or password");
	return token_new(s, &o, token, err);
}

struct token_row {
	bool found;
	char hash[2 * HASH_BYTES + 1];
	char name[BH_CTL_NAME_MAX + 1];
	bool node;
	int64_t expires;
	bool revoked;
	char role[16]; /* the user's current role; "" if the user is gone */
};

static int token_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct token_row *t = ctx;

	if (n != 6 || c[0].null)
		return bh_error_set(err, BH_ERR_INTERNAL, "tokens: unexpected row");
	t->found = true;
	snprintf(t->hash, sizeof(t->hash), "%s", c[0].s);
	t->node = c[1].null;
	snprintf(t->name, sizeof(t->name), "%s", c[1].null ? (c[2].null ? "" : c[2].s) : c[1].s);
	t->expires = c[3].i;
	t->revoked = !c[4].null;
	snprintf(t->role, sizeof(t->role), "%s", c[5].null ? "" : c[5].s);
	return 0;
}

static int token_get(struct bh_ctl_store *s, const char *id, struct token_row *t,
		     struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_S(id) };

	memset(t, 0, sizeof(*t));
	return bh_ctl_store_query(s,
				  "SELECT t.hash, t.user_name, t.node, t.expires, t.revoked, u.role"
				  " FROM tokens t LEFT JOIN users u ON u.name = t.user_name"
				  " WHERE t.id = ?",
				  p, 1, token_row, t, NULL, err);
}

int bh_ctl_authenticate(struct bh_ctl_store *s, const char *token, size_t len,
			struct bh_ctl_principal *out, struct bh_error **err)
{
	unsigned char secret[SECRET_BYTES], h[HASH_BYTES], stored[HASH_BYTES];
	char id[BH_CTL_TOKEN_ID_LEN + 1];
	struct token_row t;
	bool ok;
	int role;

	memset(out, 0, sizeof(*out));
	if (len != BH_CTL_TOKEN_LEN || memcmp(token, "bht_", 4) || token[4 + 16] != '_' ||
	    bh_hex_decode(token + 4, 16, 0, id, 8) != 8 ||
	    bh_hex_decode(token + 21, 64, 0, secret, sizeof(secret)) != SECRET_BYTES)
		return bh_error_set(err, BH_ERR_UNSAFE, "a malformed token");
	memcpy(id, token + 4, 16);
	id[16] = 0;
	if (sodium_ready(err) < 0 || token_get(s, id, &t, err) < 0)
		return -1;
	secret_hash(secret, h);
	sodium_memzero(secret, sizeof(secret));
	ok = t.found &&
	     bh_hex_decode(t.hash, strlen(t.hash), 0, stored, sizeof(stored)) == HASH_BYTES;
	/* constant time in the secret: the id only finds the row */
	ok = sodium_memcmp(h, ok ? stored : h, HASH_BYTES) == 0 && ok;
	if (!ok)
		return bh_error_set(err, BH_ERR_UNSAFE, "an unknown token");
	if (t.revoked)
		return bh_error_set(err, BH_ERR_UNSAFE, "token %s is revoked", id);
	if (t.expires <= (int64_t)time(NULL))
		return bh_error_set(err, BH_ERR_UNSAFE, "token %s has expired", id);
	role = t.node ? 0 : bh_ctl_role_parse(t.role);
	if (!t.node && role < 0)
		return bh_error_set(err, BH_ERR_UNSAFE, "token %s: its user is gone", id);
	snprintf(out->name, sizeof(out->name), "%s", t.name);
	out->node = t.node;
	out->role = (enum bh_ctl_role)role;
	memcpy(out->token_id, id, sizeof(out->token_id));
	return 0;
}

static int token_revoke_tx(void *arg, struct bh_error **err)
{
	struct token_op *o = arg;
	struct token_row t;
	int64_t now = (int64_t)time(NULL);
	struct bh_ctl_val p[] = { BH_CTL_I(now), BH_CTL_S(o->id) };
	json_t *before, *after;
	int rc;

	if (token_get(o->s, o->id, &t, err) < 0)
		return -1;
	if (!t.found || (o->only_owner && (t.node || strcmp(t.name, o->only_owner))))
		return bh_error_set(err, BH_ERR_NOTFOUND, "no token '%s'", o->id);
	if (t.revoked)
		return bh_error_set(err, BH_ERR_USAGE, "token '%s' is already revoked", o->id);
	if (bh_ctl_store_query(o->s, "UPDATE tokens SET revoked = ? WHERE id = ?", p, 2, NULL, NULL,
			       NULL, err) < 0)
		return -1;
	before = json_pack("{sssssb}", "id", o->id, t.node ? "node" : "user", t.name, "revoked", 0);
	after = json_pack("{sssssb}", "id", o->id, t.node ? "node" : "user", t.name, "revoked", 1);
	rc = bh_ctl_audit_add(o->s, o->actor, "token.revoke", o->id, before, after, err);
	json_decref(before);
	json_decref(after);
	return rc;
}

int bh_ctl_token_revoke(struct bh_ctl_store *s, const char *actor, const char *id,
			const char *only_owner, struct bh_error **err)
{
	struct token_op o = { .s = s, .actor = actor, .only_owner = only_owner };

	if (!id || strlen(id) != BH_CTL_TOKEN_ID_LEN)
		return bh_error_set(err, BH_ERR_INVALID, "a token id is %d hex digits",
				    BH_CTL_TOKEN_ID_LEN);
	memcpy(o.id, id, sizeof(o.id));
	return bh_ctl_store_tx(s, token_revoke_tx, &o, err);
}
