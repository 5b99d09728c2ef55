"""
Quadratic against cross-entropy on the digits
=============================================

Quadratic against cross-entropy on real data, from the same start and batch order.

Run:  python examples/costs_on_digits.py

Two networks [64, 30, 10] with the "large" initial weights of the seed's era
(hidden sigmoids start saturated) learn the digits side by side, as one
NetworkGroup: the same initial weights and the same mini-batches, only the cost
differs. Prints the test accuracy after each of the first ten epochs.
"""

from costlab import Network, load_data
from costlab.group import NetworkGroup

data = load_data("digits")
costs = ("quadratic", "cross-entropy")
networks = [Network([64, 30, 10], cost=cost, init="large", seed=1) for cost in costs]
histories = NetworkGroup(networks).fit(data.X_train, data.y_train, epochs=10, batch_size=10, eta=0.5,
                                       eval_data=(data.X_test, data.y_test))
print("epoch " + "".join(f"{cost:>16}" for cost in costs))
for epoch in range(11):
    print(f"{epoch:5d} " + "".join(f"{h.eval_accuracy[epoch]:16.1%}" for h in histories))
