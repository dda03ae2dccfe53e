/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local engines' building blocks: HTTP/1.1 responses (head, chunked,
 * cut short), docker's v1 layer IDs (against docker 20.10's own files), the
 * sequential source (layers identified before their bytes, in any order, in
 * layer order within the budget, twice, learned from manifest.json on a
 * second pass, and every hostile case), podman's storage.conf and tar-split
 * reassembly.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "image/engine.h"

/* ---- HTTP ------------------------------------------------------------------------ */

static char *body_of(const char *resp, struct bh_error **err)
{
	struct img_http *x;
	struct bh_buf b = BH_BUF_INIT(1 << 20);

	if (img_http_from_memory(resp, strlen(resp), &x, err) < 0)
		return NULL;
	if (img_http_read_all(x, &b, err) < 0) {
		img_http_close(x);
		bh_buf_release(&b);
		return NULL;
	}
	img_http_close(x);
	return bh_buf_detach(&b, NULL);
}

static int head_parse(const char *s, struct img_http_head *h, struct bh_error **err)
{
	return img_http_head_parse(s, strlen(s), h, err);
}

static void http_head_is_parsed_with_bounds(void **state)
{
	struct img_http_head h;
	struct bh_error *err = NULL;
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: "
			 "12\r\nX-Other:  v \r\n\r\nbody";
	char big[70000];

	assert_int_equal(img_http_head_parse(ok, strlen(ok), &h, &err), (int)strlen(ok) - 4);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.length, 12);
	assert_string_equal(h.content_type, "application/json");
	img_http_head_release(&h);
	/* incomplete: more is needed */
	assert_int_equal(img_http_head_parse(ok, 20, &h, &err), 0);
	assert_null(err);
	/* chunked wins over a length */
	assert_true(head_parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: "
			       "chunked\r\n\r\n",
			       &h, &err) > 0);
	assert_true(h.chunked);
	assert_int_equal(h.length, -1);
	img_http_head_release(&h);
	/* hostile */
	assert_int_equal(head_parse("HTTP/2 200\r\n\r\n", &h, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not an HTTP/1.x response");
	bh_error_clear(&err);
	assert_int_equal(head_parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: "
				    "2\r\n\r\n",
				    &h, &err),
			 -1);
	assert_error(err, BH_ERR_INVALID, "two different Content-Lengths");
	bh_error_clear(&err);
	assert_int_equal(head_parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", &h, &err),
			 -1);
	assert_error(err, BH_ERR_UNSUPPORTED, "Transfer-Encoding 'gzip'");
	bh_error_clear(&err);
	assert_int_equal(head_parse("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", &h, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(head_parse("HTTP/1.1 200 OK\nX: y\r\n\r\n", &h, &err), -1);
	bh_error_clear(&err);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(big + 20, 'a', sizeof(big) - 20);
	assert_int_equal(img_http_head_parse(big, sizeof(big), &h, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "exceeds");
	bh_error_clear(&err);
}

static void http_bodies_chunked_sized_and_cut_short(void **state)
{
	struct bh_error *err = NULL;
	char *b;

	b = body_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n",
		    &err);
	assert_non_null(b);
	assert_string_equal(b, "hello 0123456789");
	free(b);
	b = body_of("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcdEXTRA", &err);
	assert_string_equal(b, "abcd");
	free(b);
	/* no length: until the close */
	b = body_of("HTTP/1.1 200 OK\r\n\r\nall of it", &err);
	assert_string_equal(b, "all of it");
	free(b);
	/* cut short: a chunk, a length, the final chunk missing */
	assert_null(body_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", &err));
	assert_error(err, BH_ERR_INVALID, "cut short");
	bh_error_clear(&err);
	assert_null(body_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
			    &err));
	assert_error(err, BH_ERR_INVALID, "cut short");
	bh_error_clear(&err);
	assert_null(body_of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", &err));
	assert_error(err, BH_ERR_INVALID, "after 3 bytes");
	bh_error_clear(&err);
	/* malformed framing */
	assert_null(body_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &err));
	assert_error(err, BH_ERR_INVALID, "malformed chunk size");
	bh_error_clear(&err);
	assert_null(
		body_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", &err));
	assert_error(err, BH_ERR_INVALID, "no CRLF after a chunk");
	bh_error_clear(&err);
	assert_null(body_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "fffffffffffffffffff\r\n",
			    &err));
	assert_error(err, BH_ERR_LIMIT, "too large");
	bh_error_clear(&err);
	assert_null(body_of("HTTP/1.1 200 OK\r\n", &err));
	assert_error(err, BH_ERR_INVALID, "before a complete response head");
	bh_error_clear(&err);
}

static void unix_connect_says_not_running(void **state)
{
	struct bh_error *err = NULL;
	char *d = unit_mktmp(), *sock = bh_asprintf("%s/none.sock", d);

	assert_int_equal(img_unix_connect(sock, &err), -1);
	assert_error(err, BH_ERR_NOTFOUND, "not running");
	bh_error_clear(&err);
	free(sock);
	unit_rmtmp(d);
}

/* ---- v1 IDs ------------------------------------------------------------------------ */

/* debian-app (shared test data) as docker 20.10 saves it: two of its <id>/json files. */
static const char v1_layer3[] =
	"{\"id\":\"6f5fb8ea0ea0614e96bd7e9058021a55268e60ebfc6ea05c4cbf7a2077abc664\",\"parent\":"
	"\"6d7e6f29d6562d7f7b9c9daa97deb276ac3c6ffce3c03ca3c57715e7b71203cf\",\"created\":\"1970-"
	"01-01T00:00:00Z\",\"container_config\":{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":"
	"\"\",\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,\"Tty\":false,"
	"\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":null,\"Cmd\":null,\"Image\":\"\","
	"\"Volumes\":null,\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":"
	"null},\"os\":\"linux\"}";
static const char v1_layer5[] =
	"{\"id\":\"ac3481e694bf52a2422fa611ab2f66a2eecccb9c4d6195e939bf2aea0597b9a6\",\"parent\":"
	"\"d0911af3e4d5b9306e90b23620045038f1c7fe5859c273343ce7dfa216800842\",\"created\":\"2026-"
	"11-22T11:40:21.61269577Z\",\"container_config\":{\"Hostname\":\"\",\"Domainname\":\"\","
	"\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,"
	"\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":null,\"Cmd\":null,"
	"\"Image\":\"\",\"Volumes\":null,\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,"
	"\"Labels\":null},\"config\":{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"root\","
	"\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,\"ExposedPorts\":{"
	"\"22/tcp\":{},\"3000/tcp\":{}},\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,"
	"\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"\"DB_PASSWORD=hunter2\",\"NODE_ENV=production\"],\"Cmd\":[\"node\",\"/app/index.js\"],"
	"\"Image\":\"\",\"Volumes\":null,\"WorkingDir\":\"/app\",\"Entrypoint\":null,\"OnBuild\":"
	"null,\"Labels\":null},\"architecture\":\"amd64\",\"os\":\"linux\"}";

static const char *debian_app_diff_ids[] = {
	"sha256:8f7ea7e47e6fdf4cf15ffd7c52259dda9bf9b6782a4df4732c185515bc510920",
	"sha256:022b660e83b5cfec0a6dce4a26027059fc273ff2a4e533ece714fb85cf9daee2",
	"sha256:2dbcc9b9fbe44c3f238a2723ca156fc73605887e4ba68a30ac35b09488bf1d46",
	"sha256:4f8c0ce24964aac47fa0eab6288a106f18888f88f85abc0f6090846398f77127",
	"sha256:c6b47e2fac9d6bbc1b06ca1f774d032fe3cc5b717ca39087f7ff0be18f345771",
};

static void v1_ids_of_docker_20_10_identify_layers(void **state)
{
	struct bh_layer L[5] = { 0 };
	struct bh_digest chain[5];
	char *tampered;

	for (int i = 0; i < 5; i++)
		assert_int_equal(bh_digest_parse(debian_app_diff_ids[i], &L[i].diff_id, NULL), 0);
	img_chain_ids(L, 5, chain);
	assert_string_equal(chain[0].str, debian_app_diff_ids[0]);
	/* a layer below the top: "os" was added after its ID was made */
	assert_int_equal(
		img_v1_identify(v1_layer3, strlen(v1_layer3),
				"6f5fb8ea0ea0614e96bd7e9058021a55268e60ebfc6ea05c4cbf7a2077abc664",
				chain, 5),
		2);
	/* the top layer: the image's own v1 JSON */
	assert_int_equal(
		img_v1_identify(v1_layer5, strlen(v1_layer5),
				"ac3481e694bf52a2422fa611ab2f66a2eecccb9c4d6195e939bf2aea0597b9a6",
				chain, 5),
		4);
	/* another directory name, another JSON: no layer */
	assert_int_equal(
		img_v1_identify(v1_layer3, strlen(v1_layer3),
				"ac3481e694bf52a2422fa611ab2f66a2eecccb9c4d6195e939bf2aea0597b9a6",
				chain, 5),
		-1);
	tampered = bh_strdup(v1_layer5);
	memcpy(strstr(tampered, "hunter2"), "hunter3", 7);
	assert_int_equal(
		img_v1_identify(tampered, strlen(tampered),
				"ac3481e694bf52a2422fa611ab2f66a2eecccb9c4d6195e939bf2aea0597b9a6",
				chain, 5),
		-1);
	free(tampered);
	/* not Go's compact JSON, not an object, broken: never a guess */
	assert_int_equal(img_v1_identify("{ \"id\": \"x\" }", 14, "00", chain, 5), -1);
	assert_int_equal(
		img_v1_identify("[1]", 3,
				"ac3481e694bf52a2422fa611ab2f66a2eecccb9c4d6195e939bf2aea0597b9a6",
				chain, 5),
		-1);
	assert_int_equal(
		img_v1_identify("{\"a\":\"b\\q\"}", 11,
				"ac3481e694bf52a2422fa611ab2f66a2eecccb9c4d6195e939bf2aea0597b9a6",
				chain, 5),
		-1);
	assert_int_equal(
		img_v1_identify("{\"a\":1,\"a\":2}", 13,
				"ac3481e694bf52a2422fa611ab2f66a2eecccb9c4d6195e939bf2aea0597b9a6",
				chain, 5),
		-1);
}

/* ---- building archives ------------------------------------------------------------ */

static void tar_hdr(struct bh_buf *b, const char *name, char type, size_t size, const char *link)
{
	unsigned char h[512];
	unsigned sum = 0;

	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name));
	snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, strlen(link));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	bh_buf_add(b, h, sizeof(h), NULL);
}

