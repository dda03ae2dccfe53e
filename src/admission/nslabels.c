/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Namespace labels for the webhook: a configured map (a file), or the
 * Kubernetes API's namespaces listed and then watched by a thread of its own
 * over libcurl (in-cluster service account, or a kubeconfig's current
 * context). A watch that ends is resumed from the last resourceVersion; one
 * the server says is too old (410, an ERROR event) is a new list.
 */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/admission.h"
#include "lazy/curl.h"
#include "banned.h"

#define NS_LIST_MAX  (64u << 20)
#define NS_EVENT_MAX (1u << 20)
#define NS_MAX	     100000

struct bh_adm_nslabels {
	pthread_rwlock_t lock;
	json_t *map; /* ns -> labels object */
	atomic_bool ready;
	/* the API */
	bool kube;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	char *server; /* https://host:port, no trailing slash */
	char *token;
	struct bh_buf ca, cert, key; /* PEM bytes (blobs) */
	bool insecure;
	char *rv; /* resourceVersion of the last list or event */
	/* the watch's line buffer */
	struct bh_buf line;
	bool relist;
};

json_t *bh_adm_nslabels_get(struct bh_adm_nslabels *l, const char *ns)
{
	json_t *v;

	if (!l || !ns)
		return NULL;
	pthread_rwlock_rdlock(&l->lock);
	v = json_incref(json_object_get(l->map, ns));
	pthread_rwlock_unlock(&l->lock);
	return v;
}

bool bh_adm_nslabels_ready(struct bh_adm_nslabels *l)
{
	return !l || atomic_load(&l->ready);
}

size_t bh_adm_nslabels_count(struct bh_adm_nslabels *l)
{
	size_t n;

	if (!l)
		return 0;
	pthread_rwlock_rdlock(&l->lock);
	n = json_object_size(l->map);
	pthread_rwlock_unlock(&l->lock);
	return n;
}

static struct bh_adm_nslabels *nsl_new(void)
{
	struct bh_adm_nslabels *l = bh_calloc(1, sizeof(*l));

	pthread_rwlock_init(&l->lock, NULL);
	l->map = json_object();
	bh_buf_init(&l->ca, 1u << 20);
	bh_buf_init(&l->cert, 1u << 20);
	bh_buf_init(&l->key, 1u << 20);
	bh_buf_init(&l->line, NS_EVENT_MAX);
	return l;
}

void bh_adm_nslabels_free(struct bh_adm_nslabels *l)
{
	if (!l)
		return;
	if (l->started) {
		atomic_store(&l->stop, true);
		pthread_join(l->thread, NULL);
	}
	pthread_rwlock_destroy(&l->lock);
	json_decref(l->map);
	free(l->server);
	if (l->token)
		explicit_bzero(l->token, strlen(l->token));
	free(l->token);
	if (l->key.data)
		explicit_bzero(l->key.data, l->key.len);
	bh_buf_release(&l->ca);
	bh_buf_release(&l->cert);
	bh_buf_release(&l->key);
	bh_buf_release(&l->line);
	free(l->rv);
	free(l);
}

/* Labels must be an object of strings. */
static int check_labels(const json_t *labels, const char *ns, struct bh_error **err)
{
	const char *k;
	const json_t *v;

	if (!json_is_object(labels))
		return bh_error_set(err, BH_ERR_INVALID, "namespace %s: labels are not a map", ns);
	json_object_foreach ((json_t *)labels, k, v)
		if (!json_is_string(v))
			return bh_error_set(err, BH_ERR_INVALID,
					    "namespace %s: label %s is not a string", ns, k);
	return 0;
}

int bh_adm_nslabels_file(const char *path, struct bh_adm_nslabels **out, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(16u << 20);
	json_t *doc = NULL;
	const char *ns;
	json_t *labels;
	struct bh_adm_nslabels *l;

	*out = NULL;
	if (bh_read_file(path, &b, err) < 0 ||
	    bh_yaml_parse(b.data, b.len, NULL, path, &doc, err) < 0) {
		bh_buf_release(&b);
		return bh_error_prefix(err, "namespace labels");
	}
	bh_buf_release(&b);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: expected a map {namespace: {label: value}}", path);
	}
	json_object_foreach (doc, ns, labels) {
		if (json_is_null(labels)) {
			json_object_set_new(doc, ns, json_object());
			continue;
		}
		if (check_labels(labels, ns, err) < 0) {
			json_decref(doc);
			return bh_error_prefix(err, "%s", path);
		}
	}
	l = nsl_new();
	json_decref(l->map);
	l->map = doc;
	atomic_store(&l->ready, true);
	*out = l;
	return 0;
}

