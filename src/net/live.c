/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live path of the container firewall (issue 16): the chosen
 * containers' network namespaces, an NFQUEUE bound in each (src/net/nfq.c),
 * iptables-nft rules that send their traffic to it (exec'd in a child that
 * joined the namespace: a GPL tool as a separate process), every packet put
 * through the packet engine and its verdict given, flows the engine calls
 * settled offloaded by a connmark. See bh_net_live_run() in net.h.
 *
 * In each namespace, for iptables and ip6tables alike (filter table):
 *
 *   -I INPUT  ! -i lo -j BULKHEAD-NET
 *   -I OUTPUT ! -o lo -j BULKHEAD-NET
 *   BULKHEAD-NET:                                  (P, O, R, U: four mark bits)
 *     -m mark --mark U/U -j CONNMARK --set-xmark 0/O|R      offload taken back
 *     -m mark --mark U/U -j ACCEPT
 *     -p tcp ! --tcp-flags FIN,RST NONE -m mark ! --mark P/P
 *        -j NFQUEUE --queue-num Q [--queue-bypass]                     ends
 *     -m connmark --mark O/O -m conntrack --ctdir ORIGINAL -j ACCEPT    offloaded
 *     -m connmark --mark R/R -m conntrack --ctdir REPLY -j ACCEPT       offloaded
 *     -p tcp --tcp-flags SYN,FIN,RST NONE -m connmark --mark O/O
 *        -m conntrack --ctdir REPLY -m bpf --bytecode BARE -j ACCEPT     bare ACKs
 *     -p tcp --tcp-flags SYN,FIN,RST NONE -m connmark --mark R/R
 *        -m conntrack --ctdir ORIGINAL -m bpf --bytecode BARE -j ACCEPT  bare ACKs
 *     -m mark --mark P/P -m conntrack --ctdir ORIGINAL -j CONNMARK --set-xmark O/O
 *     -m mark --mark P/P -m conntrack --ctdir REPLY -j CONNMARK --set-xmark R/R
 *     -m mark --mark P/P -j ACCEPT
 *     -j NFQUEUE --queue-num Q [--queue-bypass]         bypass only when fail-open
 *
 * Offload is per direction: a bulk transfer's data is settled once scanned
 * (an unknown protocol's first MiB), while its bare ACKs the other way never
 * are; a request/response flow whose dissector never parses the replies
 * (Redis, Kafka, MongoDB, PostgreSQL past its startup) has its reply
 * direction settled once identified and decided, its requests never (each
 * is inspected: a later one can still be dropped). A packet whose
 * direction is settled gets NF_REPEAT with mark bit P
 * added: it goes through the hook again, its connection gets that
 * direction's bit, and that direction's later packets never reach the queue
 * (so a flow record counts only what was queued). The direction opposite
 * an offloaded one sends its bare segments (no payload, no SYN/FIN/RST:
 * the ACKs of a bulk transfer, as many as its data segments) past the
 * queue too: BARE is a classic BPF test that the IP length is the IP and
 * TCP headers' (IPv6: TCP right after the fixed header, else queued), so
 * any byte of payload that way is still queued and inspected, and the
 * flow's end (FIN, RST) is seen. The first rule sends every TCP FIN and
 * RST to the queue, before the offloaded directions are accepted: the
 * server's close of a connection whose replies are offloaded (Redis) ends
 * its flow then, not at tcp_idle. Without the bare rules an offloaded transfer's ACKs
 * all came to the queue and cost as much as queueing it whole. When the bpf
 * match (xt_bpf) is missing, the two bare-ACK rules are left out and the run
 * goes on with a warning (on_warning, stats.bare_queued): those ACKs are
 * queued as before, offload still spares the data. Fail-open: the kernel
 * accepts when no one is bound (--queue-bypass: we died) or the queue is
 * full (NFQA_CFG_F_FAIL_OPEN); fail-closed: it drops. A flow a dissector
 * gave up on is never settled again (engine.c): its packets come back with
 * NF_REPEAT and bit U, whose rules clear both directions' connmark bits and
 * accept, so a direction offloaded before the give-up (Redis replies, then
 * garbage requests) is queued and inspected again. A chain a killed run
 * left is removed at the next
 * start (bh_net_live_cleanup).
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

/* ---- iptables in a namespace ------------------------------------------------------- */

/* Run argv in the network namespace nsfd; its stderr (cut) into errbuf.
 * 0 when it exited 0, 1 when it exited otherwise, <0 when it could not run. */
static int run_in_ns(int nsfd, const char *const *argv, char *errbuf, size_t errcap,
		     struct bh_error **err)
{
	int p[2], st;
	pid_t pid;
	size_t got = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return bh_error_sys(err, errno, "net run: a pipe for %s", argv[0]);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return bh_error_sys(err, errno, "net run: fork for %s", argv[0]);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(p[1], 2) < 0)
			_exit(126);
		if (setns(nsfd, CLONE_NEWNET) < 0)
			_exit(125);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		char junk[256];
		ssize_t r;

		if (got + 1 < errcap)
			r = read(p[0], errbuf + got, errcap - 1 - got);
		else
			r = read(p[0], junk, sizeof(junk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (got + 1 < errcap)
			got += (size_t)r;
	}
	errbuf[got] = 0;
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return bh_error_sys(err, errno, "net run: waiting for %s", argv[0]);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "net run: cannot run %s (install Debian's "
				    "iptables)",
				    argv[0]);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 125)
		return bh_error_set(err, BH_ERR_IO,
				    "net run: cannot join the network namespace "
				    "for %s",
				    argv[0]);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
}

