/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bundle cache and a run's bundle (bh_bundle_prepare_run): an image
 * unpacked once and reused; a fill that failed or died never taken for an
 * entry; a second fill waiting for the first; a run's own hardened config
 * over the cached root; runs without a command; bundles of dead runs swept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/bundle.h"
#include "bulkhead/image.h"
#include "unpack_unit.h"

/* ---- the cache and a run's bundle --------------------------------------------- */

static void must(int r, struct bh_error **err, const char *what)
{
	if (r < 0) {
		char *m = bh_error_message(*err);

		fail_msg("%s: %s", what, m);
	}
}

/* The names in dir (path parts joined), sorted, joined with spaces ("" when empty). */
static char *names_in(const char *a, const char *b)
{
	char *dir = bh_asprintf("%s/%s", a, b);
	struct bh_buf out = BH_BUF_INIT(1 << 16);
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);

	if (n < 0)
		fail_msg("scandir %s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
			if (out.len)
				assert_int_equal(bh_buf_addc(&out, ' ', NULL), 0);
			assert_int_equal(bh_buf_adds(&out, list[i]->d_name, NULL), 0);
		}
		free(list[i]);
	}
	free(list);
	free(dir);
	assert_int_equal(bh_buf_addc(&out, 0, NULL), 0);
	return bh_buf_detach(&out, NULL);
}

static void assert_names(const char *a, const char *b, const char *want)
{
	char *got = names_in(a, b);

	if (strcmp(got, want))
		fail_msg("%s/%s holds '%s', want '%s'", a, b, got, want);
	free(got);
}

static void the_cache_unpacks_an_image_once_and_reuses_it(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout, *cache = bh_asprintf("%s/cache", f->work), *got = NULL, *real, *entry, *want;
	struct bh_image *img = user_image(NULL, &layout);
	const char *hex = bh_digest_hex(&img->config_digest);

	entry = bh_asprintf("%s/rootfs/%s", cache, hex);
	/* an image without a command is cached all the same (`run IMAGE -- CMD`) */
	must(bh_bundle_cache_get(cache, img, &got, &err), &err, "cache_get");
	real = realpath(entry, NULL);
	assert_non_null(real);
	assert_string_equal(got, real);
	assert_content(got, "etc/passwd", passwd);
	/* no other user of the host reaches the image's (set-user-ID) files */
	assert_int_equal(lstat_of(cache, "").st_mode & 07777, 0700);
	assert_int_equal(lstat_of(cache, "rootfs").st_mode & 07777, 0700);
	want = bh_asprintf(".%s.lock %s", hex, hex);
	assert_names(cache, "rootfs", want);
	free(got);

	/* a second call takes the entry as it is: nothing is unpacked over it */
	char *marker = bh_asprintf("%s/marker", entry);
	assert_int_equal(bh_write_file_atomic(marker, "m", 1, 0644, NULL), 0);
	must(bh_bundle_cache_get(cache, img, &got, &err), &err, "cache_get again");
	assert_string_equal(got, real);
	assert_true(exists(got, "marker"));
	assert_names(cache, "rootfs", want);
	free(got);
	free(marker);
	free(want);
	free(real);
	free(entry);
	free(cache);
	bh_image_free(img);
	unit_rmtmp(layout);
}

