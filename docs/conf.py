"""Sphinx configuration of costlab's documentation: ``bash scripts/docs.sh`` builds it."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import costlab  # noqa: E402
from costlab.cli import COMMANDS, cli  # noqa: E402

project = "costlab"
author = "the costlab authors"
copyright = "costlab authors, MIT license"
release = version = costlab.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "mathsvg",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip",
                    "auto_examples/*.md5", "auto_examples/*.codeobj.json", "guide/_help", "_ext"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
# formulas are typeset while the pages are built (docs/_ext/mathsvg.py): no script, works offline
html_math_renderer = "mathsvg"
myst_heading_anchors = 3

# the JSON examples in model-format.md and derivations.md elide with "...": shown unhighlighted
suppress_warnings = ["misc.highlighting_failure"]

html_theme = "furo"
html_title = f"costlab {release}"
html_static_path = []

# the API reference: numpydoc reads the NumPy-style docstrings
autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

# the gallery: every script in examples/ runs, its figures and output are shown,
# and each page offers the script and a Jupyter notebook to download
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "remove_config_comments": True,
    "min_reported_time": 60,
    "write_computation_times": False,
}


def write_command_help(app):
    """guide/_help/<command>.txt: the ``--help`` of every command, as the installed costlab prints it."""
    out = HERE / "guide" / "_help"
    out.mkdir(exist_ok=True)
    root = click.Context(cli, info_name="costlab", terminal_width=88, max_content_width=88)
    texts = {"costlab": cli.get_help(root)}
    for name in COMMANDS:
        command = cli.get_command(root, name)
        texts[name] = command.get_help(click.Context(command, info_name=name, parent=root,
                                                     terminal_width=88, max_content_width=88))
    for name, text in texts.items():
        path = out / f"{name}.txt"
        if not path.exists() or path.read_text() != text + "\n":
            path.write_text(text + "\n")


_LITERAL = re.compile(r"(``.*?``)")


def escape_bars(app, what, name, obj, options, lines):
    """Docstrings write absolute values as |a - y|, which reStructuredText reads as a substitution."""
    for i, line in enumerate(lines):
        lines[i] = "".join(p if p.startswith("``") else p.replace("|", r"\|") for p in _LITERAL.split(line))


def setup(app):
    app.connect("builder-inited", write_command_help)
    app.connect("autodoc-process-docstring", escape_bars, priority=400)
