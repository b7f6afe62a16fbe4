"""The hypothesis agreement suite: random configurations of every registered
schedule and random steps, on every backend, within the SPEC bounds."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR
from arraylr.testing import _backends
from arraylr.testing.strategies import configs, step_arrays

from conftest import TYPES, Backend, per_type

EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


def convert(library: Backend, xp: ModuleType, steps: np.ndarray) -> Any:
    name = {Backend.JAX_X64: "jax", Backend.TORCH_HOST: "torch"}.get(
        library, str(library)
    )
    backend = _backends.BACKENDS[name]
    if name == "jax":  # one shape: JAX compiles each operation once per shape
        steps = np.resize(steps, 64)  # (the drawn steps, repeated)
    return backend.convert(backend.load(), steps)


@st.composite
def cases(draw: st.DrawFn, kind: str, dtype: Any) -> tuple[BaseLR, np.ndarray]:
    lr = BaseLR(**draw(configs(kind)))
    return lr, draw(step_arrays(lr, dtype=dtype, negative=True))


def check(lr: BaseLR, steps: Any, out: Any) -> None:
    values = _backends.to_numpy(out)
    # NumPy float64 at the steps the backend holds (JAX without x64 rounds
    # float64 steps to float32); integer steps as integers (float64 does not
    # hold every int64 past 2**53)
    held = _backends.to_numpy(steps)
    exact = held.astype(np.int64 if held.dtype.kind in "iu" else np.float64)
    reference = lr(exact)
    scale = lr.scale
    factor = 4 * EPS64 if values.dtype == np.float64 else 8 * EPS32
    np.testing.assert_allclose(values, reference, rtol=0, atol=factor * scale)


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.float32])
@settings(max_examples=per_type(40))
@given(data=st.data())
def test_backends_agree(
    library: Backend, xp: ModuleType, dtype: type, kind: str, data: st.DataObject
) -> None:
    lr, steps = data.draw(cases(kind, dtype))
    steps = convert(library, xp, steps)
    out = lr(steps)
    # float32 steps stay float32; without jax_enable_x64 JAX holds int64 and
    # float64 steps as 32-bit, and int32 steps give float32
    narrow = dtype is np.float32 or library is Backend.JAX
    assert _backends.to_numpy(out).dtype == (np.float32 if narrow else np.float64)
    check(lr, steps, out)


@pytest.mark.parametrize("kind", TYPES)
@settings(max_examples=per_type(60))
@given(data=st.data())
def test_python_scalars_agree_with_numpy(kind: str, data: st.DataObject) -> None:
    lr, steps = data.draw(cases(kind, np.int64))
    scale = lr.scale
    scalars = np.array([lr(int(s)) for s in steps])
    np.testing.assert_allclose(scalars, lr(steps), rtol=0, atol=2 * EPS64 * scale)


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("x64", [False, True], ids=["jax_jit", "jax_jit_x64"])
@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.float32])
@settings(max_examples=per_type(25, least=2))
@given(data=st.data())
def test_backends_agree_under_jit(
    x64: bool, dtype: type, kind: str, data: st.DataObject
) -> None:
    jax = pytest.importorskip("jax")
    lr, steps = data.draw(cases(kind, dtype))
    backend = _backends.BACKENDS["jax_jit"]
    with jax.enable_x64(x64):
        converted = backend.convert(backend.load(), steps)
        check(lr, converted, backend.evaluate(lr, converted))
