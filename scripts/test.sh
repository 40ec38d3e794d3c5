#!/usr/bin/env bash
# Installs everything (system packages, .venv-test with the hub and the test tools) and runs the
# whole test suite headless, including the PostgreSQL tests of the county hub. Extra arguments
# go to pytest. The kiosk's own .venv is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

export QT_QPA_PLATFORM=offscreen
# A file-based keyring for tests only, in a throwaway folder (never the user's keychain); the
# kiosk refuses a plain-text keyring unless KIOSK_INSECURE_KEYRING=1 says it is a test.
export PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring
export KIOSK_INSECURE_KEYRING=1

# PostgreSQL: use KIOSK_TEST_PG_URL if given, else the local server on 127.0.0.1:5432 if it
# takes trust logins, else a throwaway cluster of our own in .pgtest/ (stopped at exit).
if [ -z "${KIOSK_TEST_PG_URL:-}" ]; then
  if command -v psql >/dev/null && psql "postgresql://postgres@127.0.0.1:5432/test" -Atc "select 1" >/dev/null 2>&1; then
    export KIOSK_TEST_PG_URL="postgresql://postgres@127.0.0.1:5432/test"
  else
    eval "$(bash scripts/pg-throwaway.sh start)"
    trap 'bash scripts/pg-throwaway.sh stop' EXIT
  fi
fi
echo "PostgreSQL tests use: ${KIOSK_TEST_PG_URL:-none}"
.venv-test/bin/python -m pytest "$@"
