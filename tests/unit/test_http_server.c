/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP layer (src/http/server.c) over plain HTTP on loopback, one worker
 * thread so every connection shares one event loop: a second connection is
 * answered while a first one sits idle or trickles a request; pipelined
 * requests (several in one write) are all answered; a request that arrives
 * in pieces is answered; keep-alive serves several requests on one
 * connection. Every read has a bound (2 s): a stall fails instead of hanging.
 * Over TLS: a stream's client that leaves while the worker is busy (a pull
 * that takes 300 ms) is ended cleanly when the tick comes before libevent
 * frees the connection's record (the race that crashed serve-stream.test).
 * Client certificates (mtls): the options checked (a name without a CA, an
 * empty name, too many, a bundle missing or without a certificate); a route
 * refused (403) without a certificate or with another name, /healthz open,
 * the right certificate answered, also on a resumed session.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/http.h"
#include "lazy/event.h"

/* the test's TLS client, on the library the server loads */
#define TLS_client_method	     BH_LAZY(ssl, TLS_client_method)
#define SSL_set_fd		     BH_LAZY(ssl, SSL_set_fd)
#define SSL_connect		     BH_LAZY(ssl, SSL_connect)
#define SSL_read		     BH_LAZY(ssl, SSL_read)
#define SSL_write		     BH_LAZY(ssl, SSL_write)
#define SSL_free		     BH_LAZY(ssl, SSL_free)
#define SSL_get_fd		     BH_LAZY(ssl, SSL_get_fd)
#define SSL_CTX_use_certificate_file BH_LAZY(ssl, SSL_CTX_use_certificate_file)
#define SSL_get1_session	     BH_LAZY(ssl, SSL_get1_session)
#define SSL_set_session		     BH_LAZY(ssl, SSL_set_session)
#define SSL_session_reused	     BH_LAZY(ssl, SSL_session_reused)
#define SSL_SESSION_free	     BH_LAZY(ssl, SSL_SESSION_free)
#define SSL_shutdown		     BH_LAZY(ssl, SSL_shutdown)

#define BOUND_MS 2000

static void on_echo(void *ctx, const struct bh_http_request *req, struct bh_http_response *resp)
{
	(void)ctx;
	resp->content_type = "text/plain";
	bh_buf_addf(&resp->body, NULL, "path=%s body=%zu\n", req->path, req->body_len);
}

/* A long-lived response: a line per pull; done counted. */
static atomic_int pulls, dones;

static int stream_pull(void *ctx, struct bh_buf *out)
{
	int n = atomic_fetch_add(&pulls, 1);

	(void)ctx;
	return bh_buf_addf(out, NULL, "data: %d\n\n", n);
}

static void stream_done(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&dones, 1);
}

static const struct bh_http_stream_ops stream_ops = { stream_pull, stream_done };

static void on_stream(void *ctx, const struct bh_http_request *req, struct bh_http_response *resp)
{
	(void)ctx;
	(void)req;
	resp->content_type = "text/event-stream";
	resp->stream = &stream_ops;
}

/* A stream whose pull, once asked (nap 1), sleeps 300 ms (nap 2, then 3):
 * the worker is busy while a neighbour's client leaves. */
static atomic_int nap;

static int slow_pull(void *ctx, struct bh_buf *out)
{
	int one = 1;

	(void)ctx;
	if (atomic_compare_exchange_strong(&nap, &one, 2)) {
		nanosleep(&(struct timespec){ 0, 300 * 1000000 }, NULL);
		atomic_store(&nap, 3);
	}
	return bh_buf_adds(out, ": slow\n\n", NULL);
}

static const struct bh_http_stream_ops slow_ops = { slow_pull, stream_done };

static void on_slow(void *ctx, const struct bh_http_request *req, struct bh_http_response *resp)
{
	(void)ctx;
	(void)req;
	resp->content_type = "text/event-stream";
	resp->stream = &slow_ops;
}

