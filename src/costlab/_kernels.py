"""The fast path's compiled kernel: a whole epoch of one network in one call.

The kernel is C (``costlab/_kernel.c``), compiled when costlab is installed
(``pip install .``), once for each processor level (AVX-512, AVX2 with FMA,
the baseline); the best level the processor runs is chosen when it loads.
Nothing is compiled while a user waits. Imported by :mod:`costlab.fast`,
whose NumPy path always works without it; where the library was not built
(no C compiler at install time) importing this module raises ImportError and
training takes the NumPy path with one :class:`costlab.KernelWarning`.

At a batch of 10 the arithmetic of a step is small and NumPy's cost per call
dominates: one call per epoch removes it. The kernel computes the steps of
:mod:`costlab.engine` for the built-in activations and costs, and the tests
hold it to the plain engine step by step, at every processor level.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import pathlib

import numpy as np

from costlab._kernel_codes import (  # noqa: F401 (re-exported)
    ACTIVATION_CODES, COST_CODES, CROSS_ENTROPY, IDENTITY, LOG_LIKELIHOOD, QUADRATIC, RELU, SIGMOID, SOFTMAX, TANH,
)

__all__ = ["ACTIVATION_CODES", "COST_CODES", "LEVEL", "LEVELS", "gather", "train_epoch"]

#: The processor levels the kernel is compiled for, by number.
LEVELS = {0: "baseline", 1: "AVX2", 2: "AVX-512"}

#: How the rows X are read: of the network's type, bytes, float32, float64 (converted a batch at a time).
_X_KINDS = {"same": 0, np.dtype(np.uint8): 1, np.dtype(np.float32): 2, np.dtype(np.float64): 3}

_p = ctypes.c_void_p
_i = ctypes.c_int64
_d = ctypes.c_double


class Epoch(ctypes.Structure):
    """One epoch's arguments, as the C kernel's ``Epoch`` declares them."""

    _fields_ = [("L", _i), ("sizes", _p), ("wbs", _p), ("vs", _p), ("X", _p), ("x_kind", _i), ("Y", _p),
                ("order", _p), ("n", _i), ("m", _i), ("sw", _p), ("eta", _d), ("decay", _d), ("mu", _d),
                ("to_float", _d), ("hidden", _i), ("output", _i), ("cost", _i), ("record", _p), ("seen", _p),
                ("kinds", _p), ("limits", _p), ("sum_b", _p), ("saturated", _p), ("alive", _p), ("slowed", _p)]


def _load():
    """The compiled library beside this module (whichever suffix this Python gives extension modules)."""
    here = pathlib.Path(__file__).parent
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = here / f"_kernel{suffix}"
        if path.is_file():
            lib = ctypes.CDLL(str(path))
            lib.costlab_train_epoch.argtypes = [ctypes.POINTER(Epoch), _i, _i]
            lib.costlab_train_epoch.restype = _i
            lib.costlab_kernel_level.argtypes = []
            lib.costlab_kernel_level.restype = _i
            lib.costlab_gather.argtypes = [_p, _i, _i, _p, _i, _p, _i, _d]
            lib.costlab_gather.restype = _d
            return lib
    raise ImportError("costlab's compiled kernel was not built (no C compiler when costlab was installed); "
                      "reinstall costlab with a C compiler (pip install .)")


_LIB = _load()

#: The processor level this machine runs the kernel at (a key of LEVELS).
LEVEL = int(_LIB.costlab_kernel_level())


def _ptr(array):
    return None if array is None else array.ctypes.data


def _pointers(arrays):
    """A C array of the arrays' data pointers (None for a missing array)."""
    return (ctypes.c_void_p * max(1, len(arrays)))(*[_ptr(a) for a in arrays])


