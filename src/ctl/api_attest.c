/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's attestations (launch18): an agent's nonce and its TPM quote
 * (a node token, for its own node), each node's and container's last
 * verified launch for readers, and an admin's unpin of a node's key, over
 * src/ctl/attest.c. A failed verification goes to the alert rules as an
 * event of kind "attestation" (rule "attestation.failed", CRITICAL).
 */
#include <string.h>
#include <time.h>

#include "bulkhead/ctl_attest.h"
#include "ctl/api_int.h"
#include "banned.h"

static bool own_node(struct bh_ctl_call *c, const char *node)
{
	if (!c->who->node) {
		bh_ctl_reply_error(c, 403, "only a node token attests for a node");
		return false;
	}
	if (strcmp(node, c->who->name)) {
		bh_ctl_reply_error(c, 403, "this token is for another node");
		return false;
	}
	return true;
}

static bool node_body(struct bh_ctl_call *c, char node[BH_CTL_NAME_MAX + 1])
{
	struct bh_error *err = NULL;

	if (!bh_ctl_call_json(c))
		return false;
	if (bh_ctl_attest_node_parse((const char *)c->req->body, c->req->body_len, node, &err) <
	    0) {
		bh_ctl_reply_fail(c, err);
		return false;
	}
	return true;
}

static void on_nonce(struct bh_ctl_call *c)
{
	char hex[2 * BH_CTL_ATTEST_NONCE_LEN + 1];
	struct bh_error *err = NULL;
	int64_t have = 0, expires = 0;
	char node[BH_CTL_NAME_MAX + 1];

	if (!node_body(c, node))
		return;
	if (!own_node(c, node))
		return;
	if (bh_ctl_attest_nonce(c->a->store, node, hex, &have, &expires, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200,
			  json_pack("{sssIso}", "nonce", hex, "from", (json_int_t)have, "expires",
				    bh_ctl_json_time(expires)));
}

/* A failed verification to the alert rules. */
static void alert(struct bh_ctl_call *c, const char *node, const json_t *res)
{
	struct bh_error *err = NULL;
	json_t *ev;

	if (!c->a->alerts)
		return;
	ev = json_pack("[{sssIsssssssssss}]", "node", node, "ts", (json_int_t)time(NULL), "kind",
		       "attestation", "rule", "attestation.failed", "severity", "CRITICAL",
		       "workload", "", "output",
		       bh_json_str(res, "reason") ? bh_json_str(res, "reason") : "failed");
	if (bh_ctl_alert_events(c->a->alerts, ev, &err) < 0)
		bh_error_warn(&err, "alert of node %s's attestation", node);
	json_decref(ev);
}

static void on_attest(struct bh_ctl_call *c)
{
	struct bh_ctl_attest_in in;
	struct bh_error *err = NULL;
	json_t *res = NULL;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_attest_parse((const char *)c->req->body, c->req->body_len, &in, &err) < 0) {
		bh_ctl_attest_release(&in);
		return bh_ctl_reply_fail(c, err);
	}
	if (own_node(c, in.node)) {
		if (bh_ctl_attest_submit(c->a->store, bh_ctl_call_actor(c), &in, &res, &err) < 0) {
			bh_ctl_reply_fail(c, err);
		} else {
			if (!json_is_true(json_object_get(res, "verified")))
				alert(c, in.node, res);
			bh_ctl_reply_json(c, 200, res);
		}
	}
	bh_ctl_attest_release(&in);
}

/* ctlmisc19: a chunk of a log too big for one request, acknowledged */
static void on_log(struct bh_ctl_call *c)
{
	struct bh_ctl_attest_chunk ch;
	struct bh_error *err = NULL;
	int64_t held = 0;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_attest_chunk_parse((const char *)c->req->body, c->req->body_len, &ch, &err) <
	    0) {
		bh_ctl_attest_chunk_release(&ch);
		return bh_ctl_reply_fail(c, err);
	}
	if (own_node(c, ch.node)) {
		if (bh_ctl_attest_chunk_add(c->a->store, &ch, &held, &err) < 0)
			bh_ctl_reply_fail(c, err);
		else
			bh_ctl_reply_json(c, 200,
					  json_pack("{sssIsI}", "node", ch.node, "offset",
						    (json_int_t)held, "received",
						    (json_int_t)ch.log_len));
	}
	bh_ctl_attest_chunk_release(&ch);
}

