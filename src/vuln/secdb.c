/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Alpine secdb -> OSV records. A secdb file names its branch in its header
 * (`distroversion: v3.19`) and lists, per origin package, `secfixes`: a map
 * from the apk version that fixed something to the advisory ids it fixed.
 * Each (package, id) becomes one OSV object in ecosystem "Alpine:v3.19" with
 * one ECOSYSTEM range "introduced 0, fixed V" per version that lists the id
 * (several: a fix that took more than one release; OSV's union of ranges
 * then means "below the last of them"). Alpine's convention for the version
 * "0" is "this branch was never affected": such entries produce nothing.
 *
 * Ids: "ALPINE-<id>" (as OSV's own Alpine records are named), the id itself
 * as the alias; an entry "CVE-2016-10013 XSA-204" gives both as aliases.
 * The store key is "<osv id>/<ecosystem>/<package>", so the same CVE in two
 * branches or two packages is two records, and OSV's own ALPINE- records
 * (keyed by their id alone) never collide with these.
 */
#include <string.h>

#include "bulkhead/base.h"
#include "bulkhead/vuln.h"
#include "store_internal.h"
#include "banned.h"

#define SECDB_MAX_TOKENS 16

/* An id token: [A-Za-z0-9._:+-], 1..BH_OSV_MAX_ID - 8 bytes. */
static bool id_token(const char *s, size_t n)
{
	if (n == 0 || n > BH_OSV_MAX_ID - 8)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

/* What the OSV reader accepts as a name or version: 1..max bytes, no
 * control characters (so every record made here is a valid OSV record). */
static bool printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n]; n++)
		if ((unsigned char)s[n] < ' ' || s[n] == 0x7f || n >= max)
			return false;
	return n > 0;
}

/* "v3.19" (or "edge"): what follows "Alpine:" in the ecosystem. */
static bool valid_branch(const char *s)
{
	size_t n = strlen(s);

	if (!strcmp(s, "edge"))
		return true;
	if (n < 4 || n > 16 || s[0] != 'v')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
			return false;
	return s[1] != '.' && s[n - 1] != '.' && strchr(s, '.');
}

/* One advisory of one package: its ids and the versions that fixed it. */
struct advisory {
	char *primary;	 /* "CVE-..." as written */
	json_t *aliases; /* further ids on the same line */
	json_t *fixed;	 /* version strings, in file order, unique */
};

struct pkgctx {
	struct advisory *v;
	size_t n;
	struct bh_map *by_id;
};

static void pkgctx_release(struct pkgctx *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].primary);
		json_decref(p->v[i].aliases);
		json_decref(p->v[i].fixed);
	}
	free(p->v);
	bh_map_free(p->by_id, NULL);
	memset(p, 0, sizeof(*p));
}

static bool array_has(const json_t *a, const char *s)
{
	size_t i;
	json_t *e;

	json_array_foreach (a, i, e) {
		if (!strcmp(json_string_value(e), s))
			return true;
	}
	return false;
}

/*
 * Split "CVE-1 XSA-2" into ids and record `version` as a fix for them. Words
 * that are not ids (placeholders such as "CVE-????-?????", comments) are
 * skipped; the first id is the advisory, the others its aliases.
 */
