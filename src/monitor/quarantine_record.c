/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Quarantine records: their JSON and its strict parser, and their files
 * under the state directory (records are files anyone with access to the
 * directory could have written: regular files only, bounded, every field
 * checked). The caller (quarantine.c) holds the directory's lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/quarantine.h"
#include "quarantine_internal.h"
#include "base/dir.h"
#include "banned.h"

/* An ID that can name a file in the state directory. */
bool quar_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > 200 || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] == '/' || (unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			return false;
	return true;
}

void bh_quar_record_release(struct bh_quar_record *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->name);
	free(r->time);
	free(r->reason);
	free(r->freezer);
	memset(r, 0, sizeof(*r));
}

void bh_quar_record_free(struct bh_quar_record *r)
{
	bh_quar_record_release(r);
	free(r);
}

void bh_quar_records_free(struct bh_quar_record *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		bh_quar_record_release(&v[i]);
	free(v);
}

static const char *net_name(enum bh_quar_net n)
{
	return n == BH_QUAR_NET_CUT ? "cut" : n == BH_QUAR_NET_HOST ? "host-namespace" : "none";
}

/* Whether s is valid UTF-8 throughout (bh_utf8_seq). */
bool quar_utf8_ok(const char *s)
{
	size_t n = strlen(s);
	uint32_t cp;

	for (size_t i = 0, l; i < n; i += l)
		if (!(l = bh_utf8_seq((const unsigned char *)s + i, n - i, &cp)))
			return false;
	return true;
}

/* s with each byte that is not part of valid UTF-8 written as the text "\xNN". */
static json_t *text_escaped(const char *s)
{
	size_t n = strlen(s), o = 0, l;
	char *t = bh_malloc(n * 4 + 1);
	json_t *j;

	for (size_t i = 0; i < n; i += l) {
		uint32_t cp;

		l = bh_utf8_seq((const unsigned char *)s + i, n - i, &cp);
		if (l) {
			memcpy(t + o, s + i, l);
			o += l;
		} else {
			snprintf(t + o, 5, "\\x%02x", (unsigned char)s[i]);
			o += 4;
			l = 1;
		}
	}
	t[o] = 0;
	j = json_string(t);
	free(t);
	return j;
}

/*
 * Set key to the string s. Text is kept valid JSON (its non-UTF-8 bytes
 * escaped); an `exact` string (one acted on: the freezer) when err is set is
 * an error instead, never a dropped key.
 */
static int set_str(json_t *j, const char *key, const char *s, bool exact, struct bh_error **err)
{
	json_t *v;

	if (exact && err && !quar_utf8_ok(s))
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "quarantine record: \"%s\" is not UTF-8, which a record "
				    "cannot hold exactly",
				    key);
	v = quar_utf8_ok(s) ? json_string(s) : text_escaped(s);
	if (!v || json_object_set_new(j, key, v) < 0)
		return bh_error_set(err, BH_ERR_NOMEM, "quarantine record: \"%s\"", key);
	return 0;
}

json_t *quar_record_json(const struct bh_quar_record *r, bool live, struct bh_error **err)
{
	json_t *j = json_object();

	if (!j) {
		bh_error_set(err, BH_ERR_NOMEM, "quarantine record");
		return NULL;
	}
	if (set_str(j, "id", r->id, true, err) < 0 ||
	    set_str(j, "name", r->name ? r->name : r->id, false, err) < 0 ||
	    set_str(j, "engine", bh_ctr_engine_name(r->engine), false, err) < 0 ||
	    set_str(j, "time", r->time ? r->time : "", false, err) < 0 ||
	    set_str(j, "reason", r->reason ? r->reason : "", false, err) < 0 ||
	    set_str(j, "freezer", r->freezer ? r->freezer : "", true, err) < 0 ||
	    set_str(j, "network", net_name(r->net), false, err) < 0) {
		json_decref(j);
		return NULL;
	}
	json_object_set_new(j, "pid", json_integer(r->pid));
	json_object_set_new(j, "pid_start", json_integer((json_int_t)r->pid_start));
	json_object_set_new(j, "was_frozen", json_boolean(r->was_frozen));
	json_object_set_new(j, "netns", json_integer((json_int_t)r->netns));
	json_object_set_new(j, "apply_ns", json_integer((json_int_t)r->apply_ns));
	if (r->event_ns)
		json_object_set_new(j, "event_ns", json_integer((json_int_t)r->event_ns));
	if (r->apply_start_ns)
		json_object_set_new(j, "apply_start_ns",
				    json_integer((json_int_t)r->apply_start_ns));
	if (r->contained_ns)
		json_object_set_new(j, "contained_ns", json_integer((json_int_t)r->contained_ns));
	if (live) {
		json_object_set_new(j, "exists", json_boolean(r->exists));
		json_object_set_new(j, "frozen", json_boolean(r->frozen));
		json_object_set_new(j, "cut", json_boolean(r->cut));
	}
	return j;
}

