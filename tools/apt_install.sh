#!/usr/bin/env bash
# Sourced by tools/install_*.sh, the scripts behind make browser, make postgres and make valgrind.

# as_root COMMAND...: run COMMAND as root, through sudo when this user is not root.
as_root() {
    if [ "$(id -u)" -ne 0 ]; then sudo "$@"; else "$@"; fi
}

# need_apt_get HINT: exit 1 with HINT (what to install by hand) when this machine has no apt-get.
need_apt_get() {
    if ! command -v apt-get >/dev/null; then
        echo "no apt-get: $1" >&2
        exit 1
    fi
}

# apt_install HINT PACKAGE...: install Debian packages without prompts or recommended extras.
apt_install() {
    need_apt_get "$1"
    shift
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
