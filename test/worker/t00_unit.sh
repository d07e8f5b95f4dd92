#!/usr/bin/env bash
# Builds and runs the worker's unit tests (no database): options, handler
# names, result checking, handler input, handler processes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/tw-unit-build.XXXXXX)
trap 'rm -rf "$out"' EXIT
srcs=()
for f in "$root"/src/worker/*.cpp; do
  [ "$(basename "$f")" = main.cpp ] || srcs+=("$f")
done
g++ -std=c++17 -Wall -Wextra -Werror -O1 -g -I"$root/src/worker" -I"$(pg_config --includedir)" \
  -o "$out/unit_tests" "$root/test/worker/unit_tests.cpp" "${srcs[@]}" -L"$(pg_config --libdir)" -lpq
"$out/unit_tests"
