/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device rules for cgroup v2: there is no devices controller, the kernel asks
 * a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup. We write that
 * program here from the rule list, the way runc and crun do, as raw eBPF
 * instructions loaded with bpf(2).
 *
 * The program has two forms. Up to DIRECT_MAX rules (r1 = the context):
 *
 *	r2 = ctx->access_type		(access << 16 | type)
 *	r3 = r2 & 0xffff		(type)		only when some rule needs it
 *	r4 = ctx->major, r5 = ctx->minor		only when some rule needs them
 *   for each rule, the last one first:
 *	"rwm" or a deny:	if r3 != TYPE goto next
 *	a partial allow:	r1 = r2 & (0xffff | ~ACCESS << 16); if r1 != TYPE goto next
 *				(one test: same type, nothing asked beyond the rule's access)
 *				if r4 != MAJOR goto next	unless the major is *
 *				if r5 != MINOR goto next	unless the minor is *
 *	a partial deny:		if r2 & ACCESS << 16 goto VERDICT
 *	  the last test jumps to the verdict instead: if r5 == MINOR goto VERDICT
 *	  next:
 *	DEFAULT:	r0 = default; exit
 *	OTHER:		r0 = !default; exit
 *
 * More rules take the large form (emit_large: one comparison per rule), which
 * the verifier checks in linear time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "devices_bpf.h"
#include "internal.h"
#include "banned.h"

#define ACC_ALL	 (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)
#define LOG_SIZE (256 * 1024)
/* Up to this many checked rules, the fields are loaded once (see emit_prog). */
#define DIRECT_MAX 64

/* ---- the rule list --------------------------------------------------------- */

/* The devices every container may use, as the v1 path always allowed them. */
static const struct rt_devbpf_rule defaults[] = {
	{ true, 'c', 1, 3, ACC_ALL },	 /* null */
	{ true, 'c', 1, 5, ACC_ALL },	 /* zero */
	{ true, 'c', 1, 7, ACC_ALL },	 /* full */
	{ true, 'c', 1, 8, ACC_ALL },	 /* random */
	{ true, 'c', 1, 9, ACC_ALL },	 /* urandom */
	{ true, 'c', 5, 0, ACC_ALL },	 /* tty */
	{ true, 'c', 5, 1, ACC_ALL },	 /* console */
	{ true, 'c', 5, 2, ACC_ALL },	 /* ptmx */
	{ true, 'c', 136, -1, ACC_ALL }, /* pts */
};

static uint8_t access_bits(const char *s)
{
	uint8_t a = 0;

	for (; *s; s++)
		a |= *s == 'r'	 ? BPF_DEVCG_ACC_READ
		     : *s == 'w' ? BPF_DEVCG_ACC_WRITE
		     : *s == 'm' ? BPF_DEVCG_ACC_MKNOD
				 : 0;
	return a;
}

static int check_rule(const struct rt_devbpf_rule *r, const char *what, size_t i,
		      struct bh_error **err)
{
	if (r->type != 'a' && r->type != 'c' && r->type != 'b')
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s[%zu]: device type '%c' is not a, c or b", what, i,
				    r->type ? r->type : '?');
	if (r->major < -1 || r->major > RT_DEVBPF_MAX_NUM || r->minor < -1 ||
	    r->minor > RT_DEVBPF_MAX_NUM)
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s[%zu]: major %lld / minor %lld out of range (-1 or 0..%d)",
				    what, i, (long long)r->major, (long long)r->minor,
				    RT_DEVBPF_MAX_NUM);
	if (r->access & ~ACC_ALL)
		return bh_error_set(err, BH_ERR_INVALID, "%s[%zu]: bad access", what, i);
	return 0;
}

int rt_devbpf_rules(const struct bh_rt_spec *spec, struct rt_devbpf_rule **out, size_t *n,
		    struct bh_error **err)
{
	const struct bh_rt_resources *res = &spec->res;
	size_t ndef = sizeof(defaults) / sizeof(defaults[0]), k = 0;
	struct rt_devbpf_rule *v;

