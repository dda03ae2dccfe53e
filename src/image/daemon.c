/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker-daemon:NAME[:TAG|@DIGEST]: an image in the local Docker engine, read
 * through its Engine API on the unix socket (DOCKER_HOST=unix://PATH, else
 * /var/run/docker.sock), never through a `docker save` file.
 *
 *   GET /images/NAME/json     the image ID (its config's digest), the diff_ids,
 *                             the config as the engine shows it; every later
 *                             request names the image by that ID, so a tag
 *                             moved meanwhile cannot mix two images
 *   GET /images/ID/history    the history, until the config itself is read
 *   GET /images/ID/get        the image archive, streamed (a sequential source,
 *                             seq.c): each pass is one such request
 *
 * The archive's config blob is checked against the image ID when it goes by
 * and then replaces the inspect view, so a walk (scan, sbom) sees exactly the
 * config a docker-archive of the same image holds; its diff_ids must be the
 * ones the engine gave. The image is presented as a docker-archive is: no
 * manifest, uncompressed layers known by diff_id.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/registry.h"
#include "engine.h"
#include "banned.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"
#define MAX_ERROR_BODY (64u * 1024)

struct daemon_src {
	struct bh_image_src base;
	struct img_seq seq;
	struct bh_image *img; /* the image this source serves */
	char *sock;
	char *id; /* 64 hex */
	char *what;
	char *swhat;
};

int img_docker_socket(char **out, struct bh_error **err)
{
	const char *h = getenv("DOCKER_HOST");

	*out = NULL;
	if (!h || !*h) {
		*out = bh_strdup(DEFAULT_SOCKET);
		return 0;
	}
	if (!bh_str_has_prefix(h, "unix://") || h[7] != '/')
		return bh_error_set(
			err, BH_ERR_UNSUPPORTED,
			"DOCKER_HOST=%s: only a unix socket (unix:///PATH) is supported", h);
	*out = bh_strdup(h + 7);
	return 0;
}

/* What an engine's error body says ({"message": "..."}), else its status. */
static char *error_message(struct img_http *x)
{
	struct bh_buf b = BH_BUF_INIT(MAX_ERROR_BODY);
	json_t *j = NULL;
	char *m;

	if (img_http_read_all(x, &b, NULL) == 0 && b.len &&
	    bh_json_parse(b.data, b.len, MAX_ERROR_BODY, "error", &j, NULL) == 0 &&
	    bh_json_str(j, "message"))
		m = bh_strdup(bh_json_str(j, "message"));
	else
		m = bh_asprintf("HTTP %d", img_http_response(x)->status);
	json_decref(j);
	bh_buf_release(&b);
	return m;
}

/* GET target; a status other than 200 is an error (404: BH_ERR_NOTFOUND). */
static int engine_get(struct daemon_src *d, const char *target, struct img_http **out,
		      struct bh_error **err)
{
	struct img_http *x;
	int status;

	if (img_http_get(d->sock, target, d->what, 0, &x, err) < 0)
		return -1;
	status = img_http_response(x)->status;
	if (status != 200) {
		char *m = error_message(x);

		img_http_close(x);
		bh_error_set(err, status == 404 ? BH_ERR_NOTFOUND : BH_ERR_IO, "%s: %s", d->what,
			     m);
		free(m);
		return -1;
	}
	*out = x;
	return 0;
}

static int engine_json(struct daemon_src *d, const char *target, size_t max, json_t **out,
		       struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(max);
	struct img_http *x;
	int r;

	if (engine_get(d, target, &x, err) < 0)
		return -1;
	r = img_http_read_all(x, &b, err);
	img_http_close(x);
	if (r == 0)
		r = bh_json_parse(b.data, b.len, max, target, out, err);
	if (r < 0)
		bh_error_prefix(err, "%s", d->what);
	bh_buf_release(&b);
	return r;
}

/* ---- the archive as passes -------------------------------------------------------- */

struct http_stream {
	struct bh_stream s;
	struct img_http *x;
};

static ssize_t http_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	return img_http_read(((struct http_stream *)s)->x, buf, n, err);
}

static void http_close(struct bh_stream *s)
{
	img_http_close(((struct http_stream *)s)->x);
	free(s);
}

static int open_pass(struct img_seq *q, struct bh_stream **out, struct bh_error **err)
{
	struct daemon_src *d = (struct daemon_src *)((char *)q - offsetof(struct daemon_src, seq));
	struct http_stream *h;
	struct img_http *x;
	char target[128];

	snprintf(target, sizeof(target), "/images/%s/get", d->id);
	if (engine_get(d, target, &x, err) < 0)
		return -1;
	bh_debug("%s: GET %s", d->what, target);
	h = bh_calloc(1, sizeof(*h));
	h->s.read = http_read;
	h->s.close = http_close;
	h->x = x;
	*out = &h->s;
	return 0;
}

