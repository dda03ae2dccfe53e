/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An attestation log too big for one request (ctlmisc19,
 * include/bulkhead/ctl_attest.h): the agent sends it in chunks under the
 * nonce it will quote over, each acknowledged with the bytes held; the
 * controller keeps one partial per node (table attest_chunks, at most
 * BH_CTL_ATTEST_LOG_MAX bytes) in the store, so a chunk may reach any
 * replica; the submit (src/ctl/attest.c) takes the complete log and verifies
 * it against the quote. A chunk is appended by one UPDATE that also checks
 * the bytes held, so two chunks at once never both land at one offset.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/ctl_attest.h"
#include "banned.h"

static const char *const keys[] = { "node", "nonce", "offset", "log", NULL };

int bh_ctl_attest_chunk_parse(const char *buf, size_t len, struct bh_ctl_attest_chunk *c,
			      struct bh_error **err)
{
	const char *key;
	json_t *v;
	size_t n;

	memset(c, 0, sizeof(*c));
	if (bh_ctl_json_object(buf, len, "request body", &c->root, err) < 0)
		return -1;
	json_object_foreach (c->root, key, v) {
		size_t i;

		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (!keys[i])
			return bh_error_set(err, BH_ERR_INVALID, "%.64s: unknown member", key);
	}
	if (bh_ctl_json_str(json_object_get(c->root, "node"), "node", BH_CTL_NAME_MAX, c->node,
			    err) < 0)
		return -1;
	if (!bh_ctl_name_valid(c->node, strlen(c->node)))
		return bh_error_set(err, BH_ERR_INVALID, "node: not a node name");
	v = json_object_get(c->root, "nonce");
	n = json_is_string(v) ? json_string_length(v) : 0;
	if (!n || n > 2 * BH_TPM_NONCE_MAX || n % 2 ||
	    strspn(json_string_value(v), "0123456789abcdef") != n)
		return bh_error_set(err, BH_ERR_INVALID,
				    "nonce: expected 1 to %d bytes in lower-case hex",
				    BH_TPM_NONCE_MAX);
	memcpy(c->nonce, json_string_value(v), n + 1);
	v = json_object_get(c->root, "offset");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= (json_int_t)BH_CTL_ATTEST_LOG_MAX)
		return bh_error_set(err, BH_ERR_INVALID,
				    "offset: expected a byte offset from 0 to %u",
				    BH_CTL_ATTEST_LOG_MAX - 1);
	c->offset = (int64_t)json_integer_value(v);
	v = json_object_get(c->root, "log");
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
	    !json_string_length(v))
		return bh_error_set(err, BH_ERR_INVALID,
				    "log: expected a piece of the event log (1 or more bytes)");
	if (json_string_length(v) > BH_CTL_ATTEST_CHUNK_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "log: a chunk of %zu bytes (at most %u)",
				    json_string_length(v), BH_CTL_ATTEST_CHUNK_MAX);
	c->log = json_string_value(v);
	c->log_len = json_string_length(v);
	return 0;
}

void bh_ctl_attest_chunk_release(struct bh_ctl_attest_chunk *c)
{
	json_decref(c->root);
	c->root = NULL;
}

/* ---- the store ----------------------------------------------------------------------------- */

struct partial {
	bool found;
	char *nonce, *log;
	int64_t bytes;
};

static int partial_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct partial *p = ctx;

	if (n != 3)
		return bh_error_set(err, BH_ERR_INTERNAL, "attest_chunks: %zu columns", n);
	p->found = true;
	p->nonce = bh_strdup(c[0].null ? "" : c[0].s);
	p->bytes = c[1].i;
	p->log = c[2].null ? NULL : bh_strdup(c[2].s);
	return 0;
}

static int partial_read(struct bh_ctl_store *s, const char *node, bool text, struct partial *p,
			struct bh_error **err)
{
	struct bh_ctl_val q[] = { BH_CTL_S(node) };

	memset(p, 0, sizeof(*p));
	return bh_ctl_store_query(
		s,
		text ? "SELECT nonce, bytes, log_text FROM attest_chunks"
		       " WHERE node = ?"
		     : "SELECT nonce, bytes, NULL FROM attest_chunks WHERE node = ?",
		q, 1, partial_row, p, NULL, err);
}

static void partial_free(struct partial *p)
{
	free(p->nonce);
	free(p->log);
	memset(p, 0, sizeof(*p));
}

struct add {
	struct bh_ctl_store *s;
	const struct bh_ctl_attest_chunk *c;
	int64_t held, now;
};

/* The chunk again (its answer lost): its bytes are the held ones' end. */
static int same_again(struct add *a, bool *same, struct bh_error **err)
{
	struct partial p;
	int r = partial_read(a->s, a->c->node, true, &p, err);

	*same = r == 0 && p.log && p.bytes == (int64_t)strlen(p.log) &&
		a->c->offset + (int64_t)a->c->log_len == p.bytes &&
		!memcmp(p.log + a->c->offset, a->c->log, a->c->log_len);
	partial_free(&p);
	return r;
}

