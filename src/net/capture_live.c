/* SPDX-License-Identifier: Apache-2.0 */
/*
 * On-demand capture of a container's traffic (bh_net_capture_live): the
 * container is found in the host's inventory (bh_ctr_list: any engine, and
 * bulkhead's own state), its init's network namespace opened through
 * /proc/PID/ns/net and checked to still be that init's (start time) after
 * the open; a thread joins the namespace (setns) just to open an AF_PACKET
 * socket there, which keeps capturing in that namespace after the thread
 * is gone. Every interface of the namespace, both directions, as Linux
 * cooked capture v1 (SOCK_DGRAM: the link header is rebuilt from
 * sockaddr_ll, so any interface type reads the same), into a pcap file,
 * until a bound (duration, packets, bytes) or *stop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "bulkhead/net.h"
#include "banned.h"

#define SLL_LEN 16
#define SNAP	(BH_NET_PCAP_MAX_PACKET - SLL_LEN)

/* ---- the container's namespace ------------------------------------------ */

static int find_ctr(const struct bh_ctr_list *l, const char *ref, const struct bh_ctr **out,
		    struct bh_error **err)
{
	const struct bh_ctr *hit = NULL;
	size_t n = 0, rl = strlen(ref);

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, ref)) {
			*out = &l->v[i];
			return 0;
		}
	for (size_t i = 0; i < l->n; i++) {
		const struct bh_ctr *c = &l->v[i];

		if (rl && (!strncmp(c->id, ref, rl) || (c->name && !strcmp(c->name, ref)))) {
			hit = c;
			n++;
		}
	}
	if (n == 1) {
		*out = hit;
		return 0;
	}
	if (!n)
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "no running container with the ID, ID prefix or name \"%s\"",
				    ref);
	return bh_error_set(err, BH_ERR_USAGE, "\"%s\" is ambiguous: %zu containers match", ref, n);
}

/* The network namespace of container ref, opened; fills id. */
static int ctr_netns(const struct bh_net_capture_opts *o, char **id, struct bh_error **err)
{
	struct bh_ctr_list *l = NULL;
	const struct bh_ctr *c = NULL;
	char path[64];
	uint64_t start = 0;
	int fd = -1;

	if (bh_ctr_list(o->ctr, &l, err) < 0)
		return -1;
	if (find_ctr(l, o->container, &c, err) < 0)
		goto out;
	if (c->pid <= 0) {
		bh_error_set(err, BH_ERR_NOTFOUND, "container %s has no running process", c->id);
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		bh_error_sys(err, errno, "container %s: %s", c->id, path);
		goto out;
	}
	/* the namespace is the init's only if the init is still the same process */
	if (c->pid_start &&
	    (bh_guard_pid_start(c->pid, &start, NULL) < 0 || start != c->pid_start)) {
		close(fd);
		fd = -1;
		bh_error_set(err, BH_ERR_NOTFOUND, "container %s: its init %d is gone", c->id,
			     (int)c->pid);
		goto out;
	}
	*id = bh_strdup(c->id);
out:
	bh_ctr_list_free(l);
	return fd;
}

struct ns_sock {
	int nsfd, fd, errnum;
	const char *step;
};

static void *ns_sock_thread(void *arg)
{
	struct ns_sock *a = arg;

	if (setns(a->nsfd, CLONE_NEWNET) < 0) {
		a->errnum = errno;
		a->step = "joining the network namespace (setns)";
		return NULL;
	}
	a->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (a->fd < 0) {
		a->errnum = errno;
		a->step = "the packet socket";
	}
	return NULL;
}

/* An AF_PACKET socket in the namespace nsfd (a thread joins it and exits). */
static int socket_in(int nsfd, struct bh_error **err)
{
	struct ns_sock a = { .nsfd = nsfd, .fd = -1 };
	sigset_t all, old;
	pthread_t t;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, NULL, ns_sock_thread, &a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return bh_error_sys(err, r, "starting the namespace thread");
	pthread_join(t, NULL);
	if (a.fd < 0)
		return bh_error_sys(err, a.errnum, "%s", a.step);
	return a.fd;
}

