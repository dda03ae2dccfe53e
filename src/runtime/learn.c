/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Syscall learning from the runtime (issue 14): the annotations
 *
 *   org.bulkhead.seccomp.mode=discover
 *   org.bulkhead.seccomp.profile=NAME     (required with discover)
 *   org.bulkhead.seccomp.digest=DIGEST    (the image the profile is for; optional)
 *
 * on any bundle arm the syscall recorder (src/profile) at create, once the
 * init is in its cgroups; the recorder starts counting when the init execs
 * the workload. State.json's "learn" object says so; delete collects what
 * was learned into the profile store and unpins the recorder.
 *
 *   org.bulkhead.seccomp.mode=monitor|protect
 *   org.bulkhead.seccomp.profile=NAME     (required)
 *   org.bulkhead.seccomp.digest=DIGEST    (that row only; default: all of NAME's)
 *   org.bulkhead.seccomp.action=errno|kill  (protect: EPERM, the default, or a kill)
 *
 * replace the bundle's linux.seccomp with the learned allow-list (the
 * deny-list and the mount rules are still merged on top by the compiler, so
 * a profile can lift neither). Outside it, monitor logs (SCMP_ACT_LOG: the
 * kernel's audit record, type 1326) and allows; protect fails the call with
 * EPERM, or kills the process, and logs it (SECCOMP_FILTER_FLAG_LOG).
 * monitor also arms the recorder with the allow-list: calls outside it
 * (which SCMP_ACT_LOG lets reach sys_enter) are counted per syscall and
 * stored at delete as the profile's report (`bulkhead profile show`).
 * protect with errno: the filter's default action is a seccomp user
 * notification; the container's supervisor (notify.c) answers EPERM and
 * counts each by (arch, nr) into the counter file beside the state, which
 * delete stores as the report (flagged denied). Nothing is armed in BPF, and
 * an allowed call pays nothing. An exec session's filter keeps EPERM (no
 * supervisor: its refusals go unreported), as does a kernel without user
 * notification (with a warning). protect with kill arms the recorder to
 * count the SIGSYS (signal_generate only), and goes on without it where
 * BPF or cgroup2 is missing.
 *
 * The mode used is resolved once, at create (spec->learn, then state.json's
 * "learn": mode, requested, profile, digest, promoted): discover, or a
 * bundle with .profile and no mode, takes the profile's stored mode
 * (bh_prof_store_mode: discover until promoted by its rule or set by hand);
 * monitor and protect annotations are used as they are. An exec follows the
 * container's "learn", not the store as it is at the exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/profile.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

#define ANN_MODE    "org.bulkhead.seccomp.mode"
#define ANN_PROFILE "org.bulkhead.seccomp.profile"
#define ANN_DIGEST  "org.bulkhead.seccomp.digest"

static const char *annotation(const struct bh_rt_spec *s, const char *key)
{
	return s->annotations ? bh_json_str(s->annotations, key) : NULL;
}

#define ANN_ACTION "org.bulkhead.seccomp.action"

/* Calls a learned list always allows: the kernel's plumbing of signals and
 * exits, which a short learning window may not see. */
static const char *const plumbing[] = { "rt_sigreturn", "restart_syscall", "exit", "exit_group",
					NULL };

/*
 * Without no_new_privs the kernel loads a filter only with CAP_SYS_ADMIN, so
 * the runtime loads it before it drops the capabilities (as runc does), and
 * these calls of its own then go through it: the final capset, the ambient
 * raise (prctl), the listener sent to the mount supervisor (sendmsg). podman
 * and docker leave no_new_privs off by default.
 */
static const char *const early_filter[] = { "capset", "prctl", "sendmsg", NULL };

static bool names_have(const json_t *names, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach (names, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), name))
			return true;
	return false;
}

int bh_rt_learn_errno_rules(json_t *oci, struct bh_error **err)
{
	const char *text = bh_rt_default_seccomp();
	json_t *def = NULL, *rules = json_object_get(oci, "syscalls"), *allowed, *rule;
	size_t i;

	allowed = json_object_get(json_array_get(rules, 0), "names");
	if (!json_is_array(rules) || !json_is_array(allowed))
		return bh_error_set(err, BH_ERR_INVALID, "not a learned allow-list");
	if (bh_json_parse(text, strlen(text), 1 << 20, "default seccomp profile", &def, err) < 0)
		return -1;
	json_array_foreach (json_object_get(def, "syscalls"), i, rule) {
		const char *act = bh_json_str(rule, "action");
		json_t *names, *v;
		size_t k;

		if (!act || strcmp(act, "SCMP_ACT_ERRNO") || json_object_get(rule, "args"))
			continue;
		names = json_array();
		json_array_foreach (json_object_get(rule, "names"), k, v)
			if (json_is_string(v) && !names_have(allowed, json_string_value(v)))
				json_array_append(names, v);
		if (json_array_size(names)) {
			json_int_t eret = EPERM;

			bh_json_int(rule, "errnoRet", &eret);
			json_array_append_new(rules,
					      json_pack("{s:o, s:s, s:I}", "names", names, "action",
							"SCMP_ACT_ERRNO", "errnoRet", eret));
		} else {
			json_decref(names);
		}
	}
	json_decref(def);
	return 0;
}