static void a_cache_fill_that_fails_or_died_is_never_taken_for_an_entry(void **state)
{
	struct fixture *f = *state;
	struct bh_buf t = BH_BUF_INIT(1 << 20);
	struct bh_error *err = NULL;
	char *layout, *layout2, *cache = bh_asprintf("%s/cache", f->work), *got = NULL, *want, *p;
	struct bh_image *bad, *good;
	const char *hex;

	/* the fill fails in the middle of the layer */
	T_DIR(&t, "etc/", 0755);
	T_FILE(&t, "etc/passwd", 0644, passwd);
	T_LINK(&t, "etc/shadow-link", "etc/missing");
	tar_end(&t);
	layout = make_image(&t, 1, NULL);
	bad = open_image(layout);
	hex = bh_digest_hex(&bad->config_digest);
	assert_int_equal(bh_bundle_cache_get(cache, bad, &got, &err), -1);
	assert_error(err, BH_ERR_INVALID, "'etc/shadow-link': hard link to 'etc/missing'");
	assert_error(err, BH_ERR_INVALID, "the image cache");
	bh_error_clear(&err);
	assert_null(got);
	want = bh_asprintf(".%s.lock", hex);
	assert_names(cache, "rootfs", want); /* no entry, no temporary */
	free(want);

	/* fills killed half-way left their temporaries: the next fill removes
	 * them and never takes one for the entry */
	good = user_image(json_pack("{s:[s]}", "Cmd", "/bin/true"), &layout2);
	hex = bh_digest_hex(&good->config_digest);
	p = bh_asprintf("%s/rootfs/.%s.tmp", cache, hex);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = bh_asprintf("%s/rootfs/.%s.tmp/half-written", cache, hex);
	assert_int_equal(bh_write_file_atomic(p, "x", 1, 0644, NULL), 0);
	free(p);
	p = bh_asprintf("%s/rootfs/..%s.tmp.bh-unpack-AbC123", cache, hex);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	must(bh_bundle_cache_get(cache, good, &got, &err), &err, "cache_get after a death");
	assert_false(exists(got, "half-written"));
	assert_content(got, "etc/group", group);
	free(got);
	want = bh_asprintf(".%s.lock .%s.lock %s", bh_digest_hex(&bad->config_digest), hex, hex);
	assert_names(cache, "rootfs", want);
	free(want);

	/* a rootfs: image has no digest: nothing to cache it by */
	struct bh_image *dir = NULL;
	char *ref = bh_asprintf("rootfs:%s", f->work);
	must(bh_image_open(ref, NULL, &dir, &err), &err, "open rootfs:");
	assert_int_equal(bh_bundle_cache_get(cache, dir, &got, &err), -1);
	assert_error(err, BH_ERR_USAGE, "no digest");
	bh_error_clear(&err);
	bh_image_free(dir);
	free(ref);

	free(cache);
	bh_image_free(bad);
	bh_image_free(good);
	unit_rmtmp(layout);
	unit_rmtmp(layout2);
}

