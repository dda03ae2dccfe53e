/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server layer (include/bulkhead/http.h) on libevent's evhttp, TLS
 * through OpenSSL's bufferevent, both loaded on first use.
 *
 * Why libevent: it is in Debian (BSD licence, kept since 2000), its evhttp
 * has keep-alive, header and body limits and timeouts, and its TLS is
 * OpenSSL's (libmicrohttpd, the other candidate, is built against GnuTLS in
 * Debian, and the house's TLS is OpenSSL's).
 *
 * One worker thread per CPU, each with its own event base, evhttp and socket
 * bound with SO_REUSEPORT. Every connection has a record (struct conn) in its
 * worker's table by fd, made when evhttp asks for the connection's
 * bufferevent and dropped when that bufferevent is freed (the SSL's ex_data
 * destructor; for plain HTTP the tick, when evhttp let go of it):
 * the count bounds connections, and a tick (every 100 ms) cuts connections
 * whose request did not arrive whole within request_ms (libevent's own
 * timeouts are per read: a client that trickles bytes would never time out)
 * and runs the drain at shutdown.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/http.h"
#include "lazy/event.h"
#include "tls.h"
#include "banned.h"

#define TICK_MS 100

struct worker;

struct conn {
	struct worker *w;
	struct conn *prev, *next;
	struct bufferevent *bev;
	bool refuse;	      /* over the bound: closed at the next tick */
	uint64_t phase_start; /* accept, or the end of the last response (ns) */
	uint64_t busy_mark;   /* the worker's busy_ns at phase_start */
	bool writing;	      /* a response is being sent */
	bool cut;	      /* shutdown() already called */
	bool plain;	      /* no TLS: the record holds a reference (plain_released) */
	signed char peer;     /* o.client: enum http_peer + 1 once judged, 0 before */
	/* a long-lived response (resp->stream): its ops, their ctx, its request */
	const struct bh_http_stream_ops *sops;
	void *sctx;
	struct evhttp_request *sreq;
};

struct worker {
	struct bh_http_server *s;
	pthread_t thread;
	bool started;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *tick;
	struct conn *conns; /* every open connection of this worker */
	bool draining;
	uint64_t drain_deadline;
	/* time this worker spent in handlers, when it read nothing: not counted
	 * against a connection's request deadline (ns) */
	uint64_t busy_ns;
};

/* Counters by status code. */
static const int codes[] = { 200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503 };
#define NCODES (sizeof(codes) / sizeof(codes[0]))

struct bh_http_server {
	struct bh_http_options o;
	char *listen;
	char *cert_file, *key_file, *ca_file;
	int port;
	struct worker *workers;
	unsigned nworkers;
	pthread_mutex_t ctx_lock;
	SSL_CTX *ctx; /* the current certificate; NULL: plain HTTP */
	atomic_int nconns;
	atomic_bool shutdown;
	atomic_bool serving;
	/* metrics */
	atomic_uint_fast64_t requests[NCODES + 1];
	atomic_uint_fast64_t refused_conns, cut_conns, reloads, reload_failures;
	atomic_uint_fast64_t peer_refused[HTTP_PEER_N]; /* o.client: by enum http_peer */
	struct bh_http_hist latency;
};

static int ssl_ex_index = -1;
static pthread_once_t ssl_ex_once = PTHREAD_ONCE_INIT;

/* ---- connections ----------------------------------------------------------------- */

/* End c's long-lived response (once): its last chunk when the client is
 * still there (send_end), then the producer's done. Not called with a
 * request evhttp freed: the drain ends every stream before evhttp_free, and
 * the tick ends one before it frees its connection. */
static void stream_end(struct conn *c, bool send_end)
{
	const struct bh_http_stream_ops *ops = c->sops;
	struct evhttp_request *req = c->sreq;
	void *ctx = c->sctx;

	if (!ops)
		return;
	/* c is not read after evhttp_send_reply_end: ending a reply can run
	 * on_complete, which may let go of the connection */
	c->sops = NULL;
	c->sreq = NULL;
	c->sctx = NULL;
	/* evhttp, finding the client gone (EOF, timeout) before the response
	 * ended, let go of the request (no connection) for us to end: that
	 * frees it */
	if (req && (send_end || !evhttp_request_get_connection(req)))
		evhttp_send_reply_end(req);
	ops->done(ctx);
}

