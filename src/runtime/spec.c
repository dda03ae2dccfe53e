/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json (runtime-spec 1.1) → struct bh_rt_spec. The input is untrusted:
 * every member is type-checked, every count and string bounded, every enum
 * value checked against the names the runtime knows. Anything the runtime
 * would silently get wrong is an error that names the field.
 *
 * This file: the typed readers, process, hooks, annotations and the whole
 * document; mounts[] are parsed in spec_mounts.c, linux.* in spec_linux.c.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

/* ---- capabilities and names --------------------------------------------- */

uint64_t rt_caps_known_mask(void)
{
	static uint64_t mask;
	int last = BH_NCAPS - 1;

	if (mask)
		return mask;
	{
		struct bh_buf b = BH_BUF_INIT(64);

		if (bh_read_file("/proc/sys/kernel/cap_last_cap", &b, NULL) == 0) {
			uint64_t v;

			while (b.len && (b.data[b.len - 1] == '\n'))
				b.data[--b.len] = 0;
			if (bh_parse_u64(b.data, &v, NULL) == 0 && v < 63)
				last = (int)v;
		}
		bh_buf_release(&b);
	}
	mask = last >= 63 ? ~0ULL : ((1ULL << (last + 1)) - 1);
	return mask;
}

static const struct {
	const char *name;
	int res;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

/* ---- small typed readers ------------------------------------------------ */

/* A string member: absent → *out NULL (ok unless required). */
int rt_spec_str(const json_t *obj, const char *key, bool required, size_t max, char **out,
		const char *where, struct bh_error **err)
{
	json_t *v = json_object_get(obj, key);
	size_t n;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return bh_error_set(err, BH_ERR_INVALID, "%s.%s is required", where, key);
		return 0;
	}
	if (!json_is_string(v))
		return bh_error_set(err, BH_ERR_INVALID, "%s.%s must be a string", where, key);
	n = json_string_length(v);
	if (n > max)
		return bh_error_set(err, BH_ERR_LIMIT, "%s.%s: %zu bytes exceeds the limit of %zu",
				    where, key, n, max);
	if (memchr(json_string_value(v), 0, n))
		return bh_error_set(err, BH_ERR_INVALID, "%s.%s contains a NUL byte", where, key);
	*out = bh_strdup(json_string_value(v));
	return 0;
}

int rt_spec_bool(const json_t *obj, const char *key, bool *out, const char *where,
		 struct bh_error **err)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return bh_error_set(err, BH_ERR_INVALID, "%s.%s must be a boolean", where, key);
	*out = json_is_true(v);
	return 0;
}

/* An integer member in [min, max]; absent → *present false. */
int rt_spec_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
		bool *present, const char *where, struct bh_error **err)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (present)
		*present = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return bh_error_set(err, BH_ERR_INVALID, "%s.%s must be an integer", where, key);
	i = json_integer_value(v);
	if (i < min || i > max)
		return bh_error_set(err, BH_ERR_INVALID, "%s.%s: %lld is out of range", where, key,
				    (long long)i);
	*out = i;
	if (present)
		*present = true;
	return 0;
}

int rt_spec_u32(const json_t *obj, const char *key, uint32_t *out, const char *where,
		struct bh_error **err)
{
	int64_t v;
	bool present;

	if (rt_spec_int(obj, key, 0, UINT32_MAX - 1, &v, &present, where, err) < 0)
		return -1;
	if (present)
		*out = (uint32_t)v;
	return 0;
}

/* An optional member that must be an object (or array) when present. */
int rt_spec_typed(const json_t *obj, const char *key, bool array, json_t **out, const char *where,
		  struct bh_error **err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (array ? !json_is_array(v) : !json_is_object(v))
		return bh_error_set(err, BH_ERR_INVALID, "%s.%s must be an %s", where, key,
				    array ? "array" : "object");
	*out = v;
	return 0;
}

