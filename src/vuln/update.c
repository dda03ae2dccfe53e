/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `db update`: download each configured source over HTTPS and import it.
 *
 * Requests are conditional: the ETag and Last-Modified of the last import of
 * a source are stored with it (in the same transaction as its records), and
 * sent back as If-None-Match / If-Modified-Since, so a source that has not
 * changed costs one request answered 304 and imports nothing. The body goes
 * to an unlinked temporary file beside the store (nothing is left behind if
 * the process dies), bounded in size, and is imported like a named file.
 *
 * libcurl is loaded on first use (src/lazy), not linked: it pulls in some
 * thirty libraries (TLS, HTTP/2, LDAP, Kerberos, SSH...) whose loading and
 * constructors every start of the binary would pay, the runtime's included.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lazy/curl.h"
#include "bulkhead/base.h"
#include "bulkhead/version.h"
#include "bulkhead/vuln.h"
#include "store_internal.h"
#include "banned.h"

#define MAX_SOURCES	1000
#define MAX_SOURCES_TXT (1u << 20)
#define MAX_URL		4096
#define MAX_HEADER	1024
#define DEFAULT_MAX	(4ull << 30)

/* The OSV project's per-ecosystem exports. */
static const char *const default_sources[][2] = {
	{ "osv-debian", "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip" },
	{ "osv-ubuntu", "https://osv-vulnerabilities.storage.googleapis.com/Ubuntu/all.zip" },
	{ "osv-alpine", "https://osv-vulnerabilities.storage.googleapis.com/Alpine/all.zip" },
	{ "osv-npm", "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip" },
	{ "osv-pypi", "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip" },
	{ "osv-go", "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip" },
	{ "osv-maven", "https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip" },
	{ "osv-crates.io", "https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip" },
	{ "osv-rubygems", "https://osv-vulnerabilities.storage.googleapis.com/RubyGems/all.zip" },
	{ "osv-packagist", "https://osv-vulnerabilities.storage.googleapis.com/Packagist/all.zip" },
	{ "osv-nuget", "https://osv-vulnerabilities.storage.googleapis.com/NuGet/all.zip" },
};

static void add_source(struct bh_update_sources *s, const char *name, size_t nlen, const char *url,
		       size_t ulen)
{
	s->v = bh_reallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n].name = bh_strndup(name, nlen);
	s->v[s->n].url = bh_strndup(url, ulen);
	s->n++;
}

void bh_update_default_sources(struct bh_update_sources *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(default_sources) / sizeof(default_sources[0]); i++)
		add_source(out, default_sources[i][0], strlen(default_sources[i][0]),
			   default_sources[i][1], strlen(default_sources[i][1]));
}

void bh_update_sources_release(struct bh_update_sources *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].url);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static bool url_ok(const char *u, size_t n)
{
	if (n <= 8 || n > MAX_URL || strncasecmp(u, "https://", 8))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			return false;
	return true;
}

int bh_update_sources_parse(const char *buf, size_t len, const char *what,
			    struct bh_update_sources *out, struct bh_error **err)
{
	size_t pos = 0, lineno = 0;

	memset(out, 0, sizeof(*out));
	if (len > MAX_SOURCES_TXT)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: more than %u bytes", what,
				    MAX_SOURCES_TXT);
	while (pos < len) {
		const char *line = buf + pos, *end = memchr(line, '\n', len - pos);
		const char *tok[3];
		size_t tlen[3], nt = 0, n = end ? (size_t)(end - line) : len - pos, i = 0;

		pos += n + 1;
		lineno++;
		if (memchr(line, 0, n)) {
			bh_error_set(err, BH_ERR_INVALID, "%s:%zu: a NUL byte", what, lineno);
			goto fail;
		}
		while (i < n) {
			size_t s;

			while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
				i++;
			if (i >= n || line[i] == '#')
				break;
			s = i;
			while (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
				i++;
			if (nt == 3)
				break;
			tok[nt] = line + s;
			tlen[nt++] = i - s;
		}
		if (nt == 0)
			continue;
		if (nt > 2) {
			bh_error_set(err, BH_ERR_INVALID, "%s:%zu: expected 'NAME URL' or 'URL'",
				     what, lineno);
			goto fail;
		}
		if (nt == 1) {
			tok[1] = tok[0];
			tlen[1] = tlen[0];
		}
		if (!url_ok(tok[1], tlen[1])) {
			bh_error_set(err, BH_ERR_INVALID, "%s:%zu: '%.*s' is not an https:// URL",
				     what, lineno, (int)(tlen[1] > 200 ? 200 : tlen[1]), tok[1]);
			goto fail;
		}
		if (nt == 2) {
			for (i = 0; i < tlen[0]; i++)
				if (!name_char(tok[0][i]))
					break;
			if (i < tlen[0] || tlen[0] > 64) {
				bh_error_set(
					err, BH_ERR_INVALID,
					"%s:%zu: source name '%.*s' is not [A-Za-z0-9._-]{1,64}",
					what, lineno, (int)(tlen[0] > 64 ? 64 : tlen[0]), tok[0]);
				goto fail;
			}
		}
		for (i = 0; i < out->n; i++)
			if (strlen(out->v[i].name) == tlen[0] &&
			    !memcmp(out->v[i].name, tok[0], tlen[0])) {
				bh_error_set(err, BH_ERR_INVALID,
					     "%s:%zu: source '%.*s' named twice", what, lineno,
					     (int)(tlen[0] > 64 ? 64 : tlen[0]), tok[0]);
				goto fail;
			}
		if (out->n == MAX_SOURCES) {
			bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d sources", what,
				     MAX_SOURCES);
			goto fail;
		}
		add_source(out, tok[0], tlen[0], tok[1], tlen[1]);
	}
	return 0;
