#!/usr/bin/env bash
# Proves that jsforce 3 (npm), a widely used Salesforce client, reads crmscan-sf-emulator.
#
#   bash run.sh EMULATOR_BINARY DATA_DIR
#
# Installs jsforce into this folder's node_modules when it is missing or out of date (npm ci),
# starts the emulator on a free 127.0.0.1 port serving DATA_DIR, runs check.mjs against it,
# always stops the emulator, and exits with check.mjs's status. Works from any directory.
set -euo pipefail

# Batch size asked for by the paging checks; the emulator must honour it (Salesforce's own
# minimum, and the emulator's default, is 200, more than the sample has).
BATCH_SIZE=5

# shellcheck source=../../../scripts/node-kit.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/node-kit.sh"

[ "$#" -eq 2 ] || fail "usage: bash run.sh EMULATOR_BINARY DATA_DIR"
binary=$(absolute "$1")
data=$(absolute "$2")
[ -f "$binary" ] && [ -x "$binary" ] || fail "$1: not an executable file (the crmscan-sf-emulator program)"
[ -d "$data" ] || fail "$2: not a directory (a Salesforce Data Export folder)"

command -v node >/dev/null 2>&1 || fail "node is not installed or not on PATH (Node.js 18 or later is needed)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed or not on PATH (it installs jsforce)"
node_major=$(node -p 'process.versions.node.split(".")[0]') || fail "node does not run"
[ "$node_major" -ge 18 ] || fail "node $(node --version) is too old: jsforce 3 needs Node.js 18 or later"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

if [ -f package-lock.json ]; then
  npm_ci_once "jsforce into $(basename "$here")/node_modules"
elif [ ! -d node_modules/jsforce ]; then
  echo "run.sh: no package-lock.json: npm install"
  npm install --no-audit --no-fund --loglevel=error || fail "npm install failed"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/crmscan-jsforce.XXXXXX")
emulator_pid=
cleanup() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill "$emulator_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$emulator_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$binary" --data "$data" --port 0 --min-batch-size "$BATCH_SIZE" >"$work/stdout" 2>"$work/stderr" &
emulator_pid=$!

instance_url=
access_token=
for _ in $(seq 100); do
  instance_url=$(sed -n 's/^instance_url=//p' "$work/stdout")
  access_token=$(sed -n 's/^access_token=//p' "$work/stdout")
  [ -n "$instance_url" ] && [ -n "$access_token" ] && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    cat "$work/stderr" >&2
    fail "the emulator exited before printing instance_url= and access_token="
  fi
  sleep 0.1
done
if [ -z "$instance_url" ] || [ -z "$access_token" ]; then
  cat "$work/stderr" >&2
  fail "the emulator printed no instance_url= and access_token= lines within 10 s"
fi
echo "run.sh: emulator $emulator_pid serving $(basename "$data") at $instance_url"

status=0
SF_INSTANCE_URL="$instance_url" SF_ACCESS_TOKEN="$access_token" SF_BATCH_SIZE="$BATCH_SIZE" \
  node check.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: check.mjs failed (exit $status); emulator log:" >&2
  cat "$work/stderr" >&2
fi
exit "$status"
