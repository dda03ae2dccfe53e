/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the SQL tokenizer and injection detector: the first byte picks the
 * entry point (a value, a whole statement, a query string, a JSON body,
 * the statement type, the tokenizer in each context); tokens must stay
 * inside the input and results must be well formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/sqli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_sqli_result r;
	struct bh_sql_token t[64];
	struct bh_error *err = NULL;
	const char *s;
	size_t n;

	if (size < 1)
		return 0;
	s = (const char *)data + 1;
	n = size - 1;
	switch (data[0] % 5) {
	case 0:
		if (bh_sqli_check_value(s, n, &r) &&
		    (!r.rule || strlen(r.fingerprint) > BH_SQLI_FP_MAX))
			abort();
		break;
	case 1:
		if (bh_sqli_check_statement(s, n, &r) && !r.rule)
			abort();
		break;
	case 2:
		if (bh_sqli_check_urlencoded(s, n, &r) &&
		    (!r.rule || strlen(r.param) > BH_SQLI_NAME_MAX))
			abort();
		break;
	case 3:
		if (bh_sqli_check_json(s, n, &r, &err) < 0 && !err)
			abort();
		bh_error_free(err);
		break;
	default: {
		const char *ty = bh_sql_statement_type(s, n);
		if (!ty || !*ty)
			abort();
		for (int c = 0; c < 4; c++) {
			size_t k = bh_sql_tokenize(s, n, (enum bh_sql_ctx)c, t, 64);
			for (size_t i = 0; i < k; i++)
				if (t[i].pos > n || t[i].len > n - t[i].pos)
					abort();
		}
	}
	}
	return 0;
}
