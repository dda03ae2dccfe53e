/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guard's decisions (include/bulkhead/guard.h): each fanotify permission
 * event read (bh_guard_poll, bh_guard_run), attributed to its watch by the
 * mount id of its fd, decided (zero-drift, allow_exec, deny_open, the
 * caller's decide function) and answered; what guard.c's header says of
 * decisions holds here. The group, its marks and its watches are guard.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "monitor/guard_internal.h"
#include "monitor/guard_struct.h"
#include "banned.h"

/* ---- decisions ------------------------------------------------------------------------ */

/* Is rel (relative to the mount) present in the upper directory? */
static bool in_upper(int upperfd, const char *rel)
{
	struct stat st;
	int fd;

	while (*rel == '/')
		rel++;
	if (!*rel)
		return false;
	fd = bh_root_openat(upperfd, rel, O_PATH | O_NOFOLLOW, 0, NULL);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || (S_ISCHR(st.st_mode) && st.st_rdev == 0)) {
		close(fd); /* a whiteout: not a file of the upper layer */
		return false;
	}
	close(fd);
	return true;
}

int grd_drift(const struct grd_drift_in *in, const char **why)
{
	if (in->tmpfs) {
		*why = "tmpfs";
		return 1;
	}
	if (in->in_upper) {
		*why = "upperdir";
		return 1;
	}
	if (in->ctime.tv_sec > in->started.tv_sec ||
	    (in->ctime.tv_sec == in->started.tv_sec && in->ctime.tv_nsec > in->started.tv_nsec)) {
		*why = "written after start";
		return 1;
	}
	*why = NULL;
	return 0;
}

static bool strv_has(char *const *v, const char *s)
{
	return v && bh_strv_contains(v, s);
}

