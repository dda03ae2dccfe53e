/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the ftp dissector (src/net/l7_ftp.c) with conversations: see l7_fuzz.h.
 * Seeds: fuzz/corpus/l7_ftp, made by tests/data/l7/seeds.py from the unit
 * tests' recorded and built sessions. */
#include "l7_conv_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return l7_fuzz("ftp", data, size);
}
