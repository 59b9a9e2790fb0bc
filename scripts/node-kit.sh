# What the Node.js checks (connectors/salesforce/jsforce/run.sh, tests/browser/run.sh) share:
# sourced, not run.

# Prints "run.sh: MESSAGE" and exits 2.
fail() {
  echo "run.sh: $*" >&2
  exit 2
}

# Prints the path made absolute against the working directory.
absolute() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }

# Installs the packages of package-lock.json in the working directory into node_modules (npm ci)
# when they are missing or were installed from another lock file; what is installed ($1) is
# named in the message. The stamp is written only after a complete install, so an interrupted
# one is redone.
npm_ci_once() {
  local stamp=node_modules/.crmscan-installed-lock.json
  if ! cmp -s package-lock.json "$stamp"; then
    echo "run.sh: npm ci ($1)"
    npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
    cp package-lock.json "$stamp"
  fi
}
