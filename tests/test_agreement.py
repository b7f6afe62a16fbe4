"""The hypothesis agreement suite: random configurations of every registered
schedule and random steps, on every backend, within the SPEC bounds."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from conftest import BUILT_IN_TYPES, Backend
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR
from arraylr.testing import _backends
from arraylr.testing.strategies import configs, step_arrays

EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)
BUILT_IN = st.sampled_from(BUILT_IN_TYPES).flatmap(configs)


def convert(library: Backend, xp: ModuleType, steps: np.ndarray) -> Any:
    name = {Backend.JAX_X64: "jax"}.get(library, str(library))
    backend = _backends.BACKENDS[name]
    return backend.convert(backend.load(), steps)


@st.composite
def cases(draw: st.DrawFn, dtype: Any) -> tuple[BaseLR, np.ndarray]:
    lr = BaseLR(**draw(BUILT_IN))
    return lr, draw(step_arrays(lr, dtype=dtype, negative=True))


def check(lr: BaseLR, steps: np.ndarray, out: Any) -> None:
    values = _backends.to_numpy(out)
    reference = lr(steps.astype(np.float64))  # NumPy float64 at the same steps
    scale = lr.scale
    factor = 4 * EPS64 if values.dtype == np.float64 else 8 * EPS32
    np.testing.assert_allclose(values, reference, rtol=0, atol=factor * scale)


@settings(max_examples=40)
@given(case=cases(np.int64))
def test_integer_steps_agree(library: Backend, xp: ModuleType, case: Any) -> None:
    lr, steps = case
    out = lr(convert(library, xp, steps))
    expected = np.float64 if library is not Backend.JAX else np.float32
    assert _backends.to_numpy(out).dtype == expected
    check(lr, steps, out)


@settings(max_examples=40)
@given(case=cases(np.float64))
def test_float64_steps_agree(library: Backend, xp: ModuleType, case: Any) -> None:
    lr, steps = case
    out = lr(convert(library, xp, steps))
    # without jax_enable_x64, JAX holds float64 steps as float32
    expected = np.float64 if library is not Backend.JAX else np.float32
    assert _backends.to_numpy(out).dtype == expected
    check(lr, steps, out)


@settings(max_examples=40)
@given(case=cases(np.float32))
def test_float32_steps_agree(library: Backend, xp: ModuleType, case: Any) -> None:
    lr, steps = case
    out = lr(convert(library, xp, steps))
    assert _backends.to_numpy(out).dtype == np.float32
    check(lr, steps, out)


@settings(max_examples=60)
@given(case=cases(np.int64))
def test_python_scalars_agree_with_numpy(case: Any) -> None:
    lr, steps = case
    scale = lr.scale
    scalars = np.array([lr(int(s)) for s in steps])
    np.testing.assert_allclose(scalars, lr(steps), rtol=0, atol=2 * EPS64 * scale)
