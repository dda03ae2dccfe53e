/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Pod Security Standards' checks, one function per check revision, as
 * Kubernetes' Pod Security Admission has them at release-1.36
 * (k8s.io/pod-security-admission/policy/check_*.go). Each keeps upstream's
 * logic and message wording byte for byte: which containers are listed in
 * visit order and which as sorted sets, "container"/"containers" and
 * "uses"/"use" by count, `joinQuote` (quotes, no escaping) and Go's %q where
 * upstream uses them. A new check or revision is one function and one row
 * in the table at the end (baseline ids sorted, then restricted ids sorted:
 * the order upstream aggregates messages in; a unit test keeps it sorted).
 *
 * This file is over the usual length because it holds the whole table of
 * nineteen checks, each small: splitting them would scatter the one thing a
 * reader compares against upstream.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "banned.h"

static const char *plural(const char *one, const char *many, size_t n)
{
	return n == 1 ? one : many;
}

/* A list of names, kept in order (Go's []string). */
struct names {
	const char **v;
	size_t n;
};

static void names_add(struct names *l, const char *s)
{
	l->v = bh_reallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

static void names_free(struct names *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* "container \"a\"" / "containers \"a\", \"b\"" */
static void add_containers(struct bh_buf *b, const struct names *l)
{
	bh_buf_adds(b, plural("container", "containers", l->n), NULL);
	bh_buf_addc(b, ' ', NULL);
	pol_join_quote(b, l->v, l->n);
}

static void forbid(struct pol_pss_out *o, const char *reason)
{
	o->forbidden = true;
	o->reason = reason;
}

static bool is_windows(const struct pol_pod *p)
{
	return p->os_name && !strcmp(p->os_name, "windows");
}

/* relaxPolicyForUserNamespacePod, as release-1.36 has it (no feature gate) */
static bool user_namespace(const struct pol_pod *p)
{
	return p->host_users == POL_FALSE;
}

/* The pieces of "<setters> must ..." messages: "pod", "containers ...", "annotations". */
static void join_setters(struct bh_buf *b, const char *const *setters, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			bh_buf_adds(b, " and ", NULL);
		bh_buf_adds(b, setters[i], NULL);
	}
}

static void add_annotation(struct names *set, const char *key, const char *value);

/* ---- baseline ------------------------------------------------------------- */

static bool apparmor_type_ok(const char *t)
{
	return !strcmp(t, "RuntimeDefault") || !strcmp(t, "Localhost");
}

static bool apparmor_annotation_ok(const char *v)
{
	return !*v || !strcmp(v, "runtime/default") || bh_str_has_prefix(v, "localhost/");
}

#define APPARMOR_PREFIX "container.apparmor.security.beta.kubernetes.io/"

static void apparmor_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names values = { 0 }, containers = { 0 }, annots = { 0 };
	const char *setters[3];
	size_t ns = 0, nvalues;
	struct bh_buf *sb = o->scratch;
	const char *k;
	json_t *v;

	if (p->sc.has_apparmor && !apparmor_type_ok(p->sc.apparmor_type)) {
		setters[ns++] = "pod";
		names_add(&values, p->sc.apparmor_type);
	}
	for (size_t i = 0; i < p->nc; i++) {
		const struct pol_container *c = &p->c[i];

		if (c->sc.has_apparmor && !apparmor_type_ok(c->sc.apparmor_type)) {
			names_add(&containers, c->name);
			names_add(&values, c->sc.apparmor_type);
		}
	}
	nvalues = pol_sort_unique(values.v, values.n);
	bh_buf_reset(sb);
	if (containers.n) {
		add_containers(sb, &containers);
		bh_buf_addc(sb, 0, NULL); /* several strings in one buffer */
	}
	json_object_foreach ((json_t *)p->annotations, k, v) {
		if (bh_str_has_prefix(k, APPARMOR_PREFIX) &&
		    !apparmor_annotation_ok(json_string_value(v)))
			add_annotation(&annots, k, json_string_value(v));
	}
	if (containers.n)
		setters[ns++] = sb->data;
	if (annots.n) {
		pol_sort_unique(annots.v, annots.n); /* keys are unique: a sort */
		setters[ns++] = plural("annotation", "annotations", annots.n);
	}
	if (ns) {
		const char **all = bh_calloc(nvalues + annots.n + 1, sizeof(*all));

		if (nvalues)
			memcpy(all, values.v, nvalues * sizeof(*all));
		if (annots.n)
			memcpy(all + nvalues, annots.v, annots.n * sizeof(*all));
		forbid(o, plural("forbidden AppArmor profile", "forbidden AppArmor profiles",
				 nvalues + annots.n));
		join_setters(o->detail, setters, ns);
		bh_buf_adds(o->detail, " must not set AppArmor profile type to ", NULL);
		pol_join_quote(o->detail, all, nvalues + annots.n);
		free(all);
	}
	for (size_t i = 0; i < annots.n; i++)
		free((char *)annots.v[i]);
	names_free(&annots);
	names_free(&values);
	names_free(&containers);
}

