/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbpf, loaded on first use (see lazy.h): include this, not its headers,
 * and before a bpftool skeleton, whose inline functions then call through
 * these pointers too. Only a container that learns its syscalls, the monitor's kernel
 * event source and the connect guard's first policy load it.
 */
#ifndef BULKHEAD_LAZY_BPF_H
#define BULKHEAD_LAZY_BPF_H

#include <signal.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lazy/lazy.h"

#define bpf_link__destroy	     BH_LAZY(bpf, bpf_link__destroy)
#define bpf_link__fd		     BH_LAZY(bpf, bpf_link__fd)
#define bpf_link__pin		     BH_LAZY(bpf, bpf_link__pin)
#define bpf_map__fd		     BH_LAZY(bpf, bpf_map__fd)
#define bpf_map__set_max_entries     BH_LAZY(bpf, bpf_map__set_max_entries)
#define bpf_map__pin		     BH_LAZY(bpf, bpf_map__pin)
#define bpf_map_delete_elem	     BH_LAZY(bpf, bpf_map_delete_elem)
#define bpf_map_get_next_key	     BH_LAZY(bpf, bpf_map_get_next_key)
#define bpf_map_lookup_elem	     BH_LAZY(bpf, bpf_map_lookup_elem)
#define bpf_map_update_elem	     BH_LAZY(bpf, bpf_map_update_elem)
#define bpf_obj_get		     BH_LAZY(bpf, bpf_obj_get)
#define bpf_obj_pin		     BH_LAZY(bpf, bpf_obj_pin)
#define bpf_object__attach_skeleton  BH_LAZY(bpf, bpf_object__attach_skeleton)
#define bpf_object__destroy_skeleton BH_LAZY(bpf, bpf_object__destroy_skeleton)
#define bpf_object__detach_skeleton  BH_LAZY(bpf, bpf_object__detach_skeleton)
#define bpf_object__load_skeleton    BH_LAZY(bpf, bpf_object__load_skeleton)
#define bpf_object__open_skeleton    BH_LAZY(bpf, bpf_object__open_skeleton)
#define bpf_program__attach	     BH_LAZY(bpf, bpf_program__attach)
#define bpf_program__attach_cgroup   BH_LAZY(bpf, bpf_program__attach_cgroup)
#define bpf_program__fd		     BH_LAZY(bpf, bpf_program__fd)
#define bpf_program__set_autoload    BH_LAZY(bpf, bpf_program__set_autoload)
#define bpf_raw_tracepoint_open	     BH_LAZY(bpf, bpf_raw_tracepoint_open)
#define ring_buffer__consume	     BH_LAZY(bpf, ring_buffer__consume)
#define ring_buffer__epoll_fd	     BH_LAZY(bpf, ring_buffer__epoll_fd)
#define ring_buffer__free	     BH_LAZY(bpf, ring_buffer__free)
#define ring_buffer__new	     BH_LAZY(bpf, ring_buffer__new)
#define libbpf_num_possible_cpus     BH_LAZY(bpf, libbpf_num_possible_cpus)
#define libbpf_set_print	     BH_LAZY(bpf, libbpf_set_print)

/* ---- what the loaders share (src/lazy/bpf_support.c) ---- */

struct bh_error;

/* Where bulkhead pins its program sets (one directory per set and layout). */
#define BH_BPF_PIN_ROOT "/sys/fs/bpf/bulkhead"

/* Before a load: libbpf's messages go to one place (the last warning kept);
 * libbpf must be loaded (bh_lazy_require). */
void bh_bpf_messages_reset(void);
/* Forget the last warning (needs no libbpf). */
void bh_bpf_messages_clear(void);
/* The last warning libbpf printed since the reset ("libbpf: ..."), or "". */
const char *bh_bpf_message(void);
/* Lock BH_BPF_PIN_ROOT (bpffs mounted at /sys/fs/bpf and the directory made
 * when needed) with flock(how): the fd to close, or -1. */
int bh_bpf_pin_lock(int how, struct bh_error **err);
/*
 * The verifier gives a load up with EAGAIN when a signal is pending (libbpf
 * retries a few times): a monitor asked for its counters (SIGUSR1) while it
 * starts would fail to start. Every signal is held from _begin (the mask
 * before it kept in *old) to _end, and delivered then.
 */
void bh_bpf_load_begin(sigset_t *old);
void bh_bpf_load_end(const sigset_t *old);

#endif
