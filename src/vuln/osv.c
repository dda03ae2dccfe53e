/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OSV record reader: untrusted JSON or YAML bytes -> a jansson tree ->
 * a normalised record (every version a string, the schema's range rules
 * checked, severity computed from CVSS or the database's label), and
 * bh_osv_affects, the OSV schema's evaluation of an affected entry:
 *
 *   affected if v is in versions[], or for some SEMVER/ECOSYSTEM range,
 *   BeforeLimits(v) and, walking the events sorted by version,
 *     introduced <= v        -> vulnerable
 *     fixed <= v             -> not vulnerable
 *     last_affected < v      -> not vulnerable
 *   with introduced "0" before everything and limit "*" after everything.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "bulkhead/vuln.h"
#include "store_internal.h"
#include "banned.h"

/* ---- small helpers ------------------------------------------------------ */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* An id or alias: 1..BH_OSV_MAX_ID printable bytes, no blanks, no '/'. */
static bool valid_id(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (c <= ' ' || c == 0x7f || c == '/' || n >= BH_OSV_MAX_ID)
			return false;
	}
	return n > 0;
}

/* A name: 1..max bytes, no control characters. */
static bool valid_name(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n]; n++)
		if ((unsigned char)s[n] < ' ' || s[n] == 0x7f || n >= max)
			return false;
	return n > 0;
}

char *bh_osv_pypi_normalize(const char *name)
{
	size_t n = strlen(name), j = 0;
	char *out = bh_malloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (c == '-' || c == '_' || c == '.') {
			if (j == 0 || out[j - 1] != '-')
				out[j++] = '-';
			continue;
		}
		out[j++] = (char)bh_tolower((unsigned char)c);
	}
	out[j] = 0;
	return out;
}

char *bh_osv_package_key(const char *ecosystem, const char *name)
{
	if (!strcmp(ecosystem, "PyPI"))
		return bh_osv_pypi_normalize(name);
	return bh_strdup(name);
}

/* ---- time --------------------------------------------------------------- */

static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int bh_osv_parse_time(const char *s, int64_t *us)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t frac = 0, t;
	const char *p;

	if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 6)
				frac = frac * 10 + (*p - '0');
		if (n == 0)
			return -1;
		for (; n < 6; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return -1;
		if (*p == '-') {
			oh = -oh;
			om = -om;
		}
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= oh * 3600 + om * 60;
	/* years 0000-9999 fit: microseconds overflow only past 292,000 years */
	*us = t * 1000000 + frac;
	return 0;
}

/* ---- documents ---------------------------------------------------------- */

int bh_osv_parse_doc(const char *buf, size_t len, const char *what, json_t **out,
		     struct bh_error **err)
{
	const struct bh_yaml_limits lim = { BH_OSV_MAX_FILE, BH_OSV_MAX_YAML_NODE,
					    BH_OSV_MAX_DEPTH };
	size_t i = 0;

	*out = NULL;
	if (len > BH_OSV_MAX_FILE)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "%s: %zu bytes exceeds the limit of %u bytes for one record "
				    "file",
				    what, len, BH_OSV_MAX_FILE);
	/* A UTF-8 byte order mark, then blanks. */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && is_blank(buf[i]))
		i++;
	if (i < len && (buf[i] == '{' || buf[i] == '['))
		return bh_json_parse(buf + i, len - i, BH_OSV_MAX_FILE, what, out, err);
	return bh_yaml_parse(buf, len, &lim, what, out, err);
}

enum bh_doc_kind bh_osv_doc_kind(const json_t *doc)
{
	if (json_is_array(doc)) {
		json_t *first = json_array_get(doc, 0);

		/* An empty array is an empty list of records. */
		return !first || bh_json_str(first, "id") ? BH_DOC_OSV_LIST : BH_DOC_UNKNOWN;
	}
	if (!json_is_object(doc))
		return BH_DOC_UNKNOWN;
	if (json_object_get(doc, "distroversion")) {
		if (json_object_get(doc, "packages"))
			return BH_DOC_SECDB;
		if (json_object_get(doc, "secfixes"))
			return BH_DOC_SECDB_PKG;
		return BH_DOC_UNKNOWN;
	}
	if (json_object_get(doc, "id") &&
	    (json_object_get(doc, "modified") || json_object_get(doc, "affected") ||
	     json_object_get(doc, "schema_version")))
		return BH_DOC_OSV;
	return BH_DOC_UNKNOWN;
}

