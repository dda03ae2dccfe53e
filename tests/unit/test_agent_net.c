/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's firewall events (src/agent/net.c): the verdict thread only
 * queues; the shipper's flush appends and syncs once; repeated denies of one
 * (client, server group, rule) are one event with a count; the queue is
 * bounded (drops counted and warned) with room kept for threats. The bench
 * runs on its own thread (admit17): appends go on while a slow bench runs,
 * one run at a time.
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "agent/net.h"
#include "banned.h"

struct sink {
	json_t *events; /* what was appended */
	size_t flows, syncs, warns;
};

static void s_flow(void *data, const struct bh_net_flow_record *r)
{
	(void)r;
	((struct sink *)data)->flows++;
}

static int s_event(void *data, const char *json, size_t len, struct bh_error **err)
{
	struct sink *s = data;
	json_t *v = json_loadb(json, len, 0, NULL);

	(void)err;
	assert_non_null(v);
	json_array_append_new(s->events, v);
	return 0;
}

static void s_warn(void *data, struct bh_error *e)
{
	((struct sink *)data)->warns++;
	bh_error_free(e);
}

static int s_sync(void *data, struct bh_error **err)
{
	(void)err;
	((struct sink *)data)->syncs++;
	return 0;
}

static const struct bh_net_alert pol_deny = { .kind = BH_NET_ALERT_POLICY,
					      .verdict = "deny",
					      .rule = "no-db" };
static const struct bh_net_alert sqli = {
	.kind = BH_NET_ALERT_THREAT, .id = "BH-NET-SQLI", .name = "SQL injection", .severity = 3
};

static void deny(struct agent_net *n, uint8_t client, const char *group, uint16_t port)
{
	struct bh_net_flow_record r = { 0 };

	r.l4 = "tcp";
	r.app = "unknown";
	r.client_addr[15] = client;
	r.server_addr[15] = 200;
	r.client_port = 40000;
	r.server_port = port;
	r.verdict = "deny";
	r.rule = "no-db";
	r.client_group = "edge";
	r.server_group = group;
	agent_net_alert(n, &r, &pol_deny);
	agent_net_flow(n, &r);
}

static void a_port_scan_is_one_event_and_no_sync_on_the_verdict_path(void **state)
{
	struct sink s = { json_array(), 0, 0, 0 };
	struct agent_net_hooks h = { s_flow, s_event, s_warn, &s, s_sync };
	struct agent_net n;
	json_int_t total = 0;
	json_t *e;

	(void)state;
	agent_net_init(&n, &h);
	for (unsigned p = 1; p <= 1000; p++)
		deny(&n, 1, "db", (uint16_t)p);
	deny(&n, 2, "db", 22);	/* another client */
	deny(&n, 1, "web", 22); /* another server group */
	/* the verdict thread wrote nothing */
	assert_int_equal(s.flows, 1002);
	assert_int_equal(json_array_size(s.events), 0);
	assert_int_equal(s.syncs, 0);
	agent_net_flush(&n, true);
	/* 3 events (4 when the scan crossed a second: its window is 1 s) */
	assert_in_range(json_array_size(s.events), 3, 4);
	assert_int_equal(s.syncs, 1);
	e = json_array_get(s.events, 0);
	assert_string_equal(bh_json_str(e, "rule"), "BH-NET-POLICY-DENY");
	assert_true(json_integer_value(json_object_get(json_object_get(e, "data"), "count")) >=
		    500 * (json_array_size(s.events) == 3 ? 2 : 0));
	for (size_t i = 0; i < json_array_size(s.events); i++)
		total += json_integer_value(json_object_get(
			json_object_get(json_array_get(s.events, i), "data"), "count"));
	assert_int_equal(total, 1002);
	/* the workload is not a network group (the groups are in data) */
	assert_null(json_object_get(e, "workload"));
	assert_string_equal(bh_json_str(json_object_get(e, "data"), "src_group"), "edge");
	assert_int_equal(n.collapsed, 1002 - json_array_size(s.events));
	assert_int_equal(n.alerts, json_array_size(s.events));
	/* nothing queued: no sync */
	agent_net_flush(&n, false);
	assert_int_equal(s.syncs, 1);
	agent_net_release(&n);
	json_decref(s.events);
}

