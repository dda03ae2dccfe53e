// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor's pipeline pieces: events to JSON and back (every member),
 * the replay reader (bad lines named, reading goes on, over-long lines),
 * the bounded queue, file rotation, the pipeline's counts with a slow
 * output (drops counted, detection complete), the kill action, a block
 * action not done (an alert naming why), the
 * behaviour profiles' hook (learn, alert, act, lost events, flush) and the
 * naming stage (alerts of a provisional container named late, or left as
 * they are at the source's deadline; detection never waits for it; the
 * consumers told after it; its queue full).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/behave.h"
#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "bulkhead/monitord.h"
#include "monitor/pipeline_internal.h"
#include "monitor/source_internal.h"
#include "mon_fixture.h"

static void put_args(char *dst, uint16_t *len, uint16_t *argc, const char *const *v)
{
	size_t o = 0;

	for (*argc = 0; v[*argc]; (*argc)++) {
		size_t n = strlen(v[*argc]) + 1;

		memcpy(dst + o, v[*argc], n);
		o += n;
	}
	*len = (uint16_t)o;
}

/* An event with every member set to something not zero. */
static void full_event(struct bh_mon_event *ev, enum bh_mon_type t)
{
	static const char *const args[] = { "-c", "", "echo hi", NULL };
	static const char *const pargs[] = { "--login", NULL };
	struct bh_mon_proc *p = &ev->proc;

	memset(ev, 0, sizeof(*ev));
	ev->type = t;
	ev->ts_ns = 1700000000123456789ull;
	ev->res = -13;
	p->pid = 100, p->tid = 101, p->ppid = 99, p->sid = 98;
	p->uid = 1000, p->gid = 1001, p->loginuid = 1002, p->tty = 34816;
	snprintf(p->user, sizeof(p->user), "alice");
	snprintf(p->comm, sizeof(p->comm), "bash");
	snprintf(p->exe, sizeof(p->exe), "/usr/bin/bash");
	snprintf(p->cwd, sizeof(p->cwd), "/root");
	put_args(p->args, &p->args_len, &p->argc, args);
	p->args_truncated = p->exe_upper_layer = p->exe_from_memfd = p->exe_writable =
		p->exe_from_host = true;
	p->compat = true;
	p->stdio[0] = BH_MON_FD_TTY, p->stdio[1] = BH_MON_FD_PIPE, p->stdio[2] = BH_MON_FD_IPV6;
	p->nancestors = 2;
	p->ancestors[0].pid = 99;
	snprintf(p->ancestors[0].comm, BH_MON_COMM_MAX, "sshd");
	snprintf(p->ancestors[0].exe, BH_MON_PATH_MAX, "/usr/sbin/sshd");
	p->ancestors[1].pid = 1;
	snprintf(p->ancestors[1].comm, BH_MON_COMM_MAX, "systemd");
	put_args(p->pargs, &p->pargs_len, &p->pargc, pargs);
	snprintf(ev->container.id, BH_MON_CID_MAX, "0123456789abcdef");
	snprintf(ev->container.name, BH_MON_CNAME_MAX, "web");
	snprintf(ev->container.image, BH_MON_IMAGE_MAX, "nginx:1.25");
	snprintf(ev->container.image_digest, BH_MON_DIGEST_MAX, "sha256:%064d", 7);
	snprintf(ev->container.pod, BH_MON_CNAME_MAX, "web-1");
	snprintf(ev->container.pod_namespace, BH_MON_CNAME_MAX, "prod");
	snprintf(ev->container.runtime, BH_MON_RUNTIME_MAX, "runc");
	ev->container.provisional = true;
	snprintf(ev->file.path, BH_MON_PATH_MAX, "/etc/shadow");
	ev->file.flags = O_WRONLY | O_CREAT;
	ev->file.mode = 0644;
	ev->file.fd = 3;
	ev->file.type = BH_MON_FD_FILE;
	ev->net.family = AF_INET6;
	ev->net.proto = 132; /* SCTP: a number */
	inet_pton(AF_INET6, "fd00::1", ev->net.laddr);
	inet_pton(AF_INET6, "2001:db8::2", ev->net.raddr);
	ev->net.lport = 40000, ev->net.rport = 3333;
	ev->args.uid = 5, ev->args.gid = 6;
	ev->args.cap_effective = 1ull << 21, ev->args.cap_permitted = 3,
	ev->args.cap_inheritable = 4;
	ev->args.flags = 0x20000;
	ev->args.request = 16;
	ev->args.target_pid = 4242;
	ev->args.bpf_cmd = 5;
	snprintf(ev->args.source, BH_MON_PATH_MAX, "overlay");
	snprintf(ev->args.fstype, BH_MON_FSTYPE_MAX, "overlay");
	snprintf(ev->args.module, BH_MON_MODULE_MAX, "rk");
}

static void roundtrip(const struct bh_mon_event *ev)
{
	struct bh_mon_event back;
	struct bh_error *err = NULL;
	json_t *j = NULL;
	char *s;

	assert_int_equal(bh_mon_event_to_json(ev, &j, &err), 0);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	/* through the text, as a replay reads it */
	assert_int_equal(bh_json_parse(s, strlen(s), 1 << 20, "t", &j, &err), 0);
	if (bh_mon_event_from_json(j, &back, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("%s: %s", s, m);
	}
	if (memcmp(ev, &back, sizeof(back)))
		fail_msg("differs after the round trip: %s", s);
	json_decref(j);
	free(s);
}

static void event_json_roundtrip_every_member(void **state)
{
	struct bh_mon_event *ev = calloc(1, sizeof(*ev));

	for (int t = 1; t < BH_MON_TYPE_COUNT; t++) {
		full_event(ev, (enum bh_mon_type)t);
		roundtrip(ev);
	}
	/* IPv4, a unix socket, the defaults (loginuid unset, no fd) */
	full_event(ev, BH_MON_CONNECT);
	memset(&ev->net, 0, sizeof(ev->net));
	ev->net.family = AF_INET;
	ev->net.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "10.0.0.2", ev->net.raddr);
	ev->net.rport = 443;
	roundtrip(ev);
	ev->net = (struct bh_mon_net){ .family = AF_UNIX, .proto = IPPROTO_UDP };
	roundtrip(ev);
	/* what a caller passes the kernel as is: a negative pid or fd */
	ev->args.target_pid = -5;
	ev->file.fd = -7;
	roundtrip(ev);
	memset(ev, 0, sizeof(*ev));
	ev->type = BH_MON_EXECVE;
	ev->proc.loginuid = UINT32_MAX;
	ev->file.fd = -1;
	roundtrip(ev);
	free(ev);
}

