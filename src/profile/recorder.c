/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader of the syscall recorder (bpf/syscalls.bpf.c, through the
 * skeleton bpftool generated at build time): load, arm for the container's
 * init, attach, pin under /sys/fs/bpf/bulkhead/<id>/ (two links, two maps),
 * read, unpin. See include/bulkhead/profile.h for the design.
 *
 * Which cgroup: BPF's cgroup helpers see the cgroup2 (default) hierarchy
 * only. On a v2 host that is the container's cgroup; on a hybrid host
 * (v1 controllers plus /sys/fs/cgroup/unified) it is the runtime's directory
 * in unified, which the runtime makes for every container. The id is the
 * directory's file handle (the kernfs id), the level its depth below the
 * hierarchy's root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "lazy/bpf.h" /* before the skeleton: its calls go through the lazy pointers */
#include "profile/syscalls.skel.h"

#include "bulkhead/base.h"
#include "bulkhead/profile.h"
#include "profile/bpf/recorder.h"
#include "internal.h"
#include "banned.h"

#define BPFFS	      "/sys/fs/bpf"
#define PIN_ROOT      BPFFS "/bulkhead"
#define BPF_FS_MAGIC_ 0xcafe4a11

_Static_assert(PROF_MAX_NR == BH_PROF_MAX_NR && (int)PROF_NARCH == (int)BH_PROF_NARCH,
	       "the recorder's layout and the public one agree");

/* the links (tp_btf: three, raw_tp: four), then the maps read at collection */
#define NLINKS 4
static const char *const pin_names[] = { "sys_enter", "exec", "fork",	"exit",
					 "seen",      "ctl",  "outside" };

char *bh_prof_pin_dir(const char *id)
{
	return bh_asprintf(PIN_ROOT "/%s", id);
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

/* libbpf's messages: the last warning kept, to explain a failed load (one load at a time). */
static char last_msg[512]; /* not thread-local: that would link ld.so for __tls_get_addr */

static int keep_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n > 0 && strstr(line, "libbpf: ")) {
		size_t l = strlen(line);

		while (l && line[l - 1] == '\n')
			line[--l] = '\0';
		snprintf(last_msg, sizeof(last_msg), "%s", line);
	}
	return 0;
}