/* ---- severity ----------------------------------------------------------- */

struct sev {
	enum bh_severity severity;
	double score;
	const char *vector;
	bool known; /* anything at all was found */
};

static void severity_from_array(const json_t *arr, struct sev *out)
{
	const char *v3 = NULL, *v4 = NULL;
	double s3 = -1, s4 = -1;
	enum bh_severity label = BH_SEV_UNKNOWN;
	size_t i;
	json_t *e;

	json_array_foreach (arr, i, e) {
		const char *type = bh_json_str(e, "type"), *score = bh_json_str(e, "score");
		double s;

		if (!type || !score)
			continue;
		if (!strcmp(type, "CVSS_V3") && !v3 && bh_cvss3_score(score, &s, NULL) == 0) {
			v3 = score;
			s3 = s;
		} else if (!strcmp(type, "CVSS_V4") && !v4 &&
			   bh_cvss4_score(score, &s, NULL) == 0) {
			v4 = score;
			s4 = s;
		} else if (!strcmp(type, "Ubuntu") && label == BH_SEV_UNKNOWN) {
			enum bh_severity l;

			if (!strcmp(score, "negligible"))
				label = BH_SEV_LOW;
			else if (bh_severity_parse(score, &l) == 0)
				label = l;
		}
	}
	/* CVSS v3.x first: it is what every other scanner and feed reports, so
	 * scores compare across tools; v4.0 when it is the only vector. */
	if (v3) {
		*out = (struct sev){ bh_severity_from_score(s3), s3, v3, true };
	} else if (v4) {
		*out = (struct sev){ bh_severity_from_score(s4), s4, v4, true };
	} else if (label != BH_SEV_UNKNOWN) {
		*out = (struct sev){ label, -1, NULL, true };
	}
}

/* severity[] (CVSS), else database_specific.severity (GHSA's labels), else UNKNOWN. */
static void compute_severity(const json_t *obj, struct sev *out)
{
	json_t *arr = bh_json_arr(obj, "severity");
	const char *label = bh_json_str(bh_json_obj(obj, "database_specific"), "severity");
	enum bh_severity l;

	*out = (struct sev){ BH_SEV_UNKNOWN, -1, NULL, false };
	if (arr)
		severity_from_array(arr, out);
	if (out->known)
		return;
	if (label && bh_severity_parse(label, &l) == 0 && l != BH_SEV_UNKNOWN)
		*out = (struct sev){ l, -1, NULL, true };
}

/* ---- normalisation ------------------------------------------------------- */

/*
 * Make the version at *slot a string: YAML reads `fixed: 2` as an integer.
 * `set` writes the replacement back. Returns the string or NULL.
 */
static const char *version_string(json_t *v, json_t **replacement)
{
	char tmp[32];

	*replacement = NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*replacement = json_string(tmp);
		return json_string_value(*replacement);
	}
	return NULL;
}

static const char *const event_keys[] = { "introduced", "fixed", "last_affected", "limit" };

enum { EV_INTRO = 0, EV_FIXED, EV_LAST, EV_LIMIT };

/* The one key of an event object, or -1. */
static int event_kind(const json_t *ev, const char **ver)
{
	int kind = -1;
	const char *k;
	json_t *v;

	if (!json_is_object(ev) || json_object_size(ev) != 1)
		return -1;
	json_object_foreach ((json_t *)ev, k, v) {
		for (int i = 0; i < 4; i++)
			if (!strcmp(k, event_keys[i]))
				kind = i;
		if (ver)
			*ver = json_string_value(v);
	}
	return kind;
}

/* Go module versions carry a "v" that OSV's SEMVER ranges leave out. */
static const char *scheme_version(enum bh_vscheme scheme, const char *v, char **tmp)
{
	*tmp = NULL;
	if (scheme == BH_VS_GO && v[0] != 'v') {
		*tmp = bh_asprintf("v%s", v);
		return *tmp;
	}
	return v;
}

/* Empty or over-long version strings break the record; one that the
 * ecosystem's scheme cannot read only makes its range unusable (below). */
static int check_version(const char *v, struct bh_error **err)
{
	if (!valid_name(v, BH_OSV_MAX_VERSION))
		return bh_error_set(err, BH_ERR_INVALID, "version '%.64s' is empty or too long", v);
	return 0;
}

/* Can the scheme read v? When not, say so at info level: the range will not
 * match anything (the entry's versions[] list still does). */
