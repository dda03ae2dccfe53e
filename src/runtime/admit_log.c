/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admission decision log (include/bulkhead/runtime.h, admit17): a
 * denial at create leaves no container behind, so the decision itself is
 * what the node agent reports (src/agent/admission.c tails this log).
 *
 * Writers: every `bulkhead create` appends one line under an flock of
 * <root>/.admission@lock, rotating first when the line would take the log
 * past its cap; O_APPEND and one write(2) of the whole line, so a reader
 * never sees two writers' bytes interleaved. The webhook's writer thread
 * (declog19) appends a batch under one lock: the lines in one write, cut
 * where a line would take the log past its cap (written, rotated, the rest
 * in the new log), each line shrunk as a single one is. A crash in the write leaves a
 * torn last line: the next append starts it on a line of its own (a newline
 * first when the file does not end with one).
 *
 * Readers: a cursor (dev, ino, offset). When the log's inode is not the
 * cursor's the log was rotated: the rest of .admission@log.1 (when it is the
 * cursor's inode) comes first, then the new log from 0. A log shorter than
 * the offset was replaced: read from 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/policy.h"
#include "internal.h"
#include "banned.h"

#define LOCK_NAME  ".admission@lock"
#define ROT_SUFFIX ".1"
#define STR_CUT	   512 /* one string of an entry */
#define MSG_CUT	   300
#define RULES_MAX  8
#define READ_MAX   256
#define CHUNK	   (64u << 10)

/* ---- the entry ------------------------------------------------------------------------- */

/*
 * s cut to at most n bytes, not inside a UTF-8 sequence, each byte that is
 * not valid UTF-8 replaced by U+FFFD (jansson refuses invalid UTF-8: the
 * field would be lost)
 */
