// SPDX-License-Identifier: Apache-2.0
/*
 * The guard driven by the monitor (bh_mon_run_opts.guard, monitord.h): one
 * thread that owns a fanotify group (include/bulkhead/guard.h) and, every
 * rescan, lists the containers, reads each one's behaviour profile from the
 * store (its own read-only handle: the detection thread's is not shared) and
 * sets what protect asks for: exec marks with the profile's executables, a
 * connect policy with its outbound peers. Between rescans it answers the
 * permission events (polls of at most 100 ms). A refusal is an alert queued to
 * the outputs (mon_guard_alert).
 *
 * Containers are watched from their creation (status created: the init waits
 * for its start with its mounts made), not only once running. A runtime that
 * asks through the rendezvous (bh_guard_rdv_*: bulkhead's start) gets a rescan
 * at once and its answer after it, so the workload's first exec is decided.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include <jansson.h>

#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "pipeline_internal.h"
#include "source_internal.h"
#include "banned.h"

#define GUARD_CTR_MAX 4096 /* containers guarded at once */

/*
 * The dynamic loaders: the kernel opens a program's interpreter for execution
 * too (an exec permission event of its own), and a profile learns only the
 * programs. Allowed by exact path, the usual ones of musl and glibc. A loader
 * run as a program (`ld.so /tmp/x`) maps x without an exec event: the kernel
 * source sees the loader's execve, outside the profile, and the pipeline kills.
 */
static const char *const loaders[] = {
	"/lib/ld-musl-x86_64.so.1",
	"/lib/ld-musl-aarch64.so.1",
	"/lib64/ld-linux-x86-64.so.2",
	"/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"/usr/lib64/ld-linux-x86-64.so.2",
	"/lib/ld-linux-aarch64.so.1",
	"/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
	"/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
};
#define NLOADERS (sizeof(loaders) / sizeof(loaders[0]))

struct gctr {
	char *id;
	struct bh_mon_container ct; /* for the alerts' events */
	char key[BH_BEHAVE_KEY_MAX];
	bool seen;	      /* listed by this rescan */
	bool watched;	      /* exec marks set */
	bool protect;	      /* its profile is in protect */
	bool looked;	      /* its profile was read once (protect is known) */
	bool watched_created; /* the marks were set while it was created */
	bool net_set;	      /* a connect policy set */
	bool net_warned;      /* a connect policy that cannot be set was warned of */
	bool net_looked;      /* a policy left pinned by an earlier run was cleared if needed */
	bool net_rules;	      /* the policy set is the rules' deny list (cleared at the stop) */
	uint64_t exec_sig, net_sig;
	uint64_t net_denied; /* the kernel's count at the last rescan */
	pid_t pid;	     /* its init, for the last count at the stop */
	uint64_t pid_start;
};

struct mon_guard {
	struct mon_pipe *p;
	const struct bh_mon_run_opts *o;
	const struct bh_mon_guard_opts *go;
	const struct mon_behave_rules *br;
	struct bh_guard *g;
	struct bh_behave *b;
	struct bh_guard_rdv *rdv; /* NULL: it could not be served (warned) */
	bool rules_block;	  /* a rule's action is block */
	/* the files block rules on opens name (bh_rules_open_paths): inode marks */
	struct bh_strvec open_paths;
	/* the executables block rules on execs name (bh_rules_exec_files): known
	 * by identity in each container, so another name of one is decided as it */
	struct bh_strvec exec_paths, exec_names;
	/* the prefixes of paths they name (startswith, glob, pmatch): where the
	 * guard looks for another name of an executed file with several links */
	struct bh_strvec exec_prefixes;
	/* the peers block rules on connects name (bh_rules_connect_peers): the
	 * connect policy (a deny list) of a container not in protect */
	struct bh_guard_net_rule *conn;
	size_t nconn;
	uint64_t conn_sig;
	/* the guard's name-walk counts already added to the run's stats */
	struct bh_guard_stats names_seen;
	/* the event the last decision was made on: its report (after the answer,
	 * when the process may have moved on and /proc says something else) says
	 * what was decided */
	struct bh_mon_event *decided;
	bool decided_ok;
	pthread_t th;
	atomic_bool stop;
	struct gctr *v;
	size_t n;
	/* the runtimes' state directories (inotify): a container of any runtime
	 * is rescanned at its create, not at the next rescan; NULL without */
	struct bh_ctr_watch *watch;
};

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* FNV-1a over a string, chained: a policy's signature (set again when it changes). */
static uint64_t sig_add(uint64_t h, const char *s)
{
	if (!h)
		h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	h ^= 0xff;
	return h * 1099511628211ull;
}

