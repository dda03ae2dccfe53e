/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rpm cataloger. Recognises the rpm database in var/lib/rpm/ and
 * usr/lib/sysimage/rpm/ in its three formats, told apart by content:
 *  - rpmdb.sqlite (rpm >= 4.16): table Packages(hnum, blob); read from
 *    memory with sqlite3_deserialize, defensively (no triggers, views or
 *    untrusted schema functions, cell size checks);
 *  - Packages (Berkeley DB hash, rpm < 4.16): the hash pages' key/data
 *    pairs, data on overflow page chains or inline;
 *  - Packages.db (NDB, SUSE): the slot pages, each slot naming a blob.
 * Each record is an rpm header blob (the on-disk header without its magic:
 * big-endian index count, data length, 16-byte index entries, data store)
 * from which NAME, EPOCH, VERSION, RELEASE, ARCH, LICENSE, SOURCERPM,
 * PROVIDENAME and REQUIRENAME are kept. "gpg-pubkey" records (imported
 * signing keys) are not packages. Anything else is "unsupported rpm
 * database format".
 */
#include <stdlib.h>
#include <string.h>

#include "lazy/sqlite3.h"

#include "internal.h"
#include "banned.h"

#define HEADER_TAGS_MAX 0xffff
#define HEADER_DATA_MAX 0x0fffffff

enum {
	TAG_NAME = 1000,
	TAG_VERSION = 1001,
	TAG_RELEASE = 1002,
	TAG_EPOCH = 1003,
	TAG_LICENSE = 1014,
	TAG_ARCH = 1022,
	TAG_SOURCERPM = 1044,
	TAG_PROVIDENAME = 1047,
	TAG_REQUIRENAME = 1049,
};

enum { T_INT32 = 4, T_STRING = 6, T_STRING_ARRAY = 8, T_I18NSTRING = 9 };

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct hdr {
	const unsigned char *index, *data;
	uint32_t il, dl;
};

/* The index entry for tag, or false. */
static bool entry(const struct hdr *h, uint32_t tag, uint32_t *type, uint32_t *off, uint32_t *count)
{
	for (uint32_t i = 0; i < h->il; i++) {
		const unsigned char *e = h->index + 16 * (size_t)i;

		if (be32(e) != tag)
			continue;
		*type = be32(e + 4);
		*off = be32(e + 8);
		*count = be32(e + 12);
		return *off < h->dl;
	}
	return false;
}

/* The i-th string from `off` (strings are NUL-terminated inside the data). */
static const char *str_at(const struct hdr *h, uint32_t off, uint32_t i, uint32_t *next)
{
	const unsigned char *p = h->data + off, *end = h->data + h->dl, *z;

	for (;;) {
		z = memchr(p, 0, (size_t)(end - p));
		if (!z)
			return NULL;
		if (i-- == 0)
			break;
		p = z + 1;
		if (p >= end)
			return NULL;
	}
	if (next)
		*next = (uint32_t)(z + 1 - h->data);
	return (const char *)p;
}

static char *get_string(const struct hdr *h, uint32_t tag)
{
	uint32_t type, off, count;
	const char *s;

	if (!entry(h, tag, &type, &off, &count) ||
	    (type != T_STRING && type != T_I18NSTRING && type != T_STRING_ARRAY))
		return NULL;
	s = str_at(h, off, 0, NULL);
	if (!s || !inv_value_ok(s, strlen(s)))
		return NULL;
	return bh_strdup(s);
}

static void get_array(const struct hdr *h, uint32_t tag, char ***v)
{
	uint32_t type, off, count;

	if (!entry(h, tag, &type, &off, &count) || type != T_STRING_ARRAY)
		return;
	for (uint32_t i = 0; i < count && i < INV_MAX_LIST; i++) {
		uint32_t next;
		const char *s = str_at(h, off, 0, &next);

		if (!s)
			return;
		if (inv_value_ok(s, strlen(s)) && !bh_strv_contains(*v, s))
			inv_strv_add(v, s);
		off = next;
		if (off >= h->dl)
			return;
	}
}

