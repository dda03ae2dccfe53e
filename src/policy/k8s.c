/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes objects as the policy sees them: which kinds hold a pod and
 * where (the kinds PSA's DefaultPodSpecExtractor knows), and the pod decoded
 * once, with the semantics of Go's encoding/json into the API's types: an
 * absent member and null are "unset", a member of the wrong type is an error
 * naming its path (the API server would refuse the object, so it is never
 * evaluated as if the member were absent). The one default the API server
 * applies before admission that decides a check is applied here too: a volume
 * with no source is an emptyDir (SetDefaults_Volume).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "banned.h"

/* ---- kinds -------------------------------------------------------------- */

static const struct pol_kind kinds[] = {
	{ "Pod", "", { NULL }, false },
	{ "PodTemplate", "", { "template", NULL }, true },
	{ "ReplicationController", "", { "spec", "template", NULL }, true },
	{ "ReplicaSet", "apps extensions", { "spec", "template", NULL }, true },
	{ "Deployment", "apps extensions", { "spec", "template", NULL }, true },
	{ "StatefulSet", "apps", { "spec", "template", NULL }, true },
	{ "DaemonSet", "apps extensions", { "spec", "template", NULL }, true },
	{ "Job", "batch", { "spec", "template", NULL }, true },
	{ "CronJob", "batch", { "spec", "jobTemplate", "spec", "template", NULL }, true },
};

/* Kinds bulkhead knows that hold no pod: they pass every workload rule. */
static const char *const podless[] = {
	"APIService",
	"CSIDriver",
	"CSINode",
	"CSIStorageCapacity",
	"CertificateSigningRequest",
	"ClusterRole",
	"ClusterRoleBinding",
	"ConfigMap",
	"ControllerRevision",
	"CustomResourceDefinition",
	"EndpointSlice",
	"Endpoints",
	"Event",
	"FlowSchema",
	"HorizontalPodAutoscaler",
	"Ingress",
	"IngressClass",
	"Lease",
	"LimitRange",
	"List",
	"MutatingAdmissionPolicy",
	"MutatingAdmissionPolicyBinding",
	"MutatingWebhookConfiguration",
	"Namespace",
	"NetworkPolicy",
	"Node",
	"PersistentVolume",
	"PersistentVolumeClaim",
	"PodDisruptionBudget",
	"PriorityClass",
	"PriorityLevelConfiguration",
	"ResourceQuota",
	"Role",
	"RoleBinding",
	"RuntimeClass",
	"Secret",
	"Service",
	"ServiceAccount",
	"StorageClass",
	"ValidatingAdmissionPolicy",
	"ValidatingAdmissionPolicyBinding",
	"ValidatingWebhookConfiguration",
	"VolumeAttachment",
};

static bool group_ok(const char *groups, const char *api_version)
{
	const char *slash = strchr(api_version, '/');
	size_t glen = slash ? (size_t)(slash - api_version) : 0;

	if (!slash)
		return groups[0] == 0; /* "v1": the core group */
	for (const char *g = groups; *g;) {
		size_t n = strcspn(g, " ");

		if (n == glen && !strncmp(g, api_version, n))
			return true;
		g += n;
		while (*g == ' ')
			g++;
	}
	return false;
}

const struct pol_kind *pol_kind_of(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].kind, kind) &&
		    (!api_version || group_ok(kinds[i].groups, api_version)))
			return &kinds[i];
	return NULL;
}

bool pol_kind_known(const char *kind)
{
	if (pol_kind_of(NULL, kind))
		return true;
	for (size_t i = 0; i < sizeof(podless) / sizeof(podless[0]); i++)
		if (!strcmp(podless[i], kind))
			return true;
	return false;
}

/* ---- typed members -------------------------------------------------------- */

/* A field path for messages; a path too long for the buffer is cut. */
static void pathf(char *out, size_t n, const char *fmt, ...) BH_PRINTF(3, 4);
static void pathf(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, n, fmt, ap);
	va_end(ap);
}