static void tar_file(struct bh_buf *b, const char *name, const void *p, size_t n)
{
	static const char zero[512];

	tar_hdr(b, name, '0', n, NULL);
	bh_buf_add(b, p, n, NULL);
	bh_buf_add(b, zero, (512 - n % 512) % 512, NULL);
}

static void tar_end(struct bh_buf *b)
{
	static const char zero[1024];

	bh_buf_add(b, zero, sizeof(zero), NULL);
}

/* A small layer tar: a directory and files named after the layer. */
static void make_layer(struct bh_buf *b, int n)
{
	char name[64], data[64];

	bh_buf_init(b, 1 << 20);
	tar_hdr(b, "etc/", '5', 0, NULL);
	snprintf(name, sizeof(name), "etc/layer%d", n);
	snprintf(data, sizeof(data), "this is layer %d\n", n);
	tar_file(b, name, data, strlen(data));
	tar_file(b, "etc/shared", data, strlen(data));
	tar_end(b);
}

/* ---- a sequential source over archives in memory ------------------------------------- */

struct fake {
	struct bh_image_src base;
	struct img_seq seq;
	struct bh_buf archive;
	unsigned opened;
	size_t cut; /* serve only this many bytes, then a clean end (0 = all) */
};

static int fake_pass(struct img_seq *q, struct bh_stream **out, struct bh_error **err)
{
	struct fake *f = (struct fake *)((char *)q - offsetof(struct fake, seq));
	size_t n = f->cut ? f->cut : f->archive.len;
	char *p = bh_malloc(n + 1);

	memcpy(p, f->archive.data, n);
	f->opened++;
	*out = img_stream_bytes(p, n);
	return 0;
}

