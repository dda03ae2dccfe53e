/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's firewall and bench (src/agent/net.h): the net engine's live
 * path run in-process on a thread of its own, its flows and alerts handed to
 * the agent; the host benchmark's results as events.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/net.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/policy.h"
#include "net/threats.h"
#include "banned.h"

static const char *const sev_names[] = { "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL" };

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* Into the queue (the verdict thread: no I/O here). key 0: never collapsed.
 * Denies take at most 3/4 of it: room is kept for threats and quarantines. */
static void emit(struct agent_net *n, json_t *env, uint64_t key)
{
	int64_t now = (int64_t)time(NULL);
	json_t *data = env ? json_object_get(env, "data") : NULL;

	if (!env) {
		struct bh_error *e = NULL;

		bh_error_set(&e, BH_ERR_NOMEM, "agent: encoding a network alert");
		n->h.warn(n->h.data, e);
		return;
	}
	pthread_mutex_lock(&n->qmu);
	if (key)
		for (size_t i = 0; i < n->qn; i++) {
			struct agent_net_ev *q = &n->q[i];

			if (q->key == key && now - q->since < AGENT_NET_COLLAPSE_S) {
				q->count++;
				n->collapsed++;
				if (json_is_object(q->data))
					json_object_set_new(q->data, "count",
							    json_integer((json_int_t)q->count));
				pthread_mutex_unlock(&n->qmu);
				json_decref(env);
				return;
			}
		}
	if (n->qn >= (key ? AGENT_NET_QUEUE * 3 / 4 : AGENT_NET_QUEUE)) {
		n->dropped++;
		pthread_mutex_unlock(&n->qmu);
		json_decref(env);
		return;
	}
	n->q[n->qn++] = (struct agent_net_ev){ env, data, key, now, 1 };
	pthread_mutex_unlock(&n->qmu);
}

void agent_net_flush(struct agent_net *n, bool all)
{
	struct agent_net_ev out[AGENT_NET_QUEUE];
	size_t k = 0, kept = 0, sent = 0;
	int64_t now = (int64_t)time(NULL);
	uint64_t dropped;
	struct bh_error *e = NULL;

	if (!n->qinit)
		return;
	pthread_mutex_lock(&n->qmu);
	for (size_t i = 0; i < n->qn; i++) {
		if (all || !n->q[i].key || now - n->q[i].since >= AGENT_NET_COLLAPSE_S)
			out[k++] = n->q[i];
		else
			n->q[kept++] = n->q[i];
	}
	n->qn = kept;
	dropped = n->dropped - n->dropped_said;
	n->dropped_said = n->dropped;
	pthread_mutex_unlock(&n->qmu);
	for (size_t i = 0; i < k; i++) {
		char *s = json_dumps(out[i].env, JSON_COMPACT);

		json_decref(out[i].env);
		if (!s) {
			bh_error_set(&e, BH_ERR_NOMEM, "agent: encoding a network alert");
			n->h.warn(n->h.data, e);
			e = NULL;
			continue;
		}
		if (n->h.event(n->h.data, s, strlen(s), &e) < 0) {
			n->h.warn(n->h.data, e);
			e = NULL;
		} else {
			sent++;
		}
		free(s);
	}
	if (k && n->h.sync && n->h.sync(n->h.data, &e) < 0)
		n->h.warn(n->h.data, e);
	pthread_mutex_lock(&n->qmu);
	n->alerts += sent;
	pthread_mutex_unlock(&n->qmu);
	if (dropped) {
		e = NULL;
		bh_error_set(&e, BH_ERR_LIMIT,
			     "net: %llu network alerts dropped (the queue of %d was full)",
			     (unsigned long long)dropped, AGENT_NET_QUEUE);
		n->h.warn(n->h.data, e);
	}
}

void agent_net_release(struct agent_net *n)
{
	if (!n->qinit)
		return;
	agent_net_flush(n, true);
	pthread_mutex_destroy(&n->qmu);
	pthread_mutex_destroy(&n->swmu);
	n->qinit = false;
}

/* Each flow as it ends: into the flows table only; its alerts were events
 * when they happened (on_alert), and are not told again here (the
 * controller would count them twice). */
static void on_flow(const struct bh_net_flow_record *r, void *arg)
{
	struct agent_net *n = arg;

	n->h.flow(n->h.data, r);
}

/* The collapsing key of a policy alert or deny: (client, server group,
 * rule), never 0, an alert's never a deny's. */
