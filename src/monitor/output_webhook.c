// SPDX-License-Identifier: Apache-2.0
/*
 * The webhook output: each batch POSTed as one JSON array (Content-Type
 * application/json) on the output's own thread. A request gets timeout_ms
 * in all (connect included); a transport error or a 5xx is retried up to
 * `retries` times with a doubling pause from 100 ms; a 4xx is not (the
 * receiver refused this batch). A batch that was not delivered is dropped
 * and counted by the pipeline, which never waits for it: a dead or slow
 * receiver costs only its own queue. libcurl is loaded on first use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/version.h"
#include "lazy/curl.h"
#include "pipeline_internal.h"
#include "banned.h"

#define BODY_MAX (64u << 20)

struct out_webhook {
	char *url;
	long timeout_ms;
	unsigned retries;
	CURL *c;
	struct curl_slist *hdrs;
};

static size_t discard(char *p, size_t size, size_t n, void *data)
{
	return size * n;
}

static int wh_open(const struct bh_mon_output_opts *o, void **impl, char *name, size_t namesz,
		   struct bh_error **err)
{
	struct out_webhook *w;

	if (!o->url ||
	    (!bh_str_has_prefix(o->url, "http://") && !bh_str_has_prefix(o->url, "https://")))
		return bh_error_set(err, BH_ERR_USAGE, "webhook: '%s' is not an http(s) URL",
				    o->url ? o->url : "");
	if (bh_lazy_require(&bh_lazy_curl, err) < 0)
		return bh_error_prefix(err, "the webhook output needs libcurl");
	w = bh_calloc(1, sizeof(*w));
	w->url = bh_strdup(o->url);
	w->timeout_ms = o->timeout_ms ? (long)o->timeout_ms : 5000;
	w->retries = o->retries ? o->retries : 2;
	w->c = curl_easy_init();
	if (!w->c) {
		free(w->url);
		free(w);
		return bh_error_set(err, BH_ERR_INTERNAL, "webhook: curl_easy_init failed");
	}
	w->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(w->c, CURLOPT_URL, w->url);
	curl_easy_setopt(w->c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(w->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->c, CURLOPT_USERAGENT, "bulkhead/" BH_VERSION);
	curl_easy_setopt(w->c, CURLOPT_HTTPHEADER, w->hdrs);
	curl_easy_setopt(w->c, CURLOPT_TIMEOUT_MS, w->timeout_ms);
	curl_easy_setopt(w->c, CURLOPT_CONNECTTIMEOUT_MS, w->timeout_ms);
	curl_easy_setopt(w->c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(w->c, CURLOPT_POST, 1L);
	snprintf(name, namesz, "webhook %s", o->url);
	*impl = w;
	return 0;
}

static int wh_write(void *impl, const struct mon_msg *msgs, const struct mon_json *const *js,
		    size_t n, const atomic_bool *stop, struct bh_error **err)
{
	struct out_webhook *w = impl;
	struct bh_buf b = BH_BUF_INIT(BODY_MAX);
	unsigned pause_ms = 100;
	int rc = -1;

	if (bh_buf_addc(&b, '[', err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((i && bh_buf_addc(&b, ',', err) < 0) ||
		    bh_buf_add(&b, js[i]->s, js[i]->len, err) < 0)
			goto out;
	if (bh_buf_addc(&b, ']', err) < 0)
		goto out;
	curl_easy_setopt(w->c, CURLOPT_POSTFIELDS, b.data);
	curl_easy_setopt(w->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b.len);
	for (unsigned attempt = 0;; attempt++) {
		CURLcode cc = curl_easy_perform(w->c);
		long code = 0;

		curl_easy_getinfo(w->c, CURLINFO_RESPONSE_CODE, &code);
		if (cc == CURLE_OK && code >= 200 && code < 300) {
			rc = 0;
			break;
		}
		if (cc == CURLE_OK && code < 500) {
			bh_error_set(err, BH_ERR_IO, "webhook %s: HTTP %ld", w->url, code);
			break;
		}
		if (attempt >= w->retries || atomic_load(stop)) {
			if (cc != CURLE_OK)
				bh_error_set(err, BH_ERR_IO, "webhook %s: %s (%u attempts)", w->url,
					     curl_easy_strerror(cc), attempt + 1);
			else
				bh_error_set(err, BH_ERR_IO, "webhook %s: HTTP %ld (%u attempts)",
					     w->url, code, attempt + 1);
			break;
		}
		for (unsigned t = 0; t < pause_ms && !atomic_load(stop); t += 10)
			usleep(10000);
		pause_ms *= 2;
	}
out:
	bh_buf_release(&b);
	return rc;
}

static void wh_close(void *impl)
{
	struct out_webhook *w = impl;

	if (!w)
		return;
	curl_easy_cleanup(w->c);
	curl_slist_free_all(w->hdrs);
	free(w->url);
	free(w);
}

const struct mon_output_ops mon_output_webhook = {
	.open = wh_open,
	.write = wh_write,
	.close = wh_close,
};
