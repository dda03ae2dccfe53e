/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dashboard's files (src/ctl/web.c): every route answers with its type,
 * the strict CSP and an ETag; a matching If-None-Match gets 304 and no body;
 * the If-None-Match reader with hostile values (at a guard page: no read past
 * the length).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bulkhead/ctl.h"
#include "bulkhead/http.h"
#include "unit.h"

static const char *header(const char *const *h, const char *name)
{
	for (; h && h[0]; h += 2)
		if (!strcmp(h[0], name))
			return h[1];
	return NULL;
}

static void call(const struct bh_http_route *r, const char *inm, struct bh_http_response *resp)
{
	struct bh_http_request req = { .method = r->method, .path = r->path, .if_none_match = inm };

	memset(resp, 0, sizeof(*resp));
	bh_buf_init(&resp->body, 1u << 20);
	r->handler(r->ctx, &req, resp);
}

static void every_file_has_type_csp_and_etag(void **state)
{
	size_t n;
	const struct bh_http_route *r = bh_ctl_web_routes(&n);
	bool root = false, app = false;
	size_t heads = 0;

	(void)state;
	assert_true(n >= 3);
	for (size_t i = 0; i < n; i++) {
		struct bh_http_response resp;
		const char *csp, *etag;
		char *etag_copy;

		if (!strcmp(r[i].method, "HEAD")) {
			/* HEAD: no body, the length GET's would have (GET's route first) */
			size_t k;
			char len[24];

			for (k = 0;
			     k < n && (strcmp(r[k].path, r[i].path) || strcmp(r[k].method, "GET"));
			     k++)
				;
			assert_true(k < i);
			call(&r[k], NULL, &resp);
			snprintf(len, sizeof(len), "%zu", resp.body.len);
			bh_buf_release(&resp.body);
			call(&r[i], NULL, &resp);
			assert_int_equal(resp.status, 200);
			assert_int_equal(resp.body.len, 0);
			assert_string_equal(header(resp.headers, "Content-Length"), len);
			assert_non_null(header(resp.headers, "Content-Security-Policy"));
			bh_buf_release(&resp.body);
			heads++;
			continue;
		}
		assert_string_equal(r[i].method, "GET");
		call(&r[i], NULL, &resp);
		assert_int_equal(resp.status, 200);
		assert_true(resp.body.len > 0);
		csp = header(resp.headers, "Content-Security-Policy");
		assert_non_null(csp);
		assert_non_null(strstr(csp, "default-src 'self'"));
		assert_non_null(strstr(csp, "frame-ancestors 'none'"));
		assert_null(strstr(csp, "unsafe"));
		assert_string_equal(header(resp.headers, "X-Frame-Options"), "DENY");
		etag = header(resp.headers, "ETag");
		assert_non_null(etag);
		assert_int_equal(etag[0], '"');
		if (!strcmp(r[i].path, "/")) {
			root = true;
			assert_string_equal(resp.content_type, "text/html; charset=utf-8");
		}
		if (!strcmp(r[i].path, "/app.js")) {
			app = true;
			assert_string_equal(resp.content_type, "text/javascript; charset=utf-8");
		}
		etag_copy = bh_strdup(etag);
		bh_buf_release(&resp.body);
		call(&r[i], etag_copy, &resp);
		assert_int_equal(resp.status, 304);
		assert_int_equal(resp.body.len, 0);
		assert_non_null(header(resp.headers, "Content-Security-Policy"));
		bh_buf_release(&resp.body);
		call(&r[i], "\"other\"", &resp);
		assert_int_equal(resp.status, 200);
		bh_buf_release(&resp.body);
		free(etag_copy);
	}
	assert_true(root);
	assert_true(app);
	assert_int_equal(heads * 2, n); /* every file answers HEAD too */
}

/* h copied to the end of a page followed by a PROT_NONE page */
static bool match_at_guard(const char *h, const char *etag)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = strlen(h);
	char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	bool ok;

	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + pg, (size_t)pg, PROT_NONE), 0);
	memcpy(m + pg - len, h, len);
	ok = bh_ctl_web_etag_match(m + pg - len, len, etag);
	munmap(m, (size_t)pg * 2);
	return ok;
}

static void if_none_match_is_read_strictly(void **state)
{
	const char *t = "\"abc\"";
	char big[BH_CTL_WEB_INM_MAX + 16];

	(void)state;
	assert_true(match_at_guard("\"abc\"", t));
	assert_true(match_at_guard("W/\"abc\"", t));
	assert_true(match_at_guard("\"x\", W/\"abc\"", t));
	assert_true(match_at_guard(" \"x\" ,\t\"abc\" ", t));
	assert_true(match_at_guard("*", t));
	assert_false(match_at_guard("*x", t));
	assert_false(match_at_guard("\"abcd\"", t));
	assert_false(match_at_guard("\"ab", t));
	assert_false(match_at_guard("\"abc", t));
	assert_false(match_at_guard("W/", t));
	assert_false(match_at_guard("W", t));
	assert_false(match_at_guard(",,,", t));
	assert_false(match_at_guard("", t));
	assert_false(match_at_guard("x\"abc\"", t));
	assert_false(bh_ctl_web_etag_match(NULL, 0, t));
	/* a NUL inside the length is a byte like any other */
	assert_false(bh_ctl_web_etag_match("\"ab\0\"", 5, t));
	/* over the limit: never a match, whatever it holds */
	memset(big, ' ', sizeof(big));
	memcpy(big, t, 5);
	assert_true(bh_ctl_web_etag_match(big, BH_CTL_WEB_INM_MAX, t));
	assert_false(bh_ctl_web_etag_match(big, sizeof(big), t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_file_has_type_csp_and_etag),
		cmocka_unit_test(if_none_match_is_read_strictly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
