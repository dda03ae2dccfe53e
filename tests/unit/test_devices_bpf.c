/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial (loads BPF device programs into cgroups it creates) */
/*
 * Device rules as a cgroup v2 eBPF program: the compiled program against the
 * reference semantics (an interpreter of the emitted instructions, random rule
 * sets), the policy built from a spec (the same lines the v1 controller gets),
 * hostile input, and, as root, the kernel enforcing it on a child process in a
 * fresh cgroup2 directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "unit.h"
#include "bulkhead/runtime.h"
#include "runtime/devices_bpf.h"

#define R   BPF_DEVCG_ACC_READ
#define W   BPF_DEVCG_ACC_WRITE
#define M   BPF_DEVCG_ACC_MKNOD
#define RWM (R | W | M)

#define ALLOW(t, mj, mn, a) ((struct rt_devbpf_rule){ true, t, mj, mn, a })
#define DENY(t, mj, mn, a)  ((struct rt_devbpf_rule){ false, t, mj, mn, a })

/* ---- an interpreter of what the compiler emits ------------------------------ */

static int run_prog(const struct rt_devbpf_prog *p, char type, uint32_t major, uint32_t minor,
		    unsigned access)
{
	uint32_t ctx[3] = { (access << 16) |
				    (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
			    major, minor };
	uint64_t reg[11] = { 0 };
	bool init[11] = { false, true }, ctx_in_r1 = true;

	for (size_t pc = 0, steps = 0; pc < p->ninsns; pc++, steps++) {
		const struct bpf_insn *i = &p->insns[pc];
		uint8_t cls = BPF_CLASS(i->code);
		uint64_t src = (uint64_t)(int64_t)i->imm;

		assert_true(steps <= p->ninsns); /* forward jumps only: no loops */
		assert_true(i->dst_reg <= 9);
		if (i->dst_reg == BPF_REG_1 && cls != BPF_JMP)
			ctx_in_r1 = false;
		if (cls != BPF_LD && BPF_SRC(i->code) == BPF_X &&
		    i->code != (BPF_LDX | BPF_MEM | BPF_W)) {
			assert_true(init[i->src_reg]);
			src = reg[i->src_reg];
		}
		if (cls == BPF_LD) {
			assert_int_equal(i->code, BPF_LD | BPF_DW | BPF_IMM);
			assert_true(pc + 1 < p->ninsns && p->insns[pc + 1].code == 0);
			reg[i->dst_reg] =
				(uint32_t)i->imm | (uint64_t)(uint32_t)p->insns[pc + 1].imm << 32;
			init[i->dst_reg] = true;
			pc++;
		} else if (cls == BPF_LDX) {
			assert_int_equal(i->code, BPF_LDX | BPF_MEM | BPF_W);
			assert_int_equal(i->src_reg, BPF_REG_1);
			assert_true(ctx_in_r1);
			assert_true(i->off == 0 || i->off == 4 || i->off == 8);
			reg[i->dst_reg] = ctx[i->off / 4];
			init[i->dst_reg] = true;
		} else if (cls == BPF_ALU64) {
			if (BPF_OP(i->code) == BPF_MOV) {
				reg[i->dst_reg] = src;
				init[i->dst_reg] = true;
				continue;
			}
			assert_true(init[i->dst_reg]);
			if (BPF_OP(i->code) == BPF_AND)
				reg[i->dst_reg] &= src;
			else if (BPF_OP(i->code) == BPF_OR)
				reg[i->dst_reg] |= src;
			else if (BPF_OP(i->code) == BPF_LSH && src < 64)
				reg[i->dst_reg] <<= src;
			else
				fail_msg("unexpected ALU64 op %#x", i->code);
		} else {
			bool jump = false;

			assert_int_equal(cls, BPF_JMP);
			if (BPF_OP(i->code) == BPF_EXIT) {
				assert_true(init[0]);
				assert_true(reg[0] <= 1);
				return (int)reg[0];
			}
			assert_true(i->off >= 0);
			assert_true(init[i->dst_reg]);
			if (BPF_OP(i->code) == BPF_JEQ)
				jump = reg[i->dst_reg] == src;
			else if (BPF_OP(i->code) == BPF_JNE)
				jump = reg[i->dst_reg] != src;
			else if (BPF_OP(i->code) == BPF_JSET)
				jump = (reg[i->dst_reg] & src) != 0;
			else
				fail_msg("unexpected jump %#x", i->code);
			if (jump)
				pc += (size_t)i->off;
		}
	}
	fail_msg("fell off the end of the program");
	return -1;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static const uint32_t majors[] = { 0, 1, 5, 7, 136, 4095 };
static const uint32_t minors[] = { 0, 1, 3, 5, 9, 1048575 };

static struct rt_devbpf_rule random_rule(void)
{
	static const char types[] = "cccbbb a";
	struct rt_devbpf_rule r;

	r.allow = rnd(2);
	r.type = types[rnd(8)];
	if (r.type == ' ')
		r.type = 'c';
	r.major = rnd(3) ? (int64_t)majors[rnd(6)] : -1;
	r.minor = rnd(3) ? (int64_t)minors[rnd(5)] : -1; /* 1048575 is out of range */
	r.access = (uint8_t)(rnd(3) ? RWM : rnd(8));
	return r;
}

/* Every request of a grid: the program says what the reference says. */
static void check_equivalent(const struct rt_devbpf_rule *rules, size_t n,
			     const struct rt_devbpf_prog *p)
{
	for (int t = 0; t < 2; t++)
		for (size_t a = 0; a < 6; a++)
			for (size_t b = 0; b < 6; b++)
				for (unsigned acc = 0; acc <= RWM; acc++) {
					char type = t ? 'b' : 'c';
					bool want = rt_devbpf_eval(rules, n, type, majors[a],
								   minors[b], acc);
					int got = run_prog(p, type, majors[a], minors[b], acc);

					if (got != want)
						fail_msg("%c %u:%u access %u: program %d, rules %d",
							 type, majors[a], minors[b], acc, got,
							 want);
				}
}

static void test_compile_matches_reference(void **state)
{
	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct rt_devbpf_rule rules[24];
		struct rt_devbpf_prog p;
		size_t n = rnd(24);
		struct bh_error *err = NULL;

		for (size_t i = 0; i < n; i++)
			rules[i] = random_rule();
		assert_int_equal(rt_devbpf_compile(rules, n, &p, &err), 0);
		assert_true(p.ninsns >= 2 && p.nchecked <= n);
		check_equivalent(rules, n, &p);
		rt_devbpf_prog_release(&p);
	}
}

/* Rule sets past DIRECT_MAX take the large form: the same semantics. */
static void test_compile_large_matches_reference(void **state)
{
	int large = 0;

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct rt_devbpf_rule rules[160];
		struct rt_devbpf_prog p;
		size_t n = 80 + rnd(80);

		for (size_t i = 0; i < n; i++) {
			rules[i] = random_rule();
			if (rules[i].type == 'a') /* it would drop everything before it */
				rules[i].type = 'c';
			if (rules[i].major < 0 && rules[i].access == RWM) /* it would shadow most */
				rules[i].major = 1;
			if (rnd(10) < 7) {
				/* devices the grid never asks for: many distinct rules */
				rules[i].type = rnd(2) ? 'c' : 'b';
				rules[i].major = 10 + rnd(4000);
				rules[i].minor = rnd(2) ? -1 : (int64_t)rnd(0x100000);
			}
		}
		assert_int_equal(rt_devbpf_compile(rules, n, &p, NULL), 0);
		large += p.nchecked > 64;
		check_equivalent(rules, n, &p);
		rt_devbpf_prog_release(&p);
	}
	print_message("%d of 300 rule sets took the large form\n", large);
	assert_true(large >= 150);
}

