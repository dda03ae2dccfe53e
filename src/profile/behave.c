/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Behaviour profiles (include/bulkhead/behave.h): the in-memory model, the
 * verdict of each event, and the batched writes to the profile store
 * (tables behave_profiles and behave_items, schema 4 of store.c; modes in
 * `modes` with kind "behaviour").
 *
 * Each profile held in memory is an open-addressing table of its items
 * (kind, value, extra) → counters; profiles are chained in a fixed table of
 * buckets by key. Learning a new item may collapse others (files into a
 * subtree, peers into a network); the profile is then rewritten whole at the
 * next flush (behave_flush.c), else only its changed items are.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lazy/sqlite3.h"

#include "bulkhead/base.h"
#include "base/sqlite.h"
#include "behave_internal.h"
#include "banned.h"

static const char *const kind_names[BH_BEHAVE_KIND_COUNT] = {
	[BH_BEHAVE_NONE] = "none",	   [BH_BEHAVE_PROCESS] = "process",
	[BH_BEHAVE_FILE] = "file",	   [BH_BEHAVE_LISTEN] = "listen",
	[BH_BEHAVE_OUTBOUND] = "outbound", [BH_BEHAVE_INBOUND] = "inbound",
	[BH_BEHAVE_DRIFT] = "drift",	   [BH_BEHAVE_PROFILE] = "profile",
};

const char *bh_behave_kind_name(enum bh_behave_kind k)
{
	return (unsigned)k < BH_BEHAVE_KIND_COUNT ? kind_names[k] : "?";
}

static int kind_parse(const char *s)
{
	for (int k = BH_BEHAVE_PROCESS; k <= BH_BEHAVE_INBOUND; k++)
		if (s && !strcmp(s, kind_names[k]))
			return k;
	return -1;
}

const char *bh_behave_result_name(enum bh_behave_result r)
{
	static const char *const n[] = { "ignored", "learned", "known", "outside" };

	return (unsigned)r < 4 ? n[r] : "?";
}

int beh_proto_parse(const char *s)
{
	return !s ? 0 : !strcmp(s, "tcp") ? IPPROTO_TCP : !strcmp(s, "udp") ? IPPROTO_UDP : 0;
}

const char *beh_proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

bool beh_path_ok(const char *p, size_t len)
{
	if (!len || len >= BH_MON_PATH_MAX || p[0] != '/' || strlen(p) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	for (size_t i = 1; i <= len; i++) {
		/* a component starts at i, after the '/' at i - 1 */
		size_t e = i;

		while (e < len && p[e] != '/')
			e++;
		if (e == len && i == len)
			break; /* a trailing '/' */
		if (e == i || (e - i == 1 && p[i] == '.') ||
		    (e - i == 2 && p[i] == '.' && p[i + 1] == '.'))
			return false;
		i = e;
	}
	return true;
}

/* ---- keys ------------------------------------------------------------------ */

static bool key_char(char c)
{
	return bh_isalnum((unsigned char)c) || strchr("._:/@+=-", c);
}

int bh_behave_key_check(const char *key, struct bh_error **err)
{
	size_t n = key ? strlen(key) : 0;

	if (!n || n >= BH_BEHAVE_KEY_MAX || key[0] == '-')
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!key_char(key[i]))
			goto bad;
	return 0;
bad:
	return bh_error_set(err, BH_ERR_INVALID,
			    "profile key '%.64s': 1 to %d bytes of letters, digits and ._:/@+=-, "
			    "not starting with '-'",
			    key ? key : "", BH_BEHAVE_KEY_MAX - 1);
}

