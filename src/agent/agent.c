/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node agent (include/bulkhead/agent.h): the monitor's pipeline run
 * in-process with one consumer that appends every alert to the spool, and a
 * shipper thread that registers the node, ships the spool to the controller
 * in order (POST /api/v1/agent/events), acknowledges what the controller
 * holds, and reports the node's containers. HTTPS through libcurl, loaded on
 * first use as the webhook output does; no HTTP stack of its own. What the
 * shipper asks of the controller and does for it (workloads, the node
 * policy, actions, profiles) is src/agent/orders.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/deliver.h"
#include "agent/flows.h"
#include "agent/http.h"
#include "agent/net.h"
#include "agent/profiles.h"
#include "bulkhead/agent.h"
#include "bulkhead/containers.h"
#include "bulkhead/monitord.h"
#include "bulkhead/quarantine.h"
#include "agent/agent_int.h"
#include "agent/attest_int.h"
#include "agent/policy_int.h"
#include "banned.h"

#define BODY_MAX    (60u << 10) /* under the controller's 64 KiB */
#define BACKOFF_MIN 200
#define BACKOFF_MAX 10000
#define BATCH_MAX   500
#define REJECT_RUN  32 /* records the controller refuses in a row, set aside */

/* ---- the monitor's consumer -------------------------------------------------------------- */

/* Each alert, on the monitor's detection thread (never its reader; the
 * alert of a container not named yet from its naming stage, once named, so
 * the controller gets the engine's names): a rule's,
 * or a "Monitor lost events" alert (a->loss; its event is empty, type none:
 * no "event" member, no workload), spooled for the controller. */
static int on_alert(void *data, const struct bh_mon_alert *a, struct bh_error **err)
{
	struct agent *ag = data;
	json_t *aj = NULL, *env;
	const char *rule, *prio, *ctr = NULL;
	char *s;
	int rc;

	if (bh_mon_alert_to_json(a, &aj, err) < 0)
		return -1;
	rule = bh_json_str(aj, "rule");
	prio = bh_json_str(aj, "priority");
	ctr = bh_json_str(bh_json_obj(bh_json_obj(aj, "event"), "container"), "id");
	env = json_pack("{sIssss?ss?ss?so}", "ts", (json_int_t)time(NULL), "kind", "alert", "rule",
			rule, "severity", prio, "workload", ctr && *ctr ? ctr : NULL, "data", aj);
	s = env ? json_dumps(env, JSON_COMPACT) : NULL;
	json_decref(env);
	if (!s)
		return bh_error_set(err, BH_ERR_NOMEM, "agent: encoding an alert");
	pthread_mutex_lock(&ag->mu);
	rc = bh_agent_spool_append(ag->sp, s, strlen(s), NULL, err);
	if (rc == 0)
		ag->st.alerts++;
	pthread_mutex_unlock(&ag->mu);
	free(s);
	return rc;
}

/* A version's accepted profiles and modes, on the detection thread (or
 * before it starts). */
static void apply_profiles(struct agent *ag, int64_t version)
{
	struct bh_error *e = NULL;
	int rc = agent_profiles_apply(&ag->prof, &ag->pol.cur, version, &e);

	pthread_mutex_lock(&ag->mu);
	if (rc < 0)
		ag->st.modes_failed++;
	else
		ag->st.modes_applied++;
	pthread_mutex_unlock(&ag->mu);
	agent_warn(ag, e);
}

/* Each event: the containers' connections into the flows table, then the
 * node policy's rules (its version swapped in first when a new one was
 * handed over), their alerts spooled as the monitor's are. */
