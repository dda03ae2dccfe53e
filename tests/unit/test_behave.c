/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Behaviour profiles: learning each kind, the collapse of files and peers
 * past their thresholds, the verdict of each kind in monitor and protect,
 * zero drift, the bounds (overflow, profiles in memory), keys, promotion,
 * export/import and its refusals, and the migration of a schema 3 store
 * (syscall profiles kept).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/behave.h"

#define DIGEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static char *tmpdir;
static char *store;

static int setup(void **state)
{
	(void)state;
	tmpdir = unit_mktmp();
	store = bh_asprintf("%s/p.sqlite", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unit_rmtmp(tmpdir);
	free(store);
	return 0;
}

static void ev_base(struct bh_mon_event *ev, enum bh_mon_type t)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = t;
	ev->ts_ns = 1700000000000000000ull;
	ev->file.fd = -1;
	snprintf(ev->container.id, sizeof(ev->container.id), "c1");
	snprintf(ev->container.image_digest, sizeof(ev->container.image_digest), DIGEST);
}

static void ev_exec(struct bh_mon_event *ev, const char *exe, const char *parent)
{
	ev_base(ev, BH_MON_EXECVE);
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "%s", exe);
	if (parent) {
		ev->proc.nancestors = 1;
		snprintf(ev->proc.ancestors[0].exe, sizeof(ev->proc.ancestors[0].exe), "%s",
			 parent);
	}
}

static void ev_write(struct bh_mon_event *ev, const char *path)
{
	ev_base(ev, BH_MON_OPENAT);
	ev->res = 3;
	ev->file.flags = O_WRONLY | O_CREAT;
	snprintf(ev->file.path, sizeof(ev->file.path), "%s", path);
}

static void ev_net(struct bh_mon_event *ev, enum bh_mon_type t, const char *addr, uint16_t port)
{
	ev_base(ev, t);
	ev->net.proto = 6;
	ev->net.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (t == BH_MON_CONNECT) {
		inet_pton(ev->net.family, addr, ev->net.raddr);
		ev->net.rport = port;
	} else {
		inet_pton(ev->net.family, addr, ev->net.laddr);
		ev->net.lport = port;
		ev->net.rport = 40000;
	}
}

static struct bh_behave *open_b(const struct bh_behave_opts *extra)
{
	struct bh_behave_opts o = { 0 };
	struct bh_behave *b = NULL;
	struct bh_error *err = NULL;

	if (extra)
		o = *extra;
	o.store = store;
	if (bh_behave_open(&o, &b, &err) < 0)
		fail_msg("open: %s", bh_error_message(err));
	return b;
}

static enum bh_behave_result see(struct bh_behave *b, const struct bh_mon_event *ev,
				 struct bh_behave_verdict *v)
{
	struct bh_error *err = NULL;

	if (bh_behave_observe(b, ev, v, &err) < 0)
		fail_msg("observe: %s", bh_error_message(err));
	return v->result;
}

