/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Directory streams over directory fds, private to the library (the public
 * header stays free of <dirent.h> and the limits it pulls in). Ownership
 * follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_BASE_DIR_H
#define BULKHEAD_BASE_DIR_H

#include <dirent.h>

/* A directory stream of its own over the directory open at dfd (which stays
 * the caller's), read from its start: closedir it. NULL with errno set. */
DIR *bh_opendir_at(int dfd);

#endif
