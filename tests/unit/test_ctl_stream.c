/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live updates' hub (src/ctl/stream.c): events reach every stream in
 * order as SSE text; a full queue drops its oldest and the stream's next
 * take starts with a `dropped` event counting them (the publisher never
 * waits), an event too big for a stream too; the bound on streams; tickets: single use, expiry, a
 * wrong one.
 */
#include "unit.h"
#include "ctl/stream.h"

static size_t take(struct bh_ctl_stream_sub *s, char **text)
{
	struct bh_buf b;
	size_t n;

	bh_buf_init(&b, 1u << 20);
	n = bh_ctl_stream_take(s, &b);
	bh_buf_addc(&b, 0, NULL);
	*text = (char *)b.data;
	return n;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)) != NULL; s++)
		n++;
	return n;
}

static void test_queue(void **state)
{
	struct bh_ctl_stream_hub *h = bh_ctl_stream_hub_new(2, 4);
	struct bh_ctl_stream_sub *a, *b;
	char *t;

	(void)state;
	/* nobody listens: nothing kept */
	bh_ctl_stream_publish(h, "alert", json_pack("{si}", "n", 0));
	a = bh_ctl_stream_sub_new(h);
	b = bh_ctl_stream_sub_new(h);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(bh_ctl_stream_sub_new(h)); /* the bound: 2 */
	assert_int_equal(bh_ctl_stream_count(h), 2);
	bh_ctl_stream_publish(h, "alert", json_pack("{si}", "n", 1));
	bh_ctl_stream_publish(h, "flows", json_pack("{si}", "n", 2));
	assert_int_equal(take(a, &t), 2);
	assert_non_null(strstr(t, "event: alert\nid: 1\ndata: {\"n\":1}\n\n"));
	assert_true(strstr(t, "\"n\":1") < strstr(t, "event: flows\nid: 2\ndata: {\"n\":2}\n\n"));
	free(t);
	assert_int_equal(take(a, &t), 0);
	free(t);
	/* b, a slow reader: 2 queued + 6 more into a queue of 4: 4 dropped */
	for (int i = 3; i <= 8; i++)
		bh_ctl_stream_publish(h, "alert", json_pack("{si}", "n", i));
	assert_int_equal(take(b, &t), 5);
	assert_non_null(strstr(t, "event: dropped\ndata: {\"count\":4}\n\n"));
	assert_int_equal(count(t, "event: alert"), 4);
	assert_null(strstr(t, "\"n\":4}"));			   /* the oldest went */
	assert_true(strstr(t, "dropped") < strstr(t, "\"n\":5}")); /* dropped first */
	assert_non_null(strstr(t, "\"n\":8}"));
	free(t);
	assert_int_equal(bh_ctl_stream_dropped(h), 4 + 2); /* a dropped 8-3+1-4 = 2 */
	assert_int_equal(take(a, &t), 5);
	assert_non_null(strstr(t, "\"count\":2}"));
	free(t);
	/* an event too big for a stream (over BH_CTL_STREAM_EVENT_MAX) is not
	 * queued where it would stall the stream: counted dropped instead */
	{
		char *big = malloc(BH_CTL_STREAM_EVENT_MAX + 1);

		memset(big, 'x', BH_CTL_STREAM_EVENT_MAX);
		big[BH_CTL_STREAM_EVENT_MAX] = 0;
		bh_ctl_stream_publish(h, "alert", json_pack("{ss}", "big", big));
		free(big);
		bh_ctl_stream_publish(h, "alert", json_pack("{si}", "n", 9));
		assert_int_equal(take(b, &t), 2);
		assert_non_null(strstr(t, "event: dropped\ndata: {\"count\":1}\n\n"));
		assert_non_null(strstr(t, "\"n\":9}"));
		assert_null(strstr(t, "xxxx"));
		free(t);
		assert_int_equal(take(a, &t), 2);
		free(t);
	}
	/* a stream gone: room for another */
	bh_ctl_stream_sub_free(a);
	assert_int_equal(bh_ctl_stream_count(h), 1);
	a = bh_ctl_stream_sub_new(h);
	assert_non_null(a);
	bh_ctl_stream_sub_free(a);
	bh_ctl_stream_sub_free(b); /* with events queued: freed with it */
	bh_ctl_stream_hub_free(h);
}

