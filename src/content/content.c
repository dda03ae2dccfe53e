/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The content consumer: one pass over every layer's files feeds the secret
 * and malware scanners and keeps the few small files the configuration
 * checks read. Per layer (each on its own thread) it holds a vectorscan
 * scratch and streams, a YARA scanner, a PCRE2 match block and a buffer for
 * the file being read; what it finds goes into that layer's hit list, which
 * bh_content_finish (finish.c) follows across the layers.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bulkhead/content.h"
#include "internal.h"
#include "banned.h"

#define LIT_BASE	  0x100000u
#define MAX_CANDS	  (1u << 16)
#define MAX_HITS_PER_FILE 100
#define BINARY_PROBE	  8000

bool content_skipped(const struct bh_content *c, const char *id)
{
	for (size_t i = 0; i < c->nskip; i++) {
		const char *s = c->skip[i];
		size_t n = strlen(s);

		if (n && s[n - 1] == '*' ? !strncmp(id, s, n - 1) : !strcmp(id, s))
			return true;
	}
	return false;
}

/* ---- vectorscan --------------------------------------------------------------- */

/*
 * The vectorscan databases: with `streams`, those the walk scans files with
 * (built on the first layer that is read: a scan whose layers all come from
 * the layer cache never needs them); else the one for the image config's
 * values. The prototype scratch grows to serve every database built.
 */
static int build_dbs(struct bh_content *c, bool streams, struct bh_error **err)
{
	size_t np = content_secret_npatterns(), nl = 0, k = 0;
	const struct literal *lits = NULL;
	const char **res;
	unsigned *flags, *ids;
	int rc = -1;

	if (c->mal)
		content_malware_literals(c->mal, &lits, &nl);
	res = bh_calloc(np + nl + 1, sizeof(*res));
	flags = bh_calloc(np + nl + 1, sizeof(*flags));
	ids = bh_calloc(np + nl + 1, sizeof(*ids));
	if (!streams) {
		/* Values in the image config, scanned whole. */
		if (c->o.config) {
			for (size_t i = 0; i < np; i++, k++) {
				const struct content_secret_pattern *p = content_secret_pattern(i);

				res[k] = p->re;
				flags[k] = p->flags;
				ids[k] = (unsigned)i;
			}
			if (content_compile_db(c->hs_dir, res, flags, ids, k, HS_MODE_BLOCK,
					       &c->db_values, err) < 0)
				goto out;
		}
		if (c->db_values && hs_alloc_scratch(c->db_values, &c->proto) != HS_SUCCESS)
			goto nomem;
		rc = 0;
		goto out;
	}
	c->lit_set = bh_calloc(nl + 1, sizeof(*c->lit_set));
	c->nlits = nl;
	for (size_t i = 0; i < nl; i++)
		c->lit_set[i] = lits[i].set;
	/* Binary files: the YARA literals only. */
	for (size_t i = 0; i < nl; i++, k++) {
		res[k] = lits[i].re;
		flags[k] = lits[i].flags;
		ids[k] = LIT_BASE + (unsigned)i;
	}
	if (content_compile_db(c->hs_dir, res, flags, ids, k, HS_MODE_STREAM, &c->db_bin, err) < 0)
		goto out;
	/* Text files: the secret patterns too. */
	if (c->o.secrets) {
		for (size_t i = 0; i < np; i++, k++) {
			const struct content_secret_pattern *p = content_secret_pattern(i);

			res[k] = p->re;
			flags[k] = p->flags;
			ids[k] = (unsigned)i;
		}
	}
	if (content_compile_db(c->hs_dir, res, flags, ids, k, HS_MODE_STREAM, &c->db_text, err) < 0)
		goto out;
	if ((c->db_text && hs_alloc_scratch(c->db_text, &c->proto) != HS_SUCCESS) ||
	    (c->db_bin && hs_alloc_scratch(c->db_bin, &c->proto) != HS_SUCCESS))
		goto nomem;
	rc = 0;
	goto out;
nomem:
	bh_error_set(err, BH_ERR_NOMEM, "vectorscan: cannot allocate scratch space");
out:
	free(res);
	free(flags);
	free(ids);
	return rc;
}

/* The walk's databases, built once by the first layer that needs them. */
static int need_streams(struct bh_content *c, struct bh_error **err)
{
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (!c->streams_built) {
		rc = build_dbs(c, true, err);
		c->streams_built = rc == 0;
	}
	pthread_mutex_unlock(&c->lock);
	return rc < 0 ? bh_error_prefix(err, "content scanners") : 0;
}

