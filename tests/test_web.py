"""costlab serve: the JSON API, its checks and limits, the training stream, the command.

The API runs in-process through Starlette's TestClient; the tests of a client
that goes away, of the stop button's request and of ``costlab serve`` itself
use a real uvicorn server on a free loopback port.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pytest
from starlette.testclient import TestClient

from costlab.neuron import SEED_STARTS, train_neuron
from costlab.web.api import ApiError, Trainer, check_train_params
from costlab.web.app import MAX_BODY_BYTES, STATIC_DIR, background_server, create_app

ROOT = Path(__file__).resolve().parents[1]
STATIC_FILES = ("index.html", "app.js", "charts.js", "style.css", "playground.js", "neuronpic.js")
#: The libraries scripts/vendor.sh takes from npm, each with its licence.
VENDOR_FILES = tuple(f"vendor/{name}{ext}" for name in ("d3-color", "d3-interpolate", "d3-scale-chromatic")
                     for ext in (".min.js", ".LICENSE.txt"))


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url="http://127.0.0.1") as c:
        yield c


def neuron(client, **params):
    r = client.get("/api/neuron", params=params)
    assert r.status_code == 200, r.text
    return r.json()


# --------------------------------------------------------------------------- #
# The neuron: the engine's numbers
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("start", list(SEED_STARTS))
def test_neuron_numbers_are_train_neurons(client, start):
    w, b = SEED_STARTS[start]
    d = neuron(client, w=w, b=b)
    assert d["params"] == {"w": w, "b": b, "x": 1.0, "y": 0.0, "eta": 0.15, "epochs": 300,
                           "costs": ["quadratic", "cross-entropy"]}
    for cost in ("quadratic", "cross-entropy"):
        expected = train_neuron(w, b, cost=cost).history
        got = d["runs"][cost]
        for key in ("epoch", "w", "b", "a", "C"):
            assert got[key] == expected[key], key          # the same floats, bit for bit
    assert d["a0"] == pytest.approx(1 / (1 + math.exp(-(w + b))), rel=1e-15)


def test_neuron_seed_golden_numbers(client):
    d = neuron(client, w=2, b=2)
    q, ce = d["runs"]["quadratic"], d["runs"]["cross-entropy"]
    assert round(q["a"][0], 4) == 0.9820
    assert q["a"][300] == pytest.approx(0.2028, abs=1e-4)
    assert ce["a"][300] == pytest.approx(0.0120, abs=1e-4)
    assert (q["first_below_half"], ce["first_below_half"]) == (232, 17)


def test_neuron_mechanism_per_epoch(client):
    """z = w x + b, sigma'(z) and dC/db (the cost's delta) at every recorded state."""
    d = neuron(client, w=-1.5, b=0.5, x=2, y=0.25, eta=0.5, epochs=40)
    for cost, run in d["runs"].items():
        w, b, a = (np.array(run[k]) for k in ("w", "b", "a"))
        z = np.array(run["z"])
        np.testing.assert_allclose(z, w * 2 + b, rtol=0, atol=1e-12)
        np.testing.assert_allclose(run["slope"], a * (1 - a), rtol=1e-9)
        expected = (a - 0.25) * a * (1 - a) if cost == "quadratic" else a - 0.25
        np.testing.assert_allclose(run["dC_db"], expected, rtol=1e-9, atol=1e-15)
        assert len(z) == 41
    s = d["sigmoid"]
    assert len(s["z"]) == len(s["a"]) == len(s["slope"]) > 100
    assert s["z"][0] <= min(min(r["z"]) for r in d["runs"].values())
    assert s["z"][-1] >= max(max(r["z"]) for r in d["runs"].values())


def test_neuron_start_given_as_a0(client):
    d = neuron(client, w=2, a0=0.5, costs="cross-entropy")
    assert d["params"]["b"] == pytest.approx(-2.0, abs=1e-12)
    assert d["a0"] == pytest.approx(0.5, abs=1e-12)
    assert list(d["runs"]) == ["cross-entropy"]
    expected = train_neuron(2.0, d["params"]["b"], cost="cross-entropy").history
    assert d["runs"]["cross-entropy"]["a"] == expected["a"]


def test_neuron_post_json_answers_as_get(client):
    params = {"w": 0.6, "b": 0.9, "eta": 0.3, "epochs": 25, "costs": ["quadratic"]}
    r = client.post("/api/neuron", json=params)
    assert r.status_code == 200, r.text
    got = r.json()
    expected = neuron(client, w=0.6, b=0.9, eta=0.3, epochs=25, costs="quadratic")
    assert got["runs"] == expected["runs"]


def test_neuron_zero_epochs(client):
    d = neuron(client, w=1, b=1, epochs=0)
    assert d["runs"]["quadratic"]["epoch"] == [0]


def test_neuron_largest_request_is_fast_enough(client):
    t = time.perf_counter()
    d = neuron(client, w=50, b=50, x=10, eta=100, epochs=5000)
    assert len(d["runs"]["quadratic"]["a"]) == 5001
    assert time.perf_counter() - t < 10


def test_presets_are_the_seeds_starts(client):
    r = client.get("/api/presets")
    assert r.status_code == 200
    presets = r.json()["presets"]
    assert [(p["w"], p["b"]) for p in presets] == list(SEED_STARTS.values())
    assert [p["label"] for p in presets] == ["blog post: a0 = 0.82", "blog post: a0 = 0.98"]
    assert all(p["eta"] == 0.15 and p["epochs"] == 300 for p in presets)


# --------------------------------------------------------------------------- #
# The neuron: every check answers 4xx with a message
# --------------------------------------------------------------------------- #

BAD_NEURON = [
    ({"eta": "-1"}, "eta must be a number in (0, 100]"),
    ({"eta": "0"}, "eta must be a number in (0, 100]"),
    ({"eta": "101"}, "eta must be a number in (0, 100]"),
    ({"epochs": "5001"}, "epochs must be a whole number in [0, 5000]"),
    ({"epochs": "-1"}, "epochs must be a whole number in [0, 5000]"),
    ({"epochs": "2.5"}, "epochs must be a whole number"),
    ({"epochs": "1e9"}, "epochs must be a whole number in [0, 5000]"),
    ({"w": "51"}, "w must be a number in [-50, 50]"),
    ({"b": "-50.5"}, "b must be a number in [-50, 50]"),
    ({"w": "abc"}, "w must be a number"),
    ({"w": "nan"}, "w must be a finite number"),
    ({"b": "inf"}, "b must be a finite number"),
    ({"w": ""}, "w must be a number"),
    ({"x": "11"}, "x must be a number in [-10, 10]"),
    ({"y": "1.5"}, "y must be a number in [0, 1]"),
    ({"y": "-0.1"}, "y must be a number in [0, 1]"),
    ({"a0": "1"}, "a0 must be a number in (0, 1)"),
    ({"a0": "0"}, "a0 must be a number in (0, 1)"),
    ({"a0": "0.5", "b": "1"}, "not both"),
    ({"a0": "0.999999", "w": "-50"}, "outside [-50, 50]"),
    ({"costs": "hinge"}, "unknown cost 'hinge'"),
    ({"costs": "log-likelihood"}, "log-likelihood cost does not fit a sigmoid output"),
    ({"costs": ""}, "costs must name 1 to 3 costs"),
    ({"costs": "quadratic,quadratic"}, "the same one twice"),
    ({"gamma": "1"}, "unknown parameter 'gamma'"),
    ({"w": "1" * 100}, "w is too long"),
]


@pytest.mark.parametrize("params, message", BAD_NEURON)
def test_neuron_refuses_bad_parameters(client, params, message):
    r = client.get("/api/neuron", params=params)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert message in r.json()["error"]


@pytest.mark.parametrize("body, message", [
    (b"[1, 2]", "must be a JSON object"),
    (b"{not json", "must be a JSON object"),
    (b'{"w": [1]}', "w must be a number"),
    (b'{"w": true}', "w must be a number"),
    (b'{"epochs": null}', "epochs must be a whole number"),
    (b'{"costs": 3}', "costs must be a comma-separated list"),
])
def test_neuron_refuses_bad_json(client, body, message):
    r = client.post("/api/neuron", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert message in r.json()["error"]


def test_diverging_training_is_refused_with_a_message(client):
    # at eta = 100 and x = 10 the first step throws the output far past y = 0.9: the engine stops it
    r = client.get("/api/neuron", params={"w": 0, "b": 0, "x": 10, "y": 0.9, "eta": 100, "epochs": 100,
                                          "costs": "cross-entropy"})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error.startswith("cross-entropy: training diverged in epoch 1") and "smaller learning rate" in error


def test_oversize_requests_are_refused(client):
    r = client.get("/api/neuron?w=1&pad=" + "1" * 3000)
    assert r.status_code == 414
    assert "query string" in r.json()["error"]
    r = client.post("/api/neuron", content=b"{" + b" " * (MAX_BODY_BYTES + 1) + b"}",
                    headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "larger than" in r.json()["error"]

    def chunks():  # no Content-Length: the body is counted as it arrives
        yield b'{"w": 1, "pad": "'
        for _ in range(20):
            yield b"x" * 1000
        yield b'"}'

    r = client.post("/api/neuron", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_unknown_paths_and_methods_answer_json(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and "not found" in r.json()["error"]
    r = client.delete("/api/neuron")
    assert r.status_code == 405 and "not allowed" in r.json()["error"]
    r = client.post("/api/train/0123456789ab/stop")
    assert r.status_code == 404 and "no training" in r.json()["error"]


# --------------------------------------------------------------------------- #
# The page and its static files
# --------------------------------------------------------------------------- #

def test_page_and_assets_are_served_from_the_package(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    for name in ("app.js", "charts.js", "style.css"):
        assert f'"/static/{name}"' in html
        a = client.get(f"/static/{name}")
        assert a.status_code == 200 and len(a.content) > 500
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp


def test_static_files_load_nothing_from_elsewhere():
    for name in STATIC_FILES + VENDOR_FILES[::2]:
        text = (STATIC_DIR / name).read_text()
        if name.startswith("vendor/"):  # the library's first line names its home page
            text = text.split("\n", 1)[1]
        for url in ("http://", "https://", "//cdn", "@import"):
            # the SVG namespace is a name, not a request
            assert url not in text.replace("http://www.w3.org/2000/svg", ""), (name, url)


def _setuptools_at_least(major: int) -> bool:
    if importlib.util.find_spec("setuptools") is None:
        return False
    from importlib.metadata import version

    return int(version("setuptools").split(".")[0]) >= major


def test_a_wheel_installs_and_serves_the_static_files(tmp_path):
    """A plain (non-editable) install carries the page: build a wheel, install it in a
    folder of its own and serve the files from there."""
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    # build with the environment's setuptools where it is recent enough for pyproject.toml
    # (PEP 639 license strings: 77 or newer): fast and offline; else pip fetches one
    isolation = ["--no-build-isolation"] if _setuptools_at_least(77) else []
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", "-w", str(wheel_dir), str(ROOT)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr
    [wheel] = wheel_dir.glob("costlab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in STATIC_FILES + VENDOR_FILES:
        assert f"costlab/web/static/{name}" in names
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert install.returncode == 0, install.stderr
    script = (
        "import costlab, sys\n"
        f"assert costlab.__file__.startswith({str(target)!r}), costlab.__file__\n"
        "from starlette.testclient import TestClient\n"
        "from costlab.web import create_app\n"
        "c = TestClient(create_app(), base_url='http://127.0.0.1')\n"
        "for name in ('app.js', 'charts.js', 'style.css', 'playground.js', 'vendor/d3-scale-chromatic.min.js'):\n"
        "    r = c.get('/static/' + name); assert r.status_code == 200 and len(r.content) > 500, name\n"
        "r = c.get('/'); assert r.status_code == 200 and 'costlab' in r.text\n"
        "print('served', costlab.__file__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "served" in run.stdout


# --------------------------------------------------------------------------- #
# Networks on the digits: the event stream
# --------------------------------------------------------------------------- #

def parse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_train_stream_yields_every_epoch_then_ends(client):
    r = client.get("/api/train", params={"epochs": 3, "pace": 0, "hidden": 10, "init": "default",
                                         "costs": "cross-entropy,log-likelihood"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = parse_events(r.text)
    kinds = [k for k, _ in events]
    assert kinds == ["start", "epoch", "epoch", "epoch", "epoch", "done"]
    start = events[0][1]
    assert start["params"]["costs"] == ["cross-entropy", "log-likelihood"] and len(start["id"]) == 12
    epochs = [d for k, d in events if k == "epoch"]
    assert [d["epoch"] for d in epochs] == [0, 1, 2, 3]
    for d in epochs:
        for cost in ("cross-entropy", "log-likelihood"):
            run = d["runs"][cost]
            assert 0 <= run["eval_accuracy"] <= 1 and 0 <= run["train_accuracy"] <= 1
            assert run["eval_cost"] > 0
    assert epochs[-1]["runs"]["cross-entropy"]["eval_accuracy"] > 0.5
    assert client.get("/api/train/status").json()["running"] == 0


def test_train_stream_matches_the_engine(client):
    """The streamed accuracies are those of the same two networks trained as a group."""
    from costlab.group import NetworkGroup
    from costlab.network import Network
    from costlab.web.api import digits

    r = client.get("/api/train", params={"epochs": 2, "pace": 0, "hidden": 12, "seed": 3, "eta": 0.3})
    epochs = [d for k, d in parse_events(r.text) if k == "epoch"]
    data, Y, Y_test = digits()
    nets = [Network([64, 12, 10], cost=c, init="large", seed=3) for c in ("quadratic", "cross-entropy")]
    histories = NetworkGroup(nets).fit(data.X_train, Y, epochs=2, batch_size=10, eta=0.3,
                                       eval_data=(data.X_test, Y_test))
    for cost, h in zip(("quadratic", "cross-entropy"), histories):
        assert [d["runs"][cost]["eval_accuracy"] for d in epochs] == h.eval_accuracy


BAD_TRAIN = [
    ({"epochs": "101"}, "epochs must be a whole number in [1, 100]"),
    ({"epochs": "0"}, "epochs must be a whole number in [1, 100]"),
    ({"hidden": "1000"}, "hidden must be a whole number in [1, 100]"),
    ({"batch_size": "0"}, "batch_size must be a whole number in [1, 100]"),
    ({"eta": "0"}, "eta must be a number in (0, 10]"),
    ({"pace": "5000"}, "pace must be a whole number in [0, 1000]"),
    ({"seed": "-1"}, "seed must be a whole number"),
    ({"costs": "quadratic"}, "costs must name exactly 2"),
    ({"costs": "quadratic,cross-entropy,log-likelihood"}, "costs must name exactly 2"),
    ({"costs": "quadratic,hinge"}, "unknown cost 'hinge'"),
    ({"init": "huge"}, "init must be one of: default, large"),
    ({"data": "mnist"}, "unknown parameter 'data'"),
]


@pytest.mark.parametrize("params, message", BAD_TRAIN)
def test_train_refuses_bad_parameters(client, params, message):
    r = client.get("/api/train", params=params)
    assert r.status_code == 400
    assert message in r.json()["error"]


def test_trainer_runs_at_most_its_limit():
    trainer = Trainer(max_jobs=1)
    params = check_train_params({"epochs": "100", "pace": "1000"})
    job = trainer.start(params)
    try:
        with pytest.raises(ApiError) as e:
            trainer.start(params)
        assert e.value.status == 429 and "stop one or wait" in e.value.message
    finally:
        job.stop()
        assert job.wait(5)  # its process is gone
    assert trainer.running() == []
    assert [k for k, _ in drain(job)][-1] == "stopped"


def drain(job):
    out = []
    while not job.events.empty():
        out.append(job.events.get_nowait())
    return out


# --------------------------------------------------------------------------- #
# A real server: clients that go away, the stop request, the command
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def live():
    with background_server() as url:
        yield url


def wait_until_idle(url, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/api/train/status").json()["running"] == 0:
            return True
        time.sleep(0.05)
    return False


class Events:
    """Server-sent events read from a streaming response, as many as asked at a time.

    One text iterator is kept for the whole response: closing an iterator of
    httpx closes the connection, which the server takes as a client going away.
    """

    def __init__(self, response):
        self.chunks = response.iter_text()
        self.buffer = ""

    def read(self, count):
        events = []
        while len(events) < count:
            if "\n\n" in self.buffer:
                block, self.buffer = self.buffer.split("\n\n", 1)
                events.extend(parse_events(block))
                continue
            try:
                self.buffer += next(self.chunks)
            except StopIteration:
                break
        return events


def test_training_stops_when_the_client_goes_away(live):
    with httpx.stream("GET", f"{live}/api/train", params={"epochs": 100, "pace": 300}, timeout=10) as r:
        assert r.status_code == 200
        reader = Events(r)
        events = reader.read(2)
        assert [k for k, _ in events] == ["start", "epoch"]
        start = events[0][1]
        assert httpx.get(f"{live}/api/train/status").json() == {"running": 1, "max": 2, "yours": []}
        mine = httpx.get(f"{live}/api/train/status", headers={"X-Costlab-Token": start["token"]}).json()
        assert mine["yours"] == [start["id"]]
    # the connection is closed: the server stops the worker
    assert wait_until_idle(live)


def test_stop_request_ends_the_stream(live):
    with httpx.stream("GET", f"{live}/api/train", params={"epochs": 100, "pace": 300}, timeout=10) as r:
        events = Events(r)
        start, _ = events.read(2)
        job_id = start[1]["id"]
        s = httpx.post(f"{live}/api/train/{job_id}/stop", headers={"X-Costlab-Token": start[1]["token"]})
        assert s.status_code == 200 and s.json() == {"stopped": job_id}
        rest = events.read(100)
    kinds = [k for k, _ in rest]
    assert kinds[-1] == "stopped"
    assert len(kinds) < 5          # ended within an epoch or two, not after 100
    assert wait_until_idle(live)


def test_a_third_training_is_refused(live):
    streams = [httpx.stream("GET", f"{live}/api/train", params={"epochs": 100, "pace": 500}, timeout=10)
               for _ in range(2)]
    readers = []
    try:
        for s in streams:
            r = s.__enter__()
            assert r.status_code == 200
            readers.append(Events(r))
            readers[-1].read(1)
        r = httpx.get(f"{live}/api/train", params={"epochs": 2})
        assert r.status_code == 429
        assert "trainings are running" in r.json()["error"]
        # the neuron still answers while two trainings run
        t = time.perf_counter()
        assert httpx.get(f"{live}/api/neuron", params={"w": 2, "b": 2}).status_code == 200
        assert time.perf_counter() - t < 5
    finally:
        for s in streams:
            s.__exit__(None, None, None)
    assert wait_until_idle(live)


def test_costlab_serve_serves_the_page(tmp_path):
    with subprocess.Popen([sys.executable, "-m", "costlab", "serve", "--port", "0"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=tmp_path) as proc:
        try:
            line = proc.stdout.readline()
            assert line.startswith("costlab serve: http://127.0.0.1:"), line
            url = line.split()[2].rstrip("/")
            assert httpx.get(url + "/").status_code == 200
            r = httpx.get(url + "/api/neuron", params={"w": 2, "b": 2, "epochs": 10})
            assert r.status_code == 200
        finally:
            proc.terminate()
            proc.wait(10)


def test_costlab_serve_refuses_a_bad_port():
    run = subprocess.run([sys.executable, "-m", "costlab", "serve", "--port", "70000"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip() == "costlab serve: error: --port must be a whole number in [0, 65535], got 70000"


def test_costlab_serve_reports_a_busy_port(live):
    port = live.rsplit(":", 1)[1]
    run = subprocess.run([sys.executable, "-m", "costlab", "serve", "--port", port],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "cannot listen on 127.0.0.1:" in run.stderr
    assert "Traceback" not in run.stderr


def test_presets_carry_the_palette_and_the_chinese_catalogue(client):
    from costlab import i18n, palette

    j = client.get("/api/presets").json()
    assert j["palette"] == palette.as_json()
    assert j["messages"]["zh"] == i18n.ZH


def test_neuron_answers_the_logit_view(client):
    """C and |dC/dz| of one output against z under both costs: their ratio is 1/sigma'(z)."""
    d = neuron(client, w=2, b=2, y=0.25)["logit"]
    z = np.array(d["z"])
    assert z[0] == -10 and z[-1] == 10 and len(z) == 401
    a = 1 / (1 + np.exp(-z))
    q, ce = d["quadratic"], d["cross-entropy"]
    np.testing.assert_allclose(q["C"], (a - 0.25) ** 2 / 2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ce["C"], -(0.25 * np.log(a) + 0.75 * np.log1p(-a)), rtol=1e-10)
    np.testing.assert_allclose(ce["dC_dz"], np.abs(a - 0.25), rtol=1e-12)
    np.testing.assert_allclose(np.array(ce["dC_dz"]) / np.array(q["dC_dz"]), 1 / (a * (1 - a)), rtol=1e-9)


