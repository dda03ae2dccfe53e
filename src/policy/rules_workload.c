/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rule kinds about how a workload runs: the Pod Security Standards per
 * namespace (podSecurity, 4.4.3), bulkhead's own workload rules on a
 * Kubernetes pod or an OCI runtime config (workload, 4.4.3 and 4.5.x), and
 * placement by sensitivity (placement, 4.3.4).
 *
 * The workload rules read one view of either input (struct wl below): for a
 * pod, its containers' security contexts, resources and host path volumes;
 * for an OCI config, the process's capabilities, the namespaces, the root,
 * seccomp, cgroup limits and bind mounts. What an OCI config cannot say the
 * way Kubernetes does is decided as the engines set it up: "privileged" is
 * CAP_SYS_ADMIN in the bounding set with no masked paths (what --privileged
 * gives), a host namespace is one the config does not create or join, the
 * capabilities "added" are those beyond the engines' default set.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "banned.h"

/* ---- podSecurity ---------------------------------------------------------------- */

struct pss_rule {
	struct bh_pss_lv lv;
	bool ns_labels;
	char **ex_namespaces, **ex_users, **ex_runtime_classes;
};

static const struct pol_field pss_fields[] = {
	FE("level", PF_ENUM, "privileged baseline restricted"),
	F("version", PF_VERSION),
	F("namespaceLabels", PF_BOOL),
	F("exemptions", PF_EXEMPT),
	{ .name = NULL },
};

static char **strv_of(const json_t *list)
{
	struct bh_strvec v = BH_STRVEC_INIT;
	size_t i;
	json_t *e;

	json_array_foreach (list, i, e)
		bh_strvec_push(&v, json_string_value(e));
	return bh_strvec_detach(&v);
}

static int pss_compile(struct pol_rule *r, const json_t *def, struct pol_compile *pc)
{
	struct pss_rule *p = bh_calloc(1, sizeof(*p));
	const json_t *ex = json_object_get(def, "exemptions");
	const char *ver = bh_json_str(def, "version");

	r->params = p;
	bh_pss_parse_level(bh_json_str(def, "level"), &p->lv.level);
	p->lv.minor = BH_PSS_LATEST;
	if (ver)
		bh_pss_parse_version(ver, &p->lv.minor);
	p->ns_labels = !json_is_false(json_object_get(def, "namespaceLabels"));
	p->ex_namespaces = strv_of(json_object_get(ex, "namespaces"));
	p->ex_users = strv_of(json_object_get(ex, "usernames"));
	p->ex_runtime_classes = strv_of(json_object_get(ex, "runtimeClasses"));
	(void)pc;
	return 0;
}

static void pss_free(void *params)
{
	struct pss_rule *p = params;

	if (!p)
		return;
	bh_strv_free(p->ex_namespaces);
	bh_strv_free(p->ex_users);
	bh_strv_free(p->ex_runtime_classes);
	free(p);
}

static int pss_eval(const struct pol_rule *r, struct pol_ctx *c, struct bh_error **err)
{
	const struct pss_rule *p = r->params;
	struct bh_pss_policy def, nsp;
	enum bh_pss_mode mode = r->action == BH_ACT_ENFORCE ? BH_PSS_ENFORCE
				: r->action == BH_ACT_AUDIT ? BH_PSS_AUDIT
							    : BH_PSS_WARN;
	struct bh_pss_result res;
	struct bh_pss_lv lv;
	char lvs[BH_PSS_LV_MAX], *msg;
	bool would;

	/* PSA's exemptions */
	if ((c->namespace && bh_strv_contains(p->ex_namespaces, c->namespace)) ||
	    (c->in->username && bh_strv_contains(p->ex_users, c->in->username)) ||
	    (c->pod->runtime_class &&
	     bh_strv_contains(p->ex_runtime_classes, c->pod->runtime_class)))
		return 0;
	for (int m = 0; m < BH_PSS_NMODES; m++)
		def.mode[m] = (struct bh_pss_lv){ BH_PSS_PRIVILEGED, BH_PSS_LATEST };
	def.mode[mode] = p->lv;
	if (p->ns_labels)
		bh_pss_policy_from_labels(c->in->namespace_labels, &def, &nsp, NULL);
	else
		nsp = def;
	lv = nsp.mode[mode];
	if (pol_pss_eval_pod(c->pod, lv.level, lv.minor, &res, err) < 0)
		return -1;
	if (!res.allowed) {
		/* PSA's words: a pod "violates" the enforced level; audit, warn and
		 * workload resources "would violate" it */
		would = mode != BH_PSS_ENFORCE || c->is_workload;
		msg = bh_pss_message(lv, &res, would);
		if (c->in->workload_warn_only && c->is_workload && r->action == BH_ACT_ENFORCE) {
			/* PSA enforces on pods only: on a workload the enforce level warns */
			struct pol_rule warn = *r;

			warn.action = BH_ACT_WARN;
			pol_hit(c, &warn, bh_pss_lv_string(lv, lvs), NULL, NULL, NULL, "%s", msg);
		} else {
			pol_hit(c, r, bh_pss_lv_string(lv, lvs), NULL, NULL, NULL, "%s", msg);
		}
		free(msg);
	}
	bh_pss_result_release(&res);
	return 0;
}

