/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's REST API (include/bulkhead/ctl.h) on the HTTP layer: one
 * table of endpoints gives the routes, the role each needs, and the OpenAPI
 * document, so the document describes exactly what is served.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bulkhead/ctl_attest.h"
#include "ctl/api_int.h"
#include "ctl/stream.h"
#include "banned.h"

/* ---- responses --------------------------------------------------------------------------- */

void bh_ctl_reply_json(struct bh_ctl_call *c, int status, json_t *v)
{
	struct bh_error *err = NULL;

	c->resp->status = status;
	c->resp->content_type = "application/json";
	bh_buf_reset(&c->resp->body);
	if (!v || bh_json_dump_buf(v, JSON_COMPACT, &c->resp->body, &err) < 0 ||
	    bh_buf_addc(&c->resp->body, '\n', &err) < 0) {
		bh_error_free(err);
		c->resp->status = 500;
		bh_buf_reset(&c->resp->body);
		bh_buf_adds(&c->resp->body, "{\"error\":\"internal error\"}\n", NULL);
	}
	json_decref(v);
}

void bh_ctl_reply_error(struct bh_ctl_call *c, int status, const char *msg)
{
	bh_ctl_reply_json(c, status, json_pack("{ss}", "error", msg));
}

/* An error from the library as a response: its code says the status. */
void bh_ctl_reply_fail(struct bh_ctl_call *c, struct bh_error *err)
{
	char *msg = bh_error_message(err);
	int status;

	switch (bh_error_code(err)) {
	case BH_ERR_INVALID: status = 400; break;
	case BH_ERR_LIMIT: status = 413; break;
	case BH_ERR_NOTFOUND: status = 404; break;
	case BH_ERR_USAGE: status = 409; break;
	case BH_ERR_UNSAFE: status = 401; break;
	default: status = 500; break;
	}
	if (status == 500) {
		bh_warn("%s %s: %s", c->req->method, c->req->path, msg ? msg : "?");
		bh_ctl_reply_error(c, 500, "internal error (see the controller's log)");
	} else {
		bh_ctl_reply_error(c, status, msg ? msg : "error");
	}
	free(msg);
	bh_error_free(err);
}

const char *bh_ctl_call_actor(const struct bh_ctl_call *c)
{
	return c->who ? c->who->name : "anonymous";
}

bool bh_ctl_call_json(struct bh_ctl_call *c)
{
	const char *ct = c->req->content_type;

	if (!ct || strncasecmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';')) {
		bh_ctl_reply_error(c, 415, "expected Content-Type: application/json");
		return false;
	}
	return true;
}

bool bh_ctl_call_body(struct bh_ctl_call *c, enum bh_ctl_body_kind kind, struct bh_ctl_body *b)
{
	struct bh_error *err = NULL;

	if (!bh_ctl_call_json(c)) {
		memset(b, 0, sizeof(*b));
		return false;
	}
	if (bh_ctl_body_parse((const char *)c->req->body, c->req->body_len, kind, b, &err) < 0) {
		bh_ctl_reply_fail(c, err);
		return false;
	}
	return true;
}

int bh_ctl_call_query(struct bh_ctl_call *c, const char *key, char *out, size_t size)
{
	struct bh_error *err = NULL;
	int rc = bh_ctl_query_get(c->req->query, c->req->query ? strlen(c->req->query) : 0, key,
				  out, size, &err);

	if (rc < 0)
		bh_ctl_reply_fail(c, err);
	return rc;
}

int bh_ctl_call_time(struct bh_ctl_call *c, const char *key, int64_t *out)
{
	char v[64];
	struct bh_error *err = NULL;
	int rc = bh_ctl_call_query(c, key, v, sizeof(v));

	*out = 0;
	if (rc <= 0)
		return rc;
	if (bh_time_parse(v, true, out, &err) < 0) {
		bh_error_prefix(&err, "query: \"%s\"", key);
		bh_ctl_reply_fail(c, err);
		return -1;
	}
	return 1;
}

int bh_ctl_call_page(struct bh_ctl_call *c, unsigned max, int64_t *since, int64_t *until,
		     int64_t *after_id, unsigned *limit)
{
	uint64_t after, lim;

	if (bh_ctl_call_time(c, "since", since) < 0 || bh_ctl_call_time(c, "until", until) < 0 ||
	    bh_ctl_call_uint(c, "after", INT64_MAX, &after) < 0 ||
	    bh_ctl_call_uint(c, "limit", max, &lim) < 0)
		return -1;
	*after_id = (int64_t)after;
	*limit = (unsigned)lim;
	return 0;
}