static void learns_and_judges_each_kind(void **state)
{
	struct bh_behave *b = open_b(NULL);
	struct bh_behave_verdict v;
	struct bh_mon_event ev;

	(void)state;
	ev_exec(&ev, "/usr/sbin/nginx", "/bin/sh");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_string_equal(v.key, DIGEST);
	assert_int_equal(v.kind, BH_BEHAVE_PROCESS);
	assert_int_equal(v.mode, BH_PROF_DISCOVER);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	ev_write(&ev, "/var/log/nginx/access.log");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_string_equal(v.value, "/var/log/nginx/");
	ev_write(&ev, "/var/log/nginx/error.log"); /* the same directory */
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	ev_net(&ev, BH_MON_LISTEN, "0.0.0.0", 80);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_string_equal(v.value, "tcp/80");
	ev_net(&ev, BH_MON_ACCEPT, "10.0.0.2", 80);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	ev_net(&ev, BH_MON_CONNECT, "10.1.2.3", 5432);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_string_equal(v.value, "tcp 10.1.2.3:5432");
	/* a failed connect is not learned */
	ev_net(&ev, BH_MON_CONNECT, "10.9.9.9", 5432);
	ev.res = -111;
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_IGNORED);
	/* reads are not profiled; host processes have no key */
	ev_base(&ev, BH_MON_OPENAT);
	snprintf(ev.file.path, sizeof(ev.file.path), "/etc/passwd");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_IGNORED);
	ev_exec(&ev, "/bin/ls", "/bin/sh");
	ev.container.id[0] = 0;
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_IGNORED);
	assert_int_equal(bh_behave_set_mode(b, DIGEST, BH_PROF_MONITOR, -1, NULL), 0);
	assert_int_equal(bh_behave_flush(b, NULL), 0); /* the mode is read again */

	ev_exec(&ev, "/usr/sbin/nginx", "/bin/sh");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	assert_int_equal(v.mode, BH_PROF_MONITOR);
	ev_exec(&ev, "/usr/sbin/nginx", "/usr/sbin/nginx"); /* a new parent */
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_int_equal(v.kind, BH_BEHAVE_PROCESS);
	assert_string_equal(v.value, "/usr/sbin/nginx <- /usr/sbin/nginx");
	assert_false(v.block);
	ev_write(&ev, "/usr/bin/x");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_int_equal(v.kind, BH_BEHAVE_FILE);
	assert_string_equal(v.value, "/usr/bin/");
	ev_write(&ev, "/var/log/nginx/sub/x"); /* a subdirectory is another directory */
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	ev_net(&ev, BH_MON_LISTEN, "0.0.0.0", 4444);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_int_equal(v.kind, BH_BEHAVE_LISTEN);
	ev_net(&ev, BH_MON_ACCEPT, "10.0.0.2", 22);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_int_equal(v.kind, BH_BEHAVE_INBOUND);
	ev_net(&ev, BH_MON_CONNECT, "10.1.2.3", 5432);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	ev_net(&ev, BH_MON_CONNECT, "10.1.2.3", 6379); /* another port */
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	ev_net(&ev, BH_MON_CONNECT, "2001:db8::1", 443);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_string_equal(v.value, "tcp [2001:db8::1]:443");
	/* nothing outside is learned in monitor */
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);

	/* protect: outside is blocked */
	assert_int_equal(bh_behave_set_mode(b, DIGEST, BH_PROF_PROTECT, -1, NULL), 0);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	ev_exec(&ev, "/usr/bin/curl", "/usr/sbin/nginx");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_true(v.block);
	assert_int_equal(v.mode, BH_PROF_PROTECT);
	ev_exec(&ev, "/usr/sbin/nginx", "/bin/sh");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	assert_false(v.block);
	bh_behave_close(b);

	/* what was learned is in the store: a new handle sees it */
	b = open_b(NULL);
	ev_net(&ev, BH_MON_LISTEN, "::", 80);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	assert_int_equal(v.mode, BH_PROF_PROTECT);
	assert_int_equal(bh_behave_delete(b, DIGEST, NULL), 0);
	assert_int_equal(bh_behave_delete(b, DIGEST, NULL), -1);
	bh_behave_close(b);
}

/* A mode set through another handle (the command line) is read back by
 * bh_behave_reload as soon as the store changed, without a flush. */
static void reload_sees_a_mode_set_elsewhere(void **state)
{
	struct bh_behave *b = open_b(NULL), *cli = open_b(NULL);
	struct bh_behave_verdict v;
	struct bh_mon_event ev;

	(void)state;
	ev_exec(&ev, "/usr/sbin/nginx", "/bin/sh");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	assert_int_equal(bh_behave_reload(b, NULL), 1); /* the first call reads */
	assert_int_equal(bh_behave_reload(b, NULL), 0); /* nothing changed since */
	assert_int_equal(bh_behave_set_mode(cli, DIGEST, BH_PROF_MONITOR, -1, NULL), 0);
	ev_exec(&ev, "/bin/sh", "/usr/sbin/nginx");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED); /* not read yet */
	assert_int_equal(bh_behave_reload(b, NULL), 1);
	ev_exec(&ev, "/usr/bin/nc", "/usr/sbin/nginx");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_int_equal(v.mode, BH_PROF_MONITOR);
	assert_int_equal(bh_behave_reload(b, NULL), 0);
	bh_behave_close(cli);
	bh_behave_close(b);
}

/* The runtime's setup in the container's cgroup (bulkhead's init opening its exec fifo
 * under /run/bulkhead/ID/) is not the workload's; the entrypoint's parent is "(runtime)"
 * whichever runtime binary it was. */
