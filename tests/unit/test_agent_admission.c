/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime's admission decision log (src/runtime/admit_log.c) and the
 * agent's tail of it (src/agent/admission.c): appends are whole lines, the
 * log rotates at its cap (at most twice the cap on disk), a reader's cursor
 * survives a rotation and a restart, a torn last line waits for its newline,
 * hostile lines (not JSON, too long, NUL bytes, members of the wrong type,
 * extra members) are skipped or never copied into the event.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "agent/admission.h"
#include "bulkhead/policy.h"
#include "runtime/internal.h"
#include "banned.h"

struct sink {
	json_t *events;
	size_t syncs;
	int fail_after;	   /* event() fails after this many (0: never) */
	size_t lost_warns; /* "decisions lost to rotation" said */
};

static int s_event(void *data, const char *json, size_t len, struct bh_error **err)
{
	struct sink *s = data;
	json_t *v = json_loadb(json, len, 0, NULL);

	assert_non_null(v);
	if (s->fail_after && json_array_size(s->events) >= (size_t)s->fail_after) {
		json_decref(v);
		return bh_error_set(err, BH_ERR_IO, "the spool is full (test)");
	}
	json_array_append_new(s->events, v);
	return 0;
}

static int s_sync(void *data, struct bh_error **err)
{
	(void)err;
	((struct sink *)data)->syncs++;
	return 0;
}

static void s_warn(void *data, struct bh_error *e)
{
	char *m = bh_error_message(e);

	if (m && strstr(m, "decisions lost to rotation in "))
		((struct sink *)data)->lost_warns++;
	free(m);
	bh_error_free(e);
}

static char *tmpdir(void)
{
	char t[] = "/tmp/bh-admlog-XXXXXX";

	assert_non_null(mkdtemp(t));
	return bh_strdup(t);
}

static void rmrf(const char *d)
{
	char *c = bh_asprintf("rm -rf '%s'", d);

	assert_int_equal(system(c), 0);
	free(c);
}

static void append(const char *root, const char *dec, const char *id, uint64_t cap)
{
	json_t *e = json_pack("{sIsssssss[{ssssssss}]}", "ts", (json_int_t)1700000000, "decision",
			      dec, "id", id, "image", "registry.example/app:1", "rules", "rule",
			      "no-privileged", "action", !strcmp(dec, "allow") ? "warn" : "enforce",
			      "section", "4.4.3", "message", "privileged container");
	struct bh_error *err = NULL;

	assert_int_equal(bh_rt_admit_log_append(root, e, cap, &err), 0);
	json_decref(e);
}

static void raw_append(const char *root, const void *p, size_t len)
{
	char *path = bh_asprintf("%s/" BH_RT_ADMIT_LOG, root);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
	free(path);
}

static off_t size_of(const char *root, const char *name)
{
	char *p = bh_asprintf("%s/%s", root, name);
	struct stat st;
	off_t r = stat(p, &st) == 0 ? st.st_size : -1;

	free(p);
	return r;
}

static size_t poll_all(struct agent_adm *a, struct sink *s)
{
	struct agent_net_hooks h = { NULL, s_event, s_warn, s, s_sync };
	struct bh_error *err = NULL;
	size_t n = 0, all = 0;

	do {
		assert_int_equal(agent_adm_poll(a, &h, &n, &err), 0);
		all += n;
	} while (n);
	return all;
}

