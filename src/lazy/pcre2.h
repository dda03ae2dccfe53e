/* SPDX-License-Identifier: Apache-2.0 */
/* PCRE2 (8-bit), loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_PCRE2_H
#define BULKHEAD_LAZY_PCRE2_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "lazy/lazy.h"

#define pcre2_code_free_8	    BH_LAZY(pcre2, pcre2_code_free_8)
#define pcre2_compile_8		    BH_LAZY(pcre2, pcre2_compile_8)
#define pcre2_get_error_message_8   BH_LAZY(pcre2, pcre2_get_error_message_8)
#define pcre2_get_ovector_pointer_8 BH_LAZY(pcre2, pcre2_get_ovector_pointer_8)
#define pcre2_jit_compile_8	    BH_LAZY(pcre2, pcre2_jit_compile_8)
#define pcre2_match_8		    BH_LAZY(pcre2, pcre2_match_8)
#define pcre2_match_data_create_8   BH_LAZY(pcre2, pcre2_match_data_create_8)
#define pcre2_match_data_free_8	    BH_LAZY(pcre2, pcre2_match_data_free_8)

#endif
