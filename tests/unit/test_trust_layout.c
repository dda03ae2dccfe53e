/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signing, attesting and verifying an OCI layout by digest: a payload for
 * another digest refused, registry references, the verification cache.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/trust.h"
#include "trust/internal.h"

/* ---- signing and verifying an OCI layout --------------------------------- */

static void put(const char *dir, const char *data, struct bh_digest *d)
{
	char *path;

	bh_sha256(data, strlen(data), d);
	path = bh_asprintf("%s/blobs/sha256/%s", dir, bh_digest_hex(d));
	assert_int_equal(bh_write_file_atomic(path, data, strlen(data), 0644, NULL), 0);
	free(path);
}

/* A one-layer OCI layout (the layer is never read by open, sign or verify),
 * tagged `ref`; returns the manifest digest. */
static void make_layout(const char *dir, const char *variant, struct bh_digest *mdig)
{
	struct bh_digest cd, ld;
	char *p = bh_asprintf("%s/blobs/sha256", dir), *cfg, *man, *idx;
	size_t mlen;

	assert_int_equal(bh_mkdirs(p, 0755, 0755, NULL), 0);
	free(p);
	put(dir, variant, &ld);
	cfg = bh_asprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{"
			  "\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
			  ld.str);
	put(dir, cfg, &cd);
	man = bh_asprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+"
		"json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+"
		"json\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
		"\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
		cd.str, strlen(cfg), ld.str, strlen(variant));
	put(dir, man, mdig);
	mlen = strlen(man);
	idx = bh_asprintf(
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci."
		"image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{"
		"\"org.opencontainers.image.ref.name\":\"v1\"}}]}",
		mdig->str, mlen);
	p = bh_asprintf("%s/index.json", dir);
	assert_int_equal(bh_write_file_atomic(p, idx, strlen(idx), 0644, NULL), 0);
	free(p);
	p = bh_asprintf("%s/oci-layout", dir);
	assert_int_equal(
		bh_write_file_atomic(p, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, NULL), 0);
	free(p);
	free(cfg);
	free(man);
	free(idx);
}

