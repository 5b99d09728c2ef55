"""Data sets, loaded and validated: digits, MNIST-format IDX files, and .npz files.

``load_data(spec)`` understands:

``digits``
    scikit-learn's bundled 8x8 handwritten digits (1,797 images), scaled to
    [0, 1], with a fixed stratified split of 1,347 training and 450 test
    images. Embedded: no download, works offline. The default.
``fashion-mnist``
    Fashion-MNIST (60,000 + 10,000 images of 28x28 pixels) from the Debian
    package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``).
``mnist:DIR`` and ``fashion-mnist:DIR``
    The four IDX files of MNIST or Fashion-MNIST (plain or ``.gz``) in ``DIR``.
``PATH.npz``
    A NumPy archive with arrays ``X_train``, ``y_train``, ``X_test``, ``y_test``
    (read with ``allow_pickle=False``), and optionally ``w_train``, a weight
    per training sample (finite, >= 0). y is integer labels (n,) or a
    multi-label indicator matrix of 0 and 1 (n, k).

Images from IDX files stay bytes (uint8, 1 byte a pixel): the training engine
scales them to [0, 1] a batch at a time, so the 60,000 Fashion-MNIST images
take 47 MB rather than the 376 MB of a float64 copy.

Files are checked before they are read in full: only regular files are read;
an IDX file's header (dimensions, overflow-checked) must match the file's real
size and the counts of images and labels must agree before any data is read,
and a ``.gz`` is decompressed as a stream stopped at the declared size; every
array of a ``.npz`` is checked from its header (numeric dtype, shape) before
its data is read. What a data set may take in memory is bounded by
:func:`memory_budget` (2 GiB unless the environment variable
``COSTLAB_MAX_DATA_BYTES`` says otherwise); labels must lie in
0..:data:`MAX_CLASSES` - 1 and feature values within +-:data:`MAX_FEATURE`
(scale larger ones to about [0, 1]).
"""

from __future__ import annotations

import gzip
import math
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from costlab.fast import all_finite