/* The kernel has seccomp user notification (5.0 and later). */
static bool notify_available(void)
{
	uint32_t a = SECCOMP_RET_USER_NOTIF;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &a) == 0;
}

/* Calls the runtime makes after loading a filter with a listener: sending the listener to
 * the supervisor, closing it. They must pass: a notification before the supervisor holds
 * the listener would never be answered. */
static const char *const with_listener[] = { "sendmsg", "close", NULL };

/*
 * protect, action errno, at create: a call outside the list becomes a user
 * notification (the compiler turns the runtime's EPERM rules into ones too), which the
 * supervisor (notify.c) counts into the state directory's counter file and answers
 * EPERM. Allowed calls pay nothing, and nothing is armed in BPF. Where the kernel has no
 * user notification, EPERM from the filter: enforced, unreported.
 */
static void notify_refusals(struct bh_rt_spec *spec, json_t *oci)
{
	json_t *rules = json_object_get(oci, "syscalls"), *names, *rule;
	size_t i;

	if (!notify_available()) {
		bh_warn("%s=protect: this kernel has no seccomp user notification: denials will "
			"not be reported",
			ANN_MODE);
		return;
	}
	names = json_object_get(json_array_get(rules, 0), "names");
	for (const char *const *c = with_listener; *c; c++)
		if (!names_have(names, *c))
			json_array_append_new(names, json_string(*c));
	/* the default's EPERM answers (bh_rt_learn_errno_rules) are the supervisor's now, and
	 * counted; other errnos (clone3: ENOSYS) stay the filter's */
	for (i = json_array_size(rules); i-- > 1;) {
		json_int_t eret = EPERM;

		rule = json_array_get(rules, i);
		bh_json_int(rule, "errnoRet", &eret);
		if (!strcmp(bh_json_str(rule, "action") ?: "", "SCMP_ACT_ERRNO") && eret == EPERM)
			json_array_remove(rules, i);
	}
	json_object_set_new(oci, "defaultAction", json_string("SCMP_ACT_NOTIFY"));
	json_object_del(oci, "defaultErrnoRet");
	json_object_set_new(spec->learn, "notify", json_true());
}

/*
 * The learning mode of a new container, as rt_learn_apply documents it:
 * *out {"mode", "requested" (the annotation's, "" without one), "profile",
 * "digest", and "promoted": {"time", "reason"} when the stored mode replaced
 * discover}, or NULL when the bundle does not learn.
 */
