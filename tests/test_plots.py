"""Figures: drawn off-screen (Agg) from the runs' data, with titles, labels and legends."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from matplotlib.figure import Figure

from costlab import plots
from costlab.neuron import reproduce, train_neuron
from clitools import PNG_MAGIC


@pytest.fixture(scope="module")
def runs():
    """The seed's four runs, cut to 60 epochs, as plain dictionaries (the JSON form)."""
    return [run.to_dict() for run in reproduce(epochs=60)]


def legend_texts(ax_or_fig):
    legends = ax_or_fig.legends if isinstance(ax_or_fig, Figure) else [ax_or_fig.get_legend()]
    return [t.get_text() for legend in legends if legend is not None for t in legend.get_texts()]


def test_start_label_names_the_initial_output_and_parameters(runs):
    assert plots.start_label(runs[0]) == "start a = 0.82 (w = 0.6, b = 0.9)"
    assert plots.start_label(runs[2]) == "start a = 0.98 (w = 2, b = 2)"


def test_plot_cost_draws_one_line_per_run(runs):
    ax = Figure().subplots()
    plots.plot_cost(ax, runs)
    assert len(ax.get_lines()) == 4
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "cost C"
    labels = legend_texts(ax)
    assert "start a = 0.98 (w = 2, b = 2), quadratic" in labels
    assert "start a = 0.82 (w = 0.6, b = 0.9), cross-entropy" in labels
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), runs[0]["history"]["C"])


def test_plot_cost_relative_starts_at_one(runs):
    ax = Figure().subplots()
    plots.plot_cost(ax, runs, relative=True)
    assert all(line.get_ydata()[0] == pytest.approx(1.0) for line in ax.get_lines())
    assert "C / C(0)" in ax.get_ylabel()


def test_colour_follows_the_cost_and_line_style_the_start(runs):
    from costlab.palette import COST_COLORS

    ax = Figure().subplots()
    plots.plot_output(ax, runs)
    lines = ax.get_lines()[:4]  # (0.82, quadratic), (0.82, cross-entropy), (0.98, quadratic), (0.98, cross-entropy)
    colors = [line.get_color() for line in lines]
    styles = [line.get_linestyle() for line in lines]
    assert colors[0] == colors[2] == COST_COLORS["quadratic"] != colors[1] == colors[3] == COST_COLORS["cross-entropy"]
    assert styles[0] == styles[1] != styles[2] == styles[3]


def test_one_palette_for_the_figures_the_page_and_the_report(runs):
    from costlab import palette
    from costlab.web.api import presets_payload

    # parameterized forms share their cost's colour; formulas get their own, always the same
    assert palette.cost_color("focal(gamma=2)") == palette.cost_color("focal") == palette.COST_COLORS["focal"]
    f1, f2 = palette.cost_color("-y*ln(a)"), palette.cost_color("(a-y)^4")
    assert f1 in palette.FORMULA_COLORS and f2 in palette.FORMULA_COLORS
    assert f1 == palette.cost_color("-y*ln(a)")
    assert not set(palette.FORMULA_COLORS) & set(palette.COST_COLORS.values())
    # the page gets the same palette through the API
    assert presets_payload()["palette"] == palette.as_json()
    # the comparison on data and the map colour their curves by cost, as the neuron's figures do
    summary = [{"init": "default", "cost": c, "eta": 0.5, "eval_accuracy_mean": [0.1, 0.5], "eval_accuracy_std": [0, 0]}
               for c in ("quadratic", "cross-entropy")]
    ax = Figure().subplots()
    plots.plot_comparison(ax, summary, "default")
    assert [line.get_color() for line in ax.get_lines()] == [palette.COST_COLORS["quadratic"],
                                                            palette.COST_COLORS["cross-entropy"]]


def test_legends_name_each_colour_and_each_style_once(runs):
    fig = plots.output_figure(runs)
    labels = legend_texts(fig)
    assert labels.count("quadratic cost") == 1 and labels.count("cross-entropy cost") == 1
    assert labels.count("start a = 0.98 (w = 2, b = 2)") == 1
    assert not any("quadratic" in t and "start" in t for t in labels)


def test_comparison_of_costs_is_relative_to_epoch_0():
    summary = [{"init": "default", "cost": c, "eta": 0.5, "eval_cost_mean": [m, m / 2], "eval_cost_std": [0, 0]}
               for c, m in (("quadratic", 0.45), ("cross-entropy", 3.2))]
    ax = Figure().subplots()
    plots.plot_comparison(ax, summary, "default", measure="eval_cost")
    assert "C / C(0)" in ax.get_ylabel() and "own scale" in ax.get_ylabel()
    for line in ax.get_lines():
        np.testing.assert_allclose(line.get_ydata(), [1.0, 0.5])


