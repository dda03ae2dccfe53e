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

/* ---- globs and image references ------------------------------------------- */

#define POL_GLOB_MAX 1024

struct pol_glob;
/* Compile a glob (glob.c); on error *why (caller frees) says what and where. */
int pol_glob_compile(const char *s, struct pol_glob **out, char **why);
void pol_glob_free(struct pol_glob *g);
const char *pol_glob_text(const struct pol_glob *g);
bool pol_glob_match(const struct pol_glob *g, const char *s);
bool pol_globs_match(struct pol_glob *const *v, size_t n, const char *s);

struct pol_globs {
	struct pol_glob **v;
	size_t n;
};

/* An image reference, normalised as distribution does (imgref.c). */
struct pol_imgref {
	char *domain; /* "docker.io", "registry.example:5000" */
	char *path;   /* "library/nginx" */
	char *name;   /* domain "/" path */
	char *tag;    /* or NULL */
	char *digest; /* canonical "sha256:...", or NULL */
	char *full;   /* name[:tag][@digest] ("latest" when neither is given) */
};
int pol_imgref_parse(const char *ref, struct pol_imgref *out, char **why);
void pol_imgref_release(struct pol_imgref *r);

/* ---- the policy ------------------------------------------------------------------ */

/* The inputs a rule kind reads. */
#define POL_IN_K8S   0x1
#define POL_IN_OCI   0x2
#define POL_IN_IMAGE 0x4

/* Member types the validator knows (policy.c). */
enum pol_ftype {
	PF_STR = 1,
	PF_BOOL,
	PF_INT,	     /* min..max */
	PF_NUM,	     /* min..max */
	PF_ENUM,     /* one of `choices` (space separated) */
	PF_ENUMS,    /* a list of `choices` */
	PF_STRS,     /* a list of strings */
	PF_GLOBS,    /* a list of globs */
	PF_DIGESTS,  /* a list of "sha256:..." */
	PF_DURATION, /* "90d", "12h", "30m", "45s", "2w" */
	PF_STRMAP,   /* an object of strings */
	PF_SELECTOR, /* a Kubernetes label selector */
	PF_BOOL_OR_STRS,
	PF_BOOL_OR_GLOBS,
	PF_VERSION,  /* "latest" or "v1.N" */
	PF_KEYS,     /* public keys: files (relative to the policy file) or PEM */
	PF_FILES,    /* files relative to the policy file */
	PF_IGNORES,  /* [{id, expires, reason}] */
	PF_EXEMPT,   /* {namespaces, usernames, runtimeClasses} */
	PF_CIDRS,    /* a list of "10.0.0.0/8", "fd00::/8", "192.0.2.1" */
	PF_PORTS,    /* a list of ports (integers or strings) and "8000-8080" ranges */
	PF_DNSNAMES, /* a list of DNS names, "*.example.com" wildcards */
};

struct pol_field {
	const char *name;
	enum pol_ftype type;
	const char *choices; /* PF_ENUM, PF_ENUMS */
	double min, max;     /* PF_INT, PF_NUM */
};

#define F(n, t)                                                                                    \
	{                                                                                          \
		.name = (n), .type = (t)                                                           \
	}
#define FE(n, t, c)                                                                                \
	{                                                                                          \
		.name = (n), .type = (t), .choices = (c)                                           \
	}
#define FN(n, t, lo, hi)                                                                           \
	{                                                                                          \
		.name = (n), .type = (t), .min = (lo), .max = (hi)                                 \
	}

struct pol_rule;
struct pol_ctx;

/*
 * What compiling a rule's members can ask for: the directory relative
 * paths are read from, and a way to report a problem at a member.
 */
struct pol_compile {
	const char *base_dir;
	/* a problem at the rule's member `member` (NULL: the rule) */
	void (*problem)(struct pol_compile *pc, const char *member, const char *fmt, ...)
		BH_PRINTF(3, 4);
	void *data;
	bool defer_keys; /* BH_POLICY_DEFER_KEYS */
};

struct pol_rule_kind {
	const char *name;
	const char *section;		/* the NIST SP 800-190 section it serves */
	unsigned inputs;		/* POL_IN_* it reads */
	unsigned needs;			/* BH_POLICY_NEEDS_* */
	const struct pol_field *fields; /* its members, NULL-name terminated */
	/* members that must be there once refinements are merged (space separated) */
	const char *required;
	/* build r->params from the merged, validated definition; problems through pc */
	int (*compile)(struct pol_rule *r, const json_t *def, struct pol_compile *pc);
	void (*free)(void *params);
	int (*eval)(const struct pol_rule *r, struct pol_ctx *c, struct bh_error **err);
};

extern const struct pol_rule_kind pol_kind_image_provenance, pol_kind_image_signature,
	pol_kind_vulnerabilities, pol_kind_image_content, pol_kind_pod_security, pol_kind_workload,
	pol_kind_placement, pol_kind_network_group, pol_kind_network;

/* After compiling: the group names network rules give exist (rules_network.c);
 * returns the number of problems, each added to diags at its rule. */
size_t pol_network_link(const struct bh_policy *p, struct bh_policy_diags *diags);

