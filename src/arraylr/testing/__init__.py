"""Check that a schedule agrees with itself across every installed array library.

For users who write their own schedules: register it, then ::

    from arraylr.testing import assert_backends_agree
    assert_backends_agree(my_schedule)

evaluates it on NumPy (float64, the reference), on NumPy float32, through the
Python-scalar route, and on every other installed backend (array-api-strict,
PyTorch, JAX eagerly and under ``jax.jit`` (``jax_jit``), Dask, CuPy where a
GPU is present), and raises ``AssertionError``
naming the backend, dtype, step and both values where an agreement bound is broken:

* float64 results within ``4 * eps64 * S`` of NumPy's float64 result;
* Python-scalar results within ``2 * eps64 * S``;
* float32 results within ``8 * eps32 * S``;

with ``S = schedule.scale`` (``max(start_lr, warmup_start_lr, stop_lr)`` for
most schedules).  Floating float32 steps are checked below ``2**24``
(:data:`FLOAT32_EXACT`), where float32 holds every integer step; integer steps
are checked at every step, whatever the result dtype.  Hypothesis strategies
for configs, schedules and steps live in :mod:`arraylr.testing.strategies`.

Small PyTorch CPU tensors are normally evaluated by NumPy on their memory (the
fast route for a step counter); the ``torch`` backend here evaluates with
PyTorch's own operations, through :func:`torch_operations`, which your own tests
can use too (to compare a compiled schedule with the eager PyTorch expression,
say).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import torch_operations
from .._validation import MAX_STEP
from ..base import BaseLR
from ..population import Population
from ._backends import BACKENDS, to_numpy

__all__ = [
    "FLOAT32_EXACT",
    "Disagreement",
    "assert_backends_agree",
    "available_backends",
    "backend_disagreements",
    "default_steps",
    "torch_operations",
]

EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)
BOUND_FACTORS = {"float64": 4 * EPS64, "float32": 8 * EPS32, "scalar": 2 * EPS64}
FLOAT32_EXACT = 2**24
"""Floating float32 steps at or above this are not held to the float32 bound:
float32 cannot hold every step there, so a step inside a decay phase moves by
its own rounding (phase edges stay exact)."""


def available_backends() -> list[str]:
    """Names of the array libraries installed and usable here, NumPy first."""
    return [name for name, backend in BACKENDS.items() if backend.load() is not None]


def default_steps(schedule: BaseLR, size: int = 257) -> np.ndarray:
    """Steps that visit every phase of ``schedule``: its boundaries (and their
    neighbours), an even grid to 10% past the end, and steps far beyond it."""
    n, w = schedule.num_steps, schedule.warmup_steps
    marks = [0, 1, w - 1, w, w + 1, n - 1, n, n + 1, 2 * n + 1, 10 * n + 7]
    for step, _ in schedule.phases():
        marks += [step - 1, step, step + 1]
    period = getattr(schedule, "decay_steps", None)  # the exp staircase
    if isinstance(period, int):
        marks += [w + period - 1, w + period, w + period + 1]
    # the grid in Python ints (a float64 linspace rounds num_steps near 2**63
    # past the int64 range), far steps clipped to the largest int64
    top = min(max(1, n + n // 10), MAX_STEP)
    marks += [k * top // (size - 1) for k in range(size)]
    steps = sorted({min(m, MAX_STEP) for m in marks if m >= 0})
    return np.asarray(steps, dtype=np.int64)


@dataclass(frozen=True)
class Disagreement:
    """The largest disagreement of one backend and dtype with NumPy float64."""

    backend: str
    steps_dtype: str
    dtype: str
    step: float
    value: float
    reference: float
    error: float
    bound: float
    requested: str = ""
    """The steps dtype that was given, where the backend holds another
    (JAX without ``jax_enable_x64`` holds float64 steps as float32)."""

    @property
    def ratio(self) -> float:
        """``error / bound``: above 1 breaks the agreement bound."""
        return self.error / self.bound if self.bound > 0 else math.inf * self.error

    @property
    def ok(self) -> bool:
        return self.error <= self.bound

    def __str__(self) -> str:
        return (
            f"backend {self.backend!r} ({self.steps_dtype} steps -> {self.dtype}) "
            f"at step {self.step!r}: "
            f"{self.value!r} vs NumPy float64 {self.reference!r} "
            f"(|difference| {self.error:.3g} > bound {self.bound:.3g})"
        )


def _worst(
    backend: str,
    steps_dtype: str,
    dtype: str,
    steps: np.ndarray,
    values: np.ndarray,
    reference: np.ndarray,
    scale: float,
) -> Disagreement:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    reference = reference.reshape(-1)
    nan_mismatch = np.isnan(values) != np.isnan(reference)
    error = np.where(nan_mismatch, np.inf, np.abs(values - reference))
    error = np.where(np.isnan(values) & np.isnan(reference), 0.0, error)
    i = int(np.argmax(error)) if error.size else 0
    bound = BOUND_FACTORS[dtype if dtype in BOUND_FACTORS else "float32"] * scale
    if not error.size:
        return Disagreement(
            backend, steps_dtype, dtype, math.nan, math.nan, math.nan, 0.0, bound
        )
    step = steps.reshape(-1)[i].item()
    return Disagreement(
        backend,
        steps_dtype,
        dtype,
        step,
        float(values[i]),
        float(reference[i]),
        float(error[i]),
        bound,
    )


def _rows(values: Any, count: int) -> np.ndarray:
    """Rates as a float64 array of ``count`` rows (one per member)."""
    return np.asarray(values, dtype=np.float64).reshape(count, -1)


def _worst_of(
    backend: str,
    steps_dtype: str,
    dtype: str,
    steps: np.ndarray,
    values: np.ndarray,
    reference: np.ndarray,
    scales: list[float],
) -> Disagreement:
    """The largest disagreement relative to its bound, over the members' rows."""
    rows = [
        _worst(backend, steps_dtype, dtype, steps, v, r, s)
        for v, r, s in zip(values, reference, scales, strict=True)
    ]
    return max(rows, key=lambda d: (d.ratio, d.error))


