/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parsers of the host benchmark: sysctl values, daemon.json, TOML-ish
 * configuration (containerd, containers.conf) and audit rules. All take
 * (pointer, length) from files of a root that may be hostile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/host.h"
#include "banned.h"

/* ---- sysctl ----------------------------------------------------------------------------- */

int bh_host_sysctl_int(const char *buf, size_t len, long long *out, struct bh_error **err)
{
	const char *p = buf, *e = buf + len;
	unsigned long long v = 0;
	bool neg = false;

	if (len > 64)
		return bh_error_set(err, BH_ERR_LIMIT, "sysctl value: over 64 bytes");
	while (p < e && bh_isspace((unsigned char)*p))
		p++;
	while (e > p && bh_isspace((unsigned char)e[-1]))
		e--;
	if (p < e && *p == '-') {
		neg = true;
		p++;
	}
	if (p == e)
		return bh_error_set(err, BH_ERR_INVALID, "sysctl value: not an integer");
	for (; p < e; p++) {
		if (!bh_isdigit((unsigned char)*p))
			return bh_error_set(err, BH_ERR_INVALID,
					    "sysctl value: not one integer ('%c')",
					    bh_isprint((unsigned char)*p) ? *p : '?');
		if (v > (unsigned long long)INT64_MAX / 10)
			return bh_error_set(err, BH_ERR_INVALID, "sysctl value: out of range");
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > (unsigned long long)INT64_MAX)
		return bh_error_set(err, BH_ERR_INVALID, "sysctl value: out of range");
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

/* ---- daemon.json ------------------------------------------------------------------------ */

void bh_host_docker_release(struct bh_host_docker *d)
{
	if (!d)
		return;
	free(d->log_driver);
	free(d->seccomp_profile);
	memset(d, 0, sizeof(*d));
}

/* A boolean member: -1 absent, 0/1, -2 of another type. */
static int jbool(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	if (!v)
		return -1;
	if (!json_is_boolean(v))
		return -2;
	return json_is_true(v);
}

int bh_host_docker_parse(const char *buf, size_t len, struct bh_host_docker *out,
			 struct bh_error **err)
{
	static const char *const bools[] = { "tlsverify", "live-restore",   "no-new-privileges",
					     "icc",	  "userland-proxy", "experimental" };
	json_t *root = NULL, *v;
	int r = -1, b[6];

	memset(out, 0, sizeof(*out));
	if (bh_json_parse(buf, len, BH_HOST_MAX_FILE, "daemon.json", &root, err) < 0)
		return -1;
	if (!json_is_object(root)) {
		bh_error_set(err, BH_ERR_INVALID, "daemon.json: not a JSON object");
		goto out;
	}
	for (size_t i = 0; i < 6; i++) {
		b[i] = jbool(root, bools[i]);
		if (b[i] == -2) {
			bh_error_set(err, BH_ERR_INVALID, "daemon.json: \"%s\" is not a boolean",
				     bools[i]);
			goto out;
		}
	}
	out->tlsverify = b[0] == 1;
	out->live_restore = b[1];
	out->no_new_privileges = b[2];
	out->icc = b[3];
	out->userland_proxy = b[4];
	out->experimental = b[5];
	if ((v = json_object_get(root, "hosts"))) {
		size_t i;
		json_t *h;

		if (!json_is_array(v)) {
			bh_error_set(err, BH_ERR_INVALID, "daemon.json: \"hosts\" is not an array");
			goto out;
		}
		json_array_foreach (v, i, h) {
			const char *s = json_string_value(h);

			if (!s) {
				bh_error_set(err, BH_ERR_INVALID,
					     "daemon.json: \"hosts\"[%zu] is not a string", i);
				goto out;
			}
			/* unix:// and fd:// are local; tcp:// and a bare host:port are not */
			if (!bh_str_has_prefix(s, "unix://") && !bh_str_has_prefix(s, "fd://") &&
			    !bh_str_has_prefix(s, "npipe://"))
				out->tcp_host = true;
		}
	}
	if ((v = json_object_get(root, "userns-remap"))) {
		if (!json_is_string(v)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "daemon.json: \"userns-remap\" is not a string");
			goto out;
		}
		out->userns = json_string_length(v) > 0;
	}
	if ((v = json_object_get(root, "insecure-registries"))) {
		if (!json_is_array(v)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "daemon.json: \"insecure-registries\" is not an array");
			goto out;
		}
		out->insecure_registries = json_array_size(v);
	}
	if ((v = json_object_get(root, "default-ulimits"))) {
		if (!json_is_object(v)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "daemon.json: \"default-ulimits\" is not an object");
			goto out;
		}
		out->ulimits = json_object_size(v) > 0;
	}
	if ((v = json_object_get(root, "log-driver"))) {
		if (!json_is_string(v)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "daemon.json: \"log-driver\" is not a string");
			goto out;
		}
		out->log_driver = bh_strdup(json_string_value(v));
	}
	if ((v = json_object_get(root, "seccomp-profile"))) {
		if (!json_is_string(v)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "daemon.json: \"seccomp-profile\" is not a string");
			goto out;
		}
		out->seccomp_profile = bh_strdup(json_string_value(v));
	}
	r = 0;
