"""The numbers by which the compiled kernel (costlab._kernels) knows the activations and costs.

Apart from the kernel, so that :mod:`costlab.fast` can tell which networks the
kernel trains without loading it.
"""

__all__ = ["ACTIVATION_CODES", "COST_CODES"]

SIGMOID, TANH, RELU, IDENTITY, SOFTMAX = 0, 1, 2, 3, 4
ACTIVATION_CODES = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU, "identity": IDENTITY, "softmax": SOFTMAX}
QUADRATIC, CROSS_ENTROPY, LOG_LIKELIHOOD = 0, 1, 2
COST_CODES = {"quadratic": QUADRATIC, "cross-entropy": CROSS_ENTROPY, "log-likelihood": LOG_LIKELIHOOD}