/* The most rules a policy may have, every one distinct, half of them partial denies. */
static struct rt_devbpf_rule *longest(size_t *n)
{
	struct rt_devbpf_rule *rules = bh_calloc(RT_DEVBPF_MAX_RULES, sizeof(*rules));

	*n = RT_DEVBPF_MAX_RULES;
	for (size_t i = 0; i < *n; i++)
		rules[i] = (struct rt_devbpf_rule){ i % 2 == 0, i % 3 ? 'c' : 'b',
						    (int64_t)(i % 4096), (int64_t)(i / 4096),
						    (uint8_t)(i % 2 ? R | W : R) };
	rules[*n - 1] = ALLOW('c', 1, 3, R); /* ones the requests hit */
	rules[*n - 2] = DENY('c', 4095, -1, R | W);
	rules[*n - 3] = DENY('c', 1, 5, W);
	rules[*n - 4] = ALLOW('c', 1, 5, R | W);
	return rules;
}

static void test_compile_long_program(void **state)
{
	size_t n;
	struct rt_devbpf_rule *rules = longest(&n);
	struct rt_devbpf_prog p;

	(void)state;
	assert_int_equal(rt_devbpf_compile(rules, n, &p, NULL), 0);
	assert_true(p.ninsns > 32768);
	assert_true(p.ninsns <= RT_DEVBPF_MAX_INSNS);
	check_equivalent(rules, n, &p);
	rt_devbpf_prog_release(&p);
	free(rules);
}

