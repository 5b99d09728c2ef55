"""
The slowdown in numbers
=======================

The seed's argument in numbers: why the quadratic cost stalls and the cross-entropy does not.

Run:  python examples/slowdown_in_numbers.py

For the seed's two starts it prints the factor sigma'(z) and each cost's bias
gradient dC/db = delta at the start, then how far each neuron has got after
300 epochs, all computed by costlab's own functions.
"""

import numpy as np

from costlab.activations import ACTIVATIONS, sigmoid, sigmoid_prime
from costlab.costs import COSTS
from costlab.neuron import SEED_STARTS, first_epoch_below, train_neuron

x, y = 1.0, np.array([[0.0]])
sigma = ACTIVATIONS["sigmoid"]
print(f"{'start':>8} {'sigma_prime(z)':>14} {'dC/db quadratic':>16} {'dC/db cross-ent.':>17}")
for name, (w, b) in SEED_STARTS.items():
    z = np.array([[w * x + b]])
    a = sigmoid(z)
    # dC/db = delta: (a - y) sigma'(z) for the quadratic cost, a - y for the cross-entropy
    quadratic = COSTS["quadratic"].delta(z, a, y, sigma)[0, 0]
    cross_entropy = COSTS["cross-entropy"].delta(z, a, y, sigma)[0, 0]
    print(f"{name:>8} {sigmoid_prime(z)[0, 0]:14.4f} {quadratic:16.4f} {cross_entropy:17.4f}")

print()
for name, (w, b) in SEED_STARTS.items():
    for cost in ("quadratic", "cross-entropy"):
        run = train_neuron(w, b, cost=cost)
        below = first_epoch_below(run, 0.5)
        print(f"{name}, {cost:13s}: a(300) = {run.history['a'][-1]:.4f}, "
              f"first below 0.5 at epoch {'never' if below is None else below}")