/* The config blob, verified by seq.c: it replaces the inspect view. */
static int on_config(struct img_seq *q, struct bh_image *img, const char *p, size_t n,
		     struct bh_error **err)
{
	struct bh_image tmp = { .nlayers = img->nlayers, .limits = img->limits };
	json_t *config = NULL;
	int r = -1;

	(void)q;
	tmp.layers = bh_calloc(img->nlayers + 1, sizeof(*tmp.layers));
	if (bh_json_parse(p, n, img->limits.max_json, "config", &config, err) < 0 ||
	    bh_config_parse(&tmp, config, err) < 0) {
		bh_error_prefix(err, "config %s", img->config_digest.str);
		goto out;
	}
	for (size_t i = 0; i < img->nlayers; i++)
		if (strcmp(tmp.layers[i].diff_id.str, img->layers[i].diff_id.str)) {
			bh_error_set(err, BH_ERR_DIGEST,
				     "the config's diff_id of layer %zu is %s; the engine said %s",
				     i + 1, tmp.layers[i].diff_id.str, img->layers[i].diff_id.str);
			goto out;
		}
	bh_image_config_release(&img->config);
	json_decref(img->config_json);
	img->config = tmp.config;
	img->config_json = tmp.config_json;
	memset(&tmp.config, 0, sizeof(tmp.config));
	tmp.config_json = NULL;
	r = 0;
out:
	bh_image_config_release(&tmp.config);
	json_decref(tmp.config_json);
	json_decref(config);
	free(tmp.layers);
	return r;
}

static int daemon_open(struct bh_image_src *src, const struct bh_digest *digest, const char *name,
		       struct bh_stream **out, int64_t *size, struct bh_error **err)
{
	struct daemon_src *d = (struct daemon_src *)src;

	if (!digest)
		return bh_error_set(err, BH_ERR_NOTFOUND, "%s: no member %s is served by name",
				    d->what, name);
	return img_seq_open_blob(d->img, &d->seq, digest, out, size, err);
}

static void daemon_free(struct bh_image_src *src)
{
	struct daemon_src *d = (struct daemon_src *)src;

	img_seq_release(&d->seq);
	free(d->sock);
	free(d->id);
	free(d->what);
	free(d->swhat);
	free(d);
}

/* ---- the inspect view -------------------------------------------------------------- */

static void set_str(json_t *o, const char *key, const json_t *from, const char *fkey)
{
	const char *s = bh_json_str(from, fkey);

	if (s && *s)
		json_object_set_new(o, key, json_string(s));
}

/* /history (newest first) as a config's history (oldest first). */
static json_t *history_of(const json_t *h)
{
	json_t *out = json_array(), *e;
	size_t i;

	for (i = json_array_size(h); i-- > 0;) {
		json_t *x = json_object();
		json_int_t t;
		char buf[BH_TIME_MAX];

		e = json_array_get(h, i);
		if (bh_json_int(e, "Created", &t)) {
			struct timespec ts = { .tv_sec = (time_t)t };

			json_object_set_new(x, "created",
					    json_string(bh_time_rfc3339(&ts, 0, buf)));
		}
		set_str(x, "created_by", e, "CreatedBy");
		set_str(x, "comment", e, "Comment");
		json_array_append_new(out, x);
	}
	return out;
}

/* A config built from /json (and /history): what the image is until its
 * config blob is read. */
static json_t *config_of(const json_t *in, json_t *history)
{
	json_t *c = json_object(), *rootfs = bh_json_obj(in, "RootFS");

	set_str(c, "architecture", in, "Architecture");
	set_str(c, "os", in, "Os");
	set_str(c, "variant", in, "Variant");
	set_str(c, "created", in, "Created");
	set_str(c, "author", in, "Author");
	if (bh_json_obj(in, "Config"))
		json_object_set(c, "config", bh_json_obj(in, "Config"));
	json_object_set_new(c, "rootfs",
			    json_pack("{s:s, s:O}", "type", "layers", "diff_ids",
				      rootfs && bh_json_arr(rootfs, "Layers")
					      ? bh_json_arr(rootfs, "Layers")
					      : json_array()));
	if (history)
		json_object_set_new(c, "history", history_of(history));
	return c;
}

