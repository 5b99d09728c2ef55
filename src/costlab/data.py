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
    (read with ``allow_pickle=False``).

Images from IDX files stay bytes (uint8, 1 byte a pixel): the training engine
scales them to [0, 1] a batch at a time, so the 60,000 Fashion-MNIST images
take 47 MB rather than the 376 MB of a float64 copy.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DataError", "Dataset", "load_data", "read_idx", "FASHION_MNIST_DIR"]

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
#: Largest file costlab will decompress into memory (a guard against gzip bombs).
MAX_IDX_BYTES = 1 << 30


class DataError(ValueError):
    """A data set is missing, unreadable or malformed."""


@dataclass
class Dataset:
    """Training and test data: samples are rows, labels are integers 0..n_classes-1."""

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
        if isinstance(positive, bool) or not isinstance(positive, (int, np.integer)) \
                or not 0 <= positive < self.n_classes:
            raise DataError(f"the positive class must be one of 0..{self.n_classes - 1} for {self.name}, got {positive!r}")
        label = self.class_names[positive] if self.class_names else str(positive)
        return Dataset(
            f"{self.name}, {label} against the rest", (self.X_train), (self.y_train == positive).astype(np.int64),
            self.X_test, (self.y_test == positive).astype(np.int64), 2, self.image_shape,
            (f"not {label}", label), True,
        )

    def limit(self, n: int | None) -> "Dataset":
        """The same data set with only the first ``n`` training samples."""
        if n is None:
            return self
        if n < 1:
            raise DataError(f"limit must be >= 1, got {n}")
        return Dataset(
            self.name, self.X_train[:n], self.y_train[:n], self.X_test, self.y_test,
            self.n_classes, self.image_shape, self.class_names, self.binary,
        )

    def describe(self) -> str:
        return (
            f"{self.name}: {len(self.X_train)} training and {len(self.X_test)} test samples, "
            f"{self.n_features} features, {self.n_classes} classes"
        )


# --------------------------------------------------------------------------- #
# IDX files
# --------------------------------------------------------------------------- #

def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                data = f.read(MAX_IDX_BYTES + 1)
        else:
            with open(path, "rb") as f:
                data = f.read(MAX_IDX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as e:
        # gzip.BadGzipFile is an OSError; a truncated .gz raises EOFError
        raise DataError(f"{path}: cannot read: {e}") from None
    if len(data) > MAX_IDX_BYTES:
        raise DataError(f"{path}: larger than {MAX_IDX_BYTES} bytes")
    return data


def read_idx(path, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (plain or .gz) as an array, checking its header and size.

    The IDX format: two zero bytes, a type byte (0x08 = unsigned byte), the
    number of dimensions, then each dimension as a big-endian 32-bit integer,
    then the data in row-major order.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path}: not an IDX file (only {len(data)} bytes)")
    if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number {data[:4].hex()})")
    dtype, nd = _IDX_TYPES[data[2]], data[3]
    if ndim is not None and nd != ndim:
        raise DataError(f"{path}: expected {ndim} dimensions, the header says {nd}")
    header = 4 + 4 * nd
    if len(data) < header:
        raise DataError(f"{path}: truncated header")
    dims = tuple(int(d) for d in np.frombuffer(data, ">u4", count=nd, offset=4))
    if any(d == 0 for d in dims):
        raise DataError(f"{path}: empty dimension in {dims}")
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise DataError(
            f"{path}: {what}: header {dims} needs {expected} bytes, the file has {len(data)}"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="), copy=False)


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
    arrays = {}
    for key, stem in IDX_FILES.items():
        path = _find_idx(directory, stem)
        arr = read_idx(path, 3 if key.startswith("X") else 1)
        if arr.dtype != np.uint8:
            raise DataError(f"{path}: expected unsigned bytes, found {arr.dtype}")
        arrays[key] = (path, arr)
    for part in ("train", "test"):
        (px, X), (py, y) = arrays[f"X_{part}"], arrays[f"y_{part}"]
        if X.shape[0] != y.shape[0]:
            raise DataError(f"{px} has {X.shape[0]} images but {py} has {y.shape[0]} labels")
        if y.max() > 9:
            raise DataError(f"{py}: label {int(y.max())} outside 0..9")
    shape = arrays["X_train"][1].shape[1:]
    if arrays["X_test"][1].shape[1:] != shape:
        raise DataError(f"{directory}: training images are {shape}, test images {arrays['X_test'][1].shape[1:]}")
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


def load_npz(path) -> Dataset:
    """A .npz with X_train, y_train, X_test, y_test; validated, never unpickled."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            f = np.load(fh, allow_pickle=False)
            if not isinstance(f, np.lib.npyio.NpzFile):
                raise DataError(f"{path}: a single array, not a .npz archive of X_train, y_train, X_test, y_test")
            with f:
                missing = [k for k in IDX_FILES if k not in f.files]
                if missing:
                    raise DataError(f"{path}: missing arrays {', '.join(missing)}")
                arrays = {k: f[k] for k in IDX_FILES}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: cannot read as .npz: {e}") from None
    for part in ("train", "test"):
        X, y = arrays[f"X_{part}"], arrays[f"y_{part}"]
        if X.ndim < 2 or X.shape[0] == 0:
            raise DataError(f"{path}: X_{part} must have shape (n, features...), got {X.shape}")
        if X.dtype != np.uint8 and not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
            raise DataError(f"{path}: X_{part} must be numeric, got {X.dtype}")
        if X.dtype != np.uint8 and not np.all(np.isfinite(X)):
            raise DataError(f"{path}: X_{part} contains NaN or infinite values")
        if y.shape != (X.shape[0],):
            raise DataError(f"{path}: y_{part} must have shape ({X.shape[0]},), got {y.shape}")
        if not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
            raise DataError(f"{path}: y_{part} must hold non-negative integer labels")
    if arrays["X_train"].shape[1:] != arrays["X_test"].shape[1:]:
        raise DataError(f"{path}: X_train and X_test have different sample shapes")
    shape = arrays["X_train"].shape[1:]
    flat = {
        k: (a.reshape(a.shape[0], -1) if a.dtype == np.uint8 else a.reshape(a.shape[0], -1).astype(np.float64))
        if k.startswith("X") else a.astype(np.int64)
        for k, a in arrays.items()
    }
    n_classes = int(max(flat["y_train"].max(), flat["y_test"].max())) + 1
    return Dataset(
        path.stem, flat["X_train"], flat["y_train"], flat["X_test"], flat["y_test"],
        n_classes, shape if len(shape) == 2 else None,
    )


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