static void verify(const char *image, const struct bh_key *const *keys, size_t n, unsigned min,
		   const char *identity, struct bh_verify_result *r)
{
	struct bh_verify_opts o = {
		.keys = keys, .nkeys = n, .min_signatures = min, .identity = identity
	};
	struct bh_error *err = NULL;

	if (bh_verify_image(image, NULL, &o, r, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("verify: %s", m);
	}
}

static void test_sign_verify_layout(void **state)
{
	char *dir = unit_mktmp(), *image = bh_asprintf("oci:%s", dir);
	struct bh_key *a = NULL, *b = NULL, *c = NULL;
	struct bh_sign_result res;
	struct bh_verify_result vr;
	struct bh_sign_opts so = { .identity = "registry.example/team/app" };
	struct bh_digest md;

	(void)state;
	make_layout(dir, "layer one", &md);
	assert_int_equal(bh_key_generate(&a, NULL), 0);
	assert_int_equal(bh_key_generate(&b, NULL), 0);
	assert_int_equal(bh_key_generate(&c, NULL), 0);
	const struct bh_key *ab[] = { a, b }, *only_c[] = { c };

	/* nothing signed yet: verified no, no entries */
	verify(image, ab, 2, 1, NULL, &vr);
	assert_false(vr.verified);
	assert_int_equal(vr.nsigs, 0);
	assert_string_equal(vr.digest.str, md.str);
	bh_verify_result_release(&vr);

	assert_int_equal(bh_sign_image(image, NULL, a, &so, &res, NULL), 0);
	assert_string_equal(res.digest.str, md.str);
	assert_int_equal(res.nlayers, 1);
	bh_sign_result_release(&res);
	/* signing again with the same key adds nothing */
	assert_int_equal(bh_sign_image(image, NULL, a, &so, &res, NULL), 0);
	assert_true(res.already);
	assert_int_equal(res.nlayers, 1);
	bh_sign_result_release(&res);

	verify(image, ab, 2, 1, NULL, &vr);
	assert_true(vr.verified);
	assert_int_equal(vr.nvalid, 1);
	bh_verify_result_release(&vr);
	/* a threshold of two keys is not met by one */
	verify(image, ab, 2, 2, NULL, &vr);
	assert_false(vr.verified);
	bh_verify_result_release(&vr);
	/* the second signer's layer is added, the first kept */
	assert_int_equal(bh_sign_image(image, NULL, b, &so, &res, NULL), 0);
	assert_int_equal(res.nlayers, 2);
	bh_sign_result_release(&res);
	verify(image, ab, 2, 2, NULL, &vr);
	assert_true(vr.verified);
	assert_int_equal(vr.nsigs, 2);
	bh_verify_result_release(&vr);
	/* identity */
	verify(image, ab, 2, 1, "registry.example/team/app", &vr);
	assert_true(vr.verified);
	bh_verify_result_release(&vr);
	verify(image, ab, 2, 1, "registry.example/team/other", &vr);
	assert_false(vr.verified);
	assert_non_null(strstr(vr.sigs[0].reason, "docker-reference"));
	bh_verify_result_release(&vr);
	/* another key: listed with its reason */
	verify(image, only_c, 1, 1, NULL, &vr);
	assert_false(vr.verified);
	assert_int_equal(vr.nsigs, 2);
	assert_non_null(strstr(vr.sigs[0].reason, "not by this key"));
	bh_verify_result_release(&vr);

	/* the tag now names another image: its digest has no signature */
	{
		struct bh_digest md2;
		char *dir2 = unit_mktmp(), *cmd;

		make_layout(dir2, "layer two", &md2);
		cmd = bh_asprintf(
			"cp %s/blobs/sha256/* %s/blobs/sha256/ && cp %s/index.json "
			"%s/index.json.new && python3 -c \"import json,sys;"
			"a=json.load(open('%s/index.json'));b=json.load(open('%s/index.json'));"
			"b['manifests'][0]=a['manifests'][0];"
			"json.dump(b,open('%s/index.json','w'))\"",
			dir2, dir, dir2, dir, dir2, dir, dir);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		verify(image, ab, 2, 1, NULL, &vr);
		assert_false(vr.verified);
		assert_string_equal(vr.digest.str, md2.str);
		assert_int_equal(vr.nsigs, 0);
		bh_verify_result_release(&vr);
		unit_rmtmp(dir2);
	}
	bh_key_free(a);
	bh_key_free(b);
	bh_key_free(c);
	free(image);
	unit_rmtmp(dir);
}

/* A .sig layer whose payload names another digest, properly signed. */
static void test_payload_for_another_digest(void **state)
{
	char *dir = unit_mktmp(), *image = bh_asprintf("oci:%s", dir);
	struct bh_key *k = NULL;
	struct trust_store *st = NULL;
	struct bh_buf payload = BH_BUF_INIT(4096), sig = BH_BUF_INIT(512), b64s = BH_BUF_INIT(1024);
	struct bh_buf man = BH_BUF_INIT(1 << 20), cfg = BH_BUF_INIT(1 << 20);
	struct trust_sigman sm = { 0 };
	struct trust_desc l = { .media_type = (char *)TRUST_MT_SIMPLESIGN };
	struct bh_digest md, other, d;
	struct bh_verify_result vr;
	char *tag;
	const struct bh_key *keys[1];

	(void)state;
	make_layout(dir, "layer", &md);
	bh_sha256("elsewhere", 9, &other);
	assert_int_equal(bh_key_generate(&k, NULL), 0);
	keys[0] = k;
	assert_int_equal(bh_simplesign_build("r", &other, NULL, &payload, NULL), 0);
	assert_int_equal(bh_key_sign(k, payload.data, payload.len, &sig, NULL), 0);
	assert_int_equal(bh_base64_encode(sig.data, sig.len, &b64s, NULL), 0);
	assert_int_equal(trust_store_oci(dir, &st, NULL), 0);
	assert_int_equal(st->ops->put_blob(st, payload.data, payload.len, &l.digest, NULL), 0);
	l.size = (int64_t)payload.len;
	l.annotations = json_pack("{s:s}", TRUST_ANN_SIGNATURE, b64s.data);
	trust_sigman_add(&sm, &l);
	assert_int_equal(trust_sigman_build(&sm, &man, &cfg, NULL), 0);
	assert_int_equal(st->ops->put_blob(st, cfg.data, cfg.len, &d, NULL), 0);
	tag = trust_tag(&md, ".sig");
	assert_int_equal(st->ops->put_manifest(st, tag, TRUST_MT_OCI_MANIFEST, NULL, man.data,
					       man.len, &d, NULL),
			 0);
	verify(image, keys, 1, 1, NULL, &vr);
	assert_false(vr.verified);
	assert_int_equal(vr.nsigs, 1);
	assert_non_null(strstr(vr.sigs[0].reason, "not this image's digest"));
	bh_verify_result_release(&vr);
	/* a signature manifest whose payload blob is damaged */
	{
		char *p = bh_asprintf("%s/blobs/sha256/%s", dir, bh_digest_hex(&l.digest));

		assert_int_equal(bh_write_file_atomic(p, "tampered", 8, 0644, NULL), 0);
		free(p);
		verify(image, keys, 1, 1, NULL, &vr);
		assert_false(vr.verified);
		assert_non_null(vr.sigs[0].reason);
		bh_verify_result_release(&vr);
	}
	free(tag);
	json_decref(l.annotations);
	trust_sigman_release(&sm);
	trust_store_free(st);
	bh_key_free(k);
	bh_buf_release(&payload);
	bh_buf_release(&sig);
	bh_buf_release(&b64s);
	bh_buf_release(&man);
	bh_buf_release(&cfg);
	free(image);
	unit_rmtmp(dir);
}

static void test_attest_layout(void **state)
{
	char *dir = unit_mktmp(), *image = bh_asprintf("oci:%s", dir);
	struct bh_key *k = NULL;
	struct bh_sign_result res;
	struct bh_verify_result vr;
	struct bh_sign_opts so = { .bundle = true };
	struct bh_verify_opts o = { 0 };
	struct bh_digest md;
	json_t *pred = json_pack("{s:s}", "bomFormat", "CycloneDX");
	const struct bh_key *keys[1];

	(void)state;
	make_layout(dir, "layer", &md);
	assert_int_equal(bh_key_generate(&k, NULL), 0);
	keys[0] = k;
	assert_int_equal(
		bh_attest_image(image, NULL, k, &so, BH_PREDICATE_CYCLONEDX, pred, &res, NULL), 0);
	assert_non_null(res.bundle);
	assert_true(bh_str_has_suffix(res.tag, ".att"));
	bh_sign_result_release(&res);
	o.keys = keys;
	o.nkeys = 1;
	o.attestation = true;
	o.predicate_type = BH_PREDICATE_CYCLONEDX;
	assert_int_equal(bh_verify_image(image, NULL, &o, &vr, NULL), 0);
	assert_true(vr.verified);
	assert_int_equal(vr.nsigs, 2); /* the .att layer and the bundle referrer */
	bh_verify_result_release(&vr);
	o.predicate_type = BH_PREDICATE_VULN;
	assert_int_equal(bh_verify_image(image, NULL, &o, &vr, NULL), 0);
	assert_false(vr.verified);
	assert_int_equal(vr.nsigs, 0);
	bh_verify_result_release(&vr);
	/* an attestation is not a signature */
	o.attestation = false;
	o.predicate_type = NULL;
	assert_int_equal(bh_verify_image(image, NULL, &o, &vr, NULL), 0);
	assert_false(vr.verified);
	assert_int_equal(vr.nsigs, 0);
	bh_verify_result_release(&vr);
	json_decref(pred);
	bh_key_free(k);
	free(image);
	unit_rmtmp(dir);
}

/* A registry reference goes to the registry (here: one that is not there),
 * never to a file of that name; an engine's image keeps no signatures. */
static void test_registry_ref(void **state)
{
	struct bh_key *k = NULL;
	struct bh_sign_result res;
	struct bh_error *err = NULL;
	struct bh_registry_opts ro = { .timeout = 2 };
	struct bh_image_open_opts oo = { .registry = &ro };

	(void)state;
	assert_true(trust_is_registry_ref("registry.example:5000/team/app:1.2"));
	assert_true(trust_is_registry_ref("docker://alpine"));
	assert_false(trust_is_registry_ref("oci:/nonexistent"));
	assert_false(trust_is_registry_ref("docker-daemon:alpine:3"));
	assert_false(trust_is_registry_ref("containers-storage:alpine"));
	assert_int_equal(bh_key_generate(&k, NULL), 0);
	assert_true(bh_sign_image("127.0.0.1:1/team/app:1.2", &oo, k, NULL, &res, &err) < 0);
	assert_non_null(err);
	{
		char *m = bh_error_message(err);

		assert_non_null(strstr(m, "signing 127.0.0.1:1/team/app:1.2"));
		assert_non_null(strstr(m, "127.0.0.1:1"));
		free(m);
	}
	bh_error_clear(&err);
	bh_key_free(k);
}

/* The verification cache: what its key covers, what a hit gives back, and
 * what it refuses (expired, another key, others' files, damage). */
static void test_vcache(void **state)
{
	struct bh_key *a = NULL, *b = NULL;
	const struct bh_key *ab[2], *ba[2], *only_a[1];
	struct bh_verify_opts o = { 0 }, p;
	struct bh_verify_result r = { 0 }, got;
	struct bh_digest d, d2;
	char k1[65], k2[65], *dir = unit_mktmp(), *cache = bh_asprintf("%s/c", dir), *path;
	char *bundles[] = { "x.json", NULL };
	struct stat st;

	(void)state;
	assert_int_equal(bh_key_generate(&a, NULL), 0);
	assert_int_equal(bh_key_generate(&b, NULL), 0);
	ab[0] = a, ab[1] = b, ba[0] = b, ba[1] = a, only_a[0] = a;
	bh_sha256("one", 3, &d);
	bh_sha256("two", 3, &d2);
	o.keys = ab;
	o.nkeys = 2;
	o.min_signatures = 2;
	assert_true(trust_vcache_key("r.example/app", &d, &o, k1));
	assert_int_equal(strlen(k1), 64);
	/* the keys' order does not matter */
	p = o;
	p.keys = ba;
	assert_true(trust_vcache_key("r.example/app", &d, &p, k2));
	assert_string_equal(k1, k2);
	/* everything else does */
	assert_true(trust_vcache_key("r.example/other", &d, &o, k2));
	assert_string_not_equal(k1, k2);
	assert_true(trust_vcache_key("r.example/app", &d2, &o, k2));
	assert_string_not_equal(k1, k2);
	p = o;
	p.keys = only_a;
	p.nkeys = 1;
	p.min_signatures = 1;
	assert_true(trust_vcache_key("r.example/app", &d, &p, k2));
	assert_string_not_equal(k1, k2);
	p = o;
	p.min_signatures = 1;
	assert_true(trust_vcache_key("r.example/app", &d, &p, k2));
	assert_string_not_equal(k1, k2);
	p = o;
	p.identity = "";
	assert_true(trust_vcache_key("r.example/app", &d, &p, k2));
	assert_string_not_equal(k1, k2); /* an empty identity is not none */
	p = o;
	p.attestation = true;
	assert_true(trust_vcache_key("r.example/app", &d, &p, k2));
	assert_string_not_equal(k1, k2);
	p.predicate_type = BH_PREDICATE_VULN;
	assert_true(trust_vcache_key("r.example/app", &d, &p, k1) && strcmp(k1, k2));
	assert_true(trust_vcache_key("r.example/app", &d, &o, k1));
	p = o;
	p.bundle_paths = bundles;
	assert_false(trust_vcache_key("r.example/app", &d, &p, k2));

	/* a verified result comes back whole, marked cached */
	r.digest = d;
	r.image_name = bh_strdup("r.example/app");
	r.sigs = bh_calloc(1, sizeof(*r.sigs));
	r.nsigs = 1;
	r.sigs[0].where = bh_strdup("sha256-x.sig layer 1");
	r.sigs[0].ok = true;
	r.sigs[0].key_id = bh_strdup(bh_key_id(a));
	r.sigs[0].docker_reference = bh_strdup("r.example/app");
	r.nvalid = 2;
	r.verified = true;
	r.checked_at = 1000;
	assert_int_equal(trust_vcache_get(cache, k1, 1000, &got), 0); /* nothing yet */
	trust_vcache_put(cache, k1, "r.example/app", 1000, 60, &r);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	path = bh_asprintf("%s/%s", cache, k1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(trust_vcache_get(cache, k1, 1030, &got), 1);
	assert_true(got.verified && got.cached);
	assert_string_equal(got.digest.str, d.str);
	assert_int_equal(got.nvalid, 2);
	assert_int_equal(got.checked_at, 1000);
	assert_int_equal(got.nsigs, 1);
	assert_string_equal(got.sigs[0].key_id, bh_key_id(a));
	assert_string_equal(got.sigs[0].where, "sha256-x.sig layer 1");
	bh_verify_result_release(&got);
	/* expired; written in the future; under another key's name; others may write it */
	assert_int_equal(trust_vcache_get(cache, k1, 1060, &got), 0);
	assert_int_equal(trust_vcache_get(cache, k1, 900, &got), 0);
	{
		char *other = bh_asprintf("%s/%s", cache, k2);

		assert_int_equal(link(path, other), 0);
		assert_int_equal(trust_vcache_get(cache, k2, 1030, &got), 0);
		free(other);
	}
	assert_int_equal(chmod(path, 0622), 0);
	assert_int_equal(trust_vcache_get(cache, k1, 1030, &got), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(bh_write_file_atomic(path, "{\"version\":1,", 13, 0600, NULL), 0);
	assert_int_equal(trust_vcache_get(cache, k1, 1030, &got), 0);
	/* a "no" is never kept */
	r.verified = false;
	trust_vcache_put(cache, k2, "r.example/app", 1000, 60, &r);
	unlink(path);
	trust_vcache_put(cache, k1, "r.example/app", 1000, 60, &r);
	assert_int_equal(trust_vcache_get(cache, k1, 1030, &got), 0);
	free(path);
	bh_verify_result_release(&r);
	bh_key_free(a);
	bh_key_free(b);
	free(cache);
	unit_rmtmp(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify_layout),
		cmocka_unit_test(test_payload_for_another_digest),
		cmocka_unit_test(test_attest_layout),
		cmocka_unit_test(test_registry_ref),
		cmocka_unit_test(test_vcache),
	};

	return cmocka_run_group_tests_name("trust layouts", tests, NULL, NULL);
}