json_t *bh_quar_record_to_json(const struct bh_quar_record *r)
{
	return quar_record_json(r, true, NULL);
}

static int get_str(const json_t *j, const char *key, bool required, char **out,
		   struct bh_error **err)
{
	const json_t *v = json_object_get(j, key);

	if (!v && !required)
		return 0;
	if (!json_is_string(v))
		return bh_error_set(err, BH_ERR_INVALID,
				    "quarantine record: \"%s\" is not a string", key);
	*out = bh_strdup(json_string_value(v));
	return 0;
}

static int get_uint(const json_t *j, const char *key, uint64_t max, uint64_t *out,
		    struct bh_error **err)
{
	const json_t *v = json_object_get(j, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return bh_error_set(err, BH_ERR_INVALID,
				    "quarantine record: \"%s\" is not an integer in range", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* An optional stamp: absent is 0 (records written before it existed). */
static int get_stamp(const json_t *j, const char *key, uint64_t *out, struct bh_error **err)
{
	*out = 0;
	if (!json_object_get(j, key))
		return 0;
	return get_uint(j, key, UINT64_MAX >> 1, out, err);
}

int bh_quar_record_parse(const char *buf, size_t len, struct bh_quar_record *r,
			 struct bh_error **err)
{
	json_t *j = NULL;
	const json_t *v;
	char *s = NULL;
	uint64_t u;
	int ret = -1;

	if (bh_json_parse(buf, len, RECORD_MAX, "quarantine record", &j, err) < 0)
		return -1;
	if (!json_is_object(j)) {
		bh_error_set(err, BH_ERR_INVALID, "quarantine record: not an object");
		goto out;
	}
	if (get_str(j, "id", true, &r->id, err) < 0 ||
	    get_str(j, "name", false, &r->name, err) < 0 ||
	    get_str(j, "time", false, &r->time, err) < 0 ||
	    get_str(j, "reason", false, &r->reason, err) < 0 ||
	    get_str(j, "freezer", true, &r->freezer, err) < 0 ||
	    get_str(j, "engine", true, &s, err) < 0)
		goto out;
	if (!quar_id_ok(r->id)) {
		bh_error_set(err, BH_ERR_INVALID, "quarantine record: bad id");
		goto out;
	}
	r->engine = bh_ctr_engine_parse(s);
	free(s);
	s = NULL;
	if (get_uint(j, "pid", INT32_MAX, &u, err) < 0)
		goto out;
	r->pid = (pid_t)u;
	if (get_uint(j, "pid_start", UINT64_MAX >> 1, &r->pid_start, err) < 0 ||
	    get_uint(j, "netns", UINT64_MAX >> 1, &r->netns, err) < 0 ||
	    get_uint(j, "apply_ns", UINT64_MAX >> 1, &r->apply_ns, err) < 0 ||
	    get_stamp(j, "event_ns", &r->event_ns, err) < 0 ||
	    get_stamp(j, "apply_start_ns", &r->apply_start_ns, err) < 0 ||
	    get_stamp(j, "contained_ns", &r->contained_ns, err) < 0)
		goto out;
	v = json_object_get(j, "was_frozen");
	if (!json_is_boolean(v)) {
		bh_error_set(err, BH_ERR_INVALID,
			     "quarantine record: \"was_frozen\" is not a boolean");
		goto out;
	}
	r->was_frozen = json_is_true(v);
	if (get_str(j, "network", true, &s, err) < 0)
		goto out;
	if (!strcmp(s, "cut")) {
		r->net = BH_QUAR_NET_CUT;
	} else if (!strcmp(s, "host-namespace")) {
		r->net = BH_QUAR_NET_HOST;
	} else {
		bh_error_set(err, BH_ERR_INVALID, "quarantine record: unknown network \"%s\"", s);
		goto out;
	}
	ret = 0;
out:
	free(s);
	json_decref(j);
	if (ret < 0)
		bh_quar_record_release(r);
	return ret;
}

/* ---- the files ---------------------------------------------------------------------- */

/*
 * Read <dir>/<id>.json; 1 read, 0 none, -1 error (a broken file, or not a
 * regular file: a FIFO or a device is never opened for a blocking read).
 */
int quar_record_read(int dfd, const char *id, struct bh_quar_record *r, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(RECORD_MAX);
	char *name = bh_asprintf("%s.json", id);
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), ret = -1;

	memset(r, 0, sizeof(*r));
	if (fd < 0) {
		ret = errno == ENOENT ? 0 : bh_error_sys(err, errno, "quarantine: record %s", name);
		goto out;
	}
	if (bh_read_fd_regular(fd, name, &b, err) < 0) {
		bh_error_prefix(err, "quarantine: record");
		goto out;
	}
	if (bh_quar_record_parse(b.data ? b.data : "", b.len, r, err) < 0) {
		bh_error_prefix(err, "quarantine: record %s", name);
		goto out;
	}
	if (strcmp(r->id, id)) {
		bh_quar_record_release(r);
		bh_error_set(err, BH_ERR_INVALID,
			     "quarantine: record %s: its id is not its file's name", name);
		goto out;
	}
	ret = 1;
out:
	if (fd >= 0)
		close(fd);
	bh_buf_release(&b);
	free(name);
	return ret;
}

int quar_record_write(const char *dir, const struct bh_quar_record *r, struct bh_error **err)
{
	json_t *j = quar_record_json(r, false, err);
	char *s, *path;
	int ret;

	if (!j)
		return bh_error_prefix(err, "quarantine: the record of %s", r->id);
	s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	path = bh_asprintf("%s/%s.json", dir, r->id);
	json_decref(j);
	if (!s) {
		free(path);
		return bh_error_set(err, BH_ERR_NOMEM, "quarantine: record");
	}
	ret = bh_write_file_atomic(path, s, strlen(s), 0600, err);
	free(s);
	free(path);
	return ret;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct bh_quar_record *)a)->id,
		      ((const struct bh_quar_record *)b)->id);
}

