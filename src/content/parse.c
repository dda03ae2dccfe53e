/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsers of untrusted bytes for the configuration checks and the secret
 * scanner: /etc/passwd, the created_by strings of an image's history, and
 * the package managers' lists of the files they installed, with their
 * checksums (dpkg .list and .md5sums, apk installed). Each takes (pointer,
 * length), reads nothing past it, and has a size limit and a fuzz target
 * (fuzz/fuzz_passwd.c, fuzz/fuzz_history.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulkhead/content.h"
#include "internal.h"
#include "banned.h"

#define MAX_LIST    (64u << 20)
#define MAX_HISTORY (64u << 10)

/* The next line of (p, end) into [*ls, *le), newline excluded. */
static bool next_line(const char **p, const char *end, const char **ls, const char **le)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*ls = *p;
	*le = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	return true;
}

int bh_content_passwd_uid(const char *buf, size_t len, const char *name, uint32_t *uid,
			  struct bh_error **err)
{
	const char *p = buf, *end = buf + len, *ls, *le;
	size_t nl = strlen(name);

	if (len > BH_CONTENT_MAX_PASSWD)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "/etc/passwd: %zu bytes, over the limit of %u", len,
				    BH_CONTENT_MAX_PASSWD);
	if (!nl)
		return 0;
	while (next_line(&p, end, &ls, &le)) {
		/* name:password:uid:gid:gecos:home:shell */
		const char *f[4];
		size_t nf = 0;
		uint64_t v = 0;

		if (ls == le || *ls == '#' || *ls == '+' || *ls == '-')
			continue;
		f[nf++] = ls;
		for (const char *c = ls; c < le && nf < 4; c++)
			if (*c == ':')
				f[nf++] = c + 1;
		if (nf < 4)
			continue;
		if ((size_t)(f[1] - 1 - f[0]) != nl || memcmp(f[0], name, nl))
			continue;
		if (f[2] >= le || *f[2] == ':')
			continue;
		for (const char *c = f[2]; c < le && *c != ':'; c++) {
			if (*c < '0' || *c > '9' || v > UINT32_MAX / 10) {
				v = UINT64_MAX;
				break;
			}
			v = v * 10 + (uint64_t)(*c - '0');
		}
		if (v > UINT32_MAX)
			continue;
		*uid = (uint32_t)v;
		return 1;
	}
	return 0;
}

/* ---- credential names ---------------------------------------------------- */

static bool has_word(const char *s, size_t n, const char *w)
{
	size_t m = strlen(w);

	for (size_t i = 0; i + m <= n; i++)
		if (!strncasecmp(s + i, w, m))
			return true;
	return false;
}

static bool ends_with_word(const char *s, size_t n, const char *w)
{
	size_t m = strlen(w);

	return n > m && !strncasecmp(s + n - m, w, m) &&
	       (s[n - m - 1] == '_' || s[n - m - 1] == '-' || s[n - m - 1] == '.');
}

bool bh_content_credential_name(const char *name, size_t len)
{
	static const char *const words[] = {
		"password",    "passwd",     "passphrase",    "secret",		"token",
		"apikey",      "api_key",    "api-key",	      "access_key",	"accesskey",
		"private_key", "privatekey", "credential",    "encryption_key", "signing_key",
		"master_key",  "auth_key",   "client_secret", "db_pass",	"_pwd",
	};
	/* Names that point at a secret or describe it, rather than hold it. */
	static const char *const not_values[] = {
		"file",	   "path",	"dir",	    "length",  "policy", "enabled", "mode",
		"type",	   "name",	"id",	    "host",    "port",	 "user",    "username",
		"version", "header",	"prefix",   "expires", "expiry", "ttl",	    "timeout",
		"size",	   "location",	"endpoint", "url",     "uri",	 "min",	    "max",
		"count",   "algorithm", "method",   "field",   "env",	 "var",	    "key_id",
	};
	bool hit = false;

	if (!len || len > 256)
		return false;
	if ((len == 3 && !strncasecmp(name, "PWD", 3)) ||
	    (len == 6 && !strncasecmp(name, "OLDPWD", 6)))
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && !hit; i++)
		hit = has_word(name, len, words[i]);
	if (!hit && len >= 3 && !strncasecmp(name + len - 3, "pwd", 3))
		hit = true;
	if (!hit)
		return false;
	for (size_t i = 0; i < sizeof(not_values) / sizeof(not_values[0]); i++)
		if (ends_with_word(name, len, not_values[i]))
			return false;
	return true;
}

