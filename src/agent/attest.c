/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's TPM attestation (src/agent/attest_int.h): the quote is made by
 * bh_tpm_attest_quote, the library function behind `bulkhead attest quote`,
 * over the controller's nonce; the controller verifies it as `bulkhead
 * attest verify` does against the log it holds and the entries sent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/ctl_attest.h"
#include "bulkhead/tpm.h"
#include "agent/attest_int.h"
#include "banned.h"

#define BODY_MAX (60u << 10) /* under the controller's 64 KiB */
#define AGAIN	 2	     /* once(): the log grew while quoting */
#define ROUNDS	 4	     /* reads of the log and quotes, at most */
#define CHUNK	 (24u << 10) /* a chunk's log bytes at first (ctlmisc19) */

/* The end of a chunk of p (n bytes) of at most max: after its last newline,
 * else at a UTF-8 character's start (a line longer than a chunk). */
static size_t chunk_end(const char *p, size_t n, size_t max)
{
	size_t k;

	if (n <= max)
		return n;
	for (k = max; k > 0 && p[k - 1] != '\n'; k--)
		;
	if (k)
		return k;
	for (k = max; k > 1 && ((unsigned char)p[k] & 0xc0) == 0x80; k--)
		;
	return k;
}

/*
 * ctlmisc19: the log (n bytes) too big for the quote's request, in chunks
 * under the nonce, each acknowledged with the bytes the controller holds; a
 * chunk whose request would pass BODY_MAX (escapes) is halved.
 */
static int send_chunks(const struct bh_agent_opts *o, agent_post_fn post, void *ag,
		       const char *nonce, const char *p, size_t n, struct bh_error **err)
{
	size_t off = 0, max = CHUNK;

	while (off < n) {
		size_t k = chunk_end(p + off, n - off, max);
		json_t *b = json_pack("{sssssIss#}", "node", o->node, "nonce", nonce, "offset",
				      (json_int_t)off, "log", p + off, (int)k);
		char *s = b ? json_dumps(b, JSON_COMPACT) : NULL;
		json_t *ans = NULL;
		json_int_t held = -1;
		int r;

		json_decref(b);
		if (!s)
			return bh_error_set(err, BH_ERR_INVALID,
					    "event log %s: not UTF-8 text at byte %zu", o->tpm_log,
					    off);
		if (strlen(s) > BODY_MAX && k > 64) {
			free(s);
			max = k / 2;
			continue;
		}
		r = post(ag, "/api/v1/agent/attest/log", s, strlen(s), &ans, err);
		free(s);
		if (r < 0)
			return bh_error_prefix(err, "attestation log chunk at %zu", off);
		bh_json_int(ans, "offset", &held);
		json_decref(ans);
		if (held != (json_int_t)(off + k))
			return bh_error_set(err, BH_ERR_IO,
					    "attestation log chunk at %zu: the controller "
					    "acknowledged %lld bytes, not %zu",
					    off, (long long)held, off + k);
		off += k;
	}
	return 0;
}

static int read_b64(const char *dir, const char *name, json_t *body, const char *key,
		    struct bh_error **err)
{
	struct bh_buf f = BH_BUF_INIT(BH_TPM_FILE_MAX), b = BH_BUF_INIT(2 * BH_TPM_FILE_MAX);
	char *path = bh_asprintf("%s/%s", dir, name);
	int r = -1;

	if (bh_read_file(path, &f, err) == 0 && bh_base64_encode(f.data, f.len, &b, err) == 0 &&
	    bh_buf_addc(&b, 0, err) == 0) {
		json_object_set_new(body, key, json_string(b.data));
		r = 0;
	}
	free(path);
	bh_buf_release(&f);
	bh_buf_release(&b);
	return r;
}

/* The offset of line `from` in log (n bytes); n when it has fewer. */
static size_t skip_lines(const char *log, size_t n, int64_t from, int64_t *lines)
{
	size_t off = 0;

	*lines = 0;
	while (*lines < from && off < n) {
		const char *nl = memchr(log + off, '\n', n - off);

		if (!nl)
			break;
		off = (size_t)(nl - log) + 1;
		(*lines)++;
	}
	return off;
}

static int once(const struct bh_agent_opts *o, agent_post_fn post, void *ag, bool whole,
		const struct bh_buf *log, int64_t *sent_from, char *why, size_t whylen,
		struct bh_error **err)
{
	json_t *req = json_pack("{ss}", "node", o->node), *ans = NULL, *body = NULL, *e;
	const char *tcti = bh_tpm_tcti(o->tpm_tcti), *nonce;
	uint8_t n[BH_TPM_NONCE_MAX];
	uint32_t mask = 1u << BH_TPM_DEFAULT_PCR;
	json_int_t from = 0;
	int64_t lines = 0;
	char *s = NULL, *dir = bh_asprintf("%s/attest", o->state_dir);
	size_t off, i;
	ssize_t nlen;
	json_t *entries = NULL;
	int r = -1;

	s = json_dumps(req, JSON_COMPACT);
	if (post(ag, "/api/v1/agent/attest/nonce", s, strlen(s), &ans, err) < 0)
		goto out;
	nonce = bh_json_str(ans, "nonce");
	bh_json_int(ans, "from", &from);
	nlen = nonce ? bh_hex_decode(nonce, strlen(nonce), 0, n, sizeof(n)) : -1;
	if (nlen <= 0) {
		bh_error_set(err, BH_ERR_INVALID, "the controller's nonce is not hex");
		goto out;
	}
	/* the PCRs the log extends: all quoted, so none hides a launch */
	if (bh_tpm_log_parse(log->data ? log->data : "", log->len, &entries, err) < 0) {
		bh_error_prefix(err, "event log %s", o->tpm_log);
		goto out;
	}
	json_array_foreach (entries, i, e) {
		json_int_t pcr = -1;

		if (bh_json_int(e, "pcr", &pcr) && pcr >= 0 && pcr < BH_TPM_PCRS)
			mask |= 1u << pcr;
	}
	off = skip_lines(log->data ? log->data : "", log->len, whole ? 0 : from, &lines);
	if (lines != (whole ? 0 : from)) { /* a new log (the TPM was reset): all of it */
		off = 0;
		lines = 0;
	}
	*sent_from = lines;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		bh_error_sys(err, errno, "attestation directory %s", dir);
		goto out;
	}
	if (bh_tpm_attest_quote(tcti, n, (size_t)nlen, mask, dir, err) < 0)
		goto out;
	/* a launch between the log's read and the quote: the quoted PCRs hold
	 * an entry the log read does not; read and quote again */
	{
		struct stat st;

		if (stat(o->tpm_log, &st) == 0 && (uint64_t)st.st_size != (uint64_t)log->len) {
			r = AGAIN;
			goto out;
		}
	}
	body = json_pack("{ss ss sI}", "node", o->node, "nonce", nonce, "from", (json_int_t)lines);
	if (read_b64(dir, "quote.msg", body, "quote", err) < 0 ||
	    read_b64(dir, "quote.sig", body, "sig", err) < 0)
		goto out;
	{
		struct bh_buf pem = BH_BUF_INIT(BH_CTL_ATTEST_AK_MAX);
		char *p = bh_asprintf("%s/ak.pem", dir);
		int k = bh_read_file(p, &pem, err);

		free(p);
		if (k == 0)
			json_object_set_new(body, "ak", json_stringn(pem.data, pem.len));
		bh_buf_release(&pem);
		if (k < 0)
			goto out;
	}
	free(s);
	if (json_object_set_new(body, "log",
				json_stringn(log->data ? log->data + off : "", log->len - off)) <
	    0) {
		bh_error_set(err, BH_ERR_INVALID, "event log %s: not UTF-8 text", o->tpm_log);
		goto out;
	}
	s = json_dumps(body, JSON_COMPACT);
	if (!s || strlen(s) > BODY_MAX) {
		/* ctlmisc19: too big for one request: in chunks, then the quote
		 * naming their bytes */
		if (send_chunks(o, post, ag, nonce, log->data + off, log->len - off, err) < 0)
			goto out;
		json_object_del(body, "log");
		json_object_set_new(body, "log_bytes", json_integer((json_int_t)(log->len - off)));
		free(s);
		s = json_dumps(body, JSON_COMPACT);
	}
	json_decref(ans);
	ans = NULL;
	if (post(ag, "/api/v1/agent/attest", s, strlen(s), &ans, err) < 0)
		goto out;
	r = json_is_true(json_object_get(ans, "verified")) ? 1 : 0;
	snprintf(why, whylen, "%s", bh_json_str(ans, "reason") ? bh_json_str(ans, "reason") : "");
out:
	json_decref(entries);
	json_decref(req);
	json_decref(ans);
	json_decref(body);
	free(s);
	free(dir);
	return r;
}

int agent_attest(const struct bh_agent_opts *o, agent_post_fn post, void *ag, char *why,
		 size_t whylen, struct bh_error **err)
{
	struct bh_buf log = BH_BUF_INIT(BH_TPM_LOG_MAX);
	struct bh_error *e = NULL;
	bool whole = false;
	int64_t from = 0;
	int r = -1;

	why[0] = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		bh_buf_reset(&log);
		bh_error_free(e);
		e = NULL;
		/* no log yet: nothing launched measured, the PCR must be at reset */
		if ((access(o->tpm_log, F_OK) == 0 || errno != ENOENT) &&
		    bh_read_file(o->tpm_log, &log, &e) < 0) {
			bh_error_prefix(&e, "event log %s", o->tpm_log);
			r = -1;
			break;
		}
		r = once(o, post, ag, whole, &log, &from, why, whylen, &e);
		if (r == AGAIN)
			continue;
		if (r < 0 && bh_error_code(e) == BH_ERR_IO && !whole) {
			char *m = bh_error_message(e);
			bool again = m && strstr(m, "HTTP 409");

			free(m);
			if (again) { /* the controller holds another count of entries: all */
				whole = true;
				continue;
			}
		}
		if (r == 0 && from > 0) {
			/* not verified against the controller's stored entries plus ours:
			 * the log may have started again (a reboot) with at least as many
			 * entries; the whole log once before calling it failed */
			whole = true;
			continue;
		}
		break;
	}
	if (r == AGAIN) {
		r = bh_error_set(&e, BH_ERR_IO,
				 "attestation: the event log grew during each of %u quotes",
				 ROUNDS);
	}
	if (r < 0)
		*err = e;
	else
		bh_error_free(e);
	bh_buf_release(&log);
	return r;
}
