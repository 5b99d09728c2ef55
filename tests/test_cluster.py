"""compare and map on a real Dask cluster: a scheduler and two worker processes on 127.0.0.1.

The results must be those of a local serial run, bit for bit: through the API
and the command line, split into blocks of starts, and after a worker is
killed in the middle of a run. Ctrl-C cancels the run's tasks on the cluster;
a scheduler that does not answer is one line and exit status 2 within the
timeout. Every process is started here and stopped by its PID; every wait is
bounded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import distributed
import numpy as np
import pytest

import costlab.slowdown
from costlab.cluster import SchedulerUnreachable, check_address, run_on_cluster
from costlab.compare import compare
from costlab.parallel import run_all
from costlab.slowdown import _n_blocks, slowdown_map
from clitools import interruptible, invoke, run_main, strict_json

W21 = np.linspace(-6, 6, 21)
COMPARE = dict(limit=100, seeds=2, epochs=2, costs=("quadratic", "cross-entropy"), inits=("default", "large"))
# a run whose tasks take about a second each here: long enough to be caught in the middle
SLOW_COMPARE = ("--limit", 1000, "--epochs", 40, "--costs", "quadratic,cross-entropy", "--init", "default", "-q")


def _dask(*args, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "dask", *map(str, args)], stdout=out, stderr=subprocess.STDOUT,
                                cwd=log.parent)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_until(condition, seconds: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"waited {seconds} s for {what}")



class Cluster:
    """A scheduler and worker processes on 127.0.0.1, and a client that watches them."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.workers: dict[str, subprocess.Popen] = {}
        file = directory / "scheduler.json"
        self.scheduler = _dask("scheduler", "--host", "127.0.0.1", "--port", 0, "--no-dashboard",
                               "--scheduler-file", file, log=directory / "scheduler.log")
        _wait_until(lambda: file.is_file() and file.stat().st_size > 0, 60, "the scheduler file")
        self.address = json.loads(file.read_text())["address"]
        self.client = distributed.Client(self.address, timeout=30, set_as_default=False)

    def add_worker(self, name: str) -> None:
        # no nanny: the PID is the worker itself, and killing it loses the worker
        self.workers[name] = _dask("worker", self.address, "--host", "127.0.0.1", "--nthreads", 1, "--no-nanny",
                                   "--no-dashboard", "--name", name, "--death-timeout", 60,
                                   log=self.directory / f"{name}.log")

    def wait_for_workers(self, n: int) -> None:
        self.client.wait_for_workers(n, timeout=60)

    def address_of(self, name: str) -> str:
        return next(a for a, w in self.client.scheduler_info(n_workers=-1)["workers"].items() if w["name"] == name)

    def busy(self) -> dict:
        """Worker address -> the tasks it is processing."""
        return {a: ts for a, ts in self.client.processing().items() if ts}

    def tasks_on_scheduler(self) -> int:
        return self.client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))

    def close(self) -> None:
        self.client.close()
        for process in self.workers.values():
            _stop(process)
        _stop(self.scheduler)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.add_worker("w1")
        c.add_worker("w2")
        c.wait_for_workers(2)
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def serial_compare():
    return compare("digits", workers=1, **COMPARE).to_dict()


def test_compare_on_the_cluster_equals_the_serial_run(cluster, serial_compare):
    done = []
    result = compare("digits", scheduler=cluster.address, on_done=done.append, **COMPARE)
    assert result.to_dict() == serial_compare
    assert len(done) == 4  # one task per (init, seed), each reported as it finished


def test_a_grid_search_with_the_estimator_runs_on_the_cluster_through_joblib(cluster):
    # scikit-learn's own sweeps: GridSearchCV over costs, each (candidate, fold) a task on the cluster
    import joblib
    from sklearn.model_selection import GridSearchCV

    from costlab.data import load_data
    from costlab.sklearn import NetworkClassifier

    d = load_data("digits").limit(300)
    grid = {"cost": ["quadratic", "cross-entropy", "log-likelihood"]}

    def search():
        return GridSearchCV(NetworkClassifier(hidden_layer_sizes=(10,), epochs=3, random_state=0), grid, cv=3,
                            n_jobs=-1)

    alone = GridSearchCV(NetworkClassifier(hidden_layer_sizes=(10,), epochs=3, random_state=0), grid, cv=3,
                         n_jobs=1).fit(d.X_train, d.y_train)
    with distributed.Client(cluster.address, timeout=30), joblib.parallel_config(backend="dask"):
        on_cluster = search().fit(d.X_train, d.y_train)
    assert on_cluster.cv_results_["mean_test_score"].tolist() == alone.cv_results_["mean_test_score"].tolist()
    assert on_cluster.best_params_ == alone.best_params_