/* Remove our chain and the jumps to it, ignoring what is not there. */
static int cleanup_ns(int nsfd, const char *const ipt[2], struct bh_error **err)
{
	char ebuf[IPT_ERR_MAX];
	int rc;

	for (int f = 0; f < 2; f++) {
		static const char *const hooks[2][2] = { { "INPUT", "-i" }, { "OUTPUT", "-o" } };

		for (int h = 0; h < 2; h++)
			for (int i = 0; i < 16; i++) { /* every jump a crashed run left */
				const char *a[] = {
					ipt[f],	     "-w", "-D", hooks[h][0],	    "!",
					hooks[h][1], "lo", "-j", BH_NET_LIVE_CHAIN, NULL
				};

				rc = run_in_ns(nsfd, a, ebuf, sizeof(ebuf), err);
				if (rc < 0)
					return rc;
				if (rc)
					break;
			}
		{
			const char *fl[] = { ipt[f], "-w", "-F", BH_NET_LIVE_CHAIN, NULL };
			const char *x[] = { ipt[f], "-w", "-X", BH_NET_LIVE_CHAIN, NULL };

			rc = run_in_ns(nsfd, fl, ebuf, sizeof(ebuf), err);
			if (rc < 0)
				return rc;
			rc = run_in_ns(nsfd, x, ebuf, sizeof(ebuf), err);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/*
 * The classic BPF program of the bare-segment rules, in the form iptables'
 * bpf match takes ("N,code jt jf k,..."): 1 when the TCP segment (the rule
 * matched -p tcp) carries no payload. iptables hands the program the packet
 * from its IP header. IPv4: X = IHL*4, A = TCP data offset*4 + X, then the
 * total length minus A. IPv6: the next header must be TCP (no extension
 * header: else 0, queued), payload length minus the data offset*4.
 */
static void bare_bytecode(bool v6, char *out, size_t cap)
{
	static const struct sock_filter p4[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 12),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 2),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 2),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	static const struct sock_filter p6[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 8),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40 + 12),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 2),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	const struct sock_filter *f = v6 ? p6 : p4;
	size_t n = v6 ? sizeof(p6) / sizeof(*p6) : sizeof(p4) / sizeof(*p4);
	size_t off = (size_t)snprintf(out, cap, "%zu", n);

	for (size_t i = 0; i < n && off < cap; i++)
		off += (size_t)snprintf(out + off, cap - off, ",%u %u %u %u", f[i].code, f[i].jt,
					f[i].jf, f[i].k);
}

