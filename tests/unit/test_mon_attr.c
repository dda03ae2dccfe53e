// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel source's attribution (src/monitor/source_attr.c, mon_attr_*)
 * against a copy of tests/data/containers/root with cgroup directories of its
 * own: a container whose state is written after the first list is found by
 * mon_attr_get's quick read of the state watch's change (provisional: the
 * ID, no engine's name or image), and the full list installed after gives
 * its later records the engine's name and image; and one whose state is
 * written and deleted while a full list is held up (the Docker engine's
 * socket does not answer) is still found, read by the watch's own thread;
 * and a burst of quick reads of listed containers keeps a gone one's grace;
 * and one written and deleted while the attribution's lock is held is read
 * by the watch's thread all the same; and a naming (mon_attr_name, for an
 * alert of a provisional container) gets the engine's names from a full list
 * it asks for past a watch floor of 10 s, well within its deadline, and one
 * of a container no full list holds gives up at the deadline, unnamed; and
 * one whose state directory came and went before any read is found through
 * its cgroup's mkdir path (a real cgroup's ids), while a path no watched
 * directory names stays the host's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/containers.h"
#include "bulkhead/monitor.h"
#include "monitor/source_internal.h"

#define FIXTURE	 "tests/data/containers/root"
#define D1_STATE "/run/docker/runtime-runc/moby/d1"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* cmd run by the shell (freed), and succeeds. */
static void sh(char *cmd)
{
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* The kernfs-style id containers_cgroup.c gives the directory path. */
static uint64_t dir_id(const char *path)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[64];
	} h;
	uint64_t id = 0;
	struct stat st;
	int mid;

	h.fh.handle_bytes = sizeof(h.bytes);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mid, 0) == 0 && h.fh.handle_bytes == 8)
		memcpy(&id, h.fh.f_handle, 8);
	else if (stat(path, &st) == 0)
		id = st.st_ino;
	return id;
}

/* Container id's cgroup directories under root (made if missing), their
 * cgroup2 and pids ids into *cg2 and *pids, both distinct and not a root's. */
static void ctr_cgroup_ids(const char *root, const char *id, uint64_t *cg2, uint64_t *pids)
{
	char *p;

	sh(bh_asprintf("mkdir -p '%s'/sys/fs/cgroup/unified/docker/%s "
		       "'%s'/sys/fs/cgroup/pids/docker/%s",
		       root, id, root, id));
	p = bh_asprintf("%s/sys/fs/cgroup/unified/docker/%s", root, id);
	*cg2 = dir_id(p);
	free(p);
	p = bh_asprintf("%s/sys/fs/cgroup/pids/docker/%s", root, id);
	*pids = dir_id(p);
	free(p);
	assert_true(*cg2 > 1 && *pids > 1 && *cg2 != *pids);
}

/* One try: true when the first answer was the quick read's (a full list made
 * in between, the thread's after a descheduling past its floor, made 300 ms
 * here (20 ms by default: under a loaded make check the test was descheduled
 * that long five tries in a row), makes the try say nothing: the caller tries
 * again). */
static bool provisional_then_full(const char *root, uint64_t cg2, uint64_t pids)
{
	struct bh_ctr_opts co = { .root = root, .docker_socket = "", .podman_socket = "" };
	struct mon_attr_opts ao = { .copts = &co, .watch_floor_ns = 300000000ULL };
	struct bh_mon_container c, other;
	struct mon_attr *a = NULL;
	uint64_t t0;

	sh(bh_asprintf("rm -rf '%s'" D1_STATE, root));
	assert_int_equal(mon_attr_new(&ao, &a), 0);
	/* an unknown id lists now: the floors hold the next full list back */
	mon_attr_get(a, 999999, 0, false, 0, &other);
	assert_string_equal(other.id, "");
	/* d1's state written (its runtime, at create) */
	sh(bh_asprintf("cp -a " FIXTURE D1_STATE " '%s'" D1_STATE, root));
	mon_attr_get(a, cg2, pids, false, 0, &c);
	assert_string_equal(c.id, "d1");
	assert_string_equal(c.runtime, "runc");
	if (strcmp(c.name, "d1")) {
		mon_attr_free(a);
		return false;
	}
	assert_string_equal(c.image, ""); /* the quick read: no engine's record */
	/* a full list installed (the thread's, the change it was woken for): the
	 * next records carry dockerd's name and image */
	t0 = mono_ms();
	do {
		usleep(10000);
		mon_attr_get(a, cg2, pids, false, 0, &c);
	} while (strcmp(c.name, "web-d1") && mono_ms() - t0 < 3000);
	assert_string_equal(c.id, "d1");
	assert_string_equal(c.name, "web-d1");
	assert_string_equal(c.image, "nginx:1.27");
	/* and stay so, the quick read's entry gone from the cache */
	mon_attr_get(a, cg2, pids, false, 0, &c);
	assert_string_equal(c.name, "web-d1");
	mon_attr_free(a);
	return true;
}