def test_compare_command_on_the_cluster_equals_the_serial_json(cluster):
    args = ("compare", "--limit", 100, "--seeds", 2, "--epochs", 2, "--costs", "quadratic,cross-entropy",
            "--init", "large", "--json", "-q")
    code, serial, err = invoke(*args, "--workers", 1)
    assert code == 0, err
    code, out, err = invoke(*args, "--scheduler", cluster.address)
    assert code == 0, err
    assert strict_json(out) == strict_json(serial)


def test_map_in_blocks_on_the_cluster_equals_the_serial_map(cluster, monkeypatch):
    serial = slowdown_map(["quadratic", "cross-entropy"], W21, W21, epochs=200, workers=1)
    monkeypatch.setattr(costlab.slowdown, "MIN_BLOCK_STARTS", 50)
    blocks = []
    smap = slowdown_map(["quadratic", "cross-entropy"], W21, W21, epochs=200, scheduler=cluster.address,
                        on_done=blocks.append)
    for cost in serial.costs:
        np.testing.assert_array_equal(smap.first_epoch[cost], serial.first_epoch[cost])
    # two task slots over two costs: a block each; with one cost, two blocks of rows
    assert [b.shape for b in blocks] == [(21, 21), (21, 21)]
    blocks.clear()
    smap = slowdown_map(["quadratic"], W21, W21, epochs=200, scheduler=cluster.address, on_done=blocks.append)
    np.testing.assert_array_equal(smap.first_epoch["quadratic"], serial.first_epoch["quadratic"])
    assert sorted(b.shape for b in blocks) == [(10, 21), (11, 21)]


def test_map_command_on_the_cluster_equals_the_serial_json(cluster):
    args = ("map", "--w", "-6:6:21", "--b", "-6:6:21", "--epochs", 200, "--json")
    code, serial, err = invoke(*args, "--workers", 1)
    assert code == 0, err
    code, out, err = invoke(*args, "--scheduler", cluster.address, "-q")
    assert code == 0, err
    assert strict_json(out) == strict_json(serial)
    code, out, err = invoke(*args[:-1], "--scheduler", cluster.address)
    assert code == 0, err
    assert f"on {cluster.address}" in out


def test_each_worker_runs_blas_on_one_thread(cluster):
    def blas_threads():
        from threadpoolctl import threadpool_info

        return sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})

    assert set(map(tuple, cluster.client.run(blas_threads).values())) == {(1,)}


def test_shared_data_reaches_every_task_and_results_keep_their_order(cluster):
    done = []
    results = run_all(np.add, [(i,) for i in range(5)], shared=(np.arange(3),), scheduler=cluster.address,
                      on_done=done.append)
    assert [r.tolist() for r in results] == [[i, i + 1, i + 2] for i in range(5)]
    assert len(done) == 5


def test_a_failing_task_raises_its_own_error(cluster):
    with pytest.raises(ValueError, match="invalid literal"):
        run_on_cluster(int, [("7",), ("seven",)], cluster.address)


