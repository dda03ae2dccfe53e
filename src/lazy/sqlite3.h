/* SPDX-License-Identifier: Apache-2.0 */
/* sqlite3, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_SQLITE3_H
#define BULKHEAD_LAZY_SQLITE3_H

#include <sqlite3.h>

#include "lazy/lazy.h"

#define sqlite3_bind_blob64	      BH_LAZY(sqlite3, sqlite3_bind_blob64)
#define sqlite3_bind_double	      BH_LAZY(sqlite3, sqlite3_bind_double)
#define sqlite3_bind_int	      BH_LAZY(sqlite3, sqlite3_bind_int)
#define sqlite3_bind_int64	      BH_LAZY(sqlite3, sqlite3_bind_int64)
#define sqlite3_bind_null	      BH_LAZY(sqlite3, sqlite3_bind_null)
#define sqlite3_bind_parameter_count  BH_LAZY(sqlite3, sqlite3_bind_parameter_count)
#define sqlite3_bind_text	      BH_LAZY(sqlite3, sqlite3_bind_text)
#define sqlite3_busy_timeout	      BH_LAZY(sqlite3, sqlite3_busy_timeout)
#define sqlite3_changes		      BH_LAZY(sqlite3, sqlite3_changes)
#define sqlite3_clear_bindings	      BH_LAZY(sqlite3, sqlite3_clear_bindings)
#define sqlite3_close		      BH_LAZY(sqlite3, sqlite3_close)
#define sqlite3_column_blob	      BH_LAZY(sqlite3, sqlite3_column_blob)
#define sqlite3_column_bytes	      BH_LAZY(sqlite3, sqlite3_column_bytes)
#define sqlite3_column_count	      BH_LAZY(sqlite3, sqlite3_column_count)
#define sqlite3_column_double	      BH_LAZY(sqlite3, sqlite3_column_double)
#define sqlite3_column_int	      BH_LAZY(sqlite3, sqlite3_column_int)
#define sqlite3_column_int64	      BH_LAZY(sqlite3, sqlite3_column_int64)
#define sqlite3_column_name	      BH_LAZY(sqlite3, sqlite3_column_name)
#define sqlite3_column_text	      BH_LAZY(sqlite3, sqlite3_column_text)
#define sqlite3_column_type	      BH_LAZY(sqlite3, sqlite3_column_type)
#define sqlite3_db_config	      BH_LAZY(sqlite3, sqlite3_db_config)
#define sqlite3_deserialize	      BH_LAZY(sqlite3, sqlite3_deserialize)
#define sqlite3_errcode		      BH_LAZY(sqlite3, sqlite3_errcode)
#define sqlite3_errmsg		      BH_LAZY(sqlite3, sqlite3_errmsg)
#define sqlite3_errstr		      BH_LAZY(sqlite3, sqlite3_errstr)
#define sqlite3_exec		      BH_LAZY(sqlite3, sqlite3_exec)
#define sqlite3_extended_result_codes BH_LAZY(sqlite3, sqlite3_extended_result_codes)
#define sqlite3_finalize	      BH_LAZY(sqlite3, sqlite3_finalize)
#define sqlite3_free		      BH_LAZY(sqlite3, sqlite3_free)
#define sqlite3_limit		      BH_LAZY(sqlite3, sqlite3_limit)
#define sqlite3_malloc64	      BH_LAZY(sqlite3, sqlite3_malloc64)
#define sqlite3_open_v2		      BH_LAZY(sqlite3, sqlite3_open_v2)
#define sqlite3_prepare_v2	      BH_LAZY(sqlite3, sqlite3_prepare_v2)
#define sqlite3_prepare_v3	      BH_LAZY(sqlite3, sqlite3_prepare_v3)
#define sqlite3_reset		      BH_LAZY(sqlite3, sqlite3_reset)
#define sqlite3_step		      BH_LAZY(sqlite3, sqlite3_step)
#define sqlite3_wal_autocheckpoint    BH_LAZY(sqlite3, sqlite3_wal_autocheckpoint)

#endif