static void test_compile_small(void **state)
{
	struct rt_devbpf_rule deny_all[] = { DENY('a', -1, -1, RWM) };
	struct rt_devbpf_rule shadow[] = {
		DENY('a', -1, -1, RWM), ALLOW('c', 1, 3, R),	ALLOW('c', 1, 5, RWM),
		DENY('c', 1, 3, R | W), ALLOW('c', 1, -1, RWM), ALLOW('c', 1, 3, RWM),
	};
	struct rt_devbpf_rule allow_all[] = { DENY('c', 1, 3, RWM), ALLOW('a', 5, 5, R) };
	struct rt_devbpf_prog p;

	(void)state;
	assert_int_equal(rt_devbpf_compile(deny_all, 1, &p, NULL), 0);
	assert_int_equal(p.ninsns, 2); /* r0 = 0; exit */
	assert_int_equal(p.nchecked, 0);
	assert_false(p.default_allow);
	assert_int_equal(run_prog(&p, 'c', 1, 3, R), 0);
	rt_devbpf_prog_release(&p);
	assert_int_equal(rt_devbpf_compile(NULL, 0, &p, NULL), 0);
	assert_int_equal(run_prog(&p, 'b', 0, 0, M), 0);
	rt_devbpf_prog_release(&p);
	/* "c 1:* rwm" after the others covers them all: one rule checked */
	assert_int_equal(rt_devbpf_compile(shadow, 6, &p, NULL), 0);
	assert_int_equal(p.nchecked, 1);
	assert_true(p.ninsns <= 10);
	check_equivalent(shadow, 6, &p);
	rt_devbpf_prog_release(&p);
	/* a type-'a' rule resets everything, whatever its numbers and access say */
	assert_int_equal(rt_devbpf_compile(allow_all, 2, &p, NULL), 0);
	assert_true(p.default_allow);
	assert_int_equal(p.ninsns, 2);
	assert_int_equal(run_prog(&p, 'c', 1, 3, RWM), 1);
	rt_devbpf_prog_release(&p);
}

