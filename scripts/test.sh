#!/usr/bin/env bash
# Installs what is missing, builds crmscan with its tests, and runs every test through CTest:
# unit tests, the rule packs' own tests, reporter golden files and end-to-end scans.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure -j"$(nproc)"
