/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The quarantine's network cut: nftables tables in the container's network
 * namespace, sent as raw netfilter netlink messages (no libnftnl, no `nft`).
 *
 *   table inet bulkhead_quarantine
 *     chain input   { type filter hook input priority -500; policy drop; iif 1 accept }
 *     chain forward { type filter hook forward priority -500; policy drop; }
 *     chain output  { type filter hook output priority -500; policy drop; oif 1 accept }
 *   table arp bulkhead_quarantine
 *     chain input   { type filter hook input priority -500; policy drop; }
 *     chain output  { type filter hook output priority -500; policy drop; }
 *
 * Interface 1 is always the namespace's loopback. A drop in any base chain is
 * final, so the container's own tables (or iptables) cannot let a packet past
 * these; links, addresses, routes and sockets stay as they were.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter_arp.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "quarantine_internal.h"
#include "banned.h"

#define NLB_MAX	   8192
#define NFT_PRIO   (-500)
#define RECV_MAX   16384
#define MAX_CHAINS 3

struct nlb {
	char buf[NLB_MAX];
	size_t len;
	bool overflow;
};

struct fam {
	uint8_t family;
	const char *chains[MAX_CHAINS];
	uint32_t hooks[MAX_CHAINS];
	int loop_key[MAX_CHAINS]; /* NFT_META_IIF / OIF for the loopback rule, -1 none */
};

static const struct fam fams[] = {
	{ NFPROTO_INET,
	  { "input", "forward", "output" },
	  { NF_INET_LOCAL_IN, NF_INET_FORWARD, NF_INET_LOCAL_OUT },
	  { NFT_META_IIF, -1, NFT_META_OIF } },
	{ NFPROTO_ARP, { "input", "output", NULL }, { NF_ARP_IN, NF_ARP_OUT, 0 }, { -1, -1, -1 } },
};

static atomic_uint quar_seq;

static uint32_t next_seq(void)
{
	unsigned v = atomic_fetch_add(&quar_seq, 1);

	if (v == 0) { /* first use: start from the clock, as libmnl does */
		unsigned t = (unsigned)time(NULL);

		atomic_compare_exchange_strong(&quar_seq, &(unsigned){ 1 }, t);
		v = atomic_fetch_add(&quar_seq, 1);
	}
	return v;
}

static void *nlb_put(struct nlb *b, size_t n)
{
	size_t a = NLMSG_ALIGN(n);
	void *p;

	if (b->overflow || a > NLB_MAX - b->len) {
		b->overflow = true;
		return NULL;
	}
	p = b->buf + b->len;
	memset(p, 0, a);
	b->len += a;
	return p;
}

/* Starts a message; returns its offset. */
static size_t nlb_msg(struct nlb *b, uint16_t type, uint16_t flags, uint32_t seq, uint8_t family,
		      uint16_t res_id)
{
	size_t off = b->len;
	struct nlmsghdr *h = nlb_put(b, sizeof(*h));
	struct nfgenmsg *g = nlb_put(b, sizeof(*g));

	if (!h || !g)
		return off;
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = seq;
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return off;
}

static void nlb_msg_end(struct nlb *b, size_t off)
{
	if (!b->overflow)
		((struct nlmsghdr *)(b->buf + off))->nlmsg_len = (uint32_t)(b->len - off);
}

static void nlb_attr(struct nlb *b, uint16_t type, const void *p, size_t n)
{
	struct nlattr *a = nlb_put(b, NLA_HDRLEN + n);

	if (!a)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + n);
	memcpy((char *)a + NLA_HDRLEN, p, n);
}

static void nlb_str(struct nlb *b, uint16_t type, const char *s)
{
	nlb_attr(b, type, s, strlen(s) + 1);
}

static void nlb_be32(struct nlb *b, uint16_t type, uint32_t v)
{
	uint32_t be = htonl(v);

	nlb_attr(b, type, &be, sizeof(be));
}

