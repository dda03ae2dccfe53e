/* SPDX-License-Identifier: Apache-2.0 */
/* The hardened default config.json (`bulkhead spec`) and the features document. */
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

json_t *bh_rt_default_spec(void)
{
	json_t *spec,
		*caps = json_pack("[sssssss]", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
				  "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETGID");

	json_array_append_new(caps, json_string("CAP_SETUID"));
	spec = json_pack("{s:s,"
			 " s:{s:b, s:{s:i, s:i}, s:[s], s:[ss], s:s,"
			 "    s:{s:O, s:O, s:O, s:[]},"
			 "    s:[{s:s, s:i, s:i}], s:b},"
			 " s:{s:s, s:b}, s:s,"
			 " s:[{s:s, s:s, s:s, s:[sss]},"
			 "    {s:s, s:s, s:s, s:[sssss]},"
			 "    {s:s, s:s, s:s, s:[ssssss]},"
			 "    {s:s, s:s, s:s, s:[sssss]},"
			 "    {s:s, s:s, s:s, s:[sss]},"
			 "    {s:s, s:s, s:s, s:[ssss]},"
			 "    {s:s, s:s, s:s, s:[sssss]},"
			 "    {s:s, s:s, s:s, s:[sss]},"
			 "    {s:s, s:s, s:s, s:[sss]}],"
			 " s:{s:s, s:s},"
			 " s:{s:{s:[{s:b, s:s}], s:{s:i}},"
			 "    s:[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}],"
			 "    s:[sssssssssss], s:[sssss]}}",
			 "ociVersion", BH_RT_OCI_VERSION,
			 /* process */
			 "process", "terminal", 0, "user", "uid", 0, "gid", 0, "args", "sh", "env",
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 "TERM=xterm", "cwd", "/", "capabilities", "bounding", caps, "effective",
			 caps, "permitted", caps, "ambient", "rlimits", "type", "RLIMIT_NOFILE",
			 "hard", 1024, "soft", 1024, "noNewPrivileges", 1,
			 /* root */
			 "root", "path", "rootfs", "readonly", 1, "hostname", "bulkhead",
			 /* mounts */
			 "mounts", "destination", "/proc", "type", "proc", "source", "proc",
			 "options", "nosuid", "noexec", "nodev",
			 /**/
			 "destination", "/dev", "type", "tmpfs", "source", "tmpfs", "options",
			 "nosuid", "strictatime", "mode=755", "size=65536k", "noexec",
			 /**/
			 "destination", "/dev/pts", "type", "devpts", "source", "devpts", "options",
			 "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5",
			 /**/
			 "destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options",
			 "nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
			 /**/
			 "destination", "/dev/mqueue", "type", "mqueue", "source", "mqueue",
			 "options", "nosuid", "noexec", "nodev",
			 /**/
			 "destination", "/sys", "type", "sysfs", "source", "sysfs", "options",
			 "nosuid", "noexec", "nodev", "ro",
			 /**/
			 "destination", "/sys/fs/cgroup", "type", "cgroup", "source", "cgroup",
			 "options", "nosuid", "noexec", "nodev", "relatime", "ro",
			 /**/
			 "destination", "/tmp", "type", "tmpfs", "source", "tmpfs", "options",
			 "nosuid", "nodev", "mode=1777",
			 /**/
			 "destination", "/run", "type", "tmpfs", "source", "tmpfs", "options",
			 "nosuid", "nodev", "mode=755",
			 /* annotations */
			 "annotations", "org.bulkhead.mounts", "deny", "org.bulkhead.comment",
			 "no seccomp section: the bulkhead default profile applies",
			 /* linux */
			 "linux", "resources", "devices", "allow", 0, "access", "rwm", "pids",
			 "limit", 4096, "namespaces", "type", "pid", "type", "network", "type",
			 "ipc", "type", "uts", "type", "mount", "type", "cgroup",
			 /**/
			 "maskedPaths", "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
			 "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
			 "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/kernel/security",
			 /**/
			 "readonlyPaths", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
			 "/proc/sysrq-trigger");
	json_decref(caps);
	return spec;
}

json_t *bh_rt_features(void)
{
	static const char *const mopts[] = {
		"async",       "atime",	   "bind",	 "defaults",   "dev",		"diratime",
		"dirsync",     "exec",	   "idmap",	 "mand",       "noatime",	"nodev",
		"nodiratime",  "noexec",   "nomand",	 "norelatime", "nostrictatime", "nosuid",
		"nosymfollow", "private",  "rbind",	 "relatime",   "remount",	"ridmap",
		"ro",	       "rprivate", "rro",	 "rrw",	       "rshared",	"rslave",
		"runbindable", "rw",	   "shared",	 "slave",      "strictatime",	"suid",
		"symfollow",   "sync",	   "unbindable", NULL,
	};
	json_t *caps = json_array(), *mo = json_array(), *f;
	struct bh_buf deny = BH_BUF_INIT(4096);
	char abi[16];
	const struct scmp_version *v = seccomp_version();
	char ver[32];

	for (int c = 0; c < RT_NCAPS; c++)
		if (rt_caps_known_mask() & (1ULL << c))
			json_array_append_new(caps, json_string(rt_cap_name(c)));
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
	return f;
}
