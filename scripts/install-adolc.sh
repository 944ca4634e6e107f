#!/usr/bin/env bash
# Installs Debian's ADOL-C (libadolc-dev, 2.7.2 on Debian 12) and g++ for the
# C++ tape peer of `cargo xtask bench` (benches/cpp/adolc_moons.cpp, adolc_mixed.cpp).
# Idempotent: does nothing when the ADOL-C header and g++ are already there.
# Needs root, or sudo that asks no password (it never waits for one).
set -euo pipefail

version() {
    dpkg-query -W -f='${Version}' libadolc-dev 2>/dev/null || echo unknown version
}

if [ -f /usr/include/adolc/adolc.h ] && command -v g++ >/dev/null 2>&1; then
    echo "adolc: already installed ($(version))"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "adolc: libadolc-dev or g++ is missing and this is not root; run scripts/install-adolc.sh as root" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends libadolc-dev g++
echo "adolc: installed ($(version))"
