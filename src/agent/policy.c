/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's node policy (src/agent/policy_int.h): validated whole with the
 * controller's own parser (bh_ctl_policy_parse), persisted atomically in the
 * state directory so that a restart without the controller enforces it
 * again, and swapped in by the detection thread at one event's boundary.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/policy_int.h"
#include "banned.h"

#define FILE_MAX (BH_CTL_BODY_MAX + 4096)

/* answer: {"version", "policy": {...}}: the version and the parsed policy. */
static int parse_answer(const json_t *answer, int64_t *version, struct bh_ctl_policy *out,
			struct bh_error **err)
{
	json_int_t v = 0;
	json_t *doc = bh_json_obj(answer, "policy");
	char *s;
	int rc;

	memset(out, 0, sizeof(*out));
	*version = 0;
	if (!bh_json_int(answer, "version", &v) || v < 1 || v > BH_CTL_SEQ_MAX || !doc)
		return bh_error_set(err, BH_ERR_INVALID,
				    "policy: an answer without a version and a policy");
	*version = v;
	s = json_dumps(doc, JSON_COMPACT);
	if (!s)
		return bh_error_set(err, BH_ERR_NOMEM, "policy: encoding");
	rc = bh_ctl_policy_parse(s, strlen(s), out, err);
	free(s);
	return rc;
}

int agent_policy_init(struct agent_policy *p, const char *state_dir, struct bh_error **warn_err)
{
	struct bh_buf b = BH_BUF_INIT(FILE_MAX);
	struct bh_error *err = NULL;
	json_t *j = NULL;

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	p->path = bh_asprintf("%s/policy.json", state_dir);
	if (bh_read_file(p->path, &b, &err) < 0) {
		if (bh_error_errno(err) != ENOENT) /* never applied one: nothing to say */
			*warn_err = err;
		else
			bh_error_free(err);
		bh_buf_release(&b);
		return 0;
	}
	if (bh_json_parse(b.data ? b.data : "", b.len, FILE_MAX, p->path, &j, &err) < 0 ||
	    parse_answer(j, &p->cur_version, &p->cur, &err) < 0) {
		bh_error_prefix(&err, "%s: the last policy applied is unreadable: none runs",
				p->path);
		*warn_err = err;
		p->cur_version = 0;
	}
	p->version = p->cur_version;
	if (p->cur_version > 0)
		p->file = bh_strndup(b.data, b.len);
	json_decref(j);
	bh_buf_release(&b);
	return 0;
}

void agent_policy_release(struct agent_policy *p)
{
	bh_ctl_policy_release(&p->next);
	bh_ctl_policy_release(&p->cur);
	pthread_mutex_destroy(&p->mu);
	free(p->path);
	free(p->file);
}

int64_t agent_policy_version(struct agent_policy *p)
{
	int64_t v;

	pthread_mutex_lock(&p->mu);
	v = p->version;
	pthread_mutex_unlock(&p->mu);
	return v;
}

/* A version refused: said once (1 after), the old one runs on. */
static int refuse(struct agent_policy *p, int64_t v, struct bh_error **err)
{
	pthread_mutex_lock(&p->mu);
	p->refused = v;
	pthread_mutex_unlock(&p->mu);
	return bh_error_prefix(err, "policy version %lld refused (version %lld runs on)",
			       (long long)v, (long long)agent_policy_version(p));
}

int agent_policy_offer(struct agent_policy *p, const json_t *answer,
		       const struct agent_policy_hooks *h, int64_t *version, struct bh_error **err)
{
	struct bh_ctl_policy np;
	void *ctx = NULL;
	json_int_t v = 0;
	bool seen;
	json_t *file;
	char *s;
	int rc;

	*version = 0;
	bh_json_int(answer, "version", &v);
	pthread_mutex_lock(&p->mu);
	seen = v == p->version || v == p->refused;
	pthread_mutex_unlock(&p->mu);
	if (seen)
		return 1;
	if (parse_answer(answer, version, &np, err) < 0)
		return refuse(p, *version ? *version : v, err);
	/* its firewall part compiled before anything is written: a part that
	 * does not compile refuses the version whole */
	if (h && h->prepare && h->prepare(h->arg, np.doc, &ctx, err) < 0) {
		bh_ctl_policy_release(&np);
		return refuse(p, *version, err);
	}
	/* persisted before it runs: what runs is what a restart finds */
	file = json_pack("{sIsO}", "version", (json_int_t)*version, "policy", np.doc);
	s = file ? json_dumps(file, JSON_COMPACT) : NULL;
	json_decref(file);
	rc = s ? bh_write_file_atomic(p->path, s, strlen(s), 0600, err)
	       : bh_error_set(err, BH_ERR_NOMEM, "policy: encoding");
	if (rc < 0) {
		bool said;

		free(s);
		if (h && h->abort)
			h->abort(h->arg, ctx);
		bh_ctl_policy_release(&np);
		/* tried again at the next poll (the disk may have room then),
		 * reported once per version */
		pthread_mutex_lock(&p->mu);
		said = p->unwritten == *version;
		p->unwritten = *version;
		pthread_mutex_unlock(&p->mu);
		if (said) {
			bh_error_clear(err);
			return 1;
		}
		return bh_error_prefix(err, "policy version %lld not applied", (long long)*version);
	}
	/* the firewall runs it (its verdict thread took it) before it is the
	 * version reported; one that does not: the file as it was, refused */
	if (h && h->commit && h->commit(h->arg, ctx, err) < 0) {
		struct bh_error *e2 = NULL;

		pthread_mutex_lock(&p->mu);
		if (p->file ? bh_write_file_atomic(p->path, p->file, strlen(p->file), 0600, &e2)
		    : (unlink(p->path) == 0 || errno == ENOENT)
			    ? 0
			    : bh_error_sys(&e2, errno, "%s", p->path))
			bh_error_prefix(err, "(%s was not put back)", p->path);
		pthread_mutex_unlock(&p->mu);
		bh_error_free(e2);
		free(s);
		bh_ctl_policy_release(&np);
		return refuse(p, *version, err);
	}
	pthread_mutex_lock(&p->mu);
	free(p->file);
	p->file = s;
	p->unwritten = 0;
	bh_ctl_policy_release(&p->next);
	p->next = np;
	p->next_version = *version;
	p->version = *version;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void agent_policy_match(struct agent_policy *p, const struct bh_mon_event *ev,
			const struct bh_rules_rule **m, size_t max, size_t *n, int64_t *swapped)
{
	*n = 0;
	*swapped = 0;
	/* a try: the puller never holds the lock for long, and an event that
	 * finds it held sees the version before, whole */
	if (pthread_mutex_trylock(&p->mu) == 0) {
		if (p->next_version) {
			bh_ctl_policy_release(&p->cur);
			p->cur = p->next;
			p->cur_version = p->next_version;
			*swapped = p->cur_version;
			memset(&p->next, 0, sizeof(p->next));
			p->next_version = 0;
		}
		pthread_mutex_unlock(&p->mu);
	}
	if (p->cur.rules)
		*n = bh_rules_match(p->cur.rules, ev, m, max);
}
