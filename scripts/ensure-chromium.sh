#!/bin/sh
# The browser tests drive Debian's chromium (no browser download). `make test` runs this first, so a
# machine without it finds out at once instead of after minutes of other tests: as root with apt-get it
# installs chromium, otherwise it stops and prints the one command that does.
#   CHROMIUM_PATH  the browser Playwright will launch (default /usr/bin/chromium, as web/playwright.config.ts)
#   APT_GET        the apt-get to use (default: apt-get on PATH)
set -eu
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
apt_get="${APT_GET:-apt-get}"

[ -x "$chromium" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v "$apt_get" >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests (apt-get install chromium)..." >&2
  "$apt_get" update -qq
  DEBIAN_FRONTEND=noninteractive "$apt_get" install -y -qq chromium >/dev/null
  [ -x "$chromium" ] && exit 0
  echo "apt-get installed chromium, but $chromium is still missing; set CHROMIUM_PATH to its binary." >&2
  exit 1
fi

echo "The browser tests need Debian's chromium at $chromium. Install it with:" >&2
echo "" >&2
echo "    sudo apt-get install -y chromium" >&2
echo "" >&2
echo "(or set CHROMIUM_PATH to another Chromium binary), then run make test again." >&2
exit 1
