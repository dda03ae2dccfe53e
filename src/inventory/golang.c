/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go binaries. Recognises executable ELF files (any x bit; the magic is
 * checked first) that carry a Go build ID note near their start, and reads
 * the build info the Go linker embeds in them, as `go version -m` does:
 *
 *   the .go.buildinfo section (or, when section headers are stripped, the
 *   first 64 KiB of the first writable PT_LOAD segment) begins, 16-byte
 *   aligned, with the 14-byte magic "\xff Go buildinf:", a pointer size byte
 *   and a flags byte. Flag 2 (Go >= 1.18): the Go version and the module
 *   info follow at offset 32 as two uvarint-length-prefixed strings. Else
 *   (Go 1.13-1.17): two pointers at offset 16 to Go string headers
 *   {data pointer, length}, read through the sections' or segments' virtual
 *   addresses, in the byte order flag 1 gives.
 *   The module info is wrapped in two 16-byte sentinels; its lines are
 *   "path\t<main package>", "mod\t<path>\t<version>[\t<sum>]",
 *   "dep\t<path>\t<version>[\t<sum>]", "=>\t<path>\t<version>[\t<sum>]" (a
 *   replacement of the line before) and "build\t<key>=<value>".
 *
 * Checked against Go's src/debug/buildinfo/buildinfo.go and
 * src/runtime/debug/mod.go (go1.19), and against `go version -m` on binaries
 * built by Debian's golang-go 1.19 (see tests/data/inventory/go/).
 *
 * Reported: the main module, every dependency (the replacement's path and
 * version when it has one), and the toolchain as "stdlib" (version
 * "go1.19.8" -> "v1.19.8"), all in the OSV "Go" ecosystem.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define MAX_MODINFO (16u << 20)
#define DATA_SCAN   (64u * 1024)

static const char magic[] = "\xff Go buildinf:";
#define MAGIC_LEN 14

struct elf {
	const unsigned char *b; /* the whole file, or (sparse) its start */
	size_t len;
	/* sparse: the other bytes held, read through file_at */
	const struct inv_go_region *rg;
	size_t nrg;
	bool sparse;
	bool is64, be;
	uint64_t phoff, shoff;
	unsigned phentsize, phnum, shentsize, shnum, shstrndx;
};

static uint64_t rd(const struct elf *e, const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[e->be ? n - 1 - i : i] << (8 * i);
	return v;
}

/* [off, off+n) inside the file? */
static bool in_file(const struct elf *e, uint64_t off, uint64_t n)
{
	return off <= e->len && n <= e->len - off;
}

/* Read the ELF header; with `partial`, only the start of the file is held:
 * tables that lie past it are ignored instead of refused. */
static int elf_open(struct elf *e, const unsigned char *b, size_t len, bool partial,
		    struct bh_error **err)
{
	memset(e, 0, sizeof(*e));
	e->b = b;
	e->len = len;
	if (len < 52 || memcmp(b,
			       "\x7f"
			       "ELF",
			       4))
		return bh_error_set(err, BH_ERR_INVALID, "not an ELF file");
	if ((b[4] != 1 && b[4] != 2) || (b[5] != 1 && b[5] != 2))
		return bh_error_set(err, BH_ERR_INVALID, "ELF: bad class or byte order");
	e->is64 = b[4] == 2;
	e->be = b[5] == 2;
	if (e->is64) {
		if (len < 64)
			return bh_error_set(err, BH_ERR_INVALID, "ELF: truncated header");
		e->phoff = rd(e, b + 32, 8);
		e->shoff = rd(e, b + 40, 8);
		e->phentsize = (unsigned)rd(e, b + 54, 2);
		e->phnum = (unsigned)rd(e, b + 56, 2);
		e->shentsize = (unsigned)rd(e, b + 58, 2);
		e->shnum = (unsigned)rd(e, b + 60, 2);
		e->shstrndx = (unsigned)rd(e, b + 62, 2);
	} else {
		e->phoff = rd(e, b + 28, 4);
		e->shoff = rd(e, b + 32, 4);
		e->phentsize = (unsigned)rd(e, b + 42, 2);
		e->phnum = (unsigned)rd(e, b + 44, 2);
		e->shentsize = (unsigned)rd(e, b + 46, 2);
		e->shnum = (unsigned)rd(e, b + 48, 2);
		e->shstrndx = (unsigned)rd(e, b + 50, 2);
	}
	if (partial && !in_file(e, e->shoff, (uint64_t)e->shnum * e->shentsize))
		e->shnum = 0;
	if (partial && !in_file(e, e->phoff, (uint64_t)e->phnum * e->phentsize))
		e->phnum = 0;
	if (e->shnum && (e->shentsize < (e->is64 ? 64u : 40u) ||
			 !in_file(e, e->shoff, (uint64_t)e->shnum * e->shentsize)))
		return bh_error_set(err, BH_ERR_INVALID,
				    "ELF: the section header table is past the end of the file");
	if (e->phnum && (e->phentsize < (e->is64 ? 56u : 32u) ||
			 !in_file(e, e->phoff, (uint64_t)e->phnum * e->phentsize)))
		return bh_error_set(err, BH_ERR_INVALID,
				    "ELF: the program header table is past the end of the file");
	return 0;
}

