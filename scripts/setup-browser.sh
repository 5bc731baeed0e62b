#!/usr/bin/env bash
# Makes sure a Chromium for the browser tests is present: $CHROMIUM_PATH when set, else
# Debian's /usr/bin/chromium, installed with apt-get when missing (needs root). Prints its path.
set -euo pipefail

browser="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ ! -x "$browser" ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ferrite: installing Debian's chromium for the browser tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq chromium >&2
  fi
fi

if [ -x "$browser" ]; then
  echo "$browser"
  exit 0
fi

cat >&2 <<MSG
ferrite: the browser tests need Chromium, and none was found at $browser.
On Debian or Ubuntu (as root): apt-get install chromium
Elsewhere: set CHROMIUM_PATH to a Chromium or Chrome executable.
MSG
exit 1
