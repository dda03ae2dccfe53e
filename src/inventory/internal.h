/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/inventory: the cataloger table and what a cataloger sees,
 * the limits every parser applies to the values it keeps, the string
 * helpers the parsers share (strutil.c, a leaf), package URLs (purl.c).
 *
 * A cataloger is one row of the table in catalogers.c, defined in its own
 * file: a name, flags, `match` (does it read this file?) and either `parse`
 * (the whole file, held in memory) or `read` (the file as it streams). A new
 * ecosystem is one new file and one row.
 */
#ifndef BULKHEAD_INVENTORY_INTERNAL_H
#define BULKHEAD_INVENTORY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/inventory.h"

/* The longest name, version, arch, licence or source value a parser keeps:
 * a longer one makes the record malformed (a 10 MB "Package:" is hostile). */
#define INV_MAX_VALUE 4096
/* At most this many licences and dependencies per package. */
#define INV_MAX_LIST 4096
/* At most this many packages from one manifest (a Go binary, a jar, a database). */
#define INV_MAX_PKGS 1000000

/* A (pointer, length) view into a parser's input. */
struct inv_str {
	const char *p;
	size_t n;
};

/* ---- the catalogers ------------------------------------------------------- */

/* What a cataloger's match() sees of a regular file in a layer. */
struct inv_path {
	const char *path; /* relative, no leading "/" */
	const char *base; /* its last component */
	size_t dirlen;	  /* the length of its directory (0 at the top) */
	uint32_t mode;
	uint64_t size;
};

/* One recognised file of one layer and what its cataloger found in it. */
struct inv_doc {
	char *path; /* relative, no leading "/" */
	unsigned layer;
	size_t seq; /* archive order within the layer */
	const struct inv_cataloger *cat;
	struct bh_os os;	/* INV_CAT_RELEASE */
	struct bh_pkglist pkgs; /* the others */
	char *warning;		/* the first problem with this file, or NULL */
	bool live;		/* in the final filesystem (set after the walk) */
	struct bh_map *keys;	/* name\0version\0arch -> 1, built when needed */
};

/* What parse() and read() get besides the bytes. */
struct inv_input {
	const char *path; /* "/path", as users see it (messages, bh_package.path) */
	const struct bh_entry *e;
	const struct bh_inventory_opts *o;
	struct bh_buf *scratch; /* read(): a buffer of this layer, bounded */
};

enum {
	/* OS packages: every path of the cataloger is one attribution group;
	 * ecosystems and purls come from the image's OS. */
	INV_CAT_OS_PKGS = 1 << 0,
	/* An OS release file: parse() fills doc->os, no packages. */
	INV_CAT_RELEASE = 1 << 1,
	/* Read into the large buffer, up to max_archive_size (else max_manifest). */
	INV_CAT_ARCHIVE = 1 << 2,
	/* A lockfile: an entry is dropped where an installed package (of a
	 * cataloger without this flag) sits at its install_dir, and gives it its
	 * dev flag. */
	INV_CAT_LOCKFILE = 1 << 3,
};

struct inv_cataloger {
	const char *name; /* "dpkg", "npm-lockfile", ... */
	unsigned flags;	  /* INV_CAT_* */
	bool (*match)(const struct inv_path *p);
	/* The whole file, held in memory: fill d->pkgs (or d->os). A failure is
	 * a warning about this file, with what was appended kept. */
	int (*parse)(const struct inv_input *in, const char *buf, size_t len, struct inv_doc *d,
		     struct bh_error **err);
	/* Or the file as it streams: 1 when it is this cataloger's (problems
	 * go to d->warning), 0 when it is not after all (d is dropped), < 0
	 * when the walk must stop (err). */
	int (*read)(const struct inv_input *in, struct bh_entry_reader *r, struct inv_doc *d,
		    struct bh_error **err);
	/* The directory a package is installed in (new string), for
	 * INV_CAT_LOCKFILE and the dependency graph; NULL when the type has none. */
	char *(*install_dir)(const struct bh_package *p);
	const char *fallback_ecosystem; /* INV_CAT_OS_PKGS: when the OS is unknown */
};

/* The rows, each in its cataloger's file. */
extern const struct inv_cataloger inv_cat_os, inv_cat_dpkg, inv_cat_apk, inv_cat_rpm, inv_cat_npm,
	inv_cat_npm_lock, inv_cat_python, inv_cat_java, inv_cat_go;

/* The first cataloger of the table that reads this regular file, or NULL. */
const struct inv_cataloger *inv_cataloger_for(const struct bh_entry *e);
/* The row named `name`, or NULL. */
const struct inv_cataloger *inv_cataloger_named(const char *name);

