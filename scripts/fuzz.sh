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
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-crashes/$name-" \
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