/* n lower-case letters or digits at s. */
static bool alnum_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!bh_islower((unsigned char)s[i]) && !bh_isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!bh_isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* The owner of a pod from its name: *kind, and the name's length kept. */
static size_t pod_owner(const char *pod, const char **kind)
{
	size_t n = strlen(pod);
	const char *d1 = strrchr(pod, '-'), *d2;

	*kind = "pod";
	if (!d1 || d1 == pod)
		return n;
	if (alnum_lower(d1 + 1, strlen(d1 + 1)) && strlen(d1 + 1) == 5) {
		/* NAME-HASH-XXXXX (a ReplicaSet of a Deployment) or NAME-XXXXX */
		for (d2 = d1 - 1; d2 > pod && *d2 != '-'; d2--)
			;
		if (d2 > pod && *d2 == '-' && d1 - d2 - 1 >= 6 && d1 - d2 - 1 <= 10 &&
		    alnum_lower(d2 + 1, (size_t)(d1 - d2 - 1))) {
			*kind = "deployment";
			return (size_t)(d2 - pod);
		}
		*kind = "daemonset";
		return (size_t)(d1 - pod);
	}
	if (all_digits(d1 + 1, strlen(d1 + 1))) {
		*kind = "statefulset";
		return (size_t)(d1 - pod);
	}
	return n;
}

int bh_behave_key(const struct bh_mon_event *ev, enum bh_behave_group g,
		  char key[BH_BEHAVE_KEY_MAX])
{
	const struct bh_mon_container *c = &ev->container;
	int n;

	key[0] = 0;
	if (!c->id[0])
		return -1;
	if (g == BH_BEHAVE_BY_POD && c->pod[0] && c->pod_namespace[0]) {
		const char *kind;
		size_t len = pod_owner(c->pod, &kind);

		n = snprintf(key, BH_BEHAVE_KEY_MAX, "%s/%s/%.*s", c->pod_namespace, kind, (int)len,
			     c->pod);
	} else if (c->image_digest[0]) {
		n = snprintf(key, BH_BEHAVE_KEY_MAX, "%s", c->image_digest);
	} else if (c->image[0]) {
		n = snprintf(key, BH_BEHAVE_KEY_MAX, "image:%s", c->image);
	} else {
		return -1;
	}
	if (n < 0)
		return -1;
	/* whatever the engine said, the key is one a user can type back */
	for (char *p = key; *p; p++)
		if (!key_char(*p))
			*p = '_';
	if (key[0] == '-')
		key[0] = '_';
	return 0;
}

/* ---- items ----------------------------------------------------------------- */

uint32_t beh_hash(unsigned kind, const char *value, const char *extra)
{
	uint32_t h = 2166136261u ^ kind;

	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const unsigned char *p = (const unsigned char *)extra; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

struct beh_item *beh_find(const struct beh_profile *p, unsigned kind, const char *value,
			  const char *extra)
{
	uint32_t h;

	if (!p->cap)
		return NULL;
	h = beh_hash(kind, value, extra);
	for (size_t i = h & (p->cap - 1);; i = (i + 1) & (p->cap - 1)) {
		struct beh_item *it = p->tab[i];

		if (!it)
			return NULL;
		if (it->hash == h && it->kind == kind && !strcmp(it->value, value) &&
		    !strcmp(it->extra, extra))
			return it;
	}
}

static void tab_put(struct beh_profile *p, struct beh_item *it)
{
	size_t i;

	if ((p->n + 1) * 4 > p->cap * 3) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		struct beh_item **old = p->tab;
		size_t ocap = p->cap;

		p->tab = bh_calloc(ncap, sizeof(*p->tab));
		p->cap = ncap;
		p->n = 0;
		for (size_t k = 0; k < ocap; k++)
			if (old[k])
				tab_put(p, old[k]);
		free(old);
	}
	for (i = it->hash & (p->cap - 1); p->tab[i]; i = (i + 1) & (p->cap - 1))
		;
	p->tab[i] = it;
	p->n++;
}

static struct beh_item *item_new(unsigned kind, const char *value, const char *extra)
{
	struct beh_item *it = bh_calloc(1, sizeof(*it));

	it->kind = (uint8_t)kind;
	it->value = bh_strdup(value);
	it->extra = bh_strdup(extra);
	it->hash = beh_hash(kind, value, extra);
	return it;
}

static void item_free(struct beh_item *it)
{
	if (!it)
		return;
	free(it->value);
	free(it->extra);
	free(it);
}

