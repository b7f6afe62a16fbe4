"""Dask: evaluation stays lazy and chunked, so huge step ranges reduce in memory."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from arraylr import BaseLR

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")


def no_compute(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("evaluation computed a dask graph")


@pytest.mark.parametrize("name", ["exp", "cosine", "wsd"])
def test_ten_billion_steps_stay_lazy(name: str) -> None:
    lr = BaseLR(
        type=name, start_lr=1e-3, stop_lr=1e-5, num_steps=10**10, warmup_steps=10**8
    )
    steps = da.arange(0, 10**10, chunks=10**8)
    with dask.config.set(scheduler=no_compute):
        out = lr(steps)
        reductions = [out.min(), out.max(), out.mean()]
    assert isinstance(out, da.Array)
    assert out.dtype == np.float64
    assert out.chunks == steps.chunks
    assert all(isinstance(r, da.Array) for r in reductions)


def test_chunked_reduction_matches_numpy() -> None:
    lr = BaseLR(
        type="cosine",
        start_lr=1e-3,
        stop_lr=1e-5,
        num_steps=4 * 10**6,
        warmup_steps=10**5,
        warmup_start_factor=0.1,
    )
    steps = da.arange(0, 4 * 10**6 + 1000, chunks=250_000)
    out = lr(steps)
    low, high, mean = dask.compute(out.min(), out.max(), out.mean())
    dense = lr(np.arange(0, 4 * 10**6 + 1000))
    assert low == dense.min() == 1e-5
    assert high == dense.max() == 1e-3
    assert mean == pytest.approx(dense.mean(), rel=1e-12)


def test_float_chunks_and_dtype() -> None:
    lr = BaseLR(type="exp", start_lr=1.0, stop_lr=1e-3, num_steps=1000, decay_steps=10)
    steps = da.from_array(np.linspace(-5, 1200, 101, dtype=np.float32), chunks=10)
    out = lr(steps)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.compute(), lr(steps.compute()), rtol=0, atol=0)
