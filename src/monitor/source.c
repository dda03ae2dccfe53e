// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor's event sources: one reader calls bh_mon_source_next; the
 * kernel source (source_kernel.c) and the replay (source_replay.c) sit
 * behind struct mon_source_ops.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "source_internal.h"
#include "banned.h"

struct bh_mon_source {
	const struct mon_source_ops *ops;
	void *impl;
	bool ended;
	uint64_t events;
};

int mon_source_new(const struct mon_source_ops *ops, void *impl, struct bh_mon_source **out,
		   struct bh_error **err)
{
	struct bh_mon_source *s = calloc(1, sizeof(*s));

	if (!s) {
		ops->free(impl);
		return bh_error_set(err, BH_ERR_NOMEM, "out of memory");
	}
	s->ops = ops;
	s->impl = impl;
	*out = s;
	return 0;
}

int bh_mon_source_next(struct bh_mon_source *s, struct bh_mon_event *ev, int timeout_ms,
		       struct bh_error **err)
{
	int rc;

	if (s->ended)
		return 0;
	rc = s->ops->next(s->impl, ev, timeout_ms, &s->ended, err);
	if (rc > 0)
		s->events++;
	return rc;
}

bool bh_mon_source_ended(const struct bh_mon_source *s)
{
	return s->ended;
}

void bh_mon_source_stats(const struct bh_mon_source *s, struct bh_mon_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->events = s->events;
	s->ops->stats(s->impl, st);
}

void bh_mon_source_free(struct bh_mon_source *s)
{
	if (!s)
		return;
	s->ops->free(s->impl);
	free(s);
}

void bh_mon_open_filter_release(struct bh_mon_open_filter *f)
{
	if (!f)
		return;
	bh_strvec_release(&f->leaves);
	bh_strvec_release(&f->dirs);
	f->all = f->failed = f->writes = false;
}
