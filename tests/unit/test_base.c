/* SPDX-License-Identifier: Apache-2.0 */
/* Errors, the bounded buffer, numbers, hashing, logging and mkdir -p. */
#include <fcntl.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
