#!/usr/bin/env bash
# Set up this checkout on a Debian machine: system packages the kiosk needs (as root, or a message
# naming them), then a virtual environment in .venv with the project installed. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the kiosk needs from Debian: Python 3.11 with venv, a CJK font (otherwise Chinese shows as
# empty boxes), Mesa/libGL for Kivy, Xvfb (+ libXtst for the UI tests' real pointer events), espeak-ng to regenerate the
# voice prompts; fuse3 for the power-cut test's filesystem.
PKGS=(python3 python3-venv python3-dev xvfb xauth fonts-wqy-microhei libgl1 libgl1-mesa-dri libegl1
      libmtdev1 libgles2 libxtst6 fontconfig espeak-ng sox fuse3)
# Debian's chromium: the call board's browser tests, its screenshots and bench (Playwright drives it by
# executable_path; no browser is ever downloaded), and the centre summary screenshot.
PKGS+=(chromium)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A pyenv or hand-built python3.11 is as good as Debian's.
if command -v python3.11 >/dev/null 2>&1 && python3.11 -c 'import venv, ensurepip' 2>/dev/null; then
  missing=("${missing[@]/python3-venv}"); missing=("${missing[@]/python3-dev}"); missing=("${missing[@]/python3}")
fi
read -r -a missing <<<"${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing; install them first:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

PY=$(command -v python3.11 || command -v python3)
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || {
  echo "setup: Python 3.11 is required (found $("$PY" --version)); on Debian 12 it is the system python3." >&2
  exit 1
}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
echo "setup: ready (.venv)"
