/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry client's transport, on libcurl (loaded on first use).
 *
 * One exchange (struct reg_xfer) is a curl easy handle driven through its
 * own multi handle by the thread that reads it: reg_xfer_read runs the
 * transfer until bytes arrive, so a layer streams from the network into
 * the reader's buffer (the image walk's decompressor) with at most a small
 * spill in between, and each walk thread fetches its own layer. Idle
 * multi handles go back to a pool in the client, each with its connection
 * cache, so HTTP/1.1 connections are kept alive and reused by whichever
 * thread comes next (curl shares connections between handles only within
 * one thread; DNS and TLS sessions are shared through a locked CURLSH).
 *
 * TLS: HTTPS only, certificate and host verified, TLS 1.2 or later, with the
 * host's CA certificates (client.c). Plain HTTP only for a host named
 * insecure, tried after HTTPS fails, with a warning per client.
 * Redirects are followed here, not by curl: the target must be HTTPS (or an
 * insecure host), and credentials go only to the registry itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/version.h"
#include "internal.h"
#include "banned.h"

#define SPILL_PAUSE (1u << 20)

/* curl_easy_setopt and _getinfo are variadic: check what curl's macros would. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *data);
static size_t on_body(char *p, size_t size, size_t nmemb, void *data);
static size_t on_read(char *p, size_t size, size_t nmemb, void *data);
_Static_assert(__builtin_types_compatible_p(__typeof__(&on_header), curl_write_callback), "hdr");
_Static_assert(__builtin_types_compatible_p(__typeof__(&on_body), curl_write_callback), "body");
_Static_assert(__builtin_types_compatible_p(__typeof__(&on_read), curl_read_callback), "read");

/* ---- one exchange --------------------------------------------------------- */

static void resp_reset(struct reg_resp *p)
{
	free(p->content_type);
	free(p->location);
	free(p->digest);
	free(p->link);
	free(p->range);
	free(p->upload_uuid);
	bh_strvec_release(&p->auth);
	memset(p, 0, sizeof(*p));
	p->content_length = -1;
}

/* A header's value if the line is that header: trimmed, no control bytes. */
static char *header_value(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(p, name, k) || p[k] != ':')
		return NULL;
	p += k + 1;
	n -= k + 1;
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < ' ' && p[i] != '\t')
			return NULL;
	return bh_strndup(p, n);
}