const struct pol_rule_kind pol_kind_pod_security = {
	"podSecurity", "4.4.3", POL_IN_K8S, 0, pss_fields, "level", pss_compile, pss_free, pss_eval,
};

/* ---- the workload view ------------------------------------------------------------- */

struct wl_container {
	const char *name;
	enum pol_tri privileged, read_only_root;
	bool has_caps_list; /* Kubernetes: capabilities set; OCI: always */
	struct pol_strs added;
	bool drops_all;
	bool seccomp; /* a confining seccomp profile applies */
	bool limit_cpu, limit_memory;
	int root; /* 1 runs as root, 0 does not, -1 may (unknown) */
};

struct wl {
	bool host_network, host_pid, host_ipc, host_uts;
	struct wl_container *c;
	size_t nc;
	struct pol_strs host_paths, host_path_names; /* the path, and the volume (or mount) */
	bool is_oci;
};

static void strs_push(struct pol_strs *s, const char *v)
{
	s->v = bh_reallocarray(s->v, s->n + 2, sizeof(*s->v));
	s->v[s->n++] = v;
	s->v[s->n] = NULL;
}

static void wl_release(struct wl *w)
{
	for (size_t i = 0; i < w->nc; i++)
		if (w->is_oci)
			free(w->c[i].added.v);
	free(w->c);
	free(w->host_paths.v);
	free(w->host_path_names.v);
}

static bool seccomp_confines(const char *type)
{
	return type && (!strcmp(type, "RuntimeDefault") || !strcmp(type, "Localhost"));
}

/* The image user of a container, when the input knows it: 1 root, 0 not, -1 unknown. */
static int image_root(const struct pol_ctx *c, const char *image)
{
	for (size_t i = 0; i < c->nimages; i++) {
		const struct bh_policy_image *f = c->images[i].facts;

		if (strcmp(c->images[i].ref, image ? image : "") || !f || !f->config_known)
			continue;
		if (!f->user || !*f->user)
			return 1;
		return !strncmp(f->user, "root", 4) ||
		       (f->user[0] == '0' && (!f->user[1] || f->user[1] == ':'));
	}
	return -1;
}

static void wl_from_pod(const struct pol_ctx *c, struct wl *w)
{
	const struct pol_pod *p = c->pod;

	memset(w, 0, sizeof(*w));
	w->host_network = p->host_network;
	w->host_pid = p->host_pid;
	w->host_ipc = p->host_ipc;
	w->c = bh_calloc(p->nc + 1, sizeof(*w->c));
	for (size_t i = 0; i < p->nc; i++) {
		const struct pol_container *pc = &p->c[i];
		struct wl_container *x = &w->c[w->nc++];
		bool non_root;

		x->name = pc->name;
		x->privileged = pc->privileged;
		x->read_only_root = pc->read_only_root;
		x->has_caps_list = pc->has_caps;
		x->added = pc->cap_add;
		for (size_t j = 0; j < pc->cap_drop.n; j++)
			x->drops_all |= !strcmp(pc->cap_drop.v[j], "ALL");
		x->seccomp =
			pc->sc.has_seccomp
				? seccomp_confines(pc->sc.seccomp_type)
				: seccomp_confines(p->sc.has_seccomp ? p->sc.seccomp_type : NULL);
		x->limit_cpu = pc->limit_cpu;
		x->limit_memory = pc->limit_memory;
		/* root: runAsUser 0 (container over pod), else runAsNonRoot, else the image */
		if (pc->sc.has_run_as_user)
			x->root = pc->sc.run_as_user == 0;
		else if (p->sc.has_run_as_user)
			x->root = p->sc.run_as_user == 0;
		else {
			non_root = pc->sc.run_as_non_root == POL_TRUE ||
				   (pc->sc.run_as_non_root == POL_UNSET &&
				    p->sc.run_as_non_root == POL_TRUE);
			x->root = non_root ? 0 : image_root(c, pc->image);
		}
	}
	for (size_t i = 0; i < p->nvolumes; i++) {
		if (p->volumes[i].host_path) {
			strs_push(&w->host_paths, p->volumes[i].host_path);
			strs_push(&w->host_path_names, p->volumes[i].name);
		}
	}
}

