/* SPDX-License-Identifier: Apache-2.0 */
/* zstd, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_ZSTD_H
#define BULKHEAD_LAZY_ZSTD_H

#include <zstd.h>

#include "lazy/lazy.h"

#define ZSTD_DCtx_setParameter BH_LAZY(zstd, ZSTD_DCtx_setParameter)
#define ZSTD_createDCtx	       BH_LAZY(zstd, ZSTD_createDCtx)
#define ZSTD_decompressStream  BH_LAZY(zstd, ZSTD_decompressStream)
#define ZSTD_freeDCtx	       BH_LAZY(zstd, ZSTD_freeDCtx)
#define ZSTD_getErrorName      BH_LAZY(zstd, ZSTD_getErrorName)
#define ZSTD_isError	       BH_LAZY(zstd, ZSTD_isError)
#define ZSTD_versionString     BH_LAZY(zstd, ZSTD_versionString)

#endif