static size_t nlb_nest(struct nlb *b, uint16_t type)
{
	size_t off = b->len;
	struct nlattr *a = nlb_put(b, NLA_HDRLEN);

	if (a)
		a->nla_type = type | NLA_F_NESTED;
	return off;
}

static void nlb_nest_end(struct nlb *b, size_t off)
{
	if (!b->overflow)
		((struct nlattr *)(b->buf + off))->nla_len = (uint16_t)(b->len - off);
}

static uint16_t nft_type(int msg)
{
	return (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

/* One expression of a rule. */
static size_t expr_begin(struct nlb *b, const char *name)
{
	size_t e = nlb_nest(b, NFTA_LIST_ELEM);

	nlb_str(b, NFTA_EXPR_NAME, name);
	return e;
}

/* "meta KEY == 1 accept" (interface 1: the loopback) */
static void loopback_rule(struct nlb *b, uint32_t seq, uint8_t family, const char *chain, int key)
{
	size_t m =
		nlb_msg(b, nft_type(NFT_MSG_NEWRULE), NLM_F_CREATE | NLM_F_APPEND, seq, family, 0);
	size_t exprs, e, d, n, v;
	uint32_t one = 1;

	nlb_str(b, NFTA_RULE_TABLE, BH_QUAR_NFT_TABLE);
	nlb_str(b, NFTA_RULE_CHAIN, chain);
	exprs = nlb_nest(b, NFTA_RULE_EXPRESSIONS);

	e = expr_begin(b, "meta");
	d = nlb_nest(b, NFTA_EXPR_DATA);
	nlb_be32(b, NFTA_META_DREG, NFT_REG_1);
	nlb_be32(b, NFTA_META_KEY, (uint32_t)key);
	nlb_nest_end(b, d);
	nlb_nest_end(b, e);

	e = expr_begin(b, "cmp");
	d = nlb_nest(b, NFTA_EXPR_DATA);
	nlb_be32(b, NFTA_CMP_SREG, NFT_REG_1);
	nlb_be32(b, NFTA_CMP_OP, NFT_CMP_EQ);
	n = nlb_nest(b, NFTA_CMP_DATA);
	nlb_attr(b, NFTA_DATA_VALUE, &one, sizeof(one)); /* host order, as the register holds it */
	nlb_nest_end(b, n);
	nlb_nest_end(b, d);
	nlb_nest_end(b, e);

	e = expr_begin(b, "immediate");
	d = nlb_nest(b, NFTA_EXPR_DATA);
	nlb_be32(b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	n = nlb_nest(b, NFTA_IMMEDIATE_DATA);
	v = nlb_nest(b, NFTA_DATA_VERDICT);
	nlb_be32(b, NFTA_VERDICT_CODE, NF_ACCEPT);
	nlb_nest_end(b, v);
	nlb_nest_end(b, n);
	nlb_nest_end(b, d);
	nlb_nest_end(b, e);

	nlb_nest_end(b, exprs);
	nlb_msg_end(b, m);
}

static void table_msg(struct nlb *b, int msg, uint16_t flags, uint32_t seq, uint8_t family)
{
	size_t m = nlb_msg(b, nft_type(msg), flags, seq, family, 0);

	nlb_str(b, NFTA_TABLE_NAME, BH_QUAR_NFT_TABLE);
	nlb_msg_end(b, m);
}

static void chain_msg(struct nlb *b, uint32_t seq, uint8_t family, const char *name, uint32_t hook)
{
	size_t m = nlb_msg(b, nft_type(NFT_MSG_NEWCHAIN), NLM_F_CREATE, seq, family, 0);
	size_t h;

	nlb_str(b, NFTA_CHAIN_TABLE, BH_QUAR_NFT_TABLE);
	nlb_str(b, NFTA_CHAIN_NAME, name);
	h = nlb_nest(b, NFTA_CHAIN_HOOK);
	nlb_be32(b, NFTA_HOOK_HOOKNUM, hook);
	nlb_be32(b, NFTA_HOOK_PRIORITY, (uint32_t)NFT_PRIO);
	nlb_nest_end(b, h);
	nlb_be32(b, NFTA_CHAIN_POLICY, NF_DROP);
	nlb_str(b, NFTA_CHAIN_TYPE, "filter");
	nlb_msg_end(b, m);
}

static void batch_mark(struct nlb *b, uint16_t type, uint32_t seq)
{
	size_t m = nlb_msg(b, type, 0, seq, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);

	nlb_msg_end(b, m);
}

/*
 * Read the answers to requests first..last (errors always come; `last` asked
 * an ACK). Returns 0 when `last` was acknowledged and nothing failed; else -1 with the first
 * error. cb, when set, sees every other message of seq in [first, last].
 */
static int read_acks(int fd, uint32_t first, uint32_t last, const char *what,
		     void (*cb)(const struct nlmsghdr *h, void *data), void *data,
		     struct bh_error **err)
{
	char *buf = bh_malloc(RECV_MAX);
	int r = -1;

	for (;;) {
		ssize_t n = recv(fd, buf, RECV_MAX, 0);
		const struct nlmsghdr *h;
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			bh_error_sys(err, errno == EAGAIN ? ETIMEDOUT : errno, "nftables: %s",
				     what);
			goto out;
		}
		len = (size_t)n;
		for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq - first > last - first)
				continue; /* an older request's answer */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					bh_error_set(err, BH_ERR_IO, "nftables: %s: short answer",
						     what);
					goto out;
				}
				if (e->error) {
					bh_error_sys(err, -e->error, "nftables: %s", what);
					goto out;
				}
				if (h->nlmsg_seq == last) {
					r = 0;
					goto out;
				}
			} else if (cb && h->nlmsg_type != NLMSG_DONE) {
				cb(h, data);
			}
		}
	}