static void conn_gone(struct conn *c)
{
	struct worker *w = c->w;

	stream_end(c, false); /* the connection is being freed: no more writes */
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	atomic_fetch_sub(&w->s->nconns, 1);
	free(c);
}

static void ssl_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	if (ptr)
		conn_gone(ptr);
}

static void ssl_ex_init(void)
{
	/* SSL_get_ex_new_index is a macro over libcrypto's CRYPTO_get_ex_new_index */
	int (*get_index)(int, long, void *, CRYPTO_EX_new *, CRYPTO_EX_dup *, CRYPTO_EX_free *) =
		(int (*)(int, long, void *, CRYPTO_EX_new *, CRYPTO_EX_dup *,
			 CRYPTO_EX_free *))bh_lazy_sym(&bh_lazy_crypto, "CRYPTO_get_ex_new_index");

	ssl_ex_index = get_index(CRYPTO_EX_INDEX_SSL, 0, NULL, NULL, NULL, ssl_ex_free);
}

/*
 * A plain connection's record ends when the tick finds that evhttp let go of
 * its bufferevent (freed it: no callbacks left) while the record's own
 * reference kept it (and its socket) alive; then the reference goes. (A
 * filter bufferevent with a destructor, as before, never got its socket:
 * libevent 2.1's filters refuse bufferevent_setfd, which evhttp calls after
 * new_bev, so plain HTTP read nothing at all.)
 */
static bool plain_released(struct conn *c)
{
	bufferevent_data_cb r = NULL, wcb = NULL;
	bufferevent_event_cb e = NULL;

	bufferevent_getcb(c->bev, &r, &wcb, &e, NULL);
	return !r && !wcb && !e;
}

static void plain_gone(struct conn *c)
{
	struct bufferevent *bev = c->bev;

	bufferevent_disable(bev, EV_READ | EV_WRITE);
	conn_gone(c);
	bufferevent_decref(bev); /* the last reference: the socket closes */
}

static void conn_cut(struct conn *c)
{
	int fd = bufferevent_getfd(c->bev);

	if (!c->cut && fd >= 0) {
		c->cut = true;
		shutdown(fd, SHUT_RDWR);
	}
}

/* ---- requests ------------------------------------------------------------------------ */

static const char *method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "OTHER";
	}
}

static void count_status(struct bh_http_server *s, int status)
{
	size_t i;

	for (i = 0; i < NCODES && codes[i] != status; i++)
		;
	atomic_fetch_add(&s->requests[i], 1);
}

static struct conn *req_conn(struct worker *w, struct evhttp_request *req)
{
	struct evhttp_connection *evc = evhttp_request_get_connection(req);
	struct bufferevent *bev = evc ? evhttp_connection_get_bufferevent(evc) : NULL;

	for (struct conn *c = w->conns; bev && c; c = c->next)
		if (c->bev == bev)
			return c;
	return NULL;
}

/*
 * With o.client, may req's client use a route? Judged once a connection
 * (the certificate cannot change: no renegotiation). A refusal is counted.
 */
static enum http_peer route_peer(struct bh_http_server *s, struct conn *c,
				 struct evhttp_request *req)
{
	struct evhttp_connection *evc;
	struct bufferevent *bev;
	enum http_peer p;

	if (!s->o.client.ca_file)
		return HTTP_PEER_OK;
	if (c && c->peer) {
		p = (enum http_peer)(c->peer - 1);
	} else {
		evc = evhttp_request_get_connection(req);
		bev = evc ? evhttp_connection_get_bufferevent(evc) : NULL;
		p = http_tls_peer(bev ? bufferevent_openssl_get_ssl(bev) : NULL, &s->o.client);
		if (c)
			c->peer = (signed char)(p + 1);
	}
	if (p != HTTP_PEER_OK)
		atomic_fetch_add(&s->peer_refused[p], 1);
	return p;
}

static void on_complete(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;

	(void)req;
	c->writing = false;
	c->phase_start = bh_mono_ns();
	c->busy_mark = c->w->busy_ns;
}

