/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live path's inventory as flow records see it (src/net/live_inv.c): a
 * container's flows are named while it runs, whatever one listing missed.
 * A refresh whose listing leaves out a running container (its state
 * unreadable meanwhile, its namespace not readable) keeps that container's
 * addresses while its init still runs in the namespace they were read in,
 * listing after listing, and drops them once it is gone or elsewhere; the
 * lists the kept entries point into stay alive with them. A record with an
 * unnamed end lists again, once per FORCED_REFRESH_S, when a container
 * namespace put through had no address in any listing yet, and not
 * otherwise (every one listed, a namespace given by path, one gone since),
 * FORCED_UNCOVERED times at most in a run.
 *
 * The listings here are of an empty root (no container at all: every one
 * "missed"); the first inventory is set by hand, its container's init a
 * process of the test's own namespace.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "bulkhead/containers.h"
#include "bulkhead/net.h"
#include "net/live_int.h"
#include "banned.h"

struct fix {
	char root[64];
	struct bh_ctr_opts co;
	struct bh_net_live_opts o;
	struct bh_net_live_stats st;
	struct live L;
	struct stat ns; /* the test's own network namespace */
};

static void v4(uint8_t a[16], const char *s)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, s, a + 12), 1);
}

static void fix_init(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/bh-liveinv.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->co.root = f->root; /* nothing inside: every listing is empty */
	f->co.docker_socket = "";
	f->co.podman_socket = "";
	f->o.ctr = &f->co;
	f->L.o = &f->o;
	f->L.st = &f->st;
	f->L.want_inv = true;
	assert_int_equal(stat("/proc/self/ns/net", &f->ns), 0);
}

static void fix_release(struct fix *f)
{
	free(f->L.addrs);
	free(f->L.ahash);
	net_live_inv_put(f->L.inv);
	rmdir(f->root);
}

/* The first inventory: container id (name) with init pid, address addr in
 * the namespace (dev, ino). */
static void inv_one(struct fix *f, const char *id, const char *name, pid_t pid, const char *addr,
		    dev_t dev, ino_t ino)
{
	struct inv_ref *inv = bh_calloc(1, sizeof(*inv));
	struct addr_ent *v = bh_calloc(1, sizeof(*v));

	inv->l = bh_calloc(1, sizeof(*inv->l));
	inv->l->v = bh_calloc(1, sizeof(*inv->l->v));
	inv->l->n = 1;
	inv->l->v[0].id = bh_strdup(id);
	inv->l->v[0].name = bh_strdup(name);
	inv->l->v[0].labels = json_object();
	inv->l->v[0].annotations = json_object();
	inv->l->v[0].pid = pid;
	inv->l->v[0].status = bh_strdup("running");
	inv->refs = 1;
	v4(v[0].a, addr);
	v[0].c = &inv->l->v[0];
	v[0].owner = inv;
	v[0].ns_dev = dev;
	v[0].ns_ino = ino;
	net_live_inv_set(&f->L, inv, v, 1, NULL, 0);
}

/* The names a record from client to server gets. */
static void name(struct fix *f, const char *client, const char *server,
		 struct bh_net_flow_record *r)
{
	memset(r, 0, sizeof(*r));
	v4(r->client_addr, client);
	v4(r->server_addr, server);
	r->client_port = 40000;
	r->server_port = 8080;
	net_live_name_ends(&f->L, r);
}

static void refresh(struct fix *f)
{
	struct bh_error *err = NULL;

	assert_int_equal(net_live_refresh(&f->L, &err), 0);
	assert_null(err);
}

static void test_listing_missing_running_container_keeps_it(void **state)
{
	struct fix f;
	struct bh_net_flow_record r;

	(void)state;
	fix_init(&f);
	inv_one(&f, "ctr-a", "web", getpid(), "10.9.1.2", f.ns.st_dev, f.ns.st_ino);
	name(&f, "10.9.1.2", "10.9.1.1", &r);
	assert_string_equal(r.client_ctr_id, "ctr-a");
	/* listings that do not have it: it runs on, its flows stay named */
	for (int i = 0; i < 3; i++) {
		refresh(&f);
		assert_int_equal(f.L.naddrs, 1);
		assert_int_equal(f.st.addresses, 1);
		name(&f, "10.9.1.2", "10.9.1.1", &r);
		assert_non_null(r.client_ctr_id);
		assert_string_equal(r.client_ctr_id, "ctr-a");
		assert_string_equal(r.client_ctr_name, "web");
		assert_null(r.server_ctr_id);
		/* the entry still points into the first list, which the
		 * inventory holds */
		assert_ptr_not_equal(f.L.addrs[0].owner, f.L.inv);
		assert_int_equal(f.L.inv->nheld, 1);
		assert_ptr_equal(f.L.inv->held[0], f.L.addrs[0].owner);
	}
	/* a record's server end as well */
	name(&f, "10.9.1.1", "10.9.1.2", &r);
	assert_null(r.client_ctr_id);
	assert_string_equal(r.server_ctr_id, "ctr-a");
	assert_string_equal(r.server_ctr_name, "web");
	fix_release(&f);
}