/* A container found first by a quick read is provisional: replaced by the
 * full list's (engine names and images) once one is installed. */
static void attr_provisional_replaced_by_full_list(void **state)
{
	char *d = unit_mktmp(), *root = bh_asprintf("%s/root", d);
	uint64_t cg2, pids;
	int tries = 0;

	(void)state;
	sh(bh_asprintf("cp -a " FIXTURE " '%s'", root));
	ctr_cgroup_ids(root, "d1", &cg2, &pids);
	while (!provisional_then_full(root, cg2, pids))
		assert_true(++tries < 5);
	sh(bh_asprintf("rm -rf '%s'", d));
	free(root);
	free(d);
}

/* A listening socket at path that never accepts: a client connects, sends,
 * and waits for an answer (its timeout: 10 s for the Docker engine's). */
static int mute_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0 && strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

/* A container whose state is written and deleted while the full list is held
 * up (dockerd's socket does not answer: the lists' thread waits for it, and so
 * would mon_attr_get's own list) is found all the same: the watch's thread
 * read its state while it was there (a runc run of one action on a loaded
 * host: its state lived tens of ms, and the thread that also listed in full
 * read it after it was gone). */
static void attr_state_gone_while_list_held_up(void **state)
{
	char *d = unit_mktmp(), *root = bh_asprintf("%s/root", d);
	char *sock = bh_asprintf("%s/docker.sock", d);
	struct bh_ctr_opts co = { .docker_socket = sock, .podman_socket = "" };
	struct bh_mon_container c;
	struct mon_attr *a = NULL;
	uint64_t cg2, pids, t0;
	int lfd;

	(void)state;
	co.root = root;
	sh(bh_asprintf("cp -a " FIXTURE " '%s'", root));
	/* no container of dockerd's at the first list (it would wait 10 s) */
	sh(bh_asprintf("mv '%s'" D1_STATE " '%s/d1' && rm -rf '%s'/run/runc/moby "
		       "'%s'/run/containerd/io.containerd.runtime.v2.task/moby",
		       root, d, root, root));
	ctr_cgroup_ids(root, "d1", &cg2, &pids);
	lfd = mute_socket(sock);
	t0 = mono_ms();
	assert_int_equal(mon_attr_new(&(struct mon_attr_opts){ .copts = &co }, &a), 0);
	assert_true(mono_ms() - t0 < 5000);
	/* d2 (dockerd's, no process) written: the full list it asks for waits
	 * on the socket */
	sh(bh_asprintf("cp -a '%s/d1' '%s/d2' && sed -i 's/\"d1\"/\"d2\"/; s/4040/999999/' "
		       "'%s/d2/state.json' && mv '%s/d2' '%s'/run/docker/runtime-runc/moby/",
		       d, d, d, d, root));
	usleep(300000);
	/* d1 written and deleted within the list's wait */
	sh(bh_asprintf("mv '%s/d1' '%s'" D1_STATE, d, root));
	usleep(300000);
	sh(bh_asprintf("rm -rf '%s'" D1_STATE, root));
	mon_attr_get(a, cg2, pids, false, 0, &c);
	close(lfd); /* the list's connection reset: it ends */
	assert_string_equal(c.id, "d1");
	assert_string_equal(c.runtime, "runc");
	mon_attr_free(a);
	sh(bh_asprintf("rm -rf '%s'", d));
	free(sock);
	free(root);
	free(d);
}

/*
 * A burst of quick reads of containers the full list holds (a pid file
 * written in each of 300 listed runc containers' directories) does not push
 * a gone container out of the grace list: d1, deleted and kept there by the
 * next full list, is still found within its grace. Before quick reads skipped
 * listed containers and gave way to a full list's gone ones, d1's late record
 * was the host's (the reviewer's repro).
 */
