/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The strict base64 decoder (src/base/codec.c): whatever it accepts is
 * canonical, so encoding what it decoded gives the input back byte for byte
 * (with the URL alphabet mapped, and the padding put back where it was left
 * out). The first byte picks the flags; the rest is the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf enc = BH_BUF_INIT(1u << 20);
	unsigned flags;
	const char *s;
	char *out;
	size_t n, len = 0;

	if (size < 1)
		return 0;
	flags = data[0] & (BH_BASE64_URL | BH_BASE64_NOPAD);
	s = (const char *)data + 1;
	n = size - 1;
	out = malloc(bh_base64_decoded_max(n) + 1);
	if (bh_base64_decode_mem(s, n, flags, "fuzz", out, bh_base64_decoded_max(n), &len, NULL) ==
	    0) {
		if (bh_base64_encode(out, len, &enc, NULL) < 0)
			abort();
		for (size_t i = 0; (flags & BH_BASE64_URL) && i < enc.len; i++)
			enc.data[i] = enc.data[i] == '+'   ? '-'
				      : enc.data[i] == '/' ? '_'
							   : enc.data[i];
		/* the input is the encoding, or (NOPAD) the encoding without its '=' */
		if (n > enc.len || memcmp(enc.data, s, n) ||
		    (n < enc.len &&
		     (!(flags & BH_BASE64_NOPAD) || strspn(enc.data + n, "=") != enc.len - n)))
			abort();
	}
	free(out);
	bh_buf_release(&enc);
	return 0;
}
