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
		for (size_t i = 0; i < r->nheld; i++)
			net_live_inv_put(r->held[i]);
		free(r->held);
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

/* Whether pid's network namespace is still (dev, ino): the process whose
 * addresses those were still runs there (a pid reused elsewhere is not). */
static bool pid_in_ns(pid_t pid, dev_t dev, ino_t ino)
{
	char path[64];
	struct stat s;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return pid > 0 && stat(path, &s) == 0 && s.st_dev == dev && s.st_ino == ino;
}

/*
 * Keep, in a new inventory v[0..*n) (of inv's list, whose containers read[i]
 * says had their namespace read; hash, mask: its index), each address of the
 * old one (L->addrs) that the new
 * listing did not name and whose container it could not read (left out of
 * the list: its state unreadable meanwhile; or listed, its namespace not
 * readable) while its init still runs in the namespace the address was read
 * in. A container is never forgotten because one listing missed it: its
 * flows stay named (the refresh that failed as a whole keeps the whole list,
 * the same way). The entries kept point into their own lists (owner); the
 * new list holds those. Returns how many were kept.
 */
static size_t keep_unread(const struct live *L, struct inv_ref *inv, const bool *read,
			  struct addr_ent **v, size_t *n, const uint32_t *hash, size_t mask)
{
	size_t kept = 0, n0 = *n;

	for (size_t i = 0; i < L->naddrs; i++) {
		const struct addr_ent *o = &L->addrs[i];
		bool named = false, listed = false;

		for (size_t k = addr_hash(o->a, mask); hash[k] && !named; k = (k + 1) & mask)
			named = !memcmp((*v)[hash[k] - 1].a, o->a, 16);
		if (named)
			continue; /* the new listing says whose it is */
		for (size_t k = 0; k < inv->l->n && !listed; k++)
			listed = read[k] && !strcmp(inv->l->v[k].id, o->c->id);
		if (listed || !pid_in_ns(o->c->pid, o->ns_dev, o->ns_ino))
			continue; /* read anew without it, or gone */
		if (*n == ADDRS_MAX)
			break;
		*v = bh_reallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = *o;
		kept++;
		bh_debug("net run: container %s: an address kept (the listing did not read it)",
			 o->c->id);
	}
	/* the lists the kept entries point into, held once each */
	for (size_t i = n0; i < *n; i++) {
		struct inv_ref *w = (*v)[i].owner;
		bool have = false;

		for (size_t k = 0; k < inv->nheld && !have; k++)
			have = inv->held[k] == w;
		if (have)
			continue;
		inv->held = bh_reallocarray(inv->held, inv->nheld + 1, sizeof(*inv->held));
		inv->held[inv->nheld++] = net_live_inv_get(w);
	}
	return kept;
}

/* How many of the container namespaces put through no listing read yet
 * (mark_read) or had an address in, the inventory v[0..n) included. One
 * listed before and not now is gone (a missed one is kept: keep_unread): no
 * reason to list again. */
static size_t uncovered(struct live *L, const struct addr_ent *v, size_t n)
{
	size_t u = 0;

	for (size_t i = 0; i < L->n; i++) {
		struct target *t = &L->t[i];

		for (size_t k = 0; k < n && t->ctr && !t->listed; k++)
			t->listed = v[k].ns_dev == t->dev && v[k].ns_ino == t->ino;
		u += t->ctr && !t->listed;
	}
	return u;
}

/* A listing read the namespace s: the targets in it are covered, addresses
 * or none (a container with only a loopback is no reason to list again). */
static void mark_read(struct live *L, const struct stat *s)
{
	for (size_t i = 0; i < L->n; i++)
		if (L->t[i].dev == s->st_dev && L->t[i].ino == s->st_ino)
			L->t[i].listed = true;
}

/* List the containers again and read each running one's addresses; the old
 * list is kept when the new one cannot be made, and the addresses of a
 * running container the new one could not read (keep_unread). A container in
 * the host's namespace has no address of its own; a namespace several share
 * (a pod) gives its addresses to the first. */
