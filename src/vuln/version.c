/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Version schemes: names, OSV ecosystems, and dispatch to one file per scheme
 * (version_dpkg.c, version_apk.c, ...). Shared helpers for those files.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

struct scheme_name {
	const char *name;
	enum bh_vscheme scheme;
};

static const struct scheme_name scheme_names[] = {
	{ "dpkg", BH_VS_DPKG },	    { "deb", BH_VS_DPKG },	{ "debian", BH_VS_DPKG },
	{ "apk", BH_VS_APK },	    { "alpine", BH_VS_APK },	{ "rpm", BH_VS_RPM },
	{ "semver", BH_VS_SEMVER }, { "npm", BH_VS_SEMVER },	{ "pep440", BH_VS_PEP440 },
	{ "pypi", BH_VS_PEP440 },   { "python", BH_VS_PEP440 }, { "go", BH_VS_GO },
	{ "golang", BH_VS_GO },	    { "maven", BH_VS_MAVEN },
};

int bh_vscheme_parse(const char *name, enum bh_vscheme *out, struct bh_error **err)
{
	for (size_t i = 0; name && i < sizeof(scheme_names) / sizeof(scheme_names[0]); i++) {
		if (!strcasecmp(name, scheme_names[i].name)) {
			*out = scheme_names[i].scheme;
			return 0;
		}
	}
	return bh_error_set(err, BH_ERR_INVALID,
			    "unknown version scheme '%.64s' (dpkg, apk, rpm, semver, pep440, go, "
			    "maven)",
			    name ? name : "");
}

const char *bh_vscheme_name(enum bh_vscheme s)
{
	switch (s) {
	case BH_VS_DPKG: return "dpkg";
	case BH_VS_APK: return "apk";
	case BH_VS_RPM: return "rpm";
	case BH_VS_SEMVER: return "semver";
	case BH_VS_PEP440: return "pep440";
	case BH_VS_GO: return "go";
	case BH_VS_MAVEN: return "maven";
	}
	return "unknown";
}

/*
 * OSV ecosystem names (https://ossf.github.io/osv-schema/#affectedpackage-field):
 * the part before the first ':' names the ecosystem, the rest is a release
 * ("Debian:12", "Alpine:v3.19", "Red Hat:enterprise_linux:9::appstream").
 */
static const struct scheme_name ecosystems[] = {
	{ "Debian", BH_VS_DPKG },    { "Ubuntu", BH_VS_DPKG },	   { "Alpine", BH_VS_APK },
	{ "Wolfi", BH_VS_APK },	     /* apk-tools versions */
	{ "Chainguard", BH_VS_APK }, /* apk-tools versions */
	{ "Red Hat", BH_VS_RPM },    { "Rocky Linux", BH_VS_RPM }, { "AlmaLinux", BH_VS_RPM },
	{ "openSUSE", BH_VS_RPM },   { "SUSE", BH_VS_RPM },	   { "Mageia", BH_VS_RPM },
	{ "openEuler", BH_VS_RPM },  { "npm", BH_VS_SEMVER },	   { "crates.io", BH_VS_SEMVER },
	{ "PyPI", BH_VS_PEP440 },    { "Go", BH_VS_GO },	   { "Maven", BH_VS_MAVEN },
};

int bh_vscheme_for_ecosystem(const char *ecosystem, enum bh_vscheme *out, struct bh_error **err)
{
	size_t n;

	if (!ecosystem)
		return bh_error_set(err, BH_ERR_INVALID, "no ecosystem");
	n = strcspn(ecosystem, ":");
	for (size_t i = 0; i < sizeof(ecosystems) / sizeof(ecosystems[0]); i++) {
		if (strlen(ecosystems[i].name) == n && !memcmp(ecosystems[i].name, ecosystem, n)) {
			*out = ecosystems[i].scheme;
			return 0;
		}
	}
	return bh_error_set(err, BH_ERR_UNSUPPORTED, "no version scheme for ecosystem '%.64s'",
			    ecosystem);
}