/* ---- the object ------------------------------------------------------------------ */

static int c_entry(const struct bh_entry *e, void *data, struct bh_error **err);
static bool c_want(const struct bh_entry *e, void *data);
static int c_chunk(const struct bh_entry *e, const void *p, size_t n, void *data,
		   struct bh_error **err);
static int c_layer_begin(unsigned layer, bool ok, void *data, struct bh_error **err);
static int c_layer_end(unsigned layer, bool ok, void *data, struct bh_error **err);
static int c_save(unsigned layer, struct bh_buf *out, void *data, struct bh_error **err);
static int c_load(unsigned layer, const void *p, size_t n, void *data, struct bh_error **err);

int bh_content_new(struct bh_image *img, const struct bh_content_opts *o, struct bh_content **out,
		   struct bh_error **err)
{
	struct bh_content *c;
	int rc = -1;

	*out = NULL;
	if (bh_lazy_require(&bh_lazy_hs, err) < 0 || bh_lazy_require(&bh_lazy_pcre2, err) < 0 ||
	    bh_lazy_require(&bh_lazy_yara, err) < 0 || bh_lazy_require(&bh_lazy_crypto, err) < 0)
		return -1;
	c = bh_calloc(1, sizeof(*c));
	c->img = img;
	c->o = *o;
	c->reference = o->reference ? bh_strdup(o->reference) : NULL;
	c->o.reference = c->reference;
	c->o.skip_checks = NULL;
	c->o.builtin_rules_dir = c->o.yara_rules_dir = c->o.hash_blocklist = NULL;
	c->o.clamscan = c->o.clamav_db = c->o.tmpdir = c->o.compiled_dir = NULL;
	c->hs_dir = o->compiled_dir ? bh_strdup(o->compiled_dir) : NULL;
	for (size_t i = 0; o->skip_checks && o->skip_checks[i]; i++) {
		c->skip = bh_reallocarray(c->skip, c->nskip + 1, sizeof(*c->skip));
		c->skip[c->nskip++] = bh_strdup(o->skip_checks[i]);
	}
	c->max_file = o->max_file_size ? o->max_file_size : BH_CONTENT_MAX_FILE_DEFAULT;
	pthread_mutex_init(&c->lock, NULL);
	if (getrandom(&c->seed, sizeof(c->seed), 0) != sizeof(c->seed))
		c->seed = (uint64_t)(uintptr_t)c ^ (uint64_t)getpid();
	c->nlayers = img->nlayers;
	c->layers = bh_calloc(c->nlayers + 1, sizeof(*c->layers));
	if ((o->secrets || o->config) && content_secrets_new(&c->sec, err) < 0)
		goto out;
	if (o->malware) {
		if (content_malware_new(o, &c->mal, err) < 0)
			goto out;
		for (size_t i = 0; i < content_malware_nsets(c->mal); i++) {
			if (content_malware_set_prefiltered(c->mal, i))
				c->prefilter = true;
			else
				c->yara_all = true;
		}
		if (o->clamav && content_clam_new(o, &c->clam, err) < 0)
			goto out;
	}
	if (build_dbs(c, false, err) < 0)
		goto out;
	c->cons.data = c;
	c->cons.entry = c_entry;
	c->cons.want = c_want;
	c->cons.chunk = c_chunk;
	c->cons.layer_begin = c_layer_begin;
	c->cons.layer_end = c_layer_end;
	/* The layer cache: what a layer's hits, captures and hashes depend on
	 * besides the layer. ClamAV runs over files staged during the walk, so
	 * with it every layer is read. */
	if (!c->clam) {
		c->cache_config = bh_asprintf(
			"config=%d secrets=%d malware=%d binaries=%d max=%llu rules=%s",
			c->o.config, c->o.secrets, c->o.malware, c->o.secret_binaries,
			(unsigned long long)c->max_file, content_malware_fingerprint(c->mal));
		c->cons.cache_part = "content";
		c->cons.cache_config = c->cache_config;
		c->cons.save_layer = c_save;
		c->cons.load_layer = c_load;
	}
	*out = c;
	rc = 0;
out:
	if (rc < 0) {
		bh_error_prefix(err, "content scanners");
		bh_content_free(c);
	}
	return rc;
}

