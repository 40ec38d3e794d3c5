#!/usr/bin/env bash
# Installs what the kiosk needs (nothing else: see setup.sh) into .venv and starts it. With no
# display (a server, SSH), it shows the station's status instead of opening the window.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  # a window to try it out; a station's kiosk runs `kiosk gui` (full screen, PIN to close)
  exec .venv/bin/kiosk gui --windowed "$@"
fi
echo "No display found: showing the station status (run 'kiosk gui' on the kiosk's screen)."
exec .venv/bin/kiosk status "$@"
