/* SPDX-License-Identifier: Apache-2.0 */
/* The SQL tokenizer, statement types and the injection detector (src/net/sqli*.c). */
#include <string.h>

#include "unit.h"
#include "net/sqli.h"

static char *types(const char *s, enum bh_sql_ctx ctx)
{
	static char out[128];
	struct bh_sql_token t[100];
	size_t n = bh_sql_tokenize(s, strlen(s), ctx, t, 100);

	for (size_t i = 0; i < n; i++)
		out[i] = t[i].type;
	out[n] = 0;
	return out;
}

static void keyword_table_is_sorted(void **state)
{
	for (int i = 1; bh_sql_word(i); i++)
		assert_true(strcmp(bh_sql_word(i - 1), bh_sql_word(i)) < 0);
}

static void tokenizer_reads_each_dialect(void **state)
{
	/* both escaping styles; the string ends where SQL says */
	assert_string_equal(types("'it''s' 'a\\'b' x", BH_SQL_CTX_NONE), "ssn");
	/* backticks name, MySQL double quotes are strings, dollar quoting */
	assert_string_equal(types("`t` \"s\" $$a'b$$ $q$x$q$", BH_SQL_CTX_NONE), "nsss");
	/* comments */
	assert_string_equal(types("1 /* c */ 2 -- x\n3 # y", BH_SQL_CTX_NONE), "1c1c1c");
	/* a versioned comment is SQL */
	assert_string_equal(types("1 /*!50000 UNION*/ SELECT 2", BH_SQL_CTX_NONE), "1UE1");
	/* numbers */
	assert_string_equal(types("0x1F 0b101 1.5e-3 .5 42", BH_SQL_CTX_NONE), "11111");
	/* variables, placeholders */
	assert_string_equal(types("@x @@version ? $1 :name", BH_SQL_CTX_NONE), "vvvvv");
	/* operators, keywords, functions */
	assert_string_equal(types("a<=>b OR c||d AND NOT e", BH_SQL_CTX_NONE), "non&non&!n");
	assert_string_equal(types("SELECT count(*) FROM t", BH_SQL_CTX_NONE), "Ef(o)kn");
	/* a function's name not called is a word */
	assert_string_equal(types("left right", BH_SQL_CTX_NONE), "nn");
	/* contexts: the first quote closes the application's string */
	assert_string_equal(types("x' OR 'a'='a", BH_SQL_CTX_SQUOTE), "s&sos");
	assert_string_equal(types("x\" OR 1", BH_SQL_CTX_DQUOTE), "s&1");
}

static void tokenizer_survives_hostile_input(void **state)
{
	struct bh_sql_token t[8];
	char nul[] = { '1', 0, '\'', 0, 'x' };
	char bad[] = { '\xff', '\xfe', '\'', '\xc3', 0x28, '"' };

	/* unterminated everything */
	assert_int_equal(bh_sql_tokenize("'abc", 4, BH_SQL_CTX_NONE, t, 8), 1);
	assert_true(t[0].flags & BH_SQL_TF_UNTERMINATED);
	assert_int_equal(bh_sql_tokenize("/* abc", 6, BH_SQL_CTX_NONE, t, 8), 1);
	assert_true(t[0].flags & BH_SQL_TF_UNTERMINATED);
	assert_int_equal(bh_sql_tokenize("$a$ xx", 6, BH_SQL_CTX_NONE, t, 8), 1);
	assert_int_equal(bh_sql_tokenize("'\\", 2, BH_SQL_CTX_NONE, t, 8), 1);
	assert_int_equal(bh_sql_tokenize("x\\", 2, BH_SQL_CTX_SQUOTE, t, 8), 1);
	/* the token budget is kept */
	assert_int_equal(bh_sql_tokenize("1 2 3 4 5 6 7 8 9 10", 20, BH_SQL_CTX_NONE, t, 8), 8);
	/* NUL bytes and invalid UTF-8 */
	bh_sql_tokenize(nul, sizeof(nul), BH_SQL_CTX_NONE, t, 8);
	bh_sql_tokenize(bad, sizeof(bad), BH_SQL_CTX_SQUOTE, t, 8);
	bh_sqli_check_value(nul, sizeof(nul), NULL);
	bh_sqli_check_value(bad, sizeof(bad), NULL);
	bh_sqli_check_statement(bad, sizeof(bad), NULL);
	assert_int_equal(bh_sql_tokenize("", 0, BH_SQL_CTX_SQUOTE, t, 8), 1);
}

