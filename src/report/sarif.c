/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SARIF 2.1.0, as GitHub code scanning takes it: one rule per finding ID with
 * help text and a `security-severity`, one result per unsuppressed finding
 * located at the file in the image that holds the package database (or the
 * finding itself), and partialFingerprints that stay stable between scans.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/report.h"
#include "banned.h"

/* GitHub maps security-severity: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9
 * medium, 0.1-3.9 low. Without a score, the middle of the label's band. */
static double security_severity(const struct bh_finding *f)
{
	if (f->score >= 0)
		return f->score;
	switch (f->severity) {
	case BH_SEV_CRITICAL: return 9.5;
	case BH_SEV_HIGH: return 8.0;
	case BH_SEV_MEDIUM: return 5.5;
	case BH_SEV_LOW: return 2.0;
	default: return 0.0;
	}
}

static const char *level(enum bh_severity s)
{
	switch (s) {
	case BH_SEV_CRITICAL:
	case BH_SEV_HIGH: return "error";
	case BH_SEV_MEDIUM: return "warning";
	default: return "note";
	}
}

static const struct bh_package *pkg_of(const struct bh_report *r, const struct bh_finding *f)
{
	return r->inv && f->pkg < r->inv->npkgs ? &r->inv->pkgs[f->pkg] : NULL;
}

static json_t *rule_json(const struct bh_report *r, const struct bh_finding *f)
{
	const struct bh_package *p = pkg_of(r, f);
	struct bh_buf help = BH_BUF_INIT(1 << 20), md = BH_BUF_INIT(1 << 20);
	char sev[16];
	json_t *rule, *tags;

	snprintf(sev, sizeof(sev), "%.1f", security_severity(f));
	bh_buf_addf(&help, NULL, "%s\nSeverity: %s", f->title ? f->title : f->id,
		    bh_severity_name(f->severity));
	bh_buf_addf(&md, NULL, "**%s** (%s)\n\n%s", f->id, bh_severity_name(f->severity),
		    f->title ? f->title : "");
	if (p)
		bh_buf_addf(&md, NULL,
			    "\n\n| Package | Installed | Fixed |\n|---|---|---|\n| %s | %s | %s |",
			    p->name, p->version ? p->version : "",
			    f->fixed_versions ? f->fixed_versions[0] : "not fixed");
	if (f->remediation) {
		bh_buf_addf(&help, NULL, "\n%s", f->remediation);
		bh_buf_addf(&md, NULL, "\n\n%s", f->remediation);
	}
	if (f->countermeasure)
		bh_buf_addf(&md, NULL, "\n\nNIST SP 800-190 section %s", f->countermeasure);
	tags = json_pack("[s, s]", "security", bh_finding_kind_name(f->kind));
	json_array_append_new(tags, json_string(bh_severity_name(f->severity)));
	rule = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s, s:s}, s:{s:s, s:o, s:s}}",
			 "id", f->id, "name", f->id, "shortDescription", "text",
			 f->title ? f->title : f->id, "fullDescription", "text",
			 f->description ? f->description : (f->title ? f->title : f->id),
			 "defaultConfiguration", "level", level(f->severity), "help", "text",
			 help.data, "markdown", md.data, "properties", "security-severity", sev,
			 "tags", tags, "precision", "very-high");
	if (f->references && f->references[0])
		json_object_set_new(rule, "helpUri", json_string(f->references[0]));
	if (f->countermeasure)
		json_object_set_new(json_object_get(rule, "properties"), "nist-sp-800-190",
				    json_string(f->countermeasure));
	bh_buf_release(&help);
	bh_buf_release(&md);
	return rule;
}

/* A stable fingerprint: the finding, the package and where it lives. */
static void fingerprint(const struct bh_report *r, const struct bh_finding *f, char out[65])
{
	const struct bh_package *p = pkg_of(r, f);
	struct bh_buf b = BH_BUF_INIT(1 << 16);
	struct bh_digest d;

	bh_buf_addf(&b, NULL, "%s\n%s\n%s\n%s\n%s", f->id, p ? p->name : "",
		    p && p->version ? p->version : "", f->path ? f->path : "",
		    r->img && r->img->name ? r->img->name : "");
	bh_sha256(b.data, b.len, &d);
	snprintf(out, 65, "%s", bh_digest_hex(&d));
	bh_buf_release(&b);
}

