#!/usr/bin/env bash
# Installs what is asked for on Debian/Ubuntu (as root, or with sudo) into a Python virtual
# environment. Safe to run again: it installs only what is missing.
#   scripts/setup.sh          the kiosk: system libraries for Qt, a CJK font, and .venv with
#                             the kiosk's runtime packages only
#   scripts/setup.sh --hub    the same .venv plus the county hub's packages (FastAPI, uvicorn,
#                             SQLAlchemy, psycopg, openpyxl, xlsxwriter)
#   scripts/setup.sh --test   a separate .venv-test: runtime + hub + test and build tools, and
#                             the test machine's system packages (PostgreSQL, Xvfb, poppler)
# Test-only packages (keyrings.alt's plain-text keyring above all) never enter .venv, so the
# kiosk that `make run` starts can never store its device token in a plain-text file.
# apt waits for another apt/dpkg process to finish instead of failing on its lock.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=kiosk
case "${1:-}" in
  "") ;;
  --hub) mode=hub ;;
  --test) mode=test ;;
  *) echo "usage: $0 [--hub|--test]" >&2; exit 2 ;;
esac

# System packages: Qt's xcb/EGL/font libraries and PulseAudio client (QtMultimedia), a CJK
# font that reportlab can embed, speech-dispatcher with espeak-ng's Mandarin voice for "读给我听"
# (Qt TextToSpeech). Tests add PostgreSQL, poppler (pdftotext/pdftoppm) to check
# receipts, Xvfb and xdotool for real windows, GNOME Keyring and D-Bus for the real-keychain
# test, Tesseract with Simplified Chinese for the document-image benchmark (OCR accuracy).
pkgs=(python3 python3-venv python3-pip
      fonts-wqy-microhei
      libgl1 libegl1 libfontconfig1 libglib2.0-0 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
      libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-shape0
      libxcb-render-util0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libpulse0
      speech-dispatcher speech-dispatcher-espeak-ng espeak-ng)
[ $mode = test ] && pkgs+=(postgresql poppler-utils xvfb xauth xdotool gnome-keyring dbus
                          tesseract-ocr tesseract-ocr-chi-sim chromium)

# How long to wait for another apt/dpkg process (unattended-upgrades, a second terminal).
lock_wait=${APT_LOCK_WAIT:-900}

# apt-get, waiting for the dpkg lock (DPkg::Lock::Timeout) and, since apt does not wait for
# them, retrying while the lists or archives lock is held by another process.
apt_get() {
  local deadline=$((SECONDS + lock_wait)) out said=0
  while :; do
    if out=$(LC_ALL=C $SUDO apt-get -o DPkg::Lock::Timeout="$lock_wait" "$@" 2>&1); then
      return 0
    fi
    if grep -q "Could not get lock\|Unable to lock" <<<"$out" && [ $SECONDS -lt $deadline ]; then
      if [ $said = 0 ]; then
        echo "waiting for another apt process to finish: $(grep -m1 'Could not get lock' <<<"$out")"
        said=1
      fi
      sleep 3
      continue
    fi
    echo "$out" >&2
    return 1
  done
}

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
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'

case $mode in
  kiosk) venv=.venv; extras="" ;;
  hub) venv=.venv; extras="hub" ;;
  test) venv=.venv-test; extras="hub,test,build" ;;
esac
hash=$(sha256sum pyproject.toml | cut -c1-16)

# .venv is the kiosk's: if it ever held test tools (as the single environment of older
# versions of this script did), start it afresh rather than leave them importable.
if [ $venv = .venv ] && { compgen -G ".venv/lib/python3*/site-packages/keyrings/alt" \
   || compgen -G ".venv/lib/python3*/site-packages/pytest"; } >/dev/null; then
  echo "removing test tools from .venv: recreating the kiosk's environment"
  rm -rf .venv
fi

# Up to date when a stamp for this pyproject.toml covers what is asked (the hub's .venv
# also serves the kiosk).
done_already=0
for s in "$venv/.installed-$hash-${extras:-kiosk}" \
         $([ $mode = kiosk ] && echo "$venv/.installed-$hash-hub"); do
  [ -f "$s" ] && done_already=1
done
[ -x "$venv/bin/python" ] || done_already=0

if [ $done_already = 0 ]; then
  if [ ! -x "$venv/bin/python" ]; then
    "$PY" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
  fi
  spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  echo "installing Python packages into $venv: $spec"
  "$venv/bin/python" -m pip install -q -e "$spec"
  rm -f "$venv"/.installed-*
  touch "$venv/.installed-$hash-${extras:-kiosk}"
fi
