/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the key-file readers: PEM, the key kinds, public and unencrypted
 * private keys, and the encrypted envelope. The envelope is opened only for
 * inputs under 4 KiB with the empty passphrase (scrypt runs at most at
 * N = 2^17 by construction, so a hostile file cannot make it worse).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct bh_error *err = NULL;
	enum bh_key_file_kind kind;
	struct bh_key *k = NULL;
	struct bh_buf plain = BH_BUF_INIT(BH_TRUST_KEY_MAX);

	if (bh_key_file_kind(p, size, &kind, &err) == 0 && kind != BH_KEYFILE_ENCRYPTED) {
		if (bh_key_parse_public(p, size, &k, &err) == 0)
			bh_key_free(k);
		bh_error_clear(&err);
		if (bh_key_parse_private(p, size, NULL, 0, &k, &err) == 0)
			bh_key_free(k);
	}
	bh_error_clear(&err);
	if (size < 4096 && size && data[0] == '{') {
		if (bh_sealed_open(p, size, "", 0, &plain, &err) < 0)
			bh_error_clear(&err);
	}
	bh_buf_release(&plain);
	return 0;
}
