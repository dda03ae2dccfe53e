/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node agent's side of the controller's orders (src/agent/agent_int.h),
 * run by the shipper thread of agent.c: the node's containers reported, the
 * node policy pulled and applied (or refused and reported through the
 * spool), the controller's actions (quarantine, release) done with the
 * library's calls and their results posted back (kept and posted again when
 * the controller cannot take them), behaviour profiles reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent_int.h"
#include "bulkhead/containers.h"
#include "bulkhead/ctl.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/quarantine.h"
#include "banned.h"

int agent_report_workloads(struct agent *ag, struct bh_error **err)
{
	struct bh_ctr_list *l = NULL;
	json_t *ws = json_array(), *body, *ans = NULL;
	char *s;
	int rc;

	if (bh_ctr_list(ag->o->containers, &l, err) < 0) {
		json_decref(ws);
		return -1;
	}
	for (size_t i = 0; i < l->n && i < 1000; i++) {
		const struct bh_ctr *c = &l->v[i];
		json_t *w = json_pack("{ss}", "id", c->id);

		if (c->name && *c->name)
			json_object_set_new(w, "name", json_string(c->name));
		if (c->image && *c->image)
			json_object_set_new(w, "image", json_string(c->image));
		if (c->image_digest && *c->image_digest)
			json_object_set_new(w, "digest", json_string(c->image_digest));
		if (c->pod_name && *c->pod_name)
			json_object_set_new(w, "pod", json_string(c->pod_name));
		if (c->pod_namespace && *c->pod_namespace)
			json_object_set_new(w, "namespace", json_string(c->pod_namespace));
		json_array_append_new(ws, w);
	}
	bh_ctr_list_free(l);
	body = json_pack("{ssso}", "node", ag->o->node, "workloads", ws);
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	rc = agent_request(ag, "/api/v1/agent/workloads", s, strlen(s), &ans, err);
	free(s);
	json_decref(ans);
	return rc;
}

/* A version refused: an event of kind "policy" through the spool. */
static void policy_refused(struct agent *ag, int64_t version, const struct bh_error *why)
{
	char *msg = bh_error_message(why);
	json_t *env = json_pack(
		"{sIsssssss{sIsIss}}", "ts", (json_int_t)time(NULL), "kind", "policy", "rule",
		"Node policy refused", "severity", "ERROR", "data", "version", (json_int_t)version,
		"running", (json_int_t)agent_policy_version(&ag->pol), "error", msg ? msg : "?");
	char *s = env ? json_dumps(env, JSON_COMPACT) : NULL;
	struct bh_error *e = NULL;

	pthread_mutex_lock(&ag->mu);
	ag->st.policy_refused++;
	if (s && bh_agent_spool_append(ag->sp, s, strlen(s), NULL, &e) == 0)
		bh_agent_spool_sync(ag->sp, &e);
	pthread_mutex_unlock(&ag->mu);
	agent_warn(ag, e);
	json_decref(env);
	free(s);
	free(msg);
}

/* netpol19: a version's firewall part, compiled before it is written and
 * swapped in before it is reported (agent_policy_hooks, src/agent/net.h). */
static int net_prepare(void *arg, const json_t *doc, void **ctx, struct bh_error **err)
{
	struct agent *ag = arg;
	struct bh_netpol *p = NULL;
	int rc = agent_net_prepare(&ag->net, doc, &p, err);

	*ctx = p;
	return rc;
}

static int net_commit(void *arg, void *ctx, struct bh_error **err)
{
	struct agent *ag = arg;

	return agent_net_commit(&ag->net, ctx, err);
}

static void net_abort(void *arg, void *ctx)
{
	(void)arg;
	bh_netpol_free(ctx);
}

/* Pull the node policy: a new version applied (or refused and reported);
 * <0 only when the controller could not be asked. */
int agent_pull_policy(struct agent *ag, struct bh_error **err)
{
	char path[96];
	json_t *ans = NULL;
	struct bh_error *e = NULL;
	int64_t v = 0;
	json_int_t offered = 0;
	struct agent_policy_hooks h = { net_prepare, net_commit, net_abort, ag };
	int rc;

	snprintf(path, sizeof(path), "/api/v1/agent/policy?have=%lld",
		 (long long)agent_policy_version(&ag->pol));
	if (agent_request(ag, path, NULL, 0, &ans, err) < 0)
		return -1;
	if (!ans)
		return 0; /* 304: current */
	rc = agent_policy_offer(&ag->pol, ans, &h, &v, &e);
	if (rc < 0) {
		bh_json_int(ans, "version", &offered);
		policy_refused(ag, offered, e);
		agent_warn(ag, e);
	} else if (rc == 0) {
		pthread_mutex_lock(&ag->mu);
		ag->st.policy_applied++;
		pthread_mutex_unlock(&ag->mu);
		/* say at once which version runs */
		json_decref(ans);
		ans = NULL;
		snprintf(path, sizeof(path), "/api/v1/agent/policy?have=%lld", (long long)v);
		if (agent_request(ag, path, NULL, 0, &ans, &e) < 0)
			bh_error_free(e);
	}
	json_decref(ans);
	return 0;
}

