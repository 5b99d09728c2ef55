"""Tests of costlab.data: digits, the IDX reader, Fashion-MNIST, .npz files, load_data.

IDX files are built here byte by byte with ``struct`` (an independent writer
of the format: two zero bytes, a type byte, the number of dimensions, each
dimension as a big-endian uint32, then the data), plain and gzipped, and then
broken one way at a time. Every malformed input must raise DataError (a
ValueError) whose message names the offending file or directory.
"""

from __future__ import annotations

import gc
import gzip
import struct
import warnings
import zipfile

import numpy as np
import pytest

from costlab import Network
from costlab import data as cdata
from costlab.data import DataError, Dataset, load_data, read_idx

IDX_NAMES = {
    "X_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "X_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


# --------------------------------------------------------------------------- #
# An independent IDX writer
# --------------------------------------------------------------------------- #

def idx_bytes(array, *, type_code=0x08, dims=None, ndim=None) -> bytes:
    """The IDX encoding of ``array``; ``dims``/``ndim`` override the header to lie."""
    array = np.asarray(array)
    dims = array.shape if dims is None else dims
    ndim = len(dims) if ndim is None else ndim
    header = struct.pack(">BBBB", 0, 0, type_code, ndim) + struct.pack(f">{len(dims)}I", *dims)
    body_dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}.get(type_code, ">u1")
    return header + array.astype(body_dtype).tobytes()


def write_file(path, payload: bytes, gz: bool):
    """Write ``payload`` to ``path`` (gzip-compressed when ``gz``); return the path."""
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload, mtime=0))
    else:
        path.write_bytes(payload)
    return path


def striped_images(labels, h, w, rng):
    """uint8 images whose class shows as a bright band of rows (learnable), plus noise."""
    n = len(labels)
    X = rng.integers(0, 60, size=(n, h, w), dtype=np.uint8)
    band = max(1, h // 10)
    for i, k in enumerate(labels):
        start = (int(k) * h) // 10
        X[i, start:start + band, :] = 255
    return X


def make_idx_set(directory, *, n_train=20, n_test=5, h=28, w=28, gz=False, seed=0):
    """Four valid IDX files in ``directory``; returns (paths, arrays) keyed X_train etc."""
    rng = np.random.default_rng(seed)
    y_train = (np.arange(n_train) % 10).astype(np.uint8)
    y_test = ((np.arange(n_test) * 3) % 10).astype(np.uint8)
    arrays = {
        "X_train": striped_images(y_train, h, w, rng),
        "y_train": y_train,
        "X_test": striped_images(y_test, h, w, rng),
        "y_test": y_test,
    }
    directory.mkdir(parents=True, exist_ok=True)
    paths = {k: write_file(directory / IDX_NAMES[k], idx_bytes(a), gz) for k, a in arrays.items()}
    return paths, arrays


def replace_file(paths, key, payload: bytes, *, gz=None):
    """Overwrite file ``key`` with raw ``payload`` (gzipped if the file is .gz); return its path."""
    path = paths[key]
    if gz is None:
        gz = path.suffix == ".gz"
    path.write_bytes(gzip.compress(payload, mtime=0) if gz else payload)
    return path


def raises_naming(spec, named):
    """load_data(spec) raises DataError (a ValueError) whose message contains ``named``.

    Also checks that the failure leaks nothing: no warning of any kind, in
    particular no ResourceWarning for a file left open (collected here, so that
    a leak is reported by the test that caused it).
    """
    msg = wrong = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            load_data(spec)
        except DataError as e:
            assert isinstance(e, ValueError)
            msg = str(e)
        except Exception as e:  # noqa: BLE001 - reported below, once the traceback is released
            wrong = f"{type(e).__name__}: {e}"
        if spec and spec.endswith(".npz"):
            gc.collect()  # a full collection costs ~0.1 s: only where a library opens the file
    assert wrong is None, f"load_data({spec!r}) raised {wrong}, not DataError"
    assert msg is not None, f"load_data({spec!r}) raised nothing"
    assert [str(w.message) for w in caught] == []
    assert str(named) in msg, msg
    return msg


# --------------------------------------------------------------------------- #
# digits
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def digits():
    return load_data("digits")


def test_digits_shapes_values_labels(digits):
    d = digits
    assert d.name == "digits"
    assert d.X_train.shape == (1347, 64) and d.X_test.shape == (450, 64)
    assert d.y_train.shape == (1347,) and d.y_test.shape == (450,)
    assert d.n_features == 64 and d.n_classes == 10 and d.image_shape == (8, 8)
    assert d.X_train.dtype == np.float64 and d.y_train.dtype == np.int64 and d.y_test.dtype == np.int64
    for X in (d.X_train, d.X_test):
        assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(d.y_train)) == set(range(10)) == set(np.unique(d.y_test))
    assert d.describe() == "digits: 1347 training and 450 test samples, 64 features, 10 classes"