static void test_tickets(void **state)
{
	struct bh_ctl_stream_hub *h = bh_ctl_stream_hub_new(0, 0);
	char t1[BH_CTL_TICKET_LEN + 1], t2[BH_CTL_TICKET_LEN + 1];
	char tok[BH_CTL_STREAM_TOKEN_MAX + 1];
	char long_tok[BH_CTL_STREAM_TOKEN_MAX + 2];
	struct bh_error *err = NULL;
	unsigned retry;

	(void)state;
	assert_int_equal(bh_ctl_stream_ticket(h, "id1", "bh_secret", 9, 1000, t1, &retry, &err), 0);
	assert_int_equal(bh_ctl_stream_ticket(h, "id2", "bh_other", 8, 1000, t2, &retry, &err), 0);
	assert_int_equal(strlen(t1), BH_CTL_TICKET_LEN);
	assert_string_not_equal(t1, t2);
	/* expired */
	assert_int_equal(bh_ctl_stream_redeem(h, t2, 1000 + BH_CTL_TICKET_TTL + 1, tok), -1);
	assert_int_equal(bh_ctl_stream_redeem(h, t2, 1001, tok), -1); /* gone with it */
	/* wrong, short */
	assert_int_equal(bh_ctl_stream_redeem(h, "abc", 1001, tok), -1);
	t1[0] = t1[0] == 'a' ? 'b' : 'a';
	assert_int_equal(bh_ctl_stream_redeem(h, t1, 1001, tok), -1);
	assert_int_equal(bh_ctl_stream_ticket(h, "id1", "bh_secret", 9, 1000, t1, &retry, &err), 0);
	assert_int_equal(bh_ctl_stream_redeem(h, t1, 1010, tok), 0);
	assert_string_equal(tok, "bh_secret");
	assert_int_equal(bh_ctl_stream_redeem(h, t1, 1010, tok), -1); /* single use */
	memset(long_tok, 'x', sizeof(long_tok) - 1);
	long_tok[sizeof(long_tok) - 1] = 0;
	assert_int_equal(
		bh_ctl_stream_ticket(h, "id1", long_tok, strlen(long_tok), 1000, t1, &retry, &err),
		-1);
	bh_error_free(err);
	bh_ctl_stream_hub_free(h);
}

/* One token's tickets push out only its own; when every slot holds another's
 * live ticket a new owner is told to come back, not given someone's slot. */
static void test_ticket_owners(void **state)
{
	struct bh_ctl_stream_hub *h = bh_ctl_stream_hub_new(0, 0);
	char t[BH_CTL_TICKETS_PER_OWNER + 1][BH_CTL_TICKET_LEN + 1], other[BH_CTL_TICKET_LEN + 1];
	char tok[BH_CTL_STREAM_TOKEN_MAX + 1], owner[16];
	struct bh_error *err = NULL;
	unsigned retry;

	(void)state;
	assert_int_equal(bh_ctl_stream_ticket(h, "b", "bh_b", 4, 1000, other, &retry, &err), 0);
	for (int i = 0; i <= BH_CTL_TICKETS_PER_OWNER; i++)
		assert_int_equal(
			bh_ctl_stream_ticket(h, "a", "bh_a", 4, 1000 + i, t[i], &retry, &err), 0);
	/* the ninth replaced a's oldest, nobody else's */
	assert_int_equal(bh_ctl_stream_redeem(h, t[0], 1010, tok), -1);
	for (int i = 1; i <= BH_CTL_TICKETS_PER_OWNER; i++) {
		assert_int_equal(bh_ctl_stream_redeem(h, t[i], 1010, tok), 0);
		assert_string_equal(tok, "bh_a");
	}
	assert_int_equal(bh_ctl_stream_redeem(h, other, 1010, tok), 0);
	assert_string_equal(tok, "bh_b");
	/* every slot another's and live: refused with the wait, none displaced */
	for (int i = 0; i < BH_CTL_TICKETS_MAX; i++) {
		snprintf(owner, sizeof(owner), "o%d", i / BH_CTL_TICKETS_PER_OWNER);
		assert_int_equal(
			bh_ctl_stream_ticket(h, owner, "bh_o", 4, 2000, t[0], &retry, &err), 0);
	}
	assert_int_equal(bh_ctl_stream_ticket(h, "new", "bh_n", 4, 2005, other, &retry, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
	assert_int_equal(retry, BH_CTL_TICKET_TTL - 5 + 1);
	bh_error_free(err);
	err = NULL;
	assert_int_equal(bh_ctl_stream_redeem(h, t[0], 2005, tok),
			 0); /* the last one still there */
	/* a redeemed slot is free again; expired ones too */
	assert_int_equal(bh_ctl_stream_ticket(h, "new", "bh_n", 4, 2005, other, &retry, &err), 0);
	assert_int_equal(bh_ctl_stream_ticket(h, "new", "bh_n", 4, 2000 + BH_CTL_TICKET_TTL + 1,
					      t[1], &retry, &err),
			 0);
	bh_ctl_stream_hub_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_tickets),
		cmocka_unit_test(test_ticket_owners),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