struct dec {
	const char *where; /* the path of the object being read */
	struct bh_error **err;
};

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static int bad(const struct dec *d, const char *key, const char *want, const json_t *v)
{
	return bh_error_set(d->err, BH_ERR_INVALID, "%s%s%s: expected %s, got %s", d->where,
			    key ? "." : "", key ? key : "", want, type_name(v));
}

/* The member, or NULL when absent or null. */
static const json_t *member(const json_t *o, const char *key)
{
	const json_t *v = o ? json_object_get(o, key) : NULL;

	return v && !json_is_null(v) ? v : NULL;
}

static int get_obj(const struct dec *d, const json_t *o, const char *key, const json_t **out)
{
	const json_t *v = member(o, key);

	*out = NULL;
	if (v && !json_is_object(v))
		return bad(d, key, "an object", v);
	*out = v;
	return 0;
}

static int get_arr(const struct dec *d, const json_t *o, const char *key, const json_t **out)
{
	const json_t *v = member(o, key);

	*out = NULL;
	if (v && !json_is_array(v))
		return bad(d, key, "an array", v);
	if (v && json_array_size(v) > POL_MAX_LIST)
		return bh_error_set(d->err, BH_ERR_LIMIT, "%s.%s: more than %d entries", d->where,
				    key, POL_MAX_LIST);
	*out = v;
	return 0;
}

static int get_str(const struct dec *d, const json_t *o, const char *key, const char **out)
{
	const json_t *v = member(o, key);

	*out = NULL;
	if (v && !json_is_string(v))
		return bad(d, key, "a string", v);
	*out = v ? json_string_value(v) : NULL;
	return 0;
}

/* A Go bool (absent or null: false). */
static int get_bool(const struct dec *d, const json_t *o, const char *key, bool *out)
{
	const json_t *v = member(o, key);

	*out = false;
	if (v && !json_is_boolean(v))
		return bad(d, key, "a boolean", v);
	*out = v && json_is_true(v);
	return 0;
}

/* A Go *bool. */
static int get_tri(const struct dec *d, const json_t *o, const char *key, enum pol_tri *out)
{
	const json_t *v = member(o, key);

	*out = POL_UNSET;
	if (v && !json_is_boolean(v))
		return bad(d, key, "a boolean", v);
	if (v)
		*out = json_is_true(v) ? POL_TRUE : POL_FALSE;
	return 0;
}

/* A Go *int64 / int32 (lo..hi). */
static int get_int(const struct dec *d, const json_t *o, const char *key, int64_t lo, int64_t hi,
		   bool *has, int64_t *out)
{
	const json_t *v = member(o, key);

	*has = false;
	*out = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v))
		return bad(d, key, "an integer", v);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bh_error_set(d->err, BH_ERR_INVALID, "%s.%s: %lld is out of range", d->where,
				    key, (long long)json_integer_value(v));
	*has = true;
	*out = json_integer_value(v);
	return 0;
}

/* A list of strings (null elements are "", as Go decodes them). */
static int get_strs(const struct dec *d, const json_t *o, const char *key, struct pol_strs *out)
{
	const json_t *a, *v;
	size_t i;

	out->v = NULL;
	out->n = 0;
	if (get_arr(d, o, key, &a) < 0)
		return -1;
	if (!a)
		return 0;
	out->v = bh_calloc(json_array_size(a) + 1, sizeof(*out->v));
	json_array_foreach (a, i, v) {
		if (!json_is_string(v) && !json_is_null(v)) {
			bh_error_set(d->err, BH_ERR_INVALID,
				     "%s.%s[%zu]: expected a string, got %s", d->where, key, i,
				     type_name(v));
			free(out->v);
			out->v = NULL;
			return -1;
		}
		out->v[out->n++] = json_is_string(v) ? json_string_value(v) : "";
	}
	return 0;
}

