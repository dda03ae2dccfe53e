/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cataloger table. Each row is defined in its cataloger's file (what it
 * recognises, how it reads it); a new ecosystem is one new file and one row
 * here. The first row whose match() accepts a regular file reads it, so the
 * Go row, which takes any executable, comes last.
 */
#include <string.h>

#include "internal.h"
#include "banned.h"

static const struct inv_cataloger *const catalogers[] = {
	&inv_cat_os,	   &inv_cat_dpkg,   &inv_cat_apk,  &inv_cat_rpm, &inv_cat_npm,
	&inv_cat_npm_lock, &inv_cat_python, &inv_cat_java, &inv_cat_go,
};

const struct inv_cataloger *inv_cataloger_for(const struct bh_entry *e)
{
	const char *slash = strrchr(e->path, '/');
	struct inv_path p = {
		.path = e->path,
		.base = slash ? slash + 1 : e->path,
		.dirlen = slash ? (size_t)(slash - e->path) : 0,
		.mode = e->mode,
		.size = e->size,
	};

	for (size_t i = 0; i < sizeof(catalogers) / sizeof(catalogers[0]); i++)
		if (catalogers[i]->match(&p))
			return catalogers[i];
	return NULL;
}

const struct inv_cataloger *inv_cataloger_named(const char *name)
{
	for (size_t i = 0; i < sizeof(catalogers) / sizeof(catalogers[0]); i++)
		if (!strcmp(catalogers[i]->name, name))
			return catalogers[i];
	return NULL;
}
