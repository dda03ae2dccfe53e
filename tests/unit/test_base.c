/* SPDX-License-Identifier: Apache-2.0 */
/* Errors, the bounded buffer, numbers, hashing, logging, mkdir -p, string
 * vectors, ASCII classes and RFC 3339 times. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

static void error_chain_reads_outermost_first(void **state)
{
	struct bh_error *err = NULL;

	assert_int_equal(bh_error_set(&err, BH_ERR_INVALID, "unexpected end of stream"), -1);
	bh_error_prefix(&err, "gzip");
	bh_error_prefix(&err, "layer %s", "sha256:ab12");
	char *m = bh_error_message(err);
	assert_string_equal(m, "layer sha256:ab12: gzip: unexpected end of stream");
	assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
	free(m);
	bh_error_free(err);
}

static void error_first_failure_is_kept(void **state)
{
	struct bh_error *err = NULL;

	bh_error_set(&err, BH_ERR_DIGEST, "first");
	bh_error_set(&err, BH_ERR_IO, "second");
	assert_error(err, BH_ERR_DIGEST, "first");
	bh_error_clear(&err);
	assert_null(err);
}

static void error_with_null_target_is_harmless(void **state)
{
	assert_int_equal(bh_error_set(NULL, BH_ERR_IO, "x"), -1);
	assert_int_equal(bh_error_prefix(NULL, "y"), -1);
	bh_error_free(NULL);
	char *m = bh_error_message(NULL);
	assert_string_equal(m, "no error");
	free(m);
}

static void error_sys_keeps_errno(void **state)
{
	struct bh_error *err = NULL;

	bh_error_sys(&err, 2, "opening %s", "/x");
	bh_error_prefix(&err, "image");
	assert_error(err, BH_ERR_IO, "image: opening /x: No such file or directory");
	assert_int_equal(bh_error_errno(err), 2);
	bh_error_free(err);
}

static void buf_grows_to_its_maximum_and_no_further(void **state)
{
	struct bh_buf b = BH_BUF_INIT(10);
	struct bh_error *err = NULL;

	assert_int_equal(bh_buf_adds(&b, "hello", &err), 0);
	assert_int_equal(bh_buf_adds(&b, "world", &err), 0);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "helloworld");
	assert_int_equal(bh_buf_addc(&b, '!', &err), -1);
	assert_error(err, BH_ERR_LIMIT, "limit of 10 bytes");
	/* A refused append leaves the buffer as it was. */
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "helloworld");
	assert_true(b.cap <= 11);
	bh_error_free(err);
	bh_buf_release(&b);
}