static int resolve_mode(const struct bh_rt_spec *spec, json_t **out, struct bh_error **err)
{
	const char *mode = annotation(spec, ANN_MODE), *name = annotation(spec, ANN_PROFILE);
	const char *digest = annotation(spec, ANN_DIGEST), *act = annotation(spec, ANN_ACTION);
	const char *eff = mode;
	struct bh_prof_store *s = NULL;
	json_t *m = NULL;
	int r = -1;

	*out = NULL;
	if (!mode && !name)
		return 0;
	if (mode && strcmp(mode, "discover") && strcmp(mode, "monitor") && strcmp(mode, "protect"))
		return bh_error_set(err, BH_ERR_INVALID,
				    "annotation %s: '%.64s' is not discover, monitor or protect",
				    ANN_MODE, mode);
	if (!name)
		return bh_error_set(err, BH_ERR_USAGE, "%s=%s needs %s=NAME", ANN_MODE, mode,
				    ANN_PROFILE);
	if (bh_prof_name_check(name, err) < 0)
		return bh_error_prefix(err, "annotation %s", ANN_PROFILE);
	if (act && strcmp(act, "errno") && strcmp(act, "kill"))
		return bh_error_set(err, BH_ERR_INVALID,
				    "annotation %s: '%.64s' is not errno or kill", ANN_ACTION, act);
	if (!mode || !strcmp(mode, "discover")) {
		/* the profile's stored mode: promoted (or set by hand) past discover, it is used */
		if (bh_prof_store_open(NULL, false, &s, err) < 0) {
			if (bh_error_code(err ? *err : NULL) != BH_ERR_NOTFOUND)
				goto out;
			bh_error_clear(err); /* no store yet: nothing learned, discover */
			eff = "discover";
		} else {
			bh_prof_store_keep_wal(s);
			if (bh_prof_store_mode(s, name, &m, err) < 0)
				goto out;
			eff = bh_json_str(m, "mode");
		}
	}
	*out = json_pack("{s:s, s:s, s:s, s:s}", "mode", eff, "requested", mode ? mode : "",
			 "profile", name, "digest", digest ? digest : "");
	if (!mode || strcmp(eff, mode)) {
		const char *t = bh_json_str(m, "changed"), *why = bh_json_str(m, "reason");

		if (strcmp(eff, "discover")) {
			json_object_set_new(*out, "promoted",
					    json_pack("{s:s, s:s}", "time", t ? t : "", "reason",
						      why ? why : ""));
			bh_debug("seccomp: profile %s is in %s since %s (%s): the container runs "
				 "in %s, not %s",
				 name, eff, t ? t : "?", why ? why : "?", eff,
				 mode ? mode : "discover");
		} else {
			bh_debug("seccomp: profile %s is in discover (its stored mode): learning",
				 name);
		}
	}
	r = 0;
out:
	json_decref(m);
	bh_prof_store_close(s);
	return r;
}

int rt_learn_apply(struct bh_rt_spec *spec, const json_t *state, struct bh_error **err)
{
	const json_t *l = state ? json_object_get(state, "learn") : NULL;
	const char *mode, *name, *act, *digest;
	struct bh_prof_store *s = NULL;
	json_t *p = NULL, *oci = NULL, *names;
	bool monitor;
	int r = -1;

	json_decref(spec->learn);
	spec->learn = NULL;
	if (l)
		spec->learn = json_deep_copy(l); /* exec: the container's mode, as it was created */
	else if (resolve_mode(spec, &spec->learn, err) < 0)
		return bh_error_prefix(err, "syscall learning");
	if (!spec->learn)
		return 0;
	mode = bh_json_str(spec->learn, "mode");
	if (!mode || !strcmp(mode, "discover"))
		return 0;
	monitor = !strcmp(mode, "monitor");
	name = bh_json_str(spec->learn, "profile");
	digest = bh_json_str(spec->learn, "digest");
	act = annotation(spec, ANN_ACTION);
	if (!name || !digest)
		return bh_error_set(err, BH_ERR_INVALID,
				    "the container's \"learn\" state is damaged");
	if (bh_prof_store_open(NULL, false, &s, err) < 0)
		goto out;
	bh_prof_store_keep_wal(s);
	if (bh_prof_store_get(s, name, *digest ? digest : NULL, &p, err) < 0)
		goto out;
	oci = bh_prof_to_oci(p);
	names = json_object_get(json_array_get(json_object_get(oci, "syscalls"), 0), "names");
	for (const char *const *c = plumbing; *c; c++)
		json_array_append_new(names, json_string(*c));
	if (!spec->process.no_new_privileges)
		for (const char *const *c = early_filter; *c; c++)
			json_array_append_new(names, json_string(*c));
	if (bh_rt_learn_errno_rules(oci, err) < 0)
		goto out;
	if (monitor) {
		/* every architecture, so that a call of one not learned is logged, not killed */
		json_object_set_new(oci, "architectures",
				    json_pack("[s, s, s]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
					      "SCMP_ARCH_X32"));
		json_object_set_new(oci, "defaultAction", json_string("SCMP_ACT_LOG"));
		json_object_del(oci, "defaultErrnoRet");
	} else {
		if (act && !strcmp(act, "kill")) {
			json_object_set_new(oci, "defaultAction",
					    json_string("SCMP_ACT_KILL_PROCESS"));
			json_object_del(oci, "defaultErrnoRet");
		} else if (!l) {
			notify_refusals(spec, oci);
		}
		json_object_set_new(oci, "flags", json_pack("[s]", "SECCOMP_FILTER_FLAG_LOG"));
	}
	json_decref(spec->seccomp);
	spec->seccomp = oci;
	oci = NULL;
	bh_debug("seccomp: %s with the learned profile %s", mode, name);
	r = 0;
out:
	json_decref(oci);
	json_decref(p);
	bh_prof_store_close(s);
	return r < 0 ? bh_error_prefix(err, "%s=%s", ANN_MODE, mode) : 0;
}

