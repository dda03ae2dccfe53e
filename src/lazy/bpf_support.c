// SPDX-License-Identifier: Apache-2.0
/*
 * What every loader of BPF programs shares (the syscall recorder, the
 * monitor's kernel source, the connect guard): libbpf's last warning kept to
 * explain a failed load, and the lock of bulkhead's pins on the bpffs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "lazy/bpf.h"
#include "banned.h"

#define BPFFS	      "/sys/fs/bpf"
#define BPF_FS_MAGIC_ 0xcafe4a11

/* One print callback for the process (libbpf's is global): the last warning.
 * Not thread-local: that would link ld.so for __tls_get_addr; loads are made
 * one at a time (under the pin lock, or by one thread). */
static char last_msg[512];

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

void bh_bpf_messages_clear(void)
{
	last_msg[0] = '\0';
}

void bh_bpf_messages_reset(void)
{
	last_msg[0] = '\0';
	libbpf_set_print(keep_print);
}

const char *bh_bpf_message(void)
{
	return last_msg;
}

int bh_bpf_pin_lock(int how, struct bh_error **err)
{
	struct statfs sf;
	int fd;

	if (statfs(BPFFS, &sf) < 0)
		return bh_error_sys(err, errno, "%s", BPFFS);
	if ((unsigned long)sf.f_type != BPF_FS_MAGIC_) {
		if (mount("bpf", BPFFS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
			return bh_error_sys(err, errno, "mounting bpffs at %s", BPFFS);
		bh_debug("bpf: mounted bpffs at %s", BPFFS);
	}
	if (mkdir(BH_BPF_PIN_ROOT, 0700) < 0 && errno != EEXIST)
		return bh_error_sys(err, errno, "%s", BH_BPF_PIN_ROOT);
	fd = open(BH_BPF_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return bh_error_sys(err, errno, "%s", BH_BPF_PIN_ROOT);
	while (flock(fd, how) < 0) {
		if (errno != EINTR) {
			bh_error_sys(err, errno, "locking %s", BH_BPF_PIN_ROOT);
			close(fd);
			return -1;
		}
	}
	return fd;
}

void bh_bpf_load_begin(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

void bh_bpf_load_end(const sigset_t *old)
{
	int e = errno; /* the load's */

	pthread_sigmask(SIG_SETMASK, old, NULL);
	errno = e;
}
