/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Blobs: read as a stream (following the registry's redirect to its
 * storage), hashed and sized as they pass unless the caller verifies them
 * itself; and uploaded unless the repository has them: mounted from another
 * repository when the registry offers it, else in one PUT (small blobs) or
 * in PATCH chunks at the Location each answer names.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

/* ---- blobs ---------------------------------------------------------------- */

/* The read-ahead thread's ring of bytes (BH_REGISTRY_READAHEAD). */
#define RA_RING	 (2u << 20)
#define RA_CHUNK (256u << 10)

struct readahead {
	pthread_t tid;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *ring;
	size_t head, len; /* of RA_RING bytes */
	bool eof, stop;
	struct bh_error *err;
};

struct bh_registry_blob {
	struct reg_xfer *x;
	struct readahead *ra;
	struct bh_hasher *h;
	struct bh_digest want;
	int64_t size;
	uint64_t count;
	bool verify, done;
	char *what;
	char *host;
};

static char *blob_url(struct reg_host *h, const struct bh_registry_ref *repo,
		      const struct bh_digest *d)
{
	char *base = reg_url(h, repo->path, "/blobs/"), *u = bh_asprintf("%s%s", base, d->str);

	free(base);
	return u;
}

static void *ra_pump(void *arg)
{
	struct bh_registry_blob *b = arg;
	struct readahead *ra = b->ra;
	char *buf = bh_malloc(RA_CHUNK);

	for (;;) {
		struct bh_error *e = NULL;
		ssize_t k = reg_xfer_read(b->x, buf, RA_CHUNK, &e);
		size_t off = 0;

		pthread_mutex_lock(&ra->lock);
		if (k <= 0) {
			ra->eof = true;
			ra->err = e;
			pthread_cond_broadcast(&ra->cond);
			pthread_mutex_unlock(&ra->lock);
			break;
		}
		while (off < (size_t)k && !ra->stop) {
			size_t room = RA_RING - ra->len, tail = (ra->head + ra->len) % RA_RING, n;

			if (room == 0) {
				pthread_cond_wait(&ra->cond, &ra->lock);
				continue;
			}
			n = (size_t)k - off;
			if (n > room)
				n = room;
			if (n > RA_RING - tail)
				n = RA_RING - tail;
			memcpy(ra->ring + tail, buf + off, n);
			ra->len += n;
			off += n;
			pthread_cond_broadcast(&ra->cond);
		}
		if (ra->stop) {
			pthread_mutex_unlock(&ra->lock);
			break;
		}
		pthread_mutex_unlock(&ra->lock);
	}
	free(buf);
	return NULL;
}

/* What the read-ahead thread has for the reader: bytes, 0 at the end, -1. */
static ssize_t ra_read(struct readahead *ra, void *buf, size_t n, struct bh_error **err)
{
	ssize_t r;

	pthread_mutex_lock(&ra->lock);
	while (ra->len == 0 && !ra->eof)
		pthread_cond_wait(&ra->cond, &ra->lock);
	if (ra->len > 0) {
		size_t k = ra->len < n ? ra->len : n;

		if (k > RA_RING - ra->head)
			k = RA_RING - ra->head;
		memcpy(buf, ra->ring + ra->head, k);
		ra->head = (ra->head + k) % RA_RING;
		ra->len -= k;
		pthread_cond_broadcast(&ra->cond);
		r = (ssize_t)k;
	} else if (ra->err) {
		if (err && !*err) {
			*err = ra->err;
			ra->err = NULL;
		}
		r = -1;
	} else {
		r = 0;
	}
	pthread_mutex_unlock(&ra->lock);
	return r;
}

static void ra_stop(struct bh_registry_blob *b)
{
	struct readahead *ra = b->ra;

	if (ra->started) {
		pthread_mutex_lock(&ra->lock);
		ra->stop = true;
		pthread_cond_broadcast(&ra->cond);
		pthread_mutex_unlock(&ra->lock);
		/* a pump waiting on a stalled registry: no need to wait for the timeout */
		reg_xfer_abort(b->x);
		pthread_join(ra->tid, NULL);
	}
	pthread_mutex_destroy(&ra->lock);
	pthread_cond_destroy(&ra->cond);
	bh_error_free(ra->err);
	free(ra->ring);
	free(ra);
	b->ra = NULL;
}

static int ra_start(struct bh_registry_blob *b, struct bh_error **err)
{
	struct readahead *ra = bh_calloc(1, sizeof(*ra));

	ra->ring = bh_malloc(RA_RING);
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->cond, NULL);
	b->ra = ra;
	if (pthread_create(&ra->tid, NULL, ra_pump, b) != 0) {
		/* no thread: read in the caller's, as without the flag */
		bh_debug("registry: %s: no read-ahead thread", b->what);
		ra_stop(b);
		return 0;
	}
	ra->started = true;
	return 0;
}

