/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader of the connect guard (bpf/connect.bpf.c, through the skeleton
 * bpftool generated at build time) and the per-container policies.
 *
 * Where it attaches: the cgroup2 root. On this kind of host (v1 controllers
 * plus a cgroup2 at /sys/fs/cgroup/unified) runc and crun leave a container's
 * processes in the cgroup2 root, so a program attached to a container's own
 * cgroup2 directory would never run for them; at the root it runs for every
 * process, and the container is told apart inside the program by its network
 * namespace cookie. A container sharing the host's network namespace cannot
 * be told apart that way, and is refused (BH_ERR_UNSAFE). The v1 cgroup is
 * not reachable from a sock_addr program without kprobes/BTF walks that do
 * not load here, and a tgid map fed by user space would miss the processes
 * forked between a fork and its update; the cookie is the kernel's own fact.
 *
 * Rules are keys of an LPM trie (guard_net.h), up to GRD_NET_MAX_RULES a
 * container and GRD_NET_MAX_KEYS in force in all; a policy's new rules are
 * written under a new generation, then the policy switched to it, then the old
 * generation's keys deleted: a verdict sees the old policy or the new one.
 * Each policy's keys are listed in `slots`, so a replace or a clear costs map
 * calls in its own rules, not in the trie's; the bound counts rules in force
 * (`used`), and the trie holds GRD_NET_MAX_RULES more for the replace in
 * flight, so replacing k rules needs room for k beside the others' rules, the
 * old k not counted.
 *
 * The links and maps are pinned under /sys/fs/bpf/bulkhead/guard-v3: the
 * policies keep being enforced while no agent runs (its restart, a crash).
 * Setting and clearing a policy with the set pinned are map updates (libbpf's
 * thin bpf(2) wrappers, loaded lazily); every change of the set holds an
 * exclusive flock on /sys/fs/bpf/bulkhead, as the syscall recorder does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lazy/bpf.h" /* before the skeleton: its calls go through the lazy pointers */
#include "monitor/connect.skel.h"

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "monitor/bpf/guard_net.h"
#include "monitor/guard_internal.h"
#include "banned.h"

#define PIN_ROOT BH_BPF_PIN_ROOT
#define STR_(x)	 #x
#define STR(x)	 STR_(x)
#define SET_DIR	 PIN_ROOT "/guard-v" STR(GRD_NET_LAYOUT)
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

_Static_assert(BH_GUARD_NET_MAX_RULES == GRD_NET_MAX_RULES &&
		       BH_GUARD_NET_MAX_TOTAL == GRD_NET_MAX_KEYS,
	       "the public and BPF layouts agree");
_Static_assert(sizeof(struct grd_net_counts) % 8 == 0, "per-CPU values are 8-byte rounded");
_Static_assert(sizeof(struct grd_net_key) == 4 + GRD_NET_KEY_FIXED / 8 + 16,
	       "the trie's key: prefix length, the fixed part, the address");

static const char *const link_pins[] = { "l_connect4", "l_connect6", "l_sendmsg4", "l_sendmsg6" };
#define NLINKS 4

const char *bh_guard_net_pin_dir(void)
{
	return SET_DIR;
}

/* ---- rules ---------------------------------------------------------------------------- */

