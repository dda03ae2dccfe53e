/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the Sigstore bundle reader, and verification of what it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed throw-away public key: verification must say no, never crash. */
static const char pub[] = "-----BEGIN PUBLIC KEY-----\n"
			  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEn7FzPfBYAqgZU/Y8oLNS5oEuhpUI\n"
			  "zhaUb36NbmP6HWRJ3Fr0XaLQ5bOHvUKRsD3jgnuuF4O4zfg4vYs6JibcAQ==\n"
			  "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bh_key *k;
	struct bh_error *err = NULL;
	struct bh_sigbundle b;

	if (!k && bh_key_parse_public(pub, strlen(pub), &k, NULL) < 0)
		abort();
	if (bh_sigbundle_parse((const char *)data, size, &b, &err) == 0) {
		struct bh_digest d;
		char *why = NULL;

		bh_sha256("image", 5, &d);
		if (bh_sigbundle_verify(&b, k, &d, NULL, &why) == 1)
			abort(); /* nothing the fuzzer writes is signed by this key */
		free(why);
		bh_sigbundle_release(&b);
	}
	bh_error_free(err);
	return 0;
}
