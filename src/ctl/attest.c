/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's attestations (include/bulkhead/ctl_attest.h): nonces
 * (table attest_nonces), each node's last verification, pinned key and
 * verified log (attest_nodes), each container's last verified launch
 * (attest_launches). The quote is checked by bh_tpm_verify, the library
 * function behind `bulkhead attest verify`, on files written to a private
 * temporary directory (0700) removed after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/ctl_attest.h"
#include "bulkhead/trust.h"
#include "banned.h"

/* ---- the body ---------------------------------------------------------------------------- */

static const char *const keys[] = { "node", "nonce", "quote",	  "sig", "ak",
				    "from", "log",   "log_bytes", NULL };

static int b64_member(json_t *root, const char *key, struct bh_buf *out, struct bh_error **err)
{
	json_t *v = json_object_get(root, key);

	if (!json_is_string(v) || !json_string_length(v))
		return bh_error_set(err, BH_ERR_INVALID, "%s: expected a base64 string", key);
	return bh_base64_decode(json_string_value(v), json_string_length(v), key, out, err);
}

int bh_ctl_attest_parse(const char *buf, size_t len, struct bh_ctl_attest_in *in,
			struct bh_error **err)
{
	const char *key, *s;
	json_t *v;
	ssize_t k;

	memset(in, 0, sizeof(*in));
	bh_buf_init(&in->quote, BH_TPM_FILE_MAX);
	bh_buf_init(&in->sig, BH_TPM_FILE_MAX);
	if (bh_ctl_json_object(buf, len, "request body", &in->root, err) < 0)
		return -1;
	json_object_foreach (in->root, key, v) {
		size_t i;

		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (!keys[i])
			return bh_error_set(err, BH_ERR_INVALID, "%.64s: unknown member", key);
	}
	if (bh_ctl_json_str(json_object_get(in->root, "node"), "node", BH_CTL_NAME_MAX, in->node,
			    err) < 0)
		return -1;
	if (!bh_ctl_name_valid(in->node, strlen(in->node)))
		return bh_error_set(err, BH_ERR_INVALID, "node: not a node name");
	v = json_object_get(in->root, "nonce");
	s = json_is_string(v) ? json_string_value(v) : "";
	k = json_is_string(v) && json_string_length(v) <= 2 * BH_TPM_NONCE_MAX
		    ? bh_hex_decode(s, json_string_length(v), 0, in->nonce, BH_TPM_NONCE_MAX)
		    : -1;
	if (k <= 0)
		return bh_error_set(err, BH_ERR_INVALID,
				    "nonce: expected 1 to %d bytes in lower-case hex",
				    BH_TPM_NONCE_MAX);
	in->nonce_len = (size_t)k;
	if (b64_member(in->root, "quote", &in->quote, err) < 0 ||
	    b64_member(in->root, "sig", &in->sig, err) < 0)
		return -1;
	v = json_object_get(in->root, "ak");
	if (!json_is_string(v) || json_string_length(v) < 10 ||
	    json_string_length(v) > BH_CTL_ATTEST_AK_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v) ||
	    strncmp(json_string_value(v), "-----BEGIN", 10))
		return bh_error_set(err, BH_ERR_INVALID,
				    "ak: expected the attestation key as PEM (at most %d bytes)",
				    BH_CTL_ATTEST_AK_MAX);
	in->ak = json_string_value(v);
	v = json_object_get(in->root, "from");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
		  json_integer_value(v) > (json_int_t)BH_CTL_ATTEST_LOG_MAX))
		return bh_error_set(err, BH_ERR_INVALID, "from: expected a recnum >= 0");
	in->from = v ? (int64_t)json_integer_value(v) : 0;
	in->log_bytes = -1;
	v = json_object_get(in->root, "log_bytes");
	if (v) { /* ctlmisc19: the log sent before in chunks */
		if (json_object_get(in->root, "log"))
			return bh_error_set(err, BH_ERR_INVALID,
					    "log_bytes: the log is sent in chunks or in \"log\", "
					    "not both");
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > (json_int_t)BH_CTL_ATTEST_LOG_MAX)
			return bh_error_set(err, BH_ERR_INVALID,
					    "log_bytes: expected the bytes sent in chunks, 1 to %u",
					    BH_CTL_ATTEST_LOG_MAX);
		in->log_bytes = (int64_t)json_integer_value(v);
		in->log = "";
		return 0;
	}
	v = json_object_get(in->root, "log");
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return bh_error_set(err, BH_ERR_INVALID,
				    "log: expected the event log's entries as JSON lines");
	in->log = json_string_value(v);
	in->log_len = json_string_length(v);
	if (in->log_len && in->log[in->log_len - 1] != '\n')
		return bh_error_set(err, BH_ERR_INVALID, "log: ends in a partial entry");
	return 0;
}