	*out = NULL;
	*n = 0;
	if (res->ndevices > RT_MAX_DEVICES || spec->ndevices > RT_MAX_DEVICES)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "device rules: more than %d entries in linux.resources.devices "
				    "or linux.devices",
				    RT_MAX_DEVICES);
	v = bh_calloc(1 + res->ndevices + ndef + spec->ndevices, sizeof(*v));
	/* default deny, whatever the inherited state (runc's v1 target is an allow-list too) */
	v[k++] = (struct rt_devbpf_rule){ false, 'a', -1, -1, ACC_ALL };
	for (size_t i = 0; i < res->ndevices; i++) {
		const struct bh_rt_devrule *d = &res->devices[i];

		v[k] = (struct rt_devbpf_rule){ d->allow, d->type, d->major, d->minor,
						access_bits(d->access) };
		if (strspn(d->access, "rwm") != strlen(d->access))
			v[k].access = 0xff; /* refused by check_rule */
		if (check_rule(&v[k], "linux.resources.devices", i, err) < 0)
			goto fail;
		k++;
	}
	for (size_t i = 0; i < ndef; i++)
		v[k++] = defaults[i];
	for (size_t i = 0; i < spec->ndevices; i++) {
		const struct bh_rt_device *d = &spec->devices[i];

		if (d->type == 'p')
			continue;
		if (d->type != 'c' && d->type != 'u' && d->type != 'b') {
			bh_error_set(err, BH_ERR_INVALID, "linux.devices[%zu]: type '%c'", i,
				     d->type ? d->type : '?');
			goto fail;
		}
		v[k] = (struct rt_devbpf_rule){ true, d->type == 'b' ? 'b' : 'c', d->major,
						d->minor, ACC_ALL };
		if (d->major < 0 || d->minor < 0 ||
		    check_rule(&v[k], "linux.devices", i, err) < 0) {
			bh_error_set(err, BH_ERR_INVALID,
				     "linux.devices[%zu]: major %lld / minor %lld out of range", i,
				     (long long)d->major, (long long)d->minor);
			goto fail;
		}
		k++;
	}
	*out = v;
	*n = k;
	return 0;
fail:
	free(v);
	return -1;
}

void rt_devbpf_rule_format(const struct rt_devbpf_rule *r, char *buf, size_t size)
{
	char mj[24], mn[24], acc[4];
	size_t k = 0;

	if (r->type == 'a') {
		snprintf(buf, size, "a");
		return;
	}
	if (r->access & BPF_DEVCG_ACC_READ)
		acc[k++] = 'r';
	if (r->access & BPF_DEVCG_ACC_WRITE)
		acc[k++] = 'w';
	if (r->access & BPF_DEVCG_ACC_MKNOD)
		acc[k++] = 'm';
	acc[k] = 0;
	if (r->major < 0)
		snprintf(mj, sizeof(mj), "*");
	else
		snprintf(mj, sizeof(mj), "%lld", (long long)r->major);
	if (r->minor < 0)
		snprintf(mn, sizeof(mn), "*");
	else
		snprintf(mn, sizeof(mn), "%lld", (long long)r->minor);
	snprintf(buf, size, "%c %s:%s %s", r->type, mj, mn, acc);
}

/* Does the rule's access part match a request for `access`? */
static bool access_matches(const struct rt_devbpf_rule *r, unsigned access)
{
	if (r->allow)
		return (access & ~r->access) == 0;
	return r->access == ACC_ALL || (access & r->access) != 0;
}

static bool rule_matches(const struct rt_devbpf_rule *r, char type, uint32_t major, uint32_t minor,
			 unsigned access)
{
	if (r->type == 'a')
		return true;
	return r->type == type && (r->major < 0 || (uint32_t)r->major == major) &&
	       (r->minor < 0 || (uint32_t)r->minor == minor) && access_matches(r, access);
}

bool rt_devbpf_eval(const struct rt_devbpf_rule *rules, size_t n, char type, uint32_t major,
		    uint32_t minor, unsigned access)
{
	for (size_t i = n; i-- > 0;)
		if (rule_matches(&rules[i], type, major, minor, access))
			return rules[i].allow;
	return false;
}

/* A deny rule without access matches no request. */
static bool matches_nothing(const struct rt_devbpf_rule *r)
{
	return !r->allow && r->access == 0;
}

