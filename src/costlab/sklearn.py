"""scikit-learn estimators over costlab's network: the cost is a parameter, the curves are kept.

:class:`NetworkClassifier` and :class:`NetworkRegressor` follow scikit-learn's
rules (``__init__`` stores its parameters, ``fit`` returns the estimator, what
was learned ends in ``_``), so they work in ``Pipeline``, ``GridSearchCV`` and
``cross_val_score``. They train a :class:`costlab.Network` by mini-batch
gradient descent::

    w -> (1 - eta lmbda / n) w - (eta / m) sum_x dC_x/dw

with the cost C chosen by name (``"quadratic"``, ``"cross-entropy"``,
``"log-likelihood"``), and keep its per-epoch :class:`costlab.History` in
``history_``, so a grid search over costs can show *why* one wins::

    >>> from sklearn.model_selection import GridSearchCV
    >>> search = GridSearchCV(NetworkClassifier(epochs=10),
    ...                       {"cost": ["quadratic", "cross-entropy"]})  # doctest: +SKIP

Sample weights are not supported: the engine's costs weigh every sample
alike.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from costlab.network import Network

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def _validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

__all__ = ["NetworkClassifier", "NetworkRegressor"]

_FLOATS = (np.float64, np.float32)


def _seed(random_state) -> int:
    """An integer seed for the network from scikit-learn's ``random_state``."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _hidden_sizes(hidden_layer_sizes) -> list[int]:
    sizes = [hidden_layer_sizes] if isinstance(hidden_layer_sizes, numbers.Integral) else list(hidden_layer_sizes)
    if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {hidden_layer_sizes!r}")
    return [int(s) for s in sizes]


class _NetworkEstimator(BaseEstimator):
    """What the classifier and the regressor share: building and training the network."""

    _output_activation = None

    def _new_network(self, n_in: int, n_out: int, cost=None) -> Network:
        return Network(
            [n_in, *_hidden_sizes(self.hidden_layer_sizes), n_out],
            cost=self.cost if cost is None else cost, activation=self.activation,
            output_activation=self._output_activation,
            init=self.init, dtype=self.dtype, seed=_seed(self.random_state),
        )

    def _train(self, X, Y, epochs: int):
        """``epochs`` passes of gradient descent on (X, Y), continuing ``history_``."""
        self.history_ = self.network_.fit(
            X, Y, epochs=epochs, batch_size=self.batch_size, eta=self.eta, lmbda=self.lmbda, mu=self.mu,
            history=getattr(self, "history_", None),
        )
        self.n_iter_ = self.network_.epochs_trained
        return self

    def _fit_new(self, X, Y, stratify=None):
        """Train the new network for ``epochs`` epochs, with a validation set and early stopping if asked."""
        fraction = self.validation_fraction
        if fraction is None and self.early_stopping:
            fraction = 0.1
        if fraction is None:
            return self._train(X, Y, self.epochs)
        if not (isinstance(fraction, numbers.Real) and 0.0 < fraction < 1.0):
            raise ValueError(f"validation_fraction must lie in (0, 1), got {fraction!r}")
        n_valid = int(np.ceil(fraction * X.shape[0]))
        if n_valid < 1 or n_valid >= X.shape[0]:
            raise ValueError(f"validation_fraction {fraction} leaves no samples to train or to validate "
                             f"({X.shape[0]} samples)")
        if stratify is not None and np.min(np.unique(stratify, return_counts=True)[1]) < 2:
            stratify = None
        X, X_valid, Y, Y_valid = train_test_split(X, Y, test_size=n_valid, random_state=_seed(self.random_state),
                                                  stratify=stratify)
        settings = dict(batch_size=self.batch_size, eta=self.eta, lmbda=self.lmbda, mu=self.mu,
                        eval_data=(X_valid, Y_valid))
        net = self.network_
        if not self.early_stopping:
            self.history_ = net.fit(X, Y, epochs=self.epochs, **settings)
            self.n_iter_ = net.epochs_trained
            return self
        patience = self.n_iter_no_change
        if not (isinstance(patience, numbers.Integral) and not isinstance(patience, bool) and patience >= 1):
            raise ValueError(f"n_iter_no_change must be a whole number >= 1, got {patience!r}")
        history = None
        best_cost, best_params, waited = np.inf, None, 0
        for _ in range(self.epochs):
            history = net.fit(X, Y, epochs=1, history=history, **settings)
            if best_params is None:  # the start counts as the first epoch to beat
                best_cost, self.best_epoch_ = history.eval_cost[0], 0
                best_params = ([w.copy() for w in net.weights], [b.copy() for b in net.biases])
            if history.eval_cost[-1] < best_cost:
                best_cost, self.best_epoch_, waited = history.eval_cost[-1], history.epoch[-1], 0
                best_params = ([w.copy() for w in net.weights], [b.copy() for b in net.biases])
            else:
                waited += 1
                if waited >= patience:
                    break
        if best_params is not None:
            net.weights, net.biases = best_params
        if history is None:  # epochs = 0
            history, self.best_epoch_ = net.fit(X, Y, epochs=0, **settings), 0
        self.history_ = history
        self.n_iter_ = net.epochs_trained
        return self

    # pickling: numpy stores the network's weight views as copies, so the
    # network is stored by its parameters and rebuilt around one storage
    def __getstate__(self):
        state = self.__dict__.copy()
        net = state.pop("network_", None)
        if net is not None:
            state["_network_state"] = {
                "sizes": net.sizes, "cost": net.cost, "activation": net.activation,
                "output_activation": net.output_activation, "dtype": net.dtype.name, "init": net.init,
                "seed": net.seed, "weights": [np.array(w) for w in net.weights],
                "biases": [np.array(b) for b in net.biases],
                "velocities": None if net.velocities is None else [np.array(v) for v in net.velocities],
                "rng": net.rng.bit_generator.state, "epochs_trained": net.epochs_trained,
                "training": dict(net.training),
            }
        return state

    def __setstate__(self, state):
        s = state.pop("_network_state", None)
        self.__dict__.update(state)
        if s is not None:
            net = Network(s["sizes"], cost=s["cost"], activation=s["activation"],
                          output_activation=s["output_activation"], init=s["init"], dtype=s["dtype"],
                          seed=s["seed"])
            net.weights, net.biases = s["weights"], s["biases"]
            net.velocities = s["velocities"]
            net.rng.bit_generator.state = s["rng"]
            net.epochs_trained = s["epochs_trained"]
            net.training = s["training"]
            self.network_ = net


