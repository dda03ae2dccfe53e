/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sequential sources: an image that comes as one archive stream (the Docker
 * engine's `docker save`), read from its start by each pass, never stored.
 *
 * The walk and the copy want layers by diff_id; the stream has them in its
 * own order (a legacy save sorts directories by v1 ID, a newer one blobs by
 * digest) and names the order only at its end (manifest.json). So each
 * member is identified before its bytes are read:
 *
 *   by name          blobs/sha256/<hex>, <hex>.tar, <hex>/layer.tar where
 *                    sha256:<hex> is a diff_id (docker 25+, skopeo, podman)
 *   by its v1 JSON   <id>/json, just before <id>/layer.tar: the chain ID that
 *                    reproduces <id> (v1id.c) gives the layer (docker < 25)
 *   by manifest.json learned on an earlier pass (any other writer)
 *
 * and handed, as it streams, to the consumer of that layer (deliver), which
 * checks it against its diff_id. The consumers of a walk keep their state
 * per layer, so layers may come in any order and in one pass. Two cases
 * need a layer at another time than the stream offers it: a walk in layer
 * order (unpack) meeting a later layer first, and two layers with one
 * diff_id (legacy saves store the bytes once). The member is then kept in
 * memory if it fits what is left of IMG_SEQ_KEEP (32 MiB, all kept members
 * together), and otherwise left for another pass. A pass that delivers and
 * learns nothing ends the run with an error naming what is missing.
 *
 * The config blob is read (bounded) whenever it goes by, checked against the
 * image ID, and handed to the source (on_config), which trusted the
 * engine's inspect view until then.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "banned.h"

#define BLOCK	    512
#define MAX_META    (1u << 20)
#define V1_JSON_MAX (1u << 20)
#define COPY_BUF    (256u * 1024)

void img_seq_init(struct img_seq *q, const char *what)
{
	memset(q, 0, sizeof(*q));
	q->what = what;
	q->names = bh_map_new();
}

void img_seq_release(struct img_seq *q)
{
	bh_map_free(q->names, NULL);
	q->names = NULL;
}

/* ---- the archive, in order ------------------------------------------------------ */

struct outer {
	struct bh_stream *s;
	const char *what;
	size_t max_path;
	uint64_t off;
	char *name;
	char type;
	uint64_t size;
	uint64_t left; /* content not yet read */
	uint64_t pad;
	bool end;
};

/* n bytes; 0 when the stream ends before the first of them and eof_ok. */
static int read_exact(struct outer *o, void *buf, size_t n, bool eof_ok, struct bh_error **err)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = bh_stream_read(o->s, (char *)buf + got, n - got, err);

		if (k < 0)
			return -1;
		if (k == 0) {
			if (eof_ok && got == 0)
				return 0;
			return bh_error_set(err, BH_ERR_INVALID,
					    "the archive ends early, at byte %llu%s%s (cut short?)",
					    (unsigned long long)(o->off + got),
					    o->name ? ", inside " : "", o->name ? o->name : "");
		}
		got += (size_t)k;
	}
	o->off += n;
	return 1;
}

