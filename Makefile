# netcheck - see README.md. `make` (dynamic build), `make static`, `make test`,
# `make demo`, `make bench`, `make fuzz`, `make install`.

VERSION  ?= 0.1.0
PREFIX   ?= /usr/local
CC       ?= cc
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Werror
CFLAGS   ?= -O2 -g
# Hardening, kept by tests/hardening.sh: stack protector, FORTIFY (it needs
# an optimised build: left out for -O0), PIE, full RELRO, no executable stack.
HARDEN_CFLAGS  := -fstack-protector-strong -fPIE \
                  $(if $(filter -O0,$(CFLAGS)),,-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
CFLAGS   += -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -DNC_VERSION='"$(VERSION)"' $(HARDEN_CFLAGS)
LIBS     := -lcurl -lcares -lssl -lcrypto -lcjson

SRCS     := $(sort $(wildcard agent/*.c probes/*.c))
OBJS     := $(SRCS:%.c=build/obj/%.o)
LIB_OBJS := $(filter-out build/obj/agent/main.o,$(OBJS))
TESTS    := $(sort $(wildcard tests/unit/test_*.c))
TEST_BINS:= $(TESTS:tests/unit/%.c=build/tests/%)

DEPS_STAMP := build/.deps-installed

.PHONY: all deps static test unit-test cli-test vpc-test demo bench fuzz install clean \
        lint format asan
all: netcheck

# Everything a fresh Debian bookworm machine lacks is installed by the project itself.
$(DEPS_STAMP): scripts/install-deps.sh
	@mkdir -p build
	scripts/install-deps.sh
	@touch $@
deps: $(DEPS_STAMP)

build/obj/%.o: %.c $(wildcard include/netcheck/*.h agent/*.h) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

netcheck: $(OBJS)
	$(CC) $(CFLAGS) $(HARDEN_LDFLAGS) -o $@ $(OBJS) $(LIBS)

# ---- static ----
-include build/static/deps.mk
STATIC_CC      := musl-gcc
# Stack protector and position-independent code (the dependencies too:
# scripts/static-deps.sh); musl has no _FORTIFY_SOURCE.
STATIC_CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) -Os -ffunction-sections -fdata-sections \
                  -fPIE -fstack-protector-strong \
                  -Iinclude -DNC_VERSION='"$(VERSION)"' -DCURL_STATICLIB -DCARES_STATICLIB
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
STATIC_LDFLAGS := -specs $(MUSL_GCC_SPECS) -specs $(STATIC_PIE_SPECS) -static-pie \
                  -Wl,-z,relro,-z,now -Wl,-z,noexecstack

static: $(DEPS_STAMP)
	scripts/static-deps.sh
	$(MAKE) netcheck-static

build/static-obj/%.o: %.c $(wildcard include/netcheck/*.h agent/*.h) build/static/deps.mk
	@mkdir -p $(dir $@)
	$(STATIC_CC) $(STATIC_CFLAGS) -I$(STATIC_PREFIX)/include -idirafter build/static/kernel-headers -c $< -o $@

$(STATIC_PIE_SPECS): mk/musl-static-pie.specs.in
	@mkdir -p $(dir $@)
	@test -n "$(MUSL_GCC_SPECS)" || { echo "musl-gcc's specs not found (install musl-tools)" >&2; exit 1; }
	sed 's|@MUSL_LIBDIR@|$(patsubst %/,%,$(dir $(MUSL_GCC_SPECS)))|g' $< >$@

netcheck-static: $(STATIC_OBJS) build/static/deps.mk $(STATIC_PIE_SPECS)
	$(MUSL_REALGCC) $(STATIC_LDFLAGS) -Os -Wl,--gc-sections -s -o $@ $(STATIC_OBJS) \
	  -L$(STATIC_PREFIX)/lib -lcurl -lcares -lssl -lcrypto -lcjson
	@file $@ | grep -q 'static-pie linked' || { echo "netcheck-static is not static-pie" >&2; exit 1; }
	@size=$$(stat -c %s $@); echo "netcheck-static: $$size bytes"; \
	  test $$size -le 3670016 || { echo "netcheck-static exceeds 3.5 MiB" >&2; exit 1; }

# ---- tests ----
build/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS) -lcmocka

build/tests/sigv4_cli: tests/unit/sigv4_cli.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS)

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

# `make test` proves both builds: every test against the dynamic binary, the
# CLI and VPC tests against the static one too.
test: $(DEPS_STAMP) netcheck static
	$(MAKE) unit-test
	@fail=0; for bin in ./netcheck ./netcheck-static; do for t in $(CLI_TESTS); do \
	  echo "== $$t ($$bin)"; NETCHECK=$$bin $$t || fail=1; done; done; exit $$fail
	NETCHECK=$(CURDIR)/netcheck tests/vpc/run-scenarios.sh -j $(VPC_JOBS)
	NETCHECK=$(CURDIR)/netcheck-static tests/vpc/run-scenarios.sh -j $(VPC_JOBS)

demo: $(DEPS_STAMP) netcheck
	NETCHECK=$(CURDIR)/netcheck scripts/demo.sh $(SCENARIO)

install: netcheck
	install -D -m 0755 netcheck $(DESTDIR)$(PREFIX)/bin/netcheck
	install -D -m 0644 docs/netcheck.1 $(DESTDIR)$(PREFIX)/share/man/man1/netcheck.1

clean:
	rm -rf build/obj build/static-obj build/tests build/fuzz build/asan build/valgrind netcheck netcheck-static

# Quality targets (fuzz, sanitizers, lint, bench) live in mk/*.mk.
-include $(sort $(wildcard mk/*.mk))