/* The name to show: the repo tag the user named, else none. */
static char *name_of(const json_t *in, const char *asked)
{
	struct bh_registry_ref want, have;
	json_t *tags = bh_json_arr(in, "RepoTags"), *t;
	char *ws, *res = NULL;
	size_t i;

	if (bh_registry_ref_parse(asked, BH_REF_NORMALIZE, &want, NULL) < 0)
		return NULL;
	ws = bh_registry_ref_string(&want);
	json_array_foreach (tags, i, t) {
		char *hs;

		if (!json_is_string(t) ||
		    bh_registry_ref_parse(json_string_value(t), BH_REF_NORMALIZE, &have, NULL) < 0)
			continue;
		hs = bh_registry_ref_string(&have);
		if (!res && !strcmp(hs, ws))
			res = bh_strdup(json_string_value(t));
		free(hs);
		bh_registry_ref_release(&have);
	}
	free(ws);
	bh_registry_ref_release(&want);
	return res;
}

static bool name_ok(const char *name)
{
	if (!*name || strlen(name) > 512)
		return false;
	for (const char *c = name; *c; c++)
		if (!bh_isalnum(*c) && !strchr("._-/:@+", *c))
			return false;
	return true;
}

int img_open_docker_daemon(struct bh_image *img, const char *name,
			   const struct bh_image_open_opts *opts, struct bh_error **err)
{
	struct daemon_src *d;
	json_t *in = NULL, *hist = NULL, *config = NULL, *layers;
	struct bh_digest id;
	char *target = NULL;
	const char *s;
	size_t i;
	int r = -1;

	if (!name_ok(name))
		return bh_error_set(err, BH_ERR_USAGE, "'%s' is not an image name", name);
	d = bh_calloc(1, sizeof(*d));
	d->base.kind = "docker-daemon";
	d->base.open = daemon_open;
	d->base.free = daemon_free;
	d->base.rootfd = -1;
	d->base.seq = &d->seq;
	d->img = img;
	img->src = &d->base;
	img->kind = BH_IMAGE_DOCKER_DAEMON;
	d->swhat = bh_asprintf("the Docker engine's archive of %s", name);
	img_seq_init(&d->seq, d->swhat);
	if (img_docker_socket(&d->sock, err) < 0)
		return -1;
	d->what = bh_asprintf("the Docker engine (unix://%s)", d->sock);
	d->seq.open_pass = open_pass;
	d->seq.on_config = on_config;

	target = bh_asprintf("/images/%s/json", name);
	if (engine_json(d, target, img->limits.max_json, &in, err) < 0)
		goto out;
	s = bh_json_str(in, "Id");
	if (!s || bh_digest_parse(s, &id, NULL) < 0 || id.algo != BH_HASH_SHA256) {
		bh_error_set(err, BH_ERR_INVALID, "%s: the image has no valid Id", d->what);
		goto out;
	}
	d->id = bh_strdup(bh_digest_hex(&id));
	img->config_digest = id;
	layers = bh_json_arr(bh_json_obj(in, "RootFS"), "Layers");
	if (!layers || json_array_size(layers) == 0) {
		bh_error_set(err, BH_ERR_INVALID, "%s: image %s lists no layers", d->what, name);
		goto out;
	}
	if (json_array_size(layers) > img->limits.max_layers) {
		bh_error_set(err, BH_ERR_LIMIT, "%s: %zu layers, the limit is %u", d->what,
			     json_array_size(layers), img->limits.max_layers);
		goto out;
	}
	img->nlayers = json_array_size(layers);
	img->layers = bh_calloc(img->nlayers + 1, sizeof(*img->layers));
	for (i = 0; i < img->nlayers; i++) {
		img->layers[i].size = -1;
		img->layers[i].compression = BH_COMP_NONE;
	}
	free(target);
	target = bh_asprintf("/images/%s/history", d->id);
	if (engine_json(d, target, img->limits.max_json, &hist, NULL) < 0 || !json_is_array(hist)) {
		bh_debug("%s: no history for %s", d->what, name);
		json_decref(hist);
		hist = NULL;
	}
	config = config_of(in, hist);
	if (bh_config_parse(img, config, err) < 0) {
		bh_error_prefix(err, "%s: image %s", d->what, name);
		goto out;
	}
	img->name = name_of(in, name);
	if (opts && opts->platform && img_platform_check(img, opts->platform, err) < 0)
		goto out;
	bh_debug("%s: image %s is %s, %zu layers", d->what, name, id.str, img->nlayers);
	r = 0;
out:
	free(target);
	json_decref(in);
	json_decref(hist);
	json_decref(config);
	return r;
}