static void test_gone_container_dropped(void **state)
{
	struct fix f;
	struct bh_net_flow_record r;
	pid_t child = fork();

	(void)state;
	assert_true(child >= 0);
	if (child == 0) {
		/* gone with the test whatever it says (a failed assertion
		 * skips the kill below) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		pause();
		_exit(0);
	}
	fix_init(&f);
	inv_one(&f, "ctr-b", "db", child, "10.9.1.3", f.ns.st_dev, f.ns.st_ino);
	refresh(&f);
	name(&f, "10.9.1.3", "10.9.1.1", &r);
	assert_non_null(r.client_ctr_id);
	assert_string_equal(r.client_ctr_id, "ctr-b");
	/* its init gone: the next listing forgets it, and the lists with it */
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	refresh(&f);
	assert_int_equal(f.L.naddrs, 0);
	assert_int_equal(f.L.inv->nheld, 0);
	name(&f, "10.9.1.3", "10.9.1.1", &r);
	assert_null(r.client_ctr_id);
	fix_release(&f);
}

static void test_pid_elsewhere_dropped(void **state)
{
	struct fix f;
	struct bh_net_flow_record r;

	(void)state;
	fix_init(&f);
	/* its pid now runs in another namespace (a pid reused): not its own */
	inv_one(&f, "ctr-c", "cache", getpid(), "10.9.1.4", f.ns.st_dev, f.ns.st_ino + 1);
	refresh(&f);
	assert_int_equal(f.L.naddrs, 0);
	name(&f, "10.9.1.4", "10.9.1.1", &r);
	assert_null(r.client_ctr_id);
	fix_release(&f);
}

static void test_record_lists_again_when_a_target_is_uncovered(void **state)
{
	struct fix f;
	struct target t[2] = { { .name = (char *)"web", .nsfd = -1, .ctr = true },
			       { .name = (char *)"db", .nsfd = -1, .ctr = true } };
	struct bh_net_flow_record r;
	uint64_t n0;

	(void)state;
	fix_init(&f);
	f.L.t = t;
	f.L.n = 1;
	/* the target's namespace has an address: an unknown end is outside */
	t[0].dev = t[1].dev = f.ns.st_dev;
	t[0].ino = f.ns.st_ino;
	t[1].ino = f.ns.st_ino + 1;
	inv_one(&f, "ctr-a", "web", getpid(), "10.9.1.2", f.ns.st_dev, f.ns.st_ino);
	assert_int_equal(f.L.uncovered, 0);
	n0 = f.st.refreshes;
	name(&f, "10.9.1.2", "192.0.2.1", &r);
	name(&f, "192.0.2.2", "192.0.2.1", &r);
	assert_int_equal(f.st.refreshes, n0);
	/* a target namespace no listing had an address in: the inventory is
	 * behind, a record with an unnamed end lists again, once per
	 * FORCED_REFRESH_S */
	f.L.n = 2;
	refresh(&f);
	assert_int_equal(f.L.uncovered, 1);
	f.L.last_refresh = net_live_now() - FORCED_REFRESH_S - 0.1;
	n0 = f.st.refreshes;
	name(&f, "192.0.2.2", "192.0.2.1", &r);
	assert_int_equal(f.st.refreshes, n0 + 1);
	name(&f, "192.0.2.2", "192.0.2.1", &r);
	assert_int_equal(f.st.refreshes, n0 + 1);
	/* both ends named: no listing */
	f.L.last_refresh = 0;
	name(&f, "10.9.1.2", "10.9.1.2", &r);
	assert_int_equal(f.st.refreshes, n0 + 1);
	/* a namespace given by path (--netns), not a container's: never */
	t[1].ctr = false;
	refresh(&f);
	assert_int_equal(f.L.uncovered, 0);
	f.L.last_refresh = 0;
	n0 = f.st.refreshes;
	name(&f, "192.0.2.2", "192.0.2.1", &r);
	assert_int_equal(f.st.refreshes, n0);
	/* one listed before and gone since (its container's init elsewhere: not
	 * kept) is not a reason to list again either */
	t[1].ctr = true;
	inv_one(&f, "ctr-b", "db", getpid(), "10.9.1.3", f.ns.st_dev, f.ns.st_ino + 1);
	assert_true(t[1].listed);
	refresh(&f);
	assert_int_equal(f.L.naddrs, 0);
	assert_int_equal(f.L.uncovered, 0);
	f.L.last_refresh = 0;
	n0 = f.st.refreshes;
	name(&f, "192.0.2.2", "192.0.2.1", &r);
	assert_int_equal(f.st.refreshes, n0);
	fix_release(&f);
}

/* A target namespace that stays uncovered (its container exited before any
 * listing read it) makes FORCED_UNCOVERED listings at most, not one every
 * FORCED_REFRESH_S for the rest of the run. */
static void test_uncovered_listings_bounded(void **state)
{
	struct fix f;
	struct target t[1] = { { .name = (char *)"gone", .nsfd = -1, .ctr = true } };
	struct bh_net_flow_record r;
	uint64_t n0;

	(void)state;
	fix_init(&f);
	f.L.t = t;
	f.L.n = 1;
	t[0].dev = f.ns.st_dev;
	t[0].ino = f.ns.st_ino + 1;
	refresh(&f);
	assert_int_equal(f.L.uncovered, 1);
	n0 = f.st.refreshes;
	for (int i = 0; i < 3 * FORCED_UNCOVERED; i++) {
		f.L.last_refresh = 0;
		name(&f, "192.0.2.2", "192.0.2.1", &r);
	}
	assert_int_equal(f.st.refreshes, n0 + FORCED_UNCOVERED);
	assert_int_equal(f.L.uncovered, 1);
	fix_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listing_missing_running_container_keeps_it),
		cmocka_unit_test(test_gone_container_dropped),
		cmocka_unit_test(test_pid_elsewhere_dropped),
		cmocka_unit_test(test_record_lists_again_when_a_target_is_uncovered),
		cmocka_unit_test(test_uncovered_listings_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
