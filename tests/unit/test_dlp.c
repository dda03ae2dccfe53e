/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming data-leak matcher (src/net/dlp.c). */
#include <string.h>

#include "unit.h"
#include "net/dlp.h"

struct got {
	size_t n;
	struct bh_dlp_match m[64];
};

static void on_match(void *opaque, const struct bh_dlp_match *m)
{
	struct got *g = opaque;

	/* kind is a static string or the sensor's name, alive with the bh_dlp */
	if (g->n < 64)
		g->m[g->n] = *m;
	g->n++;
}

/* Feed s to a fresh stream in pieces of seg bytes (0: at once), then finish. */
static struct got run_seg(struct bh_dlp *d, const char *s, size_t len, size_t seg)
{
	struct got g = { 0 };
	struct bh_dlp_stream *st;

	assert_int_equal(bh_dlp_stream_new(d, &st, NULL), 0);
	if (!seg)
		seg = len ? len : 1;
	for (size_t off = 0; off < len; off += seg)
		assert_int_equal(bh_dlp_feed(st, (const uint8_t *)s + off,
					     len - off < seg ? len - off : seg, on_match, &g),
				 0);
	bh_dlp_finish(st, on_match, &g);
	bh_dlp_stream_free(st);
	return g;
}

static struct got run(struct bh_dlp *d, const char *s)
{
	return run_seg(d, s, strlen(s), 0);
}

static void brands_prefixes_lengths_and_luhn(void **state)
{
	static const char *const ok[][2] = {
		{ "4111111111111111", "visa" },	      { "4222222222222", "visa" },
		{ "5555555555554444", "mastercard" }, { "2223003122003222", "mastercard" },
		{ "2720990000000007", "mastercard" }, { "378282246310005", "amex" },
		{ "6011111111111117", "discover" },   { "6445644564456445", "discover" },
		{ "3530111333300000", "jcb" },	      { "36227206271667", "diners" },
		{ "30569309025904", "diners" },	      { "6200000000000005", "unionpay" },
		{ "6212345678901265", "unionpay" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *b = bh_dlp_card_brand(ok[i][0], strlen(ok[i][0]));
		if (!b || strcmp(b, ok[i][1]) != 0)
			fail_msg("%s: %s, want %s", ok[i][0], b ? b : "NULL", ok[i][1]);
	}
	assert_null(bh_dlp_card_brand("4111111111111112", 16)); /* Luhn */
	assert_null(bh_dlp_card_brand("2721000000000004", 16)); /* past 2720 */
	assert_null(bh_dlp_card_brand("2220990000000000", 16)); /* before 2221 */
	assert_null(bh_dlp_card_brand("411111111111111", 15));	/* Visa length */
	assert_null(bh_dlp_card_brand("1234567812345670", 16)); /* no brand */
	assert_null(bh_dlp_card_brand("37828224631000", 14));
}

static void ssn_validity_rules(void **state)
{
	assert_true(bh_dlp_ssn_valid(123, 45, 6780));
	assert_false(bh_dlp_ssn_valid(0, 45, 6780));
	assert_false(bh_dlp_ssn_valid(666, 45, 6780));
	assert_false(bh_dlp_ssn_valid(900, 45, 6780));
	assert_false(bh_dlp_ssn_valid(999, 45, 6780));
	assert_false(bh_dlp_ssn_valid(123, 0, 6780));
	assert_false(bh_dlp_ssn_valid(123, 45, 0));
	assert_false(bh_dlp_ssn_valid(78, 5, 1120));
	assert_false(bh_dlp_ssn_valid(219, 9, 9999));
	assert_false(bh_dlp_ssn_valid(123, 45, 6789));
}

static void finds_numbers_in_text_masked(void **state)
{
	struct bh_dlp *d;
	struct got g;

	assert_int_equal(bh_dlp_new(NULL, 0, &d, NULL), 0);
	g = run(d, "card: 4111 1111 1111 1111, ssn 123-45-6780; amex=3782-822463-10005.");
	assert_int_equal(g.n, 3);
	assert_string_equal(g.m[0].kind, "card-visa");
	assert_int_equal(g.m[0].offset, 6);
	assert_int_equal(g.m[0].len, 19);
	assert_string_equal(g.m[0].masked, "************1111");
	assert_string_equal(g.m[1].kind, "ssn");
	assert_string_equal(g.m[1].masked, "***-**-6780");
	assert_string_equal(g.m[2].kind, "card-amex");
	assert_string_equal(g.m[2].masked, "***********0005");
	/* the number never appears whole in what is reported */
	for (size_t i = 0; i < g.n; i++)
		assert_null(strstr(g.m[i].masked, "41111111"));
	/* a number ending the stream */
	g = run(d, "4111111111111111");
	assert_int_equal(g.n, 1);
	/* next to another number written with spaces */
	g = run(d, "qty 2 4111 1111 1111 1111 x");
	assert_int_equal(g.n, 1);
	assert_int_equal(g.m[0].offset, 6);
	bh_dlp_free(d);
}

static void not_inside_longer_runs_or_words(void **state)
{
	static const char *const no[] = {
		"94111111111111111",	    /* a longer run */
		"41111111111111119",	    /* a longer run */
		"id=a4111111111111111",	    /* glued to a word */
		"4111111111111111b",	    /* glued to a word */
		"1.4111111111111111",	    /* a decimal */
		"4111-1111-1111-1111-1111", /* one group too many (dashes) */
		"4111 1111-1111 1111",	    /* mixed separators */
		"4111  1111  1111  1111",   /* two separators */
		"41 11 11 11 11 11 11 11",  /* not a brand's grouping */
		"000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000",
		"078-05-1120 123456789",
		"4111111111111112",
	};
	struct bh_dlp *d;

	assert_int_equal(bh_dlp_new(NULL, 0, &d, NULL), 0);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		struct got g = run(d, no[i]);
		if (g.n)
			fail_msg("%s: %zu matches (%s)", no[i], g.n, g.m[0].kind);
	}
	bh_dlp_free(d);
}

