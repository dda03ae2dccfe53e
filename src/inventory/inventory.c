/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inventory: one walk over the image's layers in which every cataloger
 * reads the files it recognises (see include/bulkhead/inventory.h for the
 * list; nothing else is read), then a resolution against the merged view:
 *
 *   walk (per layer, in parallel)   each recognised file -> a "doc": its
 *                                   path, layer and parsed packages
 *   merged view                     which doc of each path is live at the end
 *                                   (a later layer rewrote it, whited it out,
 *                                   or hid it behind an opaque directory)
 *   packages                        those of live docs; the OS from the best
 *                                   live release file; npm lockfile entries
 *                                   dropped where a package.json is installed
 *   layers                          each package's layer: the earliest layer
 *                                   from which its name+version was present
 *                                   without a break up to its live doc
 *   ids and dependencies            stable ids; depends names -> ids
 *
 * Per-layer state is touched only by that layer's worker thread.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/inventory.h"
#include "internal.h"
#include "banned.h"

#define DEF_MAX_MANIFEST (64u << 20)
#define DEF_MAX_DEPTH	 4
#define DEF_MAX_ARCHIVE	 (256ull << 20)
#define DEF_MAX_BINARY	 (256ull << 20)
#define GO_SNIFF	 (16u * 1024)
#define KEEP_BUF	 (8u << 20) /* buffers larger than this are freed after use */
#define GO_STREAM_INFO	 (4u << 20) /* build info kept from a binary too large to hold */

/* ---- packages and lists ---------------------------------------------------- */

