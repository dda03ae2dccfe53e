// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor's replay reader (src/monitor/source_replay.c) on arbitrary
 * bytes: every line is an event or an error, never a crash; every event it
 * accepts writes back to JSON (bh_mon_event_to_json) and reads back the
 * same (bh_mon_event_from_json), member for member.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bulkhead/monitor.h"
#include "monitor/source_internal.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct bh_mon_source *s = NULL;
	struct bh_mon_event *ev = malloc(sizeof(*ev)), *back = malloc(sizeof(*back));
	struct bh_error *err = NULL;
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	if (mon_source_replay_fd(fd, "fuzz", &s, &err) < 0)
		abort();
	for (int guard = 0; guard < 100000; guard++) {
		int rc = bh_mon_source_next(s, ev, -1, &err);
		json_t *j = NULL;

		bh_error_clear(&err);
		if (rc == 0)
			break;
		if (rc < 0)
			continue;
		if (bh_mon_event_to_json(ev, &j, &err) < 0 ||
		    bh_mon_event_from_json(j, back, &err) < 0 || memcmp(ev, back, sizeof(*ev)))
			abort(); /* an accepted event must write back and read back the same */
		json_decref(j);
	}
	bh_mon_source_free(s);
	free(ev);
	free(back);
	return 0;
}