def test_digits_split_is_a_partition_of_the_bundled_set(digits):
    from sklearn.datasets import load_digits

    full = load_digits()
    X = np.vstack([digits.X_train, digits.X_test]) * 16.0
    y = np.concatenate([digits.y_train, digits.y_test])

    def canonical(X, y):
        rows = np.column_stack([X, y])
        return rows[np.lexsort(rows.T[::-1])]

    np.testing.assert_array_equal(canonical(X, y), canonical(full.data, full.target))


def test_digits_split_is_stratified(digits):
    n_train = np.bincount(digits.y_train, minlength=10)
    n_test = np.bincount(digits.y_test, minlength=10)
    # each class's test count is its training count scaled by 450/1347, within one sample
    assert np.all(np.abs(n_test - n_train * 450 / 1347) <= 1.0), (n_train, n_test)


def test_digits_split_is_fixed(digits):
    again = load_data("digits")
    for name in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(again, name), getattr(digits, name))


# --------------------------------------------------------------------------- #
# IDX directories: valid files
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("kind", ["mnist", "fashion-mnist"])
def test_idx_dir_loads(tmp_path, kind, gz):
    paths, arrays = make_idx_set(tmp_path / "idx", gz=gz)
    assert all(p.name.endswith(".gz") == gz for p in paths.values())
    d = load_data(f"{kind}:{tmp_path / 'idx'}")
    assert isinstance(d, Dataset)
    assert d.name == kind and d.n_classes == 10 and d.image_shape == (28, 28)
    assert d.X_train.dtype == np.uint8 and d.X_test.dtype == np.uint8
    assert d.y_train.dtype == np.int64 and d.y_test.dtype == np.int64
    assert d.X_train.shape == (20, 784) and d.X_test.shape == (5, 784)
    np.testing.assert_array_equal(d.X_train, arrays["X_train"].reshape(20, -1))
    np.testing.assert_array_equal(d.X_test, arrays["X_test"].reshape(5, -1))
    np.testing.assert_array_equal(d.y_train, arrays["y_train"])
    np.testing.assert_array_equal(d.y_test, arrays["y_test"])
    if kind == "fashion-mnist":
        assert d.class_names[0] == "T-shirt/top" and len(d.class_names) == 10
    else:
        assert d.class_names is None


def test_idx_dir_non_square_images_keep_row_major_order(tmp_path):
    paths, arrays = make_idx_set(tmp_path, n_train=12, n_test=3, h=7, w=5)
    d = load_data(f"mnist:{tmp_path}")
    assert d.image_shape == (7, 5) and d.X_train.shape == (12, 35)
    # pixel (row 2, column 3) of image 4 is feature 2 * 5 + 3
    assert d.X_train[4, 13] == arrays["X_train"][4, 2, 3]
    np.testing.assert_array_equal(d.X_train.reshape(12, 7, 5), arrays["X_train"])


def test_idx_dir_mixed_plain_and_gz_and_alternative_names(tmp_path):
    rng = np.random.default_rng(1)
    y = np.arange(10, dtype=np.uint8)
    X = striped_images(y, 6, 6, rng)
    write_file(tmp_path / "train-images.idx3-ubyte", idx_bytes(X), gz=True)
    write_file(tmp_path / "train-labels.idx1-ubyte", idx_bytes(y), gz=False)
    write_file(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(X[:4]), gz=False)
    write_file(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(y[:4]), gz=True)
    d = load_data(f"mnist:{tmp_path}")
    np.testing.assert_array_equal(d.X_train, X.reshape(10, 36))
    np.testing.assert_array_equal(d.y_test, y[:4])


