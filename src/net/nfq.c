/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NFQUEUE over netlink: see nfq.h. The socket, and the building of the
 * config and verdict messages, go through libmnl (LGPL, loaded on first
 * use); the parser of the kernel's messages is ours, with no library.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>

#include "lazy/mnl.h"
#include "net/nfq.h"
#include "banned.h"

#define SEND_MAX   (64 * 1024) /* verdicts appended before a send */
#define VERDICT_SZ 64	       /* room one verdict message takes, at most */

struct net_nfq {
	struct mnl_socket *nl;
	int fd;
	uint32_t portid, seq;
	uint16_t queue;
	size_t out_len;
	uint8_t out[SEND_MAX];
};

/* ---- the parser (untrusted bytes) ---------------------------------------- */

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

enum net_nfq_msg net_nfq_parse(const uint8_t *buf, size_t len, struct net_nfq_pkt *pkt,
			       int *errcode, size_t *used)
{
	struct nlmsghdr h;
	const uint8_t *a, *end;
	bool have_hdr = false;

	*used = 0;
	if (len < sizeof(h))
		return NET_NFQ_MALFORMED;
	memcpy(&h, buf, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len || h.nlmsg_len > NET_NFQ_MAX_MSG)
		return NET_NFQ_MALFORMED;
	*used = align4(h.nlmsg_len) < len ? align4(h.nlmsg_len) : len;
	if (h.nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;

		if (h.nlmsg_len < sizeof(h) + sizeof(e.error))
			return NET_NFQ_MALFORMED;
		memcpy(&e.error, buf + sizeof(h), sizeof(e.error));
		/* the kernel's errors are negative errnos; an ack is 0 */
		if (e.error > 0 || e.error < -4095)
			return NET_NFQ_MALFORMED;
		*errcode = e.error;
		return NET_NFQ_ERROR;
	}
	if (h.nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return NET_NFQ_OTHER;
	if (h.nlmsg_len < sizeof(h) + sizeof(struct nfgenmsg))
		return NET_NFQ_MALFORMED;
	memset(pkt, 0, sizeof(*pkt));
	a = buf + sizeof(h) + sizeof(struct nfgenmsg);
	end = buf + h.nlmsg_len;
	while ((size_t)(end - a) >= sizeof(struct nlattr)) {
		struct nlattr na;
		const uint8_t *v;
		size_t vlen;

		memcpy(&na, a, sizeof(na));
		if (na.nla_len < sizeof(na) || na.nla_len > (size_t)(end - a))
			return NET_NFQ_MALFORMED;
		v = a + sizeof(na);
		vlen = na.nla_len - sizeof(na);
		switch (na.nla_type & NLA_TYPE_MASK) {
		case NFQA_PACKET_HDR: {
			struct nfqnl_msg_packet_hdr ph;

			if (vlen < sizeof(ph))
				return NET_NFQ_MALFORMED;
			memcpy(&ph, v, sizeof(ph));
			pkt->id = ntohl(ph.packet_id);
			pkt->hw_proto = ntohs(ph.hw_protocol);
			pkt->hook = ph.hook;
			have_hdr = true;
			break;
		}
		case NFQA_MARK:
			if (vlen != 4)
				return NET_NFQ_MALFORMED;
			pkt->mark = be32_at(v);
			pkt->has_mark = true;
			break;
		case NFQA_CAP_LEN:
			if (vlen != 4)
				return NET_NFQ_MALFORMED;
			pkt->cap_len = be32_at(v);
			break;
		case NFQA_SKB_INFO:
			if (vlen != 4)
				return NET_NFQ_MALFORMED;
			pkt->skbinfo = be32_at(v);
			break;
		case NFQA_PAYLOAD:
			if (vlen > NET_NFQ_MAX_PAYLOAD)
				return NET_NFQ_MALFORMED;
			pkt->payload = v;
			pkt->payload_len = vlen;
			break;
		default: break;
		}
		/* the last attribute may end unpadded at the message's end */
		if (align4(na.nla_len) >= (size_t)(end - a))
			break;
		a += align4(na.nla_len);
	}
	return have_hdr ? NET_NFQ_PACKET : NET_NFQ_MALFORMED;
}

/* ---- messages we send ----------------------------------------------------- */

static struct nlmsghdr *put_msg(uint8_t *buf, uint16_t type, uint16_t flags, uint32_t seq,
				uint16_t queue)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	return nlh;
}

