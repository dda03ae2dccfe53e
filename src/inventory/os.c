/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OS detection. Recognises, in order of preference:
 *   etc/os-release, usr/lib/os-release   (os-release(5): KEY=value with shell
 *                                         quoting; ID, VERSION_ID,
 *                                         VERSION_CODENAME, PRETTY_NAME)
 *   etc/alpine-release                   ("3.19.4")
 *   etc/debian_version                   ("12.5", or "trixie/sid")
 *   etc/redhat-release                   ("Red Hat Enterprise Linux release 9.3 (Plow)")
 * and gives the OSV ecosystem of the OS packages: "Debian:12", "Ubuntu:22.04",
 * "Alpine:v3.19", "Red Hat:9", "Rocky Linux:9", "AlmaLinux:9", ...
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define MAX_OS_RELEASE (256 * 1024)

void bh_os_release(struct bh_os *os)
{
	if (!os)
		return;
	free(os->id);
	free(os->version_id);
	free(os->version_codename);
	free(os->pretty_name);
	free(os->ecosystem);
	free(os->source);
	memset(os, 0, sizeof(*os));
}

/* The value after '=' on one line, unquoted as a POSIX shell would (the
 * subset os-release(5) allows). NULL if malformed. */
static char *unquote(const char *p, size_t n)
{
	struct bh_buf b = BH_BUF_INIT(INV_MAX_VALUE);
	char q = 0;

	bh_buf_add(&b, "", 0, NULL);
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (q == '\'') {
			if (c == '\'')
				q = 0;
			else if (bh_buf_addc(&b, c, NULL) < 0)
				goto fail;
			continue;
		}
		if (c == '\\' && i + 1 < n) {
			c = p[++i];
			if (q == '"' && !strchr("\"\\$`", c) && bh_buf_addc(&b, '\\', NULL) < 0)
				goto fail;
			if (bh_buf_addc(&b, c, NULL) < 0)
				goto fail;
			continue;
		}
		if (q == '"') {
			if (c == '"')
				q = 0;
			else if (bh_buf_addc(&b, c, NULL) < 0)
				goto fail;
			continue;
		}
		if (c == '"' || c == '\'') {
			q = c;
			continue;
		}
		if (bh_isspace((unsigned char)c))
			break; /* an unquoted value ends at white space (a comment may follow) */
		if (bh_buf_addc(&b, c, NULL) < 0)
			goto fail;
	}
	if (q)
		goto fail;
	return bh_buf_detach(&b, NULL);
fail:
	bh_buf_release(&b);
	return NULL;
}

static void set(char **dst, char *v)
{
	free(*dst);
	*dst = v && *v ? v : NULL;
	if (!*dst)
		free(v);
}

int bh_inventory_parse_os_release(const char *buf, size_t len, const char *path, struct bh_os *os,
				  struct bh_error **err)
{
	const char *p = buf, *end = buf + len;
	bool any = false;

	if (len > MAX_OS_RELEASE)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: %zu bytes exceeds the limit of %d",
				    path, len, MAX_OS_RELEASE);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *eq, *k = p;
		size_t klen;

		p = nl ? nl + 1 : end;
		while (k < le && bh_isspace((unsigned char)*k))
			k++;
		if (k == le || *k == '#')
			continue;
		eq = memchr(k, '=', (size_t)(le - k));
		if (!eq)
			continue;
		klen = (size_t)(eq - k);
		{
			char **dst = NULL;
			char *v;

			if (klen == 2 && !memcmp(k, "ID", 2))
				dst = &os->id;
			else if (klen == 10 && !memcmp(k, "VERSION_ID", 10))
				dst = &os->version_id;
			else if (klen == 16 && !memcmp(k, "VERSION_CODENAME", 16))
				dst = &os->version_codename;
			else if (klen == 11 && !memcmp(k, "PRETTY_NAME", 11))
				dst = &os->pretty_name;
			if (!dst)
				continue;
			v = unquote(eq + 1, (size_t)(le - eq - 1));
			if (!v || !inv_value_ok(v, strlen(v))) {
				free(v);
				continue;
			}
			set(dst, v);
			any = true;
		}
	}
	if (!any || !os->id)
		return bh_error_set(err, BH_ERR_INVALID, "%s: no ID= line", path);
	for (char *c = os->id; *c; c++)
		*c = (char)bh_tolower((unsigned char)*c);
	set(&os->source, bh_asprintf("/%s", path[0] == '/' ? path + 1 : path));
	bh_os_set_ecosystem(os);
	return 0;
}