int bh_version_validate(enum bh_vscheme s, const char *v, struct bh_error **err)
{
	switch (s) {
	case BH_VS_DPKG: return bh_vdpkg_validate(v, err);
	case BH_VS_APK: return bh_vapk_validate(v, err);
	case BH_VS_RPM: return bh_vrpm_validate(v, err);
	case BH_VS_SEMVER: return bh_vsemver_validate(v, err);
	case BH_VS_PEP440: return bh_vpep440_validate(v, err);
	case BH_VS_GO: return bh_vgo_validate(v, err);
	case BH_VS_MAVEN: return bh_vmaven_validate(v, err);
	}
	return bh_error_set(err, BH_ERR_USAGE, "unknown version scheme %d", (int)s);
}

int bh_version_compare(enum bh_vscheme s, const char *a, const char *b, int *cmp,
		       struct bh_error **err)
{
	switch (s) {
	case BH_VS_DPKG: return bh_vdpkg_compare(a, b, cmp, err);
	case BH_VS_APK: return bh_vapk_compare(a, b, cmp, err);
	case BH_VS_RPM: return bh_vrpm_compare(a, b, cmp, err);
	case BH_VS_SEMVER: return bh_vsemver_compare(a, b, cmp, err);
	case BH_VS_PEP440: return bh_vpep440_compare(a, b, cmp, err);
	case BH_VS_GO: return bh_vgo_compare(a, b, cmp, err);
	case BH_VS_MAVEN: return bh_vmaven_compare(a, b, cmp, err);
	}
	return bh_error_set(err, BH_ERR_USAGE, "unknown version scheme %d", (int)s);
}

int bh_version_satisfies(enum bh_vscheme s, const char *spec, const char *v, bool *out,
			 struct bh_error **err)
{
	switch (s) {
	case BH_VS_SEMVER: return bh_vsemver_satisfies(spec, v, out, err);
	case BH_VS_PEP440: return bh_vpep440_satisfies(spec, v, out, err);
	case BH_VS_DPKG:
	case BH_VS_APK:
	case BH_VS_RPM:
	case BH_VS_GO:
	case BH_VS_MAVEN:
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "the %s version scheme has no range syntax (only semver and "
				    "pep440 do)",
				    bh_vscheme_name(s));
	}
	return bh_error_set(err, BH_ERR_USAGE, "unknown version scheme %d", (int)s);
}

/* ---- helpers for the scheme files --------------------------------------- */

/* A printable, bounded rendering of untrusted text for an error message. */
static void quote(const char *s, char *buf, size_t bufsz)
{
	size_t o = 0, i;
	const size_t max_in = 80;

	for (i = 0; s[i] && i < max_in && o + 5 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
			o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (s[i] && o + 4 < bufsz) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = 0;
}

int bh_vs_invalid(struct bh_error **err, const char *scheme, const char *v, const char *why)
{
	char q[400];

	quote(v ? v : "", q, sizeof(q));
	return bh_error_set(err, BH_ERR_INVALID, "invalid %s version '%s': %s", scheme, q, why);
}

int bh_vs_invalid_spec(struct bh_error **err, const char *scheme, const char *spec, const char *why)
{
	char q[400];

	quote(spec ? spec : "", q, sizeof(q));
	return bh_error_set(err, BH_ERR_INVALID, "invalid %s range '%s': %s", scheme, q, why);
}

int bh_vs_check_len(const char *scheme, const char *v, struct bh_error **err)
{
	if (!v)
		return bh_vs_invalid(err, scheme, "", "no version");
	if (strnlen(v, BH_VERSION_MAX_LEN + 1) > BH_VERSION_MAX_LEN)
		return bh_vs_invalid(err, scheme, v, "longer than 256 bytes");
	return 0;
}

int bh_vs_numcmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r;

	while (alen && *a == '0')
		a++, alen--;
	while (blen && *b == '0')
		b++, blen--;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	r = alen ? memcmp(a, b, alen) : 0;
	return r < 0 ? -1 : r > 0;
}

int bh_vs_bytecmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int r = n ? memcmp(a, b, n) : 0;

	if (r)
		return r < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}
