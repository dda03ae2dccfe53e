/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The webhook's decisions in the admission decision log (webhook19): each
 * validating review the policy evaluated (allowed, denied, or an error) is
 * one line of <dir>/.admission@log, the log the runtime writes at create
 * (src/runtime/admit_log.c, same format and API), with "source":"webhook"
 * and the request (uid as id, kind, namespace, name, operation, dry_run).
 * `bulkhead agent --admission-root DIR` tails it and reports each as an
 * event of kind "admission" (src/agent/admission.c): one delivery path.
 * A log that cannot be written never changes or delays the answer beyond
 * the one append: counted (metrics), warned about once.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "bulkhead/admission.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

#define RULES_MAX 8

/* s cut to at most n bytes, not inside a UTF-8 sequence (s is valid UTF-8:
 * it came from a parsed review or the policy) */
static void put_cut(json_t *o, const char *k, const char *s, size_t n)
{
	size_t l;
	json_t *v;

	if (!s || !*s)
		return;
	l = strlen(s);
	if (l > n) {
		l = n;
		while (l && ((unsigned char)s[l] & 0xc0) == 0x80)
			l--;
	}
	v = json_stringn(s, l);
	if (v)
		json_object_set_new(o, k, v);
}

static const char *op_name(enum bh_adm_operation op)
{
	switch (op) {
	case BH_ADM_CREATE: return "CREATE";
	case BH_ADM_UPDATE: return "UPDATE";
	case BH_ADM_DELETE: return "DELETE";
	case BH_ADM_CONNECT: return "CONNECT";
	}
	return NULL;
}

/* the object's name: request.name, else metadata.name, else generateName */
static const char *name_of(const struct bh_adm_request *rq)
{
	const json_t *meta = bh_json_obj(rq->object, "metadata");
	const char *s = rq->name;

	if (!s || !*s)
		s = bh_json_str(meta, "name");
	if (!s || !*s)
		s = bh_json_str(meta, "generateName");
	return s;
}

json_t *adm_log_entry(const struct bh_adm_request *rq, const char *decision,
		      const struct bh_policy_result *res, const char *message, const char *reason)
{
	json_t *e = json_object(), *rules = json_array();

	if (!e || !rules) {
		json_decref(e);
		json_decref(rules);
		return NULL;
	}
	json_object_set_new(e, "ts", json_integer((json_int_t)time(NULL)));
	json_object_set_new(e, "decision", json_string(decision));
	json_object_set_new(e, "source", json_string("webhook"));
	put_cut(e, "id", rq->uid, BH_ADM_UID_MAX);
	put_cut(e, "kind", rq->kind, 64);
	put_cut(e, "namespace", rq->namespace, 253);
	put_cut(e, "name", name_of(rq), 253);
	if (rq->kind && op_name(rq->operation))
		json_object_set_new(e, "operation", json_string(op_name(rq->operation)));
	json_object_set_new(e, "dry_run", json_boolean(rq->dry_run));
	put_cut(e, "message", message, 1024);
	put_cut(e, "reason", reason, 1024);
	for (size_t i = 0; res && i < res->n && json_array_size(rules) < RULES_MAX; i++) {
		const struct bh_policy_hit *h = &res->v[i];
		json_t *r = json_object();

		if (!r)
			break;
		put_cut(r, "rule", h->rule, 128);
		json_object_set_new(r, "action", json_string(bh_policy_action_name(h->action)));
		put_cut(r, "section", h->section, 16);
		put_cut(r, "message", h->message, 300);
		json_array_append_new(rules, r);
	}
	json_object_set_new(e, "rules", rules);
	return e;
}
