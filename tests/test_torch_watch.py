"""costlab.torch.watch: a PyTorch model reports what costlab's engine reports for the same network.

Every test that takes a device runs on "cpu" and on "cuda"; the CUDA runs are
skipped where torch.cuda.is_available() is False.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from costlab import LayerWarning, Network
from costlab.torch import Loss, watch

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device here (torch.cuda.is_available() is False)"))]


@pytest.fixture(scope="module")
def fashion():
    from costlab import load_data

    data = load_data("fashion-mnist")
    return data.X_train[:200] * (1.0 / 255.0), data.y_train[:200]


def twin(net, device="cpu"):
    """nn.Sequential of Linear and Sigmoid layers with ``net``'s weights (float64); no activation at the end."""
    layers = []
    for w, b in zip(net.weights, net.biases):
        linear = nn.Linear(w.shape[1], w.shape[0]).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.array(w)))
            linear.bias.copy_(torch.from_numpy(np.array(b)))
        layers += [linear, nn.Sigmoid()]
    return nn.Sequential(*layers[:-1]).to(device)


def train(model, loss_fn, X, y, *, epochs, m, eta, device="cpu", **options):
    """SGD on (X, y) in order, batches of m, one watch window per epoch; (record, warning messages)."""
    opt = torch.optim.SGD(model.parameters(), lr=eta)
    Xt, yt = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with watch(model, loss=loss_fn, window=None, **options) as w:
            for _ in range(epochs):
                for s in range(0, len(X), m):
                    opt.zero_grad()
                    loss_fn(model(Xt[s:s + m]), yt[s:s + m]).backward()
                    opt.step()
                w.end_window()
    return w.record, [str(c.message) for c in caught if issubclass(c.category, LayerWarning)]


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
def test_the_same_network_reports_the_engines_speeds(fashion, cost):
    X, y = fashion
    net = Network([784, 30, 30, 30, 10], cost=cost, init="large", seed=0)
    model = twin(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LayerWarning)
        history = net.fit(X, y, epochs=2, batch_size=20, eta=0.5, shuffle=False, layers=True, monitor="off")
    record, _ = train(model, Loss(cost), X, y, epochs=2, m=20, eta=0.5)
    assert len(record.windows) == 2
    for epoch, window in enumerate(record.windows, start=1):
        want = np.array(history.layers["speed"][epoch])
        np.testing.assert_allclose(window["speed"], want, rtol=1e-10, atol=0)
        assert window["saturated"] == history.layers["saturated"][epoch]
        assert window["steps"] == [10 * epoch - 9, 10 * epoch] and window["samples"] == 200
    assert any(s > 0 for w in record.windows for s in w["saturated"])  # the comparison counted something
    assert [layer["activation"] for layer in record.layers] == ["sigmoid"] * 4
    # the slowdown factor: sigma'(z) <= 1/4 under the quadratic cost, none under the cross-entropy
    slowdown = record.windows[0]["slowdown"]
    assert (0 < slowdown < 0.25) if cost == "quadratic" else slowdown == pytest.approx(1.0, rel=1e-12)


def _when(message):
    message = re.sub(r"before training|in epoch \d+|in window \d+ \(steps \d+ to \d+\)", "WHEN", message)
    return re.sub(r"\((sigmoid), module \w+\)", r"(\1)", message)


def test_the_same_warnings_as_fit(fashion):
    X, y = fashion
    net = Network([784, 30, 10], cost="quadratic", seed=0)
    net.weights[0][...] *= 60          # every hidden neuron saturated
    net.biases[1][...] = 8.0           # every output near 1: wrong for nine classes in ten
    model = twin(net)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.fit(X, y, epochs=1, batch_size=20, eta=1e-9, shuffle=False, layers=True, monitor="off")
    want = sorted(str(c.message) for c in caught if issubclass(c.category, LayerWarning))
    assert len(want) == 2
    _, got = train(model, Loss("quadratic"), X, y, epochs=1, m=20, eta=1e-9)
    assert sorted(map(_when, got)) == sorted(map(_when, want))
    assert any("hidden layer 1 (sigmoid, module 0) is saturated in window 1 (steps 1 to 10)" in g for g in got)
    # nn.MSELoss after a Sigmoid module is read as the quadratic cost of the outputs a
    mse = nn.Sequential(*twin(net), nn.Sigmoid())
    onehot = np.eye(10)[y]
    record, got = train(mse, nn.MSELoss(), X, onehot, epochs=1, m=20, eta=1e-9)
    assert sorted(map(_when, got)) == sorted(map(_when, want))
    assert record.layers[-1]["activation"] == "sigmoid" and 0 < record.windows[0]["slowdown"] < 0.01


def test_every_tenth_step_and_windows():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))
    loss_fn = Loss("log-likelihood")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, labels = torch.randn(8, 6), torch.randint(0, 3, (8,))
    with watch(model, loss=loss_fn, every=10, window=3) as w:
        for _ in range(65):
            opt.zero_grad()
            loss_fn(model(x), labels).backward()
            opt.step()
        with torch.no_grad():
            model(x)                   # an evaluation pass is no training step
    rows = w.record.windows
    assert [r["observed"] for r in rows] == [3, 3, 1]
    assert [r["steps"] for r in rows] == [[1, 21], [22, 51], [52, 61]]
    assert rows[0]["saturated"][0] is not None and rows[0]["dead"] == [None, None]
    assert rows[0]["slowdown"] == pytest.approx(1.0) and rows[0]["slowed"] is None  # a softmax output
    d = json.loads(json.dumps(w.record.to_dict()))
    assert d["every"] == 10 and d["cost"] == "log-likelihood" and len(d["windows"]) == 3
    html = w.record._repr_html_()
    assert html.startswith('<table class="costlab"><caption>Watch: window 3') and "||nabla_b||" in html
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = w.record.plot()
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"
    plt.close(ax.figure)


