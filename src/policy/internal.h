/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the policy files share inside src/policy/ (prefix pol_): the pod as
 * the checks see it, decoded once from a Kubernetes object with Go's
 * semantics (absent and null are "unset", a value of the wrong type is an
 * error naming its path), the Pod Security Standards' check table, the
 * compiled policy and its rules.
 */
#ifndef BULKHEAD_POLICY_INTERNAL_H
#define BULKHEAD_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/policy.h"

/* ---- the pod, decoded ----------------------------------------------------- */

/* A tri-state for Go's *bool. */
enum pol_tri { POL_UNSET = -1, POL_FALSE = 0, POL_TRUE = 1 };

/* Limits of a decoded pod (an object over them is BH_ERR_LIMIT). */
#define POL_MAX_CONTAINERS 4096
#define POL_MAX_LIST	   65536 /* ports, capabilities, sysctls, volumes, hosts... */

struct pol_strs {
	const char **v; /* borrowed from the object */
	size_t n;
};

/* The fields of a security context both levels share (pod and container). */
struct pol_sc_common {
	bool present;
	enum pol_tri run_as_non_root;
	bool has_run_as_user;
	int64_t run_as_user;
	bool has_selinux; /* seLinuxOptions set (type/user/role "" when absent) */
	const char *se_type, *se_user, *se_role;
	bool has_seccomp;
	const char *seccomp_type; /* "" when absent */
	bool has_apparmor;
	const char *apparmor_type;
	bool has_windows;
	enum pol_tri host_process;
};

enum pol_container_kind { POL_INIT = 0, POL_REGULAR, POL_EPHEMERAL };

struct pol_container {
	enum pol_container_kind kind;
	size_t index;	  /* within its list */
	const char *name; /* "" when absent */
	const char *image;
	struct pol_sc_common sc;
	enum pol_tri privileged, allow_pe, read_only_root;
	const char *proc_mount; /* NULL when unset */
	bool has_caps;		/* capabilities set */
	struct pol_strs cap_add, cap_drop;
	int64_t *host_ports; /* non-zero hostPorts only, in order */
	size_t nhost_ports;
	struct pol_strs probe_hosts; /* non-empty probe/lifecycle hosts, in upstream's order */
	bool limit_cpu, limit_memory, request_cpu, request_memory;
	struct pol_strs mount_names; /* volumeMounts[].name */
	const char *restart_policy;  /* init containers: "Always" = a sidecar */
};

struct pol_volume {
	const char *name;
	const char *type;	 /* the first source set, in VolumeSource order; "emptyDir"
				    when none is (the API server's default) */
	const char *host_path;	 /* hostPath.path, or NULL */
	bool allowed_restricted; /* one of the restricted profile's volume types */
};

struct pol_pod {
	const json_t *meta;	   /* the pod (template) metadata object, or NULL */
	const json_t *labels;	   /* an object, or NULL */
	const json_t *annotations; /* an object of strings, or NULL */
	const json_t *spec;	   /* the pod spec object */
	const char *name, *namespace;
	bool host_network, host_pid, host_ipc;
	enum pol_tri host_users;
	struct pol_sc_common sc;
	struct pol_strs sysctls;
	const char *os_name;	   /* spec.os.name, or NULL */
	const char *runtime_class; /* or NULL */
	const char *node_name;	   /* or NULL */
	const json_t *node_selector, *affinity, *tolerations;
	struct pol_volume *volumes;
	size_t nvolumes;
	struct pol_container *c; /* init, regular, ephemeral: upstream's visit order */
	size_t nc;
};

/*
 * Decode (metadata, spec) of a pod or pod template. Everything borrowed
 * stays owned by the JSON object, which must outlive *p. `where` prefixes
 * field paths in errors ("spec.template.spec").
 */
int pol_pod_decode(const json_t *meta, const json_t *spec, const char *where, struct pol_pod *p,
		   struct bh_error **err);
void pol_pod_release(struct pol_pod *p);

/* The kinds that hold a pod (template), and where. */
struct pol_kind {
	const char *kind;
	const char *groups; /* accepted apiVersion groups, space separated ("" = core) */
	const char
		*path[5]; /* members leading to the template (NULL-terminated); {} = the object */
	bool template;	  /* path leads to a PodTemplateSpec (metadata + spec) */
};
/* The entry for an object's kind/apiVersion, or NULL when it holds no pod. */
const struct pol_kind *pol_kind_of(const char *api_version, const char *kind);
/* Whether bulkhead knows the kind (with or without a pod). */
bool pol_kind_known(const char *kind);
/*
 * The pod metadata and spec of a Pod or workload object: *meta and *spec
 * borrowed (both NULL when the workload has no template, as PSA allows it),
 * *where the path of the spec. Returns 1 when the kind holds a pod, 0 when
 * it does not, negative on a malformed object.
 */
int pol_pod_of(const json_t *obj, const json_t **meta, const json_t **spec, const char **where,
	       struct bh_error **err);

/* ---- the Pod Security Standards -------------------------------------------- */

/* The newest policy version any check was registered at (api.LatestVersion resolves here). */
#define POL_PSS_MAX_MINOR 35

struct pol_pss_out {
	bool forbidden;
	const char *reason;    /* a constant or a string in `detail_buf` */
	struct bh_buf *detail; /* the forbidden detail ("" allowed) */
	struct bh_buf *scratch;
};

typedef void (*pol_pss_fn)(const struct pol_pod *p, struct pol_pss_out *o);

struct pol_pss_version {
	unsigned min_minor;
	pol_pss_fn fn;
	const char *overrides; /* a baseline check id this one replaces, or NULL */
};

struct pol_pss_check {
	const char *id;
	enum bh_pss_level level;
	const struct pol_pss_version *versions; /* strictly increasing min_minor */
	size_t nversions;
};

/* The check table: baseline checks sorted by id, then restricted sorted by id. */
extern const struct pol_pss_check pol_pss_checks[];
extern const size_t pol_pss_nchecks;

/* Evaluate the decoded pod at (level, minor); minor clamped to the max. */
int pol_pss_eval_pod(const struct pol_pod *p, enum bh_pss_level level, int64_t minor,
		     struct bh_pss_result *res, struct bh_error **err);

/* ---- helpers shared by the checks and the messages -------------------------- */

/* Go's joinQuote: `"a", "b"` (no escaping); "" for none. */
void pol_join_quote(struct bh_buf *b, const char *const *v, size_t n);
/* Go's %q of a string (strconv.Quote). */
void pol_go_quote(struct bh_buf *b, const char *s);
/* Sort and remove duplicates, as Go's sets.String.List() (byte order). */
size_t pol_sort_unique(const char **v, size_t n);

#endif