static json_t *result_json(const struct bh_report *r, const struct bh_finding *f, size_t rule)
{
	const struct bh_package *p = pkg_of(r, f);
	const char *path = f->path ? f->path : (p && p->path ? p->path : NULL);
	struct bh_buf msg = BH_BUF_INIT(1 << 16);
	char fp[65];
	json_t *res, *loc;

	if (p)
		bh_buf_addf(&msg, NULL, "%s %s: %s (%s)%s%s", p->name, p->version ? p->version : "",
			    f->id, bh_severity_name(f->severity),
			    f->fixed_versions ? "; fixed in " : "",
			    f->fixed_versions ? f->fixed_versions[0] : "");
	else
		bh_buf_addf(&msg, NULL, "%s: %s (%s)", f->id, f->title ? f->title : "",
			    bh_severity_name(f->severity));
	if (f->layer >= 0)
		bh_buf_addf(&msg, NULL, " [layer %d]", f->layer + 1);
	fingerprint(r, f, fp);
	/* A SARIF uri is relative: the image's root is the base. */
	loc = json_pack("{s:{s:{s:s, s:s}, s:{s:i}}}", "physicalLocation", "artifactLocation",
			"uri", path ? (path[0] == '/' ? path + 1 : path) : "image-config",
			"uriBaseId", "ROOTPATH", "region", "startLine",
			f->line > 0 ? (int)f->line : 1);
	res = json_pack("{s:s, s:I, s:s, s:{s:s}, s:[o], s:{s:s}}", "ruleId", f->id, "ruleIndex",
			(json_int_t)rule, "level", level(f->severity), "message", "text", msg.data,
			"locations", loc, "partialFingerprints", "primaryLocationLineHash", fp);
	bh_buf_release(&msg);
	return res;
}

int bh_report_sarif(const struct bh_report *r, json_t **out, struct bh_error **err)
{
	json_t *rules = json_array(), *results = json_array(), *run, *props;
	struct bh_map *index = bh_map_new();

	for (size_t i = 0; r->findings && i < r->findings->n; i++) {
		const struct bh_finding *f = &r->findings->v[i];
		void *v;
		size_t rule;

		if (f->suppressed)
			continue;
		v = bh_map_get(index, f->id, strlen(f->id));
		if (!v) {
			json_array_append_new(rules, rule_json(r, f));
			rule = json_array_size(rules) - 1;
			bh_map_put(index, f->id, strlen(f->id), (void *)(uintptr_t)(rule + 1));
		} else {
			rule = (size_t)(uintptr_t)v - 1;
		}
		json_array_append_new(results, result_json(r, f, rule));
	}
	bh_map_free(index, NULL);
	props = json_object();
	if (r->img) {
		json_object_set_new(props, "imageLocation", json_string(r->img->location));
		if (r->img->name)
			json_object_set_new(props, "imageName", json_string(r->img->name));
		if (r->img->has_manifest)
			json_object_set_new(props, "manifestDigest",
					    json_string(r->img->manifest_digest.str));
		if (r->img->config_digest.str[0])
			json_object_set_new(props, "configDigest",
					    json_string(r->img->config_digest.str));
	}
	run = json_pack("{s:{s:{s:s, s:s, s:s, s:o}}, s:o, s:{s:{s:s}}, s:o}", "tool", "driver",
			"name", "bulkhead", "fullName", "bulkhead container scanner", "version",
			r->tool_version ? r->tool_version : "unknown", "rules", rules, "results",
			results, "originalUriBaseIds", "ROOTPATH", "uri", "file:///", "properties",
			props);
	*out = json_pack("{s:s, s:s, s:[o]}", "$schema",
			 "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
			 "runs", run);
	(void)err;
	return 0;
}