__all__ = ["DataError", "Dataset", "load_data", "memory_budget", "read_idx", "FASHION_MNIST_DIR"]

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
IDX_FILES = {
    "X_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "X_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
#: IDX type codes (the third byte of the magic number) and their big-endian dtypes.
_IDX_TYPES = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
#: Default of :func:`memory_budget`: the most bytes a data set may take in memory.
DEFAULT_MAX_DATA_BYTES = 2 << 30
#: Labels must lie in 0..MAX_CLASSES-1.
MAX_CLASSES = 10_000
#: Feature values must lie within +-MAX_FEATURE (costlab's networks expect features of about [0, 1]).
MAX_FEATURE = 1e6


class DataError(ValueError):
    """A data set is missing, unreadable or malformed."""


def memory_budget() -> int:
    """The most bytes a data set may take in memory: ``COSTLAB_MAX_DATA_BYTES`` or 2 GiB."""
    raw = os.environ.get("COSTLAB_MAX_DATA_BYTES")
    if raw is None:
        return DEFAULT_MAX_DATA_BYTES
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise DataError(f"COSTLAB_MAX_DATA_BYTES must be a positive whole number of bytes, got {raw[:40]!r}")
    return value


def _over_budget(what: str, needed: int) -> DataError:
    budget = memory_budget()
    return DataError(f"{what} would take {needed / 2**20:,.0f} MiB in memory, over the budget of "
                     f"{budget / 2**20:,.0f} MiB (raise it with COSTLAB_MAX_DATA_BYTES=BYTES)")


@dataclass
class Dataset:
    """Training and test data: samples are rows, labels are integers 0..n_classes-1.

    A multi-label data set (``multilabel``) has instead an indicator matrix of
    0 and 1 per sample, y of shape (n, k): ``n_classes`` is then k, the labels.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    image_shape: tuple | None = None
    class_names: tuple | None = None
    #: one class against the rest (labels 0/1), trained with one sigmoid output
    binary: bool = False
    #: y is an (n, k) indicator matrix: k labels, each 0 or 1, one sigmoid output per label
    multilabel: bool = False
    #: a weight per training sample (the .npz's w_train), or None
    w_train: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        """Output neurons of a network for this data: one for a binary task, else one per class."""
        return 1 if self.binary else self.n_classes

    def one_vs_rest(self, positive: int) -> "Dataset":
        """The binary task of class ``positive`` (label 1) against all the others (label 0).

        On the digits, one digit against the rest: about 10% positives, a rare class.
        """
        if self.multilabel:
            raise DataError(f"{self.name} is multi-label (y of shape (n, {self.n_classes})): each label is already "
                            "a task of its own against the rest, so there is no one positive class to pick")
        if isinstance(positive, bool) or not isinstance(positive, (int, np.integer)) \
                or not 0 <= positive < self.n_classes:
            raise DataError(f"the positive class must be one of 0..{self.n_classes - 1} for {self.name}, got {positive!r}")
        label = self.class_names[positive] if self.class_names else str(positive)
        return Dataset(
            f"{self.name}, {label} against the rest", (self.X_train), (self.y_train == positive).astype(np.int64),
            self.X_test, (self.y_test == positive).astype(np.int64), 2, self.image_shape,
            (f"not {label}", label), True, w_train=self.w_train,
        )

    def limit(self, n: int | None) -> "Dataset":
        """The same data set with only the first ``n`` training samples."""
        if n is None:
            return self
        if n < 1:
            raise DataError(f"limit must be >= 1, got {n}")
        return Dataset(
            self.name, self.X_train[:n], self.y_train[:n], self.X_test, self.y_test,
            self.n_classes, self.image_shape, self.class_names, self.binary, self.multilabel,
            None if self.w_train is None else self.w_train[:n],
        )

    def describe(self) -> str:
        return (
            f"{self.name}: {len(self.X_train)} training and {len(self.X_test)} test samples, "
            f"{self.n_features} features, {self.n_classes} {'labels (multi-label)' if self.multilabel else 'classes'}"
        )


# --------------------------------------------------------------------------- #
# IDX files
# --------------------------------------------------------------------------- #

class _IdxFile:
    """An open IDX file (plain or .gz) whose header has been read and checked."""

    def __init__(self, path: Path, ndim: int | None = None):
        from costlab.fileio import open_regular

        self.path = path
        self.raw = open_regular(path, DataError)
        try:
            size = os.fstat(self.raw.fileno()).st_size
            self.f = gzip.GzipFile(fileobj=self.raw, mode="rb") if path.suffix == ".gz" else self.raw
            head = self._read(4, "header")
            if head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
                raise DataError(f"{path}: not an IDX file (bad magic number {head.hex()})")
            self.dtype, nd = _IDX_TYPES[head[2]], head[3]
            if ndim is not None and nd != ndim:
                raise DataError(f"{path}: expected {ndim} dimensions, the header says {nd}")
            self.dims = tuple(int.from_bytes(self._read(4, "header"), "big") for _ in range(nd))
            if any(d == 0 for d in self.dims):
                raise DataError(f"{path}: empty dimension in {self.dims}")
            # Python integers: no overflow, however large the header's dimensions
            self.nbytes = math.prod(self.dims) * self.dtype.itemsize
            expected = 4 + 4 * nd + self.nbytes
            if self.nbytes > memory_budget():
                raise _over_budget(f"{path} (header {self.dims})", self.nbytes)
            if self.f is self.raw and size != expected:
                what = "truncated" if size < expected else "has trailing bytes"
                raise DataError(f"{path}: {what}: header {self.dims} needs {expected} bytes, the file has {size}")
        except BaseException:
            self.close()
            raise

    def _read(self, n: int, what: str) -> bytes:
        try:
            data = self.f.read(n)
        except (OSError, EOFError, zlib.error) as e:
            # gzip.BadGzipFile is an OSError; a truncated .gz raises EOFError
            raise DataError(f"{self.path}: cannot read: {e}") from None
        if len(data) < n:
            raise DataError(f"{self.path}: truncated {what}" if what == "header" else
                            f"{self.path}: truncated: header {self.dims} needs {n} bytes of data, "
                            f"the file has {len(data)}")
        return data

    def read(self) -> np.ndarray:
        """The data: exactly the declared number of bytes, decompressed no further than one more."""
        data = self._read(self.nbytes, "data")
        if self.f is not self.raw:
            self._check_gzip_end()
        arr = np.frombuffer(data, self.dtype).reshape(self.dims)
        return arr.astype(self.dtype.newbyteorder("="), copy=False)

    def _check_gzip_end(self) -> None:
        """Read the gzip stream's end (its CRC check) without decompressing more than a few bytes."""
        try:
            extra = self.f.read(1)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{self.path}: cannot read: {e}") from None
        if extra:
            raise DataError(f"{self.path}: has trailing bytes after the {self.nbytes} bytes its header declares")

    def close(self) -> None:
        f = getattr(self, "f", None)
        if f is not None and f is not self.raw:
            f.close()
        self.raw.close()


def read_idx(path, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (plain or .gz) as an array, checking its header and size.

    The IDX format: two zero bytes, a type byte (0x08 = unsigned byte), the
    number of dimensions, then each dimension as a big-endian 32-bit integer,
    then the data in row-major order. The header is checked (against the
    file's size, or the memory budget for a .gz) before any data is read.
    """
    f = _IdxFile(Path(path), ndim)
    try:
        return f.read()
    finally:
        f.close()


def _find_idx(directory: Path, stem: str) -> Path:
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    # some distributions name the files train-images.idx3-ubyte
    alt = stem.replace("-idx", ".idx")
    for candidate in (directory / alt, directory / f"{alt}.gz"):
        if candidate.is_file():
            return candidate
    raise DataError(f"{directory}: missing {stem} (or {stem}.gz)")


def load_idx_dir(directory, name: str, *, class_names=None) -> Dataset:
    """The four MNIST-format IDX files in ``directory`` as a Dataset."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: no such directory")
    # every header first: counts and shapes must agree before any data is read
    files = {}
    try:
        for key, stem in IDX_FILES.items():
            path = _find_idx(directory, stem)
            files[key] = f = _IdxFile(path, 3 if key.startswith("X") else 1)
            if f.dtype != np.uint8:
                raise DataError(f"{path}: expected unsigned bytes, found {f.dtype.newbyteorder('=')}")
        for part in ("train", "test"):
            X, y = files[f"X_{part}"], files[f"y_{part}"]
            if X.dims[0] != y.dims[0]:
                raise DataError(f"{X.path} has {X.dims[0]} images but {y.path} has {y.dims[0]} labels")
        shape = files["X_train"].dims[1:]
        if files["X_test"].dims[1:] != shape:
            raise DataError(f"{directory}: training images are {shape}, test images {files['X_test'].dims[1:]}")
        # in memory: the images as bytes, the labels as 8-byte integers
        needed = sum(f.nbytes * (8 if key.startswith("y") else 1) for key, f in files.items())
        if needed > memory_budget():
            raise _over_budget(str(directory), needed)
        arrays = {key: (f.path, f.read()) for key, f in files.items()}
    finally:
        for f in files.values():
            f.close()
    for part in ("train", "test"):
        py, y = arrays[f"y_{part}"]
        if y.max() > 9:
            raise DataError(f"{py}: label {int(y.max())} outside 0..9")
    flat = {k: a.reshape(a.shape[0], -1) if k.startswith("X") else a.astype(np.int64) for k, (_, a) in arrays.items()}
    return Dataset(name, flat["X_train"], flat["y_train"], flat["X_test"], flat["y_test"], 10, shape, class_names)


# --------------------------------------------------------------------------- #
# The named data sets
# --------------------------------------------------------------------------- #

def load_digits() -> Dataset:
    """scikit-learn's 8x8 digits in [0, 1], split 1347 / 450, stratified, fixed."""
    from sklearn.datasets import load_digits as _load
    from sklearn.model_selection import train_test_split

    digits = _load()
    X = digits.data / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=450, stratify=digits.target, random_state=0
    )
    return Dataset("digits", X_train, y_train.astype(np.int64), X_test, y_test.astype(np.int64), 10, (8, 8))


def load_fashion_mnist(directory=None) -> Dataset:
    """Fashion-MNIST from ``directory`` or from the Debian package's folder."""
    if directory is None:
        directory = FASHION_MNIST_DIR
        if not directory.is_dir():
            raise DataError(
                f"Fashion-MNIST not found in {directory}; install it with "
                "'sudo apt-get install dataset-fashion-mnist' or use fashion-mnist:DIR "
                "with a folder holding the four IDX files"
            )
    return load_idx_dir(directory, "fashion-mnist", class_names=FASHION_MNIST_CLASSES)


def _npy_header(zf: zipfile.ZipFile, key: str, path: Path):
    """(shape, dtype, member) of array ``key`` in the archive, from its header alone."""
    name = f"{key}.npy"
    if name not in zf.namelist():
        return None
    with zf.open(name) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in "biuf":
        raise DataError(f"{path}: {key} must hold numbers, not {dtype}")
    return tuple(shape), dtype, name


def load_npz(path) -> Dataset:
    """A .npz with X_train, y_train, X_test, y_test; validated, never unpickled.

    y holds integer class labels, shape (n,), or a multi-label indicator
    matrix of 0 and 1, shape (n, k), one column per label.

    Each array's header (dtype, shape) is read and checked, and the memory the
    data set would take is checked against :func:`memory_budget`, before any
    array's data is read.
    """
    from costlab.fileio import open_regular

    path = Path(path)
    try:
        with open_regular(path, DataError) as fh:
            if fh.read(6) == b"\x93NUMPY":
                raise DataError(f"{path}: a single array, not a .npz archive of X_train, y_train, X_test, y_test")
            fh.seek(0)
            with zipfile.ZipFile(fh) as zf:
                headers = {k: _npy_header(zf, k, path) for k in IDX_FILES}
                missing = [k for k, h in headers.items() if h is None]
                if missing:
                    raise DataError(f"{path}: missing arrays {', '.join(missing)}")
                _check_npz_shapes(path, {k: h[0] for k, h in headers.items()})
                weights = _npy_header(zf, "w_train", path)
                if weights is not None:
                    if weights[0] != (headers["X_train"][0][0],):
                        raise DataError(f"{path}: w_train must have shape ({headers['X_train'][0][0]},), one weight "
                                        f"per training sample, got {weights[0]}")
                    headers["w_train"] = weights
                # in memory: images as bytes stay bytes, other features become float64, labels int64
                needed = sum(math.prod(shape) * (dtype.itemsize + (0 if dtype == np.uint8 else 8))
                             for shape, dtype, _ in headers.values())
                if needed > memory_budget():
                    raise _over_budget(str(path), needed)
                arrays = {}
                for k, (shape, dtype, name) in headers.items():
                    with zf.open(name) as member:
                        arrays[k] = np.lib.format.read_array(member, allow_pickle=False)
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile, NotImplementedError) as e:
        raise DataError(f"{path}: cannot read as .npz: {e}") from None
    for part in ("train", "test"):
        X, y = arrays[f"X_{part}"], arrays[f"y_{part}"]
        if X.ndim < 2 or X.shape[0] == 0:
            raise DataError(f"{path}: X_{part} must have shape (n, features...), got {X.shape}")
        if X.dtype != np.uint8 and not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
            raise DataError(f"{path}: X_{part} must be numeric, got {X.dtype}")
        if X.dtype != np.uint8 and not all_finite(X):
            raise DataError(f"{path}: X_{part} contains NaN or infinite values")
        if y.shape[:1] != (X.shape[0],) or y.ndim > 2:
            raise DataError(f"{path}: y_{part} must have shape ({X.shape[0]},) or ({X.shape[0]}, labels), got {y.shape}")
        if y.ndim == 2:
            if not (np.issubdtype(y.dtype, np.integer) or y.dtype == bool):
                raise DataError(f"{path}: y_{part} of shape (n, k) is a multi-label indicator matrix and must "
                                f"hold integers 0 and 1, got {y.dtype}")
            odd = y[(y != 0) & (y != 1)]
            if odd.size:
                raise DataError(f"{path}: y_{part} of shape (n, k) is a multi-label indicator matrix and may hold "
                                f"only 0 and 1, got {int(odd.flat[0])}")
            continue
        if not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
            raise DataError(f"{path}: y_{part} must hold non-negative integer labels")
        if y.size and y.max() >= MAX_CLASSES:
            raise DataError(f"{path}: y_{part} holds label {int(y.max())}; labels must lie in 0..{MAX_CLASSES - 1}")
        magnitude = max(abs(float(X.min())), abs(float(X.max()))) if X.size else 0.0
        if magnitude > MAX_FEATURE:
            raise DataError(f"{path}: X_{part} holds values up to {magnitude:.3g} in size; scale the features "
                            f"to about [0, 1] (costlab refuses magnitudes over {MAX_FEATURE:g})")
    w_train = arrays.pop("w_train", None)
    if w_train is not None:
        w_train = w_train.astype(np.float64)
        if not all_finite(w_train):
            raise DataError(f"{path}: w_train contains NaN or infinite values")
        if w_train.size and w_train.min() < 0:
            raise DataError(f"{path}: w_train must be >= 0, got {w_train.min():g}")
        if w_train.size and not np.any(w_train > 0):
            raise DataError(f"{path}: w_train is zero for every sample: nothing to learn from")
    shape = arrays["X_train"].shape[1:]
    flat = {
        k: (a.reshape(a.shape[0], -1) if a.dtype == np.uint8 else a.reshape(a.shape[0], -1).astype(np.float64))
        if k.startswith("X") else a.astype(np.int64)
        for k, a in arrays.items()
    }
    multilabel = flat["y_train"].ndim == 2
    n_classes = flat["y_train"].shape[1] if multilabel else int(max(flat["y_train"].max(), flat["y_test"].max())) + 1
    return Dataset(
        path.stem, flat["X_train"], flat["y_train"], flat["X_test"], flat["y_test"],
        n_classes, shape if len(shape) == 2 else None, multilabel=multilabel, w_train=w_train,
    )