# --------------------------------------------------------------------------- #
# The third tab: each layer's speed of learning
# --------------------------------------------------------------------------- #

def test_layers_stream_is_the_engines_per_layer_record(client):
    from costlab.group import NetworkGroup
    from costlab.network import Network
    from costlab.web.api import digits

    r = client.get("/api/layers", params={"epochs": 2, "pace": 0, "depth": 2, "hidden": 12,
                                          "costs": "quadratic,cross-entropy", "activations": "sigmoid,relu"})
    assert r.status_code == 200
    events = parse_events(r.text)
    assert [k for k, _ in events] == ["start"] + ["epoch"] * 6 + ["done"]
    epochs = [d for k, d in events if k == "epoch"]
    assert [(d["activation"], d["epoch"]) for d in epochs] == [(a, e) for a in ("sigmoid", "relu") for e in (0, 1, 2)]
    data, Y, _ = digits()
    for activation in ("sigmoid", "relu"):
        nets = [Network([64, 12, 12, 10], cost=c, activation=activation, seed=0) for c in ("quadratic", "cross-entropy")]
        hs = NetworkGroup(nets).fit(data.X_train, Y, epochs=2, eta=0.1, layers=True)
        for cost, h in zip(("quadratic", "cross-entropy"), hs):
            assert [d["runs"][cost]["speed"] for d in epochs if d["activation"] == activation] == h.layers["speed"]
    sig0 = epochs[0]["runs"]["quadratic"]["speed"]
    assert len(sig0) == 3 and sig0[0] < sig0[1]  # the first hidden layer is the slowest