struct pol_selector {
	json_t *match_labels; /* an object, or NULL */
	json_t *exprs;	      /* matchExpressions, validated, or NULL */
};

struct pol_scope {
	struct pol_globs namespaces, exclude_namespaces, images, exclude_images;
	char **kinds;	/* Kubernetes kinds (NULL: all) */
	json_t *labels; /* labels the object must carry, or NULL */
	struct pol_selector selector, ns_selector;
	bool has_selector, has_ns_selector;
	unsigned inputs; /* POL_IN_*; 0 = every input the kind reads */
};

struct pol_rule {
	char *name;
	const struct pol_rule_kind *kind;
	enum bh_policy_action action;
	char *section;
	char *description;
	struct pol_scope scope;
	void *params;
	char *file; /* where it was last defined */
	size_t line, column;
};

bool pol_selector_match(const struct pol_selector *s, const json_t *labels);
/* "90d" -> seconds; -1 when malformed. */
int64_t pol_duration_parse(const char *s);
/* Read a public key member value (PEM or a file under base_dir). */
struct bh_key;
/* A key's PEM text (inline, or the file's, at most 64 KiB) with its armour
 * checked, not parsed; caller frees. */
int pol_key_read(const char *v, const char *base_dir, char **pem, struct bh_error **err);
int pol_key_load(const char *v, const char *base_dir, struct bh_key **out, struct bh_error **err);
/* A path relative to base_dir (an absolute one as it is); caller frees. */
char *pol_path_join(const char *base_dir, const char *path);

/* One file as added. */
struct pol_srcfile {
	char *name;
	char *base_dir;
	json_t *docs;
	struct bh_yaml_marks *marks;
};

/* What validation writes to. */
struct pol_vctx {
	struct bh_policy_diags *d;
	struct pol_srcfile *src;
	size_t nproblems;
	const char *rule; /* the rule's name, for messages, or NULL */
	bool defer_keys;  /* BH_POLICY_DEFER_KEYS: keys read, not parsed */
};

const struct pol_rule_kind *pol_kind_by_name(const char *name);
void pol_diag_add(struct bh_policy_diags *d, const char *file, size_t line, size_t column,
		  char *message);
/* A problem at the node `pointer` of the source (key: at its key). */
void pol_vproblem(struct pol_vctx *v, const char *pointer, bool key, const char *fmt, ...)
	BH_PRINTF(4, 5);
/* JSON Pointers: base + "/" + escaped member, base + "/" + index; caller frees. */
char *pol_ptr_join(const char *base, const char *member);
char *pol_ptr_index(const char *base, size_t i);
const char *pol_jtype(const json_t *v); /* "an object", "a string", ... */
/* Every member of obj a known field of the right type; `extra_known` are
 * members the caller checks itself. */
void pol_check_members(struct pol_vctx *v, const json_t *obj, const char *ptr, const char *what,
		       const struct pol_field *fields, const char *extra_known);
/* A rule definition as written. */
void pol_check_rule(struct pol_vctx *v, const json_t *rule, const char *ptr);

struct bh_policy {
	struct pol_def *defs; /* rule definitions as added, in order (see policy.c) */
	size_t ndefs;
	struct pol_srcfile **srcs;
	size_t nsrcs;
	bool compiled;
	struct pol_rule *rules;
	size_t nrules;
	unsigned needs;
	unsigned flags; /* BH_POLICY_* options */
};

/* ---- evaluation ------------------------------------------------------------------ */

/* One image an input names, with what is known about it (eval.c). */
struct pol_image {
	const char *ref;	  /* as written */
	struct pol_imgref parsed; /* valid when parse_error is NULL */
	char *parse_error;
	const struct bh_policy_image *facts; /* from the input, or NULL */
	struct bh_policy_image view; /* what the env is asked about: the facts, or ref + digest */
	const char *digest;	     /* the ref's digest, else the facts', else NULL */
	const char *container;	     /* the first container that names it, or NULL */
};

/* What the workload rules see of a Kubernetes pod or an OCI config. */
struct pol_ctx {
	const struct bh_policy *policy;
	const struct bh_policy_input *in;
	const struct bh_policy_env *env;
	int64_t now;
	struct bh_policy_result *res;
	/* K8S */
	const struct pol_pod *pod; /* NULL for other inputs */
	const char *kind;	   /* the object's kind */
	const char *namespace;
	bool is_workload; /* a workload resource, not a Pod */
	/* OCI */
	const json_t *oci;
	/* every input */
	struct pol_image *images;
	size_t nimages;
	/* scans asked of the env, by image index (NULL: not asked / none) */
	const struct bh_policy_scan **scans;
	bool *scan_asked;
};

/* Record a hit of rule r (message formatted), about an image and/or container. */
void pol_hit(struct pol_ctx *c, const struct pol_rule *r, const char *check, const char *section,
	     const char *container, const char *image, const char *fmt, ...) BH_PRINTF(7, 8);
/* Whether image i is in the rule's image scope. */
bool pol_image_in_scope(const struct pol_rule *r, const struct pol_image *img);
/* The scan of image i, asked of the env once; NULL when there is none. */
int pol_scan_of(struct pol_ctx *c, size_t i, const struct bh_policy_scan **out,
		struct bh_error **err);

#endif
