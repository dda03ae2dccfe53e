// SPDX-License-Identifier: Apache-2.0
/*
 * The anchor of bench/monitor-pipeline.sh: read a replay with the library's
 * source and nothing else (no rules, no queues, no outputs); prints the
 * number of events read.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bulkhead/monitor.h"

int main(int argc, char **argv)
{
	struct bh_mon_source *s = NULL;
	struct bh_mon_event *ev = malloc(sizeof(*ev));
	struct bh_error *err = NULL;
	unsigned long long n = 0;
	int rc;

	if (argc != 2 || bh_mon_source_replay(argv[1], &s, &err) < 0)
		return 2;
	while ((rc = bh_mon_source_next(s, ev, -1, &err)) != 0)
		if (rc > 0)
			n++;
		else
			bh_error_clear(&err);
	printf("%llu\n", n);
	bh_mon_source_free(s);
	free(ev);
	return 0;
}