static int fake_open(struct bh_image_src *src, const struct bh_digest *digest, const char *name,
		     struct bh_stream **out, int64_t *size, struct bh_error **err)
{
	return bh_error_set(err, BH_ERR_INTERNAL, "not random access");
}

static void fake_free(struct bh_image_src *src)
{
	struct fake *f = (struct fake *)src;

	img_seq_release(&f->seq);
	bh_buf_release(&f->archive);
	free(f);
}

struct image_fixture {
	struct bh_image *img;
	struct fake *f;
	struct bh_buf layers[4];
	struct bh_buf config;
};

/* An image of n layers (layer i's content from make_layer(dups[i])). */
static void fixture(struct image_fixture *x, size_t n, const int *contents)
{
	struct bh_image *img = bh_calloc(1, sizeof(*img));

	memset(x, 0, sizeof(*x));
	bh_image_limits_default(&img->limits);
	img->kind = BH_IMAGE_DOCKER_DAEMON;
	img->location = bh_strdup("docker-daemon:fake");
	img->nlayers = n;
	img->layers = bh_calloc(n + 1, sizeof(*img->layers));
	bh_buf_init(&x->config, 1 << 20);
	bh_buf_adds(&x->config,
		    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
		    "\"layers\",\"diff_ids\":[",
		    NULL);
	for (size_t i = 0; i < n; i++) {
		make_layer(&x->layers[i], contents[i]);
		bh_sha256(x->layers[i].data, x->layers[i].len, &img->layers[i].diff_id);
		img->layers[i].size = -1;
		bh_buf_addf(&x->config, NULL, "%s\"%s\"", i ? "," : "", img->layers[i].diff_id.str);
	}
	bh_buf_adds(&x->config, "]}}", NULL);
	bh_sha256(x->config.data, x->config.len, &img->config_digest);
	x->f = bh_calloc(1, sizeof(*x->f));
	x->f->base.kind = "fake";
	x->f->base.open = fake_open;
	x->f->base.free = fake_free;
	x->f->base.rootfd = -1;
	x->f->base.seq = &x->f->seq;
	img_seq_init(&x->f->seq, "the fake engine's archive");
	x->f->seq.open_pass = fake_pass;
	bh_buf_init(&x->f->archive, 1 << 24);
	img->src = &x->f->base;
	x->img = img;
}