static void split_at_every_position(void **state)
{
	static const char *const texts[] = {
		"x 4111111111111111 y",	   "x 5555-5555-5555-4444 y", "x 3782 822463 10005 y",
		"x 6212 3456 7890 1265 y", "x 3530111333300000 y",    "x 3622 720627 1667 y",
		"x 6011 1111 1111 1117 y", "x 123-45-6780 y",
	};
	struct bh_dlp *d;

	assert_int_equal(bh_dlp_new(NULL, 0, &d, NULL), 0);
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		const char *s = texts[t];
		size_t len = strlen(s);
		for (size_t cut = 1; cut < len; cut++) {
			struct got g = { 0 };
			struct bh_dlp_stream *st;
			assert_int_equal(bh_dlp_stream_new(d, &st, NULL), 0);
			bh_dlp_feed(st, (const uint8_t *)s, cut, on_match, &g);
			bh_dlp_feed(st, (const uint8_t *)s + cut, len - cut, on_match, &g);
			bh_dlp_finish(st, on_match, &g);
			bh_dlp_stream_free(st);
			if (g.n != 1 || g.m[0].offset != 2)
				fail_msg("%s cut at %zu: %zu matches", s, cut, g.n);
		}
		struct got g = run_seg(d, s, len, 1);
		assert_int_equal(g.n, 1);
	}
	bh_dlp_free(d);
}

