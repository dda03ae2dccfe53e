// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel source's probes of the host, run by its loader
 * (source_kernel.c) before the programs are loaded: tracefs (mounted where
 * the host has not), which tracepoints this kernel has (a syscall's
 * sys_exit_NAME: the call is implemented; sched_prepare_exec,
 * cgroup_mkdir), the process whose namespaces and root are the host's
 * (PID 1, else kthreadd), that root's mount id, inode and device, and the
 * v1 hierarchy that holds pids. They read /proc and tracefs only; what
 * they find goes into the BPF object's rodata and the choice of programs.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_internal.h"
#include "banned.h"

void mon_mount_tracefs(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return;
	(void)mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		    NULL);
}

int mon_has_tp(const char *group, const char *event)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char p[160];

	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/events/%s", roots[i], group);
		if (access(p, F_OK) < 0)
			continue;
		snprintf(p, sizeof(p), "%s/events/%s/%s", roots[i], group, event);
		return access(p, F_OK) == 0;
	}
	return -1;
}

int mon_has_sys_tp(const char *name)
{
	char ev[96];

	snprintf(ev, sizeof(ev), "sys_exit_%s", name);
	return mon_has_tp("syscalls", ev);
}

int mon_host_pid(uint32_t *ino, uint32_t *pidns)
{
	struct stat st;
	char comm[32] = "";
	FILE *f;
	int pid = 1;

	*ino = 0;
	*pidns = 0;
	if (stat("/proc/1/ns/mnt", &st) < 0) {
		f = fopen("/proc/2/comm", "re");
		if (!f)
			return 0;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strcmp(comm, "kthreadd\n") || stat("/proc/2/ns/mnt", &st) < 0)
			return 0;
		pid = 2;
	}
	*ino = (uint32_t)st.st_ino;
	if (stat(pid == 1 ? "/proc/1/ns/pid" : "/proc/2/ns/pid", &st) == 0)
		*pidns = (uint32_t)st.st_ino;
	return pid;
}

uint32_t mon_pids_hierarchy(void)
{
	char line[256], name[64];
	unsigned int hier = 0, h;
	FILE *f = fopen("/proc/cgroups", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %u", name, &h) == 2 && !strcmp(name, "pids"))
			hier = h;
	fclose(f);
	return hier;
}

int mon_host_root_id(int pid, uint64_t *ino, uint32_t *dev, int32_t *mnt)
{
	char p[64], line[4096], mp[8];
	unsigned int id, maj, min;
	struct statx sx;
	int whole = 1, found = 0;
	FILE *f;

	*ino = 0;
	*dev = 0;
	*mnt = 0;
	snprintf(p, sizeof(p), "/proc/%d/root", pid);
	if (pid <= 0 || statx(AT_FDCWD, p, 0, STATX_INO | STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID) || !(sx.stx_mask & STATX_INO))
		return 0;
	snprintf(p, sizeof(p), "/proc/%d/mountinfo", pid);
	f = fopen(p, "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		int start = whole;

		whole = strchr(line, '\n') != NULL; /* a longer line's rest is skipped */
		if (start && sscanf(line, "%u %*u %u:%u %*s %7s", &id, &maj, &min, mp) == 4 &&
		    id == sx.stx_mnt_id)
			found = 1;
	}
	fclose(f);
	if (!found || strcmp(mp, "/") || !sx.stx_ino || id > INT32_MAX)
		return 0;
	*ino = sx.stx_ino;
	*dev = (maj & 0xfff) << 20 | (min & 0xfffff);
	*mnt = (int32_t)id;
	return 1;
}
