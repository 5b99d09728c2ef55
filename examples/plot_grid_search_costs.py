"""
Choosing the cost with a grid search
====================================

costlab's :class:`~costlab.sklearn.NetworkClassifier` makes the cost a parameter, so
scikit-learn's ``GridSearchCV`` can choose it, and every fitted estimator keeps its curves in
``history_``. On the digits, with the saturating "large" initial weights and three epochs, the
search passes over the quadratic cost; the curves show why.

Run:  python examples/plot_grid_search_costs.py
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from costlab import load_data
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
# The training cost and accuracy per epoch of each cost, refitted on the whole training set.

fig, (ax_cost, ax_acc) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for cost in costs:
    clf = pipe.set_params(networkclassifier__cost=cost).fit(data.X_train, data.y_train)[-1]
    h = clf.history_
    ax_cost.plot(h.epoch, np.array(h.train_cost) / h.train_cost[0], label=cost)
    ax_acc.plot(h.epoch, 100 * np.array(h.train_accuracy), label=cost)
ax_cost.set(xlabel="epoch", ylabel="training cost C / C(0)", title="cost, relative to the start")
ax_acc.set(xlabel="epoch", ylabel="training accuracy (%)", title="accuracy")
for ax in (ax_cost, ax_acc):
    ax.grid(True, alpha=0.3)
    ax.legend()
plt.show()
