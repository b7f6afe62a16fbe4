"""array-api-compat's PyTorch namespace, with ``maximum``/``minimum`` that accept a
Python scalar through ``torch.clamp``, and lean ``where``/``astype``.

array-api-compat turns such a scalar into a tensor via ``torch.result_type``, which
``torch.compile(fullgraph=True)`` cannot trace; ``clamp`` gives the same values
(NaN included) and compiles.  A module rather than an object built at run time,
so that ``import`` is all it takes to get it, even inside a compiled region.
Imported only when a PyTorch tensor is evaluated.
"""

# ruff: noqa: F403
import builtins
from typing import Any

import torch
from array_api_compat.torch import *
from array_api_compat.torch import __all__ as _compat_all
from array_api_compat.torch import astype as _astype
from array_api_compat.torch import maximum as _maximum
from array_api_compat.torch import minimum as _minimum
from array_api_compat.torch import where as _where

__all__ = list(_compat_all)

# the star import shadows int and float with torch.int/torch.float dtypes
_SCALARS = (builtins.int, builtins.float)


def maximum(x1: Any, x2: Any, /) -> Any:
    """Element-wise maximum; a Python-scalar operand goes through ``torch.clamp``."""
    if isinstance(x2, _SCALARS) and isinstance(x1, torch.Tensor):
        return torch.clamp(x1, min=x2)
    if isinstance(x1, _SCALARS) and isinstance(x2, torch.Tensor):
        return torch.clamp(x2, min=x1)
    return _maximum(x1, x2)


def minimum(x1: Any, x2: Any, /) -> Any:
    """Element-wise minimum; a Python-scalar operand goes through ``torch.clamp``."""
    if isinstance(x2, _SCALARS) and isinstance(x1, torch.Tensor):
        return torch.clamp(x1, max=x2)
    if isinstance(x1, _SCALARS) and isinstance(x2, torch.Tensor):
        return torch.clamp(x2, max=x1)
    return _minimum(x1, x2)


def where(condition: Any, x1: Any, x2: Any, /) -> Any:
    """``torch.where``: a tensor and a Python scalar, or two tensors of one dtype,
    need none of array-api-compat's promotion work (the formulas pass nothing
    else); anything else goes through it."""
    if isinstance(x1, torch.Tensor) and (
        isinstance(x2, _SCALARS)
        or (isinstance(x2, torch.Tensor) and x2.dtype == x1.dtype)
    ):
        return torch.where(condition, x1, x2)
    if isinstance(x1, _SCALARS) and isinstance(x2, torch.Tensor):
        return torch.where(condition, x1, x2)
    return _where(condition, x1, x2)


def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    """``x.to(dtype)`` (no copy where the dtype is already right: arraylr never
    writes into a step); array-api-compat's for a device move."""
    if device is None:  # the formulas never write to what they are given
        return x.to(dtype)
    return _astype(x, dtype, copy=copy, device=device)