static const struct bh_http_route routes[] = {
	{ NULL, "/s", on_stream, NULL }, { NULL, "/slow", on_slow, NULL },
	{ NULL, "/a", on_echo, NULL },	 { NULL, "/b", on_echo, NULL },
	{ NULL, "/c", on_echo, NULL },
};

struct srv {
	struct bh_http_server *s;
	pthread_t th;
	int port;
};

static void *serve_main(void *arg)
{
	struct srv *v = arg;
	struct bh_error *err = NULL;

	if (bh_http_serve(v->s, &err) < 0)
		bh_error_free(err);
	return NULL;
}

static const struct bh_http_client_auth *srv_client; /* the next srv_start_tls's */

static void srv_start_tls(struct srv *v, unsigned threads, const char *cert, const char *key)
{
	struct bh_http_options o = { .listen = "127.0.0.1:0",
				     .routes = routes,
				     .nroutes = sizeof(routes) / sizeof(routes[0]),
				     .threads = threads,
				     .idle_ms = 500,
				     .drain_ms = 500,
				     .cert_file = cert,
				     .key_file = key };
	struct bh_error *err = NULL;

	if (srv_client)
		o.client = *srv_client;
	assert_int_equal(bh_http_server_new(&o, &v->s, &err), 0);
	v->port = bh_http_server_port(v->s);
	assert_true(v->port > 0);
	assert_int_equal(pthread_create(&v->th, NULL, serve_main, v), 0);
}

static void srv_start(struct srv *v, unsigned threads)
{
	srv_start_tls(v, threads, NULL, NULL);
}

static void srv_stop(struct srv *v)
{
	bh_http_shutdown(v->s);
	pthread_join(v->th, NULL);
	bh_http_server_free(v->s);
}