static int write_metrics(struct bh_http_server *s, struct bh_buf *out, struct bh_error **err)
{
	if (bh_buf_adds(
		    out,
		    "# HELP bulkhead_http_requests_total HTTP requests answered, by status code.\n"
		    "# TYPE bulkhead_http_requests_total counter\n",
		    err) < 0)
		return -1;
	for (size_t i = 0; i <= NCODES; i++) {
		char code[16];

		if (i < NCODES)
			snprintf(code, sizeof(code), "%d", codes[i]);
		else
			snprintf(code, sizeof(code), "other");
		if (bh_buf_addf(out, err, "bulkhead_http_requests_total{code=\"%s\"} %llu\n", code,
				(unsigned long long)atomic_load(&s->requests[i])) < 0)
			return -1;
	}
	if (bh_buf_addf(
		    out, err,
		    "# HELP bulkhead_http_connections Open connections.\n"
		    "# TYPE bulkhead_http_connections gauge\n"
		    "bulkhead_http_connections %d\n"
		    "# HELP bulkhead_http_connections_refused_total Connections closed at accept "
		    "(over the bound).\n"
		    "# TYPE bulkhead_http_connections_refused_total counter\n"
		    "bulkhead_http_connections_refused_total %llu\n"
		    "# HELP bulkhead_http_connections_cut_total Connections cut at the request "
		    "deadline.\n"
		    "# TYPE bulkhead_http_connections_cut_total counter\n"
		    "bulkhead_http_connections_cut_total %llu\n"
		    "# HELP bulkhead_http_certificate_reloads_total Certificate reloads, by "
		    "result.\n"
		    "# TYPE bulkhead_http_certificate_reloads_total counter\n"
		    "bulkhead_http_certificate_reloads_total{result=\"ok\"} %llu\n"
		    "bulkhead_http_certificate_reloads_total{result=\"error\"} %llu\n"
		    "# HELP bulkhead_http_request_duration_seconds Time in the handler.\n"
		    "# TYPE bulkhead_http_request_duration_seconds histogram\n",
		    atomic_load(&s->nconns), (unsigned long long)atomic_load(&s->refused_conns),
		    (unsigned long long)atomic_load(&s->cut_conns),
		    (unsigned long long)atomic_load(&s->reloads),
		    (unsigned long long)atomic_load(&s->reload_failures)) < 0)
		return -1;
	if (bh_http_hist_write(&s->latency, "bulkhead_http_request_duration_seconds", "", out,
			       err) < 0)
		return -1;
	if (s->o.client.ca_file) {
		if (bh_buf_adds(out,
				"# HELP bulkhead_http_client_cert_refused_total Clients refused "
				"for their certificate: none or a wrong name (requests to a "
				"route), untrusted (handshakes).\n"
				"# TYPE bulkhead_http_client_cert_refused_total counter\n",
				err) < 0)
			return -1;
		for (int i = HTTP_PEER_NONE; i < HTTP_PEER_N; i++)
			if (bh_buf_addf(out, err,
					"bulkhead_http_client_cert_refused_total{reason=\"%s\"} "
					"%llu\n",
					http_peer_reason[i],
					(unsigned long long)atomic_load(&s->peer_refused[i])) < 0)
				return -1;
	}
	if (s->o.metrics && s->o.metrics(s->o.metrics_ctx, out, err) < 0)
		return -1;
	return 0;
}

static void builtin(struct bh_http_server *s, struct worker *w, const char *path,
		    struct bh_http_response *resp)
{
	struct bh_error *err = NULL;