static void note_unreadable(const char *id_hint, bool have_scheme, enum bh_vscheme scheme,
			    const char *v, size_t range, size_t ev, bool *noted)
{
	struct bh_error *e = NULL;
	char *tmp;

	if (!have_scheme || *noted)
		return;
	if (bh_version_validate(scheme, scheme_version(scheme, v, &tmp), &e) < 0) {
		char *m = bh_error_message(e);

		bh_info("advisory %s: ranges[%zu] event %zu: %s; the range cannot match", id_hint,
			range, ev, m);
		free(m);
		bh_error_free(e);
		*noted = true;
	}
	free(tmp);
}

static int normalise_range(json_t *range, const char *id, size_t ri, bool have_scheme,
			   enum bh_vscheme scheme, struct bh_error **err)
{
	const char *type = bh_json_str(range, "type");
	json_t *events = bh_json_arr(range, "events"), *ev;
	bool intro = false, fixed = false, last = false, check, noted = false;
	size_t i;

	if (!json_is_object(range))
		return bh_error_set(err, BH_ERR_INVALID, "not an object");
	if (!type)
		return bh_error_set(err, BH_ERR_INVALID, "no type");
	if (strcmp(type, "ECOSYSTEM") && strcmp(type, "SEMVER") && strcmp(type, "GIT"))
		return bh_error_set(err, BH_ERR_INVALID, "unknown type '%.32s'", type);
	if (!events || json_array_size(events) == 0)
		return bh_error_set(err, BH_ERR_INVALID, "no events");
	/* SEMVER ranges are SemVer 2.0 whatever the ecosystem. */
	check = strcmp(type, "GIT") != 0;
	if (!strcmp(type, "SEMVER") && !have_scheme) {
		have_scheme = true;
		scheme = BH_VS_SEMVER;
	}
	json_array_foreach (events, i, ev) {
		json_t *repl = NULL;
		const char *key = NULL, *ver;
		int kind = -1;

		if (json_is_object(ev) && json_object_size(ev) == 1) {
			json_t *v;

			json_object_foreach (ev, key, v) {
				for (int k = 0; k < 4; k++)
					if (!strcmp(key, event_keys[k]))
						kind = k;
				ver = version_string(v, &repl);
				if (repl)
					json_object_set_new(ev, key, repl);
				break;
			}
		}
		if (kind < 0)
			return bh_error_set(err, BH_ERR_INVALID,
					    "event %zu is not one of introduced, fixed, "
					    "last_affected or limit",
					    i);
		if (!ver)
			return bh_error_set(err, BH_ERR_INVALID, "event %zu: %s is not a string", i,
					    event_keys[kind]);
		intro |= kind == EV_INTRO;
		fixed |= kind == EV_FIXED;
		last |= kind == EV_LAST;
		if (check_version(ver, err) < 0)
			return bh_error_prefix(err, "event %zu (%s)", i, event_keys[kind]);
		if (!check || (kind == EV_INTRO && !strcmp(ver, "0")) ||
		    (kind == EV_LIMIT && strchr(ver, '*')))
			continue;
		note_unreadable(id, have_scheme, scheme, ver, ri, i, &noted);
	}
	if (!intro)
		return bh_error_set(err, BH_ERR_INVALID, "no introduced event");
	if (fixed && last)
		return bh_error_set(err, BH_ERR_INVALID,
				    "fixed and last_affected events in one range");
	return 0;
}

