/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AdmissionReview v1: the request parsed strictly (untrusted bytes: bounded,
 * duplicate keys refused, every member read type-checked; fuzzed by
 * fuzz/fuzz_admission.c), and the JSONPatch that pins images to digests.
 */
#include <string.h>

#include "bulkhead/admission.h"
#include "bulkhead/base.h"
#include "banned.h"

void bh_adm_request_release(struct bh_adm_request *r)
{
	json_decref(r->doc);
	memset(r, 0, sizeof(*r));
}

/* A member that must be a string when present; *out NULL when absent/null. */
static int opt_str(const json_t *o, const char *key, const char *where, const char **out,
		   struct bh_error **err)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bh_error_set(err, BH_ERR_INVALID, "%s.%s: not a string", where, key);
	*out = json_string_value(v);
	return 0;
}

static int req_str(const json_t *o, const char *key, const char *where, const char **out,
		   struct bh_error **err)
{
	if (opt_str(o, key, where, out, err) < 0)
		return -1;
	if (!*out)
		return bh_error_set(err, BH_ERR_INVALID, "%s.%s: missing", where, key);
	return 0;
}

static int opt_obj(const json_t *o, const char *key, const char *where, const json_t **out,
		   struct bh_error **err)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bh_error_set(err, BH_ERR_INVALID, "%s.%s: not an object", where, key);
	*out = v;
	return 0;
}

/* request.kind / requestKind: {group, version, kind} */
static int gvk(const json_t *o, const char *where, const char **g, const char **v, const char **k,
	       struct bh_error **err)
{
	if (opt_str(o, "group", where, g, err) < 0 || req_str(o, "version", where, v, err) < 0 ||
	    req_str(o, "kind", where, k, err) < 0)
		return -1;
	if (!*g)
		*g = "";
	return 0;
}

int bh_adm_request_parse(const void *buf, size_t len, struct bh_adm_request *out,
			 struct bh_error **err)
{
	const json_t *req, *k, *res, *ui, *o, *dry;
	const char *s, *op, *dummy;
	json_t *doc = NULL;

	memset(out, 0, sizeof(*out));
	if (len > BH_ADM_REVIEW_MAX)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "AdmissionReview: %zu bytes, over the limit of %d", len,
				    BH_ADM_REVIEW_MAX);
	if (bh_adm_json_parse(buf, len, BH_ADM_REVIEW_MAX, "AdmissionReview", &doc, err) < 0)
		return -1;
	out->doc = doc;
	if (!json_is_object(doc)) {
		bh_error_set(err, BH_ERR_INVALID, "AdmissionReview: not a JSON object");
		goto fail;
	}
	if (req_str(doc, "apiVersion", "AdmissionReview", &out->api_version, err) < 0 ||
	    req_str(doc, "kind", "AdmissionReview", &s, err) < 0)
		goto fail;
	if (strcmp(out->api_version, "admission.k8s.io/v1")) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "AdmissionReview: apiVersion \"%.64s\" (only admission.k8s.io/v1; "
			     "set admissionReviewVersions: [v1])",
			     out->api_version);
		goto fail;
	}
	if (strcmp(s, "AdmissionReview")) {
		bh_error_set(err, BH_ERR_INVALID, "kind \"%.64s\": not an AdmissionReview", s);
		goto fail;
	}
	if (opt_obj(doc, "request", "AdmissionReview", &req, err) < 0)
		goto fail;
	if (!req) {
		bh_error_set(err, BH_ERR_INVALID, "AdmissionReview: no request");
		goto fail;
	}
	if (req_str(req, "uid", "request", &out->uid, err) < 0)
		goto fail;
	if (!*out->uid || strlen(out->uid) > BH_ADM_UID_MAX) {
		out->uid = NULL; /* nothing to answer to */
		bh_error_set(err, BH_ERR_INVALID, "request.uid: empty or over %d bytes",
			     BH_ADM_UID_MAX);
		goto fail;
	}
	if (opt_obj(req, "kind", "request", &k, err) < 0)
		goto fail;
	if (!k) {
		bh_error_set(err, BH_ERR_INVALID, "request.kind: missing");
		goto fail;
	}
	if (gvk(k, "request.kind", &out->group, &out->version, &out->kind, err) < 0)
		goto fail;
	if (opt_obj(req, "requestKind", "request", &k, err) < 0 ||
	    (k && gvk(k, "request.requestKind", &dummy, &dummy, &dummy, err) < 0))
		goto fail;
	if (opt_obj(req, "resource", "request", &res, err) < 0)
		goto fail;
	if (!res) {
		bh_error_set(err, BH_ERR_INVALID, "request.resource: missing");
		goto fail;
	}
	if (opt_str(res, "group", "request.resource", &dummy, err) < 0 ||
	    opt_str(res, "version", "request.resource", &dummy, err) < 0 ||
	    req_str(res, "resource", "request.resource", &out->resource, err) < 0)
		goto fail;
	if (opt_str(req, "subResource", "request", &out->sub_resource, err) < 0 ||
	    opt_str(req, "requestSubResource", "request", &dummy, err) < 0 ||
	    opt_str(req, "name", "request", &out->name, err) < 0 ||
	    opt_str(req, "namespace", "request", &out->namespace, err) < 0 ||
	    req_str(req, "operation", "request", &op, err) < 0)
		goto fail;
	if (!out->sub_resource)
		out->sub_resource = "";
	if (!strcmp(op, "CREATE"))
		out->operation = BH_ADM_CREATE;
	else if (!strcmp(op, "UPDATE"))
		out->operation = BH_ADM_UPDATE;
	else if (!strcmp(op, "DELETE"))
		out->operation = BH_ADM_DELETE;
	else if (!strcmp(op, "CONNECT"))
		out->operation = BH_ADM_CONNECT;
	else {
		bh_error_set(err, BH_ERR_INVALID,
			     "request.operation \"%.32s\": not CREATE, "
			     "UPDATE, DELETE or CONNECT",
			     op);
		goto fail;
	}
	if (opt_obj(req, "userInfo", "request", &ui, err) < 0)
		goto fail;
	if (ui) {
		const json_t *g = json_object_get(ui, "groups");

		if (opt_str(ui, "username", "request.userInfo", &out->username, err) < 0)
			goto fail;
		if (g && !json_is_null(g)) {
			size_t i;
			const json_t *v;

			if (!json_is_array(g)) {
				bh_error_set(err, BH_ERR_INVALID,
					     "request.userInfo.groups: not an array");
				goto fail;
			}
			json_array_foreach (g, i, v)
				if (!json_is_string(v)) {
					bh_error_set(err, BH_ERR_INVALID,
						     "request.userInfo.groups[%zu]: not a string",
						     i);
					goto fail;
				}
			out->user_groups = g;
		}
	}
	if (opt_obj(req, "object", "request", &o, err) < 0)
		goto fail;
	out->object = o;
	if (opt_obj(req, "oldObject", "request", &o, err) < 0)
		goto fail;
	out->old_object = o;
	if (opt_obj(req, "options", "request", &o, err) < 0)
		goto fail;
	dry = json_object_get(req, "dryRun");
	if (dry && !json_is_null(dry) && !json_is_boolean(dry)) {
		bh_error_set(err, BH_ERR_INVALID, "request.dryRun: not a boolean");
		goto fail;
	}
	out->dry_run = json_is_true(dry);
	if (out->namespace && strlen(out->namespace) > 253) {
		bh_error_set(err, BH_ERR_INVALID, "request.namespace: over 253 bytes");
		goto fail;
	}
	if ((out->operation == BH_ADM_CREATE || out->operation == BH_ADM_UPDATE) && !out->object) {
		bh_error_set(err, BH_ERR_INVALID, "request.object: missing for %s", op);
		goto fail;
	}
	return 0;