static uint64_t policy_key(const struct bh_net_flow_record *r, bool deny)
{
	const char *g = r->server_group ? r->server_group : "";
	uint64_t key = fnv(14695981039346656037ull, r->client_addr, sizeof(r->client_addr));

	key = fnv(key, g, 1 + strlen(g));
	key = fnv(key, r->rule ? r->rule : "", r->rule ? strlen(r->rule) : 0);
	if (!deny)
		key ^= 0x9e3779b97f4a7c15ull;
	return key | 1;
}

/* Each alert as it happens (issue 16: not at the flow's end, which may be
 * hours later or never): an event of kind "net". A threat or a data leak:
 * its ID, its severity; the policy's deny: BH-NET-POLICY-DENY, MEDIUM; its
 * alert (a deny let through in monitor, netpol19): BH-NET-POLICY-ALERT,
 * LOW; the policy's events collapse by (client, server group, rule). data:
 * the flow so far as `net inspect` prints it (without its end), and alert
 * {kind, id, dlp, verdict}. admit17: the workload is the container
 * concerned, found by address on the live path: the server for a threat or
 * a data leak (the attacked, the leaking), the client for the policy's (the
 * refused), else the other end; data.container {id, name, side} says
 * which. */
static void on_alert(const struct bh_net_flow_record *r, const struct bh_net_alert *a, void *arg)
{
	struct agent_net *n = arg;
	const char *rule = a->id;
	unsigned sev = a->severity;
	uint64_t key = 0;
	json_t *data, *al;
	bool client_first = a->kind == BH_NET_ALERT_POLICY;
	const char *id, *name;
	bool client;

	if (a->kind == BH_NET_ALERT_POLICY) {
		bool deny = a->verdict && !strcmp(a->verdict, "deny");

		rule = deny ? "BH-NET-POLICY-DENY" : "BH-NET-POLICY-ALERT";
		sev = deny ? BH_NET_SEV_MEDIUM : BH_NET_SEV_LOW;
		key = policy_key(r, deny);
	}
	if (!rule)
		return;
	if (!sev)
		sev = BH_NET_SEV_MEDIUM;
	if (sev > 4)
		sev = 4;
	data = bh_net_flow_to_json(r);
	if (!data)
		data = json_object();
	json_object_del(data, "end");
	al = bh_net_alert_to_json(r, a);
	if (al) {
		json_object_del(al, "flow");
		json_object_del(al, "type");
		json_object_set_new(data, "alert", al);
	}
	if (key)
		json_object_set_new(data, "count", json_integer(1));
	id = client_first ? r->client_ctr_id : r->server_ctr_id;
	name = client_first ? r->client_ctr_name : r->server_ctr_name;
	client = client_first;
	if (!id) {
		client = !client_first;
		id = client ? r->client_ctr_id : r->server_ctr_id;
		name = client ? r->client_ctr_name : r->server_ctr_name;
	}
	if (id)
		json_object_set_new(data, "container",
				    json_pack("{ssss?ss}", "id", id, "name", name, "side",
					      client ? "client" : "server"));
	emit(n,
	     json_pack("{sIssssssss*sO}", "ts", (json_int_t)time(NULL), "kind", "net", "rule", rule,
		       "severity", sev_names[sev], "workload", id, "data", data),
	     key);
	json_decref(data);
}

void agent_net_init(struct agent_net *n, const struct agent_net_hooks *h)
{
	memset(n, 0, sizeof(*n));
	n->h = *h;
	pthread_mutex_init(&n->qmu, NULL);
	pthread_mutex_init(&n->swmu, NULL);
	n->qinit = true;
}

void agent_net_flow(struct agent_net *n, const struct bh_net_flow_record *r)
{
	on_flow(r, n);
}

void agent_net_alert(struct agent_net *n, const struct bh_net_flow_record *r,
		     const struct bh_net_alert *a)
{
	on_alert(r, a, n);
}

static void on_quarantine(const struct bh_quar_record *r, const char *ctr, const char *why,
			  uint64_t latency_ns, void *arg)
{
	struct agent_net *n = arg;
	json_t *d = json_pack("{sssbsf}", "container", ctr ? ctr : "", "applied", r != NULL,
			      "latency_ms", latency_ns / 1e6);

	if (r) {
		n->quarantined++;
		json_object_set_new(d, "id", json_string(r->id));
		if (r->reason)
			json_object_set_new(d, "reason", json_string(r->reason));
	} else if (why) {
		json_object_set_new(d, "error", json_string(why));
	}
	emit(n,
	     json_pack("{sIssssssss?so}", "ts", (json_int_t)time(NULL), "kind", "net", "rule",
		       "BH-NET-QUARANTINE", "severity", r ? "CRITICAL" : "ERROR", "workload",
		       r ? r->id : ctr, "data", d),
	     0);
}