/* Drop the items drop() says, counting them into *count, *first, *last. */
static size_t tab_drop(struct beh_profile *p, bool (*drop)(const struct beh_item *, const void *),
		       const void *arg, uint64_t *count, uint64_t *first, uint64_t *last)
{
	struct beh_item **old = p->tab;
	size_t ocap = p->cap, dropped = 0;

	p->tab = bh_calloc(ocap, sizeof(*p->tab));
	p->n = 0;
	for (size_t k = 0; k < ocap; k++) {
		struct beh_item *it = old[k];

		if (!it)
			continue;
		if (drop(it, arg)) {
			*count += it->count;
			if (!*first || (it->first_ns && it->first_ns < *first))
				*first = it->first_ns;
			if (it->last_ns > *last)
				*last = it->last_ns;
			item_free(it);
			dropped++;
		} else {
			tab_put(p, it);
		}
	}
	free(old);
	return dropped;
}

/* ---- profiles -------------------------------------------------------------- */

static uint32_t key_hash(const char *key)
{
	return beh_hash(0, key, "") & (BEH_NBUCKETS - 1);
}

static void profile_free(struct beh_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->cap; i++)
		item_free(p->tab[i]);
	free(p->tab);
	for (size_t i = 0; i < p->ncontainers; i++)
		free(p->containers[i]);
	free(p);
}

