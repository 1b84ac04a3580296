#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds specjit and runs every test:
# GoogleTest binaries, lit (dialect, lowerings, driver), schema and docs checks.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure
