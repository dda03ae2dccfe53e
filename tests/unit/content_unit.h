/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The content scanner unit tests' helpers (test_content_images,
 * test_content_built, test_content_packaged, test_content_parsers): an image
 * of $TESTDATA/images, a scan of one image with given options, findings
 * looked up by ID and path (`need` fails the test when absent), the count
 * of serious findings. (Images built here: the other header of the content
 * tests, apart so that these do not name its tool.) Included after unit.h.
 */
#ifndef BULKHEAD_TESTS_CONTENT_UNIT_H
#define BULKHEAD_TESTS_CONTENT_UNIT_H

#include <stdbool.h>
#include <unistd.h>

#include "bulkhead/content.h"
#include "bulkhead/image.h"
#include "bulkhead/report.h"
#include "bulkhead/scan.h"
static inline char *image_path(const char *name)
{
	const char *td = getenv("TESTDATA");

	return td ? bh_asprintf("%s/images/%s", td, name) : NULL;
}

static inline bool have(const char *path)
{
	return path && access(path, R_OK) == 0;
}

static inline void must(int rc, struct bh_error *err, const char *what)
{
	if (rc < 0) {
		char *m = bh_error_message(err);

		fail_msg("%s: %s", what, m);
	}
}

/* One walk (merge + content), as `bulkhead scan` runs it. `mask` may be NULL. */
static inline void scan_image(const char *path, struct bh_content_opts *o, const bool *mask,
			      bool inventory, struct bh_findings *out)
{
	struct bh_error *err = NULL;
	struct bh_image *img = NULL;
	struct bh_inventory *inv = NULL;
	struct bh_content *c = NULL;
	struct bh_merge *m;
	struct bh_fileset *fs = NULL;
	struct bh_consumer *cons[2];
	struct bh_walk_opts wo = { 0 };

	if (!o->builtin_rules_dir)
		o->builtin_rules_dir = "rules";
	must(bh_image_open(path, NULL, &img, &err), err, path);
	if (inventory) {
		struct bh_scan_result *res;

		/* the inventory alone: bh_scan_image with no scanner */
		must(bh_scan_image(img, NULL, &(struct bh_scan_opts){ 0 }, &res, &err), err,
		     "inventory");
		inv = res->inv;
		res->inv = NULL;
		bh_scan_result_free(res);
	}
	must(bh_content_new(img, o, &c, &err), err, "bh_content_new");
	m = bh_merge_new(img);
	cons[0] = bh_merge_consumer(m);
	cons[1] = bh_content_consumer(c);
	wo.layer_mask = mask;
	must(bh_image_walk_consumers(img, &wo, cons, 2, &err), err, "walk");
	must(bh_merge_finish(m, &fs, &err), err, "merge");
	must(bh_content_finish(c, fs, inv, out, &err), err, "finish");
	bh_content_free(c);
	bh_merge_free(m);
	bh_fileset_free(fs);
	bh_inventory_free(inv);
	bh_image_free(img);
}

static inline const struct bh_finding *find(const struct bh_findings *f, const char *id,
					    const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].id, id) &&
		    (!path || (f->v[i].path && !strcmp(f->v[i].path, path))))
			return &f->v[i];
	return NULL;
}

static inline size_t count(const struct bh_findings *f, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += !strcmp(f->v[i].id, id);
	return n;
}

static inline const struct bh_finding *need(const struct bh_findings *f, const char *id,
					    const char *path)
{
	const struct bh_finding *x = find(f, id, path);

	if (!x) {
		for (size_t i = 0; i < f->n; i++)
			print_message("  have %s %s %s\n", f->v[i].id,
				      f->v[i].path ? f->v[i].path : "-", f->v[i].title);
		fail_msg("no %s at %s", id, path ? path : "(config)");
	}
	return x;
}

/* Secret and malware findings at HIGH or above: the false-positive budget. */
static inline size_t serious(const struct bh_findings *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++) {
		const struct bh_finding *x = &f->v[i];

		if ((x->kind == BH_FIND_SECRET || x->kind == BH_FIND_MALWARE) &&
		    x->severity >= BH_SEV_HIGH) {
			print_message("  %s %s %s %s\n", x->id, bh_severity_name(x->severity),
				      x->path ? x->path : "-", x->title);
			n++;
		}
	}
	return n;
}

#endif
