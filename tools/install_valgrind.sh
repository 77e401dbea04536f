#!/usr/bin/env bash
# Install what tools/instructions.py and its test need: Debian's valgrind (callgrind counts the instructions).
# Idempotent: does nothing when valgrind is already on the PATH.
set -euo pipefail
if command -v valgrind >/dev/null; then
    echo "valgrind: $(valgrind --version) at $(command -v valgrind)"
    exit 0
fi
. "$(dirname "$0")/apt_install.sh"
apt_install "install valgrind yourself (tools/instructions.py needs its callgrind tool)" valgrind
echo "valgrind: $(valgrind --version) at $(command -v valgrind)"
