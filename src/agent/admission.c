/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime's and the webhook's admission decisions spooled as events
 * (src/agent/admission.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/admission.h"
#include "bulkhead/agent.h"
#include "banned.h"

#define CURSOR_MAGIC "bulkhead admission cursor 1"
#define POLL_MAX     256 /* entries a poll: the spool's batches stay bounded */

int agent_adm_open(struct agent_adm *a, const char *root, const char *state_dir,
		   struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(256);
	struct bh_error *e = NULL;

	(void)err;
	memset(a, 0, sizeof(*a));
	if (!root)
		return 0;
	a->root = bh_strdup(root);
	a->cursor = bh_asprintf("%s/admission.cursor", state_dir);
	if (bh_read_file(a->cursor, &b, &e) == 0) {
		unsigned long long d, i, o;
		char tail;

		/* the whole file, or nothing: a cursor we cannot read starts at 0 */
		if (b.data &&
		    sscanf(b.data, CURSOR_MAGIC " %llu %llu %llu%c", &d, &i, &o, &tail) == 4 &&
		    tail == '\n') {
			a->cur.dev = d;
			a->cur.ino = i;
			a->cur.off = o;
		}
	}
	bh_error_free(e);
	bh_buf_release(&b);
	return 0;
}

void agent_adm_close(struct agent_adm *a)
{
	free(a->root);
	free(a->cursor);
	memset(a, 0, sizeof(*a));
}

/* s cut to n bytes (not inside a UTF-8 sequence), or NULL */
static json_t *cut(const char *s, size_t n)
{
	size_t l;

	if (!s)
		return NULL;
	l = strlen(s);
	if (l > n) {
		l = n;
		while (l && ((unsigned char)s[l] & 0xc0) == 0x80)
			l--;
	}
	return json_stringn(s, l);
}

static json_t *str_cut(const json_t *o, const char *k, size_t n)
{
	return cut(bh_json_str(o, k), n);
}

static void put(json_t *o, const char *k, json_t *v)
{
	if (v)
		json_object_set_new(o, k, v);
}

static const char *rule_of(const json_t *r)
{
	const char *s = bh_json_str(r, "rule");

	return s && *s ? s : NULL;
}

char *agent_adm_event(const json_t *entry)
{
	const char *dec = bh_json_str(entry, "decision"), *id = bh_json_str(entry, "id");
	const json_t *rules = bh_json_arr(entry, "rules");
	json_t *data, *rs, *ctr, *ev, *wl;
	json_int_t ts = 0;
	const char *rule = NULL, *sev, *src = bh_json_str(entry, "source");
	bool warned = false, webhook = src && !strcmp(src, "webhook");
	bool dry = webhook && json_is_true(json_object_get(entry, "dry_run"));
	size_t i;
	json_t *r;
	char *s;

	if (!dec || (strcmp(dec, "allow") && strcmp(dec, "deny") && strcmp(dec, "error")) || !id ||
	    !*id || !bh_json_int(entry, "ts", &ts) || ts <= 0 || ts > 253402300799)
		return NULL;
	data = json_object();
	rs = json_array();
	ctr = json_object();
	if (!data || !rs || !ctr) {
		json_decref(data);
		json_decref(rs);
		json_decref(ctr);
		return NULL;
	}
	json_array_foreach (rules, i, r) {
		json_t *o;
		const char *act = bh_json_str(r, "action");

		if (i >= 8 || !json_is_object(r) || !rule_of(r) || !act)
			continue;
		o = json_object();
		if (!o)
			break;
		put(o, "rule", str_cut(r, "rule", 128));
		put(o, "action", str_cut(r, "action", 16));
		put(o, "section", str_cut(r, "section", 16));
		put(o, "message", str_cut(r, "message", 300));
		json_array_append_new(rs, o);
		if (!strcmp(act, "warn"))
			warned = true;
		if (!strcmp(dec, "deny") ? !strcmp(act, "enforce") && !rule : !rule)
			rule = rule_of(r);
	}
	if (!rule && !strcmp(dec, "deny") && json_array_size(rs))
		rule = rule_of(json_array_get(rs, 0));
	if (!rule)
		rule = !strcmp(dec, "error")  ? "policy-error"
		       : !strcmp(dec, "deny") ? "policy-deny"
					      : "admitted";
	/* a dry run refused nothing: INFO, its decision in data */
	sev = dry ? "INFO" : strcmp(dec, "allow") ? "DENY" : warned ? "WARN" : "INFO";
	json_object_set_new(data, "source", json_string(webhook ? "webhook" : "runtime"));
	json_object_set_new(data, "decision", json_string(dec));
	if (webhook) {
		const char *ns = bh_json_str(entry, "namespace"), *nm = bh_json_str(entry, "name");
		const char *op = bh_json_str(entry, "operation");

		/* the request: uid, kind, namespace, name, operation, dry run */
		put(ctr, "uid", str_cut(entry, "id", 128));
		put(ctr, "kind", str_cut(entry, "kind", 64));
		put(ctr, "namespace", str_cut(entry, "namespace", 253));
		put(ctr, "name", str_cut(entry, "name", 253));
		if (op && (!strcmp(op, "CREATE") || !strcmp(op, "UPDATE") ||
			   !strcmp(op, "DELETE") || !strcmp(op, "CONNECT")))
			put(ctr, "operation", json_string(op));
		json_object_set_new(ctr, "dry_run", json_boolean(dry));
		json_object_set_new(data, "request", ctr);
		put(data, "message", str_cut(entry, "message", 1024));
		/* the workload: namespace/name (cut to the controller's 512), else the uid */
		if (nm && *nm) {
			char *w = bh_asprintf("%s%s%s", ns && *ns ? ns : "", ns && *ns ? "/" : "",
					      nm);

			wl = cut(w, 507);
			free(w);
		} else {
			wl = str_cut(entry, "id", 128);
		}
	} else {
		put(ctr, "id", str_cut(entry, "id", 256));
		put(ctr, "name", str_cut(entry, "name", 256));
		json_object_set_new(data, "container", ctr);
		put(data, "image", str_cut(entry, "image", 512));
		put(data, "digest", str_cut(entry, "digest", 128));
		wl = str_cut(entry,
			     bh_json_str(entry, "name") && *bh_json_str(entry, "name") ? "name"
										       : "id",
			     256);
	}
	put(data, "reason", str_cut(entry, "reason", 1024));
	json_object_set_new(data, "rules", rs);
	/* the rule as the controller takes it: 128 bytes at most */
	ev = json_pack("{sIsssssoso}", "ts", ts, "kind", "admission", "severity", sev, "rule",
		       cut(rule, 128), "data", data);
	if (!ev) {
		json_decref(wl);
		return NULL;
	}
	put(ev, "workload", wl);
	s = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (s && strlen(s) > BH_AGENT_RECORD_MAX) {
		free(s);
		return NULL;
	}
	return s;
}

struct poll_ctx {
	const struct agent_net_hooks *h;
	size_t n;
	uint64_t skipped;
};

static int take(void *data, const json_t *entry, struct bh_error **err)
{
	struct poll_ctx *p = data;
	char *s = agent_adm_event(entry);
	int rc;

	if (!s) {
		p->skipped++; /* not a decision: skipped, the cursor goes past it */
		return 0;
	}
	rc = p->h->event(p->h->data, s, strlen(s), err);
	free(s);
	if (rc < 0)
		return -1;
	p->n++;
	return 0;
}

static int save(struct agent_adm *a, struct bh_error **err)
{
	char line[128];
	int l = snprintf(line, sizeof(line), CURSOR_MAGIC " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			 a->cur.dev, a->cur.ino, a->cur.off);

	return bh_write_file_replace(a->cursor, line, (size_t)l, 0600, err);
}

int agent_adm_poll(struct agent_adm *a, const struct agent_net_hooks *h, size_t *n,
		   struct bh_error **err)
{
	struct poll_ctx p = { h, 0, 0 };
	struct bh_rt_admit_cursor was = a->cur;
	int rc;

	*n = 0;
	if (!a->root)
		return 0;
	rc = bh_rt_admit_log_read(a->root, &a->cur, POLL_MAX, take, &p, &a->bad, err);
	a->bad += p.skipped;
	*n = p.n;
	a->events += p.n;
	/* what was appended before a failure is synced too, and the cursor kept
	 * past it */
	if (p.n && h->sync && h->sync(h->data, rc < 0 ? NULL : err) < 0) {
		a->cur = was; /* read again next time: the events may not be on disk */
		return -1;
	}
	if (memcmp(&was, &a->cur, sizeof(was)) && save(a, rc < 0 ? NULL : err) < 0)
		return -1;
	return rc < 0 ? -1 : 0;
}
