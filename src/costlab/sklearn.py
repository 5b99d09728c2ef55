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

``fit`` takes ``sample_weight`` (each sample's cost and gradient scaled by
its weight, each step divided by its mini-batch's total weight, as
``MLPClassifier`` does) and the classifier ``class_weight`` (per-sample
weights, scikit-learn's meaning, with any cost). The names of
``MLPClassifier`` work too: ``activation="logistic"``, ``loss_curve_``,
``validation_scores_``, ``best_loss_``, ``coefs_``, ``intercepts_``,
``predict_log_proba``, ``warm_start``, ``tol`` with ``n_iter_no_change``,
``verbose``.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d

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


class _Stop(Exception):
    """Raised by the per-epoch callback to end training (tol and n_iter_no_change)."""


def _hidden_sizes(hidden_layer_sizes) -> list[int]:
    sizes = [hidden_layer_sizes] if isinstance(hidden_layer_sizes, numbers.Integral) else list(hidden_layer_sizes)
    if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {hidden_layer_sizes!r}")
    return [int(s) for s in sizes]


class _NetworkEstimator(BaseEstimator):
    """What the classifier and the regressor share: building and training the network, MLPClassifier's names."""

    _output_activation = None

    def _new_network(self, n_in: int, n_out: int, cost=None) -> Network:
        return Network(
            [n_in, *_hidden_sizes(self.hidden_layer_sizes), n_out],
            cost=self.cost if cost is None else cost, activation=self.activation,
            output_activation=self._output_activation,
            init=self.init, dtype=self.dtype, seed=_seed(self.random_state),
        )

    def _sample_weight(self, sample_weight, X):
        """scikit-learn's checks of ``sample_weight`` (shape, >= 0), as an array, or None."""
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)

    def _check_stopping(self):
        """(tol, patience) checked; tol None (train every epoch) unless early_stopping, which uses 1e-4."""
        tol = self.tol
        if tol is None and self.early_stopping:
            tol = 1e-4
        if tol is not None and not (isinstance(tol, numbers.Real) and not isinstance(tol, bool) and tol >= 0):
            raise ValueError(f"tol must be None or a number >= 0, got {tol!r}")
        patience = self.n_iter_no_change
        if not (isinstance(patience, numbers.Integral) and not isinstance(patience, bool) and patience >= 1):
            raise ValueError(f"n_iter_no_change must be a whole number >= 1, got {patience!r}")
        return tol, patience

    def _train(self, X, Y, epochs: int, sample_weight=None, valid=None, eval_data=None, stop=True):
        """``epochs`` epochs of gradient descent on (X, Y), continuing ``history_`` and ``loss_curve_``.

        After each epoch ``loss_curve_`` gets the training cost (the running
        record of :meth:`costlab.Network.fit`, weighted by ``sample_weight``);
        with ``valid`` = (X, y, sample_weight) held out, ``validation_scores_``
        gets :meth:`score` on it. With ``stop``, training ends as
        MLPClassifier's does when the figure watched (the validation score
        with early stopping, else the training loss) has not improved by
        ``tol`` for more than ``n_iter_no_change`` epochs in a row; early
        stopping then keeps the weights of the best validation score.
        """
        tol, patience = self._check_stopping()
        early = stop and self.early_stopping and valid is not None
        stopping = stop and tol is not None
        net = self.network_
        if not hasattr(self, "loss_curve_"):
            self.loss_curve_ = []
        if early:
            self.best_loss_, self.best_validation_score_ = None, -np.inf
        elif getattr(self, "best_loss_", None) is None:
            self.best_loss_ = np.inf
        if valid is not None:
            self.validation_scores_ = []
        if stop:
            self._no_improvement_count = 0
        best = None

        def each_epoch(network, epoch, history):
            nonlocal best
            self.history_ = history
            if len(history) == 1:
                return  # the entry before training
            loss = float(history.train_cost[-1])
            self.loss_curve_.append(loss)
            if self.verbose:
                print(f"Iteration {epoch}, loss = {loss:.8f}")
            if valid is not None:
                score = float(self.score(*valid))
                self.validation_scores_.append(score)
                if self.verbose:
                    print(f"Validation score: {score:f}")
            if early:
                if score < self.best_validation_score_ + tol:
                    self._no_improvement_count += 1
                else:
                    self._no_improvement_count = 0
                if score > self.best_validation_score_:
                    self.best_validation_score_, self.best_epoch_ = score, epoch
                    best = ([w.copy() for w in network.weights], [b.copy() for b in network.biases])
            else:
                if stopping:
                    if loss > self.best_loss_ - tol:
                        self._no_improvement_count += 1
                    else:
                        self._no_improvement_count = 0
                self.best_loss_ = min(self.best_loss_, loss)
            if stopping and self._no_improvement_count > patience:
                if self.verbose:
                    what = "Validation score" if early else "Training loss"
                    print(f"{what} did not improve more than tol={tol:f} for {patience} consecutive epochs. "
                          "Stopping.")
                raise _Stop

        try:
            self.history_ = net.fit(
                X, Y, epochs=epochs, batch_size=self.batch_size, eta=self.eta, lmbda=self.lmbda, mu=self.mu,
                eval_data=eval_data, history=getattr(self, "history_", None), sample_weight=sample_weight,
                on_epoch=each_epoch,
            )
        except _Stop:
            pass
        if early and best is not None:
            net.weights, net.biases = best
        self.n_iter_ = net.epochs_trained
        return self

    def _fit(self, X, Y, sample_weight, stratify=None):
        """Train for ``epochs`` epochs, holding out a validation set if asked (``validation_fraction``)."""
        fraction = self.validation_fraction
        if fraction is None and self.early_stopping:
            fraction = 0.1
        if fraction is None:
            self.validation_scores_ = None
            return self._train(X, Y, self.epochs, sample_weight)
        if not (isinstance(fraction, numbers.Real) and 0.0 < fraction < 1.0):
            raise ValueError(f"validation_fraction must lie in (0, 1), got {fraction!r}")
        n_valid = int(np.ceil(fraction * X.shape[0]))
        if n_valid < 1 or n_valid >= X.shape[0]:
            raise ValueError(f"validation_fraction {fraction} leaves no samples to train or to validate "
                             f"({X.shape[0]} samples)")
        if stratify is not None and np.min(np.unique(stratify, return_counts=True)[1]) < 2:
            stratify = None
        train, held = train_test_split(np.arange(X.shape[0]), test_size=n_valid,
                                       random_state=_seed(self.random_state), stratify=stratify)
        sw = None if sample_weight is None else sample_weight[train]
        valid = (X[held], self._outputs_for_score(Y[held]), None if sample_weight is None else sample_weight[held])
        return self._train(X[train], Y[train], self.epochs, sw, valid=valid, eval_data=(X[held], Y[held]))

    def _outputs_for_score(self, Y):
        """The targets the network trains on, as :meth:`score` takes them (the class labels for a classifier)."""
        return Y

    def _warm(self):
        """Whether ``fit`` continues the fitted network (``warm_start``) instead of starting a new one."""
        return bool(self.warm_start) and hasattr(self, "network_")

    def _forget(self):
        """Drop what a previous fit learned, before a new network trains."""
        for name in ("history_", "loss_curve_", "best_loss_", "_no_improvement_count", "best_epoch_",
                     "best_validation_score_", "validation_scores_"):
            self.__dict__.pop(name, None)

    # -- MLPClassifier's names for the parameters ------------------------------
    @property
    def coefs_(self):
        """The weights as MLPClassifier lays them out: ``coefs_[l]`` of shape (n_in, n_out), views of w^l.T."""
        check_is_fitted(self, "network_")
        return [w.T for w in self.network_.weights]

    @coefs_.setter
    def coefs_(self, coefs):
        check_is_fitted(self, "network_")
        self.network_.weights = [np.asarray(c).T for c in coefs]

    @property
    def intercepts_(self):
        """The biases: ``intercepts_[l]`` of shape (n_out,), views of b^l."""
        check_is_fitted(self, "network_")
        return list(self.network_.biases)

    @intercepts_.setter
    def intercepts_(self, intercepts):
        check_is_fitted(self, "network_")
        self.network_.biases = [np.asarray(b) for b in intercepts]

    @property
    def n_layers_(self):
        """Layers, input and output included (MLPClassifier's count)."""
        check_is_fitted(self, "network_")
        return len(self.network_.sizes)

    @property
    def n_outputs_(self):
        """Output neurons."""
        check_is_fitted(self, "network_")
        return self.network_.sizes[-1]

    @property
    def out_activation_(self):
        """The output layer's activation, in MLPClassifier's names ("logistic" for the sigmoid)."""
        check_is_fitted(self, "network_")
        name = self.network_.output_activation
        return "logistic" if name == "sigmoid" else name

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
    """A classifier trained with the cost of your choice: y = argmax a^L (multi-label: y_j = [a_j > 1/2]).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (30,)
        Neurons per hidden layer (``()`` for none).
    cost : str, default "cross-entropy"
        The cost C (a spec, see :func:`costlab.costs.get_cost`). Sigmoid
        outputs for the cross-entropy and the quadratic cost (one output
        neuron for two classes), a softmax layer for the log-likelihood.
    activation : {"sigmoid", "logistic", "tanh", "relu", "identity"}, default "sigmoid"
        Activation of the hidden layers ("logistic" is MLPClassifier's name of the sigmoid).
    eta : float, default 0.5
        Learning rate.
    batch_size : int, default 10
        Samples m per gradient step.
    epochs : int, default 30
        Passes over the training data in ``fit`` (MLPClassifier's ``max_iter``).
    lmbda : float, default 0.0
        L2 regularization.
    mu : float, default 0.0
        Momentum in [0, 1).
    init : {"default", "large"}, default "default"
        Initial weights: N(0, 1/n_in), or N(0, 1) as in the blog post's era.
    dtype : {"float64", "float32"}, default "float64"
    random_state : int, RandomState or None, default None
        Seeds the initial weights, the shuffling and the validation split.
    validation_fraction : float in (0, 1) or None, default None
        Hold out this fraction of the training data in ``fit`` (stratified
        by class) and evaluate it after every epoch: ``validation_scores_``
        (accuracy), ``history_.eval_cost`` and ``history_.eval_accuracy``.
    early_stopping : bool, default False
        Stop ``fit`` as MLPClassifier does when the validation score has not
        improved by ``tol`` for more than ``n_iter_no_change`` epochs, and keep
        the weights of the best one (``best_epoch_``). Holds out 10% when
        ``validation_fraction`` is None.
    tol : float or None, default None
        Without early stopping: stop when the training loss has not fallen
        by ``tol`` for more than ``n_iter_no_change`` epochs (MLPClassifier's
        rule; its default is 1e-4). None trains every epoch asked for, since
        under a cost that carries sigma'(z) the loss can stall for many
        epochs before it falls (the blog post's slowdown). Early stopping
        uses 1e-4 when it is None.
    n_iter_no_change : int, default 10
        The epochs without improvement that ``tol`` allows.
    warm_start : bool, default False
        ``fit`` continues the network fitted before (another ``epochs``
        epochs) instead of starting a new one.
    verbose : bool, default False
        Print the loss after every epoch, as MLPClassifier does.
    class_weight : None, "balanced" or dict {class: weight}, default None
        Weights of the classes, scikit-learn's meaning: each sample's weight
        is multiplied by its class's, with any cost and any number of
        classes. "balanced" is n / (K n_k), from the labels given to ``fit``
        (or to the first ``partial_fit``). Weights of a cost's own
        (``cross-entropy(pos_weight=3)``, ``log-likelihood(class_weight=[...])``)
        stay available as cost specs.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The classes, or ``arange(n_labels)`` for a multi-label indicator y.
    n_features_in_ : int
    network_ : costlab.Network
        The trained network.
    history_ : costlab.History
        Training cost and accuracy per epoch (entry 0: before training).
    loss_curve_ : list of float
        The training cost of every epoch (``history_.train_cost[1:]``).
    best_loss_ : float or None
        The lowest of ``loss_curve_`` (None with early stopping).
    validation_scores_ : list of float or None
        The accuracy on the held-out set after every epoch (None without one).
    best_validation_score_ : float
        With early stopping: the best of ``validation_scores_``.
    coefs_, intercepts_ : lists of ndarray
        Weights (n_in, n_out) and biases, as MLPClassifier lays them out.
    n_iter_ : int
        Epochs trained.
    best_epoch_ : int
        With early stopping: the epoch whose weights the network keeps.
    """

    def __init__(self, hidden_layer_sizes=(30,), *, cost="cross-entropy", activation="sigmoid", eta=0.5,
                 batch_size=10, epochs=30, lmbda=0.0, mu=0.0, init="default", dtype="float64",
                 random_state=None, validation_fraction=None, early_stopping=False, tol=None, n_iter_no_change=10,
                 warm_start=False, verbose=False, class_weight=None):
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
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.verbose = verbose

    def _n_outputs(self, n_classes: int) -> int:
        """One sigmoid neuron for two classes under an elementwise output; else one per class (or label)."""
        if self._multilabel:
            return n_classes
        from costlab.costs import get_cost

        return 1 if n_classes == 2 and get_cost(self.cost).default_activation != "softmax" else n_classes

    def _check_y(self, y):
        """y as class labels (n,), or as a multi-label indicator matrix (n, k) of 0 and 1; sets ``_multilabel``."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim != 2:
            check_classification_targets(y)
            return y, False
        if y.dtype.kind not in "biuf" or not np.all(np.isin(y, (0, 1))):
            odd = next((v for v in np.unique(y.astype(object).ravel()).tolist() if v not in (0, 1)), None) \
                if y.dtype.kind in "biuf" else y.dtype
            raise ValueError(f"y of shape (n, k) is a multi-label indicator matrix and may hold only 0 and 1, "
                             f"got {odd!r}")
        from costlab.costs import get_cost

        if get_cost(self.cost).default_activation == "softmax":
            raise ValueError(f"cost {self.cost!r} cannot learn a multi-label y: its softmax output makes the labels "
                             "share one unit of probability, one class per sample; use a cost with one sigmoid "
                             "per label, such as cross-entropy")
        if self.class_weight is not None:
            raise ValueError("class_weight weighs one class per sample; for a multi-label y give sample_weight, "
                             "or a cost spec such as cross-entropy(pos_weight=3)")
        return y.astype(np.int64), True

    def _start(self, X, y, classes, sample_weight=None):
        self._multilabel = y.ndim == 2
        if self._multilabel:
            self.classes_ = np.arange(y.shape[1])
            self._encoder = None
        else:
            self._encoder = LabelEncoder().fit(classes)
            self.classes_ = self._encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError(f"a classifier needs at least 2 classes in y, got {len(self.classes_)} class")
        self._forget()
        self._class_weights = self._weights_of_classes(y, sample_weight)
        self.network_ = self._new_network(X.shape[1], self._n_outputs(len(self.classes_)))

    def _weights_of_classes(self, y, sample_weight):
        """One weight per class from ``class_weight``, or None; ``y`` the labels seen first."""
        if self.class_weight is None:
            return None
        K = len(self.classes_)
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            labels = self._labels(y)
            if len(set(labels.tolist())) != K:
                raise ValueError("class_weight='balanced' needs every class among the labels it is fitted on")
            return compute_class_weight("balanced", classes=np.arange(K), y=labels, sample_weight=sample_weight)
        if not isinstance(self.class_weight, dict):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {self.class_weight!r}")
        unknown = set(self.class_weight) - set(self.classes_.tolist())
        if unknown:
            raise ValueError(f"class_weight names classes not in y: {sorted(unknown, key=str)[:5]}")
        w = np.array([self.class_weight.get(c, 1.0) for c in self.classes_.tolist()], dtype=object)
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in w):
            raise ValueError(f"class_weight values must be numbers, got {self.class_weight!r}")
        w = w.astype(np.float64)
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"class_weight values must be finite and >= 0, got {self.class_weight!r}")
        return w

    def _weights(self, labels, sample_weight):
        """Each sample's weight: its class's weight times its own (None when both are None)."""
        if self._class_weights is None:
            return sample_weight
        w = self._class_weights[labels]
        return w if sample_weight is None else w * sample_weight

    def _labels(self, y):
        """Class labels as indices 0..K-1 (an indicator matrix as it is)."""
        if self._multilabel:
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise ValueError(f"y must be an indicator matrix of {len(self.classes_)} labels, got shape {y.shape}")
            return y
        if y.ndim != 1:
            raise ValueError(f"y must be class labels of shape (n,), as in the first fit, got shape {y.shape}")
        if not np.all(np.isin(y, self.classes_)):
            unknown = np.setdiff1d(np.unique(y), self.classes_)
            raise ValueError(f"y has labels not in classes_: {unknown[:5].tolist()}")
        return self._encoder.transform(y)

    def _outputs_for_score(self, Y):
        return Y if self._multilabel else self.classes_[Y]

    def fit(self, X, y, sample_weight=None):
        """Train a new network for ``epochs`` epochs (with ``warm_start``, continue the fitted one); returns self.

        ``sample_weight`` scales each sample's cost and gradient, each step
        being the weighted mean over its mini-batch (MLPClassifier's
        normalisation); ``class_weight`` multiplies it.
        """
        warm = self._warm()
        X, y = _validate_data(self, X, y, dtype=_FLOATS, multi_output=True, reset=not warm)
        y, multilabel = self._check_y(y)
        sample_weight = self._sample_weight(sample_weight, X)
        if warm:
            if multilabel != self._multilabel or (not multilabel and not np.array_equal(np.unique(y), self.classes_)) \
                    or (multilabel and y.shape[1] != len(self.classes_)):
                seen = np.unique(y).tolist() if not multilabel else f"{y.shape[1]} labels"
                raise ValueError(f"warm_start can only be used where y has the same classes as in the previous "
                                 f"call to fit: {self.classes_.tolist()} then {seen}")
        else:
            self._start(X, y, y, sample_weight)
        labels = self._labels(y)
        return self._fit(X, labels, self._weights(labels, sample_weight),
                         stratify=None if multilabel else labels)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of gradient descent on (X, y); ``classes`` is required on the first call (not for an indicator y)."""
        first = not hasattr(self, "network_")
        X, y = _validate_data(self, X, y, dtype=_FLOATS, multi_output=True, reset=first)
        y, multilabel = self._check_y(y)
        sample_weight = self._sample_weight(sample_weight, X)
        if first:
            if classes is None and not multilabel:
                raise ValueError("classes must be given in the first call to partial_fit")
            self._start(X, y, np.asarray(classes) if classes is not None else None, sample_weight)
        elif classes is not None and not np.array_equal(np.sort(np.unique(classes)), self.classes_):
            raise ValueError(f"classes {np.unique(classes).tolist()} differ from classes_ {self.classes_.tolist()}")
        labels = self._labels(y)
        return self._train(X, labels, 1, self._weights(labels, sample_weight), stop=False)

    def predict_proba(self, X):
        """Class probabilities: a^L, normalized to sum to 1 for sigmoid outputs (multi-label: a_j per label)."""
        check_is_fitted(self)
        X = _validate_data(self, X, dtype=_FLOATS, reset=False)
        a = self.network_.feedforward(X).astype(np.float64)
        if self._multilabel:
            return a
        if a.shape[1] == 1:
            return np.hstack([1.0 - a, a])
        total = a.sum(axis=1, keepdims=True)
        return np.divide(a, total, out=np.full_like(a, 1.0 / a.shape[1]), where=total > 0)

    def predict_log_proba(self, X):
        """ln of :meth:`predict_proba` (-inf where a probability is 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class for each row of ``X``; for a multi-label y, the indicator matrix [a_j > 1/2]."""
        proba = self.predict_proba(X)
        if self._multilabel:
            return (proba > 0.5).astype(np.int64)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
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
    activation : {"sigmoid", "logistic", "tanh", "relu", "identity"}, default "sigmoid"
        Activation of the hidden layers.
    output_activation : {"identity", "sigmoid", "tanh", "relu"}, default "identity"
        Activation of the output layer; ``"identity"`` fits any real target.
    eta : float, default 0.05
        Learning rate.
    batch_size, epochs, lmbda, mu, init, dtype, random_state
        As for :class:`NetworkClassifier`.
    validation_fraction, early_stopping, tol, n_iter_no_change, warm_start, verbose
        As for :class:`NetworkClassifier` (the split is not stratified; the
        validation score is R^2).

    Attributes
    ----------
    n_features_in_ : int
    network_ : costlab.Network
        The trained network, one output neuron per target column.
    history_ : costlab.History
        Training cost per epoch (entry 0: before training).
    loss_curve_, best_loss_, validation_scores_, best_validation_score_, coefs_, intercepts_
        As for :class:`NetworkClassifier`.
    n_iter_ : int
        Epochs trained.
    best_epoch_ : int
        With early stopping: the epoch whose weights the network keeps.
    """

    def __init__(self, hidden_layer_sizes=(30,), *, cost="quadratic", activation="sigmoid",
                 output_activation="identity", eta=0.05, batch_size=10, epochs=30, lmbda=0.0, mu=0.0,
                 init="default", dtype="float64", random_state=None, validation_fraction=None,
                 early_stopping=False, tol=None, n_iter_no_change=10, warm_start=False, verbose=False):
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
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.verbose = verbose

    @property
    def _output_activation(self):
        return self.output_activation

    def _targets(self, y):
        Y = np.asarray(y, dtype=np.float64)
        return Y[:, None] if Y.ndim == 1 else Y

    def _outputs_for_score(self, Y):
        return Y[:, 0] if self._one_output else Y

    def fit(self, X, y, sample_weight=None):
        """Train a new network for ``epochs`` epochs (with ``warm_start``, continue the fitted one); returns self."""
        warm = self._warm()
        X, y = _validate_data(self, X, y, dtype=_FLOATS, y_numeric=True, multi_output=True, reset=not warm)
        Y = self._targets(y)
        sample_weight = self._sample_weight(sample_weight, X)
        if warm and Y.shape[1] != self.network_.sizes[-1]:
            raise ValueError(f"y has {Y.shape[1]} outputs, the network fitted before {self.network_.sizes[-1]}")
        if not warm:
            self._one_output = np.ndim(y) == 1
            self._forget()
            self.network_ = self._new_network(X.shape[1], Y.shape[1])
        return self._fit(X, Y, sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of gradient descent on (X, y); returns self."""
        first = not hasattr(self, "network_")
        X, y = _validate_data(self, X, y, dtype=_FLOATS, y_numeric=True, multi_output=True, reset=first)
        Y = self._targets(y)
        sample_weight = self._sample_weight(sample_weight, X)
        if first:
            self._one_output = np.ndim(y) == 1
            self.network_ = self._new_network(X.shape[1], Y.shape[1])
        elif Y.shape[1] != self.network_.sizes[-1]:
            raise ValueError(f"y has {Y.shape[1]} outputs, the network {self.network_.sizes[-1]}")
        return self._train(X, Y, 1, sample_weight, stop=False)

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
