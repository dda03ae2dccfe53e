/* SPDX-License-Identifier: Apache-2.0 */
/* JSON and YAML reading with limits. */
#include "unit.h"

static void json_parses_and_types(void **state)
{
	const char *s = "{\"a\":\"x\",\"n\":5,\"o\":{},\"l\":[1]}";
	json_t *v;
	json_int_t n;

	assert_int_equal(bh_json_parse(s, strlen(s), 1024, "test", &v, NULL), 0);
	assert_string_equal(bh_json_str(v, "a"), "x");
	assert_null(bh_json_str(v, "n"));
	assert_true(bh_json_int(v, "n", &n) && n == 5);
	assert_non_null(bh_json_obj(v, "o"));
	assert_null(bh_json_obj(v, "l"));
	assert_non_null(bh_json_arr(v, "l"));
	assert_null(bh_json_str(NULL, "a"));
	json_decref(v);
}

static void json_refuses_oversize_malformed_and_duplicates(void **state)
{
	struct bh_error *err = NULL;
	json_t *v;

	assert_int_equal(bh_json_parse("{}", 2, 1, "manifest", &v, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "manifest: 2 bytes of JSON exceeds the limit");
	bh_error_clear(&err);
	assert_int_equal(bh_json_parse("{\"a\":", 5, 100, "config", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "config: invalid JSON at line 1");
	bh_error_clear(&err);
	assert_int_equal(bh_json_parse("{\"a\":1,\"a\":2}", 13, 100, "index", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "duplicate");
	bh_error_clear(&err);
	assert_int_equal(bh_json_parse("{} {}", 5, 100, "x", &v, &err), -1);
	bh_error_clear(&err);
	assert_null(v);
}

static void json_dump_is_bounded(void **state)
{
	json_t *v = json_pack("{s:s}", "key", "a long value");
	struct bh_buf b = BH_BUF_INIT(8);
	struct bh_error *err = NULL;

	assert_int_equal(bh_json_dump_buf(v, JSON_COMPACT, &b, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "JSON output");
	bh_error_free(err);
	bh_buf_release(&b);
	b.max = 1000;
	assert_int_equal(bh_json_dump_buf(v, JSON_COMPACT, &b, NULL), 0);
	assert_string_equal(b.data, "{\"key\":\"a long value\"}");
	bh_buf_release(&b);
	json_decref(v);
}

static void yaml_maps_to_json_types(void **state)
{
	const char *y = "id: PYSEC-1\n"
			"n: 42\n"
			"f: 1.10\n"
			"q: '7'\n"
			"z: 0123\n"
			"t: true\n"
			"e:\n"
			"list:\n"
			"  - a\n"
			"  - {k: v}\n";
	json_t *v;

	assert_int_equal(bh_yaml_parse(y, strlen(y), NULL, "t.yaml", &v, NULL), 0);
	assert_string_equal(bh_json_str(v, "id"), "PYSEC-1");
	assert_true(json_is_integer(json_object_get(v, "n")));
	/* Floats stay strings so version-like values keep their text. */
	assert_string_equal(bh_json_str(v, "f"), "1.10");
	assert_string_equal(bh_json_str(v, "q"), "7");
	assert_string_equal(bh_json_str(v, "z"), "0123");
	assert_true(json_is_true(json_object_get(v, "t")));
	assert_true(json_is_null(json_object_get(v, "e")));
	assert_int_equal(json_array_size(bh_json_arr(v, "list")), 2);
	json_decref(v);
}

static void yaml_expands_aliases(void **state)
{
	const char *y = "a: &x [1, 2]\nb: *x\n";
	json_t *v;

	assert_int_equal(bh_yaml_parse(y, strlen(y), NULL, "t", &v, NULL), 0);
	assert_true(json_equal(json_object_get(v, "a"), json_object_get(v, "b")));
	json_decref(v);
}

static void yaml_bomb_hits_the_node_limit(void **state)
{
	const char *y = "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
			"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
			"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
			"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
			"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
			"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
			"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
			"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
			"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	struct bh_error *err = NULL;
	json_t *v;

	assert_int_equal(bh_yaml_parse(y, strlen(y), NULL, "bomb.yaml", &v, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "bomb.yaml: more than 1000000 YAML nodes");
	bh_error_free(err);
}

static void yaml_refuses_malformed_deep_and_duplicate(void **state)
{
	struct bh_yaml_limits lim = { 1 << 20, 1000, 5 };
	struct bh_error *err = NULL;
	json_t *v;

	assert_int_equal(bh_yaml_parse("a: [1, 2\n", 9, NULL, "x.yaml", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "x.yaml: invalid YAML at line");
	bh_error_clear(&err);
	assert_int_equal(bh_yaml_parse("[[[[[[[[1]]]]]]]]", 17, &lim, "deep", &v, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "nesting deeper than 5");
	bh_error_clear(&err);
	assert_int_equal(bh_yaml_parse("a: 1\na: 2\n", 10, NULL, "dup", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "duplicate key 'a'");
	bh_error_clear(&err);
	assert_int_equal(bh_yaml_parse("a: *nope\n", 9, NULL, "al", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "unknown alias");
	bh_error_clear(&err);
	assert_int_equal(
		bh_yaml_parse("abc", 3, &(struct bh_yaml_limits){ 2, 10, 10 }, "big", &v, &err),
		-1);
	assert_error(err, BH_ERR_LIMIT, "exceeds the limit of 2 bytes");
	bh_error_clear(&err);
	assert_int_equal(bh_yaml_parse("", 0, NULL, "empty", &v, NULL), 0);
	assert_true(json_is_null(v));
	json_decref(v);
}

static void yaml_stream_reads_every_document(void **state)
{
	const char *y = "a: 1\n---\n# empty\n---\n- x\n- y\n...\n---\nb: &k [1]\nc: *k\n";
	json_t *docs;

	assert_int_equal(bh_yaml_parse_stream(y, strlen(y), NULL, "s", 0, &docs, NULL, NULL), 0);
	assert_int_equal(json_array_size(docs), 4);
	assert_true(json_is_object(json_array_get(docs, 0)));
	assert_true(json_is_null(json_array_get(docs, 1)));
	assert_int_equal(json_array_size(json_array_get(docs, 2)), 2);
	assert_true(json_equal(json_object_get(json_array_get(docs, 3), "b"),
			       json_object_get(json_array_get(docs, 3), "c")));
	json_decref(docs);
	/* the first document alone, as before */
	assert_int_equal(bh_yaml_parse(y, strlen(y), NULL, "s", &docs, NULL), 0);
	assert_true(json_is_integer(json_object_get(docs, "a")));
	json_decref(docs);
}

static void yaml_stream_keeps_marks(void **state)
{
	const char *y = "kind: Policy\n"
			"spec:\n"
			"  rules:\n"
			"  - name: a\n"
			"    kind: nope\n"
			"  - {name: b, \"we/ird~\": 3}\n"
			"---\n"
			"x: 1\n";
	struct bh_yaml_marks *m;
	struct bh_yaml_mark mk;
	json_t *docs;

	assert_int_equal(bh_yaml_parse_stream(y, strlen(y), NULL, "p", 64, &docs, &m, NULL), 0);
	assert_true(bh_yaml_mark_get(m, "/0/spec/rules/0/kind", false, &mk));
	assert_int_equal(mk.line, 5);
	assert_int_equal(mk.column, 11);
	assert_true(bh_yaml_mark_get(m, "/0/spec/rules/0/kind", true, &mk));
	assert_int_equal(mk.line, 5);
	assert_int_equal(mk.column, 5);
	assert_true(bh_yaml_mark_get(m, "/0/spec/rules/1/we~1ird~0", true, &mk));
	assert_int_equal(mk.line, 6);
	assert_int_equal(mk.column, 15);
	/* an unknown member: its nearest ancestor */
	assert_true(bh_yaml_mark_get(m, "/0/spec/rules/1/missing/deeper", false, &mk));
	assert_int_equal(mk.line, 6);
	assert_int_equal(mk.column, 5);
	assert_true(bh_yaml_mark_get(m, "/1/x", false, &mk));
	assert_int_equal(mk.line, 8);
	assert_false(bh_yaml_mark_get(m, "/7", false, &mk));
	bh_yaml_marks_free(m);
	json_decref(docs);
	/* a shallow mark depth keeps only the documents' roots */
	assert_int_equal(bh_yaml_parse_stream(y, strlen(y), NULL, "p", 1, &docs, &m, NULL), 0);
	assert_true(bh_yaml_mark_get(m, "/0/spec/rules/0/kind", false, &mk));
	assert_int_equal(mk.line, 1);
	assert_true(bh_yaml_mark_get(m, "/1", false, &mk));
	assert_int_equal(mk.line, 8);
	bh_yaml_marks_free(m);
	json_decref(docs);
}

static void yaml_stream_errors_name_line_and_column(void **state)
{
	struct bh_error *err = NULL;
	json_t *docs;

	assert_int_equal(bh_yaml_parse_stream("a: 1\n---\nb: 1\nb: 2\n", 19, NULL, "dup.yaml", 8,
					      &docs, NULL, &err),
			 -1);
	assert_error(err, BH_ERR_INVALID, "dup.yaml: duplicate key 'b' at line 4 column 1");
	bh_error_clear(&err);
	/* an anchor of one document is unknown in the next */
	assert_int_equal(bh_yaml_parse_stream("a: &x 1\n---\nb: *x\n", 18, NULL, "al.yaml", 0,
					      &docs, NULL, &err),
			 -1);
	assert_error(err, BH_ERR_INVALID, "unknown alias '*x' at line 3 column 4");
	bh_error_clear(&err);
	/* the node budget is the stream's, not each document's */
	assert_int_equal(bh_yaml_parse_stream("[1, 2]\n---\n[3, 4]\n", 18,
					      &(struct bh_yaml_limits){ 100, 5, 10 }, "n", 0, &docs,
					      NULL, &err),
			 -1);
	assert_error(err, BH_ERR_LIMIT, "more than 5 YAML nodes");
	bh_error_clear(&err);
	assert_int_equal(bh_yaml_parse_stream("a: [\n", 5, NULL, "bad", 0, &docs, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "bad: invalid YAML at line");
	bh_error_clear(&err);
	assert_null(docs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_parses_and_types),
		cmocka_unit_test(json_refuses_oversize_malformed_and_duplicates),
		cmocka_unit_test(json_dump_is_bounded),
		cmocka_unit_test(yaml_maps_to_json_types),
		cmocka_unit_test(yaml_expands_aliases),
		cmocka_unit_test(yaml_bomb_hits_the_node_limit),
		cmocka_unit_test(yaml_refuses_malformed_deep_and_duplicate),
		cmocka_unit_test(yaml_stream_reads_every_document),
		cmocka_unit_test(yaml_stream_keeps_marks),
		cmocka_unit_test(yaml_stream_errors_name_line_and_column),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
