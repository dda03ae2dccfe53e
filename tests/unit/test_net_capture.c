/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-alert captures (src/net/capture.c) and the pcap writer
 * (src/net/pcap_write.c): the writer's files read back by our reader (and by
 * tshark when installed), the ring's bounds (packets, bytes, all flows), the
 * file's packets before and after the alert, the open-file and directory
 * bounds (only bh-*.pcap files removed), and the record's `capture` path.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "unit.h"
#include "net_pkt.h"
#include "bulkhead/net.h"
#include "banned.h"

/* ---- the writer ----------------------------------------------------------- */

static int count_file(const char *path, struct bh_net_pcap_pkt *last, size_t *sizes, size_t max)
{
	struct bh_net_pcap *r = NULL;
	struct bh_net_pcap_pkt p;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0, k;

	assert_true(fd >= 0);
	assert_int_equal(bh_net_pcap_open_fd(fd, path, &r, NULL), 0);
	while ((k = bh_net_pcap_next(r, &p, NULL)) > 0) {
		if (sizes && (size_t)n < max)
			sizes[n] = p.caplen;
		if (last)
			*last = p;
		n++;
	}
	assert_int_equal(k, 0);
	bh_net_pcap_free(r);
	close(fd);
	return n;
}

static bool have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

static void test_writer_roundtrip(void **state)
{
	char *d = unit_mktmp(), *path = bh_asprintf("%s/w.pcap", d), *cmd;
	struct bh_net_pcap_writer *w = NULL;
	struct bh_net_pcap *r = NULL;
	struct bh_net_pcap_pkt p;
	static uint8_t pkt[3000];
	struct bh_error *err = NULL;
	int fd, i;

	(void)state;
	for (i = 0; i < (int)sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_int_equal(bh_net_pcap_writer_new(fd, BH_NET_LINK_ETHERNET, "w.pcap", &w, NULL), 0);
	/* sizes across the write buffer's edge, and one over the reader's max */
	for (i = 0; i < 100; i++)
		assert_int_equal(bh_net_pcap_write(w, pkt, 60 + (size_t)i * 29,
						   60 + (size_t)i * 29 + 4, 1700000000.25 + i,
						   NULL),
				 0);
	assert_int_equal(bh_net_pcap_write(w, pkt, BH_NET_PCAP_MAX_PACKET + 1, 0, 1, &err), -1);
	assert_error(err, BH_ERR_USAGE, "w.pcap: a packet of");
	assert_int_equal(bh_net_pcap_writer_size(w), 24 + 100 * 16 + 100 * 60 + 29 * 4950);
	assert_int_equal(bh_net_pcap_writer_close(w, NULL), 0);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(bh_net_pcap_open_fd(fd, path, &r, NULL), 0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(bh_net_pcap_next(r, &p, NULL), 1);
		assert_int_equal(p.caplen, 60 + (size_t)i * 29);
		assert_int_equal(p.origlen, 64 + (size_t)i * 29);
		assert_int_equal(p.linktype, BH_NET_LINK_ETHERNET);
		assert_true(p.ts > 1700000000.25 + i - 1e-6 && p.ts < 1700000000.25 + i + 1e-6);
		assert_memory_equal(p.data, pkt, p.caplen);
	}
	assert_int_equal(bh_net_pcap_next(r, &p, NULL), 0);
	assert_string_equal(bh_net_pcap_format(r), "pcap");
	bh_net_pcap_free(r);
	close(fd);
	if (have_tshark()) {
		char *out = bh_asprintf("%s/n", d);
		struct bh_buf b = BH_BUF_INIT(64);
		int ofd;

		cmd = bh_asprintf("tshark -r '%s' -T fields -e frame.len 2>/dev/null | wc -l >'%s'",
				  path, out);
		assert_int_equal(system(cmd), 0);
		ofd = open(out, O_RDONLY | O_CLOEXEC);
		assert_int_equal(bh_buf_read_fd(&b, ofd, "n", NULL), 0);
		assert_int_equal(strtol(b.data, NULL, 10), 100);
		bh_buf_release(&b);
		close(ofd);
		free(cmd);
		free(out);
	} else {
		print_message("tshark is missing: the file is checked by our reader only\n");
	}
	bh_error_clear(&err);
	/* a bad link type closes the fd it was given */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(bh_net_pcap_writer_new(fd, 70000, "x", &w, &err), -1);
	assert_error(err, BH_ERR_USAGE, "link type 70000");
	bh_error_clear(&err);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	free(path);
	unit_rmtmp(d);
}

/* ---- the engine's captures ---------------------------------------------- */

static uint8_t P[4096];
static char capture_seen[8][512];
static int n_seen;

static void keep_flow(const struct bh_net_flow_record *r, void *arg)
{
	(void)arg;
	if (n_seen < 8)
		snprintf(capture_seen[n_seen++], sizeof(capture_seen[0]), "%s",
			 r->capture ? r->capture : "-");
}

static struct bh_net_engine *engine(struct bh_net_opts *o, const char *dir)
{
	struct bh_net_engine *e = NULL;

	o->capture_dir = dir;
	o->on_flow = keep_flow;
	n_seen = 0;
	assert_int_equal(bh_net_engine_new(o, &e, NULL), 0);
	return e;
}

/* One TCP segment of client 10.0.0.C:40000+C to 10.0.0.200:80 (or back). */
static void seg(struct bh_net_engine *e, int c, double ts, bool to_server, uint32_t seq,
		uint8_t flags, const char *data)
{
	size_t n = data ? strlen(data) : 0, tot;
	char a[32];
	uint16_t cp = (uint16_t)(40000 + c);

	snprintf(a, sizeof(a), "10.0.0.%d", c);
	tot = to_server ? tpkt_tcp4(P, a, cp, "10.0.0.200", 80, seq, flags, data, n)
			: tpkt_tcp4(P, "10.0.0.200", 80, a, cp, seq, flags, data, n);
	bh_net_engine_packet(e, P, tot, BH_NET_LINK_RAW, ts, NULL);
}

#define SYN 0x02
#define ACK 0x10
#define PSH 0x08
static const char benign[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
static const char sqli[] = "GET /i?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: a\r\n\r\n";

/* Handshake, `before` benign requests, the injection; returns the next seq. */
static uint32_t attack(struct bh_net_engine *e, int c, double ts, int before)
{
	uint32_t seq = 1001;

	seg(e, c, ts, true, 1000, SYN, NULL);
	seg(e, c, ts, false, 5000, SYN | ACK, NULL);
	seg(e, c, ts, true, seq, ACK, NULL);
	for (int i = 0; i < before; i++) {
		seg(e, c, ts + 0.001 * i, true, seq, PSH | ACK, benign);
		seq += (uint32_t)strlen(benign);
	}
	seg(e, c, ts + 0.5, true, seq, PSH | ACK, sqli);
	return seq + (uint32_t)strlen(sqli);
}

static int files_in(const char *dir, char *first, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int k = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (bh_str_has_prefix(de->d_name, "bh-")) {
			if (first && !k)
				snprintf(first, n, "%s/%s", dir, de->d_name);
			k++;
		}
	closedir(d);
	return k;
}

static void test_ring_before_and_after(void **state)
{
	char *d = unit_mktmp();
	struct bh_net_opts o = { .ring_packets = 4, .capture_packets = 3 };
	struct bh_net_engine *e = engine(&o, d);
	struct bh_net_stats st;
	struct bh_net_pcap_pkt last;
	size_t sizes[16];
	uint32_t seq;

	(void)state;
	seq = attack(e, 1, 100, 10);
	/* the file exists from the alert on */
	assert_int_equal(files_in(d, NULL, 0), 1);
	for (int i = 0; i < 5; i++)
		seg(e, 1, 101 + i, false, 5001, ACK, NULL);
	seg(e, 1, 110, true, seq, ACK, NULL);
	bh_net_engine_flush(e);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.captures, 1);
	assert_int_equal(n_seen, 1);
	assert_true(bh_str_has_prefix(capture_seen[0], d));
	assert_non_null(strstr(capture_seen[0], "/bh-"));
	assert_non_null(strstr(capture_seen[0], "-tcp-10.0.0.1_40001-10.0.0.200_80-BH-NET-SQLI-"));
	/* 4 from the ring (the injection last), 3 after; sizes tell them apart */
	assert_int_equal(count_file(capture_seen[0], &last, sizes, 16), 7);
	assert_int_equal(sizes[0], 40 + strlen(benign));
	assert_int_equal(sizes[3], 40 + strlen(sqli));
	assert_int_equal(sizes[4], 40);
	bh_net_engine_free(e);
	unit_rmtmp(d);

	/* the byte bound: three benign segments fit in 3 * 67 bytes, not four */
	d = unit_mktmp();
	o = (struct bh_net_opts){ .ring_bytes = 3 * (40 + strlen(benign)), .capture_packets = 1 };
	e = engine(&o, d);
	attack(e, 2, 100, 10);
	bh_net_engine_flush(e);
	/* the injection (longer) pushes two out: one benign + it */
	assert_int_equal(count_file(capture_seen[0], NULL, sizes, 16), 2);
	assert_int_equal(sizes[1], 40 + strlen(sqli));
	bh_net_engine_free(e);
	unit_rmtmp(d);
}

static void test_ring_global_bound(void **state)
{
	char *d = unit_mktmp();
	struct bh_net_opts o = { .ring_total_bytes = 2000, .capture_packets = 1 };
	struct bh_net_engine *e = engine(&o, d);
	struct bh_net_stats st;
	uint32_t seq = 1001;

	(void)state;
	/* flow 1 starts; 40 other flows' packets push its ring out */
	seg(e, 1, 100, true, 1000, SYN, NULL);
	seg(e, 1, 100, false, 5000, SYN | ACK, NULL);
	seg(e, 1, 100, true, seq, ACK, NULL);
	for (int c = 2; c < 42; c++)
		seg(e, c, 100.1, true, 1, PSH | ACK, benign);
	seg(e, 1, 101, true, seq, PSH | ACK, sqli);
	bh_net_engine_flush(e);
	bh_net_engine_stats(e, &st);
	assert_true(st.ring_dropped >= 3);
	assert_int_equal(st.captures, 1);
	for (int i = 0; i < n_seen; i++)
		if (strcmp(capture_seen[i], "-"))
			assert_int_equal(count_file(capture_seen[i], NULL, NULL, 0), 1);
	bh_net_engine_free(e);
	unit_rmtmp(d);
}

static void test_open_and_dir_bounds(void **state)
{
	char *d = unit_mktmp(), *old, *keep, first[512];
	struct bh_net_opts o = { .capture_open = 2 };
	struct bh_net_engine *e = engine(&o, d);
	struct bh_net_stats st;
	struct stat sb;
	int fd;

	(void)state;
	for (int c = 1; c <= 3; c++)
		attack(e, c, 100 + c, 2);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.captures, 3);
	assert_int_equal(st.captures_cut, 1); /* the third closed the first */
	bh_net_engine_flush(e);
	assert_int_equal(files_in(d, NULL, 0), 3);
	bh_net_engine_free(e);
	unit_rmtmp(d);

	/* the directory's bound removes the oldest bh-*.pcap, nothing else */
	d = unit_mktmp();
	old = bh_asprintf("%s/bh-0-old.pcap", d);
	keep = bh_asprintf("%s/keep.pcap", d);
	fd = open(old, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_int_equal(ftruncate(fd, 1900), 0);
	close(fd);
	fd = open(keep, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_int_equal(ftruncate(fd, 5000), 0);
	close(fd);
	o = (struct bh_net_opts){ .capture_dir_bytes = 2000 };
	e = engine(&o, d);
	attack(e, 1, 100, 2);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.captures_removed, 1);
	assert_int_equal(stat(old, &sb), -1);
	assert_int_equal(stat(keep, &sb), 0);
	/* a second flow's file does not fit beside the first (open): it is cut */
	for (int c = 2; c < 40; c++)
		attack(e, c, 200, 2);
	bh_net_engine_flush(e);
	bh_net_engine_stats(e, &st);
	assert_true(st.captures_cut > 0);
	assert_true(files_in(d, first, sizeof(first)) >= 1);
	{
		/* what stays is under the bound */
		DIR *dd = opendir(d);
		struct dirent *de;
		uint64_t total = 0;

		while ((de = readdir(dd))) {
			char *p = bh_asprintf("%s/%s", d, de->d_name);

			if (bh_str_has_prefix(de->d_name, "bh-") && stat(p, &sb) == 0)
				total += (uint64_t)sb.st_size;
			free(p);
		}
		closedir(dd);
		assert_true(total <= 2000);
	}
	bh_net_engine_free(e);
	free(old);
	free(keep);
	unit_rmtmp(d);

	/* a capture directory that cannot be made is an error naming it */
	{
		struct bh_net_engine *x = NULL;
		struct bh_error *err = NULL;

		o = (struct bh_net_opts){ .capture_dir = "/nonexistent/dir/x" };
		assert_int_equal(bh_net_engine_new(&o, &x, &err), -1);
		assert_error(err, BH_ERR_IO, "capture directory /nonexistent/dir/x");
		bh_error_clear(&err);
	}
}

/* A threat found as the flow ends (a body cut short, judged then): the ring
 * is written and the file closed at once. */
static void test_alert_at_flow_end(void **state)
{
	char *d = unit_mktmp();
	struct bh_net_opts o = { 0 };
	struct bh_net_engine *e = engine(&o, d);
	static const char post[] =
		"POST /f HTTP/1.1\r\nHost: a\r\nContent-Type: "
		"application/x-www-form-urlencoded\r\nContent-Length: 900\r\n\r\n"
		"id=1%27 OR %27a%27=%27a";
	struct bh_net_stats st;

	(void)state;
	seg(e, 1, 100, true, 1000, SYN, NULL);
	seg(e, 1, 100, false, 5000, SYN | ACK, NULL);
	seg(e, 1, 100, true, 1001, ACK, NULL);
	seg(e, 1, 100.1, true, 1001, PSH | ACK, post);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.captures, 0); /* the body is still awaited */
	bh_net_engine_flush(e);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.captures, 1);
	assert_non_null(strstr(capture_seen[0], "BH-NET-SQLI"));
	assert_int_equal(count_file(capture_seen[0], NULL, NULL, 0), 4);
	bh_net_engine_free(e);
	unit_rmtmp(d);
}