static int add_entry(struct pkgctx *p, const char *line, const char *version, struct bh_error **err)
{
	const char *tok[SECDB_MAX_TOKENS];
	size_t len[SECDB_MAX_TOKENS], nt = 0;
	struct advisory *a;
	const char *s = line;

	while (*s) {
		size_t n;

		while (*s == ' ' || *s == '\t')
			s++;
		n = strcspn(s, " \t");
		if (n == 0)
			break;
		if (id_token(s, n)) {
			if (nt == SECDB_MAX_TOKENS)
				return bh_error_set(err, BH_ERR_LIMIT,
						    "more than %d ids on one line",
						    SECDB_MAX_TOKENS);
			tok[nt] = s;
			len[nt++] = n;
		}
		s += n;
	}
	if (nt == 0)
		return bh_error_set(err, BH_ERR_INVALID, "'%.64s' names no advisory id", line);
	a = bh_map_get(p->by_id, tok[0], len[0]);
	if (!a) {
		p->v = bh_reallocarray(p->v, p->n + 1, sizeof(*p->v));
		a = &p->v[p->n];
		a->primary = bh_strndup(tok[0], len[0]);
		a->aliases = json_array();
		a->fixed = json_array();
		/* the map holds indexes + 1: p->v moves when it grows */
		bh_map_put(p->by_id, tok[0], len[0], (void *)(uintptr_t)(++p->n));
	} else {
		a = &p->v[(uintptr_t)a - 1];
	}
	for (size_t i = 1; i < nt; i++) {
		char *t = bh_strndup(tok[i], len[i]);

		if (strcmp(t, a->primary) && !array_has(a->aliases, t))
			json_array_append_new(a->aliases, json_string(t));
		free(t);
	}
	if (version && !array_has(a->fixed, version))
		json_array_append_new(a->fixed, json_string(version));
	return 0;
}

static json_t *make_record(const struct advisory *a, const char *ecosystem, const char *name,
			   const char *repo)
{
	json_t *doc = json_object(), *aliases = json_array(), *ranges = json_array(), *aff, *v;
	bool prefixed = bh_str_has_prefix(a->primary, "ALPINE-");
	char *id = prefixed ? bh_strdup(a->primary) : bh_asprintf("ALPINE-%s", a->primary);
	size_t i;

	if (!prefixed)
		json_array_append_new(aliases, json_string(a->primary));
	json_array_foreach (a->aliases, i, v) {
		json_array_append(aliases, v);
	}
	json_array_foreach (a->fixed, i, v) {
		json_array_append_new(ranges,
				      json_pack("{s:s, s:[{s:s}, {s:O}]}", "type", "ECOSYSTEM",
						"events", "introduced", "0", "fixed", v));
	}
	aff = json_pack("{s:{s:s, s:s}, s:o}", "package", "ecosystem", ecosystem, "name", name,
			"ranges", ranges);
	json_object_set_new(doc, "id", json_string(id));
	json_object_set_new(doc, "aliases", aliases);
	json_object_set_new(doc, "affected", json_pack("[o]", aff));
	json_object_set_new(doc, "database_specific",
			    repo ? json_pack("{s:s, s:s}", "source", "alpine-secdb", "repo", repo)
				 : json_pack("{s:s}", "source", "alpine-secdb"));
	free(id);
	return doc;
}

/* Report a problem with part of a package entry: the rest goes on. */
static int problem(bh_secdb_fn fn, void *data, const char *what, struct bh_error **e,
		   struct bh_error **err)
{
	char *m = bh_error_message(*e);
	char *msg = bh_asprintf("%s: %s", what, m);
	int r = fn(NULL, NULL, msg, data, err);

	free(m);
	free(msg);
	bh_error_clear(e);
	return r;
}

