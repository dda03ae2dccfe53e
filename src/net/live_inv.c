/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live path's inventory (see live.c): every running container's
 * addresses, refreshed every refresh_ms and at once when a runtime's state
 * directory changes (bh_ctr_watch, in live.c's poll).
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

struct inv_ref *net_live_inv_get(struct inv_ref *r)
{
	if (r)
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	return r;
}

void net_live_inv_put(struct inv_ref *r)
{
	if (r && __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		bh_ctr_list_free(r->l);
		free(r);
	}
}

double net_live_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the inventory: containers by address ------------------------------------------- */

/* Append the addresses of network namespace nsfd (loopback left out) for c.
 * Joins it on this thread and comes back, as bind_queue does. */
static int ns_addrs(int nsfd, const struct stat *ns, int self, const struct bh_ctr *c,
		    struct addr_ent **v, size_t *n, struct bh_error **err)
{
	struct ifaddrs *ifa = NULL;
	int rc = 0;

	if (setns(nsfd, CLONE_NEWNET) < 0)
		return bh_error_sys(err, errno, "net run: %s: joining its network namespace",
				    c->name ? c->name : c->id);
	if (getifaddrs(&ifa) < 0)
		rc = bh_error_sys(err, errno, "net run: %s: its addresses",
				  c->name ? c->name : c->id);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* we would run on in the container's namespace */
	for (struct ifaddrs *i = ifa; i && rc == 0; i = i->ifa_next) {
		struct addr_ent e = { .c = c, .ns_dev = ns->st_dev, .ns_ino = ns->st_ino };

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sa = (const struct sockaddr_in *)i->ifa_addr;

			if ((ntohl(sa->sin_addr.s_addr) >> 24) == 127)
				continue;
			e.a[10] = e.a[11] = 0xff;
			memcpy(e.a + 12, &sa->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)i->ifa_addr;

			if (IN6_IS_ADDR_LOOPBACK(&sa->sin6_addr))
				continue;
			memcpy(e.a, &sa->sin6_addr, 16);
		} else {
			continue;
		}
		if (*n == ADDRS_MAX) {
			rc = bh_error_set(err, BH_ERR_LIMIT,
					  "net run: more than %d container addresses", ADDRS_MAX);
			break;
		}
		*v = bh_reallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = e;
	}
	freeifaddrs(ifa);
	return rc;
}

/* The slot of address a in a table of mask+1 slots (FNV-1a). */
static size_t addr_hash(const uint8_t a[16], size_t mask)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	return h & mask;
}

/* The index of addresses v[0..n): open addressing, linear probing, a table at
 * least twice n (a power of two); slots hold index + 1, 0 empty. Equal
 * addresses (two namespaces may reuse one) keep their order: a lookup finds
 * the first, as the list did. */
static uint32_t *addr_index(const struct addr_ent *v, size_t n, size_t *mask)
{
	size_t cap = 16;
	uint32_t *t;

	while (cap < 2 * n)
		cap *= 2;
	t = bh_calloc(cap, sizeof(*t));
	*mask = cap - 1;
	for (size_t i = 0; i < n; i++) {
		size_t k = addr_hash(v[i].a, *mask);

		while (t[k])
			k = (k + 1) & *mask;
		t[k] = (uint32_t)i + 1;
	}
	return t;
}

/* List the containers again and read each running one's addresses; the old
 * list is kept when the new one cannot be made. A container in the host's
 * namespace has no address of its own; a namespace several share (a pod)
 * gives its addresses to the first. */
int net_live_refresh(struct live *L, struct bh_error **err)
{
	struct bh_ctr_list *l = NULL;
	struct addr_ent *v = NULL;
	size_t n = 0, nseen = 0;
	ino_t *seen = NULL;
	struct stat hs;
	int self, rc;

	rc = bh_ctr_list(L->o->ctr, &l, err);
	if (rc < 0)
		return bh_error_prefix(err, "net run: listing the containers");
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || fstat(self, &hs) < 0) {
		rc = bh_error_sys(err, errno, "net run: our own network namespace");
		goto out;
	}
	seen = bh_calloc(l->n + 1, sizeof(*seen));
	for (size_t i = 0; i < l->n && rc >= 0; i++) {
		const struct bh_ctr *c = &l->v[i];
		char path[64];
		struct stat s;
		bool dup = false;
		int fd;

		if (c->pid <= 0 || (c->status && !strcmp(c->status, "stopped")))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* gone meanwhile */
		if (fstat(fd, &s) < 0 || (s.st_dev == hs.st_dev && s.st_ino == hs.st_ino)) {
			close(fd);
			continue;
		}
		for (size_t k = 0; k < nseen && !dup; k++)
			dup = seen[k] == s.st_ino;
		if (!dup) {
			struct bh_error *e1 = NULL;

			seen[nseen++] = s.st_ino;
			/* one container's namespace that cannot be read (gone
			 * meanwhile, refused) leaves it out, not the others */
			if (ns_addrs(fd, &s, self, c, &v, &n, &e1) < 0) {
				if (bh_error_code(e1) == BH_ERR_LIMIT) {
					if (err)
						*err = e1;
					else
						bh_error_free(e1);
					rc = -1;
				} else {
					L->st->refresh_errors++;
					bh_error_free(e1);
				}
			}
		}
		close(fd);
	}
out:
	if (self >= 0)
		close(self);
	free(seen);
	if (rc < 0) {
		free(v);
		bh_ctr_list_free(l);
		return rc;
	}
	free(L->addrs);
	free(L->ahash);
	L->ahash = addr_index(v, n, &L->amask);
	net_live_inv_put(L->inv);
	L->inv = bh_calloc(1, sizeof(*L->inv));
	L->inv->l = l;
	L->inv->refs = 1;
	L->addrs = v;
	L->naddrs = n;
	L->st->refreshes++;
	L->st->addresses = n;
	return 0;
}

/* Whether c's init is still the process the listing saw. */
bool net_live_ctr_alive(const struct bh_ctr *c)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", (int)c->pid);
	return c->pid > 0 && access(path, F_OK) == 0;
}

const struct addr_ent *net_live_ent_of_addr(const struct live *L, const uint8_t a[16])
{
	if (!L->ahash)
		return NULL;
	for (size_t k = addr_hash(a, L->amask); L->ahash[k]; k = (k + 1) & L->amask) {
		const struct addr_ent *e = &L->addrs[L->ahash[k] - 1];

		if (!memcmp(e->a, a, 16))
			return e;
	}
	return NULL;
}

const struct bh_ctr *net_live_ctr_of_addr(const struct live *L, const uint8_t a[16])
{
	const struct addr_ent *e = net_live_ent_of_addr(L, a);

	return e ? e->c : NULL;
}
