/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registry authentication: the WWW-Authenticate challenges of a 401 (basic,
 * bearer), credentials from the files `docker login` and `podman login`
 * write (with their credential helpers, run as separate processes), bearer
 * tokens from the registry's token service, cached per scope until they
 * expire. Also the Link header of paginated answers.
 *
 * Secrets (passwords, identity tokens, bearer tokens) go only into
 * Authorization headers: never into a log line or an error message.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "banned.h"

#define MAX_CHALLENGE  8192
#define MAX_CHALLENGES 8
#define MAX_PARAMS     16
#define MAX_AUTHFILE   (1u << 20)
#define MAX_HELPER_OUT (64u << 10)
#define HELPER_TIMEOUT 10
#define TOKEN_MIN_LIFE 60 /* seconds, the token spec's default */
#define TOKEN_MARGIN   10 /* seconds before expiry a token is renewed */

extern char **environ;

/* ---- WWW-Authenticate (RFC 7235) ------------------------------------------ */

static bool tchar(char c)
{
	return bh_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool token68_char(char c)
{
	return bh_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
	       c == '/';
}

static size_t skip_ows(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* A quoted-string at s[i] == '"': its unescaped content into out. */
static int quoted(const char *s, size_t *i, size_t n, struct bh_buf *out, struct bh_error **err)
{
	size_t k = *i + 1;

	bh_buf_reset(out);
	while (k < n && s[k] != '"') {
		char c = s[k];

		if (c == '\\') {
			if (++k >= n)
				break;
			c = s[k];
		}
		if (((unsigned char)c < 0x20 && c != '\t') || c == 0x7f)
			return bh_error_set(
				err, BH_ERR_INVALID,
				"WWW-Authenticate: a control character in a quoted string");
		if (bh_buf_addc(out, c, err) < 0)
			return -1;
		k++;
	}
	if (k >= n)
		return bh_error_set(err, BH_ERR_INVALID, "WWW-Authenticate: unterminated quote");
	*i = k + 1;
	if (!out->data)
		bh_buf_adds(out, "", NULL);
	return 0;
}

void bh_registry_challenges_free(struct bh_registry_challenge *c, size_t n)
{
	if (!c)
		return;
	for (size_t i = 0; i < n; i++) {
		free(c[i].scheme);
		free(c[i].realm);
		free(c[i].service);
		free(c[i].scope);
		free(c[i].error);
	}
	free(c);
}

static char **param_slot(struct bh_registry_challenge *c, const char *name, size_t len)
{
	static const char *const names[] = { "realm", "service", "scope", "error" };

	for (size_t i = 0; i < 4; i++)
		if (strlen(names[i]) == len && !strncasecmp(names[i], name, len))
			return i == 0	? &c->realm
			       : i == 1 ? &c->service
			       : i == 2 ? &c->scope
					: &c->error;
	return NULL;
}

/*
 * challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 * auth-param = token BWS "=" BWS ( token / quoted-string )
 * Challenges are separated by commas, like the auth-params inside them: a
 * token not followed by '=' starts the next challenge.
 */
int bh_registry_challenges_parse(const char *s, size_t n, struct bh_registry_challenge **out,
				 size_t *nout, struct bh_error **err)
{
	struct bh_registry_challenge *c = NULL;
	struct bh_buf val = BH_BUF_INIT(MAX_CHALLENGE);
	size_t nc = 0, i = 0;

	*out = NULL;
	*nout = 0;
	if (n > MAX_CHALLENGE)
		return bh_error_set(err, BH_ERR_LIMIT, "WWW-Authenticate: more than %d bytes",
				    MAX_CHALLENGE);
	c = bh_calloc(MAX_CHALLENGES, sizeof(*c));
	for (;;) {
		size_t start, nparams = 0;
		bool first = true;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		if (i >= n)
			break;
		start = i;
		while (i < n && tchar(s[i]))
			i++;
		if (i == start) {
			bh_error_set(
				err, BH_ERR_INVALID,
				"WWW-Authenticate: expected an authentication scheme at byte %zu",
				start);
			goto fail;
		}
		if (nc == MAX_CHALLENGES) {
			bh_error_set(err, BH_ERR_LIMIT, "WWW-Authenticate: more than %d challenges",
				     MAX_CHALLENGES);
			goto fail;
		}
		c[nc].scheme = bh_strndup(s + start, i - start);
		for (char *p = c[nc].scheme; *p; p++)
			*p = (char)bh_tolower(*p);
		nc++;
		if (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != ',') {
			bh_error_set(err, BH_ERR_INVALID,
				     "WWW-Authenticate: unexpected '%c' after the scheme",
				     bh_isprint(s[i]) ? s[i] : '?');
			goto fail;
		}
		for (;;) {
			size_t ns, nl, k;
			bool comma = false;
			char **slot;

			i = skip_ows(s, i, n);
			while (i < n && s[i] == ',') {
				comma = true;
				i = skip_ows(s, i + 1, n);
			}
			if (i >= n)
				break;
			if (first && !comma) {
				/* a token68 ("Basic dXNlcjpwYXNz=="): skipped, unused */
				size_t t;

				for (k = i; k < n && token68_char(s[k]); k++)
					;
				for (t = k; t < n && s[t] == '='; t++)
					;
				if (k > i &&
				    (skip_ows(s, t, n) >= n || s[skip_ows(s, t, n)] == ',')) {
					i = t;
					first = false;
					continue;
				}
			}
			first = false;
			ns = i;
			while (i < n && tchar(s[i]))
				i++;
			nl = i - ns;
			if (nl == 0) {
				bh_error_set(err, BH_ERR_INVALID,
					     "WWW-Authenticate: unexpected '%c' at byte %zu",
					     bh_isprint(s[i]) ? s[i] : '?', i);
				goto fail;
			}
			k = skip_ows(s, i, n);
			if (k >= n || s[k] != '=') {
				i = ns; /* the next challenge's scheme */
				break;
			}
			i = skip_ows(s, k + 1, n);
			if (i < n && s[i] == '"') {
				if (quoted(s, &i, n, &val, err) < 0)
					goto fail;
			} else {
				size_t vs = i;

				while (i < n && tchar(s[i]))
					i++;
				if (i == vs) {
					bh_error_set(err, BH_ERR_INVALID,
						     "WWW-Authenticate: parameter '%.*s' has no "
						     "value",
						     (int)(nl > 40 ? 40 : nl), s + ns);
					goto fail;
				}
				bh_buf_reset(&val);
				if (bh_buf_add(&val, s + vs, i - vs, err) < 0)
					goto fail;
			}
			if (++nparams > MAX_PARAMS) {
				bh_error_set(err, BH_ERR_LIMIT,
					     "WWW-Authenticate: more than %d parameters",
					     MAX_PARAMS);
				goto fail;
			}
			slot = param_slot(&c[nc - 1], s + ns, nl);
			if (slot) {
				if (*slot) {
					bh_error_set(err, BH_ERR_INVALID,
						     "WWW-Authenticate: parameter '%.*s' twice",
						     (int)nl, s + ns);
					goto fail;
				}
				*slot = bh_strdup(val.data ? val.data : "");
			}
			i = skip_ows(s, i, n);
			if (i < n && s[i] != ',') {
				bh_error_set(err, BH_ERR_INVALID,
					     "WWW-Authenticate: expected ',' at byte %zu", i);
				goto fail;
			}
		}
	}
	bh_buf_release(&val);
	if (nc == 0) {
		free(c);
		return bh_error_set(err, BH_ERR_INVALID, "WWW-Authenticate: no challenge");
	}
	*out = c;
	*nout = nc;
	return (int)nc;
fail:
	bh_buf_release(&val);
	bh_registry_challenges_free(c, nc);
	return -1;
}

/* ---- Link (RFC 8288), for pagination -------------------------------------- */

char *bh_registry_link_next(const char *s, size_t n)
{
	size_t i = 0;

	if (n > MAX_CHALLENGE)
		return NULL;
	while (i < n) {
		size_t us, ue;
		bool next = false;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		if (i >= n || s[i] != '<')
			return NULL;
		us = ++i;
		while (i < n && s[i] != '>')
			i++;
		if (i >= n)
			return NULL;
		ue = i++;
		/* ; param=value ... */
		for (;;) {
			size_t ps, pl;
			const char *v;
			size_t vl;

			i = skip_ows(s, i, n);
			if (i >= n || s[i] != ';')
				break;
			i = skip_ows(s, i + 1, n);
			ps = i;
			while (i < n && tchar(s[i]))
				i++;
			pl = i - ps;
			i = skip_ows(s, i, n);
			if (i >= n || s[i] != '=')
				return NULL;
			i = skip_ows(s, i + 1, n);
			if (i < n && s[i] == '"') {
				v = s + i + 1;
				i++;
				while (i < n && s[i] != '"')
					i++;
				if (i >= n)
					return NULL;
				vl = (size_t)(s + i - v);
				i++;
			} else {
				v = s + i;
				while (i < n && tchar(s[i]))
					i++;
				vl = (size_t)(s + i - v);
			}
			if (pl == 3 && !strncasecmp(s + ps, "rel", 3)) {
				/* a space-separated list of relation types */
				for (size_t k = 0; k < vl;) {
					size_t e = k;

					while (e < vl && v[e] != ' ')
						e++;
					if (e - k == 4 && !strncasecmp(v + k, "next", 4))
						next = true;
					k = e + 1;
				}
			}
		}
		if (next && ue > us) {
			for (size_t k = us; k < ue; k++)
				if ((unsigned char)s[k] <= ' ' || s[k] == 0x7f)
					return NULL;
			return bh_strndup(s + us, ue - us);
		}
		i = skip_ows(s, i, n);
		if (i < n && s[i] != ',')
			return NULL;
	}
	return NULL;
}

/* ---- base64 ---------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *reg_base64_encode(const void *p, size_t n)
{
	const unsigned char *s = p;
	char *out = bh_malloc((n + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o = 0;
	return out;
}

char *reg_base64_decode(const char *s, size_t n, size_t *outlen)
{
	unsigned char *out;
	unsigned v = 0, bits = 0;
	size_t o = 0;

	while (n && (s[n - 1] == '=' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	out = bh_malloc(n * 3 / 4 + 2);
	for (size_t i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(b64, s[i]) : NULL;

		if (!p) {
			free(out);
			return NULL;
		}
		v = (v << 6) | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	if (bits >= 6) { /* a lone sixth bit group: not base64 */
		free(out);
		return NULL;
	}
	out[o] = 0;
	*outlen = o;
	return (char *)out;
}