int bh_ctl_call_uint(struct bh_ctl_call *c, const char *key, uint64_t max, uint64_t *out)
{
	char v[24];
	int rc = bh_ctl_call_query(c, key, v, sizeof(v));
	struct bh_error *err = NULL;

	*out = 0;
	if (rc <= 0)
		return rc;
	if (bh_parse_u64(v, out, &err) < 0 || *out > max) {
		bh_error_free(err);
		bh_ctl_reply_error(c, 400, "query: a number out of range");
		return -1;
	}
	return 1;
}

/* ---- handlers ---------------------------------------------------------------------------- */

static void on_openapi(struct bh_ctl_call *c)
{
	bh_ctl_reply_json(c, 200, bh_ctl_api_openapi());
}

static const struct bh_ctl_endpoint own[] = {
	{ "GET", "/openapi.json", on_openapi, BH_CTL_AUTH_ANY, "This document", NULL, NULL, 200 },
};
static const struct bh_ctl_endpoints api_own = { own, sizeof(own) / sizeof(own[0]), NULL };

/* The parts of the API: a new part adds its line here. */
static const struct bh_ctl_endpoints *const parts[] = {
	&api_own,
	&bh_ctl_api_auth,
	&bh_ctl_api_alert,
	&bh_ctl_api_images,
	&bh_ctl_api_ingest,
	&bh_ctl_api_views,
	&bh_ctl_api_countermeasures,
	&bh_ctl_api_policy,
	&bh_ctl_api_flows,
	&bh_ctl_api_profiles,
	&bh_ctl_api_attest,
	&bh_ctl_api_stream, /* http17 */
	&bh_ctl_api_bench,  /* bench17 */
};
#define NPARTS (sizeof(parts) / sizeof(parts[0]))

static bool bearer(const char *h, const char **tok, size_t *len)
{
	if (!h || strncasecmp(h, "Bearer ", 7))
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	*tok = h;
	*len = strlen(h);
	while (*len && h[*len - 1] == ' ')
		(*len)--;
	return *len > 0;
}

/* The statuses the API's requests are counted by (the last slot: any other). */
static const int codes[] = { 200, 201, 400, 401, 403, 404, 409, 413, 415, 429, 500 };
#define NCODES (sizeof(codes) / sizeof(codes[0]))

/* A route's ctx: its endpoint and the API, and its metrics. */
struct route_ctx {
	const struct bh_ctl_endpoint *e;
	struct bh_ctl_api *a;
	atomic_uint_fast64_t requests[NCODES + 1];
	struct bh_http_hist latency;
};

/*
 * Who presents req's token, when min_role lets them in: 0 with *who filled,
 * else the status to answer (401, 403, 500) with msg.
 */
static int check_token(struct bh_ctl_api *a, const struct bh_http_request *req, int min_role,
		       struct bh_ctl_principal *who, char *msg, size_t size)
{
	struct bh_error *err = NULL;
	const char *tok;
	size_t len;

	if (!bearer(req->authorization, &tok, &len)) {
		snprintf(msg, size, "authentication required: Authorization: Bearer TOKEN");
		return 401;
	}
	if (bh_ctl_authenticate(a->store, tok, len, who, &err) < 0) {
		int internal = bh_error_code(err) != BH_ERR_UNSAFE;

		if (internal)
			bh_error_warn(&err, "%s %s", req->method, req->path);
		bh_error_free(err);
		/* one answer for every bad token: no oracle */
		snprintf(msg, size, "%s",
			 internal ? "internal error (see the controller's log)"
				  : "invalid, expired or revoked token");
		return internal ? 500 : 401;
	}
	if (min_role > BH_CTL_AUTH_ANY && (who->node || (int)who->role < min_role)) {
		snprintf(msg, size, "%s %s needs the role %s", req->method, req->path,
			 bh_ctl_role_name((enum bh_ctl_role)min_role));
		return 403;
	}
	return 0;
}

