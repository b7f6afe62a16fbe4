"""The schedule families: one module per family, each registering its types.

A module here is everything its types know (see ARCHITECTURE.md, "Adding a
schedule type"); importing it registers them.  This package imports every
module and re-exports the classes; nothing else in arraylr names a family.
"""

from .cosine import LearningRateCosine
from .cosine_restarts import LearningRateCosineRestarts
from .cyclic import LearningRateCyclic
from .exponential import LearningRateExp
from .inverse_sqrt import LearningRateInverseSqrt
from .inverse_time import LearningRateInverseTime
from .onecycle import LearningRateOneCycle
from .piecewise import LearningRatePiecewise
from .polynomial import LearningRateConstant, LearningRateLinear, LearningRatePolynomial
from .wsd import LearningRateWSD

__all__ = [
    "LearningRateConstant",
    "LearningRateCosine",
    "LearningRateCosineRestarts",
    "LearningRateCyclic",
    "LearningRateExp",
    "LearningRateInverseSqrt",
    "LearningRateInverseTime",
    "LearningRateLinear",
    "LearningRateOneCycle",
    "LearningRatePiecewise",
    "LearningRatePolynomial",
    "LearningRateWSD",
]
