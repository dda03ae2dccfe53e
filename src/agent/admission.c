/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime's and the webhook's admission decisions spooled as events
 * (src/agent/admission.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/admission.h"
#include "bulkhead/agent.h"
#include "banned.h"

#define CURSOR_MAGIC "bulkhead admission cursor"
#define FP_MAX	     256 /* the bytes of a log its cursor's fingerprint covers */
#define POLL_MAX     256 /* entries a poll: the spool's batches stay bounded */

/* cur (and the fingerprint, version 2) read from path; false: no such
 * file, or not a cursor */
static bool load(const char *path, struct bh_rt_admit_cursor *cur, struct agent_adm_root *r)
{
	struct bh_buf b = BH_BUF_INIT(256);
	struct bh_error *e = NULL;
	bool ok = false;

	if (bh_read_file(path, &b, &e) == 0) {
		unsigned long long d, i, o, fl = 0, fp = 0;
		char tail;

		/* the whole file, or nothing: a cursor we cannot read starts at 0 */
		if (b.data &&
		    ((sscanf(b.data, CURSOR_MAGIC " 1 %llu %llu %llu%c", &d, &i, &o, &tail) == 4 &&
		      tail == '\n') ||
		     (sscanf(b.data, CURSOR_MAGIC " 2 %llu %llu %llu %llu %llx%c", &d, &i, &o, &fl,
			     &fp, &tail) == 6 &&
		      tail == '\n' && fl <= FP_MAX && fl <= o))) {
			cur->dev = d;
			cur->ino = i;
			cur->off = o;
			if (r) {
				r->fplen = (uint32_t)fl;
				r->fp = fp;
			}
			ok = true;
		}
	}
	bh_error_free(e);
	bh_buf_release(&b);
	return ok;
}

/* whether the file at root/name is the one cur points at */
static bool is_file_of(const char *root, const char *name, const struct bh_rt_admit_cursor *cur)
{
	char *p = bh_asprintf("%s/%s", root, name);
	struct stat st;
	bool r = !lstat(p, &st) && S_ISREG(st.st_mode) && (uint64_t)st.st_ino == cur->ino &&
		 (uint64_t)st.st_dev == cur->dev;

	free(p);
	return r;
}

int agent_adm_open(struct agent_adm *a, const char *const *roots, size_t n, const char *state_dir,
		   struct bh_error **err)
{
	char *legacy = bh_asprintf("%s/admission.cursor", state_dir);
	struct bh_rt_admit_cursor old = { 0, 0, 0 };
	bool have_old;

	memset(a, 0, sizeof(*a));
	if (n > BH_AGENT_ADM_ROOTS_MAX) {
		free(legacy);
		return bh_error_set(err, BH_ERR_LIMIT, "agent: at most %d admission roots, not %zu",
				    BH_AGENT_ADM_ROOTS_MAX, n);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(roots[i], roots[j])) {
				free(legacy);
				return bh_error_set(err, BH_ERR_USAGE,
						    "agent: admission root %s given twice",
						    roots[i]);
			}
	/* the single-root agent's cursor: its root's, found by the file it
	 * points at (the log, or the log rotated once since) */
	have_old = load(legacy, &old, NULL) && old.ino;
	for (size_t i = 0; i < n; i++) {
		struct agent_adm_root *r = &a->r[i];
		/* named by the directory as given: the same flag, the same cursor */
		uint64_t h = bh_siphash13(roots[i], strlen(roots[i]), 0x62756c6b68656164ull,
					  0x61646d726f6f7473ull);

		r->root = bh_strdup(roots[i]);
		r->cursor = bh_asprintf("%s/admission-%016llx.cursor", state_dir,
					(unsigned long long)h);
		if (!load(r->cursor, &r->cur, r) && have_old &&
		    (is_file_of(roots[i], BH_RT_ADMIT_LOG, &old) ||
		     is_file_of(roots[i], BH_RT_ADMIT_LOG ".1", &old))) {
			r->cur = old;
			have_old = false;
		}
	}
	a->n = n;
	free(legacy);
	return 0;
}

void agent_adm_close(struct agent_adm *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->r[i].root);
		free(a->r[i].cursor);
	}
	memset(a, 0, sizeof(*a));
}

