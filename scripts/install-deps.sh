#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the demo need.
# Idempotent: does nothing when everything is already there.
set -euo pipefail
# usage: install-deps.sh [peers]   (peers: also Node.js and npm, for make bench-peers)
packages=(postgresql-15 postgresql-server-dev-15 postgresql-client-15
          nlohmann-json3-dev libpq-dev g++ make clang libclang-rt-14-dev time valgrind
          procps)  # ps and pgrep: the worker tests and the benchmark watch processes
if [ "${1:-}" = peers ] && ! command -v node >/dev/null; then packages+=(nodejs npm); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a cluster of its own on install; our tests use throwaway clusters.
