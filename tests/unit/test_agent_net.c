/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's firewall events (src/agent/net.c): the verdict thread only
 * queues; the shipper's flush appends and syncs once; repeated denies of one
 * (client, server group, rule) are one event with a count; the queue is
 * bounded (drops counted and warned) with room kept for threats.
 */
#include <pthread.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_port_scan_is_one_event_and_no_sync_on_the_verdict_path),
		cmocka_unit_test(the_queue_is_bounded_with_room_for_threats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