static void runtime_setup_is_not_the_workload(void **state)
{
	struct bh_behave *b = open_b(NULL);
	struct bh_behave_verdict v;
	struct bh_mon_event ev;

	(void)state;
	ev_write(&ev, "/run/bulkhead/c1/exec.fifo");
	snprintf(ev.proc.exe, sizeof(ev.proc.exe), "/memfd:bulkhead (deleted)");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_IGNORED);
	/* its exe read after it exec'd the entrypoint: its name is the event's */
	snprintf(ev.proc.exe, sizeof(ev.proc.exe), "/usr/bin/dash");
	snprintf(ev.proc.comm, sizeof(ev.proc.comm), "memfd:bulkhead");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_IGNORED);
	ev_write(&ev, "/run/runc/c1/exec.fifo");
	snprintf(ev.proc.exe, sizeof(ev.proc.exe), "/usr/sbin/runc");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_IGNORED);
	/* the workload's own write is learned */
	ev_write(&ev, "/var/lib/app/data");
	snprintf(ev.proc.exe, sizeof(ev.proc.exe), "/usr/bin/app");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);

	ev_exec(&ev, "/bin/sh", "/usr/local/bin/bulkhead");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	ev_exec(&ev, "/bin/sh", "/memfd:bulkhead (deleted)");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	ev_exec(&ev, "/bin/sh", "/usr/sbin/runc");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	ev_exec(&ev, "/bin/sh", "/usr/bin/app");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	/* a binary that calls itself runc still makes its exec item */
	ev_exec(&ev, "/tmp/runc", "/bin/sh");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_int_equal(v.kind, BH_BEHAVE_PROCESS);
	bh_behave_close(b);
}

static void zero_drift(void **state)
{
	struct bh_behave *b = open_b(NULL);
	struct bh_behave_verdict v;
	struct bh_mon_event ev;

	(void)state;
	ev_exec(&ev, "/bin/app", NULL);
	ev.proc.exe_upper_layer = true;
	/* in discover, drift is learned as any process */
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_int_equal(bh_behave_set_mode(b, DIGEST, BH_PROF_MONITOR, -1, NULL), 0);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	/* off: a learned executable is known even if written after the start */
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	assert_int_equal(bh_behave_set_mode(b, DIGEST, BH_PROF_PROTECT, 1, NULL), 0);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_int_equal(v.kind, BH_BEHAVE_DRIFT);
	assert_true(v.block);
	assert_non_null(strstr(v.value, "not from the image"));
	ev.proc.exe_upper_layer = false;
	ev.proc.exe_from_memfd = true;
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_non_null(strstr(v.value, "run from memory"));
	ev.proc.exe_from_memfd = false;
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	/* set-mode without --zero-drift keeps it */
	assert_int_equal(bh_behave_set_mode(b, DIGEST, BH_PROF_MONITOR, -1, NULL), 0);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	ev.proc.exe_upper_layer = true;
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_false(v.block);
	/* a path that is not UTF-8 (the kernel's) still makes a verdict in JSON */
	ev_exec(&ev, "/bin/\xff", NULL);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	{
		json_t *j = bh_behave_verdict_json(&v, &ev);
		char *s = json_dumps(j, 0);

		assert_non_null(s);
		assert_non_null(strstr(s, "\"exe\": \"/bin/?\""));
		free(s);
		json_decref(j);
	}
	assert_int_equal(bh_behave_delete(b, DIGEST, NULL), 0);
	bh_behave_close(b);
}

static size_t count_of(const json_t *d, const char *k)
{
	return json_array_size(json_object_get(d, k));
}

