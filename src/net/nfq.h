/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NFQUEUE over netlink (src/net/nfq.c): a queue bound in the calling
 * thread's network namespace through libmnl (loaded on first use; never
 * libnetfilter_queue), the nfnetlink_queue messages written here from
 * <linux/netfilter/nfnetlink_queue.h>, and the parser of what the kernel
 * sends, which is untrusted bytes: (ptr, len), every length checked, a fuzz
 * target (fuzz/fuzz_nfq.c) and hostile tests (tests/unit/test_nfq.c).
 *
 * Ownership as include/bulkhead/base.h: a queue is released with
 * net_nfq_close(); a parsed packet's payload borrows the receive buffer.
 */
#ifndef BULKHEAD_NET_NFQ_H
#define BULKHEAD_NET_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

#define NET_NFQ_MAX_PAYLOAD (0xffff - 4) /* the kernel's copy range ceiling (a u16 attribute) */
#define NET_NFQ_MAX_MSG	    (NET_NFQ_MAX_PAYLOAD + 4096) /* one message, with its attributes */
#define NET_NFQ_RX_BATCH    16 /* datagrams net_nfq_recv_many() reads at most at once */

/* One queued packet as the kernel described it; payload borrows the buffer. */
struct net_nfq_pkt {
	uint32_t id;	   /* the packet id the verdict names */
	uint16_t hw_proto; /* ethertype (0x0800, 0x86dd), host order */
	uint8_t hook;	   /* NF_INET_* */
	bool has_mark;
	uint32_t mark;	  /* the packet's mark (NFQA_MARK) */
	uint32_t cap_len; /* its whole length when the payload was cut to the copy range, else 0 */
	uint32_t skbinfo; /* NFQA_SKB_INFO flags (GSO, checksum not ready) */
	const uint8_t *payload;
	size_t payload_len; /* <= NET_NFQ_MAX_PAYLOAD */
};

enum net_nfq_msg {
	NET_NFQ_MALFORMED = -1, /* the rest of the buffer cannot be trusted: drop it */
	NET_NFQ_OTHER = 0,	/* a message of no interest (done, noop, another type) */
	NET_NFQ_PACKET = 1,	/* *pkt filled */
	NET_NFQ_ERROR = 2,	/* an NLMSG_ERROR: *errcode is -errno, 0 for an ack */
};

/*
 * The netlink message at the start of (buf, len): its kind, and in *used the
 * bytes it takes (aligned; the next one starts there). Never reads outside
 * (buf, len); a length that does not fit, a packet without its header or an
 * attribute of the wrong size is NET_NFQ_MALFORMED.
 */
enum net_nfq_msg net_nfq_parse(const uint8_t *buf, size_t len, struct net_nfq_pkt *pkt,
			       int *errcode, size_t *used);

struct net_nfq_cfg {
	uint16_t queue;
	uint32_t copy_range; /* bytes of each packet copied to us: 1..NET_NFQ_MAX_PAYLOAD */
	uint32_t max_len;    /* packets held in the kernel's queue before it is full */
	bool fail_open;	     /* NFQA_CFG_F_FAIL_OPEN: accept, not drop, when we cannot keep up */
	bool gso;	     /* NFQA_CFG_F_GSO: take GSO packets whole, not segmented */
	int rcvbuf;	     /* the socket's receive buffer, bytes */
};

struct net_nfq;

/* Bind queue cfg->queue in the calling thread's network namespace. */
int net_nfq_open(const struct net_nfq_cfg *cfg, struct net_nfq **out, struct bh_error **err);
int net_nfq_fd(const struct net_nfq *q);
/*
 * Receive the datagrams waiting on the socket, up to n (at most
 * NET_NFQ_RX_BATCH), in one system call (recvmmsg) that never waits:
 * datagram i into (bufs[i], cap), its length in lens[i] (0 for one not from
 * the kernel: skip it). The kernel sends each queued packet in a datagram of
 * its own, so this is the batch. Returns the count read (fewer than n: the
 * socket was empty then, no need to read again before poll says so), 0 when
 * nothing waits, -ENOBUFS when the kernel could not deliver some (the
 * caller counts and goes on), <0 with *err on another failure. A datagram
 * longer than cap among them has length 0 and sets *cut: the caller gives
 * the others their verdicts, then ends (its packet cannot be named).
 */
int net_nfq_recv_many(struct net_nfq *q, uint8_t *const *bufs, size_t cap, size_t *lens, unsigned n,
		      bool *cut, struct bh_error **err);
/* Append a verdict (NF_ACCEPT, NF_DROP, NF_REPEAT) for packet id, with a new
 * mark when set_mark; sent with the others by net_nfq_send(). */
int net_nfq_verdict(struct net_nfq *q, uint32_t id, uint32_t verdict, bool set_mark, uint32_t mark,
		    struct bh_error **err);
/* Append a batch verdict: every packet still queued with an id up to id. */
int net_nfq_verdict_batch(struct net_nfq *q, uint32_t id, uint32_t verdict, struct bh_error **err);
/* Send the verdicts appended so far, in order, in one datagram. */
int net_nfq_send(struct net_nfq *q, struct bh_error **err);
void net_nfq_close(struct net_nfq *q);

#endif
