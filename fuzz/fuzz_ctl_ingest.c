/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agents' request bodies (src/ctl/ingest_body.c): the first byte chooses
 * the parser (a batch of events, a workloads report, a registration), the
 * rest is the body. What is accepted must hold its invariants: a valid node
 * name, counts and seqs within their bounds, every event with a kind and a
 * time, every workload with an id; a failure says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"
#include "ctl/ingest_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* What the one-pass scan (src/ctl/ingest_scan.c) takes, the tree parse
 * takes too, with the same members: the scan never accepts more. */
static void scan_vs_tree(const char *body, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_batch s, t;

	if (bh_ctl_batch_scan(body, size, &s) != 0)
		return;
	if (bh_ctl_batch_parse_tree(body, size, &t, &err) < 0)
		abort();
	if (strcmp(s.node, t.node) || s.first_seq != t.first_seq || s.n != t.n)
		abort();
	for (size_t i = 0; i < s.n; i++) {
		json_t *v = json_loads(s.ev[i].json, JSON_REJECT_DUPLICATES, NULL);

		if (!v || !json_equal(v, t.ev[i].item) || s.ev[i].ts != t.ev[i].ts ||
		    !same_str(s.ev[i].kind, t.ev[i].kind) ||
		    !same_str(s.ev[i].rule, t.ev[i].rule) ||
		    !same_str(s.ev[i].severity, t.ev[i].severity) ||
		    !same_str(s.ev[i].workload, t.ev[i].workload) ||
		    !same_str(s.ev[i].output,
			      bh_json_str(json_object_get(t.ev[i].item, "data"), "output")))
			abort();
		json_decref(v);
	}
	bh_ctl_batch_release(&s);
	bh_ctl_batch_release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_batch b;
	struct bh_ctl_workloads w;
	struct bh_ctl_register r;
	unsigned sel;
	int rc;

	if (size < 1)
		return 0;
	sel = data[0] % 3;
	data++;
	size--;
	if (sel == 0) {
		rc = bh_ctl_batch_parse((const char *)data, size, &b, &err);
		if (rc == 0) {
			if (!bh_ctl_name_valid(b.node, strlen(b.node)) || b.n > BH_CTL_BATCH_MAX ||
			    b.first_seq < 1 || b.first_seq + (int64_t)b.n - 1 > BH_CTL_SEQ_MAX)
				abort();
			for (size_t i = 0; i < b.n; i++)
				if (!b.ev[i].kind || strlen(b.ev[i].kind) > BH_CTL_KIND_MAX ||
				    b.ev[i].ts < 0 || (!b.ev[i].item && !b.ev[i].json) ||
				    (b.ev[i].rule && strlen(b.ev[i].rule) > BH_CTL_RULE_MAX))
					abort();
			/* an event's text, when found, is the same event as parsed */
			for (size_t i = 0; i < b.n; i++) {
				json_t *v;

				if (!b.ev[i].json)
					continue;
				v = json_loads(b.ev[i].json, JSON_REJECT_DUPLICATES, NULL);
				if (!v || (b.ev[i].item && !json_equal(v, b.ev[i].item)))
					abort();
				json_decref(v);
			}
		}
		bh_ctl_batch_release(&b);
		scan_vs_tree((const char *)data, size);
	} else if (sel == 1) {
		rc = bh_ctl_workloads_parse((const char *)data, size, &w, &err);
		if (rc == 0) {
			if (!bh_ctl_name_valid(w.node, strlen(w.node)) ||
			    w.n > BH_CTL_WORKLOADS_MAX)
				abort();
			for (size_t i = 0; i < w.n; i++)
				if (!w.w[i].id || strlen(w.w[i].id) > BH_CTL_FIELD_MAX)
					abort();
		}
		bh_ctl_workloads_release(&w);
	} else {
		rc = bh_ctl_register_parse((const char *)data, size, &r, &err);
		if (rc == 0 && (!bh_ctl_name_valid(r.node, strlen(r.node)) || !r.agent_version[0]))
			abort();
	}
	if ((rc < 0) != (err != NULL))
		abort();
	bh_error_free(err);
	return 0;
}