/* Send one config message and wait for its ack (2 s at most). */
static int config(struct net_nfq *q, struct nlmsghdr *nlh, const char *what, struct bh_error **err)
{
	uint8_t buf[8192];
	struct timespec t0, t;
	uint32_t seq = nlh->nlmsg_seq;

	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return bh_error_sys(err, errno, "nfqueue %u: sending %s", q->queue, what);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
		size_t off = 0;

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > 2)
				return bh_error_set(err, BH_ERR_IO,
						    "nfqueue %u: no answer to %s from the kernel",
						    q->queue, what);
			usleep(1000);
			continue;
		}
		if (n < 0)
			return bh_error_sys(err, errno, "nfqueue %u: reading the answer to %s",
					    q->queue, what);
		while (off < (size_t)n) {
			struct net_nfq_pkt pk;
			struct nlmsghdr hh;
			int code = 0;
			size_t used;
			enum net_nfq_msg m =
				net_nfq_parse(buf + off, (size_t)n - off, &pk, &code, &used);

			if (m == NET_NFQ_MALFORMED)
				return bh_error_set(err, BH_ERR_INVALID,
						    "nfqueue %u: a malformed answer to %s",
						    q->queue, what);
			memcpy(&hh, buf + off, sizeof(hh));
			off += used;
			if (m != NET_NFQ_ERROR || hh.nlmsg_seq != seq)
				continue;
			if (code < 0)
				return bh_error_sys(err, -code, "nfqueue %u: %s refused", q->queue,
						    what);
			return 0;
		}
	}
}

int net_nfq_open(const struct net_nfq_cfg *cfg, struct net_nfq **out, struct bh_error **err)
{
	uint8_t buf[512];
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params;
	struct nlmsghdr *nlh;
	struct net_nfq *q;
	uint32_t flags = 0;
	int rc, fl;

	if (cfg->copy_range == 0 || cfg->copy_range > NET_NFQ_MAX_PAYLOAD)
		return bh_error_set(err, BH_ERR_USAGE, "nfqueue: copy range %u not in 1..%u",
				    cfg->copy_range, NET_NFQ_MAX_PAYLOAD);
	rc = bh_lazy_require(&bh_lazy_mnl, err);
	if (rc < 0)
		return rc;
	q = bh_calloc(1, sizeof(*q));
	q->queue = cfg->queue;
	q->seq = (uint32_t)time(NULL);
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!q->nl) {
		rc = bh_error_sys(err, errno, "nfqueue: opening a netfilter netlink socket");
		goto fail;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = bh_error_sys(err, errno, "nfqueue: binding the netlink socket");
		goto fail;
	}
	q->fd = mnl_socket_get_fd(q->nl);
	q->portid = mnl_socket_get_portid(q->nl);
	if (cfg->rcvbuf > 0 &&
	    setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &cfg->rcvbuf, sizeof(cfg->rcvbuf)) < 0 &&
	    setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &cfg->rcvbuf, sizeof(cfg->rcvbuf)) < 0) {
		rc = bh_error_sys(err, errno, "nfqueue: sizing the receive buffer to %d",
				  cfg->rcvbuf);
		goto fail;
	}
	fl = fcntl(q->fd, F_GETFL);
	if (fl < 0 || fcntl(q->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		rc = bh_error_sys(err, errno, "nfqueue: making the socket non-blocking");
		goto fail;
	}

	nlh = put_msg(buf, NFQNL_MSG_CONFIG, NLM_F_ACK, ++q->seq, q->queue);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	rc = config(q, nlh, "the queue bind (is another process bound to it?)", err);
	if (rc < 0)
		goto fail;

	nlh = put_msg(buf, NFQNL_MSG_CONFIG, NLM_F_ACK, ++q->seq, q->queue);
	params.copy_range = htonl(cfg->copy_range);
	params.copy_mode = NFQNL_COPY_PACKET;
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
	if (cfg->max_len)
		mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(cfg->max_len));
	if (cfg->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	if (cfg->gso)
		flags |= NFQA_CFG_F_GSO;
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
	rc = config(q, nlh, "the copy mode, queue length and flags", err);
	if (rc < 0)
		goto fail;
	*out = q;
	return 0;
fail:
	net_nfq_close(q);
	return rc;
}