def test_read_idx_other_types_round_trip(tmp_path):
    a = np.arange(-6, 6, dtype=np.int16).reshape(3, 4)
    path = write_file(tmp_path / "a.idx", idx_bytes(a, type_code=0x0B), gz=False)
    out = read_idx(path, 2)
    assert out.dtype == np.int16 and out.dtype.isnative
    np.testing.assert_array_equal(out, a)
    f = np.array([0.5, -1.25, 3e300])
    out = read_idx(write_file(tmp_path / "f.idx", idx_bytes(f, type_code=0x0E), gz=True))
    np.testing.assert_array_equal(out, f)


# --------------------------------------------------------------------------- #
# IDX directories: each kind of damage, one at a time
# --------------------------------------------------------------------------- #

@pytest.fixture(params=[False, True], ids=["plain", "gz"])
def idx_set(request, tmp_path):
    """A valid IDX set (plain and gz): (directory, paths, arrays)."""
    directory = tmp_path / "idx"
    paths, arrays = make_idx_set(directory, gz=request.param)
    return directory, paths, arrays


@pytest.mark.parametrize("magic", [b"\x01\x00\x08\x03", b"\x00\x01\x08\x03", b"\x00\x00\x07\x03", b"\x1f\x8b\x08\x03"])
def test_idx_wrong_magic(idx_set, magic):
    directory, paths, arrays = idx_set
    payload = idx_bytes(arrays["X_train"])
    path = replace_file(paths, "X_train", magic + payload[4:])
    msg = raises_naming(f"mnist:{directory}", path)
    assert "magic" in msg


@pytest.mark.parametrize("key", ["X_train", "y_test"])
def test_idx_wrong_number_of_dimensions(idx_set, key):
    directory, paths, arrays = idx_set
    a = arrays[key]
    wrong = a.reshape(a.shape[0], -1) if key.startswith("X") else a.reshape(-1, 1)  # 2-D, self-consistent
    path = replace_file(paths, key, idx_bytes(wrong))
    msg = raises_naming(f"mnist:{directory}", path)
    assert "dimensions" in msg


@pytest.mark.parametrize("key,type_code", [("X_train", 0x09), ("X_test", 0x0C), ("y_train", 0x0B), ("y_test", 0x0D)])
def test_idx_wrong_type_byte(idx_set, key, type_code):
    directory, paths, arrays = idx_set
    path = replace_file(paths, key, idx_bytes(arrays[key], type_code=type_code))  # valid IDX, wrong type
    raises_naming(f"mnist:{directory}", path)


@pytest.mark.parametrize("key", list(IDX_NAMES))
def test_idx_truncated_data(idx_set, key):
    directory, paths, arrays = idx_set
    path = replace_file(paths, key, idx_bytes(arrays[key])[:-1])
    msg = raises_naming(f"mnist:{directory}", path)
    assert "truncated" in msg


@pytest.mark.parametrize("key", list(IDX_NAMES))
def test_idx_trailing_bytes(idx_set, key):
    directory, paths, arrays = idx_set
    path = replace_file(paths, key, idx_bytes(arrays[key]) + b"\x00")
    msg = raises_naming(f"mnist:{directory}", path)
    assert "trailing" in msg


@pytest.mark.parametrize("cut", [0, 3, 4, 9, 15])
def test_idx_truncated_header(idx_set, cut):
    directory, paths, arrays = idx_set
    path = replace_file(paths, "X_test", idx_bytes(arrays["X_test"])[:cut])  # header is 16 bytes
    raises_naming(f"mnist:{directory}", path)


