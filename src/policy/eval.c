/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bh_policy_eval: one input, every rule in scope, every hit recorded with
 * its action, message and section. The input is looked at once (a
 * Kubernetes object decoded into its pod, an OCI config, the images either
 * names), then each rule whose kind reads this kind of input and whose
 * scope matches runs its kind's eval; facts the input lacks are asked of
 * the env, once per image.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/report.h"
#include "policy/internal.h"
#include "banned.h"

void bh_policy_result_release(struct bh_policy_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct bh_policy_hit *h = &r->v[i];

		free(h->rule);
		free(h->kind);
		free(h->check);
		free(h->section);
		free(h->message);
		free(h->container);
		free(h->image);
	}
	free(r->v);
	free(r->object);
	bh_strvec_release(&r->evaluated);
	memset(r, 0, sizeof(*r));
}

void pol_hit(struct pol_ctx *c, const struct pol_rule *r, const char *check, const char *section,
	     const char *container, const char *image, const char *fmt, ...)
{
	struct bh_policy_result *res = c->res;
	struct bh_policy_hit *h;
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	va_list ap;

	if (res->n == res->cap) {
		res->cap = res->cap ? res->cap * 2 : 8;
		res->v = bh_reallocarray(res->v, res->cap, sizeof(*res->v));
	}
	h = &res->v[res->n++];
	memset(h, 0, sizeof(*h));
	va_start(ap, fmt);
	bh_buf_vaddf(&b, NULL, fmt, ap);
	va_end(ap);
	h->message = bh_buf_detach(&b, NULL);
	h->rule = bh_strdup(r->name);
	h->kind = bh_strdup(r->kind->name);
	h->check = check ? bh_strdup(check) : NULL;
	h->action = r->action;
	h->section = bh_strdup(r->section ? r->section : section ? section : r->kind->section);
	h->container = container ? bh_strdup(container) : NULL;
	h->image = image ? bh_strdup(image) : NULL;
	switch (r->action) {
	case BH_ACT_ENFORCE:
		res->nenforce++;
		res->denied = true;
		break;
	case BH_ACT_AUDIT: res->naudit++; break;
	case BH_ACT_WARN: res->nwarn++; break;
	}
}

/* ---- images ------------------------------------------------------------------ */

static void add_image(struct pol_ctx *c, const char *ref, const char *container,
		      const struct bh_policy_image *facts)
{
	struct pol_image *img;

	if (!ref || !*ref)
		return;
	for (size_t i = 0; i < c->nimages; i++)
		if (!strcmp(c->images[i].ref, ref))
			return;
	c->images = bh_reallocarray(c->images, c->nimages + 1, sizeof(*c->images));
	img = &c->images[c->nimages++];
	memset(img, 0, sizeof(*img));
	img->ref = ref;
	img->container = container;
	if (pol_imgref_parse(ref, &img->parsed, &img->parse_error) < 0)
		memset(&img->parsed, 0, sizeof(img->parsed));
	/* facts about this image from the input, matched by reference */
	for (size_t i = 0; !facts && i < c->in->nimages; i++)
		if (c->in->images[i].ref && !strcmp(c->in->images[i].ref, ref))
			facts = &c->in->images[i];
	img->facts = facts;
	if (facts)
		img->view = *facts;
	img->view.ref = ref;
	img->digest = img->parsed.digest ? img->parsed.digest : facts ? facts->digest : NULL;
	if (!img->view.digest)
		img->view.digest = img->digest;
}

bool pol_image_in_scope(const struct pol_rule *r, const struct pol_image *img)
{
	const struct pol_scope *s = &r->scope;
	const char *name = img->parsed.name ? img->parsed.name : img->ref;
	const char *full = img->parsed.full ? img->parsed.full : img->ref;

	if (s->images.n && !pol_globs_match(s->images.v, s->images.n, name) &&
	    !pol_globs_match(s->images.v, s->images.n, full))
		return false;
	if (s->exclude_images.n &&
	    (pol_globs_match(s->exclude_images.v, s->exclude_images.n, name) ||
	     pol_globs_match(s->exclude_images.v, s->exclude_images.n, full)))
		return false;
	return true;
}

