/* SPDX-License-Identifier: Apache-2.0 */
/* The command table and dispatch. */
#include <fcntl.h>
#include <unistd.h>

#include "unit.h"
#include "cli/cli.h"

int bulkhead_main(int argc, char **argv);

static int run(int argc, char **argv)
{
	/* Keep the test output clean: usage errors go to stderr. */
	int saved = dup(2), devnull = open("/dev/null", 1), r;

	dup2(devnull, 2);
	r = bulkhead_main(argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(devnull);
	return r;
}

static void unknown_command_is_a_usage_error(void **state)
{
	char *argv[] = { "bulkhead", "nosuchcommand", NULL };

	assert_int_equal(run(2, argv), BH_EXIT_USAGE);
}

static void no_command_is_a_usage_error(void **state)
{
	char *argv[] = { "bulkhead", NULL };

	assert_int_equal(run(1, argv), BH_EXIT_USAGE);
}

static void unknown_option_is_a_usage_error(void **state)
{
	char *argv[] = { "bulkhead", "--nosuch", "version", NULL };
	char *argv2[] = { "bulkhead", "version", "--nosuch", NULL };

	assert_int_equal(run(3, argv), BH_EXIT_USAGE);
	assert_int_equal(run(3, argv2), BH_EXIT_USAGE);
}

static void table_is_complete_and_unique(void **state)
{
	size_t n = 0;

	for (const struct bh_command *c = bh_commands; c->name; c++, n++) {
		assert_non_null(c->fn);
		assert_non_null(c->summary);
		assert_true(strlen(c->summary) > 10);
		assert_ptr_equal(cli_find_command(c->name), c);
		for (const struct bh_command *d = c + 1; d->name; d++)
			assert_string_not_equal(c->name, d->name);
	}
	assert_true(n >= 2);
	assert_null(cli_find_command("nosuch"));
}

static void suggestions_are_close_matches_only(void **state)
{
	assert_string_equal(cli_suggest_command("versoin"), "version");
	assert_string_equal(cli_suggest_command("hepl"), "help");
	assert_null(cli_suggest_command("zzzzzzzzzz"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_command_is_a_usage_error),
		cmocka_unit_test(no_command_is_a_usage_error),
		cmocka_unit_test(unknown_option_is_a_usage_error),
		cmocka_unit_test(table_is_complete_and_unique),
		cmocka_unit_test(suggestions_are_close_matches_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
