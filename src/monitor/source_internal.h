/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the monitor's event sources (src/monitor/source*.c), prefix
 * mon_. A source is an implementation behind a table of three functions;
 * source.c dispatches and keeps what every source shares (ended, counters).
 */
#ifndef BULKHEAD_MONITOR_SOURCE_INTERNAL_H
#define BULKHEAD_MONITOR_SOURCE_INTERNAL_H

#include "bulkhead/monitor.h"

struct mon_source_ops {
	const char *name; /* "kernel", "replay" */
	/* As bh_mon_source_next; set *ended when nothing more will come. */
	int (*next)(void *impl, struct bh_mon_event *ev, int timeout_ms, bool *ended,
		    struct bh_error **err);
	/* Add the implementation's own counters (lost, truncated, ...) to st. */
	void (*stats)(const void *impl, struct bh_mon_stats *st);
	void (*free)(void *impl);
};

/* Wrap impl (owned from here on, freed with ops->free even on failure). */
int mon_source_new(const struct mon_source_ops *ops, void *impl, struct bh_mon_source **out,
		   struct bh_error **err);

/* The longest line of a replay (an event's JSON is far shorter). */
#define MON_REPLAY_LINE_MAX (64u * 1024)

/* A replay from fd (owned from here on); name names it in errors. */
int mon_source_replay_fd(int fd, const char *name, struct bh_mon_source **out,
			 struct bh_error **err);

#endif
