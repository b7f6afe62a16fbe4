"""arraylr: learning-rate schedules written once on the Python array API.

The same schedule object evaluates a Python ``int`` step to a ``float`` and an
array of steps from NumPy, PyTorch, JAX (or any library array-api-compat knows)
to an array of that library, on that device.

>>> import numpy as np
>>> from arraylr import BaseLR
>>> lr = BaseLR(type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=1000,
...             warmup_steps=100)
>>> lr(100)
0.001
>>> np.round(lr(np.arange(0, 1001, 250)), 6).tolist()
[0.0, 0.000934, 0.000591, 0.000187, 1e-05]
"""

from . import families
from ._version import __version__
from .base import BaseLR
from .composite import LearningRateProduct, LearningRateSequence
from .config import ConfigNote, load_config, make_learning_rate_schedule
from .families import *  # noqa: F403 (every family's classes, as families lists)
from .population import Population

__all__ = [
    "BaseLR",
    "ConfigNote",
    "LearningRateProduct",
    "LearningRateSequence",
    "Population",
    "__version__",
    "load_config",
    "make_learning_rate_schedule",
    *families.__all__,
]