/* An object whose every value is a string (labels, annotations, nodeSelector). */
static int check_string_map(const struct dec *d, const json_t *o, const char *key,
			    const json_t **out)
{
	const char *k;
	const json_t *v;

	if (get_obj(d, o, key, out) < 0)
		return -1;
	json_object_foreach ((json_t *)*out, k, v) {
		if (!json_is_string(v))
			return bh_error_set(d->err, BH_ERR_INVALID,
					    "%s.%s[\"%s\"]: expected a string, got %s", d->where,
					    key, k, type_name(v));
	}
	return 0;
}

static void push_str(struct pol_strs *s, const char *v)
{
	s->v = bh_reallocarray(s->v, s->n + 2, sizeof(*s->v));
	s->v[s->n++] = v;
	s->v[s->n] = NULL;
}

/* ---- security contexts -------------------------------------------------------- */

static int dec_common(const struct dec *d, const json_t *sc, struct pol_sc_common *out)
{
	char where[512];
	struct dec sub = { where, d->err };
	const json_t *o;

	memset(out, 0, sizeof(*out));
	out->run_as_non_root = out->host_process = POL_UNSET;
	if (!sc)
		return 0;
	out->present = true;
	if (get_tri(d, sc, "runAsNonRoot", &out->run_as_non_root) < 0 ||
	    get_int(d, sc, "runAsUser", INT64_MIN, INT64_MAX, &out->has_run_as_user,
		    &out->run_as_user) < 0)
		return -1;
	if (get_obj(d, sc, "seLinuxOptions", &o) < 0)
		return -1;
	if (o) {
		pathf(where, sizeof(where), "%s.seLinuxOptions", d->where);
		out->has_selinux = true;
		if (get_str(&sub, o, "type", &out->se_type) < 0 ||
		    get_str(&sub, o, "user", &out->se_user) < 0 ||
		    get_str(&sub, o, "role", &out->se_role) < 0)
			return -1;
		if (!out->se_type)
			out->se_type = "";
		if (!out->se_user)
			out->se_user = "";
		if (!out->se_role)
			out->se_role = "";
	}
	if (get_obj(d, sc, "seccompProfile", &o) < 0)
		return -1;
	if (o) {
		pathf(where, sizeof(where), "%s.seccompProfile", d->where);
		out->has_seccomp = true;
		if (get_str(&sub, o, "type", &out->seccomp_type) < 0)
			return -1;
		if (!out->seccomp_type)
			out->seccomp_type = "";
	}
	if (get_obj(d, sc, "appArmorProfile", &o) < 0)
		return -1;
	if (o) {
		pathf(where, sizeof(where), "%s.appArmorProfile", d->where);
		out->has_apparmor = true;
		if (get_str(&sub, o, "type", &out->apparmor_type) < 0)
			return -1;
		if (!out->apparmor_type)
			out->apparmor_type = "";
	}
	if (get_obj(d, sc, "windowsOptions", &o) < 0)
		return -1;
	if (o) {
		pathf(where, sizeof(where), "%s.windowsOptions", d->where);
		out->has_windows = true;
		if (get_tri(&sub, o, "hostProcess", &out->host_process) < 0)
			return -1;
	}
	return 0;
}

/* ---- containers ------------------------------------------------------------ */

/* The hosts of a probe or lifecycle handler: httpGet's, then tcpSocket's. */
static int handler_hosts(const struct dec *d, const json_t *h, const char *name,
			 struct pol_strs *hosts)
{
	static const char *const actions[] = { "httpGet", "tcpSocket" };
	char where[512];
	struct dec sub = { where, d->err };
	const json_t *a;
	const char *host;

	for (size_t i = 0; i < 2; i++) {
		pathf(where, sizeof(where), "%s.%s", d->where, name);
		if (get_obj(&sub, h, actions[i], &a) < 0)
			return -1;
		if (!a)
			continue;
		pathf(where, sizeof(where), "%s.%s.%s", d->where, name, actions[i]);
		if (get_str(&sub, a, "host", &host) < 0)
			return -1;
		if (host && *host)
			push_str(hosts, host);
	}
	return 0;
}