/* ---- the Kubernetes API ---------------------------------------------------------- */

static void apply_event(struct bh_adm_nslabels *l, const char *line, size_t len)
{
	json_t *ev = NULL, *obj, *md;
	const char *type, *name, *rv;
	struct bh_error *err = NULL;

	if (bh_json_parse(line, len, NS_EVENT_MAX, "namespace watch event", &ev, &err) < 0) {
		bh_error_warn(&err, "namespace watch");
		l->relist = true;
		return;
	}
	type = bh_json_str(ev, "type");
	obj = bh_json_obj(ev, "object");
	md = bh_json_obj(obj, "metadata");
	name = bh_json_str(md, "name");
	rv = bh_json_str(md, "resourceVersion");
	if (!type || !strcmp(type, "ERROR")) {
		bh_warn("namespace watch: %s; listing again",
			bh_json_str(obj, "message") ? bh_json_str(obj, "message") : "an error");
		l->relist = true;
	} else if (name && (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED"))) {
		json_t *labels = bh_json_obj(md, "labels");

		if (!labels || check_labels(labels, name, NULL) == 0) {
			pthread_rwlock_wrlock(&l->lock);
			if (json_object_size(l->map) < NS_MAX || json_object_get(l->map, name))
				json_object_set_new(l->map, name,
						    labels ? json_deep_copy(labels)
							   : json_object());
			pthread_rwlock_unlock(&l->lock);
		}
	} else if (name && !strcmp(type, "DELETED")) {
		pthread_rwlock_wrlock(&l->lock);
		json_object_del(l->map, name);
		pthread_rwlock_unlock(&l->lock);
	}
	if (rv && strlen(rv) < 64) {
		free(l->rv);
		l->rv = bh_strdup(rv);
	}
	json_decref(ev);
}

static size_t on_watch_data(char *p, size_t sz, size_t n, void *arg)
{
	struct bh_adm_nslabels *l = arg;
	size_t len = sz * n;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n') {
			if (l->line.len)
				apply_event(l, l->line.data, l->line.len);
			bh_buf_reset(&l->line);
		} else if (bh_buf_addc(&l->line, p[i], NULL) < 0) {
			return 0; /* an event over the limit: the transfer fails, relist */
		}
	}
	return len;
}

static size_t on_list_data(char *p, size_t sz, size_t n, void *arg)
{
	struct bh_buf *b = arg;

	return bh_buf_add(b, p, sz * n, NULL) < 0 ? 0 : sz * n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct bh_adm_nslabels *l = arg;

	return atomic_load(&l->stop) ? 1 : 0;
}

static CURL *api_handle(struct bh_adm_nslabels *l, const char *url, struct curl_slist **hdrs)
{
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, l);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "bulkhead-admission");
	if (l->ca.len) {
		struct curl_blob blob = { l->ca.data, l->ca.len, CURL_BLOB_COPY };

		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (l->cert.len && l->key.len) {
		struct curl_blob cb = { l->cert.data, l->cert.len, CURL_BLOB_COPY };
		struct curl_blob kb = { l->key.data, l->key.len, CURL_BLOB_COPY };

		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cb);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &kb);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (l->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	*hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (l->token) {
		char *a = bh_asprintf("Authorization: Bearer %s", l->token);

		*hdrs = curl_slist_append(*hdrs, a);
		explicit_bzero(a, strlen(a));
		free(a);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	return h;
}

static int ns_list(struct bh_adm_nslabels *l, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(NS_LIST_MAX);
	struct curl_slist *hdrs = NULL;
	char *url = bh_asprintf("%s/api/v1/namespaces", l->server);
	CURL *h = api_handle(l, url, &hdrs);
	json_t *doc = NULL, *map, *item;
	const char *rv;
	long code = 0;
	CURLcode rc;
	size_t i;

	free(url);
	if (!h)
		return bh_error_set(err, BH_ERR_INTERNAL, "curl_easy_init failed");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_list_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		bh_buf_release(&b);
		return bh_error_set(err, BH_ERR_IO, "list namespaces: %s", curl_easy_strerror(rc));
	}
	if (code != 200) {
		bh_buf_release(&b);
		return bh_error_set(err, BH_ERR_IO, "list namespaces: HTTP %ld", code);
	}
	if (bh_json_parse(b.data, b.len, NS_LIST_MAX, "NamespaceList", &doc, err) < 0) {
		bh_buf_release(&b);
		return -1;
	}
	bh_buf_release(&b);
	map = json_object();
	json_array_foreach (bh_json_arr(doc, "items"), i, item) {
		const json_t *md = bh_json_obj(item, "metadata");
		const char *name = bh_json_str(md, "name");
		json_t *labels = bh_json_obj(md, "labels");

		if (!name || i >= NS_MAX || (labels && check_labels(labels, name, NULL) < 0))
			continue;
		json_object_set_new(map, name, labels ? json_deep_copy(labels) : json_object());
	}
	rv = bh_json_str(bh_json_obj(doc, "metadata"), "resourceVersion");
	free(l->rv);
	l->rv = rv && strlen(rv) < 64 ? bh_strdup(rv) : NULL;
	json_decref(doc);
	pthread_rwlock_wrlock(&l->lock);
	json_decref(l->map);
	l->map = map;
	pthread_rwlock_unlock(&l->lock);
	atomic_store(&l->ready, true);
	return 0;
}

