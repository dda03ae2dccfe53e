/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An index of the members of an uncompressed tar (a docker-archive or an OCI
 * layout packed as tar), built from the headers alone, so that blobs can be
 * read in place with pread from several threads. Understands ustar, pax
 * (path, linkpath, size) and GNU long names; everything else about a header
 * is checked and a bad one is an error, never a guess.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "banned.h"

#define BLOCK	 512
#define MAX_META (1u << 20) /* pax header or GNU long name */

struct reader {
	const unsigned char *buf; /* in-memory input, or NULL */
	int fd;
	uint64_t size;
};

static int read_at(const struct reader *r, void *dst, size_t n, uint64_t off, struct bh_error **err)
{
	if (off > r->size || n > r->size - off)
		return bh_error_set(
			err, BH_ERR_INVALID,
			"archive is truncated: %zu bytes at offset %llu are past its end", n,
			(unsigned long long)off);
	if (r->buf) {
		memcpy(dst, r->buf + off, n);
		return 0;
	}
	for (size_t done = 0; done < n;) {
		ssize_t got = pread(r->fd, (char *)dst + done, n - done, (off_t)(off + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return bh_error_sys(err, errno, "reading the archive");
		if (got == 0)
			return bh_error_set(err, BH_ERR_INVALID, "archive is truncated");
		done += (size_t)got;
	}
	return 0;
}

/* An octal field (or GNU base-256 for sizes). */
int img_tar_num(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		/* base-256: the rest of the first byte, then big-endian bytes */
		v = f[0] & 0x3f;
		if (f[0] & 0x40)
			return -1; /* negative */
		for (i = 1; i < len; i++) {
			if (v > (UINT64_MAX >> 8))
				return -1;
			v = (v << 8) | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (UINT64_MAX >> 3))
			return -1;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	*out = v;
	return 0;
}

bool img_tar_checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned long u = 0;
	long s = 0;

	if (img_tar_num(h + 148, 8, &want) < 0)
		return false;
	for (int i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];

		u += c;
		s += (signed char)c;
	}
	return want == u || (long)want == s;
}

bool img_tar_zero(const unsigned char *h)
{
	for (int i = 0; i < BLOCK; i++)
		if (h[i])
			return false;
	return true;
}

/* Parse pax records "LEN key=value\n" for path, linkpath and size. */
int img_tar_pax(const char *p, size_t n, char **path, char **linkpath, uint64_t *size,
		bool *has_size, struct bh_error **err)
{
	size_t pos = 0;

	while (pos < n) {
		uint64_t len = 0;
		size_t i = pos, kstart, eq;

		while (i < n && p[i] >= '0' && p[i] <= '9' && i - pos < 12)
			len = len * 10 + (uint64_t)(p[i++] - '0');
		if (i == pos || i >= n || p[i] != ' ' || len < 5 || len > n - pos ||
		    p[pos + len - 1] != '\n')
			return bh_error_set(err, BH_ERR_INVALID, "malformed pax header record");
		kstart = i + 1;
		for (eq = kstart; eq < pos + len - 1 && p[eq] != '='; eq++)
			;
		if (eq >= pos + len - 1)
			return bh_error_set(err, BH_ERR_INVALID, "malformed pax header record");
		{
			size_t klen = eq - kstart, vlen = pos + len - 1 - (eq + 1);
			const char *v = p + eq + 1;

			if (klen == 4 && !memcmp(p + kstart, "path", 4)) {
				free(*path);
				*path = bh_strndup(v, vlen);
			} else if (klen == 8 && !memcmp(p + kstart, "linkpath", 8)) {
				free(*linkpath);
				*linkpath = bh_strndup(v, vlen);
			} else if (klen == 4 && !memcmp(p + kstart, "size", 4)) {
				char tmp[24];

				if (vlen == 0 || vlen >= sizeof(tmp))
					return bh_error_set(err, BH_ERR_INVALID, "bad pax size");
				memcpy(tmp, v, vlen);
				tmp[vlen] = 0;
				if (bh_parse_u64(tmp, size, NULL) < 0)
					return bh_error_set(err, BH_ERR_INVALID, "bad pax size");
				*has_size = true;
			}
		}
		pos += len;
	}
	return 0;
}