/* ---- credentials files ----------------------------------------------------- */

void bh_registry_cred_release(struct bh_registry_cred *c)
{
	if (!c)
		return;
	if (c->secret)
		explicit_bzero(c->secret, strlen(c->secret));
	free(c->username);
	free(c->secret);
	free(c->helper);
	memset(c, 0, sizeof(*c));
}

/* An auths key as docker and podman compare them: no scheme, and for the
 * old URL form ("https://index.docker.io/v1/") no path; Docker Hub's names
 * are one. */
static char *norm_key(const char *k)
{
	bool url = false;
	char *s;
	size_t n;

	if (bh_str_has_prefix(k, "https://")) {
		k += 8;
		url = true;
	} else if (bh_str_has_prefix(k, "http://")) {
		k += 7;
		url = true;
	}
	n = url ? strcspn(k, "/") : strlen(k);
	while (n && k[n - 1] == '/')
		n--;
	s = bh_strndup(k, n);
	if (bh_str_has_prefix(s, "index.docker.io") ||
	    bh_str_has_prefix(s, "registry-1.docker.io")) {
		const char *rest = s + strcspn(s, "/");
		char *t = bh_asprintf("docker.io%s", rest);

		free(s);
		s = t;
	}
	return s;
}

static bool helper_name_ok(const char *h)
{
	if (!*h || strlen(h) > 64)
		return false;
	for (; *h; h++)
		if (!bh_isalnum(*h) && *h != '-' && *h != '_' && *h != '.')
			return false;
	return true;
}