/* ---- history ------------------------------------------------------------- */

struct tok {
	const char *s;
	size_t n;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool tok_eq(const struct tok *t, const char *w)
{
	return t->n == strlen(w) && !memcmp(t->s, w, t->n);
}

static bool tok_prefix_ci(const struct tok *t, const char *w)
{
	size_t m = strlen(w);

	return t->n >= m && !strncasecmp(t->s, w, m);
}

/* Strip quotes a shell would remove around a whole word. */
static struct tok unquote(struct tok t)
{
	while (t.n >= 1 && (t.s[0] == '"' || t.s[0] == '\'' || t.s[0] == '(' || t.s[0] == '`')) {
		t.s++;
		t.n--;
	}
	while (t.n >= 1 && (t.s[t.n - 1] == '"' || t.s[t.n - 1] == '\'' || t.s[t.n - 1] == ')' ||
			    t.s[t.n - 1] == ';' || t.s[t.n - 1] == '`'))
		t.n--;
	return t;
}

static void copy_trunc(char *dst, size_t dsz, const char *s, size_t n)
{
	if (n >= dsz)
		n = dsz - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20)
			dst[i] = ' ';
}

static void check_add(const char *s, size_t len, struct bh_history_issues *out)
{
	struct tok t;
	const char *p = s, *end = s + len;
	bool after_add = false, pinned = false;
	struct tok url = { NULL, 0 };

	while (p < end) {
		while (p < end && is_blank(*p))
			p++;
		t.s = p;
		while (p < end && !is_blank(*p))
			p++;
		t.n = (size_t)(p - t.s);
		if (!t.n)
			break;
		if (!after_add) {
			/* "ADD" as Dockerfile and BuildKit history write it. */
			if (tok_eq(&t, "ADD"))
				after_add = true;
			continue;
		}
		if (t.n >= 2 && t.s[0] == '-' && t.s[1] == '-') {
			if (tok_prefix_ci(&t, "--checksum="))
				pinned = true;
			continue;
		}
		if (tok_eq(&t, "#") || tok_eq(&t, "in") || tok_eq(&t, "&&") || tok_eq(&t, ";"))
			break;
		t = unquote(t);
		if (!url.s && (tok_prefix_ci(&t, "http://") || tok_prefix_ci(&t, "https://") ||
			       tok_prefix_ci(&t, "git://") || tok_prefix_ci(&t, "git@") ||
			       tok_prefix_ci(&t, "ftp://")))
			url = t;
	}
	if (url.s && !pinned) {
		out->flags |= BH_HIST_ADD_URL;
		copy_trunc(out->url, sizeof(out->url), url.s, url.n);
	}
}

static const char *const fetchers[] = { "curl", "wget", "fetch", "aria2c", "http", "lwp-request" };
static const char *const shells[] = { "sh",   "bash", "dash",	"zsh",	   "ash",     "ksh",
				      "mksh", "fish", "python", "python2", "python3", "perl",
				      "ruby", "node", "php",	"pwsh" };

/* The basename of a command word: "/usr/bin/bash" -> "bash". */
static struct tok base(struct tok t)
{
	for (size_t i = t.n; i-- > 0;) {
		if (t.s[i] == '/') {
			t.s += i + 1;
			t.n -= i + 1;
			break;
		}
	}
	return t;
}

