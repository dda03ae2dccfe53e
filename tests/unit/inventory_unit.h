/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cataloger unit tests' helpers (test_inventory_os, test_inventory_lang,
 * test_inventory_go): fixtures under tests/data/inventory (FIX; the tests run
 * from the repository root, as the harness does) read plain or gunzipped, a
 * package found by name, a string in a NULL-ended vector. Included after
 * unit.h.
 */
#ifndef BULKHEAD_TESTS_INVENTORY_UNIT_H
#define BULKHEAD_TESTS_INVENTORY_UNIT_H

#include <stdbool.h>
#include <zlib.h>

#include "bulkhead/inventory.h"
#define FIX "tests/data/inventory"

/* ---- helpers ----------------------------------------------------------------- */

static inline char *gunzip_file(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	struct bh_buf b = BH_BUF_INIT(64 << 20);
	char tmp[65536];
	int n;

	if (!gz)
		fail_msg("cannot open %s", path);
	while ((n = gzread(gz, tmp, sizeof(tmp))) > 0)
		bh_buf_add(&b, tmp, (size_t)n, NULL);
	gzclose(gz);
	return bh_buf_detach(&b, len);
}

static inline char *read_fix(const char *path, size_t *len)
{
	struct bh_buf b = BH_BUF_INIT(64 << 20);
	struct bh_error *err = NULL;

	if (bh_read_file(path, &b, &err) < 0)
		fail_msg("%s: %s", path, bh_error_message(err));
	return bh_buf_detach(&b, len);
}

static inline const struct bh_package *find(const struct bh_pkglist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

static inline bool has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

#endif
