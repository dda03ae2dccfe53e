/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Done" on the server's word only, SMTP and FTP: cleartext after a
 * STARTTLS / AUTH TLS the server refuses is inspected; replies are counted
 * at their position (net_evade.h).
 */
#include "net_evade.h"
#include "banned.h"

/* ---- SMTP and FTP ------------------------------------------------------- */

/*
 * STARTTLS / AUTH TLS, then a ClientHello without waiting for the answer;
 * the server refuses (454 / 504) and reads on in clear. The old dissectors
 * returned DONE on the ClientHello's first byte.
 */
static void test_smtp_ftp_hello_before_answer(void **state)
{
	uint8_t ch[256], b[512];
	size_t chl = client_hello(ch, false, "mx.example"), n;

	(void)state;
	memcpy(b, "STARTTLS\r\n", 10);
	memcpy(b + 10, ch, chl);
	n = 10 + chl;
	{
		struct pkt c[] = { { 's', S("220 mx.example ESMTP\r\n") },
				   { 'c', S("EHLO a\r\n") },
				   { 's', S("250-mx\r\n250 STARTTLS\r\n") },
				   { 'c', b, n },
				   { 's', S("454 4.7.0 TLS not available\r\n") },
				   { 'c', S("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n") },
				   { 's', S("250 ok\r\n250 ok\r\n354 go\r\n") },
				   { 'c',
				     S("Subject: x\r\n\r\ncard 4111 1111 1111 1111\r\n.\r\n") } };

		run(25, c, 8);
		assert_string_equal(res.app, "smtp");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
	memcpy(b, "AUTH TLS\r\n", 10);
	{
		struct pkt c[] = { { 's', S("220 ftp.example FTP server ready\r\n") },
				   { 'c', b, n },
				   { 's', S("504 AUTH TLS not supported\r\n") },
				   { 'c', S("SITE EXEC 4111 1111 1111 1111\r\n") } };

		run(21, c, 4);
		assert_string_equal(res.app, "ftp");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
}

static void test_smtp_ftp_tls_accepted(void **state)
{
	uint8_t ch[256], sh[128];
	size_t chl = client_hello(ch, false, "mx.example"), shl = server_hello(sh, true);

	(void)state;
	{
		struct pkt c[] = { { 's', S("220 mx.example ESMTP\r\n") },
				   { 'c', S("EHLO a\r\n") },
				   { 's', S("250-mx\r\n250 STARTTLS\r\n") },
				   { 'c', S("STARTTLS\r\n") },
				   { 's', S("220 2.0.0 Ready to start TLS\r\n") },
				   { 'c', ch, chl },
				   { 's', sh, shl } };

		run(25, c, 7);
		assert_ended("smtp");
	}
	{
		struct pkt c[] = { { 's', S("220 ftp.example FTP server ready\r\n") },
				   { 'c', S("AUTH TLS\r\n") },
				   { 's', S("234 AUTH TLS OK.\r\n") },
				   { 'c', ch, chl } };

		run(21, c, 4);
		assert_ended("ftp");
	}
	/* a ClientHello before the 220, then the 220 and a ServerHello: a
	 * client that did not wait; the TLS dissector ends it on the server's
	 * ServerHello (the flow was given up on once, never passed unseen) */
	{
		uint8_t b[512];

		memcpy(b, "STARTTLS\r\n", 10);
		memcpy(b + 10, ch, chl);
		struct pkt c[] = { { 's', S("220 mx.example ESMTP\r\n") },
				   { 'c', S("EHLO a\r\n") },
				   { 's', S("250 STARTTLS\r\n") },
				   { 'c', b, 10 + chl },
				   { 's', S("220 go ahead\r\n") } };

		run(25, c, 5);
		assert_string_equal(res.threats, "");
		assert_int_equal(res.gave_up, 2); /* smtp at the hello, tls at the 220 */
	}
}

/* ---- SMTP and FTP reply counting ---------------------------------------- */

/*
 * A blank line the server answers (500): the old dissector did not count
 * it, took the 500 for DATA's answer and the 354 for the next command's,
 * read the body as commands: the card in it unseen.
 */
static void test_smtp_blank_line(void **state)
{
	(void)state;
	for (int lead = 0; lead < 2; lead++) {
		struct pkt c[] = { { 's', S("220 mx ESMTP\r\n") },
				   { 'c', S("EHLO a\r\n") },
				   { 's', S("250 mx\r\n") },
				   { 'c', S("MAIL FROM:<a@b>\r\n") },
				   { 's', S("250 ok\r\n") },
				   { 'c', S("RCPT TO:<c@d>\r\n") },
				   { 's', S("250 ok\r\n") },
				   { 'c', lead ? " \r\n DATA\r\n" : "\r\nDATA\r\n", lead ? 10 : 8 },
				   { 's', S("500 5.5.2 Error: bad syntax\r\n354 go\r\n") },
				   { 'c', S("Subject: x\r\n\r\ncard: 4111111111111111\r\n.\r\n") },
				   { 's', S("250 queued\r\n") } };

		run(25, c, 11);
		assert_string_equal(res.app, "smtp");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 0);
	}
	/* a card number in a command's argument */
	{
		struct pkt c[] = { { 's', S("220 mx ESMTP\r\n") },
				   { 'c', S("EHLO a\r\n") },
				   { 's', S("250 mx\r\n") },
				   { 'c', S("VRFY 4111 1111 1111 1111\r\n") },
				   { 's', S("252 ok\r\n") } };

		run(25, c, 5);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 0);
	}
}

/*
 * FTP: "234 " inside another multi-line reply, and a 234 answering a
 * command other than AUTH TLS: the old dissector ended inspection on both
 * (any "234 " line while AUTH was pending). A blank line is answered too.
 */
static void test_ftp_reply_position(void **state)
{
	(void)state;
	{
		struct pkt c[] = { { 's', S("220 ftp.example FTP server ready\r\n") },
				   { 'c', S("AUTH TLS\r\n") },
				   { 's', S("500-nope\r\n234 not the end\r\n500 end\r\n") },
				   { 'c', S("SITE EXEC 4111 1111 1111 1111\r\n") },
				   { 's', S("500 no\r\n") } };

		run(21, c, 5);
		assert_string_equal(res.app, "ftp");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 0);
	}
	{
		/* the blank line's 500, then AUTH TLS's refusal: a 234 to
		 * the NOOP after it ends nothing */
		struct pkt c[] = { { 's', S("220 ftp.example FTP server ready\r\n") },
				   { 'c', S("\r\nAUTH TLS\r\nNOOP\r\n") },
				   { 's', S("500 blank\r\n504 no TLS\r\n234 odd\r\n") },
				   { 'c', S("SITE EXEC 4111 1111 1111 1111\r\n") } };

		run(21, c, 4);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 0);
	}
	{
		/* honest: a multi-line 234 to AUTH TLS ends it */
		uint8_t ch[256];
		size_t chl = client_hello(ch, false, "ftp.example");
		struct pkt c[] = { { 's', S("220-ftp.example\r\n220 ready\r\n") },
				   { 'c', S("AUTH TLS\r\n") },
				   { 's', S("234-go\r\n234 ahead\r\n") },
				   { 'c', ch, chl } };

		run(21, c, 4);
		assert_ended("ftp");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp_ftp_hello_before_answer),
		cmocka_unit_test(test_smtp_ftp_tls_accepted),
		cmocka_unit_test(test_smtp_blank_line),
		cmocka_unit_test(test_ftp_reply_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
