/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial postgres (ctl_env.h's own PostgreSQL, unix socket in its temp dir) */
/*
 * Flows (flows17): the agent's aggregation of connections into edges
 * (src/agent/flows.c: fed by monitor events, bounded, drained into records
 * the controller's parser accepts), the controller's flows store
 * (src/ctl/flows.c: each (node, seq) once, edges summed per bucket, threats,
 * the graph read back with its filters) on SQLite and PostgreSQL
 * (tests/unit/ctl_env.h), and the body parser with hostile input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>

#include "unit.h"
#include "agent/flows.h"
#include "bulkhead/ctl.h"
#include "bulkhead/monitor.h"
#include "ctl/flows.h"
#include "ctl/stream.h"
#include "ctl_env.h"
#include "ctl_flows_env.h"
#include "banned.h"

#define REC_WEB_DB                                                                                 \
	"{\"kind\":\"flows\",\"ts\":1700000010,\"edges\":[{\"src\":\"web\",\"dst\":\"db\","        \
	"\"port\":5432,\"l4\":\"tcp\",\"app\":\"postgresql\",\"bytes\":100,\"packets\":4,"         \
	"\"conns\":1,\"allowed\":1,\"threats\":[\"BH-NET-SQLI\"]},{\"src\":\"10.1.2.3\","          \
	"\"src_peer\":true,\"dst\":\"web\",\"port\":80,\"l4\":\"tcp\",\"app\":\"http\","           \
	"\"bytes\":50,\"conns\":2,\"allowed\":1,\"denied\":1}]}"
#define REC_WEB_DB2                                                                                \
	"{\"kind\":\"flows\",\"ts\":1700000020,\"edges\":[{\"src\":\"web\",\"dst\":\"db\","        \
	"\"port\":5432,\"l4\":\"tcp\",\"app\":\"postgresql\",\"bytes\":11,\"conns\":1,"            \
	"\"allowed\":1}]}"
#define REC_LATER                                                                                  \
	"{\"kind\":\"flows\",\"ts\":1700003600,\"edges\":[{\"src\":\"api\",\"dst\":\"cache\","     \
	"\"port\":6379,\"l4\":\"tcp\",\"app\":\"redis\",\"bytes\":7,\"conns\":1,\"allowed\":1}]}"

static json_t *flow_of(json_t *g, const char *from, const char *to)
{
	size_t i;
	json_t *f;

	json_array_foreach (json_object_get(g, "flows"), i, f)
		if (!strcmp(bh_json_str(f, "from"), from) && !strcmp(bh_json_str(f, "to"), to))
			return f;
	return NULL;
}

static json_int_t num(json_t *o, const char *k)
{
	json_int_t v = -1;

	assert_true(bh_json_int(o, k, &v));
	return v;
}

static void flows_are_stored_once_and_summed(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_flow_filter ff = { .since = 1700000000, .until = 1700000100 };
	struct bh_error *err = NULL;
	json_t *g = NULL, *f;
	int64_t acked = -1;

	reg(s, "n1");
	reg(s, "n2");
	ingest(s, "n1", 1, REC_WEB_DB, 1, 1);
	/* the answer was lost: the same record again stores nothing */
	ingest(s, "n1", 1, REC_WEB_DB, 0, 1);
	/* overlapping: only seq 2 is new; the same edge in the same bucket sums */
	ingest(s, "n1", 1, REC_WEB_DB "," REC_WEB_DB2, 1, 2);
	/* another node's seqs are its own; its edge sums into the graph */
	ingest(s, "n2", 1, REC_WEB_DB2, 1, 1);
	ingest(s, "n2", 2, REC_LATER, 1, 2);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flow_seqs"), 4);
	/* one row per (bucket, node, edge): n1 web->db, peer->web; n2 web->db, api->cache */
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flows"), 4);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flow_threats"), 1);
	/* the spool's seqs are shared: the acked answer counts flows too */
	assert_int_equal(bh_ctl_ingest_acked(s, "n1", &acked, &err), 0);
	assert_int_equal(acked, 2);

	assert_int_equal(bh_ctl_flows_graph(s, &ff, &g, &err), 0);
	assert_int_equal(json_array_size(json_object_get(g, "flows")), 2);
	assert_int_equal(json_array_size(json_object_get(g, "groups")), 3);
	f = flow_of(g, "web", "db");
	assert_non_null(f);
	assert_int_equal(num(f, "bytes"), 100 + 11 + 11);
	assert_int_equal(num(f, "conns"), 3);
	assert_int_equal(num(f, "port"), 5432);
	assert_string_equal(bh_json_str(f, "proto"), "tcp");
	assert_string_equal(bh_json_str(f, "app"), "postgresql");
	assert_string_equal(bh_json_str(f, "verdict"), "alert");
	assert_int_equal(json_array_size(json_object_get(f, "threats")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(f, "threats"), 0)),
			    "BH-NET-SQLI");
	f = flow_of(g, "10.1.2.3", "web");
	assert_non_null(f);
	assert_string_equal(bh_json_str(f, "verdict"), "deny");
	assert_int_equal(num(f, "denied"), 1);
	assert_int_equal(json_array_size(json_object_get(f, "threats")), 0);
	json_decref(g);

	/* by group: only the edges from or to it */
	ff.group = "db";
	assert_int_equal(bh_ctl_flows_graph(s, &ff, &g, &err), 0);
	assert_int_equal(json_array_size(json_object_get(g, "flows")), 1);
	json_decref(g);
	/* by node */
	ff.group = NULL;
	ff.node = "n2";
	assert_int_equal(bh_ctl_flows_graph(s, &ff, &g, &err), 0);
	f = flow_of(g, "web", "db");
	assert_non_null(f);
	assert_int_equal(num(f, "bytes"), 11);
	json_decref(g);
	/* the later window sees only the later edge */
	ff.node = NULL;
	ff.since = 1700003000;
	ff.until = 1700004000;
	assert_int_equal(bh_ctl_flows_graph(s, &ff, &g, &err), 0);
	assert_int_equal(json_array_size(json_object_get(g, "flows")), 1);
	assert_non_null(flow_of(g, "api", "cache"));
	json_decref(g);
	bh_ctl_store_free(s);
}

