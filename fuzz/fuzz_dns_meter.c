/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the DNS volume meter (src/net/dns_meter.c): the input is a sequence
 * of queries, each a byte of client, a byte of time step and a name up to
 * the next NUL (any bytes, dots anywhere, empty labels, trailing dots); the
 * registered domain must lie inside the name, the estimate and the reported
 * domain must stay within their bounds. A small limit makes reports happen.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns_meter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_dns_meter *m = bh_dns_meter_new(3, 1.0, 1);
	double now = 0;
	size_t i = 0;

	while (i + 2 <= size) {
		uint8_t client[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, data[i] };
		const char *name = (const char *)data + i + 2;
		const uint8_t *z = memchr(name, 0, size - i - 2);
		size_t n = z ? (size_t)((const char *)z - name) : size - i - 2;
		char domain[DNSM_DOMAIN + 1];
		unsigned names;
		int off;

		now += data[i + 1] / 64.0;
		off = bh_dns_meter_domain(name, n);
		if (off > (int)n)
			abort();
		memset(domain, 0x55, sizeof(domain));
		bh_dns_meter_query(m, client, name, n, now, &names, domain);
		if (!memchr(domain, 0, sizeof(domain)) || names > 1000000)
			abort();
		i += 2 + n + 1;
	}
	bh_dns_meter_free(m);
	return 0;
}