/* One action of the controller, done here with the library's call; its
 * result posted back. */
static int do_action(struct agent *ag, const json_t *a, struct bh_error **err)
{
	struct bh_quar_opts qo = { .state_dir = ag->o->quarantine_dir, .ctr = ag->o->containers };
	const char *kind = bh_json_str(a, "kind"), *ctr = bh_json_str(a, "container");
	const char *reason = bh_json_str(a, "reason");
	struct bh_quar_record *rec = NULL;
	struct bh_error *e = NULL;
	json_int_t id = 0;
	json_t *body, *ans = NULL;
	char *msg = NULL, *s;
	int rc;

	bh_json_int(a, "id", &id);
	if (!kind || !ctr || id < 1)
		rc = bh_error_set(&e, BH_ERR_INVALID, "a malformed action");
	else if (!strcmp(kind, "quarantine"))
		rc = bh_quar_apply(&qo, ctr, reason && *reason ? reason : "the controller", &rec,
				   &e);
	else if (!strcmp(kind, "release"))
		rc = bh_quar_release(&qo, ctr, &e) < 0 ? -1 : 0;
	else
		rc = bh_error_set(&e, BH_ERR_INVALID, "an unknown action %s", kind);
	bh_quar_record_free(rec);
	if (rc < 0)
		msg = bh_error_message(e);
	bh_error_free(e);
	pthread_mutex_lock(&ag->mu);
	if (rc < 0)
		ag->st.actions_failed++;
	else
		ag->st.actions_ok++;
	pthread_mutex_unlock(&ag->mu);
	if (id < 1) {
		free(msg);
		return 0;
	}
	body = json_pack("{sssIsb}", "node", ag->o->node, "id", id, "ok", rc == 0);
	if (msg) {
		if (strlen(msg) > BH_CTL_REASON_MAX)
			msg[BH_CTL_REASON_MAX] = 0;
		json_object_set_new(body, "error", json_string(msg));
	}
	free(msg);
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	rc = agent_request(ag, "/api/v1/agent/actions", s, strlen(s), &ans, err);
	json_decref(ans);
	/* not delivered (no answer, 5xx): kept and posted again */
	if (rc < 0 && s && (ag->http.code == 0 || ag->http.code >= 500)) {
		if (agent_pending_add(&ag->pend, s)) {
			struct bh_error *w = NULL;

			bh_error_set(&w, BH_ERR_LIMIT,
				     "agent: over %d actions' results to post again: the oldest "
				     "dropped (the controller hands its action out again)",
				     AGENT_PENDING_MAX);
			agent_warn(ag, w);
		}
		s = NULL;
	}
	free(s);
	return rc;
}

/* The results kept post again, in order; <0 (err) when the controller
 * still cannot take them: the next actions wait. One the controller refuses
 * (4xx) or tried AGENT_PENDING_TRIES times is dropped: its lease on the
 * controller hands the action out again. */
static int post_pending(struct agent *ag, struct bh_error **err)
{
	while (ag->pend.n) {
		json_t *ans = NULL;
		int rc = agent_request(ag, "/api/v1/agent/actions", ag->pend.body[0],
				       strlen(ag->pend.body[0]), &ans, err);

		json_decref(ans);
		pthread_mutex_lock(&ag->mu);
		ag->st.results_again++;
		pthread_mutex_unlock(&ag->mu);
		if (rc == 0 ||
		    (ag->http.code >= 400 && ag->http.code < 500 && ag->http.code != 401)) {
			bh_error_clear(err);
			agent_pending_del(&ag->pend, 0);
			continue;
		}
		if (++ag->pend.tries[0] >= AGENT_PENDING_TRIES)
			agent_pending_del(&ag->pend, 0);
		return -1;
	}
	return 0;
}

/* What the monitor learned, and the modes running, to the controller. */
int agent_report_profiles(struct agent *ag, struct bh_error **err)
{
	uint64_t before = ag->prof.reported;
	int rc = agent_profiles_report(&ag->prof, ag->o->node, agent_post_cb, ag, err);

	pthread_mutex_lock(&ag->mu);
	ag->st.profiles_reported += ag->prof.reported - before;
	pthread_mutex_unlock(&ag->mu);
	return rc;
}

int agent_take_actions(struct agent *ag, struct bh_error **err)
{
	json_t *ans = NULL, *v;
	int rc = 0;

	if (post_pending(ag, err) < 0 ||
	    agent_request(ag, "/api/v1/agent/actions", NULL, 0, &ans, err) < 0)
		return -1;
	v = json_object_get(ans, "actions");
	/* every action taken is done: one whose result could not be posted
	 * must not leave the rest undone (the first error is returned; the
	 * result is posted again at the next poll) */
	for (size_t i = 0; i < json_array_size(v); i++) {
		struct bh_error *e = NULL;

		if (do_action(ag, json_array_get(v, i), &e) < 0) {
			if (rc == 0 && err && !*err)
				*err = e;
			else
				bh_error_free(e);
			rc = -1;
		}
	}
	json_decref(ans);
	return rc;
}