/* Read key's row and items into p. */
static int load_profile(struct bh_behave *b, struct beh_profile *p, struct bh_error **err)
{
	sqlite3 *db = b->store->db;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(
		db,
		"SELECT zero_drift, overflowed, lost, events, first, last, "
		"disc_first, disc_last, containers FROM behave_profiles WHERE key = ?",
		-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p->key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		const char *cs = (const char *)sqlite3_column_text(st, 8);
		json_t *cj = cs ? json_loads(cs, 0, NULL) : NULL, *v;
		size_t i;

		p->stored = true;
		p->zero_drift = sqlite3_column_int(st, 0) != 0;
		p->overflowed = sqlite3_column_int(st, 1) != 0;
		p->lost = sqlite3_column_int(st, 2) != 0;
		p->events = (uint64_t)sqlite3_column_int64(st, 3);
		p->first_ns = (uint64_t)sqlite3_column_int64(st, 4);
		p->last_ns = (uint64_t)sqlite3_column_int64(st, 5);
		p->disc_first_ns = (uint64_t)sqlite3_column_int64(st, 6);
		p->disc_last_ns = (uint64_t)sqlite3_column_int64(st, 7);
		json_array_foreach (cj, i, v)
			if (json_is_string(v) && p->ncontainers < BEH_MAX_CONTAINERS)
				p->containers[p->ncontainers++] = bh_strdup(json_string_value(v));
		json_decref(cj);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	rc = sqlite3_prepare_v2(db,
				"SELECT kind, value, extra, count, first, last FROM behave_items "
				"WHERE key = ?",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p->key, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int kind = kind_parse((const char *)sqlite3_column_text(st, 0));
			const char *v = (const char *)sqlite3_column_text(st, 1);
			const char *x = (const char *)sqlite3_column_text(st, 2);
			struct beh_item *it;

			if (kind < 0 || !v || !x)
				continue; /* a kind of a newer bulkhead */
			if (p->n >= b->o.max_items) {
				p->overflowed = true;
				continue;
			}
			it = item_new((unsigned)kind, v, x);
			it->count = (uint64_t)sqlite3_column_int64(st, 3);
			it->first_ns = (uint64_t)sqlite3_column_int64(st, 4);
			it->last_ns = (uint64_t)sqlite3_column_int64(st, 5);
			tab_put(p, it);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	return beh_load_mode(b, p, err);
fail:
	return bh_sqlite_error(db, sqlite3_errcode(db), "reading", err);
}

static void unlink_profile(struct bh_behave *b, struct beh_profile *p)
{
	struct beh_profile **pp = &b->buckets[key_hash(p->key)];

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = p->next;
		b->nprof--;
		b->items -= p->n;
	}
	if (b->last == p)
		b->last = NULL;
}

int bh_behave_forget(struct bh_behave *b, const char *key)
{
	for (struct beh_profile *p = b->buckets[key_hash(key)]; p; p = p->next)
		if (!strcmp(p->key, key)) {
			unlink_profile(b, p);
			profile_free(p);
			return 1;
		}
	return 0;
}

/* Make room: flush, then drop the least recently used profile but keep. */
int beh_evict(struct bh_behave *b, const struct beh_profile *keep, struct bh_error **err)
{
	struct beh_profile *lru = NULL;

	if (!b->o.check && bh_behave_flush(b, err) < 0)
		return -1;
	for (size_t i = 0; i < BEH_NBUCKETS; i++)
		for (struct beh_profile *p = b->buckets[i]; p; p = p->next)
			if (p != keep && (!lru || p->used < lru->used))
				lru = p;
	if (lru) {
		unlink_profile(b, lru);
		profile_free(lru);
	}
	return 0;
}

static struct beh_profile *get_profile(struct bh_behave *b, const char *key, struct bh_error **err)
{
	uint32_t h = key_hash(key);
	struct beh_profile *p;

	for (p = b->buckets[h]; p; p = p->next)
		if (!strcmp(p->key, key))
			return p;
	if (b->nprof >= b->o.max_profiles && beh_evict(b, NULL, err) < 0)
		return NULL;
	p = bh_calloc(1, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%s", key);
	if (load_profile(b, p, err) < 0) {
		bh_error_prefix(err, "behaviour profile %s", key);
		profile_free(p);
		return NULL;
	}
	p->next = b->buckets[h];
	b->buckets[h] = p;
	b->nprof++;
	b->items += p->n;
	return p;
}

int bh_behave_open(const struct bh_behave_opts *o, struct bh_behave **out, struct bh_error **err)
{
	static const struct bh_behave_opts none = { 0 };
	struct bh_behave *b;

	*out = NULL;
	if (!o)
		o = &none;
	if (o->learn && o->check)
		return bh_error_set(err, BH_ERR_USAGE, "learn and check at once");
	if (o->key && bh_behave_key_check(o->key, err) < 0)
		return -1;
	if (o->max_items > BEH_MAX_ITEMS_LIMIT)
		return bh_error_set(err, BH_ERR_LIMIT, "max_items over %d", BEH_MAX_ITEMS_LIMIT);
	b = bh_calloc(1, sizeof(*b));
	b->o = *o;
	b->key = o->key ? bh_strdup(o->key) : NULL;
	b->o.key = b->key;
	b->o.store = NULL;
	if (!b->o.flush_events)
		b->o.flush_events = 4096;
	if (!b->o.flush_ms)
		b->o.flush_ms = 5000;
	if (!b->o.max_items)
		b->o.max_items = BEH_DEF_MAX_ITEMS;
	if (!b->o.max_profiles)
		b->o.max_profiles = 1024;
	if (!b->o.max_total_items)
		b->o.max_total_items = 262144;
	if (!b->o.file_collapse)
		b->o.file_collapse = 16;
	if (!b->o.peer_collapse)
		b->o.peer_collapse = 8;
	if (bh_prof_store_open(o->store, !o->check, &b->store, err) < 0) {
		free(b->key);
		free(b);
		return -1;
	}
	b->last_flush_ms = (uint64_t)beh_now_ms();
	*out = b;
	return 0;
}

void bh_behave_close(struct bh_behave *b)
{
	struct bh_error *err = NULL;

	if (!b)
		return;
	if (!b->o.check && bh_behave_flush(b, &err) < 0) {
		bh_warn("behaviour profiles: %s", bh_error_message(err));
		bh_error_clear(&err);
	}
	for (size_t i = 0; i < BEH_NBUCKETS; i++) {
		struct beh_profile *p = b->buckets[i], *n;

		for (; p; p = n) {
			n = p->next;
			profile_free(p);
		}
	}
	bh_prof_store_close(b->store);
	free(b->key);
	free(b);
}

void bh_behave_lost(struct bh_behave *b, uint64_t n)
{
	if (!b || !n)
		return;
	for (size_t i = 0; i < BEH_NBUCKETS; i++)
		for (struct beh_profile *p = b->buckets[i]; p; p = p->next)
			if (p->mode == BH_PROF_DISCOVER || b->o.learn) {
				p->lost = true;
				p->dirty = true;
			}
}

/* ---- what an event is ------------------------------------------------------ */

/* The item an event is about, and whether learning keeps it. */
struct cand {
	enum bh_behave_kind kind;
	char value[BH_MON_PATH_MAX + 8];
	char extra[BH_MON_PATH_MAX];
	/* outbound: the address's network ("10.1.2.0/24"), and the address bytes */
	char net[64];
	int family;
	uint8_t addr[16];
	bool ok; /* the call succeeded (and its name is the file's): learning keeps it */
};

static bool is_write(uint32_t flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_APPEND));
}

