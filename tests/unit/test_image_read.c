/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image reader's building blocks: the hash map, the archive header
 * index, and the decompressing and verifying streams, with hostile input.
 */
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "unit.h"
#include "image/internal.h"

/* ---- map ------------------------------------------------------------------ */

static void map_puts_gets_deletes_and_iterates(void **state)
{
	struct bh_map *m = bh_map_new();
	char key[32];
	size_t pos = 0, seen = 0;
	const char *k;
	void *v;

	for (long i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		assert_null(bh_map_put(m, key, strlen(key), (void *)(i + 1)));
	}
	assert_int_equal(bh_map_size(m), 20000);
	assert_ptr_equal(bh_map_put(m, "k5", 2, (void *)99), (void *)6);
	assert_ptr_equal(bh_map_get(m, "k5", 2), (void *)99);
	for (long i = 0; i < 20000; i += 2) {
		snprintf(key, sizeof(key), "k%ld", i);
		assert_non_null(bh_map_del(m, key, strlen(key)));
	}
	assert_null(bh_map_get(m, "k0", 2));
	assert_ptr_equal(bh_map_get(m, "k1", 2), (void *)2);
	assert_null(bh_map_del(m, "nope", 4));
	while (bh_map_next(m, &pos, &k, NULL, &v))
		seen++;
	assert_int_equal(seen, 10000);
	/* keys are byte strings: embedded NULs and empty keys work */
	bh_map_put(m, "a\0b", 3, (void *)7);
	assert_null(bh_map_get(m, "a", 1));
	assert_ptr_equal(bh_map_get(m, "a\0b", 3), (void *)7);
	bh_map_put(m, "", 0, (void *)8);
	assert_ptr_equal(bh_map_get(m, "", 0), (void *)8);
	bh_map_free(m, NULL);
}

/* ---- tar index -------------------------------------------------------------- */

