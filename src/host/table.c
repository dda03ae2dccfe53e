/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The checks of `bench host`: one table of rows, each evaluated by the
 * function of its kind (a sysctl, a file's owner and mode, an audit watch, a
 * daemon.json member, or a check of its own), and the run over it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_int.h"
#include "banned.h"

/* ---- the table ---------------------------------------------------------------------------- */

#define N_KERN "4.5.2" /* shared kernel */
#define N_SURF "4.5.1" /* large attack surface */
#define N_COMP "4.5.3" /* host OS component vulnerabilities */
#define N_ACC  "4.5.4" /* improper user access rights */
#define N_FS   "4.5.5" /* host file system tampering */
#define N_RT   "4.4.3" /* insecure container runtime configurations */
#define N_RTV  "4.4.1" /* vulnerabilities within the runtime software */

#define SYSCTL(ID, LVL, PATH, OP, WANT, TITLE, REM)                                                \
	{                                                                                          \
		ID, NULL, N_KERN, LVL, TITLE, OP == '=' ? #WANT : "at least " #WANT, REM,          \
			host_eval_sysctl, { PATH }, OP, WANT, 0                                    \
	}
#define AUDIT(ID, CIS, LVL, TITLE, P0, P1)                                                         \
	{                                                                                          \
		ID, CIS, N_ACC, LVL, "audit " TITLE, "a -w rule in /etc/audit/rules.d",            \
			"add '-w /" P0                                                             \
			" -k docker' to /etc/audit/rules.d/docker.rules; augenrules --load",       \
			host_eval_audit, { P0, P1 }, 0, 0, 0                                       \
	}
#define FILEM(ID, CIS, TITLE, MODE, MODES, P0, P1, P2)                                             \
	{                                                                                          \
		ID, CIS, N_ACC, 1, TITLE " owned by root, mode " MODES " or stricter",             \
			"uid 0, mode " MODES " or stricter",                                       \
			"chown root " P0 "; chmod " MODES " " P0, host_eval_file, { P0, P1, P2 },  \
			0, MODE, 0                                                                 \
	}
#define DOCKER(ID, CIS, LVL, WHAT, TITLE, EXP, REM)                                                \
	{                                                                                          \
		ID, CIS, N_RT, LVL, TITLE, EXP, REM, host_eval_docker, { NULL }, 0, 0, WHAT        \
	}

