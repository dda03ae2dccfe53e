/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy at create (NIST SP 800-190 4.4.3, 4.4.5, 4.1.5): before any
 * state of the container exists, rt_policy_admit reads the policy (the
 * operator's --policy files, else policy.d), evaluates the bundle's
 * config.json with the image it was made from, and refuses the container
 * when an enforce rule fires.
 *
 * The image: what the caller knows (`run IMAGE`), else what the engine
 * says, in this order (the first that names an image wins):
 *   - annotations: CRI-O (io.kubernetes.cri-o.ImageName / ImageRef),
 *     containerd's CRI plugin (io.kubernetes.cri.image-name / image-ref),
 *     org.opencontainers.image.ref.name (bh_policy_image_from_annotations);
 *   - podman (4.3 puts no image in the config): the bundle is
 *     <graphroot>/<driver>-containers/<ID>/userdata, and containers-storage's
 *     containers.json beside it has the container's image name and ID, its
 *     images.json the image's manifest digest;
 *   - dockerd (20.10 puts no image in the config): the container's
 *     /etc/hostname is bind-mounted from <data-root>/containers/<ID>/hostname,
 *     and config.v2.json there has the image as the user named it and its
 *     ID; <data-root>/image/<driver>/repositories.json the digests it was
 *     pulled by.
 * Those records are read only when they belong to root (or us) and nobody
 * else can write them. No image found: the image rules say they cannot tell.
 *
 * Signatures are checked by bh_verify_image on the registry by digest
 * ("repo@sha256:..."), exactly what runs, with the trust core's verification
 * cache in <root>/.policy@vcache; a check that cannot be made (no registry,
 * no network) counts as not verified, with the reason in the message.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/policy.h"
#include "bulkhead/trust.h"
#include "internal.h"
#include "banned.h"

#define VCACHE_DIR   ".policy@vcache"
#define RECORD_MAX   (64u << 20) /* containers.json, repositories.json, ... */
#define POLICY_FILES 1024
#define UNNAMED	     "(unnamed)" /* the image of a container whose engine names none */

/* ---- the policy files ---------------------------------------------------------- */

static bool is_policy_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && ((len > 5 && !strcmp(n + len - 5, ".yaml")) ||
			       (len > 4 && !strcmp(n + len - 4, ".yml")));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files to read: the operator's, else policy.d's in name order (none: 0). */
static int policy_files(const struct bh_rt_ctx *ctx, struct bh_strvec *out, struct bh_error **err)
{
	const char *dir = ctx->policy_dir ? ctx->policy_dir : BH_RT_POLICY_DIR;
	struct dirent *e;
	DIR *d;

	if (ctx->policy_files) {
		for (size_t i = 0; ctx->policy_files[i]; i++)
			bh_strvec_push(out, ctx->policy_files[i]);
		return 0;
	}
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return bh_error_sys(err, errno, "the policy directory %s", dir);
	}
	while ((e = readdir(d))) {
		if (!is_policy_name(e->d_name))
			continue;
		if (out->n >= POLICY_FILES) {
			closedir(d);
			return bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d policy files", dir,
					    POLICY_FILES);
		}
		bh_strvec_pushf(out, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

/* Read and compile; a problem is BH_ERR_INVALID naming FILE:LINE:COLUMN. */
static int load_policy(const struct bh_strvec *files, struct bh_policy **out, struct bh_error **err)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_policy_diags d = { 0 };
	struct bh_buf msg = BH_BUF_INIT(64 * 1024);
	struct bh_error *e = NULL;
	bool bad = false;

	/* keys parsed only for a verification the cache cannot answer */
	bh_policy_set_flags(p, BH_POLICY_DEFER_KEYS);
	for (size_t i = 0; i < files->n; i++) {
		if (bh_policy_add_file(p, files->v[i], &d, &e) < 0)
			bad = true;
		bh_error_clear(&e);
	}
	if (!bad && bh_policy_compile(p, &d, &e) < 0)
		bad = true;
	bh_error_clear(&e);
	if (!bad) {
		bh_policy_diags_release(&d);
		*out = p;
		return 0;
	}
	for (size_t i = 0; i < d.n; i++) {
		const struct bh_policy_diag *g = &d.v[i];

		if (i)
			bh_buf_adds(&msg, "; ", NULL);
		if (g->line)
			bh_buf_addf(&msg, NULL, "%s:%zu:%zu: %s", g->file, g->line, g->column,
				    g->message);
		else
			bh_buf_addf(&msg, NULL, "%s: %s", g->file, g->message);
	}
	bh_error_set(err, BH_ERR_INVALID, "policy: %s", msg.data ? msg.data : "invalid");
	bh_buf_release(&msg);
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	return -1;
}

/* ---- the image the engine names ---------------------------------------------------- */

struct found_image {
	struct bh_policy_image img;
	char *ref, *digest; /* owned copies behind img */
	const char *source; /* "annotations", "podman", "dockerd", "caller" */
	/* podman: every manifest digest its record of the image has (one image
	 * ID, the same content, pulled or loaded under several manifests) */
	struct bh_strvec also;
};

static void found_set(struct found_image *f, const char *ref, const char *digest,
		      const char *source)
{
	f->ref = bh_strdup(ref);
	f->digest = digest && bh_str_has_prefix(digest, "sha256:") &&
				    bh_digest_parse(digest, &(struct bh_digest){ 0 }, NULL) == 0
			    ? bh_strdup(digest)
			    : NULL;
	f->img.ref = f->ref;
	f->img.digest = f->digest;
	f->source = source;
}

static void also_add(struct found_image *f, const char *d)
{
	if (!bh_str_has_prefix(d, "sha256:") || (f->digest && !strcmp(d, f->digest)))
		return;
	for (size_t i = 0; i < f->also.n; i++)
		if (!strcmp(f->also.v[i], d))
			return;
	bh_strvec_push(&f->also, d);
}

/* A record of the engine: a regular file of root's (or ours) that nobody else may write. */
static int read_record(const char *path, json_t **out)
{
	struct bh_buf b = BH_BUF_INIT(RECORD_MAX);
	struct stat st;
	int r = -1;

	*out = NULL;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022)) {
		bh_debug("policy: %s: not a record of the engine's", path);
		return -1;
	}
	if (bh_read_file(path, &b, NULL) == 0 &&
	    bh_json_parse(b.data ? b.data : "", b.len, b.max, path, out, NULL) == 0)
		r = 0;
	bh_buf_release(&b);
	return r;
}