static int ns_watch(struct bh_adm_nslabels *l, struct bh_error **err)
{
	struct curl_slist *hdrs = NULL;
	char *url = bh_asprintf("%s/api/v1/namespaces?watch=true&allowWatchBookmarks=true"
				"&timeoutSeconds=300%s%s",
				l->server, l->rv ? "&resourceVersion=" : "", l->rv ? l->rv : "");
	CURL *h = api_handle(l, url, &hdrs);
	long code = 0;
	CURLcode rc;

	free(url);
	if (!h)
		return bh_error_set(err, BH_ERR_INTERNAL, "curl_easy_init failed");
	bh_buf_reset(&l->line);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_watch_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, l);
	/* a watch is quiet for long stretches; a dead peer is noticed by keepalive */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (code == 410) {
		l->relist = true;
		return 0;
	}
	if (rc != CURLE_OK && !atomic_load(&l->stop))
		return bh_error_set(err, BH_ERR_IO, "watch namespaces: %s", curl_easy_strerror(rc));
	if (code != 200 && !atomic_load(&l->stop))
		return bh_error_set(err, BH_ERR_IO, "watch namespaces: HTTP %ld", code);
	return 0;
}

static void nap(struct bh_adm_nslabels *l, unsigned ms)
{
	for (unsigned t = 0; t < ms && !atomic_load(&l->stop); t += 50)
		usleep(50000);
}

static void *watch_main(void *arg)
{
	struct bh_adm_nslabels *l = arg;
	struct bh_error *err = NULL;
	bool listed = false;

	while (!atomic_load(&l->stop)) {
		if (!listed || l->relist) {
			l->relist = false;
			if (ns_list(l, &err) < 0) {
				bh_error_warn(&err, "namespace labels");
				nap(l, 2000);
				continue;
			}
			listed = true;
		}
		if (ns_watch(l, &err) < 0) {
			bh_error_warn(&err, "namespace labels");
			nap(l, 1000);
		}
	}
	return NULL;
}

/* ---- kubeconfig -------------------------------------------------------------------------- */

static const json_t *named(const json_t *list, const char *name, const char *member)
{
	size_t i;
	const json_t *e;

	json_array_foreach (list, i, e) {
		const char *n = bh_json_str(e, "name");

		if (n && name && !strcmp(n, name))
			return bh_json_obj(e, member);
	}
	return NULL;
}

/* file (relative to dir) or base64 data into b */
static int file_or_data(const json_t *o, const char *file_key, const char *data_key,
			const char *dir, struct bh_buf *b, struct bh_error **err)
{
	const char *f = bh_json_str(o, file_key), *d = bh_json_str(o, data_key);

	if (d)
		return bh_base64_decode(d, strlen(d), data_key, b, err);
	if (f) {
		char *p = f[0] == '/' ? bh_strdup(f) : bh_asprintf("%s/%s", dir, f);
		int rc = bh_read_file(p, b, err);

		free(p);
		return rc;
	}
	return 0;
}

