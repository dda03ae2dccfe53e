/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Syscall learning from the runtime (issue 14): the annotations
 *
 *   org.bulkhead.seccomp.mode=discover
 *   org.bulkhead.seccomp.profile=NAME     (required with discover)
 *   org.bulkhead.seccomp.digest=DIGEST    (the image the profile is for; optional)
 *
 * on any bundle arm the syscall recorder (src/profile) at create, once the
 * init is in its cgroups; the recorder starts counting when the init execs
 * the workload. State.json's "learn" object says so; delete collects what
 * was learned into the profile store and unpins the recorder. monitor and
 * protect are refused until they are implemented, rather than run the
 * container with less than was asked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "bulkhead/profile.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

#define ANN_MODE    "org.bulkhead.seccomp.mode"
#define ANN_PROFILE "org.bulkhead.seccomp.profile"
#define ANN_DIGEST  "org.bulkhead.seccomp.digest"

static const char *annotation(const struct bh_rt_spec *s, const char *key)
{
	return s->annotations ? bh_json_str(s->annotations, key) : NULL;
}

int rt_learn_arm(const char *id, struct rt_created *c, struct bh_error **err)
{
	const char *mode = annotation(c->spec, ANN_MODE), *name, *digest, *dir = NULL;
	char now[BH_TIME_MAX];

	if (!mode)
		return 0;
	if (!strcmp(mode, "monitor") || !strcmp(mode, "protect"))
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "annotation %s=%s: not implemented yet (only discover)",
				    ANN_MODE, mode);
	if (strcmp(mode, "discover"))
		return bh_error_set(err, BH_ERR_INVALID,
				    "annotation %s: '%.64s' is not discover, monitor or protect",
				    ANN_MODE, mode);
	name = annotation(c->spec, ANN_PROFILE);
	if (!name || bh_prof_name_check(name, err) < 0)
		return name ? bh_error_prefix(err, "annotation %s", ANN_PROFILE)
			    : bh_error_set(err, BH_ERR_USAGE, "%s=discover needs %s=NAME", ANN_MODE,
					   ANN_PROFILE);
	digest = annotation(c->spec, ANN_DIGEST);
	for (size_t i = 0; i < c->cg.ndirs; i++)
		if (!strcmp(c->cg.names[i], "unified"))
			dir = c->cg.dirs[i];
	if (!dir)
		return bh_error_set(
			err, BH_ERR_UNSUPPORTED,
			"learning syscalls needs a cgroup2 hierarchy (the one BPF sees): "
			"this host has cgroup v1 only");
	if (bh_prof_recorder_arm(id, dir, c->cg.path, c->pid, err) < 0)
		return -1;
	bh_time_rfc3339(NULL, 0, now);
	json_object_set_new(c->state, "learn",
			    json_pack("{s:s, s:s, s:s}", "profile", name, "digest",
				      digest ? digest : "", "started", now));
	return 0;
}

void rt_learn_undo(const char *id, const json_t *state)
{
	struct bh_error *e = NULL;

	if (state && json_object_get(state, "learn") && bh_prof_recorder_remove(id, &e) < 0)
		bh_error_warn(&e, "container %s", id);
}

int rt_learn_collect(const char *id, const json_t *state, struct bh_error **err)
{
	const json_t *l = state ? json_object_get(state, "learn") : NULL;
	struct bh_prof_record rec;
	struct bh_prof_store *s = NULL;
	int r = -1;

	if (!l)
		return 0;
	if (bh_prof_recorder_read(id, &rec, err) < 0)
		goto out;
	if (bh_prof_store_open(NULL, true, &s, err) < 0 ||
	    bh_prof_store_add(s, bh_json_str(l, "profile"), bh_json_str(l, "digest"), id, &rec,
			      bh_rt_deny_list, err) < 0)
		goto out;
	r = 0;
out:
	bh_prof_store_close(s);
	{
		struct bh_error *e = NULL;

		if (bh_prof_recorder_remove(id, &e) < 0)
			bh_error_warn(&e, "container %s", id);
	}
	return r < 0 ? bh_error_prefix(err, "container %s: the learned profile", id) : 0;
}
