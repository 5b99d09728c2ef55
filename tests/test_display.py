"""Results in notebooks: HTML summary tables, .plot(ax=None), and a real kernel rendering them."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import costlab  # noqa: E402
from costlab.compare import compare  # noqa: E402
from costlab.neuron import train_neuron  # noqa: E402
from costlab.slowdown import slowdown_map  # noqa: E402


@pytest.fixture(scope="module")
def history():
    data = costlab.load_data("digits").limit(300)
    net = costlab.Network([64, 10, 10], seed=0)
    return net.fit(data.X_train, data.y_train, epochs=3, eval_data=(data.X_test, data.y_test))


@pytest.fixture(scope="module")
def smap():
    return slowdown_map(w=np.linspace(-3, 3, 7), b=np.linspace(-3, 3, 5), epochs=100)


@pytest.fixture(scope="module")
def comparison():
    return compare("digits", costs=("quadratic", "cross-entropy"), seeds=2, epochs=2, limit=200)


def test_result_types_are_exported():
    assert costlab.NetworkGroup.__name__ == "NetworkGroup"
    for name in ("History", "NeuronRun", "SlowdownMap", "Comparison"):
        assert name in dir(costlab) and getattr(costlab, name).__name__ == name


def test_history_table_shows_every_epoch_and_the_settings(history):
    page = history._repr_html_()
    assert page.startswith('<table class="costlab"><caption>History: 3 epochs (')
    assert "eta = 0.5" in page and "batch_size = 10" in page
    assert page.count("<tr>") == 1 + 4  # header and epochs 0..3
    assert f"{100 * history.eval_accuracy[-1]:.1f}%" in page
    assert "test cost C" in page


def test_long_tables_are_cut_in_the_middle():
    h = costlab.History()
    for e in range(40):
        h.append(e, 1.0 / (e + 1), None)
    page = h._repr_html_()
    assert page.count("<tr>") == 1 + 13 and "…" in page
    assert "accuracy" not in page  # columns with no values are left out
    assert "<td>39</td>" in page and "<td>20</td>" not in page


def test_tables_escape_text():
    h = costlab.History(config={"note": "<script>"})
    assert "<script>" not in h._repr_html_() and "&lt;script&gt;" in h._repr_html_()


def test_history_plot_draws_on_the_given_axes_or_a_new_one(history):
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    assert history.plot(ax) is ax
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["training", "test"]
    # epochs without a value (a running record has none before training) are left out
    drawn = [(e, c) for e, c in zip(history.epoch, history.train_cost) if c is not None]
    np.testing.assert_allclose(lines[0].get_xdata(), [e for e, _ in drawn])
    np.testing.assert_allclose(lines[0].get_ydata(), [c for _, c in drawn])
    acc = history.plot(measure="accuracy")
    np.testing.assert_allclose(acc.get_lines()[1].get_ydata(), np.array(history.eval_accuracy) * 100)
    assert acc.get_ylabel() == "accuracy (%)"
    with pytest.raises(ValueError, match="measure"):
        history.plot(measure="loss")


def test_neuron_run_table_and_plot():
    run = train_neuron(2.0, 2.0, cost="quadratic", epochs=300)
    page = run._repr_html_()
    assert "quadratic cost, eta = 0.15" in page
    # the post's numbers: a(0) = 0.982, a(300) = 0.2028
    assert "<td>0</td><td>2</td><td>2</td><td>0.982</td>" in page
    assert "<td>300</td>" in page and "<td>0.2028</td>" in page
    ax = run.plot()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), run.history["a"])
    assert run.plot(measure="C").get_ylabel() == "cost C"


def test_map_table_and_plots(smap):
    page = smap._repr_html_()
    assert "7 x 5 starts" in page
    for row in smap.summary():
        assert f"{100 * row['share_reached']:.1f}%" in page
    ax = smap.plot()
    assert [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")] == \
        ["quadratic cost", "cross-entropy cost"]
    image_ax = smap.plot(cost="quadratic")
    np.testing.assert_array_equal(image_ax.get_images()[0].get_array().filled(-1), smap.first_epoch["quadratic"])
    with pytest.raises(ValueError, match="no cost 'focal'"):
        smap.plot(cost="focal")


def test_comparison_table_and_plot(comparison):
    page = comparison._repr_html_()
    assert page.count("<tr>") == 1 + 2 and "quadratic" in page and "cross-entropy" in page
    ax = comparison.plot()
    assert {line.get_label() for line in ax.get_lines()} == {"quadratic cost", "cross-entropy cost"}
    row = comparison.summary[0]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), np.array(row["eval_accuracy_mean"]) * 100)
    with pytest.raises(ValueError, match="no init 'default'"):
        comparison.plot(init="default")


def test_the_core_imports_no_matplotlib():
    code = ("import sys, costlab, costlab.network, costlab.neuron\n"
            "h = costlab.History(); h.append(0, 1.0, 0.5); h._repr_html_()\n"
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_results_render_in_a_notebook_kernel():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import costlab\nfrom costlab.neuron import train_neuron\n"
                                  "run = train_neuron(2.0, 2.0, cost='cross-entropy', epochs=50)\nrun"),
        nbformat.v4.new_code_cell("run.plot();"),
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    table, figure = nb.cells[0].outputs[0], nb.cells[1].outputs[0]
    assert "cross-entropy cost" in table["data"]["text/html"]
    assert table["data"]["text/html"].startswith('<table class="costlab">')
    assert figure["output_type"] == "display_data" and "image/png" in figure["data"]


def test_several_runs_share_one_axes_with_one_target_line():
    from costlab.display import plot_runs
    from costlab.neuron import reproduce

    runs = reproduce(epochs=20)
    ax = plot_runs(runs)
    labels = [line.get_label() for line in ax.get_lines()]
    assert len(labels) == 4 + 2 and labels.count("target y = 0") == 1
    assert plot_runs(runs, measure="C").get_ylabel() == "cost C"