struct shdr {
	uint32_t name, type;
	uint64_t addr, offset, size;
};

static void shdr(const struct elf *e, unsigned i, struct shdr *s)
{
	const unsigned char *p = e->b + e->shoff + (uint64_t)i * e->shentsize;

	s->name = (uint32_t)rd(e, p, 4);
	s->type = (uint32_t)rd(e, p + 4, 4);
	if (e->is64) {
		s->addr = rd(e, p + 16, 8);
		s->offset = rd(e, p + 24, 8);
		s->size = rd(e, p + 32, 8);
	} else {
		s->addr = rd(e, p + 12, 4);
		s->offset = rd(e, p + 16, 4);
		s->size = rd(e, p + 20, 4);
	}
}

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz;
};

static void phdr(const struct elf *e, unsigned i, struct phdr *h)
{
	const unsigned char *p = e->b + e->phoff + (uint64_t)i * e->phentsize;

	h->type = (uint32_t)rd(e, p, 4);
	if (e->is64) {
		h->flags = (uint32_t)rd(e, p + 4, 4);
		h->offset = rd(e, p + 8, 8);
		h->vaddr = rd(e, p + 16, 8);
		h->filesz = rd(e, p + 32, 8);
	} else {
		h->offset = rd(e, p + 4, 4);
		h->vaddr = rd(e, p + 8, 4);
		h->filesz = rd(e, p + 16, 4);
		h->flags = (uint32_t)rd(e, p + 24, 4);
	}
}

#define SHT_NOBITS 8
#define PT_LOAD	   1
#define PT_NOTE	   4
#define PF_W	   2

/* The .go.buildinfo section's bytes; 1 found, 0 absent, -1 malformed. */
static int find_section(const struct elf *e, const unsigned char **data, uint64_t *size,
			struct bh_error **err)
{
	struct shdr str, s;

	if (!e->shnum || e->shstrndx >= e->shnum)
		return 0;
	shdr(e, e->shstrndx, &str);
	if (str.type == SHT_NOBITS || !in_file(e, str.offset, str.size))
		return bh_error_set(err, BH_ERR_INVALID,
				    "ELF: the section name table is past the end of the file");
	for (unsigned i = 0; i < e->shnum; i++) {
		static const char want[] = ".go.buildinfo";

		shdr(e, i, &s);
		if (s.name >= str.size || str.size - s.name < sizeof(want) ||
		    memcmp(e->b + str.offset + s.name, want, sizeof(want)))
			continue;
		if (s.type == SHT_NOBITS)
			return 0;
		if (!in_file(e, s.offset, s.size))
			return bh_error_set(err, BH_ERR_INVALID,
					    "ELF: the .go.buildinfo section (offset %llu, %llu "
					    "bytes) is past the end of the %zu-byte file",
					    (unsigned long long)s.offset,
					    (unsigned long long)s.size, e->len);
		*data = e->b + s.offset;
		*size = s.size;
		return 1;
	}
	return 0;
}