static void attr_quick_reads_keep_gone_containers(void **state)
{
	char *d = unit_mktmp(), *root = bh_asprintf("%s/root", d);
	struct bh_ctr_opts co = { .root = root, .docker_socket = "", .podman_socket = "" };
	struct bh_mon_container c;
	struct mon_attr *a = NULL;
	uint64_t cg2, pids, cg2x, pidsx;
	enum { N = 300 };

	(void)state;
	sh(bh_asprintf("cp -a " FIXTURE " '%s'", root));
	ctr_cgroup_ids(root, "d1", &cg2, &pids);
	assert_int_equal(mon_attr_new(&(struct mon_attr_opts){ .copts = &co }, &a), 0);
	/* N more runc containers, each with its own pid and cgroups */
	sh(bh_asprintf("cd '%s' && for i in $(seq 1 %d); do id=c$i; pid=$((20000+i)); "
		       "mkdir -p run/runc/$id proc/$pid sys/fs/cgroup/unified/docker/$id "
		       "sys/fs/cgroup/pids/docker/$id && "
		       "printf '{\"id\":\"%%s\",\"init_process_pid\":%%d,"
		       "\"init_process_start\":1040}' $id $pid > run/runc/$id/state.json && "
		       "sed \"s#/docker/d1#/docker/$id#\" proc/4040/cgroup > proc/$pid/cgroup && "
		       "sed \"s/^4040 /$pid /\" proc/4040/stat > proc/$pid/stat; done",
		       root, N));
	sleep(3); /* their quick reads, then a full list */
	ctr_cgroup_ids(root, "c7", &cg2x, &pidsx);
	mon_attr_get(a, cg2x, pidsx, false, 0, &c);
	assert_string_equal(c.id, "c7");
	/* d1 deleted: the next full list keeps it in the grace list */
	sh(bh_asprintf("rm -rf '%s'" D1_STATE, root));
	sh(bh_asprintf("mkdir '%s'/run/runc/trigger", root));
	sleep(3);
	/* a pid file written in each listed container's directory: N quick reads */
	sh(bh_asprintf("cd '%s'/run/runc && for i in $(seq 1 %d); do : > c$i/x.pid; done", root,
		       N));
	usleep(500000);
	mon_attr_get(a, cg2, pids, false, 0, &c);
	assert_string_equal(c.id, "d1");
	mon_attr_free(a);
	sh(bh_asprintf("rm -rf '%s'", d));
	free(root);
	free(d);
}

/*
 * mon_attr_get reads the state watch itself before it calls an id the
 * host's or lists again: with no thread of the attribution's (a test hook),
 * its own read is the only one, and d1, whose state was written after the
 * first list, is found by that quick read (provisional: no engine's name or
 * image; a full list would have given dockerd's). With that read taken
 * out, the answer is the full list's or the host's: this fails.
 */
static void attr_get_reads_the_watch_itself(void **state)
{
	char *d = unit_mktmp(), *root = bh_asprintf("%s/root", d), *p;
	struct bh_ctr_opts co = { .root = root, .docker_socket = "", .podman_socket = "" };
	struct bh_mon_container c;
	struct mon_attr *a = NULL;
	uint64_t cg2, pids;

	(void)state;
	sh(bh_asprintf("cp -a " FIXTURE " '%s'", root));
	sh(bh_asprintf(
		"mkdir -p '%s'/sys/fs/cgroup/unified/docker/d1 '%s'/sys/fs/cgroup/pids/docker/d1",
		root, root));
	p = bh_asprintf("%s/sys/fs/cgroup/unified/docker/d1", root);
	cg2 = dir_id(p);
	free(p);
	p = bh_asprintf("%s/sys/fs/cgroup/pids/docker/d1", root);
	pids = dir_id(p);
	free(p);
	sh(bh_asprintf("rm -rf '%s'" D1_STATE, root));
	assert_int_equal(
		mon_attr_new(&(struct mon_attr_opts){ .copts = &co, .no_threads = true }, &a), 0);
	/* d1's state written (its runtime, at create): only the watch knows */
	sh(bh_asprintf("cp -a " FIXTURE D1_STATE " '%s'" D1_STATE, root));
	mon_attr_get(a, cg2, pids, false, 0, &c);
	assert_string_equal(c.id, "d1");
	assert_string_equal(c.name, "d1"); /* the quick read's, */
	assert_string_equal(c.image, "");  /* not a full list's */
	mon_attr_free(a);
	sh(bh_asprintf("rm -rf '%s'", d));
	free(root);
	free(d);
}