static void net_of(int family, const uint8_t *addr, char *out, size_t n)
{
	uint8_t a[16] = { 0 };
	char s[INET6_ADDRSTRLEN];

	if (family == AF_INET) {
		memcpy(a, addr, 3);
		inet_ntop(AF_INET, a, s, sizeof(s));
		snprintf(out, n, "%s/24", s);
	} else {
		memcpy(a, addr, 8);
		inet_ntop(AF_INET6, a, s, sizeof(s));
		snprintf(out, n, "%s/64", s);
	}
}

/* Copy the string src (at most max bytes) into dst of n bytes; its length. */
static size_t copy(char *dst, size_t n, const char *src, size_t max)
{
	size_t len = strnlen(src, max);

	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = 0;
	return len;
}

/*
 * Whether exe is a container runtime's: bulkhead re-executed from its sealed memfd,
 * runc (or its memfd clone), crun, conmon, a containerd shim, youki. A runtime runs in
 * the container's cgroup before the workload does (its init opens the exec fifo in
 * the state directory named after the container: a new "directory" in every
 * container), and it is the entrypoint's parent, whichever path it was installed at.
 * A name is only a claim: a workload's binary of such a name still makes its own
 * exec item (outside the profile); only what it does after is not learned.
 */
static bool runtime_exe(const char *exe)
{
	static const char *const names[] = {
		"bulkhead", "runc", "crun", "conmon", "containerd-shim", "containerd-shim-runc-v2",
		"youki"
	};
	const char *b = strrchr(exe, '/');

	b = b ? b + 1 : exe;
	if (!strncmp(b, "memfd:bulkhead", 14) || !strncmp(b, "memfd:runc", 10))
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(b, names[i]))
			return true;
	return false;
}

