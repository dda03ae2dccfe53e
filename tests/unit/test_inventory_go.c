/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Go cataloger: build info of a real go1.19 binary, the pre-1.18
 * pointer format built by hand, a section past the end of the file; read
 * whole and as it streams, a large pre-1.18 binary too. Helpers in
 * inventory_unit.h.
 */
#include <zlib.h>

#include "unit.h"
#include "bulkhead/inventory.h"
#include "inventory_unit.h"

/* ---- Go ---------------------------------------------------------------------- */

/*
 * tests/data/inventory/go/hello-go1.19.elf.gz: a real go1.19.8 binary (module
 * example.com/hello, vendored example.com/dep v1.2.3 and example.com/oldlib
 * replaced by example.com/newlib v1.1.0) with every byte a build info reader
 * does not look at zeroed (sparse.py); hello-go1.19.version-m.txt is what
 * `go version -m` printed for the real binary.
 */
static void check_hello(const struct bh_pkglist *l)
{
	const struct bh_package *m = find(l, "example.com/hello");

	assert_int_equal(l->n, 4);
	assert_non_null(m);
	assert_int_equal(m->type, BH_PKG_GO);
	assert_string_equal(m->version, "(devel)");
	assert_string_equal(m->purl, "pkg:golang/example.com/hello");
	assert_string_equal(m->arch, "amd64");
	assert_string_equal(find(l, "example.com/dep")->version, "v1.2.3");
	assert_string_equal(find(l, "example.com/dep")->purl, "pkg:golang/example.com/dep@v1.2.3");
	assert_string_equal(find(l, "example.com/newlib")->version, "v1.1.0");
	assert_null(find(l, "example.com/oldlib"));
	assert_string_equal(find(l, "stdlib")->version, "v1.19.8");
	assert_int_equal(find(l, "stdlib")->type, BH_PKG_GO_STDLIB);
	assert_true(has(m->depends, "example.com/dep"));
	assert_true(has(m->depends, "stdlib"));
	assert_string_equal(m->ecosystem, "Go");
}

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void wr64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void test_go_real(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t n;
	unsigned char *b = (unsigned char *)gunzip_file(FIX "/go/hello-go1.19.elf.gz", &n);
	uint64_t shoff = rd64(b + 40);

	if (bh_inventory_parse_go_buildinfo(b, n, "usr/bin/hello", &l, &err) < 0)
		fail_msg("%s", bh_error_message(err));
	check_hello(&l);
	assert_string_equal(l.v[0].path, "/usr/bin/hello");
	bh_pkglist_release(&l);

	/* section headers stripped: found from the first writable PT_LOAD */
	b[60] = b[61] = 0; /* e_shnum */
	if (bh_inventory_parse_go_buildinfo(b, n, "x", &l, &err) < 0)
		fail_msg("no section headers: %s", bh_error_message(err));
	check_hello(&l);
	bh_pkglist_release(&l);
	b[60] = 1; /* restore below by re-reading */
	free(b);

	/* .go.buildinfo claims to lie past the end of the file */
	b = (unsigned char *)gunzip_file(FIX "/go/hello-go1.19.elf.gz", &n);
	shoff = rd64(b + 40);
	{
		unsigned shnum = b[60] | b[61] << 8, shstrndx = b[62] | b[63] << 8;
		uint64_t stroff = rd64(b + shoff + 64 * shstrndx + 24);
		bool done = false;

		for (unsigned i = 0; i < shnum; i++) {
			unsigned char *sh = b + shoff + 64 * i;
			const char *name = (const char *)b + stroff + (sh[0] | sh[1] << 8);

			if (!strcmp(name, ".go.buildinfo")) {
				wr64(sh + 24, n - 16); /* sh_offset: 16 bytes before the end */
				done = true;
			}
		}
		assert_true(done);
	}
	assert_int_equal(bh_inventory_parse_go_buildinfo(b, n, "x", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "past the end");
	bh_error_clear(&err);
	assert_int_equal(l.n, 0);
	/* a section header table past the end */
	wr64(b + 40, (uint64_t)n + 100);
	assert_int_equal(bh_inventory_parse_go_buildinfo(b, n, "x", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "past the end");
	bh_error_clear(&err);
	/* every truncation fails cleanly */
	free(b);
	b = (unsigned char *)gunzip_file(FIX "/go/hello-go1.19.elf.gz", &n);
	for (size_t cut = 0; cut < n; cut += n / 97 + 1) {
		bh_inventory_parse_go_buildinfo(b, cut, "x", &l, &err);
		bh_error_clear(&err);
		bh_pkglist_release(&l);
	}
	free(b);
	/* not an ELF */
	assert_int_equal(bh_inventory_parse_go_buildinfo((const unsigned char *)"#!/bin/sh\n", 10,
							 "x", &l, &err),
			 -1);
	bh_error_clear(&err);
}

/*
 * The Go 1.13-1.17 format, built by hand as Go's debug/buildinfo reads it:
 * flags 0, pointer size 8; at offset 16 and 24 the addresses of two Go string
 * headers {data pointer, length}, for the version and the module info.
 */
static unsigned char *old_format_elf(size_t *len)
{
	const uint64_t base = 0x400000;
	const size_t size = 4096;
	unsigned char *b = bh_calloc(1, size);
	static const char modinfo[] = "0w\xaf\x0c\x92t\x08\x02"
				      "A\xe1\xc1\x07\xe6\xd6\x18\xe6"
				      "path\texample.com/old\n"
				      "mod\texample.com/old\tv0.1.0\th1:abc=\n"
				      "dep\tgolang.org/x/text\tv0.3.7\th1:def=\n"
				      "\xf9"
				      "2C1\x86\x18 r\x00\x82"
				      "B\x10"
				      "A\x16\xd8\xf2";
	static const char version[] = "go1.16.15";
	static const char shstr[] = "\0.go.buildinfo\0.shstrtab\0";
	const size_t bi = 0x200, hdrs = 0x300, strs = 0x400, shstrtab = 0x800, sh = 0x900;

	memcpy(b,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	b[16] = 2;  /* ET_EXEC */
	b[18] = 62; /* x86-64 */
	b[20] = 1;
	wr64(b + 32, 64); /* e_phoff */
	wr64(b + 40, sh); /* e_shoff */
	b[52] = 64;	  /* e_ehsize */
	b[54] = 56;	  /* e_phentsize */
	b[56] = 1;	  /* e_phnum */
	b[58] = 64;	  /* e_shentsize */
	b[60] = 3;	  /* e_shnum */
	b[62] = 2;	  /* e_shstrndx */
	/* one PT_LOAD, RW, the whole file at `base` */
	b[64] = 1;
	b[68] = 6;
	wr64(b + 64 + 8, 0);
	wr64(b + 64 + 16, base);
	wr64(b + 64 + 24, base);
	wr64(b + 64 + 32, size);
	wr64(b + 64 + 40, size);
	/* the build info */
	memcpy(b + bi, "\xff Go buildinf:", 14);
	b[bi + 14] = 8;
	b[bi + 15] = 0;
	wr64(b + bi + 16, base + hdrs);
	wr64(b + bi + 24, base + hdrs + 16);
	wr64(b + hdrs, base + strs);
	wr64(b + hdrs + 8, sizeof(version) - 1);
	wr64(b + hdrs + 16, base + strs + 64);
	wr64(b + hdrs + 24, sizeof(modinfo) - 1);
	memcpy(b + strs, version, sizeof(version) - 1);
	memcpy(b + strs + 64, modinfo, sizeof(modinfo) - 1);
	memcpy(b + shstrtab, shstr, sizeof(shstr));
	/* sections: null, .go.buildinfo, .shstrtab */
	b[sh + 64] = 1;
	b[sh + 64 + 4] = 1; /* PROGBITS */
	wr64(b + sh + 64 + 16, base + bi);
	wr64(b + sh + 64 + 24, bi);
	wr64(b + sh + 64 + 32, 32);
	b[sh + 128] = 15;
	b[sh + 128 + 4] = 3; /* STRTAB */
	wr64(b + sh + 128 + 24, shstrtab);
	wr64(b + sh + 128 + 32, sizeof(shstr));
	*len = size;
	return b;
}

static void test_go_old_format(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t n;
	unsigned char *b = old_format_elf(&n);

	if (bh_inventory_parse_go_buildinfo(b, n, "app", &l, &err) < 0)
		fail_msg("%s", bh_error_message(err));
	assert_int_equal(l.n, 3);
	assert_string_equal(find(&l, "example.com/old")->version, "v0.1.0");
	assert_string_equal(find(&l, "golang.org/x/text")->version, "v0.3.7");
	assert_string_equal(find(&l, "golang.org/x/text")->purl,
			    "pkg:golang/golang.org/x/text@v0.3.7");
	assert_string_equal(find(&l, "stdlib")->version, "v1.16.15");
	bh_pkglist_release(&l);
	/* the string header points outside the file */
	wr64(b + 0x300 + 8, 1 << 20);
	assert_int_equal(bh_inventory_parse_go_buildinfo(b, n, "app", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "outside");
	bh_error_clear(&err);
	/* a pointer size of 3 */
	b[0x200 + 14] = 3;
	assert_int_equal(bh_inventory_parse_go_buildinfo(b, n, "app", &l, &err), -1);
	bh_error_clear(&err);
	/* no magic: not found */
	b[0x200] = 0;
	assert_int_equal(bh_inventory_parse_go_buildinfo(b, n, "app", &l, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_clear(&err);
	free(b);
}

/* ---- Go binaries as they stream ------------------------------------------------ */

/* The streamed read agrees with the whole-file read, whatever the read sizes. */
static void test_go_stream_real(void **state)
{
	static const size_t chunks[] = { 1000, 4096, 65536, 1 << 20 };
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t n;
	unsigned char *b = (unsigned char *)gunzip_file(FIX "/go/hello-go1.19.elf.gz", &n);

	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		if (bh_inventory_parse_go_stream(b, n, chunks[i], "usr/bin/hello", &l, &err) < 0)
			fail_msg("chunk %zu: %s", chunks[i], bh_error_message(err));
		check_hello(&l);
		assert_string_equal(l.v[0].path, "/usr/bin/hello");
		bh_pkglist_release(&l);
	}
	/* every truncation ends cleanly */
	for (size_t cut = 0; cut < n; cut += n / 61 + 1) {
		bh_inventory_parse_go_stream(b, cut, 7000, "x", &l, &err);
		bh_error_clear(&err);
		bh_pkglist_release(&l);
	}
	/* not an ELF: not a Go binary */
	assert_int_equal(bh_inventory_parse_go_stream((const unsigned char *)"#!/bin/sh\n", 10, 4,
						      "x", &l, &err),
			 -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_clear(&err);
	free(b);
}

/*
 * A Go 1.13-1.17 binary laid out as the Go linker lays it out, larger than
 * what the stream holds: the version and module info strings in the
 * read-only segment, far from the start; the build info at the start of the
 * writable segment; the string headers after it. `headers_before` puts the
 * headers in the read-only segment instead (the stream has passed them).
 */
static unsigned char *old_format_large(size_t *len, bool headers_before)
{
	const uint64_t base = 0x400000, rw_vaddr = 0x800000;
	const size_t rw_off = 1 << 20, size = rw_off + (512 << 10);
	const size_t strs = 600000, bi = rw_off, hdrs = headers_before ? 700000 : rw_off + 300000;
	static const char modinfo[] = "0w\xaf\x0c\x92t\x08\x02"
				      "A\xe1\xc1\x07\xe6\xd6\x18\xe6"
				      "path\texample.com/big\n"
				      "mod\texample.com/big\tv1.2.0\th1:abc=\n"
				      "dep\tgolang.org/x/sys\tv0.0.1\th1:def=\n"
				      "\xf9"
				      "2C1\x86\x18 r\x00\x82"
				      "B\x10"
				      "A\x16\xd8\xf2";
	static const char version[] = "go1.17.13";
	unsigned char *b = bh_calloc(1, size);
	const uint64_t ro_vaddr = base;

	/* noise that looks like candidates: "go1." elsewhere, a stray sentinel */
	memcpy(b + 300000, "go1.99 is not it", 16);
	memcpy(b + 400000, modinfo, 16);
	memcpy(b,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	b[16] = 2;
	b[18] = 62;
	b[20] = 1;
	wr64(b + 32, 64); /* e_phoff; no section headers */
	b[52] = 64;
	b[54] = 56;
	b[56] = 3; /* e_phnum */
	/* PT_NOTE with the Go build ID note, at 0x200 */
	b[64] = 4;
	wr64(b + 64 + 8, 0x200);
	wr64(b + 64 + 32, 16 + 8);
	b[0x200] = 4;	  /* namesz */
	b[0x200 + 4] = 8; /* descsz */
	b[0x200 + 8] = 4; /* NT_GO_BUILDID */
	memcpy(b + 0x200 + 12, "Go\0\0buildid!", 12);
	/* PT_LOAD R: [0, rw_off) at ro_vaddr */
	b[120] = 1;
	b[124] = 4;
	wr64(b + 120 + 8, 0);
	wr64(b + 120 + 16, ro_vaddr);
	wr64(b + 120 + 32, rw_off);
	wr64(b + 120 + 40, rw_off);
	/* PT_LOAD RW: [rw_off, size) at rw_vaddr */
	b[176] = 1;
	b[180] = 6;
	wr64(b + 176 + 8, rw_off);
	wr64(b + 176 + 16, rw_vaddr);
	wr64(b + 176 + 32, size - rw_off);
	wr64(b + 176 + 40, size - rw_off);
#define VA(off) ((off) < rw_off ? ro_vaddr + (off) : rw_vaddr + ((off)-rw_off))
	memcpy(b + bi, "\xff Go buildinf:", 14);
	b[bi + 14] = 8;
	wr64(b + bi + 16, VA(hdrs));
	wr64(b + bi + 24, VA(hdrs + 16));
	wr64(b + hdrs, VA(strs));
	wr64(b + hdrs + 8, sizeof(version) - 1);
	wr64(b + hdrs + 16, VA(strs + 64));
	wr64(b + hdrs + 24, sizeof(modinfo) - 1);
#undef VA
	memcpy(b + strs, version, sizeof(version) - 1);
	memcpy(b + strs + 64, modinfo, sizeof(modinfo) - 1);
	*len = size;
	return b;
}

static void check_big(const struct bh_pkglist *l)
{
	assert_int_equal(l->n, 3);
	assert_string_equal(find(l, "example.com/big")->version, "v1.2.0");
	assert_string_equal(find(l, "golang.org/x/sys")->version, "v0.0.1");
	assert_string_equal(find(l, "stdlib")->version, "v1.17.13");
}

static void test_go_stream_old_format(void **state)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t n;
	unsigned char *b = old_format_large(&n, false);

	if (bh_inventory_parse_go_buildinfo(b, n, "big", &l, &err) < 0)
		fail_msg("whole: %s", bh_error_message(err));
	check_big(&l);
	bh_pkglist_release(&l);
	for (size_t chunk = 999; chunk < n; chunk *= 7) {
		if (bh_inventory_parse_go_stream(b, n, chunk, "big", &l, &err) < 0)
			fail_msg("stream, chunk %zu: %s", chunk, bh_error_message(err));
		check_big(&l);
		bh_pkglist_release(&l);
	}
	/* the small hand-made one (all of it in the head) */
	free(b);
	b = old_format_elf(&n);
	assert_int_equal(bh_inventory_parse_go_stream(b, n, 100, "app", &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(find(&l, "stdlib")->version, "v1.16.15");
	bh_pkglist_release(&l);
	free(b);

	/* string headers the stream has passed: a clean failure, not a guess */
	b = old_format_large(&n, true);
	if (bh_inventory_parse_go_buildinfo(b, n, "big", &l, &err) < 0)
		fail_msg("whole, headers before: %s", bh_error_message(err));
	check_big(&l);
	bh_pkglist_release(&l);
	assert_int_equal(bh_inventory_parse_go_stream(b, n, 65536, "big", &l, &err), -1);
	assert_error(err, BH_ERR_INVALID, "outside");
	bh_error_clear(&err);
	assert_int_equal(l.n, 0);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_real),
		cmocka_unit_test(test_go_old_format),
		cmocka_unit_test(test_go_stream_real),
		cmocka_unit_test(test_go_stream_old_format),
	};

	return cmocka_run_group_tests_name("inventory go", tests, NULL, NULL);
}
