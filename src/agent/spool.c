/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's bounded on-disk spool (include/bulkhead/agent.h): segment
 * files of records, recovered at open, shipped in order, deleted when
 * acknowledged, the oldest dropped (and a gap recorded) when full.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/agent.h"
#include "base/dir.h"
#include "banned.h"

#define MAGIC	 0x31534842u /* "BHS1" little-endian */
#define HDR_SIZE 20u
#define SEGS_MAX 100000

struct seg {
	uint64_t first, last; /* seqs; last < first: empty */
	uint64_t bytes;
};

struct bh_agent_spool {
	char *dir;
	int dirfd, lockfd;
	uint64_t max_bytes, seg_bytes;
	struct seg *segs; /* oldest first; the last is the one appended to */
	size_t nsegs;
	int wfd; /* the last segment, open for append; -1: none yet */
	uint64_t next, acked, bytes;
	uint64_t dropped, corrupt;
	bool dirty; /* appended since the last sync */
};

/* CRC-32 (IEEE, reflected): no checksum helper in src/base; zlib is not linked. */
static uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;

	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static uint32_t rec_crc(uint64_t seq, const void *p, size_t n)
{
	return crc32_update(crc32_update(0, &seq, sizeof(seq)), p, n);
}

static void seg_name(uint64_t first, char name[32])
{
	snprintf(name, 32, "%020" PRIu64 ".seg", first);
}