static bool candidate(const struct bh_mon_event *ev, struct cand *c)
{
	const struct bh_mon_net *nt = &ev->net;
	int proto = nt->proto == IPPROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	char s[INET6_ADDRSTRLEN];

	/* no memset: every event is one of these, most of them known */
	c->kind = BH_BEHAVE_NONE;
	c->extra[0] = c->net[0] = 0;
	c->family = 0;
	c->ok = ev->res >= 0;
	/* the runtime's setup, not the workload (its name too: the exe of a process
	 * that has exec'd since is read late, its name is the event's) */
	if (bh_mon_type_kind(ev->type) != BH_MON_KIND_EXEC &&
	    (runtime_exe(ev->proc.exe) || runtime_exe(ev->proc.comm)))
		return false;
	switch (bh_mon_type_kind(ev->type)) {
	case BH_MON_KIND_EXEC:
		if (ev->proc.exe[0] != '/' && strncmp(ev->proc.exe, "memfd:", 6))
			return false;
		c->kind = BH_BEHAVE_PROCESS;
		copy(c->value, sizeof(c->value), ev->proc.exe, sizeof(ev->proc.exe));
		/* the entrypoint's parent: the runtime, one name wherever it is installed */
		if (ev->proc.nancestors && runtime_exe(ev->proc.ancestors[0].exe))
			snprintf(c->extra, sizeof(c->extra), "(runtime)");
		else if (ev->proc.nancestors)
			copy(c->extra, sizeof(c->extra), ev->proc.ancestors[0].exe,
			     sizeof(ev->proc.ancestors[0].exe));
		return true;
	case BH_MON_KIND_OPEN: {
		const char *slash = strrchr(ev->file.path, '/');
		size_t n;

		if (ev->file.path[0] != '/' || !is_write(ev->file.flags) || !slash)
			return false;
		c->kind = BH_BEHAVE_FILE;
		/* its fd closed before the exit: the name is the caller's
		 * string, not the opened file's, so a workload could plant any
		 * directory; checked against the profile, never learned */
		if (ev->file.name_unverified)
			c->ok = false;
		/* the directory, its '/' included */
		n = copy(c->value, sizeof(c->value), ev->file.path,
			 (size_t)(slash - ev->file.path) + 1);
		return beh_path_ok(c->value, n);
	}
	case BH_MON_KIND_NET:
		if (nt->family != AF_INET && nt->family != AF_INET6)
			return false;
		if (ev->type == BH_MON_LISTEN) {
			if (!nt->lport)
				return false;
			c->kind = BH_BEHAVE_LISTEN;
			snprintf(c->value, sizeof(c->value), "%s/%u", beh_proto_name(proto),
				 nt->lport);
		} else if (ev->type == BH_MON_ACCEPT || ev->type == BH_MON_ACCEPT4) {
			if (!nt->lport)
				return false;
			c->kind = BH_BEHAVE_INBOUND;
			snprintf(c->value, sizeof(c->value), "%s/%u", beh_proto_name(proto),
				 nt->lport);
		} else if (ev->type == BH_MON_CONNECT) {
			if (!nt->rport)
				return false;
			c->kind = BH_BEHAVE_OUTBOUND;
			c->family = nt->family;
			memcpy(c->addr, nt->raddr, 16);
			inet_ntop(nt->family, nt->raddr, s, sizeof(s));
			snprintf(c->value, sizeof(c->value), "%s", s);
			snprintf(c->extra, sizeof(c->extra), "%s/%u", beh_proto_name(proto),
				 nt->rport);
			net_of(nt->family, nt->raddr, c->net, sizeof(c->net));
			c->ok = ev->res >= 0 || ev->res == -115; /* EINPROGRESS */
		} else {
			return false;
		}
		return true;
	default: return false;
	}
}

/* The item of p that covers c, or NULL. */
static struct beh_item *covered(const struct beh_profile *p, const struct cand *c)
{
	struct beh_item *it = beh_find(p, c->kind, c->value, c->extra);
	char pre[BH_MON_PATH_MAX + 8];

	if (it)
		return it;
	if (c->kind == BH_BEHAVE_OUTBOUND)
		return beh_find(p, c->kind, c->net, c->extra);
	if (c->kind != BH_BEHAVE_FILE)
		return NULL;
	/* a subtree item of the directory or of one of its ancestors: "/a/b/" + "**" */
	for (size_t n = strlen(c->value); n > 1; n--) {
		if (c->value[n - 1] != '/')
			continue;
		snprintf(pre, sizeof(pre), "%.*s**", (int)n, c->value);
		if ((it = beh_find(p, BH_BEHAVE_FILE, pre, "")))
			return it;
	}
	return NULL;
}

/* The parent directory of a file item "/a/b/" → "/a/" into out; false for "/". */
static bool parent_dir(const char *dir, char *out, size_t n)
{
	size_t len = strlen(dir);

	if (len < 2)
		return false;
	len--; /* the trailing '/' */
	while (len > 0 && dir[len - 1] != '/')
		len--;
	if (!len)
		return false;
	snprintf(out, n, "%.*s", (int)len, dir);
	return true;
}

static bool under_dir(const struct beh_item *it, const void *arg)
{
	const char *pre = arg;

	return it->kind == BH_BEHAVE_FILE && !strncmp(it->value, pre, strlen(pre));
}

struct peer_net {
	const char *extra;
	int family;
	const uint8_t *addr;
};

static bool in_net(const struct beh_item *it, const void *arg)
{
	const struct peer_net *pn = arg;
	uint8_t a[16];

	if (it->kind != BH_BEHAVE_OUTBOUND || strcmp(it->extra, pn->extra) ||
	    inet_pton(pn->family, it->value, a) != 1)
		return false;
	return !memcmp(a, pn->addr, pn->family == AF_INET ? 3 : 8);
}