/* An "auths" entry: 1 if it holds credentials. */
static int auth_entry(const json_t *e, const char *what, const char *key,
		      struct bh_registry_cred *out, struct bh_error **err)
{
	const char *a = bh_json_str(e, "auth"), *id = bh_json_str(e, "identitytoken");
	const char *u = bh_json_str(e, "username"), *p = bh_json_str(e, "password");

	if (!json_is_object(e))
		return bh_error_set(err, BH_ERR_INVALID, "%s: auths[\"%.100s\"] is not an object",
				    what, key);
	if (a && *a) {
		size_t n;
		char *d = reg_base64_decode(a, strlen(a), &n), *colon;

		if (!d || memchr(d, 0, n) || !(colon = strchr(d, ':'))) {
			if (d) {
				explicit_bzero(d, n);
				free(d);
			}
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: auths[\"%.100s\"].auth is not base64 of "
					    "user:password",
					    what, key);
		}
		out->username = bh_strndup(d, (size_t)(colon - d));
		out->secret = bh_strdup(colon + 1);
		explicit_bzero(d, n);
		free(d);
	} else if (u && p && *u) {
		out->username = bh_strdup(u);
		out->secret = bh_strdup(p);
	}
	if (id && *id) {
		/* docker login to an OAuth2 registry: the refresh token wins */
		if (out->secret)
			explicit_bzero(out->secret, strlen(out->secret));
		free(out->secret);
		out->secret = bh_strdup(id);
		out->identity = true;
	}
	return out->secret ? 1 : 0;
}

