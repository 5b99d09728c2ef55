"""PyTorch as an outside oracle for the engine: the same network, start, batches and steps.

costlab's [w | b] layout, folded eta / m and in-place BLAS update must compute what
PyTorch's autograd and torch.optim.SGD compute for nn.Linear + nn.Sigmoid with
BCEWithLogitsLoss (sum over the batch, divided by m): the cross-entropy cost. Training at
eta = 0.5 amplifies rounding, so two correct implementations from the same start part
after about a thousand steps; for 200 steps they agree to about 1e-15.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from costlab import Network, fast

STEPS, M, ETA = 200, 10, 0.5


def torch_twin(net, dtype=torch.float64):
    layers = []
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        linear = torch.nn.Linear(w.shape[1], w.shape[0]).to(dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.array(w)))
            linear.bias.copy_(torch.from_numpy(np.array(b)))
        layers += [linear] + ([torch.nn.Sigmoid()] if l < len(net.weights) - 1 else [])
    return torch.nn.Sequential(*layers)


def test_200_steps_agree_with_pytorch_to_rounding(digits):
    n = STEPS * M // 2  # two epochs of 100 batches, in order
    X, y = digits.X_train[:n], digits.y_train[:n]
    net = Network([64, 30, 10], cost="cross-entropy", seed=0)
    model = torch_twin(net)
    net.fit(X, y, epochs=2, batch_size=M, eta=ETA, shuffle=False, monitor="off")

    torch.set_num_threads(1)
    opt = torch.optim.SGD(model.parameters(), lr=ETA)
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
    Xt = torch.from_numpy(X)
    Yt = torch.nn.functional.one_hot(torch.from_numpy(y), 10).to(torch.float64)
    for _ in range(2):
        for s in range(0, n, M):
            opt.zero_grad()
            (loss_fn(model(Xt[s:s + M]), Yt[s:s + M]) / M).backward()
            opt.step()
    linears = [layer for layer in model if isinstance(layer, torch.nn.Linear)]
    diff = max(
        max(np.max(np.abs(w - layer.weight.detach().numpy())), np.max(np.abs(b - layer.bias.detach().numpy())))
        for w, b, layer in zip(net.weights, net.biases, linears)
    )
    assert diff < 1e-13, diff
    print(f"max |difference| after {STEPS} steps: {diff:.2g}")
    # and the weights did move: the agreement is not that of two untrained networks
    assert max(np.max(np.abs(w - np.array(layer.weight.detach().numpy()))) for w, layer in
               zip(Network([64, 30, 10], cost="cross-entropy", seed=0).weights, linears)) > 0.1


def _torch_loss(cost, out, Y):
    """Per-sample loss of the twin's last layer output (logits), as costlab's cost defines it."""
    F = torch.nn.functional
    if cost == "cross-entropy":
        return F.binary_cross_entropy_with_logits(out, Y, reduction="none").sum(dim=1)
    if cost == "log-likelihood":
        return F.cross_entropy(out, Y.argmax(dim=1), reduction="none")
    return 0.5 * ((torch.sigmoid(out) - Y) ** 2).sum(dim=1)  # quadratic, sigmoid output


@pytest.mark.parametrize("kernel", ["never", "always"])
@pytest.mark.parametrize("cost", ["cross-entropy", "log-likelihood", "quadratic"])
def test_sample_weights_agree_with_pytorchs_weighted_losses(monkeypatch, digits, cost, kernel):
    # each step: sum_x w_x C_x / sum_x w_x, PyTorch's per-sample losses (reduction="none") weighted and
    # divided by the batch's total weight, as scikit-learn's MLP normalises them; both fast paths
    monkeypatch.setattr(fast, "KERNEL", kernel)
    n, m, eta = 300, 10, 0.5
    X, y = digits.X_train[:n], digits.y_train[:n]
    w = np.random.default_rng(1).random(n) * 2
    w[::7] = 0.0
    net = Network([64, 20, 10], cost=cost, seed=0)
    model = torch_twin(net)
    h = net.fit(X, y, epochs=2, batch_size=m, eta=eta, shuffle=False, sample_weight=w)

    torch.set_num_threads(1)
    opt = torch.optim.SGD(model.parameters(), lr=eta)
    Xt, wt = torch.from_numpy(X), torch.from_numpy(w)
    Yt = torch.nn.functional.one_hot(torch.from_numpy(y), 10).to(torch.float64)
    running = []
    for _ in range(2):
        total = 0.0
        for s in range(0, n, m):
            opt.zero_grad()
            losses = _torch_loss(cost, model(Xt[s:s + m]), Yt[s:s + m]) * wt[s:s + m]
            (losses.sum() / wt[s:s + m].sum()).backward()
            total += float(losses.detach().sum())
            opt.step()
        running.append(total / w.sum())
    linears = [layer for layer in model if isinstance(layer, torch.nn.Linear)]
    for wn, bn, layer in zip(net.weights, net.biases, linears):
        np.testing.assert_allclose(wn, layer.weight.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bn, layer.bias.detach().numpy(), rtol=1e-10, atol=1e-12)
    # the running record is the weighted mean of what each batch saw before its step
    np.testing.assert_allclose(h.train_cost[1:], running, rtol=1e-10)
