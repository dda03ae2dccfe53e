/* SPDX-License-Identifier: Apache-2.0 */
/*
 * User and group names of monitor events: the parser of /etc/passwd and
 * /etc/group, their in-root reading and the per-root cache (users.h).
 *
 * The cache is keyed by the container's ID ("" for the host): one container,
 * one root. A container's files are read through /proc/PID/root of the
 * event's process, the host's through /proc/1/root (our own "/" when init's
 * is refused: an init holding capabilities the monitor lacks); each lookup after the
 * first is a string compare and a binary search under an uncontended mutex.
 * When the event's process is gone before its JSON is made, and nothing of its
 * container is cached, the names stay unknown (the event says uid and gid).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "monitor/users.h"
#include "banned.h"

/* ---- the parser ------------------------------------------------------------------------- */

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= BH_MON_USER_MAX || s[0] == '+' || s[0] == '-' || s[0] == '#')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static bool id_parse(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX) /* (uid_t)-1 names nobody */
		return false;
	*out = (uint32_t)v;
	return true;
}

/* One line: its name and id, or false. */
static bool parse_line(const char *l, size_t n, struct bh_users_ent *e)
{
	const char *f[3];
	size_t fl[3], k = 0;
	const char *p = l, *end = l + n;

	if (n > BH_USERS_LINE_MAX || memchr(l, 0, n))
		return false;
	while (k < 3) {
		const char *c = memchr(p, ':', (size_t)(end - p));

		f[k] = p;
		fl[k] = (size_t)((c ? c : end) - p);
		k++;
		if (!c)
			break;
		p = c + 1;
	}
	if (k < 3 || !name_ok(f[0], fl[0]) || !id_parse(f[2], fl[2], &e->id))
		return false;
	memcpy(e->name, f[0], fl[0]);
	e->name[fl[0]] = 0;
	return true;
}

struct ent_at {
	struct bh_users_ent e;
	size_t at; /* the line's rank: for an id named twice, the first wins */
};

static int ent_cmp(const void *a, const void *b)
{
	const struct ent_at *x = a, *y = b;

	if (x->e.id != y->e.id)
		return x->e.id < y->e.id ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

size_t bh_users_parse(const char *buf, size_t len, struct bh_users_tab *out)
{
	struct ent_at *t = NULL;
	size_t pos = 0, cap = 0, n = 0;

	out->v = NULL;
	out->n = 0;
	while (pos < len && n < BH_USERS_ENTRIES_MAX) {
		const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos;
		struct bh_users_ent e;

		pos += ll + (nl ? 1 : 0);
		if (!parse_line(l, ll, &e))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			t = bh_realloc(t, cap * sizeof(*t));
		}
		t[n].e = e;
		t[n].at = n;
		n++;
	}
	if (!n)
		return 0;
	qsort(t, n, sizeof(*t), ent_cmp);
	out->v = bh_calloc(n, sizeof(*out->v));
	for (size_t i = 0; i < n; i++)
		if (!out->n || out->v[out->n - 1].id != t[i].e.id)
			out->v[out->n++] = t[i].e;
	free(t);
	return out->n;
}