int bh_guard_net_parse_rule(const char *s, struct bh_guard_net_rule *out, struct bh_error **err)
{
	char addr[64];
	const char *p = s, *a0, *a1, *proto;
	size_t al;
	uint64_t v;
	int maxbits;

	memset(out, 0, sizeof(*out));
	if (!s || !*s || strlen(s) > 128)
		return bh_error_set(err, BH_ERR_INVALID, "network rule '%s': empty or too long",
				    s ? s : "");
	/* "/tcp" or "/udp" ends the rule; a "/N" before it is the prefix */
	proto = strrchr(s, '/');
	if (proto && (!strcmp(proto, "/tcp") || !strcmp(proto, "/udp")))
		out->proto = proto[1] == 't' ? 6 : 17;
	else
		proto = s + strlen(s);
	if (*p == '[') {
		a0 = p + 1;
		a1 = memchr(a0, ']', (size_t)(proto - a0));
		if (!a1)
			goto bad;
		p = a1 + 1;
	} else {
		/* one ':' sets a port off an IPv4 address; more are an IPv6 address's own */
		a0 = p;
		a1 = memchr(a0, ':', (size_t)(proto - a0));
		if (!a1 || memchr(a1 + 1, ':', (size_t)(proto - a1 - 1)))
			a1 = proto;
		p = a1;
	}
	al = (size_t)(a1 - a0);
	if (al == 0 || al >= sizeof(addr))
		goto bad;
	memcpy(addr, a0, al);
	addr[al] = 0;
	{
		char *slash = strchr(addr, '/');

		if (slash)
			*slash = 0;
		if (inet_pton(AF_INET, addr, out->addr) == 1) {
			out->family = AF_INET;
			maxbits = 32;
		} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
			out->family = AF_INET6;
			maxbits = 128;
		} else {
			return bh_error_set(
				err, BH_ERR_INVALID,
				"network rule '%s': '%s' is not an IPv4 or IPv6 address", s, addr);
		}
		out->prefix = (uint8_t)maxbits;
		if (slash) {
			if (bh_parse_u64(slash + 1, &v, NULL) < 0 || v > (uint64_t)maxbits)
				return bh_error_set(err, BH_ERR_INVALID,
						    "network rule '%s': bad prefix length '%s'", s,
						    slash + 1);
			out->prefix = (uint8_t)v;
		}
	}
	if (p < proto) {
		char port[16];
		size_t pl;

		if (*p != ':')
			goto bad;
		p++;
		pl = (size_t)(proto - p);
		if (pl == 0 || pl >= sizeof(port))
			goto bad;
		memcpy(port, p, pl);
		port[pl] = 0;
		if (bh_parse_u64(port, &v, NULL) < 0 || v == 0 || v > 65535)
			return bh_error_set(err, BH_ERR_INVALID, "network rule '%s': bad port '%s'",
					    s, port);
		out->port = (uint16_t)v;
	}
	/* host bits under the prefix must be zero: "10.1.2.3/8" is a typo for a host or a net */
	for (int b = out->prefix; b < maxbits; b++)
		if (out->addr[b / 8] & (0x80 >> (b % 8)))
			return bh_error_set(err, BH_ERR_INVALID,
					    "network rule '%s': address bits beyond the /%u prefix",
					    s, out->prefix);
	return 0;
bad:
	return bh_error_set(err, BH_ERR_INVALID,
			    "network rule '%s': not ADDRESS[/PREFIX][:PORT][/tcp|/udp] "
			    "([IPv6] in brackets with a port)",
			    s);
}

const char *bh_guard_net_rule_str(const struct bh_guard_net_rule *r, char buf[64])
{
	char a[INET6_ADDRSTRLEN];
	int n, maxbits = r->family == AF_INET ? 32 : 128;

	inet_ntop(r->family, r->addr, a, sizeof(a));
	if (r->family == AF_INET6 && r->port)
		n = snprintf(buf, 64, "[%s", a);
	else
		n = snprintf(buf, 64, "%s", a);
	if (r->prefix != maxbits)
		n += snprintf(buf + n, 64 - (size_t)n, "/%u", r->prefix);
	if (r->family == AF_INET6 && r->port)
		n += snprintf(buf + n, 64 - (size_t)n, "]");
	if (r->port)
		n += snprintf(buf + n, 64 - (size_t)n, ":%u", r->port);
	if (r->proto)
		snprintf(buf + n, 64 - (size_t)n, "/%s", r->proto == 6 ? "tcp" : "udp");
	return buf;
}

/* The rule as the program reads it. */
void grd_net_rule_key(const struct bh_guard_net_rule *r, unsigned long long cookie, unsigned gen,
		      struct grd_net_key *k)
{
	uint8_t a[16] = { 0 };

