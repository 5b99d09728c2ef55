"""
Diagnose your PyTorch model
===========================

A PyTorch model that stalls, the layers costlab names, and the cost that lets it learn.

Run:  python examples/diagnose_pytorch_model.py   (needs ``pip install "costlab[torch]"``)

An ordinary PyTorch sigmoid network [784, 100, 100, 10] for Fashion-MNIST
(3000 training images), started from Gaussian weights that are too large
(N(0, 2^2)), is trained by ``torch.optim.SGD`` with the mean squared error on
its sigmoid outputs, a cost many first models use. ``costlab.torch.watch``
reads the model through module hooks while it trains, and names what it sees
with the same warnings as costlab's own ``fit(layers=True)``: every neuron of
the first hidden layer is saturated, and the output layer sits at the wrong
value, so every gradient there carries sigma'(z) and the network barely learns. The same model, from the same
weights and batches, trained with ``costlab.torch.Loss("cross-entropy")``
instead, loses the factor sigma'(z) at the output and learns.
"""

import warnings

import numpy as np
import torch
from torch import nn

import costlab.torch
from costlab import LayerWarning, load_data

torch.set_num_threads(1)
data = load_data("fashion-mnist")
X = torch.from_numpy(data.X_train[:3000] / np.float32(255))
y = torch.from_numpy(data.y_train[:3000])
X_test = torch.from_numpy(data.X_test[:2000] / np.float32(255))
y_test = torch.from_numpy(data.y_test[:2000])


def sigmoid_mlp():
    """[784, 100, 100, 10] with weights and biases N(0, 2^2): the same start for every run."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(784, 100), nn.Sigmoid(), nn.Linear(100, 100), nn.Sigmoid(), nn.Linear(100, 10))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 2.0)
    return model


def train(loss_fn, epochs=4, batch=20, eta=0.5):
    """SGD in a fixed batch order, watched; (test accuracy per epoch, watch record, warnings)."""
    model = sigmoid_mlp()
    if isinstance(loss_fn, nn.MSELoss):
        model.append(nn.Sigmoid())      # the MSE of the sigmoid outputs a, as such models are often written
    opt = torch.optim.SGD(model.parameters(), lr=eta)
    targets = nn.functional.one_hot(y, 10).float() if isinstance(loss_fn, nn.MSELoss) else y
    accuracy = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LayerWarning)
        with costlab.torch.watch(model, loss=loss_fn, window=None) as watch:
            for _ in range(epochs):
                for s in range(0, len(X), batch):
                    opt.zero_grad()
                    loss_fn(model(X[s:s + batch]), targets[s:s + batch]).backward()
                    opt.step()
                watch.end_window()      # one row of the record per epoch
                with torch.no_grad():
                    accuracy.append(float((model(X_test).argmax(1) == y_test).float().mean()))
    return accuracy, watch.record, [str(w.message) for w in caught]


mse_accuracy, mse_record, mse_warnings = train(nn.MSELoss())
print("MSE on sigmoid outputs: what costlab.torch.watch says")
for message in mse_warnings:
    print("  LayerWarning:", message)
mse_record

# %%
# The speed of learning of each layer (the length of its bias gradient) per epoch: the first
# hidden layer is the slowest, and every layer is slow.
ax = mse_record.plot()
ax.set_title("MSE on sigmoid outputs: speed of learning per layer")

# %%
# The same network, weights and batches, with costlab's cross-entropy on the logits.
ce_accuracy, ce_record, ce_warnings = train(costlab.torch.Loss("cross-entropy"))
print("cross-entropy on the logits: what costlab.torch.watch says")
for message in ce_warnings:
    print("  LayerWarning:", message)
print(f"output slowdown factor sum|delta|/sum|a - y|, epoch 1: MSE {mse_record.windows[0]['slowdown']:.4f}, "
      f"cross-entropy {ce_record.windows[0]['slowdown']:.4f}")
print("epoch   MSE    cross-entropy (test accuracy)")
for epoch, (m, c) in enumerate(zip(mse_accuracy, ce_accuracy), start=1):
    print(f"{epoch:5d} {m:6.1%} {c:10.1%}")
ce_record