/* Every request s matches, r matches too (neither is type 'a'). */
static bool covers(const struct rt_devbpf_rule *r, const struct rt_devbpf_rule *s)
{
	bool acc;

	if (r->type != s->type || (r->major >= 0 && r->major != s->major) ||
	    (r->minor >= 0 && r->minor != s->minor))
		return false;
	if (r->access == ACC_ALL)
		acc = true; /* "rwm" matches every request, allow or deny */
	else if (s->allow)
		acc = r->allow && (s->access & ~r->access) == 0; /* a deny misses access 0 */
	else
		acc = !r->allow && (s->access & ~r->access) == 0;
	return acc;
}

/* ---- the program ----------------------------------------------------------- */

enum { TGT_NONE, TGT_NEXT, TGT_DEFAULT, TGT_OTHER };

struct emitter {
	struct bpf_insn *v;
	uint8_t *tgt;	   /* per instruction: where its jump goes (TGT_*) */
	size_t *block_end; /* per rule: the instruction after its block */
	size_t n, cap;
};

static void emit(struct emitter *e, struct bpf_insn insn, int tgt)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 64;
		e->v = bh_reallocarray(e->v, e->cap, sizeof(*e->v));
		e->tgt = bh_reallocarray(e->tgt, e->cap, 1);
	}
	e->tgt[e->n] = (uint8_t)tgt;
	e->v[e->n++] = insn;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = {
		.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm
	};

	return i;
}

#define LDX_W(dst, off)	      insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0)
#define MOV_REG(dst, src)     insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm)     insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define ALU_IMM(op, dst, imm) insn(BPF_ALU64 | (op) | BPF_K, dst, 0, 0, imm)
#define ALU_REG(op, dst, src) insn(BPF_ALU64 | (op) | BPF_X, dst, src, 0, 0)
#define JMP_IMM(op, dst, imm) insn(BPF_JMP | (op) | BPF_K, dst, 0, 0, imm)
#define JMP_REG(op, dst, src) insn(BPF_JMP | (op) | BPF_X, dst, src, 0, 0)
#define EXIT()		      insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* dst = a 64-bit constant (two instruction slots) */
static void ld_imm64(struct emitter *e, uint8_t dst, uint64_t v)
{
	emit(e, insn(BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (int32_t)(uint32_t)v), TGT_NONE);
	emit(e, insn(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)), TGT_NONE);
}

static bool fits_imm(uint64_t v)
{
	return v <= INT32_MAX;
}

/* r0 = verdict; exit. */
static void emit_exit(struct emitter *e, bool verdict)
{
	emit(e, MOV_IMM(BPF_REG_0, verdict), TGT_NONE);
	emit(e, EXIT(), TGT_NONE);
}

/* Resolve the jumps once every block and the verdicts are placed. */
static int resolve(struct emitter *e, size_t start, size_t nkeep, size_t def_at, size_t other_at)
{
	for (size_t pc = start, k = 0; pc < e->n && k < nkeep; pc++) {
		size_t to;

		while (k < nkeep && pc >= e->block_end[k])
			k++;
		if (e->tgt[pc] == TGT_NONE || k >= nkeep)
			continue;
		to = e->tgt[pc] == TGT_NEXT	 ? e->block_end[k]
		     : e->tgt[pc] == TGT_DEFAULT ? def_at
						 : other_at;
		if (to <= pc || to - pc - 1 > INT16_MAX)
			return -1;
		e->v[pc].off = (int16_t)(to - pc - 1);
	}
	return 0;
}

/*
 * The small form, for up to DIRECT_MAX rules: the fields are loaded once
 * into r2..r5, a rule is one to four tests, its last test jumps to the shared
 * verdicts at the end.
 */