static int skip_bytes(struct outer *o, uint64_t n, struct bh_error **err)
{
	unsigned char buf[16384];

	while (n) {
		size_t k = n < sizeof(buf) ? (size_t)n : sizeof(buf);

		if (read_exact(o, buf, k, false, err) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* The next member's header: 1, or 0 at the end of the archive. What was
 * left of the previous member is skipped. */
static int outer_next(struct outer *o, struct bh_error **err)
{
	char *pax_path = NULL, *pax_link = NULL, *gnu_name = NULL;
	uint64_t pax_size = 0;
	bool has_pax_size = false;
	struct bh_buf clean = BH_BUF_INIT(o->max_path);
	int rc = -1;

	if (skip_bytes(o, o->left + o->pad, err) < 0)
		return -1;
	o->left = o->pad = 0;
	free(o->name);
	o->name = NULL;
	for (;;) {
		unsigned char h[BLOCK];
		char name[256 + 2];
		uint64_t size;
		int r = read_exact(o, h, BLOCK, true, err);

		if (r < 0)
			goto out;
		if (r == 0) {
			bh_error_set(err, BH_ERR_INVALID,
				     "the archive ends early, at byte %llu, without its end marker "
				     "(cut short?)",
				     (unsigned long long)o->off);
			goto out;
		}
		if (img_tar_zero(h)) {
			o->end = true;
			rc = 0;
			goto out;
		}
		if (!img_tar_checksum_ok(h)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "the archive has a bad tar header at byte %llu",
				     (unsigned long long)(o->off - BLOCK));
			goto out;
		}
		if (img_tar_num(h + 124, 12, &size) < 0) {
			bh_error_set(err, BH_ERR_INVALID, "a bad size field at byte %llu",
				     (unsigned long long)(o->off - BLOCK));
			goto out;
		}
		o->type = (char)h[156];
		if (o->type == 'x' || o->type == 'g' || o->type == 'L' || o->type == 'K') {
			char *meta;

			if (size > MAX_META) {
				bh_error_set(err, BH_ERR_LIMIT,
					     "a %llu-byte extended header exceeds the limit",
					     (unsigned long long)size);
				goto out;
			}
			meta = bh_malloc((size_t)size + 1);
			if (read_exact(o, meta, (size_t)size, false, err) < 0 ||
			    skip_bytes(o, (BLOCK - size % BLOCK) % BLOCK, err) < 0) {
				free(meta);
				goto out;
			}
			meta[size] = 0;
			if (o->type == 'x') {
				r = img_tar_pax(meta, (size_t)size, &pax_path, &pax_link, &pax_size,
						&has_pax_size, err);
				free(meta);
				if (r < 0)
					goto out;
			} else if (o->type == 'L') {
				free(gnu_name);
				gnu_name = meta;
			} else {
				free(meta);
			}
			continue;
		}
		if (has_pax_size)
			size = pax_size;
		if (!memcmp(h + 257, "ustar", 5) && h[345]) {
			size_t plen = strnlen((char *)h + 345, 155), nlen = strnlen((char *)h, 100);

			memcpy(name, h + 345, plen);
			name[plen] = '/';
			memcpy(name + plen + 1, h, nlen);
			name[plen + 1 + nlen] = 0;
		} else {
			size_t nlen = strnlen((char *)h, 100);

			memcpy(name, h, nlen);
			name[nlen] = 0;
		}
		if (bh_path_clean(pax_path   ? pax_path
				  : gnu_name ? gnu_name
					     : name,
				  true, o->max_path, &clean, err) < 0)
			goto out;
		o->name = bh_strdup(clean.data);
		o->size = (o->type == '1' || o->type == '2' || o->type == '5') ? 0 : size;
		o->left = o->size;
		o->pad = (BLOCK - o->size % BLOCK) % BLOCK;
		rc = 1;
		goto out;
	}
out:
	free(pax_path);
	free(pax_link);
	free(gnu_name);
	bh_buf_release(&clean);
	return rc;
}

static bool outer_regular(const struct outer *o)
{
	return o->type == '0' || o->type == 0 || o->type == '7';
}

/* The current member's content, whole, into b (b->max bounds it). */
static int outer_slurp(struct outer *o, struct bh_buf *b, struct bh_error **err)
{
	if (o->left > b->max)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: %llu bytes exceed the limit of %zu",
				    o->name, (unsigned long long)o->left, b->max);
	if (bh_buf_grow(b, (size_t)o->left, err) < 0 ||
	    read_exact(o, b->data + b->len, (size_t)o->left, false, err) < 0)
		return -1;
	b->len += (size_t)o->left;
	b->data[b->len] = 0;
	o->left = 0;
	return 0;
}

/* ---- a member as a stream (not owning the archive) ------------------------------ */

struct member_stream {
	struct bh_stream s;
	struct outer *o;
	struct bh_buf *tee; /* keeps a copy, or NULL */
	unsigned char peek[4];
	size_t npeek, peek_off;
};

static ssize_t member_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	struct member_stream *m = (struct member_stream *)s;
	ssize_t k;

	if (m->peek_off < m->npeek) {
		size_t c = m->npeek - m->peek_off < n ? m->npeek - m->peek_off : n;

		memcpy(buf, m->peek + m->peek_off, c);
		m->peek_off += c;
		return (ssize_t)c;
	}
	if (m->o->left == 0 || n == 0)
		return 0;
	if (n > m->o->left)
		n = (size_t)m->o->left;
	k = bh_stream_read(m->o->s, buf, n, err);
	if (k < 0)
		return -1;
	if (k == 0)
		return bh_error_set(err, BH_ERR_INVALID,
				    "the archive ends early, inside %s (cut short?)", m->o->name);
	m->o->left -= (uint64_t)k;
	m->o->off += (uint64_t)k;
	if (m->tee && bh_buf_add(m->tee, buf, (size_t)k, err) < 0)
		return -1;
	return k;
}

