/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's bounded on-disk spool (include/bulkhead/agent.h): order,
 * acknowledgement kept across a restart, a crash between a send and its ack,
 * a torn tail, a corrupt segment, a full spool (the oldest dropped, counted
 * and recorded as a gap), and what it refuses.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/agent.h"
#include "banned.h"

static struct bh_agent_spool *open_sp(const char *dir, uint64_t max, uint64_t seg)
{
	struct bh_agent_spool_opts o = { dir, max, seg };
	struct bh_agent_spool *sp = NULL;
	struct bh_error *err = NULL;

	if (bh_agent_spool_open(&o, &sp, &err) < 0)
		fail_msg("open: %s", bh_error_message(err));
	return sp;
}

static void put(struct bh_agent_spool *sp, unsigned i, size_t pad)
{
	char buf[4096];
	struct bh_error *err = NULL;
	int n;

	assert_true(pad < sizeof(buf) - 64);
	n = snprintf(buf, sizeof(buf),
		     "{\"ts\":1,\"kind\":\"event\",\"data\":{\"i\":%u,\"p\":\"%*s\"}}", i, (int)pad,
		     "");
	assert_int_equal(bh_agent_spool_append(sp, buf, (size_t)n, NULL, &err), 0);
}

/* The i of a record put by put(); -1 for another (a gap). */
static long rec_i(const struct bh_agent_record *r)
{
	json_t *j = json_loadb(r->data, r->len, 0, NULL);
	json_t *i = json_object_get(json_object_get(j, "data"), "i");
	long v = json_is_integer(i) ? (long)json_integer_value(i) : -1;

	assert_non_null(j);
	json_decref(j);
	return v;
}

static size_t peek(struct bh_agent_spool *sp, size_t max, struct bh_agent_record **r)
{
	struct bh_error *err = NULL;
	size_t n = 0;

	if (bh_agent_spool_peek(sp, max, 1u << 20, r, &n, &err) < 0)
		fail_msg("peek: %s", bh_error_message(err));
	return n;
}

static void in_order_and_ack_survives_a_restart(void **state)
{
	char *dir = unit_mktmp();
	struct bh_agent_spool *sp = open_sp(dir, 0, 0);
	struct bh_agent_spool_stats st;
	struct bh_agent_record *r;
	struct bh_error *err = NULL;
	size_t n;

	(void)state;
	for (unsigned i = 0; i < 100; i++)
		put(sp, i, 10);
	assert_int_equal(bh_agent_spool_sync(sp, &err), 0);
	n = peek(sp, 30, &r);
	assert_int_equal(n, 30);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(r[k].seq, k + 1);
		assert_int_equal(rec_i(&r[k]), (long)k);
	}
	bh_agent_records_free(r, n);
	assert_int_equal(bh_agent_spool_ack(sp, 30, &err), 0);
	n = peek(sp, 30, &r);
	assert_int_equal(r[0].seq, 31);
	bh_agent_records_free(r, n);
	bh_agent_spool_free(sp);

	sp = open_sp(dir, 0, 0);
	bh_agent_spool_stats(sp, &st);
	assert_int_equal(st.acked, 30);
	assert_int_equal(st.next_seq, 101);
	assert_int_equal(st.pending, 70);
	assert_int_equal(st.corrupt, 0);
	n = peek(sp, 1000, &r);
	assert_int_equal(n, 70);
	assert_int_equal(r[0].seq, 31);
	assert_int_equal(r[69].seq, 100);
	bh_agent_records_free(r, n);
	/* an ack past the end is clamped; an old ack is ignored */
	assert_int_equal(bh_agent_spool_ack(sp, 1000, &err), 0);
	assert_int_equal(bh_agent_spool_ack(sp, 5, &err), 0);
	bh_agent_spool_stats(sp, &st);
	assert_int_equal(st.acked, 100);
	assert_int_equal(peek(sp, 10, &r), 0);
	bh_agent_spool_free(sp);
	unit_rmtmp(dir);
}