static struct gctr *find(struct mon_guard *mg, const char *id)
{
	for (size_t i = 0; i < mg->n; i++)
		if (!strcmp(mg->v[i].id, id))
			return &mg->v[i];
	return NULL;
}

static void warn_ctr(struct mon_guard *mg, struct bh_error **err, const char *id, const char *what)
{
	bh_error_prefix(err, "guard: container %.12s: %s", id, what);
	mon_guard_count(mg->p, &mon_stats(mg->p)->guard_errors, 1);
	mon_warn(mg->p, err);
}

/* ---- the permission events ------------------------------------------------------------ */

/*
 * The exec as an event (res 0: as the rules see the call it would be). The
 * guard computes drift for every exec (whatever the policy):
 * proc.is_exe_upper_layer is it (the file is in the overlay's upperdir, was
 * written after the container started, or lives on a tmpfs), so a block rule
 * on it refuses a dropped binary. A memfd's exec makes no permission event:
 * proc.is_exe_from_memfd stays false here.
 */
static void fill_exec(const struct bh_guard_event *gev, struct bh_mon_event *ev)
{
	const char *base = strrchr(gev->path, '/');

	ev->type = BH_MON_EXECVE;
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "%s", gev->path);
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "%s", base ? base + 1 : gev->path);
	ev->proc.exe_upper_layer = gev->drift;
}

/*
 * The open's flags while the calling thread waits in it: /proc/TID/syscall
 * holds the call and its arguments (open: the second, openat: the third;
 * creat's are fixed; openat2's are the first field of the struct open_how the
 * third points to, read from the caller's memory: another of its threads
 * could rewrite it after the kernel copied it, so what is read is what the
 * process says, as a path is). A call read as something else: O_RDWR, so both
 * read and write rules can match.
 */
static int open_flags(pid_t tid)
{
	char path[64], buf[512];
	unsigned long long a[4] = { 0 };
	long nr = -1;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return O_RDWR;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return O_RDWR;
	buf[n] = 0;
	if (sscanf(buf, "%ld %llx %llx %llx", &nr, &a[0], &a[1], &a[2]) != 4)
		return O_RDWR;
	if (nr == SYS_openat)
		return (int)a[2];
#ifdef SYS_openat2
	if (nr == SYS_openat2) {
		uint64_t how = 0;

		snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return O_RDWR;
		n = pread(fd, &how, sizeof(how), (off_t)a[2]);
		close(fd);
		return n == (ssize_t)sizeof(how) ? (int)how : O_RDWR;
	}
#endif
#ifdef SYS_open
	if (nr == SYS_open)
		return (int)a[1];
#endif
#ifdef SYS_creat
	if (nr == SYS_creat)
		return O_CREAT | O_WRONLY | O_TRUNC;
#endif
	return O_RDWR;
}

/*
 * The open as an event, before the call (res 0): the file as the container
 * sees it, the flags the caller passed, and the process from /proc (its
 * name, executable and effective ids), so block rules and their exceptions
 * see what they see on the open's own event.
 */
static void fill_open(const struct bh_guard_event *gev, struct bh_mon_event *ev)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	ev->type = BH_MON_OPENAT;
	ev->file.fd = -1;
	ev->file.type = BH_MON_FD_FILE;
	ev->file.flags = open_flags(gev->tid > 0 ? gev->tid : gev->pid);
	snprintf(ev->file.path, sizeof(ev->file.path), "%s", gev->path);
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)gev->pid);
	n = readlink(path, ev->proc.exe, sizeof(ev->proc.exe) - 1);
	ev->proc.exe[n > 0 ? n : 0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)gev->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		char *l;
		unsigned ruid, euid, rgid, egid;

		buf[n] = 0;
		if (!strncmp(buf, "Name:\t", 6)) {
			size_t k = strcspn(buf + 6, "\n");

			snprintf(ev->proc.comm, sizeof(ev->proc.comm), "%.*s", (int)k, buf + 6);
		}
		if ((l = strstr(buf, "\nUid:\t")) && sscanf(l, "\nUid:\t%u\t%u", &ruid, &euid) == 2)
			ev->proc.uid = euid;
		if ((l = strstr(buf, "\nGid:\t")) && sscanf(l, "\nGid:\t%u\t%u", &rgid, &egid) == 2)
			ev->proc.gid = egid;
	}
}