static int install_ns(struct live *L, struct target *t, struct bh_error **err)
{
	char p[32], om[32], rm[32], um[32], both[32], q[8], bare[256], ebuf[IPT_ERR_MAX];
	const char *bypass = L->o->fail_closed ? NULL : "--queue-bypass";
	int rc;

	snprintf(p, sizeof(p), "0x%x/0x%x", L->mark, L->mark);
	snprintf(om, sizeof(om), "0x%x/0x%x", L->mark << 1, L->mark << 1);
	snprintf(rm, sizeof(rm), "0x%x/0x%x", L->mark << 2, L->mark << 2);
	snprintf(um, sizeof(um), "0x%x/0x%x", L->mark << 3, L->mark << 3);
	snprintf(both, sizeof(both), "0x0/0x%x", L->mark << 1 | L->mark << 2);
	snprintf(q, sizeof(q), "%u", L->o->queue);
	for (int f = 0; f < 2; f++) {
		const char *ipt = L->ipt[f];
		const char *const cmds[][26] = {
			{ ipt, "-w", "-N", BH_NET_LIVE_CHAIN, NULL },
			/* a flow given up on: its offload taken back */
			{ ipt, "-w", "-A", BH_NET_LIVE_CHAIN, "-m", "mark", "--mark", um, "-j",
			  "CONNMARK", "--set-xmark", both, NULL },
			{ ipt, "-w", "-A", BH_NET_LIVE_CHAIN, "-m", "mark", "--mark", um, "-j",
			  "ACCEPT", NULL },
			/* a connection's end is seen whichever way is offloaded */
			{ ipt,	     "-w",	    "-A", BH_NET_LIVE_CHAIN,
			  "-p",	     "tcp",	    "!",  "--tcp-flags",
			  "FIN,RST", "NONE",	    "-m", "mark",
			  "!",	     "--mark",	    p,	  "-j",
			  "NFQUEUE", "--queue-num", q,	  bypass,
			  NULL },
			{ ipt, "-w", "-A", BH_NET_LIVE_CHAIN, "-m", "connmark", "--mark", om, "-m",
			  "conntrack", "--ctdir", "ORIGINAL", "-j", "ACCEPT", NULL },
			{ ipt, "-w", "-A", BH_NET_LIVE_CHAIN, "-m", "connmark", "--mark", rm, "-m",
			  "conntrack", "--ctdir", "REPLY", "-j", "ACCEPT", NULL },
			{ ipt,	   "-w",  "-A",		 BH_NET_LIVE_CHAIN,
			  "-p",	   "tcp", "--tcp-flags", "SYN,FIN,RST",
			  "NONE",  "-m",  "connmark",	 "--mark",
			  om,	   "-m",  "conntrack",	 "--ctdir",
			  "REPLY", "-m",  "bpf",	 "--bytecode",
			  bare,	   "-j",  "ACCEPT",	 NULL },
			{ ipt,	      "-w",  "-A",	    BH_NET_LIVE_CHAIN,
			  "-p",	      "tcp", "--tcp-flags", "SYN,FIN,RST",
			  "NONE",     "-m",  "connmark",    "--mark",
			  rm,	      "-m",  "conntrack",   "--ctdir",
			  "ORIGINAL", "-m",  "bpf",	    "--bytecode",
			  bare,	      "-j",  "ACCEPT",	    NULL },
			{ ipt, "-w", "-A", BH_NET_LIVE_CHAIN, "-m", "mark", "--mark", p, "-m",
			  "conntrack", "--ctdir", "ORIGINAL", "-j", "CONNMARK", "--set-xmark", om,
			  NULL },
			{ ipt, "-w", "-A", BH_NET_LIVE_CHAIN, "-m", "mark", "--mark", p, "-m",
			  "conntrack", "--ctdir", "REPLY", "-j", "CONNMARK", "--set-xmark", rm,
			  NULL },
			{ ipt, "-w", "-A", BH_NET_LIVE_CHAIN, "-m", "mark", "--mark", p, "-j",
			  "ACCEPT", NULL },
			{ ipt, "-w", "-A", BH_NET_LIVE_CHAIN, "-j", "NFQUEUE", "--queue-num", q,
			  bypass, NULL },
			{ ipt, "-w", "-I", "INPUT", "!", "-i", "lo", "-j", BH_NET_LIVE_CHAIN,
			  NULL },
			{ ipt, "-w", "-I", "OUTPUT", "!", "-o", "lo", "-j", BH_NET_LIVE_CHAIN,
			  NULL },
		};

		bare_bytecode(f == 1, bare, sizeof(bare));
		if (L->o->no_bare_match && !L->bare_off) {
			L->bare_off = true;
			snprintf(L->bare_why, sizeof(L->bare_why),
				 "left out (no_bare_match: as if the bpf match were missing)");
		}
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			bool bare_rule = i == 6 || i == 7; /* the two with -m bpf */

			if (bare_rule && L->bare_off)
				continue;
			t->rules = true;
			rc = run_in_ns(t->nsfd, cmds[i], ebuf, sizeof(ebuf), err);
			if (rc < 0)
				return bh_error_prefix(err, "%s", t->name);
			if (rc && bare_rule) {
				/* no bpf match (xt_bpf): queue bare ACKs as before */
				trim(ebuf);
				L->bare_off = true;
				snprintf(L->bare_why, sizeof(L->bare_why),
					 "%s -m bpf failed: %.400s", ipt,
					 ebuf[0] ? ebuf : "(no message)");
				continue;
			}
			if (rc) {
				trim(ebuf);
				return bh_error_set(err, BH_ERR_IO, "%s: %s %s %s failed: %s",
						    t->name, ipt, cmds[i][2], cmds[i][3],
						    ebuf[0] ? ebuf : "(no message)");
			}
		}
	}
	return 0;
}