static void collapses_past_thresholds(void **state)
{
	struct bh_behave_opts o = { .file_collapse = 3, .peer_collapse = 2 };
	struct bh_behave *b = open_b(&o);
	struct bh_behave_verdict v;
	struct bh_mon_event ev;
	char p[64];
	json_t *d;

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "/data/u%d/f", i);
		ev_write(&ev, p);
		assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
		assert_non_null(strstr(v.value, "/data/u"));
	}
	ev_write(&ev, "/data/u1/deeper/f");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	/* the fourth subdirectory of /data/: /data/ + "**" instead of all of them */
	ev_write(&ev, "/data/u3/f");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	assert_int_equal(bh_behave_export(b, DIGEST, &d, NULL), 0);
	assert_int_equal(count_of(d, "files"), 1);
	assert_string_equal(bh_json_str(json_array_get(json_object_get(d, "files"), 0), "path"),
			    "/data/**");
	json_decref(d);
	ev_write(&ev, "/data/u99/x/y/z");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	/* never past the root: /a/, /b/, ... stay apart */
	for (int i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "/top%d/f", i);
		ev_write(&ev, p);
		assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	}
	/* peers: the third address of 10.1.2.0/24 on tcp/443 → the network */
	ev_net(&ev, BH_MON_CONNECT, "10.1.2.3", 443);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	ev_net(&ev, BH_MON_CONNECT, "10.1.2.4", 443);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	ev_net(&ev, BH_MON_CONNECT, "10.1.2.9", 80); /* another port: apart */
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	ev_net(&ev, BH_MON_CONNECT, "10.1.2.5", 443);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	ev_net(&ev, BH_MON_CONNECT, "2001:db8:0:1::5", 443);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	ev_net(&ev, BH_MON_CONNECT, "2001:db8:0:1::6", 443);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	ev_net(&ev, BH_MON_CONNECT, "2001:db8:0:1::7", 443);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	assert_int_equal(bh_behave_export(b, DIGEST, &d, NULL), 0);
	assert_int_equal(count_of(d, "files"), 6);
	assert_int_equal(count_of(d, "outbound"), 3);
	{
		json_t *a = json_object_get(d, "outbound");
		char s[256] = "";

		for (size_t i = 0; i < 3; i++) {
			json_t *x = json_array_get(a, i);
			size_t n = strlen(s);

			snprintf(s + n, sizeof(s) - n, "%s:%lld ", bh_json_str(x, "peer"),
				 (long long)json_integer_value(json_object_get(x, "port")));
		}
		assert_string_equal(s, "10.1.2.0/24:443 10.1.2.9:80 2001:db8:0:1::/64:443 ");
	}
	json_decref(d);
	assert_int_equal(bh_behave_set_mode(b, DIGEST, BH_PROF_MONITOR, -1, NULL), 0);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	ev_net(&ev, BH_MON_CONNECT, "10.1.2.200", 443);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	ev_net(&ev, BH_MON_CONNECT, "10.1.3.200", 443);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	ev_net(&ev, BH_MON_CONNECT, "10.1.2.200", 80);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_int_equal(bh_behave_delete(b, DIGEST, NULL), 0);
	bh_behave_close(b);
}

static void bounds(void **state)
{
	struct bh_behave_opts o = { .max_items = 3, .max_profiles = 2 };
	struct bh_behave *b = open_b(&o);
	struct bh_behave_verdict v;
	struct bh_mon_event ev;
	char exe[32];
	json_t *d;

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(exe, sizeof(exe), "/bin/p%d", i);
		ev_exec(&ev, exe, NULL);
		assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
		assert_false(v.overflowed);
	}
	ev_exec(&ev, "/bin/p3", NULL);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_IGNORED);
	assert_true(v.overflowed);
	/* at the bound: monitor reports, protect reports and does not block */
	assert_int_equal(bh_behave_set_mode(b, DIGEST, BH_PROF_PROTECT, -1, NULL), 0);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_true(v.overflowed);
	assert_false(v.block);
	assert_int_equal(bh_behave_export(b, DIGEST, &d, NULL), 0);
	assert_true(json_is_true(json_object_get(d, "overflowed")));
	json_decref(d);

	/* more workloads than profiles in memory: the oldest goes to the store and back */
	for (int i = 0; i < 5; i++) {
		ev_exec(&ev, "/bin/w", NULL);
		snprintf(ev.container.image_digest, sizeof(ev.container.image_digest),
			 "sha256:%064d", i);
		assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	}
	for (int i = 0; i < 5; i++) {
		ev_exec(&ev, "/bin/w", NULL);
		snprintf(ev.container.image_digest, sizeof(ev.container.image_digest),
			 "sha256:%064d", i);
		assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	}
	bh_behave_close(b);
	/* the bound of all profiles: others go to the store, then the one alone overflows */
	{
		struct bh_behave_opts t = { .max_total_items = 4 };

		b = open_b(&t);
		for (int i = 0; i < 8; i++) {
			ev_exec(&ev, "/bin/t", NULL);
			snprintf(ev.proc.exe, sizeof(ev.proc.exe), "/bin/t%d", i);
			snprintf(ev.container.image_digest, sizeof(ev.container.image_digest),
				 "sha256:%064d", i < 3 ? 10 : 11);
			assert_int_equal(see(b, &ev, &v),
					 i < 7 ? BH_BEHAVE_LEARNED : BH_BEHAVE_IGNORED);
			assert_int_equal(v.overflowed, i == 7);
		}
		/* the first profile came back from the store whole */
		ev_exec(&ev, "/bin/t2", NULL);
		snprintf(ev.container.image_digest, sizeof(ev.container.image_digest),
			 "sha256:%064d", 10);
		assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
		bh_behave_close(b);
	}
	/* a bound of items over the limit is refused */
	{
		struct bh_behave_opts big = { .store = store, .max_items = 2000000 };
		struct bh_error *err = NULL;

		assert_int_equal(bh_behave_open(&big, &b, &err), -1);
		assert_error(err, BH_ERR_LIMIT, "max_items");
		bh_error_clear(&err);
	}
}