void bh_ctl_attest_release(struct bh_ctl_attest_in *in)
{
	bh_buf_release(&in->quote);
	bh_buf_release(&in->sig);
	json_decref(in->root);
	in->root = NULL;
}

int bh_ctl_attest_node_parse(const char *buf, size_t len, char node[BH_CTL_NAME_MAX + 1],
			     struct bh_error **err)
{
	json_t *root = NULL;
	int r = -1;

	node[0] = 0;
	if (bh_ctl_json_object(buf, len, "request body", &root, err) < 0)
		return -1;
	if (json_object_size(root) != 1 || !json_object_get(root, "node"))
		bh_error_set(err, BH_ERR_INVALID, "request body: expected {\"node\": NAME}");
	else if (bh_ctl_json_str(json_object_get(root, "node"), "node", BH_CTL_NAME_MAX, node,
				 err) == 0 &&
		 !bh_ctl_name_valid(node, strlen(node)))
		bh_error_set(err, BH_ERR_INVALID, "node: not a node name");
	else if (node[0])
		r = 0;
	json_decref(root);
	return r;
}

/* ---- nonces ------------------------------------------------------------------------------ */

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

int bh_ctl_attest_nonce(struct bh_ctl_store *s, const char *node,
			char hex[2 * BH_CTL_ATTEST_NONCE_LEN + 1], int64_t *have, int64_t *expires,
			struct bh_error **err)
{
	uint8_t r[BH_CTL_ATTEST_NONCE_LEN];
	int64_t now = now_s();
	struct bh_ctl_val p[] = { BH_CTL_S(node), BH_CTL_S(hex),
				  BH_CTL_I(now + BH_CTL_ATTEST_NONCE_TTL) };
	struct bh_ctl_val q[] = { BH_CTL_S(node) };

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return bh_error_sys(err, errno, "attestation nonce: getrandom");
	bh_hex_encode(r, sizeof(r), hex);
	*expires = now + BH_CTL_ATTEST_NONCE_TTL;
	*have = 0;
	/* a log sent in chunks under the last nonce is of no use now */
	if (bh_ctl_store_query(s, "DELETE FROM attest_chunks WHERE node = ?", q, 1, NULL, NULL,
			       NULL, err) < 0 ||
	    bh_ctl_store_query(s,
			       "INSERT INTO attest_nonces (node, nonce, expires) VALUES (?, ?, ?)"
			       " ON CONFLICT (node) DO UPDATE SET nonce = excluded.nonce,"
			       " expires = excluded.expires",
			       p, 3, NULL, NULL, NULL, err) < 0 ||
	    bh_ctl_store_query(s, "SELECT entries FROM attest_nodes WHERE node = ?", q, 1,
			       bh_ctl_row_int, have, NULL, err) < 0)
		return bh_error_prefix(err, "attestation nonce of node %s", node);
	return 0;
}

/* ---- verification ------------------------------------------------------------------------ */

struct node_row {
	bool found;
	char *ak, *log;
	int64_t entries;
};

static int node_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct node_row *r = ctx;

	if (n != 3)
		return bh_error_set(err, BH_ERR_INTERNAL, "attest_nodes: %zu columns", n);
	r->found = true;
	r->ak = c[0].null ? NULL : bh_strdup(c[0].s);
	r->log = c[1].null ? NULL : bh_strdup(c[1].s);
	r->entries = c[2].null ? 0 : c[2].i;
	return 0;
}

static int write_in(const char *dir, const char *name, const void *p, size_t n,
		    struct bh_error **err)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bh_write_file_atomic(path, p, n, 0600, err);
}

/* The PCRs the log's entries extend, and the default measurement PCR. */
static uint32_t log_pcrs(const char *log, size_t n)
{
	uint32_t mask = 1u << BH_TPM_DEFAULT_PCR;
	json_t *entries = NULL, *e;
	size_t i;

	if (bh_tpm_log_parse(log, n, &entries, NULL) < 0)
		return mask;
	json_array_foreach (entries, i, e) {
		json_int_t pcr = -1;

		if (bh_json_int(e, "pcr", &pcr) && pcr >= 0 && pcr < BH_TPM_PCRS)
			mask |= 1u << pcr;
	}
	json_decref(entries);
	return mask;
}

