/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry client's parsers of untrusted strings: references against
 * distribution/reference's own test vectors (reference_test.go,
 * normalize_test.go), WWW-Authenticate challenges, Link headers, the
 * credential files docker and podman write, token answers, and what
 * a manifest is (its type against its content).
 */
#include "unit.h"

#include "bulkhead/registry.h"
#include "registry/internal.h"

#define FF64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

/* ---- distribution's Parse ------------------------------------------------ */

struct ref_case {
	const char *input;
	const char *err; /* a substring of the error, or NULL */
	const char *repository, *domain, *tag, *digest;
};

static char *repeat(const char *s, int n, const char *tail)
{
	struct bh_buf b = BH_BUF_INIT(1 << 20);

	for (int i = 0; i < n; i++)
		bh_buf_adds(&b, s, NULL);
	bh_buf_adds(&b, tail, NULL);
	return bh_buf_detach(&b, NULL);
}

static void check_ref(const struct ref_case *c)
{
	struct bh_registry_ref r;
	struct bh_error *err = NULL;
	int rc = bh_registry_ref_parse(c->input, 0, &r, &err);

	if (c->err) {
		char *m;

		if (rc == 0)
			fail_msg("'%s' parsed, expected an error '%s'", c->input, c->err);
		m = bh_error_message(err);
		if (!strstr(m, c->err))
			fail_msg("'%s': error '%s', expected '%s'", c->input, m, c->err);
		free(m);
		bh_error_free(err);
		return;
	}
	if (rc < 0) {
		char *m = bh_error_message(err);

		fail_msg("'%s' did not parse: %s", c->input, m);
	}
	{
		char *name = bh_registry_ref_name(&r), *str = bh_registry_ref_string(&r);

		if (strcmp(name, c->repository))
			fail_msg("'%s': repository '%s', expected '%s'", c->input, name,
				 c->repository);
		if (strcmp(r.domain ? r.domain : "", c->domain ? c->domain : ""))
			fail_msg("'%s': domain '%s', expected '%s'", c->input,
				 r.domain ? r.domain : "", c->domain ? c->domain : "");
		if (strcmp(r.tag ? r.tag : "", c->tag ? c->tag : ""))
			fail_msg("'%s': tag '%s', expected '%s'", c->input, r.tag ? r.tag : "",
				 c->tag ? c->tag : "");
		if (strcmp(r.digest.str, c->digest ? c->digest : ""))
			fail_msg("'%s': digest '%s', expected '%s'", c->input, r.digest.str,
				 c->digest ? c->digest : "");
		/* String() gives the input back */
		if (strcmp(str, c->input))
			fail_msg("'%s' prints as '%s'", c->input, str);
		free(name);
		free(str);
	}
	bh_registry_ref_release(&r);
}

