#!/usr/bin/env bash
# Install Debian's Chromium and ChromeDriver for the browser tests, if they are missing.
# As root on Debian this installs them; elsewhere it says what to do and carries on
# (the browser tests then skip, naming the reason) — except in CI, where it fails.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium and chromium-driver (Debian packages) for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  exit 0
fi
echo "note: /usr/bin/chromium is missing; browser tests will be skipped." >&2
echo "      install it with: sudo apt-get install chromium chromium-driver" >&2
if [ "${CI:-}" = "true" ]; then
  echo "error: CI must run the browser tests" >&2
  exit 1
fi