@pytest.mark.parametrize("params, message", [
    ({"depth": "5"}, "depth must be a whole number in [1, 4]"),
    ({"epochs": "61"}, "epochs must be a whole number in [1, 60]"),
    ({"activations": "sigmoid,softmax"}, "unknown activation 'softmax'"),
    ({"costs": ""}, "costs must name 1 to 3"),
])
def test_layers_refuses_bad_parameters(client, params, message):
    r = client.get("/api/layers", params=params)
    assert r.status_code == 400 and message in r.json()["error"]


# --------------------------------------------------------------------------- #
# The playground
# --------------------------------------------------------------------------- #

PLAYGROUND = {"data": "xor", "hidden": "3,2", "act": "tanh,relu", "cost": "cross-entropy", "eta": "0.3",
              "epochs": "4", "pace": "0", "autoplay": "1", "n": "120", "seed": "5", "noise": "10"}


def test_playground_streams_the_engines_network(client):
    """Each update's figures are those of the same Network trained by fit, and the grids its outputs."""
    import base64

    from costlab.engine import feedforward
    from costlab.network import Network
    from costlab.web.playground import GRID, features, grid_points, make_points

    r = client.post("/api/playground", json=PLAYGROUND)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_events(r.text)
    assert [k for k, _ in events] == ["start", "data"] + ["update"] * 5 + ["done"]
    data, updates = events[1][1], [d for k, d in events if k == "update"]
    assert data["sizes"] == [2, 3, 2, 1] and len(data["train"]) == 60 and len(data["test"]) == 60

    rng = np.random.default_rng(5)
    P, labels = make_points("xor", 120, 0.1, rng)
    order = rng.permutation(120)
    X, y = features(P[order], ["x1", "x2"]), labels[order]
    np.testing.assert_allclose(data["train"], np.round(P[order][:60], 3))
    net = Network([2, 3, 2, 1], cost="cross-entropy", activation=["tanh", "relu"], seed=5)
    h = net.fit(X[:60], y[:60], epochs=4, batch_size=10, eta=0.3, eval_data=(X[60:], y[60:]), monitor="exact",
                layers=True)
    assert [u["epoch"] for u in updates] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([u["test_cost"] for u in updates], h.eval_cost, rtol=1e-12)
    np.testing.assert_allclose([u["train_accuracy"] for u in updates], h.train_accuracy)
    np.testing.assert_allclose(updates[-1]["speed"], h.layers["speed"][-1], rtol=1e-12)
    assert updates[-1]["dead"][1] == h.layers["dead"][-1][1] and updates[-1]["saturated"][0] is not None
    # the boundary: the output over the 64 x 64 grid, as bytes
    _, acts = feedforward(list(net.weights), list(net.biases), features(grid_points(GRID), ["x1", "x2"]),
                          net._hidden, net._output)
    boundary = np.frombuffer(base64.b64decode(updates[-1]["boundary"]), dtype=np.uint8)
    assert boundary.shape == (GRID * GRID,)
    assert np.max(np.abs(boundary - np.rint(acts[-1][:, 0] * 255))) <= 1
    assert [len(layer) for layer in updates[-1]["neurons"]] == [3, 2]
    thumb = base64.b64decode(updates[-1]["neurons"][0][0]["b64"])
    assert len(thumb) == data["thumb"] ** 2 and updates[-1]["neurons"][0][0]["lo"] == -1.0
    probe = updates[-1]["probe"]
    assert probe["z"] == pytest.approx(np.dot(probe["w"], probe["inputs"]) + probe["b"])
    assert client.get("/api/train/status").json()["running"] == 0


