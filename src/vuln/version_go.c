/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go module versions: semantic versions with a "v" (golang.org/x/mod/semver).
 *
 *   vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]
 *
 * The "v" may be left out, as OSV's Go ecosystem writes versions ("1.2.3").
 * "v1" and "v1.2" are shorthands for v1.0.0 and v1.2.0 (as semver.Compare
 * reads them) and take no suffix. Pseudo-versions (v0.0.0-20191109021931-
 * daa7c04131f5, v1.2.4-0.2019..., v1.2.3-pre.0.2019...) are pre-releases and
 * order by their timestamp like any other; "+incompatible" is build metadata
 * and ignored, as every build suffix is.
 */
#include <string.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

static int parse(const char *v, struct vuln_semver *out, struct bh_error **err)
{
	const char *s = v, *why = NULL;
	size_t n;

	if (vuln_vs_check_len("go", v, err) < 0)
		return -1;
	n = strlen(v);
	if (n && *s == 'v')
		s++, n--;
	if (vuln_semver_parse(s, n, true, out, &why) < 0)
		return vuln_vs_invalid(err, "go", v, why);
	return 0;
}

static int validate(const char *v, const char **why, struct bh_error **err)
{
	struct vuln_semver sv;

	(void)why; /* the Go toolchain refuses what it cannot read */
	return parse(v, &sv, err);
}

static int compare(const char *a, const char *b, int *cmp, struct bh_error **err)
{
	struct vuln_semver x, y;

	if (parse(a, &x, err) < 0 || parse(b, &y, err) < 0)
		return -1;
	*cmp = vuln_semver_cmp(&x, &y);
	return 0;
}

static const char *const aliases[] = { "golang", NULL };
static const char *const ecosystems[] = { "Go", NULL };

const struct vuln_vscheme vuln_vscheme_go = {
	.id = BH_VS_GO,
	.name = "go",
	.native = "golang.org/x/mod/semver",
	.aliases = aliases,
	.ecosystems = ecosystems,
	.validate = validate,
	.compare = compare,
};
