/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netpol19: a new network policy for a running live path (bh_net_live_swap
 * in net.h). The caller (the agent's policy puller) hands a compiled policy
 * over and waits; the verdict thread takes it at the top of its loop, that
 * is between two packets (bh_net_engine_set_policy judges the open flows
 * again), and says so. The flows denied now that had a direction offloaded
 * get their conntrack entries deleted (ctnetlink, IPCTNL_MSG_CT_DELETE) in
 * every namespace of the run: their connmark offload bits go with them, so
 * the next packet of the connection is queued again and dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "bulkhead/netpolicy.h"
#include "net/dissect.h"
#include "net/live_int.h"
#include "banned.h"

#define CUT_MAX 256 /* offloaded flows cut at one swap (the rest: their queued packets) */

int bh_net_live_swap_init(struct bh_net_live_swap *s, struct bh_error **err)
{
	pthread_condattr_t ca;

	memset(s, 0, sizeof(*s));
	s->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->fd < 0)
		return bh_error_sys(err, errno, "net: the policy swap's eventfd");
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void bh_net_live_swap_release(struct bh_net_live_swap *s)
{
	if (s->fd < 0)
		return;
	close(s->fd);
	s->fd = -1;
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
}

int bh_net_live_swap(struct bh_net_live_swap *s, const struct bh_netpol *p, unsigned timeout_ms,
		     struct bh_error **err)
{
	struct timespec dl;
	uint64_t one = 1;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	if (!s->running) {
		pthread_mutex_unlock(&s->mu);
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "net: the firewall is not running: no policy to swap");
	}
	s->next = p;
	s->pending = true;
	if (write(s->fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
		/* the run still sees it within its 200 ms poll */
	}
	while (s->pending && s->running) {
		if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT)
			break;
	}
	if (s->pending) { /* not taken: taken back, the old one runs on */
		s->pending = false;
		s->next = NULL;
		rc = bh_error_set(err, BH_ERR_UNSUPPORTED,
				  "net: the firewall did not take the new policy within %u ms%s",
				  timeout_ms, s->running ? "" : " (it stopped)");
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void net_live_swap_running(struct live *L, bool running)
{
	struct bh_net_live_swap *s = L->o->swap;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->running = running;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* ---- conntrack entries deleted ----------------------------------------------------------- */

struct cut {
	uint8_t c[16], s[16];
	uint16_t cp, sp;
	uint8_t proto;
};

struct cuts {
	struct cut v[CUT_MAX];
	size_t n, over;
};

static void on_cut(const struct bh_net_flow_info *fi, uint8_t proto, void *arg)
{
	struct cuts *c = arg;

	if (c->n >= CUT_MAX) {
		c->over++;
		return;
	}
	memcpy(c->v[c->n].c, fi->client_addr, 16);
	memcpy(c->v[c->n].s, fi->server_addr, 16);
	c->v[c->n].cp = fi->client_port;
	c->v[c->n].sp = fi->server_port;
	c->v[c->n].proto = proto;
	c->n++;
}

static size_t attr(uint8_t *b, size_t off, uint16_t type, const void *p, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

	memcpy(b + off, &a, sizeof(a));
	if (len)
		memcpy(b + off + NLA_HDRLEN, p, len);
	return off + NLA_ALIGN(NLA_HDRLEN + len);
}

static void nest_end(uint8_t *b, size_t start, size_t end)
{
	struct nlattr a;

	memcpy(&a, b + start, sizeof(a));
	a.nla_len = (uint16_t)(end - start);
	memcpy(b + start, &a, sizeof(a));
}

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* One IPCTNL_MSG_CT_DELETE of the original tuple (client -> server), or of
 * the reply tuple (server -> client: an entry conntrack made from the
 * server's side), on the ctnetlink socket fd: 1 deleted, 0 none there, -1
 * an error. */
static int ct_delete(int fd, const struct cut *c, bool reply, uint32_t seq)
{
	uint8_t b[256], rb[512];
	bool v4 = !memcmp(c->c, v4mapped, 12) && !memcmp(c->s, v4mapped, 12);
	struct nlmsghdr h = { .nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE,
			      .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			      .nlmsg_seq = seq };
	struct nfgenmsg g = { .nfgen_family = v4 ? AF_INET : AF_INET6, .version = NFNETLINK_V0 };
	uint16_t cp = htons(reply ? c->sp : c->cp), sp = htons(reply ? c->cp : c->sp);
	const uint8_t *src = reply ? c->s : c->c, *dst = reply ? c->c : c->s;
	size_t off = NLMSG_HDRLEN, tup, ip, pr;
	struct nlmsghdr rh;
	struct nlmsgerr ne;
	ssize_t r;

	memset(b, 0, sizeof(b));
	memcpy(b + off, &g, sizeof(g));
	off += NLMSG_ALIGN(sizeof(g));
	tup = off;
	off = attr(b, off, (reply ? CTA_TUPLE_REPLY : CTA_TUPLE_ORIG) | NLA_F_NESTED, NULL, 0);
	ip = off;
	off = attr(b, off, CTA_TUPLE_IP | NLA_F_NESTED, NULL, 0);
	if (v4) {
		off = attr(b, off, CTA_IP_V4_SRC, src + 12, 4);
		off = attr(b, off, CTA_IP_V4_DST, dst + 12, 4);
	} else {
		off = attr(b, off, CTA_IP_V6_SRC, src, 16);
		off = attr(b, off, CTA_IP_V6_DST, dst, 16);
	}
	nest_end(b, ip, off);
	pr = off;
	off = attr(b, off, CTA_TUPLE_PROTO | NLA_F_NESTED, NULL, 0);
	off = attr(b, off, CTA_PROTO_NUM, &c->proto, 1);
	if (c->proto == 6 || c->proto == 17) {
		off = attr(b, off, CTA_PROTO_SRC_PORT, &cp, 2);
		off = attr(b, off, CTA_PROTO_DST_PORT, &sp, 2);
	}
	nest_end(b, pr, off);
	nest_end(b, tup, off);
	h.nlmsg_len = (uint32_t)off;
	memcpy(b, &h, sizeof(h));
	if (send(fd, b, off, 0) != (ssize_t)off)
		return -1;
	r = recv(fd, rb, sizeof(rb), 0);
	if (r < (ssize_t)(NLMSG_HDRLEN + sizeof(ne)))
		return -1;
	memcpy(&rh, rb, sizeof(rh));
	if (rh.nlmsg_type != NLMSG_ERROR)
		return -1;
	memcpy(&ne, rb + NLMSG_HDRLEN, sizeof(ne));
	if (ne.error == 0)
		return 1;
	return ne.error == -ENOENT ? 0 : -1;
}

/* A ctnetlink socket in the namespace nsfd (-1: an error). */
static int ct_socket(int nsfd)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), fd = -1;
	struct timeval tv = { 0, 200000 }; /* a kernel that does not answer: given up */

	if (self < 0)
		return -1;
	if (setns(nsfd, CLONE_NEWNET) == 0) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
		if (setns(self, CLONE_NEWNET) < 0)
			abort(); /* we would run on in the container's namespace */
	}
	close(self);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void cut_all(struct live *L, const struct cuts *c, struct bh_net_live_swap *s)
{
	for (size_t i = 0; i < c->n; i++) {
		bool done = false, failed = false;

		for (size_t t = 0; t < L->n; t++) {
			int fd = ct_socket(L->t[t].nsfd), r;

			if (fd < 0) {
				failed = true;
				continue;
			}
			r = ct_delete(fd, &c->v[i], false, (uint32_t)(2 * i + 1));
			if (r == 0)
				r = ct_delete(fd, &c->v[i], true, (uint32_t)(2 * i + 2));
			close(fd);
			if (r > 0)
				done = true;
			else if (r < 0)
				failed = true;
		}
		if (done)
			s->cut++;
		else if (failed)
			s->cut_failed++;
	}
	s->cut_failed += c->over;
}

void net_live_swap_take(struct live *L)
{
	struct bh_net_live_swap *s = L->o->swap;
	struct cuts *c;
	uint64_t drain;
	size_t rejudged = 0, denied = 0;
	uint64_t cut0, failed0;

	if (!s)
		return;
	if (read(s->fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN) {
		/* nothing to read: a swap asked is still seen below */
	}
	pthread_mutex_lock(&s->mu);
	if (!s->pending) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	c = bh_calloc(1, sizeof(*c));
	if (L->e)
		bh_net_engine_set_policy(L->e, s->next, L->o->offload ? on_cut : NULL, c, &rejudged,
					 &denied);
	L->pol = s->next;
	L->quar_rules = L->o->quarantine && L->pol && bh_netpol_has_quarantine(L->pol);
	cut0 = s->cut;
	failed0 = s->cut_failed;
	cut_all(L, c, s);
	free(c);
	s->rejudged += rejudged;
	s->denied += denied;
	s->swaps++;
	L->st->swaps++;
	L->st->swap_rejudged += rejudged;
	L->st->swap_denied += denied;
	L->st->swap_cut += s->cut - cut0;
	L->st->swap_cut_failed += s->cut_failed - failed0;
	if (s->cut_failed > failed0 && L->o->on_warning) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "policy swap: %llu offloaded connections denied now could not be cut "
			 "(conntrack): they run on until their next queued packet",
			 (unsigned long long)(s->cut_failed - failed0));
		L->o->on_warning(msg, L->o->engine.arg);
	}
	s->next = NULL;
	s->pending = false;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}
