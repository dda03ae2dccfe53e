/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stale images (NIST SP 800-190 4.2.2): the scanner behind BH_SCAN_STALE.
 * Three findings of kind "stale", each about the image as a whole:
 *
 *   BH-STALE-AGE    the config's `created` is older than the limit (default
 *                   90 days). A `created` of the Unix epoch is the fixed date
 *                   of a reproducible build (SOURCE_DATE_EPOCH=0): the age
 *                   is unknown, not 55 years, and nothing is reported.
 *   BH-STALE-DRIFT  the tag the image was pulled by (a registry image: the
 *                   tag it was opened by; an OCI layout: the BH_ANN_SOURCE
 *                   annotations `bulkhead pull` wrote) names another digest
 *                   in the registry now, or is gone: what runs is no longer
 *                   what the tag names. One HEAD (a GET when the registry
 *                   sends no Docker-Content-Digest). A registry that cannot
 *                   be reached is a warning, not a finding and not an error.
 *   BH-STALE-BASE   given the base image, its layers (diff_ids) are not a
 *                   prefix of the image's: it was built on an older base (or
 *                   another one). The base is opened as any IMAGE; failing
 *                   to open it is an error (the caller named it).
 *
 * The image is only read (config, layer list, where it came from): no walk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/registry.h"
#include "bulkhead/scan.h"
#include "banned.h"

#define DAY 86400

static struct bh_finding *stale_finding(struct bh_findings *out, const char *id, char *title,
					char *description, char *remediation)
{
	struct bh_finding *f = bh_findings_add(out);

	f->id = bh_strdup(id);
	f->kind = BH_FIND_STALE;
	f->severity = BH_SEV_MEDIUM;
	f->score = -1;
	f->countermeasure = bh_strdup("4.2.2");
	f->title = title;
	f->description = description;
	f->remediation = remediation;
	return f;
}

static void check_age(const struct bh_image *img, unsigned max_days, int64_t now,
		      struct bh_findings *out)
{
	const char *created = img->config.created;
	int64_t t, days;
	char when[BH_TIME_MAX];

	if (!created || !*created) {
		bh_debug("stale: the image config has no created time: its age is unknown");
		return;
	}
	if (bh_time_parse(created, false, &t, NULL) < 0) {
		bh_debug("stale: the image's created time '%.60s' does not parse", created);
		return;
	}
	if (t == 0) {
		bh_debug("stale: created at the Unix epoch (a reproducible build): age unknown");
		return;
	}
	days = (now - t) / DAY;
	if (t > now || days <= (int64_t)max_days)
		return;
	bh_time_short(t, when);
	stale_finding(
		out, "BH-STALE-AGE",
		bh_asprintf("Image is %lld days old (created %.10s), over the %u-day limit",
			    (long long)days, when, max_days),
		bh_asprintf("The image config says it was created %s, %lld days ago. An image "
			    "that is not rebuilt keeps the packages and fixes of the day it was "
			    "built: vulnerabilities found since are in it, whatever its tag says "
			    "(NIST SP 800-190 4.2.2, stale images).",
			    created, (long long)days),
		bh_asprintf("Rebuild the image from a current base with current packages and "
			    "redeploy it; rebuild at least every %u days (--max-image-age), "
			    "and retire images older than that from the registry.",
			    max_days));
}

/* What `tag` names in the registry now: 1 found (*now filled), 0 gone, -1 error. */
static int resolve(struct bh_registry *client, const struct bh_registry_ref *ref,
		   struct bh_digest *now, struct bh_error **err)
{
	struct bh_registry_manifest m = { 0 };
	int found = bh_registry_head_manifest(client, ref, &m, NULL, err);

	if (found == 1 && m.digest.str[0])
		*now = m.digest;
	bh_registry_manifest_release(&m);
	if (found == 1 && !now->str[0]) {
		/* no Docker-Content-Digest: the bytes decide */
		if (bh_registry_get_manifest(client, ref, NULL, &m, err) < 0)
			return -1;
		*now = m.digest;
		bh_registry_manifest_release(&m);
	}
	return found;
}

static void check_drift(const struct bh_image *img, const struct bh_stale_opts *o,
			struct bh_findings *out)
{
	struct bh_registry_ref ref = { 0 };
	struct bh_registry *client = NULL;
	struct bh_error *e = NULL;
	struct bh_digest now = { 0 };
	char *name = NULL, *repo = NULL, *was;
	int found;

