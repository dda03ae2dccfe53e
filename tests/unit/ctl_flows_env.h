/* SPDX-License-Identifier: Apache-2.0 */
/* What the flows store tests share (test_ctl_flows, test_ctl_retention): one
 * agent's flows body ingested, its stored and acked counts checked. */
#ifndef BULKHEAD_TEST_CTL_FLOWS_ENV_H
#define BULKHEAD_TEST_CTL_FLOWS_ENV_H

#include "ctl/flows.h"

/* A body of node from first_seq: the records given (JSON, comma-separated). */
static void ingest(struct bh_ctl_store *s, const char *node, int64_t first, const char *records,
		   int64_t want_stored, int64_t want_acked)
{
	char *body = bh_asprintf("{\"node\":\"%s\",\"first_seq\":%lld,\"records\":[%s]}", node,
				 (long long)first, records);
	struct bh_ctl_flows f;
	struct bh_ctl_flows_result res;
	struct bh_error *err = NULL;

	if (bh_ctl_flows_parse(body, strlen(body), &f, &err) < 0)
		fail_msg("parse: %s", bh_error_message(err));
	if (bh_ctl_flows_ingest(s, node, &f, &res, &err) < 0)
		fail_msg("ingest: %s", bh_error_message(err));
	assert_int_equal(res.stored, want_stored);
	assert_int_equal(res.acked, want_acked);
	bh_ctl_flows_release(&f);
	free(body);
}

#endif