int rt_learn_arm(const char *id, struct rt_created *c, struct bh_error **err)
{
	const json_t *l = c->spec->learn;
	const char *mode = l ? bh_json_str(l, "mode") : NULL, *dir = NULL;
	struct bh_prof_record *allowed = NULL;
	char now[BH_TIME_MAX];
	unsigned flags = 0;
	json_t *st;
	int r;

	if (!mode)
		return 0; /* not learning (rt_learn_apply resolved the mode) */
	for (size_t i = 0; i < c->cg.ndirs; i++)
		if (!strcmp(c->cg.names[i], "unified"))
			dir = c->cg.dirs[i];
	if (!dir && strcmp(mode, "protect"))
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "%s=%s needs a cgroup2 hierarchy (the one BPF sees): this host "
				    "has cgroup v1 only",
				    ANN_MODE, mode);
	if (strcmp(mode, "discover") && !json_is_true(json_object_get(l, "notify"))) {
		/* the names rt_learn_apply installed: what is outside them is counted
		 * (monitor), what the filter refused (protect) */
		json_t *names = json_object_get(
			json_array_get(json_object_get(c->spec->seccomp, "syscalls"), 0), "names");
		json_t *p = json_pack("{s:{s:O}}", "syscalls", "any", names);

		allowed = bh_calloc(1, sizeof(*allowed));
		bh_prof_bits_of(p, allowed);
		json_decref(p);
		flags = !strcmp(mode, "monitor") ? BH_PROF_REC_MONITOR : BH_PROF_REC_PROTECT;
	}
	if (json_is_true(json_object_get(l, "notify"))) {
		r = 1; /* protect, errno: the supervisor counts the refusals, no BPF */
	} else if (!dir) {
		/* protect without cgroup2: the filter protects, the denials go unreported */
		bh_warn("%s=protect: no cgroup2 hierarchy: denials will not be reported", ANN_MODE);
		r = 1;
	} else {
		r = bh_prof_recorder_arm(id, dir, c->cg.path, c->pid, allowed, flags, err);
	}
	free(allowed);
	if (r < 0 && flags == BH_PROF_REC_PROTECT) {
		/* the filter protects without it: only the denials go unreported */
		bh_error_warn(err, "%s=protect: denials will not be reported", ANN_MODE);
		r = 1;
	}
	if (r < 0)
		return -1;
	/* the state says which profile it enforces, and why; "recorded" whether the recorder is
	 * armed */
	bh_time_rfc3339(NULL, 0, now);
	st = json_deep_copy(l);
	json_object_set_new(st, "started", json_string(now));
	json_object_set_new(st, "recorded", json_boolean(r == 0));
	json_object_set_new(c->state, "learn", st);
	return 0;
}

void rt_learn_undo(const char *id, const json_t *state)
{
	struct bh_error *e = NULL;

	/* without a state (a runtime that died mid-create), whatever is pinned for id */
	if ((!state || json_object_get(state, "learn")) && bh_prof_recorder_remove(id, &e) < 0)
		bh_error_warn(&e, "container %s", id);
}

/* One line of JSON per exec session, appended (O_APPEND) beside the state. */
#define EXEC_LOG "learn-execs.jsonl"

void rt_learn_note_exec(const char *dir, const json_t *state, char *const *args)
{
	json_t *line, *a;
	char now[BH_TIME_MAX], *text, *path;
	int fd;

	if (!state || !json_object_get(state, "learn") ||
	    !strcmp(bh_json_str(json_object_get(state, "learn"), "mode") ?: "", "protect"))
		return; /* not learning: nothing pollutes */
	a = json_array();
	for (char *const *p = args; p && *p; p++)
		json_array_append_new(a, json_string(*p));
	bh_time_rfc3339(NULL, 0, now);
	line = json_pack("{s:s, s:o}", "time", now, "args", a);
	text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	json_decref(line);
	path = bh_asprintf("%s/" EXEC_LOG, dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !text || dprintf(fd, "%s\n", text) < 0)
		bh_warn("%s: the exec session is not noted: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(text);
	free(path);
}

/* The exec sessions noted beside the state (a line that does not parse is skipped). */
static json_t *exec_sessions(const char *dir)
{
	char *path = bh_asprintf("%s/" EXEC_LOG, dir);
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	json_t *arr = json_array();

	if (bh_read_file(path, &b, NULL) == 0 && b.len) {
		char *p = b.data, *end = b.data + b.len;

		while (p < end) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			json_t *v = json_loadb(p, (size_t)((nl ? nl : end) - p), 0, NULL);

			if (json_is_object(v))
				json_array_append(arr, v);
			json_decref(v);
			p = nl ? nl + 1 : end;
		}
	}
	bh_buf_release(&b);
	free(path);
	return arr;
}

