/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What callers build inputs from: the image an OCI config's annotations
 * name, scan results turned into the policy's view of a scan (from the one
 * finding type, or from bulkhead's JSON report), and the default env that
 * verifies signatures with the trust core.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/inventory.h"
#include "bulkhead/report.h"
#include "bulkhead/trust.h"
#include "policy/internal.h"
#include "banned.h"

/* ---- images named by engines ---------------------------------------------------- */

/* Annotations the engines set on a container's OCI config: the image as the
 * user named it, then the digest it resolved to. A new engine is one row. */
static const struct {
	const char *name, *ref;
} engine_annotations[] = {
	/* CRI-O */
	{ "io.kubernetes.cri-o.ImageName", "io.kubernetes.cri-o.ImageRef" },
	/* containerd's CRI plugin */
	{ "io.kubernetes.cri.image-name", "io.kubernetes.cri.image-ref" },
	/* the OCI image spec's annotations, as podman and buildah carry them */
	{ "org.opencontainers.image.ref.name", "org.opencontainers.image.base.digest" },
};

int bh_policy_image_from_annotations(const json_t *config, struct bh_policy_image *out)
{
	const json_t *a = bh_json_obj(config, "annotations");

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(engine_annotations) / sizeof(engine_annotations[0]); i++) {
		const char *name = bh_json_str(a, engine_annotations[i].name);
		const char *ref = bh_json_str(a, engine_annotations[i].ref);
		const char *at;

		if (!name)
			continue;
		out->ref = name;
		/* the resolved reference names the digest: "repo@sha256:..." or the digest */
		if (ref && (at = strstr(ref, "sha256:")) &&
		    bh_digest_parse(at, &(struct bh_digest){ 0 }, NULL) == 0)
			out->digest = at;
		return 1;
	}
	return 0;
}

/* ---- scans ---------------------------------------------------------------------------- */

void bh_policy_scan_release(struct bh_policy_scan *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nvulns; i++) {
		free(s->vulns[i].id);
		bh_strv_free(s->vulns[i].aliases);
		free(s->vulns[i].package);
		free(s->vulns[i].purl);
	}
	free(s->vulns);
	for (size_t i = 0; i < s->ncontent; i++) {
		free(s->content[i].id);
		free(s->content[i].path);
	}
	free(s->content);
	free(s->digest);
	memset(s, 0, sizeof(*s));
}

static struct bh_policy_vuln *add_vuln(struct bh_policy_scan *s)
{
	struct bh_policy_vuln *v;

	s->vulns = bh_reallocarray(s->vulns, s->nvulns + 1, sizeof(*s->vulns));
	v = &s->vulns[s->nvulns++];
	memset(v, 0, sizeof(*v));
	v->score = -1;
	return v;
}

static struct bh_policy_content *add_content(struct bh_policy_scan *s)
{
	struct bh_policy_content *c;

	s->content = bh_reallocarray(s->content, s->ncontent + 1, sizeof(*s->content));
	c = &s->content[s->ncontent++];
	memset(c, 0, sizeof(*c));
	return c;
}

int bh_policy_scan_from_findings(const struct bh_findings *f, const struct bh_inventory *inv,
				 const char *digest, int64_t scanned_at, struct bh_policy_scan *out,
				 struct bh_error **err)
{
	memset(out, 0, sizeof(*out));
	out->digest = digest ? bh_strdup(digest) : NULL;
	out->scanned_at = scanned_at;
	for (size_t i = 0; f && i < f->n; i++) {
		const struct bh_finding *x = &f->v[i];

		if (x->kind == BH_FIND_VULN) {
			struct bh_policy_vuln *v = add_vuln(out);

			v->id = bh_strdup(x->id);
			v->aliases = bh_strv_dup(x->aliases);
			v->severity = x->severity;
			v->score = x->score;
			v->fixable = x->fix_state == BH_FIX_FIXED ||
				     (x->fixed_versions && x->fixed_versions[0]);
			v->suppressed = x->suppressed;
			if (inv && x->pkg < inv->npkgs) {
				const struct bh_package *p = &inv->pkgs[x->pkg];

				v->package = p->name ? bh_strdup(p->name) : NULL;
				v->purl = p->purl ? bh_strdup(p->purl) : NULL;
			}
		} else if (x->kind == BH_FIND_SECRET || x->kind == BH_FIND_MALWARE ||
			   x->kind == BH_FIND_CONFIG) {
			struct bh_policy_content *c = add_content(out);

			c->kind = x->kind == BH_FIND_SECRET    ? BH_POLICY_SECRET
				  : x->kind == BH_FIND_MALWARE ? BH_POLICY_MALWARE
							       : BH_POLICY_CONFIG;
			c->id = bh_strdup(x->id);
			c->path = x->path ? bh_strdup(x->path) : NULL;
			c->suppressed = x->suppressed;
		}
	}
	(void)err;
	return 0;
}

static int severity_of(const char *s, enum bh_severity *out)
{
	static const struct {
		const char *name;
		enum bh_severity sev;
	} names[] = { { "UNKNOWN", BH_SEV_UNKNOWN },
		      { "LOW", BH_SEV_LOW },
		      { "MEDIUM", BH_SEV_MEDIUM },
		      { "HIGH", BH_SEV_HIGH },
		      { "CRITICAL", BH_SEV_CRITICAL } };

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(names[i].name, s)) {
			*out = names[i].sev;
			return 0;
		}
	}
	return -1;
}

