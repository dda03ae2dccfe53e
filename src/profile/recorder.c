/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader of the syscall recorder (bpf/syscalls.bpf.c, through the
 * skeleton bpftool generated at build time). One program set serves every
 * container armed on the host: the first to arm loads it and pins it under
 * /sys/fs/bpf/bulkhead/prof-v<PROF_LAYOUT>/ (links, maps, and the two
 * protect programs attached only while a protected container is armed);
 * each container takes a slot in its maps; the last to be removed unpins
 * (and so detaches) it. Every change of the set is made holding an
 * exclusive flock on /sys/fs/bpf/bulkhead (a directory of bpffs: flock
 * works on any inode), so concurrent creates and deletes from many
 * processes see it whole; a reader takes it shared. The container ids
 * armed (the map `ids`) are the reference count.
 *
 * Which cgroup: BPF's cgroup helpers see the cgroup2 (default) hierarchy
 * only. On a v2 host that is the container's cgroup; on a hybrid host
 * (v1 controllers plus /sys/fs/cgroup/unified) it is the runtime's directory
 * in unified, which the runtime makes for every container. The id is the
 * directory's file handle (the kernfs id).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lazy/bpf.h" /* before the skeleton: its calls go through the lazy pointers */
#include "profile/syscalls.skel.h"

/*
 * The pinned set is driven with plain bpf(2) calls (rec_bpf_* below): arming,
 * reading and removing a container load libbpf (and libelf, libz) only when the
 * set is not pinned yet and set_load must load it; libbpf's functions of the
 * same names would be the same syscalls.
 */
#undef bpf_obj_get
#undef bpf_obj_pin
#undef bpf_map_lookup_elem
#undef bpf_map_update_elem
#undef bpf_map_delete_elem
#undef bpf_map_get_next_key
#undef bpf_raw_tracepoint_open
#undef libbpf_num_possible_cpus
#define bpf_obj_get		 rec_bpf_obj_get
#define bpf_obj_pin		 rec_bpf_obj_pin
#define bpf_map_lookup_elem	 rec_bpf_map_lookup_elem
#define bpf_map_update_elem	 rec_bpf_map_update_elem
#define bpf_map_delete_elem	 rec_bpf_map_delete_elem
#define bpf_map_get_next_key	 rec_bpf_map_get_next_key
#define bpf_raw_tracepoint_open	 rec_bpf_raw_tracepoint_open
#define libbpf_num_possible_cpus rec_num_possible_cpus

#include "bulkhead/base.h"
#include "bulkhead/profile.h"
#include "profile/bpf/recorder.h"
#include "internal.h"
#include "banned.h"

#define PIN_ROOT BH_BPF_PIN_ROOT
#define STR_(x)	 #x
#define STR(x)	 STR_(x)
#define SET_DIR	 PIN_ROOT "/prof-v" STR(PROF_LAYOUT)

_Static_assert(PROF_MAX_NR == BH_PROF_MAX_NR && (int)PROF_NARCH == (int)BH_PROF_NARCH,
	       "the recorder's layout and the public one agree");
_Static_assert(sizeof(struct prof_seen) % 8 == 0, "per-CPU values are 8-byte rounded");

/* The pins of the set, in SET_DIR. Maps first (set_open reads them in this order). */
enum { M_SLOTS, M_SEEN, M_ALLOWED, M_HITS, M_CONTS, M_IDS, NMAPS };
static const char *const map_pins[NMAPS] = { "slots", "seen", "allowed", "hits", "conts", "ids" };
/* links attached at load: fork and exit first, so no task is armed before its children are followed
 */
static const char *const link_pins[] = { "l_fork", "l_exit", "l_exec" };

/* The programs attached only while needed: sys_enter while a container learns or is
 * monitored, the denial counters while one is protected (each pinned as a program,
 * attached by whichever process arms or removes). tp: the raw_tp's tracepoint. */