out:
	free(buf);
	return r;
}

static int send_all(int fd, const struct nlb *b, const char *what, struct bh_error **err)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	ssize_t n;

	if (b->overflow)
		return bh_error_set(err, BH_ERR_INTERNAL, "nftables: %s: message too long", what);
	do
		n = sendto(fd, b->buf, b->len, 0, (struct sockaddr *)&to, sizeof(to));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return bh_error_sys(err, errno, "nftables: %s", what);
	if ((size_t)n != b->len)
		return bh_error_set(err, BH_ERR_IO, "nftables: %s: short send", what);
	return 0;
}

int quar_nft_cut(int fd, struct bh_error **err)
{
	struct nlb *b = bh_calloc(1, sizeof(*b));
	uint32_t first, last = 0;
	int r = -1;

	batch_mark(b, NFNL_MSG_BATCH_BEGIN, next_seq());
	first = next_seq();
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		const struct fam *x = &fams[f];

		/* add, delete, add: one transaction replaces a table left from before */
		table_msg(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, f ? next_seq() : first, x->family);
		table_msg(b, NFT_MSG_DELTABLE, 0, next_seq(), x->family);
		table_msg(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, next_seq(), x->family);
		for (size_t c = 0; c < MAX_CHAINS && x->chains[c]; c++)
			chain_msg(b, next_seq(), x->family, x->chains[c], x->hooks[c]);
		for (size_t c = 0; c < MAX_CHAINS && x->chains[c]; c++)
			if (x->loop_key[c] >= 0)
				loopback_rule(b, next_seq(), x->family, x->chains[c],
					      x->loop_key[c]);
	}
	/* errors come whatever the flags; one ACK, on a last no-op, says the batch is done */
	last = next_seq();
	table_msg(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK, last, fams[0].family);
	batch_mark(b, NFNL_MSG_BATCH_END, next_seq());
	if (send_all(fd, b, "adding the quarantine tables", err) < 0)
		goto out;
	r = read_acks(fd, first, last, "adding the quarantine tables", NULL, NULL, err);
