/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The measurement event log: JSON lines shaped as the TCG canonical event
 * log's JSON form (recnum, pcr, digests [{hashAlg, digest}], content_type,
 * content). The digest extended is the SHA-256 of the content's canonical
 * JSON (compact, keys sorted), so an edited content no longer matches it.
 *
 * What a launch's content holds: the container id, the bundle, the image
 * (name, manifest and config digests when the bundle's annotations say
 * them), the process' arguments, and the digest of the normalised
 * security-relevant configuration (the config.json members below, canonical
 * JSON).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/tpm.h"
#include "internal.h"
#include "banned.h"

#define CONTENT_TYPE "bulkhead_launch"

/* sha256 of v's canonical JSON into d (raw) and, when hex, "sha256:<hex>". */
static int canon_digest(const json_t *v, uint8_t d[32], struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_TPM_LOG_LINE_MAX * 16);
	struct bh_digest dg;
	int r = -1;

	if (bh_json_dump_buf(v, JSON_COMPACT | JSON_SORT_KEYS, &b, err) < 0)
		goto out;
	bh_sha256(b.data ? b.data : "", b.len, &dg);
	if (bh_hex_decode(bh_digest_hex(&dg), 64, 0, d, 32) != 32) {
		bh_error_set(err, BH_ERR_INTERNAL, "a digest that is not hex");
		goto out;
	}
	r = 0;
out:
	bh_buf_release(&b);
	return r;
}

/* The members of config.json that decide what a container can do. */
static json_t *normalised(const json_t *config)
{
	static const char *const keys[] = { "root", "process", "mounts", "hooks", "linux" };
	json_t *n = json_object();

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(config, keys[i]);

		if (v)
			json_object_set(n, keys[i], v);
	}
	/* the terminal size changes with the caller's window, not the container */
	if (json_is_object(json_object_get(n, "process"))) {
		json_t *p = json_deep_copy(json_object_get(n, "process"));

		json_object_del(p, "consoleSize");
		json_object_set_new(n, "process", p);
	}
	return n;
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

static int launch_content(const struct bh_tpm_launch *l, json_t **out, struct bh_error **err)
{
	json_t *c = json_object(), *n = normalised(l->config), *args;
	uint8_t d[32];
	char hex[65], *s;

	*out = NULL;
	if (canon_digest(n, d, err) < 0) {
		json_decref(n);
		json_decref(c);
		return -1;
	}
	bh_hex_encode(d, 32, hex);
	s = bh_asprintf("sha256:%s", hex);
	set_str(c, "container", l->container);
	set_str(c, "bundle", l->bundle);
	set_str(c, "image", l->image);
	set_str(c, "image_manifest_digest", l->manifest_digest);
	set_str(c, "image_config_digest", l->config_digest);
	json_object_set_new(c, "config_digest", json_string(s));
	args = json_object_get(json_object_get(n, "process"), "args");
	if (json_is_array(args))
		json_object_set(c, "args", args);
	free(s);
	json_decref(n);
	*out = c;
	return 0;
}

/* The tail read to find the last entry: a whole line and the newline before it. */
#define TAIL_MAX (BH_TPM_LOG_LINE_MAX + 2)

/*
 * A partial last line (a crash or a full disk while an entry was written)
 * cut off at cut, its bytes kept in LOG.torn (one JSON line: offset, length,
 * the bytes) so that the cut is on record: the entry's extend may have
 * happened, and quotes will then not verify until the PCR is reset.
 */
static int cut_torn(int fd, const char *log, off_t cut, const char *torn, size_t n,
		    struct bh_error **err)
{
	char *side = bh_asprintf("%s.torn", log), *hex = malloc(2 * n + 1);
	struct bh_buf line = BH_BUF_INIT(BH_TPM_LOG_LINE_MAX * 4);
	json_t *rec = NULL;
	int sfd = -1, r = -1;

