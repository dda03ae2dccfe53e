/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker-registry's notification envelope (include/bulkhead/ctl.h): untrusted
 * bytes, (ptr, len) in, bounded pushes out; fuzzed by fuzz/fuzz_ctl_hook.c.
 *
 *   {"events": [{"action": "push", "target": {"mediaType": "...",
 *     "digest": "sha256:...", "repository": "team/app", "tag": "1.0", ...},
 *     "request": {...}, "actor": {...}, "source": {...}}, ...]}
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"
#include "bulkhead/registry.h"
#include "banned.h"

static bool alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*, components joined by '/' */
bool bh_ctl_repo_valid(const char *name, size_t len)
{
	size_t i = 0;

	if (!len || len > BH_CTL_REPO_MAX)
		return false;
	for (;;) {
		if (i >= len || !alnum_lower(name[i]))
			return false;
		while (i < len && alnum_lower(name[i]))
			i++;
		if (i == len)
			return true;
		if (name[i] == '/') {
			i++;
			continue;
		}
		if (name[i] == '.') {
			i++;
		} else if (name[i] == '_') {
			i += i + 1 < len && name[i + 1] == '_' ? 2 : 1;
		} else if (name[i] == '-') {
			while (i < len && name[i] == '-')
				i++;
		} else {
			return false;
		}
	}
}

/* cosign's tags beside an image: sha256-<64 hex>.sig, .att, .sbom */
static bool sig_tag(const char *t)
{
	size_t n = strlen(t);

	if (n < 7 + 64 + 4 || strncmp(t, "sha256-", 7) || strspn(t + 7, "0123456789abcdef") != 64)
		return false;
	return !strcmp(t + 71, ".sig") || !strcmp(t + 71, ".att") || !strcmp(t + 71, ".sbom");
}

static bool tag_valid(const char *t, size_t n)
{
	/* [\w][\w.-]{0,127} */
	if (!n || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static bool is_manifest(const char *mt)
{
	return mt && (!strcmp(mt, BH_REGISTRY_MT_OCI_MANIFEST) ||
		      !strcmp(mt, BH_REGISTRY_MT_DOCKER_MANIFEST));
}

int bh_ctl_hook_parse(const char *buf, size_t len, struct bh_ctl_push **out, size_t *n,
		      size_t *skipped, struct bh_error **err)
{
	json_t *root = NULL, *events, *ev;
	struct bh_ctl_push *v = NULL;
	size_t nv = 0, skip = 0, i;
	int ret = -1;

	*out = NULL;
	*n = 0;
	if (skipped)
		*skipped = 0;
	if (bh_json_parse(buf, len, BH_CTL_HOOK_MAX, "registry notification", &root, err) < 0)
		return -1;
	events = json_is_object(root) ? bh_json_arr(root, "events") : NULL;
	if (!events) {
		bh_error_set(err, BH_ERR_INVALID,
			     "registry notification: expected an object with \"events\": [...]");
		goto out;
	}
	if (json_array_size(events) > BH_CTL_HOOK_EVENTS_MAX) {
		bh_error_set(err, BH_ERR_LIMIT, "registry notification: over %d events",
			     BH_CTL_HOOK_EVENTS_MAX);
		goto out;
	}
	json_array_foreach (events, i, ev) {
		json_t *target = json_is_object(ev) ? bh_json_obj(ev, "target") : NULL;
		const char *action = json_is_object(ev) ? bh_json_str(ev, "action") : NULL;
		const char *repo, *digest, *tag;
		struct bh_ctl_push p = { 0 };
		struct bh_error *e2 = NULL;
		bool dup = false;

		if (!target || !action) {
			bh_error_set(err, BH_ERR_INVALID,
				     "registry notification: event %zu: no \"action\" or "
				     "\"target\"",
				     i);
			goto out;
		}
		if (strcmp(action, "push") || !is_manifest(bh_json_str(target, "mediaType"))) {
			skip++;
			continue;
		}
		repo = bh_json_str(target, "repository");
		digest = bh_json_str(target, "digest");
		tag = bh_json_str(target, "tag");
		if (!tag && json_object_get(target, "tag")) {
			bh_error_set(err, BH_ERR_INVALID,
				     "registry notification: event %zu: \"tag\" is not a string",
				     i);
			goto out;
		}
		if (!repo ||
		    !bh_ctl_repo_valid(repo,
				       json_string_length(json_object_get(target, "repository"))) ||
		    strlen(repo) != json_string_length(json_object_get(target, "repository"))) {
			bh_error_set(err, BH_ERR_INVALID,
				     "registry notification: event %zu: a missing or invalid "
				     "\"repository\"",
				     i);
			goto out;
		}
		if (!digest || bh_digest_parse(digest, &p.digest, &e2) < 0) {
			bh_error_free(e2);
			bh_error_set(err, BH_ERR_INVALID,
				     "registry notification: event %zu: a missing or invalid "
				     "\"digest\"",
				     i);
			goto out;
		}
		if (tag) {
			size_t tl = json_string_length(json_object_get(target, "tag"));

			if (!tag_valid(tag, tl) || strlen(tag) != tl) {
				bh_error_set(err, BH_ERR_INVALID,
					     "registry notification: event %zu: an invalid \"tag\"",
					     i);
				goto out;
			}
			memcpy(p.tag, tag, tl + 1);
			if (sig_tag(tag)) {
				/* a signature or attestation (the controller's own
				 * among them): not an image to scan */
				skip++;
				continue;
			}
		}
		memcpy(p.repository, repo, strlen(repo) + 1);
		for (size_t k = 0; k < nv && !dup; k++)
			dup = !strcmp(v[k].digest.str, p.digest.str) &&
			      !strcmp(v[k].repository, p.repository);
		if (dup) {
			skip++;
			continue;
		}
		v = bh_reallocarray(v, nv + 1, sizeof(*v));
		v[nv++] = p;
	}
	*out = v;
	*n = nv;
	v = NULL;
	if (skipped)
		*skipped = skip;
	ret = 0;
out:
	free(v);
	json_decref(root);
	return ret;
}
