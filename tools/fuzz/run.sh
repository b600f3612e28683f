#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: tools/fuzz/run.sh BUILD_DIR SECONDS
# Each target starts from the corpus fuzz_seeds writes (and what earlier runs kept) in
# BUILD_DIR/corpus/<target>; crashes are written to BUILD_DIR/crashes/. Exits non-zero if any target
# found a crash, a leak or a sanitizer error.
set -uo pipefail
build=${1:?usage: run.sh BUILD_DIR SECONDS}
seconds=${2:-30}
"$build/fuzz_seeds" "$build/corpus" || exit 1
mkdir -p "$build/crashes"
failed=()
for target in "$build"/fuzz_*; do
  name=$(basename "$target")
  [ "$name" = fuzz_seeds ] && continue
  [ -x "$target" ] || continue
  echo "== $name: ${seconds}s"
  mkdir -p "$build/corpus/$name"
  if ! "$target" "$build/corpus/$name" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
       -timeout=10 -print_final_stats=1 -artifact_prefix="$build/crashes/$name-" > "$build/$name.log" 2>&1; then
    failed+=("$name")
    tail -40 "$build/$name.log"
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/$name.log" | tr '\n' ' '
    echo
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]} (inputs in $build/crashes/)" >&2
  exit 1
fi
echo "fuzz: no failures"