static int emit_small(const struct rt_devbpf_rule *rules, const size_t *keep, size_t nkeep,
		      bool def, struct emitter *e)
{
	bool need_type = false, need_major = false, need_minor = false, other_used = false;
	size_t start, def_at;

	for (size_t k = 0; k < nkeep; k++) {
		const struct rt_devbpf_rule *x = &rules[keep[k]];

		need_type |= x->access == ACC_ALL || !x->allow;
		need_major |= x->major >= 0;
		need_minor |= x->minor >= 0;
	}
	if (nkeep)
		emit(e, LDX_W(BPF_REG_2, 0), TGT_NONE);
	if (need_type) {
		emit(e, MOV_REG(BPF_REG_3, BPF_REG_2), TGT_NONE);
		emit(e, ALU_IMM(BPF_AND, BPF_REG_3, 0xffff), TGT_NONE);
	}
	if (need_major)
		emit(e, LDX_W(BPF_REG_4, 4), TGT_NONE);
	if (need_minor)
		emit(e, LDX_W(BPF_REG_5, 8), TGT_NONE);
	start = e->n;
	for (size_t k = 0; k < nkeep; k++) {
		const struct rt_devbpf_rule *x = &rules[keep[k]];
		int32_t type = x->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
		int verdict = x->allow == def ? TGT_DEFAULT : TGT_OTHER;
		bool partial_deny = !x->allow && x->access != ACC_ALL;
		struct {
			uint8_t reg;
			int32_t imm;
		} t[3];
		int nt = 0;

		if (x->access == ACC_ALL || !x->allow) {
			t[nt].reg = BPF_REG_3;
		} else {
			/* same type and nothing asked beyond the rule's access, in one test */
			emit(e, MOV_REG(BPF_REG_1, BPF_REG_2), TGT_NONE);
			emit(e,
			     ALU_IMM(BPF_AND, BPF_REG_1, 0xffff | ((~x->access & ACC_ALL) << 16)),
			     TGT_NONE);
			t[nt].reg = BPF_REG_1;
		}
		t[nt++].imm = type;
		if (x->major >= 0) {
			t[nt].reg = BPF_REG_4;
			t[nt++].imm = (int32_t)x->major;
		}
		if (x->minor >= 0) {
			t[nt].reg = BPF_REG_5;
			t[nt++].imm = (int32_t)x->minor;
		}
		for (int i = 0; i < nt; i++) {
			if (i == nt - 1 && !partial_deny)
				emit(e, JMP_IMM(BPF_JEQ, t[i].reg, t[i].imm), verdict);
			else
				emit(e, JMP_IMM(BPF_JNE, t[i].reg, t[i].imm), TGT_NEXT);
		}
		if (partial_deny) /* asks for some of the denied access */
			emit(e, JMP_IMM(BPF_JSET, BPF_REG_2, (int32_t)x->access << 16), verdict);
		other_used |= verdict == TGT_OTHER;
		e->block_end[k] = e->n;
	}
	def_at = e->n;
	emit_exit(e, def);
	if (other_used)
		emit_exit(e, !def);
	return resolve(e, start, nkeep, def_at, def_at + 2);
}

/*
 * The large form. The verifier walks the program depth first, keeping a state
 * for every conditional jump it has yet to follow (at most 8192), and it can
 * skip a path only where an earlier path reached the same point in the same
 * state. The small form defeats both with many rules: the path that matches a
 * rule's type knows r3 == TYPE, so no later state equals an earlier one (the
 * work grows with the square of the rules; 1024 rules exceed its budget of a
 * million instructions), and the pending jumps pile up.
 *
 * So here the prologue packs the request into one register, r6 = access_type
 * | major << 19 | minor << 32 (the kernel's majors have 12 bits and minors 20),
 * and a rule is one comparison of a masked copy against a constant; on a
 * mismatch it jumps to the next rule, on a match it returns its verdict. Each
 * rule's start is then reached in one state (the copy dies), and a pending
 * jump is followed as soon as the match path exits. A partial deny adds one
 * test (some denied access asked).
 */
#define PK_MAJOR_SHIFT 19
#define PK_MINOR_SHIFT 32
#define PK_MAJOR_MAX   0xfff

