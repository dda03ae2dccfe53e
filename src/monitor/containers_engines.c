/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engines above the runtimes: one row each, in the order they are asked
 * (the first that claims a container owns it; a container nobody claims is
 * its runtime's own). A claim looks at what the runtime state already gave:
 * the annotations and where the state lives. What an engine adds (the name
 * the user gave, the image, labels) comes from its own records:
 *
 *   podman      annotation io.container.manager=libpod; names and images from
 *               the store's overlay-containers/containers.json and
 *               overlay-images/images.json (read, never locked for writing)
 *   docker      state under a "moby" directory (dockerd's runtime root, or
 *               containerd's namespace moby); names, images, labels from the
 *               Engine API's GET /containers/json on its unix socket, else
 *               from its data root's containers/<id>/config.v2.json
 *   cri-o       annotations io.kubernetes.cri-o.* (ContainerName, ImageName,
 *               ImageRef, Labels)
 *   containerd  state or bundle under /run/containerd, or the CRI plugin's
 *               annotations io.kubernetes.cri.*
 *
 * The Kubernetes pod of a container comes from the annotations every CRI
 * implementation writes (bh_ctr_apply_annotations).
 */
#include <stddef.h>
#include <string.h>

#include "../image/engine.h"
#include "bulkhead/bundle.h"
#include "containers_internal.h"

#include "banned.h"

static const char *ann(const struct bh_ctr *c, const char *key)
{
	return bh_json_str(c->annotations, key);
}

static void set_if(char **field, const char *v)
{
	if (v && *v && !*field)
		ctr_set(field, v);
}

/* "sha256:" + hex unless already prefixed. */
static char *digest_of(const char *id)
{
	if (!id || !*id)
		return NULL;
	return strchr(id, ':') ? bh_strdup(id) : bh_asprintf("sha256:%s", id);
}

void bh_ctr_apply_annotations(struct bh_ctr *c)
{
	const char *labels;
	json_t *j = NULL;

	set_if(&c->pod_name, ann(c, "io.kubernetes.pod.name"));
	set_if(&c->pod_name, ann(c, "io.kubernetes.cri.sandbox-name"));
	set_if(&c->pod_namespace, ann(c, "io.kubernetes.pod.namespace"));
	set_if(&c->pod_namespace, ann(c, "io.kubernetes.cri.sandbox-namespace"));
	set_if(&c->pod_uid, ann(c, "io.kubernetes.pod.uid"));
	set_if(&c->pod_uid, ann(c, "io.kubernetes.cri.sandbox-uid"));
	set_if(&c->name, ann(c, "io.kubernetes.cri-o.ContainerName"));
	set_if(&c->name, ann(c, "io.kubernetes.cri.container-name"));
	set_if(&c->name, ann(c, "io.kubernetes.container.name"));
	set_if(&c->name, ann(c, "nerdctl/name"));
	/* what bulkhead's own bundles say (image bundle, run IMAGE) */
	set_if(&c->image, ann(c, BH_ANN_BUNDLE_IMAGE));
	if (!c->image_digest && ann(c, BH_ANN_BUNDLE_IMAGE_DIGEST))
		c->image_digest = digest_of(ann(c, BH_ANN_BUNDLE_IMAGE_DIGEST));
	if (!c->image_id && ann(c, BH_ANN_BUNDLE_IMAGE_ID))
		c->image_id = digest_of(ann(c, BH_ANN_BUNDLE_IMAGE_ID));
	set_if(&c->image, ann(c, "io.kubernetes.cri-o.ImageName"));
	set_if(&c->image, ann(c, "io.kubernetes.cri.image-name"));
	if (!c->image_id && ann(c, "io.kubernetes.cri-o.ImageRef"))
		c->image_id = digest_of(ann(c, "io.kubernetes.cri-o.ImageRef"));
	/* CRI-O keeps the pod's labels as one JSON object in a string */
	labels = ann(c, "io.kubernetes.cri-o.Labels");
	if (labels && bh_json_parse(labels, strlen(labels), 1u << 20, "labels", &j, NULL) == 0) {
		json_t *o = ctr_string_object(j);
		json_object_update(c->labels, o);
		json_decref(o);
	}
	json_decref(j);
}

/* ---- podman -------------------------------------------------------------------- */

static bool podman_claims(const struct bh_ctr *c)
{
	const char *m = ann(c, "io.container.manager");

	return m && !strcmp(m, "libpod");
}

static const char *store_dir(const struct ctr_scan *s)
{
	return s->opts->podman_store ? s->opts->podman_store : "/var/lib/containers/storage";
}

/* The image digests of the store: id → digest. */
static json_t *podman_image_digests(struct ctr_scan *s)
{
	struct bh_error *err = NULL;
	json_t *imgs = NULL, *out = json_object(), *v;
	char *path = bh_asprintf("%s/overlay-images/images.json", store_dir(s));
	size_t i;

	if (ctr_read_json(s->rootfd, path, CTR_STORE_MAX, &imgs, &err) < 0) {
		if (bh_error_code(err) != BH_ERR_NOTFOUND) {
			char *m = bh_error_message(err);
			ctr_warn(s, "podman: %s", m);
			free(m);
		}
		bh_error_free(err);
		goto out;
	}
	json_array_foreach (imgs, i, v) {
		const char *id = bh_json_str(v, "id"), *d = bh_json_str(v, "digest");
		if (id && d)
			json_object_set_new(out, id, json_string(d));
	}
out:
	json_decref(imgs);
	free(path);
	return out;
}

static void podman_enrich(struct ctr_scan *s)
{
	struct bh_error *err = NULL;
	json_t *ctrs = NULL, *digests = NULL, *v;
	char *path = NULL;
	size_t i, k;

	for (k = 0; k < s->n; k++)
		if (s->v[k].engine == BH_CTR_PODMAN)
			break;
	if (k == s->n)
		return;
	path = bh_asprintf("%s/overlay-containers/containers.json", store_dir(s));
	if (ctr_read_json(s->rootfd, path, CTR_STORE_MAX, &ctrs, &err) < 0 ||
	    !json_is_array(ctrs)) {
		char *m = err ? bh_error_message(err) : bh_strdup("not an array");
		ctr_warn(s, "podman: %s: %s", path, m);
		free(m);
		bh_error_free(err);
		goto out;
	}
	digests = podman_image_digests(s);
	json_array_foreach (ctrs, i, v) {
		const char *id = bh_json_str(v, "id"), *img = bh_json_str(v, "image");
		const char *meta = bh_json_str(v, "metadata");
		json_t *names = bh_json_arr(v, "names"), *m = NULL;
		if (!id)
			continue;
		for (k = 0; k < s->n; k++) {
			struct bh_ctr *c = &s->v[k];
			if (c->engine != BH_CTR_PODMAN || strcmp(c->id, id))
				continue;
			if (json_string_value(json_array_get(names, 0)))
				ctr_set(&c->name, json_string_value(json_array_get(names, 0)));
			if (img && !c->image_id)
				c->image_id = digest_of(img);
			if (img && !c->image_digest && bh_json_str(digests, img))
				c->image_digest = bh_strdup(bh_json_str(digests, img));
			if (meta && !m)
				bh_json_parse(meta, strlen(meta), 1u << 20, "metadata", &m, NULL);
			set_if(&c->image, bh_json_str(m, "image-name"));
		}
		json_decref(m);
	}
out:
	json_decref(ctrs);
	json_decref(digests);
	free(path);
}

/* ---- docker -------------------------------------------------------------------- */

/* The directory above `dir` ends with the component `comp`. */
static bool parent_is(const char *dir, const char *comp)
{
	const char *slash = dir ? strrchr(dir, '/') : NULL;
	size_t n = strlen(comp);

	if (!slash || (size_t)(slash - dir) < n + 1)
		return false;
	return !strncmp(slash - n, comp, n) && slash[-(ptrdiff_t)n - 1] == '/';
}

static bool docker_claims(const struct bh_ctr *c)
{
	/* dockerd gives its runtimes the root <exec-root>/runtime-<name>/moby;
	 * through containerd its namespace is "moby" (state <root>/<rt>/moby/<id>,
	 * bundle <state>/io.containerd.runtime.v2.task/moby/<id>) */
	return parent_is(c->state_dir, "moby") ||
	       (parent_is(c->bundle, "moby") &&
		strstr(c->bundle, "/io.containerd.runtime.v2.task/"));
}

static int docker_get(struct ctr_scan *s, const char *sock, json_t **out, struct bh_error **err)
{
	struct img_http *h = NULL;
	struct bh_buf b = BH_BUF_INIT(CTR_STORE_MAX);
	char *what = bh_asprintf("the Docker engine (unix://%s)", sock);
	int r = -1;

	(void)s;
	if (img_http_get(sock, "/containers/json?all=1", what, 10000, &h, err) < 0)
		goto out;
	if (img_http_response(h)->status != 200) {
		bh_error_set(err, BH_ERR_INVALID, "%s: GET /containers/json: HTTP %d", what,
			     img_http_response(h)->status);
		goto out;
	}
	if (img_http_read_all(h, &b, err) < 0 ||
	    bh_json_parse(b.data ? b.data : "", b.len, CTR_STORE_MAX, "/containers/json", out,
			  err) < 0)
		goto out;
	if (!json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		bh_error_set(err, BH_ERR_INVALID, "%s: /containers/json is not an array", what);
		goto out;
	}
	r = 0;
out:
	img_http_close(h);
	bh_buf_release(&b);
	free(what);
	return r;
}

static void docker_apply(struct bh_ctr *c, const char *name, const char *image,
			 const char *image_id, const json_t *labels)
{
	if (name && *name)
		ctr_set(&c->name, name[0] == '/' ? name + 1 : name);
	set_if(&c->image, image);
	if (!c->image_id && image_id)
		c->image_id = digest_of(image_id);
	if (labels) {
		json_t *o = ctr_string_object(labels);
		json_object_update(c->labels, o);
		json_decref(o);
	}
}

/* Without the Engine API: dockerd's own record of the container on disk,
 * <data-root>/containers/<id>/config.v2.json (read, never locked). */
static void docker_from_disk(struct ctr_scan *s, struct bh_ctr *c)
{
	const char *root = s->opts->docker_root ? s->opts->docker_root : "/var/lib/docker";
	char *path = bh_asprintf("%s/containers/%s/config.v2.json", root, c->id);
	struct bh_error *err = NULL;
	json_t *j = NULL, *cfg;

	if (ctr_read_json(s->rootfd, path, CTR_STATE_MAX, &j, &err) < 0) {
		if (bh_error_code(err) != BH_ERR_NOTFOUND) {
			char *m = bh_error_message(err);
			ctr_warn(s, "docker: %s", m);
			free(m);
		}
		bh_error_free(err);
		goto out;
	}
	cfg = bh_json_obj(j, "Config");
	docker_apply(c, bh_json_str(j, "Name"), bh_json_str(cfg, "Image"), bh_json_str(j, "Image"),
		     bh_json_obj(cfg, "Labels"));
out:
	json_decref(j);
	free(path);
}

static void docker_enrich(struct ctr_scan *s)
{
	const char *sock = s->opts->docker_socket ? s->opts->docker_socket : "/var/run/docker.sock";
	struct bh_error *err = NULL;
	json_t *arr = NULL, *v;
	size_t i, k;

	for (k = 0; k < s->n; k++)
		if (s->v[k].engine == BH_CTR_DOCKER)
			break;
	if (k == s->n)
		return;
	if (!*sock || docker_get(s, sock, &arr, &err) < 0) {
		if (err && bh_error_code(err) != BH_ERR_NOTFOUND) {
			char *m = bh_error_message(err);
			ctr_warn(s, "docker: %s", m);
			free(m);
		}
		bh_error_free(err);
		for (k = 0; k < s->n; k++)
			if (s->v[k].engine == BH_CTR_DOCKER)
				docker_from_disk(s, &s->v[k]);
		return;
	}
	json_array_foreach (arr, i, v) {
		const char *id = bh_json_str(v, "Id");
		if (!id)
			continue;
		for (k = 0; k < s->n; k++) {
			struct bh_ctr *c = &s->v[k];
			if (c->engine != BH_CTR_DOCKER || strcmp(c->id, id))
				continue;
			docker_apply(c,
				     json_string_value(json_array_get(bh_json_arr(v, "Names"), 0)),
				     bh_json_str(v, "Image"), bh_json_str(v, "ImageID"),
				     bh_json_obj(v, "Labels"));
		}
	}
	json_decref(arr);
}

/* ---- CRI-O and containerd -------------------------------------------------------- */

static bool crio_claims(const struct bh_ctr *c)
{
	return ann(c, "io.kubernetes.cri-o.ContainerID") || ann(c, "io.kubernetes.cri-o.Name") ||
	       ann(c, "io.kubernetes.cri-o.ContainerType");
}

static bool containerd_claims(const struct bh_ctr *c)
{
	return ann(c, "io.kubernetes.cri.container-type") ||
	       ann(c, "io.kubernetes.cri.sandbox-id") ||
	       (c->state_dir && bh_str_has_prefix(c->state_dir, "/run/containerd/")) ||
	       (c->bundle && bh_str_has_prefix(c->bundle, "/run/containerd/"));
}

const struct ctr_engine ctr_engines[] = {
	{ BH_CTR_PODMAN, podman_claims, podman_enrich },
	{ BH_CTR_DOCKER, docker_claims, docker_enrich },
	{ BH_CTR_CRIO, crio_claims, NULL },
	{ BH_CTR_CONTAINERD, containerd_claims, NULL },
	{ BH_CTR_UNKNOWN, NULL, NULL },
};
