"""
Weighted and focal costs against the plain cross-entropy
========================================================

Weighted and focal costs against the plain cross-entropy, for one sigmoid output.

Run:  python examples/weighted_and_focal_costs.py [FIGURE.png]

For a positive sample (y = 1) and a negative one (y = 0), prints the cost C
and the output error dC/dz of each spec at a few weighted inputs z, and with
a file name draws them against z (the figure in the README). The weight p of
``cross-entropy(pos_weight=p)`` scales the positive sample's cost and error;
the focal factor (1 - p_t)^gamma shrinks both where the output is already
right (p_t near 1), so the training concentrates on the samples still wrong.
"""

import sys

import numpy as np

from costlab.activations import sigmoid
from costlab.costs import get_cost

SPECS = ("cross-entropy", "cross-entropy(pos_weight=3)", "focal(gamma=2)", "focal(gamma=2, alpha=0.25)")
z = np.linspace(-6, 6, 241)[:, None]
a = sigmoid(z)
curves = {
    (spec, target): (get_cost(spec).fn(z, a, np.full_like(z, target)),
                     get_cost(spec).delta(z, a, np.full_like(z, target), None)[:, 0])
    for spec in SPECS for target in (1.0, 0.0)
}

print(f"{'cost':28} {'y':>3} " + "".join(f"{'C(z=' + format(v, 'g') + ')':>11}" for v in (-4, 0, 4))
      + "".join(f"{'dC/dz(' + format(v, 'g') + ')':>12}" for v in (-4, 0, 4)))
for (spec, target), (C, delta) in curves.items():
    at = [int(np.argmin(np.abs(z[:, 0] - v))) for v in (-4, 0, 4)]
    print(f"{spec:28} {target:3g} " + "".join(f"{C[i]:11.4f}" for i in at) + "".join(f"{delta[i]:12.4f}" for i in at))

if len(sys.argv) > 1:
    from costlab.plots import cost_curves_figure, save_figure

    save_figure(cost_curves_figure(SPECS, z=z[:, 0]), sys.argv[1])
    print(f"figure: {sys.argv[1]}")