/* Count the items in(arg) says. */
static size_t count_items(const struct beh_profile *p,
			  bool (*in)(const struct beh_item *, const void *), const void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < p->cap; i++)
		if (p->tab[i] && in(p->tab[i], arg))
			n++;
	return n;
}

static bool child_of(const struct beh_item *it, const void *arg)
{
	char par[BH_MON_PATH_MAX + 8];

	return it->kind == BH_BEHAVE_FILE && parent_dir(it->value, par, sizeof(par)) &&
	       !strcmp(par, arg);
}

/* Add c to p, collapsing past the thresholds; the item now covering c. */
static struct beh_item *learn(struct bh_behave *b, struct beh_profile *p, struct cand *c,
			      uint64_t ts)
{
	uint64_t count = 0, first = 0, last = 0;
	struct beh_item *it;

	if (c->kind == BH_BEHAVE_FILE) {
		char par[BH_MON_PATH_MAX + 8];

		/* the (file_collapse + 1)-th subdirectory of one directory (not "/"):
		 * that directory's subtree instead */
		if (parent_dir(c->value, par, sizeof(par)) && strcmp(par, "/") &&
		    count_items(p, child_of, par) >= b->o.file_collapse) {
			tab_drop(p, under_dir, par, &count, &first, &last);
			snprintf(c->value, sizeof(c->value), "%.*s**", BH_MON_PATH_MAX, par);
			p->rewrite = true;
		}
	} else if (c->kind == BH_BEHAVE_OUTBOUND) {
		struct peer_net pn = { c->extra, c->family, c->addr };

		if (count_items(p, in_net, &pn) >= b->o.peer_collapse) {
			tab_drop(p, in_net, &pn, &count, &first, &last);
			snprintf(c->value, sizeof(c->value), "%s", c->net);
			p->rewrite = true;
		}
	}
	it = item_new(c->kind, c->value, c->extra);
	it->count = count;
	it->first_ns = first && first < ts ? first : ts;
	it->last_ns = last > ts ? last : ts;
	tab_put(p, it);
	return it;
}

static void note_container(struct beh_profile *p, const char *id)
{
	if (!id[0])
		return;
	for (size_t i = 0; i < p->ncontainers; i++)
		if (!strcmp(p->containers[i], id))
			return;
	if (p->ncontainers < BEH_MAX_CONTAINERS) {
		p->containers[p->ncontainers++] = bh_strdup(id);
		p->dirty = true;
	}
}

static void verdict_value(struct bh_behave_verdict *v, const struct cand *c)
{
	switch (c->kind) {
	case BH_BEHAVE_PROCESS:
		snprintf(v->value, sizeof(v->value), "%s <- %s", c->value,
			 c->extra[0] ? c->extra : "?");
		break;
	case BH_BEHAVE_OUTBOUND: {
		const char *slash = strchr(c->extra, '/');
		bool v6 = c->family == AF_INET6;

		snprintf(v->value, sizeof(v->value), "%.*s %s%s%s:%s",
			 slash ? (int)(slash - c->extra) : 0, c->extra, v6 ? "[" : "", c->value,
			 v6 ? "]" : "", slash ? slash + 1 : "");
		break;
	}
	default: snprintf(v->value, sizeof(v->value), "%s", c->value);
	}
}

/* The names a key is made of are the same in a and b. */
static bool same_names(const struct bh_mon_container *a, const struct bh_mon_container *b)
{
	return !strcmp(a->id, b->id) && !strcmp(a->image_digest, b->image_digest) &&
	       !strcmp(a->image, b->image) && !strcmp(a->pod, b->pod) &&
	       !strcmp(a->pod_namespace, b->pod_namespace);
}

int bh_behave_observe(struct bh_behave *b, const struct bh_mon_event *ev,
		      struct bh_behave_verdict *out, struct bh_error **err)
{
	struct beh_profile *p;
	struct beh_item *it;
	struct cand c;
	enum bh_prof_mode mode;
	uint64_t ms;

