/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's attestations (src/ctl/attest.c) on SQLite and PostgreSQL:
 * quotes made here as a TPM makes them (a TPMS_ATTEST over the log's
 * replayed PCR 16 and the controller's nonce, signed by a software key), then
 * verified and stored by bh_ctl_attest_submit: a good one, the same nonce
 * again, a quote for another nonce, another key than the pinned one, the log
 * sent from where the controller holds it, a wrong `from`, an edited log;
 * what is stored for each (the nodes' results, the launches, the audit, the
 * workloads view's launch), and the body parser's refusals. And once with a
 * TPM: an swtpm this test starts (swtpm_env.h; SKIP without it) measures two
 * launches into PCR 16 and quotes them with its AK, as a node's agent does,
 * and the controller verifies that quote and stores both launches.
 */
#include <unistd.h>

#include "ctl_env.h"
#include "bulkhead/ctl_attest.h"
#include "bulkhead/tpm.h"
#include "bulkhead/trust.h"
#include "swtpm_env.h"

static void sha(const void *p, size_t n, uint8_t out[32])
{
	struct bh_digest d;

	bh_sha256(p, n, &d);
	assert_int_equal(bh_hex_decode(bh_digest_hex(&d), 64, 0, out, 32), 32);
}

/* One log line for container id (recnum rec) appended to log; its digest
 * extended into pcr16. */
static void entry(struct bh_buf *log, int rec, const char *id, uint8_t pcr16[32])
{
	json_t *c = json_pack(
		"{ss ss ss}", "container", id, "image", "registry.test/app:1", "config_digest",
		"sha256:0000000000000000000000000000000000000000000000000000000000000000");
	char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS), *cs = json_dumps(c, JSON_COMPACT);
	uint8_t d[32], cat[64];
	char hex[65];

	sha(s, strlen(s), d);
	bh_hex_encode(d, 32, hex);
	assert_int_equal(bh_buf_addf(log, NULL,
				     "{\"recnum\":%d,\"pcr\":16,\"digests\":[{\"hashAlg\":"
				     "\"sha256\",\"digest\":\"%s\"}],\"content_type\":"
				     "\"bulkhead_launch\",\"content\":%s}\n",
				     rec, hex, cs),
			 0);
	memcpy(cat, pcr16, 32);
	memcpy(cat + 32, d, 32);
	sha(cat, 64, pcr16);
	free(s);
	free(cs);
	json_decref(c);
}

static void put16(uint8_t **p, unsigned v)
{
	*(*p)++ = (uint8_t)(v >> 8);
	*(*p)++ = (uint8_t)v;
}

/* A quote of PCR 16 = pcr16 over nonce, signed by k: base64 msg and sig. */
static void make_quote(struct bh_key *k, const uint8_t *nonce, size_t nlen, const uint8_t pcr16[32],
		       struct bh_buf *msg64, struct bh_buf *sig64)
{
	uint8_t msg[256], *p = msg, pd[32], sig[128], *s = sig;
	struct bh_buf der = BH_BUF_INIT(256);
	const uint8_t *r, *q;
	size_t rl, sl;

	memcpy(p, "\xff\x54\x43\x47\x80\x18", 6), p += 6;
	put16(&p, 0);		   /* qualifiedSigner */
	put16(&p, (unsigned)nlen); /* extraData */
	memcpy(p, nonce, nlen), p += nlen;
	memset(p, 0, 17 + 8), p += 17 + 8;		  /* clockInfo, firmware */
	memcpy(p, "\0\0\0\1\0\x0b\3\0\0\1", 10), p += 10; /* sha256: PCR 16 */
	sha(pcr16, 32, pd);
	put16(&p, 32);
	memcpy(p, pd, 32), p += 32;
	assert_int_equal(bh_key_sign(k, msg, (size_t)(p - msg), &der, NULL), 0);
	r = (const uint8_t *)der.data + 2;
	rl = r[1];
	q = r + 2 + rl;
	sl = q[1];
	put16(&s, 0x18);
	put16(&s, 0x0b);
	put16(&s, (unsigned)rl);
	memcpy(s, r + 2, rl), s += rl;
	put16(&s, (unsigned)sl);
	memcpy(s, q + 2, sl), s += sl;
	bh_buf_reset(msg64);
	bh_buf_reset(sig64);
	assert_int_equal(bh_base64_encode(msg, (size_t)(p - msg), msg64, NULL), 0);
	assert_int_equal(bh_buf_addc(msg64, 0, NULL), 0);
	assert_int_equal(bh_base64_encode(sig, (size_t)(s - sig), sig64, NULL), 0);
	assert_int_equal(bh_buf_addc(sig64, 0, NULL), 0);
	bh_buf_release(&der);
}

struct quoter {
	struct bh_ctl_store *s;
	const char *node;
	struct bh_key *k;
	uint8_t pcr16[32];
	struct bh_buf log;
};

/*
 * Ask a nonce, quote (over the nonce, or `over` when given), submit from
 * `from` (-1: what the controller said), signed by k: the result; *rc the
 * submit's return.
 */
static json_t *attest(struct quoter *qt, struct bh_key *k, const char *over, int64_t from, int *rc,
		      char **errmsg)
{
	char hex[2 * BH_CTL_ATTEST_NONCE_LEN + 1];
	uint8_t n[BH_CTL_ATTEST_NONCE_LEN];
	struct bh_buf m = BH_BUF_INIT(4096), sg = BH_BUF_INIT(4096), pem = BH_BUF_INIT(4096);
	struct bh_ctl_attest_in in;
	struct bh_error *err = NULL;
	int64_t have = -1, exp = 0;
	json_t *body, *res = NULL;
	size_t off = 0;
	char *s;

	assert_int_equal(bh_ctl_attest_nonce(qt->s, qt->node, hex, &have, &exp, &err), 0);
	assert_true(have >= 0);
	assert_true(exp > time(NULL));
	assert_int_equal(bh_hex_decode(hex, strlen(hex), 0, n, sizeof(n)), (ssize_t)sizeof(n));
	if (over)
		make_quote(k, (const uint8_t *)over, strlen(over), qt->pcr16, &m, &sg);
	else
		make_quote(k, n, sizeof(n), qt->pcr16, &m, &sg);
	assert_int_equal(bh_key_pem_public(k, &pem, NULL), 0);
	if (from < 0)
		from = have;
	for (int64_t i = 0; i < from; i++)
		off = (size_t)((char *)memchr(qt->log.data + off, '\n', qt->log.len - off) -
			       qt->log.data) +
		      1;
	body = json_pack("{ss ss ss ss ss# sI ss#}", "node", qt->node, "nonce", hex, "quote",
			 m.data, "sig", sg.data, "ak", pem.data, (int)pem.len, "from",
			 (json_int_t)from, "log", qt->log.data + off, (int)(qt->log.len - off));
	s = json_dumps(body, JSON_COMPACT);
	assert_int_equal(bh_ctl_attest_parse(s, strlen(s), &in, &err), 0);
	*rc = bh_ctl_attest_submit(qt->s, qt->node, &in, &res, &err);
	if (errmsg)
		*errmsg = *rc < 0 ? bh_error_message(err) : NULL;
	if (*rc < 0)
		assert_int_equal(bh_error_code(err), BH_ERR_USAGE);
	bh_error_free(err);
	bh_ctl_attest_release(&in);
	json_decref(body);
	free(s);
	bh_buf_release(&m);
	bh_buf_release(&sg);
	bh_buf_release(&pem);
	return res;
}

static bool verified(const json_t *r)
{
	return json_is_true(json_object_get(r, "verified"));
}

static bool says(const json_t *r, const char *what)
{
	const char *why = bh_json_str(r, "reason");

	if (!why || !strstr(why, what))
		print_message("reason: %s (wanted: %s)\n", why ? why : "(none)", what);
	return why && strstr(why, what);
}

static void test_attest(void **state)
{
	struct env *e = *state;
	struct bh_ctl_store *s = fresh(e);
	struct quoter qt = { s, "node-a", NULL, { 0 }, BH_BUF_INIT(1 << 20) };
	struct bh_key *other = NULL;
	struct bh_error *err = NULL;
	json_t *r, *list, *n;
	char *msg = NULL;
	int rc;

	assert_int_equal(bh_key_generate(&qt.k, NULL), 0);
	assert_int_equal(bh_key_generate(&other, NULL), 0);
	entry(&qt.log, 0, "c-first", qt.pcr16);
	entry(&qt.log, 1, "c-second", qt.pcr16);

	/* a good quote: verified, both launches stored, the key pinned */
	r = attest(&qt, qt.k, NULL, -1, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_true(verified(r));
	assert_int_equal(json_integer_value(json_object_get(r, "launches")), 2);
	json_decref(r);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM attest_launches WHERE node = 'node-a'"), 2);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit WHERE action = 'node.pin'"), 1);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM attest_nonces"), 0); /* used */

	/* the nonce of a quote already verified: refused, stored, audited */
	{
		char hex[65];
		int64_t have, exp;
		struct bh_ctl_attest_in in;
		struct bh_buf m = BH_BUF_INIT(4096), sg = BH_BUF_INIT(4096),
			      pem = BH_BUF_INIT(4096);
		uint8_t nb[32];
		json_t *body;
		char *b;

		assert_int_equal(bh_ctl_attest_nonce(s, "node-a", hex, &have, &exp, &err), 0);
		assert_int_equal(have, 2);
		bh_hex_decode(hex, 64, 0, nb, 32);
		make_quote(qt.k, nb, 32, qt.pcr16, &m, &sg);
		assert_int_equal(bh_key_pem_public(qt.k, &pem, NULL), 0);
		body = json_pack("{ss ss ss ss ss sI ss}", "node", "node-a", "nonce", hex, "quote",
				 m.data, "sig", sg.data, "ak", pem.data, "from", (json_int_t)0,
				 "log", qt.log.data);
		b = json_dumps(body, JSON_COMPACT);
		assert_int_equal(bh_ctl_attest_parse(b, strlen(b), &in, &err), 0);
		assert_int_equal(bh_ctl_attest_submit(s, "node-a", &in, &r, &err), 0);
		assert_true(verified(r));
		json_decref(r);
		/* the very same request again: a replay */
		assert_int_equal(bh_ctl_attest_submit(s, "node-a", &in, &r, &err), 0);
		assert_false(verified(r));
		assert_true(says(r, "used already"));
		json_decref(r);
		bh_ctl_attest_release(&in);
		json_decref(body);
		free(b);
		bh_buf_release(&m);
		bh_buf_release(&sg);
		bh_buf_release(&pem);
	}
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit WHERE action = 'node.attest'"), 1);
	assert_int_equal(count(s, "SELECT verified FROM attest_nodes WHERE node = 'node-a'"), 0);

	/* a quote over another nonce than the one issued */
	r = attest(&qt, qt.k, "stale-nonce", -1, &rc, NULL);
	assert_false(verified(r));
	assert_true(says(r, "another nonce"));
	json_decref(r);

	/* another key than the one pinned: refused, said */
	r = attest(&qt, other, NULL, -1, &rc, NULL);
	assert_false(verified(r));
	assert_true(json_is_true(json_object_get(r, "ak_changed")));
	assert_true(says(r, "pinned"));
	json_decref(r);

	/* a third launch, sent alone (from 2): the controller's two before it */
	entry(&qt.log, 2, "c-third", qt.pcr16);
	r = attest(&qt, qt.k, NULL, -1, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_true(verified(r));
	assert_int_equal(json_integer_value(json_object_get(r, "entries")), 3);
	json_decref(r);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM attest_launches WHERE node = 'node-a'"), 3);
	assert_int_equal(count(s, "SELECT recnum FROM attest_launches WHERE container_id ="
				  " 'c-third'"),
			 2);
	/* a from the controller does not hold: send all */
	r = attest(&qt, qt.k, NULL, 1, &rc, &msg);
	assert_int_equal(rc, -1);
	assert_null(r);
	assert_non_null(strstr(msg, "send the log from recnum 0"));
	free(msg);
	/* the whole log (from 0) verifies too */
	r = attest(&qt, qt.k, NULL, 0, &rc, NULL);
	assert_true(verified(r));
	json_decref(r);

	/* another node with an edited log: failed, no launch stored */
	{
		struct quoter q2 = { s, "node-b", qt.k, { 0 }, BH_BUF_INIT(1 << 20) };
		char *p;

		entry(&q2.log, 0, "c-b1", q2.pcr16);
		entry(&q2.log, 1, "c-b2", q2.pcr16);
		assert_non_null(p = strstr(q2.log.data, "c-b2"));
		p[3] = '9';
		r = attest(&q2, qt.k, NULL, -1, &rc, NULL);
		assert_false(verified(r));
		assert_true(says(r, "edited"));
		json_decref(r);
		assert_int_equal(
			count(s, "SELECT COUNT(*) FROM attest_launches WHERE node = 'node-b'"), 0);
		assert_int_equal(count(s,
				       "SELECT COUNT(*) FROM attest_nodes WHERE node = 'node-b' AND"
				       " ak_pem IS NULL"),
				 1); /* nothing pinned by a failure */
		bh_buf_release(&q2.log);
	}

	/* the list: node-a verified with 3 launches, node-b failed */
	assert_int_equal(bh_ctl_attest_list(s, &list, &err), 0);
	assert_int_equal(json_array_size(list), 2);
	n = json_array_get(list, 0);
	assert_string_equal(bh_json_str(n, "node"), "node-a");
	assert_true(json_is_true(json_object_get(n, "verified")));
	assert_int_equal(json_array_size(json_object_get(n, "launches")), 3);
	assert_non_null(bh_json_str(n, "ak"));
	assert_non_null(bh_json_str(n, "pcr_digest"));
	assert_true(json_integer_value(json_object_get(n, "failures")) >= 3);
	n = json_array_get(list, 1);
	assert_false(json_is_true(json_object_get(n, "verified")));
	assert_non_null(strstr(bh_json_str(n, "reason"), "edited"));
	json_decref(list);

	/* the workloads view shows a container's verified launch */
	{
		static const char wl[] = "{\"node\":\"node-a\",\"workloads\":[{\"id\":\"c-first\"},"
					 "{\"id\":\"c-other\"}]}";
		struct bh_ctl_workloads w;
		struct bh_ctl_workload_filter f = { "node-a", false };
		int64_t added, gone;

		reg(s, "node-a");
		assert_int_equal(bh_ctl_workloads_parse(wl, strlen(wl), &w, &err), 0);
		assert_int_equal(
			bh_ctl_workloads_report(s, "node-a", "node-a", &w, &added, &gone, &err), 0);
		bh_ctl_workloads_release(&w);
		assert_int_equal(bh_ctl_workload_list(s, &f, &list, &err), 0);
		assert_int_equal(json_array_size(list), 2);
		assert_int_equal(
			json_integer_value(json_object_get(
				json_object_get(json_array_get(list, 0), "launch"), "recnum")),
			0);
		assert_true(json_is_null(json_object_get(json_array_get(list, 1), "launch")));
		json_decref(list);
	}

	/* metrics, the countermeasure, unpin */
	{
		struct bh_buf mb = BH_BUF_INIT(1 << 20);

		assert_int_equal(bh_ctl_attest_metrics(s, &mb, &err), 0);
		assert_int_equal(bh_buf_addc(&mb, 0, NULL), 0);
		assert_non_null(
			strstr(mb.data, "bulkhead_node_attestation_verified{node=\"node-a\"} 1"));
		assert_non_null(
			strstr(mb.data, "bulkhead_node_attestation_verified{node=\"node-b\"} 0"));
		bh_buf_release(&mb);
	}
	assert_int_equal(bh_ctl_attest_unpin(s, "admin", "node-a", &err), 0);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM attest_nodes WHERE ak_pem IS NULL"), 2);
	/* launches verified with the unpinned key no longer stand */
	assert_int_equal(count(s, "SELECT COUNT(*) FROM attest_launches WHERE node = 'node-a'"), 0);
	assert_int_equal(bh_ctl_attest_unpin(s, "admin", "node-z", &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_free(err);
	err = NULL;
	r = attest(&qt, other, NULL, -1, &rc, NULL); /* a new key after unpin: pinned */
	assert_true(verified(r));
	json_decref(r);

	bh_buf_release(&qt.log);
	bh_key_free(qt.k);
	bh_key_free(other);
	bh_ctl_store_free(s);
}

/* ctlmisc19: one chunk of node's log under nonce hex at off; *held, the error's code */
static int chunk(struct bh_ctl_store *s, const char *node, const char *hex, int64_t off,
		 const char *p, size_t n, int64_t *held, enum bh_errcode *code)
{
	json_t *b = json_pack("{sssssIss#}", "node", node, "nonce", hex, "offset", (json_int_t)off,
			      "log", p, (int)n);
	char *txt = json_dumps(b, JSON_COMPACT);
	struct bh_ctl_attest_chunk c;
	struct bh_error *err = NULL;
	int rc = bh_ctl_attest_chunk_parse(txt, strlen(txt), &c, &err);

	if (rc == 0)
		rc = bh_ctl_attest_chunk_add(s, &c, held, &err);
	*code = rc < 0 ? bh_error_code(err) : (enum bh_errcode)0;
	if (rc < 0) {
		char *m = bh_error_message(err);

		print_message("chunk at %lld: %s\n", (long long)off, m);
		free(m);
	}
	bh_error_free(err);
	bh_ctl_attest_chunk_release(&c);
	json_decref(b);
	free(txt);
	return rc;
}

/* A log over 60 KiB in chunks: out of order, overlapping, a chunk again,
 * another nonce and the bound refused or acknowledged as they should; the
 * complete log verified against the quote; too few bytes refused. */
static void test_chunks(void **state)
{
	struct env *e = *state;
	struct bh_ctl_store *s = fresh(e);
	struct quoter qt = { s, "node-c", NULL, { 0 }, BH_BUF_INIT(1 << 20) };
	struct bh_buf m = BH_BUF_INIT(4096), sg = BH_BUF_INIT(4096), pem = BH_BUF_INIT(4096);
	struct bh_error *err = NULL;
	char hex[2 * BH_CTL_ATTEST_NONCE_LEN + 1], id[32], *b;
	uint8_t nb[BH_CTL_ATTEST_NONCE_LEN];
	int64_t have, exp, held = -1;
	struct bh_ctl_attest_in in;
	enum bh_errcode code;
	json_t *body, *r;
	size_t off;

	assert_int_equal(bh_key_generate(&qt.k, NULL), 0);
	for (int i = 0; qt.log.len < (80u << 10); i++) {
		snprintf(id, sizeof(id), "c-%04d", i);
		entry(&qt.log, i, id, qt.pcr16);
	}
	assert_int_equal(bh_ctl_attest_nonce(s, "node-c", hex, &have, &exp, &err), 0);
	/* not from 0 for a new nonce: 409 */
	assert_int_equal(chunk(s, "node-c", hex, 100, qt.log.data + 100, 100, &held, &code), -1);
	assert_int_equal(code, BH_ERR_USAGE);
	/* another nonce: 409 */
	assert_int_equal(chunk(s, "node-c", "00ff", 0, qt.log.data, 100, &held, &code), -1);
	assert_int_equal(code, BH_ERR_USAGE);
	/* a chunk over the bound: 413 */
	{
		char *big = bh_calloc(BH_CTL_ATTEST_CHUNK_MAX + 2, 1);

		memset(big, 'x', BH_CTL_ATTEST_CHUNK_MAX + 1);
		assert_int_equal(
			chunk(s, "node-c", hex, 0, big, BH_CTL_ATTEST_CHUNK_MAX + 1, &held, &code),
			-1);
		assert_int_equal(code, BH_ERR_LIMIT);
		free(big);
	}
	/* in order, 20000 bytes at a time, each acknowledged */
	for (off = 0; off < qt.log.len; off += 20000) {
		size_t n = qt.log.len - off < 20000 ? qt.log.len - off : 20000;

		assert_int_equal(
			chunk(s, "node-c", hex, (int64_t)off, qt.log.data + off, n, &held, &code),
			0);
		assert_int_equal(held, (int64_t)(off + n));
		if (off == 20000) {
			/* the same chunk again (its answer lost): acknowledged again */
			assert_int_equal(chunk(s, "node-c", hex, (int64_t)off, qt.log.data + off, n,
					       &held, &code),
					 0);
			assert_int_equal(held, 40000);
			/* out of order (a gap), overlapping, the same offset other bytes */
			assert_int_equal(chunk(s, "node-c", hex, 60000, qt.log.data + 60000, 100,
					       &held, &code),
					 -1);
			assert_int_equal(code, BH_ERR_USAGE);
			assert_int_equal(chunk(s, "node-c", hex, 30000, qt.log.data + 30000, 20000,
					       &held, &code),
					 -1);
			assert_int_equal(code, BH_ERR_USAGE);
			assert_int_equal(
				chunk(s, "node-c", hex, 39990, "xxxxxxxxxx", 10, &held, &code), -1);
			assert_int_equal(code, BH_ERR_USAGE);
		}
	}
	assert_int_equal(count(s, "SELECT bytes FROM attest_chunks WHERE node = 'node-c'"),
			 (int64_t)qt.log.len);

	/* the quote naming the bytes: too few refused (409), the nonce kept */
	bh_hex_decode(hex, 64, 0, nb, 32);
	make_quote(qt.k, nb, 32, qt.pcr16, &m, &sg);
	assert_int_equal(bh_key_pem_public(qt.k, &pem, NULL), 0);
	body = json_pack("{ss ss ss ss ss sI sI}", "node", "node-c", "nonce", hex, "quote", m.data,
			 "sig", sg.data, "ak", pem.data, "from", (json_int_t)0, "log_bytes",
			 (json_int_t)qt.log.len - 1);
	b = json_dumps(body, JSON_COMPACT);
	assert_int_equal(bh_ctl_attest_parse(b, strlen(b), &in, &err), 0);
	assert_int_equal(bh_ctl_attest_submit(s, "node-c", &in, &r, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_USAGE);
	bh_error_free(err);
	err = NULL;
	bh_ctl_attest_release(&in);
	free(b);
	json_object_set_new(body, "log_bytes", json_integer((json_int_t)qt.log.len));
	b = json_dumps(body, JSON_COMPACT);
	assert_true(strlen(b) < 60000);
	assert_int_equal(bh_ctl_attest_parse(b, strlen(b), &in, &err), 0);
	assert_int_equal(bh_ctl_attest_submit(s, "node-c", &in, &r, &err), 0);
	assert_true(verified(r));
	assert_int_equal(json_integer_value(json_object_get(r, "entries")),
			 count(s, "SELECT COUNT(*) FROM attest_launches WHERE node = 'node-c'"));
	assert_true(json_integer_value(json_object_get(r, "entries")) > 100);
	json_decref(r);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM attest_chunks"), 0); /* used */
	bh_ctl_attest_release(&in);
	free(b);

	/* the total bound: past 4 MiB is 413, the partial dropped by a new nonce */
	assert_int_equal(bh_ctl_attest_nonce(s, "node-c", hex, &have, &exp, &err), 0);
	assert_int_equal(chunk(s, "node-c", hex, 0, qt.log.data, 100, &held, &code), 0);
	assert_int_equal(bh_ctl_store_query(s,
					    "UPDATE attest_chunks SET bytes = 4194300 WHERE"
					    " node = 'node-c'",
					    NULL, 0, NULL, NULL, NULL, &err),
			 0);
	assert_int_equal(chunk(s, "node-c", hex, 4194300, qt.log.data, 100, &held, &code), -1);
	assert_int_equal(code, BH_ERR_LIMIT);
	assert_int_equal(bh_ctl_attest_nonce(s, "node-c", hex, &have, &exp, &err), 0);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM attest_chunks"), 0);
	/* log and log_bytes both: 400 */
	json_object_set_new(body, "log", json_string(""));
	b = json_dumps(body, JSON_COMPACT);
	assert_int_equal(bh_ctl_attest_parse(b, strlen(b), &in, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
	bh_error_free(err);
	bh_ctl_attest_release(&in);
	free(b);
	json_decref(body);
	bh_buf_release(&m);
	bh_buf_release(&sg);
	bh_buf_release(&pem);
	bh_buf_release(&qt.log);
	bh_key_free(qt.k);
	bh_ctl_store_free(s);
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"node\":\"a\"}",
		"{\"node\":\"a b\",\"nonce\":\"00\",\"quote\":\"AA==\",\"sig\":\"AA==\",\"ak\":"
		"\"-----BEGIN x\",\"from\":0,\"log\":\"\"}",
		"{\"node\":\"a\",\"nonce\":\"0g\",\"quote\":\"AA==\",\"sig\":\"AA==\",\"ak\":"
		"\"-----BEGIN x\",\"from\":0,\"log\":\"\"}",
		"{\"node\":\"a\",\"nonce\":\"00\",\"quote\":\"!!\",\"sig\":\"AA==\",\"ak\":"
		"\"-----BEGIN x\",\"from\":0,\"log\":\"\"}",
		"{\"node\":\"a\",\"nonce\":\"00\",\"quote\":\"AA==\",\"sig\":\"AA==\",\"ak\":"
		"\"key\",\"from\":0,\"log\":\"\"}",
		"{\"node\":\"a\",\"nonce\":\"00\",\"quote\":\"AA==\",\"sig\":\"AA==\",\"ak\":"
		"\"-----BEGIN x\",\"from\":-1,\"log\":\"\"}",
		"{\"node\":\"a\",\"nonce\":\"00\",\"quote\":\"AA==\",\"sig\":\"AA==\",\"ak\":"
		"\"-----BEGIN x\",\"from\":0,\"log\":\"{}\"}",
		"{\"node\":\"a\",\"nonce\":\"00\",\"quote\":\"AA==\",\"sig\":\"AA==\",\"ak\":"
		"\"-----BEGIN x\",\"from\":0,\"log\":\"\",\"extra\":1}",
	};
	static const char good[] = "{\"node\":\"a\",\"nonce\":\"00\",\"quote\":\"AA==\",\"sig\":"
				   "\"AA==\",\"ak\":\"-----BEGIN x\",\"from\":0,\"log\":\"\"}";
	struct bh_ctl_attest_in in;
	struct bh_error *err = NULL;
	char node[BH_CTL_NAME_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bh_ctl_attest_parse(bad[i], strlen(bad[i]), &in, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
		bh_error_free(err);
		err = NULL;
		bh_ctl_attest_release(&in);
	}
	assert_int_equal(bh_ctl_attest_parse(good, strlen(good), &in, &err), 0);
	assert_int_equal(in.nonce_len, 1);
	bh_ctl_attest_release(&in);
	assert_int_equal(bh_ctl_attest_node_parse("{\"node\":\"n1\"}", 13, node, &err), 0);
	assert_string_equal(node, "n1");
	assert_int_equal(bh_ctl_attest_node_parse("{\"node\":\"n1\",\"x\":1}", 19, node, &err), -1);
	bh_error_free(err);
}

/* DIR/NAME read whole, base64 when b64 (NUL-terminated either way). */
static void read_in(const char *dir, const char *name, bool b64, struct bh_buf *out)
{
	struct bh_buf raw = BH_BUF_INIT(1 << 20);
	char *path = bh_asprintf("%s/%s", dir, name);

	assert_int_equal(bh_read_file(path, &raw, NULL), 0);
	bh_buf_reset(out);
	if (b64)
		assert_int_equal(bh_base64_encode(raw.data, raw.len, out, NULL), 0);
	else
		assert_int_equal(bh_buf_add(out, raw.data, raw.len, NULL), 0);
	assert_int_equal(bh_buf_addc(out, 0, NULL), 0);
	bh_buf_release(&raw);
	free(path);
}

static void test_attest_swtpm(void **state)
{
	struct env *e = *state;
	struct swtpm_env *sw;
	struct bh_ctl_store *s;
	struct bh_buf m = BH_BUF_INIT(4096), sg = BH_BUF_INIT(4096), pem = BH_BUF_INIT(4096),
		      log = BH_BUF_INIT(1 << 20);
	struct bh_ctl_attest_in in;
	struct bh_error *err = NULL;
	uint8_t n[BH_CTL_ATTEST_NONCE_LEN];
	char hex[2 * BH_CTL_ATTEST_NONCE_LEN + 1], *dir, *logpath, *b;
	const char *ids[] = { "c-tpm-one", "c-tpm-two" };
	int64_t have = -1, exp = 0;
	json_t *config, *body, *r = NULL;

	SWTPM_ENV_NEED(swtpm_env_in_path("swtpm"));
	s = fresh(e); /* skips when this back-end cannot run here */
	sw = swtpm_env_start();
	dir = unit_mktmp();
	logpath = bh_asprintf("%s/measure.log", dir);
	config = json_pack("{s{ss} s{s[s]}}", "root", "path", "rootfs", "process", "args",
			   "/bin/true");
	for (int i = 0; i < 2; i++) {
		struct bh_tpm_launch l = { .container = ids[i], .bundle = "/b", .config = config };

		assert_int_equal(bh_tpm_measure_launch(sw->tcti, 16, logpath, &l, NULL, &err), 0);
	}
	assert_int_equal(bh_ctl_attest_nonce(s, "node-tpm", hex, &have, &exp, &err), 0);
	assert_int_equal(have, 0);
	assert_int_equal(bh_hex_decode(hex, strlen(hex), 0, n, sizeof(n)), (ssize_t)sizeof(n));
	assert_int_equal(bh_tpm_attest_quote(sw->tcti, n, sizeof(n), 1u << 16, dir, &err), 0);
	read_in(dir, "quote.msg", true, &m);
	read_in(dir, "quote.sig", true, &sg);
	read_in(dir, "ak.pem", false, &pem);
	read_in(dir, "measure.log", false, &log);
	body = json_pack("{ss ss ss ss ss sI ss}", "node", "node-tpm", "nonce", hex, "quote",
			 m.data, "sig", sg.data, "ak", pem.data, "from", (json_int_t)0, "log",
			 log.data);
	b = json_dumps(body, JSON_COMPACT);
	assert_int_equal(bh_ctl_attest_parse(b, strlen(b), &in, &err), 0);
	assert_int_equal(bh_ctl_attest_submit(s, "node-tpm", &in, &r, &err), 0);
	assert_true(verified(r));
	assert_int_equal(json_integer_value(json_object_get(r, "launches")), 2);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM attest_launches WHERE node = 'node-tpm'"),
			 2);
	json_decref(r);
	bh_ctl_attest_release(&in);
	free(b);
	json_decref(body);
	json_decref(config);
	bh_buf_release(&m);
	bh_buf_release(&sg);
	bh_buf_release(&pem);
	bh_buf_release(&log);
	free(logpath);
	unit_rmtmp(dir);
	bh_ctl_store_free(s);
	swtpm_env_stop(sw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_attest),
		BOTH(test_attest_swtpm),
		BOTH(test_chunks),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
