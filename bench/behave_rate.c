/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process throughput of behaviour profiles (bench/behave.sh builds and
 * runs this): a web workload's events (execs with parents, writes in a few
 * directories, listen, accept, connects to a few dozen peers) are learned
 * into a fresh store, the profile set to monitor, then N events (1 in 100
 * outside the profile) are judged, best of R rounds, by
 *   rules    bh_rules_match with the default rules (the anchor)
 *   observe  bh_behave_observe in monitor mode (writes batched: flushes included)
 * printing events per second of each.
 *
 *   behave_rate RULES.yaml STORE N R
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bulkhead/behave.h"
#include "bulkhead/rules.h"

#define NEV 1000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void base(struct bh_mon_event *ev, enum bh_mon_type t, int i)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = t;
	ev->ts_ns = 1700000000000000000ull + (uint64_t)i * 1000000;
	ev->file.fd = -1;
	ev->proc.pid = 100 + (uint32_t)i % 50;
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "nginx");
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/usr/sbin/nginx");
	ev->proc.nancestors = 1;
	snprintf(ev->proc.ancestors[0].comm, sizeof(ev->proc.ancestors[0].comm), "sh");
	snprintf(ev->proc.ancestors[0].exe, sizeof(ev->proc.ancestors[0].exe), "/bin/sh");
	snprintf(ev->container.id, sizeof(ev->container.id), "0123456789ab");
	snprintf(ev->container.image, sizeof(ev->container.image), "nginx:1.25");
	snprintf(ev->container.image_digest, sizeof(ev->container.image_digest), "sha256:%064d", 1);
}

/* The i-th event of the workload; outside: one it never did. */
static void event(struct bh_mon_event *ev, int i, bool outside)
{
	int k = i % 10, v = outside ? 1000 + i : i % 40;

	if (k < 2) {
		base(ev, BH_MON_EXECVE, i);
		snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/usr/bin/tool%d", v % 20);
		snprintf(ev->proc.comm, sizeof(ev->proc.comm), "tool%d", v % 20);
	} else if (k < 6) {
		base(ev, BH_MON_OPENAT, i);
		ev->res = 5;
		ev->file.flags = O_WRONLY | O_APPEND;
		snprintf(ev->file.path, sizeof(ev->file.path), "/var/%s/app%d/f%d.log",
			 outside ? "lib" : "log", v % 12, i);
	} else if (k == 6) {
		base(ev, BH_MON_LISTEN, i);
		ev->net.family = AF_INET;
		ev->net.proto = 6;
		ev->net.lport = outside ? 4444 : 80;
	} else if (k == 7) {
		base(ev, BH_MON_ACCEPT4, i);
		ev->net.family = AF_INET;
		ev->net.proto = 6;
		ev->net.lport = 80;
		ev->net.rport = (uint16_t)(30000 + i);
		inet_pton(AF_INET, "10.0.0.9", ev->net.raddr);
	} else {
		char a[32];

		base(ev, BH_MON_CONNECT, i);
		ev->net.family = AF_INET;
		ev->net.proto = 6;
		ev->net.rport = 5432;
		snprintf(a, sizeof(a), "10.%d.%d.7", outside ? 200 : 1, v % 40);
		inet_pton(AF_INET, a, ev->net.raddr);
	}
}

int main(int argc, char **argv)
{
	struct bh_behave_opts o = { 0 };
	struct bh_rules *rs = bh_rules_new();
	struct bh_error *err = NULL;
	struct bh_behave *b = NULL;
	struct bh_behave_verdict v;
	struct bh_mon_event *evs;
	double best_r = 1e30, best_o = 1e30;
	size_t matched = 0, outside = 0;
	long n, rounds;

	if (argc != 5 || (n = strtol(argv[3], NULL, 10)) <= 0 ||
	    (rounds = strtol(argv[4], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: behave_rate RULES.yaml STORE N ROUNDS\n");
		return 2;
	}
	if (bh_rules_add_file(rs, argv[1], NULL, &err) < 0 || bh_rules_compile(rs, NULL, &err) < 0)
		goto fail;
	o.store = argv[2];
	o.learn = true;
	if (bh_behave_open(&o, &b, &err) < 0)
		goto fail;
	evs = calloc(NEV, sizeof(*evs));
	for (int i = 0; i < NEV; i++) {
		event(&evs[i], i, false);
		if (bh_behave_observe(b, &evs[i], &v, &err) < 0)
			goto fail;
	}
	if (bh_behave_flush(b, &err) < 0 ||
	    bh_behave_set_mode(
		    b, "sha256:0000000000000000000000000000000000000000000000000000000000000001",
		    BH_PROF_MONITOR, -1, &err) < 0)
		goto fail;
	bh_behave_close(b);
	o.learn = false;
	if (bh_behave_open(&o, &b, &err) < 0)
		goto fail;
	for (int i = 0; i < NEV; i++)
		if (i % 100 == 99)
			event(&evs[i], i, true);
	for (long r = 0; r < rounds; r++) {
		const struct bh_rules_rule *m[8];
		double t0 = now_s(), t1;

		for (long i = 0; i < n; i++)
			matched += bh_rules_match(rs, &evs[i % NEV], m, 8);
		t1 = now_s();
		if (t1 - t0 < best_r)
			best_r = t1 - t0;
		t0 = now_s();
		for (long i = 0; i < n; i++) {
			if (bh_behave_observe(b, &evs[i % NEV], &v, &err) < 0)
				goto fail;
			outside += v.result == BH_BEHAVE_OUTSIDE;
		}
		t1 = now_s();
		if (t1 - t0 < best_o)
			best_o = t1 - t0;
	}
	printf("rules %.0f %zu\n", (double)n / best_r, matched / (size_t)rounds);
	printf("observe %.0f %zu\n", (double)n / best_o, outside / (size_t)rounds);
	bh_behave_close(b);
	bh_rules_free(rs);
	free(evs);
	return 0;
fail:
	fprintf(stderr, "behave_rate: %s\n", bh_error_message(err));
	return 1;
}