@pytest.mark.parametrize("device", DEVICES)
def test_conv_and_dead_relu_units_on_any_module(device):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.act = nn.ReLU()
            self.head = nn.Linear(4 * 4 * 4, 2)

        def forward(self, x):
            return self.head(self.act(self.conv(x)).flatten(1))

    torch.manual_seed(0)
    model = Net().to(device)
    with torch.no_grad():
        model.conv.bias[:2] = -100.0       # two channels never fire: dead
    loss_fn = Loss("cross-entropy")
    x, y = torch.rand(16, 1, 6, 6, device=device), torch.randint(0, 2, (16, 2), device=device).double()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LayerWarning)
        with watch(model, loss=loss_fn) as w:
            for _ in range(3):
                model.zero_grad()
                loss_fn(model(x), y.to(x.dtype)).backward()
    [row] = w.record.windows
    assert w.record.layers[0] == {"name": "conv", "type": "Conv2d", "activation": "relu", "units": 64}
    assert row["dead"][0] >= 0.5 and row["dead"][1] is None
    assert row["speed"][0] > 0 and row["weight_speed"][0] > 0


def test_gradients_accumulated_over_backward_passes_are_read_per_pass():
    """Two backward passes per optimizer step, no zero_grad between: each pass's own gradient counts."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), nn.Sigmoid(), nn.Linear(4, 3)).double()
    loss_fn = Loss("cross-entropy")
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    batches = [(torch.randn(8, 5, dtype=torch.float64), torch.randint(0, 3, (8,))) for _ in range(4)]
    sum_b, norm_w = [0, 0], [0, 0]
    with watch(model, loss=loss_fn, window=None) as w:
        for s, (x, y) in enumerate(batches):
            if s % 2 == 0:
                opt.zero_grad()
            before = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
            loss_fn(model(x), y).backward()
            added = [p.grad if b is None else p.grad - b for p, b in zip(model.parameters(), before)]
            for l, (gw, gb) in enumerate(zip(added[::2], added[1::2])):
                sum_b[l] = sum_b[l] + 8 * gb
                norm_w[l] += float(torch.linalg.vector_norm(gw))
            if s % 2:
                opt.step()
    [row] = w.record.windows
    np.testing.assert_allclose(row["speed"], [float(torch.linalg.vector_norm(b / 32)) for b in sum_b], rtol=1e-12)
    np.testing.assert_allclose(row["weight_speed"], [n / 4 / float(torch.linalg.vector_norm(model[i].weight.detach()))
                                                     for n, i in zip(norm_w, (0, 2))], rtol=1e-12)


def test_a_layer_left_out_of_some_backward_passes():
    """A branch whose output some steps detach: each layer's sums hold the passes that reached it."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.act, self.b, self.side = nn.Linear(5, 4), nn.Sigmoid(), nn.Linear(4, 3), nn.Linear(5, 3)
            self.use_side = True

        def forward(self, x):
            side = self.side(x)
            return self.b(self.act(self.a(x))) + (side if self.use_side else side.detach())

    torch.manual_seed(0)
    model = Net().double()
    loss_fn = Loss("cross-entropy")
    x, y = torch.randn(8, 5, dtype=torch.float64), torch.randint(0, 3, (8,))
    sums, norms, layers = {}, {}, {"side": model.side, "a": model.a, "b": model.b}
    with watch(model, loss=loss_fn, window=None) as w:
        for s in range(4):
            model.use_side = s % 2 == 0
            model.zero_grad()
            loss_fn(model(x), y).backward()
            for name, layer in layers.items():
                if layer.bias.grad is not None:
                    sums[name] = sums.get(name, 0) + 8 * layer.bias.grad
                    norms[name] = norms.get(name, 0) + float(torch.linalg.vector_norm(layer.weight.grad))
    [row] = w.record.windows
    assert [layer["name"] for layer in w.record.layers] == ["side", "a", "b"]  # as the forward pass runs them
    np.testing.assert_allclose(row["speed"], [float(torch.linalg.vector_norm(sums[n] / 32)) for n in layers],
                               rtol=1e-12)
    np.testing.assert_allclose(row["weight_speed"], [norms[n] / 4 / float(torch.linalg.vector_norm(l.weight.detach()))
                                                     for n, l in layers.items()], rtol=1e-12)


def test_hooks_are_removed_also_after_an_exception():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))

    def hooks():
        modules = list(model.modules())
        return (sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in modules)
                + sum(len(p._backward_hooks or {}) for p in model.parameters()))

    loss_fn = Loss("quadratic")
    with pytest.raises(RuntimeError, match="boom"):
        with watch(model, loss=loss_fn, every=2):
            assert hooks() > 0
            loss_fn(model(torch.randn(5, 3)), torch.rand(5, 2)).backward()
            raise RuntimeError("boom")
    assert hooks() == 0 and len(loss_fn._forward_hooks) == 0
    w = watch(model)
    w.close()
    assert hooks() == 0 and w.record.windows == []


def test_bad_models_and_arguments():
    with pytest.raises(ValueError, match="Linear or Conv layers; Sequential has none"):
        watch(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="torch.nn.Module"):
        watch(lambda x: x)
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        watch(nn.Linear(2, 2), every=0)
    with pytest.raises(ValueError, match="watch reads the loss of costlab.torch.Loss"):
        watch(nn.Linear(2, 2), loss=nn.L1Loss())