static void deny_becomes_an_event_and_the_cursor_survives_a_restart(void **state)
{
	char *root = tmpdir(), *sd = tmpdir();
	struct sink s = { json_array(), 0, 0, 0 };
	struct agent_adm a;
	struct bh_error *err = NULL;
	json_t *ev;

	(void)state;
	assert_int_equal(agent_adm_open(&a, (const char *const *)&root, 1, sd, &err), 0);
	assert_int_equal(poll_all(&a, &s), 0); /* no log yet */
	append(root, "deny", "c1", 0);
	append(root, "allow", "c2", 0);
	assert_int_equal(poll_all(&a, &s), 2);
	assert_int_equal(s.syncs, 1);
	ev = json_array_get(s.events, 0);
	assert_string_equal(bh_json_str(ev, "kind"), "admission");
	assert_string_equal(bh_json_str(ev, "severity"), "DENY");
	assert_string_equal(bh_json_str(ev, "rule"), "no-privileged");
	assert_string_equal(bh_json_str(ev, "workload"), "c1");
	assert_string_equal(bh_json_str(bh_json_obj(ev, "data"), "decision"), "deny");
	assert_string_equal(bh_json_str(bh_json_obj(ev, "data"), "image"),
			    "registry.example/app:1");
	ev = json_array_get(s.events, 1);
	assert_string_equal(bh_json_str(ev, "severity"), "WARN");
	agent_adm_close(&a);

	/* a restart: nothing twice, the next one only */
	append(root, "error", "c3", 0);
	assert_int_equal(agent_adm_open(&a, (const char *const *)&root, 1, sd, &err), 0);
	assert_int_equal(poll_all(&a, &s), 1);
	ev = json_array_get(s.events, 2);
	assert_string_equal(bh_json_str(ev, "workload"), "c3");
	assert_string_equal(bh_json_str(ev, "severity"), "DENY");
	agent_adm_close(&a);
	json_decref(s.events);
	rmrf(root);
	rmrf(sd);
	free(root);
	free(sd);
}

static void rotation_is_bounded_and_a_reader_keeps_up_across_it(void **state)
{
	char *root = tmpdir(), *sd = tmpdir();
	struct sink s = { json_array(), 0, 0, 0 };
	struct agent_adm a;
	struct bh_error *err = NULL;
	uint64_t cap = 4096;
	char id[32];

	(void)state;
	assert_int_equal(agent_adm_open(&a, (const char *const *)&root, 1, sd, &err), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "a%d", i);
		append(root, "deny", id, cap);
	}
	assert_int_equal(poll_all(&a, &s), 10);
	/* the reader is in the log; the next appends rotate it under the cursor */
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "b%d", i);
		append(root, "deny", id, cap);
		assert_true(size_of(root, BH_RT_ADMIT_LOG) <= (off_t)cap);
		/* once a rotation is pending, the reader takes what is left */
		if (i == 12)
			assert_int_equal(poll_all(&a, &s), 13);
	}
	assert_true(size_of(root, BH_RT_ADMIT_LOG ".1") > 0);
	assert_true(size_of(root, BH_RT_ADMIT_LOG ".1") <= (off_t)cap);
	assert_int_equal(poll_all(&a, &s), 27);
	/* every one once, in order */
	for (size_t i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), i < 10 ? "a%zu" : "b%zu", i < 10 ? i : i - 10);
		assert_string_equal(bh_json_str(json_array_get(s.events, i), "workload"), id);
	}
	agent_adm_close(&a);
	json_decref(s.events);
	rmrf(root);
	rmrf(sd);
	free(root);
	free(sd);
}

static size_t lines_of(const char *root, const char *name)
{
	char *p = bh_asprintf("%s/%s", root, name);
	struct bh_buf b = BH_BUF_INIT(1u << 20);
	size_t n = 0;

	assert_int_equal(bh_read_file(p, &b, NULL), 0);
	for (size_t i = 0; i < b.len; i++)
		n += b.data[i] == '\n';
	bh_buf_release(&b);
	free(p);
	return n;
}

static size_t count_prefix(const json_t *events, const char *prefix)
{
	size_t i, n = 0;
	json_t *ev;

	json_array_foreach (events, i, ev)
		n += !strncmp(bh_json_str(ev, "workload"), prefix, strlen(prefix));
	return n;
}

/* fixctl19: up to 8 roots, a cursor each (the single-root cursor taken over
 * by its root), each decision once across a restart; a log rotated twice
 * under its cursor counts and says its loss, naming the directory */