static void fixture_release(struct image_fixture *x)
{
	for (size_t i = 0; i < 4; i++)
		bh_buf_release(&x->layers[i]);
	bh_buf_release(&x->config);
	bh_image_free(x->img);
}

static const char *hex_of(const struct bh_digest *d)
{
	return bh_digest_hex(d);
}

/* Add layer i to the archive under `name`. */
static void add_layer(struct image_fixture *x, size_t i, const char *name)
{
	tar_file(&x->f->archive, name, x->layers[i].data, x->layers[i].len);
}

static void add_config(struct image_fixture *x, const char *name)
{
	tar_file(&x->f->archive, name, x->config.data, x->config.len);
}

struct seen {
	char order[64];	     /* layers in the order they began, '1'.. */
	unsigned entries[4]; /* per layer */
};

static int seen_begin(unsigned layer, bool ok, void *data, struct bh_error **err)
{
	struct seen *s = data;
	size_t n = strlen(s->order);

	s->order[n] = (char)('1' + layer);
	return 0;
}

static int seen_entry(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
		      struct bh_error **err)
{
	struct seen *s = data;
	char buf[64];

	s->entries[e->layer]++;
	if (e->type == BH_FT_REG) {
		struct bh_buf b = BH_BUF_INIT(1024);
		char want[64];

		/* the file says which layer it came from */
		if (bh_entry_read_all(r, &b, err) < 0)
			return -1;
		snprintf(buf, sizeof(buf), "%s", b.data);
		bh_buf_release(&b);
		snprintf(want, sizeof(want), "this is layer ");
		assert_true(bh_str_has_prefix(buf, want));
	}
	return 0;
}

static int walk(struct image_fixture *x, unsigned threads, struct seen *s, struct bh_error **err)
{
	struct bh_walk_opts o = { .threads = threads, .layer_begin = seen_begin };

	memset(s, 0, sizeof(*s));
	return bh_image_walk(x->img, &o, seen_entry, s, err);
}

static void seq_walks_layers_named_by_diff_id_in_stream_order(void **state)
{
	static const int contents[] = { 1, 2, 3 };
	struct image_fixture x;
	struct seen s;
	struct bh_error *err = NULL;
	char name[128];

	/* docker 25+: an OCI layout, blobs by digest, sorted by digest (any order) */
	fixture(&x, 3, contents);
	for (int i = 2; i >= 0; i--) {
		snprintf(name, sizeof(name), "blobs/sha256/%s", hex_of(&x.img->layers[i].diff_id));
		add_layer(&x, (size_t)i, name);
	}
	snprintf(name, sizeof(name), "blobs/sha256/%s", hex_of(&x.img->config_digest));
	add_config(&x, name);
	tar_file(&x.f->archive, "index.json", "{}", 2);
	tar_end(&x.f->archive);
	assert_int_equal(walk(&x, 0, &s, &err), 0);
	assert_string_equal(s.order, "321");
	assert_int_equal(x.f->opened, 1);
	assert_int_equal(s.entries[0], 3);
	assert_true(x.f->seq.config_seen);
	/* in layer order (threads 1: unpack): the early ones are kept in memory */
	x.f->seq.config_seen = false;
	assert_int_equal(walk(&x, 1, &s, &err), 0);
	assert_string_equal(s.order, "123");
	assert_int_equal(x.f->opened, 2);
	assert_true(x.f->seq.kept_peak >= x.layers[1].len + x.layers[2].len);
	/* a mask: only layer 2 */
	{
		bool mask[3] = { false, true, false };
		struct bh_walk_opts o = { .layer_mask = mask, .layer_begin = seen_begin };

		memset(&s, 0, sizeof(s));
		assert_int_equal(bh_image_walk(x.img, &o, seen_entry, &s, &err), 0);
		assert_string_equal(s.order, "2");
	}
	fixture_release(&x);
}