static const struct check checks[] = {
	SYSCTL("BH-HOST-001", 1, "proc/sys/kernel/kptr_restrict", '>', 1,
	       "kernel.kptr_restrict hides kernel pointers",
	       "sysctl -w kernel.kptr_restrict=1 and set it in /etc/sysctl.d/"),
	SYSCTL("BH-HOST-002", 1, "proc/sys/kernel/dmesg_restrict", '=', 1,
	       "kernel.dmesg_restrict limits the kernel log to CAP_SYSLOG",
	       "sysctl -w kernel.dmesg_restrict=1 and set it in /etc/sysctl.d/"),
	SYSCTL("BH-HOST-003", 1, "proc/sys/kernel/unprivileged_bpf_disabled", '>', 1,
	       "kernel.unprivileged_bpf_disabled refuses bpf(2) to unprivileged users",
	       "sysctl -w kernel.unprivileged_bpf_disabled=2 (1 cannot be undone without a "
	       "reboot)"),
	{ "BH-HOST-004",
	  NULL,
	  N_KERN,
	  2,
	  "unprivileged user namespaces are off",
	  "kernel.unprivileged_userns_clone = 0, else user.max_user_namespaces = 0",
	  "sysctl -w kernel.unprivileged_userns_clone=0 (rootless engines need them: decide)",
	  host_eval_userns,
	  { NULL },
	  0,
	  0,
	  0 },
	SYSCTL("BH-HOST-005", 1, "proc/sys/kernel/yama/ptrace_scope", '>', 1,
	       "kernel.yama.ptrace_scope restricts ptrace to descendants",
	       "sysctl -w kernel.yama.ptrace_scope=1 (a kernel without Yama: enable it)"),
	SYSCTL("BH-HOST-006", 1, "proc/sys/fs/protected_symlinks", '=', 1, "fs.protected_symlinks",
	       "sysctl -w fs.protected_symlinks=1"),
	SYSCTL("BH-HOST-007", 1, "proc/sys/fs/protected_hardlinks", '=', 1,
	       "fs.protected_hardlinks", "sysctl -w fs.protected_hardlinks=1"),
	SYSCTL("BH-HOST-008", 2, "proc/sys/fs/protected_fifos", '>', 1, "fs.protected_fifos",
	       "sysctl -w fs.protected_fifos=1"),
	SYSCTL("BH-HOST-009", 2, "proc/sys/fs/protected_regular", '>', 1, "fs.protected_regular",
	       "sysctl -w fs.protected_regular=1"),
	{ "BH-HOST-010",
	  NULL,
	  N_KERN,
	  1,
	  "a mandatory access control LSM is active",
	  "apparmor, selinux, smack or tomoyo in /sys/kernel/security/lsm",
	  "boot with AppArmor or SELinux enabled (lsm= on the kernel command line)",
	  host_eval_lsm,
	  { NULL },
	  0,
	  0,
	  0 },
	{ "BH-HOST-011",
	  NULL,
	  N_FS,
	  2,
	  "/usr is mounted read-only",
	  "the mount holding /usr has the ro option",
	  "mount /usr read-only (a separate ro partition, or an immutable OS image)",
	  host_eval_usr_ro,
	  { NULL },
	  0,
	  0,
	  0 },
	{ "BH-HOST-012",
	  "1.1.1",
	  N_FS,
	  1,
	  "container storage is on a separate partition",
	  "/var/lib/docker and /var/lib/containers each on a mount other than /",
	  "create a partition (or logical volume) for /var/lib/docker and /var/lib/containers",
	  host_eval_storage_part,
	  { NULL },
	  0,
	  0,
	  0 },
	{ "BH-HOST-013",
	  NULL,
	  N_ACC,
	  1,
	  "the clock is synchronised",
	  "chrony or ntp enabled with a source, or systemd-timesyncd enabled",
	  "apt-get install chrony (or systemctl enable --now systemd-timesyncd)",
	  host_eval_timesync,
	  { NULL },
	  0,
	  0,
	  0 },
	{ "BH-HOST-014",
	  NULL,
	  N_COMP,
	  1,
	  "security updates are installed automatically",
	  "APT::Periodic::Unattended-Upgrade \"1\" with unattended-upgrades, or dnf-automatic",
	  "apt-get install unattended-upgrades; dpkg-reconfigure -plow unattended-upgrades",
	  host_eval_autoupdate,
	  { NULL },
	  0,
	  0,
	  0 },
	{ "BH-HOST-015",
	  "1.2.1",
	  N_SURF,
	  2,
	  "the host OS is minimal or container-specific",
	  "a container OS, or at most 400 packages",
	  "remove packages the containers do not need, or move to a container-specific OS",
	  host_eval_minimal,
	  { NULL },
	  0,
	  0,
	  0 },

	{ "BH-HOST-016",
	  NULL,
	  N_COMP,
	  1,
	  "no security update is pending",
	  "no OS package with a vulnerability an update fixes (the advisory store)",
	  "apt-get update && apt-get upgrade (or apk upgrade); keep the advisory database "
	  "current with bulkhead db update",
	  host_eval_pending,
	  { NULL },
	  0,
	  0,
	  0 },

	AUDIT("BH-HOST-101", "1.1.3", 1, "the docker daemon", "usr/bin/dockerd",
	      "usr/sbin/dockerd"),
	AUDIT("BH-HOST-102", "1.1.4", 2, "/run/containerd", "run/containerd", NULL),
	AUDIT("BH-HOST-103", "1.1.5", 2, "/var/lib/docker", "var/lib/docker", NULL),
	AUDIT("BH-HOST-104", "1.1.6", 2, "/etc/docker", "etc/docker", NULL),
	AUDIT("BH-HOST-105", "1.1.7", 2, "docker.service", "lib/systemd/system/docker.service",
	      "usr/lib/systemd/system/docker.service"),
	AUDIT("BH-HOST-106", "1.1.8", 2, "containerd.sock", "run/containerd/containerd.sock", NULL),
	AUDIT("BH-HOST-107", "1.1.9", 2, "docker.socket", "lib/systemd/system/docker.socket",
	      "usr/lib/systemd/system/docker.socket"),
	AUDIT("BH-HOST-108", "1.1.10", 2, "/etc/default/docker", "etc/default/docker", NULL),
	AUDIT("BH-HOST-109", "1.1.11", 2, "/etc/docker/daemon.json", "etc/docker/daemon.json",
	      NULL),
	AUDIT("BH-HOST-110", "1.1.12", 2, "/etc/containerd/config.toml",
	      "etc/containerd/config.toml", NULL),
	AUDIT("BH-HOST-111", "1.1.13", 2, "/etc/sysconfig/docker", "etc/sysconfig/docker", NULL),
	AUDIT("BH-HOST-112", "1.1.14", 2, "/usr/bin/containerd", "usr/bin/containerd", NULL),
	AUDIT("BH-HOST-113", "1.1.15", 2, "/usr/bin/containerd-shim", "usr/bin/containerd-shim",
	      NULL),
	AUDIT("BH-HOST-114", "1.1.16", 2, "containerd-shim-runc-v1",
	      "usr/bin/containerd-shim-runc-v1", NULL),
	AUDIT("BH-HOST-115", "1.1.17", 2, "containerd-shim-runc-v2",
	      "usr/bin/containerd-shim-runc-v2", NULL),
	AUDIT("BH-HOST-116", "1.1.18", 2, "/usr/bin/runc", "usr/bin/runc", "usr/sbin/runc"),
	AUDIT("BH-HOST-117", NULL, 2, "/etc/bulkhead", "etc/bulkhead", NULL),
	AUDIT("BH-HOST-118", NULL, 2, "/etc/containers", "etc/containers", NULL),

	DOCKER("BH-ENGINE-001", "2.7", 1, DK_TLS, "TLS verification on the daemon's tcp sockets",
	       "no tcp:// host, or tlsverify true",
	       "set tlsverify, tlscacert, tlscert and tlskey in daemon.json, or remove tcp hosts"),
	DOCKER("BH-ENGINE-002", "2.9", 2, DK_USERNS, "user namespace remapping", "userns-remap set",
	       "set \"userns-remap\": \"default\" in daemon.json"),
	DOCKER("BH-ENGINE-003", "2.14", 1, DK_LIVE_RESTORE, "live restore", "live-restore true",
	       "set \"live-restore\": true in daemon.json"),
	DOCKER("BH-ENGINE-004", "2.5", 1, DK_INSECURE, "no insecure registries",
	       "insecure-registries empty", "remove insecure-registries from daemon.json"),
	DOCKER("BH-ENGINE-005", "2.8", 1, DK_ULIMITS, "default ulimits", "default-ulimits set",
	       "set \"default-ulimits\" (nofile, nproc) in daemon.json"),
	DOCKER("BH-ENGINE-006", "2.13", 2, DK_LOG_DRIVER, "centralised logging",
	       "log-driver other than json-file and none",
	       "set \"log-driver\" (syslog, journald, fluentd, ...) in daemon.json"),
	DOCKER("BH-ENGINE-007", "2.18", 2, DK_NNP, "no-new-privileges by default",
	       "no-new-privileges true", "set \"no-new-privileges\": true in daemon.json"),
	DOCKER("BH-ENGINE-008", "2.2", 1, DK_ICC,
	       "no traffic between containers on the default bridge", "icc false",
	       "set \"icc\": false in daemon.json"),
	DOCKER("BH-ENGINE-009", "2.15", 1, DK_USERLAND_PROXY, "the userland proxy is off",
	       "userland-proxy false", "set \"userland-proxy\": false in daemon.json"),
	DOCKER("BH-ENGINE-010", "2.17", 1, DK_EXPERIMENTAL, "no experimental features",
	       "experimental not true", "remove \"experimental\": true from daemon.json"),
	DOCKER("BH-ENGINE-011", "2.16", 1, DK_SECCOMP, "a seccomp profile by default",
	       "seccomp-profile not unconfined",
	       "remove \"seccomp-profile\": \"unconfined\" from daemon.json"),
	{ "BH-ENGINE-020",
	  NULL,
	  N_RT,
	  1,
	  "TLS on containerd's tcp socket",
	  "no [grpc] tcp_address, or tcp_tls_cert set",
	  "remove tcp_address from [grpc] in config.toml, or set tcp_tls_cert/tcp_tls_key",
	  host_eval_toml,
	  { "etc/containerd/config.toml" },
	  0,
	  0,
	  TOML_CONTAINERD_TCP },
	{ "BH-ENGINE-030",
	  NULL,
	  N_RT,
	  1,
	  "podman: a seccomp profile by default",
	  "[containers] seccomp_profile not unconfined",
	  "remove seccomp_profile = \"unconfined\" from containers.conf",
	  host_eval_toml,
	  { "etc/containers/containers.conf" },
	  0,
	  0,
	  TOML_CTRS_SECCOMP },
	{ "BH-ENGINE-031",
	  NULL,
	  N_RT,
	  2,
	  "podman: containers in a user namespace by default",
	  "[containers] userns set, not host",
	  "set userns = \"auto\" in containers.conf",
	  host_eval_toml,
	  { "etc/containers/containers.conf" },
	  0,
	  0,
	  TOML_CTRS_USERNS },

	FILEM("BH-ENGINE-101", "3.1, 3.2", "docker.service", 0644, "0644",
	      "lib/systemd/system/docker.service", "usr/lib/systemd/system/docker.service",
	      "etc/systemd/system/docker.service"),
	FILEM("BH-ENGINE-102", "3.3, 3.4", "docker.socket", 0644, "0644",
	      "lib/systemd/system/docker.socket", "usr/lib/systemd/system/docker.socket",
	      "etc/systemd/system/docker.socket"),
	FILEM("BH-ENGINE-103", "3.5, 3.6", "/etc/docker", 0755, "0755", "etc/docker", NULL, NULL),
	FILEM("BH-ENGINE-104", "3.15, 3.16", "the docker socket", 0660, "0660", "run/docker.sock",
	      "var/run/docker.sock", NULL),
	FILEM("BH-ENGINE-105", "3.17, 3.18", "daemon.json", 0644, "0644", "etc/docker/daemon.json",
	      NULL, NULL),
	FILEM("BH-ENGINE-106", "3.19, 3.20", "/etc/default/docker", 0644, "0644",
	      "etc/default/docker", NULL, NULL),
	FILEM("BH-ENGINE-107", NULL, "containerd's socket", 0660, "0660",
	      "run/containerd/containerd.sock", NULL, NULL),
	FILEM("BH-ENGINE-108", NULL, "containerd's config.toml", 0644, "0644",
	      "etc/containerd/config.toml", NULL, NULL),
	FILEM("BH-ENGINE-109", NULL, "containers.conf", 0644, "0644",
	      "etc/containers/containers.conf", NULL, NULL),
	FILEM("BH-ENGINE-110", NULL, "podman's socket", 0660, "0660", "run/podman/podman.sock",
	      NULL, NULL),
	FILEM("BH-ENGINE-111", NULL, "/etc/bulkhead", 0755, "0755", "etc/bulkhead", NULL, NULL),
	FILEM("BH-ENGINE-112", NULL, "bulkhead's policy directory", 0755, "0755",
	      "etc/bulkhead/policy.d", NULL, NULL),
};

