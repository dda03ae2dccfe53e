/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registry authentication: answering a 401's challenges with basic
 * credentials or a bearer token from the registry's token service, tokens
 * cached per scope until they expire (expires_in, issued_at), one token
 * request per host at a time, a token the registry refuses dropped and
 * fetched again once. An identity token (docker login to an OAuth2 registry)
 * is exchanged with a POST, as docker does.
 *
 * Secrets (passwords, identity tokens, bearer tokens) go only into
 * Authorization headers: never into a log line or an error message.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "banned.h"

#define TOKEN_MIN_LIFE 60 /* seconds, the token spec's default */
#define TOKEN_MARGIN   10 /* seconds before expiry a token is renewed */

/* ---- tokens ---------------------------------------------------------------- */

void reg_tokens_free(struct reg_token *t)
{
	while (t) {
		struct reg_token *n = t->next;

		explicit_bzero(t->token, strlen(t->token));
		free(t->token);
		free(t->scope);
		free(t);
		t = n;
	}
}

static int64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

int reg_token_parse(const char *buf, size_t len, char **token, int64_t *expires,
		    struct bh_error **err)
{
	json_t *j = NULL;
	const char *t, *issued;
	json_int_t life = 0;
	int64_t start = now_s();
	int r = -1;

	*token = NULL;
	if (bh_json_parse(buf, len, REG_MAX_TOKEN, "the token service's answer", &j, err) < 0)
		return -1;
	t = bh_json_str(j, "token");
	if (!t || !*t)
		t = bh_json_str(j, "access_token");
	if (!t || !*t) {
		bh_error_set(err, BH_ERR_INVALID, "the token service's answer has no token");
		goto out;
	}
	for (const char *p = t; *p; p++)
		if (!bh_isprint(*p) || *p == ' ') {
			bh_error_set(err, BH_ERR_INVALID,
				     "the token service's token is not a printable word");
			goto out;
		}
	if (!bh_json_int(j, "expires_in", &life) || life < TOKEN_MIN_LIFE)
		life = TOKEN_MIN_LIFE;
	if (life > 365 * 86400)
		life = 365 * 86400;
	issued = bh_json_str(j, "issued_at");
	if (issued) {
		int64_t at;

		/* a clock far off from ours would make the expiry meaningless */
		if (bh_time_parse(issued, false, &at, NULL) == 0 && at <= start + 300 &&
		    at >= start - 86400)
			start = at;
	}
	*token = bh_strdup(t);
	*expires = start + life;
	r = 0;
out:
	json_decref(j);
	return r;
}

char *reg_scope(const char *path, const char *actions)
{
	return bh_asprintf("repository:%s:%s", path, actions);
}

/* "Authorization: Basic <base64 of user:secret>" (caller frees; the
 * intermediate copies of the secret are wiped). */
static char *basic_header(const struct bh_registry_cred *c)
{
	char *up = bh_asprintf("%s:%s", c->username ? c->username : "", c->secret), *hdr;
	struct bh_buf b = BH_BUF_INIT(SIZE_MAX);

	/* no limit to reach: the buffer's is SIZE_MAX, allocation aborts on failure */
	bh_base64_encode(up, strlen(up), &b, NULL);
	hdr = bh_asprintf("Authorization: Basic %.*s", (int)b.len, b.data ? b.data : "");
	explicit_bzero(up, strlen(up));
	if (b.data)
		explicit_bzero(b.data, b.len);
	free(up);
	bh_buf_release(&b);
	return hdr;
}

char *reg_auth_header(struct bh_registry *r, struct reg_host *h, const char *scope)
{
	char *hdr = NULL;

	pthread_mutex_lock(&r->lock);
	if (h->auth == REG_AUTH_BASIC && h->cred.secret && !h->cred.identity) {
		hdr = basic_header(&h->cred);
	} else if (h->auth == REG_AUTH_BEARER) {
		int64_t now = now_s();

		for (struct reg_token *t = h->tokens; t; t = t->next)
			if (!strcmp(t->scope, scope ? scope : "") &&
			    t->expires - TOKEN_MARGIN > now) {
				hdr = bh_asprintf("Authorization: Bearer %s", t->token);
				break;
			}
	}
	pthread_mutex_unlock(&r->lock);
	return hdr;
}

