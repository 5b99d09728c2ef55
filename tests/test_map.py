"""The map of the learning slowdown: ``slowdown_map`` and ``costlab map``.

Every cell of the map is the seed's neuron trained from that start, so the
cells are checked against :func:`costlab.neuron.train_neuron` (the neuron
trained alone); then the claims the map makes visible (the seed's 0.98 start,
the cross-entropy reaching the target from everywhere, the first epoch a
function of w x + b alone), the summary, the JSON and the command's files and
errors.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from costlab.activations import sigmoid
from costlab.neuron import train_neuron
from costlab.slowdown import MAX_STARTS, SlowdownMap, parse_range, slowdown_map
from clitools import PNG_MAGIC, invoke, run_main, strict_json

COSTS = ("quadratic", "cross-entropy")


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def first_epoch_alone(w, b, cost, x=1.0, y=0.0, eta=0.15, epochs=300, target=0.1):
    """The first epoch at which the neuron trained alone has |a - y| <= |target - y|, or -1."""
    a = np.asarray(train_neuron(w, b, cost=cost, x=x, y=y, eta=eta, epochs=epochs).history["a"])
    hits = np.flatnonzero(np.abs(a - y) <= abs(target - y))
    return int(hits[0]) if hits.size else -1


W21 = np.linspace(-6, 6, 21)   # steps of 0.6


@pytest.fixture(scope="module")
def small_map():
    return slowdown_map(COSTS, W21, W21, epochs=300)


# --------------------------------------------------------------------------- #
# Cells against the neuron trained alone
# --------------------------------------------------------------------------- #

CELLS = [(0, 0), (10, 10), (20, 20), (4, 16), (16, 4), (13, 12), (11, 14), (19, 18), (2, 20), (20, 3)]


@pytest.mark.parametrize("cost", COSTS)
def test_cells_equal_the_neuron_trained_alone(small_map, cost):
    grid = small_map.first_epoch[cost]
    assert grid.shape == (21, 21) and grid.dtype.kind == "i"
    seen = set()
    for i, j in CELLS:
        expected = first_epoch_alone(W21[j], W21[i], cost)
        assert grid[i, j] == expected, f"start w = {W21[j]:g}, b = {W21[i]:g}"
        seen.add("never" if expected < 0 else "at once" if expected == 0 else "later")
    assert {"at once", "later"} <= seen
    if cost == "quadratic":
        assert "never" in seen


@pytest.mark.parametrize("cost", COSTS)
def test_cells_with_other_x_y_eta_and_target_equal_the_neuron_alone(cost):
    w, b = np.linspace(-3, 3, 7), np.linspace(-4, 4, 5)
    kw = dict(x=-1.5, y=0.3, eta=0.5, epochs=80, target=0.35)
    smap = slowdown_map([cost], w, b, **kw)
    grid = smap.first_epoch[cost]
    assert grid.shape == (5, 7)
    for i, j in [(0, 0), (4, 6), (2, 3), (1, 5), (3, 1), (0, 6)]:
        assert grid[i, j] == first_epoch_alone(w[j], b[i], cost, **kw)
    assert (grid > 0).any()


def test_y_1_is_the_mirror_of_y_0():
    # sigma(-z) = 1 - sigma(z): from (-w, -b) towards 1 is from (w, b) towards 0
    w = np.linspace(-4, 4, 9)
    down = slowdown_map(COSTS, w, w, y=0.0, target=0.1, epochs=200)
    up = slowdown_map(COSTS, -w, -w, y=1.0, target=0.9, epochs=200)
    for cost in COSTS:
        np.testing.assert_array_equal(up.first_epoch[cost], down.first_epoch[cost])


# --------------------------------------------------------------------------- #
# What the map shows
# --------------------------------------------------------------------------- #

def test_the_seeds_098_start_never_arrives_with_the_quadratic_cost():
    smap = slowdown_map(COSTS, [2.0], [2.0], epochs=300)
    assert smap.first_epoch["quadratic"][0, 0] == -1
    ce = int(smap.first_epoch["cross-entropy"][0, 0])
    assert 0 < ce <= 300
    assert ce == first_epoch_alone(2.0, 2.0, "cross-entropy")
    assert round(float(smap.a0[0, 0]), 2) == 0.98


def test_the_seeds_082_start_arrives_with_both_costs_cross_entropy_first():
    smap = slowdown_map(COSTS, [0.6], [0.9], epochs=300)
    q, ce = int(smap.first_epoch["quadratic"][0, 0]), int(smap.first_epoch["cross-entropy"][0, 0])
    assert 0 < ce < q <= 300


@pytest.fixture(scope="module")
def default_range_map():
    # the default range -6..6, coarser: 101 x 101 starts, corners included
    return slowdown_map(COSTS, np.linspace(-6, 6, 101), np.linspace(-6, 6, 101))


def test_cross_entropy_arrives_from_every_start_the_quadratic_does_not(default_range_map):
    m = default_range_map
    assert m.share_reached("cross-entropy") == 1.0
    assert 0.5 < m.share_reached("quadratic") < 0.9
    assert (m.first_epoch["cross-entropy"] >= 0).all()
    # where both arrive, the cross-entropy is never slower
    both = m.first_epoch["quadratic"] >= 0
    assert (m.first_epoch["cross-entropy"][both] <= m.first_epoch["quadratic"][both]).all()


def test_worst_starts_of_the_default_range(default_range_map):
    q = default_range_map.worst_start("quadratic")
    ce = default_range_map.worst_start("cross-entropy")
    assert (q["w"], q["b"], q["first_epoch"]) == (6.0, 6.0, None)
    assert (ce["w"], ce["b"]) == (6.0, 6.0)
    assert ce["first_epoch"] == int(default_range_map.first_epoch["cross-entropy"].max())
    assert ce["first_epoch"] == first_epoch_alone(6.0, 6.0, "cross-entropy")
    assert ce["a0"] == pytest.approx(float(sigmoid(12.0)), abs=1e-15)


@pytest.mark.parametrize("x", [1.0, 2.0])
def test_the_first_epoch_depends_on_w_x_plus_b_only(x):
    # z moves by -eta delta (x^2 + 1) each epoch: cells with the same z0 = w x + b are equal
    # (steps of 0.5: every w x + b is exact)
    w = np.linspace(-6, 6, 25)
    smap = slowdown_map(COSTS, w, w, x=x)
    z0 = w[None, :] * x + w[:, None]
    for cost in COSTS:
        grid = smap.first_epoch[cost]
        for z in np.unique(z0):
            cells = grid[z0 == z]
            assert (cells == cells[0]).all(), f"{cost}: starts with w x + b = {z:g} differ: {cells}"
        # and the time grows with the initial output: sorted by z0, never shorter
        order = np.argsort(z0.ravel(), kind="stable")
        epochs = np.where(grid.ravel() < 0, 10 ** 6, grid.ravel())[order]
        assert (np.diff(epochs) >= 0).all()
    if x == 1.0:
        # the anti-diagonals of the grid
        q = smap.first_epoch["quadratic"]
        for s in range(2 * 25 - 1):
            diag = [q[i, s - i] for i in range(max(0, s - 24), min(25, s + 1))]
            assert len(set(diag)) == 1


def test_zero_epochs_is_the_start():
    smap = slowdown_map(COSTS, W21, W21, epochs=0)
    for cost in COSTS:
        g = smap.first_epoch[cost]
        np.testing.assert_array_equal(g, np.where(smap.a0 <= 0.1, 0, -1))


def test_two_workers_give_the_same_grids(small_map):
    smap = slowdown_map(COSTS, W21, W21, epochs=300, workers=2)
    for cost in COSTS:
        np.testing.assert_array_equal(smap.first_epoch[cost], small_map.first_epoch[cost])
    assert smap.to_dict() == small_map.to_dict()


def test_a0_is_sigma_of_w_x_plus_b():
    smap = slowdown_map(["quadratic"], [1.0, 2.0, 3.0], [-1.0, 0.5], x=0.5, epochs=1)
    assert smap.a0.shape == (2, 3)
    for i, b in enumerate([-1.0, 0.5]):
        for j, w in enumerate([1.0, 2.0, 3.0]):
            assert smap.a0[i, j] == pytest.approx(1 / (1 + np.exp(-(0.5 * w + b))), rel=1e-15)


# --------------------------------------------------------------------------- #
# Summary and JSON
# --------------------------------------------------------------------------- #

def crafted(grid, y=0.0):
    """A SlowdownMap with a hand-made first-epoch grid (rows b, columns w)."""
    grid = np.asarray(grid)
    w = np.linspace(-1, 1, grid.shape[1])
    b = np.linspace(-2, 2, grid.shape[0])
    return SlowdownMap(w, b, 1.0, y, 0.15, 100, 0.1, {"quadratic": grid})


def test_share_reached_counts_the_starts_that_arrive():
    assert crafted([[0, -1, 5], [7, -1, -1]]).share_reached("quadratic") == 0.5
    assert crafted([[-1, -1]]).share_reached("quadratic") == 0.0
    assert crafted([[0, 100]]).share_reached("quadratic") == 1.0


def test_worst_start_never_counts_as_slowest_and_ties_go_to_the_largest_error():
    # a0 grows with w + b: with y = 0 the largest error is the top-right cell
    m = crafted([[3, 50, 50], [-1, 50, -1]])
    worst = m.worst_start("quadratic")
    assert (worst["w"], worst["b"], worst["first_epoch"]) == (1.0, 2.0, None)
    assert worst["a0"] == pytest.approx(float(sigmoid(3.0)))
    # no "never": the slowest start, ties broken by the error
    m = crafted([[3, 50, 50], [7, 50, 9]])
    worst = m.worst_start("quadratic")
    assert (worst["w"], worst["b"], worst["first_epoch"]) == (0.0, 2.0, 50)
    # with y = 1 the largest error is at the bottom left
    m = crafted([[50, 3, 3], [50, 3, 3]], y=1.0)
    assert (m.worst_start("quadratic")["w"], m.worst_start("quadratic")["b"]) == (-1.0, -2.0)


def test_to_dict_is_json_with_null_for_never(small_map):
    d = small_map.to_dict()
    text = json.dumps(d, allow_nan=False)
    back = strict_json(text)
    assert back["w"] == W21.tolist() and back["b"] == W21.tolist()
    assert (back["x"], back["y"], back["eta"], back["epochs"], back["target"]) == (1.0, 0.0, 0.15, 300, 0.1)
    for cost in COSTS:
        grid = back["first_epoch"][cost]
        assert len(grid) == 21 and all(len(row) == 21 for row in grid)
        expected = small_map.first_epoch[cost]
        for i in range(21):
            for j in range(21):
                assert grid[i][j] == (None if expected[i, j] < 0 else int(expected[i, j]))
    assert any(v is None for row in back["first_epoch"]["quadratic"] for v in row)
    assert [s["cost"] for s in back["summary"]] == list(COSTS)
    for s in back["summary"]:
        assert s["share_reached"] == small_map.share_reached(s["cost"])
        assert s["worst_start"] == small_map.worst_start(s["cost"])


# --------------------------------------------------------------------------- #
# parse_range and the core's checks
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize(
    "text, expected",
    [
        ("-6:6:5", [-6.0, -3.0, 0.0, 3.0, 6.0]),
        ("0:1:2", [0.0, 1.0]),
        ("2", [2.0]),
        ("-0.5", [-0.5]),
        ("1:1:1", [1.0]),
        ("3:0:1", [3.0]),
        (" -1 : 1 : 3 ", [-1.0, 0.0, 1.0]),
        ("1e-1:2e-1:2", [0.1, 0.2]),
    ],
)
def test_parse_range_good(text, expected):
    values = parse_range(text, "--w")
    assert isinstance(values, np.ndarray)
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "text, message",
    [
        ("1:0:5", "LO must be below HI"),
        ("1:1:2", "LO must be below HI"),
        ("-6:6:0", "N must be >= 1"),
        ("-6:6:-3", "N must be >= 1"),
        ("abc", "must be a number or LO:HI:N"),
        ("", "must be a number or LO:HI:N"),
        ("1:2", "must be a number or LO:HI:N"),
        ("1:2:3:4", "must be a number or LO:HI:N"),
        ("1:2:3.5", "must be a number or LO:HI:N"),
        ("a:2:3", "must be a number or LO:HI:N"),
        ("nan", "finite"),
        ("inf", "finite"),
        ("-inf:0:3", "finite"),
        ("0:nan:3", None),
    ],
)
def test_parse_range_bad(text, message):
    with pytest.raises(ValueError) as exc:
        parse_range(text, "--w")
    assert str(exc.value).startswith("--w")
    if message is not None:
        assert message in str(exc.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(w=np.zeros(1002), b=np.zeros(1001)), f"at most {MAX_STARTS} starts"),
        (dict(target=1.5), "target must lie in [0, 1]"),
        (dict(target=-0.1), "target must lie in [0, 1]"),
        (dict(y=2.0), "y must lie in [0, 1]"),
        (dict(costs=["log-likelihood"]), "does not fit"),
        (dict(costs=["hinge"]), "hinge"),
        (dict(eta=float("nan")), "eta must be finite"),
        (dict(x=float("inf")), "x must be finite"),
        (dict(eta=0.0), "eta"),
        (dict(eta=-0.1), "eta"),
        (dict(epochs=-1), "epochs"),
    ],
)
def test_slowdown_map_refuses_bad_arguments(kwargs, message):
    kw = dict(costs=COSTS, w=[1.0], b=[1.0])
    kw.update(kwargs)
    with pytest.raises(ValueError) as exc:
        slowdown_map(**kw)
    assert message in str(exc.value)


def test_a_quadratic_map_may_aim_outside_0_1():
    # the quadratic cost accepts any y; only the cross-entropy needs y in [0, 1]
    smap = slowdown_map(["quadratic"], [0.0], [0.0], y=2.0, target=1.0, epochs=50)
    assert smap.first_epoch["quadratic"].shape == (1, 1)


# --------------------------------------------------------------------------- #
# costlab map
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def map_json():
    code, out, err = invoke("map", "--w", "-6:6:41", "--b", "-6:6:41", "--json")
    assert code == 0, err
    return strict_json(out)


def test_map_json_has_the_grid_and_summary(map_json):
    d = map_json
    assert len(d["w"]) == len(d["b"]) == 41
    assert d["w"][0] == -6.0 and d["w"][-1] == 6.0
    assert set(d["first_epoch"]) == set(COSTS)
    for cost in COSTS:
        grid = d["first_epoch"][cost]
        assert len(grid) == 41 and all(len(row) == 41 for row in grid)
    shares = {s["cost"]: s["share_reached"] for s in d["summary"]}
    assert shares["cross-entropy"] == 1.0 and shares["quadratic"] < 1.0
    worst = {s["cost"]: s["worst_start"] for s in d["summary"]}
    assert worst["quadratic"]["first_epoch"] is None
    assert (d["eta"], d["epochs"], d["target"], d["x"], d["y"]) == (0.15, 300, 0.1, 1.0, 0.0)
    # the same numbers as the Python API
    smap = slowdown_map(COSTS, np.linspace(-6, 6, 41), np.linspace(-6, 6, 41))
    assert d == json.loads(json.dumps(smap.to_dict()))


def test_map_options_reach_the_computation():
    code, out, err = invoke("map", "--costs", "cross-entropy", "--w", "-2:2:5", "--b", "1", "--x", "0.5",
                            "--y", "0.2", "--eta", "0.3", "--epochs", "40", "--target", "0.25", "--json",
                            "--workers", "1")
    assert code == 0, err
    d = strict_json(out)
    assert list(d["first_epoch"]) == ["cross-entropy"]
    assert (d["x"], d["y"], d["eta"], d["epochs"], d["target"]) == (0.5, 0.2, 0.3, 40, 0.25)
    assert d["b"] == [1.0] and d["w"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    expected = [first_epoch_alone(w, 1.0, "cross-entropy", x=0.5, y=0.2, eta=0.3, epochs=40, target=0.25)
                for w in d["w"]]
    assert [(-1 if v is None else v) for v in d["first_epoch"]["cross-entropy"][0]] == expected


def test_map_prints_the_shares_and_the_worst_start():
    code, out, err = invoke("map", "--w", "-6:6:21", "--b", "-6:6:21", "--workers", "1")
    assert code == 0 and err == ""
    assert "21 x 21 starts" in out
    assert "quadratic" in out and "cross-entropy" in out
    assert "100.0%" in out            # the cross-entropy reaches it from every start
    assert "never" in out             # the quadratic's worst start
    assert "(6, 6)" in out
    assert "1 worker" in out


def test_map_out_writes_png_svg_and_json(tmp_path):
    out = tmp_path / "maps"
    code, stdout, err = invoke("map", "--w", "-6:6:21", "--b", "-6:6:21", "--epochs", "100", "--out", out, "--json")
    assert code == 0, err
    printed = strict_json(stdout)             # --json: only the JSON on stdout
    assert (out / "slowdown-map.png").read_bytes()[:8] == PNG_MAGIC
    root = ET.parse(out / "slowdown-map.svg").getroot()
    assert root.tag.endswith("svg")
    saved = strict_json((out / "slowdown-map.json").read_text())
    assert saved == printed
    assert saved["epochs"] == 100


def test_map_of_one_cost_draws_its_figure(tmp_path):
    code, out, err = invoke("map", "--costs", "quadratic", "--w", "-3:3:7", "--b", "-3:3:7", "--epochs", "50",
                            "--out", tmp_path)
    assert code == 0, err
    assert (tmp_path / "slowdown-map.png").read_bytes()[:8] == PNG_MAGIC
    assert list(strict_json((tmp_path / "slowdown-map.json").read_text())["first_epoch"]) == ["quadratic"]
    assert "wrote" in out


BAD_MAP = [
    (["--costs", "foo"], "--costs: unknown cost 'foo'; choose one of: quadratic, cross-entropy"),
    (["--costs", "log-likelihood"], "--costs: the log-likelihood cost does not fit a sigmoid output"),
    (["--costs", ","], "--costs: empty cost in the list"),
    (["--w", "1:0:5"], "--w: LO must be below HI"),
    (["--w", "abc"], "--w must be a number or LO:HI:N"),
    (["--b", "abc"], "--b must be a number or LO:HI:N"),
    (["--w", "-6:6:0"], "--w: N must be >= 1"),
    (["--w", "nan"], "--w must be finite"),
    (["--w", "-6:6:1002", "--b", "-6:6:1001"], "at most 1002001 starts"),
    (["--w", "0:1:2000000", "--b", "0"], "at most 1002001 starts"),
    (["--epochs", "-1"], "--epochs must be a whole number in [0, 100000], got -1"),
    (["--epochs", "100001"], "--epochs must be a whole number in [0, 100000], got 100001"),
    (["--epochs", "3.5"], "--epochs must be a whole number"),
    (["--eta", "0"], "--eta must be a number in (0, 1000], got 0"),
    (["--eta", "-1"], "--eta must be a number in (0, 1000]"),
    (["--eta", "inf"], "--eta must be a finite number"),
    (["--target", "2"], "--target must be a number in [0, 1], got 2"),
    (["--target", "-0.1"], "--target must be a number in [0, 1], got -0.1"),
    (["--y", "2"], "--y must lie in [0, 1] for the cross-entropy cost, got 2"),
    (["--x", "nan"], "--x must be a finite number"),
    (["--workers", "0"], "--workers must be a whole number in [1, "),
    (["--out", "/proc/costlab-map"], "--out cannot be written"),
]


@pytest.mark.parametrize("args, expected", BAD_MAP, ids=[" ".join(a) for a, _ in BAD_MAP])
def test_map_bad_input_is_one_line_and_exit_2(args, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main("map", "--w", "-1:1:3", "--b", "-1:1:3", "--epochs", "5", *args)
    assert code == 2, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("costlab map: error: "), err
    assert expected in lines[0]
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_map_out_under_a_regular_file_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n")
    for out in (blocker, blocker / "sub"):
        code, _, err = run_main("map", "--w", "0", "--b", "0", "--out", out)
        assert code == 2 and len(err.splitlines()) == 1
        assert "--out cannot be written" in err and "is not a directory" in err
    assert blocker.read_text() == "not a directory\n"


def test_map_quadratic_alone_accepts_y_outside_0_1():
    code, out, err = invoke("map", "--costs", "quadratic", "--y", "2", "--target", "1", "--w", "0", "--b", "0",
                            "--epochs", "10", "--json")
    assert code == 0, err
    assert strict_json(out)["y"] == 2.0


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


@pytest.mark.parametrize(
    "args",
    [
        ["--costs", "foo"],
        ["--w", "1:0:5"],
        # a grid this size must be refused before its values are computed (80 GB)
        ["--w", "0:1:10000000000", "--b", "0"],
        # refused as not finite, without NumPy's warnings from computing the range first
        ["--w", "-inf:0:3", "--b", "0"],
    ],
    ids=["costs", "range", "huge-N", "infinite-LO"],
)
def test_map_process_bad_input_exit_2_one_line(args):
    p = subprocess.run([sys.executable, "-m", "costlab", "map", *args], capture_output=True, text=True,
                       timeout=120, preexec_fn=_limit_memory)
    assert p.returncode == 2, p.stderr[-2000:]
    assert p.stdout == ""
    assert len(p.stderr.splitlines()) == 1, p.stderr[-2000:]
    assert p.stderr.startswith("costlab map: error: ")