/* bh_tpm_verify on the files of in and log: *rep its report, or a failed one
 * with the error as the reason for input it cannot read. */
static int verify(const struct bh_ctl_attest_in *in, const struct bh_buf *log, json_t **rep,
		  struct bh_error **err)
{
	char dir[] = "/tmp/bulkhead-attest-XXXXXX", p[4][sizeof(dir) + 16];
	struct bh_tpm_verify_in vi = { 0 };
	struct bh_error *e = NULL;
	char *d;
	int r = -1;

	*rep = NULL;
	if (!(d = mkdtemp(dir)))
		return bh_error_sys(err, errno, "attestation: a temporary directory");
	if (write_in(d, "log", log->data ? log->data : "", log->len, err) < 0 ||
	    write_in(d, "quote.msg", in->quote.data, in->quote.len, err) < 0 ||
	    write_in(d, "quote.sig", in->sig.data, in->sig.len, err) < 0 ||
	    write_in(d, "ak.pem", in->ak, strlen(in->ak), err) < 0)
		goto out;
	snprintf(p[0], sizeof(p[0]), "%s/log", d);
	snprintf(p[1], sizeof(p[1]), "%s/quote.msg", d);
	snprintf(p[2], sizeof(p[2]), "%s/quote.sig", d);
	snprintf(p[3], sizeof(p[3]), "%s/ak.pem", d);
	vi.log = p[0];
	vi.quote = p[1];
	vi.sig = p[2];
	vi.ak = p[3];
	vi.nonce = in->nonce;
	vi.nonce_len = in->nonce_len;
	vi.required = log_pcrs(log->data ? log->data : "", log->len);
	if (bh_tpm_verify(&vi, rep, &e) < 0) {
		char *m = bh_error_message(e);

		*rep = json_pack("{sbss}", "verified", 0, "reason", m ? m : "unreadable input");
		free(m);
		bh_error_free(e);
	}
	r = 0;
out:
	if (bh_remove_tree(AT_FDCWD, d, r < 0 ? NULL : err) < 0)
		r = -1;
	return r;
}

struct submit {
	struct bh_ctl_store *s;
	const char *actor;
	const struct bh_ctl_attest_in *in;
	const struct node_row *row;
	const json_t *rep;
	const struct bh_buf *log;
	bool verified, pin;
	const char *reason, *pcr_digest;
	int64_t now, entries, launches;
};

static int store_launches(struct submit *t, struct bh_error **err)
{
	json_t *l, *launched = json_object_get(t->rep, "launched");
	size_t i;

	json_array_foreach (launched, i, l) {
		json_int_t rec = -1;
		const char *id = bh_json_str(l, "container");
		struct bh_ctl_val p[] = { BH_CTL_S(t->in->node),
					  BH_CTL_S(id),
					  BH_CTL_S(bh_json_str(l, "image")),
					  BH_CTL_S(bh_json_str(l, "image_manifest_digest")),
					  BH_CTL_S(bh_json_str(l, "config_digest")),
					  BH_CTL_I(0),
					  BH_CTL_I(t->now) };

		if (!id)
			continue;
		bh_json_int(l, "recnum", &rec);
		p[5] = BH_CTL_I(rec);
		if (bh_ctl_store_query(
			    t->s,
			    "INSERT INTO attest_launches (node, container_id, image,"
			    " manifest_digest, config_digest, recnum, verified_at)"
			    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node, container_id)"
			    " DO UPDATE SET image = excluded.image, manifest_digest ="
			    " excluded.manifest_digest, config_digest = excluded.config_digest,"
			    " recnum = excluded.recnum, verified_at = excluded.verified_at"
			    " WHERE attest_launches.recnum <> excluded.recnum",
			    p, 7, NULL, NULL, NULL, err) < 0)
			return -1;
		t->launches++;
	}
	return 0;
}

