"""NumPy (>= 2.1) as the formulas' array-API namespace, with a lean ``astype``.

NumPy 2.1 is an array-API namespace itself, so NumPy arrays skip
array-api-compat's wrappers.  Its ``numpy.astype`` is a Python function behind an
``__array_function__`` dispatcher, four times the cost of the ``ndarray.astype``
method on a small array (0.64 against 0.16 us); the formulas call it for every
integer step array, so this module gives them the method.  Everything else is
NumPy's own function.
"""

import numpy as _np

globals().update(
    {name: getattr(_np, name) for name in dir(_np) if not name.startswith("_")}
)
__array_namespace_info__ = _np.__array_namespace_info__


def astype(x, dtype, /, *, copy=True, device=None):  # type: ignore[no-untyped-def]
    """``x.astype(dtype)``, with no copy where the dtype is already right
    (arraylr never writes into a step)."""
    if device is not None:
        return _np.astype(x, dtype, copy=copy, device=device)
    return x.astype(dtype, copy=False)