static const char *const caps_baseline[] = {
	"AUDIT_WRITE",	    "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",	  "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT",
};

static bool in_list(const char *s, const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, l[i]))
			return true;
	return false;
}

static void capabilities_baseline_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 }, caps = { 0 };
	size_t ncaps;

	for (size_t i = 0; i < p->nc; i++) {
		const struct pol_container *c = &p->c[i];
		bool valid = true;

		if (!c->sc.present || !c->has_caps)
			continue;
		for (size_t j = 0; j < c->cap_add.n; j++) {
			if (!in_list(c->cap_add.v[j], caps_baseline,
				     sizeof(caps_baseline) / sizeof(caps_baseline[0]))) {
				valid = false;
				names_add(&caps, c->cap_add.v[j]);
			}
		}
		if (!valid)
			names_add(&bad, c->name);
	}
	if (bad.n) {
		ncaps = pol_sort_unique(caps.v, caps.n);
		forbid(o, "non-default capabilities");
		add_containers(o->detail, &bad);
		bh_buf_adds(o->detail, " must not include ", NULL);
		pol_join_quote(o->detail, caps.v, ncaps);
		bh_buf_adds(o->detail, " in securityContext.capabilities.add", NULL);
	}
	names_free(&bad);
	names_free(&caps);
}

static void host_namespaces_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	const char *ns[3];
	size_t n = 0;

	if (p->host_network)
		ns[n++] = "hostNetwork=true";
	if (p->host_pid)
		ns[n++] = "hostPID=true";
	if (p->host_ipc)
		ns[n++] = "hostIPC=true";
	if (!n)
		return;
	forbid(o, "host namespaces");
	for (size_t i = 0; i < n; i++)
		bh_buf_addf(o->detail, NULL, "%s%s", i ? ", " : "", ns[i]);
}

static void host_path_volumes_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names vols = { 0 };

	for (size_t i = 0; i < p->nvolumes; i++)
		if (p->volumes[i].host_path)
			names_add(&vols, p->volumes[i].name);
	if (vols.n) {
		forbid(o, "hostPath volumes");
		bh_buf_addf(o->detail, NULL, "%s ", plural("volume", "volumes", vols.n));
		pol_join_quote(o->detail, vols.v, vols.n);
	}
	names_free(&vols);
}

static void host_ports_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 }, ports = { 0 };
	size_t nports, nall;

	for (size_t i = 0; i < p->nc; i++) {
		const struct pol_container *c = &p->c[i];

		for (size_t j = 0; j < c->nhost_ports; j++)
			names_add(&ports, bh_asprintf("%lld", (long long)c->host_ports[j]));
		if (c->nhost_ports)
			names_add(&bad, c->name);
	}
	nall = ports.n;
	if (bad.n) {
		/* a set of strings: sorted as strings ("10" < "9"), each once */
		const char **sorted = bh_calloc(nall + 1, sizeof(*sorted));

		memcpy(sorted, ports.v, nall * sizeof(*sorted));
		nports = pol_sort_unique(sorted, nall);
		forbid(o, "hostPort");
		add_containers(o->detail, &bad);
		bh_buf_addf(o->detail, NULL, " %s %s ", plural("uses", "use", bad.n),
			    plural("hostPort", "hostPorts", nports));
		for (size_t i = 0; i < nports; i++)
			bh_buf_addf(o->detail, NULL, "%s%s", i ? ", " : "", sorted[i]);
		free(sorted);
	}
	for (size_t i = 0; i < nall; i++)
		free((char *)ports.v[i]);
	names_free(&bad);
	names_free(&ports);
}