static void member_close(struct bh_stream *s)
{
	free(s);
}

static struct member_stream *member_open(struct outer *o, struct bh_buf *tee,
					 enum bh_compression *c, struct bh_error **err)
{
	struct member_stream *m = bh_calloc(1, sizeof(*m));

	m->s.read = member_read;
	m->s.close = member_close;
	m->o = o;
	while (m->npeek < sizeof(m->peek) && o->left) {
		ssize_t k = member_read(&m->s, m->peek + m->npeek, sizeof(m->peek) - m->npeek, err);

		if (k < 0) {
			free(m);
			return NULL;
		}
		m->npeek += (size_t)k;
	}
	m->tee = tee;
	if (tee && m->npeek && bh_buf_add(tee, m->peek, m->npeek, err) < 0) {
		free(m);
		return NULL;
	}
	*c = bh_sniff_compression(m->peek, m->npeek);
	return m;
}

/* ---- a run -------------------------------------------------------------------------- */

struct kept {
	struct bh_digest d;
	struct bh_buf b;
};

struct run {
	struct bh_image *img;
	struct img_seq *q;
	struct img_seq_want *w;
	struct bh_digest *chains;
	struct kept *kept;
	size_t nkept;
	uint64_t kept_bytes;
	unsigned delivered, learned; /* in this pass */
	bool stopped;		     /* the last pass hung up before the end */
};

static bool same(const struct bh_digest *a, const struct bh_digest *b)
{
	return !strcmp(a->str, b->str);
}

static bool all_done(const struct img_seq_want *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (!w->done[i])
			return false;
	return true;
}

static size_t first_undone(const struct img_seq_want *w, const struct bh_digest *d)
{
	for (size_t i = 0; i < w->n; i++)
		if (!w->done[i] && (!d || same(w->digests[i], d)))
			return i;
	return w->n;
}

static int deliver(struct run *R, size_t i, struct bh_stream *raw, uint64_t size,
		   enum bh_compression c, struct bh_error **err)
{
	int r = R->w->deliver(R->w->data, i, raw, size, c, err);

	if (r == 0) {
		R->w->done[i] = true;
		R->delivered++;
	}
	return r;
}

/* Deliver what kept members allow now, and drop those no entry needs. */
static int flush_kept(struct run *R, struct bh_error **err)
{
	struct img_seq_want *w = R->w;
	bool again = true;

	while (again) {
		again = false;
		for (size_t k = 0; k < R->nkept; k++) {
			struct kept *K = &R->kept[k];
			size_t i = first_undone(w, &K->d);

			if (i < w->n && (!w->in_order || i == first_undone(w, NULL))) {
				struct bh_stream *s =
					img_stream_bytes_borrowed(K->b.data, K->b.len);
				enum bh_compression c = bh_sniff_compression(
					(const unsigned char *)K->b.data, K->b.len);
				int r = deliver(R, i, s, K->b.len, c, err);

				bh_stream_close(s);
				if (r < 0)
					return -1;
				again = true;
				i = first_undone(w, &K->d);
			}
			if (i == w->n) {
				R->kept_bytes -= K->b.len;
				bh_buf_release(&K->b);
				R->kept[k] = R->kept[--R->nkept];
				k--;
			}
		}
	}
	return 0;
}

static struct bh_buf *keep_new(struct run *R, const struct bh_digest *d, uint64_t size)
{
	struct kept *K;

	if (size > IMG_SEQ_KEEP - R->kept_bytes)
		return NULL;
	R->kept = bh_reallocarray(R->kept, R->nkept + 1, sizeof(*R->kept));
	K = &R->kept[R->nkept++];
	K->d = *d;
	bh_buf_init(&K->b, (size_t)size);
	R->kept_bytes += size;
	if (R->kept_bytes > R->q->kept_peak)
		R->q->kept_peak = R->kept_bytes;
	return &K->b;
}