int bh_net_live_cleanup(const char *netns, const char *iptables, const char *ip6tables,
			struct bh_error **err)
{
	const char *ipt[2] = { iptables ? iptables : "iptables-nft",
			       ip6tables ? ip6tables : "ip6tables-nft" };
	int fd = open(netns, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return bh_error_sys(err, errno, "net run: network namespace %s", netns);
	rc = cleanup_ns(fd, ipt, err);
	close(fd);
	return rc;
}

/* ---- the targets --------------------------------------------------------------------- */

/* Put the network namespace at path through; ctr: a container's (its flows
 * are named through the inventory, unless it is the host's). */
static int add_target(struct live *L, const char *name, const char *path, bool ctr,
		      struct bh_error **err)
{
	struct stat hs;
	struct stat s;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_sys(err, errno, "net run: %s: network namespace %s", name, path);
	if (fstat(fd, &s) < 0) {
		close(fd);
		return bh_error_sys(err, errno, "net run: %s: stat %s", name, path);
	}
	if (ctr && stat("/proc/self/ns/net", &hs) == 0 && hs.st_dev == s.st_dev &&
	    hs.st_ino == s.st_ino)
		ctr = false; /* the host's network: no address of its own */
	for (size_t i = 0; i < L->n; i++)
		if (L->t[i].dev == s.st_dev && L->t[i].ino == s.st_ino) {
			L->t[i].ctr |= ctr;
			close(fd); /* a namespace the containers of a pod share */
			return 0;
		}
	if (L->n == BH_NET_LIVE_TARGETS_MAX) {
		close(fd);
		return bh_error_set(err, BH_ERR_LIMIT, "net run: more than %d network namespaces",
				    BH_NET_LIVE_TARGETS_MAX);
	}
	L->t = realloc(L->t, (L->n + 1) * sizeof(*L->t));
	if (!L->t)
		abort();
	L->t[L->n++] =
		(struct target){ bh_strdup(name), fd, s.st_dev, s.st_ino, NULL, false, ctr, false };
	return 0;
}

static int add_ctr(struct live *L, const struct bh_ctr *c, struct bh_error **err)
{
	char path[64];

	if (c->pid <= 0)
		return bh_error_set(err, BH_ERR_NOTFOUND, "net run: container %s is not running",
				    c->name ? c->name : c->id);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
	return add_target(L, c->name ? c->name : c->id, path, true, err);
}

static bool label_match(const struct bh_ctr *c, const char *kv)
{
	const char *eq = strchr(kv, '=');
	const char *v;
	json_t *j;
	char key[256];

	if (!eq || (size_t)(eq - kv) >= sizeof(key))
		return false;
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = 0;
	j = json_object_get(c->labels, key);
	v = json_string_value(j);
	return v && !strcmp(v, eq + 1);
}

static int resolve(struct live *L, struct bh_error **err)
{
	const struct bh_net_live_opts *o = L->o;
	struct bh_ctr_list *l = NULL;
	int rc = 0;

	for (const char *const *p = o->netns; p && *p; p++)
		if ((rc = add_target(L, *p, *p, false, err)) < 0)
			return rc;
	if (!o->all && !(o->containers && *o->containers) && !(o->labels && *o->labels))
		goto done;
	rc = bh_ctr_list(o->ctr, &l, err);
	if (rc < 0)
		return bh_error_prefix(err, "net run: listing the containers");
	for (const char *const *r = o->containers; r && *r && rc >= 0; r++) {
		const struct bh_ctr *hit = NULL;
		size_t n = 0, rl = strlen(*r);

		for (size_t i = 0; i < l->n && !hit; i++)
			if (!strcmp(l->v[i].id, *r))
				hit = &l->v[i], n = 1;
		if (!hit)
			for (size_t i = 0; i < l->n; i++)
				if (!strncmp(l->v[i].id, *r, rl) ||
				    (l->v[i].name && !strcmp(l->v[i].name, *r)))
					hit = &l->v[i], n++;
		if (n == 0)
			rc = bh_error_set(err, BH_ERR_NOTFOUND,
					  "net run: no container with the ID, ID prefix or name "
					  "\"%s\"",
					  *r);
		else if (n > 1)
			rc = bh_error_set(err, BH_ERR_USAGE,
					  "net run: \"%s\" is ambiguous: %zu containers match", *r,
					  n);
		else
			rc = add_ctr(L, hit, err);
	}
	for (size_t i = 0; i < l->n && rc >= 0; i++) {
		const struct bh_ctr *c = &l->v[i];
		bool take = o->all && c->pid > 0;

		for (const char *const *k = o->labels; k && *k && !take; k++)
			take = label_match(c, *k) && c->pid > 0;
		if (take)
			rc = add_ctr(L, c, err);
	}
	bh_ctr_list_free(l);
	if (rc < 0)
		return rc;
done:
	if (!L->n)
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "net run: no network namespace to put through (no container "
				    "matched)");
	return 0;
}

