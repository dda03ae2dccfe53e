/* SPDX-License-Identifier: Apache-2.0 */
/*
 * containers-storage:[DRIVER@GRAPHROOT]NAME: an image in podman's store (the
 * containers/storage library's graph root), read directly: no podman
 * service needs to run, and every layer can be read on its own, in any
 * order, so the walk reads them in parallel as from an OCI layout.
 *
 *   <driver>-images/images.json      the images: id (= the config's digest),
 *                                    names, top layer, big data (config)
 *   <driver>-images/<id>/=<base64>   big data by key; the config's key is its
 *                                    digest
 *   <driver>-layers/layers.json      the layers: id, parent, diff-digest
 *                                    (diff_id), diff-size
 *   <driver>-layers/<id>.tar-split.gz  how to rebuild the layer's tar (tarsplit.c)
 *   overlay/<id>/diff, vfs/dir/<id>  the layer's files
 *
 * The store is locked for reading (fcntl read locks on images.lock and
 * layers.lock, as containers/storage takes them) while the image is open,
 * so podman cannot remove a layer under a walk. The config is checked
 * against the image ID and its diff_ids against the layer chain; each layer
 * is checked against its diff_id by the walk. Drivers other than overlay
 * and vfs are refused with their name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/registry.h"
#include "engine.h"
#include "banned.h"

#define MAX_STORE_JSON (64u << 20)
#define MAX_TS_LINE    (4u << 20)

struct store_src {
	struct bh_image_src base;
	struct bh_image *img;
	char *root, *driver, *what;
	int rootfd;
	int locks[2];
	char **layer_ids; /* in layer order */
	char *config_file;
};

/* ---- storage.conf ------------------------------------------------------------------- */

/* A TOML basic or literal string at p (after "key ="): the value, or NULL. */
static char *toml_string(const char *p, const char *e)
{
	struct bh_buf b = BH_BUF_INIT(4096);
	char q;

	if (p >= e || (*p != '"' && *p != '\''))
		return NULL;
	q = *p;
	for (p++; p < e && *p != q; p++) {
		char c = *p;

		if (q == '"' && c == '\\') {
			if (++p >= e)
				break;
			c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
			if (!strchr("\"\\nt", *p))
				break;
		}
		if (bh_buf_addc(&b, c, NULL) < 0)
			break;
	}
	if (p >= e || *p != q) {
		bh_buf_release(&b);
		return NULL;
	}
	return bh_buf_detach(&b, NULL);
}

int img_storage_conf_parse(const char *p, size_t n, char **root, char **driver,
			   struct bh_error **err)
{
	const char *e = p + n;
	bool in_storage = false;
	unsigned line = 0;

	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p)), *le = nl ? nl : e, *k, *ke;

		line++;
		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if (p < le && *p == '[') {
			const char *close = memchr(p, ']', (size_t)(le - p));

			if (!close)
				return bh_error_set(
					err, BH_ERR_INVALID,
					"storage.conf line %u: a table header without ]", line);
			in_storage = close - p == 8 && !memcmp(p, "[storage", 8);
		} else if (in_storage && p < le && *p != '#') {
			k = p;
			while (p < le && (bh_isalnum(*p) || *p == '_'))
				p++;
			ke = p;
			while (p < le && (*p == ' ' || *p == '\t'))
				p++;
			if (p < le && *p == '=') {
				char **dst = NULL, *v;

				if (ke - k == 9 && !memcmp(k, "graphroot", 9))
					dst = root;
				else if (ke - k == 6 && !memcmp(k, "driver", 6))
					dst = driver;
				p++;
				while (p < le && (*p == ' ' || *p == '\t'))
					p++;
				if (dst) {
					v = toml_string(p, le);
					if (!v)
						return bh_error_set(err, BH_ERR_INVALID,
								    "storage.conf line %u: %.*s is "
								    "not a string",
								    line, (int)(ke - k), k);
					free(*dst);
					*dst = v;
				}
			}
		}
		p = nl ? nl + 1 : e;
	}
	return 0;
}

/* The store to read: storage.conf's graphroot and driver (root), else the
 * user's store. */