static void the_queue_is_bounded_with_room_for_threats(void **state)
{
	struct sink s = { json_array(), 0, 0, 0 };
	struct agent_net_hooks h = { s_flow, s_event, s_warn, &s, s_sync };
	struct agent_net n;
	struct bh_net_threat_hit t = { 0 };
	struct bh_net_flow_record r = { 0 };
	char group[32];

	(void)state;
	agent_net_init(&n, &h);
	/* distinct denies (a group each): they fill 3/4 of the queue, the rest dropped */
	for (unsigned i = 0; i < AGENT_NET_QUEUE; i++) {
		snprintf(group, sizeof(group), "g%u", i);
		deny(&n, 1, group, 80);
	}
	assert_int_equal(n.qn, AGENT_NET_QUEUE * 3 / 4);
	assert_int_equal(n.dropped, AGENT_NET_QUEUE / 4);
	/* a threat still gets in */
	t.id = "BH-NET-SQLI";
	r.l4 = "tcp";
	r.app = "http";
	r.threats = &t;
	r.n_threats = 1;
	agent_net_alert(&n, &r, &sqli);
	agent_net_flow(&n, &r);
	assert_int_equal(n.qn, AGENT_NET_QUEUE * 3 / 4 + 1);
	agent_net_flush(&n, true);
	assert_int_equal(json_array_size(s.events), AGENT_NET_QUEUE * 3 / 4 + 1);
	assert_string_equal(bh_json_str(json_array_get(s.events, AGENT_NET_QUEUE * 3 / 4), "rule"),
			    "BH-NET-SQLI");
	assert_int_equal(s.syncs, 1);
	assert_int_equal(s.warns, 1); /* the drops said */
	agent_net_release(&n);
	json_decref(s.events);
}

/* admit17: the events name the container concerned (found by address on the live path) */
static void events_name_the_container(void **state)
{
	struct sink s = { json_array(), 0, 0, 0 };
	struct agent_net_hooks h = { s_flow, s_event, s_warn, &s, s_sync };
	struct bh_net_threat_hit th = { 0 };
	struct bh_net_flow_record r = { 0 };
	struct agent_net n;
	json_t *e, *c;

	(void)state;
	agent_net_init(&n, &h);
	th.id = "BH-NET-SQLI";
	th.name = "SQL injection";
	th.count = 1;
	r.l4 = "tcp";
	r.app = "http";
	r.client_addr[15] = 1;
	r.server_addr[15] = 2;
	r.server_port = 8080;
	r.threats = &th;
	r.n_threats = 1;
	r.client_ctr_id = "cafe01";
	r.client_ctr_name = "attacker";
	r.server_ctr_id = "beef02";
	r.server_ctr_name = "db";
	agent_net_alert(&n, &r, &sqli); /* an attack on a server: the server */
	r.threats = NULL;
	r.n_threats = 0;
	r.verdict = "deny";
	r.rule = "no-db";
	r.client_group = "edge";
	r.server_group = "db";
	agent_net_alert(&n, &r, &pol_deny); /* a deny: the client refused */
	r.client_ctr_id = r.client_ctr_name = NULL;
	r.client_addr[15] = 3;
	agent_net_alert(&n, &r, &pol_deny); /* a client outside any container: the server */
	agent_net_flush(&n, true);
	assert_int_equal(json_array_size(s.events), 3);
	e = json_array_get(s.events, 0);
	c = bh_json_obj(bh_json_obj(e, "data"), "container");
	assert_string_equal(bh_json_str(e, "workload"), "beef02");
	assert_string_equal(bh_json_str(c, "name"), "db");
	assert_string_equal(bh_json_str(c, "side"), "server");
	e = json_array_get(s.events, 1);
	c = bh_json_obj(bh_json_obj(e, "data"), "container");
	assert_string_equal(bh_json_str(e, "workload"), "cafe01");
	assert_string_equal(bh_json_str(c, "name"), "attacker");
	assert_string_equal(bh_json_str(c, "side"), "client");
	e = json_array_get(s.events, 2);
	assert_string_equal(bh_json_str(e, "workload"), "beef02");
	assert_string_equal(bh_json_str(bh_json_obj(bh_json_obj(e, "data"), "container"), "side"),
			    "server");
	agent_net_release(&n);
	json_decref(s.events);
}

/* issue 16: the event is the alert's, when it happens; the flow's end is the
 * flows table only (the controller would count the alert twice) */
static void an_alert_is_one_event_and_the_flow_end_none(void **state)
{
	struct sink s = { json_array(), 0, 0, 0 };
	struct agent_net_hooks h = { s_flow, s_event, s_warn, &s, s_sync };
	struct bh_net_threat_hit th = { "BH-NET-SQLI", "SQL injection", 1 };
	struct bh_net_flow_record r = { 0 };
	struct agent_net n;
	json_t *e, *d;

	(void)state;
	agent_net_init(&n, &h);
	r.l4 = "tcp";
	r.app = "http";
	r.server_port = 8080;
	r.threats = &th;
	r.n_threats = 1;
	r.verdict = "deny";
	r.rule = "no-db";
	agent_net_alert(&n, &r, &sqli);
	agent_net_flush(&n, true);
	assert_int_equal(json_array_size(s.events), 1);
	r.end = BH_NET_END_IDLE;
	agent_net_flow(&n, &r); /* threat and deny in its record: told already */
	agent_net_flush(&n, true);
	assert_int_equal(json_array_size(s.events), 1);
	assert_int_equal(s.flows, 1);
	e = json_array_get(s.events, 0);
	d = bh_json_obj(e, "data");
	assert_string_equal(bh_json_str(e, "rule"), "BH-NET-SQLI");
	assert_string_equal(bh_json_str(e, "severity"), "HIGH");
	assert_string_equal(bh_json_str(bh_json_obj(d, "alert"), "kind"), "threat");
	assert_string_equal(bh_json_str(bh_json_obj(d, "alert"), "id"), "BH-NET-SQLI");
	assert_null(json_object_get(d, "end"));	  /* the flow had not ended */
	assert_null(json_object_get(d, "count")); /* a threat is never collapsed */
	agent_net_release(&n);
	json_decref(s.events);
}