const char *bh_users_find(const struct bh_users_tab *t, uint32_t id)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].id == id)
			return t->v[mid].name;
		if (t->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void bh_users_tab_release(struct bh_users_tab *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* ---- reading a root's files -------------------------------------------------------------- */

static int load_one(int rootfd, const char *path, struct bh_users_tab *t, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_USERS_FILE_MAX);
	struct bh_error *e = NULL;
	int fd, r = -1;

	t->v = NULL;
	t->n = 0;
	/* O_NONBLOCK: a FIFO planted there must not hang the reader */
	fd = bh_root_openat(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, &e);
	if (fd < 0) {
		if (errno == ENOENT) {
			bh_error_free(e);
			return 0;
		}
		if (err && !*err)
			*err = e;
		else
			bh_error_free(e);
		return -1;
	}
	if (bh_read_fd_regular(fd, path, &b, err) < 0)
		goto out;
	bh_users_parse(b.data, b.len, t);
	r = 0;
out:
	close(fd);
	bh_buf_release(&b);
	return r;
}

int bh_users_load(int rootfd, struct bh_users_tab *pw, struct bh_users_tab *gr,
		  struct bh_error **err)
{
	gr->v = NULL;
	gr->n = 0;
	if (load_one(rootfd, "etc/passwd", pw, err) < 0)
		return -1;
	if (load_one(rootfd, "etc/group", gr, err) < 0) {
		bh_users_tab_release(pw);
		return -1;
	}
	return 0;
}

/* ---- the cache ---------------------------------------------------------------------------- */

struct ucache_ent {
	char key[BH_MON_CID_MAX]; /* the container's ID, "" for the host */
	bool used, ok;
	uint64_t at_ns;	   /* when read (CLOCK_MONOTONIC_COARSE) */
	uint64_t last_use; /* for the eviction of the least recently used */
	struct bh_users_tab pw, gr;
};

static struct {
	pthread_mutex_t mu;
	atomic_bool on;
	uint64_t tick;
	struct ucache_ent v[BH_USERS_CACHE_MAX];
} uc = { .mu = PTHREAD_MUTEX_INITIALIZER };

void bh_users_enable(bool on)
{
	atomic_store(&uc.on, on);
}

void bh_users_reset(void)
{
	pthread_mutex_lock(&uc.mu);
	for (size_t i = 0; i < BH_USERS_CACHE_MAX; i++) {
		bh_users_tab_release(&uc.v[i].pw);
		bh_users_tab_release(&uc.v[i].gr);
		memset(&uc.v[i], 0, sizeof(uc.v[i]));
	}
	pthread_mutex_unlock(&uc.mu);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts); /* the vDSO's: no system call */
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Read e's files again from pid's root (the host's when e is the host's). */
static void refill(struct ucache_ent *e, uint32_t pid, uint64_t now)
{
	char p[64];
	int rootfd;

	bh_users_tab_release(&e->pw);
	bh_users_tab_release(&e->gr);
	e->ok = false;
	e->at_ns = now;
	snprintf(p, sizeof(p), "/proc/%u/root", e->key[0] ? pid : 1u);
	rootfd = bh_root_open(p, NULL);
	/* init's root refused (it holds capabilities we lack): the host's is ours */
	if (rootfd < 0 && !e->key[0])
		rootfd = bh_root_open("/", NULL);
	if (rootfd < 0)
		return;
	e->ok = bh_users_load(rootfd, &e->pw, &e->gr, NULL) == 0;
	close(rootfd);
}

void bh_users_names(const struct bh_mon_event *ev, char user[BH_MON_USER_MAX],
		    char group[BH_MON_USER_MAX])
{
	struct ucache_ent *e = NULL, *lru = &uc.v[0];
	const char *u, *g;
	uint64_t now;

	user[0] = group[0] = 0;
	if (!atomic_load_explicit(&uc.on, memory_order_relaxed) || ev->proc.user[0])
		return;
	now = now_ns();
	pthread_mutex_lock(&uc.mu);
	for (size_t i = 0; i < BH_USERS_CACHE_MAX; i++) {
		struct ucache_ent *x = &uc.v[i];

		if (x->used && !strncmp(x->key, ev->container.id, sizeof(x->key))) {
			e = x;
			break;
		}
		if (!x->used || (lru->used && x->last_use < lru->last_use))
			lru = x;
	}
	if (!e) {
		e = lru;
		bh_users_tab_release(&e->pw);
		bh_users_tab_release(&e->gr);
		memset(e, 0, sizeof(*e));
		e->used = true;
		snprintf(e->key, sizeof(e->key), "%.*s", (int)sizeof(e->key) - 1, ev->container.id);
		refill(e, ev->proc.pid, now);
	} else if (now - e->at_ns > (e->ok ? BH_USERS_TTL_S : BH_USERS_RETRY_S) * 1000000000ull) {
		refill(e, ev->proc.pid, now);
	}
	e->last_use = ++uc.tick;
	u = bh_users_find(&e->pw, ev->proc.uid);
	g = bh_users_find(&e->gr, ev->proc.gid);
	if (u)
		snprintf(user, BH_MON_USER_MAX, "%s", u);
	if (g)
		snprintf(group, BH_MON_USER_MAX, "%s", g);
	pthread_mutex_unlock(&uc.mu);
}
