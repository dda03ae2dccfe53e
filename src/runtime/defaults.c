/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default config.json in its two variants: hardened (`bulkhead spec`) and
 * runc-compatible (`bulkhead image bundle`); and the features document.
 */
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

/* ---- the default config.json ------------------------------------------------ */

/*
 * One generator for both variants. The runc-compatible one is what an image
 * bundle starts from (`bulkhead image bundle`, the cache of `bulkhead run
 * IMAGE`): the mounts, masked and read-only paths of `runc spec`, the
 * capabilities of the Docker and runtime-tools default set, a writable root.
 * The hardened one (`bulkhead spec`) narrows it: fewer capabilities, a
 * read-only root with /tmp and /run as tmpfs, noexec /proc and /dev, one more
 * masked path, a pids limit and bulkhead's annotations.
 */

/* Comma-separated lists, in the order of the document. */
#define HARDENED_CAPS                                                                              \
	"CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_NET_BIND_SERVICE,"          \
	"CAP_SETGID,CAP_SETUID"
#define RUNC_CAPS                                                                                  \
	"CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FSETID,CAP_FOWNER,CAP_MKNOD,CAP_NET_RAW,CAP_SETGID,"       \
	"CAP_SETUID,CAP_SETFCAP,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT,CAP_KILL,"         \
	"CAP_AUDIT_WRITE"
#define RUNC_MASKED_PATHS                                                                          \
	"/proc/acpi,/proc/asound,/proc/kcore,/proc/keys,/proc/latency_stats,/proc/timer_list,"     \
	"/proc/timer_stats,/proc/sched_debug,/sys/firmware,/proc/scsi"
#define HARDENED_MASKED_PATHS RUNC_MASKED_PATHS ",/sys/kernel/security"
#define READONLY_PATHS	      "/proc/bus,/proc/fs,/proc/irq,/proc/sys,/proc/sysrq-trigger"

struct default_mount {
	const char *destination, *type, *source;
	const char *options;   /* comma-separated, in both variants ("" = no "options") */
	const char *hardening; /* appended in the hardened variant */
	bool hardened_only;
};

static const struct default_mount default_mounts[] = {
	{ "/proc", "proc", "proc", "", "nosuid,noexec,nodev", false },
	{ "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k", "noexec", false },
	{ "/dev/pts", "devpts", "devpts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5",
	  "", false },
	{ "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k", "", false },
	{ "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev", "", false },
	{ "/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro", "", false },
	{ "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro", "", false },
	{ "/tmp", "tmpfs", "tmpfs", "nosuid,nodev,mode=1777", "", true },
	{ "/run", "tmpfs", "tmpfs", "nosuid,nodev,mode=755", "", true },
};

/* Append the items of a comma-separated list (our own constants) to arr; returns arr. */
static json_t *add_list(json_t *arr, const char *list)
{
	while (*list) {
		size_t n = strcspn(list, ",");

		json_array_append_new(arr, json_stringn(list, n));
		list += n + (list[n] == ',');
	}
	return arr;
}

static json_t *mounts_json(bool hard)
{
	json_t *mounts = json_array();

	for (size_t i = 0; i < sizeof(default_mounts) / sizeof(default_mounts[0]); i++) {
		const struct default_mount *m = &default_mounts[i];
		json_t *o, *opts;

		if (m->hardened_only && !hard)
			continue;
		opts = add_list(json_array(), m->options);
		if (hard)
			add_list(opts, m->hardening);
		o = json_pack("{s:s, s:s, s:s}", "destination", m->destination, "type", m->type,
			      "source", m->source);
		/* runc writes no "options" for /proc rather than an empty list */
		if (json_array_size(opts))
			json_object_set(o, "options", opts);
		json_decref(opts);
		json_array_append_new(mounts, o);
	}
	return mounts;
}

