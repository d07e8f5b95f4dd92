#!/usr/bin/env bash
# Builds the libFuzzer target for the definition parser and validator and runs
# it for SECONDS (default 60).  Exits 0 when no crash was found, non-zero
# otherwise; a crashing input is kept in fuzz/artifacts/ and printed.
#   fuzz/run.sh [SECONDS]          (needs clang and libclang-rt-14-dev)
# FUZZ_OUT=DIR keeps the build and the grown corpus there (default: a temp dir).
# FUZZ_CHECK_UTF8=0 drops the UTF-8 property (then only crashes, sanitizer
# reports and the other properties count).  The build alone takes about a minute.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${1:-60}
case "$seconds" in (*[!0-9]*|'') echo "usage: fuzz/run.sh [SECONDS]" >&2; exit 2 ;; esac
CXX=${FUZZ_CXX:-clang++}
if [ -n "${FUZZ_OUT:-}" ]; then out=$FUZZ_OUT; mkdir -p "$out"; keep=1
else out=$(mktemp -d /tmp/triggers-fuzz.XXXXXX); keep=0; fi
cleanup() { [ "$keep" = 1 ] || rm -rf "$out"; }
trap cleanup EXIT

bin=$out/definition_fuzzer
echo "== building $bin"
if ! "$CXX" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined \
     -fno-sanitize-recover=undefined -I"$root/include" \
     "$here/definition_fuzzer.cpp" "$root"/src/core/*.cpp -o "$bin"; then
  echo "fuzzer build failed (are clang and libclang-rt-14-dev installed? scripts/install-deps.sh)" >&2
  exit 2
fi

# New inputs go to a scratch corpus; the seeds in fuzz/corpus stay as they are.
mkdir -p "$out/corpus" "$here/artifacts"
echo "== fuzzing for ${seconds}s"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$bin" "$out/corpus" "$here/corpus" \
  -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$here/artifacts/" -print_final_stats=1 >"$out/fuzz.log" 2>&1
rc=$?
grep -a -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)' "$out/fuzz.log"
if [ "$rc" -ne 0 ]; then
  echo "== the fuzzer stopped with status $rc:"
  grep -a -m 5 -E 'PROPERTY VIOLATED|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:' "$out/fuzz.log"
  grep -a -A 12 -m 1 -E '^==[0-9]+==ERROR|^PROPERTY VIOLATED' "$out/fuzz.log" | grep -a -E '^ +#[0-9]+ .* in ' | head -n 10
  for f in $(grep -a -oE "Test unit written to [^ ]+" "$out/fuzz.log" | awk '{print $5}'); do
    echo "== crashing input $f ($(wc -c <"$f") bytes), base64:"
    base64 -w 76 "$f"
  done
  exit 1
fi
echo "no crash in ${seconds}s"
