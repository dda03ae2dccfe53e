/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Behaviour profiles in the store, as documents (include/bulkhead/behave.h):
 * list, export, the strict reading of an export (bh_behave_parse), import,
 * modes, promotion rules, delete. Each works on the store directly, in one
 * statement or one transaction.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lazy/sqlite3.h"

#include "bulkhead/base.h"
#include "base/sqlite.h"
#include "behave_internal.h"
#include "banned.h"

/* The export document's largest size (bytes) and containers. */
#define DOC_MAX_BYTES (64u << 20)

static sqlite3 *db_of(struct bh_behave *b)
{
	return b->store->db;
}

static json_t *time_json(int64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };
	char buf[BH_TIME_MAX];

	if (ns <= 0)
		return json_null();
	return json_string(bh_time_rfc3339(&ts, 3, buf));
}

/* A time of the document (RFC 3339 or null) as nanoseconds. */
static int64_t time_ns(const json_t *v)
{
	int64_t s = 0;

	if (!json_is_string(v) || bh_time_parse(json_string_value(v), false, &s, NULL) < 0)
		return 0;
	return s > 0 && s < INT64_MAX / 1000000000 ? s * 1000000000 : 0;
}

int bh_behave_list(struct bh_behave *b, json_t **out, struct bh_error **err)
{
	sqlite3 *db = db_of(b);
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int rc;

	*out = NULL;
	rc = sqlite3_prepare_v2(
		db,
		"SELECT p.key, coalesce(m.mode, 'discover'), p.zero_drift, p.events, p.overflowed,"
		" p.lost, p.updated,"
		" (SELECT count(*) FROM behave_items i WHERE i.key = p.key AND i.kind = 'process'),"
		" (SELECT count(*) FROM behave_items i WHERE i.key = p.key AND i.kind = 'file'),"
		" (SELECT count(*) FROM behave_items i WHERE i.key = p.key AND i.kind = 'listen'),"
		" (SELECT count(*) FROM behave_items i WHERE i.key = p.key AND i.kind = "
		"'outbound'),"
		" (SELECT count(*) FROM behave_items i WHERE i.key = p.key AND i.kind = 'inbound')"
		" FROM behave_profiles p LEFT JOIN modes m ON m.kind = '" BEH_MODES_KIND "' AND"
		" m.name = p.key ORDER BY p.key",
		-1, &st, NULL);
	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(
				arr,
				json_pack("{s:s, s:s, s:b, s:I, s:b, s:b, s:s, s:I, s:I, s:I, s:I, "
					  "s:I}",
					  "key", (const char *)sqlite3_column_text(st, 0), "mode",
					  (const char *)sqlite3_column_text(st, 1), "zero_drift",
					  sqlite3_column_int(st, 2), "events",
					  (json_int_t)sqlite3_column_int64(st, 3), "overflowed",
					  sqlite3_column_int(st, 4), "events_lost",
					  sqlite3_column_int(st, 5), "updated",
					  (const char *)sqlite3_column_text(st, 6), "processes",
					  (json_int_t)sqlite3_column_int64(st, 7), "files",
					  (json_int_t)sqlite3_column_int64(st, 8), "listen",
					  (json_int_t)sqlite3_column_int64(st, 9), "outbound",
					  (json_int_t)sqlite3_column_int64(st, 10), "inbound",
					  (json_int_t)sqlite3_column_int64(st, 11)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return bh_sqlite_error(db, rc, "listing behaviour profiles", err);
	}
	*out = arr;
	return 0;
}

/* "tcp/80" → {"proto": "tcp", "port": 80} into o. */
static void proto_port(json_t *o, const char *pp)
{
	const char *slash = strchr(pp, '/');
	uint64_t port = 0;

	json_object_set_new(o, "proto", json_stringn(pp, slash ? (size_t)(slash - pp) : 0));
	if (slash)
		bh_parse_u64(slash + 1, &port, NULL);
	json_object_set_new(o, "port", json_integer((json_int_t)port));
}

int bh_behave_export(struct bh_behave *b, const char *key, json_t **out, struct bh_error **err)
{
	static const char *const arrays[] = { NULL,	"processes", "files",
					      "listen", "outbound",  "inbound" };
	sqlite3 *db = db_of(b);
	sqlite3_stmt *st = NULL;
	json_t *d = NULL, *cj = NULL;
	int rc;

	*out = NULL;
	if (bh_behave_key_check(key, err) < 0)
		return -1;
	rc = sqlite3_prepare_v2(
		db,
		"SELECT coalesce(m.mode, 'discover'), p.zero_drift, p.overflowed, p.lost, p.events,"
		" p.first, p.last, p.disc_first, p.disc_last, p.containers, m.after, m.runs,"
		" m.target FROM behave_profiles p LEFT JOIN modes m ON m.kind = '" BEH_MODES_KIND
		"' AND m.name = p.key WHERE p.key = ?",
		-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		const char *cs = (const char *)sqlite3_column_text(st, 9);
		int64_t df = sqlite3_column_int64(st, 7), dl = sqlite3_column_int64(st, 8);

		cj = cs ? json_loads(cs, 0, NULL) : NULL;
		d = json_pack("{s:i, s:s, s:s, s:b, s:b, s:b, s:I, s:f, s:o, s:o, s:o}",
			      "bulkhead_behaviour_profile", BH_BEHAVE_FORMAT, "key", key, "mode",
			      (const char *)sqlite3_column_text(st, 0), "zero_drift",
			      sqlite3_column_int(st, 1), "overflowed", sqlite3_column_int(st, 2),
			      "events_lost", sqlite3_column_int(st, 3), "events",
			      (json_int_t)sqlite3_column_int64(st, 4), "learned_seconds",
			      dl > df && df > 0 ? (double)(dl - df) / 1e9 : 0.0, "first_seen",
			      time_json(sqlite3_column_int64(st, 5)), "last_seen",
			      time_json(sqlite3_column_int64(st, 6)), "containers",
			      json_is_array(cj) ? json_incref(cj) : json_array());
		if (sqlite3_column_type(st, 11) != SQLITE_NULL)
			json_object_set_new(
				d, "promotion",
				json_pack("{s:f, s:I, s:s}", "after", sqlite3_column_double(st, 10),
					  "quiet", (json_int_t)sqlite3_column_int64(st, 11), "to",
					  (const char *)sqlite3_column_text(st, 12)));
		for (int k = BH_BEHAVE_PROCESS; k <= BH_BEHAVE_INBOUND; k++)
			json_object_set_new(d, arrays[k], json_array());
		rc = SQLITE_DONE;
	}
	json_decref(cj);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	if (!d)
		return bh_error_set(err, BH_ERR_NOTFOUND, "no behaviour profile %s", key);
	rc = sqlite3_prepare_v2(db,
				"SELECT kind, value, extra, count FROM behave_items WHERE key = ? "
				"ORDER BY kind, value, extra",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *k = (const char *)sqlite3_column_text(st, 0);
			const char *v = (const char *)sqlite3_column_text(st, 1);
			const char *x = (const char *)sqlite3_column_text(st, 2);
			json_int_t n = (json_int_t)sqlite3_column_int64(st, 3);
			json_t *o = json_object();

			if (!strcmp(k, "process")) {
				json_object_set_new(o, "exe", beh_str_json(v));
				json_object_set_new(o, "parent", beh_str_json(x));
			} else if (!strcmp(k, "file")) {
				json_object_set_new(o, "path", beh_str_json(v));
			} else if (!strcmp(k, "outbound")) {
				proto_port(o, x);
				json_object_set_new(o, "peer", beh_str_json(v));
			} else if (!strcmp(k, "listen") || !strcmp(k, "inbound")) {
				proto_port(o, v);
			} else {
				json_decref(o);
				continue; /* a kind of a newer bulkhead */
			}
			json_object_set_new(o, "count", json_integer(n));
			json_array_append_new(json_object_get(d, !strcmp(k, "process") ? "processes"
								 : !strcmp(k, "file")  ? "files"
										       : k),
					      o);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	*out = d;
	return 0;
fail:
	json_decref(d);
	return bh_sqlite_error(db, sqlite3_errcode(db), "reading", err);
}

/* ---- the strict reader ------------------------------------------------------ */

/* Every member of o is one of names; else the first other, named. */
static int only(const json_t *o, const char *const *names, const char *what, struct bh_error **err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return bh_error_set(err, BH_ERR_INVALID, "%s: expected an object", what);
	json_object_foreach ((json_t *)o, k, v) {
		const char *const *n = names;

		while (*n && strcmp(*n, k))
			n++;
		if (!*n)
			return bh_error_set(err, BH_ERR_INVALID, "%s: unknown member '%.64s'", what,
					    k);
	}
	return 0;
}

static int want_bool(const json_t *o, const char *k, const char *what, struct bh_error **err)
{
	json_t *v = json_object_get(o, k);

	if (v && !json_is_boolean(v))
		return bh_error_set(err, BH_ERR_INVALID, "%s.%s: expected true or false", what, k);
	return 0;
}

static int want_int(const json_t *o, const char *k, json_int_t lo, json_int_t hi, bool need,
		    const char *what, struct bh_error **err)
{
	json_t *v = json_object_get(o, k);

	if (!v && !need)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s.%s: expected an integer from %lld to %lld", what, k,
				    (long long)lo, (long long)hi);
	return 0;
}

static int want_path(const json_t *o, const char *k, bool empty_ok, const char *what,
		     struct bh_error **err)
{
	json_t *v = json_object_get(o, k);
	const char *s = json_string_value(v);
	size_t n = s ? json_string_length(v) : 0;

	if (s && empty_ok && !n)
		return 0;
	if (!s || !beh_path_ok(s, n))
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s.%s: expected an absolute, normalised path (no '.', '..' or "
				    "empty component, no control character, under %d bytes)",
				    what, k, BH_MON_PATH_MAX);
	return 0;
}

static int want_proto_port(const json_t *o, const char *what, struct bh_error **err)
{
	if (!beh_proto_parse(json_string_value(json_object_get(o, "proto"))))
		return bh_error_set(err, BH_ERR_INVALID, "%s.proto: expected tcp or udp", what);
	return want_int(o, "port", 1, 65535, true, what, err);
}

/* An address, or a /24 (IPv4) or /64 (IPv6) network, in inet_ntop's form. */
static int want_peer(const char *s, const char *what, struct bh_error **err)
{
	char a[INET6_ADDRSTRLEN + 8], canon[INET6_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	uint8_t bin[16];
	int fam;

	if (!s || strlen(s) >= sizeof(a))
		goto bad;
	snprintf(a, sizeof(a), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	fam = strchr(a, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, a, bin) != 1 || !inet_ntop(fam, bin, canon, sizeof(canon)) ||
	    strcmp(canon, a))
		goto bad;
	if (slash) {
		const char *want = fam == AF_INET ? "/24" : "/64";
		size_t host = fam == AF_INET ? 3 : 8, len = fam == AF_INET ? 4 : 16;

		if (strcmp(slash, want))
			goto bad;
		for (size_t i = host; i < len; i++)
			if (bin[i])
				goto bad;
	}
	return 0;
bad:
	return bh_error_set(err, BH_ERR_INVALID,
			    "%s.peer '%.64s': expected an address or a /24 (IPv4) or /64 (IPv6) "
			    "network, as inet_ntop writes it",
			    what, s ? s : "");
}

static int check_item(int kind, const json_t *o, const char *what, struct bh_error **err)
{
	static const char *const proc[] = { "exe", "parent", "count", NULL };
	static const char *const file[] = { "path", "count", NULL };
	static const char *const pp[] = { "proto", "port", "count", NULL };
	static const char *const out[] = { "proto", "peer", "port", "count", NULL };

	switch (kind) {
	case BH_BEHAVE_PROCESS: {
		const char *exe = json_string_value(json_object_get(o, "exe"));

		if (only(o, proc, what, err) < 0 ||
		    ((!exe || strncmp(exe, "memfd:", 6) || strlen(exe) >= BH_MON_PATH_MAX) &&
		     want_path(o, "exe", false, what, err) < 0) ||
		    want_path(o, "parent", true, what, err) < 0)
			return -1;
		if (exe && !strncmp(exe, "memfd:", 6))
			for (const char *p = exe; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					return bh_error_set(err, BH_ERR_INVALID,
							    "%s.exe: a control character", what);
		break;
	}
	case BH_BEHAVE_FILE: {
		const char *p = json_string_value(json_object_get(o, "path"));
		size_t n = p ? strlen(p) : 0;

		if (only(o, file, what, err) < 0 || want_path(o, "path", false, what, err) < 0)
			return -1;
		if (!strcmp(p, "/**"))
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s.path '/**' would allow writing anywhere", what);
		if (p[n - 1] != '/' && (n < 4 || strcmp(p + n - 3, "/**")))
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s.path '%.64s': a directory (ending in '/') or a "
					    "subtree (ending in '/**')",
					    what, p);
		break;
	}
	case BH_BEHAVE_LISTEN:
	case BH_BEHAVE_INBOUND:
		if (only(o, pp, what, err) < 0 || want_proto_port(o, what, err) < 0)
			return -1;
		break;
	default:
		if (only(o, out, what, err) < 0 || want_proto_port(o, what, err) < 0 ||
		    want_peer(json_string_value(json_object_get(o, "peer")), what, err) < 0)
			return -1;
	}
	return want_int(o, "count", 0, INT64_MAX, false, what, err);
}

static const char *const item_arrays[] = { NULL,     "processes", "files",
					   "listen", "outbound",  "inbound" };

int bh_behave_parse(const char *buf, size_t len, size_t max_items, json_t **out,
		    struct bh_error **err)
{
	static const char *const top[] = { "bulkhead_behaviour_profile",
					   "key",
					   "mode",
					   "zero_drift",
					   "overflowed",
					   "events_lost",
					   "events",
					   "learned_seconds",
					   "first_seen",
					   "last_seen",
					   "containers",
					   "promotion",
					   "processes",
					   "files",
					   "listen",
					   "outbound",
					   "inbound",
					   NULL };
	static const char *const promo[] = { "after", "quiet", "to", NULL };
	struct bh_yaml_limits lim = { DOC_MAX_BYTES, 2000000, 16 };
	enum bh_prof_mode m;
	json_t *d = NULL, *v;
	size_t i, j = 0, total = 0;
	char what[64];

	*out = NULL;
	if (!max_items)
		max_items = BEH_DEF_MAX_ITEMS;
	while (j < len && strchr(" \t\r\n", buf[j]))
		j++;
	if (len > DOC_MAX_BYTES)
		return bh_error_set(err, BH_ERR_LIMIT, "behaviour profile: over %u bytes",
				    DOC_MAX_BYTES);
	if ((j < len && buf[j] == '{' ? bh_json_parse(buf, len, DOC_MAX_BYTES, "profile", &d, err)
				      : bh_yaml_parse(buf, len, &lim, "profile", &d, err)) < 0)
		return -1;
	if (only(d, top, "profile", err) < 0)
		goto fail;
	if (!json_is_integer(v = json_object_get(d, "bulkhead_behaviour_profile")) ||
	    json_integer_value(v) != BH_BEHAVE_FORMAT) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "profile: bulkhead_behaviour_profile: expected %d (the format this "
			     "bulkhead reads)",
			     BH_BEHAVE_FORMAT);
		goto fail;
	}
	if (bh_behave_key_check(json_string_value(json_object_get(d, "key")), err) < 0)
		goto fail;
	if ((v = json_object_get(d, "mode")) &&
	    bh_prof_mode_parse(json_string_value(v), &m, err) < 0)
		goto fail;
	if (want_bool(d, "zero_drift", "profile", err) < 0 ||
	    want_bool(d, "overflowed", "profile", err) < 0 ||
	    want_bool(d, "events_lost", "profile", err) < 0 ||
	    want_int(d, "events", 0, INT64_MAX, false, "profile", err) < 0)
		goto fail;
	if ((v = json_object_get(d, "learned_seconds")) &&
	    (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) < 1e12))) {
		bh_error_set(err, BH_ERR_INVALID, "profile.learned_seconds: expected seconds");
		goto fail;
	}
	for (int k = 0; k < 2; k++) {
		const char *n = k ? "last_seen" : "first_seen";
		int64_t t;

		v = json_object_get(d, n);
		if (v && !json_is_null(v) &&
		    (!json_is_string(v) ||
		     bh_time_parse(json_string_value(v), false, &t, err) < 0)) {
			bh_error_set(err, BH_ERR_INVALID, "profile.%s: expected an RFC 3339 time",
				     n);
			goto fail;
		}
	}
	if ((v = json_object_get(d, "containers"))) {
		json_t *c;

		if (!json_is_array(v) || json_array_size(v) > BEH_MAX_CONTAINERS) {
			bh_error_set(err, BH_ERR_INVALID,
				     "profile.containers: expected a list of at most %d IDs",
				     BEH_MAX_CONTAINERS);
			goto fail;
		}
		json_array_foreach (v, i, c) {
			const char *s = json_string_value(c);
			size_t n = s ? strlen(s) : 0;
			bool ok = n > 0 && n < BH_MON_CID_MAX;

			for (size_t x = 0; ok && x < n; x++)
				ok = bh_isalnum((unsigned char)s[x]) || strchr("._-", s[x]);
			if (!ok) {
				bh_error_set(err, BH_ERR_INVALID,
					     "profile.containers[%zu]: expected a container ID", i);
				goto fail;
			}
		}
	}
	if ((v = json_object_get(d, "promotion"))) {
		json_t *a = json_object_get(v, "after");

		if (only(v, promo, "profile.promotion", err) < 0 ||
		    want_int(v, "quiet", 1, 1000000, true, "profile.promotion", err) < 0)
			goto fail;
		if (!json_is_number(a) ||
		    !(json_number_value(a) >= 0 && json_number_value(a) < 1e9) ||
		    bh_prof_mode_parse(json_string_value(json_object_get(v, "to")), &m, NULL) < 0 ||
		    m == BH_PROF_DISCOVER) {
			bh_error_set(err, BH_ERR_INVALID,
				     "profile.promotion: expected after (seconds), quiet and to "
				     "(monitor or protect)");
			goto fail;
		}
	}
	for (int k = BH_BEHAVE_PROCESS; k <= BH_BEHAVE_INBOUND; k++) {
		json_t *arr = json_object_get(d, item_arrays[k]), *it;

		if (!arr)
			continue;
		if (!json_is_array(arr)) {
			bh_error_set(err, BH_ERR_INVALID, "profile.%s: expected a list",
				     item_arrays[k]);
			goto fail;
		}
		total += json_array_size(arr);
		if (total > max_items) {
			bh_error_set(err, BH_ERR_LIMIT, "profile: more than %zu items", max_items);
			goto fail;
		}
		json_array_foreach (arr, i, it) {
			snprintf(what, sizeof(what), "profile.%s[%zu]", item_arrays[k], i);
			if (check_item(k, it, what, err) < 0)
				goto fail;
		}
	}
	*out = d;
	return 0;
