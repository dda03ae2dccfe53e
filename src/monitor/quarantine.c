/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Quarantine: freeze a container, cut its network (quarantine_nft.c), keep a
 * record under the state directory, release on command. See
 * include/bulkhead/quarantine.h for the order and why.
 *
 * Records: <state_dir>/<id>.json (their JSON: quarantine_record.c), written
 * atomically, one per container; the directory's flock serialises applies and
 * releases. Records are files anyone with access to the directory could have
 * written: only regular files are read (never a FIFO), bounded; release and
 * find open <id>.json itself, list says when it stopped at its cap. Everything
 * a record says about the live container is checked again before it is acted
 * on: the same init by pid and start time; its live freezer cgroup is the
 * record's; the inventory's container of the record's ID has that init and
 * that freezer (the one apply would find); the same network namespace by
 * inode. Release refuses when any of that does not hold.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/quarantine.h"
#include "containers_internal.h"
#include "quarantine_internal.h"
#include "banned.h"

#define REASON_MAX   1024
#define LOCK_WAIT_MS 30000

static const char *state_dir(const struct bh_quar_opts *o)
{
	return o && o->state_dir && *o->state_dir ? o->state_dir : BH_QUAR_STATE_DIR;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The state directory, made if missing, locked exclusively. Returns its fd.
 * The wait is bounded: a holder stuck for LOCK_WAIT_MS is an error, not a hang
 * of every apply (the monitor's detection) behind it.
 */
static int lock_dir(const char *dir, bool create, struct bh_error **err)
{
	uint64_t end;
	int fd;

	if (create && bh_mkdirs(dir, 0755, 0700, err) < 0)
		return bh_error_prefix(err, "quarantine: state directory %s", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_sys(err, errno, "quarantine: state directory %s", dir);
	end = bh_mono_ns() + (uint64_t)LOCK_WAIT_MS * 1000000u;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts = { 0, 5000000 };

		if (errno != EINTR && errno != EWOULDBLOCK) {
			bh_error_sys(err, errno, "quarantine: locking %s", dir);
			close(fd);
			return -1;
		}
		if (bh_mono_ns() > end) {
			bh_error_set(err, BH_ERR_IO,
				     "quarantine: %s is locked by another process for over %d s",
				     dir, LOCK_WAIT_MS / 1000);
			close(fd);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return fd;
}

/* ---- the freezer ------------------------------------------------------------------ */

struct freezer {
	char *file;   /* freezer.state (v1) or cgroup.freeze (v2) */
	char *events; /* v2: cgroup.events, where "frozen 1" says it is done */
	bool v2;
};

static void freezer_release(struct freezer *f)
{
	free(f->file);
	free(f->events);
	memset(f, 0, sizeof(*f));
}

static bool path_safe(const char *p)
{
	return p[0] == '/' && !strstr(p, "/../") && !bh_str_has_suffix(p, "/..");
}

/*
 * The freezer of c's cgroups: the v1 freezer hierarchy, else its own cgroup2
 * directory (not the root) when that has cgroup.freeze.
 */
static int freezer_find(const struct bh_ctr *c, struct freezer *f, struct bh_error **err)
{
	struct ctr_mounts m = { 0 };
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = -1;

	memset(f, 0, sizeof(*f));
	if (rootfd < 0)
		return bh_error_sys(err, errno, "quarantine: /");
	ctr_mounts_load(rootfd, &m);
	for (int v2 = 0; v2 < 2 && !f->file; v2++) {
		for (size_t i = 0; i < c->ncgroups && !f->file; i++) {
			const struct bh_ctr_cgroup *g = &c->cgroups[i];
			const struct ctr_mnt *x;
			const char *rel = g->path;
			char *file;

			if (v2 ? *g->controller != 0 : !ctr_ctl_covers(g->controller, "freezer"))
				continue;
			x = ctr_mount_of(&m, g->controller);
			if (!x || !path_safe(g->path))
				continue;
			if (strcmp(x->root, "/") && bh_str_has_prefix(rel, x->root))
				rel += strlen(x->root);
			if (v2 && (!*rel || !strcmp(rel, "/")))
				continue; /* the root: not the container's own */
			file = bh_asprintf("%s%s/%s", x->dir, rel,
					   v2 ? "cgroup.freeze" : "freezer.state");
			if (access(file, W_OK) < 0) {
				free(file);
				continue;
			}
			f->file = file;
			f->v2 = v2;
			if (v2)
				f->events = bh_asprintf("%s%s/cgroup.events", x->dir, rel);
		}
	}
	if (!f->file)
		bh_error_set(
			err, BH_ERR_UNSUPPORTED,
			"quarantine: container %s has no freezer (no v1 freezer cgroup, no cgroup2 "
			"directory of its own)",
			c->id);
	else
		r = 0;
	ctr_mounts_release(&m);
	close(rootfd);
	return r;
}

/* 1 frozen (done), 0 not (thawed or still freezing), -1 unreadable (gone). */
static int freezer_state(const struct freezer *f, bool *requested)
{
	char v[512];

	if (requested)
		*requested = false;
	if (!f->v2) {
		if (bh_read_small(f->file, v, sizeof(v)) < 0)
			return -1;
		if (requested)
			*requested = !bh_str_has_prefix(v, "THAWED");
		return bh_str_has_prefix(v, "FROZEN");
	}
	if (bh_read_small(f->file, v, sizeof(v)) < 0)
		return -1;
	if (requested)
		*requested = v[0] == '1';
	if (bh_read_small(f->events, v, sizeof(v)) < 0)
		return -1;
	return strstr(v, "frozen 1") != NULL;
}

static int freezer_set(const struct freezer *f, bool on, struct bh_error **err)
{
	if (bh_write_small(f->file, f->v2 ? (on ? "1" : "0") : (on ? "FROZEN" : "THAWED"), err) < 0)
		return bh_error_prefix(err, "quarantine");
	return 0;
}

/* Wait for FROZEN (v1 is asked again now and then, as runc does). */
static int freezer_wait(const struct freezer *f, unsigned timeout_ms, struct bh_error **err)
{
	uint64_t end = bh_mono_ns() + (uint64_t)timeout_ms * 1000000u,
		 next_ask = bh_mono_ns() + 50000000u;
	long nap = 50000;

	for (;;) {
		int s = freezer_state(f, NULL);
		struct timespec ts = { 0, 0 };

		if (s == 1)
			return 0;
		if (s < 0)
			return bh_error_set(err, BH_ERR_NOTFOUND,
					    "quarantine: the container's cgroup is gone (%s)",
					    f->file);
		if (bh_mono_ns() > end)
			return bh_error_set(err, BH_ERR_IO,
					    "quarantine: the container did not freeze within %u ms",
					    timeout_ms);
		if (!f->v2 && bh_mono_ns() > next_ask) {
			bh_write_small(f->file, "FROZEN", NULL);
			next_ask = bh_mono_ns() + 50000000u;
		}
		ts.tv_nsec = nap;
		nanosleep(&ts, NULL);
		if (nap < 1000000)
			nap *= 2;
	}
}

/* ---- the init and its network namespace --------------------------------------------- */

/* The start time of pid (ctr_proc_start_time reads inside a root: the host's). */
static int start_time(pid_t pid, uint64_t *out)
{
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), r;

	if (rootfd < 0)
		return -1;
	r = ctr_proc_start_time(rootfd, pid, out);
	close(rootfd);
	return r;
}

/* A zombie keeps its pid and start time, but no namespaces: it is gone. */
static bool zombie(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (bh_read_small(path, buf, sizeof(buf)) < 0)
		return true;
	p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X' || p[2] == 'x';
}

static bool same_init(pid_t pid, uint64_t start)
{
	uint64_t now = 0;

	return pid > 0 && start_time(pid, &now) == 0 && now == start && !zombie(pid);
}

/*
 * Open the network namespace of the init (pid, start), checking after the
 * open that it is still that process. *host: the namespace is the host's
 * (pid 1's) or this process's own.
 */
static int netns_open(pid_t pid, uint64_t start, uint64_t *ino, bool *host, struct bh_error **err)
{
	static const char *const mine[] = { "/proc/1/ns/net", "/proc/self/ns/net",
					    "/proc/thread-self/ns/net" };
	char path[64];
	struct stat st, hs;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "quarantine: the container's init %d is gone", (int)pid);
	if (fd < 0)
		return bh_error_sys(err, errno, "quarantine: %s", path);
	if (fstat(fd, &st) < 0 || !same_init(pid, start)) {
		close(fd);
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "quarantine: the container's init %d is gone", (int)pid);
	}
	*ino = (uint64_t)st.st_ino;
	*host = false;
	for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++)
		if (stat(mine[i], &hs) == 0 && hs.st_ino == st.st_ino && hs.st_dev == st.st_dev)
			*host = true;
	return fd;
}