/* The n file bytes at off, if held. */
static const unsigned char *file_at(const struct elf *e, uint64_t off, uint64_t n)
{
	if (in_file(e, off, n))
		return e->b + off;
	for (size_t i = 0; e->sparse && i < e->nrg; i++) {
		const struct inv_go_region *r = &e->rg[i];

		if (off >= r->off && off - r->off <= r->n && n <= r->n - (off - r->off))
			return r->p + (off - r->off);
	}
	return NULL;
}

/* The file offset of vaddr addr through the PT_LOAD segment holding
 * [addr, addr + n) in its file bytes; false when none does. */
static bool seg_offset(const struct elf *e, uint64_t addr, uint64_t n, uint64_t *off)
{
	for (unsigned i = 0; i < e->phnum; i++) {
		struct phdr h;

		phdr(e, i, &h);
		if (h.type != PT_LOAD || addr < h.vaddr || addr - h.vaddr >= h.filesz ||
		    n > h.filesz - (addr - h.vaddr) || h.offset > UINT64_MAX - h.filesz ||
		    (!e->sparse && !in_file(e, h.offset, h.filesz)))
			continue;
		*off = h.offset + (addr - h.vaddr);
		return true;
	}
	return false;
}

/* Map a virtual address to file bytes (n of them) through the segments. */
static const unsigned char *at_vaddr(const struct elf *e, uint64_t addr, uint64_t n)
{
	uint64_t off;

	if (seg_offset(e, addr, n, &off))
		return file_at(e, off, n);
	for (unsigned i = 0; i < e->shnum; i++) {
		struct shdr s;

		shdr(e, i, &s);
		if (s.type == SHT_NOBITS || !s.addr || addr < s.addr || addr - s.addr >= s.size ||
		    n > s.size - (addr - s.addr) || !in_file(e, s.offset, s.size))
			continue;
		return e->b + s.offset + (addr - s.addr);
	}
	return NULL;
}

/* A NUL-terminated copy of n bytes that may hold NULs themselves. */
static char *dup_bytes(const void *p, size_t n)
{
	char *s = bh_malloc(n + 1);

	if (n)
		memcpy(s, p, n);
	s[n] = 0;
	return s;
}

static bool uvarint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		unsigned char c = *(*p)++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* Read a Go string through its header {ptr, len} at vaddr `addr`. */
static char *go_string(const struct elf *e, uint64_t addr, int ptrsize, bool be, size_t *outlen)
{
	struct elf e2 = *e;
	const unsigned char *hdr, *data;
	uint64_t ptr, len;

	e2.be = be;
	hdr = at_vaddr(e, addr, (uint64_t)ptrsize * 2);
	if (!hdr)
		return NULL;
	ptr = rd(&e2, hdr, ptrsize);
	len = rd(&e2, hdr + ptrsize, ptrsize);
	if (len > MAX_MODINFO)
		return NULL;
	data = at_vaddr(e, ptr, len);
	if (!data && len)
		return NULL;
	*outlen = (size_t)len;
	return dup_bytes(data, (size_t)len);
}

/* "go1.21.3" -> "v1.21.3", "go1.19" -> "v1.19.0", "go1.21rc2" -> "v1.21.0-rc.2". */
static char *stdlib_version(const char *gov)
{
	const char *v = gov + 2, *pre;
	size_t n = strcspn(v, " ");
	char *num, *out;
	int dots = 0;

	if (!bh_str_has_prefix(gov, "go") || !(v[0] >= '0' && v[0] <= '9'))
		return bh_strndup(gov, strcspn(gov, " "));
	num = bh_strndup(v, n);
	pre = num + strspn(num, "0123456789.");
	for (const char *c = num; c < pre; c++)
		dots += *c == '.';
	if (*pre) {
		char *base = bh_strndup(num, (size_t)(pre - num));
		const char *digits = pre + strcspn(pre, "0123456789");
		char *tag = bh_strndup(pre, (size_t)(digits - pre));

		out = bh_asprintf("v%s%s-%s%s%s", base, dots < 2 ? ".0" : "", tag,
				  *digits ? "." : "", digits);
		free(base);
		free(tag);
	} else {
		out = bh_asprintf("v%s%s", num, dots < 2 ? ".0" : "");
	}
	free(num);
	return out;
}

