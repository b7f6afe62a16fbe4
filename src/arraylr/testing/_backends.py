"""Adapters that move a NumPy step array to each installed array library and back."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import torch_operations


@dataclass(frozen=True)
class Backend:
    """An array library the agreement checks can run on."""

    name: str
    module: str
    convert: Callable[[Any, np.ndarray], Any]
    usable: Callable[[Any], bool] = lambda module: True
    evaluate: Callable[[Any, Any], Any] = lambda schedule, steps: schedule(steps)
    """How the schedule is called on the converted steps (``jax_jit``: traced)."""

    def load(self) -> Any | None:
        """The imported library, or ``None`` when it is missing or unusable."""
        try:
            module = importlib.import_module(self.module)
        except Exception:
            return None
        try:
            return module if self.usable(module) else None
        except Exception:
            return None


def _jax_convert(jnp: Any, steps: np.ndarray) -> Any:
    import jax

    if not jax.config.read("jax_enable_x64"):  # type: ignore[no-untyped-call]  # JAX would narrow silently anyway
        steps = steps.astype(
            {"i": np.int32, "u": np.uint32, "f": np.float32}.get(
                steps.dtype.kind, steps.dtype
            ),
            copy=False,
        )
    return jnp.asarray(steps)


def _jit_evaluate(schedule: Any, steps: Any) -> Any:
    import jax

    return jax.jit(schedule.value)(steps)


def _torch_evaluate(schedule: Any, steps: Any) -> Any:
    # PyTorch's own operations: small CPU tensors would otherwise be evaluated
    # by NumPy (arraylr's fast route), which the numpy backend checks already
    with torch_operations():
        return schedule(steps)


def _cupy_usable(cupy: Any) -> bool:
    return bool(cupy.cuda.runtime.getDeviceCount() > 0)


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in [
        Backend("numpy", "numpy", lambda np_, s: s),
        Backend("array_api_strict", "array_api_strict", lambda xs, s: xs.asarray(s)),
        Backend(
            "torch",
            "torch",
            lambda torch, s: torch.from_numpy(s.copy()),
            evaluate=_torch_evaluate,
        ),
        Backend("jax", "jax.numpy", _jax_convert),
        Backend("jax_jit", "jax.numpy", _jax_convert, evaluate=_jit_evaluate),
        Backend(
            "dask",
            "dask.array",
            lambda da, s: da.from_array(s, chunks=max(1, s.size // 4 or 1)),
        ),
        Backend("cupy", "cupy", lambda cp, s: cp.asarray(s), _cupy_usable),
    ]
}


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of any backend's array (on the host)."""
    if hasattr(x, "detach"):  # torch
        x = x.detach().cpu()
    if hasattr(x, "compute"):  # dask
        x = x.compute()
    if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
        x = x.get()
    try:
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError):  # libraries that refuse __array__
        return np.from_dlpack(x)