def test_idx_header_claims_more_than_the_file_holds(idx_set):
    directory, paths, arrays = idx_set
    lie = idx_bytes(arrays["X_train"], dims=(20, 2**16, 2**16))  # a header for 80 GB over a 15 kB file
    path = replace_file(paths, "X_train", lie)
    raises_naming(f"mnist:{directory}", path)


def test_idx_empty_dimension(idx_set):
    directory, paths, _ = idx_set
    path = replace_file(paths, "X_train", idx_bytes(np.zeros((0, 28, 28), np.uint8)))
    raises_naming(f"mnist:{directory}", path)


def test_idx_corrupt_gzip_stream(tmp_path):
    paths, arrays = make_idx_set(tmp_path, gz=True)
    good = gzip.compress(idx_bytes(arrays["X_train"]), mtime=0)
    # mangle the deflate data in the middle (header and trailer intact)
    mid = len(good) // 2
    bad = good[:mid] + bytes(b ^ 0xA5 for b in good[mid:mid + 32]) + good[mid + 32:]
    paths["X_train"].write_bytes(bad)
    raises_naming(f"mnist:{tmp_path}", paths["X_train"])


def test_idx_gzip_crc_mismatch(tmp_path):
    paths, arrays = make_idx_set(tmp_path, gz=True)
    good = bytearray(gzip.compress(idx_bytes(arrays["y_train"]), mtime=0))
    good[-8] ^= 0xFF  # the CRC32 of the trailer
    paths["y_train"].write_bytes(bytes(good))
    raises_naming(f"mnist:{tmp_path}", paths["y_train"])


def test_idx_not_gzip_but_named_gz(tmp_path):
    paths, arrays = make_idx_set(tmp_path, gz=True)
    paths["X_test"].write_bytes(idx_bytes(arrays["X_test"]))  # plain bytes in a .gz
    raises_naming(f"mnist:{tmp_path}", paths["X_test"])


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.95])
def test_idx_truncated_gzip(tmp_path, keep):
    paths, arrays = make_idx_set(tmp_path, gz=True)
    good = gzip.compress(idx_bytes(arrays["X_train"]), mtime=0)
    paths["X_train"].write_bytes(good[: int(len(good) * keep)])
    raises_naming(f"mnist:{tmp_path}", paths["X_train"])


@pytest.mark.parametrize("part", ["train", "test"])
def test_idx_image_and_label_counts_disagree(idx_set, part):
    directory, paths, arrays = idx_set
    key = f"y_{part}"
    path = replace_file(paths, key, idx_bytes(arrays[key][:-1]))
    msg = raises_naming(f"mnist:{directory}", path)
    assert paths[f"X_{part}"].name in msg  # both files are named


@pytest.mark.parametrize("key,label", [("y_train", 10), ("y_test", 255)])
def test_idx_label_out_of_range(idx_set, key, label):
    directory, paths, arrays = idx_set
    y = arrays[key].copy()
    y[-1] = label
    path = replace_file(paths, key, idx_bytes(y))
    msg = raises_naming(f"mnist:{directory}", path)
    assert str(label) in msg


def test_idx_train_and_test_image_shapes_disagree(tmp_path):
    paths, arrays = make_idx_set(tmp_path)
    replace_file(paths, "X_test", idx_bytes(arrays["X_test"][:, :14, :14]))
    raises_naming(f"mnist:{tmp_path}", tmp_path)


@pytest.mark.parametrize("key", list(IDX_NAMES))
def test_idx_missing_file(idx_set, key):
    directory, paths, _ = idx_set
    paths[key].unlink()
    msg = raises_naming(f"fashion-mnist:{directory}", IDX_NAMES[key])
    assert str(directory) in msg


def test_idx_directory_does_not_exist(tmp_path):
    missing = tmp_path / "nowhere"
    raises_naming(f"mnist:{missing}", missing)


def test_idx_directory_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    raises_naming(f"fashion-mnist:{f}", f)


# --------------------------------------------------------------------------- #
# Fashion-MNIST from the Debian package (loaded once for the module)
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def fashion():
    return load_data("fashion-mnist")