static void huge_and_deep_values_are_bounded(void **state)
{
	size_t n = 4 << 20;
	char *s = bh_malloc(n);
	struct bh_sqli_result r;

	/* 4 MiB of open parentheses, then of quotes, then of a long run */
	memset(s, '(', n);
	bh_sqli_check_value(s, n, &r);
	bh_sqli_check_statement(s, n, &r);
	assert_string_equal(bh_sql_statement_type(s, n), "other");
	memset(s, '\'', n);
	bh_sqli_check_value(s, n, &r);
	memset(s, '1', n);
	assert_false(bh_sqli_check_value(s, n, &r));
	/* padding does not hide an attack at the end */
	memset(s, ' ', n);
	memcpy(s + n - 14, "1' OR '1'='1' ", 14);
	assert_true(bh_sqli_check_value(s, n, &r));
	/* JSON nested too deep is refused, not recursed */
	memset(s, '[', 100000);
	struct bh_error *err = NULL;
	assert_true(bh_sqli_check_json(s, 100000, &r, &err) < 0);
	assert_error(err, BH_ERR_LIMIT, "nested");
	bh_error_free(err);
	free(s);
}

static const char *const attacks[] = {
	"1 OR 1=1",
	"1' OR '1'='1",
	"x' OR 'a'='a",
	"admin'--",
	"admin' #",
	"1) OR (1=1",
	"-1 UNION SELECT username, password FROM users--",
	"1' UNION ALL SELECT NULL,NULL,NULL-- x",
	"1 /*!50000UNION*/ /*!50000SELECT*/ 1,2",
	"1 UNION/**/SELECT 1",
	"1; DROP TABLE users--",
	"1'; EXEC xp_cmdshell('dir')--",
	"1 AND SLEEP(5)",
	"1' AND BENCHMARK(5000000,MD5(1))#",
	"1; WAITFOR DELAY '0:0:5'--",
	"1' || pg_sleep(5)--",
	"1 AND EXTRACTVALUE(1,CONCAT(0x5c,version()))",
	"1 ORDER BY 3--",
	"(SELECT 1 FROM dual WHERE 1=1)",
	"1\" AND \"x\"=\"x",
	"1` WHERE 1=1 AND `a`=`a",
	"ELT(1=1,SLEEP(5))",
	"1 AND @@version LIKE '5%'",
	"' OR 1=1 LIMIT 1 -- ",
	NULL,
};

static const char *const benign[] = {
	"O'Reilly",
	"O'Reilly and sons",
	"select your plan",
	"1-2 days",
	"rock and roll",
	"john.o'neil@example.com",
	"https://example.com/a?b=c&d=e",
	"{\"a\": 1, \"b\": [true, null]}",
	"it's 5 o'clock",
	"don't drop the table",
	"order by date",
	"Union Square",
	"C# or F#",
	"50% off",
	"2024-01-02T03:04:05Z",
	"+1 (555) 123-4567",
	"\"quoted\" text",
	"--verbose",
	"left or right",
	"count me in",
	"",
	NULL,
};

static void detects_attacks_and_passes_look_alikes(void **state)
{
	struct bh_sqli_result r;

	for (size_t i = 0; attacks[i]; i++)
		if (!bh_sqli_check_value(attacks[i], strlen(attacks[i]), &r))
			fail_msg("missed: %s", attacks[i]);
	for (size_t i = 0; benign[i]; i++)
		if (bh_sqli_check_value(benign[i], strlen(benign[i]), &r))
			fail_msg("flagged: %s (%s %s)", benign[i], r.rule, r.fingerprint);
	assert_true(bh_sqli_check_value("x' OR 'a'='a", 12, &r));
	assert_string_equal(r.rule, "boolean");
	assert_int_equal(r.ctx, BH_SQL_CTX_SQUOTE);
	assert_string_equal(r.fingerprint, "s&s");
}

static void urlencoded_and_json_parameters(void **state)
{
	struct bh_sqli_result r;
	char out[16];
	struct bh_error *err = NULL;
	const char *q = "page=2&q=O%27Reilly+books&id=1%27%20OR%20%271%27%3D%271&x=%zz";

	assert_int_equal(bh_sqli_urldecode("a+b%41%4", 8, true, out, sizeof(out)), 6);
	assert_memory_equal(out, "a bA%4", 6);
	assert_int_equal(bh_sqli_urldecode("abcdef", 6, false, out, 3), 3);
	assert_true(bh_sqli_check_urlencoded(q, strlen(q), &r));
	assert_string_equal(r.param, "id");
	assert_false(bh_sqli_check_urlencoded("page=2&q=O%27Reilly+books", 25, &r));
	assert_int_equal(r.params, 2);
	/* a name can carry it too */
	assert_true(bh_sqli_check_urlencoded("1%20UNION%20SELECT%201=x", 24, &r));
	/* ';' is no separator: a stacked statement stays in its value */
	assert_true(bh_sqli_check_urlencoded("id=1;DROP TABLE users--", 23, &r));
	assert_string_equal(r.param, "id");
	assert_false(bh_sqli_check_urlencoded("a=1;b=2&c=x;y", 13, &r));

	const char *j = "{\"user\":{\"name\":\"O'Brien\",\"tags\":[\"a\",\"1' OR '1'='1\"]}}";
	assert_int_equal(bh_sqli_check_json(j, strlen(j), &r, &err), 1);
	assert_string_equal(r.param, "tags");
	j = "{\"user\":{\"name\":\"O'Brien\",\"n\":[1,2,3]}}";
	assert_int_equal(bh_sqli_check_json(j, strlen(j), &r, &err), 0);
	assert_true(bh_sqli_check_json("{\"a\":", 5, &r, &err) < 0);
	assert_error(err, BH_ERR_INVALID, "JSON");
	bh_error_free(err);
}