	memset(k, 0, sizeof(*k));
	for (int b = 0; b < r->prefix && b < 128; b++)
		a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	for (int i = 0; i < 16; i++)
		a[i] &= r->addr[i];
	memcpy(k->addr, a, r->family == AF_INET ? 4 : 16);
	k->prefixlen = GRD_NET_KEY_FIXED + r->prefix;
	k->cookie[0] = (unsigned)cookie;
	k->cookie[1] = (unsigned)(cookie >> 32);
	k->gen = gen;
	k->family = r->family == AF_INET ? 4 : 6;
	k->proto = r->proto;
	k->port = htons(r->port);
}

/* ---- network namespaces --------------------------------------------------------------- */

static int ns_of(pid_t pid, struct stat *st, struct bh_error **err)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
	if (stat(p, st) < 0)
		return bh_error_sys(err, errno, "%s", p);
	return 0;
}

int bh_guard_netns_cookie(pid_t pid, uint64_t *out, struct bh_error **err)
{
	char p[64];
	int nsfd, pfd[2] = { -1, -1 }, status = 0, r = -1;
	pid_t child;
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
	nsfd = open(p, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return bh_error_sys(err, errno, "%s", p);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		bh_error_sys(err, errno, "pipe");
		goto out;
	}
	/* a child joins the namespace: the caller's threads stay where they are */
	child = fork();
	if (child < 0) {
		bh_error_sys(err, errno, "fork");
		goto out;
	}
	if (child == 0) {
		uint64_t c = 0;
		socklen_t l = sizeof(c);
		int s;

		if (setns(nsfd, CLONE_NEWNET) < 0)
			_exit(1);
		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0 || getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &c, &l) < 0 ||
		    write(pfd[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	pfd[1] = -1;
	n = read(pfd[0], out, sizeof(*out));
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*out) || !WIFEXITED(status) || WEXITSTATUS(status)) {
		bh_error_set(err, BH_ERR_IO, "the network namespace cookie of process %d: %s",
			     (int)pid,
			     WIFEXITED(status) && WEXITSTATUS(status) == 1 ? "setns failed"
									   : "no socket");
		goto out;
	}
	r = 0;
out:
	close(nsfd);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	return r;
}

/* c's cookie, refusing the host's namespace and a reused pid. */
static int ctr_cookie(const struct bh_ctr *c, uint64_t *cookie, struct bh_error **err)
{
	struct stat a, b;
	uint64_t st = 0;

	if (!c || !c->id || c->pid <= 0)
		return bh_error_set(err, BH_ERR_USAGE, "container %s: not running",
				    c && c->id ? c->id : "?");
	if (c->pid_start && (bh_guard_pid_start(c->pid, &st, NULL) < 0 || st != c->pid_start))
		return bh_error_set(err, BH_ERR_NOTFOUND, "container %s: its init %d is gone",
				    c->id, (int)c->pid);
	/* the host's: ours (an agent runs there), and init's when it can be read */
	if (ns_of(c->pid, &a, err) < 0 || ns_of(getpid(), &b, err) < 0)
		return bh_error_prefix(err, "container %s", c->id);
	if ((a.st_ino == b.st_ino && a.st_dev == b.st_dev) ||
	    (ns_of(1, &b, NULL) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev))
		return bh_error_set(err, BH_ERR_UNSAFE,
				    "container %s shares the host's network namespace: a connect "
				    "policy for it would cover the host",
				    c->id);
	if (bh_guard_netns_cookie(c->pid, cookie, err) < 0)
		return bh_error_prefix(err, "container %s", c->id);
	return 0;
}

static int explain(int e, const char *what, struct bh_error **err)
{
	if (e == EPERM || e == EACCES)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "BPF is not allowed here (%s needs CAP_BPF and CAP_NET_ADMIN, "
				    "or CAP_SYS_ADMIN)%s%s",
				    what, *bh_bpf_message() ? ": " : "", bh_bpf_message());
	return bh_error_set(err, BH_ERR_UNSUPPORTED, "%s: %s%s%s", what, strerror(e),
			    *bh_bpf_message() ? ": " : "", bh_bpf_message());
}

/* Lock /sys/fs/bpf/bulkhead (made, bpffs mounted when needed); the fd or -1. */
static int lock_root(int how, struct bh_error **err)
{
	if (bh_lazy_require(&bh_lazy_bpf, err) < 0)
		return -1;
	return bh_bpf_pin_lock(how, err);
}