static void a_second_fill_waits_for_the_first_and_takes_its_entry(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout, *cache = bh_asprintf("%s/cache", f->work), *p;
	struct bh_image *img = user_image(NULL, &layout);
	const char *hex = bh_digest_hex(&img->config_digest);
	int lockfd, status, pipefd[2];
	pid_t child;

	/* this test holds the fill lock, as a first `run IMAGE` would */
	p = bh_asprintf("%s/rootfs", cache);
	assert_int_equal(bh_mkdirs(p, 0700, 0700, NULL), 0);
	free(p);
	p = bh_asprintf("%s/rootfs/.%s.lock", cache, hex);
	lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(lockfd >= 0);
	assert_int_equal(flock(lockfd, LOCK_EX), 0);
	free(p);
	assert_int_equal(pipe(pipefd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char *got = NULL, c;

		/* the copy of the test's lock would keep it held */
		close(lockfd);
		c = bh_bundle_cache_get(cache, img, &got, NULL) == 0 && got &&
				    exists(got, "filled-by-the-first") && !exists(got, "etc")
			    ? 'y'
			    : 'n';

		(void)!write(pipefd[1], &c, 1);
		_exit(0);
	}
	close(pipefd[1]);
	/* the child waits on the lock: nothing of its own appears meanwhile */
	usleep(300 * 1000);
	p = bh_asprintf(".%s.lock", hex);
	assert_names(cache, "rootfs", p);
	free(p);
	assert_int_equal(waitpid(child, &status, WNOHANG), 0);
	/* the first fill completes (here: by hand) and lets go */
	p = bh_asprintf("%s/rootfs/%s", cache, hex);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = bh_asprintf("%s/rootfs/%s/filled-by-the-first", cache, hex);
	assert_int_equal(bh_write_file_atomic(p, "1", 1, 0644, NULL), 0);
	free(p);
	close(lockfd);
	char c = 0;
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(c, 'y'); /* it took the first one's entry, unpacked nothing */
	(void)err;
	free(cache);
	bh_image_free(img);
	unit_rmtmp(layout);
}

static json_t *mount_at(json_t *cfg, const char *dst, int *count)
{
	json_t *m, *hit = NULL;
	size_t i;

	*count = 0;
	json_array_foreach (bh_json_arr(cfg, "mounts"), i, m)
		if (!strcmp(bh_json_str(m, "destination"), dst)) {
			hit = m;
			(*count)++;
		}
	return hit;
}

static void a_run_gets_a_hardened_config_of_its_own_over_the_cached_root(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout, *cache = bh_asprintf("%s/cache", f->work),
		      *root = bh_asprintf("%s/state", f->work);
	struct bh_image *img = user_image(json_pack("{s:s, s:[s], s:[s]}", "User", "nobody", "Env",
						    "FOO=bar", "Cmd", "/bin/true"),
					  &layout);
	struct bh_bundle_run_opts o = { .cache = cache, .state_root = root, .tty = true };
	struct bh_bundle_run *run = NULL;
	json_t *c, *proc, *v;
	json_int_t n = 0;
	int count;
	char *p;

	must(bh_bundle_prepare_run(img, &o, &run, &err), &err, "prepare_run");
	assert_int_equal(strlen(run->id), 20);
	assert_true(bh_str_has_prefix(run->id, "run-"));
	p = bh_asprintf("%s/run-bundles/%s", root, run->id);
	assert_string_equal(run->bundle, p);
	free(p);
	/* as the runtime makes its state root */
	assert_int_equal(lstat_of(root, "").st_mode & 07777, 0700);
	assert_int_equal(lstat_of(root, "run-bundles").st_mode & 07777, 0700);
	assert_int_equal(lstat_of(run->bundle, "").st_mode & 07777, 0700);
	assert_names(run->bundle, "", "config.json");

	c = read_config(run->bundle);
	assert_string_equal(bh_json_str(bh_json_obj(c, "root"), "path"), run->rootfs);
	assert_true(json_is_true(json_object_get(bh_json_obj(c, "root"), "readonly")));
	p = bh_asprintf("%s/rootfs/%s", cache, bh_digest_hex(&img->config_digest));
	char *real = realpath(p, NULL);
	assert_non_null(real);
	assert_string_equal(run->rootfs, real);
	free(real);
	free(p);
	proc = bh_json_obj(c, "process");
	assert_true(json_is_true(json_object_get(proc, "noNewPrivileges")));
	assert_true(json_is_true(json_object_get(proc, "terminal")));
	v = bh_json_arr(proc, "env");
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(json_string_value(json_array_get(v, 1)), "FOO=bar");
	assert_string_equal(json_string_value(json_array_get(v, 2)), "TERM=xterm");
	assert_string_equal(json_string_value(json_array_get(bh_json_arr(proc, "args"), 0)),
			    "/bin/true");
	assert_true(bh_json_int(bh_json_obj(proc, "user"), "uid", &n));
	assert_int_equal(n, 65534);
	for (size_t i = 0; i < 3; i++) {
		static const char *const dst[] = { "/tmp", "/run", "/var/tmp" };
		json_t *m = mount_at(c, dst[i], &count);

		assert_int_equal(count, 1);
		assert_string_equal(bh_json_str(m, "type"), "tmpfs");
		v = bh_json_arr(m, "options");
		assert_int_equal(json_array_size(v), 3);
		assert_string_equal(json_string_value(json_array_get(v, 0)), "nosuid");
		assert_string_equal(json_string_value(json_array_get(v, 1)), "nodev");
	}
	assert_true(
		bh_json_int(bh_json_obj(bh_json_obj(bh_json_obj(c, "linux"), "resources"), "pids"),
			    "limit", &n));
	assert_int_equal(n, 4096);
	json_decref(c);

	/* the run's bundle goes with it; the cache stays */
	p = bh_strdup(run->rootfs);
	bh_bundle_run_free(run);
	assert_names(root, "run-bundles", "");
	assert_content(p, "etc/passwd", passwd);
	assert_false(exists(p, "config.json"));
	free(p);

	/* a command given; no terminal: TERM is not added */
	char *const args[] = { "/bin/sh", "-c", "exit 3", NULL };
	o.args = args;
	o.tty = false;
	must(bh_bundle_prepare_run(img, &o, &run, &err), &err, "prepare_run with args");
	c = read_config(run->bundle);
	proc = bh_json_obj(c, "process");
	assert_true(json_is_false(json_object_get(proc, "terminal")));
	assert_int_equal(json_array_size(bh_json_arr(proc, "env")), 2);
	assert_int_equal(json_array_size(bh_json_arr(proc, "args")), 3);
	json_decref(c);
	bh_bundle_run_free(run);
	bh_bundle_run_free(NULL);

	free(cache);
	free(root);
	bh_image_free(img);
	unit_rmtmp(layout);
}

static void a_run_without_a_command_fails_and_leaves_no_bundle(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout, *cache = bh_asprintf("%s/cache", f->work),
		      *root = bh_asprintf("%s/state", f->work);
	struct bh_image *img = user_image(NULL, &layout);
	struct bh_bundle_run_opts o = { .cache = cache, .state_root = root };
	struct bh_bundle_run *run = NULL;

	assert_int_equal(bh_bundle_prepare_run(img, &o, &run, &err), -1);
	assert_null(run);
	assert_error(err, BH_ERR_INVALID, "image has no entrypoint or cmd; give a command");
	bh_error_clear(&err);
	assert_false(exists(root, "run-bundles"));

	/* rootfs: runs the directory as it is, read-only, and caches nothing */
	struct bh_image *dir = NULL;
	char *args[] = { "/bin/true", NULL }, *ref, *real;
	must(bh_bundle_prepare_run(img,
				   &(struct bh_bundle_run_opts){
					   .cache = cache, .state_root = root, .args = args },
				   &run, &err),
	     &err, "prepare_run with a command");
	ref = bh_asprintf("rootfs:%s", run->rootfs);
	bh_bundle_run_free(run);
	free(cache);
	cache = bh_asprintf("%s/cache2", f->work);
	must(bh_image_open(ref, NULL, &dir, &err), &err, "open rootfs:");
	o.cache = cache;
	o.args = args;
	must(bh_bundle_prepare_run(dir, &o, &run, &err), &err, "prepare_run rootfs:");
	real = realpath(ref + strlen("rootfs:"), NULL);
	assert_string_equal(run->rootfs, real);
	assert_false(exists(cache, ""));
	free(real);
	bh_bundle_run_free(run);
	bh_image_free(dir);
	free(ref);

	free(cache);
	free(root);
	bh_image_free(img);
	unit_rmtmp(layout);
}

static void bundles_of_runs_that_died_are_swept_live_ones_kept(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout, *cache = bh_asprintf("%s/cache", f->work),
		      *root = bh_asprintf("%s/state", f->work);
	struct bh_image *img = user_image(json_pack("{s:[s]}", "Cmd", "/bin/true"), &layout);
	struct bh_bundle_run_opts o = { .cache = cache, .state_root = root };
	struct bh_bundle_run *run = NULL;
	char *p, *want;
	int held;

	p = bh_asprintf("%s/run-bundles", root);
	assert_int_equal(bh_mkdirs(p, 0700, 0700, NULL), 0);
	free(p);
	/* died: nobody holds it, no container state */
	p = bh_asprintf("%s/run-bundles/run-00000000000000aa/config.json", root);
	assert_int_equal(bh_mkdirs(p, 0700, 0700, NULL), 0); /* a directory will do */
	free(p);
	/* its process died but the container lives on: state kept, so the bundle too */
	p = bh_asprintf("%s/run-bundles/run-00000000000000bb", root);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = bh_asprintf("%s/run-00000000000000bb", root);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	/* a live run holds its lock */
	p = bh_asprintf("%s/run-bundles/run-00000000000000cc", root);
	assert_int_equal(mkdir(p, 0700), 0);
	held = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0);
	free(p);
	/* not a run's */
	p = bh_asprintf("%s/run-bundles/other", root);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);

	must(bh_bundle_prepare_run(img, &o, &run, &err), &err, "prepare_run");
	want = bh_asprintf("other run-00000000000000bb run-00000000000000cc %s", run->id);
	assert_names(root, "run-bundles", want);
	free(want);
	bh_bundle_run_free(run);
	close(held);
	/* now the live one is gone too */
	must(bh_bundle_prepare_run(img, &o, &run, &err), &err, "prepare_run again");
	want = bh_asprintf("other run-00000000000000bb %s", run->id);
	assert_names(root, "run-bundles", want);
	free(want);
	bh_bundle_run_free(run);

	free(cache);
	free(root);
	bh_image_free(img);
	unit_rmtmp(layout);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_cache_unpacks_an_image_once_and_reuses_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_cache_fill_that_fails_or_died_is_never_taken_for_an_entry, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			a_second_fill_waits_for_the_first_and_takes_its_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_run_gets_a_hardened_config_of_its_own_over_the_cached_root, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_run_without_a_command_fails_and_leaves_no_bundle,
						setup, teardown),
		cmocka_unit_test_setup_teardown(bundles_of_runs_that_died_are_swept_live_ones_kept,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("bundle cache", tests, NULL, NULL);
}