/* s cut to n bytes (not inside a UTF-8 sequence), or NULL */
static json_t *cut(const char *s, size_t n)
{
	size_t l;

	if (!s)
		return NULL;
	l = strlen(s);
	if (l > n) {
		l = n;
		while (l && ((unsigned char)s[l] & 0xc0) == 0x80)
			l--;
	}
	return json_stringn(s, l);
}

static json_t *str_cut(const json_t *o, const char *k, size_t n)
{
	return cut(bh_json_str(o, k), n);
}

static void put(json_t *o, const char *k, json_t *v)
{
	if (v)
		json_object_set_new(o, k, v);
}

static const char *rule_of(const json_t *r)
{
	const char *s = bh_json_str(r, "rule");

	return s && *s ? s : NULL;
}

char *agent_adm_event(const json_t *entry)
{
	const char *dec = bh_json_str(entry, "decision"), *id = bh_json_str(entry, "id");
	const json_t *rules = bh_json_arr(entry, "rules");
	json_t *data, *rs, *ctr, *ev, *wl;
	json_int_t ts = 0;
	const char *rule = NULL, *sev, *src = bh_json_str(entry, "source");
	bool warned = false, webhook = src && !strcmp(src, "webhook");
	bool dry = webhook && json_is_true(json_object_get(entry, "dry_run"));
	bool err_allowed;
	size_t i;
	json_t *r;
	char *s;

	if (!dec || (strcmp(dec, "allow") && strcmp(dec, "deny") && strcmp(dec, "error")) || !id ||
	    !*id || !bh_json_int(entry, "ts", &ts) || ts <= 0 || ts > 253402300799)
		return NULL;
	/* only the webhook answers an error "allowed"; the runtime refuses it */
	err_allowed =
		webhook && !strcmp(dec, "error") && json_is_true(json_object_get(entry, "allowed"));
	data = json_object();
	rs = json_array();
	ctr = json_object();
	if (!data || !rs || !ctr) {
		json_decref(data);
		json_decref(rs);
		json_decref(ctr);
		return NULL;
	}
	json_array_foreach (rules, i, r) {
		json_t *o;
		const char *act = bh_json_str(r, "action");

		if (i >= 8 || !json_is_object(r) || !rule_of(r) || !act)
			continue;
		o = json_object();
		if (!o)
			break;
		put(o, "rule", str_cut(r, "rule", 128));
		put(o, "action", str_cut(r, "action", 16));
		put(o, "section", str_cut(r, "section", 16));
		put(o, "message", str_cut(r, "message", 300));
		json_array_append_new(rs, o);
		if (!strcmp(act, "warn"))
			warned = true;
		if (!strcmp(dec, "deny") ? !strcmp(act, "enforce") && !rule : !rule)
			rule = rule_of(r);
	}
	if (!rule && !strcmp(dec, "deny") && json_array_size(rs))
		rule = rule_of(json_array_get(rs, 0));
	if (err_allowed)
		rule = "policy-error-admitted";
	if (!rule)
		rule = !strcmp(dec, "error")  ? "policy-error"
		       : !strcmp(dec, "deny") ? "policy-deny"
					      : "admitted";
	/* a dry run refused nothing: INFO, its decision in data; an error the
	 * webhook answered "allowed" (failure policy ignore) admitted the
	 * object: WARN, not a denial */
	sev = dry		     ? "INFO"
	      : err_allowed	     ? "WARN"
	      : strcmp(dec, "allow") ? "DENY"
	      : warned		     ? "WARN"
				     : "INFO";
	json_object_set_new(data, "source", json_string(webhook ? "webhook" : "runtime"));
	json_object_set_new(data, "decision", json_string(dec));
	if (json_is_boolean(json_object_get(entry, "allowed")))
		json_object_set_new(data, "allowed",
				    json_boolean(json_is_true(json_object_get(entry, "allowed"))));
	if (webhook) {
		const char *ns = bh_json_str(entry, "namespace"), *nm = bh_json_str(entry, "name");
		const char *op = bh_json_str(entry, "operation");

		/* the request: uid, kind, namespace, name, operation, dry run */
		put(ctr, "uid", str_cut(entry, "id", 128));
		put(ctr, "kind", str_cut(entry, "kind", 64));
		put(ctr, "namespace", str_cut(entry, "namespace", 253));
		put(ctr, "name", str_cut(entry, "name", 253));
		if (op && (!strcmp(op, "CREATE") || !strcmp(op, "UPDATE") ||
			   !strcmp(op, "DELETE") || !strcmp(op, "CONNECT")))
			put(ctr, "operation", json_string(op));
		json_object_set_new(ctr, "dry_run", json_boolean(dry));
		json_object_set_new(data, "request", ctr);
		put(data, "message", str_cut(entry, "message", 1024));
		/* the workload: namespace/name (cut to the controller's 512), else the uid */
		if (nm && *nm) {
			char *w = bh_asprintf("%s%s%s", ns && *ns ? ns : "", ns && *ns ? "/" : "",
					      nm);

			wl = cut(w, 507);
			free(w);
		} else {
			wl = str_cut(entry, "id", 128);
		}
	} else {
		put(ctr, "id", str_cut(entry, "id", 256));
		put(ctr, "name", str_cut(entry, "name", 256));
		json_object_set_new(data, "container", ctr);
		put(data, "image", str_cut(entry, "image", 512));
		put(data, "digest", str_cut(entry, "digest", 128));
		wl = str_cut(entry,
			     bh_json_str(entry, "name") && *bh_json_str(entry, "name") ? "name"
										       : "id",
			     256);
	}
	put(data, "reason", str_cut(entry, "reason", 1024));
	json_object_set_new(data, "rules", rs);
	/* the rule as the controller takes it: 128 bytes at most */
	ev = json_pack("{sIsssssoso}", "ts", ts, "kind", "admission", "severity", sev, "rule",
		       cut(rule, 128), "data", data);
	if (!ev) {
		json_decref(wl);
		return NULL;
	}
	put(ev, "workload", wl);
	s = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (s && strlen(s) > BH_AGENT_RECORD_MAX) {
		free(s);
		return NULL;
	}
	return s;
}

