/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the controller's REST API: what a part of the API (src/ctl/api_*.c)
 * needs to add its endpoints. Each part exports one struct bh_ctl_endpoints;
 * src/ctl/api.c lists them, makes the routes and the OpenAPI document from
 * them, checks the token and the role, then calls the handler.
 */
#ifndef BULKHEAD_CTL_API_INT_H
#define BULKHEAD_CTL_API_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "bulkhead/ctl.h"
#include "bulkhead/ctl_policy.h"

struct bh_ctl_api {
	struct bh_ctl_store *store;
	int64_t login_ttl;
	/* auto17: registry automation (NULL: off) */
	struct bh_ctl_auto *automation;
	struct bh_http_route *routes;
	size_t nroutes;
	/* ops17: hardening */
	struct bh_ctl_limiter *login_limit;
	atomic_uint_fast64_t login_failed, login_throttled;
	atomic_uint_fast64_t auth_ns; /* ingest17: time checking tokens */
	/* the store's counts, as text, kept metrics_ttl seconds (src/ctl/metrics.c) */
	pthread_mutex_t metrics_mu;
	struct bh_buf metrics_cache;
	uint64_t metrics_at; /* CLOCK_MONOTONIC ns of the cache; 0: none */
	unsigned metrics_ttl;
	atomic_uint_fast64_t metrics_errors;
	struct bh_ctl_alert *alerts; /* borrowed; may be NULL */
	/* agents and ingestion (agent17) */
	struct bh_ctl_ingest_hook ingest_hook;
	/* lease17: the actions' lease (zeros: the defaults) */
	struct bh_ctl_action_lease action_lease;
	/* http17: live updates (src/ctl/stream.c) */
	struct bh_ctl_stream_hub *stream;
	struct bh_ctl_ingest_hook user_hook; /* the hook given (opts), called after */
};

/* http17: what the live streams see (src/ctl/api_stream.c): newly stored
 * agent events, and a successful POST on path (flows, workloads, actions). */
void bh_ctl_stream_events(struct bh_ctl_stream_hub *h, const char *node,
			  const struct bh_ctl_event_in *ev, const int64_t *seqs, size_t n);
/* GET /api/v1/stream checks its own token (header or ticket): its
 * OpenAPI entry says so (bearer, reader, the event-stream answer). */
void bh_ctl_stream_openapi(json_t *paths);
void bh_ctl_stream_changed(struct bh_ctl_api *a, const char *path,
			   const struct bh_ctl_principal *who, const struct bh_http_response *resp);

/* Append the store's families (counted at most every metrics_ttl s). */
int bh_ctl_metrics_store(struct bh_ctl_api *a, struct bh_buf *out, struct bh_error **err);

/* What a handler is given. */
struct bh_ctl_call {
	struct bh_ctl_api *a;
	const struct bh_http_request *req;
	struct bh_http_response *resp;
	const struct bh_ctl_principal *who; /* NULL on an endpoint without auth */
};

#define BH_CTL_AUTH_NONE -1 /* no token wanted */
#define BH_CTL_AUTH_ANY	 0  /* any valid token, a node's too */

struct bh_ctl_endpoint {
	const char *method, *path;
	void (*fn)(struct bh_ctl_call *c);
	int min_role; /* BH_CTL_AUTH_NONE, BH_CTL_AUTH_ANY or an enum bh_ctl_role */
	const char *summary;
	const char *body;  /* the request body's schema name, or NULL */
	const char *query; /* space-separated query parameters, or NULL */
	int ok;		   /* the status on success */
};

/* One part's endpoints and the schemas its bodies name. */
struct bh_ctl_endpoints {
	const struct bh_ctl_endpoint *v;
	size_t n;
	/* adds the part's named schemas to the OpenAPI components (may be NULL) */
	void (*schemas)(json_t *components);
};

extern const struct bh_ctl_endpoints bh_ctl_api_auth;
extern const struct bh_ctl_endpoints bh_ctl_api_images;
extern const struct bh_ctl_endpoints bh_ctl_api_ingest;
extern const struct bh_ctl_endpoints bh_ctl_api_views;		 /* views17 */
extern const struct bh_ctl_endpoints bh_ctl_api_countermeasures; /* views17 */
extern const struct bh_ctl_endpoints bh_ctl_api_bench;		 /* bench17 */
extern const struct bh_ctl_endpoints bh_ctl_api_policy;		 /* dist17 */
extern const struct bh_ctl_endpoints bh_ctl_api_flows;		 /* flows17 */
extern const struct bh_ctl_endpoints bh_ctl_api_attest;		 /* launch18 */
extern const struct bh_ctl_endpoints bh_ctl_api_profiles;	 /* profiles17 */
extern const struct bh_ctl_endpoints bh_ctl_api_stream;		 /* http17 */

/* ---- replies (each makes the whole response; v is stolen) -------------------------------- */

void bh_ctl_reply_json(struct bh_ctl_call *c, int status, json_t *v);
void bh_ctl_reply_error(struct bh_ctl_call *c, int status, const char *msg);
/* An error from the library as a response: its code says the status; frees err. */
void bh_ctl_reply_fail(struct bh_ctl_call *c, struct bh_error *err);

/* ---- the request ------------------------------------------------------------------------- */

/* Who is acting: the principal's name, or "anonymous". */
const char *bh_ctl_call_actor(const struct bh_ctl_call *c);
/* The body is JSON (Content-Type); false when the reply (415) is already made. */
bool bh_ctl_call_json(struct bh_ctl_call *c);
/* A POST's body parsed by bh_ctl_body_parse; false when the reply is already made. */
bool bh_ctl_call_body(struct bh_ctl_call *c, enum bh_ctl_body_kind kind, struct bh_ctl_body *b);
/* Query parameters: 1 found, 0 absent, <0 when the reply (400) is already made. */
int bh_ctl_call_query(struct bh_ctl_call *c, const char *key, char *out, size_t size);
int bh_ctl_call_time(struct bh_ctl_call *c, const char *key, int64_t *out);
int bh_ctl_call_uint(struct bh_ctl_call *c, const char *key, uint64_t max, uint64_t *out);
/* A list's time window and keyset page: since, until (times), after (an id),
 * limit (at most max); 0 when absent; <0 when the reply is already made. */
int bh_ctl_call_page(struct bh_ctl_call *c, unsigned max, int64_t *since, int64_t *until,
		     int64_t *after_id, unsigned *limit);

/* ---- ops17: alerts ---------------------------------------------------------------------- */

extern const struct bh_ctl_endpoints bh_ctl_api_alert;
/* Every rule, by name, into v (room for BH_CTL_ALERT_RULES_MAX); *n of them. */
int bh_ctl_alert_rules_load(struct bh_ctl_store *s, struct bh_ctl_alert_rule *v, size_t *n,
			    struct bh_error **err);

#endif /* BULKHEAD_CTL_API_INT_H */
