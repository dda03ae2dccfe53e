/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Pod Security Standards around the checks: levels and versions as PSA
 * parses them (api/helpers.go), the registry that picks each check's
 * revision for a version and drops the baseline checks a restricted check
 * overrides (policy/registry.go), the aggregate message
 * (policy/checks.go ForbiddenDetail, admission.go "violates PodSecurity
 * %q: %s"), the namespace labels (PolicyToEvaluate), and Go's quoting.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "banned.h"

/* ---- levels and versions -------------------------------------------------- */

static const char *const level_names[] = { "privileged", "baseline", "restricted" };

const char *bh_pss_level_name(enum bh_pss_level l)
{
	return (unsigned)l <= BH_PSS_RESTRICTED ? level_names[l] : "?";
}

int bh_pss_parse_level(const char *s, enum bh_pss_level *out)
{
	for (unsigned i = 0; i < 3; i++) {
		if (s && !strcmp(s, level_names[i])) {
			*out = (enum bh_pss_level)i;
			return 0;
		}
	}
	return -1;
}

/* ^v1\.([0-9]|[1-9][0-9]*)$, the minor fitting Go's int (int64 here). */
int bh_pss_parse_version(const char *s, int64_t *minor)
{
	uint64_t v = 0;

	if (!s)
		return -1;
	if (!strcmp(s, "latest")) {
		*minor = BH_PSS_LATEST;
		return 0;
	}
	if (strncmp(s, "v1.", 3) || !bh_isdigit(s[3]) || (s[3] == '0' && s[4]))
		return -1;
	for (const char *p = s + 3; *p; p++) {
		if (!bh_isdigit(*p) || v > (uint64_t)(INT64_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*minor = (int64_t)v;
	return 0;
}

int bh_pss_parse(const char *s, struct bh_pss_lv *out, struct bh_error **err)
{
	const char *colon = strchr(s, ':');
	char level[16];

	if (!colon) {
		out->minor = BH_PSS_LATEST;
		if (bh_pss_parse_level(s, &out->level) < 0)
			goto bad_level;
		return 0;
	}
	if ((size_t)(colon - s) >= sizeof(level))
		goto bad_level;
	memcpy(level, s, (size_t)(colon - s));
	level[colon - s] = 0;
	if (bh_pss_parse_level(level, &out->level) < 0)
		goto bad_level;
	if (bh_pss_parse_version(colon + 1, &out->minor) < 0)
		return bh_error_set(err, BH_ERR_INVALID,
				    "'%s': the version must be \"latest\" or \"v1.x\"", s);
	return 0;
bad_level:
	return bh_error_set(err, BH_ERR_INVALID,
			    "'%s': the level must be one of privileged, baseline, restricted", s);
}

const char *bh_pss_lv_string(struct bh_pss_lv lv, char buf[BH_PSS_LV_MAX])
{
	if (lv.minor == BH_PSS_LATEST)
		snprintf(buf, BH_PSS_LV_MAX, "%s:latest", bh_pss_level_name(lv.level));
	else
		snprintf(buf, BH_PSS_LV_MAX, "%s:v1.%lld", bh_pss_level_name(lv.level),
			 (long long)lv.minor);
	return buf;
}

/* ---- string helpers ----------------------------------------------------------- */

void pol_join_quote(struct bh_buf *b, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bh_buf_addf(b, NULL, "%s\"%s\"", i ? ", " : "", v[i]);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t pol_sort_unique(const char **v, size_t n)
{
	size_t k = 0;

	if (n < 2)
		return n;
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (!k || strcmp(v[i], v[k - 1]))
			v[k++] = v[i];
	return k;
}

/* Go's utf8.DecodeRuneInString: the rune and its width; (-1, 1) when invalid. */
static int32_t decode_rune(const unsigned char *s, size_t *width)
{
	unsigned char c = s[0];
	int32_t r;
	size_t n;

	*width = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, r = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, r = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, r = c & 0x07;
	else
		return -1;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		r = (r << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10ffff)) ||
	    (r >= 0xd800 && r <= 0xdfff))
		return -1;
	*width = n;
	return r;
}

/*
 * unicode.IsPrint for a rune above ASCII: letters, marks, numbers,
 * punctuation and symbols are; controls, format characters, separators
 * other than U+0020, private use and noncharacters are not. Go decides
 * from its Unicode tables; this knows the ranges that occur in practice
 * and counts an unassigned code point as printable.
 */
static bool rune_printable(int32_t r)
{
	static const int32_t not_print[][2] = {
		{ 0x80, 0xa0 },	    { 0xad, 0xad },	  { 0x600, 0x605 },	 { 0x61c, 0x61c },
		{ 0x6dd, 0x6dd },   { 0x70f, 0x70f },	  { 0x1680, 0x1680 },	 { 0x180e, 0x180e },
		{ 0x2000, 0x200f }, { 0x2028, 0x202f },	  { 0x205f, 0x2064 },	 { 0x2066, 0x206f },
		{ 0x3000, 0x3000 }, { 0xd800, 0xf8ff },	  { 0xfeff, 0xfeff },	 { 0xfff9, 0xfffb },
		{ 0xfffe, 0xffff }, { 0xe0000, 0xe007f }, { 0xf0000, 0x10ffff },
	};

	for (size_t i = 0; i < sizeof(not_print) / sizeof(not_print[0]); i++)
		if (r >= not_print[i][0] && r <= not_print[i][1])
			return false;
	return (r & 0xfffe) != 0xfffe;
}

void pol_go_quote(struct bh_buf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;

	bh_buf_addc(b, '"', NULL);
	while (*s) {
		size_t w;
		int32_t r = decode_rune(s, &w);

		if (r < 0) {
			bh_buf_addf(b, NULL, "\\x%c%c", hex[*s >> 4], hex[*s & 15]);
		} else if (r == '"' || r == '\\') {
			bh_buf_addc(b, '\\', NULL);
			bh_buf_addc(b, (char)r, NULL);
		} else if ((r >= 0x20 && r < 0x7f) || (r >= 0x80 && rune_printable(r))) {
			bh_buf_add(b, s, w, NULL);
		} else {
			switch (r) {
			case '\a': bh_buf_adds(b, "\\a", NULL); break;
			case '\b': bh_buf_adds(b, "\\b", NULL); break;
			case '\f': bh_buf_adds(b, "\\f", NULL); break;
			case '\n': bh_buf_adds(b, "\\n", NULL); break;
			case '\r': bh_buf_adds(b, "\\r", NULL); break;
			case '\t': bh_buf_adds(b, "\\t", NULL); break;
			case '\v': bh_buf_adds(b, "\\v", NULL); break;
			default:
				if (r < ' ' || r == 0x7f)
					bh_buf_addf(b, NULL, "\\x%c%c", hex[r >> 4], hex[r & 15]);
				else if (r < 0x10000)
					bh_buf_addf(b, NULL, "\\u%04x", (unsigned)r);
				else
					bh_buf_addf(b, NULL, "\\U%08x", (unsigned)r);
			}
		}
		s += w;
	}
	bh_buf_addc(b, '"', NULL);
}

/* ---- the registry --------------------------------------------------------------- */

/* The revision of check c in force at minor, or NULL before its first. */
static const struct pol_pss_version *active(const struct pol_pss_check *c, int64_t minor)
{
	const struct pol_pss_version *v = NULL;

	for (size_t i = 0; i < c->nversions; i++)
		if ((int64_t)c->versions[i].min_minor <= minor)
			v = &c->versions[i];
	return v;
}

static bool overridden(const char *id, int64_t minor)
{
	for (size_t i = 0; i < pol_pss_nchecks; i++) {
		const struct pol_pss_version *v;

		if (pol_pss_checks[i].level != BH_PSS_RESTRICTED)
			continue;
		v = active(&pol_pss_checks[i], minor);
		if (v && v->overrides && !strcmp(v->overrides, id))
			return true;
	}
	return false;
}

void bh_pss_result_release(struct bh_pss_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfailed; i++) {
		free(r->failed[i].reason);
		free(r->failed[i].detail);
	}
	free(r->failed);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}

int pol_pss_eval_pod(const struct pol_pod *p, enum bh_pss_level level, int64_t minor,
		     struct bh_pss_result *res, struct bh_error **err)
{
	struct bh_buf detail = BH_BUF_INIT(64u << 20), scratch = BH_BUF_INIT(64u << 20),
		      agg = BH_BUF_INIT(256u << 20);

	memset(res, 0, sizeof(*res));
	res->allowed = true;
	res->has_pod = true;
	if (level == BH_PSS_PRIVILEGED)
		return 0;
	if (minor == BH_PSS_LATEST || minor > POL_PSS_MAX_MINOR)
		minor = POL_PSS_MAX_MINOR;
	for (size_t i = 0; i < pol_pss_nchecks; i++) {
		const struct pol_pss_check *c = &pol_pss_checks[i];
		const struct pol_pss_version *v;
		struct pol_pss_out o = { false, NULL, &detail, &scratch };
		struct bh_pss_check_result *f;

		if (c->level == BH_PSS_RESTRICTED && level != BH_PSS_RESTRICTED)
			continue;
		v = active(c, minor);
		if (!v)
			continue;
		if (c->level == BH_PSS_BASELINE && level == BH_PSS_RESTRICTED &&
		    overridden(c->id, minor))
			continue;
		bh_buf_reset(&detail);
		v->fn(p, &o);
		if (!o.forbidden)
			continue;
		res->failed = bh_reallocarray(res->failed, res->nfailed + 1, sizeof(*res->failed));
		f = &res->failed[res->nfailed++];
		f->id = c->id;
		f->reason =
			bh_strdup(o.reason && *o.reason ? o.reason : "unknown forbidden reason");
		f->detail = bh_strdup(detail.data ? detail.data : "");
		res->allowed = false;
	}
	for (size_t i = 0; i < res->nfailed; i++) {
		const struct bh_pss_check_result *f = &res->failed[i];

		bh_buf_addf(&agg, NULL, "%s%s", i ? ", " : "", f->reason);
		if (*f->detail)
			bh_buf_addf(&agg, NULL, " (%s)", f->detail);
	}
	if (res->nfailed)
		res->detail = bh_buf_detach(&agg, NULL);
	bh_buf_release(&agg);
	bh_buf_release(&detail);
	bh_buf_release(&scratch);
	(void)err;
	return 0;
}

int bh_pss_eval(const json_t *object, struct bh_pss_lv lv, struct bh_pss_result *res,
		struct bh_error **err)
{
	const json_t *meta, *spec;
	const char *where;
	struct pol_pod pod;
	int r;

	memset(res, 0, sizeof(*res));
	r = pol_pod_of(object, &meta, &spec, &where, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return bh_error_set(err, BH_ERR_UNSUPPORTED, "a %s holds no pod",
				    bh_json_str(object, "kind"));
	if (!spec) {
		res->allowed = true; /* a workload without a pod template: nothing to check */
		return 0;
	}
	if (pol_pod_decode(meta, spec, where, &pod, err) < 0)
		return -1;
	r = pol_pss_eval_pod(&pod, lv.level, lv.minor, res, err);
	pol_pod_release(&pod);
	return r;
}

char *bh_pss_message(struct bh_pss_lv lv, const struct bh_pss_result *r, bool would)
{
	struct bh_buf b = BH_BUF_INIT(256u << 20);
	char s[BH_PSS_LV_MAX];

	bh_buf_adds(&b, would ? "would violate PodSecurity " : "violates PodSecurity ", NULL);
	pol_go_quote(&b, bh_pss_lv_string(lv, s));
	bh_buf_addf(&b, NULL, ": %s", r->detail ? r->detail : "");
	return bh_buf_detach(&b, NULL);
}

/* ---- namespace labels ---------------------------------------------------------------- */

static const char *const mode_names[] = { "enforce", "audit", "warn" };

void bh_pss_policy_from_labels(const json_t *labels, const struct bh_pss_policy *defaults,
			       struct bh_pss_policy *out, struct bh_strvec *problems)
{
	*out = *defaults;
	if (!json_is_object(labels) || !json_object_size(labels))
		return;
	for (int m = 0; m < BH_PSS_NMODES; m++) {
		char key[64];
		const json_t *v;
		const char *s;

		snprintf(key, sizeof(key), "pod-security.kubernetes.io/%s", mode_names[m]);
		v = json_object_get(labels, key);
		if (v) {
			s = json_is_string(v) ? json_string_value(v) : NULL;
			if (bh_pss_parse_level(s, &out->mode[m].level) < 0) {
				/* enforce fails closed; audit and warn fail open, as PSA */
				out->mode[m].level =
					m == BH_PSS_ENFORCE ? BH_PSS_RESTRICTED : BH_PSS_PRIVILEGED;
				if (problems)
					bh_strvec_pushf(problems,
							"metadata.labels[%s]: Invalid value: %s: "
							"must be one "
							"of privileged, baseline, restricted",
							key, s ? s : "(not a string)");
			}
		}
		snprintf(key, sizeof(key), "pod-security.kubernetes.io/%s-version", mode_names[m]);
		v = json_object_get(labels, key);
		if (v) {
			s = json_is_string(v) ? json_string_value(v) : NULL;
			if (bh_pss_parse_version(s, &out->mode[m].minor) < 0) {
				out->mode[m].minor = BH_PSS_LATEST;
				if (problems)
					bh_strvec_pushf(
						problems,
						"metadata.labels[%s]: Invalid value: %s: must be "
						"\"latest\" or \"v1.x\"",
						key, s ? s : "(not a string)");
			}
		}
	}
}