/* ctlmisc19: a stream's flows event carries the edges newly stored, summed,
 * bounded with the left-out count */
static void the_stream_gets_the_new_edges_bounded(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	const char *recs = REC_WEB_DB "," REC_WEB_DB2;
	char *body = bh_asprintf("{\"node\":\"n1\",\"first_seq\":1,\"records\":[%s]}", recs);
	struct bh_ctl_flows f;
	struct bh_ctl_flows_result res;
	struct bh_error *err = NULL;
	struct bh_buf big = BH_BUF_INIT(1u << 20);
	json_t *d, *e;

	reg(s, "n1");
	/* seq 1 stored first: a batch of 1 and 2 stores (and shows) only 2 */
	ingest(s, "n1", 1, REC_WEB_DB, 1, 1);
	assert_int_equal(bh_ctl_flows_parse(body, strlen(body), &f, &err), 0);
	assert_int_equal(bh_ctl_flows_ingest(s, "n1", &f, &res, &err), 0);
	assert_int_equal(res.fresh, 2);
	d = bh_ctl_flows_delta(&f, res.fresh, BH_CTL_FLOW_DELTA_MAX);
	assert_int_equal(json_array_size(json_object_get(d, "edges")), 1);
	assert_int_equal(num(d, "truncated"), 0);
	e = json_array_get(json_object_get(d, "edges"), 0);
	assert_string_equal(bh_json_str(e, "from"), "web");
	assert_int_equal(num(e, "bytes"), 11);
	assert_string_equal(bh_json_str(e, "verdict"), "allow");
	json_decref(d);
	/* both records (as if fresh): the same edge summed, threats joined, peers marked */
	d = bh_ctl_flows_delta(&f, 3, BH_CTL_FLOW_DELTA_MAX);
	assert_int_equal(json_array_size(json_object_get(d, "edges")), 2);
	e = json_array_get(json_object_get(d, "edges"), 0);
	assert_int_equal(num(e, "bytes"), 111);
	assert_int_equal(num(e, "conns"), 2);
	assert_int_equal(num(e, "last_seen"), 1700000020);
	assert_string_equal(bh_json_str(e, "verdict"), "alert");
	assert_int_equal(json_array_size(json_object_get(e, "threats")), 1);
	e = json_array_get(json_object_get(d, "edges"), 1);
	assert_true(json_is_true(json_object_get(e, "from_peer")));
	assert_string_equal(bh_json_str(e, "verdict"), "deny");
	json_decref(d);
	/* a cap of 1: the other edge counted as left out */
	d = bh_ctl_flows_delta(&f, 3, 1);
	assert_int_equal(json_array_size(json_object_get(d, "edges")), 1);
	assert_int_equal(num(d, "truncated"), 1);
	json_decref(d);
	/* nothing fresh (a replay): no edges */
	d = bh_ctl_flows_delta(&f, 0, BH_CTL_FLOW_DELTA_MAX);
	assert_int_equal(json_array_size(json_object_get(d, "edges")), 0);
	json_decref(d);
	bh_ctl_flows_release(&f);
	free(body);

	/* the worst case a body holds (the longest names and threats): 64
	 * edges carried, the rest counted, the event under 64 KiB */
	bh_buf_adds(&big, "{\"node\":\"n1\",\"first_seq\":100,\"records\":[", NULL);
	for (int r = 0; r < 2; r++) {
		bh_buf_addf(&big, NULL, "%s{\"kind\":\"flows\",\"ts\":1700000000,\"edges\":[",
			    r ? "," : "");
		for (int i = 0; i < 45; i++)
			bh_buf_addf(&big, NULL,
				    "%s{\"src\":\"%0126d%c\",\"dst\":\"%0127d\",\"port\":65535,"
				    "\"l4\":\"tcp\",\"app\":\"%023d\",\"bytes\":9007199254740992,"
				    "\"threats\":[\"%031d\",\"%030d1\",\"%030d2\",\"%030d3\","
				    "\"%030d4\",\"%030d5\",\"%030d6\",\"%030d7\"]}",
				    i ? "," : "", r * 45 + i, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
		bh_buf_adds(&big, "]}", NULL);
	}
	bh_buf_adds(&big, "]}", NULL);
	if (bh_ctl_flows_parse(big.data, big.len, &f, &err) < 0)
		fail_msg("parse: %s", bh_error_message(err));
	d = bh_ctl_flows_delta(&f, ~(uint64_t)0, BH_CTL_FLOW_DELTA_MAX);
	assert_int_equal(json_array_size(json_object_get(d, "edges")), BH_CTL_FLOW_DELTA_MAX);
	assert_int_equal(num(d, "truncated"), 2 * 45 - BH_CTL_FLOW_DELTA_MAX);
	{
		char *txt = json_dumps(d, JSON_COMPACT);

		assert_true(strlen(txt) < (60u << 10));
		free(txt);
	}
	json_decref(d);
	bh_ctl_flows_release(&f);
	bh_buf_release(&big);

	/* fixctl19: names of '"' and '\\' double when encoded (64 such edges
	 * would be over 70 KiB): fewer edges carried, the rest counted, the
	 * whole event (with its envelope) under the stream's 64 KiB */
	big = (struct bh_buf)BH_BUF_INIT(1u << 20);
	bh_buf_adds(&big,
		    "{\"node\":\"n1\",\"first_seq\":200,\"records\":[{\"kind\":\"flows\","
		    "\"ts\":1700000000,\"edges\":[",
		    NULL);
	for (int i = 0; i < 70; i++) {
		bh_buf_addf(&big, NULL, "%s{\"src\":\"", i ? "," : "");
		for (int k = 0; k < 61; k++)
			bh_buf_adds(&big, "\\\"\\\\", NULL);
		bh_buf_addf(&big, NULL, "%05d\",\"dst\":\"", i);
		for (int k = 0; k < 63; k++)
			bh_buf_adds(&big, "\\\\\\\"", NULL);
		bh_buf_addf(&big, NULL,
			    "x\",\"port\":65535,\"l4\":\"tcp\",\"app\":\"%023d\","
			    "\"threats\":[\"%031d\",\"%030d1\",\"%030d2\",\"%030d3\","
			    "\"%030d4\",\"%030d5\",\"%030d6\",\"%030d7\"]}",
			    0, 0, 0, 0, 0, 0, 0, 0, 0);
	}
	bh_buf_adds(&big, "]}]}", NULL);
	if (bh_ctl_flows_parse(big.data, big.len, &f, &err) < 0)
		fail_msg("parse: %s", bh_error_message(err));
	assert_int_equal(strlen(f.rec[0].edges[0].src), 127);
	assert_int_equal(strlen(f.rec[0].edges[0].dst), 127);
	d = bh_ctl_flows_delta(&f, ~(uint64_t)0, BH_CTL_FLOW_DELTA_MAX);
	{
		size_t n = json_array_size(json_object_get(d, "edges"));
		json_t *r = json_pack("{sIsIsIsI}", "stored", (json_int_t)INT64_MAX, "edges",
				      (json_int_t)INT64_MAX, "threats", (json_int_t)INT64_MAX,
				      "acked", (json_int_t)INT64_MAX);
		char *name = bh_calloc(1, BH_CTL_NAME_MAX + 1), *txt;

		assert_true(n > 20 && n < BH_CTL_FLOW_DELTA_MAX);
		assert_int_equal(num(d, "truncated"), (int64_t)(70 - n));
		/* the envelope api_flows.c adds, at its largest */
		memset(name, 'n', BH_CTL_NAME_MAX);
		json_object_set_new(d, "path", json_string("/api/v1/agent/flows"));
		json_object_set_new(d, "by", json_string(name));
		json_object_set_new(d, "node", json_string(name));
		json_object_set_new(d, "result", r);
		txt = json_dumps(d, JSON_COMPACT);
		assert_true(strlen(txt) > (50u << 10)); /* the cap is used, not wasted */
		assert_true(strlen(txt) + 64 < BH_CTL_STREAM_EVENT_MAX);
		free(txt);
		free(name);
	}
	json_decref(d);
	bh_ctl_flows_release(&f);
	bh_buf_release(&big);
	bh_ctl_store_free(s);
}

static void flows_of_an_unregistered_node_are_refused(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	const char *body = "{\"node\":\"ghost\",\"first_seq\":1,\"records\":[" REC_WEB_DB "]}";
	struct bh_ctl_flows f;
	struct bh_ctl_flows_result res;
	struct bh_error *err = NULL;

	assert_int_equal(bh_ctl_flows_parse(body, strlen(body), &f, &err), 0);
	assert_int_equal(bh_ctl_flows_ingest(s, "ghost", &f, &res, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_free(err);
	bh_ctl_flows_release(&f);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flows"), 0);
	bh_ctl_store_free(s);
}

static void flows_parser_refuses_hostile_input(void **state)
{
	static const struct {
		const char *body, *says;
	} bad[] = {
		{ "[]", "expected a JSON object" },
		{ "{\"node\":\"n1\",\"first_seq\":0,\"records\":[]}", "first_seq" },
		{ "{\"node\":\"-x\",\"first_seq\":1,\"records\":[]}", "node" },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"records\":[],\"x\":1}", "unknown member" },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"records\":[{\"kind\":\"alert\",\"ts\":1,"
		  "\"edges\":[]}]}",
		  "records[0].kind" },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"records\":[{\"kind\":\"flows\",\"ts\":1,"
		  "\"edges\":[{\"src\":\"a\",\"dst\":\"b\",\"port\":65536,\"l4\":\"tcp\","
		  "\"app\":\"x\"}]}]}",
		  "records[0].edges[0].port" },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"records\":[{\"kind\":\"flows\",\"ts\":1,"
		  "\"edges\":[{\"src\":\"a\\u0001b\",\"dst\":\"b\",\"port\":1,\"l4\":\"tcp\","
		  "\"app\":\"x\"}]}]}",
		  "edges[0].src" },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"records\":[{\"kind\":\"flows\",\"ts\":1,"
		  "\"edges\":[{\"src\":\"a\\u0000b\",\"dst\":\"b\",\"port\":1,\"l4\":\"tcp\","
		  "\"app\":\"x\"}]}]}",
		  "u0000" },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"records\":[{\"kind\":\"flows\",\"ts\":1,"
		  "\"edges\":[{\"src\":\"a\",\"dst\":\"b\",\"port\":1,\"l4\":\"sctp\","
		  "\"app\":\"x\"}]}]}",
		  "edges[0].l4" },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"records\":[{\"kind\":\"flows\",\"ts\":1,"
		  "\"edges\":[{\"src\":\"a\",\"dst\":\"b\",\"port\":1,\"l4\":\"tcp\","
		  "\"app\":\"x\",\"threats\":[\"<script>\"]}]}]}",
		  "edges[0].threats" },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"records\":[{\"kind\":\"flows\",\"ts\":1,"
		  "\"edges\":[{\"src\":\"a\",\"dst\":\"b\",\"port\":1,\"l4\":\"tcp\","
		  "\"app\":\"x\",\"bytes\":-1}]}]}",
		  "edges[0].bytes" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bh_ctl_flows f;
		struct bh_error *err = NULL;
		char *m;

		assert_int_equal(bh_ctl_flows_parse(bad[i].body, strlen(bad[i].body), &f, &err),
				 -1);
		m = bh_error_message(err);
		if (!strstr(m, bad[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i, m, bad[i].says);
		free(m);
		bh_error_free(err);
		bh_ctl_flows_release(&f);
	}
}

