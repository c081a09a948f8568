# The two commands of the README: `make demo` and `make test`. Each installs the Debian
# packages it needs (scripts/setup.sh, a no-op when they are present), builds, and runs.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
CMAKE_GEN  := -G Ninja
JOBS       ?= 2

.PHONY: all setup build demo test build-asan fuzz bench format check-format clean

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

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer. Line tables only
# (-g1): enough for symbolized sanitizer reports, and a much lighter compile and link.
build-asan: setup
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

test: build-asan
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# libFuzzer targets (clang 14) over the SQL front end, the payload decoders, pgoutput, every
# on-disk reader and HTTP request handling, each run for FUZZ_SECONDS (CI: 30; a long run:
# FUZZ_SECONDS=600).
fuzz: setup
	@CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz
	@bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Benchmarks (optimized build; see BENCHMARKS.md for the figures and commands).
bench: build
	@$(BUILD)/ingest_bench
	@$(BUILD)/micro_bench

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

check-format:
	@clang-format --dry-run --Werror $$(git ls-files '*.cc' '*.h')

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
