/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Profiles as OCI seccomp JSON (runtime-spec linux.seccomp; what podman,
 * docker and Kubernetes' Localhost profiles take): written from a stored
 * profile, read strictly from untrusted bytes (fuzz/fuzz_seccomp_profile.c),
 * and the difference of two profiles.
 */
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "bulkhead/profile.h"
#include "internal.h"
#include "banned.h"

static const struct {
	const char *name;
	uint32_t scmp;
} arches[] = {
	{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },
};

json_t *bh_prof_to_oci(const json_t *profile)
{
	json_t *sys = json_object_get(profile, "syscalls"), *archs = json_array();
	json_t *all = json_object(), *one = json_object(), *v, *arr;
	const char *arch;
	size_t i;

	json_object_foreach (sys, arch, arr) {
		json_array_append_new(archs, json_string(arch));
		json_array_foreach (arr, i, v)
			json_object_set_new(one, json_string_value(v), json_true());
	}
	{
		json_t *names = json_array();
		const char *k;

		json_object_foreach (one, k, v)
			json_array_append_new(names, json_string(k));
		json_object_set_new(all, "x", names);
		prof_sort_names(all);
	}
	v = json_pack("{s:s, s:i, s:o, s:[{s:O, s:s}]}", "defaultAction", "SCMP_ACT_ERRNO",
		      "defaultErrnoRet", 1, "architectures", archs, "syscalls", "names",
		      json_object_get(all, "x"), "action", "SCMP_ACT_ALLOW");
	json_decref(all);
	json_decref(one);
	return v;
}

static int only_keys(const json_t *o, const char *const *keys, const char *what,
		     struct bh_error **err)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)o, k, v) {
		const char *const *p = keys;

		while (*p && strcmp(*p, k))
			p++;
		if (!*p)
			return bh_error_set(err, BH_ERR_INVALID, "%s: unknown member '%.64s'", what,
					    k);
	}
	return 0;
}