/* reference_test.go, TestReferenceParse */
static void reference_parse_vectors(void **state)
{
	char *long_bad = repeat("a/", 128, "a:tag");
	char *long_ok = repeat("a/", 127, "a:tag-puts-this-over-max");
	char *long_ok_repo = repeat("a/", 127, "a");
	const struct ref_case cases[] = {
		{ "test_com", NULL, "test_com", NULL, NULL, NULL },
		{ "test.com:tag", NULL, "test.com", NULL, "tag", NULL },
		{ "test.com:5000", NULL, "test.com", NULL, "5000", NULL },
		{ "test.com/repo:tag", NULL, "test.com/repo", "test.com", "tag", NULL },
		{ "test:5000/repo", NULL, "test:5000/repo", "test:5000", NULL, NULL },
		{ "test:5000/repo:tag", NULL, "test:5000/repo", "test:5000", "tag", NULL },
		{ "test:5000/repo@sha256:" FF64, NULL, "test:5000/repo", "test:5000", NULL,
		  "sha256:" FF64 },
		{ "test:5000/repo:tag@sha256:" FF64, NULL, "test:5000/repo", "test:5000", "tag",
		  "sha256:" FF64 },
		{ "", "must have at least one component", NULL, NULL, NULL, NULL },
		{ ":justtag", "invalid reference format", NULL, NULL, NULL, NULL },
		{ "@sha256:" FF64, "invalid reference format", NULL, NULL, NULL, NULL },
		{ "repo@sha256:ffffffffffffffffffffffffffffffffff",
		  "invalid checksum digest length", NULL, NULL, NULL, NULL },
		{ "validname@invaliddigest:" FF64, "unsupported digest algorithm", NULL, NULL, NULL,
		  NULL },
		{ "Uppercase:tag", "must be lowercase", NULL, NULL, NULL, NULL },
		{ "test:5000/Uppercase/lowercase:tag", "must be lowercase", NULL, NULL, NULL,
		  NULL },
		{ "lowercase:Uppercase", NULL, "lowercase", NULL, "Uppercase", NULL },
		{ long_bad, "must not be longer than 255", NULL, NULL, NULL, NULL },
		{ long_ok, NULL, long_ok_repo, "a", "tag-puts-this-over-max", NULL },
		{ "aa/asdf$$^/aa", "invalid reference format", NULL, NULL, NULL, NULL },
		{ "sub-dom1.foo.com/bar/baz/quux", NULL, "sub-dom1.foo.com/bar/baz/quux",
		  "sub-dom1.foo.com", NULL, NULL },
		{ "sub-dom1.foo.com/bar/baz/quux:some-long-tag", NULL,
		  "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "some-long-tag", NULL },
		{ "b.gcr.io/test.example.com/my-app:test.example.com", NULL,
		  "b.gcr.io/test.example.com/my-app", "b.gcr.io", "test.example.com", NULL },
		{ "xn--n3h.com/myimage:xn--n3h.com", NULL, "xn--n3h.com/myimage", "xn--n3h.com",
		  "xn--n3h.com", NULL },
		{ "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" FF64 FF64, NULL,
		  "xn--7o8h.com/myimage", "xn--7o8h.com", "xn--7o8h.com", "sha512:" FF64 FF64 },
		{ "foo_bar.com:8080", NULL, "foo_bar.com", NULL, "8080", NULL },
		{ "foo/foo_bar.com:8080", NULL, "foo/foo_bar.com", "foo", "8080", NULL },
		{ "192.168.1.1", NULL, "192.168.1.1", NULL, NULL, NULL },
		{ "192.168.1.1:tag", NULL, "192.168.1.1", NULL, "tag", NULL },
		{ "192.168.1.1:5000", NULL, "192.168.1.1", NULL, "5000", NULL },
		{ "192.168.1.1/repo", NULL, "192.168.1.1/repo", "192.168.1.1", NULL, NULL },
		{ "192.168.1.1:5000/repo", NULL, "192.168.1.1:5000/repo", "192.168.1.1:5000", NULL,
		  NULL },
		{ "192.168.1.1:5000/repo:5050", NULL, "192.168.1.1:5000/repo", "192.168.1.1:5000",
		  "5050", NULL },
		{ "[2001:db8::1]", "invalid reference format", NULL, NULL, NULL, NULL },
		{ "[2001:db8::1]:5000", "invalid reference format", NULL, NULL, NULL, NULL },
		{ "[2001:db8::1]:tag", "invalid reference format", NULL, NULL, NULL, NULL },
		{ "[2001:db8::1]/repo", NULL, "[2001:db8::1]/repo", "[2001:db8::1]", NULL, NULL },
		{ "[2001:db8:1:2:3:4:5:6]/repo:tag", NULL, "[2001:db8:1:2:3:4:5:6]/repo",
		  "[2001:db8:1:2:3:4:5:6]", "tag", NULL },
		{ "[2001:db8::1]:5000/repo", NULL, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000",
		  NULL, NULL },
		{ "[2001:db8::1]:5000/repo:tag", NULL, "[2001:db8::1]:5000/repo",
		  "[2001:db8::1]:5000", "tag", NULL },
		{ "[2001:db8::1]:5000/repo@sha256:" FF64, NULL, "[2001:db8::1]:5000/repo",
		  "[2001:db8::1]:5000", NULL, "sha256:" FF64 },
		{ "[2001:db8::1]:5000/repo:tag@sha256:" FF64, NULL, "[2001:db8::1]:5000/repo",
		  "[2001:db8::1]:5000", "tag", "sha256:" FF64 },
		{ "[2001:db8::]:5000/repo", NULL, "[2001:db8::]:5000/repo", "[2001:db8::]:5000",
		  NULL, NULL },
		{ "[::1]:5000/repo", NULL, "[::1]:5000/repo", "[::1]:5000", NULL, NULL },
		{ "[fe80::1%eth0]:5000/repo", "invalid reference format", NULL, NULL, NULL, NULL },
		{ "[fe80::1%@invalidzone]:5000/repo", "invalid reference format", NULL, NULL, NULL,
		  NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_ref(&cases[i]);
	free(long_bad);
	free(long_ok);
	free(long_ok_repo);
}

/* reference_test.go, TestDomainAndPath and TestWithNameFailure */
static void reference_domain_and_path(void **state)
{
	static const char *const ok[][3] = {
		{ "test.com/foo", "test.com", "foo" },
		{ "test_com/foo", "", "test_com/foo" },
		{ "test:8080/foo", "test:8080", "foo" },
		{ "test.com:8080/foo", "test.com:8080", "foo" },
		{ "test-com:8080/foo", "test-com:8080", "foo" },
		{ "xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo" },
	};
	static const char *const bad[] = { "", ":justtag", "@sha256:" FF64, "aa/asdf$$^/aa" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct bh_registry_ref r;

		assert_int_equal(bh_registry_ref_parse(ok[i][0], 0, &r, NULL), 0);
		assert_string_equal(r.domain ? r.domain : "", ok[i][1]);
		assert_string_equal(r.path, ok[i][2]);
		bh_registry_ref_release(&r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bh_registry_ref r;

		assert_int_equal(bh_registry_ref_parse(bad[i], 0, &r, NULL), -1);
		assert_null(r.path);
	}
}

/* ---- docker's normalisation ------------------------------------------------ */

/* normalize_test.go, TestValidateReferenceName and TestValidateRemoteName */
static void normalized_valid_and_invalid(void **state)
{
	static const char *const valid[] = {
		"docker/docker",
		"library/debian",
		"debian",
		"docker.io/docker/docker",
		"docker.io/library/debian",
		"docker.io/debian",
		"index.docker.io/docker/docker",
		"index.docker.io/library/debian",
		"index.docker.io/debian",
		"127.0.0.1:5000/docker/docker",
		"127.0.0.1:5000/library/debian",
		"127.0.0.1:5000/debian",
		"192.168.0.1",
		"192.168.0.1:80",
		"192.168.0.1:8/debian",
		"192.168.0.2:25000/debian",
		"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
		"[fc00::1]:5000/docker",
		"[fc00::1]:5000/docker/docker",
		"[fc00:1:2:3:4:5:6:7]:5000/library/debian",
		"docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
		"Docker/docker",
		"DOCKER/docker",
		"docker-rules/docker",
		"docker---rules/docker",
		"doc/docker",
		"d/docker",
		"jess/t",
		"dock__er/docker",
	};
	static const char *const invalid[] = {
		"https://github.com/docker/docker",
		"docker/Docker",
		"-docker",
		"-docker/docker",
		"-docker.io/docker/docker",
		"docker///docker",
		"docker.io/docker/Docker",
		"docker.io/docker///docker",
		"[fc00::1]",
		"[fc00::1]:5000",
		"fc00::1:5000/debian",
		"[fe80::1%eth0]:5000/debian",
		"[2001:db8:3:4::192.0.2.33]:5000/debian",
		"1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
		"docker-/docker",
		"-docker-/docker",
		"____/____",
		"_docker/_docker",
		"dock..er/docker",
		"dock_.er/docker",
		"dock-.er/docker",
		"docker/",
		"this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_"
		"valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_"
		"namespace_"
		"because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_"
		"lenth_is_greater_than_255/docker",
	};

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		struct bh_registry_ref r;
		struct bh_error *err = NULL;

		if (bh_registry_ref_parse(valid[i], BH_REF_NORMALIZE, &r, &err) < 0) {
			char *m = bh_error_message(err);

			fail_msg("'%s' should be valid: %s", valid[i], m);
		}
		bh_registry_ref_release(&r);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		struct bh_registry_ref r;

		if (bh_registry_ref_parse(invalid[i], BH_REF_NORMALIZE, &r, NULL) == 0)
			fail_msg("'%s' should be invalid", invalid[i]);
	}
}

/* normalize_test.go, TestParseRepositoryInfo and TestNormalizedSplitHostname */
static void normalized_names(void **state)
{
	static const char *const cases[][3] = {
		/* input, domain, path */
		{ "fooo/bar", "docker.io", "fooo/bar" },
		{ "docker.io/fooo/bar", "docker.io", "fooo/bar" },
		{ "index.docker.io/fooo/bar", "docker.io", "fooo/bar" },
		{ "ubuntu", "docker.io", "library/ubuntu" },
		{ "docker.io/library/ubuntu", "docker.io", "library/ubuntu" },
		{ "library/ubuntu", "docker.io", "library/ubuntu" },
		{ "nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu" },
		{ "other/library", "docker.io", "other/library" },
		{ "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase" },
		{ "127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase" },
		{ "example.com/private/moonbase", "example.com", "private/moonbase" },
		{ "example.com:8000/privatebasee", "example.com:8000", "privatebasee" },
		{ "ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base" },
		{ "index.docker.io/library/ubuntu-12.04-base", "docker.io",
		  "library/ubuntu-12.04-base" },
		{ "docker.io/foo", "docker.io", "library/foo" },
		{ "library/foo/bar", "docker.io", "library/foo/bar" },
		{ "store/foo/bar", "docker.io", "store/foo/bar" },
		{ "Foo/bar", "Foo", "bar" },
		{ "FOO/bar", "FOO", "bar" },
		{ "test_com/foo", "docker.io", "test_com/foo" },
		{ "docker/migrator", "docker.io", "docker/migrator" },
		{ "test-com:8080/foo", "test-com:8080", "foo" },
		{ "xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo" },
		{ "localhost/foo", "localhost", "foo" },
		{ "localhost:5000/foo", "localhost:5000", "foo" },
		{ "docker://localhost:5000/foo", "localhost:5000", "foo" },
		{ "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "docker.io",
		  "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_registry_ref r;
		struct bh_error *err = NULL;

		if (bh_registry_ref_parse(cases[i][0], BH_REF_NORMALIZE, &r, &err) < 0) {
			char *m = bh_error_message(err);

			fail_msg("'%s': %s", cases[i][0], m);
		}
		if (strcmp(r.domain, cases[i][1]) || strcmp(r.path, cases[i][2]))
			fail_msg("'%s' → %s/%s, expected %s/%s", cases[i][0], r.domain, r.path,
				 cases[i][1], cases[i][2]);
		/* no tag and no digest: "latest" */
		assert_string_equal(r.tag, "latest");
		bh_registry_ref_release(&r);
	}
}

/* TestParseReferenceWithTagAndDigest; the string forms; what a request names */
static void normalized_tag_and_digest(void **state)
{
	struct bh_registry_ref r, c;
	char *s;

	assert_int_equal(bh_registry_ref_parse("busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f"
					       "3956bbeb2eae1b5b9a43045843f69fe4aaa",
					       BH_REF_NORMALIZE, &r, NULL),
			 0);
	s = bh_registry_ref_string(&r);
	assert_string_equal(s, "docker.io/library/busybox:latest@sha256:86e0e091d0da6bde2456dbb48"
			       "306f3956bbeb2eae1b5b9a43045843f69fe4aaa");
	free(s);
	/* the digest wins over the tag */
	assert_string_equal(bh_registry_ref_target(&r), r.digest.str);
	bh_registry_ref_copy(&r, &c);
	bh_registry_ref_release(&r);
	assert_string_equal(c.path, "library/busybox");
	s = bh_registry_ref_name(&c);
	assert_string_equal(s, "docker.io/library/busybox");
	free(s);
	bh_registry_ref_release(&c);
	/* a digest alone: no "latest" added */
	assert_int_equal(bh_registry_ref_parse("registry.example:5000/team/app@sha256:" FF64,
					       BH_REF_NORMALIZE, &r, NULL),
			 0);
	assert_null(r.tag);
	assert_string_equal(bh_registry_ref_target(&r), "sha256:" FF64);
	bh_registry_ref_release(&r);
	/* sha384 is a valid digest we cannot check: refused as unsupported */
	{
		struct bh_error *err = NULL;
		char *in = repeat("f", 96, "");
		char *full = bh_asprintf("a/b@sha384:%s", in);

		assert_int_equal(bh_registry_ref_parse(full, 0, &r, &err), -1);
		assert_error(err, BH_ERR_UNSUPPORTED, "sha384");
		bh_error_free(err);
		free(in);
		free(full);
	}
	/* upper-case hex is not a digest go-digest accepts */
	assert_int_equal(bh_registry_ref_parse("a/b@sha256:" FF64, 0, &r, NULL), 0);
	bh_registry_ref_release(&r);
	{
		struct bh_error *err = NULL;

		assert_int_equal(bh_registry_ref_parse(
					 "a/b@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
					 "FFFFFFFFFFFFFFFFFFFFFF",
					 0, &r, &err),
				 -1);
		assert_error(err, BH_ERR_INVALID, "digest format");
		bh_error_free(err);
	}
}

/* ---- WWW-Authenticate ------------------------------------------------------- */

static void challenges_parse(void **state)
{
	struct bh_registry_challenge *c;
	size_t n;
	const char *s;

	s = "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
	    "scope=\"repository:library/alpine:pull\"";
	assert_int_equal(bh_registry_challenges_parse(s, strlen(s), &c, &n, NULL), 1);
	assert_string_equal(c[0].scheme, "bearer");
	assert_string_equal(c[0].realm, "https://auth.docker.io/token");
	assert_string_equal(c[0].service, "registry.docker.io");
	assert_string_equal(c[0].scope, "repository:library/alpine:pull");
	assert_null(c[0].error);
	bh_registry_challenges_free(c, n);

	s = "Basic realm=\"basic-realm\"";
	assert_int_equal(bh_registry_challenges_parse(s, strlen(s), &c, &n, NULL), 1);
	assert_string_equal(c[0].scheme, "basic");
	assert_string_equal(c[0].realm, "basic-realm");
	bh_registry_challenges_free(c, n);

	/* two challenges, tokens and quoted strings with escapes, odd spacing */
	s = "Basic realm=\"a \\\"quoted\\\" realm\" , BEARER realm = \"https://t/x\" ,"
	    " error=invalid_token, scope=\"repository:a/b:pull,push repository:c:pull\"";
	assert_int_equal(bh_registry_challenges_parse(s, strlen(s), &c, &n, NULL), 2);
	assert_string_equal(c[0].realm, "a \"quoted\" realm");
	assert_string_equal(c[1].scheme, "bearer");
	assert_string_equal(c[1].realm, "https://t/x");
	assert_string_equal(c[1].error, "invalid_token");
	assert_string_equal(c[1].scope, "repository:a/b:pull,push repository:c:pull");
	bh_registry_challenges_free(c, n);

	/* a token68, and a scheme with no parameters */
	s = "Basic dXNlcjpwYXNz==, Negotiate, Bearer realm=\"r\"";
	assert_int_equal(bh_registry_challenges_parse(s, strlen(s), &c, &n, NULL), 3);
	assert_string_equal(c[1].scheme, "negotiate");
	assert_string_equal(c[2].realm, "r");
	bh_registry_challenges_free(c, n);
}

static void challenges_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"   ,  ",
		"Bearer realm=\"unterminated",
		"Bearer realm=\"ctl\x01\"",
		"Bearer service=\"x\", realm=",
		"Bearer realm=\"a\",realm=\"b\"",
		"Bearer realm=\"a\" service=\"b\"",
		"=x",
		"Bearer\x01",
		"Bearer realm=\"a\"\\",
		"Bearer ,,,= ",
	};
	struct bh_registry_challenge *c;
	struct bh_buf big = BH_BUF_INIT(1 << 20);
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bh_registry_challenges_parse(bad[i], strlen(bad[i]), &c, &n, NULL) >= 0)
			fail_msg("'%s' parsed as %zu challenges", bad[i], n);
	/* a NUL inside the value is a control character */
	assert_int_equal(bh_registry_challenges_parse("Bearer realm=\"a\0b\"", 18, &c, &n, NULL),
			 -1);
	/* limits: bytes, challenges, parameters */
	for (int i = 0; i < 9000; i++)
		bh_buf_addc(&big, 'a', NULL);
	assert_int_equal(bh_registry_challenges_parse(big.data, big.len, &c, &n, NULL), -1);
	bh_buf_reset(&big);
	for (int i = 0; i < 9; i++)
		bh_buf_addf(&big, NULL, "S%d realm=x, ", i);
	assert_int_equal(bh_registry_challenges_parse(big.data, big.len, &c, &n, NULL), -1);
	bh_buf_reset(&big);
	bh_buf_adds(&big, "Bearer ", NULL);
	for (int i = 0; i < 17; i++)
		bh_buf_addf(&big, NULL, "p%d=v, ", i);
	{
		struct bh_error *err = NULL;

		assert_int_equal(bh_registry_challenges_parse(big.data, big.len, &c, &n, &err), -1);
		assert_error(err, BH_ERR_LIMIT, "parameters");
		bh_error_free(err);
	}
	bh_buf_release(&big);
}

/* ---- Link ------------------------------------------------------------------- */

static void link_next(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "</v2/a/tags/list?last=b&n=2>; rel=\"next\"", "/v2/a/tags/list?last=b&n=2" },
		{ "<https://r/x>;rel=next", "https://r/x" },
		{ "<a>; rel=\"prev\", <b>; rel=\"next\"", "b" },
		{ "<a>; rel=\"prev next\"", "a" },
		{ "<a>; rel=\"prev\"", NULL },
		{ "<a; rel=next", NULL },
		{ "a; rel=next", NULL },
		{ "<a b>; rel=next", NULL },
		{ "<>; rel=next", NULL },
		{ "<a>; rel", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = bh_registry_link_next(cases[i].in, strlen(cases[i].in));

		if (!cases[i].want)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].want);
		free(got);
	}
}

