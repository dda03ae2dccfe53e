/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's behaviour profiles (src/agent/profiles.h): a node policy's
 * accepted profiles and modes applied to the monitor's profile store with the
 * library's own calls, and what the monitor learned reported to the
 * controller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/profiles.h"
#include "bulkhead/profile.h"
#include "banned.h"

#define BODY_MAX (60u << 10) /* under the controller's 64 KiB */

int agent_profiles_open(struct agent_profiles *p, const char *store, struct bh_error **err)
{
	struct bh_behave_opts o = { .store = store };

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	p->store = bh_strdup(store);
	p->running = json_array();
	p->modes_reported = -1;
	if (bh_behave_open(&o, &p->det, err) < 0 ||
	    bh_prof_store_open(store, true, &p->sys, err) < 0) {
		bh_error_prefix(err, "agent: the profile store %s", store);
		agent_profiles_close(p);
		return -1;
	}
	return 0;
}

void agent_profiles_close(struct agent_profiles *p)
{
	bh_behave_close(p->det);
	bh_prof_store_close(p->sys);
	json_decref(p->running);
	free(p->sent);
	free(p->store);
	pthread_mutex_destroy(&p->mu);
	memset(p, 0, sizeof(*p));
}

static void keep_first(struct bh_error **err, struct bh_error *e)
{
	if (err && !*err)
		*err = e;
	else
		bh_error_free(e);
}

static bool names(const json_t *modes, const char *group, const char *control)
{
	size_t i;
	json_t *m;

	json_array_foreach (modes, i, m)
		if (!strcmp(bh_json_str(m, "group"), group) &&
		    !strcmp(bh_json_str(m, "control"), control))
			return true;
	return false;
}

static int set_one(struct agent_profiles *p, const char *group, const char *control,
		   enum bh_prof_mode mode, struct bh_error **err)
{
	if (!strcmp(control, "behaviour"))
		return bh_behave_set_mode(p->det, group, mode, -1, err);
	return bh_prof_store_set_mode(p->sys, group, mode, err);
}

int agent_profiles_apply(struct agent_profiles *p, const struct bh_ctl_policy *pol, int64_t version,
			 struct bh_error **err)
{
	json_t *profs = json_object_get(pol->doc, "profiles");
	json_t *modes = json_object_get(pol->doc, "modes"), *running = json_array(), *prev, *v;
	struct bh_error *e = NULL;
	size_t i;
	int rc = 0;

	/* what was learned so far is written before a profile is replaced */
	if (bh_behave_flush(p->det, &e) < 0) {
		keep_first(err, e);
		e = NULL;
		rc = -1;
	}
	json_array_foreach (profs, i, v) {
		const char *key = bh_json_str(v, "key");

		if (!key || bh_behave_import(p->det, v, key, &e) < 0) {
			if (!e)
				bh_error_set(&e, BH_ERR_INVALID,
					     "an accepted profile without a key");
			bh_error_prefix(&e, "policy version %lld", (long long)version);
			keep_first(err, e);
			e = NULL;
			rc = -1;
			continue;
		}
		/* held in memory as it was: read again from the store */
		bh_behave_forget(p->det, key);
	}
	json_array_foreach (modes, i, v) {
		const char *group = bh_json_str(v, "group"), *control = bh_json_str(v, "control");
		enum bh_prof_mode mode;

		if (bh_prof_mode_parse(bh_json_str(v, "mode"), &mode, &e) < 0 ||
		    set_one(p, group, control, mode, &e) < 0) {
			bh_error_prefix(&e, "policy version %lld: %s mode of %s",
					(long long)version, control, group);
			keep_first(err, e);
			e = NULL;
			rc = -1;
			continue;
		}
		json_array_append(running, v);
	}
	pthread_mutex_lock(&p->mu);
	prev = json_incref(p->running);
	pthread_mutex_unlock(&p->mu);
	/* a group the policy no longer names learns again */
	json_array_foreach (prev, i, v) {
		const char *group = bh_json_str(v, "group"), *control = bh_json_str(v, "control");

		if (!names(modes, group, control) &&
		    set_one(p, group, control, BH_PROF_DISCOVER, &e) < 0) {
			keep_first(err, e);
			e = NULL;
			rc = -1;
		}
	}
	json_decref(prev);
	/* the modes read again by the monitor's handle */
	if (bh_behave_flush(p->det, &e) < 0) {
		keep_first(err, e);
		e = NULL;
		rc = -1;
	}
	pthread_mutex_lock(&p->mu);
	json_decref(p->running);
	p->running = running;
	p->running_version = version;
	if (rc == 0)
		p->applied++;
	else
		p->apply_errors++;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* ---- the report -------------------------------------------------------------------------- */

static struct agp_sent *sent_of(struct agent_profiles *p, const char *key)
{
	for (size_t i = 0; i < p->nsent; i++)
		if (!strcmp(p->sent[i].key, key))
			return &p->sent[i];
	return NULL;
}

static int post_one(struct agent_profiles *p, const char *node, json_t *modes, int64_t version,
		    json_t *doc, agp_post_fn post, void *ctx, struct bh_error **err)
{
	json_t *body = json_pack("{sssO}", "node", node, "modes", modes), *ans = NULL;
	char *s;
	int rc;

	if (doc)
		json_object_set_new(body, "profiles", json_pack("[O]", doc));
	if (version > 0)
		json_object_set_new(body, "policy_version", json_integer((json_int_t)version));
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!s)
		return bh_error_set(err, BH_ERR_NOMEM, "agent: encoding a profile");
	if (strlen(s) > BODY_MAX) {
		rc = bh_error_set(err, BH_ERR_LIMIT,
				  "profile %s: %zu bytes, over the %u a report may take: not "
				  "reported",
				  bh_json_str(doc, "key"), strlen(s), BODY_MAX);
		free(s);
		return rc;
	}
	rc = post(ctx, "/api/v1/agent/profiles", s, strlen(s), &ans, err);
	free(s);
	json_decref(ans);
	(void)p;
	return rc;
}