out:
	if (r < 0)
		bh_host_docker_release(out);
	json_decref(root);
	return r;
}

/* ---- TOML-ish --------------------------------------------------------------------------- */

/* A TOML basic or literal string in [p, e) (p at the quote): the value or NULL. */
static char *toml_string(const char *p, const char *e)
{
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE);
	char q = *p;

	for (p++; p < e && *p != q; p++) {
		char c = *p;

		if (q == '"' && c == '\\') {
			if (++p >= e || !strchr("\"\\nt", *p))
				break;
			c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
		}
		if (bh_buf_addc(&b, c, NULL) < 0)
			break;
	}
	if (p >= e || *p != q) {
		bh_buf_release(&b);
		return NULL;
	}
	return bh_buf_detach(&b, NULL);
}

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

int bh_host_toml_get(const char *buf, size_t len, const char *table, const char *key, char **out,
		     struct bh_error **err)
{
	const char *p = buf, *e = buf + len;
	size_t tlen = table ? strlen(table) : 0, klen = strlen(key);
	bool in = tlen == 0;
	unsigned line = 0;

	*out = NULL;
	if (len > BH_HOST_MAX_FILE)
		return bh_error_set(err, BH_ERR_LIMIT, "over %u bytes", BH_HOST_MAX_FILE);
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p)), *le = nl ? nl : e, *k, *ke;

		line++;
		p = skip_ws(p, le);
		if (p < le && *p == '[') {
			const char *s = p + 1, *close;

			if (s < le && *s == '[')
				s++; /* [[array of tables]]: its name compared the same way */
			close = memchr(s, ']', (size_t)(le - s));
			if (!close)
				return bh_error_set(err, BH_ERR_INVALID,
						    "line %u: a table header without ]", line);
			s = skip_ws(s, close);
			ke = close;
			while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t'))
				ke--;
			in = tlen && (size_t)(ke - s) == tlen && !memcmp(s, table, tlen);
		} else if (in && p < le && *p != '#') {
			k = p;
			if (*p == '"' || *p == '\'') {
				const char *q = memchr(p + 1, *p, (size_t)(le - p - 1));

				if (!q)
					return bh_error_set(err, BH_ERR_INVALID,
							    "line %u: a quoted key not closed",
							    line);
				k = p + 1;
				ke = q;
				p = q + 1;
			} else {
				while (p < le && (bh_isalnum((unsigned char)*p) || *p == '_' ||
						  *p == '-' || *p == '.'))
					p++;
				ke = p;
			}
			p = skip_ws(p, le);
			if (p < le && *p == '=' && (size_t)(ke - k) == klen &&
			    !memcmp(k, key, klen)) {
				p = skip_ws(p + 1, le);
				if (p < le && (*p == '"' || *p == '\'')) {
					if (le - p >= 3 && p[1] == p[0] && p[2] == p[0])
						return 0; /* a multi-line string: not read */
					*out = toml_string(p, le);
					if (!*out)
						return bh_error_set(err, BH_ERR_INVALID,
								    "line %u: %s: a string not "
								    "closed or a bad escape",
								    line, key);
					return 1;
				}
				if (p < le && (*p == '[' || *p == '{'))
					return 0; /* arrays and inline tables: not read */
				k = p;
				while (p < le && *p != '#' && *p != '\r')
					p++;
				while (p > k && (p[-1] == ' ' || p[-1] == '\t'))
					p--;
				if (p == k)
					return bh_error_set(err, BH_ERR_INVALID,
							    "line %u: %s has no value", line, key);
				*out = bh_strndup(k, (size_t)(p - k));
				return 1;
			}
		}
		p = nl ? nl + 1 : e;
	}
	return 0;
}

/* ---- audit rules ------------------------------------------------------------------------ */

static bool word_is(const char *p, const char *le, const char *w, size_t wn)
{
	return (size_t)(le - p) >= wn && !memcmp(p, w, wn) &&
	       (p + wn == le || p[wn] == ' ' || p[wn] == '\t' || p[wn] == '\r');
}

bool bh_host_audit_watches(const char *buf, size_t len, const char *path)
{
	const char *p = buf, *e = buf + len;
	size_t pn = strlen(path);

	if (pn == 0)
		return false;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p)), *le = nl ? nl : e;

		p = skip_ws(p, le);
		if (p < le && *p != '#') {
			if (le - p > 2 && p[0] == '-' && p[1] == 'w' &&
			    (p[2] == ' ' || p[2] == '\t')) {
				if (word_is(skip_ws(p + 2, le), le, path, pn))
					return true;
			} else if (le - p > 2 && p[0] == '-' && p[1] == 'a') {
				/* -F path=PATH or -F dir=PATH anywhere on the line */
				for (const char *q = p; q < le; q++) {
					if ((size_t)(le - q) > 5 && !memcmp(q, "path=", 5) &&
					    (q == p || q[-1] == ' ' || q[-1] == '\t') &&
					    word_is(q + 5, le, path, pn))
						return true;
					if ((size_t)(le - q) > 4 && !memcmp(q, "dir=", 4) &&
					    (q == p || q[-1] == ' ' || q[-1] == '\t') &&
					    word_is(q + 4, le, path, pn))
						return true;
				}
			}
		}
		p = nl ? nl + 1 : e;
	}
	return false;
}
