"""Every image of the README and docs/ is drawn by scripts/figures.sh, by today's code.

Each image carries a stamp in its metadata (costlab's version, its parameters
and a fingerprint of the code that draws it, see scripts/figures.py); an image
drawn by older code, or with other parameters, fails here until
``bash scripts/figures.sh`` draws it again.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _figures_module():
    spec = importlib.util.spec_from_file_location("costlab_figures_script", ROOT / "scripts" / "figures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


FIGURES = _figures_module()
GALLERY = FIGURES.gallery()


@pytest.mark.parametrize("entry", GALLERY, ids=[e.path for e in GALLERY])
def test_committed_image_was_drawn_by_todays_code(entry):
    path = ROOT / entry.path
    assert path.is_file(), f"{entry.path} is missing: run bash scripts/figures.sh"
    found = FIGURES.read_stamp(path)
    assert found is not None, f"{entry.path} carries no stamp: run bash scripts/figures.sh"
    assert found == FIGURES.stamp(entry), (
        f"{entry.path} was drawn by other code or with other parameters than scripts/figures.py's: "
        f"run bash scripts/figures.sh {Path(entry.path).stem}")


def test_every_image_of_the_readme_and_docs_is_in_the_gallery():
    paths = {e.path for e in GALLERY}
    # the committed images (not what the documentation build writes: _build/, auto_examples/)
    built = ("docs/_build/", "docs/auto_examples/")
    in_docs = {str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.png")}
    in_docs = {p for p in in_docs if not p.startswith(built)}
    assert in_docs == paths
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", readme)) | set(re.findall(r'<img src="([^"]+\.png)"', readme))
    assert linked and linked <= paths
    assert "bash scripts/figures.sh" in readme


def test_the_fingerprint_follows_the_drawing_code():
    entry = GALLERY[0]
    changed = FIGURES.Entry(entry.path, entry.params, entry.draw, entry.code + [lambda: "another line"])
    assert FIGURES.fingerprint(changed) != FIGURES.fingerprint(entry)
    other = FIGURES.Entry(entry.path, {**entry.params, "eta": 0.5}, entry.draw, entry.code)
    assert FIGURES.stamp(other) != FIGURES.stamp(entry)