static int write_all(int fd, const struct iovec *iov, int n, struct bh_error **err)
{
	struct iovec v[2];
	ssize_t w;

	memcpy(v, iov, sizeof(*iov) * (size_t)n);
	while (n > 0) {
		w = writev(fd, v, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return bh_error_sys(err, errno, "spool: writing a record");
		}
		while (n > 0 && (size_t)w >= v[0].iov_len) {
			w -= (ssize_t)v[0].iov_len;
			v[0] = v[1];
			n--;
		}
		if (n > 0) {
			v[0].iov_base = (char *)v[0].iov_base + w;
			v[0].iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* ---- reading a segment ------------------------------------------------------------------- */

/* Called per good record; a negative return stops. */
typedef int (*rec_fn)(void *ctx, uint64_t seq, const char *p, size_t n, struct bh_error **err);

/*
 * Walk the records of segment s's file: *good gets the offset after the last
 * good record, *bad whether something followed it (torn or corrupt).
 */
static int seg_read(struct bh_agent_spool *sp, uint64_t first, rec_fn fn, void *ctx, uint64_t *good,
		    bool *bad, struct seg *out, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(sp->seg_bytes + HDR_SIZE + BH_AGENT_RECORD_MAX + 1);
	char name[32];
	size_t off = 0;
	uint64_t expect = first;
	int fd, ret = -1;

	seg_name(first, name);
	fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return bh_error_sys(err, errno, "spool: %s/%s", sp->dir, name);
	if (bh_buf_read_fd(&b, fd, name, err) < 0) {
		/* a segment over its bound: read what fits, the rest is corrupt */
		if (bh_error_code(*err) != BH_ERR_LIMIT)
			goto out;
		bh_error_clear(err);
	}
	*out = (struct seg){ first, first - 1, 0 };
	*bad = false;
	while (off < b.len) {
		uint32_t magic, len, crc;
		uint64_t seq;

		if (b.len - off < HDR_SIZE) {
			*bad = true;
			break;
		}
		memcpy(&magic, b.data + off, 4);
		memcpy(&len, b.data + off + 4, 4);
		memcpy(&seq, b.data + off + 8, 8);
		memcpy(&crc, b.data + off + 16, 4);
		if (magic != MAGIC || len == 0 || len > BH_AGENT_RECORD_MAX ||
		    b.len - off - HDR_SIZE < len || seq != expect ||
		    rec_crc(seq, b.data + off + HDR_SIZE, len) != crc) {
			*bad = true;
			break;
		}
		if (fn && fn(ctx, seq, b.data + off + HDR_SIZE, len, err) < 0)
			goto out;
		out->last = seq;
		expect++;
		off += HDR_SIZE + len;
	}
	out->bytes = off;
	*good = off;
	ret = 0;
out:
	close(fd);
	bh_buf_release(&b);
	return ret;
}

/* ---- the acked file ---------------------------------------------------------------------- */

static int read_acked(struct bh_agent_spool *sp, struct bh_error **err)
{
	char buf[32], *end;
	char *path = bh_asprintf("%s/acked", sp->dir);
	int n = bh_read_small(path, buf, sizeof(buf));

	free(path);
	sp->acked = 0;
	if (n < 0)
		return 0; /* none yet */
	errno = 0;
	sp->acked = strtoull(buf, &end, 10);
	if (errno || end == buf)
		sp->acked = 0; /* unreadable: sending again is harmless */
	(void)err;
	return 0;
}

static int write_acked(struct bh_agent_spool *sp, struct bh_error **err)
{
	char buf[32];
	char *path = bh_asprintf("%s/acked", sp->dir);
	int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", sp->acked);
	int rc = bh_write_file_atomic(path, buf, (size_t)n, 0600, err);

	free(path);
	return rc;
}

/* ---- open -------------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int list_segments(struct bh_agent_spool *sp, uint64_t **out, size_t *n,
			 struct bh_error **err)
{
	DIR *d = bh_opendir_at(sp->dirfd);
	struct dirent *e;
	uint64_t *v = NULL;
	size_t k = 0;

	if (!d)
		return bh_error_sys(err, errno, "spool: %s", sp->dir);
	while ((e = readdir(d))) {
		char *end;
		uint64_t first;

		if (strlen(e->d_name) != 24 || !bh_str_has_suffix(e->d_name, ".seg") ||
		    !bh_isdigit(e->d_name[0]))
			continue;
		errno = 0;
		first = strtoull(e->d_name, &end, 10);
		if (errno || end != e->d_name + 20 || first == 0)
			continue;
		if (k >= SEGS_MAX) {
			closedir(d);
			free(v);
			return bh_error_set(err, BH_ERR_LIMIT, "spool: %s: over %d segments",
					    sp->dir, SEGS_MAX);
		}
		v = bh_reallocarray(v, k + 1, sizeof(*v));
		v[k++] = first;
	}
	closedir(d);
	if (k)
		qsort(v, k, sizeof(*v), cmp_u64);
	*out = v;
	*n = k;
	return 0;
}

static int unlink_seg(struct bh_agent_spool *sp, uint64_t first, struct bh_error **err)
{
	char name[32];

	seg_name(first, name);
	if (unlinkat(sp->dirfd, name, 0) < 0 && errno != ENOENT)
		return bh_error_sys(err, errno, "spool: removing %s", name);
	return 0;
}

static int gap_record(struct bh_agent_spool *sp, uint64_t n, uint64_t a, uint64_t b,
		      const char *reason, struct bh_error **err);

/* The seqs from..to are missing: count those not acknowledged. */
static void hole(struct bh_agent_spool *sp, uint64_t from, uint64_t to, uint64_t *lost,
		 uint64_t *lfrom, uint64_t *lto)
{
	if (from <= sp->acked)
		from = sp->acked + 1;
	if (from > to)
		return;
	*lost += to - from + 1;
	if (!*lfrom)
		*lfrom = from;
	*lto = to;
}

static int recover(struct bh_agent_spool *sp, struct bh_error **err)
{
	uint64_t *firsts = NULL, lost_from = 0, lost_to = 0, lost = 0, expect = 0;
	size_t n = 0;
	int ret = -1;

	if (list_segments(sp, &firsts, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct seg s;
		uint64_t good;
		bool bad;

		if (expect && firsts[i] < expect) {
			/* overlaps the one before: not this spool's own writing */
			if (unlink_seg(sp, firsts[i], err) < 0)
				goto out;
			sp->corrupt++;
			continue;
		}
		if (seg_read(sp, firsts[i], NULL, NULL, &good, &bad, &s, err) < 0)
			goto out;
		hole(sp, expect ? expect : sp->acked + 1, firsts[i] - 1, &lost, &lost_from,
		     &lost_to);
		if (bad) {
			sp->corrupt++;
			if (i + 1 == n) {
				/* the tail a crash tore: cut it so appends go on */
				char name[32];
				int fd;

				seg_name(firsts[i], name);
				fd = openat(sp->dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
				if (fd < 0 || ftruncate(fd, (off_t)good) < 0 || fsync(fd) < 0) {
					bh_error_sys(err, errno, "spool: truncating %s", name);
					if (fd >= 0)
						close(fd);
					goto out;
				}
				close(fd);
			}
		}
		if (s.last < s.first && i + 1 < n) {
			/* nothing readable in a middle segment: the next one shows the hole */
			if (unlink_seg(sp, firsts[i], err) < 0)
				goto out;
			if (!expect)
				expect = firsts[i];
			continue;
		}
		sp->segs = bh_reallocarray(sp->segs, sp->nsegs + 1, sizeof(*sp->segs));
		sp->segs[sp->nsegs++] = s;
		sp->bytes += s.bytes;
		expect = s.last + 1;
	}
	sp->next = expect > sp->acked + 1 ? expect : sp->acked + 1;
	/* segments wholly acknowledged (a crash between the ack and the unlink) */
	while (sp->nsegs > 1 && sp->segs[0].last <= sp->acked) {
		if (unlink_seg(sp, sp->segs[0].first, err) < 0)
			goto out;
		sp->bytes -= sp->segs[0].bytes;
		memmove(sp->segs, sp->segs + 1, (sp->nsegs - 1) * sizeof(*sp->segs));
		sp->nsegs--;
	}
	if (lost) {
		if (gap_record(sp, lost, lost_from, lost_to, "corrupt", err) < 0 ||
		    bh_agent_spool_sync(sp, err) < 0)
			goto out;
	}
	ret = 0;
out:
	free(firsts);
	return ret;
}

int bh_agent_spool_open(const struct bh_agent_spool_opts *o, struct bh_agent_spool **out,
			struct bh_error **err)
{
	struct bh_agent_spool *sp;

	*out = NULL;
	if (!o->dir || !*o->dir)
		return bh_error_set(err, BH_ERR_USAGE, "spool: no directory");
	if (o->max_bytes && o->max_bytes < BH_AGENT_SPOOL_MIN)
		return bh_error_set(err, BH_ERR_USAGE, "spool: a bound under %llu bytes",
				    (unsigned long long)BH_AGENT_SPOOL_MIN);
	if (bh_mkdirs(o->dir, 0755, 0700, err) < 0)
		return bh_error_prefix(err, "spool");
	sp = bh_calloc(1, sizeof(*sp));
	sp->dir = bh_strdup(o->dir);
	sp->wfd = sp->lockfd = -1;
	sp->max_bytes = o->max_bytes ? o->max_bytes : BH_AGENT_SPOOL_DEFAULT;
	sp->seg_bytes = o->segment_bytes ? o->segment_bytes : BH_AGENT_SEGMENT_DEFAULT;
	if (sp->seg_bytes > sp->max_bytes / 4)
		sp->seg_bytes = sp->max_bytes / 4;
	sp->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		bh_error_sys(err, errno, "spool: %s", o->dir);
		goto fail;
	}
	sp->lockfd = openat(sp->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sp->lockfd < 0) {
		bh_error_sys(err, errno, "spool: %s/lock", o->dir);
		goto fail;
	}
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB) < 0) {
		bh_error_set(err, errno == EWOULDBLOCK ? BH_ERR_USAGE : BH_ERR_IO,
			     "spool: %s is in use by another agent", o->dir);
		goto fail;
	}
	if (read_acked(sp, err) < 0 || recover(sp, err) < 0)
		goto fail;
	*out = sp;
	return 0;
fail:
	bh_agent_spool_free(sp);
	return -1;
}

void bh_agent_spool_free(struct bh_agent_spool *sp)
{
	if (!sp)
		return;
	if (sp->wfd >= 0) {
		if (sp->dirty)
			fdatasync(sp->wfd);
		close(sp->wfd);
	}
	if (sp->lockfd >= 0)
		close(sp->lockfd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->segs);
	free(sp->dir);
	free(sp);
}

/* ---- append ------------------------------------------------------------------------------ */

/* A new segment starting at sp->next becomes the one appended to. */
static int new_segment(struct bh_agent_spool *sp, struct bh_error **err)
{
	char name[32];

	if (sp->wfd >= 0) {
		if (sp->dirty && fdatasync(sp->wfd) < 0)
			return bh_error_sys(err, errno, "spool: syncing a segment");
		close(sp->wfd);
		sp->wfd = -1;
	}
	seg_name(sp->next, name);
	sp->wfd = openat(sp->dirfd, name,
			 O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sp->wfd < 0)
		return bh_error_sys(err, errno, "spool: creating %s", name);
	if (fsync(sp->dirfd) < 0)
		return bh_error_sys(err, errno, "spool: syncing %s", sp->dir);
	sp->segs = bh_reallocarray(sp->segs, sp->nsegs + 1, sizeof(*sp->segs));
	sp->segs[sp->nsegs++] = (struct seg){ sp->next, sp->next - 1, 0 };
	return 0;
}

/* Open the last segment for appends (after open) or start one. */
static int writable(struct bh_agent_spool *sp, size_t need, struct bh_error **err)
{
	struct seg *last = sp->nsegs ? &sp->segs[sp->nsegs - 1] : NULL;

	if (last && last->bytes + need <= sp->seg_bytes && last->last + 1 == sp->next) {
		if (sp->wfd < 0) {
			char name[32];

			seg_name(last->first, name);
			sp->wfd = openat(sp->dirfd, name,
					 O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
			if (sp->wfd < 0)
				return bh_error_sys(err, errno, "spool: opening %s", name);
		}
		return 0;
	}
	return new_segment(sp, err);
}

/* Drop the oldest segments until need more bytes fit; count and record the
 * unacknowledged records that went. */
static int make_room(struct bh_agent_spool *sp, size_t need, struct bh_error **err)
{
	uint64_t n = 0, from = 0, to = 0;

	while (sp->bytes + need > sp->max_bytes && sp->nsegs > 0) {
		struct seg s = sp->segs[0];

		if (sp->nsegs == 1) {
			/* the one being appended to: start afresh after it */
			if (sp->wfd >= 0) {
				close(sp->wfd);
				sp->wfd = -1;
			}
		}
		if (unlink_seg(sp, s.first, err) < 0)
			return -1;
		sp->bytes -= s.bytes;
		memmove(sp->segs, sp->segs + 1, (sp->nsegs - 1) * sizeof(*sp->segs));
		sp->nsegs--;
		if (s.last >= s.first && s.last > sp->acked) {
			uint64_t a = s.first > sp->acked ? s.first : sp->acked + 1;

			n += s.last - a + 1;
			if (!from)
				from = a;
			to = s.last;
		}
	}
	if (!n)
		return 0;
	sp->dropped += n;
	/* what is gone is as good as acknowledged: shipping resumes after it */
	if (to > sp->acked) {
		sp->acked = to;
		if (write_acked(sp, err) < 0)
			return -1;
	}
	return gap_record(sp, n, from, to, "spool full", err);
}

static int append_raw(struct bh_agent_spool *sp, const void *p, size_t len, uint64_t *seq,
		      struct bh_error **err)
{
	uint32_t hdr32[2] = { MAGIC, (uint32_t)len };
	unsigned char hdr[HDR_SIZE];
	uint64_t s = sp->next;
	uint32_t crc = rec_crc(s, p, len);
	struct iovec iov[2] = { { hdr, HDR_SIZE }, { (void *)p, len } };
	struct seg *last;

	memcpy(hdr, hdr32, 8);
	memcpy(hdr + 8, &s, 8);
	memcpy(hdr + 16, &crc, 4);
	if (writable(sp, HDR_SIZE + len, err) < 0)
		return -1;
	if (write_all(sp->wfd, iov, 2, err) < 0)
		return -1;
	last = &sp->segs[sp->nsegs - 1];
	last->last = s;
	last->bytes += HDR_SIZE + len;
	sp->bytes += HDR_SIZE + len;
	sp->next++;
	sp->dirty = true;
	if (seq)
		*seq = s;
	return 0;
}

static int gap_record(struct bh_agent_spool *sp, uint64_t n, uint64_t a, uint64_t b,
		      const char *reason, struct bh_error **err)
{
	char buf[256];
	int k = snprintf(buf, sizeof(buf),
			 "{\"ts\":%lld,\"kind\":\"gap\",\"data\":{\"dropped\":%" PRIu64
			 ",\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64 ",\"reason\":\"%s\"}}",
			 (long long)time(NULL), n, a, b, reason);

	return append_raw(sp, buf, (size_t)k, NULL, err);
}

int bh_agent_spool_append(struct bh_agent_spool *sp, const void *p, size_t len, uint64_t *seq,
			  struct bh_error **err)
{
	if (len == 0 || len > BH_AGENT_RECORD_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "spool: a record of %zu bytes (1 to %u)",
				    len, BH_AGENT_RECORD_MAX);
	/* room for this record and a gap record */
	if (make_room(sp, 2 * HDR_SIZE + len + 256, err) < 0)
		return -1;
	return append_raw(sp, p, len, seq, err);
}

int bh_agent_spool_sync(struct bh_agent_spool *sp, struct bh_error **err)
{
	if (sp->wfd >= 0 && sp->dirty && fdatasync(sp->wfd) < 0)
		return bh_error_sys(err, errno, "spool: syncing");
	sp->dirty = false;
	return 0;
}

/* ---- peek and ack ------------------------------------------------------------------------ */

struct peek {
	uint64_t after;
	size_t max, max_bytes, bytes;
	struct bh_agent_record *v;
	size_t n;
	bool full;
};

static int peek_rec(void *ctx, uint64_t seq, const char *p, size_t len, struct bh_error **err)
{
	struct peek *k = ctx;

	(void)err;
	if (seq <= k->after)
		return 0;
	if (k->n >= k->max || (k->n && k->bytes + len > k->max_bytes)) {
		k->full = true;
		return -1;
	}
	k->v[k->n].seq = seq;
	k->v[k->n].data = bh_strndup(p, len);
	k->v[k->n].len = len;
	k->n++;
	k->bytes += len;
	return 0;
}

int bh_agent_spool_peek(struct bh_agent_spool *sp, size_t max, size_t max_bytes,
			struct bh_agent_record **out, size_t *n, struct bh_error **err)
{
	struct peek k = { sp->acked, max ? max : 1, max_bytes, 0, NULL, 0, false };

	*out = NULL;
	*n = 0;
	if (bh_agent_spool_sync(sp, err) < 0)
		return -1;
	k.v = bh_calloc(k.max, sizeof(*k.v));
	for (size_t i = 0; i < sp->nsegs && !k.full; i++) {
		const struct seg *s = &sp->segs[i];
		struct seg got;
		uint64_t good;
		bool bad;

		if (s->last < s->first || s->last <= sp->acked)
			continue;
		if (seg_read(sp, s->first, peek_rec, &k, &good, &bad, &got, err) < 0 && !k.full) {
			bh_agent_records_free(k.v, k.n);
			return -1;
		}
	}
	if (!k.n) {
		free(k.v);
		return 0;
	}
	*out = k.v;
	*n = k.n;
	return 0;
}

void bh_agent_records_free(struct bh_agent_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].data);
	free(r);
}

int bh_agent_spool_ack(struct bh_agent_spool *sp, uint64_t seq, struct bh_error **err)
{
	if (seq <= sp->acked)
		return 0;
	if (seq >= sp->next)
		seq = sp->next - 1;
	sp->acked = seq;
	if (write_acked(sp, err) < 0)
		return -1;
	/* whole segments at or below the ack, but not the one appended to */
	while (sp->nsegs > 1 && sp->segs[0].last <= sp->acked) {
		if (unlink_seg(sp, sp->segs[0].first, err) < 0)
			return -1;
		sp->bytes -= sp->segs[0].bytes;
		memmove(sp->segs, sp->segs + 1, (sp->nsegs - 1) * sizeof(*sp->segs));
		sp->nsegs--;
	}
	return 0;
}

void bh_agent_spool_next_at_least(struct bh_agent_spool *sp, uint64_t seq)
{
	if (seq > sp->next) {
		sp->next = seq;
		if (sp->acked + 1 < seq)
			sp->acked = seq - 1;
	}
}

void bh_agent_spool_stats(const struct bh_agent_spool *sp, struct bh_agent_spool_stats *st)
{
	st->next_seq = sp->next;
	st->acked = sp->acked;
	st->pending = sp->next - 1 - sp->acked;
	st->bytes = sp->bytes;
	st->segments = sp->nsegs;
	st->dropped = sp->dropped;
	st->corrupt = sp->corrupt;
}
