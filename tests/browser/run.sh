#!/usr/bin/env bash
# Opens crmscan's HTML report in headless Chromium (Debian's `chromium`, driven by puppeteer-core
# from npm) and checks it against the JSON report of the same scan: see check.mjs.
#
#   bash run.sh CRMSCAN_BINARY SOURCE_DIR [--screenshot FILE]
#
# Installs puppeteer-core into this folder's node_modules when it is missing or out of date
# (npm ci), makes three scans into a temporary folder (the Salesforce sample; an export whose
# values are written to run script; 10,000 findings of one request) and runs check.mjs on them.
set -euo pipefail

# shellcheck source=../../scripts/node-kit.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/node-kit.sh"

[ "$#" -ge 2 ] || fail "usage: bash run.sh CRMSCAN_BINARY SOURCE_DIR [--screenshot FILE]"
crmscan=$(absolute "$1")
source_dir=$(absolute "$2")
shift 2
extra=()
if [ "${1:-}" = "--screenshot" ]; then extra=(--screenshot "$(absolute "$2")"); fi

command -v node >/dev/null 2>&1 || fail "node is not installed (scripts/install-deps.sh installs it)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed (scripts/install-deps.sh installs it)"
export CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || fail "chromium is not installed (scripts/install-deps.sh installs it)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
npm_ci_once "puppeteer-core into tests/browser/node_modules"

work=$(mktemp -d "${TMPDIR:-/tmp}/crmscan-html.XXXXXX")
trap 'rm -rf "$work"' EXIT
scan() {
  local status=0
  "$crmscan" scan "$@" >"$work/scan.log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    cat "$work/scan.log" >&2
    fail "crmscan scan $* exited $status"
  fi
}

# From the source folder, so that the report names the sample as a user would type it.
(cd "$source_dir" && scan --input samples/salesforce-export \
  --subjects samples/salesforce-expected/subjects.csv --default-region GB \
  --format json,html --out "$work/sample")

# Every value a finding shows, written to close the data element, open a tag or run a handler.
mkdir -p "$work/hostile-export"
cat >"$work/hostile-export/Customer.csv" <<'CSV'
CustomerId,FullName,EmailAddress,Telephone,Mobile,Notes,Company
"C-1<img src=x onerror=""window.pwned=1"">",</script><script>window.pwned=2</script>,evil@example.com,,,"Call evil@example.com <!-- <script>window.pwned=3</script>",
CSV
cat >"$work/hostile-export/CallLog.csv" <<'CSV'
CallId,CustomerId,Direction,Number,StartedAt,Summary,InteractionId
"L-1""><svg onload=window.pwned=4>","C-1<img src=x onerror=""window.pwned=1"">",Inbound,,2024-01-01,"from evil@example.com ]]></script>",
CSV
cat >"$work/hostile-export/Note.csv" <<'CSV'
NoteId,CallId,Text,CustomerId
"N-1</script><script>window.pwned=6</script>","L-1""><svg onload=window.pwned=4>",Called back,
CSV
printf 'Id,Holder\nX-1,"C-1<img src=x onerror=""window.pwned=1"">"\n' \
  >"$work/hostile-export/Loyalty<svg onload=window.pwned=7>.csv"
scan --input "$work/hostile-export" --rules "$source_dir/rules/crm-lite" \
  --request-id '<b>R1</b><script>window.pwned=5</script>' --email evil@example.com \
  --show-values --format json,html --out "$work/hostile"

# 10,000 findings of one request: a customer and 9,999 of their call logs.
mkdir -p "$work/large-export"
printf 'CustomerId,FullName,EmailAddress,Telephone,Mobile,Notes,Company\nC-1,Big Caller,big@example.com,,,,\n' \
  >"$work/large-export/Customer.csv"
{
  echo "CallId,CustomerId,Direction,Number,StartedAt,Summary,InteractionId"
  for i in $(seq 1 9999); do echo "L-$i,C-1,Inbound,,2024-01-01,Call $i,"; done
} >"$work/large-export/CallLog.csv"
scan --input "$work/large-export" --rules "$source_dir/rules/crm-lite" --request-id R-LARGE \
  --email big@example.com --format json,html --out "$work/large"

node check.mjs "$work" "${extra[@]}"