/* The engine's callbacks: ours first, then the caller's with its own arg. */
static void live_endpoint(const uint8_t addr[16], struct bh_netpol_endpoint *ep, void *arg)
{
	struct live *L = arg;
	const struct bh_ctr *c;

	if (L->o->engine.endpoint)
		L->o->engine.endpoint(addr, ep, L->o->engine.arg);
	if (ep->labels || ep->image || ep->container_id)
		return;
	c = net_live_ctr_of_addr(L, addr);
	if (c) {
		ep->labels = c->labels;
		ep->image = c->image;
		ep->container_id = c->id;
	}
}

/* admit17: the flow with the containers of its ends, found by address */
static void live_on_flow(const struct bh_net_flow_record *rec, void *arg)
{
	struct live *L = arg;
	struct bh_net_flow_record r = *rec;

	if (!L->o->engine.on_flow)
		return;
	net_live_name_ends(L, &r);
	L->o->engine.on_flow(&r, L->o->engine.arg);
}

/* an alert as it happens, with the containers of the flow's ends */
static void live_on_alert(const struct bh_net_flow_record *rec, const struct bh_net_alert *a,
			  void *arg)
{
	struct live *L = arg;
	struct bh_net_flow_record r = *rec;

	net_live_name_ends(L, &r);
	L->o->engine.on_alert(&r, a, L->o->engine.arg);
}

static void live_on_record(const struct bh_net_flow_record *flow, const struct bh_net_rec *rec,
			   void *arg)
{
	struct live *L = arg;

	if (L->o->engine.on_record)
		L->o->engine.on_record(flow, rec, L->o->engine.arg);
}

/* ---- packets ----------------------------------------------------------------------- */

static uint64_t ns_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)t.tv_nsec -
	       (uint64_t)t0->tv_nsec;
}

/* The hold histogram's bucket of ns: [2^i, 2^(i+1)) microseconds, the first
 * below 2 us, the last open. */
static unsigned hold_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned b = 0;

	while (us >= 2 && b < BH_NET_HOLD_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	return b;
}

/* Judge the packets of one datagram (its verdicts appended, not sent); the
 * count judged in *judged. */
static int judge(struct live *L, struct target *t, const uint8_t *buf, size_t n, unsigned *judged,
		 struct bh_error **err)
{
	struct bh_net_live_stats *st = L->st;
	size_t off = 0;
	int rc;

