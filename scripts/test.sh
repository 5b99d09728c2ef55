#!/usr/bin/env bash
# Install costlab with its test dependencies into .venv and run the whole test suite.
# Arguments are passed to pytest:  bash scripts/test.sh -q -k cli
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# ---- System packages (Debian) ---------------------------------------------------------
# Debian packages the tests need, installed with apt-get (as root, or through sudo) when
# some are missing:  dataset-fashion-mnist  the Fashion-MNIST images (/usr/share/datasets);
# chromium  the headless browser of tests/test_browser.py (driven by Playwright);
# fonts-wqy-microhei  a Chinese font for the figures of `costlab report --lang zh`;
# gcc, libc6-dev  the C compiler that builds the compiled kernel when costlab is installed.
DEBIAN_PACKAGES=(dataset-fashion-mnist chromium fonts-wqy-microhei gcc libc6-dev)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
    if command -v apt-get >/dev/null && { [[ $(id -u) -eq 0 ]] || command -v sudo >/dev/null; }; then
        "${SUDO[@]}" apt-get update -q
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    else
        echo "scripts/test.sh: please install the Debian packages: ${missing[*]}" >&2
        exit 1
    fi
fi

# ---- Python environment ----------------------------------------------------------------
PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
    if ! "$PYTHON" -m venv .venv; then
        # Debian and Ubuntu ship venv's pip bootstrap in a separate package
        rm -rf .venv
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
            apt-get update
            DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
            "$PYTHON" -m venv .venv
        else
            echo "scripts/test.sh: '$PYTHON -m venv' failed; install your system's venv package (Debian: python3-venv)" >&2
            exit 1
        fi
    fi
fi
# the docs extra too: tests/test_docs.py builds the documentation site; the cluster extra: tests/test_cluster.py
.venv/bin/pip install -q -e '.[test,docs,cluster]'

.venv/bin/python -m pytest "$@"