struct bh_package *bh_pkglist_add(struct bh_pkglist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = bh_reallocarray(l->v, l->cap, sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

void bh_package_release(struct bh_package *p)
{
	if (!p)
		return;
	free(p->ecosystem);
	free(p->name);
	free(p->version);
	free(p->source_name);
	free(p->source_version);
	free(p->arch);
	free(p->purl);
	inv_strv_free(p->licenses);
	free(p->path);
	free(p->id);
	inv_strv_free(p->depends);
	inv_strv_free(p->provides);
	free(p->install_path);
	memset(p, 0, sizeof(*p));
}

void bh_pkglist_release(struct bh_pkglist *l)
{
	for (size_t i = 0; i < l->n; i++)
		bh_package_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const char *bh_pkg_type_name(enum bh_pkg_type t)
{
	switch (t) {
	case BH_PKG_DPKG: return "dpkg";
	case BH_PKG_APK: return "apk";
	case BH_PKG_RPM: return "rpm";
	case BH_PKG_NPM: return "npm";
	case BH_PKG_PYTHON: return "python";
	case BH_PKG_GO: return "go-module";
	case BH_PKG_GO_STDLIB: return "go-stdlib";
	case BH_PKG_JAVA: return "java";
	}
	return "unknown";
}

const char *bh_pkg_purl_type(enum bh_pkg_type t)
{
	switch (t) {
	case BH_PKG_DPKG: return "deb";
	case BH_PKG_APK: return "apk";
	case BH_PKG_RPM: return "rpm";
	case BH_PKG_NPM: return "npm";
	case BH_PKG_PYTHON: return "pypi";
	case BH_PKG_GO:
	case BH_PKG_GO_STDLIB: return "golang";
	case BH_PKG_JAVA: return "maven";
	}
	return "generic";
}

void bh_inventory_free(struct bh_inventory *inv)
{
	if (!inv)
		return;
	bh_os_release(&inv->os);
	for (size_t i = 0; i < inv->npkgs; i++)
		bh_package_release(&inv->pkgs[i]);
	free(inv->pkgs);
	inv_strv_free(inv->warnings);
	free(inv);
}

/* ---- what the catalogers recognise ----------------------------------------- */

enum kind { K_NONE, K_OS, K_DPKG, K_APK, K_RPM, K_NPM_PKG, K_NPM_LOCK, K_PYTHON, K_GO, K_JAVA };

struct doc {
	char *path; /* relative, no leading "/" */
	unsigned layer;
	size_t seq; /* archive order within the layer */
	enum kind kind;
	enum inv_os_file osfile;
	struct bh_os os;
	struct bh_pkglist pkgs;
	char *warning;
	bool live;
	struct bh_map *keys; /* name\0version\0arch -> 1, built when needed */
};

struct layer_state {
	struct doc *docs;
	size_t ndocs, cap;
	struct bh_buf small; /* manifests */
	struct bh_buf big;   /* archives and binaries */
};

struct bh_inventory_collector {
	struct bh_image *img;
	struct bh_inventory_opts o;
	struct layer_state *layers;
	struct bh_consumer consumer;
};

static bool suffix_dir(const char *path, size_t dirlen, const char *suffix)
{
	size_t n = strlen(suffix);

	return dirlen >= n && !memcmp(path + dirlen - n, suffix, n);
}

/* The component before `end` (exclusive) in path: [*s, end). */
static const char *prev_component(const char *path, const char *end)
{
	const char *p = end;

	while (p > path && p[-1] != '/')
		p--;
	return p;
}

static bool in_node_modules(const char *path)
{
	return bh_str_has_prefix(path, "node_modules/") || strstr(path, "/node_modules/");
}

static enum kind classify(const struct bh_entry *e, enum inv_os_file *osfile)
{
	const char *path = e->path, *base = strrchr(path, '/');
	size_t dirlen = base ? (size_t)(base - path) : 0;

	base = base ? base + 1 : path;
	switch (base[0]) {
	case 'o':
		if (!strcmp(path, "etc/os-release") || !strcmp(path, "usr/lib/os-release")) {
			*osfile = INV_OS_RELEASE;
			return K_OS;
		}
		break;
	case 'a':
		if (!strcmp(path, "etc/alpine-release")) {
			*osfile = INV_OS_ALPINE;
			return K_OS;
		}
		break;
	case 'd':
		if (!strcmp(path, "etc/debian_version")) {
			*osfile = INV_OS_DEBIAN;
			return K_OS;
		}
		break;
	case 'r':
		if (!strcmp(path, "etc/redhat-release")) {
			*osfile = INV_OS_REDHAT;
			return K_OS;
		}
		if (!strcmp(base, "rpmdb.sqlite") &&
		    (!strcmp(path, "var/lib/rpm/rpmdb.sqlite") ||
		     !strcmp(path, "usr/lib/sysimage/rpm/rpmdb.sqlite")))
			return K_RPM;
		break;
	case 's':
		if (!strcmp(path, "var/lib/dpkg/status"))
			return K_DPKG;
		break;
	case 'i':
		if (!strcmp(path, "lib/apk/db/installed"))
			return K_APK;
		break;
	case 'P':
		if ((!strcmp(base, "Packages") || !strcmp(base, "Packages.db")) &&
		    ((dirlen == 11 && !memcmp(path, "var/lib/rpm", 11)) ||
		     (dirlen == 20 && !memcmp(path, "usr/lib/sysimage/rpm", 20))))
			return K_RPM;
		if (!strcmp(base, "PKG-INFO") && suffix_dir(path, dirlen, ".egg-info"))
			return K_PYTHON;
		break;
	case 'M':
		if (!strcmp(base, "METADATA") && suffix_dir(path, dirlen, ".dist-info"))
			return K_PYTHON;
		break;
	case 'p':
		if (!strcmp(base, "package.json") && dirlen) {
			/* .../node_modules/<name>/package.json,
			 * .../node_modules/@s/<name>/package.json */
			const char *name = prev_component(path, path + dirlen), *parent;

			if (name == path)
				break;
			parent = prev_component(path, name - 1);
			if ((size_t)(name - 1 - parent) == 12 &&
			    !memcmp(parent, "node_modules", 12))
				return K_NPM_PKG;
			if (*parent == '@' && parent > path) {
				const char *gp = prev_component(path, parent - 1);

				if ((size_t)(parent - 1 - gp) == 12 &&
				    !memcmp(gp, "node_modules", 12))
					return K_NPM_PKG;
			}
			break;
		}
		if (!strcmp(base, "package-lock.json") && !in_node_modules(path))
			return K_NPM_LOCK;
		break;
	case 'n':
		if (!strcmp(base, "npm-shrinkwrap.json") && !in_node_modules(path))
			return K_NPM_LOCK;
		break;
	default: break;
	}
	if (dirlen == 21 && !memcmp(path, "var/lib/dpkg/status.d", 21) &&
	    !bh_str_has_suffix(base, ".md5sums") && base[0] != '.')
		return K_DPKG;
	if (bh_str_has_suffix(base, ".egg-info"))
		return K_PYTHON;
	if (inv_java_archive_name(base))
		return K_JAVA;
	if ((e->mode & 0111) && e->size >= 64)
		return K_GO;
	return K_NONE;
}

/* ---- the walk --------------------------------------------------------------- */

static struct doc *new_doc(struct layer_state *ls, const struct bh_entry *e, enum kind k)
{
	struct doc *d;

	if (ls->ndocs == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 32;
		ls->docs = bh_reallocarray(ls->docs, ls->cap, sizeof(*ls->docs));
	}
	d = &ls->docs[ls->ndocs];
	memset(d, 0, sizeof(*d));
	d->path = bh_strdup(e->path);
	d->layer = e->layer;
	d->seq = ls->ndocs++;
	d->kind = k;
	return d;
}

static void doc_warn(struct doc *d, struct bh_error *e)
{
	char *m = bh_error_message(e);

	if (!d->warning)
		d->warning = m;
	else
		free(m);
	bh_error_free(e);
}

/* A read error that is about this file (too large) rather than the layer. */
static bool file_problem(const struct bh_error *e)
{
	return bh_error_code(e) == BH_ERR_LIMIT;
}

static void shrink(struct bh_buf *b)
{
	if (b->cap > KEEP_BUF)
		bh_buf_release(b);
	else
		bh_buf_reset(b);
}

/*
 * A Go binary too large to hold: scan its writable segment as it streams for
 * the build info magic (16-byte aligned) and parse the inline (Go >= 1.18)
 * build info that follows it.
 */
static int stream_go(struct bh_inventory_collector *iv, struct layer_state *ls, struct doc *d,
		     const struct bh_entry *e, struct bh_entry_reader *r, const unsigned char *head,
		     size_t got, struct bh_error **err)
{
	static const char magic[] = "\xff Go buildinf:";
	struct bh_buf *b = &ls->big;
	struct bh_error *pe = NULL;
	uint64_t doff, dsize, pos = 0; /* pos: the file offset of b->data[0] */
	bool found = false;

	if (!inv_go_data_range(head, got, &doff, &dsize)) {
		bh_error_set(&pe, BH_ERR_LIMIT,
			     "/%s: a %llu-byte Go binary exceeds the limit of %llu bytes and its "
			     "headers do not show its data: its modules are not listed",
			     e->path, (unsigned long long)e->size,
			     (unsigned long long)iv->o.max_binary_size);
		doc_warn(d, pe);
		return 0;
	}
	bh_buf_reset(b);
	if (bh_buf_add(b, head, got, err) < 0)
		return -1;
	for (;;) {
		size_t scan_end = b->len, keep;
		ssize_t n;

		/* aligned candidates fully inside what we hold and inside the segment */
		for (uint64_t off = (pos + 15) & ~15ull; off + 32 <= pos + scan_end; off += 16) {
			if (off < doff)
				continue;
			if (off >= doff + dsize)
				break;
			if (!memcmp(b->data + (off - pos), magic, 14)) {
				memmove(b->data, b->data + (off - pos),
					(size_t)(pos + b->len - off));
				b->len = (size_t)(pos + b->len - off);
				pos = off;
				found = true;
				break;
			}
		}
		if (found || pos + b->len >= doff + dsize)
			break;
		/* keep the last 32 bytes (a magic may straddle), read on */
		keep = b->len < 32 ? b->len : 32;
		memmove(b->data, b->data + b->len - keep, keep);
		pos += b->len - keep;
		b->len = keep;
		if (bh_buf_grow(b, 256 * 1024, err) < 0)
			return -1;
		n = bh_entry_read(r, b->data + b->len, 256 * 1024, err);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	if (found) {
		/* the build info and the module info after it: a few MiB at most */
		while (b->len < GO_STREAM_INFO) {
			ssize_t n;

			if (bh_buf_grow(b, 256 * 1024, err) < 0)
				return -1;
			n = bh_entry_read(r, b->data + b->len, 256 * 1024, err);
			if (n < 0)
				return -1;
			if (n == 0)
				break;
			b->len += (size_t)n;
		}
		char *shown = bh_asprintf("/%s", e->path);

		if (inv_go_buildinfo_blob((const unsigned char *)b->data, b->len, shown, &d->pkgs,
					  &pe) < 0)
			doc_warn(d, pe);
		free(shown);
	} else {
		bh_debug("/%s: a large Go binary without build info in its data segment", e->path);
	}
	shrink(b);
	return 0;
}

static int read_go(struct bh_inventory_collector *iv, struct layer_state *ls,
		   const struct bh_entry *e, struct bh_entry_reader *r, struct bh_error **err)
{
	struct bh_buf *b = &ls->big;
	struct bh_error *pe = NULL;
	struct doc *d;
	char tmp[GO_SNIFF], *shown;
	size_t got = 0;
	int pr;

	/* the start: the ELF magic, headers and (in Go binaries) the build ID note */
	while (got < sizeof(tmp)) {
		ssize_t n = bh_entry_read(r, tmp + got, sizeof(tmp) - got, err);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
		if (got >= 4 && memcmp(tmp,
				       "\x7f"
				       "ELF",
				       4))
			return 0;
	}
	if (got < 64 || !inv_go_sniff((const unsigned char *)tmp, got))
		return 0;
	d = new_doc(ls, e, K_GO);
	if (e->size > iv->o.max_binary_size)
		return stream_go(iv, ls, d, e, r, (const unsigned char *)tmp, got, err);
	bh_buf_reset(b);
	if (bh_buf_add(b, tmp, got, err) < 0 || bh_entry_read_all(r, b, &pe) < 0) {
		if (pe && !file_problem(pe)) {
			*err = pe;
			return -1;
		}
		doc_warn(d, pe);
		shrink(b);
		return 0;
	}
	shown = bh_asprintf("/%s", e->path);
	pr = bh_parse_go_buildinfo((const unsigned char *)b->data, b->len, shown, &d->pkgs, &pe);
	free(shown);
	if (pr < 0) {
		if (bh_error_code(pe) == BH_ERR_NOTFOUND) {
			bh_debug("/%s: a Go binary without build info", e->path);
			bh_error_free(pe);
		} else {
			doc_warn(d, pe);
		}
	}
	shrink(b);
	return 0;
}

static int parse_doc(struct bh_inventory_collector *iv, struct doc *d, const char *buf, size_t len,
		     struct bh_error **pe)
{
	const unsigned char *ub = (const unsigned char *)buf;
	char *path = bh_asprintf("/%s", d->path); /* as users see it, in messages too */
	int r = 0;

	switch (d->kind) {
	case K_OS: r = inv_parse_release_file(d->osfile, buf, len, path, &d->os, pe); break;
	case K_DPKG: r = bh_parse_dpkg_status(buf, len, path, &d->pkgs, pe); break;
	case K_APK: r = bh_parse_apk_installed(buf, len, path, &d->pkgs, pe); break;
	case K_RPM: r = bh_parse_rpm_db(ub, len, path, &d->pkgs, pe); break;
	case K_NPM_PKG: r = bh_parse_npm_package_json(buf, len, path, &d->pkgs, pe); break;
	case K_NPM_LOCK: r = bh_parse_npm_lockfile(buf, len, path, &d->pkgs, pe); break;
	case K_PYTHON: r = bh_parse_python_metadata(buf, len, path, &d->pkgs, pe); break;
	case K_JAVA:
		r = bh_parse_java_archive(ub, len, path, iv->o.max_archive_depth, &d->pkgs, pe);
		break;
	default: break;
	}
	free(path);
	return r;
}

static int on_entry(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
		    struct bh_error **err)
{
	struct bh_inventory_collector *iv = data;
	struct layer_state *ls = &iv->layers[e->layer];
	enum inv_os_file osfile = 0;
	struct bh_error *pe = NULL;
	struct bh_buf *b;
	struct doc *d;
	enum kind k;

	if (e->type != BH_FT_REG)
		return 0;
	k = classify(e, &osfile);
	if (k == K_NONE)
		return 0;
	if (k == K_GO)
		return read_go(iv, ls, e, r, err);
	d = new_doc(ls, e, k);
	d->osfile = osfile;
	b = k == K_JAVA ? &ls->big : &ls->small;
	if (k == K_JAVA && e->size > iv->o.max_archive_size) {
		bh_error_set(&pe, BH_ERR_LIMIT,
			     "/%s: a %llu-byte archive exceeds the limit of %llu "
			     "bytes: not read",
			     e->path, (unsigned long long)e->size,
			     (unsigned long long)iv->o.max_archive_size);
		doc_warn(d, pe);
		return 0;
	}
	bh_buf_reset(b);
	if (bh_entry_read_all(r, b, &pe) < 0) {
		if (!file_problem(pe)) {
			*err = pe;
			return -1;
		}
		bh_error_prefix(&pe, "/%s", e->path);
		doc_warn(d, pe);
		shrink(b);
		return 0;
	}
	if (parse_doc(iv, d, b->data ? b->data : "", b->len, &pe) < 0)
		doc_warn(d, pe);
	shrink(b);
	return 0;
}

/* ---- the merged view -------------------------------------------------------- */

static int cmp_file_path(const void *key, const void *f)
{
	return strcmp(key, ((const struct bh_file *)f)->path);
}

/* Which doc of each path is in the final filesystem (fs NULL: all of them,
 * a single layer). */
static void mark_live(struct bh_inventory_collector *iv, const struct bh_fileset *fs)
{
	struct bh_image *img = iv->img;

	for (size_t i = 0; i < img->nlayers; i++) {
		struct layer_state *ls = &iv->layers[i];
		struct bh_map *last = bh_map_new(); /* path -> its last doc in this layer */

		for (size_t j = 0; j < ls->ndocs; j++)
			bh_map_put(last, ls->docs[j].path, strlen(ls->docs[j].path), &ls->docs[j]);
		for (size_t j = 0; j < ls->ndocs; j++) {
			struct doc *d = &ls->docs[j];
			const struct bh_file *f;

			if (!fs) {
				d->live = true;
			} else {
				f = bsearch(d->path, fs->files, fs->nfiles, sizeof(*fs->files),
					    cmp_file_path);
				d->live = f && f->layer == d->layer && f->type == BH_FT_REG;
			}
			/* the same path twice in one layer: the later one stands */
			if (bh_map_get(last, d->path, strlen(d->path)) != d)
				d->live = false;
		}
		bh_map_free(last, NULL);
	}
}

/* ---- resolution --------------------------------------------------------------- */

struct cand {
	struct bh_package p;
	struct doc *doc;
	size_t group;
};

struct clist {
	struct cand *v;
	size_t n, cap;
};

static struct cand *cand_add(struct clist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = bh_reallocarray(l->v, l->cap, sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

static bool os_kind(enum kind k)
{
	return k == K_DPKG || k == K_APK || k == K_RPM;
}

static char *pkg_key(const struct bh_package *p)
{
	return bh_asprintf("%s%c%s%c%s", p->name, 0, p->version, 0, p->arch ? p->arch : "");
}

static size_t key_len(const struct bh_package *p)
{
	return strlen(p->name) + 1 + strlen(p->version) + 1 + (p->arch ? strlen(p->arch) : 0);
}

static bool doc_has(struct doc *d, const char *key, size_t len)
{
	if (!d->keys) {
		d->keys = bh_map_new();
		for (size_t i = 0; i < d->pkgs.n; i++) {
			char *k = pkg_key(&d->pkgs.v[i]);

			bh_map_put(d->keys, k, key_len(&d->pkgs.v[i]), (void *)1);
			free(k);
		}
	}
	return bh_map_get(d->keys, key, len) != NULL;
}

/* All docs of all layers, in layer then archive order. */
struct alldocs {
	struct doc **v;
	size_t n;
};

/* The docs of one attribution group, in layer then archive order. */
struct group {
	struct doc **v;
	size_t n, cap;
};

/* The group key of a doc: one group per OS database kind, else per path. */
static char *group_key(const struct doc *d)
{
	if (os_kind(d->kind))
		return bh_asprintf("#%d", (int)d->kind);
	return bh_asprintf("%d|%s", (int)d->kind, d->path);
}

/*
 * Whether the package (key) was present, as of layer `l`, in group g: in the
 * latest version (layer <= l) of some path of the group.
 */
static bool present_at(struct group *g, unsigned l, const char *key, size_t klen)
{
	for (size_t i = 0; i < g->n; i++) {
		struct doc *d = g->v[i];
		bool latest = d->layer <= l;

		for (size_t j = i + 1; latest && j < g->n && g->v[j]->layer <= l; j++)
			if (!strcmp(g->v[j]->path, d->path))
				latest = false;
		if (latest && doc_has(d, key, klen))
			return true;
	}
	return false;
}

static unsigned first_layer(struct group *g, struct cand *c)
{
	unsigned layer = c->doc->layer;
	char *key;
	size_t klen;

	if (g->n < 2)
		return layer;
	key = pkg_key(&c->p);
	klen = key_len(&c->p);
	while (layer > 0) {
		/* the next lower layer in which the group changed */
		bool found = false;
		unsigned prev = 0;

		for (size_t i = 0; i < g->n; i++)
			if (g->v[i]->layer < layer && (!found || g->v[i]->layer > prev)) {
				prev = g->v[i]->layer;
				found = true;
			}
		if (!found || !present_at(g, prev, key, klen))
			break;
		layer = prev;
	}
	free(key);
	return layer;
}

static const char *fallback_ecosystem(enum bh_pkg_type t)
{
	switch (t) {
	case BH_PKG_DPKG: return "Debian";
	case BH_PKG_APK: return "Alpine";
	case BH_PKG_RPM: return "Red Hat";
	default: return NULL;
	}
}

static int cmp_pkg(const void *a, const void *b)
{
	const struct bh_package *x = a, *y = b;
	int c;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if ((c = strcmp(x->ecosystem ? x->ecosystem : "", y->ecosystem ? y->ecosystem : "")))
		return c;
	if ((c = strcmp(x->name, y->name)))
		return c;
	if ((c = strcmp(x->version, y->version)))
		return c;
	if ((c = strcmp(x->path, y->path)))
		return c;
	return strcmp(x->arch ? x->arch : "", y->arch ? y->arch : "");
}

/* "Name 1.2+x" -> "Name-1.2-x": the characters an SPDXID allows. */
static void sanitize(struct bh_buf *b, const char *s)
{
	for (; *s && b->len < 120; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-';

		bh_buf_addc(b, ok ? c : '-', NULL);
	}
}

static void assign_ids(struct bh_inventory *inv)
{
	struct bh_map *seen = bh_map_new();

	for (size_t i = 0; i < inv->npkgs; i++) {
		struct bh_package *p = &inv->pkgs[i];
		struct bh_buf b = BH_BUF_INIT(1024);
		struct bh_digest d;
		char *what = bh_asprintf("%d|%s|%s|%s|%s", (int)p->type, p->name, p->version,
					 p->arch ? p->arch : "", p->path);

		bh_sha256(what, strlen(what), &d);
		free(what);
		bh_buf_addf(&b, NULL, "%s-", bh_pkg_type_name(p->type));
		sanitize(&b, p->name);
		bh_buf_addc(&b, '-', NULL);
		sanitize(&b, p->version);
		bh_buf_addf(&b, NULL, "-%.12s", bh_digest_hex(&d));
		for (int n = 2; bh_map_get(seen, b.data, b.len); n++)
			bh_buf_addf(&b, NULL, "-%d", n);
		bh_map_put(seen, b.data, b.len, (void *)1);
		p->id = bh_buf_detach(&b, NULL);
	}
	bh_map_free(seen, NULL);
}

/* The directory an npm package is installed in ("app/node_modules/a"), new string. */
static char *npm_dir(const struct bh_package *p)
{
	const char *path = p->path + 1;

	if (p->install_path) {
		const char *slash = strrchr(path, '/');

		return slash ? bh_asprintf("%.*s/%s", (int)(slash - path), path, p->install_path)
			     : bh_strdup(p->install_path);
	}
	return bh_strndup(path, strlen(path) - strlen("/package.json"));
}

static void put_id(struct bh_map *m, const char *key, const char *id)
{
	if (!bh_map_get(m, key, strlen(key)))
		bh_map_put(m, key, strlen(key), (void *)id);
}

/* Resolve each package's depends (names) into ids. */
/* The length of the scope of a Python package's name: the site directory
 * holding its .dist-info (or .egg-info) metadata. */
static int python_scope(const char *path)
{
	const char *meta = strrchr(path, '/');
	const char *dist = meta ? prev_component(path, meta) : path;

	if (bh_str_has_suffix(path, ".egg-info"))
		return meta ? (int)(meta - path) : 0;
	return (int)(dist > path ? dist - path - 1 : 0);
}

static void resolve_depends(struct bh_inventory *inv)
{
	struct bh_map *names = bh_map_new(); /* "type|scope|name" -> id */

	for (size_t i = 0; i < inv->npkgs; i++) {
		struct bh_package *p = &inv->pkgs[i];
		char *k;

		switch (p->type) {
		case BH_PKG_DPKG:
		case BH_PKG_APK:
		case BH_PKG_RPM:
			k = bh_asprintf("%d||%s", (int)p->type, p->name);
			put_id(names, k, p->id);
			free(k);
			for (size_t j = 0; p->provides && p->provides[j]; j++) {
				k = bh_asprintf("%d||%s", (int)p->type, p->provides[j]);
				put_id(names, k, p->id);
				free(k);
			}
			break;
		case BH_PKG_NPM: {
			char *dir = npm_dir(p);

			k = bh_asprintf("%d|%s", (int)p->type, dir);
			put_id(names, k, p->id);
			free(k);
			free(dir);
			break;
		}
		case BH_PKG_PYTHON: {
			int scope = python_scope(p->path);

			k = bh_asprintf("%d|%.*s|%s", (int)p->type, scope, p->path, p->name);
			put_id(names, k, p->id);
			free(k);
			break;
		}
		case BH_PKG_GO:
		case BH_PKG_GO_STDLIB:
			k = bh_asprintf("%d|%s|%s", (int)BH_PKG_GO, p->path, p->name);
			put_id(names, k, p->id);
			free(k);
			break;
		default: break;
		}
	}
	for (size_t i = 0; i < inv->npkgs; i++) {
		struct bh_package *p = &inv->pkgs[i];
		char **ids = NULL;

		for (size_t j = 0; p->depends && p->depends[j]; j++) {
			const char *dep = p->depends[j], *id = NULL;
			char *k = NULL;

			switch (p->type) {
			case BH_PKG_DPKG:
			case BH_PKG_APK:
			case BH_PKG_RPM:
				k = bh_asprintf("%d||%s", (int)p->type, dep);
				id = bh_map_get(names, k, strlen(k));
				break;
			case BH_PKG_NPM: {
				/* node's resolution: the nearest node_modules/<dep> upwards */
				char *dir = npm_dir(p);
				size_t len = strlen(dir);

				for (;;) {
					free(k);
					k = bh_asprintf("%d|%.*s%snode_modules/%s", (int)p->type,
							(int)len, dir, len ? "/" : "", dep);
					id = bh_map_get(names, k, strlen(k));
					if (id || len == 0)
						break;
					/* up one package: drop "<name>" (and "@scope") and
					 * "node_modules" */
					while (len && dir[len - 1] != '/')
						len--;
					len = len ? len - 1 : 0;
					if (len >= 12 &&
					    !memcmp(dir + len - 12, "node_modules", 12) &&
					    (len == 12 || dir[len - 13] == '/')) {
						len -= 12;
						len = len ? len - 1 : 0;
					} else if (len) {
						/* "@scope/name": one more component */
						size_t s = len;

						while (s && dir[s - 1] != '/')
							s--;
						if (dir[s] == '@') {
							len = s ? s - 1 : 0;
							if (len >= 12 &&
							    !memcmp(dir + len - 12, "node_modules",
								    12)) {
								len -= 12;
								len = len ? len - 1 : 0;
							}
						}
					}
				}
				free(dir);
				break;
			}
			case BH_PKG_PYTHON: {
				int scope = python_scope(p->path);

				k = bh_asprintf("%d|%.*s|%s", (int)p->type, scope, p->path, dep);
				id = bh_map_get(names, k, strlen(k));
				break;
			}
			case BH_PKG_GO:
				k = bh_asprintf("%d|%s|%s", (int)BH_PKG_GO, p->path, dep);
				id = bh_map_get(names, k, strlen(k));
				break;
			default: break;
			}
			free(k);
			if (id && strcmp(id, p->id) && !inv_strv_has(ids, id))
				inv_strv_add(&ids, id);
		}
		inv_strv_free(p->depends);
		p->depends = ids;
	}
	bh_map_free(names, NULL);
}

static void warn(struct bh_inventory *inv, const char *msg)
{
	if (!inv_strv_has(inv->warnings, msg))
		inv_strv_add(&inv->warnings, msg);
}

static int resolve(struct bh_inventory_collector *iv, struct bh_inventory *inv,
		   struct bh_error **err)
{
	struct bh_image *img = iv->img;
	struct alldocs all = { 0 };
	struct clist cl = { 0 };
	struct bh_map *installed = bh_map_new(); /* npm install dirs -> cand index + 1 */
	struct bh_map *gmap = bh_map_new();	 /* group key -> group index + 1 */
	struct group *groups = NULL;
	size_t ngroups = 0, *doc_group;
	struct doc *best_os = NULL;
	size_t k = 0;

	for (size_t i = 0; i < img->nlayers; i++)
		all.n += iv->layers[i].ndocs;
	all.v = bh_calloc(all.n + 1, sizeof(*all.v));
	doc_group = bh_calloc(all.n + 1, sizeof(*doc_group));
	for (size_t i = 0, n = 0; i < img->nlayers; i++)
		for (size_t j = 0; j < iv->layers[i].ndocs; j++)
			all.v[n++] = &iv->layers[i].docs[j];

	/* attribution groups; the package keys of every doc in a group of two or more */
	for (size_t i = 0; i < all.n; i++) {
		char *key = group_key(all.v[i]);
		size_t gi = (size_t)(uintptr_t)bh_map_get(gmap, key, strlen(key));
		struct group *g;

		if (!gi) {
			groups = bh_reallocarray(groups, ngroups + 1, sizeof(*groups));
			memset(&groups[ngroups], 0, sizeof(*groups));
			gi = ++ngroups;
			bh_map_put(gmap, key, strlen(key), (void *)(uintptr_t)gi);
		}
		free(key);
		g = &groups[gi - 1];
		if (g->n == g->cap) {
			g->cap = g->cap ? g->cap * 2 : 4;
			g->v = bh_reallocarray(g->v, g->cap, sizeof(*g->v));
		}
		g->v[g->n++] = all.v[i];
		doc_group[i] = gi - 1;
	}
	for (size_t i = 0; i < ngroups; i++)
		for (size_t j = 0; groups[i].n > 1 && j < groups[i].n; j++)
			doc_has(groups[i].v[j], "", 0);

	/* the OS: the live release file of highest preference */
	for (size_t i = 0; i < all.n; i++) {
		struct doc *d = all.v[i];
		static const char *const order[] = { "etc/os-release", "usr/lib/os-release",
						     "etc/alpine-release", "etc/debian_version",
						     "etc/redhat-release" };
		size_t rank = 0, brank = 0;

		if (d->kind != K_OS || !d->live || !d->os.id)
			continue;
		for (size_t r = 0; r < 5; r++) {
			if (!strcmp(d->path, order[r]))
				rank = r;
			if (best_os && !strcmp(best_os->path, order[r]))
				brank = r;
		}
		if (!best_os || rank < brank)
			best_os = d;
	}
	if (best_os) {
		inv->os = best_os->os;
		memset(&best_os->os, 0, sizeof(best_os->os));
	}

	/* the packages of live docs */
	for (size_t i = 0; i < all.n; i++) {
		struct doc *d = all.v[i];

		if (!d->live)
			continue;
		if (d->warning)
			warn(inv, d->warning);
		if (d->kind == K_OS)
			continue;
		for (size_t j = 0; j < d->pkgs.n; j++) {
			struct cand *c = cand_add(&cl);

			c->p = d->pkgs.v[j];
			memset(&d->pkgs.v[j], 0, sizeof(d->pkgs.v[j]));
			c->doc = d;
			c->group = doc_group[i];
			if (d->kind == K_NPM_PKG) {
				char *dir = npm_dir(&c->p);

				bh_map_put(installed, dir, strlen(dir), (void *)(uintptr_t)cl.n);
				free(dir);
			}
		}
		d->pkgs.n = 0;
	}
	/* npm lockfile entries where nothing is installed; dev flags onto installed ones */
	for (size_t i = 0; i < cl.n; i++) {
		struct cand *c = &cl.v[i];
		char *dir;
		uintptr_t at;

		if (c->doc->kind != K_NPM_LOCK)
			continue;
		dir = npm_dir(&c->p);
		at = (uintptr_t)bh_map_get(installed, dir, strlen(dir));
		free(dir);
		if (at) {
			if (c->p.dev)
				cl.v[at - 1].p.dev = true;
			bh_package_release(&c->p);
		}
	}
	for (size_t i = 0; i < cl.n; i++) {
		struct cand *c = &cl.v[i];

		if (!c->p.name)
			continue;
		c->p.layer = first_layer(&groups[c->group], c);
		if (os_kind(c->doc->kind)) {
			const char *eco = inv->os.ecosystem;

			free(c->p.ecosystem);
			c->p.ecosystem = bh_strdup(eco ? eco : fallback_ecosystem(c->p.type));
			free(c->p.purl);
			c->p.purl = inv_os_purl(&c->p, best_os ? &inv->os : NULL);
		}
		free(c->p.install_path);
		c->p.install_path = NULL;
	}
	/* the final list, sorted, without exact duplicates */
	inv->pkgs = bh_calloc(cl.n + 1, sizeof(*inv->pkgs));
	for (size_t i = 0; i < cl.n; i++)
		if (cl.v[i].p.name)
			inv->pkgs[k++] = cl.v[i].p;
	qsort(inv->pkgs, k, sizeof(*inv->pkgs), cmp_pkg);
	inv->npkgs = 0;
	for (size_t i = 0; i < k; i++) {
		if (inv->npkgs && !cmp_pkg(&inv->pkgs[inv->npkgs - 1], &inv->pkgs[i])) {
			struct bh_package *prev = &inv->pkgs[inv->npkgs - 1];

			if (inv->pkgs[i].layer < prev->layer)
				prev->layer = inv->pkgs[i].layer;
			bh_package_release(&inv->pkgs[i]);
			continue;
		}
		inv->pkgs[inv->npkgs++] = inv->pkgs[i];
	}
	assign_ids(inv);
	resolve_depends(inv);
	{
		bool os_pkgs = false;

		for (size_t i = 0; i < inv->npkgs; i++)
			os_pkgs |= inv->pkgs[i].type <= BH_PKG_RPM;
		if (os_pkgs && !inv->os.ecosystem)
			warn(inv, "the operating system was not identified (no usable "
				  "/etc/os-release): OS packages carry a generic ecosystem");
	}
	for (size_t i = 0; i < ngroups; i++)
		free(groups[i].v);
	free(groups);
	free(doc_group);
	free(cl.v);
	free(all.v);
	bh_map_free(installed, NULL);
	bh_map_free(gmap, NULL);
	(void)err;
	return 0;
}

/* ---- the entry points -------------------------------------------------------- */

struct bh_inventory_collector *bh_inventory_collector_new(struct bh_image *img,
							  const struct bh_inventory_opts *opts)
{
	struct bh_inventory_collector *iv = bh_calloc(1, sizeof(*iv));

	iv->img = img;
	if (opts)
		iv->o = *opts;
	if (!iv->o.max_manifest)
		iv->o.max_manifest = DEF_MAX_MANIFEST;
	if (!iv->o.max_archive_depth)
		iv->o.max_archive_depth = DEF_MAX_DEPTH;
	if (!iv->o.max_archive_size)
		iv->o.max_archive_size = DEF_MAX_ARCHIVE;
	if (!iv->o.max_binary_size)
		iv->o.max_binary_size = DEF_MAX_BINARY;
	iv->layers = bh_calloc(img->nlayers + 1, sizeof(*iv->layers));
	for (size_t i = 0; i < img->nlayers; i++) {
		bh_buf_init(&iv->layers[i].small, iv->o.max_manifest);
		bh_buf_init(&iv->layers[i].big, iv->o.max_archive_size > iv->o.max_binary_size
							? (size_t)iv->o.max_archive_size
							: (size_t)iv->o.max_binary_size);
	}
	iv->consumer.data = iv;
	iv->consumer.pull = on_entry;
	return iv;
}

struct bh_consumer *bh_inventory_consumer(struct bh_inventory_collector *c)
{
	return &c->consumer;
}

int bh_inventory_finish(struct bh_inventory_collector *c, const struct bh_fileset *merged,
			struct bh_inventory **out, struct bh_error **err)
{
	struct bh_inventory *inv = bh_calloc(1, sizeof(*inv));

	*out = NULL;
	mark_live(c, c->img->nlayers > 1 ? merged : NULL);
	if (resolve(c, inv, err) < 0) {
		bh_inventory_free(inv);
		return -1;
	}
	*out = inv;
	return 0;
}

void bh_inventory_collector_free(struct bh_inventory_collector *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->img->nlayers; i++) {
		struct layer_state *ls = &c->layers[i];

		for (size_t j = 0; j < ls->ndocs; j++) {
			struct doc *d = &ls->docs[j];

			free(d->path);
			bh_os_release(&d->os);
			bh_pkglist_release(&d->pkgs);
			free(d->warning);
			bh_map_free(d->keys, NULL);
		}
		free(ls->docs);
		bh_buf_release(&ls->small);
		bh_buf_release(&ls->big);
	}
	free(c->layers);
	free(c);
}

int bh_inventory_collect(struct bh_image *img, const struct bh_inventory_opts *opts,
			 struct bh_inventory **out, struct bh_error **err)
{
	struct bh_inventory_collector *c = bh_inventory_collector_new(img, opts);
	struct bh_merge *m = img->nlayers > 1 ? bh_merge_new(img) : NULL;
	struct bh_consumer *cons[2] = { bh_inventory_consumer(c), m ? bh_merge_consumer(m) : NULL };
	struct bh_walk_opts wo = { .threads = c->o.threads, .cancel = c->o.cancel };
	struct bh_fileset *fs = NULL;
	int r = -1;

	*out = NULL;
	if (bh_image_walk_consumers(img, &wo, cons, m ? 2 : 1, err) < 0)
		goto out;
	if (m && bh_merge_finish(m, &fs, err) < 0) {
		bh_error_prefix(err, "the merged view");
		goto out;
	}
	r = bh_inventory_finish(c, fs, out, err);
out:
	bh_fileset_free(fs);
	bh_merge_free(m);
	bh_inventory_collector_free(c);
	return r;
}

/* ---- bulkhead's own JSON -------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *bh_inventory_json(const struct bh_inventory *inv, const struct bh_image *img)
{
	json_t *o = json_object(), *pkgs = json_array(), *warnings = json_array(), *im;

	if (img) {
		json_t *layers = json_array();

		im = json_object();
		json_object_set_new(im, "location", json_string(img->location));
		json_object_set_new(im, "kind", json_string(bh_image_kind_name(img->kind)));
		json_object_set_new(im, "name", str_or_null(img->name));
		json_object_set_new(im, "manifestDigest",
				    img->has_manifest ? json_string(img->manifest_digest.str)
						      : json_null());
		json_object_set_new(im, "configDigest",
				    img->config_digest.str[0] ? json_string(img->config_digest.str)
							      : json_null());
		for (size_t i = 0; i < img->nlayers; i++) {
			const struct bh_layer *L = &img->layers[i];

			json_array_append_new(
				layers,
				json_pack("{s:I, s:o, s:o}", "index", (json_int_t)i + 1, "digest",
					  L->digest.str[0] ? json_string(L->digest.str)
							   : json_null(),
					  "diffId",
					  L->diff_id.str[0] ? json_string(L->diff_id.str)
							    : json_null()));
		}
		json_object_set_new(im, "layers", layers);
		json_object_set_new(o, "image", im);
	}
	json_object_set_new(
		o, "os",
		json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", str_or_null(inv->os.id),
			  "versionId", str_or_null(inv->os.version_id), "codename",
			  str_or_null(inv->os.version_codename), "prettyName",
			  str_or_null(inv->os.pretty_name), "ecosystem",
			  str_or_null(inv->os.ecosystem), "source", str_or_null(inv->os.source)));
	for (size_t i = 0; i < inv->npkgs; i++) {
		const struct bh_package *p = &inv->pkgs[i];
		json_t *lic = json_array(), *deps = json_array();

		for (size_t j = 0; p->licenses && p->licenses[j]; j++)
			json_array_append_new(lic, json_string(p->licenses[j]));
		for (size_t j = 0; p->depends && p->depends[j]; j++)
			json_array_append_new(deps, json_string(p->depends[j]));
		json_array_append_new(
			pkgs,
			json_pack(
				"{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:s, s:I, s:b, "
				"s:o}",
				"id", p->id, "type", bh_pkg_type_name(p->type), "ecosystem",
				str_or_null(p->ecosystem), "name", p->name, "version", p->version,
				"sourceName", str_or_null(p->source_name), "sourceVersion",
				str_or_null(p->source_version), "arch", str_or_null(p->arch),
				"purl", p->purl, "licenses", lic, "path", p->path, "layer",
				(json_int_t)p->layer + 1, "dev", p->dev, "dependsOn", deps));
	}
	json_object_set_new(o, "packages", pkgs);
	for (size_t i = 0; inv->warnings && inv->warnings[i]; i++)
		json_array_append_new(warnings, json_string(inv->warnings[i]));
	json_object_set_new(o, "warnings", warnings);
	return o;
}
