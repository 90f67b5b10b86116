#!/usr/bin/env bash
# Install Virtuoso Open-Source 7 from Debian for the external-store tests, if it is missing.
# Only the binaries (virtuoso-opensource-7-bin: virtuoso-t, isql-vt): the tests start a
# scratch instance of their own on loopback ports. The full virtuoso-opensource package
# would also install and start a system service listening on every interface with the
# default dba password. As root on Debian this installs it; elsewhere it says what to do
# and carries on (the Virtuoso tests then skip, naming the reason) — except in CI, where
# it fails.
set -euo pipefail
if command -v virtuoso-t >/dev/null && command -v isql-vt >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing virtuoso-opensource-7-bin (Debian package) for the Virtuoso tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    virtuoso-opensource-7-bin >/dev/null
  exit 0
fi
echo "note: virtuoso-t is missing; the Virtuoso tests will be skipped." >&2
echo "      install it with: sudo apt-get install --no-install-recommends virtuoso-opensource-7-bin" >&2
if [ "${CI:-}" = "true" ]; then
  echo "error: CI must run the Virtuoso tests" >&2
  exit 1
fi