static int emit_large(const struct rt_devbpf_rule *rules, const size_t *keep, size_t nkeep,
		      bool def, struct emitter *e)
{
	uint64_t mask_in_r4 = 0;
	size_t start, def_at;

	emit(e, LDX_W(BPF_REG_6, 0), TGT_NONE);
	emit(e, LDX_W(BPF_REG_2, 4), TGT_NONE);
	emit(e, ALU_IMM(BPF_LSH, BPF_REG_2, PK_MAJOR_SHIFT), TGT_NONE);
	emit(e, ALU_REG(BPF_OR, BPF_REG_6, BPF_REG_2), TGT_NONE);
	emit(e, LDX_W(BPF_REG_2, 8), TGT_NONE);
	emit(e, ALU_IMM(BPF_LSH, BPF_REG_2, PK_MINOR_SHIFT), TGT_NONE);
	emit(e, ALU_REG(BPF_OR, BPF_REG_6, BPF_REG_2), TGT_NONE);
	start = e->n;
	for (size_t k = 0; k < nkeep; k++) {
		const struct rt_devbpf_rule *x = &rules[keep[k]];
		uint64_t type = x->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
		uint64_t mask = 0xffff, key = type;

		if (x->major > PK_MAJOR_MAX) {
			e->block_end[k] = e->n; /* no device has such a major */
			continue;
		}
		if (x->allow && x->access != ACC_ALL)
			mask |= (uint64_t)(~x->access & ACC_ALL) << 16;
		if (x->major >= 0) {
			mask |= (uint64_t)PK_MAJOR_MAX << PK_MAJOR_SHIFT;
			key |= (uint64_t)x->major << PK_MAJOR_SHIFT;
		}
		if (x->minor >= 0) {
			mask |= (uint64_t)RT_DEVBPF_MAX_NUM << PK_MINOR_SHIFT;
			key |= (uint64_t)x->minor << PK_MINOR_SHIFT;
		}
		if (!fits_imm(mask) && mask != mask_in_r4) {
			/* r4 keeps the mask from one rule to the next (the only way in) */
			ld_imm64(e, BPF_REG_4, mask);
			mask_in_r4 = mask;
		}
		if (!x->allow && x->access != ACC_ALL) {
			/* a partial deny: some of its access asked, or the next rule */
			emit(e, MOV_REG(BPF_REG_2, BPF_REG_6), TGT_NONE);
			emit(e, ALU_IMM(BPF_AND, BPF_REG_2, (int32_t)x->access << 16), TGT_NONE);
			emit(e, JMP_IMM(BPF_JEQ, BPF_REG_2, 0), TGT_NEXT);
		}
		emit(e, MOV_REG(BPF_REG_2, BPF_REG_6), TGT_NONE);
		if (fits_imm(mask))
			emit(e, ALU_IMM(BPF_AND, BPF_REG_2, (int32_t)mask), TGT_NONE);
		else
			emit(e, ALU_REG(BPF_AND, BPF_REG_2, BPF_REG_4), TGT_NONE);
		if (fits_imm(key)) {
			emit(e, JMP_IMM(BPF_JNE, BPF_REG_2, (int32_t)key), TGT_NEXT);
		} else {
			ld_imm64(e, BPF_REG_3, key);
			emit(e, JMP_REG(BPF_JNE, BPF_REG_2, BPF_REG_3), TGT_NEXT);
		}
		emit_exit(e, x->allow);
		e->block_end[k] = e->n;
	}
	def_at = e->n;
	emit_exit(e, def);
	return resolve(e, start, nkeep, def_at, def_at);
}

int rt_devbpf_compile(const struct rt_devbpf_rule *rules, size_t n, struct rt_devbpf_prog *p,
		      struct bh_error **err)
{
	struct emitter e = { 0 };
	size_t *keep = NULL, nkeep = 0;
	bool def = false;
	int r = -1;

	memset(p, 0, sizeof(*p));
	if (n > RT_DEVBPF_MAX_RULES)
		return bh_error_set(err, BH_ERR_LIMIT, "device rules: %zu rules (at most %d)", n,
				    RT_DEVBPF_MAX_RULES);
	for (size_t i = 0; i < n; i++)
		if (check_rule(&rules[i], "device rules", i, err) < 0)
			return -1;
	keep = bh_calloc(n + 1, sizeof(size_t));
	/* the last rule first; a type-'a' rule decides everything before it */
	for (size_t i = n; i-- > 0;) {
		const struct rt_devbpf_rule *x = &rules[i];
		bool shadowed = matches_nothing(x);
		size_t run, w;

		if (x->type == 'a') {
			def = x->allow;
			break;
		}
		for (size_t k = 0; k < nkeep && !shadowed; k++)
			shadowed = covers(&rules[keep[k]], x);
		if (shadowed)
			continue;
		/* the rules just before it with its verdict may go in any order: drop those it
		 * covers */
		for (run = nkeep; run > 0 && rules[keep[run - 1]].allow == x->allow; run--)
			;
		for (w = run; run < nkeep; run++)
			if (!covers(x, &rules[keep[run]]))
				keep[w++] = keep[run];
		nkeep = w;
		keep[nkeep++] = i;
	}
	/* rules at the end that give the default verdict change nothing */
	while (nkeep && rules[keep[nkeep - 1]].allow == def)
		nkeep--;
	e.block_end = bh_calloc(nkeep + 1, sizeof(size_t));
	if ((nkeep <= DIRECT_MAX ? emit_small(rules, keep, nkeep, def, &e)
				 : emit_large(rules, keep, nkeep, def, &e)) < 0) {
		bh_error_set(err, BH_ERR_INTERNAL, "device rules: a jump out of range");
		goto out;
	}
	if (e.n > RT_DEVBPF_MAX_INSNS) {
		bh_error_set(err, BH_ERR_LIMIT,
			     "device rules: the program would have %zu instructions (at most %d)",
			     e.n, RT_DEVBPF_MAX_INSNS);
		goto out;
	}
	p->insns = e.v;
	p->ninsns = e.n;
	p->nrules = n;
	p->nchecked = nkeep;
	p->default_allow = def;
	e.v = NULL;
	r = 0;
out:
	free(e.v);
	free(e.tgt);
	free(e.block_end);
	free(keep);
	return r;
}