static bool kept_has(const struct run *R, const struct bh_digest *d)
{
	for (size_t k = 0; k < R->nkept; k++)
		if (same(&R->kept[k].d, d))
			return true;
	return false;
}

/* A layer member, identified as the bytes of diff_id d. */
static int take_layer(struct run *R, struct outer *o, const struct bh_digest *d,
		      struct bh_error **err)
{
	struct img_seq_want *w = R->w;
	size_t i = first_undone(w, d), later;
	struct member_stream *m;
	struct bh_buf *tee = NULL;
	enum bh_compression c;
	int r;

	if (i == w->n || kept_has(R, d))
		return 0;
	if (w->in_order && i != first_undone(w, NULL)) {
		/* it comes early: keep it if it fits, else another pass */
		struct bh_buf *b = keep_new(R, d, o->left);

		if (!b)
			return 0;
		if (outer_slurp(o, b, err) < 0)
			return -1;
		R->learned++;
		return 0;
	}
	w->done[i] = true; /* so that first_undone finds the next one */
	later = first_undone(w, d);
	w->done[i] = false;
	if (later < w->n)
		tee = keep_new(R, d, o->left);
	m = member_open(o, tee, &c, err);
	if (!m)
		return -1;
	r = deliver(R, i, &m->s, o->size, c, err);
	/* what the consumer left unread still belongs in the kept copy */
	while (r == 0 && tee && o->left) {
		unsigned char buf[16384];

		if (member_read(&m->s, buf, sizeof(buf), err) < 0)
			r = -1;
	}
	member_close(&m->s);
	if (r < 0)
		return -1;
	return flush_kept(R, err);
}

/* The layer a member's name identifies, or -1. */
static int identify(struct run *R, const char *name)
{
	struct bh_image *img = R->img;
	uintptr_t k = (uintptr_t)bh_map_get(R->q->names, name, strlen(name));
	struct bh_digest d;
	char tmp[80];
	const char *hex = NULL;

	if (k)
		return (int)(k - 1);
	if (bh_str_has_prefix(name, "blobs/sha256/") && strlen(name) == 13 + 64)
		hex = name + 13;
	else if (strlen(name) == 64 + 4 && bh_str_has_suffix(name, ".tar"))
		hex = name;
	else if (strlen(name) == 64 + 10 && bh_str_has_suffix(name, "/layer.tar"))
		hex = name;
	if (!hex)
		return -1;
	snprintf(tmp, sizeof(tmp), "sha256:%.64s", hex);
	if (bh_digest_parse(tmp, &d, NULL) < 0)
		return -1;
	for (size_t i = 0; i < img->nlayers; i++)
		if (same(&img->layers[i].diff_id, &d))
			return (int)i;
	return -1;
}

/* "<64 hex>/json": a legacy layer's v1 JSON. */
static bool v1_json_name(const char *name)
{
	if (strlen(name) != 64 + 5 || strcmp(name + 64, "/json"))
		return false;
	for (int i = 0; i < 64; i++)
		if (!bh_isxdigit(name[i]) || bh_isupper(name[i]))
			return false;
	return true;
}

static int learn(struct run *R, const char *name, size_t k, struct bh_error **err)
{
	uintptr_t have = (uintptr_t)bh_map_get(R->q->names, name, strlen(name));

	if (have) {
		if (!same(&R->img->layers[have - 1].diff_id, &R->img->layers[k].diff_id))
			return bh_error_set(err, BH_ERR_INVALID,
					    "the archive names %s as layer %zu and as layer %zu",
					    name, (size_t)have, k + 1);
		return 0;
	}
	bh_map_put(R->q->names, name, strlen(name), (void *)(k + 1));
	R->learned++;
	return 0;
}

static int take_v1_json(struct run *R, struct outer *o, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(V1_JSON_MAX);
	char hex[65], layer[80];
	int k, r = 0;

	memcpy(hex, o->name, 64);
	hex[64] = 0;
	snprintf(layer, sizeof(layer), "%s/layer.tar", hex);
	if (bh_map_get(R->q->names, layer, strlen(layer)) || o->left > V1_JSON_MAX)
		return 0;
	if (outer_slurp(o, &b, err) < 0) {
		bh_buf_release(&b);
		return -1;
	}
	k = img_v1_identify(b.data, b.len, hex, R->chains, R->img->nlayers);
	bh_debug("%s: %s is layer %d", R->q->what, o->name, k + 1);
	if (k >= 0)
		r = learn(R, layer, (size_t)k, err);
	bh_buf_release(&b);
	return r;
}

