/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead base: errors, bounded buffers, JSON and YAML helpers, hashing,
 * logging, number parsing and safe file access inside a root directory.
 *
 * Ownership, for the whole library:
 *  - `const T *` arguments are borrowed for the duration of the call;
 *  - `T **out` arguments hand a new object to the caller, who releases it with
 *    the matching `_free()` (or `json_decref()` for jansson values);
 *  - a function that takes ownership of an argument says so in its comment;
 *  - every `_free(NULL)` is a no-op.
 *
 * Errors: a function returns 0 (or a non-negative count) on success and a
 * negative value on failure, after storing a `struct bh_error` in `*err` when
 * `err` is not NULL. Callers add context with bh_error_prefix() while the error
 * travels up, so the final message reads outermost first:
 *   "layer sha256:ab12…: gzip: unexpected end of stream".
 */
#ifndef BULKHEAD_BASE_H
#define BULKHEAD_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#define BH_PRINTF(a, b) __attribute__((format(printf, a, b)))
/*
 * On a function whose failure must not go unnoticed (a state file not
 * written, a complete write cut short): a caller that drops the result is a
 * compile error under -Werror. A caller that really means to ignore a
 * failure passes an error pointer and says why it warns and goes on
 * (bh_error_warn), rather than casting the result away.
 */
#define BH_MUST_CHECK __attribute__((warn_unused_result))

/* ---- errors ------------------------------------------------------------ */

/* What kind of failure; lets callers (and tests) react without string matching. */
enum bh_errcode {
	BH_ERR_INTERNAL = 1, /* a bug or an impossible state */
	BH_ERR_NOMEM,	     /* allocation failed */
	BH_ERR_IO,	     /* a system call failed; sys_errno says why */
	BH_ERR_INVALID,	     /* malformed input (bad JSON, bad tar, bad digest syntax) */
	BH_ERR_LIMIT,	     /* input exceeds a configured limit */
	BH_ERR_DIGEST,	     /* content does not match its digest */
	BH_ERR_NOTFOUND,     /* a named thing does not exist */
	BH_ERR_UNSUPPORTED,  /* valid but not something we handle */
	BH_ERR_UNSAFE,	     /* refused for safety (path escapes root, etc.) */
	BH_ERR_USAGE,	     /* the caller asked for something that makes no sense */
};

struct bh_error {
	enum bh_errcode code;
	int sys_errno;		/* errno for BH_ERR_IO, else 0 */
	char *msg;		/* this level's message */
	struct bh_error *cause; /* inner error, or NULL */
};

/*
 * Store a new error in *err (when err is not NULL and *err is NULL; an error
 * already set is kept, since the first failure is the interesting one).
 * Always returns -1, so `return bh_error_set(err, ...)` reads naturally.
 */
int bh_error_set(struct bh_error **err, enum bh_errcode code, const char *fmt, ...) BH_PRINTF(3, 4);
/* Like bh_error_set with code BH_ERR_IO; appends ": strerror(errnum)". */
int bh_error_sys(struct bh_error **err, int errnum, const char *fmt, ...) BH_PRINTF(3, 4);
/*
 * Wrap *err in an outer error carrying context: the full message becomes
 * "context: inner". The outer error keeps the inner code. No-op when *err is
 * NULL. Returns -1.
 */
int bh_error_prefix(struct bh_error **err, const char *fmt, ...) BH_PRINTF(2, 3);
/* The code of the innermost error (the root cause). */
enum bh_errcode bh_error_code(const struct bh_error *err);
/* The errno of the innermost error that has one, else 0. */
int bh_error_errno(const struct bh_error *err);
/* The whole chain, outermost first, joined with ": ". Caller frees. */
char *bh_error_message(const struct bh_error *err);
void bh_error_free(struct bh_error *err);
/* Free *err and set it to NULL. */
void bh_error_clear(struct bh_error **err);
/*
 * For a failure the caller deliberately survives: log "<context>: <message>"
 * at warning level, then free *err and set it to NULL. No-op when *err is NULL.
 */
void bh_error_warn(struct bh_error **err, const char *fmt, ...) BH_PRINTF(2, 3);

/* ---- memory ------------------------------------------------------------ */

/* Allocation helpers that never return NULL for a non-zero size: on failure
 * they abort, since every caller would do the same and OOM is not input. */