fail:
	bh_update_sources_release(out);
	return -1;
}

/* libcurl is loaded on first use: fail (naming the library) when it is not installed. */
static int curl_ready(struct bh_error **err)
{
	if (bh_lazy_require(&bh_lazy_curl, err) < 0)
		return bh_error_prefix(err, "'db update' needs libcurl for HTTPS");
	return 0;
}

/* ---- one download -------------------------------------------------------- */

struct download {
	int fd;
	uint64_t bytes, max;
	bool too_big;
	volatile int *cancel;
	char *etag, *last_modified; /* of the final response */
	struct bh_error *werr;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *data)
{
	struct download *d = data;
	size_t n = size * nmemb;

	if (d->bytes + n > d->max) {
		d->too_big = true;
		return 0;
	}
	if (bh_write_all(d->fd, p, n, &d->werr) < 0)
		return 0;
	d->bytes += n;
	return n;
}

/* A header value, trimmed, bounded. */
static char *header_value(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (n <= k + 1 || strncasecmp(p, name, k) || p[k] != ':')
		return NULL;
	p += k + 1;
	n -= k + 1;
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0 || n > MAX_HEADER)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < ' ' || p[i] == 0x7f)
			return NULL;
	return bh_strndup(p, n);
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *data)
{
	struct download *d = data;
	size_t n = size * nmemb;
	char *v;

	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after a redirect): forget the last one's */
		free(d->etag);
		free(d->last_modified);
		d->etag = d->last_modified = NULL;
	} else if ((v = header_value(p, n, "ETag"))) {
		free(d->etag);
		d->etag = v;
	} else if ((v = header_value(p, n, "Last-Modified"))) {
		free(d->last_modified);
		d->last_modified = v;
	}
	return n;
}

static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct download *d = data;

	return d->cancel && *d->cancel;
}

/* curl_easy_setopt and _getinfo are variadic: what curl's type-checking macros checked when
 * they were called directly is checked here. */
_Static_assert(__builtin_types_compatible_p(__typeof__(&on_body), curl_write_callback), "on_body");
_Static_assert(__builtin_types_compatible_p(__typeof__(&on_header), curl_write_callback),
	       "on_header");
_Static_assert(__builtin_types_compatible_p(__typeof__(&on_progress), curl_xferinfo_callback),
	       "on_progress");
_Static_assert(__builtin_types_compatible_p(__typeof__(((struct bh_update_result *)0)->http_status),
					    long),
	       "CURLINFO_RESPONSE_CODE takes a long *");
_Static_assert(__builtin_types_compatible_p(
		       __typeof__(((struct bh_update_opts *)0)->connect_timeout), long),
	       "CURLOPT_CONNECTTIMEOUT takes a long");

static int temp_fd(const char *store_path, struct bh_error **err)
{
	const char *slash = strrchr(store_path, '/');
	char *tmpl = slash ? bh_asprintf("%.*s/.bulkhead-download-XXXXXX",
					 (int)(slash - store_path), store_path)
			   : bh_strdup(".bulkhead-download-XXXXXX");
	int fd = mkostemp(tmpl, O_CLOEXEC);

	if (fd < 0) {
		bh_error_sys(err, errno, "creating a temporary file %s", tmpl);
	} else {
		unlink(tmpl); /* nameless from now on: nothing to clean up after a kill */
	}
	free(tmpl);
	return fd;
}

static int fetch_one(struct bh_store *s, const struct bh_update_source *src,
		     const struct bh_update_opts *o, struct bh_update_result *res,
		     struct bh_error **err)
{
	struct download d = { .fd = -1,
			      .max = o->max_bytes ? o->max_bytes : DEFAULT_MAX,
			      .cancel = o->cancel };
	struct curl_slist *hdrs = NULL;
	char *etag = NULL, *lm = NULL, *h, errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = NULL;
	CURLcode cc;
	int r = -1;