static int on_event(void *data, const struct bh_mon_event *ev, struct bh_error **err)
{
	struct agent *ag = data;
	const struct bh_rules_rule *m[16];
	size_t n;
	int64_t swapped;
	int rc = 0;

	if (ev->type == BH_MON_CONNECT || ev->type == BH_MON_ACCEPT || ev->type == BH_MON_ACCEPT4 ||
	    ev->type == BH_MON_LISTEN) {
		pthread_mutex_lock(&ag->mu);
		agent_flows_mon(ag->flows, ev);
		pthread_mutex_unlock(&ag->mu);
	}
	agent_policy_match(&ag->pol, ev, m, 16, &n, &swapped);
	if (swapped)
		apply_profiles(ag, swapped);
	for (size_t i = 0; i < n && i < 16 && rc == 0; i++) {
		struct bh_mon_alert a = { .rule = m[i], .ev = ev, .action = BH_MON_ACT_ALERT };
		char *out = bh_rules_format(m[i], ev);

		a.output = out ? out : "";
		rc = on_alert(ag, &a, err);
		free(out);
	}
	return rc;
}

static int spool_flows(void *data, const char *rec, size_t len, struct bh_error **err)
{
	struct agent *ag = data;

	if (bh_agent_spool_append(ag->sp, rec, len, NULL, err) < 0)
		return -1;
	ag->st.flows++;
	return 0;
}

/* The flows of the interval to the spool (under mu), when it is over or force. */
static void drain_flows(struct agent *ag, bool force)
{
	unsigned every = ag->o->flows_ms ? ag->o->flows_ms : 10000;
	uint64_t now = bh_mono_ms();
	struct agf_stats fs;
	struct bh_error *e = NULL;
	uint64_t before = ag->st.flows, interval = (now - ag->flows_at + 999) / 1000;

	if (!force && now - ag->flows_at < every)
		return;
	agent_flows_stats(ag->flows, &fs);
	if (agent_flows_drain(ag->flows, (int64_t)time(NULL),
			      (int64_t)(interval > 86400 ? 86400 : interval), spool_flows, ag,
			      &e) < 0)
		agent_warn(ag, e);
	else if (ag->st.flows != before && bh_agent_spool_sync(ag->sp, &e) < 0)
		agent_warn(ag, e);
	ag->st.flows_dropped += fs.dropped;
	ag->flows_at = now;
}

static void on_flush(void *data)
{
	struct agent *ag = data;
	struct bh_error *e = NULL;

	pthread_mutex_lock(&ag->mu);
	drain_flows(ag, false);
	if (bh_agent_spool_sync(ag->sp, &e) < 0)
		agent_warn(ag, e);
	pthread_cond_signal(&ag->cv);
	pthread_mutex_unlock(&ag->mu);
}

/* net17 and bench17 (src/agent/net.h): a flow of the firewall, an event spooled */
static void hook_flow(void *data, const struct bh_net_flow_record *r)
{
	struct agent *ag = data;

	pthread_mutex_lock(&ag->mu);
	agent_flows_net(ag->flows, r);
	ag->st.net_flows++;
	pthread_mutex_unlock(&ag->mu);
}

static int hook_event(void *data, const char *json, size_t len, struct bh_error **err)
{
	struct agent *ag = data;
	int rc;

	pthread_mutex_lock(&ag->mu);
	rc = bh_agent_spool_append(ag->sp, json, len, NULL, err);
	pthread_cond_signal(&ag->cv);
	pthread_mutex_unlock(&ag->mu);
	return rc;
}

static int hook_sync(void *data, struct bh_error **err)
{
	struct agent *ag = data;
	int rc;

	pthread_mutex_lock(&ag->mu);
	rc = bh_agent_spool_sync(ag->sp, err);
	pthread_mutex_unlock(&ag->mu);
	return rc;
}

static void hook_warn(void *data, struct bh_error *e)
{
	agent_warn(data, e);
}

/* admit17: the new admission decisions (each --admission-root) into the spool */
static void admissions(struct agent *ag)
{
	struct bh_error *e = NULL;
	size_t n = 0;

	if (agent_adm_poll(&ag->adm, &ag->hooks, &n, &e) < 0)
		agent_warn(ag, e);
	pthread_mutex_lock(&ag->mu);
	ag->st.admissions += n;
	ag->st.admissions_bad = ag->adm.bad;
	ag->st.admissions_lost = ag->adm.lost;
	pthread_mutex_unlock(&ag->mu);
}

