/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead HTTP server: the one server layer the commands that serve use
 * (`bulkhead admission serve` today, the controller's API next). It knows
 * nothing of what it serves: routes map (method, path) to handlers.
 *
 * Built on libevent's evhttp with TLS through OpenSSL (bufferevent_openssl),
 * both loaded on first use (src/lazy/), so only a command that serves maps
 * them. What the layer gives every server:
 *
 *   - HTTPS (TLS 1.2+) with a certificate and key read from files, reloaded
 *     when bh_http_reload() is called (the CLI calls it on SIGHUP): new
 *     connections get the new certificate, open ones keep theirs; a file that
 *     does not load keeps the old certificate and is an error;
 *   - optionally client certificates (mutual TLS, o->client): see
 *     struct bh_http_client_auth;
 *   - HTTP/1.1 keep-alive; bounded header and body sizes (413 above); an
 *     idle timeout and a whole-request deadline (a client that trickles a
 *     request is cut off when the deadline passes, whatever it sends);
 *     a bound on open connections (connections above it are closed at accept);
 *   - one event loop per worker thread, each with its own socket on the
 *     address (SO_REUSEPORT: the kernel spreads connections);
 *   - GET /healthz (200 while the process serves), GET /readyz (200 when the
 *     server is ready and not draining, 503 otherwise), GET /metrics
 *     (Prometheus text: the layer's own request counters and latency
 *     histogram, then what the server's metrics hook writes); the last two
 *     behind the server's authorize hook when it gives one;
 *   - graceful shutdown: bh_http_shutdown() (the CLI calls it on SIGTERM and
 *     SIGINT) stops accepting, answers /readyz 503, closes idle keep-alive
 *     connections, lets requests in flight finish (up to drain_ms), then
 *     bh_http_serve() returns.
 *
 * Handlers run on a worker thread and must be thread-safe; each gets the
 * whole request (body read to the end, within max_body) and fills a
 * response. They must not block for long: a worker serves its connections
 * one handler at a time.
 *
 * Ownership as include/bulkhead/base.h. The library never prints; it logs
 * (bh_log) connection-level problems (TLS handshakes that fail, deadlines).
 */
#ifndef BULKHEAD_HTTP_H
#define BULKHEAD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

struct bh_http_request {
	const char *method;	  /* "GET", "POST", ... */
	const char *path;	  /* decoded path, without the query */
	const char *query;	  /* the raw query string, or NULL */
	const char *content_type; /* or NULL */
	const unsigned char *body;
	size_t body_len;
	const char *peer;	   /* "ADDR:PORT" of the client */
	const char *authorization; /* the Authorization header, or NULL */
	const char *if_none_match; /* the If-None-Match header, or NULL */
};

struct bh_http_response {
	int status;		  /* 200 unless the handler sets it */
	const char *content_type; /* static; default "application/json" */
	struct bh_buf body;	  /* filled by the handler (initialised by the layer) */
	/* more headers: NAME, VALUE pairs ending with NULL; static (they must outlive the
	 * handler's return), NULL for none */
	const char *const *headers;
	unsigned retry_after; /* > 0: a Retry-After header of that many seconds */
	/* http17: a long-lived response (see below); NULL: the body above is all */
	const struct bh_http_stream_ops *stream;
	void *stream_ctx;
};

/*
 * A long-lived response (Server-Sent Events): a handler that sets
 * resp->stream (with status 200) sends its headers now and the body in pieces
 * later, without holding the worker: the worker's tick (every 100 ms) calls
 * pull, on the worker's thread, while the connection's unsent output is under
 * BH_HTTP_STREAM_BACKLOG bytes (a slow reader is simply not pulled: its
 * producer's queue overflows, never the server's memory); what pull appends
 * goes as one chunk. done is called exactly once when the response ends: pull
 * returned <0, the client left, or the server drains; it frees ctx. A
 * handler's body is ignored when it streams. Streams count against
 * max_conns like any connection.
 */
#define BH_HTTP_STREAM_BACKLOG (256u << 10)
struct bh_http_stream_ops {
	/* Append what to send now to out (nothing is fine); <0: end the response. */
	int (*pull)(void *ctx, struct bh_buf *out);
	void (*done)(void *ctx);
};

typedef void (*bh_http_handler)(void *ctx, const struct bh_http_request *req,
				struct bh_http_response *resp);

struct bh_http_route {
	const char *method; /* "POST"; NULL: any */
	const char *path;   /* exact path */
	bh_http_handler handler;
	void *ctx;
};

/* A Prometheus histogram with fixed bucket bounds (seconds), lock-free. */
#define BH_HTTP_HIST_BUCKETS 14
struct bh_http_hist {
	uint64_t bucket[BH_HTTP_HIST_BUCKETS + 1]; /* + the +Inf bucket */
	uint64_t count;
	uint64_t sum_ns;
};
void bh_http_hist_observe(struct bh_http_hist *h, uint64_t ns);
/* Append NAME_bucket{LABELS,le="..."}, NAME_sum, NAME_count; labels may be "". */
int bh_http_hist_write(const struct bh_http_hist *h, const char *name, const char *labels,
		       struct bh_buf *out, struct bh_error **err);

/*
 * Client certificates (mutual TLS), for a server only some clients may use
 * (the admission webhook: the Kubernetes API server). With ca_file set the
 * server asks every TLS client for a certificate; at the TLS layer it is
 * optional (the kubelet's probes come without one) but one that does not
 * verify against ca_file ends the handshake (an alert). Every route of
 * o->routes then needs a certificate that verified and, when names are
 * given, whose subject CN or one of whose SAN DNS names is one of them
 * (exactly, case-insensitively, no wildcards): else 403 and the handler is
 * not called. The layer's /healthz, /readyz and /metrics do not need one
 * (/readyz and /metrics stay behind authorize). Refusals are counted in
 * bulkhead_http_client_cert_refused_total{reason="none|untrusted|name"}.
 * ca_file is read again by bh_http_reload (new connections are judged by
 * the new bundle; a connection already open keeps the verdict it was given).
 * A name starting with '.' is refused (it would match every subdomain).
 * names without ca_file, or a
 * ca_file with no certificate in it, is an error of bh_http_server_new.
 */
#define BH_HTTP_CLIENT_NAMES_MAX 64
struct bh_http_client_auth {
	const char *ca_file;	  /* PEM bundle of the CAs trusted; NULL: no client certificates */
	const char *const *names; /* names allowed (nnames of them); none: any the CA signed */
	size_t nnames;
};

/*
 * Check ca before serving (bh_http_server_new checks it again): names
 * without ca_file, an empty name, more than BH_HTTP_CLIENT_NAMES_MAX, a
 * ca_file that does not read as PEM CA certificates are errors naming what
 * was wrong. ca all zero is fine (no client certificates).
 */
BH_MUST_CHECK int bh_http_client_check(const struct bh_http_client_auth *ca, struct bh_error **err);

struct bh_http_options {
	const char *listen;    /* "ADDR:PORT", "[v6]:PORT" or ":PORT" (all addresses) */
	const char *cert_file; /* PEM chain; NULL with key_file NULL: plain HTTP */
	const char *key_file;
	/* mutual TLS (needs cert_file); zero: none. ca_file is copied, names
	 * borrowed (they must outlive the server, as routes do) */
	struct bh_http_client_auth client;
	const struct bh_http_route *routes;
	size_t nroutes;
	size_t max_body;     /* bytes; 0 = 1 MiB */
	size_t max_headers;  /* bytes of the request line and headers; 0 = 16 KiB */
	unsigned idle_ms;    /* no bytes for this long: closed; 0 = 30 s */
	unsigned request_ms; /* a request must arrive whole within this; 0 = 10 s */
	unsigned max_conns;  /* open connections, all workers; 0 = 1024 */
	unsigned threads;    /* worker threads; 0 = the CPUs */
	unsigned drain_ms;   /* at shutdown, how long requests in flight may take; 0 = 10 s */
	/* appended to /metrics (may be NULL) */
	int (*metrics)(void *ctx, struct bh_buf *out, struct bh_error **err);
	void *metrics_ctx;
	/* /readyz answers 200 only while this says true (NULL: always once serving) */
	bool (*ready)(void *ctx);
	void *ready_ctx;
	/*
	 * Who may read /readyz and /metrics (/healthz is always open). NULL:
	 * anyone (the admission webhook's probes come without credentials).
	 * Otherwise called with the request (its path one of the two): 0 lets
	 * it through, else the status to answer instead (401, 403, 500) with
	 * *msg (static text) as the body; a 401 gets WWW-Authenticate: Bearer.
	 */
	int (*authorize)(void *ctx, const struct bh_http_request *req, const char **msg);
	void *authorize_ctx;
};

struct bh_http_server;

/*
 * Bind the address(es) and load the certificate: errors here (address in
 * use, a key that does not match) are reported before anything is served.
 * The server is freed with bh_http_server_free after bh_http_serve returns.
 */
BH_MUST_CHECK int bh_http_server_new(const struct bh_http_options *o, struct bh_http_server **out,
				     struct bh_error **err);
/* The port bound (useful with port 0). */
int bh_http_server_port(const struct bh_http_server *s);
/* Serve until bh_http_shutdown; returns 0 after the drain. */
int bh_http_serve(struct bh_http_server *s, struct bh_error **err);
/* Reload the certificate, key and client CA bundle from their files (any thread, or a signal
 * handler's thread; not async-signal-safe). */
int bh_http_reload(struct bh_http_server *s, struct bh_error **err);
/* Begin the graceful shutdown (any thread; async-signal-safe). */
void bh_http_shutdown(struct bh_http_server *s);
void bh_http_server_free(struct bh_http_server *s);

#endif /* BULKHEAD_HTTP_H */