/* The process of thread tid (itself when /proc does not say: it is gone). */
static pid_t tgid_of(const struct bh_guard *g, pid_t tid)
{
	char path[PATH_MAX], buf[512], *l;
	ssize_t n;
	int fd, tgid;

	snprintf(path, sizeof(path), "%s/proc/%d/status", g->root, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tid;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return tid;
	buf[n] = 0;
	if ((l = strstr(buf, "\nTgid:\t")) && sscanf(l, "\nTgid:\t%d", &tgid) == 1 && tgid > 0)
		return tgid;
	return tid;
}

/* Is path under one of prefixes (string prefixes)? */
static bool under_prefix(char *const *prefixes, const char *path)
{
	for (size_t i = 0; prefixes[i]; i++)
		if (!strncmp(path, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

enum bh_guard_verdict grd_names_unsure_verdict(int r, bool fail_closed, enum bh_guard_verdict v,
					       const char **reason)
{
	if (v != BH_GUARD_ALLOW || r >= 0)
		return v;
	if (r == -2) {
		/* fail-open here would let a container empty its own budget to run
		 * a blocked file by a name of its own */
		*reason = BH_GUARD_REASON_NAMES_SPENT;
		return BH_GUARD_DENY;
	}
	if (fail_closed) {
		*reason = "error (fail-closed): its other names not all looked at";
		return BH_GUARD_DENY;
	}
	return v; /* fail-open: decided by the name used */
}

/* Decide one permission event; <0 when the decision itself failed. *unsure:
 * the file's other names were not all looked at (the walk's bounds, or the
 * container's walk budget spent: refused whatever the fail mode). */
static int decide(struct bh_guard *g, const struct fanotify_event_metadata *md,
		  struct bh_guard_event *ev, char *path, size_t pathsz, char *via, bool *unsure)
{
	struct grd_mount *m = NULL;
	struct grd_watch *w;
	struct grd_ident *known = NULL;
	struct grd_ikey k = { 0 };
	bool walked = false; /* path: the name found, via: the name used */
	bool used_refused = false;
	bool spent = false; /* the container's name-walk budget could not pay */
	struct statx sx;
	char link[64];
	ssize_t n;

	ev->op = (md->mask & FAN_OPEN_EXEC_PERM) ? BH_GUARD_EXEC : BH_GUARD_OPEN;
	if (statx(md->fd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_CTIME | STATX_NLINK, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID))
		return -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", md->fd);
	n = readlink(link, path, pathsz - 1);
	if (n < 0)
		return -1;
	path[n] = 0;
	m = bh_map_get(g->by_mnt, (const char *)&sx.stx_mnt_id, 8);
	if (!m)
		return 1; /* nobody's: allow */
	w = m->w;
	ev->ctr_id = w->id;
	ev->path = path;
	/* a blocked file reached by another name (a hard link, a rename of it or
	 * of a directory above it) is decided as the path it was blocked under */
	if (w->ident && grd_ikey_of(md->fd, &k) == 0)
		known = bh_map_get(w->ident, (const char *)&k, sizeof(k));
	if (known && strcmp(known->path, path)) {
		snprintf(via, PATH_MAX, "%s", path);
		snprintf(path, pathsz, "%s", known->path);
		ev->via = via;
	} else if (!known && ev->op == BH_GUARD_EXEC && (sx.stx_mask & STATX_NLINK) &&
		   sx.stx_nlink > 1 && w->deny_exec_prefixes && w->rootfd >= 0 &&
		   !under_prefix(w->deny_exec_prefixes, path)) {
		/* a file of several names run by one outside the rules' prefixes:
		 * decided as its name under one of them, if it has one */
		char found[PATH_MAX];
		struct grd_names_file f = {
			.dev = (uint64_t)makedev(sx.stx_dev_major, sx.stx_dev_minor),
			.ino = sx.stx_ino,
			.nlink = sx.stx_nlink,
			.ctime = { sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec },
		};
		struct grd_names_stats a, b;
		int r;

		grd_names_get_stats(w->names, &a);
		/* without its ctime the file has no key: walked, nothing kept */
		r = w->names && (sx.stx_mask & STATX_CTIME)
			    ? grd_names_find(w->names, w->rootfd,
					     (const char *const *)w->deny_exec_prefixes, &f,
					     bh_mono_ns(), found, sizeof(found))
			    : grd_find_name(w->rootfd, (const char *const *)w->deny_exec_prefixes,
					    f.dev, f.ino, GRD_NAMES_ENTRIES, found, sizeof(found));
		grd_names_get_stats(w->names, &b);
		if (!w->names || !(sx.stx_mask & STATX_CTIME))
			g->st.name_walks++;
		g->st.name_walks += b.walks - a.walks;
		g->st.name_hits += b.hits - a.hits;
		g->st.name_over_budget += b.over_budget - a.over_budget;

		if (r > 0) {
			snprintf(via, PATH_MAX, "%s", path);
			snprintf(path, pathsz, "%s", found);
			ev->via = via;
			walked = true;
		}
		*unsure = r < 0;
		spent = r == -2;
	}
	if (ev->op == BH_GUARD_EXEC) {
		struct grd_drift_in di = { 0 };
		/* the overlay's upper layer holds the name used (another name of
		 * the file is the identity's, maybe a lower file's) */
		const char *rel = ev->via ? ev->via : path;
		size_t pl = strlen(m->point);

		if (strcmp(m->point, "/") && !strncmp(rel, m->point, pl))
			rel += pl;
		di.tmpfs = m->tmpfs;
		di.in_upper = m->upperfd >= 0 && in_upper(m->upperfd, rel);
		di.ctime.tv_sec = sx.stx_ctime.tv_sec;
		di.ctime.tv_nsec = sx.stx_ctime.tv_nsec;
		di.started = w->started;
		ev->drift = grd_drift(&di, &ev->drift_why) > 0;
		if (w->zero_drift && ev->drift) {
			ev->verdict = BH_GUARD_DENY;
			ev->reason = "zero-drift";
		} else if (w->allow_exec && !strv_has(w->allow_exec, walked ? via : path)) {
			ev->verdict = BH_GUARD_DENY;
			ev->reason = "not in the allow list";
		}
	} else if (strv_has(w->deny_open, path)) {
		ev->verdict = BH_GUARD_DENY;
		ev->reason = "a protected file";
	} else {
		return 1; /* another file of the inode's mounts */
	}
	if (w->decide && walked && ev->verdict == BH_GUARD_ALLOW) {
		/* found under another name: refused if EITHER name is, the name used
		 * first (a hard link must not let a file past its own name's rules) */
		ev->path = via;
		ev->via = NULL;
		if (w->decide(ev, w->decide_arg) == BH_GUARD_DENY) {
			snprintf(path, pathsz, "%s", via); /* decided as the name used */
			ev->verdict = BH_GUARD_DENY;
			ev->reason = "callback";
			used_refused = true;
		} else {
			ev->via = via;
		}
		ev->path = path;
	}
	if (w->decide && !used_refused) {
		enum bh_guard_verdict v = w->decide(ev, w->decide_arg);

		if (ev->verdict == BH_GUARD_ALLOW && v == BH_GUARD_DENY)
			ev->reason = "callback";
		else if (ev->op == BH_GUARD_OPEN && v == BH_GUARD_ALLOW)
			ev->reason = "callback";
		if (ev->op == BH_GUARD_OPEN)
			ev->verdict = v;
		else if (v == BH_GUARD_DENY)
			ev->verdict = v;
	}
	if (*unsure) {
		/* another name under a rule's prefix may have been missed */
		if (spent && !w->names_spent_warned) {
			bh_warn("guard: container %s: %s has several links, and the container's "
				"budget for the look for another name of it under the rules' "
				"prefixes (%d entries a second) is spent: refused, whatever the "
				"fail mode (the container spends that budget itself)",
				w->id, path, GRD_NAMES_BUDGET);
			w->names_spent_warned = true;
		} else if (!spent && !w->names_warned) {
			bh_warn("guard: container %s: %s has several links, and the look for "
				"another name of it under the rules' prefixes stopped at its "
				"bounds (%d entries, %d deep): %s",
				w->id, path, GRD_NAMES_ENTRIES, GRD_NAMES_DEPTH,
				g->o.fail_closed ? "refused (fail-closed)"
						 : "decided by the name used (fail-open)");
			w->names_warned = true;
		}
		ev->verdict = grd_names_unsure_verdict(spent ? -2 : -1, g->o.fail_closed,
						       ev->verdict, &ev->reason);
	}
	if (!ev->reason)
		ev->reason = "allowed";
	ev->enforced = w->protect || ev->verdict == BH_GUARD_ALLOW;
	/* its other names are refused too (not a file of many links: busybox's
	 * applets); the table full: said once per container */
	if (ev->verdict == BH_GUARD_DENY && ev->enforced && !known &&
	    (!(sx.stx_mask & STATX_NLINK) || sx.stx_nlink == 1) &&
	    grd_ident_add(w, md->fd, path) < 0 && errno == ENOSPC && !w->ident_full_warned) {
		bh_warn("guard: container %s: %s is refused, but not known by its identity "
			"(the table holds %d): another name of it is decided by that name",
			w->id, path, GRD_MAX_IDENTS);
		w->ident_full_warned = true;
	}
	return 0;
}

static void respond(struct bh_guard *g, int fd, bool deny)
{
	struct fanotify_response resp = { .fd = fd, .response = deny ? FAN_DENY : FAN_ALLOW };

	if (deny && g->audit)
		resp.response |= FAN_AUDIT;
	while (write(g->fd, &resp, sizeof(resp)) < 0 && errno == EINTR)
		;
}

static void handle(struct bh_guard *g, const struct fanotify_event_metadata *md)
{
	struct bh_guard_event ev = { 0 };
	char path[PATH_MAX], via[PATH_MAX];
	uint64_t t0 = bh_mono_ns();
	bool deny = false, unsure = false;
	int r;

	ev.tid = md->pid;
	ev.pid = g->tid ? tgid_of(g, md->pid) : md->pid;
	if (ev.pid == getpid()) {
		respond(g, md->fd, false);
		g->st.events++;
		g->st.allowed++;
		return;
	}
	r = decide(g, md, &ev, path, sizeof(path), via, &unsure);
	if (r == 0 && unsure)
		g->st.errors++; /* decided, but maybe not as the rules would */
	if (r < 0) {
		g->st.errors++;
		deny = g->o.fail_closed;
		ev.verdict = deny ? BH_GUARD_DENY : BH_GUARD_ALLOW;
		ev.enforced = true;
		ev.reason = deny ? "error (fail-closed)" : "error (fail-open)";
		if (!ev.path)
			ev.path = "?";
	} else if (r > 0) {
		g->st.unknown++;
	} else {
		deny = ev.verdict == BH_GUARD_DENY && ev.enforced;
		if (ev.verdict == BH_GUARD_DENY && !ev.enforced)
			g->st.would_deny++;
	}
	respond(g, md->fd, deny);
	ev.decide_ns = bh_mono_ns() - t0;
	if (ev.decide_ns > g->st.max_decide_ns)
		g->st.max_decide_ns = ev.decide_ns;
	g->st.events++;
	if (deny)
		g->st.denied++;
	else
		g->st.allowed++;
	if (r <= 0 && g->o.report && (r < 0 || ev.verdict == BH_GUARD_DENY || g->o.report_allowed))
		g->o.report(&ev, g->o.report_arg);
}

int bh_guard_poll(struct bh_guard *g, int timeout_ms, struct bh_error **err)
{
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
	int handled = 0;

	/* bounded: a storm returns to the caller (its stop flag) every 4096 events */
	while (handled < 4096) {
		ssize_t n;
		int pr = poll(&pfd, 1, handled ? 0 : timeout_ms);

		if (pr < 0) {
			if (errno == EINTR)
				return handled;
			return bh_error_sys(err, errno, "poll on the fanotify group");
		}
		if (pr == 0)
			return handled;
		n = read(g->fd, g->buf, GRD_READ_BUF);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return handled;
			return bh_error_sys(err, errno, "reading fanotify events");
		}
		for (struct fanotify_event_metadata *md = (void *)g->buf; FAN_EVENT_OK(md, n);
		     md = FAN_EVENT_NEXT(md, n)) {
			if (md->vers != FANOTIFY_METADATA_VERSION) {
				if (md->fd >= 0)
					close(md->fd);
				return bh_error_set(err, BH_ERR_UNSUPPORTED,
						    "fanotify metadata version %u", md->vers);
			}
			if (md->mask & FAN_Q_OVERFLOW)
				g->st.overflows++;
			if (md->fd < 0)
				continue;
			if (md->mask & (FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM)) {
				handle(g, md);
				handled++;
			}
			close(md->fd);
		}
	}
	return handled;
}

int bh_guard_run(struct bh_guard *g, const volatile sig_atomic_t *stop, struct bh_error **err)
{
	while (!stop || !*stop)
		if (bh_guard_poll(g, 200, err) < 0)
			return -1;
	return 0;
}
