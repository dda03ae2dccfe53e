/* SPDX-License-Identifier: Apache-2.0 */
/* vectorscan, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_HS_H
#define BULKHEAD_LAZY_HS_H

#include <hs/hs.h>

#include "lazy/lazy.h"

#define hs_alloc_scratch	BH_LAZY(hs, hs_alloc_scratch)
#define hs_clone_scratch	BH_LAZY(hs, hs_clone_scratch)
#define hs_close_stream		BH_LAZY(hs, hs_close_stream)
#define hs_compile_multi	BH_LAZY(hs, hs_compile_multi)
#define hs_deserialize_database BH_LAZY(hs, hs_deserialize_database)
#define hs_free_compile_error	BH_LAZY(hs, hs_free_compile_error)
#define hs_free_database	BH_LAZY(hs, hs_free_database)
#define hs_free_scratch		BH_LAZY(hs, hs_free_scratch)
#define hs_open_stream		BH_LAZY(hs, hs_open_stream)
#define hs_reset_stream		BH_LAZY(hs, hs_reset_stream)
#define hs_scan			BH_LAZY(hs, hs_scan)
#define hs_scan_stream		BH_LAZY(hs, hs_scan_stream)
#define hs_serialize_database	BH_LAZY(hs, hs_serialize_database)
#define hs_version		BH_LAZY(hs, hs_version)

#endif