void rt_devbpf_prog_release(struct rt_devbpf_prog *p)
{
	free(p->insns);
	memset(p, 0, sizeof(*p));
}

/* ---- bpf(2) ---------------------------------------------------------------- */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(const struct bpf_insn *insns, size_t n, char *log, size_t logsz)
{
	union bpf_attr a;
	static const char license[] = "Apache-2.0";

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)license;
	snprintf(a.prog_name, sizeof(a.prog_name), "bulkhead_dev");
	if (log) {
		log[0] = 0;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = (uint32_t)logsz;
		a.log_level = 1;
	}
	return sys_bpf(BPF_PROG_LOAD, &a);
}

/* The last lines of the verifier log that fit in `max` bytes, on one line. */
static void log_tail(char *log, size_t max)
{
	size_t len = strlen(log);
	char *s;

	while (len && (log[len - 1] == '\n' || log[len - 1] == ' '))
		log[--len] = 0;
	s = len > max ? log + len - max : log;
	if (s != log && strchr(s, '\n'))
		s = strchr(s, '\n') + 1;
	memmove(log, s, strlen(s) + 1);
	for (char *c = log; *c; c++)
		if (*c == '\n')
			*c = '|';
}

int rt_devbpf_load(const struct rt_devbpf_prog *p, struct bh_error **err)
{
	static const struct bpf_insn allow_all[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char *log;
	int fd, e;

	fd = prog_load(p->insns, p->ninsns, NULL, 0);
	if (fd >= 0)
		return fd;
	e = errno;
	if (e == ENOSYS)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "cgroup device program: the kernel has no bpf(2) system call "
				    "(CONFIG_BPF_SYSCALL)");
	if (e == EPERM)
		return bh_error_sys(err, e,
				    "loading the cgroup device program (needs CAP_SYS_ADMIN or "
				    "CAP_BPF)");
	if (e == EINVAL) {
		int t = prog_load(allow_all, 2, NULL, 0);

		if (t >= 0) {
			close(t);
		} else if (errno == EINVAL) {
			return bh_error_set(err, BH_ERR_UNSUPPORTED,
					    "cgroup device program: the kernel has no "
					    "BPF_PROG_TYPE_CGROUP_DEVICE (CONFIG_CGROUP_BPF)");
		}
	}
	if (e == E2BIG)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "loading the cgroup device program: %zu instructions are too "
				    "many for this kernel; use fewer device rules",
				    p->ninsns);
	log = bh_malloc(LOG_SIZE);
	fd = prog_load(p->insns, p->ninsns, log, LOG_SIZE);
	if (fd >= 0) {
		/* loads now: whatever failed is gone */
		free(log);
		return fd;
	}
	log[LOG_SIZE - 1] = 0;
	log_tail(log, 600);
	bh_error_sys(err, e, "loading the cgroup device program (%zu instructions)%s%s", p->ninsns,
		     *log ? ": verifier: " : "", log);
	free(log);
	return -1;
}

static int open_dir(const char *dir, struct bh_error **err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return bh_error_sys(err, errno, "cgroup device program: opening %s", dir);
	return fd;
}