/* The first line of a small file, trimmed; NULL if empty or not text. */
static char *first_line(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n = nl ? (size_t)(nl - buf) : len;
	char *s = inv_strdup_trim(buf, n);

	if (s && !inv_value_ok(s, strlen(s))) {
		free(s);
		return NULL;
	}
	return s;
}

static const char *const debian_codenames[][2] = {
	{ "buzz", "1" },      { "rex", "1" },	  { "bo", "1" },      { "hamm", "2" },
	{ "slink", "2" },     { "potato", "2" },  { "woody", "3" },   { "sarge", "3" },
	{ "etch", "4" },      { "lenny", "5" },	  { "squeeze", "6" }, { "wheezy", "7" },
	{ "jessie", "8" },    { "stretch", "9" }, { "buster", "10" }, { "bullseye", "11" },
	{ "bookworm", "12" }, { "trixie", "13" }, { "forky", "14" },  { "duke", "15" },
};

int inv_parse_release_file(enum inv_os_file kind, const char *buf, size_t len, const char *path,
			   struct bh_os *os, struct bh_error **err)
{
	char *line;

	if (kind == INV_OS_RELEASE)
		return bh_inventory_parse_os_release(buf, len, path, os, err);
	if (len > MAX_OS_RELEASE)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: too large", path);
	line = first_line(buf, len);
	if (!line)
		return bh_error_set(err, BH_ERR_INVALID, "%s: empty", path);
	bh_os_release(os);
	switch (kind) {
	case INV_OS_ALPINE:
		os->id = bh_strdup("alpine");
		os->version_id = line;
		os->pretty_name = bh_asprintf("Alpine Linux v%s", line);
		break;
	case INV_OS_DEBIAN:
		os->id = bh_strdup("debian");
		if (bh_isdigit((unsigned char)line[0])) {
			size_t n = strspn(line, "0123456789");

			os->version_id = bh_strndup(line, n);
		} else {
			/* "trixie/sid": testing or unstable, named by codename */
			char *slash = strchr(line, '/');

			if (slash)
				*slash = 0;
			for (size_t i = 0;
			     i < sizeof(debian_codenames) / sizeof(debian_codenames[0]); i++)
				if (!strcmp(line, debian_codenames[i][0]))
					os->version_id = bh_strdup(debian_codenames[i][1]);
			os->version_codename = bh_strdup(line);
		}
		os->pretty_name = bh_asprintf("Debian GNU/Linux %s", line);
		free(line);
		break;
	case INV_OS_REDHAT: {
		/* "<Name> release <version> (<codename>)" */
		const char *rel = strstr(line, " release ");
		const char *lc;

		if (!rel) {
			free(line);
			return bh_error_set(err, BH_ERR_INVALID, "%s: no \"release\" in '%.100s'",
					    path, buf);
		}
		lc = line;
		if (bh_str_has_prefix(lc, "Red Hat"))
			os->id = bh_strdup("rhel");
		else if (bh_str_has_prefix(lc, "CentOS"))
			os->id = bh_strdup("centos");
		else if (bh_str_has_prefix(lc, "Rocky"))
			os->id = bh_strdup("rocky");
		else if (bh_str_has_prefix(lc, "AlmaLinux"))
			os->id = bh_strdup("almalinux");
		else if (bh_str_has_prefix(lc, "Fedora"))
			os->id = bh_strdup("fedora");
		else
			os->id = bh_strdup("rhel");
		rel += strlen(" release ");
		os->version_id = bh_strndup(rel, strspn(rel, "0123456789."));
		os->pretty_name = line;
		break;
	}
	default: free(line); return bh_error_set(err, BH_ERR_INTERNAL, "unknown release file");
	}
	os->source = bh_asprintf("/%s", path[0] == '/' ? path + 1 : path);
	bh_os_set_ecosystem(os);
	return 0;
}

