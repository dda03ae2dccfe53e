/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suppressing findings the user has decided about: an ignore file (IDs with
 * an optional expiry date and a reason) and OpenVEX documents
 * (`not_affected` and `fixed` statements). Suppressed findings stay in the
 * list, marked, so every report can show what was suppressed and why.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/scan.h"
#include "banned.h"

#define MAX_IGNORE_ENTRIES 100000
#define MAX_VEX_STATEMENTS 100000

/* ---- ignore file ---------------------------------------------------------- */

void bh_ignore_release(struct bh_ignorelist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].reason);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* "YYYY-MM-DD" -> the end of that day, UTC. */
static int parse_date(const char *s, size_t n, time_t *out)
{
	char buf[16];
	int64_t t;

	if (n != 10)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (bh_time_parse(buf, true, &t, NULL) < 0)
		return -1;
	*out = (time_t)(t + 86400 - 1);
	return 0;
}

int bh_ignore_parse(const char *buf, size_t len, const char *what, struct bh_ignorelist *out,
		    struct bh_error **err)
{
	size_t pos = 0, cap = 0;
	long line = 0;

	memset(out, 0, sizeof(*out));
	while (pos < len) {
		const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos, i = 0, idlen;
		struct bh_ignore_entry *e;
		const char *hash;

		pos += n + (nl ? 1 : 0);
		line++;
		if (memchr(l, 0, n))
			goto bad;
		while (i < n && is_space(l[i]))
			i++;
		if (i == n || l[i] == '#')
			continue;
		idlen = 0;
		while (i + idlen < n && !is_space(l[i + idlen]) && l[i + idlen] != '#')
			idlen++;
		if (idlen > 256)
			goto bad;
		if (out->n >= MAX_IGNORE_ENTRIES) {
			bh_ignore_release(out);
			return bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d entries", what,
					    MAX_IGNORE_ENTRIES);
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->v = bh_reallocarray(out->v, cap, sizeof(*out->v));
		}
		e = &out->v[out->n++];
		memset(e, 0, sizeof(*e));
		e->id = bh_strndup(l + i, idlen);
		e->line = line;
		i += idlen;
		hash = memchr(l + i, '#', n - i);
		/* options between the ID and the comment */
		while (i < n && l + i != hash) {
			size_t w = 0;

			while (i < n && is_space(l[i]))
				i++;
			while (i + w < n && !is_space(l[i + w]) && l + i + w != hash)
				w++;
			if (w == 0)
				break;
			if (w > 4 && !memcmp(l + i, "exp:", 4)) {
				if (parse_date(l + i + 4, w - 4, &e->expires) < 0)
					goto bad;
			} else {
				goto bad;
			}
			i += w;
		}
		if (hash) {
			size_t rs = (size_t)(hash - l) + 1, re = n;

			while (rs < re && is_space(l[rs]))
				rs++;
			while (re > rs && is_space(l[re - 1]))
				re--;
			if (re > rs)
				e->reason = bh_strndup(l + rs, re - rs);
		}
	}
	return 0;
bad:
	bh_ignore_release(out);
	return bh_error_set(err, BH_ERR_INVALID,
			    "%s line %ld: expected 'ID [exp:YYYY-MM-DD] [# reason]'", what, line);
}

static bool finding_named(const struct bh_finding *f, const char *id)
{
	if (!strcmp(f->id, id))
		return true;
	for (char **a = f->aliases; a && *a; a++)
		if (!strcmp(*a, id))
			return true;
	return false;
}

static void suppress(struct bh_finding *f, const char *by, const char *reason)
{
	f->suppressed = true;
	free(f->suppressed_by);
	free(f->suppress_reason);
	f->suppressed_by = bh_strdup(by);
	f->suppress_reason = reason ? bh_strdup(reason) : NULL;
}