/* 1: kept, 0: no package (skipped), -1: malformed. */
static int normalise_affected(json_t *aff, const char *id, struct bh_osv_affected *out,
			      struct bh_error **err)
{
	json_t *pkg, *ranges, *versions, *r, *v;
	enum bh_vscheme scheme = BH_VS_DPKG;
	bool have_scheme;
	struct sev sv;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(aff))
		return bh_error_set(err, BH_ERR_INVALID, "not an object");
	pkg = json_object_get(aff, "package");
	if (!pkg || json_is_null(pkg))
		return 0;
	if (!json_is_object(pkg))
		return bh_error_set(err, BH_ERR_INVALID, "package is not an object");
	out->ecosystem = bh_json_str(pkg, "ecosystem");
	out->name = bh_json_str(pkg, "name");
	if (!out->ecosystem || !valid_name(out->ecosystem, BH_OSV_MAX_NAME))
		return bh_error_set(err, BH_ERR_INVALID, "package has no valid ecosystem");
	if (!out->name || !valid_name(out->name, BH_OSV_MAX_NAME))
		return bh_error_set(err, BH_ERR_INVALID, "package has no valid name");
	have_scheme = bh_vscheme_for_ecosystem(out->ecosystem, &scheme, NULL) == 0;

	ranges = json_object_get(aff, "ranges");
	if (ranges && !json_is_null(ranges)) {
		if (!json_is_array(ranges))
			return bh_error_set(err, BH_ERR_INVALID, "ranges is not an array");
		json_array_foreach (ranges, i, r) {
			if (normalise_range(r, id, i, have_scheme, scheme, err) < 0)
				return bh_error_prefix(err, "ranges[%zu]", i);
		}
	}
	versions = json_object_get(aff, "versions");
	if (versions && !json_is_null(versions)) {
		if (!json_is_array(versions))
			return bh_error_set(err, BH_ERR_INVALID, "versions is not an array");
		json_array_foreach (versions, i, v) {
			json_t *repl;
			const char *s = version_string(v, &repl);

			if (!s || !valid_name(s, BH_OSV_MAX_VERSION)) {
				json_decref(repl);
				return bh_error_set(err, BH_ERR_INVALID,
						    "versions[%zu] is not a version string", i);
			}
			if (repl)
				json_array_set_new(versions, i, repl);
		}
	}
	compute_severity(aff, &sv);
	out->own_severity = sv.known;
	out->severity = sv.severity;
	out->score = sv.score;
	out->cvss_vector = sv.vector;
	out->key = bh_osv_package_key(out->ecosystem, out->name);
	out->data = aff;
	return 1;
}

static int add_id(json_t *set, const char *self, json_t *v, const char *field, size_t i,
		  struct bh_error **err)
{
	const char *s = json_string_value(v);
	size_t j;
	json_t *e;

	if (!s || !valid_id(s))
		return bh_error_set(err, BH_ERR_INVALID, "%s[%zu] is not an advisory id", field, i);
	if (!strcmp(s, self))
		return 0;
	json_array_foreach (set, j, e) {
		if (!strcmp(json_string_value(e), s))
			return 0;
	}
	json_array_append_new(set, json_string(s));
	return 0;
}

static int optional_time(json_t *doc, const char *key, const char **out, int64_t *us,
			 struct bh_error **err)
{
	json_t *v = json_object_get(doc, key);
	int64_t dummy;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	*out = json_string_value(v);
	if (!*out || bh_osv_parse_time(*out, us ? us : &dummy) < 0)
		return bh_error_set(err, BH_ERR_INVALID, "%s is not an RFC 3339 time", key);
	return 0;
}

int bh_osv_record_from_json(json_t *doc, const char *synthetic_key, struct bh_osv_record *out,
			    struct bh_error **err)
{
	struct bh_osv_record r = { 0 };
	const char *fields[] = { "aliases", "upstream" };
	json_t *aff, *refs, *v;
	struct sev sv;
	size_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	r.doc = json_incref(doc);
	r.aliases = json_array();
	r.references = json_array();
	if (!json_is_object(doc)) {
		bh_error_set(err, BH_ERR_INVALID, "not an OSV object");
		goto out;
	}
	r.id = bh_json_str(doc, "id");
	if (!r.id || !valid_id(r.id)) {
		bh_error_set(err, BH_ERR_INVALID, "no valid id");
		goto out;
	}
	if (synthetic_key) {
		r.synthetic = true;
		r.key = bh_strdup(synthetic_key);
	} else {
		r.key = bh_strdup(r.id);
	}
	if (optional_time(doc, "modified", &r.modified, &r.modified_us, err) < 0)
		goto out_id;
	if (!r.modified && !synthetic_key) {
		bh_error_set(err, BH_ERR_INVALID, "no modified time");
		goto out_id;
	}
	if (optional_time(doc, "published", &r.published, NULL, err) < 0 ||
	    optional_time(doc, "withdrawn", &r.withdrawn, NULL, err) < 0)
		goto out_id;
	r.summary = bh_json_str(doc, "summary");
	r.details = bh_json_str(doc, "details");

