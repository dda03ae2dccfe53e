# SPDX-License-Identifier: Apache-2.0
#
# bulkhead build.
#
#   make                    libbulkhead.a and the bulkhead binary
#   make check              build and run every test (unit, end-to-end, fuzz corpora)
#   make SANITIZE=1 check   the same under ASan + UBSan (objects in build/san), less
#                           the long system tests that say `# sanitize: skip` (harness)
#   make check-bare         the tests that use an optional tool, with every optional
#                           tool hidden from PATH (BARE_ALL=1: every test)
#   make fuzz               libFuzzer targets with clang-14 (build/fuzz)
#   make format             clang-format the sources; format-check only checks
#   make demo               install dependencies, build, and show bulkhead at work
#   make install PREFIX=... the binary, the library, headers and man pages

TESTDATA ?= ../shared/data
PREFIX ?= /usr/local
CC ?= gcc
CLANG ?= clang-14
CLANG_FORMAT ?= clang-format-14
WERROR ?= 1
SANITIZE ?=
V ?=

# Only libc, jansson and libseccomp are linked: the runtime starts the binary
# twice per container and every library mapped at start costs. The libraries
# of the image, scan and database code, and libcurl for `db update` and registries, are
# loaded on first use (src/lazy/, sonames from scripts/lazy-sonames); only
# their headers are used at build time.
LINK_PKGS := jansson libseccomp
LAZY_PKGS := yaml-0.1 libcrypto libarchive libzstd libisal sqlite3 libhs libpcre2-8 yara libsodium \
	libevent_core libevent_extra libevent_openssl libssl \
	libbpf libmnl libpq tss2-esys tss2-tctildr tss2-mu tss2-rc
PKG_CFLAGS := $(shell pkg-config --cflags $(LINK_PKGS) $(LAZY_PKGS) libcurl 2>/dev/null)
PKG_LIBS := -Wl,--as-needed $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null) -lpthread -lm
# The unit tests also call some of those libraries themselves (to build test input).
TEST_LIBS := $(PKG_LIBS) $(shell pkg-config --libs $(LAZY_PKGS) 2>/dev/null)
GEN := build/gen

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wvla -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g $(WARN) -fstack-protector-strong -fPIC \
	-Iinclude -Isrc -Isrc/base -I$(GEN) $(PKG_CFLAGS)

ifeq ($(SANITIZE),1)
BUILD := build/san
# -g1: line tables only, all a sanitizer's report needs (file:line in each
# frame), and a sixth less compile time than -g's full debug information.
OPT := -O1 -g1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN := -fsanitize=address,undefined
BIN := $(BUILD)/bulkhead
LIB := $(BUILD)/libbulkhead.a
LIB_INT := $(BUILD)/libbulkhead-internal.a
else
BUILD := build/rel
OPT := -O2 -D_FORTIFY_SOURCE=2
LDSAN :=
BIN := bulkhead
LIB := libbulkhead.a
LIB_INT := $(BUILD)/libbulkhead-internal.a
endif

CFLAGS ?=
ALL_CFLAGS := $(BASE_CFLAGS) $(OPT) $(CFLAGS)
LDFLAGS ?=
ALL_LDFLAGS := $(LDSAN) $(LDFLAGS)

ifeq ($(V),)
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
else
Q :=
say :=
endif

# Every subsystem directory under src/ except the command line is the library.
LIB_SRC := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC := src/main.c $(sort $(wildcard src/cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz-replay/%)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null) -lz