/* A legacy save: <v1 id>/json then <v1 id>/layer.tar, with IDs as docker makes them. */
static void legacy_layer(struct image_fixture *x, size_t i, const struct bh_digest *chain,
			 char (*ids)[65])
{
	struct bh_buf j = BH_BUF_INIT(4096);
	struct bh_digest d;
	char name[128];

	/* CreateID: {created, layer_id, parent} sorted; the file adds id and os */
	bh_buf_addf(&j, NULL, "{\"created\":\"1970-01-01T00:00:00Z\",\"layer_id\":\"%s\"",
		    chain[i].str);
	if (i)
		bh_buf_addf(&j, NULL, ",\"parent\":\"sha256:%s\"", ids[i - 1]);
	bh_buf_adds(&j, "}", NULL);
	bh_sha256(j.data, j.len, &d);
	snprintf(ids[i], 65, "%s", bh_digest_hex(&d));
	bh_buf_reset(&j);
	bh_buf_addf(&j, NULL, "{\"id\":\"%s\"", ids[i]);
	if (i)
		bh_buf_addf(&j, NULL, ",\"parent\":\"%s\"", ids[i - 1]);
	bh_buf_adds(&j, ",\"created\":\"1970-01-01T00:00:00Z\",\"os\":\"linux\"}", NULL);
	snprintf(name, sizeof(name), "%s/json", ids[i]);
	tar_file(&x->f->archive, name, j.data, j.len);
	bh_buf_release(&j);
}

static void seq_identifies_legacy_layers_by_v1_id(void **state)
{
	static const int contents[] = { 1, 2, 3 };
	struct image_fixture x;
	struct bh_digest chain[3];
	char ids[3][65], name[128];
	struct seen s;
	struct bh_error *err = NULL;
	static const int order[] = { 1, 2, 0 };

	fixture(&x, 3, contents);
	img_chain_ids(x.img->layers, 3, chain);
	/* the IDs first (each depends on its parent), then the archive in another order */
	{
		struct bh_buf save = x.f->archive;

		bh_buf_init(&x.f->archive, 1 << 20);
		for (size_t i = 0; i < 3; i++)
			legacy_layer(&x, i, chain, ids);
		bh_buf_release(&x.f->archive);
		x.f->archive = save;
	}
	for (int k = 0; k < 3; k++) {
		size_t i = (size_t)order[k];

		legacy_layer(&x, i, chain, ids);
		snprintf(name, sizeof(name), "%s/layer.tar", ids[i]);
		add_layer(&x, i, name);
	}
	snprintf(name, sizeof(name), "%s.json", hex_of(&x.img->config_digest));
	add_config(&x, name);
	tar_file(&x.f->archive, "manifest.json", "[]", 2);
	tar_end(&x.f->archive);
	assert_int_equal(walk(&x, 0, &s, &err), 0);
	assert_string_equal(s.order, "231");
	assert_int_equal(x.f->opened, 1);
	fixture_release(&x);
}

static void seq_learns_unknown_names_from_manifest_json(void **state)
{
	static const int contents[] = { 1, 2 };
	struct image_fixture x;
	struct seen s;
	struct bh_error *err = NULL;
	char mj[512];

	fixture(&x, 2, contents);
	add_layer(&x, 1, "b/layer.tar");
	add_layer(&x, 0, "a/layer.tar");
	snprintf(mj, sizeof(mj),
		 "[{\"Config\":\"%s.json\",\"Layers\":[\"a/layer.tar\",\"./b/layer.tar\"]}]",
		 hex_of(&x.img->config_digest));
	tar_file(&x.f->archive, "manifest.json", mj, strlen(mj));
	tar_end(&x.f->archive);
	assert_int_equal(walk(&x, 0, &s, &err), 0);
	assert_string_equal(s.order, "21");
	assert_int_equal(x.f->opened, 2); /* one to learn, one to read */
	/* learned once: the next walk needs one pass */
	assert_int_equal(walk(&x, 0, &s, &err), 0);
	assert_int_equal(x.f->opened, 3);
	fixture_release(&x);
}