static void several_roots_and_the_loss_to_rotation(void **state)
{
	char *rt = tmpdir(), *wh = tmpdir(), *sd = tmpdir();
	const char *roots[2] = { rt, wh };
	const char *nine[9] = { "a", "b", "c", "d", "e", "f", "g", "h", "i" };
	const char *twice[2] = { rt, rt };
	struct sink s = { json_array(), 0, 0, 0 };
	struct agent_adm a;
	struct bh_error *err = NULL;
	char id[32], *legacy;
	size_t lost, got;

	(void)state;
	assert_int_equal(agent_adm_open(&a, nine, 9, sd, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "at most 8");
	bh_error_clear(&err);
	assert_int_equal(agent_adm_open(&a, twice, 2, sd, &err), -1);
	assert_error(err, BH_ERR_USAGE, "given twice");
	bh_error_clear(&err);

	/* the single-root agent's cursor, after rt's first two decisions */
	append(rt, "deny", "rt0", 0);
	append(rt, "deny", "rt1", 0);
	assert_int_equal(agent_adm_open(&a, roots, 1, sd, &err), 0);
	assert_int_equal(poll_all(&a, &s), 2);
	agent_adm_close(&a);
	legacy = bh_asprintf("%s/admission.cursor", sd);
	{
		/* renamed as the single-root agent named it */
		uint64_t h =
			bh_siphash13(rt, strlen(rt), 0x62756c6b68656164ull, 0x61646d726f6f7473ull);
		char *mine = bh_asprintf("%s/admission-%016llx.cursor", sd, (unsigned long long)h);

		assert_int_equal(rename(mine, legacy), 0);
		free(mine);
	}
	/* two roots: the webhook's (given first) is not the old cursor's */
	roots[0] = wh;
	roots[1] = rt;
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "wh%d", i);
		append(wh, "deny", id, 0);
	}
	append(rt, "deny", "rt2", 0);
	assert_int_equal(agent_adm_open(&a, roots, 2, sd, &err), 0);
	assert_int_equal(poll_all(&a, &s), 4);
	agent_adm_close(&a);
	/* a restart: each once */
	append(rt, "allow", "rt3", 0);
	append(wh, "allow", "wh3", 0);
	assert_int_equal(agent_adm_open(&a, roots, 2, sd, &err), 0);
	assert_int_equal(poll_all(&a, &s), 2);
	assert_int_equal(count_prefix(s.events, "rt"), 4);
	assert_int_equal(count_prefix(s.events, "wh"), 4);
	assert_int_equal(a.lost, 0);
	assert_int_equal(s.lost_warns, 0);

	/* a flood rotates the webhook's log twice between two reads: its loss
	 * counted (at least .1's lines), said; the runtime's log untouched */
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "fl%d", i);
		append(wh, "deny", id, 4096);
	}
	append(rt, "deny", "rt4", 0);
	lost = lines_of(wh, BH_RT_ADMIT_LOG ".1");
	got = lines_of(wh, BH_RT_ADMIT_LOG);
	assert_true(lost > 0);
	assert_true(lost + got < 100); /* the first file's lines are gone uncounted */
	assert_int_equal(poll_all(&a, &s), got + 1);
	assert_int_equal(a.lost, lost);
	assert_int_equal(s.lost_warns, 1);
	assert_int_equal(count_prefix(s.events, "rt"), 5);
	assert_int_equal(count_prefix(s.events, "fl"), got);
	/* said once a loss */
	assert_int_equal(poll_all(&a, &s), 0);
	assert_int_equal(s.lost_warns, 1);
	agent_adm_close(&a);
	json_decref(s.events);
	free(legacy);
	rmrf(rt);
	rmrf(wh);
	rmrf(sd);
	free(rt);
	free(wh);
	free(sd);
}

