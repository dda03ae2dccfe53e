/* SPDX-License-Identifier: Apache-2.0 */
/* One walk feeding several consumers, on a real image from $TESTDATA. */
#include <pthread.h>

#include "unit.h"
#include "bulkhead/image.h"

struct counter {
	pthread_mutex_t lock;
	size_t entries;
	size_t layers_begun, layers_ended;
};

struct grabber {
	const char *want_path;
	struct bh_buf content;
	int ends; /* chunk calls with n == 0 */
	bool fail;
};

static int count_entry(const struct bh_entry *e, void *data, struct bh_error **err)
{
	struct counter *c = data;

	pthread_mutex_lock(&c->lock);
	c->entries++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static int count_begin(unsigned layer, bool ok, void *data, struct bh_error **err)
{
	struct counter *c = data;

	pthread_mutex_lock(&c->lock);
	c->layers_begun++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static int count_end(unsigned layer, bool ok, void *data, struct bh_error **err)
{
	struct counter *c = data;

	pthread_mutex_lock(&c->lock);
	c->layers_ended++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static bool grab_want(const struct bh_entry *e, void *data)
{
	struct grabber *g = data;

	return !strcmp(e->path, g->want_path);
}

static int grab_chunk(const struct bh_entry *e, const void *p, size_t n, void *data,
		      struct bh_error **err)
{
	struct grabber *g = data;

	if (g->fail)
		return bh_error_set(err, BH_ERR_INVALID, "consumer says no");
	if (n == 0) {
		g->ends++;
		return 0;
	}
	return bh_buf_add(&g->content, p, n, err);
}

/* A consumer written against bh_image_walk: reads some files itself. */
struct puller {
	struct bh_buf got;
};

static int pull_entry(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
		      struct bh_error **err)
{
	struct puller *p = data;
	char tmp[3];

	if (strcmp(e->path, "etc/alpine-release"))
		return 0;
	/* read only part of it: the rest must still reach the chunk consumers */
	if (bh_entry_read(r, tmp, sizeof(tmp), err) != sizeof(tmp))
		return -1;
	return bh_buf_add(&p->got, tmp, sizeof(tmp), err);
}

static char *image_path(const char *name)
{
	const char *td = getenv("TESTDATA");

	return td ? bh_asprintf("%s/images/%s", td, name) : NULL;
}

static void one_walk_feeds_every_consumer(void **state)
{
	char *path = image_path("alpine-3.19.4.docker.tar");
	struct counter cnt = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct grabber g1 = { .want_path = "etc/alpine-release", .content = BH_BUF_INIT(1 << 20) };
	struct grabber g2 = { .want_path = "etc/alpine-release", .content = BH_BUF_INIT(1 << 20) };
	struct bh_consumer c1 = { .data = &cnt,
				  .entry = count_entry,
				  .layer_begin = count_begin,
				  .layer_end = count_end };
	struct bh_consumer c2 = { .data = &g1, .want = grab_want, .chunk = grab_chunk };
	struct bh_consumer c3 = { .data = &g2, .want = grab_want, .chunk = grab_chunk };
	struct bh_consumer *const all[] = { &c1, &c2, &c3 };
	struct bh_image *img;

	if (!path)
		skip();
	assert_int_equal(bh_image_open(path, NULL, &img, NULL), 0);
	assert_int_equal(bh_image_walk_consumers(img, NULL, all, 3, NULL), 0);
	assert_int_equal(cnt.entries, img->layers[0].entries);
	assert_int_equal(cnt.layers_begun, 1);
	assert_int_equal(cnt.layers_ended, 1);
	assert_string_equal(g1.content.data, "3.19.4\n");
	assert_string_equal(g2.content.data, "3.19.4\n");
	assert_int_equal(g1.ends, 1);
	bh_buf_release(&g1.content);
	bh_buf_release(&g2.content);
	bh_image_free(img);
	free(path);
}

static void a_puller_shares_its_reads(void **state)
{
	char *path = image_path("alpine-3.19.4.docker.tar");
	struct puller p = { .got = BH_BUF_INIT(64) };
	struct grabber g = { .want_path = "etc/alpine-release", .content = BH_BUF_INIT(1 << 20) };
	struct bh_consumer c1 = { .data = &p, .pull = pull_entry };
	struct bh_consumer c2 = { .data = &g, .want = grab_want, .chunk = grab_chunk };
	struct bh_consumer *const all[] = { &c1, &c2 };
	struct bh_consumer *const two_pullers[] = { &c1, &c1 };
	struct bh_error *err = NULL;
	struct bh_image *img;

	if (!path)
		skip();
	assert_int_equal(bh_image_open(path, NULL, &img, NULL), 0);
	assert_int_equal(bh_image_walk_consumers(img, NULL, all, 2, NULL), 0);
	assert_string_equal(p.got.data, "3.1");
	assert_string_equal(g.content.data, "3.19.4\n");
	assert_int_equal(g.ends, 1);
	assert_int_equal(bh_image_walk_consumers(img, NULL, two_pullers, 2, &err), -1);
	assert_error(err, BH_ERR_USAGE, "one pulling consumer");
	bh_error_free(err);
	bh_buf_release(&p.got);
	bh_buf_release(&g.content);
	bh_image_free(img);
	free(path);
}

static void a_failing_consumer_stops_the_walk(void **state)
{
	char *path = image_path("alpine-3.19.4.docker.tar");
	struct grabber g = { .want_path = "etc/alpine-release",
			     .content = BH_BUF_INIT(16),
			     .fail = true };
	struct bh_consumer c = { .data = &g, .want = grab_want, .chunk = grab_chunk };
	struct bh_consumer *const all[] = { &c };
	struct bh_error *err = NULL;
	struct bh_image *img;

	if (!path)
		skip();
	assert_int_equal(bh_image_open(path, NULL, &img, NULL), 0);
	assert_int_equal(bh_image_walk_consumers(img, NULL, all, 1, &err), -1);
	assert_error(err, BH_ERR_INVALID, "layer 1");
	assert_error(err, BH_ERR_INVALID, "'etc/alpine-release': consumer says no");
	bh_error_free(err);
	bh_buf_release(&g.content);
	bh_image_free(img);
	free(path);
}

static void merge_consumer_equals_the_merged_view(void **state)
{
	char *path = image_path("debian-app.oci.tar");
	struct bh_fileset *a, *b;
	struct bh_image *img;
	struct bh_merge *m;
	struct bh_consumer *all[1];

	if (!path)
		skip();
	assert_int_equal(bh_image_open(path, NULL, &img, NULL), 0);
	assert_int_equal(bh_image_merged(img, 2, &a, NULL), 0);
	m = bh_merge_new(img);
	all[0] = bh_merge_consumer(m);
	assert_int_equal(
		bh_image_walk_consumers(img, &(struct bh_walk_opts){ .threads = 2 }, all, 1, NULL),
		0);
	assert_int_equal(bh_merge_finish(m, &b, NULL), 0);
	assert_int_equal(a->nfiles, b->nfiles);
	assert_int_equal(a->nfiles, 7625); /* the root itself is not listed */
	for (size_t i = 0; i < a->nfiles; i++) {
		assert_string_equal(a->files[i].path, b->files[i].path);
		assert_int_equal(a->files[i].mode, b->files[i].mode);
		assert_int_equal(a->files[i].layer, b->files[i].layer);
	}
	bh_fileset_free(a);
	bh_fileset_free(b);
	bh_merge_free(m);
	bh_image_free(img);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_walk_feeds_every_consumer),
		cmocka_unit_test(a_puller_shares_its_reads),
		cmocka_unit_test(a_failing_consumer_stops_the_walk),
		cmocka_unit_test(merge_consumer_equals_the_merged_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