struct poll_ctx {
	const struct agent_net_hooks *h;
	size_t n;
	uint64_t skipped;
};

static int take(void *data, const json_t *entry, struct bh_error **err)
{
	struct poll_ctx *p = data;
	char *s = agent_adm_event(entry);
	int rc;

	if (!s) {
		p->skipped++; /* not a decision: skipped, the cursor goes past it */
		return 0;
	}
	rc = p->h->event(p->h->data, s, strlen(s), err);
	free(s);
	if (rc < 0)
		return -1;
	p->n++;
	return 0;
}

/* ---- which file a cursor is in (fixctl19) ----------------------------------------------- */

/* A file's inode number is reused once it is gone: a log rotated twice may
 * be made on its first file's number. The cursor keeps a fingerprint (the
 * hash of the first bytes it read, which an appended log never changes) to
 * tell them apart. */
static uint64_t fp_hash(const void *p, size_t n)
{
	return bh_siphash13(p, n, 0x6670616472656164ull, 0x637572736f72ull);
}

/* fd of root/name when it is r's file (its inode and, when the cursor has
 * one, its fingerprint), else -1 */
static int open_same(const struct agent_adm_root *r, const char *name)
{
	char *p = bh_asprintf("%s/%s", r->root, name), buf[FP_MAX];
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	free(p);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_ino != r->cur.ino ||
	    (uint64_t)st.st_dev != r->cur.dev ||
	    (r->fplen && (pread(fd, buf, r->fplen, 0) != (ssize_t)r->fplen ||
			  fp_hash(buf, r->fplen) != r->fp))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* the fingerprint of the file the cursor is in now (the log, or .1 while
 * its rest is read) */
static void fingerprint(struct agent_adm_root *r)
{
	const char *names[2] = { BH_RT_ADMIT_LOG, BH_RT_ADMIT_LOG ".1" };
	uint32_t len = r->cur.off < FP_MAX ? (uint32_t)r->cur.off : FP_MAX;
	char buf[FP_MAX];

	for (int i = 0; i < 2; i++) {
		char *p = bh_asprintf("%s/%s", r->root, names[i]);
		int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		struct stat st;

		free(p);
		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && (uint64_t)st.st_ino == r->cur.ino &&
		    (uint64_t)st.st_dev == r->cur.dev && pread(fd, buf, len, 0) == (ssize_t)len) {
			r->fplen = len;
			r->fp = fp_hash(buf, len);
			close(fd);
			return;
		}
		close(fd);
	}
	r->fplen = 0; /* not found: only the inode tells */
	r->fp = 0;
}