struct bh_consumer *bh_content_consumer(struct bh_content *c)
{
	c->walked = true;
	return &c->cons;
}

static void lstate_release_scan(struct lstate *l)
{
	if (l->st_text)
		hs_close_stream(l->st_text, NULL, NULL, NULL);
	if (l->st_bin)
		hs_close_stream(l->st_bin, NULL, NULL, NULL);
	l->st_text = l->st_bin = NULL;
	if (l->scratch)
		hs_free_scratch(l->scratch);
	l->scratch = NULL;
	pcre2_match_data_free(l->md);
	l->md = NULL;
	content_malware_thread_free(l->mt);
	l->mt = NULL;
	bh_hasher_free(l->hasher);
	l->hasher = NULL;
	bh_buf_release(&l->buf);
	free(l->cands);
	l->cands = NULL;
	l->ncands = l->capcands = 0;
	free(l->f.path);
	l->f.path = NULL;
	if (l->f.clam_fd >= 0)
		close(l->f.clam_fd);
	l->f.clam_fd = -1;
}

void content_lstate_free(struct lstate *l)
{
	if (!l)
		return;
	lstate_release_scan(l);
	content_hitlist_release(&l->hits);
	content_caplist_release(&l->caps);
	content_hashedlist_release(&l->hashes);
	content_u64v_release(&l->dirs);
	content_u64v_release(&l->nondirs);
	content_u64v_release(&l->whs);
	content_u64v_release(&l->opqs);
	free(l);
}

void bh_content_free(struct bh_content *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nlayers; i++)
		content_lstate_free(c->layers[i]);
	free(c->layers);
	hs_free_database(c->db_text);
	hs_free_database(c->db_bin);
	hs_free_database(c->db_values);
	free(c->hs_dir);
	hs_free_scratch(c->proto);
	free(c->lit_set);
	content_secrets_free(c->sec);
	content_clam_free(c->clam);
	content_malware_free(c->mal);
	for (size_t i = 0; i < c->nskip; i++)
		free(c->skip[i]);
	free(c->skip);
	free(c->reference);
	free(c->cache_config);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void bh_content_stats(const struct bh_content *c, struct bh_content_stats *out)
{
	pthread_mutex_lock((pthread_mutex_t *)&c->lock);
	*out = c->stats;
	pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
}

struct lstate *content_lstate_bare(struct bh_content *c, unsigned layer)
{
	struct lstate *l = bh_calloc(1, sizeof(*l));

	l->c = c;
	l->layer = layer;
	l->f.clam_fd = -1;
	return l;
}

static struct lstate *lstate_new(struct bh_content *c, unsigned layer, struct bh_error **err)
{
	struct lstate *l = content_lstate_bare(c, layer);
	size_t bufmax = c->max_file > (64u << 20) ? c->max_file : (64u << 20);
	bool ok = false;

	if (need_streams(c, err) < 0)
		goto out;
	if (bufmax > SIZE_MAX / 2)
		bufmax = SIZE_MAX / 2;
	bh_buf_init(&l->buf, bufmax);
	if ((c->proto && hs_clone_scratch(c->proto, &l->scratch) != HS_SUCCESS) ||
	    (c->db_text && hs_open_stream(c->db_text, 0, &l->st_text) != HS_SUCCESS) ||
	    (c->db_bin && hs_open_stream(c->db_bin, 0, &l->st_bin) != HS_SUCCESS)) {
		bh_error_set(err, BH_ERR_NOMEM, "vectorscan: cannot allocate a stream or scratch");
		goto out;
	}
	if (c->sec)
		l->md = content_secrets_match_data();
	if (content_malware_has_yara(c->mal) && content_malware_thread_new(c->mal, &l->mt, err) < 0)
		goto out;
	if ((content_malware_has_blocklist(c->mal) || c->o.config) &&
	    bh_hasher_new(BH_HASH_SHA256, &l->hasher, err) < 0)
		goto out;
	ok = true;
out:
	if (!ok) {
		content_lstate_free(l);
		l = NULL;
	}
	return l;
}

static int c_layer_begin(unsigned layer, bool ok, void *data, struct bh_error **err)
{
	struct bh_content *c = data;

	if (layer >= c->nlayers)
		return bh_error_set(err, BH_ERR_INTERNAL, "layer %u of %zu", layer, c->nlayers);
	content_lstate_free(c->layers[layer]);
	c->layers[layer] = lstate_new(c, layer, err);
	return c->layers[layer] ? 0 : -1;
}