static char *dir_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s != path ? bh_strndup(path, (size_t)(s - path)) : NULL;
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* podman: <graphroot>/<driver>-containers/<id>/userdata, containers-storage's records. */
static int podman_image(const char *id, const char *bundle, struct found_image *f)
{
	char *cdir = NULL, *store = NULL, *path = NULL, *driver = NULL;
	const char *name = NULL, *image_id = NULL, *k;
	json_t *cts = NULL, *meta = NULL, *imgs = NULL, *v;
	size_t i, n;
	int r = 0;

	if (strcmp(base_of(bundle), "userdata") || !(cdir = dir_of(bundle)) ||
	    strcmp(base_of(cdir), id) || !(store = dir_of(cdir)))
		goto out;
	k = base_of(store);
	n = strlen(k);
	if (n <= 11 || strcmp(k + n - 11, "-containers"))
		goto out;
	driver = bh_strndup(k, n - 11);
	path = bh_asprintf("%s/containers.json", store);
	if (read_record(path, &cts) < 0)
		goto out;
	json_array_foreach (cts, i, v) {
		const char *m = bh_json_str(v, "metadata");

		if (!bh_json_str(v, "id") || strcmp(bh_json_str(v, "id"), id))
			continue;
		image_id = bh_json_str(v, "image");
		if (m && bh_json_parse(m, strlen(m), 1 << 20, "metadata", &meta, NULL) == 0)
			name = bh_json_str(meta, "image-name");
		break;
	}
	if (!name)
		goto out;
	free(path);
	{
		char *graph = dir_of(store);

		path = bh_asprintf("%s/%s-images/images.json", graph ? graph : "", driver);
		free(graph);
	}
	if (image_id && read_record(path, &imgs) == 0) {
		json_array_foreach (imgs, i, v) {
			if (bh_json_str(v, "id") && !strcmp(bh_json_str(v, "id"), image_id)) {
				const json_t *d;
				size_t j;

				found_set(f, name, bh_json_str(v, "digest"), "podman");
				const char *bk;

				json_array_foreach (bh_json_arr(v, "digests"), j, d)
					if (json_is_string(d))
						also_add(f, json_string_value(d));
				/* each manifest it was pulled by: "manifest-sha256:<hex>" */
				json_object_foreach (bh_json_obj(v, "big-data-digests"), bk, d)
					if (bh_str_has_prefix(bk, "manifest-sha256:"))
						also_add(f, bk + 9);
				r = 1;
				goto out;
			}
		}
	}
	found_set(f, name, NULL, "podman");
	r = 1;
out:
	json_decref(cts);
	json_decref(meta);
	json_decref(imgs);
	free(cdir);
	free(store);
	free(path);
	free(driver);
	return r;
}