static int bpffs_ready(struct bh_error **err)
{
	struct statfs sf;

	if (statfs(BPFFS, &sf) < 0)
		return bh_error_sys(err, errno, "%s", BPFFS);
	if ((unsigned long)sf.f_type == BPF_FS_MAGIC_)
		return 0;
	if (mount("bpf", BPFFS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
		return bh_error_sys(err, errno, "mounting bpffs at %s", BPFFS);
	bh_debug("profile: mounted bpffs at %s", BPFFS);
	return 0;
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
				    *last_msg ? ": " : "", last_msg);
	return bh_error_set(err, BH_ERR_UNSUPPORTED,
			    "the kernel did not load the syscall recorder (%s)%s%s", strerror(e),
			    *last_msg ? ": " : "", last_msg);
}

/* Open and load with the tp_btf programs, or the raw_tp ones. */
static struct prof_syscalls *load(uint64_t cgid, unsigned level, bool monitor, bool btf, int *e)
{
	struct prof_syscalls *sk = prof_syscalls__open();

	if (!sk) {
		*e = errno ? errno : EINVAL;
		return NULL;
	}
	sk->rodata->target_cgid = cgid;
	sk->rodata->target_level = level;
	sk->rodata->monitor = monitor;
	{
		struct bpf_program *b[] = { sk->progs.rec_sys_enter_btf, sk->progs.rec_exec_btf,
					    sk->progs.rec_fork_btf };
		struct bpf_program *r[] = { sk->progs.rec_sys_enter_raw, sk->progs.rec_exec_raw,
					    sk->progs.rec_fork_raw, sk->progs.rec_exit_raw };

		for (size_t i = 0; i < 3; i++)
			bpf_program__set_autoload(b[i], btf);
		for (size_t i = 0; i < 4; i++)
			bpf_program__set_autoload(r[i], !btf);
	}
	if (prof_syscalls__load(sk) < 0) {
		*e = errno ? errno : EINVAL;
		prof_syscalls__destroy(sk);
		return NULL;
	}
	return sk;
}

static int pin(struct prof_syscalls *sk, bool btf, bool monitor, const char *dir,
	       struct bh_error **err)
{
	struct bpf_program *b[NLINKS] = { sk->progs.rec_sys_enter_btf, sk->progs.rec_exec_btf,
					  sk->progs.rec_fork_btf, NULL };
	struct bpf_program *rp[NLINKS] = { sk->progs.rec_sys_enter_raw, sk->progs.rec_exec_raw,
					   sk->progs.rec_fork_raw, sk->progs.rec_exit_raw };
	struct bpf_map *m[3] = { sk->maps.seen, sk->maps.ctl, sk->maps.outside };
	struct bpf_link *l[NLINKS] = { 0 };
	int r = 0;

	/* fork and exit first: no task may be armed before its children are followed */
	for (int i = NLINKS - 1; !r && i >= 0; i--) {
		struct bpf_program *prog = btf ? b[i] : rp[i];
		char *p;

		if (!prog)
			continue;
		l[i] = bpf_program__attach(prog);
		if (!l[i]) {
			r = explain(errno ? errno : EINVAL, err);
			break;
		}
		p = bh_asprintf("%s/%s", dir, pin_names[i]);
		if (bpf_link__pin(l[i], p) < 0)
			r = bh_error_sys(err, errno, "pinning %s", p);
		free(p);
	}
	for (int i = 0; !r && i < (monitor ? 3 : 2); i++) {
		char *p = bh_asprintf("%s/%s", dir, pin_names[NLINKS + i]);

		if (bpf_map__pin(m[i], p) < 0)
			r = bh_error_sys(err, errno, "pinning %s", p);
		free(p);
	}
	/* the pins hold the links: closing ours detaches nothing */
	for (int i = 0; i < NLINKS; i++)
		if (l[i])
			bpf_link__destroy(l[i]);
	return r;
}

int bh_prof_recorder_arm(const char *id, const char *cg2_dir, const char *cg2_path, pid_t init,
			 const struct bh_prof_record *allowed, struct bh_error **err)
{
	struct prof_syscalls *sk;
	struct prof_ctl c = { 0 };
	uint64_t cgid = 0;
	unsigned level = cgroup_level(cg2_path);
	char *dir = NULL;
	bool btf = true;
	uint32_t k = 0;
	int e = 0, r = -1;

	if (bh_lazy_require(&bh_lazy_bpf, err) < 0 || cgroup_id(cg2_dir, &cgid, err) < 0)
		goto prefix;
	if (!level) {
		bh_error_set(err, BH_ERR_USAGE, "the container is in the cgroup2 root");
		goto prefix;
	}
	last_msg[0] = '\0';
	libbpf_set_print(keep_print);
	sk = load(cgid, level, allowed != NULL, true, &e);
	if (!sk) {
		bh_debug("profile: tp_btf did not load (%s): raw_tp", strerror(e));
		btf = false;
		last_msg[0] = '\0';
		sk = load(cgid, level, allowed != NULL, false, &e);
	}
	if (!sk) {
		explain(e, err);
		goto prefix;
	}
	c.init_tgid = (unsigned)init;
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.ctl), &k, &c, BPF_ANY) < 0) {
		bh_error_sys(err, errno, "arming the recorder");
		goto out;
	}
	if (allowed) {
		struct prof_allowed al;

		memcpy(al.bits, allowed->bits, sizeof(al.bits));
		if (bpf_map_update_elem(bpf_map__fd(sk->maps.allowed), &k, &al, BPF_ANY) < 0) {
			bh_error_sys(err, errno, "loading the allow-list into the recorder");
			goto out;
		}
	}
	if (bpffs_ready(err) < 0 || bh_mkdirs(PIN_ROOT, 0700, 0700, err) < 0)
		goto out;
	dir = bh_prof_pin_dir(id);
	if (mkdir(dir, 0700) < 0) {
		bh_error_sys(err, errno, "%s", dir);
		goto out;
	}
	if (pin(sk, btf, allowed != NULL, dir, err) < 0) {
		bh_prof_recorder_remove(id, NULL);
		goto out;
	}
	bh_debug("profile: recorder for %s on cgroup %llu at level %u (%s), pinned at %s", id,
		 (unsigned long long)cgid, level, btf ? "tp_btf" : "raw_tp", dir);
	r = 0;
out:
	prof_syscalls__destroy(sk);
	free(dir);
	if (r == 0)
		return 0;