/* ---- the agent's side -------------------------------------------------------------------- */

static void conn(struct bh_mon_event *ev, enum bh_mon_type t, const char *name, const char *l,
		 uint16_t lport, const char *r, uint16_t rport, int64_t res)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = t;
	ev->res = res;
	snprintf(ev->container.id, sizeof(ev->container.id), "%s0123456789abcdef", name);
	snprintf(ev->container.name, sizeof(ev->container.name), "%s", name);
	ev->net.family = AF_INET;
	ev->net.proto = IPPROTO_TCP;
	assert_int_equal(inet_pton(AF_INET, l, ev->net.laddr), 1);
	assert_int_equal(inet_pton(AF_INET, r, ev->net.raddr), 1);
	ev->net.lport = lport;
	ev->net.rport = rport;
}

struct drained {
	struct bh_buf all; /* the records, comma-separated */
	size_t n;
	int fail_at; /* emit fails on this record (0: never) */
};

static int emit(void *data, const char *rec, size_t len, struct bh_error **err)
{
	struct drained *d = data;

	if (d->fail_at && (int)d->n + 1 == d->fail_at)
		return bh_error_set(err, BH_ERR_IO, "emit failed");
	assert_true(len <= AGF_RECORD_MAX);
	if (d->n++ && bh_buf_addc(&d->all, ',', err) < 0)
		return -1;
	return bh_buf_add(&d->all, rec, len, err);
}

