/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DNS volume per name (issue 16, BH-NET-DNS-VOLUME): how many distinct query
 * names one client asks under one registered domain in a window. A tunnel
 * (iodine, dnscat2, DNS exfiltration) must put new data in every query, so
 * it asks for a new name each time under the one domain whose server it
 * controls; a resolver's normal clients ask for a few names per domain.
 *
 * The table is fixed (DNSM_SLOTS entries in DNSM_WAYS-way buckets keyed by
 * SipHash of the client and the domain): a newcomer takes an entry whose
 * window ended, else the one with the fewest names, so the one-off domains
 * of ordinary traffic do not restart a tunnel's count. Names are counted in
 * a bitmap of DNSM_BITS bits per entry (linear counting: the estimate of
 * distinct names is -m ln(1 - set/m)), so an entry is a constant size.
 *
 * The registered domain is the name's last two labels, or three when the
 * last is a two-letter country code and the one before it three characters
 * or fewer (co.uk, com.au): no public-suffix list. Names under .arpa
 * (reverse lookups) and names of one label are not counted.
 *
 * Ownership: the meter is the caller's; names are borrowed for the call.
 * Not thread-safe (one per engine).
 */
#ifndef BULKHEAD_NET_DNS_METER_H
#define BULKHEAD_NET_DNS_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNSM_SLOTS  1024 /* entries in all */
#define DNSM_WAYS   4	 /* entries per bucket */
#define DNSM_BITS   1024 /* bitmap of names per entry */
#define DNSM_DOMAIN 63	 /* characters of the domain kept for the report */

struct bh_dns_meter;

/* A meter: names over `limit` distinct names in `window` seconds (0: 100
 * and 60) are reported; `seed` keys the hash. */
struct bh_dns_meter *bh_dns_meter_new(unsigned limit, double window, uint64_t seed);
void bh_dns_meter_free(struct bh_dns_meter *m);

/* The registered domain of name[0..n) (lower case, no final dot): its
 * offset in name, or -1 when the name is not counted (one label, .arpa). */
int bh_dns_meter_domain(const char *name, size_t n);

/*
 * A query for name[0..n) by client (16 bytes, IPv4-mapped) at now (seconds).
 * Returns true when this client has asked more than the limit of distinct
 * names under the name's domain in the current window (every query past it
 * returns true until the window ends); *names gets the estimate and domain
 * (DNSM_DOMAIN + 1 bytes, may be NULL) the domain.
 */
bool bh_dns_meter_query(struct bh_dns_meter *m, const uint8_t client[16], const char *name,
			size_t n, double now, unsigned *names, char *domain);

#endif
