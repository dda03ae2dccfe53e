/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP layer's TLS context and its client certificates (src/http/tls.h).
 *
 * Client certificates are asked for with SSL_VERIFY_PEER and without
 * SSL_VERIFY_FAIL_IF_NO_PEER_CERT: a client without one gets through the
 * handshake (the kubelet's probes reach /healthz), one whose certificate
 * does not verify does not (OpenSSL's own chain check against the bundle,
 * an alert). Whether a route may be used is decided per request
 * (http_tls_peer), from what the handshake kept: the certificate, its
 * verify result, and the names (X509_check_host, subject CN always checked,
 * no wildcards).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tls.h"
#include "banned.h"

const char *const http_peer_reason[HTTP_PEER_N] = { "ok", "none", "untrusted", "name" };

/* The SSL_CTX ex_data index 0 (SSL_CTX_set_app_data's) holds the counter. */
#define CTX_COUNTER_IDX 0

static void ssl_errors(struct bh_error **err, const char *what)
{
	char buf[256] = "";
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last)
		ERR_error_string_n(last, buf, sizeof(buf));
	bh_error_set(err, BH_ERR_INVALID, "%s%s%s", what, *buf ? ": " : "", buf);
}

/* A certificate that does not verify: counted, and the handshake ends
 * (returning 0 stops the chain check at its first error: once a connection). */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl;
	atomic_uint_fast64_t *n;

	if (ok)
		return 1;
	ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	n = ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), CTX_COUNTER_IDX) : NULL;
	if (n)
		atomic_fetch_add(n, 1);
	return 0;
}

static int load_client_ca(SSL_CTX *ctx, const struct bh_http_client_auth *ca,
			  atomic_uint_fast64_t *untrusted, struct bh_error **err)
{
	STACK_OF(X509_NAME) * names;

	/* the CA names sent in the CertificateRequest (clients pick by them);
	 * NULL when the file holds no certificate at all */
	names = SSL_load_client_CA_file(ca->ca_file);
	if (!names) {
		ssl_errors(err, "no CA certificate read from it (a PEM bundle expected)");
		return bh_error_prefix(err, "client CA bundle %s", ca->ca_file);
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	if (SSL_CTX_load_verify_locations(ctx, ca->ca_file, NULL) != 1) {
		ssl_errors(err, "does not load");
		return bh_error_prefix(err, "client CA bundle %s", ca->ca_file);
	}
	SSL_CTX_set_ex_data(ctx, CTX_COUNTER_IDX, untrusted);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	/* resumed sessions keep their peer's certificate; OpenSSL refuses to
	 * resume a verified session without a context id */
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"bulkhead-http", 13);
	return 0;
}

SSL_CTX *http_tls_ctx(const char *cert, const char *key, const struct bh_http_client_auth *ca,
		      atomic_uint_fast64_t *untrusted, struct bh_error **err)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_errors(err, "TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_errors(err, "certificate");
		bh_error_prefix(err, "%s", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_errors(err, "private key");
		bh_error_prefix(err, "%s", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_errors(err, "the key does not match the certificate");
		bh_error_prefix(err, "%s", key);
		goto fail;
	}
	if (ca && ca->ca_file && load_client_ca(ctx, ca, untrusted, err) < 0)
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int bh_http_client_check(const struct bh_http_client_auth *ca, struct bh_error **err)
{
	STACK_OF(X509_NAME) * names;

	if (ca->nnames && !ca->ca_file)
		return bh_error_set(err, BH_ERR_USAGE,
				    "a client name needs a client CA bundle to verify "
				    "certificates against (--client-ca)");
	if (ca->nnames > BH_HTTP_CLIENT_NAMES_MAX)
		return bh_error_set(err, BH_ERR_USAGE, "more than %d client names",
				    BH_HTTP_CLIENT_NAMES_MAX);
	for (size_t i = 0; i < ca->nnames; i++)
		if (!ca->names[i] || !*ca->names[i])
			return bh_error_set(err, BH_ERR_USAGE, "an empty client name");
		else if (ca->names[i][0] == '.')
			/* X509_check_host reads a leading dot as "any subdomain" */
			return bh_error_set(err, BH_ERR_USAGE,
					    "client name %s: a name starting with '.' would take "
					    "every subdomain (names are matched exactly)",
					    ca->names[i]);
	if (!ca->ca_file)
		return 0;
	if (access(ca->ca_file, R_OK) < 0)
		return bh_error_sys(err, errno, "client CA bundle %s", ca->ca_file);
	if (bh_lazy_require(&bh_lazy_ssl, err) < 0)
		return -1;
	ERR_clear_error();
	names = SSL_load_client_CA_file(ca->ca_file);
	if (!names) {
		ssl_errors(err, "no CA certificate read from it (a PEM bundle expected)");
		return bh_error_prefix(err, "client CA bundle %s", ca->ca_file);
	}
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	return 0;
}

enum http_peer http_tls_peer(SSL *ssl, const struct bh_http_client_auth *ca)
{
	X509 *x = ssl ? SSL_get0_peer_certificate(ssl) : NULL;

	if (!x)
		return HTTP_PEER_NONE;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		return HTTP_PEER_UNTRUSTED;
	if (!ca->nnames)
		return HTTP_PEER_OK;
	for (size_t i = 0; i < ca->nnames; i++)
		if (X509_check_host(x, ca->names[i], strlen(ca->names[i]),
				    X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT |
					    X509_CHECK_FLAG_NO_WILDCARDS,
				    NULL) == 1)
			return HTTP_PEER_OK;
	return HTTP_PEER_NAME;
}