static void agent_edges_become_the_controllers_graph(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct agf *f = agent_flows_new(0);
	struct drained d = { BH_BUF_INIT(1u << 20), 0, 0 };
	struct bh_ctl_flow_filter ff = { .since = 1700000000, .until = 1700000100 };
	struct bh_mon_event ev;
	struct bh_error *err = NULL;
	struct agf_stats st;
	json_t *g = NULL, *e;

	/* db accepts from web (10.0.0.2): db's address is learned */
	conn(&ev, BH_MON_ACCEPT4, "db", "10.0.0.3", 5432, "10.0.0.2", 40000, 5);
	agent_flows_mon(f, &ev);
	/* web connects to db twice: db's address is a known group now */
	conn(&ev, BH_MON_CONNECT, "web", "10.0.0.2", 40001, "10.0.0.3", 5432, -EINPROGRESS);
	agent_flows_mon(f, &ev);
	agent_flows_mon(f, &ev);
	/* a connect the guard refused */
	conn(&ev, BH_MON_CONNECT, "web", "10.0.0.2", 40002, "192.0.2.7", 6443, -EPERM);
	agent_flows_mon(f, &ev);
	/* refused by the peer: no flow */
	conn(&ev, BH_MON_CONNECT, "web", "10.0.0.2", 40003, "192.0.2.8", 80, -ECONNREFUSED);
	agent_flows_mon(f, &ev);
	/* a dual-stack server (an IPv6 socket) sees web as ::ffff:10.0.0.2: the
	 * same address, its accept left out too */
	conn(&ev, BH_MON_ACCEPT, "db6", "10.0.0.4", 8080, "10.0.0.2", 40010, 8);
	ev.net.family = AF_INET6;
	memset(ev.net.laddr, 0, 16);
	memset(ev.net.raddr, 0, 16);
	ev.net.laddr[10] = ev.net.laddr[11] = ev.net.raddr[10] = ev.net.raddr[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, "10.0.0.4", ev.net.laddr + 12), 1);
	assert_int_equal(inet_pton(AF_INET, "10.0.0.2", ev.net.raddr + 12), 1);
	agent_flows_mon(f, &ev);
	conn(&ev, BH_MON_CONNECT, "web", "10.0.0.2", 40010, "10.0.0.4", 8080, 0);
	agent_flows_mon(f, &ev);
	/* an accept from outside the node */
	conn(&ev, BH_MON_ACCEPT, "db", "10.0.0.3", 5432, "203.0.113.5", 50000, 6);
	agent_flows_mon(f, &ev);
	agent_flows_stats(f, &st);
	/* 10.0.0.2->db, web->10.0.0.3, web->192.0.2.7, 10.0.0.2->db6, web->10.0.0.4,
	 * 203.0.113.5->db */
	assert_int_equal(st.edges, 6);
	assert_int_equal(agent_flows_drain(f, 1700000010, 10, emit, &d, &err), 0);
	assert_int_equal(d.n, 1);
	agent_flows_stats(f, &st);
	assert_int_equal(st.edges, 0);

	reg(s, "n1");
	ingest(s, "n1", 1, d.all.data, 1, 1);
	assert_int_equal(bh_ctl_flows_graph(s, &ff, &g, &err), 0);
	e = flow_of(g, "web", "db");
	assert_non_null(e);
	assert_int_equal(num(e, "conns"), 2);
	assert_int_equal(num(e, "port"), 5432);
	e = flow_of(g, "web", "192.0.2.7");
	assert_non_null(e);
	assert_string_equal(bh_json_str(e, "verdict"), "deny");
	assert_int_equal(num(e, "port"), 6443);
	/* db's accept from web is web's connect: counted once, as web->db */
	assert_null(flow_of(g, "10.0.0.2", "db"));
	e = flow_of(g, "203.0.113.5", "db");
	assert_non_null(e);
	assert_int_equal(num(e, "conns"), 1);
	e = flow_of(g, "web", "db6");
	assert_non_null(e);
	assert_int_equal(num(e, "conns"), 1);
	assert_int_equal(json_array_size(json_object_get(g, "flows")), 4);
	json_decref(g);
	agent_flows_free(f);
	bh_buf_release(&d.all);
	bh_ctl_store_free(s);
}