/* ---- HTTP (src/agent/http.c) ------------------------------------------------------------ */

int agent_post_cb(void *ag, const char *path, const char *body, size_t len, json_t **out,
		  struct bh_error **err)
{
	return agent_request(ag, path, body, len, out, err);
}

/* launch18: the TPM attestation (src/agent/attest.c); a failure is said */
static void attest(struct agent *ag)
{
	struct bh_error *e = NULL;
	char why[512];
	int r = agent_attest(ag->o, agent_post_cb, ag, why, sizeof(why), &e);

	pthread_mutex_lock(&ag->mu);
	if (r == 1)
		ag->st.attested++;
	else
		ag->st.attest_failed++;
	pthread_mutex_unlock(&ag->mu);
	if (r == 0)
		bh_error_set(&e, BH_ERR_UNSAFE,
			     "the controller did not verify this node's TPM "
			     "attestation: %s",
			     why);
	if (r <= 0)
		agent_warn(ag, e);
}

/* ---- what is shipped --------------------------------------------------------------------- */

static int do_register(struct agent *ag, struct bh_error **err)
{
	json_t *body = json_pack("{ssss}", "node", ag->o->node, "agent_version",
				 ag->o->version ? ag->o->version : "unknown");
	int64_t pv = agent_policy_version(&ag->pol);

	if (pv > 0) {
		char v[24];

		snprintf(v, sizeof(v), "%lld", (long long)pv);
		json_object_set_new(body, "policy_version", json_string(v));
	}
	char *s = json_dumps(body, JSON_COMPACT);
	json_t *ans = NULL;
	json_int_t acked = 0;
	int rc;

	json_decref(body);
	rc = agent_request(ag, "/api/v1/agent/register", s, strlen(s), &ans, err);
	free(s);
	if (rc < 0)
		return -1;
	bh_json_int(ans, "acked", &acked);
	json_decref(ans);
	pthread_mutex_lock(&ag->mu);
	/* what the controller holds is acknowledged; after a lost state
	 * directory the seqs go on after it */
	if (acked > 0) {
		rc = bh_agent_spool_ack(ag->sp, (uint64_t)acked, err);
		bh_agent_spool_next_at_least(ag->sp, (uint64_t)acked + 1);
	}
	pthread_mutex_unlock(&ag->mu);
	if (rc == 0)
		ag->registered = true;
	return rc;
}

/* A flows record (src/agent/flows.c writes its kind first). */
static bool is_flows(const struct bh_agent_record *r)
{
	static const char k[] = "{\"kind\":\"flows\",";

	return r->len > sizeof(k) - 1 && !memcmp(r->data, k, sizeof(k) - 1);
}

/* The controller refused a batch of k records (r, from the spool's head):
 * of several, they go again one by one; one is set aside in the dead-letter
 * file, acknowledged here, counted and said (an event of kind "rejected",
 * unless it was one), and the shipping goes on past it. 1: go on. */
static int refused_batch(struct agent *ag, const struct bh_agent_record *r, size_t k,
			 struct bh_error **err)
{
	struct bh_error *e = NULL;
	char *why = bh_error_message(err ? *err : NULL);
	json_t *rec, *env;
	bool was_rejected;