/* The capabilities docker, podman and containerd give a container by default. */
static const char *const engine_default_caps[] = {
	"AUDIT_WRITE",	    "CHOWN",   "DAC_OVERRIDE", "FOWNER", "FSETID",  "KILL",   "MKNOD",
	"NET_BIND_SERVICE", "NET_RAW", "SETFCAP",      "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
};

static const char *cap_base(const char *c)
{
	return bh_str_has_prefix(c, "CAP_") ? c + 4 : c;
}

static void wl_from_oci(const json_t *cfg, struct wl *w)
{
	const json_t *proc = bh_json_obj(cfg, "process"), *lin = bh_json_obj(cfg, "linux");
	const json_t *bounding = bh_json_arr(bh_json_obj(proc, "capabilities"), "bounding");
	const json_t *sc = bh_json_obj(lin, "seccomp"), *res = bh_json_obj(lin, "resources");
	struct wl_container *x;
	bool has_ns[4] = { false }, sysadmin = false;
	static const char *const nstypes[] = { "network", "pid", "ipc", "uts" };
	json_int_t v;
	size_t i;
	json_t *e;

	memset(w, 0, sizeof(*w));
	w->is_oci = true;
	json_array_foreach (bh_json_arr(lin, "namespaces"), i, e) {
		const char *t = bh_json_str(e, "type");

		for (int k = 0; t && k < 4; k++)
			has_ns[k] |= !strcmp(t, nstypes[k]);
	}
	w->host_network = !has_ns[0];
	w->host_pid = !has_ns[1];
	w->host_ipc = !has_ns[2];
	w->host_uts = !has_ns[3];
	w->c = bh_calloc(2, sizeof(*w->c));
	x = &w->c[w->nc++];
	x->name = "container";
	x->has_caps_list = true;
	json_array_foreach (bounding, i, e) {
		const char *cap = json_string_value(e);
		bool dflt = false;

		if (!cap)
			continue;
		sysadmin |= !strcmp(cap_base(cap), "SYS_ADMIN");
		for (size_t k = 0; k < sizeof(engine_default_caps) / sizeof(engine_default_caps[0]);
		     k++)
			dflt |= !strcmp(cap_base(cap), engine_default_caps[k]);
		if (!dflt)
			strs_push(&x->added, cap_base(cap));
	}
	x->drops_all = json_array_size(bounding) == 0;
	x->privileged = sysadmin && !json_array_size(bh_json_arr(lin, "maskedPaths")) ? POL_TRUE
										      : POL_FALSE;
	x->read_only_root = json_is_true(json_object_get(bh_json_obj(cfg, "root"), "readonly"))
				    ? POL_TRUE
				    : POL_FALSE;
	x->seccomp = sc && bh_json_str(sc, "defaultAction") &&
		     strcmp(bh_json_str(sc, "defaultAction"), "SCMP_ACT_ALLOW");
	x->limit_memory = bh_json_int(bh_json_obj(res, "memory"), "limit", &v) && v > 0;
	x->limit_cpu = bh_json_int(bh_json_obj(res, "cpu"), "quota", &v) && v > 0;
	x->root = bh_json_int(bh_json_obj(proc, "user"), "uid", &v) ? v == 0 : 1;
	json_array_foreach (bh_json_arr(cfg, "mounts"), i, e) {
		const char *type = bh_json_str(e, "type"), *src = bh_json_str(e, "source");
		bool bind = type && !strcmp(type, "bind");
		size_t j;
		json_t *o;

		json_array_foreach (bh_json_arr(e, "options"), j, o)
			bind |= json_is_string(o) && (!strcmp(json_string_value(o), "bind") ||
						      !strcmp(json_string_value(o), "rbind"));
		if (bind && src) {
			strs_push(&w->host_paths, src);
			strs_push(&w->host_path_names, bh_json_str(e, "destination")
							       ? bh_json_str(e, "destination")
							       : src);
		}
	}
}