/* The repository of a reference: "host:5000/a/b:tag@sha256:..." -> "host:5000/a/b". */
static char *repo_of(const char *ref)
{
	const char *at = strchr(ref, '@'), *slash, *colon;
	size_t n = at ? (size_t)(at - ref) : strlen(ref);

	slash = memrchr(ref, '/', n);
	colon = memrchr(slash ? slash : ref, ':', n - (size_t)((slash ? slash : ref) - ref));
	if (colon)
		n = (size_t)(colon - ref);
	return bh_strndup(ref, n);
}

/* dockerd: /etc/hostname from <data-root>/containers/<id>/hostname, config.v2.json beside it. */
static int docker_image(const char *id, const struct bh_rt_spec *s, struct found_image *f)
{
	char *cdir = NULL, *path = NULL, *droot = NULL, *want = NULL, *digest = NULL;
	const char *name, *image_id, *driver, *repo, *ref;
	json_t *cfg = NULL, *repos = NULL, *refs, *v;
	int r = 0;

	for (size_t i = 0; i < s->nmounts && !cdir; i++) {
		const struct bh_rt_mount *m = &s->mounts[i];
		char *d, *dd;

		if (!m->source || strcmp(m->destination, "/etc/hostname") ||
		    strcmp(base_of(m->source), "hostname"))
			continue;
		d = dir_of(m->source);
		dd = d ? dir_of(d) : NULL;
		if (d && dd && !strcmp(base_of(d), id) && !strcmp(base_of(dd), "containers"))
			cdir = bh_strdup(d);
		free(d);
		free(dd);
	}
	if (!cdir)
		return 0;
	path = bh_asprintf("%s/config.v2.json", cdir);
	if (read_record(path, &cfg) < 0)
		goto out;
	name = bh_json_str(bh_json_obj(cfg, "Config"), "Image");
	image_id = bh_json_str(cfg, "Image");
	driver = bh_json_str(cfg, "Driver");
	if (!name || !image_id)
		goto out;
	{
		char *up = dir_of(cdir);

		droot = up ? dir_of(up) : NULL;
		free(up);
	}
	free(path);
	path = driver && droot && !strchr(driver, '/')
		       ? bh_asprintf("%s/image/%s/repositories.json", droot, driver)
		       : NULL;
	/* the digest the image was pulled by, in the repository the user named */
	want = repo_of(name);
	if (path && read_record(path, &repos) == 0) {
		json_object_foreach (bh_json_obj(repos, "Repositories"), repo, refs) {
			json_object_foreach (refs, ref, v) {
				const char *at = strchr(ref, '@');

				if (!at || !json_is_string(v) ||
				    strcmp(json_string_value(v), image_id))
					continue;
				if (!digest || !strcmp(repo, want)) {
					free(digest);
					digest = bh_strdup(at + 1);
				}
			}
		}
	}
	found_set(f, name, digest, "dockerd");
	r = 1;
out:
	json_decref(cfg);
	json_decref(repos);
	free(cdir);
	free(path);
	free(droot);
	free(want);
	free(digest);
	return r;
}

static void find_image(const char *id, const char *bundle, const json_t *config,
		       const struct bh_rt_spec *s, const struct bh_policy_image *given,
		       struct found_image *f)
{
	struct bh_policy_image a;

	if (given) {
		f->img = *given;
		f->source = "caller";
	} else if (bh_policy_image_from_annotations(config, &a) > 0) {
		found_set(f, a.ref, a.digest, "annotations");
	} else if (!podman_image(id, bundle, f)) {
		docker_image(id, s, f);
	}
}

