/* SPDX-License-Identifier: Apache-2.0 */
/* libarchive, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_ARCHIVE_H
#define BULKHEAD_LAZY_ARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

#include "lazy/lazy.h"

#define archive_entry_filetype		  BH_LAZY(archive, archive_entry_filetype)
#define archive_entry_gid		  BH_LAZY(archive, archive_entry_gid)
#define archive_entry_hardlink		  BH_LAZY(archive, archive_entry_hardlink)
#define archive_entry_mtime		  BH_LAZY(archive, archive_entry_mtime)
#define archive_entry_pathname		  BH_LAZY(archive, archive_entry_pathname)
#define archive_entry_perm		  BH_LAZY(archive, archive_entry_perm)
#define archive_entry_rdevmajor		  BH_LAZY(archive, archive_entry_rdevmajor)
#define archive_entry_rdevminor		  BH_LAZY(archive, archive_entry_rdevminor)
#define archive_entry_size		  BH_LAZY(archive, archive_entry_size)
#define archive_entry_size_is_set	  BH_LAZY(archive, archive_entry_size_is_set)
#define archive_entry_symlink		  BH_LAZY(archive, archive_entry_symlink)
#define archive_entry_uid		  BH_LAZY(archive, archive_entry_uid)
#define archive_entry_xattr_next	  BH_LAZY(archive, archive_entry_xattr_next)
#define archive_entry_xattr_reset	  BH_LAZY(archive, archive_entry_xattr_reset)
#define archive_error_string		  BH_LAZY(archive, archive_error_string)
#define archive_read_data		  BH_LAZY(archive, archive_read_data)
#define archive_read_free		  BH_LAZY(archive, archive_read_free)
#define archive_read_new		  BH_LAZY(archive, archive_read_new)
#define archive_read_next_header	  BH_LAZY(archive, archive_read_next_header)
#define archive_read_open		  BH_LAZY(archive, archive_read_open)
#define archive_read_open_fd		  BH_LAZY(archive, archive_read_open_fd)
#define archive_read_open_memory	  BH_LAZY(archive, archive_read_open_memory)
#define archive_read_support_format_empty BH_LAZY(archive, archive_read_support_format_empty)
#define archive_read_support_format_tar	  BH_LAZY(archive, archive_read_support_format_tar)
#define archive_read_support_format_zip	  BH_LAZY(archive, archive_read_support_format_zip)
#define archive_set_error		  BH_LAZY(archive, archive_set_error)
#define archive_version_string		  BH_LAZY(archive, archive_version_string)

#endif