static void fill_event(const struct bh_guard_event *gev, const struct gctr *gc,
		       struct bh_mon_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = real_ns();
	ev->proc.pid = (uint32_t)gev->pid;
	ev->proc.tid = (uint32_t)(gev->tid > 0 ? gev->tid : gev->pid);
	ev->proc.loginuid = UINT32_MAX;
	if (gev->op == BH_GUARD_EXEC)
		fill_exec(gev, ev);
	else
		fill_open(gev, ev);
	if (gc)
		ev->container = gc->ct;
	else
		snprintf(ev->container.id, sizeof(ev->container.id), "%s", gev->ctr_id);
}

/* The rules whose action is block, on the permission event. */
static enum bh_guard_verdict decide(const struct bh_guard_event *gev, void *arg)
{
	struct mon_guard *mg = arg;
	const struct bh_rules_rule *m[16];
	struct bh_mon_event *ev;
	size_t n;
	enum bh_guard_verdict r = BH_GUARD_ALLOW;

	if (!mg->rules_block)
		return BH_GUARD_ALLOW;
	if (!mg->decided)
		mg->decided = bh_malloc(sizeof(*mg->decided));
	ev = mg->decided;
	fill_event(gev, find(mg, gev->ctr_id), ev);
	mg->decided_ok = true;
	n = bh_rules_match(mg->o->rules, ev, m, 16);
	for (size_t i = 0; i < n && i < 16 && r == BH_GUARD_ALLOW; i++)
		if (mon_action_of(mg->o, m[i]) == BH_MON_ACT_BLOCK)
			r = BH_GUARD_DENY;
	return r;
}

static void report(const struct bh_guard_event *gev, void *arg)
{
	struct mon_guard *mg = arg;
	struct gctr *gc = find(mg, gev->ctr_id);
	struct bh_mon_event *ev;
	const struct bh_rules_rule *m[16], *rule = NULL;
	struct bh_behave_verdict *v = NULL;
	char *out;

	if (gev->verdict != BH_GUARD_DENY || !gev->enforced)
		return;
	mon_guard_count(mg->p,
			gev->op == BH_GUARD_EXEC ? &mon_stats(mg->p)->guard_exec_refused
						 : &mon_stats(mg->p)->guard_open_refused,
			1);
	ev = bh_malloc(sizeof(*ev));
	if (mg->decided_ok && mg->decided->proc.pid == (uint32_t)gev->pid &&
	    !strcmp(gev->op == BH_GUARD_EXEC ? mg->decided->proc.exe : mg->decided->file.path,
		    gev->path))
		*ev = *mg->decided; /* what the rules decided on */
	else
		fill_event(gev, gc, ev);
	mg->decided_ok = false;
	if (!strcmp(gev->reason, "callback")) {
		/* a rule said block: the first one of them names the alert */
		size_t n = bh_rules_match(mg->o->rules, ev, m, 16);

		for (size_t i = 0; i < n && i < 16 && !rule; i++)
			if (mon_action_of(mg->o, m[i]) == BH_MON_ACT_BLOCK)
				rule = m[i];
	}
	ev->res = -EPERM; /* what the process got */
	if (rule) {
		out = bh_rules_format(rule, ev);
	} else {
		v = bh_calloc(1, sizeof(*v));
		v->result = BH_BEHAVE_OUTSIDE;
		v->kind = gev->drift ? BH_BEHAVE_DRIFT : BH_BEHAVE_PROCESS;
		v->mode = BH_PROF_PROTECT;
		v->block = true;
		snprintf(v->key, sizeof(v->key), "%s", gc ? gc->key : "");
		if (gev->drift)
			snprintf(v->value, sizeof(v->value), "%s (not from the image: %s)",
				 gev->path, gev->drift_why ? gev->drift_why : "drift");
		else
			snprintf(v->value, sizeof(v->value), "%s", gev->path);
		rule = mon_behave_rule(mg->br, v);
		{
			char *inner = mon_behave_output(v, ev);

			if (!strcmp(gev->reason, BH_GUARD_REASON_NAMES_SPENT))
				out = bh_asprintf("exec refused before it ran: %s (%s)", inner,
						  gev->reason);
			else
				out = bh_asprintf("exec refused before it ran: %s", inner);
			free(inner);
		}
	}
	if (gev->via) {
		/* another name of a file known by identity: both names said */
		char *via = mon_esc_name(gev->via), *path = mon_esc_name(gev->path);
		char *o2 = bh_asprintf("%s (%s as %s: the same file as %s)", out,
				       gev->op == BH_GUARD_EXEC ? "run" : "opened", via, path);

		free(via);
		free(path);
		free(out);
		out = o2;
	}
	mon_guard_alert(mg->p, ev, rule, out, v);
	free(ev);
}