static int save(struct agent_adm_root *r, struct bh_error **err)
{
	char line[160];
	int l;

	l = snprintf(line, sizeof(line),
		     CURSOR_MAGIC " 2 %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu32 " %" PRIx64
				  "\n",
		     r->cur.dev, r->cur.ino, r->cur.off, r->fplen, r->fp);
	return bh_write_file_replace(r->cursor, line, (size_t)l, 0600, err);
}

/* The lines of root/name (0 when it is not there) */
static uint64_t lines_in(const char *root, const char *name)
{
	char *p = bh_asprintf("%s/%s", root, name), *buf = malloc(64u << 10);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	uint64_t n = 0, at = 0;
	ssize_t got;

	free(p);
	while (fd >= 0 && buf && (got = pread(fd, buf, 64u << 10, (off_t)at)) > 0) {
		for (char *q = buf; (q = memchr(q, '\n', (size_t)(buf + got - q))); q++)
			n++;
		at += (uint64_t)got;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return n;
}

/* Before a read: when neither the log nor .1 is the cursor's file, the log
 * rotated twice (or more) under it and what the agent had not read is gone:
 * at least .1's lines, none of them read. Counted, said naming the
 * directory, and the read starts at the log's beginning. */
static void lost(struct agent_adm *a, struct agent_adm_root *r, const struct agent_net_hooks *h)
{
	struct bh_error *e = NULL;
	char *p;
	uint64_t n;
	int fd;

	if (!r->cur.ino)
		return;
	p = bh_asprintf("%s/%s", r->root, BH_RT_ADMIT_LOG);
	fd = access(p, F_OK) == 0 ? open_same(r, BH_RT_ADMIT_LOG) : -2;
	free(p);
	if (fd == -2)
		return; /* no log (yet, or removed): nothing to read */
	if (fd < 0)
		fd = open_same(r, BH_RT_ADMIT_LOG ".1");
	if (fd >= 0) {
		close(fd);
		return;
	}
	n = lines_in(r->root, BH_RT_ADMIT_LOG ".1");
	r->cur = (struct bh_rt_admit_cursor){ 0, 0, 0 };
	r->fplen = 0;
	r->lost += n;
	a->lost += n;
	if (h->warn) {
		bh_error_set(&e, BH_ERR_LIMIT,
			     "admission: %" PRIu64 " decisions lost to rotation in %s (at least; "
			     "%" PRIu64 " in all): its log rotated twice between two reads",
			     n, r->root, r->lost);
		h->warn(h->data, e);
	}
}

static int poll_root(struct agent_adm *a, struct agent_adm_root *r, const struct agent_net_hooks *h,
		     size_t *n, struct bh_error **err)
{
	struct poll_ctx p = { h, 0, 0 };
	struct bh_rt_admit_cursor was;
	int rc;

	lost(a, r, h);
	was = r->cur;
	rc = bh_rt_admit_log_read(r->root, &r->cur, POLL_MAX, take, &p, &a->bad, err);
	a->bad += p.skipped;
	*n += p.n;
	a->events += p.n;
	/* what was appended before a failure is synced too, and the cursor kept
	 * past it */
	if (p.n && h->sync && h->sync(h->data, rc < 0 ? NULL : err) < 0) {
		r->cur = was; /* read again next time: the events may not be on disk */
		return -1;
	}
	if (memcmp(&was, &r->cur, sizeof(was))) {
		fingerprint(r); /* of the file it is in now, kept even when the save fails */
		if (save(r, rc < 0 ? NULL : err) < 0)
			return -1;
	}
	return rc < 0 ? -1 : 0;
}

int agent_adm_poll(struct agent_adm *a, const struct agent_net_hooks *h, size_t *n,
		   struct bh_error **err)
{
	int rc = 0;

	*n = 0;
	/* every root each poll: one that fails does not starve the others */
	for (size_t i = 0; i < a->n; i++) {
		struct bh_error *e = NULL;

		if (poll_root(a, &a->r[i], h, n, &e) < 0) {
			if (rc == 0 && err) {
				*err = e;
				e = NULL;
			}
			rc = -1;
		}
		bh_error_free(e);
	}
	return rc;
}
