// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel source's 32-bit (compat) system calls (issue 15): the i386
 * numbers of the event types, as entries of the compat part of the dispatch
 * table `want` (bpf/events.h, read by bpf/events_compat.h), and whether this
 * kernel runs 32-bit calls at all (a probe: `int $0x80` in a child).
 *
 * The numbers are arch/x86/entry/syscalls/syscall_32.tbl's (tests/unit/
 * test_mon_compat.c checks them against <asm/unistd_32.h>). i386 has the
 * 16-bit id calls (setuid, ...: -1 is 0xffff) besides the *32 ones, the
 * one-argument umount beside umount2, and reaches the socket calls through
 * socketcall(2) as well as their own numbers (no plain accept but there).
 * The calls that are another type's event (clone, clone3: unshare; the new
 * mount API: mount; process_vm_readv/writev: ptrace) have their record
 * types (bpf/events.h MON_T_CLONE...) as the entries' values.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulkhead/monitor.h"
#include "monitor/bpf/events.h"
#include "source_internal.h"
#include "banned.h"

static const struct {
	enum bh_mon_type t;
	uint16_t nr;  /* i386 number, or socketcall's call when sockcall */
	uint8_t bits; /* MON_W_UID16, MON_W_ARG1 */
	bool sockcall;
	/* 0: the record is of type t; else another call's way to t: its
	 * record type (bpf/events.h MON_T_CLONE...) */
	uint8_t rec;
} compat_nrs[] = {
	{ BH_MON_OPEN, 5, 0, false, 0 },
	{ BH_MON_OPENAT, 295, 0, false, 0 },
	{ BH_MON_OPENAT2, 437, 0, false, 0 },
	{ BH_MON_CONNECT, 362, 0, false, 0 },
	{ BH_MON_CONNECT, 3, 0, true, 0 }, /* SYS_CONNECT */
	{ BH_MON_LISTEN, 363, 0, false, 0 },
	{ BH_MON_LISTEN, 4, 0, true, 0 }, /* SYS_LISTEN */
	{ BH_MON_ACCEPT, 5, 0, true, 0 }, /* SYS_ACCEPT (no i386 number of its own) */
	{ BH_MON_ACCEPT4, 364, 0, false, 0 },
	{ BH_MON_ACCEPT4, 18, 0, true, 0 }, /* SYS_ACCEPT4 */
	{ BH_MON_SETUID, 23, MON_W_UID16, false, 0 },
	{ BH_MON_SETUID, 213, 0, false, 0 }, /* setuid32 */
	{ BH_MON_SETREUID, 70, MON_W_UID16, false, 0 },
	{ BH_MON_SETREUID, 203, 0, false, 0 },
	{ BH_MON_SETRESUID, 164, MON_W_UID16, false, 0 },
	{ BH_MON_SETRESUID, 208, 0, false, 0 },
	{ BH_MON_SETGID, 46, MON_W_UID16, false, 0 },
	{ BH_MON_SETGID, 214, 0, false, 0 },
	{ BH_MON_SETRESGID, 170, MON_W_UID16, false, 0 },
	{ BH_MON_SETRESGID, 210, 0, false, 0 },
	{ BH_MON_CAPSET, 185, 0, false, 0 },
	{ BH_MON_UNSHARE, 310, 0, false, 0 },
	{ BH_MON_SETNS, 346, 0, false, 0 },
	{ BH_MON_PTRACE, 26, 0, false, 0 },
	{ BH_MON_MOUNT, 21, 0, false, 0 },
	{ BH_MON_UMOUNT2, 52, 0, false, 0 },
	{ BH_MON_UMOUNT2, 22, MON_W_ARG1, false, 0 }, /* umount(name) */
	{ BH_MON_INIT_MODULE, 128, 0, false, 0 },
	{ BH_MON_FINIT_MODULE, 350, 0, false, 0 },
	{ BH_MON_BPF, 357, 0, false, 0 },
	{ BH_MON_MEMFD_CREATE, 356, 0, false, 0 },
	/* the calls that are another call's event (a clone that made a task is
	 * task_newtask's on either ABI: these rows are the failed ones) */
	{ BH_MON_UNSHARE, 120, 0, false, MON_T_CLONE }, /* clone(flags in bx, ...) */
	{ BH_MON_UNSHARE, 435, 0, false, MON_T_CLONE3 },
	{ BH_MON_MOUNT, 428, 0, false, MON_T_OPEN_TREE },
	{ BH_MON_MOUNT, 429, 0, false, MON_T_MOVE_MOUNT },
	{ BH_MON_MOUNT, 432, 0, false, MON_T_FSMOUNT },
	{ BH_MON_MOUNT, 433, 0, false, MON_T_FSPICK },
	{ BH_MON_MOUNT, 442, 0, false, MON_T_MOUNT_SETATTR },
	{ BH_MON_PTRACE, 347, 0, false, MON_T_PROCESS_VM_READV },
	{ BH_MON_PTRACE, 348, 0, false, MON_T_PROCESS_VM_WRITEV },
};
#define NCOMPAT (sizeof(compat_nrs) / sizeof(compat_nrs[0]))

size_t mon_compat_want(uint64_t types, struct mon_want *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < NCOMPAT && n < max; i++) {
		if (!(types & BH_MON_TYPE_BIT(compat_nrs[i].t)))
			continue;
		out[n].slot = compat_nrs[i].sockcall ? MON_W_SOCKCALL + compat_nrs[i].nr
						     : MON_W_COMPAT + compat_nrs[i].nr;
		out[n].val = (uint8_t)((compat_nrs[i].rec ? compat_nrs[i].rec : compat_nrs[i].t) |
				       compat_nrs[i].bits);
		n++;
	}
	return n;
}

#if defined(__x86_64__)
static void probe_fault(int sig)
{
	(void)sig;
	_exit(2);
}
#endif

int mon_compat_probe(void)
{
#if defined(__x86_64__)
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* handled: the kernel logs no "general protection fault" for it */
		struct rlimit no_core = { 0, 0 };
		long r;

		signal(SIGSEGV, probe_fault);
		signal(SIGILL, probe_fault);
		setrlimit(RLIMIT_CORE, &no_core);
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory"); /* i386 getpid */
		_exit(r == (long)getpid() ? 0 : 3);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 2)
		return 0; /* the int $0x80 gate is not there: no IA32 emulation */
	return -1;
#else
	return 0; /* no x86 32-bit calls on this architecture */
#endif
}

const char *bh_mon_compat_state_name(enum bh_mon_compat_state s)
{
	switch (s) {
	case BH_MON_COMPAT_WATCHED: return "watched";
	case BH_MON_COMPAT_UNWATCHED: return "unwatched";
	case BH_MON_COMPAT_NONE: return "none";
	default: return "n/a";
	}
}