/* ---- the runtimes' state directories -------------------------------------------------- */

/*
 * Another engine's runtime (runc or crun under podman, dockerd, containerd)
 * cannot ask through the rendezvous, but it writes its state (runc's
 * state.json, crun's status) at create, after its init made the mounts and
 * before the engine's start: the guard watches every runtime state root
 * (bh_ctr_state_dirs) and each new container directory in them, and a change
 * there is a rescan at once. The window left: the engine's start coming
 * before that rescan set the marks.
 */
/* ---- a rescan ------------------------------------------------------------------------- */

/* The exec policy of c: the profile's executables (protect), the rules (block). */
static void set_exec(struct mon_guard *mg, struct gctr *gc, const struct bh_ctr *c,
		     const json_t *doc, bool rdv)
{
	bool created = !strcmp(c->status, "created");
	const json_t *procs = doc ? json_object_get(doc, "processes") : NULL;
	size_t n = json_array_size(procs), k = 0;
	const char **allow = NULL;
	struct bh_guard_policy pol = { .protect = true, .decide = decide, .decide_arg = mg };
	struct bh_error *err = NULL;
	uint64_t sig = sig_add(0, gc->protect ? "protect" : "rules");

	if (mg->open_paths.n) /* NULL-terminated (bh_strvec) */
		pol.deny_open = (const char *const *)mg->open_paths.v;
	if (mg->exec_paths.n)
		pol.deny_exec = (const char *const *)mg->exec_paths.v;
	if (mg->exec_names.n)
		pol.deny_exec_names = (const char *const *)mg->exec_names.v;
	if (mg->exec_prefixes.n)
		pol.deny_exec_prefixes = (const char *const *)mg->exec_prefixes.v;

	if (gc->protect) {
		pol.zero_drift = json_is_true(json_object_get(doc, "zero_drift"));
		sig = sig_add(sig, pol.zero_drift ? "drift" : "-");
		allow = bh_calloc(n + NLOADERS + 1, sizeof(*allow));
		for (size_t i = 0; i < NLOADERS; i++)
			allow[k++] = loaders[i];
		for (size_t i = 0; i < n; i++) {
			const char *exe = bh_json_str(json_array_get(procs, i), "exe");

			if (exe && *exe == '/') {
				allow[k++] = exe;
				sig = sig_add(sig, exe);
			}
		}
		pol.allow_exec = allow;
	}
	/* again when a container watched while created runs, and at a runtime's
	 * request: the runtime's state may be written before its init made its
	 * mounts, and marks set then are on the wrong mounts */
	if (!gc->watched || sig != gc->exec_sig || (gc->watched_created && !created) ||
	    (rdv && created)) {
		if (bh_guard_watch(mg->g, c, &pol, &err) < 0) {
			warn_ctr(mg, &err, c->id, "watching its execs");
		} else {
			if (!gc->watched)
				mon_guard_count(mg->p, &mon_stats(mg->p)->guard_watched, 1);
			gc->watched = true;
			gc->watched_created = created;
			gc->exec_sig = sig;
		}
	}
	free(allow);
}

static void unwatch(struct mon_guard *mg, struct gctr *gc)
{
	struct bh_error *err = NULL;

	if (!gc->watched)
		return;
	if (bh_guard_unwatch(mg->g, gc->id, &err) < 0 && bh_error_code(err) != BH_ERR_NOTFOUND)
		warn_ctr(mg, &err, gc->id, "unwatching");
	bh_error_clear(&err);
	gc->watched = false;
	mon_guard_count(mg->p, &mon_stats(mg->p)->guard_watched, (uint64_t)-1);
}