/* ---- workload -------------------------------------------------------------------------- */

/* Paths whose mount exposes the host: the runtimes' sockets, the kubelet's
 * and engines' state, and the system's configuration and kernel interfaces. */
static const char *const sensitive_paths[] = {
	"/",
	"/boot",
	"/dev",
	"/etc",
	"/home",
	"/lib/modules",
	"/proc",
	"/root",
	"/run/containerd",
	"/run/crio",
	"/run/docker.sock",
	"/run/podman",
	"/sys",
	"/usr",
	"/var/lib/containerd",
	"/var/lib/docker",
	"/var/lib/kubelet",
	"/var/lib/containers",
	"/var/log",
	"/var/run/containerd",
	"/var/run/crio",
	"/var/run/docker.sock",
	"/var/run/podman",
	"/etc/kubernetes",
	"/bin",
	"/sbin",
	"/lib",
	"/lib64",
};

struct workload {
	bool deny_privileged, deny_host_ns, require_drop_all, require_ro_root, require_seccomp;
	bool has_allowed_caps, limit_cpu, limit_memory, deny_root;
	char **allowed_caps;
	char **deny_paths; /* NULL: not a rule */
	char **allow_paths;
};

static const struct pol_field workload_fields[] = {
	F("denyPrivileged", PF_BOOL),
	F("denyHostNamespaces", PF_BOOL),
	F("allowedCapabilities", PF_STRS),
	F("requireDropAll", PF_BOOL),
	F("requireReadOnlyRoot", PF_BOOL),
	F("requireSeccomp", PF_BOOL),
	FE("requireLimits", PF_ENUMS, "cpu memory"),
	F("denyHostPaths", PF_BOOL_OR_STRS),
	F("allowHostPaths", PF_STRS),
	F("denyRoot", PF_BOOL),
	{ .name = NULL },
};

/* A lexically clean absolute path ("/a//b/./c/" -> "/a/b/c"); NULL when not absolute. */
static char *clean_path(const char *p)
{
	struct bh_buf b = BH_BUF_INIT(1 << 16);
	char *out;

	if (!p || p[0] != '/')
		return NULL;
	if (bh_path_clean(p, true, 4096, &b, NULL) < 0) {
		bh_buf_release(&b);
		return NULL;
	}
	out = bh_asprintf("/%s", b.data ? b.data : "");
	bh_buf_release(&b);
	return out;
}

static int workload_compile(struct pol_rule *r, const json_t *def, struct pol_compile *pc)
{
	struct workload *w = bh_calloc(1, sizeof(*w));
	const json_t *caps = json_object_get(def, "allowedCapabilities");
	const json_t *deny = json_object_get(def, "denyHostPaths"), *lim;
	struct bh_strvec v = BH_STRVEC_INIT;
	size_t i;
	json_t *e;

	r->params = w;
	w->deny_privileged = json_is_true(json_object_get(def, "denyPrivileged"));
	w->deny_host_ns = json_is_true(json_object_get(def, "denyHostNamespaces"));
	w->require_drop_all = json_is_true(json_object_get(def, "requireDropAll"));
	w->require_ro_root = json_is_true(json_object_get(def, "requireReadOnlyRoot"));
	w->require_seccomp = json_is_true(json_object_get(def, "requireSeccomp"));
	w->deny_root = json_is_true(json_object_get(def, "denyRoot"));
	if (caps) {
		w->has_allowed_caps = true;
		json_array_foreach (caps, i, e)
			bh_strvec_push(&v, cap_base(json_string_value(e)));
		w->allowed_caps = bh_strvec_detach(&v);
	}
	json_array_foreach ((lim = json_object_get(def, "requireLimits")), i, e) {
		w->limit_cpu |= !strcmp(json_string_value(e), "cpu");
		w->limit_memory |= !strcmp(json_string_value(e), "memory");
	}
	if (json_is_true(deny)) {
		for (i = 0; i < sizeof(sensitive_paths) / sizeof(sensitive_paths[0]); i++)
			bh_strvec_push(&v, sensitive_paths[i]);
		w->deny_paths = bh_strvec_detach(&v);
	} else if (json_is_array(deny)) {
		json_array_foreach (deny, i, e) {
			char *c = clean_path(json_string_value(e));

			if (!c)
				pc->problem(pc, "denyHostPaths", "'%s' is not an absolute path",
					    json_string_value(e));
			else
				bh_strvec_push_take(&v, c);
		}
		w->deny_paths = bh_strvec_detach(&v);
		if (!w->deny_paths)
			w->deny_paths = bh_calloc(1, sizeof(char *));
	}
	json_array_foreach (json_object_get(def, "allowHostPaths"), i, e) {
		char *c = clean_path(json_string_value(e));

		if (!c)
			pc->problem(pc, "allowHostPaths", "'%s' is not an absolute path",
				    json_string_value(e));
		else
			bh_strvec_push_take(&v, c);
	}
	w->allow_paths = bh_strvec_detach(&v);
	if (!w->deny_privileged && !w->deny_host_ns && !w->has_allowed_caps &&
	    !w->require_drop_all && !w->require_ro_root && !w->require_seccomp && !w->limit_cpu &&
	    !w->limit_memory && !w->deny_paths && !w->deny_root)
		pc->problem(pc, NULL, "a workload rule needs at least one of its checks");
	return 0;
}