/* A pod's sandbox container, as containerd's CRI plugin and CRI-O mark it. */
static bool cri_sandbox(const json_t *config)
{
	const json_t *a = bh_json_obj(config, "annotations");
	const char *t = bh_json_str(a, "io.kubernetes.cri.container-type");

	if (!t)
		t = bh_json_str(a, "io.kubernetes.cri-o.ContainerType");
	return t && !strcmp(t, "sandbox");
}

/* ---- the env: signatures through the trust core, cached by digest ------------------- */

struct rt_env {
	const struct bh_rt_ctx *ctx;
	char *vcache;		 /* the verification cache directory, or NULL */
	struct found_image *img; /* the image found, its other digests */
	char *verified_digest;	 /* the digest a signature rule verified */
};

/*
 * The runtime's own cache of verified answers, so that a create whose image
 * was verified a moment ago asks no registry and loads no crypto library
 * (the keys are compared as the bytes the policy has, never parsed). The
 * rules are the trust core's (bh_verify_opts.cache_dir): only "verified"
 * is kept, for BH_VCACHE_TTL seconds, by digest (never by tag), in a
 * directory private to us; an entry holds its inputs whole and must match
 * them byte for byte (the file name, a 64-bit FNV-1a of them, only finds
 * it); an entry not ours, writable by others, damaged or expired is ignored.
 */
#define VC_MAGIC     "bulkhead policy vcache 1\n"
#define VC_ENTRY_MAX (512u * 1024)

static bool vc_inputs(const char *repo, const char *digest, const struct bh_policy_verify_req *req,
		      struct bh_buf *b)
{
	if (!digest || !req->key_pems)
		return false;
	bh_buf_addf(b, NULL, VC_MAGIC "%s\n%s\n%u\n%s\n%zu\n", repo, digest, req->threshold,
		    req->predicate_type ? req->predicate_type : "-", req->nkeys);
	for (size_t i = 0; i < req->nkeys; i++)
		if (bh_buf_addf(b, NULL, "%zu\n%s\n", strlen(req->key_pems[i]), req->key_pems[i]) <
		    0)
			return false;
	return true;
}

static char *vc_path(const char *dir, const struct bh_buf *in)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < in->len; i++)
		h = (h ^ (unsigned char)in->data[i]) * 0x100000001b3ull;
	return bh_asprintf("%s/%016llx", dir, (unsigned long long)h);
}

static bool vc_get(const char *dir, const struct bh_buf *in)
{
	struct bh_buf b = BH_BUF_INIT(VC_ENTRY_MAX);
	char *path = vc_path(dir, in), *nl;
	struct stat st;
	bool hit = false;
	uint64_t exp;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) || bh_read_file(path, &b, NULL) < 0 || !b.data)
		goto out;
	nl = memchr(b.data, '\n', b.len);
	if (!nl)
		goto out;
	*nl = '\0';
	if (bh_parse_u64(b.data, &exp, NULL) < 0 || (int64_t)exp <= (int64_t)time(NULL))
		goto out;
	hit = b.len - (size_t)(nl + 1 - b.data) == in->len && !memcmp(nl + 1, in->data, in->len);
out:
	if (!hit)
		bh_debug("policy: no cached verification in %s", path);
	free(path);
	bh_buf_release(&b);
	return hit;
}

static void vc_put(const char *dir, const struct bh_buf *in)
{
	struct bh_buf b = BH_BUF_INIT(VC_ENTRY_MAX);
	char *path = vc_path(dir, in);
	struct bh_error *e = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	/* at most BH_VCACHE_MAX entries: past that, start over */
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d && n >= BH_VCACHE_MAX) {
		rewinddir(d);
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	if (bh_buf_addf(&b, NULL, "%lld\n", (long long)time(NULL) + BH_VCACHE_TTL) == 0 &&
	    bh_buf_add(&b, in->data, in->len, NULL) == 0 &&
	    bh_write_file_atomic(path, b.data, b.len, 0600, &e) < 0) {
		char *m = bh_error_message(e);

		bh_debug("policy: the verification cache: %s", m);
		free(m);
	}
	bh_error_free(e);
	free(path);
	bh_buf_release(&b);
}

static int verify_one(struct rt_env *env, const struct bh_policy_image *img,
		      const struct bh_policy_verify_req *req, bool *verified, char **why);