/* Read one package entry (`{name, secfixes}`) into p; -1 only when fn says stop. */
static int read_package(const json_t *pkg, const char *what, struct pkgctx *p, const char **name,
			bh_secdb_fn fn, void *data, struct bh_error **err)
{
	struct bh_error *e = NULL;
	json_t *secfixes, *ids, *id;
	const char *version;
	size_t i;

	*name = bh_json_str(pkg, "name");
	if (!*name || !printable(*name, BH_OSV_MAX_NAME) || strchr(*name, '/')) {
		*name = NULL;
		bh_error_set(&e, BH_ERR_INVALID, "a package without a valid name");
		return problem(fn, data, what, &e, err);
	}
	secfixes = json_object_get(pkg, "secfixes");
	if (!secfixes || json_is_null(secfixes))
		return 0;
	if (!json_is_object(secfixes)) {
		bh_error_set(&e, BH_ERR_INVALID, "%s: secfixes is not a mapping", *name);
		return problem(fn, data, what, &e, err);
	}
	json_object_foreach (secfixes, version, ids) {
		bool not_affected = !strcmp(version, "0");

		if (!printable(version, BH_OSV_MAX_VERSION)) {
			bh_error_set(&e, BH_ERR_INVALID,
				     "%s: an empty, over-long or unprintable version", *name);
			if (problem(fn, data, what, &e, err) < 0)
				return -1;
			continue;
		}
		/* Like OSV ranges: a version apk cannot read is kept (its range
		 * matches nothing) and said at info level. */
		if (!not_affected && bh_version_validate(BH_VS_APK, version, &e) < 0) {
			char *m = bh_error_message(e);

			bh_info("%s: %s: %s; its fixes cannot match", what, *name, m);
			free(m);
			bh_error_clear(&e);
		}
		if (json_is_null(ids))
			continue;
		if (!json_is_array(ids)) {
			bh_error_set(&e, BH_ERR_INVALID, "%s %s: not a list of ids", *name,
				     version);
			if (problem(fn, data, what, &e, err) < 0)
				return -1;
			continue;
		}
		json_array_foreach (ids, i, id) {
			const char *s = json_string_value(id);

			if (!s)
				bh_error_set(&e, BH_ERR_INVALID, "entry %zu is not a string", i);
			/* "0" entries still name the advisory (so a later real
			 * fix of the same id is kept) but fix nothing. */
			else
				add_entry(p, s, not_affected ? NULL : version, &e);
			if (e) {
				bh_error_prefix(&e, "%s %s", *name, version);
				if (problem(fn, data, what, &e, err) < 0)
					return -1;
			}
		}
	}
	return 0;
}

static int emit_package(const json_t *pkg, const char *ecosystem, const char *repo,
			const char *what, bh_secdb_fn fn, void *data, struct bh_error **err)
{
	struct pkgctx p = { .by_id = bh_map_new() };
	const char *name = NULL;
	int r;

	r = read_package(pkg, what, &p, &name, fn, data, err);
	for (size_t i = 0; r >= 0 && name && i < p.n; i++) {
		json_t *doc;
		char *key;

		if (json_array_size(p.v[i].fixed) == 0)
			continue; /* only "0": not affected in this branch */
		doc = make_record(&p.v[i], ecosystem, name, repo);
		key = bh_asprintf("%s/%s/%s", bh_json_str(doc, "id"), ecosystem, name);
		r = fn(doc, key, NULL, data, err);
		free(key);
		json_decref(doc);
	}
	pkgctx_release(&p);
	return r;
}

int bh_secdb_records(const json_t *doc, const char *what, bh_secdb_fn fn, void *data,
		     struct bh_error **err)
{
	const char *branch = bh_json_str(doc, "distroversion");
	const char *repo = bh_json_str(doc, "reponame");
	json_t *packages, *item;
	char *ecosystem;
	size_t i;
	int r = 0;

	if (!branch)
		return bh_error_set(err, BH_ERR_INVALID, "%s: no distroversion", what);
	if (!valid_branch(branch))
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: distroversion '%.32s' is not an Alpine branch (vN.N)",
				    what, branch);
	ecosystem = bh_asprintf("Alpine:%s", branch);
	if (json_object_get(doc, "secfixes")) {
		/* one package per file, its fields at the top */
		r = emit_package(doc, ecosystem, repo, what, fn, data, err);
		goto out;
	}
	packages = json_object_get(doc, "packages");
	if (json_is_null(packages))
		goto out;
	if (!json_is_array(packages)) {
		r = bh_error_set(err, BH_ERR_INVALID, "%s: packages is not a list", what);
		goto out;
	}
	json_array_foreach (packages, i, item) {
		json_t *pkg = bh_json_obj(item, "pkg");

		if (!pkg) {
			char *msg = bh_asprintf("%s: packages[%zu] has no pkg mapping", what, i);

			r = fn(NULL, NULL, msg, data, err);
			free(msg);
		} else {
			r = emit_package(pkg, ecosystem, repo, what, fn, data, err);
		}
		if (r < 0)
			break;
	}
out:
	free(ecosystem);
	return r < 0 ? -1 : 0;
}
