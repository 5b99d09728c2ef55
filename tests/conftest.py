"""What the tests share: data sets loaded once, targets, and histories as arrays.

Fixtures are found by pytest; the helpers are imported with ``from conftest import ...``
(the tests folder is on the path, as for ``clitools``).
"""

from __future__ import annotations

import numpy as np
import pytest

from costlab.data import load_data


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits: 1347 training and 450 test images of 8 x 8."""
    return load_data("digits")


def onehot(labels, k=10):
    """One-hot rows for integer labels: shape (n, k)."""
    Y = np.zeros((len(labels), k))
    Y[np.arange(len(labels)), labels] = 1.0
    return Y


def multilabels(digits_y):
    """Three labels per digit (even, at least 5, round: 0, 6, 8, 9), a multi-label indicator matrix of 0 to 3 ones."""
    return np.column_stack([digits_y % 2 == 0, digits_y >= 5, np.isin(digits_y, [0, 6, 8, 9])]).astype(np.int64)


def subset_accuracy(net, X, Y, w=None):
    """scikit-learn's accuracy_score of an indicator matrix (every label right) for the outputs [a_j > 0.5]."""
    from sklearn.metrics import accuracy_score

    return accuracy_score(Y, (net.feedforward(X) > 0.5).astype(np.int64), sample_weight=w)


def floats(values):
    """A history's list as a float array, None (not recorded) as NaN, for assert_allclose."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)
