#!/usr/bin/env bash
# Draw every image of the README and docs/ again (figures, screenshots of the page and the report),
# each stamped with costlab's version, its parameters and a fingerprint of the code that draws it;
# tests/test_gallery.py fails when a committed image is older than that code.
#   bash scripts/figures.sh            all of them (about a minute)
#   bash scripts/figures.sh map        those whose path contains "map"
# Needs the test environment (bash scripts/test.sh installs it, and Debian's chromium
# and fonts-wqy-microhei).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" scripts/figures.py "$@"
