/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/inventory: small string helpers the parsers share, package
 * URLs and the limits every parser applies to the values it keeps.
 */
#ifndef BULKHEAD_INVENTORY_INTERNAL_H
#define BULKHEAD_INVENTORY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

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

/* A copy of s without leading and trailing white space; NULL if empty. */
char *inv_strdup_trim(const char *p, size_t n);
bool inv_str_eq(struct inv_str s, const char *lit);
/* A trimmed copy of (p, n) if it is a value we keep (inv_value_ok), else NULL. */
char *inv_value_dup(const char *p, size_t n);
/* Whether (p, n) is printable text we are willing to keep as a value. */
bool inv_value_ok(const char *p, size_t n);

/* NULL-terminated string vectors: append a copy (up to INV_MAX_LIST; false
 * past it), count, free. */
bool inv_strv_add(char ***v, const char *s);
bool inv_strv_addn(char ***v, const char *p, size_t n);
size_t inv_strv_len(char *const *v);
void inv_strv_free(char **v);
bool inv_strv_has(char *const *v, const char *s);

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

/* pkg:npm/[%40scope/]name@version */
char *inv_npm_purl(const char *name, const char *version);

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

/* Whether a file name is a Java archive (.jar .war .ear .jpi .hpi). */
bool inv_java_archive_name(const char *name);

/* The OS release files (os.c); INV_OS_RELEASE is os-release(5). */
enum inv_os_file { INV_OS_RELEASE = 1, INV_OS_ALPINE, INV_OS_DEBIAN, INV_OS_REDHAT };
/* Parse one of them into os (which it resets first, except for os-release,
 * whose keys overwrite). */
int inv_parse_release_file(enum inv_os_file kind, const char *buf, size_t len, const char *path,
			   struct bh_os *os, struct bh_error **err);

#endif /* BULKHEAD_INVENTORY_INTERNAL_H */
