#!/usr/bin/env bash
# Installs what is missing, builds crmscan, and scans the bundled Salesforce sample export for
# its three right-to-be-forgotten requests. Findings go to crmscan-report/ (JSON, CSV, NDJSON).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target crmscan >/dev/null

set +e
./build/crmscan scan \
  --input samples/salesforce-export \
  --subjects samples/salesforce-expected/subjects.csv \
  --default-region GB \
  --format json,csv,ndjson \
  --out crmscan-report
status=$?
set -e
echo "exit code: $status (0 = scan complete)"
exit "$status"