static void event_json_leaves_empty_members_out(void **state)
{
	struct bh_mon_event ev;
	struct bh_error *err = NULL;
	json_t *j;
	char *s;

	memset(&ev, 0, sizeof(ev));
	ev.type = BH_MON_EXECVE;
	ev.proc.loginuid = UINT32_MAX;
	ev.file.fd = -1;
	snprintf(ev.proc.comm, sizeof(ev.proc.comm), "sh");
	assert_int_equal(bh_mon_event_to_json(&ev, &j, &err), 0);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s,
			    "{\"kind\":\"exec\",\"proc\":{\"name\":\"sh\"},\"type\":\"execve\"}");
	free(s);
	json_decref(j);
	/* not UTF-8 (a path from the kernel): written, not refused */
	snprintf(ev.proc.exe, sizeof(ev.proc.exe), "/tmp/\xff\xfe");
	assert_int_equal(bh_mon_event_to_json(&ev, &j, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "proc"), "exe")),
			    "/tmp/??");
	json_decref(j);
	/* kind must agree with type */
	j = json_loads("{\"type\":\"execve\",\"kind\":\"net\"}", 0, NULL);
	assert_int_equal(bh_mon_event_from_json(j, &ev, &err), -1);
	assert_error(err, BH_ERR_INVALID, "kind: does not match the type");
	bh_error_clear(&err);
	json_decref(j);
}