struct mi_find {
	char *point;
};

static int find_cgroup2(const struct bh_guard_mount *m, void *arg)
{
	struct mi_find *f = arg;

	if (!strcmp(m->fstype, "cgroup2") && !f->point)
		f->point = bh_strdup(m->point);
	return 0;
}

/* The cgroup2 root, opened. */
static int cgroup2_root(struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(4u << 20);
	struct mi_find f = { 0 };
	int fd = -1;

	if (bh_read_file("/proc/self/mountinfo", &b, err) < 0 ||
	    bh_guard_parse_mountinfo(b.data, b.len, find_cgroup2, &f, err) < 0)
		goto out;
	if (!f.point) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "no cgroup2 hierarchy is mounted (the connect guard attaches there)");
		goto out;
	}
	fd = open(f.point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		bh_error_sys(err, errno, "%s", f.point);
out:
	free(f.point);
	bh_buf_release(&b);
	return fd;
}

/* Unpin a layout's links (which detaches them) and maps. */
static void unpin_dir(const char *dir)
{
	static const char *const maps[] = { "policy", "counts", "rules", "slots", "used" };
	char p[PATH_MAX];

	for (int i = 0; i < NLINKS; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, link_pins[i]);
		unlink(p);
	}
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, maps[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* An older layout left by an upgrade (guard-v1 ...) would stay attached
 * beside this one, enforcing its old policies: gone with this one's. */
static void unpin_older(void)
{
	char d[PATH_MAX];

	for (int v = 1; v < GRD_NET_LAYOUT; v++) {
		snprintf(d, sizeof(d), "%s/guard-v%d", PIN_ROOT, v);
		unpin_dir(d);
	}
}

static void unpin_all(void)
{
	unpin_dir(SET_DIR);
	unpin_older();
}

static int pin(int fd, const char *name, struct bh_error **err)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", SET_DIR, name);
	if (bpf_obj_pin(fd, p) < 0)
		return bh_error_sys(err, errno, "pinning %s", p);
	return 0;
}

/* Load, attach at the cgroup2 root and pin (under the exclusive lock). */
static int set_load(struct bh_error **err)
{
	struct grd_connect *sk = NULL;
	struct bpf_program *progs[NLINKS];
	int cg = -1, r = -1;

	cg = cgroup2_root(err);
	if (cg < 0)
		return -1;
	bh_bpf_messages_reset();
	{
		sigset_t old;

		bh_bpf_load_begin(&old);
		sk = grd_connect__open_and_load();
		bh_bpf_load_end(&old);
	}
	if (!sk) {
		explain(errno ? errno : EINVAL, "loading the connect guard", err);
		goto out;
	}
	if (mkdir(SET_DIR, 0700) < 0 && errno != EEXIST) {
		bh_error_sys(err, errno, "%s", SET_DIR);
		goto out;
	}
	if (pin(bpf_map__fd(sk->maps.policy), "policy", err) < 0 ||
	    pin(bpf_map__fd(sk->maps.counts), "counts", err) < 0 ||
	    pin(bpf_map__fd(sk->maps.rules), "rules", err) < 0 ||
	    pin(bpf_map__fd(sk->maps.slots), "slots", err) < 0 ||
	    pin(bpf_map__fd(sk->maps.used), "used", err) < 0)
		goto undo;
	progs[0] = sk->progs.grd_connect4;
	progs[1] = sk->progs.grd_connect6;
	progs[2] = sk->progs.grd_sendmsg4;
	progs[3] = sk->progs.grd_sendmsg6;
	for (int i = 0; i < NLINKS; i++) {
		struct bpf_link *l = bpf_program__attach_cgroup(progs[i], cg);
		int pr;

		if (!l) {
			explain(errno ? errno : EINVAL, "attaching the connect guard", err);
			goto undo;
		}
		pr = pin(bpf_link__fd(l), link_pins[i], err);
		bpf_link__destroy(l); /* the pin holds the link */
		if (pr < 0)
			goto undo;
	}
	unpin_older(); /* one layout attached at a time */
	r = 0;
	goto out;
undo:
	unpin_all();
out:
	grd_connect__destroy(sk);
	close(cg);
	return r;
}