static void seq_serves_one_tar_to_two_layers_with_one_diff_id(void **state)
{
	static const int contents[] = { 1, 2, 1 };
	struct image_fixture x;
	struct seen s;
	struct bh_error *err = NULL;
	char name[128];

	fixture(&x, 3, contents);
	assert_string_equal(x.img->layers[0].diff_id.str, x.img->layers[2].diff_id.str);
	snprintf(name, sizeof(name), "%s.tar", hex_of(&x.img->layers[0].diff_id));
	add_layer(&x, 0, name);
	snprintf(name, sizeof(name), "%s.tar", hex_of(&x.img->layers[1].diff_id));
	add_layer(&x, 1, name);
	tar_end(&x.f->archive);
	x.f->seq.config_seen = true; /* no config in this archive */
	assert_int_equal(walk(&x, 0, &s, &err), 0);
	assert_string_equal(s.order, "132");
	assert_int_equal(x.f->opened, 1);
	assert_int_equal(s.entries[2], 3);
	fixture_release(&x);
}

static void seq_refuses_hostile_archives(void **state)
{
	static const int contents[] = { 1, 2 };
	struct image_fixture x;
	struct seen s;
	struct bh_error *err = NULL;
	char name[128];

	/* a layer whose bytes are not its diff_id */
	fixture(&x, 2, contents);
	snprintf(name, sizeof(name), "blobs/sha256/%s", hex_of(&x.img->layers[0].diff_id));
	add_layer(&x, 1, name);
	tar_end(&x.f->archive);
	assert_int_equal(walk(&x, 0, &s, &err), -1);
	assert_error(err, BH_ERR_DIGEST, "diff_id mismatch");
	bh_error_clear(&err);
	fixture_release(&x);

	/* cut short inside a layer, and before the end marker */
	fixture(&x, 2, contents);
	snprintf(name, sizeof(name), "blobs/sha256/%s", hex_of(&x.img->layers[0].diff_id));
	add_layer(&x, 0, name);
	snprintf(name, sizeof(name), "blobs/sha256/%s", hex_of(&x.img->layers[1].diff_id));
	add_layer(&x, 1, name);
	x.f->cut = x.f->archive.len - 700;
	assert_int_equal(walk(&x, 0, &s, &err), -1);
	assert_error(err, BH_ERR_INVALID, "cut short");
	bh_error_clear(&err);
	x.f->cut = 0; /* no end marker at all */
	assert_int_equal(walk(&x, 0, &s, &err), -1);
	assert_error(err, BH_ERR_INVALID, "without its end marker");
	bh_error_clear(&err);
	fixture_release(&x);

	/* a layer missing: the pass learns nothing, the error names it */
	fixture(&x, 2, contents);
	snprintf(name, sizeof(name), "blobs/sha256/%s", hex_of(&x.img->layers[0].diff_id));
	add_layer(&x, 0, name);
	tar_end(&x.f->archive);
	x.f->seq.config_seen = true;
	assert_int_equal(walk(&x, 0, &s, &err), -1);
	assert_error(err, BH_ERR_NOTFOUND, x.img->layers[1].diff_id.str);
	bh_error_clear(&err);
	fixture_release(&x);

	/* a config that is not the image ID */
	fixture(&x, 2, contents);
	snprintf(name, sizeof(name), "%s.json", hex_of(&x.img->config_digest));
	tar_file(&x.f->archive, name, "{}", 2);
	tar_end(&x.f->archive);
	assert_int_equal(walk(&x, 0, &s, &err), -1);
	assert_error(err, BH_ERR_DIGEST, "not the image ID");
	bh_error_clear(&err);
	fixture_release(&x);

	/* manifest.json that contradicts what the names said, or lists too few */
	fixture(&x, 2, contents);
	snprintf(name, sizeof(name), "%s.tar", hex_of(&x.img->layers[0].diff_id));
	{
		char mj[512];

		snprintf(mj, sizeof(mj), "[{\"Config\":\"c.json\",\"Layers\":[\"x.tar\"]}]");
		tar_file(&x.f->archive, "manifest.json", mj, strlen(mj));
	}
	tar_end(&x.f->archive);
	assert_int_equal(walk(&x, 0, &s, &err), -1);
	assert_error(err, BH_ERR_INVALID, "lists 1 layers");
	bh_error_clear(&err);
	fixture_release(&x);

	/* not a tar */
	fixture(&x, 2, contents);
	bh_buf_adds(&x.f->archive, "HTTP/1.1 500 oops", NULL);
	{
		char pad[600];

		memset(pad, 'x', sizeof(pad));
		bh_buf_add(&x.f->archive, pad, sizeof(pad), NULL);
	}
	assert_int_equal(walk(&x, 0, &s, &err), -1);
	assert_error(err, BH_ERR_INVALID, "bad tar header");
	bh_error_clear(&err);
	fixture_release(&x);
}

