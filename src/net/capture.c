/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-alert captures (struct bh_net_opts, capture_dir): the engine calls
 * net_cap_packet() once per packet of a flow, after the packet went through
 * the flow, and net_cap_flow_end() when the flow ends.
 *
 * Until its first alert (a threat or a data-leak match), a flow keeps a ring
 * of its last packets as they were given to the engine (link layer and all):
 * at most ring_packets and ring_bytes (of packets) per flow, the oldest pushed
 * out; all rings together at most ring_total_bytes of memory (nodes of 192 or
 * 2048 bytes, or the packet's size, plus a header), the oldest packet of all pushed
 * out first (one list of every ring packet in arrival order: the oldest of
 * all is always the oldest of its own flow). At the alert, the ring (the
 * alerting packet last) goes to a new file in the capture directory, then
 * the flow's packets after it, until capture_packets, capture_bytes or
 * capture_seconds after the alert, or the flow's end; then the file is
 * closed. One file per flow.
 *
 * The directory: opened once (made if missing), files created in it with
 * openat(O_CREAT | O_EXCL | O_NOFOLLOW) under names this file makes
 * (bh-TIME-L4-CLIENT_PORT-SERVER_PORT-ALERT-RANDOM.pcap, no '/'), so nothing
 * is written outside it. At most capture_open files are open (the oldest
 * open one is closed early to open another); the bh-*.pcap files in the
 * directory (those found at the start too) stay under capture_dir_bytes: the
 * oldest closed ones are removed first; when only open ones are left, the
 * file being written is closed early. Everything is counted in the stats.
 */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "net/engine_int.h"
#include "banned.h"

#define SCAN_MAX 100000 /* files of the directory taken into account at the start */

enum { CAP_RING, CAP_OPEN, CAP_DONE };

struct ring_pkt {
	struct ring_pkt *gprev, *gnext; /* every ring's packets, oldest first */
	struct ring_pkt *fnext;		/* its flow's, oldest first */
	struct net_cap_flow *owner;
	double ts;
	uint32_t len, cap;
	int link;
	uint8_t data[];
};

/* Ring packets are kept in nodes of two sizes (a larger packet gets its own),
 * carved from slabs of SLAB_N nodes and reused through a free list per size
 * (a malloc per packet cost more than the rest of the engine): the steady
 * state of a full ring is a node out, a node in. Slabs are freed with the
 * engine; they never hold more than the peak of the rings, which the global
 * bound caps. */
#define SMALL_CAP 192
#define LARGE_CAP 2048
#define SLAB_N	  32

struct slab {
	struct slab *next;
	max_align_t nodes[]; /* SLAB_N nodes */
};

/* A bh-*.pcap file of the directory, oldest first. */
struct cap_file {
	struct cap_file *next;
	char *name;
	uint64_t size;
	double mtime;
	bool open;
};

struct net_cap_flow {
	struct ring_pkt *head, *tail;
	size_t n, bytes;
	int state;
	struct bh_net_pcap_writer *w;
	struct net_cap_flow *oprev, *onext; /* the open files, oldest first */
	struct cap_file *file;
	char *path;
	int link;
	double alert_ts;
	size_t after;
};

struct net_cap {
	int dirfd;
	char *dir;
	struct ring_pkt *ghead, *gtail;
	size_t gbytes; /* node memory of every ring, headers included */
	struct ring_pkt *pool[2];
	struct slab *slabs;
	struct net_cap_flow *ohead, *otail;
	size_t nopen;
	struct cap_file *fhead, *ftail;
	uint64_t dir_bytes;
	uint64_t seq;
};

/* ---- the directory ------------------------------------------------------ */

static int file_cmp(const void *a, const void *b)
{
	const struct cap_file *x = *(struct cap_file *const *)a, *y = *(struct cap_file *const *)b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void file_append(struct net_cap *c, struct cap_file *f)
{
	f->next = NULL;
	if (c->ftail)
		c->ftail->next = f;
	else
		c->fhead = f;
	c->ftail = f;
	c->dir_bytes += f->size;
}

/* The bh-*.pcap files already there, oldest first. */
static int scan_dir(struct net_cap *c, struct bh_error **err)
{
	struct cap_file **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = fcntl(c->dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return bh_error_sys(err, errno, "capture directory %s", c->dir);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return bh_error_sys(err, errno, "capture directory %s", c->dir);
	}
	while ((de = readdir(d)) && n < SCAN_MAX) {
		struct stat st;
		struct cap_file *f;

		if (!bh_str_has_prefix(de->d_name, "bh-") ||
		    !bh_str_has_suffix(de->d_name, ".pcap"))
			continue;
		if (fstatat(c->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = bh_reallocarray(v, cap, sizeof(*v));
		}
		f = bh_calloc(1, sizeof(*f));
		f->name = bh_strdup(de->d_name);
		f->size = (uint64_t)st.st_size;
		f->mtime = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
		v[n++] = f;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), file_cmp);
	for (size_t i = 0; i < n; i++)
		file_append(c, v[i]);
	free(v);
	return 0;
}

/* Remove the oldest closed files until `need` more bytes fit; false if they
 * cannot (only open files are left). */
static bool make_room(struct bh_net_engine *e, uint64_t need)
{
	struct net_cap *c = e->cap;
	uint64_t max = e->o.capture_dir_bytes;

	while (c->dir_bytes + need > max) {
		struct cap_file **at = &c->fhead, *prev = NULL, *f;

		while (*at && (*at)->open) {
			prev = *at;
			at = &(*at)->next;
		}
		f = *at;
		if (!f)
			return false;
		*at = f->next;
		if (c->ftail == f)
			c->ftail = prev;
		if (unlinkat(c->dirfd, f->name, 0) == 0 || errno == ENOENT)
			e->st.captures_removed++;
		else
			e->st.capture_errors++;
		c->dir_bytes -= f->size;
		free(f->name);
		free(f);
	}
	return true;
}

/* ---- rings -------------------------------------------------------------- */

static size_t node_size(uint32_t cap)
{
	size_t a = _Alignof(max_align_t);

	return (sizeof(struct ring_pkt) + cap + a - 1) / a * a;
}

static uint32_t node_cap(size_t len)
{
	return len <= SMALL_CAP ? SMALL_CAP : len <= LARGE_CAP ? LARGE_CAP : (uint32_t)len;
}

static struct ring_pkt *node_get(struct net_cap *c, uint32_t cap)
{
	int k = cap == SMALL_CAP ? 0 : cap == LARGE_CAP ? 1 : -1;
	struct ring_pkt *p;

	if (k < 0) {
		p = bh_malloc(node_size(cap));
		p->cap = cap;
		return p;
	}
	if (!c->pool[k]) {
		struct slab *sl = bh_malloc(sizeof(*sl) + SLAB_N * node_size(cap));

		sl->next = c->slabs;
		c->slabs = sl;
		for (int i = 0; i < SLAB_N; i++) {
			p = (struct ring_pkt *)((uint8_t *)sl->nodes + (size_t)i * node_size(cap));
			p->cap = cap;
			p->fnext = c->pool[k];
			c->pool[k] = p;
		}
	}
	p = c->pool[k];
	c->pool[k] = p->fnext;
	return p;
}

static void node_put(struct net_cap *c, struct ring_pkt *p)
{
	int k = p->cap == SMALL_CAP ? 0 : p->cap == LARGE_CAP ? 1 : -1;

	if (k < 0) {
		free(p);
		return;
	}
	p->fnext = c->pool[k];
	c->pool[k] = p;
}

static void ring_pop(struct net_cap *c, struct net_cap_flow *cf)
{
	struct ring_pkt *p = cf->head;

	cf->head = p->fnext;
	if (!cf->head)
		cf->tail = NULL;
	cf->n--;
	cf->bytes -= p->len;
	if (p->gprev)
		p->gprev->gnext = p->gnext;
	else
		c->ghead = p->gnext;
	if (p->gnext)
		p->gnext->gprev = p->gprev;
	else
		c->gtail = p->gprev;
	c->gbytes -= node_size(p->cap);
	node_put(c, p);
}

static void ring_clear(struct net_cap *c, struct net_cap_flow *cf)
{
	while (cf->head)
		ring_pop(c, cf);
}

static void ring_push(struct bh_net_engine *e, struct net_cap_flow *cf)
{
	struct net_cap *c = e->cap;
	size_t len = e->raw_len, mem;
	struct ring_pkt *p;
	uint32_t cap;

	if (len > e->o.ring_bytes || len > BH_NET_PCAP_MAX_PACKET ||
	    node_size(node_cap(len)) > e->o.ring_total_bytes) {
		e->st.ring_dropped++;
		return;
	}
	cap = node_cap(len);
	mem = node_size(cap);
	while (cf->head && (cf->n >= e->o.ring_packets || cf->bytes + len > e->o.ring_bytes))
		ring_pop(c, cf);
	while (c->ghead && c->gbytes + mem > e->o.ring_total_bytes) {
		/* the oldest of all is the oldest of its flow */
		ring_pop(c, c->ghead->owner);
		e->st.ring_dropped++;
	}
	p = node_get(c, cap);
	p->owner = cf;
	p->ts = e->now;
	p->len = (uint32_t)len;
	p->link = e->raw_link;
	memcpy(p->data, e->raw, len);
	p->fnext = NULL;
	if (cf->tail)
		cf->tail->fnext = p;
	else
		cf->head = p;
	cf->tail = p;
	cf->n++;
	cf->bytes += len;
	p->gnext = NULL;
	p->gprev = c->gtail;
	if (c->gtail)
		c->gtail->gnext = p;
	else
		c->ghead = p;
	c->gtail = p;
	c->gbytes += mem;
}

/* ---- capture files ------------------------------------------------------ */

static void open_list_del(struct net_cap *c, struct net_cap_flow *cf)
{
	if (cf->oprev)
		cf->oprev->onext = cf->onext;
	else
		c->ohead = cf->onext;
	if (cf->onext)
		cf->onext->oprev = cf->oprev;
	else
		c->otail = cf->oprev;
	cf->oprev = cf->onext = NULL;
	c->nopen--;
}

static void cap_close(struct bh_net_engine *e, struct net_cap_flow *cf)
{
	if (cf->state != CAP_OPEN)
		return;
	if (bh_net_pcap_writer_close(cf->w, NULL) < 0)
		e->st.capture_errors++;
	cf->w = NULL;
	cf->file->open = false;
	cf->file = NULL;
	open_list_del(e->cap, cf);
	cf->state = CAP_DONE;
}

static void cap_write(struct bh_net_engine *e, struct net_cap_flow *cf, const uint8_t *p,
		      size_t len, int link, double ts)
{
	struct net_cap *c = e->cap;
	uint64_t before;

	if (cf->state != CAP_OPEN || link != cf->link)
		return;
	if (!make_room(e, 16 + len)) {
		e->st.captures_cut++;
		cap_close(e, cf);
		return;
	}
	before = bh_net_pcap_writer_size(cf->w);
	if (bh_net_pcap_write(cf->w, p, len, len, ts, NULL) < 0) {
		e->st.capture_errors++;
		cap_close(e, cf);
		return;
	}
	cf->file->size += bh_net_pcap_writer_size(cf->w) - before;
	c->dir_bytes += bh_net_pcap_writer_size(cf->w) - before;
}

static void endpoint_name(char *out, size_t n, const uint8_t a[16], uint16_t port)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char s[INET6_ADDRSTRLEN];

	if (!memcmp(a, mapped, 12))
		inet_ntop(AF_INET, a + 12, s, sizeof(s));
	else
		inet_ntop(AF_INET6, a, s, sizeof(s));
	for (char *q = s; *q; q++)
		if (*q == ':')
			*q = '.';
	snprintf(out, n, "%s_%u", s, port);
}

/* What the alert is called in the file name: [A-Za-z0-9-], 40 at most. */
static void alert_name(const struct flow *f, char out[41])
{
	const char *s = f->n_threats ? f->threats[0].id : "DLP";
	size_t i = 0, o = 0;

	if (!f->n_threats && f->m && f->m->n_hits) {
		/* DLP-<type> */
		memcpy(out, "DLP-", 4);
		o = 4;
		s = f->m->hits[0].type ? f->m->hits[0].type : "match";
	}
	for (; s[i] && o < 40; i++)
		out[o++] = bh_isalnum((unsigned char)s[i]) || s[i] == '-' ? s[i] : '_';
	out[o] = 0;
}

static bool alerted(const struct flow *f)
{
	return f->n_threats || (f->m && f->m->n_hits);
}

static void cap_start(struct flow *f)
{
	struct bh_net_engine *e = f->e;
	struct net_cap *c = e->cap;
	struct net_cap_flow *cf = f->cap;
	char name[256], cl[64], sv[64], al[41], tbuf[BH_TIME_MAX], *q = tbuf;
	struct bh_error *err = NULL;
	struct cap_file *file;
	struct timespec ts = { 0, 0 };
	int fd = -1;

	cf->state = CAP_DONE;
	if (!cf->tail) /* nothing kept (a packet over the ring's bound) */
		return;
	cf->link = cf->tail->link;
	endpoint_name(cl, sizeof(cl), f->info.client_addr, f->info.client_port);
	endpoint_name(sv, sizeof(sv), f->info.server_addr, f->info.server_port);
	alert_name(f, al);
	if (e->now >= 0 && e->now < 253402300799.0) {
		ts.tv_sec = (time_t)e->now;
		ts.tv_nsec = (long)((e->now - (double)ts.tv_sec) * 1e9) % 1000000000;
	}
	/* 20231114T221320.123456Z */
	bh_time_rfc3339(&ts, 6, tbuf);
	for (const char *p = tbuf; *p; p++)
		if (*p != '-' && *p != ':')
			*q++ = *p;
	*q = 0;
	/* room among the open files: the oldest open one ends */
	if (c->nopen >= e->o.capture_open && c->ohead) {
		e->st.captures_cut++;
		cap_close(e, c->ohead);
	}
	for (int tries = 0; tries < 4 && fd < 0; tries++) {
		uint64_t r = bh_siphash13(&c->seq, sizeof(c->seq), e->seed, 0x636170);

		c->seq++;
		snprintf(name, sizeof(name), "bh-%s-%s-%s-%s-%s-%08x.pcap", tbuf,
			 f->proto == 6	  ? "tcp"
			 : f->proto == 17 ? "udp"
					  : "icmp",
			 cl, sv, al, (unsigned)r);
		/* the payloads may hold what the data-leak matches found: owner only */
		fd = openat(c->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		e->st.capture_errors++;
		ring_clear(c, cf);
		return;
	}
	if (bh_net_pcap_writer_new(fd, cf->link, name, &cf->w, &err) < 0) {
		bh_error_free(err);
		unlinkat(c->dirfd, name, 0);
		e->st.capture_errors++;
		ring_clear(c, cf);
		return;
	}
	file = bh_calloc(1, sizeof(*file));
	file->name = bh_strdup(name);
	file->size = bh_net_pcap_writer_size(cf->w);
	file->mtime = e->now;
	file->open = true;
	file_append(c, file);
	cf->file = file;
	cf->path = bh_asprintf("%s/%s", c->dir, name);
	cf->state = CAP_OPEN;
	cf->alert_ts = e->now;
	cf->oprev = c->otail;
	cf->onext = NULL;
	if (c->otail)
		c->otail->onext = cf;
	else
		c->ohead = cf;
	c->otail = cf;
	c->nopen++;
	e->st.captures++;
	while (cf->head && cf->state == CAP_OPEN) {
		cap_write(e, cf, cf->head->data, cf->head->len, cf->head->link, cf->head->ts);
		ring_pop(c, cf);
	}
	ring_clear(c, cf);
}

/* ---- the engine's calls ------------------------------------------------- */

int net_cap_new(struct bh_net_engine *e, struct bh_error **err)
{
	struct net_cap *c;
	int fd;

	if (!e->o.capture_dir)
		return 0;
#define DEF(f, v)                                                                                  \
	do {                                                                                       \
		if (!e->o.f)                                                                       \
			e->o.f = (v);                                                              \
	} while (0)
	DEF(ring_packets, 32);
	DEF(ring_bytes, 256 * 1024);
	DEF(ring_total_bytes, 64 * 1024 * 1024);
	DEF(capture_packets, 10000);
	DEF(capture_bytes, 16 * 1024 * 1024);
	DEF(capture_seconds, 60);
	DEF(capture_open, 64);
	DEF(capture_dir_bytes, 1024ull * 1024 * 1024);
#undef DEF
	if (e->o.ring_packets > 1000000 || e->o.ring_total_bytes > (size_t)4 << 30 ||
	    e->o.capture_open > 4096)
		return bh_error_set(
			err, BH_ERR_USAGE,
			"net engine: a capture bound over its ceiling (ring packets 1M, "
			"ring bytes 4G, open capture files 4096)");
	fd = open(e->o.capture_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && mkdir(e->o.capture_dir, 0700) == 0)
		fd = open(e->o.capture_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_sys(err, errno, "capture directory %s", e->o.capture_dir);
	c = bh_calloc(1, sizeof(*c));
	c->dirfd = fd;
	c->dir = bh_strdup(e->o.capture_dir);
	e->cap = c;
	if (scan_dir(c, err) < 0) {
		net_cap_free(e);
		return -1;
	}
	return 0;
}

void net_cap_packet(struct flow *f)
{
	struct bh_net_engine *e = f->e;
	struct net_cap_flow *cf;

	if (!e->cap || !e->raw)
		return;
	if (!f->cap)
		f->cap = bh_calloc(1, sizeof(*f->cap));
	cf = f->cap;
	switch (cf->state) {
	case CAP_RING:
		ring_push(e, cf);
		if (alerted(f))
			cap_start(f);
		break;
	case CAP_OPEN:
		cap_write(e, cf, e->raw, e->raw_len, e->raw_link, e->now);
		cf->after++;
		if (cf->state == CAP_OPEN &&
		    (cf->after >= e->o.capture_packets ||
		     bh_net_pcap_writer_size(cf->w) >= e->o.capture_bytes ||
		     e->now - cf->alert_ts >= e->o.capture_seconds))
			cap_close(e, cf);
		break;
	default: break;
	}
}

void net_cap_flow_end(struct flow *f)
{
	struct net_cap_flow *cf = f->cap;

	if (!cf)
		return;
	/* an alert raised as the flow ended: what the ring holds */
	if (cf->state == CAP_RING && alerted(f))
		cap_start(f);
	cap_close(f->e, cf);
}

void net_cap_flow_free(struct flow *f)
{
	struct net_cap_flow *cf = f->cap;

	if (!cf)
		return;
	cap_close(f->e, cf);
	ring_clear(f->e->cap, cf);
	free(cf->path);
	free(cf);
	f->cap = NULL;
}

const char *net_cap_path(const struct flow *f)
{
	return f->cap ? f->cap->path : NULL;
}

void net_cap_free(struct bh_net_engine *e)
{
	struct net_cap *c = e->cap;

	if (!c)
		return;
	while (c->slabs) {
		struct slab *sl = c->slabs;

		c->slabs = sl->next;
		free(sl);
	}
	while (c->fhead) {
		struct cap_file *f = c->fhead;

		c->fhead = f->next;
		free(f->name);
		free(f);
	}
	close(c->dirfd);
	free(c->dir);
	free(c);
	e->cap = NULL;
}