	while (off < n) {
		struct net_nfq_pkt pk;
		enum bh_net_verdict v = BH_NET_ACCEPT;
		size_t used;
		int code;
		bool looped;
		enum net_nfq_msg m = net_nfq_parse(buf + off, n - off, &pk, &code, &used);

		if (m == NET_NFQ_MALFORMED) {
			st->malformed++;
			break;
		}
		off += used;
		if (m != NET_NFQ_PACKET)
			continue;
		/* it carries P or U already: our chain never queues such a
		 * packet, so a rule before our jump (or another queue rule)
		 * rewrote its mark; NF_REPEAT could loop it forever: accept */
		looped = pk.has_mark && (pk.mark & (L->mark | L->mark << 3));
		st->packets++;
		(*judged)++;
		if (pk.cap_len && pk.cap_len > pk.payload_len)
			st->truncated++;
		if (L->e)
			bh_net_engine_packet(L->e, pk.payload, pk.payload_len, BH_NET_LINK_RAW,
					     net_live_now(), &v);
		if (L->e && L->o->quarantine && (L->o->quarantine_severity || L->quar_rules)) {
			struct bh_net_pkt_alert a;

			/* the offending packet is dropped: the cut comes from
			 * the worker, a little later */
			if (bh_net_engine_alert(L->e, &a) && net_live_quarantines(L, &a) &&
			    net_live_quarantine_client(L, t, pk.hook, &a))
				v = BH_NET_DROP;
		}
		if (v == BH_NET_DROP) {
			st->dropped++;
			rc = net_nfq_verdict(t->q, pk.id, NF_DROP, false, 0, err);
		} else if (L->e && L->o->offload && !looped && bh_net_engine_take_back(L->e)) {
			/* never settled again: a direction offloaded before
			 * (Redis replies) comes back to the queue; once per
			 * flow (U clears both directions' bits) */
			st->unoffloaded++;
			st->accepted++;
			rc = net_nfq_verdict(t->q, pk.id, NF_REPEAT, true,
					     (pk.has_mark ? pk.mark : 0) | L->mark << 3, err);
		} else if (L->e && L->o->offload && !looped && bh_net_engine_settled(L->e)) {
			bh_net_engine_offloaded(L->e);
			st->offloaded++;
			st->accepted++;
			rc = net_nfq_verdict(t->q, pk.id, NF_REPEAT, true,
					     (pk.has_mark ? pk.mark : 0) | L->mark, err);
		} else {
			st->accepted++;
			rc = net_nfq_verdict(t->q, pk.id, NF_ACCEPT, false, 0, err);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Send the verdicts appended since *since; the hold of their judged packets
 * counted from the read (t0), *since moved to now. */
static int flush(struct live *L, struct target *t, unsigned *unsent, struct bh_error **err)
{
	int rc;

	if (!*unsent)
		return 0;
	rc = net_nfq_send(t->q, err);
	if (rc < 0)
		return rc;
	L->st->batches++;
	/* from the read to the verdicts sent: the time a packet spent waiting
	 * for us once we had it */
	L->st->hold[hold_bucket(ns_since(&L->t0))] += *unsent;
	*unsent = 0;
	return 0;
}

/*
 * Read up to DRAIN_MAX packets from t's queue and judge them. A read takes
 * every datagram waiting, up to NET_NFQ_RX_BATCH, in one recvmmsg (the
 * kernel sends each packet in a datagram of its own). Their verdicts share
 * one sendto, but a verdict never waits more than SEND_HOLD_NS past the
 * read for the judging of the packets read with it (a slow inspection, a
 * preemption), and never for a packet not yet read. A read that found
 * fewer than it could take emptied the socket: back to poll, with no read
 * that would only say EAGAIN. Per wake-up with one packet waiting: poll,
 * recvmmsg, sendto (it was poll, recvfrom, sendto and an empty recvfrom);
 * with many, one recvmmsg and one or a few sendto per batch.
 */
static int drain(struct live *L, struct target *t, struct bh_error **err)
{
	struct bh_net_live_stats *st = L->st;
	int rc;

	for (int k = 0; k < DRAIN_MAX;) {
		size_t lens[NET_NFQ_RX_BATCH];
		unsigned judged = 0;
		bool cut = false;
		int n = net_nfq_recv_many(t->q, L->bufs, NET_NFQ_MAX_MSG, lens, NET_NFQ_RX_BATCH,
					  &cut, err);

		if (n == -ENOBUFS) {
			st->enobufs++;
			k++;
			continue;
		}
		if (n <= 0)
			return n;
		clock_gettime(CLOCK_MONOTONIC, &L->t0);
		for (int i = 0; i < n; i++) {
			if (!lens[i]) {
				st->malformed++; /* not from the kernel */
				continue;
			}
			rc = judge(L, t, L->bufs[i], lens[i], &judged, err);
			if (rc >= 0 && i + 1 < n && ns_since(&L->t0) >= SEND_HOLD_NS)
				rc = flush(L, t, &judged, err);
			if (rc < 0)
				return rc;
		}
		rc = flush(L, t, &judged, err);
		if (rc < 0)
			return rc;
		/* the others read with it had their verdicts */
		if (cut)
			return bh_error_set(
				err, BH_ERR_IO,
				"net run: %s: a queue message longer than the %d-byte buffer",
				t->name, NET_NFQ_MAX_MSG);
		k += n;
		if (n < NET_NFQ_RX_BATCH)
			break;
	}
	return 0;
}

static int bind_queue(struct live *L, struct target *t, struct bh_error **err)
{
	struct net_nfq_cfg cfg = {
		.queue = L->o->queue,
		.copy_range = L->o->copy_range ? L->o->copy_range : NET_NFQ_MAX_PAYLOAD,
		.max_len = L->o->queue_len ? L->o->queue_len : 4096,
		.fail_open = !L->o->fail_closed,
		.gso = true,
		.rcvbuf = RCVBUF,
	};
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), rc;

	if (self < 0)
		return bh_error_sys(err, errno, "net run: our own network namespace");
	if (setns(t->nsfd, CLONE_NEWNET) < 0) {
		rc = bh_error_sys(err, errno, "net run: %s: joining its network namespace",
				  t->name);
		close(self);
		return rc;
	}
	rc = net_nfq_open(&cfg, &t->q, err);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* we would run on in the container's namespace */
	close(self);
	if (rc < 0)
		return bh_error_prefix(err, "net run: %s", t->name);
	return 0;
}

int bh_net_live_run(const struct bh_net_live_opts *o, struct bh_net_live_stats *stats,
		    struct bh_error **err)
{
	struct live L = { .o = o, .st = stats, .qevfd = -1 };
	struct bh_net_opts eo = o->engine;
	struct pollfd *pfd = NULL;
	const char **names = NULL;
	double last_tick = 0;
	int rc;

	memset(stats, 0, sizeof(*stats));
	L.ipt[0] = o->iptables ? o->iptables : "iptables-nft";
	L.ipt[1] = o->ip6tables ? o->ip6tables : "ip6tables-nft";
	L.mark = o->mark ? o->mark : MARK_DEF;
	if (L.mark & (L.mark - 1) || L.mark > 0x10000000u) {
		rc = bh_error_set(err, BH_ERR_USAGE,
				  "net run: offload mark 0x%x: one bit, with three free above it",
				  L.mark);
		goto out;
	}
	rc = resolve(&L, err);
	if (rc < 0)
		goto out;
	stats->namespaces = L.n;
	L.pol = o->engine.policy;
	L.quar_rules =
		o->quarantine && o->engine.policy && bh_netpol_has_quarantine(o->engine.policy);
	/* the containers' addresses: for groups that select containers, and for
	 * a quarantine (the container of an address); a policy of CIDR groups
	 * only needs none, and no listing every refresh_ms */
	L.want_inv =
		!o->accept_all &&
		(o->name_containers || o->swap || bh_netpol_uses_containers(o->engine.policy) ||
		 (o->quarantine && (o->quarantine_severity || L.quar_rules)));
	if (L.want_inv) {
		/* watched before the first listing: a container made between the
		 * two is still seen */
		rc = bh_ctr_watch_new(o->ctr, &L.watch, err);
		if (rc < 0) {
			bh_error_prefix(err, "net run");
			goto out;
		}
		rc = net_live_refresh(&L, err);
		if (rc < 0)
			goto out;
		L.last_refresh = net_live_now();
	}
	if (!o->accept_all) {
		if (!eo.tcp_closed)
			eo.tcp_closed = 0.5;
		eo.arg = &L;
		eo.on_flow = live_on_flow;
		eo.on_record = o->engine.on_record ? live_on_record : NULL;
		eo.on_alert = o->engine.on_alert ? live_on_alert : NULL;
		eo.endpoint = live_endpoint;
		rc = bh_net_engine_new(&eo, &L.e, err);
		if (rc < 0)
			goto out;
	}
	/* a policy swapped in later may quarantine: the worker is there */
	if (o->quarantine && (o->quarantine_severity || L.quar_rules || o->swap)) {
		rc = net_live_quar_start(&L, err);
		if (rc < 0)
			goto out;
	}
	/* a batch's receive buffers: NET_NFQ_RX_BATCH of the largest message */
	L.buf = bh_malloc((size_t)NET_NFQ_RX_BATCH * NET_NFQ_MAX_MSG);
	for (size_t i = 0; i < NET_NFQ_RX_BATCH; i++)
		L.bufs[i] = L.buf + i * NET_NFQ_MAX_MSG;
	pfd = bh_calloc(L.n + 3, sizeof(*pfd));
	names = bh_calloc(L.n + 1, sizeof(*names));
	for (size_t i = 0; i < L.n; i++) {
		struct target *t = &L.t[i];

		rc = cleanup_ns(t->nsfd, L.ipt, err); /* what a killed run left */
		if (rc < 0)
			goto out;
		rc = bind_queue(&L, t, err);
		if (rc < 0)
			goto out;
		rc = install_ns(&L, t, err);
		if (rc < 0)
			goto out;
		pfd[i].fd = net_nfq_fd(t->q);
		pfd[i].events = POLLIN;
		names[i] = t->name;
	}
	pfd[L.n].fd = L.qevfd; /* -1 without quarantine: poll skips it */
	pfd[L.n].events = POLLIN;
	pfd[L.n + 1].fd = bh_ctr_watch_fd(L.watch); /* -1 without an inventory */
	pfd[L.n + 1].events = POLLIN;
	pfd[L.n + 2].fd = o->swap ? o->swap->fd : -1;
	pfd[L.n + 2].events = POLLIN;
	stats->bare_queued = L.bare_off;
	if (L.bare_off && o->on_warning) {
		char msg[IPT_ERR_MAX + 160];

		snprintf(msg, sizeof(msg),
			 "the iptables bpf match (xt_bpf) is not there: the bare ACKs of offloaded "
			 "flows are queued, not offloaded (%s)",
			 L.bare_why);
		o->on_warning(msg, o->engine.arg);
	}
	net_live_swap_running(&L, true);
	if (o->on_ready)
		o->on_ready(names, L.n, o->engine.arg);
	while (!(o->stop && *o->stop)) {
		int r = poll(pfd, L.n + 3, L.burst ? STATE_BURST_MS : 200);
		double now;

		if (r < 0 && errno != EINTR) {
			rc = bh_error_sys(err, errno, "net run: poll");
			goto out;
		}
		/* a new policy: taken between two packets, before the next are read;
		 * looked for when its eventfd says so (or at an idle poll's end),
		 * not at every round of the packet path */
		if (r == 0 || (r > 0 && (pfd[L.n + 2].revents & POLLIN)))
			net_live_swap_take(&L);
		/* a new container's state: listed before its packets are judged */
		if (r > 0 && (pfd[L.n + 1].revents & POLLIN) && bh_ctr_watch_changed(L.watch))
			L.burst = STATE_BURST;
		if (L.burst && net_live_now() - L.last_refresh >=
				       (L.burst == STATE_BURST ? 0 : STATE_BURST_MS / 1000.0)) {
			struct bh_error *e2 = NULL;

			L.burst--;
			if (net_live_refresh(&L, &e2) < 0)
				L.st->refresh_errors++;
			else
				L.st->state_refreshes++;
			bh_error_free(e2);
			L.last_refresh = net_live_now();
		}
		for (size_t i = 0; r > 0 && i < L.n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLERR)))
				continue;
			rc = drain(&L, &L.t[i], err);
			if (rc < 0) {
				bh_error_prefix(err, "net run: %s", L.t[i].name);
				goto out;
			}
		}
		if (r > 0 && (pfd[L.n].revents & POLLIN))
			net_live_quar_collect(&L);
		now = net_live_now();
		if (L.e && now - last_tick >= 0.25) {
			bh_net_engine_tick(L.e, now);
			last_tick = now;
		}
		if (L.want_inv &&
		    now - L.last_refresh >= (o->refresh_ms ? o->refresh_ms : 2000) / 1000.0) {
			/* a failed listing keeps the last one: the run goes on */
			struct bh_error *e2 = NULL;

			if (net_live_refresh(&L, &e2) < 0)
				L.st->refresh_errors++;
			bh_error_free(e2);
			L.last_refresh = now;
			bh_ctr_watch_roots(L.watch); /* roots made since */
		}
	}
	rc = 0;
out:
	net_live_swap_running(&L, false); /* a swap asked from now on is refused */
	net_live_quar_stop(&L);		  /* the asked quarantines are done and told first */
	if (L.qevfd >= 0)
		close(L.qevfd);
	for (size_t i = 0; i < L.n; i++) {
		/* the rules first: a fail-closed chain without a reader drops; the
		 * first error is the one reported */
		if (L.t[i].rules && cleanup_ns(L.t[i].nsfd, L.ipt, rc < 0 ? NULL : err) < 0 &&
		    rc == 0)
			rc = bh_error_prefix(err, "net run: removing the rules of %s", L.t[i].name);
		net_nfq_close(L.t[i].q);
		close(L.t[i].nsfd);
		free(L.t[i].name);
	}
	if (L.e) {
		bh_net_engine_flush(L.e);
		bh_net_engine_stats(L.e, &stats->engine);
		bh_net_engine_free(L.e);
	}
	free(L.t);
	free(L.buf);
	free(L.addrs);
	free(L.ahash);
	net_live_inv_put(L.inv);
	bh_ctr_watch_free(L.watch);
	for (size_t i = 0; i < L.nquar; i++)
		free(L.quar[i].id);
	free(L.quar);
	free(pfd);
	free(names);
	return rc;
}
