"""costlab: understand, derive and measure neural-network cost functions.

A sigmoid neuron trained with the quadratic cost learns slowest when it is most
wrong, because every gradient carries the factor sigma'(z); the cross-entropy
cost removes that factor. costlab makes that argument runnable.
"""

from costlab.network import History, Network, TrainingDiverged
from costlab.saving import load

__version__ = "0.1.0"

__all__ = ["History", "Network", "TrainingDiverged", "__version__", "load"]
