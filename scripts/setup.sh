#!/usr/bin/env bash
# Install everything nofsbot needs and provision the kernel trees.
# Idempotent: a second run installs nothing and extracts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: Coccinelle, the kernel sources, what Kbuild needs to build
# the touched objects, git send-email, sparse, GNU grep, and Chromium (the
# tests render the bot's HTML report in it, headless).
PKGS=(coccinelle linux-source-6.1 linux-source-6.12 gcc make flex bison libelf-dev
      libssl-dev bc perl git git-email sparse xz-utils grep chromium)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "setup: installing ${missing[*]}" >&2
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

# The Python package, with the development tools (pytest, ruff, mypy, aiosmtpd, b4).
python3 -m pip install -q --disable-pip-version-check -e '.[dev]'

# Extract each kernel tarball once into the cache and import it into git.
python3 -m nofsbot kernel 6.1 6.12 >/dev/null
echo "setup: ok (kernel trees: $(python3 -m nofsbot kernel 6.1), $(python3 -m nofsbot kernel 6.12))" >&2