int pol_scan_of(struct pol_ctx *c, size_t i, const struct bh_policy_scan **out,
		struct bh_error **err)
{
	*out = NULL;
	if (!c->scan_asked[i]) {
		c->scan_asked[i] = true;
		if (c->env->scan &&
		    c->env->scan(c->env->ctx, &c->images[i].view, &c->scans[i], err) < 0)
			return bh_error_prefix(err, "the scan of %s", c->images[i].ref);
	}
	*out = c->scans[i];
	return 0;
}

/* ---- scope ---------------------------------------------------------------------- */

static bool in_scope(const struct pol_rule *r, const struct pol_ctx *c, unsigned input,
		     const json_t *labels)
{
	const struct pol_scope *s = &r->scope;

	if (!(r->kind->inputs & input) || (s->inputs && !(s->inputs & input)))
		return false;
	/* Kubernetes criteria: a rule that has them applies only where they can hold */
	if (s->namespaces.n &&
	    (!c->namespace || !pol_globs_match(s->namespaces.v, s->namespaces.n, c->namespace)))
		return false;
	if (c->namespace &&
	    pol_globs_match(s->exclude_namespaces.v, s->exclude_namespaces.n, c->namespace))
		return false;
	if (s->has_ns_selector &&
	    (!c->namespace || !pol_selector_match(&s->ns_selector, c->in->namespace_labels)))
		return false;
	if (s->kinds && (!c->kind || !bh_strv_contains(s->kinds, c->kind)))
		return false;
	if (s->labels || s->has_selector) {
		struct pol_selector eq = { s->labels, NULL };

		if (!labels)
			return false;
		if (s->labels && !pol_selector_match(&eq, labels))
			return false;
		if (s->has_selector && !pol_selector_match(&s->selector, labels))
			return false;
	}
	/* an image scope: some image of the input is in it */
	if (s->images.n || s->exclude_images.n) {
		bool any = false;

		for (size_t i = 0; i < c->nimages && !any; i++)
			any = pol_image_in_scope(r, &c->images[i]);
		if (!any)
			return false;
	}
	return true;
}

/* ---- the input ------------------------------------------------------------------- */

static const char *annotation(const json_t *config, const char *key)
{
	return bh_json_str(bh_json_obj(config, "annotations"), key);
}

int bh_policy_eval(const struct bh_policy *p, const struct bh_policy_input *in,
		   struct bh_policy_result *res, struct bh_error **err)
{
	struct pol_ctx c = { 0 };
	struct pol_pod pod;
	bool have_pod = false;
	json_t *labels = NULL;
	unsigned input;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (!p || !p->compiled)
		return bh_error_set(err, BH_ERR_USAGE, "the policy is not compiled");
	c.policy = p;
	c.in = in;
	c.env = in->env ? in->env : &bh_policy_env_default;
	c.now = c.env->now ? c.env->now : (int64_t)time(NULL);
	c.res = res;
	res->applicable = true;
	switch (in->kind) {
	case BH_POLICY_K8S: {
		const json_t *obj = in->object, *meta, *spec;
		const char *where, *name;
		int r;

		input = POL_IN_K8S;
		r = pol_pod_of(obj, &meta, &spec, &where, err);
		if (r < 0)
			goto out;
		c.kind = bh_json_str(obj, "kind");
		name = bh_json_str(bh_json_obj(obj, "metadata"), "name");
		c.namespace = bh_json_str(bh_json_obj(obj, "metadata"), "namespace");
		if (!c.namespace)
			c.namespace = in->namespace ? in->namespace : "default";
		res->object = bh_asprintf("%s %s%s%s", c.kind, c.namespace, "/",
					  name ? name : "(unnamed)");
		if (r == 0) {
			if (!pol_kind_known(c.kind)) {
				bh_error_set(
					err, BH_ERR_UNSUPPORTED,
					"%s: bulkhead does not know the kind '%s' (apiVersion %s)",
					res->object, c.kind,
					bh_json_str(obj, "apiVersion")
						? bh_json_str(obj, "apiVersion")
						: "none");
				goto out;
			}
			res->applicable = false; /* holds no pod */
			rc = 0;
			goto out;
		}
		if (!spec) {
			res->applicable = false; /* a workload without a pod template */
			rc = 0;
			goto out;
		}
		if (pol_pod_decode(meta, spec, where, &pod, err) < 0) {
			bh_error_prefix(err, "%s", res->object);
			goto out;
		}
		have_pod = true;
		c.pod = &pod;
		c.is_workload = strcmp(c.kind, "Pod") != 0;
		for (size_t i = 0; i < pod.nc; i++)
			add_image(&c, pod.c[i].image, pod.c[i].name, NULL);
		/* the object's labels, and its pod's over them */
		labels = json_object();
		json_object_update(labels, bh_json_obj(bh_json_obj(obj, "metadata"), "labels"));
		if (pod.labels)
			json_object_update(labels, (json_t *)pod.labels);
		break;
	}
	case BH_POLICY_OCI:
		input = POL_IN_OCI;
		if (!json_is_object(in->oci_config)) {
			bh_error_set(err, BH_ERR_INVALID, "the OCI config is not an object");
			goto out;
		}
		c.oci = in->oci_config;
		c.namespace = annotation(c.oci, "io.kubernetes.pod.namespace");
		for (size_t i = 0; i < in->nimages; i++)
			add_image(&c, in->images[i].ref, NULL, &in->images[i]);
		res->object = bh_asprintf("container%s%s", c.nimages ? " of " : "",
					  c.nimages ? c.images[0].ref : "");
		break;
	case BH_POLICY_IMAGE:
		input = POL_IN_IMAGE;
		for (size_t i = 0; i < in->nimages; i++)
			add_image(&c, in->images[i].ref, NULL, &in->images[i]);
		res->object = bh_asprintf("image %s", c.nimages ? c.images[0].ref : "(none)");
		break;
	default: bh_error_set(err, BH_ERR_USAGE, "unknown input kind %d", (int)in->kind); goto out;
	}
	c.scans = bh_calloc(c.nimages + 1, sizeof(*c.scans));
	c.scan_asked = bh_calloc(c.nimages + 1, sizeof(*c.scan_asked));
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];

		if (!in_scope(r, &c, input, labels))
			continue;
		bh_strvec_push(&res->evaluated, r->name);
		if (r->kind->eval(r, &c, err) < 0) {
			bh_error_prefix(err, "rule \"%s\"", r->name);
			goto out;
		}
	}
	rc = 0;
