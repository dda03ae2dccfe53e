/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A flow record as JSON (bh_net_flow_to_json): the object `net inspect` and
 * `net run` print per flow, its schema in bulkhead-net(1).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "bulkhead/net.h"
#include "net_int.h"
#include "banned.h"

void net_endpoint_str(char *out, size_t n, const uint8_t a[16], uint16_t port)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char s[INET6_ADDRSTRLEN];

	if (!memcmp(a, mapped, 12)) {
		inet_ntop(AF_INET, a + 12, s, sizeof(s));
		snprintf(out, n, "%s:%u", s, port);
	} else {
		inet_ntop(AF_INET6, a, s, sizeof(s));
		snprintf(out, n, "[%s]:%u", s, port);
	}
}

static const char *const end_names[] = { "closed", "idle", "evicted", "flush" };

json_t *bh_net_flow_to_json(const struct bh_net_flow_record *r)
{
	char src[INET6_ADDRSTRLEN + 16], dst[INET6_ADDRSTRLEN + 16];
	json_t *j = json_object(), *t = json_array(), *d = json_array();

	net_endpoint_str(src, sizeof(src), r->client_addr, r->client_port);
	net_endpoint_str(dst, sizeof(dst), r->server_addr, r->server_port);
	for (size_t i = 0; i < r->n_threats; i++)
		json_array_append_new(t, json_pack("{s:s,s:s,s:I}", "id", r->threats[i].id, "name",
						   r->threats[i].name, "count",
						   (json_int_t)r->threats[i].count));
	json_object_set_new(j, "l4", json_string(r->l4));
	json_object_set_new(j, "src", json_string(src));
	json_object_set_new(j, "dst", json_string(dst));
	json_object_set_new(j, "app", json_string(r->app));
	json_object_set_new(j, "host", r->host ? json_string(r->host) : json_null());
	json_object_set_new(j, "packets",
			    json_pack("{s:I,s:I}", "to_server", (json_int_t)r->packets[0],
				      "to_client", (json_int_t)r->packets[1]));
	json_object_set_new(j, "bytes",
			    json_pack("{s:I,s:I}", "to_server", (json_int_t)r->bytes[0],
				      "to_client", (json_int_t)r->bytes[1]));
	json_object_set_new(j, "threats", t);
	for (size_t i = 0; i < r->n_dlp; i++)
		json_array_append_new(d, json_pack("{s:s,s:s,s:s,s:I}", "type", r->dlp[i].type,
						   "masked", r->dlp[i].masked, "dir",
						   r->dlp[i].dir ? "to_client" : "to_server",
						   "offset", (json_int_t)r->dlp[i].offset));
	json_object_set_new(j, "dlp", d);
	json_object_set_new(j, "rule", r->rule ? json_string(r->rule) : json_null());
	json_object_set_new(j, "capture", r->capture ? json_string(r->capture) : json_null());
	/* with a policy: its verdict and the ends' groups */
	if (r->verdict) {
		json_object_set_new(j, "verdict", json_string(r->verdict));
		json_object_set_new(j, "src_group",
				    r->client_group ? json_string(r->client_group) : json_null());
		json_object_set_new(j, "dst_group",
				    r->server_group ? json_string(r->server_group) : json_null());
	}
	/* the live path: the ends' containers */
	if (r->client_ctr_id)
		json_object_set_new(j, "src_container",
				    json_pack("{s:s,s:s?}", "id", r->client_ctr_id, "name",
					      r->client_ctr_name));
	if (r->server_ctr_id)
		json_object_set_new(j, "dst_container",
				    json_pack("{s:s,s:s?}", "id", r->server_ctr_id, "name",
					      r->server_ctr_name));
	json_object_set_new(j, "first", json_real(r->first));
	json_object_set_new(j, "last", json_real(r->last));
	json_object_set_new(j, "end", json_string(end_names[r->end]));
	return j;
}

/* An alert line: what was raised, then the flow so far (its counters and its
 * end left out: the flow record at its end has them). */
json_t *bh_net_alert_to_json(const struct bh_net_flow_record *flow, const struct bh_net_alert *a)
{
	static const char *const drop[] = { "packets", "bytes", "dlp", "capture", "last", "end" };
	json_t *f = bh_net_flow_to_json(flow);
	json_t *j = json_object();

	json_object_set_new(j, "type", json_string("alert"));
	json_object_set_new(j, "time", json_real(a->ts));
	json_object_set_new(j, "kind", json_string(bh_net_alert_kind_name(a->kind)));
	if (a->id) {
		json_object_set_new(j, "id", json_string(a->id));
		json_object_set_new(j, "name", a->name ? json_string(a->name) : json_null());
		json_object_set_new(j, "severity", json_integer((json_int_t)a->severity));
	}
	if (a->dlp)
		json_object_set_new(j, "dlp",
				    json_pack("{s:s,s:s,s:s,s:I}", "type", a->dlp->type, "masked",
					      a->dlp->masked, "dir",
					      a->dlp->dir ? "to_client" : "to_server", "offset",
					      (json_int_t)a->dlp->offset));
	if (a->verdict) {
		json_object_set_new(j, "verdict", json_string(a->verdict));
		json_object_set_new(j, "rule", a->rule ? json_string(a->rule) : json_null());
	}
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		json_object_del(f, drop[i]);
	json_object_set_new(j, "flow", f);
	return j;
}