void reg_token_drop(struct bh_registry *r, struct reg_host *h, const char *scope, const char *used)
{
	pthread_mutex_lock(&r->lock);
	for (struct reg_token **p = &h->tokens; *p; p = &(*p)->next)
		if (!strcmp((*p)->scope, scope ? scope : "")) {
			struct reg_token *t = *p;

			/* only the token that was refused: another thread may have
			 * fetched a new one since */
			if (used && (!bh_str_has_prefix(used, "Authorization: Bearer ") ||
				     strcmp(used + 22, t->token)))
				break;
			*p = t->next;
			t->next = NULL;
			reg_tokens_free(t);
			break;
		}
	pthread_mutex_unlock(&r->lock);
}

/* A valid token for scope is cached. */
static bool have_token(struct bh_registry *r, struct reg_host *h, const char *scope)
{
	char *hdr = reg_auth_header(r, h, scope);
	bool have = hdr && h->auth == REG_AUTH_BEARER;

	if (hdr) {
		explicit_bzero(hdr, strlen(hdr));
		free(hdr);
	}
	return have;
}

/* application/x-www-form-urlencoded */
static void form_add(struct bh_buf *b, const char *name, const char *value)
{
	char *v = reg_escape(value);

	bh_buf_addf(b, NULL, "%s%s=%s", b->len ? "&" : "", name, v);
	explicit_bzero(v, strlen(v));
	free(v);
}