/*
 * Every record of the directory dfd, at most QUAR_RECORDS_MAX (in directory order:
 * info->truncated says there were more); the files named *.json that are not
 * records are skipped and counted in info (may be NULL).
 */
int quar_record_read_all(int dfd, struct bh_quar_record **out, size_t *n,
			 struct bh_quar_list_info *info, struct bh_error **err)
{
	DIR *d = bh_opendir_at(dfd);
	struct bh_quar_list_info dummy;
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (!d)
		return bh_error_sys(err, errno, "quarantine: reading the state directory");
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct bh_error *re = NULL;
		struct bh_quar_record r;
		char *id;
		int got;

		if (l <= 5 || !bh_str_has_suffix(e->d_name, ".json") || e->d_name[0] == '.')
			continue;
		if (*n >= QUAR_RECORDS_MAX) {
			info->truncated = true;
			break;
		}
		id = bh_strndup(e->d_name, l - 5);
		got = quar_id_ok(id) ? quar_record_read(dfd, id, &r, &re) : -1;
		if (got == 1) {
			*out = bh_reallocarray(*out, *n + 1, sizeof(**out));
			(*out)[(*n)++] = r;
		} else if (got < 0) {
			if (!info->skipped++) {
				char *m = re ? bh_error_message(re) : NULL;

				snprintf(info->first_skipped, sizeof(info->first_skipped), "%s",
					 m ? m : "quarantine: a record's file name is not an ID");
				free(m);
			}
		}
		bh_error_free(re);
		free(id);
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_rec);
	return 0;
}