/* 1 when the quarantine tables are in the namespace nsfd, 0 not, -1 error. */
static int net_check(int nsfd, struct bh_error **err)
{
	int s = quar_nl_socket_in(nsfd, err), r;

	if (s < 0)
		return -1;
	r = quar_nft_check(s, err);
	close(s);
	return r;
}

static int net_set(int nsfd, bool cut, struct bh_error **err)
{
	int s = quar_nl_socket_in(nsfd, err), r;

	if (s < 0)
		return -1;
	r = cut ? quar_nft_cut(s, err) : quar_nft_uncut(s, err);
	close(s);
	return r;
}

/* ---- finding the container -------------------------------------------------------- */

static int find_ctr(const struct bh_ctr_list *l, const char *ref, const struct bh_ctr **out,
		    struct bh_error **err)
{
	const struct bh_ctr *hit = NULL;
	struct bh_buf names = BH_BUF_INIT(1024);
	size_t n = 0, rl = strlen(ref);
	int r;

	*out = NULL;
	for (size_t i = 0; i < l->n; i++) { /* an exact ID, then an exact name */
		if (!strcmp(l->v[i].id, ref)) {
			*out = &l->v[i];
			return 0;
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct bh_ctr *c = &l->v[i];

		if (!strncmp(c->id, ref, rl) || (c->name && !strcmp(c->name, ref))) {
			if (hit == c)
				continue;
			if (n < 5)
				bh_buf_addf(&names, NULL, "%s%s (%s)", n ? ", " : "", c->id,
					    bh_ctr_engine_name(c->engine));
			hit = c;
			n++;
		}
	}
	if (n == 1) {
		*out = hit;
		r = 0;
	} else if (!n) {
		r = bh_error_set(err, BH_ERR_NOTFOUND,
				 "quarantine: no container with the ID, ID prefix or name \"%s\"",
				 ref);
	} else {
		r = bh_error_set(err, BH_ERR_USAGE,
				 "quarantine: \"%s\" is ambiguous: %zu containers match (%s%s)",
				 ref, n, names.data ? names.data : "", n > 5 ? ", …" : "");
	}
	bh_buf_release(&names);
	return r;
}

/* ---- apply ------------------------------------------------------------------------- */

int bh_quar_apply(const struct bh_quar_opts *o, const char *ref, const char *reason,
		  struct bh_quar_record **out, struct bh_error **err)
{
	uint64_t t0 = bh_mono_ns(), r0 = real_ns(), t_found = 0, t_asked = 0, t_cut = 0;
	const char *dir = state_dir(o);
	struct bh_ctr_list *own = NULL;
	const struct bh_ctr_list *l = o ? o->inventory : NULL;
	const struct bh_ctr *c;
	struct bh_quar_record prev = { 0 }, *rec = bh_calloc(1, sizeof(*rec));
	struct freezer fz = { 0 };
	unsigned timeout = o && o->freeze_timeout_ms ? o->freeze_timeout_ms : 2000;
	bool host = false, requested = false, froze = false, cut = false, had_cut = false;
	struct quar_cut_job *job = NULL;
	struct bh_error *ferr = NULL;
	struct quar_boost boost = { 0 };
	int dfd = -1, nsfd = -1, ret = -1, have_prev, r;