/* An array of strings → NULL-terminated vector. */
int rt_spec_strv(const json_t *obj, const char *key, size_t maxn, size_t maxlen, char ***out,
		 size_t *count, const char *where, struct bh_error **err)
{
	json_t *arr, *v;
	size_t i, n;
	char **vec;

	*out = NULL;
	if (count)
		*count = 0;
	if (rt_spec_typed(obj, key, true, &arr, where, err) < 0)
		return -1;
	if (!arr)
		return 0;
	n = json_array_size(arr);
	if (n > maxn)
		return bh_error_set(err, BH_ERR_LIMIT, "%s.%s: %zu entries exceed the limit of %zu",
				    where, key, n, maxn);
	vec = bh_calloc(n + 1, sizeof(*vec));
	json_array_foreach (arr, i, v) {
		size_t len;

		if (!json_is_string(v)) {
			bh_strv_free(vec);
			return bh_error_set(err, BH_ERR_INVALID, "%s.%s[%zu] must be a string",
					    where, key, i);
		}
		len = json_string_length(v);
		if (len > maxlen || memchr(json_string_value(v), 0, len)) {
			bh_strv_free(vec);
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s.%s[%zu] is too long or contains a NUL byte", where,
					    key, i);
		}
		vec[i] = bh_strdup(json_string_value(v));
	}
	*out = vec;
	if (count)
		*count = n;
	return 0;
}

/* An absolute path, cleaned lexically ("/a/../b" → "/b"; ".." above / refused). */
int rt_spec_abs_path(const char *in, char **out, const char *where, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(RT_MAX_PATH + 1);
	int r;

	*out = NULL;
	if (bh_path_clean(in, true, RT_MAX_PATH, &b, err) < 0) {
		bh_buf_release(&b);
		return bh_error_prefix(err, "%s", where);
	}
	*out = bh_asprintf("/%s", b.data ? b.data : "");
	r = 0;
	bh_buf_release(&b);
	return r;
}

/* ---- pieces ------------------------------------------------------------- */

int rt_spec_mappings(const json_t *obj, const char *key, struct bh_rt_idmap **out, size_t *n,
		     const char *where, struct bh_error **err)
{
	json_t *arr, *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (rt_spec_typed(obj, key, true, &arr, where, err) < 0)
		return -1;
	if (!arr)
		return 0;
	if (json_array_size(arr) > RT_MAX_MAPPINGS)
		return bh_error_set(err, BH_ERR_LIMIT, "%s.%s: more than %d mappings", where, key,
				    RT_MAX_MAPPINGS);
	*out = bh_calloc(json_array_size(arr) + 1, sizeof(**out));
	json_array_foreach (arr, i, v) {
		struct bh_rt_idmap *m = &(*out)[i];
		int64_t c, h, s;
		bool pc, ph, ps;
		char w[96];

		snprintf(w, sizeof(w), "%s.%s[%zu]", where, key, i);
		if (!json_is_object(v))
			return bh_error_set(err, BH_ERR_INVALID, "%s must be an object", w);
		if (rt_spec_int(v, "containerID", 0, UINT32_MAX, &c, &pc, w, err) < 0 ||
		    rt_spec_int(v, "hostID", 0, UINT32_MAX, &h, &ph, w, err) < 0 ||
		    rt_spec_int(v, "size", 1, UINT32_MAX, &s, &ps, w, err) < 0)
			return -1;
		if (!pc || !ph || !ps)
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s needs containerID, hostID and size", w);
		if (c + s > (int64_t)UINT32_MAX + 1 || h + s > (int64_t)UINT32_MAX + 1)
			return bh_error_set(err, BH_ERR_INVALID, "%s: the range overflows 32 bits",
					    w);
		m->container_id = (uint32_t)c;
		m->host_id = (uint32_t)h;
		m->size = (uint32_t)s;
		(*n)++;
	}
	/* overlapping ranges on either side are refused by the kernel; say it here */
	for (size_t a = 0; a < *n; a++)
		for (size_t b = a + 1; b < *n; b++) {
			const struct bh_rt_idmap *x = &(*out)[a], *y = &(*out)[b];

			if ((uint64_t)x->container_id < (uint64_t)y->container_id + y->size &&
			    (uint64_t)y->container_id < (uint64_t)x->container_id + x->size)
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s.%s: entries %zu and %zu overlap", where,
						    key, a, b);
		}
	return 0;
}

