/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Each default monitor rule (rules/monitor/default.yaml) matched by an
 * event of its scenario and not by a near miss; every rule tagged with its
 * NIST SP 800-190 section and a MITRE technique; benign events raise nothing.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/rules.h"
#include "monitor/users.h"
#include "monitor/bpf/events.h"
#include "rules_unit.h"

static struct bh_mon_event *exec_ev(const char *comm, bool container)
{
	struct bh_mon_event *ev = ev_new(BH_MON_EXECVE);

	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "%s", comm);
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/bin/%s", comm);
	if (container)
		in_container(ev);
	return ev;
}

static struct bh_mon_event *open_ev(const char *path, int flags, bool container)
{
	struct bh_mon_event *ev = ev_new(BH_MON_OPENAT);

	snprintf(ev->file.path, sizeof(ev->file.path), "%s", path);
	ev->file.flags = (uint32_t)flags;
	ev->res = 3;
	if (container)
		in_container(ev);
	return ev;
}

static void every_default_rule_has_nist_and_mitre_tags(void **state)
{
	size_t n = bh_rules_count(defaults);

	assert_true(n >= 16);
	for (size_t i = 0; i < n; i++) {
		const struct bh_rules_rule *r = bh_rules_get(defaults, i);
		bool nist = false, mitre = false;

		for (char **t = r->tags; *t; t++) {
			nist |= bh_str_has_prefix(*t, "NIST_800-190_4.");
			mitre |= bh_str_has_prefix(*t, "mitre_");
		}
		if (!nist || !mitre)
			fail_msg("rule '%s' lacks a NIST SP 800-190 or a MITRE tag", r->name);
	}
}

static void default_terminal_shell(void **state)
{
	struct bh_mon_event *ev = exec_ev("bash", true);

	ev->proc.tty = 34816;
	assert_true(fires(ev, "Terminal shell in container"));
	ev->proc.tty = 0; /* an entrypoint script: no terminal */
	assert_false(fires(ev, "Terminal shell in container"));
	ev->proc.tty = 34816;
	memset(&ev->container, 0, sizeof(ev->container)); /* on the host */
	assert_false(fires(ev, "Terminal shell in container"));
	free(ev);
}

