/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the mysql dissector (src/net/l7_mysql.c) with conversations: see l7_fuzz.h.
 * Seeds: fuzz/corpus/l7_mysql, made by tests/data/l7/seeds.py from the unit
 * tests' recorded and built sessions. */
#include "l7_conv_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return l7_fuzz("mysql", data, size);
}