void *bh_malloc(size_t n);
void *bh_calloc(size_t nmemb, size_t size);
void *bh_realloc(void *p, size_t n);
/* realloc of an array with overflow check. */
void *bh_reallocarray(void *p, size_t nmemb, size_t size);
char *bh_strdup(const char *s);
char *bh_strndup(const char *s, size_t n);
/* asprintf that aborts on OOM. */
char *bh_asprintf(const char *fmt, ...) BH_PRINTF(1, 2);

/* ---- bounded buffer ---------------------------------------------------- */

/*
 * The one growable byte buffer. Always NUL-terminated (data[len] == 0) once
 * anything was added. Growth past `max` fails with BH_ERR_LIMIT and leaves the
 * buffer as it was, so input can never grow memory without bound.
 */
struct bh_buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* maximum len, fixed at init */
};

#define BH_BUF_INIT(maxlen)                                                                        \
	{                                                                                          \
		NULL, 0, 0, (maxlen)                                                               \
	}

void bh_buf_init(struct bh_buf *b, size_t max);
/* Free the storage and return to the empty state (max kept). */
void bh_buf_release(struct bh_buf *b);
/* Set len to 0, keep the storage. */
void bh_buf_reset(struct bh_buf *b);
/* Make room for `extra` more bytes (plus the NUL). */
int bh_buf_grow(struct bh_buf *b, size_t extra, struct bh_error **err);
int bh_buf_add(struct bh_buf *b, const void *p, size_t n, struct bh_error **err);
int bh_buf_adds(struct bh_buf *b, const char *s, struct bh_error **err);
int bh_buf_addc(struct bh_buf *b, char c, struct bh_error **err);
int bh_buf_addf(struct bh_buf *b, struct bh_error **err, const char *fmt, ...) BH_PRINTF(3, 4);
int bh_buf_vaddf(struct bh_buf *b, struct bh_error **err, const char *fmt, va_list ap)
	BH_PRINTF(3, 0);
/* Hand the storage to the caller (never NULL: "" when empty); the buffer is
 * left empty. */
char *bh_buf_detach(struct bh_buf *b, size_t *len);
/*
 * Read the whole of fd into b, failing with BH_ERR_LIMIT (naming `what`) if it
 * would exceed b->max. Does not close fd.
 */
int bh_buf_read_fd(struct bh_buf *b, int fd, const char *what, struct bh_error **err);

/* ---- numbers and strings ----------------------------------------------- */

/* Strict decimal parsing: the whole string, no sign, no spaces, no overflow. */
int bh_parse_u64(const char *s, uint64_t *out, struct bh_error **err);
/* A size with an optional suffix K, M, G, T (powers of 1024), e.g. "512M". */
int bh_parse_size(const char *s, uint64_t *out, struct bh_error **err);
bool bh_str_has_prefix(const char *s, const char *prefix);
bool bh_str_has_suffix(const char *s, const char *suffix);
/* Human size for display, e.g. "12.3 MiB". Writes into buf (at least 16 bytes). */
const char *bh_human_size(uint64_t n, char *buf, size_t bufsz);

/* ---- ASCII character classes ------------------------------------------ */

/*
 * The <ctype.h> functions depend on the locale and are undefined for a
 * negative char, which is what a byte over 0x7f in untrusted input is; they
 * are banned (banned.h). These take any char or byte value, answer for ASCII
 * only, and never look at the locale.
 */
