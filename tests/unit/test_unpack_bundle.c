/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bundles (bh_bundle_from_image): the image's command, environment,
 * working directory and user in config.json; users and groups resolved like
 * runc; an image without a command fails and leaves nothing behind.
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

/* ---- bundle ------------------------------------------------------------------ */

static void bundle_writes_the_image_command_env_cwd_and_user(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout;
	struct bh_image *img;
	json_t *c, *proc, *v;

	img = user_image(json_pack("{s:s, s:[s], s:[ss], s:[s], s:s}", "User", "nobody", "Env",
				   "FOO=bar", "Entrypoint", "/bin/sh", "-c", "Cmd", "echo hi",
				   "WorkingDir", "/work"),
			 &layout);
	if (bh_bundle_from_image(img, f->out, NULL, NULL, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("bundle: %s", m);
	}
	assert_content(f->out, "rootfs/etc/passwd", passwd);
	c = read_config(f->out);
	assert_string_equal(bh_json_str(c, "ociVersion"), "1.0.2");
	proc = bh_json_obj(c, "process");
	assert_non_null(proc);
	v = bh_json_arr(proc, "args");
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "/bin/sh");
	assert_string_equal(json_string_value(json_array_get(v, 1)), "-c");
	assert_string_equal(json_string_value(json_array_get(v, 2)), "echo hi");
	v = bh_json_arr(proc, "env");
	assert_int_equal(json_array_size(v), 2);
	assert_true(bh_str_has_prefix(json_string_value(json_array_get(v, 0)), "PATH=/"));
	assert_string_equal(json_string_value(json_array_get(v, 1)), "FOO=bar");
	assert_string_equal(bh_json_str(proc, "cwd"), "/work");
	assert_true(json_is_false(json_object_get(proc, "terminal")));
	json_int_t uid = -1, gid = -1;
	assert_true(bh_json_int(bh_json_obj(proc, "user"), "uid", &uid));
	assert_true(bh_json_int(bh_json_obj(proc, "user"), "gid", &gid));
	assert_int_equal(uid, 65534);
	assert_int_equal(gid, 65533);
	v = bh_json_arr(bh_json_obj(proc, "user"), "additionalGids");
	assert_int_equal(json_array_size(v), 2);
	assert_int_equal(json_integer_value(json_array_get(v, 0)), 50);
	assert_int_equal(json_integer_value(json_array_get(v, 1)), 70);
	assert_string_equal(bh_json_str(bh_json_obj(c, "root"), "path"), "rootfs");
	assert_int_equal(json_array_size(bh_json_arr(c, "mounts")), 7);
	assert_int_equal(json_array_size(bh_json_arr(bh_json_obj(c, "linux"), "namespaces")), 6);
	json_decref(c);
	bh_remove_tree(AT_FDCWD, f->out, NULL);

	/* Arguments given replace entrypoint and cmd. */
	char *const args[] = { "/bin/true", "x", NULL };
	assert_int_equal(bh_bundle_from_image(img, f->out, args, NULL, &err), 0);
	c = read_config(f->out);
	v = bh_json_arr(bh_json_obj(c, "process"), "args");
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "/bin/true");
	json_decref(c);

	bh_image_free(img);
	unit_rmtmp(layout);
}

/* The uid, gid and number of additional gids a User value resolves to in a
 * bundle; -1 in *uid when the bundle fails (error in *err). */
static void bundle_user(struct fixture *f, const char *user, json_int_t *uid, json_int_t *gid,
			size_t *ngids, struct bh_error **err)
{
	char *layout;
	struct bh_image *img =
		user_image(json_pack("{s:s, s:[s]}", "User", user, "Cmd", "/bin/true"), &layout);

	*uid = *gid = -1;
	*ngids = 0;
	bh_remove_tree(AT_FDCWD, f->out, NULL);
	if (bh_bundle_from_image(img, f->out, NULL, NULL, err) == 0) {
		json_t *c = read_config(f->out);
		json_t *u = bh_json_obj(bh_json_obj(c, "process"), "user");

		bh_json_int(u, "uid", uid);
		bh_json_int(u, "gid", gid);
		*ngids = json_array_size(bh_json_arr(u, "additionalGids"));
		json_decref(c);
	}
	bh_image_free(img);
	unit_rmtmp(layout);
}

static void bundle_resolves_users_and_groups_like_runc(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	json_int_t uid, gid;
	size_t n;
	static const struct {
		const char *user;
		json_int_t uid, gid;
		size_t ngids;
	} cases[] = {
		{ "", 0, 0, 0 },
		{ "0", 0, 0, 0 },
		{ "app", 1000, 1000, 0 },
		{ "1000", 1000, 1000, 0 },
		{ "4242", 4242, 0, 0 },
		{ "4242:7", 4242, 7, 0 },
		{ "nobody:staff", 65534, 50, 0 },
		{ "65534", 65534, 65533, 2 },
		{ "app:70", 1000, 70, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bundle_user(f, cases[i].user, &uid, &gid, &n, &err);
		if (err) {
			char *m = bh_error_message(err);

			fail_msg("user '%s': %s", cases[i].user, m);
		}
		if (uid != cases[i].uid || gid != cases[i].gid || n != cases[i].ngids)
			fail_msg("user '%s': %lld:%lld +%zu, want %lld:%lld +%zu", cases[i].user,
				 (long long)uid, (long long)gid, n, (long long)cases[i].uid,
				 (long long)cases[i].gid, cases[i].ngids);
	}
	bundle_user(f, "ghost", &uid, &gid, &n, &err);
	assert_error(err, BH_ERR_NOTFOUND, "user 'ghost'");
	bh_error_clear(&err);
	assert_false(exists(f->out, ""));
	bundle_user(f, "app:ghosts", &uid, &gid, &n, &err);
	assert_error(err, BH_ERR_NOTFOUND, "group 'ghosts'");
	bh_error_clear(&err);
	bundle_user(f, "broken", &uid, &gid, &n, &err);
	assert_error(err, BH_ERR_NOTFOUND, "user 'broken'");
	bh_error_clear(&err);
}

static void bundle_without_a_command_fails_and_cleans_up(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout;
	struct bh_image *img = user_image(NULL, &layout);

	assert_int_equal(bh_bundle_from_image(img, f->out, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "image has no entrypoint or cmd; give a command");
	bh_error_clear(&err);
	assert_false(exists(f->out, ""));
	assert_int_equal(count_entries(f->work), 0);

	/* A pre-existing empty directory is left empty. */
	assert_int_equal(mkdir(f->out, 0711), 0);
	assert_int_equal(bh_bundle_from_image(img, f->out, NULL, NULL, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(count_entries(f->out), 0);
	assert_int_equal(lstat_of(f->out, "").st_mode & 07777, 0711);

	bh_image_free(img);
	unit_rmtmp(layout);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bundle_writes_the_image_command_env_cwd_and_user,
						setup, teardown),
		cmocka_unit_test_setup_teardown(bundle_resolves_users_and_groups_like_runc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bundle_without_a_command_fails_and_cleans_up, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("bundle", tests, NULL, NULL);
}
