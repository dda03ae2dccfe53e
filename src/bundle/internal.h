/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/bundle: the user of an image's process, its config.json. */
#ifndef BULKHEAD_BUNDLE_INTERNAL_H
#define BULKHEAD_BUNDLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bulkhead/base.h"
#include "bulkhead/image.h"

struct bundle_user {
	uint32_t uid, gid;
	uint32_t *sgids; /* supplementary groups, owned */
	size_t nsgids;
};

/*
 * Resolve an image's User ("", "uid", "name", "uid:gid", "name:group", ...)
 * inside the root `rootfd` as runc does (user.c). On success the caller frees
 * out->sgids.
 */
int bundle_resolve_user(int rootfd, const char *spec, struct bundle_user *out,
			struct bh_error **err);

/*
 * config.json for img over the runtime's runc-compatible defaults: the
 * image's command (or `args` when it has one), environment, working
 * directory, and its user resolved inside `rootfd`. *out is a new reference.
 */
int bundle_image_config(const struct bh_image *img, int rootfd, char *const *args, json_t **out,
			struct bh_error **err);

#endif