	bh_error_clear(err);
	if (k > 1) {
		ag->single_until = r[k - 1].seq;
		free(why);
		return 1;
	}
	if (why && strlen(why) > 240)
		why[240] = 0;
	if (agent_reject_write(ag->o->state_dir, r[0].seq, why, r[0].data, r[0].len, &e) < 0)
		agent_warn(ag, e); /* said; the record is past all the same: never a loop */
	rec = json_loadb(r[0].data, r[0].len, 0, NULL);
	was_rejected = rec && !strcmp(bh_json_str(rec, "kind") ? bh_json_str(rec, "kind") : "",
				      "rejected");
	json_decref(rec);
	env = was_rejected ? NULL
			   : json_pack("{sIsssssss{sIssss}}", "ts", (json_int_t)time(NULL), "kind",
				       "rejected", "rule", "Record refused by the controller",
				       "severity", "WARNING", "data", "seq", (json_int_t)r[0].seq,
				       "error", why ? why : "?", "file", "rejected.jsonl");
	pthread_mutex_lock(&ag->mu);
	ag->st.rejected++;
	ag->rejected_run++;
	if (bh_agent_spool_ack(ag->sp, r[0].seq, &e) < 0) {
		agent_warn(ag, e);
		e = NULL;
	}
	if (env) {
		char *s = json_dumps(env, JSON_COMPACT);

		if (s && bh_agent_spool_append(ag->sp, s, strlen(s), NULL, &e) == 0)
			bh_agent_spool_sync(ag->sp, &e);
		free(s);
	}
	pthread_mutex_unlock(&ag->mu);
	agent_warn(ag, e);
	if (ag->o->warn) {
		struct bh_error *w = NULL;

		bh_error_set(&w, BH_ERR_INVALID,
			     "record %llu refused by the controller (%s): set aside in "
			     "%s/rejected.jsonl",
			     (unsigned long long)r[0].seq, why ? why : "?", ag->o->state_dir);
		agent_warn(ag, w);
	}
	json_decref(env);
	free(why);
	return 1;
}

/* Ship one batch: 1 shipped, 0 nothing to ship, <0 failed. Consecutive
 * records of one kind go together: flows to /api/v1/agent/flows, the rest to
 * /api/v1/agent/events. */
static int ship(struct agent *ag, struct bh_error **err)
{
	size_t max = ag->o->batch ? ag->o->batch : 200, n = 0, k;
	struct bh_agent_record *r = NULL;
	struct bh_buf b = BH_BUF_INIT(BODY_MAX + BH_AGENT_RECORD_MAX);
	json_t *ans = NULL;
	json_int_t acked = 0;
	bool flows;
	int rc = -1;

	if (max > BATCH_MAX)
		max = BATCH_MAX;
	pthread_mutex_lock(&ag->mu);
	/* a batch was refused: its records one by one, to find which */
	if (ag->single_until) {
		struct bh_agent_spool_stats ss;

		bh_agent_spool_stats(ag->sp, &ss);
		if (ss.acked < ag->single_until)
			max = 1;
		else
			ag->single_until = 0;
	}
	rc = bh_agent_spool_peek(ag->sp, max, BODY_MAX - 1024, &r, &n, err);
	pthread_mutex_unlock(&ag->mu);
	if (rc < 0 || n == 0)
		return rc;
	rc = -1;
	flows = is_flows(&r[0]);
	if (bh_buf_addf(&b, err, "{\"node\":\"%s\",\"first_seq\":%" PRIu64 ",\"%s\":[", ag->o->node,
			r[0].seq, flows ? "records" : "events") < 0)
		goto out;
	/* a batch is consecutive seqs of one kind: it ends at a hole */
	for (k = 0;
	     k < n && r[k].seq == r[0].seq + k && is_flows(&r[k]) == flows && (!flows || k < 50);
	     k++)
		if ((k && bh_buf_addc(&b, ',', err) < 0) ||
		    bh_buf_add(&b, r[k].data, r[k].len, err) < 0)
			goto out;
	if (bh_buf_adds(&b, "]}", err) < 0)
		goto out;
	if (agent_request(ag, flows ? "/api/v1/agent/flows" : "/api/v1/agent/events", b.data, b.len,
			  &ans, err) < 0) {
		/* 400/413 with the controller's own error: this batch will never be
		 * accepted (5xx, a proxy's 400 without it, and the rest are retried
		 * with backoff); past REJECT_RUN records set aside in a row the
		 * controller refuses everything (another version?): back off too,
		 * rather than drain the spool into the bounded dead-letter file */
		if ((ag->http.code == 400 || ag->http.code == 413) && ag->http.ctl_error) {
			if (ag->rejected_run < REJECT_RUN)
				rc = refused_batch(ag, r, k, err);
			else
				bh_error_prefix(err,
						"%u records refused in a row: none set aside more "
						"until one is accepted",
						REJECT_RUN);
		}
		goto out;
	}
	if (!bh_json_int(ans, "acked", &acked) || acked < 0) {
		bh_error_set(err, BH_ERR_IO, "controller %s: an answer without acked",
			     ag->o->controller);
		goto out;
	}
	pthread_mutex_lock(&ag->mu);
	{
		struct bh_agent_spool_stats before, after;

		bh_agent_spool_stats(ag->sp, &before);
		rc = bh_agent_spool_ack(ag->sp, (uint64_t)acked, err);
		bh_agent_spool_stats(ag->sp, &after);
		ag->st.shipped += after.acked - before.acked;
		ag->rejected_run = 0;
		ag->st.batches++;
	}
	pthread_mutex_unlock(&ag->mu);
	if (rc == 0)
		rc = 1;
out:
	json_decref(ans);
	bh_buf_release(&b);
	bh_agent_records_free(r, n);
	return rc;
}