/* The kernel's count of the connects it refused since the last look. */
static void count_net(struct mon_guard *mg, struct gctr *gc, const struct bh_ctr *c)
{
	struct bh_guard_net_counts cnt;

	if (bh_guard_net_counts(c, &cnt, NULL) == 0 && cnt.denied > gc->net_denied) {
		mon_guard_count(mg->p, &mon_stats(mg->p)->guard_connect_refused,
				cnt.denied - gc->net_denied);
		gc->net_denied = cnt.denied;
	}
}

/* The connect policy of c: an allow list of the profile's outbound peers. */
static void set_net(struct mon_guard *mg, struct gctr *gc, const struct bh_ctr *c,
		    const json_t *doc)
{
	const json_t *outb = json_object_get(doc, "outbound");
	struct bh_guard_net_rule *rules = NULL;
	struct bh_guard_net_policy pol = { .action = BH_GUARD_NET_ALLOW_LIST };
	struct bh_error *err = NULL;
	uint64_t sig = sig_add(0, "allow");
	size_t n = json_array_size(outb);

	if (n > BH_GUARD_NET_MAX_RULES) {
		if (!gc->net_warned) {
			bh_error_set(
				&err, BH_ERR_LIMIT,
				"its profile has %zu outbound peers, more than the %d a connect "
				"policy holds: connects are not refused (only reported)",
				n, BH_GUARD_NET_MAX_RULES);
			warn_ctr(mg, &err, c->id, "connect policy");
			gc->net_warned = true;
		}
		return;
	}
	rules = bh_calloc(n ? n : 1, sizeof(*rules));
	pol.rules = rules;
	for (size_t i = 0; i < n; i++) {
		const json_t *it = json_array_get(outb, i);
		const char *proto = bh_json_str(it, "proto"), *peer = bh_json_str(it, "peer");
		json_int_t port = json_integer_value(json_object_get(it, "port"));
		char s[160];

		if (!proto || !peer)
			continue;
		snprintf(s, sizeof(s), strchr(peer, ':') ? "[%s]:%lld/%s" : "%s:%lld/%s", peer,
			 (long long)port, proto);
		if (bh_guard_net_parse_rule(s, &rules[pol.nrules], &err) < 0) {
			warn_ctr(mg, &err, c->id, "an outbound peer of its profile");
			continue;
		}
		pol.nrules++;
		sig = sig_add(sig, s);
	}
	if (gc->net_set && sig == gc->net_sig) {
		free(rules);
		count_net(mg, gc, c);
		return;
	}
	if (bh_guard_net_set(c, &pol, &err) < 0) {
		free(rules);
		if (!gc->net_warned)
			warn_ctr(mg, &err, c->id, "setting its connect policy");
		bh_error_clear(&err);
		gc->net_warned = true;
		return;
	}
	free(rules);
	gc->net_set = gc->net_looked = true;
	gc->net_rules = false;
	gc->net_sig = sig;
	gc->net_denied = 0;
}

/* The connect policy of c from the block rules: a deny list of their peers. */
static void set_net_rules(struct mon_guard *mg, struct gctr *gc, const struct bh_ctr *c)
{
	struct bh_guard_net_policy pol = { .action = BH_GUARD_NET_DENY_LIST,
					   .rules = mg->conn,
					   .nrules = mg->nconn };
	struct bh_error *err = NULL;

	if (gc->net_set && gc->net_rules && gc->net_sig == mg->conn_sig) {
		count_net(mg, gc, c);
		return;
	}
	if (bh_guard_net_set(c, &pol, &err) < 0) {
		if (!gc->net_warned)
			warn_ctr(mg, &err, c->id, "setting the block rules' connect policy");
		bh_error_clear(&err);
		gc->net_warned = true;
		return;
	}
	gc->net_set = gc->net_looked = gc->net_rules = true;
	gc->net_sig = mg->conn_sig;
	gc->net_denied = 0;
}

static void clear_net(struct mon_guard *mg, struct gctr *gc, const struct bh_ctr *c)
{
	struct bh_error *err = NULL;

	if (!gc->net_set && gc->net_looked)
		return;
	gc->net_looked = true;
	if (bh_guard_net_clear(c, &err) < 0 && bh_error_code(err) != BH_ERR_NOTFOUND)
		warn_ctr(mg, &err, c->id, "clearing its connect policy");
	bh_error_clear(&err);
	gc->net_set = gc->net_rules = false;
}

