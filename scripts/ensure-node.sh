#!/usr/bin/env bash
# The parity test (tests/parity/) runs the players' page's state.js under Node: install Debian's nodejs when
# `node` is missing (CI's clean machine), and npm for the browser tests' axe-core (scripts/ensure-npm-packages.sh).
# The web client itself has no build step and no packages.
set -euo pipefail
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then exit 0; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
node --version