	if (!img->source_ref || !img->source_digest.str[0]) {
		bh_debug("stale: where the image was pulled from is not known: no drift check");
		return;
	}
	if (bh_registry_ref_parse(img->source_ref, BH_REF_NORMALIZE, &ref, NULL) < 0 || !ref.tag) {
		bh_debug("stale: %s names no tag: no drift check", img->source_ref);
		goto out;
	}
	memset(&ref.digest, 0, sizeof(ref.digest));
	name = bh_registry_ref_string(&ref);
	repo = bh_registry_ref_name(&ref);
	if (bh_registry_new(o->open ? o->open->registry : NULL, &client, &e) < 0)
		goto unchecked;
	found = resolve(client, &ref, &now, &e);
	if (found < 0)
		goto unchecked;
	if (found == 1 && !strcmp(now.str, img->source_digest.str))
		goto out;
	was = img->source_time ? bh_asprintf(" when it was pulled (%s)", img->source_time)
			       : bh_strdup("");
	if (found == 0)
		stale_finding(out, "BH-STALE-DRIFT",
			      bh_asprintf("Tag %s is gone from the registry", name),
			      bh_asprintf("The image is %s, what %s named%s; the registry no "
					  "longer has that tag, so nothing says this image is "
					  "still the one to run (NIST SP 800-190 4.2.2).",
					  img->source_digest.str, name, was),
			      bh_asprintf("Find out which tag replaced %s, pull it and redeploy; "
					  "or pin the image by digest if this version is meant.",
					  name));
	else
		stale_finding(
			out, "BH-STALE-DRIFT",
			bh_asprintf("Tag %s now names %.19s, not this image (%.19s)", name, now.str,
				    img->source_digest.str),
			bh_asprintf("The image is %s, what %s named%s; the tag now names %s. "
				    "What runs is no longer what the tag names: it misses whatever "
				    "the new image fixed (NIST SP 800-190 4.2.2).",
				    img->source_digest.str, name, was, now.str),
			bh_asprintf(
				"Pull %s again (%s) and redeploy; if this version is meant, "
				"refer to it by digest (%s@%s) so the tag's moves do not apply.",
				name, now.str, repo, img->source_digest.str));
	free(was);
	goto out;
unchecked : {
	char *m = bh_error_message(e);

	bh_warn("stale: BH-STALE-DRIFT not checked: %s", m);
	free(m);
	bh_error_free(e);
}
out:
	bh_registry_free(client);
	bh_registry_ref_release(&ref);
	free(name);
	free(repo);
}

static int check_base(const struct bh_image *img, const struct bh_stale_opts *o,
		      struct bh_findings *out, struct bh_error **err)
{
	struct bh_image *base = NULL;
	struct bh_finding *f;
	size_t k = 0;

	if (bh_image_open(o->base, o->open, &base, err) < 0)
		return bh_error_prefix(err, "the base image %s", o->base);
	while (k < base->nlayers && k < img->nlayers &&
	       !strcmp(base->layers[k].diff_id.str, img->layers[k].diff_id.str))
		k++;
	if (k == base->nlayers && base->nlayers <= img->nlayers) {
		bh_image_free(base);
		return 0;
	}
	f = stale_finding(
		out, "BH-STALE-BASE",
		k ? bh_asprintf("Built on an older %s: %zu of its %zu layers match", o->base, k,
				base->nlayers)
		  : bh_asprintf("Not built on the current %s: none of its %zu layers match",
				o->base, base->nlayers),
		bh_asprintf("The base image %s (%s) has %zu layers; the image's first %zu layers "
			    "are the same (by diff_id), layer %zu differs. The image was built on "
			    "an older version of the base (or on another base), so the fixes of "
			    "the current base are not in it (NIST SP 800-190 4.2.2).",
			    o->base,
			    base->has_manifest ? base->manifest_digest.str
					       : base->config_digest.str,
			    base->nlayers, k, k + 1),
		bh_asprintf("Rebuild the image on the current %s and redeploy it.", o->base));
	f->layer = k < img->nlayers ? (int)k : -1;
	bh_image_free(base);
	return 0;
}

int bh_scan_stale(const struct bh_image *img, const struct bh_stale_opts *o,
		  struct bh_findings *out, struct bh_error **err)
{
	static const struct bh_stale_opts defaults;
	int64_t now;

	if (!o)
		o = &defaults;
	now = o->now ? (int64_t)o->now : (int64_t)time(NULL);
	check_age(img, o->max_age_days ? o->max_age_days : BH_STALE_MAX_AGE_DAYS, now, out);
	check_drift(img, o, out);
	if (o->base && check_base(img, o, out, err) < 0)
		return -1;
	return 0;
}
