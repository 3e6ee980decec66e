#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright (never Playwright's own browser download):
# install it when /usr/bin/chromium is missing (CI's clean machine). Fonts: DejaVu, for readable screenshots.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
