#!/usr/bin/env bash
# Installs crmscan as a user would, away from its source tree, and checks that the installed
# program finds its rule packs relative to itself: `cmake --install` into a scratch root, then the
# Debian package that `cpack -G DEB` builds, unpacked into another.
#
#   bash install_test.sh BUILD_DIR
set -euo pipefail

fail() {
  echo "install_test.sh: $*" >&2
  exit 1
}
[ "$#" -eq 1 ] || fail "usage: bash install_test.sh BUILD_DIR"
build=$(cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/crmscan-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset CRMSCAN_RULES

# The installed tree under ROOT: the programs, the packs, the man page, the README; and
# `crmscan rules list`, run from ROOT, lists the packs under ROOT's share/crmscan/rules.
check_root() {
  local root=$1 what=$2
  for file in usr/bin/crmscan usr/bin/crmscan-sf-emulator usr/bin/crmscan-d365-emulator \
    usr/bin/crmscan-hubspot-emulator usr/bin/crmscan-vcc-emulator \
    usr/share/crmscan/rules/salesforce/standard.yaml usr/share/crmscan/rules/hubspot/standard.yaml \
    usr/share/man/man1/crmscan.1.gz usr/share/doc/crmscan/README.md; do
    [ -e "$root/$file" ] || fail "$what: $file is not installed"
  done
  zcat "$root/usr/share/man/man1/crmscan.1.gz" | grep -q -- '--show-values' ||
    fail "$what: the man page does not hold scan --help"
  local listed
  listed=$(cd "$root" && usr/bin/crmscan rules list) || fail "$what: crmscan rules list failed"
  local packs
  packs=$(grep -c '^[a-z0-9-]*  [0-9.]*  crm=' <<<"$listed" || true)
  [ "$packs" -ge 5 ] || fail "$what: rules list found $packs packs:"$'\n'"$listed"
  if grep '  crm=' <<<"$listed" | grep -v '  usr/share/crmscan/rules/' >/dev/null; then
    fail "$what: packs listed from outside the installed tree:"$'\n'"$listed"
  fi
  # CRMSCAN_RULES names another folder of packs.
  mkdir -p "$work/own-rules/crm-lite"
  cp "$root/usr/share/crmscan/rules/crm-lite/example.yaml" "$work/own-rules/crm-lite/"
  listed=$(cd "$root" && CRMSCAN_RULES="$work/own-rules" usr/bin/crmscan rules list)
  [ "$(grep -c '  crm=' <<<"$listed")" -eq 1 ] || fail "$what: CRMSCAN_RULES ignored:"$'\n'"$listed"
  echo "install_test.sh: $what: $packs packs found beside the installed program"
}

DESTDIR="$work/root" cmake --install "$build" --prefix /usr >/dev/null
check_root "$work/root" "cmake --install"

(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/package" >/dev/null) ||
  fail "cpack -G DEB failed"
deb=$(ls "$work"/package/crmscan_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
grep -q 'libcurl' <<<"$depends" || fail "the package does not declare libcurl: Depends: $depends"
grep -q 'libc6' <<<"$depends" || fail "the package does not declare libc6: Depends: $depends"
dpkg-deb -x "$deb" "$work/deb-root"
check_root "$work/deb-root" "$(basename "$deb")"
echo "install_test.sh: Depends: $depends"
echo "2 passed, 0 failed"
