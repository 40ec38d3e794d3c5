#!/usr/bin/env bash
# Installs what the kiosk needs on Debian/Ubuntu (run as root or with sudo available) and a
# Python virtual environment in .venv. Safe to run again: it only installs what is missing.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --test   runtime + test tools (PostgreSQL server, Xvfb, poppler)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# System packages: Qt's xcb/EGL/font libraries, a CJK font that reportlab can embed,
# poppler (pdftotext/pdftoppm) for checking receipts, Xvfb for a display-less machine.
pkgs=(python3 python3-venv python3-pip
      fonts-wqy-microhei
      libgl1 libegl1 libfontconfig1 libglib2.0-0 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
      libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-shape0
      libxcb-render-util0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libpulse0
      xvfb xauth poppler-utils)
[ $want_test = 1 ] && pkgs+=(postgresql xdotool)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'

extras="."
[ $want_test = 1 ] && extras=".[test,build]"
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$want_test"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e "$extras"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