	if (bh_vuln_store_source_validators(s, src->name, &etag, &lm, err) < 0)
		goto out;
	d.fd = temp_fd(s->path, err);
	if (d.fd < 0)
		goto out;
	c = curl_easy_init();
	if (!c) {
		bh_error_set(err, BH_ERR_NOMEM, "cannot start libcurl");
		goto out;
	}
	if (etag) {
		h = bh_asprintf("If-None-Match: %s", etag);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	if (lm) {
		h = bh_asprintf("If-Modified-Since: %s", lm);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	/* a libcurl too old for these would follow a redirect to any protocol: refuse it */
	cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	if (cc != CURLE_OK) {
		bh_error_set(err, BH_ERR_INTERNAL,
			     "%s cannot be limited to https (libcurl 7.85 or later is needed): %s",
			     bh_lazy_curl.soname, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, src->url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "bulkhead/" BH_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout ? o->connect_timeout : 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)d.max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &d);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (o->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	bh_info("update: %s: GET %s%s", src->name, src->url, etag || lm ? " (conditional)" : "");
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->http_status);
	res->bytes = d.bytes;
	if (cc != CURLE_OK) {
		if (d.werr) {
			*err = d.werr;
			d.werr = NULL;
			bh_error_prefix(err, "%s: writing the download", src->url);
		} else if (d.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
			bh_error_set(err, BH_ERR_LIMIT, "%s: larger than %llu bytes", src->url,
				     (unsigned long long)d.max);
		} else if (cc == CURLE_ABORTED_BY_CALLBACK) {
			bh_error_set(err, BH_ERR_IO, "%s: interrupted", src->url);
		} else {
			bh_error_set(err, BH_ERR_IO, "%s: %s", src->url,
				     *errbuf ? errbuf : curl_easy_strerror(cc));
		}
		goto out;
	}
	if (res->http_status == 304) {
		res->not_modified = true;
		bh_info("update: %s: not modified", src->name);
		r = bh_vuln_store_source_checked(s, src->name, src->url, err);
		goto out;
	}
	if (res->http_status != 200) {
		bh_error_set(err, BH_ERR_IO, "%s: HTTP status %ld", src->url, res->http_status);
		goto out;
	}
	{
		struct bh_import_opts io = { .strict = o->strict, .cancel = o->cancel };
		struct bh_source_meta m = { .name = src->name,
					    .kind = "update",
					    .url = src->url,
					    .etag = d.etag,
					    .last_modified = d.last_modified };

		bh_info("update: %s: %llu bytes, importing", src->name,
			(unsigned long long)d.bytes);
		/* the download left the offset at its end: a zip is read with
		 * pread, a single JSON or YAML file from the offset */
		if (lseek(d.fd, 0, SEEK_SET) < 0) {
			bh_error_sys(err, errno, "%s: rewinding the download", src->url);
			goto out;
		}
		r = bh_vuln_store_import_fd(s, d.fd, src->url, &io, &m, &res->stats, err);
		d.fd = -1; /* taken */
	}
out:
	if (d.fd >= 0)
		close(d.fd);
	curl_slist_free_all(hdrs);
	if (c)
		curl_easy_cleanup(c);
	bh_error_free(d.werr);
	free(d.etag);
	free(d.last_modified);
	free(etag);
	free(lm);
	return r;
}

int bh_vuln_store_update(struct bh_store *s, const struct bh_update_sources *src,
			 const struct bh_update_opts *opts, struct bh_update_result **results,
			 struct bh_error **err)
{
	static const struct bh_update_opts defaults = { 0 };
	struct bh_update_result *res;
	int failed = 0;

	*results = NULL;
	if (!opts)
		opts = &defaults;
	if (src->n == 0)
		return bh_error_set(err, BH_ERR_USAGE, "no sources to update from");
	if (curl_ready(err) < 0)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return bh_error_set(err, BH_ERR_INTERNAL, "cannot initialise libcurl");
	res = bh_calloc(src->n, sizeof(*res));
	for (size_t i = 0; i < src->n; i++) {
		res[i].name = bh_strdup(src->v[i].name);
		res[i].url = bh_strdup(src->v[i].url);
		if (opts->cancel && *opts->cancel) {
			bh_error_set(&res[i].error, BH_ERR_IO, "interrupted");
			failed++;
			continue;
		}
		if (fetch_one(s, &src->v[i], opts, &res[i], &res[i].error) < 0) {
			bh_error_prefix(&res[i].error, "source %s", src->v[i].name);
			failed++;
		}
	}
	curl_global_cleanup();
	*results = res;
	return failed;
}

void bh_update_results_free(struct bh_update_result *r, size_t n)
{
	if (!r)
		return;
	for (size_t i = 0; i < n; i++) {
		free(r[i].name);
		free(r[i].url);
		bh_import_stats_release(&r[i].stats);
		bh_error_free(r[i].error);
	}
	free(r);
}