def test_playground_warns_with_the_engines_layer_warning(client):
    r = client.post("/api/playground", json={**PLAYGROUND, "hidden": "3", "act": "sigmoid", "cost": "quadratic",
                                             "init": "large", "seed": "3", "features": "x1sq,x2sq,x1x2"})
    warned = [w for k, d in parse_events(r.text) if k == "update" for w in d["warnings"]]
    assert len(warned) == 1  # said once, when it is first seen
    assert warned[0]["kind"] == "saturated" and warned[0]["layer"] == 1 and warned[0]["epoch"] == 0
    assert warned[0]["text"].startswith("hidden layer 1 (sigmoid) is saturated before training")


@pytest.mark.parametrize("params, message", [
    ({"hidden": "9"}, "1 to 8 neurons"),
    ({"hidden": "1,1,1,1,1,1,1", "act": "tanh"}, "at most 6 hidden layers"),
    ({"hidden": "4,x"}, "1 to 8 neurons"),
    ({"act": "softplus"}, "unknown activation"),
    ({"act": "tanh,relu,tanh"}, "one per hidden layer"),
    ({"output": "relu"}, "output must be one of"),
    ({"output": "softmax", "cost": "cross-entropy"}, "does not fit a softmax output"),
    ({"cost": "log-likelihood"}, "does not fit a sigmoid output"),
    ({"cost": "a ** b ** (y"}, "cost"),
    ({"eta": "0"}, "eta must be"),
    ({"eta": "nan"}, "eta"),
    ({"epochs": "1000000"}, "epochs must be"),
    ({"n": "5"}, "n must be"),
    ({"noise": "99"}, "noise must be"),
    ({"ratio": "100"}, "ratio must be"),
    ({"batch": "0"}, "batch must be"),
    ({"momentum": "1"}, "momentum must be"),
    ({"l2": "-1"}, "l2 must be"),
    ({"features": "x3"}, "unknown feature"),
    ({"features": ""}, "one to seven"),
    ({"data": "moon"}, "data must be one of"),
    ({"data": "points"}, "needs the points"),
    ({"csv": "1,2,0"}, "only read with data=points"),
    ({"data": "csv", "csv": "x1,x2,label\n1,2,0\n1,2\n"}, "CSV line 3"),
    ({"init": "huge"}, "init must be one of"),
    ({"autoplay": "yes"}, "autoplay must be one of"),
    ({"speed": "1"}, "unknown parameter 'speed'"),
    ({"hidden": ["4"]}, "comma-separated"),
])
def test_playground_refuses_bad_settings_with_one_line(client, params, message):
    r = client.post("/api/playground", json={**PLAYGROUND, **params})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert message in error and "\n" not in error