out:
	free(b);
	return r;
}

int quar_nft_uncut(int fd, struct bh_error **err)
{
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		struct nlb *b = bh_calloc(1, sizeof(*b));
		struct bh_error *e = NULL;
		uint32_t seq;
		int r;

		batch_mark(b, NFNL_MSG_BATCH_BEGIN, next_seq());
		seq = next_seq();
		table_msg(b, NFT_MSG_DELTABLE, NLM_F_ACK, seq, fams[f].family);
		batch_mark(b, NFNL_MSG_BATCH_END, next_seq());
		r = send_all(fd, b, "removing the quarantine tables", err);
		free(b);
		if (r < 0)
			return -1;
		if (read_acks(fd, seq, seq, "removing the quarantine tables", NULL, NULL, &e) < 0) {
			if (bh_error_errno(e) != ENOENT) {
				if (err && !*err)
					*err = e;
				else
					bh_error_free(e);
				return -1;
			}
			bh_error_free(e);
		}
	}
	return 0;
}

struct chain_seen {
	bool found;
	bool drop;
	bool hooked;
};

static void on_chain(const struct nlmsghdr *h, void *data)
{
	struct chain_seen *s = data;
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct nfgenmsg)));

	if (h->nlmsg_type != nft_type(NFT_MSG_NEWCHAIN))
		return;
	s->found = true;
	while (off + NLA_HDRLEN <= h->nlmsg_len) {
		const struct nlattr *a = (const struct nlattr *)((const char *)h + off);
		uint16_t type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > h->nlmsg_len - off)
			break;
		if (type == NFTA_CHAIN_POLICY && a->nla_len >= NLA_HDRLEN + 4) {
			uint32_t v;

			memcpy(&v, (const char *)a + NLA_HDRLEN, 4);
			s->drop = ntohl(v) == NF_DROP;
		} else if (type == NFTA_CHAIN_HOOK) {
			s->hooked = true;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

int quar_nft_check(int fd, struct bh_error **err)
{
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		for (size_t c = 0; c < MAX_CHAINS && fams[f].chains[c]; c++) {
			struct nlb *b = bh_calloc(1, sizeof(*b));
			struct chain_seen seen = { 0 };
			struct bh_error *e = NULL;
			uint32_t seq = next_seq();
			size_t m;
			int r;

			m = nlb_msg(b, nft_type(NFT_MSG_GETCHAIN), NLM_F_ACK, seq, fams[f].family,
				    0);
			nlb_str(b, NFTA_CHAIN_TABLE, BH_QUAR_NFT_TABLE);
			nlb_str(b, NFTA_CHAIN_NAME, fams[f].chains[c]);
			nlb_msg_end(b, m);
			r = send_all(fd, b, "reading the quarantine tables", err);
			free(b);
			if (r < 0)
				return -1;
			r = read_acks(fd, seq, seq, "reading the quarantine tables", on_chain,
				      &seen, &e);
			if (r < 0 && bh_error_errno(e) != ENOENT) {
				if (err && !*err)
					*err = e;
				else
					bh_error_free(e);
				return -1;
			}
			bh_error_free(e);
			if (r < 0 || !seen.found || !seen.drop || !seen.hooked)
				return 0;
		}
	}
	return 1;
}

struct ns_sock {
	int nsfd;
	int fd;
	int errnum;
	const char *step;
	bool cut; /* then cut in the thread too */
	int r;
	struct bh_error *err;
};

static int sock_setup(int fd)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 2 };

	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	return 0;
}

