#!/usr/bin/env bash
# Debian's python3 comes without ensurepip until python3-venv is installed: install it when missing.
set -euo pipefail
python=${1:-python3}
"$python" -c "import ensurepip, venv" 2>/dev/null && exit 0
echo "installing Debian's python3-venv"
source "$(dirname "$0")/lib.sh"
apt_install python3-venv
