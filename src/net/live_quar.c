/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live path's quarantine (see live.c): who is acting, the worker thread
 * that applies, the answers back to the packet thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/filter.h>
#include <linux/netfilter.h>

#include "bulkhead/containers.h"
#include "bulkhead/net.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/quarantine.h"
#include "net/net_int.h"
#include "net/live_int.h"
#include "net/nfq.h"
#include "banned.h"

/* ---- quarantine ---------------------------------------------------------------------- */

/* Whether the last packet's flow calls for its client's quarantine: a threat
 * at the severity, or a deny (enforced) by a rule with verdict quarantine. */
bool net_live_quarantines(const struct live *L, const struct bh_net_pkt_alert *a)
{
	if (L->o->quarantine_severity && a->severity >= L->o->quarantine_severity)
		return true;
	return L->quar_rules && a->verdict == BH_NETPOL_DENY &&
	       bh_netpol_rule_quarantines(L->pol, a->rule);
}

/*
 * The worker: bh_quar_apply takes tens of milliseconds (the freezer, the
 * cut); the packet thread only asks (quar_ask, never waiting on it) and
 * collects the answers (quar_collect, woken by the eventfd). Jobs still
 * queued at the end are done before the worker stops.
 */
static void *quar_worker(void *arg)
{
	struct live *L = arg;
	sigset_t all;

	sigfillset(&all); /* SIGINT and SIGTERM are the packet thread's (its poll) */
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&L->qmu);
	for (;;) {
		struct quar_job *j;
		struct bh_quar_opts qo;
		struct bh_error *e = NULL;
		struct timespec t1;
		uint64_t one = 1;

		while (L->jhead == L->jtail && !L->qstop)
			pthread_cond_wait(&L->qcv, &L->qmu);
		if (L->jhead == L->jtail)
			break;
		j = L->jobs[L->jhead++ % QUAR_JOBS];
		pthread_mutex_unlock(&L->qmu);
		qo = *L->o->quarantine;
		if (!qo.inventory && j->inv)
			qo.inventory = j->inv->l; /* no second listing on the way to contained */
		if (bh_quar_apply(&qo, j->id, j->reason, &j->r, &e) < 0)
			j->why = e ? bh_error_message(e) : bh_strdup("?");
		bh_error_free(e);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		j->ns = (uint64_t)(t1.tv_sec - j->t0.tv_sec) * 1000000000u + (uint64_t)t1.tv_nsec -
			(uint64_t)j->t0.tv_nsec;
		net_live_inv_put(j->inv);
		j->inv = NULL;
		pthread_mutex_lock(&L->qmu);
		L->done[L->dtail++ % QUAR_JOBS] = j;
		if (write(L->qevfd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow here; the answer is
			 * collected at the next poll round anyway */
		}
	}
	pthread_mutex_unlock(&L->qmu);
	return NULL;
}

static struct quar_ctr *quar_find(struct live *L, const char *id)
{
	for (size_t i = 0; i < L->nquar; i++)
		if (!strcmp(L->quar[i].id, id))
			return &L->quar[i];
	return NULL;
}

static void job_free(struct quar_job *j)
{
	free(j->id);
	free(j->name);
	free(j->reason);
	net_live_inv_put(j->inv);
	bh_quar_record_free(j->r);
	free(j->why);
	free(j);
}

/* The worker's answers: counted, told (on_quarantine), on the packet thread. */
void net_live_quar_collect(struct live *L)
{
	struct quar_job *got[QUAR_JOBS];
	unsigned n = 0;
	uint64_t junk;

	if (read(L->qevfd, &junk, sizeof(junk)) < 0) {
		/* EAGAIN: nothing signalled; the rings are read anyway */
	}
	pthread_mutex_lock(&L->qmu);
	while (L->dhead != L->dtail)
		got[n++] = L->done[L->dhead++ % QUAR_JOBS];
	pthread_mutex_unlock(&L->qmu);
	for (unsigned i = 0; i < n; i++) {
		struct quar_job *j = got[i];
		struct quar_ctr *qc = quar_find(L, j->id);

		L->inflight--;
		if (qc)
			qc->pending = false;
		if (j->r && !j->r->again) {
			L->st->quarantined++;
		} else if (!j->r) {
			/* a failed apply: the next packet asks again (a second on) */
			L->quar_failed = net_live_now();
			if (qc)
				qc->nflows = 0;
		}
		if (L->o->on_quarantine && (!j->r || !j->r->again))
			L->o->on_quarantine(j->r, j->name, j->why, j->ns, L->o->engine.arg);
		job_free(j);
	}
}

int net_live_quar_start(struct live *L, struct bh_error **err)
{
	int rc;

	L->qevfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (L->qevfd < 0)
		return bh_error_sys(err, errno, "net run: an eventfd for the quarantine worker");
	pthread_mutex_init(&L->qmu, NULL);
	pthread_cond_init(&L->qcv, NULL);
	rc = pthread_create(&L->qth, NULL, quar_worker, L);
	if (rc)
		return bh_error_sys(err, rc, "net run: starting the quarantine worker");
	L->qth_up = true;
	return 0;
}