void content_stats_add(struct bh_content_stats *a, const struct bh_content_stats *b)
{
	a->files_scanned += b->files_scanned;
	a->bytes_scanned += b->bytes_scanned;
	a->skipped_large += b->skipped_large;
	a->skipped_binary += b->skipped_binary;
	a->yara_scanned += b->yara_scanned;
	a->hashed += b->hashed;
	a->packaged += b->packaged;
}

static int c_layer_end(unsigned layer, bool ok, void *data, struct bh_error **err)
{
	struct bh_content *c = data;
	struct lstate *l = layer < c->nlayers ? c->layers[layer] : NULL;

	if (!l)
		return 0;
	lstate_release_scan(l);
	content_u64v_sort(&l->dirs);
	content_u64v_sort(&l->nondirs);
	content_u64v_sort(&l->whs);
	content_u64v_sort(&l->opqs);
	/* The layer's counts stay with it (the layer cache keeps them). */
	if (ok) {
		pthread_mutex_lock(&c->lock);
		content_stats_add(&c->stats, &l->stats);
		pthread_mutex_unlock(&c->lock);
	}
	return 0;
}

static int c_save(unsigned layer, struct bh_buf *out, void *data, struct bh_error **err)
{
	struct bh_content *c = data;
	struct lstate *l = layer < c->nlayers ? c->layers[layer] : NULL;

	if (!l)
		return bh_error_set(err, BH_ERR_INTERNAL, "layer %u has no state", layer + 1);
	return content_cache_save(l, out, err);
}

static int c_load(unsigned layer, const void *p, size_t n, void *data, struct bh_error **err)
{
	struct bh_content *c = data;
	struct lstate *l;

	if (layer >= c->nlayers)
		return bh_error_set(err, BH_ERR_INTERNAL, "layer %u of %zu", layer, c->nlayers);
	if (content_cache_load(c, layer, p, n, &l, err) < 0)
		return -1;
	content_lstate_free(c->layers[layer]);
	c->layers[layer] = l;
	return 0;
}

/* ---- per entry ------------------------------------------------------------------- */

static int c_entry(const struct bh_entry *e, void *data, struct bh_error **err)
{
	struct bh_content *c = data;
	struct lstate *l = e->layer < c->nlayers ? c->layers[e->layer] : NULL;
	uint64_t h;

	if (!l)
		return 0;
	h = content_path_hash(c->seed, e->path, strlen(e->path));
	switch (e->type) {
	case BH_FT_WHITEOUT: content_u64v_push(&l->whs, h); break;
	case BH_FT_OPAQUE: content_u64v_push(&l->opqs, h); break;
	case BH_FT_DIR: content_u64v_push(&l->dirs, h); break;
	default: content_u64v_push(&l->nondirs, h); break;
	}
	return 0;
}

static bool c_want(const struct bh_entry *e, void *data)
{
	struct bh_content *c = data;
	struct lstate *l = e->layer < c->nlayers ? c->layers[e->layer] : NULL;
	bool large, sec, yara, block, shell, clam;
	enum capture_kind cap;

	if (!l || e->type != BH_FT_REG)
		return false;
	large = e->size > c->max_file;
	cap = content_capture_kind_of(e->path);
	if (cap && (!content_capture_wanted(cap, &c->o) || e->size > content_capture_max(cap)))
		cap = 0;
	sec = c->o.secrets && !large;
	yara = content_malware_has_yara(c->mal) && !large;
	block = content_malware_has_blocklist(c->mal);
	shell = c->o.config && ((e->mode & 06000) || content_is_shell_path(e->path));
	clam = c->clam && !large && e->size > 0;
	if (large && (c->o.secrets || content_malware_has_yara(c->mal) || c->clam))
		l->stats.skipped_large++;
	if (!(sec || yara || block || shell || clam || cap))
		return false;
	free(l->f.path);
	memset(&l->f, 0, sizeof(l->f));
	l->f.path = bh_strdup(e->path);
	l->f.size = e->size;
	l->f.mode = e->mode;
	l->f.first = true;
	l->f.secrets = sec;
	l->f.yara = yara;
	l->f.blocklist = block;
	l->f.shellhash = shell;
	l->f.cap = cap;
	l->f.clam_fd = -1;
	if (clam) {
		struct bh_error *e2 = NULL;

		l->f.clam_fd = content_clam_stage(c->clam, e->path, e->layer, e->size, &e2);
		bh_error_warn(&e2, "clamav");
	}
	if (block || shell)
		bh_hasher_reset(l->hasher);
	bh_buf_reset(&l->buf);
	l->ncands = 0;
	l->overflow = false;
	return true;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	struct lstate *l = ctx;

	if (id >= LIT_BASE) {
		size_t i = id - LIT_BASE;

		if (i < l->c->nlits)
			l->f.set_hit[l->c->lit_set[i]] = true;
		return 0;
	}
	if (l->ncands == MAX_CANDS) {
		l->overflow = true;
		return 0;
	}
	if (l->ncands == l->capcands) {
		l->capcands = l->capcands ? l->capcands * 2 : 64;
		l->cands = bh_reallocarray(l->cands, l->capcands, sizeof(*l->cands));
	}
	l->cands[l->ncands].pat = id;
	l->cands[l->ncands].end = to;
	l->ncands++;
	return 0;
}