	if (out)
		*out = NULL;
	if (!ref || !*ref) {
		bh_error_set(err, BH_ERR_USAGE, "quarantine: no container ID");
		goto out;
	}
	if (reason && strlen(reason) > REASON_MAX) {
		bh_error_set(err, BH_ERR_LIMIT, "quarantine: the reason is over %d bytes",
			     REASON_MAX);
		goto out;
	}
	quar_boost_on(&boost);
	dfd = lock_dir(dir, true, err);
	if (dfd < 0)
		goto out;
	if (!l) {
		if (bh_ctr_list(o ? o->ctr : NULL, &own, err) < 0)
			goto out;
		l = own;
	}
	if (find_ctr(l, ref, &c, &ferr) < 0) {
		/* what the inventory could not read may be why (a permission) */
		char hint[128] = "";

		/* a permission is the likely reason when not root (a runtime's
		 * state, or a private directory beside it, can be 0700) */
		if (geteuid() != 0)
			snprintf(hint, sizeof(hint),
				 " (running as uid %u: the runtimes' state and the containers' "
				 "cgroups and namespaces need root)",
				 (unsigned)geteuid());
		if (ferr->code == BH_ERR_NOTFOUND && l->nwarnings) {
			char *m = bh_error_message(ferr);

			bh_error_set(err, BH_ERR_NOTFOUND,
				     "%s; the inventory could not read everything: %s%s%s", m,
				     l->warnings[0], l->nwarnings > 1 ? " (and more)" : "", hint);
			free(m);
			bh_error_free(ferr);
		} else if (ferr->code == BH_ERR_NOTFOUND && *hint) {
			char *m = bh_error_message(ferr);

			bh_error_set(err, BH_ERR_NOTFOUND, "%s%s", m, hint);
			free(m);
			bh_error_free(ferr);
		} else if (err && !*err) {
			*err = ferr;
		} else {
			bh_error_free(ferr);
		}
		goto out;
	}
	if (!quar_id_ok(c->id)) {
		bh_error_set(err, BH_ERR_UNSAFE,
			     "quarantine: container ID \"%s\" cannot name a record", c->id);
		goto out;
	}
	if (c->pid <= 0 || !strcmp(c->status ? c->status : "", "stopped")) {
		bh_error_set(err, BH_ERR_NOTFOUND, "quarantine: container %s is stopped", c->id);
		goto out;
	}
	rec->id = bh_strdup(c->id);
	rec->name = bh_strdup(c->name ? c->name : c->id);
	rec->engine = c->engine;
	rec->pid = c->pid;
	rec->pid_start = c->pid_start;
	if (!rec->pid_start && start_time(c->pid, &rec->pid_start) < 0) {
		bh_error_set(err, BH_ERR_NOTFOUND, "quarantine: container %s: its init is gone",
			     c->id);
		goto out;
	}
	have_prev = quar_record_read(dfd, rec->id, &prev, NULL);
	if (have_prev == 1 && (prev.pid != rec->pid || prev.pid_start != rec->pid_start)) {
		bh_quar_record_release(&prev); /* an earlier container of the same ID */
		have_prev = 0;
	}
	nsfd = netns_open(rec->pid, rec->pid_start, &rec->netns, &host, err);
	if (nsfd < 0) {
		/* say which container (NOTFOUND: it exited since the inventory was read) */
		if (err && *err && (*err)->code == BH_ERR_NOTFOUND)
			bh_error_prefix(err, "container %s exited", rec->id);
		else
			bh_error_prefix(err, "container %s", rec->id);
		goto out;
	}
	if (freezer_find(c, &fz, err) < 0)
		goto out;
	if (!quar_utf8_ok(fz.file)) { /* a record could not hold it: refused before acting */
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "quarantine: container %s: its freezer path is not UTF-8", rec->id);
		goto out;
	}
	rec->freezer = bh_strdup(fz.file);
	if (freezer_state(&fz, &requested) < 0) {
		bh_error_set(err, BH_ERR_NOTFOUND, "quarantine: container %s: its cgroup is gone",
			     rec->id);
		goto out;
	}
	rec->was_frozen = have_prev == 1 ? prev.was_frozen : requested;
	rec->net = host ? BH_QUAR_NET_HOST : BH_QUAR_NET_CUT;
	if (!host && have_prev == 1 && prev.net == BH_QUAR_NET_CUT && prev.netns == rec->netns)
		had_cut = net_check(nsfd, NULL) == 1;
	t_found = bh_mono_ns();
	/* 1. the cut starts on its own thread (never the host's network) ... */
	if (!host && !(job = quar_cut_start(nsfd, err)))
		goto out;
	/* 2. ... while this one asks the freezer (a v1 write that takes milliseconds) */
	if (!requested) {
		if (freezer_set(&fz, true, err) < 0)
			goto undo;
		froze = true;
	}
	t_asked = bh_mono_ns();
	if (job) {
		r = quar_cut_join(job, err);
		job = NULL;
		/* attempted: the batch may have committed before its acks failed, so
		 * undo removes the tables whatever the join said */
		cut = !had_cut;
		if (r < 0)
			goto undo;
	}
	t_cut = bh_mono_ns();
	/* 3. frozen, and still the same container */
	if (freezer_wait(&fz, timeout, err) < 0)
		goto undo;
	if (!same_init(rec->pid, rec->pid_start)) {
		bh_error_set(err, BH_ERR_NOTFOUND, "quarantine: container %s exited", rec->id);
		goto undo;
	}
	rec->apply_ns = bh_mono_ns() - t0;
	rec->contained_ns = r0 + rec->apply_ns; /* one clock read: the same instant */
	rec->apply_start_ns = r0;
	rec->event_ns = o ? o->event_ns : 0;
	bh_debug("quarantine %s: found %.2f ms, freeze asked %.2f ms, cut done %.2f ms, frozen "
		 "%.2f ms",
		 rec->id, (double)(t_found - t0) / 1e6, (double)(t_asked - t0) / 1e6,
		 (double)(t_cut - t0) / 1e6, (double)rec->apply_ns / 1e6);
	if (have_prev == 1) {
		rec->again = true;
		rec->apply_ns = prev.apply_ns;
		rec->event_ns = prev.event_ns;
		rec->apply_start_ns = prev.apply_start_ns;
		rec->contained_ns = prev.contained_ns;
		free(rec->time);
		rec->time = prev.time;
		prev.time = NULL;
		rec->reason = prev.reason;
		prev.reason = NULL;
	} else {
		struct timespec ts;
		char tb[BH_TIME_MAX];

		clock_gettime(CLOCK_REALTIME, &ts);
		rec->time = bh_strdup(bh_time_rfc3339(&ts, 3, tb));
		rec->reason = bh_strdup(reason ? reason : "");
	}
	quar_boost_off(&boost); /* the record's fsync needs no CPU ahead of others */
	if (quar_record_write(dir, rec, err) < 0)
		goto undo;
	rec->exists = true;
	rec->frozen = true;
	rec->cut = !host;
	ret = 0;
	goto out;
undo:
	if (job) {
		quar_cut_join(job, NULL);
		cut = !had_cut; /* attempted: removed whether or not it said it worked */
		job = NULL;
	}
	if (cut)
		net_set(nsfd, false, NULL);
	if (froze)
		freezer_set(&fz, false, NULL);
	bh_error_prefix(err, "quarantine %s (undone)", rec->id);
out:
	quar_boost_off(&boost);
	if (ret == 0 && out) {
		*out = rec;
		rec = NULL;
	}
	bh_quar_record_free(rec);
	bh_quar_record_release(&prev);
	freezer_release(&fz);
	if (nsfd >= 0)
		close(nsfd);
	if (dfd >= 0)
		close(dfd); /* drops the lock */
	bh_ctr_list_free(own);
	return ret;
}