static void keys(void **state)
{
	struct bh_mon_event ev;
	char k[BH_BEHAVE_KEY_MAX];

	(void)state;
	ev_exec(&ev, "/bin/x", NULL);
	assert_int_equal(bh_behave_key(&ev, BH_BEHAVE_BY_DIGEST, k), 0);
	assert_string_equal(k, DIGEST);
	snprintf(ev.container.pod_namespace, sizeof(ev.container.pod_namespace), "shop");
	snprintf(ev.container.pod, sizeof(ev.container.pod), "web-7d4b9c8f6d-x2x9k");
	assert_int_equal(bh_behave_key(&ev, BH_BEHAVE_BY_POD, k), 0);
	assert_string_equal(k, "shop/deployment/web");
	snprintf(ev.container.pod, sizeof(ev.container.pod), "db-0");
	assert_int_equal(bh_behave_key(&ev, BH_BEHAVE_BY_POD, k), 0);
	assert_string_equal(k, "shop/statefulset/db");
	snprintf(ev.container.pod, sizeof(ev.container.pod), "node-agent-abcde");
	assert_int_equal(bh_behave_key(&ev, BH_BEHAVE_BY_POD, k), 0);
	assert_string_equal(k, "shop/daemonset/node-agent");
	snprintf(ev.container.pod, sizeof(ev.container.pod), "lonely");
	assert_int_equal(bh_behave_key(&ev, BH_BEHAVE_BY_POD, k), 0);
	assert_string_equal(k, "shop/pod/lonely");
	/* no digest: the image's name; nothing: no key */
	ev.container.image_digest[0] = 0;
	snprintf(ev.container.image, sizeof(ev.container.image), "nginx:1.25 x");
	assert_int_equal(bh_behave_key(&ev, BH_BEHAVE_BY_DIGEST, k), 0);
	assert_string_equal(k, "image:nginx:1.25_x");
	ev.container.image[0] = 0;
	assert_int_equal(bh_behave_key(&ev, BH_BEHAVE_BY_DIGEST, k), -1);
	assert_int_equal(bh_behave_key_check("shop/deployment/web", NULL), 0);
	assert_int_equal(bh_behave_key_check("-x", NULL), -1);
	assert_int_equal(bh_behave_key_check("a b", NULL), -1);
	assert_int_equal(bh_behave_key_check("", NULL), -1);
}

static void promotes_after_quiet_flushes(void **state)
{
	struct bh_behave *b = open_b(NULL);
	struct bh_prof_rule rule = { .seconds = 10, .runs = 2, .to = BH_PROF_MONITOR };
	struct bh_behave_verdict v;
	struct bh_mon_event ev;

	(void)state;
	assert_int_equal(bh_behave_set_rule(b, DIGEST, &rule, NULL), 0);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	ev_exec(&ev, "/bin/a", NULL);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_int_equal(bh_behave_flush(b, NULL), 0); /* learned: not quiet */
	ev.ts_ns += 5000000000ull;
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	assert_int_equal(bh_behave_flush(b, NULL), 0); /* quiet 1 */
	ev.ts_ns += 20000000000ull;
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	assert_int_equal(v.mode, BH_PROF_DISCOVER);
	assert_int_equal(bh_behave_flush(b, NULL), 0); /* quiet 2, 25 s: promoted */
	ev_exec(&ev, "/bin/b", NULL);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	assert_int_equal(v.mode, BH_PROF_MONITOR);
	/* a profile that lost events is not promoted */
	snprintf(ev.container.image_digest, sizeof(ev.container.image_digest), "sha256:%064d", 7);
	assert_int_equal(bh_behave_set_rule(b, ev.container.image_digest, &rule, NULL), 0);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	for (int i = 0; i < 4; i++) {
		ev.ts_ns += 20000000000ull;
		see(b, &ev, &v);
		if (i == 0)
			bh_behave_lost(b, 3);
		assert_int_equal(bh_behave_flush(b, NULL), 0);
	}
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	assert_int_equal(v.mode, BH_PROF_DISCOVER);
	bh_behave_close(b);
}