static void set_once(char **slot, char *v)
{
	free(*slot);
	*slot = v;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *data)
{
	struct reg_xfer *x = data;
	size_t n = size * nmemb;
	char *v;

	x->header_bytes += n;
	if (x->header_bytes > REG_MAX_HEADERS) {
		x->header_overflow = true;
		return 0;
	}
	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (100 Continue, then the real one) */
		resp_reset(&x->resp);
		x->header_bytes = n;
		curl_easy_getinfo(x->c->e, CURLINFO_RESPONSE_CODE, &x->resp.status);
		return n;
	}
	if ((v = header_value(p, n, "Content-Type")))
		set_once(&x->resp.content_type, v);
	else if ((v = header_value(p, n, "Location")))
		set_once(&x->resp.location, v);
	else if ((v = header_value(p, n, "Docker-Content-Digest")))
		set_once(&x->resp.digest, v);
	else if ((v = header_value(p, n, "Link")))
		set_once(&x->resp.link, v);
	else if ((v = header_value(p, n, "Range")))
		set_once(&x->resp.range, v);
	else if ((v = header_value(p, n, "Docker-Upload-UUID")))
		set_once(&x->resp.upload_uuid, v);
	else if ((v = header_value(p, n, "WWW-Authenticate")))
		bh_strvec_push_take(&x->resp.auth, v);
	else if ((v = header_value(p, n, "Content-Length"))) {
		uint64_t cl;

		x->resp.content_length =
			bh_parse_u64(v, &cl, NULL) == 0 && cl < INT64_MAX ? (int64_t)cl : -1;
		free(v);
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *data)
{
	struct reg_xfer *x = data;
	size_t n = size * nmemb, k = 0;

	x->got_body = true;
	if (x->dst && x->dst_len < x->dst_cap) {
		k = x->dst_cap - x->dst_len;
		if (k > n)
			k = n;
		memcpy(x->dst + x->dst_len, p, k);
		x->dst_len += k;
	} else if (x->spill.len - x->spill_off >= SPILL_PAUSE) {
		/* nobody is reading: hold the transfer until someone does */
		x->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (k < n && bh_buf_add(&x->spill, p + k, n - k, NULL) < 0)
		return 0;
	return n;
}

static size_t on_read(char *p, size_t size, size_t nmemb, void *data)
{
	struct reg_xfer *x = data;
	size_t n = size * nmemb;
	ssize_t got;

	if (x->body) {
		if (n > x->body_len - x->body_off)
			n = x->body_len - x->body_off;
		memcpy(p, x->body + x->body_off, n);
		x->body_off += n;
		return n;
	}
	if (!x->src || x->sent >= x->src_len)
		return 0;
	if (n > x->src_len - x->sent)
		n = (size_t)(x->src_len - x->sent);
	got = x->src->read(x->src->data, p, n, &x->src_err);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	if (got == 0) {
		bh_error_set(&x->src_err, BH_ERR_INVALID,
			     "the blob ended after %llu of its %llu bytes",
			     (unsigned long long)x->sent, (unsigned long long)x->src_len);
		return CURL_READFUNC_ABORT;
	}
	x->sent += (uint64_t)got;
	if (x->progress) {
		struct bh_registry_progress pr = { .digest = x->progress_digest,
						   .done = x->progress_base + x->sent,
						   .total = x->progress_total };

		x->progress(&pr, x->progress_data);
	}
	return (size_t)got;
}

static struct reg_conn *conn_get(struct bh_registry *r, struct bh_error **err)
{
	struct reg_conn *c;

	pthread_mutex_lock(&r->lock);
	c = r->idle;
	if (c) {
		r->idle = c->next;
		r->nidle--;
	}
	pthread_mutex_unlock(&r->lock);
	if (c) {
		curl_easy_reset(c->e);
		return c;
	}
	c = bh_calloc(1, sizeof(*c));
	c->m = curl_multi_init();
	c->e = curl_easy_init();
	if (!c->m || !c->e) {
		if (c->e)
			curl_easy_cleanup(c->e);
		if (c->m)
			curl_multi_cleanup(c->m);
		free(c);
		bh_error_set(err, BH_ERR_NOMEM, "cannot start libcurl");
		return NULL;
	}
	return c;
}

static void conn_put(struct bh_registry *r, struct reg_conn *c)
{
	pthread_mutex_lock(&r->lock);
	if (r->nidle < REG_MAX_IDLE) {
		c->next = r->idle;
		r->idle = c;
		r->nidle++;
		c = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	if (c) {
		curl_easy_cleanup(c->e);
		curl_multi_cleanup(c->m);
		free(c);
	}
}

void reg_xfer_close(struct reg_xfer *x)
{
	if (!x)
		return;
	if (x->c) {
		curl_multi_remove_handle(x->c->m, x->c->e);
		/* a transfer cut short leaves a connection curl closes; the handles
		 * can serve again either way */
		conn_put(x->r, x->c);
	}
	curl_slist_free_all(x->hdrs);
	resp_reset(&x->resp);
	bh_buf_release(&x->spill);
	bh_error_free(x->src_err);
	free(x->url);
	free(x->what);
	free(x);
}

const struct reg_resp *reg_xfer_resp(const struct reg_xfer *x)
{
	return &x->resp;
}

/* Run the transfer until cond says stop or it ends. */
void reg_xfer_abort(struct reg_xfer *x)
{
	atomic_store(&x->abort, true);
	curl_multi_wakeup(x->c->m);
}

static int drive(struct reg_xfer *x, bool (*cond)(const struct reg_xfer *), struct bh_error **err)
{
	while (!x->done && !cond(x)) {
		if (atomic_load(&x->abort))
			return bh_error_set(err, BH_ERR_USAGE, "cancelled");
		int running = 0, left;
		CURLMcode mc = curl_multi_perform(x->c->m, &running);
		CURLMsg *msg;

		if (mc != CURLM_OK)
			return bh_error_set(err, BH_ERR_INTERNAL, "libcurl: %s",
					    curl_multi_strerror(mc));
		while ((msg = curl_multi_info_read(x->c->m, &left)))
			if (msg->msg == CURLMSG_DONE) {
				x->done = true;
				x->result = msg->data.result;
			}
		if (x->done || cond(x))
			break;
		mc = curl_multi_poll(x->c->m, NULL, 0, 1000, NULL);
		if (mc != CURLM_OK)
			return bh_error_set(err, BH_ERR_INTERNAL, "libcurl: %s",
					    curl_multi_strerror(mc));
	}
	return 0;
}

static bool have_headers(const struct reg_xfer *x)
{
	return x->got_body;
}

static bool have_bytes(const struct reg_xfer *x)
{
	return x->dst_len > 0;
}

/* The error for a failed transfer, naming the host and what went wrong. */
static int xfer_error(struct reg_xfer *x, const char *what, struct bh_error **err)
{
	const char *h = x->host->hostport,
		   *e = *x->errbuf ? x->errbuf : curl_easy_strerror(x->result);

	if (x->src_err) {
		*err = x->src_err;
		x->src_err = NULL;
		return bh_error_prefix(err, "registry %s: %s: reading what to send", h, what);
	}
	if (x->header_overflow)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "registry %s: %s: response headers over %u bytes", h, what,
				    REG_MAX_HEADERS);
	switch (x->result) {
	case CURLE_OPERATION_TIMEDOUT:
		return bh_error_set(err, BH_ERR_IO,
				    "registry %s: %s: timed out: nothing received for %u seconds "
				    "(%s)",
				    h, what, x->r->timeout, e);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return bh_error_set(err, BH_ERR_IO, "registry %s: %s: cannot connect: %s", h, what,
				    e);
	case CURLE_PEER_FAILED_VERIFICATION:
		return bh_error_set(
			err, BH_ERR_IO,
			"registry %s: %s: its TLS certificate is not trusted (%s); give "
			"its CA with --cacert or as /etc/docker/certs.d/%s/ca.crt",
			h, what, e, h);
	case CURLE_SSL_CONNECT_ERROR:
		return bh_error_set(err, BH_ERR_IO,
				    "registry %s: %s: TLS handshake failed (%s)%s%s%s", h, what, e,
				    x->host->insecure ? ""
						      : "; if it serves plain HTTP, name it "
							"with --insecure-registry ",
				    x->host->insecure ? "" : h,
				    x->host->insecure ? "" : " (its traffic is then unprotected)");
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return bh_error_set(err, BH_ERR_IO,
				    "registry %s: %s: the connection ended early (truncated): %s",
				    h, what, e);
	default: return bh_error_set(err, BH_ERR_IO, "registry %s: %s: %s", h, what, e);
	}
}

ssize_t reg_xfer_read(struct reg_xfer *x, void *buf, size_t n, struct bh_error **err)
{
	if (n == 0)
		return 0;
	if (x->spill.len > x->spill_off) {
		size_t k = x->spill.len - x->spill_off;

		if (k > n)
			k = n;
		memcpy(buf, x->spill.data + x->spill_off, k);
		x->spill_off += k;
		if (x->spill_off == x->spill.len) {
			bh_buf_reset(&x->spill);
			x->spill_off = 0;
		}
		return (ssize_t)k;
	}
	if (x->done) {
		if (x->result != CURLE_OK)
			return xfer_error(x, x->what, err);
		return 0;
	}
	x->dst = buf;
	x->dst_cap = n;
	x->dst_len = 0;
	if (x->paused) {
		x->paused = false;
		curl_easy_pause(x->c->e, CURLPAUSE_CONT);
	}
	if (drive(x, have_bytes, err) < 0) {
		x->dst = NULL;
		return -1;
	}
	/* take what has arrived meanwhile, without waiting: fewer, larger
	 * reads for the consumer (hashing, writing, decompressing) */
	while (!x->done && x->dst_len < x->dst_cap && !x->paused) {
		size_t before = x->dst_len;
		int running, left;
		CURLMsg *msg;

		if (curl_multi_perform(x->c->m, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(x->c->m, &left)))
			if (msg->msg == CURLMSG_DONE) {
				x->done = true;
				x->result = msg->data.result;
			}
		if (x->dst_len == before)
			break;
	}
	x->dst = NULL;
	if (x->dst_len > 0)
		return (ssize_t)x->dst_len;
	if (x->result != CURLE_OK)
		return xfer_error(x, x->what, err);
	return 0;
}

int reg_xfer_read_all(struct reg_xfer *x, struct bh_buf *b, const char *what, struct bh_error **err)
{
	char tmp[16384];

	if (x->resp.content_length >= 0 && (uint64_t)x->resp.content_length > b->max)
		return bh_error_set(
			err, BH_ERR_LIMIT, "registry %s: %s: %lld bytes, over the limit of %zu",
			x->host->hostport, what, (long long)x->resp.content_length, b->max);
	for (;;) {
		ssize_t k = reg_xfer_read(x, tmp, sizeof(tmp), err);

		if (k < 0)
			return -1;
		if (k == 0)
			return 0;
		if (b->len + (size_t)k > b->max)
			return bh_error_set(err, BH_ERR_LIMIT,
					    "registry %s: %s: more than the limit of %zu bytes",
					    x->host->hostport, what, b->max);
		if (bh_buf_add(b, tmp, (size_t)k, err) < 0)
			return -1;
	}
}

/* Set up one request on a pooled handle and start it. */
static int xfer_start(struct bh_registry *r, const struct reg_req *q, const char *url,
		      struct reg_host *host, const char *auth, struct reg_xfer **out,
		      struct bh_error **err)
{
	struct reg_xfer *x = bh_calloc(1, sizeof(*x));
	CURL *e;
	bool http = bh_str_has_prefix(url, "http://");

	x->r = r;
	x->host = host;
	x->what = bh_strdup(q->what ? q->what : q->method);
	x->head = !strcmp(q->method, "HEAD");
	x->progress = q->progress;
	x->progress_data = q->progress_data;
	x->progress_digest = q->progress_digest;
	x->progress_base = q->progress_base;
	x->progress_total = q->progress_total;
	x->url = reg_url_redact(url);
	resp_reset(&x->resp);
	bh_buf_init(&x->spill, SIZE_MAX / 2);
	x->c = conn_get(r, err);
	if (!x->c) {
		reg_xfer_close(x);
		return -1;
	}
	e = x->c->e;
	if (reg_host_tls(r, host, e, err) < 0) {
		reg_xfer_close(x);
		return -1;
	}
	if (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, http ? "http" : "https") != CURLE_OK) {
		reg_xfer_close(x);
		return bh_error_set(
			err, BH_ERR_INTERNAL,
			"%s cannot be limited to https (libcurl 7.85 or later is needed)",
			bh_lazy_curl.soname);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_SHARE, r->share);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_USERAGENT, r->user_agent);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)r->timeout);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)r->timeout);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
	if (host->capath) {
		/* the system's CAs looked up by hash, not the bundle parsed */
		curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(e, CURLOPT_CAPATH, host->capath);
	}
	if (host->ca_blob) {
		struct curl_blob blob = { host->ca_blob, host->ca_len, CURL_BLOB_NOCOPY };

		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (host->client_cert) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, host->client_cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, host->client_key);
	}
	for (char *const *h = q->headers; h && *h; h++)
		x->hdrs = curl_slist_append(x->hdrs, *h);
	if (auth)
		x->hdrs = curl_slist_append(x->hdrs, auth);
	if (!strcmp(q->method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (q->has_body || q->src) {
		x->body = q->has_body ? q->body : NULL;
		x->body_len = q->has_body ? q->body_len : 0;
		if (q->has_body && !q->body)
			x->body = "";
		x->src = q->src;
		x->src_len = q->src_len;
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(q->src ? q->src_len : q->body_len));
		if (strcmp(q->method, "PUT"))
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
	} else if (!strcmp(q->method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
	} else if (strcmp(q->method, "GET")) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	if (curl_multi_add_handle(x->c->m, e) != CURLM_OK) {
		reg_xfer_close(x);
		return bh_error_set(err, BH_ERR_INTERNAL, "libcurl refused a transfer");
	}
	if (drive(x, have_headers, err) < 0) {
		reg_xfer_close(x);
		return -1;
	}
	if (x->done && x->result != CURLE_OK) {
		int r2 = xfer_error(x, q->what, err);

		*out = NULL;
		/* the caller may retry over plain HTTP: say it was the handshake */
		if (x->result == CURLE_SSL_CONNECT_ERROR)
			r2 = -2;
		reg_xfer_close(x);
		return r2;
	}
	*out = x;
	return 0;
}

/* Read what is left of a small body (an error, a redirect), so that the
 * connection can serve the next request. */
static void xfer_drain(struct reg_xfer *x)
{
	struct bh_buf b = BH_BUF_INIT(REG_MAX_ERROR_BODY);

	if (x->resp.content_length >= 0 && x->resp.content_length <= REG_MAX_ERROR_BODY)
		reg_xfer_read_all(x, &b, "", NULL);
	bh_buf_release(&b);
}

static bool is_redirect(long s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* The scheme a registry speaks: HTTPS, or, for an insecure one whose HTTPS
 * failed, HTTP with a warning. */
static void use_http(struct bh_registry *r, struct reg_host *h)
{
	bool warn;

	pthread_mutex_lock(&r->lock);
	h->scheme = REG_SCHEME_HTTP;
	warn = !h->warned;
	h->warned = true;
	pthread_mutex_unlock(&r->lock);
	if (warn)
		bh_warn("registry %s: using plain HTTP (--insecure-registry): its traffic and "
			"credentials are not protected",
			h->hostport);
}

static char *swap_scheme(const char *url)
{
	if (bh_str_has_prefix(url, "https://"))
		return bh_asprintf("http://%s", url + 8);
	return bh_strdup(url);
}

int reg_open(struct bh_registry *r, const struct reg_req *q, struct reg_xfer **out,
	     struct bh_error **err)
{
	char *url = bh_strdup(q->url), *auth = NULL;
	struct reg_host *host = q->host;
	struct reg_xfer *x = NULL;
	bool authed = false, same_registry = true;
	int redirects = 0, rc;

	*out = NULL;
	if (!host) {
		char *hp = NULL;
		bool https;

		if (reg_url_parse(NULL, url, NULL, &hp, &https, err) < 0) {
			free(url);
			return -1;
		}
		host = reg_endpoint(r, hp);
		free(hp);
	}
	for (;;) {
		free(auth);
		auth = NULL;
		if (q->registry && same_registry) {
			/* bearer known but no token for this scope: get one first */
			if (q->registry->auth == REG_AUTH_BEARER && q->scope &&
			    !(auth = reg_auth_header(r, q->registry, q->scope))) {
				if (reg_token_renew(r, q->registry, q->scope, err) < 0)
					goto fail;
				authed = true;
			}
			if (!auth)
				auth = reg_auth_header(r, q->registry, q->scope);
		}
		bh_debug("registry %s: %s %s", host->hostport, q->method, q->what);
		rc = xfer_start(r, q, url, host, auth, &x, err);
		if (rc == -2 && host->insecure && bh_str_has_prefix(url, "https://")) {
			/* (another thread may have found it out already: use_http
			 * warns once) */
			char *u2 = swap_scheme(url);

			bh_error_clear(err);
			use_http(r, host);
			free(url);
			url = u2;
			continue;
		}
		if (rc < 0)
			goto fail;
		if (host->scheme == REG_SCHEME_UNKNOWN)
			host->scheme = bh_str_has_prefix(url, "http://") ? REG_SCHEME_HTTP
									 : REG_SCHEME_HTTPS;
		if (x->resp.status == 401 && q->registry && same_registry && !authed && !q->src) {
			char **ch = bh_strvec_detach(&x->resp.auth);

			xfer_drain(x);
			reg_xfer_close(x);
			x = NULL;
			if (auth)
				reg_token_drop(r, q->registry, q->scope, auth);
			rc = reg_authenticate(r, q->registry, ch, q->scope, err);
			bh_strv_free(ch);
			if (rc < 0)
				goto fail;
			authed = true;
			continue;
		}
		if (q->follow && is_redirect(x->resp.status) && x->resp.location) {
			char *next = NULL, *hp = NULL, *red;
			bool https;

			if (++redirects > REG_MAX_REDIRECTS) {
				bh_error_set(err, BH_ERR_IO,
					     "registry %s: %s: more than %d redirects",
					     q->registry ? q->registry->hostport : host->hostport,
					     q->what, REG_MAX_REDIRECTS);
				goto fail;
			}
			if (reg_url_parse(url, x->resp.location, &next, &hp, &https, err) < 0) {
				bh_error_prefix(err, "registry %s: %s: redirect", host->hostport,
						q->what);
				goto fail;
			}
			red = reg_url_redact(next);
			host = reg_endpoint(r, hp);
			if (!https && !host->insecure) {
				bh_error_set(
					err, BH_ERR_UNSAFE,
					"registry %s: %s: redirected to %s: refused, plain HTTP "
					"is not allowed (only HTTPS, or a registry named with "
					"--insecure-registry)",
					q->registry ? q->registry->hostport : host->hostport,
					q->what, red);
				free(red);
				free(hp);
				free(next);
				goto fail;
			}
			if (!https)
				use_http(r, host);
			bh_debug("registry: %s: redirected to %s", q->what, red);
			/* credentials stay with the registry: none for another host */
			if (!q->registry || strcmp(hp, q->registry->hostport))
				same_registry = false;
			free(red);
			free(hp);
			free(url);
			url = next;
			xfer_drain(x);
			reg_xfer_close(x);
			x = NULL;
			continue;
		}
		break;
	}
	free(url);
	free(auth);
	*out = x;
	return 0;
fail:
	reg_xfer_close(x);
	free(url);
	free(auth);
	return -1;
}

/* "CODE: message; ..." from a registry's error body, printable and short. */
static void error_detail(const struct bh_buf *b, struct bh_buf *out)
{
	json_t *j = NULL, *errs, *e;
	size_t i;

	if (!b->len || bh_json_parse(b->data, b->len, REG_MAX_ERROR_BODY, "error", &j, NULL) < 0)
		return;
	errs = bh_json_arr(j, "errors");
	json_array_foreach (errs, i, e) {
		const char *code = bh_json_str(e, "code"), *msg = bh_json_str(e, "message");

		if (i >= 3)
			break;
		bh_buf_adds(out, out->len ? "; " : "", NULL);
		for (const char *s = code ? code : "?"; *s && out->len < 600; s++)
			bh_buf_addc(out, bh_isprint(*s) ? *s : '?', NULL);
		if (msg) {
			bh_buf_adds(out, ": ", NULL);
			for (const char *s = msg; *s && out->len < 600; s++)
				bh_buf_addc(out, bh_isprint(*s) ? *s : '?', NULL);
		}
	}
	json_decref(j);
}

static const char *status_text(long s)
{
	switch (s) {
	case 400: return "bad request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not found";
	case 405: return "method not allowed";
	case 409: return "conflict";
	case 413: return "too large";
	case 416: return "range not satisfiable";
	case 429: return "too many requests";
	default: return s >= 500 ? "server error" : "unexpected status";
	}
}

int reg_status_error(struct reg_xfer *x, struct reg_host *h, const char *what,
		     struct bh_error **err)
{
	struct bh_buf body = BH_BUF_INIT(REG_MAX_ERROR_BODY), detail = BH_BUF_INIT(1024);
	const char *hint = "";
	long st = x->resp.status;
	char *chal_err = NULL;

	if (!x->head)
		reg_xfer_read_all(x, &body, what, NULL);
	error_detail(&body, &detail);
	if (st == 401) {
		struct bh_registry_challenge *c = NULL;
		size_t n = 0;

		for (size_t i = 0; i < x->resp.auth.n && !chal_err; i++) {
			if (bh_registry_challenges_parse(
				    x->resp.auth.v[i], strlen(x->resp.auth.v[i]), &c, &n, NULL) < 0)
				continue;
			for (size_t k = 0; k < n; k++)
				if (c[k].error && !chal_err)
					chal_err = bh_strdup(c[k].error);
			bh_registry_challenges_free(c, n);
		}
		if (h->auth == REG_AUTH_BASIC)
			hint = ": authentication failed (wrong user name or password?)";
		else if (h->auth == REG_AUTH_BEARER)
			hint = ": authentication failed: the registry refused the token";
		else
			hint = ": authentication failed";
	}
	bh_error_set(err, st == 404 ? BH_ERR_NOTFOUND : BH_ERR_IO,
		     "registry %s: %s: %ld %s%s%s%.60s%s%s%s", h->hostport, what, st,
		     status_text(st), hint, chal_err ? " (" : "", chal_err ? chal_err : "",
		     chal_err ? ")" : "", detail.len ? ": " : "", detail.len ? detail.data : "");
	free(chal_err);
	bh_buf_release(&body);
	bh_buf_release(&detail);
	reg_xfer_close(x);
	return -1;
}
