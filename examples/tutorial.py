"""
Tutorial: the blog post, with costlab
=====================================

A sigmoid neuron trained with the quadratic cost learns slowest when it is most wrong; the
cross-entropy cost fixes that. This tutorial retells the blog post's argument (after chapter 3
of Nielsen's *Neural Networks and Deep Learning*) with costlab: the two starts, where the
slowdown comes from, the derivation of the cross-entropy, the map of every start, and a network
on the digits.

Run it with ``python examples/tutorial.py``, or download it as a notebook from the gallery.
"""

# %%
# The two starts
# --------------
# One neuron, ``a = sigma(w x + b)``, with input ``x = 1`` and target ``y = 0``, trained by
# gradient descent with ``eta = 0.15`` for 300 epochs. The post starts it twice: from
# ``w = 0.6, b = 0.9`` (output 0.82) and from ``w = 2, b = 2`` (output 0.98), under both costs.

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from costlab.display import plot_runs
from costlab.neuron import first_epoch_below, reproduce


def show(fig, name):
    """Show ``fig``; where there is no display (a terminal over ssh, a server), save it as
    tutorial-figures/NAME.png instead and say so."""
    if "sphinx_gallery" in sys.modules or plt.get_backend().lower() != "agg":
        plt.show()
        return
    path = Path("tutorial-figures") / f"{name}.png"
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=100)
    print(f"figure: {path}")


runs = reproduce()
for run in runs:
    print(f"start a0 = {run.a0:.2f}, {run.cost:13s}: a(300) = {run.history['a'][-1]:.4f}, "
          f"first below 0.5 at epoch {first_epoch_below(run)}")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
plot_runs(runs, left)
plot_runs(runs, right, measure="C")
show(fig, "two-starts")

# %%
# From 0.98 the quadratic cost needs 232 epochs to get below 0.5; from 0.82 only 36. The
# cross-entropy gets there in 17 and 8. One run, shown as a notebook shows it:

runs[2]

# %%
# Where the slowdown comes from
# -----------------------------
# With the quadratic cost ``C = (y - a)^2 / 2`` the gradient is
# ``dC/db = (a - y) sigma'(z)``: it carries the slope of the sigmoid, which is tiny where the
# sigmoid is flat. The cross-entropy's is ``dC/db = a - y``. costlab's costs compute these
# output errors ``delta = dC/dz``:

from costlab.activations import ACTIVATIONS, sigmoid, sigmoid_prime
from costlab.costs import COSTS
from costlab.neuron import SEED_STARTS

sigma = ACTIVATIONS["sigmoid"]
y = np.array([[0.0]])
for name, (w, b) in SEED_STARTS.items():
    z = np.array([[w + b]])
    a = sigmoid(z)
    quadratic = COSTS["quadratic"].delta(z, a, y, sigma)[0, 0]
    cross_entropy = COSTS["cross-entropy"].delta(z, a, y, sigma)[0, 0]
    print(f"{name}: sigma'(z) = {sigmoid_prime(z)[0, 0]:.4f}, dC/db quadratic = {quadratic:.4f}, "
          f"cross-entropy = {cross_entropy:.4f}")

# %%
# The derivation
# --------------
# SymPy does the algebra. The last of the post's derivations asks for a cost whose bias
# gradient is the plain error ``a - y`` and integrates ``dC/da = (a - y) / (a (1 - a))``: the
# result is the cross-entropy.

from costlab import derive

derivations = derive.seed()
print(derive.to_text(derivations[2:]))

# %%
# The map of every start
# ----------------------
# The two starts are two points. Training the neuron from every start ``(w, b)`` of a grid (all
# of them at once, as one group of networks) shows the whole picture: the first epoch at which
# the output reaches 0.1.

from costlab.slowdown import slowdown_map

smap = slowdown_map(w=np.linspace(-6, 6, 81), b=np.linspace(-6, 6, 81))
fig, axes = plt.subplots(1, 3, figsize=(16, 4.5), layout="constrained")
smap.plot(axes[0], cost="quadratic")
smap.plot(axes[1], cost="cross-entropy")
smap.plot(axes[2])
show(fig, "map")

# %%
# With ``x = 1`` the time depends on ``w + b`` only: the diagonal bands. Against the initial
# output ``a0`` alone (right), the quadratic cost's time grows without bound as ``a0`` nears 1,
# while the cross-entropy's stays small. The summary:

smap

# %%
# A network on the digits
# -----------------------
# The same engine trains networks on real data. With the "large" initial weights of the
# post's era, ``w ~ N(0, 1)``, the hidden sigmoids start saturated, and the quadratic cost falls
# behind in the first epochs. ``compare`` trains both costs from the same initial weights and
# in the same batch order, for several seeds.

from costlab.compare import compare

comparison = compare("digits", costs=("quadratic", "cross-entropy"), seeds=3, epochs=5, inits=("large",))
ax = comparison.plot()
show(ax.figure, "digits")

comparison

# %%
# The same in scikit-learn, where the cost is a parameter of the estimator (the gallery's grid
# search chooses it):

from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from costlab import load_data
from costlab.sklearn import NetworkClassifier

data = load_data("digits")
X = np.concatenate([data.X_train, data.X_test])
y = np.concatenate([data.y_train, data.y_test])
for cost in ("quadratic", "cross-entropy"):
    pipe = make_pipeline(MinMaxScaler(), NetworkClassifier(cost=cost, epochs=3, init="large", random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    print(f"{cost:13s}: accuracy after 3 epochs, 3-fold cross-validation: {scores.mean():.1%}")
