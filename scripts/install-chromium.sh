#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the notebook page's browser test.
# Idempotent: does nothing when /usr/bin/chromium already exists. Needs root (or sudo).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "chromium: already installed ($(/usr/bin/chromium --version 2>/dev/null || echo unknown version))"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "chromium: not installed and not root; run this script as root" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
echo "chromium: installed ($(/usr/bin/chromium --version 2>/dev/null || echo unknown version))"