static void a_gap_ends_the_number(void **state)
{
	struct bh_dlp *d;
	struct bh_dlp_stream *st;
	struct got g = { 0 };

	assert_int_equal(bh_dlp_new(NULL, 0, &d, NULL), 0);
	assert_int_equal(bh_dlp_stream_new(d, &st, NULL), 0);
	bh_dlp_feed(st, (const uint8_t *)"x 41111111", 10, on_match, &g);
	bh_dlp_feed(st, NULL, 100, on_match, &g);
	bh_dlp_feed(st, (const uint8_t *)"11111111 4111111111111111 ", 26, on_match, &g);
	bh_dlp_finish(st, on_match, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.m[0].offset, 10 + 100 + 9);
	bh_dlp_stream_free(st);
	bh_dlp_free(d);
}

static bool confirm_even(const char *m, size_t n, void *opaque)
{
	(*(int *)opaque)++;
	return (m[n - 1] - '0') % 2 == 0;
}

static void sensors_with_confirm_across_segments(void **state)
{
	int calls = 0;
	struct bh_dlp_sensor s[] = {
		{ .name = "employee-id",
		  .pattern = "EMP-[0-9]{6}",
		  .caseless = true,
		  .confirm = confirm_even,
		  .confirm_opaque = &calls },
		{ .name = "secret-word", .pattern = "swordfish" },
	};
	struct bh_dlp *d;
	struct bh_error *err = NULL;
	const char *text = "a emp-123456 b EMP-123457 c swordfish d";

	if (bh_dlp_new(s, 2, &d, &err) < 0) {
		char *m = bh_error_message(err);
		fail_msg("bh_dlp_new: %s", m);
	}
	for (size_t seg = 1; seg <= strlen(text); seg++) {
		struct got g = run_seg(d, text, strlen(text), seg);
		assert_int_equal(g.n, 2);
		assert_string_equal(g.m[0].kind, "employee-id");
		assert_int_equal(g.m[0].offset, 2);
		assert_int_equal(g.m[0].len, 10);
		assert_string_equal(g.m[0].masked, "****3456");
		assert_string_equal(g.m[1].kind, "secret-word");
		assert_string_equal(g.m[1].masked, "****fish");
	}
	assert_true(calls > 0);
	bh_dlp_free(d);

	/* a bad expression names its sensor */
	struct bh_dlp_sensor bad = { .name = "broken", .pattern = "([a-z" };
	assert_true(bh_dlp_new(&bad, 1, &d, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "broken");
	bh_error_free(err);
}

static void hostile_streams(void **state)
{
	struct bh_dlp *d;
	size_t n = 8 << 20;
	char *s = bh_malloc(n);
	struct got g;

	assert_int_equal(bh_dlp_new(NULL, 0, &d, NULL), 0);
	/* 8 MiB of digits: one run, nothing reported, no growth */
	memset(s, '7', n);
	g = run_seg(d, s, n, 1460);
	assert_int_equal(g.n, 0);
	/* 8 MiB of "1 ": a run of four million groups */
	for (size_t i = 0; i < n; i += 2) {
		s[i] = '1';
		s[i + 1] = ' ';
	}
	g = run_seg(d, s, n, 1460);
	assert_int_equal(g.n, 0);
	/* NUL bytes and invalid UTF-8 around a number */
	char t[] = "\0\xff\xfe 4111111111111111 \0\xc3";
	g = run_seg(d, t, sizeof(t), 3);
	assert_int_equal(g.n, 1);
	/* a byte >= 0x80 glued to it is a word */
	char u[] = "\xc3\xa9"
		   "4111111111111111";
	g = run_seg(d, u, sizeof(u) - 1, 0);
	assert_int_equal(g.n, 0);
	free(s);
	bh_dlp_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(brands_prefixes_lengths_and_luhn),
		cmocka_unit_test(ssn_validity_rules),
		cmocka_unit_test(finds_numbers_in_text_masked),
		cmocka_unit_test(not_inside_longer_runs_or_words),
		cmocka_unit_test(split_at_every_position),
		cmocka_unit_test(a_gap_ends_the_number),
		cmocka_unit_test(sensors_with_confirm_across_segments),
		cmocka_unit_test(hostile_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
