/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/guard.sh's helper: put N keys of other containers (cookies no
 * namespace has: 0xb0b0... + i, 16 rules each) in the connect guard's pinned
 * trie, or take them out again. The keys are the layout's (guard_net.h), whose
 * key has not changed between guard-v2 and guard-v3.
 *
 *   guard_fill PINDIR N fill|clear
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "../src/monitor/bpf/guard_net.h"

int main(int argc, char **argv)
{
	char p[4096];
	unsigned long n;
	int fd, fill;
	uint32_t one = 1;

	if (argc != 4 || (strcmp(argv[3], "fill") && strcmp(argv[3], "clear"))) {
		fprintf(stderr, "usage: guard_fill PINDIR N fill|clear\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	fill = !strcmp(argv[3], "fill");
	snprintf(p, sizeof(p), "%s/rules", argv[1]);
	fd = bpf_obj_get(p);
	if (fd < 0) {
		fprintf(stderr, "guard_fill: %s: %s\n", p, strerror(errno));
		return 1;
	}
	for (unsigned long i = 0; i < n; i++) {
		unsigned long long cookie = 0xb0b0000000000000ull + i / 16;
		struct grd_net_key k;

		memset(&k, 0, sizeof(k));
		k.prefixlen = GRD_NET_KEY_FIXED + 32;
		k.cookie[0] = (unsigned)cookie;
		k.cookie[1] = (unsigned)(cookie >> 32);
		k.family = 4;
		k.proto = 6;
		k.port = htons(443);
		k.addr[0] = htonl(0x0a000000u + (unsigned)(i % 16));
		if (fill ? bpf_map_update_elem(fd, &k, &one, BPF_ANY) < 0
			 : bpf_map_delete_elem(fd, &k) < 0 && errno != ENOENT) {
			fprintf(stderr, "guard_fill: key %lu: %s\n", i, strerror(errno));
			return 1;
		}
	}
	return 0;
}
