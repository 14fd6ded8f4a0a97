#!/usr/bin/env bash
# README quick start, command 2: set up, then run every check: ruff (lint + format), mypy, pytest.
# The street centre's tests also run against PostgreSQL: this script finds or starts one and passes
# its URL in CENTRE_TEST_DATABASE_URL (set it yourself to use another server).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/postgres.sh   # exports CENTRE_TEST_DATABASE_URL when a server is (or can be) running
echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; exec .venv/bin/pytest "$@"