static void dispatch(void *ctx, const struct bh_http_request *req, struct bh_http_response *resp)
{
	struct route_ctx *rc = ctx;
	const struct bh_ctl_endpoint *e = rc->e;
	struct bh_ctl_call c = { rc->a, req, resp, NULL };
	struct bh_ctl_principal who;
	uint64_t t0 = bh_mono_ns();
	char msg[160];
	size_t i;
	int st = 0;

	if (e->min_role != BH_CTL_AUTH_NONE) {
		st = check_token(rc->a, req, e->min_role, &who, msg, sizeof(msg));
		atomic_fetch_add(&rc->a->auth_ns, bh_mono_ns() - t0);
		if (st)
			bh_ctl_reply_error(&c, st, msg);
		c.who = &who;
	}
	if (!st)
		e->fn(&c);
	if (resp->status >= 200 && resp->status < 300 && !strcmp(e->method, "POST"))
		bh_ctl_stream_changed(rc->a, e->path, c.who, resp);
	for (i = 0; i < NCODES && codes[i] != resp->status; i++)
		;
	atomic_fetch_add(&rc->requests[i], 1);
	bh_http_hist_observe(&rc->latency, bh_mono_ns() - t0);
}

int bh_ctl_api_authorize(void *api, const struct bh_http_request *req, const char **msg)
{
	struct bh_ctl_principal who;
	char m[160];
	int st = check_token(api, req,
			     strcmp(req->path, "/metrics") ? BH_CTL_AUTH_ANY : BH_CTL_READER, &who,
			     m, sizeof(m));

	switch (st) {
	case 0: *msg = NULL; break;
	case 401: *msg = "authentication required: Authorization: Bearer TOKEN (valid)"; break;
	case 403: *msg = "GET /metrics needs a user's token (a reader's is enough)"; break;
	default: *msg = "internal error (see the controller's log)"; break;
	}
	return st;
}

/* A stored batch of an agent's events to the alerts engine (the ingest hook:
 * after the commit, only the events newly stored), and to the live streams. */
static void alert_batch(void *data, const char *node, const struct bh_ctl_event_in *ev,
			const int64_t *seqs, size_t n)
{
	struct bh_ctl_api *a = data;
	json_t *arr = json_array();
	struct bh_error *err = NULL;

	for (size_t i = 0; i < n; i++) {
		/* the scan (src/ctl/ingest_scan.c) leaves no tree but data.output */
		const json_t *d = ev[i].item ? json_object_get(ev[i].item, "data") : NULL;

		json_array_append_new(
			arr, json_pack("{sssIsIssss?ss?ss?ss?}", "node", node, "seq",
				       (json_int_t)seqs[i], "ts", (json_int_t)ev[i].ts, "kind",
				       ev[i].kind, "rule", ev[i].rule, "severity", ev[i].severity,
				       "workload", ev[i].workload, "output",
				       ev[i].item ? bh_json_str(d, "output") : ev[i].output));
	}
	if (a->alerts && bh_ctl_alert_events(a->alerts, arr, &err) < 0)
		bh_error_warn(&err, "alerts of node %s", node);
	json_decref(arr);
}

/* The ingest hook: the streams see the new events, then the alerts engine
 * or the hook given (http17). */
static void stored_batch(void *data, const char *node, const struct bh_ctl_event_in *ev,
			 const int64_t *seqs, size_t n)
{
	struct bh_ctl_api *a = data;

	bh_ctl_stream_events(a->stream, node, ev, seqs, n);
	if (a->user_hook.stored)
		a->user_hook.stored(a->user_hook.data, node, ev, seqs, n);
	else if (a->alerts)
		alert_batch(a, node, ev, seqs, n);
}