def test_fashion_mnist_package(fashion):
    d = fashion
    assert d.name == "fashion-mnist"
    assert d.X_train.shape == (60000, 784) and d.X_test.shape == (10000, 784)
    assert d.X_train.dtype == np.uint8 and d.X_test.dtype == np.uint8  # bytes, not a float copy
    assert d.X_train.nbytes == 60000 * 784
    assert d.y_train.dtype == np.int64 and d.y_test.dtype == np.int64
    assert d.image_shape == (28, 28) and d.n_classes == 10 and len(d.class_names) == 10
    assert np.array_equal(np.bincount(d.y_train, minlength=10), np.full(10, 6000))
    assert np.array_equal(np.bincount(d.y_test, minlength=10), np.full(10, 1000))
    assert d.X_train.max() == 255 and d.X_train.min() == 0
    # real images, not noise: trousers (1) are darker on average than pullovers (2)
    mean = [d.X_train[d.y_train == k].mean() for k in range(10)]
    assert mean[1] < mean[2]


def test_fashion_mnist_missing_package_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(cdata, "FASHION_MNIST_DIR", tmp_path / "not-installed")
    msg = raises_naming("fashion-mnist", "apt-get install dataset-fashion-mnist")
    assert "fashion-mnist:DIR" in msg


# --------------------------------------------------------------------------- #
# .npz files
# --------------------------------------------------------------------------- #

def blobs(n, rng, k=3, d=4):
    """k well-separated Gaussian clusters in d dimensions: (X, y)."""
    centers = np.eye(k, d) * 6.0
    y = np.arange(n) % k
    X = centers[y] + rng.standard_normal((n, d))
    return X, y


def npz_arrays(seed=0, n_train=60, n_test=30):
    rng = np.random.default_rng(seed)
    X_train, y_train = blobs(n_train, rng)
    X_test, y_test = blobs(n_test, rng)
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test}


def save_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_npz_loads(tmp_path):
    arrays = npz_arrays()
    path = save_npz(tmp_path / "blobs.npz", **arrays)
    d = load_data(str(path))
    assert d.name == "blobs" and d.n_classes == 3 and d.n_features == 4 and d.image_shape is None
    assert d.X_train.dtype == np.float64 and d.y_train.dtype == np.int64
    for k, a in arrays.items():
        np.testing.assert_array_equal(getattr(d, k), a)