static const char good_doc[] =
	"{\"bulkhead_behaviour_profile\": 1, \"key\": \"shop/deployment/web\", \"mode\": "
	"\"monitor\", \"zero_drift\": true, \"containers\": [\"c1\"],"
	" \"processes\": [{\"exe\": \"/usr/sbin/nginx\", \"parent\": \"\", \"count\": 2}],"
	" \"files\": [{\"path\": \"/var/log/**\"}, {\"path\": \"/tmp/\"}],"
	" \"listen\": [{\"proto\": \"tcp\", \"port\": 80}],"
	" \"outbound\": [{\"proto\": \"udp\", \"peer\": \"10.0.0.0/24\", \"port\": 53}],"
	" \"inbound\": [{\"proto\": \"tcp\", \"port\": 80}]}";

static void refuses(const char *doc, int code, const char *needle)
{
	struct bh_error *err = NULL;
	json_t *d = NULL;

	if (bh_behave_parse(doc, strlen(doc), 0, &d, &err) == 0)
		fail_msg("accepted: %s", doc);
	assert_null(d);
	assert_error(err, code, needle);
	bh_error_clear(&err);
}

static void documents_round_trip_and_refusals(void **state)
{
	struct bh_behave_opts o = { .group = BH_BEHAVE_BY_POD };
	struct bh_behave *b = open_b(&o);
	struct bh_error *err = NULL;
	struct bh_behave_verdict v;
	struct bh_mon_event ev;
	json_t *d = NULL, *e = NULL, *e2 = NULL;
	char *s;

	(void)state;
	assert_int_equal(bh_behave_parse(good_doc, strlen(good_doc), 0, &d, &err), 0);
	assert_int_equal(bh_behave_import(b, d, NULL, &err), 0);
	assert_int_equal(bh_behave_export(b, "shop/deployment/web", &e, &err), 0);
	assert_string_equal(bh_json_str(e, "mode"), "monitor");
	assert_true(json_is_true(json_object_get(e, "zero_drift")));
	assert_int_equal(count_of(e, "files"), 2);
	/* the export reads back as itself */
	s = json_dumps(e, 0);
	json_decref(d);
	assert_int_equal(bh_behave_parse(s, strlen(s), 0, &d, &err), 0);
	free(s);
	assert_int_equal(bh_behave_import(b, d, "copy", &err), 0);
	assert_int_equal(bh_behave_export(b, "copy", &e2, &err), 0);
	json_object_set_new(e2, "key", json_string("shop/deployment/web"));
	json_object_del(e2, "first_seen");
	json_object_del(e2, "last_seen");
	json_object_del(e, "first_seen");
	json_object_del(e, "last_seen");
	assert_true(json_equal(e, e2));
	json_decref(e);
	json_decref(e2);
	json_decref(d);
	/* YAML of the same shape */
	{
		static const char y[] = "bulkhead_behaviour_profile: 1\nkey: y\nlisten:\n"
					"  - {proto: tcp, port: 8080}\n";

		assert_int_equal(bh_behave_parse(y, sizeof(y) - 1, 0, &d, &err), 0);
		json_decref(d);
	}
	/* the imported profile judges a pod of the deployment */
	ev_write(&ev, "/var/log/a/b/c");
	snprintf(ev.container.pod_namespace, sizeof(ev.container.pod_namespace), "shop");
	snprintf(ev.container.pod, sizeof(ev.container.pod), "web-7d4b9c8f6d-x2x9k");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	ev_write(&ev, "/etc/x");
	snprintf(ev.container.pod_namespace, sizeof(ev.container.pod_namespace), "shop");
	snprintf(ev.container.pod, sizeof(ev.container.pod), "web-7d4b9c8f6d-aaaaa");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE);
	ev_net(&ev, BH_MON_CONNECT, "10.0.0.77", 53);
	ev.net.proto = 17;
	snprintf(ev.container.pod_namespace, sizeof(ev.container.pod_namespace), "shop");
	snprintf(ev.container.pod, sizeof(ev.container.pod), "web-7d4b9c8f6d-aaaaa");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	bh_behave_close(b);

	refuses("{\"bulkhead_behaviour_profile\": 2, \"key\": \"k\"}", BH_ERR_UNSUPPORTED,
		"expected 1");
	refuses("{\"key\": \"k\"}", BH_ERR_UNSUPPORTED, "bulkhead_behaviour_profile");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"extra\": 1}", BH_ERR_INVALID,
		"unknown member 'extra'");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"a b\"}", BH_ERR_INVALID,
		"profile key");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"files\": [{\"path\": "
		"\"var/\"}]}",
		BH_ERR_INVALID, "files[0].path");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"files\": [{\"path\": "
		"\"/a/../etc/\"}]}",
		BH_ERR_INVALID, "normalised");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"files\": [{\"path\": "
		"\"/etc/passwd\"}]}",
		BH_ERR_INVALID, "a directory");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"files\": [{\"path\": "
		"\"/**\"}]}",
		BH_ERR_INVALID, "anywhere");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"listen\": [{\"proto\": "
		"\"tcp\", \"port\": 70000}]}",
		BH_ERR_INVALID, "listen[0].port");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"listen\": [{\"proto\": "
		"\"sctp\", \"port\": 7}]}",
		BH_ERR_INVALID, "tcp or udp");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"outbound\": [{\"proto\": "
		"\"tcp\", \"port\": 7, \"peer\": \"10.0.0.0/8\"}]}",
		BH_ERR_INVALID, "outbound[0].peer");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"outbound\": [{\"proto\": "
		"\"tcp\", \"port\": 7, \"peer\": \"10.0.0.1/24\"}]}",
		BH_ERR_INVALID, "outbound[0].peer");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"processes\": [{\"exe\": "
		"\"/bin/x\", \"user\": \"root\"}]}",
		BH_ERR_INVALID, "unknown member 'user'");
	refuses("{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"mode\": \"learn\"}",
		BH_ERR_INVALID, "discover, monitor or protect");
	refuses("[1]", BH_ERR_INVALID, "expected an object");
	{
		struct bh_buf big = BH_BUF_INIT(1 << 24);

		bh_buf_adds(&big,
			    "{\"bulkhead_behaviour_profile\": 1, \"key\": \"k\", \"listen\": [",
			    NULL);
		for (int i = 0; i < 5000; i++)
			bh_buf_addf(&big, NULL, "%s{\"proto\": \"tcp\", \"port\": %d}",
				    i ? "," : "", i % 65535 + 1);
		bh_buf_adds(&big, "]}", NULL);
		assert_int_equal(bh_behave_parse(big.data, big.len, 0, &d, &err), -1);
		assert_error(err, BH_ERR_LIMIT, "more than 4096 items");
		bh_error_clear(&err);
		bh_buf_release(&big);
	}
	/* a duplicate item refuses the whole import, and the old profile stays */
	b = open_b(NULL);
	{
		static const char dup[] = "{\"bulkhead_behaviour_profile\": 1, \"key\": \"copy\", "
					  "\"listen\": [{\"proto\": \"tcp\", \"port\": 1}, "
					  "{\"proto\": \"tcp\", \"port\": 1}]}";

		assert_int_equal(bh_behave_parse(dup, sizeof(dup) - 1, 0, &d, &err), 0);
		assert_int_equal(bh_behave_import(b, d, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "duplicate");
		bh_error_clear(&err);
		json_decref(d);
		assert_int_equal(bh_behave_export(b, "copy", &e, &err), 0);
		assert_int_equal(count_of(e, "listen"), 1);
		assert_int_equal(count_of(e, "files"), 2);
		json_decref(e);
	}
	bh_behave_close(b);
}

