/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live updates (http17): GET /api/v1/stream, Server-Sent Events from the
 * hub (src/ctl/stream.c) on a long-lived response of the HTTP layer (no
 * worker held per client), and POST /api/v1/stream/ticket, a single-use
 * ticket for EventSource (which cannot send an Authorization header; the
 * token never goes in a URL). A stream needs a user's token, reader or
 * above; the token is checked again every BH_CTL_STREAM_RECHECK seconds and
 * the stream ends (an `end` event) when it is revoked or expired. A comment
 * line every BH_CTL_STREAM_HEARTBEAT seconds keeps proxies from closing it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl/api_int.h"
#include "ctl/stream.h"
#include "banned.h"

#define BH_CTL_STREAM_RECHECK	5
#define BH_CTL_STREAM_HEARTBEAT 15

struct stream_ctx {
	struct bh_ctl_api *a;
	struct bh_ctl_stream_sub *sub;
	char tok[BH_CTL_STREAM_TOKEN_MAX + 1];
	int64_t checked, sent; /* CLOCK_MONOTONIC seconds */
	bool hello;
};

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* 0 when tok is a user's token with role reader or above, else the status. */
static int stream_auth(struct bh_ctl_api *a, const char *tok, const char **msg)
{
	struct bh_ctl_principal who;
	struct bh_error *err = NULL;

	if (bh_ctl_authenticate(a->store, tok, strlen(tok), &who, &err) < 0) {
		int internal = bh_error_code(err) != BH_ERR_UNSAFE;

		if (internal)
			bh_error_warn(&err, "stream");
		bh_error_free(err);
		*msg = internal ? "internal error (see the controller's log)"
				: "invalid, expired or revoked token";
		return internal ? 500 : 401;
	}
	if (who.node || who.role < BH_CTL_READER) {
		*msg = "the stream needs a user's token (a reader's is enough)";
		return 403;
	}
	return 0;
}

static int stream_pull(void *ctx, struct bh_buf *out)
{
	struct stream_ctx *s = ctx;
	int64_t now = mono_s();
	const char *msg;

	if (!s->hello) {
		s->hello = true;
		bh_buf_adds(out, ": bulkhead live updates\nretry: 3000\n\n", NULL);
	}
	if (now - s->checked >= BH_CTL_STREAM_RECHECK) {
		s->checked = now;
		if (stream_auth(s->a, s->tok, &msg) == 401) {
			bh_buf_adds(
				out,
				"event: end\ndata: {\"reason\":\"token revoked or expired\"}\n\n",
				NULL);
			return -1;
		}
	}
	if (bh_ctl_stream_take(s->sub, out) == 0 && now - s->sent >= BH_CTL_STREAM_HEARTBEAT)
		bh_buf_adds(out, ": heartbeat\n\n", NULL);
	if (out->len)
		s->sent = now;
	return 0;
}

static void stream_done(void *ctx)
{
	struct stream_ctx *s = ctx;

	bh_ctl_stream_sub_free(s->sub);
	explicit_bzero(s->tok, sizeof(s->tok));
	free(s);
}

static const struct bh_http_stream_ops stream_ops = { stream_pull, stream_done };

/* The request's bearer token into tok; false when there is none. */
static bool bearer_tok(const struct bh_http_request *req, char tok[BH_CTL_STREAM_TOKEN_MAX + 1])
{
	const char *h = req->authorization;
	size_t len;

	if (!h || strncasecmp(h, "Bearer ", 7))
		return false;
	for (h += 7; *h == ' '; h++)
		;
	len = strlen(h);
	while (len && h[len - 1] == ' ')
		len--;
	if (!len || len > BH_CTL_STREAM_TOKEN_MAX)
		return false;
	memcpy(tok, h, len);
	tok[len] = 0;
	return true;
}

static void on_stream(struct bh_ctl_call *c)
{
	static const char *const retry[] = { "WWW-Authenticate", "Bearer", NULL };
	char tok[BH_CTL_STREAM_TOKEN_MAX + 1], ticket[BH_CTL_TICKET_LEN + 8];
	struct stream_ctx *s;
	const char *msg = NULL;
	int rc, st;

	/* the ticket, single use, when there is one; else the header */
	if ((rc = bh_ctl_call_query(c, "ticket", ticket, sizeof(ticket))) < 0)
		return;
	if (rc) {
		if (bh_ctl_stream_redeem(c->a->stream, ticket, time(NULL), tok) < 0)
			return bh_ctl_reply_error(c, 401, "unknown, used or expired stream ticket");
	} else if (!bearer_tok(c->req, tok)) {
		c->resp->headers = retry;
		return bh_ctl_reply_error(c, 401,
					  "authentication required: Authorization: "
					  "Bearer TOKEN, or ?ticket= from POST "
					  "/api/v1/stream/ticket");
	}
	if ((st = stream_auth(c->a, tok, &msg)) != 0) {
		explicit_bzero(tok, sizeof(tok));
		return bh_ctl_reply_error(c, st, msg);
	}
	s = bh_calloc(1, sizeof(*s));
	s->sub = bh_ctl_stream_sub_new(c->a->stream);
	if (!s->sub) {
		free(s);
		explicit_bzero(tok, sizeof(tok));
		c->resp->retry_after = 5;
		return bh_ctl_reply_error(c, 503,
					  "too many live streams open (serve "
					  "--max-streams)");
	}
	s->a = c->a;
	memcpy(s->tok, tok, sizeof(s->tok));
	explicit_bzero(tok, sizeof(tok));
	s->checked = s->sent = mono_s();
	c->resp->status = 200;
	c->resp->content_type = "text/event-stream";
	bh_buf_reset(&c->resp->body);
	c->resp->stream = &stream_ops;
	c->resp->stream_ctx = s;
}