/* Ask the token service at realm for scope; store the token in h. */
static int fetch_token(struct bh_registry *r, struct reg_host *h, const char *realm,
		       const char *service, const char *scope, struct bh_error **err)
{
	struct bh_buf url = BH_BUF_INIT(16384), form = BH_BUF_INIT(1 << 20);
	struct bh_buf body = BH_BUF_INIT(REG_MAX_TOKEN);
	char *hostport = NULL, *redacted = reg_url_redact(realm), *authz = NULL, *token = NULL;
	char *hdrs[3] = { NULL, NULL, NULL };
	struct reg_xfer *x = NULL;
	struct reg_req q = { .method = "GET", .what = "token request" };
	bool https, identity;
	int64_t expires = 0;
	int rc = -1;

	if (reg_url_parse(NULL, realm, NULL, &hostport, &https, err) < 0) {
		bh_error_prefix(err, "registry %s: the token realm", h->hostport);
		goto out;
	}
	q.host = reg_endpoint(r, hostport);
	if (!https && !q.host->insecure) {
		bh_error_set(err, BH_ERR_UNSAFE,
			     "registry %s: its token service %s is plain HTTP: refused (only "
			     "HTTPS, or a host named with --insecure-registry)",
			     h->hostport, redacted);
		goto out;
	}
	pthread_mutex_lock(&r->lock);
	identity = h->cred.identity && h->cred.secret;
	if (h->cred.secret && !identity) {
		authz = basic_header(&h->cred);
	} else if (identity) {
		/* OAuth2 refresh token (docker login to an OAuth2 registry): POST a form */
		form_add(&form, "grant_type", "refresh_token");
		if (service)
			form_add(&form, "service", service);
		form_add(&form, "client_id", "bulkhead");
		for (const char *s = scope; s && *s;) {
			size_t n = strcspn(s, " ");
			char *one = bh_strndup(s, n);

			form_add(&form, "scope", one);
			free(one);
			s += n;
			while (*s == ' ')
				s++;
		}
		form_add(&form, "refresh_token", h->cred.secret);
	}
	pthread_mutex_unlock(&r->lock);
	bh_buf_adds(&url, realm, NULL);
	if (!identity) {
		bool q1 = strchr(realm, '?') != NULL;

		if (service) {
			char *e = reg_escape(service);

			bh_buf_addf(&url, NULL, "%cservice=%s", q1 ? '&' : '?', e);
			free(e);
			q1 = true;
		}
		for (const char *s = scope; s && *s;) {
			size_t n = strcspn(s, " ");
			char *one = bh_strndup(s, n), *e = reg_escape(one);

			bh_buf_addf(&url, NULL, "%cscope=%s", q1 ? '&' : '?', e);
			q1 = true;
			free(one);
			free(e);
			s += n;
			while (*s == ' ')
				s++;
		}
	} else {
		q.method = "POST";
		q.has_body = true;
		q.body = form.data;
		q.body_len = form.len;
		hdrs[0] = "Content-Type: application/x-www-form-urlencoded";
	}
	if (authz)
		hdrs[hdrs[0] ? 1 : 0] = authz;
	q.headers = hdrs;
	q.url = url.data;
	if (!https)
		bh_warn("registry %s: asking its token service over plain HTTP", h->hostport);
	bh_debug("registry %s: token for '%s' from %s%s", h->hostport, scope ? scope : "", redacted,
		 authz || identity ? " (with credentials)" : " (anonymous)");
	if (reg_open(r, &q, &x, err) < 0)
		goto out;
	if (x->resp.status == 401 || x->resp.status == 403) {
		bh_error_set(err, BH_ERR_IO,
			     "registry %s: its token service %s refused %s for '%s' (%ld)%s",
			     h->hostport, redacted,
			     authz || identity ? "the credentials" : "anonymous access",
			     scope ? scope : "", x->resp.status,
			     authz || identity ? ": wrong user name or password?"
					       : ": log in (docker login, podman login) or give "
						 "--authfile");
		goto out;
	}
	if (x->resp.status != 200) {
		reg_status_error(x, q.host, "token request", err);
		x = NULL;
		bh_error_prefix(err, "registry %s: its token service", h->hostport);
		goto out;
	}
	if (reg_xfer_read_all(x, &body, "token", err) < 0 ||
	    reg_token_parse(body.data ? body.data : "", body.len, &token, &expires, err) < 0) {
		bh_error_prefix(err, "registry %s: token service %s", h->hostport, redacted);
		goto out;
	}
	pthread_mutex_lock(&r->lock);
	{
		struct reg_token *t = bh_calloc(1, sizeof(*t));

		t->scope = bh_strdup(scope ? scope : "");
		t->token = token;
		t->expires = expires;
		token = NULL;
		/* replace an older token for the same scopes */
		for (struct reg_token **p = &h->tokens; *p; p = &(*p)->next)
			if (!strcmp((*p)->scope, t->scope)) {
				struct reg_token *old = *p;

				*p = old->next;
				old->next = NULL;
				reg_tokens_free(old);
				break;
			}
		t->next = h->tokens;
		h->tokens = t;
	}
	pthread_mutex_unlock(&r->lock);
	bh_debug("registry %s: a token for '%s', valid %llds", h->hostport, scope ? scope : "",
		 (long long)(expires - now_s()));
	rc = 0;
out:
	reg_xfer_close(x);
	if (authz) {
		explicit_bzero(authz, strlen(authz));
		free(authz);
	}
	if (form.data)
		explicit_bzero(form.data, form.len);
	if (body.data)
		explicit_bzero(body.data, body.len);
	bh_buf_release(&form);
	bh_buf_release(&body);
	bh_buf_release(&url);
	free(token);
	free(hostport);
	free(redacted);
	return rc;
}

/* The scopes to ask for: ours, plus one the challenge names that we lack. */
static char *merge_scopes(const char *ours, const char *theirs)
{
	if (!theirs || !*theirs)
		return bh_strdup(ours ? ours : "");
	if (!ours || !*ours)
		return bh_strdup(theirs);
	if (strstr(ours, theirs))
		return bh_strdup(ours);
	return bh_asprintf("%s %s", ours, theirs);
}