/* A store as schema 3 made it (syscall profiles, reports with denied, modes). */
static void migrates_schema_3(void **state)
{
	char *old = bh_asprintf("%s/v3.sqlite", tmpdir);
	struct bh_behave_opts o = { .store = old };
	struct bh_prof_store *s = NULL;
	struct bh_behave *b = NULL;
	struct bh_error *err = NULL;
	struct bh_behave_verdict v;
	struct bh_mon_event ev;
	sqlite3 *db = NULL;
	json_t *rows, *m;
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(sqlite3_open(old, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(
			db,
			"PRAGMA journal_mode = WAL;"
			"CREATE TABLE profiles (name TEXT NOT NULL, digest TEXT NOT NULL,"
			" syscalls TEXT NOT NULL, runs INTEGER NOT NULL, seconds REAL NOT NULL,"
			" events INTEGER NOT NULL, lost INTEGER NOT NULL, execs INTEGER NOT NULL,"
			" containers TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,"
			" PRIMARY KEY (name, digest)) WITHOUT ROWID;"
			"CREATE TABLE reports (name TEXT NOT NULL, digest TEXT NOT NULL,"
			" container TEXT NOT NULL, arch TEXT NOT NULL, syscall TEXT NOT NULL,"
			" count INTEGER NOT NULL, time TEXT NOT NULL,"
			" denied INTEGER NOT NULL DEFAULT 0);"
			"CREATE INDEX reports_by_name ON reports(name);"
			"CREATE TABLE modes (kind TEXT NOT NULL, name TEXT NOT NULL,"
			" mode TEXT NOT NULL, after REAL, runs INTEGER, target TEXT,"
			" quiet INTEGER NOT NULL DEFAULT 0, last_new TEXT, last_lost TEXT,"
			" changed TEXT, reason TEXT, automatic INTEGER NOT NULL DEFAULT 0,"
			" PRIMARY KEY (kind, name)) WITHOUT ROWID;"
			"INSERT INTO profiles VALUES ('web', '', "
			"'{\"SCMP_ARCH_X86_64\":[\"read\",\"write\"]}', 2, 9.5, 3, 0, 0, '[]', "
			"'t', "
			"'t');"
			"INSERT INTO modes (kind, name, mode) VALUES ('syscalls', 'web', "
			"'protect');"
			"PRAGMA user_version = 3;",
			NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);

	if (bh_behave_open(&o, &b, &err) < 0)
		fail_msg("open: %s", bh_error_message(err));
	ev_exec(&ev, "/bin/a", NULL);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	/* a behaviour profile named as the syscall one has its own mode */
	assert_int_equal(bh_behave_set_mode(b, "web", BH_PROF_MONITOR, -1, NULL), 0);
	bh_behave_close(b);

	assert_int_equal(sqlite3_open(old, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 4);
	sqlite3_finalize(st);
	sqlite3_close(db);

	assert_int_equal(bh_prof_store_open(old, false, &s, &err), 0);
	assert_int_equal(bh_prof_store_list(s, NULL, &rows, &err), 0);
	assert_int_equal(json_array_size(rows), 1);
	m = json_array_get(rows, 0);
	assert_string_equal(bh_json_str(m, "name"), "web");
	assert_string_equal(bh_json_str(m, "mode"), "protect");
	assert_int_equal(json_array_size(json_object_get(json_object_get(m, "syscalls"),
							 "SCMP_ARCH_X86_64")),
			 2);
	json_decref(rows);
	bh_prof_store_close(s);
	/* and opened again (current: nothing to migrate) it still reads */
	b = NULL;
	assert_int_equal(bh_behave_open(&o, &b, &err), 0);
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	assert_int_equal(bh_behave_list(b, &rows, &err), 0);
	assert_int_equal(json_array_size(rows), 2);
	json_decref(rows);
	bh_behave_close(b);
	free(old);
}

/* An open whose fd was closed before its exit carries the caller's string,
 * not the file's: a workload in discover must not plant directories with it;
 * outside discover it is still judged (reported, not silenced). */
static void unverified_names_are_not_learned(void **state)
{
	struct bh_behave *b = open_b(NULL);
	struct bh_behave_verdict v;
	struct bh_mon_event ev;

	(void)state;
	ev_write(&ev, "/usr/local/bin/planted");
	ev.file.name_unverified = true;
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_IGNORED);
	ev_write(&ev, "/var/log/app/x.log");
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_LEARNED);
	assert_int_equal(bh_behave_set_mode(b, DIGEST, BH_PROF_MONITOR, -1, NULL), 0);
	assert_int_equal(bh_behave_flush(b, NULL), 0);
	ev_write(&ev, "/usr/local/bin/planted");
	ev.file.name_unverified = true;
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_OUTSIDE); /* it was not learned */
	assert_int_equal(v.kind, BH_BEHAVE_FILE);
	ev_write(&ev, "/var/log/app/y.log");
	ev.file.name_unverified = true;
	assert_int_equal(see(b, &ev, &v), BH_BEHAVE_KNOWN);
	bh_behave_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(learns_and_judges_each_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(reload_sees_a_mode_set_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_drift, setup, teardown),
		cmocka_unit_test_setup_teardown(unverified_names_are_not_learned, setup, teardown),
		cmocka_unit_test_setup_teardown(runtime_setup_is_not_the_workload, setup, teardown),
		cmocka_unit_test_setup_teardown(collapses_past_thresholds, setup, teardown),
		cmocka_unit_test_setup_teardown(bounds, setup, teardown),
		cmocka_unit_test(keys),
		cmocka_unit_test_setup_teardown(promotes_after_quiet_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(documents_round_trip_and_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(migrates_schema_3, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
