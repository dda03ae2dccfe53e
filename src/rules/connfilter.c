// SPDX-License-Identifier: Apache-2.0
/*
 * bh_rules_connect_peers: the connects a block rule names by their peer, as
 * rules the connect guard (a cgroup BPF program, no user space in the
 * decision) can enforce. Unlike the opens (bh_rules_open_paths), where the
 * guard asks user space and the rule is evaluated in full, the kernel decides
 * alone here: what it refuses must be something the rule matches. So per
 * expression the analysis keeps a SUFFICIENT condition S (a disjunction of
 * atoms, each a set of peer prefixes, of ports and of protocols, "any" when
 * unconstrained) and whether S is also NECESSARY (exact): a connect in S
 * matches the expression; when exact, every connect the expression matches
 * is in S. A rule is enforced by the guard through S, and is reported as
 * inexact (alert-only beyond S) when S is not exact.
 */
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "banned.h"

#define ATOMS_MAX 64

struct pnet {
	uint16_t family;
	uint8_t ip[16];
	uint8_t prefix;
};

/* a dimension: any (n == ANY), or the n values in v (0: none) */
#define ANY ((size_t)-1)

struct catom {
	struct pnet *net;
	size_t nnet;
	uint16_t *port;
	size_t nport;
	uint8_t *proto;
	size_t nproto;
};

struct ccond {
	struct catom *v;
	size_t n; /* 0: FALSE */
	bool exact;
};

static void catom_release(struct catom *a)
{
	free(a->net);
	free(a->port);
	free(a->proto);
	memset(a, 0, sizeof(*a));
}