static void buf_refuses_huge_single_append(void **state)
{
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	struct bh_error *err = NULL;

	assert_int_equal(bh_buf_grow(&b, SIZE_MAX - 2, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "buffer limit");
	assert_null(b.data);
	bh_error_free(err);
}

static void buf_with_no_practical_limit_grows(void **state)
{
	struct bh_buf b = BH_BUF_INIT(SIZE_MAX);

	for (int i = 0; i < 1000; i++)
		assert_int_equal(bh_buf_adds(&b, "0123456789", NULL), 0);
	assert_int_equal(b.len, 10000);
	assert_true(b.cap > b.len);
	bh_buf_release(&b);
}

static void buf_formats_and_detaches(void **state)
{
	struct bh_buf b = BH_BUF_INIT(100);
	size_t len;

	assert_int_equal(bh_buf_addf(&b, NULL, "%d-%s", 42, "x"), 0);
	char *s = bh_buf_detach(&b, &len);
	assert_string_equal(s, "42-x");
	assert_int_equal(len, 4);
	assert_null(b.data);
	free(s);
	s = bh_buf_detach(&b, &len);
	assert_string_equal(s, "");
	free(s);

	struct bh_buf small = BH_BUF_INIT(3);
	struct bh_error *err = NULL;
	assert_int_equal(bh_buf_addf(&small, &err, "%s", "toolong"), -1);
	assert_error(err, BH_ERR_LIMIT, "limit");
	bh_error_free(err);
	bh_buf_release(&small);
}

static void buf_read_fd_is_bounded(void **state)
{
	char *dir = unit_mktmp();
	char *path = bh_asprintf("%s/f", dir);
	struct bh_buf b = BH_BUF_INIT(8);
	struct bh_error *err = NULL;

	assert_int_equal(bh_write_file_atomic(path, "12345678", 8, 0600, NULL), 0);
	assert_int_equal(bh_read_file(path, &b, &err), 0);
	assert_string_equal(b.data, "12345678");
	bh_buf_release(&b);
	assert_int_equal(bh_write_file_atomic(path, "123456789", 9, 0600, NULL), 0);
	assert_int_equal(bh_read_file(path, &b, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "larger than the limit of 8 bytes");
	bh_error_free(err);
	bh_buf_release(&b);
	free(path);
	unit_rmtmp(dir);
}

static void numbers_parse_strictly(void **state)
{
	uint64_t v;

	assert_int_equal(bh_parse_u64("0", &v, NULL), 0);
	assert_int_equal(v, 0);
	assert_int_equal(bh_parse_u64("18446744073709551615", &v, NULL), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(bh_parse_u64("18446744073709551616", &v, NULL), -1);
	assert_int_equal(bh_parse_u64("", &v, NULL), -1);
	assert_int_equal(bh_parse_u64("-1", &v, NULL), -1);
	assert_int_equal(bh_parse_u64(" 1", &v, NULL), -1);
	assert_int_equal(bh_parse_u64("1x", &v, NULL), -1);
	assert_int_equal(bh_parse_size("512M", &v, NULL), 0);
	assert_true(v == 512ull << 20);
	assert_int_equal(bh_parse_size("2g", &v, NULL), 0);
	assert_true(v == 2ull << 30);
	assert_int_equal(bh_parse_size("7", &v, NULL), 0);
	assert_true(v == 7);
	assert_int_equal(bh_parse_size("M", &v, NULL), -1);
	assert_int_equal(bh_parse_size("99999999999T", &v, NULL), -1);
}

static void digests_parse_and_hash(void **state)
{
	struct bh_digest d;
	struct bh_error *err = NULL;

	bh_sha256("abc", 3, &d);
	assert_string_equal(
		d.str, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(bh_digest_parse(d.str, &d, NULL), 0);
	assert_string_equal(bh_digest_hex(&d),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(bh_digest_parse("md5:abc", &d, &err), -1);
	assert_error(err, BH_ERR_INVALID, "does not start with sha256");
	bh_error_clear(&err);
	assert_int_equal(bh_digest_parse("sha256:ABC", &d, &err), -1);
	assert_error(err, BH_ERR_INVALID, "hex digits");
	bh_error_clear(&err);
	assert_int_equal(
		bh_digest_parse(
			"sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
			&d, &err),
		-1);
	assert_error(err, BH_ERR_INVALID, "lowercase");
	bh_error_clear(&err);

	struct bh_hasher *h;
	assert_int_equal(bh_hasher_new(BH_HASH_SHA512, &h, NULL), 0);
	bh_hasher_update(h, "a", 1);
	bh_hasher_update(h, "bc", 2);
	bh_hasher_final(h, &d);
	assert_true(bh_str_has_prefix(d.str, "sha512:ddaf35a193617aba"));
	assert_int_equal(strlen(d.str), 7 + 128);
	bh_hasher_free(h);
}

static int logged;
static char last_msg[64];
static void capture(enum bh_log_level level, const char *msg, void *data)
{
	logged++;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

static void log_respects_level_and_handler(void **state)
{
	bh_log_set_handler(NULL, NULL);
	bh_log(BH_LOG_ERROR, "dropped");
	bh_log_set_handler(capture, NULL);
	bh_log_set_level(BH_LOG_WARN);
	logged = 0;
	bh_log(BH_LOG_INFO, "too verbose");
	assert_int_equal(logged, 0);
	bh_warn("kept %d", 7);
	assert_int_equal(logged, 1);
	assert_string_equal(last_msg, "kept 7");
	bh_log_set_level(BH_LOG_DEBUG);
	bh_debug("dbg");
	assert_int_equal(logged, 2);
	assert_int_equal(bh_log_level_parse("warning"), BH_LOG_WARN);
	assert_int_equal(bh_log_level_parse("loud"), -1);
	bh_log_set_handler(NULL, NULL);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void mkdirs_makes_missing_parents(void **state)
{
	char tmpl[] = "/tmp/bh-mkdirs-XXXXXX", path[128];
	struct bh_error *err = NULL;
	mode_t old = umask(0);
	char *m;

	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/a/b/c", tmpl);
	assert_int_equal(bh_mkdirs(path, 0711, 0700, &err), 0);
	snprintf(path, sizeof(path), "%s/a", tmpl);
	assert_int_equal(mode_of(path), 0711);
	snprintf(path, sizeof(path), "%s/a/b", tmpl);
	assert_int_equal(mode_of(path), 0711);
	snprintf(path, sizeof(path), "%s/a/b/c", tmpl);
	assert_int_equal(mode_of(path), 0700);
	/* existing: left as it is */
	assert_int_equal(bh_mkdirs(path, 0755, 0755, &err), 0);
	assert_int_equal(mode_of(path), 0700);
	/* a file on the way: the error names the path */
	snprintf(path, sizeof(path), "%s/f", tmpl);
	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	snprintf(path, sizeof(path), "%s/f/x/y", tmpl);
	assert_int_equal(bh_mkdirs(path, 0711, 0700, &err), -1);
	m = bh_error_message(err);
	if (!strstr(m, "creating ") || !strstr(m, "Not a directory"))
		fail_msg("error: %s", m);
	free(m);
	bh_error_free(err);
	umask(old);
	assert_int_equal(bh_remove_tree(AT_FDCWD, tmpl, NULL), 0);
}

static void strvec_stays_null_terminated(void **state)
{
	struct bh_strvec sv = BH_STRVEC_INIT;
	char **v, **d;

	assert_null(bh_strvec_detach(&sv));
	for (int i = 0; i < 100; i++) {
		bh_strvec_pushf(&sv, "s%d", i);
		assert_null(sv.v[sv.n]);
	}
	bh_strvec_push(&sv, "copy");
	bh_strvec_push_take(&sv, bh_strdup("taken"));
	assert_int_equal(sv.n, 102);
	assert_string_equal(sv.v[99], "s99");
	v = bh_strvec_detach(&sv);
	assert_null(sv.v);
	assert_int_equal(sv.n, 0);
	assert_int_equal(bh_strv_len(v), 102);
	assert_true(bh_strv_contains(v, "taken"));
	assert_false(bh_strv_contains(v, "s100"));
	assert_false(bh_strv_contains(NULL, "x"));
	d = bh_strv_dup(v);
	assert_ptr_not_equal(d[0], v[0]);
	assert_string_equal(d[101], "taken");
	assert_null(d[102]);
	assert_null(bh_strv_dup(NULL));
	bh_strv_free(v);
	bh_strv_free(d);
	bh_strv_free(NULL);
	bh_strvec_push(&sv, "again");
	bh_strvec_release(&sv);
	assert_null(sv.v);
}

/* Every byte value, signed and unsigned, agrees with the C locale (ASCII). */
static void ascii_classes_match_the_c_locale_for_every_byte(void **state)
{
	for (int i = -128; i < 256; i++) {
		int u = i < 0 ? i + 256 : i;
		bool ascii = u < 128;

		assert_int_equal(bh_isdigit(i), ascii && isdigit(u) != 0);
		assert_int_equal(bh_isalpha(i), ascii && isalpha(u) != 0);
		assert_int_equal(bh_isalnum(i), ascii && isalnum(u) != 0);
		assert_int_equal(bh_isupper(i), ascii && isupper(u) != 0);
		assert_int_equal(bh_islower(i), ascii && islower(u) != 0);
		assert_int_equal(bh_isxdigit(i), ascii && isxdigit(u) != 0);
		assert_int_equal(bh_isspace(i), ascii && isspace(u) != 0);
		assert_int_equal(bh_isprint(i), ascii && isprint(u) != 0);
		if (ascii) {
			assert_int_equal(bh_tolower(i), tolower(u));
			assert_int_equal(bh_toupper(i), toupper(u));
		} else {
			assert_int_equal(bh_tolower(i), i);
			assert_int_equal(bh_toupper(i), i);
		}
	}
}

static void time_formats_rfc3339_in_utc(void **state)
{
	char buf[BH_TIME_MAX];
	struct timespec ts = { 0, 0 };

	assert_string_equal(bh_time_rfc3339(&ts, 0, buf), "1970-01-01T00:00:00Z");
	ts.tv_sec = 951782400 + 86399; /* the last second of 2000-02-29 */
	ts.tv_nsec = 123456789;
	assert_string_equal(bh_time_rfc3339(&ts, 0, buf), "2000-02-29T23:59:59Z");
	assert_string_equal(bh_time_rfc3339(&ts, 3, buf), "2000-02-29T23:59:59.123Z");
	assert_string_equal(bh_time_rfc3339(&ts, 6, buf), "2000-02-29T23:59:59.123456Z");
	assert_string_equal(bh_time_rfc3339(&ts, 9, buf), "2000-02-29T23:59:59.123456789Z");
	ts.tv_sec = -1;
	assert_string_equal(bh_time_rfc3339(&ts, 0, buf), "1969-12-31T23:59:59Z");
	ts.tv_sec = 253402300799; /* the last second of 9999 */
	assert_string_equal(bh_time_rfc3339(&ts, 0, buf), "9999-12-31T23:59:59Z");
	assert_string_equal(bh_time_short(1700000000, buf), "2023-11-14 22:13");
	/* now: agrees with the clock to the second */
	bh_time_rfc3339(NULL, 0, buf);
	int64_t t;
	assert_int_equal(bh_time_parse(buf, false, &t, NULL), 0);
	assert_true(llabs(t - (int64_t)time(NULL)) <= 1);
}

/* Formatting and parsing agree with each other over a wide range of days. */
static void time_round_trips(void **state)
{
	char buf[BH_TIME_MAX];

	for (int64_t t = -62135596800; t < 253402300799; t += 86400 * 37 + 3607) {
		struct timespec ts = { (time_t)t, 0 };
		int64_t back;

		bh_time_rfc3339(&ts, 0, buf);
		assert_int_equal(bh_time_parse(buf, false, &back, NULL), 0);
		if (back != t)
			fail_msg("%s: %lld != %lld", buf, (long long)back, (long long)t);
	}
}

static void time_parses_what_rfc3339_allows_and_nothing_else(void **state)
{
	static const struct {
		const char *s;
		bool date_ok;
		int64_t want; /* INT64_MIN: refused */
	} cases[] = {
		{ "2024-05-06T07:08:09Z", false, 1714979289 },
		{ "2024-05-06t07:08:09z", false, 1714979289 },
		{ "2024-05-06 07:08:09Z", false, 1714979289 },
		{ "2024-05-06T07:08:09.999999999Z", false, 1714979289 },
		{ "2024-05-06T09:08:09+02:00", false, 1714979289 },
		{ "2024-05-06T00:08:09-07:00", false, 1714979289 },
		{ "2024-05-06", true, 1714953600 },
		{ "2024-02-29", true, 1709164800 },
		{ "2016-12-31T23:59:60Z", false, 1483228800 },
		{ "2024-05-06", false, INT64_MIN },
		{ "2023-02-29", true, INT64_MIN },
		{ "2024-13-01", true, INT64_MIN },
		{ "2024-00-10", true, INT64_MIN },
		{ "2024-05-06T24:00:00Z", false, INT64_MIN },
		{ "2024-05-06T07:08:09", false, INT64_MIN },
		{ "2024-05-06T07:08:09.Z", false, INT64_MIN },
		{ "2024-05-06T07:08:09+0200", false, INT64_MIN },
		{ "2024-05-06T07:08:09Z ", false, INT64_MIN },
		{ "2024-5-06", true, INT64_MIN },
		{ "-024-05-06", true, INT64_MIN },
		{ "", true, INT64_MIN },
		{ "2024-05-06T", false, INT64_MIN },
		{ "2024-05-06T07:08", false, INT64_MIN },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_error *err = NULL;
		int64_t t = 0;
		int r = bh_time_parse(cases[i].s, cases[i].date_ok, &t, &err);

		if (cases[i].want == INT64_MIN) {
			if (r == 0)
				fail_msg("'%s' accepted as %lld", cases[i].s, (long long)t);
			assert_error(err, BH_ERR_INVALID, "is not an RFC 3339");
			bh_error_free(err);
		} else if (r < 0 || t != cases[i].want) {
			fail_msg("'%s': %d, %lld, want %lld", cases[i].s, r, (long long)t,
				 (long long)cases[i].want);
		}
	}
}

static char *warned;

static void warn_catcher(enum bh_log_level level, const char *msg, void *data)
{
	if (level == BH_LOG_WARN) {
		free(warned);
		warned = bh_strdup(msg);
	}
}

static void error_warn_logs_and_releases(void **state)
{
	struct bh_error *err = NULL;

	bh_log_set_handler(warn_catcher, NULL);
	bh_log_set_level(BH_LOG_INFO);
	bh_error_warn(&err, "nothing");
	assert_null(warned);
	bh_error_set(&err, BH_ERR_IO, "disk full");
	bh_error_prefix(&err, "writing x");
	bh_error_warn(&err, "scan not recorded in %s", "db");
	assert_null(err);
	assert_string_equal(warned, "scan not recorded in db: writing x: disk full");
	bh_error_warn(NULL, "nothing");
	free(warned);
	warned = NULL;
	bh_log_set_handler(NULL, NULL);
}

static void pack_round_trips_and_fails_on_every_truncation(void **state)
{
	static const uint64_t nums[] = { 0, 1, 127, 128, 300, UINT32_MAX, UINT64_MAX };
	static const int64_t snums[] = { 0, -1, 1, INT64_MIN, INT64_MAX, -300 };
	struct bh_buf b = BH_BUF_INIT(1u << 20);
	struct bh_pack w = { &b, false };
	struct bh_unpack r;
	unsigned char md5[4] = { 1, 2, 3, 4 }, got4[4];
	size_t n;

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		bh_pack_u64(&w, nums[i]);
	for (size_t i = 0; i < sizeof(snums) / sizeof(snums[0]); i++)
		bh_pack_i64(&w, snums[i]);
	bh_pack_str(&w, "usr/bin/env");
	bh_pack_str(&w, NULL);
	bh_pack_str(&w, "");
	bh_pack_bytes(&w, "\0\1\2", 3);
	bh_pack_fixed(&w, md5, sizeof(md5));
	assert_false(w.failed);

	for (size_t cut = 0; cut <= b.len; cut++) {
		char *s1, *s2, *s3;
		const void *p;

		bh_unpack_init(&r, b.data, cut);
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
			uint64_t v = bh_unpack_u64(&r, UINT64_MAX);

			if (cut == b.len)
				assert_true(v == nums[i]);
		}
		for (size_t i = 0; i < sizeof(snums) / sizeof(snums[0]); i++) {
			int64_t v = bh_unpack_i64(&r);

			if (cut == b.len)
				assert_true(v == snums[i]);
		}
		s1 = bh_unpack_str(&r, 100);
		s2 = bh_unpack_str(&r, 100);
		s3 = bh_unpack_str(&r, 100);
		p = bh_unpack_bytes(&r, &n, 100);
		bh_unpack_fixed(&r, got4, sizeof(got4));
		if (cut == b.len) {
			assert_true(bh_unpack_done(&r));
			assert_string_equal(s1, "usr/bin/env");
			assert_null(s2);
			assert_string_equal(s3, "");
			assert_int_equal(n, 3);
			assert_memory_equal(p, "\0\1\2", 3);
			assert_memory_equal(got4, md5, 4);
		} else {
			/* every shorter input fails, and nothing is left half-read */
			assert_true(r.failed);
			assert_false(bh_unpack_done(&r));
		}
		free(s1);
		free(s2);
		free(s3);
	}
	bh_buf_release(&b);
}

static void unpack_refuses_hostile_values(void **state)
{
	/* an 11-byte varint, a tenth byte over 1, a count past the input */
	static const unsigned char longv[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					       0x80, 0x80, 0x80, 0x80, 0x01 };
	static const unsigned char tenth[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					       0xff, 0xff, 0xff, 0xff, 0x02 };
	static const unsigned char count[] = { 0x05, 'a', 'b' };
	static const unsigned char nul[] = { 0x04, 'a', 0, 'b' };
	struct bh_buf b = BH_BUF_INIT(8);
	struct bh_pack w = { &b, false };
	struct bh_unpack r;
	char *s;

	bh_unpack_init(&r, longv, sizeof(longv));
	bh_unpack_u64(&r, UINT64_MAX);
	assert_true(r.failed);
	bh_unpack_init(&r, tenth, sizeof(tenth));
	bh_unpack_u64(&r, UINT64_MAX);
	assert_true(r.failed);
	bh_unpack_init(&r, count, sizeof(count));
	assert_int_equal(bh_unpack_count(&r, 1000), 0);
	assert_true(r.failed);
	bh_unpack_init(&r, nul, sizeof(nul));
	assert_null(bh_unpack_str(&r, 100));
	assert_true(r.failed);
	/* a value over the caller's limit */
	bh_unpack_init(&r, count, sizeof(count));
	assert_int_equal(bh_unpack_u64(&r, 4), 0);
	assert_true(r.failed);
	bh_unpack_init(&r,
		       (const unsigned char *)"\x03"
					      "ab",
		       3);
	s = bh_unpack_str(&r, 1);
	assert_null(s);
	assert_true(r.failed);
	/* NULL where a string must be */
	bh_unpack_init(&r, (const unsigned char *)"\0", 1);
	assert_null(bh_unpack_str_nn(&r, 10));
	assert_true(r.failed);
	/* the writer stops at its buffer's maximum, and says so */
	bh_pack_str(&w, "0123456789");
	assert_true(w.failed);
	bh_buf_release(&b);
}

/* ---- base64 ---------------------------------------------------------------- */

/* Decode s (NUL-terminated) with flags into a 64-byte buffer; -1 on error. */
static int unb64(const char *s, unsigned flags, char *out, size_t *len, struct bh_error **err)
{
	return bh_base64_decode_mem(s, strlen(s), flags, "test", out, 64, len, err);
}

static void base64_round_trips_rfc4648_vectors(void **state)
{
	static const char *const v[][2] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	unsigned char bytes[256];
	char out[64];
	size_t len;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct bh_buf b = BH_BUF_INIT(64), d = BH_BUF_INIT(64);
		size_t n = strlen(v[i][0]);

		assert_int_equal(bh_base64_encode(v[i][0], n, &b, NULL), 0);
		assert_int_equal(b.len, strlen(v[i][1]));
		assert_memory_equal(b.data, v[i][1], b.len);
		assert_int_equal(bh_base64_decode(v[i][1], strlen(v[i][1]), "t", &d, NULL), 0);
		assert_int_equal(d.len, n);
		if (n)
			assert_memory_equal(d.data, v[i][0], n);
		/* without its padding, where the caller allows that */
		b.len = n % 3 ? b.len - (3 - n % 3) : b.len;
		b.data[b.len] = 0;
		assert_int_equal(unb64(b.data, BH_BASE64_NOPAD, out, &len, NULL), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, v[i][0], n);
		bh_buf_release(&b);
		bh_buf_release(&d);
	}
	/* every length and byte value, both alphabets */
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 167 + 13);
	for (size_t n = 0; n <= 48; n++) {
		struct bh_buf b = BH_BUF_INIT(256);

		assert_int_equal(bh_base64_encode(bytes + n, n, &b, NULL), 0);
		assert_int_equal(bh_base64_decode_mem(b.data, b.len, 0, "t", out, 64, &len, NULL),
				 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, bytes + n, n);
		for (size_t k = 0; k < b.len; k++)
			b.data[k] = b.data[k] == '+' ? '-' : b.data[k] == '/' ? '_' : b.data[k];
		assert_int_equal(bh_base64_decode_mem(b.data, b.len, BH_BASE64_URL, "t", out, 64,
						      &len, NULL),
				 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, bytes + n, n);
		bh_buf_release(&b);
	}
}

static void base64_refuses_hostile_input(void **state)
{
	static const struct {
		const char *s;
		unsigned flags;
		const char *why;
	} bad[] = {
		{ "Zm9v\n", 0, "not a multiple of 4" }, /* white space */
		{ "Zm 9vYQ", BH_BASE64_NOPAD, "not base64 (byte 2 is 0x20)" },
		{ "Zm9v\xff\xff\xff\xff", 0, "not base64 (byte 4 is 0xff)" },
		{ "Zg=", 0, "not a multiple of 4" }, /* padding cut short */
		{ "Zg=", BH_BASE64_NOPAD, "not a multiple of 4" },
		{ "Zg", 0, "not a multiple of 4" },		     /* padding required */
		{ "Zm9vY", BH_BASE64_NOPAD, "not a multiple of 4" }, /* truncated */
		{ "Z===", 0, "not base64 (byte 1" },
		{ "====", 0, "not base64 (byte 0" },
		{ "Zg==Zg==", 0, "not base64 (byte 2" }, /* padding inside */
		{ "Zm8=Zm8=", BH_BASE64_NOPAD, "not base64 (byte 3" },
		{ "Zh==", 0, "non-zero padding bits" }, /* non-canonical */
		{ "Zm9=", 0, "non-zero padding bits" },
		{ "Zh", BH_BASE64_NOPAD, "non-zero padding bits" },
		{ "-_-_", 0, "not base64 (byte 0 is 0x2d)" }, /* the other alphabet */
		{ "+/+/", BH_BASE64_URL, "not base64 (byte 0 is 0x2b)" },
	};
	struct bh_error *err = NULL;
	struct bh_buf b = BH_BUF_INIT(16);
	char out[64], *huge;
	size_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(unb64(bad[i].s, bad[i].flags, out, &len, &err), -1);
		assert_error(err, BH_ERR_INVALID, bad[i].why);
		bh_error_clear(&err);
		assert_int_equal(len, 0);
	}
	/* a NUL inside is a character like any other */
	assert_int_equal(bh_base64_decode_mem("Zm\0v", 4, 0, "t", out, 64, &len, &err), -1);
	assert_error(err, BH_ERR_INVALID, "t: not base64 (byte 2 is 0x00)");
	bh_error_clear(&err);

	/* bounded: by the room given, exactly, and by the buffer's maximum */
	assert_int_equal(bh_base64_decode_mem("Zm9vYmE=", 8, 0, "t", out, 5, &len, NULL), 0);
	assert_int_equal(len, 5);
	assert_int_equal(bh_base64_decode_mem("Zm9vYmE=", 8, 0, "t", out, 4, &len, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "t: base64 of 5 bytes");
	bh_error_clear(&err);
	huge = bh_malloc(8 << 20);
	memset(huge, 'A', 8 << 20);
	assert_int_equal(bh_base64_decode(huge, 8 << 20, "huge", &b, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "huge");
	bh_error_clear(&err);
	assert_int_equal(b.len, 0);
	assert_int_equal(bh_base64_decode("Zm9v", 4, "t", &b, NULL), 0);
	assert_int_equal(bh_base64_decode("Zm9v", 4, "t", &b, NULL), 0); /* appended */
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "foofoo");
	free(huge);
	bh_buf_release(&b);
	assert_int_equal(bh_base64_decoded_max(0), 0);
	assert_int_equal(bh_base64_decoded_max(4), 3);
	assert_int_equal(bh_base64_decoded_max(6), 4);
	assert_int_equal(bh_base64_decoded_max(7), 5);
}

/* ---- hex -------------------------------------------------------------------- */

static void utf8_seq_takes_valid_sequences_only(void **state)
{
	static const struct {
		const char *s;
		size_t n, len;
		uint32_t cp;
	} cases[] = {
		{ "a", 1, 1, 'a' },
		{ "\xc3\xa9", 2, 2, 0xe9 },
		{ "\xe2\x82\xac", 3, 3, 0x20ac },
		{ "\xf0\x9f\x98\x80", 4, 4, 0x1f600 },
		{ "\xc2\x85", 2, 2, 0x85 },	 /* a C1 control is valid UTF-8 */
		{ "\xe2\x82\xac", 2, 0, 0 },	 /* cut short by n */
		{ "\xc0\xaf", 2, 0, 0 },	 /* overlong */
		{ "\xe0\x80\xaf", 3, 0, 0 },	 /* overlong */
		{ "\xed\xa0\x80", 3, 0, 0 },	 /* a surrogate */
		{ "\xf4\x90\x80\x80", 4, 0, 0 }, /* past U+10FFFF */
		{ "\x80", 1, 0, 0 },		 /* a lone continuation */
		{ "\xc3(", 2, 0, 0 },		 /* a missing continuation */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t cp = 0xffffffff;
		size_t l = bh_utf8_seq((const unsigned char *)cases[i].s, cases[i].n, &cp);

		assert_int_equal(l, cases[i].len);
		if (l)
			assert_int_equal(cp, cases[i].cp);
	}
}

static void hex_round_trips_and_refuses_what_is_not_hex(void **state)
{
	unsigned char bytes[256], back[256];
	char hex[513];

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)i;
	bh_hex_encode(bytes, sizeof(bytes), hex);
	assert_int_equal(strlen(hex), 512);
	assert_memory_equal(hex, "000102030405060708090a0b0c0d0e0f10", 34);
	assert_string_equal(hex + 500, "fafbfcfdfeff");
	assert_int_equal(bh_hex_decode(hex, 512, 0, back, sizeof(back)), 256);
	assert_memory_equal(back, bytes, 256);
	bh_hex_encode(bytes, 0, hex);
	assert_string_equal(hex, "");
	assert_int_equal(bh_hex_decode("", 0, 0, back, 0), 0);

	/* upper case only when asked for */
	assert_int_equal(bh_hex_decode("ABcd", 4, 0, back, 2), -1);
	assert_int_equal(bh_hex_decode("ABcd", 4, BH_HEX_ANY_CASE, back, 2), 2);
	assert_int_equal(back[0], 0xab);
	assert_int_equal(back[1], 0xcd);
	/* odd length (truncated), a non-digit anywhere, a NUL, too little room */
	assert_int_equal(bh_hex_decode("abc", 3, 0, back, 2), -1);
	assert_int_equal(bh_hex_decode("0g", 2, BH_HEX_ANY_CASE, back, 1), -1);
	assert_int_equal(bh_hex_decode("g0", 2, 0, back, 1), -1);
	assert_int_equal(bh_hex_decode(" 0", 2, 0, back, 1), -1);
	assert_int_equal(bh_hex_decode("0x", 2, 0, back, 1), -1);
	assert_int_equal(bh_hex_decode("0\0", 2, 0, back, 1), -1);
	assert_int_equal(bh_hex_decode("/:@G`g", 2, BH_HEX_ANY_CASE, back, 1), -1);
	for (int c = 0; c < 256; c++) {
		char p[2] = { '0', (char)c };
		bool want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');

		assert_int_equal(bh_hex_decode(p, 2, 0, back, 1), want ? 1 : -1);
		want = want || (c >= 'A' && c <= 'F');
		assert_int_equal(bh_hex_decode(p, 2, BH_HEX_ANY_CASE, back, 1), want ? 1 : -1);
	}
	assert_int_equal(bh_hex_decode(hex, 4, 0, back, 1), -1); /* 2 bytes, room for 1 */
	assert_int_equal(bh_hex_decode("00", SIZE_MAX - 1, 0, back, 1), -1); /* huge: no read */
}

/* bh_read_small / bh_write_small: one read, trailing newline gone, bounded. */
/* A regular file of at most b->max bytes is read; a FIFO (opened O_NONBLOCK,
 * never read) and a file over the bound are refused before any read. */
static void read_fd_regular_refuses_fifos_and_big_files(void **state)
{
	char *dir = unit_mktmp(), *path = bh_asprintf("%s/f", dir);
	char *fifo = bh_asprintf("%s/fifo", dir);
	struct bh_buf b = BH_BUF_INIT(8);
	struct bh_error *err = NULL;
	uint64_t size = 0;
	int fd;

	(void)state;
	assert_int_equal(bh_write_file_atomic(path, "12345678", 8, 0600, NULL), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(bh_fd_regular(fd, "f", 8, &size, &err), 0);
	assert_int_equal(size, 8);
	assert_int_equal(bh_read_fd_regular(fd, "f", &b, &err), 0);
	assert_int_equal(b.len, 8);
	assert_int_equal(bh_fd_regular(fd, "f", 7, &size, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "f: 8 bytes, over the limit of 7");
	bh_error_clear(&err);
	close(fd);
	bh_buf_release(&b);
	b = (struct bh_buf)BH_BUF_INIT(4);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(bh_read_fd_regular(fd, "f", &b, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "f: 8 bytes, over the limit of 4");
	assert_int_equal(b.len, 0); /* refused before a read */
	bh_error_clear(&err);
	close(fd);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(bh_read_fd_regular(fd, "fifo", &b, &err), -1);
	assert_error(err, BH_ERR_UNSAFE, "fifo: not a regular file");
	bh_error_clear(&err);
	close(fd);
	bh_buf_release(&b);
	free(path);
	free(fifo);
	unit_rmtmp(dir);
}

/* A temporary beside the path takes its place whole; a failed install leaves
 * no temporary and the path as it was. */
static void tmp_beside_installs_or_leaves_nothing(void **state)
{
	char *dir = unit_mktmp(), *path = bh_asprintf("%s/f", dir), *bad, *tmp, buf[8];
	struct bh_error *err = NULL;
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(bh_write_file_atomic(path, "old", 3, 0600, NULL), 0);
	fd = bh_tmp_beside(path, 0640, &tmp, &err);
	assert_true(fd >= 0 && !strncmp(tmp, path, strlen(path)));
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(bh_write_all(fd, "new", 3, &err), 0);
	assert_int_equal(bh_read_small(path, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "old"); /* not in place before the install */
	assert_int_equal(bh_tmp_install(fd, tmp, path, true, &err), 0);
	assert_int_equal(bh_read_small(path, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "new");
	/* a rename that fails: the temporary removed */
	bad = bh_asprintf("%s/none/f", dir);
	fd = bh_tmp_beside(path, 0600, &tmp, &err);
	assert_true(fd >= 0);
	assert_int_equal(bh_tmp_install(fd, bh_strdup(tmp), bad, false, &err), -1);
	assert_error(err, BH_ERR_IO, "renaming");
	bh_error_clear(&err);
	assert_int_equal(access(tmp, F_OK), -1);
	free(tmp);
	free(bad);
	free(path);
	unit_rmtmp(dir);
}

static void small_files(void **state)
{
	char *dir = unit_mktmp(), *path = bh_asprintf("%s/freezer.state", dir);
	char *missing = bh_asprintf("%s/none", dir), buf[8], *m;
	struct bh_error *err = NULL;
	int fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(bh_write_small(path, "FROZEN\n", &err), 0);
	assert_int_equal(bh_read_small(path, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "FROZEN");
	assert_int_equal(bh_write_small(path, "THAWED-and-more", NULL), 0);
	assert_int_equal(bh_read_small(path, buf, sizeof(buf)), 7); /* size - 1 */
	assert_string_equal(buf, "THAWED-");
	assert_int_equal(bh_read_small(missing, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENOENT);
	/* the file must exist: a write never creates one */
	assert_int_equal(bh_write_small(missing, "1", &err), -1);
	m = bh_error_message(err);
	assert_non_null(strstr(m, "opening"));
	assert_non_null(strstr(m, missing));
	free(m);
	bh_error_free(err);
	assert_int_equal(access(missing, F_OK), -1);
	unit_rmtmp(dir);
	free(path);
	free(missing);
}

static void mount_unescape_turns_octal_escapes_back(void **state)
{
	char out[64];
	const char *in;

	(void)state;
	in = "/a\\040b\\011c\\012d\\134e";
	assert_int_equal(bh_mount_unescape(in, strlen(in), out), 10);
	assert_memory_equal(out, "/a b\tc\nd\\e", 11);
	/* the highest escape, and what is not one: copied as is */
	in = "\\377|\\400|\\08|\\12|\\";
	assert_int_equal(bh_mount_unescape(in, strlen(in), out), 16);
	assert_memory_equal(out, "\377|\\400|\\08|\\12|\\", 17);
	/* n bounds the read: an escape cut by it is not decoded */
	in = "x\\040";
	assert_int_equal(bh_mount_unescape(in, 3, out), 3);
	assert_string_equal(out, "x\\0");
	assert_int_equal(bh_mount_unescape("", 0, out), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_files),
		cmocka_unit_test(read_fd_regular_refuses_fifos_and_big_files),
		cmocka_unit_test(tmp_beside_installs_or_leaves_nothing),
		cmocka_unit_test(utf8_seq_takes_valid_sequences_only),
		cmocka_unit_test(error_chain_reads_outermost_first),
		cmocka_unit_test(error_first_failure_is_kept),
		cmocka_unit_test(error_with_null_target_is_harmless),
		cmocka_unit_test(error_sys_keeps_errno),
		cmocka_unit_test(buf_grows_to_its_maximum_and_no_further),
		cmocka_unit_test(buf_refuses_huge_single_append),
		cmocka_unit_test(buf_with_no_practical_limit_grows),
		cmocka_unit_test(buf_formats_and_detaches),
		cmocka_unit_test(buf_read_fd_is_bounded),
		cmocka_unit_test(numbers_parse_strictly),
		cmocka_unit_test(digests_parse_and_hash),
		cmocka_unit_test(log_respects_level_and_handler),
		cmocka_unit_test(mkdirs_makes_missing_parents),
		cmocka_unit_test(strvec_stays_null_terminated),
		cmocka_unit_test(ascii_classes_match_the_c_locale_for_every_byte),
		cmocka_unit_test(time_formats_rfc3339_in_utc),
		cmocka_unit_test(time_round_trips),
		cmocka_unit_test(time_parses_what_rfc3339_allows_and_nothing_else),
		cmocka_unit_test(error_warn_logs_and_releases),
		cmocka_unit_test(pack_round_trips_and_fails_on_every_truncation),
		cmocka_unit_test(unpack_refuses_hostile_values),
		cmocka_unit_test(base64_round_trips_rfc4648_vectors),
		cmocka_unit_test(base64_refuses_hostile_input),
		cmocka_unit_test(hex_round_trips_and_refuses_what_is_not_hex),
		cmocka_unit_test(mount_unescape_turns_octal_escapes_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