/* ---- list and release -------------------------------------------------------------- */

/* The freezer of the live init pid, from its /proc/PID/cgroup. */
static int live_freezer(pid_t pid, struct freezer *fz, struct bh_error **err)
{
	struct bh_ctr c = { 0 };
	struct bh_buf b = BH_BUF_INIT(CTR_CGROUP_MAX);
	char path[64];
	int r = -1;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	c.id = bh_strdup("?");
	if (bh_read_file(path, &b, err) == 0 &&
	    bh_ctr_parse_proc_cgroup(b.data ? b.data : "", b.len, &c, err) == 0)
		r = freezer_find(&c, fz, err);
	bh_buf_release(&b);
	bh_ctr_release(&c);
	return r;
}

/* exists / frozen / cut of r, checked now. */
static void verify(struct bh_quar_record *r)
{
	struct freezer fz = { 0 };
	uint64_t ino = 0;
	bool host = false;
	int nsfd;

	r->exists = same_init(r->pid, r->pid_start);
	r->frozen = r->cut = false;
	if (!r->exists)
		return;
	/* frozen: the record's freezer, which must be the init's live one */
	if (live_freezer(r->pid, &fz, NULL) == 0 && r->freezer && !strcmp(fz.file, r->freezer))
		r->frozen = freezer_state(&fz, NULL) == 1;
	freezer_release(&fz);
	if (r->net != BH_QUAR_NET_CUT)
		return;
	nsfd = netns_open(r->pid, r->pid_start, &ino, &host, NULL);
	if (nsfd < 0)
		return;
	if (ino == r->netns && !host)
		r->cut = net_check(nsfd, NULL) == 1;
	close(nsfd);
}

