#!/usr/bin/env bash
# README quick start, command 1: set up, then open the kiosk demo on embedded defaults
# (SQLite in var/, the simulated printer and keypad bus, simulated residents and staff).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No screen here (DISPLAY is unset): running the terminal walk-through of a hall day instead."
  echo "On a machine with a screen this command opens the touch kiosk."
  exec .venv/bin/kiosk-admin walkthrough --data-dir var
fi
exec .venv/bin/kiosk --demo --windowed "$@"
