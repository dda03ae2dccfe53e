/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agents' attestation bodies (src/ctl/attest.c, POST /api/v1/agent/attest
 * and the {"node"} of its nonce): what is accepted holds its invariants (a
 * valid node name, a nonce of 1 to 64 bytes, a quote and signature within
 * their bounds, a PEM key, a log of whole lines or log_bytes, from >= 0),
 * and the chunks of a log (POST /api/v1/agent/attest/log: a node, a hex
 * nonce, an offset under 4 MiB, 1 to BH_CTL_ATTEST_CHUNK_MAX bytes of log
 * with no NUL); a failure says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl_attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_attest_in in;
	char node[BH_CTL_NAME_MAX + 1];
	int rc = bh_ctl_attest_parse((const char *)data, size, &in, &err);

	if (rc == 0) {
		if (!bh_ctl_name_valid(in.node, strlen(in.node)) || in.nonce_len < 1 ||
		    in.nonce_len > BH_TPM_NONCE_MAX || in.quote.len > BH_TPM_FILE_MAX ||
		    in.sig.len > BH_TPM_FILE_MAX || !in.ak || strncmp(in.ak, "-----BEGIN", 10) ||
		    strlen(in.ak) > BH_CTL_ATTEST_AK_MAX || in.from < 0 || !in.log ||
		    (in.log_len && in.log[in.log_len - 1] != '\n') ||
		    (in.log_bytes >= 0 && (in.log_len || in.log_bytes < 1 ||
					   in.log_bytes > (int64_t)BH_CTL_ATTEST_LOG_MAX)) ||
		    in.log_bytes < -1)
			abort();
	}
	bh_ctl_attest_release(&in);
	if ((rc < 0) != (err != NULL))
		abort();
	bh_error_free(err);
	err = NULL;
	{
		struct bh_ctl_attest_chunk c;

		rc = bh_ctl_attest_chunk_parse((const char *)data, size, &c, &err);
		if (rc == 0 &&
		    (!bh_ctl_name_valid(c.node, strlen(c.node)) || !c.nonce[0] ||
		     strspn(c.nonce, "0123456789abcdef") != strlen(c.nonce) || c.offset < 0 ||
		     c.offset >= (int64_t)BH_CTL_ATTEST_LOG_MAX || !c.log || !c.log_len ||
		     c.log_len > BH_CTL_ATTEST_CHUNK_MAX || strlen(c.log) != c.log_len))
			abort();
		bh_ctl_attest_chunk_release(&c);
		if ((rc < 0) != (err != NULL))
			abort();
		bh_error_free(err);
		err = NULL;
	}
	rc = bh_ctl_attest_node_parse((const char *)data, size, node, &err);
	if (rc == 0 && !bh_ctl_name_valid(node, strlen(node)))
		abort();
	if ((rc < 0) != (err != NULL))
		abort();
	bh_error_free(err);
	return 0;
}