	out->result = BH_BEHAVE_IGNORED;
	out->kind = BH_BEHAVE_NONE;
	out->mode = BH_PROF_DISCOVER;
	out->block = out->overflowed = false;
	out->key[0] = out->value[0] = 0;
	if (!candidate(ev, &c))
		return 0;
	/* the key is made of the container's names: the last one's profile is kept */
	if (b->last && ev->container.id[0] && same_names(&b->last_ct, &ev->container)) {
		p = b->last;
	} else {
		if (b->key)
			copy(out->key, sizeof(out->key), b->key, BH_BEHAVE_KEY_MAX);
		else if (bh_behave_key(ev, b->o.group, out->key) < 0)
			return 0;
		if (!(p = get_profile(b, out->key, err)))
			return -1;
		b->last = p;
		b->last_ct = ev->container;
	}
	memcpy(out->key, p->key, strlen(p->key) + 1);
	p->used = ++b->tick;
	mode = b->o.learn ? BH_PROF_DISCOVER : p->mode;
	if (b->o.check && mode == BH_PROF_DISCOVER)
		mode = BH_PROF_MONITOR;
	out->mode = mode;
	out->overflowed = p->overflowed;
	if (b->o.check && !p->stored) {
		out->result = BH_BEHAVE_OUTSIDE;
		out->kind = BH_BEHAVE_PROFILE;
		snprintf(out->value, sizeof(out->value), "no profile for %s", p->key);
		return 0;
	}
	if (!b->o.check) {
		p->events++;
		if (!p->first_ns || (ev->ts_ns && ev->ts_ns < p->first_ns))
			p->first_ns = ev->ts_ns;
		if (ev->ts_ns > p->last_ns)
			p->last_ns = ev->ts_ns;
		note_container(p, ev->container.id);
		p->dirty = p->active = true;
	}
	if (mode != BH_PROF_DISCOVER && p->zero_drift && c.kind == BH_BEHAVE_PROCESS &&
	    (ev->proc.exe_upper_layer || ev->proc.exe_from_memfd)) {
		out->result = BH_BEHAVE_OUTSIDE;
		out->kind = BH_BEHAVE_DRIFT;
		snprintf(out->value, sizeof(out->value), "%s (%s)", c.value,
			 ev->proc.exe_from_memfd ? "run from memory" : "not from the image");
		goto outside;
	}
	out->kind = c.kind;
	it = covered(p, &c);
	if (mode == BH_PROF_DISCOVER) {
		if (!it && c.ok) {
			/* the bound of all profiles: the others go to the store first */
			while (b->items >= b->o.max_total_items && b->nprof > 1)
				if (beh_evict(b, p, err) < 0)
					return -1;
			if (p->n >= b->o.max_items || b->items >= b->o.max_total_items) {
				p->overflowed = out->overflowed = true;
				p->dirty = true;
				out->result = BH_BEHAVE_IGNORED;
				goto flush;
			}
			b->items -= p->n;
			it = learn(b, p, &c, ev->ts_ns);
			b->items += p->n;
			p->learned = true;
			out->result = BH_BEHAVE_LEARNED;
			verdict_value(out, &c);
		} else {
			out->result = it ? BH_BEHAVE_KNOWN : BH_BEHAVE_IGNORED;
		}
		if (!p->disc_first_ns || (ev->ts_ns && ev->ts_ns < p->disc_first_ns))
			p->disc_first_ns = ev->ts_ns;
		if (ev->ts_ns > p->disc_last_ns)
			p->disc_last_ns = ev->ts_ns;
	} else if (it) {
		out->result = BH_BEHAVE_KNOWN;
	} else {
		out->result = BH_BEHAVE_OUTSIDE;
		verdict_value(out, &c);
		goto outside;
	}
	if (it && !b->o.check) {
		it->count++;
		if (ev->ts_ns > it->last_ns)
			it->last_ns = ev->ts_ns;
		it->dirty = true;
	}
	goto flush;
outside:
	out->block = mode == BH_PROF_PROTECT && !p->overflowed;
flush:
	if (b->o.check)
		return 0;
	ms = (uint64_t)beh_now_ms();
	if (++b->since_flush >= b->o.flush_events || ms - b->last_flush_ms >= b->o.flush_ms)
		return bh_behave_flush(b, err);
	return 0;
}
