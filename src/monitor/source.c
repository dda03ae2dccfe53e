// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor's event sources: one reader calls bh_mon_source_next; the
 * kernel source (source_kernel.c) and the replay (source_replay.c) sit
 * behind struct mon_source_ops.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
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

bool bh_mon_source_can_refine(const struct bh_mon_source *s)
{
	return s && s->ops->refine;
}

int bh_mon_source_refine(struct bh_mon_source *s, struct bh_mon_container *c, uint64_t ts_ns,
			 uint64_t since_mono_ns)
{
	if (!s || !s->ops->refine || !c->provisional)
		return 0;
	return s->ops->refine(s->impl, c, ts_ns, since_mono_ns);
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

static bool in_names(const struct bh_strvec *v, const char *s, size_t len)
{
	for (size_t i = 0; i < v->n; i++)
		if (strlen(v->v[i]) == len && !memcmp(v->v[i], s, len))
			return true;
	return false;
}

bool bh_mon_open_filter_admits(const struct bh_mon_open_filter *f, const struct bh_mon_event *ev)
{
	const char *p = ev->file.path;
	size_t end;

	if (bh_mon_type_kind(ev->type) != BH_MON_KIND_OPEN || !f || f->all)
		return true;
	if (ev->res < 0)
		return f->failed;
	if (f->writes && ((ev->file.flags & O_ACCMODE) != O_RDONLY ||
			  (ev->file.flags & (O_CREAT | O_TRUNC | O_APPEND))))
		return true;
	end = strnlen(p, sizeof(ev->file.path));
	while (end > 1 && p[end - 1] == '/')
		end--;
	/* the leaf, then each directory above it */
	for (bool leaf = true; end > 0; leaf = false) {
		size_t b = end;

		while (b > 0 && p[b - 1] != '/')
			b--;
		if (end > b && in_names(leaf ? &f->leaves : &f->dirs, p + b, end - b))
			return true;
		end = b > 0 ? b - 1 : 0;
	}
	return false;
}

void mon_container_fill(struct bh_mon_container *o, const struct bh_ctr *c)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%s", c->id ? c->id : "");
	snprintf(o->name, sizeof(o->name), "%s", c->name ? c->name : "");
	snprintf(o->image, sizeof(o->image), "%s", c->image ? c->image : "");
	snprintf(o->image_digest, sizeof(o->image_digest), "%s",
		 c->image_digest ? c->image_digest
		 : c->image_id	 ? c->image_id
				 : "");
	snprintf(o->pod, sizeof(o->pod), "%s", c->pod_name ? c->pod_name : "");
	snprintf(o->pod_namespace, sizeof(o->pod_namespace), "%s",
		 c->pod_namespace ? c->pod_namespace : "");
	snprintf(o->runtime, sizeof(o->runtime), "%s",
		 c->runtime ? c->runtime : bh_ctr_engine_name(c->engine));
}