static void host_probes_1_34(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 }, hosts = { 0 };
	size_t nbad, nhosts;

	for (size_t i = 0; i < p->nc; i++) {
		const struct pol_container *c = &p->c[i];

		if (!c->probe_hosts.n)
			continue;
		names_add(&bad, c->name);
		for (size_t j = 0; j < c->probe_hosts.n; j++)
			names_add(&hosts, c->probe_hosts.v[j]);
	}
	if (bad.n) {
		/* both are sets here: sorted, each once */
		nbad = pol_sort_unique(bad.v, bad.n);
		nhosts = pol_sort_unique(hosts.v, hosts.n);
		forbid(o, "probe or lifecycle host");
		bh_buf_addf(o->detail, NULL, "%s ", plural("container", "containers", nbad));
		pol_join_quote(o->detail, bad.v, nbad);
		bh_buf_addf(o->detail, NULL, " %s %s ", plural("uses", "use", nbad),
			    plural("probe or lifecycle host", "probe or lifecycle hosts", nhosts));
		pol_join_quote(o->detail, hosts.v, nhosts);
	}
	names_free(&bad);
	names_free(&hosts);
}

static void privileged_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 };

	for (size_t i = 0; i < p->nc; i++)
		if (p->c[i].privileged == POL_TRUE)
			names_add(&bad, p->c[i].name);
	if (bad.n) {
		forbid(o, "privileged");
		add_containers(o->detail, &bad);
		bh_buf_adds(o->detail, " must not set securityContext.privileged=true", NULL);
	}
	names_free(&bad);
}

static void proc_mount_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 }, types = { 0 };
	size_t ntypes;

	for (size_t i = 0; i < p->nc; i++) {
		const struct pol_container *c = &p->c[i];

		if (c->proc_mount && strcmp(c->proc_mount, "Default")) {
			names_add(&bad, c->name);
			names_add(&types, c->proc_mount);
		}
	}
	if (bad.n) {
		ntypes = pol_sort_unique(types.v, types.n);
		forbid(o, "procMount");
		add_containers(o->detail, &bad);
		bh_buf_adds(o->detail, " must not set securityContext.procMount to ", NULL);
		pol_join_quote(o->detail, types.v, ntypes);
	}
	names_free(&bad);
	names_free(&types);
}

static void proc_mount_1_35(const struct pol_pod *p, struct pol_pss_out *o)
{
	if (!user_namespace(p))
		proc_mount_1_0(p, o);
}

static const char *const selinux_types_1_0[] = { "", "container_t", "container_init_t",
						 "container_kvm_t" };
static const char *const selinux_types_1_31[] = { "", "container_t", "container_init_t",
						  "container_kvm_t", "container_engine_t" };

struct selinux_state {
	const char *const *allowed;
	size_t nallowed;
	struct names types;
	bool user, role;
};

static bool selinux_valid(struct selinux_state *s, const struct pol_sc_common *sc)
{
	bool valid = true;

	if (!in_list(sc->se_type, s->allowed, s->nallowed)) {
		valid = false;
		names_add(&s->types, sc->se_type);
	}
	if (*sc->se_user) {
		valid = false;
		s->user = true;
	}
	if (*sc->se_role) {
		valid = false;
		s->role = true;
	}
	return valid;
}

static void selinux(const struct pol_pod *p, struct pol_pss_out *o, const char *const *allowed,
		    size_t nallowed)
{
	struct selinux_state s = { allowed, nallowed, { 0 }, false, false };
	struct names bad = { 0 };
	const char *setters[2];
	size_t ns = 0, ntypes;
	struct bh_buf *sb = o->scratch;

	if (p->sc.has_selinux && !selinux_valid(&s, &p->sc))
		setters[ns++] = "pod";
	for (size_t i = 0; i < p->nc; i++)
		if (p->c[i].sc.has_selinux && !selinux_valid(&s, &p->c[i].sc))
			names_add(&bad, p->c[i].name);
	if (bad.n) {
		bh_buf_reset(sb);
		add_containers(sb, &bad);
		setters[ns++] = sb->data;
	}
	if (ns) {
		bool first = true;

		forbid(o, "seLinuxOptions");
		join_setters(o->detail, setters, ns);
		bh_buf_adds(o->detail, " set forbidden securityContext.seLinuxOptions: ", NULL);
		ntypes = pol_sort_unique(s.types.v, s.types.n);
		if (ntypes) {
			bh_buf_addf(o->detail, NULL, "%s ", plural("type", "types", ntypes));
			pol_join_quote(o->detail, s.types.v, ntypes);
			first = false;
		}
		if (s.user) {
			bh_buf_addf(o->detail, NULL, "%suser may not be set", first ? "" : "; ");
			first = false;
		}
		if (s.role)
			bh_buf_addf(o->detail, NULL, "%srole may not be set", first ? "" : "; ");
	}
	names_free(&bad);
	names_free(&s.types);
}