/* Stop the worker once the jobs it has are done; report their answers. */
void net_live_quar_stop(struct live *L)
{
	if (!L->qth_up)
		return;
	pthread_mutex_lock(&L->qmu);
	L->qstop = true;
	pthread_cond_signal(&L->qcv);
	pthread_mutex_unlock(&L->qmu);
	pthread_join(L->qth, NULL);
	L->qth_up = false;
	net_live_quar_collect(L);
	pthread_mutex_destroy(&L->qmu);
	pthread_cond_destroy(&L->qcv);
}

/*
 * The last packet's flow calls for quarantine: its client, when a container,
 * is quarantined - only when the packets prove it is the one acting: the
 * packet was the client's, the client opened the flow (a SYN seen, not a
 * SYN-ACK or a stream picked up midway: anyone can send a packet that makes
 * its receiver the "client"), and the packet was read from the queue of the
 * client's own network namespace as it left that namespace's stack (hook
 * LOCAL_OUT: no one else can put a packet there, whatever its source address
 * says). Otherwise the packet is judged as usual, no one is frozen.
 *
 * The apply is the worker's: asked here, never waited for (a full ring of
 * jobs drops the ask and counts it). Each flow asks once (a retransmission
 * of it after a release does not freeze the container again); a new flow
 * of a container acted on before asks again, and the apply itself reads the
 * quarantine store: quarantined still (a packet queued before the freeze),
 * nothing is done or counted; released, it is quarantined again.
 * True when the client is the acting container: the packet is dropped.
 */
bool net_live_quarantine_client(struct live *L, const struct target *t, unsigned hook,
				const struct bh_net_pkt_alert *a)
{
	const struct bh_net_live_opts *o = L->o;
	const struct addr_ent *ae = net_live_ent_of_addr(L, a->client_addr);
	const struct bh_ctr *c = ae ? ae->c : NULL;
	double now = net_live_now();
	struct quar_ctr *qc;
	struct quar_job *j;
	uint8_t key[36];
	char cl[64], sv[64], reason[256];

	if (!a->from_client || !a->client_opened || hook != NF_INET_LOCAL_OUT)
		return false;
	if ((!c || !net_live_ctr_alive(c)) && now - L->last_refresh >= FORCED_REFRESH_S) {
		/* a container newer than the last listing: list again, at most
		 * this often (an outside attacker cannot make us list per packet) */
		struct bh_error *e2 = NULL;

		if (net_live_refresh(L, &e2) < 0)
			L->st->refresh_errors++;
		bh_error_free(e2);
		L->last_refresh = now;
		ae = net_live_ent_of_addr(L, a->client_addr);
		c = ae ? ae->c : NULL;
	}
	if (!c || !net_live_ctr_alive(c) || ae->ns_dev != t->dev || ae->ns_ino != t->ino)
		return false; /* not a running container we know, or not its own packet */
	memcpy(key, a->client_addr, 16);
	memcpy(key + 16, a->server_addr, 16);
	key[32] = (uint8_t)(a->client_port >> 8);
	key[33] = (uint8_t)a->client_port;
	key[34] = (uint8_t)(a->server_port >> 8);
	key[35] = (uint8_t)a->server_port;
	qc = quar_find(L, c->id);
	if (qc) {
		if (qc->pending)
			return true;
		for (unsigned i = 0; i < qc->nflows && i < QUAR_FLOWS; i++)
			if (!memcmp(qc->flows[i], key, sizeof(key)))
				return true;
	}
	if (now - L->quar_failed < 1.0)
		return true;
	if (!qc) {
		if (L->nquar == QUAR_MAX)
			return true;
		L->quar = bh_reallocarray(L->quar, L->nquar + 1, sizeof(*L->quar));
		qc = &L->quar[L->nquar++];
		memset(qc, 0, sizeof(*qc));
		qc->id = bh_strdup(c->id);
	}
	if (L->inflight == QUAR_JOBS) {
		L->st->quarantine_dropped++;
		return true;
	}
	net_endpoint_str(cl, sizeof(cl), a->client_addr, a->client_port);
	net_endpoint_str(sv, sizeof(sv), a->server_addr, a->server_port);
	if (a->threat && o->quarantine_severity && a->severity >= o->quarantine_severity)
		snprintf(reason, sizeof(reason), "net: %s from %s to %s", a->threat, cl, sv);
	else
		snprintf(reason, sizeof(reason), "net: rule %s from %s to %s",
			 a->rule ? a->rule : "?", cl, sv);
	j = bh_calloc(1, sizeof(*j));
	j->id = bh_strdup(c->id);
	j->name = bh_strdup(c->name ? c->name : c->id);
	j->reason = bh_strdup(reason);
	j->inv = net_live_inv_get(ae->owner); /* the list c is in */
	j->t0 = L->t0;
	memcpy(qc->flows[qc->nflows++ % QUAR_FLOWS], key, sizeof(key));
	qc->pending = true;
	L->inflight++;
	pthread_mutex_lock(&L->qmu);
	L->jobs[L->jtail++ % QUAR_JOBS] = j;
	pthread_cond_signal(&L->qcv);
	pthread_mutex_unlock(&L->qmu);
	return true;
}
