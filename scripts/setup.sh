#!/usr/bin/env bash
# Set up this checkout on a Debian machine: system packages the kiosk needs (as root, or a message
# naming them), then a virtual environment in .venv with the project installed. Safe to re-run.
#   PYTHON=/path/to/python3.1x  use that interpreter;  VENV=DIR  make the environment there (.venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

. scripts/find-python.sh   # in_range, find_python: Python 3.11–3.13

# What the kiosk needs from Debian: Python (3.11–3.13) with venv, a CJK font (otherwise Chinese shows as
# empty boxes) and fonts-hanazono for the 生僻字 outside it (𠮷, CJK Extension B), Mesa/libGL for Kivy, Xvfb (+ libXtst for the UI tests' real pointer events), espeak-ng to regenerate the
# voice prompts; fuse3 for the power-cut test's filesystem.
PKGS=(python3 python3-venv python3-dev xvfb xauth fonts-wqy-microhei libgl1 libgl1-mesa-dri libegl1
      libmtdev1 libgles2 libxtst6 fontconfig espeak-ng sox fuse3 fonts-hanazono)
# Debian's chromium: the call board's browser tests, its screenshots and bench (Playwright drives it by
# executable_path; no browser is ever downloaded), and the centre summary screenshot.
PKGS+=(chromium)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A pyenv or hand-built Python in range is as good as Debian's.
PY=$(find_python || true)
if [ -n "$PY" ] && [[ $(readlink -f "$PY") != /usr/bin/* ]]; then
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

PY=$(find_python) || {
  found=$(command -v "${PYTHON:-python3}" >/dev/null 2>&1 && "${PYTHON:-python3}" --version 2>&1 || echo "no python3")
  echo "setup: Python 3.11, 3.12 or 3.13 with venv is required (found: $found)." >&2
  echo "  Debian 12/13, Ubuntu 24.04, Raspberry Pi OS: sudo apt-get install python3 python3-venv python3-dev" >&2
  echo "  elsewhere: install one (e.g. pyenv install 3.13) or point PYTHON=/path/to/python3.1x at it" >&2
  exit 1
}
want=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ -x "$VENV/bin/python" ]; then
  have=$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)
  # Keep a working environment in range; rebuild it when it is broken, out of range, or PYTHON asks for another.
  if ! in_range "$VENV/bin/python" || { [ -n "${PYTHON:-}" ] && [ "$have" != "$want" ]; }; then
    echo "setup: $VENV has Python $have; making it again with $want"
    rm -rf "$VENV"
  fi
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
stamp=$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".[dev]"
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi
echo "setup: ready ($VENV, $("$VENV/bin/python" --version))"
