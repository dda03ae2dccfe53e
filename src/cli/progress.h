/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-blob progress display of pull and push: one line per blob,
 * redrawn in place on a terminal (stderr), nothing otherwise.
 */
#ifndef BULKHEAD_CLI_PROGRESS_H
#define BULKHEAD_CLI_PROGRESS_H

#include <pthread.h>

#include "cli.h"

struct cli_progress {
	bool on;
	pthread_mutex_t lock;
	struct cli_progress_line {
		enum bh_image_progress_state state;
		char digest[24];
		uint64_t done;
		int64_t total;
	} * lines;
	unsigned n;
	bool drawn;
	int64_t last_ms;
};

/* On when stderr is a terminal (and quiet is false). */
void cli_progress_init(struct cli_progress *p, bool quiet);
/* The callback for bh_image_copy_opts.progress (data: the cli_progress). */
void cli_progress_fn(const struct bh_image_progress *pr, void *data);
/* Draw the final state and release. */
void cli_progress_finish(struct cli_progress *p);

#endif