	for (size_t f = 0; f < 2; f++) {
		v = json_object_get(doc, fields[f]);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_array(v)) {
			bh_error_set(err, BH_ERR_INVALID, "%s is not an array", fields[f]);
			goto out_id;
		}
		for (i = 0; i < json_array_size(v); i++)
			if (add_id(r.aliases, r.id, json_array_get(v, i), fields[f], i, err) < 0)
				goto out_id;
	}
	refs = bh_json_arr(doc, "references");
	json_array_foreach (refs, i, v) {
		const char *url = bh_json_str(v, "url");

		if (url && valid_name(url, 8192))
			json_array_append_new(r.references, json_string(url));
	}
	compute_severity(doc, &sv);
	r.severity = sv.severity;
	r.score = sv.score;
	r.cvss_vector = sv.vector;

	aff = json_object_get(doc, "affected");
	if (aff && !json_is_null(aff)) {
		if (!json_is_array(aff)) {
			bh_error_set(err, BH_ERR_INVALID, "affected is not an array");
			goto out_id;
		}
		r.affected = bh_calloc(json_array_size(aff) + 1, sizeof(*r.affected));
		json_array_foreach (aff, i, v) {
			int k = normalise_affected(v, r.id, &r.affected[r.naffected], err);

			if (k < 0) {
				bh_error_prefix(err, "affected[%zu]", i);
				goto out_id;
			}
			r.naffected += (size_t)k;
		}
	}
	*out = r;
	return 0;
out_id:
	bh_error_prefix(err, "%s", r.id);
out:
	bh_osv_record_release(&r);
	return ret;
}

void bh_osv_record_release(struct bh_osv_record *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->naffected; i++)
		free(r->affected[i].key);
	free(r->affected);
	free(r->key);
	json_decref(r->aliases);
	json_decref(r->references);
	json_decref(r->doc);
	memset(r, 0, sizeof(*r));
}

/* ---- evaluation ---------------------------------------------------------- */

struct event {
	int kind;
	const char *ver; /* in the scheme's spelling */
	char *tmp;
	int vs_v; /* compare(version, ver) */
};

struct sorter {
	enum bh_vscheme scheme;
	struct bh_error **err;
	bool failed;
};

static bool is_zero_intro(const struct event *e)
{
	return e->kind == EV_INTRO && !strcmp(e->ver, "0");
}

static bool is_star_limit(const struct event *e)
{
	return e->kind == EV_LIMIT && strchr(e->ver, '*');
}

static int event_cmp(struct sorter *s, const struct event *a, const struct event *b)
{
	int c = 0;

	if (is_zero_intro(a) || is_star_limit(b))
		return is_zero_intro(b) || is_star_limit(a) ? 0 : -1;
	if (is_zero_intro(b) || is_star_limit(a))
		return 1;
	if (s->failed)
		return 0;
	if (bh_version_compare(s->scheme, a->ver, b->ver, &c, s->err) < 0) {
		s->failed = true;
		return 0;
	}
	return c;
}