static int dec_resources(const struct dec *d, const json_t *c, struct pol_container *out)
{
	char where[512];
	struct dec sub = { where, d->err };
	const json_t *r, *limits, *requests;

	if (get_obj(d, c, "resources", &r) < 0)
		return -1;
	if (!r)
		return 0;
	pathf(where, sizeof(where), "%s.resources", d->where);
	if (get_obj(&sub, r, "limits", &limits) < 0 || get_obj(&sub, r, "requests", &requests) < 0)
		return -1;
	out->limit_cpu = member(limits, "cpu") != NULL;
	out->limit_memory = member(limits, "memory") != NULL;
	out->request_cpu = member(requests, "cpu") != NULL;
	out->request_memory = member(requests, "memory") != NULL;
	return 0;
}

static int dec_container(const char *where, const json_t *c, struct pol_container *out,
			 struct bh_error **err)
{
	static const char *const probes[] = { "livenessProbe", "readinessProbe", "startupProbe" };
	static const char *const hooks[] = { "postStart", "preStop" };
	char w2[512];
	struct dec d = { where, err }, sub = { w2, err };
	const json_t *sc, *caps, *ports, *p, *lc, *mounts, *m;
	size_t i;

	if (!json_is_object(c))
		return bh_error_set(err, BH_ERR_INVALID, "%s: expected an object, got %s", where,
				    type_name(c));
	out->privileged = out->allow_pe = out->read_only_root = POL_UNSET;
	if (get_str(&d, c, "name", &out->name) < 0 || get_str(&d, c, "image", &out->image) < 0 ||
	    get_str(&d, c, "restartPolicy", &out->restart_policy) < 0)
		return -1;
	if (!out->name)
		out->name = "";
	if (get_obj(&d, c, "securityContext", &sc) < 0)
		return -1;
	pathf(w2, sizeof(w2), "%s.securityContext", where);
	if (dec_common(&sub, sc, &out->sc) < 0)
		return -1;
	if (sc) {
		if (get_tri(&sub, sc, "privileged", &out->privileged) < 0 ||
		    get_tri(&sub, sc, "allowPrivilegeEscalation", &out->allow_pe) < 0 ||
		    get_tri(&sub, sc, "readOnlyRootFilesystem", &out->read_only_root) < 0 ||
		    get_str(&sub, sc, "procMount", &out->proc_mount) < 0 ||
		    get_obj(&sub, sc, "capabilities", &caps) < 0)
			return -1;
		if (caps) {
			char w3[512];
			struct dec csub = { w3, err };

			pathf(w3, sizeof(w3), "%s.securityContext.capabilities", where);
			out->has_caps = true;
			if (get_strs(&csub, caps, "add", &out->cap_add) < 0 ||
			    get_strs(&csub, caps, "drop", &out->cap_drop) < 0)
				return -1;
		}
	}
	if (get_arr(&d, c, "ports", &ports) < 0)
		return -1;
	json_array_foreach (ports, i, p) {
		bool has;
		int64_t hp;

		pathf(w2, sizeof(w2), "%s.ports[%zu]", where, i);
		if (!json_is_object(p))
			return bh_error_set(err, BH_ERR_INVALID, "%s: expected an object, got %s",
					    w2, type_name(p));
		if (get_int(&sub, p, "hostPort", INT32_MIN, INT32_MAX, &has, &hp) < 0)
			return -1;
		if (has && hp != 0) {
			out->host_ports = bh_reallocarray(out->host_ports, out->nhost_ports + 1,
							  sizeof(*out->host_ports));
			out->host_ports[out->nhost_ports++] = hp;
		}
	}
	for (i = 0; i < 3; i++) {
		if (get_obj(&d, c, probes[i], &p) < 0)
			return -1;
		if (p && handler_hosts(&d, p, probes[i], &out->probe_hosts) < 0)
			return -1;
	}
	if (get_obj(&d, c, "lifecycle", &lc) < 0)
		return -1;
	pathf(w2, sizeof(w2), "%s.lifecycle", where);
	for (i = 0; lc && i < 2; i++) {
		if (get_obj(&sub, lc, hooks[i], &p) < 0)
			return -1;
		if (p && handler_hosts(&sub, p, hooks[i], &out->probe_hosts) < 0)
			return -1;
	}
	if (dec_resources(&d, c, out) < 0)
		return -1;
	if (get_arr(&d, c, "volumeMounts", &mounts) < 0)
		return -1;
	json_array_foreach (mounts, i, m) {
		const char *name;

		pathf(w2, sizeof(w2), "%s.volumeMounts[%zu]", where, i);
		if (!json_is_object(m))
			return bh_error_set(err, BH_ERR_INVALID, "%s: expected an object, got %s",
					    w2, type_name(m));
		if (get_str(&sub, m, "name", &name) < 0)
			return -1;
		push_str(&out->mount_names, name ? name : "");
	}
	return 0;
}