/* Record a problem with d's file (the first one is kept); frees e. */
void inv_doc_warn(struct inv_doc *d, struct bh_error *e);

/* ---- string helpers (strutil.c) -------------------------------------------- */

/* A copy of s without leading and trailing white space; NULL if empty. */
char *inv_strdup_trim(const char *p, size_t n);
bool inv_str_eq(struct inv_str s, const char *lit);
/* A trimmed copy of (p, n) if it is a value we keep (inv_value_ok), else NULL. */
char *inv_value_dup(const char *p, size_t n);
/* Whether (p, n) is printable text we are willing to keep as a value. */
bool inv_value_ok(const char *p, size_t n);

/* Append a copy to a NULL-terminated string vector (bh_strv_* for the rest),
 * up to INV_MAX_LIST entries; false past it. */
bool inv_strv_add(char ***v, const char *s);
bool inv_strv_addn(char ***v, const char *p, size_t n);

/*
 * A package URL (https://github.com/package-url/purl-spec): type, optional
 * namespace (its "/"-separated segments encoded one by one), name, optional
 * version and qualifiers given as key, value pairs ending with NULL (pairs
 * with a NULL or empty value are left out; keys must be sorted). New string.
 */
char *inv_purl(const char *type, const char *ns, const char *name, const char *version,
	       const char *const *quals);

/* The purl namespace ("debian", "alpine", "redhat", ...) for an os-release ID. */
const char *inv_purl_distro_ns(const char *os_id, enum bh_pkg_type t);

/* The purl of an OS package (dpkg, apk, rpm) from its fields, with the
 * distro qualifier and namespace of `os` when given. */
char *inv_os_purl(const struct bh_package *pkg, const struct bh_os *os);

/* Split "name (version)" / "name (= version)" as dpkg's Source: does. */
void inv_split_name_version(const char *p, size_t n, char **name, char **version);

/* Whether path has a component "node_modules" (at its start or after a "/"). */
bool inv_in_node_modules(const char *path);
/* The component of path that ends at `end` (exclusive): its first byte. */
const char *inv_prev_component(const char *path, const char *end);

/* ---- package URLs (purl.c) ------------------------------------------------- */

/* pkg:npm/[%40scope/]name@version */
char *inv_npm_purl(const char *name, const char *version);
/* The directory an npm package is installed in ("app/node_modules/a"), new
 * string: from its package.json, or its lockfile and install_path. */
char *inv_npm_dir(const struct bh_package *p);

/* Whether the start of an ELF file (b, len: what was read of it) shows a
 * Go binary: a Go build ID note, or the build info magic itself. */
bool inv_go_sniff(const unsigned char *b, size_t len);

/* The Go build info from its magic on, for a binary too large to hold:
 * the inline (Go >= 1.18) format only. */
int inv_go_buildinfo_blob(const unsigned char *bi, size_t len, const char *path,
			  struct bh_pkglist *out, struct bh_error **err);
/* The file range of the first writable PT_LOAD segment, from the ELF
 * headers held in (b, len). */
bool inv_go_data_range(const unsigned char *b, size_t len, uint64_t *off, uint64_t *size);
/* Bytes of a file held at file offset `off`. */
struct inv_go_region {
	uint64_t off;
	const unsigned char *p;
	size_t n;
};
/* The build info from its magic on (bi, bilen) of a binary of which only the
 * start (head: the ELF and program headers) and some regions are held; the
 * pointer format (Go < 1.18) reads its strings through those. */
int inv_go_buildinfo_sparse(const unsigned char *head, size_t hlen, const struct inv_go_region *rg,
			    size_t nrg, const unsigned char *bi, size_t bilen, const char *path,
			    struct bh_pkglist *out, struct bh_error **err);
/* The file offset of [addr, addr + n) through the PT_LOAD segments of the
 * ELF headers in (head, hlen). */
bool inv_go_vaddr_offset(const unsigned char *head, size_t hlen, uint64_t addr, uint64_t n,
			 uint64_t *off);

/* Whether a file name is a Java archive (.jar .war .ear .jpi .hpi). */
bool inv_java_archive_name(const char *name);

/* The OS release files (os.c); INV_OS_RELEASE is os-release(5). */
enum inv_os_file { INV_OS_RELEASE = 1, INV_OS_ALPINE, INV_OS_DEBIAN, INV_OS_REDHAT };
/* Parse one of them into os (which it resets first, except for os-release,
 * whose keys overwrite). */
int inv_parse_release_file(enum inv_os_file kind, const char *buf, size_t len, const char *path,
			   struct bh_os *os, struct bh_error **err);
/* The preference of a release file (0 best; larger for a path that is not one). */
unsigned inv_os_rank(const char *path);

#endif /* BULKHEAD_INVENTORY_INTERNAL_H */