static bool word_in(struct tok t, const char *const *list, size_t n)
{
	t = base(unquote(t));
	/* python3.11, php8 */
	for (size_t i = 0; i < n; i++) {
		size_t m = strlen(list[i]);

		if (t.n >= m && !memcmp(t.s, list[i], m) &&
		    (t.n == m || (t.s[m] >= '0' && t.s[m] <= '9') || t.s[m] == '.'))
			return true;
	}
	return false;
}

/* First command word of a segment, skipping sudo, env, VAR=value, flags of
 * those wrappers. */
static bool first_command(const char *s, const char *end, struct tok *out)
{
	const char *p = s;
	bool wrapper = false;

	while (p < end) {
		struct tok t;

		while (p < end && (is_blank(*p) || *p == '(' || *p == '{'))
			p++;
		t.s = p;
		while (p < end && !is_blank(*p))
			p++;
		t.n = (size_t)(p - t.s);
		if (!t.n)
			return false;
		if (tok_eq(&t, "sudo") || tok_eq(&t, "env") || tok_eq(&t, "exec") ||
		    tok_eq(&t, "time") || tok_eq(&t, "nohup") || tok_eq(&t, "command")) {
			wrapper = true;
			continue;
		}
		if (wrapper && t.s[0] == '-')
			continue;
		if (memchr(t.s, '=', t.n) && !memchr(t.s, '/', t.n) && t.s[0] != '-')
			continue; /* VAR=value */
		*out = t;
		return true;
	}
	return false;
}

static bool segment_has_fetcher(const char *s, const char *end)
{
	const char *p = s;

	while (p < end) {
		struct tok t;

		while (p < end &&
		       (is_blank(*p) || *p == '(' || *p == '$' || *p == '`' || *p == '"'))
			p++;
		t.s = p;
		while (p < end && !is_blank(*p))
			p++;
		t.n = (size_t)(p - t.s);
		if (t.n && word_in(t, fetchers, sizeof(fetchers) / sizeof(fetchers[0])))
			return true;
	}
	return false;
}

static bool is_sep(const char *p, const char *end)
{
	return *p == ';' || *p == '\n' || (*p == '&' && p + 1 < end && p[1] == '&') ||
	       (*p == '|' && p + 1 < end && p[1] == '|');
}

static void check_pipe(const char *s, size_t len, struct bh_history_issues *out)
{
	const char *end = s + len, *seg = s;

	for (const char *p = s; p < end; p++) {
		const char *next, *q;
		struct tok cmd;

		if (is_sep(p, end)) {
			if (*p != ';' && *p != '\n')
				p++;
			seg = p + 1;
			continue;
		}
		if (*p != '|')
			continue;
		/* seg..p is the left side of a pipe; p+1.. up to a separator the right. */
		next = p + 1;
		for (q = next; q < end && !is_sep(q, end) && *q != '|'; q++)
			;
		if (segment_has_fetcher(seg, p) && first_command(next, q, &cmd) &&
		    word_in(cmd, shells, sizeof(shells) / sizeof(shells[0]))) {
			const char *a = seg;

			while (a < p && is_blank(*a))
				a++;
			out->flags |= BH_HIST_PIPE_SHELL;
			copy_trunc(out->fetcher, sizeof(out->fetcher), a, (size_t)(q - a));
			return;
		}
		seg = p + 1;
	}
	/* bash <(curl ...), sh -c "$(wget -O- ...)", source <(curl ...) */
	for (const char *p = s; p < end; p++) {
		struct tok w;
		const char *q, *b;
		int words = 0;

		if (!((*p == '<' || *p == '$') && p + 1 < end && p[1] == '('))
			continue;
		/* Bounded looks both ways keep hostile input ("$($($(...") linear. */
		for (q = p + 2; q < end && q - p < 256 && *q != ')' && *q != '\n'; q++)
			;
		if (!segment_has_fetcher(p + 2, q))
			continue;
		/* The word before it (after an option such as -c) runs it. */
		b = p;
		while (words++ < 3) {
			const char *lim = b - s > 64 ? b - 64 : s;

			while (b > lim && (is_blank(b[-1]) || b[-1] == '"' || b[-1] == '\''))
				b--;
			lim = b - s > 128 ? b - 128 : s;
			w.s = b;
			while (w.s > lim && !is_blank(w.s[-1]) && w.s[-1] != ';' &&
			       w.s[-1] != '&' && w.s[-1] != '|')
				w.s--;
			w.n = (size_t)(b - w.s);
			if (!w.n)
				break;
			if (w.s[0] == '-') {
				b = w.s;
				continue;
			}
			if (word_in(w, shells, sizeof(shells) / sizeof(shells[0])) ||
			    tok_eq(&w, "source") || tok_eq(&w, ".")) {
				const char *a = w.s;

				out->flags |= BH_HIST_PIPE_SHELL;
				copy_trunc(out->fetcher, sizeof(out->fetcher), a,
					   (size_t)((q < end ? q + 1 : q) - a));
				return;
			}
			break;
		}
	}
}