static int default_store(char **root, char **driver, struct bh_error **err)
{
	const char *conf = getenv("CONTAINERS_STORAGE_CONF"), *xdg, *home = getenv("HOME");
	char *own = NULL;
	struct bh_buf b = BH_BUF_INIT(1u << 20);
	int r = 0;

	if (!conf || !*conf) {
		if (geteuid() == 0) {
			conf = "/etc/containers/storage.conf";
			if (access(conf, F_OK) < 0)
				conf = "/usr/share/containers/storage.conf";
		} else if ((xdg = getenv("XDG_CONFIG_HOME")) && *xdg) {
			conf = own = bh_asprintf("%s/containers/storage.conf", xdg);
		} else if (home && *home) {
			conf = own = bh_asprintf("%s/.config/containers/storage.conf", home);
		}
	}
	if (conf && bh_read_file(conf, &b, NULL) == 0) {
		r = img_storage_conf_parse(b.data ? b.data : "", b.len, root, driver, err);
		if (r < 0)
			bh_error_prefix(err, "%s", conf);
	}
	if (r == 0 && !*root) {
		if (geteuid() == 0)
			*root = bh_strdup("/var/lib/containers/storage");
		else if ((xdg = getenv("XDG_DATA_HOME")) && *xdg)
			*root = bh_asprintf("%s/containers/storage", xdg);
		else if (home && *home)
			*root = bh_asprintf("%s/.local/share/containers/storage", home);
		else
			r = bh_error_set(err, BH_ERR_NOTFOUND, "no HOME: where is podman's store?");
	}
	free(own);
	bh_buf_release(&b);
	return r;
}

/* "[driver@root+runroot:options]name" -> driver, root, name. */
static int parse_spec(const char *spec, char **driver, char **root, const char **name,
		      struct bh_error **err)
{
	const char *close, *at, *end;

	*name = spec;
	if (spec[0] != '[')
		return 0;
	close = strchr(spec, ']');
	if (!close)
		return bh_error_set(err, BH_ERR_USAGE,
				    "containers-storage:%s: the store specification has no ]",
				    spec);
	*name = close + 1;
	at = memchr(spec, '@', (size_t)(close - spec));
	if (at) {
		*driver = bh_strndup(spec + 1, (size_t)(at - spec - 1));
		spec = at;
	}
	spec++;
	end = spec;
	while (end < close && *end != '+' && *end != ':')
		end++;
	if (end == spec || *spec != '/')
		return bh_error_set(err, BH_ERR_USAGE,
				    "containers-storage: the store's graph root must be an "
				    "absolute path ([DRIVER@/PATH]NAME)");
	*root = bh_strndup(spec, (size_t)(end - spec));
	return 0;
}

/* ---- reading the store ---------------------------------------------------------------- */

static int read_at(struct store_src *s, const char *path, size_t max, struct bh_buf *b,
		   struct bh_error **err)
{
	int fd = bh_root_openat(s->rootfd, path, O_RDONLY | O_NOFOLLOW, 0, err);
	int r;

	if (fd < 0)
		return bh_error_prefix(err, "%s", s->what);
	b->max = max;
	r = bh_buf_read_fd(b, fd, path, err);
	close(fd);
	if (r < 0)
		bh_error_prefix(err, "%s", s->what);
	return r;
}

static int read_json_at(struct store_src *s, const char *path, json_t **out, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(MAX_STORE_JSON);
	int r = read_at(s, path, MAX_STORE_JSON, &b, err);

	if (r == 0)
		r = bh_json_parse(b.data ? b.data : "", b.len, MAX_STORE_JSON, path, out, err);
	if (r < 0)
		bh_error_prefix(err, "%s", s->what);
	bh_buf_release(&b);
	return r;
}

/* A read lock on a containers/storage lock file, kept until the source goes. */
static int lock_read(struct store_src *s, const char *path, int slot, struct bh_error **err)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	int fd = bh_root_openat(s->rootfd, path, O_RDONLY | O_NOFOLLOW, 0, NULL);

	if (fd < 0)
		return 0; /* a store that has never been written to */
	while (fcntl(fd, F_SETLKW, &fl) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return bh_error_sys(err, errno, "%s: locking %s", s->what, path);
	}
	s->locks[slot] = fd;
	return 0;
}

