/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registry automation (include/bulkhead/ctl.h): one worker thread takes
 * pushes from a bounded queue (deduplicated by digest), pulls and scans
 * each with the library's pipeline (bh_scan_image) and records the result
 * in the controller's store. Only the worker touches the advisory store.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/ctl.h"
#include "bulkhead/scan.h"
#include "bulkhead/trust.h"
#include "bulkhead/version.h"
#include "banned.h"

#define QUEUE_DEFAULT 64
#define QUEUE_MAX     4096

struct job {
	struct bh_ctl_push p;
	char actor[BH_CTL_NAME_MAX + 1];
	struct timespec since; /* CLOCK_MONOTONIC at enqueue */
	int64_t pushed;	       /* the wall clock's second at enqueue */
};

/* Claims' leases (SQLite; PostgreSQL's locks go with the process): longer
 * than a scan or a rematch takes */
#define SCAN_LEASE_S	900
#define REMATCH_LEASE_S 3600

struct bh_ctl_auto {
	struct bh_ctl_store *store;
	char *registry;
	const struct bh_registry_opts *reg_opts;
	char *advisory_db;
	void (*on_vuln)(void *ctx, const char *digest, const char *repository,
			const struct bh_ctl_image_vuln *v);
	void *on_vuln_ctx;
	unsigned interval;
	struct bh_update_sources sources;
	char *db_cacert;
	const struct bh_key *attest_key; /* borrowed; NULL: no attestations */
	uint64_t updates, rematched;

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *q; /* ring of cap */
	size_t cap, head, len;
	char current[BH_DIGEST_MAX]; /* the digest being scanned, or "" */
	volatile int stop;
	uint64_t scanned, failed, skipped; /* skipped: another controller's */

	struct bh_store *adv; /* the worker's */
};