@pytest.mark.parametrize("text, message", [
    ("x1,x2,label\n1,2,0\n0,0,1\n1,1,1\n2,2,7\n", "CSV line 5: the label must be 0 or 1"),
    ("x1,x2,label\n1,2,0\n0,0,1\n1,one,1\n", "CSV line 4: not numbers"),
    ("x1,x2,label\n1,2,0\n9,0,1\n", "CSV line 3: x1 and x2 must lie in [-6, 6]"),
    ("a,b,c\n1,2,0\n", "CSV line 1: the header must be x1,x2,label"),
    ("1,2,0\n0,0,1\n", "at least 4 are needed"),
    ("1,2,0\n" * 501, "CSV line 501: more than 500 rows"),
    ("1,2,0,3\n", "CSV line 1: expected 3 values"),
    ("1e999,2,0\n0,0,1\n1,1,1\n2,2,0\n", "CSV line 1: x1 and x2 must lie"),
])
def test_a_bad_csv_is_refused_naming_its_line(client, text, message):
    r = client.post("/api/playground/check", json={"csv": text})
    assert r.status_code == 400 and message in r.json()["error"], r.text


def test_a_good_csv_is_checked_and_trained(client):
    text = "x1,x2,label\r\n" + "\r\n".join(f"{x:.2f},{-x:.2f},{int(x > 0)}" for x in np.linspace(-5, 5, 40))
    assert client.post("/api/playground/check", json={"csv": text}).json() == {"rows": 40, "class_1": 20}
    r = client.post("/api/playground", json={**PLAYGROUND, "data": "csv", "csv": text, "epochs": "2"})
    events = parse_events(r.text)
    assert [k for k, _ in events][-1] == "done" and len(events[1][1]["train"]) == 20
    assert "csv" not in events[0][1]["params"]
    too_long = client.post("/api/playground/check", json={"csv": "1,2,0\n" * 1300})
    assert too_long.status_code == 413  # the body limit, before any parsing