static int submit_tx(void *ctx, struct bh_error **err)
{
	struct submit *t = ctx;
	const char *node = t->in->node;
	struct bh_ctl_val p[] = {
		BH_CTL_S(node),	     BH_CTL_I(t->now),	      BH_CTL_I(t->verified ? 1 : 0),
		BH_CTL_S(t->reason), BH_CTL_S(t->pcr_digest), BH_CTL_I(t->verified ? 0 : 1)
	};

	/* the nonce is used: a log sent in chunks under it goes (ctlmisc19) */
	if (bh_ctl_store_query(t->s, "DELETE FROM attest_chunks WHERE node = ?", p, 1, NULL, NULL,
			       NULL, err) < 0)
		return -1;
	if (bh_ctl_store_query(
		    t->s,
		    "INSERT INTO attest_nodes (node, last_at, verified, reason, pcr_digest,"
		    " failures, entries) VALUES (?, ?, ?, ?, ?, ?, 0)"
		    " ON CONFLICT (node) DO UPDATE SET last_at = excluded.last_at,"
		    " verified = excluded.verified, reason = excluded.reason,"
		    " pcr_digest = COALESCE(excluded.pcr_digest, attest_nodes.pcr_digest),"
		    " failures = attest_nodes.failures + excluded.failures",
		    p, 6, NULL, NULL, NULL, err) < 0)
		return -1;
	if (t->verified) {
		struct bh_ctl_val q[] = { BH_CTL_S(t->log->data ? t->log->data : ""),
					  BH_CTL_I(t->entries),
					  BH_CTL_I(t->now),
					  BH_CTL_S(t->in->ak),
					  BH_CTL_I(t->now),
					  BH_CTL_S(node),
					  BH_CTL_S(t->in->ak) };
		int64_t pinned = 0;

		/* the pin read before this transaction may have been set since by
		 * another submit of this node (its own nonce): the key is compared
		 * again where it is written, and nothing stored when it differs */
		if (bh_ctl_store_query(t->s,
				       "UPDATE attest_nodes SET log_text = ?, entries = ?,"
				       " verified_at = ?, ak_pem = COALESCE(ak_pem, ?),"
				       " pinned = COALESCE(pinned, ?) WHERE node = ?"
				       " AND (ak_pem IS NULL OR ak_pem = ?)",
				       q, 7, NULL, NULL, &pinned, err) < 0)
			return -1;
		if (pinned != 1)
			return bh_error_set(
				err, BH_ERR_USAGE,
				"another attestation of node %s pinned its key meanwhile: "
				"attest again",
				node);
		if (store_launches(t, err) < 0)
			return -1;
		if (t->pin) {
			json_t *a = json_pack("{ss}", "ak", bh_json_str(t->rep, "ak"));
			int r = bh_ctl_audit_add(t->s, t->actor, "node.pin", node, NULL, a, err);

			json_decref(a);
			if (r < 0)
				return -1;
		}
	} else {
		json_t *a = json_pack("{sbss}", "verified", 0, "reason", t->reason);
		int r = bh_ctl_audit_add(t->s, t->actor, "node.attest", node, NULL, a, err);

		json_decref(a);
		if (r < 0)
			return -1;
	}
	return 0;
}

