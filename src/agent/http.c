/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's HTTPS client to the controller (src/agent/http.h): libcurl,
 * loaded on first use (src/lazy/curl.h), https only, the node token as a
 * bearer, the answer's body bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/http.h"
#include "bulkhead/ctl.h"
#include "lazy/curl.h"
#include "banned.h"

#define RESP_MAX (BH_CTL_BODY_MAX + 4096) /* a policy version at its bound */

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
	struct agent_http *h = data;

	if (bh_buf_add(&h->resp, p, size * n, NULL) < 0)
		return 0;
	return size * n;
}

int agent_http_open(struct agent_http *h, const struct bh_agent_opts *o, struct bh_error **err)
{
	CURL *c;
	char *auth;

	h->o = o;
	h->resp = (struct bh_buf)BH_BUF_INIT(RESP_MAX);

	if (bh_lazy_require(&bh_lazy_curl, err) < 0)
		return bh_error_prefix(err, "the agent needs libcurl");
	c = h->c = curl_easy_init();
	if (!c)
		return bh_error_set(err, BH_ERR_INTERNAL, "agent: curl_easy_init failed");
	auth = bh_asprintf("Authorization: Bearer %s", o->token);
	h->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	h->hdrs = curl_slist_append(h->hdrs, auth);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout_ms ? o->timeout_ms : 5000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(o->timeout_ms ? o->timeout_ms : 5000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	if (o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	return 0;
}

int agent_http_request(struct agent_http *h, const char *path, const char *body, size_t len,
		       json_t **out, struct bh_error **err)
{
	CURL *c = h->c;
	const struct bh_agent_opts *o = h->o;
	char *url = bh_asprintf("%s%s", o->controller, path);
	long code = 0;
	CURLcode cc;
	int rc = -1;

	*out = NULL;
	h->ctl_error = false;
	bh_buf_reset(&h->resp);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	h->code = cc == CURLE_OK ? code : 0;
	if (cc != CURLE_OK) {
		bh_error_set(err, BH_ERR_IO, "controller %s: %s", o->controller,
			     curl_easy_strerror(cc));
	} else if (code == 401) {
		bh_error_set(err, BH_ERR_UNSAFE,
			     "controller %s refused the node token (401: revoked, expired or "
			     "wrong): nothing is shipped until it is replaced",
			     o->controller);
	} else if (code == 304 && !body) {
		rc = 0; /* *out NULL: nothing new */
	} else if (code != 200) {
		const char *msg = NULL;
		json_t *j = NULL;

		if (bh_json_parse(h->resp.data ? h->resp.data : "", h->resp.len, RESP_MAX, "answer",
				  &j, NULL) == 0)
			msg = bh_json_str(j, "error");
		h->ctl_error = msg != NULL;
		bh_error_set(err, BH_ERR_IO, "controller %s: %s %s: HTTP %ld%s%s", o->controller,
			     body ? "POST" : "GET", path, code, msg ? ": " : "", msg ? msg : "");
		json_decref(j);
	} else if (bh_json_parse(h->resp.data ? h->resp.data : "", h->resp.len, RESP_MAX,
				 "the controller's answer", out, err) == 0) {
		rc = 0;
	}
	free(url);
	return rc;
}

void agent_http_close(struct agent_http *h)
{
	if (h->c)
		curl_easy_cleanup(h->c);
	if (h->hdrs)
		curl_slist_free_all(h->hdrs);
	bh_buf_release(&h->resp);
	h->c = NULL;
	h->hdrs = NULL;
}
