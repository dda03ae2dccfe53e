/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `bench containers`: the container checks (BH-CTR-*) on the OCI config.json
 * of every running container of every engine, found by the monitor's
 * inventory (bh_ctr_list: runtimes' state, podman's store, dockerd's Engine
 * API). The config is what the runtime runs, whichever engine wrote it, so
 * one table serves docker, podman, containerd, CRI-O and bulkhead. Ports and
 * restart policies are not in a config.json: for the containers of dockerd
 * and podman they come from the engine's inspect data (GET
 * /containers/ID/json on its API socket, inspect.c), checked by a second
 * table; a container no engine speaks for (runc's own) has no such rows.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/containers.h"
#include "host_int.h"
#include "banned.h"

typedef enum bh_host_status (*ctr_fn)(const json_t *cfg, struct bh_buf *a);

static const json_t *path(const json_t *o, const char *a, const char *b, const char *c)
{
	o = json_object_get(o, a);
	if (o && b)
		o = json_object_get(o, b);
	if (o && c)
		o = json_object_get(o, c);
	return o;
}

static bool has_cap(const json_t *cfg, const char *cap)
{
	const json_t *eff = path(cfg, "process", "capabilities", "effective"), *v;
	size_t i;

	json_array_foreach (eff, i, v) {
		if (json_is_string(v) && !strcmp(json_string_value(v), cap))
			return true;
	}
	return false;
}

/* no seccomp, or one that allows everything */
static bool seccomp_off(const json_t *cfg)
{
	const json_t *s = path(cfg, "linux", "seccomp", NULL);
	const char *def;
	const json_t *calls;

	if (!json_is_object(s))
		return true;
	def = json_string_value(json_object_get(s, "defaultAction"));
	calls = json_object_get(s, "syscalls");
	return def && !strcmp(def, "SCMP_ACT_ALLOW") && json_array_size(calls) == 0;
}

static enum bh_host_status c_privileged(const json_t *cfg, struct bh_buf *a)
{
	const json_t *devs = path(cfg, "linux", "resources", "devices"), *d;
	size_t i;

	json_array_foreach (devs, i, d) {
		const char *type = json_string_value(json_object_get(d, "type"));

		if (json_is_true(json_object_get(d, "allow")) && (!type || !strcmp(type, "a")) &&
		    !json_object_get(d, "major") && !json_object_get(d, "minor")) {
			bh_buf_adds(a, "every device allowed", NULL);
			return BH_HOST_FAIL;
		}
	}
	if (has_cap(cfg, "CAP_SYS_ADMIN") && seccomp_off(cfg)) {
		bh_buf_adds(a, "CAP_SYS_ADMIN without seccomp", NULL);
		return BH_HOST_FAIL;
	}
	bh_buf_adds(a, "not privileged", NULL);
	return BH_HOST_PASS;
}

static enum bh_host_status c_caps(const json_t *cfg, struct bh_buf *a)
{
	/* docker's and podman's default set */
	static const char *const dflt[] = {
		"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",	   "CAP_FOWNER",
		"CAP_MKNOD",   "CAP_NET_RAW",	   "CAP_SETGID",	   "CAP_SETUID",
		"CAP_SETFCAP", "CAP_SETPCAP",	   "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
		"CAP_KILL",    "CAP_AUDIT_WRITE"
	};
	const json_t *eff = path(cfg, "process", "capabilities", "effective"), *v;
	size_t i, extra = 0;

	json_array_foreach (eff, i, v) {
		const char *s = json_string_value(v);
		bool known = false;

		for (size_t j = 0; s && j < sizeof(dflt) / sizeof(dflt[0]); j++)
			known = known || !strcmp(s, dflt[j]);
		if (s && !known) {
			bh_buf_addf(a, NULL, "%s%s", extra ? " " : "added: ", s);
			extra++;
		}
	}
	if (!extra)
		bh_buf_addf(a, NULL, "%zu capabilities, none beyond the default set",
			    json_array_size(eff));
	return extra ? BH_HOST_FAIL : BH_HOST_PASS;
}

static enum bh_host_status ns(const json_t *cfg, struct bh_buf *a, const char *type)
{
	const json_t *nss = path(cfg, "linux", "namespaces", NULL), *n;
	size_t i;

	json_array_foreach (nss, i, n) {
		const char *t = json_string_value(json_object_get(n, "type"));
		const char *p = json_string_value(json_object_get(n, "path"));

		if (t && !strcmp(t, type)) {
			/* a path joins an existing namespace: another container's, or the
			 * host's (init's; dockerd's --network host gives its sandbox key,
			 * <exec-root>/netns/default, a bind mount of the host's) */
			if (p && (bh_str_has_prefix(p, "/proc/1/ns/") ||
				  (!strcmp(type, "network") &&
				   bh_str_has_suffix(p, "/netns/default")))) {
				bh_buf_addf(a, NULL, "%s namespace joined: %s", type, p);
				return BH_HOST_FAIL;
			}
			bh_buf_addf(a, NULL, "own %s namespace%s%s", type, p ? ": " : "",
				    p ? p : "");
			return BH_HOST_PASS;
		}
	}
	bh_buf_addf(a, NULL, "the host's %s namespace", type);
	return BH_HOST_FAIL;
}
static enum bh_host_status c_net(const json_t *cfg, struct bh_buf *a)
{
	return ns(cfg, a, "network");
}
static enum bh_host_status c_pid(const json_t *cfg, struct bh_buf *a)
{
	return ns(cfg, a, "pid");
}
static enum bh_host_status c_ipc(const json_t *cfg, struct bh_buf *a)
{
	return ns(cfg, a, "ipc");
}
static enum bh_host_status c_uts(const json_t *cfg, struct bh_buf *a)
{
	return ns(cfg, a, "uts");
}

static enum bh_host_status c_mounts(const json_t *cfg, struct bh_buf *a)
{
	static const char *const sockets[] = { "/var/run/docker.sock",
					       "/run/docker.sock",
					       "/run/containerd/containerd.sock",
					       "/var/run/containerd/containerd.sock",
					       "/run/podman/podman.sock",
					       "/run/crio/crio.sock",
					       "/var/run/crio/crio.sock",
					       NULL };
	static const char *const dirs[] = { "/etc", "/proc", "/sys",	 "/boot", "/dev", "/usr",
					    "/lib", "/root", "/var/run", "/run",  NULL };
	static const char *const fine[] = {
		"/etc/resolv.conf", "/etc/hosts", "/etc/hostname", "/etc/localtime", "/dev/null",
		"/dev/pts",	    NULL
	};
	const json_t *mounts = json_object_get(cfg, "mounts"), *m;
	struct bh_buf sock = BH_BUF_INIT(4096), other = BH_BUF_INIT(4096);
	size_t i;
	enum bh_host_status st = BH_HOST_PASS;

	json_array_foreach (mounts, i, m) {
		const char *src = json_string_value(json_object_get(m, "source"));
		const char *type = json_string_value(json_object_get(m, "type"));
		const json_t *opts = json_object_get(m, "options"), *o;
		bool bind = type && !strcmp(type, "bind"), hit = false;
		size_t j;

		json_array_foreach (opts, j, o) {
			const char *s = json_string_value(o);

			bind = bind || (s && (!strcmp(s, "bind") || !strcmp(s, "rbind")));
		}
		if (!bind || !src)
			continue;
		/* the container's own files made by its engine in containers-storage's
		 * run directory (podman, CRI-O: hosts, hostname, resolv.conf) */
		if (strstr(src, "/overlay-containers/") && strstr(src, "/userdata/"))
			continue;
		for (j = 0; sockets[j] && !hit; j++)
			/* by its name too: an engine's socket moved (a private dockerd's) */
			if (!strcmp(src, sockets[j]) ||
			    bh_str_has_suffix(src, strrchr(sockets[j], '/'))) {
				bh_buf_addf(&sock, NULL, "%s%s", sock.len ? ", " : "", src);
				hit = true;
			}
		if (hit)
			continue;
		for (j = 0; fine[j]; j++)
			hit = hit || !strcmp(src, fine[j]);
		if (hit)
			continue;
		if (!strcmp(src, "/"))
			hit = true;
		for (j = 0; dirs[j] && !hit; j++) {
			size_t n = strlen(dirs[j]);

			hit = !strncmp(src, dirs[j], n) && (src[n] == 0 || src[n] == '/');
		}
		if (hit)
			bh_buf_addf(&other, NULL, "%s%s", other.len ? ", " : "", src);
	}
	if (sock.len) {
		bh_buf_addf(a, NULL, "the runtime socket: %s", sock.data);
		st = BH_HOST_FAIL;
	}
	if (other.len) {
		bh_buf_addf(a, NULL, "%shost paths: %s", a->len ? "; " : "", other.data);
		st = BH_HOST_FAIL;
	}
	if (st == BH_HOST_PASS)
		bh_buf_adds(a, "no sensitive host path", NULL);
	bh_buf_release(&sock);
	bh_buf_release(&other);
	return st;
}

static enum bh_host_status c_rootfs(const json_t *cfg, struct bh_buf *a)
{
	bool ro = json_is_true(path(cfg, "root", "readonly", NULL));

	bh_buf_adds(a, ro ? "read-only root" : "writable root", NULL);
	return ro ? BH_HOST_PASS : BH_HOST_FAIL;
}

static json_int_t intval(const json_t *v)
{
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static enum bh_host_status c_memory(const json_t *cfg, struct bh_buf *a)
{
	json_int_t l =
		intval(path(cfg, "linux", "resources", "memory")
			       ? json_object_get(path(cfg, "linux", "resources", "memory"), "limit")
			       : NULL);

	if (l > 0)
		bh_buf_addf(a, NULL, "memory limit %lld bytes", (long long)l);
	else
		bh_buf_adds(a, "no memory limit", NULL);
	return l > 0 ? BH_HOST_PASS : BH_HOST_FAIL;
}

static enum bh_host_status c_cpu(const json_t *cfg, struct bh_buf *a)
{
	const json_t *cpu = path(cfg, "linux", "resources", "cpu");
	json_int_t quota = intval(json_object_get(cpu, "quota"));
	json_int_t shares = intval(json_object_get(cpu, "shares"));

	if (quota > 0)
		bh_buf_addf(a, NULL, "cpu quota %lld", (long long)quota);
	else if (shares > 0 && shares != 1024)
		bh_buf_addf(a, NULL, "cpu shares %lld", (long long)shares);
	else
		bh_buf_adds(a, "no cpu quota or shares", NULL);
	return quota > 0 || (shares > 0 && shares != 1024) ? BH_HOST_PASS : BH_HOST_FAIL;
}

static enum bh_host_status c_pids(const json_t *cfg, struct bh_buf *a)
{
	json_int_t l = intval(json_object_get(path(cfg, "linux", "resources", "pids"), "limit"));

	if (l > 0)
		bh_buf_addf(a, NULL, "pids limit %lld", (long long)l);
	else
		bh_buf_adds(a, "no pids limit", NULL);
	return l > 0 ? BH_HOST_PASS : BH_HOST_FAIL;
}

static enum bh_host_status c_seccomp(const json_t *cfg, struct bh_buf *a)
{
	const json_t *s = path(cfg, "linux", "seccomp", NULL);

	if (!seccomp_off(cfg)) {
		bh_buf_addf(a, NULL, "seccomp, default %s, %zu rules",
			    json_string_value(json_object_get(s, "defaultAction"))
				    ? json_string_value(json_object_get(s, "defaultAction"))
				    : "?",
			    json_array_size(json_object_get(s, "syscalls")));
		return BH_HOST_PASS;
	}
	bh_buf_adds(a, s ? "seccomp allows everything" : "no seccomp (unconfined)", NULL);
	return BH_HOST_FAIL;
}

static enum bh_host_status c_nnp(const json_t *cfg, struct bh_buf *a)
{
	bool on = json_is_true(path(cfg, "process", "noNewPrivileges", NULL));

	bh_buf_adds(a, on ? "noNewPrivileges true" : "noNewPrivileges off", NULL);
	return on ? BH_HOST_PASS : BH_HOST_FAIL;
}

static enum bh_host_status c_user(const json_t *cfg, struct bh_buf *a)
{
	const json_t *uid = path(cfg, "process", "user", "uid"), *m;
	const json_t *maps = path(cfg, "linux", "uidMappings", NULL);
	size_t i;

	if (!json_is_integer(uid) || json_integer_value(uid) != 0) {
		bh_buf_addf(a, NULL, "uid %lld", (long long)intval(uid));
		return BH_HOST_PASS;
	}
	json_array_foreach (maps, i, m) {
		if (intval(json_object_get(m, "containerID")) == 0 &&
		    intval(json_object_get(m, "hostID")) != 0) {
			bh_buf_addf(a, NULL, "uid 0 in a user namespace (host uid %lld)",
				    (long long)intval(json_object_get(m, "hostID")));
			return BH_HOST_PASS;
		}
	}
	bh_buf_adds(a, "uid 0 (the host's root)", NULL);
	return BH_HOST_FAIL;
}

/* ---- what only the engine knows (its inspect data) ---------------------------------- */

typedef enum bh_host_status (*eng_fn)(const struct bh_host_inspect *in, struct bh_buf *a);

static enum bh_host_status e_privileged(const struct bh_host_inspect *in, struct bh_buf *a)
{
	bh_buf_adds(a,
		    in->privileged ? "HostConfig.Privileged true (--privileged)"
				   : "HostConfig.Privileged false",
		    NULL);
	return in->privileged ? BH_HOST_FAIL : BH_HOST_PASS;
}

static enum bh_host_status e_ports(const struct bh_host_inspect *in, struct bh_buf *a)
{
	size_t shown = 0;

	if (!in->nports) {
		bh_buf_adds(a, "no port published on the host", NULL);
		return BH_HOST_PASS;
	}
	for (size_t i = 0; i < in->nports && i < BH_HOST_INSPECT_PORTS; i++) {
		int p = in->host_port[i];

		if (in->low_port >= 1024 || (p > 0 && p < 1024))
			bh_buf_addf(a, NULL, "%s%s", shown++ ? ", " : "", in->ports[i]);
	}
	if (in->low_port >= 1024) {
		bh_buf_adds(a, " (none below 1024)", NULL);
		return BH_HOST_PASS;
	}
	bh_buf_addf(a, NULL, " (below 1024)");
	return BH_HOST_FAIL;
}

static enum bh_host_status e_restart(const struct bh_host_inspect *in, struct bh_buf *a)
{
	const char *n = in->restart ? in->restart : "no";

	if (!strcmp(n, "on-failure")) {
		bh_buf_addf(a, NULL, "on-failure, MaximumRetryCount %lld", in->max_retry);
		return in->max_retry > 0 && in->max_retry <= 5 ? BH_HOST_PASS : BH_HOST_FAIL;
	}
	bh_buf_addf(a, NULL, "%s", n);
	return !strcmp(n, "no") ? BH_HOST_PASS : BH_HOST_FAIL;
}

#define N_RT  "4.4.3"
#define N_NET "4.4.2"
#define CTR(ID, CIS, LVL, FN, TITLE, EXP, REM)                                                     \
	{                                                                                          \
		{ ID, CIS, N_RT, LVL, TITLE, EXP, REM, NULL, { NULL }, 0, 0, 0 }, FN               \
	}

static const struct {
	struct check k;
	ctr_fn fn;
} ctr_checks[] = {
	CTR("BH-CTR-001", "5.4", 1, c_privileged, "not privileged",
	    "no all-devices rule; no CAP_SYS_ADMIN without seccomp", "run without --privileged"),
	CTR("BH-CTR-002", "5.3", 1, c_caps, "no capabilities added",
	    "effective capabilities within the engines' default set",
	    "drop --cap-add; add only what the workload needs, drop ALL first"),
	CTR("BH-CTR-003", "5.9", 1, c_net, "not in the host's network namespace",
	    "a network namespace of its own", "do not use --network host"),
	CTR("BH-CTR-004", "5.15", 1, c_pid, "not in the host's PID namespace",
	    "a PID namespace of its own", "do not use --pid host"),
	CTR("BH-CTR-005", "5.16", 1, c_ipc, "not in the host's IPC namespace",
	    "an IPC namespace of its own", "do not use --ipc host"),
	CTR("BH-CTR-006", "5.20", 1, c_uts, "not in the host's UTS namespace",
	    "a UTS namespace of its own", "do not use --uts host"),
	CTR("BH-CTR-007", "5.5, 5.31", 1, c_mounts, "no sensitive host path mounted",
	    "no runtime socket, no /, /etc, /proc, /sys, /boot, /dev, /usr, /lib, /root, /run",
	    "remove the bind mount (the runtime socket gives the host away)"),
	CTR("BH-CTR-008", "5.12", 1, c_rootfs, "read-only root file system", "root.readonly true",
	    "run with --read-only and tmpfs or volumes for what it writes"),
	CTR("BH-CTR-009", "5.10", 1, c_memory, "a memory limit", "a memory limit",
	    "run with --memory"),
	CTR("BH-CTR-010", "5.11", 2, c_cpu, "a CPU limit", "a CPU quota or shares",
	    "run with --cpus or --cpu-shares"),
	CTR("BH-CTR-011", "5.28", 1, c_pids, "a pids limit", "a pids limit",
	    "run with --pids-limit"),
	CTR("BH-CTR-012", "5.21", 1, c_seccomp, "a seccomp profile",
	    "a seccomp filter that refuses something",
	    "do not use --security-opt seccomp=unconfined"),
	CTR("BH-CTR-013", "5.25", 1, c_nnp, "no new privileges", "noNewPrivileges true",
	    "run with --security-opt no-new-privileges"),
	CTR("BH-CTR-014", "4.1", 1, c_user, "not the host's root",
	    "a non-zero uid, or uid 0 mapped to another in a user namespace",
	    "set USER in the image or --user; or remap with a user namespace"),
};

#define ENG(ID, CIS, NIST, LVL, FN, TITLE, EXP, REM)                                               \
	{                                                                                          \
		{ ID, CIS, NIST, LVL, TITLE, EXP, REM, NULL, { NULL }, 0, 0, 0 }, FN               \
	}

static const struct {
	struct check k;
	eng_fn fn;
} eng_checks[] = {
	ENG("BH-CTR-015", "5.4", N_RT, 1, e_privileged, "not run with --privileged",
	    "HostConfig.Privileged false", "run without --privileged"),
	ENG("BH-CTR-016", "5.7", N_NET, 1, e_ports, "no privileged port published on the host",
	    "no host port below 1024",
	    "publish on a host port of 1024 or more (-p 8080:80), or behind a proxy"),
	ENG("BH-CTR-017", "5.14", N_RT, 1, e_restart, "a bounded restart policy",
	    "restart policy no, or on-failure with MaximumRetryCount 1 to 5",
	    "run with --restart on-failure:5 (not always or unless-stopped)"),
};

void bh_host_check_container(const json_t *cfg, const struct bh_host_inspect *ins,
			     const char *why_not, const char *target, int level,
			     struct bh_host_report *r)
{
	struct hctx c = { .rootfd = -1, .r = r, .target = target };

	bh_host_check_config(cfg, target, level, r);
	if (!ins && !why_not)
		return;
	for (size_t i = 0; i < sizeof(eng_checks) / sizeof(eng_checks[0]); i++) {
		struct bh_buf a = BH_BUF_INIT(16384);
		enum bh_host_status st = BH_HOST_INFO;

		if (eng_checks[i].k.level > level)
			continue;
		if (ins)
			st = eng_checks[i].fn(ins, &a);
		else
			bh_buf_addf(&a, NULL, "unknown: %s", why_not);
		host_add(&c, &eng_checks[i].k, st, "%s", a.data ? a.data : "");
		bh_buf_release(&a);
	}
}

void bh_host_check_config(const json_t *cfg, const char *target, int level,
			  struct bh_host_report *r)
{
	struct hctx c = { .rootfd = -1, .r = r, .target = target };

	for (size_t i = 0; i < sizeof(ctr_checks) / sizeof(ctr_checks[0]); i++) {
		struct bh_buf a = BH_BUF_INIT(16384);
		enum bh_host_status st;

		if (ctr_checks[i].k.level > level)
			continue;
		st = ctr_checks[i].fn(cfg, &a);
		host_add(&c, &ctr_checks[i].k, st, "%s", a.data ? a.data : "");
		bh_buf_release(&a);
	}
}

/* One container: its config, and what its engine says when it is dockerd or podman. */
static void check_one(const struct bh_ctr_opts *co, const struct bh_ctr *ct, const char *target,
		      int level, struct bh_host_report *r)
{
	const char *sock = NULL, *engine = NULL;
	struct bh_host_inspect in;
	struct bh_error *err = NULL;
	char *why = NULL;

	if (ct->engine == BH_CTR_DOCKER) {
		sock = co->docker_socket ? co->docker_socket : "/var/run/docker.sock";
		engine = "the Docker engine";
	} else if (ct->engine == BH_CTR_PODMAN) {
		sock = co->podman_socket ? co->podman_socket : "/run/podman/podman.sock";
		engine = "podman's API service";
	}
	if (!sock) {
		bh_host_check_container(ct->config, NULL, NULL, target, level, r);
		return;
	}
	if (!*sock) {
		why = bh_asprintf("%s is not asked (no socket given)", engine);
	} else if (host_inspect_get(sock, engine, ct->id, &in, &err) < 0) {
		char *m = bh_error_message(err);

		why = bh_error_code(err) == BH_ERR_NOTFOUND
			      ? bh_asprintf("%s is not running (%s)", engine, sock)
			      : bh_strdup(m);
		free(m);
		bh_error_free(err);
	}
	bh_host_check_container(ct->config, why ? NULL : &in, why, target, level, r);
	if (!why)
		bh_host_inspect_release(&in);
	free(why);
}

int bh_host_bench_containers(const struct bh_host_opts *opts, const struct bh_ctr_opts *copts,
			     struct bh_host_report **out, struct bh_error **err)
{
	static const struct check unreadable = { "BH-CTR-000",
						 NULL,
						 N_RT,
						 1,
						 "the container's config.json can be read",
						 "config.json read",
						 "look at the runtime's state of the container",
						 NULL,
						 { NULL },
						 0,
						 0,
						 0 };
	struct bh_ctr_opts co = copts ? *copts : (struct bh_ctr_opts){ 0 };
	int level = opts && opts->level ? opts->level : 2;
	struct bh_ctr_list *l = NULL;
	struct bh_host_report *r;
	struct timespec ts;

	*out = NULL;
	if (level < 1 || level > 2)
		return bh_error_set(err, BH_ERR_USAGE, "level %d: not 1 or 2", level);
	co.root = opts && opts->root ? opts->root : co.root;
	if (bh_ctr_list(&co, &l, err) < 0)
		return bh_error_prefix(err, "listing the containers");
	r = bh_calloc(1, sizeof(*r));
	r->root = bh_strdup(co.root ? co.root : "/");
	clock_gettime(CLOCK_REALTIME, &ts);
	r->start = ts.tv_sec;
	for (size_t i = 0; i < l->n; i++) {
		const struct bh_ctr *ct = &l->v[i];
		char *target;

		if (ct->status && strcmp(ct->status, "running"))
			continue;
		target = bh_asprintf("%s %s (%.12s)", bh_ctr_engine_name(ct->engine),
				     ct->name ? ct->name : ct->id, ct->id);
		if (json_is_object(ct->config)) {
			check_one(&co, ct, target, level, r);
		} else {
			struct hctx c = { .rootfd = -1, .r = r, .target = target };

			host_add(&c, &unreadable, BH_HOST_WARN, "%s",
				 ct->config_error ? ct->config_error : "no config.json");
		}
		free(target);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	r->end = ts.tv_sec;
	bh_ctr_list_free(l);
	*out = r;
	return 0;
}