/* ---- the bench on its own thread ------------------------------------------------------- */

struct slow {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool release; /* the first run may end */
	int running, most, runs;
	size_t events; /* appended through the hooks, by either thread */
};

static int slow_event(void *data, const char *json, size_t len, struct bh_error **err)
{
	struct slow *w = data;

	(void)json;
	(void)len;
	(void)err;
	pthread_mutex_lock(&w->mu);
	w->events++;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static struct slow *the_slow;

/* a bench that holds its first run until released (as a slow bh_host_bench) */
static int slow_bench(const struct bh_host_opts *o, const struct agent_net_hooks *h, size_t *n,
		      struct bh_error **err)
{
	struct slow *w = the_slow;

	(void)o;
	pthread_mutex_lock(&w->mu);
	w->running++;
	if (w->running > w->most)
		w->most = w->running;
	while (!w->release)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	*n = 0;
	if (h->event(h->data, "{}", 2, err) < 0)
		return -1;
	*n = 1;
	pthread_mutex_lock(&w->mu);
	w->running--;
	w->runs++;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* a bench that only ends when told to stop (bh_host_bench checks between checks) */
static int stoppable_bench(const struct bh_host_opts *o, const struct agent_net_hooks *h, size_t *n,
			   struct bh_error **err)
{
	(void)h;
	*n = 0;
	while (!atomic_load(o->stop))
		usleep(1000);
	return bh_error_set(err, BH_ERR_USAGE, "bench: stopped");
}

/* review fix17: the stop of the agent does not wait for a whole bench run */
static void a_stop_cuts_a_bench_run_short(void **state)
{
	struct agent_net_hooks h = { 0 };
	struct agent_bencher b;
	struct bh_host_opts o = { .level = 1 };
	atomic_int stop = 1;
	struct bh_host_report *r = NULL;
	struct bh_error *err = NULL;
	uint64_t t0;
	char *m;

	(void)state;
	assert_int_equal(agent_bencher_start(&b, &o, 20, &h, stoppable_bench, &err), 0);
	usleep(20000);
	t0 = bh_mono_ms();
	agent_bencher_stop(&b);
	assert_true(bh_mono_ms() - t0 < 1000);
	/* the library's side: a stop set ends the bench with no report */
	o.stop = &stop;
	assert_int_equal(bh_host_bench(&o, &r, &err), -1);
	assert_null(r);
	m = bh_error_message(err);
	assert_non_null(strstr(m, "stopped"));
	free(m);
	bh_error_free(err);
}

static void events_ship_while_a_bench_runs(void **state)
{
	struct slow w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0, 0, 0, 0 };
	struct agent_net_hooks h = { NULL, slow_event, NULL, &w, NULL };
	struct agent_bencher b;
	struct bh_error *err = NULL;
	uint64_t t0, runs = 0, results = 0;
	int running = 0;

	(void)state;
	the_slow = &w;
	t0 = bh_mono_ms();
	assert_int_equal(agent_bencher_start(&b, NULL, 20, &h, slow_bench, &err), 0);
	/* the start does not wait for the bench */
	assert_true(bh_mono_ms() - t0 < 200);
	for (int i = 0; i < 200 && !running; i++) {
		pthread_mutex_lock(&w.mu);
		running = w.running;
		pthread_mutex_unlock(&w.mu);
		if (!running)
			usleep(5000);
	}
	assert_int_equal(running, 1);
	/* while it runs, the shipper's side appends (as the monitor's alerts do) */
	t0 = bh_mono_ms();
	for (int i = 0; i < 100; i++)
		assert_int_equal(h.event(h.data, "{}", 2, &err), 0);
	assert_true(bh_mono_ms() - t0 < 200);
	pthread_mutex_lock(&w.mu);
	assert_int_equal(w.events, 100);
	assert_int_equal(w.runs, 0); /* the bench is still under way */
	w.release = true;
	pthread_cond_broadcast(&w.cv);
	pthread_mutex_unlock(&w.mu);
	/* every 20 ms: more runs, never two at once */
	usleep(150000);
	agent_bencher_stop(&b);
	agent_bencher_stats(&b, &runs, &results);
	assert_true(runs >= 2);
	assert_int_equal(results, runs);
	assert_int_equal(w.most, 1);
	assert_int_equal(w.events, 100 + runs);
	agent_bencher_stop(&b); /* twice: a no-op */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_port_scan_is_one_event_and_no_sync_on_the_verdict_path),
		cmocka_unit_test(the_queue_is_bounded_with_room_for_threats),
		cmocka_unit_test(events_name_the_container),
		cmocka_unit_test(an_alert_is_one_event_and_the_flow_end_none),
		cmocka_unit_test(events_ship_while_a_bench_runs),
		cmocka_unit_test(a_stop_cuts_a_bench_run_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