int bh_policy_scan_from_report(const json_t *report, struct bh_policy_scan *out,
			       struct bh_error **err)
{
	const json_t *findings = bh_json_arr(report, "findings"),
		     *img = bh_json_obj(report, "image");
	json_int_t ver = 0;
	const char *created;
	size_t i;
	json_t *f;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(report) || !bh_json_int(report, "schemaVersion", &ver) || ver != 1 ||
	    !findings)
		return bh_error_set(err, BH_ERR_INVALID,
				    "not a bulkhead scan report (schemaVersion 1 with findings)");
	if (bh_json_str(img, "manifestDigest"))
		out->digest = bh_strdup(bh_json_str(img, "manifestDigest"));
	created = bh_json_str(report, "created");
	if (created && bh_time_parse(created, false, &out->scanned_at, NULL) < 0)
		out->scanned_at = 0;
	json_array_foreach (findings, i, f) {
		const char *kind = bh_json_str(f, "kind"), *id = bh_json_str(f, "id");

		if (!kind || !id) {
			bh_policy_scan_release(out);
			return bh_error_set(err, BH_ERR_INVALID, "finding %zu has no kind or id",
					    i);
		}
		if (!strcmp(kind, "vulnerability")) {
			struct bh_policy_vuln *v = add_vuln(out);
			const json_t *score = json_object_get(f, "score"), *al;
			const char *pub = bh_json_str(f, "published");
			struct bh_strvec aliases = BH_STRVEC_INIT;
			size_t j;

			v->id = bh_strdup(id);
			if (severity_of(bh_json_str(f, "severity"), &v->severity) < 0)
				v->severity = BH_SEV_UNKNOWN;
			v->score = json_is_number(score) ? json_number_value(score) : -1;
			v->fixable = (bh_json_str(f, "fixState") &&
				      !strcmp(bh_json_str(f, "fixState"), "fixed")) ||
				     json_array_size(bh_json_arr(f, "fixedVersions")) > 0;
			v->suppressed = json_is_true(json_object_get(f, "suppressed"));
			json_array_foreach (bh_json_arr(f, "aliases"), j, al)
				if (json_is_string(al))
					bh_strvec_push(&aliases, json_string_value(al));
			v->aliases = bh_strvec_detach(&aliases);
			if (pub && bh_time_parse(pub, true, &v->published, NULL) < 0)
				v->published = 0;
			if (bh_json_str(bh_json_obj(f, "package"), "name"))
				v->package =
					bh_strdup(bh_json_str(bh_json_obj(f, "package"), "name"));
			if (bh_json_str(bh_json_obj(f, "package"), "purl"))
				v->purl = bh_strdup(bh_json_str(bh_json_obj(f, "package"), "purl"));
		} else if (!strcmp(kind, "secret") || !strcmp(kind, "malware") ||
			   !strcmp(kind, "config")) {
			struct bh_policy_content *c = add_content(out);

			c->kind = !strcmp(kind, "secret")    ? BH_POLICY_SECRET
				  : !strcmp(kind, "malware") ? BH_POLICY_MALWARE
							     : BH_POLICY_CONFIG;
			c->id = bh_strdup(id);
			c->path = bh_json_str(f, "path") ? bh_strdup(bh_json_str(f, "path")) : NULL;
			c->suppressed = json_is_true(json_object_get(f, "suppressed"));
		}
	}
	return 0;
}

/* ---- the default env ---------------------------------------------------------------------- */

static int default_verify(void *ctx, const struct bh_policy_image *img,
			  const struct bh_policy_verify_req *req, bool *verified, char **why,
			  struct bh_error **err)
{
	struct bh_verify_opts o = { 0 };
	struct bh_verify_result r = { 0 };
	struct bh_buf b = BH_BUF_INIT(1 << 16);
	char *target;
	int rc;

	*verified = false;
	o.keys = req->keys;
	if (!o.keys && req->load_keys && req->load_keys(req, &o.keys, err) < 0)
		return -1;
	o.nkeys = req->nkeys;
	o.min_signatures = req->threshold;
	o.attestation = req->predicate_type != NULL;
	o.predicate_type = req->predicate_type;
	/*
	 * open_ref is the caller's (a path it chose); a ref from the object being
	 * judged is only ever looked up in a registry, never opened as a local
	 * path or layout (a pod naming "rootfs:/" must not make us read the host).
	 */
	target = img->open_ref ? bh_strdup(img->open_ref) : bh_asprintf("docker://%s", img->ref);
	rc = bh_verify_image(target, NULL, &o, &r, err);
	free(target);
	if (rc < 0)
		return -1;
	*verified = r.verified;
	if (!r.verified) {
		if (!r.nsigs)
			bh_buf_addf(&b, NULL, "no %s found",
				    req->predicate_type ? "attestations" : "signatures");
		else
			bh_buf_addf(&b, NULL, "%zu of %u valid", r.nvalid,
				    req->threshold ? req->threshold : 1);
		for (size_t i = 0; i < r.nsigs && i < 3; i++)
			if (!r.sigs[i].ok && r.sigs[i].reason)
				bh_buf_addf(&b, NULL, "; %s: %s", r.sigs[i].where,
					    r.sigs[i].reason);
		*why = bh_buf_detach(&b, NULL);
	}
	bh_buf_release(&b);
	bh_verify_result_release(&r);
	(void)ctx;
	return 0;
}

const struct bh_policy_env bh_policy_env_default = { NULL, default_verify, NULL, 0 };
