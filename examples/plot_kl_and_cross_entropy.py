"""
KL divergence and cross-entropy: one gradient, costs apart by the entropy of y
==============================================================================

The blog post links the cross-entropy to the entropy, the Kullback-Leibler
divergence and maximum likelihood. Here the link is measured: per output,

    C_CE = -[y ln a + (1 - y) ln(1 - a)] = H(y) + KL(y || a),
    H(y) = -[y ln y + (1 - y) ln(1 - y)],

so the cross-entropy is the KL divergence plus the entropy of the targets,
which the weights cannot change. Both costs give the output error
dC/dz = a - y, hence the same steps and the same training; their values stay
apart by the mean entropy of y.

Run:  python examples/plot_kl_and_cross_entropy.py

Three networks learn soft targets (each output's probability from a small
teacher network, so y is not only 0 or 1 and its entropy is not 0) from the
same start: with the cross-entropy, with the built-in ``kl`` and with the KL
divergence typed as a formula, ``y*ln(y/a) + (1-y)*ln((1-y)/(1-a))`` (0 ln 0 = 0).
The cross-entropy trains in costlab's compiled kernel and the two KL costs on its NumPy
path: the same steps, their weights apart only by rounding.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import xlogy

from costlab import Network, load_data
from costlab.palette import INK, MUTED, cost_color

data = load_data("digits")
teacher = Network([64, 10, 10], seed=1)
teacher.fit(data.X_train, data.y_train, epochs=1, batch_size=10, eta=0.5)
Y = teacher.feedforward(data.X_train)  # soft targets in (0, 1)
H = float(np.mean(-np.sum(xlogy(Y, Y) + xlogy(1 - Y, 1 - Y), axis=1)))  # mean entropy of y

specs = {"cross-entropy": "cross-entropy", "kl": "kl", "KL typed": "y*ln(y/a) + (1-y)*ln((1-y)/(1-a))"}
runs = {}
for label, spec in specs.items():
    net = Network([64, 30, 10], cost=spec, seed=0)
    runs[label] = (net, net.fit(data.X_train, Y, epochs=15, batch_size=10, eta=0.5, monitor="exact"))

(ce, h_ce), (kl, h_kl), (typed, h_typed) = runs.values()
gap = max(float(np.max(np.abs(p - q))) for p, q in zip(ce.weights + ce.biases, kl.weights + kl.biases))
gap_typed = max(float(np.max(np.abs(p - q))) for p, q in zip(kl.weights + kl.biases, typed.weights + typed.biases))
difference = np.array(h_ce.train_cost) - np.array(h_kl.train_cost)
print(f"mean entropy of the targets H(y): {H:.6f} nats")
print(f"C_CE - C_KL over the 16 records: {difference.min():.6f} to {difference.max():.6f}")
print(f"largest weight difference after 15 epochs: cross-entropy vs kl {gap:.1e}, kl vs typed {gap_typed:.1e}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
epochs = h_ce.epoch
left.plot(epochs, h_ce.train_cost, "o-", color=cost_color("cross-entropy"), label="cross-entropy")
left.plot(epochs, h_kl.train_cost, "s-", color=cost_color("kl"), label="kl (built-in)")
left.plot(epochs, h_typed.train_cost, "x", color=INK, label="KL typed as a formula")
left.axhline(H, color=MUTED, linestyle="--", label=f"H(y) = {H:.3f}")
left.set_xlabel("epoch")
left.set_ylabel("training cost C (mean per sample)")
left.set_title("the same training, two costs")
left.legend(frameon=False)
right.plot(epochs, difference, "o-", color=INK, label="C_CE - C_KL")
right.axhline(H, color=MUTED, linestyle="--", label="mean entropy of y")
right.set_ylim(H * 0.9, H * 1.1)
right.set_xlabel("epoch")
right.set_ylabel("nats")
right.set_title(f"apart by H(y); weights equal (largest difference {gap:.0e})")
right.legend(frameon=False)
if "sphinx_gallery" in sys.modules or plt.get_backend().lower() != "agg":
    plt.show()
else:  # no display (a terminal over ssh, a server): the figure goes to a file
    fig.savefig("kl-and-cross-entropy.png", dpi=100)
    print("figure: kl-and-cross-entropy.png")
