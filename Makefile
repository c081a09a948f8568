# The two commands of the README: `make demo` and `make test`. Each installs the Debian
# packages it needs (scripts/setup.sh, a no-op when they are present), builds, and runs.
BUILD      ?= build
ASAN_BUILD ?= build-asan
CMAKE_GEN  := -G Ninja
JOBS       ?= 2

.PHONY: all setup build demo test build-asan bench format check-format clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The main job (Ctrl-C stops it earlier; DEMO_ARGS= runs it until Ctrl-C).
DEMO_ARGS ?= --duration 75
demo: build
	@$(BUILD)/strata demo $(DEMO_ARGS)

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
build-asan: setup
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

test: build-asan
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# Benchmarks (optimized build; see BENCHMARKS.md for the figures and commands).
bench: build
	@$(BUILD)/ingest_bench
	@$(BUILD)/micro_bench

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

check-format:
	@clang-format --dry-run --Werror $$(git ls-files '*.cc' '*.h')

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD)