static json_t *cut(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t l = strlen(s), o = 0;
	char *b = malloc(n + 1);
	json_t *v;

	if (!b)
		return NULL;
	for (size_t i = 0; i < l;) {
		uint32_t cp;
		size_t k = bh_utf8_seq(p + i, l - i, &cp);

		if (k) {
			if (o + k > n)
				break;
			memcpy(b + o, p + i, k);
			o += k;
			i += k;
		} else {
			if (o + 3 > n)
				break;
			memcpy(b + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	v = json_stringn(b, o);
	free(b);
	return v;
}

void bh_rt_admit_log_set(json_t *o, const char *k, const char *s, size_t n)
{
	json_t *v;

	if (!s || !*s)
		return;
	v = cut(s, n);
	if (v)
		json_object_set_new(o, k, v);
}

json_t *bh_rt_admit_log_rules(const struct bh_policy_result *res)
{
	json_t *rules = json_array();

	for (size_t i = 0; rules && res && i < res->n && json_array_size(rules) < RULES_MAX; i++) {
		const struct bh_policy_hit *h = &res->v[i];
		json_t *r = json_object();

		if (!r)
			break;
		bh_rt_admit_log_set(r, "rule", h->rule, 128);
		json_object_set_new(r, "action", json_string(bh_policy_action_name(h->action)));
		bh_rt_admit_log_set(r, "section", h->section, 16);
		bh_rt_admit_log_set(r, "message", h->message, MSG_CUT);
		json_array_append_new(rules, r);
	}
	return rules;
}

static const char *const NAME_ANN[] = { "io.kubernetes.cri.container-name",
					"io.kubernetes.container.name", "nerdctl/name",
					"io.podman.annotations.name", NULL };

json_t *bh_rt_admit_log_entry_new(const char *decision, const char *source, const char *id,
				  size_t id_max, const struct bh_policy_result *res)
{
	json_t *e = json_object(), *rules = bh_rt_admit_log_rules(res);

	if (!e || !rules) {
		json_decref(e);
		json_decref(rules);
		return NULL;
	}
	json_object_set_new(e, "ts", json_integer((json_int_t)time(NULL)));
	json_object_set_new(e, "decision", json_string(decision));
	if (source)
		json_object_set_new(e, "source", json_string(source));
	bh_rt_admit_log_set(e, "id", id, id_max);
	json_object_set_new(e, "rules", rules);
	return e;
}

json_t *rt_admit_entry(const char *id, const json_t *config, const struct bh_policy_result *res,
		       const char *image, const char *digest, const struct bh_error *failed)
{
	const json_t *ann = bh_json_obj(config, "annotations");
	const char *decision = failed ? "error" : res && res->denied ? "deny" : "allow";
	json_t *e = bh_rt_admit_log_entry_new(decision, NULL, id, 256, res);

	if (!e)
		return NULL;
	for (size_t i = 0; ann && NAME_ANN[i]; i++)
		if (bh_json_str(ann, NAME_ANN[i])) {
			bh_rt_admit_log_set(e, "name", bh_json_str(ann, NAME_ANN[i]), 256);
			break;
		}
	bh_rt_admit_log_set(e, "image", image, STR_CUT);
	bh_rt_admit_log_set(e, "digest", digest, 128);
	if (failed) {
		char *m = bh_error_message(failed);

		bh_rt_admit_log_set(e, "reason", m, 1024);
		free(m);
	}
	return e;
}

/* ---- appending ------------------------------------------------------------------------- */

static char *path_in(const char *root, const char *name)
{
	return bh_asprintf("%s/%s", root, name);
}

static char *dump_if_fits(const json_t *e)
{
	char *line = json_dumps(e, JSON_COMPACT);

	if (line && strlen(line) + 2 > BH_RT_ADMIT_LINE_MAX) {
		free(line);
		return NULL;
	}
	return line;
}

/* the string k of e cut to a quarter of its bytes */
static void quarter(json_t *e, const char *k)
{
	const char *s = bh_json_str(e, k);
	json_t *v;

	if (!s)
		return;
	v = cut(s, strlen(s) / 4);
	if (v)
		json_object_set_new(e, k, v);
}

/*
 * The line of entry, at most BH_RT_ADMIT_LINE_MAX with its newline: JSON
 * escapes can grow a string 6x past the cuts of rt_admit_entry (and a
 * caller's entry may hold anything), so an entry too long is shrunk ("truncated":
 * true): the rules' messages go, then name, image, reason, digest, message
 * and namespace are cut to a quarter (twice), and last {ts, decision, id,
 * source?, truncated}: a decision is never lost to its size. NULL: out of memory.
 */
static char *dump_fitting(const json_t *entry)
{
	static const char *const SHRINK[] = { "name",	 "image",     "reason", "digest",
					      "message", "namespace", NULL };
	json_t *e, *rules, *r, *m;
	char *line = json_dumps(entry, JSON_COMPACT);
	size_t i;

	if (!line || strlen(line) + 2 <= BH_RT_ADMIT_LINE_MAX)
		return line;
	free(line);
	line = NULL;
	e = json_deep_copy(entry);
	if (e && json_is_object(e)) {
		json_object_set_new(e, "truncated", json_true());
		rules = json_object_get(e, "rules");
		json_array_foreach (rules, i, r)
			if (json_is_object(r))
				json_object_del(r, "message");
		line = dump_if_fits(e);
		for (int round = 0; !line && round < 2; round++) {
			for (i = 0; SHRINK[i]; i++)
				quarter(e, SHRINK[i]);
			line = dump_if_fits(e);
		}
	}
	json_decref(e);
	if (line)
		return line;
	m = json_object();
	if (!m)
		return NULL;
	r = json_object_get(entry, "ts");
	json_object_set_new(m, "ts",
			    json_is_integer(r) ? json_integer(json_integer_value(r))
					       : json_integer((json_int_t)time(NULL)));
	r = json_object_get(entry, "decision");
	json_object_set_new(m, "decision", cut(json_is_string(r) ? json_string_value(r) : "?", 16));
	r = json_object_get(entry, "id");
	if (json_is_string(r))
		json_object_set_new(m, "id", cut(json_string_value(r), 256));
	r = json_object_get(entry, "source"); /* the webhook's (webhook19) */
	if (json_is_string(r))
		json_object_set_new(m, "source", cut(json_string_value(r), 16));
	json_object_set_new(m, "truncated", json_true());
	line = dump_if_fits(m);
	json_decref(m);
	return line;
}

/* write the pending lines [*from, to) of b (their bytes b->data[0..b->len)) in one write */
static int flush_lines(int fd, struct bh_buf *b, size_t *from, size_t to, size_t *written,
		       const char *log, struct bh_error **err)
{
	if (b->len && bh_write_all(fd, b->data, b->len, err) < 0)
		return bh_error_prefix(err, "admission log: %s", log);
	bh_buf_reset(b);
	if (written)
		*written += to - *from;
	*from = to;
	return 0;
}

int bh_rt_admit_log_append_batch(const char *root, const json_t *const *entries, size_t n,
				 uint64_t cap, size_t *written, struct bh_error **err)
{
	char *lock = path_in(root, LOCK_NAME), *log = path_in(root, BH_RT_ADMIT_LOG);
	char *rot = bh_asprintf("%s" ROT_SUFFIX, log);
	char **lines = bh_calloc(n ? n : 1, sizeof(*lines));
	struct bh_buf b = BH_BUF_INIT(SIZE_MAX);
	int lfd = -1, fd = -1, r = -1;
	uint64_t size;
	size_t from = 0;
	struct stat st;

	if (written)
		*written = 0;
	if (!cap)
		cap = BH_RT_ADMIT_LOG_MAX;
	for (size_t i = 0; i < n; i++) {
		lines[i] = dump_fitting(entries[i]);
		if (!lines[i]) {
			bh_error_set(err, BH_ERR_NOMEM, "admission log: the entry");
			goto out;
		}
	}
	if (!n) {
		r = 0;
		goto out;
	}
	lfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		bh_error_sys(err, errno, "admission log: locking %s", lock);
		goto out;
	}
	/* read-write: the torn-line check reads its last byte through it */
	fd = open(log, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		bh_error_sys(err, fd < 0 ? errno : EINVAL, "admission log: %s", log);
		goto out;
	}
	size = (uint64_t)st.st_size;
	if (size > 0 && size + strlen(lines[0]) + 1 <= cap) {
		/* a torn last line (a writer that died in its write) ends here */
		char last = '\n';

		if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
			if (bh_buf_add(&b, "\n", 1, err) < 0)
				goto out;
			size++;
		}
	}
	/* the lines in one write; rotated first where a line would take the log past cap */
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);

		if (size + len + 1 > cap && size > 0) {
			if (flush_lines(fd, &b, &from, i, written, log, err) < 0)
				goto out;
			if (rename(log, rot) < 0) {
				bh_error_sys(err, errno, "admission log: rotating %s", log);
				goto out;
			}
			close(fd);
			fd = open(log,
				  O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				  0600);
			if (fd < 0) {
				bh_error_sys(err, errno, "admission log: %s", log);
				goto out;
			}
			size = 0;
		}
		lines[i][len++] = '\n'; /* over the NUL: json_dumps' buffer holds len + 1 */
		if (bh_buf_add(&b, lines[i], len, err) < 0)
			goto out;
		size += len;
	}
	if (flush_lines(fd, &b, &from, n, written, log, err) < 0)
		goto out;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd); /* the lock goes with it */
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	bh_buf_release(&b);
	free(lock);
	free(log);
	free(rot);
	return r;
}