/* manifest.json: which member is which layer (Layers[k] is layer k). */
static int take_manifest(struct run *R, struct outer *o, struct bh_error **err)
{
	struct bh_image *img = R->img;
	struct bh_buf b = BH_BUF_INIT(img->limits.max_json);
	struct bh_buf clean = BH_BUF_INIT(img->limits.max_path);
	const char *hex = bh_digest_hex(&img->config_digest);
	json_t *list = NULL, *e, *entry = NULL, *layers, *l;
	size_t i, k;
	int r = -1;

	if (outer_slurp(o, &b, err) < 0 ||
	    bh_json_parse(b.data, b.len, img->limits.max_json, "manifest.json", &list, err) < 0)
		goto out;
	if (!json_is_array(list)) {
		bh_error_set(err, BH_ERR_INVALID, "manifest.json is not an array");
		goto out;
	}
	json_array_foreach (list, i, e) {
		const char *cfg = bh_json_str(e, "Config");

		if (json_array_size(list) == 1 || (cfg && strstr(cfg, hex)))
			entry = e;
	}
	layers = bh_json_arr(entry, "Layers");
	if (!entry || !layers) {
		r = 0; /* not ours to read: nothing learned */
		goto out;
	}
	if (json_array_size(layers) != img->nlayers) {
		bh_error_set(err, BH_ERR_INVALID,
			     "manifest.json lists %zu layers; the engine said the image has %zu",
			     json_array_size(layers), img->nlayers);
		goto out;
	}
	json_array_foreach (layers, k, l) {
		if (!json_is_string(l) || bh_path_clean(json_string_value(l), true,
							img->limits.max_path, &clean, err) < 0) {
			bh_error_clear(err);
			bh_error_set(err, BH_ERR_INVALID, "manifest.json Layers[%zu] is not a path",
				     k);
			goto out;
		}
		if (learn(R, clean.data, k, err) < 0)
			goto out;
	}
	r = 0;
out:
	json_decref(list);
	bh_buf_release(&b);
	bh_buf_release(&clean);
	return r;
}

static bool config_name(const struct bh_image *img, const char *name)
{
	const char *hex = bh_digest_hex(&img->config_digest);

	if (bh_str_has_prefix(name, "blobs/sha256/"))
		return !strcmp(name + 13, hex);
	return strlen(name) == 64 + 5 && !strncmp(name, hex, 64) && !strcmp(name + 64, ".json");
}

