#!/usr/bin/env bash
# Build the documentation site into docs/_build/html: offline, warnings as errors.
# It runs every script in examples/ for the gallery (one needs PyTorch: the torch extra). Arguments go to sphinx-build:
#   bash scripts/docs.sh -q
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
# install the docs extra only when something is missing, so that a set-up checkout builds offline
if ! .venv/bin/python -c "import costlab, sphinx, sphinx_gallery, numpydoc, myst_parser, furo, torch" 2>/dev/null; then
    .venv/bin/pip install -q -e '.[docs,torch]'
fi
MPLBACKEND=Agg .venv/bin/python -m sphinx -W --keep-going -E -b html docs docs/_build/html "$@"
echo "docs: open docs/_build/html/index.html"