static void selinux_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	selinux(p, o, selinux_types_1_0, sizeof(selinux_types_1_0) / sizeof(selinux_types_1_0[0]));
}

static void selinux_1_31(const struct pol_pod *p, struct pol_pss_out *o)
{
	selinux(p, o, selinux_types_1_31,
		sizeof(selinux_types_1_31) / sizeof(selinux_types_1_31[0]));
}

#define SECCOMP_POD_ANNOTATION	     "seccomp.security.alpha.kubernetes.io/pod"
#define SECCOMP_CONTAINER_ANNOTATION "container.seccomp.security.alpha.kubernetes.io/"

static bool seccomp_annotation_ok(const char *v)
{
	return !strcmp(v, "runtime/default") || !strcmp(v, "docker/default") ||
	       bh_str_has_prefix(v, "localhost/");
}

/* Add "key=%q(value)" to a set of owned strings (kept once each). */
static void add_annotation(struct names *set, const char *key, const char *value)
{
	struct bh_buf one = BH_BUF_INIT(1 << 20);
	char *s;

	bh_buf_addf(&one, NULL, "%s=", key);
	pol_go_quote(&one, value);
	s = bh_buf_detach(&one, NULL);
	for (size_t i = 0; i < set->n; i++) {
		if (!strcmp(set->v[i], s)) {
			free(s);
			return;
		}
	}
	names_add(set, s);
}

static void seccomp_baseline_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 };
	struct bh_buf key = BH_BUF_INIT(1 << 20);
	const char *v;

	v = bh_json_str(p->annotations, SECCOMP_POD_ANNOTATION);
	if (v && !seccomp_annotation_ok(v))
		add_annotation(&bad, SECCOMP_POD_ANNOTATION, v);
	for (size_t i = 0; i < p->nc; i++) {
		bh_buf_reset(&key);
		bh_buf_addf(&key, NULL, SECCOMP_CONTAINER_ANNOTATION "%s", p->c[i].name);
		v = bh_json_str(p->annotations, key.data);
		if (v && !seccomp_annotation_ok(v))
			add_annotation(&bad, key.data, v);
	}
	bh_buf_release(&key);
	if (bad.n) {
		pol_sort_unique(bad.v, bad.n); /* already unique: a sort */
		forbid(o, "seccompProfile");
		bh_buf_addf(o->detail, NULL, "forbidden %s ",
			    plural("annotation", "annotations", bad.n));
		for (size_t i = 0; i < bad.n; i++)
			bh_buf_addf(o->detail, NULL, "%s%s", i ? ", " : "", bad.v[i]);
	}
	for (size_t i = 0; i < bad.n; i++)
		free((char *)bad.v[i]);
	names_free(&bad);
}

static bool seccomp_type_ok(const char *t)
{
	return !strcmp(t, "Localhost") || !strcmp(t, "RuntimeDefault");
}

/* Baseline (explicit bad values only) and restricted (also unset everywhere). */
static void seccomp_fields(const struct pol_pod *p, struct pol_pss_out *o, bool restricted)
{
	struct names bad = { 0 }, implicit = { 0 }, values = { 0 };
	const char *setters[2];
	size_t ns = 0, nvalues;
	bool pod_set = false;
	struct bh_buf *sb = o->scratch;

	if (p->sc.has_seccomp) {
		if (!seccomp_type_ok(p->sc.seccomp_type)) {
			setters[ns++] = "pod";
			names_add(&values, p->sc.seccomp_type);
		} else {
			pod_set = true;
		}
	}
	for (size_t i = 0; i < p->nc; i++) {
		const struct pol_container *c = &p->c[i];

		if (c->sc.has_seccomp) {
			if (!seccomp_type_ok(c->sc.seccomp_type)) {
				names_add(&bad, c->name);
				names_add(&values, c->sc.seccomp_type);
			}
		} else if (restricted && !pod_set) {
			names_add(&implicit, c->name);
		}
	}
	if (bad.n) {
		bh_buf_reset(sb);
		add_containers(sb, &bad);
		setters[ns++] = sb->data;
	}
	if (ns) {
		nvalues = pol_sort_unique(values.v, values.n);
		forbid(o, "seccompProfile");
		join_setters(o->detail, setters, ns);
		bh_buf_adds(o->detail, " must not set securityContext.seccompProfile.type to ",
			    NULL);
		pol_join_quote(o->detail, values.v, nvalues);
	} else if (implicit.n) {
		forbid(o, "seccompProfile");
		bh_buf_adds(o->detail, "pod or ", NULL);
		add_containers(o->detail, &implicit);
		bh_buf_adds(
			o->detail,
			" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or "
			"\"Localhost\"",
			NULL);
	}
	names_free(&bad);
	names_free(&implicit);
	names_free(&values);
}

static void seccomp_baseline_1_19(const struct pol_pod *p, struct pol_pss_out *o)
{
	seccomp_fields(p, o, false);
}

static const char *const sysctls_1_0[] = {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start",
	/* 1.27 */
	"net.ipv4.ip_local_reserved_ports",
	/* 1.29 */
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	/* 1.32 */
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
};

static void sysctls(const struct pol_pod *p, struct pol_pss_out *o, size_t nallowed)
{
	bool any = false;

	for (size_t i = 0; i < p->sysctls.n; i++) {
		if (in_list(p->sysctls.v[i], sysctls_1_0, nallowed))
			continue;
		if (!any)
			forbid(o, "forbidden sysctls");
		bh_buf_addf(o->detail, NULL, "%s%s", any ? ", " : "", p->sysctls.v[i]);
		any = true;
	}
}

static void sysctls_1_0_fn(const struct pol_pod *p, struct pol_pss_out *o)
{
	sysctls(p, o, 5);
}
static void sysctls_1_27(const struct pol_pod *p, struct pol_pss_out *o)
{
	sysctls(p, o, 6);
}
static void sysctls_1_29(const struct pol_pod *p, struct pol_pss_out *o)
{
	sysctls(p, o, 10);
}
static void sysctls_1_32(const struct pol_pod *p, struct pol_pss_out *o)
{
	sysctls(p, o, 12);
}

static void windows_host_process_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 };
	const char *setters[2];
	size_t ns = 0;
	struct bh_buf *sb = o->scratch;

	for (size_t i = 0; i < p->nc; i++)
		if (p->c[i].sc.host_process == POL_TRUE)
			names_add(&bad, p->c[i].name);
	if (p->sc.host_process == POL_TRUE)
		setters[ns++] = "pod";
	if (bad.n) {
		bh_buf_reset(sb);
		add_containers(sb, &bad);
		setters[ns++] = sb->data;
	}
	if (ns) {
		forbid(o, "hostProcess");
		join_setters(o->detail, setters, ns);
		bh_buf_adds(o->detail,
			    " must not set securityContext.windowsOptions.hostProcess=true", NULL);
	}
	names_free(&bad);
}

/* ---- restricted ------------------------------------------------------------ */

static void allow_pe_1_8(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 };

	for (size_t i = 0; i < p->nc; i++)
		if (p->c[i].allow_pe != POL_FALSE)
			names_add(&bad, p->c[i].name);
	if (bad.n) {
		forbid(o, "allowPrivilegeEscalation != false");
		add_containers(o->detail, &bad);
		bh_buf_adds(o->detail, " must set securityContext.allowPrivilegeEscalation=false",
			    NULL);
	}
	names_free(&bad);
}

static void allow_pe_1_25(const struct pol_pod *p, struct pol_pss_out *o)
{
	if (!is_windows(p))
		allow_pe_1_8(p, o);
}

