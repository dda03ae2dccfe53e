/* SPDX-License-Identifier: Apache-2.0 */
/* isa-l, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_ISAL_H
#define BULKHEAD_LAZY_ISAL_H

#include <isa-l.h>
#include <isa-l/igzip_lib.h>

#include "lazy/lazy.h"

#define isal_inflate	   BH_LAZY(isal, isal_inflate)
#define isal_inflate_init  BH_LAZY(isal, isal_inflate_init)
#define isal_inflate_reset BH_LAZY(isal, isal_inflate_reset)

#endif
