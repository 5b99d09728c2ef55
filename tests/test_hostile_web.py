"""Hostile input against the page: foreign hosts and origins, other clients' jobs,
nested JSON, slow clients, a flood of computations, and signals with streams open.

In-process checks use Starlette's TestClient; the rest talk to a uvicorn server
the test started on 127.0.0.1 (in a thread, or ``costlab serve`` stopped by its
PID). Every request loop is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import costlab.web.app as web_app
import costlab.web.server as web_server
from costlab.web.app import background_server, create_app


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(allowed_hosts=("lab.example",)), base_url="http://127.0.0.1:8765") as c:
        yield c


def parse_events(text):
    out = []
    for block in text.strip().split("\n\n"):
        kind = data = None
        for line in block.splitlines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data = json.loads(line[5:])
        if kind:
            out.append((kind, data))
    return out


class Stream:
    """Server-sent events of one streaming response, read a few at a time."""

    def __init__(self, response):
        self.chunks = response.iter_text()
        self.buffer = ""

    def read(self, count):
        events = []
        while len(events) < count:
            if "\n\n" in self.buffer:
                block, self.buffer = self.buffer.split("\n\n", 1)
                events += parse_events(block)
                continue
            try:
                self.buffer += next(self.chunks)
            except StopIteration:
                break
        return events


# --------------------------------------------------------------------------- #
# Host and origin
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "localhostx",
                                  "[::2]:8765", ""])
def test_foreign_host_names_are_refused(client, host):
    r = client.get("/", headers={"host": host})
    assert r.status_code in (400, 421)
    assert "error" in r.json()
    r = client.get("/api/neuron", params={"epochs": 1}, headers={"host": host})
    assert r.status_code in (400, 421)


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:8765", "lab.example:1"])
def test_own_host_names_are_answered(client, host):
    assert client.get("/api/presets", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("headers", [
    {"origin": "http://evil.example", "content-type": "text/plain"},
    {"origin": "null"},
    {"origin": "http://127.0.0.1:9999"},
    {"referer": "http://evil.example/page.html"},
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site"},
])
def test_computation_from_another_origin_is_refused(client, headers):
    r = client.post("/api/neuron", content=b'{"epochs": 1}', headers=headers)
    assert r.status_code == 403 and "another origin" in r.json()["error"]
    r = client.get("/api/train", params={"epochs": 1}, headers=headers)
    assert r.status_code == 403
    r = client.post("/api/train/0123456789ab/stop", headers=headers)
    assert r.status_code == 403


def test_same_origin_and_plain_clients_compute(client):
    for headers in ({}, {"origin": "http://127.0.0.1:8765"}, {"sec-fetch-site": "same-origin"},
                    {"referer": "http://127.0.0.1:8765/"}):
        r = client.post("/api/neuron", content=b'{"epochs": 1}', headers=headers)
        assert r.status_code == 200, (headers, r.text)


# --------------------------------------------------------------------------- #
# JSON bodies
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("body", [b"[" * 5000, b'{"w": ' + b"[" * 3000 + b"]" * 3000 + b"}",
                                  b'{"costs": [[["quadratic"]]]}', b'{"w": {"a": {"b": 1}}}',
                                  b"\xff\xfe{}", b'{"epochs": 1e999}', b'{"w": ' + b"9" * 5000 + b"}"])
def test_hostile_json_gets_4xx(client, body):
    r = client.post("/api/neuron", content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["w", "b", "a0", "x", "y", "eta", "epochs", "costs", "zz"]), json_values,
                       max_size=4))
def test_any_json_object_gets_an_answer_not_a_crash(client, body):
    body = {**body, "epochs": 2} if "epochs" not in body else body
    r = client.post("/api/neuron", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert r.status_code in (200, 400, 413, 422), r.text
    assert r.json()


PLAYGROUND_KEYS = ["data", "n", "noise", "ratio", "seed", "features", "hidden", "act", "output", "cost", "init",
                   "eta", "batch", "l2", "momentum", "csv", "probe", "zz"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(PLAYGROUND_KEYS), json_values | st.sampled_from(["4,4", "relu", "1,2,1"]),
                       max_size=4))
def test_any_playground_settings_get_an_answer_not_a_crash(client, body):
    """Whatever the page sends: a 4xx with one line, or a short run (one epoch at full speed) that ends."""
    body = {**body, "epochs": "1", "pace": "0", "autoplay": "1"}
    r = client.post("/api/playground", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert r.status_code in (200, 400, 413), r.text
    if r.status_code == 200:
        assert [kind for kind, _ in parse_events(r.text)][-1] == "done"
    else:
        assert "\n" not in r.json()["error"]
    check = client.post("/api/playground/check", content=json.dumps({"csv": body.get("csv", "")}).encode(),
                        headers={"content-type": "application/json"})
    assert check.status_code in (200, 400, 413) and check.json()


def test_playgrounds_are_bounded_and_answer_only_their_page():
    """At most two at once; a page of another origin cannot start one; others cannot steer one."""
    settings_ = {"autoplay": "0", "epochs": "100", "n": "40"}
    with background_server() as url:
        foreign = httpx.post(f"{url}/api/playground", json=settings_, headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 403
        streams = [httpx.stream("POST", f"{url}/api/playground", json=settings_, timeout=10) for _ in range(2)]
        try:
            starts, readers = [], []  # the readers kept: dropping one closes its connection
            for s in streams:
                r = s.__enter__()
                assert r.status_code == 200
                readers.append(Stream(r))
                starts.append(readers[-1].read(1)[0][1])
            third = httpx.post(f"{url}/api/playground", json=settings_)
            assert third.status_code == 429
            control = f"{url}/api/playground/{starts[0]['id']}/control"
            theirs = httpx.post(control, json={"do": "play"}, headers={"X-Costlab-Token": starts[1]["token"]})
            assert theirs.status_code == 404 and starts[0]["token"] not in theirs.text
        finally:
            for s in streams:
                s.__exit__(None, None, None)
        # the pages went away: their runs end, and their places are free again
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            r = httpx.post(f"{url}/api/playground", json={**settings_, "autoplay": "1", "epochs": "1", "pace": "0"})
            if r.status_code == 200:
                break
            time.sleep(0.1)
        assert r.status_code == 200 and parse_events(r.text)[-1][0] == "done"


# --------------------------------------------------------------------------- #
# A real server
# --------------------------------------------------------------------------- #

@pytest.fixture()
def quick_timeouts(monkeypatch):
    monkeypatch.setattr(web_server, "HEADER_TIMEOUT_S", 0.5)
    monkeypatch.setattr(web_app, "BODY_TIMEOUT_S", 0.5)


def test_half_sent_requests_are_closed(quick_timeouts):
    with background_server() as url:
        port = int(url.rsplit(":", 1)[1])
        # headers that never end: the connection is closed
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            t = time.monotonic()
            assert s.recv(1024) == b""
            assert time.monotonic() - t < 3
        # a body that never ends: 408
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"POST /api/neuron HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{\"w\": ")
            answer = s.recv(4096)
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_other_clients_neither_see_nor_stop_a_training():
    with background_server() as url:
        with httpx.stream("GET", f"{url}/api/train", params={"epochs": 50, "pace": 200}, timeout=10) as r:
            events = Stream(r)
            (kind, start), _ = events.read(2)
            assert kind == "start" and len(start["token"]) >= 32
            job = start["id"]
            other = httpx.get(f"{url}/api/train/status").json()
            assert other["running"] == 1 and other["yours"] == []
            assert start["token"] not in json.dumps(other)
            for token in (None, "", "x" * 32, start["token"][:-1]):
                headers = {} if token is None else {"X-Costlab-Token": token}
                s = httpx.post(f"{url}/api/train/{job}/stop", headers=headers)
                assert s.status_code == 404
            more = events.read(1)
            assert more[0][0] == "epoch"          # still training
            s = httpx.post(f"{url}/api/train/{job}/stop", headers={"X-Costlab-Token": start["token"]})
            assert s.status_code == 200
            assert events.read(50)[-1][0] == "stopped"


def test_a_flood_of_computations_gets_503_and_the_page_stays_fast(monkeypatch):
    """Computations beyond the pool and its queue are refused at once; the page, its static
    files and the status answer while the accepted ones still run, not after them."""
    monkeypatch.setattr(web_app, "NEURON_QUEUE", 2)
    with background_server() as url:
        answers, finished = [], []
        go = threading.Barrier(16)

        def ask():
            go.wait(30)  # all at once: on a busy machine, threads started one by one could each find a free slot
            try:
                r = httpx.get(f"{url}/api/neuron", params={"epochs": 5000, "eta": 0.01}, timeout=60)
                answers.append(r.status_code)
                if r.status_code == 200:
                    finished.append(time.monotonic())
            except httpx.HTTPError as e:  # pragma: no cover - reported by the assertion below
                answers.append(repr(e))

        threads = [threading.Thread(target=ask) for _ in range(16)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        page = httpx.get(f"{url}/", timeout=30)
        static = httpx.get(f"{url}/static/app.js", timeout=30)
        status = httpx.get(f"{url}/api/train/status", timeout=30)
        answered = time.monotonic()
        for t in threads:
            t.join(120)
        assert page.status_code == static.status_code == status.status_code == 200
        assert set(answers) <= {200, 503}
        assert answers.count(503) >= 16 - web_app.NEURON_SLOTS - web_app.NEURON_QUEUE
        assert answered < max(finished), "the page waited for the queued computations"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_end_streams_with_a_final_event(sig):
    proc = subprocess.Popen([sys.executable, "-m", "costlab", "serve", "--port", "0", "--allow-host", "lab.example"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = proc.stdout.readline()
        url = line.split()[2].rstrip("/")
        assert url.startswith("http://127.0.0.1:")
        port = url.rsplit(":", 1)[1]
        assert httpx.get(f"{url}/api/presets", headers={"host": f"lab.example:{port}"}).status_code == 200
        assert httpx.get(f"{url}/api/presets", headers={"host": f"evil.example:{port}"}).status_code == 421
        with httpx.stream("GET", f"{url}/api/train", params={"epochs": 100, "pace": 300}, timeout=20) as r:
            events = Stream(r)
            assert [k for k, _ in events.read(2)] == ["start", "epoch"]
            proc.send_signal(sig)
            rest = events.read(200)
        assert rest and rest[-1][0] == "stopped", rest[-3:]
        assert "shutting down" in rest[-1][1]["reason"]
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        stderr = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert "Traceback" not in stderr, stderr
    assert proc.returncode in (0, 130, -signal.SIGTERM, -signal.SIGINT)