static inline bool bh_isdigit(int c)
{
	return c >= '0' && c <= '9';
}
static inline bool bh_isupper(int c)
{
	return c >= 'A' && c <= 'Z';
}
static inline bool bh_islower(int c)
{
	return c >= 'a' && c <= 'z';
}
static inline bool bh_isalpha(int c)
{
	return bh_isupper(c) || bh_islower(c);
}
static inline bool bh_isalnum(int c)
{
	return bh_isalpha(c) || bh_isdigit(c);
}
static inline bool bh_isxdigit(int c)
{
	return bh_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
/* space, \t, \n, \v, \f, \r, as isspace() in the C locale */
static inline bool bh_isspace(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}
/* printable ASCII, space included */
static inline bool bh_isprint(int c)
{
	return c >= 0x20 && c < 0x7f;
}
static inline int bh_tolower(int c)
{
	return bh_isupper(c) ? c + ('a' - 'A') : c;
}
static inline int bh_toupper(int c)
{
	return bh_islower(c) ? c - ('a' - 'A') : c;
}

/* ---- string vectors ---------------------------------------------------- */

/*
 * The one growable list of owned strings. `v` is NULL until the first push,
 * then always NULL-terminated (v[n] == NULL), so it can be handed on as a
 * plain `char **` with bh_strvec_detach. A NULL-terminated `char **` that
 * the library hands out is freed with bh_strv_free.
 */
struct bh_strvec {
	char **v;
	size_t n, cap;
};

#define BH_STRVEC_INIT                                                                             \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Append a copy of s. */
void bh_strvec_push(struct bh_strvec *sv, const char *s);
/* Append s, taking ownership of it. */
void bh_strvec_push_take(struct bh_strvec *sv, char *s);
/* Append a formatted string. */
void bh_strvec_pushf(struct bh_strvec *sv, const char *fmt, ...) BH_PRINTF(2, 3);
/* Free every string and the array; the vector is left empty. */
void bh_strvec_release(struct bh_strvec *sv);
/* Hand the NULL-terminated array to the caller (NULL when empty); the vector
 * is left empty. */
char **bh_strvec_detach(struct bh_strvec *sv);

/* Helpers for NULL-terminated arrays (v may be NULL: the empty array). */
size_t bh_strv_len(char *const *v);
bool bh_strv_contains(char *const *v, const char *s);
/* A deep copy (NULL for NULL). */
char **bh_strv_dup(char *const *v);
void bh_strv_free(char **v);

/* ---- time -------------------------------------------------------------- */

/* Room for the longest RFC 3339 time bh_time_rfc3339 writes, NUL included. */
#define BH_TIME_MAX 40

/*
 * Format `ts` (NULL = now, CLOCK_REALTIME) as an RFC 3339 UTC time with
 * `frac` digits of fractions of a second (0, 3, 6 or 9):
 * "2024-05-06T07:08:09Z", "2024-05-06T07:08:09.123456789Z". Any time_t,
 * without the C library's time-zone state. Returns buf.
 */
const char *bh_time_rfc3339(const struct timespec *ts, unsigned frac, char buf[BH_TIME_MAX]);
/* CLOCK_MONOTONIC in nanoseconds and in milliseconds: for timeouts, deadlines
 * and durations within one boot (never a time to show or store). */
uint64_t bh_mono_ns(void);
uint64_t bh_mono_ms(void);
/* "YYYY-MM-DD HH:MM" in UTC, for tables. Returns buf. */
const char *bh_time_short(int64_t t, char buf[BH_TIME_MAX]);
/*
 * Parse an RFC 3339 date-time ("2024-05-06T07:08:09.5+02:00", "...Z"; a
 * lower-case 't'/'z' and a space for 'T' accepted, as RFC 3339 allows) or,
 * when date_only_ok, a full date "2024-05-06" (midnight UTC), into seconds
 * since the epoch (fractions dropped). Fails with BH_ERR_INVALID naming `s`.
 */
int bh_time_parse(const char *s, bool date_only_ok, int64_t *out, struct bh_error **err);

/* ---- JSON (jansson) ---------------------------------------------------- */

/*
 * Parse exactly one JSON value from (buf, len). Fails with BH_ERR_LIMIT if
 * len > max, BH_ERR_INVALID (naming `what`, line and column) if malformed.
 * Duplicate object keys are rejected: they are a classic source of parser
 * disagreements between tools that sign and tools that run.
 */
int bh_json_parse(const char *buf, size_t len, size_t max, const char *what, json_t **out,
		  struct bh_error **err);
/* Borrowed member lookups that type-check; NULL if absent or of another type. */
const char *bh_json_str(const json_t *obj, const char *key);
json_t *bh_json_obj(const json_t *obj, const char *key);
json_t *bh_json_arr(const json_t *obj, const char *key);
/* Integer member; returns false if absent or not an integer. */
bool bh_json_int(const json_t *obj, const char *key, json_int_t *out);
/* Serialise compactly (flags as json_dumps) and append to b. */
int bh_json_dump_buf(const json_t *v, size_t flags, struct bh_buf *b, struct bh_error **err);

/* ---- YAML (libyaml) ---------------------------------------------------- */

struct bh_yaml_limits {
	size_t max_bytes; /* input size */
	size_t max_nodes; /* nodes after alias expansion (YAML bombs) */
	size_t max_depth;
};

/*
 * Parse the first YAML document in (buf, len) into a jansson tree: mappings
 * become objects (keys must be scalars), sequences arrays, scalars strings
 * (untagged plain scalars `null`, `~`, `true`, `false`, integers and floats get
 * their JSON type). Aliases are expanded, counting every expanded node against
 * max_nodes. NULL limits means the defaults (16 MiB, 1,000,000 nodes, 256).
 */
int bh_yaml_parse(const char *buf, size_t len, const struct bh_yaml_limits *limits,
		  const char *what, json_t **out, struct bh_error **err);

/* Where a node starts in the text: 1-based, as editors count. */
struct bh_yaml_mark {
	size_t line, column;
};
struct bh_yaml_marks; /* node positions by JSON Pointer; opaque */

/*
 * Parse every document of a YAML stream (`---` separated) into *docs, a
 * JSON array with one element per document (an empty document is null),
 * typed as bh_yaml_parse does. The limits apply to the whole stream, and
 * anchors do not cross documents. With `marks` not NULL, the position of
 * every node shallower than mark_depth (a document's root is depth 0) is
 * kept under its JSON Pointer (RFC 6901) with the document index first
 * ("/0/spec/rules/2/kind"), and of every mapping key under the same pointer
 * as its value; free them with bh_yaml_marks_free. Every error names the
 * line and column.
 */
int bh_yaml_parse_stream(const char *buf, size_t len, const struct bh_yaml_limits *limits,
			 const char *what, size_t mark_depth, json_t **docs,
			 struct bh_yaml_marks **marks, struct bh_error **err);
/*
 * Where the node at `pointer` starts (key: where its key in the parent
 * mapping starts), or, when it has no mark, its nearest ancestor's node.
 * False when none is known.
 */
bool bh_yaml_mark_get(const struct bh_yaml_marks *m, const char *pointer, bool key,
		      struct bh_yaml_mark *out);
void bh_yaml_marks_free(struct bh_yaml_marks *m);

/* ---- base64 and hex (src/base/codec.c) ---------------------------------- */

/* Standard base64 (RFC 4648 section 4) with padding, appended to out. */
int bh_base64_encode(const void *p, size_t n, struct bh_buf *out, struct bh_error **err);

#define BH_BASE64_URL	1u /* the URL-safe alphabet ('-', '_'; RFC 4648 section 5) */
#define BH_BASE64_NOPAD 2u /* padding may be left out (where present it must be right) */

/* The most bytes n base64 characters decode to. */
size_t bh_base64_decoded_max(size_t n);
/*
 * Decode base64 into (out, outsz), *outlen its length. Strict: padding
 * required (BH_BASE64_NOPAD: optional), no white space or other stray
 * character, non-zero trailing bits refused. BH_ERR_INVALID naming `what`
 * and the offending byte; BH_ERR_LIMIT when the result would be longer than
 * outsz (nothing is decoded then).
 */
int bh_base64_decode_mem(const char *s, size_t n, unsigned flags, const char *what, void *out,
			 size_t outsz, size_t *outlen, struct bh_error **err);
/* Standard base64, strictly as bh_base64_decode_mem with no flags, appended to
 * out (bounded by out's maximum: BH_ERR_LIMIT); an error names `what`. */
int bh_base64_decode(const char *s, size_t n, const char *what, struct bh_buf *out,
		     struct bh_error **err);

/* Lower-case hex of (p, n) into out, which has room for 2n + 1 bytes (NUL-terminated). */
void bh_hex_encode(const void *p, size_t n, char *out);
/* The value of hex digit c (either case), or -1. */
int bh_hex_digit(int c);
/* The length of the valid UTF-8 sequence at s (n bytes there, n >= 1): 1 to 4,
 * its code point in *cp; 0 when none (a bad or overlong lead, a missing
 * continuation, a surrogate, past U+10FFFF, or cut short by n). */
size_t bh_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

#define BH_HEX_ANY_CASE 1u /* accept 'A'-'F' too */
/*
 * Decode n hex digits (lower-case unless BH_HEX_ANY_CASE) into (out, outsz):
 * the number of bytes, or -1 when n is odd, a character is not a hex digit or
 * the bytes do not fit in outsz (nothing useful is left in out then).
 */
ssize_t bh_hex_decode(const char *s, size_t n, unsigned flags, void *out, size_t outsz);

/* ---- capabilities (src/base/caps.c) ------------------------------------ */

#define BH_NCAPS 41 /* CAP_CHECKPOINT_RESTORE + 1 */

/* "CAP_CHOWN" for 0 ...; NULL past the last this table knows. */
const char *bh_cap_name(int cap);
/* The number of "CAP_CHOWN", "cap_chown" or "CHOWN"; -1 when unknown. */
int bh_cap_from_name(const char *name);

/* ---- hashing ----------------------------------------------------------- */

/* SipHash-1-3 (one compression round, three finalisation rounds) of data under
 * the key (k0, k1): for tables keyed by what a peer chooses. */
uint64_t bh_siphash13(const void *data, size_t len, uint64_t k0, uint64_t k1);

enum bh_hash_algo { BH_HASH_SHA256 = 1, BH_HASH_SHA512 };

#define BH_DIGEST_MAX 136 /* "sha512:" + 128 hex + NUL, rounded */

/* A content digest "algo:hex", validated on parse. */
struct bh_digest {
	enum bh_hash_algo algo;
	char str[BH_DIGEST_MAX]; /* canonical "sha256:<64 lowercase hex>" */
};

/* Parse and validate "sha256:<64 hex>" or "sha512:<128 hex>" (lowercase). */
int bh_digest_parse(const char *s, struct bh_digest *out, struct bh_error **err);
/* The hex part of a parsed digest. */
const char *bh_digest_hex(const struct bh_digest *d);

struct bh_hasher; /* opaque, streaming */

int bh_hasher_new(enum bh_hash_algo algo, struct bh_hasher **out, struct bh_error **err);
void bh_hasher_update(struct bh_hasher *h, const void *p, size_t n);
/* Finish into out (algo:hex). The hasher can be reset and reused. */
void bh_hasher_final(struct bh_hasher *h, struct bh_digest *out);
void bh_hasher_reset(struct bh_hasher *h);
void bh_hasher_free(struct bh_hasher *h);
/* One-shot SHA-256 of a buffer. */
void bh_sha256(const void *p, size_t n, struct bh_digest *out);

/* ---- logging ----------------------------------------------------------- */

enum bh_log_level { BH_LOG_ERROR = 0, BH_LOG_WARN, BH_LOG_INFO, BH_LOG_DEBUG };

/* Receives every log message at or above the set level. `msg` has no newline. */
typedef void (*bh_log_fn)(enum bh_log_level level, const char *msg, void *data);

/* Installed by the program (the CLI); the library itself never prints. With
 * no handler installed, messages are dropped. */
void bh_log_set_handler(bh_log_fn fn, void *data);
void bh_log_set_level(enum bh_log_level level);
enum bh_log_level bh_log_get_level(void);
bool bh_log_enabled(enum bh_log_level level);
void bh_log(enum bh_log_level level, const char *fmt, ...) BH_PRINTF(2, 3);
const char *bh_log_level_name(enum bh_log_level level);
/* "error", "warn"/"warning", "info", "debug"; -1 if unknown. */
int bh_log_level_parse(const char *s);

#define bh_warn(...) bh_log(BH_LOG_WARN, __VA_ARGS__)
#define bh_info(...) bh_log(BH_LOG_INFO, __VA_ARGS__)
#define bh_debug(...)                                                                              \
	do {                                                                                       \
		if (bh_log_enabled(BH_LOG_DEBUG))                                                  \
			bh_log(BH_LOG_DEBUG, __VA_ARGS__);                                         \
	} while (0)

/* ---- paths and safe file access --------------------------------------- */

/*
 * Normalise a relative path from untrusted input (a tar member name, a path in
 * a manifest) into out: strips leading "/" and "./", collapses "//" and ".",
 * drops a trailing "/". With allow_dotdot false, any ".." component is
 * refused (BH_ERR_UNSAFE); with it true, ".." is resolved lexically and
 * refused only when it would climb above the top. The result "" means the
 * root itself. Refuses NUL-free paths longer than max_len (BH_ERR_LIMIT).
 */
int bh_path_clean(const char *in, bool allow_dotdot, size_t max_len, struct bh_buf *out,
		  struct bh_error **err);

/* Open a directory to serve as a root for the calls below (O_PATH|O_DIRECTORY). */
int bh_root_open(const char *dir, struct bh_error **err);

/*
 * openat2(rootfd, path, flags, mode) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS:
 * "..", absolute paths and absolute symlinks are all resolved as if rootfd
 * were "/", so the result can never be outside it. O_CLOEXEC is always added.
 * On kernels without openat2 an equivalent walk is done component by component
 * with O_NOFOLLOW (see bh_root_walk). Returns the fd or -1.
 */
int bh_root_openat(int rootfd, const char *path, int flags, mode_t mode, struct bh_error **err);
/* The portable walk that bh_root_openat falls back to; exposed for tests. */
int bh_root_walk(int rootfd, const char *path, int flags, mode_t mode, struct bh_error **err);

/*
 * A field of /proc/PID/mountinfo (s, n bytes) with the kernel's octal escapes
 * (\ooo: space, tab, newline and backslash; \000-\377) turned back into their
 * bytes, into out (room for n + 1: never longer), NUL-terminated; anything
 * else, a lone or short backslash too, is copied as is. Returns the length.
 */
size_t bh_mount_unescape(const char *s, size_t n, char *out);
/* Create directories along path inside rootfd (like mkdir -p), in-root
 * resolution throughout. Returns an O_PATH|O_DIRECTORY fd of the last one. */
int bh_root_mkdirs(int rootfd, const char *path, mode_t mode, struct bh_error **err);

/* mkdir -p on the host: `path` with `mode`, its missing parents with
 * `parent_mode`; what exists is left as it is. One mkdir when the parents exist. */
int bh_mkdirs(const char *path, mode_t parent_mode, mode_t mode, struct bh_error **err);

/* Write `len` bytes to fd completely, retrying on EINTR and short writes. */
BH_MUST_CHECK int bh_write_all(int fd, const void *p, size_t len, struct bh_error **err);
/*
 * Write (p, len) to `path` atomically: a temporary file in the same directory,
 * fsync, rename over path. Nothing is left behind on failure.
 */
BH_MUST_CHECK int bh_write_file_atomic(const char *path, const void *p, size_t len, mode_t mode,
				       struct bh_error **err);
/* The same without the fsync: a reader never sees part of the file, but a
 * crash may lose it (for files that are made again on demand). */
BH_MUST_CHECK int bh_write_file_replace(const char *path, const void *p, size_t len, mode_t mode,
					struct bh_error **err);
/*
 * A new temporary file beside `path` ("PATH.tmp.XXXXXX", O_CLOEXEC, `mode`),
 * for a file written whole before it takes path's place: its fd, and *tmp its
 * name (the caller's: unlink and free it on a failure before
 * bh_tmp_install). -1 with *tmp NULL on failure, nothing left behind.
 */
int bh_tmp_beside(const char *path, mode_t mode, char **tmp, struct bh_error **err);
/*
 * Put the temporary file tmp (open at fd) in path's place: fsync when `sync`,
 * close, rename over path. Takes fd and tmp (freed); on failure the temporary
 * is removed and path is as it was.
 */
int bh_tmp_install(int fd, char *tmp, const char *path, bool sync, struct bh_error **err);
/* Read a whole file into b (bounded by b->max). */
int bh_read_file(const char *path, struct bh_buf *b, struct bh_error **err);
/*
 * Whether the file open at fd may be read whole: a regular file (a FIFO or a
 * device never is: BH_ERR_UNSAFE, "WHAT: not a regular file") of at most `max`
 * bytes (BH_ERR_LIMIT, "WHAT: N bytes, over the limit of MAX"). *size (may be
 * NULL) gets its size. For files anyone could have put there: open them with
 * O_NONBLOCK, so a FIFO does not block the open.
 */
int bh_fd_regular(int fd, const char *what, uint64_t max, uint64_t *size, struct bh_error **err);
/* The regular file open at fd read whole into b: bh_fd_regular against b->max,
 * then bh_buf_read_fd (errors name `what`). fd stays the caller's. */
int bh_read_fd_regular(int fd, const char *what, struct bh_buf *b, struct bh_error **err);
/*
 * A short kernel file (cgroup, /proc): one read of at most size - 1 bytes into buf,
 * NUL-terminated, trailing newlines and spaces removed. Returns the length, or -1
 * with errno set (no error object: callers probe files that may be gone).
 */
int bh_read_small(const char *path, char *buf, size_t size);
/* Write the string v to the existing file path (O_NOFOLLOW) in one write(2):
 * "opening PATH" or "writing 'V' to PATH" on failure. */
int bh_write_small(const char *path, const char *v, struct bh_error **err);
/*
 * A directory that an operation will create: 1 if `dir` does not exist, 0
 * if it is an empty directory (not a symlink), else BH_ERR_USAGE ("... exists
 * and is not empty").
 */
int bh_check_new_dir(const char *dir, struct bh_error **err);
/* Remove a directory tree without following symlinks (rm -rf). ENOENT is
 * success. dirfd may be AT_FDCWD. */
int bh_remove_tree(int dirfd, const char *path, struct bh_error **err);

/* ---- compact binary records --------------------------------------------- */
/*
 * The encoding of what bulkhead keeps between runs in its own files (the
 * layer cache): a writer that appends to a bh_buf and a bounded reader of
 * (pointer, length). An integer is an unsigned LEB128 varint (a signed one
 * zigzag-encoded first); a string is its length + 1 and its bytes (0 for
 * NULL); bytes are their length and the bytes. Nothing is aligned, nothing
 * is typed: the format of a record is the code that writes it.
 *
 * The first failure sticks, so a writer or reader is checked once at the
 * end: the writer's when its buffer reaches its maximum, the reader's on a
 * truncated input, an over-long varint, a value over the limit the caller
 * gives, or a string with a NUL byte in it. A failed reader returns 0, NULL
 * and empty bytes from then on; nothing it read before is trusted.
 */
struct bh_pack {
	struct bh_buf *b; /* borrowed */
	bool failed;
};

void bh_pack_u64(struct bh_pack *w, uint64_t v);
void bh_pack_i64(struct bh_pack *w, int64_t v);
void bh_pack_str(struct bh_pack *w, const char *s); /* s may be NULL */
void bh_pack_strn(struct bh_pack *w, const char *s, size_t n);
void bh_pack_bytes(struct bh_pack *w, const void *p, size_t n);
/* n raw bytes, no length (the reader knows n: bh_unpack_fixed). */
void bh_pack_fixed(struct bh_pack *w, const void *p, size_t n);

struct bh_unpack {
	const unsigned char *p, *end;
	bool failed;
};

void bh_unpack_init(struct bh_unpack *r, const void *p, size_t n);
/* An integer of at most max (a larger one fails the reader). */
uint64_t bh_unpack_u64(struct bh_unpack *r, uint64_t max);
int64_t bh_unpack_i64(struct bh_unpack *r);
/*
 * A count of items that each take at least one byte: at most max and at most
 * the bytes left, so a hostile count cannot make the caller allocate more
 * than the input could describe.
 */
size_t bh_unpack_count(struct bh_unpack *r, size_t max);
/* A new string of at most max bytes, or NULL (a NULL was written, or the
 * reader failed: tell them apart with r->failed). */
char *bh_unpack_str(struct bh_unpack *r, size_t max);
/* The same, not NULL: a NULL fails the reader. */
char *bh_unpack_str_nn(struct bh_unpack *r, size_t max);
/* At most max bytes, borrowed from the input (NULL with *n = 0 when empty). */
const void *bh_unpack_bytes(struct bh_unpack *r, size_t *n, size_t max);
/* Exactly n bytes into out (zeroed on failure). */
void bh_unpack_fixed(struct bh_unpack *r, void *out, size_t n);
/* The reader did not fail and used up its input. */
bool bh_unpack_done(const struct bh_unpack *r);

/* ---- string-keyed hash map --------------------------------------------- */

/*
 * Keys are byte strings (copied into the map); values are borrowed pointers.
 * Hashing is SipHash-1-3 with a per-map random key, so input chosen to
 * collide (file names in a hostile image) cannot degrade it.
 */
struct bh_map;

struct bh_map *bh_map_new(void);
/* Free the map; free_value (may be NULL) is called on every value. */
void bh_map_free(struct bh_map *m, void (*free_value)(void *));
size_t bh_map_size(const struct bh_map *m);
void *bh_map_get(const struct bh_map *m, const char *key, size_t len);
/* Insert or replace; returns the previous value (or NULL). */
void *bh_map_put(struct bh_map *m, const char *key, size_t len, void *value);
/* Remove; returns the removed value (or NULL). */
void *bh_map_del(struct bh_map *m, const char *key, size_t len);
/* Iterate: start with *pos = 0; returns false at the end. Order is arbitrary. */
bool bh_map_next(const struct bh_map *m, size_t *pos, const char **key, size_t *len, void **value);

#endif /* BULKHEAD_BASE_H */
