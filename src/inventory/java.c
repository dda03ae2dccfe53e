/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Java archives. Recognises *.jar, *.war, *.ear, *.jpi and *.hpi files (zip,
 * read from memory with libarchive) and, inside them:
 *  - META-INF/maven/<group>/<artifact>/pom.properties: one package each
 *    (groupId, artifactId, version), named "group:artifact" as OSV's Maven
 *    ecosystem does;
 *  - else META-INF/MANIFEST.MF: Implementation-Title (or Bundle-SymbolicName)
 *    and Implementation-Version (or Bundle-Version), with
 *    Implementation-Vendor-Id as the group when given;
 *  - else the file name "name-1.2.3.jar";
 *  - nested archives (in WEB-INF/lib/, BOOT-INF/lib/, lib/ ...),
 *    read into memory (bounded) and searched the same way, down to a depth
 *    limit; their path is "outer.war:WEB-INF/lib/inner.jar".
 */
#include <stdlib.h>
#include <string.h>

#include "lazy/archive.h"

#include "internal.h"
#include "banned.h"

#define MAX_SMALL_MEMBER (1u << 20)   /* pom.properties, MANIFEST.MF */
#define MAX_NESTED	 (256u << 20) /* one nested archive */
#define MAX_MEMBERS	 1000000
#define MAX_TOTAL_NESTED (1ull << 30) /* nested bytes read from one top-level archive */

bool inv_java_archive_name(const char *name)
{
	static const char *const ext[] = { ".jar", ".war", ".ear", ".jpi", ".hpi" };
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (n > 4 && !strcasecmp(name + n - 4, ext[i]))
			return true;
	return false;
}

struct jctx {
	const char *top; /* the file's path in the image */
	size_t max_depth;
	uint64_t nested_bytes;
	struct bh_pkglist *out;
	struct bh_error *first; /* the first problem met (reported, not fatal) */
};