/* Wait up to ms, or less when the main thread says done or data comes. */
static void pause_ms(struct agent *ag, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&ag->mu);
	if (!ag->done)
		pthread_cond_timedwait(&ag->cv, &ag->mu, &ts);
	pthread_mutex_unlock(&ag->mu);
}

static bool is_done(struct agent *ag)
{
	bool d;

	pthread_mutex_lock(&ag->mu);
	d = ag->done;
	pthread_mutex_unlock(&ag->mu);
	return d;
}

/* A failure: counted, said, and the next attempt backed off. */
static void failed(struct agent *ag, struct bh_error *e, unsigned *backoff)
{
	bool refused = bh_error_code(e) == BH_ERR_UNSAFE;

	pthread_mutex_lock(&ag->mu);
	ag->st.failures++;
	if (refused)
		ag->st.refused++;
	pthread_mutex_unlock(&ag->mu);
	/* said once per streak of failures (a refusal once until a success) */
	if ((!refused && !*backoff) || (refused && !ag->refused_said))
		agent_warn(ag, e);
	else
		bh_error_free(e);
	if (refused)
		ag->refused_said = true;
	*backoff = *backoff ? *backoff * 2 : BACKOFF_MIN;
	if (*backoff > BACKOFF_MAX)
		*backoff = BACKOFF_MAX;
}

