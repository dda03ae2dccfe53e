/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the runtime's admission decision log as the agent reads it
 * (bh_rt_admit_log_read, src/runtime/admit_log.c) and each entry made an
 * event (agent_adm_event, src/agent/admission.c): the input is the log's
 * bytes; every event made must be JSON of kind "admission".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/admission.h"
#include "bulkhead/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/bh-fuzz-admit-XXXXXX";

/* the log and its directory gone at exit (a replay or a fuzzing run) */
static void cleanup(void)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/" BH_RT_ADMIT_LOG, dir);
	unlink(path);
	rmdir(dir);
}

static int take(void *d, const json_t *entry, struct bh_error **err)
{
	char *s = agent_adm_event(entry);
	json_t *v;

	(void)d;
	(void)err;
	if (!s)
		return 0;
	v = json_loads(s, 0, NULL);
	if (!v || strcmp(json_string_value(json_object_get(v, "kind")), "admission"))
		abort();
	json_decref(v);
	free(s);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool made;
	struct bh_rt_admit_cursor cur = { 0 };
	struct bh_error *err = NULL;
	uint64_t bad = 0;
	char path[64];
	FILE *f;

	if (!made) {
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		made = true;
	}
	snprintf(path, sizeof(path), "%s/" BH_RT_ADMIT_LOG, dir);
	f = fopen(path, "w");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	/* twice: from the start, then from where the first read stopped */
	if (bh_rt_admit_log_read(dir, &cur, 4, take, NULL, &bad, &err) >= 0)
		(void)bh_rt_admit_log_read(dir, &cur, 0, take, NULL, &bad, &err);
	bh_error_free(err);
	return 0;
}
