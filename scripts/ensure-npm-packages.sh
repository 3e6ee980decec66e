#!/usr/bin/env bash
# npm packages the tests need, each folder pinned by its package-lock.json, installed from the npm registry into
# its node_modules/ (not committed); the server never serves them:
# * tests/browser: axe-core, which the browser tests inject into every page they reach (WCAG 2.1 A/AA checks);
# * bench/peer: the shared bench peer's ws and Colyseus packages, for bench/bench_peer.py and its test
#   (tests/test_bench_peer.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ensure() {  # ensure DIR FILE: `npm ci` in DIR unless FILE (installed by it) is newer than DIR's lock file
  cd "$root/$1"
  if [ -f "$2" ] && [ "$2" -nt package-lock.json ]; then
    return 0
  fi
  npm ci --no-audit --no-fund --loglevel=error
}
ensure tests/browser node_modules/axe-core/axe.min.js
ensure bench/peer node_modules/.package-lock.json