/*
 * The watch's thread reads a state written and deleted while mon_attr_get
 * holds the attribution's lock (it does, record after record, while it looks
 * ids up; a sub-cgroup's lookup opens a handle per hierarchy): d1's directory
 * made, then its state written, then both deleted, all while the lock is
 * held, and d1 is still found once it is let go. Before, the thread took the
 * lock to keep each read and waited there (14 to 78 ms while a dozen runc
 * run at once), the watch unread while a one-action container's state came
 * and went: this fails on it (its read after the lock found the directory
 * gone).
 */
static void attr_watch_read_while_lock_held(void **state)
{
	char *d = unit_mktmp(), *root = bh_asprintf("%s/root", d);
	struct bh_ctr_opts co = { .root = root, .docker_socket = "", .podman_socket = "" };
	struct bh_mon_container c;
	struct mon_attr *a = NULL;
	uint64_t cg2, pids;

	(void)state;
	sh(bh_asprintf("cp -a " FIXTURE " '%s'", root));
	ctr_cgroup_ids(root, "d1", &cg2, &pids);
	sh(bh_asprintf("rm -rf '%s'" D1_STATE, root));
	assert_int_equal(mon_attr_new(&(struct mon_attr_opts){ .copts = &co }, &a), 0);
	mon_attr_hold(a, true);
	/* runc: the directory at create, its state a moment later, both
	 * deleted at the container's exit */
	sh(bh_asprintf("mkdir '%s'" D1_STATE, root));
	usleep(200000);
	sh(bh_asprintf("cp " FIXTURE D1_STATE "/state.json '%s'" D1_STATE "/", root));
	usleep(200000);
	sh(bh_asprintf("rm -rf '%s'" D1_STATE, root));
	usleep(200000);
	mon_attr_hold(a, false);
	mon_attr_get(a, cg2, pids, false, 0, &c);
	assert_string_equal(c.id, "d1");
	assert_string_equal(c.runtime, "runc");
	mon_attr_free(a);
	sh(bh_asprintf("rm -rf '%s'", d));
	free(root);
	free(d);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* d1's state written after the first list, a watch floor of 10 s: its first
 * record finds it by a quick read (provisional). true when it did (else a
 * list came between: the caller tries again); *a made. */
static bool quick_read_d1(const char *root, const struct bh_ctr_opts *co, uint64_t cg2,
			  uint64_t pids, struct mon_attr **a, struct bh_mon_container *c)
{
	struct mon_attr_opts ao = { .copts = co, .watch_floor_ns = 10000000000ULL };
	struct bh_mon_container other;

	sh(bh_asprintf("rm -rf '%s'" D1_STATE, root));
	assert_int_equal(mon_attr_new(&ao, a), 0);
	mon_attr_get(*a, 999999, 0, false, 0, &other); /* lists now */
	sh(bh_asprintf("cp -a " FIXTURE D1_STATE " '%s'" D1_STATE, root));
	mon_attr_get(*a, cg2, pids, false, 0, c);
	assert_string_equal(c->id, "d1");
	if (!strcmp(c->name, "d1")) {
		assert_true(c->provisional); /* dockerd's: its names to come */
		assert_string_equal(c->image, "");
		return true;
	}
	mon_attr_free(*a);
	*a = NULL;
	return false;
}

/*
 * A naming asks the lists' thread for a full list past the state watch's
 * floor (10 s here: the engine's list late) and gets dockerd's name and
 * image from it within its deadline (twice the last list's duration + 1 s);
 * the cache's entry is refined by the same list. Without the naming's list
 * (the floor holds it back) the deadline passes and it returns 0: this fails.
 */
static void attr_naming_lists_past_the_floor(void **state)
{
	char *d = unit_mktmp(), *root = bh_asprintf("%s/root", d);
	struct bh_ctr_opts co = { .root = NULL, .docker_socket = "", .podman_socket = "" };
	struct bh_mon_container c;
	struct mon_attr *a = NULL;
	uint64_t cg2, pids, t0;
	int tries = 0;

	(void)state;
	co.root = root;
	sh(bh_asprintf("cp -a " FIXTURE " '%s'", root));
	ctr_cgroup_ids(root, "d1", &cg2, &pids);
	while (!quick_read_d1(root, &co, cg2, pids, &a, &c))
		assert_true(++tries < 5);
	/* the floor holds the change's full list back (before, a change after
	 * an idle listed at once, the floor never held: this fails on it) */
	usleep(300000);
	mon_attr_get(a, cg2, pids, false, 0, &c);
	assert_string_equal(c.name, "d1");
	assert_true(c.provisional);
	t0 = mono_ms();
	assert_int_equal(mon_attr_name(a, &c, clock_ns(CLOCK_BOOTTIME), clock_ns(CLOCK_MONOTONIC)),
			 1);
	assert_true(mono_ms() - t0 < 1000);
	assert_string_equal(c.id, "d1");
	assert_string_equal(c.name, "web-d1");
	assert_string_equal(c.image, "nginx:1.27");
	assert_false(c.provisional);
	/* the next records too */
	mon_attr_get(a, cg2, pids, false, 0, &c);
	assert_string_equal(c.name, "web-d1");
	assert_false(c.provisional);
	mon_attr_free(a);
	sh(bh_asprintf("rm -rf '%s'", d));
	free(root);
	free(d);
}

/*
 * A naming of a container no full list holds (its state deleted before any
 * did: a one-action runc run under an engine) leaves at its deadline, the
 * container as it was (never lost, never stuck); one whose wait began past
 * its deadline leaves at once.
 */
static void attr_naming_gives_up_at_the_deadline(void **state)
{
	char *d = unit_mktmp(), *root = bh_asprintf("%s/root", d);
	struct bh_ctr_opts co = { .root = NULL, .docker_socket = "", .podman_socket = "" };
	struct bh_mon_container c;
	struct mon_attr *a = NULL;
	uint64_t cg2, pids, t0, dt;
	int tries = 0;

	(void)state;
	co.root = root;
	sh(bh_asprintf("cp -a " FIXTURE " '%s'", root));
	/* the fixture's other containers of ID d1 (runc's, containerd's) gone */
	sh(bh_asprintf(
		"rm -rf '%s'/run/runc/moby '%s'/run/containerd/io.containerd.runtime.v2.task/moby",
		root, root));
	ctr_cgroup_ids(root, "d1", &cg2, &pids);
	while (!quick_read_d1(root, &co, cg2, pids, &a, &c))
		assert_true(++tries < 5);
	/* its state and dockerd's record deleted (a stopped container dockerd
	 * still knows is listed, named) */
	sh(bh_asprintf("rm -rf '%s'" D1_STATE " '%s'/var/lib/docker/containers/d1", root, root));
	t0 = mono_ms();
	assert_int_equal(mon_attr_name(a, &c, clock_ns(CLOCK_BOOTTIME), clock_ns(CLOCK_MONOTONIC)),
			 0);
	dt = mono_ms() - t0;
	assert_true(dt >= 1000 && dt < 3200);
	assert_string_equal(c.id, "d1");
	assert_string_equal(c.name, "d1");
	assert_true(c.provisional);
	/* a wait that began 5 s ago: past any deadline */
	t0 = mono_ms();
	assert_int_equal(mon_attr_name(a, &c, clock_ns(CLOCK_BOOTTIME),
				       clock_ns(CLOCK_MONOTONIC) - 5000000000ULL),
			 0);
	assert_true(mono_ms() - t0 < 100);
	mon_attr_free(a);
	sh(bh_asprintf("rm -rf '%s'", d));
	free(root);
	free(d);
}

/* A cgroup made under the hierarchy mounted at hier (NAME under it),
 * its kernfs id; 0 when it cannot be made (not root, no such hierarchy). */
static uint64_t real_cgroup(const char *hier, const char *name)
{
	char *p = bh_asprintf("%s/%s", hier, name);
	uint64_t id = 0;

	if (mkdir(p, 0755) == 0)
		id = dir_id(p);
	free(p);
	return id;
}

static void real_cgroup_rm(const char *hier, const char *name)
{
	char *p = bh_asprintf("%s/%s", hier, name);

	rmdir(p);
	free(p);
}

/*
 * A runc container whose state directory is made and deleted before the
 * attribution reads the watch (runc run of one action on a loaded host):
 * its records' ids are no container's, but the mkdir of its cgroups (noted
 * as the BPF record would) has a path whose component is the ID the watch
 * named: that container, its runtime, provisional. A path whose components
 * name no directory the watch saw (a systemd service, conmon's scope of a
 * seen ID) stays the host's; a sub-cgroup's path under the container's
 * names it. Fails without the mkdir's path (the ids are the host's).
 */
static void attr_mkdir_path_names_a_gone_container(void **state)
{
	char *d = unit_mktmp(), *root = bh_asprintf("%s/root", d);
	char *id = bh_asprintf("bh-unit-%d-c1", (int)getpid());
	char *svc = bh_asprintf("/system.slice/bh-unit-%d.service", (int)getpid());
	char *conmon = bh_asprintf("/machine.slice/libpod-conmon-%s.scope", id);
	char *sub = bh_asprintf("/system.slice/docker-%s.scope/sub", id);
	char *path = bh_asprintf("/%s", id);
	struct bh_ctr_opts co = { .root = root, .docker_socket = "", .podman_socket = "" };
	struct bh_mon_container c;
	struct mon_attr *a = NULL;
	uint64_t cg2, pids;
	bool real;

	(void)state;
	sh(bh_asprintf("cp -a " FIXTURE " '%s' && mkdir -p '%s'/run/runc", root, root));
	pids = real_cgroup("/sys/fs/cgroup/pids", id);
	cg2 = real_cgroup("/sys/fs/cgroup/unified", id);
	real = pids > 1 && cg2 > 1;
	if (!real) {
		/* no cgroup v1 pids and cgroup2 hierarchies to make one in: a
		 * directory's ids stand in (the attribution only keys on them) */
		real_cgroup_rm("/sys/fs/cgroup/pids", id);
		real_cgroup_rm("/sys/fs/cgroup/unified", id);
		ctr_cgroup_ids(root, id, &cg2, &pids);
	}
	assert_int_equal(
		mon_attr_new(&(struct mon_attr_opts){ .copts = &co, .no_threads = true }, &a), 0);
	/* runc: the cgroups made (the BPF notes, in the ring before the
	 * container's records), its state directory made and deleted before
	 * the watch is read */
	mon_attr_note_cgroup(a, pids, true, path);
	mon_attr_note_cgroup(a, cg2, false, path);
	mon_attr_note_cgroup(a, 7000001, false, svc);
	mon_attr_note_cgroup(a, 7000002, false, conmon);
	mon_attr_note_cgroup(a, 7000003, false, sub);
	sh(bh_asprintf("mkdir '%s'/run/runc/%s && echo '{}' > '%s'/run/runc/%s/state.json && "
		       "rm -rf '%s'/run/runc/%s",
		       root, id, root, id, root, id));
	mon_attr_get(a, cg2, pids, false, 0, &c);
	assert_string_equal(c.id, id);
	assert_string_equal(c.runtime, "runc");
	assert_false(c.provisional); /* plain runc's: no engine names to wait for */
	assert_int_equal(mon_attr_by_mkdir(a), 1);
	/* found again (the cache, the grace list), not counted again */
	mon_attr_get(a, cg2, pids, true, 0, &c);
	assert_string_equal(c.id, id);
	assert_int_equal(mon_attr_by_mkdir(a), 1);
	/* a sub-cgroup made under the container's scope */
	mon_attr_get(a, 7000003, 0, false, 0, &c);
	assert_string_equal(c.id, id);
	/* dockerd's scope: its names come with a full list, its alerts wait
	 * for them (the naming stage) */
	assert_true(c.provisional);
	assert_int_equal(mon_attr_by_mkdir(a), 2);
	/* no watched directory named: the host */
	mon_attr_get(a, 7000001, 0, false, 0, &c);
	assert_string_equal(c.id, "");
	mon_attr_get(a, 7000002, 0, false, 0, &c);
	assert_string_equal(c.id, "");
	/* an id never noted: the host */
	mon_attr_get(a, 7000004, 0, false, 0, &c);
	assert_string_equal(c.id, "");
	assert_int_equal(mon_attr_by_mkdir(a), 2);
	mon_attr_free(a);
	if (real) {
		real_cgroup_rm("/sys/fs/cgroup/pids", id);
		real_cgroup_rm("/sys/fs/cgroup/unified", id);
	}
	sh(bh_asprintf("rm -rf '%s'", d));
	free(path);
	free(sub);
	free(conmon);
	free(svc);
	free(id);
	free(root);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attr_provisional_replaced_by_full_list),
		cmocka_unit_test(attr_state_gone_while_list_held_up),
		cmocka_unit_test(attr_quick_reads_keep_gone_containers),
		cmocka_unit_test(attr_get_reads_the_watch_itself),
		cmocka_unit_test(attr_watch_read_while_lock_held),
		cmocka_unit_test(attr_naming_lists_past_the_floor),
		cmocka_unit_test(attr_naming_gives_up_at_the_deadline),
		cmocka_unit_test(attr_mkdir_path_names_a_gone_container),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