/* ---- credential files --------------------------------------------------------- */

static int lookup(const char *json, const char *domain, const char *path,
		  struct bh_registry_cred *c)
{
	return bh_registry_auth_lookup(json, strlen(json), "config.json", domain, path, c, NULL);
}

static void auth_files(void **state)
{
	struct bh_registry_cred c;
	/* docker login writes the hub under its old URL */
	const char *docker = "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": "
			     "\"aHViOnNlY3JldA==\"}, \"127.0.0.1:5000\": {\"auth\": "
			     "\"bG9jYWw6cGFzczp3aXRoOmNvbG9ucw==\"}}}";
	/* podman: per-repository keys, the most specific wins */
	const char *podman = "{\"auths\": {\"reg.example\": {\"auth\": \"YTpi\"},"
			     "\"reg.example/team\": {\"auth\": \"dGVhbTp0ZWFt\"},"
			     "\"reg.example/team/app\": {\"auth\": \"YXBwOmFwcA==\"}}}";
	const char *helpers = "{\"auths\": {\"reg.example\": {}}, \"credsStore\": \"desktop\","
			      "\"credHelpers\": {\"gcr.io\": \"gcloud\"}}";

	assert_int_equal(lookup(docker, "docker.io", "library/alpine", &c), 1);
	assert_string_equal(c.username, "hub");
	assert_string_equal(c.secret, "secret");
	bh_registry_cred_release(&c);
	assert_int_equal(lookup(docker, "127.0.0.1:5000", "x", &c), 1);
	assert_string_equal(c.username, "local");
	assert_string_equal(c.secret, "pass:with:colons");
	bh_registry_cred_release(&c);
	assert_int_equal(lookup(docker, "127.0.0.1:5001", "x", &c), 0);
	assert_null(c.secret);

	assert_int_equal(lookup(podman, "reg.example", "team/app", &c), 1);
	assert_string_equal(c.username, "app");
	bh_registry_cred_release(&c);
	assert_int_equal(lookup(podman, "reg.example", "team/other", &c), 1);
	assert_string_equal(c.username, "team");
	bh_registry_cred_release(&c);
	assert_int_equal(lookup(podman, "reg.example", "solo", &c), 1);
	assert_string_equal(c.username, "a");
	bh_registry_cred_release(&c);

	assert_int_equal(lookup(helpers, "gcr.io", "p/x", &c), 1);
	assert_string_equal(c.helper, "gcloud");
	assert_null(c.secret);
	bh_registry_cred_release(&c);
	/* an empty entry (docker with a store) falls through to the store */
	assert_int_equal(lookup(helpers, "reg.example", "x", &c), 1);
	assert_string_equal(c.helper, "desktop");
	bh_registry_cred_release(&c);

	/* an identity token (OAuth2) wins over a password */
	assert_int_equal(lookup("{\"auths\":{\"r\":{\"auth\":\"YTpi\",\"identitytoken\":\"tok\"}}}",
				"r", NULL, &c),
			 1);
	assert_true(c.identity);
	assert_string_equal(c.secret, "tok");
	bh_registry_cred_release(&c);

	/* "auth" as people write it by hand: padding left out, a line end after it */
	assert_int_equal(lookup("{\"auths\":{\"r\":{\"auth\":\"dXNlcjpwYXNzMQ\"}}}", "r", NULL, &c),
			 1);
	assert_string_equal(c.username, "user");
	assert_string_equal(c.secret, "pass1");
	bh_registry_cred_release(&c);
	assert_int_equal(
		lookup("{\"auths\":{\"r\":{\"auth\":\"dXNlcjpwYXNzMQ==\\r\\n\"}}}", "r", NULL, &c),
		1);
	assert_string_equal(c.secret, "pass1");
	bh_registry_cred_release(&c);
}