static void *shipper(void *arg)
{
	struct agent *ag = arg;
	unsigned backoff = 0, every = ag->o->workloads_ms ? ag->o->workloads_ms : 10000;
	unsigned pol_every = ag->o->policy_ms ? ag->o->policy_ms : 3000;
	unsigned prof_every = ag->o->profiles_ms ? ag->o->profiles_ms : 10000;
	uint64_t next_report = 0, next_policy = 0, next_profiles = 0, next_attest = 0;
	uint64_t next_adm = 0;
	bool last = false;

	for (;;) {
		struct bh_error *e = NULL;
		int rc;

		if (is_done(ag)) {
			if (last)
				break;
			last = true; /* one more round: what can still go goes */
		}
		if (backoff) {
			if (last)
				break;
			pause_ms(ag, backoff);
			if (is_done(ag) && !last)
				continue;
		}
		/* an interval's flows are spooled even when no event comes */
		pthread_mutex_lock(&ag->mu);
		drain_flows(ag, false);
		pthread_mutex_unlock(&ag->mu);
		agent_net_flush(&ag->net, false);
		if (ag->adm.n && (bh_mono_ms() >= next_adm || last)) {
			admissions(ag);
			next_adm = bh_mono_ms() + 1000;
		}
		if (!ag->registered && do_register(ag, &e) < 0) {
			failed(ag, e, &backoff);
			continue;
		}
		if (bh_mono_ms() >= next_report && !last) {
			if (agent_report_workloads(ag, &e) < 0) {
				if (bh_error_code(e) == BH_ERR_UNSAFE) {
					failed(ag, e, &backoff);
					continue;
				}
				agent_warn(ag, e);
				e = NULL;
			}
			next_report = bh_mono_ms() + every;
		}
		if (bh_mono_ms() >= next_policy && !last) {
			/* as the workloads' report: a failing pull is said and
			 * tried again at the next interval, never in place of
			 * shipping (a controller without the policy API, or
			 * answering 500, must not stop the alerts) */
			if (agent_pull_policy(ag, &e) < 0 || agent_take_actions(ag, &e) < 0) {
				if (bh_error_code(e) == BH_ERR_UNSAFE) {
					failed(ag, e, &backoff);
					continue;
				}
				agent_warn(ag, e);
				e = NULL;
			}
			next_policy = bh_mono_ms() + pol_every;
		}
		if (ag->o->tpm_log && bh_mono_ms() >= next_attest && !last) {
			attest(ag);
			next_attest = bh_mono_ms() + (ag->o->attest_ms ? ag->o->attest_ms : 60000);
		}
		if (bh_mono_ms() >= next_profiles && !last) {
			/* as the policy's pull: said, tried again next interval */
			if (agent_report_profiles(ag, &e) < 0) {
				if (bh_error_code(e) == BH_ERR_UNSAFE) {
					failed(ag, e, &backoff);
					continue;
				}
				agent_warn(ag, e);
				e = NULL;
			}
			next_profiles = bh_mono_ms() + prof_every;
		}
		rc = ship(ag, &e);
		if (rc < 0) {
			failed(ag, e, &backoff);
			continue;
		}
		backoff = 0;
		ag->refused_said = false;
		if (rc == 0) {
			if (last)
				break;
			pause_ms(ag, 200);
		}
	}
	return NULL;
}

/* ---- the run ----------------------------------------------------------------------------- */