static void test_no_alert_no_file(void **state)
{
	char *d = unit_mktmp();
	struct bh_net_opts o = { 0 };
	struct bh_net_engine *e = engine(&o, d);
	struct bh_net_stats st;

	(void)state;
	seg(e, 1, 100, true, 1000, SYN, NULL);
	seg(e, 1, 100, false, 5000, SYN | ACK, NULL);
	seg(e, 1, 100, true, 1001, PSH | ACK, benign);
	bh_net_engine_flush(e);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.captures, 0);
	assert_string_equal(capture_seen[0], "-");
	assert_int_equal(files_in(d, NULL, 0), 0);
	bh_net_engine_free(e);
	unit_rmtmp(d);
}

/* ---- the connection graph ---------------------------------------------- */

static int odd_group(const uint8_t a[16], char *out, size_t n, void *arg)
{
	(void)arg;
	if (a[15] != 9)
		return -1; /* the default: the address */
	snprintf(out, n, "db \"tier\"");
	return 0;
}

static void test_graph(void **state)
{
	struct bh_net_graph_opts go = { .group_of = odd_group, .max_edges = 2 };
	struct bh_net_threat_hit th = { "BH-NET-SQLI", "SQL injection", 2 };
	struct bh_net_flow_record r = { .l4 = "tcp", .app = "http", .server_port = 80 };
	struct bh_net_graph *g = NULL;
	struct bh_buf dot = BH_BUF_INIT(1 << 20);
	json_t *j, *e;

	(void)state;
	assert_int_equal(bh_net_graph_new(&go, &g, NULL), 0);
	r.client_addr[10] = r.client_addr[11] = r.server_addr[10] = r.server_addr[11] = 0xff;
	r.client_addr[15] = 1;
	r.server_addr[15] = 9;
	r.packets[0] = 3;
	r.bytes[0] = 100;
	r.bytes[1] = 50;
	r.first = 10;
	r.last = 11;
	bh_net_graph_add(g, &r); /* 0.0.0.1 -> db, benign */
	r.threats = &th;
	r.n_threats = 1;
	r.first = 20;
	r.last = 25;
	bh_net_graph_add(g, &r); /* the same edge, a threat */
	r.server_port = 5432;
	r.app = "postgresql";
	r.n_threats = 0;
	bh_net_graph_add(g, &r); /* a second edge */
	r.server_port = 22;
	bh_net_graph_add(g, &r); /* a third: over max_edges, counted */
	j = bh_net_graph_to_json(g);
	assert_int_equal(json_integer_value(json_object_get(j, "flows")), 4);
	assert_int_equal(json_integer_value(json_object_get(j, "flows_not_kept")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "edges")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "nodes")), 2);
	e = json_array_get(json_object_get(j, "edges"), 0);
	assert_string_equal(bh_json_str(e, "src"), "0.0.0.1");
	assert_string_equal(bh_json_str(e, "dst"), "db \"tier\"");
	assert_int_equal(json_integer_value(json_object_get(e, "port")), 80);
	assert_int_equal(json_integer_value(json_object_get(e, "sessions")), 2);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(e, "bytes"), "to_server")), 200);
	assert_true(json_real_value(json_object_get(e, "last_seen")) == 25);
	assert_true(json_real_value(json_object_get(e, "first")) == 10);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(e, "verdicts"), "default")), 2);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(json_object_get(e, "threats"), "BH-NET-SQLI"), "count")),
		2);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(json_object_get(e, "threats"), "BH-NET-SQLI"), "sessions")),
		1);
	json_decref(j);
	assert_int_equal(bh_net_graph_to_dot(g, &dot, NULL), 0);
	assert_non_null(
		strstr(dot.data, "\"0.0.0.1\" -> \"db \\\"tier\\\"\" [label=\"tcp/80 http"));
	assert_non_null(strstr(dot.data, "BH-NET-SQLI\", color=red"));
	bh_buf_release(&dot);
	bh_net_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_roundtrip),
		cmocka_unit_test(test_ring_before_and_after),
		cmocka_unit_test(test_ring_global_bound),
		cmocka_unit_test(test_open_and_dir_bounds),
		cmocka_unit_test(test_alert_at_flow_end),
		cmocka_unit_test(test_no_alert_no_file),
		cmocka_unit_test(test_graph),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
