/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP layer's TLS (src/http/tls.c), for src/http/server.c only: the
 * context made from the options' files, and the client certificate check
 * of struct bh_http_client_auth (include/bulkhead/http.h).
 */
#ifndef BULKHEAD_HTTP_TLS_H
#define BULKHEAD_HTTP_TLS_H

#include <stdatomic.h>

#include "bulkhead/http.h"
#include "lazy/event.h"

/* Why a client was refused on a route (the metrics' reason label). */
enum http_peer {
	HTTP_PEER_OK,
	HTTP_PEER_NONE,	     /* no certificate */
	HTTP_PEER_UNTRUSTED, /* one that did not verify (counted at the handshake) */
	HTTP_PEER_NAME,	     /* verified, but none of the names allowed */
	HTTP_PEER_N,
};
extern const char *const http_peer_reason[HTTP_PEER_N];

/*
 * A server context with cert (PEM chain) and key; with ca->ca_file, one that
 * asks clients for a certificate and verifies it against that bundle (a bad
 * one ends the handshake and adds 1 to *untrusted, which must outlive the
 * context). NULL with err when a file does not load (naming it).
 */
SSL_CTX *http_tls_ctx(const char *cert, const char *key, const struct bh_http_client_auth *ca,
		      atomic_uint_fast64_t *untrusted, struct bh_error **err);

/* The client certificate of a TLS connection judged against ca. */
enum http_peer http_tls_peer(SSL *ssl, const struct bh_http_client_auth *ca);

#endif