static void add_secret_hit(struct lstate *l, const char *path, const unsigned char *buf,
			   const struct secret_found *sf, long line)
{
	const struct bh_content_check *rule = content_secret_rule(sf->rule);
	struct hit *h = content_hitlist_add(&l->hits);

	h->id = bh_strdup(rule->id);
	h->kind = BH_FIND_SECRET;
	h->severity = sf->severity;
	h->countermeasure = "4.1.4";
	h->title = bh_asprintf("%s%s%s%s: %s (sha256:%s)", rule->title, sf->kind[0] ? " (" : "",
			       sf->kind, sf->kind[0] ? ")" : "", sf->shown, sf->fp);
	h->description = bh_asprintf("%s%s%s", rule->title, sf->detail[0] ? "; " : "", sf->detail);
	h->remediation = rule->remediation;
	h->path = bh_strdup(path);
	h->line = line;
	h->layer = l->layer;
	memcpy(h->fp, sf->fp, sizeof(sf->fp));
	/* Whether a package installed this very file is decided at the end. */
	if (!l->f.summed) {
		content_file_sums(buf, l->buf.len, l->f.md5, l->f.sha1);
		l->f.summed = true;
	}
	h->sums = true;
	memcpy(h->md5, l->f.md5, sizeof(h->md5));
	memcpy(h->sha1, l->f.sha1, sizeof(h->sha1));
}

/* Confirm the candidates of the file in l->buf. */
static void confirm_secrets(struct lstate *l)
{
	const unsigned char *buf = (const unsigned char *)(l->buf.data ? l->buf.data : "");
	size_t len = l->buf.len, nfound = 0, lastoff = 0;
	size_t covered_end[CONTENT_MAX_PATTERNS] = { 0 };
	unsigned attempts[CONTENT_MAX_PATTERNS] = { 0 };
	long lastline = 1;
	bool third_party = content_third_party_path(l->f.path);
	struct secret_found *found = bh_calloc(MAX_HITS_PER_FILE, sizeof(*found));

	if (l->overflow)
		bh_debug("/%s: more than %u secret candidates; the rest are not checked", l->f.path,
			 MAX_CANDS);
	for (size_t i = 0; i < l->ncands && nfound < MAX_HITS_PER_FILE; i++) {
		struct secret_found *sf = &found[nfound];
		uint32_t pat = l->cands[i].pat;
		size_t end = (size_t)l->cands[i].end;
		bool dup = false;

		/* A variable-length pattern reports every end inside a match. */
		if (pat < CONTENT_MAX_PATTERNS && covered_end[pat] && end <= covered_end[pat])
			continue;
		/* A budget of confirmations per pattern keeps hostile files (a
		 * megabyte of "-----BEGIN PRIVATE KEY") linear. */
		if (pat < CONTENT_MAX_PATTERNS &&
		    attempts[pat]++ >= content_secret_pattern(pat)->budget)
			continue;
		if (!content_secret_confirm(l->c->sec, (int)pat, buf, len, end, l->md, sf))
			continue;
		if (pat < CONTENT_MAX_PATTERNS)
			covered_end[pat] = sf->end;
		if (third_party && content_secret_rule_low_confidence(sf->rule))
			continue;
		for (size_t k = 0; k < nfound && !dup; k++)
			dup = found[k].rule == sf->rule && !strcmp(found[k].fp, sf->fp);
		if (!dup)
			nfound++;
	}
	for (size_t i = 0; i < nfound; i++) {
		const struct secret_found *sf = &found[i];
		bool covered = false;

		/* "GITHUB_TOKEN=ghp_..." is a GitHub token, not also a generic one. */
		for (size_t k = 0;
		     k < nfound && !covered && content_secret_rule_low_confidence(sf->rule); k++)
			covered = !content_secret_rule_low_confidence(found[k].rule) &&
				  found[k].start < sf->end && sf->start < found[k].end;
		if (covered)
			continue;
		if (sf->start < lastoff) {
			lastoff = 0;
			lastline = 1;
		}
		for (const unsigned char *p = buf + lastoff;
		     (p = memchr(p, '\n', sf->start - (size_t)(p - buf))); p++)
			lastline++;
		lastoff = sf->start;
		add_secret_hit(l, l->f.path, buf, sf, lastline);
	}
	free(found);
}

