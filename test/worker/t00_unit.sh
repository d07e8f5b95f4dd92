#!/usr/bin/env bash
# Builds and runs the worker's unit tests (no database): options, handler
# names, result checking, handler input, handler processes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/tw-unit-build.XXXXXX)
trap 'rm -rf "$out"' EXIT
# Reuse the worker's objects (run.sh builds them with make) for the parts
# under test; only the test itself is compiled here.
make -s -C "$root/src/worker" >/dev/null
objs=()
for o in options log handler_lookup handler_process task names utf8; do objs+=("$root/src/worker/$o.o"); done
g++ -std=c++17 -Wall -Wextra -Werror -O0 -I"$root/src/worker" -I"$(pg_config --includedir)" \
  -o "$out/unit_tests" "$root/test/worker/unit_tests.cpp" "${objs[@]}"
"$out/unit_tests"
