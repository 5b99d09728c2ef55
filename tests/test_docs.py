"""The documentation site builds (warnings as errors, the gallery executed), and the tutorial runs as a notebook."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html", "docs", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def _text(path: Path) -> str:
    return re.sub(r"<[^>]+>", " ", path.read_text())


def test_the_site_has_its_pages(site):
    for page in ("index", "getting-started", "costs", "notation", "model-format", "derivations", "api",
                 "benchmarks", "engine", "gallery", "about-these-docs", "auto_examples/index",
                 *(f"guide/{c}" for c in ("neuron", "reproduce", "derive", "map", "train", "compare", "layers",
                                          "serve", "report", "sklearn", "mlpclassifier", "torch", "notebooks"))):
        assert (site / f"{page}.html").is_file(), page
    # each command's page shows its --help, generated from the command itself
    assert "--cost" in _text(site / "guide" / "neuron.html") and "Usage: costlab neuron" in _text(site / "guide" / "neuron.html")
    # the API reference is generated from the docstrings
    api = _text(site / "api.html")
    for name in ("NetworkClassifier", "predict_proba", "train_neuron", "slowdown_map", "plot_runs", "SlowdownMap",
                 "costlab.torch.Loss", "end_window", "plot_watch"):
        assert name in api, name
    # formulas are typeset as SVG while building: the page needs no script to show them
    costs = (site / "costs.html").read_text()
    assert costs.count('<svg role="img" aria-label=') > 20 and 'aria-label="\\delta^L = a - y"' in costs
    assert not re.search(r"<script[^>]*(mathjax|katex)", costs, re.I)


def test_the_gallery_ran_and_offers_notebooks(site):
    tutorial = (site / "auto_examples" / "tutorial.html").read_text()
    # the printed output, the neuron run's own HTML table, and figures
    assert "first below 0.5 at epoch 232" in tutorial
    assert '<table class="costlab"><caption>Neuron run: quadratic cost' in tutorial
    assert len(re.findall(r'<img [^>]*src="../_images/sphx_glr_tutorial_\d+', tutorial)) >= 3
    assert (site / "_downloads").exists() and list((site / "_downloads").rglob("tutorial.ipynb"))
    kl = (site / "auto_examples" / "plot_kl_and_cross_entropy.html").read_text()
    assert re.search(r'<img [^>]*src="../_images/sphx_glr_plot_kl_and_cross_entropy_001', kl)
    assert "C_CE - C_KL over the 16 records" in kl
    grid = _text(site / "auto_examples" / "plot_grid_search_costs.html")
    assert "chosen:" in grid and "chosen: quadratic" not in grid
    # the PyTorch example: watch's warnings, its record as a table, its figure
    pytorch = (site / "auto_examples" / "diagnose_pytorch_model.html").read_text()
    assert "hidden layer 1 (sigmoid, module 0) is saturated in window 1" in pytorch
    assert '<table class="costlab"><caption>Watch: window 4' in pytorch
    assert re.search(r'<img [^>]*src="../_images/sphx_glr_diagnose_pytorch_model_\d+', pytorch)


def test_the_tutorial_runs_as_a_notebook(site):
    import nbformat
    from nbclient import NotebookClient

    [path] = list((site / "_downloads").rglob("tutorial.ipynb"))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "start a0 = 0.98, quadratic    : a(300) = 0.2028, first below 0.5 at epoch 232" in text
    assert "C = -y*ln(a) - (1 - y)*ln(1 - a) + constant" in text
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any(h.startswith('<table class="costlab"><caption>Slowdown map') for h in html)
    assert any("Comparison on digits" in h for h in html)
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3
    accuracy = dict(re.findall(r"(quadratic|cross-entropy)\s*: accuracy after 3 epochs.*?: ([\d.]+)%", text))
    assert float(accuracy["cross-entropy"]) > float(accuracy["quadratic"]) + 20