out:
	if (have_pod)
		pol_pod_release(&pod);
	for (size_t i = 0; i < c.nimages; i++) {
		pol_imgref_release(&c.images[i].parsed);
		free(c.images[i].parse_error);
	}
	free(c.images);
	free(c.scans);
	free(c.scan_asked);
	json_decref(labels);
	if (rc < 0) {
		bh_policy_result_release(res);
		return -1;
	}
	return 0;
}

/* ---- views of a result ------------------------------------------------------------------ */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *bh_policy_result_json(const struct bh_policy_result *r)
{
	json_t *o = json_object(), *hits = json_array(), *ev = json_array();

	json_object_set_new(o, "object", str_or_null(r->object));
	json_object_set_new(o, "applicable", json_boolean(r->applicable));
	json_object_set_new(o, "denied", json_boolean(r->denied));
	for (size_t i = 0; i < r->evaluated.n; i++)
		json_array_append_new(ev, json_string(r->evaluated.v[i]));
	json_object_set_new(o, "rules", ev);
	for (size_t i = 0; i < r->n; i++) {
		const struct bh_policy_hit *h = &r->v[i];

		json_array_append_new(
			hits, json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o}", "rule", h->rule,
					"kind", h->kind, "check", str_or_null(h->check), "action",
					bh_policy_action_name(h->action), "section", h->section,
					"message", h->message, "container",
					str_or_null(h->container), "image", str_or_null(h->image)));
	}
	json_object_set_new(o, "hits", hits);
	return o;
}

void bh_policy_result_findings(const struct bh_policy_result *r, const char *path, long line,
			       struct bh_findings *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct bh_policy_hit *h = &r->v[i];
		struct bh_finding *f = bh_findings_add(out);

		f->id = bh_strdup(h->rule);
		f->kind = BH_FIND_POLICY;
		f->severity = h->action == BH_ACT_ENFORCE ? BH_SEV_HIGH
			      : h->action == BH_ACT_WARN  ? BH_SEV_MEDIUM
							  : BH_SEV_LOW;
		f->title = bh_strdup(h->message);
		f->description =
			bh_asprintf("%s: %s rule \"%s\" (%s)%s%s", r->object ? r->object : "",
				    h->kind, h->rule, bh_policy_action_name(h->action),
				    h->check ? ", check " : "", h->check ? h->check : "");
		f->countermeasure = bh_strdup(h->section);
		f->path = path ? bh_strdup(path) : NULL;
		f->line = line;
	}
}