/* ---- volumes ------------------------------------------------------------------ */

/* VolumeSource's members in the order of its Go struct; the restricted
 * profile's allowed types are flagged. */
static const struct {
	const char *name;
	bool restricted_ok;
} volume_types[] = {
	{ "hostPath", false },
	{ "emptyDir", true },
	{ "gcePersistentDisk", false },
	{ "awsElasticBlockStore", false },
	{ "gitRepo", false },
	{ "secret", true },
	{ "nfs", false },
	{ "iscsi", false },
	{ "glusterfs", false },
	{ "persistentVolumeClaim", true },
	{ "rbd", false },
	{ "flexVolume", false },
	{ "cinder", false },
	{ "cephfs", false },
	{ "flocker", false },
	{ "downwardAPI", true },
	{ "fc", false },
	{ "azureFile", false },
	{ "configMap", true },
	{ "vsphereVolume", false },
	{ "quobyte", false },
	{ "azureDisk", false },
	{ "photonPersistentDisk", false },
	{ "projected", true },
	{ "portworxVolume", false },
	{ "scaleIO", false },
	{ "storageos", false },
	{ "csi", true },
	{ "ephemeral", true },
	{ "image", true },
};

static int dec_volume(const char *where, const json_t *v, struct pol_volume *out,
		      struct bh_error **err)
{
	struct dec d = { where, err };
	bool any_allowed = false;

	if (!json_is_object(v))
		return bh_error_set(err, BH_ERR_INVALID, "%s: expected an object, got %s", where,
				    type_name(v));
	if (get_str(&d, v, "name", &out->name) < 0)
		return -1;
	if (!out->name)
		out->name = "";
	out->type = NULL;
	for (size_t i = 0; i < sizeof(volume_types) / sizeof(volume_types[0]); i++) {
		const json_t *src;

		if (get_obj(&d, v, volume_types[i].name, &src) < 0)
			return -1;
		if (!src)
			continue;
		if (volume_types[i].restricted_ok)
			any_allowed = true;
		if (!out->type)
			out->type = volume_types[i].name;
		if (!strcmp(volume_types[i].name, "hostPath")) {
			char w2[512];
			struct dec sub = { w2, err };

			pathf(w2, sizeof(w2), "%s.hostPath", where);
			if (get_str(&sub, src, "path", &out->host_path) < 0)
				return -1;
			if (!out->host_path)
				out->host_path = "";
		}
	}
	if (!out->type) {
		/* SetDefaults_Volume: no source at all is an emptyDir */
		out->type = "emptyDir";
		any_allowed = true;
	}
	/* restrictedVolumes: any allowed source set lets the volume through */
	out->allowed_restricted = any_allowed;
	return 0;
}

/* ---- the pod ------------------------------------------------------------------- */