/* containers/storage's file name for a big data key. */
static char *bigdata_name(const char *key)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(key);
	bool plain = true;
	char *out, *o;

	for (const char *c = key; *c; c++)
		if (*c != '.' && !bh_isdigit(*c) && !bh_islower(*c))
			plain = false;
	if (plain)
		return bh_strdup(key);
	out = o = bh_malloc(2 + (n + 2) / 3 * 4);
	*o++ = '=';
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)(unsigned char)key[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)(unsigned char)key[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)key[i + 2];
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = 0;
	return out;
}

/* ---- finding the image ---------------------------------------------------------------- */

static bool hex_str(const char *s, size_t min)
{
	size_t n = strlen(s);

	if (n < min || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!bh_isdigit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

/* Whether a name names its registry (a domain, a port, "localhost"). */
static bool has_domain(const char *s)
{
	size_t first = strcspn(s, "/");

	return s[first] == '/' && (memchr(s, '.', first) || memchr(s, ':', first) ||
				   (first == 9 && !strncmp(s, "localhost", 9)));
}

/* The stored name that `want` (normalized) or its local twin names, or NULL. */
static const char *name_match(const json_t *names, const struct bh_registry_ref *want,
			      bool explicit_domain)
{
	char *full = bh_registry_ref_string(want), *local = NULL;
	const char *hit = NULL, *path = want->path;
	json_t *v;
	size_t i;

	if (!explicit_domain) {
		if (bh_str_has_prefix(path, "library/"))
			path += 8;
		local = bh_asprintf("localhost/%s%s%s%s%s", path, want->tag ? ":" : "",
				    want->tag ? want->tag : "", want->digest.str[0] ? "@" : "",
				    want->digest.str);
	}
	json_array_foreach (names, i, v) {
		const char *n = json_string_value(v);

		if (n && (!strcmp(n, full) || (local && !strcmp(n, local)))) {
			hit = n;
			break;
		}
	}
	free(full);
	free(local);
	return hit;
}

static bool digest_match(const json_t *im, const struct bh_digest *d)
{
	json_t *ds = bh_json_arr(im, "digests"), *v;
	const char *one = bh_json_str(im, "digest");
	size_t i;

	if (one && !strcmp(one, d->str))
		return true;
	json_array_foreach (ds, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), d->str))
			return true;
	return false;
}

/* The image `name` names in images.json (*shown: the name that matched). */
static int find_image(struct store_src *s, const json_t *images, const char *name,
		      const json_t **out, const char **shown, struct bh_error **err)
{
	struct bh_registry_ref want = { 0 };
	const json_t *hit = NULL, *im;
	const char *id_want = name;
	bool parsed;
	size_t i, nhits = 0;

	*out = NULL;
	*shown = NULL;
	if (!json_is_array(images))
		return bh_error_set(err, BH_ERR_INVALID, "%s: images.json is not an array",
				    s->what);
	if (bh_str_has_prefix(id_want, "sha256:"))
		id_want += 7;
	parsed = bh_registry_ref_parse(name, BH_REF_NORMALIZE, &want, NULL) == 0;
	json_array_foreach (images, i, im) {
		const char *id = bh_json_str(im, "id"), *n = NULL;

		if (!id)
			continue;
		if (parsed && !want.tag && want.digest.str[0]) {
			/* name@digest: the digest and the repository */
			if (!digest_match(im, &want.digest))
				continue;
			n = id; /* shown: the name if one matches, below */
		} else if (parsed) {
			n = name_match(bh_json_arr(im, "names"), &want, has_domain(name));
		}
		if (n) {
			hit = im;
			*shown = n == id ? NULL : n;
			nhits = 1;
			break;
		}
	}
	if (!hit && hex_str(id_want, 3)) {
		/* an image ID or a unique prefix of one */
		json_array_foreach (images, i, im) {
			const char *id = bh_json_str(im, "id");

			if (id && !strncmp(id, id_want, strlen(id_want))) {
				hit = im;
				nhits++;
			}
		}
		if (nhits > 1) {
			bh_registry_ref_release(&want);
			return bh_error_set(err, BH_ERR_USAGE,
					    "%s: %zu images have IDs starting with %s", s->what,
					    nhits, id_want);
		}
	}
	bh_registry_ref_release(&want);
	if (!hit)
		return bh_error_set(err, BH_ERR_NOTFOUND, "%s has no image %s", s->what, name);
	*out = hit;
	return 0;
}