static int query_fd(int dfd, uint32_t *ids, size_t max, size_t *n)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)dfd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uint64_t)(uintptr_t)ids;
	a.query.prog_cnt = (uint32_t)max;
	if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
		return -1;
	*n = a.query.prog_cnt < max ? a.query.prog_cnt : max;
	return 0;
}

int rt_devbpf_query(const char *dir, uint32_t *ids, size_t max, size_t *n, struct bh_error **err)
{
	int dfd = open_dir(dir, err), r = 0;

	*n = 0;
	if (dfd < 0)
		return -1;
	if (query_fd(dfd, ids, max, n) < 0)
		r = bh_error_sys(err, errno, "cgroup device program: querying %s", dir);
	close(dfd);
	return r;
}

int rt_devbpf_attach(int prog_fd, const char *dir, struct bh_error **err)
{
	uint32_t old[64];
	size_t nold = 0;
	union bpf_attr a;
	int dfd = open_dir(dir, err), r = -1;

	if (dfd < 0)
		return -1;
	if (query_fd(dfd, old, sizeof(old) / sizeof(old[0]), &nold) < 0)
		nold = 0; /* no query (old kernel): a fresh cgroup has none anyway */
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)dfd;
	a.attach_bpf_fd = (uint32_t)prog_fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0) {
		int e = errno;

		bh_error_sys(err, e, "attaching the cgroup device program to %s%s", dir,
			     e == EPERM ? " (a parent cgroup holds a device program that does not "
					  "allow more, or CAP_SYS_ADMIN is missing)"
					: "");
		goto out;
	}
	for (size_t i = 0; i < nold; i++) {
		union bpf_attr g;
		int ofd;

		memset(&g, 0, sizeof(g));
		g.prog_id = old[i];
		ofd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (ofd < 0)
			continue; /* gone meanwhile */
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)dfd;
		a.attach_bpf_fd = (uint32_t)ofd;
		a.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
			bh_warn("cgroup device program: detaching the old program %u from %s: %s",
				old[i], dir, strerror(errno));
		close(ofd);
	}
	r = 0;
out:
	close(dfd);
	return r;
}

int rt_devbpf_apply(const struct rt_devbpf_rule *rules, size_t n, const char *dir,
		    struct rt_devbpf_stats *stats, struct bh_error **err)
{
	struct rt_devbpf_prog p;
	int fd, r;

	if (rt_devbpf_compile(rules, n, &p, err) < 0)
		return -1;
	fd = rt_devbpf_load(&p, err);
	r = fd < 0 ? -1 : rt_devbpf_attach(fd, dir, err);
	if (fd >= 0)
		close(fd); /* the cgroup holds the program now */
	if (r == 0) {
		bh_debug("cgroup device program: %zu rules, %zu checked, %zu instructions, on %s",
			 p.nrules, p.nchecked, p.ninsns, dir);
		if (stats) {
			stats->nrules = p.nrules;
			stats->nchecked = p.nchecked;
			stats->ninsns = p.ninsns;
		}
	}
	rt_devbpf_prog_release(&p);
	return r;
}

char *rt_devices_status(const struct rt_cgroup *cg)
{
	const char *dir = NULL;
	char size[96] = "";
	uint32_t ids[8];
	size_t nids = 0;
	bool attached = false;

	if (cg->layout == RT_CG_V1)
		return bh_strdup("v1 devices controller");
	for (size_t i = 0; i < cg->ndirs; i++)
		if (!strcmp(cg->names[i], "unified"))
			dir = cg->dirs[i];
	if (dir && rt_devbpf_query(dir, ids, 8, &nids, NULL) == 0)
		attached = nids > 0;
	if (cg->devbpf.ninsns)
		snprintf(size, sizeof(size), " (%zu rules, %zu instructions)", cg->devbpf.nrules,
			 cg->devbpf.ninsns);
	if (cg->layout == RT_CG_HYBRID)
		return attached
			       ? bh_asprintf("v1 devices controller + eBPF on the unified cgroup%s",
					     size)
			       : bh_strdup("v1 devices controller (eBPF program not attached)");
	return attached ? bh_asprintf("eBPF cgroup device program%s", size)
			: bh_strdup("none: no eBPF device program attached");
}