int net_live_refresh(struct live *L, struct bh_error **err)
{
	struct bh_ctr_list *l = NULL;
	struct addr_ent *v = NULL;
	struct inv_ref *inv;
	size_t n = 0, nseen = 0, mask = 0;
	ino_t *seen = NULL;
	uint32_t *hash;
	bool *read = NULL;
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
	read = bh_calloc(l->n + 1, sizeof(*read));
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
		if (fstat(fd, &s) < 0) {
			close(fd);
			continue;
		}
		if (s.st_dev == hs.st_dev && s.st_ino == hs.st_ino) {
			read[i] = true; /* the host's: no address of its own */
			close(fd);
			continue;
		}
		for (size_t k = 0; k < nseen && !dup; k++)
			dup = seen[k] == s.st_ino;
		read[i] = dup;
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
			} else {
				read[i] = true;
				mark_read(L, &s);
			}
		}
		close(fd);
	}
out:
	if (self >= 0)
		close(self);
	free(seen);
	if (rc < 0) {
		free(read);
		free(v);
		bh_ctr_list_free(l);
		return rc;
	}
	inv = bh_calloc(1, sizeof(*inv));
	inv->l = l;
	inv->refs = 1;
	for (size_t i = 0; i < n; i++)
		v[i].owner = inv;
	hash = addr_index(v, n, &mask);
	if (keep_unread(L, inv, read, &v, &n, hash, mask)) {
		free(hash);
		hash = NULL;
	}
	free(read);
	net_live_inv_set(L, inv, v, n, hash, mask);
	L->st->refreshes++;
	return 0;
}

void net_live_inv_set(struct live *L, struct inv_ref *inv, struct addr_ent *v, size_t n,
		      uint32_t *hash, size_t mask)
{
	if (!hash)
		hash = addr_index(v, n, &mask);
	free(L->addrs);
	free(L->ahash);
	L->ahash = hash;
	L->amask = mask;
	net_live_inv_put(L->inv);
	L->inv = inv;
	L->addrs = v;
	L->naddrs = n;
	L->uncovered = uncovered(L, v, n);
	L->st->addresses = n;
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

void net_live_name_ends(struct live *L, struct bh_net_flow_record *r)
{
	const struct bh_ctr *c;
	double now;

	/* an end not found: a container namespace we put through that no
	 * listing read yet means the inventory is behind (a container the
	 * listings missed), not that the end is outside: list again, once per
	 * FORCED_REFRESH_S, FORCED_UNCOVERED times at most (one whose container
	 * exited before any listing stays uncovered: not a listing every
	 * FORCED_REFRESH_S on the packet thread for the rest of the run) */
	if (L->want_inv && L->uncovered && L->uncovered_lists < FORCED_UNCOVERED &&
	    ((!r->client_ctr_id && !net_live_ent_of_addr(L, r->client_addr)) ||
	     (!r->server_ctr_id && !net_live_ent_of_addr(L, r->server_addr))) &&
	    (now = net_live_now()) - L->last_refresh >= FORCED_REFRESH_S) {
		struct bh_error *e = NULL;

		bh_debug("net run: a flow's end unnamed, %zu container namespaces without an "
			 "address: listing again",
			 L->uncovered);
		if (net_live_refresh(L, &e) < 0)
			L->st->refresh_errors++;
		bh_error_free(e);
		L->last_refresh = now;
		L->uncovered_lists++;
	}
	if (!r->client_ctr_id && (c = net_live_ctr_of_addr(L, r->client_addr))) {
		r->client_ctr_id = c->id;
		r->client_ctr_name = c->name;
	}
	if (!r->server_ctr_id && (c = net_live_ctr_of_addr(L, r->server_addr))) {
		r->server_ctr_id = c->id;
		r->server_ctr_name = c->name;
	}
}
