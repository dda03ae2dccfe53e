/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The layer cache filled by several scans at once, on a fresh file (what
 * layercache.test's "three scans at once" does with processes): every scan
 * opens the cache and every put lands. Threads stand in for processes (each
 * open is a connection of its own; SQLite locks between connections of one
 * process as between processes). Before the file was made complete beside
 * its place and linked in, scans that opened a new file at once each turned
 * it to WAL in place, and one of them could fail with "database is locked"
 * (SQLite calls no busy handler when a read lock must become a write lock)
 * and scan without the cache, storing nothing.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/image.h"
#include "bulkhead/scan.h"

#define THREADS 8
#define ROUNDS	40

static char *tmp;

static int setup(void **state)
{
	tmp = unit_mktmp();
	return 0;
}

static int teardown(void **state)
{
	unit_rmtmp(tmp);
	return 0;
}

struct filler {
	const char *path;
	pthread_barrier_t *start;
	unsigned id;
	char *failure; /* what went wrong, NULL when the put landed */
};

static void key_of(unsigned round, unsigned id, char out[65])
{
	snprintf(out, 65, "%056x%04x%04x", 0, round, id);
}

static unsigned round_no;

/* One scan: open the cache (creating it), store one part, close. */
static void *fill(void *arg)
{
	struct filler *f = arg;
	struct bh_layer_cache *lc = NULL;
	struct bh_error *err = NULL;
	struct bh_walk_cache_item it = { .diff_id = "sha256:layer", .part = "walk" };
	char data[64];

	key_of(round_no, f->id, it.key);
	snprintf(data, sizeof(data), "part of scan %u", f->id);
	it.data = data;
	it.len = strlen(data);
	pthread_barrier_wait(f->start);
	if (bh_layer_cache_open(f->path, true, &lc, &err) < 0 ||
	    bh_layer_cache_walk(lc)->put(bh_layer_cache_walk(lc)->data, &it, 1, &err) < 0)
		f->failure = bh_error_message(err);
	bh_error_free(err);
	bh_layer_cache_close(lc);
	return NULL;
}

static void concurrent_fills_of_a_new_cache_all_land(void **state)
{
	char *path = bh_asprintf("%s/db.layers.sqlite", tmp);

	for (round_no = 0; round_no < ROUNDS; round_no++) {
		pthread_t th[THREADS];
		struct filler f[THREADS];
		pthread_barrier_t start;
		struct bh_layer_cache *lc = NULL;
		const struct bh_walk_cache *wc;
		struct bh_error *err = NULL;
		struct stat st;
		char *wal = bh_asprintf("%s-wal", path), *shm = bh_asprintf("%s-shm", path);

		unlink(path);
		unlink(wal);
		unlink(shm);
		free(wal);
		free(shm);
		pthread_barrier_init(&start, NULL, THREADS);
		for (unsigned i = 0; i < THREADS; i++) {
			f[i] = (struct filler){ path, &start, i, NULL };
			assert_int_equal(pthread_create(&th[i], NULL, fill, &f[i]), 0);
		}
		for (unsigned i = 0; i < THREADS; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&start);
		for (unsigned i = 0; i < THREADS; i++)
			if (f[i].failure)
				fail_msg("round %u, scan %u: %s", round_no, i, f[i].failure);
		/* Every scan's part is there, and the file is the owner's only. */
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(bh_layer_cache_open(path, false, &lc, &err), 0);
		wc = bh_layer_cache_walk(lc);
		for (unsigned i = 0; i < THREADS; i++) {
			struct bh_buf b = BH_BUF_INIT(1024);
			char key[65], want[64];

			key_of(round_no, i, key);
			snprintf(want, sizeof(want), "part of scan %u", i);
			assert_int_equal(wc->get(wc->data, key, &b, &err), 1);
			assert_int_equal(b.len, strlen(want));
			assert_memory_equal(b.data, want, b.len);
			bh_buf_release(&b);
		}
		bh_layer_cache_close(lc);
	}
	/* Nothing but the cache (and SQLite's files) is left beside it. */
	{
		DIR *d = opendir(tmp);
		struct dirent *de;

		assert_non_null(d);
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
			    strcmp(de->d_name, "db.layers.sqlite") &&
			    strcmp(de->d_name, "db.layers.sqlite-wal") &&
			    strcmp(de->d_name, "db.layers.sqlite-shm"))
				fail_msg("left beside the cache: %s", de->d_name);
		closedir(d);
	}
	free(path);
}

/* An empty file where the cache goes (an older bulkhead made the file first
 * and set it up in place) is made a cache, as then. */
static void an_empty_file_is_made_a_cache(void **state)
{
	char *path = bh_asprintf("%s/empty.layers.sqlite", tmp);
	struct bh_layer_cache *lc = NULL;
	struct bh_error *err = NULL;
	struct bh_walk_cache_item it = { .key = "", .diff_id = "sha256:layer", .part = "walk" };
	struct bh_buf b = BH_BUF_INIT(64);
	const struct bh_walk_cache *wc;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	close(fd);
	key_of(99, 1, it.key);
	it.data = "x";
	it.len = 1;
	assert_int_equal(bh_layer_cache_open(path, false, &lc, &err), 0);
	wc = bh_layer_cache_walk(lc);
	assert_int_equal(wc->put(wc->data, &it, 1, &err), 0);
	assert_int_equal(wc->get(wc->data, it.key, &b, &err), 1);
	assert_int_equal(b.len, 1);
	bh_buf_release(&b);
	bh_layer_cache_close(lc);
	free(path);
}

