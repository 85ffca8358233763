#!/usr/bin/env bash
# Debian's chromium for the portal's end-to-end tests; Playwright drives it, never downloads one.
set -euo pipefail
if [[ ! -x /usr/bin/chromium ]]; then
  echo "installing Debian's chromium"
  if [[ $(id -u) -eq 0 ]]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version