json_t *bh_rt_spec_defaults(enum bh_rt_spec_variant variant)
{
	bool hard = variant == BH_RT_SPEC_HARDENED;
	json_t *caps = add_list(json_array(), hard ? HARDENED_CAPS : RUNC_CAPS);
	json_t *capabilities, *lin, *spec;

	capabilities = json_pack("{s:O, s:O, s:O}", "bounding", caps, "effective", caps,
				 "permitted", caps);
	if (hard)
		json_object_set_new(capabilities, "ambient", json_array());
	spec = json_pack("{s:s,"
			 " s:{s:b, s:{s:i, s:i}, s:[s], s:[ss], s:s, s:o,"
			 "    s:[{s:s, s:i, s:i}], s:b},"
			 " s:{s:s, s:b}, s:s, s:o}",
			 "ociVersion", hard ? BH_RT_OCI_VERSION : "1.0.2",
			 /* process */
			 "process", "terminal", 0, "user", "uid", 0, "gid", 0, "args", "sh", "env",
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 "TERM=xterm", "cwd", "/", "capabilities", capabilities, "rlimits", "type",
			 "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1,
			 /* root, hostname, mounts */
			 "root", "path", "rootfs", "readonly", hard, "hostname", "bulkhead",
			 "mounts", mounts_json(hard));
	json_decref(caps);
	if (!spec)
		return NULL;
	if (hard)
		json_object_set_new(spec, "annotations",
				    json_pack("{s:s, s:s}", "org.bulkhead.mounts", "deny",
					      "org.bulkhead.comment",
					      "no seccomp section: the bulkhead default "
					      "profile applies"));
	lin = json_pack("{s:{s:[{s:b, s:s}]},"
			" s:[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}],"
			" s:o, s:o}",
			"resources", "devices", "allow", 0, "access", "rwm",
			/* namespaces */
			"namespaces", "type", "pid", "type", "network", "type", "ipc", "type",
			"uts", "type", "mount", "type", "cgroup",
			/* paths */
			"maskedPaths",
			add_list(json_array(), hard ? HARDENED_MASKED_PATHS : RUNC_MASKED_PATHS),
			"readonlyPaths", add_list(json_array(), READONLY_PATHS));
	if (!lin) {
		json_decref(spec);
		return NULL;
	}
	if (hard)
		json_object_set_new(json_object_get(lin, "resources"), "pids",
				    json_pack("{s:i}", "limit", 4096));
	json_object_set_new(spec, "linux", lin);
	return spec;
}

json_t *bh_rt_default_spec(void)
{
	return bh_rt_spec_defaults(BH_RT_SPEC_HARDENED);
}

/* Comma-separated, from a NULL-terminated list. */
static void join_list(struct bh_buf *b, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		bh_buf_addf(b, NULL, "%s%s", i ? "," : "", list[i]);
}

/*
 * What no config lifts, said in the features document (annotations are strings): the
 * mandatory paths, the mount namespace, and exactly what a privileged config (podman and
 * docker --privileged: every capability, every host device, no seccomp profile, no masked
 * or read-only path, /sys read-write) lifts under bulkhead and what it does not.
 */
static void features_hardening(json_t *ann)
{
	struct bh_buf masked = BH_BUF_INIT(4096), ro = BH_BUF_INIT(4096);

	join_list(&masked, rt_mandatory_masked);
	join_list(&ro, rt_mandatory_readonly);
	json_object_set_new(ann, "org.bulkhead.masked-paths", json_string(masked.data));
	json_object_set_new(ann, "org.bulkhead.readonly-paths", json_string(ro.data));
	json_object_set_new(ann, "org.bulkhead.namespaces.mount",
			    json_string("required: a config whose linux.namespaces has no "
					"\"mount\" is refused (exit 3)"));
	json_object_set_new(
		ann, "org.bulkhead.privileged.lifts",
		json_string("what the config says, as runc and crun apply it: "
			    "process.capabilities (every one the kernel and the runtime have), "
			    "linux.devices (the host's device nodes) and linux.resources.devices "
			    "(allow all), linux.maskedPaths and linux.readonlyPaths beyond the "
			    "mandatory ones (none), /sys and /sys/fs/cgroup read-write, "
			    "process.noNewPrivileges off; bind mounts of host paths are made as "
			    "listed"));
	json_object_set_new(
		ann, "org.bulkhead.privileged.keeps",
		json_string(
			"the deny-list (org.bulkhead.denylist), in every seccomp profile; the "
			"mount family (mount, umount2, the new mount API, pivot_root) denied, or "
			"supervised with org.bulkhead.mounts=supervised, whatever the "
			"capabilities; without linux.seccomp (as --privileged gives) "
			"bulkhead's default allow-list, not unconfined: unshare, setns and the "
			"namespace flags of clone, ptrace, process_vm_*, io_uring and the rest it "
			"leaves out stay denied; the mandatory masked paths "
			"(org.bulkhead.masked-paths) and read-only paths "
			"(org.bulkhead.readonly-paths); a mount namespace of its own; sysctls "
			"only of the container's own namespaces; the runtime re-executed from a "
			"sealed memfd"));
	bh_buf_release(&masked);
	bh_buf_release(&ro);
}

