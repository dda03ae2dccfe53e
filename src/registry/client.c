/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry client: its options, the hosts it talks to (a registry, a
 * token service, the storage a registry redirects to) and their TLS
 * settings, and the URLs it builds and parses.
 *
 * TLS: the CA certificates are the system's plus --cacert plus the host's
 * certs.d directory (docker's layout: *.crt CA certificates, a *.cert
 * client certificate with the *.key of the same name), given to curl as one
 * PEM blob; with none of those, curl's defaults. A host named insecure may be
 * spoken to over plain HTTP (http.c decides when).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/version.h"
#include "internal.h"
#include "banned.h"

#define MAX_CA (8u << 20)

/* ---- the client ---------------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *data)
{
	struct bh_registry *r = data;

	if ((unsigned)d < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&r->share_locks[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *data)
{
	struct bh_registry *r = data;

	if ((unsigned)d < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&r->share_locks[d]);
}

_Static_assert(__builtin_types_compatible_p(__typeof__(&share_lock), curl_lock_function), "lk");
_Static_assert(__builtin_types_compatible_p(__typeof__(&share_unlock), curl_unlock_function), "ul");

static char **strv_add_csv(char **v, const char *csv)
{
	struct bh_strvec sv = BH_STRVEC_INIT;

	for (char **p = v; p && *p; p++)
		bh_strvec_push(&sv, *p);
	bh_strv_free(v);
	while (csv && *csv) {
		size_t n = strcspn(csv, ", ");

		if (n)
			bh_strvec_pushf(&sv, "%.*s", (int)n, csv);
		csv += n;
		while (*csv == ',' || *csv == ' ')
			csv++;
	}
	return bh_strvec_detach(&sv);
}

int bh_registry_new(const struct bh_registry_opts *opts, struct bh_registry **out,
		    struct bh_error **err)
{
	static const struct bh_registry_opts none;
	const struct bh_registry_opts *o = opts ? opts : &none;
	struct bh_registry *r;

	*out = NULL;
	if (bh_lazy_require(&bh_lazy_curl, err) < 0 || bh_lazy_require(&bh_lazy_crypto, err) < 0)
		return bh_error_prefix(err, "registries need libcurl");
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return bh_error_set(err, BH_ERR_INTERNAL, "cannot initialise libcurl");
	r = bh_calloc(1, sizeof(*r));
	r->cacert = o->cacert ? bh_strdup(o->cacert) : NULL;
	if (o->cert_dirs) {
		r->cert_dirs = bh_strv_dup(o->cert_dirs);
	} else {
		struct bh_strvec sv = BH_STRVEC_INIT;
		const char *home = getenv("HOME");

		bh_strvec_push(&sv, "/etc/docker/certs.d");
		bh_strvec_push(&sv, "/etc/containers/certs.d");
		if (home && *home)
			bh_strvec_pushf(&sv, "%s/.config/containers/certs.d", home);
		r->cert_dirs = bh_strvec_detach(&sv);
	}
	r->insecure = strv_add_csv(bh_strv_dup(o->insecure), getenv("BULKHEAD_INSECURE_REGISTRY"));
	r->authfile = o->authfile ? bh_strdup(o->authfile) : NULL;
	r->timeout = o->timeout ? o->timeout : REG_DEFAULT_TIMEOUT;
	r->max_manifest = o->max_manifest ? o->max_manifest : REG_DEFAULT_MAX_MANIFEST;
	r->chunk_size = o->chunk_size ? o->chunk_size : REG_DEFAULT_CHUNK;
	r->monolithic_max = o->monolithic_max ? o->monolithic_max : REG_DEFAULT_MONOLITHIC_MAX;
	r->page_size = o->page_size;
	r->user_agent = bh_strdup(o->user_agent ? o->user_agent : "bulkhead/" BH_VERSION);
	pthread_mutex_init(&r->lock, NULL);
	for (unsigned i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&r->share_locks[i], NULL);
	r->share = curl_share_init();
	if (!r->share) {
		bh_registry_free(r);
		return bh_error_set(err, BH_ERR_NOMEM, "cannot start libcurl");
	}
	curl_share_setopt(r->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(r->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(r->share, CURLSHOPT_USERDATA, r);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	*out = r;
	return 0;
}

static void host_free(struct reg_host *h)
{
	free(h->hostport);
	free(h->ca_blob);
	free(h->capath);
	free(h->client_cert);
	free(h->client_key);
	free(h->domain);
	free(h->realm);
	free(h->service);
	bh_registry_cred_release(&h->cred);
	reg_tokens_free(h->tokens);
	pthread_mutex_destroy(&h->auth_lock);
	free(h);
}

void bh_registry_free(struct bh_registry *r)
{
	if (!r)
		return;
	while (r->idle) {
		struct reg_conn *c = r->idle;

		r->idle = c->next;
		curl_easy_cleanup(c->e);
		curl_multi_cleanup(c->m);
		free(c);
	}
	while (r->hosts) {
		struct reg_host *h = r->hosts;

		r->hosts = h->next;
		host_free(h);
	}
	if (r->share)
		curl_share_cleanup(r->share);
	for (unsigned i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&r->share_locks[i]);
	pthread_mutex_destroy(&r->lock);
	free(r->cacert);
	bh_strv_free(r->cert_dirs);
	bh_strv_free(r->insecure);
	free(r->authfile);
	free(r->user_agent);
	free(r->system_ca);
	free(r->system_capath);
	free(r);
}

/* ---- hosts --------------------------------------------------------------- */