int bh_ctl_api_new(const struct bh_ctl_api_opts *o, struct bh_ctl_api **out, struct bh_error **err)
{
	struct bh_ctl_api *a;
	struct route_ctx *ctxs;
	size_t n = 0, k = 0;

	*out = NULL;
	if (!o->store)
		return bh_error_set(err, BH_ERR_USAGE, "the API needs a store");
	if (o->login_ttl < 0 || o->login_ttl > BH_CTL_TOKEN_TTL_MAX)
		return bh_error_set(err, BH_ERR_USAGE, "login ttl out of range");
	a = bh_calloc(1, sizeof(*a));
	a->store = o->store;
	a->login_ttl = o->login_ttl ? o->login_ttl : 12 * 3600;
	a->metrics_ttl = o->metrics_ttl ? o->metrics_ttl : 5;
	a->alerts = o->alerts;
	pthread_mutex_init(&a->metrics_mu, NULL);
	bh_buf_init(&a->metrics_cache, 1u << 20);
	a->login_limit = bh_ctl_limiter_new(4096, o->login_failures ? o->login_failures : 5,
					    o->login_window ? o->login_window : 60);
	a->automation = o->automation;
	if (o->ingest_hook)
		a->user_hook = *o->ingest_hook;
	/* agents' events to the streams, then the hook given or the alert rules */
	a->ingest_hook = (struct bh_ctl_ingest_hook){ stored_batch, a };
	a->stream = bh_ctl_stream_hub_new(o->max_streams, 0);
	a->action_lease.lease_s = o->action_lease_s;
	a->action_lease.attempts = o->action_attempts;
	for (size_t p = 0; p < NPARTS; p++)
		n += parts[p]->n;
	ctxs = bh_calloc(n, sizeof(*ctxs));
	a->routes = bh_calloc(n, sizeof(*a->routes));
	for (size_t p = 0; p < NPARTS; p++) {
		for (size_t i = 0; i < parts[p]->n; i++, k++) {
			const struct bh_ctl_endpoint *e = &parts[p]->v[i];

			ctxs[k].e = e;
			ctxs[k].a = a;
			a->routes[k] =
				(struct bh_http_route){ e->method, e->path, dispatch, &ctxs[k] };
		}
	}
	a->nroutes = n;
	*out = a;
	return 0;
}

void bh_ctl_api_free(struct bh_ctl_api *a)
{
	if (!a)
		return;
	free(a->nroutes ? a->routes[0].ctx : NULL); /* the route_ctx array */
	free(a->routes);
	bh_ctl_limiter_free(a->login_limit);
	bh_ctl_stream_hub_free(a->stream);
	pthread_mutex_destroy(&a->metrics_mu);
	bh_buf_release(&a->metrics_cache);
	free(a);
}

const struct bh_http_route *bh_ctl_api_routes(struct bh_ctl_api *a, size_t *n)
{
	*n = a->nroutes;
	return a->routes;
}

/* ---- metrics (ops17) --------------------------------------------------------------------- */