/* ---- the source ------------------------------------------------------------------------ */

static char *layer_dir(const struct store_src *s, const char *id)
{
	if (!strcmp(s->driver, "overlay"))
		return bh_asprintf("overlay/%s/diff", id);
	return bh_asprintf("vfs/dir/%s", id);
}

static int open_layer(struct store_src *s, size_t i, struct bh_stream **out, int64_t *size,
		      struct bh_error **err)
{
	const char *id = s->layer_ids[i];
	char *ts = bh_asprintf("%s-layers/%s.tar-split.gz", s->driver, id), *dir = layer_dir(s, id);
	struct bh_stream *raw = NULL, *jsonl = NULL;
	struct stat st;
	int fd = -1, dfd = -1, r = -1;

	fd = bh_root_openat(s->rootfd, ts, O_RDONLY | O_NOFOLLOW, 0, err);
	if (fd < 0) {
		if (err && bh_error_errno(*err) == ENOENT) {
			bh_error_clear(err);
			bh_error_set(err, BH_ERR_UNSUPPORTED,
				     "%s: layer %s has no tar-split record (%s), so its tar cannot "
				     "be rebuilt exactly; podman save it instead",
				     s->what, id, ts);
		}
		goto out;
	}
	dfd = bh_root_openat(s->rootfd, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, err);
	if (dfd < 0 || fstat(fd, &st) < 0)
		goto out;
	if (bh_stream_file_range(fd, 0, (uint64_t)st.st_size, &raw, err) < 0 ||
	    bh_stream_decompress(raw, BH_COMP_GZIP, &jsonl, err) < 0)
		goto out;
	if (img_tarsplit_stream(jsonl, dfd, MAX_TS_LINE, out, err) < 0)
		goto out;
	*size = s->img->layers[i].size;
	r = 0;
out:
	if (r < 0 && bh_error_code(err ? *err : NULL) != BH_ERR_UNSUPPORTED)
		bh_error_prefix(err, "%s: layer %s", s->what, id);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(ts);
	free(dir);
	return r;
}

static int store_open(struct bh_image_src *src, const struct bh_digest *digest, const char *name,
		      struct bh_stream **out, int64_t *size, struct bh_error **err)
{
	struct store_src *s = (struct store_src *)src;
	struct bh_image *img = s->img;
	struct stat st;
	int fd, r;

	if (!digest)
		return bh_error_set(err, BH_ERR_NOTFOUND, "%s: no file %s", s->what, name);
	if (!strcmp(digest->str, img->config_digest.str)) {
		fd = bh_root_openat(s->rootfd, s->config_file, O_RDONLY | O_NOFOLLOW, 0, err);
		if (fd < 0)
			return bh_error_prefix(err, "%s", s->what);
		if (fstat(fd, &st) < 0) {
			close(fd);
			return bh_error_sys(err, errno, "%s: %s", s->what, s->config_file);
		}
		*size = st.st_size;
		r = bh_stream_file_range(fd, 0, (uint64_t)st.st_size, out, err);
		close(fd);
		return r;
	}
	for (size_t i = 0; i < img->nlayers; i++)
		if (!strcmp(digest->str, img->layers[i].diff_id.str))
			return open_layer(s, i, out, size, err);
	return bh_error_set(err, BH_ERR_NOTFOUND, "%s: the image has no blob %s", s->what,
			    digest->str);
}

static void store_free(struct bh_image_src *src)
{
	struct store_src *s = (struct store_src *)src;

	for (int i = 0; i < 2; i++)
		if (s->locks[i] >= 0)
			close(s->locks[i]);
	if (s->rootfd >= 0)
		close(s->rootfd);
	bh_strv_free(s->layer_ids);
	free(s->root);
	free(s->driver);
	free(s->what);
	free(s->config_file);
	free(s);
}