static int from_kubeconfig(struct bh_adm_nslabels *l, const char *path, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(4u << 20);
	json_t *doc = NULL;
	const json_t *ctx, *cluster, *user;
	const char *cur, *server;
	char *copy = bh_strdup(path), *dir;
	int rc = -1;

	if (bh_read_file(path, &b, err) < 0 ||
	    bh_yaml_parse(b.data, b.len, NULL, path, &doc, err) < 0)
		goto out;
	dir = dirname(copy);
	cur = bh_json_str(doc, "current-context");
	ctx = named(bh_json_arr(doc, "contexts"), cur, "context");
	if (!ctx) {
		bh_error_set(err, BH_ERR_INVALID, "no current-context (or no context named so)");
		goto out;
	}
	cluster = named(bh_json_arr(doc, "clusters"), bh_json_str(ctx, "cluster"), "cluster");
	user = named(bh_json_arr(doc, "users"), bh_json_str(ctx, "user"), "user");
	server = bh_json_str(cluster, "server");
	if (!server || strncmp(server, "https://", 8)) {
		bh_error_set(err, BH_ERR_INVALID, "the cluster's server is not an https:// URL");
		goto out;
	}
	l->server = bh_strdup(server);
	while (strlen(l->server) > 8 && l->server[strlen(l->server) - 1] == '/')
		l->server[strlen(l->server) - 1] = 0;
	l->insecure = json_is_true(json_object_get(cluster, "insecure-skip-tls-verify"));
	if (file_or_data(cluster, "certificate-authority", "certificate-authority-data", dir,
			 &l->ca, err) < 0 ||
	    file_or_data(user, "client-certificate", "client-certificate-data", dir, &l->cert,
			 err) < 0 ||
	    file_or_data(user, "client-key", "client-key-data", dir, &l->key, err) < 0)
		goto out;
	if (bh_json_str(user, "token")) {
		l->token = bh_strdup(bh_json_str(user, "token"));
	} else if (bh_json_str(user, "tokenFile")) {
		struct bh_buf t = BH_BUF_INIT(64u << 10);

		if (bh_read_file(bh_json_str(user, "tokenFile"), &t, err) < 0) {
			bh_buf_release(&t);
			goto out;
		}
		while (t.len && (t.data[t.len - 1] == '\n' || t.data[t.len - 1] == '\r'))
			t.len--;
		l->token = bh_strndup(t.data, t.len);
		bh_buf_release(&t);
	}
	rc = 0;
out:
	if (rc < 0)
		bh_error_prefix(err, "kubeconfig %s", path);
	json_decref(doc);
	bh_buf_release(&b);
	free(copy);
	return rc;
}

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

static int in_cluster(struct bh_adm_nslabels *l, struct bh_error **err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"),
		   *port = getenv("KUBERNETES_SERVICE_PORT");
	struct bh_buf t = BH_BUF_INIT(64u << 10);

	if (!host || !port)
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "not in a cluster (no KUBERNETES_SERVICE_HOST): give "
				    "--kubeconfig or --namespace-labels");
	l->server = strchr(host, ':') ? bh_asprintf("https://[%s]:%s", host, port)
				      : bh_asprintf("https://%s:%s", host, port);
	if (bh_read_file(SA_DIR "/ca.crt", &l->ca, err) < 0 ||
	    bh_read_file(SA_DIR "/token", &t, err) < 0) {
		bh_buf_release(&t);
		return bh_error_prefix(err, "service account");
	}
	while (t.len && (t.data[t.len - 1] == '\n' || t.data[t.len - 1] == '\r'))
		t.len--;
	l->token = bh_strndup(t.data, t.len);
	bh_buf_release(&t);
	return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int bh_adm_nslabels_kube(const char *kubeconfig, struct bh_adm_nslabels **out,
			 struct bh_error **err)
{
	struct bh_adm_nslabels *l;
	int rc;

	*out = NULL;
	if (bh_lazy_require(&bh_lazy_curl, err) < 0)
		return -1;
	pthread_once(&curl_once, curl_init);
	l = nsl_new();
	l->kube = true;
	if ((kubeconfig ? from_kubeconfig(l, kubeconfig, err) : in_cluster(l, err)) < 0) {
		bh_adm_nslabels_free(l);
		return -1;
	}
	rc = pthread_create(&l->thread, NULL, watch_main, l);
	if (rc) {
		bh_adm_nslabels_free(l);
		return bh_error_sys(err, rc, "namespace watch thread");
	}
	l->started = true;
	*out = l;
	return 0;
}
