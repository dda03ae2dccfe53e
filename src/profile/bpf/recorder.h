/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The layout shared by the syscall recorder (syscalls.bpf.c, built with
 * clang -target bpf) and its loader (recorder.c). One program set serves
 * every learning container: per-container state lives in maps keyed by the
 * container's cgroup id and by a slot. Plain C types only: both compilers
 * include it. Any change here bumps PROF_LAYOUT, the version in the pin
 * directory's name (/sys/fs/bpf/bulkhead/prof-v<PROF_LAYOUT>), so a newer
 * loader never reads an older set's maps.
 */
#ifndef BULKHEAD_PROFILE_RECORDER_H
#define BULKHEAD_PROFILE_RECORDER_H

#define PROF_LAYOUT 3 /* 3: no sys_exit program (an older set keeps its own directory) */

/* Syscall numbers 0..PROF_MAX_NR-1 per architecture (x32's reach 547). */
#define PROF_MAX_NR 1024
#define PROF_WORDS  (PROF_MAX_NR / 64)

/* Containers armed at once (slots), cgroup depth searched at exec, outside/denied rows. */
#define PROF_MAX_SLOTS 1024
#define PROF_MAX_LEVEL 32
#define PROF_MAX_HITS  65536
#define PROF_ID_MAX    128 /* container ids, NUL included */

/* The architectures a call is made in, as the bitmap indexes them. */
enum prof_arch_index {
	PROF_ARCH_NATIVE = 0, /* the kernel's own (x86_64) */
	PROF_ARCH_COMPAT = 1, /* 32-bit (int 0x80, sysenter, syscall from a 32-bit task) */
	PROF_ARCH_X32 = 2,    /* x32: native entry, __X32_SYSCALL_BIT set */
	PROF_NARCH = 3,
};

/* prof_slot.flags */
#define PROF_F_USED    1u /* the slot belongs to an armed container */
#define PROF_F_MONITOR 2u /* count calls outside `allowed` */
#define PROF_F_PROTECT 4u /* record nothing; count calls the filter refused */

/* slots[slot]: written by the loader only. A task carries {slot, gen}; a task
 * whose gen is not its slot's (its container was removed, the slot reused)
 * is not recorded. */
struct prof_slot {
	unsigned int gen;
	unsigned int flags;
};

/* What an armed task carries (task storage with tp_btf, the tid hash with raw_tp). */
struct prof_task {
	unsigned int slot;
	unsigned int gen;
};

/* seen[slot], one per CPU: no atomics, no contention, nothing to drop. The loader ORs the CPUs. */
struct prof_seen {
	unsigned long long bits[PROF_NARCH][PROF_WORDS];
	unsigned long long events;	 /* calls recorded (armed, in the container) */
	unsigned long long out_of_range; /* calls whose number did not fit: lost */
	unsigned long long untracked;	 /* a task that could not be armed (no room): lost */
	unsigned long long hits_lost;	 /* outside/denied counts the hits map had no room for */
};

/* allowed[slot], monitor and protect: the learned allow-list, by architecture (loader). */
struct prof_allowed {
	unsigned long long bits[PROF_NARCH][PROF_WORDS];
};

/* hits: calls outside the allow-list (monitor) or refused by the filter (protect). */
#define PROF_HIT_OUTSIDE 0
#define PROF_HIT_DENIED	 1
struct prof_hit_key {
	unsigned int slot;
	unsigned short kind; /* PROF_HIT_* */
	unsigned short arch; /* enum prof_arch_index */
	unsigned int nr;
	unsigned int gen;
};

/* conts[cgroup id]: written by the loader (slot, gen, init_tgid) and by the exec program. */
struct prof_cont {
	unsigned int slot;
	unsigned int gen;
	unsigned int init_tgid;	     /* the container's init, as the host sees it */
	unsigned int armed;	     /* 1 once the init exec'd the workload */
	unsigned long long armed_ns; /* bpf_ktime_get_ns() at that exec */
	unsigned long long execs;    /* execve()s by recorded tasks once armed */
	unsigned long long joined;   /* execve()s by tasks that joined the container
				      * (exec sessions): recorded from there on */
};

/* ids[container id] (loader only): the container's cgroup id. */
struct prof_id_key {
	char id[PROF_ID_MAX];
};

#endif