def backend_disagreements(
    schedule: BaseLR | Population,
    steps: Any = None,
    backends: Iterable[str] | None = None,
) -> list[Disagreement]:
    """The largest disagreement with NumPy float64 of every backend and dtype.

    Parameters
    ----------
    schedule : BaseLR or Population
        A schedule, or a :class:`~arraylr.population.Population`: each member's
        row is compared with that member evaluated alone by NumPy in float64,
        within the bounds of the member's own scale.
    steps : array-like of int, optional
        Non-negative integer steps (default: :func:`default_steps`).
    backends : iterable of str, optional
        Backend names (default: :func:`available_backends`). An unknown or
        missing backend raises ``ValueError``.

    Returns
    -------
    list of Disagreement
        One per (backend, dtype): ``("python", "scalar")``, then integer,
        float64 and float32 steps for each backend.
    """
    names = available_backends() if backends is None else list(backends)
    for name in names:
        if name not in BACKENDS:
            raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
    members = schedule.members if isinstance(schedule, Population) else (schedule,)
    count = len(members)
    if steps is None:
        base = np.unique(np.concatenate([default_steps(m) for m in members]))
    else:
        base = np.asarray(steps)
    if base.dtype.kind not in "iu":
        raise TypeError(f"steps must be integers, got steps of dtype {base.dtype}")
    base = base.astype(np.int64).reshape(-1)

    def single(at: np.ndarray) -> np.ndarray:
        # the reference: every member alone, NumPy float64
        return np.stack([_rows(m(at), 1)[0] for m in members])

    reference = single(base)
    scales = [m.scale for m in members]
    scalar = [schedule(int(s)) for s in base]
    report = [
        _worst_of(
            "python",
            "int",
            "scalar",
            base,
            np.asarray(scalar, dtype=np.float64).reshape(len(base), count).T,
            reference,
            scales,
        )
    ]
    exact32 = np.abs(base) < FLOAT32_EXACT  # float32 holds these steps exactly
    for name in names:
        backend = BACKENDS[name]
        module = backend.load()
        if module is None:
            raise ValueError(f"backend {name!r} is not installed or not usable here")
        for array, mask in (
            (base, None),
            (base.astype(np.float64), None),
            (base[exact32].astype(np.float32), exact32),
        ):
            converted = backend.convert(module, array)
            values = to_numpy(backend.evaluate(schedule, converted))
            held = to_numpy(converted)
            steps_dtype = str(held.dtype)
            here = base if mask is None else base[mask]
            ref = reference if mask is None else reference[:, mask]
            if not np.array_equal(held.astype(np.float64), here.astype(np.float64)):
                # the backend rounded the steps (JAX without x64: float64 ->
                # float32): compare at the steps it holds
                here = held
                ref = single(held.astype(np.float64))
            worst = _worst_of(
                name,
                steps_dtype,
                str(values.dtype),
                here,
                _rows(values, count),
                ref,
                scales,
            )
            if str(array.dtype) != steps_dtype:
                worst = dataclasses.replace(worst, requested=str(array.dtype))
            report.append(worst)
    return report


def assert_backends_agree(
    schedule: BaseLR | Population,
    steps: Any = None,
    backends: Sequence[str] | None = None,
) -> list[Disagreement]:
    """Raise ``AssertionError`` unless every backend agrees within the agreement bounds.

    Parameters are those of :func:`backend_disagreements`. The error names the
    backend, dtype, step and both values of every broken bound; on success the
    report is returned.

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> from arraylr.testing import assert_backends_agree
    >>> lr = BaseLR(type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=1000)
    >>> report = assert_backends_agree(lr, backends=["numpy"])
    >>> [(d.backend, d.steps_dtype, d.dtype, d.ok)
    ...  for d in report]  # doctest: +NORMALIZE_WHITESPACE
    [('python', 'int', 'scalar', True),
     ('numpy', 'int64', 'float64', True),
     ('numpy', 'float64', 'float64', True),
     ('numpy', 'float32', 'float32', True)]
    """
    report = backend_disagreements(schedule, steps, backends)
    broken = [d for d in report if not d.ok]
    if broken:
        lines = "\n  ".join(str(d) for d in broken)
        raise AssertionError(f"{schedule!r} disagrees across backends:\n  {lines}")
    return report