fail:
	/* keep the uid when there is one: the caller may still answer it */
	{
		const char *uid = out->uid;
		json_t *d = out->doc;

		memset(out, 0, sizeof(*out));
		out->doc = d;
		out->uid = uid;
	}
	return -1;
}

/* ---- pinning ------------------------------------------------------------------ */

static bool has_digest(const char *ref)
{
	return strchr(ref, '@') != NULL;
}

static void pin_list(const json_t *spec, const char *base, const char *list,
		     const struct bh_adm_pin *pins, size_t npins, json_t *patch)
{
	const json_t *arr = json_object_get(spec, list), *c;
	size_t i;

	if (!json_is_array(arr))
		return;
	json_array_foreach (arr, i, c) {
		const char *img = bh_json_str(c, "image");
		char *path, *val;

		if (!img || has_digest(img))
			continue;
		for (size_t j = 0; j < npins; j++) {
			if (strcmp(pins[j].ref, img))
				continue;
			path = bh_asprintf("%s/%s/%zu/image", base, list, i);
			val = bh_asprintf("%s@%s", img, pins[j].digest);
			json_array_append_new(patch, json_pack("{s:s,s:s,s:s}", "op", "test",
							       "path", path, "value", img));
			json_array_append_new(patch, json_pack("{s:s,s:s,s:s}", "op", "replace",
							       "path", path, "value", val));
			free(path);
			free(val);
			break;
		}
	}
}

/* The pod spec of object, and its JSON Pointer. */
static const json_t *pod_spec(const json_t *object, const char **ptr)
{
	const char *kind = bh_json_str(object, "kind");
	const json_t *t;

	if (!kind)
		return NULL;
	if (!strcmp(kind, "Pod")) {
		*ptr = "/spec";
		return bh_json_obj(object, "spec");
	}
	if (!strcmp(kind, "PodTemplate")) {
		*ptr = "/template/spec";
		return bh_json_obj(bh_json_obj(object, "template"), "spec");
	}
	if (!strcmp(kind, "CronJob")) {
		*ptr = "/spec/jobTemplate/spec/template/spec";
		t = bh_json_obj(bh_json_obj(object, "spec"), "jobTemplate");
		return bh_json_obj(bh_json_obj(bh_json_obj(t, "spec"), "template"), "spec");
	}
	if (!strcmp(kind, "Deployment") || !strcmp(kind, "ReplicaSet") ||
	    !strcmp(kind, "StatefulSet") || !strcmp(kind, "DaemonSet") || !strcmp(kind, "Job") ||
	    !strcmp(kind, "ReplicationController")) {
		*ptr = "/spec/template/spec";
		return bh_json_obj(bh_json_obj(bh_json_obj(object, "spec"), "template"), "spec");
	}
	return NULL;
}

int bh_adm_pin_patch(const json_t *object, const struct bh_adm_pin *pins, size_t npins,
		     json_t **out, struct bh_error **err)
{
	const char *ptr = NULL;
	const json_t *spec = pod_spec(object, &ptr);
	json_t *patch = json_array();

	(void)err;
	if (spec && npins) {
		pin_list(spec, ptr, "initContainers", pins, npins, patch);
		pin_list(spec, ptr, "containers", pins, npins, patch);
		pin_list(spec, ptr, "ephemeralContainers", pins, npins, patch);
	}
	*out = patch;
	return 0;
}