void pol_pod_release(struct pol_pod *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nc; i++) {
		free(p->c[i].cap_add.v);
		free(p->c[i].cap_drop.v);
		free(p->c[i].host_ports);
		free(p->c[i].probe_hosts.v);
		free(p->c[i].mount_names.v);
	}
	free(p->c);
	free(p->sysctls.v);
	free(p->volumes);
	memset(p, 0, sizeof(*p));
}

static int dec_containers(const struct dec *d, const json_t *spec, const char *key,
			  enum pol_container_kind kind, struct pol_pod *p)
{
	const json_t *a, *c;
	size_t i;

	if (get_arr(d, spec, key, &a) < 0)
		return -1;
	if (a && p->nc + json_array_size(a) > POL_MAX_CONTAINERS)
		return bh_error_set(d->err, BH_ERR_LIMIT, "%s: more than %d containers", d->where,
				    POL_MAX_CONTAINERS);
	if (a)
		p->c = bh_reallocarray(p->c, p->nc + json_array_size(a) + 1, sizeof(*p->c));
	json_array_foreach (a, i, c) {
		char where[512];
		struct pol_container *pc = &p->c[p->nc];

		memset(pc, 0, sizeof(*pc));
		p->nc++;
		pc->kind = kind;
		pc->index = i;
		pathf(where, sizeof(where), "%s.%s[%zu]", d->where, key, i);
		if (dec_container(where, c, pc, d->err) < 0)
			return -1;
	}
	return 0;
}

int pol_pod_decode(const json_t *meta, const json_t *spec, const char *where, struct pol_pod *p,
		   struct bh_error **err)
{
	char w2[512], mwhere[512];
	struct dec d = { where, err }, sub = { w2, err }, md = { mwhere, err };
	const json_t *sc, *os, *vols, *v;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->host_users = POL_UNSET;
	if (!json_is_object(spec))
		return bh_error_set(err, BH_ERR_INVALID, "%s: expected an object, got %s", where,
				    spec ? type_name(spec) : "nothing");
	p->spec = spec;
	if (meta && !json_is_null(meta)) {
		size_t wl = strlen(where);

		/* "spec.template.spec" -> "spec.template.metadata"; a pod's "spec" -> "metadata" */
		if (wl >= 4 && !strcmp(where + wl - 4, "spec"))
			pathf(mwhere, sizeof(mwhere), "%.*smetadata", (int)(wl - 4), where);
		else
			pathf(mwhere, sizeof(mwhere), "metadata");
		if (!json_is_object(meta))
			return bh_error_set(err, BH_ERR_INVALID, "%s: expected an object, got %s",
					    mwhere, type_name(meta));
		p->meta = meta;
		if (check_string_map(&md, meta, "labels", &p->labels) < 0 ||
		    check_string_map(&md, meta, "annotations", &p->annotations) < 0 ||
		    get_str(&md, meta, "name", &p->name) < 0 ||
		    get_str(&md, meta, "namespace", &p->namespace) < 0)
			goto fail;
	}
	if (get_bool(&d, spec, "hostNetwork", &p->host_network) < 0 ||
	    get_bool(&d, spec, "hostPID", &p->host_pid) < 0 ||
	    get_bool(&d, spec, "hostIPC", &p->host_ipc) < 0 ||
	    get_tri(&d, spec, "hostUsers", &p->host_users) < 0 ||
	    get_str(&d, spec, "runtimeClassName", &p->runtime_class) < 0 ||
	    get_str(&d, spec, "nodeName", &p->node_name) < 0 ||
	    check_string_map(&d, spec, "nodeSelector", &p->node_selector) < 0 ||
	    get_obj(&d, spec, "affinity", &p->affinity) < 0 ||
	    get_arr(&d, spec, "tolerations", &p->tolerations) < 0 ||
	    get_obj(&d, spec, "securityContext", &sc) < 0 || get_obj(&d, spec, "os", &os) < 0)
		goto fail;
	pathf(w2, sizeof(w2), "%s.securityContext", where);
	if (dec_common(&sub, sc, &p->sc) < 0)
		goto fail;
	if (sc) {
		const json_t *sysctls, *s;

		if (get_arr(&sub, sc, "sysctls", &sysctls) < 0)
			goto fail;
		json_array_foreach (sysctls, i, s) {
			char w3[512];
			struct dec ssub = { w3, err };
			const char *name;

			pathf(w3, sizeof(w3), "%s.securityContext.sysctls[%zu]", where, i);
			if (!json_is_object(s)) {
				bh_error_set(err, BH_ERR_INVALID, "%s: expected an object, got %s",
					     w3, type_name(s));
				goto fail;
			}
			if (get_str(&ssub, s, "name", &name) < 0)
				goto fail;
			push_str(&p->sysctls, name ? name : "");
		}
	}
	if (os) {
		pathf(w2, sizeof(w2), "%s.os", where);
		if (get_str(&sub, os, "name", &p->os_name) < 0)
			goto fail;
	}
	if (get_arr(&d, spec, "volumes", &vols) < 0)
		goto fail;
	if (vols) {
		p->volumes = bh_calloc(json_array_size(vols) + 1, sizeof(*p->volumes));
		json_array_foreach (vols, i, v) {
			pathf(w2, sizeof(w2), "%s.volumes[%zu]", where, i);
			if (dec_volume(w2, v, &p->volumes[i], err) < 0)
				goto fail;
			p->nvolumes++;
		}
	}
	if (dec_containers(&d, spec, "initContainers", POL_INIT, p) < 0 ||
	    dec_containers(&d, spec, "containers", POL_REGULAR, p) < 0 ||
	    dec_containers(&d, spec, "ephemeralContainers", POL_EPHEMERAL, p) < 0)
		goto fail;
	return 0;
fail:
	pol_pod_release(p);
	return -1;
}