/* Docker Hub's API lives at registry-1.docker.io. */
static const char *api_host(const char *domain)
{
	if (!strcmp(domain, "docker.io") || !strcmp(domain, "index.docker.io"))
		return "registry-1.docker.io";
	return domain;
}

/* Call with r->lock held. */
static struct reg_host *find_host(struct bh_registry *r, const char *hostport, const char *domain)
{
	struct reg_host *h;

	for (h = r->hosts; h; h = h->next)
		if (!strcmp(h->hostport, hostport) &&
		    (domain ? h->domain && !strcmp(h->domain, domain) : !h->domain))
			return h;
	h = bh_calloc(1, sizeof(*h));
	h->hostport = bh_strdup(hostport);
	h->domain = domain ? bh_strdup(domain) : NULL;
	h->insecure = bh_strv_contains(r->insecure, hostport) ||
		      (domain && bh_strv_contains(r->insecure, domain));
	pthread_mutex_init(&h->auth_lock, NULL);
	h->next = r->hosts;
	r->hosts = h;
	return h;
}

struct reg_host *reg_registry(struct bh_registry *r, const char *domain)
{
	struct reg_host *h;

	pthread_mutex_lock(&r->lock);
	h = find_host(r, api_host(domain), domain);
	pthread_mutex_unlock(&r->lock);
	return h;
}

struct reg_host *reg_endpoint(struct bh_registry *r, const char *hostport)
{
	struct reg_host *h;

	pthread_mutex_lock(&r->lock);
	h = find_host(r, hostport, NULL);
	pthread_mutex_unlock(&r->lock);
	return h;
}

/* ---- TLS settings -------------------------------------------------------- */

