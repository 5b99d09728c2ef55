"""Chinese throughout: every text of every figure drawn in Chinese (the report: tests/test_report.py).

Each figure of costlab.plots is drawn in Chinese and its text artists (titles, axis labels, legends,
annotations, colour-bar labels, ticks) are read back. None may hold a Latin word outside the allow-list of tests/zhtext.py (symbols, units, formulas and the
names Chinese texts keep). Formulas set as mathtext ($...$) are formulas, not words.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.text import Text

from costlab import i18n, plots
from zhtext import latin_words


def figure_texts(fig) -> list[str]:
    fig.canvas.draw()  # tick labels exist once drawn
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def untranslated(texts) -> dict[str, list[str]]:
    found = {}
    for text in texts:
        words = latin_words(re.sub(r"\$[^$]*\$", " ", text))
        if words:
            found[text] = words
    return found


@pytest.fixture(scope="module")
def results():
    """Small runs of every experiment a figure shows."""
    from costlab.compare import compare
    from costlab.data import load_data
    from costlab.layers import layer_speeds
    from costlab.network import Network
    from costlab.neuron import reproduce
    from costlab.slowdown import slowdown_map

    runs = [r.to_dict() for r in reproduce(epochs=60)]
    grid = np.linspace(-6, 6, 21)
    smap = slowdown_map(w=grid, b=grid, epochs=60)
    comparison = compare("digits", costs=("quadratic", "cross-entropy"), seeds=1, epochs=2, inits=("default", "large"))
    d = load_data("digits")
    layers = layer_speeds(d.X_train[:300], d.y_train[:300], sizes=[64, 8, 8, 10], activations=("sigmoid", "relu"),
                          epochs=2, eval_data=(d.X_test[:100], d.y_test[:100]))
    history = Network([64, 8, 10], seed=0).fit(d.X_train[:200], d.y_train[:200], epochs=2, eta=0.5,
                                               eval_data=(d.X_test[:100], d.y_test[:100]), monitor="exact")
    return runs, smap, comparison, layers, history


def test_every_figure_speaks_chinese(results):
    runs, smap, comparison, layers, history = results
    with i18n.language("zh"):
        figures = {**plots.reproduce_figures(runs), "neuron": plots.neuron_figure(runs[0]),
                   "map": plots.slowdown_figure(smap), "maps": plots.slowdown_maps_figure(smap),
                   "a0": plots.slowdown_a0_figure(smap),
                   "compare": plots.comparison_figure(comparison.summary, comparison.config),
                   "layers": plots.layers_figure(layers.to_dict()),
                   "training": plots.training_figure(history.to_dict(), plots.data_name("digits")),
                   "costs": plots.cost_curves_figure(("cross-entropy", "cross-entropy(pos_weight=3)", "focal(gamma=2)"))}
        found = {name: untranslated(figure_texts(fig)) for name, fig in figures.items()}
    found = {name: f for name, f in found.items() if f}
    assert found == {}, f"untranslated text in figures drawn in Chinese: {found}"
