/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Package URLs (purl-spec: pkg:type/namespace/name@version?qualifiers).
 *
 * Encoding follows the purl specification: every character other than
 * ASCII letters, digits and ".-_~" is percent-encoded in the namespace
 * segments, the name, the version and qualifier values (":" is left as it
 * is, as the specification allows), so "5.2.15-2+b13" becomes
 * "5.2.15-2%2Bb13" and "@types" "%40types".
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

static int enc(struct bh_buf *b, const char *s, bool keep_colon)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (bh_isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~' ||
		    (keep_colon && c == ':')) {
			if (bh_buf_addc(b, (char)c, NULL) < 0)
				return -1;
		} else if (bh_buf_addf(b, NULL, "%%%c%c", hex[c >> 4], hex[c & 15]) < 0) {
			return -1;
		}
	}
	return 0;
}

char *inv_purl(const char *type, const char *ns, const char *name, const char *version,
	       const char *const *quals)
{
	struct bh_buf b = BH_BUF_INIT(64 * 1024);
	bool first = true;

	if (bh_buf_addf(&b, NULL, "pkg:%s/", type) < 0)
		goto fail;
	if (ns && *ns) {
		const char *seg = ns;

		while (*seg) {
			const char *slash = strchr(seg, '/');
			size_t n = slash ? (size_t)(slash - seg) : strlen(seg);

			if (n) {
				char *part = bh_strndup(seg, n);
				int r = enc(&b, part, false);

				free(part);
				if (r < 0 || bh_buf_addc(&b, '/', NULL) < 0)
					goto fail;
			}
			seg += n + (slash ? 1 : 0);
		}
	}
	if (enc(&b, name, false) < 0)
		goto fail;
	if (version && *version && (bh_buf_addc(&b, '@', NULL) < 0 || enc(&b, version, true) < 0))
		goto fail;
	for (size_t i = 0; quals && quals[i]; i += 2) {
		if (!quals[i + 1] || !*quals[i + 1])
			continue;
		if (bh_buf_addf(&b, NULL, "%c%s=", first ? '?' : '&', quals[i]) < 0 ||
		    enc(&b, quals[i + 1], true) < 0)
			goto fail;
		first = false;
	}
	return bh_buf_detach(&b, NULL);
fail:
	bh_buf_release(&b);
	return bh_strdup("pkg:generic/invalid");
}

const char *inv_purl_distro_ns(const char *os_id, enum bh_pkg_type t)
{
	static const struct {
		const char *id, *ns;
	} map[] = {
		{ "debian", "debian" },
		{ "ubuntu", "ubuntu" },
		{ "alpine", "alpine" },
		{ "rhel", "redhat" },
		{ "centos", "centos" },
		{ "fedora", "fedora" },
		{ "rocky", "rocky" },
		{ "almalinux", "almalinux" },
		{ "ol", "oracle" },
		{ "amzn", "amazon" },
		{ "opensuse-leap", "opensuse" },
		{ "sles", "suse" },
		{ "photon", "photon" },
		{ "mariner", "mariner" },
		{ "azurelinux", "azurelinux" },
		{ "wolfi", "wolfi" },
		{ "chainguard", "chainguard" },
		{ "kali", "kali" },
		{ "raspbian", "raspbian" },
		{ "linuxmint", "linuxmint" },
	};

	for (size_t i = 0; os_id && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].id, os_id))
			return map[i].ns;
	if (os_id && *os_id)
		return os_id;
	switch (t) {
	case BH_PKG_DPKG: return "debian";
	case BH_PKG_APK: return "alpine";
	default: return NULL;
	}
}

char *inv_os_purl(const struct bh_package *pkg, const struct bh_os *os)
{
	const char *type = bh_pkg_purl_type(pkg->type);
	const char *ns = inv_purl_distro_ns(os ? os->id : NULL, pkg->type);
	const char *version = pkg->version, *colon;
	char *epoch = NULL, *distro = NULL, *upstream = NULL, *purl;
	bool same_name = !pkg->source_name || !strcmp(pkg->source_name, pkg->name);
	bool same_version = !pkg->source_version || !strcmp(pkg->source_version, pkg->version);

	/* an epoch ("1:2.38.1-5") is the epoch qualifier, as Trivy writes it */
	colon = version ? strchr(version, ':') : NULL;
	if (colon && colon > version &&
	    strspn(version, "0123456789") == (size_t)(colon - version)) {
		epoch = bh_strndup(version, (size_t)(colon - version));
		version = colon + 1;
	}
	if (os && os->id && os->version_id)
		distro = pkg->type == BH_PKG_APK ? bh_strdup(os->version_id)
						 : bh_asprintf("%s-%s", os->id, os->version_id);
	if (!same_name || !same_version)
		upstream = same_version || !pkg->source_version
				   ? bh_strdup(pkg->source_name ? pkg->source_name : pkg->name)
				   : bh_asprintf("%s@%s",
						 pkg->source_name ? pkg->source_name : pkg->name,
						 pkg->source_version);
	{
		const char *quals[] = { "arch", pkg->arch,  "distro", distro, "epoch",
					epoch,	"upstream", upstream, NULL };

		purl = inv_purl(type, ns, pkg->name, version, quals);
	}
	free(epoch);
	free(distro);
	free(upstream);
	return purl;
}