static void on_warning(const char *msg, void *arg)
{
	struct agent_net *n = arg;
	struct bh_error *e = NULL;

	bh_error_set(&e, BH_ERR_UNSUPPORTED, "net: %s", msg);
	n->h.warn(n->h.data, e);
}

static void on_ready(const char *const *names, size_t count, void *arg)
{
	struct agent_net *n = arg;

	(void)names;
	(void)count;
	pthread_mutex_lock(&n->mu);
	n->state = 1;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

static void *run(void *arg)
{
	struct agent_net *n = arg;
	bool was_ready;

	n->rc = bh_net_live_run(&n->o, &n->st, &n->err);
	pthread_mutex_lock(&n->mu);
	was_ready = n->state == 1;
	if (n->state == 0)
		n->state = n->rc < 0 ? -1 : 1;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	/* after it was up: said at once, the agent goes on without its
	 * firewall (the monitor, the reports), as it does without its
	 * controller; before: agent_net_start's error */
	if (n->rc < 0 && was_ready) {
		bh_error_prefix(&n->err, "the firewall (net) stopped");
		n->h.warn(n->h.data, n->err);
		n->err = NULL;
	}
	return NULL;
}

/* The node policy's "net" document (YAML text), compiled as the controller
 * checked it. */
static int compile_net(const char *yaml, size_t len, struct bh_netpol **out, struct bh_error **err)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_policy_diags d = { 0 };
	int rc = p ? bh_policy_add(p, yaml, len, "net", "/nonexistent", &d, err)
		   : bh_error_set(err, BH_ERR_NOMEM, "agent: the network policy");

	if (rc == 0)
		rc = bh_policy_compile(p, &d, err);
	if (rc == 0)
		rc = bh_policy_net(p, out, err);
	if (rc < 0)
		bh_error_prefix(err, "the node policy's network policy");
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	return rc;
}

int agent_net_start(struct agent_net *n, const struct bh_net_live_opts *base,
		    const char *quarantine_dir, const struct bh_ctr_opts *ctr,
		    const json_t *node_policy, const struct agent_net_hooks *h,
		    struct bh_error **err)
{
	const json_t *net = node_policy ? json_object_get(node_policy, "net") : NULL;

	agent_net_init(n, h);
	n->o = *base;
	n->managed = !base->engine.policy;
	if (n->managed && json_is_string(net)) {
		if (compile_net(json_string_value(net), json_string_length(net), &n->pol, err) < 0)
			return -1;
		n->o.engine.policy = n->pol;
	}
	if (n->managed) {
		if (bh_net_live_swap_init(&n->sw, err) < 0) {
			bh_netpol_free(n->pol);
			n->pol = NULL;
			n->managed = false;
			return -1;
		}
		n->o.swap = &n->sw;
	}
	n->qo.state_dir = quarantine_dir;
	n->qo.ctr = ctr;
	if (!n->o.ctr)
		n->o.ctr = ctr;
	n->o.engine.on_flow = on_flow;
	n->o.engine.on_alert = on_alert;
	n->o.engine.on_record = NULL;
	n->o.engine.arg = n;
	n->o.on_warning = on_warning;
	n->o.on_ready = on_ready;
	n->o.stop = &n->stop;
	n->o.name_containers = true; /* admit17: the events name the containers */
	if (!n->o.accept_all) {
		n->o.quarantine = &n->qo;
		n->o.on_quarantine = on_quarantine;
	}
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	if (pthread_create(&n->th, NULL, run, n)) {
		agent_net_release(n);
		pthread_mutex_destroy(&n->mu);
		pthread_cond_destroy(&n->cv);
		bh_netpol_free(n->pol);
		n->pol = NULL;
		if (n->managed)
			bh_net_live_swap_release(&n->sw);
		n->managed = false;
		return bh_error_set(err, BH_ERR_INTERNAL, "agent: starting the firewall");
	}
	n->started = true;
	/* up (its rules in) or failed: a target that is not there, no
	 * iptables, no NFQUEUE is the agent's error at start */
	pthread_mutex_lock(&n->mu);
	while (n->state == 0)
		pthread_cond_wait(&n->cv, &n->mu);
	pthread_mutex_unlock(&n->mu);
	if (n->state < 0) {
		pthread_join(n->th, NULL);
		n->started = false;
		agent_net_release(n);
		bh_netpol_free(n->pol);
		n->pol = NULL;
		if (n->managed)
			bh_net_live_swap_release(&n->sw);
		n->managed = false;
		pthread_mutex_destroy(&n->mu);
		pthread_cond_destroy(&n->cv);
		if (err) {
			*err = n->err;
			n->err = NULL;
			return bh_error_prefix(err, "agent: the firewall (net)");
		}
		bh_error_free(n->err);
		n->err = NULL;
		return -1;
	}
	return 0;
}

