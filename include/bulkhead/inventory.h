/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead inventory: every installed package in an image, found by
 * catalogers that read files through the image walk (one pass over the
 * layers, no unpacking), and the operating system the image is built on.
 * The inventory is one consumer of the walk that bh_scan_image runs
 * (include/bulkhead/scan.h): `bulkhead sbom` is bh_scan_image with no
 * scanner, which gives the inventory alone.
 *
 * What each cataloger recognises (paths are inside the image):
 *   os      etc/os-release, usr/lib/os-release; fallbacks etc/alpine-release,
 *           etc/debian_version, etc/redhat-release
 *   dpkg    var/lib/dpkg/status, var/lib/dpkg/status.d/<name> (distroless)
 *   apk     lib/apk/db/installed
 *   rpm     {var/lib/rpm,usr/lib/sysimage/rpm}/{rpmdb.sqlite,Packages,Packages.db}
 *           (SQLite, Berkeley DB hash, NDB)
 *   npm     .../node_modules/[@scope/]name/package.json, package-lock.json v1-v3
 *           (outside node_modules)
 *   python  *.dist-info/METADATA, *.egg-info/PKG-INFO, *.egg-info files
 *   go      executable ELF files with a Go build ID note: .go.buildinfo
 *   java    *.jar, *.war, *.ear, *.jpi, *.hpi (nested archives too)
 *
 * Layer indexes are 0-based here, 1-based for users (see image.h).
 * Ownership follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_INVENTORY_H
#define BULKHEAD_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"
#include "bulkhead/image.h"

/* The operating system of an image, from /etc/os-release and fallbacks. */
struct bh_os {
	char *id;		/* os-release ID: "debian", "alpine", "ubuntu", "rhel" */
	char *version_id;	/* "12", "3.19.4", "22.04", "9.3" */
	char *version_codename; /* "bookworm", or NULL */
	char *pretty_name;
	/* The OSV ecosystem of the OS packages: "Debian:12", "Ubuntu:22.04",
	 * "Alpine:v3.19", "Red Hat:9", "Rocky Linux:9", ...; NULL if unknown. */
	char *ecosystem;
	char *source; /* the file it came from ("/etc/os-release") */
};

/* Which cataloger found a package. */
enum bh_pkg_type {
	BH_PKG_DPKG = 1,
	BH_PKG_APK,
	BH_PKG_RPM,
	BH_PKG_NPM,
	BH_PKG_PYTHON,
	BH_PKG_GO,	  /* a module in a Go binary's build info (incl. the main module) */
	BH_PKG_GO_STDLIB, /* the Go toolchain ("stdlib") a binary was built with */
	BH_PKG_JAVA,
};

struct bh_package {
	enum bh_pkg_type type;
	char *ecosystem; /* OSV ecosystem: "Debian:12", "Alpine:v3.19", "npm", "PyPI", "Go", "Maven"
			  */
	char *name;	 /* as the ecosystem names it (PyPI: PEP 503 normalised;
			    Maven: "group:artifact") */
	char *version;
	char *source_name;    /* dpkg Source, apk origin, rpm source package; NULL if none */
	char *source_version; /* dpkg source version (may differ from version); NULL if none */
	char *arch;	      /* NULL if none */
	char *purl;	      /* package URL */
	char **licenses;      /* NULL-terminated; NULL when none declared */
	char *path;	      /* the database or manifest it came from, with a leading "/" */
	unsigned layer;	      /* 0-based: the first layer in which name+version appear
				 (continuously up to the last layer) in the merged view */
	bool dev;	      /* npm: a dev dependency */
	char *id;	      /* stable unique id within the inventory (bom-ref / SPDXID base) */
	/*
	 * Parsers fill `depends` with the names of what the package depends on,
	 * as its packaging names them (dpkg/apk package names or provides, npm
	 * and PyPI names, Go module paths); bh_inventory_finish replaces them
	 * with the ids of the packages found, dropping names it cannot resolve.
	 * NULL-terminated, or NULL.
	 */
	char **depends;
	/* Other names the package answers to when others depend on it (dpkg
	 * Provides, apk "p:" such as "so:libc.musl-x86_64.so.1"); NULL-terminated
	 * or NULL. */
	char **provides;
	/* npm lockfile entries: the install location relative to the lockfile's
	 * directory ("node_modules/a/node_modules/b"); else NULL. */
	char *install_path;
};

struct bh_inventory {
	struct bh_os os;
	struct bh_package *pkgs; /* sorted by type, ecosystem, name, version, path */
	size_t npkgs;
	char **warnings; /* things the user must know ("unsupported rpm database
			    format at /var/lib/rpm/Packages"), NULL-terminated */
};

/* Limits on what the catalogers read; 0 = the default. Go binaries are read
 * as they stream, never held whole, whatever their size. */
struct bh_inventory_opts {
	size_t max_manifest;	   /* largest database/manifest read (default 64 MiB) */
	size_t max_archive_depth;  /* nested jars (default 4) */
	uint64_t max_archive_size; /* one jar read for nested parsing (default 256 MiB) */
};

void bh_inventory_free(struct bh_inventory *inv);