static void one(struct mon_guard *mg, const struct bh_ctr *c, bool rdv)
{
	struct gctr *gc = find(mg, c->id);
	struct bh_mon_event *ev;
	json_t *doc = NULL;
	struct bh_error *err = NULL;
	const char *mode;
	bool protect;

	if (!gc) {
		if (mg->n == GUARD_CTR_MAX)
			return;
		mg->v = bh_realloc(mg->v, (mg->n + 1) * sizeof(*mg->v));
		gc = &mg->v[mg->n++];
		memset(gc, 0, sizeof(*gc));
		gc->id = bh_strdup(c->id);
	}
	gc->seen = true;
	gc->pid = c->pid;
	gc->pid_start = c->pid_start;
	mon_container_fill(&gc->ct, c);
	if (!gc->ct.name[0])
		snprintf(gc->ct.name, sizeof(gc->ct.name), "%s", gc->ct.id);
	ev = bh_calloc(1, sizeof(*ev));
	ev->container = gc->ct;
	if (bh_behave_key(ev, mg->go->group, gc->key) < 0)
		gc->key[0] = 0;
	free(ev);
	if (gc->key[0] && bh_behave_export(mg->b, gc->key, &doc, &err) < 0) {
		if (bh_error_code(err) != BH_ERR_NOTFOUND)
			warn_ctr(mg, &err, c->id, "reading its profile");
		bh_error_clear(&err);
	}
	mode = doc ? bh_json_str(doc, "mode") : NULL;
	protect = mode && !strcmp(mode, "protect") &&
		  !json_is_true(json_object_get(doc, "overflowed"));
	/* detection follows before the guard relaxes or tightens (its own reload
	 * is once a second: the two could disagree for that long) */
	if (gc->looked && protect != gc->protect)
		mon_guard_modes_changed(mg->p);
	gc->protect = protect;
	gc->looked = true;
	if (gc->protect || mg->rules_block)
		set_exec(mg, gc, c, doc, rdv);
	else
		unwatch(mg, gc);
	/* a container with no profile is not the monitor's: a policy set by hand
	 * (bulkhead guard connect) stays; one whose profile left protect (maybe
	 * while no monitor ran) is cleared; block rules on connects: their deny
	 * list (a profile in protect allows its peers only, which wins) */
	if (gc->protect)
		set_net(mg, gc, c, doc);
	else if (mg->nconn)
		set_net_rules(mg, gc, c);
	else if (doc)
		clear_net(mg, gc, c);
	json_decref(doc);
}

static void rescan(struct mon_guard *mg, bool rdv)
{
	struct bh_ctr_list *l = NULL;
	struct bh_error *err = NULL;
	size_t k = 0;

	if (bh_ctr_list(mg->go->containers, &l, &err) < 0) {
		bh_error_prefix(&err, "guard: listing the containers");
		mon_guard_count(mg->p, &mon_stats(mg->p)->guard_errors, 1);
		mon_warn(mg->p, &err);
		return;
	}
	for (size_t i = 0; i < mg->n; i++)
		mg->v[i].seen = false;
	for (size_t i = 0; i < l->n; i++) {
		const struct bh_ctr *c = &l->v[i];

		/* created too: its mounts are made, its init waits for the start */
		if (c->pid > 0 && c->status && strcmp(c->status, "stopped"))
			one(mg, c, rdv);
	}
	/* gone (or stopped): unwatched; their netns is gone with them */
	for (size_t i = 0; i < mg->n; i++) {
		if (mg->v[i].seen) {
			mg->v[k++] = mg->v[i];
			continue;
		}
		unwatch(mg, &mg->v[i]);
		free(mg->v[i].id);
	}
	mg->n = k;
	bh_ctr_list_free(l);
}

/* The guard's name-walk counts since the last call, into the run's stats. */
static void names_count(struct mon_guard *mg)
{
	struct bh_guard_stats st;
	struct bh_mon_run_stats *rs = mon_stats(mg->p);

	bh_guard_get_stats(mg->g, &st);
	mon_guard_count(mg->p, &rs->guard_name_walks, st.name_walks - mg->names_seen.name_walks);
	mon_guard_count(mg->p, &rs->guard_name_hits, st.name_hits - mg->names_seen.name_hits);
	mon_guard_count(mg->p, &rs->guard_name_over_budget,
			st.name_over_budget - mg->names_seen.name_over_budget);
	mg->names_seen = st;
}