int bh_registry_blob_open(struct bh_registry *r, const struct bh_registry_ref *repo,
			  const struct bh_digest *digest, int64_t size, unsigned flags,
			  struct bh_registry_blob **out, struct bh_error **err)
{
	struct bh_registry_blob *b;
	struct reg_host *h;
	char *url, *scope;
	struct reg_req q = { .method = "GET", .follow = true };
	int rc;

	*out = NULL;
	if (reg_need_repo(repo, err) < 0)
		return -1;
	h = reg_registry(r, repo->domain);
	b = bh_calloc(1, sizeof(*b));
	b->want = *digest;
	b->size = size;
	b->verify = !(flags & BH_REGISTRY_NOVERIFY);
	b->what = bh_asprintf("blob %s@%s", repo->path, digest->str);
	b->host = bh_strdup(h->hostport);
	url = blob_url(h, repo, digest);
	scope = reg_scope(repo->path, "pull");
	q.url = url;
	q.host = h;
	q.registry = h;
	q.scope = scope;
	q.what = b->what;
	rc = reg_open(r, &q, &b->x, err);
	free(url);
	free(scope);
	if (rc < 0)
		goto fail;
	if (b->x->resp.status != 200) {
		reg_status_error(b->x, reg_registry(r, repo->domain), b->what, err);
		b->x = NULL;
		goto fail;
	}
	if (size >= 0 && b->x->resp.content_length >= 0 && b->x->resp.content_length != size) {
		bh_error_set(err, BH_ERR_DIGEST,
			     "registry %s: %s: size mismatch: the registry sends %lld bytes, the "
			     "descriptor says %lld",
			     b->host, b->what, (long long)b->x->resp.content_length,
			     (long long)size);
		goto fail;
	}
	if (b->verify && bh_hasher_new(digest->algo, &b->h, err) < 0)
		goto fail;
	if ((flags & BH_REGISTRY_READAHEAD) && ra_start(b, err) < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	bh_registry_blob_close(b);
	return -1;
}

int64_t bh_registry_blob_size(const struct bh_registry_blob *b)
{
	return b->x ? b->x->resp.content_length : -1;
}

ssize_t bh_registry_blob_read(struct bh_registry_blob *b, void *buf, size_t n,
			      struct bh_error **err)
{
	ssize_t k;

	if (b->done)
		return 0;
	k = b->ra ? ra_read(b->ra, buf, n, err) : reg_xfer_read(b->x, buf, n, err);
	if (k < 0)
		return -1;
	if (k > 0) {
		b->count += (uint64_t)k;
		if (b->h)
			bh_hasher_update(b->h, buf, (size_t)k);
		if (b->size >= 0 && b->count > (uint64_t)b->size)
			return bh_error_set(err, BH_ERR_DIGEST,
					    "registry %s: %s: size mismatch: more than the %lld "
					    "bytes its descriptor declares",
					    b->host, b->what, (long long)b->size);
		return k;
	}
	b->done = true;
	if (b->size >= 0 && b->count != (uint64_t)b->size)
		return bh_error_set(err, BH_ERR_DIGEST,
				    "registry %s: %s: size mismatch: %llu bytes, its descriptor "
				    "declares %lld (truncated?)",
				    b->host, b->what, (unsigned long long)b->count,
				    (long long)b->size);
	if (b->h) {
		struct bh_digest got;

		bh_hasher_final(b->h, &got);
		if (strcmp(got.str, b->want.str))
			return bh_error_set(err, BH_ERR_DIGEST,
					    "registry %s: %s: digest mismatch: the content is %s",
					    b->host, b->what, got.str);
	}
	return 0;
}

void bh_registry_blob_close(struct bh_registry_blob *b)
{
	if (!b)
		return;
	if (b->ra)
		ra_stop(b);
	reg_xfer_close(b->x);
	bh_hasher_free(b->h);
	free(b->what);
	free(b->host);
	free(b);
}

int bh_registry_get_blob(struct bh_registry *r, const struct bh_registry_ref *repo,
			 const struct bh_digest *digest, int64_t size, struct bh_buf *out,
			 struct bh_error **err)
{
	struct bh_registry_blob *b;
	char tmp[16384];
	int rc = 0;

	if (size >= 0 && (uint64_t)size > out->max)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "blob %s: %lld bytes, over the limit of %zu bytes", digest->str,
				    (long long)size, out->max);
	if (bh_registry_blob_open(r, repo, digest, size, 0, &b, err) < 0)
		return -1;
	for (;;) {
		ssize_t k = bh_registry_blob_read(b, tmp, sizeof(tmp), err);

		if (k <= 0) {
			rc = (int)k;
			break;
		}
		if (out->len + (size_t)k > out->max) {
			rc = bh_error_set(err, BH_ERR_LIMIT,
					  "blob %s: more than the limit of %zu bytes", digest->str,
					  out->max);
			break;
		}
		if (bh_buf_add(out, tmp, (size_t)k, err) < 0) {
			rc = -1;
			break;
		}
	}
	bh_registry_blob_close(b);
	if (rc == 0 && !out->data)
		bh_buf_adds(out, "", NULL);
	return rc < 0 ? -1 : 0;
}