prefix:
	return bh_error_prefix(err, "learning syscalls");
}

static int obj_get(const char *dir, const char *name, struct bh_error **err)
{
	char *p = bh_asprintf("%s/%s", dir, name);
	int fd = bpf_obj_get(p);

	if (fd < 0)
		bh_error_set(err, errno == ENOENT ? BH_ERR_NOTFOUND : BH_ERR_IO, "%s: %s", p,
			     strerror(errno));
	free(p);
	return fd;
}

int bh_prof_recorder_read(const char *id, struct bh_prof_record *out, struct bh_error **err)
{
	char *dir = bh_prof_pin_dir(id);
	struct prof_seen *per = NULL;
	struct prof_ctl c;
	struct timespec ts;
	int seen = -1, ctl = -1, ncpu, r = -1;
	uint32_t k = 0;

	memset(out, 0, sizeof(*out));
	if (bh_lazy_require(&bh_lazy_bpf, err) < 0)
		goto out;
	if ((seen = obj_get(dir, "seen", err)) < 0 || (ctl = obj_get(dir, "ctl", err)) < 0)
		goto out;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		bh_error_set(err, BH_ERR_IO, "the number of CPUs: %s", strerror(-ncpu));
		goto out;
	}
	/* per-CPU values come rounded up to 8 bytes each: the struct already is */
	_Static_assert(sizeof(struct prof_seen) % 8 == 0, "per-CPU values are 8-byte rounded");
	per = bh_calloc((size_t)ncpu, sizeof(*per));
	if (bpf_map_lookup_elem(seen, &k, per) < 0 || bpf_map_lookup_elem(ctl, &k, &c) < 0) {
		bh_error_sys(err, errno, "reading %s", dir);
		goto out;
	}
	for (int cpu = 0; cpu < ncpu; cpu++) {
		for (int a = 0; a < PROF_NARCH; a++)
			for (int w = 0; w < PROF_WORDS; w++)
				out->bits[a][w] |= per[cpu].bits[a][w];
		out->events += per[cpu].events;
		out->lost += per[cpu].out_of_range + per[cpu].untracked;
	}
	{
		struct bh_error *e = NULL;
		int ofd = obj_get(dir, "outside", &e);

		if (ofd >= 0) {
			struct prof_outside *po = bh_calloc((size_t)ncpu, sizeof(*po));

			_Static_assert(sizeof(struct prof_outside) % 8 == 0, "8-byte rounded");
			if (bpf_map_lookup_elem(ofd, &k, po) < 0) {
				bh_error_sys(err, errno, "reading %s/outside", dir);
				free(po);
				close(ofd);
				goto out;
			}
			out->outside = bh_calloc(BH_PROF_NARCH * BH_PROF_MAX_NR, sizeof(uint64_t));
			for (int cpu = 0; cpu < ncpu; cpu++)
				for (int a = 0; a < PROF_NARCH; a++)
					for (int n = 0; n < PROF_MAX_NR; n++)
						out->outside[a * BH_PROF_MAX_NR + n] +=
							po[cpu].count[a][n];
			free(po);
			close(ofd);
		}
		bh_error_free(e);
	}
	out->armed = c.armed != 0;
	out->armed_ns = c.armed_ns;
	out->execs = c.execs;
	out->joined = c.joined;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	out->collected_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	r = 0;
out:
	if (seen >= 0)
		close(seen);
	if (ctl >= 0)
		close(ctl);
	free(per);
	free(dir);
	if (r < 0) {
		free(out->outside);
		out->outside = NULL;
		return bh_error_prefix(err, "the syscall recorder of %s", id);
	}
	return 0;
}

void bh_prof_record_release(struct bh_prof_record *rec)
{
	free(rec->outside);
	rec->outside = NULL;
}

int bh_prof_recorder_remove(const char *id, struct bh_error **err)
{
	char *dir = bh_prof_pin_dir(id);
	int r = 0;

	for (size_t i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
		char *p = bh_asprintf("%s/%s", dir, pin_names[i]);

		if (unlink(p) < 0 && errno != ENOENT && !r)
			r = bh_error_sys(err, errno, "%s", p);
		free(p);
	}
	if (rmdir(dir) < 0 && errno != ENOENT && !r)
		r = bh_error_sys(err, errno, "%s", dir);
	free(dir);
	return r;
}
