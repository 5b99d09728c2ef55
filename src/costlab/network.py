"""A feed-forward network: its layers, its parameters, and fit / predict.

One class serves every network costlab trains, from the blog post's single
neuron (layer sizes ``[1, 1]``) to ``[784, 30, 10]`` on images. Samples are
rows; ``weights[l]`` has shape ``(n_out, n_in)`` so that ``w_jk`` connects
neuron ``k`` of layer ``l`` to neuron ``j`` of layer ``l + 1``, as in the book.
The equations are in :mod:`costlab.engine`, the training loop in
:mod:`costlab.training`; this module holds the network's state and checks
what users hand it. It never prints, reads or writes files, or touches the
global random generator (each network has its own seeded generator).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from costlab import engine, fast, hooks
from costlab.activations import get_activation
from costlab.costs import get_cost
from costlab.history import History
from costlab.training import Members, TrainingDiverged, as_sample_weight, as_targets, train

__all__ = [
    "History",
    "INITIALIZERS",
    "Network",
    "TrainingDiverged",
    "backprop",
    "feedforward",
    "initial_parameters",
]

# the book's functions, for those who look for them here
feedforward, backprop = engine.feedforward, engine.backprop


# --------------------------------------------------------------------------- #
# Initial weights
# --------------------------------------------------------------------------- #

def _init_default(rng, n_out, n_in, dtype):
    # w ~ N(0, 1/n_in): the weighted input z starts with unit variance
    return rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), rng.standard_normal(n_out)


def _init_large(rng, n_out, n_in, dtype):
    # w ~ N(0, 1), b ~ N(0, 1): the book's era; hidden sigmoids start saturated
    return rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)


INITIALIZERS: dict[str, Callable] = {"default": _init_default, "large": _init_large}


def initial_parameters(sizes, init="default", rng=None, dtype=np.float64):
    """Gaussian initial weights and biases for layer sizes ``sizes``.

    ``"default"``: w ~ N(0, 1/n_in), b ~ N(0, 1). ``"large"``: w, b ~ N(0, 1).
    Draws layer by layer, weights before biases, from ``rng``.
    """
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}; choose one of: {', '.join(INITIALIZERS)}")
    rng = np.random.default_rng(rng)
    weights, biases = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w, b = INITIALIZERS[init](rng, n_out, n_in, dtype)
        weights.append(np.ascontiguousarray(w, dtype=dtype))
        biases.append(np.ascontiguousarray(b, dtype=dtype))
    return weights, biases


#: Most layers (sizes, the input included) a network has: what trains, saves and loads.
MAX_LAYERS = 64
#: The floating-point types a network computes in.
DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def as_dtype(dtype) -> np.dtype:
    """``dtype`` as a NumPy dtype, float64 or float32, read as NumPy reads it.

    ``np.float32``, ``"float32"``, ``"f4"``, ``np.dtype("float32")`` and
    ``float`` (float64) are all accepted; any other type raises ValueError.
    """
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        raise ValueError(f"dtype must be float64 or float32, got {dtype!r}") from None
    if dt not in DTYPES:
        raise ValueError(f"dtype must be float64 or float32, got {dtype!r}")
    return dt


class Parameters(list):
    """Views of a network's weights (or biases), one array per layer.

    ``net.weights[l] = array`` and ``net.weights = [...]`` check each array's
    shape and copy it, converted to the network's dtype, into the network's
    own storage, so that training never meets an integer or wrongly shaped
    array. In-place changes (``net.weights[0] *= 2``) act on the network.
    """

    def __init__(self, views, name):
        super().__init__(views)
        self._name = name

    def __setitem__(self, l, a):
        if isinstance(l, slice):
            raise TypeError(f"assign {self._name} one array at a time, or the whole list")
        view = list.__getitem__(self, l)
        a = np.asarray(a)
        if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            raise ValueError(f"{self._name}[{l}] must hold real numbers, got dtype {a.dtype}")
        if a.shape != view.shape:
            raise ValueError(f"{self._name}[{l}] must have shape {view.shape}, got {a.shape}")
        view[...] = a

    def assign(self, arrays):
        arrays = list(arrays)
        if len(arrays) != len(self):
            raise ValueError(f"{self._name} must be a list of {len(self)} arrays, got {len(arrays)}")
        for l, a in enumerate(arrays):
            self[l] = a


#: The numpydoc entries of fit's training parameters, filled into :meth:`Network.fit`'s docstring.
_TRAINING_PARAMETERS = """        epochs, batch_size : int
            Passes over the data, and samples m per gradient step.
        eta : float
            Learning rate.
        lmbda : float
            L2 regularization: weights decay by (1 - eta lmbda / n) each step.
        mu : float
            Momentum coefficient in [0, 1).
        eval_data : (X_eval, y_eval), optional
            Evaluated after every epoch.
        shuffle : bool
            Shuffle the samples each epoch with the network's seeded generator.
        monitor : {"running", "exact", "off"}
            How the training cost and accuracy are recorded each epoch:
            ``"running"`` (the default), the mean over the epoch's mini-batches
            of what each batch's forward pass computes before its update (no
            extra pass over the data; entry 0, before training, is None);
            ``"exact"`` (or True), the whole training set evaluated before
            training and after every epoch; ``"off"`` (or False), not at all.
        on_epoch : callable, optional
            ``on_epoch(network, epoch, history)`` after every epoch (and once
            with epoch 0 before training when the history is new).
        on_batch : callable, optional
            ``on_batch(batches_done, n_batches)`` after every few gradient steps.
        history : History, optional
            A history to continue (when resuming).
        layers : bool
            Record, per layer with weights and per epoch, the speed of learning
            ||nabla_b^l|| and the fractions of saturated and dead units in
            ``history.layers`` (see :class:`costlab.fast.LayerRecord`), and warn
            (:class:`costlab.LayerWarning`) as soon as a hidden layer is entirely
            dead or saturated, or the output is slowed down by sigma'(z).
        sample_weight : ndarray, shape (n,), optional
            A weight w_x >= 0 per sample (zeros allowed, not all). Each sample's
            cost and gradient are scaled by its weight, and each step divides
            by the mini-batch's total weight instead of m, as scikit-learn's
            ``MLPClassifier`` does: ``w -> w - (eta / sum_x w_x) sum_x w_x
            nabla C_x``. The recorded training cost and accuracy are weighted
            means, ``sum_x w_x C_x / sum_x w_x``; the L2 term keeps n."""


def _parameters(name, doc):
    """A network's :class:`Parameters` as a property: ``net.weights = [...]`` copies the arrays in."""
    return property(lambda self: getattr(self, name), lambda self, arrays: getattr(self, name).assign(arrays), doc=doc)