static void workload_free(void *params)
{
	struct workload *w = params;

	if (!w)
		return;
	bh_strv_free(w->allowed_caps);
	bh_strv_free(w->deny_paths);
	bh_strv_free(w->allow_paths);
	free(w);
}

/* a under-or-equal b */
static bool path_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (!strcmp(b, "/"))
		return true;
	return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/');
}

/* The sensitive path a mount of `p` exposes: p is that path, holds it, or is inside it. */
static const char *sensitive(const struct workload *w, const char *p)
{
	for (char **a = w->allow_paths; a && *a; a++)
		if (path_within(p, *a))
			return NULL;
	for (char **s = w->deny_paths; s && *s; s++) {
		if (!strcmp(*s, "/")) {
			if (!strcmp(p, "/"))
				return *s;
			continue;
		}
		if (path_within(p, *s) || path_within(*s, p))
			return *s;
	}
	return NULL;
}

static void names_join(struct bh_buf *b, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bh_buf_addf(b, NULL, "%s\"%s\"", i ? ", " : "", v[i]);
}

static int workload_eval(const struct pol_rule *r, struct pol_ctx *c, struct bh_error **err)
{
	const struct workload *w = r->params;
	struct wl v;
	const char *what = c->pod ? "container" : "the container";

	if (c->pod)
		wl_from_pod(c, &v);
	else
		wl_from_oci(c->oci, &v);
	if (w->deny_host_ns) {
		const char *ns[4];
		size_t n = 0;

		if (v.host_network)
			ns[n++] = "network";
		if (v.host_pid)
			ns[n++] = "PID";
		if (v.host_ipc)
			ns[n++] = "IPC";
		if (v.is_oci && v.host_uts)
			ns[n++] = "UTS";
		if (n) {
			struct bh_buf b = BH_BUF_INIT(256);

			for (size_t i = 0; i < n; i++)
				bh_buf_addf(&b, NULL, "%s%s", i ? ", " : "", ns[i]);
			pol_hit(c, r, "hostNamespaces", NULL, NULL, NULL,
				"shares the host's %s namespace%s", b.data, n == 1 ? "" : "s");
			bh_buf_release(&b);
		}
	}
	for (size_t i = 0; i < v.nc; i++) {
		const struct wl_container *x = &v.c[i];
		char cn[512];

		if (c->pod)
			snprintf(cn, sizeof(cn), "container \"%s\"", x->name);
		else
			snprintf(cn, sizeof(cn), "%s", what);
		if (w->deny_privileged && x->privileged == POL_TRUE)
			pol_hit(c, r, "privileged", NULL, x->name, NULL, "%s is privileged", cn);
		if (w->has_allowed_caps) {
			struct bh_buf b = BH_BUF_INIT(1 << 16);
			const char **bad = bh_calloc(x->added.n + 1, sizeof(*bad));
			size_t nbad = 0;

			for (size_t k = 0; k < x->added.n; k++) {
				const char *cap = cap_base(x->added.v[k]);
				bool ok = false;

				for (char **a = w->allowed_caps; !ok && a && *a; a++)
					ok = !strcmp(*a, cap);
				if (!ok)
					bad[nbad++] = cap;
			}
			nbad = pol_sort_unique(bad, nbad);
			if (nbad) {
				names_join(&b, bad, nbad);
				pol_hit(c, r, "capabilities", NULL, x->name, NULL,
					"%s %s capabilit%s %s beyond those allowed", cn,
					v.is_oci ? "has" : "adds", nbad == 1 ? "y" : "ies", b.data);
			}
			free(bad);
			bh_buf_release(&b);
		}
		if (w->require_drop_all && !x->drops_all && !(v.is_oci && !x->added.n))
			pol_hit(c, r, "dropAll", NULL, x->name, NULL,
				v.is_oci ? "%s keeps capabilities beyond those allowed"
					 : "%s does not drop ALL capabilities",
				cn);
		if (w->require_ro_root && x->read_only_root != POL_TRUE)
			pol_hit(c, r, "readOnlyRoot", NULL, x->name, NULL,
				"%s has a writable root filesystem", cn);
		if (w->require_seccomp && !x->seccomp)
			pol_hit(c, r, "seccomp", NULL, x->name, NULL,
				"%s runs without a seccomp profile (RuntimeDefault or Localhost)",
				cn);
		if ((w->limit_cpu && !x->limit_cpu) || (w->limit_memory && !x->limit_memory))
			pol_hit(c, r, "limits", NULL, x->name, NULL, "%s has no %s limit%s", cn,
				w->limit_cpu && !x->limit_cpu && w->limit_memory && !x->limit_memory
					? "CPU and memory"
				: w->limit_cpu && !x->limit_cpu ? "CPU"
								: "memory",
				w->limit_cpu && !x->limit_cpu && w->limit_memory && !x->limit_memory
					? "s"
					: "");
		if (w->deny_root && x->root)
			pol_hit(c, r, "root", NULL, x->name, NULL,
				x->root > 0 ? "%s runs as root"
					    : "%s may run as root (no runAsNonRoot, runAsUser, or "
					      "known "
					      "image user)",
				cn);
	}
	for (size_t i = 0; w->deny_paths && i < v.host_paths.n; i++) {
		char *p = clean_path(v.host_paths.v[i]);
		const char *s = p ? sensitive(w, p) : "/";

		if (s)
			pol_hit(c, r, "hostPath", NULL, NULL, NULL,
				"%s \"%s\" mounts the host's %s%s%s",
				v.is_oci ? "the mount" : "volume", v.host_path_names.v[i],
				v.host_paths.v[i], strcmp(s, p ? p : "") ? ", which exposes " : "",
				strcmp(s, p ? p : "") ? s : "");
		free(p);
	}
	wl_release(&v);
	(void)err;
	return 0;
}