static char *field(const char **p, const char *end)
{
	const char *s = *p, *tab;

	tab = memchr(s, '\t', (size_t)(end - s));
	*p = tab ? tab + 1 : end;
	return bh_strndup(s, (size_t)((tab ? tab : end) - s));
}

/* pkg:golang/<path up to the last "/">/<last element>[@version] */
static void set_purl(struct bh_package *pkg)
{
	bool devel = !strcmp(pkg->version, "(devel)");
	const char *slash = strrchr(pkg->name, '/');
	char *ns = slash ? bh_strndup(pkg->name, (size_t)(slash - pkg->name)) : NULL;

	free(pkg->purl);
	pkg->purl = inv_purl("golang", ns, slash ? slash + 1 : pkg->name,
			     devel ? NULL : pkg->version, NULL);
	free(ns);
}

static struct bh_package *go_pkg(struct bh_pkglist *out, enum bh_pkg_type t, const char *name,
				 const char *version, const char *path)
{
	struct bh_package *pkg = bh_pkglist_add(out);
	bool devel = !version || !*version || !strcmp(version, "(devel)");

	pkg->type = t;
	pkg->ecosystem = bh_strdup("Go");
	pkg->name = bh_strdup(name);
	pkg->version = bh_strdup(devel ? "(devel)" : version);
	pkg->path = bh_asprintf("/%s", path[0] == '/' ? path + 1 : path);
	set_purl(pkg);
	return pkg;
}

static int parse_modinfo(const char *gov, const char *mod, size_t modlen, const char *path,
			 struct bh_pkglist *out, struct bh_error **err)
{
	const char *p = mod, *end = mod + modlen;
	size_t first = out->n, main_idx = SIZE_MAX;
	char *goarch = NULL;
	struct bh_package *last = NULL;

	/* the sentinels around the module info (runtime/debug's infoStart/infoEnd) */
	if (modlen >= 33 && mod[modlen - 17] == '\n') {
		p += 16;
		end -= 16;
	} else {
		end = p; /* no module info: a binary built outside module mode */
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q = p;
		char *kind = field(&q, le);

		if (!strcmp(kind, "mod") || !strcmp(kind, "dep") || !strcmp(kind, "=>")) {
			char *mpath = field(&q, le), *ver = q < le ? field(&q, le) : bh_strdup("");

			if (!inv_value_ok(mpath, strlen(mpath)) || strlen(ver) > INV_MAX_VALUE ||
			    out->n - first >= INV_MAX_PKGS) {
				free(kind);
				free(mpath);
				free(ver);
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s: malformed module line in the build info",
						    path);
			}
			if (!strcmp(kind, "=>")) {
				/* the replacement of the module on the line before */
				bool local = !*ver || !strcmp(ver, "(devel)") || mpath[0] == '.' ||
					     mpath[0] == '/';

				if (last && !local) {
					free(last->name);
					free(last->version);
					last->name = bh_strdup(mpath);
					last->version = bh_strdup(ver);
					set_purl(last);
				} else if (last) {
					/* a local directory: the code is not that version */
					free(last->version);
					last->version = bh_strdup("(devel)");
					set_purl(last);
				}
				last = NULL;
			} else {
				last = go_pkg(out, BH_PKG_GO, mpath, ver, path);
				if (!strcmp(kind, "mod"))
					main_idx = out->n - 1;
			}
			free(mpath);
			free(ver);
		} else if (!strcmp(kind, "build")) {
			if (bh_str_has_prefix(q, "GOARCH=") && !goarch) {
				goarch = bh_strndup(q + 7, (size_t)(le - q - 7));
				if (!inv_value_ok(goarch, strlen(goarch))) {
					free(goarch);
					goarch = NULL;
				}
			}
			last = NULL;
		} else {
			last = NULL;
		}
		free(kind);
		p = nl ? nl + 1 : end;
	}
	if (gov && *gov) {
		char *sv = stdlib_version(gov);

		if (inv_value_ok(sv, strlen(sv)))
			go_pkg(out, BH_PKG_GO_STDLIB, "stdlib", sv, path);
		free(sv);
	}
	for (size_t i = first; i < out->n; i++) {
		if (goarch)
			out->v[i].arch = bh_strdup(goarch);
		/* the main module depends on everything else the binary holds */
		if (main_idx != SIZE_MAX && i != main_idx)
			inv_strv_add(&out->v[main_idx].depends, out->v[i].name);
	}
	free(goarch);
	return 0;
}