int bh_ctl_api_metrics(void *api, struct bh_buf *out, struct bh_error **err)
{
	struct bh_ctl_api *a = api;
	struct route_ctx *ctxs = a->nroutes ? a->routes[0].ctx : NULL;

	if (bh_buf_adds(out,
			"# HELP bulkhead_api_requests_total API requests answered, by method, "
			"route and status code.\n"
			"# TYPE bulkhead_api_requests_total counter\n",
			err) < 0)
		return -1;
	for (size_t k = 0; k < a->nroutes; k++) {
		for (size_t i = 0; i <= NCODES; i++) {
			uint64_t v = atomic_load(&ctxs[k].requests[i]);
			char code[8];

			if (!v)
				continue;
			if (i < NCODES)
				snprintf(code, sizeof(code), "%d", codes[i]);
			else
				snprintf(code, sizeof(code), "other");
			if (bh_buf_addf(out, err,
					"bulkhead_api_requests_total{method=\"%s\",route=\"%s\","
					"code=\"%s\"} %llu\n",
					ctxs[k].e->method, ctxs[k].e->path, code,
					(unsigned long long)v) < 0)
				return -1;
		}
	}
	if (bh_buf_adds(out,
			"# HELP bulkhead_api_request_duration_seconds Time to answer an API "
			"request (authentication included), by method and route.\n"
			"# TYPE bulkhead_api_request_duration_seconds histogram\n",
			err) < 0)
		return -1;
	for (size_t k = 0; k < a->nroutes; k++) {
		char labels[160];

		snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\"", ctxs[k].e->method,
			 ctxs[k].e->path);
		if (bh_http_hist_write(&ctxs[k].latency, "bulkhead_api_request_duration_seconds",
				       labels, out, err) < 0)
			return -1;
	}
	if (bh_buf_addf(out, err,
			"# HELP bulkhead_logins_failed_total Logins refused for a wrong user "
			"name or password.\n"
			"# TYPE bulkhead_logins_failed_total counter\n"
			"bulkhead_logins_failed_total %llu\n"
			"# HELP bulkhead_logins_throttled_total Logins answered 429: too many "
			"failures for the user or the address.\n"
			"# TYPE bulkhead_logins_throttled_total counter\n"
			"bulkhead_logins_throttled_total %llu\n"
			"# HELP bulkhead_store_reconnects_total Broken database connections "
			"made anew.\n"
			"# TYPE bulkhead_store_reconnects_total counter\n"
			"bulkhead_store_reconnects_total %llu\n",
			(unsigned long long)atomic_load(&a->login_failed),
			(unsigned long long)atomic_load(&a->login_throttled),
			(unsigned long long)bh_ctl_store_reconnects(a->store)) < 0)
		return -1;
	{
		struct bh_ctl_store_timing t;

		/* ingest17: where the store's time goes */
		bh_ctl_store_timing(a->store, &t);
		if (bh_buf_addf(
			    out, err,
			    "# HELP bulkhead_store_group_commits_total Group commits of grouped "
			    "transactions (SQLite's ingestion).\n"
			    "# TYPE bulkhead_store_group_commits_total counter\n"
			    "bulkhead_store_group_commits_total %llu\n"
			    "# HELP bulkhead_store_grouped_transactions_total Transactions "
			    "committed "
			    "in a group.\n"
			    "# TYPE bulkhead_store_grouped_transactions_total counter\n"
			    "bulkhead_store_grouped_transactions_total %llu\n"
			    "# HELP bulkhead_store_reader_queries_total Queries answered by a "
			    "SQLite reader connection.\n"
			    "# TYPE bulkhead_store_reader_queries_total counter\n"
			    "bulkhead_store_reader_queries_total %llu\n"
			    "# HELP bulkhead_store_seconds_total Time in the store by phase: queue "
			    "(a grouped transaction waiting for its group), run (the groups' "
			    "statements), commit, connection_wait (a thread waiting for a "
			    "connection).\n"
			    "# TYPE bulkhead_store_seconds_total counter\n"
			    "bulkhead_store_seconds_total{phase=\"queue\"} %.6f\n"
			    "bulkhead_store_seconds_total{phase=\"run\"} %.6f\n"
			    "bulkhead_store_seconds_total{phase=\"commit\"} %.6f\n"
			    "bulkhead_store_seconds_total{phase=\"connection_wait\"} %.6f\n"
			    "# HELP bulkhead_api_auth_seconds_total Time checking API requests' "
			    "tokens (the store's lookup included).\n"
			    "# TYPE bulkhead_api_auth_seconds_total counter\n"
			    "bulkhead_api_auth_seconds_total %.6f\n",
			    (unsigned long long)t.groups, (unsigned long long)t.grouped,
			    (unsigned long long)t.reads, t.queue_ns / 1e9, t.run_ns / 1e9,
			    t.commit_ns / 1e9, t.conn_wait_ns / 1e9,
			    atomic_load(&a->auth_ns) / 1e9) < 0)
			return -1;
	}
	if (bh_buf_addf(out, err,
			"# HELP bulkhead_api_streams Live update streams open.\n"
			"# TYPE bulkhead_api_streams gauge\n"
			"bulkhead_api_streams %u\n"
			"# HELP bulkhead_api_stream_dropped_total Live update events dropped "
			"for slow readers.\n"
			"# TYPE bulkhead_api_stream_dropped_total counter\n"
			"bulkhead_api_stream_dropped_total %llu\n",
			bh_ctl_stream_count(a->stream),
			(unsigned long long)bh_ctl_stream_dropped(a->stream)) < 0)
		return -1;
	if (a->alerts && bh_ctl_alert_metrics(a->alerts, out, err) < 0)
		return -1;
	if (bh_ctl_attest_metrics(a->store, out, err) < 0) /* launch18 */
		return -1;
	return bh_ctl_metrics_store(a, out, err);
}

/* ---- OpenAPI ----------------------------------------------------------------------------- */