static void check_secret(const char *s, size_t len, struct bh_history_issues *out)
{
	const char *p = s, *end = s + len;

	while (p < end) {
		struct tok t, name, value;
		const char *eq;

		while (p < end && is_blank(*p))
			p++;
		t.s = p;
		/* A quoted value may hold blanks: NAME="a b". */
		while (p < end && !is_blank(*p)) {
			if (*p == '"' || *p == '\'') {
				const char *cq = memchr(p + 1, *p, (size_t)(end - p - 1));

				p = cq ? cq + 1 : end;
				continue;
			}
			p++;
		}
		t.n = (size_t)(p - t.s);
		eq = t.n ? memchr(t.s, '=', t.n) : NULL;
		if (!eq)
			continue;
		name.s = t.s;
		name.n = (size_t)(eq - t.s);
		/* ENV/ARG names: letters, digits, underscores (from after a leading "-e"). */
		if (!name.n || !(bh_isalpha((unsigned char)name.s[0]) || name.s[0] == '_'))
			continue;
		{
			bool ok = true;

			for (size_t i = 0; i < name.n && ok; i++)
				ok = bh_isalnum((unsigned char)name.s[i]) || name.s[i] == '_' ||
				     name.s[i] == '.' || name.s[i] == '-';
			if (!ok)
				continue;
		}
		value.s = eq + 1;
		value.n = (size_t)(t.s + t.n - value.s);
		if (value.n >= 2 && (value.s[0] == '"' || value.s[0] == '\'') &&
		    value.s[value.n - 1] == value.s[0]) {
			value.s++;
			value.n -= 2;
		}
		if (!value.n || !bh_content_credential_name(name.s, name.n) ||
		    content_looks_placeholder((const unsigned char *)value.s, value.n) ||
		    value.s[0] == '/')
			continue;
		out->flags |= BH_HIST_SECRET;
		copy_trunc(out->name, sizeof(out->name), name.s, name.n);
		if (value.n >= sizeof(out->value))
			value.n = sizeof(out->value) - 1;
		memcpy(out->value, value.s, value.n);
		out->value[value.n] = 0;
		return;
	}
}

unsigned bh_content_history_check(const char *s, size_t len, struct bh_history_issues *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return 0;
	if (len > MAX_HISTORY)
		len = MAX_HISTORY;
	check_add(s, len, out);
	check_pipe(s, len, out);
	check_secret(s, len, out);
	return out->flags;
}

/* ---- package file lists ---------------------------------------------------- */

int bh_content_dpkg_list(const char *buf, size_t len, bh_owned_fn fn, void *data,
			 struct bh_error **err)
{
	const char *p = buf, *end = buf + len, *ls, *le;
	int n = 0;

	if (len > MAX_LIST)
		return bh_error_set(err, BH_ERR_LIMIT, "dpkg file list: %zu bytes, over %u", len,
				    MAX_LIST);
	while (next_line(&p, end, &ls, &le)) {
		while (ls < le && *ls == '/')
			ls++;
		if (le > ls && le[-1] == '\r')
			le--;
		if (ls == le || (le - ls == 1 && *ls == '.') || memchr(ls, 0, (size_t)(le - ls)))
			continue;
		fn(ls, (size_t)(le - ls), NULL, NULL, data);
		n++;
	}
	return n;
}

