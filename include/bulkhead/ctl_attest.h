/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's view of each node's and container's last verified launch
 * (issue 18, src/ctl/attest.c). An agent given a TPM asks for a nonce
 * (32 random bytes, single use, BH_CTL_ATTEST_NONCE_TTL seconds, one per
 * node: a new one replaces the last), quotes its measurement PCRs over it
 * (bh_tpm_attest_quote, as `attest quote`) and posts the quote, the
 * signature, its attestation key (PEM) and its event log's entries from
 * recnum `from` on. The controller verifies with bh_tpm_verify (as `attest
 * verify`) the log it holds for the node (the entries it verified before,
 * recnum 0 to from - 1) followed by those sent: the TPM's PCR digest vouches
 * for the whole, so the node's later edits of entries already verified
 * change nothing here. Trust on first use: the first key that verifies is
 * pinned for the node; another key is refused (a failed verification,
 * audited, an alert event) until an admin unpins the node.
 *
 * Ownership and errors as include/bulkhead/base.h. The library never prints.
 */
#ifndef BULKHEAD_CTL_ATTEST_H
#define BULKHEAD_CTL_ATTEST_H

#include "bulkhead/ctl.h"
#include "bulkhead/tpm.h"

#define BH_CTL_ATTEST_NONCE_LEN	 32
#define BH_CTL_ATTEST_NONCE_TTL	 120	    /* seconds */
#define BH_CTL_ATTEST_LOG_MAX	 (4u << 20) /* the node's log the controller keeps */
#define BH_CTL_ATTEST_AK_MAX	 4096	    /* the attestation key's PEM */
#define BH_CTL_ATTEST_REASON_MAX 400
#define BH_CTL_ATTEST_CHUNK_MAX	 (48u << 10) /* a chunk's log bytes, at most */

/* POST /api/v1/agent/attest: {"node", "nonce": hex, "quote": base64 TPMS_ATTEST,
 * "sig": base64 TPMT_SIGNATURE, "ak": PEM, "from": recnum, "log": JSON lines}
 * or, instead of "log", "log_bytes": N, the log sent before in chunks under
 * this nonce (POST /api/v1/agent/attest/log), N bytes of it. */
struct bh_ctl_attest_in {
	char node[BH_CTL_NAME_MAX + 1];
	uint8_t nonce[BH_TPM_NONCE_MAX];
	size_t nonce_len;
	struct bh_buf quote, sig;
	const char *ak; /* borrowed from root */
	int64_t from;
	const char *log; /* borrowed from root; log_len bytes */
	size_t log_len;
	int64_t log_bytes; /* ctlmisc19: -1, else the chunks' bytes (log is "") */
	json_t *root;
};
/* Parse (untrusted; fuzz/fuzz_ctl_attest.c): BH_ERR_INVALID naming the
 * member, BH_ERR_LIMIT past BH_CTL_BODY_MAX. Release in every case. */
int bh_ctl_attest_parse(const char *buf, size_t len, struct bh_ctl_attest_in *in,
			struct bh_error **err);
void bh_ctl_attest_release(struct bh_ctl_attest_in *in);
/* {"node"}: the nonce's and the unpin's body (untrusted, fuzzed as above). */
int bh_ctl_attest_node_parse(const char *buf, size_t len, char node[BH_CTL_NAME_MAX + 1],
			     struct bh_error **err);

/*
 * ctlmisc19: a log too big for one request, in chunks. POST
 * /api/v1/agent/attest/log: {"node", "nonce": hex (the one issued), "offset":
 * the chunk's first byte in the log sent (from `from`), "log": 1 to
 * BH_CTL_ATTEST_CHUNK_MAX bytes}. Parsed (untrusted; fuzz/fuzz_ctl_attest.c)
 * as bh_ctl_attest_parse does; release in every case.
 */
struct bh_ctl_attest_chunk {
	char node[BH_CTL_NAME_MAX + 1];
	char nonce[2 * BH_TPM_NONCE_MAX + 1]; /* lower-case hex */
	int64_t offset;
	const char *log; /* borrowed from root; log_len bytes */
	size_t log_len;
	json_t *root;
};
int bh_ctl_attest_chunk_parse(const char *buf, size_t len, struct bh_ctl_attest_chunk *c,
			      struct bh_error **err);
void bh_ctl_attest_chunk_release(struct bh_ctl_attest_chunk *c);
/*
 * Add c to its node's partial log (table attest_chunks, one per node, at
 * most BH_CTL_ATTEST_LOG_MAX bytes): the nonce must be the node's issued and
 * unexpired (a new nonce drops the partial), offset the bytes held (0 starts
 * one for this nonce); a chunk again whose bytes end where the held ones end
 * and equal them is acknowledged again (its answer was lost). Out of order
 * or overlapping: BH_ERR_USAGE (409) saying the bytes held; past the total:
 * BH_ERR_LIMIT (413). *held: the bytes held after.
 */
int bh_ctl_attest_chunk_add(struct bh_ctl_store *s, const struct bh_ctl_attest_chunk *c,
			    int64_t *held, struct bh_error **err);
/* The partial log of node under nonce (hex) into log when it holds exactly
 * bytes; BH_ERR_USAGE saying what it holds otherwise. */
int bh_ctl_attest_chunks_get(struct bh_ctl_store *s, const char *node, const char *nonce,
			     int64_t bytes, struct bh_buf *log, struct bh_error **err);

/* A fresh nonce for node (hex into hex), replacing any other of the node's;
 * *have: the entries of the node's log the controller holds verified (the
 * `from` to send), *expires its expiry. */
int bh_ctl_attest_nonce(struct bh_ctl_store *s, const char *node,
			char hex[2 * BH_CTL_ATTEST_NONCE_LEN + 1], int64_t *have, int64_t *expires,
			struct bh_error **err);

/*
 * Verify in (its node's) and store the result: *result {"node", "verified",
 * "reason"?, "entries", "launches", "pcr_digest"?, "ak_changed", "time"}.
 * A nonce not issued, expired or used, another key than the pinned one, a
 * quote or log that does not verify are a failed verification, stored (0
 * returned); BH_ERR_USAGE when from is not what the controller holds (0 or
 * the node's verified entries): the nonce is then kept, the agent sends the
 * whole log. A failure is audited as "node.attest" by actor.
 */
int bh_ctl_attest_submit(struct bh_ctl_store *s, const char *actor,
			 const struct bh_ctl_attest_in *in, json_t **result, struct bh_error **err);

/* [{"node","verified","reason","last","verified_at","pcr_digest","entries",
 *   "ak","pinned","failures","launches":[...]}...] by node. */
int bh_ctl_attest_list(struct bh_ctl_store *s, json_t **out, struct bh_error **err);
/* Forget node's pinned key and log (admin, audited as "node.unpin"). */
int bh_ctl_attest_unpin(struct bh_ctl_store *s, const char *actor, const char *node,
			struct bh_error **err);
/* bulkhead_node_attestation_verified{node} 1/0 and the launches verified. */
int bh_ctl_attest_metrics(struct bh_ctl_store *s, struct bh_buf *out, struct bh_error **err);

#endif