size_t bh_ignore_apply(const struct bh_ignorelist *l, time_t now, struct bh_findings *f)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct bh_ignore_entry *e = &l->v[i];

		if (e->expires && now > e->expires) {
			bh_warn("ignore entry %s (line %ld) expired; it no longer applies", e->id,
				e->line);
			continue;
		}
		for (size_t j = 0; j < f->n; j++)
			if (!f->v[j].suppressed && finding_named(&f->v[j], e->id)) {
				suppress(&f->v[j], "ignorefile", e->reason);
				n++;
			}
	}
	return n;
}

/* ---- OpenVEX --------------------------------------------------------------- */

static void free_strv(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void bh_vex_release(struct bh_vex *v)
{
	for (size_t i = 0; i < v->n; i++) {
		struct bh_vex_statement *s = &v->v[i];

		free(s->vulnerability);
		free_strv(s->aliases);
		free_strv(s->products);
		free_strv(s->subcomponents);
		free(s->status);
		free(s->justification);
		free(s->impact_statement);
	}
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* A product or component: a string (v0.0.1) or an object with "@id" (v0.2.0),
 * optionally with identifiers.purl. */
static const char *component_id(const json_t *c)
{
	json_t *ids;

	if (json_is_string(c))
		return json_string_value(c);
	if (!json_is_object(c))
		return NULL;
	if (bh_json_str(c, "@id"))
		return bh_json_str(c, "@id");
	ids = bh_json_obj(c, "identifiers");
	return ids ? bh_json_str(ids, "purl") : NULL;
}

static char **ids_of(const json_t *arr, const char *sub)
{
	char **v = NULL;
	size_t n = 0, i;
	json_t *c;

	if (!json_is_array(arr))
		return NULL;
	json_array_foreach (arr, i, c) {
		const json_t *list = sub ? json_object_get(c, sub) : NULL;
		size_t j;
		json_t *s;

		if (sub) {
			if (!json_is_array(list))
				continue;
			json_array_foreach (list, j, s) {
				const char *id = component_id(s);

				if (!id)
					continue;
				v = bh_reallocarray(v, n + 2, sizeof(*v));
				v[n++] = bh_strdup(id);
				v[n] = NULL;
			}
			continue;
		}
		if (!component_id(c))
			continue;
		v = bh_reallocarray(v, n + 2, sizeof(*v));
		v[n++] = bh_strdup(component_id(c));
		v[n] = NULL;
	}
	return v;
}

int bh_vex_parse(const char *buf, size_t len, const char *what, struct bh_vex *out,
		 struct bh_error **err)
{
	json_t *doc, *stmts, *st;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (bh_json_parse(buf, len, 64u << 20, what, &doc, err) < 0)
		return -1;
	stmts = bh_json_arr(doc, "statements");
	if (!stmts) {
		json_decref(doc);
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: not an OpenVEX document (no statements)", what);
	}
	if (json_array_size(stmts) > MAX_VEX_STATEMENTS) {
		json_decref(doc);
		return bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d statements", what,
				    MAX_VEX_STATEMENTS);
	}
	out->v = bh_calloc(json_array_size(stmts) + 1, sizeof(*out->v));
	json_array_foreach (stmts, i, st) {
		struct bh_vex_statement *s = &out->v[out->n];
		json_t *vul = json_object_get(st, "vulnerability");
		const char *name =
			json_is_string(vul) ? json_string_value(vul) : bh_json_str(vul, "name");
		const char *status = bh_json_str(st, "status");

		if (!name || !status) {
			bh_vex_release(out);
			json_decref(doc);
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: statement %zu has no vulnerability name or status",
					    what, i + 1);
		}
		out->n++;
		s->vulnerability = bh_strdup(name);
		s->status = bh_strdup(status);
		if (bh_json_str(st, "justification"))
			s->justification = bh_strdup(bh_json_str(st, "justification"));
		if (bh_json_str(st, "impact_statement"))
			s->impact_statement = bh_strdup(bh_json_str(st, "impact_statement"));
		if (json_is_object(vul) && bh_json_arr(vul, "aliases")) {
			json_t *a;
			size_t j, n = 0;

			json_array_foreach (bh_json_arr(vul, "aliases"), j, a) {
				if (!json_is_string(a))
					continue;
				s->aliases = bh_reallocarray(s->aliases, n + 2, sizeof(char *));
				s->aliases[n++] = bh_strdup(json_string_value(a));
				s->aliases[n] = NULL;
			}
		}
		s->products = ids_of(json_object_get(st, "products"), NULL);
		s->subcomponents = ids_of(json_object_get(st, "products"), "subcomponents");
		/* v0.0.1 put subcomponents beside products */
		if (!s->subcomponents && json_is_array(json_object_get(st, "subcomponents")))
			s->subcomponents = ids_of(json_object_get(st, "subcomponents"), NULL);
	}
	json_decref(doc);
	return 0;
}

