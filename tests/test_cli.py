"""The costlab command line: its output, its files and its errors.

Commands run in-process through click's test runner; a few run as a real
subprocess (``python -m costlab``) to check the exit status and that stderr
holds exactly one line and no traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from costlab import __version__
from clitools import PNG_MAGIC, invoke, run_main, run_process

HISTORY_KEYS = ("epoch", "w", "b", "a", "C")
FIGURES = ("cost-vs-epoch", "cost-vs-epoch-all", "output-vs-epoch", "sigmoid-slopes", "gradient-vs-output")


def neuron_json(*args):
    code, out, err = invoke("neuron", "--json", *args)
    assert code == 0, err
    return json.loads(out)


# --------------------------------------------------------------------------- #
# costlab neuron
# --------------------------------------------------------------------------- #

def test_neuron_json_has_the_documented_keys_and_lengths():
    d = neuron_json("--w", "2", "--b", "2", "--epochs", "40")
    for key in ("cost", "eta", "epochs", "x", "y", "history"):
        assert key in d
    assert (d["cost"], d["eta"], d["epochs"], d["x"], d["y"]) == ("quadratic", 0.15, 40, 1.0, 0.0)
    for key in HISTORY_KEYS:
        assert len(d["history"][key]) == 41
    assert d["history"]["epoch"] == list(range(41))
    assert (d["history"]["w"][0], d["history"]["b"][0]) == (2.0, 2.0)


def test_neuron_json_is_exactly_one_object():
    code, out, _ = invoke("neuron", "--json", "--w", "2", "--b", "2", "--epochs", "3")
    assert code == 0
    assert out.count("\n") == 1
    assert isinstance(json.loads(out), dict)


@pytest.mark.parametrize(
    "w, b, a0, a300",
    [("0.6", "0.9", 0.8176, 0.094), ("2", "2", 0.9820, 0.203)],
)
def test_neuron_golden_numbers_quadratic(w, b, a0, a300):
    a = neuron_json("--w", w, "--b", b, "--cost", "quadratic")["history"]["a"]
    assert len(a) == 301
    assert round(a[0], 4) == a0
    assert a[300] == pytest.approx(a300, abs=0.001)


@pytest.mark.parametrize("w, b", [("0.6", "0.9"), ("2", "2")])
def test_neuron_cross_entropy_learns_fast_from_both_starts(w, b):
    d = neuron_json("--w", w, "--b", b, "--cost", "cross-entropy")
    assert d["cost"] == "cross-entropy"
    assert d["history"]["a"][300] < 0.02


def test_neuron_options_reach_the_run():
    d = neuron_json("--w", "-1", "--b", "0.5", "--x", "2", "--y", "0.25", "--eta", "0.5",
                    "--epochs", "7", "--cost", "cross-entropy")
    assert (d["x"], d["y"], d["eta"], d["epochs"]) == (2.0, 0.25, 0.5, 7)
    assert len(d["history"]["C"]) == 8


def test_neuron_with_zero_epochs_records_the_start_only():
    d = neuron_json("--w", "2", "--b", "2", "--epochs", "0")
    assert d["history"]["epoch"] == [0]


def test_neuron_summary_for_people():
    code, out, _ = invoke("neuron", "--w", "2", "--b", "2")
    assert code == 0
    assert "quadratic" in out
    assert "0.9820" in out and "0.2028" in out
    assert "first epoch with a < 0.5: 232" in out


def test_neuron_summary_says_never_when_the_output_stays_high():
    code, out, _ = invoke("neuron", "--w", "2", "--b", "2", "--epochs", "20")
    assert code == 0
    assert "first epoch with a < 0.5: never" in out


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_neuron_plot_writes_a_figure(tmp_path, suffix):
    path = tmp_path / f"neuron{suffix}"
    code, out, err = invoke("neuron", "--w", "2", "--b", "2", "--epochs", "30", "--plot", str(path))
    assert code == 0, err
    data = path.read_bytes()
    if suffix == ".png":
        assert data.startswith(PNG_MAGIC)
    else:
        assert ET.fromstring(data).tag.endswith("svg")
    assert str(path) in out
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_neuron_plot_with_json_still_prints_only_json(tmp_path):
    path = tmp_path / "n.png"
    code, out, _ = invoke("neuron", "--json", "--w", "2", "--b", "2", "--epochs", "5", "--plot", str(path))
    assert code == 0
    json.loads(out)
    assert path.read_bytes().startswith(PNG_MAGIC)


# --------------------------------------------------------------------------- #
# costlab reproduce
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def reproduced(tmp_path_factory):
    out = tmp_path_factory.mktemp("repro") / "out"
    code, stdout, stderr = invoke("reproduce", "--out", str(out))
    assert code == 0, stderr
    return out, stdout


def test_reproduce_writes_every_figure_as_png_and_svg(reproduced):
    out, _ = reproduced
    for stem in FIGURES:
        assert (out / f"{stem}.png").read_bytes().startswith(PNG_MAGIC)
        assert ET.parse(out / f"{stem}.svg").getroot().tag.endswith("svg")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files
    # each figure says which costlab drew it, and with what
    from PIL import Image

    from costlab import __version__

    with Image.open(out / "cost-vs-epoch.png") as im:
        stamp = json.loads(im.text["costlab"])
    assert stamp["costlab"] == __version__
    assert stamp["parameters"] == {"figure": "cost-vs-epoch", "eta": 0.15, "epochs": 300, "x": 1.0, "y": 0.0}


def test_reproduce_results_json_holds_the_four_runs(reproduced):
    out, _ = reproduced
    results = json.loads((out / "results.json").read_text())
    runs = results["runs"]
    assert len(runs) == 4
    assert {(r["w0"], r["b0"], r["cost"]) for r in runs} == {
        (w, b, c) for w, b in ((0.6, 0.9), (2.0, 2.0)) for c in ("quadratic", "cross-entropy")
    }
    for r in runs:
        for key in HISTORY_KEYS:
            assert len(r["history"][key]) == 301
    final = {(r["w0"], r["cost"]): r["history"]["a"][300] for r in runs}
    assert final[(0.6, "quadratic")] == pytest.approx(0.094, abs=0.001)
    assert final[(2.0, "quadratic")] == pytest.approx(0.203, abs=0.001)
    assert final[(0.6, "cross-entropy")] < 0.02 and final[(2.0, "cross-entropy")] < 0.02
    rows = results["table"]["rows"]
    assert len(rows) == 4
    assert [row["first_below_half"] for row in rows] == [36, 8, 232, 17]
    assert len(results["table"]["text"]) == 5


def test_reproduce_prints_the_table_and_where_the_files_went(reproduced):
    out, stdout = reproduced
    for number in ("0.8176", "0.9820", "0.0940", "0.2028", "232"):
        assert number in stdout
    assert str(out.resolve()) in stdout
    assert (out / "table.md").read_text().startswith("| start a0 | cost |")


def test_reproduce_takes_eta_and_epochs(tmp_path):
    code, out, err = invoke("reproduce", "--out", str(tmp_path), "--eta", "0.5", "--epochs", "20")
    assert code == 0, err
    runs = json.loads((tmp_path / "results.json").read_text())["runs"]
    assert {(r["eta"], r["epochs"]) for r in runs} == {(0.5, 20)}
    assert "a(20)" in out


def test_reproduce_with_zero_epochs_shows_the_starts(tmp_path):
    code, out, err = invoke("reproduce", "--out", str(tmp_path), "--epochs", "0")
    assert code == 0, err
    assert "a(0)" in out and "never" in out
    assert (tmp_path / "gradient-vs-output.png").read_bytes().startswith(PNG_MAGIC)


def test_reproduce_writes_to_costlab_out_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke("reproduce", "--epochs", "2")
    assert code == 0, err
    assert (tmp_path / "costlab-out" / "results.json").is_file()


# --------------------------------------------------------------------------- #
# Bad input: one line on stderr, exit status 2
# --------------------------------------------------------------------------- #

BAD_INPUT = [
    (["neuron", "--w", "2", "--b", "2", "--cost", "hinge"], "--cost"),
    (["neuron", "--w", "abc", "--b", "2"], "--w must be a number"),
    (["neuron", "--w", "nan", "--b", "2"], "--w must be a finite number, got nan"),
    (["neuron", "--w", "2", "--b", "inf"], "--b must be a finite number"),
    (["neuron", "--w", "2", "--b", "2", "--x", "-inf"], "--x must be a finite number"),
    (["neuron", "--w", "2", "--b", "2", "--eta", "NaN"], "--eta must be a finite number"),
    (["neuron", "--w", "2", "--b", "2", "--epochs", "-1"], "--epochs must be a whole number in [0, 100000], got -1"),
    (["neuron", "--w", "2", "--b", "2", "--epochs", "2.5"], "--epochs must be a whole number"),
    (["neuron", "--w", "2", "--b", "2", "--eta", "-1"], "--eta must be a number in (0, 1000], got -1"),
    (["neuron", "--w", "2", "--b", "2", "--eta", "0"], "--eta must be a number in (0, 1000], got 0"),
    (["neuron", "--w", "2", "--b", "2", "--cost", "cross-entropy", "--y", "1.5"], "--y must lie in [0, 1]"),
    (["neuron", "--w", "2", "--b", "2", "--cost", "cross-entropy", "--y", "-0.1"], "--y must lie in [0, 1]"),
    (["neuron", "--w", "2", "--b", "2", "--plot", "/proc/costlab.png"], "--plot cannot be written"),
    (["neuron", "--w", "2", "--b", "2", "--plot", "fig.pdf"], "--plot must end in .png or .svg"),
    (["neuron", "--w", "2", "--b", "2", "--plot", "fig"], "--plot must end in .png or .svg"),
    (["neuron", "--w", "1e308", "--b", "1e308"], "--w must be a number in [-1000000, 1000000], got 1e308"),
    (["neuron", "--b", "2"], "Missing option '--w'"),
    (["neuron", "--w"], "requires an argument"),
    (["neuron", "--w", "2", "--b", "2", "--epoch", "3"], "No such option"),
    (["reproduce", "--out", "/proc/costlab-out"], "--out cannot be written"),
    (["reproduce", "--eta", "-0.1"], "--eta must be a number in (0, 1000]"),
    (["reproduce", "--epochs", "ten"], "--epochs must be a whole number"),
    (["frobnicate"], "No such command"),
    (["--frobnicate"], "No such option"),
]


@pytest.mark.parametrize("args, expected", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_and_exit_2(args, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(*args)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("costlab")
    assert ": error: " in lines[0]
    assert expected in lines[0]
    assert "Traceback" not in err


def test_error_line_names_the_command():
    _, _, err = run_main("neuron", "--w", "2", "--b", "2", "--eta", "-1")
    assert err == "costlab neuron: error: --eta must be a number in (0, 1000], got -1\n"


def test_unwritable_paths_under_a_regular_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n")
    code, _, err = run_main("neuron", "--w", "2", "--b", "2", "--plot", str(blocker / "x.png"))
    assert code == 2 and "is not a directory" in err and len(err.splitlines()) == 1
    for out in (blocker, blocker / "sub"):
        code, _, err = run_main("reproduce", "--out", str(out))
        assert code == 2 and "is not a directory" in err and len(err.splitlines()) == 1
    assert blocker.read_text() == "not a directory\n"


def test_plot_into_a_missing_directory_is_refused(tmp_path):
    code, _, err = run_main("neuron", "--w", "2", "--b", "2", "--plot", str(tmp_path / "no" / "x.png"))
    assert code == 2 and "--plot cannot be written" in err


def test_plot_path_that_is_a_directory_is_refused(tmp_path):
    d = tmp_path / "fig.png"
    d.mkdir()
    code, _, err = run_main("neuron", "--w", "2", "--b", "2", "--plot", str(d))
    assert code == 2 and "is a directory" in err


def test_bad_input_writes_no_files(tmp_path):
    out = tmp_path / "out"
    code, _, _ = run_main("reproduce", "--out", str(out), "--eta", "0")
    assert code == 2
    assert not out.exists()


def test_main_succeeds_with_status_0(tmp_path):
    code, out, err = run_main("neuron", "--w", "2", "--b", "2", "--epochs", "1")
    assert (code, err) == (0, "")
    assert "first epoch" in out


def test_no_command_shows_the_help():
    code, out, _ = run_main()
    assert code == 0
    assert "neuron" in out and "reproduce" in out


def test_keyboard_interrupt_is_one_line_and_exit_130(monkeypatch):
    import costlab.neuron

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(costlab.neuron, "train_neuron", interrupted)
    code, _, err = run_main("neuron", "--w", "2", "--b", "2")
    assert code == 130
    assert [line for line in err.splitlines() if line] == ["costlab: interrupted"]


def test_an_internal_bug_keeps_its_traceback(monkeypatch):
    import costlab.neuron

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(costlab.neuron, "train_neuron", broken)
    with pytest.raises(KeyError):
        run_main("neuron", "--w", "2", "--b", "2")


# --------------------------------------------------------------------------- #
# As a real process
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize(
    "args",
    [
        ["neuron", "--w", "2", "--b", "2", "--eta", "-1"],
        ["neuron", "--w", "2", "--b", "2", "--cost", "hinge"],
        ["neuron", "--w", "2", "--b", "2", "--bogus"],
        ["reproduce", "--out", "/proc/costlab-out"],
    ],
)
def test_process_bad_input_exit_2_one_line_no_traceback(args):
    p = run_process(*args)
    assert p.returncode == 2
    assert p.stdout == ""
    assert len(p.stderr.splitlines()) == 1, p.stderr
    assert "Traceback" not in p.stderr
    assert p.stderr.startswith("costlab")


def test_process_neuron_json():
    p = run_process("neuron", "--w", "0.6", "--b", "0.9", "--json")
    assert p.returncode == 0, p.stderr
    assert round(json.loads(p.stdout)["history"]["a"][0], 4) == 0.8176


def test_help_and_version():
    code, out, _ = invoke("--help")
    assert code == 0 and "neuron" in out and "reproduce" in out
    code, out, _ = invoke("--version")
    assert (code, out) == (0, f"costlab {__version__}\n")
    for command in ("neuron", "reproduce"):
        code, out, _ = invoke(command, "--help")
        assert code == 0 and "--eta" in out
    p = run_process("--version")
    assert (p.returncode, p.stdout, p.stderr) == (0, f"costlab {__version__}\n", "")


def test_neuron_offers_exactly_the_costs_made_for_a_sigmoid_output():
    from costlab.cli.neuron import NEURON_COSTS
    from costlab.costs import COSTS

    assert set(NEURON_COSTS) == {name for name, c in COSTS.items() if "sigmoid" in c.activations}


def test_importing_the_cli_does_not_import_the_heavy_libraries():
    code = (
        "import sys, costlab.cli; "
        "print(sorted(m for m in ('matplotlib', 'sympy', 'rich', 'numpy', 'scipy') if m in sys.modules))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