static int add_pem_file(struct bh_buf *b, const char *path, struct bh_error **err)
{
	struct bh_buf f = BH_BUF_INIT(MAX_CA);
	int r = bh_read_file(path, &f, err);

	if (r == 0 && !strstr(f.data ? f.data : "", "-----BEGIN CERTIFICATE-----"))
		r = bh_error_set(err, BH_ERR_INVALID, "%s holds no PEM certificate", path);
	if (r == 0 && (bh_buf_add(b, f.data, f.len, err) < 0 || bh_buf_addc(b, '\n', err) < 0))
		r = -1;
	bh_buf_release(&f);
	if (r < 0)
		bh_error_prefix(err, "CA certificates");
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of dir ending in suffix, sorted. */
static char **dir_files(const char *dir, const char *suffix)
{
	struct bh_strvec sv = BH_STRVEC_INIT;
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return NULL;
	while ((de = readdir(d)) && sv.n < 256)
		if (de->d_name[0] != '.' && bh_str_has_suffix(de->d_name, suffix))
			bh_strvec_pushf(&sv, "%s/%s", dir, de->d_name);
	closedir(d);
	if (sv.n)
		qsort(sv.v, sv.n, sizeof(*sv.v), cmp_str);
	return bh_strvec_detach(&sv);
}

/*
 * The system's CA certificates, found once. Call with r->lock held. Where
 * the directory of curl's default bundle is hashed (c_rehash, as Debian's
 * update-ca-certificates leaves /etc/ssl/certs), OpenSSL looks an issuer up
 * there by hash when it needs one: a handshake costs no parse of the whole
 * bundle (about 20 ms for 140 certificates, per connection). Else the
 * bundle is read once and given with the extra certificates.
 */
static void load_system_ca(struct bh_registry *r, CURL *e)
{
	struct bh_buf b = BH_BUF_INIT(MAX_CA);
	char *path = NULL, *dir;
	char **hashed;

	if (r->system_ca_loaded)
		return;
	r->system_ca_loaded = true;
	if (curl_easy_getinfo(e, CURLINFO_CAINFO, &path) != CURLE_OK || !path)
		path = "/etc/ssl/certs/ca-certificates.crt";
	dir = bh_strndup(path, strrchr(path, '/') ? (size_t)(strrchr(path, '/') - path) : 0);
	hashed = *dir ? dir_files(dir, ".0") : NULL;
	if (hashed && hashed[0]) {
		r->system_capath = dir;
		dir = NULL;
	} else if (bh_read_file(path, &b, NULL) == 0) {
		r->system_ca = bh_buf_detach(&b, &r->system_ca_len);
	} else {
		bh_debug("registry: no system CA bundle at %s", path);
		bh_buf_release(&b);
	}
	bh_strv_free(hashed);
	free(dir);
}

/*
 * The host's TLS settings: its certs.d directory (docker's layout:
 * *.crt CA certificates, *.cert client certificate with the *.key of the
 * same name) and --cacert, added to the system's CAs.
 */
int reg_host_tls(struct bh_registry *r, struct reg_host *h, CURL *e, struct bh_error **err)
{
	struct bh_buf ca = BH_BUF_INIT(4 * MAX_CA);
	bool extra = false;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if (h->tls_loaded)
		goto out;
	if (r->cacert) {
		if (add_pem_file(&ca, r->cacert, err) < 0) {
			rc = -1;
			goto out;
		}
		extra = true;
	}
	for (char **d = r->cert_dirs; d && *d; d++) {
		char *dir = bh_asprintf("%s/%s", *d, h->hostport);
		char **crts = dir_files(dir, ".crt"), **certs = dir_files(dir, ".cert");

		for (char **c = crts; c && *c && rc == 0; c++) {
			bh_debug("registry %s: CA certificate %s", h->hostport, *c);
			rc = add_pem_file(&ca, *c, err);
			extra = true;
		}
		for (char **c = certs; c && *c && rc == 0 && !h->client_cert; c++) {
			char *key = bh_asprintf("%.*s.key", (int)(strlen(*c) - 5), *c);

			if (access(key, R_OK) == 0) {
				bh_debug("registry %s: client certificate %s", h->hostport, *c);
				h->client_cert = bh_strdup(*c);
				h->client_key = key;
			} else {
				rc = bh_error_set(err, BH_ERR_INVALID,
						  "client certificate %s has no key %s", *c, key);
				free(key);
			}
		}
		bh_strv_free(crts);
		bh_strv_free(certs);
		free(dir);
		if (rc < 0)
			goto out;
	}
	/* the extra CAs are added to the system's, as docker adds certs.d to its
	 * pool */
	load_system_ca(r, e);
	if (r->system_capath)
		h->capath = bh_strdup(r->system_capath);
	if (extra) {
		if (!r->system_capath && r->system_ca &&
		    (bh_buf_add(&ca, "\n", 1, err) < 0 ||
		     bh_buf_add(&ca, r->system_ca, r->system_ca_len, err) < 0)) {
			rc = -1;
			goto out;
		}
		h->ca_blob = bh_buf_detach(&ca, &h->ca_len);
	}
	h->tls_loaded = true;
out:
	pthread_mutex_unlock(&r->lock);
	bh_buf_release(&ca);
	if (rc < 0)
		bh_error_prefix(err, "registry %s", h->hostport);
	return rc;
}

/* ---- URLs ---------------------------------------------------------------- */

char *reg_url(struct reg_host *h, const char *path, const char *suffix)
{
	return bh_asprintf("%s://%s/v2/%s%s", h->scheme == REG_SCHEME_HTTP ? "http" : "https",
			   h->hostport, path, suffix);
}

char *reg_escape(const char *s)
{
	struct bh_buf b = BH_BUF_INIT(SIZE_MAX / 2);

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (bh_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
			bh_buf_addc(&b, (char)c, NULL);
		else
			bh_buf_addf(&b, NULL, "%%%02X", c);
	}
	return bh_buf_detach(&b, NULL);
}

char *reg_url_redact(const char *url)
{
	return bh_strndup(url, strcspn(url, "?#"));
}

int reg_url_parse(const char *base, const char *rel, char **abs, char **hostport, bool *https,
		  struct bh_error **err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *full = NULL;
	CURLUcode uc;
	int r = -1;

	if (!u)
		return bh_error_set(err, BH_ERR_NOMEM, "cannot parse a URL");
	if (base && curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK) {
		char *red = reg_url_redact(base);

		bh_error_set(err, BH_ERR_INVALID, "invalid URL '%.300s'", red);
		free(red);
		goto out;
	}
	uc = curl_url_set(u, CURLUPART_URL, rel, 0);
	if (uc != CURLUE_OK) {
		char *red = reg_url_redact(rel);

		bh_error_set(err, BH_ERR_INVALID, "invalid URL '%.300s'", red);
		free(red);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
		bh_error_set(err, BH_ERR_INVALID, "a URL without a scheme or host");
		goto out;
	}
	if (strcmp(scheme, "https") && strcmp(scheme, "http")) {
		bh_error_set(err, BH_ERR_UNSAFE, "a URL of scheme '%.20s' (only https)", scheme);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	*https = !strcmp(scheme, "https");
	if (port && strcmp(port, *https ? "443" : "80"))
		*hostport = bh_asprintf("%s:%s", host, port);
	else
		*hostport = bh_strdup(host);
	if (abs)
		*abs = bh_strdup(full);
	r = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(full);
	curl_url_cleanup(u);
	return r;
}