def _fills(**blocks):
    """Fill each ``{name}`` of a function's docstring with a block of text kept apart from it."""
    def fill(function):
        function.__doc__ = function.__doc__.format(**blocks)
        return function
    return fill


class Network:
    """A feed-forward network trained by mini-batch gradient descent.

    Parameters
    ----------
    sizes : sequence of int
        Neurons per layer, input first: ``[1, 1]`` is the blog post's single
        neuron, ``[784, 30, 10]`` a digit classifier.
    cost : str
        The cost function C, as a spec: ``"quadratic"``, ``"cross-entropy"``,
        ``"log-likelihood"``, ``"focal"``, one of them with parameters
        (``"cross-entropy(pos_weight=3)"``, ``"focal(gamma=2, alpha=0.25)"``,
        ``"log-likelihood(class_weight=balanced, smoothing=0.1)"``), or a
        formula in a and y (``"(a - y)**4/4"``); see :func:`costlab.costs.get_cost`.
    activation : {"sigmoid", "tanh", "relu", "identity"} or a sequence of them
        Activation of the hidden layers: one for all, or one per hidden layer
        (``["tanh", "relu"]`` for sizes ``[2, 4, 4, 1]``).
    output_activation : str, optional
        Activation of the output layer; by default the one the cost is made
        for (sigmoid for quadratic and cross-entropy, softmax for
        log-likelihood).
    init : {"default", "large"}
        ``"default"``: w ~ N(0, 1/n_in), b ~ N(0, 1); ``"large"``: w, b ~ N(0, 1).
    dtype : data-type, default float64
        Floating-point type of the parameters and of the arithmetic:
        float64 or float32, given as NumPy takes a dtype (``np.float32``,
        ``"float32"``, ``np.dtype("float32")``, ``float``).
    seed : int or None
        Seed of the generator used for the initial weights and for shuffling.

    Attributes
    ----------
    weights : list of ndarray
        ``weights[l]`` of shape ``(sizes[l + 1], sizes[l])``.
    biases : list of ndarray
        ``biases[l]`` of shape ``(sizes[l + 1],)``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        cost: str = "cross-entropy",
        activation: str | Sequence[str] = "sigmoid",
        output_activation: str | None = None,
        init: str = "default",
        dtype="float64",
        seed: int | None = None,
    ):
        sizes = list(sizes)
        if len(sizes) < 2 or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in sizes
        ):
            raise ValueError(f"sizes must be two or more positive integers, got {sizes!r}")
        if len(sizes) > MAX_LAYERS:
            raise ValueError(f"sizes may hold at most {MAX_LAYERS} layers (what saved models hold), "
                             f"got {len(sizes)}")
        self.sizes = [int(s) for s in sizes]
        self._cost = get_cost(cost)
        names = [activation] if isinstance(activation, str) else list(activation)
        if not isinstance(activation, str) and len(names) != len(self.sizes) - 2:
            raise ValueError(f"activation: give one name, or one per hidden layer ({len(self.sizes) - 2}); "
                             f"got {len(names)}")
        hidden = [get_activation(name) for name in names]
        for act in hidden:
            if not act.elementwise:
                raise ValueError(f"activation {act.name!r} can only be used for the output layer")
        # one Activation when every hidden layer has the same (the compiled kernel's case), else one per layer
        self._hidden = hidden[0] if len({a.name for a in hidden}) <= 1 and hidden else tuple(hidden)
        if not hidden:  # no hidden layer: the name is kept, and never used
            self._hidden = get_activation(names[0]) if names else get_activation("sigmoid")
        output_activation = output_activation or self._cost.default_activation
        self._output = get_activation(output_activation)
        if self._output.name not in self._cost.activations:
            raise ValueError(
                f"cost {cost!r} needs an output activation of: {', '.join(self._cost.activations)}"
                f" (got {output_activation!r})"
            )
        if not self._output.elementwise and self.sizes[-1] < 2:
            raise ValueError(f"a {output_activation} output layer needs at least 2 neurons, got {self.sizes[-1]}")
        self.dtype = as_dtype(dtype)
        self.init = init
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        # [w | b] of each layer; weights and biases are views of them
        self._wb = [np.zeros((n_out, n_in + 1), dtype=self.dtype) for n_in, n_out in zip(self.sizes, self.sizes[1:])]
        self._weights = Parameters([wb[:, :-1] for wb in self._wb], "weights")
        self._biases = Parameters([wb[:, -1] for wb in self._wb], "biases")
        self.weights, self.biases = initial_parameters(self.sizes, init, self.rng, self.dtype.type)
        #: momentum of [w | b] per layer, or None
        self.velocities = None
        self.epochs_trained = 0
        self.training: dict = {}

    # -- parameters -------------------------------------------------------------
    weights = _parameters("_weights", "weights[l] of shape (sizes[l + 1], sizes[l]): w_jk joins neuron k to neuron j.")
    biases = _parameters("_biases", "biases[l] of shape (sizes[l + 1],).")

    # -- configuration --------------------------------------------------------
    @property
    def cost(self) -> str:
        return self._cost.name

    @property
    def activation(self) -> str | list[str]:
        """The hidden layers' activation: one name, or a list of one per hidden layer when they differ."""
        return [a.name for a in self._hidden] if isinstance(self._hidden, tuple) else self._hidden.name

    @property
    def output_activation(self) -> str:
        return self._output.name

    def __repr__(self):
        return (
            f"Network({self.sizes}, cost={self.cost!r}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}, dtype={self.dtype.name!r})"
        )

    # -- inputs ---------------------------------------------------------------
    def _check_X(self, X, name="X", finite=True):
        """X as an array of n rows of sizes[0] numbers; with ``finite``, none NaN or infinite."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(
                f"{name} must have shape (n_samples, {self.sizes[0]}), got {X.shape}"
            )
        if X.dtype != np.uint8:
            if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
                raise ValueError(f"{name} must be numeric, got dtype {X.dtype}")
            if finite and not fast.all_finite(X):
                raise ValueError(f"{name} contains NaN or infinite values")
        return X

    def _targets(self, X, y, name="y"):
        """Targets as an (n, k) array of the network's dtype: one-hot rows for class labels."""
        return as_targets(y, X.shape[0], self.sizes[-1], self.dtype, costs=[self._cost], name=name)

    # -- the network as a function --------------------------------------------
    def feedforward(self, X):
        """a^L, the output for each row of ``X``: shape (n_samples, sizes[-1])."""
        return fast.output(self._wb, self._check_X(X), self._hidden, self._output)

    def predict(self, X):
        """Class labels: argmax of a^L, or [a > 0.5] for a single output neuron."""
        a = self.feedforward(X)
        if a.shape[1] == 1:
            return (a[:, 0] > 0.5).astype(np.int64)
        return np.argmax(a, axis=1)

    def _evaluate(self, X, Y, lmbda=0.0, sample_weight=None):
        """(C, accuracy) over all rows, evaluated in chunks."""
        C, accuracy = fast.evaluate(self._wb, X, Y, self._hidden, self._output, self._cost, lmbda, sample_weight)
        return float(C), float(accuracy)

    def total_cost(self, X, y, lmbda=0.0, sample_weight=None):
        """C = 1/n sum_x C_x + lmbda/(2n) sum_w w^2 over the rows of ``X``.

        With ``sample_weight``, 1/n sum_x C_x becomes sum_x w_x C_x / sum_x w_x.
        """
        X = self._check_X(X)
        return self._evaluate(X, self._targets(X, y), lmbda, as_sample_weight(sample_weight, len(X), self.dtype))[0]

    def accuracy(self, X, y, sample_weight=None):
        """Fraction of rows whose predicted class equals the label (or target's argmax); weighted with ``sample_weight``.

        A multi-label indicator ``y`` (as in :meth:`fit`): the subset accuracy, every output right.
        """
        X = self._check_X(X)
        return self._evaluate(X, self._targets(X, y), sample_weight=as_sample_weight(sample_weight, len(X), self.dtype))[1]

    # -- training -------------------------------------------------------------
    @_fills(training_parameters=_TRAINING_PARAMETERS)
    def fit(
        self,
        X,
        y,
        *,
        epochs: int = 30,
        batch_size: int = 10,
        eta: float = 0.5,
        lmbda: float = 0.0,
        mu: float = 0.0,
        eval_data=None,
        shuffle: bool = True,
        monitor: str = "running",
        on_epoch: Callable | None = None,
        on_batch: Callable | None = None,
        history: History | None = None,
        layers: bool = False,
        sample_weight=None,
    ) -> History:
        """Train by mini-batch stochastic gradient descent.

        Parameters
        ----------
        X : ndarray, shape (n, sizes[0])
            Training inputs, one sample per row (uint8 rows are images, scaled
            from [0, 255] to [0, 1] a batch at a time).
        y : ndarray, shape (n,) or (n, sizes[-1])
            Integer class labels, or target outputs; for a multi-label 0/1
            indicator matrix the recorded accuracy is the subset accuracy
            (:func:`costlab.fast.is_multilabel`).
{training_parameters}

        Returns
        -------
        History
            Entry 0 is the state before training, then one per epoch; ``config["monitor"]`` says how
            the figures were taken, ``config["path"]`` which path trained (:func:`costlab.fast.path_for`).

        Raises
        ------
        TrainingDiverged
            When the parameters turn non-finite or the cost explodes.
        """
        X, Y, eval_data, sample_weight = self._training_data(X, y, eval_data, sample_weight)
        members = self._members()

        def each_epoch(epoch, histories):
            self.training.update(histories[0].config)
            if on_epoch is not None:
                on_epoch(self, epoch, histories[0])

        [history] = train(
            members, X, Y, epochs=epochs, batch_size=batch_size, eta=eta, lmbda=lmbda, mu=mu,
            eval_data=eval_data, shuffle=shuffle, monitor=monitor,
            histories=None if history is None else [history],
            on_epoch=each_epoch, on_batch=on_batch, on_diverge="raise", layers=layers, finite_X=False,
            sample_weight=sample_weight,
        )
        self.training.update(history.config)
        return history

    def _training_data(self, X, y, eval_data, sample_weight):
        """(X, Y, eval_data, sample_weight) checked for fit; X not yet for NaN and infinity (training watches)."""
        X = self._check_X(X, finite=False)
        Y = self._targets(X, y)
        sample_weight = as_sample_weight(sample_weight, X.shape[0], self.dtype)
        if eval_data is not None:
            Xe = self._check_X(eval_data[0], "X_eval")
            eval_data = (Xe, self._targets(Xe, eval_data[1], "y_eval"))
        if self._cost.prepare is not None:  # weights taken from the training targets (class_weight=balanced)
            self._cost = self._cost.prepare(Y)
        return X, Y, eval_data, sample_weight

    # -- files -----------------------------------------------------------------
    def save(self, path, training: dict | None = None) -> None:
        """Write the network to ``path`` as a JSON model file, atomically (:func:`costlab.save`).

        ``training`` adds to the settings of the last ``fit`` stored with it.
        """
        hooks.save_model(self, path, training)

    @classmethod
    def load(cls, path) -> "Network":
        """The network stored in the model (or checkpoint) file ``path`` (:func:`costlab.load`)."""
        return hooks.load_model(path)

    def _members(self) -> Members:
        """This network as the training loop's group of one, on its own arrays."""
        members = Members(
            [wb[None] for wb in self._wb], self._hidden, self._output, self._cost, [self.rng],
            velocities=None if self.velocities is None else [v[None] for v in self.velocities],
            epochs_trained=np.array([self.epochs_trained]), cost_names=[self.cost],
        )

        def sync():
            self.velocities = None if members.velocities is None else [v[0] for v in members.velocities]
            self.epochs_trained = int(members.epochs_trained[0])

        members.sync = sync
        return members
