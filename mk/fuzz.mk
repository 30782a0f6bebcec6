# Fuzzing (tests/fuzz/README.md): libFuzzer targets for every parser, built
# with clang and ASan/UBSan into build/fuzz/, run from a copy of the
# committed seeds (the repository's corpus is never written to).
#   make fuzz                 every target for FUZZ_SECONDS (default 60) each
#   make fuzz-smoke           every target for 10 s
#   make fuzz-build           build only
#   make fuzz FUZZ_TARGETS=peerproto   one target
# Needs clang and libclang-rt-14-dev (libFuzzer), from scripts/install-deps.sh.

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_SANITIZE      := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS        := $(COMMON_CFLAGS) -g -O1 -fno-omit-frame-pointer $(FUZZ_SANITIZE)
FUZZ_SRCS          := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_ALL           := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_TARGETS       ?= $(FUZZ_ALL)
FUZZ_BINS          := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
# Everything but main(): the targets call the parsers directly.
FUZZ_OBJS          := $(filter-out build/fuzz/obj/agent/main.o,$(SRCS:%.c=build/fuzz/obj/%.o))

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-check-cc

fuzz-check-cc:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "fuzz: $(FUZZ_CC) not found: install clang and libclang-rt-14-dev (scripts/install-deps.sh)" >&2; exit 1; }

# -fsanitize=fuzzer-no-link instruments the library code for coverage;
# only the targets link libFuzzer's main().
build/fuzz/obj/%.o: %.c | $(DEPS_STAMP) fuzz-check-cc
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEP_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEP_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LIBS)

# Keep the objects: make would delete them as intermediates of the pattern rules.
.SECONDARY: $(FUZZ_OBJS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)