	resp->content_type = "text/plain; charset=utf-8";
	if (!strcmp(path, "/healthz")) {
		bh_buf_adds(&resp->body, "ok\n", NULL);
	} else if (!strcmp(path, "/readyz")) {
		bool ready = atomic_load(&s->serving) && !w->draining &&
			     !atomic_load(&s->shutdown) &&
			     (!s->o.ready || s->o.ready(s->o.ready_ctx));

		resp->status = ready ? 200 : 503;
		bh_buf_adds(&resp->body, ready ? "ok\n" : "not ready\n", NULL);
	} else {
		resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
		if (write_metrics(s, &resp->body, &err) < 0) {
			bh_error_warn(&err, "metrics");
			resp->status = 500;
		}
	}
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct worker *w = arg;
	struct bh_http_server *s = w->s;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *method = method_name(evhttp_request_get_command(req));
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	struct bh_http_response resp = { .status = 200, .content_type = "application/json" };
	struct bh_http_request r = { 0 };
	struct conn *c = req_conn(w, req);
	const struct bh_http_route *route = NULL;
	bool path_known = false;
	enum http_peer peer_st;
	uint64_t t0 = bh_mono_ns();
	char peer[80] = "";
	char *peer_addr = NULL;
	ev_uint16_t peer_port = 0;
	size_t len;

	if (!path || !*path)
		path = "/";
	bh_buf_init(&resp.body, 64u << 20);
	evhttp_connection_get_peer(evhttp_request_get_connection(req), &peer_addr, &peer_port);
	snprintf(peer, sizeof(peer), "%s:%u", peer_addr ? peer_addr : "?", peer_port);

	for (size_t i = 0; i < s->o.nroutes; i++) {
		if (strcmp(s->o.routes[i].path, path))
			continue;
		path_known = true;
		if (!s->o.routes[i].method || !strcmp(s->o.routes[i].method, method)) {
			route = &s->o.routes[i];
			break;
		}
	}
	r.method = method;
	r.path = path;
	r.query = uri ? evhttp_uri_get_query(uri) : NULL;
	r.content_type = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	r.authorization =
		evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	r.if_none_match =
		evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");
	r.body = (const unsigned char *)"";
	r.peer = peer;
	if (c && c->refuse) {
		resp.status = 503;
		resp.content_type = "text/plain; charset=utf-8";
		bh_buf_adds(&resp.body, "too many connections\n", NULL);
	} else if (route && (peer_st = route_peer(s, c, req)) != HTTP_PEER_OK) {
		/* never the handler: a refused client reaches no policy, no log */
		resp.status = 403;
		resp.content_type = "text/plain; charset=utf-8";
		bh_buf_addf(&resp.body, NULL, "%s\n",
			    peer_st == HTTP_PEER_NONE ? "a client certificate is required"
			    : peer_st == HTTP_PEER_NAME
				    ? "the client certificate's name is not allowed"
				    : "the client certificate is not trusted");
		bh_debug("http: %s %s: refused (client certificate: %s)", peer, path,
			 http_peer_reason[peer_st]);
	} else if (route) {
		len = evbuffer_get_length(in);
		if (len)
			r.body = evbuffer_pullup(in, (ev_ssize_t)len);
		r.body_len = len;
		route->handler(route->ctx, &r, &resp);
		bh_http_hist_observe(&s->latency, bh_mono_ns() - t0);
	} else if (!strcmp(path, "/healthz") || !strcmp(path, "/readyz") ||
		   !strcmp(path, "/metrics")) {
		const char *msg = NULL;
		int st = 0;

		if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
			resp.status = 405;
			evhttp_add_header(oh, "Allow", "GET, HEAD");
		} else if (strcmp(path, "/healthz") && s->o.authorize &&
			   (st = s->o.authorize(s->o.authorize_ctx, &r, &msg)) != 0) {
			resp.status = st;
			resp.content_type = "text/plain; charset=utf-8";
			bh_buf_addf(&resp.body, NULL, "%s\n", msg ? msg : "not allowed");
			if (st == 401)
				evhttp_add_header(oh, "WWW-Authenticate", "Bearer");
		} else {
			builtin(s, w, path, &resp);
		}
	} else {
		resp.content_type = "text/plain; charset=utf-8";
		resp.status = path_known ? 405 : 404;
		bh_buf_adds(&resp.body, path_known ? "method not allowed\n" : "not found\n", NULL);
	}

	evhttp_add_header(oh, "Content-Type", resp.content_type);
	evhttp_add_header(oh, "X-Content-Type-Options", "nosniff");
	for (const char *const *h = resp.headers; h && h[0] && h[1]; h += 2)
		evhttp_add_header(oh, h[0], h[1]);
	if (resp.retry_after) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%u", resp.retry_after);
		evhttp_add_header(oh, "Retry-After", ra);
	}
	if (w->draining || atomic_load(&s->shutdown) || (c && c->refuse))
		evhttp_add_header(oh, "Connection", "close");
	count_status(s, resp.status);
	if (resp.stream && resp.status == 200 && c && !c->refuse && !c->sops && !w->draining &&
	    !atomic_load(&s->shutdown)) {
		/* a long-lived response: headers now, chunks from the tick */
		evhttp_add_header(oh, "Cache-Control", "no-store");
		c->writing = true;
		c->sops = resp.stream;
		c->sctx = resp.stream_ctx;
		c->sreq = req;
		evhttp_request_set_on_complete_cb(req, on_complete, c);
		evhttp_send_reply_start(req, 200, "OK");
		/* no read deadline while it streams (the client sends nothing more);
		 * the write one stays: a reader that takes nothing is cut */
		{
			struct timeval wt = { .tv_sec = s->o.idle_ms / 1000,
					      .tv_usec = (s->o.idle_ms % 1000) * 1000 };

			bufferevent_set_timeouts(c->bev, NULL, &wt);
		}
		bh_buf_release(&resp.body);
		w->busy_ns += bh_mono_ns() - t0;
		return;
	}
	if (resp.stream) /* not streamed after all (refused, draining): it ends here */
		resp.stream->done(resp.stream_ctx);
	if (resp.body.len)
		evbuffer_add(evhttp_request_get_output_buffer(req), resp.body.data, resp.body.len);
	if (c) {
		c->writing = true;
		evhttp_request_set_on_complete_cb(req, on_complete, c);
	}
	evhttp_send_reply(req, resp.status, NULL, NULL);
	/* headers and body are two chains of the output buffer, which would go as
	 * two TLS records and two writes: one chain is one record, one write */
	if (c && c->bev)
		evbuffer_pullup(bufferevent_get_output(c->bev), -1);
	bh_buf_release(&resp.body);
	w->busy_ns += bh_mono_ns() - t0;
}

