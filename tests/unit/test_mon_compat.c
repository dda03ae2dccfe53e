// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor's 32-bit (compat) system calls (src/monitor/source_compat.c,
 * issue 15): the i386 numbers of each event type against the kernel's own
 * headers (<asm/unistd_32.h>, <linux/net.h>: an independent source), the
 * dispatch table's layout, and a compat record's decoding (proc.compat,
 * 32-bit arguments).
 */
#include <asm/unistd_32.h> /* the i386 numbers; nothing here includes the x86_64 ones */
#include <linux/net.h>	   /* socketcall's SYS_CONNECT, ... */

#include "unit.h"
#include "monitor/bpf/events.h"
#include "monitor/source_internal.h"

struct expect {
	enum bh_mon_type t;
	uint32_t slot;
	uint8_t bits;
	uint8_t rec; /* another call's way to t: its record type (0: t's own) */
};

#define NR(n)	MON_W_COMPAT + __NR_##n
#define SOCK(c) MON_W_SOCKCALL + SYS_##c

static const struct expect expected[] = {
	{ BH_MON_OPEN, NR(open), 0, 0 },
	{ BH_MON_OPENAT, NR(openat), 0, 0 },
	{ BH_MON_OPENAT2, NR(openat2), 0, 0 },
	{ BH_MON_CONNECT, NR(connect), 0, 0 },
	{ BH_MON_CONNECT, SOCK(CONNECT), 0, 0 },
	{ BH_MON_LISTEN, NR(listen), 0, 0 },
	{ BH_MON_LISTEN, SOCK(LISTEN), 0, 0 },
	{ BH_MON_ACCEPT, SOCK(ACCEPT), 0, 0 },
	{ BH_MON_ACCEPT4, NR(accept4), 0, 0 },
	{ BH_MON_ACCEPT4, SOCK(ACCEPT4), 0, 0 },
	{ BH_MON_SETUID, NR(setuid), MON_W_UID16, 0 },
	{ BH_MON_SETUID, NR(setuid32), 0, 0 },
	{ BH_MON_SETREUID, NR(setreuid), MON_W_UID16, 0 },
	{ BH_MON_SETREUID, NR(setreuid32), 0, 0 },
	{ BH_MON_SETRESUID, NR(setresuid), MON_W_UID16, 0 },
	{ BH_MON_SETRESUID, NR(setresuid32), 0, 0 },
	{ BH_MON_SETGID, NR(setgid), MON_W_UID16, 0 },
	{ BH_MON_SETGID, NR(setgid32), 0, 0 },
	{ BH_MON_SETRESGID, NR(setresgid), MON_W_UID16, 0 },
	{ BH_MON_SETRESGID, NR(setresgid32), 0, 0 },
	{ BH_MON_CAPSET, NR(capset), 0, 0 },
	{ BH_MON_UNSHARE, NR(unshare), 0, 0 },
	{ BH_MON_SETNS, NR(setns), 0, 0 },
	{ BH_MON_PTRACE, NR(ptrace), 0, 0 },
	{ BH_MON_MOUNT, NR(mount), 0, 0 },
	{ BH_MON_UMOUNT2, NR(umount2), 0, 0 },
	{ BH_MON_UMOUNT2, NR(umount), MON_W_ARG1, 0 },
	{ BH_MON_INIT_MODULE, NR(init_module), 0, 0 },
	{ BH_MON_FINIT_MODULE, NR(finit_module), 0, 0 },
	{ BH_MON_BPF, NR(bpf), 0, 0 },
	{ BH_MON_MEMFD_CREATE, NR(memfd_create), 0, 0 },
	/* the calls that are another type's event (bpf/events.h MON_T_CLONE...) */
	{ BH_MON_UNSHARE, NR(clone), 0, MON_T_CLONE },
	{ BH_MON_UNSHARE, NR(clone3), 0, MON_T_CLONE3 },
	{ BH_MON_MOUNT, NR(open_tree), 0, MON_T_OPEN_TREE },
	{ BH_MON_MOUNT, NR(move_mount), 0, MON_T_MOVE_MOUNT },
	{ BH_MON_MOUNT, NR(fsmount), 0, MON_T_FSMOUNT },
	{ BH_MON_MOUNT, NR(fspick), 0, MON_T_FSPICK },
	{ BH_MON_MOUNT, NR(mount_setattr), 0, MON_T_MOUNT_SETATTR },
	{ BH_MON_PTRACE, NR(process_vm_readv), 0, MON_T_PROCESS_VM_READV },
	{ BH_MON_PTRACE, NR(process_vm_writev), 0, MON_T_PROCESS_VM_WRITEV },
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

/* Each type alone: exactly its i386 numbers (and socketcall sub-calls), with the
 * argument bits, nothing else. */
static void compat_numbers_are_the_kernels(void **state)
{
	(void)state;
	for (int t = 1; t < BH_MON_TYPE_COUNT; t++) {
		struct mon_want w[MON_COMPAT_WANT_MAX];
		size_t n = mon_compat_want(BH_MON_TYPE_BIT(t), w, MON_COMPAT_WANT_MAX), want = 0;

		for (size_t i = 0; i < NEXPECTED; i++) {
			unsigned int v = (expected[i].rec ? expected[i].rec : (unsigned int)t) |
					 expected[i].bits;
			bool found = false;

			if ((int)expected[i].t != t)
				continue;
			want++;
			for (size_t j = 0; j < n; j++)
				if (w[j].slot == expected[i].slot && w[j].val == (uint8_t)v)
					found = true;
			if (!found)
				fail_msg("%s: slot %u (value 0x%x) missing", bh_mon_type_name(t),
					 expected[i].slot, v);
		}
		if (n != want)
			fail_msg("%s: %zu entries, want %zu", bh_mon_type_name(t), n, want);
	}
}

/* Every system call type the kernel source serves has a 32-bit number (a type added
 * without one would be a 32-bit blind spot again); the whole table fits the bound, in
 * the table's bounds, each slot once, the type in MON_W_TYPE. */
static void every_syscall_type_has_a_compat_number(void **state)
{
	struct mon_want w[MON_COMPAT_WANT_MAX + 1];
	uint64_t all = 0;
	size_t n;

	(void)state;
	for (int t = 1; t < BH_MON_TYPE_COUNT; t++) {
		enum bh_mon_kind k = bh_mon_type_kind(t);
		struct mon_want one[MON_COMPAT_WANT_MAX];

		if (k == BH_MON_KIND_EXEC || k == BH_MON_KIND_EXIT || k == BH_MON_KIND_NONE)
			continue;
		all |= BH_MON_TYPE_BIT(t);
		if (mon_compat_want(BH_MON_TYPE_BIT(t), one, MON_COMPAT_WANT_MAX) == 0)
			fail_msg("%s has no 32-bit number", bh_mon_type_name(t));
	}
	n = mon_compat_want(all, w, MON_COMPAT_WANT_MAX + 1);
	assert_true(n <= MON_COMPAT_WANT_MAX);
	assert_int_equal(n, NEXPECTED);
	for (size_t i = 0; i < n; i++) {
		assert_true(w[i].slot >= MON_W_COMPAT && w[i].slot < MON_W_SIZE);
		unsigned int ty = w[i].val & MON_W_TYPE;

		assert_true((ty > 0 && ty < BH_MON_TYPE_COUNT) ||
			    (ty >= MON_T_EXTRA_FIRST && ty <= MON_T_EXTRA_LAST));
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(w[i].slot, w[j].slot);
	}
	/* a short buffer: cut, never overrun */
	assert_int_equal(mon_compat_want(all, w, 3), 3);
	/* exec and exit types: none (the scheduler's tracepoints see every arch) */
	assert_int_equal(
		mon_compat_want(BH_MON_TYPE_BIT(BH_MON_EXECVE) | BH_MON_TYPE_BIT(BH_MON_PROCEXIT),
				w, MON_COMPAT_WANT_MAX),
		0);
}

/* A record the compat program made: proc.compat set, its 32-bit ids read as ids
 * (-1 = unchanged); the same record without the flag is not compat. */
static void compat_record_decodes_as_compat(void **state)
{
	unsigned char buf[sizeof(struct mon_rec_hdr) + sizeof(struct mon_rec_sys)];
	struct mon_rec_hdr *h = (struct mon_rec_hdr *)buf;
	struct mon_rec_sys *s = (struct mon_rec_sys *)(h + 1);
	struct bh_mon_event ev;
	struct mon_rec_raw raw;

	(void)state;
	memset(buf, 0, sizeof(buf));
	h->type = BH_MON_SETRESUID;
	h->size = sizeof(buf);
	h->flags = MON_R_COMPAT;
	h->pid = h->tid = 42;
	memcpy(h->comm, "c32", 4);
	s->a[0] = 0xffffffffu; /* ruid -1 */
	s->a[1] = 0;	       /* euid 0 */
	s->a[2] = 0xffffffffu;
	s->path.flags = MON_PATH_NONE;
	assert_int_equal(mon_record_decode(buf, sizeof(buf), &ev, &raw), 0);
	assert_true(ev.proc.compat);
	assert_int_equal(ev.type, BH_MON_SETRESUID);
	assert_int_equal(ev.args.uid, 0);
	assert_string_equal(ev.proc.comm, "c32");
	h->flags = 0;
	assert_int_equal(mon_record_decode(buf, sizeof(buf), &ev, &raw), 0);
	assert_false(ev.proc.compat);
}

/* socketcall's sub-call is the low 32 bits of bx, as the kernel takes it:
 * upper bits set must not hide a connect; numbers past the table are none. */
static void socketcall_subcall_is_the_low_32_bits(void **state)
{
	(void)state;
	assert_int_equal(mon_compat_slot(__NR_socketcall, SYS_CONNECT), SOCK(CONNECT));
	assert_int_equal(mon_compat_slot(__NR_socketcall, 0x100000000ul | SYS_CONNECT),
			 SOCK(CONNECT));
	assert_int_equal(mon_compat_slot(__NR_socketcall, 0xffffffff00000000ul | SYS_ACCEPT4),
			 SOCK(ACCEPT4));
	assert_int_equal(mon_compat_slot(__NR_socketcall, MON_SOCKCALL_MAX), -1);
	assert_int_equal(mon_compat_slot(__NR_socketcall, 0xfffffffful), -1);
	assert_int_equal(mon_compat_slot(__NR_setuid, 0x100000000ul), NR(setuid));
	assert_int_equal(mon_compat_slot(MON_NR32_MAX, 0), -1);
}

/* The bytes read of each sub-call's arguments are what the kernel copies
 * (net/compat.c's nas[]: 4 bytes an argument), not a fixed 16. */
static void socketcall_sizes_are_the_kernels(void **state)
{
	static const struct {
		int call;
		unsigned nargs;
	} nas[] = {
		{ SYS_SOCKET, 3 },	{ SYS_BIND, 3 },       { SYS_CONNECT, 3 },
		{ SYS_LISTEN, 2 },	{ SYS_ACCEPT, 3 },     { SYS_GETSOCKNAME, 3 },
		{ SYS_GETPEERNAME, 3 }, { SYS_SOCKETPAIR, 4 }, { SYS_SEND, 4 },
		{ SYS_RECV, 4 },	{ SYS_SENDTO, 6 },     { SYS_RECVFROM, 6 },
		{ SYS_SHUTDOWN, 2 },	{ SYS_SETSOCKOPT, 5 }, { SYS_GETSOCKOPT, 5 },
		{ SYS_SENDMSG, 3 },	{ SYS_RECVMSG, 3 },    { SYS_ACCEPT4, 4 },
		{ SYS_RECVMMSG, 5 },	{ SYS_SENDMMSG, 4 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(nas) / sizeof(nas[0]); i++)
		if (mon_sockcall_nbytes((unsigned long)nas[i].call) != nas[i].nargs * 4)
			fail_msg("sub-call %d: %u bytes, the kernel copies %u", nas[i].call,
				 mon_sockcall_nbytes((unsigned long)nas[i].call), nas[i].nargs * 4);
	assert_int_equal(mon_sockcall_nbytes(0), 0);
	assert_int_equal(mon_sockcall_nbytes(SYS_SENDMMSG + 1), 0);
	assert_int_equal(mon_sockcall_nbytes(SYS_CONNECT), 12);
	assert_int_equal(mon_sockcall_nbytes(SYS_LISTEN), 8);
}

/* The 16-bit id calls: the kernel keeps the low 16 bits, 0xffff of them -1. */
static void uid16_is_truncated_as_the_kernel_does(void **state)
{
	(void)state;
	assert_int_equal(mon_uid16(0x10000), 0); /* setuid16(0x10000) is setuid(0) */
	assert_int_equal(mon_uid16(0x103e8), 1000);
	assert_int_equal(mon_uid16(1000), 1000);
	assert_int_equal(mon_uid16(0xffff), 0xffffffffu);
	assert_int_equal(mon_uid16(0x1ffff), 0xffffffffu);
	assert_int_equal(mon_uid16(0xffffffffu), 0xffffffffu);
	assert_int_equal(mon_uid16(0), 0);
}

/* A socketcall connect whose arguments were unreadable at exit: marked (the
 * fd unknown, not fd 0), written to JSON and read back; an open whose fd was
 * closed before its exit: its name marked unverified. */
static void unreadable_and_unverified_are_marked(void **state)
{
	unsigned char buf[sizeof(struct mon_rec_hdr) + sizeof(struct mon_rec_sys)];
	struct mon_rec_hdr *h = (struct mon_rec_hdr *)buf;
	struct mon_rec_sys *s = (struct mon_rec_sys *)(h + 1);
	struct bh_mon_event ev, back;
	struct mon_rec_raw raw;
	json_t *j = NULL;
	char *txt;

	(void)state;
	memset(buf, 0, sizeof(buf));
	h->type = BH_MON_CONNECT;
	h->size = sizeof(buf);
	h->flags = MON_R_COMPAT | MON_R_ARGS_UNREAD;
	s->path.flags = MON_PATH_NONE;
	assert_int_equal(mon_record_decode(buf, sizeof(buf), &ev, &raw), 0);
	assert_true(ev.args.unreadable);
	assert_int_equal(ev.file.fd, -1);
	assert_int_equal(ev.type, BH_MON_CONNECT);
	assert_int_equal(bh_mon_event_to_json(&ev, &j, NULL), 0);
	txt = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(txt, "\"unreadable\":true"));
	free(txt);
	assert_int_equal(bh_mon_event_from_json(j, &back, NULL), 0);
	assert_true(back.args.unreadable);
	json_decref(j);
	h->flags = MON_R_COMPAT;
	s->a[0] = 5;
	assert_int_equal(mon_record_decode(buf, sizeof(buf), &ev, &raw), 0);
	assert_false(ev.args.unreadable);
	assert_int_equal(ev.file.fd, 5);

	h->type = BH_MON_OPENAT;
	h->flags = MON_R_NAME_UNVERIFIED;
	h->res = 3;
	s->path.flags = MON_PATH_RAW;
	s->path.len = 6;
	s->path.ncomp = 1;
	memcpy(s->path.buf, "/a/b/c", 6);
	assert_int_equal(mon_record_decode(buf, sizeof(buf), &ev, &raw), 0);
	assert_true(ev.file.name_unverified);
	assert_int_equal(bh_mon_event_to_json(&ev, &j, NULL), 0);
	txt = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(txt, "\"name_unverified\":true"));
	free(txt);
	assert_int_equal(bh_mon_event_from_json(j, &back, NULL), 0);
	assert_true(back.file.name_unverified);
	json_decref(j);
	h->flags = 0;
	assert_int_equal(mon_record_decode(buf, sizeof(buf), &ev, &raw), 0);
	assert_false(ev.file.name_unverified);
}

/* The probe answers (yes or no) on x86_64, and the same each time. */
static void probe_answers(void **state)
{
	int a = mon_compat_probe(), b = mon_compat_probe();

	(void)state;
	assert_int_equal(a, b);
#if defined(__x86_64__)
	assert_true(a == 0 || a == 1);
#endif
	assert_string_equal(bh_mon_compat_state_name(BH_MON_COMPAT_NONE), "none");
	assert_string_equal(bh_mon_compat_state_name(BH_MON_COMPAT_WATCHED), "watched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compat_numbers_are_the_kernels),
		cmocka_unit_test(every_syscall_type_has_a_compat_number),
		cmocka_unit_test(compat_record_decodes_as_compat),
		cmocka_unit_test(socketcall_subcall_is_the_low_32_bits),
		cmocka_unit_test(socketcall_sizes_are_the_kernels),
		cmocka_unit_test(uid16_is_truncated_as_the_kernel_does),
		cmocka_unit_test(unreadable_and_unverified_are_marked),
		cmocka_unit_test(probe_answers),
	};

	return cmocka_run_group_tests_name("mon_compat", tests, NULL, NULL);
}