static void *guard_main(void *arg)
{
	struct mon_guard *mg = arg;
	unsigned every = mg->go->rescan_ms ? mg->go->rescan_ms : 1000;
	uint64_t next = 0;
	bool owed = false; /* more requests than one read takes: read again */

	while (!atomic_load(&mg->stop)) {
		struct pollfd pf[3] = { { .fd = bh_guard_fd(mg->g), .events = POLLIN },
					{ .fd = mg->rdv ? bh_guard_rdv_fd(mg->rdv) : -1,
					  .events = POLLIN },
					{ .fd = bh_ctr_watch_fd(mg->watch), .events = POLLIN } };
		struct bh_strvec req = BH_STRVEC_INIT;
		struct bh_error *err = NULL;
		uint64_t now = bh_mono_ms();
		bool created = false;

		if (now < next &&
		    poll(pf, 3,
			 owed		    ? 0
			 : next - now < 100 ? (int)(next - now)
					    : 100) < 0 &&
		    errno != EINTR) {
			bh_error_sys(&err, errno, "guard: poll");
			mon_guard_count(mg->p, &mon_stats(mg->p)->guard_errors, 1);
			mon_warn(mg->p, &err);
		}
		/* a runtime waits to start a container: a rescan now, then its answer */
		if (mg->rdv && (owed || (pf[1].revents & POLLIN)))
			owed = bh_guard_rdv_pending(mg->rdv, &req) >= BH_GUARD_RDV_PENDING;
		/* a runtime wrote state (a container created): a rescan now */
		if (pf[2].revents & POLLIN)
			created = bh_ctr_watch_changed(mg->watch);
		if (req.n || created || bh_mono_ms() >= next) {
			bool periodic = bh_mono_ms() >= next;

			if (periodic)
				bh_ctr_watch_roots(mg->watch); /* roots made since */
			rescan(mg, req.n > 0);
			/* the periodic one stays due every `every` ms, however many
			 * rescans creates and requests made (events that come during
			 * a rescan are read together after it) */
			if (periodic)
				next = bh_mono_ms() + every;
			if (req.n)
				bh_guard_rdv_ack(mg->rdv, &req);
		}
		bh_strvec_release(&req);
		if (bh_guard_poll(mg->g, 0, &err) < 0) {
			mon_guard_count(mg->p, &mon_stats(mg->p)->guard_errors, 1);
			bh_error_prefix(&err, "guard");
			mon_warn(mg->p, &err);
		}
		names_count(mg);
	}
	return NULL;
}

static void guard_free(struct mon_guard *mg)
{
	bh_guard_free(mg->g);
	bh_guard_rdv_free(mg->rdv);
	bh_ctr_watch_free(mg->watch);
	bh_behave_close(mg->b);
	for (size_t i = 0; i < mg->n; i++)
		free(mg->v[i].id);
	free(mg->v);
	bh_strvec_release(&mg->open_paths);
	bh_strvec_release(&mg->exec_paths);
	bh_strvec_release(&mg->exec_names);
	bh_strvec_release(&mg->exec_prefixes);
	free(mg->conn);
	free(mg->decided);
	free(mg);
}

static bool is_block(const struct bh_rules_rule *r, void *arg)
{
	return mon_action_of(arg, r) == BH_MON_ACT_BLOCK;
}

/* The block rules' peers on connects, as connect guard rules (the deny list). */
static void conn_rules(struct mon_guard *mg, struct mon_pipe *p, const struct bh_mon_run_opts *o)
{
	struct bh_rules_peer *v = NULL;
	size_t n = 0;
	const char *inexact = NULL;
	struct bh_error *e = NULL;

	if (!bh_rules_connect_peers(o->rules, is_block, (void *)o, &v, &n, &inexact)) {
		bh_error_set(&e, BH_ERR_UNSUPPORTED,
			     "guard: rule '%s' blocks connects by more than their peer (fd.sip, "
			     "fd.rip, fd.sport, fd.rport, fd.snet, fd.l4proto = or in): %s",
			     inexact,
			     n ? "the connects its peers alone decide are refused before the "
				 "call, the others only alerted (with an action_error)"
			       : "its connects are not refused before the call, only alerted "
				 "(with an action_error)");
		mon_warn(p, &e);
	}
	mg->conn = bh_calloc(n ? n : 1, sizeof(*mg->conn));
	mg->conn_sig = sig_add(0, "rules");
	for (size_t i = 0; i < n; i++) {
		struct bh_guard_net_rule *r = &mg->conn[i];
		char buf[64];

		r->family = v[i].family;
		memcpy(r->addr, v[i].addr, 16);
		r->prefix = v[i].prefix;
		r->port = v[i].port;
		r->proto = v[i].proto;
		mg->conn_sig = sig_add(mg->conn_sig, bh_guard_net_rule_str(r, buf));
	}
	mg->nconn = n;
	free(v);
}