static void torn_and_hostile_lines(void **state)
{
	char *root = tmpdir(), *sd = tmpdir();
	struct sink s = { json_array(), 0, 0, 0 };
	struct agent_adm a;
	struct bh_error *err = NULL;
	char *big = malloc(3 * BH_RT_ADMIT_LINE_MAX);
	const char *half = "{\"ts\":1700000000,\"decision\":\"deny\",\"id\":\"torn\"";
	json_t *ev, *d;

	(void)state;
	assert_int_equal(agent_adm_open(&a, (const char *const *)&root, 1, sd, &err), 0);
	/* a torn last line waits for its newline */
	raw_append(root, half, strlen(half));
	assert_int_equal(poll_all(&a, &s), 0);
	raw_append(root, ",\"rules\":[]}\n", 13);
	assert_int_equal(poll_all(&a, &s), 1);
	assert_string_equal(bh_json_str(json_array_get(s.events, 0), "rule"), "policy-deny");
	/* hostile: not JSON, an array, a NUL, wrong types, a line over the limit,
	 * extra members and a huge rule name; then a good one */
	raw_append(root, "not json\n[1,2]\n{\"a\":\"\0\"}\n", 26);
	raw_append(root, "{\"ts\":\"x\",\"decision\":\"deny\",\"id\":\"t\"}\n", 38);
	raw_append(root, "{\"ts\":1,\"decision\":\"maybe\",\"id\":\"t\"}\n", 37);
	memset(big, 'x', 3 * BH_RT_ADMIT_LINE_MAX);
	big[3 * BH_RT_ADMIT_LINE_MAX - 1] = '\n';
	raw_append(root, big, 3 * BH_RT_ADMIT_LINE_MAX);
	{
		char *rule = calloc(1, 1001);
		char *line;

		memset(rule, 'r', 1000);
		line = bh_asprintf(
			"{\"ts\":1700000001,\"decision\":\"deny\",\"id\":\"evil\",\"inject\":"
			"{\"kind\":\"alert\"},\"name\":7,\"rules\":[{\"rule\":\"%s\","
			"\"action\":\"enforce\",\"x\":1},5]}\n",
			rule);
		raw_append(root, line, strlen(line));
		free(line);
		free(rule);
	}
	append(root, "deny", "after", 0);
	assert_int_equal(poll_all(&a, &s), 2);
	assert_true(a.bad >= 6);
	ev = json_array_get(s.events, 1);
	d = bh_json_obj(ev, "data");
	assert_string_equal(bh_json_str(ev, "kind"), "admission");
	assert_string_equal(bh_json_str(ev, "workload"), "evil"); /* name 7: not a name */
	assert_int_equal(strlen(bh_json_str(ev, "rule")), 128);
	assert_null(json_object_get(ev, "inject"));
	assert_null(json_object_get(d, "inject"));
	assert_int_equal(json_array_size(bh_json_arr(d, "rules")), 1);
	assert_null(json_object_get(json_array_get(bh_json_arr(d, "rules"), 0), "x"));
	assert_string_equal(bh_json_str(json_array_get(s.events, 2), "workload"), "after");
	agent_adm_close(&a);
	free(big);
	json_decref(s.events);
	rmrf(root);
	rmrf(sd);
	free(root);
	free(sd);
}

