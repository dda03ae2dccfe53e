/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's images and registry automation: the images recorded
 * (src/ctl/images.c) and docker-registry's push notifications
 * (src/ctl/hook.c), queued for the scanner of src/ctl/auto.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/api_int.h"
#include "bulkhead/vuln.h"
#include "banned.h"

#define HOOK_MT "application/vnd.docker.distribution.events.v1+json"

static void on_images(struct bh_ctl_call *c)
{
	struct bh_ctl_image_filter f = { .min_severity = -1 };
	struct bh_error *err = NULL;
	char repo[BH_CTL_REPO_MAX + 1], sev[16];
	uint64_t after, limit;
	enum bh_severity s;
	json_t *v;
	int rc;

	if ((rc = bh_ctl_call_query(c, "repository", repo, sizeof(repo))) < 0)
		return;
	if (rc) {
		if (!bh_ctl_repo_valid(repo, strlen(repo)))
			return bh_ctl_reply_error(c, 400,
						  "query: \"repository\": not a "
						  "repository name");
		f.repository = repo;
	}
	if ((rc = bh_ctl_call_query(c, "severity", sev, sizeof(sev))) < 0)
		return;
	if (rc) {
		if (bh_severity_parse(sev, &s) < 0)
			return bh_ctl_reply_error(c, 400,
						  "query: \"severity\": expected UNKNOWN, "
						  "LOW, MEDIUM, HIGH or CRITICAL");
		f.min_severity = (int)s;
	}
	if (bh_ctl_call_uint(c, "after", INT64_MAX, &after) < 0 ||
	    bh_ctl_call_uint(c, "limit", BH_CTL_IMAGE_PAGE_MAX, &limit) < 0)
		return;
	f.after_id = (int64_t)after;
	f.limit = (unsigned)limit;
	if (bh_ctl_image_list(c->a->store, &f, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, v);
}

static void on_image(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	char digest[BH_DIGEST_MAX], sbom[8];
	json_t *v;
	int rc;

	if ((rc = bh_ctl_call_query(c, "digest", digest, sizeof(digest))) < 0)
		return;
	if (rc == 0)
		return bh_ctl_reply_error(c, 400, "expected ?digest=sha256:...");
	if ((rc = bh_ctl_call_query(c, "sbom", sbom, sizeof(sbom))) < 0)
		return;
	if (rc && strcmp(sbom, "0") && strcmp(sbom, "1"))
		return bh_ctl_reply_error(c, 400, "query: \"sbom\": expected 0 or 1");
	if (bh_ctl_image_get(c->a->store, digest, rc && !strcmp(sbom, "1"), &v, &err) < 0) {
		if (bh_error_code(err) == BH_ERR_INVALID || bh_error_code(err) == BH_ERR_USAGE) {
			bh_error_free(err);
			return bh_ctl_reply_error(c, 400, "query: \"digest\": not a digest");
		}
		return bh_ctl_reply_fail(c, err);
	}
	bh_ctl_reply_json(c, 200, v);
}

static void on_hook(struct bh_ctl_call *c)
{
	const char *ct = c->req->content_type;
	struct bh_error *err = NULL;
	struct bh_ctl_push *p = NULL;
	size_t n, skipped, queued = 0;

	if (!c->a->automation)
		return bh_ctl_reply_error(c, 503,
					  "registry automation is off (bulkhead serve "
					  "--registry)");
	/* the registry sends its own type; a JSON client may say so too */
	if (!ct ||
	    (strncasecmp(ct, HOOK_MT, strlen(HOOK_MT)) && strncasecmp(ct, "application/json", 16)))
		return bh_ctl_reply_error(c, 415, "expected Content-Type: " HOOK_MT);
	if (bh_ctl_hook_parse((const char *)c->req->body, c->req->body_len, &p, &n, &skipped,
			      &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (n &&
	    bh_ctl_auto_enqueue(c->a->automation, bh_ctl_call_actor(c), p, n, &queued, &err) < 0) {
		free(p);
		if (bh_error_code(err) == BH_ERR_LIMIT) {
			bh_error_free(err);
			/* the registry retries a failed delivery: nothing is lost */
			return bh_ctl_reply_error(c, 503, "the scan queue is full: retry later");
		}
		return bh_ctl_reply_fail(c, err);
	}
	free(p);
	bh_ctl_reply_json(c, 202,
			  json_pack("{sIsIsI}", "pushes", (json_int_t)n, "queued",
				    (json_int_t)queued, "skipped", (json_int_t)skipped));
}

static const struct bh_ctl_endpoint endpoints[] = {
	{ "GET", "/api/v1/images", on_images, BH_CTL_READER,
	  "Images scanned, by id, paged (severity: at least one finding at or above it)", NULL,
	  "repository severity after limit", 200 },
	{ "GET", "/api/v1/image", on_image, BH_CTL_READER,
	  "One image by digest: its vulnerabilities, and its CycloneDX SBOM with sbom=1", NULL,
	  "digest sbom", 200 },
	{ "POST", "/api/v1/hooks/registry", on_hook, BH_CTL_OPERATOR,
	  "docker-registry's notification endpoint: pushed manifests are pulled, scanned and "
	  "recorded",
	  "RegistryEvents", NULL, 202 },
};

static void schemas(json_t *components)
{
	json_object_set_new(components, "RegistryEvents",
			    json_pack("{sss{s{sss{sss{s{ss}s{ss}s{ss}s{ss}s{ss}}}si}}s[s]}", "type",
				      "object", "properties", "events", "type", "array", "items",
				      "type", "object", "properties", "action", "type", "string",
				      "target", "type", "object", "id", "type", "string",
				      "timestamp", "type", "string", "request", "type", "object",
				      "maxItems", BH_CTL_HOOK_EVENTS_MAX, "required", "events"));
}

const struct bh_ctl_endpoints bh_ctl_api_images = { endpoints,
						    sizeof(endpoints) / sizeof(endpoints[0]),
						    schemas };
