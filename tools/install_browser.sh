#!/usr/bin/env bash
# Install what the browser tests (tests/e2e/test_dashboard.py) need: Debian's Chromium, driven by the playwright
# package with executable_path. Idempotent: does nothing when /usr/bin/chromium exists. Never downloads a browser
# of Playwright's own (`playwright install` fetches from a CDN this network does not reach).
set -euo pipefail
CHROMIUM="${OCPI_TEST_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
    echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo present) at $CHROMIUM"
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "no $CHROMIUM and no apt-get: install Chromium yourself and set OCPI_TEST_CHROMIUM to its path" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: $("$CHROMIUM" --version) at $CHROMIUM"