/* A pinned map of the set; BH_ERR_NOTFOUND when not pinned. */
static int map_get(const char *name, struct bh_error **err)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", SET_DIR, name);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return errno == ENOENT ? bh_error_set(err, BH_ERR_NOTFOUND,
						      "the connect guard is not attached (%s)", p)
				       : explain(errno, p, err);
	return fd;
}

/* The lock on the pin root and the pinned maps, as every call below holds them. */
struct net_maps {
	int lk;
	struct grd_net_fds f;
};

static void maps_close(struct net_maps *m)
{
	int *fds[] = { &m->f.policy, &m->f.counts, &m->f.rules, &m->f.slots, &m->f.used, &m->lk };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Take the lock (LOCK_EX or LOCK_SH) and open the maps (loading the set when `load`). */
static int maps_open(struct net_maps *m, int how, bool load, struct bh_error **err)
{
	struct bh_error *e = NULL;

	memset(m, 0, sizeof(*m));
	m->f.policy = m->f.counts = m->f.rules = m->f.slots = m->f.used = -1;
	m->lk = lock_root(how, err);
	if (m->lk < 0)
		return -1;
	m->f.policy = map_get("policy", &e);
	if (m->f.policy < 0 && e->code == BH_ERR_NOTFOUND && load) {
		bh_error_clear(&e);
		if (set_load(err) < 0)
			goto fail;
		m->f.policy = map_get("policy", &e);
	}
	if (m->f.policy < 0) {
		if (e->code == BH_ERR_NOTFOUND) {
			bh_error_clear(&e);
			bh_error_set(&e, BH_ERR_NOTFOUND, "the connect guard is not attached");
		}
		if (err && !*err)
			*err = e;
		else
			bh_error_free(e);
		goto fail;
	}
	if ((m->f.counts = map_get("counts", err)) < 0 ||
	    (m->f.rules = map_get("rules", err)) < 0 || (m->f.slots = map_get("slots", err)) < 0 ||
	    (m->f.used = map_get("used", err)) < 0)
		goto fail;
	return 0;
fail:
	maps_close(m);
	return -1;
}

/* ---- a policy's keys: O(its own), never a walk of the shared trie -------------------- */

static struct grd_net_slot slot_key(uint64_t cookie, unsigned bank, unsigned i)
{
	struct grd_net_slot s = { { (unsigned)cookie, (unsigned)(cookie >> 32) },
				  bank * GRD_NET_MAX_RULES + i };

	return s;
}

/* Delete the keys listed in cookie's bank (0 or 1) and the list: from the last slot
 * down, so an interruption leaves slots 0..j, which the next call finds. */
static void bank_delete(struct grd_net_fds *m, uint64_t cookie, unsigned bank)
{
	struct grd_net_key k;
	struct grd_net_slot s;
	unsigned n = 0;

	for (; n < GRD_NET_MAX_RULES; n++) {
		s = slot_key(cookie, bank, n);
		m->calls++;
		if (bpf_map_lookup_elem(m->slots, &s, &k) < 0)
			break;
	}
	while (n-- > 0) {
		s = slot_key(cookie, bank, n);
		m->calls += 3;
		if (bpf_map_lookup_elem(m->slots, &s, &k) == 0)
			bpf_map_delete_elem(m->rules, &k); /* ENOENT: a duplicate rule's, gone */
		bpf_map_delete_elem(m->slots, &s);
	}
}

static unsigned used_get(struct grd_net_fds *m)
{
	uint32_t z = 0, u = 0;

	m->calls++;
	if (bpf_map_lookup_elem(m->used, &z, &u) < 0)
		return 0;
	return u;
}

static void used_set(struct grd_net_fds *m, unsigned u)
{
	uint32_t z = 0, v = u;

	m->calls++;
	bpf_map_update_elem(m->used, &z, &v, BPF_ANY);
}

int grd_net_replace(struct grd_net_fds *m, unsigned long long cookie, struct grd_net_policy *v,
		    const struct bh_guard_net_rule *rules, size_t n, const char *id,
		    struct bh_error **err)
{
	struct grd_net_policy old;
	struct grd_net_counts *zero = NULL;
	unsigned used, others, oldn = 0, bank;
	uint32_t one = 1;
	bool had;
	int ncpu, r = -1;

	if (n > GRD_NET_MAX_RULES)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "container %s: %zu network rules, more than the %d a connect "
				    "policy holds",
				    id, n, GRD_NET_MAX_RULES);
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return bh_error_set(err, BH_ERR_IO, "the number of CPUs");
	m->calls++;
	had = bpf_map_lookup_elem(m->policy, &cookie, &old) == 0;
	/* generations alternate banks: the one in force is never the one written */
	v->gen = had ? old.gen + 1 : 0;
	v->nrules = (unsigned)n;
	bank = v->gen & 1;
	/* what an interrupted replace (or removal) left */
	bank_delete(m, cookie, bank);
	if (had)
		oldn = old.nrules;
	else
		bank_delete(m, cookie, bank ^ 1);
	used = used_get(m);
	others = used > oldn ? used - oldn : 0;
	if (others + n > GRD_NET_MAX_KEYS)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "container %s: %zu network rules do not fit: the other "
				    "containers' policies hold %u of the %d rules of the connect "
				    "guard",
				    id, n, others, GRD_NET_MAX_KEYS);
	for (size_t i = 0; i < n; i++) {
		struct grd_net_key k;
		struct grd_net_slot s = slot_key(cookie, bank, (unsigned)i);

		grd_net_rule_key(&rules[i], cookie, v->gen, &k);
		v->flags |= rules[i].proto
				    ? (rules[i].port ? GRD_NET_HAS_PROTO_PORT : GRD_NET_HAS_PROTO)
			    : rules[i].port ? GRD_NET_HAS_PORT
					    : GRD_NET_HAS_ANY;
		/* the list first: a key is never in the trie without it */
		m->calls += 2;
		if (bpf_map_update_elem(m->slots, &s, &k, BPF_ANY) < 0 ||
		    bpf_map_update_elem(m->rules, &k, &one, BPF_ANY) < 0) {
			if (errno == ENOSPC || errno == E2BIG)
				bh_error_set(err, BH_ERR_LIMIT,
					     "container %s: the connect guard's rule table is full "
					     "(%d rules of every container together, %d more "
					     "while one is replaced)",
					     id, GRD_NET_MAX_KEYS, GRD_NET_MAX_RULES);
			else
				bh_error_sys(err, errno, "container %s: writing its network rules",
					     id);
			bank_delete(m, cookie, bank);
			goto out;
		}
	}
	zero = bh_calloc((size_t)ncpu, sizeof(*zero));
	/* `used` grows before the switch and shrinks after it: an interruption between
	 * leaves it over, never under, the rules in force (a bound kept, never passed) */
	if (n > oldn)
		used_set(m, others + (unsigned)n);
	/* counts first: the policy's first verdict finds its row */
	m->calls += 2;
	if (bpf_map_update_elem(m->counts, &cookie, zero, BPF_ANY) < 0 ||
	    bpf_map_update_elem(m->policy, &cookie, v, BPF_ANY) < 0) {
		if (errno == E2BIG || errno == ENOSPC)
			bh_error_set(err, BH_ERR_LIMIT,
				     "container %s: %d containers have a connect policy, the most "
				     "the guard holds",
				     id, GRD_NET_MAX_CTRS);
		else
			bh_error_sys(err, errno, "container %s: setting its connect policy", id);
		bank_delete(m, cookie, bank);
		if (n > oldn)
			used_set(m, used);
		goto out;
	}
	if (n <= oldn)
		used_set(m, others + (unsigned)n);
	if (had)
		bank_delete(m, cookie, bank ^ 1); /* the old generation */
	r = 0;