/* "bash-5.1.8-6.el9.src.rpm" -> name "bash", version "5.1.8-6.el9". */
static void split_srpm(const char *srpm, char **name, char **version)
{
	size_t n = strlen(srpm);
	char *s;
	char *rel, *ver;

	*name = *version = NULL;
	if (bh_str_has_suffix(srpm, ".src.rpm"))
		n -= 8;
	else if (bh_str_has_suffix(srpm, ".nosrc.rpm"))
		n -= 10;
	else
		return;
	s = bh_strndup(srpm, n);
	rel = strrchr(s, '-');
	if (rel) {
		*rel = 0;
		ver = strrchr(s, '-');
		if (ver && ver > s) {
			*ver = 0;
			*name = bh_strdup(s);
			*rel = '-';
			*version = bh_strdup(ver + 1);
		}
	}
	free(s);
}

int bh_inventory_parse_rpm_header(const unsigned char *buf, size_t len, const char *path,
				  struct bh_pkglist *out, struct bh_error **err)
{
	struct hdr h;
	char *name = NULL, *ver = NULL, *rel = NULL, *srpm = NULL;
	uint32_t type, off, count;
	long long epoch = -1;
	struct bh_package *pkg;
	int r = -1;

	if (len < 8)
		return bh_error_set(err, BH_ERR_INVALID, "%s: an rpm header of %zu bytes", path,
				    len);
	h.il = be32(buf);
	h.dl = be32(buf + 4);
	if (h.il == 0 || h.il > HEADER_TAGS_MAX || h.dl > HEADER_DATA_MAX ||
	    8 + 16 * (uint64_t)h.il + h.dl > len)
		return bh_error_set(
			err, BH_ERR_INVALID,
			"%s: an rpm header whose sizes (%u entries, %u bytes) do not fit "
			"its %zu bytes",
			path, h.il, h.dl, len);
	h.index = buf + 8;
	h.data = buf + 8 + 16 * (size_t)h.il;
	name = get_string(&h, TAG_NAME);
	ver = get_string(&h, TAG_VERSION);
	rel = get_string(&h, TAG_RELEASE);
	if (!name || !ver || strchr(name, ' ') || strchr(ver, ' ')) {
		bh_error_set(err, BH_ERR_INVALID, "%s: an rpm header without NAME or VERSION",
			     path);
		goto out;
	}
	if (!strcmp(name, "gpg-pubkey")) {
		r = 0;
		goto out;
	}
	if (entry(&h, TAG_EPOCH, &type, &off, &count) && type == T_INT32 && count >= 1 &&
	    off % 4 == 0 && (uint64_t)off + 4 <= h.dl)
		epoch = be32(h.data + off);
	if (out->n >= INV_MAX_PKGS) {
		bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d packages", path, INV_MAX_PKGS);
		goto out;
	}
	pkg = bh_pkglist_add(out);
	pkg->type = BH_PKG_RPM;
	pkg->name = name;
	name = NULL;
	if (epoch > 0)
		pkg->version =
			bh_asprintf("%lld:%s%s%s", epoch, ver, rel ? "-" : "", rel ? rel : "");
	else
		pkg->version = bh_asprintf("%s%s%s", ver, rel ? "-" : "", rel ? rel : "");
	pkg->arch = get_string(&h, TAG_ARCH);
	srpm = get_string(&h, TAG_SOURCERPM);
	if (srpm) {
		char *sv = NULL;

		split_srpm(srpm, &pkg->source_name, &sv);
		if (sv && epoch > 0) {
			pkg->source_version = bh_asprintf("%lld:%s", epoch, sv);
			free(sv);
		} else {
			pkg->source_version = sv;
		}
	}
	{
		char *lic = get_string(&h, TAG_LICENSE);

		if (lic)
			inv_strv_add(&pkg->licenses, lic);
		free(lic);
	}
	get_array(&h, TAG_REQUIRENAME, &pkg->depends);
	get_array(&h, TAG_PROVIDENAME, &pkg->provides);
	pkg->path = bh_asprintf("/%s", path[0] == '/' ? path + 1 : path);
	pkg->purl = inv_os_purl(pkg, NULL);
	r = 0;
out:
	free(name);
	free(ver);
	free(rel);
	free(srpm);
	return r;
}