/* Each digest the engine has for the image, until one verifies. */
static int env_verify(void *ctx, const struct bh_policy_image *img,
		      const struct bh_policy_verify_req *req, bool *verified, char **why,
		      struct bh_error **err)
{
	struct rt_env *env = ctx;
	struct bh_policy_image alt = *img;
	char *w = NULL;

	(void)err;
	if (verify_one(env, img, req, verified, why) < 0 || *verified)
		return 0;
	for (size_t i = 0; env->img && i < env->img->also.n && !*verified; i++) {
		alt.digest = env->img->also.v[i];
		if (verify_one(env, &alt, req, verified, &w) == 0 && *verified) {
			free(*why);
			*why = NULL;
		}
		free(w);
		w = NULL;
	}
	return 0;
}

static int verify_one(struct rt_env *env, const struct bh_policy_image *img,
		      const struct bh_policy_verify_req *req, bool *verified, char **why)
{
	struct bh_verify_opts o = { 0 };
	struct bh_verify_result r = { 0 };
	struct bh_buf in = BH_BUF_INIT(VC_ENTRY_MAX);
	struct bh_error *e = NULL;
	char *target, *repo;
	bool cached;

	*verified = false;
	if (!strcmp(img->ref, UNNAMED)) {
		*why = bh_strdup("the engine names no image (no annotation, no podman or dockerd "
				 "record of the container)");
		return 0;
	}
	o.keys = req->keys;
	o.nkeys = req->nkeys;
	o.min_signatures = req->threshold;
	o.attestation = req->predicate_type != NULL;
	o.predicate_type = req->predicate_type;
	if (img->open_ref) {
		target = bh_strdup(img->open_ref);
	} else if (img->digest) {
		/* exactly what runs: the repository at the digest, wherever the tag points now */
		repo = repo_of(img->ref);
		target = bh_asprintf("docker://%s@%s", repo, img->digest);
		free(repo);
	} else {
		target = bh_asprintf("docker://%s", img->ref);
	}
	/* a registry image by digest: a verified answer of a moment ago serves */
	repo = img->open_ref ? NULL : repo_of(img->ref);
	cached = env->vcache && repo && vc_inputs(repo, img->digest, req, &in);
	if (cached && vc_get(env->vcache, &in)) {
		*verified = true;
	} else if (!o.keys && req->load_keys && req->load_keys(req, &o.keys, &e) < 0) {
		char *m = bh_error_message(e);

		*why = bh_asprintf("its keys: %s", m);
		free(m);
		bh_error_free(e);
	} else if (bh_verify_image(target, NULL, &o, &r, &e) < 0) {
		/* fail closed: a check that cannot be made is not a verified image */
		char *m = bh_error_message(e);

		*why = bh_asprintf("cannot be checked: %s", m);
		free(m);
		bh_error_free(e);
	} else if (!(*verified = r.verified)) {
		*why = r.nsigs ? bh_asprintf("%zu of %u valid", r.nvalid,
					     req->threshold ? req->threshold : 1)
			       : bh_asprintf("no %s found at %s",
					     req->predicate_type ? "attestations" : "signatures",
					     target);
	} else if (r.verified && cached)
		vc_put(env->vcache, &in);
	if (*verified && img->digest && !env->verified_digest)
		env->verified_digest = bh_strdup(img->digest);
	free(target);
	free(repo);
	bh_buf_release(&in);
	bh_verify_result_release(&r);
	return 0;
}