def test_figures_carry_the_version_and_parameters(runs, tmp_path):
    from PIL import Image

    from costlab import __version__

    path = plots.save_figure(plots.neuron_figure(runs[0]), tmp_path / "f.png", {"eta": 0.15})
    with Image.open(path) as im:
        info = json.loads(im.text["costlab"])
    assert info == {"costlab": __version__, "parameters": {"eta": 0.15}}
    svg = plots.save_figure(plots.neuron_figure(runs[0]), tmp_path / "f.svg", {"eta": 0.15}).read_text()
    assert f"costlab {__version__}" in svg and '"parameters": {"eta": 0.15}' in svg


def test_plot_output_marks_target_and_half(runs):
    ax = Figure().subplots()
    plots.plot_output(ax, runs)
    assert ax.get_ylabel() == "output a"
    labels = legend_texts(ax)
    assert "target y = 0" in labels and "a = 0.5" in labels


def test_sigmoid_figure_shows_both_slopes(runs):
    fig = plots.sigmoid_figure(runs)
    ax_s, ax_p = fig.axes
    texts = [t.get_text() for t in ax_s.texts] + [t.get_text() for t in ax_p.texts]
    assert any("0.149" in t for t in texts)
    assert any("0.0177" in t for t in texts)
    assert "sigmoid" in ax_s.get_title()
    assert "z = w x + b" in ax_p.get_xlabel()
    assert len([t for t in legend_texts(ax_s) if t.startswith("tangent at")]) == 2


def test_gradient_curves_match_the_formulas():
    a = np.array([0.1, 0.5, 0.8176, 0.982])
    g = plots.gradient_curves(a, y=0.0)
    np.testing.assert_allclose(g["quadratic"], a * a * (1 - a), rtol=1e-12)
    np.testing.assert_allclose(g["cross-entropy"], a, rtol=1e-12)


def test_gradient_figure_is_log_scaled_and_marks_the_starts(runs):
    fig = plots.gradient_figure(runs)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert "output a" in ax.get_xlabel()
    assert "partial C" in ax.get_ylabel()
    labels = legend_texts(ax)
    assert any(t.startswith("quadratic") for t in labels)
    assert any(t.startswith("cross-entropy") for t in labels)
    assert "start a = 0.98 (w = 2, b = 2)" in labels
    texts = [t.get_text() for t in ax.texts]
    assert "0.0173" in texts and "0.982" in texts  # quadratic vs cross-entropy at a = 0.98


def test_cost_grid_has_one_panel_per_start_and_cost(runs):
    fig = plots.cost_grid_figure(runs)
    titles = sorted(ax.get_title() for ax in fig.axes)
    assert titles == sorted(
        f"{start}, {cost} cost"
        for start in ("start a = 0.82 (w = 0.6, b = 0.9)", "start a = 0.98 (w = 2, b = 2)")
        for cost in ("quadratic", "cross-entropy")
    )
    assert all(ax.get_ylabel() == "cost C" for ax in fig.axes)


def test_reproduce_figures_all_have_titles_and_legends(runs):
    figures = plots.reproduce_figures(runs)
    assert set(figures) == {
        "cost-vs-epoch", "cost-vs-epoch-all", "output-vs-epoch", "sigmoid-slopes", "gradient-vs-output",
    }
    for name, fig in figures.items():
        assert all(ax.get_title() for ax in fig.axes), name
        assert all(ax.get_xlabel() or ax.get_shared_x_axes().get_siblings(ax) for ax in fig.axes), name
        if name != "cost-vs-epoch":
            assert legend_texts(fig) or any(legend_texts(ax) for ax in fig.axes), name


def test_neuron_figure_titles(runs):
    fig = plots.neuron_figure(runs[2])
    assert "quadratic cost" in fig.get_suptitle()
    assert "start a = 0.98" in fig.get_suptitle()
    assert [ax.get_ylabel() for ax in fig.axes] == ["output a", "cost C"]


@pytest.mark.parametrize("suffix", [".png", ".svg", ".PNG"])
def test_save_figure_writes_the_format_of_the_suffix(tmp_path, runs, suffix):
    path = plots.save_figure(plots.neuron_figure(runs[0]), tmp_path / f"f{suffix}")
    data = path.read_bytes()
    if suffix.lower() == ".png":
        assert data.startswith(PNG_MAGIC)
    else:
        assert ET.fromstring(data).tag.endswith("svg")
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_save_figure_refuses_other_formats(tmp_path, runs):
    with pytest.raises(ValueError, match="png or .svg"):
        plots.save_figure(plots.neuron_figure(runs[0]), tmp_path / "f.pdf")
    assert list(tmp_path.iterdir()) == []


def test_figures_redraw_from_json(runs):
    again = json.loads(json.dumps(runs))
    fig = plots.output_figure(again)
    assert len(fig.axes[0].get_lines()) >= 4


def test_a_single_run_with_a_nonzero_target():
    run = train_neuron(2.0, 2.0, y=0.3, epochs=10).to_dict()
    fig = plots.neuron_figure(run)
    assert "target y = 0.3" in legend_texts(fig.axes[0])
