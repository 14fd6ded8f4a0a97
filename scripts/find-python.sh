# Sourced by setup.sh (and its test): which Python makes the virtual environment.
# Python 3.11–3.13 (pyproject's requires-python): $PYTHON if set; else the system python3 when it is in
# range (Debian 12: 3.11, Debian 13 and Raspberry Pi OS on it: 3.13, Ubuntu 24.04: 3.12); else the newest
# python3.1x on PATH, then the newest pyenv built.
in_range() { "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; }
find_python() {
  local c p
  if [ -n "${PYTHON:-}" ]; then
    p=$(command -v "$PYTHON" 2>/dev/null) && in_range "$p" && { echo "$p"; return 0; }
    return 1
  fi
  for c in python3 python3.13 python3.12 python3.11 \
           "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 \
           "$HOME"/.pyenv/versions/3.11*/bin/python3; do
    p=$(command -v "$c" 2>/dev/null) || continue
    in_range "$p" && { echo "$p"; return 0; }
  done
  return 1
}