static size_t count_lines(const struct bh_buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

int bh_ctl_attest_submit(struct bh_ctl_store *s, const char *actor,
			 const struct bh_ctl_attest_in *in, json_t **result, struct bh_error **err)
{
	struct node_row row = { 0 };
	struct bh_ctl_val q[] = { BH_CTL_S(in->node) };
	struct bh_buf log = BH_BUF_INIT(BH_CTL_ATTEST_LOG_MAX);
	struct submit t = {
		s, actor, in, &row, NULL, &log, false, false, NULL, NULL, now_s(), 0, 0
	};
	char hex[2 * BH_TPM_NONCE_MAX + 1], reason[BH_CTL_ATTEST_REASON_MAX + 1];
	json_t *rep = NULL;
	int64_t used = 0;
	bool ak_changed = false;
	int r = -1;

	*result = NULL;
	if (bh_ctl_store_query(s,
			       "SELECT ak_pem, log_text, entries FROM attest_nodes WHERE node = ?",
			       q, 1, node_row, &row, NULL, err) < 0)
		goto out;
	if (in->from && in->from != row.entries) {
		bh_error_set(err, BH_ERR_USAGE,
			     "the controller holds %lld verified entries of node %s's log, not "
			     "%lld: send the log from recnum 0",
			     (long long)row.entries, in->node, (long long)in->from);
		goto out;
	}
	if (in->from && row.log && bh_buf_adds(&log, row.log, err) < 0)
		goto out;
	bh_hex_encode(in->nonce, in->nonce_len, hex);
	if (in->log_bytes >= 0) { /* ctlmisc19: the log sent in chunks */
		if (bh_ctl_attest_chunks_get(s, in->node, hex, in->log_bytes, &log, err) < 0) {
			bh_error_prefix(err, "node %s's event log", in->node);
			goto out;
		}
		if (log.len && log.data[log.len - 1] != '\n') {
			bh_error_set(err, BH_ERR_INVALID,
				     "node %s's event log sent in chunks ends in a partial entry",
				     in->node);
			goto out;
		}
	} else if (bh_buf_add(&log, in->log, in->log_len, err) < 0) {
		bh_error_prefix(err, "node %s's event log", in->node);
		goto out;
	}
	{
		struct bh_ctl_val p[] = { BH_CTL_S(in->node), BH_CTL_S(hex), BH_CTL_I(t.now) };

		/* single use: whoever deletes it has it */
		if (bh_ctl_store_query(s,
				       "DELETE FROM attest_nonces WHERE node = ? AND nonce = ?"
				       " AND expires >= ?",
				       p, 3, NULL, NULL, &used, err) < 0)
			goto out;
	}
	if (used != 1) {
		rep = json_pack("{sbss}", "verified", 0, "reason",
				"the nonce was not issued to this node, was used already or "
				"expired (ask for a new one)");
	} else if (row.ak && strcmp(row.ak, in->ak)) {
		ak_changed = true;
		rep = json_pack("{sbss}", "verified", 0, "reason",
				"the attestation key is not the one pinned for this node (trust "
				"on first use): refused until an admin unpins the node");
	} else if (verify(in, &log, &rep, err) < 0) {
		goto out;
	}
	t.rep = rep;
	t.verified = json_is_true(json_object_get(rep, "verified"));
	snprintf(reason, sizeof(reason), "%s",
		 bh_json_str(rep, "reason") ? bh_json_str(rep, "reason") : "");
	t.reason = t.verified ? NULL : reason;
	t.pcr_digest = t.verified ? bh_json_str(rep, "quote_pcr_digest") : NULL;
	t.entries = (int64_t)count_lines(&log);
	t.pin = t.verified && !row.ak;
	if (bh_ctl_store_tx(s, submit_tx, &t, err) < 0) {
		bh_error_prefix(err, "storing node %s's attestation", in->node);
		goto out;
	}
	*result = json_pack("{ss sb ss? sI sI ss? sb so}", "node", in->node, "verified", t.verified,
			    "reason", t.reason, "entries",
			    (json_int_t)(t.verified ? t.entries : row.entries), "launches",
			    (json_int_t)t.launches, "pcr_digest", t.pcr_digest, "ak_changed",
			    ak_changed, "time", bh_ctl_json_time(t.now));
	r = 0;
out:
	json_decref(rep);
	bh_buf_release(&log);
	free(row.ak);
	free(row.log);
	return r;
}

/* ---- reading ----------------------------------------------------------------------------- */

static int launch_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	json_t *nodes = ctx, *node;

	if (n != 7)
		return bh_error_set(err, BH_ERR_INTERNAL, "attest_launches: %zu columns", n);
	node = json_object_get(nodes, c[0].s);
	if (!node)
		return 0;
	json_array_append_new(json_object_get(node, "launches"),
			      json_pack("{sososososo}", "id", bh_ctl_col_str(&c[1]), "image",
					bh_ctl_col_str(&c[2]), "manifest_digest",
					bh_ctl_col_str(&c[3]), "config_digest",
					bh_ctl_col_str(&c[4]), "recnum", bh_ctl_col_int(&c[5])));
	json_object_set_new(json_array_get(json_object_get(node, "launches"),
					   json_array_size(json_object_get(node, "launches")) - 1),
			    "time", bh_ctl_col_time(&c[6]));
	return 0;
}

struct list {
	json_t *arr, *by;
};