/* The build info from its magic on (len bytes available); e is NULL when
 * only this blob is held (then only the inline format can be read). */
static int parse_blob(const struct elf *ep, const unsigned char *bi, size_t size, const char *path,
		      struct bh_pkglist *out, struct bh_error **err)
{
	char *gov = NULL, *mod = NULL;
	size_t govlen = 0, modlen = 0;
	int r;

	if (bi[15] & 2) {
		const unsigned char *p = bi + 32, *end = bi + size;
		uint64_t n;

		if (!uvarint(&p, end, &n) || n > (uint64_t)(end - p) || n > 256)
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: bad Go version in the build info", path);
		gov = dup_bytes(p, (size_t)n);
		govlen = (size_t)n;
		p += n;
		if (!uvarint(&p, end, &n) || n > (uint64_t)(end - p) || n > MAX_MODINFO) {
			free(gov);
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: the module info runs past the build info", path);
		}
		mod = dup_bytes(p, (size_t)n);
		modlen = (size_t)n;
	} else {
		int ptrsize = bi[14];
		bool be = bi[15] & 1;
		struct elf e2;

		if (!ep)
			return bh_error_set(err, BH_ERR_UNSUPPORTED,
					    "%s: Go < 1.18 build info without the binary", path);
		if (ptrsize != 4 && ptrsize != 8)
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: bad pointer size %d in the build info", path,
					    ptrsize);
		e2 = *ep;
		e2.be = be;
		gov = go_string(ep, rd(&e2, bi + 16, ptrsize), ptrsize, be, &govlen);
		mod = go_string(ep, rd(&e2, bi + 16 + ptrsize, ptrsize), ptrsize, be, &modlen);
		if (ep->sparse && !gov && mod) {
			/* the version was not among the bytes kept: the modules still are */
			bh_debug("%s: the Go version of Go < 1.18 build info was not found", path);
			gov = bh_strdup("");
		}
		if (!gov || !mod) {
			free(gov);
			free(mod);
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: the build info points outside the file", path);
		}
	}
	if (govlen != strlen(gov) || !bh_str_has_prefix(gov, "go")) {
		free(gov);
		gov = NULL;
	}
	r = parse_modinfo(gov, mod, modlen, path, out, err);
	free(gov);
	free(mod);
	return r;
}

int bh_inventory_parse_go_buildinfo(const unsigned char *buf, size_t len, const char *path,
				    struct bh_pkglist *out, struct bh_error **err)
{
	struct elf e;
	const unsigned char *data = NULL, *bi = NULL;
	uint64_t size = 0;
	int r;