static struct bh_mon_source *replay_of(const char *text)
{
	struct bh_mon_source *s = NULL;
	struct bh_error *err = NULL;
	int fd = memfd_create("replay", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(mon_source_replay_fd(fd, "r.jsonl", &s, &err), 0);
	return s;
}

static void replay_names_bad_lines_and_goes_on(void **state)
{
	struct bh_mon_source *s;
	struct bh_mon_event *ev = malloc(sizeof(*ev));
	struct bh_error *err = NULL;
	struct bh_mon_stats st;
	struct bh_buf b = BH_BUF_INIT(1 << 20);

	assert_int_equal(bh_buf_adds(&b,
				     "{\"type\":\"execve\"}\n"
				     "\n"
				     "{\"type\":\"execve\",\"proc\":{\"nam\":\"x\"}}\n"
				     "not json\n",
				     NULL),
			 0);
	for (int i = 0; i < 70000; i++)
		assert_int_equal(bh_buf_addc(&b, 'x', NULL), 0);
	assert_int_equal(bh_buf_adds(&b, "\n{\"type\":\"openat\"}", NULL), 0);
	assert_int_equal(bh_buf_addc(&b, 0, NULL), 0);
	s = replay_of(b.data);
	assert_int_equal(bh_mon_source_next(s, ev, -1, &err), 1);
	assert_int_equal(ev->type, BH_MON_EXECVE);
	assert_int_equal(bh_mon_source_next(s, ev, -1, &err), -1);
	assert_error(err, BH_ERR_INVALID, "r.jsonl: line 3: proc.nam: unknown member");
	bh_error_clear(&err);
	assert_int_equal(bh_mon_source_next(s, ev, -1, &err), -1);
	assert_error(err, BH_ERR_INVALID, "r.jsonl: line 4: event: invalid JSON");
	bh_error_clear(&err);
	assert_int_equal(bh_mon_source_next(s, ev, -1, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "r.jsonl: line 5: longer than 65536 bytes");
	bh_error_clear(&err);
	/* the last line, without a newline */
	assert_int_equal(bh_mon_source_next(s, ev, -1, &err), 1);
	assert_int_equal(ev->type, BH_MON_OPENAT);
	assert_int_equal(bh_mon_source_next(s, ev, -1, &err), 0);
	assert_true(bh_mon_source_ended(s));
	bh_mon_source_stats(s, &st);
	assert_int_equal(st.events, 2);
	assert_int_equal(st.invalid, 3);
	bh_mon_source_free(s);
	bh_buf_release(&b);
	free(ev);
}

static void queue_is_bounded(void **state)
{
	struct mon_queue q;
	struct mon_msg m[5], out[8];
	bool waited, done;
	struct timespec t0, t1;

	mon_queue_init(&q, 3);
	for (int i = 0; i < 5; i++)
		m[i] = (struct mon_msg){ .ev = mon_ev_new(NULL) };
	for (int i = 0; i < 3; i++)
		assert_int_equal(mon_queue_push(&q, &m[i], 0, &waited), 0);
	assert_int_equal(mon_queue_push(&q, &m[3], 0, &waited), -1);
	assert_false(waited);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(mon_queue_push(&q, &m[3], 50, &waited), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(waited);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 45);
	assert_int_equal(mon_queue_pop(&q, out, 2, 0, &done), 2);
	assert_true(out[0].ev == m[0].ev && out[1].ev == m[1].ev); /* in order */
	assert_false(done);
	assert_int_equal(mon_queue_push(&q, &m[3], 0, NULL), 0);
	mon_queue_close(&q);
	assert_int_equal(mon_queue_push(&q, &m[4], 0, NULL), -1);
	assert_int_equal(mon_queue_pop(&q, out + 2, 8, 10, &done), 2);
	assert_true(done);
	assert_true(out[2].ev == m[2].ev && out[3].ev == m[3].ev);
	for (int i = 0; i < 4; i++)
		mon_msg_unref(&out[i]);
	mon_msg_unref(&m[4]);
	mon_queue_destroy(&q);
}

static off_t fsize(const char *dir, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) < 0 ? -1 : st.st_size;
}

static void file_output_rotates(void **state)
{
	char *d = unit_mktmp(), path[512];
	struct bh_mon_output_opts o = { .kind = BH_MON_OUT_FILE,
					.rotate_size = 600,
					.rotate_keep = 2 };
	void *impl = NULL;
	char name[128];
	struct bh_error *err = NULL;
	struct mon_msg m = { .ev = mon_ev_new(NULL) };
	const struct mon_json *js;

	snprintf(path, sizeof(path), "%s/events.jsonl", d);
	o.path = path;
	full_event(&m.ev->ev, BH_MON_EXECVE);
	js = mon_msg_json(&m, &err);
	assert_non_null(js);
	assert_ptr_equal(mon_msg_json(&m, &err), js); /* made once */
	assert_int_equal(mon_output_file.open(&o, &impl, name, sizeof(name), &err), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(mon_output_file.write(impl, &m, &js, 1, NULL, &err), 0);
	mon_output_file.close(impl);
	/* one line (> 600 bytes / 2) per file: the live one and two kept */
	assert_true(fsize(d, "events.jsonl") > 300 && fsize(d, "events.jsonl") <= 1200);
	assert_true(fsize(d, "events.jsonl.1") > 0 && fsize(d, "events.jsonl.1") <= 1200);
	assert_true(fsize(d, "events.jsonl.2") > 0);
	assert_int_equal(fsize(d, "events.jsonl.3"), -1);
	mon_msg_unref(&m);
	unit_rmtmp(d);
}

/* ---- the pipeline ---------------------------------------------------------------- */

struct counter {
	atomic_int events, alerts, flushes;
};

static int c_event(void *data, const struct bh_mon_event *ev, struct bh_error **err)
{
	atomic_fetch_add(&((struct counter *)data)->events, 1);
	return 0;
}

static int c_alert(void *data, const struct bh_mon_alert *a, struct bh_error **err)
{
	atomic_fetch_add(&((struct counter *)data)->alerts, 1);
	return 0;
}

static void c_flush(void *data)
{
	atomic_fetch_add(&((struct counter *)data)->flushes, 1);
}

static const char rules_yaml[] = "- rule: Shell\n"
				 "  desc: d\n"
				 "  output: shell %proc.name\n"
				 "  priority: WARNING\n"
				 "  condition: evt.type = execve and proc.name = sh\n";

static void pipeline_slow_output_drops_detection_does_not(void **state)
{
	struct bh_rules *rs = mon_rules(rules_yaml, "r");
	struct bh_buf in = BH_BUF_INIT(1 << 24);
	struct bh_mon_source *src;
	struct counter cnt = { 0 };
	struct bh_mon_consumer con = { "count", &cnt, c_event, c_alert, c_flush };
	int pfd[2];
	struct bh_mon_output_opts outs[1] = {
		{ .kind = BH_MON_OUT_FD,
		  .select = BH_MON_SEL_ALERTS | BH_MON_SEL_EVENTS,
		  .queue = 8 },
	};
	struct bh_mon_run_opts o = { 0 };
	struct bh_mon_run_stats st;
	struct bh_error *err = NULL;

	assert_int_equal(bh_rules_types(rs), BH_MON_TYPE_BIT(BH_MON_EXECVE));
	for (int i = 0; i < 5000; i++)
		assert_int_equal(
			bh_buf_adds(&in,
				    i % 2 ? "{\"type\":\"execve\",\"proc\":{\"name\":\"sh\"}}\n"
					  : "{\"type\":\"openat\"}\n",
				    NULL),
			0);
	assert_int_equal(bh_buf_addc(&in, 0, NULL), 0);
	src = replay_of(in.data);
	/* the output: a pipe nobody reads, non-blocking (it fails when full) */
	assert_int_equal(pipe2(pfd, O_CLOEXEC | O_NONBLOCK), 0);
	outs[0].fd = pfd[1];
	o.source = src;
	o.rules = rs;
	o.consumers = &con;
	o.nconsumers = 1;
	o.outputs = outs;
	o.noutputs = 1;
	o.drain_ms = 200;
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	assert_int_equal(st.events, 5000);
	assert_int_equal(st.detected, 5000);
	assert_int_equal(st.detect_dropped, 0);
	/* the rules' 2500, and the output's drops told ("Monitor lost events",
	 * WARNING: detection lost nothing), at least at the stop */
	assert_true(st.loss_alerts >= 1);
	assert_int_equal(st.alerts, 2500 + st.loss_alerts);
	assert_int_equal(st.alerts_by_priority[BH_RULES_WARNING], 2500 + st.loss_alerts);
	assert_int_equal(atomic_load(&cnt.events), 5000);
	/* the consumer gets the loss alerts too (the agent ships them) */
	assert_int_equal(atomic_load(&cnt.alerts), 2500 + st.loss_alerts - st.loss_alerts_dropped);
	assert_true(atomic_load(&cnt.flushes) >= 1);
	/* every item written or dropped, the drops counted */
	assert_int_equal(st.noutputs, 1);
	assert_true(st.outputs[0].dropped > 0);
	/* (a loss alert the output dropped is counted apart: no new loss) */
	assert_int_equal(st.outputs[0].written + st.outputs[0].dropped + st.outputs[0].loss_dropped,
			 7500 + st.loss_alerts);
	close(pfd[0]);
	close(pfd[1]);
	bh_mon_source_free(src);
	bh_rules_free(rs);
	bh_buf_release(&in);
}

static void kill_action_checks_the_pid(void **state)
{
	struct bh_mon_event *ev = calloc(1, sizeof(*ev));
	struct bh_error *err = NULL;
	struct timespec now;
	pid_t child = fork();
	int ws;

	if (!child) {
		pause();
		_exit(0);
	}
	usleep(20000);
	ev->type = BH_MON_EXECVE;
	ev->proc.pid = (uint32_t)child;
	/* an event older than the process: the pid was reused, refused */
	ev->ts_ns = 1000000000ull;
	assert_int_equal(mon_action_kill(ev, &err), -1);
	assert_error(err, BH_ERR_NOTFOUND, "the pid now names a newer one");
	bh_error_clear(&err);
	ev->ts_ns = 0;
	assert_int_equal(mon_action_kill(ev, &err), -1);
	bh_error_clear(&err);
	clock_gettime(CLOCK_REALTIME, &now);
	ev->ts_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	assert_int_equal(mon_action_kill(ev, &err), 0);
	assert_int_equal(waitpid(child, &ws, 0), child);
	assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	/* gone now */
	assert_int_equal(mon_action_kill(ev, &err), -1);
	bh_error_clear(&err);
	free(ev);
}

struct quar {
	int calls;
	char id[BH_MON_CID_MAX];
	uint32_t pid;
};

static int fake_quarantine(void *data, const char *id, const struct bh_mon_event *ev,
			   struct bh_error **err)
{
	struct quar *q = data;

	q->calls++;
	snprintf(q->id, sizeof(q->id), "%s", id);
	q->pid = ev->proc.pid;
	return 0;
}

static void quarantine_hook_once_per_container(void **state)
{
	struct bh_rules *rs = mon_rules(MON_QUAR_YAML, "q");
	struct bh_mon_source *src;
	struct quar q = { 0 };
	struct bh_mon_run_opts o = { 0 };
	struct bh_mon_run_stats st;
	struct bh_error *err = NULL;

	assert_int_equal(mon_action_of(&o, bh_rules_get(rs, 0)), BH_MON_ACT_QUARANTINE);
	src = replay_of("{\"type\":\"execve\",\"proc\":{\"name\":\"xmrig\",\"pid\":5},"
			"\"container\":{\"id\":\"c1\"}}\n"
			"{\"type\":\"execve\",\"proc\":{\"name\":\"xmrig\",\"pid\":6},"
			"\"container\":{\"id\":\"c1\"}}\n"
			"{\"type\":\"execve\",\"proc\":{\"name\":\"xmrig\",\"pid\":7}}\n");
	o.source = src;
	o.rules = rs;
	o.quarantine = fake_quarantine;
	o.quarantine_data = &q;
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	/* the container once (with the first event), the host never */
	assert_int_equal(q.calls, 1);
	assert_string_equal(q.id, "c1");
	assert_int_equal(q.pid, 5);
	assert_int_equal(st.alerts, 3);
	assert_int_equal(st.actions_ok, 2);
	assert_int_equal(st.actions_failed, 1);
	bh_mon_source_free(src);
	/* an --action entry wins over the tag */
	struct bh_mon_action_rule ar = { "Miner", BH_MON_ACT_ALERT };

	o.actions = &ar;
	o.nactions = 1;
	assert_int_equal(mon_action_of(&o, bh_rules_get(rs, 0)), BH_MON_ACT_ALERT);
	bh_rules_free(rs);
}

/* The alerts' actions and action errors, in order. */
struct acts {
	int n;
	enum bh_mon_action act[4];
	char err[4][256];
	char json[4][1024];
};

static int acts_alert(void *data, const struct bh_mon_alert *a, struct bh_error **err)
{
	struct acts *x = data;
	json_t *j = NULL;
	char *s;

	if (x->n >= 4)
		return 0;
	x->act[x->n] = a->action;
	snprintf(x->err[x->n], sizeof(x->err[0]), "%s", a->action_error);
	assert_int_equal(bh_mon_alert_to_json(a, &j, err), 0);
	s = json_dumps(j, JSON_COMPACT);
	snprintf(x->json[x->n], sizeof(x->json[0]), "%s", s);
	free(s);
	json_decref(j);
	x->n++;
	return 0;
}

static const char block_yaml[] = "- rule: Drop\n"
				 "  desc: d\n"
				 "  output: drop %proc.exe\n"
				 "  priority: ERROR\n"
				 "  condition: evt.type = execve and proc.name = payload\n"
				 "  tags: [bulkhead.action=block]\n";

/* A block the kernel stream reports after the call was not done: the alert says
 * alert, and why; only an exec the guard refused (EPERM) says block. */
static void block_not_done_is_an_alert_naming_why(void **state)
{
	struct bh_rules *rs = mon_rules(block_yaml, "b");
	struct bh_mon_source *src;
	struct acts x = { 0 };
	struct bh_mon_consumer con = { "acts", &x, NULL, acts_alert, NULL };
	struct bh_mon_run_opts o = { 0 };
	struct bh_mon_guard_opts go = { 0 };
	struct bh_mon_run_stats st;
	struct bh_mon_event *ev = calloc(1, sizeof(*ev));
	struct bh_error *err = NULL;
	char why[256] = "";

	assert_int_equal(mon_action_of(&o, bh_rules_get(rs, 0)), BH_MON_ACT_BLOCK);
	src = replay_of("{\"type\":\"execve\",\"res\":0,\"proc\":{\"name\":\"payload\","
			"\"exe\":\"/tmp/payload\",\"pid\":5}}\n"
			"{\"type\":\"execve\",\"res\":-1,\"proc\":{\"name\":\"payload\","
			"\"exe\":\"/tmp/payload\",\"pid\":6}}\n");
	o.source = src;
	o.rules = rs;
	o.consumers = &con;
	o.nconsumers = 1;
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	assert_int_equal(st.alerts, 2);
	assert_int_equal(st.actions_ok, 0);
	assert_int_equal(st.actions_failed, 2);
	assert_int_equal(x.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(x.act[i], BH_MON_ACT_ALERT);
		assert_non_null(strstr(x.err[i], "the guard is off"));
		assert_non_null(strstr(x.json[i], "\"action\":\"alert\""));
		assert_non_null(strstr(x.json[i], "\"action_error\":\"not blocked"));
	}
	bh_mon_source_free(src);
	/* with the guard: a refused exec (EPERM) was blocked; one that ran was not */
	o.guard = &go;
	ev->type = BH_MON_EXECVE;
	ev->res = -EPERM;
	assert_true(mon_block_done(&o, ev, why, sizeof(why)));
	ev->res = 0;
	assert_false(mon_block_done(&o, ev, why, sizeof(why)));
	assert_non_null(strstr(why, "not refused, it succeeded"));
	ev->res = -ENOENT;
	assert_false(mon_block_done(&o, ev, why, sizeof(why)));
	assert_non_null(strstr(why, "failed by itself"));
	free(ev);
	bh_rules_free(rs);
}

/* ---- behaviour profiles ------------------------------------------------------------ */

/* A source of the JSON lines in text that reports `lost` events lost. */
struct fake_src {
	struct bh_mon_source *replay;
	uint64_t lost;
};

static int fake_next(void *impl, struct bh_mon_event *ev, int timeout_ms, bool *ended,
		     struct bh_error **err)
{
	struct fake_src *f = impl;
	int rc = bh_mon_source_next(f->replay, ev, timeout_ms, err);

	*ended = bh_mon_source_ended(f->replay);
	return rc;
}

static void fake_stats(const void *impl, struct bh_mon_stats *st)
{
	st->lost += ((const struct fake_src *)impl)->lost;
}

static void fake_free(void *impl)
{
	struct fake_src *f = impl;

	bh_mon_source_free(f->replay);
	free(f);
}

static const struct mon_source_ops fake_ops = { "fake", fake_next, fake_stats, fake_free, NULL };

static struct bh_mon_source *lossy_of(const char *text, uint64_t lost)
{
	struct fake_src *f = calloc(1, sizeof(*f));
	struct bh_mon_source *s = NULL;

	f->replay = replay_of(text);
	f->lost = lost;
	assert_int_equal(mon_source_new(&fake_ops, f, &s, NULL), 0);
	return s;
}

#define BEH_C                                                                                      \
	"\"container\":{\"id\":\"c1\",\"image\":\"app:1\",\"image_digest\":\"sha256:"              \
	"abababababababababababababababababababababababababababababababab\"}"
#define BEH_KEY "sha256:abababababababababababababababababababababababababababababababab"

static const char beh_benign[] =
	"{\"type\":\"execve\",\"time\":1,\"proc\":{\"exe\":\"/bin/app\",\"pid\":5}," BEH_C "}\n"
	"{\"type\":\"listen\",\"time\":2,\"proc\":{\"exe\":\"/bin/app\"},"
	"\"net\":{\"proto\":\"tcp\",\"local\":\"0.0.0.0:8080\"}," BEH_C "}\n";
static const char beh_attack[] =
	"{\"type\":\"execve\",\"time\":3,\"proc\":{\"exe\":\"/bin/sh\",\"pid\":6}," BEH_C "}\n"
	"{\"type\":\"listen\",\"time\":4,\"proc\":{\"exe\":\"/bin/app\"},"
	"\"net\":{\"proto\":\"tcp\",\"local\":\"0.0.0.0:8080\"}," BEH_C "}\n";

/* Run the pipeline on text with b, the alerts' JSON lines into *out (caller frees). */
static void behave_run(struct bh_behave *b, const char *text, uint64_t lost, enum bh_mon_action act,
		       struct quar *q, struct bh_mon_run_stats *st, char **out)
{
	struct bh_mon_source *src = lossy_of(text, lost);
	int fd = memfd_create("alerts", MFD_CLOEXEC);
	struct bh_mon_output_opts oo = { .kind = BH_MON_OUT_FD, .select = BH_MON_SEL_ALERTS };
	struct bh_mon_run_opts o = { 0 };
	struct bh_error *err = NULL;
	char *buf = calloc(1, 65536);
	ssize_t n;

	assert_true(fd >= 0);
	oo.fd = fd;
	o.source = src;
	o.outputs = &oo;
	o.noutputs = 1;
	o.behave = b;
	o.behave_action = act;
	o.quarantine = fake_quarantine;
	o.quarantine_data = q;
	o.no_drop = true;
	assert_int_equal(bh_mon_run(&o, st, &err), 0);
	n = pread(fd, buf, 65535, 0);
	assert_true(n >= 0);
	close(fd);
	bh_mon_source_free(src);
	*out = buf;
}

static void behaviour_hook_learns_alerts_and_acts(void **state)
{
	char *d = unit_mktmp(), store[512], *out;
	struct bh_behave_opts bo = { .store = store };
	struct bh_behave *b = NULL;
	struct bh_mon_run_stats st;
	struct quar q = { 0 };
	struct bh_error *err = NULL;
	json_t *doc = NULL;

	snprintf(store, sizeof(store), "%s/p.sqlite", d);
	assert_int_equal(bh_behave_open(&bo, &b, &err), 0);

	/* discover: learned, no behaviour alert; the lost events reach the profile,
	 * and are told: one loss alert (this source counts them lost from the
	 * start: told at the first check; 3 lost, none read: CRITICAL), its counts
	 * in "loss", no "event" */
	behave_run(b, beh_benign, 3, BH_MON_ACT_KILL, &q, &st, &out);
	assert_int_equal(st.behave_learned, 2);
	assert_int_equal(st.behave_outside, 0);
	assert_int_equal(st.alerts, 1);
	assert_int_equal(st.loss_alerts, 1);
	assert_int_equal(st.alerts_by_priority[BH_RULES_CRITICAL], 1);
	assert_non_null(strstr(out, "\"rule\":\"Monitor lost events\",\"priority\":\"CRITICAL\""));
	assert_non_null(strstr(out, "\"loss\":{\"kernel\":3,\"detect\":0,\"output\":0,"));
	assert_non_null(strstr(out, "\"totals\":{\"kernel\":3,\"detect\":0,\"output\":0}}"));
	assert_null(strstr(out, "\"event\""));
	assert_null(strchr(strchr(out, '\n') + 1, '\n')); /* one line */
	free(out);
	/* flushed at the end of the run: in the store */
	assert_int_equal(bh_behave_export(b, BEH_KEY, &doc, &err), 0);
	assert_true(json_is_true(json_object_get(doc, "events_lost")));
	assert_int_equal(json_array_size(json_object_get(doc, "processes")), 1);
	json_decref(doc);

	/* monitor: the new exec is a WARNING alert of the built-in rule */
	assert_int_equal(bh_behave_set_mode(b, BEH_KEY, BH_PROF_MONITOR, -1, &err), 0);
	assert_int_equal(bh_behave_flush(b, &err), 0); /* the mode read again */
	behave_run(b, beh_attack, 0, BH_MON_ACT_KILL, &q, &st, &out);
	assert_int_equal(st.behave_known, 1);
	assert_int_equal(st.behave_outside, 1);
	assert_int_equal(st.behave_blocked, 0);
	assert_int_equal(st.alerts, 1);
	assert_int_equal(st.alerts_by_priority[BH_RULES_WARNING], 1);
	assert_int_equal(st.actions_ok + st.actions_failed, 0);
	assert_non_null(strstr(out, "\"rule\":\"Behaviour outside the learned profile\""));
	assert_non_null(strstr(out, "\"tags\":[\"behaviour\",\"NIST_800-190_4.4.4\",\"process\"]"));
	assert_non_null(strstr(out, "\"kind\":\"process\",\"value\":\"/bin/sh"));
	assert_non_null(strstr(out, "\"action\":\"alert\""));
	free(out);

	/* protect: ERROR, the action taken (the quarantine hook) and counted */
	assert_int_equal(bh_behave_set_mode(b, BEH_KEY, BH_PROF_PROTECT, -1, &err), 0);
	assert_int_equal(bh_behave_flush(b, &err), 0);
	behave_run(b, beh_attack, 0, BH_MON_ACT_QUARANTINE, &q, &st, &out);
	assert_int_equal(st.behave_blocked, 1);
	assert_int_equal(st.alerts_by_priority[BH_RULES_ERROR], 1);
	assert_int_equal(st.actions_ok, 1);
	assert_int_equal(q.calls, 1);
	assert_string_equal(q.id, "c1");
	assert_int_equal(q.pid, 6);
	assert_non_null(strstr(out, "\"action\":\"quarantine\""));
	assert_non_null(strstr(out, "\"block\":true"));
	free(out);

	bh_behave_close(b);
	unit_rmtmp(d);
}

/* The count of files in `sub` (req: requests left, ack: answers) of the
 * rendezvous' one guard directory under dir. */
static int rdv_count(const char *dir, const char *sub)
{
	char cmd[600];
	int n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls %s/*/%s | wc -l", dir, sub);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &n), 1);
	pclose(f);
	return n;
}

/* The attribution serves the start rendezvous from a thread of its own: a
 * consumer that never pulls (mon_attr_get never called) does not make a
 * start wait; more requests than one read takes (BH_GUARD_RDV_PENDING) are
 * all answered. */
static void attr_rendezvous_needs_no_consumer(void **state)
{
	char *d = unit_mktmp(), *dir = bh_asprintf("%s/g", d), cmd[600];
	struct bh_ctr_opts co = { .root = d, .docker_socket = "", .podman_socket = "" };
	struct mon_attr_opts ao = { .copts = &co, .rendezvous = true, .rdv_dir = dir };
	struct bh_error *err = NULL;
	struct mon_attr *a = NULL;
	uint64_t t0;
	FILE *f;

	(void)state;
	assert_int_equal(mon_attr_new(&ao, &a), 0);
	assert_non_null(a);
	t0 = bh_mono_ms();
	assert_int_equal(bh_guard_rdv_await(dir, 42, 7, BH_GUARD_RDV_WAIT_MS, &err), 0);
	assert_null(err);
	assert_true(bh_mono_ms() - t0 < 2000); /* answered, not timed out (5 s) */
	/* 300 requests at once (one read takes 256): none stranded */
	snprintf(cmd, sizeof(cmd), "cd %s/*/req && for i in $(seq 1000 1299); do : >$i-1; done",
		 dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(pclose(f), 0);
	t0 = bh_mono_ms();
	while (rdv_count(dir, "req") > 0 && bh_mono_ms() - t0 < 3000)
		usleep(20000);
	assert_int_equal(rdv_count(dir, "req"), 0);
	mon_attr_free(a);
	unit_rmtmp(d);
	free(dir);
}

/* A request is answered only once a list made after it succeeded: while the
 * lists fail (the host's root gone: bh_ctr_list cannot read anything) the
 * request stays, unanswered, read again and again; the first list that
 * succeeds after answers it. */
static void attr_rendezvous_failed_list_is_read_again(void **state)
{
	char *d = unit_mktmp(), *dir = bh_asprintf("%s/g", d), *root = bh_asprintf("%s/root", d);
	char *away = bh_asprintf("%s/away", d), cmd[600];
	struct bh_ctr_opts co = { .root = root, .docker_socket = "", .podman_socket = "" };
	struct mon_attr_opts ao = { .copts = &co, .rendezvous = true, .rdv_dir = dir };
	struct bh_error *err = NULL;
	struct bh_ctr_list *l = NULL;
	struct mon_attr *a = NULL;
	uint64_t t0;

	(void)state;
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mon_attr_new(&ao, &a), 0);
	assert_non_null(a);
	/* answered while the lists succeed */
	assert_int_equal(bh_guard_rdv_await(dir, 42, 7, BH_GUARD_RDV_WAIT_MS, &err), 0);
	assert_null(err);
	assert_int_equal(rdv_count(dir, "ack"), 0); /* the runtime removed its answer */

	/* the lists fail from now on (the test's own check that they do) */
	assert_int_equal(rename(root, away), 0);
	assert_int_equal(bh_ctr_list(&co, &l, &err), -1);
	assert_null(l);
	bh_error_clear(&err);
	snprintf(cmd, sizeof(cmd), "cd %s/*/req && : >1000-1", dir);
	assert_int_equal(system(cmd), 0);
	/* several retries (one per 100 ms) fail: never answered */
	t0 = bh_mono_ms();
	while (bh_mono_ms() - t0 < 700) {
		assert_int_equal(rdv_count(dir, "req"), 1);
		assert_int_equal(rdv_count(dir, "ack"), 0);
		usleep(50000);
	}
	/* a runtime asking now times out too */
	assert_int_equal(bh_guard_rdv_await(dir, 43, 8, 300, &err), -1);
	bh_error_clear(&err);

	/* the lists succeed again: the request read again is answered */
	assert_int_equal(rename(away, root), 0);
	t0 = bh_mono_ms();
	while (rdv_count(dir, "req") > 0 && bh_mono_ms() - t0 < 3000)
		usleep(20000);
	assert_int_equal(rdv_count(dir, "req"), 0);
	snprintf(cmd, sizeof(cmd), "test -e %s/*/ack/1000-1", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(bh_guard_rdv_await(dir, 44, 9, BH_GUARD_RDV_WAIT_MS, &err), 0);
	assert_null(err);
	mon_attr_free(a);
	unit_rmtmp(d);
	free(away);
	free(root);
	free(dir);
}

/* ---- the naming stage ------------------------------------------------------------- */

/* A replay whose refine names c1 (web, nginx:1.27) after wait_ms (its full
 * list late), and never c2 (gone: never listed), as the kernel source's. */
struct naming_src {
	struct bh_mon_source *replay;
	unsigned wait_ms;
	atomic_uint refines;
};

static int naming_next(void *impl, struct bh_mon_event *ev, int timeout_ms, bool *ended,
		       struct bh_error **err)
{
	struct naming_src *f = impl;
	int rc = bh_mon_source_next(f->replay, ev, timeout_ms, err);

	*ended = bh_mon_source_ended(f->replay);
	return rc;
}

static void naming_stats(const void *impl, struct bh_mon_stats *st)
{
	(void)impl;
	(void)st;
}

static void naming_free(void *impl)
{
	struct naming_src *f = impl;

	bh_mon_source_free(f->replay);
	free(f);
}

static int naming_refine(void *impl, struct bh_mon_container *c, uint64_t ts_ns,
			 uint64_t since_mono_ns)
{
	struct naming_src *f = impl;

	(void)ts_ns;
	(void)since_mono_ns;
	atomic_fetch_add(&f->refines, 1);
	usleep(f->wait_ms * 1000);
	if (strcmp(c->id, "c1"))
		return 0;
	snprintf(c->name, sizeof(c->name), "web");
	snprintf(c->image, sizeof(c->image), "nginx:1.27");
	c->provisional = false;
	return 1;
}

static const struct mon_source_ops naming_ops = { "naming", naming_next, naming_stats, naming_free,
						  naming_refine };

/* What the consumers were told, in order: an event (E), an alert (A: its
 * container's id and name, its output), a flush (F); and when (ms). */
struct told {
	pthread_mutex_t mu;
	int n;
	char what[16][160];
	uint64_t at[16];
};

static void told_add(struct told *t, const char *s)
{
	pthread_mutex_lock(&t->mu);
	if (t->n < 16) {
		snprintf(t->what[t->n], sizeof(t->what[0]), "%s", s);
		t->at[t->n++] = bh_mono_ms();
	}
	pthread_mutex_unlock(&t->mu);
}

static int told_event(void *data, const struct bh_mon_event *ev, struct bh_error **err)
{
	char s[128];

	(void)err;
	snprintf(s, sizeof(s), "E %.8s", ev->container.id);
	told_add(data, s);
	return 0;
}

static int told_alert(void *data, const struct bh_mon_alert *a, struct bh_error **err)
{
	char s[128];

	(void)err;
	snprintf(s, sizeof(s), "A %.8s %.16s: %.64s", a->ev->container.id, a->ev->container.name,
		 a->output);
	told_add(data, s);
	return 0;
}

static void told_flush(void *data)
{
	told_add(data, "F");
}

/* The quarantine hook's calls: when (ms), and the container. */
struct quar_at {
	int n;
	char id[4][BH_MON_CID_MAX];
	uint64_t at[4];
};

static int quar_at(void *data, const char *id, const struct bh_mon_event *ev, struct bh_error **err)
{
	struct quar_at *q = data;

	(void)ev;
	(void)err;
	if (q->n < 4) {
		snprintf(q->id[q->n], sizeof(q->id[0]), "%s", id);
		q->at[q->n++] = bh_mono_ms();
	}
	return 0;
}

static const char naming_yaml[] = "- rule: Payload\n"
				  "  desc: d\n"
				  "  output: ran %proc.exe in %container.name (%container.image)\n"
				  "  priority: ERROR\n"
				  "  condition: evt.type = execve and proc.name = payload\n";

#define NAMING_EV(t, id, prov)                                                                     \
	"{\"type\":\"execve\",\"time\":" #t ",\"proc\":{\"exe\":\"/bin/payload\","                 \
	"\"name\":\"payload\",\"pid\":5},\"container\":{\"id\":\"" id "\",\"name\":\"" id          \
	"\",\"runtime\":\"runc\"" prov "}}\n"

/* c1 again, named already (its full list came meanwhile). */
#define NAMING_EV_NAMED                                                                            \
	"{\"type\":\"execve\",\"time\":4,\"proc\":{\"exe\":\"/bin/payload\","                      \
	"\"name\":\"payload\",\"pid\":6},\"container\":{\"id\":\"c1\",\"name\":\"web\","           \
	"\"image\":\"nginx:1.27\",\"runtime\":\"runc\"}}\n"

/*
 * Alerts of a provisional container wait in the naming stage for the
 * source's refine: c1's leaves with the engine's name and image (the event's
 * and the output's), c2's (never listed) leaves as it was when refine gives
 * up, c3's (named already) is not held; c1's second alert, named already,
 * waits behind c1's first (a container's alerts in order). Detection made
 * all four at once and took their actions (quarantine) then; the consumer
 * (the agent's, for the controller) is told each alert once, after the
 * naming, with the names the outputs get, and flushed after. Old code: the
 * consumer got c1's alert at detection, named c1 with no image.
 */
static void naming_stage_names_alerts_late(void **state)
{
	struct bh_rules *rs = mon_rules(naming_yaml, "n");
	struct naming_src *f = calloc(1, sizeof(*f));
	struct bh_mon_source *src = NULL;
	struct told *t = calloc(1, sizeof(*t));
	struct quar_at q = { 0 };
	struct bh_mon_consumer con = { "told", t, told_event, told_alert, told_flush };
	struct bh_mon_action_rule ar = { "Payload", BH_MON_ACT_QUARANTINE };
	int fd = memfd_create("alerts", MFD_CLOEXEC);
	struct bh_mon_output_opts oo = { .kind = BH_MON_OUT_FD, .select = BH_MON_SEL_ALERTS };
	struct bh_mon_run_opts o = { 0 };
	struct bh_mon_run_stats st;
	struct bh_error *err = NULL;
	char *buf = calloc(1, 65536), *c1, *c2, *c3, *c1b;
	const char *want[] = {
		"A c3 c3: ran /bin/payload in c3 (<NA>)",
		"A c1 web: ran /bin/payload in web (nginx:1.27)",
		"A c2 c2: ran /bin/payload in c2 (<NA>)",
		"A c1 web: ran /bin/payload in web (nginx:1.27)",
	};
	int na = 0, ne = 0, last_alert = -1;
	uint64_t t0;

	(void)state;
	assert_true(fd >= 0);
	pthread_mutex_init(&t->mu, NULL);
	f->replay = replay_of(NAMING_EV(1, "c1", ",\"provisional\":true") NAMING_EV(
		2, "c2", ",\"provisional\":true") NAMING_EV(3, "c3", "") NAMING_EV_NAMED);
	f->wait_ms = 700;
	assert_int_equal(mon_source_new(&naming_ops, f, &src, NULL), 0);
	oo.fd = fd;
	o.source = src;
	o.rules = rs;
	o.actions = &ar;
	o.nactions = 1;
	o.quarantine = quar_at;
	o.quarantine_data = &q;
	o.outputs = &oo;
	o.noutputs = 1;
	o.consumers = &con;
	o.nconsumers = 1;
	o.no_drop = true;
	t0 = bh_mono_ms();
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	/* the run waited for both namings (serial, 700 ms each) */
	assert_true(bh_mono_ms() - t0 >= 1400);
	assert_int_equal(st.alerts, 4);
	assert_int_equal(st.alerts_named_late, 1);
	assert_int_equal(st.alerts_unnamed, 1);
	assert_int_equal(st.alerts_naming_full, 0);
	assert_int_equal(st.consumer_errors, 0);
	assert_int_equal(atomic_load(&f->refines), 2);
	/* detection did not wait on them: every event and every action at once */
	assert_int_equal(q.n, 3);
	assert_string_equal(q.id[0], "c1");
	assert_string_equal(q.id[1], "c2");
	assert_string_equal(q.id[2], "c3");
	assert_true(q.at[2] - t0 < 600);
	for (int i = 0; i < t->n; i++) {
		if (t->what[i][0] == 'E') {
			assert_true(t->at[i] - t0 < 600);
			ne++;
		} else if (t->what[i][0] == 'A') {
			/* each alert once, in order, with the outputs' names */
			assert_true(na < 4);
			if (strcmp(t->what[i], want[na]))
				fail_msg("alert %d told as '%s', not '%s'", na, t->what[i],
					 want[na]);
			/* the held ones after their names came */
			assert_true(na == 0 || t->at[i] - t0 >= 600);
			na++;
			last_alert = i;
		}
	}
	assert_int_equal(ne, 4);
	assert_int_equal(na, 4);
	/* and flushed after the last */
	assert_true(last_alert >= 0 && last_alert < t->n - 1);
	assert_string_equal(t->what[t->n - 1], "F");
	assert_true(pread(fd, buf, 65535, 0) > 0);
	c1 = strstr(buf, "\"id\":\"c1\"");
	c2 = strstr(buf, "\"id\":\"c2\"");
	c3 = strstr(buf, "\"id\":\"c3\"");
	assert_non_null(c1);
	assert_non_null(c2);
	assert_non_null(c3);
	assert_true(c3 < c1 && c1 < c2); /* the held ones after */
	c1b = strstr(c1 + 1, "\"id\":\"c1\"");
	assert_non_null(c1b);
	assert_true(c2 < c1b); /* c1's second behind its first */
	assert_non_null(strstr(buf, "ran /bin/payload in web (nginx:1.27)"));
	assert_non_null(strstr(buf, "\"id\":\"c1\",\"name\":\"web\",\"image\":\"nginx:1.27\","
				    "\"runtime\":\"runc\"}"));
	assert_non_null(strstr(buf, "ran /bin/payload in c2 (<NA>)"));
	assert_non_null(strstr(buf, "\"id\":\"c2\",\"name\":\"c2\",\"runtime\":\"runc\","
				    "\"provisional\":true}"));
	close(fd);
	free(buf);
	pthread_mutex_destroy(&t->mu);
	free(t);
	bh_mon_source_free(src);
	bh_rules_free(rs);
}

/* ---- the naming stage full ---------------------------------------------------------- */

#define FILL_N 301 /* alerts: 1 being named, 256 waiting, 44 left at once */

/*
 * A replay of FILL_N alerts, each of a provisional container (pid i,
 * container c(i mod 200): those past the queue are of containers held
 * already, so the queue refuses them, not the stage's table of containers
 * held): the first alone, the rest once refine has been entered
 * (then one alert is being named and the rest go to a queue of 256); then
 * nothing, the source not ended, until `end`. Refine blocks until `release`,
 * then names the container.
 */
struct fill_src {
	struct bh_mon_source *replay;
	int given;
	atomic_int entered, release, end;
};

static int fill_next(void *impl, struct bh_mon_event *ev, int timeout_ms, bool *ended,
		     struct bh_error **err)
{
	struct fill_src *f = impl;
	int rc;

	*ended = false;
	if ((f->given == 1 && !atomic_load(&f->entered)) || f->given == FILL_N) {
		usleep(1000);
		*ended = f->given == FILL_N && atomic_load(&f->end);
		return 0;
	}
	rc = bh_mon_source_next(f->replay, ev, timeout_ms, err);
	if (rc > 0)
		f->given++;
	return rc;
}

static void fill_stats(const void *impl, struct bh_mon_stats *st)
{
	(void)impl;
	(void)st;
}

static void fill_free(void *impl)
{
	struct fill_src *f = impl;

	bh_mon_source_free(f->replay);
	free(f);
}

static int fill_refine(void *impl, struct bh_mon_container *c, uint64_t ts_ns,
		       uint64_t since_mono_ns)
{
	struct fill_src *f = impl;

	(void)ts_ns;
	(void)since_mono_ns;
	atomic_fetch_add(&f->entered, 1);
	while (!atomic_load(&f->release))
		usleep(1000);
	snprintf(c->name, sizeof(c->name), "named");
	snprintf(c->image, sizeof(c->image), "img:1");
	c->provisional = false;
	return 1;
}

static const struct mon_source_ops fill_ops = { "fill", fill_next, fill_stats, fill_free,
						fill_refine };

/* What the consumer was told: each alert's pid, told how often and named or
 * not; the alerts and flushes in order. */
struct fill_told {
	atomic_int alerts, flushes, last_alert_seq, seq;
	atomic_int times[FILL_N + 1];
	atomic_bool named[FILL_N + 1];
};

static int fill_alert(void *data, const struct bh_mon_alert *a, struct bh_error **err)
{
	struct fill_told *t = data;
	uint32_t pid = a->ev->proc.pid;

	(void)err;
	if (pid < 1 || pid > FILL_N)
		return -1;
	atomic_fetch_add(&t->times[pid], 1);
	atomic_store(&t->named[pid], !strcmp(a->ev->container.name, "named"));
	atomic_fetch_add(&t->alerts, 1);
	atomic_store(&t->last_alert_seq, atomic_fetch_add(&t->seq, 1));
	return 0;
}

static void fill_flush(void *data)
{
	struct fill_told *t = data;

	atomic_fetch_add(&t->flushes, 1);
	atomic_fetch_add(&t->seq, 1);
}

struct fill_run {
	struct bh_mon_run_opts o;
	struct bh_mon_run_stats st, seen;
	atomic_int seen_n;
	int rc;
};

static void fill_progress(void *data, const struct bh_mon_run_stats *st)
{
	struct fill_run *r = data;

	r->seen = *st;
	atomic_fetch_add(&r->seen_n, 1);
}

static void *fill_main(void *arg)
{
	struct fill_run *r = arg;
	struct bh_error *err = NULL;

	r->rc = bh_mon_run(&r->o, &r->st, &err);
	bh_error_free(err);
	return NULL;
}

/* Wait up to 10 s for *v to be at least want. */
static bool wait_at_least(atomic_int *v, int want)
{
	for (int i = 0; i < 10000 && atomic_load(v) < want; i++)
		usleep(1000);
	return atomic_load(v) >= want;
}

/* The alerts of pid i in the output's JSON lines, counted into n[i]. */
static int count_lines(int fd, int n[FILL_N + 1])
{
	static char buf[1 << 20];
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);
	int lines = 0;

	memset(n, 0, sizeof(int) * (FILL_N + 1));
	if (len <= 0)
		return 0;
	buf[len] = 0;
	for (char *l = buf, *e; (e = strchr(l, '\n')); l = e + 1) {
		char *pid = strstr(l, "\"pid\":");
		long v;

		*e = 0;
		assert_non_null(pid);
		v = strtol(pid + 6, NULL, 10);
		assert_true(v >= 1 && v <= FILL_N);
		n[v]++;
		lines++;
	}
	return lines;
}

/*
 * The naming queue full: with one alert being named (refine blocked) and
 * 256 waiting, each further alert of a provisional container leaves at once
 * (the 258th alert of the run: told to the consumer and written, unnamed,
 * counted in alerts_naming_full) while the held ones wait; once refine is
 * released the held ones leave named. Every alert is told and written once,
 * none lost, and the run stops cleanly. Old code had no test of this path.
 */
static void naming_full_queue_leaves_unnamed_at_once(void **state)
{
	struct bh_rules *rs = mon_rules(naming_yaml, "n");
	struct fill_src *f = calloc(1, sizeof(*f));
	struct fill_told *t = calloc(1, sizeof(*t));
	struct fill_run *r = calloc(1, sizeof(*r));
	struct bh_mon_source *src = NULL;
	struct bh_mon_consumer con = { "fill", t, NULL, fill_alert, fill_flush };
	struct bh_mon_output_opts oo = { .kind = BH_MON_OUT_FD, .select = BH_MON_SEL_ALERTS };
	int fd = memfd_create("alerts", MFD_CLOEXEC);
	atomic_int report = 0;
	char *text = calloc(1, FILL_N * 256);
	size_t len = 0;
	int n[FILL_N + 1];
	pthread_t th;
	uint64_t t0;

	(void)state;
	assert_true(fd >= 0);
	for (int i = 1; i <= FILL_N; i++)
		len += (size_t)snprintf(text + len, 256,
					"{\"type\":\"execve\",\"time\":%d,\"proc\":{\"exe\":"
					"\"/bin/payload\",\"name\":\"payload\",\"pid\":%d},"
					"\"container\":{\"id\":\"c%d\",\"name\":\"c%d\","
					"\"runtime\":\"runc\",\"provisional\":true}}\n",
					i, i, i % 200, i % 200);
	f->replay = replay_of(text);
	free(text);
	assert_int_equal(mon_source_new(&fill_ops, f, &src, NULL), 0);
	oo.fd = fd;
	r->o.source = src;
	r->o.rules = rs;
	r->o.outputs = &oo;
	r->o.noutputs = 1;
	r->o.consumers = &con;
	r->o.nconsumers = 1;
	r->o.report = &report;
	r->o.progress = fill_progress;
	r->o.data = r;
	assert_int_equal(pthread_create(&th, NULL, fill_main, r), 0);
	/* refine holds the first; the 44 past the queue are told at once */
	assert_true(wait_at_least(&f->entered, 1));
	assert_true(wait_at_least(&t->alerts, FILL_N - 257));
	usleep(300000);
	assert_int_equal(atomic_load(&t->alerts), FILL_N - 257);
	assert_int_equal(atomic_load(&f->entered), 1);
	for (int i = 1; i <= FILL_N; i++) {
		assert_int_equal(atomic_load(&t->times[i]), i > 257);
		if (i > 257)
			assert_false(atomic_load(&t->named[i]));
	}
	/* counted so while the rest wait */
	atomic_fetch_add(&report, 1);
	assert_true(wait_at_least(&r->seen_n, 1));
	assert_int_equal(r->seen.alerts, FILL_N);
	assert_int_equal(r->seen.alerts_naming_full, FILL_N - 257);
	assert_int_equal(r->seen.alerts_named_late, 0);
	/* and written at once */
	for (int i = 0; i < 2000 && count_lines(fd, n) < FILL_N - 257; i++)
		usleep(1000);
	assert_int_equal(count_lines(fd, n), FILL_N - 257);
	for (int i = 1; i <= FILL_N; i++)
		assert_int_equal(n[i], i > 257);
	/* released: the held ones leave named, and the run stops */
	t0 = bh_mono_ms();
	atomic_store(&f->release, 1);
	atomic_store(&f->end, 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(bh_mono_ms() - t0 < 5000);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->st.alerts, FILL_N);
	assert_int_equal(r->st.alerts_naming_full, FILL_N - 257);
	assert_int_equal(r->st.alerts_named_late, 257);
	assert_int_equal(r->st.alerts_unnamed, 0);
	assert_int_equal(r->st.consumer_errors, 0);
	assert_int_equal(r->st.outputs[0].written, FILL_N);
	assert_int_equal(r->st.outputs[0].dropped, 0);
	assert_int_equal(atomic_load(&f->entered), 257);
	assert_int_equal(atomic_load(&t->alerts), FILL_N);
	for (int i = 1; i <= FILL_N; i++) {
		assert_int_equal(atomic_load(&t->times[i]), 1);
		assert_int_equal(atomic_load(&t->named[i]), i <= 257);
	}
	/* flushed after the last alert */
	assert_true(atomic_load(&t->last_alert_seq) < atomic_load(&t->seq) - 1);
	assert_int_equal(count_lines(fd, n), FILL_N);
	for (int i = 1; i <= FILL_N; i++)
		assert_int_equal(n[i], 1);
	close(fd);
	free(t);
	free(r);
	bh_mon_source_free(src);
	bh_rules_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(event_json_roundtrip_every_member),
		cmocka_unit_test(event_json_leaves_empty_members_out),
		cmocka_unit_test(replay_names_bad_lines_and_goes_on),
		cmocka_unit_test(queue_is_bounded),
		cmocka_unit_test(file_output_rotates),
		cmocka_unit_test(pipeline_slow_output_drops_detection_does_not),
		cmocka_unit_test(kill_action_checks_the_pid),
		cmocka_unit_test(quarantine_hook_once_per_container),
		cmocka_unit_test(block_not_done_is_an_alert_naming_why),
		cmocka_unit_test(behaviour_hook_learns_alerts_and_acts),
		cmocka_unit_test(attr_rendezvous_needs_no_consumer),
		cmocka_unit_test(attr_rendezvous_failed_list_is_read_again),
		cmocka_unit_test(naming_stage_names_alerts_late),
		cmocka_unit_test(naming_full_queue_leaves_unnamed_at_once),
	};

	return cmocka_run_group_tests_name("monitor", tests, NULL, NULL);
}