void bh_host_report_free(struct bh_host_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].actual);
		free(r->v[i].target);
	}
	free(r->v);
	free(r->root);
	free(r);
}

bool bh_host_report_failed(const struct bh_host_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].status == BH_HOST_FAIL)
			return true;
	return false;
}

int bh_host_bench(const struct bh_host_opts *opts, struct bh_host_report **out,
		  struct bh_error **err)
{
	const char *root = opts && opts->root ? opts->root : "/";
	int level = opts && opts->level ? opts->level : 2;
	struct hctx c = { .rootfd = -1 };
	struct timespec ts;

	*out = NULL;
	if (level < 1 || level > 2)
		return bh_error_set(err, BH_ERR_USAGE, "level %d: not 1 or 2", level);
	c.db = opts ? opts->db : NULL;
	c.rootfd = bh_root_open(root, err);
	if (c.rootfd < 0)
		return bh_error_prefix(err, "bench root %s", root);
	c.r = bh_calloc(1, sizeof(*c.r));
	c.r->root = bh_strdup(root);
	clock_gettime(CLOCK_REALTIME, &ts);
	c.r->start = ts.tv_sec;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (opts && opts->stop && atomic_load(opts->stop)) {
			host_ctx_release(&c);
			close(c.rootfd);
			bh_host_report_free(c.r);
			return bh_error_set(err, BH_ERR_USAGE, "bench: stopped");
		}
		if (checks[i].level <= level)
			checks[i].eval(&c, &checks[i]);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	c.r->end = ts.tv_sec;
	host_ctx_release(&c);
	close(c.rootfd);
	*out = c.r;
	return 0;
}