static int blob_exists(struct bh_registry *r, const struct bh_registry_ref *repo,
		       const struct bh_digest *digest, int64_t *size, const char *scope_for,
		       struct bh_error **err)
{
	struct reg_host *h;
	struct reg_xfer *x = NULL;
	char *url, *scope, *what;
	struct reg_req q = { .method = "HEAD", .follow = true };
	int rc = -1;

	if (reg_need_repo(repo, err) < 0)
		return -1;
	h = reg_registry(r, repo->domain);
	url = blob_url(h, repo, digest);
	scope = scope_for ? bh_strdup(scope_for) : reg_scope(repo->path, "pull");
	what = bh_asprintf("blob %s@%s", repo->path, digest->str);
	q.url = url;
	q.host = h;
	q.registry = h;
	q.scope = scope;
	q.what = what;
	if (reg_open(r, &q, &x, err) < 0)
		goto out;
	if (x->resp.status == 404) {
		rc = 0;
	} else if (x->resp.status == 200) {
		if (size)
			*size = x->resp.content_length;
		rc = 1;
	} else {
		reg_status_error(x, h, what, err);
		x = NULL;
	}
out:
	reg_xfer_close(x);
	free(url);
	free(scope);
	free(what);
	return rc;
}

int bh_registry_blob_exists(struct bh_registry *r, const struct bh_registry_ref *repo,
			    const struct bh_digest *digest, int64_t *size, struct bh_error **err)
{
	return blob_exists(r, repo, digest, size, NULL, err);
}

/* ---- uploads -------------------------------------------------------------- */

/* An upload's Location, absolute; whether it is on the registry itself. */
static int upload_location(struct reg_xfer *x, struct reg_host *h, const char *base, char **out,
			   bool *same, struct bh_error **err)
{
	char *hp = NULL;
	bool https;

	if (!x->resp.location)
		return bh_error_set(err, BH_ERR_INVALID,
				    "registry %s: an upload was started without a Location",
				    h->hostport);
	if (reg_url_parse(base, x->resp.location, out, &hp, &https, err) < 0)
		return bh_error_prefix(err, "registry %s: upload Location", h->hostport);
	*same = !strcmp(hp, h->hostport);
	if (!https && !(*same && h->scheme == REG_SCHEME_HTTP)) {
		char *red = reg_url_redact(*out);

		bh_error_set(err, BH_ERR_UNSAFE,
			     "registry %s: the upload goes to %s: refused, plain HTTP is not "
			     "allowed",
			     h->hostport, red);
		free(red);
		free(hp);
		free(*out);
		*out = NULL;
		return -1;
	}
	free(hp);
	return 0;
}

static char *with_query(const char *url, const char *param)
{
	return bh_asprintf("%s%c%s", url, strchr(url, '?') ? '&' : '?', param);
}

int bh_registry_put_blob(struct bh_registry *r, const struct bh_registry_ref *repo,
			 const struct bh_digest *digest, uint64_t size,
			 const struct bh_registry_source *src, const char *mount_from,
			 bh_registry_progress_fn progress, void *progress_data,
			 struct bh_error **err)
{
	struct reg_host *h;
	struct reg_xfer *x = NULL;
	char *what = NULL, *scope = NULL, *url = NULL, *loc = NULL, *dq = NULL, *edig = NULL;
	char *hdrs[4] = { 0 };
	struct reg_req q = { 0 };
	int64_t have = -1;
	bool same = true;
	uint64_t off = 0;
	int rc = -1, ex;