static void on_ticket(struct bh_ctl_call *c)
{
	char tok[BH_CTL_STREAM_TOKEN_MAX + 1], ticket[BH_CTL_TICKET_LEN + 1];
	struct bh_error *err = NULL;
	unsigned retry;

	if (!bearer_tok(c->req, tok))
		return bh_ctl_reply_error(c, 400,
					  "a stream ticket is made from the caller's bearer token "
					  "(1 to 256 bytes): none usable in Authorization");
	if (bh_ctl_stream_ticket(c->a->stream, c->who->token_id, tok, strlen(tok), time(NULL),
				 ticket, &retry, &err) < 0) {
		explicit_bzero(tok, sizeof(tok));
		if (retry) { /* every slot holds another's live ticket */
			char *msg = bh_error_message(err);

			bh_ctl_reply_error(c, 429, msg ? msg : "too many stream tickets");
			c->resp->retry_after = retry;
			free(msg);
			bh_error_free(err);
			return;
		}
		return bh_ctl_reply_fail(c, err);
	}
	explicit_bzero(tok, sizeof(tok));
	bh_ctl_reply_json(c, 201,
			  json_pack("{sssi}", "ticket", ticket, "expires_in", BH_CTL_TICKET_TTL));
}

/* ---- what the streams see ----------------------------------------------------------------- */

void bh_ctl_stream_events(struct bh_ctl_stream_hub *h, const char *node,
			  const struct bh_ctl_event_in *ev, const int64_t *seqs, size_t n)
{
	if (!h || !bh_ctl_stream_count(h))
		return;
	for (size_t i = 0; i < n; i++)
		bh_ctl_stream_publish(h, "alert",
				      json_pack("{sssIsIssss?ss?ss?}", "node", node, "seq",
						(json_int_t)seqs[i], "ts", (json_int_t)ev[i].ts,
						"kind", ev[i].kind, "rule", ev[i].rule, "severity",
						ev[i].severity, "workload", ev[i].workload));
}

/* The POSTs whose success the dashboard's views want to hear of. */
static const struct {
	const char *path, *event;
} changes[] = {
	/* flows: published by POST /api/v1/agent/flows itself, with its new edges */
	{ "/api/v1/agent/workloads", "workloads" }, { "/api/v1/agent/register", "workloads" },
	{ "/api/v1/quarantine", "action" },	    { "/api/v1/release", "action" },
	{ "/api/v1/workloads/mode", "action" },	    { "/api/v1/agent/actions", "action" },
};

void bh_ctl_stream_changed(struct bh_ctl_api *a, const char *path,
			   const struct bh_ctl_principal *who, const struct bh_http_response *resp)
{
	json_t *result;
	size_t i;

	if (!a->stream || !bh_ctl_stream_count(a->stream))
		return;
	for (i = 0; i < sizeof(changes) / sizeof(changes[0]) && strcmp(changes[i].path, path); i++)
		;
	if (i == sizeof(changes) / sizeof(changes[0]))
		return;
	/* the response says what changed (counts, the action queued): small JSON */
	result = json_loadb((const char *)resp->body.data, resp->body.len, 0, NULL);
	bh_ctl_stream_publish(a->stream, changes[i].event,
			      json_pack("{ssss?ss?so*}", "path", path, "by", who ? who->name : NULL,
					"node", who && who->node ? who->name : NULL, "result",
					result));
}

void bh_ctl_stream_openapi(json_t *paths)
{
	json_t *op = json_object_get(json_object_get(paths, "/api/v1/stream"), "get");
	json_t *resp = json_object_get(op, "responses");

	if (!op || !resp)
		return;
	json_object_set_new(op, "security", json_pack("[{s[]}]", "bearer"));
	json_object_set_new(op, "x-bulkhead-role", json_string("reader"));
	json_object_set_new(
		resp, "200",
		json_pack("{ss s{s{s{ss}}}}", "description",
			  "Server-Sent Events until the token ends or the client leaves", "content",
			  "text/event-stream", "schema", "type", "string"));
	json_object_set_new(resp, "401",
			    json_pack("{ss}", "description", "no valid token or ticket"));
	json_object_set_new(resp, "403", json_pack("{ss}", "description", "a node's token"));
	json_object_set_new(resp, "503",
			    json_pack("{ss}", "description", "--max-streams are open"));
}

/* ---- endpoints ---------------------------------------------------------------------------- */

static const struct bh_ctl_endpoint v[] = {
	{ "GET", "/api/v1/stream", on_stream, BH_CTL_AUTH_NONE,
	  "Live updates as Server-Sent Events (text/event-stream): alert, flows, workloads, "
	  "action, dropped, end; a reader's token in Authorization, or ?ticket= (one use); "
	  "503 when --max-streams are open",
	  NULL, "ticket", 200 },
	{ "POST", "/api/v1/stream/ticket", on_ticket, BH_CTL_READER,
	  "A single-use ticket for GET /api/v1/stream (EventSource), valid 30 s; a token holds at "
	  "most 8 (a ninth replaces its oldest); 429 with Retry-After when all 1024 are others'",
	  NULL, NULL, 201 },
};

const struct bh_ctl_endpoints bh_ctl_api_stream = { v, sizeof(v) / sizeof(v[0]), NULL };