/* ---- the capture ---------------------------------------------------------- */

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int bh_net_capture_live(const struct bh_net_capture_opts *o, struct bh_net_capture_result *res,
			struct bh_error **err)
{
	struct bh_net_pcap_writer *w = NULL;
	uint8_t *buf = NULL;
	int nsfd = -1, s = -1, rc = -1, fd = o->out_fd;
	uint64_t max_bytes = o->max_bytes ? o->max_bytes : 1024ull * 1024 * 1024;
	double t0, wait;
	struct stat st, host;

	memset(res, 0, sizeof(*res));
	if (!!o->container == !!o->netns) {
		if (fd >= 0)
			close(fd);
		return bh_error_set(err, BH_ERR_USAGE,
				    "net capture: a container or a network namespace path, one");
	}
	if (o->netns) {
		nsfd = open(o->netns, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			bh_error_sys(err, errno, "net capture: network namespace %s", o->netns);
			goto out;
		}
	} else {
		nsfd = ctr_netns(o, &res->container_id, err);
		if (nsfd < 0) {
			bh_error_prefix(err, "net capture");
			goto out;
		}
	}
	if (fstat(nsfd, &st) < 0) {
		bh_error_sys(err, errno, "net capture: the namespace");
		goto out;
	}
	res->netns_ino = (uint64_t)st.st_ino;
	res->host_netns = stat("/proc/1/ns/net", &host) == 0 && host.st_ino == st.st_ino &&
			  host.st_dev == st.st_dev;
	s = socket_in(nsfd, err);
	if (s < 0) {
		bh_error_prefix(err, "net capture");
		goto out;
	}
	if (bh_net_pcap_writer_new(fd, BH_NET_LINK_SLL, o->out_name ? o->out_name : "capture", &w,
				   err) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	buf = bh_malloc(BH_NET_PCAP_MAX_PACKET);
	if (o->on_ready)
		o->on_ready(res, o->arg);
	t0 = mono();
	for (;;) {
		struct pollfd p = { s, POLLIN, 0 };
		int k;

		if (o->stop && *o->stop)
			break;
		wait = 0.2;
		if (o->duration > 0) {
			double left = t0 + o->duration - mono();

			if (left <= 0)
				break;
			if (left < wait)
				wait = left;
		}
		k = poll(&p, 1, (int)(wait * 1000) + 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			bh_error_sys(err, errno, "net capture: poll");
			goto out;
		}
		while (k > 0) {
			struct sockaddr_ll ll;
			socklen_t sl = sizeof(ll);
			ssize_t n = recvfrom(s, buf + SLL_LEN, SNAP, MSG_DONTWAIT | MSG_TRUNC,
					     (struct sockaddr *)&ll, &sl);
			size_t cap;

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0) {
				bh_error_sys(err, errno, "net capture: recvfrom");
				goto out;
			}
			cap = (size_t)n < SNAP ? (size_t)n : SNAP;
			if (bh_net_pcap_writer_size(w) + 16 + SLL_LEN + cap > max_bytes) {
				res->stopped_by = "bytes";
				goto done;
			}
			/* Linux cooked v1: packet type, ARPHRD type, address length and
			 * address (8), protocol; all network order */
			put16(buf, ll.sll_pkttype);
			put16(buf + 2, ll.sll_hatype);
			put16(buf + 4, ll.sll_halen);
			memset(buf + 6, 0, 8);
			memcpy(buf + 6, ll.sll_addr, ll.sll_halen < 8 ? ll.sll_halen : 8);
			memcpy(buf + 14, &ll.sll_protocol, 2);
			if (bh_net_pcap_write(w, buf, SLL_LEN + cap, SLL_LEN + (size_t)n, wall(),
					      err) < 0)
				goto out;
			res->packets++;
			res->bytes += (uint64_t)n;
			if (o->count && res->packets >= o->count) {
				res->stopped_by = "count";
				goto done;
			}
		}
	}
	res->stopped_by = o->stop && *o->stop ? "signal" : "duration";
done:
	rc = 0;
out:
	if (w) {
		res->file_bytes = bh_net_pcap_writer_size(w);
		if (bh_net_pcap_writer_close(w, rc < 0 ? NULL : err) < 0)
			rc = -1;
	}
	if (fd >= 0)
		close(fd);
	if (s >= 0)
		close(s);
	if (nsfd >= 0)
		close(nsfd);
	free(buf);
	return rc;
}

void bh_net_capture_result_release(struct bh_net_capture_result *r)
{
	free(r->container_id);
	r->container_id = NULL;
}
