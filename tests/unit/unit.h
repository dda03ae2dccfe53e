/* SPDX-License-Identifier: Apache-2.0 */
/* What every cmocka unit test includes. */
#ifndef BULKHEAD_UNIT_H
#define BULKHEAD_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bulkhead/base.h"

/* Assert that a call failed with an error of `code` whose message contains `needle`. */
#define assert_error(err, want_code, needle)                                                       \
	do {                                                                                       \
		char *m_ = bh_error_message(err);                                                  \
		assert_non_null(err);                                                              \
		if (!strstr(m_, (needle)))                                                         \
			fail_msg("error '%s' does not contain '%s'", m_, (needle));                \
		assert_int_equal(bh_error_code(err), (want_code));                                 \
		free(m_);                                                                          \
	} while (0)

/* A fresh temporary directory; the caller removes it with unit_rmtmp. */
static inline char *unit_mktmp(void)
{
	char *d = bh_strdup("/tmp/bh-unit.XXXXXX");

	if (!mkdtemp(d))
		abort();
	return d;
}

static inline void unit_rmtmp(char *d)
{
	bh_remove_tree(-100 /* AT_FDCWD */, d, NULL);
	free(d);
}

#endif