int net_nfq_fd(const struct net_nfq *q)
{
	return q->fd;
}

int net_nfq_recv_many(struct net_nfq *q, uint8_t *const *bufs, size_t cap, size_t *lens, unsigned n,
		      bool *cut, struct bh_error **err)
{
	struct mmsghdr mv[NET_NFQ_RX_BATCH];
	struct iovec iov[NET_NFQ_RX_BATCH];
	struct sockaddr_nl from[NET_NFQ_RX_BATCH];
	int got;

	if (n > NET_NFQ_RX_BATCH)
		n = NET_NFQ_RX_BATCH;
	memset(mv, 0, n * sizeof(*mv));
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = cap;
		mv[i].msg_hdr.msg_name = &from[i];
		mv[i].msg_hdr.msg_namelen = sizeof(from[i]);
		mv[i].msg_hdr.msg_iov = &iov[i];
		mv[i].msg_hdr.msg_iovlen = 1;
	}
	got = recvmmsg(q->fd, mv, n, MSG_DONTWAIT, NULL);
	if (got < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		if (errno == ENOBUFS)
			return -ENOBUFS;
		return bh_error_sys(err, errno, "nfqueue %u: receiving", q->queue);
	}
	*cut = false;
	for (int i = 0; i < got; i++) {
		/* only the kernel speaks on this socket: another sender's
		 * datagram is skipped (length 0) */
		lens[i] = mv[i].msg_hdr.msg_namelen >= sizeof(from[i]) && from[i].nl_pid == 0
				  ? mv[i].msg_len
				  : 0;
		/* never trimmed in practice (cap >= NET_NFQ_MAX_MSG): the cut
		 * packet cannot be named in a verdict (skipped, length 0); the
		 * others read with it still get theirs, then the caller ends */
		if (mv[i].msg_hdr.msg_flags & MSG_TRUNC) {
			lens[i] = 0;
			*cut = true;
		}
	}
	return got;
}

static int room(struct net_nfq *q, struct bh_error **err)
{
	if (q->out_len + VERDICT_SZ <= sizeof(q->out))
		return 0;
	return net_nfq_send(q, err);
}

int net_nfq_verdict(struct net_nfq *q, uint32_t id, uint32_t verdict, bool set_mark, uint32_t mark,
		    struct bh_error **err)
{
	struct nfqnl_msg_verdict_hdr vh = { htonl(verdict), htonl(id) };
	struct nlmsghdr *nlh;
	int rc = room(q, err);

	if (rc < 0)
		return rc;
	nlh = put_msg(q->out + q->out_len, NFQNL_MSG_VERDICT, 0, ++q->seq, q->queue);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	if (set_mark)
		mnl_attr_put_u32(nlh, NFQA_MARK, htonl(mark));
	q->out_len += align4(nlh->nlmsg_len);
	return 0;
}

int net_nfq_verdict_batch(struct net_nfq *q, uint32_t id, uint32_t verdict, struct bh_error **err)
{
	struct nfqnl_msg_verdict_hdr vh = { htonl(verdict), htonl(id) };
	struct nlmsghdr *nlh;
	int rc = room(q, err);

	if (rc < 0)
		return rc;
	nlh = put_msg(q->out + q->out_len, NFQNL_MSG_VERDICT_BATCH, 0, ++q->seq, q->queue);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	q->out_len += align4(nlh->nlmsg_len);
	return 0;
}

int net_nfq_send(struct net_nfq *q, struct bh_error **err)
{
	size_t len = q->out_len;

	if (!len)
		return 0;
	q->out_len = 0;
	for (int tries = 0;; tries++) {
		if (mnl_socket_sendto(q->nl, q->out, len) >= 0)
			return 0;
		if (errno == EINTR || ((errno == EAGAIN || errno == ENOBUFS) && tries < 100)) {
			usleep(100);
			continue;
		}
		return bh_error_sys(err, errno, "nfqueue %u: sending %zu bytes of verdicts",
				    q->queue, len);
	}
}

void net_nfq_close(struct net_nfq *q)
{
	if (!q)
		return;
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q);
}