static void test_compile_hostile(void **state)
{
	struct rt_devbpf_rule bad_type[] = { ALLOW('x', 1, 3, R) };
	struct rt_devbpf_rule bad_major[] = { ALLOW('c', 0x100000, 3, R) };
	struct rt_devbpf_rule bad_minor[] = { ALLOW('c', 1, -2, R) };
	struct rt_devbpf_rule bad_access[] = { ALLOW('c', 1, 3, 8) };
	struct rt_devbpf_rule *many = bh_calloc(RT_DEVBPF_MAX_RULES + 1, sizeof(*many));
	struct rt_devbpf_prog p;
	struct bh_error *err = NULL;

	(void)state;
	assert_int_equal(rt_devbpf_compile(bad_type, 1, &p, &err), -1);
	assert_error(err, BH_ERR_INVALID, "device type 'x'");
	bh_error_clear(&err);
	assert_int_equal(rt_devbpf_compile(bad_major, 1, &p, &err), -1);
	assert_error(err, BH_ERR_INVALID, "out of range");
	bh_error_clear(&err);
	assert_int_equal(rt_devbpf_compile(bad_minor, 1, &p, &err), -1);
	assert_error(err, BH_ERR_INVALID, "out of range");
	bh_error_clear(&err);
	assert_int_equal(rt_devbpf_compile(bad_access, 1, &p, &err), -1);
	assert_error(err, BH_ERR_INVALID, "bad access");
	bh_error_clear(&err);
	for (size_t i = 0; i <= RT_DEVBPF_MAX_RULES; i++)
		many[i] = ALLOW('c', 1, 3, R);
	assert_int_equal(rt_devbpf_compile(many, RT_DEVBPF_MAX_RULES + 1, &p, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "rules");
	bh_error_clear(&err);
	free(many);
}

/* ---- the policy of a spec ---------------------------------------------------- */

#define HEAD                                                                                       \
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"/"      \
	"bin/sh\"],\"cwd\":\"/\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],"

static struct bh_rt_spec *spec_of(const char *json)
{
	struct bh_rt_spec *s = NULL;
	struct bh_error *err = NULL;

	if (bh_rt_spec_parse(json, strlen(json), &s, &err) < 0)
		fail_msg("parse: %s", bh_error_message(err));
	return s;
}

static void test_spec_rules(void **state)
{
	static const char *const want[] = {
		"a",	     "c 1:3 r",	    "b *:* m",	    "c 1:3 rwm", "c 1:5 rwm",
		"c 1:7 rwm", "c 1:8 rwm",   "c 1:9 rwm",    "c 5:0 rwm", "c 5:1 rwm",
		"c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm", "b 7:0 rwm", "c 4:1 rwm",
	};
	struct bh_rt_spec *s = spec_of(
		HEAD
		"\"resources\":{\"devices\":[{\"allow\":false,\"type\":\"c\",\"major\":1,"
		"\"minor\":3,\"access\":\"r\"},{\"allow\":true,\"type\":\"b\",\"access\":\"m\"}]},"
		"\"devices\":[{\"path\":\"/dev/net/tun\",\"type\":\"c\",\"major\":10,"
		"\"minor\":200},{\"path\":\"/dev/loop0\",\"type\":\"b\",\"major\":7,"
		"\"minor\":0},{\"path\":\"/dev/tty1\",\"type\":\"u\",\"major\":4,\"minor\":1},"
		"{\"path\":\"/dev/fifo\",\"type\":\"p\"}]}}");
	struct rt_devbpf_rule *rules;
	struct rt_devbpf_prog p;
	size_t n;
	char line[64];

	(void)state;
	assert_int_equal(rt_devbpf_rules(s, &rules, &n, NULL), 0);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		rt_devbpf_rule_format(&rules[i], line, sizeof(line));
		assert_string_equal(line, want[i]);
	}
	assert_false(rules[0].allow);
	assert_false(rules[1].allow);
	/* the defaults come after the config: its deny of /dev/null reads is overridden */
	assert_true(rt_devbpf_eval(rules, n, 'c', 1, 3, R));
	assert_true(rt_devbpf_eval(rules, n, 'c', 10, 200, R | W));
	assert_false(rt_devbpf_eval(rules, n, 'c', 1, 11, W));
	assert_true(rt_devbpf_eval(rules, n, 'b', 8, 0, M));
	assert_false(rt_devbpf_eval(rules, n, 'b', 8, 0, R));
	assert_int_equal(rt_devbpf_compile(rules, n, &p, NULL), 0);
	check_equivalent(rules, n, &p);
	print_message("default policy + 2 config rules + 3 devices: %zu rules, %zu checked, %zu "
		      "instructions\n",
		      p.nrules, p.nchecked, p.ninsns);
	rt_devbpf_prog_release(&p);
	free(rules);
	bh_rt_spec_free(s);
}