#define DYN_LEARN   1u
#define DYN_PROTECT 2u
static const struct dyn {
	const char *prog, *link, *tp;
	unsigned want;
} dyns[] = {
	{ "p_sys_enter_btf", "l_sys_enter", NULL, DYN_LEARN },
	{ "p_sys_enter_raw", "l_sys_enter", "sys_enter", DYN_LEARN },
	{ "p_deny_btf", "l_deny", NULL, DYN_PROTECT },
	{ "p_signal_btf", "l_signal", NULL, DYN_PROTECT },
	{ "p_signal_raw", "l_signal", "signal_generate", DYN_PROTECT },
};
#define NDYNS (sizeof(dyns) / sizeof(dyns[0]))

/* The pinned set, opened. */
struct set {
	int fd[NMAPS];
	int ncpu;
};

/* ---- bpf(2): -1 and errno on failure, as libbpf's ------------------------------------- */

static int rec_bpf(int cmd, union bpf_attr *a)
{
	return (int)syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static int rec_bpf_obj_get(const char *path)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (uint64_t)(uintptr_t)path;
	return rec_bpf(BPF_OBJ_GET, &a);
}

static int rec_bpf_obj_pin(int fd, const char *path)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (uint64_t)(uintptr_t)path;
	a.bpf_fd = (uint32_t)fd;
	return rec_bpf(BPF_OBJ_PIN, &a);
}

static int rec_map_elem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return rec_bpf(cmd, &a);
}

static int rec_bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	return rec_map_elem(BPF_MAP_LOOKUP_ELEM, fd, key, value, 0);
}

static int rec_bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)
{
	return rec_map_elem(BPF_MAP_UPDATE_ELEM, fd, key, (void *)(uintptr_t)value, flags);
}

static int rec_bpf_map_delete_elem(int fd, const void *key)
{
	return rec_map_elem(BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
}

static int rec_bpf_map_get_next_key(int fd, const void *key, void *next)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.next_key = (uint64_t)(uintptr_t)next;
	return rec_bpf(BPF_MAP_GET_NEXT_KEY, &a);
}

static int rec_bpf_raw_tracepoint_open(const char *name, int prog_fd)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (uint64_t)(uintptr_t)name;
	a.raw_tracepoint.prog_fd = (uint32_t)prog_fd;
	return rec_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
}

/* The CPUs a per-CPU value has a slot for: those /sys/devices/system/cpu/possible
 * lists ("0-3,5"), or -errno. */
static int rec_num_possible_cpus(void)
{
	struct bh_buf b = BH_BUF_INIT(4096);
	char *p, *end;
	long n = 0;

	if (bh_read_file("/sys/devices/system/cpu/possible", &b, NULL) < 0 ||
	    bh_buf_addc(&b, '\0', NULL) < 0)
		goto bad;
	for (p = b.data;;) {
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p || lo < 0)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p || hi < lo)
				goto bad;
		}
		n += hi - lo + 1;
		if (*end != ',')
			break;
		p = end + 1;
	}
	bh_buf_release(&b);
	return n > 0 && n <= 65536 ? (int)n : -EINVAL;
bad:
	bh_buf_release(&b);
	return -EINVAL;
}

char *bh_prof_pin_dir(void)
{
	return bh_strdup(SET_DIR);
}

const char *bh_prof_arch_name(enum bh_prof_arch a)
{
	switch (a) {
	case BH_PROF_X86_64: return "SCMP_ARCH_X86_64";
	case BH_PROF_X86: return "SCMP_ARCH_X86";
	case BH_PROF_X32: return "SCMP_ARCH_X32";
	default: return "?";
	}
}

/* The cgroup id BPF sees: the directory's kernfs id, its file handle. */
static int cgroup_id(const char *dir, uint64_t *id, struct bh_error **err)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[16];
	} h;
	struct stat st;
	int mnt;

	h.fh.handle_bytes = sizeof(h.bytes);
	if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mnt, 0) == 0 && h.fh.handle_bytes == 8) {
		memcpy(id, h.fh.f_handle, 8);
		return 0;
	}
	if (stat(dir, &st) < 0)
		return bh_error_sys(err, errno, "the container's cgroup2 directory %s", dir);
	*id = (uint64_t)st.st_ino;
	return 0;
}

