/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vercheck compare|satisfies: `bulkhead version compare|satisfies` for many
 * cases in one process, for tests/e2e/version.test's cross-checks (thousands
 * of random cases: a process each cost a minute, and two under the
 * sanitizers, in start-up alone). Each line of stdin is one case, its three
 * fields hex-encoded and separated by a space (a version may hold any byte,
 * a tab or a newline too):
 *   SCHEME-HEX A-HEX B-HEX          (satisfies: SCHEME-HEX SPEC-HEX VERSION-HEX)
 * Each case prints one line, "RESULT WARN": RESULT what the command prints
 * (-1, 0, 1, true, false), E where it exits 3 (refused), U where it exits 2
 * (unknown scheme, no range syntax); WARN 1 where the command warns on
 * stderr, else 0. The warning rule is the command's (src/cli/version.c):
 * the version test checks, on a sample of every cross-check, that the
 * command and this tool agree. Exit status 2 on a malformed line.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bulkhead/base.h"
#include "bulkhead/vuln.h"

#define MAX_FIELD 65536

static int unhex(const char *h, size_t n, char *out)
{
	size_t i;

	if (n % 2 || n / 2 >= MAX_FIELD)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char c = h[2 * i + k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		if (!v)
			return -1; /* an argv string holds no NUL */
		out[i] = (char)v;
	}
	out[i] = '\0';
	return 0;
}

/* Does the command warn about v (a range when range)? As warn_odd does. */
static bool odd(enum bh_vscheme s, const char *v, bool range)
{
	char *why = NULL;
	bool w;

	if (range)
		bh_version_check_range(s, v, &why, NULL);
	else
		bh_version_check(s, v, &why, NULL);
	w = why != NULL;
	free(why);
	return w;
}

static void one(bool sat, const char *scheme, const char *a, const char *b)
{
	struct bh_error *err = NULL;
	enum bh_vscheme s;
	bool warn = false, yes;
	int r, cmp;

	if (bh_vscheme_parse(scheme, &s, &err) < 0 ||
	    (sat && s != BH_VS_SEMVER && s != BH_VS_PEP440)) {
		bh_error_free(err);
		puts("U 0");
		return;
	}
	r = sat ? bh_version_satisfies(s, a, b, &yes, &err)
		: bh_version_compare(s, a, b, &cmp, &err);
	if (r < 0) {
		bh_error_free(err);
		puts("E 0");
		return;
	}
	if (r == BH_VERSION_ODD) {
		if (sat) {
			warn = odd(s, a, true);
			if (bh_version_check(s, b, NULL, NULL) < 0)
				warn = true; /* its error, as a warning */
			else
				warn = odd(s, b, false) || warn;
		} else {
			warn = odd(s, a, false);
			warn = odd(s, b, false) || warn;
		}
	}
	if (sat)
		printf("%s %d\n", yes ? "true" : "false", warn);
	else
		printf("%d %d\n", cmp, warn);
}

int main(int argc, char **argv)
{
	static char line[3 * 2 * MAX_FIELD + 8], f[3][MAX_FIELD];
	bool sat;
	unsigned long n = 0;

	if (argc != 2 || (strcmp(argv[1], "compare") && strcmp(argv[1], "satisfies"))) {
		fprintf(stderr, "usage: vercheck compare|satisfies <cases\n");
		return 2;
	}
	sat = !strcmp(argv[1], "satisfies");
	while (fgets(line, sizeof(line), stdin)) {
		char *p = line, *sp;
		size_t len = strcspn(line, "\n");

		n++;
		if (line[len] != '\n') {
			fprintf(stderr, "vercheck: line %lu: too long or not ended\n", n);
			return 2;
		}
		line[len] = '\0';
		for (int i = 0; i < 3; i++) {
			sp = i < 2 ? strchr(p, ' ') : p + strlen(p);
			if (!sp || unhex(p, (size_t)(sp - p), f[i]) < 0) {
				fprintf(stderr, "vercheck: line %lu: field %d is not hex\n", n,
					i + 1);
				return 2;
			}
			p = sp + 1;
		}
		one(sat, f[0], f[1], f[2]);
	}
	return fflush(stdout) ? 2 : 0;
}