int reg_authenticate(struct bh_registry *r, struct reg_host *h, char *const *challenges,
		     const char *scope, struct bh_error **err)
{
	struct bh_registry_challenge *c = NULL, *bearer = NULL;
	bool saw_basic = false;
	size_t n = 0;
	char *scopes = NULL, *path = NULL;
	int rc = -1;

	for (char *const *p = challenges; p && *p && !bearer; p++) {
		bh_registry_challenges_free(c, n);
		c = NULL;
		n = 0;
		if (bh_registry_challenges_parse(*p, strlen(*p), &c, &n, err) < 0) {
			bh_error_prefix(err, "registry %s", h->hostport);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(c[i].scheme, "bearer") && !bearer)
				bearer = &c[i];
			else if (!strcmp(c[i].scheme, "basic"))
				saw_basic = true;
		}
	}
	if (!bearer && !saw_basic) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "registry %s asks for authentication without a basic or bearer "
			     "challenge",
			     h->hostport);
		goto out;
	}
	/* the repository of the scope, for per-repository credentials (podman) */
	if (scope && bh_str_has_prefix(scope, "repository:")) {
		const char *s = scope + 11;
		size_t k = strcspn(s, ": ");

		path = bh_strndup(s, k);
	}
	if (reg_cred_load(r, h, path, err) < 0)
		goto out;
	if (!bearer) {
		pthread_mutex_lock(&r->lock);
		h->auth = REG_AUTH_BASIC;
		pthread_mutex_unlock(&r->lock);
		if (!h->cred.secret || h->cred.identity) {
			bh_error_set(
				err, BH_ERR_IO,
				"registry %s requires a user name and password: log in (docker "
				"login, podman login) or give --authfile",
				h->hostport);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (!bearer->realm || !*bearer->realm) {
		bh_error_set(err, BH_ERR_INVALID, "registry %s: a bearer challenge without a realm",
			     h->hostport);
		goto out;
	}
	pthread_mutex_lock(&r->lock);
	h->auth = REG_AUTH_BEARER;
	if (!h->realm || strcmp(h->realm, bearer->realm)) {
		free(h->realm);
		h->realm = bh_strdup(bearer->realm);
	}
	free(h->service);
	h->service = bearer->service && *bearer->service ? bh_strdup(bearer->service) : NULL;
	pthread_mutex_unlock(&r->lock);
	scopes = merge_scopes(scope, bearer->scope);
	/* one thread asks; the others waiting here find its token */
	pthread_mutex_lock(&h->auth_lock);
	if (have_token(r, h, scope ? scope : scopes))
		rc = 0;
	else
		rc = fetch_token(r, h, bearer->realm, bearer->service, scope ? scope : scopes, err);
	pthread_mutex_unlock(&h->auth_lock);
	if (rc == 0 && scope && strcmp(scope, scopes))
		bh_debug("registry %s: the challenge also asked for '%s'", h->hostport,
			 bearer->scope);
out:
	bh_registry_challenges_free(c, n);
	free(scopes);
	free(path);
	return rc;
}

int reg_token_renew(struct bh_registry *r, struct reg_host *h, const char *scope,
		    struct bh_error **err)
{
	char *realm, *service;
	int rc;

	pthread_mutex_lock(&r->lock);
	realm = h->realm ? bh_strdup(h->realm) : NULL;
	service = h->service ? bh_strdup(h->service) : NULL;
	pthread_mutex_unlock(&r->lock);
	if (!realm)
		return bh_error_set(err, BH_ERR_INTERNAL, "registry %s: no token realm known",
				    h->hostport);
	rc = reg_cred_load(r, h, NULL, err);
	pthread_mutex_lock(&h->auth_lock);
	if (rc == 0 && !have_token(r, h, scope))
		rc = fetch_token(r, h, realm, service, scope, err);
	pthread_mutex_unlock(&h->auth_lock);
	free(realm);
	free(service);
	return rc;
}
