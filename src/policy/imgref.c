/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image references as docker, podman and Kubernetes name them, normalised
 * as distribution's reference.ParseNormalizedNamed does: a first component
 * that has no '.' or ':' and is not "localhost" is a path on docker.io,
 * and a one-component path there is under "library/". So "nginx:1.25" is
 * docker.io/library/nginx:1.25 and rules can name registries and
 * repositories unambiguously.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "banned.h"

void pol_imgref_release(struct pol_imgref *r)
{
	free(r->domain);
	free(r->path);
	free(r->name);
	free(r->tag);
	free(r->digest);
	free(r->full);
	memset(r, 0, sizeof(*r));
}

static bool path_component_ok(const char *s, size_t n)
{
	if (!n || !bh_isalnum(s[0]) || !bh_isalnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(bh_islower(s[i]) || bh_isdigit(s[i]) || s[i] == '.' || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

static bool domain_ok(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(bh_isalnum(s[i]) || s[i] == '.' || s[i] == '-' || s[i] == ':' ||
		      s[i] == '[' || s[i] == ']'))
			return false;
	return true;
}

static bool tag_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 128 || !(bh_isalnum(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(bh_isalnum(s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

/* An upper-case first component is a domain too (distribution's rule). */
static bool has_upper(const char *s, const char *end)
{
	for (; s < end; s++)
		if (bh_isupper(*s))
			return true;
	return false;
}

int pol_imgref_parse(const char *ref, struct pol_imgref *out, char **why)
{
	char *s = bh_strdup(ref), *at, *name, *slash, *colon;
	struct bh_digest d;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (!*s || strlen(s) > 4096) {
		*why = bh_strdup(*s ? "longer than 4096 characters" : "empty");
		goto bad;
	}
	at = strchr(s, '@');
	if (at) {
		*at = 0;
		if (bh_digest_parse(at + 1, &d, NULL) < 0) {
			*why = bh_asprintf("'%s' is not a digest", at + 1);
			goto bad;
		}
		out->digest = bh_strdup(d.str);
	}
	name = s;
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = 0;
		if (!tag_ok(colon + 1)) {
			*why = bh_asprintf("'%s' is not a tag", colon + 1);
			goto bad;
		}
		out->tag = bh_strdup(colon + 1);
	}
	slash = strchr(name, '/');
	if (slash && (memchr(name, '.', (size_t)(slash - name)) ||
		      memchr(name, ':', (size_t)(slash - name)) ||
		      ((size_t)(slash - name) == 9 && !strncmp(name, "localhost", 9)) ||
		      has_upper(name, slash))) {
		out->domain = bh_strndup(name, (size_t)(slash - name));
		out->path = bh_strdup(slash + 1);
		if (!domain_ok(out->domain, strlen(out->domain))) {
			*why = bh_asprintf("'%s' is not a registry", out->domain);
			goto bad;
		}
		if (!strcmp(out->domain, "index.docker.io")) {
			free(out->domain);
			out->domain = bh_strdup("docker.io");
		}
	} else {
		out->domain = bh_strdup("docker.io");
		out->path = slash ? bh_strdup(name) : bh_asprintf("library/%s", name);
	}
	if (!strcmp(out->domain, "docker.io") && !strchr(out->path, '/')) {
		char *p = bh_asprintf("library/%s", out->path);

		free(out->path);
		out->path = p;
	}
	for (const char *c = out->path; *c;) {
		size_t n = strcspn(c, "/");

		if (!path_component_ok(c, n)) {
			*why = bh_asprintf("'%.*s' is not a repository name component", (int)n, c);
			goto bad;
		}
		c += n;
		if (*c == '/')
			c++;
	}
	out->name = bh_asprintf("%s/%s", out->domain, out->path);
	if (strlen(out->name) > 255) {
		*why = bh_strdup("a repository name longer than 255 characters");
		goto bad;
	}
	out->full = bh_asprintf("%s%s%s%s%s", out->name, out->tag || !out->digest ? ":" : "",
				out->tag ? out->tag : (out->digest ? "" : "latest"),
				out->digest ? "@" : "", out->digest ? out->digest : "");
	free(s);
	return 0;
bad:
	free(s);
	pol_imgref_release(out);
	return -1;
}