	if (!hex) {
		bh_error_set(err, BH_ERR_NOMEM, "out of memory");
		goto out;
	}
	bh_hex_encode(torn, n, hex);
	rec = json_pack("{sI sI ss}", "offset", (json_int_t)cut, "length", (json_int_t)n, "hex",
			hex);
	if (!rec) {
		bh_error_set(err, BH_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (bh_json_dump_buf(rec, JSON_COMPACT, &line, err) < 0 ||
	    bh_buf_addc(&line, '\n', err) < 0)
		goto out;
	sfd = open(side, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sfd < 0) {
		bh_error_sys(err, errno, "recording the partial entry of %s in %s", log, side);
		goto out;
	}
	if (bh_write_all(sfd, line.data, line.len, err) < 0) {
		bh_error_prefix(err, "recording the partial entry of %s in %s", log, side);
		goto out;
	}
	if (fsync(sfd) < 0 || ftruncate(fd, cut) < 0 || fsync(fd) < 0) {
		bh_error_sys(err, errno, "cutting the partial entry off event log %s", log);
		goto out;
	}
	r = 0;
out:
	if (sfd >= 0)
		close(sfd);
	bh_buf_release(&line);
	json_decref(rec);
	free(hex);
	free(side);
	return r;
}

/*
 * The next recnum of the log open (and locked) at fd, from its last entry
 * alone: the tail is read, not the whole log. A partial last line is cut
 * off (cut_torn); *size gets where the next entry goes.
 */
static int log_tail(int fd, const char *log, json_int_t *next, off_t *size, struct bh_error **err)
{
	char *buf = NULL, *nl, *start;
	uint64_t len;
	json_t *e = NULL;
	json_int_t rec;
	off_t off;
	size_t n;
	ssize_t k;
	int r = -1;

	*next = 0;
	if (bh_fd_regular(fd, log, BH_TPM_LOG_MAX, &len, err) < 0)
		return bh_error_prefix(err, "event log");
	*size = (off_t)len;
	if (len == 0)
		return 0;
	off = len > TAIL_MAX ? (off_t)(len - TAIL_MAX) : 0;
	n = (size_t)(len - (uint64_t)off);
	buf = malloc(n + 1);
	if (!buf)
		return bh_error_set(err, BH_ERR_NOMEM, "out of memory");
	k = pread(fd, buf, n, off);
	if (k != (ssize_t)n) {
		bh_error_sys(err, k < 0 ? errno : EIO, "reading event log %s", log);
		goto out;
	}
	if (buf[n - 1] != '\n') {
		nl = memrchr(buf, '\n', n);
		if (!nl && off > 0) {
			bh_error_set(err, BH_ERR_INVALID,
				     "event log %s ends in a line over %u bytes: not ours, "
				     "refusing to append",
				     log, BH_TPM_LOG_LINE_MAX);
			goto out;
		}
		start = nl ? nl + 1 : buf;
		if (cut_torn(fd, log, off + (start - buf), start, n - (size_t)(start - buf), err) <
		    0)
			goto out;
		/* the log ends where a line ends now: its last entry read anew */
		free(buf);
		return log_tail(fd, log, next, size, err);
	}
	buf[n - 1] = '\0';
	nl = memrchr(buf, '\n', n - 1);
	if (!nl && off > 0) {
		bh_error_set(err, BH_ERR_INVALID,
			     "event log %s: its last line is over %u bytes: refusing to append",
			     log, BH_TPM_LOG_LINE_MAX);
		goto out;
	}
	start = nl ? nl + 1 : buf;
	if (bh_json_parse(start, strlen(start), BH_TPM_LOG_LINE_MAX, "event", &e, err) < 0 ||
	    !bh_json_int(e, "recnum", &rec) || rec < 0 || rec >= (json_int_t)BH_TPM_LOG_MAX) {
		if (e)
			bh_error_set(err, BH_ERR_INVALID, "no recnum (or one out of range)");
		bh_error_prefix(err, "event log %s: its last entry", log);
		goto out;
	}
	*next = rec + 1;
	r = 0;
out:
	json_decref(e);
	free(buf);
	return r;
}

int bh_tpm_measure_launch(const char *tcti, int pcr, const char *log, const struct bh_tpm_launch *l,
			  json_t **entry, struct bh_error **err)
{
	struct bh_buf line = BH_BUF_INIT(BH_TPM_LOG_LINE_MAX);
	json_t *content = NULL, *e = NULL;
	json_int_t recnum;
	uint8_t d[32];
	char hex[65];
	off_t end = 0;
	ssize_t w;
	int fd = -1, r = -1;

	if (entry)
		*entry = NULL;
	if (bh_tpm_pcr_check(pcr, true, err) < 0 || launch_content(l, &content, err) < 0 ||
	    canon_digest(content, d, err) < 0)
		goto out;
	bh_hex_encode(d, 32, hex);
	fd = open(log, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		bh_error_sys(err, errno, "event log %s", log);
		goto out;
	}
	if (flock(fd, LOCK_EX) < 0) {
		bh_error_sys(err, errno, "locking event log %s", log);
		goto out;
	}
	/* the TPM is opened under the lock (at the extend): a TCTI that serves
	 * one client at a time (swtpm's) cannot hold a second create that has
	 * the lock */
	if (log_tail(fd, log, &recnum, &end, err) < 0)
		goto out;
	e = json_pack("{sI si s[{ss ss}] ss sO}", "recnum", recnum, "pcr", pcr, "digests",
		      "hashAlg", "sha256", "digest", hex, "content_type", CONTENT_TYPE, "content",
		      content);
	if (!e || bh_json_dump_buf(e, JSON_COMPACT, &line, err) < 0 ||
	    bh_buf_addc(&line, '\n', err) < 0) {
		if (!e)
			bh_error_set(err, BH_ERR_NOMEM, "building the event");
		goto out;
	}
	/* the extend first: a TPM that fails leaves the log as it was */
	if (tpm_extend_tcti(tcti, pcr, d, err) < 0)
		goto out;
	/* one write, O_APPEND: a short one (a full disk) is cut off again, so the
	 * log never keeps a partial line; a crash mid-write leaves one that the
	 * next launch cuts off (log_tail) */
	w = write(fd, line.data, line.len);
	if (w != (ssize_t)line.len || fsync(fd) < 0) {
		int en = w < 0 || w == (ssize_t)line.len ? errno : ENOSPC;

		if (w > 0 && w != (ssize_t)line.len && ftruncate(fd, end) == 0)
			fsync(fd);
		bh_error_sys(err, en,
			     "PCR %d was extended but event log %s could not be written: "
			     "quotes will not verify until the PCR is reset",
			     pcr, log);
		goto out;
	}
	if (entry) {
		*entry = e;
		e = NULL;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd); /* drops the lock */
	bh_buf_release(&line);
	json_decref(content);
	json_decref(e);
	return r;
}

/* One entry checked for shape: the sha256 digest's hex, or an error. */
static int check_entry(json_t *e, size_t lineno, struct bh_error **err)
{
	json_t *ds = json_object_get(e, "digests"), *d;
	json_int_t pcr, rec;
	const char *h;
	size_t i;
	bool found = false;

	if (!json_is_object(e))
		return bh_error_set(err, BH_ERR_INVALID, "line %zu: not a JSON object", lineno);
	if (!bh_json_int(e, "recnum", &rec) || rec < 0)
		return bh_error_set(err, BH_ERR_INVALID, "line %zu: no recnum", lineno);
	if (!bh_json_int(e, "pcr", &pcr) || pcr < 0 || pcr >= BH_TPM_PCRS)
		return bh_error_set(err, BH_ERR_INVALID, "line %zu: no pcr 0-23", lineno);
	if (!json_is_array(ds))
		return bh_error_set(err, BH_ERR_INVALID, "line %zu: no digests array", lineno);
	json_array_foreach (ds, i, d) {
		const char *alg = bh_json_str(d, "hashAlg");

		if (!alg || strcmp(alg, "sha256"))
			continue;
		h = bh_json_str(d, "digest");
		if (!h || strlen(h) != 64 || bh_hex_decode(h, 64, 0, (uint8_t[32]){ 0 }, 32) != 32)
			return bh_error_set(err, BH_ERR_INVALID,
					    "line %zu: the sha256 digest is not 64 hex digits",
					    lineno);
		found = true;
	}
	if (!found)
		return bh_error_set(err, BH_ERR_INVALID, "line %zu: no sha256 digest", lineno);
	if (!json_is_object(json_object_get(e, "content")) || !bh_json_str(e, "content_type"))
		return bh_error_set(err, BH_ERR_INVALID, "line %zu: no content or content_type",
				    lineno);
	return 0;
}

int bh_tpm_log_parse(const char *buf, size_t n, json_t **entries, struct bh_error **err)
{
	json_t *a = json_array();
	size_t off = 0, lineno = 0;

	*entries = NULL;
	if (n > BH_TPM_LOG_MAX) {
		json_decref(a);
		return bh_error_set(err, BH_ERR_LIMIT, "the event log is over %u bytes",
				    BH_TPM_LOG_MAX);
	}
	while (off < n) {
		const char *nl = memchr(buf + off, '\n', n - off);
		size_t len = nl ? (size_t)(nl - (buf + off)) : n - off;
		json_t *e = NULL;

		lineno++;
		if (!nl) {
			bh_error_set(err, BH_ERR_INVALID, "line %zu: a partial entry (no newline)",
				     lineno);
			goto fail;
		}
		if (len > BH_TPM_LOG_LINE_MAX) {
			bh_error_set(err, BH_ERR_LIMIT, "line %zu: over %u bytes", lineno,
				     BH_TPM_LOG_LINE_MAX);
			goto fail;
		}
		if (bh_json_parse(buf + off, len, BH_TPM_LOG_LINE_MAX, "event", &e, err) < 0) {
			bh_error_prefix(err, "line %zu", lineno);
			goto fail;
		}
		if (check_entry(e, lineno, err) < 0) {
			json_decref(e);
			goto fail;
		}
		json_array_append_new(a, e);
		off += len + 1;
	}
	*entries = a;
	return 0;
fail:
	json_decref(a);
	return -1;
}

int tpm_entry_digest(const json_t *e, uint8_t d[32])
{
	json_t *x;
	size_t i;

	json_array_foreach (json_object_get(e, "digests"), i, x)
		if (!strcmp(bh_json_str(x, "hashAlg") ? bh_json_str(x, "hashAlg") : "", "sha256"))
			return bh_hex_decode(bh_json_str(x, "digest"), 64, 0, d, 32) == 32 ? 0 : -1;
	return -1;
}

int tpm_entry_content_ok(const json_t *e)
{
	uint8_t want[32], got[32];

	if (tpm_entry_digest(e, want) < 0 ||
	    canon_digest(json_object_get(e, "content"), got, NULL) < 0)
		return 0;
	return !memcmp(want, got, 32);
}