static void auth_files_hostile(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"auths\": []}",
		"{\"auths\": {\"r\": \"x\"}}",
		"{\"auths\": {\"r\": {\"auth\": \"!!!\"}}}",
		"{\"auths\": {\"r\": {\"auth\": \"bm9jb2xvbg==\"}}}", /* "nocolon" */
		"{\"auths\": {\"r\": {\"auth\": \"YTpi\\u0000YTpi\"}}}",
		"{\"auths\": {\"r\": {\"auth\": \"YTpiY\"}}}", /* truncated */
		"{\"auths\": {\"r\": {\"auth\": \"YTpiYQ=\"}}}",
		"{\"credsStore\": \"../../bin/sh\"}",
		"{\"credHelpers\": {\"r\": \"a/b\"}}",
		"{\"auths\": {\"r\": {}}, \"auths\": {}}",
		"not json",
	};
	struct bh_registry_cred c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bh_error *err = NULL;
		char *m;

		if (lookup(bad[i], "r", NULL, &c) >= 0 &&
		    bh_registry_auth_lookup(bad[i], strlen(bad[i]), "f", "r", NULL, &c, &err) >= 0)
			fail_msg("'%s' was accepted", bad[i]);
		bh_registry_auth_lookup(bad[i], strlen(bad[i]), "f", "r", NULL, &c, &err);
		m = bh_error_message(err);
		/* the error names the file and never carries the secret */
		assert_non_null(strstr(m, "f"));
		bh_error_free(err);
		free(m);
		assert_null(c.secret);
	}
}