MAN_SRC := $(sort $(wildcard docs/man/*.[0-9]))

.PHONY: all check check-bare unit-tests test-bins demo deps fuzz format format-check install clean bench
.DEFAULT_GOAL := all
# Keep intermediate objects (the fuzz build makes them through pattern chains).
.SECONDARY:

all: $(BIN) $(LIB)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The sonames of the libraries loaded on first use, read off this machine's.
$(GEN)/lazy/sonames.h: scripts/lazy-sonames
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)scripts/lazy-sonames "$(CC)" $@

$(BUILD)/src/lazy/lazy.o build/fuzz/obj/src/lazy/lazy.o: $(GEN)/lazy/sonames.h

# The SPDX licence ids of the SBOM writers, from the list kept in the repository.
$(GEN)/report/spdx_ids.h: scripts/spdx-ids src/report/spdx_ids.txt
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)scripts/spdx-ids gen src/report/spdx_ids.txt $@

$(BUILD)/src/report/license.o build/fuzz/obj/src/report/license.o: $(GEN)/report/spdx_ids.h

# The web dashboard (web/: plain HTML, CSS and JavaScript, no build step) as C
# data served by `bulkhead serve` (src/ctl/web.c).
WEB_SRC := $(sort $(wildcard web/*.html web/*.css web/*.js))
$(GEN)/ctl/web_assets.h: scripts/web-assets $(WEB_SRC)
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)scripts/web-assets $@ $(WEB_SRC)

$(BUILD)/src/ctl/web.o build/fuzz/obj/src/ctl/web.o: $(GEN)/ctl/web_assets.h

# The build id: a digest of the library's sources, part of every key of the
# layer cache (src/image/cache.c), so no build reads what another stored.
LIB_HDR := $(sort $(wildcard include/bulkhead/*.h src/*/*.h))
$(GEN)/buildid.h: $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)id=$$(cat $(LIB_SRC) $(LIB_HDR) | sha256sum | cut -c1-16) && \
		printf '#define BH_BUILD_ID "%s"\n' "$$id" >$@.tmp && mv $@.tmp $@

$(BUILD)/src/image/cache.o build/fuzz/obj/src/image/cache.o: $(GEN)/buildid.h

# BPF programs (src/<subsystem>/bpf/<name>.bpf.c): an object built from source
# with clang -target bpf, and the skeleton bpftool generates from it
# ($(GEN)/<subsystem>/<name>.skel.h, skeleton name <prefix>_<name>), which the
# loader includes (libbpf itself is loaded on first use). Each use:
#   $(eval $(call bpf_skel,SUBSYSTEM,NAME,SKELETON NAME,LOADER OBJECT,EXTRA DEPS))
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
# clang -target bpf does not search the multiarch directory that holds <asm/types.h>
# (a program that includes <linux/bpf.h> needs it); add it as libbpf-bootstrap does.
BPF_SYSINC := $(shell $(CC) -dumpmachine 2>/dev/null | sed 's|^|-I/usr/include/|')
define bpf_skel
$$(GEN)/$(1)/$(2).bpf.o: src/$(1)/bpf/$(2).bpf.c $(5)
	@mkdir -p $$(dir $$@)
	$$(call say,BPF,$$<)$$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Isrc -Isrc/base $$(BPF_SYSINC) -Wall -Werror \
		-c -o $$@ $$<

$$(GEN)/$(1)/$(2).skel.h: $$(GEN)/$(1)/$(2).bpf.o
	$$(call say,GEN,$$@)$$(BPFTOOL) gen skeleton $$< name $(3) >$$@.tmp && mv $$@.tmp $$@

$$(BUILD)/src/$(1)/$(4).o build/fuzz/obj/src/$(1)/$(4).o: $$(GEN)/$(1)/$(2).skel.h
endef

# The syscall recorder (src/profile/bpf/syscalls.bpf.c, loaded by recorder.c).
$(eval $(call bpf_skel,profile,syscalls,prof_syscalls,recorder,src/profile/bpf/recorder.h))
# The monitor's kernel event source (src/monitor/bpf/events.bpf.c, loaded by source_kernel.c).
$(eval $(call bpf_skel,monitor,events,mon_events,source_kernel,src/monitor/bpf/events.h $(wildcard src/monitor/bpf/events_*.h)))
# The connect guard (src/monitor/bpf/connect.bpf.c, loaded by guard_net.c).
$(eval $(call bpf_skel,monitor,connect,grd_connect,guard_net,src/monitor/bpf/guard_net.h))

# libbulkhead.a, the installed library: its objects linked into one (ld -r)
# whose only global symbols are the public API's (bh_*; and the sanitizers'
# __* in SANITIZE builds), so a program that links it cannot collide with the
# subsystems' internal names (rt_*, mon_*, ...). bulkhead itself links it: a
# command uses the public API only, and the link says so. The price: a
# program gets the whole library, not the objects it uses.
$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)rm -f $@ $(BUILD)/libbulkhead.o && ld -r -o $(BUILD)/libbulkhead.o $^ && \
		objcopy --wildcard -G 'bh_*' -G '__*' $(BUILD)/libbulkhead.o && ar rcs $@ $(BUILD)/libbulkhead.o

