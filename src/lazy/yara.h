/* SPDX-License-Identifier: Apache-2.0 */
/* YARA, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_YARA_H
#define BULKHEAD_LAZY_YARA_H

#include <yara.h>

#include "lazy/lazy.h"

#define yr_compiler_add_fd		   BH_LAZY(yara, yr_compiler_add_fd)
#define yr_compiler_create		   BH_LAZY(yara, yr_compiler_create)
#define yr_compiler_define_string_variable BH_LAZY(yara, yr_compiler_define_string_variable)
#define yr_compiler_destroy		   BH_LAZY(yara, yr_compiler_destroy)
#define yr_compiler_get_rules		   BH_LAZY(yara, yr_compiler_get_rules)
#define yr_compiler_set_callback	   BH_LAZY(yara, yr_compiler_set_callback)
#define yr_finalize			   BH_LAZY(yara, yr_finalize)
#define yr_initialize			   BH_LAZY(yara, yr_initialize)
#define yr_rules_destroy		   BH_LAZY(yara, yr_rules_destroy)
#define yr_scanner_create		   BH_LAZY(yara, yr_scanner_create)
#define yr_scanner_define_string_variable  BH_LAZY(yara, yr_scanner_define_string_variable)
#define yr_scanner_destroy		   BH_LAZY(yara, yr_scanner_destroy)
#define yr_scanner_scan_mem		   BH_LAZY(yara, yr_scanner_scan_mem)
#define yr_scanner_set_callback		   BH_LAZY(yara, yr_scanner_set_callback)
#define yr_scanner_set_flags		   BH_LAZY(yara, yr_scanner_set_flags)
#define yr_scanner_set_timeout		   BH_LAZY(yara, yr_scanner_set_timeout)

#endif