static void *ns_sock_thread(void *p)
{
	struct ns_sock *a = p;

	/* this thread only: CLONE_NEWNET is a per-task attribute */
	if (setns(a->nsfd, CLONE_NEWNET) < 0) {
		a->errnum = errno;
		a->step = "joining the container's network namespace";
		return NULL;
	}
	a->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (a->fd < 0) {
		a->errnum = errno;
		a->step = "a netfilter netlink socket in the container's network namespace";
		return NULL;
	}
	if (sock_setup(a->fd) < 0) {
		a->errnum = errno;
		a->step = "the netfilter netlink socket";
		close(a->fd);
		a->fd = -1;
		return NULL;
	}
	if (a->cut) {
		a->r = quar_nft_cut(a->fd, &a->err);
		close(a->fd);
		a->fd = -1;
	}
	return NULL;
}

static int ns_thread_start(struct ns_sock *a, pthread_t *t, struct bh_error **err)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(t, NULL, ns_sock_thread, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return bh_error_sys(err, r, "quarantine: starting the namespace thread");
	return 0;
}

int quar_nl_socket_in(int nsfd, struct bh_error **err)
{
	struct ns_sock a = { .nsfd = nsfd, .fd = -1 };
	pthread_t t;

	if (ns_thread_start(&a, &t, err) < 0)
		return -1;
	pthread_join(t, NULL);
	if (a.fd < 0)
		return bh_error_sys(err, a.errnum, "quarantine: %s", a.step);
	return a.fd;
}

struct quar_cut_job {
	struct ns_sock a;
	pthread_t t;
};

struct quar_cut_job *quar_cut_start(int nsfd, struct bh_error **err)
{
	struct quar_cut_job *j = bh_calloc(1, sizeof(*j));

	j->a.nsfd = nsfd;
	j->a.fd = -1;
	j->a.cut = true;
	j->a.r = -1;
	if (ns_thread_start(&j->a, &j->t, err) < 0) {
		free(j);
		return NULL;
	}
	return j;
}

int quar_cut_join(struct quar_cut_job *j, struct bh_error **err)
{
	int r;

	pthread_join(j->t, NULL);
	if (j->a.step) {
		r = bh_error_sys(err, j->a.errnum, "quarantine: %s", j->a.step);
	} else {
		r = j->a.r;
		if (r < 0) {
			if (err && !*err)
				*err = j->a.err;
			else
				bh_error_free(j->a.err);
		}
	}
	free(j);
	return r < 0 ? -1 : 0;
}

/* ---- the boost --------------------------------------------------------------------- */

/*
 * On a busy machine the time to contained is mostly waiting for a CPU: the
 * calling thread (the freezer's write) and the cut's thread each wait their
 * turn behind every runnable task. For the call, the calling thread runs
 * SCHED_FIFO at the lowest real-time priority, and the cut's thread, created
 * meanwhile, inherits it; both only sleep or make bounded system calls. The
 * thread's own policy is restored at the end (its nice value is kept by the
 * kernel across the switch). Without the privilege (CAP_SYS_NICE, or a cpu
 * cgroup without real-time runtime) nothing changes.
 */
void quar_boost_on(struct quar_boost *b)
{
	struct sched_param fifo = { .sched_priority = 1 };

	b->on = false;
	b->policy = sched_getscheduler(0);
	/* from the time-sharing classes only: a real-time or deadline thread
	 * (which sched_setscheduler could not give back) keeps its own; the
	 * reset-on-fork flag, if set, is kept across the switch */
	if (b->policy < 0)
		return;
	switch (b->policy & ~SCHED_RESET_ON_FORK) {
	case SCHED_OTHER:
	case SCHED_BATCH:
	case SCHED_IDLE: break;
	default: return;
	}
	if (sched_getparam(0, &b->param) < 0)
		return;
	b->on = sched_setscheduler(0, SCHED_FIFO | (b->policy & SCHED_RESET_ON_FORK), &fifo) == 0;
}

void quar_boost_off(struct quar_boost *b)
{
	if (b->on)
		sched_setscheduler(0, b->policy, &b->param);
	b->on = false;
}