out:
	free(zero);
	return r;
}

int grd_net_remove(struct grd_net_fds *m, unsigned long long cookie, const char *id,
		   struct bh_error **err)
{
	struct grd_net_policy old;
	unsigned used;

	m->calls += 2;
	if (bpf_map_lookup_elem(m->policy, &cookie, &old) < 0 ||
	    bpf_map_delete_elem(m->policy, &cookie) < 0) {
		if (errno == ENOENT)
			return bh_error_set(err, BH_ERR_NOTFOUND, "container %s: no connect policy",
					    id);
		return bh_error_sys(err, errno, "container %s: removing its connect policy", id);
	}
	m->calls++;
	bpf_map_delete_elem(m->counts, &cookie);
	used = used_get(m);
	used_set(m, used > old.nrules ? used - old.nrules : 0);
	bank_delete(m, cookie, 0);
	bank_delete(m, cookie, 1);
	return 0;
}

int bh_guard_net_set(const struct bh_ctr *c, const struct bh_guard_net_policy *p,
		     struct bh_error **err)
{
	struct grd_net_policy v;
	struct net_maps m;
	uint64_t cookie = 0;
	int r;

	if (p->nrules > GRD_NET_MAX_RULES)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "container %s: %zu network rules, more than the %d a connect "
				    "policy holds",
				    c && c->id ? c->id : "?", p->nrules, GRD_NET_MAX_RULES);
	if (p->action == BH_GUARD_NET_DENY_ALL && p->nrules)
		return bh_error_set(err, BH_ERR_USAGE, "deny-all takes no rules");
	if (ctr_cookie(c, &cookie, err) < 0)
		return -1;
	memset(&v, 0, sizeof(v));
	v.action = p->action == BH_GUARD_NET_DENY_ALL	  ? GRD_NET_DENY_ALL
		   : p->action == BH_GUARD_NET_ALLOW_LIST ? GRD_NET_ALLOW_LIST
							  : GRD_NET_DENY_LIST;
	v.flags = p->monitor ? GRD_NET_MONITOR : 0;
	if (maps_open(&m, LOCK_EX, true, err) < 0)
		return -1;
	r = grd_net_replace(&m.f, cookie, &v, p->rules, p->nrules, c->id, err);
	maps_close(&m);
	return r;
}