int pol_pod_of(const json_t *obj, const json_t **meta, const json_t **spec, const char **where,
	       struct bh_error **err)
{
	static char wherebuf[] = "spec";
	const char *api_version, *kind;
	const struct pol_kind *k;
	const json_t *t = obj;

	*meta = *spec = NULL;
	*where = wherebuf;
	if (!json_is_object(obj))
		return bh_error_set(err, BH_ERR_INVALID, "the object is %s, not an object",
				    type_name(obj));
	api_version = bh_json_str(obj, "apiVersion");
	kind = bh_json_str(obj, "kind");
	if (!kind)
		return bh_error_set(err, BH_ERR_INVALID, "the object has no kind");
	k = pol_kind_of(api_version, kind);
	if (!k)
		return 0;
	if (!k->template) {
		*meta = json_object_get(obj, "metadata");
		*spec = member(obj, "spec");
		if (!*spec)
			return bh_error_set(err, BH_ERR_INVALID, "the %s has no spec", kind);
		return 1;
	}
	for (size_t i = 0; k->path[i]; i++) {
		const json_t *next = member(t, k->path[i]);

		if (!next)
			return 1; /* no template: nothing to check, as PSA */
		if (!json_is_object(next)) {
			char w[128] = "";

			for (size_t j = 0; j <= i; j++)
				snprintf(w + strlen(w), sizeof(w) - strlen(w), "%s%s", j ? "." : "",
					 k->path[j]);
			return bh_error_set(err, BH_ERR_INVALID, "%s: expected an object, got %s",
					    w, type_name(next));
		}
		t = next;
	}
	*meta = json_object_get(t, "metadata");
	*spec = member(t, "spec");
	*where = !strcmp(kind, "CronJob")	? "spec.jobTemplate.spec.template.spec"
		 : !strcmp(kind, "PodTemplate") ? "template.spec"
						: "spec.template.spec";
	if (!*spec) {
		*meta = NULL;
		return 1;
	}
	return 1;
}
