/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial postgres (ctl_env.h's own PostgreSQL, unix socket in its temp dir) */
/*
 * The workloads paged (lease17, bh_ctl_workload_page) on SQLite and
 * PostgreSQL (tests/unit/ctl_env.h): pages by node and id follow one another
 * with no row twice or missed, with and without a node filter; a bad cursor
 * or limit is refused.
 */
#include "unit.h"
#include "bulkhead/ctl.h"
#include "ctl_env.h"
#include "banned.h"

static void report(struct bh_ctl_store *s, const char *node, int n)
{
	struct bh_ctl_workloads w;
	struct bh_error *err = NULL;
	struct bh_buf b = BH_BUF_INIT(1 << 20);

	assert_int_equal(bh_buf_addf(&b, &err, "{\"node\":\"%s\",\"workloads\":[", node), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(bh_buf_addf(&b, &err, "%s{\"id\":\"c%02d\",\"image\":\"nginx\"}",
					     i ? "," : "", i),
				 0);
	assert_int_equal(bh_buf_adds(&b, "]}", &err), 0);
	if (bh_ctl_workloads_parse(b.data, b.len, &w, &err) < 0 ||
	    bh_ctl_workloads_report(s, node, node, &w, NULL, NULL, &err) < 0)
		fail_msg("report: %s", bh_error_message(err));
	bh_ctl_workloads_release(&w);
	bh_buf_release(&b);
}

/* Every page of f, limit each: "node/id" of all, space-separated; pages counted. */
static char *walk(struct bh_ctl_store *s, const struct bh_ctl_workload_filter *f, unsigned limit,
		  int *pages)
{
	struct bh_buf out = BH_BUF_INIT(1 << 20);
	struct bh_error *err = NULL;
	char *cursor = NULL;

	*pages = 0;
	for (;;) {
		json_t *p = NULL, *x;
		size_t i;

		if (bh_ctl_workload_page(s, f, cursor, limit, &p, &err) < 0)
			fail_msg("page: %s", bh_error_message(err));
		(*pages)++;
		assert_true(json_array_size(json_object_get(p, "workloads")) <= limit);
		json_array_foreach (json_object_get(p, "workloads"), i, x)
			assert_int_equal(bh_buf_addf(&out, &err, "%s/%s ", bh_json_str(x, "node"),
						     bh_json_str(x, "id")),
					 0);
		free(cursor);
		cursor = bh_json_str(p, "next") ? bh_strdup(bh_json_str(p, "next")) : NULL;
		json_decref(p);
		if (!cursor || *pages > 100)
			break;
	}
	free(cursor);
	bh_buf_addc(&out, 0, &err);
	return out.data;
}

static void pages_follow_one_another(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_workload_filter all = { 0 }, n1 = { .node = "n1" };
	struct bh_error *err = NULL;
	json_t *p = NULL;
	int pages;
	char *got;

	reg(s, "n1");
	reg(s, "n2");
	report(s, "n2", 3);
	report(s, "n1", 5);
	got = walk(s, &all, 8, &pages);
	assert_int_equal(pages, 1); /* exactly the limit: no next */
	free(got);
	got = walk(s, &all, 3, &pages);
	assert_string_equal(got, "n1/c00 n1/c01 n1/c02 n1/c03 n1/c04 n2/c00 n2/c01 n2/c02 ");
	assert_int_equal(pages, 3);
	free(got);
	got = walk(s, &n1, 2, &pages);
	assert_string_equal(got, "n1/c00 n1/c01 n1/c02 n1/c03 n1/c04 ");
	assert_int_equal(pages, 3);
	free(got);
	/* the default: all at once */
	assert_int_equal(bh_ctl_workload_page(s, &all, NULL, 0, &p, &err), 0);
	assert_int_equal(json_array_size(json_object_get(p, "workloads")), 8);
	assert_true(json_is_null(json_object_get(p, "next")));
	json_decref(p);
	/* refused */
	assert_int_equal(bh_ctl_workload_page(s, &all, "no-slash", 0, &p, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
	bh_error_clear(&err);
	assert_int_equal(bh_ctl_workload_page(s, &all, "/c1", 0, &p, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(
		bh_ctl_workload_page(s, &all, NULL, BH_CTL_WORKLOAD_PAGE_MAX + 1, &p, &err), -1);
	bh_error_clear(&err);
	bh_ctl_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(pages_follow_one_another),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