int bh_registry_auth_lookup(const char *buf, size_t len, const char *what, const char *domain,
			    const char *path, struct bh_registry_cred *out, struct bh_error **err)
{
	json_t *j = NULL, *auths, *helpers, *v;
	const char *store, *key;
	char *want = NULL, *ndom = norm_key(domain);
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (bh_json_parse(buf, len, MAX_AUTHFILE, what, &j, err) < 0)
		goto out;
	if (!json_is_object(j)) {
		bh_error_set(err, BH_ERR_INVALID, "%s is not a JSON object", what);
		goto out;
	}
	auths = json_object_get(j, "auths");
	helpers = json_object_get(j, "credHelpers");
	store = bh_json_str(j, "credsStore");
	if ((auths && !json_is_object(auths)) || (helpers && !json_is_object(helpers))) {
		bh_error_set(err, BH_ERR_INVALID, "%s: auths or credHelpers is not an object",
			     what);
		goto out;
	}
	/* a helper named for this registry comes first, as docker does */
	json_object_foreach (helpers, key, v) {
		char *nk = norm_key(key);
		bool hit = !strcmp(nk, ndom);

		free(nk);
		if (hit && json_is_string(v)) {
			if (!helper_name_ok(json_string_value(v))) {
				bh_error_set(err, BH_ERR_UNSAFE,
					     "%s: credHelpers[\"%.100s\"] is not a helper name",
					     what, key);
				goto out;
			}
			out->helper = bh_strdup(json_string_value(v));
			r = 1;
			goto out;
		}
	}
	/* then the most specific "auths" key: domain/a/b, domain/a, domain */
	want = bh_asprintf("%s%s%s", ndom, path && *path ? "/" : "", path ? path : "");
	for (;;) {
		json_object_foreach (auths, key, v) {
			char *nk = norm_key(key);
			bool hit = !strcmp(nk, want);

			free(nk);
			if (!hit)
				continue;
			r = auth_entry(v, what, key, out, err);
			if (r != 0)
				goto out;
		}
		{
			char *slash = strrchr(want, '/');

			if (!slash || (size_t)(slash - want) < strlen(ndom))
				break;
			*slash = 0;
		}
	}
	if (store && *store) {
		if (!helper_name_ok(store)) {
			bh_error_set(err, BH_ERR_UNSAFE, "%s: credsStore is not a helper name",
				     what);
			goto out;
		}
		out->helper = bh_strdup(store);
		r = 1;
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		bh_registry_cred_release(out);
	json_decref(j);
	free(want);
	free(ndom);
	return r;
}

/* ---- credential helpers ---------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int reg_cred_helper(const char *helper, const char *server, unsigned timeout,
		    struct bh_registry_cred *out, struct bh_error **err)
{
	char prog[96];
	char *argv[] = { prog, "get", NULL };
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, devnull = -1, status = 0, r = -1;
	posix_spawn_file_actions_t fa;
	struct bh_buf b = BH_BUF_INIT(MAX_HELPER_OUT);
	int64_t deadline = now_ms() + (int64_t)(timeout ? timeout : HELPER_TIMEOUT) * 1000;
	pid_t pid = -1;
	bool exited = false;
	json_t *j = NULL;

	memset(out, 0, sizeof(*out));
	snprintf(prog, sizeof(prog), "docker-credential-%s", helper);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
	    (devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		bh_error_sys(err, errno, "running %s", prog);
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	errno = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (errno) {
		bh_error_sys(err, errno, "running the credential helper %s", prog);
		pid = -1;
		goto out;
	}
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	{
		/* the helper reads the server URL from its standard input */
		struct sigaction ign = { .sa_handler = SIG_IGN }, old;

		sigaction(SIGPIPE, &ign, &old);
		if (bh_write_all(in[1], server, strlen(server), NULL) < 0)
			bh_debug("registry: %s did not read its input", prog);
		sigaction(SIGPIPE, &old, NULL);
		close(in[1]);
		in[1] = -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = outp[0], .events = POLLIN };
		int64_t left = deadline - now_ms();
		char tmp[4096];
		ssize_t n;

		if (left <= 0) {
			bh_error_set(err, BH_ERR_IO,
				     "the credential helper %s did not answer in %u "
				     "seconds",
				     prog, timeout ? timeout : HELPER_TIMEOUT);
			goto out;
		}
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR) {
			bh_error_sys(err, errno, "reading from %s", prog);
			goto out;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(outp[0], tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (bh_buf_add(&b, tmp, (size_t)n, NULL) < 0) {
			bh_error_set(err, BH_ERR_LIMIT, "%s: more than %u bytes of output", prog,
				     MAX_HELPER_OUT);
			goto out;
		}
	}
	while (!exited) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			exited = true;
		} else if (w < 0 && errno != EINTR) {
			bh_error_sys(err, errno, "waiting for %s", prog);
			goto out;
		} else if (now_ms() >= deadline) {
			bh_error_set(err, BH_ERR_IO,
				     "the credential helper %s did not exit in %u "
				     "seconds",
				     prog, timeout ? timeout : HELPER_TIMEOUT);
			goto out;
		} else {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* "credentials not found in native keychain" is an answer, not a failure */
		if (b.data && strstr(b.data, "credentials not found")) {
			r = 0;
			goto out;
		}
		bh_error_set(err, BH_ERR_IO, "the credential helper %s failed (%s %d)", prog,
			     WIFEXITED(status) ? "exit status" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto out;
	}
	if (bh_json_parse(b.data ? b.data : "", b.len, MAX_HELPER_OUT, prog, &j, NULL) < 0 ||
	    !bh_json_str(j, "Secret")) {
		bh_error_set(err, BH_ERR_INVALID,
			     "the credential helper %s answered something other than "
			     "{\"Username\", \"Secret\"}",
			     prog);
		goto out;
	}
	out->username = bh_strdup(bh_json_str(j, "Username") ? bh_json_str(j, "Username") : "");
	out->secret = bh_strdup(bh_json_str(j, "Secret"));
	out->identity = !strcmp(out->username, "<token>");
	r = 1;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	if (devnull >= 0)
		close(devnull);
	if (b.data)
		explicit_bzero(b.data, b.len);
	bh_buf_release(&b);
	if (j) {
		/* the parsed copy of the secret goes with the JSON */
		json_t *s = json_object_get(j, "Secret");

		if (json_is_string(s))
			explicit_bzero((char *)json_string_value(s), json_string_length(s));
		json_decref(j);
	}
	return r;
}