static void statement_types(void **state)
{
	static const char *const cases[][2] = {
		{ "SELECT 1", "select" },
		{ "  /* app */ (SELECT 1) UNION (SELECT 2)", "select" },
		{ "-- hi\nselect * from t", "select" },
		{ "insert into t values (1)", "insert" },
		{ "UPDATE t SET a=1", "update" },
		{ "delete from t", "delete" },
		{ "CREATE TABLE t (a int)", "create" },
		{ "drop table t", "drop" },
		{ "ALTER TABLE t ADD b int", "alter" },
		{ "WITH x AS (SELECT 1) SELECT * FROM x", "select" },
		{ "WITH RECURSIVE x(n) AS (SELECT 1 UNION SELECT n+1 FROM x) DELETE FROM t",
		  "delete" },
		{ "with a as (select 1), b as (select 2) insert into t select * from a", "insert" },
		{ "BEGIN", "begin" },
		{ "START TRANSACTION", "begin" },
		{ "commit", "commit" },
		{ "SET NAMES utf8mb4", "set" },
		{ "SHOW TABLES", "show" },
		{ "exec sp_who", "execute" },
		{ "COPY t FROM STDIN", "copy" },
		{ "hello", "other" },
		{ "", "other" },
		{ "((((", "other" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(bh_sql_statement_type(cases[i][0], strlen(cases[i][0])),
				    cases[i][1]);
}

static void statements_judged_whole(void **state)
{
	static const char *const bad[] = {
		"SELECT * FROM users WHERE name = 'x' OR '1'='1'",
		"SELECT * FROM users WHERE id = 1 OR 1=1",
		"SELECT * FROM t WHERE id = 1; DROP TABLE users",
		"SELECT a, b FROM t WHERE id = -1 UNION SELECT table_name, 1 FROM "
		"information_schema.tables",
		"SELECT a FROM t WHERE id = 1 UNION SELECT @@version",
		"SELECT * FROM t WHERE id = 1 AND SLEEP(5)",
		"SELECT * FROM t WHERE id = 1 AND pg_sleep(5) IS NULL",
		"SELECT * FROM users WHERE name = 'admin'-- ' AND password = 'x'",
		NULL,
	};
	static const char *const good[] = {
		"SELECT * FROM users WHERE id = $1",
		"SELECT * FROM users WHERE name = 'O''Brien' AND active = true",
		"SELECT * FROM t WHERE 1=1 AND a = ? ORDER BY b LIMIT 10",
		"SELECT a FROM t WHERE x = 1 OR y = 2",
		"SELECT a FROM t1 UNION SELECT a FROM t2",
		"INSERT INTO log (msg) VALUES ('it''s -- fine')",
		"BEGIN; UPDATE accounts SET b = b - 1 WHERE id = 1; COMMIT",
		"SELECT pg_sleep(0.1)",
		"SELECT * FROM t /* app:web,route:/x */",
		"UPDATE t SET a = 1 WHERE id = 2 -- nightly job",
		"SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
		NULL,
	};
	struct bh_sqli_result r;

	for (size_t i = 0; bad[i]; i++)
		if (!bh_sqli_check_statement(bad[i], strlen(bad[i]), &r))
			fail_msg("missed: %s", bad[i]);
	for (size_t i = 0; good[i]; i++)
		if (bh_sqli_check_statement(good[i], strlen(good[i]), &r))
			fail_msg("flagged: %s (%s)", good[i], r.rule);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keyword_table_is_sorted),
		cmocka_unit_test(tokenizer_reads_each_dialect),
		cmocka_unit_test(tokenizer_survives_hostile_input),
		cmocka_unit_test(huge_and_deep_values_are_bounded),
		cmocka_unit_test(detects_attacks_and_passes_look_alikes),
		cmocka_unit_test(urlencoded_and_json_parameters),
		cmocka_unit_test(statement_types),
		cmocka_unit_test(statements_judged_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