int bh_quar_list(const struct bh_quar_opts *o, struct bh_quar_record **out, size_t *n,
		 struct bh_quar_list_info *info, struct bh_error **err)
{
	const char *dir = state_dir(o);
	int dfd, r;

	*out = NULL;
	*n = 0;
	if (info)
		memset(info, 0, sizeof(*info));
	if (access(dir, F_OK) < 0 && errno == ENOENT)
		return 0; /* nothing was ever quarantined */
	dfd = lock_dir(dir, false, err);
	if (dfd < 0)
		return -1;
	r = quar_record_read_all(dfd, out, n, info, err);
	for (size_t i = 0; r == 0 && i < *n; i++)
		verify(&(*out)[i]);
	close(dfd);
	return r;
}

int bh_quar_find(const struct bh_quar_opts *o, const char *id, struct bh_quar_record **out,
		 struct bh_error **err)
{
	const char *dir = state_dir(o);
	struct bh_quar_record r;
	int dfd, got;

	if (out)
		*out = NULL;
	/* records this user cannot read: none of its containers can be quarantined
	 * (quarantine needs root) */
	if (access(dir, R_OK | X_OK) < 0 && (errno == EACCES || errno == ENOENT))
		return 0;
	if (!id || !quar_id_ok(id))
		return 0; /* an ID no record can be named after */
	dfd = lock_dir(dir, false, err);
	if (dfd < 0)
		return -1;
	/* its own file, whatever else the directory holds; a file there that is
	 * not a record is an error: the caller must not take it for "none" */
	got = quar_record_read(dfd, id, &r, err);
	close(dfd);
	if (got <= 0)
		return got;
	verify(&r);
	if (out) {
		*out = bh_calloc(1, sizeof(**out));
		**out = r;
	} else {
		bh_quar_record_release(&r);
	}
	return 1;
}

