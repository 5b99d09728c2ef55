"""The README is what a newcomer reruns: every number in it that a quick command prints is printed again
here, and the test fails where the README disagrees.

What is checked, each at the place the README marks with ``<!-- check: NAME -->`` or shows as a
transcript (a code block whose first line is ``$ costlab ...``):

- every transcript: the command is run again and prints exactly the lines shown (stdout and stderr);
- ``reproduce-table``: the table of ``costlab reproduce`` (its ``table.md``);
- ``digits-costs``: the accuracies of ``costlab train --data digits`` quoted in prose and in the
  Python example;
- ``layers-table``: the table of ``costlab layers`` on the digits;
- the report's size (``costlab report``) and the number of tests, within a tolerance.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from clitools import run_main

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text()


def block_after(name: str) -> str:
    """The lines after ``<!-- check: NAME -->`` up to the next blank line."""
    m = re.search(rf"<!-- check: {re.escape(name)} -->\n(.*?)(?:\n\n|\Z)", TEXT, re.S)
    assert m, f"README has no <!-- check: {name} --> block"
    return m.group(1)


def transcripts() -> list[tuple[str, list[str]]]:
    """Every code block that starts with ``$ costlab ...``: the command and the lines it prints."""
    found = []
    for block in re.findall(r"```[a-z]*\n(\$ costlab [^\n]*\n.*?)```", TEXT, re.S):
        first, *rest = block.rstrip("\n").split("\n")
        found.append((first[2:], rest))
    return found


@pytest.mark.parametrize("command, lines", transcripts(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_transcript_prints_what_the_readme_shows(command, lines, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    quiet = command.endswith("> /dev/null")  # the transcript shows stderr alone
    argv = shlex.split(command.removesuffix("> /dev/null"))[1:]
    code, out, err = run_main(*argv)
    printed = [line.rstrip() for line in (err if quiet else out + err if code == 0 else err).splitlines() if line.strip()]
    if any(": error: " in line for line in lines):
        assert code == 2
    assert printed == [line.rstrip() for line in lines if line.strip()], f"{command} prints:\n" + "\n".join(printed)


def test_transcripts_are_found():
    commands = [c for c, _ in transcripts()]
    assert any(c.startswith("costlab neuron --w 2 --b 2 --eta -1") for c in commands)  # the error message quoted
    assert any(c.startswith("costlab train") for c in commands)  # the warning quoted


def test_reproduce_table(tmp_path):
    code, _, err = run_main("reproduce", "--out", str(tmp_path))
    assert code == 0, err
    table = [line for line in (tmp_path / "table.md").read_text().splitlines() if line.startswith("|")]
    assert block_after("reproduce-table").splitlines() == table


def _accuracy(cost: str) -> list[float]:
    code, out, err = run_main("train", "--data", "digits", "--cost", cost, "--epochs", "30", "--json")
    assert code == 0, err
    return json.loads(out)["history"]["eval_accuracy"]


def test_digits_costs():
    ce, q = _accuracy("cross-entropy"), _accuracy("quadratic")
    said = block_after("digits-costs")
    expected = (f"cross-entropy reaches {100 * ce[30]:.1f}% and quadratic {100 * q[30]:.1f}%; after three epochs "
                f"they stand\nat {100 * ce[3]:.1f}% and {100 * q[3]:.1f}%")
    assert expected.replace("\n", " ") in said.replace("\n", " ")
    # the Python example trains the same network: its accuracy as the comment says
    assert f"net.accuracy(data.X_test, data.y_test)    # {ce[30]:.4f}" in TEXT


def layers_table(result: dict) -> list[str]:
    """The README's table of ``costlab layers``: ||nabla_b^l|| before training per layer, first / last hidden,
    test accuracy at the end."""
    L = len(result["runs"][0]["speed"][0])
    names = [f"h{l + 1}" for l in range(L - 1)] + ["output"]
    rows = [f"| cost, activation | {' | '.join(names)} | h1 / h{L - 1} | test accuracy after "
            f"{result['config']['epochs']} epochs |", "|" + "---|" * (L + 3)]
    for run in result["runs"]:
        speed = run["speed"][0]
        rows.append(f"| {run['cost']}, {run['activation']} | " + " | ".join(f"{v:.1e}" for v in speed)
                    + f" | {speed[0] / speed[L - 2]:.3f} | {100 * run['eval_accuracy'][-1]:.1f}% |")
    return rows


def test_layers_table(tmp_path):
    command = re.search(r"costlab layers --data digits [^\n]*\\\n[^\n#]*", TEXT).group(0)
    argv = shlex.split(command.replace("\\\n", " "))[1:] + ["--json"]
    code, out, err = run_main(*argv[:argv.index("--out")], *argv[argv.index("--out") + 2:])
    assert code == 0, err
    assert block_after("layers-table").splitlines() == layers_table(json.loads(out))


def test_report_size(tmp_path):
    m = re.search(r"writes one self-contained HTML file \(about ([\d.]+) MB\)", TEXT)
    assert m, "the README says how large the report is"
    code, _, err = run_main("report", "--out", str(tmp_path / "report.html"))
    assert code == 0, err
    size = (tmp_path / "report.html").stat().st_size / 1e6
    assert abs(size - float(m.group(1))) <= 0.15 * size, f"the report is {size:.2f} MB"


def test_number_of_tests(request):
    m = re.search(r"about ([\d,]+) tests", TEXT)
    assert m, "the README says how many tests there are"
    said = int(m.group(1).replace(",", ""))
    items = request.session.items
    if len(items) < 1000:  # this file alone: count the whole suite
        import subprocess
        import sys

        proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", str(README.parent / "tests")],
                              capture_output=True, text=True, timeout=600, cwd=README.parent)
        count = int(re.search(r"(\d+) tests? collected", proc.stdout).group(1))
    else:
        count = len(items)
    assert abs(count - said) <= 0.1 * count, f"{count} tests"


def test_map_shares():
    code, out, err = run_main("map", "--json")
    assert code == 0, err
    summary = {s["cost"]: s for s in json.loads(out)["summary"]}
    q, ce = summary["quadratic"], summary["cross-entropy"]
    said = " ".join(block_after("map-shares").split())
    assert f"With the quadratic cost {q['share_reached']:.0%} of the starts reach a = 0.1 within 300 epochs" in said
    assert ce["share_reached"] == 1.0 and "with the cross-entropy all of them do" in said
    assert f"the slowest in {ce['worst_start']['first_epoch']} epochs" in said


def test_compare_table():
    # the README's command; one worker gives exactly the results of several
    code, out, err = run_main("compare", "--seeds", "5", "--epochs", "30", "--workers", "1", "--json")
    assert code == 0, err
    rows = ["| init | cost | epoch 1 | epoch 3 | epoch 30 | epochs to 90% |", "|---|---|---|---|---|---|"]
    for r in json.loads(out)["summary"]:
        mean, std = r["eval_accuracy_mean"], r["eval_accuracy_std"]
        cells = [f"{100 * mean[e]:.1f} ± {100 * std[e]:.1f}%" for e in (1, 3, 30)]
        reached = f"{r['epochs_to_target_mean']:.1f}"
        if r["reached_target"] < r["runs"]:
            reached += f" ({r['reached_target']} of {r['runs']} runs)"
        rows.append(f"| {r['init']} | {r['cost']} | " + " | ".join(cells) + f" | {reached} |")
    assert block_after("compare-table").splitlines() == rows
