# Benchmarks (bench/README.md): netcheck against what people run instead (the shell way with dig,
# curl, nc and the AWS CLI, one after another and in parallel; Prometheus blackbox_exporter) on the
# emulated VPC of tests/vpc, and netcheck's footprint budgets. Never part of `make test`.
#   make bench                      about 12 minutes; writes bench/RESULTS.md, raw data in build/bench/
#   make bench BENCH_RUNS=5         fewer runs per scenario (at least 5 for medians)
#   make bench BENCH_SCENARIOS="healthy blackhole"
#   make bench BENCH_WORKLOAD=""     without the time-to-workload runs (default: healthy minimal_vpc)
#   make bench BENCH_SCALE_RUNS=0    without the 100-host peer mesh (tests/vpc/scale.sh, 3 runs)
#   make bench BENCH_BEFORE=PATH     an older netcheck-static measured beside this one (CPU per run)
#   make bench-merge                `netcheck merge` of 100 reports alone (seconds; no root needed)
# A missed budget is printed (FAIL) and written to RESULTS.md; it does not fail the target.
# Needs root (network namespaces).

BENCH_RUNS      ?= 7
BENCH_SCENARIOS ?= healthy blackhole slow_s3 healthy_sysca

.PHONY: bench bench-deps bench-merge

bench-deps: $(DEPS_STAMP)
	bench/install-deps.sh

bench: bench-deps netcheck static
	BENCH_RUNS=$(BENCH_RUNS) BENCH_SCENARIOS="$(BENCH_SCENARIOS)" bench/run.sh

BENCH_MERGE_RUNS ?= 5

bench-merge: netcheck
	BENCH_RUNS=$(BENCH_MERGE_RUNS) bench/merge.sh build/bench