static void test_spec_hostile(void **state)
{
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	struct bh_rt_spec *s = NULL;
	struct bh_error *err = NULL;
	static const struct {
		const char *devices, *needle;
	} bad[] = {
		{ "{\"allow\":true,\"type\":\"x\"}", "type 'x'" },
		{ "{\"allow\":true,\"type\":\"c\",\"major\":1048576,\"minor\":1}", "major/minor" },
		{ "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":-2}", "major/minor" },
		{ "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":1.5}", "major/minor" },
		{ "{\"allow\":true,\"access\":\"rwx\"}", "access" },
		{ "{\"type\":\"c\"}", "allow is required" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *json = bh_asprintf(HEAD "\"resources\":{\"devices\":[%s]}}}", bad[i].devices);

		assert_int_equal(bh_rt_spec_parse(json, strlen(json), &s, &err), -1);
		assert_error(err, BH_ERR_INVALID, bad[i].needle);
		bh_error_clear(&err);
		free(json);
	}
	/* one more than RT_MAX_DEVICES */
	bh_buf_adds(&b, HEAD "\"resources\":{\"devices\":[", NULL);
	for (int i = 0; i <= RT_MAX_DEVICES; i++)
		bh_buf_addf(&b, NULL, "%s{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":%d}",
			    i ? "," : "", i);
	bh_buf_adds(&b, "]}}}", NULL);
	assert_int_equal(bh_rt_spec_parse(b.data, b.len, &s, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "too many");
	bh_error_clear(&err);
	bh_buf_release(&b);
	/* a spec the parser did not check (built by hand) is refused too */
	{
		struct bh_rt_spec hand = { 0 };
		struct bh_rt_devrule r = { true, 'c', 1, 0x200000, "rw" };
		struct rt_devbpf_rule *rules;
		size_t n;

		hand.res.devices = &r;
		hand.res.ndevices = 1;
		assert_int_equal(rt_devbpf_rules(&hand, &rules, &n, &err), -1);
		assert_error(err, BH_ERR_INVALID, "out of range");
		bh_error_clear(&err);
		r.minor = 1;
		r.type = 'u';
		assert_int_equal(rt_devbpf_rules(&hand, &rules, &n, &err), -1);
		assert_error(err, BH_ERR_INVALID, "device type 'u'");
		bh_error_clear(&err);
	}
}

/* ---- the kernel enforcing it -------------------------------------------------- */

struct kctx {
	char *cg;  /* a fresh cgroup2 directory */
	char *tmp; /* for mknod */
};

static const char *cg2_root(void)
{
	struct statfs st;

	if (statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup";
	if (statfs("/sys/fs/cgroup/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup/unified";
	return NULL;
}

static int kernel_setup(void **state)
{
	static struct kctx k;
	const char *root = cg2_root();

	*state = NULL;
	if (geteuid() != 0 || !root)
		return 0;
	k.cg = bh_asprintf("%s/bh-unit-devbpf-%d", root, (int)getpid());
	if (mkdir(k.cg, 0755) < 0) {
		free(k.cg);
		return 0;
	}
	k.tmp = unit_mktmp();
	*state = &k;
	return 0;
}

static int kernel_teardown(void **state)
{
	struct kctx *k = *state;

	if (!k)
		return 0;
	for (int i = 0; i < 200 && rmdir(k->cg) < 0 && errno == EBUSY; i++)
		usleep(5000);
	free(k->cg);
	unit_rmtmp(k->tmp);
	return 0;
}

enum op { OPEN_R, OPEN_W, OPEN_RW, MKNOD_C, MKNOD_B, PROBE };

/* A child moved into the cgroup does `op`: 0 on success, else the errno. */
static int in_cgroup(const struct kctx *k, enum op op, const char *dev)
{
	int go[2], status;
	pid_t pid;
	char s[24];

	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c, *node;
		int fd = -1, e = 0;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(255);
		node = bh_asprintf("%s/node", k->tmp);
		unlink(node);
		switch (op) {
		case OPEN_R:
		case OPEN_W:
		case OPEN_RW:
			fd = open(dev, (op == OPEN_R   ? O_RDONLY
					: op == OPEN_W ? O_WRONLY
						       : O_RDWR) |
					       O_CLOEXEC);
			e = fd < 0 ? errno : 0;
			break;
		case MKNOD_C: e = mknod(node, S_IFCHR | 0600, makedev(1, 3)) < 0 ? errno : 0; break;
		case MKNOD_B: e = mknod(node, S_IFBLK | 0600, makedev(7, 0)) < 0 ? errno : 0; break;
		case PROBE: e = access(dev, F_OK) < 0 ? errno : 0; break;
		}
		unlink(node);
		_exit(e);
	}
	close(go[0]);
	snprintf(s, sizeof(s), "%d", (int)pid);
	{
		char *procs = bh_asprintf("%s/cgroup.procs", k->cg);
		int fd = open(procs, O_WRONLY | O_CLOEXEC);

		free(procs);
		if (fd < 0 || write(fd, s, strlen(s)) < 0) {
			kill(pid, SIGKILL);
			fail_msg("moving the child into %s: %s", k->cg, strerror(errno));
		}
		close(fd);
	}
	assert_int_equal(write(go[1], "x", 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void policy_stats(const struct kctx *k, const struct rt_devbpf_rule *rules, size_t n,
			 struct rt_devbpf_stats *stats)
{
	struct bh_error *err = NULL;
	uint32_t ids[8];
	size_t nids;

	if (rt_devbpf_apply(rules, n, k->cg, stats, &err) < 0)
		fail_msg("apply: %s", bh_error_message(err));
	/* the old program was replaced, not stacked */
	assert_int_equal(rt_devbpf_query(k->cg, ids, 8, &nids, NULL), 0);
	assert_int_equal(nids, 1);
}

static void policy(const struct kctx *k, const struct rt_devbpf_rule *rules, size_t n)
{
	policy_stats(k, rules, n, NULL);
}

#define POLICY(...)                                                                                \
	do {                                                                                       \
		struct rt_devbpf_rule r_[] = { __VA_ARGS__ };                                      \
		policy(k, r_, sizeof(r_) / sizeof(r_[0]));                                         \
	} while (0)

static void test_kernel_enforces(void **state)
{
	struct kctx *k = *state;
	struct rt_devbpf_rule none[1];

	if (!k) {
		print_message("SKIP: needs root and a cgroup2 hierarchy (/sys/fs/cgroup or "
			      "/sys/fs/cgroup/unified)\n");
		skip();
	}
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), 0); /* no program yet */
	/* a program the verifier refuses: the error quotes the verifier */
	{
		struct bpf_insn exit_only = { .code = BPF_JMP | BPF_EXIT };
		struct rt_devbpf_prog bad = { .insns = &exit_only, .ninsns = 1 };
		struct bh_error *err = NULL;

		assert_int_equal(rt_devbpf_load(&bad, &err), -1);
		assert_error(err, BH_ERR_IO,
			     "loading the cgroup device program (1 instructions): verifier: ");
		assert_error(err, BH_ERR_IO, "R0");
		bh_error_free(err);
	}
	/* default deny */
	policy(k, none, 0);
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), EPERM);
	POLICY(DENY('a', -1, -1, RWM));
	assert_int_equal(in_cgroup(k, OPEN_RW, "/dev/null"), EPERM);
	POLICY(DENY('a', -1, -1, RWM), ALLOW('c', 1, 3, RWM));
	assert_int_equal(in_cgroup(k, OPEN_RW, "/dev/null"), 0);
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/zero"), EPERM);
	/* the last match wins */
	POLICY(ALLOW('c', 1, 3, RWM), DENY('c', 1, 3, RWM));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), EPERM);
	POLICY(DENY('c', 1, 3, RWM), ALLOW('c', 1, 3, RWM));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), 0);
	POLICY(DENY('c', 1, 3, RWM), ALLOW('a', -1, -1, RWM));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), 0);
	POLICY(ALLOW('a', -1, -1, RWM), DENY('c', 1, 3, W));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), 0);
	assert_int_equal(in_cgroup(k, OPEN_W, "/dev/null"), EPERM);
	/* wildcards */
	POLICY(ALLOW('c', -1, 3, RWM));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), 0);
	POLICY(ALLOW('c', 1, -1, RWM));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), 0);
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/zero"), 0);
	POLICY(ALLOW('c', 1, -1, RWM), DENY('c', -1, 3, RWM));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), EPERM);
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/zero"), 0);
	POLICY(ALLOW('c', 5, -1, RWM), ALLOW('c', -1, 5, RWM));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), EPERM);
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/zero"), 0);
	/* block is not char */
	POLICY(ALLOW('b', 1, 3, RWM));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), EPERM);
	POLICY(ALLOW('b', -1, -1, M));
	assert_int_equal(in_cgroup(k, MKNOD_B, NULL), 0);
	assert_int_equal(in_cgroup(k, MKNOD_C, NULL), EPERM);
	POLICY(ALLOW('c', -1, -1, M));
	assert_int_equal(in_cgroup(k, MKNOD_B, NULL), EPERM);
	assert_int_equal(in_cgroup(k, MKNOD_C, NULL), 0);
	/* "m" */
	POLICY(ALLOW('c', 1, 3, R | W));
	assert_int_equal(in_cgroup(k, OPEN_RW, "/dev/null"), 0);
	assert_int_equal(in_cgroup(k, MKNOD_C, NULL), EPERM);
	POLICY(ALLOW('c', 1, 3, RWM));
	assert_int_equal(in_cgroup(k, MKNOD_C, NULL), 0);
	/* the requested access must be a subset of the rule's */
	POLICY(ALLOW('c', 1, 3, R));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), 0);
	assert_int_equal(in_cgroup(k, OPEN_W, "/dev/null"), EPERM);
	assert_int_equal(in_cgroup(k, OPEN_RW, "/dev/null"), EPERM);
	POLICY(ALLOW('c', 1, 3, W), ALLOW('c', 1, 3, R));
	assert_int_equal(in_cgroup(k, OPEN_RW, "/dev/null"), EPERM); /* rules are not merged */
	POLICY(ALLOW('c', 1, 3, R | W), DENY('c', 1, 3, W));
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), 0);
	assert_int_equal(in_cgroup(k, OPEN_W, "/dev/null"), EPERM);
	assert_int_equal(in_cgroup(k, OPEN_RW, "/dev/null"), EPERM);
	/* a partial deny denies the requests that ask for some of it; "rwm" denies everything */
	assert_int_equal(in_cgroup(k, PROBE, "/dev/null"), 0);
	POLICY(ALLOW('c', 1, 3, RWM), DENY('c', 1, 3, M));
	assert_int_equal(in_cgroup(k, OPEN_RW, "/dev/null"), 0);
	assert_int_equal(in_cgroup(k, MKNOD_C, NULL), EPERM);
	POLICY(ALLOW('c', 1, 3, RWM), DENY('c', 1, 3, RWM));
	assert_int_equal(in_cgroup(k, PROBE, "/dev/null"), EPERM);
	POLICY(ALLOW('c', 1, 3, R));
	assert_int_equal(in_cgroup(k, PROBE, "/dev/null"), 0);
}