static void capture(struct lstate *l)
{
	struct capture *cp = content_caplist_add(&l->caps);

	cp->path = bh_strdup(l->f.path);
	cp->layer = l->layer;
	cp->kind = l->f.cap;
	cp->len = l->buf.len;
	cp->data = bh_malloc(l->buf.len + 1);
	memcpy(cp->data, l->buf.data ? l->buf.data : "", l->buf.len);
	cp->data[l->buf.len] = 0;
}

static void end_of_file(struct lstate *l)
{
	struct bh_content *c = l->c;

	if (l->f.st)
		hs_reset_stream(l->f.st, 0, l->scratch, on_match, l);
	if (l->f.secrets && l->ncands)
		confirm_secrets(l);
	if (l->f.yara && l->mt) {
		size_t ran = content_malware_scan(l->mt, l->f.set_hit, l->f.path, l->layer,
						  l->buf.data, l->buf.len, &l->hits);

		l->stats.yara_scanned += ran ? 1 : 0;
	}
	if (l->f.blocklist || l->f.shellhash) {
		struct bh_digest d;

		bh_hasher_final(l->hasher, &d);
		if (l->f.blocklist) {
			content_malware_hash_check(c->mal, &d, l->f.path, l->layer, &l->hits);
			l->stats.hashed++;
		}
		if (l->f.shellhash) {
			struct hashed *hs;

			hs = content_hashedlist_add(&l->hashes);
			hs->path = bh_strdup(l->f.path);
			hs->layer = l->layer;
			hs->d = d;
		}
	}
	if (l->f.cap && l->f.buffered)
		capture(l);
	if (l->f.clam_fd >= 0) {
		close(l->f.clam_fd);
		l->f.clam_fd = -1;
	}
	if (l->f.scanned) {
		l->stats.files_scanned++;
		l->stats.bytes_scanned += l->buf.len ? l->buf.len : l->f.size;
	}
	free(l->f.path);
	l->f.path = NULL;
	l->ncands = 0;
}

/* The first bytes decide: text or binary, which stream, whether to keep the bytes. */
static void start_file(struct lstate *l, const void *p, size_t n)
{
	struct bh_content *c = l->c;
	bool binary = n && memchr(p, 0, n < BINARY_PROBE ? n : BINARY_PROBE) != NULL;
	bool text_scan = l->f.secrets && (!binary || c->o.secret_binaries);

	l->f.first = false;
	if (l->f.secrets && !text_scan)
		l->stats.skipped_binary++;
	l->f.secrets = text_scan;
	/* YARA on this file: the sets that run everywhere, or a prefiltered one
	 * when one of its literals turns up in the stream. */
	if (l->f.yara && !c->yara_all && !c->prefilter)
		l->f.yara = false;
	if (text_scan)
		l->f.st = l->st_text;
	else if (l->f.yara && c->prefilter)
		l->f.st = l->st_bin;
	l->f.buffered = text_scan || l->f.yara || l->f.cap;
	l->f.scanned = text_scan || l->f.yara;
}

static int c_chunk(const struct bh_entry *e, const void *p, size_t n, void *data,
		   struct bh_error **err)
{
	struct bh_content *c = data;
	struct lstate *l = e->layer < c->nlayers ? c->layers[e->layer] : NULL;