static int parse_hooks(struct bh_rt_spec *s, const json_t *root, struct bh_error **err)
{
	static const char *const names[BH_HOOK_NKINDS] = {
		"prestart",	  "createRuntime", "createContainer",
		"startContainer", "poststart",	   "poststop",
	};
	json_t *hooks;

	if (rt_spec_typed(root, "hooks", false, &hooks, "config", err) < 0)
		return -1;
	if (!hooks)
		return 0;
	for (int k = 0; k < BH_HOOK_NKINDS; k++) {
		json_t *arr, *v;
		size_t i;
		char where[64];

		snprintf(where, sizeof(where), "hooks");
		if (rt_spec_typed(hooks, names[k], true, &arr, where, err) < 0)
			return -1;
		if (!arr)
			continue;
		if (json_array_size(arr) > RT_MAX_HOOKS)
			return bh_error_set(err, BH_ERR_LIMIT, "hooks.%s: too many hooks",
					    names[k]);
		s->hooks[k].h = bh_calloc(json_array_size(arr) + 1, sizeof(struct bh_rt_hook));
		json_array_foreach (arr, i, v) {
			struct bh_rt_hook *h = &s->hooks[k].h[i];
			int64_t t;
			bool pt;

			s->hooks[k].n++;
			snprintf(where, sizeof(where), "hooks.%s[%zu]", names[k], i);
			if (!json_is_object(v))
				return bh_error_set(err, BH_ERR_INVALID, "%s must be an object",
						    where);
			if (rt_spec_str(v, "path", true, RT_MAX_PATH, &h->path, where, err) < 0 ||
			    rt_spec_strv(v, "args", RT_MAX_ARGS, RT_MAX_STR, &h->args, NULL, where,
					 err) < 0 ||
			    rt_spec_strv(v, "env", RT_MAX_ENV, RT_MAX_STR, &h->env, NULL, where,
					 err) < 0 ||
			    rt_spec_int(v, "timeout", 1, 86400, &t, &pt, where, err) < 0)
				return -1;
			if (h->path[0] != '/')
				return bh_error_set(err, BH_ERR_INVALID, "%s.path must be absolute",
						    where);
			h->timeout = pt ? (int)t : 0;
		}
	}
	return 0;
}

static int parse_caps(struct bh_rt_process *p, const json_t *proc, struct bh_error **err)
{
	static const char *const sets[BH_CAP_NSETS] = { "bounding", "effective", "inheritable",
							"permitted", "ambient" };
	json_t *caps;

	if (rt_spec_typed(proc, "capabilities", false, &caps, "process", err) < 0)
		return -1;
	if (!caps)
		return 0;
	p->has_caps = true;
	for (int k = 0; k < BH_CAP_NSETS; k++) {
		json_t *arr, *v;
		size_t i;

		if (rt_spec_typed(caps, sets[k], true, &arr, "process.capabilities", err) < 0)
			return -1;
		if (!arr)
			continue;
		if (json_array_size(arr) > 256)
			return bh_error_set(err, BH_ERR_LIMIT, "process.capabilities.%s: too long",
					    sets[k]);
		json_array_foreach (arr, i, v) {
			int c;

			if (!json_is_string(v))
				return bh_error_set(err, BH_ERR_INVALID,
						    "process.capabilities.%s[%zu] must be a string",
						    sets[k], i);
			c = bh_cap_from_name(json_string_value(v));
			if (c < 0) {
				/* runc and crun skip capabilities they do not know */
				bh_warn("process.capabilities.%s: unknown capability '%.60s' "
					"ignored",
					sets[k], json_string_value(v));
				continue;
			}
			p->caps[k] |= 1ULL << c;
		}
	}
	return 0;
}

