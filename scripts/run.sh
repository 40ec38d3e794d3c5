#!/usr/bin/env bash
# Installs everything the kiosk needs and starts it. With no display (a server, SSH),
# it shows the station's status instead of opening the window.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if .venv/bin/kiosk --help 2>/dev/null | grep -q " gui "; then
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    exec .venv/bin/kiosk gui "$@"
  fi
  echo "No display found: showing the station status (run 'kiosk gui' on the kiosk's screen)."
fi
exec .venv/bin/kiosk status "$@"