	if (!l || !l->f.path)
		return 0;
	if (l->f.first)
		start_file(l, p, n);
	if (n == 0) {
		end_of_file(l);
		return 0;
	}
	if (l->f.blocklist || l->f.shellhash)
		bh_hasher_update(l->hasher, p, n);
	if (l->f.clam_fd >= 0 && bh_write_all(l->f.clam_fd, p, n, err) < 0)
		return bh_error_prefix(err, "--clamav: staging /%s", l->f.path);
	if (l->f.buffered && bh_buf_add(&l->buf, p, n, NULL) < 0) {
		/* Longer than it said: stop keeping it (its size was checked). */
		l->f.buffered = l->f.yara = l->f.secrets = false;
		l->f.cap = 0;
		l->f.st = NULL;
	}
	if (l->f.st && hs_scan_stream(l->f.st, p, n, 0, l->scratch, on_match, l) != HS_SUCCESS)
		return bh_error_set(err, BH_ERR_INTERNAL, "vectorscan: scan failed");
	return 0;
}

/* ---- a buffer outside a walk ------------------------------------------------------ */

int bh_content_scan_buffer(struct bh_content *c, const char *path, const void *buf, size_t len,
			   struct bh_findings *out, struct bh_error **err)
{
	struct bh_entry e = { 0 };
	struct lstate *l, *saved;
	struct hit **v = NULL;
	int *rem = NULL, rc = -1;

	while (*path == '/')
		path++;
	e.path = path;
	e.type = BH_FT_REG;
	e.mode = 0644;
	e.size = len;
	e.layer = 0;
	if (!c->nlayers)
		c->nlayers = 1; /* c->layers always has room for one */
	saved = c->layers[0];
	if (!(l = lstate_new(c, 0, err)))
		return -1;
	c->layers[0] = l;
	if (c_want(&e, c)) {
		const unsigned char *p = buf;
		size_t off = 0;

		while (off < len) {
			size_t k = len - off < 131072 ? len - off : 131072;

			if (c_chunk(&e, p + off, k, c, err) < 0)
				goto out;
			off += k;
		}
		if (c_chunk(&e, p, 0, c, err) < 0)
			goto out;
	}
	for (size_t i = 0; i < l->caps.n; i++)
		if (l->caps.v[i].kind == CAP_CRED)
			content_checks_cred_file(&l->caps.v[i], &l->hits);
	pthread_mutex_lock(&c->lock);
	content_stats_add(&c->stats, &l->stats);
	pthread_mutex_unlock(&c->lock);
	v = bh_calloc(l->hits.n + 1, sizeof(*v));
	rem = bh_calloc(l->hits.n + 1, sizeof(*rem));
	for (size_t i = 0; i < l->hits.n; i++) {
		v[i] = &l->hits.v[i];
		rem[i] = -1;
	}
	content_hits_to_findings(c, v, l->hits.n, rem, NULL, NULL, out);
	rc = 0;
out:
	free(v);
	free(rem);
	content_lstate_free(l);
	c->layers[0] = saved;
	return rc;
}

/* A value from the image config (an Env or a label), scanned whole: the
 * most severe secret in it. */
bool content_value_secret(void *ctx, const char *s, size_t n, struct secret_found *best)
{
	struct bh_content *c = ctx;
	struct lstate l = { 0 };
	bool found = false;

	if (!c->db_values || !c->sec || !n)
		return false;
	l.c = c;
	if (hs_scan(c->db_values, s, (unsigned)(n > UINT_MAX ? UINT_MAX : n), 0, c->proto, on_match,
		    &l) != HS_SUCCESS) {
		free(l.cands);
		return false;
	}
	l.md = content_secrets_match_data();
	for (size_t i = 0; i < l.ncands; i++) {
		struct secret_found sf;

		if (!content_secret_confirm(c->sec, (int)l.cands[i].pat, (const unsigned char *)s,
					    n, (size_t)l.cands[i].end, l.md, &sf))
			continue;
		if (!found || sf.severity > best->severity)
			*best = sf;
		found = true;
	}
	pcre2_match_data_free(l.md);
	free(l.cands);
	return found;
}

char *bh_content_default_rules_dir(const char *env)
{
	static const char *const rel[] = { "rules", "../share/bulkhead/rules" };
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env)
		return bh_strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char *d = bh_asprintf("%s/%s", exe, rel[i]);

		if (access(d, R_OK | X_OK) == 0)
			return d;
		free(d);
	}
	return NULL;
}