static void agent_table_is_bounded_and_drains_in_records(void **state)
{
	struct agf *f = agent_flows_new(100);
	struct drained d = { BH_BUF_INIT(4u << 20), 0, 0 };
	struct bh_error *err = NULL;
	struct agf_stats st;
	char src[64];
	struct bh_ctl_flows parsed;
	char *all;
	size_t edges = 0;

	(void)state;
	for (int i = 0; i < 150; i++) {
		const char *threats[] = { "BH-NET-SQLI" };
		struct agf_edge_in e = { .src = src,
					 .dst = "sink",
					 .port = 443,
					 .l4 = "tcp",
					 .app = "tls",
					 .bytes = 10,
					 .conns = 1,
					 .allowed = 1,
					 .threats = threats,
					 .nthreats = i % 2 };

		snprintf(src, sizeof(src), "client-%03d-with-a-long-name-to-fill-the-record", i);
		agent_flows_add(f, &e);
	}
	agent_flows_stats(f, &st);
	assert_int_equal(st.edges, 100);
	assert_int_equal(st.dropped, 50);
	/* an emit that fails keeps what it did not take */
	d.fail_at = 1;
	assert_int_equal(agent_flows_drain(f, 1700000000, 10, emit, &d, &err), -1);
	bh_error_free(err);
	err = NULL;
	agent_flows_stats(f, &st);
	assert_int_equal(st.edges, 100);
	d.fail_at = 0;
	assert_int_equal(agent_flows_drain(f, 1700000000, 10, emit, &d, &err), 0);
	assert_true(d.n >= 2); /* 100 edges do not fit one record */
	/* every record is one the controller takes; the drop count goes in the first */
	all = bh_asprintf("{\"node\":\"n1\",\"first_seq\":1,\"records\":[%s]}", d.all.data);
	assert_int_equal(bh_ctl_flows_parse(all, strlen(all), &parsed, &err), 0);
	assert_int_equal(parsed.n, d.n);
	assert_int_equal(parsed.rec[0].dropped, 50);
	for (size_t i = 0; i < parsed.n; i++)
		edges += parsed.rec[i].n;
	assert_int_equal(edges, 100);
	bh_ctl_flows_release(&parsed);
	free(all);
	agent_flows_free(f);
	bh_buf_release(&d.all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(flows_are_stored_once_and_summed),
		BOTH(flows_of_an_unregistered_node_are_refused),
		BOTH(agent_edges_become_the_controllers_graph),
		BOTH(the_stream_gets_the_new_edges_bounded),
		cmocka_unit_test(flows_parser_refuses_hostile_input),
		cmocka_unit_test(agent_table_is_bounded_and_drains_in_records),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