def train_epoch(wbs, vs, X, Y, order, sw, m, eta, decay, mu, to_float, hidden, output, cost, record, seen,
                kinds=None, limits=None, sum_b=(), saturated=(), alive=(), slowed=None, level=-1):
    """One epoch of mini-batch gradient descent on one network, in place.

    ``wbs``: [w | b] per layer, C-contiguous float64 or float32; ``vs``:
    momentum per layer (read and written when mu > 0), or None. ``X``: the
    rows, of the network's type (read where they lie), bytes (scaled by
    ``to_float``) or the other float type; ``Y`` (n_rows, k) of the network's
    type; ``order`` the epoch's rows (int64); ``sw`` a weight w_x per row
    (of the network's type) or None: row x of a batch then scales its output
    error by eta w_x / sum_x w_x instead of eta / m, and the record is
    weighted. ``decay`` is 1 - eta lmbda / n. ``record``, a float64 array
    of 3 or None: gathers sum_x C_x (sum_x w_x C_x), the right answers (their
    weights) and the first batch's mean cost. ``seen`` (one bool): set to
    False when a batch's first-layer z is not finite.

    The per-layer records (:class:`costlab.fast.LayerRecord`), when ``kinds``
    is given: ``kinds[l]`` says what layer l counts (RELU: units that fire,
    in ``alive[l]``; another activation code: neurons with sigma'(z) below
    ``limits[l]``, in ``saturated[l]``; -1: nothing); each batch adds
    sum_x dC/dz^l to ``sum_b[l]`` (float64) and, at a saturating output, the
    saturated and wrong (|a - y| > 1/2) outputs to ``slowed[0]``. All from the
    weights before the batch's step. ``level`` caps the processor level (-1:
    this machine's best, LEVEL).
    """
    dt = wbs[0].dtype
    L = len(wbs)
    sizes = np.array([wbs[0].shape[1] - 1] + [w.shape[0] for w in wbs], dtype=np.int64)
    wb_ptrs, v_ptrs = _pointers(wbs), _pointers(vs if vs is not None else [None] * L)
    counted = kinds is not None
    sum_ptrs, sat_ptrs, alive_ptrs = (_pointers(list(arrays) if counted else []) for arrays in (sum_b, saturated, alive))
    epoch = Epoch(
        L=L, sizes=sizes.ctypes.data, wbs=ctypes.addressof(wb_ptrs), vs=ctypes.addressof(v_ptrs), X=_ptr(X),
        x_kind=_X_KINDS["same" if X.dtype == dt else X.dtype], Y=_ptr(Y), order=_ptr(order), n=order.shape[0], m=m,
        sw=_ptr(sw), eta=eta, decay=decay, mu=mu, to_float=to_float, hidden=hidden, output=output, cost=cost,
        record=_ptr(record), seen=_ptr(seen), kinds=_ptr(kinds) if counted else None,
        limits=_ptr(limits) if counted else None, sum_b=ctypes.addressof(sum_ptrs) if counted else None,
        saturated=ctypes.addressof(sat_ptrs) if counted else None,
        alive=ctypes.addressof(alive_ptrs) if counted else None, slowed=_ptr(slowed) if counted else None)
    status = _LIB.costlab_train_epoch(ctypes.byref(epoch), int(dt == np.float32), level)
    if status == -1:
        raise MemoryError("costlab's compiled kernel could not allocate its scratch arrays")
    if status != 0:
        raise ValueError(f"costlab's compiled kernel takes 1 to 64 layers and a batch of at least 1 row, not {L} and {m}")


def gather(X, idx, out, to_float):
    """out = [X[idx] to_float | 1]: the rows idx of X, converted, with a column of ones, in one pass.

    Returns the sum of the rows' values, which is finite when they all are
    (or, rarely, overflows): the rows are checked as they are read.
    """
    return _LIB.costlab_gather(_ptr(X), _X_KINDS[X.dtype], X.shape[1], _ptr(idx), idx.shape[0], _ptr(out),
                               int(out.dtype == np.float32), float(to_float))