static void free_member(void *p)
{
	(void)p; /* members live in the array */
}

void bh_tar_index_free(struct bh_tar_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n; i++) {
		free(ix->members[i].name);
		free(ix->members[i].link);
	}
	free(ix->members);
	bh_map_free(ix->by_name, free_member);
	free(ix);
}

static int scan(const struct reader *r, uint64_t max_members, size_t max_path,
		struct bh_tar_index **out, struct bh_error **err)
{
	struct bh_tar_index *ix = bh_calloc(1, sizeof(*ix));
	struct bh_buf clean = BH_BUF_INIT(max_path);
	char *pax_path = NULL, *pax_link = NULL, *gnu_name = NULL, *gnu_link = NULL;
	uint64_t pax_size = 0, off = 0;
	bool has_pax_size = false;
	size_t cap = 0;
	int zeros = 0, rc = -1;

	ix->by_name = bh_map_new();
	while (off + BLOCK <= r->size) {
		unsigned char h[BLOCK];
		uint64_t size;
		char type, name[256 + 2];
		size_t nlen;

		if (read_at(r, h, BLOCK, off, err) < 0)
			goto out;
		if (img_tar_zero(h)) {
			off += BLOCK;
			if (++zeros == 2)
				break;
			continue;
		}
		if (zeros) {
			bh_error_set(err, BH_ERR_INVALID,
				     "archive: a zero block inside the archive");
			goto out;
		}
		if (!img_tar_checksum_ok(h)) {
			bh_error_set(
				err, BH_ERR_INVALID,
				"archive: bad tar header checksum at offset %llu (not a tar file, "
				"or corrupt)",
				(unsigned long long)off);
			goto out;
		}
		if (img_tar_num(h + 124, 12, &size) < 0) {
			bh_error_set(err, BH_ERR_INVALID, "archive: bad size field at offset %llu",
				     (unsigned long long)off);
			goto out;
		}
		type = (char)h[156];
		if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
			char *meta;

			if (size > MAX_META) {
				bh_error_set(
					err, BH_ERR_LIMIT,
					"archive: a %llu-byte extended header exceeds the limit",
					(unsigned long long)size);
				goto out;
			}
			meta = bh_malloc((size_t)size + 1);
			if (read_at(r, meta, (size_t)size, off + BLOCK, err) < 0) {
				free(meta);
				goto out;
			}
			meta[size] = 0;
			if (type == 'x') {
				if (img_tar_pax(meta, (size_t)size, &pax_path, &pax_link, &pax_size,
						&has_pax_size, err) < 0) {
					free(meta);
					bh_error_prefix(err, "archive");
					goto out;
				}
				free(meta);
			} else if (type == 'L') {
				free(gnu_name);
				gnu_name = meta;
			} else if (type == 'K') {
				free(gnu_link);
				gnu_link = meta;
			} else {
				free(meta); /* global pax header: nothing we need */
			}
			off += BLOCK + ((size + BLOCK - 1) / BLOCK) * BLOCK;
			continue;
		}
		if (has_pax_size)
			size = pax_size;
		/* name: prefix (ustar) + "/" + name */
		if (!memcmp(h + 257, "ustar", 5) && h[345]) {
			size_t plen = strnlen((char *)h + 345, 155);

			memcpy(name, h + 345, plen);
			name[plen] = '/';
			nlen = strnlen((char *)h, 100);
			memcpy(name + plen + 1, h, nlen);
			name[plen + 1 + nlen] = 0;
		} else {
			nlen = strnlen((char *)h, 100);
			memcpy(name, h, nlen);
			name[nlen] = 0;
		}
		{
			const char *mname = pax_path ? pax_path : gnu_name ? gnu_name : name;
			const char *lname = pax_link ? pax_link : gnu_link;
			char lbuf[101];
			struct bh_tar_member *m;

			if (!lname) {
				size_t llen = strnlen((char *)h + 157, 100);

				memcpy(lbuf, h + 157, llen);
				lbuf[llen] = 0;
				lname = lbuf;
			}
			if (size > r->size || off + BLOCK > r->size - size) {
				bh_error_set(
					err, BH_ERR_INVALID,
					"archive: member '%.200s' (%llu bytes) extends past the "
					"end of the archive (truncated?)",
					mname, (unsigned long long)size);
				goto out;
			}
			if (ix->n >= max_members) {
				bh_error_set(err, BH_ERR_LIMIT, "archive: more than %llu members",
					     (unsigned long long)max_members);
				goto out;
			}
			if (bh_path_clean(mname, true, max_path, &clean, err) < 0) {
				bh_error_prefix(err, "archive member '%.200s'", mname);
				goto out;
			}
			if (ix->n == cap) {
				cap = cap ? cap * 2 : 16;
				ix->members =
					bh_reallocarray(ix->members, cap, sizeof(*ix->members));
			}
			m = &ix->members[ix->n++];
			m->name = bh_strdup(clean.data);
			m->type = type ? type : '0';
			m->offset = (off_t)(off + BLOCK);
			m->size = (type == '0' || type == 0 || type == '7') ? size : 0;
			m->link = (type == '1' || type == '2') ? bh_strdup(lname) : NULL;
			if (m->type == '1' || m->type == '2' || m->type == '5')
				size = 0; /* no content follows these, whatever size says */
		}
		free(pax_path);
		free(pax_link);
		free(gnu_name);
		free(gnu_link);
		pax_path = pax_link = gnu_name = gnu_link = NULL;
		has_pax_size = false;
		off += BLOCK + ((size + BLOCK - 1) / BLOCK) * BLOCK;
	}
	if (ix->n == 0) {
		bh_error_set(err, BH_ERR_INVALID, "archive is empty or not a tar file");
		goto out;
	}
	for (size_t i = 0; i < ix->n; i++)
		bh_map_put(ix->by_name, ix->members[i].name, strlen(ix->members[i].name),
			   &ix->members[i]);
	*out = ix;
	ix = NULL;
	rc = 0;