/* ---- workers ----------------------------------------------------------------------------- */

static void begin_drain(struct worker *w)
{
	struct bh_http_server *s = w->s;

	w->draining = true;
	w->drain_deadline = bh_mono_ns() + (uint64_t)s->o.drain_ms * 1000000u;
	if (w->bound) {
		evhttp_del_accept_socket(w->http, w->bound);
		w->bound = NULL;
	}
}

/* Bytes written to c and not yet taken by the kernel. */
static size_t unsent(struct conn *c)
{
	struct bufferevent *under = bufferevent_get_underlying(c->bev);
	size_t n = evbuffer_get_length(bufferevent_get_output(c->bev));

	return n + (under ? evbuffer_get_length(bufferevent_get_output(under)) : 0);
}

/* A tick of c's long-lived response: the client gone (plain: the peer's
 * FIN), or the next chunk when the client keeps up. false: c was freed or
 * is being freed (skip it). */
static bool stream_tick(struct conn *c)
{
	struct evhttp_connection *evc = evhttp_request_get_connection(c->sreq);
	struct bh_buf out;
	int fd, rc;
	char b;
	ssize_t r;

	/* evhttp found the client gone (EOF, error, timeout) and freed the
	 * connection, letting go of the request. A TLS record goes only when
	 * libevent finalizes the bufferevent (SSL_free, the ex_data destructor),
	 * a callback queued after this tick when both were due in one loop
	 * iteration (a busy worker): here the record still has its stream and
	 * a request with no connection. End it (that frees the request); the
	 * record goes with the finalizer. (The peek below saw the EOF and
	 * freed a NULL connection: SIGSEGV, serve-stream.test on a loaded box.) */
	if (!evc) {
		stream_end(c, false);
		return false;
	}
	fd = bufferevent_getfd(c->bev);
	r = fd >= 0 ? recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) : 0;
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		stream_end(c, false);
		evhttp_connection_free(evc); /* c goes with it */
		return false;
	}
	if (unsent(c) >= BH_HTTP_STREAM_BACKLOG)
		return true;
	bh_buf_init(&out, BH_HTTP_STREAM_BACKLOG);
	rc = c->sops->pull(c->sctx, &out);
	if (out.len) {
		struct evbuffer *chunk = evbuffer_new();

		if (chunk) {
			evbuffer_add(chunk, out.data, out.len);
			evhttp_send_reply_chunk(c->sreq, chunk);
			evbuffer_free(chunk);
		}
	}
	bh_buf_release(&out);
	if (rc < 0)
		stream_end(c, true);
	return true;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct bh_http_server *s = w->s;
	uint64_t now = bh_mono_ns(), limit = (uint64_t)s->o.request_ms * 1000000u;
	size_t open = 0;

	(void)fd;
	(void)what;
	if (!w->draining && atomic_load(&s->shutdown))
		begin_drain(w);
	for (struct conn *c = w->conns, *next; c; c = next) {
		next = c->next;
		if (c->plain && plain_released(c)) {
			plain_gone(c);
			continue;
		}
		open++;
		if (c->sops && w->draining)
			stream_end(c, true);
		else if (c->sops && !stream_tick(c))
			continue;
		if (c->refuse) {
			conn_cut(c);
			continue;
		}
		if (c->cut || c->writing)
			continue;
		/* the time the worker spent in other connections' requests is not
		 * this client's: its request may be waiting, unread, in the socket
		 * (500 agents on 2 workers: a request queued behind a few hundred
		 * others was cut at 10 s and the agent's batch failed). The credit is
		 * at most the limit again: on a worker kept busy (by load, or by an
		 * attacker's cheap requests) a trickling client is still cut, at 2x. */
		uint64_t credit = w->busy_ns - c->busy_mark;

		if (credit > limit)
			credit = limit;
		if (now - c->phase_start > limit + credit) {
			bh_debug("http: no whole request within %u ms: connection closed",
				 s->o.request_ms);
			atomic_fetch_add(&s->cut_conns, 1);
			conn_cut(c);
		} else if (w->draining &&
			   (!c->bev || !evbuffer_get_length(bufferevent_get_input(c->bev)))) {
			/* idle keep-alive connection: nothing in flight */
			conn_cut(c);
		}
	}
	if (w->draining && (open == 0 || now > w->drain_deadline))
		event_base_loopexit(w->base, NULL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

/* Bind one listening socket (SO_REUSEPORT) on the address. */
static int bind_socket(struct bh_http_server *s, int *out, struct bh_error **err)
{
	char host[256], port[16];
	const char *colon = strrchr(s->listen, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	size_t hl;
	int fd = -1, one = 1, rc;
	const char *h = s->listen;

	if (!colon || !colon[1] || strlen(colon + 1) >= sizeof(port))
		return bh_error_set(err, BH_ERR_USAGE, "listen address '%s': expected ADDR:PORT",
				    s->listen);
	hl = (size_t)(colon - h);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return bh_error_set(err, BH_ERR_USAGE, "listen address '%s': too long", s->listen);
	memcpy(host, h, hl);
	host[hl] = 0;
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (s->port > 0) /* the next workers bind the port the first one got */
		snprintf(port, sizeof(port), "%d", s->port);
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (rc)
		return bh_error_set(err, BH_ERR_USAGE, "listen address '%s': %s", s->listen,
				    gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = errno;
		freeaddrinfo(ai);
		return bh_error_sys(err, rc, "socket");
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* accepted sockets inherit it: a response written in two pieces
	 * (headers, body) is not held for the client's delayed ACK (40 ms) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
		rc = errno;
		close(fd);
		freeaddrinfo(ai);
		return bh_error_sys(err, rc, "listen on %s", s->listen);
	}
	freeaddrinfo(ai);
	if (s->port <= 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			s->port = ntohs(ss.ss_family == AF_INET6
						? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	}
	*out = fd;
	return 0;
}

static struct conn *conn_new(struct worker *w, struct bufferevent *bev)
{
	struct conn *c = bh_calloc(1, sizeof(*c));

	c->w = w;
	c->bev = bev;
	c->phase_start = bh_mono_ns();
	c->busy_mark = w->busy_ns;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	if ((unsigned)atomic_fetch_add(&w->s->nconns, 1) >= w->s->o.max_conns) {
		c->refuse = true;
		atomic_fetch_add(&w->s->refused_conns, 1);
	}
	return c;
}

/*
 * evhttp asks for each accepted connection's bufferevent (libevent 2.1 sets
 * its fd afterwards): TLS, or a plain socket one the record holds a reference to; either
 * way with a record whose destructor runs when evhttp frees the connection.
 */
static struct bufferevent *new_bev(struct event_base *base, void *arg)
{
	struct worker *w = arg;
	struct bh_http_server *s = w->s;
	struct bufferevent *bev;
	struct conn *c;
	SSL *ssl;

	if (s->ctx) {
		pthread_mutex_lock(&s->ctx_lock);
		ssl = SSL_new(s->ctx);
		pthread_mutex_unlock(&s->ctx_lock);
		if (!ssl)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
						     BEV_OPT_CLOSE_ON_FREE);
		if (!bev)
			return NULL;
		SSL_set_ex_data(ssl, ssl_ex_index, conn_new(w, bev));
		return bev;
	}
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return NULL;
	c = conn_new(w, bev);
	c->plain = true;
	bufferevent_incref(bev); /* the record's reference (plain_released) */
	return bev;
}

int bh_http_server_new(const struct bh_http_options *o, struct bh_http_server **out,
		       struct bh_error **err)
{
	struct bh_http_server *s;
	long ncpu;

	*out = NULL;
	if (!o->listen)
		return bh_error_set(err, BH_ERR_USAGE, "no listen address");
	if (!o->cert_file != !o->key_file)
		return bh_error_set(err, BH_ERR_USAGE,
				    "a certificate needs its key, and a key its "
				    "certificate");
	if (o->client.ca_file && !o->cert_file)
		return bh_error_set(err, BH_ERR_USAGE,
				    "client certificates need TLS (a server certificate and key)");
	if (bh_http_client_check(&o->client, err) < 0)
		return -1;
	if (bh_lazy_require(&bh_lazy_event_core, err) < 0 ||
	    bh_lazy_require(&bh_lazy_event_extra, err) < 0 ||
	    bh_lazy_require(&bh_lazy_event_openssl, err) < 0 ||
	    bh_lazy_require(&bh_lazy_ssl, err) < 0 || bh_lazy_require(&bh_lazy_crypto, err) < 0)
		return -1;
	s = bh_calloc(1, sizeof(*s));
	s->o = *o;
	if (!s->o.max_body)
		s->o.max_body = 1u << 20;
	if (!s->o.max_headers)
		s->o.max_headers = 16u << 10;
	if (!s->o.idle_ms)
		s->o.idle_ms = 30000;
	if (!s->o.request_ms)
		s->o.request_ms = 10000;
	if (!s->o.max_conns)
		s->o.max_conns = 1024;
	if (!s->o.drain_ms)
		s->o.drain_ms = 10000;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	s->nworkers = s->o.threads ? s->o.threads : (unsigned)(ncpu > 0 ? ncpu : 1);
	if (s->nworkers > 64)
		s->nworkers = 64;
	s->listen = bh_strdup(o->listen);
	s->port = -1;
	pthread_mutex_init(&s->ctx_lock, NULL);
	*out = s;
	if (o->cert_file) {
		s->cert_file = bh_strdup(o->cert_file);
		s->key_file = bh_strdup(o->key_file);
		if (o->client.ca_file)
			s->o.client.ca_file = s->ca_file = bh_strdup(o->client.ca_file);
		pthread_once(&ssl_ex_once, ssl_ex_init);
		if (ssl_ex_index < 0)
			return bh_error_set(err, BH_ERR_INTERNAL, "no SSL ex_data index");
		s->ctx = http_tls_ctx(s->cert_file, s->key_file, &s->o.client,
				      &s->peer_refused[HTTP_PEER_UNTRUSTED], err);
		if (!s->ctx)
			return -1;
	}
	s->workers = bh_calloc(s->nworkers, sizeof(*s->workers));
	for (unsigned i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];
		struct timeval tv = { .tv_sec = s->o.idle_ms / 1000,
				      .tv_usec = (s->o.idle_ms % 1000) * 1000 };
		struct timeval tick = { .tv_sec = 0, .tv_usec = TICK_MS * 1000 };
		struct event_config *cfg;
		int fd;

		w->s = s;
		/* the changelist folds evhttp's disable/enable of a connection's events
		 * within one loop turn into one epoll_ctl, or none */
		cfg = event_config_new();
		if (cfg)
			event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
		w->base = cfg ? event_base_new_with_config(cfg) : NULL;
		if (cfg)
			event_config_free(cfg);
		if (!w->base)
			return bh_error_set(err, BH_ERR_INTERNAL, "event_base_new failed");
		w->http = evhttp_new(w->base);
		if (!w->http)
			return bh_error_set(err, BH_ERR_INTERNAL, "evhttp_new failed");
		if (bind_socket(s, &fd, err) < 0)
			return -1;
		w->bound = evhttp_accept_socket_with_handle(w->http, fd);
		if (!w->bound) {
			close(fd);
			return bh_error_set(err, BH_ERR_INTERNAL,
					    "evhttp could not take the socket");
		}
		evhttp_set_bevcb(w->http, new_bev, w);
		evhttp_set_gencb(w->http, on_request, w);
		evhttp_set_max_body_size(w->http, (ev_ssize_t)s->o.max_body);
		evhttp_set_max_headers_size(w->http, (ev_ssize_t)s->o.max_headers);
		evhttp_set_timeout_tv(w->http, &tv);
		evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
							    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
							    EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
		w->tick = event_new(w->base, -1, EV_PERSIST, on_tick, w);
		if (!w->tick || event_add(w->tick, &tick) < 0)
			return bh_error_set(err, BH_ERR_INTERNAL, "timer failed");
	}
	return 0;
}

int bh_http_server_port(const struct bh_http_server *s)
{
	return s->port;
}

int bh_http_serve(struct bh_http_server *s, struct bh_error **err)
{
	unsigned started = 0;
	int rc = 0;

	atomic_store(&s->serving, true);
	for (unsigned i = 0; i < s->nworkers; i++) {
		rc = pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]);
		if (rc) {
			bh_error_sys(err, rc, "worker thread");
			bh_http_shutdown(s);
			break;
		}
		s->workers[i].started = true;
		started++;
	}
	for (unsigned i = 0; i < s->nworkers; i++)
		if (s->workers[i].started) {
			pthread_join(s->workers[i].thread, NULL);
			s->workers[i].started = false;
		}
	atomic_store(&s->serving, false);
	return started == s->nworkers ? 0 : -1;
}