/* protect (errno): the supervisor's counts (RT_DENIALS_FILE in dir) into rec->denied.
 * 0 with rec->denied NULL when there is no file (the supervisor never started). */
static int read_denials(const char *dir, struct bh_prof_record *rec, struct bh_error **err)
{
	char *path = bh_asprintf("%s/" RT_DENIALS_FILE, dir);
	uint64_t *counts = NULL;
	struct stat st;
	size_t got = 0;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = errno == ENOENT ? 0 : bh_error_sys(err, errno, "opening %s", path);
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != (off_t)RT_DENIALS_SIZE) {
		bh_error_set(err, BH_ERR_INVALID,
			     "%s: not a counter file of %zu bytes: the denials are not reported",
			     path, (size_t)RT_DENIALS_SIZE);
		goto out;
	}
	counts = bh_calloc(1, RT_DENIALS_SIZE);
	while (got < RT_DENIALS_SIZE) {
		ssize_t n = pread(fd, (char *)counts + got, RT_DENIALS_SIZE - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bh_error_sys(err, n < 0 ? errno : EIO, "reading %s", path);
			goto out;
		}
		got += (size_t)n;
	}
	rec->denied = counts;
	counts = NULL;
	r = 0;
out:
	free(counts);
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

/* protect (errno): the supervisor's counts as the profile's report; no recorder to read. */
static int collect_denials(const char *id, const char *dir, const json_t *l, struct bh_error **err)
{
	struct bh_prof_record rec = { 0 };
	struct bh_prof_store *s = NULL;
	int r = -1;

	if (read_denials(dir, &rec, err) < 0)
		goto out;
	if (rec.denied && (bh_prof_store_open(NULL, true, &s, err) < 0 ||
			   bh_prof_store_report(s, bh_json_str(l, "profile"),
						bh_json_str(l, "digest"), id, &rec, err) < 0))
		goto out;
	r = 0;
out:
	bh_prof_record_release(&rec);
	bh_prof_store_close(s);
	return r < 0 ? bh_error_prefix(err, "container %s: its denials are not reported", id) : 0;
}

int rt_learn_collect(const char *id, const char *dir, const json_t *state, struct bh_error **err)
{
	const json_t *l = state ? json_object_get(state, "learn") : NULL;
	json_t *sessions = NULL;
	struct bh_prof_record rec = { 0 };
	struct bh_prof_store *s = NULL;
	int r = -1;

	const char *mode = l ? bh_json_str(l, "mode") : NULL;

	if (mode && !strcmp(mode, "protect") && json_is_true(json_object_get(l, "notify")))
		return collect_denials(id, dir, l, err);
	if (!mode || json_is_false(json_object_get(l, "recorded")) ||
	    (!strcmp(mode, "protect") && !json_object_get(l, "recorded")))
		return 0; /* protect without the recorder (or armed by an older bulkhead) */
	if (bh_prof_recorder_read(id, &rec, err) < 0)
		goto out;
	if (!rec.armed) {
		/* never started (created, then deleted): nothing ran, nothing to learn */
		r = 0;
		goto out;
	}
	sessions = exec_sessions(dir);
	if (bh_prof_store_open(NULL, true, &s, err) < 0)
		goto out;
	bh_prof_store_keep_wal(s);
	if (strcmp(mode, "discover")) {
		/* monitor, protect: what was outside the profile or refused is reported */
		if (bh_prof_store_report(s, bh_json_str(l, "profile"), bh_json_str(l, "digest"), id,
					 &rec, err) < 0)
			goto out;
	} else if (bh_prof_store_add(s, bh_json_str(l, "profile"), bh_json_str(l, "digest"), id,
				     sessions, &rec, bh_rt_deny_list, err) < 0) {
		goto out;
	}
	r = 0;
out:
	json_decref(sessions);
	bh_prof_record_release(&rec);
	bh_prof_store_close(s);
	{
		struct bh_error *e = NULL;

		if (bh_prof_recorder_remove(id, &e) < 0)
			bh_error_warn(&e, "container %s", id);
	}
	/* a store that cannot take the run (full, damaged): the run is discarded whole */
	return r < 0 ? bh_error_prefix(err,
				       "container %s: what it learned is discarded (profile %s "
				       "unchanged)",
				       id,
				       bh_json_str(l, "profile") ? bh_json_str(l, "profile") : "?")
		     : 0;
}