	if (elf_open(&e, buf, len, false, err) < 0)
		return bh_error_prefix(err, "%s", path);
	r = find_section(&e, &data, &size, err);
	if (r < 0)
		return bh_error_prefix(err, "%s", path);
	if (r == 0) {
		/* no section headers: the start of the first writable PT_LOAD */
		for (unsigned i = 0; i < e.phnum; i++) {
			struct phdr h;

			phdr(&e, i, &h);
			if (h.type != PT_LOAD || !(h.flags & PF_W))
				continue;
			if (!in_file(&e, h.offset, h.filesz))
				return bh_error_set(
					err, BH_ERR_INVALID,
					"%s: ELF: a segment is past the end of the file", path);
			data = e.b + h.offset;
			size = h.filesz < DATA_SCAN ? h.filesz : DATA_SCAN;
			break;
		}
	}
	for (uint64_t off = 0; data && off + 32 <= size; off += 16)
		if (!memcmp(data + off, magic, MAGIC_LEN)) {
			bi = data + off;
			size -= off;
			break;
		}
	if (!bi)
		return bh_error_set(err, BH_ERR_NOTFOUND, "%s: no Go build info", path);
	return parse_blob(&e, bi, (size_t)size, path, out, err);
}

int inv_go_buildinfo_blob(const unsigned char *bi, size_t len, const char *path,
			  struct bh_pkglist *out, struct bh_error **err)
{
	if (len < 32 || memcmp(bi, magic, MAGIC_LEN))
		return bh_error_set(err, BH_ERR_NOTFOUND, "%s: no Go build info", path);
	return parse_blob(NULL, bi, len, path, out, err);
}

int inv_go_buildinfo_sparse(const unsigned char *head, size_t hlen, const struct inv_go_region *rg,
			    size_t nrg, const unsigned char *bi, size_t bilen, const char *path,
			    struct bh_pkglist *out, struct bh_error **err)
{
	struct elf e;

	if (elf_open(&e, head, hlen, true, err) < 0)
		return bh_error_prefix(err, "%s", path);
	e.rg = rg;
	e.nrg = nrg;
	e.sparse = true;
	if (bilen < 32 || memcmp(bi, magic, MAGIC_LEN))
		return bh_error_set(err, BH_ERR_NOTFOUND, "%s: no Go build info", path);
	return parse_blob(&e, bi, bilen, path, out, err);
}

bool inv_go_vaddr_offset(const unsigned char *head, size_t hlen, uint64_t addr, uint64_t n,
			 uint64_t *off)
{
	struct elf e;

	if (elf_open(&e, head, hlen, true, NULL) < 0)
		return false;
	e.sparse = true;
	return seg_offset(&e, addr, n, off);
}

bool inv_go_data_range(const unsigned char *b, size_t len, uint64_t *off, uint64_t *size)
{
	struct elf e;

	if (elf_open(&e, b, len, true, NULL) < 0)
		return false;
	for (unsigned i = 0; i < e.phnum; i++) {
		struct phdr h;

		phdr(&e, i, &h);
		if (h.type == PT_LOAD && (h.flags & PF_W)) {
			*off = h.offset;
			*size = h.filesz;
			return true;
		}
	}
	return false;
}

bool inv_go_sniff(const unsigned char *b, size_t len)
{
	struct elf e;

	if (elf_open(&e, b, len, true, NULL) < 0)
		return false;
	/* a "Go" note of type 4 (NT_GO_BUILDID) in a PT_NOTE segment we hold */
	for (unsigned i = 0; i < e.phnum; i++) {
		struct phdr h;
		uint64_t off, end;

		phdr(&e, i, &h);
		if (h.type != PT_NOTE || !in_file(&e, h.offset, h.filesz))
			continue;
		off = h.offset;
		end = h.offset + h.filesz;
		while (off + 12 <= end) {
			uint64_t namesz = rd(&e, b + off, 4), descsz = rd(&e, b + off + 4, 4);
			uint64_t type = rd(&e, b + off + 8, 4);
			uint64_t next = off + 12 + ((namesz + 3) & ~3ull) + ((descsz + 3) & ~3ull);

			if (namesz == 4 && type == 4 && off + 16 <= end &&
			    !memcmp(b + off + 12, "Go\0\0", 4))
				return true;
			if (next <= off || next > end)
				break;
			off = next;
		}
	}
	/* a tiny binary: the build info itself is in what we hold */
	return memmem(b, len, magic, MAGIC_LEN) != NULL;
}