/*
 * Before release acts on the live init r->pid (the same pid and start time as
 * the record's): that process must be the container the record names. Its
 * live freezer is the record's; the inventory's container r->id has that init
 * and that freezer (the one apply found for it). 0 when so, with *fz the
 * freezer; otherwise an error and nothing is touched.
 */
static int release_check(const struct bh_quar_opts *o, const struct bh_quar_record *r,
			 struct freezer *fz, struct bh_error **err)
{
	struct bh_ctr_list *own = NULL;
	const struct bh_ctr_list *l = o ? o->inventory : NULL;
	const struct bh_ctr *c = NULL;
	struct freezer cf = { 0 };
	int ret = -1;

	if (live_freezer(r->pid, fz, err) < 0) {
		bh_error_prefix(err, "quarantine: the init %d of %s", (int)r->pid, r->id);
		goto out;
	}
	if (!r->freezer || strcmp(fz->file, r->freezer)) {
		bh_error_set(
			err, BH_ERR_UNSAFE,
			"quarantine: the record of %s names the freezer %s, but its init %d is "
			"in %s: refusing to act on a process the record does not describe",
			r->id, r->freezer ? r->freezer : "(none)", (int)r->pid, fz->file);
		goto out;
	}
	if (!l) {
		if (bh_ctr_list(o ? o->ctr : NULL, &own, err) < 0)
			goto out;
		l = own;
	}
	for (size_t i = 0; i < l->n && !c; i++)
		if (!strcmp(l->v[i].id, r->id))
			c = &l->v[i];
	if (!c) {
		bh_error_set(err, BH_ERR_UNSAFE,
			     "quarantine: no container %s in the inventory%s%s: its init %d cannot "
			     "be tied to the record, refusing to thaw it (its freezer: %s)",
			     r->id, l->nwarnings ? ", which could not read everything: " : "",
			     l->nwarnings ? l->warnings[0] : "", (int)r->pid, r->freezer);
		goto out;
	}
	if (c->pid != r->pid || (c->pid_start && c->pid_start != r->pid_start)) {
		bh_error_set(err, BH_ERR_UNSAFE,
			     "quarantine: container %s's init is pid %d, not the record's %d: "
			     "refusing to act on it",
			     r->id, (int)c->pid, (int)r->pid);
		goto out;
	}
	if (freezer_find(c, &cf, err) < 0)
		goto out;
	if (strcmp(cf.file, r->freezer)) {
		bh_error_set(err, BH_ERR_UNSAFE,
			     "quarantine: container %s's freezer is %s, not the record's %s: "
			     "refusing to act on it",
			     r->id, cf.file, r->freezer);
		goto out;
	}
	ret = 0;
out:
	freezer_release(&cf);
	bh_ctr_list_free(own);
	return ret;
}