/* ---- token answers ------------------------------------------------------------- */

static void token_answers(void **state)
{
	char *t;
	int64_t exp, now = (int64_t)time(NULL);
	char buf[256], when[BH_TIME_MAX];
	struct timespec ts = { now - 100, 0 };

	assert_int_equal(
		reg_token_parse("{\"token\":\"abc\",\"expires_in\":300}", 32, &t, &exp, NULL), 0);
	assert_string_equal(t, "abc");
	assert_true(exp >= now + 299 && exp <= now + 302);
	free(t);
	/* access_token (OAuth2); a short life is raised to the spec's 60 s */
	assert_int_equal(
		reg_token_parse("{\"access_token\":\"x\",\"expires_in\":5}", 35, &t, &exp, NULL),
		0);
	assert_string_equal(t, "x");
	assert_true(exp >= now + 59);
	free(t);
	/* issued_at counts */
	snprintf(buf, sizeof(buf), "{\"token\":\"abc\",\"expires_in\":600,\"issued_at\":\"%s\"}",
		 bh_time_rfc3339(&ts, 0, when));
	assert_int_equal(reg_token_parse(buf, strlen(buf), &t, &exp, NULL), 0);
	assert_true(exp >= now + 499 && exp <= now + 501);
	free(t);
	assert_int_equal(reg_token_parse("{}", 2, &t, &exp, NULL), -1);
	assert_int_equal(reg_token_parse("{\"token\":\"a b\"}", 15, &t, &exp, NULL), -1);
	assert_int_equal(reg_token_parse("{\"token\":\"\"}", 12, &t, &exp, NULL), -1);
	assert_int_equal(reg_token_parse("[", 1, &t, &exp, NULL), -1);
}

