/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SMTP and FTP dissectors: sessions split at every byte, the body's
 * pieces and dot-stuffing, credentials never recorded, STARTTLS and AUTH TLS
 * ending inspection, the data channels announced, FTP bounce and SMTP user
 * enumeration against their near-misses, and identification of the two
 * protocols that both greet with 220.
 */
#include "unit.h"
#include "l7_record.h"
#include "banned.h"

static void test_smtp_session(void **state)
{
	struct bh_net_flow_info fl = l7_flow(25);
	static const struct l7_msg m[] = {
		L7_MSG(BH_NET_TO_CLIENT, "220 mx.example ESMTP Postfix (Debian/GNU)\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "EHLO client.example\r\n"),
		L7_MSG(BH_NET_TO_CLIENT,
		       "250-mx.example\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"
		       "250 CHUNKING\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "AUTH LOGIN\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "334 VXNlcm5hbWU6\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "dXNlcg==\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "334 UGFzc3dvcmQ6\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "c2VjcmV0\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "235 2.7.0 Authentication successful\r\n"),
		L7_MSG(BH_NET_TO_SERVER,
		       "mail FROM:<a@example.org> SIZE=100\r\nRCPT TO:<b@example.net>\r\n"
		       "DATA\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
					 "354 End data with <CR><LF>.<CR><LF>\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "Subject: hi\r\n\r\ncard 4111 1111 1111 1111\r\n..dot\r\n"
					 ".\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "250 2.0.0 Ok: queued\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "BDAT 5\r\nab\r\ncBDAT 3 LAST\r\nxyz"),
		L7_MSG(BH_NET_TO_SERVER, "QUIT\r\n"),
	};

	(void)state;
	l7_check(l7_find("smtp"), &fl, m, sizeof(m) / sizeof(m[0]),
		 "S cmd greeting|mx.example ESMTP Postfix (Debian/GNU)\n"
		 "C cmd EHLO|client.example\n"
		 "C cmd AUTH|LOGIN\n"
		 "C cmd MAIL|FROM:<a@example.org> SIZE=100\n"
		 "C cmd RCPT|TO:<b@example.net>\n"
		 "C cmd DATA|\n"
		 "C body Subject: hi\\x0d\\x0a\\x0d\\x0acard 4111 1111 1111 1111\\x0d\\x0a.dot"
		 "\\x0d\\x0a [last]\n"
		 "C cmd BDAT|5\n"
		 "C body ab\\x0d\\x0ac\n"
		 "C cmd BDAT|3 LAST\n"
		 "C body xyz [last]\n"
		 "C cmd QUIT|\n");
}

static void test_smtp_data_refused(void **state)
{
	struct bh_net_flow_info fl = l7_flow(25);
	/* DATA refused: what follows is commands, not a body */
	static const struct l7_msg m[] = {
		L7_MSG(BH_NET_TO_CLIENT, "220 mx ESMTP\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "DATA\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "554 5.5.1 Error: no valid recipients\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "RSET\r\n.\r\n"),
		L7_MSG(BH_NET_TO_CLIENT,
		       "250 2.0.0 Ok\r\n502 5.5.2 Error: command not recognized\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "STARTTLS\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "454 4.7.0 TLS not available\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "STARTTLS\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "220 2.0.0 Ready to start TLS\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "\x16\x03\x01\x02\x00\x01"),
	};
	static const struct l7_msg eager[] = {
		L7_MSG(BH_NET_TO_CLIENT, "220 mx ESMTP\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "STARTTLS\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "\x16\x03\x01\x02\x00\x01"),
	};

	(void)state;
	l7_check(l7_find("smtp"), &fl, m, sizeof(m) / sizeof(m[0]),
		 "S cmd greeting|mx ESMTP\n"
		 "C cmd DATA|\n"
		 "C cmd RSET|\n"
		 "C cmd .|\n"
		 "C cmd STARTTLS|\n"
		 "C cmd STARTTLS|\n"
		 "DONE\n");
	/* a ClientHello that did not wait for the 220: not the end of
	 * inspection on the client's word, given up on from its first byte
	 * (identified anew; tests/unit/test_net_evade_mail.c) */
	l7_check(l7_find("smtp"), &fl, eager, 3,
		 "S cmd greeting|mx ESMTP\nC cmd STARTTLS|\nMALFORMED\n");
}

static void test_smtp_enum(void **state)
{
	struct bh_net_flow_info fl = l7_flow(25);
	static const struct l7_msg nine[] = {
		L7_MSG(BH_NET_TO_SERVER,
		       "HELO x\r\nVRFY a\r\nVRFY b\r\nEXPN c\r\nVRFY d\r\nVRFY e\r\n"
		       "VRFY f\r\nVRFY g\r\nVRFY h\r\nVRFY i\r\n"),
	};
	static const struct l7_msg ten[] = {
		L7_MSG(BH_NET_TO_SERVER,
		       "HELO x\r\nVRFY a\r\nVRFY b\r\nEXPN c\r\nVRFY d\r\nVRFY e\r\n"
		       "VRFY f\r\nVRFY g\r\nVRFY h\r\nVRFY i\r\nvrfy j\r\nVRFY k\r\n"),
	};
	static struct l7_log log;

	(void)state;
	l7_run(l7_find("smtp"), &fl, nine, 1, 0, false, &log);
	assert_null(strstr(log.buf, "threat"));
	l7_run(l7_find("smtp"), &fl, ten, 1, 0, false, &log);
	assert_non_null(strstr(log.buf, "C cmd VRFY|j\nC threat BH-NET-SMTP-USER-ENUM 10 VRFY/EXPN "
					"commands\nC cmd VRFY|k\n"));
}

static void test_ftp_session(void **state)
{
	struct bh_net_flow_info fl = l7_flow(21);
	static const struct l7_msg m[] = {
		L7_MSG(BH_NET_TO_CLIENT, "220 (vsFTPd 3.0.3)\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "USER anonymous\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "331 Please specify the password.\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "PASS hunter2\r\n"),
		L7_MSG(BH_NET_TO_CLIENT,
		       "230-Welcome\r\n  to the server\r\n230 Login successful.\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "PASV\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "227 Entering Passive Mode (10,0,0,2,195,80).\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "RETR /pub/file.txt\r\nEPSV\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "150 Opening\r\n226 Done\r\n"
					 "229 Entering Extended Passive Mode (|||40001|)\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "PORT 10,0,0,1,4,1\r\nEPRT |1|10.0.0.1|6275|\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "EPRT |2|::1|5282|\r\nPORT 10,0,0,1,999,1\r\n"),
		/* the four PORT/EPRT answered first: a reply is its command's */
		L7_MSG(BH_NET_TO_CLIENT, "200 ok\r\n200 ok\r\n200 ok\r\n500 bad\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "AUTH TLS\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "234 Proceed with negotiation.\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "\x16\x03\x01\x02\x00\x01"),
	};

	(void)state;
	l7_check(l7_find("ftp"), &fl, m, sizeof(m) / sizeof(m[0]),
		 "S cmd greeting|(vsFTPd 3.0.3)\n"
		 "C cmd USER|anonymous\n"
		 "C cmd PASS|\n"
		 "C cmd PASV|\n"
		 "S expect ::ffff:10.0.0.2 50000 ftp-data\n"
		 "C cmd RETR|/pub/file.txt\n"
		 "C cmd EPSV|\n"
		 "S expect ::ffff:10.0.0.2 40001 ftp-data\n"
		 "C cmd PORT|10,0,0,1,4,1\n"
		 "C expect ::ffff:10.0.0.1 1025 ftp-data\n"
		 "C cmd EPRT||1|10.0.0.1|6275|\n"
		 "C expect ::ffff:10.0.0.1 6275 ftp-data\n"
		 "C cmd EPRT||2|::1|5282|\n"
		 "C expect ::1 5282 ftp-data\n"
		 "C threat BH-NET-FTP-BOUNCE EPRT |2|::1|5282|\n"
		 "C cmd PORT|10,0,0,1,999,1\n"
		 "C cmd AUTH|TLS\n"
		 "DONE\n");
}

static void test_ftp_bounce(void **state)
{
	struct bh_net_flow_info fl = l7_flow(21);
	static const struct l7_msg bounce[] = {
		L7_MSG(BH_NET_TO_CLIENT, "220 ProFTPD Server\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "PORT 192,168,7,7,0,25\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "EPRT |1|10.0.0.3|22|\r\n"),
	};
	static const struct l7_msg own[] = {
		L7_MSG(BH_NET_TO_CLIENT, "220 ProFTPD Server\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "PORT 10,0,0,1,0,25\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "EPRT |1|10.0.0.1|22|\r\n"),
		/* a PASV reply naming another host is the server's own business */
		L7_MSG(BH_NET_TO_CLIENT, "227 Entering Passive Mode (192,168,7,7,0,25)\r\n"),
	};

	(void)state;
	l7_check(l7_find("ftp"), &fl, bounce, 3,
		 "S cmd greeting|ProFTPD Server\n"
		 "C cmd PORT|192,168,7,7,0,25\n"
		 "C expect ::ffff:192.168.7.7 25 ftp-data\n"
		 "C threat BH-NET-FTP-BOUNCE PORT 192,168,7,7,0,25\n"
		 "C cmd EPRT||1|10.0.0.3|22|\n"
		 "C expect ::ffff:10.0.0.3 22 ftp-data\n"
		 "C threat BH-NET-FTP-BOUNCE EPRT |1|10.0.0.3|22|\n");
	l7_check(l7_find("ftp"), &fl, own, 4,
		 "S cmd greeting|ProFTPD Server\n"
		 "C cmd PORT|10,0,0,1,0,25\n"
		 "C expect ::ffff:10.0.0.1 25 ftp-data\n"
		 "C cmd EPRT||1|10.0.0.1|22|\n"
		 "C expect ::ffff:10.0.0.1 22 ftp-data\n"
		 "S expect ::ffff:192.168.7.7 25 ftp-data\n");
}

static void test_smtp_ftp_probe(void **state)
{
	const struct bh_net_dissector *smtp = l7_find("smtp"), *ftp = l7_find("ftp");

	(void)state;
	static const char s220[] = "220 mx.example ESMTP Postfix\r\n",
			  f220[] = "220 (vsFTPd 3.0.3)\r\n", n220[] = "220 Welcome\r\n";
	assert_int_equal(l7_probe(smtp, BH_NET_TO_CLIENT, s220, strlen(s220)), BH_NET_PROBE_YES);
	assert_int_equal(l7_probe(ftp, BH_NET_TO_CLIENT, s220, strlen(s220)), BH_NET_PROBE_NO);
	assert_int_equal(l7_probe(ftp, BH_NET_TO_CLIENT, f220, strlen(f220)), BH_NET_PROBE_YES);
	assert_int_equal(l7_probe(smtp, BH_NET_TO_CLIENT, f220, strlen(f220)), BH_NET_PROBE_NO);
	/* a banner that says neither: the client's first command decides */
	assert_int_equal(l7_probe(smtp, BH_NET_TO_CLIENT, n220, strlen(n220)), BH_NET_PROBE_MAYBE);
	assert_int_equal(l7_probe(ftp, BH_NET_TO_CLIENT, n220, strlen(n220)), BH_NET_PROBE_MAYBE);
	assert_int_equal(l7_probe(smtp, BH_NET_TO_CLIENT, "220 Welc", 8), BH_NET_PROBE_NEED_MORE);
	assert_int_equal(l7_probe(smtp, BH_NET_TO_SERVER, "EHLO x\r\n", 8), BH_NET_PROBE_YES);
	assert_int_equal(l7_probe(ftp, BH_NET_TO_SERVER, "EHLO x\r\n", 8), BH_NET_PROBE_NO);
	assert_int_equal(l7_probe(ftp, BH_NET_TO_SERVER, "USER x\r\n", 8), BH_NET_PROBE_YES);
	assert_int_equal(l7_probe(smtp, BH_NET_TO_SERVER, "USER x\r\n", 8), BH_NET_PROBE_NO);
	assert_int_equal(l7_probe(ftp, BH_NET_TO_SERVER, "GET / HTTP/1.1\r\n", 16),
			 BH_NET_PROBE_NO);
}

static void test_smtp_ftp_hostile(void **state)
{
	struct bh_net_flow_info fl = l7_flow(21);
	static struct l7_log log;
	static char longl[5000];

	(void)state;
	/* a line over the bound is cut, the session goes on */
	memset(longl, 'x', sizeof(longl));
	memcpy(longl, "USER ", 5);
	memcpy(longl + sizeof(longl) - 2, "\r\n", 2);
	struct l7_msg m[] = { { BH_NET_TO_SERVER, longl, sizeof(longl) },
			      L7_MSG(BH_NET_TO_SERVER, "NOOP\r\n") };
	l7_run(l7_find("ftp"), &fl, m, 2, 0, false, &log);
	assert_int_equal(strlen(log.buf),
			 strlen("C cmd USER|\n") + 1024 - 5 + strlen("C cmd NOOP|\n"));
	/* binary garbage is not a command */
	static const struct l7_msg bin[] = { L7_MSG(BH_NET_TO_SERVER, "\x01\x02\x03\r\n") };
	l7_run(l7_find("ftp"), &fl, bin, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	l7_run(l7_find("smtp"), &fl, bin, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	/* malformed PORT/EPRT: a command, no data channel */
	static const struct l7_msg port[] = {
		L7_MSG(BH_NET_TO_SERVER,
		       "PORT 10,0,0,1,4\r\nPORT 300,0,0,1,4,1\r\nEPRT |3|x|1|\r\n"
		       "EPRT |1|10.0.0.300|1|\r\nEPRT |1|10.0.0.1|70000|\r\nEPRT\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "227 Entering Passive Mode (1,2,3)\r\n"
					 "229 Entering Extended Passive Mode (|||0|)\r\n"),
	};
	l7_run(l7_find("ftp"), &fl, port, 2, 0, false, &log);
	assert_null(strstr(log.buf, "expect"));
	assert_null(strstr(log.buf, "threat"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp_session),	 cmocka_unit_test(test_smtp_data_refused),
		cmocka_unit_test(test_smtp_enum),	 cmocka_unit_test(test_ftp_session),
		cmocka_unit_test(test_ftp_bounce),	 cmocka_unit_test(test_smtp_ftp_probe),
		cmocka_unit_test(test_smtp_ftp_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