def test_npz_images_stay_bytes_and_are_flattened(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(30) % 10
    X = striped_images(y, 10, 6, rng)
    path = save_npz(tmp_path / "img.npz", X_train=X, y_train=y.astype(np.uint8), X_test=X[:7], y_test=y[:7])
    d = load_data(str(path))
    assert d.X_train.dtype == np.uint8 and d.X_train.shape == (30, 60) and d.image_shape == (10, 6)
    np.testing.assert_array_equal(d.X_train, X.reshape(30, 60))
    assert d.y_train.dtype == np.int64


def test_npz_integer_features_become_float(tmp_path):
    arrays = npz_arrays()
    arrays["X_train"] = np.round(arrays["X_train"] * 100).astype(np.int32)
    arrays["X_test"] = np.round(arrays["X_test"] * 100).astype(np.int32)
    d = load_data(str(save_npz(tmp_path / "i.npz", **arrays)))
    assert d.X_train.dtype == np.float64
    np.testing.assert_array_equal(d.X_train, arrays["X_train"])


@pytest.mark.parametrize("missing", ["X_train", "y_train", "X_test", "y_test"])
def test_npz_missing_array(tmp_path, missing):
    arrays = npz_arrays()
    del arrays[missing]
    path = save_npz(tmp_path / "d.npz", **arrays)
    msg = raises_naming(str(path), path)
    assert missing in msg


def _broken(change):
    def apply(arrays):
        change(arrays)
        return arrays
    return apply


NPZ_DAMAGE = {
    "y column vector": _broken(lambda a: a.update(y_train=a["y_train"][:, None])),
    "y one label short": _broken(lambda a: a.update(y_test=a["y_test"][:-1])),
    "y one-hot": _broken(lambda a: a.update(y_train=np.eye(3)[a["y_train"]])),
    "float labels": _broken(lambda a: a.update(y_train=a["y_train"].astype(np.float64))),
    "fractional labels": _broken(lambda a: a.update(y_test=a["y_test"] + 0.5)),
    "bool labels": _broken(lambda a: a.update(y_test=a["y_test"] > 0)),
    "string labels": _broken(lambda a: a.update(y_train=a["y_train"].astype(str))),
    "negative label": _broken(lambda a: a["y_train"].__setitem__(3, -1)),
    "negative test label": _broken(lambda a: a["y_test"].__setitem__(0, -7)),
    "NaN in X_train": _broken(lambda a: a["X_train"].__setitem__((2, 1), np.nan)),
    "inf in X_test": _broken(lambda a: a["X_test"].__setitem__((0, 0), -np.inf)),
    "feature shapes differ": _broken(lambda a: a.update(X_test=a["X_test"][:, :3])),
    "image shapes differ": _broken(
        lambda a: a.update(X_train=a["X_train"].reshape(-1, 2, 2), X_test=a["X_test"].reshape(-1, 4, 1))
    ),
    "X one-dimensional": _broken(lambda a: a.update(X_train=a["X_train"][:, 0])),
    "X empty": _broken(lambda a: a.update(X_train=a["X_train"][:0], y_train=a["y_train"][:0])),
    "X strings": _broken(lambda a: a.update(X_train=a["X_train"].astype(str))),
    "X complex": _broken(lambda a: a.update(X_test=a["X_test"] + 1j)),
    "X bool": _broken(lambda a: a.update(X_train=a["X_train"] > 0)),
}


@pytest.mark.parametrize("damage", list(NPZ_DAMAGE))
def test_npz_invalid_contents(tmp_path, damage):
    arrays = NPZ_DAMAGE[damage](npz_arrays())
    path = save_npz(tmp_path / "d.npz", **arrays)
    raises_naming(str(path), path)


# An object whose unpickling leaves a trace: loading must never get that far.
UNPICKLED = []


def _record_unpickling():
    UNPICKLED.append(True)
    return 0.0


class Tripwire:
    def __reduce__(self):
        return (_record_unpickling, ())


@pytest.mark.parametrize("key", ["X_train", "y_test"])
def test_npz_object_array_is_refused_not_unpickled(tmp_path, key):
    arrays = npz_arrays()
    obj = np.empty(arrays[key].shape, dtype=object)
    obj[...] = Tripwire()
    arrays[key] = obj
    path = save_npz(tmp_path / "evil.npz", **arrays)
    UNPICKLED.clear()
    raises_naming(str(path), path)
    assert UNPICKLED == []


def test_npz_tripwire_works_when_unpickled(tmp_path):
    """The tripwire of the test above does fire when pickles are allowed."""
    path = tmp_path / "t.npz"
    np.savez(path, X_train=np.array([Tripwire()], dtype=object))
    UNPICKLED.clear()
    with np.load(path, allow_pickle=True) as f:
        f["X_train"]
    assert UNPICKLED == [True]


def test_npz_text_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("X_train,y_train\n1,2\n")
    raises_naming(str(path), path)


def test_npz_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    raises_naming(str(path), path)


def test_npz_truncated_archive(tmp_path):
    path = save_npz(tmp_path / "cut.npz", **npz_arrays())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    raises_naming(str(path), path)


def test_npz_zip_without_arrays(tmp_path):
    path = tmp_path / "other.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "not arrays")
    raises_naming(str(path), path)


def test_npz_that_is_a_single_npy_array(tmp_path):
    """A .npy file (one array, not an archive) saved under a .npz name."""
    path = tmp_path / "one.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros((3, 4)))
    raises_naming(str(path), path)


def test_npz_missing_file(tmp_path):
    path = tmp_path / "absent.npz"
    raises_naming(str(path), path)


# --------------------------------------------------------------------------- #
# load_data specs and Dataset.limit
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("spec", ["cifar10", "MNIST", "digits:", "iris", "data.csv", "mnis:/tmp"])
def test_unknown_spec_lists_the_known_forms(spec):
    msg = raises_naming(spec, spec)
    for form in ("digits", "fashion-mnist", "mnist:DIR", ".npz"):
        assert form in msg


@pytest.mark.parametrize("spec", ["", None])
def test_empty_spec(spec):
    with pytest.raises(DataError, match="no data set"):
        load_data(spec)


@pytest.mark.parametrize("kind", ["mnist", "fashion-mnist"])
def test_kind_without_directory(kind):
    msg = raises_naming(f"{kind}:", f"{kind}:")
    assert "directory" in msg


def test_limit_keeps_the_first_training_samples(digits):
    small = digits.limit(100)
    assert small.X_train.shape == (100, 64)
    np.testing.assert_array_equal(small.X_train, digits.X_train[:100])
    np.testing.assert_array_equal(small.y_train, digits.y_train[:100])
    assert small.X_test is digits.X_test and small.y_test is digits.y_test
    assert (small.name, small.n_classes, small.image_shape) == (digits.name, digits.n_classes, digits.image_shape)
    assert digits.X_train.shape == (1347, 64)  # the original is unchanged
    assert digits.limit(None) is digits
    assert digits.limit(10**6).X_train.shape == (1347, 64)
    assert digits.limit(1).X_train.shape == (1, 64)


@pytest.mark.parametrize("n", [0, -1])
def test_limit_must_be_positive(digits, n):
    with pytest.raises(DataError, match="limit"):
        digits.limit(n)


# --------------------------------------------------------------------------- #
# The loaders feed the training engine
# --------------------------------------------------------------------------- #

def test_npz_data_trains_a_network(tmp_path):
    path = save_npz(tmp_path / "blobs.npz", **npz_arrays(n_train=150, n_test=60))
    d = load_data(str(path))
    net = Network([d.n_features, 8, d.n_classes], cost="cross-entropy", seed=0)
    before = net.accuracy(d.X_test, d.y_test)
    history = net.fit(d.X_train, d.y_train, epochs=15, batch_size=10, eta=0.5, eval_data=(d.X_test, d.y_test))
    assert len(history) == 16
    assert history.eval_accuracy[-1] == net.accuracy(d.X_test, d.y_test) >= 0.95
    assert history.eval_cost[-1] < history.eval_cost[0] / 3
    assert before < 0.9


def test_idx_images_train_a_network(tmp_path):
    make_idx_set(tmp_path, n_train=200, n_test=50, h=28, w=28, gz=True)
    d = load_data(f"mnist:{tmp_path}")
    net = Network([d.n_features, 20, 10], cost="cross-entropy", seed=0)
    history = net.fit(d.X_train, d.y_train, epochs=10, batch_size=10, eta=0.5, eval_data=(d.X_test, d.y_test))
    assert history.eval_accuracy[-1] >= 0.9
    assert d.X_train.dtype == np.uint8  # training did not convert the stored data


def test_uint8_rows_are_scaled_to_unit_interval(fashion):
    X = fashion.X_test[:500]
    net = Network([784, 30, 10], cost="cross-entropy", seed=3)
    a_bytes = net.feedforward(X)
    a_float = net.feedforward(X / 255.0)
    assert np.max(np.abs(a_bytes - a_float)) <= 1e-12
    # and not fed raw: the output differs clearly from the network on 0..255
    assert np.max(np.abs(net.feedforward(X.astype(np.float64)) - a_float)) > 0.1
    y = fashion.y_test[:500]
    assert net.accuracy(X, y) == net.accuracy(X / 255.0, y)
    assert net.total_cost(X, y) == pytest.approx(net.total_cost(X / 255.0, y), rel=1e-12)


def test_uint8_training_matches_float_training(fashion):
    X, y = fashion.X_train[:300], fashion.y_train[:300]
    a = Network([784, 16, 10], seed=5)
    b = Network([784, 16, 10], seed=5)
    a.fit(X, y, epochs=2, batch_size=10, eta=0.5, monitor=False)
    b.fit(X / 255.0, y, epochs=2, batch_size=10, eta=0.5, monitor=False)
    for wa, wb in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_allclose(wa, wb, rtol=1e-9, atol=1e-12)