def test_a_worker_killed_mid_run_loses_nothing(cluster, tmp_path):
    args = ("compare", "--seeds", 4, *SLOW_COMPARE, "--json")
    cluster.add_worker("victim")
    cluster.wait_for_workers(3)
    victim = cluster.address_of("victim")
    run = subprocess.Popen([sys.executable, "-m", "costlab", *map(str, args), "--scheduler", cluster.address],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until(lambda: victim in cluster.busy(), 60, "a task on the victim")
        os.kill(cluster.workers["victim"].pid, signal.SIGKILL)
        cluster.workers["victim"].wait(timeout=10)
        out, err = run.communicate(timeout=120)
    finally:
        _stop(run)
    assert run.returncode == 0, err
    code, serial, err = invoke(*args, "--workers", 1)
    assert code == 0, err
    assert strict_json(out) == strict_json(serial)
    assert victim not in cluster.client.scheduler_info(n_workers=-1)["workers"]


def test_ctrl_c_cancels_the_runs_tasks_on_the_cluster(cluster):
    args = ("compare", "--seeds", 30, *SLOW_COMPARE, "--scheduler", cluster.address)
    run = subprocess.Popen([sys.executable, "-m", "costlab", *map(str, args)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    try:
        _wait_until(lambda: cluster.busy(), 60, "the run's tasks")
        assert cluster.tasks_on_scheduler() > 2
        os.kill(run.pid, signal.SIGINT)
        t = time.monotonic()
        out, err = run.communicate(timeout=15)
        seconds = time.monotonic() - t
    finally:
        _stop(run)
    assert run.returncode == 130
    assert err.strip() == "costlab: interrupted"
    assert seconds < 5
    # the scheduler forgets the run's 30 tasks at once; the one a worker is running ends on its own
    _wait_until(lambda: cluster.tasks_on_scheduler() == 0, 10, "the scheduler to drop the tasks")
    _wait_until(lambda: not cluster.busy(), 30, "the workers to be idle")


@pytest.mark.parametrize("args, message", [
    # compare's data went with the worker: the scheduler drops the tasks that need it
    (("compare", "--seeds", 4, *SLOW_COMPARE), "dropped the run's tasks; were its workers lost?"),
    # map's tasks carry their own data: they wait for a worker, until the timeout
    (("map", "--w", "-6:6:21", "--b", "-6:6:21", "--epochs", 100_000, "-q"), "has had no workers for 2 s"),
])
def test_a_run_that_loses_every_worker_stops_with_one_line(tmp_path, args, message):
    lone = Cluster(tmp_path)  # a cluster of its own, whose only worker is killed
    try:
        lone.add_worker("only")
        lone.wait_for_workers(1)
        args = (*args, "--scheduler", lone.address, "--scheduler-timeout", 2)
        run = subprocess.Popen([sys.executable, "-m", "costlab", *map(str, args)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _wait_until(lambda: lone.busy(), 60, "the run's tasks")
            os.kill(lone.workers["only"].pid, signal.SIGKILL)
            lone.workers["only"].wait(timeout=10)
            t = time.monotonic()
            out, err = run.communicate(timeout=60)
            seconds = time.monotonic() - t
        finally:
            _stop(run)
    finally:
        lone.close()
    assert run.returncode == 2, err
    assert err.count("\n") == 1
    assert err.startswith(f"costlab {args[0]}: error: the Dask scheduler at {lone.address} {message}")
    assert seconds < 15


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", ["map", "compare"])
def test_an_unreachable_scheduler_is_one_line_and_exit_2_within_the_timeout(command):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    t = time.monotonic()
    code, out, err = run_main(command, "--scheduler", address, "--scheduler-timeout", 1, "-q")
    seconds = time.monotonic() - t
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"costlab {command}: error: cannot reach the Dask scheduler at {address}: the "
                          "connection was refused")
    assert seconds < 5


def test_the_api_raises_scheduler_unreachable():
    with pytest.raises(SchedulerUnreachable, match="cannot reach the Dask scheduler"):
        slowdown_map(["quadratic"], W21, W21, scheduler=f"tcp://127.0.0.1:{_closed_port()}", scheduler_timeout=0.5)


def test_a_refused_connection_fails_at_once_whatever_the_timeout():
    import distributed  # noqa: F401  (loaded before the clock starts: what is timed is the connection)

    from costlab.cluster import connected

    address = f"127.0.0.1:{_closed_port()}"  # no scheme: read as Dask reads it, tcp://
    t = time.monotonic()
    with pytest.raises(SchedulerUnreachable, match=f"at tcp://{address}: the connection was refused"):
        with connected(address, timeout=30):
            pass
    assert time.monotonic() - t < 1.0


@pytest.mark.parametrize("address, read", [("127.0.0.1:8786", "tcp://127.0.0.1:8786"),
                                           (" tcp://10.0.0.5:8786 ", "tcp://10.0.0.5:8786"),
                                           ("[::1]:8786", "tcp://[::1]:8786"), ("host.example:1", "tcp://host.example:1")])
def test_an_address_without_a_scheme_is_read_as_dask_reads_it(address, read):
    from distributed.comm.addressing import parse_address, unparse_address

    assert check_address(address) == read == unparse_address(*parse_address(address.strip()))


@pytest.mark.parametrize("address", ["http://127.0.0.1:8786", "tcp://host", "tcp://a b:1", "", 8786, "127.0.0.1"])
def test_a_malformed_address_is_refused(address):
    with pytest.raises(ValueError, match="tcp://10.0.0.5:8786"):
        check_address(address)
    if isinstance(address, str) and address:
        code, out, err = run_main("map", "--scheduler", address)
        assert code == 2 and err.count("\n") == 1 and "--scheduler must be an address" in err


def test_without_dask_the_scheduler_option_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code, out, err = run_main("map", "--w", "0", "--b", "0", "--scheduler", "tcp://127.0.0.1:8786")
    assert code == 2
    assert err == "costlab map: error: running on a scheduler needs Dask distributed: pip install 'costlab[cluster]'\n"


def test_scheduler_timeout_must_be_positive():
    code, out, err = run_main("compare", "--scheduler", "tcp://127.0.0.1:1", "--scheduler-timeout", 0)
    assert code == 2 and "--scheduler-timeout must be" in err


@pytest.mark.parametrize("n_costs, starts, rows, slots, blocks", [
    (2, 160_801, 401, 2, 1),      # a block per cost keeps two slots busy
    (1, 160_801, 401, 2, 2),
    (2, 160_801, 401, 64, 8),     # no block under MIN_BLOCK_STARTS
    (2, 441, 21, 64, 1),          # small maps are not split
    (1, 10**6, 3, 64, 3),         # at most one block per row
])
def test_blocks_of_starts(n_costs, starts, rows, slots, blocks):
    assert _n_blocks(n_costs, starts, rows, slots) == blocks