static double since_s(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* "GENERATION/LAST-UPDATE" of the advisory store, or NULL */
static char *db_version(struct bh_store *s)
{
	struct bh_error *err = NULL;
	json_t *info = NULL;
	json_int_t gen = 0;
	const char *upd;
	char *v = NULL;

	if (bh_vuln_store_info(s, &info, &err) < 0) {
		bh_error_free(err);
		return NULL;
	}
	upd = bh_json_str(info, "last_update");
	bh_json_int(info, "generation", &gen);
	if (upd)
		v = bh_asprintf("%lld/%s", (long long)gen, upd);
	json_decref(info);
	return v;
}

/* The vulnerabilities of a scan as rows to record (strings borrowed from r). */
static struct bh_ctl_image_vuln *vulns_of(const struct bh_scan_result *r, size_t *n)
{
	struct bh_ctl_image_vuln *v = bh_calloc(r->findings.n + 1, sizeof(*v));
	size_t k = 0;

	for (size_t i = 0; i < r->findings.n; i++) {
		const struct bh_finding *f = &r->findings.v[i];
		const struct bh_package *p;

		if (f->kind != BH_FIND_VULN || f->suppressed || !r->inv || f->pkg >= r->inv->npkgs)
			continue;
		p = &r->inv->pkgs[f->pkg];
		v[k++] = (struct bh_ctl_image_vuln){
			.id = f->id,
			.package = p->name,
			.version = p->version ? p->version : "",
			.fixed = f->fixed_versions ? f->fixed_versions[0] : NULL,
			.severity = (int)f->severity,
		};
	}
	*n = k;
	return v;
}

static int scan_one(struct bh_ctl_auto *a, const struct job *j, struct bh_error **err);

/*
 * The scan of j unless another controller sharing the store scans it now or
 * has scanned it since its push (the registry may notify every replica):
 * *skipped says so.
 */
static int scan_claimed(struct bh_ctl_auto *a, const struct job *j, bool *skipped,
			struct bh_error **err)
{
	char job[BH_CTL_CLAIM_JOB_MAX + 1];
	int64_t done_at = 0;
	bool got = false;
	int rc;

	*skipped = false;
	snprintf(job, sizeof(job), "scan:%s", j->p.digest.str);
	if (bh_ctl_claim(a->store, job, SCAN_LEASE_S, &got, &done_at, err) < 0)
		return bh_error_prefix(err, "registry: claiming the scan of %s", j->p.digest.str);
	if (!got || done_at >= j->pushed) {
		if (got && bh_ctl_claim_release(a->store, job, false, err) < 0)
			return -1;
		*skipped = true;
		bh_info("registry: %s@%s %s by another controller; not scanned again",
			j->p.repository, j->p.digest.str,
			got ? "was scanned since its push" : "is being scanned");
		return 0;
	}
	rc = scan_one(a, j, err);
	if (bh_ctl_claim_release(a->store, job, rc >= 0, rc < 0 ? NULL : err) < 0)
		rc = -1;
	return rc;
}

/*
 * The scan's in-toto vuln attestation attached to the image in the registry,
 * signed with the controller's key: the predicate and the signing of
 * `bulkhead attest --type vuln` (bh_attest_vuln_predicate, bh_attest_image),
 * from the scan just recorded.
 */
static int attest(struct bh_ctl_auto *a, const char *ref, const struct bh_scan_result *res,
		  const char *started, const char *finished, struct bh_error **err)
{
	struct bh_image_open_opts oo = { .registry = a->reg_opts };
	struct bh_sign_opts so = { 0 };
	struct bh_sign_result sr = { 0 };
	json_t *pred = NULL;
	int rc = -1;

	if (bh_attest_vuln_predicate(res, a->advisory_db, started, finished, &pred, err) < 0 ||
	    bh_attest_image(ref, &oo, a->attest_key, &so, BH_PREDICATE_VULN, pred, &sr, err) < 0) {
		bh_error_prefix(err, "attesting the scan");
		goto out;
	}
	bh_info("registry: %s: the scan attested (%s), %s is %s", ref, BH_PREDICATE_VULN, sr.tag,
		sr.manifest.str);
	rc = 0;
out:
	bh_sign_result_release(&sr);
	json_decref(pred);
	return rc;
}

static int scan_one(struct bh_ctl_auto *a, const struct job *j, struct bh_error **err)
{
	struct bh_image_open_opts oo = { .registry = a->reg_opts };
	struct bh_scan_opts so = {
		.scanners = BH_SCAN_VULN,
		.threads = 1,
		.cancel = &a->stop,
		.open = &oo,
	};
	struct bh_scan_result *res = NULL;
	struct bh_ctl_image_vuln *v = NULL, *fresh = NULL;
	struct bh_report rep = { 0 };
	struct timespec t0;
	size_t nv = 0, nfresh = 0;
	json_t *bom = NULL;
	char *ref, *dbv = NULL, *sbom = NULL;
	char started[BH_TIME_MAX], finished[BH_TIME_MAX];
	double scan_s, queued_s = since_s(&j->since);
	int rc = -1;

	ref = bh_asprintf("%s/%s@%s", a->registry, j->p.repository, j->p.digest.str);
	if (!a->adv && bh_vuln_store_open(a->advisory_db, false, &a->adv, err) < 0) {
		bh_error_prefix(err, "the advisory store");
		goto out;
	}
	so.store = a->adv;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bh_time_rfc3339(NULL, 0, started);
	if (bh_scan_image(NULL, ref, &so, &res, err) < 0)
		goto out;
	bh_time_rfc3339(NULL, 0, finished);
	scan_s = since_s(&t0);
	dbv = db_version(a->adv);
	v = vulns_of(res, &nv);
	rep.img = res->img;
	rep.inv = res->inv;
	rep.tool_version = BH_VERSION;
	rep.db_version = dbv;
	if (bh_report_cyclonedx(&rep, &bom, err) < 0)
		goto out;
	sbom = json_dumps(bom, JSON_COMPACT);
	{
		struct bh_ctl_image_scan sc = {
			.repository = j->p.repository,
			.digest = j->p.digest.str,
			.db_version = dbv,
			.vulns = v,
			.nvulns = nv,
			.sbom = sbom,
		};

		if (bh_ctl_image_record(a->store, j->actor, &sc, &fresh, &nfresh, err) < 0)
			goto out;
	}
	if (a->on_vuln)
		for (size_t i = 0; i < nfresh; i++)
			a->on_vuln(a->on_vuln_ctx, j->p.digest.str, j->p.repository, &fresh[i]);
	bh_info("registry: %s scanned and recorded %.3fs after its push (scan %.3fs, queued "
		"%.3fs): %zu vulnerabilities, %zu new",
		ref, since_s(&j->since), scan_s, queued_s, nv, nfresh);
	if (a->attest_key && attest(a, ref, res, started, finished, err) < 0)
		goto out;
	rc = 0;
out:
	bh_ctl_image_vulns_free(fresh, nfresh);
	free(v);
	free(sbom);
	json_decref(bom);
	free(dbv);
	bh_scan_result_free(res);
	if (rc < 0)
		bh_error_prefix(err, "registry: %s", ref);
	free(ref);
	return rc;
}

/* The advisory update and, when it changed something, the rematch. */
static void update_and_rematch(struct bh_ctl_auto *a)
{
	struct bh_update_opts uo = { .cacert = a->db_cacert, .cancel = &a->stop };
	struct bh_update_result *res = NULL;
	struct bh_ctl_rematch_stats st;
	struct bh_error *err = NULL;
	struct timespec t0;
	bool changed = false, got = false;
	int64_t done_at = 0;
	char *dbv = NULL;
	int nfail, rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!a->adv && bh_vuln_store_open(a->advisory_db, true, &a->adv, &err) < 0)
		goto fail;
	nfail = bh_vuln_store_update(a->adv, &a->sources, &uo, &res, &err);
	if (nfail < 0)
		goto fail;
	for (size_t i = 0; i < a->sources.n; i++) {
		if (res[i].error) {
			char *m = bh_error_message(res[i].error);

			bh_warn("db update: %s: %s", res[i].name, m ? m : "?");
			free(m);
		} else if (!res[i].not_modified) {
			changed = true;
		}
	}
	bh_update_results_free(res, a->sources.n);
	if (!changed) {
		bh_info("db update: no source changed; nothing to re-match");
		return;
	}
	/* one controller of those sharing the store re-matches: the first to
	 * claim it; one claiming after another did it within half an interval
	 * (and 2 s) leaves it (its own update saw the same advisories change) */
	if (bh_ctl_claim(a->store, "rematch", REMATCH_LEASE_S, &got, &done_at, &err) < 0)
		goto fail;
	if (!got || (done_at && done_at >= (int64_t)time(NULL) - (int64_t)(a->interval / 2) - 2)) {
		if (got && bh_ctl_claim_release(a->store, "rematch", false, &err) < 0)
			goto fail;
		bh_info("db update: another controller %s; not re-matched here",
			got ? "re-matched the images just now" : "is re-matching the images");
		return;
	}
	dbv = db_version(a->adv);
	rc = bh_ctl_image_rematch(a->store, a->adv, "db-update", dbv, a->on_vuln, a->on_vuln_ctx,
				  &st, &err);
	if (bh_ctl_claim_release(a->store, "rematch", rc >= 0, rc < 0 ? NULL : &err) < 0)
		rc = -1;
	if (rc < 0)
		goto fail;
	pthread_mutex_lock(&a->mu);
	a->updates++;
	a->rematched += st.images;
	pthread_mutex_unlock(&a->mu);
	bh_info("db update: %zu images re-matched from their SBOMs in %.3fs, %zu new findings"
		" (%zu without an SBOM, %zu failed)",
		st.images, since_s(&t0), st.fresh, st.skipped, st.failed);
	free(dbv);
	return;
fail:
	free(dbv);
	{
		char *m = bh_error_message(err);

		bh_warn("db update: %s", m ? m : "failed");
		free(m);
		bh_error_free(err);
	}
}

