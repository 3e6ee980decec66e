#!/usr/bin/env bash
# The browser tests inject axe-core (WCAG 2.1 A/AA checks) into every page they reach. It comes from npm, pinned
# by tests/browser/package-lock.json, into tests/browser/node_modules/; the server never serves it.
set -euo pipefail
cd "$(dirname "$0")/../tests/browser"
if [ -f node_modules/axe-core/axe.min.js ] && [ node_modules/axe-core/axe.min.js -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