/*
 * The record release means by ref: its own file when ref is a whole ID, else
 * the one record whose ID starts with ref or whose name is ref. 0 with *r.
 */
static int release_find(int dfd, const char *ref, struct bh_quar_record *r, struct bh_error **err)
{
	struct bh_quar_list_info info;
	struct bh_quar_record *v = NULL;
	size_t n = 0, hits = 0, hit = 0, rl = strlen(ref);
	int got = quar_id_ok(ref) ? quar_record_read(dfd, ref, r, err) : 0, ret = -1;

	if (got != 0)
		return got == 1 ? 0 : -1;
	if (quar_record_read_all(dfd, &v, &n, &info, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(v[i].id, ref, rl) || (v[i].name && !strcmp(v[i].name, ref))) {
			hit = i;
			hits++;
		}
	}
	if (info.truncated) {
		/* a prefix or a name could match one of those not read */
		bh_error_set(err, BH_ERR_LIMIT,
			     "quarantine: over %d records: give the whole ID of the container to "
			     "release (\"%s\" is none)",
			     QUAR_RECORDS_MAX, ref);
	} else if (!hits) {
		bh_error_set(err, BH_ERR_NOTFOUND, "quarantine: no quarantined container \"%s\"",
			     ref);
	} else if (hits > 1) {
		bh_error_set(err, BH_ERR_USAGE,
			     "quarantine: \"%s\" is ambiguous: %zu quarantined containers match",
			     ref, hits);
	} else {
		*r = v[hit];
		memset(&v[hit], 0, sizeof(v[hit]));
		ret = 0;
	}
	bh_quar_records_free(v, n);
	return ret;
}

int bh_quar_release(const struct bh_quar_opts *o, const char *ref, struct bh_error **err)
{
	const char *dir = state_dir(o);
	struct bh_quar_record rec = { 0 }, *r = &rec;
	struct freezer fz = { 0 };
	int dfd = -1, ret = -1;

	if (!ref || !*ref)
		return bh_error_set(err, BH_ERR_USAGE, "quarantine: no container ID");
	if (access(dir, F_OK) < 0 && errno == ENOENT)
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "quarantine: no quarantined container \"%s\"", ref);
	dfd = lock_dir(dir, false, err);
	if (dfd < 0)
		return -1;
	if (release_find(dfd, ref, r, err) < 0)
		goto out;
	if (same_init(r->pid, r->pid_start)) {
		/* nothing is touched unless the init is the record's container */
		if (release_check(o, r, &fz, err) < 0)
			goto out;
		if (r->net == BH_QUAR_NET_CUT) {
			uint64_t ino = 0;
			bool host = false;
			int nsfd = netns_open(r->pid, r->pid_start, &ino, &host, err);

			if (nsfd < 0)
				goto out;
			if (ino == r->netns && !host && net_set(nsfd, false, err) < 0) {
				close(nsfd);
				goto out;
			}
			close(nsfd);
		}
		if (!r->was_frozen && freezer_set(&fz, false, err) < 0)
			goto out;
		ret = 0;
	} else {
		ret = 1; /* exited while quarantined: only the record is left */
	}
	{
		char *name = bh_asprintf("%s.json", r->id);

		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
			bh_error_sys(err, errno, "quarantine: removing the record %s/%s", dir,
				     name);
			ret = -1;
		}
		free(name);
	}
out:
	if (ret < 0)
		bh_error_prefix(err, "release %s", ref);
	freezer_release(&fz);
	bh_quar_record_release(&rec);
	if (dfd >= 0)
		close(dfd);
	return ret;
}

int bh_quar_monitor_action(void *data, const char *container_id, const struct bh_mon_event *ev,
			   struct bh_error **err)
{
	struct bh_quar_opts lo = *(const struct bh_quar_opts *)data;
	struct bh_quar_record *r = NULL;
	char reason[BH_MON_PATH_MAX + 128];
	int rc;

	snprintf(reason, sizeof(reason), "monitor: %s by pid %u (%s)",
		 bh_mon_type_name(ev->type) ? bh_mon_type_name(ev->type) : "event", ev->proc.pid,
		 ev->proc.exe[0] ? ev->proc.exe : ev->proc.comm);
	lo.event_ns = ev->ts_ns;
	rc = bh_quar_apply(&lo, container_id, reason, &r, err);
	bh_quar_record_free(r);
	return rc < 0 ? -1 : 0;
}