int bh_guard_net_clear(const struct bh_ctr *c, struct bh_error **err)
{
	struct net_maps m;
	uint64_t cookie = 0;
	int r;

	if (ctr_cookie(c, &cookie, err) < 0)
		return -1;
	if (maps_open(&m, LOCK_EX, false, err) < 0)
		return -1;
	r = grd_net_remove(&m.f, cookie, c->id, err);
	maps_close(&m);
	return r;
}

int bh_guard_net_counts(const struct bh_ctr *c, struct bh_guard_net_counts *out,
			struct bh_error **err)
{
	struct grd_net_counts *per = NULL;
	struct net_maps m;
	uint64_t cookie = 0;
	int ncpu, r = -1;

	memset(out, 0, sizeof(*out));
	if (ctr_cookie(c, &cookie, err) < 0)
		return -1;
	if (maps_open(&m, LOCK_SH, false, err) < 0)
		return -1;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		bh_error_set(err, BH_ERR_IO, "the number of CPUs");
		goto out;
	}
	per = bh_calloc((size_t)ncpu, sizeof(*per));
	if (bpf_map_lookup_elem(m.f.counts, &cookie, per) < 0) {
		if (errno == ENOENT)
			bh_error_set(err, BH_ERR_NOTFOUND, "container %s: no connect policy",
				     c->id);
		else
			bh_error_sys(err, errno, "container %s: reading its counts", c->id);
		goto out;
	}
	for (int i = 0; i < ncpu; i++) {
		out->allowed += per[i].allowed;
		out->denied += per[i].denied;
		out->would_deny += per[i].would_deny;
	}
	r = 0;
out:
	free(per);
	maps_close(&m);
	return r;
}

int bh_guard_net_detach(struct bh_error **err)
{
	int lk = lock_root(LOCK_EX, err);

	if (lk < 0)
		return -1;
	unpin_all();
	close(lk);
	return 0;
}