static int add_tx(void *ctx, struct bh_error **err)
{
	struct add *a = ctx;
	const struct bh_ctl_attest_chunk *c = a->c;
	struct bh_ctl_val q[] = { BH_CTL_S(c->node), BH_CTL_S(c->nonce), BH_CTL_I(a->now) };
	int64_t issued = 0, changed = 0, end = c->offset + (int64_t)c->log_len;
	struct partial p;
	bool same = false;
	int r;

	if (bh_ctl_store_query(a->s,
			       "SELECT COUNT(*) FROM attest_nonces WHERE node = ? AND nonce = ?"
			       " AND expires >= ?",
			       q, 3, bh_ctl_row_int, &issued, NULL, err) < 0)
		return -1;
	if (issued != 1)
		return bh_error_set(err, BH_ERR_USAGE,
				    "the nonce was not issued to node %s, was used already or "
				    "expired: ask for a new one and send the log from offset 0",
				    c->node);
	if (end > (int64_t)BH_CTL_ATTEST_LOG_MAX)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "node %s's log sent in chunks would pass %u bytes", c->node,
				    BH_CTL_ATTEST_LOG_MAX);
	if (partial_read(a->s, c->node, false, &p, err) < 0)
		return -1;
	if (!p.found || strcmp(p.nonce, c->nonce)) {
		partial_free(&p);
		if (c->offset != 0)
			return bh_error_set(err, BH_ERR_USAGE,
					    "no log of node %s was started for this nonce: send "
					    "it from offset 0, not %lld",
					    c->node, (long long)c->offset);
		{
			struct bh_ctl_val v[] = { BH_CTL_S(c->node), BH_CTL_S(c->nonce),
						  BH_CTL_I((int64_t)c->log_len), BH_CTL_S(c->log),
						  BH_CTL_I(a->now) };

			if (bh_ctl_store_query(
				    a->s,
				    "INSERT INTO attest_chunks (node, nonce, bytes, log_text,"
				    " updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT (node) DO UPDATE"
				    " SET nonce = excluded.nonce, bytes = excluded.bytes,"
				    " log_text = excluded.log_text, updated = excluded.updated",
				    v, 5, NULL, NULL, NULL, err) < 0)
				return -1;
		}
		a->held = (int64_t)c->log_len;
		return 0;
	}
	a->held = p.bytes;
	partial_free(&p);
	if (c->offset == a->held) {
		struct bh_ctl_val v[] = { BH_CTL_S(c->log),   BH_CTL_I((int64_t)c->log_len),
					  BH_CTL_I(a->now),   BH_CTL_S(c->node),
					  BH_CTL_S(c->nonce), BH_CTL_I(c->offset) };

		if (bh_ctl_store_query(a->s,
				       "UPDATE attest_chunks SET log_text = log_text || ?,"
				       " bytes = bytes + ?, updated = ? WHERE node = ?"
				       " AND nonce = ? AND bytes = ?",
				       v, 6, NULL, NULL, &changed, err) < 0)
			return -1;
		if (changed != 1)
			return bh_error_set(err, BH_ERR_USAGE,
					    "another chunk of node %s's log came meanwhile: "
					    "send from the bytes held",
					    c->node);
		a->held = end;
		return 0;
	}
	if (end == a->held && (r = same_again(a, &same, err)) < 0)
		return -1;
	if (same)
		return 0;
	return bh_error_set(err, BH_ERR_USAGE,
			    "a chunk of node %s's log at offset %lld %s: the controller holds "
			    "%lld bytes of it; send from there",
			    c->node, (long long)c->offset,
			    c->offset > a->held ? "is out of order" : "overlaps the bytes held",
			    (long long)a->held);
}

int bh_ctl_attest_chunk_add(struct bh_ctl_store *s, const struct bh_ctl_attest_chunk *c,
			    int64_t *held, struct bh_error **err)
{
	struct add a = { s, c, 0, (int64_t)time(NULL) };

	*held = 0;
	if (bh_ctl_store_tx(s, add_tx, &a, err) < 0)
		return -1; /* each error names the node */
	*held = a.held;
	return 0;
}

int bh_ctl_attest_chunks_get(struct bh_ctl_store *s, const char *node, const char *nonce,
			     int64_t bytes, struct bh_buf *log, struct bh_error **err)
{
	struct partial p;
	int r = -1;

	if (partial_read(s, node, true, &p, err) < 0)
		return -1;
	if (!p.found || strcmp(p.nonce, nonce))
		bh_error_set(err, BH_ERR_USAGE,
			     "no log of node %s was sent in chunks for this nonce (send them "
			     "first, from offset 0)",
			     node);
	else if (p.bytes != bytes || !p.log || (int64_t)strlen(p.log) != bytes)
		bh_error_set(err, BH_ERR_USAGE,
			     "the controller holds %lld bytes of node %s's log sent in chunks, "
			     "not %lld: send the rest",
			     (long long)p.bytes, node, (long long)bytes);
	else
		r = bh_buf_add(log, p.log, (size_t)p.bytes, err);
	partial_free(&p);
	return r;
}