static unsigned cgroup_level(const char *path)
{
	unsigned n = 0;

	for (const char *p = path; p && *p; p++)
		if (*p != '/' && (p == path || p[-1] == '/'))
			n++;
	return n;
}

static int explain(int e, struct bh_error **err)
{
	if (e == EPERM || e == EACCES)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "BPF is not allowed here (loading the syscall recorder needs "
				    "CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN, in the host's user "
				    "namespace)%s%s",
				    *bh_bpf_message() ? ": " : "", bh_bpf_message());
	return bh_error_set(err, BH_ERR_UNSUPPORTED,
			    "the kernel did not load the syscall recorder (%s)%s%s", strerror(e),
			    *bh_bpf_message() ? ": " : "", bh_bpf_message());
}

/* Hand e to the caller (the first error is kept). */
static void pass(struct bh_error **err, struct bh_error **e)
{
	if (err && !*err) {
		*err = *e;
		*e = NULL;
	}
	bh_error_clear(e);
}

static void set_close(struct set *s)
{
	for (int i = 0; i < NMAPS; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	for (int i = 0; i < NMAPS; i++)
		s->fd[i] = -1;
}

static int obj_get(const char *dir, const char *name, struct bh_error **err)
{
	char *p = bh_asprintf("%s/%s", dir, name);
	int fd = bpf_obj_get(p);

	if (fd < 0 && (errno == EPERM || errno == EACCES))
		explain(errno, err);
	else if (fd < 0)
		bh_error_set(err, errno == ENOENT ? BH_ERR_NOTFOUND : BH_ERR_IO, "%s: %s", p,
			     strerror(errno));
	free(p);
	return fd;
}

/* Open the pinned set; BH_ERR_NOTFOUND when none (or not whole). */
static int set_open(struct set *s, struct bh_error **err)
{
	for (int i = 0; i < NMAPS; i++)
		s->fd[i] = -1;
	for (int i = 0; i < NMAPS; i++)
		if ((s->fd[i] = obj_get(SET_DIR, map_pins[i], err)) < 0) {
			set_close(s);
			return -1;
		}
	s->ncpu = libbpf_num_possible_cpus();
	if (s->ncpu <= 0) {
		set_close(s);
		return bh_error_set(err, BH_ERR_IO, "the number of CPUs: %s", strerror(-s->ncpu));
	}
	return 0;
}

static void unpin(const char *name)
{
	char *p = bh_asprintf("%s/%s", SET_DIR, name);

	if (unlink(p) < 0 && errno != ENOENT)
		bh_debug("profile: %s: %s", p, strerror(errno));
	free(p);
}

/* Unpin the whole set: links first (detached as their last reference goes), then maps. */
static void set_unpin_all(void)
{
	for (size_t i = 0; i < sizeof(link_pins) / sizeof(link_pins[0]); i++)
		unpin(link_pins[i]);
	for (size_t i = 0; i < NDYNS; i++) {
		unpin(dyns[i].link);
		unpin(dyns[i].prog);
	}
	for (int i = 0; i < NMAPS; i++)
		unpin(map_pins[i]);
	if (rmdir(SET_DIR) < 0 && errno != ENOENT)
		bh_debug("profile: %s: %s", SET_DIR, strerror(errno));
}

/* What a load tries, in order: tp_btf with fexit for the denials, tp_btf, raw_tp. */
enum variant { V_FEXIT, V_BTF, V_RAW, NVARIANTS };
static const char *const variant_names[] = { "tp_btf, fexit", "tp_btf", "raw_tp" };

/* The programs of the skeleton, by variant: pinned name (NULL: attached at load, index
 * into link_pins by position) */
struct progs {
	struct bpf_program *p;
	const char *pin; /* a dyns[].prog, or NULL */
	int link;	 /* a link_pins index when pin is NULL */
};

static size_t progs_of(struct prof_syscalls *sk, enum variant v, struct progs *out)
{
	size_t n = 0;

#define P(prog, pin_, link_)                                                                       \
	out[n++] = (struct progs)                                                                  \
	{                                                                                          \
		sk->progs.prog, pin_, link_                                                        \
	}
	if (v == V_RAW) {
		P(rec_fork_raw, NULL, 0);
		P(rec_exit_raw, NULL, 1);
		P(rec_exec_raw, NULL, 2);
		P(rec_sys_enter_raw, "p_sys_enter_raw", -1);
		P(rec_signal_raw, "p_signal_raw", -1);
	} else {
		P(rec_fork_btf, NULL, 0);
		P(rec_exec_btf, NULL, 2);
		P(rec_sys_enter_btf, "p_sys_enter_btf", -1);
		if (v == V_FEXIT) {
			P(rec_deny_btf, "p_deny_btf", -1);
		} else {
			P(rec_signal_btf, "p_signal_btf", -1);
		}
	}
#undef P
	return n;
}

static struct prof_syscalls *load(enum variant v, int *e)
{
	struct prof_syscalls *sk = prof_syscalls__open();
	struct bpf_program *all[] = {
		sk ? sk->progs.rec_sys_enter_btf : NULL, sk ? sk->progs.rec_exec_btf : NULL,
		sk ? sk->progs.rec_fork_btf : NULL,	 sk ? sk->progs.rec_deny_btf : NULL,
		sk ? sk->progs.rec_signal_btf : NULL,	 sk ? sk->progs.rec_sys_enter_raw : NULL,
		sk ? sk->progs.rec_exec_raw : NULL,	 sk ? sk->progs.rec_fork_raw : NULL,
		sk ? sk->progs.rec_exit_raw : NULL,	 sk ? sk->progs.rec_signal_raw : NULL
	};
	struct progs ps[8];
	sigset_t old;
	size_t n;
	int r;

	if (!sk) {
		*e = errno ? errno : EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		bpf_program__set_autoload(all[i], false);
	n = progs_of(sk, v, ps);
	for (size_t i = 0; i < n; i++)
		bpf_program__set_autoload(ps[i].p, true);
	bh_bpf_load_begin(&old);
	r = prof_syscalls__load(sk);
	bh_bpf_load_end(&old);
	if (r < 0) {
		*e = errno ? errno : EINVAL;
		prof_syscalls__destroy(sk);
		return NULL;
	}
	return sk;
}

static int pin_fd(int fd, const char *name, struct bh_error **err)
{
	char *p = bh_asprintf("%s/%s", SET_DIR, name);
	int r = 0;

	if (bpf_obj_pin(fd, p) < 0)
		r = bh_error_sys(err, errno, "pinning %s", p);
	free(p);
	return r;
}

/* Load, attach and pin the set (the first arm). Nothing is left pinned on failure. */
static int set_load(struct bh_error **err)
{
	struct prof_syscalls *sk = NULL;
	enum variant v;
	struct progs ps[8];
	size_t n;
	int e = 0, r = -1;

	bh_bpf_messages_reset();
	for (v = 0; v < NVARIANTS && !sk; v++) {
		bh_bpf_messages_clear();
		sk = load(v, &e);
		if (!sk)
			bh_debug("profile: the recorder (%s) did not load: %s", variant_names[v],
				 strerror(e));
	}
	if (!sk)
		return explain(e, err);
	v--;
	if (mkdir(SET_DIR, 0700) < 0 && errno != EEXIST) {
		bh_error_sys(err, errno, "%s", SET_DIR);
		goto out;
	}
	{
		struct bpf_map *m[NMAPS] = { sk->maps.slots, sk->maps.seen,  sk->maps.allowed,
					     sk->maps.hits,  sk->maps.conts, sk->maps.ids };

		for (int i = 0; i < NMAPS; i++)
			if (pin_fd(bpf_map__fd(m[i]), map_pins[i], err) < 0)
				goto out;
	}
	n = progs_of(sk, v, ps);
	for (size_t i = 0; i < n; i++) {
		struct bpf_link *l;
		int pr;

		if (ps[i].pin) {
			if (pin_fd(bpf_program__fd(ps[i].p), ps[i].pin, err) < 0)
				goto out;
			continue;
		}
		l = bpf_program__attach(ps[i].p);
		if (!l) {
			explain(errno ? errno : EINVAL, err);
			goto out;
		}
		/* the pin holds the link: destroying ours detaches nothing */
		pr = pin_fd(bpf_link__fd(l), link_pins[ps[i].link], err);
		bpf_link__destroy(l);
		if (pr < 0)
			goto out;
	}
	bh_debug("profile: the recorder loaded (%s), pinned at %s", variant_names[v], SET_DIR);
	r = 0;
out:
	prof_syscalls__destroy(sk);
	if (r < 0)
		set_unpin_all();
	return r;
}

/* Attach the programs the armed containers need (sys_enter: one learns or is monitored;
 * the denial counters: one is protected), detach the others. */
static int dyn_sync(struct set *s, struct bh_error **err)
{
	struct prof_id_key k, next, *prev = NULL;
	unsigned want = 0;

	while (bpf_map_get_next_key(s->fd[M_IDS], prev, &next) == 0) {
		uint64_t cgid;
		struct prof_cont c;
		struct prof_slot sl;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(s->fd[M_IDS], &k, &cgid) == 0 &&
		    bpf_map_lookup_elem(s->fd[M_CONTS], &cgid, &c) == 0 &&
		    bpf_map_lookup_elem(s->fd[M_SLOTS], &c.slot, &sl) == 0 &&
		    (sl.flags & PROF_F_USED))
			want |= (sl.flags & PROF_F_PROTECT) ? DYN_PROTECT : DYN_LEARN;
	}
	for (size_t i = 0; i < NDYNS; i++) {
		char *pp = bh_asprintf("%s/%s", SET_DIR, dyns[i].prog);
		char *lp = bh_asprintf("%s/%s", SET_DIR, dyns[i].link);
		int pfd, lfd, r = 0;

		if (access(pp, F_OK) < 0) {
			/* not this variant's */
		} else if (!(want & dyns[i].want)) {
			if (unlink(lp) == 0)
				bh_debug("profile: %s detached", dyns[i].link);
		} else if (access(lp, F_OK) < 0) {
			pfd = bpf_obj_get(pp);
			lfd = pfd < 0 ? -1 : bpf_raw_tracepoint_open(dyns[i].tp, pfd);
			if (lfd < 0)
				r = bh_error_sys(err, errno, "attaching %s", pp);
			else if (bpf_obj_pin(lfd, lp) < 0)
				r = bh_error_sys(err, errno, "pinning %s", lp);
			if (pfd >= 0)
				close(pfd);
			if (lfd >= 0)
				close(lfd);
		}
		free(pp);
		free(lp);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Every hits key of slot (a bounded array: the map's size). */
static size_t hit_keys(struct set *s, uint32_t slot, struct prof_hit_key **out)
{
	struct prof_hit_key k, next, *prev = NULL;
	size_t n = 0;

	*out = bh_calloc(PROF_MAX_HITS, sizeof(**out));
	while (n < PROF_MAX_HITS && bpf_map_get_next_key(s->fd[M_HITS], prev, &next) == 0) {
		k = next;
		prev = &k;
		if (k.slot == slot)
			(*out)[n++] = k;
	}
	return n;
}

static void clear_hits(struct set *s, uint32_t slot)
{
	struct prof_hit_key *keys;
	size_t n = hit_keys(s, slot, &keys);

	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(s->fd[M_HITS], &keys[i]);
	free(keys);
}

static int id_key(const char *id, struct prof_id_key *k, struct bh_error **err)
{
	memset(k, 0, sizeof(*k));
	if (strlen(id) >= sizeof(k->id))
		return bh_error_set(err, BH_ERR_LIMIT, "the container id is over %d bytes",
				    PROF_ID_MAX - 1);
	memcpy(k->id, id, strlen(id));
	return 0;
}

/* Release id's slot (if armed): its tasks stop recording, its state goes. */
static void release(struct set *s, const struct prof_id_key *k)
{
	struct prof_cont c;
	struct prof_slot sl;
	uint64_t cgid;

	if (bpf_map_lookup_elem(s->fd[M_IDS], k, &cgid) < 0)
		return;
	if (bpf_map_lookup_elem(s->fd[M_CONTS], &cgid, &c) == 0) {
		if (bpf_map_lookup_elem(s->fd[M_SLOTS], &c.slot, &sl) == 0) {
			sl.gen++; /* a task still holding the old generation records nothing */
			sl.flags = 0;
			bpf_map_update_elem(s->fd[M_SLOTS], &c.slot, &sl, BPF_ANY);
		}
		clear_hits(s, c.slot);
		bpf_map_delete_elem(s->fd[M_CONTS], &cgid);
	}
	bpf_map_delete_elem(s->fd[M_IDS], k);
}

static bool ids_empty(struct set *s)
{
	struct prof_id_key next;

	return bpf_map_get_next_key(s->fd[M_IDS], NULL, &next) < 0;
}

/* Lock the pin root (bpffs mounted, the directory made): a fd to close, or -1. */
static int lock_root(int how, struct bh_error **err)
{
	return bh_bpf_pin_lock(how, err);
}

/* The old layout (one program set per container, /sys/fs/bpf/bulkhead/<id>/): unpinned. */
static void legacy_remove(const char *id)
{
	static const char *const names[] = { "sys_enter", "exec", "fork",   "exit",
					     "seen",	  "ctl",  "outside" };
	char *dir = bh_asprintf(PIN_ROOT "/%s", id);

	if (strchr(id, '/') || !strncmp(id, "prof-v", 6) || id[0] == '.') {
		free(dir);
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = bh_asprintf("%s/%s", dir, names[i]);

		unlink(p);
		free(p);
	}
	rmdir(dir);
	free(dir);
}

int bh_prof_recorder_arm(const char *id, const char *cg2_dir, const char *cg2_path, pid_t init,
			 const struct bh_prof_record *allowed, unsigned flags,
			 struct bh_error **err)
{
	struct set s = { .fd = { -1, -1, -1, -1, -1, -1 } };
	struct bh_error *e = NULL;
	struct prof_id_key k;
	struct prof_cont c = { 0 };
	struct prof_slot sl = { 0 };
	struct prof_seen *zero = NULL;
	struct prof_allowed al = { 0 };
	uint64_t cgid = 0;
	uint32_t slot;
	int lock = -1, r = -1;

	if (id_key(id, &k, err) < 0 || cgroup_id(cg2_dir, &cgid, err) < 0)
		goto out;
	if (!cgroup_level(cg2_path)) {
		bh_error_set(err, BH_ERR_USAGE, "the container is in the cgroup2 root");
		goto out;
	}
	if (flags & BH_PROF_REC_PROTECT)
		flags |= BH_PROF_REC_MONITOR; /* the allow-list is needed */
	if ((flags & BH_PROF_REC_MONITOR) && !allowed) {
		bh_error_set(err, BH_ERR_USAGE, "monitor and protect need the allow-list");
		goto out;
	}
	bh_bpf_messages_clear();
	if ((lock = lock_root(LOCK_EX, err)) < 0)
		goto out;
	if (set_open(&s, &e) < 0) {
		if (e->code != BH_ERR_NOTFOUND) {
			pass(err, &e);
			goto out;
		}
		bh_error_free(e);
		e = NULL;
		set_unpin_all(); /* whatever part of a set a crash left */
		if (bh_lazy_require(&bh_lazy_bpf, err) < 0 || set_load(err) < 0 ||
		    set_open(&s, err) < 0)
			goto out;
	}
	release(&s, &k); /* a stale arming of the same id */
	for (slot = 0; slot < PROF_MAX_SLOTS; slot++)
		if (bpf_map_lookup_elem(s.fd[M_SLOTS], &slot, &sl) == 0 &&
		    !(sl.flags & PROF_F_USED))
			break;
	if (slot == PROF_MAX_SLOTS) {
		bh_error_set(err, BH_ERR_LIMIT, "%d containers are learning already",
			     PROF_MAX_SLOTS);
		goto unref;
	}
	/* the slot's previous owner leaves nothing behind */
	zero = bh_calloc((size_t)s.ncpu, sizeof(*zero));
	if (allowed)
		memcpy(al.bits, allowed->bits, sizeof(al.bits));
	clear_hits(&s, slot);
	if (bpf_map_update_elem(s.fd[M_SEEN], &slot, zero, BPF_ANY) < 0 ||
	    bpf_map_update_elem(s.fd[M_ALLOWED], &slot, &al, BPF_ANY) < 0) {
		bh_error_sys(err, errno, "arming the recorder");
		goto unref;
	}
	sl.gen++;
	sl.flags = PROF_F_USED | ((flags & BH_PROF_REC_PROTECT)	  ? PROF_F_PROTECT
				  : (flags & BH_PROF_REC_MONITOR) ? PROF_F_MONITOR
								  : 0);
	c.slot = slot;
	c.gen = sl.gen;
	c.init_tgid = (unsigned)init;
	if (bpf_map_update_elem(s.fd[M_SLOTS], &slot, &sl, BPF_ANY) < 0 ||
	    bpf_map_update_elem(s.fd[M_IDS], &k, &cgid, BPF_NOEXIST) < 0) {
		bh_error_sys(err, errno, "arming the recorder");
		sl.flags = 0;
		bpf_map_update_elem(s.fd[M_SLOTS], &slot, &sl, BPF_ANY);
		goto unref;
	}
	if (bpf_map_update_elem(s.fd[M_CONTS], &cgid, &c, BPF_NOEXIST) < 0) {
		if (errno == EEXIST)
			bh_error_set(err, BH_ERR_USAGE,
				     "another container learning is in the cgroup %s", cg2_dir);
		else
			bh_error_sys(err, errno, "arming the recorder");
		sl.flags = 0;
		bpf_map_update_elem(s.fd[M_SLOTS], &slot, &sl, BPF_ANY);
		bpf_map_delete_elem(s.fd[M_IDS], &k);
		goto unref;
	}
	if (dyn_sync(&s, err) < 0) {
		release(&s, &k);
		goto unref;
	}
	bh_debug("profile: %s learning in slot %u (generation %u), cgroup %llu", id, slot, sl.gen,
		 (unsigned long long)cgid);
	r = 0;
unref:
	if (r < 0 && ids_empty(&s))
		set_unpin_all();
	else if (r < 0)
		(void)dyn_sync(&s, NULL);
out:
	free(zero);
	set_close(&s);
	if (lock >= 0)
		close(lock);
	return r < 0 ? bh_error_prefix(err, "learning syscalls") : 0;
}

int bh_prof_recorder_read(const char *id, struct bh_prof_record *out, struct bh_error **err)
{
	struct set s = { .fd = { -1, -1, -1, -1, -1, -1 } };
	struct prof_seen *per = NULL;
	struct prof_hit_key *keys = NULL;
	struct prof_id_key k;
	struct prof_cont c;
	struct prof_slot sl;
	struct timespec ts;
	uint64_t cgid;
	int lock = -1, r = -1;

	memset(out, 0, sizeof(*out));
	if (id_key(id, &k, err) < 0 || (lock = lock_root(LOCK_SH, err)) < 0 ||
	    set_open(&s, err) < 0)
		goto out;
	if (bpf_map_lookup_elem(s.fd[M_IDS], &k, &cgid) < 0 ||
	    bpf_map_lookup_elem(s.fd[M_CONTS], &cgid, &c) < 0 ||
	    bpf_map_lookup_elem(s.fd[M_SLOTS], &c.slot, &sl) < 0) {
		bh_error_set(err, BH_ERR_NOTFOUND, "not armed in %s", SET_DIR);
		goto out;
	}
	per = bh_calloc((size_t)s.ncpu, sizeof(*per));
	if (bpf_map_lookup_elem(s.fd[M_SEEN], &c.slot, per) < 0) {
		bh_error_sys(err, errno, "reading %s/seen", SET_DIR);
		goto out;
	}
	for (int cpu = 0; cpu < s.ncpu; cpu++) {
		for (int a = 0; a < PROF_NARCH; a++)
			for (int w = 0; w < PROF_WORDS; w++)
				out->bits[a][w] |= per[cpu].bits[a][w];
		out->events += per[cpu].events;
		out->lost += per[cpu].out_of_range + per[cpu].untracked + per[cpu].hits_lost;
	}
	if (sl.flags & PROF_F_MONITOR)
		out->outside = bh_calloc(BH_PROF_NARCH * BH_PROF_MAX_NR, sizeof(uint64_t));
	if (sl.flags & PROF_F_PROTECT)
		out->denied = bh_calloc(BH_PROF_NARCH * BH_PROF_MAX_NR, sizeof(uint64_t));
	if (out->outside || out->denied) {
		size_t n = hit_keys(&s, c.slot, &keys);

		for (size_t i = 0; i < n; i++) {
			uint64_t *to = keys[i].kind == PROF_HIT_DENIED ? out->denied : out->outside;
			uint64_t v;

			if (!to || keys[i].gen != c.gen || keys[i].arch >= PROF_NARCH ||
			    keys[i].nr >= PROF_MAX_NR ||
			    bpf_map_lookup_elem(s.fd[M_HITS], &keys[i], &v) < 0)
				continue;
			to[keys[i].arch * BH_PROF_MAX_NR + keys[i].nr] += v;
		}
	}
	out->armed = c.armed != 0;
	out->armed_ns = c.armed_ns;
	out->execs = c.execs;
	out->joined = c.joined;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	out->collected_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	r = 0;
out:
	set_close(&s);
	if (lock >= 0)
		close(lock);
	free(keys);
	free(per);
	if (r < 0) {
		bh_prof_record_release(out);
		return bh_error_prefix(err, "the syscall recorder of %s", id);
	}
	return 0;
}

void bh_prof_record_release(struct bh_prof_record *rec)
{
	free(rec->outside);
	free(rec->denied);
	rec->outside = NULL;
	rec->denied = NULL;
}

int bh_prof_recorder_remove(const char *id, struct bh_error **err)
{
	struct set s = { .fd = { -1, -1, -1, -1, -1, -1 } };
	struct bh_error *e = NULL;
	struct prof_id_key k;
	int lock = -1, r = -1;

	legacy_remove(id);
	if (access(SET_DIR, F_OK) < 0 && errno == ENOENT)
		return 0; /* nothing armed on the host */
	if (id_key(id, &k, err) < 0 || (lock = lock_root(LOCK_EX, err)) < 0)
		goto out;
	if (set_open(&s, &e) < 0) {
		r = e->code == BH_ERR_NOTFOUND ? 0 : -1; /* nothing pinned: nothing to do */
		if (r < 0)
			pass(err, &e);
		bh_error_clear(&e);
		goto out;
	}
	release(&s, &k);
	if (ids_empty(&s)) {
		set_unpin_all();
		bh_debug("profile: the last container learning is gone: %s unpinned", SET_DIR);
		r = 0;
	} else {
		r = dyn_sync(&s, err);
	}
out:
	set_close(&s);
	if (lock >= 0)
		close(lock);
	return r;
}