/* "key=value" lines (java.util.Properties, the subset pom.properties uses). */
static char *prop(const char *buf, size_t len, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;

		while (p < le && bh_isspace((unsigned char)*p))
			p++;
		if ((size_t)(le - p) > kl && !memcmp(p, key, kl)) {
			const char *v = p + kl;

			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			if (v < le && (*v == '=' || *v == ':'))
				return inv_strdup_trim(v + 1, (size_t)(le - v - 1));
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

/* A MANIFEST.MF main-section attribute (continuation lines start with a space). */
static char *manifest_attr(const char *buf, size_t len, const char *key)
{
	size_t kl = strlen(key);
	struct bh_buf b = BH_BUF_INIT(INV_MAX_VALUE);
	const char *p = buf, *end = buf + len;
	char *v;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		size_t n = (size_t)(le - p);

		if (n && le[-1] == '\r')
			n--;
		if (n == 0)
			break; /* the main section ends */
		if (n > kl + 1 && !strncasecmp(p, key, kl) && p[kl] == ':') {
			bh_buf_add(&b, p + kl + 1, n - kl - 1, NULL);
			p = nl ? nl + 1 : end;
			while (p < end && *p == ' ') {
				nl = memchr(p, '\n', (size_t)(end - p));
				le = nl ? nl : end;
				n = (size_t)(le - p);
				if (n && le[-1] == '\r')
					n--;
				if (bh_buf_add(&b, p + 1, n - 1, NULL) < 0)
					break;
				p = nl ? nl + 1 : end;
			}
			v = b.data ? inv_strdup_trim(b.data, b.len) : NULL;
			bh_buf_release(&b);
			if (v && !inv_value_ok(v, strlen(v))) {
				free(v);
				v = NULL;
			}
			return v;
		}
		p = nl ? nl + 1 : end;
	}
	bh_buf_release(&b);
	return NULL;
}

static void java_pkg(struct jctx *c, const char *path, const char *group, const char *artifact,
		     const char *version)
{
	struct bh_package *pkg;

	if (!artifact || !version || !inv_value_ok(artifact, strlen(artifact)) ||
	    !inv_value_ok(version, strlen(version)) || strchr(artifact, ' ') ||
	    strchr(version, ' ') ||
	    (group && (!inv_value_ok(group, strlen(group)) || strchr(group, ' '))))
		return;
	for (size_t i = 0; i < c->out->n; i++) {
		const struct bh_package *o = &c->out->v[i];
		char *want = group ? bh_asprintf("%s:%s", group, artifact) : bh_strdup(artifact);
		bool dup = o->type == BH_PKG_JAVA && !strcmp(o->name, want) &&
			   !strcmp(o->version, version) && !strcmp(o->path + 1, path);

		free(want);
		if (dup)
			return;
	}
	if (c->out->n >= INV_MAX_PKGS)
		return;
	pkg = bh_pkglist_add(c->out);
	pkg->type = BH_PKG_JAVA;
	pkg->ecosystem = bh_strdup("Maven");
	pkg->name = group ? bh_asprintf("%s:%s", group, artifact) : bh_strdup(artifact);
	pkg->version = bh_strdup(version);
	pkg->path = bh_asprintf("/%s", path[0] == '/' ? path + 1 : path);
	pkg->purl = inv_purl("maven", group, artifact, version, NULL);
}

/* "commons-io-2.11.0.jar" -> ("commons-io", "2.11.0") */
static void from_file_name(struct jctx *c, const char *path)
{
	const char *base = strrchr(path, '/'), *dash = NULL;
	char *name, *version, *dot;

	base = base ? base + 1 : path;
	if (strrchr(base, ':'))
		base = strrchr(base, ':') + 1;
	for (const char *p = base; *p; p++)
		if (*p == '-' && bh_isdigit((unsigned char)p[1])) {
			dash = p;
			break;
		}
	if (!dash)
		return;
	name = bh_strndup(base, (size_t)(dash - base));
	version = bh_strdup(dash + 1);
	dot = strrchr(version, '.');
	if (dot)
		*dot = 0;
	java_pkg(c, path, NULL, name, version);
	free(name);
	free(version);
}

static void note(struct jctx *c, struct bh_error *e)
{
	if (!c->first)
		c->first = e;
	else
		bh_error_free(e);
}

static int read_member(struct archive *a, struct bh_buf *b, uint64_t size, struct bh_error **err)
{
	char tmp[65536];

	bh_buf_reset(b);
	if (size > b->max)
		return bh_error_set(err, BH_ERR_LIMIT, "a %llu-byte member exceeds %zu bytes",
				    (unsigned long long)size, b->max);
	for (;;) {
		la_ssize_t n = archive_read_data(a, tmp, sizeof(tmp));

		if (n < 0)
			return bh_error_set(err, BH_ERR_INVALID, "zip: %s",
					    archive_error_string(a) ? archive_error_string(a)
								    : "?");
		if (n == 0)
			return 0;
		if (bh_buf_add(b, tmp, (size_t)n, err) < 0)
			return -1;
	}
}

static int archive_walk(struct jctx *c, const unsigned char *buf, size_t len, const char *path,
			size_t depth)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct bh_buf small = BH_BUF_INIT(MAX_SMALL_MEMBER), nested = BH_BUF_INIT(MAX_NESTED);
	char *manifest = NULL;
	size_t manifest_len = 0, before = c->out->n, members = 0;
	bool pom = false;
	int rc, r = 0;

	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		struct bh_error *e = NULL;

		bh_error_set(&e, BH_ERR_INVALID, "%s: not a zip archive: %s", path,
			     archive_error_string(a) ? archive_error_string(a) : "?");
		note(c, e);
		r = -1;
		goto out;
	}
	while ((rc = archive_read_next_header(a, &ae)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(ae);
		uint64_t size =
			archive_entry_size_is_set(ae) ? (uint64_t)archive_entry_size(ae) : 0;
		struct bh_error *e = NULL;

		if (++members > MAX_MEMBERS || !name || archive_entry_filetype(ae) != AE_IFREG)
			continue;
		if (bh_str_has_prefix(name, "META-INF/maven/") &&
		    bh_str_has_suffix(name, "/pom.properties")) {
			char *g, *art, *v;

			if (read_member(a, &small, size, &e) < 0) {
				bh_error_prefix(&e, "%s: %s", path, name);
				note(c, e);
				continue;
			}
			g = prop(small.data ? small.data : "", small.len, "groupId");
			art = prop(small.data ? small.data : "", small.len, "artifactId");
			v = prop(small.data ? small.data : "", small.len, "version");
			if (art && v) {
				java_pkg(c, path, g, art, v);
				pom = true;
			}
			free(g);
			free(art);
			free(v);
		} else if (!strcmp(name, "META-INF/MANIFEST.MF") && !manifest) {
			if (read_member(a, &small, size, &e) < 0) {
				bh_error_prefix(&e, "%s: %s", path, name);
				note(c, e);
				continue;
			}
			manifest = bh_buf_detach(&small, &manifest_len);
		} else if (inv_java_archive_name(name)) {
			char *inner;

			if (depth + 1 > c->max_depth) {
				bh_error_set(&e, BH_ERR_LIMIT,
					     "%s: %s: archives nested deeper than %zu are not read",
					     path, name, c->max_depth);
				note(c, e);
				continue;
			}
			if (c->nested_bytes + size > MAX_TOTAL_NESTED ||
			    read_member(a, &nested, size, &e) < 0) {
				if (!e)
					bh_error_set(&e, BH_ERR_LIMIT,
						     "more than %llu bytes of nested archives",
						     (unsigned long long)MAX_TOTAL_NESTED);
				bh_error_prefix(&e, "%s: %s", path, name);
				note(c, e);
				continue;
			}
			c->nested_bytes += nested.len;
			inner = bh_asprintf("%s:%s", path, name);
			{
				/* the nested walk reuses no buffer of ours: hand it a copy */
				size_t n;
				char *copy = bh_buf_detach(&nested, &n);

				archive_walk(c, (const unsigned char *)copy, n, inner, depth + 1);
				free(copy);
			}
			free(inner);
		}
	}
	if (rc != ARCHIVE_EOF) {
		struct bh_error *e = NULL;

		bh_error_set(&e, BH_ERR_INVALID, "%s: zip: %s", path,
			     archive_error_string(a) ? archive_error_string(a) : "?");
		note(c, e);
		if (!members) /* not an archive at all: its name proves nothing */
			goto out;
	}
	if (!pom) {
		size_t had = c->out->n;

		if (manifest) {
			char *title = manifest_attr(manifest, manifest_len, "Implementation-Title");
			char *ver = manifest_attr(manifest, manifest_len, "Implementation-Version");
			char *vendor =
				manifest_attr(manifest, manifest_len, "Implementation-Vendor-Id");

			if (!title) {
				title = manifest_attr(manifest, manifest_len,
						      "Bundle-SymbolicName");
				if (title && strchr(title, ';'))
					*strchr(title, ';') = 0;
			}
			if (!ver)
				ver = manifest_attr(manifest, manifest_len, "Bundle-Version");
			if (title && ver)
				java_pkg(c, path, vendor, title, ver);
			free(title);
			free(ver);
			free(vendor);
		}
		if (c->out->n == had)
			from_file_name(c, path);
	}
	(void)before;
out:
	free(manifest);
	bh_buf_release(&small);
	bh_buf_release(&nested);
	archive_read_free(a);
	return r;
}

int bh_inventory_parse_java_archive(const unsigned char *buf, size_t len, const char *path,
				    size_t max_depth, struct bh_pkglist *out, struct bh_error **err)
{
	struct jctx c = { .top = path, .max_depth = max_depth, .out = out };
	archive_walk(&c, buf, len, path, 0);
	if (c.first) {
		/* what was found stands; the first problem is reported */
		if (err && !*err)
			*err = c.first;
		else
			bh_error_free(c.first);
		return -1;
	}
	return 0;
}

/* ---- the cataloger ---------------------------------------------------------- */

static bool java_match(const struct inv_path *p)
{
	return inv_java_archive_name(p->base);
}

static int java_parse(const struct inv_input *in, const char *buf, size_t len, struct inv_doc *d,
		      struct bh_error **err)
{
	return bh_inventory_parse_java_archive((const unsigned char *)buf, len, in->path,
					       in->o->max_archive_depth, &d->pkgs, err);
}

const struct inv_cataloger inv_cat_java = {
	.name = "java",
	.flags = INV_CAT_ARCHIVE,
	.match = java_match,
	.parse = java_parse,
};