static void *worker(void *arg)
{
	struct bh_ctl_auto *a = arg;
	struct timespec next;

	clock_gettime(CLOCK_REALTIME, &next);
	next.tv_sec += a->interval;
	pthread_mutex_lock(&a->mu);
	for (;;) {
		struct bh_error *err = NULL;
		bool skipped = false;
		struct job j;
		int rc;

		while (!a->stop && !a->len) {
			struct timespec now;

			if (!a->interval) {
				pthread_cond_wait(&a->cv, &a->mu);
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &now);
			if (now.tv_sec > next.tv_sec ||
			    (now.tv_sec == next.tv_sec && now.tv_nsec >= next.tv_nsec)) {
				pthread_mutex_unlock(&a->mu);
				update_and_rematch(a);
				pthread_mutex_lock(&a->mu);
				clock_gettime(CLOCK_REALTIME, &next);
				next.tv_sec += a->interval;
				continue;
			}
			pthread_cond_timedwait(&a->cv, &a->mu, &next);
		}
		if (a->stop)
			break;
		j = a->q[a->head];
		a->head = (a->head + 1) % a->cap;
		a->len--;
		memcpy(a->current, j.p.digest.str, sizeof(a->current));
		pthread_mutex_unlock(&a->mu);

		rc = scan_claimed(a, &j, &skipped, &err);
		if (rc < 0) {
			char *m = bh_error_message(err);

			bh_warn("%s", m ? m : "registry: a scan failed");
			free(m);
			bh_error_free(err);
		}

		pthread_mutex_lock(&a->mu);
		a->current[0] = 0;
		if (rc < 0)
			a->failed++;
		else if (skipped)
			a->skipped++;
		else
			a->scanned++;
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

int bh_ctl_auto_new(const struct bh_ctl_auto_opts *o, struct bh_ctl_auto **out,
		    struct bh_error **err)
{
	struct bh_ctl_auto *a;
	int rc;

	*out = NULL;
	if (!o->store || !o->registry || !*o->registry || !o->advisory_db)
		return bh_error_set(err, BH_ERR_USAGE,
				    "registry automation needs a store, a registry and an "
				    "advisory store");
	if (strlen(o->registry) > 255 || strpbrk(o->registry, "/@ "))
		return bh_error_set(err, BH_ERR_USAGE, "registry '%.300s': expected HOST[:PORT]",
				    o->registry);
	if (o->queue_max > QUEUE_MAX)
		return bh_error_set(err, BH_ERR_USAGE, "a scan queue over %d", QUEUE_MAX);
	a = bh_calloc(1, sizeof(*a));
	a->store = o->store;
	a->registry = bh_strdup(o->registry);
	a->reg_opts = o->reg_opts;
	a->advisory_db = bh_strdup(o->advisory_db);
	a->on_vuln = o->on_vuln;
	a->on_vuln_ctx = o->on_vuln_ctx;
	a->interval = o->db_update_interval;
	a->attest_key = o->attest_key;
	a->db_cacert = o->db_cacert ? bh_strdup(o->db_cacert) : NULL;
	if (o->sources) {
		a->sources.n = o->sources->n;
		a->sources.v = bh_calloc(o->sources->n + 1, sizeof(*a->sources.v));
		for (size_t i = 0; i < o->sources->n; i++) {
			a->sources.v[i].name = bh_strdup(o->sources->v[i].name);
			a->sources.v[i].url = bh_strdup(o->sources->v[i].url);
		}
	} else {
		bh_update_default_sources(&a->sources);
	}
	a->cap = o->queue_max ? o->queue_max : QUEUE_DEFAULT;
	a->q = bh_calloc(a->cap, sizeof(*a->q));
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	rc = pthread_create(&a->thread, NULL, worker, a);
	if (rc) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
		bh_update_sources_release(&a->sources);
		free(a->db_cacert);
		free(a->q);
		free(a->registry);
		free(a->advisory_db);
		free(a);
		return bh_error_sys(err, rc, "starting the registry scanner");
	}
	*out = a;
	return 0;
}

void bh_ctl_auto_free(struct bh_ctl_auto *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	bh_vuln_store_close(a->adv);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	bh_update_sources_release(&a->sources);
	free(a->db_cacert);
	free(a->q);
	free(a->registry);
	free(a->advisory_db);
	free(a);
}

/* Whether digest is queued or being scanned (under mu). */
static bool pending(const struct bh_ctl_auto *a, const char *digest)
{
	if (!strcmp(a->current, digest))
		return true;
	for (size_t i = 0; i < a->len; i++)
		if (!strcmp(a->q[(a->head + i) % a->cap].p.digest.str, digest))
			return true;
	return false;
}

int bh_ctl_auto_enqueue(struct bh_ctl_auto *a, const char *actor, const struct bh_ctl_push *p,
			size_t n, size_t *queued, struct bh_error **err)
{
	size_t k = 0, fresh = 0;
	struct timespec now;

	*queued = 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < n; i++) {
		bool dup = pending(a, p[i].digest.str);

		for (size_t m = 0; m < i && !dup; m++)
			dup = !strcmp(p[m].digest.str, p[i].digest.str);
		fresh += !dup;
	}
	if (a->len + fresh > a->cap) {
		pthread_mutex_unlock(&a->mu);
		return bh_error_set(err, BH_ERR_LIMIT, "the scan queue is full (%zu)", a->cap);
	}
	for (size_t i = 0; i < n; i++) {
		struct job *j;

		if (pending(a, p[i].digest.str))
			continue;
		j = &a->q[(a->head + a->len) % a->cap];
		memset(j, 0, sizeof(*j));
		j->p = p[i];
		snprintf(j->actor, sizeof(j->actor), "%s", actor ? actor : "registry");
		j->since = now;
		j->pushed = (int64_t)time(NULL);
		a->len++;
		k++;
	}
	if (k)
		pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	*queued = k;
	return 0;
}

void bh_ctl_auto_stats(struct bh_ctl_auto *a, struct bh_ctl_auto_stats *out)
{
	pthread_mutex_lock(&a->mu);
	out->scanned = a->scanned;
	out->failed = a->failed;
	out->queued = a->len;
	out->updates = a->updates;
	out->rematched = a->rematched;
	pthread_mutex_unlock(&a->mu);
}
