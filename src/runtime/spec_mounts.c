/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json mounts[]: destination, type, source, options (mount flags,
 * new-API attributes, recursive forms, propagation, bind and idmap, tmpcopyup,
 * file system data) and idmapped-mount mappings, each checked and bounded.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

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

int rt_spec_parse_mounts(struct bh_rt_spec *s, const json_t *root, struct bh_error **err)
{
	json_t *arr, *v;
	size_t i;

	if (rt_spec_typed(root, "mounts", true, &arr, "config", err) < 0)
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
		if (rt_spec_str(v, "destination", true, RT_MAX_PATH, &dest, where, err) < 0)
			return -1;
		if (rt_spec_abs_path(dest, &m->destination, where, err) < 0) {
			free(dest);
			return -1;
		}
		free(dest);
		if (!strcmp(m->destination, "/"))
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: a mount over / is not allowed (use root.path)",
					    where);
		if (rt_spec_str(v, "type", false, 256, &m->type, where, err) < 0 ||
		    rt_spec_str(v, "source", false, RT_MAX_PATH, &m->source, where, err) < 0 ||
		    rt_spec_typed(v, "options", true, &opts, where, err) < 0)
			return -1;
		if (opts && parse_mount_options(m, opts, where, err) < 0)
			return -1;
		if (rt_spec_mappings(v, "uidMappings", &m->uid_mappings, &m->nuid_mappings, where,
				     err) < 0 ||
		    rt_spec_mappings(v, "gidMappings", &m->gid_mappings, &m->ngid_mappings, where,
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