/* ---- what a manifest is ------------------------------------------------------- */

static void manifest_types(void **state)
{
	const char *man = "{\"schemaVersion\":2,\"mediaType\":\"" BH_REGISTRY_MT_OCI_MANIFEST
			  "\",\"config\":{},\"layers\":[]}";
	const char *bare = "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}";
	const char *idx = "{\"schemaVersion\":2,\"manifests\":[]}";
	static const struct {
		const char *ctype, *body, *want, *err;
	} cases[] = {
		{ BH_REGISTRY_MT_OCI_MANIFEST, NULL, BH_REGISTRY_MT_OCI_MANIFEST, NULL },
		{ BH_REGISTRY_MT_OCI_MANIFEST "; charset=utf-8", NULL, BH_REGISTRY_MT_OCI_MANIFEST,
		  NULL },
		{ "application/json", NULL, BH_REGISTRY_MT_OCI_MANIFEST, NULL },
		{ NULL, NULL, BH_REGISTRY_MT_OCI_MANIFEST, NULL },
		/* the registry and the document disagree */
		{ BH_REGISTRY_MT_OCI_INDEX, NULL, NULL, "lies about its media type" },
		{ BH_REGISTRY_MT_DOCKER_MANIFEST, NULL, NULL, "lies about its media type" },
	};
	char *mt;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_error *err = NULL;
		int r = reg_manifest_check(cases[i].ctype, man, strlen(man), 1 << 20, "m", &mt,
					   &err);

		if (cases[i].want) {
			assert_int_equal(r, 0);
			assert_string_equal(mt, cases[i].want);
			free(mt);
		} else {
			assert_int_equal(r, -1);
			assert_error(err, BH_ERR_INVALID, cases[i].err);
			bh_error_free(err);
		}
	}
	/* no type anywhere: the shape says */
	assert_int_equal(reg_manifest_check(NULL, bare, strlen(bare), 1 << 20, "m", &mt, NULL), 0);
	assert_string_equal(mt, BH_REGISTRY_MT_OCI_MANIFEST);
	free(mt);
	assert_int_equal(reg_manifest_check(NULL, idx, strlen(idx), 1 << 20, "m", &mt, NULL), 0);
	assert_string_equal(mt, BH_REGISTRY_MT_OCI_INDEX);
	free(mt);
	/* typed as one thing, shaped as another */
	assert_int_equal(reg_manifest_check(BH_REGISTRY_MT_OCI_INDEX, bare, strlen(bare), 1 << 20,
					    "m", &mt, NULL),
			 -1);
	assert_int_equal(reg_manifest_check(BH_REGISTRY_MT_DOCKER_MANIFEST, idx, strlen(idx),
					    1 << 20, "m", &mt, NULL),
			 -1);
}

