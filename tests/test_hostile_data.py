"""Hostile data files: IDX and .npz checked from their headers before they are
read in full; decompression bombs, overflowing dimensions, huge labels and
features of absurd magnitude are refused with a DataError, quickly and
without allocating what the file claims.
"""

from __future__ import annotations

import gzip
import io
import struct
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costlab.data import DataError, load_data, memory_budget, read_idx
from test_data import make_idx_set, raises_naming


def small_peak(fn, limit_bytes=20 << 20, seconds=3.0):
    """Run fn(); assert it raised DataError within ``seconds``, allocating at most ``limit_bytes``."""
    tracemalloc.start()
    t = time.monotonic()
    try:
        with pytest.raises(DataError) as e:
            fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - t < seconds
    assert peak < limit_bytes, f"allocated {peak / 2**20:.0f} MiB"
    return str(e.value)


def idx_header(type_code, dims):
    return struct.pack(">BBBB", 0, 0, type_code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)


@pytest.fixture(scope="module")
def bomb():
    """A gzip of under 1 MB that decompresses to 64 MB of zeros after a small IDX header."""
    header = idx_header(0x08, (10, 28, 28))
    return gzip.compress(header + bytes(64 << 20), compresslevel=1, mtime=0)


def test_gzip_bomb_is_stopped_at_the_declared_size(tmp_path, bomb):
    path = tmp_path / "x.idx.gz"
    path.write_bytes(bomb)
    assert len(bomb) < 1 << 20
    msg = small_peak(lambda: read_idx(path))
    assert "trailing bytes" in msg


def test_counts_are_compared_before_a_bomb_is_decompressed(tmp_path, bomb):
    paths, _ = make_idx_set(tmp_path / "idx", gz=True)
    paths["X_train"].write_bytes(gzip.compress(idx_header(0x08, (10**6, 28, 28)) + bytes(1000), mtime=0))
    msg = small_peak(lambda: load_data(f"mnist:{tmp_path / 'idx'}"))
    assert "images but" in msg and "labels" in msg


@pytest.mark.parametrize("dims", [(2**32 - 1, 2**32 - 1, 2**32 - 1), (2**31, 2**31, 4), (65536, 65536, 65536)])
@pytest.mark.parametrize("gz", [False, True])
def test_overflowing_dimensions_are_refused(tmp_path, dims, gz):
    payload = idx_header(0x08, dims) + bytes(100)
    path = tmp_path / ("x.idx.gz" if gz else "x.idx")
    path.write_bytes(gzip.compress(payload, mtime=0) if gz else payload)
    msg = small_peak(lambda: read_idx(path))
    assert str(path) in msg


@given(st.binary(max_size=64))
@settings(max_examples=150, deadline=None)
def test_any_short_file_reads_or_is_refused(data):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/x.idx"
        with open(path, "wb") as f:
            f.write(data)
        try:
            arr = read_idx(path)
        except DataError:
            return
        assert arr.size * arr.itemsize + 4 + 4 * arr.ndim == len(data)


# --------------------------------------------------------------------------- #
# .npz
# --------------------------------------------------------------------------- #

def npy_bytes(array=None, *, descr=None, shape=None) -> bytes:
    """A .npy member: a real array, or a header that claims ``descr``/``shape`` with no data."""
    buf = io.BytesIO()
    if array is not None:
        np.lib.format.write_array(buf, np.asarray(array), allow_pickle=False)
    else:
        np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def write_npz(path, **members):
    good = {"X_train": np.zeros((4, 3)), "y_train": np.arange(4), "X_test": np.zeros((2, 3)), "y_test": np.arange(2)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, value in {**good, **members}.items():
            zf.writestr(f"{key}.npy", value if isinstance(value, bytes) else npy_bytes(value))
    return str(path)


def test_a_good_npz_loads(tmp_path):
    data = load_data(write_npz(tmp_path / "ok.npz"))
    assert data.X_train.shape == (4, 3) and data.n_classes == 4


@pytest.mark.parametrize("member, needle", [
    ({"X_train": npy_bytes(descr="<f8", shape=(10**9, 3)), "y_train": npy_bytes(descr="<i8", shape=(10**9,))},
     "over the budget"),
    ({"X_train": npy_bytes(descr="|O", shape=(4, 3))}, "must hold numbers"),
    ({"X_train": npy_bytes(descr="<c16", shape=(4, 3))}, "must hold numbers"),
    ({"X_train": npy_bytes(descr=[("a", "<f8")], shape=(4,))}, "must hold numbers"),
    ({"y_train": npy_bytes(descr="<i8", shape=(5,))}, "y_train must have shape (4,)"),
    ({"X_test": np.zeros((2, 4))}, "different sample shapes"),
    ({"y_train": np.array([0, 1, 2, 10**9])}, "labels must lie in"),
    ({"X_train": np.full((4, 3), 1e300)}, "scale the features"),
    ({"X_test": np.array([[np.nan, 0, 0], [0, 0, 0]])}, "NaN"),
])
def test_hostile_npz_is_refused_from_its_headers(tmp_path, member, needle):
    path = write_npz(tmp_path / "bad.npz", **member)
    msg = small_peak(lambda: load_data(path))
    assert needle in msg, msg


def test_the_memory_budget_is_settable(tmp_path, monkeypatch):
    path = write_npz(tmp_path / "ok.npz", X_train=np.zeros((1000, 3)), y_train=np.zeros(1000, dtype=np.int64))
    monkeypatch.setenv("COSTLAB_MAX_DATA_BYTES", "10000")
    assert memory_budget() == 10000
    raises_naming(path, "COSTLAB_MAX_DATA_BYTES")
    monkeypatch.setenv("COSTLAB_MAX_DATA_BYTES", "lots")
    raises_naming(path, "COSTLAB_MAX_DATA_BYTES must be a positive whole number")
    monkeypatch.setenv("COSTLAB_MAX_DATA_BYTES", str(10**7))
    assert load_data(path).X_train.shape == (1000, 3)


def test_the_idx_memory_budget_is_checked_from_the_headers(tmp_path, monkeypatch):
    make_idx_set(tmp_path / "idx", n_train=200)
    monkeypatch.setenv("COSTLAB_MAX_DATA_BYTES", "10000")
    raises_naming(f"mnist:{tmp_path / 'idx'}", "over the budget")


@pytest.mark.parametrize("kind", ["fifo", "link-to-zero"])
def test_data_files_must_be_regular(tmp_path, kind):
    import os
    import threading

    paths, _ = make_idx_set(tmp_path / "idx")
    target = paths["X_train"]
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    npz = tmp_path / "d.npz"
    os.mkfifo(npz) if kind == "fifo" else npz.symlink_to("/dev/zero")
    result = []
    t = threading.Thread(target=lambda: result.extend([
        pytest.raises(DataError, load_data, f"mnist:{tmp_path / 'idx'}"),
        pytest.raises(DataError, load_data, str(npz)),
    ]), daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive() and len(result) == 2