static int node_list_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct list *l = ctx;
	json_t *o;
	char id[80] = "";

	if (n != 9)
		return bh_error_set(err, BH_ERR_INTERNAL, "attest_nodes: %zu columns", n);
	if (!c[7].null) {
		struct bh_key *k = NULL;

		if (bh_key_parse_public(c[7].s, strlen(c[7].s), &k, NULL) == 0)
			snprintf(id, sizeof(id), "%s", bh_key_id(k));
		bh_key_free(k);
	}
	o = json_pack("{sososbsosososIs[]}", "node", bh_ctl_col_str(&c[0]), "last",
		      bh_ctl_col_time(&c[1]), "verified", c[2].i == 1, "reason",
		      bh_ctl_col_str(&c[3]), "pcr_digest", bh_ctl_col_str(&c[4]), "verified_at",
		      bh_ctl_col_time(&c[5]), "entries", (json_int_t)(c[6].null ? 0 : c[6].i),
		      "launches");
	json_object_set_new(o, "ak", id[0] ? json_string(id) : json_null());
	json_object_set_new(o, "failures", bh_ctl_col_int(&c[8]));
	json_array_append_new(l->arr, o);
	json_object_set(l->by, c[0].s, o);
	return 0;
}

int bh_ctl_attest_list(struct bh_ctl_store *s, json_t **out, struct bh_error **err)
{
	struct list l = { json_array(), json_object() };

	*out = NULL;
	if (bh_ctl_store_query(s,
			       "SELECT node, last_at, verified, reason, pcr_digest, verified_at,"
			       " entries, ak_pem, failures FROM attest_nodes ORDER BY node",
			       NULL, 0, node_list_row, &l, NULL, err) < 0 ||
	    bh_ctl_store_query(s,
			       "SELECT node, container_id, image, manifest_digest, config_digest,"
			       " recnum, verified_at FROM attest_launches ORDER BY node, recnum",
			       NULL, 0, launch_row, l.by, NULL, err) < 0) {
		json_decref(l.arr);
		json_decref(l.by);
		return -1;
	}
	json_decref(l.by);
	*out = l.arr;
	return 0;
}

struct unpin {
	struct bh_ctl_store *s;
	const char *actor, *node;
};

static int unpin_tx(void *ctx, struct bh_error **err)
{
	struct unpin *u = ctx;
	struct bh_ctl_val p[] = { BH_CTL_S(u->node) };
	int64_t n = 0;

	if (bh_ctl_store_query(
		    u->s,
		    "UPDATE attest_nodes SET ak_pem = NULL, pinned = NULL, log_text = NULL,"
		    " entries = 0 WHERE node = ?",
		    p, 1, NULL, NULL, &n, err) < 0)
		return -1;
	if (n != 1)
		return bh_error_set(err, BH_ERR_NOTFOUND, "node %s has no attestation", u->node);
	/* its launches were verified with the key unpinned: none stands now */
	if (bh_ctl_store_query(u->s, "DELETE FROM attest_launches WHERE node = ?", p, 1, NULL, NULL,
			       NULL, err) < 0)
		return -1;
	return bh_ctl_audit_add(u->s, u->actor, "node.unpin", u->node, NULL, NULL, err);
}

int bh_ctl_attest_unpin(struct bh_ctl_store *s, const char *actor, const char *node,
			struct bh_error **err)
{
	struct unpin u = { s, actor, node };

	return bh_ctl_store_tx(s, unpin_tx, &u, err);
}

static int metric_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	if (n != 2)
		return bh_error_set(err, BH_ERR_INTERNAL, "attestation metric: %zu columns", n);
	return bh_buf_addf(ctx, err, "bulkhead_node_attestation_verified{node=\"%s\"} %d\n", c[0].s,
			   c[1].i == 1);
}

int bh_ctl_attest_metrics(struct bh_ctl_store *s, struct bh_buf *out, struct bh_error **err)
{
	int64_t launches = 0;

	if (bh_buf_adds(out,
			"# HELP bulkhead_node_attestation_verified Whether the node's last TPM "
			"attestation verified (1) or failed (0).\n"
			"# TYPE bulkhead_node_attestation_verified gauge\n",
			err) < 0 ||
	    bh_ctl_store_query(s, "SELECT node, verified FROM attest_nodes ORDER BY node", NULL, 0,
			       metric_row, out, NULL, err) < 0 ||
	    bh_ctl_store_query(s, "SELECT COUNT(*) FROM attest_launches", NULL, 0, bh_ctl_row_int,
			       &launches, NULL, err) < 0)
		return -1;
	return bh_buf_addf(out, err,
			   "# HELP bulkhead_attested_launches Container launches verified by a "
			   "node's TPM quote.\n"
			   "# TYPE bulkhead_attested_launches gauge\n"
			   "bulkhead_attested_launches %lld\n",
			   (long long)launches);
}