static void a_crash_before_the_ack_sends_again(void **state)
{
	char *dir = unit_mktmp();
	struct bh_agent_spool *sp = open_sp(dir, 0, 0);
	struct bh_agent_record *r;
	size_t n;

	(void)state;
	for (unsigned i = 0; i < 10; i++)
		put(sp, i, 0);
	n = peek(sp, 100, &r); /* syncs: shipped */
	assert_int_equal(n, 10);
	bh_agent_records_free(r, n);
	bh_agent_spool_free(sp); /* gone before the answer came */
	sp = open_sp(dir, 0, 0);
	n = peek(sp, 100, &r);
	assert_int_equal(n, 10);
	assert_int_equal(r[0].seq, 1);
	assert_int_equal(r[9].seq, 10);
	bh_agent_records_free(r, n);
	bh_agent_spool_free(sp);
	unit_rmtmp(dir);
}

static char *only_segment(const char *dir, uint64_t first)
{
	return bh_asprintf("%s/%020llu.seg", dir, (unsigned long long)first);
}

static void a_torn_tail_is_cut_and_appends_go_on(void **state)
{
	char *dir = unit_mktmp();
	struct bh_agent_spool *sp = open_sp(dir, 0, 0);
	struct bh_agent_spool_stats st;
	struct bh_agent_record *r;
	char *seg = only_segment(dir, 1);
	struct stat sb;
	off_t whole;
	int fd;
	size_t n;

	(void)state;
	for (unsigned i = 0; i < 5; i++)
		put(sp, i, 0);
	bh_agent_spool_free(sp);
	assert_int_equal(stat(seg, &sb), 0);
	whole = sb.st_size;
	/* a record cut short: a header and half its payload */
	sp = open_sp(dir, 0, 0);
	put(sp, 5, 100);
	bh_agent_spool_free(sp);
	assert_int_equal(stat(seg, &sb), 0);
	assert_int_equal(truncate(seg, whole + (sb.st_size - whole) / 2), 0);

	sp = open_sp(dir, 0, 0);
	bh_agent_spool_stats(sp, &st);
	assert_int_equal(st.corrupt, 1);
	assert_int_equal(st.next_seq, 6);
	assert_int_equal(stat(seg, &sb), 0);
	assert_int_equal(sb.st_size, whole);
	put(sp, 6, 0);
	bh_agent_spool_free(sp);
	/* and a header of garbage bytes */
	fd = open(seg, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage-garbage-garbage!", 24), 24);
	close(fd);
	sp = open_sp(dir, 0, 0);
	n = peek(sp, 100, &r);
	assert_int_equal(n, 6);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(r[k].seq, k + 1);
	assert_int_equal(rec_i(&r[5]), 6);
	bh_agent_records_free(r, n);
	bh_agent_spool_free(sp);
	free(seg);
	unit_rmtmp(dir);
}

static void a_corrupt_segment_is_a_gap(void **state)
{
	char *dir = unit_mktmp();
	/* segments of 16 KiB: records of ~1 KiB, about 15 a segment */
	struct bh_agent_spool *sp = open_sp(dir, 1u << 20, 16u << 10);
	struct bh_agent_spool_stats st;
	struct bh_agent_record *r;
	char *seg = only_segment(dir, 1);
	uint64_t gaps = 0, prev = 0, records = 0;
	int fd;
	size_t n;

	(void)state;
	for (unsigned i = 0; i < 60; i++)
		put(sp, i, 1000);
	bh_agent_spool_free(sp);
	/* one flipped byte in the first segment's third record */
	fd = open(seg, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 2 * 1060 + 500), 1);
	close(fd);
	sp = open_sp(dir, 1u << 20, 16u << 10);
	bh_agent_spool_stats(sp, &st);
	assert_int_equal(st.corrupt, 1);
	n = peek(sp, 1000, &r);
	for (size_t k = 0; k < n; k++) {
		long i = rec_i(&r[k]);

		assert_true(r[k].seq > prev);
		prev = r[k].seq;
		if (i < 0) {
			json_t *j = json_loadb(r[k].data, r[k].len, 0, NULL);

			assert_string_equal(bh_json_str(j, "kind"), "gap");
			gaps += (uint64_t)json_integer_value(
				json_object_get(json_object_get(j, "data"), "dropped"));
			json_decref(j);
		} else {
			assert_int_equal(r[k].seq, (uint64_t)i + 1);
			records++;
		}
	}
	/* what survived and what the gap says went make the whole */
	assert_true(gaps > 0);
	assert_int_equal(records + gaps, 60);
	assert_int_equal(rec_i(&r[0]), 0);
	assert_int_equal(rec_i(&r[1]), 1);
	bh_agent_records_free(r, n);
	bh_agent_spool_free(sp);
	free(seg);
	unit_rmtmp(dir);
}