int bh_rt_admit_log_append(const char *root, const json_t *entry, uint64_t cap,
			   struct bh_error **err)
{
	return bh_rt_admit_log_append_batch(root, &entry, 1, cap, NULL, err);
}

/* ---- reading --------------------------------------------------------------------------- */

struct reader {
	int (*fn)(void *, const json_t *, struct bh_error **);
	void *data;
	uint64_t *bad;
	size_t max, given;
};

/*
 * The whole lines of fd from *off, each to the reader; *off after the last
 * one taken. Returns 0 (the end, or max reached), < 0 (fn's error).
 */
static int read_lines(int fd, uint64_t *off, struct reader *rd, struct bh_error **err)
{
	char *buf = malloc(CHUNK + 1);
	size_t have = 0;
	bool skipping = false; /* inside a line over the limit */
	uint64_t at = *off;    /* the file offset of buf[0] */
	int r = 0;

	if (!buf)
		return bh_error_set(err, BH_ERR_NOMEM, "admission log");
	while (rd->given < rd->max) {
		ssize_t n = pread(fd, buf + have, CHUNK - have, (off_t)(at + have));
		size_t start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = bh_error_sys(err, errno, "admission log: reading");
			break;
		}
		if (n == 0)
			break; /* what is left is a torn line: it waits */
		have += (size_t)n;
		for (;;) {
			char *nl = memchr(buf + start, '\n', have - start);
			size_t l;
			json_t *v = NULL;
			struct bh_error *pe = NULL;

			if (!nl || rd->given >= rd->max)
				break;
			l = (size_t)(nl - (buf + start));
			if (skipping || l + 1 > BH_RT_ADMIT_LINE_MAX ||
			    bh_json_parse(buf + start, l, BH_RT_ADMIT_LINE_MAX, "admission log", &v,
					  &pe) < 0 ||
			    !json_is_object(v)) {
				if (rd->bad && l)
					(*rd->bad)++;
				skipping = false;
			} else if (rd->fn(rd->data, v, err) < 0) {
				json_decref(v);
				r = -1;
				goto out;
			} else {
				rd->given++;
			}
			json_decref(v);
			bh_error_free(pe);
			start += l + 1;
			*off = at + start;
		}
		if (rd->given >= rd->max)
			break;
		if (start == 0 && have == CHUNK) {
			/* a line longer than a chunk: over the limit, skipped to its newline */
			skipping = true;
			start = have;
		}
		memmove(buf, buf + start, have - start);
		at += start;
		have -= start;
		if (skipping && !have)
			continue;
	}