static void a_failed_append_to_the_spool_is_read_again(void **state)
{
	char *root = tmpdir(), *sd = tmpdir();
	struct sink s = { json_array(), 0, 2, 0 };
	struct agent_net_hooks h = { NULL, s_event, s_warn, &s, s_sync };
	struct agent_adm a;
	struct bh_error *err = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(agent_adm_open(&a, (const char *const *)&root, 1, sd, &err), 0);
	for (int i = 0; i < 4; i++)
		append(root, "deny", "x", 0);
	assert_int_equal(agent_adm_poll(&a, &h, &n, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(n, 2);
	assert_int_equal(s.syncs, 1); /* the two taken are synced */
	s.fail_after = 0;
	assert_int_equal(poll_all(&a, &s), 2);
	assert_int_equal(json_array_size(s.events), 4);
	agent_adm_close(&a);
	json_decref(s.events);
	rmrf(root);
	rmrf(sd);
	free(root);
	free(sd);
}

static void an_entry_is_cut_to_the_line_limit(void **state)
{
	char *root = tmpdir();
	struct bh_policy_result res = { 0 };
	struct bh_policy_hit hits[20];
	char *longs = calloc(1, 5000);
	json_t *e;
	struct bh_error *err = NULL;

	(void)state;
	memset(longs, 'm', 4999);
	for (int i = 0; i < 20; i++)
		hits[i] = (struct bh_policy_hit){ .rule = longs,
						  .action = BH_ACT_ENFORCE,
						  .section = "4.4.3",
						  .message = longs };
	res.v = hits;
	res.n = 20;
	res.denied = true;
	e = rt_admit_entry(longs, NULL, &res, longs, longs, NULL);
	assert_non_null(e);
	assert_int_equal(bh_rt_admit_log_append(root, e, 0, &err), 0);
	assert_true(size_of(root, BH_RT_ADMIT_LOG) < BH_RT_ADMIT_LINE_MAX);
	assert_string_equal(bh_json_str(e, "decision"), "deny");
	json_decref(e);
	free(longs);
	rmrf(root);
	free(root);
}

static int collect(void *data, const json_t *entry, struct bh_error **err)
{
	(void)err;
	json_array_append((json_t *)data, (json_t *)entry);
	return 0;
}

/* the one entry of the log at root (its line under the limit) */
static json_t *only_entry(const char *root)
{
	struct bh_rt_admit_cursor cur = { 0 };
	json_t *all = json_array(), *e;
	uint64_t bad = 0;
	struct bh_error *err = NULL;

	assert_true(size_of(root, BH_RT_ADMIT_LOG) <= BH_RT_ADMIT_LINE_MAX);
	assert_int_equal(bh_rt_admit_log_read(root, &cur, 0, collect, all, &bad, &err), 1);
	assert_int_equal(bad, 0);
	e = json_incref(json_array_get(all, 0));
	json_decref(all);
	return e;
}

/* review fix17: control characters (6x once escaped) at every cut, and bytes
 * that are not UTF-8: a line is always written and the decision kept */
static void escapes_and_bad_utf8_never_lose_the_decision(void **state)
{
	struct bh_policy_hit hits[20];
	char *ctl = calloc(1, 5000);
	struct bh_error *failed = NULL;

	(void)state;
	memset(ctl, '\x01', 4999);
	bh_error_set(&failed, BH_ERR_INVALID, "%s", ctl);
	for (int i = 0; i < 20; i++)
		hits[i] = (struct bh_policy_hit){
			.rule = ctl, .action = BH_ACT_ENFORCE, .section = ctl, .message = ctl
		};
	for (int c = 0; c < 4; c++) {
		/* 0: only the messages too long; 1: everything; 2: an error; 3: few rules */
		char *root = tmpdir();
		struct bh_policy_result res = { .v = hits, .n = c == 3 ? 1 : 20, .denied = true };
		json_t *cfg = json_pack("{s{ss}}", "annotations",
					"io.kubernetes.cri.container-name", c ? ctl : "web"),
		       *e, *got;
		struct bh_error *err = NULL;

		e = rt_admit_entry(c ? ctl : "abc", cfg, &res, c ? ctl : "img:1", c ? ctl : NULL,
				   c == 2 ? failed : NULL);
		assert_non_null(e);
		assert_int_equal(bh_rt_admit_log_append(root, e, 0, &err), 0);
		got = only_entry(root);
		assert_string_equal(bh_json_str(got, "decision"), c == 2 ? "error" : "deny");
		assert_true(json_is_true(json_object_get(got, "truncated")));
		assert_non_null(bh_json_str(got, "id"));
		if (c == 0) {
			/* the messages went, the rest is whole */
			assert_string_equal(bh_json_str(got, "name"), "web");
			assert_string_equal(bh_json_str(got, "image"), "img:1");
			assert_int_equal(json_array_size(json_object_get(got, "rules")), 8);
		}
		json_decref(got);
		json_decref(e);
		json_decref(cfg);
		rmrf(root);
		free(root);
	}
	{
		/* not UTF-8: replaced, the field kept */
		char *root = tmpdir();
		struct bh_policy_result res = { 0 };
		json_t *e, *got;
		struct bh_error *err = NULL;

		e = rt_admit_entry("id1", NULL, &res, "bad\xff\xc3(img\xe2\x82", NULL, NULL);
		assert_int_equal(bh_rt_admit_log_append(root, e, 0, &err), 0);
		got = only_entry(root);
		assert_string_equal(bh_json_str(got, "decision"), "allow");
		assert_string_equal(bh_json_str(got, "image"),
				    "bad\xef\xbf\xbd\xef\xbf\xbd(img\xef\xbf\xbd\xef\xbf\xbd");
		assert_null(json_object_get(got, "truncated"));
		json_decref(got);
		json_decref(e);
		rmrf(root);
		free(root);
	}
	bh_error_free(failed);
	free(ctl);
}

/* webhook19: the admission webhook's entries (source webhook) become events
 * with the request, namespace/name as the workload, a dry run INFO; members
 * of the wrong type or unknown values are dropped; an entry too long keeps
 * its source */
static void webhook_entries_become_webhook_events(void **state)
{
	char *root = tmpdir();
	json_t *e, *ev, *d, *r;
	char *s, *big;
	struct bh_error *err = NULL;

	(void)state;
	e = json_pack("{sI"
		      "ssssssssssssss"
		      "sbsss[{ssssss}]}",
		      "ts", (json_int_t)1700000000, "decision", "deny", "source", "webhook", "id",
		      "uid-1", "kind", "Pod", "namespace", "prod", "name", "web", "operation",
		      "CREATE", "dry_run", 0, "message", "violates PodSecurity", "rules", "rule",
		      "pod-security", "action", "enforce", "message", "runAsNonRoot != true");
	s = agent_adm_event(e);
	assert_non_null(s);
	ev = json_loads(s, 0, NULL);
	free(s);
	d = json_object_get(ev, "data");
	r = json_object_get(d, "request");
	assert_string_equal(bh_json_str(ev, "rule"), "pod-security");
	assert_string_equal(bh_json_str(ev, "severity"), "DENY");
	assert_string_equal(bh_json_str(ev, "workload"), "prod/web");
	assert_string_equal(bh_json_str(d, "source"), "webhook");
	assert_string_equal(bh_json_str(d, "message"), "violates PodSecurity");
	assert_null(json_object_get(d, "container"));
	assert_string_equal(bh_json_str(r, "uid"), "uid-1");
	assert_string_equal(bh_json_str(r, "kind"), "Pod");
	assert_string_equal(bh_json_str(r, "operation"), "CREATE");
	assert_true(json_is_false(json_object_get(r, "dry_run")));
	json_decref(ev);

	/* a dry run: INFO; an unknown operation and a non-string name dropped,
	 * the workload the uid */
	json_object_set_new(e, "dry_run", json_true());
	json_object_set_new(e, "operation", json_string("EXPLODE"));
	json_object_set_new(e, "name", json_integer(7));
	s = agent_adm_event(e);
	assert_non_null(s);
	ev = json_loads(s, 0, NULL);
	free(s);
	r = json_object_get(json_object_get(ev, "data"), "request");
	assert_string_equal(bh_json_str(ev, "severity"), "INFO");
	assert_string_equal(bh_json_str(ev, "workload"), "uid-1");
	assert_null(json_object_get(r, "operation"));
	assert_null(json_object_get(r, "name"));
	assert_true(json_is_true(json_object_get(r, "dry_run")));
	json_decref(ev);

	/* an error the webhook allowed (failure policy ignore) admitted the
	 * object: WARN, policy-error-admitted; refused (fail): DENY */
	json_object_set_new(e, "dry_run", json_false());
	json_object_set_new(e, "decision", json_string("error"));
	json_object_set_new(e, "rules", json_array());
	json_object_set_new(e, "allowed", json_true());
	s = agent_adm_event(e);
	ev = json_loads(s, 0, NULL);
	free(s);
	assert_string_equal(bh_json_str(ev, "severity"), "WARN");
	assert_string_equal(bh_json_str(ev, "rule"), "policy-error-admitted");
	assert_true(json_is_true(json_object_get(json_object_get(ev, "data"), "allowed")));
	json_decref(ev);
	json_object_set_new(e, "allowed", json_false());
	s = agent_adm_event(e);
	ev = json_loads(s, 0, NULL);
	free(s);
	assert_string_equal(bh_json_str(ev, "severity"), "DENY");
	assert_string_equal(bh_json_str(ev, "rule"), "policy-error");
	assert_true(json_is_false(json_object_get(json_object_get(ev, "data"), "allowed")));
	json_decref(ev);
	json_object_del(e, "allowed"); /* an older webhook's line: refused */
	s = agent_adm_event(e);
	ev = json_loads(s, 0, NULL);
	free(s);
	assert_string_equal(bh_json_str(ev, "severity"), "DENY");
	json_decref(ev);
	/* the runtime refuses an error whatever the line says */
	json_object_set_new(e, "allowed", json_true());
	json_object_set_new(e, "source", json_string("runtime"));
	s = agent_adm_event(e);
	ev = json_loads(s, 0, NULL);
	free(s);
	assert_string_equal(bh_json_str(ev, "severity"), "DENY");
	json_decref(ev);
	json_object_del(e, "allowed");
	json_object_set_new(e, "decision", json_string("deny"));

	/* any other source is the runtime's */
	json_object_set_new(e, "source", json_string("elsewhere"));
	s = agent_adm_event(e);
	ev = json_loads(s, 0, NULL);
	free(s);
	assert_string_equal(bh_json_str(json_object_get(ev, "data"), "source"), "runtime");
	assert_null(json_object_get(json_object_get(ev, "data"), "request"));
	json_decref(ev);

	/* too long to shrink (kind is not cut): the last resort keeps the source */
	json_object_set_new(e, "source", json_string("webhook"));
	big = bh_calloc(1, BH_RT_ADMIT_LINE_MAX + 1);
	memset(big, 'k', BH_RT_ADMIT_LINE_MAX);
	json_object_set_new(e, "kind", json_string(big));
	free(big);
	assert_int_equal(bh_rt_admit_log_append(root, e, 0, &err), 0);
	{
		struct agent_adm a;
		struct sink sk = { json_array(), 0, 0, 0 };
		char *sd = tmpdir();

		assert_int_equal(agent_adm_open(&a, (const char *const *)&root, 1, sd, &err), 0);
		assert_int_equal(poll_all(&a, &sk), 1);
		d = json_object_get(json_array_get(sk.events, 0), "data");
		assert_string_equal(bh_json_str(d, "source"), "webhook");
		assert_string_equal(bh_json_str(d, "decision"), "deny");
		agent_adm_close(&a);
		json_decref(sk.events);
		rmrf(sd);
		free(sd);
	}
	json_decref(e);
	rmrf(root);
	free(root);
}

/* declog19: the batch append */
static json_t *entry_of(const char *id, size_t image_len)
{
	char *img = malloc(image_len + 1);
	json_t *e;

	assert_non_null(img);
	memset(img, 'a', image_len);
	img[image_len] = 0;
	e = json_pack("{sIsssssss[]}", "ts", (json_int_t)1700000000, "decision", "deny", "id", id,
		      "image", img, "rules");
	free(img);
	assert_non_null(e);
	return e;
}

static int collect_id(void *data, const json_t *e, struct bh_error **err)
{
	struct bh_buf *b = data;

	(void)err;
	return bh_buf_addf(b, NULL, "%s ", bh_json_str(e, "id"));
}

static char *file_of(const char *root, const char *name)
{
	char *p = bh_asprintf("%s/%s", root, name);
	struct bh_buf b = BH_BUF_INIT(1u << 24);
	char *s;

	assert_int_equal(bh_read_file(p, &b, NULL), 0);
	assert_int_equal(bh_buf_addc(&b, 0, NULL), 0);
	s = bh_buf_detach(&b, NULL);
	bh_buf_release(&b);
	free(p);
	return s;
}

/*
 * A batch is the same bytes as its entries appended one by one: the log
 * rotated where a line would take it past the cap (in the middle of the
 * batch), a torn last line ended first, an entry too long shrunk; a reader
 * whose cursor was in the old log reads the rest of .1, then the new log.
 */
static void a_batch_is_its_lines_appended_one_by_one(void **state)
{
	char *one = tmpdir(), *bat = tmpdir(), *a, *b;
	json_t *v[6];
	const char *ids[] = { "b1", "b2", "b3", "b4", "b5", "big" };
	struct bh_rt_admit_cursor cur = { 0 };
	struct bh_buf got = BH_BUF_INIT(1u << 16);
	struct bh_error *err = NULL;
	uint64_t bad = 0, cap;
	size_t line, written = 99;

	(void)state;
	for (size_t i = 0; i < 6; i++)
		v[i] = entry_of(ids[i], i == 5 ? 2 * BH_RT_ADMIT_LINE_MAX + 400 : 2000);
	/* each line of b1..b5 is the same length: the cap holds 5 of them */
	a = json_dumps(v[0], JSON_COMPACT);
	line = strlen(a) + 1;
	free(a);
	cap = 5 * line;
	for (int k = 0; k < 2; k++) {
		const char *root = k ? bat : one;
		json_t *e = entry_of("a1", 2000);

		/* a line before, then a torn one */
		assert_int_equal(bh_rt_admit_log_append(root, e, cap, NULL), 0);
		raw_append(root, "{\"ts\":17", 8);
		json_decref(e);
	}
	/* the reader took a1 */
	assert_int_equal(bh_rt_admit_log_read(bat, &cur, 0, collect_id, &got, &bad, &err), 1);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(bh_rt_admit_log_append(one, v[i], cap, NULL), 0);
	assert_int_equal(
		bh_rt_admit_log_append_batch(bat, (const json_t *const *)v, 6, cap, &written, &err),
		0);
	assert_null(err);
	assert_int_equal(written, 6);
	a = file_of(one, BH_RT_ADMIT_LOG);
	b = file_of(bat, BH_RT_ADMIT_LOG);
	assert_string_equal(a, b);
	assert_non_null(strstr(b, "\"truncated\":true")); /* big, shrunk, in the new log */
	free(a);
	free(b);
	a = file_of(one, BH_RT_ADMIT_LOG ".1");
	b = file_of(bat, BH_RT_ADMIT_LOG ".1");
	assert_string_equal(a, b);
	assert_int_equal(strlen(b) <= cap, 1);
	free(a);
	free(b);
	/* .1: a1, the torn line ended, b1..b3; the log: b4, b5, big (shrunk) */
	bh_buf_reset(&got);
	for (int n; (n = bh_rt_admit_log_read(bat, &cur, 0, collect_id, &got, &bad, &err)) > 0;)
		;
	assert_null(err);
	assert_int_equal(bh_buf_addc(&got, 0, NULL), 0);
	assert_string_equal(got.data, "b1 b2 b3 b4 b5 big ");
	assert_int_equal(bad, 1); /* the torn line */
	/* nothing to write: nothing written, no log touched */
	assert_int_equal(bh_rt_admit_log_append_batch(bat, NULL, 0, cap, &written, NULL), 0);
	assert_int_equal(written, 0);
	for (size_t i = 0; i < 6; i++)
		json_decref(v[i]);
	bh_buf_release(&got);
	rmrf(one);
	rmrf(bat);
	free(one);
	free(bat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deny_becomes_an_event_and_the_cursor_survives_a_restart),
		cmocka_unit_test(rotation_is_bounded_and_a_reader_keeps_up_across_it),
		cmocka_unit_test(torn_and_hostile_lines),
		cmocka_unit_test(a_failed_append_to_the_spool_is_read_again),
		cmocka_unit_test(an_entry_is_cut_to_the_line_limit),
		cmocka_unit_test(escapes_and_bad_utf8_never_lose_the_decision),
		cmocka_unit_test(webhook_entries_become_webhook_events),
		cmocka_unit_test(a_batch_is_its_lines_appended_one_by_one),
		cmocka_unit_test(several_roots_and_the_loss_to_rotation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
