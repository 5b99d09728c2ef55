"""Per-class figures of a classifier: precision, recall and balanced accuracy.

Accuracy hides a rare class: a network that never answers "0" is right 90%
of the time on one digit against the rest. Per class, precision is the share
of the samples predicted in the class that are in it, recall the share of the
class that is found; balanced accuracy is the mean recall over the classes
(scikit-learn's definitions, computed by scikit-learn).

A multi-label classifier answers each label yes or no: the same figures per
label (:func:`label_metrics`), and the subset accuracy, the share of samples
whose labels are all right (what scikit-learn's ``score`` gives it).
"""

from __future__ import annotations

import numpy as np

__all__ = ["class_metrics", "label_metrics", "subset_accuracy"]


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


def subset_accuracy(Y_true, A) -> float:
    """The share of rows whose every label is right: [a_j > 1/2] = y_j for all j (outputs ``A`` or 0/1 predictions)."""
    return float(np.mean(np.all((np.asarray(A) > 0.5) == (np.asarray(Y_true) > 0.5), axis=1)))


def label_metrics(Y_true, Y_pred, names=None) -> dict:
    """Per label of an indicator matrix: precision, recall and support (its positives); and the whole.

    Returns the keys of :func:`class_metrics` (``balanced_accuracy``: the
    mean over the labels of each label's balanced accuracy; ``classes``: one
    entry per label) and ``subset_accuracy`` (all labels of a row right) and
    ``hamming_loss`` (the share of wrong labels), with ``multilabel: True``.
    """
    from sklearn.metrics import balanced_accuracy_score, hamming_loss, precision_recall_fscore_support

    Y_true, Y_pred = np.asarray(Y_true), np.asarray(Y_pred)
    k = Y_true.shape[1]
    precision, recall, _, support = precision_recall_fscore_support(Y_true, Y_pred, average=None, zero_division=0)
    names = list(names) if names is not None else [f"label {j}" for j in range(k)]
    balanced = [balanced_accuracy_score(Y_true[:, j], Y_pred[:, j]) if len(np.unique(Y_true[:, j])) > 1
                else float(np.mean(Y_true[:, j] == Y_pred[:, j])) for j in range(k)]
    return {
        "multilabel": True,
        "subset_accuracy": subset_accuracy(Y_true, Y_pred),
        "hamming_loss": float(hamming_loss(Y_true, Y_pred)),
        "balanced_accuracy": float(np.mean(balanced)),
        "classes": [
            {"class": names[j], "support": int(support[j]), "precision": float(precision[j]),
             "recall": float(recall[j])}
            for j in range(k)
        ],
    }