static json_t *operation(const struct bh_ctl_endpoint *e)
{
	char code[8];
	json_t *op = json_pack("{sss{}}", "summary", e->summary, "responses");
	json_t *resp = json_object_get(op, "responses");
	json_t *err = json_pack("{ss s{s{s{ss}}}}", "description", "error", "content",
				"application/json", "schema", "$ref", "#/components/schemas/Error");

	snprintf(code, sizeof(code), "%d", e->ok);
	json_object_set_new(resp, code,
			    json_pack("{ss s{s{s{ss}}}}", "description", "success", "content",
				      "application/json", "schema", "type", "object"));
	if (e->body) {
		char ref[64];

		snprintf(ref, sizeof(ref), "#/components/schemas/%s", e->body);
		json_object_set_new(op, "requestBody",
				    json_pack("{sbs{s{s{ss}}}}", "required", 1, "content",
					      "application/json", "schema", "$ref", ref));
		json_object_set(resp, "400", err);
		json_object_set(resp, "413", err);
		json_object_set(resp, "415", err);
	}
	if (e->query) {
		json_t *params = json_array();
		char buf[128];
		char *save = NULL;

		snprintf(buf, sizeof(buf), "%s", e->query);
		for (char *p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save))
			json_array_append_new(params,
					      json_pack("{sssssbs{ss}}", "name", p, "in", "query",
							"required", 0, "schema", "type", "string"));
		json_object_set_new(op, "parameters", params);
		json_object_set(resp, "400", err);
	}
	if (e->min_role != BH_CTL_AUTH_NONE) {
		json_object_set_new(op, "security", json_pack("[{s[]}]", "bearer"));
		json_object_set(resp, "401", err);
		if (e->min_role > BH_CTL_AUTH_ANY)
			json_object_set(resp, "403", err);
		json_object_set_new(
			op, "x-bulkhead-role",
			json_string(e->min_role > BH_CTL_AUTH_ANY
					    ? bh_ctl_role_name((enum bh_ctl_role)e->min_role)
					    : "any"));
	} else {
		json_object_set_new(op, "security", json_array());
	}
	json_decref(err);
	return op;
}

/* One endpoint's path item entry, under its lower-case method. */
static void add_operation(json_t *paths, const struct bh_ctl_endpoint *e)
{
	json_t *item = json_object_get(paths, e->path);
	char m[8];
	size_t k;

	if (!item) {
		item = json_object();
		json_object_set_new(paths, e->path, item);
	}
	for (k = 0; e->method[k] && k < sizeof(m) - 1; k++)
		m[k] = (char)bh_tolower(e->method[k]);
	m[k] = 0;
	json_object_set_new(item, m, operation(e));
}

json_t *bh_ctl_api_openapi(void)
{
	json_t *paths = json_object();
	json_t *schemas = json_pack("{s{sss{s{ss}}s[s]}}", "Error", "type", "object", "properties",
				    "error", "type", "string", "required", "error");

	json_object_set_new(paths, "/healthz",
			    json_pack("{s{sss[]s{s{ss}}}}", "get", "summary",
				      "200 while the process serves (no authentication)",
				      "security", "responses", "200", "description", "ok"));
	json_object_set_new(paths, "/readyz",
			    json_pack("{s{sss[{s[]}]s{s{ss}s{ss}s{ss}}}}", "get", "summary",
				      "200 when ready, 503 while starting or draining (any token)",
				      "security", "bearer", "responses", "200", "description",
				      "ready", "401", "description", "no valid token", "503",
				      "description", "not ready"));
	json_object_set_new(paths, "/metrics",
			    json_pack("{s{sss[{s[]}]s{s{ss}s{ss}s{ss}}}}", "get", "summary",
				      "Prometheus text format (a user's token: reader or above)",
				      "security", "bearer", "responses", "200", "description",
				      "metrics", "401", "description", "no valid token", "403",
				      "description", "a node's token"));
	for (size_t p = 0; p < NPARTS; p++) {
		for (size_t i = 0; i < parts[p]->n; i++)
			add_operation(paths, &parts[p]->v[i]);
		if (parts[p]->schemas)
			parts[p]->schemas(schemas);
	}
	bh_ctl_stream_openapi(paths); /* http17 */
	return json_pack("{sss{ssss}sos{sos{s{ssss}}}s[{s[]}]}", "openapi", "3.0.3", "info",
			 "title", "bulkhead controller", "version", "1", "paths", paths,
			 "components", "schemas", schemas, "securitySchemes", "bearer", "type",
			 "http", "scheme", "bearer", "security", "bearer");
}
