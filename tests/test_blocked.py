"""The blocked NumPy route gives bit-for-bit the single-expression result, and
keeps peak memory near the size of the result."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import arraylr._backend as backend
from arraylr import BaseLR
from arraylr.testing.strategies import configs, step_arrays

from conftest import TYPES

BUILT_IN = st.sampled_from(TYPES).flatmap(configs)


@given(st.data())
def test_blocks_match_single_expression(data: st.DataObject) -> None:
    lr = BaseLR(**data.draw(BUILT_IN))
    dtype = data.draw(st.sampled_from([np.int64, np.int32, np.float64, np.float32]))
    steps = data.draw(step_arrays(lr, dtype=dtype, max_size=200, negative=True))
    if dtype in (np.float64, np.float32) and data.draw(st.booleans()):
        steps[data.draw(st.integers(0, steps.size - 1))] = math.nan
    whole = lr(steps)  # arrays this small are one expression
    size = data.draw(st.integers(1, 9))
    saved = backend.CHUNK
    backend.CHUNK = size
    try:
        blocked = lr(steps)
    finally:
        backend.CHUNK = saved
    assert blocked.dtype == whole.dtype and blocked.shape == whole.shape
    np.testing.assert_array_equal(blocked, whole)


def test_sequence_blocks_of_one_step() -> None:
    # a block of one step reached the children through value(), whose one-step
    # NumPy shortcut computes float32 steps in float64: one ulp from the
    # single expression (found by CI's hypothesis run)
    child = {"type": "cosine", "num_steps": 76, "start_lr": 1.0, "stop_lr": 0.0}
    lr = BaseLR(type="sequence", num_steps=76, schedules=[child], boundaries=[])
    steps = np.array([0.0, 0.0, 2.0], dtype=np.float32)
    whole = lr(steps)
    saved = backend.CHUNK
    backend.CHUNK = 1
    try:
        blocked = lr(steps)
    finally:
        backend.CHUNK = saved
    np.testing.assert_array_equal(blocked, whole)
    np.testing.assert_array_equal(whole, BaseLR(**child)(steps))
    rate = 0.5 * (1 + math.cos(math.pi * 2 / 76))  # 0.99829224650...
    eps32 = float(np.finfo(np.float32).eps)
    np.testing.assert_allclose(whole, [1.0, 1.0, rate], rtol=0, atol=8 * eps32)


@pytest.mark.parametrize("name", ["exp", "cosine", "wsd"])
def test_blocked_route_memory(name: str) -> None:
    n = 2_000_000
    lr = BaseLR(
        type=name, start_lr=1e-3, stop_lr=1e-5, num_steps=n, warmup_steps=n // 10
    )
    steps = np.arange(n, dtype=np.int64).reshape(1000, -1)
    tracemalloc.start()
    try:
        out = lr(steps)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == steps.shape
    assert peak <= 1.1 * out.nbytes  # the result plus a few 64 KiB blocks
    np.testing.assert_array_equal(out[0, :100], lr(np.arange(100)))


def test_non_contiguous_input() -> None:
    lr = BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=100_000)
    steps = np.arange(200_000)[::-2][::-1]  # a strided view
    out = lr(steps)
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, lr(np.ascontiguousarray(steps)))
