#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is installed, for the TensorBoard screenshot test
# (tests/test_tensorboard_server.py renders the scalars dashboard with it).
#
#   bash ci/ensure_chromium.sh
#
# Idempotent: does nothing when a Chromium or Chrome is installed. Installs it only when we are root on a
# machine with apt-get; otherwise it prints why it did not, and exits 0 — the screenshot test then
# skips with that reason instead of failing the whole suite.
set -u

CHROMIUM=/usr/bin/chromium

# The same names ci/tensorboard_screenshot.py looks for (CHROMIUM_CANDIDATES).
for candidate in "$CHROMIUM" chromium chromium-browser google-chrome; do
    if found=$(command -v "$candidate"); then
        echo "chromium: already installed ($("$found" --version 2>/dev/null || echo "$found"))"
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium: not installed, and this machine has no apt-get; install Chromium by hand to run the screenshot test"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "chromium: not installed, and not root; run: sudo apt-get install -y chromium"
    exit 0
fi

echo "chromium: installing Debian's chromium package (once)…"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium >/tmp/ensure-chromium.log 2>&1; then
    # The package lists may be missing or stale (fresh containers): refresh them once and retry.
    apt-get update >>/tmp/ensure-chromium.log 2>&1
    if ! apt-get install -y --no-install-recommends chromium >>/tmp/ensure-chromium.log 2>&1; then
        echo "chromium: apt-get install failed (see /tmp/ensure-chromium.log); the screenshot test will skip"
        exit 0
    fi
fi
echo "chromium: installed ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
exit 0