static int check_default(const json_t *p, struct bh_error **err)
{
	static const char *const ok[] = { "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
					  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", NULL };
	const char *d = bh_json_str(p, "defaultAction");
	json_t *e = json_object_get(p, "defaultErrnoRet");

	if (!d)
		return bh_error_set(err, BH_ERR_INVALID, "defaultAction: missing or not a string");
	for (const char *const *a = ok; *a; a++)
		if (!strcmp(*a, d))
			goto errno_ret;
	return bh_error_set(err, BH_ERR_UNSUPPORTED,
			    "defaultAction %.64s: not an allow-list (SCMP_ACT_ERRNO or a kill)", d);
errno_ret:
	if (e && (!json_is_integer(e) || json_integer_value(e) < 1 || json_integer_value(e) > 4095))
		return bh_error_set(err, BH_ERR_INVALID, "defaultErrnoRet: not an errno");
	return 0;
}

int bh_prof_from_oci(const char *buf, size_t len, const char *const *deny, json_t **out,
		     struct bh_error **err)
{
	static const char *const top[] = { "defaultAction", "defaultErrnoRet", "architectures",
					   "syscalls", NULL };
	static const char *const rule_keys[] = { "names", "action",   "comment",
						 "args",  "errnoRet", NULL };
	json_t *p = NULL, *sys = json_object(), *archs, *rules, *v, *rule;
	uint32_t use[3];
	const char *use_name[3];
	size_t nuse = 0, i, k;
	int r = -1;

	*out = NULL;
	if (bh_json_parse(buf, len, BH_PROF_MAX_JSON, "seccomp profile", &p, err) < 0)
		goto out;
	if (!json_is_object(p)) {
		bh_error_set(err, BH_ERR_INVALID, "not a JSON object");
		goto out;
	}
	if (only_keys(p, top, "the profile", err) < 0 || check_default(p, err) < 0)
		goto out;
	archs = json_object_get(p, "architectures");
	if (archs && !json_is_array(archs)) {
		bh_error_set(err, BH_ERR_INVALID, "architectures: not an array");
		goto out;
	}
	json_array_foreach (archs, i, v) {
		const char *a = json_string_value(v);
		size_t j = 0;

		while (a && j < 3 && strcmp(arches[j].name, a))
			j++;
		if (!a || j == 3) {
			bh_error_set(err, BH_ERR_INVALID,
				     "architectures: unknown architecture '%.64s'",
				     a ? a : "(not a string)");
			goto out;
		}
		for (k = 0; k < nuse && use[k] != arches[j].scmp; k++)
			;
		if (k == nuse) {
			use[nuse] = arches[j].scmp;
			use_name[nuse++] = arches[j].name;
		}
	}
	if (!nuse) {
		use[0] = SCMP_ARCH_X86_64;
		use_name[nuse++] = "SCMP_ARCH_X86_64";
	}
	for (k = 0; k < nuse; k++)
		json_object_set_new(sys, use_name[k], json_array());
	rules = json_object_get(p, "syscalls");
	if (rules && !json_is_array(rules)) {
		bh_error_set(err, BH_ERR_INVALID, "syscalls: not an array");
		goto out;
	}
	json_array_foreach (rules, i, rule) {
		const char *act = json_is_object(rule) ? bh_json_str(rule, "action") : NULL;
		json_t *names = json_is_object(rule) ? json_object_get(rule, "names") : NULL;
		json_t *args = json_is_object(rule) ? json_object_get(rule, "args") : NULL;
		size_t n;

		if (!json_is_object(rule) || !act || !json_is_array(names)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "syscalls[%zu]: an object with names (array) and action", i);
			goto out;
		}
		if (only_keys(rule, rule_keys, "a syscalls rule", err) < 0)
			goto out;
		if (args && !(json_is_array(args) && !json_array_size(args)) &&
		    !json_is_null(args)) {
			bh_error_set(err, BH_ERR_UNSUPPORTED,
				     "syscalls[%zu]: argument filters are not supported", i);
			goto out;
		}
		/* an errno rule allows nothing (an export has the default's clone3: ENOSYS) */
		if (!strcmp(act, "SCMP_ACT_ERRNO"))
			continue;
		if (strcmp(act, "SCMP_ACT_ALLOW")) {
			bh_error_set(err, BH_ERR_UNSUPPORTED,
				     "syscalls[%zu]: action %.64s (only SCMP_ACT_ALLOW and "
				     "SCMP_ACT_ERRNO rules)",
				     i, act);
			goto out;
		}
		json_array_foreach (names, n, v) {
			const char *name = json_string_value(v);
			bool known = false;

			if (!name || !*name || strlen(name) > 64) {
				bh_error_set(err, BH_ERR_INVALID,
					     "syscalls[%zu].names[%zu]: not a name", i, n);
				goto out;
			}
			for (const char *const *d = deny; d && *d; d++)
				if (!strcmp(*d, name)) {
					bh_error_set(err, BH_ERR_UNSAFE,
						     "%s is on the deny-list (high-risk calls no "
						     "profile can allow)",
						     name);
					goto out;
				}
			for (k = 0; k < nuse; k++) {
				json_t *arr = json_object_get(sys, use_name[k]), *w;
				size_t m;

				if (seccomp_syscall_resolve_name_arch(use[k], name) < 0)
					continue;
				known = true;
				json_array_foreach (arr, m, w)
					if (!strcmp(json_string_value(w), name))
						break;
				if (m == json_array_size(arr))
					json_array_append_new(arr, json_string(name));
			}
			if (!known) {
				bh_error_set(err, BH_ERR_INVALID, "unknown syscall '%.64s'", name);
				goto out;
			}
		}
	}
	prof_sort_names(sys);
	*out = json_pack("{s:O}", "syscalls", sys);
	r = 0;
out:
	json_decref(sys);
	json_decref(p);
	return r < 0 ? bh_error_prefix(err, "seccomp profile") : 0;
}

static json_t *minus(const json_t *a, const json_t *b)
{
	json_t *out = json_object(), *arr, *v;
	const char *arch;
	size_t i;

	json_object_foreach ((json_t *)a, arch, arr) {
		json_t *other = json_object_get(b, arch), *d = json_array();

		json_array_foreach (arr, i, v) {
			size_t k;
			json_t *w;
			bool found = false;

			json_array_foreach (other, k, w)
				if (json_equal(v, w))
					found = true;
			if (!found)
				json_array_append(d, v);
		}
		if (json_array_size(d))
			json_object_set_new(out, arch, d);
		else
			json_decref(d);
	}
	return out;
}

json_t *bh_prof_diff(const json_t *a, const json_t *b)
{
	const json_t *sa = json_object_get(a, "syscalls"), *sb = json_object_get(b, "syscalls");

	return json_pack("{s:o, s:o}", "added", minus(sb, sa), "removed", minus(sa, sb));
}

void bh_prof_bits_of(const json_t *profile, struct bh_prof_record *out)
{
	const char *arch;
	json_t *arr, *v;
	size_t i;

	memset(out, 0, sizeof(*out));
	json_object_foreach (json_object_get(profile, "syscalls"), arch, arr)
		json_array_foreach (arr, i, v)
			for (int a = 0; a < BH_PROF_NARCH; a++) {
				int nr = seccomp_syscall_resolve_name_arch(arches[a].scmp,
									   json_string_value(v));

				if (a == BH_PROF_X32 && nr >= 0)
					nr &= ~0x40000000;
				if (nr >= 0 && nr < BH_PROF_MAX_NR)
					out->bits[a][nr / 64] |= 1ULL << (nr % 64);
			}
}
