# Static checks (docs/design.md, "Code style"): clang-format, cppcheck, clang-tidy, the banned
# functions and the layers (the module include graph has no cycle: docs/design.md, "Layers").
# `make lint` runs all five and fails if any fails; each also runs
# alone (lint-format, lint-cppcheck, lint-tidy, lint-banned, lint-layers).
# `make format` rewrites the files in place with the checked-in .clang-format.
# Needs clang-format, clang-tidy and cppcheck (Debian bookworm: LLVM 14, cppcheck 2.10).

CLANG_FORMAT ?= clang-format
CLANG_TIDY   ?= clang-tidy
CPPCHECK     ?= cppcheck
LINT_JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

FORMAT_FILES := $(sort $(wildcard agent/*.c agent/*.h probes/*.c include/netcheck/*.h \
                  tests/unit/*.c tests/fuzz/*.c tests/fuzz/*.h))
TIDY_FILES   := $(sort $(wildcard agent/*.c probes/*.c tests/fuzz/*.c))
CPPCHECK_DIRS:= agent probes tests/unit tests/fuzz
# The flags the build uses, so the checkers see the same code (NC_VERSION
# has a default in common.h).
LINT_CFLAGS  := -std=c11 -D_GNU_SOURCE -Iinclude

.PHONY: lint lint-format lint-cppcheck lint-tidy lint-banned lint-layers format

lint:
	@fail=""; \
	for t in lint-format lint-cppcheck lint-tidy lint-banned lint-layers; do \
	  echo "== $$t"; $(MAKE) --no-print-directory $$t || fail="$$fail $$t"; \
	done; \
	if [ -n "$$fail" ]; then echo "lint: FAILED:$$fail"; exit 1; fi; echo "lint: clean"

lint-format:
	@$(CLANG_FORMAT) --dry-run -Werror $(FORMAT_FILES) 2>&1 | grep -E '^[^ ].*(error|warning):' | \
	  sed 's/: error: code should be clang-formatted.*//' | sort -u -t: -k1,1 | \
	  awk -F: '{print $$1 ":" $$2 ": not clang-formatted"} END {if (NR) {print NR " file(s) to format: make format"; exit 1}}'

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

lint-cppcheck:
	$(CPPCHECK) --enable=warning,style,performance,portability --error-exitcode=1 --inline-suppr \
	  --std=c11 --library=posix -D_GNU_SOURCE -Iinclude --quiet \
	  --suppressions-list=.cppcheck-suppressions \
	  --template='{file}:{line}: {severity}/{id}: {message}' $(CPPCHECK_DIRS)

# .clang-tidy holds the checks (warnings are errors); one process per file, in parallel.
lint-tidy:
	@printf '%s\n' $(TIDY_FILES) | xargs -P $(LINT_JOBS) -I{} sh -c \
	  '$(CLANG_TIDY) --quiet "$$1" -- $(LINT_CFLAGS) 2>/dev/null || { echo "clang-tidy: $$1 failed" >&2; exit 1; }' _ {}

lint-banned:
	scripts/check-banned.sh agent probes tests/fuzz

# A module is a .c/.h pair; X -> Y when X.c or X.h includes Y.h. Fails naming each cycle.
lint-layers:
	scripts/check-include-cycles.py