/* Random rule sets: the kernel decides what the reference semantics say. */
static void test_kernel_random(void **state)
{
	static const struct {
		enum op op;
		const char *dev;
		char type;
		uint32_t major, minor;
		unsigned access;
	} ops[] = {
		{ OPEN_R, "/dev/null", 'c', 1, 3, R },
		{ OPEN_W, "/dev/null", 'c', 1, 3, W },
		{ OPEN_RW, "/dev/null", 'c', 1, 3, R | W },
		{ OPEN_R, "/dev/zero", 'c', 1, 5, R },
		{ MKNOD_C, NULL, 'c', 1, 3, M },
		{ MKNOD_B, NULL, 'b', 7, 0, M },
		{ PROBE, "/dev/null", 'c', 1, 3, 0 },
	};
	static const int64_t mj[] = { 1, 1, 7, 5, -1 }, mn[] = { 3, 3, 5, 0, -1 };
	static const char types[] = "cccba";
	struct kctx *k = *state;

	if (!k) {
		print_message("SKIP: needs root and a cgroup2 hierarchy\n");
		skip();
	}
	for (int round = 0; round < 50; round++) {
		struct rt_devbpf_rule rules[6 + 70];
		size_t n = 0;

		/* every other round, 70 rules for devices nobody asks for first: the large form */
		for (int i = 0; round % 2 && i < 70; i++)
			rules[n++] = (struct rt_devbpf_rule){ i % 2, i % 3 ? 'c' : 'b', 200 + i, i,
							      (uint8_t)(i % 4 ? RWM : R) };
		for (size_t i = n, end = n + 1 + rnd(6); i < end; i++, n++) {
			rules[i].allow = rnd(2);
			rules[i].type = types[rnd(round % 5 ? 4 : 5)];
			rules[i].major = mj[rnd(5)];
			rules[i].minor = mn[rnd(5)];
			rules[i].access = (uint8_t)(rnd(3) ? rnd(8) : RWM);
		}
		policy(k, rules, n);
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			bool want = rt_devbpf_eval(rules, n, ops[i].type, ops[i].major,
						   ops[i].minor, ops[i].access);
			int got = in_cgroup(k, ops[i].op, ops[i].dev);

			if (got != (want ? 0 : EPERM)) {
				char line[64];

				for (size_t j = 0; j < n; j++) {
					rt_devbpf_rule_format(&rules[j], line, sizeof(line));
					print_message("  %s %s\n",
						      rules[j].allow ? "allow" : "deny", line);
				}
				fail_msg("op %zu: kernel says %s, the rules %s", i, strerror(got),
					 want ? "allow" : "deny");
			}
		}
	}
}