static void manifest_hostile(void **state)
{
	static const struct {
		const char *ctype, *body, *err;
		enum bh_errcode code;
	} cases[] = {
		{ "application/vnd.docker.distribution.manifest.v1+prettyjws", "{}", "schema 1",
		  BH_ERR_UNSUPPORTED },
		{ NULL, "{\"schemaVersion\":1}", "schemaVersion is 1", BH_ERR_UNSUPPORTED },
		{ NULL, "{\"schemaVersion\":2,\"mediaType\":\"\",\"manifests\":[]}",
		  "not a media type", BH_ERR_INVALID },
		{ NULL, "{\"schemaVersion\":2,\"mediaType\":7,\"manifests\":[]}",
		  "not a media type", BH_ERR_INVALID },
		{ NULL, "{\"schemaVersion\":2}", "neither an index nor a manifest",
		  BH_ERR_INVALID },
		{ NULL, "[2]", "not a JSON object", BH_ERR_INVALID },
		{ NULL, "{\"schemaVersion\":2,\"schemaVersion\":2}", "duplicate", BH_ERR_INVALID },
		{ BH_REGISTRY_MT_OCI_INDEX, "{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}",
		  "not an index", BH_ERR_INVALID },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_error *err = NULL;
		char *mt = NULL;

		if (reg_manifest_check(cases[i].ctype, cases[i].body, strlen(cases[i].body),
				       1 << 20, "m", &mt, &err) == 0)
			fail_msg("case %zu was accepted as %s", i, mt);
		assert_error(err, cases[i].code, cases[i].err);
		bh_error_free(err);
	}
	{
		/* over the limit */
		struct bh_error *err = NULL;
		char *mt;
		const char *b = "{\"schemaVersion\":2,\"manifests\":[]}";

		assert_int_equal(reg_manifest_check(NULL, b, strlen(b), 10, "m", &mt, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
		bh_error_free(err);
	}
}

/* ---- the library API against a live registry ------------------------------------- */

/*
 * Run only when BH_TEST_REGISTRY (host:port, with BH_TEST_CACERT and
 * BH_TEST_AUTHFILE) names a registry: tests/e2e/registry.test starts
 * docker-registry and runs this binary so. The calls the trust core makes:
 * blobs from memory (monolithic and in several chunks), blobs read back and
 * verified, manifests put by tag and by digest, HEAD, tags, referrers.
 */
static struct bh_registry *live_client(uint64_t mono, uint64_t chunk)
{
	struct bh_registry_opts o = { .cacert = getenv("BH_TEST_CACERT"),
				      .authfile = getenv("BH_TEST_AUTHFILE"),
				      .monolithic_max = mono,
				      .chunk_size = chunk };
	struct bh_registry *r = NULL;
	struct bh_error *err = NULL;

	if (bh_registry_new(&o, &r, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("%s", m);
	}
	return r;
}

static void live_ref(struct bh_registry_ref *ref, const char *repo_tag)
{
	char *s = bh_asprintf("%s/%s", getenv("BH_TEST_REGISTRY"), repo_tag);

	assert_int_equal(bh_registry_ref_parse(s, BH_REF_NORMALIZE, ref, NULL), 0);
	free(s);
}

#define LIVE_OK(call)                                                                              \
	do {                                                                                       \
		struct bh_error *e_ = NULL;                                                        \
		if ((call) < 0) {                                                                  \
			char *m_ = bh_error_message(e_);                                           \
			fail_msg("%s: %s", #call, m_);                                             \
		}                                                                                  \
	} while (0)

static void live_blobs(void **state)
{
	struct bh_registry *r = live_client(1024, 4096);
	struct bh_registry_ref repo;
	struct bh_buf back = BH_BUF_INIT(1 << 20);
	struct bh_digest d, d2;
	struct bh_error *err = NULL;
	char *data = bh_malloc(10000);
	int64_t size = -1;

	live_ref(&repo, "live/blobs:x");
	for (int i = 0; i < 10000; i++)
		data[i] = (char)(i * 7 + (int)time(NULL));
	/* 10000 bytes, over monolithic_max: three PATCH chunks, then the PUT */
	assert_int_equal(bh_registry_put_blob_buf(r, &repo, data, 10000, &d, &err),
			 BH_REGISTRY_PUT_UPLOADED);
	assert_int_equal(bh_registry_blob_exists(r, &repo, &d, &size, NULL), 1);
	assert_int_equal(size, 10000);
	/* again: the registry has it */
	assert_int_equal(bh_registry_put_blob_buf(r, &repo, data, 10000, &d2, NULL),
			 BH_REGISTRY_PUT_EXISTS);
	assert_int_equal(bh_registry_get_blob(r, &repo, &d, 10000, &back, NULL), 0);
	assert_int_equal(back.len, 10000);
	assert_memory_equal(back.data, data, 10000);
	/* small: one PUT */
	assert_int_equal(bh_registry_put_blob_buf(r, &repo, "tiny", 4, &d2, NULL),
			 BH_REGISTRY_PUT_UPLOADED);
	bh_buf_reset(&back);
	assert_int_equal(bh_registry_get_blob(r, &repo, &d2, 4, &back, NULL), 0);
	assert_string_equal(back.data, "tiny");
	/* read with the wrong expectations: a size mismatch, named */
	bh_buf_reset(&back);
	assert_int_equal(bh_registry_get_blob(r, &repo, &d2, 5, &back, &err), -1);
	assert_error(err, BH_ERR_DIGEST, "size mismatch");
	bh_error_clear(&err);
	/* streamed, verified: the digest checked at the end */
	{
		struct bh_registry_blob *b;
		char buf[3000];
		ssize_t k;
		size_t total = 0;

		assert_int_equal(bh_registry_blob_open(r, &repo, &d, 10000, 0, &b, NULL), 0);
		assert_int_equal(bh_registry_blob_size(b), 10000);
		while ((k = bh_registry_blob_read(b, buf, sizeof(buf), NULL)) > 0)
			total += (size_t)k;
		assert_int_equal(k, 0);
		assert_int_equal(total, 10000);
		bh_registry_blob_close(b);
	}
	/* a digest the registry does not have */
	{
		struct bh_digest none;

		bh_sha256("no such blob", 12, &none);
		assert_int_equal(bh_registry_blob_exists(r, &repo, &none, NULL, NULL), 0);
		bh_buf_reset(&back);
		assert_int_equal(bh_registry_get_blob(r, &repo, &none, -1, &back, &err), -1);
		assert_error(err, BH_ERR_NOTFOUND, "404");
		bh_error_clear(&err);
	}
	bh_buf_release(&back);
	bh_registry_ref_release(&repo);
	bh_registry_free(r);
	free(data);
}

static void live_manifests_and_referrers(void **state)
{
	struct bh_registry *r = live_client(0, 0);
	struct bh_registry_ref repo, byd;
	struct bh_registry_manifest m;
	struct bh_digest cfg, man, sig, got;
	char *mj, *sj, *ij, **tags = NULL;
	size_t ntags = 0;
	json_t *ix = NULL;
	bool api = true;
	int64_t size = -1;

	live_ref(&repo, "live/man:v1");
	LIVE_OK(bh_registry_put_blob_buf(r, &repo, "{}", 2, &cfg, &e_));
	mj = bh_asprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
			 "\"application/vnd.oci.empty.v1+json\",\"digest\":\"%s\",\"size\":2},"
			 "\"layers\":[]}",
			 BH_REGISTRY_MT_OCI_MANIFEST, cfg.str);
	/* by tag: the bytes as they are */
	LIVE_OK(bh_registry_put_manifest(r, &repo, "v1", BH_REGISTRY_MT_OCI_MANIFEST, mj,
					 strlen(mj), &man, &e_));
	assert_int_equal(bh_registry_head_manifest(r, &repo, &m, &size, NULL), 1);
	assert_string_equal(m.digest.str, man.str);
	assert_int_equal(size, (int64_t)strlen(mj));
	bh_registry_manifest_release(&m);
	LIVE_OK(bh_registry_get_manifest(r, &repo, NULL, &m, &e_));
	assert_string_equal(m.data, mj);
	assert_string_equal(m.media_type, BH_REGISTRY_MT_OCI_MANIFEST);
	bh_registry_manifest_release(&m);
	/* by digest */
	bh_registry_ref_copy(&repo, &byd);
	byd.digest = man;
	LIVE_OK(bh_registry_get_manifest(r, &byd, NULL, &m, &e_));
	assert_string_equal(m.digest.str, man.str);
	bh_registry_manifest_release(&m);
	/* a "signature" manifest put by digest, listed under the subject's tag */
	sj = bh_asprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"artifactType\":"
			 "\"application/vnd.example.sig\",\"config\":{\"mediaType\":"
			 "\"application/vnd.oci.empty.v1+json\",\"digest\":\"%s\",\"size\":2},"
			 "\"layers\":[],\"subject\":{\"mediaType\":\"%s\",\"digest\":\"%s\","
			 "\"size\":%zu}}",
			 BH_REGISTRY_MT_OCI_MANIFEST, cfg.str, BH_REGISTRY_MT_OCI_MANIFEST, man.str,
			 strlen(mj));
	LIVE_OK(bh_registry_put_manifest(r, &repo, NULL, BH_REGISTRY_MT_OCI_MANIFEST, sj,
					 strlen(sj), &sig, &e_));
	ij = bh_asprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[{"
			 "\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"artifactType\":"
			 "\"application/vnd.example.sig\"}]}",
			 BH_REGISTRY_MT_OCI_INDEX, BH_REGISTRY_MT_OCI_MANIFEST, sig.str,
			 strlen(sj));
	{
		char tag[80];

		snprintf(tag, sizeof(tag), "sha256-%s", bh_digest_hex(&man));
		LIVE_OK(bh_registry_put_manifest(r, &repo, tag, BH_REGISTRY_MT_OCI_INDEX, ij,
						 strlen(ij), &got, &e_));
	}
	LIVE_OK(bh_registry_referrers(r, &repo, &man, "application/vnd.example.sig", &ix, &api,
				      &e_));
	assert_false(api); /* distribution 2.8: the tag schema */
	assert_int_equal(json_array_size(json_object_get(ix, "manifests")), 1);
	assert_string_equal(
		bh_json_str(json_array_get(json_object_get(ix, "manifests"), 0), "digest"),
		sig.str);
	json_decref(ix);
	LIVE_OK(bh_registry_tags(r, &repo, &tags, &ntags, &e_));
	assert_int_equal(ntags, 2);
	bh_strv_free(tags);
	/* a digest target that is not the manifest's is refused before sending */
	{
		struct bh_error *err = NULL;

		assert_int_equal(bh_registry_put_manifest(r, &repo, cfg.str,
							  BH_REGISTRY_MT_OCI_MANIFEST, mj,
							  strlen(mj), NULL, &err),
				 -1);
		assert_error(err, BH_ERR_DIGEST, "digest is");
		bh_error_free(err);
	}
	free(mj);
	free(sj);
	free(ij);
	bh_registry_ref_release(&byd);
	bh_registry_ref_release(&repo);
	bh_registry_free(r);
}

int main(void)
{
	const struct CMUnitTest live[] = {
		cmocka_unit_test(live_blobs),
		cmocka_unit_test(live_manifests_and_referrers),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reference_parse_vectors),
		cmocka_unit_test(reference_domain_and_path),
		cmocka_unit_test(normalized_valid_and_invalid),
		cmocka_unit_test(normalized_names),
		cmocka_unit_test(normalized_tag_and_digest),
		cmocka_unit_test(challenges_parse),
		cmocka_unit_test(challenges_hostile),
		cmocka_unit_test(link_next),
		cmocka_unit_test(auth_files),
		cmocka_unit_test(auth_files_hostile),
		cmocka_unit_test(token_answers),
		cmocka_unit_test(manifest_types),
		cmocka_unit_test(manifest_hostile),
	};

	if (getenv("BH_TEST_REGISTRY"))
		return cmocka_run_group_tests(live, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