static char *vcache_dir(const struct bh_rt_ctx *ctx)
{
	char *d = bh_asprintf("%s/" VCACHE_DIR, rt_state_root(ctx));
	struct stat st;

	if (mkdir(d, 0700) < 0 && errno != EEXIST) {
		free(d);
		return NULL;
	}
	if (lstat(d, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		bh_debug("policy: %s is not private to this user: no verification cache", d);
		free(d);
		return NULL;
	}
	return d;
}

/* admit17: the decision into <root>/admission@log (include/bulkhead/runtime.h), for
 * the node agent; a log that cannot be written never changes the decision */
static void log_decision(const struct bh_rt_ctx *ctx, const char *id, const json_t *config,
			 const struct bh_policy_result *res, const struct found_image *f,
			 const char *digest, const struct bh_error *failed)
{
	json_t *e = rt_admit_entry(id, config, res, f->img.ref, digest, failed);
	struct bh_error *le = NULL;

	if (!e || bh_rt_admit_log_append(rt_state_root(ctx), e, 0, &le) < 0)
		bh_error_warn(&le, "policy: the admission log");
	json_decref(e);
}

/* ---- the decision -------------------------------------------------------------------- */

int rt_policy_admit(const struct bh_rt_ctx *ctx, const char *id, const char *bundle,
		    const struct bh_buf *raw, const struct bh_rt_spec *spec,
		    const struct bh_policy_image *given, struct bh_policy_result *out,
		    json_t **record, struct bh_error **err)
{
	struct bh_strvec files = BH_STRVEC_INIT;
	struct bh_policy *p = NULL;
	struct bh_policy_result res = { 0 };
	struct found_image f = { 0 };
	struct rt_env env = { ctx, NULL, &f, NULL };
	struct bh_policy_env penv = { &env, env_verify, NULL, 0 };
	struct bh_policy_input in = { 0 };
	json_t *config = NULL, *rec;
	struct timespec t0, t1;
	bool decided = false;
	int r = -1;

	*record = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (policy_files(ctx, &files, err) < 0)
		goto out;
	if (!files.n) {
		r = 0; /* no policy: nothing to evaluate */
		goto out;
	}
	if (load_policy(&files, &p, err) < 0)
		goto out;
	if (bh_json_parse(raw->data ? raw->data : "", raw->len, raw->max, "config.json", &config,
			  err) < 0)
		goto out;
	find_image(id, bundle, config, spec, given, &f);
	in.kind = BH_POLICY_OCI;
	in.oci_config = config;
	if (f.img.ref) {
		in.images = &f.img;
		in.nimages = 1;
	}
	if (bh_policy_needs(p) & BH_POLICY_NEEDS_VERIFY) {
		env.vcache = vcache_dir(ctx);
		/* fail closed: an image nobody names cannot be shown to be signed;
		 * except a pod's sandbox (CRI's pause container: the node's own image,
		 * which containerd and CRI-O name in no annotation) */
		if (!f.img.ref && !cri_sandbox(config)) {
			f.img.ref = UNNAMED;
			in.images = &f.img;
			in.nimages = 1;
		}
	}
	in.env = &penv;
	if (bh_policy_eval(p, &in, &res, err) < 0) {
		bh_error_prefix(err, "policy");
		goto out;
	}
	rec = bh_policy_result_json(&res);
	json_object_set_new(rec, "files", json_array());
	for (size_t i = 0; i < files.n; i++)
		json_array_append_new(json_object_get(rec, "files"), json_string(files.v[i]));
	if (f.source)
		json_object_set_new(
			rec, "imageFound",
			json_pack("{s:s, s:s?, s:s}", "ref", f.img.ref, "digest",
				  env.verified_digest ? env.verified_digest : f.img.digest, "from",
				  f.source));
	decided = true;
	if (res.denied) {
		struct bh_buf b = BH_BUF_INIT(64 * 1024);

		for (size_t i = 0; i < res.n; i++)
			if (res.v[i].action == BH_ACT_ENFORCE)
				bh_buf_addf(&b, NULL, "%s%s: %s", b.len ? "; " : "", res.v[i].rule,
					    res.v[i].message);
		bh_error_set(err, BH_ERR_UNSAFE, "refused by policy: %s",
			     b.data ? b.data : "an enforce rule fired");
		bh_buf_release(&b);
		json_decref(rec);
		goto out;
	}
	*record = rec;
	r = 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	bh_debug("policy: %zu file%s, %zu rule%s, %zu hit%s, decided in %lld µs", files.n,
		 files.n == 1 ? "" : "s", bh_policy_nrules(p), bh_policy_nrules(p) == 1 ? "" : "s",
		 res.n, res.n == 1 ? "" : "s",
		 (long long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
out:
	if (files.n)
		log_decision(ctx, id, config, decided ? &res : NULL, &f,
			     env.verified_digest ? env.verified_digest : f.img.digest,
			     decided || !err ? NULL : *err);
	if (out && (res.object || res.n)) {
		*out = res;
		memset(&res, 0, sizeof(res));
	}
	bh_policy_result_release(&res);
	bh_policy_free(p);
	json_decref(config);
	free(f.ref);
	free(f.digest);
	free(env.vcache);
	free(env.verified_digest);
	bh_strvec_release(&f.also);
	bh_strvec_release(&files);
	return r;
}