void agent_net_stop(struct agent_net *n)
{
	if (!n->started)
		return;
	n->stop = 1;
	/* a commit waiting for the verdict thread is woken as the run ends */
	pthread_join(n->th, NULL);
	pthread_mutex_lock(&n->swmu);
	n->started = false;
	bh_netpol_free(n->pol);
	n->pol = NULL;
	if (n->managed)
		bh_net_live_swap_release(&n->sw);
	n->managed = false;
	pthread_mutex_unlock(&n->swmu);
	agent_net_flush(n, true);
	bh_error_free(n->err);
	n->err = NULL;
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
}

int agent_net_prepare(struct agent_net *n, const json_t *node_policy, struct bh_netpol **out,
		      struct bh_error **err)
{
	const json_t *net = node_policy ? json_object_get(node_policy, "net") : NULL;

	bool ours;

	*out = NULL;
	if (!n->qinit)
		return 0;
	pthread_mutex_lock(&n->swmu);
	ours = n->started && n->managed;
	pthread_mutex_unlock(&n->swmu);
	/* compiled here, on the shipper's thread: the packets go on meanwhile */
	if (!ours || !json_is_string(net))
		return 0;
	return compile_net(json_string_value(net), json_string_length(net), out, err);
}

int agent_net_commit(struct agent_net *n, struct bh_netpol *p, struct bh_error **err)
{
	struct bh_error *e = NULL;
	bool running;

	if (!n->qinit) {
		bh_netpol_free(p);
		return 0;
	}
	pthread_mutex_lock(&n->swmu);
	if (!n->started || !n->managed) {
		pthread_mutex_unlock(&n->swmu);
		bh_netpol_free(p);
		return 0;
	}
	if (bh_net_live_swap(&n->sw, p, AGENT_NET_SWAP_MS, &e) < 0) {
		pthread_mutex_lock(&n->sw.mu);
		running = n->sw.running;
		pthread_mutex_unlock(&n->sw.mu);
		pthread_mutex_unlock(&n->swmu);
		bh_netpol_free(p);
		if (!running) { /* stopped (warned then): nothing runs a policy */
			bh_error_free(e);
			return 0;
		}
		if (err)
			*err = e;
		else
			bh_error_free(e);
		return -1;
	}
	/* the verdict thread let go of the old one when it took p (n->o's
	 * engine.policy still names the first: read only at the run's start) */
	bh_netpol_free(n->pol);
	n->pol = p;
	pthread_mutex_unlock(&n->swmu);
	return 0;
}

int agent_bench_run(const struct bh_host_opts *o, const struct agent_net_hooks *h, size_t *n,
		    struct bh_error **err)
{
	struct bh_host_report *r = NULL;
	int64_t ts = (int64_t)time(NULL);

	*n = 0;
	if (bh_host_bench(o, &r, err) < 0)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		const struct bh_host_result *c = &r->v[i];
		json_t *d =
			json_pack("{sssssissssssss?ss?ss?}", "id", c->id, "status",
				  bh_host_status_name(c->status), "level", c->level, "nist",
				  c->nist ? c->nist : "", "section", c->section ? c->section : "",
				  "title", c->title ? c->title : "", "cis", c->cis, "actual",
				  c->actual, "expected", c->expected);
		json_t *env;

		/* a per-container check's container (target) kept, in data and as
		 * the event's workload */
		if (d && c->target)
			json_object_set_new(d, "target", json_string(c->target));
		env = json_pack("{sIssssssso}", "ts", (json_int_t)ts, "kind", "bench", "rule",
				c->id, "severity", bh_host_status_name(c->status), "data",
				d ? d : json_object());
		if (env && c->target) {
			/* "ENGINE NAME (ID)": the workload is the container's ID */
			const char *par = strrchr(c->target, '(');
			size_t l = par ? strlen(par + 1) : 0;

			if (l > 1 && par[l] == ')')
				json_object_set_new(env, "workload", json_stringn(par + 1, l - 1));
		}
		char *s;
		int rc;

		s = env ? json_dumps(env, JSON_COMPACT) : NULL;
		json_decref(env);
		if (!s) {
			bh_host_report_free(r);
			return bh_error_set(err, BH_ERR_NOMEM, "agent: encoding a bench result");
		}
		rc = h->event(h->data, s, strlen(s), err);
		free(s);
		if (rc < 0) {
			bh_host_report_free(r);
			return -1;
		}
		(*n)++;
	}
	bh_host_report_free(r);
	/* the appends above not synced one by one: once for the run */
	return h->sync && *n ? h->sync(h->data, err) : 0;
}