/* A stable merge sort (ties keep the order the record wrote them in). */
static void sort_events(struct sorter *s, struct event *v, struct event *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sort_events(s, v, tmp, mid);
	sort_events(s, v + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = event_cmp(s, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

static void free_events(struct event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ev[i].tmp);
	free(ev);
}

/*
 * One SEMVER/ECOSYSTEM range. *hit when it covers v; then *fix is the fixed
 * version that ends the affected interval v is in (a new string, in the
 * scheme's spelling), or NULL when none does (open, or last_affected).
 * A range with a version the scheme cannot read (v itself was checked) covers
 * nothing: it cannot be placed against v.
 */
static int eval_range(const json_t *range, enum bh_vscheme scheme, const char *v, bool *hit,
		      char **fix, struct bh_error **err)
{
	json_t *events = bh_json_arr(range, "events"), *e;
	struct sorter s = { scheme, NULL, false };
	struct event *ev = NULL, *tmp = NULL;
	size_t n = json_array_size(events), i;
	bool limits = false, before = false, vulnerable = false;
	int r = -1;

	*hit = false;
	*fix = NULL;
	if (!events || n == 0)
		return bh_error_set(err, BH_ERR_INVALID, "range without events");
	ev = bh_calloc(n, sizeof(*ev));
	json_array_foreach (events, i, e) {
		const char *ver = NULL;

		ev[i].kind = event_kind(e, &ver);
		if (ev[i].kind < 0 || !ver) {
			bh_error_set(err, BH_ERR_INVALID, "event %zu is not valid", i);
			goto out;
		}
		ev[i].ver = scheme_version(scheme, ver, &ev[i].tmp);
		if (!strcmp(ver, "0") && ev[i].kind == EV_INTRO)
			ev[i].ver = "0";
	}
	/* Where v stands against each event. */
	for (i = 0; i < n; i++) {
		if (is_zero_intro(&ev[i])) {
			ev[i].vs_v = 1;
		} else if (is_star_limit(&ev[i])) {
			ev[i].vs_v = -1;
		} else if (bh_version_compare(scheme, v, ev[i].ver, &ev[i].vs_v, NULL) < 0) {
			bh_debug("range event %zu: '%s' is not a %s version: the range is skipped",
				 i, ev[i].ver, bh_vscheme_name(scheme));
			r = 0;
			goto out;
		}
		if (ev[i].kind == EV_LIMIT) {
			limits = true;
			before |= ev[i].vs_v < 0;
		}
	}
	if (limits && !before) {
		r = 0;
		goto out;
	}
	tmp = bh_calloc(n, sizeof(*tmp));
	sort_events(&s, ev, tmp, n);
	if (s.failed) {
		r = 0; /* not reached: every event compared with v above */
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (ev[i].kind == EV_INTRO && ev[i].vs_v >= 0)
			vulnerable = true;
		else if (ev[i].kind == EV_FIXED && ev[i].vs_v >= 0)
			vulnerable = false;
		else if (ev[i].kind == EV_LAST && ev[i].vs_v > 0)
			vulnerable = false;
	}
	*hit = vulnerable;
	if (vulnerable) {
		/* The first closing event v has not passed, in version order. */
		for (i = 0; i < n; i++) {
			if (ev[i].kind == EV_FIXED && ev[i].vs_v < 0) {
				*fix = bh_strdup(ev[i].ver);
				break;
			}
			if (ev[i].kind == EV_LAST && ev[i].vs_v <= 0)
				break;
		}
	}
	r = 0;
out:
	free(tmp);
	free_events(ev, n);
	return r;
}

static bool in_versions(const json_t *versions, enum bh_vscheme scheme, const char *v,
			const char *v_raw)
{
	size_t i;
	json_t *e;

	json_array_foreach (versions, i, e) {
		const char *s = json_string_value(e);
		char *tmp;
		int c = 1;

		if (!s)
			continue;
		if (!strcmp(s, v_raw))
			return true;
		if (bh_version_compare(scheme, v, scheme_version(scheme, s, &tmp), &c, NULL) >= 0 &&
		    c == 0) {
			free(tmp);
			return true;
		}
		free(tmp);
	}
	return false;
}

int bh_osv_affects(const json_t *affected, enum bh_vscheme scheme, const char *version, bool *out,
		   char **fixed, struct bh_error **err)
{
	json_t *ranges, *range;
	char *vtmp = NULL, *best = NULL;
	bool any_hit = false, open = false;
	const char *v;
	size_t i;
	int r = -1;

	*out = false;
	*fixed = NULL;
	if (!json_is_object(affected))
		return bh_error_set(err, BH_ERR_INVALID, "affected entry is not an object");
	v = scheme_version(scheme, version, &vtmp);
	if (bh_version_validate(scheme, v, err) < 0)
		goto out;
	ranges = bh_json_arr(affected, "ranges");
	json_array_foreach (ranges, i, range) {
		const char *type = bh_json_str(range, "type");
		char *fix = NULL;
		bool hit;

		if (!type || (strcmp(type, "ECOSYSTEM") && strcmp(type, "SEMVER")))
			continue; /* GIT ranges need the commit graph, not versions */
		if (eval_range(range, scheme, v, &hit, &fix, err) < 0) {
			bh_error_prefix(err, "ranges[%zu]", i);
			goto out;
		}
		if (!hit)
			continue;
		any_hit = true;
		if (!fix) {
			open = true;
		} else if (!best) {
			best = fix;
			fix = NULL;
		} else {
			int c = 0;

			/* Several ranges cover v: the highest fix ends them all. */
			if (bh_version_compare(scheme, fix, best, &c, err) < 0) {
				free(fix);
				goto out;
			}
			if (c > 0) {
				free(best);
				best = fix;
				fix = NULL;
			}
		}
		free(fix);
	}
	if (any_hit) {
		*out = true;
		if (!open && best) {
			*fixed = best;
			best = NULL;
		}
	} else if (in_versions(bh_json_arr(affected, "versions"), scheme, v, version)) {
		*out = true;
	}
	r = 0;
out:
	free(best);
	free(vtmp);
	return r;
}
