/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_image_getopt: --platform, --ref and --threads, and the registry
 * options (--cacert, --cert-dir, --insecure-registry, --authfile,
 * --registry-timeout), the options image, sbom, scan, pull and push share.
 */
#include <getopt.h>

#include "unit.h"
#include "cli/cli.h"

static const struct option opts[] = {
	CLI_IMAGE_LONGOPTS,
	{ "output", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 },
};

/* Parse argv (NULL-terminated) from the start; the options left to the command go into got. */
static int parse(char **argv, struct cli_image_opts *o, char *got, size_t n)
{
	int argc = 0, c;
	size_t k = 0;

	while (argv[argc])
		argc++;
	optind = 0;
	while ((c = cli_image_getopt(argc, argv, "o:h", opts, "t", o)) != -1) {
		if (k + 1 < n)
			got[k++] = (char)c;
		if (c == '?')
			break;
	}
	got[k] = 0;
	return optind;
}

static void test_stores(void **state)
{
	char *argv[] = { "t",	      "--platform", "linux/arm64/v8", "-o", "out", "--ref=latest",
			 "--threads", "0",	    "IMAGE",	      "-h", NULL };
	struct cli_image_opts o = { .threads = 9 };
	char got[8];

	(void)state;
	parse(argv, &o, got, sizeof(got));
	assert_string_equal(got, "oh"); /* the command's own options only */
	assert_string_equal(o.open.platform, "linux/arm64/v8");
	assert_string_equal(o.open.ref, "latest");
	assert_int_equal(o.threads, 0);
	assert_string_equal(argv[optind], "IMAGE");
}

static void test_threads_range(void **state)
{
	static const char *const bad[] = { "1025", "-1", "abc", "", "1k", "99999999999999999999" };
	struct cli_image_opts o = { 0 };
	char got[8];

	(void)state;
	{
		char *argv[] = { "t", "--threads", "1024", NULL };

		parse(argv, &o, got, sizeof(got));
		assert_string_equal(got, "");
		assert_int_equal(o.threads, 1024);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "t", "--threads", (char *)bad[i], "-o", "x", NULL };

		o.threads = 7;
		parse(argv, &o, got, sizeof(got));
		assert_string_equal(got, "?"); /* the command exits with BH_EXIT_USAGE */
		assert_int_equal(o.threads, 7);
	}
	{
		char *argv[] = { "t", "IMAGE", "--ref", NULL };

		parse(argv, &o, got, sizeof(got));
		assert_string_equal(got, "?"); /* a missing value, as cli_getopt says it */
	}
}

static void test_registry_options(void **state)
{
	char *argv[] = { "t",
			 "--cacert",
			 "ca.pem",
			 "--insecure-registry",
			 "127.0.0.1:5000",
			 "--cert-dir=/d",
			 "--insecure-registry",
			 "other",
			 "--authfile",
			 "auth.json",
			 "--registry-timeout",
			 "7",
			 "IMAGE",
			 NULL };
	struct cli_image_opts o = { 0 };
	char got[8];

	(void)state;
	parse(argv, &o, got, sizeof(got));
	assert_string_equal(got, "");
	assert_ptr_equal(o.open.registry, &o.registry);
	assert_string_equal(o.registry.cacert, "ca.pem");
	assert_string_equal(o.registry.cert_dirs[0], "/d");
	assert_null(o.registry.cert_dirs[1]);
	assert_string_equal(o.registry.insecure[0], "127.0.0.1:5000");
	assert_string_equal(o.registry.insecure[1], "other");
	assert_null(o.registry.insecure[2]);
	assert_string_equal(o.registry.authfile, "auth.json");
	assert_int_equal(o.registry.timeout, 7);
	{
		static const char *const bad[][2] = {
			{ "--registry-timeout", "0" },		{ "--registry-timeout", "3601" },
			{ "--registry-timeout", "x" },		{ "--insecure-registry", "" },
			{ "--insecure-registry", "http://h/" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char *a2[] = { "t", (char *)bad[i][0], (char *)bad[i][1], NULL };
			struct cli_image_opts o2 = { 0 };

			parse(a2, &o2, got, sizeof(got));
			assert_string_equal(got, "?");
		}
	}
	{
		/* at most CLI_MAX_INSECURE hosts */
		char *a3[2 * CLI_MAX_INSECURE + 4];
		struct cli_image_opts o3 = { 0 };
		int k = 0;

		a3[k++] = "t";
		for (int i = 0; i <= CLI_MAX_INSECURE; i++) {
			a3[k++] = "--insecure-registry";
			a3[k++] = "h";
		}
		a3[k] = NULL;
		parse(a3, &o3, got, sizeof(got));
		assert_string_equal(got, "?");
	}
}

static void test_usage_text(void **state)
{
	(void)state;
	assert_non_null(strstr(CLI_IMAGE_USAGE, "--platform OS/ARCH[/VARIANT]"));
	assert_non_null(strstr(CLI_IMAGE_USAGE, "--ref NAME"));
	assert_non_null(strstr(CLI_IMAGE_USAGE, "--threads N"));
	assert_non_null(strstr(CLI_IMAGE_USAGE, "--insecure-registry HOST[:PORT]"));
	assert_non_null(strstr(CLI_IMAGE_USAGE, "--cacert FILE"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stores),
		cmocka_unit_test(test_threads_range),
		cmocka_unit_test(test_registry_options),
		cmocka_unit_test(test_usage_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