json_t *bh_rt_features(void)
{
	/* clang-format off */
	static const char *const mopts[] = {
		"async", "atime", "bind", "defaults", "dev", "diratime",
		"dirsync", "exec", "idmap", "mand", "noatime", "nodev",
		"nodiratime", "noexec", "nomand", "norelatime", "nostrictatime", "nosuid",
		"nosymfollow", "private", "rbind", "relatime", "remount", "ridmap",
		"ro", "rprivate", "rro", "rrw", "rshared", "rslave",
		"runbindable", "rw", "shared", "slave", "strictatime", "suid",
		"symfollow", "sync", "tmpcopyup", "unbindable",
		NULL,
	};
	/* clang-format on */
	json_t *caps = json_array(), *mo = json_array(), *f;
	struct bh_buf deny = BH_BUF_INIT(4096);
	char abi[16];
	const struct scmp_version *v = seccomp_version();
	char ver[32];

	for (int c = 0; c < BH_NCAPS; c++)
		if (rt_caps_known_mask() & (1ULL << c))
			json_array_append_new(caps, json_string(bh_cap_name(c)));
	for (size_t i = 0; mopts[i]; i++)
		json_array_append_new(mo, json_string(mopts[i]));
	for (size_t i = 0; bh_rt_deny_list[i]; i++)
		bh_buf_addf(&deny, NULL, "%s%s", i ? "," : "", bh_rt_deny_list[i]);
	snprintf(abi, sizeof(abi), "%d", rt_landlock_abi());
	snprintf(ver, sizeof(ver), "%u.%u.%u", v->major, v->minor, v->micro);
	f = json_pack("{s:s, s:s, s:[ssssss], s:o,"
		      " s:{s:[ssssssss], s:o, s:{s:b, s:b, s:b, s:b, s:b},"
		      "    s:{s:b, s:[sssssssss], s:[sssssss], s:[sss], s:[ssss], s:[sss]},"
		      "    s:{s:b}, s:{s:b}, s:{s:b}, s:{s:{s:b}}},"
		      " s:{s:s, s:s, s:s, s:s, s:s}}",
		      "ociVersionMin", "1.0.0", "ociVersionMax", BH_RT_OCI_VERSION, "hooks",
		      "prestart", "createRuntime", "createContainer", "startContainer", "poststart",
		      "poststop", "mountOptions", mo,
		      /* linux */
		      "linux", "namespaces", "cgroup", "ipc", "mount", "network", "pid", "user",
		      "uts", "time", "capabilities", caps, "cgroup", "v1", 1, "v2", 1, "systemd", 0,
		      "systemdUser", 0, "rdma", 0,
		      /**/
		      "seccomp", "enabled", 1, "actions", "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",
		      "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
		      "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
		      "operators", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
		      "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", "archs", "SCMP_ARCH_X86",
		      "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "knownFlags",
		      "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
		      "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
		      "supportedFlags", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
		      "SECCOMP_FILTER_FLAG_NEW_LISTENER",
		      /**/
		      "apparmor", "enabled", 0, "selinux", "enabled", 0, "intelRdt", "enabled", 0,
		      "mountExtensions", "idmap", "enabled", 1,
		      /* annotations */
		      "annotations", "io.github.seccomp.libseccomp.version", ver,
		      "org.bulkhead.seccomp.default",
		      "share/seccomp/default.json (bulkhead spec --seccomp)",
		      "org.bulkhead.denylist", deny.data, "org.bulkhead.mounts",
		      "deny (default) or supervised (seccomp user notification)",
		      "org.bulkhead.landlock.abi", abi);
	bh_buf_release(&deny);
	if (f)
		features_hardening(json_object_get(f, "annotations"));
	return f;
}
