/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A layer of podman's store, as the tar it was made from. containers/storage
 * keeps, beside each layer's directory, its tar-split record
 * (<driver>-layers/<id>.tar-split.gz, vbatts/tar-split): one JSON object per
 * line,
 *
 *   {"type":2,"payload":"<base64 bytes>","position":N}   a segment: header
 *                                                         blocks, padding,
 *                                                         the end marker
 *   {"type":1,"name":"./etc/x","size":12,"payload":"<crc64>","position":N}
 *                                                         a file's content:
 *                                                         `size` bytes of
 *                                                         that file
 *
 * Replaying it with the files of the layer's directory gives the original
 * tar byte for byte (what `podman save` sends), so the walk checks it
 * against the layer's diff_id like any other. Files are opened inside the
 * layer's directory (in-root resolution, no symlink followed at the end)
 * and must have exactly the size recorded. Lines are bounded; the record
 * is input like any other (fuzz/fuzz_tarsplit.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "banned.h"

#define IN_BUF (64u * 1024)

enum { TS_FILE = 1, TS_SEGMENT = 2 };

struct ts_stream {
	struct bh_stream s;
	struct bh_stream *jsonl;
	int dirfd;
	struct bh_buf line;
	char *in;
	size_t in_len, in_off;
	bool in_eof;
	uint64_t lines;
	/* what is being sent */
	char *seg;
	size_t seg_len, seg_off;
	int fd;
	char *fname;
	uint64_t file_left;
	bool done;
};

/* The next line of the record into t->line (no newline); 0 at its end. */
static int next_line(struct ts_stream *t, struct bh_error **err)
{
	bh_buf_reset(&t->line);
	for (;;) {
		if (t->in_off < t->in_len) {
			char *nl = memchr(t->in + t->in_off, '\n', t->in_len - t->in_off);
			size_t k = nl ? (size_t)(nl - (t->in + t->in_off)) : t->in_len - t->in_off;

			if (bh_buf_add(&t->line, t->in + t->in_off, k, NULL) < 0)
				return bh_error_set(err, BH_ERR_LIMIT,
						    "tar-split: line %llu exceeds %zu bytes",
						    (unsigned long long)t->lines + 1, t->line.max);
			t->in_off += k + (nl ? 1 : 0);
			if (nl) {
				t->lines++;
				return 1;
			}
			continue;
		}
		if (t->in_eof) {
			if (t->line.len) {
				t->lines++;
				return 1;
			}
			return 0;
		}
		ssize_t r = bh_stream_read(t->jsonl, t->in, IN_BUF, err);

		if (r < 0)
			return bh_error_prefix(err, "tar-split");
		t->in_len = (size_t)r;
		t->in_off = 0;
		t->in_eof = r == 0;
	}
}

static int open_file(struct ts_stream *t, const char *name, uint64_t size, struct bh_error **err)
{
	struct stat st;

	t->fd = bh_root_openat(t->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY, 0, err);
	if (t->fd < 0)
		return bh_error_prefix(err, "the layer's file %s", name);
	if (fstat(t->fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		return bh_error_set(err, BH_ERR_DIGEST,
				    "the layer's file %s is not the %llu-byte file its tar-split "
				    "record says (changed in the store?)",
				    name, (unsigned long long)size);
	free(t->fname);
	t->fname = bh_strdup(name);
	t->file_left = size;
	return 0;
}

/* One record line: a segment to send or a file to open. */
static int take_line(struct ts_stream *t, struct bh_error **err)
{
	json_t *j = NULL, *payload;
	json_int_t type, size = 0;
	int r = -1;

	if (t->line.len == 0)
		return 0; /* blank lines are not records */
	if (bh_json_parse(t->line.data, t->line.len, t->line.max, "tar-split record", &j, err) < 0)
		goto out;
	if (!json_is_object(j) || !bh_json_int(j, "type", &type)) {
		bh_error_set(err, BH_ERR_INVALID, "tar-split: line %llu is not a record",
			     (unsigned long long)t->lines);
		goto out;
	}
	payload = json_object_get(j, "payload");
	if (type == TS_SEGMENT) {
		const char *p = json_is_string(payload) ? json_string_value(payload) : "";

		if (payload && !json_is_string(payload) && !json_is_null(payload)) {
			bh_error_set(err, BH_ERR_INVALID, "tar-split: line %llu: bad payload",
				     (unsigned long long)t->lines);
			goto out;
		}
		free(t->seg);
		t->seg_len = t->seg_off = 0;
		t->seg = bh_malloc(bh_base64_decoded_max(strlen(p)) + 1);
		if (bh_base64_decode_mem(p, strlen(p), 0, "the payload", t->seg,
					 bh_base64_decoded_max(strlen(p)), &t->seg_len, err) < 0) {
			bh_error_prefix(err, "tar-split: line %llu", (unsigned long long)t->lines);
			goto out;
		}
	} else if (type == TS_FILE) {
		const char *name = bh_json_str(j, "name");

		if (!name || (json_object_get(j, "size") && !bh_json_int(j, "size", &size)) ||
		    size < 0) {
			bh_error_set(err, BH_ERR_INVALID,
				     "tar-split: line %llu: a file entry without a name or size",
				     (unsigned long long)t->lines);
			goto out;
		}
		if (size > 0 && open_file(t, name, (uint64_t)size, err) < 0)
			goto out;
	} else {
		bh_error_set(err, BH_ERR_INVALID, "tar-split: line %llu: unknown type %lld",
			     (unsigned long long)t->lines, (long long)type);
		goto out;
	}
	r = 0;
out:
	json_decref(j);
	return r;
}

static ssize_t ts_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	struct ts_stream *t = (struct ts_stream *)s;

	for (;;) {
		if (t->seg_off < t->seg_len) {
			size_t k = t->seg_len - t->seg_off < n ? t->seg_len - t->seg_off : n;

			memcpy(buf, t->seg + t->seg_off, k);
			t->seg_off += k;
			return (ssize_t)k;
		}
		if (t->fd >= 0) {
			ssize_t k;

			if (t->file_left == 0) {
				close(t->fd);
				t->fd = -1;
				continue;
			}
			do
				k = read(t->fd, buf, n < t->file_left ? n : (size_t)t->file_left);
			while (k < 0 && errno == EINTR);
			if (k < 0)
				return bh_error_sys(err, errno, "reading the layer's file %s",
						    t->fname);
			if (k == 0)
				return bh_error_set(err, BH_ERR_DIGEST,
						    "the layer's file %s is shorter than its "
						    "tar-split record says",
						    t->fname);
			t->file_left -= (uint64_t)k;
			return k;
		}
		if (t->done)
			return 0;
		int r = next_line(t, err);

		if (r < 0)
			return -1;
		if (r == 0) {
			t->done = true;
			return 0;
		}
		if (take_line(t, err) < 0)
			return -1;
	}
}

static void ts_close(struct bh_stream *s)
{
	struct ts_stream *t = (struct ts_stream *)s;

	bh_stream_close(t->jsonl);
	if (t->fd >= 0)
		close(t->fd);
	if (t->dirfd >= 0)
		close(t->dirfd);
	bh_buf_release(&t->line);
	free(t->in);
	free(t->seg);
	free(t->fname);
	free(t);
}

int img_tarsplit_stream(struct bh_stream *jsonl, int dirfd, uint64_t max_line,
			struct bh_stream **out, struct bh_error **err)
{
	struct ts_stream *t = bh_calloc(1, sizeof(*t));

	t->s.read = ts_read;
	t->s.close = ts_close;
	t->jsonl = jsonl;
	t->fd = -1;
	t->dirfd = -1;
	bh_buf_init(&t->line, (size_t)max_line);
	t->in = bh_malloc(IN_BUF);
	if (dirfd >= 0) {
		t->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
		if (t->dirfd < 0) {
			int e = errno;

			ts_close(&t->s);
			return bh_error_sys(err, e, "dup");
		}
	}
	*out = &t->s;
	return 0;
}