int bh_content_dpkg_md5sums(const char *buf, size_t len, bh_owned_fn fn, void *data,
			    struct bh_error **err)
{
	const char *p = buf, *end = buf + len, *ls, *le;
	char sum[33];
	int n = 0;

	if (len > MAX_LIST)
		return bh_error_set(err, BH_ERR_LIMIT, "dpkg md5sums: %zu bytes, over %u", len,
				    MAX_LIST);
	while (next_line(&p, end, &ls, &le)) {
		const char *q = ls + 32;
		unsigned char raw[16];

		/* "<32 hex digits>  <path>", as md5sum writes it ("*" for binary mode);
		 * the digits in lower case whatever the file's. */
		if (le - ls < 34 || bh_hex_decode(ls, 32, BH_HEX_ANY_CASE, raw, 16) != 16 ||
		    (*q != ' ' && *q != '\t'))
			continue;
		bh_hex_encode(raw, 16, sum);
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q < le && *q == '*')
			q++;
		while (q < le && *q == '/')
			q++;
		if (le > q && le[-1] == '\r')
			le--;
		if (q >= le || memchr(q, 0, (size_t)(le - q)))
			continue;
		fn(q, (size_t)(le - q), NULL, sum, data);
		n++;
	}
	return n;
}

/* An apk file (R:) waits for its checksum (Z:, on a later line). */
struct apk_file {
	char path[8192];
	size_t n;
	char sum[128];
	bool pending;
};

static void apk_flush(struct apk_file *af, const char *pkg, bh_owned_fn fn, void *data, int *n)
{
	if (!af->pending)
		return;
	fn(af->path, af->n, pkg[0] ? pkg : NULL, af->sum[0] ? af->sum : NULL, data);
	(*n)++;
	af->pending = false;
}

int bh_content_apk_files(const char *buf, size_t len, bh_owned_fn fn, void *data,
			 struct bh_error **err)
{
	const char *p = buf, *end = buf + len, *ls, *le;
	char dir[4096] = "", pkg[256] = "";
	struct apk_file *af;
	int n = 0;

	if (len > MAX_LIST)
		return bh_error_set(err, BH_ERR_LIMIT, "apk database: %zu bytes, over %u", len,
				    MAX_LIST);
	af = bh_calloc(1, sizeof(*af));
	while (next_line(&p, end, &ls, &le)) {
		size_t vl = (size_t)(le - ls) - (le - ls >= 2 ? 2 : (size_t)(le - ls));
		const char *v = ls + 2;

		if (ls == le) {
			apk_flush(af, pkg, fn, data, &n);
			dir[0] = pkg[0] = 0;
			continue;
		}
		if (le - ls < 2 || ls[1] != ':' || memchr(v, 0, vl))
			continue;
		switch (ls[0]) {
		case 'P':
			apk_flush(af, pkg, fn, data, &n);
			copy_trunc(pkg, sizeof(pkg), v, vl);
			break;
		case 'F':
			apk_flush(af, pkg, fn, data, &n);
			while (vl && *v == '/') {
				v++;
				vl--;
			}
			copy_trunc(dir, sizeof(dir), v, vl);
			break;
		case 'R': {
			int k;

			apk_flush(af, pkg, fn, data, &n);
			if (!vl || memchr(v, '/', vl))
				break;
			k = snprintf(af->path, sizeof(af->path), "%s%s%.*s", dir, dir[0] ? "/" : "",
				     (int)vl, v);
			if (k <= 0 || (size_t)k >= sizeof(af->path))
				break;
			af->n = (size_t)k;
			af->sum[0] = 0;
			af->pending = true;
			break;
		}
		case 'Z':
			if (af->pending)
				copy_trunc(af->sum, sizeof(af->sum), v, vl);
			break;
		default: break;
		}
	}
	apk_flush(af, pkg, fn, data, &n);
	free(af);
	return n;
}