fail:
	json_decref(d);
	return -1;
}

/* ---- writes --------------------------------------------------------------- */

static int begin(sqlite3 *db, struct bh_error **err)
{
	return bh_sqlite_exec(db, "BEGIN IMMEDIATE", "locking the store", err);
}

static int commit(struct bh_behave *b, int r, struct bh_error **err)
{
	sqlite3 *db = db_of(b);

	if (r == 0 && bh_sqlite_exec(db, "COMMIT", "committing", err) == 0)
		return 0;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Run sql with text/integer parameters: "s" a string (NULL: SQL NULL), "i" an int64,
 * "f" a double. The rows changed, or -1 with err set. */
static int run(sqlite3 *db, const char *sql, const char *types, struct bh_error **err, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	va_start(ap, err);
	for (int i = 0; rc == SQLITE_OK && types[i]; i++) {
		if (types[i] == 's') {
			const char *s = va_arg(ap, const char *);

			if (s)
				sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
		} else if (types[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else {
			sqlite3_bind_double(st, i + 1, va_arg(ap, double));
		}
	}
	va_end(ap);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		bh_sqlite_error(db, rc, "writing", err);
		return -1;
	}
	return sqlite3_changes(db);
}

/* The mode row of key (made in discover when missing). */
static int ensure_mode(sqlite3 *db, const char *key, struct bh_error **err)
{
	return run(db,
		   "INSERT OR IGNORE INTO modes (kind, name, mode) VALUES ('" BEH_MODES_KIND
		   "', ?1, 'discover')",
		   "s", err, key) < 0
		       ? -1
		       : 0;
}

/* The profile row of key (made empty when missing). */
static int ensure_row(sqlite3 *db, const char *key, const char *now, struct bh_error **err)
{
	return run(db,
		   "INSERT OR IGNORE INTO behave_profiles (key, created, updated) VALUES (?1, ?2, "
		   "?2)",
		   "ss", err, key, now) < 0
		       ? -1
		       : 0;
}

int bh_behave_set_mode(struct bh_behave *b, const char *key, enum bh_prof_mode mode, int zero_drift,
		       struct bh_error **err)
{
	sqlite3 *db = db_of(b);
	char now[BH_TIME_MAX];
	int r;

	if (bh_behave_key_check(key, err) < 0)
		return -1;
	if ((unsigned)mode > BH_PROF_PROTECT)
		return bh_error_set(err, BH_ERR_USAGE, "no such mode");
	bh_time_rfc3339(NULL, 0, now);
	if (begin(db, err) < 0)
		goto out;
	r = ensure_row(db, key, now, err) < 0 || ensure_mode(db, key, err) < 0 ||
			    run(db,
				"UPDATE modes SET mode = ?2, changed = ?3, reason = 'set by hand', "
				"automatic = 0, quiet = 0 WHERE kind = '" BEH_MODES_KIND
				"' AND name = ?1",
				"sss", err, key, bh_prof_mode_name(mode), now) < 0 ||
			    (zero_drift >= 0 &&
			     run(db,
				 "UPDATE behave_profiles SET zero_drift = ?2, updated = ?3 WHERE "
				 "key = ?1",
				 "sis", err, key, (int64_t)(zero_drift != 0), now) < 0)
		    ? -1
		    : 0;
	if (commit(b, r, err) == 0)
		return 0;
out:
	return bh_error_prefix(err, "behaviour profile %s", key);
}

int bh_behave_set_rule(struct bh_behave *b, const char *key, const struct bh_prof_rule *rule,
		       struct bh_error **err)
{
	sqlite3 *db = db_of(b);
	char now[BH_TIME_MAX];
	int r;

	if (bh_behave_key_check(key, err) < 0)
		return -1;
	if (rule && (rule->to == BH_PROF_DISCOVER || (unsigned)rule->to > BH_PROF_PROTECT ||
		     !rule->runs || !(rule->seconds >= 0)))
		return bh_error_set(
			err, BH_ERR_INVALID,
			"a promotion rule: to monitor or protect, after 1 quiet flush or "
			"more");
	bh_time_rfc3339(NULL, 0, now);
	if (begin(db, err) < 0)
		return bh_error_prefix(err, "behaviour profile %s", key);
	r = ensure_row(db, key, now, err) < 0 || ensure_mode(db, key, err) < 0 ||
			    (rule ? run(db,
					"UPDATE modes SET after = ?2, runs = ?3, target = ?4, "
					"quiet = 0 "
					"WHERE kind = '" BEH_MODES_KIND "' AND name = ?1",
					"sfis", err, key, rule->seconds, (int64_t)rule->runs,
					bh_prof_mode_name(rule->to))
				  : run(db,
					"UPDATE modes SET after = NULL, runs = NULL, target = NULL "
					"WHERE kind = '" BEH_MODES_KIND "' AND name = ?1",
					"s", err, key)) < 0
		    ? -1
		    : 0;
	if (commit(b, r, err) < 0)
		return bh_error_prefix(err, "behaviour profile %s", key);
	return 0;
}

int bh_behave_delete(struct bh_behave *b, const char *key, struct bh_error **err)
{
	sqlite3 *db = db_of(b);
	int n = 0, r = 0, k;

	if (bh_behave_key_check(key, err) < 0)
		return -1;
	if (begin(db, err) < 0)
		return bh_error_prefix(err, "behaviour profile %s", key);
	if ((k = run(db, "DELETE FROM behave_items WHERE key = ?1", "s", err, key)) < 0 ||
	    (n = run(db, "DELETE FROM behave_profiles WHERE key = ?1", "s", err, key)) < 0 ||
	    (k = run(db, "DELETE FROM modes WHERE kind = '" BEH_MODES_KIND "' AND name = ?1", "s",
		     err, key)) < 0)
		r = -1;
	else if (!n && !k)
		r = bh_error_set(err, BH_ERR_NOTFOUND, "no behaviour profile %s", key);
	if (commit(b, r, err) < 0)
		return n == 0 && r < 0 ? -1 : bh_error_prefix(err, "behaviour profile %s", key);
	return 0;
}

/* kind's (value, extra) of a checked document item into v and x. */
static void item_strings(int kind, const json_t *o, char *v, size_t vn, char *x, size_t xn)
{
	json_int_t port = 0;

	x[0] = 0;
	switch (kind) {
	case BH_BEHAVE_PROCESS:
		snprintf(v, vn, "%s", json_string_value(json_object_get(o, "exe")));
		snprintf(x, xn, "%s", json_string_value(json_object_get(o, "parent")) ?: "");
		break;
	case BH_BEHAVE_FILE:
		snprintf(v, vn, "%s", json_string_value(json_object_get(o, "path")));
		break;
	case BH_BEHAVE_OUTBOUND:
		bh_json_int(o, "port", &port);
		snprintf(v, vn, "%s", json_string_value(json_object_get(o, "peer")));
		snprintf(x, xn, "%s/%lld", json_string_value(json_object_get(o, "proto")),
			 (long long)port);
		break;
	default:
		bh_json_int(o, "port", &port);
		snprintf(v, vn, "%s/%lld", json_string_value(json_object_get(o, "proto")),
			 (long long)port);
	}
}

int bh_behave_import(struct bh_behave *b, const json_t *doc, const char *key, struct bh_error **err)
{
	sqlite3 *db = db_of(b);
	sqlite3_stmt *st = NULL;
	char now[BH_TIME_MAX], v[BH_MON_PATH_MAX + 16], x[BH_MON_PATH_MAX + 16];
	json_t *mode = json_object_get(doc, "mode"), *zd = json_object_get(doc, "zero_drift");
	json_t *promo = json_object_get(doc, "promotion");
	double secs = json_number_value(json_object_get(doc, "learned_seconds"));
	int64_t last = time_ns(json_object_get(doc, "last_seen"));
	json_int_t events = 0;
	char *cj;
	int r = -1, rc;

	if (!key)
		key = json_string_value(json_object_get(doc, "key"));
	if (bh_behave_key_check(key, err) < 0)
		return -1;
	bh_json_int(doc, "events", &events);
	cj = json_object_get(doc, "containers")
		     ? json_dumps(json_object_get(doc, "containers"), JSON_COMPACT)
		     : bh_strdup("[]");
	bh_time_rfc3339(NULL, 0, now);
	if (begin(db, err) < 0)
		goto out;
	if (run(db, "DELETE FROM behave_items WHERE key = ?1", "s", err, key) < 0 ||
	    run(db,
		"INSERT OR REPLACE INTO behave_profiles (key, zero_drift, overflowed, lost, "
		"events, "
		"first, last, disc_first, disc_last, containers, created, updated) VALUES (?1, ?2, "
		"?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
		"siiiiiiiiss", err, key, (int64_t)json_is_true(zd),
		(int64_t)json_is_true(json_object_get(doc, "overflowed")),
		(int64_t)json_is_true(json_object_get(doc, "events_lost")), (int64_t)events,
		time_ns(json_object_get(doc, "first_seen")), last,
		last > (int64_t)(secs * 1e9) ? last - (int64_t)(secs * 1e9) : 0, last, cj, now) < 0)
		goto out;
	if (mode || promo) {
		if (ensure_mode(db, key, err) < 0)
			goto out;
		if (mode && run(db,
				"UPDATE modes SET mode = ?2, changed = ?3, reason = 'imported', "
				"automatic = 0 WHERE kind = '" BEH_MODES_KIND "' AND name = ?1",
				"sss", err, key, json_string_value(mode), now) < 0)
			goto out;
		if (promo) {
			json_int_t q = 1;

			bh_json_int(promo, "quiet", &q);
			if (run(db,
				"UPDATE modes SET after = ?2, runs = ?3, target = ?4, quiet = 0 "
				"WHERE "
				"kind = '" BEH_MODES_KIND "' AND name = ?1",
				"sfis", err, key,
				json_number_value(json_object_get(promo, "after")), (int64_t)q,
				json_string_value(json_object_get(promo, "to"))) < 0)
				goto out;
		}
	}
	rc = sqlite3_prepare_v2(db, "INSERT INTO behave_items VALUES (?, ?, ?, ?, ?, ?, ?)", -1,
				&st, NULL);
	for (int k = BH_BEHAVE_PROCESS; rc == SQLITE_OK && k <= BH_BEHAVE_INBOUND; k++) {
		json_t *it;
		size_t i;

		json_array_foreach (json_object_get(doc, item_arrays[k]), i, it) {
			json_int_t n = 0;

			item_strings(k, it, v, sizeof(v), x, sizeof(x));
			bh_json_int(it, "count", &n);
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, bh_behave_kind_name((enum bh_behave_kind)k), -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(st, 3, v, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, x, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 5, (int64_t)n);
			sqlite3_bind_int64(st, 6, last);
			sqlite3_bind_int64(st, 7, last);
			rc = sqlite3_step(st);
			if (rc == SQLITE_CONSTRAINT) {
				bh_error_set(err, BH_ERR_INVALID,
					     "profile.%s[%zu]: a duplicate item", item_arrays[k],
					     i);
				goto out;
			}
			if (rc != SQLITE_DONE)
				break;
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		bh_sqlite_error(db, rc, "writing", err);
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	free(cj);
	if (commit(b, r, err) < 0)
		return bh_error_prefix(err, "behaviour profile %s", key);
	return 0;
}