/* The layer chain from the top layer down, reversed: base first. */
static int layer_chain(struct store_src *s, const json_t *layers, const char *top,
		       struct bh_strvec *out, struct bh_error **err)
{
	struct bh_map *by_id = bh_map_new();
	const json_t *l;
	size_t i;
	int r = -1;

	json_array_foreach (layers, i, l) {
		const char *id = bh_json_str(l, "id");

		if (id)
			bh_map_put(by_id, id, strlen(id), (void *)l);
	}
	for (const char *id = top; id && *id;) {
		l = bh_map_get(by_id, id, strlen(id));
		if (!l) {
			bh_error_set(err, BH_ERR_INVALID, "%s: layer %s is not in layers.json",
				     s->what, id);
			goto out;
		}
		if (out->n >= s->img->limits.max_layers) {
			bh_error_set(err, BH_ERR_LIMIT, "%s: more than %u layers (a loop?)",
				     s->what, s->img->limits.max_layers);
			goto out;
		}
		bh_strvec_push(out, id);
		id = bh_json_str(l, "parent");
	}
	for (i = 0; i < out->n / 2; i++) {
		char *t = out->v[i];

		out->v[i] = out->v[out->n - 1 - i];
		out->v[out->n - 1 - i] = t;
	}
	r = 0;
out:
	bh_map_free(by_id, NULL);
	return r;
}