const struct pol_rule_kind pol_kind_workload = {
	"workload",	  "4.4.3",	 POL_IN_K8S | POL_IN_OCI, 0, workload_fields, NULL,
	workload_compile, workload_free, workload_eval,
};

/* ---- placement (4.3.4) ---------------------------------------------------------------------- */

struct placement {
	char *label, *node_label;
	bool require_label;
	char **levels;
};

static const struct pol_field placement_fields[] = {
	F("label", PF_STR),   F("nodeLabel", PF_STR), F("requireLabel", PF_BOOL),
	F("levels", PF_STRS), { .name = NULL },
};

#define DEFAULT_SENSITIVITY "bulkhead.dev/sensitivity"

static int placement_compile(struct pol_rule *r, const json_t *def, struct pol_compile *pc)
{
	struct placement *p = bh_calloc(1, sizeof(*p));
	const char *l = bh_json_str(def, "label"), *nl = bh_json_str(def, "nodeLabel");

	r->params = p;
	p->label = bh_strdup(l ? l : DEFAULT_SENSITIVITY);
	p->node_label = bh_strdup(nl ? nl : p->label);
	p->require_label = json_is_true(json_object_get(def, "requireLabel"));
	p->levels = strv_of(json_object_get(def, "levels"));
	(void)pc;
	return 0;
}

static void placement_free(void *params)
{
	struct placement *p = params;

	if (!p)
		return;
	free(p->label);
	free(p->node_label);
	bh_strv_free(p->levels);
	free(p);
}