/*
 * The inventory as one consumer of a walk shared with other scanners
 * (bh_image_walk_consumers; it pulls the content of the files it
 * recognises, so no other consumer of that walk may pull). bh_scan_image
 * runs it so; a caller with its own walk does the same:
 *
 *   c = bh_inventory_collector_new(img, opts);      (opts may be NULL)
 *   m = bh_merge_new(img);
 *   bh_image_walk_consumers(img, ..., {bh_inventory_consumer(c), bh_merge_consumer(m)}, ...);
 *   bh_merge_finish(m, &fs, ...);
 *   bh_inventory_finish(c, fs, &inv, ...);
 *   bh_inventory_collector_free(c);
 *
 * The merged view decides what is installed, for any number of layers: a
 * database whited out or replaced in a later layer (or later in the same
 * layer's tar) counts as the later version. A file a cataloger cannot read
 * (malformed, over a limit, an unsupported format) is a warning in
 * inv->warnings, not a failure; failures are those of the walk itself.
 * bh_inventory_finish needs `merged` (the final filesystem of the same walk)
 * and is called once; `img` must outlive the collector.
 */
struct bh_inventory_collector;
struct bh_inventory_collector *bh_inventory_collector_new(struct bh_image *img,
							  const struct bh_inventory_opts *opts);
struct bh_consumer *bh_inventory_consumer(struct bh_inventory_collector *c);
int bh_inventory_finish(struct bh_inventory_collector *c, const struct bh_fileset *merged,
			struct bh_inventory **out, struct bh_error **err);
void bh_inventory_collector_free(struct bh_inventory_collector *c);
/* "dpkg", "apk", "rpm", "npm", "python", "go-module", "go-stdlib", "java". */
const char *bh_pkg_type_name(enum bh_pkg_type t);
/* The purl type of a package type: "deb", "apk", "rpm", "npm", "pypi", "golang", "maven". */
const char *bh_pkg_purl_type(enum bh_pkg_type t);

/*
 * bulkhead's own JSON form of an inventory: {"image": {...}, "os": {...},
 * "packages": [...], "warnings": [...]} (layers 1-based). img may be NULL.
 */
json_t *bh_inventory_json(const struct bh_inventory *inv, const struct bh_image *img);

/* ---- parsers of untrusted bytes (exposed for fuzzing and tests) -------- */

/* A growable list of packages that parsers append to. */
struct bh_pkglist {
	struct bh_package *v;
	size_t n, cap;
};
struct bh_package *bh_pkglist_add(struct bh_pkglist *l); /* zeroed */
void bh_pkglist_release(struct bh_pkglist *l);
void bh_package_release(struct bh_package *p);

/* os-release (KEY=value, shell quoting) into os; `path` names the source. */
int bh_inventory_parse_os_release(const char *buf, size_t len, const char *path, struct bh_os *os,
				  struct bh_error **err);
void bh_os_release(struct bh_os *os);
/* Set os->ecosystem from os->id and os->version_id (NULL when unknown). */
void bh_os_set_ecosystem(struct bh_os *os);

/*
 * Each parser appends what it finds; `path` is recorded in each package.
 * Ecosystems of OS packages are left NULL (they depend on the OS, set by
 * bh_inventory_finish); purls are built without the distro qualifier.
 * On a malformed input a parser fails with BH_ERR_INVALID; what it appended
 * before the failure stays in `out`.
 */
int bh_inventory_parse_dpkg_status(const char *buf, size_t len, const char *path,
				   struct bh_pkglist *out, struct bh_error **err);
int bh_inventory_parse_apk_installed(const char *buf, size_t len, const char *path,
				     struct bh_pkglist *out, struct bh_error **err);
/* One rpm header blob (as stored in rpmdb.sqlite / Packages / Packages.db). */
int bh_inventory_parse_rpm_header(const unsigned char *buf, size_t len, const char *path,
				  struct bh_pkglist *out, struct bh_error **err);
/*
 * A whole rpm database file: SQLite (rpmdb.sqlite), Berkeley DB hash
 * (Packages) or NDB (Packages.db), detected from its content. Anything
 * else fails with BH_ERR_UNSUPPORTED ("unsupported rpm database format").
 */
int bh_inventory_parse_rpm_db(const unsigned char *buf, size_t len, const char *path,
			      struct bh_pkglist *out, struct bh_error **err);
int bh_inventory_parse_npm_package_json(const char *buf, size_t len, const char *path,
					struct bh_pkglist *out, struct bh_error **err);
/* package-lock.json / npm-shrinkwrap.json, v1 (dependencies tree) or v2/v3
 * (packages map). Each package's `path` is the lockfile's, `install_path`
 * where npm puts it; bh_inventory_finish keeps an entry only when no
 * installed package.json is at that place (and marks that one dev from it). */
int bh_inventory_parse_npm_lockfile(const char *buf, size_t len, const char *path,
				    struct bh_pkglist *out, struct bh_error **err);
int bh_inventory_parse_python_metadata(const char *buf, size_t len, const char *path,
				       struct bh_pkglist *out, struct bh_error **err);
/* Go build info from an ELF file held in memory. */
int bh_inventory_parse_go_buildinfo(const unsigned char *buf, size_t len, const char *path,
				    struct bh_pkglist *out, struct bh_error **err);
/*
 * The same, read as the walk reads it: streamed in reads of at most `chunk`
 * bytes, with bounded memory (see src/inventory/golang_stream.c). Fails with
 * BH_ERR_NOTFOUND for a file that is not a Go binary or has no build info.
 */
int bh_inventory_parse_go_stream(const unsigned char *buf, size_t len, size_t chunk,
				 const char *path, struct bh_pkglist *out, struct bh_error **err);
/* A jar/war/ear (zip) held in memory: pom.properties, else MANIFEST.MF;
 * nested archives down to max_depth. */
int bh_inventory_parse_java_archive(const unsigned char *buf, size_t len, const char *path,
				    size_t max_depth, struct bh_pkglist *out,
				    struct bh_error **err);
/* PEP 503 name normalisation into a new string. */
char *bh_pep503_normalize(const char *name);

#endif /* BULKHEAD_INVENTORY_H */
