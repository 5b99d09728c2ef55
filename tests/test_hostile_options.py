"""Hostile options and headers: bounded lists, strict Host headers, checked host names and scheduler
addresses, and no library warning next to an error line. Command-line cases that start work run in a
child of 1 GiB and 15 s.
"""

from __future__ import annotations

import time
import warnings

import pytest
from starlette.testclient import TestClient

from bounded import one_line_exit_2, run_bounded
from clitools import run_main
from costlab.cli._common import MAX_LIST_ITEMS, InputError
from costlab.web.app import create_app


@pytest.mark.parametrize("args, needle", [
    (["compare", "--etas", ",".join(["0.5"] * 3000)], "--etas names 3000 learning rates"),
    (["compare", "--etas", "1e308"], "at most 1000"),
    (["compare", "--costs", ",".join(f"({k}*a - y)^2" for k in range(1, MAX_LIST_ITEMS + 2))], "costs; at most"),
    (["map", "--costs", ",".join(["quadratic"] * (MAX_LIST_ITEMS + 1))], "at most"),
    (["compare", "--seeds", "100000"], "--seeds"),
])
def test_list_options_are_bounded(args, needle):
    t = time.monotonic()
    code, out, err = run_main(*args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert needle in err
    assert time.monotonic() - t < 5


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(), base_url="http://127.0.0.1")


@pytest.mark.parametrize("host", ["localhost:80@evil.com", "localhost:80:80", "local host", "::1", "localhost:",
                                  "[::1", "localhost:123456", "127.0.0.1/x", "a" * 300, "localhost\t"])
def test_malformed_host_headers_are_400(client, host):
    r = client.get("/api/presets", headers={"host": host})
    assert r.status_code == 400, (host, r.status_code)
    assert "Host" in r.json()["error"]


@pytest.mark.parametrize("host", ["localhost:8765", "[::1]:8765", "127.0.0.1.", "LocalHost"])
def test_well_formed_own_hosts_are_answered(client, host):
    assert client.get("/api/presets", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("args, needle", [
    (["serve", "--allow-host", ""], "--allow-host must be a host name"),
    (["serve", "--allow-host", "evil.com/x"], "--allow-host must be a host name"),
    (["serve", "--host", "h" * 300], "is not an address of this machine"),
    (["serve", "--host", "h" * 70 + ".example"], "is not an address of this machine"),
])
def test_serve_refuses_bad_host_names_in_one_line(args, needle):
    p, elapsed = run_bounded(*args, seconds=15)
    one_line_exit_2(p, needle)
    assert elapsed < 15


def test_tls_schedulers_without_certificates_are_refused_at_once():
    p, elapsed = run_bounded("compare", "--epochs", "1", "--scheduler", "tls://10.255.255.1:8786")
    one_line_exit_2(p, "tls://")
    assert "TLS settings" in p.stderr
    assert elapsed < 10


def test_library_warnings_never_sit_next_to_an_error(monkeypatch):
    import costlab.cli.neuron as neuron_cli

    def warn_then_refuse(*args, **kwargs):
        warnings.warn("overflow encountered in exp", RuntimeWarning)
        raise InputError("--cost: refused")

    monkeypatch.setattr(neuron_cli, "cost_spec", warn_then_refuse)
    code, out, err = run_main("neuron", "--w", "1", "--b", "1")
    assert code == 2 and err.strip().splitlines() == ["costlab neuron: error: --cost: refused"]


def test_library_warnings_after_success_are_one_line_each(monkeypatch):
    import costlab.cli.neuron as neuron_cli

    real = neuron_cli.cost_spec

    def warn(*args, **kwargs):
        for _ in range(3):
            warnings.warn("a library says\nsomething", UserWarning)
        return real(*args, **kwargs)

    monkeypatch.setattr(neuron_cli, "cost_spec", warn)
    code, out, err = run_main("neuron", "--w", "1", "--b", "1", "--epochs", "1")
    assert code == 0
    assert err.splitlines() == ["costlab: warning: a library says something"]


def test_an_infinite_cost_reaches_the_page_as_null(client):
    r = client.get("/api/neuron", params={"w": 20, "b": 20, "costs": "-log(1-a)", "epochs": 200})
    assert r.status_code == 200, r.text
    C = r.json()["runs"]["-log(1-a)"]["C"]
    assert C[0] is None and C[-1] is not None
