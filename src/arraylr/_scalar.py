"""The scalar namespace: the array-API functions schedule formulas use, on Python
numbers.

Formulas receive :data:`SCALAR` as ``xp`` when the step is a Python ``int`` or
``float``: its functions are the :mod:`math` module's, so the scalar route costs a
handful of Python operations and no array machinery.  Ground layer: imports
nothing of arraylr.
"""

from __future__ import annotations

import math
import operator
from typing import Any

__all__ = ["SCALAR", "Array", "Namespace", "zero_safe"]

Array = Any
"""Any array-API array (NumPy, PyTorch, JAX, array-api-strict, ...)."""

Namespace = Any
"""An array-API namespace, or :data:`SCALAR`."""


def _where(condition: object, x1: Any, x2: Any) -> Any:
    return x1 if condition else x2


def _maximum(x1: Any, x2: Any, /) -> Any:
    return x1 if x1 >= x2 else x2  # three times faster than the builtin max


def _minimum(x1: Any, x2: Any, /) -> Any:
    return x1 if x1 <= x2 else x2


def _clip(x: Any, min: Any = None, max: Any = None) -> Any:
    if min is not None and x < min:
        x = min
    if max is not None and x > max:
        x = max
    return x


def _astype(x: Any, dtype: object, /, *, copy: bool = True) -> float:
    return float(x)


def _full_like(x: Any, fill_value: Any, /, **kwargs: Any) -> float:
    return float(fill_value)


def _floor(x: Any) -> float:
    return float(math.floor(x))


def _ceil(x: Any) -> float:
    return float(math.ceil(x))


class _ScalarNamespace:
    """The subset of the array API that schedule formulas use, on Python scalars.

    Formulas receive this object as ``xp`` when the step is a Python ``int`` or
    ``float``.  Every function takes and returns Python numbers; there is no
    broadcasting and ``where`` is an ordinary conditional.  The step never is NaN
    here (the scalar route answers a NaN step itself), so ``maximum`` and
    ``minimum`` are plain comparisons.  The functions are instance attributes, the
    fastest lookup Python has after locals.
    """

    __name__ = "arraylr.scalar"

    def __init__(self) -> None:
        functions: dict[str, Any] = {
            "pi": math.pi,
            "e": math.e,
            "inf": math.inf,
            "nan": math.nan,
            "float32": "float32",
            "float64": "float64",
            "cos": math.cos,
            "sin": math.sin,
            "tan": math.tan,
            "exp": math.exp,
            "expm1": math.expm1,
            "log": math.log,
            "log1p": math.log1p,
            "log2": math.log2,
            "log10": math.log10,
            "sqrt": math.sqrt,
            "tanh": math.tanh,
            "abs": abs,
            "pow": operator.pow,
            "floor_divide": operator.floordiv,
            "remainder": operator.mod,
            "maximum": _maximum,
            "minimum": _minimum,
            "isnan": math.isnan,
            "where": _where,
            "clip": _clip,
            "floor": _floor,
            "ceil": _ceil,
            "astype": _astype,
            "full_like": _full_like,
        }
        self.__dict__.update(functions)

    def __repr__(self) -> str:
        return "<arraylr scalar namespace>"


SCALAR: Namespace = _ScalarNamespace()
"""The namespace handed to schedule formulas for Python-scalar steps."""


def zero_safe(function: Any, x: Any, xp: Namespace) -> Any:
    """``function(x)`` for ``x >= 0`` (or NaN), where ``function(0) == 0`` has an
    infinite slope at 0 (``sqrt``, ``x ** p`` with ``p < 1``), with a finite
    gradient everywhere.

    Automatic differentiation multiplies that infinite slope by the zero slope
    of whatever held ``x`` at 0 (a clip, a ``minimum``, a branch ``where``
    selects away) and gets NaN.  Here ``function`` only sees positive arguments
    (the "double where"): 0 gives 0 with slope 0, and NaN stays NaN.  Python
    numbers (:data:`SCALAR`) are not differentiated and take ``function(x)``.
    """
    if xp is SCALAR:
        return function(x)
    positive = x > 0
    return xp.where(positive, function(xp.where(positive, x, 1.0)), x * 0.0)