# The same objects with every symbol, for what tests the internals: the unit
# tests, the fuzz replays, the test tools and the benchmarks that time one part.
$(LIB_INT): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS)
ifeq ($(SANITIZE),1)
	@# the rules are found beside the binary (bh_content_default_rules_dir), as for ./bulkhead
	@ln -sfn ../../rules $(BUILD)/rules
endif

# The command table without main(), for the unit tests of dispatch.
$(BUILD)/src/main-nomain.o: src/main.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -DBH_TEST_NO_MAIN -MMD -MP -c -o $@ $<

CLI_OBJ_NOMAIN := $(BUILD)/src/main-nomain.o $(filter-out $(BUILD)/src/main.o,$(CLI_OBJ))

$(BUILD)/tests/%: tests/unit/%.c $(CLI_OBJ_NOMAIN) $(LIB_INT) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -Itests/unit -o $@ $< \
		$(CLI_OBJ_NOMAIN) $(LIB_INT) $(CMOCKA_LIBS) $(TEST_LIBS) $(ALL_LDFLAGS)

# Fuzz targets linked with a small driver that replays a corpus (no libFuzzer).
$(BUILD)/fuzz-replay/%: fuzz/%.c fuzz/replay.c $(LIB_INT)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -o $@ $< fuzz/replay.c $(LIB_INT) $(PKG_LIBS) $(ALL_LDFLAGS)

# Small C tools the end-to-end tests and benchmarks drive (tests/tools/*.c), linked with the library.
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB_INT)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_INT) $(PKG_LIBS) $(ALL_LDFLAGS)

# Every header compiles on its own, included twice (its own includes and its
# guard are complete): a stamp per header, after the library (whose rules make
# the generated headers some of them include).
HDR_OK := $(LIB_HDR:%.h=$(BUILD)/hdr/%.ok)
$(BUILD)/hdr/%.ok: %.h | $(LIB)
	@mkdir -p $(dir $@)
	$(call say,HDR,$<)$(CC) $(ALL_CFLAGS) -fsyntax-only -MMD -MP -MF $@.d -MT $@ \
		-include $< -include $< -x c /dev/null && touch $@
-include $(HDR_OK:%=%.d)

test-bins: $(BIN) $(UNIT_BIN) $(FUZZ_REPLAY) $(TOOL_BIN) $(HDR_OK)

deps:
	@if [ "$$(id -u)" = 0 ]; then scripts/install-deps; else scripts/install-deps --check; fi

