/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the path cleaner and both in-root resolvers: whatever the input, a
 * resolved file must be inside the root (checked through /proc/self/fd).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"

static char root[64];
static int rootfd = -1;

static void cleanup(void)
{
	bh_remove_tree(AT_FDCWD, root, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[128];

	snprintf(root, sizeof(root), "/tmp/bh-fuzz-path.XXXXXX");
	if (!mkdtemp(root))
		abort();
	atexit(cleanup);
	snprintf(p, sizeof(p), "%s/d", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/d/f", root);
	if (bh_write_file_atomic(p, "x", 1, 0644, NULL) < 0)
		abort();
	snprintf(p, sizeof(p), "%s/up", root);
	if (symlink("../../../..", p) < 0)
		abort();
	snprintf(p, sizeof(p), "%s/abs", root);
	if (symlink("/d", p) < 0)
		abort();
	snprintf(p, sizeof(p), "%s/etc", root);
	if (symlink("/etc", p) < 0)
		abort();
	snprintf(p, sizeof(p), "%s/loop", root);
	if (symlink("loop", p) < 0)
		abort();
	rootfd = bh_root_open(root, NULL);
	return rootfd < 0;
}

static void check_inside(int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		abort();
	target[n] = 0;
	if (strncmp(target, root, strlen(root)) != 0 ||
	    (target[strlen(root)] != 0 && target[strlen(root)] != '/')) {
		fprintf(stderr, "resolved outside the root: %s\n", target);
		abort();
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf b = BH_BUF_INIT(1 << 16);
	char *s;
	int fd;

	if (size > 4096)
		return 0;
	s = bh_strndup((const char *)data, size);
	if (bh_path_clean(s, false, 4096, &b, NULL) == 0 && strstr(b.data, ".."))
		if (strstr(b.data, "/../") || !strcmp(b.data, "..") ||
		    bh_str_has_prefix(b.data, "../") || bh_str_has_suffix(b.data, "/.."))
			abort();
	bh_path_clean(s, true, 4096, &b, NULL);
	fd = bh_root_openat(rootfd, s, O_PATH, 0, NULL);
	if (fd >= 0)
		check_inside(fd);
	fd = bh_root_walk(rootfd, s, O_PATH, 0, NULL);
	if (fd >= 0)
		check_inside(fd);
	bh_buf_release(&b);
	free(s);
	return 0;
}