static int parse_process(struct bh_rt_spec *s, const json_t *root, struct bh_error **err)
{
	struct bh_rt_process *p = &s->process;
	json_t *proc, *user, *arr, *v, *cs;
	char *cwd = NULL;
	int64_t i64;
	bool present;
	size_t i;

	if (rt_spec_typed(root, "process", false, &proc, "config", err) < 0)
		return -1;
	if (!proc)
		return bh_error_set(err, BH_ERR_INVALID, "process is required");
	if (rt_spec_bool(proc, "terminal", &p->terminal, "process", err) < 0 ||
	    rt_spec_bool(proc, "noNewPrivileges", &p->no_new_privileges, "process", err) < 0)
		return -1;
	if (rt_spec_typed(proc, "consoleSize", false, &cs, "process", err) < 0)
		return -1;
	if (cs && (rt_spec_u32(cs, "height", &p->console_height, "process.consoleSize", err) < 0 ||
		   rt_spec_u32(cs, "width", &p->console_width, "process.consoleSize", err) < 0))
		return -1;
	if (rt_spec_typed(proc, "user", false, &user, "process", err) < 0)
		return -1;
	if (user) {
		if (rt_spec_u32(user, "uid", &p->uid, "process.user", err) < 0 ||
		    rt_spec_u32(user, "gid", &p->gid, "process.user", err) < 0 ||
		    rt_spec_int(user, "umask", 0, 0777, &i64, &present, "process.user", err) < 0)
			return -1;
		if (present) {
			p->has_umask = true;
			p->umask = (uint32_t)i64;
		}
		if (rt_spec_typed(user, "additionalGids", true, &arr, "process.user", err) < 0)
			return -1;
		if (arr) {
			if (json_array_size(arr) > RT_MAX_GIDS)
				return bh_error_set(err, BH_ERR_LIMIT,
						    "process.user.additionalGids: too many");
			p->gids = bh_calloc(json_array_size(arr) + 1, sizeof(*p->gids));
			json_array_foreach (arr, i, v) {
				if (!json_is_integer(v) || json_integer_value(v) < 0 ||
				    json_integer_value(v) >= UINT32_MAX)
					return bh_error_set(
						err, BH_ERR_INVALID,
						"process.user.additionalGids[%zu] is not a gid", i);
				p->gids[p->ngids++] = (uint32_t)json_integer_value(v);
			}
		}
		if (json_object_get(user, "username") &&
		    !json_is_string(json_object_get(user, "username")))
			return bh_error_set(err, BH_ERR_INVALID,
					    "process.user.username must be a string");
	}
	if (rt_spec_strv(proc, "args", RT_MAX_ARGS, RT_MAX_STR, &p->args, NULL, "process", err) <
		    0 ||
	    rt_spec_strv(proc, "env", RT_MAX_ENV, RT_MAX_STR, &p->env, NULL, "process", err) < 0)
		return -1;
	if (!p->args || !p->args[0] || !p->args[0][0])
		return bh_error_set(err, BH_ERR_INVALID,
				    "process.args must name the program to run (it is empty)");
	for (char **e = p->env; e && *e; e++)
		if (!strchr(*e, '='))
			return bh_error_set(err, BH_ERR_INVALID,
					    "process.env: '%.60s' is not KEY=VALUE", *e);
	if (!p->env)
		p->env = bh_calloc(1, sizeof(char *));
	if (rt_spec_str(proc, "cwd", false, RT_MAX_PATH, &cwd, "process", err) < 0)
		return -1;
	if (cwd && cwd[0] != '/') {
		free(cwd);
		return bh_error_set(err, BH_ERR_INVALID, "process.cwd must be an absolute path");
	}
	if (rt_spec_abs_path(cwd ? cwd : "/", &p->cwd, "process.cwd", err) < 0) {
		free(cwd);
		return -1;
	}
	free(cwd);
	if (parse_caps(p, proc, err) < 0)
		return -1;
	if (rt_spec_typed(proc, "rlimits", true, &arr, "process", err) < 0)
		return -1;
	if (arr) {
		if (json_array_size(arr) > 64)
			return bh_error_set(err, BH_ERR_LIMIT, "process.rlimits: too many");
		p->rlimits = bh_calloc(json_array_size(arr) + 1, sizeof(*p->rlimits));
		json_array_foreach (arr, i, v) {
			struct bh_rt_rlimit *rl = &p->rlimits[p->nrlimits];
			const char *t = bh_json_str(v, "type");
			json_t *jh = json_object_get(v, "hard"), *js = json_object_get(v, "soft");
			size_t k;

			if (!t)
				return bh_error_set(err, BH_ERR_INVALID,
						    "process.rlimits[%zu].type is required", i);
			for (k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
				if (!strcmp(t, rlimit_names[k].name))
					break;
			if (k == sizeof(rlimit_names) / sizeof(rlimit_names[0]))
				return bh_error_set(err, BH_ERR_INVALID,
						    "process.rlimits[%zu]: unknown type '%.40s'", i,
						    t);
			for (size_t j = 0; j < p->nrlimits; j++)
				if (p->rlimits[j].resource == rlimit_names[k].res)
					return bh_error_set(err, BH_ERR_INVALID,
							    "process.rlimits: %s given twice", t);
			if (!json_is_integer(jh) || !json_is_integer(js) ||
			    json_integer_value(jh) < 0 || json_integer_value(js) < 0)
				return bh_error_set(err, BH_ERR_INVALID,
						    "process.rlimits[%zu]: hard and soft must be "
						    "non-negative integers",
						    i);
			rl->resource = rlimit_names[k].res;
			rl->hard = (uint64_t)json_integer_value(jh);
			rl->soft = (uint64_t)json_integer_value(js);
			if (rl->soft > rl->hard)
				return bh_error_set(err, BH_ERR_INVALID,
						    "process.rlimits[%zu]: soft exceeds hard", i);
			p->nrlimits++;
		}
	}
	if (rt_spec_int(proc, "oomScoreAdj", -1000, 1000, &i64, &p->has_oom_score_adj, "process",
			err) < 0)
		return -1;
	p->oom_score_adj = (int)i64;
	return 0;
}

static int split_list(const char *s, char ***out, size_t *n, const char *what,
		      struct bh_error **err)
{
	char *copy = bh_strdup(s), *save = NULL, *tok;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	for (tok = strtok_r(copy, ":,", &save); tok; tok = strtok_r(NULL, ":,", &save)) {
		char *c;

		if (tok[0] != '/') {
			bh_error_set(err, BH_ERR_INVALID,
				     "annotation %s: '%.60s' is not an absolute path", what, tok);
			free(copy);
			return -1;
		}
		if (*n >= RT_MAX_PATHS) {
			free(copy);
			return bh_error_set(err, BH_ERR_LIMIT, "annotation %s: too many paths",
					    what);
		}
		if (rt_spec_abs_path(tok, &c, what, err) < 0) {
			free(copy);
			return -1;
		}
		if (*n + 2 > cap) {
			cap = cap ? cap * 2 : 8;
			*out = bh_reallocarray(*out, cap, sizeof(char *));
		}
		(*out)[(*n)++] = c;
		(*out)[*n] = NULL;
	}
	free(copy);
	return 0;
}

static int parse_annotations(struct bh_rt_spec *s, const json_t *root, struct bh_error **err)
{
	json_t *a, *v;
	const char *k, *mode, *ro, *rw;

	if (rt_spec_typed(root, "annotations", false, &a, "config", err) < 0)
		return -1;
	if (!a)
		return 0;
	if (json_object_size(a) > RT_MAX_ANNOTATIONS)
		return bh_error_set(err, BH_ERR_LIMIT, "annotations: too many");
	json_object_foreach (a, k, v) {
		if (!json_is_string(v) || json_string_length(v) > RT_MAX_STR || strlen(k) > 1024)
			return bh_error_set(err, BH_ERR_INVALID,
					    "annotations.%.60s must be a string", k);
	}
	s->annotations = json_incref(a);
	mode = bh_json_str(a, "org.bulkhead.mounts");
	if (mode) {
		if (!strcmp(mode, "supervised"))
			s->mounts_mode = BH_MOUNTS_SUPERVISED;
		else if (!strcmp(mode, "deny") || !strcmp(mode, "denied"))
			s->mounts_mode = BH_MOUNTS_DENY;
		else
			return bh_error_set(err, BH_ERR_INVALID,
					    "annotation org.bulkhead.mounts: '%.40s' is not "
					    "'supervised' or 'deny'",
					    mode);
	}
	ro = bh_json_str(a, "org.bulkhead.landlock.ro");
	rw = bh_json_str(a, "org.bulkhead.landlock.rw");
	if (ro &&
	    split_list(ro, &s->landlock_ro, &s->nlandlock_ro, "org.bulkhead.landlock.ro", err) < 0)
		return -1;
	if (rw &&
	    split_list(rw, &s->landlock_rw, &s->nlandlock_rw, "org.bulkhead.landlock.rw", err) < 0)
		return -1;
	return 0;
}

int bh_rt_spec_parse(const char *buf, size_t len, struct bh_rt_spec **out, struct bh_error **err)
{
	struct bh_rt_spec *s;
	json_t *root = NULL, *rootobj;
	int r = -1;

	*out = NULL;
	if (bh_json_parse(buf, len, BH_RT_MAX_CONFIG, "config.json", &root, err) < 0)
		return -1;
	s = bh_calloc(1, sizeof(*s));
	if (!json_is_object(root)) {
		bh_error_set(err, BH_ERR_INVALID, "config.json must be a JSON object");
		goto out;
	}
	if (rt_spec_str(root, "ociVersion", true, 64, &s->oci_version, "config", err) < 0)
		goto out;
	if (!bh_str_has_prefix(s->oci_version, "1.")) {
		bh_error_set(err, BH_ERR_UNSUPPORTED, "ociVersion '%.40s' is not 1.x",
			     s->oci_version);
		goto out;
	}
	if (rt_spec_typed(root, "root", false, &rootobj, "config", err) < 0)
		goto out;
	if (!rootobj) {
		bh_error_set(err, BH_ERR_INVALID, "root is required");
		goto out;
	}
	if (rt_spec_str(rootobj, "path", true, RT_MAX_PATH, &s->root_path, "root", err) < 0 ||
	    rt_spec_bool(rootobj, "readonly", &s->root_readonly, "root", err) < 0)
		goto out;
	if (!s->root_path[0]) {
		bh_error_set(err, BH_ERR_INVALID, "root.path is empty");
		goto out;
	}
	if (rt_spec_str(root, "hostname", false, 64, &s->hostname, "config", err) < 0 ||
	    rt_spec_str(root, "domainname", false, 64, &s->domainname, "config", err) < 0)
		goto out;
	if (parse_process(s, root, err) < 0 || rt_spec_parse_mounts(s, root, err) < 0 ||
	    parse_hooks(s, root, err) < 0 || rt_spec_parse_linux(s, root, err) < 0 ||
	    parse_annotations(s, root, err) < 0)
		goto out;
	if (s->hostname && !bh_rt_spec_has_ns(s, CLONE_NEWUTS) && s->hostname[0]) {
		bh_error_set(err, BH_ERR_INVALID, "hostname needs a new uts namespace");
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	if (r < 0)
		bh_error_prefix(err, "config.json");
	bh_rt_spec_free(s);
	json_decref(root);
	return r;
}

int bh_rt_spec_load(const char *bundle, struct bh_rt_spec **out, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_RT_MAX_CONFIG);
	char *path = bh_asprintf("%s/config.json", bundle);
	int r;

	*out = NULL;
	r = bh_read_file(path, &b, err);
	if (r == 0)
		r = bh_rt_spec_parse(b.data ? b.data : "", b.len, out, err);
	if (r < 0)
		bh_error_prefix(err, "bundle %s", bundle);
	bh_buf_release(&b);
	free(path);
	return r;
}

bool bh_rt_spec_has_ns(const struct bh_rt_spec *s, int type)
{
	for (size_t i = 0; i < s->nnamespaces; i++)
		if (s->namespaces[i].type == type)
			return true;
	return false;
}

static void mount_release(struct bh_rt_mount *m)
{
	free(m->destination);
	free(m->type);
	free(m->source);
	free(m->data);
	free(m->uid_mappings);
	free(m->gid_mappings);
}

void bh_rt_spec_free(struct bh_rt_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	free(s->process.gids);
	bh_strv_free(s->process.args);
	bh_strv_free(s->process.env);
	free(s->process.cwd);
	free(s->process.rlimits);
	for (size_t i = 0; i < s->nmounts; i++)
		mount_release(&s->mounts[i]);
	free(s->mounts);
	for (int k = 0; k < BH_HOOK_NKINDS; k++) {
		for (size_t i = 0; i < s->hooks[k].n; i++) {
			free(s->hooks[k].h[i].path);
			bh_strv_free(s->hooks[k].h[i].args);
			bh_strv_free(s->hooks[k].h[i].env);
		}
		free(s->hooks[k].h);
	}
	json_decref(s->annotations);
	json_decref(s->learn);
	for (size_t i = 0; i < s->nnamespaces; i++)
		free(s->namespaces[i].path);
	free(s->namespaces);
	free(s->uid_mappings);
	free(s->gid_mappings);
	json_decref(s->sysctl);
	free(s->res.cpuset_cpus);
	free(s->res.cpuset_mems);
	bh_strv_free(s->res.huge_sizes);
	free(s->res.huge_limits);
	free(s->res.devices);
	json_decref(s->res.unified);
	free(s->cgroups_path);
	for (size_t i = 0; i < s->ndevices; i++)
		free(s->devices[i].path);
	free(s->devices);
	json_decref(s->seccomp);
	bh_strv_free(s->masked_paths);
	bh_strv_free(s->readonly_paths);
	bh_strv_free(s->landlock_ro);
	bh_strv_free(s->landlock_rw);
	free(s);
}

/* ---- IDs and signals ---------------------------------------------------- */

int bh_rt_id_check(const char *id, struct bh_error **err)
{
	size_t n = strlen(id);

	if (!n || n > BH_RT_MAX_ID || !strcmp(id, ".") || !strcmp(id, ".."))
		return bh_error_set(err, BH_ERR_USAGE, "'%.80s' is not a valid container ID", id);
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '+' || *c == '-' || *c == '.'))
			return bh_error_set(err, BH_ERR_USAGE,
					    "'%.80s' is not a valid container ID (letters, digits, "
					    "'_', '+', '-' and '.')",
					    id);
	if (bh_rt_id_reserved(id))
		return bh_error_set(err, BH_ERR_USAGE,
				    "'%s' is not a valid container ID: bulkhead keeps its own "
				    "records under that name in the state root",
				    id);
	return 0;
}