int agent_profiles_report(struct agent_profiles *p, const char *node, agp_post_fn post, void *ctx,
			  struct bh_error **err)
{
	struct bh_behave_opts o = { .store = p->store, .check = true };
	struct bh_behave *b = NULL;
	json_t *list = NULL, *modes, *it;
	int64_t version;
	size_t i, posted = 0;
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	modes = json_deep_copy(p->running);
	version = p->running_version;
	pthread_mutex_unlock(&p->mu);
	if (bh_behave_open(&o, &b, err) < 0 || bh_behave_list(b, &list, err) < 0) {
		rc = -1;
		goto out;
	}
	json_array_foreach (list, i, it) {
		const char *key = bh_json_str(it, "key");
		char dg[BH_CTL_PROFILE_DIGEST_MAX];
		struct agp_sent *sn;
		json_t *doc = NULL;
		struct bh_error *e = NULL;

		if (posted >= AGP_REPORT_MAX)
			break; /* the rest at the next interval */
		if (!key || bh_behave_export(b, key, &doc, &e) < 0) {
			bh_error_free(e);
			continue;
		}
		bh_ctl_profile_digest(doc, dg);
		sn = sent_of(p, key);
		if (sn && !strcmp(sn->digest, dg)) {
			json_decref(doc);
			continue;
		}
		if (post_one(p, node, modes, version, doc, post, ctx, &e) < 0) {
			json_decref(doc);
			if (bh_error_code(e) == BH_ERR_LIMIT) {
				/* never fits: remembered, said once */
				keep_first(err, e);
				rc = -1;
			} else {
				keep_first(err, e);
				rc = -1;
				goto out; /* the controller: tried again next interval */
			}
		} else {
			json_decref(doc);
			posted++;
			p->reported++;
			p->modes_reported = version;
		}
		if (!sn && p->nsent < AGP_KEYS_MAX) {
			p->sent = bh_reallocarray(p->sent, p->nsent + 1, sizeof(*p->sent));
			sn = &p->sent[p->nsent++];
			snprintf(sn->key, sizeof(sn->key), "%s", key);
		}
		if (sn)
			snprintf(sn->digest, sizeof(sn->digest), "%s", dg);
	}
	/* the modes running, when no profile carried them */
	if (rc == 0 && p->modes_reported != version) {
		if (post_one(p, node, modes, version, NULL, post, ctx, err) < 0)
			rc = -1;
		else
			p->modes_reported = version;
	}
out:
	json_decref(list);
	bh_behave_close(b);
	json_decref(modes);
	return rc;
}
