#!/usr/bin/env bash
# Install wrk (a C HTTP load generator) from Debian, if it is missing: the benchmarks
# drive the servers with it, and a test checks how its output is read. As root on Debian
# this installs it; elsewhere it says what to do and carries on (the benchmarks then use
# Python threads and say so, the wrk test skips) — except in CI, where it fails.
set -euo pipefail
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
if [ "${CI:-}" = "true" ]; then
  echo "error: CI must run the wrk test" >&2
  exit 1
fi
