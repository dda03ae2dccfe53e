/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seccomp: the bundle's profile (or the default allow-list), compiled with
 * libseccomp in the runtime before any fork, with the deny-list and the
 * mount rules merged in so that no profile can lift them. The program is
 * exported as BPF and loaded in the container's init by one seccomp(2) call,
 * the last thing before execve. Compiled programs are cached in the state
 * root (see "a cache of compiled filters" below).
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

const char *const bh_rt_deny_list[] = {
	"init_module", "finit_module", "delete_module", "kexec_load",	     "kexec_file_load",
	"reboot",      "swapon",       "swapoff",	"open_by_handle_at", "keyctl",
	"add_key",     "request_key",  "userfaultfd",	"perf_event_open",   "bpf",
	"iopl",	       "ioperm",       "acct",		"quotactl",	     "quotactl_fd",
	NULL,
};

const char *const bh_rt_mount_family[] = {
	"mount",  "umount",	"umount2",   "fsopen",	      "fsconfig",   "fsmount",
	"fspick", "move_mount", "open_tree", "mount_setattr", "pivot_root", NULL,
};

#define MAX_RULES 4096

static bool in_list(const char *const *list, const char *name)
{
	for (; list && *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

static int parse_action(const char *a, json_int_t errno_ret, uint32_t *out, bool *notify)
{
	if (!strcmp(a, "SCMP_ACT_KILL") || !strcmp(a, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(a, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(a, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(a, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO((uint16_t)errno_ret);
	else if (!strcmp(a, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE((uint16_t)errno_ret);
	else if (!strcmp(a, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(a, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else if (!strcmp(a, "SCMP_ACT_NOTIFY")) {
		*out = SCMP_ACT_NOTIFY;
		*notify = true;
	} else
		return -1;
	return 0;
}

static int parse_op(const char *o, enum scmp_compare *out)
{
	static const struct {
		const char *n;
		enum scmp_compare c;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE },
		{ "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE },
		{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE },
		{ "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(o, ops[i].n)) {
			*out = ops[i].c;
			return 0;
		}
	return -1;
}

static int parse_arch(const char *a, uint32_t *out)
{
	static const struct {
		const char *n;
		uint32_t a;
	} archs[] = {
		{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },
		{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
		{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },
		{ "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
		{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
		{ "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
		{ "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
		{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
	};

	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++)
		if (!strcmp(a, archs[i].n)) {
			*out = archs[i].a;
			return 0;
		}
	return -1;
}

/* Add one rule; an action equal to the default is skipped (libseccomp refuses it). */
static int add_rule(scmp_filter_ctx ctx, uint32_t defact, uint32_t act, int nr, unsigned n,
		    const struct scmp_arg_cmp *cmp, const char *name, struct bh_error **err)
{
	int r;

	if (act == defact)
		return 0;
	r = seccomp_rule_add_array(ctx, act, nr, n, cmp);
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return bh_error_sys(err, -r, "seccomp: adding a rule for '%s'", name);
	return 0;
}

static int add_syscall_rules(scmp_filter_ctx ctx, uint32_t defact, const json_t *rule, size_t idx,
			     const char *const *denied, bool *notify, unsigned *count,
			     struct bh_error **err)
{
	json_t *names = json_object_get(rule, "names"), *args = json_object_get(rule, "args"), *v;
	const char *single = bh_json_str(rule, "name"), *action = bh_json_str(rule, "action");
	json_int_t eret = EPERM;
	struct scmp_arg_cmp cmp[6];
	bool same_index = false;
	unsigned ncmp = 0;
	uint32_t act;
	size_t i, nnames;

	if (!action)
		return bh_error_set(err, BH_ERR_INVALID, "seccomp.syscalls[%zu].action is required",
				    idx);
	if (json_object_get(rule, "errnoRet") &&
	    (!bh_json_int(rule, "errnoRet", &eret) || eret < 0 || eret > 4095))
		return bh_error_set(err, BH_ERR_INVALID, "seccomp.syscalls[%zu].errnoRet", idx);
	if (parse_action(action, eret, &act, notify) < 0)
		return bh_error_set(err, BH_ERR_INVALID,
				    "seccomp.syscalls[%zu]: unknown action '%.40s'", idx, action);
	if (names && !json_is_array(names))
		return bh_error_set(err, BH_ERR_INVALID, "seccomp.syscalls[%zu].names", idx);
	if (args && !json_is_null(args)) {
		bool seen[6] = { false };

		if (!json_is_array(args) || json_array_size(args) > 6)
			return bh_error_set(err, BH_ERR_INVALID,
					    "seccomp.syscalls[%zu].args: at most 6", idx);
		json_array_foreach (args, i, v) {
			json_int_t index, val = 0, val2 = 0;
			const char *op = bh_json_str(v, "op");
			json_t *jv = json_object_get(v, "value"),
			       *jv2 = json_object_get(v, "valueTwo");

			if (!bh_json_int(v, "index", &index) || index < 0 || index > 5 || !op ||
			    (jv && !json_is_integer(jv)) || (jv2 && !json_is_integer(jv2)))
				return bh_error_set(err, BH_ERR_INVALID,
						    "seccomp.syscalls[%zu].args[%zu]", idx, i);
			if (jv)
				val = json_integer_value(jv);
			if (jv2)
				val2 = json_integer_value(jv2);
			if (parse_op(op, &cmp[ncmp].op) < 0)
				return bh_error_set(err, BH_ERR_INVALID,
						    "seccomp.syscalls[%zu].args[%zu]: op '%.30s'",
						    idx, i, op);
			cmp[ncmp].arg = (unsigned)index;
			cmp[ncmp].datum_a = (scmp_datum_t)val;
			cmp[ncmp].datum_b = (scmp_datum_t)val2;
			if (seen[index])
				same_index = true;
			seen[index] = true;
			ncmp++;
		}
	}
	nnames = names ? json_array_size(names) : 0;
	for (i = 0; i < nnames + (single ? 1 : 0); i++) {
		const char *name;
		int nr;

		if (i < nnames) {
			v = json_array_get(names, i);
			if (!json_is_string(v) || json_string_length(v) > 64)
				return bh_error_set(err, BH_ERR_INVALID,
						    "seccomp.syscalls[%zu].names[%zu]", idx, i);
			name = json_string_value(v);
		} else {
			name = single;
		}
		if (++*count > MAX_RULES)
			return bh_error_set(err, BH_ERR_LIMIT, "seccomp: more than %d rules",
					    MAX_RULES);
		if (in_list(denied, name))
			continue; /* the runtime's own rule decides */
		nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			bh_debug("seccomp: syscall '%s' unknown here, skipped", name);
			continue;
		}
		if (same_index) {
			/* libseccomp wants one comparison per argument in a rule */
			for (unsigned k = 0; k < ncmp; k++)
				if (add_rule(ctx, defact, act, nr, 1, &cmp[k], name, err) < 0)
					return -1;
		} else if (add_rule(ctx, defact, act, nr, ncmp, cmp, name, err) < 0) {
			return -1;
		}
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, void **prog, size_t *nprog, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	int fd = memfd_create("bh-seccomp", MFD_CLOEXEC), r;

	if (fd < 0)
		return bh_error_sys(err, errno, "seccomp: memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0) {
		close(fd);
		return bh_error_sys(err, -r, "seccomp: exporting the filter");
	}
	if (lseek(fd, 0, SEEK_SET) < 0 || bh_buf_read_fd(&b, fd, "seccomp filter", err) < 0) {
		close(fd);
		bh_buf_release(&b);
		return bh_error_sys(err, errno, "seccomp: reading the filter back");
	}
	close(fd);
	if (b.len % sizeof(struct sock_filter) ||
	    b.len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		bh_buf_release(&b);
		return bh_error_set(err, BH_ERR_LIMIT, "seccomp: the filter is too large");
	}
	*nprog = b.len / sizeof(struct sock_filter);
	*prog = bh_buf_detach(&b, NULL);
	return 0;
}

int bh_rt_seccomp_compile(const json_t *profile, const struct bh_rt_seccomp_opts *o, void **prog,
			  size_t *nprog, bool *listener, struct bh_error **err)
{
	const char *denied[64];
	size_t nd = 0;
	json_t *parsed = NULL, *arr, *v;
	const char *defname;
	json_int_t deret = EPERM;
	scmp_filter_ctx ctx = NULL;
	uint32_t defact;
	bool notify = false;
	unsigned count = 0;
	size_t i;
	int r = -1;

	*prog = NULL;
	*nprog = 0;
	*listener = false;
	if (!profile) {
		const char *text = bh_rt_default_seccomp();

		if (bh_json_parse(text, strlen(text), 1 << 20, "default seccomp profile", &parsed,
				  err) < 0)
			return -1;
		profile = parsed;
	}
	if (!json_is_object(profile)) {
		bh_error_set(err, BH_ERR_INVALID, "linux.seccomp must be an object");
		goto out;
	}
	/* the syscalls whose rule the runtime decides */
	for (i = 0; bh_rt_deny_list[i]; i++)
		if (!in_list((const char *const *)o->allow, bh_rt_deny_list[i]))
			denied[nd++] = bh_rt_deny_list[i];
	for (i = 0; bh_rt_mount_family[i]; i++)
		if (!in_list((const char *const *)o->allow, bh_rt_mount_family[i]))
			denied[nd++] = bh_rt_mount_family[i];
	denied[nd] = NULL;

	defname = bh_json_str(profile, "defaultAction");
	if (!defname) {
		bh_error_set(err, BH_ERR_INVALID, "linux.seccomp.defaultAction is required");
		goto out;
	}
	if (json_object_get(profile, "defaultErrnoRet") &&
	    (!bh_json_int(profile, "defaultErrnoRet", &deret) || deret < 0 || deret > 4095)) {
		bh_error_set(err, BH_ERR_INVALID, "linux.seccomp.defaultErrnoRet");
		goto out;
	}
	/* a default notification (protect's learned list, src/runtime/learn.c): every call
	 * the list refuses goes to the supervisor, which answers EPERM and counts it */
	if (parse_action(defname, deret, &defact, &notify) < 0) {
		bh_error_set(err, BH_ERR_INVALID, "linux.seccomp.defaultAction '%.40s'", defname);
		goto out;
	}
	ctx = seccomp_init(defact);
	if (!ctx) {
		bh_error_set(err, BH_ERR_INTERNAL, "seccomp_init failed");
		goto out;
	}
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* binary tree */
	seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	arr = json_object_get(profile, "architectures");
	if (arr && !json_is_null(arr)) {
		if (!json_is_array(arr) || json_array_size(arr) > 16) {
			bh_error_set(err, BH_ERR_INVALID, "linux.seccomp.architectures");
			goto out;
		}
		json_array_foreach (arr, i, v) {
			uint32_t a;
			int x;

			if (!json_is_string(v) || parse_arch(json_string_value(v), &a) < 0) {
				bh_error_set(err, BH_ERR_INVALID,
					     "linux.seccomp.architectures[%zu] is not known", i);
				goto out;
			}
			x = seccomp_arch_add(ctx, a);
			if (x < 0 && x != -EEXIST) {
				bh_error_sys(err, -x, "seccomp: adding architecture %s",
					     json_string_value(v));
				goto out;
			}
		}
	}
	arr = json_object_get(profile, "flags");
	if (arr && json_is_array(arr)) {
		json_array_foreach (arr, i, v) {
			const char *f = json_string_value(v);

			if (!f)
				continue;
			if (!strcmp(f, "SECCOMP_FILTER_FLAG_LOG"))
				seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
			else if (!strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
				seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
		}
	}
	arr = json_object_get(profile, "syscalls");
	if (arr && !json_is_null(arr)) {
		if (!json_is_array(arr)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "linux.seccomp.syscalls must be an array");
			goto out;
		}
		json_array_foreach (arr, i, v) {
			if (!json_is_object(v)) {
				bh_error_set(err, BH_ERR_INVALID, "seccomp.syscalls[%zu]", i);
				goto out;
			}
			if (add_syscall_rules(ctx, defact, v, i, denied, &notify, &count, err) < 0)
				goto out;
		}
	}
	/* the runtime's rules */
	for (i = 0; denied[i]; i++) {
		bool mountcall = in_list(bh_rt_mount_family, denied[i]);
		uint32_t act = SCMP_ACT_ERRNO(EPERM);
		int nr = seccomp_syscall_resolve_name(denied[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;
		if (mountcall && o->mounts == BH_MOUNTS_SUPERVISED) {
			if (!strcmp(denied[i], "mount") || !strcmp(denied[i], "umount2")) {
				act = SCMP_ACT_NOTIFY;
				notify = true;
			} else if (strcmp(denied[i], "pivot_root")) {
				act = SCMP_ACT_ERRNO(ENOSYS); /* tools fall back to mount(2) */
			}
		}
		if (defact == SCMP_ACT_NOTIFY && act == SCMP_ACT_ERRNO(EPERM))
			act = SCMP_ACT_NOTIFY; /* refused the same way, and counted */
		if (seccomp_rule_add(ctx, act, nr, 0) < 0 && act != defact) {
			bh_error_set(err, BH_ERR_INTERNAL, "seccomp: adding the rule for %s",
				     denied[i]);
			goto out;
		}
	}
	if (export_bpf(ctx, prog, nprog, err) < 0)
		goto out;
	*listener = notify;
	r = 0;
out:
	if (r < 0)
		bh_error_prefix(err, "seccomp");
	if (ctx)
		seccomp_release(ctx);
	json_decref(parsed);
	return r;
}

/* ---- a cache of compiled filters ------------------------------------------- */

/*
 * libseccomp takes 10-30 ms of CPU to compile the default profile for its
 * three architectures: more than the rest of a container's start. So, as
 * crun does, the compiled program is kept in the state root, in a directory
 * that only its owner can write (hidden; its name is no valid container ID).
 * An entry holds, besides the program, everything the program depends on,
 * compared byte for byte on use: the profile as parsed (or "default": the built-in
 * one), the lifted deny-list entries, the mounts mode, the names and build
 * IDs of this binary and of every library loaded (libseccomp's included: a
 * rebuild or an upgrade changes them), the kernel and the machine. The file
 * name is only a 64-bit hash of that: a collision is a miss, never another
 * profile's program. A file that is not exactly what cache_store writes
 * (owner, mode, size, magic, inputs, checksum) is ignored and the profile
 * compiled as before: the cache never makes a start fail. No OpenSSL here:
 * its initialisation alone would cost a few milliseconds.
 */
#define CACHE_DIR	    ".seccomp@cache"
#define CACHE_MAGIC	    "BHSCMP02"
#define CACHE_MAX_FILES	    64
#define CACHE_MAX_INPUTS    (BH_RT_MAX_CONFIG + 64 * 1024)
#define CACHE_MAX_PROG_SIZE (BPF_MAXINSNS * sizeof(struct sock_filter))

struct cache_hdr {
	char magic[8];
	uint32_t flags, listener, n, ninputs;
	uint64_t sum; /* FNV-1a of the header (sum 0), the inputs and the program */
};

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_BASIS 0xcbf29ce484222325ull

static uint64_t entry_sum(const struct cache_hdr *hdr, const void *inputs, const void *prog)
{
	struct cache_hdr h = *hdr;
	uint64_t x;

	h.sum = 0;
	x = fnv1a(FNV_BASIS, &h, sizeof(h));
	x = fnv1a(x, inputs, hdr->ninputs);
	return fnv1a(x, prog, (size_t)hdr->n * sizeof(struct sock_filter));
}

struct inputs {
	struct bh_buf b;
	size_t objects;
	bool program_has_id; /* the first object is the program */
	bool failed;	     /* something did not fit: no key */
};

static void put(struct inputs *in, const void *p, size_t n)
{
	if (bh_buf_add(&in->b, p, n, NULL) < 0)
		in->failed = true;
}

static void put_str(struct inputs *in, const char *s)
{
	put(in, s, strlen(s) + 1);
}

/* The GNU build ID of a loaded object, in hex; false if it has none. */
static bool put_build_id(struct inputs *in, const struct dl_phdr_info *info)
{
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *seg = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		size_t align = ph->p_align == 8 ? 8 : 4, off = 0;

		if (ph->p_type != PT_NOTE)
			continue;
		while (off + sizeof(ElfW(Nhdr)) <= ph->p_memsz) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(seg + off);
			size_t name = off + sizeof(*nh);
			size_t desc = name + ((nh->n_namesz + align - 1) & ~(align - 1));
			size_t next = desc + ((nh->n_descsz + align - 1) & ~(align - 1));
			char hex[129];

			if (next > ph->p_memsz || next <= off)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(seg + name, "GNU", 4) && nh->n_descsz && nh->n_descsz <= 64) {
				bh_hex_encode(seg + desc, nh->n_descsz, hex);
				put_str(in, hex);
				return true;
			}
			off = next;
		}
	}
	return false;
}

static int put_object(struct dl_phdr_info *info, size_t size, void *data)
{
	struct inputs *in = data;
	bool id;

	(void)size;
	put_str(in, info->dlpi_name ? info->dlpi_name : "");
	id = put_build_id(in, info);
	if (!id)
		put_str(in, "-");
	if (in->objects++ == 0)
		in->program_has_id = id;
	return 0;
}

/* Everything the compiled program depends on; false: no cache (no build ID). */
static bool cache_inputs(const struct bh_rt_spec *spec, char *const *allow, struct inputs *in)
{
	struct utsname u;
	char mode[32];

	put_str(in, "bulkhead seccomp cache 2");
	dl_iterate_phdr(put_object, in);
	if (!in->program_has_id || uname(&u) < 0)
		return false;
	put_str(in, u.release);
	put_str(in, u.version);
	put_str(in, u.machine);
	snprintf(mode, sizeof(mode), "mounts %d", (int)spec->mounts_mode);
	put_str(in, mode);
	for (char *const *a = allow; a && *a; a++)
		put_str(in, *a);
	put_str(in, "--");
	if (!spec->seccomp)
		put_str(in, "default");
	else if (bh_json_dump_buf(spec->seccomp, JSON_COMPACT | JSON_SORT_KEYS, &in->b, NULL) < 0)
		in->failed = true;
	return !in->failed;
}

static char *cache_path(const char *root, const struct bh_buf *inputs)
{
	return bh_asprintf("%s/" CACHE_DIR "/%016llx", root,
			   (unsigned long long)fnv1a(FNV_BASIS, inputs->data, inputs->len));
}

/* The cache directory, made if asked; -1 if absent or not private to us. */
static int cache_dir(const char *root, bool create)
{
	char *path = bh_asprintf("%s/" CACHE_DIR, root);
	struct stat st;
	int fd;

	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		bh_debug("seccomp cache: creating %s: %s", path, strerror(errno));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077))) {
		bh_debug("seccomp cache: %s is not private to this user, not used", path);
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

/* 0 and f filled from a valid entry for these inputs, else -1 (compile instead). */
static int cache_load(const char *root, const struct bh_buf *inputs, struct rt_filter *f)
{
	struct cache_hdr hdr;
	struct stat st;
	unsigned char *buf = NULL;
	char *path = cache_path(root, inputs), *name = strrchr(path, '/') + 1;
	size_t len, plen;
	int dfd, fd = -1, r = -1;

	dfd = cache_dir(root, false);
	if (dfd < 0)
		goto out;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) || st.st_size < (off_t)sizeof(hdr) ||
	    st.st_size > (off_t)(sizeof(hdr) + CACHE_MAX_INPUTS + CACHE_MAX_PROG_SIZE))
		goto bad;
	len = (size_t)st.st_size;
	buf = bh_malloc(len);
	if (pread(fd, buf, len, 0) != (ssize_t)len)
		goto bad;
	memcpy(&hdr, buf, sizeof(hdr));
	plen = (size_t)hdr.n * sizeof(struct sock_filter);
	if (memcmp(hdr.magic, CACHE_MAGIC, sizeof(hdr.magic)) || hdr.listener > 1 || hdr.n == 0 ||
	    hdr.n > BPF_MAXINSNS ||
	    (hdr.flags & ~(uint32_t)(SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
				     SECCOMP_FILTER_FLAG_NEW_LISTENER)) ||
	    hdr.ninputs != inputs->len || len != sizeof(hdr) + inputs->len + plen ||
	    entry_sum(&hdr, buf + sizeof(hdr), buf + sizeof(hdr) + inputs->len) != hdr.sum)
		goto bad;
	if (memcmp(buf + sizeof(hdr), inputs->data, inputs->len))
		goto out; /* another profile's entry under the same hash: a miss */
	f->prog = bh_malloc(plen);
	memcpy(f->prog, buf + sizeof(hdr) + inputs->len, plen);
	f->n = hdr.n;
	f->listener = hdr.listener;
	f->flags = hdr.flags;
	r = 0;
	goto out;
bad:
	bh_debug("seccomp cache: %s is not a valid entry, compiling", path);
out:
	free(buf);
	free(path);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return r;
}

/* Keep the directory small: past CACHE_MAX_FILES entries, start over. */
static void cache_trim(int dfd)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t n = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	if (n >= CACHE_MAX_FILES) {
		rewinddir(d);
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				unlinkat(dfd, de->d_name, 0);
	}
	closedir(d);
}

static void cache_store(const char *root, const struct bh_buf *inputs, const struct rt_filter *f)
{
	struct cache_hdr hdr = { .flags = f->flags,
				 .listener = f->listener,
				 .n = (uint32_t)f->n,
				 .ninputs = (uint32_t)inputs->len };
	size_t plen = f->n * sizeof(struct sock_filter), len = sizeof(hdr) + inputs->len + plen;
	struct bh_error *e = NULL;
	unsigned char *buf;
	char *path;
	int dfd;

	if (!f->n || f->n > BPF_MAXINSNS || inputs->len > CACHE_MAX_INPUTS)
		return;
	dfd = cache_dir(root, true);
	if (dfd < 0)
		return;
	cache_trim(dfd);
	close(dfd);
	memcpy(hdr.magic, CACHE_MAGIC, sizeof(hdr.magic));
	hdr.sum = entry_sum(&hdr, inputs->data, f->prog);
	buf = bh_malloc(len);
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), inputs->data, inputs->len);
	memcpy(buf + sizeof(hdr) + inputs->len, f->prog, plen);
	path = cache_path(root, inputs);
	if (bh_write_file_atomic(path, buf, len, 0600, &e) < 0) {
		char *m = bh_error_message(e);

		bh_debug("seccomp cache: %s", m);
		free(m);
		bh_error_free(e);
	}
	free(path);
	free(buf);
}

int rt_filter_build(const struct bh_rt_spec *spec, char *const *allow, const char *cache_root,
		    struct rt_filter *f, struct bh_error **err)
{
	struct bh_rt_seccomp_opts o = { .mounts = spec->mounts_mode, .allow = allow };
	struct inputs in = { .b = BH_BUF_INIT(CACHE_MAX_INPUTS) };
	bool cached = cache_root && cache_inputs(spec, allow, &in);

	memset(f, 0, sizeof(*f));
	if (cached && cache_load(cache_root, &in.b, f) == 0) {
		bh_buf_release(&in.b);
		return 0;
	}
	if (bh_rt_seccomp_compile(spec->seccomp, &o, &f->prog, &f->n, &f->listener, err) < 0) {
		bh_buf_release(&in.b);
		return -1;
	}
	if (f->listener)
		f->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	if (spec->seccomp) {
		json_t *flags = json_object_get(spec->seccomp, "flags"), *v;
		size_t i;

		json_array_foreach (flags, i, v) {
			const char *s = json_string_value(v);

			if (s && !strcmp(s, "SECCOMP_FILTER_FLAG_LOG"))
				f->flags |= SECCOMP_FILTER_FLAG_LOG;
			else if (s && !strcmp(s, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
				f->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		}
	}
	if (cached)
		cache_store(cache_root, &in.b, f);
	bh_buf_release(&in.b);
	return 0;
}

void rt_filter_release(struct rt_filter *f)
{
	free(f->prog);
	memset(f, 0, sizeof(*f));
}

int rt_filter_load(const struct rt_filter *f)
{
	struct sock_fprog fp = { .len = (unsigned short)f->n, .filter = f->prog };
	long r;

	if (!f->prog)
		return 0;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &fp);
	if (r < 0)
		return -errno;
	return f->listener ? (int)r : 0;
}
