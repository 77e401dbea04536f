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
. "$(dirname "$0")/apt_install.sh"
apt_install "no $CHROMIUM: install Chromium yourself and set OCPI_TEST_CHROMIUM to its path" chromium fonts-dejavu-core
echo "chromium: $("$CHROMIUM" --version) at $CHROMIUM"