static void on_list(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	json_t *v;

	if (bh_ctl_attest_list(c->a->store, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{so}", "nodes", v));
}

static void on_unpin(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	char node[BH_CTL_NAME_MAX + 1];

	if (!node_body(c, node))
		return;
	if (bh_ctl_attest_unpin(c->a->store, bh_ctl_call_actor(c), node, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{sssb}", "node", node, "unpinned", 1));
}

static const struct bh_ctl_endpoint endpoints[] = {
	{ "POST", "/api/v1/agent/attest/nonce", on_nonce, BH_CTL_AUTH_ANY,
	  "A fresh single-use nonce for the node's TPM quote (a node token; 120 s; a new one "
	  "replaces the last) and from, the log entries the controller holds verified",
	  "AttestNode", NULL, 200 },
	{ "POST", "/api/v1/agent/attest", on_attest, BH_CTL_AUTH_ANY,
	  "A node's TPM quote, key and event log entries from recnum from: verified as "
	  "'bulkhead attest verify' does and stored; a failure is an alert event",
	  "Attestation", NULL, 200 },
	{ "POST", "/api/v1/agent/attest/log", on_log, BH_CTL_AUTH_ANY,
	  "A chunk of a node's event log too big for one request, under the nonce it will "
	  "quote over: in order (offset: the bytes held; 0 starts), each acknowledged with the "
	  "bytes held (offset); 409 out of order or overlapping, 413 past 4 MiB; the quote then "
	  "names log_bytes instead of log",
	  "AttestChunk", NULL, 200 },
	{ "GET", "/api/v1/attestations", on_list, BH_CTL_READER,
	  "Each node's last attestation (verified or failed and why, PCR digest, pinned key) "
	  "and its containers' last verified launches",
	  NULL, NULL, 200 },
	{ "POST", "/api/v1/attestations/unpin", on_unpin, BH_CTL_ADMIN,
	  "Forget a node's pinned attestation key and verified log (trust on first use again)",
	  "AttestNode", NULL, 200 },
};

static void schemas(json_t *components)
{
	json_t *v = json_pack(
		"{s{sss{s{sssisiss}}s[s]sb}"
		" s{sss{s{sssisiss}s{sssiss}s{ssss}s{ssss}s{sssisi}s{sssisI}s{ss}}s[sssssss]sb}}",
		"AttestNode", "type", "object", "properties", "node", "type", "string", "minLength",
		1, "maxLength", BH_CTL_NAME_MAX, "pattern", "^[A-Za-z0-9_@][A-Za-z0-9._@-]*$",
		"required", "node", "additionalProperties", 0, "Attestation", "type", "object",
		"properties", "node", "type", "string", "minLength", 1, "maxLength",
		BH_CTL_NAME_MAX, "pattern", "^[A-Za-z0-9_@][A-Za-z0-9._@-]*$", "nonce", "type",
		"string", "maxLength", 2 * BH_TPM_NONCE_MAX, "pattern", "^[0-9a-f]+$", "quote",
		"type", "string", "format", "byte", "sig", "type", "string", "format", "byte", "ak",
		"type", "string", "minLength", 10, "maxLength", BH_CTL_ATTEST_AK_MAX, "from",
		"type", "integer", "minimum", 0, "maximum", (json_int_t)BH_CTL_ATTEST_LOG_MAX,
		"log", "type", "string", "required", "node", "nonce", "quote", "sig", "ak", "from",
		"log", "additionalProperties", 0);
	json_t *chunk = json_pack(
		"{s{sss{s{sssisiss}s{sssiss}s{sssisI}s{sssisi}}s[ssss]sb}}", "AttestChunk", "type",
		"object", "properties", "node", "type", "string", "minLength", 1, "maxLength",
		BH_CTL_NAME_MAX, "pattern", "^[A-Za-z0-9_@][A-Za-z0-9._@-]*$", "nonce", "type",
		"string", "maxLength", 2 * BH_TPM_NONCE_MAX, "pattern", "^[0-9a-f]+$", "offset",
		"type", "integer", "minimum", 0, "maximum", (json_int_t)BH_CTL_ATTEST_LOG_MAX - 1,
		"log", "type", "string", "minLength", 1, "maxLength", BH_CTL_ATTEST_CHUNK_MAX,
		"required", "node", "nonce", "offset", "log", "additionalProperties", 0);
	json_t *att = json_object_get(json_object_get(v, "Attestation"), "properties");

	/* the log sent in chunks instead: log_bytes, not log */
	json_object_set_new(att, "log_bytes",
			    json_pack("{sssisI}", "type", "integer", "minimum", 1, "maximum",
				      (json_int_t)BH_CTL_ATTEST_LOG_MAX));
	json_object_set_new(json_object_get(v, "Attestation"), "required",
			    json_pack("[ssssss]", "node", "nonce", "quote", "sig", "ak", "from"));
	json_object_update(components, v);
	json_object_update(components, chunk);
	json_decref(v);
	json_decref(chunk);
}

const struct bh_ctl_endpoints bh_ctl_api_attest = { endpoints,
						    sizeof(endpoints) / sizeof(endpoints[0]),
						    schemas };