static void capabilities_restricted_1_22(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names missing = { 0 }, adding = { 0 }, caps = { 0 };
	size_t ncaps;

	for (size_t i = 0; i < p->nc; i++) {
		const struct pol_container *c = &p->c[i];
		bool dropped_all = false, added_bad = false;

		if (!c->sc.present || !c->has_caps) {
			names_add(&missing, c->name);
			continue;
		}
		for (size_t j = 0; j < c->cap_drop.n && !dropped_all; j++)
			dropped_all = !strcmp(c->cap_drop.v[j], "ALL");
		if (!dropped_all)
			names_add(&missing, c->name);
		for (size_t j = 0; j < c->cap_add.n; j++) {
			if (strcmp(c->cap_add.v[j], "NET_BIND_SERVICE")) {
				added_bad = true;
				names_add(&caps, c->cap_add.v[j]);
			}
		}
		if (added_bad)
			names_add(&adding, c->name);
	}
	if (missing.n || adding.n)
		forbid(o, "unrestricted capabilities");
	if (missing.n) {
		add_containers(o->detail, &missing);
		bh_buf_adds(o->detail, " must set securityContext.capabilities.drop=[\"ALL\"]",
			    NULL);
	}
	if (adding.n) {
		ncaps = pol_sort_unique(caps.v, caps.n);
		if (missing.n)
			bh_buf_adds(o->detail, "; ", NULL);
		add_containers(o->detail, &adding);
		bh_buf_adds(o->detail, " must not include ", NULL);
		pol_join_quote(o->detail, caps.v, ncaps);
		bh_buf_adds(o->detail, " in securityContext.capabilities.add", NULL);
	}
	names_free(&missing);
	names_free(&adding);
	names_free(&caps);
}

static void capabilities_restricted_1_25(const struct pol_pod *p, struct pol_pss_out *o)
{
	if (!is_windows(p))
		capabilities_restricted_1_22(p, o);
}

static void restricted_volumes_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 }, types = { 0 };
	size_t ntypes;

	for (size_t i = 0; i < p->nvolumes; i++) {
		const struct pol_volume *v = &p->volumes[i];

		if (v->allowed_restricted)
			continue;
		names_add(&bad, v->name);
		names_add(&types, v->type);
	}
	if (bad.n) {
		ntypes = pol_sort_unique(types.v, types.n);
		forbid(o, "restricted volume types");
		bh_buf_addf(o->detail, NULL, "%s ", plural("volume", "volumes", bad.n));
		pol_join_quote(o->detail, bad.v, bad.n);
		bh_buf_addf(o->detail, NULL, " %s %s ", plural("uses", "use", bad.n),
			    plural("restricted volume type", "restricted volume types", ntypes));
		pol_join_quote(o->detail, types.v, ntypes);
	}
	names_free(&bad);
	names_free(&types);
}

static void run_as_non_root_1_0(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 }, implicit = { 0 };
	const char *setters[2];
	size_t ns = 0;
	bool pod_true = false;
	struct bh_buf *sb = o->scratch;

	if (p->sc.run_as_non_root == POL_FALSE)
		setters[ns++] = "pod";
	else if (p->sc.run_as_non_root == POL_TRUE)
		pod_true = true;
	for (size_t i = 0; i < p->nc; i++) {
		const struct pol_container *c = &p->c[i];

		if (c->sc.run_as_non_root != POL_UNSET) {
			if (c->sc.run_as_non_root == POL_FALSE)
				names_add(&bad, c->name);
		} else if (!pod_true) {
			names_add(&implicit, c->name);
		}
	}
	if (bad.n) {
		bh_buf_reset(sb);
		add_containers(sb, &bad);
		setters[ns++] = sb->data;
	}
	if (ns) {
		forbid(o, "runAsNonRoot != true");
		join_setters(o->detail, setters, ns);
		bh_buf_adds(o->detail, " must not set securityContext.runAsNonRoot=false", NULL);
	} else if (implicit.n) {
		forbid(o, "runAsNonRoot != true");
		bh_buf_adds(o->detail, "pod or ", NULL);
		add_containers(o->detail, &implicit);
		bh_buf_adds(o->detail, " must set securityContext.runAsNonRoot=true", NULL);
	}
	names_free(&bad);
	names_free(&implicit);
}

static void run_as_non_root_1_35(const struct pol_pod *p, struct pol_pss_out *o)
{
	if (!user_namespace(p))
		run_as_non_root_1_0(p, o);
}

static void run_as_user_1_23(const struct pol_pod *p, struct pol_pss_out *o)
{
	struct names bad = { 0 };
	const char *setters[2];
	size_t ns = 0;
	struct bh_buf *sb = o->scratch;

	if (p->sc.has_run_as_user && p->sc.run_as_user == 0)
		setters[ns++] = "pod";
	for (size_t i = 0; i < p->nc; i++)
		if (p->c[i].sc.has_run_as_user && p->c[i].sc.run_as_user == 0)
			names_add(&bad, p->c[i].name);
	if (bad.n) {
		bh_buf_reset(sb);
		add_containers(sb, &bad);
		setters[ns++] = sb->data;
	}
	if (ns) {
		forbid(o, "runAsUser=0");
		join_setters(o->detail, setters, ns);
		bh_buf_adds(o->detail, " must not set runAsUser=0", NULL);
	}
	names_free(&bad);
}

