/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live path's state shared by its files: live.c (the rules, the queues,
 * the loop), live_inv.c (the inventory of containers by address, the watch
 * of the runtimes' state directories), live_quar.c (quarantine, its worker).
 */
#ifndef BULKHEAD_NET_LIVE_INT_H
#define BULKHEAD_NET_LIVE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "bulkhead/containers.h"
#include "bulkhead/net.h"
#include "bulkhead/quarantine.h"
#include "net/nfq.h"

#define DRAIN_MAX	 128	   /* packets read from one queue in one go */
#define RCVBUF		 (8 << 20) /* the netlink socket's receive buffer */
#define SEND_HOLD_NS	 20000	   /* a verdict waits at most this for others to share its send */
#define IPT_ERR_MAX	 512	   /* bytes of an iptables error kept for the message */
#define MARK_DEF	 0x00100000u
#define ADDRS_MAX	 65536 /* container addresses known at once */
#define QUAR_MAX	 1024  /* containers quarantined in one run */
#define QUAR_JOBS	 64    /* quarantines asked for and not yet reported, at once */
#define QUAR_FLOWS	 8     /* flows remembered per container as acted on */
#define STATE_BURST	 5     /* refreshes after a state change (the first at once) */
#define STATE_BURST_MS	 200   /* between them */
#define FORCED_REFRESH_S 0.5   /* an alert from an unknown address, or a flow record */
			       /* with an unnamed end (live_inv.c), lists again after this */
#define FORCED_UNCOVERED 5     /* a record's listings for uncovered namespaces, per run */

struct target {
	char *name; /* the container's name or ID, or the namespace path */
	int nsfd;
	dev_t dev;
	ino_t ino;
	struct net_nfq *q;
	bool rules;
	bool ctr;    /* a container's namespace (not the host's): the inventory names its flows */
	bool listed; /* some listing read it (live_inv.c: uncovered) */
};

/* A container list several threads hold: the packet thread's inventory and
 * the quarantine jobs that borrow it; freed by the last to let go. A list
 * whose inventory kept addresses of an older one (a running container the
 * listing could not read: live_inv.c) holds that one too. */
struct inv_ref {
	struct bh_ctr_list *l;
	int refs; /* __atomic */
	struct inv_ref **held;
	size_t nheld;
};

/* One quarantine for the worker: asked by the packet thread, done there. */
struct quar_job {
	char *id, *name, *reason;
	struct inv_ref *inv;
	struct timespec t0; /* the offending packet's read */
	/* the worker's answer */
	struct bh_quar_record *r;
	char *why;
	uint64_t ns;
};

/* A container the run acted on: a job in flight, or done; the flows that
 * asked (a retransmission of one of them asks no more). */
struct quar_ctr {
	char *id;
	bool pending;
	uint8_t flows[QUAR_FLOWS][36];
	unsigned nflows;
};

struct live {
	const struct bh_net_live_opts *o;
	const char *ipt[2];
	struct target *t;
	size_t n;
	struct bh_net_engine *e;
	const struct bh_netpol *pol; /* the policy running (opts' or swapped in: live_swap.c) */
	struct bh_net_live_stats *st;
	uint32_t mark;
	uint8_t *buf;			 /* NET_NFQ_RX_BATCH datagrams' room */
	uint8_t *bufs[NET_NFQ_RX_BATCH]; /* each one's, in buf */
	/* the inventory: every running container's addresses (refresh) */
	bool want_inv;
	struct inv_ref *inv;
	struct addr_ent *addrs;
	size_t naddrs;
	uint32_t *ahash; /* addrs by address (live_inv.c: addr_index) */
	size_t amask;
	double last_refresh;
	size_t uncovered;	    /* container namespaces put through no listing read yet */
	unsigned uncovered_lists;   /* listings a record made for them (FORCED_UNCOVERED) */
	struct bh_ctr_watch *watch; /* the runtimes' state directories, or NULL */
	unsigned burst;		    /* refreshes still due after a state change */
	/* quarantine */
	bool quar_rules; /* the policy has rules with verdict quarantine */
	struct quar_ctr *quar;
	size_t nquar;
	double quar_failed; /* when an apply last failed: the next waits a second */
	/* the worker: jobs in, answers out (rings of QUAR_JOBS under qmu), the
	 * eventfd that wakes the packet thread's poll for the answers */
	pthread_t qth;
	bool qth_up, qstop;
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	struct quar_job *jobs[QUAR_JOBS], *done[QUAR_JOBS];
	unsigned jhead, jtail, dhead, dtail;
	unsigned inflight; /* jobs asked and not yet collected (packet thread) */
	int qevfd;
	struct timespec t0; /* when the packet being judged was read */
	/* the bare-ACK rules could not be put in (no bpf match: xt_bpf), or
	 * were left out (opts.no_bare_match): an offloaded flow's bare ACKs the
	 * other way are queued; what iptables said */
	bool bare_off;
	char bare_why[IPT_ERR_MAX];
};

struct addr_ent {
	uint8_t a[16];
	const struct bh_ctr *c; /* in owner's list */
	struct inv_ref *owner;	/* live.inv, or a list it holds (kept addresses) */
	dev_t ns_dev;		/* the network namespace the address is in */
	ino_t ns_ino;
};

struct inv_ref *net_live_inv_get(struct inv_ref *r);
void net_live_inv_put(struct inv_ref *r);
double net_live_now(void);
/* List the containers again and read each running one's addresses. */
int net_live_refresh(struct live *L, struct bh_error **err);
/* Make v[0..n) the inventory (inv's entries, or lists inv holds; both taken),
 * indexed by hash (mask) or, when NULL, anew; the old one let go. */
void net_live_inv_set(struct live *L, struct inv_ref *inv, struct addr_ent *v, size_t n,
		      uint32_t *hash, size_t mask);
bool net_live_ctr_alive(const struct bh_ctr *c);
const struct addr_ent *net_live_ent_of_addr(const struct live *L, const uint8_t a[16]);
const struct bh_ctr *net_live_ctr_of_addr(const struct live *L, const uint8_t a[16]);
/* The containers of r's ends by address (an end named already is kept); an
 * end not found lists again first when a container namespace put through
 * had no address in any listing yet (at most every FORCED_REFRESH_S). The
 * names point into the inventory: valid until the next refresh. */
void net_live_name_ends(struct live *L, struct bh_net_flow_record *r);

bool net_live_quarantines(const struct live *L, const struct bh_net_pkt_alert *a);
bool net_live_quarantine_client(struct live *L, const struct target *t, unsigned hook,
				const struct bh_net_pkt_alert *a);
void net_live_quar_collect(struct live *L);
int net_live_quar_start(struct live *L, struct bh_error **err);
void net_live_quar_stop(struct live *L);

/* live_swap.c (netpol19): a policy handed over through opts.swap taken (a
 * no-op when none waits); the run says it runs or no longer does. */
void net_live_swap_take(struct live *L);
void net_live_swap_running(struct live *L, bool running);

#endif
