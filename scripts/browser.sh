#!/usr/bin/env bash
# Debian's chromium for the portal's end-to-end tests; Playwright drives it, never downloads one.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if [[ ! -x /usr/bin/chromium ]]; then
  echo "installing Debian's chromium"
  apt_install chromium
fi
/usr/bin/chromium --version