static void header(unsigned char *h, const char *name, char type, uint64_t size, const char *link)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, strlen(link));
	memcpy(h + 257, "ustar\00000", 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static void index_finds_members_and_follows_links(void **state)
{
	unsigned char buf[512 * 8] = { 0 };
	struct bh_tar_index *ix;
	const struct bh_tar_member *m;

	header(buf, "./manifest.json", '0', 5, NULL);
	memcpy(buf + 512, "hello", 5);
	header(buf + 1024, "legacy/layer.tar", '2', 0, "../manifest.json");
	header(buf + 1536, "hard", '1', 0, "manifest.json");
	header(buf + 2048, "loop", '2', 0, "loop");
	assert_int_equal(bh_tar_index_parse(buf, sizeof(buf), 100, 4096, &ix, NULL), 0);
	assert_int_equal(ix->n, 4);
	m = bh_tar_index_find(ix, "manifest.json");
	assert_non_null(m);
	assert_int_equal(m->offset, 512);
	assert_int_equal(m->size, 5);
	assert_ptr_equal(bh_tar_index_find(ix, "legacy/layer.tar"), m);
	assert_ptr_equal(bh_tar_index_find(ix, "hard"), m);
	assert_null(bh_tar_index_find(ix, "loop"));
	assert_null(bh_tar_index_find(ix, "absent"));
	bh_tar_index_free(ix);
}

static void index_refuses_hostile_headers(void **state)
{
	unsigned char buf[512 * 6] = { 0 };
	struct bh_tar_index *ix = NULL;
	struct bh_error *err = NULL;

	/* content past the end */
	header(buf, "big", '0', 1u << 30, NULL);
	assert_int_equal(bh_tar_index_parse(buf, sizeof(buf), 100, 4096, &ix, &err), -1);
	assert_error(err, BH_ERR_INVALID, "past the end of the archive");
	bh_error_clear(&err);
	/* bad checksum */
	header(buf, "x", '0', 0, NULL);
	buf[0] = 'y';
	assert_int_equal(bh_tar_index_parse(buf, sizeof(buf), 100, 4096, &ix, &err), -1);
	assert_error(err, BH_ERR_INVALID, "checksum");
	bh_error_clear(&err);
	/* too many members */
	header(buf, "a", '0', 0, NULL);
	header(buf + 512, "b", '0', 0, NULL);
	assert_int_equal(bh_tar_index_parse(buf, sizeof(buf), 1, 4096, &ix, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "more than 1 members");
	bh_error_clear(&err);
	/* a name that climbs out */
	header(buf, "../../x", '0', 0, NULL);
	assert_int_equal(bh_tar_index_parse(buf, sizeof(buf), 100, 4096, &ix, &err), -1);
	assert_error(err, BH_ERR_UNSAFE, "climbs above");
	bh_error_clear(&err);
	/* a huge pax header */
	header(buf, "pax", 'x', 100u << 20, NULL);
	assert_int_equal(bh_tar_index_parse(buf, sizeof(buf), 100, 4096, &ix, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "extended header");
	bh_error_clear(&err);
	/* not a tar at all */
	memset(buf, 'A', sizeof(buf));
	assert_int_equal(bh_tar_index_parse(buf, sizeof(buf), 100, 4096, &ix, &err), -1);
	bh_error_clear(&err);
	/* empty */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(bh_tar_index_parse(buf, sizeof(buf), 100, 4096, &ix, &err), -1);
	assert_error(err, BH_ERR_INVALID, "empty");
	bh_error_free(err);
}

static void index_reads_pax_and_gnu_long_names(void **state)
{
	char longname[300];
	unsigned char buf[512 * 10] = { 0 };
	struct bh_tar_index *ix;
	char rec[400];
	int n;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	/* pax: "LEN path=...\n" where LEN counts itself */
	n = snprintf(rec, sizeof(rec), "309 path=%s\n", longname);
	assert_int_equal(n, 309);
	header(buf, "PaxHeader", 'x', (uint64_t)n, NULL);
	memcpy(buf + 512, rec, (size_t)n);
	header(buf + 512 * 2, "short", '0', 3, NULL);
	memcpy(buf + 512 * 3, "abc", 3);
	/* GNU long name */
	header(buf + 512 * 4, "././@LongLink", 'L', 300, NULL);
	memcpy(buf + 512 * 5, longname, 300);
	buf[512 * 5 + 10] = 'g';
	header(buf + 512 * 6, "trunc", '0', 0, NULL);
	assert_int_equal(bh_tar_index_parse(buf, sizeof(buf), 100, 4096, &ix, NULL), 0);
	assert_int_equal(ix->n, 2);
	assert_string_equal(ix->members[0].name, longname);
	assert_int_equal(ix->members[0].size, 3);
	assert_int_equal(strlen(ix->members[1].name), 299);
	assert_int_equal(ix->members[1].name[10], 'g');
	bh_tar_index_free(ix);
}

/* ---- streams ----------------------------------------------------------------- */

struct mem_stream {
	struct bh_stream s;
	const unsigned char *p;
	size_t n, pos;
};

static ssize_t mem_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	struct mem_stream *m = (struct mem_stream *)s;
	size_t k = m->n - m->pos < n ? m->n - m->pos : n;

	if (k > 7)
		k = 7; /* tiny reads: exercise every boundary */
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

static void mem_close(struct bh_stream *s)
{
	free(s);
}

static struct bh_stream *mem_stream(const void *p, size_t n)
{
	struct mem_stream *m = bh_calloc(1, sizeof(*m));

	m->s.read = mem_read;
	m->s.close = mem_close;
	m->p = p;
	m->n = n;
	return &m->s;
}

static size_t gzip_bytes(const void *in, size_t n, unsigned char *out, size_t cap)
{
	z_stream z = { 0 };

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)in;
	z.avail_in = (unsigned)n;
	z.next_out = out;
	z.avail_out = (unsigned)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return z.total_out;
}

static int drain(struct bh_stream *s, struct bh_buf *b, struct bh_error **err)
{
	int r = bh_stream_read_all(s, b, "test", err);

	bh_stream_close(s);
	return r;
}

static void gzip_members_padding_and_truncation(void **state)
{
	unsigned char gz[4096], two[8192];
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	struct bh_error *err = NULL;
	struct bh_stream *s;
	size_t n = gzip_bytes("hello world", 11, gz, sizeof(gz));

	/* two members and zero padding read as one stream */
	memcpy(two, gz, n);
	memcpy(two + n, gz, n);
	memset(two + 2 * n, 0, 100);
	assert_int_equal(bh_stream_decompress(mem_stream(two, 2 * n + 100), BH_COMP_GZIP, &s, NULL),
			 0);
	assert_int_equal(drain(s, &b, NULL), 0);
	assert_string_equal(b.data, "hello worldhello world");
	bh_buf_reset(&b);
	/* truncated */
	assert_int_equal(bh_stream_decompress(mem_stream(gz, n - 6), BH_COMP_GZIP, &s, NULL), 0);
	assert_int_equal(drain(s, &b, &err), -1);
	assert_error(err, BH_ERR_INVALID, "gzip");
	bh_error_clear(&err);
	/* a flipped byte in the body */
	memcpy(two, gz, n);
	two[n - 10] ^= 0xff;
	assert_int_equal(bh_stream_decompress(mem_stream(two, n), BH_COMP_GZIP, &s, NULL), 0);
	assert_int_equal(drain(s, &b, &err), -1);
	assert_error(err, BH_ERR_INVALID, "gzip");
	bh_error_clear(&err);
	/* trailing garbage */
	memcpy(two, gz, n);
	memcpy(two + n, "garbage", 7);
	bh_buf_reset(&b);
	assert_int_equal(bh_stream_decompress(mem_stream(two, n + 7), BH_COMP_GZIP, &s, NULL), 0);
	assert_int_equal(drain(s, &b, &err), -1);
	assert_error(err, BH_ERR_INVALID, "trailing garbage");
	bh_error_free(err);
	bh_buf_release(&b);
}

static void verify_checks_size_and_digest(void **state)
{
	struct bh_buf b = BH_BUF_INIT(1024);
	struct bh_error *err = NULL;
	struct bh_stream *s;
	struct bh_digest d;

	bh_sha256("content", 7, &d);
	assert_int_equal(bh_stream_verify(mem_stream("content", 7), &d, 7, "blob x", &s, NULL), 0);
	assert_int_equal(drain(s, &b, NULL), 0);
	assert_int_equal(bh_stream_verify(mem_stream("contenT", 7), &d, 7, "blob x", &s, NULL), 0);
	assert_int_equal(drain(s, &b, &err), -1);
	assert_error(err, BH_ERR_DIGEST, "blob x: digest mismatch");
	bh_error_clear(&err);
	assert_int_equal(bh_stream_verify(mem_stream("content", 7), &d, 3, "blob y", &s, NULL), 0);
	assert_int_equal(drain(s, &b, &err), -1);
	assert_error(err, BH_ERR_DIGEST, "blob y: size mismatch");
	bh_error_clear(&err);
	assert_int_equal(bh_stream_verify(mem_stream("content", 7), &d, 70, "blob z", &s, NULL), 0);
	assert_int_equal(drain(s, &b, &err), -1);
	assert_error(err, BH_ERR_DIGEST, "blob z: size mismatch: 7 bytes");
	bh_error_free(err);
	bh_buf_release(&b);
}

static void sniff_knows_the_magic(void **state)
{
	assert_int_equal(bh_sniff_compression((const unsigned char *)"\x1f\x8b\x08", 3),
			 BH_COMP_GZIP);
	assert_int_equal(bh_sniff_compression((const unsigned char *)"\x28\xb5\x2f\xfd", 4),
			 BH_COMP_ZSTD);
	assert_int_equal(bh_sniff_compression((const unsigned char *)"usr/", 4), BH_COMP_NONE);
	assert_int_equal(bh_sniff_compression(NULL, 0), BH_COMP_NONE);
}

static void layer_media_types(void **state)
{
	enum bh_compression c;
	struct bh_error *err = NULL;

	assert_int_equal(
		bh_layer_media_type("application/vnd.oci.image.layer.v1.tar+zstd", &c, NULL), 0);
	assert_int_equal(c, BH_COMP_ZSTD);
	assert_int_equal(
		bh_layer_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip", &c, NULL),
		0);
	assert_int_equal(c, BH_COMP_GZIP);
	assert_int_equal(bh_layer_media_type("application/vnd.oci.image.layer.nondistributable."
					     "v1.tar+gzip",
					     &c, &err),
			 -1);
	assert_error(err, BH_ERR_UNSUPPORTED, "non-distributable");
	bh_error_clear(&err);
	assert_int_equal(bh_layer_media_type("text/plain", &c, &err), -1);
	assert_error(err, BH_ERR_UNSUPPORTED, "unknown layer media type 'text/plain'");
	bh_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(map_puts_gets_deletes_and_iterates),
		cmocka_unit_test(index_finds_members_and_follows_links),
		cmocka_unit_test(index_refuses_hostile_headers),
		cmocka_unit_test(index_reads_pax_and_gnu_long_names),
		cmocka_unit_test(gzip_members_padding_and_truncation),
		cmocka_unit_test(verify_checks_size_and_digest),
		cmocka_unit_test(sniff_knows_the_magic),
		cmocka_unit_test(layer_media_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
