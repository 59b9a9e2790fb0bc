#!/usr/bin/env bash
# Installs the Debian packages crmscan needs to build and test. Idempotent: installs only what is
# missing, and runs apt-get update only when something is.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcurl4-openssl-dev rapidjson-dev libyaml-cpp-dev libboost-program-options-dev
  catch2 libphonenumber-dev libre2-dev libutf8proc-dev libssl-dev libcpp-httplib-dev
  # The static archives crmscan links by default (CRMSCAN_STATIC_DEPS): libphonenumber's own
  # dependencies, which its -dev package does not all pull in.
  libprotobuf-dev libicu-dev libabsl-dev
  # The sanitizer build and libFuzzer (.ci/run, fuzz/README.md).
  clang libclang-rt-14-dev
)

# A real Salesforce client (jsforce, from npm) reads the emulator in one test, and the HTML report
# is checked in headless Chromium driven by puppeteer-core (npm): they need Node.js.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
packages+=(chromium)
# The Debian package (cpack -G DEB) declares its dependencies with dpkg-shlibdeps.
packages+=(dpkg-dev)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -ne 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "crmscan: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# puppeteer-core, pinned by tests/browser/package-lock.json, into tests/browser/node_modules; the
# stamp is written only after a complete install, so an interrupted one is redone.
browser_tests="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if ! cmp -s "$browser_tests/package-lock.json" "$browser_tests/node_modules/.crmscan-installed-lock.json"; then
  echo "crmscan: npm ci in tests/browser (puppeteer-core)" >&2
  (cd "$browser_tests" && npm ci --no-audit --no-fund --loglevel=error &&
    cp package-lock.json node_modules/.crmscan-installed-lock.json)
fi