/* purl without qualifiers and subpath: "pkg:type/ns/name@version". */
static size_t purl_core_len(const char *p)
{
	return strcspn(p, "?#");
}

/* Does the statement's purl name this package? A purl without a version
 * names every version; qualifiers are compared only when both have them. */
static bool purl_matches(const char *want, const char *have)
{
	size_t wl = purl_core_len(want), hl = purl_core_len(have);
	const char *wat = memchr(want, '@', wl);

	if (wl == hl && !memcmp(want, have, wl))
		return true;
	if (!wat) {
		const char *hat = memchr(have, '@', hl);
		size_t hn = hat ? (size_t)(hat - have) : hl;

		return wl == hn && !memcmp(want, have, wl);
	}
	return false;
}

/* Does a product id name this image? pkg:oci purls carry the digest
 * (percent-encoded ':' as %3A); plain references end in @sha256:... */
static bool names_image(const char *id, const struct bh_image *img)
{
	const char *hex;

	if (!img)
		return false;
	if (img->has_manifest) {
		hex = bh_digest_hex(&img->manifest_digest);
		if (strstr(id, hex))
			return true;
	}
	if (img->config_digest.str[0]) {
		hex = bh_digest_hex(&img->config_digest);
		if (strstr(id, hex))
			return true;
	}
	return img->name && !strcmp(id, img->name);
}

static bool statement_applies(const struct bh_vex_statement *s, const struct bh_image *img,
			      const struct bh_package *pkg, const struct bh_finding *f)
{
	bool vuln = finding_named(f, s->vulnerability);
	bool product_ok = !s->products;

	for (char **a = s->aliases; !vuln && a && *a; a++)
		vuln = finding_named(f, *a);
	if (!vuln)
		return false;
	for (char **p = s->products; p && *p; p++) {
		if (names_image(*p, img))
			product_ok = true;
		else if (pkg && pkg->purl && purl_matches(*p, pkg->purl))
			product_ok = true;
	}
	if (!product_ok)
		return false;
	if (s->subcomponents) {
		/* subcomponents narrow the statement to those packages */
		for (char **c = s->subcomponents; c && *c; c++)
			if (pkg && pkg->purl && purl_matches(*c, pkg->purl))
				return true;
		return false;
	}
	return true;
}

size_t bh_vex_apply(const struct bh_vex *v, const struct bh_image *img,
		    const struct bh_inventory *inv, struct bh_findings *f)
{
	size_t n = 0;

	for (size_t i = 0; i < v->n; i++) {
		const struct bh_vex_statement *s = &v->v[i];

		if (strcmp(s->status, "not_affected") && strcmp(s->status, "fixed"))
			continue;
		for (size_t j = 0; j < f->n; j++) {
			struct bh_finding *x = &f->v[j];
			const struct bh_package *pkg =
				inv && x->pkg < inv->npkgs ? &inv->pkgs[x->pkg] : NULL;

			if (x->suppressed || !statement_applies(s, img, pkg, x))
				continue;
			suppress(x, "vex",
				 s->justification      ? s->justification
				 : s->impact_statement ? s->impact_statement
						       : s->status);
			n++;
		}
	}
	return n;
}