static int dial(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void put(int fd, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(write(fd, s, n), (ssize_t)n);
}

/* Read until `want` responses ("HTTP/1.1 200" lines with their whole bodies)
 * are in buf, within BOUND_MS; returns how many arrived. */
static int responses(int fd, char *buf, size_t size, int want)
{
	uint64_t end = bh_mono_ms() + BOUND_MS;
	size_t len = 0;
	int got = 0;

	buf[0] = 0;
	while (got < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = bh_mono_ms();
		ssize_t r;
		const char *q;

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			break;
		r = read(fd, buf + len, size - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = 0;
		got = 0;
		/* a body ends with "\n" after "body=N": count them */
		for (q = buf; (q = strstr(q, " body=")) != NULL; q++)
			if (strchr(q, '\n'))
				got++;
	}
	if (got < want)
		fprintf(stderr, "after %d ms, %d of %d responses: [%s]\n", BOUND_MS, got, want,
			buf);
	return got;
}

static void test_alone(void **state)
{
	struct srv v;
	char buf[4096];
	int a;

	(void)state;
	srv_start(&v, 1);
	a = dial(v.port);
	put(a, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(responses(a, buf, sizeof(buf), 1), 1);
	put(a, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(responses(a, buf, sizeof(buf), 1), 1);
	close(a);
	/* its record goes (within a tick or two): only the next one is counted */
	nanosleep(&(struct timespec){ 0, 300 * 1000000 }, NULL);
	a = dial(v.port);
	put(a, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	{
		uint64_t end = bh_mono_ms() + BOUND_MS;
		size_t len = 0;
		ssize_t r;

		while (bh_mono_ms() < end && len < sizeof(buf) - 1 &&
		       (r = read(a, buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)r;
		buf[len] = 0;
	}
	assert_non_null(strstr(buf, "\nbulkhead_http_connections 1\n"));
	close(a);
	srv_stop(&v);
}

static void test_idle_neighbour(void **state)
{
	struct srv v;
	char buf[4096];
	int a, b;

	(void)state;
	srv_start(&v, 1);
	a = dial(v.port);
	b = dial(v.port);
	/* a: half a request, then nothing */
	put(a, "GET /a HTTP/1.1\r\nHost: x\r\n");
	/* b: whole requests, one after the other on one connection (keep-alive) */
	for (int i = 0; i < 3; i++) {
		put(b, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
		assert_int_equal(responses(b, buf, sizeof(buf), 1), 1);
		assert_non_null(strstr(buf, "HTTP/1.1 200"));
		assert_non_null(strstr(buf, "path=/b"));
	}
	/* a finishes: answered too */
	put(a, "\r\n");
	assert_int_equal(responses(a, buf, sizeof(buf), 1), 1);
	assert_non_null(strstr(buf, "path=/a"));
	close(a);
	close(b);
	srv_stop(&v);
}

static void test_pipelined(void **state)
{
	struct srv v;
	char buf[8192];
	int a, b;

	(void)state;
	srv_start(&v, 1);
	a = dial(v.port);
	b = dial(v.port);
	put(a, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(responses(a, buf, sizeof(buf), 1), 1);
	/* three requests in one write: three responses, in order */
	put(b, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	       "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz"
	       "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(responses(b, buf, sizeof(buf), 3), 3);
	assert_true(strstr(buf, "path=/a") < strstr(buf, "path=/b body=3"));
	assert_true(strstr(buf, "path=/b body=3") < strstr(buf, "path=/c"));
	/* and again on the same connection, while a idles */
	put(b, "GET /c HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(responses(b, buf, sizeof(buf), 2), 2);
	close(a);
	close(b);
	srv_stop(&v);
}

static void test_pieces(void **state)
{
	static const char *const parts[] = {
		"PO", "ST /b HTTP/1.1\r\n", "Host: x\r\nContent-Le", "ngth: 5\r\n\r", "\n", "he",
		"llo"
	};
	struct timespec gap = { 0, 30 * 1000000 };
	struct srv v;
	char buf[4096];
	int a, b;

	(void)state;
	srv_start(&v, 1);
	a = dial(v.port);
	b = dial(v.port);
	put(a, "GET /a HTTP/1.1\r\n"); /* idle, half sent */
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		put(b, parts[i]);
		nanosleep(&gap, NULL);
	}
	assert_int_equal(responses(b, buf, sizeof(buf), 1), 1);
	assert_non_null(strstr(buf, "path=/b body=5"));
	/* the next request, in pieces too, right after the response */
	put(b, "GET /c HTTP/1.1\r\nHo");
	nanosleep(&gap, NULL);
	put(b, "st: x\r\n\r\n");
	assert_int_equal(responses(b, buf, sizeof(buf), 1), 1);
	assert_non_null(strstr(buf, "path=/c"));
	close(a);
	close(b);
	srv_stop(&v);
}

/* Read what arrives on fd for ms into buf (NUL-terminated); the length. */
static size_t drain_for(int fd, char *buf, size_t size, unsigned ms)
{
	uint64_t end = bh_mono_ms() + ms;
	size_t len = 0;

	while (len < size - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = bh_mono_ms();
		ssize_t r;

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			break;
		r = read(fd, buf + len, size - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = 0;
	return len;
}

static void test_stream(void **state)
{
	struct srv v;
	static char buf[65536];
	int a, b, before;

	(void)state;
	atomic_store(&dones, 0);
	srv_start(&v, 1);
	a = dial(v.port);
	put(a, "GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
	/* longer than idle_ms (500): the stream is not cut, pulls keep coming */
	drain_for(a, buf, sizeof(buf), 1200);
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "Transfer-Encoding: chunked"));
	assert_non_null(strstr(buf, "text/event-stream"));
	before = atomic_load(&pulls);
	drain_for(a, buf, sizeof(buf), 400);
	assert_true(atomic_load(&pulls) > before);
	assert_non_null(strstr(buf, "data: "));
	/* the worker is not held: the neighbour is answered meanwhile */
	b = dial(v.port);
	put(b, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(responses(b, buf, sizeof(buf), 1), 1);
	/* the client leaves: done, once */
	close(a);
	for (int i = 0; i < 50 && !atomic_load(&dones); i++)
		nanosleep(&(struct timespec){ 0, 20 * 1000000 }, NULL);
	assert_int_equal(atomic_load(&dones), 1);
	/* a stream open at shutdown ends (done) with the drain */
	a = dial(v.port);
	put(a, "GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
	drain_for(a, buf, sizeof(buf), 300);
	close(b);
	srv_stop(&v);
	assert_int_equal(atomic_load(&dones), 2);
	close(a);
}

/* A TLS connection to port with request sent; reads bounded by BOUND_MS. */
static SSL *tls_dial(SSL_CTX *ctx, int port, const char *request)
{
	struct timeval tv = { .tv_sec = BOUND_MS / 1000 };
	int fd = dial(port);
	SSL *ssl = SSL_new(ctx);

	assert_non_null(ssl);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	SSL_set_fd(ssl, fd);
	assert_int_equal(SSL_connect(ssl), 1);
	assert_int_equal(SSL_write(ssl, request, (int)strlen(request)), (int)strlen(request));
	return ssl;
}

/* Read from ssl until want is in buf (true), or EOF / BOUND_MS (false). */
static bool tls_until(SSL *ssl, char *buf, size_t size, const char *want)
{
	size_t len = 0;

	buf[0] = 0;
	while (len < size - 1 && !strstr(buf, want)) {
		int r = SSL_read(ssl, buf + len, (int)(size - 1 - len));

		if (r <= 0)
			return false;
		len += (size_t)r;
		buf[len] = 0;
	}
	return strstr(buf, want) != NULL;
}

static void test_tls_stream_gone_busy(void **state)
{
	char dir[] = "/tmp/bh-http-XXXXXX", cmd[512], cert[64], key[64];
	static char buf[65536];
	SSL_CTX *ctx;
	SSL *slow, *gone, *other;
	struct srv v;

	(void)state;
	signal(SIGPIPE, SIG_IGN); /* as serve: a write to a client gone is EPIPE */
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-days 1 -subj /CN=127.0.0.1 -keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	if (system(cmd) != 0) {
		rmdir(dir);
		skip(); /* no openssl command */
	}
	atomic_store(&dones, 0);
	atomic_store(&nap, 0);
	srv_start_tls(&v, 1, cert, key);
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	/* the slow stream first: the tick walks the newest connection first */
	slow = tls_dial(ctx, v.port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(tls_until(slow, buf, sizeof(buf), ": slow"));
	gone = tls_dial(ctx, v.port, "GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(tls_until(gone, buf, sizeof(buf), "data: "));
	for (int round = 0; round < 3; round++) {
		/* the worker sleeps in the slow pull; meanwhile gone's client leaves:
		 * its EOF and the next tick are due in the same loop iteration */
		atomic_store(&nap, 1);
		for (int i = 0; i < 100 && atomic_load(&nap) != 2; i++)
			nanosleep(&(struct timespec){ 0, 5 * 1000000 }, NULL);
		assert_int_equal(atomic_load(&nap), 2);
		close(SSL_get_fd(gone));
		SSL_free(gone);
		for (int i = 0; i < 100 && atomic_load(&dones) != round + 1; i++)
			nanosleep(&(struct timespec){ 0, 20 * 1000000 }, NULL);
		assert_int_equal(atomic_load(&dones), round + 1);
		/* the server is alive and the slow stream goes on */
		other = tls_dial(ctx, v.port, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
		assert_true(tls_until(other, buf, sizeof(buf), "path=/a"));
		close(SSL_get_fd(other));
		SSL_free(other);
		assert_true(tls_until(slow, buf, sizeof(buf), ": slow"));
		if (round < 2) {
			gone = tls_dial(ctx, v.port, "GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
			assert_true(tls_until(gone, buf, sizeof(buf), "data: "));
		}
	}
	srv_stop(&v);
	assert_int_equal(atomic_load(&dones), 4); /* the slow one with the drain */
	close(SSL_get_fd(slow));
	SSL_free(slow);
	SSL_CTX_free(ctx);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

/* ---- client certificates (mtls) ------------------------------------------------------- */

static char pki[32];

/* the test's PKI in pki/: ca, srv (127.0.0.1), api (CN kube-apiserver),
 * other (CN someone-else), all signed by ca; false without openssl */
static bool pki_make(void)
{
	char cmd[2048];

	snprintf(pki, sizeof(pki), "/tmp/bh-mtls-XXXXXX");
	assert_non_null(mkdtemp(pki));
	snprintf(cmd, sizeof(cmd),
		 "(cd %s && K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
		 "openssl req -x509 $K -days 1 -subj /CN=ca -keyout ca.key -out ca.crt && "
		 "for n in srv:127.0.0.1 api:kube-apiserver other:someone-else; do "
		 "openssl req $K -subj /CN=${n#*:} -keyout ${n%%:*}.key -out ${n%%:*}.csr && "
		 "openssl x509 -req -in ${n%%:*}.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		 "-days 1 -out ${n%%:*}.crt || exit 1; done; echo junk >junk.pem) >/dev/null 2>&1",
		 pki);
	return system(cmd) == 0;
}

static void pki_free(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", pki);
	(void)!system(cmd);
}

static char *pki_file(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", pki, name);
	return buf;
}

static void test_client_check(void **state)
{
	char ca[64], junk[64], missing[64], cert[64], key[64];
	const char *names[BH_HTTP_CLIENT_NAMES_MAX + 1];
	struct bh_http_client_auth c = { 0 };
	struct bh_http_options o = { .listen = "127.0.0.1:0" };
	struct bh_http_server *s = NULL;
	struct bh_error *err = NULL;
	char *m;

	(void)state;
	if (!pki_make()) {
		pki_free();
		skip(); /* no openssl command */
	}
	pki_file(ca, sizeof(ca), "ca.crt");
	pki_file(junk, sizeof(junk), "junk.pem");
	pki_file(missing, sizeof(missing), "missing.pem");
	for (size_t i = 0; i <= BH_HTTP_CLIENT_NAMES_MAX; i++)
		names[i] = "kube-apiserver";
	assert_int_equal(bh_http_client_check(&c, &err), 0); /* none asked for */
	c.ca_file = ca;
	assert_int_equal(bh_http_client_check(&c, &err), 0);
	c.names = names;
	c.nnames = BH_HTTP_CLIENT_NAMES_MAX;
	assert_int_equal(bh_http_client_check(&c, &err), 0);
	c.nnames++;
	assert_true(bh_http_client_check(&c, &err) < 0);
	bh_error_free(err);
	err = NULL;
	c.ca_file = NULL;
	c.nnames = 1;
	assert_true(bh_http_client_check(&c, &err) < 0);
	m = bh_error_message(err);
	assert_non_null(strstr(m, "client CA bundle"));
	free(m);
	bh_error_free(err);
	err = NULL;
	c.ca_file = ca;
	names[0] = "";
	assert_true(bh_http_client_check(&c, &err) < 0);
	bh_error_free(err);
	err = NULL;
	names[0] = "kube-apiserver";
	for (int i = 0; i < 2; i++) {
		c.ca_file = i ? junk : missing;
		assert_true(bh_http_client_check(&c, &err) < 0);
		m = bh_error_message(err);
		assert_non_null(strstr(m, c.ca_file)); /* named */
		free(m);
		bh_error_free(err);
		err = NULL;
	}
	/* the server checks the same, and needs TLS for it */
	o.client.ca_file = ca;
	assert_true(bh_http_server_new(&o, &s, &err) < 0);
	bh_http_server_free(s);
	bh_error_free(err);
	err = NULL;
	o.cert_file = pki_file(cert, sizeof(cert), "srv.crt");
	o.key_file = pki_file(key, sizeof(key), "srv.key");
	o.client.ca_file = junk;
	assert_true(bh_http_server_new(&o, &s, &err) < 0);
	bh_http_server_free(s);
	bh_error_free(err);
	pki_free();
}

/* GET path over a new TLS connection with ctx (resuming *sess when set, and
 * keeping the session in it); the status line's code, 0 without an answer */
static int tls_get(SSL_CTX *ctx, int port, const char *path, SSL_SESSION **sess, bool *reused)
{
	static char buf[8192];
	char req[256];
	struct timeval tv = { .tv_sec = BOUND_MS / 1000 };
	int fd = dial(port), code = 0;
	SSL *ssl = SSL_new(ctx);

	assert_non_null(ssl);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	SSL_set_fd(ssl, fd);
	if (sess && *sess)
		SSL_set_session(ssl, *sess);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	if (SSL_connect(ssl) == 1 && SSL_write(ssl, req, (int)strlen(req)) > 0 &&
	    tls_until(ssl, buf, sizeof(buf), "\r\n\r\n"))
		sscanf(buf, "HTTP/1.1 %d", &code);
	if (reused)
		*reused = SSL_session_reused(ssl) == 1;
	if (sess && !*sess && code)
		*sess = SSL_get1_session(ssl);
	SSL_shutdown(ssl); /* without it OpenSSL marks the session not resumable */
	close(fd);
	SSL_free(ssl);
	return code;
}

static SSL_CTX *client_ctx(const char *who)
{
	char crt[64], key[64], name[16];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	assert_non_null(ctx);
	if (who) {
		snprintf(name, sizeof(name), "%s.crt", who);
		assert_int_equal(SSL_CTX_use_certificate_file(ctx, pki_file(crt, sizeof(crt), name),
							      SSL_FILETYPE_PEM),
				 1);
		snprintf(name, sizeof(name), "%s.key", who);
		assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, pki_file(key, sizeof(key), name),
							     SSL_FILETYPE_PEM),
				 1);
	}
	return ctx;
}

static void test_tls_client_cert(void **state)
{
	char ca[64], cert[64], key[64];
	const char *names[] = { "kube-apiserver" };
	struct bh_http_client_auth c = { .names = names, .nnames = 1 };
	SSL_CTX *none, *api, *other;
	SSL_SESSION *sess = NULL;
	bool reused = false;
	struct srv v;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (!pki_make()) {
		pki_free();
		skip(); /* no openssl command */
	}
	c.ca_file = pki_file(ca, sizeof(ca), "ca.crt");
	srv_client = &c;
	srv_start_tls(&v, 1, pki_file(cert, sizeof(cert), "srv.crt"),
		      pki_file(key, sizeof(key), "srv.key"));
	srv_client = NULL;
	none = client_ctx(NULL);
	api = client_ctx("api");
	other = client_ctx("other");
	assert_int_equal(tls_get(none, v.port, "/a", NULL, NULL), 403);
	assert_int_equal(tls_get(none, v.port, "/healthz", NULL, NULL), 200);
	assert_int_equal(tls_get(none, v.port, "/nope", NULL, NULL), 404);
	assert_int_equal(tls_get(other, v.port, "/a", NULL, NULL), 403);
	assert_int_equal(tls_get(other, v.port, "/healthz", NULL, NULL), 200);
	assert_int_equal(tls_get(api, v.port, "/a", &sess, NULL), 200);
	assert_non_null(sess);
	/* a resumed session keeps its certificate (and resumes at all: OpenSSL
	 * refuses without a session id context once clients are verified) */
	assert_int_equal(tls_get(api, v.port, "/a", &sess, &reused), 200);
	assert_true(reused);
	SSL_SESSION_free(sess);
	srv_stop(&v);
	SSL_CTX_free(none);
	SSL_CTX_free(api);
	SSL_CTX_free(other);
	pki_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alone),	     cmocka_unit_test(test_idle_neighbour),
		cmocka_unit_test(test_pipelined),    cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_stream),	     cmocka_unit_test(test_tls_stream_gone_busy),
		cmocka_unit_test(test_client_check), cmocka_unit_test(test_tls_client_cert),
	};

	if (getenv("TEST_FILTER")) /* one test, by name (a pattern) */
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