int bh_http_reload(struct bh_http_server *s, struct bh_error **err)
{
	SSL_CTX *ctx, *old;

	if (!s->cert_file)
		return 0;
	ctx = http_tls_ctx(s->cert_file, s->key_file, &s->o.client,
			   &s->peer_refused[HTTP_PEER_UNTRUSTED], err);
	if (!ctx) {
		atomic_fetch_add(&s->reload_failures, 1);
		return bh_error_prefix(err, "certificate reload (the old one is kept)");
	}
	pthread_mutex_lock(&s->ctx_lock);
	old = s->ctx;
	s->ctx = ctx;
	pthread_mutex_unlock(&s->ctx_lock);
	SSL_CTX_free(old); /* connections made with it hold references */
	atomic_fetch_add(&s->reloads, 1);
	return 0;
}

void bh_http_shutdown(struct bh_http_server *s)
{
	atomic_store(&s->shutdown, true);
}

void bh_http_server_free(struct bh_http_server *s)
{
	if (!s)
		return;
	for (unsigned i = 0; s->workers && i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];

		if (w->tick)
			event_free(w->tick);
		if (w->http)
			evhttp_free(w->http); /* frees the connections left: their records go */
		for (struct conn *c = w->conns, *next; c; c = next) {
			next = c->next;
			if (c->plain) /* evhttp let go of them: the records' references go */
				plain_gone(c);
		}
		if (w->base)
			event_base_free(w->base);
	}
	free(s->workers);
	if (s->ctx)
		SSL_CTX_free(s->ctx);
	pthread_mutex_destroy(&s->ctx_lock);
	free(s->listen);
	free(s->cert_file);
	free(s->key_file);
	free(s->ca_file);
	free(s);
}