out:
	free(buf);
	return r;
}

static int open_log(const char *path, struct stat *st, struct bh_error **err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return errno == ENOENT ? -2 : bh_error_sys(err, errno, "admission log: %s", path);
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return bh_error_set(err, BH_ERR_INVALID, "admission log: %s is not a file", path);
	}
	return fd;
}

int bh_rt_admit_log_read(const char *root, struct bh_rt_admit_cursor *cur, size_t max,
			 int (*fn)(void *data, const json_t *entry, struct bh_error **err),
			 void *data, uint64_t *bad, struct bh_error **err)
{
	char *log = path_in(root, BH_RT_ADMIT_LOG), *rot = bh_asprintf("%s" ROT_SUFFIX, log);
	struct reader rd = { fn, data, bad, max ? max : READ_MAX, 0 };
	struct stat st, rst;
	int fd = -1, rfd = -1, r = -1;

	fd = open_log(log, &st, err);
	if (fd == -1)
		goto out;
	if (fd == -2) {
		r = 0; /* no log yet: no decision made */
		goto out;
	}
	if (cur->ino && (cur->ino != (uint64_t)st.st_ino || cur->dev != (uint64_t)st.st_dev)) {
		/* rotated under the cursor: the rest of the old log first */
		rfd = open_log(rot, &rst, err);
		if (rfd == -1)
			goto out;
		if (rfd >= 0 && (uint64_t)rst.st_ino == cur->ino &&
		    (uint64_t)rst.st_dev == cur->dev) {
			uint64_t off = cur->off;

			if (read_lines(rfd, &off, &rd, err) < 0) {
				cur->off = off;
				goto out;
			}
			cur->off = off;
			if (rd.given >= rd.max) {
				r = (int)rd.given;
				goto out;
			}
		}
		/* else: rotated twice since (or .1 gone): what was there is lost */
		cur->dev = (uint64_t)st.st_dev;
		cur->ino = (uint64_t)st.st_ino;
		cur->off = 0;
	} else if (!cur->ino) {
		cur->dev = (uint64_t)st.st_dev;
		cur->ino = (uint64_t)st.st_ino;
		cur->off = 0;
	}
	if (cur->off > (uint64_t)st.st_size)
		cur->off = 0; /* truncated in place */
	if (read_lines(fd, &cur->off, &rd, err) < 0)
		goto out;
	r = (int)rd.given;
out:
	if (fd >= 0)
		close(fd);
	if (rfd >= 0)
		close(rfd);
	free(log);
	free(rot);
	return r;
}