/* Does every required node affinity term confine the pod to node_label=level? */
static bool affinity_confines(const json_t *affinity, const char *key, const char *level)
{
	const json_t *req = bh_json_obj(bh_json_obj(affinity, "nodeAffinity"),
					"requiredDuringSchedulingIgnoredDuringExecution");
	const json_t *terms = bh_json_arr(req, "nodeSelectorTerms");
	size_t i;
	json_t *t;

	if (!json_array_size(terms))
		return false;
	json_array_foreach (terms, i, t) {
		bool confined = false;
		size_t j;
		json_t *e;

		json_array_foreach (bh_json_arr(t, "matchExpressions"), j, e) {
			const json_t *vals = bh_json_arr(e, "values");
			const char *op = bh_json_str(e, "operator");
			bool all = json_array_size(vals) > 0;
			size_t k;
			json_t *v;

			if (!bh_json_str(e, "key") || strcmp(bh_json_str(e, "key"), key) || !op ||
			    strcmp(op, "In"))
				continue;
			json_array_foreach (vals, k, v)
				all &= json_is_string(v) && !strcmp(json_string_value(v), level);
			confined |= all;
		}
		if (!confined)
			return false; /* this term lets the pod go elsewhere */
	}
	return true;
}

static const json_t *node_named(const json_t *nodes, const char *name)
{
	size_t i;
	json_t *n;

	json_array_foreach (nodes, i, n) {
		const char *nn = bh_json_str(bh_json_obj(n, "metadata"), "name");

		if (nn && !strcmp(nn, name))
			return n;
	}
	return NULL;
}

static int placement_eval(const struct pol_rule *r, struct pol_ctx *c, struct bh_error **err)
{
	const struct placement *p = r->params;
	const struct pol_pod *pod = c->pod;
	const json_t *obj_labels = bh_json_obj(bh_json_obj(c->in->object, "metadata"), "labels");
	const char *level = bh_json_str(pod->labels, p->label);
	const char *pinned_node = pod->node_name;
	size_t i;
	json_t *t;

	if (!level)
		level = bh_json_str(obj_labels, p->label);
	if (!level) {
		if (p->require_label)
			pol_hit(c, r, "label", NULL, NULL, NULL,
				"has no sensitivity label %s: it can share a node with any "
				"workload",
				p->label);
		return 0;
	}
	if (p->levels && !bh_strv_contains(p->levels, level)) {
		pol_hit(c, r, "label", NULL, NULL, NULL, "sensitivity \"%s\" is not a known level",
			level);
		return 0;
	}
	if (!(bh_json_str(pod->node_selector, p->node_label) &&
	      !strcmp(bh_json_str(pod->node_selector, p->node_label), level)) &&
	    !affinity_confines(pod->affinity, p->node_label, level))
		pol_hit(c, r, "nodes", NULL, NULL, NULL,
			"is labelled %s=%s but may be scheduled on nodes of other levels (no "
			"nodeSelector or required node affinity %s=%s)",
			p->label, level, p->node_label, level);
	json_array_foreach (pod->tolerations, i, t) {
		const char *key = bh_json_str(t, "key"), *op = bh_json_str(t, "operator");
		const char *val = bh_json_str(t, "value");
		bool exists = op && !strcmp(op, "Exists");

		if ((!key || !*key) && exists)
			pol_hit(c, r, "tolerations", NULL, NULL, NULL,
				"tolerates every taint, so taints cannot keep it off nodes of "
				"other "
				"sensitivity levels");
		else if (key && !strcmp(key, p->node_label) &&
			 (exists || (val && strcmp(val, level))))
			pol_hit(c, r, "tolerations", NULL, NULL, NULL,
				"tolerates the %s taint of %s, so it may share nodes with "
				"workloads of "
				"other sensitivity levels",
				p->node_label, exists ? "every level" : val);
	}
	if (!pinned_node)
		pinned_node = bh_json_str(pod->node_selector, "kubernetes.io/hostname");
	if (pinned_node && c->in->nodes) {
		const json_t *n = node_named(c->in->nodes, pinned_node);
		const char *nl = bh_json_str(bh_json_obj(bh_json_obj(n, "metadata"), "labels"),
					     p->node_label);

		if (n && (!nl || strcmp(nl, level)))
			pol_hit(c, r, "node", NULL, NULL, NULL,
				"is labelled %s=%s but pinned to node \"%s\" labelled %s=%s",
				p->label, level, pinned_node, p->node_label, nl ? nl : "(none)");
	}
	(void)err;
	return 0;
}

const struct pol_rule_kind pol_kind_placement = {
	"placement",	   "4.3.4",	   POL_IN_K8S,	   0, placement_fields, NULL,
	placement_compile, placement_free, placement_eval,
};