/* ---- podman's store ----------------------------------------------------------------- */

static int conf_parse(const char *s, char **root, char **driver, struct bh_error **err)
{
	return img_storage_conf_parse(s, strlen(s), root, driver, err);
}

static void storage_conf_gives_graphroot_and_driver(void **state)
{
	const char *conf =
		"# comment\n[storage]\ndriver = \"overlay\"\nrunroot = \"/run/x\"\n"
		"graphroot = '/srv/containers'\n[storage.options]\ngraphroot = \"/no\"\n";
	char *root = NULL, *driver = NULL;
	struct bh_error *err = NULL;

	assert_int_equal(img_storage_conf_parse(conf, strlen(conf), &root, &driver, &err), 0);
	assert_string_equal(root, "/srv/containers");
	assert_string_equal(driver, "overlay");
	assert_int_equal(conf_parse("[storage]\ngraphroot = \"a\\\"b\"\n", &root, &driver, &err),
			 0);
	assert_string_equal(root, "a\"b");
	assert_int_equal(conf_parse("[storage]\ndriver = 3\n", &root, &driver, &err), -1);
	assert_error(err, BH_ERR_INVALID, "line 2");
	bh_error_clear(&err);
	assert_int_equal(conf_parse("[storage\n", &root, &driver, &err), -1);
	bh_error_clear(&err);
	free(root);
	free(driver);
}

static void b64(struct bh_buf *out, const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		bh_buf_addc(out, t[v >> 18 & 63], NULL);
		bh_buf_addc(out, t[v >> 12 & 63], NULL);
		bh_buf_addc(out, i + 1 < n ? t[v >> 6 & 63] : '=', NULL);
		bh_buf_addc(out, i + 2 < n ? t[v & 63] : '=', NULL);
	}
}

static void segment(struct bh_buf *jsonl, const unsigned char *p, size_t n)
{
	bh_buf_adds(jsonl, "{\"type\":2,\"payload\":\"", NULL);
	b64(jsonl, p, n);
	bh_buf_adds(jsonl, "\",\"position\":0}\n", NULL);
}

static int rebuild(const char *jsonl, int dirfd, struct bh_buf *out, struct bh_error **err)
{
	struct bh_stream *s;
	int r;

	if (img_tarsplit_stream(img_stream_bytes(bh_strdup(jsonl), strlen(jsonl)), dirfd, 1 << 20,
				&s, err) < 0)
		return -1;
	r = bh_stream_read_all(s, out, "layer", err);
	bh_stream_close(s);
	return r;
}