# `make check` installs what it needs (as root), builds, then runs every test
# through the harness, which ends with "N passed, N failed, N skipped". The
# harness runs the tests declared parallel (tests/harness) nproc at a time
# (HARNESS_JOBS=N to change it), then the serial tests that name what they
# hold (`# harness: serial netns ctl`) as many at once, never two that name the
# same thing, then each other test alone (HARNESS_SERIAL_ALONE=1: every serial
# test alone).
TESTS = $(UNIT_BIN) $(sort $(wildcard tests/e2e/*.test)) $(FUZZ_REPLAY:%=fuzz:%)
HARNESS = env BULKHEAD="$(abspath $(BIN))" TESTDATA="$(abspath $(TESTDATA))" BUILD="$(abspath $(BUILD))" \
	SANITIZE="$(SANITIZE)" tests/harness

check: deps
	@$(MAKE) --no-print-directory test-bins
	@$(HARNESS) $(TESTS)

# The tools a test may use but the suite must pass without: a test that needs
# one says SKIP and names it. `make check-bare` runs the tests that use one of
# them (tests/uses-tools: the test, or a helper it names, runs or looks one up)
# with all of them hidden from PATH (CI does), so a test that quietly depends
# on a tool fails there instead of on a user's machine. A test that uses none
# runs exactly as in `make check`, where it ran; BARE_ALL=1 runs every test.
# Tests see BH_BARE=1 there: one whose tool use is a small part of it may leave
# out, under it, repeated work that uses no optional tool and that `make
# check` has just run (profile-workloads runs one workload, not five), saying
# so with bare_skip / bare_skip_rest of tests/e2e/lib.sh: one SKIP per section.
OPTIONAL_TOOLS := clamscan bpftool docker dockerd containerd containerd-shim* ctr podman conmon \
	skopeo umoci go runc crun node npm rpm igzip zstd readelf groff tshark apk docker-registry \
	htpasswd kubectl mmdebstrap debootstrap tcpdump editcap capinfos dnsmasq dig dot \
	sqlmap hping3 iperf3 iodine iodined nginx wget chromium chromium-browser \
	prometheus promtool
BARE_ALL ?=
check-bare: deps
	@$(MAKE) --no-print-directory test-bins
	@if [ -n "$(BARE_ALL)" ]; then echo $(TESTS); else tests/uses-tools "$(OPTIONAL_TOOLS)" $(TESTS); fi \
		>$(BUILD)/bare-tests
	@BH_BARE=1 scripts/without-tools "$(OPTIONAL_TOOLS)" $(HARNESS) $$(cat $(BUILD)/bare-tests)

demo: deps
	@$(MAKE) --no-print-directory all
	@TESTDATA="$(abspath $(TESTDATA))" BULKHEAD="$(abspath $(BIN))" scripts/demo

# libFuzzer builds: clang-14, ASan + UBSan + the fuzzer runtime.
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -Isrc/base -I$(GEN) \
	$(PKG_CFLAGS)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CLANG,$<)$(CLANG) $(FUZZ_CFLAGS:-fsanitize=fuzzer,%=-fsanitize=fuzzer-no-link,%) \
		-MMD -MP -c -o $@ $<

build/fuzz/%: fuzz/%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,CLANG,$<)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_OBJ) $(PKG_LIBS)

fuzz: $(FUZZ_BIN)
	@echo "fuzz targets in build/fuzz; run e.g. build/fuzz/fuzz_path fuzz/corpus/path"

FORMAT_FILES = $(shell find src include tests fuzz bench -name '*.[ch]' 2>/dev/null | sort)

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check:
	$(CLANG_FORMAT) --dry-run -Werror $(FORMAT_FILES)
	@echo "format-check: $(words $(FORMAT_FILES)) files clean"

bench: all $(LIB_INT)
	@for b in bench/*.sh; do echo "== $$b"; BULKHEAD="$(abspath $(BIN))" TESTDATA="$(abspath $(TESTDATA))" $$b || exit 1; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/bulkhead \
		$(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/bulkhead
	install -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libbulkhead.a
	install -m 0644 include/bulkhead/*.h $(DESTDIR)$(PREFIX)/include/bulkhead/
	install -m 0644 $(MAN_SRC) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/bulkhead/rules $(DESTDIR)$(PREFIX)/share/bulkhead/seccomp
	install -m 0644 rules/*.yar rules/README.md $(DESTDIR)$(PREFIX)/share/bulkhead/rules/
	install -d $(DESTDIR)$(PREFIX)/share/bulkhead/rules/monitor
	install -m 0644 rules/monitor/*.yaml $(DESTDIR)$(PREFIX)/share/bulkhead/rules/monitor/
	install -m 0644 share/seccomp/default.json $(DESTDIR)$(PREFIX)/share/bulkhead/seccomp/
	install -d $(DESTDIR)$(PREFIX)/share/bulkhead/policy/examples/keys
	install -m 0644 share/policy/policy.schema.json $(DESTDIR)$(PREFIX)/share/bulkhead/policy/
	install -m 0644 share/policy/examples/*.yaml $(DESTDIR)$(PREFIX)/share/bulkhead/policy/examples/
	install -m 0644 share/policy/examples/keys/*.pub $(DESTDIR)$(PREFIX)/share/bulkhead/policy/examples/keys/

clean:
	rm -rf build bulkhead libbulkhead.a

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BUILD)/src/main-nomain.d
# (a header change rebuilds the fuzz objects too: without it, a struct that grew
# left stale objects that crashed the fuzzers on a layout they did not share)
-include $(FUZZ_LIB_OBJ:.o=.d)
