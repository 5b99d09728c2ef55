"""PyTorch as an outside oracle for the engine: the same network, start, batches and steps.

costlab's [w | b] layout, folded eta / m and in-place BLAS update must compute what
PyTorch's autograd and torch.optim.SGD compute for nn.Linear + nn.Sigmoid with
BCEWithLogitsLoss (sum over the batch, divided by m): the cross-entropy cost. Training at
eta = 0.5 amplifies rounding, so two correct implementations from the same start part
after about a thousand steps; for 200 steps they agree to about 1e-15.
"""

from __future__ import annotations

import numpy as np
import torch

from costlab import Network

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
