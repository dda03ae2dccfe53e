/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guard unit tests' file-tree builders (test_guard, test_guard_names):
 * a file, a directory, a hard link under a test root (ROOT REL paths, the
 * test fails if the call does). Included after unit.h.
 */
#ifndef BULKHEAD_TESTS_GUARD_FS_H
#define BULKHEAD_TESTS_GUARD_FS_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"

static inline void mkfile(const char *root, const char *rel)
{
	char *p = bh_asprintf("%s%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0700);

	assert_true(fd >= 0);
	close(fd);
	free(p);
}

static inline void mkdir_in(const char *root, const char *rel)
{
	char *p = bh_asprintf("%s%s", root, rel);

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static inline void link_in(const char *root, const char *from, const char *to)
{
	char *a = bh_asprintf("%s%s", root, from), *b = bh_asprintf("%s%s", root, to);

	assert_int_equal(link(a, b), 0);
	free(a);
	free(b);
}

#endif