int bh_agent_run(const struct bh_agent_opts *o, struct bh_agent_stats *st, struct bh_error **err)
{
	struct agent ag = { .o = o };
	struct bh_agent_spool_opts so = { 0 };
	struct bh_mon_consumer cons = { "controller", &ag, on_event, on_alert, on_flush };
	struct bh_mon_run_opts ro = { 0 };
	pthread_t th;
	char *dir = NULL;
	int ret = -1;

	if (st)
		memset(st, 0, sizeof(*st));
	if (!o->controller || !bh_str_has_prefix(o->controller, "https://"))
		return bh_error_set(err, BH_ERR_USAGE,
				    "agent: the controller must be an https:// URL");
	if (!o->token || !o->node || !o->state_dir || !o->source || !o->stop)
		return bh_error_set(
			err, BH_ERR_USAGE,
			"agent: a token, a node, a state directory and a source needed");
	if (o->batch > BATCH_MAX)
		return bh_error_set(err, BH_ERR_USAGE, "agent: a batch over %d", BATCH_MAX);
	dir = bh_asprintf("%s/spool", o->state_dir);
	so.dir = dir;
	so.max_bytes = o->spool_max;
	if (bh_mkdirs(o->state_dir, 0755, 0700, err) < 0 ||
	    bh_agent_spool_open(&so, &ag.sp, err) < 0) {
		free(dir);
		return -1;
	}
	free(dir);
	pthread_mutex_init(&ag.mu, NULL);
	pthread_cond_init(&ag.cv, NULL);
	{
		struct bh_error *w = NULL;

		agent_policy_init(&ag.pol, o->state_dir, &w);
		agent_warn(&ag, w);
	}
	{
		char *store = o->profiles ? bh_strdup(o->profiles)
					  : bh_asprintf("%s/profiles.sqlite", o->state_dir);
		int prc = agent_profiles_open(&ag.prof, store, err);

		free(store);
		if (prc < 0) {
			agent_policy_release(&ag.pol);
			pthread_mutex_destroy(&ag.mu);
			pthread_cond_destroy(&ag.cv);
			bh_agent_spool_free(ag.sp);
			return -1;
		}
	}
	/* the version kept in the state directory: its modes again (the
	 * detection thread is not running yet) */
	if (ag.pol.cur_version > 0)
		apply_profiles(&ag, ag.pol.cur_version);
	ag.flows = agent_flows_new(o->flows_max);
	ag.flows_at = bh_mono_ms();
	if (!ag.flows) {
		bh_error_set(err, BH_ERR_NOMEM, "agent: the flows table");
		goto out_sp;
	}
	if (agent_http_open(&ag.http, o, err) < 0)
		goto out_sp;
	ag.hooks = (struct agent_net_hooks){ hook_flow, hook_event, hook_warn, &ag, hook_sync };
	if (agent_adm_open(&ag.adm, o->admission_roots, o->n_admission_roots, o->state_dir, err) <
	    0)
		goto out_sp;
	if (o->net &&
	    agent_net_start(&ag.net, o->net, o->quarantine_dir, o->containers,
			    ag.pol.cur_version > 0 ? ag.pol.cur.doc : NULL, &ag.hooks, err) < 0)
		goto out_sp;
	if (pthread_create(&th, NULL, shipper, &ag)) {
		bh_error_set(err, BH_ERR_INTERNAL, "agent: starting the shipper");
		agent_net_stop(&ag.net);
		goto out_sp;
	}
	/* the bench on its own thread: shipping goes on while it runs */
	if (o->bench &&
	    agent_bencher_start(&ag.bencher, o->bench, o->bench_ms, &ag.hooks, NULL, err) < 0) {
		pthread_mutex_lock(&ag.mu);
		ag.done = true;
		pthread_cond_signal(&ag.cv);
		pthread_mutex_unlock(&ag.mu);
		pthread_join(th, NULL);
		agent_net_stop(&ag.net);
		goto out_sp;
	}
	ro.source = o->source;
	ro.rules = o->rules;
	ro.consumers = &cons;
	ro.behave = ag.prof.det;
	ro.behave_action = (enum bh_mon_action)o->behave_action;
	ro.behave_flush_ms = o->profiles_ms && o->profiles_ms < 5000 ? o->profiles_ms : 5000;
	ro.nconsumers = 1;
	ro.stop = o->stop;
	ro.warn = o->warn;
	ro.data = o->data;
	ret = bh_mon_run(&ro, NULL, err);
	/* a source that ended (a replay): keep shipping until stopped */
	while (ret == 0 && !atomic_load(o->stop))
		usleep(100000);
	/* a bench under way ends, its results spooled before the last round */
	agent_bencher_stop(&ag.bencher);
	/* the firewall's rules out, its open flows into the last interval */
	agent_net_stop(&ag.net);
	pthread_mutex_lock(&ag.mu);
	{
		struct bh_error *e = NULL;

		/* the last interval's flows go too */
		drain_flows(&ag, true);
		if (bh_agent_spool_sync(ag.sp, &e) < 0)
			agent_warn(&ag, e);
	}
	ag.done = true;
	pthread_cond_signal(&ag.cv);
	pthread_mutex_unlock(&ag.mu);
	pthread_join(th, NULL);
	if (st) {
		*st = ag.st;
		st->policy_version = agent_policy_version(&ag.pol);
		st->net_alerts = ag.net.alerts;
		st->net_quarantined = ag.net.quarantined;
		st->net_packets = ag.net.st.packets;
		agent_bencher_stats(&ag.bencher, &st->bench_runs, &st->bench_results);
		bh_agent_spool_stats(ag.sp, &st->spool);
	}
out_sp:
	agent_net_release(&ag.net);
	agent_http_close(&ag.http);
	bh_agent_spool_free(ag.sp);
	agent_flows_free(ag.flows);
	agent_policy_release(&ag.pol);
	agent_pending_release(&ag.pend);
	agent_profiles_close(&ag.prof);
	agent_adm_close(&ag.adm);
	pthread_mutex_destroy(&ag.mu);
	pthread_cond_destroy(&ag.cv);
	return ret;
}