/* The largest policy: the verifier accepts it (in linear time) and it holds. */
static void test_kernel_longest(void **state)
{
	struct kctx *k = *state;
	struct rt_devbpf_rule *rules;
	struct timespec t0, t1;
	size_t n;

	if (!k) {
		print_message("SKIP: needs root and a cgroup2 hierarchy\n");
		skip();
	}
	rules = longest(&n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	policy(k, rules, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("%zu rules compiled, verified and attached in %.1f ms\n", n,
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/null"), 0);
	assert_int_equal(in_cgroup(k, OPEN_W, "/dev/null"), EPERM);
	assert_int_equal(in_cgroup(k, OPEN_R, "/dev/zero"), 0);
	assert_int_equal(in_cgroup(k, OPEN_W, "/dev/zero"), EPERM);
	assert_int_equal(in_cgroup(k, MKNOD_C, NULL), EPERM);
	assert_int_equal(in_cgroup(k, MKNOD_B, NULL),
			 rt_devbpf_eval(rules, n, 'b', 7, 0, M) ? 0 : EPERM);
	free(rules);
}

/* The full policy of a spec: config rules, then the defaults, then linux.devices. */
static void test_kernel_spec_policy(void **state)
{
	struct kctx *k = *state;
	struct bh_rt_spec *s;
	struct rt_devbpf_rule *rules;
	struct rt_devbpf_stats stats = { 0 };
	struct rt_devbpf_prog p;
	size_t n;

	if (!k) {
		print_message("SKIP: needs root and a cgroup2 hierarchy\n");
		skip();
	}
	s = spec_of(HEAD "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
			 "{\"allow\":true,\"type\":\"b\",\"major\":7,\"access\":\"m\"}]},"
			 "\"devices\":[{\"path\":\"/dev/net/tun\",\"type\":\"c\",\"major\":10,"
			 "\"minor\":200}]}}");
	assert_int_equal(rt_devbpf_rules(s, &rules, &n, NULL), 0);
	policy_stats(k, rules, n, &stats);
	/* the size apply reports is the compiled program's */
	assert_int_equal(rt_devbpf_compile(rules, n, &p, NULL), 0);
	assert_int_equal(stats.nrules, 13);
	assert_int_equal(stats.nrules, p.nrules);
	assert_int_equal(stats.nchecked, p.nchecked);
	assert_int_equal(stats.ninsns, p.ninsns);
	rt_devbpf_prog_release(&p);
	assert_int_equal(in_cgroup(k, OPEN_RW, "/dev/null"), 0); /* a default */
	assert_int_equal(in_cgroup(k, OPEN_RW, "/dev/zero"), 0);
	assert_int_equal(in_cgroup(k, MKNOD_B, NULL), 0);
	assert_int_equal(in_cgroup(k, OPEN_W, "/dev/kmsg"), EPERM); /* c 1:11: not allowed */
	if (access("/dev/net/tun", F_OK) == 0)
		assert_int_equal(in_cgroup(k, OPEN_RW, "/dev/net/tun"), 0);
	/* what the hardening report says: the kernel's view of the cgroup (is a program
	 * attached?) and the size apply kept, with no second compilation */
	{
		char *names[] = { "devices", "unified" }, *dirs[] = { "/nonexistent", k->cg };
		struct rt_cgroup cg = { RT_CG_HYBRID, "/x", dirs, names, 2, stats };
		char want[128], *st = rt_devices_status(&cg);

		snprintf(want, sizeof(want),
			 "v1 devices controller + eBPF on the unified cgroup (13 rules, %zu "
			 "instructions)",
			 stats.ninsns);
		assert_string_equal(st, want);
		free(st);
		cg.layout = RT_CG_V2;
		cg.dirs = &dirs[1];
		cg.names = &names[1];
		cg.ndirs = 1;
		st = rt_devices_status(&cg);
		snprintf(want, sizeof(want),
			 "eBPF cgroup device program (13 rules, %zu instructions)", stats.ninsns);
		assert_string_equal(st, want);
		free(st);
		dirs[1] = "/nonexistent";
		st = rt_devices_status(&cg);
		assert_string_equal(st, "none: no eBPF device program attached");
		free(st);
		cg.layout = RT_CG_HYBRID;
		cg.dirs = dirs;
		cg.names = names;
		cg.ndirs = 2;
		st = rt_devices_status(&cg);
		assert_string_equal(st, "v1 devices controller (eBPF program not attached)");
		free(st);
		cg.layout = RT_CG_V1;
		st = rt_devices_status(&cg);
		assert_string_equal(st, "v1 devices controller");
		free(st);
	}
	free(rules);
	bh_rt_spec_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_matches_reference),
		cmocka_unit_test(test_compile_large_matches_reference),
		cmocka_unit_test(test_compile_long_program),
		cmocka_unit_test(test_compile_small),
		cmocka_unit_test(test_compile_hostile),
		cmocka_unit_test(test_spec_rules),
		cmocka_unit_test(test_spec_hostile),
		cmocka_unit_test(test_kernel_enforces),
		cmocka_unit_test(test_kernel_random),
		cmocka_unit_test(test_kernel_longest),
		cmocka_unit_test(test_kernel_spec_policy),
	};

	return cmocka_run_group_tests(tests, kernel_setup, kernel_teardown);
}