static void tarsplit_rebuilds_the_layer_byte_for_byte(void **state)
{
	char *d = unit_mktmp(), *path;
	struct bh_buf tar = BH_BUF_INIT(1 << 20), jsonl = BH_BUF_INIT(1 << 20),
		      got = BH_BUF_INIT(1 << 20);
	struct bh_error *err = NULL;
	static const unsigned char zero[1024];
	const char *content = "hello from the store\n";
	int dfd;

	path = bh_asprintf("%s/etc", d);
	mkdir(path, 0755);
	free(path);
	path = bh_asprintf("%s/etc/hello", d);
	{
		int fd = open(path, O_WRONLY | O_CREAT, 0644);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, content, strlen(content)), (int)strlen(content));
		close(fd);
	}
	/* the tar, and its record: headers as segments, the file by name */
	tar_hdr(&tar, "./etc/", '5', 0, NULL);
	segment(&jsonl, (const unsigned char *)tar.data, 512);
	bh_buf_adds(&jsonl, "{\"type\":1,\"name\":\"./etc/\",\"payload\":null,\"position\":1}\n",
		    NULL);
	tar_hdr(&tar, "./etc/hello", '0', strlen(content), NULL);
	segment(&jsonl, (const unsigned char *)tar.data + 512, 512);
	bh_buf_addf(
		&jsonl, NULL,
		"{\"type\":1,\"name\":\"./etc/hello\",\"size\":%zu,\"payload\":\"AAAAAAAAAAA=\","
		"\"position\":3}\n",
		strlen(content));
	bh_buf_add(&tar, content, strlen(content), NULL);
	bh_buf_add(&tar, zero, 512 - strlen(content), NULL);
	bh_buf_add(&tar, zero, sizeof(zero), NULL);
	segment(&jsonl, zero, 512 - strlen(content));
	segment(&jsonl, zero, sizeof(zero));
	bh_buf_adds(&jsonl, "{\"type\":2,\"payload\":\"\",\"position\":6}\n", NULL);
	dfd = bh_root_open(d, &err);
	assert_true(dfd >= 0);
	assert_int_equal(rebuild(jsonl.data, dfd, &got, &err), 0);
	assert_int_equal(got.len, tar.len);
	assert_memory_equal(got.data, tar.data, tar.len);

	/* the file changed in the store: refused */
	{
		int fd = open(path, O_WRONLY | O_APPEND);

		assert_int_equal(write(fd, "x", 1), 1);
		close(fd);
	}
	bh_buf_reset(&got);
	assert_int_equal(rebuild(jsonl.data, dfd, &got, &err), -1);
	assert_error(err, BH_ERR_DIGEST, "changed in the store");
	bh_error_clear(&err);
	/* a name that climbs out stays inside the layer's directory */
	bh_buf_reset(&got);
	assert_int_equal(rebuild("{\"type\":1,\"name\":\"../../../../etc/passwd\",\"size\":5}\n",
				 dfd, &got, &err),
			 -1);
	bh_error_clear(&err);
	/* hostile records */
	assert_int_equal(rebuild("{\"type\":2,\"payload\":\"not base64!\"}\n", dfd, &got, &err),
			 -1);
	assert_error(err, BH_ERR_INVALID, "line 1: the payload: base64 of 11 characters");
	bh_error_clear(&err);
	assert_int_equal(rebuild("{\"type\":2,\"payload\":\"not base64!!\"}\n", dfd, &got, &err),
			 -1);
	assert_error(err, BH_ERR_INVALID, "the payload: not base64 (byte 3 is 0x20)");
	bh_error_clear(&err);
	assert_int_equal(rebuild("{\"type\":2,\"payload\":\"Zh==\"}\n", dfd, &got, &err), -1);
	assert_error(err, BH_ERR_INVALID, "the payload: base64 with non-zero padding bits");
	bh_error_clear(&err);
	assert_int_equal(rebuild("{\"type\":7}\n", dfd, &got, &err), -1);
	assert_error(err, BH_ERR_INVALID, "unknown type");
	bh_error_clear(&err);
	assert_int_equal(rebuild("[1,2]\n", dfd, &got, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not a record");
	bh_error_clear(&err);
	assert_int_equal(rebuild("{\"type\":1,\"size\":3}\n", dfd, &got, &err), -1);
	assert_error(err, BH_ERR_INVALID, "without a name");
	bh_error_clear(&err);
	close(dfd);
	free(path);
	bh_buf_release(&tar);
	bh_buf_release(&jsonl);
	bh_buf_release(&got);
	unit_rmtmp(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(http_head_is_parsed_with_bounds),
		cmocka_unit_test(http_bodies_chunked_sized_and_cut_short),
		cmocka_unit_test(unix_connect_says_not_running),
		cmocka_unit_test(v1_ids_of_docker_20_10_identify_layers),
		cmocka_unit_test(seq_walks_layers_named_by_diff_id_in_stream_order),
		cmocka_unit_test(seq_identifies_legacy_layers_by_v1_id),
		cmocka_unit_test(seq_learns_unknown_names_from_manifest_json),
		cmocka_unit_test(seq_serves_one_tar_to_two_layers_with_one_diff_id),
		cmocka_unit_test(seq_refuses_hostile_archives),
		cmocka_unit_test(storage_conf_gives_graphroot_and_driver),
		cmocka_unit_test(tarsplit_rebuilds_the_layer_byte_for_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