/* What a create killed before its rename left (the temporary file and its
 * SQLite side files) is removed by a later open that may create, once it is
 * older than any create still running; a younger one and the cache stay. */
static void a_killed_create_s_leftovers_are_swept(void **state)
{
	static const char *const old[] = { "c.layers.sqlite.new-AbC123",
					   "c.layers.sqlite.new-AbC123-journal",
					   "c.layers.sqlite.new-AbC123-wal" };
	char *path = bh_asprintf("%s/c.layers.sqlite", tmp);
	char *young = bh_asprintf("%s/c.layers.sqlite.new-XyZ789", tmp);
	char *other = bh_asprintf("%s/other.sqlite.new-AbC123", tmp);
	struct timespec hour_ago[2] = { { .tv_sec = time(NULL) - 3600 },
					{ .tv_sec = time(NULL) - 3600 } };
	struct bh_layer_cache *lc = NULL;
	struct bh_error *err = NULL;
	char *p;
	int fd;

	for (size_t i = 0; i < 3; i++) {
		p = bh_asprintf("%s/%s", tmp, old[i]);
		fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(futimens(fd, hour_ago), 0);
		close(fd);
		free(p);
	}
	fd = open(young, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = open(other, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(futimens(fd, hour_ago), 0);
	close(fd);
	/* an open that may not create leaves them */
	assert_int_equal(bh_layer_cache_open(path, false, &lc, &err), -1);
	bh_error_free(err);
	err = NULL;
	p = bh_asprintf("%s/%s", tmp, old[0]);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
	assert_int_equal(bh_layer_cache_open(path, true, &lc, &err), 0);
	bh_layer_cache_close(lc);
	for (size_t i = 0; i < 3; i++) {
		p = bh_asprintf("%s/%s", tmp, old[i]);
		assert_int_equal(access(p, F_OK), -1);
		free(p);
	}
	assert_int_equal(access(young, F_OK), 0); /* a create that may be running */
	assert_int_equal(access(other, F_OK), 0); /* not this cache's */
	assert_int_equal(access(path, F_OK), 0);
	free(other);
	free(young);
	free(path);
}

/* ---- a layer not kept is a warning ---------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char warnings[4096];

static void capture(enum bh_log_level level, const char *msg, void *data)
{
	size_t n;

	if (level > BH_LOG_WARN)
		return;
	pthread_mutex_lock(&log_lock);
	n = strlen(warnings);
	snprintf(warnings + n, sizeof(warnings) - n, "%s\n", msg);
	pthread_mutex_unlock(&log_lock);
}

static int refuse_save(unsigned layer, struct bh_buf *out, void *data, struct bh_error **err)
{
	return bh_error_set(err, BH_ERR_LIMIT, "too much state in layer %u", layer + 1);
}

static int load_nothing(unsigned layer, const void *p, size_t n, void *data, struct bh_error **err)
{
	return 0;
}

/* A consumer whose part of a layer cannot be kept: the walk goes on, the
 * layer is not stored, and the user is told which layer and why (it was a
 * debug message: a later scan read the layer again, unexplained). */
static void a_layer_not_kept_is_a_warning(void **state)
{
	const char *td = getenv("TESTDATA");
	char *img_path = td ? bh_asprintf("%s/images/alpine-3.19.4.docker.tar", td) : NULL;
	char *path = bh_asprintf("%s/warn.layers.sqlite", tmp);
	struct bh_layer_cache *lc = NULL;
	struct bh_image *img = NULL;
	struct bh_error *err = NULL;
	struct bh_consumer refusing = { .cache_part = "refusing",
					.save_layer = refuse_save,
					.load_layer = load_nothing };
	struct bh_consumer *cons[] = { &refusing };
	struct bh_walk_opts o = { .threads = 1 };
	char want[256];

	if (!img_path || access(img_path, R_OK))
		skip();
	assert_int_equal(bh_image_open(img_path, NULL, &img, &err), 0);
	assert_int_equal(bh_layer_cache_open(path, true, &lc, &err), 0);
	o.cache = bh_layer_cache_walk(lc);
	warnings[0] = 0;
	bh_log_set_handler(capture, NULL);
	bh_log_set_level(BH_LOG_WARN);
	assert_int_equal(bh_image_walk_consumers(img, &o, cons, 1, &err), 0);
	bh_log_set_handler(NULL, NULL);
	snprintf(want, sizeof(want),
		 "layer 1 (%s): not kept in the layer cache: the refusing part: "
		 "too much state in layer 1\n",
		 img->layers[0].diff_id.str);
	assert_non_null(strstr(warnings, want));
	bh_layer_cache_close(lc);
	bh_image_free(img);
	free(img_path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_fills_of_a_new_cache_all_land),
		cmocka_unit_test(an_empty_file_is_made_a_cache),
		cmocka_unit_test(a_killed_create_s_leftovers_are_swept),
		cmocka_unit_test(a_layer_not_kept_is_a_warning),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
