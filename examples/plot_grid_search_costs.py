"""
Choosing the cost with a grid search
====================================

costlab's :class:`~costlab.sklearn.NetworkClassifier` makes the cost a parameter, so
scikit-learn's ``GridSearchCV`` can choose it, and every fitted estimator keeps its curves in
``history_``. On the digits, with the saturating "large" initial weights and three epochs, the
search passes over the quadratic cost; the curves show why.

Run:  python examples/plot_grid_search_costs.py
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from costlab import load_data
from costlab.palette import cost_color
from costlab.sklearn import NetworkClassifier

data = load_data("digits")
pipe = make_pipeline(MinMaxScaler(), NetworkClassifier((30,), epochs=3, init="large", random_state=1))
costs = ["quadratic", "cross-entropy", "log-likelihood"]
search = GridSearchCV(pipe, {"networkclassifier__cost": costs}, cv=3).fit(data.X_train, data.y_train)

for params, mean, std in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"],
                             search.cv_results_["std_test_score"]):
    print(f"{params['networkclassifier__cost']:15s} {mean:.1%} ± {std:.1%}")
print("chosen:", search.best_params_["networkclassifier__cost"])
print(f"test accuracy: {search.score(data.X_test, data.y_test):.1%}")

# %%
# The training cost and accuracy per epoch of each cost (``history_``), refitted on the whole
# training set.

fig, (ax_cost, ax_acc) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for cost in costs:
    clf = pipe.set_params(networkclassifier__cost=cost).fit(data.X_train, data.y_train)[-1]
    h = clf.history_
    # the epochs with a training record (a running record has none before training)
    epochs, C, accuracy = (np.array(v, dtype=float) for v in zip(
        *[(e, c, a) for e, c, a in zip(h.epoch, h.train_cost, h.train_accuracy) if c is not None]))
    ax_cost.plot(epochs, C / C[0], marker="o", color=cost_color(cost), label=cost)
    ax_acc.plot(epochs, 100 * accuracy, marker="o", color=cost_color(cost), label=cost)
ax_cost.set(xlabel="epoch", ylabel="training cost C, relative to its first record",
            title="Training cost per epoch, relative to its first record")
ax_acc.set(xlabel="epoch", ylabel="training accuracy (%)", title="Training accuracy per epoch")
for ax in (ax_cost, ax_acc):
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.legend()
if "sphinx_gallery" in sys.modules or plt.get_backend().lower() != "agg":
    plt.show()
else:  # no display (a terminal over ssh, a server): the figure goes to a file
    fig.savefig("grid-search-costs.png", dpi=100)
    print("figure: grid-search-costs.png")