static void run_as_user_1_35(const struct pol_pod *p, struct pol_pss_out *o)
{
	if (!user_namespace(p))
		run_as_user_1_23(p, o);
}

static void seccomp_restricted_1_19(const struct pol_pod *p, struct pol_pss_out *o)
{
	seccomp_fields(p, o, true);
}

static void seccomp_restricted_1_25(const struct pol_pod *p, struct pol_pss_out *o)
{
	if (!is_windows(p))
		seccomp_fields(p, o, true);
}

/* ---- the table --------------------------------------------------------------- */

#define V(...) ((const struct pol_pss_version[]){ __VA_ARGS__ })
#define N(...)                                                                                     \
	(sizeof((const struct pol_pss_version[]){ __VA_ARGS__ }) / sizeof(struct pol_pss_version))
#define CHECK(id_, level_, ...)                                                                    \
	{                                                                                          \
		id_, level_, V(__VA_ARGS__), N(__VA_ARGS__)                                        \
	}

const struct pol_pss_check pol_pss_checks[] = {
	/* baseline, sorted by id */
	CHECK("appArmorProfile", BH_PSS_BASELINE, { 0, apparmor_1_0, NULL }),
	CHECK("capabilities_baseline", BH_PSS_BASELINE, { 0, capabilities_baseline_1_0, NULL }),
	CHECK("hostNamespaces", BH_PSS_BASELINE, { 0, host_namespaces_1_0, NULL }),
	CHECK("hostPathVolumes", BH_PSS_BASELINE, { 0, host_path_volumes_1_0, NULL }),
	CHECK("hostPorts", BH_PSS_BASELINE, { 0, host_ports_1_0, NULL }),
	CHECK("hostProbesAndHostLifecycle", BH_PSS_BASELINE, { 34, host_probes_1_34, NULL }),
	CHECK("privileged", BH_PSS_BASELINE, { 0, privileged_1_0, NULL }),
	CHECK("procMount", BH_PSS_BASELINE, { 0, proc_mount_1_0, NULL },
	      { 35, proc_mount_1_35, NULL }),
	CHECK("seLinuxOptions", BH_PSS_BASELINE, { 0, selinux_1_0, NULL },
	      { 31, selinux_1_31, NULL }),
	CHECK("seccompProfile_baseline", BH_PSS_BASELINE, { 0, seccomp_baseline_1_0, NULL },
	      { 19, seccomp_baseline_1_19, NULL }),
	CHECK("sysctls", BH_PSS_BASELINE, { 0, sysctls_1_0_fn, NULL }, { 27, sysctls_1_27, NULL },
	      { 29, sysctls_1_29, NULL }, { 32, sysctls_1_32, NULL }),
	CHECK("windowsHostProcess", BH_PSS_BASELINE, { 0, windows_host_process_1_0, NULL }),
	/* restricted, sorted by id */
	CHECK("allowPrivilegeEscalation", BH_PSS_RESTRICTED, { 8, allow_pe_1_8, NULL },
	      { 25, allow_pe_1_25, NULL }),
	CHECK("capabilities_restricted", BH_PSS_RESTRICTED,
	      { 22, capabilities_restricted_1_22, "capabilities_baseline" },
	      { 25, capabilities_restricted_1_25, "capabilities_baseline" }),
	CHECK("procMount_restricted", BH_PSS_RESTRICTED, { 35, proc_mount_1_0, "procMount" }),
	CHECK("restrictedVolumes", BH_PSS_RESTRICTED,
	      { 0, restricted_volumes_1_0, "hostPathVolumes" }),
	CHECK("runAsNonRoot", BH_PSS_RESTRICTED, { 0, run_as_non_root_1_0, NULL },
	      { 35, run_as_non_root_1_35, NULL }),
	CHECK("runAsUser", BH_PSS_RESTRICTED, { 23, run_as_user_1_23, NULL },
	      { 35, run_as_user_1_35, NULL }),
	CHECK("seccompProfile_restricted", BH_PSS_RESTRICTED,
	      { 19, seccomp_restricted_1_19, "seccompProfile_baseline" },
	      { 25, seccomp_restricted_1_25, "seccompProfile_baseline" }),
};

const size_t pol_pss_nchecks = sizeof(pol_pss_checks) / sizeof(pol_pss_checks[0]);