/* The first n dot-separated components of v ("3.19.4", 2 -> "3.19"). */
static char *components(const char *v, int n)
{
	size_t i = 0;

	for (int c = 0; v[i]; i++)
		if (v[i] == '.' && ++c == n)
			break;
	return bh_strndup(v, i);
}

void bh_os_set_ecosystem(struct bh_os *os)
{
	static const struct {
		const char *id;
		const char *name;
		int parts; /* version components kept; 0 = the whole VERSION_ID, -1 = none */
		const char *prefix;
	} map[] = {
		{ "debian", "Debian", 1, "" },
		{ "ubuntu", "Ubuntu", 0, "" },
		{ "alpine", "Alpine", 2, "v" },
		{ "rhel", "Red Hat", 1, "" },
		{ "rocky", "Rocky Linux", 1, "" },
		{ "almalinux", "AlmaLinux", 1, "" },
		{ "centos", "CentOS", 1, "" },
		{ "ol", "Oracle Linux", 1, "" },
		{ "fedora", "Fedora", 1, "" },
		{ "amzn", "Amazon Linux", 0, "" },
		{ "opensuse-leap", "openSUSE", 0, "Leap " },
		{ "sles", "SUSE", 0, "Linux Enterprise Server " },
		{ "photon", "Photon OS", 0, "" },
		{ "mariner", "Mariner", 0, "" },
		{ "azurelinux", "Azure Linux", 0, "" },
		{ "wolfi", "Wolfi", -1, "" },
		{ "chainguard", "Chainguard", -1, "" },
	};

	free(os->ecosystem);
	os->ecosystem = NULL;
	if (!os->id)
		return;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		char *v;

		if (strcmp(os->id, map[i].id))
			continue;
		if (map[i].parts < 0) {
			os->ecosystem = bh_strdup(map[i].name);
			return;
		}
		if (!os->version_id || !bh_isdigit((unsigned char)os->version_id[0])) {
			/* Debian testing/unstable name only a codename */
			if (!strcmp(os->id, "debian") && os->version_codename)
				for (size_t j = 0;
				     j < sizeof(debian_codenames) / sizeof(debian_codenames[0]);
				     j++)
					if (!strcmp(os->version_codename, debian_codenames[j][0])) {
						os->ecosystem = bh_asprintf("Debian:%s",
									    debian_codenames[j][1]);
						return;
					}
			os->ecosystem = bh_strdup(map[i].name);
			return;
		}
		v = map[i].parts ? components(os->version_id, map[i].parts)
				 : bh_strdup(os->version_id);
		os->ecosystem = bh_asprintf("%s:%s%s", map[i].name, map[i].prefix, v);
		free(v);
		return;
	}
}

/* ---- the cataloger ---------------------------------------------------------- */

/* The release files, in order of preference. */
static const struct {
	const char *path;
	enum inv_os_file kind;
} release_files[] = {
	{ "etc/os-release", INV_OS_RELEASE },	 { "usr/lib/os-release", INV_OS_RELEASE },
	{ "etc/alpine-release", INV_OS_ALPINE }, { "etc/debian_version", INV_OS_DEBIAN },
	{ "etc/redhat-release", INV_OS_REDHAT },
};
#define NRELEASE (sizeof(release_files) / sizeof(release_files[0]))

unsigned inv_os_rank(const char *path)
{
	if (path[0] == '/')
		path++;
	for (unsigned i = 0; i < NRELEASE; i++)
		if (!strcmp(path, release_files[i].path))
			return i;
	return NRELEASE;
}

static bool os_match(const struct inv_path *p)
{
	return inv_os_rank(p->path) < NRELEASE;
}

static int os_parse(const struct inv_input *in, const char *buf, size_t len, struct inv_doc *d,
		    struct bh_error **err)
{
	unsigned r = inv_os_rank(in->path);

	if (r >= NRELEASE)
		return bh_error_set(err, BH_ERR_INTERNAL, "%s: not a release file", in->path);
	return inv_parse_release_file(release_files[r].kind, buf, len, in->path, &d->os, err);
}

const struct inv_cataloger inv_cat_os = {
	.name = "os-release",
	.flags = INV_CAT_RELEASE,
	.match = os_match,
	.parse = os_parse,
};
