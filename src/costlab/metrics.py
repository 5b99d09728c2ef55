"""Per-class figures of a classifier: precision, recall and balanced accuracy.

Accuracy hides a rare class: a network that never answers "0" is right 90%
of the time on one digit against the rest. Per class, precision is the share
of the samples predicted in the class that are in it, recall the share of the
class that is found; balanced accuracy is the mean recall over the classes
(scikit-learn's definitions, computed by scikit-learn).
"""

from __future__ import annotations

import numpy as np

__all__ = ["class_metrics"]


def class_metrics(y_true, y_pred, n_classes: int, names=None) -> dict:
    """{"balanced_accuracy", "classes": [{"class", "support", "precision", "recall"}, ...]} for labels 0..n_classes-1.

    A class that is never predicted has precision 0 (scikit-learn's
    ``zero_division=0``).
    """
    from sklearn.metrics import balanced_accuracy_score, precision_recall_fscore_support

    labels = np.arange(n_classes)
    precision, recall, _, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    names = list(names) if names is not None else [str(k) for k in labels]
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "classes": [
            {"class": names[k], "support": int(support[k]), "precision": float(precision[k]),
             "recall": float(recall[k])}
            for k in labels
        ],
    }