int img_open_containers_storage(struct bh_image *img, const char *spec,
				const struct bh_image_open_opts *opts, struct bh_error **err)
{
	struct store_src *s = bh_calloc(1, sizeof(*s));
	json_t *images = NULL, *layers = NULL, *config = NULL;
	const json_t *im;
	struct bh_buf b = BH_BUF_INIT(img->limits.max_json);
	struct bh_strvec chain = BH_STRVEC_INIT;
	const char *name, *shown, *id, *top;
	char *path = NULL, *key = NULL, *bd = NULL;
	struct bh_digest got;
	struct stat st;
	int r = -1;

	s->base.kind = "containers-storage";
	s->base.open = store_open;
	s->base.free = store_free;
	s->base.rootfd = -1;
	s->rootfd = s->locks[0] = s->locks[1] = -1;
	s->img = img;
	img->src = &s->base;
	img->kind = BH_IMAGE_CONTAINERS_STORAGE;
	if (parse_spec(spec, &s->driver, &s->root, &name, err) < 0)
		goto out;
	if (!*name) {
		bh_error_set(err, BH_ERR_USAGE, "containers-storage:%s names no image", spec);
		goto out;
	}
	if (!s->root && default_store(&s->root, &s->driver, err) < 0)
		goto out;
	s->what = bh_asprintf("podman's store %s", s->root);
	s->rootfd = bh_root_open(s->root, err);
	if (s->rootfd < 0) {
		if (err && bh_error_errno(*err) == ENOENT) {
			bh_error_clear(err);
			bh_error_set(err, BH_ERR_NOTFOUND, "%s does not exist", s->what);
		}
		goto out;
	}
	if (!s->driver || !*s->driver) {
		free(s->driver);
		s->driver = bh_strdup(
			fstatat(s->rootfd, "vfs-images/images.json", &st, 0) == 0 &&
					fstatat(s->rootfd, "overlay-images/images.json", &st, 0) < 0
				? "vfs"
				: "overlay");
	}
	if (strcmp(s->driver, "overlay") && strcmp(s->driver, "vfs")) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "%s: the %s storage driver is not supported (overlay and vfs are)",
			     s->what, s->driver);
		goto out;
	}
	path = bh_asprintf("%s-images/images.lock", s->driver);
	if (lock_read(s, path, 0, err) < 0)
		goto out;
	free(path);
	path = bh_asprintf("%s-layers/layers.lock", s->driver);
	if (lock_read(s, path, 1, err) < 0)
		goto out;
	free(path);
	path = bh_asprintf("%s-images/images.json", s->driver);
	if (fstatat(s->rootfd, path, &st, 0) < 0) {
		bh_error_set(err, BH_ERR_NOTFOUND, "%s has no images (no %s)", s->what, path);
		goto out;
	}
	if (read_json_at(s, path, &images, err) < 0 ||
	    find_image(s, images, name, &im, &shown, err) < 0)
		goto out;
	id = bh_json_str(im, "id");
	top = bh_json_str(im, "layer");
	free(path);
	path = bh_asprintf("sha256:%s", id);
	if (!hex_str(id, 64) || bh_digest_parse(path, &img->config_digest, NULL) < 0) {
		bh_error_set(err, BH_ERR_INVALID, "%s: image %s has no valid id", s->what, name);
		goto out;
	}
	/* the config: big data keyed by its digest, which is the image ID */
	key = bh_strdup(img->config_digest.str);
	bd = bigdata_name(key);
	s->config_file = bh_asprintf("%s-images/%s/%s", s->driver, id, bd);
	if (read_at(s, s->config_file, img->limits.max_json, &b, err) < 0) {
		bh_error_prefix(err, "the config of image %s", name);
		goto out;
	}
	bh_sha256(b.data ? b.data : "", b.len, &got);
	if (strcmp(got.str, img->config_digest.str)) {
		bh_error_set(err, BH_ERR_DIGEST, "%s: the config of image %s is %s, not its ID %s",
			     s->what, name, got.str, img->config_digest.str);
		goto out;
	}
	free(path);
	path = bh_asprintf("%s-layers/layers.json", s->driver);
	if (read_json_at(s, path, &layers, err) < 0 || !json_is_array(layers)) {
		if (layers)
			bh_error_set(err, BH_ERR_INVALID, "%s: %s is not an array", s->what, path);
		goto out;
	}
	if (layer_chain(s, layers, top, &chain, err) < 0)
		goto out;
	if (chain.n == 0) {
		bh_error_set(err, BH_ERR_INVALID, "%s: image %s has no layers", s->what, name);
		goto out;
	}
	img->nlayers = chain.n;
	img->layers = bh_calloc(chain.n + 1, sizeof(*img->layers));
	if (bh_json_parse(b.data, b.len, img->limits.max_json, "config", &config, err) < 0 ||
	    bh_config_parse(img, config, err) < 0) {
		bh_error_prefix(err, "%s: the config of image %s", s->what, name);
		goto out;
	}
	{
		struct bh_map *by_id = bh_map_new();
		const json_t *l;
		size_t i;

		json_array_foreach (layers, i, l) {
			const char *lid = bh_json_str(l, "id");

			if (lid)
				bh_map_put(by_id, lid, strlen(lid), (void *)l);
		}
		for (i = 0; i < chain.n; i++) {
			const json_t *L = bh_map_get(by_id, chain.v[i], strlen(chain.v[i]));
			const char *dd = bh_json_str(L, "diff-digest");
			json_int_t dsize;

			img->layers[i].compression = BH_COMP_NONE;
			img->layers[i].size = bh_json_int(L, "diff-size", &dsize) && dsize >= 0
						      ? (int64_t)dsize
						      : -1;
			if (dd && strcmp(dd, img->layers[i].diff_id.str)) {
				bh_error_set(err, BH_ERR_DIGEST,
					     "%s: layer %zu (%s) is %s, the config says %s",
					     s->what, i + 1, chain.v[i], dd,
					     img->layers[i].diff_id.str);
				bh_map_free(by_id, NULL);
				goto out;
			}
		}
		bh_map_free(by_id, NULL);
	}
	s->layer_ids = bh_strvec_detach(&chain);
	img->name = shown ? bh_strdup(shown) : NULL;
	if (opts && opts->platform && img_platform_check(img, opts->platform, err) < 0)
		goto out;
	bh_debug("%s: image %s is %s, %zu layers (%s)", s->what, name, img->config_digest.str,
		 img->nlayers, s->driver);
	r = 0;
out:
	json_decref(images);
	json_decref(layers);
	json_decref(config);
	bh_buf_release(&b);
	bh_strvec_release(&chain);
	free(path);
	free(key);
	free(bd);
	return r;
}