out:
	free(pax_path);
	free(pax_link);
	free(gnu_name);
	free(gnu_link);
	bh_buf_release(&clean);
	bh_tar_index_free(ix);
	return rc;
}

int bh_tar_index_parse(const unsigned char *buf, size_t len, uint64_t max_members, size_t max_path,
		       struct bh_tar_index **out, struct bh_error **err)
{
	struct reader r = { buf, -1, len };

	return scan(&r, max_members, max_path, out, err);
}

int bh_tar_index_build(int fd, uint64_t max_members, size_t max_path, struct bh_tar_index **out,
		       struct bh_error **err)
{
	struct stat st;
	struct reader r = { NULL, fd, 0 };

	if (fstat(fd, &st) < 0)
		return bh_error_sys(err, errno, "stat");
	if (!S_ISREG(st.st_mode))
		return bh_error_set(err, BH_ERR_INVALID, "not a regular file");
	r.size = (uint64_t)st.st_size;
	return scan(&r, max_members, max_path, out, err);
}

const struct bh_tar_member *bh_tar_index_find(const struct bh_tar_index *ix, const char *name)
{
	struct bh_buf path = BH_BUF_INIT(8192);
	const struct bh_tar_member *m = NULL;

	if (bh_path_clean(name, true, 4096, &path, NULL) < 0)
		goto out;
	for (int hops = 0; hops < 16; hops++) {
		struct bh_buf next = BH_BUF_INIT(8192);

		m = bh_map_get(ix->by_name, path.data, path.len);
		if (!m || (m->type != '1' && m->type != '2'))
			break;
		if (m->type == '2' && m->link[0] != '/') {
			/* relative to the symlink's directory */
			const char *slash = strrchr(m->name, '/');

			if (slash)
				bh_buf_add(&next, m->name, (size_t)(slash - m->name) + 1, NULL);
		}
		bh_buf_adds(&next, m->link, NULL);
		if (bh_path_clean(next.data, true, 4096, &path, NULL) < 0) {
			bh_buf_release(&next);
			m = NULL;
			goto out;
		}
		bh_buf_release(&next);
		m = NULL;
	}
	if (m && m->type != '0' && m->type != '7')
		m = NULL;
out:
	bh_buf_release(&path);
	return m;
}
