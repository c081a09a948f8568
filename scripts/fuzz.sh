#!/usr/bin/env bash
# Runs every libFuzzer target of BUILD (made by `make fuzz`) for SECONDS each, from its seed
# corpus in tests/fuzz/corpus/<name>. New inputs go to BUILD/fuzz-corpus/<name>, crashes to
# BUILD/fuzz-crashes/ (each one is to become a regression input in the seed corpus).
# Exits non-zero if any target crashed, leaked, hit a sanitizer or timed out.
set -uo pipefail
build=${1:-build-fuzz}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build/fuzz-crashes"
failed=()
for target in "$build"/*_fuzz; do
  name=$(basename "$target" _fuzz)
  mkdir -p "$build/fuzz-corpus/$name"
  seeds=("$root/tests/fuzz/corpus/$name")
  [ "$name" = sql ] && seeds+=("$root/examples")  # the example pipelines seed it too
  timeout=10
  flags=()
  # The HTTP target's server keeps state across inputs (the log grows, lanes are built), so
  # nearly every input allocates more than it frees: a leak check after each one would rerun
  # it and scan the heap. Its leaks are checked once, at exit. An input may recompute the
  # whole log (drift, replay): a longer timeout than the decoders'.
  if [ "$name" = http ]; then
    timeout=30
    flags+=(-detect_leaks=0)
  fi
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=4096 -print_final_stats=1 \
      "${flags[@]}" -artifact_prefix="$build/fuzz-crashes/$name-" \
      "$build/fuzz-corpus/$name" "${seeds[@]}" >"$build/fuzz-$name.log" 2>&1; then
    failed+=("$name")
    tail -n 60 "$build/fuzz-$name.log"
  fi
  grep -E "^stat::number_of_executed_units|^Done [0-9]+ runs" "$build/fuzz-$name.log" | tail -n 1
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashed: ${failed[*]} (inputs in $build/fuzz-crashes)" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds}s without a finding"
