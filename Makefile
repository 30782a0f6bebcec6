# netcheck - see README.md. `make` (dynamic build), `make static`, `make test`,
# `make dist`, `make demo`, `make bench`, `make fuzz`, `make install`, `make uninstall`.

# The version: the nearest vMAJOR.MINOR.PATCH tag (`git describe`: "0.1.0" on the
# tag, "0.1.0-3-gabc1234" three commits later), else BASE_VERSION (no .git, as in
# a source tarball, or no tag yet). `make VERSION=...` overrides it.
BASE_VERSION := 0.1.0
GIT_VERSION  := $(if $(wildcard .git),$(patsubst v%,%,$(shell git describe --tags --match 'v[0-9]*' 2>/dev/null)))
VERSION      := $(or $(GIT_VERSION),$(BASE_VERSION))
PREFIX   ?= /usr/local
CC       ?= cc
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Werror
# No build path reaches a binary: the same sources give the same bytes in any directory.
PATH_MAP := -ffile-prefix-map=$(CURDIR)=.
# The flags every build flavour shares (dynamic, static, asan, fuzz); each adds its own below
# (mk/sanitize.mk, mk/fuzz.mk).
COMMON_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -DNC_VERSION='"$(VERSION)"' $(PATH_MAP)
# Each object (and test binary) records the headers it read in a .d file next to it, so a
# header change rebuilds exactly what includes it; -MP keeps a deleted header from breaking
# the build.
DEP_FLAGS := -MMD -MP
CFLAGS   ?= -O2 -g
# Hardening, kept by tests/hardening.sh: stack protector, FORTIFY (it needs
# an optimised build: left out for -O0), PIE, full RELRO, no executable stack.
HARDEN_CFLAGS  := -fstack-protector-strong -fPIE \
                  $(if $(filter -O0,$(CFLAGS)),,-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
CFLAGS   += $(COMMON_CFLAGS) $(HARDEN_CFLAGS)
LIBS     := -lcurl -lcares -lssl -lcrypto -lcjson

SRCS     := $(sort $(wildcard agent/*.c probes/*.c))
OBJS     := $(SRCS:%.c=build/obj/%.o)
LIB_OBJS := $(filter-out build/obj/agent/main.o,$(OBJS))
TESTS    := $(sort $(wildcard tests/unit/test_*.c))
TEST_BINS:= $(TESTS:tests/unit/%.c=build/tests/%)

DEPS_STAMP       := build/.deps-installed
BUILD_DEPS_STAMP := build/.deps-build-installed

.PHONY: all deps build-deps static test unit-test cli-test vpc-test dist-test dist dist-check \
        demo bench fuzz install uninstall clean lint format asan print-version FORCE
all: netcheck

# Everything a fresh Debian bookworm machine lacks is installed by the project itself:
# the build tools alone (scripts/install-deps.sh --build) for the builds, all of it for the tests.
$(BUILD_DEPS_STAMP): scripts/install-deps.sh
	@mkdir -p build
	scripts/install-deps.sh --build
	@touch $@
$(DEPS_STAMP): scripts/install-deps.sh
	@mkdir -p build
	scripts/install-deps.sh
	@touch $@ $(BUILD_DEPS_STAMP)
build-deps: $(BUILD_DEPS_STAMP)
deps: $(DEPS_STAMP)

# nc_version lives in agent/version.c alone: a new version rebuilds that object only.
FORCE:
build/version.stamp: FORCE
	@mkdir -p build
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
build/obj/agent/version.o build/static-obj/agent/version.o build/asan/obj/agent/version.o \
  build/fuzz/obj/agent/version.o: build/version.stamp

build/obj/%.o: %.c | $(BUILD_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(DEP_FLAGS) -c $< -o $@

netcheck: $(OBJS)
	$(CC) $(CFLAGS) $(HARDEN_LDFLAGS) -o $@ $(OBJS) $(LIBS)

# ---- static ----
-include build/static/deps.mk
STATIC_CC      := musl-gcc
# Stack protector and position-independent code (the dependencies too:
# scripts/static-deps.sh); musl has no _FORTIFY_SOURCE.
STATIC_CFLAGS  := $(COMMON_CFLAGS) -Os -ffunction-sections -fdata-sections \
                  -fPIE -fstack-protector-strong -fno-asynchronous-unwind-tables -fno-unwind-tables \
                  -DCURL_STATICLIB -DCARES_STATICLIB
STATIC_OBJS    := $(SRCS:%.c=build/static-obj/%.o)
# static-pie (ASLR for a static binary). Debian's musl-gcc puts its own specs
# after the caller's arguments, and they have no static-pie: musl's rcrt1.o
# (which relocates the binary itself) and the linker's -static -pie
# --no-dynamic-linker are never asked for. So the link runs the compiler
# behind musl-gcc with musl's specs, then ours (mk/musl-static-pie.specs.in,
# the musl directory filled in), which add exactly that.
MUSL_GCC_SPECS := $(shell sed -n 's/.*-specs "\([^"]*\)".*/\1/p' $$(command -v musl-gcc) 2>/dev/null)
MUSL_REALGCC   := $(shell sed -n 's/.*REALGCC:-\([^}]*\)}.*/\1/p' $$(command -v musl-gcc) 2>/dev/null)
STATIC_PIE_SPECS := build/static/musl-static-pie.specs
# The start file is ours (mk/static-pie-start.c): musl 1.2.3's rcrt1.o cannot
# read packed relative relocations, which save ~330 KiB (bench/RESULTS.md).
STATIC_START   := build/static/static-pie-start.o
STATIC_LDFLAGS := -specs $(MUSL_GCC_SPECS) -specs $(STATIC_PIE_SPECS) -static-pie \
                  -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,-z,pack-relative-relocs

static: $(BUILD_DEPS_STAMP)
	scripts/static-deps.sh
	$(MAKE) netcheck-static

build/static-obj/%.o: %.c build/static/deps.mk
	@mkdir -p $(dir $@)
	$(STATIC_CC) $(STATIC_CFLAGS) $(DEP_FLAGS) -I$(STATIC_PREFIX)/include -idirafter build/static/kernel-headers -c $< -o $@

$(STATIC_PIE_SPECS): mk/musl-static-pie.specs.in
	@mkdir -p $(dir $@)
	@test -n "$(MUSL_GCC_SPECS)" || { echo "musl-gcc's specs not found (install musl-tools)" >&2; exit 1; }
	sed -e 's|@MUSL_LIBDIR@|$(patsubst %/,%,$(dir $(MUSL_GCC_SPECS)))|g' -e 's|@START@|$(abspath $(STATIC_START))|g' $< >$@

# No stack protector: it runs before the C library has set up the canary.
$(STATIC_START): mk/static-pie-start.c
	@mkdir -p $(dir $@)
	$(STATIC_CC) -std=c11 $(WARN) -Os -fPIE -fno-stack-protector -fno-asynchronous-unwind-tables \
	  -fno-unwind-tables -fno-builtin -idirafter build/static/kernel-headers -c $< -o $@

netcheck-static: $(STATIC_OBJS) build/static/deps.mk $(STATIC_PIE_SPECS) $(STATIC_START)
	$(MUSL_REALGCC) $(STATIC_LDFLAGS) -Os -Wl,--gc-sections -s -o $@ $(STATIC_OBJS) \
	  -L$(STATIC_PREFIX)/lib -lcurl -lcares -lssl -lcrypto -lcjson
	@file $@ | grep -q 'static-pie linked' || { echo "netcheck-static is not static-pie" >&2; exit 1; }
	@size=$$(stat -c %s $@); echo "netcheck-static: $$size bytes"; \
	  test $$size -le 2621440 || { echo "netcheck-static exceeds 2.5 MiB" >&2; exit 1; }

# ---- tests ----
build/tests/%: tests/unit/%.c $(LIB_OBJS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEP_FLAGS) -o $@ $< $(LIB_OBJS) $(LIBS) -lcmocka

build/tests/sigv4_cli: tests/unit/sigv4_cli.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEP_FLAGS) -o $@ $< $(LIB_OBJS) $(LIBS)

unit-test: $(TEST_BINS) build/tests/sigv4_cli netcheck
	@fail=0; for t in $(TEST_BINS); do echo "== $$t"; $$t || fail=1; done; \
	  echo "== botocore comparison"; NETCHECK_SIGV4_CLI=build/tests/sigv4_cli tests/unit/test_sigv4_botocore.sh || fail=1; \
	  exit $$fail

CLI_TESTS := $(sort $(wildcard tests/cli/run.sh tests/cli/test_*.sh))
cli-test: netcheck
	@fail=0; for t in $(CLI_TESTS); do echo "== $$t"; NETCHECK=./netcheck $$t || fail=1; done; exit $$fail

# Scenarios run VPC_JOBS at a time, each in its own emulated VPC.
VPC_JOBS ?= 3
vpc-test: netcheck
	NETCHECK=$(CURDIR)/netcheck tests/vpc/run-scenarios.sh -j $(VPC_JOBS)

# Release artifacts, the Dockerfile and `make install` (tests/dist): cheap, reuses the
# static dependencies already built.
dist-test: $(DEPS_STAMP) static
	tests/dist/run.sh

# `make test` proves both builds: every test against the dynamic binary, the
# CLI and VPC tests against the static one too, the release artifacts, and the
# sample output in README.md and docs/ against the scenarios' real output.
test: $(DEPS_STAMP) netcheck static
	$(MAKE) unit-test
	@fail=0; for bin in ./netcheck ./netcheck-static; do for t in $(CLI_TESTS); do \
	  echo "== $$t ($$bin)"; NETCHECK=$$bin $$t || fail=1; done; done; exit $$fail
	$(MAKE) dist-test
	NETCHECK=$(CURDIR)/netcheck tests/vpc/run-scenarios.sh -j $(VPC_JOBS)
	NETCHECK=$(CURDIR)/netcheck-static tests/vpc/run-scenarios.sh -j $(VPC_JOBS)
	tests/doc-samples.py --results tests/vpc/results

demo: $(DEPS_STAMP) netcheck
	NETCHECK=$(CURDIR)/netcheck scripts/demo.sh $(SCENARIO)

# ---- release: make dist ----
# build/dist/netcheck-VERSION-linux-x86_64.tar.gz (the static binary, the man
# page, LICENSE, THIRD_PARTY_NOTICES, CHANGELOG.md, README) and SHA256SUMS.
# Reproducible: the same commit gives the same bytes in any directory, on any
# day (file dates are the last commit's, SOURCE_DATE_EPOCH; names sorted; owner
# root; gzip without name or time). The Dockerfile's builder runs this target.
DIST_NAME  := netcheck-$(VERSION)-linux-x86_64
DIST_DIR   := build/dist
DIST_STAGE := $(DIST_DIR)/stage
# The last commit's date; in a tree without .git, the Makefile's date.
DIST_EPOCH  = $(or $(SOURCE_DATE_EPOCH),$(if $(wildcard .git),$(shell git log -1 --format=%ct 2>/dev/null)),$(shell stat -c %Y Makefile))

dist: static
	rm -rf $(DIST_DIR)
	install -d -m 0755 $(DIST_STAGE)
	install -m 0755 netcheck-static $(DIST_STAGE)/netcheck
	install -m 0644 docs/netcheck.1 LICENSE THIRD_PARTY_NOTICES CHANGELOG.md $(DIST_STAGE)/
	sed 's/@VERSION@/$(VERSION)/g' docs/dist-README >$(DIST_STAGE)/README
	chmod 0644 $(DIST_STAGE)/README
	tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner --mtime=@$(DIST_EPOCH) \
	  --transform='s,^stage,$(DIST_NAME),' -C $(DIST_DIR) -cf - stage | gzip -9n >$(DIST_DIR)/$(DIST_NAME).tar.gz
	cd $(DIST_DIR) && sha256sum $(DIST_NAME).tar.gz >SHA256SUMS
	@cat $(DIST_DIR)/SHA256SUMS

print-version:
	@echo '$(VERSION)'

# Two builds of HEAD from scratch, in another directory (static dependencies
# built anew there), give the bytes of this one (slow: ~4 min; .ci/run).
dist-check: dist
	tests/dist/reproducible.sh

# ---- install ----
# The static binary when it has been built (make static), else the dynamic one.
BINDIR := $(PREFIX)/bin
MANDIR := $(PREFIX)/share/man/man1
DOCDIR := $(PREFIX)/share/doc/netcheck

install:
	@if [ -f netcheck-static ]; then \
	  $(MAKE) --no-print-directory -s netcheck-static >/dev/null || exit 1; \
	  bin=netcheck-static; what="the static binary (netcheck-static: musl, no shared library needed)"; \
	else \
	  $(MAKE) --no-print-directory netcheck || exit 1; \
	  bin=netcheck; what="the dynamic binary (netcheck: needs libcurl4, libc-ares2, libssl3, libcjson1; 'make static' first installs the static one)"; \
	fi; \
	install -D -m 0755 $$bin $(DESTDIR)$(BINDIR)/netcheck && \
	install -D -m 0644 docs/netcheck.1 $(DESTDIR)$(MANDIR)/netcheck.1 && \
	install -d -m 0755 $(DESTDIR)$(DOCDIR) && \
	install -m 0644 LICENSE THIRD_PARTY_NOTICES $(DESTDIR)$(DOCDIR)/ && \
	echo "install: $(DESTDIR)$(BINDIR)/netcheck is $$what" && \
	echo "install: man page $(DESTDIR)$(MANDIR)/netcheck.1, licenses in $(DESTDIR)$(DOCDIR)/"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/netcheck $(DESTDIR)$(MANDIR)/netcheck.1 \
	  $(DESTDIR)$(DOCDIR)/LICENSE $(DESTDIR)$(DOCDIR)/THIRD_PARTY_NOTICES
	@rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@echo "uninstall: removed netcheck, its man page and licenses from $(DESTDIR)$(PREFIX)"

clean:
	rm -rf build/obj build/static-obj build/tests build/fuzz build/asan build/valgrind build/dist \
	  build/version.stamp netcheck netcheck-static

# Quality targets (fuzz, sanitizers, lint, bench) live in mk/*.mk.
-include $(sort $(wildcard mk/*.mk))

# The header dependencies the compiler wrote (DEP_FLAGS), for every build flavour.
-include $(OBJS:.o=.d) $(STATIC_OBJS:.o=.d) $(TEST_BINS:=.d) build/tests/sigv4_cli.d \
  $(ASAN_OBJS:.o=.d) $(ASAN_TESTS:=.d) build/asan/tests/sigv4_cli.d \
  $(FUZZ_OBJS:.o=.d) $(FUZZ_BINS:=.d)