	if (reg_need_repo(repo, err) < 0)
		return -1;
	h = reg_registry(r, repo->domain);
	what = bh_asprintf("blob %s@%s", repo->path, digest->str);
	/* one scope (so one token) for every request of the upload */
	scope = mount_from ? bh_asprintf("repository:%s:pull,push repository:%s:pull", repo->path,
					 mount_from)
			   : reg_scope(repo->path, "pull,push");
	ex = blob_exists(r, repo, digest, &have, scope, err);
	if (ex < 0)
		goto out;
	if (ex == 1 && (have < 0 || (uint64_t)have == size)) {
		bh_debug("registry %s: %s exists", h->hostport, what);
		rc = BH_REGISTRY_PUT_EXISTS;
		goto out;
	}
	edig = reg_escape(digest->str);
	{
		char *base = reg_url(h, repo->path, "/blobs/uploads/");

		if (mount_from) {
			char *from = reg_escape(mount_from);

			url = bh_asprintf("%s?mount=%s&from=%s", base, edig, from);
			free(from);
		} else {
			url = bh_strdup(base);
		}
		free(base);
	}
	q.method = "POST";
	q.url = url;
	q.host = h;
	q.registry = h;
	q.scope = scope;
	q.what = what;
	if (reg_open(r, &q, &x, err) < 0)
		goto out;
	if (mount_from && x->resp.status == 201) {
		bh_debug("registry %s: %s mounted from %s", h->hostport, what, mount_from);
		rc = BH_REGISTRY_PUT_MOUNTED;
		goto out;
	}
	if (x->resp.status != 202) {
		reg_status_error(x, h, what, err);
		x = NULL;
		bh_error_prefix(err, "starting an upload");
		goto out;
	}
	if (upload_location(x, h, url, &loc, &same, err) < 0)
		goto out;
	reg_xfer_close(x);
	x = NULL;
	dq = bh_asprintf("digest=%s", edig);
	hdrs[0] = "Content-Type: application/octet-stream";
	q.headers = hdrs;
	q.registry = same ? h : NULL;
	q.host = NULL;
	q.progress = progress;
	q.progress_data = progress_data;
	q.progress_digest = digest->str;
	q.progress_total = (int64_t)size;
	if (size <= r->monolithic_max) {
		/* one PUT with the whole blob */
		char *u = with_query(loc, dq);

		q.method = "PUT";
		q.url = u;
		q.src = src;
		q.src_len = size;
		q.has_body = size == 0;
		rc = reg_open(r, &q, &x, err);
		free(u);
		if (rc < 0)
			goto out;
		rc = -1;
	} else {
		/* PATCH chunks, each at the Location the last one returned */
		while (off < size) {
			uint64_t n = size - off < r->chunk_size ? size - off : r->chunk_size;
			char range[80];

			snprintf(range, sizeof(range), "Content-Range: %llu-%llu",
				 (unsigned long long)off, (unsigned long long)(off + n - 1));
			hdrs[1] = range;
			q.method = "PATCH";
			q.url = loc;
			q.src = src;
			q.src_len = n;
			q.progress_base = off;
			if (reg_open(r, &q, &x, err) < 0)
				goto out;
			if (x->resp.status != 202) {
				reg_status_error(x, h, what, err);
				x = NULL;
				bh_error_prefix(err, "uploading bytes %llu-%llu",
						(unsigned long long)off,
						(unsigned long long)(off + n - 1));
				goto out;
			}
			{
				char *next = NULL;

				if (upload_location(x, h, loc, &next, &same, err) < 0)
					goto out;
				free(loc);
				loc = next;
				q.registry = same ? h : NULL;
			}
			reg_xfer_close(x);
			x = NULL;
			off += n;
		}
		hdrs[1] = NULL;
		{
			char *u = with_query(loc, dq);

			q.method = "PUT";
			q.url = u;
			q.src = NULL;
			q.src_len = 0;
			q.has_body = true;
			q.body = NULL;
			q.body_len = 0;
			rc = reg_open(r, &q, &x, err);
			free(u);
			if (rc < 0)
				goto out;
			rc = -1;
		}
	}
	if (x->resp.status != 201) {
		reg_status_error(x, h, what, err);
		x = NULL;
		bh_error_prefix(err, "finishing the upload");
		goto out;
	}
	if (x->resp.digest && strcmp(x->resp.digest, digest->str)) {
		bh_error_set(err, BH_ERR_DIGEST, "registry %s: %s: stored as %.100s", h->hostport,
			     what, x->resp.digest);
		goto out;
	}
	rc = BH_REGISTRY_PUT_UPLOADED;
out:
	reg_xfer_close(x);
	free(what);
	free(scope);
	free(url);
	free(loc);
	free(dq);
	free(edig);
	return rc;
}

/* ---- uploads from memory ---------------------------------------------------- */

struct mem_src {
	const char *p;
	size_t len, off;
};

static ssize_t mem_read(void *data, void *buf, size_t n, struct bh_error **err)
{
	struct mem_src *m = data;

	if (n > m->len - m->off)
		n = m->len - m->off;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

int bh_registry_put_blob_buf(struct bh_registry *r, const struct bh_registry_ref *repo,
			     const void *data, size_t len, struct bh_digest *digest,
			     struct bh_error **err)
{
	struct mem_src m = { data, len, 0 };
	struct bh_registry_source src = { mem_read, &m };
	struct bh_digest d;
	int rc;

	bh_sha256(data, len, &d);
	rc = bh_registry_put_blob(r, repo, &d, len, &src, NULL, NULL, NULL, err);
	if (rc >= 0 && digest)
		*digest = d;
	return rc;
}
