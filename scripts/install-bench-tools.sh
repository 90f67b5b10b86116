#!/usr/bin/env bash
# Install the benchmarks' tools from Debian, if they are missing: wrk (a C HTTP load
# generator; without it the benchmarks fall back to a Python client and say so) and
# Virtuoso (scripts/install-virtuoso.sh). As root on Debian this installs them; elsewhere
# it says what to do and carries on.
set -euo pipefail
"$(dirname "$0")/install-virtuoso.sh"
if command -v wrk >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing wrk (Debian package) for the benchmarks"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
  exit 0
fi
echo "note: wrk is missing; the benchmarks will drive the servers with Python threads." >&2
echo "      install it with: sudo apt-get install wrk" >&2
