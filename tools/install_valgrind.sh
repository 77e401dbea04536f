#!/usr/bin/env bash
# Install what tools/instructions.py and its test need: Debian's valgrind (callgrind counts the instructions).
# Idempotent: does nothing when valgrind is already on the PATH.
set -euo pipefail
if command -v valgrind >/dev/null; then
    echo "valgrind: $(valgrind --version) at $(command -v valgrind)"
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "no valgrind and no apt-get: install valgrind yourself (tools/instructions.py needs its callgrind tool)" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null
echo "valgrind: $(valgrind --version) at $(command -v valgrind)"
