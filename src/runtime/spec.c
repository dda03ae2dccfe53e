/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json (runtime-spec 1.1) → struct bh_rt_spec. The input is untrusted:
 * every member is type-checked, every count and string bounded, every enum
 * value checked against the names the runtime knows. Anything the runtime
 * would silently get wrong is an error that names the field.
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

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- names ------------------------------------------------------------- */

static const char *const cap_names[RT_NCAPS] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

const char *rt_cap_name(int cap)
{
	return cap >= 0 && cap < RT_NCAPS ? cap_names[cap] : NULL;
}

int rt_cap_from_name(const char *name)
{
	char up[40];
	size_t i, n = strlen(name);

	if (n >= sizeof(up) - 4)
		return -1;
	/* accept "CAP_CHOWN", "cap_chown" and "CHOWN" */
	if (strncasecmp(name, "CAP_", 4))
		snprintf(up, sizeof(up), "CAP_%s", name);
	else
		snprintf(up, sizeof(up), "%s", name);
	for (i = 0; up[i]; i++)
		if (up[i] >= 'a' && up[i] <= 'z')
			up[i] = (char)(up[i] - 'a' + 'A');
	for (i = 0; i < RT_NCAPS; i++)
		if (!strcmp(up, cap_names[i]))
			return (int)i;
	return -1;
}

uint64_t rt_caps_known_mask(void)
{
	static uint64_t mask;
	int last = RT_NCAPS - 1;

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
	int type;
} ns_names[] = {
	{ "pid", CLONE_NEWPID },       { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
	{ "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS },	    { "user", CLONE_NEWUSER },
	{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

const char *rt_ns_name(int type)
{
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
		if (ns_names[i].type == type)
			return ns_names[i].name;
	return "?";
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
static int get_str(const json_t *obj, const char *key, bool required, size_t max, char **out,
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

static int get_bool(const json_t *obj, const char *key, bool *out, const char *where,
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
static int get_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
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

static int get_u32(const json_t *obj, const char *key, uint32_t *out, const char *where,
		   struct bh_error **err)
{
	int64_t v;
	bool present;

	if (get_int(obj, key, 0, UINT32_MAX - 1, &v, &present, where, err) < 0)
		return -1;
	if (present)
		*out = (uint32_t)v;
	return 0;
}

/* An optional member that must be an object (or array) when present. */
static int get_typed(const json_t *obj, const char *key, bool array, json_t **out,
		     const char *where, struct bh_error **err)
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
static int get_strv(const json_t *obj, const char *key, size_t maxn, size_t maxlen, char ***out,
		    size_t *count, const char *where, struct bh_error **err)
{
	json_t *arr, *v;
	size_t i, n;
	char **vec;

	*out = NULL;
	if (count)
		*count = 0;
	if (get_typed(obj, key, true, &arr, where, err) < 0)
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
static int clean_abs(const char *in, char **out, const char *where, struct bh_error **err)
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

static int parse_mappings(const json_t *obj, const char *key, struct bh_rt_idmap **out, size_t *n,
			  const char *where, struct bh_error **err)
{
	json_t *arr, *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (get_typed(obj, key, true, &arr, where, err) < 0)
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
		if (get_int(v, "containerID", 0, UINT32_MAX, &c, &pc, w, err) < 0 ||
		    get_int(v, "hostID", 0, UINT32_MAX, &h, &ph, w, err) < 0 ||
		    get_int(v, "size", 1, UINT32_MAX, &s, &ps, w, err) < 0)
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

struct mopt {
	const char *name;
	unsigned long set, clr; /* MS_* */
	uint64_t aset, aclr;	/* MOUNT_ATTR_* */
	bool rec;
	unsigned long propagation; /* MS_PRIVATE... */
};

static const struct mopt mount_opts[] = {
	{ "ro", MS_RDONLY, 0, MOUNT_ATTR_RDONLY, 0, false, 0 },
	{ "rw", 0, MS_RDONLY, 0, MOUNT_ATTR_RDONLY, false, 0 },
	{ "nosuid", MS_NOSUID, 0, MOUNT_ATTR_NOSUID, 0, false, 0 },
	{ "suid", 0, MS_NOSUID, 0, MOUNT_ATTR_NOSUID, false, 0 },
	{ "nodev", MS_NODEV, 0, MOUNT_ATTR_NODEV, 0, false, 0 },
	{ "dev", 0, MS_NODEV, 0, MOUNT_ATTR_NODEV, false, 0 },
	{ "noexec", MS_NOEXEC, 0, MOUNT_ATTR_NOEXEC, 0, false, 0 },
	{ "exec", 0, MS_NOEXEC, 0, MOUNT_ATTR_NOEXEC, false, 0 },
	{ "sync", MS_SYNCHRONOUS, 0, 0, 0, false, 0 },
	{ "async", 0, MS_SYNCHRONOUS, 0, 0, false, 0 },
	{ "dirsync", MS_DIRSYNC, 0, 0, 0, false, 0 },
	{ "remount", MS_REMOUNT, 0, 0, 0, false, 0 },
	{ "mand", MS_MANDLOCK, 0, 0, 0, false, 0 },
	{ "nomand", 0, MS_MANDLOCK, 0, 0, false, 0 },
	{ "atime", 0, MS_NOATIME, 0, MOUNT_ATTR_NOATIME, false, 0 },
	{ "noatime", MS_NOATIME, 0, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME, false, 0 },
	{ "diratime", 0, MS_NODIRATIME, 0, MOUNT_ATTR_NODIRATIME, false, 0 },
	{ "nodiratime", MS_NODIRATIME, 0, MOUNT_ATTR_NODIRATIME, 0, false, 0 },
	{ "relatime", MS_RELATIME, 0, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, false, 0 },
	{ "norelatime", 0, MS_RELATIME, 0, 0, false, 0 },
	{ "strictatime", MS_STRICTATIME, 0, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME, false, 0 },
	{ "nostrictatime", 0, MS_STRICTATIME, 0, 0, false, 0 },
	{ "nosymfollow", 0, 0, MOUNT_ATTR_NOSYMFOLLOW, 0, false, 0 },
	{ "symfollow", 0, 0, 0, MOUNT_ATTR_NOSYMFOLLOW, false, 0 },
	{ "rro", 0, 0, MOUNT_ATTR_RDONLY, 0, true, 0 },
	{ "rrw", 0, 0, 0, MOUNT_ATTR_RDONLY, true, 0 },
	{ "rnosuid", 0, 0, MOUNT_ATTR_NOSUID, 0, true, 0 },
	{ "rsuid", 0, 0, 0, MOUNT_ATTR_NOSUID, true, 0 },
	{ "rnodev", 0, 0, MOUNT_ATTR_NODEV, 0, true, 0 },
	{ "rdev", 0, 0, 0, MOUNT_ATTR_NODEV, true, 0 },
	{ "rnoexec", 0, 0, MOUNT_ATTR_NOEXEC, 0, true, 0 },
	{ "rexec", 0, 0, 0, MOUNT_ATTR_NOEXEC, true, 0 },
	{ "rnodiratime", 0, 0, MOUNT_ATTR_NODIRATIME, 0, true, 0 },
	{ "rdiratime", 0, 0, 0, MOUNT_ATTR_NODIRATIME, true, 0 },
	{ "rrelatime", 0, 0, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, true, 0 },
	{ "rnorelatime", 0, 0, 0, 0, true, 0 },
	{ "rnoatime", 0, 0, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME, true, 0 },
	{ "ratime", 0, 0, 0, MOUNT_ATTR_NOATIME, true, 0 },
	{ "rstrictatime", 0, 0, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME, true, 0 },
	{ "rnostrictatime", 0, 0, 0, 0, true, 0 },
	{ "rnosymfollow", 0, 0, MOUNT_ATTR_NOSYMFOLLOW, 0, true, 0 },
	{ "rsymfollow", 0, 0, 0, MOUNT_ATTR_NOSYMFOLLOW, true, 0 },
	{ "private", 0, 0, 0, 0, false, MS_PRIVATE },
	{ "rprivate", 0, 0, 0, 0, true, MS_PRIVATE },
	{ "shared", 0, 0, 0, 0, false, MS_SHARED },
	{ "rshared", 0, 0, 0, 0, true, MS_SHARED },
	{ "slave", 0, 0, 0, 0, false, MS_SLAVE },
	{ "rslave", 0, 0, 0, 0, true, MS_SLAVE },
	{ "unbindable", 0, 0, 0, 0, false, MS_UNBINDABLE },
	{ "runbindable", 0, 0, 0, 0, true, MS_UNBINDABLE },
};

static int parse_mount_options(struct bh_rt_mount *m, const json_t *opts, const char *where,
			       struct bh_error **err)
{
	struct bh_buf data = BH_BUF_INIT(RT_MAX_STR);
	json_t *v;
	size_t i;
	int r = -1;

	json_array_foreach (opts, i, v) {
		const char *o;
		size_t k;
		bool known = false;

		if (!json_is_string(v) || json_string_length(v) > RT_MAX_PATH ||
		    json_string_length(v) != strlen(json_string_value(v))) {
			bh_error_set(err, BH_ERR_INVALID, "%s.options[%zu] must be a string", where,
				     i);
			goto out;
		}
		o = json_string_value(v);
		if (!strcmp(o, "bind")) {
			m->bind = true;
			continue;
		}
		if (!strcmp(o, "rbind")) {
			m->bind = m->rbind = true;
			continue;
		}
		if (!strcmp(o, "idmap") || !strcmp(o, "ridmap")) {
			m->idmap = true;
			m->ridmap = o[0] == 'r';
			continue;
		}
		if (!strcmp(o, "tmpcopyup")) {
			m->tmpcopyup = true;
			continue;
		}
		if (!strcmp(o, "defaults") || bh_str_has_prefix(o, "X-mount.") ||
		    bh_str_has_prefix(o, "x-"))
			continue;
		for (k = 0; k < sizeof(mount_opts) / sizeof(mount_opts[0]); k++) {
			const struct mopt *mo = &mount_opts[k];

			if (strcmp(o, mo->name))
				continue;
			known = true;
			if (mo->propagation) {
				m->propagation = mo->propagation;
				m->rec_propagation = mo->rec;
				break;
			}
			m->flags = (m->flags & ~mo->clr) | mo->set;
			m->attr_set = (m->attr_set & ~mo->aclr) | mo->aset;
			m->attr_clr |= mo->aclr;
			if (mo->aset & MOUNT_ATTR__ATIME)
				m->attr_clr |= MOUNT_ATTR__ATIME;
			if (mo->rec)
				m->rec_attr = true;
			break;
		}
		if (known)
			continue;
		/* a file system option: key[=value], printable, no commas */
		for (const char *c = o; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == ',') {
				bh_error_set(err, BH_ERR_INVALID,
					     "%s.options[%zu]: '%.100s' is not a valid option",
					     where, i, o);
				goto out;
			}
		if (!*o)
			continue;
		if ((data.len && bh_buf_addc(&data, ',', err) < 0) ||
		    bh_buf_adds(&data, o, err) < 0)
			goto out;
	}
	if (data.len)
		m->data = bh_buf_detach(&data, NULL);
	r = 0;
out:
	bh_buf_release(&data);
	return r;
}

static int parse_mounts(struct bh_rt_spec *s, const json_t *root, struct bh_error **err)
{
	json_t *arr, *v;
	size_t i;

	if (get_typed(root, "mounts", true, &arr, "config", err) < 0)
		return -1;
	if (!arr)
		return 0;
	if (json_array_size(arr) > RT_MAX_MOUNTS)
		return bh_error_set(err, BH_ERR_LIMIT, "mounts: more than %d entries",
				    RT_MAX_MOUNTS);
	s->mounts = bh_calloc(json_array_size(arr) + 1, sizeof(*s->mounts));
	json_array_foreach (arr, i, v) {
		struct bh_rt_mount *m = &s->mounts[i];
		char where[48], *dest = NULL;
		json_t *opts;

		s->nmounts++;
		snprintf(where, sizeof(where), "mounts[%zu]", i);
		if (!json_is_object(v))
			return bh_error_set(err, BH_ERR_INVALID, "%s must be an object", where);
		if (get_str(v, "destination", true, RT_MAX_PATH, &dest, where, err) < 0)
			return -1;
		if (clean_abs(dest, &m->destination, where, err) < 0) {
			free(dest);
			return -1;
		}
		free(dest);
		if (!strcmp(m->destination, "/"))
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: a mount over / is not allowed (use root.path)",
					    where);
		if (get_str(v, "type", false, 256, &m->type, where, err) < 0 ||
		    get_str(v, "source", false, RT_MAX_PATH, &m->source, where, err) < 0 ||
		    get_typed(v, "options", true, &opts, where, err) < 0)
			return -1;
		if (opts && parse_mount_options(m, opts, where, err) < 0)
			return -1;
		if (parse_mappings(v, "uidMappings", &m->uid_mappings, &m->nuid_mappings, where,
				   err) < 0 ||
		    parse_mappings(v, "gidMappings", &m->gid_mappings, &m->ngid_mappings, where,
				   err) < 0)
			return -1;
		if ((m->nuid_mappings || m->ngid_mappings) && !m->idmap)
			m->idmap = true;
		if (m->type && !strcmp(m->type, "bind"))
			m->bind = true;
		if (m->type && strcmp(m->type, "bind") && m->bind && strcmp(m->type, "none")) {
			/* runc treats any type with "bind" as a bind mount */
		}
		if (m->bind) {
			free(m->type);
			m->type = bh_strdup("bind");
			if (!m->source)
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s: a bind mount needs a source", where);
		}
		if (!m->type)
			return bh_error_set(err, BH_ERR_INVALID, "%s: type is required", where);
		for (const char *c = m->type; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' ||
			      *c == '_' || *c == '-'))
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s: type '%.60s' is not a file system type",
						    where, m->type);
		if (m->idmap && !m->bind)
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: idmapped mounts must be bind mounts", where);
		if (m->idmap && (!!m->nuid_mappings != !!m->ngid_mappings))
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: uidMappings and gidMappings go together", where);
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

	if (get_typed(root, "hooks", false, &hooks, "config", err) < 0)
		return -1;
	if (!hooks)
		return 0;
	for (int k = 0; k < BH_HOOK_NKINDS; k++) {
		json_t *arr, *v;
		size_t i;
		char where[64];

		snprintf(where, sizeof(where), "hooks");
		if (get_typed(hooks, names[k], true, &arr, where, err) < 0)
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
			if (get_str(v, "path", true, RT_MAX_PATH, &h->path, where, err) < 0 ||
			    get_strv(v, "args", RT_MAX_ARGS, RT_MAX_STR, &h->args, NULL, where,
				     err) < 0 ||
			    get_strv(v, "env", RT_MAX_ENV, RT_MAX_STR, &h->env, NULL, where, err) <
				    0 ||
			    get_int(v, "timeout", 1, 86400, &t, &pt, where, err) < 0)
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

	if (get_typed(proc, "capabilities", false, &caps, "process", err) < 0)
		return -1;
	if (!caps)
		return 0;
	p->has_caps = true;
	for (int k = 0; k < BH_CAP_NSETS; k++) {
		json_t *arr, *v;
		size_t i;

		if (get_typed(caps, sets[k], true, &arr, "process.capabilities", err) < 0)
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
			c = rt_cap_from_name(json_string_value(v));
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

	if (get_typed(root, "process", false, &proc, "config", err) < 0)
		return -1;
	if (!proc)
		return bh_error_set(err, BH_ERR_INVALID, "process is required");
	if (get_bool(proc, "terminal", &p->terminal, "process", err) < 0 ||
	    get_bool(proc, "noNewPrivileges", &p->no_new_privileges, "process", err) < 0)
		return -1;
	if (get_typed(proc, "consoleSize", false, &cs, "process", err) < 0)
		return -1;
	if (cs && (get_u32(cs, "height", &p->console_height, "process.consoleSize", err) < 0 ||
		   get_u32(cs, "width", &p->console_width, "process.consoleSize", err) < 0))
		return -1;
	if (get_typed(proc, "user", false, &user, "process", err) < 0)
		return -1;
	if (user) {
		if (get_u32(user, "uid", &p->uid, "process.user", err) < 0 ||
		    get_u32(user, "gid", &p->gid, "process.user", err) < 0 ||
		    get_int(user, "umask", 0, 0777, &i64, &present, "process.user", err) < 0)
			return -1;
		if (present) {
			p->has_umask = true;
			p->umask = (uint32_t)i64;
		}
		if (get_typed(user, "additionalGids", true, &arr, "process.user", err) < 0)
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
	if (get_strv(proc, "args", RT_MAX_ARGS, RT_MAX_STR, &p->args, NULL, "process", err) < 0 ||
	    get_strv(proc, "env", RT_MAX_ENV, RT_MAX_STR, &p->env, NULL, "process", err) < 0)
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
	if (get_str(proc, "cwd", false, RT_MAX_PATH, &cwd, "process", err) < 0)
		return -1;
	if (cwd && cwd[0] != '/') {
		free(cwd);
		return bh_error_set(err, BH_ERR_INVALID, "process.cwd must be an absolute path");
	}
	if (clean_abs(cwd ? cwd : "/", &p->cwd, "process.cwd", err) < 0) {
		free(cwd);
		return -1;
	}
	free(cwd);
	if (parse_caps(p, proc, err) < 0)
		return -1;
	if (get_typed(proc, "rlimits", true, &arr, "process", err) < 0)
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
	if (get_int(proc, "oomScoreAdj", -1000, 1000, &i64, &p->has_oom_score_adj, "process", err) <
	    0)
		return -1;
	p->oom_score_adj = (int)i64;
	return 0;
}

static int parse_namespaces(struct bh_rt_spec *s, const json_t *lin, struct bh_error **err)
{
	json_t *arr, *v;
	size_t i;

	if (get_typed(lin, "namespaces", true, &arr, "linux", err) < 0)
		return -1;
	if (!arr)
		return 0;
	if (json_array_size(arr) > 16)
		return bh_error_set(err, BH_ERR_LIMIT, "linux.namespaces: too many entries");
	s->namespaces = bh_calloc(json_array_size(arr) + 1, sizeof(*s->namespaces));
	json_array_foreach (arr, i, v) {
		const char *t = bh_json_str(v, "type");
		struct bh_rt_ns *ns = &s->namespaces[s->nnamespaces];
		char where[48];
		size_t k;

		snprintf(where, sizeof(where), "linux.namespaces[%zu]", i);
		if (!t)
			return bh_error_set(err, BH_ERR_INVALID, "%s.type is required", where);
		for (k = 0; k < sizeof(ns_names) / sizeof(ns_names[0]); k++)
			if (!strcmp(t, ns_names[k].name))
				break;
		if (k == sizeof(ns_names) / sizeof(ns_names[0]))
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: unknown namespace type '%.40s' (pid, network, "
					    "mount, ipc, uts, user, cgroup or time)",
					    where, t);
		for (size_t j = 0; j < s->nnamespaces; j++)
			if (s->namespaces[j].type == ns_names[k].type)
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.namespaces: '%s' appears twice", t);
		ns->type = ns_names[k].type;
		if (get_str(v, "path", false, RT_MAX_PATH, &ns->path, where, err) < 0)
			return -1;
		s->nnamespaces++; /* counted now: its path is freed with the spec */
		if (ns->path && ns->path[0] != '/')
			return bh_error_set(err, BH_ERR_INVALID, "%s.path must be absolute", where);
	}
	return 0;
}

static int64_t res_int(const json_t *o, const char *key, int64_t min, bool *bad)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < min) {
		*bad = true;
		return -1;
	}
	return json_integer_value(v);
}

static int parse_resources(struct bh_rt_spec *s, const json_t *lin, struct bh_error **err)
{
	struct bh_rt_resources *r = &s->res;
	json_t *res, *o, *arr, *v;
	bool bad = false;
	size_t i;

	r->mem_limit = r->mem_reservation = r->mem_swap = r->mem_swappiness = -1;
	r->cpu_shares = r->cpu_quota = r->cpu_period = r->cpu_rt_runtime = r->cpu_rt_period = -1;
	r->pids_limit = r->blkio_weight = -1;
	if (get_typed(lin, "resources", false, &res, "linux", err) < 0)
		return -1;
	if (!res)
		return 0;
	s->has_resources = true;
	if (get_typed(res, "memory", false, &o, "linux.resources", err) < 0)
		return -1;
	if (o) {
		r->mem_limit = res_int(o, "limit", -1, &bad);
		r->mem_reservation = res_int(o, "reservation", -1, &bad);
		r->mem_swap = res_int(o, "swap", -1, &bad);
		r->mem_swappiness = res_int(o, "swappiness", 0, &bad);
		if (r->mem_swappiness > 100)
			bad = true;
		if (get_bool(o, "disableOOMKiller", &r->mem_disable_oom_killer,
			     "linux.resources.memory", err) < 0)
			return -1;
		if (bad)
			return bh_error_set(
				err, BH_ERR_INVALID,
				"linux.resources.memory: values must be integers >= -1");
	}
	if (get_typed(res, "cpu", false, &o, "linux.resources", err) < 0)
		return -1;
	if (o) {
		r->cpu_shares = res_int(o, "shares", 0, &bad);
		r->cpu_quota = res_int(o, "quota", -1, &bad);
		r->cpu_period = res_int(o, "period", 0, &bad);
		r->cpu_rt_runtime = res_int(o, "realtimeRuntime", -1, &bad);
		r->cpu_rt_period = res_int(o, "realtimePeriod", 0, &bad);
		if (bad)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.resources.cpu: values must be integers");
		if (get_str(o, "cpus", false, 4096, &r->cpuset_cpus, "linux.resources.cpu", err) <
			    0 ||
		    get_str(o, "mems", false, 4096, &r->cpuset_mems, "linux.resources.cpu", err) <
			    0)
			return -1;
		for (const char *c = r->cpuset_cpus; c && *c; c++)
			if (!strchr("0123456789,-", *c))
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.cpu.cpus is not a CPU list");
		for (const char *c = r->cpuset_mems; c && *c; c++)
			if (!strchr("0123456789,-", *c))
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.cpu.mems is not a node list");
	}
	if (get_typed(res, "pids", false, &o, "linux.resources", err) < 0)
		return -1;
	if (o) {
		r->pids_limit = res_int(o, "limit", -1, &bad);
		if (bad)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.resources.pids.limit must be an integer");
	}
	if (get_typed(res, "blockIO", false, &o, "linux.resources", err) < 0)
		return -1;
	if (o) {
		r->blkio_weight = res_int(o, "weight", 0, &bad);
		if (bad || r->blkio_weight > 10000)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.resources.blockIO.weight is out of range");
	}
	if (get_typed(res, "hugepageLimits", true, &arr, "linux.resources", err) < 0)
		return -1;
	if (arr) {
		if (json_array_size(arr) > 16)
			return bh_error_set(err, BH_ERR_LIMIT, "hugepageLimits: too many");
		r->huge_sizes = bh_calloc(json_array_size(arr) + 1, sizeof(char *));
		r->huge_limits = bh_calloc(json_array_size(arr) + 1, sizeof(int64_t));
		json_array_foreach (arr, i, v) {
			const char *ps = bh_json_str(v, "pageSize");
			json_int_t lim;

			if (!ps || strlen(ps) > 16 || !bh_json_int(v, "limit", &lim) || lim < 0)
				return bh_error_set(err, BH_ERR_INVALID,
						    "hugepageLimits[%zu] needs pageSize and limit",
						    i);
			for (const char *c = ps; *c; c++)
				if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z')))
					return bh_error_set(err, BH_ERR_INVALID,
							    "hugepageLimits[%zu].pageSize", i);
			r->huge_sizes[r->nhuge] = bh_strdup(ps);
			r->huge_limits[r->nhuge++] = lim;
		}
	}
	if (get_typed(res, "devices", true, &arr, "linux.resources", err) < 0)
		return -1;
	if (arr) {
		if (json_array_size(arr) > RT_MAX_DEVICES)
			return bh_error_set(err, BH_ERR_LIMIT, "linux.resources.devices: too many");
		r->devices = bh_calloc(json_array_size(arr) + 1, sizeof(*r->devices));
		json_array_foreach (arr, i, v) {
			struct bh_rt_devrule *d = &r->devices[r->ndevices];
			const char *t = bh_json_str(v, "type"), *acc = bh_json_str(v, "access");
			json_t *allow = json_object_get(v, "allow");
			json_int_t mj = -1, mn = -1;

			if (!json_is_boolean(allow))
				return bh_error_set(
					err, BH_ERR_INVALID,
					"linux.resources.devices[%zu].allow is required", i);
			d->allow = json_is_true(allow);
			d->type = t ? t[0] : 'a';
			if (t && (strlen(t) != 1 || !strchr("acb", t[0])))
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.devices[%zu].type '%.10s'", i,
						    t);
			if ((json_object_get(v, "major") && !bh_json_int(v, "major", &mj)) ||
			    (json_object_get(v, "minor") && !bh_json_int(v, "minor", &mn)) ||
			    mj < -1 || mn < -1 || mj > 0xfffff || mn > 0xfffff)
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.devices[%zu]: bad major/minor",
						    i);
			d->major = mj;
			d->minor = mn;
			if (!acc)
				acc = "rwm";
			if (strlen(acc) > 3 || strspn(acc, "rwm") != strlen(acc))
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.devices[%zu].access '%.10s'",
						    i, acc);
			snprintf(d->access, sizeof(d->access), "%s", acc);
			r->ndevices++;
		}
	}
	if (get_typed(res, "unified", false, &o, "linux.resources", err) < 0)
		return -1;
	if (o) {
		const char *k;

		json_object_foreach (o, k, v) {
			if (!json_is_string(v) || strchr(k, '/') || !strcmp(k, "..") ||
			    !strcmp(k, ".") || strlen(k) > 256)
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.unified: bad entry '%.60s'",
						    k);
		}
		r->unified = json_incref(o);
	}
	return 0;
}

static int parse_devices(struct bh_rt_spec *s, const json_t *lin, struct bh_error **err)
{
	json_t *arr, *v;
	size_t i;

	if (get_typed(lin, "devices", true, &arr, "linux", err) < 0)
		return -1;
	if (!arr)
		return 0;
	if (json_array_size(arr) > RT_MAX_DEVICES)
		return bh_error_set(err, BH_ERR_LIMIT, "linux.devices: too many");
	s->devices = bh_calloc(json_array_size(arr) + 1, sizeof(*s->devices));
	json_array_foreach (arr, i, v) {
		struct bh_rt_device *d = &s->devices[s->ndevices];
		char where[48], *path = NULL, *type = NULL;
		int64_t mj = 0, mn = 0, fm = 0666;
		bool pm, pn, pf;

		snprintf(where, sizeof(where), "linux.devices[%zu]", i);
		if (!json_is_object(v))
			return bh_error_set(err, BH_ERR_INVALID, "%s must be an object", where);
		s->ndevices++;
		if (get_str(v, "path", true, RT_MAX_PATH, &path, where, err) < 0)
			return -1;
		if (clean_abs(path, &d->path, where, err) < 0) {
			free(path);
			return -1;
		}
		free(path);
		if (get_str(v, "type", true, 2, &type, where, err) < 0)
			return -1;
		if (strlen(type) != 1 || !strchr("cbup", type[0])) {
			free(type);
			return bh_error_set(err, BH_ERR_INVALID, "%s.type must be c, b, u or p",
					    where);
		}
		d->type = type[0];
		free(type);
		if (get_int(v, "major", 0, 0xfffff, &mj, &pm, where, err) < 0 ||
		    get_int(v, "minor", 0, 0xfffff, &mn, &pn, where, err) < 0 ||
		    get_int(v, "fileMode", 0, 07777, &fm, &pf, where, err) < 0 ||
		    get_u32(v, "uid", &d->uid, where, err) < 0 ||
		    get_u32(v, "gid", &d->gid, where, err) < 0)
			return -1;
		if (d->type != 'p' && (!pm || !pn))
			return bh_error_set(err, BH_ERR_INVALID, "%s needs major and minor", where);
		d->major = mj;
		d->minor = mn;
		d->mode = pf ? (uint32_t)fm : 0666;
		if (strncmp(d->path, "/dev/", 5))
			return bh_error_set(err, BH_ERR_INVALID, "%s.path must be under /dev",
					    where);
	}
	return 0;
}

static int parse_paths(const json_t *lin, const char *key, char ***out, size_t *n,
		       struct bh_error **err)
{
	char **v;
	size_t i;

	if (get_strv(lin, key, RT_MAX_PATHS, RT_MAX_PATH, &v, n, "linux", err) < 0)
		return -1;
	*out = v;
	for (i = 0; i < *n; i++) {
		char *c;

		if (v[i][0] != '/')
			return bh_error_set(err, BH_ERR_INVALID, "linux.%s[%zu] must be absolute",
					    key, i);
		if (clean_abs(v[i], &c, key, err) < 0)
			return -1;
		free(v[i]);
		v[i] = c;
	}
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
		if (clean_abs(tok, &c, what, err) < 0) {
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

	if (get_typed(root, "annotations", false, &a, "config", err) < 0)
		return -1;
	if (!a) {
		s->annotations = json_object();
		return 0;
	}
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

/*
 * linux.timeOffsets: {"monotonic"|"boottime": {"secs": int64, "nanosecs": uint32}},
 * applied to a new time namespace before its first process (so it needs one).
 */
static int parse_time_offsets(struct bh_rt_spec *s, const json_t *lin, struct bh_error **err)
{
	static const char *const clocks[2] = { "monotonic", "boottime" };
	json_t *v, *c;
	const char *k;
	bool new_timens = false;

	if (get_typed(lin, "timeOffsets", false, &v, "linux", err) < 0)
		return -1;
	if (!v)
		return 0;
	json_object_foreach (v, k, c) {
		json_int_t secs = 0, nsecs = 0;
		int i = !strcmp(k, clocks[0]) ? 0 : !strcmp(k, clocks[1]) ? 1 : -1;
		json_t *x;

		if (i < 0)
			return bh_error_set(
				err, BH_ERR_INVALID,
				"linux.timeOffsets: unknown clock '%.60s' (monotonic or "
				"boottime)",
				k);
		if (!json_is_object(c))
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.timeOffsets.%s must be an object", k);
		x = json_object_get(c, "secs");
		if (x && !json_is_integer(x))
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.timeOffsets.%s.secs must be an integer", k);
		secs = x ? json_integer_value(x) : 0;
		x = json_object_get(c, "nanosecs");
		if (x && !json_is_integer(x))
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.timeOffsets.%s.nanosecs must be an integer", k);
		nsecs = x ? json_integer_value(x) : 0;
		if (nsecs < 0 || nsecs >= 1000000000)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.timeOffsets.%s.nanosecs must be 0..999999999",
					    k);
		/* The kernel keeps offsets within +-KTIME_MAX/2; a century is plenty. */
		if (secs > 100ll * 366 * 86400 || secs < -100ll * 366 * 86400)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.timeOffsets.%s.secs is out of range", k);
		s->time_offset_secs[i] = secs;
		s->time_offset_nsecs[i] = (uint32_t)nsecs;
	}
	for (size_t i = 0; i < s->nnamespaces; i++)
		if (s->namespaces[i].type == CLONE_NEWTIME && !s->namespaces[i].path)
			new_timens = true;
	if (!new_timens)
		return bh_error_set(err, BH_ERR_INVALID,
				    "linux.timeOffsets needs a new time namespace in "
				    "linux.namespaces");
	s->has_time_offsets = true;
	return 0;
}

static int parse_linux(struct bh_rt_spec *s, const json_t *root, struct bh_error **err)
{
	json_t *lin, *v;
	char *prop = NULL;
	const char *k;

	if (get_typed(root, "linux", false, &lin, "config", err) < 0)
		return -1;
	if (!lin) {
		s->res.mem_limit = s->res.mem_reservation = s->res.mem_swap = -1;
		s->res.mem_swappiness = s->res.cpu_shares = s->res.cpu_quota = -1;
		s->res.cpu_period = s->res.cpu_rt_runtime = s->res.cpu_rt_period = -1;
		s->res.pids_limit = s->res.blkio_weight = -1;
		return 0;
	}
	if (parse_namespaces(s, lin, err) < 0 ||
	    parse_mappings(lin, "uidMappings", &s->uid_mappings, &s->nuid_mappings, "linux", err) <
		    0 ||
	    parse_mappings(lin, "gidMappings", &s->gid_mappings, &s->ngid_mappings, "linux", err) <
		    0 ||
	    parse_resources(s, lin, err) < 0 || parse_devices(s, lin, err) < 0 ||
	    parse_paths(lin, "maskedPaths", &s->masked_paths, &s->nmasked, err) < 0 ||
	    parse_paths(lin, "readonlyPaths", &s->readonly_paths, &s->nreadonly, err) < 0)
		return -1;
	if (get_typed(lin, "sysctl", false, &v, "linux", err) < 0)
		return -1;
	if (v) {
		json_t *x;

		if (json_object_size(v) > RT_MAX_SYSCTL)
			return bh_error_set(err, BH_ERR_LIMIT, "linux.sysctl: too many");
		json_object_foreach (v, k, x) {
			if (!json_is_string(x) || json_string_length(x) > 4096)
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.sysctl.%.60s must be a string", k);
			if (!*k || strlen(k) > 256 || strstr(k, "..") || k[0] == '.' ||
			    k[0] == '/' ||
			    strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
				      "VWXYZ0123456789_.-/") != strlen(k))
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.sysctl: '%.60s' is not a sysctl name",
						    k);
		}
		s->sysctl = json_incref(v);
	}
	if (parse_time_offsets(s, lin, err) < 0)
		return -1;
	if (get_str(lin, "cgroupsPath", false, RT_MAX_PATH, &s->cgroups_path, "linux", err) < 0)
		return -1;
	if (s->cgroups_path && strstr(s->cgroups_path, ".."))
		return bh_error_set(err, BH_ERR_UNSAFE, "linux.cgroupsPath must not contain '..'");
	if (get_typed(lin, "seccomp", false, &v, "linux", err) < 0)
		return -1;
	if (v)
		s->seccomp = json_incref(v);
	if (get_str(lin, "rootfsPropagation", false, 32, &prop, "linux", err) < 0)
		return -1;
	if (prop) {
		static const struct {
			const char *n;
			unsigned long f;
		} props[] = {
			{ "private", MS_PRIVATE },	 { "rprivate", MS_PRIVATE | MS_REC },
			{ "slave", MS_SLAVE },		 { "rslave", MS_SLAVE | MS_REC },
			{ "shared", MS_SHARED },	 { "rshared", MS_SHARED | MS_REC },
			{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC }
		};
		size_t i;

		for (i = 0; i < sizeof(props) / sizeof(props[0]); i++)
			if (!strcmp(prop, props[i].n))
				s->rootfs_propagation = props[i].f;
		free(prop);
		if (!s->rootfs_propagation)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.rootfsPropagation is not a propagation mode");
	}
	/* user namespaces and mappings go together */
	{
		const struct bh_rt_ns *user = NULL;

		for (size_t i = 0; i < s->nnamespaces; i++)
			if (s->namespaces[i].type == CLONE_NEWUSER)
				user = &s->namespaces[i];
		if ((s->nuid_mappings || s->ngid_mappings) && !user)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.uidMappings need a user namespace");
		if (user && !user->path && (!s->nuid_mappings || !s->ngid_mappings))
			return bh_error_set(err, BH_ERR_INVALID,
					    "a new user namespace needs linux.uidMappings and "
					    "linux.gidMappings");
	}
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
	if (get_str(root, "ociVersion", true, 64, &s->oci_version, "config", err) < 0)
		goto out;
	if (!bh_str_has_prefix(s->oci_version, "1.")) {
		bh_error_set(err, BH_ERR_UNSUPPORTED, "ociVersion '%.40s' is not 1.x",
			     s->oci_version);
		goto out;
	}
	if (get_typed(root, "root", false, &rootobj, "config", err) < 0)
		goto out;
	if (!rootobj) {
		bh_error_set(err, BH_ERR_INVALID, "root is required");
		goto out;
	}
	if (get_str(rootobj, "path", true, RT_MAX_PATH, &s->root_path, "root", err) < 0 ||
	    get_bool(rootobj, "readonly", &s->root_readonly, "root", err) < 0)
		goto out;
	if (!s->root_path[0]) {
		bh_error_set(err, BH_ERR_INVALID, "root.path is empty");
		goto out;
	}
	if (get_str(root, "hostname", false, 64, &s->hostname, "config", err) < 0 ||
	    get_str(root, "domainname", false, 64, &s->domainname, "config", err) < 0)
		goto out;
	if (parse_process(s, root, err) < 0 || parse_mounts(s, root, err) < 0 ||
	    parse_hooks(s, root, err) < 0 || parse_linux(s, root, err) < 0 ||
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
	return 0;
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