def _check_npz_shapes(path: Path, shapes: dict) -> None:
    """Shapes read from the headers: samples as rows, one label per sample, the same sample shape."""
    for part in ("train", "test"):
        X, y = shapes[f"X_{part}"], shapes[f"y_{part}"]
        if len(X) < 2 or X[0] == 0:
            raise DataError(f"{path}: X_{part} must have shape (n, features...), got {X}")
        if y[:1] != (X[0],) or len(y) > 2 or (len(y) == 2 and not 1 <= y[1] <= MAX_CLASSES):
            raise DataError(f"{path}: y_{part} must have shape ({X[0]},) or ({X[0]}, labels), got {y}")
    if shapes["X_train"][1:] != shapes["X_test"][1:]:
        raise DataError(f"{path}: X_train and X_test have different sample shapes")
    if shapes["y_train"][1:] != shapes["y_test"][1:]:
        raise DataError(f"{path}: y_train and y_test differ: {shapes['y_train']} and {shapes['y_test']} "
                        "(labels, or one indicator column per label in both)")


def load_data(spec: str) -> Dataset:
    """The data set named by ``spec``; see the module docstring for the forms."""
    if not isinstance(spec, str) or not spec:
        raise DataError("no data set given")
    if spec == "digits":
        return load_digits()
    if spec == "fashion-mnist":
        return load_fashion_mnist()
    kind, sep, rest = spec.partition(":")
    if sep and kind in ("mnist", "fashion-mnist"):
        if not rest:
            raise DataError(f"{spec}: give the directory after '{kind}:'")
        classes = FASHION_MNIST_CLASSES if kind == "fashion-mnist" else None
        return load_idx_dir(Path(rest).expanduser(), kind, class_names=classes)
    if spec.endswith(".npz"):
        if not Path(spec).is_file():
            raise DataError(f"{spec}: no such file")
        return load_npz(spec)
    raise DataError(
        f"unknown data set {spec!r}; use digits, fashion-mnist, mnist:DIR, fashion-mnist:DIR or a .npz file"
    )
