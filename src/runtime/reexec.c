/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CVE-2019-5736: a container process that can reach the runtime's
 * /proc/<pid>/exe (or exec /proc/self/exe through a "#!/proc/self/exe"
 * script) must never get the host's binary. Commands that put a process
 * into a container re-execute themselves from a sealed memfd copy: the exe
 * link then points at an anonymous file that no one can write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "banned.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

bool bh_rt_is_sealed(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	close(fd);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

int bh_rt_reexec_sealed(int argc, char **argv, struct bh_error **err)
{
	struct stat st;
	off_t off = 0;
	int src, mfd;

	struct bh_buf cmd = BH_BUF_INIT(1 << 20);
	char **args = NULL;
	size_t n = 0;

	(void)argc;
	(void)argv;
	if (getenv("BULKHEAD_SEALED") && bh_rt_is_sealed())
		return 0;
	/* the whole command line, global options included */
	if (bh_read_file("/proc/self/cmdline", &cmd, err) < 0)
		return -1;
	for (size_t i = 0; i < cmd.len; i += strlen(cmd.data + i) + 1) {
		args = bh_reallocarray(args, n + 2, sizeof(char *));
		args[n++] = cmd.data + i;
		args[n] = NULL;
	}
	if (!args)
		return bh_error_set(err, BH_ERR_INTERNAL, "re-exec: empty command line");
	src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0) {
		int e = errno;

		if (src >= 0)
			close(src);
		free(args);
		bh_buf_release(&cmd);
		return bh_error_sys(err, e, "re-exec: /proc/self/exe");
	}
	mfd = memfd_create("bulkhead", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create("bulkhead", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		int e = errno;

		close(src);
		free(args);
		bh_buf_release(&cmd);
		return bh_error_sys(err, e, "re-exec: memfd_create");
	}
	while (off < st.st_size) {
		ssize_t w = sendfile(mfd, src, &off, (size_t)(st.st_size - off));

		if (w <= 0) {
			int e = w < 0 ? errno : EIO;

			close(src);
			close(mfd);
			free(args);
			bh_buf_release(&cmd);
			return bh_error_sys(err, e, "re-exec: copying the binary");
		}
	}
	close(src);
	/* F_SEAL_WRITE waits for the copy's pages to be unpinned and gives up
	 * with EBUSY while one still is (a page the copy's splice or the
	 * kernel's compaction holds for a moment: seen under load, twenty
	 * starts at once); asked again, for up to a second */
	for (int i = 0; fcntl(mfd, F_ADD_SEALS, SEALS) < 0; i++) {
		int e = errno;

		if (e == EBUSY && i < 100) {
			usleep(10000);
			continue;
		}
		close(mfd);
		free(args);
		bh_buf_release(&cmd);
		return bh_error_sys(err, e, "re-exec: sealing the copy");
	}
	setenv("BULKHEAD_SEALED", "1", 1);
	fexecve(mfd, args, environ);
	{
		int e = errno;

		close(mfd);
		free(args);
		bh_buf_release(&cmd);
		return bh_error_sys(err, e, "re-exec from the sealed copy");
	}
}