/* The names of bulkhead's own directories in the default state root
 * (BH_QUAR_STATE_DIR, BH_GUARD_RDV_DIR, the vTPM's kept states): never a container's. */
bool bh_rt_id_reserved(const char *id)
{
	return !strcmp(id, "quarantine") || !strcmp(id, "guard") || !strcmp(id, "vtpm-kept");
}

int bh_rt_signal_parse(const char *s, int *sig, struct bh_error **err)
{
	static const struct {
		const char *n;
		int s;
	} sigs[] = {
		{ "HUP", SIGHUP },   { "INT", SIGINT },	      { "QUIT", SIGQUIT },
		{ "ILL", SIGILL },   { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },
		{ "IOT", SIGIOT },   { "BUS", SIGBUS },	      { "FPE", SIGFPE },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
		{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },
		{ "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
		{ "CONT", SIGCONT }, { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },
		{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
		{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM },
		{ "PROF", SIGPROF }, { "WINCH", SIGWINCH },   { "IO", SIGIO },
		{ "POLL", SIGPOLL }, { "PWR", SIGPWR },	      { "SYS", SIGSYS },
	};
	const char *n = s;
	uint64_t v;

	if (bh_parse_u64(s, &v, NULL) == 0) {
		if (v == 0 || v > 64)
			return bh_error_set(err, BH_ERR_USAGE, "signal %s is out of range", s);
		*sig = (int)v;
		return 0;
	}
	if (!strncasecmp(n, "SIG", 3))
		n += 3;
	if (!strncasecmp(n, "RTMIN+", 6) && bh_parse_u64(n + 6, &v, NULL) == 0 &&
	    (int)v <= SIGRTMAX - SIGRTMIN) {
		*sig = SIGRTMIN + (int)v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcasecmp(n, sigs[i].n)) {
			*sig = sigs[i].s;
			return 0;
		}
	return bh_error_set(err, BH_ERR_USAGE, "unknown signal '%.40s'", s);
}
