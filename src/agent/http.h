/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the agent (src/agent/agent.c): its HTTPS client to the controller
 * (src/agent/http.c), libcurl loaded on first use. One handle, used by the
 * shipper thread alone: the connection is kept between requests.
 */
#ifndef BULKHEAD_AGENT_HTTP_H
#define BULKHEAD_AGENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "bulkhead/agent.h"
#include "bulkhead/base.h"

struct agent_http {
	const struct bh_agent_opts *o;
	void *c;		 /* CURL * */
	struct curl_slist *hdrs; /* the token's and the content type's */
	struct bh_buf resp;	 /* the last answer's body, bounded */
	long code;		 /* the last answer's HTTP status (0: none came) */
	bool ctl_error;		 /* ... carrying the controller's own {"error": ...} */
};

/* The handle for o's controller, token, CA and timeout. */
int agent_http_open(struct agent_http *h, const struct bh_agent_opts *o, struct bh_error **err);
/*
 * POST body (GET when body is NULL) to the controller's path: *out the JSON
 * answer of a 200 (NULL for a GET answered 304). 401 is BH_ERR_UNSAFE,
 * another status or a transport error BH_ERR_IO naming it (and the
 * controller's error message when it sent one: h->ctl_error).
 */
int agent_http_request(struct agent_http *h, const char *path, const char *body, size_t len,
		       json_t **out, struct bh_error **err);
void agent_http_close(struct agent_http *h);

#endif