/* The credential files in the order podman, then docker, read them. */
static char **auth_files(const struct bh_registry *r)
{
	struct bh_strvec sv = BH_STRVEC_INIT;
	const char *e;

	if (r->authfile) {
		bh_strvec_push(&sv, r->authfile);
		return bh_strvec_detach(&sv);
	}
	if ((e = getenv("REGISTRY_AUTH_FILE")) && *e)
		bh_strvec_push(&sv, e);
	if ((e = getenv("XDG_RUNTIME_DIR")) && *e)
		bh_strvec_pushf(&sv, "%s/containers/auth.json", e);
	if ((e = getenv("HOME")) && *e)
		bh_strvec_pushf(&sv, "%s/.config/containers/auth.json", e);
	if ((e = getenv("DOCKER_CONFIG")) && *e)
		bh_strvec_pushf(&sv, "%s/config.json", e);
	else if ((e = getenv("HOME")) && *e)
		bh_strvec_pushf(&sv, "%s/.docker/config.json", e);
	return bh_strvec_detach(&sv);
}

int reg_cred_load(struct bh_registry *r, struct reg_host *h, const char *path,
		  struct bh_error **err)
{
	char **files;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if (h->cred_loaded) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	pthread_mutex_unlock(&r->lock);
	files = auth_files(r);
	for (char **f = files; f && *f; f++) {
		struct bh_buf b = BH_BUF_INIT(MAX_AUTHFILE);
		struct bh_registry_cred c;
		struct bh_error *e = NULL;
		int found;

		if (bh_read_file(*f, &b, &e) < 0) {
			if (bh_error_errno(e) == ENOENT && !r->authfile) {
				bh_error_free(e);
				bh_buf_release(&b);
				continue;
			}
			*err = e;
			bh_buf_release(&b);
			rc = bh_error_prefix(err, "credentials");
			break;
		}
		found = bh_registry_auth_lookup(b.data, b.len, *f, h->domain, path, &c, err);
		explicit_bzero(b.data, b.len);
		bh_buf_release(&b);
		if (found < 0) {
			rc = -1;
			break;
		}
		if (found && c.helper) {
			char *helper = c.helper;
			const char *server = strcmp(h->domain, "docker.io")
						     ? h->domain
						     : "https://index.docker.io/v1/";

			c.helper = NULL;
			bh_debug("registry %s: credentials from docker-credential-%s", h->domain,
				 helper);
			found = reg_cred_helper(
				helper, server,
				r->timeout < HELPER_TIMEOUT ? r->timeout : HELPER_TIMEOUT, &c, err);
			free(helper);
			if (found < 0) {
				rc = bh_error_prefix(err, "registry %s", h->domain);
				break;
			}
		}
		if (found) {
			bh_debug("registry %s: credentials for user '%s' from %s", h->domain,
				 c.identity ? "(identity token)" : c.username, *f);
			pthread_mutex_lock(&r->lock);
			if (!h->cred_loaded) {
				h->cred = c;
				memset(&c, 0, sizeof(c));
			}
			pthread_mutex_unlock(&r->lock);
			bh_registry_cred_release(&c);
			break;
		}
	}
	bh_strv_free(files);
	if (rc == 0) {
		pthread_mutex_lock(&r->lock);
		h->cred_loaded = true;
		pthread_mutex_unlock(&r->lock);
	}
	return rc;
}

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

char *reg_auth_header(struct bh_registry *r, struct reg_host *h, const char *scope)
{
	char *hdr = NULL;

	pthread_mutex_lock(&r->lock);
	if (h->auth == REG_AUTH_BASIC && h->cred.secret && !h->cred.identity) {
		char *up = bh_asprintf("%s:%s", h->cred.username ? h->cred.username : "",
				       h->cred.secret);
		char *b = reg_base64_encode(up, strlen(up));

		hdr = bh_asprintf("Authorization: Basic %s", b);
		explicit_bzero(up, strlen(up));
		explicit_bzero(b, strlen(b));
		free(up);
		free(b);
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

void reg_token_drop(struct bh_registry *r, struct reg_host *h, const char *scope,
		    const char *used)
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
		char *up = bh_asprintf("%s:%s", h->cred.username ? h->cred.username : "",
				       h->cred.secret);
		char *b = reg_base64_encode(up, strlen(up));

		authz = bh_asprintf("Authorization: Basic %s", b);
		explicit_bzero(up, strlen(up));
		explicit_bzero(b, strlen(b));
		free(up);
		free(b);
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
		rc = fetch_token(r, h, bearer->realm, bearer->service, scope ? scope : scopes,
				 err);
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