def test_playground_pauses_steps_and_stops_by_its_token(live):
    with httpx.stream("POST", f"{live}/api/playground", json={**PLAYGROUND, "autoplay": "0", "epochs": "50"},
                      timeout=10) as r:
        events = Events(r)
        start, data, first = events.read(3)
        assert first[0] == "update" and first[1]["epoch"] == 0
        job, token = start[1]["id"], start[1]["token"]
        url = f"{live}/api/playground/{job}/control"
        assert httpx.post(url, json={"do": "step"}).status_code == 404          # no token
        assert httpx.post(url, json={"do": "step"}, headers={"X-Costlab-Token": "x" * 32}).status_code == 404
        bad = httpx.post(url, json={"do": "jump"}, headers={"X-Costlab-Token": token})
        assert bad.status_code == 400 and "do must be one of" in bad.json()["error"]
        assert httpx.post(url, json={"do": "step"}, headers={"X-Costlab-Token": token}).json() == {"playing": False}
        assert events.read(1)[0][1]["epoch"] == 1
        # another point for the neuron's picture: a paused run sends the epoch's pictures again
        httpx.post(url, json={"do": "probe", "probe": 7}, headers={"X-Costlab-Token": token})
        again = events.read(1)[0][1]
        assert again["again"] and again["epoch"] == 1 and again["probe"]["index"] == 7
        time.sleep(0.3)  # paused: nothing more comes
        assert httpx.post(url, json={"do": "stop"}, headers={"X-Costlab-Token": token}).status_code == 200
        rest = events.read(5)
    assert [k for k, _ in rest] == ["stopped"]