static void ccond_release(struct ccond *c)
{
	for (size_t i = 0; i < c->n; i++)
		catom_release(&c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static struct catom *ccond_add(struct ccond *c)
{
	c->v = bh_reallocarray(c->v, c->n + 1, sizeof(*c->v));
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	c->v[c->n].nnet = c->v[c->n].nport = c->v[c->n].nproto = ANY;
	return &c->v[c->n++];
}

/* FALSE, exact or not */
static void ccond_false(struct ccond *c, bool exact)
{
	ccond_release(c);
	c->exact = exact;
}

static void ccond_true(struct ccond *c)
{
	ccond_release(c);
	ccond_add(c);
	c->exact = true;
}

static void *dup_arr(const void *v, size_t n, size_t sz)
{
	void *o;

	if (n == ANY || !n)
		return NULL;
	o = bh_calloc(n, sz);
	memcpy(o, v, n * sz);
	return o;
}

static void catom_copy(struct catom *to, const struct catom *from)
{
	to->nnet = from->nnet;
	to->net = dup_arr(from->net, from->nnet, sizeof(*from->net));
	to->nport = from->nport;
	to->port = dup_arr(from->port, from->nport, sizeof(*from->port));
	to->nproto = from->nproto;
	to->proto = dup_arr(from->proto, from->nproto, sizeof(*from->proto));
}

static bool prefix_in(const struct pnet *a, const struct pnet *b)
{
	/* a within b: same family, b's prefix not longer, a's first b->prefix bits equal */
	unsigned bits = b->prefix, full = bits / 8, rest = bits % 8;

	if (a->family != b->family || a->prefix < b->prefix)
		return false;
	if (memcmp(a->ip, b->ip, full))
		return false;
	return !rest || ((a->ip[full] ^ b->ip[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* a ∧ b of two atoms into o; false when empty */
static bool catom_and(const struct catom *a, const struct catom *b, struct catom *o)
{
	memset(o, 0, sizeof(*o));
	o->nnet = o->nport = o->nproto = ANY;
	if (a->nnet == ANY || b->nnet == ANY) {
		const struct catom *s = a->nnet == ANY ? b : a;

		o->nnet = s->nnet;
		o->net = dup_arr(s->net, s->nnet, sizeof(*s->net));
	} else {
		o->nnet = 0;
		o->net = bh_calloc(a->nnet * b->nnet + 1, sizeof(*o->net));
		for (size_t i = 0; i < a->nnet; i++)
			for (size_t j = 0; j < b->nnet; j++)
				if (prefix_in(&a->net[i], &b->net[j]))
					o->net[o->nnet++] = a->net[i];
				else if (prefix_in(&b->net[j], &a->net[i]))
					o->net[o->nnet++] = b->net[j];
	}
	if (a->nport == ANY || b->nport == ANY) {
		const struct catom *s = a->nport == ANY ? b : a;

		o->nport = s->nport;
		o->port = dup_arr(s->port, s->nport, sizeof(*s->port));
	} else {
		o->nport = 0;
		o->port = bh_calloc(a->nport + 1, sizeof(*o->port));
		for (size_t i = 0; i < a->nport; i++)
			for (size_t j = 0; j < b->nport; j++)
				if (a->port[i] == b->port[j]) {
					o->port[o->nport++] = a->port[i];
					break;
				}
	}
	if (a->nproto == ANY || b->nproto == ANY) {
		const struct catom *s = a->nproto == ANY ? b : a;

		o->nproto = s->nproto;
		o->proto = dup_arr(s->proto, s->nproto, sizeof(*s->proto));
	} else {
		o->nproto = 0;
		o->proto = bh_calloc(a->nproto + 1, sizeof(*o->proto));
		for (size_t i = 0; i < a->nproto; i++)
			for (size_t j = 0; j < b->nproto; j++)
				if (a->proto[i] == b->proto[j]) {
					o->proto[o->nproto++] = a->proto[i];
					break;
				}
	}
	if (!o->nnet || !o->nport || !o->nproto) {
		catom_release(o);
		return false;
	}
	return true;
}

static bool is_eq_in(const struct rules_expr *e)
{
	return (e->op == RULES_OP_EQ || e->op == RULES_OP_IN) && e->nvals > 0;
}

/* One comparison. */
static void cmp_ccond(const struct rules_expr *e, struct ccond *c)
{
	const char *f = e->field->name;
	bool addr_exact = !strcmp(f, "fd.sip") || !strcmp(f, "fd.rip") || !strcmp(f, "fd.snet") ||
			  !strcmp(f, "fd.rnet"),
	     port_exact = !strcmp(f, "fd.sport") || !strcmp(f, "fd.rport");
	/* either end of the socket: the peer's end is sufficient, not necessary */
	bool addr_either = !strcmp(f, "fd.net"), port_either = !strcmp(f, "fd.port");
	struct catom *a;

	ccond_false(c, false);
	if (!strcmp(f, "evt.type")) {
		if (!is_eq_in(e))
			return;
		c->exact = true;
		for (size_t i = 0; i < e->nvals; i++)
			if (e->vals[i].s && bh_mon_type_parse(e->vals[i].s) == BH_MON_CONNECT) {
				ccond_true(c);
				return;
			}
		return; /* exactly FALSE: not a connect */
	}
	/* the guard runs for containers only */
	if (!strcmp(f, "container.id") && e->op == RULES_OP_NE && e->nvals == 1 && e->vals[0].s &&
	    !strcmp(e->vals[0].s, "host")) {
		ccond_true(c);
		return;
	}
	if (!is_eq_in(e))
		return;
	if (addr_exact || addr_either) {
		a = ccond_add(c);
		a->nnet = 0;
		a->net = bh_calloc(e->nvals, sizeof(*a->net));
		for (size_t i = 0; i < e->nvals; i++) {
			const struct rules_val *v = &e->vals[i];

			if (v->family != AF_INET && v->family != AF_INET6)
				continue;
			a->net[a->nnet].family = v->family;
			memcpy(a->net[a->nnet].ip, v->ip, 16);
			a->net[a->nnet].prefix = v->prefix;
			a->nnet++;
		}
		c->exact = addr_exact && a->nnet == e->nvals;
		if (!a->nnet)
			ccond_false(c, false);
		return;
	}
	if (port_exact || port_either) {
		a = ccond_add(c);
		a->nport = 0;
		a->port = bh_calloc(e->nvals, sizeof(*a->port));
		/* port 0 is the guard's "any": not expressible as one port */
		for (size_t i = 0; i < e->nvals; i++)
			if (e->vals[i].n > 0 && e->vals[i].n <= 65535)
				a->port[a->nport++] = (uint16_t)e->vals[i].n;
		c->exact = port_exact && a->nport == e->nvals;
		if (!a->nport)
			ccond_false(c, false);
		return;
	}
	if (!strcmp(f, "fd.l4proto")) {
		a = ccond_add(c);
		a->nproto = 0;
		a->proto = bh_calloc(e->nvals, sizeof(*a->proto));
		for (size_t i = 0; i < e->nvals; i++) {
			const char *s = e->vals[i].s;

			if (s && !strcmp(s, "tcp"))
				a->proto[a->nproto++] = 6;
			else if (s && !strcmp(s, "udp"))
				a->proto[a->nproto++] = 17;
		}
		c->exact = a->nproto == e->nvals;
		if (!a->nproto)
			ccond_false(c, false);
		return;
	}
	/* anything else (a process, a user, a file...): the kernel cannot say */
}

static void expr_ccond(const struct rules_expr *e, struct ccond *c)
{
	struct ccond a = { 0 }, b = { 0 };

	memset(c, 0, sizeof(*c));
	switch (e->kind) {
	case RULES_E_CONST:
		if (e->value)
			ccond_true(c);
		else
			ccond_false(c, true);
		return;
	case RULES_E_NOT:
		expr_ccond(e->a, &a);
		/* NOT of an exact constant is exact; anything else: FALSE */
		if (a.exact && !a.n)
			ccond_true(c);
		else if (a.exact && a.n == 1 && a.v[0].nnet == ANY && a.v[0].nport == ANY &&
			 a.v[0].nproto == ANY)
			ccond_false(c, true);
		else
			ccond_false(c, false);
		ccond_release(&a);
		return;
	case RULES_E_CMP: cmp_ccond(e, c); return;
	case RULES_E_AND:
		expr_ccond(e->a, &a);
		expr_ccond(e->b, &b);
		c->exact = a.exact && b.exact;
		/* FALSE and exact on one side: exactly FALSE */
		if ((!a.n && a.exact) || (!b.n && b.exact))
			c->exact = true;
		if (a.n * b.n > ATOMS_MAX) {
			c->exact = false;
		} else {
			for (size_t i = 0; i < a.n; i++)
				for (size_t j = 0; j < b.n; j++) {
					struct catom o;

					if (catom_and(&a.v[i], &b.v[j], &o)) {
						*ccond_add(c) = o;
					}
				}
		}
		ccond_release(&a);
		ccond_release(&b);
		return;
	case RULES_E_OR:
		expr_ccond(e->a, &a);
		expr_ccond(e->b, &b);
		c->exact = a.exact && b.exact;
		if (a.n + b.n > ATOMS_MAX) {
			ccond_release(&a);
			ccond_release(&b);
			ccond_false(c, false);
			return;
		}
		*c = a;
		c->exact = a.exact && b.exact;
		for (size_t i = 0; i < b.n; i++)
			catom_copy(ccond_add(c), &b.v[i]);
		ccond_release(&b);
		return;
	}
}

static size_t dim(size_t n)
{
	return n == ANY ? 1 : n;
}

/* the atom's peers (a cross product; "any" address: both families' /0) */
static void push_peers(const struct catom *a, struct bh_rules_peer **out, size_t *n)
{
	static const struct pnet any[2] = { { .family = AF_INET }, { .family = AF_INET6 } };
	const struct pnet *nets = a->nnet == ANY ? any : a->net;
	size_t nn = a->nnet == ANY ? 2 : a->nnet;

	for (size_t i = 0; i < nn; i++)
		for (size_t j = 0; j < dim(a->nport); j++)
			for (size_t k = 0; k < dim(a->nproto); k++) {
				struct bh_rules_peer p = { 0 };

				p.family = nets[i].family;
				memcpy(p.addr, nets[i].ip, 16);
				p.prefix = nets[i].prefix;
				p.port = a->nport == ANY ? 0 : a->port[j];
				p.proto = a->nproto == ANY ? 0 : a->proto[k];
				for (size_t m = 0; m < *n; m++)
					if (!memcmp(&(*out)[m], &p, sizeof(p)))
						goto dup;
				*out = bh_reallocarray(*out, *n + 1, sizeof(**out));
				(*out)[(*n)++] = p;
			dup:;
			}
}

static size_t atom_size(const struct catom *a)
{
	return (a->nnet == ANY ? 2 : a->nnet) * dim(a->nport) * dim(a->nproto);
}

int bh_rules_connect_peers(const struct bh_rules *rs,
			   bool (*want)(const struct bh_rules_rule *r, void *arg), void *arg,
			   struct bh_rules_peer **out, size_t *nout, const char **inexact)
{
	int exact = 1;

	*out = NULL;
	*nout = 0;
	if (inexact)
		*inexact = NULL;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rules_compiled *r = rs->rules[i];
		struct ccond c = { 0 };
		size_t size = 0;

		if (!(r->types & BH_MON_TYPE_BIT(BH_MON_CONNECT)) || !want(&r->pub, arg))
			continue;
		expr_ccond(r->expr, &c);
		for (size_t j = 0; j < c.n; j++)
			size += atom_size(&c.v[j]);
		if (*nout + size > BH_RULES_PEERS_MAX) {
			ccond_release(&c);
			c.exact = false;
		}
		if (!c.exact) {
			if (exact && inexact)
				*inexact = r->pub.name;
			exact = 0;
		}
		for (size_t j = 0; j < c.n; j++)
			push_peers(&c.v[j], out, nout);
		ccond_release(&c);
	}
	return exact;
}