static int take_config(struct run *R, struct outer *o, struct bh_error **err)
{
	struct bh_image *img = R->img;
	struct bh_buf b = BH_BUF_INIT(img->limits.max_json);
	struct bh_digest got;
	size_t i;
	int r = -1;

	if (outer_slurp(o, &b, err) < 0)
		goto out;
	bh_sha256(b.data, b.len, &got);
	if (!same(&got, &img->config_digest)) {
		bh_error_set(err, BH_ERR_DIGEST,
			     "the config blob %s is %s, not the image ID %s: the engine's image "
			     "and its archive disagree",
			     o->name, got.str, img->config_digest.str);
		goto out;
	}
	if (!R->q->config_seen) {
		if (R->q->on_config && R->q->on_config(R->q, img, b.data, b.len, err) < 0)
			goto out;
		R->q->config_seen = true;
		R->learned++;
	}
	i = first_undone(R->w, &img->config_digest);
	if (i < R->w->n) {
		struct bh_stream *s = img_stream_bytes_borrowed(b.data, b.len);

		r = deliver(R, i, s, b.len, BH_COMP_NONE, err);
		bh_stream_close(s);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	bh_buf_release(&b);
	return r;
}

static bool cancelled(const struct img_seq_want *w)
{
	return w->cancel && *w->cancel;
}

static int one_pass(struct run *R, struct bh_error **err)
{
	struct img_seq_want *w = R->w;
	struct outer o = { .what = R->q->what, .max_path = R->img->limits.max_path };
	uint64_t members = 0;
	int r;

	R->delivered = R->learned = 0;
	R->stopped = false;
	R->q->passes++;
	if (R->q->open_pass(R->q, &o.s, err) < 0)
		return -1;
	while ((r = outer_next(&o, err)) > 0) {
		int k;

		if (cancelled(w)) {
			r = bh_error_set(err, BH_ERR_USAGE, "cancelled");
			break;
		}
		if (all_done(w) && R->q->config_seen) {
			R->stopped = true;
			break; /* the rest is not needed: hang up */
		}
		if (++members > R->img->limits.max_outer_entries) {
			r = bh_error_set(err, BH_ERR_LIMIT,
					 "the archive has more than %llu members",
					 (unsigned long long)R->img->limits.max_outer_entries);
			break;
		}
		if (!outer_regular(&o))
			continue;
		if (!strcmp(o.name, "manifest.json"))
			r = take_manifest(R, &o, err);
		else if (v1_json_name(o.name))
			r = take_v1_json(R, &o, err);
		else if (config_name(R->img, o.name))
			r = take_config(R, &o, err);
		else if ((k = identify(R, o.name)) >= 0)
			r = take_layer(R, &o, &R->img->layers[k].diff_id, err);
		if (r < 0)
			break;
		r = 1;
	}
	if (r == 0 && !o.end)
		r = -1;
	free(o.name);
	bh_stream_close(o.s);
	if (r < 0)
		return -1;
	return flush_kept(R, err);
}

int img_seq_run(struct bh_image *img, struct img_seq *q, struct img_seq_want *w,
		struct bh_error **err)
{
	struct run R = { .img = img, .q = q, .w = w };
	unsigned pass = 0;
	int r = -1;

	R.chains = bh_calloc(img->nlayers + 1, sizeof(*R.chains));
	img_chain_ids(img->layers, img->nlayers, R.chains);
	while (!all_done(w)) {
		if (one_pass(&R, err) < 0) {
			bh_error_prefix(err, "%s", q->what);
			goto out;
		}
		bh_debug("%s: pass %u delivered %u, learned %u, %zu kept (%llu bytes; at most "
			 "%llu)",
			 q->what, ++pass, R.delivered, R.learned, R.nkept,
			 (unsigned long long)R.kept_bytes, (unsigned long long)q->kept_peak);
		if (!all_done(w) && !R.delivered && !R.learned) {
			size_t i = first_undone(w, NULL);

			bh_error_set(err, BH_ERR_NOTFOUND,
				     "%s: %s %s is not in the archive the engine sent", q->what,
				     same(w->digests[i], &img->config_digest)
					     ? "the config"
					     : "the layer with diff_id",
				     w->digests[i]->str);
			goto out;
		}
	}
	if (q->on_config && !q->config_seen && !R.stopped)
		bh_warn("%s has no config blob named for the image ID %s: the engine's own view "
			"of the config is used",
			q->what, img->config_digest.str);
	r = 0;
out:
	for (size_t k = 0; k < R.nkept; k++)
		bh_buf_release(&R.kept[k].b);
	free(R.kept);
	free(R.chains);
	return r;
}

/* ---- one blob ---------------------------------------------------------------------- */

struct grab {
	struct bh_buf b;
};

static int grab_deliver(void *data, size_t i, struct bh_stream *raw, uint64_t size,
			enum bh_compression c, struct bh_error **err)
{
	struct grab *g = data;

	(void)i;
	(void)c;
	if (size > g->b.max)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "a %llu-byte blob is read through a walk, not whole",
				    (unsigned long long)size);
	return bh_stream_read_all(raw, &g->b, "blob", err);
}

int img_seq_open_blob(struct bh_image *img, struct img_seq *q, const struct bh_digest *d,
		      struct bh_stream **out, int64_t *size, struct bh_error **err)
{
	struct grab g = { BH_BUF_INIT(img->limits.max_json) };
	const struct bh_digest *ds[1] = { d };
	bool done[1] = { false };
	struct img_seq_want w = {
		.digests = ds, .n = 1, .done = done, .deliver = grab_deliver, .data = &g
	};
	char *p;
	size_t n;

	if (img_seq_run(img, q, &w, err) < 0) {
		bh_buf_release(&g.b);
		return -1;
	}
	p = bh_buf_detach(&g.b, &n);
	*size = (int64_t)n;
	*out = img_stream_bytes(p, n);
	return 0;
}
