/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The layout shared by the syscall recorder (syscalls.bpf.c, built with
 * clang -target bpf) and its loader (recorder.c): the per-CPU bitmap of the
 * syscalls seen and the control block. Plain C types only: both compilers
 * include it.
 */
#ifndef BULKHEAD_PROFILE_RECORDER_H
#define BULKHEAD_PROFILE_RECORDER_H

/* Syscall numbers 0..PROF_MAX_NR-1 per architecture (x32's reach 547). */
#define PROF_MAX_NR 1024
#define PROF_WORDS  (PROF_MAX_NR / 64)

/* The architectures a call is made in, as the bitmap indexes them. */
enum prof_arch_index {
	PROF_ARCH_NATIVE = 0, /* the kernel's own (x86_64) */
	PROF_ARCH_COMPAT = 1, /* 32-bit (int 0x80, sysenter, syscall from a 32-bit task) */
	PROF_ARCH_X32 = 2,    /* x32: native entry, __X32_SYSCALL_BIT set */
	PROF_NARCH = 3,
};

/* One per CPU: no atomics, no contention, nothing to drop. The loader ORs the CPUs. */
struct prof_seen {
	unsigned long long bits[PROF_NARCH][PROF_WORDS];
	unsigned long long events;	 /* calls recorded (armed, in the container) */
	unsigned long long out_of_range; /* calls whose number did not fit: lost */
	unsigned long long untracked;	 /* raw_tp: a task the pid map had no room for: lost */
};

/* monitor: the learned allow-list, by architecture (written by the loader). */
struct prof_allowed {
	unsigned long long bits[PROF_NARCH][PROF_WORDS];
};

/* monitor: calls outside the allow-list, counted per syscall; one per CPU. */
struct prof_outside {
	unsigned long long count[PROF_NARCH][PROF_MAX_NR];
};

/* Written by the loader (init_tgid) and by the exec program (armed). */
struct prof_ctl {
	unsigned int init_tgid;	     /* the container's init, as the host sees it */
	unsigned int armed;	     /* 1 once the init exec'd the workload */
	unsigned long long armed_ns; /* bpf_ktime_get_ns() at that exec */
	unsigned long long execs;    /* execve()s by recorded tasks once armed */
	unsigned long long joined;   /* execve()s by tasks that joined the container
				      * (exec sessions): recorded from there on */
};

#endif
