#!/usr/bin/env bash
# README quick start, command 2: set up, then run every check: ruff (lint + format), mypy, pytest —
# the whole suite on the set-up Python, then the core tests again on Python 3.13.
# The street centre's tests also run against PostgreSQL: this script finds or starts one and passes
# its URL in CENTRE_TEST_DATABASE_URL (set it yourself to use another server).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/postgres.sh   # exports CENTRE_TEST_DATABASE_URL when a server is (or can be) running
echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== import layers"; .venv/bin/lint-imports
echo "== mypy"; .venv/bin/mypy
echo "== pytest on $(.venv/bin/python --version)"; .venv/bin/pytest "$@"

# The newest supported Python runs the engine, printer, keypad, sync and UI tests too (pyenv's 3.13 on
# the CI machines; python3.13 on PATH elsewhere). Under CI=true a missing 3.13 is an error, not a skip;
# TEST_NEWEST_PYTHON=0 leaves the run out on a developer's machine.
newest_tests=(tests/engine tests/printer tests/keypad tests/sync tests/ui)
py313=""
for c in python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3.13; do
  p=$(command -v "$c" 2>/dev/null) || continue
  if "$p" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' 2>/dev/null; then
    py313=$p; break
  fi
done
if [ -z "$py313" ]; then
  if [ "${CI:-}" = true ]; then
    echo "test: Python 3.13 not found (python3.13 on PATH or ~/.pyenv/versions/3.13*/bin): CI runs" >&2
    echo "  ${newest_tests[*]} on it. Install it: pyenv install 3.13 (or Debian 13's python3)." >&2
    exit 1
  fi
  echo "test: no Python 3.13 found; the run on the newest Python is left out (CI=true makes this an error)"
elif [ "${TEST_NEWEST_PYTHON:-1}" = 0 ] && [ "${CI:-}" != true ]; then
  echo "test: TEST_NEWEST_PYTHON=0: the run on $("$py313" --version) is left out"
else
  echo "== pytest on $("$py313" --version): ${newest_tests[*]}"
  PYTHON=$py313 VENV=.venv-3.13 scripts/setup.sh
  .venv-3.13/bin/pytest -q -p no:cacheprovider "${newest_tests[@]}"
fi