static void a_full_spool_drops_the_oldest_and_says_so(void **state)
{
	char *dir = unit_mktmp();
	struct bh_agent_spool *sp = open_sp(dir, 64u << 10, 8u << 10);
	struct bh_agent_spool_stats st;
	struct bh_agent_record *r;
	struct bh_error *err = NULL;
	uint64_t gaps = 0, records = 0, prev = 0;
	long last_i = -1;
	size_t n;

	(void)state;
	/* ~1 KiB each: 300 KiB into 64 KiB, nothing acknowledged */
	for (unsigned i = 0; i < 300; i++)
		put(sp, i, 1000);
	assert_int_equal(bh_agent_spool_sync(sp, &err), 0);
	bh_agent_spool_stats(sp, &st);
	assert_true(st.bytes <= 64u << 10);
	assert_true(st.dropped > 200);
	n = peek(sp, 1000, &r);
	for (size_t k = 0; k < n; k++) {
		long i = rec_i(&r[k]);

		assert_true(r[k].seq > prev);
		prev = r[k].seq;
		if (i < 0) {
			json_t *j = json_loadb(r[k].data, r[k].len, 0, NULL);

			assert_string_equal(bh_json_str(j, "kind"), "gap");
			assert_string_equal(bh_json_str(json_object_get(j, "data"), "reason"),
					    "spool full");
			json_decref(j);
		} else {
			assert_true(i > last_i); /* the newest kept, in order */
			last_i = i;
			records++;
		}
	}
	assert_int_equal(last_i, 299);
	bh_agent_records_free(r, n);
	/* every gap record ever written names what went: the sum is the count;
	 * a gap record itself may go too, and is then counted among them */
	gaps = st.dropped;
	assert_true(records < 300);
	assert_true(records + gaps >= 300);
	bh_agent_spool_free(sp);
	unit_rmtmp(dir);
}

static void it_refuses(void **state)
{
	char *dir = unit_mktmp();
	struct bh_agent_spool_opts o = { dir, 1000, 0 };
	struct bh_agent_spool *sp = NULL, *sp2 = NULL;
	struct bh_error *err = NULL;
	char *big = bh_calloc(1, BH_AGENT_RECORD_MAX + 2);

	(void)state;
	/* a bound too small */
	assert_int_equal(bh_agent_spool_open(&o, &sp, &err), -1);
	bh_error_free(err);
	err = NULL;
	sp = open_sp(dir, 0, 0);
	/* a second agent on the same directory */
	o.max_bytes = 0;
	assert_int_equal(bh_agent_spool_open(&o, &sp2, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_USAGE);
	bh_error_free(err);
	err = NULL;
	/* empty and oversized records */
	assert_int_equal(bh_agent_spool_append(sp, "", 0, NULL, &err), -1);
	bh_error_free(err);
	err = NULL;
	memset(big, 'a', BH_AGENT_RECORD_MAX + 1);
	assert_int_equal(bh_agent_spool_append(sp, big, BH_AGENT_RECORD_MAX + 1, NULL, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
	bh_error_free(err);
	/* the controller already holds seqs up to 41 (a state directory lost) */
	bh_agent_spool_next_at_least(sp, 42);
	{
		uint64_t seq = 0;

		err = NULL;
		assert_int_equal(bh_agent_spool_append(sp, "{}", 2, &seq, &err), 0);
		assert_int_equal(seq, 42);
	}
	bh_agent_spool_free(sp);
	free(big);
	unit_rmtmp(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order_and_ack_survives_a_restart),
		cmocka_unit_test(a_crash_before_the_ack_sends_again),
		cmocka_unit_test(a_torn_tail_is_cut_and_appends_go_on),
		cmocka_unit_test(a_corrupt_segment_is_a_gap),
		cmocka_unit_test(a_full_spool_drops_the_oldest_and_says_so),
		cmocka_unit_test(it_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
