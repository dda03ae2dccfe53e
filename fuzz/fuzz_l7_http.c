/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the http dissector: see fuzz/l7_fuzz.h. */
#include "l7_fuzz.h"

extern const struct bh_net_dissector bh_net_l7_http;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return l7_fuzz_one(&bh_net_l7_http, data, size);
}