/* One record: a header, or (BDB record 0, rpm's counter) nothing to see. */
static void record(const unsigned char *b, size_t n, const char *path, struct bh_pkglist *out,
		   size_t *bad, struct bh_error **first)
{
	struct bh_error *e = NULL;

	if (n <= 8)
		return;
	if (bh_inventory_parse_rpm_header(b, n, path, out, &e) < 0) {
		(*bad)++;
		if (!*first)
			*first = e;
		else
			bh_error_free(e);
	}
}

/* ---- SQLite ---------------------------------------------------------------- */

static int parse_sqlite(const unsigned char *buf, size_t len, const char *path,
			struct bh_pkglist *out, size_t *bad, struct bh_error **first,
			struct bh_error **err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	unsigned char *copy;
	int rc, r = -1;

	if (len > (size_t)INT32_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: too large", path);
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL) !=
	    SQLITE_OK) {
		bh_error_set(err, BH_ERR_INTERNAL, "%s: sqlite: cannot open a memory database",
			     path);
		goto out;
	}
	/* Hostile database files: see sqlite.org/security.html. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, HEADER_DATA_MAX);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 4096);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	copy = sqlite3_malloc64(len);
	if (!copy) {
		bh_error_set(err, BH_ERR_NOMEM, "%s: sqlite: out of memory", path);
		goto out;
	}
	memcpy(copy, buf, len);
	/* A database in WAL mode (file format bytes 18-19 = 2) cannot be
	 * deserialized; what rpm checkpointed into the file is what we read. */
	if (len > 19 && copy[18] == 2 && copy[19] == 2)
		copy[18] = copy[19] = 1;
	rc = sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
				 SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
	if (rc != SQLITE_OK) {
		bh_error_set(err, BH_ERR_INVALID, "%s: sqlite: %s", path, sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_exec(db, "PRAGMA cell_size_check=ON", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "SELECT blob FROM Packages", -1, &st, NULL) != SQLITE_OK) {
		bh_error_set(err, BH_ERR_INVALID, "%s: sqlite: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);

		if (b && n > 0)
			record(b, (size_t)n, path, out, bad, first);
		if (out->n >= INV_MAX_PKGS)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		bh_error_set(err, BH_ERR_INVALID, "%s: sqlite: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

/* ---- Berkeley DB hash ------------------------------------------------------- */

#define BDB_HASH_MAGIC	0x061561u
#define P_HASH_UNSORTED 2
#define P_OVERFLOW	7
#define P_HASH		13
#define H_KEYDATA	1
#define H_OFFPAGE	3
#define PAGE_HEADER	26

struct bdb {
	const unsigned char *b;
	size_t len;
	bool swap; /* the file's byte order is not little-endian */
	uint32_t pagesize, npages;
};

static uint32_t bdb32(const struct bdb *d, const unsigned char *p)
{
	return d->swap ? be32(p)
		       : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				 (uint32_t)p[3] << 24;
}

static uint16_t bdb16(const struct bdb *d, const unsigned char *p)
{
	return d->swap ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[0] | p[1] << 8);
}

/* Follow an overflow chain from page pgno, tlen bytes in all, into b. */
static int overflow(const struct bdb *d, uint32_t pgno, uint32_t tlen, struct bh_buf *b,
		    struct bh_error **err)
{
	bh_buf_reset(b);
	for (uint32_t hops = 0; tlen > b->len; hops++) {
		const unsigned char *pg;
		uint32_t n;

		if (pgno == 0 || pgno >= d->npages || hops >= d->npages)
			return bh_error_set(err, BH_ERR_INVALID, "a broken overflow page chain");
		pg = d->b + (size_t)pgno * d->pagesize;
		if (pg[25] != P_OVERFLOW)
			return bh_error_set(err, BH_ERR_INVALID, "page %u is not an overflow page",
					    pgno);
		n = bdb16(d, pg + 22); /* on overflow pages: the bytes held */
		if (n > d->pagesize - PAGE_HEADER || n > tlen - b->len)
			return bh_error_set(err, BH_ERR_INVALID, "overflow page %u overruns", pgno);
		if (bh_buf_add(b, pg + PAGE_HEADER, n, err) < 0)
			return -1;
		pgno = bdb32(d, pg + 16);
		if (n == 0 && tlen > b->len)
			return bh_error_set(err, BH_ERR_INVALID, "an empty overflow page");
	}
	return 0;
}

static int parse_bdb(const unsigned char *buf, size_t len, const char *path, struct bh_pkglist *out,
		     size_t *bad, struct bh_error **first, struct bh_error **err)
{
	struct bdb d = { .b = buf, .len = len };
	struct bh_buf val = BH_BUF_INIT(HEADER_DATA_MAX);
	int r = -1;

	d.swap = be32(buf + 12) == BDB_HASH_MAGIC;
	d.pagesize = bdb32(&d, buf + 20);
	if (d.pagesize < 512 || d.pagesize > 65536 || (d.pagesize & (d.pagesize - 1)))
		return bh_error_set(err, BH_ERR_INVALID, "%s: Berkeley DB: bad page size %u", path,
				    d.pagesize);
	d.npages = (uint32_t)(len / d.pagesize);
	for (uint32_t pgno = 1; pgno < d.npages && out->n < INV_MAX_PKGS; pgno++) {
		const unsigned char *pg = buf + (size_t)pgno * d.pagesize;
		unsigned entries;

		if (pg[25] != P_HASH && pg[25] != P_HASH_UNSORTED)
			continue;
		entries = bdb16(&d, pg + 20);
		if (PAGE_HEADER + 2 * (size_t)entries > d.pagesize)
			continue;
		/* pairs: key at 2k, data at 2k+1; item i spans [inp[i], inp[i-1]) */
		for (unsigned i = 1; i < entries; i += 2) {
			unsigned off = bdb16(&d, pg + PAGE_HEADER + 2 * i);
			unsigned prev = bdb16(&d, pg + PAGE_HEADER + 2 * (i - 1));
			struct bh_error *e = NULL;

			if (off >= d.pagesize || prev > d.pagesize || prev <= off)
				continue;
			if (pg[off] == H_OFFPAGE && off + 12 <= d.pagesize) {
				uint32_t opg = bdb32(&d, pg + off + 4),
					 tlen = bdb32(&d, pg + off + 8);

				if (tlen > len || overflow(&d, opg, tlen, &val, &e) < 0) {
					(*bad)++;
					if (!e)
						bh_error_set(&e, BH_ERR_INVALID,
							     "overflow item too long");
					bh_error_prefix(&e, "%s: Berkeley DB", path);
					if (!*first)
						*first = e;
					else
						bh_error_free(e);
					continue;
				}
				record((const unsigned char *)val.data, val.len, path, out, bad,
				       first);
			} else if (pg[off] == H_KEYDATA) {
				record(pg + off + 1, prev - off - 1, path, out, bad, first);
			}
		}
	}
	r = 0;
	bh_buf_release(&val);
	return r;
}

/* ---- NDB (rpm's own format, SUSE) -------------------------------------------- */

#define NDB_MAGIC      0x506d7052u /* "RpmP" */
#define NDB_SLOT_MAGIC 0x746f6c53u /* "Slot" */
#define NDB_BLOB_MAGIC 0x53626c42u /* "BlbS" */
#define NDB_PAGE       4096u
#define NDB_BLK	       16u

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int parse_ndb(const unsigned char *buf, size_t len, const char *path, struct bh_pkglist *out,
		     size_t *bad, struct bh_error **first, struct bh_error **err)
{
	uint32_t slotnpages = le32(buf + 12);
	uint64_t slots_end = (uint64_t)slotnpages * NDB_PAGE;

	if (le32(buf + 4) != 0)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "%s: unsupported rpm database format (NDB version %u)", path,
				    le32(buf + 4));
	if (slotnpages == 0 || slots_end > len)
		return bh_error_set(err, BH_ERR_INVALID, "%s: NDB: %u slot pages do not fit", path,
				    slotnpages);
	/* the first two 16-byte slots hold the file header */
	for (uint64_t off = 32; off + 16 <= slots_end && out->n < INV_MAX_PKGS; off += 16) {
		const unsigned char *s = buf + off;
		uint32_t pkgidx = le32(s + 4), blkoff = le32(s + 8), blkcnt = le32(s + 12);
		uint64_t at = (uint64_t)blkoff * NDB_BLK, bloblen;

		if (le32(s) != NDB_SLOT_MAGIC || pkgidx == 0)
			continue;
		if (at + 16 > len || (uint64_t)blkcnt * NDB_BLK > len - at ||
		    le32(buf + at) != NDB_BLOB_MAGIC || le32(buf + at + 4) != pkgidx) {
			(*bad)++;
			if (!*first)
				bh_error_set(first, BH_ERR_INVALID,
					     "%s: NDB: slot for package %u points at no blob", path,
					     pkgidx);
			continue;
		}
		bloblen = le32(buf + at + 12);
		if (bloblen > (uint64_t)blkcnt * NDB_BLK || 16 + bloblen > len - at) {
			(*bad)++;
			if (!*first)
				bh_error_set(first, BH_ERR_INVALID,
					     "%s: NDB: blob of package %u overruns", path, pkgidx);
			continue;
		}
		record(buf + at + 16, (size_t)bloblen, path, out, bad, first);
	}
	return 0;
}

int bh_inventory_parse_rpm_db(const unsigned char *buf, size_t len, const char *path,
			      struct bh_pkglist *out, struct bh_error **err)
{
	struct bh_error *first = NULL;
	size_t bad = 0, before = out->n;
	int r;

	if (len >= 100 && !memcmp(buf, "SQLite format 3", 16))
		r = parse_sqlite(buf, len, path, out, &bad, &first, err);
	else if (len >= 512 &&
		 (le32(buf + 12) == BDB_HASH_MAGIC || be32(buf + 12) == BDB_HASH_MAGIC))
		r = parse_bdb(buf, len, path, out, &bad, &first, err);
	else if (len >= NDB_PAGE && le32(buf) == NDB_MAGIC)
		r = parse_ndb(buf, len, path, out, &bad, &first, err);
	else if (len >= 16 && (le32(buf + 12) == 0x053162u || be32(buf + 12) == 0x053162u))
		r = bh_error_set(err, BH_ERR_UNSUPPORTED,
				 "%s: unsupported rpm database format (Berkeley DB btree)", path);
	else
		r = bh_error_set(err, BH_ERR_UNSUPPORTED,
				 "%s: unsupported rpm database format (neither SQLite, Berkeley DB "
				 "hash nor NDB)",
				 path);
	if (r == 0 && bad) {
		/* some records were unreadable: say so, keep the rest */
		if (!first)
			bh_error_set(&first, BH_ERR_INVALID, "%s: unreadable rpm headers", path);
		else
			bh_error_prefix(&first, "%zu of %zu rpm headers unreadable", bad,
					bad + out->n - before);
		if (err && !*err)
			*err = first;
		else
			bh_error_free(first);
		return -1;
	}
	bh_error_free(first);
	return r;
}

/* ---- the cataloger ---------------------------------------------------------- */

static bool rpm_match(const struct inv_path *p)
{
	bool dir = (p->dirlen == 11 && !memcmp(p->path, "var/lib/rpm", 11)) ||
		   (p->dirlen == 20 && !memcmp(p->path, "usr/lib/sysimage/rpm", 20));

	return dir && (!strcmp(p->base, "rpmdb.sqlite") || !strcmp(p->base, "Packages") ||
		       !strcmp(p->base, "Packages.db"));
}

static int rpm_parse(const struct inv_input *in, const char *buf, size_t len, struct inv_doc *d,
		     struct bh_error **err)
{
	return bh_inventory_parse_rpm_db((const unsigned char *)buf, len, in->path, &d->pkgs, err);
}

const struct inv_cataloger inv_cat_rpm = {
	.name = "rpm",
	.flags = INV_CAT_OS_PKGS,
	.match = rpm_match,
	.parse = rpm_parse,
	.fallback_ecosystem = "Red Hat",
};