int mon_guard_start(struct mon_pipe *p, const struct bh_mon_run_opts *o,
		    const struct mon_behave_rules *br, struct mon_guard **out,
		    struct bh_error **err)
{
	struct mon_guard *mg = bh_calloc(1, sizeof(*mg));
	struct bh_guard_opts gopts = { .report = report, .fail_closed = o->guard->fail_closed };
	struct bh_behave_opts bo = { .store = o->guard->store, .group = o->guard->group };

	*out = NULL;
	mg->p = p;
	mg->o = o;
	mg->go = o->guard;
	mg->br = br;
	atomic_init(&mg->stop, false);
	for (size_t i = 0; i < o->nactions; i++)
		if (o->actions[i].action == BH_MON_ACT_BLOCK && o->rules)
			mg->rules_block = true;
	for (size_t i = 0; o->rules && i < bh_rules_count(o->rules); i++)
		if (mon_action_of(o, bh_rules_get(o->rules, i)) == BH_MON_ACT_BLOCK)
			mg->rules_block = true;
	if (mg->rules_block) {
		const char *inexact = NULL;
		struct bh_error *e = NULL;

		if (!bh_rules_open_paths(o->rules, is_block, (void *)o, &mg->open_paths,
					 &inexact)) {
			bh_error_set(&e, BH_ERR_UNSUPPORTED,
				     "guard: rule '%s' blocks opens it does not name by whole "
				     "path (fd.name = or in): those are not refused before the "
				     "call, only alerted (with an action_error)",
				     inexact);
			mon_warn(p, &e);
		}
		conn_rules(mg, p, o);
		if (!bh_rules_exec_files(o->rules, is_block, (void *)o, &mg->exec_paths,
					 &mg->exec_names, &mg->exec_prefixes, &inexact))
			bh_log(BH_LOG_DEBUG,
			       "guard: rule '%s' blocks execs it does not name by path or "
			       "program name: another name of a file it refused is known "
			       "after that refusal only",
			       inexact);
	}
	gopts.report_arg = mg;
	if (bh_behave_open(&bo, &mg->b, err) < 0)
		goto fail;
	if (bh_guard_open(&gopts, &mg->g, err) < 0)
		goto fail;
	{
		struct bh_error *e = NULL;

		/* without it the guard still watches, at its rescans: a warning */
		if (bh_guard_rdv_open(NULL, &mg->rdv, &e) < 0)
			mon_warn(p, &e);
	}
	/* without it another engine's containers are watched at a rescan after their start */
	{
		struct bh_error *e = NULL;

		if (bh_ctr_watch_new(mg->go->containers, &mg->watch, &e) < 0) {
			bh_error_prefix(&e, "guard");
			mon_warn(p, &e);
		}
	}
	if (pthread_create(&mg->th, NULL, guard_main, mg)) {
		bh_error_set(err, BH_ERR_INTERNAL, "cannot start the guard's thread");
		goto fail;
	}
	*out = mg;
	return 0;
fail:
	guard_free(mg);
	return bh_error_prefix(err, "guard");
}

void mon_guard_stop(struct mon_guard *mg)
{
	if (!mg)
		return;
	atomic_store(&mg->stop, true);
	pthread_join(mg->th, NULL);
	for (size_t i = 0; i < mg->n; i++) {
		struct bh_ctr c = { .id = mg->v[i].id,
				    .pid = mg->v[i].pid,
				    .pid_start = mg->v[i].pid_start };

		if (mg->v[i].net_set)
			count_net(mg, &mg->v[i], &c);
		/* the rules' deny list is this run's: not left to a later one */
		if (mg->v[i].net_set && mg->v[i].net_rules)
			bh_guard_net_clear(&c, NULL);
	}
	guard_free(mg);
}