class NetworkClassifier(ClassifierMixin, _NetworkEstimator):
    """A classifier trained with the cost of your choice: y = argmax a^L.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (30,)
        Neurons per hidden layer (``()`` for none).
    cost : {"cross-entropy", "quadratic", "log-likelihood"}, default "cross-entropy"
        The cost C. Sigmoid outputs for the first two (one output neuron for
        two classes), a softmax layer for the log-likelihood.
    activation : {"sigmoid", "tanh", "relu", "identity"}, default "sigmoid"
        Activation of the hidden layers.
    eta : float, default 0.5
        Learning rate.
    batch_size : int, default 10
        Samples m per gradient step.
    epochs : int, default 30
        Passes over the training data in ``fit``.
    lmbda : float, default 0.0
        L2 regularization.
    mu : float, default 0.0
        Momentum in [0, 1).
    init : {"default", "large"}, default "default"
        Initial weights: N(0, 1/n_in), or N(0, 1) as in the blog post's era.
    dtype : {"float64", "float32"} or a NumPy float type, default "float64"
    random_state : int, RandomState or None, default None
        Seeds the initial weights, the shuffling and the validation split.
    validation_fraction : float in (0, 1) or None, default None
        Hold out this fraction of the training data in ``fit`` (stratified
        by class) and evaluate it after every epoch: ``history_.eval_cost``
        and ``history_.eval_accuracy`` are the validation curves.
    early_stopping : bool, default False
        Stop ``fit`` when the validation cost has not fallen for
        ``n_iter_no_change`` epochs, and keep the weights of the epoch with
        the lowest validation cost (``best_epoch_``). Holds out 10% when
        ``validation_fraction`` is None.
    n_iter_no_change : int, default 5
        Patience of the early stopping, in epochs.
    class_weight : None, "balanced" or dict {class: weight}, default None
        Weights of the classes in the cost, mapped onto costlab's weighted
        costs: ``log-likelihood(class_weight=[w_1, ..., w_K])`` (to 6 digits) for the
        log-likelihood (C_x = -w_y ln a_y), and for two classes under the
        cross-entropy ``cross-entropy(pos_weight=w_1 / w_0)`` (the overall
        scale w_0 acts as a factor on eta and is left out). "balanced" is
        scikit-learn's n / (K n_k), from the labels given to ``fit`` (or to
        the first ``partial_fit``). Other costs take no class weights.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    network_ : costlab.Network
        The trained network.
    history_ : costlab.History
        Training cost and accuracy per epoch (entry 0: before training).
    n_iter_ : int
        Epochs trained.
    best_epoch_ : int
        With early stopping: the epoch whose weights the network keeps.
    """

    def __init__(self, hidden_layer_sizes=(30,), *, cost="cross-entropy", activation="sigmoid", eta=0.5,
                 batch_size=10, epochs=30, lmbda=0.0, mu=0.0, init="default", dtype="float64",
                 random_state=None, validation_fraction=None, early_stopping=False, n_iter_no_change=5,
                 class_weight=None):
        self.class_weight = class_weight
        self.hidden_layer_sizes = hidden_layer_sizes
        self.cost = cost
        self.activation = activation
        self.eta = eta
        self.batch_size = batch_size
        self.epochs = epochs
        self.lmbda = lmbda
        self.mu = mu
        self.init = init
        self.dtype = dtype
        self.random_state = random_state
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change

    def _n_outputs(self, n_classes: int) -> int:
        """One sigmoid neuron for two classes under an elementwise output; else one per class."""
        from costlab.costs import get_cost

        return 1 if n_classes == 2 and get_cost(self.cost).default_activation != "softmax" else n_classes

    def _start(self, X, y, classes):
        self._encoder = LabelEncoder().fit(classes)
        self.classes_ = self._encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"a classifier needs at least 2 classes in y, got {len(self.classes_)} class")
        self.network_ = self._new_network(X.shape[1], self._n_outputs(len(self.classes_)), self._weighted_cost(y))
        if hasattr(self, "history_"):
            del self.history_

    def _weighted_cost(self, y):
        """The cost spec with ``class_weight`` folded in (None: the cost as given); ``y`` the labels seen first."""
        if self.class_weight is None:
            return None
        labels = self._labels(y)
        from sklearn.utils.class_weight import compute_class_weight

        from costlab.costs import parse_spec

        K = len(self.classes_)
        if self.class_weight == "balanced":
            w = compute_class_weight("balanced", classes=np.arange(K), y=labels) if len(set(labels)) == K else None
            if w is None:
                raise ValueError("class_weight='balanced' needs every class among the labels it is fitted on")
        elif isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(f"class_weight names classes not in y: {sorted(unknown, key=str)[:5]}")
            w = np.array([float(self.class_weight.get(c, 1.0)) for c in self.classes_.tolist()])
            if not np.all(np.isfinite(w)) or np.any(w <= 0):
                raise ValueError(f"class_weight values must be finite and > 0, got {self.class_weight!r}")
        else:
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {self.class_weight!r}")
        spec = parse_spec(self.cost)
        name, params = spec if spec is not None else (None, {})
        if name == "log-likelihood":
            params = {**params, "class_weight": "[" + ", ".join(f"{v:.6g}" for v in w) + "]"}
        elif name == "cross-entropy" and K == 2:
            params = {**params, "pos_weight": f"{w[1] / w[0]:.6g}"}
        else:
            raise ValueError(f"class_weight needs the log-likelihood cost, or the cross-entropy with two classes; "
                             f"got cost {self.cost!r} with {K} classes")
        return f"{name}(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"

    def _labels(self, y):
        if not np.all(np.isin(y, self.classes_)):
            unknown = np.setdiff1d(np.unique(y), self.classes_)
            raise ValueError(f"y has labels not in classes_: {unknown[:5].tolist()}")
        return self._encoder.transform(y)

    def fit(self, X, y):
        """Train a new network for ``epochs`` epochs; returns self."""
        X, y = _validate_data(self, X, y, dtype=_FLOATS)
        check_classification_targets(y)
        self._start(X, y, y)
        labels = self._labels(y)
        return self._fit_new(X, labels, stratify=labels)

    def partial_fit(self, X, y, classes=None):
        """One epoch of gradient descent on (X, y); ``classes`` is required on the first call."""
        first = not hasattr(self, "network_")
        X, y = _validate_data(self, X, y, dtype=_FLOATS, reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be given in the first call to partial_fit")
            self._start(X, y, np.asarray(classes))
        elif classes is not None and not np.array_equal(np.sort(np.unique(classes)), self.classes_):
            raise ValueError(f"classes {np.unique(classes).tolist()} differ from classes_ {self.classes_.tolist()}")
        return self._train(X, self._labels(y), 1)

    def predict_proba(self, X):
        """Class probabilities: a^L, normalized to sum to 1 for sigmoid outputs."""
        check_is_fitted(self)
        X = _validate_data(self, X, dtype=_FLOATS, reset=False)
        a = self.network_.feedforward(X).astype(np.float64)
        if a.shape[1] == 1:
            return np.hstack([1.0 - a, a])
        total = a.sum(axis=1, keepdims=True)
        return np.divide(a, total, out=np.full_like(a, 1.0 / a.shape[1]), where=total > 0)

    def predict(self, X):
        """The most probable class for each row of ``X``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class NetworkRegressor(RegressorMixin, _NetworkEstimator):
    """A regressor trained with the cost of your choice: y = a^L.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (30,)
        Neurons per hidden layer (``()`` for none).
    cost : str, default "quadratic"
        The cost C. The cross-entropy takes targets in [0, 1] and a sigmoid
        output (``output_activation="sigmoid"``).
    activation : {"sigmoid", "tanh", "relu", "identity"}, default "sigmoid"
        Activation of the hidden layers.
    output_activation : {"identity", "sigmoid", "tanh", "relu"}, default "identity"
        Activation of the output layer; ``"identity"`` fits any real target.
    eta : float, default 0.05
        Learning rate.
    batch_size, epochs, lmbda, mu, init, dtype, random_state
        As for :class:`NetworkClassifier`.
    validation_fraction, early_stopping, n_iter_no_change
        As for :class:`NetworkClassifier` (the split is not stratified).

    Attributes
    ----------
    n_features_in_ : int
    network_ : costlab.Network
        The trained network, one output neuron per target column.
    history_ : costlab.History
        Training cost per epoch (entry 0: before training).
    n_iter_ : int
        Epochs trained.
    best_epoch_ : int
        With early stopping: the epoch whose weights the network keeps.
    """

    def __init__(self, hidden_layer_sizes=(30,), *, cost="quadratic", activation="sigmoid",
                 output_activation="identity", eta=0.05, batch_size=10, epochs=30, lmbda=0.0, mu=0.0,
                 init="default", dtype="float64", random_state=None, validation_fraction=None,
                 early_stopping=False, n_iter_no_change=5):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.cost = cost
        self.activation = activation
        self.output_activation = output_activation
        self.eta = eta
        self.batch_size = batch_size
        self.epochs = epochs
        self.lmbda = lmbda
        self.mu = mu
        self.init = init
        self.dtype = dtype
        self.random_state = random_state
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change

    @property
    def _output_activation(self):
        return self.output_activation

    def _targets(self, y):
        Y = np.asarray(y, dtype=np.float64)
        return Y[:, None] if Y.ndim == 1 else Y

    def fit(self, X, y):
        """Train a new network for ``epochs`` epochs; returns self."""
        X, y = _validate_data(self, X, y, dtype=_FLOATS, y_numeric=True, multi_output=True)
        Y = self._targets(y)
        self._one_output = np.ndim(y) == 1
        self.network_ = self._new_network(X.shape[1], Y.shape[1])
        if hasattr(self, "history_"):
            del self.history_
        return self._fit_new(X, Y)

    def partial_fit(self, X, y):
        """One epoch of gradient descent on (X, y); returns self."""
        first = not hasattr(self, "network_")
        X, y = _validate_data(self, X, y, dtype=_FLOATS, y_numeric=True, multi_output=True, reset=first)
        Y = self._targets(y)
        if first:
            self._one_output = np.ndim(y) == 1
            self.network_ = self._new_network(X.shape[1], Y.shape[1])
        elif Y.shape[1] != self.network_.sizes[-1]:
            raise ValueError(f"y has {Y.shape[1]} outputs, the network {self.network_.sizes[-1]}")
        return self._train(X, Y, 1)

    def predict(self, X):
        """a^L for each row of ``X``: shape (n_samples,) or (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = _validate_data(self, X, dtype=_FLOATS, reset=False)
        a = self.network_.feedforward(X).astype(np.float64)
        return a[:, 0] if self._one_output else a

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