static void default_sensitive_read(void **state)
{
	struct bh_mon_event *ev = open_ev("/etc/shadow", O_RDONLY, true);

	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "cat");
	assert_true(fires(ev, "Read sensitive file"));
	snprintf(ev->file.path, sizeof(ev->file.path),
		 "/var/run/secrets/kubernetes.io/serviceaccount/token");
	assert_true(fires(ev, "Read sensitive file"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/home/u/.ssh/id_ed25519");
	assert_true(fires(ev, "Read sensitive file"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/etc/passwd"); /* near miss */
	assert_false(fires(ev, "Read sensitive file"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/etc/shadow");
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "unix_chkpwd"); /* allowed reader */
	assert_false(fires(ev, "Read sensitive file"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "cat");
	ev->res = -13; /* EACCES: not opened */
	assert_false(fires(ev, "Read sensitive file"));
	free(ev);
}

static void default_write_below_bin_and_etc(void **state)
{
	struct bh_mon_event *ev = open_ev("/usr/bin/ls", O_WRONLY | O_CREAT | O_TRUNC, true);

	assert_true(fires(ev, "Write below binary dir"));
	assert_false(fires(ev, "Write below etc"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "dpkg"); /* a package manager */
	assert_false(fires(ev, "Write below binary dir"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "sh");
	snprintf(ev->file.path, sizeof(ev->file.path), "/etc/crontab");
	assert_true(fires(ev, "Write below etc"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/usr/binaries/x"); /* not below /usr/bin */
	assert_false(fires(ev, "Write below binary dir"));
	/* python's bytecode cache (seen in a debian container with a writable root) */
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "python3");
	snprintf(ev->file.path, sizeof(ev->file.path),
		 "/usr/lib/python3.11/__pycache__/types.cpython-311.pyc.140552804326448");
	assert_false(fires(ev, "Write below binary dir"));
	snprintf(ev->file.path, sizeof(ev->file.path),
		 "/usr/lib/python3.11/types.py"); /* a module */
	assert_true(fires(ev, "Write below binary dir"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "sh"); /* not python */
	snprintf(ev->file.path, sizeof(ev->file.path),
		 "/usr/lib/python3.11/__pycache__/types.cpython-311.pyc");
	assert_true(fires(ev, "Write below binary dir"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "sh");
	snprintf(ev->file.path, sizeof(ev->file.path), "/etcetera");
	assert_false(fires(ev, "Write below etc"));
	ev->file.flags = O_RDONLY; /* reading is fine */
	snprintf(ev->file.path, sizeof(ev->file.path), "/usr/bin/ls");
	assert_false(fires(ev, "Write below binary dir"));
	free(ev);
}

static void default_drop_and_execute(void **state)
{
	struct bh_mon_event *ev = exec_ev("payload", true);

	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/tmp/payload");
	ev->proc.exe_upper_layer = true;
	assert_true(fires(ev, "Drop and execute new binary in container"));
	ev->proc.exe_upper_layer = false; /* from the image */
	assert_false(fires(ev, "Drop and execute new binary in container"));
	free(ev);
}

static void default_fileless_memfd(void **state)
{
	struct bh_mon_event *ev = exec_ev("3", true);

	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "memfd:x (deleted)");
	ev->proc.exe_from_memfd = true;
	assert_true(fires(ev, "Fileless execution via memfd"));
	ev->proc.exe_from_memfd = false;
	assert_false(fires(ev, "Fileless execution via memfd"));
	free(ev);
	/* bulkhead's runtime re-executing itself from its sealed memfd, on the host:
	 * excepted; the same name inside a container is not */
	ev = exec_ev("memfd:bulkhead", false);
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "memfd:bulkhead (deleted)");
	ev->proc.exe_from_memfd = true;
	assert_false(fires(ev, "Fileless execution via memfd"));
	free(ev);
	ev = exec_ev("memfd:bulkhead", true);
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "memfd:bulkhead (deleted)");
	ev->proc.exe_from_memfd = true;
	assert_true(fires(ev, "Fileless execution via memfd"));
	free(ev);
}

static void default_release_agent(void **state)
{
	struct bh_mon_event *ev = open_ev("/tmp/cg/release_agent", O_WRONLY | O_TRUNC, true);

	assert_true(fires(ev, "Cgroup release_agent escape attempt"));
	ev->file.flags = O_RDONLY; /* reading it */
	assert_false(fires(ev, "Cgroup release_agent escape attempt"));
	free(ev);
}

static void default_k8s_api(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_CONNECT);

	in_container(ev);
	set_net(ev, "10.244.0.5", 40000, "10.96.0.1", 443);
	assert_true(fires(ev, "Contact K8S API server from container"));
	set_net(ev, "10.244.0.5", 40000, "192.168.1.10", 6443);
	assert_true(fires(ev, "Contact K8S API server from container"));
	snprintf(ev->container.pod_namespace, sizeof(ev->container.pod_namespace), "kube-system");
	assert_false(fires(ev, "Contact K8S API server from container"));
	memset(ev->container.pod_namespace, 0, sizeof(ev->container.pod_namespace));
	set_net(ev, "10.244.0.5", 40000, "10.96.0.2", 80); /* another service */
	assert_false(fires(ev, "Contact K8S API server from container"));
	free(ev);
}

static void default_mining_pool(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_CONNECT);

	set_net(ev, "10.0.0.2", 40000, "203.0.113.9", 3333);
	assert_true(fires(ev, "Outbound connection to mining pool port"));
	ev->res = -115; /* EINPROGRESS: a non-blocking connect */
	assert_true(fires(ev, "Outbound connection to mining pool port"));
	ev->res = 0;
	set_net(ev, "10.0.0.2", 40000, "203.0.113.9", 443);
	assert_false(fires(ev, "Outbound connection to mining pool port"));
	set_net(ev, "127.0.0.1", 40000, "127.0.0.1", 3333); /* a local service */
	assert_false(fires(ev, "Outbound connection to mining pool port"));
	free(ev);
}

/* A 32-bit socketcall connect whose arguments were unreadable at exit: its
 * peer unknown, still an outbound connect, reported by its own rule. */
static void default_unreadable_connect(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_CONNECT);

	ev->proc.compat = true;
	ev->args.unreadable = true;
	assert_true(fires(ev, "Outbound connection with unreadable arguments"));
	assert_false(fires(ev, "Outbound connection to mining pool port"));
	ev->res = -111; /* refused: no connection */
	assert_false(fires(ev, "Outbound connection with unreadable arguments"));
	ev->res = 0;
	ev->args.unreadable = false; /* a connect on a non-inet socket: nothing */
	assert_false(fires(ev, "Outbound connection with unreadable arguments"));
	set_net(ev, "10.0.0.2", 40000, "203.0.113.9", 443);
	assert_false(fires(ev, "Outbound connection with unreadable arguments"));
	free(ev);
}

static void default_reverse_shell(void **state)
{
	struct bh_mon_event *ev = exec_ev("sh", true);

	ev->proc.stdio[0] = ev->proc.stdio[1] = ev->proc.stdio[2] = BH_MON_FD_IPV4;
	assert_true(fires(ev, "Reverse shell"));
	ev->proc.stdio[0] = BH_MON_FD_PIPE; /* `echo | sh`, output still on the socket */
	assert_true(fires(ev, "Reverse shell"));
	ev->proc.stdio[1] = ev->proc.stdio[2] = BH_MON_FD_PIPE;
	assert_false(fires(ev, "Reverse shell"));
	ev->proc.stdio[0] = BH_MON_FD_UNIX; /* a local socket: an ssh session, a supervisor */
	assert_false(fires(ev, "Reverse shell"));
	free(ev);
}

static void default_package_manager(void **state)
{
	struct bh_mon_event *ev = exec_ev("apt-get", true);

	assert_true(fires(ev, "Package management process in container"));
	memset(&ev->container, 0, sizeof(ev->container)); /* on the host */
	assert_false(fires(ev, "Package management process in container"));
	free(ev);
}

static void default_ptrace_and_proc_mem(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_PTRACE);

	ev->args.request = 16; /* PTRACE_ATTACH */
	ev->args.target_pid = 77;
	assert_true(fires(ev, "PTRACE attached to process"));
	ev->args.request = 0x4206; /* PTRACE_SEIZE */
	assert_true(fires(ev, "PTRACE attached to process"));
	ev->args.request = 0; /* PTRACE_TRACEME: the tracee side */
	assert_false(fires(ev, "PTRACE attached to process"));
	free(ev);
	ev = open_ev("/proc/77/mem", O_RDONLY, true);
	assert_true(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/self/mem");
	assert_false(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/77/maps");
	assert_false(fires(ev, "Access another process's memory"));
	/* a container's /proc/self/mem as its proc mount names it: its namespace
	 * pid; the host's pid; a thread's; another process's */
	ev->proc.pid = 4242;
	ev->proc.tid = 4243;
	ev->proc.vpid = 7;
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/7/mem");
	assert_false(fires(ev, "Access another process's memory"));
	assert_true(cond_matches(
		"evt.type in (open, openat, openat2) and fd.is_self_proc = true and proc.vpid = 7",
		ev));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/4242/mem");
	assert_false(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/4243/mem");
	assert_false(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/thread-self/mem");
	assert_false(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/8/mem");
	assert_true(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/77x/mem");
	assert_false(
		cond_matches("evt.type in (open, openat, openat2) and fd.is_self_proc = true", ev));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/99999999999999999999/mem");
	assert_false(
		cond_matches("evt.type in (open, openat, openat2) and fd.is_self_proc = true", ev));
	free(ev);
}

static void default_mount_and_namespaces(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_MOUNT);

	in_container(ev);
	snprintf(ev->args.source, sizeof(ev->args.source), "/dev/sda1");
	snprintf(ev->file.path, sizeof(ev->file.path), "/mnt");
	ev->res = -1; /* EPERM: an attempt is enough */
	assert_true(fires(ev, "Mount in container"));
	/* a container's process that named itself runc's init (prctl(PR_SET_NAME)): its
	 * executable is not the host's (read in the kernel), so the name proves nothing */
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "runc:[2:INIT]");
	assert_true(fires(ev, "Mount in container"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "runc");
	assert_true(fires(ev, "Mount in container"));
	/* the host's executable with another name: not a runtime */
	ev->proc.exe_from_host = true;
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "sh");
	assert_true(fires(ev, "Mount in container"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "runc:[2:INIT]"); /* the runtime's setup */
	assert_false(fires(ev, "Mount in container"));
	/* runc's init re-executed as /proc/self/exe: named exe (seen live: monitor-rules-more) */
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "exe");
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/usr/sbin/runc");
	ev->proc.nancestors = 1;
	snprintf(ev->proc.ancestors[0].comm, sizeof(ev->proc.ancestors[0].comm), "runc");
	assert_false(fires(ev, "Mount in container"));
	/* the container's own binary at /usr/sbin/runc in its root, run by a process
	 * named runc: the path and the names are claims, the executable is not the host's */
	ev->proc.exe_from_host = false;
	assert_true(fires(ev, "Mount in container"));
	ev->proc.exe_from_host = true;
	/* a program named exe that is not a runtime's binary: caught */
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/tmp/exe");
	assert_true(fires(ev, "Mount in container"));
	/* runc's init whose parent is unknown (a mount event has none): the bind of
	 * /proc/self/exe that guards its binary, its read-only remount and its lazy
	 * umount (seen live: monitor-docker, monitor-hostile under SANITIZE) are setup */
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/usr/sbin/runc");
	ev->proc.nancestors = 0;
	ev->res = 0;
	snprintf(ev->args.source, sizeof(ev->args.source), "/proc/self/exe");
	assert_false(fires(ev, "Mount in container"));
	ev->args.source[0] = '\0';
	ev->args.flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
	assert_false(fires(ev, "Mount in container"));
	ev->type = BH_MON_UMOUNT2;
	ev->args.flags = MNT_DETACH;
	assert_false(fires(ev, "Mount in container"));
	/* the same path and name in the container's own files: its executable is not the
	 * host's (a container's tool at /usr/sbin/runc, named exe) */
	ev->proc.exe_from_host = false;
	assert_true(fires(ev, "Mount in container"));
	ev->type = BH_MON_MOUNT;
	assert_true(fires(ev, "Mount in container"));
	ev->proc.exe_from_host = true;
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/bin/busybox");
	assert_true(fires(ev, "Mount in container"));
	free(ev);
	ev = ev_new(BH_MON_UNSHARE);
	in_container(ev);
	ev->args.flags = CLONE_NEWUSER;
	assert_true(fires(ev, "Namespace change in container"));
	ev->type = BH_MON_SETNS;
	assert_true(fires(ev, "Namespace change in container"));
	/* runc's own setup, in the container's cgroup (seen live: monitor-rules-more) */
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "runc:[1:CHILD]");
	ev->type = BH_MON_UNSHARE;
	assert_true(fires(ev, "Namespace change in container")); /* a name only */
	ev->proc.exe_from_host = true;
	assert_false(fires(ev, "Namespace change in container"));
	ev->type = BH_MON_SETNS;
	memset(&ev->container, 0, sizeof(ev->container)); /* the host's own */
	assert_false(fires(ev, "Namespace change in container"));
	free(ev);
}

static void default_module_and_bpf(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_FINIT_MODULE);

	snprintf(ev->args.module, sizeof(ev->args.module), "rootkit");
	ev->res = -1;
	assert_true(fires(ev, "Kernel module load attempt"));
	free(ev);
	ev = open_ev("/lib/modules/6.1.0/kernel/x.ko", O_RDONLY,
		     false); /* reading one is not loading */
	assert_false(fires(ev, "Kernel module load attempt"));
	free(ev);
	ev = ev_new(BH_MON_BPF);
	in_container(ev);
	ev->args.bpf_cmd = 5; /* BPF_PROG_LOAD */
	assert_true(fires(ev, "BPF program loaded in container"));
	ev->args.bpf_cmd = 1; /* a map lookup */
	assert_false(fires(ev, "BPF program loaded in container"));
	free(ev);
}

static void default_benign_events_raise_nothing(void **state)
{
	const struct bh_rules_rule *m[8];
	struct bh_mon_event *ev = exec_ev("nginx", true);

	ev->proc.stdio[0] = BH_MON_FD_FILE;
	assert_int_equal(bh_rules_match(defaults, ev, m, 8), 0);
	free(ev);
	ev = open_ev("/var/log/nginx/access.log", O_WRONLY | O_APPEND, true);
	assert_int_equal(bh_rules_match(defaults, ev, m, 8), 0);
	free(ev);
	ev = ev_new(BH_MON_ACCEPT);
	in_container(ev);
	set_net(ev, "10.0.0.2", 80, "10.0.0.9", 51000);
	assert_int_equal(bh_rules_match(defaults, ev, m, 8), 0);
	ev->type = BH_MON_PROCEXIT;
	assert_int_equal(bh_rules_match(defaults, ev, m, 8), 0);
	free(ev);
}

int main(void)
{
	const struct CMUnitTest defaults_tests[] = {
		cmocka_unit_test(every_default_rule_has_nist_and_mitre_tags),
		cmocka_unit_test(default_terminal_shell),
		cmocka_unit_test(default_sensitive_read),
		cmocka_unit_test(default_write_below_bin_and_etc),
		cmocka_unit_test(default_drop_and_execute),
		cmocka_unit_test(default_fileless_memfd),
		cmocka_unit_test(default_release_agent),
		cmocka_unit_test(default_k8s_api),
		cmocka_unit_test(default_mining_pool),
		cmocka_unit_test(default_unreadable_connect),
		cmocka_unit_test(default_reverse_shell),
		cmocka_unit_test(default_package_manager),
		cmocka_unit_test(default_ptrace_and_proc_mem),
		cmocka_unit_test(default_mount_and_namespaces),
		cmocka_unit_test(default_module_and_bpf),
		cmocka_unit_test(default_benign_events_raise_nothing),
	};

	return cmocka_run_group_tests_name("default rules", defaults_tests, load_defaults,
					   free_defaults);
}
